/**
 * Pipeline `baselines/ctr`: DNN, Wide&Deep, DeepFM and DIN on the default CTR world, several seeds.
 * The world fixes one dataset (its own seed); the run's seeds vary model initialisation and batch order.
 * Table 'main': test AUC, GAUC and logloss (mean ± std; the paired difference against DNN with a 95% interval that
 * includes test-set sampling, p and MDE) with the world's ground-truth ceiling as a reference row. Claims (judged on
 * every run): DIN (which attends over the behaviour sequence with the target) beats DNN on AUC, as the world's design
 * intends; DeepFM beats DNN (its FM term adds explicit pairwise crosses). Every model staying below the ceiling is
 * checked in the notes. Figures: test AUC per model with the ceiling line; validation AUC per epoch.
 * Modes: quick (smoke test), evidence (20 000 users, up to 12 epochs with early stopping, 5 seeds), paper = evidence
 * (this pipeline reproduces no paper).
 */
import { z } from 'zod';
import { CTR_WORLD_DEFAULTS, generateCtrWorld, type CtrWorldConfig } from '../../worlds/ctr-world.ts';
import { groundTruthCeiling } from '../../worlds/world.ts';
import { getModelSpec } from '../../models/registry.ts';
import { train, type EpochRecord, type TrainerConfig } from '../../train/trainer.ts';
import { evaluateCtrEvidence, predict } from '../../train/evaluate.ts';
import { stillImproving } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { Rng } from '../../random.ts';
import { barChart, lineChart } from '../../plots/index.ts';
import { buildResultTable, type MethodResult } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';

const worldKeys = Object.fromEntries(Object.keys(CTR_WORLD_DEFAULTS).map((k) => [k, z.number()])) as Record<keyof CtrWorldConfig, z.ZodNumber>;

