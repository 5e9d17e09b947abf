/**
 * What the minet pipelines (main, ablation, ab, amazon) share: the compared methods as strict config pieces, quick
 * sizes and the evidence-mode world and trainer, training and scoring one method on a cross-domain dataset
 * (single-domain models get the target-domain view) with each metric's test-sampling evidence (DeLong SE, rows,
 * positives) and the "still improving" flag, per-seed results collected for the evidence tables, the ceiling row, the
 * interest-weight table by target-history segment, and the sentences the tables state.
 * Pure helpers; the pipelines own their configs and runs.
 */
import { z } from 'zod';
import { tf } from '../../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Dataset } from '../../data/dataset.ts';
import { batchOf, toTensors, type TensorBatch } from '../../data/batching.ts';
import { getModelSpec } from '../../models/registry.ts';
import type { RecModel } from '../../models/model.ts';
import { crossDomainLoss, denseSourceLoss, isSourceScorer } from '../../models/cross-domain-dnn.ts';
import { targetDomainView, targetHistoryCounts } from '../../worlds/news-ads-world.ts';
import { groundTruthCeiling, type WorldData } from '../../worlds/world.ts';
import { TRAINER_DEFAULTS, train, type TrainerConfig } from '../../train/trainer.ts';
import { evaluateCtrEvidence, predict, type MetricEvidence } from '../../train/evaluate.ts';
import { auc } from '../../metrics/index.ts';
import { deLongAuc } from '../../evidence/stats.ts';
import { stillImproving } from '../../evidence/rules.ts';
import { Rng } from '../../random.ts';
import { barChart, type Figure } from '../../plots/index.ts';
import { buildResultTable, type MethodResult, type MetricColumn, type ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';

/**
 * One compared method (strict): display label, registered model, its config. Cross-domain models ('cross-domain-ctr'
 * task) train with `crossDomainLoss` and the config's `sourceWeight` (default 1); 'ctr' models see the target domain only.
 * @example
 * MinetMethod.parse({ label: 'MiNet', model: 'minet', config: { embeddingDim: 8 } });
 */
export const MinetMethod = z.strictObject({ label: z.string().min(1), model: z.string().min(1), config: z.record(z.string(), z.unknown()) });
/** A compared method (see the schema `MinetMethod`). */
export type MinetMethod = z.infer<typeof MinetMethod>;

/**
 * Model sizes of quick mode (2-core CPU budget); full mode uses the models' defaults (MiNet's released sizes).
 * @example
 * QUICK_SIZES.minet.attentionHidden; // 32
 */
export const QUICK_SIZES: Record<string, Record<string, unknown>> = {
  dnn: { embeddingDim: 8, hidden: [128, 64] },
  din: { embeddingDim: 8, hidden: [128, 64] },
  'cross-domain-dnn': { embeddingDim: 8, hidden: [128, 64], sourceHidden: [128, 64] },
  conet: { embeddingDim: 8, hidden: [64, 32, 16] },
  minet: { embeddingDim: 8, hidden: [128, 64], sourceHidden: [128, 64], attentionHidden: 32, interestHidden: 32 },
};

/**
 * The main table's methods: single-domain DNN and DIN, the shared-embedding cross-domain DNN, CoNet, MiNet.
 * @example
 * mainMethods(true).map((m) => m.label); // ['DNN', 'DIN', 'Cross-domain DNN', 'CoNet', 'MiNet']
 */
export function mainMethods(quick: boolean): MinetMethod[] {
  const m = (label: string, model: string): MinetMethod => ({ label, model, config: quick ? structuredClone(QUICK_SIZES[model]) : {} });
  return [m('DNN', 'dnn'), m('DIN', 'din'), m('Cross-domain DNN', 'cross-domain-dnn'), m('CoNet', 'conet'), m('MiNet', 'minet')];
}

/**
 * Trainer settings of quick mode: 2 epochs (as the released code) of Adam 4e-3, batch 512, early stopping on validation AUC.
 * @example
 * resolveTrainerConfig(QUICK_TRAINER).batchSize; // 512
 */
export const QUICK_TRAINER = { epochs: 2, batchSize: 512, optimizer: { learningRate: 4e-3 }, patience: 1 };

/**
 * The news -> ads world of evidence mode: 10 000 users (150 000 training, about 62 000 test ad impressions, so the
 * DeLong SE of the target AUC is about 0.002), the 'full' preset's catalogue and topic structure.
 * @example
 * generateNewsAdsWorld(MINET_EVIDENCE_WORLD).test.size; // about 62 000
 */
export const MINET_EVIDENCE_WORLD = { users: 10000, newsItems: 4000, adItems: 1500, topics: 12, newsCategories: 36, adCategories: 24, sessionsPerUser: 5 };

/**
 * Trainer of evidence mode: Adam 2e-3, batch 1024, up to 8 epochs with early stopping on validation AUC (patience 2;
 * the released code trains 2 epochs of Adagrad, so 8 leaves the best epoch room before the cap).
 * @example
 * MINET_EVIDENCE_TRAINER.patience; // 2
 */
export const MINET_EVIDENCE_TRAINER = { epochs: 8, batchSize: 1024, optimizer: { learningRate: 2e-3 }, patience: 2 };

/** Seeds of evidence and paper mode (the paper reports five-run averages). */
export const MINET_EVIDENCE_SEEDS = [1, 2, 3, 4, 5];

/** The table's columns: target-domain AUC and logloss. */
export const MINET_COLUMNS: MetricColumn[] = [{ name: 'auc', higherIsBetter: true }, { name: 'logloss', higherIsBetter: false }];

/**
 * Cross-domain train / valid / test parts (a world, or a loaded public dataset), and optionally the source domain's
 * own training log (the news log of the news -> ads world, `newsLogOf(world).train`): when given, cross-domain models
 * that can score source rows alone train their source tower on batches drawn from it at its own rate (log rows per
 * target row x the target batch) instead of the one source row each target row carries (issue 15: dense source).
 */
export type CrossDomainParts = Pick<WorldData, 'train' | 'valid' | 'test'> & { sourceLog?: Dataset | null };

/**
 * A sampler of source batches from a log: `size` random rows (with replacement, seeded) per call, as tensors.
 * @example
 * const sample = sourceSampler(newsLogOf(world).train, 1024, 7); sample().src_click; // (1024)
 */
export function sourceSampler(log: Dataset, size: number, seed: number): () => TensorBatch {
  if (!log.size) throw new Error('sourceSampler: the source log is empty');
  const rng = new Rng(seed);
  return () => toTensors(log, batchOf(log, Int32Array.from({ length: size }, () => rng.int(log.size))));
}

/**
 * What `fitMethod` returns: test probabilities and metrics, each metric with its test-sampling evidence (DeLong SE for
 * AUC, rows, positives), the raw test outputs asked for, the best (0-based) epoch, the epoch budget and whether the
 * best epoch was the last one allowed.
 */
export interface FitResult {
  probs: Float32Array;
  metrics: { auc: number; logloss: number };
  evidence: Record<'auc' | 'logloss', MetricEvidence>;
  outputs: Record<string, Float32Array>;
  /** Validation target AUC of the best epoch (what early stopping selected on). */
  validAuc: number;
  bestEpoch: number;
  epochs: number;
  stillImproving: boolean;
  seconds: number;
}

/**
 * Raw (not squashed) values of named (B) outputs for every row in order; missing outputs are left out.
 * @example
 * collectOutputs(minet, world.test, ['wLong', 'wShortSource']).wLong; // Float32Array(test.size)
 */
export function collectOutputs(model: RecModel, ds: Dataset, names: string[], batchSize = 4096): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (let start = 0; start < ds.size; start += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, ds.size - start) }, (_, i) => start + i);
    const got = tf.tidy(() => {
      const o = model.apply(toTensors(ds, batchOf(ds, rows)), { training: false });
      const kept: Record<string, Tensor> = {};
      for (const n of names) if (o[n]) kept[n] = tf.reshape(o[n], [-1]); // (B)
      return kept;
    });
    for (const [n, t] of Object.entries(got)) {
      out[n] ??= new Float32Array(ds.size);
      out[n].set(t.dataSync(), start);
      t.dispose();
    }
  }
  return out;
}

