/**
 * What the qarm pipelines (main, ab) share: the world and ranker config pieces, the compared variants, the U2I
 * stand-in (a base ranker whose item-id table scores trigger candidates), training one variant (early stopping on
 * validation AUC) and scoring it on all test rows, on cold-start (new) items and on the other (old) items, each metric
 * with its test-sampling evidence (DeLong SE for AUC, users-as-clusters SE for GAUC, rows, positives).
 */
import { z } from 'zod';
import { tf } from '../../tf.ts';
import { generateMultimodalWorld, MULTIMODAL_PRESETS, type MultimodalWorld, type MultimodalWorldConfig } from '../../worlds/multimodal-world.ts';
import { QarmRanker, type QarmRankerConfig } from '../../models/qarm-ranker.ts';
import { ctrLoss } from '../../models/model.ts';
import { train, TRAINER_DEFAULTS, type TrainerConfig } from '../../train/trainer.ts';
import { evaluateCtrEvidence, predict, type MetricEvidence } from '../../train/evaluate.ts';
import { stillImproving } from '../../evidence/rules.ts';
import { Rng } from '../../random.ts';
import { maxCosScores } from '../../qarm/content-similarity.ts';
import { prepareQarm, QARM_PREPARE_DEFAULTS, type QarmPrepareOptions, type QarmPrepared } from '../../qarm/prepare.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { Dataset } from '../../data/dataset.ts';
import type { MethodResult } from '../result-table.ts';
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

/**
 * Evidence-mode sizes shared by qarm/main and qarm/ab: the 'full' world (8 000 users, 4 000 items, about 38 700 test
 * impressions: AUC SE about 0.003; new items about 5 400 rows, SE about 0.008), RQ-Kmeans 6 x 256 (the spec's proposal
 * for public catalogues), the content encoder pre-trained for QARM_EVIDENCE_PRETRAIN_EPOCHS epochs and aligned for 10,
 * the spec's ranker (D 16, tower [256, 128, 64]) trained with Adam 2e-3, batch 1024, up to 20 epochs with early
 * stopping on validation AUC (patience 2).
 * Measured on the full world (4 000 items, 32 steps per epoch): 30 pre-training epochs took the loss from 4.62 to 0.80
 * (chance ln 128 = 4.85) and it still fell 3.7% over the last three epochs, so evidence mode runs 60 (stage A runs
 * once per run: about 2.5 minutes here); the final loss, chance and whether it still falls are recorded every run.
 */
export const QARM_EVIDENCE_PRETRAIN_EPOCHS = 60;

/**
 * World, offline stages, ranker and trainer of a run mode. Quick: the 'quick' world, RQ 6 x 32, the quick ranker and
 * trainer (a smoke test). Evidence: see QARM_EVIDENCE_PRETRAIN_EPOCHS. Paper: the evidence sizes — the paper's data
 * are industrial and its sizes are not published (spec §4), and the spec's encoder and ranker proposals are already the
 * evidence ones.
 * @example
 * qarmModeDefaults('evidence').prepare.rqK; // 256
 */
export function qarmModeDefaults(mode: RunMode): { world: QarmWorld; prepare: QarmPrepareOptions; ranker: Partial<QarmRankerConfig>; trainer: Record<string, unknown> } {
  if (mode === 'quick') return { world: { preset: 'quick', overrides: {} }, prepare: structuredClone(QARM_PREPARE_DEFAULTS), ranker: structuredClone(QUICK_RANKER), trainer: structuredClone(QUICK_TRAINER) };
  return {
    world: { preset: 'full', overrides: {} },
    prepare: { ...structuredClone(QARM_PREPARE_DEFAULTS), rqK: 256, encoder: { ...QARM_PREPARE_DEFAULTS.encoder, pretrainEpochs: QARM_EVIDENCE_PRETRAIN_EPOCHS, alignEpochs: 10 } },
    ranker: {},
    trainer: { epochs: 20, batchSize: 1024, optimizer: { learningRate: 2e-3 }, patience: 2 },
  };
}

