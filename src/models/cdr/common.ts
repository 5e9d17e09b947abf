/**
 * Shared pieces of the cross-domain ranking models (UniCDR, UniCDR+, BPR-MF, shared-embedding, EMCDR, PTUPCDR):
 * prepared histories (with EASE item-similarity scores), host batches -> tensors, the model base class and the losses.
 *
 * Id conventions: item ids in batches are shifted +1 (0 = padding), as in the UniCDR code (`utils/data.py`); user ids
 * are global (one id space over all domains, so "the same user" is the same row in a shared table). Contexts are
 * right-aligned (the most recent item at position L-1, padding first) so a sequence aggregator reads the last
 * position. Losses: UniCDR-style models train with BCE over the positive and the sampled negatives (the UniCDR code);
 * the MF baselines with BPR (softplus of the negative's margin, averaged over the sampled negatives).
 */
import { tf } from '../../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { Module } from '../../layers/module.ts';
import type { CdrData } from '../../worlds/multi-domain-world.ts';

/** Histories of every user in every domain plus EASE context scores, built once per data set. */
export interface CdrPrep {
  data: CdrData;
  /** Context length L per domain in training. */
  maxLen: number;
  /**
   * Context length at evaluation (the UniCDR code: 100 for multi-user-intra, 50 elsewhere; `maxLen` when not given).
   * Scoring builds contexts of this length; a sequence encoder reads their last `maxLen` positions.
   */
  testMaxLen: number;
  /** hist[d].get(u) = u's training items in d, time order (0-based ids). */
  hist: Array<Map<number, Int32Array>>;
  /** EASE score of each history item (aligned with hist), or null when not computed. */
  ease: Array<Map<number, Float32Array>> | null;
}

/** A host batch of one domain: B rows, C candidates each (column 0 the positive during training). */
export interface HostBatch {
  domain: number;
  B: number;
  C: number;
  /** Context length of `ctx` (prep.maxLen in training, prep.testMaxLen at evaluation). */
  L: number;
  users: Int32Array;
  /** (B, C) candidate item ids + 1. */
  items: Int32Array;
  /** (B, D, L) context item ids + 1 per domain (0 = pad), right-aligned. */
  ctx: Int32Array;
  /** (B, D, L) global ids + 1 of the same items. */
  gctx: Int32Array;
  /** (B, D, L) per-item EASE scores (1 when EASE is off). */
  ctxScore: Float32Array;
  segment: Int32Array;
  /** (B) second behaviour of the positive (training only; 0 otherwise). */
  longView: Float32Array;
}

/** Tensors of a `HostBatch` (same names and shapes). */
export interface CdrBatch {
  domain: number;
  users: Tensor; // (B) int32
  items: Tensor; // (B, C) int32
  ctx: Tensor; // (B, D, L) int32
  gctx: Tensor; // (B, D, L) int32
  ctxScore: Tensor; // (B, D, L)
  segment: Tensor; // (B) int32
  longView: Tensor; // (B)
}

/** Training state a loss may read (warm-up depends on the epoch). */
export interface CdrStepState {
  epoch: number;
  /**
   * Per batch (in the order of the loss's batches), int32 (n): the shift r in [1, B) that pairs user i with user
   * (i + r) mod B as a negative in UniCDR's critic. Drawn by the trainer so that a compiled step reads it as an
   * input; absent, the model draws it itself.
   */
  criticShift?: Tensor;
}

/**
 * Base of every CDR ranking model: a Module with a training loss over one batch per domain and a scorer.
 * @example
 * const loss = model.loss(batches, { epoch: 1 }); const s = model.score(batch); // (B, C)
 */
export abstract class CdrModel extends Module {
  /** Display name. */
  abstract readonly name: string;
  /** Sum of the per-domain losses on one batch per domain (training mode). */
  abstract loss(batches: CdrBatch[], state: CdrStepState): Scalar;
  /**
   * What of the step state the loss's computation (not its input values) depends on, as a string: a compiled training
   * step is traced anew when it changes. The default, the epoch, is always safe; a model whose loss reads less says so.
   * @example
   * model.stepKey({ epoch: 3 }); // 'epoch 3'
   */
  stepKey(state: CdrStepState): string {
    return `epoch ${state.epoch}`;
  }
  /** Scores (B, C) of a batch's candidates (inference mode). */
  abstract score(batch: CdrBatch): Tensor;
}

/**
 * Builds histories (time order) and, when `ease` is set, the EASE context scores of spec §3.1.
 * @example
 * const prep = prepareCdr(world, { maxLen: 10, ease: { lambda: 50, threshold: 0.1 } });
 */
