/**
 * Pipeline `chorus-cvr/bias-sweep`: how entire-space CVR accuracy moves as the funnel's selection bias grows (beyond
 * the paper, which has no synthetic world; issue "Bias sweep"). For each selectionBias level one funnel world (same
 * seed, everything else equal) is generated; Naive CVR, ESMM, DCMT and ChorusCVR train on it (early stopping on
 * validation CVR AUC over the clicked rows) and are scored by CVR AUC over every test exposure D against the
 * counterfactual labels, with the level's ground-truth ceiling.
 * Table: rows = methods, one column per level ('bias=0', 'bias=1', ...), base DCMT. Figures: that AUC against the bias
 * (± std over seeds when there are several) with the ceiling as its own series; the funnel's rates from the truth
 * against the bias (the clicked-space CVR is calibrated to stay fixed; the exposure-space CVR falls as bias grows).
 */
import { z } from 'zod';
import { FunnelWorldConfigSpec, funnelCeilings, generateFunnelWorld, type FunnelWorldConfig } from '../../worlds/funnel-world.ts';
import { lineChart } from '../../plots/index.ts';
import { meanStd } from '../../metrics/index.ts';
import { buildResultTable, type MethodResult } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { Backbone, CvrMethod, MAIN_METHODS, QUICK_BACKBONE, QUICK_TRAINER, beatsNote, fitEntireSpace, funnelRates } from './common.ts';

/**
 * Strict config schema of `chorus-cvr/bias-sweep` (unknown keys are errors).
 * @example
 * ChorusBiasSweepConfig.parse({ ...chorusBiasSweepDefaults(true), levels: [0, 3] });
 */
