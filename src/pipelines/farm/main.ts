/**
 * Pipeline `farm/main`: the main comparison of FARM (arXiv 2502.09375; spec ../shared/papers/farm.md §4-5) on the
 * short-video + live-streaming world: DNN, DIN, MMoE, PLE (single-domain: the live history only), naive cross-domain
 * (short-video history concatenated in front of the live one) and FARM, each trained on the live-streaming
 * impressions with early stopping on the mean validation AUC over the tasks; scored on the test split with AUC, UAUC
 * and GAUC per task (click, effective view, like, comment, gift, follow), mean ± std over seeds, relative improvement
 * and paired t-test against the strongest baseline (highest mean test AUC over the tasks). Reference row: the world's
 * ground-truth ceiling. Columns that are undefined for some seed (a rare task with no user holding both classes in
 * the test split) are dropped with a note.
 * Paper deviations: the paper's data are industrial (Kuaishou); this is the synthetic stand-in. Quick mode uses a
 * smaller world (5 000 users), D = 8, a one-level PLE with [32] experts, at most 3 epochs, to fit the CPU budget.
 */
import { z } from 'zod';
import { generateLiveWorld, LiveWorldConfigSpec, type LiveWorldConfig, type LiveWorldData } from '../../worlds/live-world.ts';
import { barChart } from '../../plots/index.ts';
import { buildResultTable, type MethodResult } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { behaviourSpectrum, spectrumFigure } from './spectrum.ts';
import {
  FARM_BASELINES, FARM_METHODS, LiveMethod, QUICK_MODEL_SIZES, QUICK_SIZES, QUICK_TRAINER, emptyResult, finiteColumns, fitLive, liveCeilingRow, liveColumns,
  meanOverTasks, positivesNote, pushMetrics, reliableTasks, strongestBaseline,
} from './common.ts';

/**
 * Strict config of `farm/main` (unknown keys, also nested, are errors).
 * @example
 * FarmMainConfig.parse(farmMainDefaults(true));
 */
