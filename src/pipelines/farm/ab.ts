/**
 * Pipeline `farm/ab`: the simulated online A/B test of FARM against PLE (its production base) with the shared
 * simulator (`simulateAB`, src/worlds/ab-simulator.ts), plus an A/A run (PLE vs PLE on two random user halves) whose
 * lift interval must contain 0. Both models are trained on the live world as in farm/main (first seed); the pool is
 * the test split's live impressions. Each request shows the top `slots` of `candidates` impressions of the user by
 * the policy score, and the world samples the outcomes from its truth: click ~ P(click), then effective view, gift
 * ~ P(task | click), and a click adds the expected watch seconds given the click (`world.watch.test.givenClick`).
 * Metrics (lift % with a 95% bootstrap interval): watch seconds per user, effective-view rate per impression, gifts
 * per user. Policy score = the sum of the model's predicted task probabilities (expected engaging actions per
 * impression; one score for every arm, so the comparison is of models, not of score formulas).
 * Paper deviations: the paper's online test is industrial (gifts, likes, follows by user activity); not reproducible.
 */
import { z } from 'zod';
import { generateLiveWorld, LiveWorldConfigSpec, type LiveWorldConfig, type LiveWorldData } from '../../worlds/live-world.ts';
import { simulateAB, type AbResult } from '../../worlds/ab-simulator.ts';
import { barChart } from '../../plots/index.ts';
import type { PipelineContext, PipelineSpec } from '../pipeline.ts';
import { LiveMethod, QUICK_MODEL_SIZES, QUICK_SIZES, QUICK_TRAINER, fitLive } from './common.ts';
import { FARM_QUICK_WORLD } from './main.ts';

const pos = z.number().int().positive();
/**
 * Strict config of `farm/ab`.
 * @example
 * FarmAbConfig.parse(farmAbDefaults(true));
 */
export const FarmAbConfig = z.strictObject({
  world: LiveWorldConfigSpec,
  treatment: LiveMethod,
  control: LiveMethod,
  sizes: z.record(z.string(), z.unknown()),
  modelSizes: z.record(z.string(), z.record(z.string(), z.unknown())),
  trainer: z.record(z.string(), z.unknown()),
  seed: z.number().int(),
  ab: z.strictObject({ requests: pos, candidates: pos, slots: pos, bootstrap: pos, level: z.number().gt(0).lt(1), seed: z.number().int() }),
});
/** Config of `farm/ab`. */
export type FarmAbConfig = z.infer<typeof FarmAbConfig>;

/**
 * Quick: farm/main's quick world and sizes, one seed, 20 requests per user; full: the full world and spec sizes.
 * @example
 * farmAbDefaults(true).ab.level; // 0.95
 */
export function farmAbDefaults(quick: boolean): FarmAbConfig {
  return {
    world: quick ? { ...FARM_QUICK_WORLD } : { users: 200000, authors: 12000, days: 7, shortVideoRowShare: 0.03 },
    treatment: { label: 'FARM', model: 'farm', config: {} },
    control: { label: 'PLE', model: 'live-ple', config: {} },
    sizes: quick ? structuredClone(QUICK_SIZES) : {},
    modelSizes: quick ? structuredClone(QUICK_MODEL_SIZES) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : { epochs: 8, batchSize: 1024, optimizer: { learningRate: 1e-3 }, patience: 2 },
    seed: 1,
    ab: { requests: 20, candidates: 10, slots: 3, bootstrap: quick ? 400 : 2000, level: 0.95, seed: 7 },
  };
}

/** The A/B metrics of the live papers. */
export const LIVE_AB_METRICS = [
  { name: 'watch seconds per user', numerator: 'watch', denominator: 'users' },
  { name: 'effective-view rate', numerator: 'effective_view', denominator: 'impression' },
  { name: 'gifts per user', numerator: 'gift', denominator: 'users' },
];

/**
 * The outcome funnel of a live world's test impressions: impression (always), click, effective view and gift given
 * the click, and the expected watch seconds given the click.
 * @example
 * simulateAB(liveAbPool(world), policies, LIVE_AB_METRICS, options);
 */
export function liveAbPool(world: LiveWorldData): Parameters<typeof simulateAB>[0] {
  const t = world.truth.test;
  const need = (k: string) => {
    const p = t[k];
    if (!p) throw new Error(`farm/ab: the world's test truth has no '${k}' (has: ${Object.keys(t).join(', ')})`);
    return p;
  };
  const n = world.test.size;
  return {
    groups: world.test.column('user_id'),
    steps: [
      { name: 'impression', p: new Float32Array(n).fill(1) },
      { name: 'click', p: need('click') },
      { name: 'effective_view', p: need('effective_view_given_click'), given: 'click' },
      { name: 'gift', p: need('gift_given_click'), given: 'click' },
      { name: 'watch', p: new Float32Array(n).fill(1), given: 'click', value: world.watch.test.givenClick },
    ],
  };
}