/** Batch of the content pre-training (src/bridge/python/encoders.py `pretrain_batch`): its InfoNCE at chance is ln(128). */
export const PRETRAIN_BATCH = 128;

/**
 * Stage A's convergence as records (table 'encoder', seed = the prepare seed): the content pre-training loss (first and
 * final epoch, and chance = ln(batch) for in-batch InfoNCE), the alignment loss, and the held-out pair AUC before and
 * after alignment; a note and a summary for the results. The pre-training counts as still improving when its loss fell
 * by more than 2% over its last three epochs.
 * @example
 * const { records, note } = stageARecords(prep, config.prepare, ctx);
 */
export function stageARecords(prep: QarmPrepared, prepare: QarmPrepareOptions, ctx: Pick<PipelineContext, 'log'>): { records: ResultRecord[]; note: string; summary: Record<string, unknown> } {
  const pre = prep.alignment.pretrainLoss;
  const ali = prep.alignment.alignLoss;
  const chance = Math.log(Math.min(PRETRAIN_BATCH, prep.unaligned.length / prep.dim));
  const final = pre.at(-1) ?? Number.NaN;
  const back = pre.length >= 4 ? pre[pre.length - 4] : pre[0];
  const drop = pre.length >= 2 ? (back - final) / Math.abs(back) : Number.NaN;
  const still = pre.length === 0 ? null : !(drop <= 0.02);
  const base = { pipeline: '', run: '', table: 'encoder', method: 'content encoder (stage A)', variant: '', knob: '', seed: prepare.seed, rows: null, positives: null, se: null };
  const records: ResultRecord[] = [];
  if (pre.length) {
    records.push(
      { ...base, metric: 'pretrain_loss_first', split: 'train', value: pre[0], stillImproving: still },
      { ...base, metric: 'pretrain_loss_final', split: 'train', value: final, stillImproving: still },
      { ...base, metric: 'pretrain_loss_chance', split: 'train', value: chance, stillImproving: null },
    );
  }
  if (ali.length) records.push({ ...base, metric: 'align_loss_final', split: 'train', value: ali.at(-1) as number, stillImproving: null });
  records.push(
    { ...base, metric: 'pair_auc_unaligned', split: 'valid', value: prep.alignment.pairAucUnaligned, rows: prep.pairs.heldOut, stillImproving: null },
    { ...base, metric: 'pair_auc_aligned', split: 'valid', value: prep.alignment.pairAucAligned, rows: prep.pairs.heldOut, stillImproving: null },
  );
  const note = pre.length
    ? `Content encoder pre-training (${pre.length} epochs, text<->image InfoNCE, batch ${PRETRAIN_BATCH}): loss ${pre[0].toFixed(3)} -> ${final.toFixed(3)} against ${chance.toFixed(3)} at chance; ${still ? `STILL DECREASING (${(100 * drop).toFixed(1)}% over the last three epochs): more epochs would change the embeddings` : `flat (${(100 * drop).toFixed(1)}% over the last three epochs)`}. Alignment loss after ${ali.length} epochs: ${ali.length ? (ali.at(-1) as number).toFixed(3) : 'n/a'}.`
    : `Content encoder: pre-trained weights loaded from '${prepare.encoder.weights}' (no pre-training in this run).`;
  ctx.log(note);
  return { records, note, summary: { pretrainLoss: pre, alignLoss: ali, chance, pretrainStillDecreasing: still } };
}

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

/** The test metrics of one trained variant: all rows, rows of new (cold-start) items, rows of old items. */
export const SPLIT_METRICS = ['auc', 'gauc', 'auc_new', 'gauc_new', 'auc_old'] as const;
/** One of {@link SPLIT_METRICS}. */
export type SplitMetric = (typeof SPLIT_METRICS)[number];
/** Values of {@link SPLIT_METRICS}. */
export type SplitMetrics = Record<SplitMetric, number>;

const NO_EVIDENCE = (rows: number, positives: number): MetricEvidence => ({ value: Number.NaN, se: Number.NaN, rows, positives });

