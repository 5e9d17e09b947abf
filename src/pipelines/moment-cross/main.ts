/**
 * Pipeline `moment-cross/main`: Moment&Cross against the live baselines on the live world (spec §4 main comparison;
 * the paper's numbers are not available). Methods: the multi-task baselines of src/models/live-baselines.ts
 * (single-domain DNN / DIN / MMoE / PLE on the live history, naive cross-domain with the short-video history
 * concatenated), the spec's ladder (daily-batch base model -> + Moment -> + Cross -> full Moment&Cross; the base is
 * the Moment&Cross network without real-time features, short-video search or alignment, trained on impressions).
 * Tables: AUC, UAUC and GAUC per task (click, effective view, like, comment, gift, follow), mean ± std over seeds,
 * relative improvement and paired t-test against the strongest baseline (highest mean AUC over tasks), the
 * ground-truth ceiling as a reference row. Figure: mean AUC over tasks per method.
 */
import { z } from 'zod';
import { LIVE_TASKS, LiveWorldConfigSpec, generateLiveWorld, type LiveWorldConfig } from '../../worlds/live-world.ts';
import { checkTaskNames } from '../../layers/mtl.ts';
import { barChart } from '../../plots/index.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { meanStd } from '../../metrics/index.ts';
import { LiveMethod, ceilingScores, fitLive, liveTables, meanAucPerSeed, meanOverTasks, type LiveScores } from './common.ts';

/**
 * Strict config of `moment-cross/main`; `baselines` names the methods the strongest-baseline search runs over.
 * @example
 * MomentCrossMainConfig.parse({ ...momentCrossMainDefaults(true), seeds: [1] });
 */