/** Policy score: the sum of the predicted task probabilities per impression. */
export function policyScore(probs: Record<string, Float32Array>): Float32Array {
  const ps = Object.values(probs);
  const out = new Float32Array(ps[0].length);
  for (const p of ps) for (let i = 0; i < p.length; i++) out[i] += p[i];
  return out;
}

/**
 * Runs the A/B and A/A tests of two trained methods' test probabilities on a world; abTests entries with notes.
 * @example
 * const tests = await liveAbTests(world, { FARM: pFarm, PLE: pPle }, 'FARM', 'PLE', config.ab, ctx);
 */
export async function liveAbTests(world: LiveWorldData, probs: Record<string, Record<string, Float32Array>>, treatment: string, control: string, ab: FarmAbConfig['ab'], ctx: PipelineContext): Promise<Array<AbResult & { note: string }>> {
  const pool = liveAbPool(world);
  const [t, c] = [policyScore(probs[treatment]), policyScore(probs[control])];
  const abRes = await ctx.stage('simulated A/B', () => simulateAB(pool, { name: `${treatment} vs ${control}`, control: c, treatment: t }, LIVE_AB_METRICS, ab));
  const aaRes = await ctx.stage('simulated A/A', () => simulateAB(pool, { name: `A/A (${control} vs ${control})`, control: c, treatment: c }, LIVE_AB_METRICS, { ...ab, seed: ab.seed + 1000 }));
  const note = 'simulated on the live world (test impressions); policy score = sum of predicted task probabilities';
  return [
    ...abRes.map((r) => ({ ...r, note })),
    ...aaRes.map((r) => ({ ...r, note: `${note}; A/A: the interval ${r.ciLow <= 0 && r.ciHigh >= 0 ? 'contains 0 as it must' : 'does NOT contain 0 (a false positive at this level, or a simulator problem)'}` })),
  ];
}

/**
 * Grouped bars of the lift (%) per metric and experiment; error bars are the 95% interval (the simulator's interval is
 * symmetric, so its half-width is drawn).
 * @example
 * abLiftFigure(results.abTests);
 */
export function abLiftFigure(abTests: AbResult[]): ReturnType<typeof barChart> {
  return barChart(abTests.map((r) => ({ label: r.metric, group: r.experiment, mean: r.liftPct, std: (r.ciHigh - r.ciLow) / 2 })), {
    title: 'Simulated A/B lift (%); error bars = the 95% interval', yTitle: 'lift (%)', refLines: [{ y: 0, label: 'no lift' }], yRange: 'zero',
  });
}

/**
 * The pipeline, registered as 'farm/ab'.
 * @example
 * await runPipeline('farm/ab', { quick: true });
 */
export const farmAbPipeline: PipelineSpec<FarmAbConfig> = {
  name: 'farm/ab',
  paper: 'farm',
  title: 'FARM vs PLE: simulated online A/B (watch time, effective-view rate, gifts per user) and an A/A check',
  description: 'Simulated A/B of FARM vs PLE on the live world with 95% intervals, plus an A/A run',
  schema: FarmAbConfig,
  defaults: (mode) => farmAbDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateLiveWorld(config.world as Partial<LiveWorldConfig>));
    const probs: Record<string, Record<string, Float32Array>> = {};
    for (const [i, m] of [config.control, config.treatment].entries()) {
      const r = await fitLive({ world, method: m, sizes: config.sizes, modelSizes: config.modelSizes, trainer: config.trainer, seed: config.seed, index: i, ctx });
      probs[m.label] = r.probs;
    }
    const abTests = await liveAbTests(world, probs, config.treatment.label, config.control.label, config.ab, ctx);
    for (const r of abTests) ctx.log(`${r.experiment}, ${r.metric}: ${r.control.toFixed(4)} -> ${r.treatment.toFixed(4)}, lift ${r.liftPct.toFixed(2)}% [${r.ciLow.toFixed(2)}, ${r.ciHigh.toFixed(2)}]`);
    const fig = abLiftFigure(abTests);
    const aaOk = abTests.filter((r) => r.experiment.startsWith('A/A')).every((r) => r.ciLow <= 0 && r.ciHigh >= 0);
    return { tables: [], figures: [{ name: 'ab-lift', fig }], results: { abTests, aaContainsZero: aaOk, world: world.config } };
  },
};