/**
 * {@link fitMethod} for every (seed, method): fits[m][s] by method and seed index. `index` fixes the initialisation
 * offset for every method (the ablation's shared stream); by default it is the method's position. The fits are declared
 * as jobs (`ctx.fits`), so a run with fit workers trains them in parallel; the results are plain data.
 * @example
 * const fits = await fitMethodAll({ data, methods: config.methods, seeds: config.seeds, trainer: config.trainer, ctx });
 */
export async function fitMethodAll(args: Omit<Parameters<typeof fitMethod>[0], 'method' | 'seed' | 'index'> & { methods: MinetMethod[]; seeds: number[]; index?: number }): Promise<FitResult[][]> {
  const { methods, seeds, index, ...rest } = args;
  return fitGrid(args.ctx.fits, `minet${args.stage ?? ''}`, methods, seeds, (method, seed, i) => fitMethod({ ...rest, method, seed, index: index ?? i }), args.stage);
}

/**
 * Trains one method (early stopping on validation target AUC; with `data.sourceLog`, cross-domain models draw their
 * source batches from it, see {@link CrossDomainParts}) and scores the test part (pass it through
 * `ctx.holdout`, so the selection audit can permute its labels); the model is disposed.
 * `index` varies the initialisation between methods of one seed.
 * @example
 * const r = await fitMethod({ data: world, method: mainMethods(true)[4], trainer: QUICK_TRAINER, seed: 1, index: 4, ctx });
 * r.metrics.auc; // target-domain test AUC
 */
