/**
 * Shared-embedding cross-domain DNN — the "DNN on concatenated domains" baseline of MiNet's spec (§5; the official
 * repository's `dnn_para_tune.py` is the single-domain reference), in the spirit of MV-DNN's shared user view.
 * Implemented: one embedding table per feature shared by both domains; a target tower on the user, the target item and
 * the mean-pooled target and source histories, an auxiliary source tower on the user and the source item, and the
 * weighted two-loss objective shared by every cross-domain model here:
 *   logit_t = MLP_t([u; q; mean_j r_j; mean_j s_j]),  logit_s = MLP_s([u; e_src]),
 *   L = BCE(logit_t, y_t) + w2 * BCE(logit_s, y_s)
 * Also home of what the cross-domain CTR models (MiNet, CoNet, this one) share: the field roles read from a schema
 * (`crossDomainFields`) and the loss (`crossDomainLoss`).
 * Paper deviations: the two losses read the same rows (each target row carries one source impression) instead of two
 * mini-batches of different sizes (MiNet's code: 32 target, 64 source).
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding } from '../layers/embedding.ts';
import { MLP } from '../layers/dense.ts';
import { bceWithLogits } from '../train/losses.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type LossFn, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** Roles of a cross-domain schema's columns; item and history lists are paired position by position. */
export interface CrossDomainFields {
  user: string;
  /** Target-item features (e.g. item_id, item_cat) and the target-history sequences that share their tables. */
  targetItem: string[];
  targetHistory: string[];
  /** Source-item features (src_item_id, ...) and the source-history sequences sharing their tables. */
  sourceItem: string[];
  sourceHistory: string[];
  /** Label of the auxiliary source-domain impression. */
  sourceLabel: string;
}

/**
 * Reads the field roles from a schema: sequences with `sharesWith` are histories (names starting with `src_` are
 * source-domain), the features they share are the item fields; the user is `schema.userId`. Errors name what is missing.
 * @example
 * crossDomainFields(world.train.schema).sourceHistory; // ['src_hist_item_id', 'src_hist_item_cat']
 */
export function crossDomainFields(schema: Schema, sourceLabel = 'src_click'): CrossDomainFields {
  if (!schema.userId) throw new Error('cross-domain model: the schema has no userId');
  const f: CrossDomainFields = { user: schema.userId, targetItem: [], targetHistory: [], sourceItem: [], sourceHistory: [], sourceLabel };
  for (const x of schema.features) {
    if (x.kind !== 'sequence' || !x.sharesWith) continue;
    const src = x.name.startsWith('src_');
    (src ? f.sourceHistory : f.targetHistory).push(x.name);
    (src ? f.sourceItem : f.targetItem).push(x.sharesWith);
  }
  if (!f.targetHistory.length || !f.sourceHistory.length) throw new Error(`cross-domain model: the schema needs target and source history sequences with sharesWith (found target [${f.targetHistory}], source [${f.sourceHistory}])`);
  if (!schema.labels.includes(sourceLabel)) throw new Error(`cross-domain model: the schema has no source label '${sourceLabel}' (labels: ${schema.labels.join(', ')})`);
  return f;
}

/**
 * The weighted two-loss objective L = BCE(logit, y_target) + w2 * BCE(srcLogit, y_source) (MiNet §3.4).
 * @example
 * const loss = crossDomainLoss('click', 1.0); loss(model.apply(batch, { training: true }), batch); // scalar
 */
export function crossDomainLoss(label: string, sourceWeight: number, sourceLabel = 'src_click'): LossFn {
  return (out, batch) => {
    const { logit, srcLogit } = out;
    if (!logit || !srcLogit) throw new Error(`crossDomainLoss: the model must return 'logit' and 'srcLogit' (got ${Object.keys(out).join(', ')})`);
    const yt = batch[label];
    const ys = batch[sourceLabel];
    if (!yt || !ys) throw new Error(`crossDomainLoss: the batch lacks label '${!yt ? label : sourceLabel}'`);
    const target = bceWithLogits(logit, yt);
    return (sourceWeight === 0 ? target : tf.add(target, tf.mul(bceWithLogits(srcLogit, ys), sourceWeight))) as Scalar;
  };
}

