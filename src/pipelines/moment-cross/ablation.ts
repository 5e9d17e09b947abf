/**
 * Pipeline `moment-cross/ablation`: Moment&Cross with one part removed at a time on the live world (spec §4 ablation
 * and issue 3: without real-time features, without cross-domain search, without the label mask; full mode adds
 * soft instead of hard search, without L_moment and without contrastive alignment). Every variant starts from the
 * same initialisation seed, so the paired t-test compares the removed part only. Tables as moment-cross/main (base =
 * the full model); figure: mean AUC over tasks per variant with error bars.
 */
import { z } from 'zod';
import { LIVE_TASKS, LiveWorldConfigSpec, generateLiveWorld, type LiveWorldConfig } from '../../worlds/live-world.ts';
import { meanStd } from '../../metrics/index.ts';
import { barChart } from '../../plots/index.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { LiveMethod, ceilingScores, liveTables, meanAucPerSeed } from './common.ts';
import { QUICK_NETS, QUICK_WORLD, liveTrainer, runLiveComparison } from './main.ts';

/**
 * Strict config of `moment-cross/ablation`; `base` is the label of the full model.
 * @example
 * MomentCrossAblationConfig.parse({ ...momentCrossAblationDefaults(true), seeds: [1] });
 */
export const MomentCrossAblationConfig = z.strictObject({
  world: LiveWorldConfigSpec,
  tasks: z.array(z.string()).min(1),
  base: z.string(),
  methods: z.array(LiveMethod).min(2),
  /** Passed to the trainer (validated there). */
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `moment-cross/ablation`. */
export type MomentCrossAblationConfig = z.infer<typeof MomentCrossAblationConfig>;

/**
 * Variants: the full model first, then one change each (quick: the three of the issue; full: all six).
 * @example
 * ablationVariants(true, {}).map((v) => v.label); // ['Moment&Cross', 'w/o real-time features', 'w/o cross-domain search', 'w/o label mask']
 */
export function ablationVariants(quick: boolean, net: Record<string, unknown>): LiveMethod[] {
  const v = (label: string, config: Record<string, unknown>, data: LiveMethod['data'] = 'stream'): LiveMethod => ({ label, model: 'moment-cross', config: { ...net, ...config }, data });
  const issue = [
    v('Moment&Cross', {}),
    v('w/o real-time features', { realtime: false }),
    v('w/o cross-domain search', { search: 'none' }),
    v('w/o label mask', {}, 'stream-no-mask'),
  ];
  return quick ? issue : [...issue, v('soft search (GSU)', { search: 'soft' }), v('w/o L_moment', { momentWeight: 0 }), v('w/o contrastive align', { alignWeight: 0 })];
}

/**
 * Quick: 6k users, small networks, the issue's three ablations, 3 seeds. Full: 20k users, spec sizes, six ablations.
 * @example
 * momentCrossAblationDefaults(true).seeds; // [1, 2, 3]
 */
export function momentCrossAblationDefaults(quick: boolean): MomentCrossAblationConfig {
  return {
    world: quick ? { ...QUICK_WORLD } : {},
    tasks: [...LIVE_TASKS],
    base: 'Moment&Cross',
    methods: ablationVariants(quick, quick ? structuredClone(QUICK_NETS.mc) : {}),
    trainer: liveTrainer(quick),
    seeds: [1, 2, 3],
  };
}

/**
 * The pipeline, registered as 'moment-cross/ablation'.
 * @example
 * const run = await runPipeline('moment-cross/ablation', { quick: true });
 */
export const momentCrossAblationPipeline: PipelineSpec<MomentCrossAblationConfig> = {
  name: 'moment-cross/ablation',
  paper: 'moment-cross',
  title: 'Ablation of Moment&Cross (live world)',
  description: 'Moment&Cross without real-time features, without cross-domain search, without the first-only label mask (full: + soft search, w/o L_moment, w/o align)',
  schema: MomentCrossAblationConfig,
  defaults: (mode) => momentCrossAblationDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateLiveWorld(config.world as Partial<LiveWorldConfig>));
    const labels = config.methods.map((m) => m.label);
    if (!labels.includes(config.base)) throw new Error(`moment-cross/ablation config: base '${config.base}' is not a method (methods: ${labels.join(', ')})`);
    const ceiling = ceilingScores(world, config.tasks);
    const { perSeed, seconds } = await runLiveComparison(world, config, ctx);
    const bars = labels.map((m, i) => ({ label: m, ...meanStd(meanAucPerSeed(perSeed[i], config.tasks)) }));
    const full = bars[labels.indexOf(config.base)];
    const hurt = bars.filter((b) => b !== full && full.mean - b.mean > Math.max(b.std, full.std)).map((b) => `${b.label} (${(b.mean - full.mean).toFixed(4)})`);
    const helped = bars.filter((b) => b !== full && b.mean - full.mean > Math.max(b.std, full.std)).map((b) => `${b.label} (+${(b.mean - full.mean).toFixed(4)})`);
    const notes = [
      `Removals that lower the mean AUC over tasks by more than the seed std: ${hurt.length ? hurt.join(', ') : 'none'}; that raise it: ${helped.length ? helped.join(', ') : 'none'}.`,
      'The paper reports no ablation numbers (spec §4). "w/o label mask" trains on the same sample stream with every task on every sample (the click counted again on slow samples, not-yet-happened behaviours as negatives on fast samples).',
    ];
    const tables = liveTables({ title: `Moment&Cross ablation on live-world (${config.seeds.length} seeds, test impressions)`, base: config.base, tasks: config.tasks, methods: labels, perSeed, seeds: config.seeds, ceiling, notes });
    const fig = barChart(bars, { title: 'Moment&Cross ablation: mean test AUC over tasks (mean ± std)', yTitle: 'mean AUC' });
    return { tables, figures: [{ name: 'ablation-mean-auc', fig }], results: { perSeed, seconds, methods: labels, ceiling, world: world.config } };
  },
};
