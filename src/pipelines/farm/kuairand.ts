/**
 * Pipeline `farm/kuairand`: the single-domain frequency-module ablation on public data (spec farm.md §6: KuaiRand
 * for the sparse-behaviour multi-task part; KuaiRand has no live streaming, so there is no cross-domain part). PLE
 * over the user's clicked-history sequence, with and without FARM's frequency-aware module in front of the pooling,
 * on click, long view, like, comment, forward and follow; rows split by time (train / valid / test by the
 * `validFrom` / `testFrom` quantiles of the timestamps). When the files are absent the run logs the message saying
 * how to obtain them and records it (no table).
 * Paper deviations: the paper's data are industrial; this is the public stand-in the spec proposes.
 */
import { z } from 'zod';
import { kuairandAvailability, loadKuaiRand, KUAIRAND_DEFAULTS } from '../../data/kuairand.ts';
import { timeSplit } from '../../data/split.ts';
import { buildResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { LiveMethod, QUICK_SIZES, QUICK_TRAINER, emptyResult, finiteColumns, fitLive, liveColumns, pushMetrics } from './common.ts';

const columns = { svHistory: [], liveHistory: ['hist_item', 'hist_author', 'hist_category', 'hist_action'], candidate: ['item_id', 'author_id', 'category_id'], exclude: ['is_rand'] };
/** The compared methods: PLE and PLE with the frequency-aware module, on KuaiRand's single-domain columns. */
export const KUAIRAND_METHODS: LiveMethod[] = [
  { label: 'PLE', model: 'live-ple', config: { columns } },
  { label: 'PLE + frequency module', model: 'live-ple', config: { columns, frequency: { enabled: true } } },
];

/**
 * Strict config of `farm/kuairand`.
 * @example
 * FarmKuaiRandConfig.parse(farmKuaiRandDefaults(true));
 */
export const FarmKuaiRandConfig = z.strictObject({
  kuairand: z.strictObject({
    dir: z.string(), variant: z.enum(['pure', '1k']), logs: z.array(z.enum(['standard', 'random'])).min(1), historyLen: z.number().int().min(2), maxRows: z.number().int().positive().nullable(),
  }),
  /** Time quantiles where validation and test start. */
  validFrom: z.number().gt(0).lt(1),
  testFrom: z.number().gt(0).lt(1),
  models: z.array(LiveMethod).min(2),
  base: z.string(),
  sizes: z.record(z.string(), z.unknown()),
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `farm/kuairand`. */
export type FarmKuaiRandConfig = z.infer<typeof FarmKuaiRandConfig>;

/** Default data folder (relative to the working directory). */
export const KUAIRAND_DEFAULT_DIR = 'data/KuaiRand-Pure/data';

/**
 * Quick: 300k rows of KuaiRand-Pure, histories of 20, quick sizes, 2 seeds; full: every row, 50, spec sizes, 3 seeds.
 * @example
 * farmKuaiRandDefaults(true).kuairand.maxRows; // 300000
 */
export function farmKuaiRandDefaults(quick: boolean): FarmKuaiRandConfig {
  return {
    kuairand: { dir: KUAIRAND_DEFAULT_DIR, variant: 'pure', logs: [...KUAIRAND_DEFAULTS.logs], historyLen: quick ? 20 : 50, maxRows: quick ? 300_000 : null },
    validFrom: 0.8,
    testFrom: 0.9,
    models: structuredClone(KUAIRAND_METHODS),
    base: 'PLE',
    sizes: quick ? structuredClone(QUICK_SIZES) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : { epochs: 8, batchSize: 2048, optimizer: { learningRate: 1e-3 }, patience: 2 },
    seeds: quick ? [1, 2] : [1, 2, 3],
  };
}

/**
 * The pipeline, registered as 'farm/kuairand'.
 * @example
 * await runPipeline('farm/kuairand', { quick: true, config: { kuairand: { dir: '/data/KuaiRand-Pure/data' } } });
 */
export const farmKuaiRandPipeline: PipelineSpec<FarmKuaiRandConfig> = {
  name: 'farm/kuairand',
  paper: 'farm',
  title: 'FARM frequency module on KuaiRand (single domain): PLE with and without it',
  description: 'Single-domain frequency-module ablation on KuaiRand-Pure/1K (skipped with a message when the data is absent)',
  schema: FarmKuaiRandConfig,
  defaults: (mode) => farmKuaiRandDefaults(mode === 'quick'),
  async run(config, ctx) {
    const k = config.kuairand;
    const a = kuairandAvailability(k.dir, k.variant);
    if (!a.ok) {
      ctx.log(`farm/kuairand skipped:\n${a.message}`);
      return { tables: [], figures: [], results: {}, skipped: a.message };
    }
    if (!(config.validFrom < config.testFrom)) throw new Error(`farm/kuairand config: validFrom (${config.validFrom}) must be below testFrom (${config.testFrom})`);
    const ds = await ctx.stage('load KuaiRand', () => loadKuaiRand(k.dir, { variant: k.variant, logs: k.logs, historyLen: k.historyLen, maxRows: k.maxRows ?? Infinity }));
    const ts = Float64Array.from(ds.column('ts')).sort();
    const at = (q: number) => ts[Math.min(ts.length - 1, Math.floor(q * ts.length))];
    const data = timeSplit(ds, { validFrom: at(config.validFrom), testFrom: at(config.testFrom) });
    ctx.log(`KuaiRand-${k.variant}: ${data.train.size} train / ${data.valid.size} valid / ${data.test.size} test rows`);
    const results = config.models.map((m) => emptyResult(m.label, config.seeds));
    for (const seed of config.seeds) {
      for (const [i, method] of config.models.entries()) {
        const r = await fitLive({ world: data, method, sizes: config.sizes, trainer: config.trainer, seed, index: i, ctx, stage: ' (KuaiRand)' });
        pushMetrics(results[i], r.metrics);
      }
    }
    const tasks = ds.schema.labels;
    const { kept, dropped } = finiteColumns(liveColumns(tasks), results);
    const table = buildResultTable({ title: `Frequency module on KuaiRand-${k.variant} (single domain, ${config.seeds.length} seeds, time split)`, base: config.base, metrics: kept, results });
    table.notes.push(
      `KuaiRand-${k.variant} from ${k.dir}, ${ds.size} rows (${k.logs.join(' + ')} logs${k.maxRows ? `, first ${k.maxRows}` : ''}); histories of the last ${k.historyLen} clicked videos. No ground-truth ceiling: public logs have no truth.`,
      ...(dropped.length ? [`Dropped (undefined for some seed): ${dropped.join(', ')}.`] : []),
    );
    return { tables: [table], figures: [], results: { skipped: false, perSeed: results, rows: ds.size } };
  },
};
