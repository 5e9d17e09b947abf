/**
 * What the qarm pipelines (main, ab) share: the world and ranker config pieces, the compared variants, the U2I
 * stand-in (a base ranker whose item-id table scores trigger candidates), training one variant and scoring it on all
 * test rows, on cold-start (new) items and on the other (old) items.
 */
import { z } from 'zod';
import { tf } from '../../tf.ts';
import { generateMultimodalWorld, MULTIMODAL_PRESETS, type MultimodalWorld, type MultimodalWorldConfig } from '../../worlds/multimodal-world.ts';
import { QarmRanker, type QarmRankerConfig } from '../../models/qarm-ranker.ts';
import { ctrLoss } from '../../models/model.ts';
import { train, type TrainerConfig } from '../../train/trainer.ts';
import { evaluateCtr, predict } from '../../train/evaluate.ts';
import { auc } from '../../metrics/index.ts';
import { Rng } from '../../random.ts';
import { prepareQarm, type QarmPrepareOptions, type QarmPrepared } from '../../qarm/prepare.ts';
import type { PipelineContext } from '../pipeline.ts';

const num = z.number();
const int = z.number().int().positive();
/**
 * Multimodal world overrides (strict, partial) on top of a size preset.
 * @example
 * QarmWorld.parse({ preset: 'tiny', overrides: { mismatch: 0.8 } });
 */
export const QarmWorld = z.strictObject({
  preset: z.enum(['tiny', 'quick', 'full']),
  overrides: z.strictObject({
    users: int, items: int, categories: int, contentTopics: int, latentDim: int, interestsPerUser: int, historyLen: int, minHistory: int,
    impressionsPerUser: int, interestStrength: num, itemBiasStd: num, userBiasStd: num, intercept: num, relevantShare: num, mismatch: num,
    newItemShare: num, vocab: int, titleLen: int, asrLen: int, titleSharpness: num, asrSharpness: num, asrFiller: num, imageGain: num,
    imageNoise: num, validShare: num, testShare: num, seed: z.number().int(),
  }).partial(),
});
/** World selection (see `QarmWorld`). */
export type QarmWorld = z.infer<typeof QarmWorld>;

/** Builds the world of a config. */
export function qarmWorld(w: QarmWorld): MultimodalWorld {
  return generateMultimodalWorld({ ...MULTIMODAL_PRESETS[w.preset], ...(w.overrides as Partial<MultimodalWorldConfig>) });
}

/**
 * Ranker hyper-parameters (strict, partial; see QarmRankerConfig).
 * @example
 * RankerHyper.parse({ hidden: [64, 32] });
 */
export const RankerHyper = z.strictObject({
  embeddingDim: int, codeDim: int, mmDim: int, attentionHidden: z.array(int), hidden: z.array(int), dropout: z.number().min(0).lt(1), crossFeatures: z.boolean(),
}).partial();

/**
 * One compared variant: which item-side inputs the ranker gets.
 * @example
 * Variant.parse({ label: '+ RQ codes', vq: false, rq: true, mm: 'none' });
 */
export const Variant = z.strictObject({ label: z.string().min(1), vq: z.boolean(), rq: z.boolean(), mm: z.enum(['none', 'unaligned', 'aligned']) });
/** A compared variant (see `Variant`). */
export type Variant = z.infer<typeof Variant>;

/**
 * The main table's ladder (spec §4): base; + frozen unaligned MM vector; + frozen aligned MM vector; + VQ codes;
 * + RQ codes; + VQ + RQ codes; + all (codes and the aligned vector).
 * @example
 * QARM_VARIANTS[0].label; // 'Base (ID only)'
 */
