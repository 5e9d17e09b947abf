/**
 * QARM's offline stages on a multimodal world, as one call: mine the alignment pairs (Swing I2I + U2I triggers),
 * pre-train and align the content encoder in PyTorch (stage A, src/bridge/python/qarm.py), then build the VQ and
 * RQ-Kmeans codes from the aligned embeddings (stage B) and their statistics, and time k-means in TypeScript vs
 * PyTorch. Returns the ranker's item-side tables (by item id, row 0 = padding).
 */
import { z } from 'zod';
import type { MultimodalWorld } from '../worlds/multimodal-world.ts';
import { Rng } from '../random.ts';
import { swing, swingPairs, triggerPairs, userPositives, type ItemPairs } from './pairs.ts';
import { codeStats, codeTable, vqCodes, type CodeStats } from './codes.ts';
import { rqKmeans } from './kmeans.ts';
import { nearestNeighbours, neighbourRecall, sameLabelShare } from './neighbours.ts';
import { runQarmJob } from './python-job.ts';
import type { QarmItemSide } from '../models/qarm-ranker.ts';

/**
 * Strict options of the offline stages (every key required; `QARM_PREPARE_DEFAULTS` holds the defaults).
 * @example
 * QarmPrepareSpec.parse(QARM_PREPARE_DEFAULTS);
 */
export const QarmPrepareSpec = z.strictObject({
  /** Pair sources (spec ablation: U2I only / I2I only / both). */
  pairs: z.enum(['u2i', 'i2i', 'both']),
  swingTopK: z.number().int().positive(),
  maxUsersPerItem: z.number().int().positive(),
  recentPositives: z.number().int().positive(),
  /** At most this many pairs (a seeded sample); 10% of them are held out to score the alignment. */
  maxPairs: z.number().int().positive(),
  encoder: z.strictObject({
    dim: z.number().int().positive(), outDim: z.number().int().positive(), pretrainEpochs: z.number().int().min(0), alignEpochs: z.number().int().min(0),
    batch: z.number().int().min(2), pretrainLr: z.number().positive(), alignLr: z.number().positive(), tau: z.number().positive(),
    scope: z.enum(['heads', 'all']),
    /** Local pre-trained encoder weights (a torch state dict); '' = pre-train from scratch on the world's content. */
    weights: z.string(),
  }),
  vqK: z.number().int().positive(),
  vqPool: z.number().int().positive(),
  rqLevels: z.number().int().positive(),
  rqK: z.number().int().min(2),
  kmeansIters: z.number().int().positive(),
  /** Which k-means produces the RQ codes; the other one is timed too when `timeBoth`. */
  kmeans: z.enum(['ts', 'torch']),
  timeBoth: z.boolean(),
  seed: z.number().int(),
});
/** Options of `prepareQarm` (see `QarmPrepareSpec`). */
export type QarmPrepareOptions = z.infer<typeof QarmPrepareSpec>;

/**
 * Defaults: both pair sources, Swing top-20, last 50 positives, VQ k 25, RQ-Kmeans 6 levels x 32 with PyTorch's k-means
 * (measured faster: 0.31 s vs 5.05 s in TypeScript for 1 200 x 32 in the quick world; both timed), encoder d_m 32.
 */
export const QARM_PREPARE_DEFAULTS: QarmPrepareOptions = {
  pairs: 'both', swingTopK: 20, maxUsersPerItem: 100, recentPositives: 50, maxPairs: 30_000,
  encoder: { dim: 32, outDim: 32, pretrainEpochs: 4, alignEpochs: 5, batch: 256, pretrainLr: 2e-3, alignLr: 3e-3, tau: 0.07, scope: 'heads', weights: '' },
  vqK: 25, vqPool: 100_000, rqLevels: 6, rqK: 32, kmeansIters: 20, kmeans: 'torch', timeBoth: true, seed: 0,
};