/** Strict config schema of `baselines/ctr`. */
export const CtrBaselinesConfig = z.strictObject({
  world: z.strictObject(worldKeys).partial(),
  label: z.string(),
  /** Method the others are compared with. */
  base: z.string(),
  models: z.array(z.strictObject({ label: z.string(), model: z.string(), config: z.record(z.string(), z.unknown()) })).min(1),
  /** Passed to the trainer (validated there; unknown keys are errors). */
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `baselines/ctr`. */
export type CtrBaselinesConfig = z.infer<typeof CtrBaselinesConfig>;

const MODELS = [
  { label: 'DNN', model: 'dnn', config: {} },
  { label: 'Wide&Deep', model: 'wide-deep', config: {} },
  { label: 'DeepFM', model: 'deepfm', config: {} },
  { label: 'DIN', model: 'din', config: {} },
];

/**
 * Quick: 3 000 users x 30 impressions (about 63k training rows), 3 epochs, 3 seeds — about 1-2 minutes on 2 cores.
 * Evidence: 20 000 users (about 60k test rows, AUC SE ≈ 0.002), up to 12 epochs with early stopping (patience 2), 5 seeds.
 */
export function ctrBaselinesDefaults(quick: boolean): CtrBaselinesConfig {
  return {
    world: quick ? { users: 3000, items: 1000, categories: 30, impressionsPerUser: 30 } : { users: 20000, items: 3000, categories: 60, impressionsPerUser: 30 },
    label: 'click',
    base: 'DNN',
    models: structuredClone(MODELS),
    trainer: { epochs: quick ? 3 : 12, batchSize: 1024, optimizer: { learningRate: 5e-3 }, monitor: 'auc', patience: quick ? 1 : 2 },
    seeds: quick ? [1, 2, 3] : [1, 2, 3, 4, 5],
  };
}

/** The claims this pipeline judges: the world's designed effect (DIN > DNN) and DeepFM's explicit crosses. */
export const CTR_BASELINE_CLAIMS: Claim[] = [
  { id: 'din-beats-dnn', text: 'DIN beats DNN on test AUC', source: 'ctr-world design (best-matching interest drives clicks); DIN paper (Zhou et al., KDD 2018), Table 3', table: 'main', metric: 'auc', method: 'DIN', base: 'DNN', direction: 'higher' },
  { id: 'deepfm-beats-dnn', text: 'DeepFM beats DNN on test AUC', source: 'DeepFM paper (Guo et al., IJCAI 2017), Table 2', table: 'main', metric: 'auc', method: 'DeepFM', base: 'DNN', direction: 'higher' },
];

/** The pipeline. */
export const ctrBaselinesPipeline: PipelineSpec<CtrBaselinesConfig> = {
  name: 'baselines/ctr',
  paper: 'baselines',
  title: 'CTR baselines on the default world',
  description: 'DNN, Wide&Deep, DeepFM, DIN on the generic CTR world; AUC/GAUC/logloss vs the ground-truth ceiling',
  schema: CtrBaselinesConfig,
  defaults: (mode) => ctrBaselinesDefaults(mode === 'quick'),
  claims: CTR_BASELINE_CLAIMS,
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateCtrWorld(config.world as Partial<CtrWorldConfig>));
    ctx.log(`world: ${world.train.size} train / ${world.valid.size} valid / ${world.test.size} test rows`);
    const ceiling = groundTruthCeiling(world, 'test', config.label);
    const test = ctx.holdout(world.test);
    const selection: ResultRecord[][] = [];
    const metricNames = ['auc', 'gauc', 'logloss'] as const;
    const empty = () => Object.fromEntries(metricNames.map((k) => [k, [] as number[]]));
    const results: Array<Required<MethodResult>> = config.models.map((m) => ({ method: m.label, seeds: [...config.seeds], values: empty(), se: empty(), rows: empty(), positives: empty(), stillImproving: [] }));
    const curves: Record<string, EpochRecord[]> = {};
    // Every (seed, model) fit is independent: the fit workers may run them in parallel (src/pipelines/fits.ts).
    const fitted = await fitGrid(ctx.fits, 'baselines', config.models, config.seeds, async (m, seed, i) => {
      const spec = getModelSpec(m.model);
      const model = spec.create(new Rng(seed * 7919 + i), world.train.schema, m.config);
      try {
        const r = await ctx.stage(`train ${m.label} seed ${seed}`, () =>
          train({
            model,
            loss: spec.loss(config.label),
            train: world.train,
            valid: world.valid,
            config: { ...(config.trainer as Partial<TrainerConfig>), seed, label: config.label, progressLabel: `${m.label} seed ${seed}` },
          }),
        );
        const ev = await ctx.stage(`eval ${m.label} seed ${seed}`, () => evaluateCtrEvidence(test, config.label, predict(model, test)));
        const epochs = (config.trainer as { epochs?: number }).epochs ?? r.history.length;
        ctx.log(`${m.label} seed ${seed}: test AUC ${ev.auc.value.toFixed(4)} (SE ${ev.auc.se.toFixed(4)}), GAUC ${(ev.gauc?.value ?? Number.NaN).toFixed(4)}, logloss ${ev.logloss.value.toFixed(4)} (best epoch ${r.bestEpoch + 1} of ${epochs}, ${r.seconds.toFixed(1)} s)`);
        return { ev, history: r.history, bestEpoch: r.bestEpoch, epochs };
      } finally {
        model.dispose();
      }
    });
    for (const [k, seed] of config.seeds.entries()) {
      for (const [i, { label }] of config.models.entries()) {
        const { ev, history, bestEpoch, epochs } = fitted[i][k];
        if (seed === config.seeds[0]) curves[label] = history;
        for (const name of metricNames) {
          const e = ev[name];
          if (!e) throw new Error(`baselines/ctr: metric '${name}' is undefined on the test split (no user has both classes)`);
          results[i].values[name].push(e.value);
          results[i].se[name].push(e.se);
          results[i].rows[name].push(e.rows);
          results[i].positives[name].push(e.positives);
        }
        results[i].stillImproving.push(stillImproving(bestEpoch, epochs));
        selection.push(selectionRecord(label, seed, bestEpoch, history[bestEpoch]?.valid ?? Number.NaN, epochs));
      }
    }
    const table = buildResultTable({
      id: 'main',
      title: `CTR baselines on ctr-world (${config.seeds.length} seeds, test split)`,
      base: config.base,
      metrics: [
        { name: 'auc', higherIsBetter: true },
        { name: 'gauc', higherIsBetter: true },
        { name: 'logloss', higherIsBetter: false },
      ],
      results,
      references: [{ label: 'ground-truth ceiling', values: { auc: ceiling.auc, gauc: null, logloss: ceiling.logloss }, note: "the world's true click probabilities scored on the same test rows (no model can beat it in expectation)" }],
    });
    table.notes.push(...expectations(table, ceiling.auc));
    const aucRows = table.rows.map((r) => ({ label: r.method, mean: r.cells.auc.mean, std: r.cells.auc.std }));
    const figures = [
      { name: 'test-auc', fig: barChart(aucRows, { title: 'Test AUC (mean ± std over seeds)', yTitle: 'AUC', refLines: [{ y: ceiling.auc, label: 'ground-truth ceiling' }] }) },
      {
        name: 'valid-auc-by-epoch',
        fig: lineChart(
          Object.entries(curves).map(([name, h]) => ({ name, x: h.map((e) => e.epoch + 1), y: h.map((e) => e.valid) })),
          { title: `Validation AUC by epoch (seed ${config.seeds[0]})`, xTitle: 'epoch', yTitle: 'AUC' },
        ),
      },
    ];
    return { tables: [table], figures, results: { ceiling, curves, world: world.config }, records: selection.flat() };
  },
};

/** The sentence that says whether every model stayed below the ceiling (DIN vs DNN is a claim with a verdict). */
function expectations(table: ReturnType<typeof buildResultTable>, ceilingAuc: number): string[] {
  const out: string[] = [];
  const above = table.rows.filter((r) => r.cells.auc.mean >= ceilingAuc).map((r) => r.method);
  out.push(`Expected: every model below the ground-truth ceiling (${ceilingAuc.toFixed(4)}) — ${above.length ? `DOES NOT HOLD for ${above.join(', ')}` : 'holds'}.`);
  return out;
}

/** What validation chose for one fit (split 'valid'): its best epoch and the validation AUC there. */
function selectionRecord(method: string, seed: number, bestEpoch: number, validAuc: number, epochs: number): ResultRecord[] {
  const base = { pipeline: '', run: '', table: 'selection', method, variant: '', knob: '', split: 'valid', seed, rows: null, positives: null, se: null, stillImproving: stillImproving(bestEpoch, epochs) };
  return [{ ...base, metric: 'best_epoch', value: bestEpoch + 1 }, { ...base, metric: 'auc', value: validAuc }];
}
