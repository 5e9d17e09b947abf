/**
 * DeepFM — Guo et al., "DeepFM: A Factorization-Machine based Neural Network for CTR Prediction", IJCAI 2017,
 * arXiv:1703.04247. Implemented: first-order weights, the FM second-order term and the deep MLP over the same field
 * embeddings (shared, as in the paper):
 *   logit = b + sum_i w_i + 1/2 sum_d [ (sum_i e_id)^2 - sum_i e_id^2 ] + MLP([e_1; ...; e_F])
 * List features enter as one field each (masked mean of their embeddings). Deviations: dense features feed the MLP
 * only (the paper has none).
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

/** DeepFM hyper-parameters; defaults in `DEEPFM_DEFAULTS`. */
export interface DeepFMConfig {
  embeddingDim: number;
  hidden: number[];
  dropout: number;
}
/** Defaults: D = 8, MLP [200, 80]. */
export const DEEPFM_DEFAULTS: DeepFMConfig = { embeddingDim: 8, hidden: [200, 80], dropout: 0 };

/**
 * The DeepFM model; outputs `logit` and its parts `fm` and `deep` (all (B)).
 * @example
 * new DeepFM(new Rng(1), schema).apply(batch, { training: false }).fm; // (B)
 */
export class DeepFM extends Module implements RecModel {
  readonly name = 'deepfm';
  readonly config: DeepFMConfig;
  private readonly groups: FeatureGroups;
  private readonly emb: FeatureEmbedding;
  private readonly first: FeatureEmbedding;
  private readonly deep: MLP;

  constructor(rng: Rng, schema: Schema, config: Partial<DeepFMConfig> = {}) {
    super(rng);
    this.config = resolveConfig('deepfm', config, DEEPFM_DEFAULTS);
    const D = this.config.embeddingDim;
    this.groups = featureGroups(schema);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    this.first = this.module('first', new FeatureEmbedding(this.rng, schema, 1, 0));
    const F = this.groups.categorical.length + this.groups.lists.length;
    this.deep = this.module('deep', new MLP(this.rng, F * D + this.groups.denseDim, { hidden: this.config.hidden, dropout: this.config.dropout, outDim: 1 }));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const { fields, dense } = ctrInputs(this.emb, this.groups, batch); // (B, F, D)
    const sumSq = tf.square(tf.sum(fields, 1)); // (B, D)
    const sqSum = tf.sum(tf.square(fields), 1); // (B, D)
    const fm2 = tf.mul(0.5, tf.sum(tf.sub(sumSq, sqSum), 1)); // (B)
    const firstFields = ctrInputs(this.first, this.groups, batch).fields; // (B, F, 1)
    const fm1 = tf.sum(tf.reshape(firstFields, [firstFields.shape[0], -1]), 1); // (B)
    const flat = tf.reshape(fields, [fields.shape[0], -1]); // (B, F*D)
    const deep = tf.reshape(this.deep.apply(dense ? tf.concat([flat, dense], 1) : flat, training), [-1]); // (B)
    const fm = tf.add(fm1, fm2); // (B)
    return { logit: tf.add(fm, deep), fm, deep };
  }
}

/** Registry entry. */
export const deepfmSpec: ModelSpec<DeepFMConfig> = {
  name: 'deepfm',
  description: 'DeepFM (Guo et al. 2017): FM + deep MLP on shared field embeddings',
  defaults: DEEPFM_DEFAULTS,
  create: (rng, schema, config) => new DeepFM(rng, schema, config),
  task: 'ctr',
  loss: ctrLoss,
};
