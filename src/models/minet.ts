/**
 * MiNet — Ouyang et al., "MiNet: Mixed Interest Network for Cross-Domain Click-Through Rate Prediction", CIKM 2020,
 * arXiv:2008.02974; official code github.com/oywtece/minet (`minet_para_tune.py`, commit 13354c3). Spec:
 * ../shared/papers/minet.md §3.
 * Implemented (one shared embedding table per feature, k = embeddingDim):
 *   item-level, target:  a_j = v1ᵀ ReLU(V1 [r_j; q; u; r_j ⊙ q]),  α = softmax_j(a),  p_t = Σ_j α_j r_j
 *   item-level, source:  M = H_a H_b (D2 x rank x D1),  b_j = v2ᵀ ReLU(V2 [s_j; q; u; (s_j M) ⊙ q]),  p_s = Σ_j β_j s_j
 *   interest-level:      z = [q; u; p_t; p_s],  w_c = exp(h_cᵀ ReLU(W_c z) + b_c) for c in {u, t, s} (b_u = 1, b_t = b_s = 0)
 *   target tower:        logit = MLP([q; w_u u; w_t p_t; w_s p_s]);   source tower: srcLogit = MLP([e_src; u])
 *   loss:                BCE(logit, y_t) + w2 BCE(srcLogit, y_s)   (`crossDomainLoss`)
 * V1 and V2 are applied without building the (B, N, 3D+Du) input: with V split into row blocks [V_r; V_q; V_u; V_x],
 * [k; q; u; c ⊙ q] V = k V_r + c (diag(q) V_x) + q V_q + u V_u — the same function and parameters.
 * Switches for the ablations: `itemAttention` false = masked mean pooling; `interestAttention` false = all w_c = 1;
 * `useLong` / `useShortTarget` / `useShortSource` false remove u / p_t / p_s from the target tower, from z and (for u)
 * from the item-level attention inputs (the source tower keeps u: it is the auxiliary task's own input).
 * Reference deviation: padded history positions are masked (−∞ before the softmax, weight 0 after it, so a user with
 * no history gets p = 0); the released code gives padding softmax mass (spec §7.1).
 * The user embedding u carries an L2 penalty (`userL2`, default USER_L2 = 1 chosen on validation, issue 15: u overfits on the world's
 * ~12 training ad rows per user), returned as the `penalty` output in training and added by `crossDomainLoss`.
 * Paper deviations: no regulariser on u in the released code; the exponent of w_c is clipped to [−30, 30] (finite weights; the released code uses raw exp);
 * `interestWeights: 'softmax'` normalises w over the interests instead (spec §6 flag); the towers' dense layers have
 * biases (the code has none); the target and source losses read the same rows (see cross-domain-dnn.ts).
 */
import { tf } from '../tf.ts';
import type { Tensor, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding, paddingMask } from '../layers/embedding.ts';
import { MLP } from '../layers/dense.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';
import { USER_L2, crossDomainFields, crossDomainLoss, userPenalty, type CrossDomainFields } from './cross-domain-dnn.ts';

/** MiNet hyper-parameters and ablation switches; defaults in `MINET_DEFAULTS`. */
export interface MiNetConfig {
  /** k of the shared embedding table. */
  embeddingDim: number;
  /** Width of V1 / V2 (64 in the code). */
  attentionHidden: number;
  /** Width of W_c (64 in the code). */
  interestHidden: number;
  /** Inner dimension of the low-rank transfer matrix M = H_a H_b (10 in the code). */
  transferRank: number;
  hidden: number[];
  sourceHidden: number[];
  /** w2 of the auxiliary source loss. */
  sourceWeight: number;
  /** 'exp' (released code, not normalised) or 'softmax' over the interests. */
  interestWeights: 'exp' | 'softmax';
  itemAttention: boolean;
  interestAttention: boolean;
  useLong: boolean;
  useShortTarget: boolean;
  useShortSource: boolean;
  /** L2 weight on the batch's user embeddings (cross-domain-dnn.ts `USER_L2` = 1; 0 = none, as the released code). */
  userL2: number;
}
/** Defaults: the released code's sizes (k 10, attention 64, interest 64, rank 10, towers [256, 128], w2 1.0), everything on, userL2 1 (issue 15, chosen on validation: cross-domain-dnn.ts USER_L2). */
export const MINET_DEFAULTS: MiNetConfig = {
  embeddingDim: 10, attentionHidden: 64, interestHidden: 64, transferRank: 10, hidden: [256, 128], sourceHidden: [256, 128],
  sourceWeight: 1, interestWeights: 'exp', itemAttention: true, interestAttention: true, useLong: true, useShortTarget: true, useShortSource: true,
  userL2: USER_L2,
};

/** Item-level attention of one history: weights over its positions given the target item (and user). */
class ItemAttention extends Module {
  private readonly vKey: Variable;
  private readonly vQuery: Variable;
  private readonly vUser: Variable | null;
  private readonly vCross: Variable;
  private readonly v: Variable;
  private readonly hA: Variable | null;
  private readonly hB: Variable | null;

