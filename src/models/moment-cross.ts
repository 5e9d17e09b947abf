/**
 * Moment&Cross: Next-Generation Real-Time Cross-Domain CTR Prediction for Live-Streaming Recommendation at Kuaishou
 * (Cao et al., arXiv:2408.05709, 2024; no official code). Reconstruction of /work/shared/papers/moment-cross.md.
 *
 * Implemented (spec §3, every item a spec Proposal unless noted):
 * - Moment (§3.1): the real-time room counters (rt_counts over 30 s / 1 min / 5 min windows, windowed CTR, stream age)
 *   enter the ranker, and a stream-level moment head  m = MLP_m([rt_counts, rt_ctr, stream_age])  is trained with
 *   L_moment = BCE(m, "the room's crowd CTR in the impression's 30 s window exceeds its trailing 5 min average");
 *   its logit is also an input of the ranker. The fast/slow sample stream and the first-only label mask are built by
 *   `buildSampleStream` (src/pipelines/moment-cross/sample-stream.ts); the loss reads the per-task masks `mask_<task>`.
 * - Cross (§3.2): GSU hard search over the short-video history (same author or same category as the candidate stream,
 *   the most recent K kept) with a soft-search fallback (top-K inner product; a comparison, so no gradient flows through it) for rows without a hard
 *   match; ESU = multi-head target attention (4 heads, candidate as query) over the selected items; DIN target
 *   attention over the live history.
 * - Contrastive alignment (§3.2): in-batch InfoNCE between the candidate stream's author embedding and the mean
 *   embedding of the same author's short videos in the batch's histories (positives = same author, other rows of the
 *   same author masked), tau = 0.1, weight 0.1.
 * - Head (§3.3): MMoE (4 experts [256, 128], one gate and tower per task) over
 *   x = [context (user fields, real-time counters), e_cand, ESU_v, ESU_l, m];  p_t = sigmoid(Tower_t(h_t)).
 *   L = L_fast + L_slow + L_moment + 0.1 L_align, with L_fast / L_slow the masked BCE sums over the fast / slow samples
 *   (one term per task: sum_t BCE(p_t, y_t; mask_t), each averaged over the samples whose mask is 1).
 * - Ranking_Score = prod_t p_t^{w_t} (`rankingScore`).
 * Paper deviation: the offline replay trains with the shared trainer (shuffled mini-batches over the sample stream,
 *   early stopping on validation) rather than one time-ordered pass; samples keep their emit times for inspection.
 * Paper deviation: GSU K = 20 by default (the logged short-video histories hold 8-13 items in 20-50 slots, so K = 50
 *   would select everything); moment-cross/search sweeps K in {10, 20, 50, 100} on 256-item histories (the world's
 *   `svPastClicks`), the paper's K = 50 among them;
 *   embedding size 16 instead of 64 (CPU budget).
 * Paper deviation: the moment head's logit feeds the ranker (the spec trains it as a side task only); this keeps its
 *   weights trained by every task, also where a batch carries no moment label.
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { Dense, MLP } from '../layers/dense.ts';
import { TargetAttention } from '../layers/attention.ts';
import { MMoE, checkTaskNames, type MMoEConfig } from '../layers/mtl.ts';
import { LIVE_COLUMNS, LiveInputs } from '../layers/live-inputs.ts';
import { bceWithLogits } from '../train/losses.ts';
import { LIVE_TASKS } from '../worlds/live-world-config.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type LossFn, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** Real-time feature columns of the live world (Moment). */
export const REALTIME_COLUMNS = ['rt_counts', 'rt_ctr', 'stream_age'];

