/**
 * Training and evaluation of the cross-domain ranking models (UniCDR spec §3.1 "Training", §4 protocol).
 * One step = one mini-batch per domain (the total batch split across domains), each positive with `negatives` items
 * sampled uniformly from the domain's catalogue among the items the user has no training interaction with (the UniCDR
 * code's sampler: `r not in positive_set[u]`; see {@link sampleTrainingNegatives}), summed losses, one Adam step (decoupled
 * weight decay). Contexts are built per step with the model's interaction / domain masking. After each epoch the model
 * is scored on the validation pairs (sampled negatives, seeded, fixed for the run) and the best mean NDCG@10 over
 * domains is kept (spec: model selection on validation NDCG@10); after `decayAfter` epochs the learning rate is
 * multiplied by 0.98 whenever most domains did not improve (the code's conditional decay). With `patience` set,
 * training stops after that many epochs without a new best (early stopping); the result says whether the best epoch
 * was the last one allowed ("still improving").
 * With compiled steps on (the default on the native backend, `RECLAB_COMPILE`) each optimiser step after the first is
 * one compiled TensorFlow function (src/train/compile.ts), traced anew when the model's `stepKey` (UniCDR's warm-up)
 * or the learning rate changes; bench/cdr-fit.ts measures it.
 * Evaluation keeps per-row values (HR@K and NDCG@K of every test pair), so a table can carry each mean's test-sampling
 * SE (`meanSe`). Full ranking scores every row with that row's own user.
 */
import { z } from 'zod';
import { tf } from '../../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Rng } from '../../random.ts';
import { Optimizer } from '../../train/optimizers.ts';
import { Progress } from '../../train/progress.ts';
import type { StateDict } from '../../layers/module.ts';
import { fullRanking, sampleNegatives, sampledRanking, type CandidateLists } from '../../metrics/sampled-ranking.ts';
import type { TopKMetrics } from '../../metrics/topk.ts';
import { meanSe, stillImproving } from '../../evidence/rules.ts';
import { interactedSets, type CdrDomain, type Pairs } from '../../worlds/multi-domain-world.ts';
import { hostBatch, toCdrBatch, type CdrBatch, type CdrModel, type CdrPrep, type CdrStepState } from '../../models/cdr/common.ts';
import { StepCompiler, compileEnabled } from '../../train/compile.ts';

/**
 * Strict training config. Defaults: 10 epochs, batch 1024 split across domains, 10 training negatives, Adam lr 1e-3,
 * weight decay 1e-5, 99 validation negatives, lr decay after epoch 10, no early stopping (`patience` null: every
 * epoch runs; a number stops after that many epochs without a new best validation NDCG@10).
 * @example
 * CdrTrainConfigSpec.parse({ epochs: 3 });
 */
export const CdrTrainConfigSpec = z.strictObject({
  epochs: z.number().int().positive().default(10),
  batchSize: z.number().int().positive().default(1024),
  negatives: z.number().int().positive().default(10),
  learningRate: z.number().positive().default(1e-3),
  weightDecay: z.number().min(0).default(1e-5),
  validNegatives: z.number().int().positive().default(99),
  decayAfter: z.number().int().min(0).default(10),
  patience: z.number().int().positive().nullable().default(null),
});
/** Training config (see the schema). */
export type CdrTrainConfig = z.infer<typeof CdrTrainConfigSpec>;

/** What `fitCdr` returns: the best epoch (1-based), validation NDCG@10 per epoch run, the budget and its flag. */
export interface CdrFitResult {
  bestEpoch: number;
  validNdcg: number[];
  /** Epochs allowed (the config's `epochs`). */
  epochs: number;
  /** True when the best validation epoch was the last one allowed. */
  stillImproving: boolean;
  seconds: number;
  /**
   * How the optimiser steps ran (`RECLAB_COMPILE`): compiled (one native call each) and eager counts, and why the
   * compiler fell back to eager steps for good (null when it did not); null when compiled steps were off.
   */
  compiledSteps: { compiled: number; eager: number; fallbackReason: string | null } | null;
}

/**
 * Trains a model and restores its best-validation weights.
 * @example
 * const r = await fitCdr(model, prep, { epochs: 3 }, 1);
 */