export const QARM_VARIANTS: Variant[] = [
  { label: 'Base (ID only)', vq: false, rq: false, mm: 'none' },
  { label: '+ frozen MM (unaligned)', vq: false, rq: false, mm: 'unaligned' },
  { label: '+ frozen MM (aligned)', vq: false, rq: false, mm: 'aligned' },
  { label: '+ VQ codes', vq: true, rq: false, mm: 'none' },
  { label: '+ RQ codes', vq: false, rq: true, mm: 'none' },
  { label: '+ VQ + RQ codes', vq: true, rq: true, mm: 'none' },
  { label: '+ all (codes + aligned MM)', vq: true, rq: true, mm: 'aligned' },
];

/**
 * Quick-mode ranker and trainer (fit the shared 2-core budget): D 8, codes 8, W m 16, tower [64, 32]; 3 epochs of
 * Adam 8e-3, batch 2048 (measured 28% faster than batch 1024 / 5e-3 at the same validation AUC), early stopping on
 * validation AUC.
 * @example
 * qarmMainDefaults(true).ranker; // QUICK_RANKER
 */
export const QUICK_RANKER = { embeddingDim: 8, codeDim: 8, mmDim: 16, hidden: [64, 32] };
/** See QUICK_RANKER. */
export const QUICK_TRAINER = { epochs: 3, batchSize: 2048, optimizer: { learningRate: 8e-3 }, patience: 1 };

/** The ranker config of a variant (the tables come from `prepareQarm`). */
export function variantConfig(v: Variant, prep: QarmPrepared | null, hyper: Partial<QarmRankerConfig>): Partial<QarmRankerConfig> {
  if ((v.vq || v.rq || v.mm !== 'none') && !prep) throw new Error(`variant '${v.label}' needs QARM's codes / vectors`);
  const side = prep?.side;
  return {
    ...hyper,
    vq: v.vq && side ? side.vq : null,
    rq: v.rq && side ? side.rq : null,
    mm: v.mm === 'unaligned' && side ? side.mmUnaligned : v.mm === 'aligned' && side ? side.mmAligned : null,
  };
}

/** Test metrics of one trained variant: all rows, rows of new (cold-start) items, rows of old items. */
export interface SplitMetrics {
  auc: number;
  gauc: number;
  auc_new: number;
  gauc_new: number;
  auc_old: number;
}

/**
 * AUC / GAUC of probabilities on the test part, overall and split by new vs old items.
 * @example
 * splitMetrics(world, probs).auc_new;
 */
export function splitMetrics(world: MultimodalWorld, probs: Float32Array): SplitMetrics {
  const ds = world.test;
  const ids = ds.column('item_id');
  const all = evaluateCtr(ds, 'click', probs);
  const rowsNew: number[] = [];
  const rowsOld: number[] = [];
  for (let r = 0; r < ds.size; r++) (world.isNew[ids[r] - 1] ? rowsNew : rowsOld).push(r);
  const part = (rows: number[]) => evaluateCtr(ds.take(rows), 'click', Float32Array.from(rows, (r) => probs[r]));
  const y = ds.label('click');
  const sub = (rows: number[]) => auc(Float32Array.from(rows, (r) => y[r]), Float32Array.from(rows, (r) => probs[r]));
  return { auc: all.auc, gauc: all.gauc ?? NaN, auc_new: sub(rowsNew), gauc_new: part(rowsNew).gauc ?? NaN, auc_old: sub(rowsOld) };
}

/** The ceiling: the truth scored with `splitMetrics`. */
export function ceilingMetrics(world: MultimodalWorld): SplitMetrics {
  return splitMetrics(world, world.truth.test.click);
}

/**
 * Trains one variant (early stopping on validation AUC) and scores the test part; the model is disposed unless
 * `keep` (then returned). `index` varies the initialisation between variants of one seed.
 * @example
 * const r = await fitVariant({ world, prep, variant: QARM_VARIANTS[4], hyper: QUICK_RANKER, trainer: QUICK_TRAINER, seed: 1, index: 4, ctx });
 */
