/**
 * The shared-bottom multi-task backbone of the entire-space CVR models (Shared-Bottom, ESMM, ESCM2, DCMT, ChorusCVR):
 * every categorical feature embedded as a field, list features mean-pooled, dense features concatenated, one shared
 * MLP, then one MLP tower per task ending in a logit:
 *   x = [e_1; ...; e_F; x_dense]   (B, F*D + Dd)
 *   h = SharedMLP(x)               (B, H)
 *   logit_t = Tower_t(h)           (B) for every task t
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from './module.ts';
import { FeatureEmbedding } from './embedding.ts';
import { MLP } from './dense.ts';
import { ctrInputs, featureGroups, type FeatureGroups } from './ctr-inputs.ts';
import type { Rng } from '../random.ts';

/** Sizes of the backbone; defaults in `SHARED_BOTTOM_DEFAULTS`. */
export interface SharedBottomConfig {
  embeddingDim: number;
  /** Widths of the shared MLP (ReLU); [] = the towers read the embeddings directly. */
  bottom: number[];
  /** Hidden widths of each task tower (ReLU), each followed by a linear layer to one logit. */
  tower: number[];
  /** Dropout after every hidden layer during training. */
  dropout: number;
}

/** Defaults (ChorusCVR spec §3.4 Proposal): D = 16, shared [256, 128], towers [64, 32], dropout 0.1. */
export const SHARED_BOTTOM_DEFAULTS: SharedBottomConfig = { embeddingDim: 16, bottom: [256, 128], tower: [64, 32], dropout: 0.1 };

/**
 * Embedding + shared MLP + one tower per named task. Parameters: `emb.<feature>.table`, `bottom.dense<k>.*`,
 * `<task>Tower.dense<k>.*` and `<task>Tower.out.*`.
 * @example
 * const net = new SharedBottom(new Rng(1), schema, SHARED_BOTTOM_DEFAULTS, ['ctr', 'cvr']);
 * net.apply(batch, true).cvr; // (B) logits
 */
export class SharedBottom extends Module {
  readonly tasks: readonly string[];
  private readonly groups: FeatureGroups;
  private readonly emb: FeatureEmbedding;
  private readonly bottom: MLP | null;
  private readonly towers = new Map<string, MLP>();

  constructor(rng: Rng, schema: Schema, readonly config: SharedBottomConfig, tasks: readonly string[]) {
    super(rng);
    if (!tasks.length) throw new Error('SharedBottom: at least one task tower is needed');
    if (new Set(tasks).size !== tasks.length) throw new Error(`SharedBottom: task names repeat (${tasks.join(', ')})`);
    this.tasks = [...tasks];
    this.groups = featureGroups(schema);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, config.embeddingDim));
    const F = this.groups.categorical.length + this.groups.lists.length;
    const inDim = F * config.embeddingDim + this.groups.denseDim;
    this.bottom = config.bottom.length ? this.module('bottom', new MLP(this.rng, inDim, { hidden: config.bottom, outDim: 0, dropout: config.dropout })) : null;
    const h = this.bottom ? this.bottom.outDim : inDim;
    for (const t of tasks) this.towers.set(t, this.module(`${t}Tower`, new MLP(this.rng, h, { hidden: config.tower, outDim: 1, dropout: config.dropout })));
  }

  /** Logits (B) by task name. */
  apply(batch: TensorBatch, training: boolean): Record<string, Tensor> {
    const { fields, dense } = ctrInputs(this.emb, this.groups, batch); // (B, F, D), (B, Dd)
    const flat = tf.reshape(fields, [fields.shape[0], -1]); // (B, F*D)
    const x = dense ? tf.concat([flat, dense], 1) : flat; // (B, F*D + Dd)
    const h = this.bottom ? this.bottom.apply(x, training) : x; // (B, H)
    const out: Record<string, Tensor> = {};
    for (const [t, tower] of this.towers) out[t] = tf.reshape(tower.apply(h, training), [-1]); // (B)
    return out;
  }
}