export async function fitMethod(args: {
  data: CrossDomainParts; method: MinetMethod; trainer: Record<string, unknown>; seed: number; index: number; ctx: PipelineContext; outputs?: string[]; stage?: string;
}): Promise<FitResult> {
  const { method, seed } = args;
  const spec = getModelSpec(method.model);
  const cross = spec.task === 'cross-domain-ctr';
  if (!cross && spec.task !== 'ctr') throw new Error(`minet pipelines: model '${method.model}' is a '${spec.task}' model, not a CTR or cross-domain CTR model`);
  const view = (ds: Dataset) => (cross ? ds : targetDomainView(ds));
  const [tr, va, te] = [view(args.data.train), view(args.data.valid), view(args.data.test)];
  const model = spec.create(new Rng(seed * 7919 + args.index), tr.schema, method.config);
  try {
    const w = typeof method.config.sourceWeight === 'number' ? method.config.sourceWeight : 1;
    const log = args.data.sourceLog;
    const batchSize = typeof args.trainer.batchSize === 'number' ? args.trainer.batchSize : TRAINER_DEFAULTS.batchSize;
    const dense = cross && log && log.size > 0 && isSourceScorer(model);
    const loss = dense ? denseSourceLoss(model, 'click', w, sourceSampler(log, Math.max(1, Math.round((batchSize * log.size) / tr.size)), seed * 104729 + args.index)) : cross ? crossDomainLoss('click', w) : spec.loss('click');
    const r = await args.ctx.stage(`train ${method.label} seed ${seed}${args.stage ?? ''}`, () =>
      train({
        // Validation AUC computed here: the built-in monitor also computes GAUC, undefined on leave-last-out splits.
        model, loss, train: tr, validate: (m) => auc(va.label('click'), predict(m, va)),
        config: { ...(args.trainer as Partial<TrainerConfig>), monitor: 'auc', label: 'click', seed, progressLabel: `${method.label} seed ${seed}` },
      }),
    );
    const probs = predict(model, te);
    const ev = evaluateCtrEvidence(te, 'click', probs);
    const epochs = typeof args.trainer.epochs === 'number' ? args.trainer.epochs : TRAINER_DEFAULTS.epochs;
    return {
      probs, metrics: { auc: ev.auc.value, logloss: ev.logloss.value }, evidence: { auc: ev.auc, logloss: ev.logloss }, outputs: collectOutputs(model, te, args.outputs ?? []),
      validAuc: r.history[r.bestEpoch]?.valid ?? Number.NaN, bestEpoch: r.bestEpoch, epochs, stillImproving: stillImproving(r.bestEpoch, epochs), seconds: r.seconds,
    };
  } finally {
    model.dispose();
  }
}

/**
 * An empty per-seed result of a method with the evidence fields (values, se, rows, positives per metric; the
 * still-improving flag per seed), filled by {@link pushEvidence}.
 * @example
 * const r = evidenceResult('MiNet', [1, 2], ['auc', 'logloss']);
 */
export function evidenceResult(method: string, seeds: number[], metrics: string[]): Required<MethodResult> {
  const empty = () => Object.fromEntries(metrics.map((k) => [k, [] as number[]]));
  return { method, seeds: [...seeds], values: empty(), se: empty(), rows: empty(), positives: empty(), stillImproving: [] };
}

/**
 * Appends one seed's value of a metric with its evidence to a result from {@link evidenceResult}.
 * @example
 * pushEvidence(r, 'auc', fit.evidence.auc);
 */
export function pushEvidence(r: Required<MethodResult>, metric: string, e: MetricEvidence): void {
  r.values[metric].push(e.value);
  r.se[metric].push(e.se);
  r.rows[metric].push(e.rows);
  r.positives[metric].push(e.positives);
}

/**
 * Appends one fit's AUC and logloss (with evidence) and its still-improving flag.
 * @example
 * pushFit(results[i], fit);
 */
export function pushFit(r: Required<MethodResult>, fit: FitResult): void {
  pushEvidence(r, 'auc', fit.evidence.auc);
  pushEvidence(r, 'logloss', fit.evidence.logloss);
  r.stillImproving.push(fit.stillImproving);
}