/** Hyper-parameters of Moment&Cross; defaults in `MOMENT_CROSS_DEFAULTS`. */
export interface MomentCrossConfig {
  /** Tasks (heads); [] = the live tasks present among the schema's labels. */
  tasks: string[];
  embeddingDim: number;
  /** Use the real-time counters and the moment head (ablation: false). */
  realtime: boolean;
  /** Cross-domain search of the short-video history: hard (+ soft fallback), soft only, or none (ablation). */
  search: 'hard' | 'soft' | 'none';
  /** GSU: items kept per row. */
  gsuK: number;
  /** ESU: attention heads. */
  esuHeads: number;
  /** InfoNCE temperature and weight of L_align (0 = no alignment). */
  tau: number;
  alignWeight: number;
  momentWeight: number;
  momentHidden: number[];
  mmoe: Partial<MMoEConfig>;
  dropout: number;
}
/** Defaults: D = 16, real-time + hard search, K = 20, 4 heads, tau 0.1, align 0.1, moment 1, MMoE 4 x [256, 128]. */
export const MOMENT_CROSS_DEFAULTS: MomentCrossConfig = {
  tasks: [],
  embeddingDim: 16,
  realtime: true,
  search: 'hard',
  gsuK: 20,
  esuHeads: 4,
  tau: 0.1,
  alignWeight: 0.1,
  momentWeight: 1,
  momentHidden: [32],
  mmoe: { experts: 4, expertHidden: [256, 128], tower: [64] },
  dropout: 0.1,
};

/**
 * ESU: multi-head target attention, softmax over the selected steps only (an empty selection gives zeros):
 *   o = W_o concat_h softmax_mask(q_h K_h^T / sqrt(d_h)) V_h
 * @example
 * new MultiHeadTargetAttention(rng, 16, 4).apply(query, keys, mask); // (B, 16), (B, L, 16), (B, L) -> (B, 16)
 */
export class MultiHeadTargetAttention extends Module {
  private readonly wq: Dense;
  private readonly wk: Dense;
  private readonly wv: Dense;
  private readonly wo: Dense;
  constructor(rng: Rng, readonly dim: number, readonly heads: number) {
    super(rng);
    if (dim % heads !== 0) throw new Error(`moment-cross config: embeddingDim ${dim} is not divisible by esuHeads ${heads}`);
    this.wq = this.module('wq', new Dense(this.rng, dim, dim));
    this.wk = this.module('wk', new Dense(this.rng, dim, dim));
    this.wv = this.module('wv', new Dense(this.rng, dim, dim));
    this.wo = this.module('wo', new Dense(this.rng, dim, dim));
  }
  apply(query: Tensor, keys: Tensor, mask: Tensor): Tensor {
    const [B, L] = mask.shape;
    const H = this.heads;
    const dh = this.dim / H;
    const q = tf.reshape(this.wq.apply(query), [B, H, 1, dh]); // (B, H, 1, dh)
    const split = (x: Tensor) => tf.transpose(tf.reshape(x, [B, L, H, dh]), [0, 2, 1, 3]); // (B, H, L, dh)
    const k = split(this.wk.apply(keys));
    const v = split(this.wv.apply(keys));
    const m = tf.reshape(mask, [B, 1, 1, L]); // (B, 1, 1, L)
    const s = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)), tf.mul(tf.sub(1, m), -1e9)); // (B, H, 1, L)
    const a = tf.mul(tf.softmax(s), m); // (B, H, 1, L), all-zero rows stay zero
    const o = tf.reshape(tf.matMul(a, v), [B, this.dim]); // (B, D)
    return this.wo.apply(o); // (B, D)
  }
}

/**
 * 1 where a step's score is among the row's K largest (ties at the K-th score all kept), else 0: (B, L) -> (B, L).
 * The selection is a comparison, so no gradient flows through it (the spec's stop-gradient copy): a custom gradient
 * of zeros, inside which tfjs records nothing, so topk (which has no gradient function) may run. O(B L log K) memory
 * and time, where the pairwise count it replaced was O(B L^2) — 256 MB a batch at L = 256.
 */
const topKMask = (scores: Tensor, k: number): Tensor =>
  tf.customGrad((...args: unknown[]) => {
    const x = args[0] as Tensor2D;
    const kth = tf.slice(tf.topk(x, k).values, [0, k - 1], [-1, 1]); // (B, 1)
    return { value: tf.cast(tf.greaterEqual(x, kth), 'float32'), gradFunc: (dy: Tensor) => tf.zerosLike(dy) };
  })(scores) as Tensor;