export const ChorusBiasSweepConfig = z.strictObject({
  /** The world every level shares; its selectionBias is replaced by each level. */
  world: FunnelWorldConfigSpec,
  levels: z.array(z.number().min(0)).min(1),
  base: z.string(),
  models: z.array(CvrMethod).min(1),
  backbone: Backbone,
  /** Passed to the trainer (validated there). */
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `chorus-cvr/bias-sweep` (see the schema). */
export type ChorusBiasSweepConfig = z.infer<typeof ChorusBiasSweepConfig>;

const SWEEP_MODELS = ['Naive CVR', 'ESMM', 'DCMT', 'ChorusCVR'];

/**
 * Quick: levels {0, 1, 2, 3}, a 1 500-user world, the small backbone, 1 seed. Full: levels 0 to 3 by 0.5, 5 000
 * users, the spec §3.4 backbone, 3 seeds.
 * @example
 * chorusBiasSweepDefaults(true).levels; // [0, 1, 2, 3]
 */
export function chorusBiasSweepDefaults(quick: boolean): ChorusBiasSweepConfig {
  return {
    world: quick ? { users: 1500 } : { users: 5000 },
    levels: quick ? [0, 1, 2, 3] : [0, 0.5, 1, 1.5, 2, 2.5, 3],
    base: 'DCMT',
    models: structuredClone(MAIN_METHODS.filter((m) => SWEEP_MODELS.includes(m.label))),
    backbone: quick ? structuredClone(QUICK_BACKBONE) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : { epochs: 6, batchSize: 2048, optimizer: { learningRate: 2e-3 }, patience: 1 },
    seeds: quick ? [1] : [1, 2, 3],
  };
}

/**
 * Column name of a bias level in the sweep's table.
 * @example
 * biasColumn(1.5); // 'bias=1.5'
 */
export const biasColumn = (level: number): string => `bias=${level}`;

/**
 * The pipeline, registered as 'chorus-cvr/bias-sweep'.
 * @example
 * const run = await runPipeline('chorus-cvr/bias-sweep', { quick: true });
 */
export const chorusCvrBiasSweepPipeline: PipelineSpec<ChorusBiasSweepConfig> = {
  name: 'chorus-cvr/bias-sweep',
  paper: 'chorus-cvr',
  title: 'Entire-space CVR AUC (counterfactual labels) as the selection bias grows',
  description: 'Naive CVR, ESMM, DCMT, ChorusCVR: CVR AUC over all exposures vs selection-bias strength, with ceilings',
  schema: ChorusBiasSweepConfig,
  defaults: (mode) => chorusBiasSweepDefaults(mode === 'quick'),
  async run(config, ctx) {
    const results: MethodResult[] = config.models.map((m) => ({ method: m.label, seeds: [...config.seeds], values: Object.fromEntries(config.levels.map((l) => [biasColumn(l), [] as number[]])) }));
    const ceilings: Record<string, number> = {};
    const rates: Array<ReturnType<typeof funnelRates> & { level: number }> = [];
    for (const level of config.levels) {
      const world = await ctx.stage(`world bias=${level}`, () => generateFunnelWorld({ ...(config.world as Partial<FunnelWorldConfig>), selectionBias: level }));
      const c = funnelCeilings(world, 'test');
      ceilings[biasColumn(level)] = c.cvrAucEntire;
      rates.push({ level, ...funnelRates(world) });
      ctx.log(`bias=${level}: ${world.train.size} training exposures, ceiling CVR AUC over D ${c.cvrAucEntire.toFixed(4)}`);
      for (const seed of config.seeds) {
        for (const [i, method] of config.models.entries()) {
          const r = await fitEntireSpace({ world, method, backbone: config.backbone, trainer: config.trainer, seed, index: i, ctx, stage: ` bias=${level}` });
          results[i].values[biasColumn(level)].push(r.metrics.cvrAucEntire as number);
          ctx.log(`bias=${level} ${method.label} seed ${seed}: CVR AUC over D ${(r.metrics.cvrAucEntire as number).toFixed(4)} (O ${r.metrics.cvrAucClicked.toFixed(4)})`);
        }
      }
    }
    const cols = config.levels.map((l) => ({ name: biasColumn(l), higherIsBetter: true }));
    const table = buildResultTable({
      title: `CVR AUC over all exposures (counterfactual labels) by selection bias, funnel-world (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, test split)`,
      base: config.base, metrics: cols, results,
      references: [{ label: 'ground-truth ceiling', values: ceilings, note: "each level's true p_cvr scored against the same counterfactual labels" }],
    });
    table.notes.push(
      "Each column is one world whose selectionBias (rho, the shared factor's weight in the click logit) is the column's value; the metric is CVR AUC over every test exposure D against the counterfactual 'would have converted if clicked' labels (beyond the paper; only a synthetic world has them).",
      ...gainNotes(table, config.levels),
      ...config.levels.map((l) => beatsNote(table, biasColumn(l), 'ChorusCVR', config.base)),
    );
    const multi = config.seeds.length > 1;
    const figures = [
      {
        name: 'cvr-auc-entire-by-bias',
        fig: lineChart(
          [
            ...table.rows.map((r) => ({ name: r.method, x: config.levels, y: cols.map((c) => r.cells[c.name].mean), ...(multi ? { yStd: cols.map((c) => r.cells[c.name].std) } : {}) })),
            { name: 'ground-truth ceiling', x: config.levels, y: cols.map((c) => ceilings[c.name]) },
          ],
          { title: `CVR AUC over all exposures by selection bias${multi ? ' (± std over seeds)' : ''}`, xTitle: 'selection bias (rho)', yTitle: 'CVR AUC (D, counterfactual)' },
        ),
      },
      {
        name: 'funnel-by-bias',
        fig: lineChart(
          [
            { name: 'click rate (D)', x: config.levels, y: rates.map((r) => r.clickRate) },
            { name: 'CVR on clicked (O)', x: config.levels, y: rates.map((r) => r.cvrClicked) },
            { name: 'CVR on all exposures (D)', x: config.levels, y: rates.map((r) => r.cvrExposure) },
            { name: 'CVR on unclicked (N)', x: config.levels, y: rates.map((r) => r.cvrUnclicked) },
          ],
          { title: 'The funnel by selection bias (expected rates from the truth)', xTitle: 'selection bias (rho)', yTitle: 'rate', yRange: 'zero' },
        ),
      },
    ];
    return { tables: [table], figures, results: { perSeed: results, ceilings, funnelByBias: rates, world: config.world, levels: config.levels } };
  },
};

/** Gains of the debiasing methods over Naive CVR per level, and whether they grow with the bias (never tuned). */
function gainNotes(table: ReturnType<typeof buildResultTable>, levels: number[]): string[] {
  const naive = table.rows.find((r) => r.method === 'Naive CVR');
  if (!naive) return [];
  return table.rows.filter((r) => r !== naive).map((r) => {
    const gains = levels.map((l) => r.cells[biasColumn(l)].mean - naive.cells[biasColumn(l)].mean);
    const rising = gains.every((g, i) => i === 0 || g >= gains[i - 1]);
    const { mean } = meanStd(gains);
    return `${r.method} − Naive CVR by level (${levels.join(', ')}): ${gains.map((g) => `${g >= 0 ? '+' : ''}${g.toFixed(4)}`).join(', ')} (mean ${mean >= 0 ? '+' : ''}${mean.toFixed(4)}); the gain ${rising ? 'grows monotonically' : 'does NOT grow monotonically'} with the bias.`;
  });
}