/**
 * The validation record of a fit (split 'valid': the best epoch's validation AUC, what early stopping selected on;
 * kept out of the tables, for audits).
 * @example
 * validRecord('main', 'MiNet', 1, fit);
 */
export function validRecord(table: string, method: string, seed: number, fit: FitResult): ResultRecord {
  return { pipeline: '', run: '', table, method, variant: '', knob: '', metric: 'auc', split: 'valid', seed, value: fit.validAuc, rows: null, positives: null, se: null, stillImproving: fit.stillImproving };
}

/**
 * AUC with its DeLong SE on a subset of rows (e.g. the sparse-history users); NaN SE when a class has < 2 rows.
 * @example
 * subsetAucEvidence(y, probs, [0, 5, 9]).se;
 */
export function subsetAucEvidence(y: ArrayLike<number>, p: ArrayLike<number>, rows: ArrayLike<number>): MetricEvidence {
  const ys = Float32Array.from(rows, (i) => y[i]);
  const ps = Float32Array.from(rows, (i) => p[i]);
  let positives = 0;
  for (const v of ys) positives += v > 0.5 ? 1 : 0;
  const d = positives >= 2 && ys.length - positives >= 2 ? deLongAuc(ys, ps) : { value: auc(ys, ps), se: Number.NaN };
  return { value: d.value, se: d.se, rows: ys.length, positives };
}

/** A bar chart's std: the seed std, or none with one seed (NaN). */
export function barStd(std: number): number | undefined {
  return Number.isFinite(std) ? std : undefined;
}

/**
 * The ground-truth ceiling of the target click as a reference row.
 * @example
 * buildResultTable({ ..., references: [ceilingRow(world)] });
 */
export function ceilingRow(world: WorldData): ResultTable['references'][number] {
  const c = groundTruthCeiling(world, 'test', 'click');
  return { label: 'ground-truth ceiling', values: { auc: c.auc, logloss: c.logloss }, note: "the world's true ad-click probabilities scored on the same test rows (no model beats it in expectation)" };
}

/** Target-history segments of the interest-weight table (number of recent ad clicks, inclusive bounds). */
export const SEGMENTS = [
  { label: '0 target clicks', lo: 0, hi: 0 },
  { label: '1-2 target clicks', lo: 1, hi: 2 },
  { label: '3-5 target clicks', lo: 3, hi: 5 },
  { label: '6+ target clicks', lo: 6, hi: Infinity },
] as const;
/** MiNet's interest-weight outputs and their table columns. */
export const WEIGHT_OUTPUTS = [['wLong', 'w_long'], ['wShortTarget', 'w_short_target'], ['wShortSource', 'w_short_source']] as const;

/**
 * Mean learned interest weight per target-history segment, for one trained MiNet (segments without rows are NaN).
 * @example
 * segmentWeights(world.test, r.outputs).w_short_source; // [w for 0 clicks, 1-2, 3-5, 6+]
 */
export function segmentWeights(test: Dataset, outputs: Record<string, Float32Array>): Record<string, number[]> {
  const counts = targetHistoryCounts(test);
  const res: Record<string, number[]> = {};
  for (const [out, col] of WEIGHT_OUTPUTS) {
    const w = outputs[out];
    res[col] = SEGMENTS.map((s) => {
      let sum = 0, n = 0;
      for (let i = 0; i < counts.length; i++) if (counts[i] >= s.lo && counts[i] <= s.hi) { sum += w ? w[i] : NaN; n++; }
      return n ? sum / n : NaN;
    });
  }
  res.share_short_source = res.w_short_source.map((ws, k) => ws / (ws + res.w_short_target[k]));
  return res;
}

/**
 * The interest-weight table (id 'interest-weights'; segments as rows under their stable labels, mean ± std over seeds;
 * relative change and paired comparison against the users with no target history; each value's `rows` is the segment's
 * test rows) and its figure, from one `segmentWeights` result per seed.
 * @example
 * const { table, figure } = interestWeightTable(perSeed, seeds, 'news-ads-world', rowCounts);
 */
