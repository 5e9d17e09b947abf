/**
 * CoNet — Hu, Zhang, Yang, "CoNet: Collaborative Cross Networks for Cross-Domain Recommendation", CIKM 2018,
 * arXiv:1804.06769. A cross-domain CTR baseline proposed by MiNet's spec (§5).
 * Implemented: two base networks, one per domain, on [shared user embedding; item embedding], joined by cross
 * connections with a transfer matrix H^l shared by both directions (the paper's Eq. 2):
 *   a_t^{l+1} = ReLU(W_t^l a_t^l + H^l a_s^l),   a_s^{l+1} = ReLU(W_s^l a_s^l + H^l a_t^l)
 *   logit_t = w_tᵀ a_t^L,  logit_s = w_sᵀ a_s^L,   L = BCE_t + w2 BCE_s  (`crossDomainLoss`)
 * The first layer maps each domain's input to the common width without a cross connection (the inputs differ in width).
 * Paper deviations: the inputs also hold the mean-pooled history of the own domain (the paper uses ids only), so the
 * comparison with DNN/DIN/MiNet isolates the cross connections rather than the missing histories; the joint examples
 * are the rows' paired (target, source) impressions of the same user; no L2 penalty on H (the trainer's weight decay
 * applies instead).
 */
import { tf } from '../tf.ts';
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding } from '../layers/embedding.ts';
import { Dense } from '../layers/dense.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';
import { crossDomainFields, crossDomainLoss, pooledHistory, type CrossDomainFields } from './cross-domain-dnn.ts';

/** CoNet hyper-parameters; defaults in `CONET_DEFAULTS`. */
export interface CoNetConfig {
  embeddingDim: number;
  /** Widths of the base networks' hidden layers (cross connections between consecutive ones). */
  hidden: number[];
  sourceWeight: number;
}
/** Defaults: D 10, hidden [128, 64, 32] (three layers, two cross connections), w2 1.0. */
export const CONET_DEFAULTS: CoNetConfig = { embeddingDim: 10, hidden: [128, 64, 32], sourceWeight: 1 };

/**
 * The CoNet model; outputs `logit` (B, target) and `srcLogit` (B, source).
 * @example
 * new CoNet(new Rng(1), world.train.schema).apply(batch, { training: true }).logit; // (B)
 */
export class CoNet extends Module implements RecModel {
  readonly name = 'conet';
  readonly config: CoNetConfig;
  private readonly f: CrossDomainFields;
  private readonly emb: FeatureEmbedding;
  private readonly target: Dense[] = [];
  private readonly source: Dense[] = [];
  private readonly cross: Variable[] = [];
  private readonly outT: Dense;
  private readonly outS: Dense;

  constructor(rng: Rng, schema: Schema, config: Partial<CoNetConfig> = {}) {
    super(rng);
    this.config = resolveConfig('conet', config, CONET_DEFAULTS);
    const { hidden, embeddingDim: D } = this.config;
    if (!hidden.length) throw new Error('conet config: hidden must have at least one layer');
    this.f = crossDomainFields(schema);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    const inT = D * (1 + 2 * this.f.targetItem.length);
    const inS = D * (1 + 2 * this.f.sourceItem.length);
    hidden.forEach((h, l) => {
      const prev = l === 0 ? [inT, inS] : [hidden[l - 1], hidden[l - 1]];
      this.target.push(this.module(`target${l}`, new Dense(this.rng, prev[0], h, 'linear')));
      this.source.push(this.module(`source${l}`, new Dense(this.rng, prev[1], h, 'linear')));
      if (l > 0) this.cross.push(this.param(`cross${l}`, [hidden[l - 1], h], 'glorot')); // H^l
    });
    this.outT = this.module('outTarget', new Dense(this.rng, hidden[hidden.length - 1], 1));
    this.outS = this.module('outSource', new Dense(this.rng, hidden[hidden.length - 1], 1));
  }

  apply(batch: TensorBatch, { training: _training }: { training: boolean }): ModelOutputs {
    const f = this.f;
    const B = batch[f.user].shape[0];
    const u = this.emb.tableOf(f.user).lookup(batch[f.user]); // (B, D)
    const q = tf.reshape(this.emb.fields(batch, f.targetItem), [B, -1]); // (B, D1)
    const e = tf.reshape(this.emb.fields(batch, f.sourceItem), [B, -1]); // (B, D2)
    let at: Tensor = tf.relu(this.target[0].apply(tf.concat([u, q, pooledHistory(this.emb, batch, f.targetHistory)], 1))); // (B, h0)
    let as: Tensor = tf.relu(this.source[0].apply(tf.concat([u, e, pooledHistory(this.emb, batch, f.sourceHistory)], 1))); // (B, h0)
    for (let l = 1; l < this.target.length; l++) {
      const H = this.cross[l - 1] as Tensor2D;
      const nt = tf.relu(tf.add(this.target[l].apply(at), tf.matMul(as as Tensor2D, H))); // (B, h_l): W_t a_t + H a_s
      const ns = tf.relu(tf.add(this.source[l].apply(as), tf.matMul(at as Tensor2D, H))); // (B, h_l): W_s a_s + H a_t
      at = nt;
      as = ns;
    }
    return { logit: tf.reshape(this.outT.apply(at), [-1]), srcLogit: tf.reshape(this.outS.apply(as), [-1]) }; // (B), (B)
  }
}

/** Registry entry (loss with w2 = 1.0; pipelines pass the config's weight to `crossDomainLoss`). */
export const conetSpec: ModelSpec<CoNetConfig> = {
  name: 'conet',
  description: 'CoNet (Hu et al. 2018): two base networks with shared-matrix cross connections, joint loss',
  defaults: CONET_DEFAULTS,
  create: (rng, schema, config) => new CoNet(rng, schema, config),
  task: 'cross-domain-ctr',
  loss: (label) => crossDomainLoss(label, CONET_DEFAULTS.sourceWeight),
};