/** Masked mean of several paired sequences, concatenated: (B, P*D). */
export function pooledHistory(emb: FeatureEmbedding, batch: TensorBatch, names: string[]): Tensor {
  return tf.concat(names.map((n) => emb.pooled(batch, n)), 1); // (B, P*D)
}

/** Cross-domain DNN hyper-parameters; defaults in `CROSS_DOMAIN_DNN_DEFAULTS`. */
export interface CrossDomainDNNConfig {
  embeddingDim: number;
  hidden: number[];
  sourceHidden: number[];
  /** w2 of the source loss (0 = no auxiliary task). */
  sourceWeight: number;
}
/** Defaults: D 10 (MiNet's k), towers [256, 128] (MiNet's), w2 = 1.0 (MiNet's shipped config). */
export const CROSS_DOMAIN_DNN_DEFAULTS: CrossDomainDNNConfig = { embeddingDim: 10, hidden: [256, 128], sourceHidden: [256, 128], sourceWeight: 1 };

/**
 * The shared-embedding cross-domain DNN; outputs `logit` (B, target domain) and `srcLogit` (B, source domain).
 * @example
 * const m = new CrossDomainDNN(new Rng(1), world.train.schema); m.apply(batch, { training: false }).srcLogit; // (B)
 */
export class CrossDomainDNN extends Module implements RecModel {
  readonly name = 'cross-domain-dnn';
  readonly config: CrossDomainDNNConfig;
  private readonly fields: CrossDomainFields;
  private readonly emb: FeatureEmbedding;
  private readonly tower: MLP;
  private readonly sourceTower: MLP;

  constructor(rng: Rng, schema: Schema, config: Partial<CrossDomainDNNConfig> = {}) {
    super(rng);
    this.config = resolveConfig('cross-domain-dnn', config, CROSS_DOMAIN_DNN_DEFAULTS);
    this.fields = crossDomainFields(schema);
    const D = this.config.embeddingDim;
    const f = this.fields;
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    const widthT = D * (1 + 2 * f.targetItem.length + f.sourceHistory.length);
    this.tower = this.module('tower', new MLP(this.rng, widthT, { hidden: this.config.hidden, outDim: 1 }));
    this.sourceTower = this.module('sourceTower', new MLP(this.rng, D * (1 + f.sourceItem.length), { hidden: this.config.sourceHidden, outDim: 1 }));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const f = this.fields;
    const B = batch[f.user].shape[0];
    const u = this.emb.tableOf(f.user).lookup(batch[f.user]); // (B, D)
    const q = tf.reshape(this.emb.fields(batch, f.targetItem), [B, -1]); // (B, D1)
    const x = tf.concat([u, q, pooledHistory(this.emb, batch, f.targetHistory), pooledHistory(this.emb, batch, f.sourceHistory)], 1); // (B, D + 2 D1 + D2)
    const logit = tf.reshape(this.tower.apply(x, training), [-1]); // (B)
    const e = tf.reshape(this.emb.fields(batch, f.sourceItem), [B, -1]); // (B, D2)
    const srcLogit = tf.reshape(this.sourceTower.apply(tf.concat([u, e], 1), training), [-1]); // (B)
    return { logit, srcLogit };
  }
}

/** Registry entry (loss with w2 = 1.0; pipelines pass the config's weight to `crossDomainLoss`). */
export const crossDomainDnnSpec: ModelSpec<CrossDomainDNNConfig> = {
  name: 'cross-domain-dnn',
  description: 'Shared-embedding cross-domain DNN: target tower on both histories + auxiliary source tower',
  defaults: CROSS_DOMAIN_DNN_DEFAULTS,
  create: (rng, schema, config) => new CrossDomainDNN(rng, schema, config),
  task: 'cross-domain-ctr',
  loss: (label) => crossDomainLoss(label, CROSS_DOMAIN_DNN_DEFAULTS.sourceWeight),
};