export function interestWeightTable(perSeed: Array<Record<string, number[]>>, seeds: number[], data: string, rowCounts: number[]): { table: ResultTable; figure: Figure } {
  const cols = [...WEIGHT_OUTPUTS.map(([, c]) => c), 'share_short_source'];
  const present = SEGMENTS.map((_, k) => perSeed.every((r) => cols.every((c) => Number.isFinite(r[c][k]))));
  const results: MethodResult[] = SEGMENTS.flatMap((s, k) => (present[k] ? [{
    method: s.label, seeds,
    values: Object.fromEntries(cols.map((c) => [c, perSeed.map((r) => r[c][k])])),
    rows: Object.fromEntries(cols.map((c) => [c, seeds.map(() => rowCounts[k])])),
  }] : []));
  const table = buildResultTable({
    id: 'interest-weights',
    title: `MiNet's learned interest weights by the user's target-domain history (${data}, test rows, ${seeds.length} seed${seeds.length > 1 ? 's' : ''})`,
    base: results[0].method, metrics: cols.map((name) => ({ name, higherIsBetter: true })), results,
  });
  table.notes.push(
    `Test rows per segment: ${SEGMENTS.map((s, k) => `${s.label} ${rowCounts[k]}`).join(', ')}${present.every(Boolean) ? '' : ' (segments without rows are not shown)'}.`,
    "w_long, w_short_target, w_short_source: MiNet's exp interest weights w_u, w_t, w_s (mean over the segment's test rows); share_short_source = w_s / (w_s + w_t). Relative change and p-values are against the users with no target history, not improvements.",
    'With no target clicks p_t = 0, so w_t multiplies a zero vector there and carries no information.',
    leanNote(table),
  );
  return { table, figure: interestWeightFigure(table, data) };
}

/**
 * The figure of an interest-weight table: mean weight (± std over seeds) per segment, one bar group per interest.
 * @example
 * display.html(figureDiv(interestWeightFigure(run.tables[1], 'news-ads-world')));
 */
export function interestWeightFigure(table: ResultTable, data: string): Figure {
  return barChart(
    table.rows.flatMap((r) => WEIGHT_OUTPUTS.map(([, c]) => ({ label: r.method, mean: r.cells[c].mean, std: barStd(r.cells[c].std), group: c }))),
    { title: `MiNet interest weights by target-history segment (${data})`, yTitle: 'mean interest weight', yRange: 'zero', legendTitle: 'interest' },
  );
}

function leanNote(t: ResultTable): string {
  const share = t.rows.map((r) => r.cells.share_short_source.mean);
  const first = share[0];
  const last = share[share.length - 1];
  const dir = first > last ? 'leans more on the source history when the target history is short' : 'does not lean more on the source history when the target history is short';
  return `Measured: share_short_source goes from ${first.toFixed(3)} (${t.rows[0].method}) to ${last.toFixed(3)} (${t.rows[t.rows.length - 1].method}); MiNet ${dir}.`;
}

/**
 * The methods ordered on one metric, best first, as a sentence.
 * @example
 * orderingNote(table, 'auc'); // 'Ordering on auc (mean over seeds, best first): MiNet (0.7300) > DIN (0.7100).'
 */
export function orderingNote(t: ResultTable, metric: string): string {
  const higher = t.metrics.find((m) => m.name === metric)?.higherIsBetter ?? true;
  const rows = [...t.rows].sort((a, b) => (higher ? b.cells[metric].mean - a.cells[metric].mean : a.cells[metric].mean - b.cells[metric].mean));
  return `Ordering on ${metric} (mean over seeds, best first): ${rows.map((r) => `${r.method} (${r.cells[metric].mean.toFixed(4)})`).join(' > ')}.`;
}

/** The baselines of the main comparison, in table order (the paper's base, DNN, first). */
export const MINET_BASELINES = ['DNN', 'DIN', 'Cross-domain DNN', 'CoNet'] as const;

/**
 * The paper's headline claims for a main-comparison table: MiNet beats every baseline on target AUC and logloss
 * (Table 3, five-run averages, significant vs the best baseline at p <= 0.01; third-party summary, spec §4).
 * @example
 * minetMainClaims('Table 3 (Company data)').map((c) => c.id); // ['minet-beats-dnn-auc', ...]
 */
export function minetMainClaims(where: string): Claim[] {
  const slug = (m: string) => m.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return MINET_BASELINES.flatMap((base) => [
    { id: `minet-beats-${slug(base)}-auc`, text: `MiNet beats ${base} on target-domain test AUC`, source: `MiNet paper ${where}: MiNet best on AUC on both data sets (third-party summary, spec §4)`, table: 'main', metric: 'auc', method: 'MiNet', base, direction: 'higher' as const },
    { id: `minet-beats-${slug(base)}-logloss`, text: `MiNet has lower target-domain test logloss than ${base}`, source: `MiNet paper ${where}: MiNet best on logloss on both data sets (third-party summary, spec §4)`, table: 'main', metric: 'logloss', method: 'MiNet', base, direction: 'lower' as const },
  ]);
}