/**
 * AUC / GAUC of probabilities on a test split, overall and split by new vs old items, each with its test-sampling SE,
 * rows and positives (GAUC: NaN when no user has both classes among the rows).
 * @param ds - the test split (pass it through `ctx.holdout`); rows align with `probs`.
 * @example
 * splitEvidence(world, ctx.holdout(world.test), probs).auc_new.se;
 */
export function splitEvidence(world: MultimodalWorld, ds: Dataset, probs: Float32Array): Record<SplitMetric, MetricEvidence> {
  const ids = ds.column('item_id');
  const rowsNew: number[] = [];
  const rowsOld: number[] = [];
  for (let r = 0; r < ds.size; r++) (world.isNew[ids[r] - 1] ? rowsNew : rowsOld).push(r);
  const all = evaluateCtrEvidence(ds, 'click', probs);
  const part = (rows: number[]) => evaluateCtrEvidence(ds.take(rows), 'click', Float32Array.from(rows, (r) => probs[r]));
  const pNew = part(rowsNew);
  const pOld = part(rowsOld);
  return { auc: all.auc, gauc: all.gauc ?? NO_EVIDENCE(all.auc.rows, all.auc.positives), auc_new: pNew.auc, gauc_new: pNew.gauc ?? NO_EVIDENCE(pNew.auc.rows, pNew.auc.positives), auc_old: pOld.auc };
}

/**
 * The labels and scores an AUC column of {@link splitEvidence} is computed on: 'auc' every test row, 'auc_new' /
 * 'auc_old' the rows of new / old items (for paired gains).
 * @example
 * scoredRows(world, test, fit.probs, 'auc_new').labels.length; // test rows of new items
 */
export function scoredRows(world: MultimodalWorld, ds: Dataset, probs: Float32Array, column: string): { labels: Float32Array; scores: Float32Array } {
  const y = ds.label('click');
  if (column === 'auc') return { labels: y, scores: probs };
  if (column !== 'auc_new' && column !== 'auc_old') throw new Error(`qarm: no paired AUC for column '${column}' (auc, auc_new, auc_old)`);
  const ids = ds.column('item_id');
  const rows: number[] = [];
  for (let r = 0; r < ds.size; r++) if ((world.isNew[ids[r] - 1] === 1) === (column === 'auc_new')) rows.push(r);
  return { labels: Float32Array.from(rows, (r) => y[r]), scores: Float32Array.from(rows, (r) => probs[r]) };
}

/**
 * Values of {@link splitEvidence}.
 * @example
 * splitMetrics(world, world.test, probs).auc_new;
 */
export function splitMetrics(world: MultimodalWorld, ds: Dataset, probs: Float32Array): SplitMetrics {
  const e = splitEvidence(world, ds, probs);
  return Object.fromEntries(SPLIT_METRICS.map((k) => [k, e[k].value])) as SplitMetrics;
}

/** The ceiling: the truth scored with `splitMetrics` on the test split. */
export function ceilingMetrics(world: MultimodalWorld): SplitMetrics {
  return splitMetrics(world, world.test, world.truth.test.click);
}

/**
 * An empty per-seed result of a variant in the evidence shape (values, se, rows, positives per metric;
 * still-improving per seed), filled by {@link pushEvidence}.
 * @example
 * const r = evidenceResult('+ RQ codes', [1, 2], ['auc', 'gauc']);
 */
export function evidenceResult(method: string, seeds: number[], metrics: readonly string[]): Required<MethodResult> {
  const empty = () => Object.fromEntries(metrics.map((k) => [k, [] as number[]]));
  return { method, seeds: [...seeds], values: empty(), se: empty(), rows: empty(), positives: empty(), stillImproving: [] };
}

/**
 * Appends one seed's evidence of the result's metrics.
 * @example
 * pushEvidence(results[i], fit.evidence);
 */
