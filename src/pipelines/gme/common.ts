/**
 * Shared pieces of the gme/* pipelines (GME, Ouyang et al. SIGIR 2021, arXiv:2105.08909; spec
 * ../shared/papers/gme.md): strict config parts, running the protocol over seeds, the per-backbone tables (base
 * random init, and AUC relative to Meta-Embedding) and the AUC-vs-stage figure.
 */
import { z } from 'zod';
import { BACKBONE_LABELS, BACKBONES, type BackboneKind } from '../../gme/backbones.ts';
import { GENERATORS } from '../../gme/generators.ts';
import { runProtocol, STAGES, type ProtocolArgs, type StageMetrics } from '../../gme/protocol.ts';
import { lineChart, type Figure } from '../../plots/index.ts';
import { buildResultTable, type MethodResult, type MetricColumn, type ReferenceRow, type ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';

const pos = z.number().int().positive();
const rate = z.number().positive();

/** Strict schema of the backbone sizes (partial; defaults in BACKBONE_DEFAULTS). */
export const BackboneConfigSpec = z.strictObject({ embeddingDim: pos, hidden: z.array(pos), attentionDim: pos, heads: pos, attentionLayers: pos }).partial();
/** Strict schema of pre-training. */
export const PretrainSpec = z.strictObject({ learningRate: rate, batchSize: pos, epochs: pos });
/** Strict schema of meta-training. */
export const MetaSpec = z.strictObject({ batchAds: pos, learningRate: rate, innerLr: z.number().min(0), alpha: z.number().min(0).max(1), order: z.enum(['second', 'first']), epochs: pos });
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

/** Per-seed metrics of every arm: byArm[label][seedIndex]. */
export type SeedMetrics = Record<string, StageMetrics[]>;

/**
 * Runs the protocol over seeds for one backbone; logs one line per arm and seed.
 * @example
 * const r = await protocolOverSeeds(args, [1, 2, 3], ctx);
 */
export async function protocolOverSeeds(args: Omit<ProtocolArgs, 'seed'>, seeds: number[], ctx: PipelineContext): Promise<{ byArm: SeedMetrics; pretrainLoss: number[][]; metaLoss: Array<Record<string, number[]>> }> {
  const byArm: SeedMetrics = Object.fromEntries(args.arms.map((a) => [a.label, [] as StageMetrics[]]));
  const pretrainLoss: number[][] = [];
  const metaLoss: Array<Record<string, number[]>> = [];
  for (const seed of seeds) {
    const r = await ctx.stage(`${args.backbone} seed ${seed}`, () => runProtocol({ ...args, seed }));
    pretrainLoss.push(r.pretrainLoss);
    metaLoss.push(r.metaLoss);
    for (const arm of args.arms) {
      const m = r.metrics[arm.label];
      byArm[arm.label].push(m);
      ctx.log(`${BACKBONE_LABELS[args.backbone]} / ${arm.label} seed ${seed}: AUC ${STAGES.map((s) => `${s} ${m[s].auc.toFixed(4)}`).join(', ')}`);
    }
  }
  return { byArm, pretrainLoss, metaLoss };
}

/**
 * Per-seed results in the shape buildResultTable reads.
 * @example
 * buildResultTable({ title: 't', base: 'random init', metrics: STAGE_COLUMNS, results: methodResults(byArm, [1, 2, 3]) });
 */
export function methodResults(byArm: SeedMetrics, seeds: number[], columns = STAGE_COLUMNS): MethodResult[] {
  return Object.entries(byArm).map(([method, runs]) => ({
    method,
    seeds: [...seeds],
    values: Object.fromEntries(columns.map((c) => {
      const [stage, metric] = c.name.split('_') as [(typeof STAGES)[number], 'auc' | 'logloss'];
      return [c.name, runs.map((r) => r[stage][metric])];
    })),
  }));
}

/**
 * The two tables of one backbone: all stages with base `base` (random init), and AUC relative to `second`
 * (Meta-Embedding), when that arm ran.
 * @example
 * backboneTables({ backbone: 'dnn', byArm, seeds: [1, 2, 3], base: 'random init', second: 'Meta-Embedding', references: [], what: 'world' });
 */
export function backboneTables(args: { backbone: BackboneKind; byArm: SeedMetrics; seeds: number[]; base: string; second: string | null; references: ReferenceRow[]; what: string }): ResultTable[] {
  const name = BACKBONE_LABELS[args.backbone];
  const results = methodResults(args.byArm, args.seeds);
  const main = buildResultTable({ title: `${name}: new-ad AUC / logloss at cold start and after warm-up a, b, c (${args.what}, ${args.seeds.length} seeds)`, base: args.base, metrics: STAGE_COLUMNS, results, references: args.references });
  if (!args.second || !args.byArm[args.second]) return [main];
  const aucCols = STAGE_COLUMNS.filter((c) => c.name.endsWith('_auc'));
  const rel = buildResultTable({ title: `${name}: AUC relative to ${args.second} (${args.what})`, base: args.second, metrics: aucCols, results: methodResults(args.byArm, args.seeds, aucCols) });
  return [main, rel];
}

/**
 * Orders a table's methods by a column and compares them with the paper's claim (GME variants above Meta-Embedding
 * above random init); states agreement or disagreement in words.
 * @example
 * orderingNote(table, 'cold_auc', ['GME-P', 'GME-G', 'GME-A'], 'Meta-Embedding', 'random init');
 */
export function orderingNote(t: ResultTable, column: string, gme: string[], second: string, base: string): string {
  const mean = (m: string) => t.rows.find((r) => r.method === m)?.cells[column]?.mean ?? NaN;
  const order = [...t.rows].sort((a, b) => b.cells[column].mean - a.cells[column].mean).map((r) => `${r.method} ${r.cells[column].mean.toFixed(4)}`);
  const present = gme.filter((g) => Number.isFinite(mean(g)));
  const beatSecond = present.filter((g) => mean(g) > mean(second));
  const beatBase = present.filter((g) => mean(g) > mean(base));
  return `Ordering on ${column}: ${order.join(' > ')}. Paper's claim: GME beats Meta-Embedding and random init. Here ${beatSecond.length}/${present.length} GME variants beat ${second} (${beatSecond.join(', ') || 'none'}) and ${beatBase.length}/${present.length} beat ${base} — ${beatSecond.length === present.length && beatBase.length === present.length && present.length > 0 ? 'agrees' : 'DISAGREES in part or whole'} (see the p-values: most gaps are within seed noise at quick size).`;
}

/**
 * AUC vs warm-up stage, one line per arm (mean ± std over seeds).
 * @example
 * stageFigure(byArm, 'DNN: AUC vs warm-up stage');
 */
export function stageFigure(byArm: SeedMetrics, title: string): Figure {
  const series = Object.entries(byArm).map(([name, runs]) => {
    const y = STAGES.map((s) => runs.reduce((acc, r) => acc + r[s].auc, 0) / runs.length);
    const yStd = STAGES.map((s, i) => runs.length > 1 ? Math.sqrt(runs.reduce((acc, r) => acc + (r[s].auc - y[i]) ** 2, 0) / (runs.length - 1)) : 0);
    return { name, x: [...STAGES], y, yStd };
  });
  return lineChart(series, { title, xTitle: 'stage', yTitle: 'test AUC (new ads)', errorStyle: 'bars' });
}