export const FarmMainConfig = z.strictObject({
  world: LiveWorldConfigSpec,
  models: z.array(LiveMethod).min(2),
  /** Labels of the methods that count as baselines (the strongest is the base). */
  baselines: z.array(z.string()).min(1),
  /** Model sizes merged under every method's config (keys a model lacks are skipped). */
  sizes: z.record(z.string(), z.unknown()),
  /** Extra sizes by registered model name (e.g. the MMoE head of 'live-mmoe'). */
  modelSizes: z.record(z.string(), z.record(z.string(), z.unknown())),
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `farm/main`. */
export type FarmMainConfig = z.infer<typeof FarmMainConfig>;

/** Quick world: 5 000 users (about 10k live training rows); full: the live world's 'full' size. */
export const FARM_QUICK_WORLD: Partial<LiveWorldConfig> = { users: 5000, authors: 500 };

/**
 * Quick: the small world and sizes, 3 seeds. Full: 200k users, the spec's model sizes, up to 8 epochs.
 * @example
 * farmMainDefaults(true).seeds; // [1, 2, 3]
 */
export function farmMainDefaults(quick: boolean): FarmMainConfig {
  return {
    world: quick ? { ...FARM_QUICK_WORLD } : { users: 200000, authors: 12000, days: 7, shortVideoRowShare: 0.03 },
    models: structuredClone(FARM_METHODS),
    baselines: [...FARM_BASELINES],
    sizes: quick ? structuredClone(QUICK_SIZES) : {},
    modelSizes: quick ? structuredClone(QUICK_MODEL_SIZES) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : { epochs: 8, batchSize: 1024, optimizer: { learningRate: 1e-3 }, patience: 2 },
    seeds: [1, 2, 3],
  };
}

/**
 * Trains every method for every seed on one world; per-seed metrics by method label.
 * @example
 * const results = await runLiveComparison(world, config.models, config, ctx);
 */
export async function runLiveComparison(
  world: LiveWorldData, models: LiveMethod[], o: { sizes: Record<string, unknown>; modelSizes: Record<string, Record<string, unknown>>; trainer: Record<string, unknown>; seeds: number[] }, ctx: Parameters<PipelineSpec['run']>[1], stage = '',
): Promise<MethodResult[]> {
  const results = models.map((m) => emptyResult(m.label, o.seeds));
  for (const seed of o.seeds) {
    for (const [i, method] of models.entries()) {
      const r = await fitLive({ world, method, sizes: o.sizes, modelSizes: o.modelSizes, trainer: o.trainer, seed, index: i, ctx, stage });
      pushMetrics(results[i], r.metrics);
      ctx.log(`${method.label} seed ${seed}${stage}: AUC ${Object.entries(r.metrics).filter(([k]) => k.endsWith('_auc')).map(([k, v]) => `${k.replace('_auc', '')} ${v.toFixed(4)}`).join(', ')} (best epoch ${r.bestEpoch + 1}, ${r.seconds.toFixed(1)} s)`);
    }
  }
  return results;
}

/**
 * The pipeline, registered as 'farm/main'.
 * @example
 * const run = await runPipeline('farm/main', { quick: true });
 */
export const farmMainPipeline: PipelineSpec<FarmMainConfig> = {
  name: 'farm/main',
  paper: 'farm',
  title: 'FARM vs multi-task and cross-domain baselines (live world: AUC / UAUC / GAUC per task)',
  description: 'FARM vs DNN, DIN, MMoE, PLE, naive cross-domain on the short-video + live-streaming world, 6 tasks',
  schema: FarmMainConfig,
  defaults: (mode) => farmMainDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateLiveWorld(config.world as Partial<LiveWorldConfig>));
    const tasks = world.train.schema.labels;
    ctx.log(`live world: ${world.train.size} train / ${world.valid.size} valid / ${world.test.size} test live impressions; ${world.shortVideo.train.size} short-video train rows`);
    for (const b of config.baselines) if (!config.models.some((m) => m.label === b)) throw new Error(`farm/main config: baseline '${b}' is not among the models`);
    const results = await runLiveComparison(world, config.models, config, ctx);
    const used = reliableTasks(world.test, tasks);
    const summary = used.length ? used : tasks;
    const base = strongestBaseline(results, config.baselines, summary);
    const { kept, dropped } = finiteColumns(liveColumns(tasks), results);
    const table = buildResultTable({
      title: `FARM main comparison on the live world (${config.seeds.length} seeds, test split)`,
      base, metrics: kept, results, references: [liveCeilingRow(world, tasks)],
    });
    const spectrum = behaviourSpectrum(world.train, 'hist_sv_action');
    const farm = config.models.find((m) => m.model === 'farm')?.label;
    const order = table.rows.map((r) => ({ m: r.method, v: meanOverTasks(table, r.method, 'auc', summary) })).sort((a, b) => b.v - a.v);
    table.notes.push(
      positivesNote(world.test, tasks, used),
      `Base = the strongest baseline by mean test AUC over the tasks: ${base}.`,
      `Ordering by mean AUC over tasks (best first): ${order.map((o) => `${o.m} (${o.v.toFixed(4)})`).join(' > ')}.`,
      farm ? `FARM ${order[0].m === farm ? 'is' : 'is NOT'} the best method by mean AUC over tasks in this run (the paper reports FARM best; its numbers are not available, spec §4).` : 'FARM is not among the methods.',
      ...(dropped.length ? [`Dropped (undefined for some seed: no test user with both classes): ${dropped.join(', ')}.`] : []),
      `Behaviour spectrum (short-video action sequences, bins k >= ${spectrum.kLow} "high"): high-frequency energy share ${(100 * spectrum.highShare.withRare).toFixed(1)}% for ${spectrum.users.withRare} users with rare behaviours vs ${(100 * spectrum.highShare.withoutRare).toFixed(1)}% for ${spectrum.users.withoutRare} without.`,
    );
    const figures = [
      {
        name: 'mean-auc',
        fig: barChart(table.rows.map((r) => {
          const per = config.seeds.map((_, s) => summary.map((t) => results.find((x) => x.method === r.method)?.values[`${t}_auc`][s] ?? NaN).filter(Number.isFinite));
          const means = per.map((xs) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1));
          const m = means.reduce((a, b) => a + b, 0) / means.length;
          const sd = Math.sqrt(means.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(means.length - 1, 1));
          return { label: r.method, mean: m, std: sd };
        }), { title: 'Mean test AUC over the tasks (mean ± std over seeds)', yTitle: 'mean AUC' }),
      },
      { name: 'spectrum', fig: spectrumFigure(spectrum) },
    ];
    return { tables: [table], figures, results: { perSeed: results, base, tasks, spectrum, ceiling: liveCeilingRow(world, tasks).values, world: world.config, stats: world.stats } };
  },
};