export function prepareCdr(data: CdrData, options: { maxLen: number; testMaxLen?: number; ease?: { lambda: number; threshold: number } | null }): CdrPrep {
  const hist = data.domains.map((dom) => {
    const lists = new Map<number, number[]>();
    for (let n = 0; n < dom.train.users.length; n++) {
      const u = dom.train.users[n];
      let l = lists.get(u);
      if (!l) lists.set(u, (l = []));
      l.push(dom.train.items[n]);
    }
    return new Map([...lists].map(([u, l]) => [u, Int32Array.from(l)]));
  });
  const ease = options.ease ? data.domains.map((dom, d) => easeContextScores(hist[d], dom.nItems, options.ease as { lambda: number; threshold: number })) : null;
  return { data, maxLen: options.maxLen, testMaxLen: options.testMaxLen ?? options.maxLen, hist, ease };
}

/**
 * EASE (Steck, WWW 2019): B = I - P diag(1/diag P), P = (XᵀX + λI)⁻¹, diag B = 0. As in UniCDR's GraphMaker, entries
 * below `threshold` are zeroed and rows normalised to sum 1. A history item j of user u scores
 * s_j = Σ_{k ∈ C(u), k ≠ j} B̃[k, j] (how well the rest of the history predicts it).
 * Paper deviation: the per-item score definition is ours (the spec gives only "EASE similarity").
 * @example
 * const scores = easeContextScores(prep.hist[0], 1000, { lambda: 50, threshold: 0.1 });
 */
export function easeContextScores(hist: Map<number, Int32Array>, nItems: number, o: { lambda: number; threshold: number }): Map<number, Float32Array> {
  const n = nItems;
  const G = new Float64Array(n * n);
  for (const items of hist.values()) for (const a of items) for (const b of items) G[a * n + b] += 1;
  for (let i = 0; i < n; i++) G[i * n + i] += o.lambda;
  const P = invertSpd(G, n);
  const Bt = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let j = 0; j < n; j++) {
      const b = i === j ? 0 : -P[i * n + j] / P[j * n + j];
      const v = b >= o.threshold ? b : 0;
      Bt[i * n + j] = v;
      rowSum += v;
    }
    if (rowSum > 0) for (let j = 0; j < n; j++) Bt[i * n + j] /= rowSum;
  }
  const out = new Map<number, Float32Array>();
  for (const [u, items] of hist) out.set(u, Float32Array.from(items, (j) => items.reduce((s, k) => (k === j ? s : s + Bt[k * n + j]), 0)));
  return out;
}

/** In-place Gauss-Jordan inverse of a symmetric positive-definite n×n matrix (no pivoting needed). */
function invertSpd(A: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A);
  for (let k = 0; k < n; k++) {
    const p = a[k * n + k];
    a[k * n + k] = 1;
    for (let j = 0; j < n; j++) a[k * n + j] /= p;
    for (let r = 0; r < n; r++) {
      if (r === k) continue;
      const f = a[r * n + k];
      if (f === 0) continue;
      a[r * n + k] = 0;
      const ro = r * n;
      const ko = k * n;
      for (let j = 0; j < n; j++) a[ro + j] -= f * a[ko + j];
    }
  }
  return a;
}

/**
 * Fills a host batch. `exclude[b]` (0-based) is left out of the own-domain context (the training positive);
 * `maskRate` drops context items at random (interaction masking); `domainMask[b]` pads the own-domain context
 * (cold users at test time; optional random cold-start simulation in training). `maxLen` overrides the context length
 * (default `prep.maxLen`; evaluation passes `prep.testMaxLen`). The shared branch's own-domain padding in training
 * (the UniCDR code's domain masking) happens in the model, which sees the whole (B, D, L) context.
 * @example
 * const hb = hostBatch(prep, 0, users, items, 1000, { rng });
 */
