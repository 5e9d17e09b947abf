/**
 * Pipeline `farm/kuairand`: the single-domain frequency-module ablation on public data (spec farm.md §6: KuaiRand
 * for the sparse-behaviour multi-task part; KuaiRand has no live streaming, so there is no cross-domain part). PLE
 * over the user's clicked-history sequence, with and without FARM's frequency-aware module in front of the pooling,
 * on click, long view, like, comment, forward and follow; rows split by time (train / valid / test by the
 * `validFrom` / `testFrom` quantiles of the timestamps); early stopping on the mean validation AUC over the tasks with
 * at least `minPositives` validation positives. Table 'kuairand' (records as farm/main, no ceiling: public logs have no
 * truth): `mean_auc_reliable` and the per-task columns, base PLE (declared). Claim: the frequency module raises
 * `mean_auc_reliable` over PLE (farm.md §4's frequency-module ablation, on the spec's public stand-in). When the files
 * are absent the run is skipped with the message saying how to obtain them (no table; the claim is "not measured").
 * Modes: quick (smoke test) = 300k rows, histories of 20, the quick sizes, 2 seeds; evidence = the first 300k rows
 * (about 30k test rows), histories of 50, the quick sizes, farm/main's evidence trainer, 5 seeds — about 240k training
 * rows per epoch, 3x farm/main's evidence world, so about 10 fits x 3 x 7 min (farm/main's measured evidence-size fit)
 * = 3.5 h at most on this loaded machine (an estimate: the data is not on this machine, so no KuaiRand fit was timed); paper = every row, the spec's
 * sizes and trainer.
 * Paper deviations: the paper's data are industrial; this is the public stand-in the spec proposes.
 */
import { z } from 'zod';
import { kuairandAvailability, loadKuaiRand, KUAIRAND_DEFAULTS } from '../../data/kuairand.ts';
import { timeSplit } from '../../data/split.ts';
import { EVIDENCE_DEFAULTS, type RunMode } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import { FARM_BASE, LiveMethod, PAPER_SIZES, PAPER_TRAINER, QUICK_SIZES, QUICK_TRAINER, fitLine, fitLive } from './common.ts';
import { EVIDENCE_SEEDS, EVIDENCE_TRAINER } from './main.ts';
import { SUMMARY_GAIN, liveComparisonTable, portableFit, restoredFit, summaryNote, summaryTasks, type LiveFit } from './live-evidence.ts';

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
  /** The declared base (PLE without the frequency module). */
  base: z.string().min(1),
  /** Positives a task needs (test: summary and verdicts; validation: the early-stopping monitor). */
  minPositives: z.number().int().min(1),
  sizes: z.record(z.string(), z.unknown()),
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `farm/kuairand`. */
export type FarmKuaiRandConfig = z.infer<typeof FarmKuaiRandConfig>;

/** Default data folder (relative to the working directory). */
export const KUAIRAND_DEFAULT_DIR = 'data/KuaiRand-Pure/data';

/**
 * Defaults per mode: quick 300k rows, histories of 20, 2 seeds; evidence 300k rows, histories of 50, 5 seeds; paper
 * every row with the spec's sizes and trainer.
 * @example
 * farmKuaiRandDefaults('quick').kuairand.maxRows; // 300000
 */
export function farmKuaiRandDefaults(mode: RunMode): FarmKuaiRandConfig {
  const quick = mode === 'quick';
  return {
    kuairand: { dir: KUAIRAND_DEFAULT_DIR, variant: 'pure', logs: [...KUAIRAND_DEFAULTS.logs], historyLen: quick ? 20 : 50, maxRows: mode === 'paper' ? null : 300_000 },
    validFrom: 0.8,
    testFrom: 0.9,
    models: structuredClone(KUAIRAND_METHODS),
    base: FARM_BASE,
    minPositives: EVIDENCE_DEFAULTS.minPositives,
    sizes: mode === 'paper' ? { ...PAPER_SIZES } : structuredClone(QUICK_SIZES),
    trainer: structuredClone(quick ? QUICK_TRAINER : mode === 'paper' ? PAPER_TRAINER : EVIDENCE_TRAINER),
    seeds: quick ? [1, 2] : [...EVIDENCE_SEEDS],
  };
}