export async function fitCdr(model: CdrModel, prep: CdrPrep, partial: Partial<CdrTrainConfig> | Record<string, unknown>, seed: number, label = model.name): Promise<CdrFitResult> {
  const cfg = CdrTrainConfigSpec.parse(partial);
  const t0 = Date.now();
  const rng = new Rng(seed * 104729 + 7);
  const doms = prep.data.domains;
  const D = doms.length;
  const L = prep.maxLen;
  const per = Math.max(1, Math.floor(cfg.batchSize / D));
  const steps = Math.max(...doms.map((d) => Math.ceil(d.train.users.length / per)));
  const masking = (model as { masking?: { interaction: number; domain: number } }).masking ?? { interaction: 0, domain: 0 };
  const vars = model.trainableVariables();
  const byTf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const opt = new Optimizer(vars, { learningRate: cfg.learningRate, weightDecay: cfg.weightDecay });
  const validLists = doms.map((dom, d) => (dom.valid.users.length ? sampleNegatives({ users: dom.valid.users, positives: dom.valid.items }, interactedSets(dom), { nItems: dom.nItems, negatives: Math.max(1, Math.min(cfg.validNegatives, dom.nItems - 1 - maxSeen(dom))), seed: seed * 31 + d }) : null));
  const seen = prep.hist.map((h) => new Map([...h].map(([u, items]) => [u, new Set(items)])));
  const order = doms.map((dom) => rng.shuffle(Int32Array.from({ length: dom.train.users.length }, (_, i) => i)));
  const rand = () => rng.uniform();
  // UniCDR's critic pairs each user with a shifted batch row as its negative: the shift is drawn here, from a
  // generator of its own (the sampling stream above stays as it was), and enters the step as an input tensor.
  const shiftRng = new Rng(seed * 7919 + 3);
  const varList = [...vars.values()];
  const compiler = compileEnabled() ? new StepCompiler(label) : null;
  /** One optimiser step on the batches: loss, tfjs's gradients, the update (Adam's rate as a tensor when compiled). */
  const eagerStep = (batches: CdrBatch[], state: CdrStepState, adamRate?: Tensor): Tensor => {
    const { value, grads } = tf.variableGrads(() => model.loss(batches, state), varList);
    opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byTf.get(k) ?? k, g])), adamRate);
    return value;
  };
  let best = -Infinity;
  let bestState: StateDict | null = null;
  let bestEpoch = 0;
  const validNdcg: number[] = [];
  let prevPerDomain = doms.map(() => -Infinity);
  const progress = new Progress({ total: cfg.epochs * steps, label });
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      for (const o of order) rng.shuffle(o);
      let lossSum = 0;
      for (let s = 0; s < steps; s++) {
        const hbs = doms.map((dom, d) => {
          const idx = Array.from({ length: Math.min(per, dom.train.users.length) }, (_, j) => order[d][(s * per + j) % order[d].length]);
          const users = idx.map((i) => dom.train.users[i]);
          const pos = idx.map((i) => dom.train.items[i]);
          const items: number[] = [];
          pos.forEach((p, j) => { items.push(p); sampleTrainingNegatives(rng, dom.nItems, seen[d].get(users[j]) ?? new Set([p]), cfg.negatives, items); });
          return hostBatch(prep, d, users, items, 1 + cfg.negatives, {
            exclude: pos, maskRate: masking.interaction, rand, domainMask: users.map(() => rng.uniform() < masking.domain), longView: idx.map((i) => dom.longView[i] ?? 0),
          });
        });
        const shifts = Int32Array.from(hbs, (hb) => (hb.B > 1 ? 1 + shiftRng.int(hb.B - 1) : 0));
        const loss = tf.tidy(() => {
          const batches = hbs.map((hb) => toCdrBatch(hb, D, L));
          const state: CdrStepState = { epoch, criticShift: tf.tensor1d(shifts, 'int32') };
          // Compiled steps start after the first step, which creates the optimiser's slots eagerly.
          if (!compiler || opt.step === 0) return eagerStep(batches, state);
          const t = opt.step + 1;
          const inputs: Record<string, Tensor> = { criticShift: state.criticShift as Tensor, adamRate: tf.scalar(opt.adamRate(t)), ...batchInputs(batches) };
          const rebuilt = (inp: Record<string, Tensor>) => batchesFromInputs(batches, inp);
          // What the graph freezes besides the inputs: the model's use of the epoch (warm-up) and the optimiser's
          // config (the learning rate decays between epochs): a change is traced anew.
          const key = `${model.stepKey(state)}|${JSON.stringify(opt.config)}`;
          const value = compiler.run(inputs, (inp) => eagerStep(rebuilt(inp), { epoch, criticShift: inp.criticShift }, inp.adamRate), key);
          opt.step = t;
          return value;
        });
        if (s === steps - 1 || s % 20 === 0) lossSum = (await loss.data())[0];
        loss.dispose();
        if (!Number.isFinite(lossSum)) throw new Error(`${label}: loss became ${lossSum} at epoch ${epoch}, step ${s + 1}`);
        progress.update((epoch - 1) * steps + s + 1, { epoch, loss: Number(lossSum.toFixed(4)) });
        if (s % 10 === 9) await new Promise<void>((r) => setImmediate(r));
      }
      const perDomain = validLists.map((lists, d) => (lists ? scoreLists(model, prep, d, doms[d].valid, lists, false).ndcg : 0));
      const ndcg = perDomain.reduce((a, b) => a + b, 0) / D;
      validNdcg.push(ndcg);
      if (ndcg > best) { best = ndcg; bestEpoch = epoch; bestState = model.stateDict(); }
      const improved = perDomain.filter((x, d) => x > prevPerDomain[d]).length;
      if (epoch > cfg.decayAfter && improved * 2 <= D) opt.config.learningRate *= 0.98;
      prevPerDomain = perDomain;
      if (cfg.patience !== null && epoch - bestEpoch >= cfg.patience) break;
    }
  } finally {
    progress.done();
    opt.dispose();
    compiler?.dispose();
  }
  if (bestState) model.loadStateDict(bestState);
  const compiledSteps = compiler ? { compiled: compiler.stats.compiledSteps, eager: compiler.stats.eagerSteps, fallbackReason: compiler.fallbackReason } : null;
  return { bestEpoch, validNdcg, epochs: cfg.epochs, stillImproving: stillImproving(bestEpoch - 1, cfg.epochs), seconds: (Date.now() - t0) / 1000, compiledSteps };
}

