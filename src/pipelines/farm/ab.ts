/**
 * Pipeline `farm/ab`: the simulated online A/B test of FARM against PLE (its production base, declared) with the shared
 * simulator (`simulateAB`, src/worlds/ab-simulator.ts), plus an A/A run (PLE vs PLE on two random user halves) whose
 * lift interval must contain 0. Per seed, both models are trained on the live world as in farm/main (early stopping on
 * the reliable validation tasks) and the A/B and A/A are simulated (simulator seed `ab.seed + seed`); the pool is the
 * test split's live impressions. Each request shows the top `slots` of `candidates` impressions of the user by the
 * policy score, and the world samples the outcomes from its truth: click ~ P(click), then effective view, gift
 * ~ P(task | click), and a click adds the expected watch seconds given the click (`world.watch.test.givenClick`).
 * Metrics (lift % with a 95% interval): watch seconds per user, effective-view rate per impression, gifts per user.
 * Policy score = the sum of the model's predicted task probabilities (one score for every arm, so the comparison is of
 * models, not of score formulas). Records (table 'ab', one per seed): `lift_pct_<metric>` of 'FARM vs PLE' and of the
 * A/A, with the simulator's bootstrap SE; table 'online' (table.md): both arms' metrics per seed with the paired difference
 * against the control and the lifts in its notes. `results.abTests` (what the report reads): per experiment and metric the mean
 * lift over seeds with an interval that combines seed variance and the simulator's sampling (`combineSeedsAndTest`).
 * No claim is judged: the spec calls the paper's online test not reproducible (industrial; farm.md §4).
 * Modes: quick (smoke test) = farm/main's quick world and sizes, 1 seed, 400 bootstrap resamples; evidence = farm/main's
 * evidence world, sizes and trainer, 5 seeds, 2000 resamples (estimated wall time: 10 fits x 7 min, the measured
 * evidence-size FARM fit of farm/main (PLE is faster), plus the simulations: about 1.2 h on this loaded machine;
 * measured whole, 2026-12-07, with 2 fit workers: 6.4 min); paper = the spec's model sizes and trainer on the evidence
 * world.
 * Paper deviations: the paper's online test is industrial (gifts, likes, follows by user activity); not reproducible.
 */
import { z } from 'zod';
import { generateLiveWorld, LiveWorldConfigSpec, type LiveWorldConfig, type LiveWorldData } from '../../worlds/live-world.ts';
import { simulateAB, type AbResult } from '../../worlds/ab-simulator.ts';
import { barChart } from '../../plots/index.ts';
import { EVIDENCE_DEFAULTS, type RunMode } from '../../evidence/rules.ts';
import { combineSeedsAndTest, tQuantile } from '../../evidence/stats.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { PipelineContext, PipelineSpec } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import { buildResultTable } from '../result-table.ts';
import { FARM_BASE, LiveMethod, fitLive } from './common.ts';
import { FARM_EVIDENCE_WORLD, FARM_QUICK_WORLD, EVIDENCE_SEEDS, farmMainDefaults } from './main.ts';
import { summaryTasks } from './live-evidence.ts';

const pos = z.number().int().positive();
/**
 * Strict config of `farm/ab`.
 * @example
 * FarmAbConfig.parse(farmAbDefaults(true));
 */
export const FarmAbConfig = z.strictObject({
  world: LiveWorldConfigSpec,
  treatment: LiveMethod,
  /** The declared base (PLE). */
  control: LiveMethod,
  /** Validation positives a task needs to enter the early-stopping monitor. */
  minPositives: z.number().int().min(1),
  sizes: z.record(z.string(), z.unknown()),
  modelSizes: z.record(z.string(), z.record(z.string(), z.unknown())),
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
  ab: z.strictObject({ requests: pos, candidates: pos, slots: pos, bootstrap: pos, level: z.number().gt(0).lt(1), seed: z.number().int() }),
});
/** Config of `farm/ab`. */
export type FarmAbConfig = z.infer<typeof FarmAbConfig>;

/**
 * Defaults per mode: farm/main's world, sizes and trainer; quick 1 seed and 400 resamples, else 5 seeds and 2000.
 * @example
 * farmAbDefaults('quick').ab.level; // 0.95
 */