/**
 * GSU selection mask (B, L) over the short-video history: hard matches (same author or category as the candidate,
 * the most recent K), else the top K by stop-gradient inner product with the query (soft search). `keys` (B, L, D)
 * are the history steps, `query` (B, D), `pad` (B, L) 1 on real steps.
 * @example
 * gsuMask(batch, sv.seq, query, sv.mask, 20, 'hard'); // (B, L) of 0 / 1
 */
export function gsuMask(batch: TensorBatch, keys: Tensor, query: Tensor, pad: Tensor, k: number, search: 'hard' | 'soft'): Tensor {
  const L = pad.shape[1] as number;
  const K = Math.min(k, L);
  const scores = tf.add(tf.sum(tf.mul(keys, tf.expandDims(query, 1)), 2), tf.mul(tf.sub(1, pad), -1e9)); // (B, L)
  const soft = tf.mul(topKMask(scores, K), pad); // (B, L)
  if (search === 'soft') return soft;
  const same = (h: string, c: string) => tf.equal(batch[h], tf.expandDims(batch[c], 1)); // (B, L)
  const hard = tf.mul(tf.cast(tf.logicalOr(same('hist_sv_author', 'author_id'), same('hist_sv_category', 'category_id')), 'float32'), pad); // (B, L)
  const recentRank = tf.cumsum(hard, 1, false, true); // (B, L): matches at or after each step
  const hardK = tf.mul(hard, tf.cast(tf.lessEqual(recentRank, K), 'float32')); // (B, L)
  const hasHard = tf.greater(tf.sum(hard, 1, true), 0); // (B, 1)
  return tf.where(tf.tile(hasHard, [1, L]), hardK, soft); // (B, L)
}

/**
 * The Moment&Cross ranker; outputs one logit (B) per task (named by the task), `moment` (B, logit of the moment
 * head, when realtime) and `align` (B, per-row InfoNCE loss scaled so its batch mean is L_align; when aligning).
 * @example
 * const m = new MomentCross(new Rng(1), world.train.schema); m.apply(batch, { training: false }).click; // (B)
 */
export class MomentCross extends Module implements RecModel {
  readonly name = 'moment-cross';
  readonly config: MomentCrossConfig;
  readonly tasks: string[];
  private readonly inputs: LiveInputs;
  private readonly esu: MultiHeadTargetAttention | null;
  private readonly liveAttention: TargetAttention;
  private readonly momentMlp: MLP | null;
  private readonly alignLive: Dense | null;
  private readonly alignVideo: Dense | null;
  private readonly head: MMoE;
  private readonly authors: number;