export const MomentCrossMainConfig = z.strictObject({
  world: LiveWorldConfigSpec,
  tasks: z.array(z.string()).min(1),
  methods: z.array(LiveMethod).min(2),
  baselines: z.array(z.string()).min(1),
  /** Passed to the trainer (validated there). */
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `moment-cross/main`. */
export type MomentCrossMainConfig = z.infer<typeof MomentCrossMainConfig>;

/** Small networks for quick mode (CPU budget): D = 8, experts [64, 32], towers [32]. */
export const QUICK_NETS = {
  mc: { embeddingDim: 8, esuHeads: 2, mmoe: { expertHidden: [64, 32], tower: [32] } },
  baseline: { embeddingDim: 8, ple: { expertHidden: [64, 32], tower: [32] }, mmoe: { expertHidden: [64, 32], tower: [32] }, bottom: [64, 32], tower: [32] },
};
/** Quick world: 6 000 users (about 12k live training impressions); full: the 'quick' world size (20 000 users). */
export const QUICK_WORLD: Partial<LiveWorldConfig> = { users: 6000, authors: 600 };
/** Trainer settings: quick 2 epochs of batch 512 at lr 1e-2 (at 3e-3 the short run stays in the first, all-logits-down phase); full 6 epochs at 2e-3 (patience 2). */
export function liveTrainer(quick: boolean): Record<string, unknown> {
  return quick ? { epochs: 2, batchSize: 512, optimizer: { learningRate: 1e-2 }, patience: 1 } : { epochs: 6, batchSize: 1024, optimizer: { learningRate: 2e-3 }, patience: 2 };
}

const mc = (label: string, quick: boolean, config: Record<string, unknown>, data: LiveMethod['data']): LiveMethod => ({ label, model: 'moment-cross', config: { ...(quick ? QUICK_NETS.mc : {}), ...config }, data });
const baseline = (label: string, model: string, quick: boolean): LiveMethod => ({ label, model, config: quick ? structuredClone(QUICK_NETS.baseline) : {}, data: 'impressions' });

/**
 * Quick: PLE, naive cross-domain, the daily-batch base and Moment&Cross, 3 seeds, 6k users. Full: every baseline and
 * the whole ladder, 3 seeds, 20k users.
 * @example
 * momentCrossMainDefaults(true).methods.map((m) => m.label); // ['PLE', 'Naive cross-domain', 'Base (daily batch)', 'Moment&Cross']
 */
export function momentCrossMainDefaults(quick: boolean): MomentCrossMainConfig {
  const base = mc('Base (daily batch)', quick, { realtime: false, search: 'none', alignWeight: 0 }, 'impressions');
  const full = mc('Moment&Cross', quick, {}, 'stream');
  const methods = quick
    ? [baseline('PLE', 'live-ple', quick), baseline('Naive cross-domain', 'live-naive-cd', quick), base, full]
    : [
      baseline('DNN', 'live-dnn', quick), baseline('DIN', 'live-din', quick), baseline('MMoE', 'live-mmoe', quick), baseline('PLE', 'live-ple', quick),
      baseline('Naive cross-domain', 'live-naive-cd', quick), base,
      mc('+ Moment', quick, { search: 'none', alignWeight: 0 }, 'stream'), mc('+ Cross', quick, { realtime: false }, 'impressions'), full,
    ];
  const names = methods.map((m) => m.label);
  return {
    world: quick ? { ...QUICK_WORLD } : {},
    tasks: [...LIVE_TASKS],
    methods,
    baselines: names.filter((n) => !['Moment&Cross', '+ Moment', '+ Cross'].includes(n)),
    trainer: liveTrainer(quick),
    seeds: [1, 2, 3],
  };
}

/**
 * Runs every method for every seed and assembles the tables (shared by the main and ablation pipelines).
 * @example
 * const { tables, perSeed } = await runLiveComparison(world, config, ctx, 'Moment&Cross vs baselines', 'PLE');
 */
export async function runLiveComparison(
  world: ReturnType<typeof generateLiveWorld>,
  config: Pick<MomentCrossMainConfig, 'tasks' | 'methods' | 'trainer' | 'seeds'>,
  ctx: Parameters<PipelineSpec<unknown>['run']>[1],
): Promise<{ perSeed: LiveScores[][]; seconds: number[][] }> {
  checkTaskNames(config.tasks, world.train.schema.labels, 'moment-cross config');
  const perSeed: LiveScores[][] = config.methods.map(() => []);
  const seconds: number[][] = config.methods.map(() => []);
  for (const seed of config.seeds) {
    for (const [i, method] of config.methods.entries()) {
      const r = await fitLive({ world, method, tasks: config.tasks, trainer: config.trainer, seed, ctx });
      perSeed[i].push(r.scores);
      seconds[i].push(r.seconds);
      ctx.log(`${method.label} seed ${seed}: ${config.tasks.map((t) => `${t} ${r.scores[t].auc.toFixed(4)}`).join(', ')} (best epoch ${r.bestEpoch + 1}, ${r.seconds.toFixed(0)} s)`);
    }
  }
  return { perSeed, seconds };
}

/**
 * The pipeline, registered as 'moment-cross/main'.
 * @example
 * const run = await runPipeline('moment-cross/main', { quick: true });
 */
export const momentCrossMainPipeline: PipelineSpec<MomentCrossMainConfig> = {
  name: 'moment-cross/main',
  paper: 'moment-cross',
  title: 'Moment&Cross vs live-streaming baselines (live world)',
  description: 'Per-task AUC / UAUC / GAUC of Moment&Cross, its daily-batch base and the multi-task baselines, 3 seeds',
  schema: MomentCrossMainConfig,
  defaults: (mode) => momentCrossMainDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateLiveWorld(config.world as Partial<LiveWorldConfig>));
    const labels = config.methods.map((m) => m.label);
    for (const b of config.baselines) if (!labels.includes(b)) throw new Error(`moment-cross/main config: baseline '${b}' is not a method (methods: ${labels.join(', ')})`);
    const ceiling = ceilingScores(world, config.tasks);
    ctx.log(`live world: ${world.train.size} train / ${world.test.size} test live impressions; ceiling AUC ${config.tasks.map((t) => `${t} ${ceiling[t].auc.toFixed(3)}`).join(', ')}`);
    const { perSeed, seconds } = await runLiveComparison(world, config, ctx);
    const strength = config.baselines.map((b) => ({ b, v: meanOverTasks(perSeed[labels.indexOf(b)], config.tasks, 'auc') }));
    const strongest = strength.reduce((x, y) => (y.v > x.v ? y : x)).b;
    const mcIndex = labels.indexOf('Moment&Cross');
    const mcMean = mcIndex >= 0 ? meanOverTasks(perSeed[mcIndex], config.tasks, 'auc') : NaN;
    const notes = [
      `Base of the relative improvements: the strongest baseline by mean test AUC over tasks, ${strongest} (${strength.map((s) => `${s.b} ${s.v.toFixed(4)}`).join(', ')}).`,
      Number.isFinite(mcMean)
        ? `Moment&Cross mean AUC over tasks ${mcMean.toFixed(4)} vs ${strongest} ${Math.max(...strength.map((s) => s.v)).toFixed(4)}: ${mcMean > Math.max(...strength.map((s) => s.v)) ? 'above' : 'NOT above'} the strongest baseline in this run.`
        : 'Moment&Cross is not among the methods of this run.',
      'The paper reports no numbers (spec §4), so there is no paper ordering to compare with. Rare tasks (gift, follow) have few test positives: their AUCs are noisy and UAUC / GAUC are over the few users with both classes (NaN when none).',
    ];
    const tables = liveTables({ title: `Moment&Cross main comparison on live-world (${config.seeds.length} seeds, test impressions)`, base: strongest, tasks: config.tasks, methods: labels, perSeed, seeds: config.seeds, ceiling, notes });
    const fig = barChart(labels.map((m, i) => ({ label: m, ...meanStd(meanAucPerSeed(perSeed[i], config.tasks)) })), { title: 'Mean test AUC over tasks (mean ± std over seeds)', yTitle: 'mean AUC' });
    return { tables, figures: [{ name: 'main-mean-auc', fig }], results: { perSeed, seconds, methods: labels, strongest, ceiling, world: world.config, stats: world.stats } };
  },
};
