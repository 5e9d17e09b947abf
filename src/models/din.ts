/**
 * DIN — Zhou et al., "Deep Interest Network for Click-Through Rate Prediction", KDD 2018, arXiv:1706.06978.
 * Implemented: target attention (the local activation unit, Eq. 3) of the candidate over the user's behaviour
 * sequence, un-normalised weights, padded positions masked; the attended interest is concatenated with the other
 * field embeddings and fed to the MLP tower:
 *   v_U(A) = sum_j a(e_j, v_A) e_j;   logit = MLP([v_U(A); e_fields; x_dense])
 * Each behaviour is the concatenation of the embeddings of its paired sequences (e.g. item id and category id),
 * the query the concatenation of the candidate's matching features (`sharesWith` in the schema).
 * Paper deviations: ReLU activations instead of PReLU/Dice, no mini-batch-aware regularisation (the trainer's weight
 * decay applies instead), the mean-pooled sequence is also fed to the tower (as in DeepCTR-style implementations).
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding, paddingMask } from '../layers/embedding.ts';
import { MLP } from '../layers/dense.ts';
import { TargetAttention } from '../layers/attention.ts';
import { featureGroups, type FeatureGroups } from '../layers/ctr-inputs.ts';
import type { Rng } from '../random.ts';
import { ctrLoss, resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** DIN hyper-parameters; defaults in `DIN_DEFAULTS`. */
export interface DINConfig {
  embeddingDim: number;
  /** Attention MLP widths (the local activation unit). */
  attentionHidden: number[];
  hidden: number[];
  dropout: number;
  /**
   * Behaviour sequences and the candidate feature each is matched with; empty = every sequence feature with
   * `sharesWith` in the schema. All listed sequences must have the same maxLen.
   */
  behaviours: Array<{ sequence: string; target: string }>;
}
/** Defaults: D = 8, attention MLP [36], tower [200, 80], pairs taken from the schema. */
export const DIN_DEFAULTS: DINConfig = { embeddingDim: 8, attentionHidden: [36], hidden: [200, 80], dropout: 0, behaviours: [] };

/**
 * The DIN model; outputs `logit` (B) and the attention weights `attention` (B, T).
 * @example
 * const din = new DIN(new Rng(1), schema); din.apply(batch, { training: false }).attention; // (B, T)
 */
export class DIN extends Module implements RecModel {
  readonly name = 'din';
  readonly config: DINConfig;
  private readonly groups: FeatureGroups;
  private readonly pairs: Array<{ sequence: string; target: string }>;
  private readonly others: string[];
  private readonly emb: FeatureEmbedding;
  private readonly attention: TargetAttention;
  private readonly tower: MLP;

  constructor(rng: Rng, schema: Schema, config: Partial<DINConfig> = {}) {
    super(rng);
    this.config = resolveConfig('din', config, DIN_DEFAULTS);
    const D = this.config.embeddingDim;
    this.groups = featureGroups(schema);
    this.pairs = this.config.behaviours.length
      ? this.config.behaviours
      : schema.features.flatMap((f) => (f.kind === 'sequence' && f.sharesWith ? [{ sequence: f.name, target: f.sharesWith }] : []));
    if (!this.pairs.length) throw new Error('din: the schema has no sequence feature with sharesWith and config.behaviours is empty');
    const lens = new Set(this.pairs.map((p) => {
      const f = schema.features.find((x) => x.name === p.sequence);
      if (!f || f.kind !== 'sequence') throw new Error(`din config: behaviours.sequence '${p.sequence}' is not a sequence feature`);
      return f.maxLen;
    }));
    if (lens.size > 1) throw new Error(`din config: behaviour sequences have different maxLen (${[...lens].join(', ')})`);
    this.others = this.groups.lists.filter((n) => !this.pairs.some((p) => p.sequence === n));
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    const P = this.pairs.length;
    this.attention = this.module('attention', new TargetAttention(this.rng, P * D, this.config.attentionHidden, 'relu'));
    const width = (this.groups.categorical.length + this.others.length) * D + 2 * P * D + this.groups.denseDim;
    this.tower = this.module('tower', new MLP(this.rng, width, { hidden: this.config.hidden, dropout: this.config.dropout, outDim: 1 }));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const B = batch[this.pairs[0].sequence].shape[0];
    const keys = tf.concat(this.pairs.map((p) => this.emb.tableOf(p.sequence).lookup(batch[p.sequence])), 2); // (B, T, P*D)
    const query = tf.concat(this.pairs.map((p) => this.emb.tableOf(p.target).lookup(batch[p.target])), 1); // (B, P*D)
    const mask = paddingMask(batch[this.pairs[0].sequence]); // (B, T)
    const weights = this.attention.weights(query, keys, mask); // (B, T)
    const interest = tf.sum(tf.mul(keys, tf.expandDims(weights, 2)), 1); // (B, P*D)
    const count = tf.maximum(tf.sum(mask, 1, true), 1); // (B, 1)
    const meanHist = tf.div(tf.sum(tf.mul(keys, tf.expandDims(mask, 2)), 1), count); // (B, P*D)
    const parts: Tensor[] = [interest, meanHist, tf.reshape(this.emb.fields(batch, this.groups.categorical), [B, -1])]; // (B, Fc*D)
    for (const n of this.others) parts.push(this.emb.pooled(batch, n)); // (B, D) each
    for (const n of this.groups.dense) parts.push(batch[n]); // (B, dim) each
    const logit = tf.reshape(this.tower.apply(tf.concat(parts, 1), training), [-1]); // (B)
    return { logit, attention: weights };
  }
}

/** Registry entry. */
export const dinSpec: ModelSpec<DINConfig> = {
  name: 'din',
  description: 'DIN (Zhou et al. 2018): target attention over the behaviour sequence',
  defaults: DIN_DEFAULTS,
  create: (rng, schema, config) => new DIN(rng, schema, config),
  task: 'ctr',
  loss: ctrLoss,
};