  constructor(rng: Rng, schema: Schema, config: Partial<MomentCrossConfig> = {}) {
    super(rng);
    const c = resolveConfig('moment-cross', config, MOMENT_CROSS_DEFAULTS);
    this.config = c;
    if (c.tasks.length) checkTaskNames(c.tasks, schema.labels, 'moment-cross config');
    this.tasks = c.tasks.length ? [...c.tasks] : LIVE_TASKS.filter((t) => schema.labels.includes(t));
    if (!this.tasks.length) throw new Error(`moment-cross: the schema has none of the live tasks (labels: ${schema.labels.join(', ')})`);
    if (!(Number.isInteger(c.gsuK) && c.gsuK >= 1)) throw new Error(`moment-cross config: 'gsuK' must be a positive integer, got ${c.gsuK}`);
    const D = c.embeddingDim;
    const cross = c.search !== 'none';
    // Without search the short-video history is not read at all (not even mean-pooled into the context).
    const columns = { ...LIVE_COLUMNS, svHistory: cross ? LIVE_COLUMNS.svHistory : [], exclude: [...(c.realtime ? [] : REALTIME_COLUMNS), ...(cross ? [] : LIVE_COLUMNS.svHistory)] };
    this.inputs = this.module('inputs', new LiveInputs(this.rng, schema, D, columns, 'moment-cross config'));
    this.esu = cross ? this.module('esu', new MultiHeadTargetAttention(this.rng, D, c.esuHeads)) : null;
    this.liveAttention = this.module('liveAttention', new TargetAttention(this.rng, D, [36], 'relu'));
    const rtDim = REALTIME_COLUMNS.reduce((w, n) => {
      const f = schema.features.find((x) => x.name === n);
      if (c.realtime && f?.kind !== 'dense') throw new Error(`moment-cross: realtime needs the dense feature '${n}' in the schema`);
      return w + (f?.kind === 'dense' ? (f.dim ?? 1) : 0);
    }, 0);
    this.momentMlp = c.realtime ? this.module('moment', new MLP(this.rng, rtDim, { hidden: c.momentHidden, outDim: 1 })) : null;
    const align = cross && c.alignWeight > 0;
    this.alignLive = align ? this.module('alignLive', new Dense(this.rng, D, D)) : null;
    this.alignVideo = align ? this.module('alignVideo', new Dense(this.rng, D, D)) : null;
    this.authors = (schema.features.find((f) => f.name === 'author_id') as { vocab: number }).vocab;
    const width = this.inputs.contextDim + this.inputs.candidateDim + (cross ? D : 0) + D + (c.realtime ? 1 : 0);
    this.head = this.module('head', new MMoE(this.rng, width, this.tasks, { dropout: c.dropout, ...c.mmoe }));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const c = this.config;
    const D = c.embeddingDim;
    const query = this.inputs.query(batch); // (B, D)
    const cand = this.inputs.candidateFields(batch); // (B, 3D)
    const live = this.inputs.steps(batch, 'live'); // (B, Ll, D)
    const parts = [this.inputs.context(batch), cand, this.liveAttention.apply(query, live.seq, live.mask)]; // (B, .)
    const out: ModelOutputs = {};
    if (this.esu && c.search !== 'none') {
      const sv = this.inputs.steps(batch, 'sv'); // (B, Lv, D)
      parts.push(this.esu.apply(query, sv.seq, gsuMask(batch, sv.seq, query, sv.mask, c.gsuK, c.search))); // (B, D)
      if (this.alignLive && this.alignVideo) out.align = this.alignLoss(batch, tf.slice(cand, [0, D], [-1, D]), sv.seq, sv.mask);
    }
    if (this.momentMlp) {
      const rt = tf.concat(REALTIME_COLUMNS.map((n) => batch[n]), 1); // (B, 22)
      const m = this.momentMlp.apply(rt, training); // (B, 1)
      parts.push(m);
      out.moment = tf.reshape(m, [-1]); // (B)
    }
    const x = tf.concat(parts, 1); // (B, In)
    return { ...this.head.apply(x, training), ...out };
  }