export async function fitVariant(args: {
  world: MultimodalWorld; prep: QarmPrepared | null; variant: Variant; hyper: Partial<QarmRankerConfig>; trainer: Record<string, unknown>;
  seed: number; index: number; ctx: PipelineContext; keep?: boolean;
}): Promise<{ metrics: SplitMetrics; validAuc: number; probs: Float32Array; model: QarmRanker | null; seconds: number; bestEpoch: number }> {
  const { world, variant, seed } = args;
  const model = new QarmRanker(new Rng(seed * 7919 + args.index), world.train.schema, variantConfig(variant, args.prep, args.hyper));
  try {
    const r = await args.ctx.stage(`train ${variant.label} seed ${seed}`, () => train({
      model, loss: ctrLoss('click'), train: world.train, valid: world.valid,
      config: { ...(args.trainer as Partial<TrainerConfig>), seed, monitor: 'auc', label: 'click', progressLabel: `${variant.label} seed ${seed}` },
    }));
    const probs = predict(model, world.test);
    const validAuc = evaluateCtr(world.valid, 'click', predict(model, world.valid)).auc;
    return { metrics: splitMetrics(world, probs), validAuc, probs, model: args.keep ? model : null, seconds: r.seconds, bestEpoch: r.bestEpoch };
  } finally {
    if (!args.keep) model.dispose();
  }
}

/**
 * The U2I stand-in for trigger mining: a base ranker (seed 0) trained on the world; returns its item-id table
 * ((items + 1, D), the "existing retrieval model's item embeddings" of spec §3.1).
 * @example
 * const u2i = await u2iItemTable(world, QUICK_RANKER, QUICK_TRAINER, ctx);
 */
export async function u2iItemTable(world: MultimodalWorld, hyper: Partial<QarmRankerConfig>, trainer: Record<string, unknown>, ctx: PipelineContext): Promise<{ table: Float32Array; dim: number }> {
  const r = await fitVariant({ world, prep: null, variant: { label: 'U2I stand-in (base ranker)', vq: false, rq: false, mm: 'none' }, hyper, trainer, seed: 0, index: 99, ctx, keep: true });
  const model = r.model as QarmRanker;
  try {
    const t = tf.tidy(() => model.itemTable());
    const table = t.dataSync() as Float32Array;
    const dim = t.shape[1] as number;
    t.dispose();
    return { table: Float32Array.from(table), dim };
  } finally {
    model.dispose();
  }
}

const PREPARED = new Map<string, Promise<{ world: MultimodalWorld; prep: QarmPrepared }>>();

/**
 * The world, the U2I stand-in and QARM's stages A and B for a config, memoised in this process by the config's JSON:
 * qarm/main and qarm/ab with the same world, prepare, ranker and trainer settings (as in `reclab reproduce --all`)
 * share one computation — every step is deterministic given the config, so the reuse changes no number.
 * @example
 * const { world, prep } = await preparedFor(config, ctx);
 */
export async function preparedFor(
  config: { world: QarmWorld; prepare: QarmPrepareOptions; ranker: Partial<QarmRankerConfig>; trainer: Record<string, unknown> },
  ctx: PipelineContext,
): Promise<{ world: MultimodalWorld; prep: QarmPrepared }> {
  const key = stableJson([config.world, config.prepare, config.ranker, config.trainer]);
  const hit = PREPARED.get(key);
  if (hit) {
    ctx.log('QARM world, U2I stand-in and stages A/B: reused from an earlier run in this process (same config)');
    return hit;
  }
  const job = (async () => {
    const world = await ctx.stage('world', () => qarmWorld(config.world));
    const u2i = await ctx.stage('U2I stand-in', () => u2iItemTable(world, config.ranker, config.trainer, ctx));
    const prep = await ctx.stage('QARM stages A and B', () => prepareQarm(world, u2i, config.prepare, (m) => ctx.log(m)));
    return { world, prep };
  })();
  PREPARED.set(key, job);
  job.catch(() => PREPARED.delete(key));
  return job;
}

/** JSON with object keys sorted (a config's identity regardless of key order). */
function stableJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(stableJson).join(',')}]`;
  if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${stableJson((x as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(x);
}