/**
 * Appends `n` training negatives for one user: items drawn uniformly from [0, nItems) that are not in `positives`
 * (the user's training items in the domain, the UniCDR code's `positive_set`); repeats are allowed, as in the code.
 * Throws when the user has interacted with every item.
 * @example
 * const out: number[] = []; sampleTrainingNegatives(rng, 1000, new Set([3, 7]), 10, out); // 10 ids, none 3 or 7
 */
export function sampleTrainingNegatives(rng: Rng, nItems: number, positives: ReadonlySet<number>, n: number, out: number[]): void {
  if (positives.size >= nItems) throw new Error(`sampleTrainingNegatives: the user's ${positives.size} positives cover all ${nItems} items`);
  for (let k = 0; k < n; k++) {
    let i = rng.int(nItems);
    while (positives.has(i)) i = rng.int(nItems);
    out.push(i);
  }
}

/**
 * Scores candidate lists of domain d in chunks: (N·C) Float32Array. `users[n]` is row n's user (one per row, not one
 * per candidate); `cold` pads the own-domain context; contexts hold `prep.testMaxLen` items.
 */
export function scoreCandidates(model: CdrModel, prep: CdrPrep, d: number, users: ArrayLike<number>, lists: CandidateLists, cold: boolean): Float32Array {
  const C = lists.nCandidates;
  const out = new Float32Array(lists.items.length);
  const chunk = Math.max(1, Math.floor(65536 / C));
  const D = prep.data.domains.length;
  for (let a = 0; a < lists.rows; a += chunk) {
    const b = Math.min(lists.rows, a + chunk);
    const us = Array.from({ length: b - a }, (_, j) => users[a + j]);
    const hb = hostBatch(prep, d, us, lists.items.subarray(a * C, b * C), C, { domainMask: us.map(() => cold), maxLen: prep.testMaxLen });
    const s = tf.tidy(() => model.score(toCdrBatch(hb, D)) as Tensor);
    out.set(s.dataSync() as Float32Array, a * C);
    s.dispose();
  }
  return out;
}