  constructor(rng: Rng, readonly dKey: number, dQuery: number, dUser: number, hidden: number, rank: number) {
    super(rng);
    this.vKey = this.param('vKey', [dKey, hidden], 'glorot'); // V_r (or V2's s-block)
    this.vQuery = this.param('vQuery', [dQuery, hidden], 'glorot');
    this.vUser = dUser > 0 ? this.param('vUser', [dUser, hidden], 'glorot') : null;
    this.vCross = this.param('vCross', [dQuery, hidden], 'glorot');
    this.v = this.param('v', [hidden, 1], 'glorot');
    this.hA = rank > 0 ? this.param('transferA', [dKey, rank], 'glorot') : null;
    this.hB = rank > 0 ? this.param('transferB', [rank, dQuery], 'glorot') : null;
  }

  /** keys (B, N, dKey), q (B, dQ), u (B, dU) or null, mask (B, N) -> weights (B, N), zero on padding. */
  weights(keys: Tensor, q: Tensor, u: Tensor | null, mask: Tensor): Tensor {
    const [B, N] = keys.shape as [number, number, number];
    const flat = tf.reshape(keys, [B * N, this.dKey]) as Tensor2D; // (B*N, dK)
    const cross = this.hA && this.hB ? tf.reshape(tf.matMul(tf.matMul(flat, this.hA as Tensor2D), this.hB as Tensor2D), [B, N, -1]) : keys; // (B, N, dQ): s_j M or r_j
    const qCross = tf.mul(tf.expandDims(q, 2), this.vCross); // (B, dQ, H): diag(q) V_x
    let rowPart = tf.matMul(q as Tensor2D, this.vQuery as Tensor2D); // (B, H)
    if (u && this.vUser) rowPart = tf.add(rowPart, tf.matMul(u as Tensor2D, this.vUser as Tensor2D)); // (B, H)
    const keyPart = tf.reshape(tf.matMul(flat, this.vKey as Tensor2D), [B, N, -1]); // (B, N, H)
    const h = tf.relu(tf.add(tf.add(keyPart, tf.matMul(cross as Tensor3D, qCross as Tensor3D)), tf.expandDims(rowPart, 1))); // (B, N, H)
    const a = tf.reshape(tf.matMul(tf.reshape(h, [B * N, -1]) as Tensor2D, this.v as Tensor2D), [B, N]); // (B, N)
    const masked = tf.add(a, tf.mul(tf.sub(1, mask), -1e9)); // (B, N): padding -> -inf
    return tf.mul(tf.softmax(masked), mask); // (B, N); an all-padding row gets 0 everywhere
  }
}

/** Masked mean pooling weights (the `itemAttention: false` ablation): (B, N). */
function meanWeights(mask: Tensor): Tensor {
  return tf.div(mask, tf.maximum(tf.sum(mask, 1, true), 1)); // (B, N)
}

/**
 * The MiNet model; outputs `logit` (B), `srcLogit` (B), the interest weights `wLong` / `wShortTarget` / `wShortSource`
 * (B, those in use) and the item-level weights `alpha` (B, N1) / `beta` (B, N2) (those in use).
 * @example
 * const m = new MiNet(new Rng(1), world.train.schema, { embeddingDim: 8 });
 * m.apply(batch, { training: false }).wShortSource; // (B)
 */
export class MiNet extends Module implements RecModel {
  readonly name = 'minet';
  readonly config: MiNetConfig;
  private readonly f: CrossDomainFields;
  private readonly emb: FeatureEmbedding;
  private readonly attT: ItemAttention | null;
  private readonly attS: ItemAttention | null;
  private readonly wInterest: Variable | null;
  private readonly hInterest: Variable | null;
  private readonly bInterest: Variable | null;
  private readonly interests: Array<'long' | 'shortTarget' | 'shortSource'>;
  private readonly tower: MLP;
  private readonly sourceTower: MLP;