export function farmAbDefaults(mode: RunMode): FarmAbConfig {
  const quick = mode === 'quick';
  const main = farmMainDefaults(mode);
  return {
    world: quick ? { ...FARM_QUICK_WORLD } : { ...FARM_EVIDENCE_WORLD },
    treatment: { label: 'FARM', model: 'farm', config: {} },
    control: { label: FARM_BASE, model: 'live-ple', config: {} },
    minPositives: EVIDENCE_DEFAULTS.minPositives,
    sizes: main.sizes,
    modelSizes: main.modelSizes,
    trainer: main.trainer,
    seeds: quick ? [1] : [...EVIDENCE_SEEDS],
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
 * Runs the A/B and A/A tests of two trained methods' test probabilities on a world (one seed); entries with notes.
 * @example
 * const tests = await liveAbTests(world, { FARM: pFarm, PLE: pPle }, 'FARM', 'PLE', config.ab, ctx);
 */
export async function liveAbTests(world: LiveWorldData, probs: Record<string, Record<string, Float32Array>>, treatment: string, control: string, ab: FarmAbConfig['ab'], ctx: PipelineContext, stage = ''): Promise<AbResult[]> {
  const pool = liveAbPool(world);
  const [t, c] = [policyScore(probs[treatment]), policyScore(probs[control])];
  const abRes = await ctx.stage(`simulated A/B${stage}`, () => simulateAB(pool, { name: `${treatment} vs ${control}`, control: c, treatment: t }, LIVE_AB_METRICS, ab));
  const aaRes = await ctx.stage(`simulated A/A${stage}`, () => simulateAB(pool, { name: `A/A (${control} vs ${control})`, control: c, treatment: c }, LIVE_AB_METRICS, { ...ab, seed: ab.seed + 1000 }));
  return [...abRes, ...aaRes];
}

/** The record metric of an A/B metric's lift: 'lift_pct_watch_seconds_per_user'. */
export function liftMetric(metric: string): string {
  return `lift_pct_${metric.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
}

/**
 * Per experiment and metric, the lifts of every seed combined: mean lift, an interval at `level` that combines the seed
 * variance with each seed's simulator SE (half-width / z), the arms' means; the A/A entries say whether it contains 0.
 * @example
 * combineAbSeeds([seed1Results, seed2Results], 0.95);
 */
export function combineAbSeeds(perSeed: AbResult[][], level: number): Array<AbResult & { note: string }> {
  const z = tQuantile(1 - (1 - level) / 2, Infinity);
  const keys = perSeed[0].map((r) => [r.experiment, r.metric] as const);
  const note = `simulated on the live world (test impressions); policy score = sum of predicted task probabilities; ${perSeed.length} seed${perSeed.length === 1 ? '' : 's'} (model training and simulation), the interval combines seed variance and simulator sampling`;
  return keys.map(([experiment, metric]) => {
    const rs = perSeed.map((seedResults) => {
      const r = seedResults.find((x) => x.experiment === experiment && x.metric === metric);
      if (!r) throw new Error(`farm/ab: a seed lacks '${experiment}: ${metric}'`);
      return r;
    });
    const c = combineSeedsAndTest(rs.map((r) => r.liftPct), rs.map((r) => ((r.ciHigh - r.ciLow) / (2 * z)) ** 2));
    const q = tQuantile(1 - (1 - level) / 2, c.df);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [ciLow, ciHigh] = Number.isFinite(c.se) ? [c.diff - q * c.se, c.diff + q * c.se] : [c.diff, c.diff];
    const aa = experiment.startsWith('A/A') ? `; A/A: the interval ${ciLow <= 0 && ciHigh >= 0 ? 'contains 0 as it must' : 'does NOT contain 0 (a false positive at this level, or a simulator problem)'}` : '';
    return { metric, experiment, control: mean(rs.map((r) => r.control)), treatment: mean(rs.map((r) => r.treatment)), liftPct: c.diff, ciLow, ciHigh, level, requests: Math.min(...rs.map((r) => r.requests)), note: note + aa };
  });
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
  defaults: farmAbDefaults,
  async run(config, ctx) {
    const [treatment, control] = [config.treatment.label, config.control.label];
    if (treatment === control) throw new Error(`farm/ab config: treatment and control are both labelled '${treatment}'`);
    const world = await ctx.stage('world', () => generateLiveWorld(config.world as Partial<LiveWorldConfig>));
    const data = { train: world.train, valid: world.valid, test: ctx.holdout(world.test) };
    const monitor = summaryTasks(world.valid, world.train.schema.labels, config.minPositives, 'valid');
    const perSeed: AbResult[][] = [];
    const records: ResultRecord[] = [];
    // Every (seed, arm) fit is independent: the run's fit workers may take them in parallel (src/pipelines/fits.ts);
    // a fit hands back only its test predictions (plain typed arrays).
    const arms = [config.control, config.treatment];
    const fitted = await fitGrid(ctx.fits, 'arms', arms, config.seeds, async (m, seed, i) => {
      const r = await fitLive({ world: data, method: m, sizes: config.sizes, modelSizes: config.modelSizes, trainer: config.trainer, monitor: monitor.tasks, seed, index: i, ctx });
      ctx.log(`${m.label} seed ${seed}: best epoch ${r.bestEpoch + 1} of ${r.epochsAllowed} (${r.seconds.toFixed(1)} s)`);
      return r.probs;
    });
    // The arms' simulated metrics per seed, for table 'online' (each value's SE: the lift's, in the metric's units,
    // split equally between the arms, as minet/ab does).
    const empty = () => Object.fromEntries(LIVE_AB_METRICS.map((m) => [m.name, [] as number[]]));
    const online = [control, treatment].map((method) => ({ method, seeds: [...config.seeds], values: empty(), se: empty(), rows: empty() }));
    for (const [k, seed] of config.seeds.entries()) {
      const probs = Object.fromEntries(arms.map((m, i) => [m.label, fitted[i][k]]));
      const results = await liveAbTests(world, probs, treatment, control, { ...config.ab, seed: config.ab.seed + seed }, ctx, ` seed ${seed}`);
      perSeed.push(results);
      const z = tQuantile(1 - (1 - config.ab.level) / 2, Infinity);
      for (const r of results.filter((x) => !x.experiment.startsWith('A/A'))) {
        const seAbs = ((r.ciHigh - r.ciLow) / (2 * z) / 100) * r.control;
        for (const [arm, value] of [[online[0], r.control], [online[1], r.treatment]] as const) {
          arm.values[r.metric].push(value);
          arm.se[r.metric].push(seAbs / Math.SQRT2);
          arm.rows[r.metric].push(r.requests);
        }
      }
      for (const r of results) {
        records.push({ pipeline: '', run: '', table: 'ab', method: r.experiment, variant: '', knob: '', metric: liftMetric(r.metric), split: 'test', seed, value: r.liftPct, rows: r.requests, positives: null, se: (r.ciHigh - r.ciLow) / (2 * z), stillImproving: null });
        ctx.log(`seed ${seed}, ${r.experiment}, ${r.metric}: ${r.control.toFixed(4)} -> ${r.treatment.toFixed(4)}, lift ${r.liftPct.toFixed(2)}% [${r.ciLow.toFixed(2)}, ${r.ciHigh.toFixed(2)}]`);
      }
    }
    const abTests = combineAbSeeds(perSeed, config.ab.level);
    for (const r of abTests) ctx.log(`${r.experiment}, ${r.metric} (${config.seeds.length} seeds): ${r.control.toFixed(4)} -> ${r.treatment.toFixed(4)}, lift ${r.liftPct.toFixed(2)}% [${r.ciLow.toFixed(2)}, ${r.ciHigh.toFixed(2)}]`);
    const fig = abLiftFigure(abTests);
    const aaOk = abTests.filter((r) => r.experiment.startsWith('A/A')).every((r) => r.ciLow <= 0 && r.ciHigh >= 0);
    const table = buildResultTable({
      id: 'online',
      title: `Simulated A/B on the live world: ${treatment} vs ${control} (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''} of both models)`,
      base: control,
      metrics: LIVE_AB_METRICS.map((m) => ({ name: m.name, higherIsBetter: true })),
      results: online,
      notes: [
        `Each value is the arm's simulated metric per seed (test live impressions; policy score = sum of predicted task probabilities); its SE is the lift's bootstrap SE (${config.ab.bootstrap} resamples) in the metric's units, split equally between the arms. Lifts in % with intervals that combine seed variance and simulator sampling: ${abTests.filter((r) => !r.experiment.startsWith('A/A')).map((r) => `${r.metric} ${r.liftPct.toFixed(2)}% [${r.ciLow.toFixed(2)}, ${r.ciHigh.toFixed(2)}]`).join('; ')}.`,
        `A/A check (${control} in both arms): the interval ${aaOk ? 'contains 0 for every metric (passes)' : 'does NOT contain 0 for some metric (a false positive at this level, or a simulator problem)'}. No claim is judged: the paper's online test is industrial and not reproducible (farm.md §4).`,
      ],
    });
    return { tables: [table], figures: [{ name: 'ab-lift', fig }], records, results: { abTests, aaContainsZero: aaOk, monitorTasks: monitor.tasks, world: world.config } };
  },
};