function scoreLists(model: CdrModel, prep: CdrPrep, d: number, pairs: Pairs, lists: CandidateLists, cold: boolean, k = 10): TopKMetrics {
  return sampledRanking(scoreCandidates(model, prep, d, pairs.users, lists, cold), lists, k);
}

/** The fixed test candidate lists of a domain's pairs (999 negatives by default, seeded). */
export function testLists(dom: CdrDomain, pairs: Pairs, negatives: number, seed: number): CandidateLists {
  return sampleNegatives({ users: pairs.users, positives: pairs.items }, interactedSets(dom), { nItems: dom.nItems, negatives, seed });
}

/**
 * HR@10 / NDCG@10 of a model on candidate lists (`cold` = domain masking of the own context).
 * @example
 * evaluateLists(model, prep, 0, dom.test, lists, false).hr;
 */
export function evaluateLists(model: CdrModel, prep: CdrPrep, d: number, pairs: Pairs, lists: CandidateLists, cold: boolean, k = 10): TopKMetrics {
  return scoreLists(model, prep, d, pairs, lists, cold, k);
}

/**
 * Full ranking of a domain's test pairs: every item except the user's training and validation items.
 * `scorer` gives (N·I) scores for all items of each row (a model or the oracle); row n is user `pairs.users[n]`, so a
 * model scorer passes `pairs.users` (one user per row) and a per-candidate scorer repeats it I times.
 * @example
 * evaluateFull(dom, dom.test, (lists) => scoreCandidates(model, prep, 0, dom.test.users, lists, false)).hr;
 */
export function evaluateFull(dom: CdrDomain, pairs: Pairs, scorer: (lists: CandidateLists) => Float32Array, k = 10): TopKMetrics {
  const { items, excluded } = fullRankingInputs(dom, pairs);
  return fullRanking(scorer({ items, nCandidates: dom.nItems, rows: pairs.users.length }), pairs.items, excluded, dom.nItems, k);
}

function fullRankingInputs(dom: CdrDomain, pairs: Pairs): { items: Int32Array; excluded: Set<number>[] } {
  const I = dom.nItems;
  const N = pairs.users.length;
  const items = new Int32Array(N * I);
  for (let n = 0; n < N; n++) for (let i = 0; i < I; i++) items[n * I + i] = i;
  const excl = new Map<number, Set<number>>();
  for (const p of [dom.train, dom.valid]) for (let n = 0; n < p.users.length; n++) { const u = p.users[n]; if (!excl.has(u)) excl.set(u, new Set()); excl.get(u)?.add(p.items[n]); }
  const excluded = Array.from(pairs.users, (u, n) => { const s = new Set(excl.get(u) ?? []); s.delete(pairs.items[n]); return s; });
  return { items, excluded };
}

/**
 * Per-row HR@K and NDCG@K of candidate-list scores ((N, C), the positive in column 0), with the ranking rule of
 * `topK` (ties count against the positive): their means are `topK`'s hr and ndcg.
 * @example
 * perRowRanking(new Float32Array([0.9, 0.1, 0.2, 0.5]), 2, 1); // { hr: [1, 0], ndcg: [1, 0] }
 */
export function perRowRanking(scores: Float32Array, nCandidates: number, k = 10): { hr: Float64Array; ndcg: Float64Array } {
  const C = nCandidates;
  if (scores.length % C !== 0) throw new Error(`perRowRanking: ${scores.length} scores is not a multiple of ${C} candidates`);
  const N = scores.length / C;
  const hr = new Float64Array(N);
  const ndcg = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const pos = scores[n * C];
    let rank = 1;
    for (let j = 1; j < C; j++) if (scores[n * C + j] >= pos) rank++;
    if (rank <= k) {
      hr[n] = 1;
      ndcg[n] = 1 / Math.log2(rank + 1);
    }
  }
  return { hr, ndcg };
}

/** One ranking metric's mean over test rows with its test-sampling evidence (each row is one positive). */
export interface RankingEvidence {
  value: number;
  /** SE of the mean over rows (`meanSe`; NaN with fewer than 2 rows). */
  se: number;
  rows: number;
  positives: number;
}