/** What `prepareQarm` returns. */
export interface QarmPrepared {
  /** Frozen embeddings (items, d) before and after alignment. */
  unaligned: Float32Array;
  aligned: Float32Array;
  dim: number;
  side: { vq: NonNullable<QarmItemSide['vq']>; rq: NonNullable<QarmItemSide['rq']>; mmUnaligned: NonNullable<QarmItemSide['mm']>; mmAligned: NonNullable<QarmItemSide['mm']> };
  vq: { codes: Int32Array; k: number; pool: number };
  rq: { codes: Int32Array; levels: number; k: number; residualNorm: number[] };
  stats: { vq: CodeStats; rq: CodeStats; rqPrefix: CodeStats[] };
  pairs: { u2i: number; i2i: number; used: number; heldOut: number };
  alignment: {
    pairAucUnaligned: number; pairAucAligned: number; pretrainLoss: number[]; alignLoss: number[]; parameters: number;
    /** Share of an item's top-10 Swing neighbours among its 10 nearest items by embedding (behaviour recall). */
    swingRecallUnaligned: number; swingRecallAligned: number;
    /** Share of the 10 nearest items in the item's true behaviour category (ground truth, diagnostics only). */
    sameCategoryUnaligned: number; sameCategoryAligned: number;
  };
  /** Swing neighbours (items, topK), -1 padded (empty when pairs is 'u2i'). */
  swing: { neighbours: Int32Array; topK: number };
  /** Seconds: stage A job (with process start-up), Python's own stage A, and k-means per backend. */
  timings: { stageA: number; stageAPython: number; kmeansTs: number | null; kmeansTorch: number | null; kmeansTorchJob: number | null };
}

function concatPairs(...ps: ItemPairs[]): ItemPairs {
  return { a: Int32Array.from(ps.flatMap((p) => [...p.a])), b: Int32Array.from(ps.flatMap((p) => [...p.b])) };
}

/** (items + 1, d) table with row 0 = zeros for padding. */
function byItemId(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array((n + 1) * d);
  out.set(x.subarray(0, n * d), d);
  return out;
}

/**
 * Runs stages A and B on a world. `u2i` holds the existing U2I model's item embeddings by item id ((items + 1, dim);
 * the pipelines pass a trained base ranker's item-id table).
 * @example
 * const prep = await prepareQarm(world, { table: idTable, dim: 16 }, QARM_PREPARE_DEFAULTS, console.log);
 * prep.stats.rq.shareSharing;
 */