/** The claims `farm/kuairand` judges. */
export const FARM_KUAIRAND_CLAIMS: Claim[] = [
  {
    id: 'frequency-module-helps-kuairand', text: 'The frequency-aware module raises PLE\'s mean test AUC over the reliable tasks on KuaiRand (single domain)',
    source: 'farm.md §4 (removing the frequency-aware module lowers performance, 3P arxivlens) on the public stand-in of §6 (KuaiRand-Pure for the sparse-behaviour multi-task part)',
    table: 'gain', metric: SUMMARY_GAIN, method: 'PLE + frequency module', base: FARM_BASE, direction: 'higher',
  },
];

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
  defaults: farmKuaiRandDefaults,
  claims: FARM_KUAIRAND_CLAIMS,
  async run(config, ctx) {
    const k = config.kuairand;
    const a = kuairandAvailability(k.dir, k.variant);
    if (!a.ok) {
      ctx.log(`farm/kuairand skipped:\n${a.message}`);
      return { tables: [], figures: [], results: {}, skipped: a.message };
    }
    if (!(config.validFrom < config.testFrom)) throw new Error(`farm/kuairand config: validFrom (${config.validFrom}) must be below testFrom (${config.testFrom})`);
    if (!config.models.some((m) => m.label === config.base)) throw new Error(`farm/kuairand config: base '${config.base}' is not among the models`);
    const ds = await ctx.stage('load KuaiRand', () => loadKuaiRand(k.dir, { variant: k.variant, logs: k.logs, historyLen: k.historyLen, maxRows: k.maxRows ?? Infinity }));
    const ts = Float64Array.from(ds.column('ts')).sort();
    const at = (q: number) => ts[Math.min(ts.length - 1, Math.floor(q * ts.length))];
    const split = timeSplit(ds, { validFrom: at(config.validFrom), testFrom: at(config.testFrom) });
    const data = { train: split.train, valid: split.valid, test: ctx.holdout(split.test) };
    ctx.log(`KuaiRand-${k.variant}: ${data.train.size} train / ${data.valid.size} valid / ${data.test.size} test rows`);
    const tasks = ds.schema.labels;
    const summary = summaryTasks(data.test, tasks, config.minPositives, 'test');
    const monitor = summaryTasks(data.valid, tasks, config.minPositives, 'valid');
    // Every (seed, method) fit is independent: the run's fit workers may take them in parallel (src/pipelines/fits.ts).
    const packed = await fitGrid(ctx.fits, 'kuairand', config.models, config.seeds, async (method, seed, i) => {
      const { probs: _probs, ...fit } = await fitLive({ world: data, method, sizes: config.sizes, trainer: config.trainer, monitor: monitor.tasks, seed, index: i, ctx, stage: ' (KuaiRand)' });
      ctx.log(fitLine(method.label, seed, fit, summary.tasks));
      return portableFit(fit);
    });
    const fits: LiveFit[][] = packed.map((bySeed) => bySeed.map(restoredFit));
    const { table, records } = liveComparisonTable({
      id: 'kuairand', title: `Frequency module on KuaiRand-${k.variant} (single domain, ${config.seeds.length} seeds, time split)`, base: config.base,
      methods: config.models.map((m) => m.label), seeds: config.seeds, fits, tasks, summary,
      notes: [
        `KuaiRand-${k.variant} from ${k.dir}, ${ds.size} rows (${k.logs.join(' + ')} logs${k.maxRows ? `, first ${k.maxRows}` : ''}); histories of the last ${k.historyLen} clicked videos. No ground-truth ceiling: public logs have no truth.`,
        summaryNote(monitor, 'The early-stopping monitor (mean validation AUC)'),
      ],
    });
    return { tables: [table], figures: [], records, results: { rows: ds.size, summaryTasks: summary.tasks, monitorTasks: monitor.tasks } };
  },
};
