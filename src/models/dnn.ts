/**
 * DNN (embedding + MLP) — the plain deep CTR baseline (e.g. Covington et al., RecSys 2016, YouTube DNN ranking tower).
 * Implemented: field embeddings of every categorical feature, mean-pooled list features as extra fields, dense
 * features, all concatenated into an MLP with one logit.
 *   logit = MLP([e_1; ...; e_F; x_dense])
 * Deviations: none beyond the choice of pooling (masked mean) for sequences.
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

/** DNN hyper-parameters; defaults in `DNN_DEFAULTS`. */
export interface DNNConfig {
  embeddingDim: number;
  hidden: number[];
  dropout: number;
}
/** Defaults: D = 8, MLP [200, 80] (DIN paper's tower), no dropout. */
export const DNN_DEFAULTS: DNNConfig = { embeddingDim: 8, hidden: [200, 80], dropout: 0 };

/**
 * The DNN baseline.
 * @example
 * const m = new DNN(new Rng(1), schema, { embeddingDim: 8 }); m.apply(batch, { training: true }).logit; // (B)
 */
export class DNN extends Module implements RecModel {
  readonly name = 'dnn';
  readonly config: DNNConfig;
  private readonly groups: FeatureGroups;
  private readonly emb: FeatureEmbedding;
  private readonly tower: MLP;

  constructor(rng: Rng, schema: Schema, config: Partial<DNNConfig> = {}) {
    super(rng);
    this.config = resolveConfig('dnn', config, DNN_DEFAULTS);
    const D = this.config.embeddingDim;
    this.groups = featureGroups(schema);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    const F = this.groups.categorical.length + this.groups.lists.length;
    this.tower = this.module('tower', new MLP(this.rng, F * D + this.groups.denseDim, { hidden: this.config.hidden, dropout: this.config.dropout, outDim: 1 }));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const { fields, dense } = ctrInputs(this.emb, this.groups, batch); // (B, F, D), (B, Dd)
    const flat = tf.reshape(fields, [fields.shape[0], -1]); // (B, F*D)
    const x = dense ? tf.concat([flat, dense], 1) : flat; // (B, F*D + Dd)
    return { logit: tf.reshape(this.tower.apply(x, training), [-1]) }; // (B)
  }
}

/** Registry entry. */
export const dnnSpec: ModelSpec<DNNConfig> = {
  name: 'dnn',
  description: 'DNN: field embeddings + MLP (sequences mean-pooled)',
  defaults: DNN_DEFAULTS,
  create: (rng, schema, config) => new DNN(rng, schema, config),
  task: 'ctr',
  loss: ctrLoss,
};