export function pushEvidence(r: Required<MethodResult>, ev: Partial<Record<string, MetricEvidence>>): void {
  for (const k of Object.keys(r.values)) {
    const e = ev[k];
    if (!e) throw new Error(`pushEvidence: no '${k}' for ${r.method}`);
    r.values[k].push(e.value);
    r.se[k].push(e.se);
    r.rows[k].push(e.rows);
    r.positives[k].push(e.positives);
  }
}

/** One zero-parameter reference row: label, the split metrics, a note. */
export interface ContentReference {
  label: string;
  values: SplitMetrics;
  note: string;
}

/**
 * The zero-parameter content references of issue 16: each test row scored by max over the history of cos(content of
 * history item, content of candidate) (src/qarm/content-similarity.ts) with the unaligned and the aligned frozen
 * embeddings. Nothing is trained, so one value per run: records in table 'content-reference' (seed 0, DeLong SEs,
 * rows, positives, stillImproving false), reference rows for the main and cold-start tables, and notes (the new-item
 * share of the test rows included).
 * @param test - the test split (pass `ctx.holdout(world.test)`).
 * @example
 * const refs = contentReferences(world, prep, ctx.holdout(world.test));
 */
export function contentReferences(world: MultimodalWorld, prep: QarmPrepared, test: Dataset): { rows: ContentReference[]; records: ResultRecord[]; note: string; newNote: string } {
  const rows: ContentReference[] = [];
  const records: ResultRecord[] = [];
  for (const [which, side] of [['unaligned', prep.side.mmUnaligned], ['aligned', prep.side.mmAligned]] as const) {
    const label = `max-cos content (${which}), zero-parameter`;
    const ev = splitEvidence(world, test, maxCosScores(test, side.table, side.dim));
    rows.push({ label, values: Object.fromEntries(SPLIT_METRICS.map((k) => [k, ev[k].value])) as SplitMetrics, note: `max over the history of cos(${which} content of the history item, of the candidate); nothing trained (DeLong SE of AUC ${ev.auc.se.toFixed(4)}, new items ${ev.auc_new.se.toFixed(4)})` });
    for (const k of SPLIT_METRICS) records.push({ pipeline: '', run: '', table: 'content-reference', method: label, variant: '', knob: '', metric: k, split: 'test', seed: 0, value: ev[k].value, se: Number.isFinite(ev[k].se) ? ev[k].se : null, rows: ev[k].rows, positives: ev[k].positives, stillImproving: false });
  }
  const [u, a] = rows;
  const note = `Zero-parameter content reference (issue 16): scoring each row by max over the history of cos(content of history item, content of candidate) gives AUC ${u.values.auc.toFixed(4)} with the unaligned and ${a.values.auc.toFixed(4)} with the aligned embeddings; a trained content variant below these has not used what its input carries.`;
  const nNew = records.find((r) => r.metric === 'auc_new')?.rows ?? 0;
  const nAll = records.find((r) => r.metric === 'auc')?.rows ?? 0;
  const newNote = `New items: ${nNew} of ${nAll} test rows (${nAll ? ((100 * nNew) / nAll).toFixed(1) : 'n/a'}%), reported separately here; max-cos content AUC on them ${u.values.auc_new.toFixed(4)} (unaligned) / ${a.values.auc_new.toFixed(4)} (aligned).`;
  return { rows, records, note, newNote };
}

/** What {@link fitVariant} returns. */
export interface VariantFit {
  /** Test metrics (all rows, new items, old items) with their evidence. */
  evidence: Record<SplitMetric, MetricEvidence>;
  metrics: SplitMetrics;
  /** Validation AUC of the kept (best) epoch, with its DeLong SE. */
  valid: MetricEvidence;
  validAuc: number;
  probs: Float32Array;
  model: QarmRanker | null;
  seconds: number;
  /** 0-based best epoch, the epoch budget, and whether the best epoch was the last one allowed. */
  bestEpoch: number;
  epochs: number;
  stillImproving: boolean;
}

