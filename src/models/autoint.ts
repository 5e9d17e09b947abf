/**
 * AutoInt — Song et al., "AutoInt: Automatic Feature Interaction Learning via Self-Attentive Neural Networks",
 * CIKM 2019, arXiv:1810.11921. Implemented: field embeddings projected to the attention width, `layers` interacting
 * layers (multi-head self-attention over the fields with a residual projection and ReLU), then a linear output over
 * the flattened fields:
 *   e_m^(l+1) = ReLU( sum_k alpha_mk^(h) W_V e_k  (heads concatenated)  +  W_Res e_m^(l) ),   logit = w^T [e_1; ...; e_F] + b
 * Used as one of GME's five backbones (spec ../shared/papers/gme.md §6 Proposal).
 * Paper deviation: the heads' outputs pass through the shared MultiHeadSelfAttention's output projection (a linear
 * map, as in a Transformer); dense features are concatenated before the output layer; lists are mean-pooled fields.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding } from '../layers/embedding.ts';
import { Dense } from '../layers/dense.ts';
import { MultiHeadSelfAttention } from '../layers/attention.ts';
import { ctrInputs, featureGroups, type FeatureGroups } from '../layers/ctr-inputs.ts';
import type { Rng } from '../random.ts';
import { ctrLoss, resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** AutoInt hyper-parameters; defaults in `AUTOINT_DEFAULTS`. */
export interface AutoIntConfig {
  embeddingDim: number;
  /** Attention width d' · heads. */
  attentionDim: number;
  heads: number;
  layers: number;
}
/** Defaults: D = 8, attention width 16 with 2 heads, 2 interacting layers (the paper's small setting). */
export const AUTOINT_DEFAULTS: AutoIntConfig = { embeddingDim: 8, attentionDim: 16, heads: 2, layers: 2 };

/**
 * The AutoInt head over given field embeddings: fields (B, F, D), dense (B, Dd) or null -> logit (B).
 * @example
 * new AutoIntHead(rng, 5, 8, 0, AUTOINT_DEFAULTS).apply(fields, null); // (B)
 */
export class AutoIntHead extends Module {
  private readonly proj: Dense | null;
  private readonly att: MultiHeadSelfAttention[] = [];
  private readonly res: Dense[] = [];
  private readonly out: Dense;
  constructor(rng: Rng, readonly fields: number, dim: number, denseDim: number, config: Omit<AutoIntConfig, 'embeddingDim'>) {
    super(rng);
    const A = config.attentionDim;
    this.proj = A === dim ? null : this.module('proj', new Dense(this.rng, dim, A, 'linear', false));
    for (let l = 0; l < config.layers; l++) {
      this.att.push(this.module(`att${l}`, new MultiHeadSelfAttention(this.rng, A, config.heads)));
      this.res.push(this.module(`res${l}`, new Dense(this.rng, A, A, 'linear', false)));
    }
    this.out = this.module('out', new Dense(this.rng, fields * A + denseDim, 1));
  }
  apply(fields: Tensor, dense: Tensor | null): Tensor {
    const [B, F, D] = fields.shape as [number, number, number];
    let h = this.proj ? tf.reshape(this.proj.apply(tf.reshape(fields, [B * F, D])), [B, F, -1]) : fields; // (B, F, A)
    for (let l = 0; l < this.att.length; l++) {
      const A = h.shape[2] as number;
      const res = tf.reshape(this.res[l].apply(tf.reshape(h, [B * F, A])), [B, F, A]); // (B, F, A)
      h = tf.relu(tf.add(this.att[l].apply(h), res)); // (B, F, A)
    }
    const flat = tf.reshape(h, [B, -1]); // (B, F*A)
    return tf.reshape(this.out.apply(dense ? tf.concat([flat, dense], 1) : flat), [-1]); // (B)
  }
}

/**
 * The AutoInt model.
 * @example
 * new AutoInt(new Rng(1), schema).apply(batch, { training: false }).logit; // (B)
 */
export class AutoInt extends Module implements RecModel {
  readonly name = 'autoint';
  readonly config: AutoIntConfig;
  private readonly groups: FeatureGroups;
  private readonly emb: FeatureEmbedding;
  private readonly head: AutoIntHead;

  constructor(rng: Rng, schema: Schema, config: Partial<AutoIntConfig> = {}) {
    super(rng);
    this.config = resolveConfig('autoint', config, AUTOINT_DEFAULTS);
    this.groups = featureGroups(schema);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, this.config.embeddingDim));
    const F = this.groups.categorical.length + this.groups.lists.length;
    this.head = this.module('head', new AutoIntHead(this.rng, F, this.config.embeddingDim, this.groups.denseDim, this.config));
  }

  apply(batch: TensorBatch, _options: { training: boolean }): ModelOutputs {
    const { fields, dense } = ctrInputs(this.emb, this.groups, batch); // (B, F, D), (B, Dd)
    return { logit: this.head.apply(fields, dense) }; // (B)
  }
}

/** Registry entry. */
export const autoIntSpec: ModelSpec<AutoIntConfig> = {
  name: 'autoint',
  description: 'AutoInt (Song et al. 2019): multi-head self-attention over field embeddings',
  defaults: AUTOINT_DEFAULTS,
  create: (rng, schema, config) => new AutoInt(rng, schema, config),
  task: 'ctr',
  loss: ctrLoss,
};