export async function prepareQarm(world: MultimodalWorld, u2i: { table: Float32Array; dim: number }, options: QarmPrepareOptions, log: (m: string) => void = () => {}): Promise<QarmPrepared> {
  const o = QarmPrepareSpec.parse(options);
  const n = world.content.items;
  const c = world.content;
  const sw = o.pairs === 'u2i' ? { neighbours: new Int32Array(n * o.swingTopK).fill(-1), topK: o.swingTopK } : swing(userPositives(world.train), n, { topK: o.swingTopK, maxUsersPerItem: o.maxUsersPerItem, seed: o.seed });
  const i2i = swingPairs(sw);
  const u2iPairs = o.pairs === 'i2i' ? { a: new Int32Array(0), b: new Int32Array(0) } : triggerPairs(world.train, u2i.table, u2i.dim, { recent: o.recentPositives });
  const all = concatPairs(i2i, u2iPairs);
  const order = new Rng(o.seed).shuffle(Int32Array.from({ length: all.a.length }, (_, i) => i)).subarray(0, Math.min(all.a.length, o.maxPairs));
  const held = Math.max(1, Math.floor(order.length / 10));
  const pack = (idx: Int32Array) => Int32Array.from({ length: idx.length * 2 }, (_, k) => (k % 2 === 0 ? all.a[idx[k >> 1]] : all.b[idx[k >> 1]]));
  const evalPairs = pack(order.subarray(0, held));
  const trainPairs = pack(order.subarray(held));
  if (trainPairs.length < 4) throw new Error(`prepareQarm: only ${trainPairs.length / 2} training pairs were mined (pairs: '${o.pairs}'); the world has too few positives`);
  log(`QARM pairs: ${i2i.a.length} Swing I2I + ${u2iPairs.a.length} U2I trigger pairs; ${trainPairs.length / 2} for alignment, ${held} held out`);

  const e = o.encoder;
  const stageA = await runQarmJob('qarm_stage', {
    title: { data: c.title, shape: [n, c.titleLen] }, asr: { data: c.asr, shape: [n, c.asrLen] }, image: { data: c.image, shape: [n, 3, 32, 32] },
    pairs: { data: trainPairs, shape: [trainPairs.length / 2, 2] }, eval_pairs: { data: evalPairs, shape: [held, 2] },
  }, {
    vocab: c.vocab, seed: o.seed, dim: e.dim, out_dim: e.outDim, pretrain_epochs: e.pretrainEpochs, align_epochs: e.alignEpochs, batch: e.batch,
    pretrain_lr: e.pretrainLr, align_lr: e.alignLr, tau: e.tau, scope: e.scope, weights: e.weights,
  });
  const unaligned = stageA.tensors.unaligned.data as Float32Array;
  const aligned = stageA.tensors.aligned.data as Float32Array;
  const d = e.outDim;
  const pairAuc = stageA.value.eval_pair_auc as { unaligned: number; aligned: number };
  const secs = stageA.value.seconds as { total: number };
  log(`QARM stage A (${secs.total.toFixed(1)} s in Python, ${stageA.seconds.toFixed(1)} s with start-up): held-out pair AUC ${pairAuc.unaligned.toFixed(4)} unaligned -> ${pairAuc.aligned.toFixed(4)} aligned`);

  const nbU = nearestNeighbours(unaligned, n, d, 10);
  const nbA = nearestNeighbours(aligned, n, d, 10);
  const cat = world.latent.category;
  const vq = vqCodes(aligned, n, d, { k: o.vqK, poolSize: o.vqPool, seed: o.seed });
  let kmeansTs: number | null = null;
  let kmeansTorch: number | null = null;
  let kmeansTorchJob: number | null = null;
  let rq: { codes: Int32Array; residualNorm: number[] } | null = null;
  if (o.kmeans === 'ts' || o.timeBoth) {
    const t0 = Date.now();
    rq = rqKmeans(aligned, n, d, { levels: o.rqLevels, k: o.rqK, iters: o.kmeansIters, seed: o.seed });
    kmeansTs = (Date.now() - t0) / 1000;
  }
  if (o.kmeans === 'torch' || o.timeBoth) {
    const job = await runQarmJob('rq_kmeans', { x: { data: aligned, shape: [n, d] } }, { levels: o.rqLevels, k: o.rqK, iters: o.kmeansIters, seed: o.seed });
    kmeansTorch = job.value.seconds as number;
    kmeansTorchJob = job.seconds;
    if (o.kmeans === 'torch') rq = { codes: job.tensors.codes.data as Int32Array, residualNorm: [] };
  }
  if (!rq) throw new Error('prepareQarm: no RQ codes were built');
  const rqCodes = rq.codes;
  const prefix = (l: number) => Int32Array.from({ length: n * l }, (_, k) => rqCodes[Math.floor(k / l) * o.rqLevels + (k % l)]);
  const stats = {
    vq: codeStats(vq.codes, n, o.vqK, { codebook: vq.pool.length, bag: true }),
    rq: codeStats(rq.codes, n, o.rqLevels, { codebook: o.rqK }),
    rqPrefix: Array.from({ length: o.rqLevels }, (_, l) => codeStats(prefix(l + 1), n, l + 1, { codebook: o.rqK })),
  };
  return {
    unaligned, aligned, dim: d,
    side: {
      vq: { table: codeTable(vq.codes, n, o.vqK, 0), width: o.vqK, vocab: vq.pool.length + 1 },
      rq: { table: codeTable(rq.codes, n, o.rqLevels, o.rqK), levels: o.rqLevels, vocab: o.rqLevels * o.rqK + 1 },
      mmUnaligned: { table: byItemId(unaligned, n, d), dim: d },
      mmAligned: { table: byItemId(aligned, n, d), dim: d },
    },
    vq: { codes: vq.codes, k: o.vqK, pool: vq.pool.length },
    rq: { codes: rq.codes, levels: o.rqLevels, k: o.rqK, residualNorm: rq.residualNorm },
    stats,
    pairs: { u2i: u2iPairs.a.length, i2i: i2i.a.length, used: trainPairs.length / 2, heldOut: held },
    alignment: {
      pairAucUnaligned: pairAuc.unaligned, pairAucAligned: pairAuc.aligned, pretrainLoss: stageA.value.pretrain_loss as number[], alignLoss: stageA.value.align_loss as number[], parameters: stageA.value.parameters as number,
      swingRecallUnaligned: neighbourRecall(nbU, sw.neighbours, n, 10, sw.topK), swingRecallAligned: neighbourRecall(nbA, sw.neighbours, n, 10, sw.topK),
      sameCategoryUnaligned: sameLabelShare(nbU, cat, 10), sameCategoryAligned: sameLabelShare(nbA, cat, 10),
    },
    swing: sw,
    timings: { stageA: stageA.seconds, stageAPython: secs.total, kmeansTs, kmeansTorch, kmeansTorchJob },
  };
}
