/**
 * Wide & Deep — Cheng et al., "Wide & Deep Learning for Recommender Systems", DLRS 2016, arXiv:1606.07792.
 * Implemented: the deep part (field embeddings + MLP) and a wide linear part over the sparse ids, summed in one logit
 *   logit = w_wide^T [x, phi(x)] + MLP([e_1; ...; e_F; x_dense]) + b
 * Paper deviation: the wide part holds first-order weights of every id (list features: summed weights of their ids)
 * and no hand-engineered cross-product transforms phi(x), since reclab's worlds define no such crosses; the paper
 * trains the wide part with FTRL, we use the trainer's single optimiser for both parts.
 */
import { tf } from '../tf.ts';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding } from '../layers/embedding.ts';
import { MLP } from '../layers/dense.ts';
import { ctrInputs, featureGroups, type FeatureGroups } from '../layers/ctr-inputs.ts';
import type { Rng } from '../random.ts';
import { ctrLoss, resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** Wide & Deep hyper-parameters; defaults in `WIDE_DEEP_DEFAULTS`. */
export interface WideDeepConfig {
  embeddingDim: number;
  hidden: number[];
  dropout: number;
}
/** Defaults: D = 8, deep MLP [200, 80]. */
export const WIDE_DEEP_DEFAULTS: WideDeepConfig = { embeddingDim: 8, hidden: [200, 80], dropout: 0 };

/**
 * The Wide & Deep model.
 * @example
 * new WideDeep(new Rng(1), schema).apply(batch, { training: false }).logit; // (B)
 */
export class WideDeep extends Module implements RecModel {
  readonly name = 'wide-deep';
  readonly config: WideDeepConfig;
  private readonly groups: FeatureGroups;
  private readonly emb: FeatureEmbedding;
  private readonly wide: FeatureEmbedding;
  private readonly deep: MLP;

  constructor(rng: Rng, schema: Schema, config: Partial<WideDeepConfig> = {}) {
    super(rng);
    this.config = resolveConfig('wide-deep', config, WIDE_DEEP_DEFAULTS);
    const D = this.config.embeddingDim;
    this.groups = featureGroups(schema);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    this.wide = this.module('wide', new FeatureEmbedding(this.rng, schema, 1, 0));
    const F = this.groups.categorical.length + this.groups.lists.length;
    this.deep = this.module('deep', new MLP(this.rng, F * D + this.groups.denseDim, { hidden: this.config.hidden, dropout: this.config.dropout, outDim: 1 }));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const { fields, dense } = ctrInputs(this.emb, this.groups, batch); // (B, F, D), (B, Dd)
    const flat = tf.reshape(fields, [fields.shape[0], -1]); // (B, F*D)
    const deep = tf.reshape(this.deep.apply(dense ? tf.concat([flat, dense], 1) : flat, training), [-1]); // (B)
    let wide = tf.sum(tf.squeeze(this.wide.fields(batch, this.groups.categorical), [2]), 1); // (B)
    for (const n of this.groups.lists) wide = tf.add(wide, tf.sum(tf.squeeze(this.wide.tableOf(n).lookup(batch[n]), [2]), 1)); // (B)
    return { logit: tf.add(deep, wide) }; // (B)
  }
}

/** Registry entry. */
export const wideDeepSpec: ModelSpec<WideDeepConfig> = {
  name: 'wide-deep',
  description: 'Wide & Deep (Cheng et al. 2016): first-order wide part + deep MLP',
  defaults: WIDE_DEEP_DEFAULTS,
  create: (rng, schema, config) => new WideDeep(rng, schema, config),
  task: 'ctr',
  loss: ctrLoss,
};