/**
 * Means and SEs of per-row HR / NDCG values.
 * @example
 * rankingEvidence(perRowRanking(scores, 1000)).hr.se;
 */
export function rankingEvidence(rows: { hr: Float64Array; ndcg: Float64Array }): { hr: RankingEvidence; ndcg: RankingEvidence } {
  const one = (xs: Float64Array): RankingEvidence => ({ value: xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1), se: meanSe(xs), rows: xs.length, positives: xs.length });
  return { hr: one(rows.hr), ndcg: one(rows.ndcg) };
}

/**
 * Per-row HR@K / NDCG@K of a model on candidate lists (`cold` = domain masking of the own context).
 * @example
 * rankingEvidence(evaluateListsRows(model, prep, 0, dom.test, lists, false)).hr.value;
 */
export function evaluateListsRows(model: CdrModel, prep: CdrPrep, d: number, pairs: Pairs, lists: CandidateLists, cold: boolean, k = 10): { hr: Float64Array; ndcg: Float64Array } {
  return perRowRanking(scoreCandidates(model, prep, d, pairs.users, lists, cold), lists.nCandidates, k);
}

/**
 * Per-row HR@K / NDCG@K of full ranking (see {@link evaluateFull}; excluded items never outrank the positive).
 * `scorer` gets lists whose row n belongs to user `pairs.users[n]`.
 * @example
 * evaluateFullRows(dom, dom.test, (lists) => scoreCandidates(model, prep, 0, dom.test.users, lists, false));
 */
export function evaluateFullRows(dom: CdrDomain, pairs: Pairs, scorer: (lists: CandidateLists) => Float32Array, k = 10): { hr: Float64Array; ndcg: Float64Array } {
  const I = dom.nItems;
  const N = pairs.users.length;
  const { items, excluded } = fullRankingInputs(dom, pairs);
  const scores = scorer({ items, nCandidates: I, rows: N });
  if (scores.length !== N * I) throw new Error(`evaluateFullRows: ${scores.length} scores, expected ${N} rows x ${I} items`);
  // The layout of fullRanking: the positive first, then every other item (excluded ones at -Infinity).
  const rows = new Float32Array(N * I);
  for (let n = 0; n < N; n++) {
    const pos = pairs.items[n];
    const base = n * I;
    rows[base] = scores[base + pos];
    let j = 1;
    for (let i = 0; i < I; i++) if (i !== pos) rows[base + j++] = excluded[n].has(i) ? -Infinity : scores[base + i];
  }
  return perRowRanking(rows, I, Math.min(k, I));
}

/**
 * The most items one user touched in a domain over all splits (caps the negatives a candidate list can hold).
 * @example
 * const neg = Math.min(999, dom.nItems - 1 - maxSeen(dom));
 */
export function maxSeen(dom: CdrDomain): number {
  const c = new Map<number, number>();
  for (const p of [dom.train, dom.valid, dom.test, dom.coldTest, dom.coldValid]) for (const u of p.users) c.set(u, (c.get(u) ?? 0) + 1);
  return Math.max(0, ...c.values());
}

/**
 * The tensors of a step's batches as named inputs of a compiled step ('<batch index>:<field>').
 * @example
 * compiler.run({ ...batchInputs(batches), criticShift }, (inp) => model.loss(batchesFromInputs(batches, inp), state));
 */
export function batchInputs(batches: ReadonlyArray<CdrBatch>): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = {};
  batches.forEach((b, i) => {
    for (const [k, v] of Object.entries(b)) if (v instanceof tf.Tensor) inputs[`${i}:${k}`] = v;
  });
  return inputs;
}

/** The batches with each tensor field replaced by its input of {@link batchInputs}'s name (the traced step's view). */
export function batchesFromInputs(batches: ReadonlyArray<CdrBatch>, inputs: Record<string, Tensor>): CdrBatch[] {
  return batches.map((b, i) => ({ ...b, ...Object.fromEntries(Object.keys(b).filter((k) => `${i}:${k}` in inputs).map((k) => [k, inputs[`${i}:${k}`]])) }) as CdrBatch);
}