/**
 * Trains one variant (early stopping on validation AUC) and scores the test part (`test`, default `world.test`; pass
 * `ctx.holdout(world.test)`); the model is disposed unless `keep` (then returned). `index` varies the initialisation
 * between variants of one seed.
 * @example
 * const r = await fitVariant({ world, prep, variant: QARM_VARIANTS[4], hyper: QUICK_RANKER, trainer: QUICK_TRAINER, seed: 1, index: 4, ctx });
 */
export async function fitVariant(args: {
  world: MultimodalWorld; prep: QarmPrepared | null; variant: Variant; hyper: Partial<QarmRankerConfig>; trainer: Record<string, unknown>;
  seed: number; index: number; ctx: PipelineContext; keep?: boolean; test?: Dataset;
}): Promise<VariantFit> {
  const { world, variant, seed } = args;
  const test = args.test ?? world.test;
  const model = new QarmRanker(new Rng(seed * 7919 + args.index), world.train.schema, variantConfig(variant, args.prep, args.hyper));
  try {
    const r = await args.ctx.stage(`train ${variant.label} seed ${seed}`, () => train({
      model, loss: ctrLoss('click'), train: world.train, valid: world.valid,
      config: { ...(args.trainer as Partial<TrainerConfig>), seed, monitor: 'auc', label: 'click', progressLabel: `${variant.label} seed ${seed}` },
    }));
    const probs = predict(model, test);
    const valid = evaluateCtrEvidence(world.valid, 'click', predict(model, world.valid)).auc;
    const evidence = splitEvidence(world, test, probs);
    const epochs = typeof args.trainer.epochs === 'number' ? args.trainer.epochs : TRAINER_DEFAULTS.epochs;
    return {
      evidence, metrics: Object.fromEntries(SPLIT_METRICS.map((k) => [k, evidence[k].value])) as SplitMetrics, valid, validAuc: valid.value, probs,
      model: args.keep ? model : null, seconds: r.seconds, bestEpoch: r.bestEpoch, epochs, stillImproving: stillImproving(r.bestEpoch, epochs),
    };
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

const PREPARED = new Map<string, { world: Promise<MultimodalWorld>; prep?: Promise<QarmPrepared> }>();

/**
 * The world, the U2I stand-in and QARM's stages A and B for a config, memoised in this process by the config's JSON:
 * qarm/main and qarm/ab with the same world, prepare, ranker and trainer settings (as in `reclab reproduce --all`)
 * share one computation — every step is deterministic given the config, so the reuse changes no number. The stand-in
 * and stages A and B (Python) are the run's shared input (`ctx.shared`): with fit workers they are built once and the
 * workers read them from the run's file; each worker generates the world again (seconds).
 * @example
 * const { world, prep } = await preparedFor(config, ctx);
 */
export async function preparedFor(
  config: { world: QarmWorld; prepare: QarmPrepareOptions; ranker: Partial<QarmRankerConfig>; trainer: Record<string, unknown> },
  ctx: PipelineContext,
): Promise<{ world: MultimodalWorld; prep: QarmPrepared }> {
  const key = stableJson([config.world, config.prepare, config.ranker, config.trainer]);
  let entry = PREPARED.get(key);
  if (entry) ctx.log('QARM world, U2I stand-in and stages A/B: reused from an earlier run in this process (same config)');
  else {
    entry = { world: ctx.stage('world', () => qarmWorld(config.world)) };
    PREPARED.set(key, entry);
  }
  const memo = entry;
  try {
    const world = await memo.world;
    const prep = await ctx.shared('QARM stages A and B', () => (memo.prep ??= (async () => {
      const u2i = await ctx.stage('U2I stand-in', () => u2iItemTable(world, config.ranker, config.trainer, ctx));
      return ctx.stage('QARM stages A and B', () => prepareQarm(world, u2i, config.prepare, (m) => ctx.log(m)));
    })()));
    return { world, prep };
  } catch (e) {
    PREPARED.delete(key);
    throw e;
  }
}

/** JSON with object keys sorted (a config's identity regardless of key order). */
function stableJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(stableJson).join(',')}]`;
  if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${stableJson((x as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(x);
}