export function hostBatch(
  prep: CdrPrep, domain: number, users: ArrayLike<number>, items: ArrayLike<number>, C: number,
  o: { exclude?: ArrayLike<number>; maskRate?: number; domainMask?: ArrayLike<boolean>; rand?: () => number; longView?: ArrayLike<number>; maxLen?: number } = {},
): HostBatch {
  const B = users.length;
  const D = prep.data.domains.length;
  const L = o.maxLen ?? prep.maxLen;
  const hb: HostBatch = {
    domain, B, C, L, users: Int32Array.from(users), items: Int32Array.from(items, (i) => i + 1), ctx: new Int32Array(B * D * L), gctx: new Int32Array(B * D * L),
    ctxScore: new Float32Array(B * D * L), segment: Int32Array.from(users, (u) => prep.data.userSegment[u]), longView: o.longView ? Float32Array.from(o.longView) : new Float32Array(B),
  };
  const mask = o.maskRate ?? 0;
  const rand = o.rand ?? Math.random;
  for (let b = 0; b < B; b++) {
    const u = users[b];
    for (let d = 0; d < D; d++) {
      if (d === domain && o.domainMask?.[b]) continue;
      const h = prep.hist[d].get(u);
      if (!h) continue;
      const s = prep.ease?.[d].get(u);
      const gl = prep.data.domains[d].globalItem;
      let pos = L - 1;
      for (let j = h.length - 1; j >= 0 && pos >= 0; j--) {
        if (d === domain && o.exclude && h[j] === o.exclude[b]) continue;
        if (mask > 0 && rand() < mask) continue;
        const at = (b * D + d) * L + pos--;
        hb.ctx[at] = h[j] + 1;
        hb.gctx[at] = gl[h[j]] + 1;
        hb.ctxScore[at] = s ? s[j] : 1;
      }
    }
  }
  return hb;
}

/**
 * Host batch -> tensors (call inside `tf.tidy`). `L` defaults to the batch's own context length.
 * @example
 * const batch = toCdrBatch(hostBatch(prep, 0, [1], [3, 5], 2), 2);
 */
export function toCdrBatch(hb: HostBatch, D: number, L: number = hb.L): CdrBatch {
  if (L !== hb.L) throw new Error(`toCdrBatch: context length ${L} asked, but the host batch (domain ${hb.domain}) was built with ${hb.L}`);
  return {
    domain: hb.domain,
    users: tf.tensor1d(hb.users, 'int32'),
    items: tf.tensor2d(hb.items, [hb.B, hb.C], 'int32'),
    ctx: tf.tensor3d(hb.ctx, [hb.B, D, L], 'int32'),
    gctx: tf.tensor3d(hb.gctx, [hb.B, D, L], 'int32'),
    ctxScore: tf.tensor3d(hb.ctxScore, [hb.B, D, L]),
    segment: tf.tensor1d(hb.segment, 'int32'),
    longView: tf.tensor1d(hb.longView),
  };
}

/**
 * Identity whose gradient is zero (PyTorch's `.detach()`), for stop-gradient targets.
 * @example
 * const target = stopGradient(tf.matMul(a, b, false, true));
 */
export function stopGradient(x: Tensor): Tensor {
  const f = tf.customGrad((...args: unknown[]) => ({ value: tf.clone(args[0] as Tensor), gradFunc: (dy: Tensor) => tf.zerosLike(dy) }));
  return f(x) as Tensor;
}

/**
 * BPR over sampled negatives: mean softplus(s⁻ − s⁺); scores (B, C) with the positive in column 0.
 * @example
 * bprLoss(tf.tensor2d([[2, 0, 1]])); // mean(softplus(-2), softplus(-1))
 */
export function bprLoss(scores: Tensor): Scalar {
  const C = scores.shape[1] as number;
  const pos = tf.slice(scores, [0, 0], [-1, 1]); // (B, 1)
  const neg = tf.slice(scores, [0, 1], [-1, C - 1]); // (B, C-1)
  return tf.mean(tf.softplus(tf.sub(neg, pos))) as Scalar;
}

/**
 * BCE on candidate scores, label 1 in column 0 and 0 elsewhere (UniCDR's `BCEWithLogits(score⁺, 1) + (score⁻, 0)`,
 * each averaged over its own rows).
 * @example
 * candidateBce(tf.tensor2d([[3, -3]])); // ≈ 2 * 0.0486
 */
export function candidateBce(scores: Tensor): Scalar {
  const C = scores.shape[1] as number;
  const pos = tf.slice(scores, [0, 0], [-1, 1]); // (B, 1)
  const neg = tf.slice(scores, [0, 1], [-1, C - 1]); // (B, C-1)
  return tf.add(tf.mean(tf.softplus(tf.neg(pos))), tf.mean(tf.softplus(neg))) as Scalar;
}

/**
 * Masked mean over the last axis' items: seq (B, N, D), mask (B, N) -> (B, D); empty rows give zeros.
 * @example
 * maskedMean(seq, mask); // (B, D)
 */
export function maskedMean(seq: Tensor, mask: Tensor): Tensor {
  const sum = tf.sum(tf.mul(seq, tf.expandDims(mask, 2)), 1); // (B, D)
  return tf.div(sum, tf.maximum(tf.sum(mask, 1, true), 1)); // (B, D)
}
