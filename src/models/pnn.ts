/**
 * PNN (inner-product variant, IPNN) — Qu et al., "Product-based Neural Networks for User Response Prediction",
 * ICDM 2016, arXiv:1611.00144. Implemented: the product layer's linear signal z (the field embeddings) and the
 * pairwise inner products p_ij = <e_i, e_j> of every field pair, concatenated into the MLP:
 *   logit = MLP([e_1; ...; e_F; p_12; p_13; ...; p_(F-1)F; x_dense])
 * Used as one of GME's five backbones (spec ../shared/papers/gme.md §6 Proposal).
 * Paper deviation: the product layer's learned projections of z and p (l_z = W_z ⊙ z, l_p = W_p ⊙ p) are folded into
 * the MLP's first layer (a linear map of [z; p] is the same family); list features enter as mean-pooled fields.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding } from '../layers/embedding.ts';
import { MLP } from '../layers/dense.ts';
import { ctrInputs, featureGroups, type FeatureGroups } from '../layers/ctr-inputs.ts';
import type { Rng } from '../random.ts';
import { ctrLoss, resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** PNN hyper-parameters; defaults in `PNN_DEFAULTS`. */
export interface PNNConfig {
  embeddingDim: number;
  hidden: number[];
  dropout: number;
}
/** Defaults: D = 8, MLP [200, 80], no dropout. */
export const PNN_DEFAULTS: PNNConfig = { embeddingDim: 8, hidden: [200, 80], dropout: 0 };

/**
 * The PNN head over given field embeddings: fields (B, F, D), dense (B, Dd) or null -> logit (B).
 * @example
 * new PNNHead(rng, 5, 8, 0, { hidden: [32] }).apply(fields, null, false); // (B)
 */
export class PNNHead extends Module {
  private readonly mlp: MLP;
  /** One-hot selection (F·F, P) of the upper-triangle pairs i < j, as host values. */
  private readonly select: Float32Array | null;
  private readonly nPairs: number;
  constructor(rng: Rng, readonly fields: number, readonly dim: number, denseDim: number, config: Pick<PNNConfig, 'hidden' | 'dropout'>) {
    super(rng);
    this.nPairs = (fields * (fields - 1)) / 2;
    this.select = this.nPairs ? new Float32Array(fields * fields * this.nPairs) : null;
    let k = 0;
    for (let i = 0; i < fields; i++) for (let j = i + 1; j < fields; j++) (this.select as Float32Array)[(i * fields + j) * this.nPairs + k++] = 1;
    this.mlp = this.module('mlp', new MLP(this.rng, fields * dim + this.nPairs + denseDim, { hidden: config.hidden, dropout: config.dropout, outDim: 1 }));
  }
  apply(fields: Tensor, dense: Tensor | null, training: boolean): Tensor {
    const B = fields.shape[0];
    const parts = [tf.reshape(fields, [B, -1])]; // (B, F*D)
    if (this.select) {
      // p_ij = <e_i, e_j> for i < j: all inner products, then a fixed selection matmul (exact second-order gradients in
      // tfjs, which a gather along axis 1 does not give).
      const F = this.fields;
      const gram = tf.reshape(tf.matMul(fields, fields, false, true), [B, F * F]); // (B, F*F)
      parts.push(tf.matMul(gram, tf.tensor2d(this.select, [F * F, this.nPairs]))); // (B, P)
    }
    if (dense) parts.push(dense); // (B, Dd)
    return tf.reshape(this.mlp.apply(tf.concat(parts, 1), training), [-1]); // (B)
  }
}

/**
 * The PNN model (IPNN).
 * @example
 * new PNN(new Rng(1), schema).apply(batch, { training: false }).logit; // (B)
 */
export class PNN extends Module implements RecModel {
  readonly name = 'pnn';
  readonly config: PNNConfig;
  private readonly groups: FeatureGroups;
  private readonly emb: FeatureEmbedding;
  private readonly head: PNNHead;

  constructor(rng: Rng, schema: Schema, config: Partial<PNNConfig> = {}) {
    super(rng);
    this.config = resolveConfig('pnn', config, PNN_DEFAULTS);
    const D = this.config.embeddingDim;
    this.groups = featureGroups(schema);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    const F = this.groups.categorical.length + this.groups.lists.length;
    this.head = this.module('head', new PNNHead(this.rng, F, D, this.groups.denseDim, this.config));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const { fields, dense } = ctrInputs(this.emb, this.groups, batch); // (B, F, D), (B, Dd)
    return { logit: this.head.apply(fields, dense, training) }; // (B)
  }
}

/** Registry entry. */
export const pnnSpec: ModelSpec<PNNConfig> = {
  name: 'pnn',
  description: 'PNN (Qu et al. 2016, inner product): field embeddings + pairwise inner products + MLP',
  defaults: PNN_DEFAULTS,
  create: (rng, schema, config) => new PNN(rng, schema, config),
  task: 'ctr',
  loss: ctrLoss,
};