  constructor(rng: Rng, schema: Schema, config: Partial<MiNetConfig> = {}) {
    super(rng);
    const c = (this.config = resolveConfig('minet', config, MINET_DEFAULTS));
    this.f = crossDomainFields(schema);
    const k = c.embeddingDim;
    const D1 = k * this.f.targetItem.length;
    const D2 = k * this.f.sourceItem.length;
    const Du = c.useLong ? k : 0;
    this.interests = [...(c.useLong ? ['long' as const] : []), ...(c.useShortTarget ? ['shortTarget' as const] : []), ...(c.useShortSource ? ['shortSource' as const] : [])];
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, k));
    this.attT = c.useShortTarget && c.itemAttention ? this.module('itemAttTarget', new ItemAttention(this.rng, D1, D1, Du, c.attentionHidden, 0)) : null;
    this.attS = c.useShortSource && c.itemAttention ? this.module('itemAttSource', new ItemAttention(this.rng, D2, D1, Du, c.attentionHidden, c.transferRank)) : null;
    const zDim = D1 + Du + (c.useShortTarget ? D1 : 0) + (c.useShortSource ? D2 : 0);
    const C = this.interests.length;
    const attend = c.interestAttention && C > 0;
    this.wInterest = attend ? this.param('interestW', [zDim, C * c.interestHidden], 'glorot') : null; // W_u, W_t, W_s side by side
    this.hInterest = attend ? this.param('interestH', [C, c.interestHidden], 'glorot') : null;
    this.bInterest = attend ? this.param('interestB', [C], 'zeros') : null;
    const bInit = this.bInterest;
    if (bInit && c.useLong) tf.tidy(() => bInit.assign(tf.tensor1d(this.interests.map((x) => (x === 'long' ? 1 : 0))))); // b_u = 1.0
    this.tower = this.module('tower', new MLP(this.rng, zDim, { hidden: c.hidden, outDim: 1 }));
    this.sourceTower = this.module('sourceTower', new MLP(this.rng, D2 + k, { hidden: c.sourceHidden, outDim: 1 }));
  }

  /** The source tower alone on a batch of source rows (user and source-item fields): logits (B). */
  sourceLogit(batch: TensorBatch, training: boolean): Tensor {
    const f = this.f;
    const B = batch[f.user].shape[0];
    const u = this.emb.tableOf(f.user).lookup(batch[f.user]); // (B, k)
    const eSrc = tf.reshape(this.emb.fields(batch, f.sourceItem), [B, -1]); // (B, D2)
    return tf.reshape(this.sourceTower.apply(tf.concat([eSrc, u], 1), training), [-1]); // (B)
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const c = this.config;
    const f = this.f;
    const B = batch[f.user].shape[0];
    const uAll = this.emb.tableOf(f.user).lookup(batch[f.user]); // (B, k)
    const u = c.useLong ? uAll : null;
    const q = tf.reshape(this.emb.fields(batch, f.targetItem), [B, -1]); // (B, D1)
    const out: ModelOutputs = {};
    const parts: Record<string, Tensor> = {};
    if (u) parts.long = u;
    if (c.useShortTarget) {
      const r = tf.concat(f.targetHistory.map((n) => this.emb.tableOf(n).lookup(batch[n])), 2); // (B, N1, D1)
      const mask = paddingMask(batch[f.targetHistory[0]]); // (B, N1)
      const alpha = this.attT ? this.attT.weights(r, q, u, mask) : meanWeights(mask); // (B, N1)
      parts.shortTarget = tf.sum(tf.mul(r, tf.expandDims(alpha, 2)), 1); // p_t (B, D1)
      out.alpha = alpha;
    }
    if (c.useShortSource) {
      const s = tf.concat(f.sourceHistory.map((n) => this.emb.tableOf(n).lookup(batch[n])), 2); // (B, N2, D2)
      const mask = paddingMask(batch[f.sourceHistory[0]]); // (B, N2)
      const beta = this.attS ? this.attS.weights(s, q, u, mask) : meanWeights(mask); // (B, N2)
      parts.shortSource = tf.sum(tf.mul(s, tf.expandDims(beta, 2)), 1); // p_s (B, D2)
      out.beta = beta;
    }
    const z = tf.concat([q, ...this.interests.map((x) => parts[x])], 1); // (B, |z|)
    let m = z;
    if (this.wInterest && this.hInterest && this.bInterest) {
      const C = this.interests.length;
      const h = tf.reshape(tf.relu(tf.matMul(z as Tensor2D, this.wInterest as Tensor2D)), [B, C, -1]); // (B, C, H)
      const e = tf.add(tf.sum(tf.mul(h, this.hInterest), 2), this.bInterest); // (B, C): h_cᵀ ReLU(W_c z) + b_c
      const w = c.interestWeights === 'exp' ? tf.exp(tf.clipByValue(e, -30, 30)) : tf.softmax(e); // (B, C)
      const ws = tf.unstack(w, 1); // C x (B)
      this.interests.forEach((x, i) => (out[`w${x[0].toUpperCase()}${x.slice(1)}`] = ws[i]));
      m = tf.concat([q, ...this.interests.map((x, i) => tf.mul(parts[x], tf.expandDims(ws[i], 1)))], 1); // (B, |z|): [q; w_u u; w_t p_t; w_s p_s]
    }
    out.logit = tf.reshape(this.tower.apply(m, training), [-1]); // (B)
    const eSrc = tf.reshape(this.emb.fields(batch, f.sourceItem), [B, -1]); // (B, D2)
    out.srcLogit = tf.reshape(this.sourceTower.apply(tf.concat([eSrc, uAll], 1), training), [-1]); // (B)
    const penalty = userPenalty(uAll, c.userL2, training);
    if (penalty) out.penalty = penalty;
    return out;
  }
}

/** Registry entry (loss with w2 = 1.0; pipelines pass the config's weight to `crossDomainLoss`). */
export const minetSpec: ModelSpec<MiNetConfig> = {
  name: 'minet',
  description: 'MiNet (Ouyang et al. 2020): item- and interest-level attention over long-term, short-term source and target interests',
  defaults: MINET_DEFAULTS,
  create: (rng, schema, config) => new MiNet(rng, schema, config),
  task: 'cross-domain-ctr',
  loss: (label) => crossDomainLoss(label, MINET_DEFAULTS.sourceWeight),
};
