/**
 * Shared pieces of the gme/* pipelines (GME, Ouyang et al. SIGIR 2021, arXiv:2105.08909; spec
 * ../shared/papers/gme.md): strict config parts, running the protocol over seeds with test-sampling evidence and
 * monitored meta-training (./evidence.ts), the per-backbone tables (id 'main', base random init; id
 * 'vs-meta-embedding', AUC relative to Meta-Embedding; the backbone as the records' variant), the claims and the
 * AUC-vs-stage figure.
 */
import { z } from 'zod';
import { BACKBONE_LABELS, BACKBONES, type BackboneKind } from '../../gme/backbones.ts';
import { GENERATORS } from '../../gme/generators.ts';
import { STAGES, type ProtocolArgs } from '../../gme/protocol.ts';
import { lineChart, type Figure } from '../../plots/index.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { deLongPaired } from '../../evidence/stats.ts';
import { gainMetric, gainRecord } from '../../evidence/mechanism.ts';
import { buildResultTable, type MethodResult, type MetricColumn, type ReferenceRow, type ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';
import { runProtocolEvidence, type MetaFit, type MetaMonitor, type StageEvidence } from './evidence.ts';

const pos = z.number().int().positive();
const rate = z.number().positive();

/** Strict schema of the backbone sizes (partial; defaults in BACKBONE_DEFAULTS). */
export const BackboneConfigSpec = z.strictObject({ embeddingDim: pos, hidden: z.array(pos), attentionDim: pos, heads: pos, attentionLayers: pos }).partial();
/** Strict schema of pre-training. */
export const PretrainSpec = z.strictObject({ learningRate: rate, batchSize: pos, epochs: pos });
/**
 * Strict schema of meta-training. `patience` (meta epochs without a new best validation AUC of held-out old ads; null
 * = no early stopping, every epoch on every old ad) and `validShare` (share of old ads held out for it) default to
 * null and 0.2.
 */
export const MetaSpec = z.strictObject({
  batchAds: pos, learningRate: rate, innerLr: z.number().min(0), alpha: z.number().min(0).max(1), order: z.enum(['second', 'first']), epochs: pos,
  patience: pos.nullable().default(null), validShare: z.number().gt(0).lt(1).default(0.2),
});
/** Strict schema of warm-up. */
export const WarmSpec = z.strictObject({ learningRate: rate, batchSize: pos, epochs: pos, scope: z.enum(['new-ids', 'all-embeddings']) });
/** Backbone kinds. */
export const BackboneKindSpec = z.enum(BACKBONES);
/** Generator kinds. */
export const GeneratorKindSpec = z.enum(GENERATORS);

/**
 * The config keys every GME protocol pipeline shares (gme/main and gme/movielens add their data source to these).
 * @example
 * z.strictObject({ world: z.record(z.string(), z.number()), ...GME_PROTOCOL_SHAPE });
 */
export const GME_PROTOCOL_SHAPE = {
  neighbours: z.number().int().min(0),
  backbones: z.array(BackboneKindSpec).min(1),
  generators: z.array(GeneratorKindSpec).min(1),
  backbone: BackboneConfigSpec,
  pretrain: PretrainSpec,
  meta: MetaSpec,
  warm: WarmSpec,
  dropRate: z.number().min(0).lt(1),
  seeds: z.array(z.number().int()).min(1),
};

/** Metric columns: AUC then logloss at each stage. */
export const STAGE_COLUMNS: MetricColumn[] = [
  ...STAGES.map((s) => ({ name: `${s}_auc`, higherIsBetter: true })),
  ...STAGES.map((s) => ({ name: `${s}_logloss`, higherIsBetter: false })),
];

/** Per-seed evidence of every arm: byArm[label][seedIndex]; meta[label][seedIndex] (null for random init). */
export interface SeedRuns {
  byArm: Record<string, StageEvidence[]>;
  meta: Record<string, Array<MetaFit | null>>;
  pretrainLoss: number[][];
  /** Per seed index: the test labels and each arm's cold-start probabilities on those same rows. */
  cold: Array<{ labels: Float32Array; probs: Record<string, Float32Array> }>;
}

/**
 * Runs the protocol over seeds for one backbone (with evidence and, when `monitor.patience` is set, early-stopped
 * meta-training); logs one line per arm and seed.
 * @example
 * const r = await protocolOverSeeds({ ...args, monitor: { patience: 3, validShare: 0.1 } }, [1, 2, 3], ctx);
 */
export async function protocolOverSeeds(args: Omit<ProtocolArgs, 'seed'> & { monitor: MetaMonitor }, seeds: number[], ctx: PipelineContext): Promise<SeedRuns> {
  const byArm: SeedRuns['byArm'] = Object.fromEntries(args.arms.map((a) => [a.label, [] as StageEvidence[]]));
  const meta: SeedRuns['meta'] = Object.fromEntries(args.arms.map((a) => [a.label, [] as Array<MetaFit | null>]));
  const pretrainLoss: number[][] = [];
  const cold: SeedRuns['cold'] = [];
  // Each seed's protocol (pre-training, then every arm) is independent: the run's fit workers may take seeds in parallel.
  const protocols = await ctx.fits(`gme ${args.backbone}`, seeds, (seed) => ctx.stage(`${args.backbone} seed ${seed}`, () => runProtocolEvidence({ ...args, seed, holdout: (ds) => ctx.holdout(ds) })), (seed) => `${BACKBONE_LABELS[args.backbone]} seed ${seed}`);
  for (const [k, seed] of seeds.entries()) {
    const r = protocols[k];
    pretrainLoss.push(r.pretrainLoss);
    cold.push({ labels: r.testLabels, probs: r.coldProbs });
    for (const arm of args.arms) {
      const m = r.metrics[arm.label];
      const f = r.meta[arm.label];
      byArm[arm.label].push(m);
      meta[arm.label].push(f);
      const fit = f ? ` (meta: best epoch ${f.bestEpoch} of ${f.epochs}${f.validAuc.length ? `, ${f.validAuc.length} run, held-out old-ad AUC ${f.validAuc[f.bestEpoch - 1].toFixed(4)}` : ''}${f.stillImproving && f.validAuc.length ? ', still improving' : ''})` : '';
      ctx.log(`${BACKBONE_LABELS[args.backbone]} / ${arm.label} seed ${seed}: AUC ${STAGES.map((s) => `${s} ${m[s].auc.value.toFixed(4)}`).join(', ')}; cold SE ${m.cold.auc.se.toFixed(4)}${fit}`);
    }
  }
  return { byArm, meta, pretrainLoss, cold };
}

/**
 * Paired cold-start gain records, method − base per seed, in table 'gain' with metric 'cold_auc_gain': both arms score
 * the same test rows, so each seed's gain carries DeLong's paired SE (narrower than adding the two sides' SEs when
 * the arms' scores are correlated). `stillImproving` when either arm's monitored meta-training was still improving.
 * @example
 * records.push(...pairedColdGainRecords(runs, 'GME-A', 'ngb', 'irrelevantShare=0.3', [1, 2, 3]));
 */
export function pairedColdGainRecords(runs: Pick<SeedRuns, 'cold' | 'meta' | 'byArm'>, method: string, base: string, knob: string, seeds: number[]): ResultRecord[] {
  return seeds.map((seed, i) => {
    const { labels, probs } = runs.cold[i];
    if (!probs[method] || !probs[base]) throw new Error(`pairedColdGainRecords: seed ${seed} has no cold-start scores for '${!probs[method] ? method : base}' (arms: ${Object.keys(probs).join(', ')})`);
    const d = deLongPaired(labels, probs[method], probs[base]);
    const { rows, positives } = runs.byArm[method][i].cold.auc;
    const still = [method, base].some((m) => runs.meta[m]?.[i]?.stillImproving === true && (runs.meta[m]?.[i]?.validAuc.length ?? 0) > 0);
    return gainRecord({ method, knob, metric: gainMetric({ metric: 'cold_auc' }), seed, value: d.value, se: d.se, rows, positives, stillImproving: still });
  });
}

/**
 * The variant of a backbone's cold-start gain records against `base` (both sides carry it).
 * @example
 * coldGainVariant('dnn', 'random init'); // 'dnn vs random init'
 */
export const coldGainVariant = (backbone: string, base: string): string => `${backbone} vs ${base}`;

/**
 * Paired cold-start gain records for a backbone's claims on table 'gain' ({@link pairedColdGainRecords} per claim
 * pair, variant {@link coldGainVariant}), with the base's own gain (0, SE 0) beside, so that each claim judges its
 * pair's paired SE. Claims whose methods did not run get none (their verdict: not measured).
 * @example
 * records.push(...coldClaimGainRecords(gmeClaims('dnn'), 'dnn', runs, [1, 2, 3]));
 */
export function coldClaimGainRecords(claims: readonly Claim[], backbone: string, runs: Pick<SeedRuns, 'cold' | 'meta' | 'byArm'>, seeds: number[]): ResultRecord[] {
  const out: ResultRecord[] = [];
  const bases = new Set<string>();
  for (const c of claims) {
    if (c.table !== 'gain' || !runs.byArm[c.method] || !runs.byArm[c.base]) continue;
    const variant = coldGainVariant(backbone, c.base);
    const gains = pairedColdGainRecords(runs, c.method, c.base, '', seeds).map((r) => ({ ...r, variant }));
    out.push(...gains);
    if (bases.has(variant)) continue;
    bases.add(variant);
    out.push(...gains.map((r) => ({ ...r, method: c.base, value: 0, se: r.se === null ? null : 0, stillImproving: null })));
  }
  return out;
}

/**
 * Per-seed results with evidence (SE, rows, positives per column; still improving when an arm's meta-training was best
 * at its last allowed epoch under a monitor) in the shape buildResultTable reads.
 * @example
 * buildResultTable({ title: 't', base: 'random init', metrics: STAGE_COLUMNS, results: methodResults(runs, [1, 2, 3]) });
 */
export function methodResults(runs: Pick<SeedRuns, 'byArm' | 'meta'>, seeds: number[], columns = STAGE_COLUMNS): MethodResult[] {
  return Object.entries(runs.byArm).map(([method, rs]) => {
    const pick = (f: (e: StageEvidence[(typeof STAGES)[number]]['auc']) => number) => Object.fromEntries(columns.map((c) => {
      const [stage, metric] = c.name.split('_') as [(typeof STAGES)[number], 'auc' | 'logloss'];
      return [c.name, rs.map((r) => f(r[stage][metric]))];
    }));
    const fits = runs.meta[method] ?? [];
    const monitored = fits.some((f) => f !== null && f.validAuc.length > 0);
    return {
      method, seeds: [...seeds], values: pick((e) => e.value), se: pick((e) => e.se), rows: pick((e) => e.rows), positives: pick((e) => e.positives),
      ...(monitored ? { stillImproving: fits.map((f) => f?.stillImproving ?? false) } : {}),
    };
  });
}

/**
 * Validation records (split 'valid', metric 'cold_auc'): each monitored arm's held-out old-ad AUC at its selected meta
 * epoch, per seed — what early stopping chose on; kept out of the tables, for audits.
 * @example
 * validRecords('main', 'dnn', runs, [1, 2, 3]);
 */
export function validRecords(table: string, variant: string, runs: Pick<SeedRuns, 'meta'>, seeds: number[]): ResultRecord[] {
  return Object.entries(runs.meta).flatMap(([method, fits]) => fits.flatMap((f, i) => (f && f.validAuc.length ? [{
    pipeline: '', run: '', table, method, variant, knob: '', metric: 'cold_auc', split: 'valid', seed: seeds[i], value: f.validAuc[f.bestEpoch - 1], rows: null, positives: null, se: null, stillImproving: f.stillImproving,
  }] : [])));
}

/** A table whose records carry `variant` (e.g. the backbone), so several tables of one id can share results.csv. */
export function withVariant(t: ResultTable, variant: string): ResultTable {
  t.records = t.records.map((r) => ({ ...r, variant }));
  return t;
}

/**
 * The two tables of one backbone: 'main' (all stages, base `base` = random init) and 'vs-meta-embedding' (AUC
 * relative to `second`, when that arm ran); their records carry the backbone kind as `variant`.
 * @example
 * backboneTables({ backbone: 'dnn', runs, seeds: [1, 2, 3], base: 'random init', second: 'Meta-Embedding', references: [], what: 'world' });
 */
export function backboneTables(args: { backbone: BackboneKind; runs: Pick<SeedRuns, 'byArm' | 'meta'>; seeds: number[]; base: string; second: string | null; references: ReferenceRow[]; what: string }): ResultTable[] {
  const name = BACKBONE_LABELS[args.backbone];
  const results = methodResults(args.runs, args.seeds);
  const main = withVariant(buildResultTable({ id: 'main', title: `${name}: new-ad AUC / logloss at cold start and after warm-up a, b, c (${args.what}, ${args.seeds.length} seed${args.seeds.length > 1 ? 's' : ''})`, base: args.base, metrics: STAGE_COLUMNS, results, references: args.references }), args.backbone);
  if (!args.second || !args.runs.byArm[args.second]) return [main];
  const aucCols = STAGE_COLUMNS.filter((c) => c.name.endsWith('_auc'));
  const rel = withVariant(buildResultTable({ id: 'vs-meta-embedding', title: `${name}: AUC relative to ${args.second} (${args.what})`, base: args.second, metrics: aucCols, results: methodResults(args.runs, args.seeds, aucCols) }), args.backbone);
  return [main, rel];
}

const GME_SOURCE = 'GME paper (SIGIR 2021) abstract and cold-start table: GMEs improve cold-start AUC over five backbones (numbers not available, spec §4)';
const WARM_SOURCE = 'GME paper abstract and warm-up tables: GMEs also improve the warm-up stages (numbers not available, spec §4)';

/**
 * The paper's claims for one backbone's 'main' table (variant = the backbone kind): every GME variant beats random
 * init on cold-start AUC; GME-A (the paper's best variant) beats Meta-Embedding at cold start and after warm-up a.
 * @example
 * gmeClaims('dnn').map((c) => c.id); // ['dnn-gme-p-beats-random-cold', ...]
 */
export function gmeClaims(backbone: BackboneKind): Claim[] {
  const name = BACKBONE_LABELS[backbone];
  // Cold-start claims read the paired gain records (coldClaimGainRecords); warm-up a has no per-row scores kept.
  const c = (id: string, method: string, base: string, metric: string, source: string, what: string): Claim => ({
    id: `${backbone}-${id}`, text: `${name}: ${method} beats ${base} on new-ad test AUC (${what})`, source, method, base, direction: 'higher',
    ...(metric === 'cold_auc' ? { table: 'gain', variant: coldGainVariant(backbone, base), metric: gainMetric({ metric }) } : { table: 'main', variant: backbone, metric }),
  });
  return [
    c('gme-p-beats-random-cold', 'GME-P', 'random init', 'cold_auc', GME_SOURCE, 'cold start'),
    c('gme-g-beats-random-cold', 'GME-G', 'random init', 'cold_auc', GME_SOURCE, 'cold start'),
    c('gme-a-beats-random-cold', 'GME-A', 'random init', 'cold_auc', GME_SOURCE, 'cold start'),
    c('gme-a-beats-meta-embedding-cold', 'GME-A', 'Meta-Embedding', 'cold_auc', GME_SOURCE, 'cold start'),
    c('gme-a-beats-meta-embedding-warm-a', 'GME-A', 'Meta-Embedding', 'warm-a_auc', WARM_SOURCE, 'after warm-up a'),
  ];
}

/**
 * Orders a table's methods by a column (means over seeds) and counts the GME variants above Meta-Embedding and random
 * init; whether a gap exceeds the noise is left to the claims' verdicts.
 * @example
 * orderingNote(table, 'cold_auc', ['GME-P', 'GME-G', 'GME-A'], 'Meta-Embedding', 'random init');
 */
export function orderingNote(t: ResultTable, column: string, gme: string[], second: string, base: string): string {
  const mean = (m: string) => t.rows.find((r) => r.method === m)?.cells[column]?.mean ?? NaN;
  const order = [...t.rows].sort((a, b) => b.cells[column].mean - a.cells[column].mean).map((r) => `${r.method} ${r.cells[column].mean.toFixed(4)}`);
  const present = gme.filter((g) => Number.isFinite(mean(g)));
  const beatSecond = present.filter((g) => mean(g) > mean(second));
  const beatBase = present.filter((g) => mean(g) > mean(base));
  return `Ordering on ${column} (means over seeds): ${order.join(' > ')}. Paper's claim: GME beats Meta-Embedding and random init. Here ${beatSecond.length}/${present.length} GME variants have a higher mean than ${second} (${beatSecond.join(', ') || 'none'}) and ${beatBase.length}/${present.length} than ${base}; the claims' verdicts say which gaps exceed the noise.`;
}

/**
 * AUC vs warm-up stage, one line per arm (mean ± std over seeds), from a backbone's 'main' table.
 * @example
 * stageFigure(run.tables[0], 'DNN: AUC vs warm-up stage');
 */
export function stageFigure(table: ResultTable, title: string): Figure {
  const series = table.rows.map((r) => {
    const y = STAGES.map((s) => r.cells[`${s}_auc`].mean);
    const yStd = STAGES.map((s) => (Number.isFinite(r.cells[`${s}_auc`].std) ? r.cells[`${s}_auc`].std : 0));
    return { name: r.method, x: [...STAGES], y, yStd };
  });
  return lineChart(series, { title, xTitle: 'stage', yTitle: 'test AUC (new ads)', errorStyle: 'bars' });
}