  /**
   * Author-level InfoNCE: z_l = norm(W_l e_author(cand)), z_v = norm(W_v mean of the batch's short-video steps of the
   * same author); S = z_l z_v^T / tau; rows without such videos are dropped, same-author off-diagonal pairs masked.
   * Returns (B): CE per valid row x B / #valid (0 elsewhere), so its mean is the mean CE over valid rows.
   */
  private alignLoss(batch: TensorBatch, eAuthor: Tensor, svSeq: Tensor, svMask: Tensor): Tensor {
    const [B, L] = svMask.shape as [number, number];
    const D = this.config.embeddingDim;
    const seg = tf.reshape(tf.mul(batch.hist_sv_author, tf.cast(svMask, 'int32')), [B * L]) as Tensor1D; // (B*L), 0 = padding
    const sums = tf.unsortedSegmentSum(tf.reshape(svSeq, [B * L, D]), seg, this.authors); // (A, D)
    const counts = tf.unsortedSegmentSum(tf.reshape(svMask, [B * L]), seg, this.authors); // (A)
    const author = batch.author_id as Tensor1D; // (B)
    const n = tf.gather(counts, author); // (B)
    const valid = tf.cast(tf.greater(n, 0), 'float32'); // (B)
    const pos = tf.div(tf.gather(sums, author), tf.expandDims(tf.maximum(n, 1), 1)); // (B, D)
    const l2 = (x: Tensor) => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))); // finite gradient at x = 0
    const zl = l2(this.alignLive?.apply(eAuthor) as Tensor); // (B, D)
    const zv = l2(this.alignVideo?.apply(pos) as Tensor); // (B, D)
    const s = tf.div(tf.matMul(zl as Tensor2D, zv as Tensor2D, false, true), this.config.tau); // (B, B)
    const sameAuthor = tf.cast(tf.equal(tf.expandDims(author, 1), tf.expandDims(author, 0)), 'float32'); // (B, B)
    const drop = tf.maximum(tf.sub(sameAuthor, tf.eye(B)), tf.sub(1, tf.expandDims(valid, 0))); // (B, B): 1 = masked column
    const logits = tf.add(s, tf.mul(drop, -1e9)); // (B, B)
    const ce = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(s, tf.eye(B)), 1)); // (B)
    const nValid = tf.maximum(tf.sum(valid), 1);
    return tf.mul(tf.mul(ce, valid), tf.div(B, nValid)); // (B)
  }
}

/**
 * L = sum_t BCE(logit_t, y_t; mask_t) + momentWeight BCE(moment, y_moment; mask_moment) + alignWeight mean(align).
 * Masks `mask_<task>` come from the sample stream (first-only label mask); a batch without them weighs every row 1.
 * The moment term needs the stream's `moment` label and is skipped on batches without it. `label` must be a head.
 * @example
 * momentCrossLoss(model.config)('click')(model.apply(batch, { training: true }), batch); // scalar
 */
export function momentCrossLoss(c: Pick<MomentCrossConfig, 'momentWeight' | 'alignWeight'>): (label: string) => LossFn {
  return (label) => (out, batch) => {
    if (!out[label]) throw new Error(`moment-cross loss: no output for task '${label}' (outputs: ${Object.keys(out).join(', ')})`);
    const terms: Tensor[] = [];
    for (const t of LIVE_TASKS) if (out[t] && batch[t]) terms.push(bceWithLogits(out[t], batch[t], batch[`mask_${t}`]));
    if (out.moment && batch.moment && c.momentWeight > 0) terms.push(tf.mul(bceWithLogits(out.moment, batch.moment, batch.mask_moment), c.momentWeight));
    if (out.align && c.alignWeight > 0) terms.push(tf.mul(tf.mean(out.align), c.alignWeight));
    return tf.addN(terms) as Scalar;
  };
}

/**
 * Ranking_Score = prod_t p_t^{w_t}, computed as exp(sum_t w_t log p_t) per row.
 * @example
 * rankingScore({ click: pClick, gift: pGift }, { click: 1, gift: 0.5 }); // Float32Array (n)
 */
export function rankingScore(probs: Record<string, Float32Array>, weights: Record<string, number>): Float32Array {
  const names = Object.keys(weights);
  if (!names.length) throw new Error('rankingScore: no weights');
  for (const t of names) if (!probs[t]) throw new Error(`rankingScore: no probabilities for task '${t}'`);
  const n = probs[names[0]].length;
  return Float32Array.from({ length: n }, (_, i) => Math.exp(names.reduce((s, t) => s + weights[t] * Math.log(Math.max(probs[t][i], 1e-12)), 0)));
}

/** Registry entry: task 'live'. */
export const momentCrossSpec: ModelSpec<MomentCrossConfig> = {
  name: 'moment-cross',
  description: 'Moment&Cross (Kuaishou 2024): real-time room counters + moment head, GSU/ESU search of short-video history, contrastive align, MMoE',
  defaults: MOMENT_CROSS_DEFAULTS,
  create: (rng, schema, config) => new MomentCross(rng, schema, config),
  task: 'live',
  loss: (label) => momentCrossLoss(MOMENT_CROSS_DEFAULTS)(label),
};
