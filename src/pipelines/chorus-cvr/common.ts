/**
 * What the chorus-cvr pipelines (main, bias-sweep, ablation) share: the compared methods and backbone as strict
 * config pieces, the quick-mode sizes, the table columns of the funnel metrics, training and scoring one method on a
 * funnel world, the funnel's rates from the truth, and the sentences the tables state (orderings, "beats beyond the
 * seed std"). Pure helpers; the pipelines own their configs and runs.
 */
import { z } from 'zod';
import { FUNNEL_TRUTH, type FunnelCeilings } from '../../worlds/funnel-world.ts';
import type { WorldData } from '../../worlds/world.ts';
import { getModelSpec } from '../../models/registry.ts';
import type { SharedBottomConfig } from '../../layers/multitask.ts';
import type { EntireSpaceSpec } from '../../train/cvr-losses.ts';
import { train, type TrainerConfig } from '../../train/trainer.ts';
import { entireSpaceValidator, evaluateEntireSpace, predictOutputs, type EntireSpaceMetrics } from '../../train/evaluate-cvr.ts';
import { Rng } from '../../random.ts';
import { barChart } from '../../plots/index.ts';
import type { MetricColumn, ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';

/**
 * One compared method (strict): a display label, a registered entire-space model and its config (passed to both
 * `create` and `loss`, see EntireSpaceSpec).
 * @example
 * CvrMethod.parse({ label: 'ChorusCVR', model: 'chorus-cvr', config: { samWeighting: 'inverse' } });
 */
export const CvrMethod = z.strictObject({ label: z.string().min(1), model: z.string().min(1), config: z.record(z.string(), z.unknown()) });
/** A compared method (see the schema `CvrMethod`). */
export type CvrMethod = z.infer<typeof CvrMethod>;
/**
 * Backbone sizes merged under every method's config (strict, partial; see SharedBottomConfig); {} = the models'
 * spec §3.4 defaults.
 * @example
 * Backbone.parse({ embeddingDim: 8, bottom: [64] });
 */
export const Backbone = z.strictObject({ embeddingDim: z.number().int().min(1), bottom: z.array(z.number().int().min(1)), tower: z.array(z.number().int().min(1)), dropout: z.number().min(0).lt(1) }).partial();

/**
 * The main table's methods, labels matching the report's paper-number registry ('ChorusCVR' is the inverse reading of
 * Eq. 10, the spec's default).
 * @example
 * MAIN_METHODS.map((m) => m.label); // ['Naive CVR', ..., 'DCMT', 'ChorusCVR', 'ChorusCVR (multiplicative)']
 */
export const MAIN_METHODS: CvrMethod[] = [
  { label: 'Naive CVR', model: 'naive-cvr', config: {} },
  { label: 'Shared-Bottom', model: 'shared-bottom', config: {} },
  { label: 'ESMM', model: 'esmm', config: {} },
  { label: 'ESCM2-IPS', model: 'escm2-ips', config: {} },
  { label: 'ESCM2-DR', model: 'escm2-dr', config: {} },
  { label: 'DCMT', model: 'dcmt', config: {} },
  { label: 'ChorusCVR', model: 'chorus-cvr', config: { samWeighting: 'inverse' } },
  { label: 'ChorusCVR (multiplicative)', model: 'chorus-cvr', config: { samWeighting: 'multiplicative' } },
];
/**
 * Quick-mode backbone (fits the 2-core CPU budget): D 8, bottom [64], towers [32]; full mode uses spec §3.4.
 * @example
 * chorusMainDefaults(true).backbone; // QUICK_BACKBONE
 */
export const QUICK_BACKBONE = { embeddingDim: 8, bottom: [64], tower: [32] };
/**
 * Trainer settings of quick mode: at most 3 epochs of Adam 3e-3, batch 1024, patience 1.
 * @example
 * resolveTrainerConfig(QUICK_TRAINER).epochs; // 3
 */
export const QUICK_TRAINER = { epochs: 3, batchSize: 1024, optimizer: { learningRate: 3e-3 }, patience: 1 };

/**
 * A table column and the `EntireSpaceMetrics` field it reads.
 * @example
 * const col: EntireSpaceColumn = { name: 'cvr_auc', key: 'cvrAucClicked', higherIsBetter: true };
 */
export type EntireSpaceColumn = MetricColumn & { key: keyof EntireSpaceMetrics };
/**
 * The funnel-world table's columns: ctr_auc (D), cvr_auc (O), ctcvr_auc (D), cvr_auc_entire (D vs counterfactual
 * labels), cvr_logloss (O). The first three match the paper-number registry's CTR-AUC, CVR-AUC and CTCVR-AUC.
 * @example
 * ENTIRE_SPACE_COLUMNS.find((c) => c.name === 'cvr_auc_entire')?.key; // 'cvrAucEntire'
 */
export const ENTIRE_SPACE_COLUMNS: EntireSpaceColumn[] = [
  { name: 'ctr_auc', key: 'ctrAuc', higherIsBetter: true },
  { name: 'cvr_auc', key: 'cvrAucClicked', higherIsBetter: true },
  { name: 'ctcvr_auc', key: 'ctcvrAuc', higherIsBetter: true },
  { name: 'cvr_auc_entire', key: 'cvrAucEntire', higherIsBetter: true },
  { name: 'cvr_logloss', key: 'cvrLoglossClicked', higherIsBetter: false },
];

/**
 * The registry spec of an entire-space CVR model (its loss takes the model config); other tasks are errors.
 * @example
 * entireSpaceSpec('dcmt').loss('conversion', { constraintWeight: 0.5 });
 */
export function entireSpaceSpec(name: string): EntireSpaceSpec<object> {
  const spec = getModelSpec(name);
  if (spec.task !== 'entire-space-cvr') throw new Error(`model '${name}' is a '${spec.task}' model, not an entire-space CVR model`);
  return spec as unknown as EntireSpaceSpec<object>;
}

/**
 * Trains one method on a funnel world (early stopping on validation CVR AUC over clicked rows) and scores its test
 * split; the model is disposed. `index` varies the initialisation between methods of one seed.
 * @example
 * const r = await fitEntireSpace({ world, method: MAIN_METHODS[5], backbone: {}, trainer: {}, seed: 1, index: 5, ctx });
 * r.metrics.cvrAucEntire; // test CVR AUC over D
 */
export async function fitEntireSpace(args: {
  world: WorldData; method: CvrMethod; backbone: Partial<SharedBottomConfig>; trainer: Record<string, unknown>; seed: number; index: number; ctx: PipelineContext; stage?: string;
}): Promise<{ metrics: EntireSpaceMetrics; probs: Record<string, Float32Array>; bestEpoch: number; seconds: number }> {
  const { world, method, seed } = args;
  const spec = entireSpaceSpec(method.model);
  const cfg = { ...args.backbone, ...method.config };
  const model = spec.create(new Rng(seed * 7919 + args.index), world.train.schema, cfg);
  try {
    const r = await args.ctx.stage(`train ${method.label} seed ${seed}${args.stage ?? ''}`, () =>
      train({
        model, loss: spec.loss('conversion', cfg), train: world.train, validate: entireSpaceValidator(world.valid, 'cvrAucClicked'),
        config: { monitor: 'auc', ...(args.trainer as Partial<TrainerConfig>), seed, label: 'conversion', progressLabel: `${method.label} seed ${seed}` },
      }),
    );
    const probs = predictOutputs(model, world.test, ['ctr', 'cvr']);
    const metrics = evaluateEntireSpace(world.test, world.truth.test, { ctr: probs.ctr, cvr: probs.cvr });
    return { metrics, probs, bestEpoch: r.bestEpoch, seconds: r.seconds };
  } finally {
    model.dispose();
  }
}

/**
 * Funnel rates from a world's truth over all its exposures: mean p_ctr; expected CVR on the clicked space
 * (sum p_ctr p_cvr / sum p_ctr), on all exposures (mean p_cvr) and on the unclicked ones (the ambiguous share).
 * @example
 * funnelRates(generateFunnelWorld({ users: 500 })).cvrClicked; // about 0.2 (calibrated)
 */
export function funnelRates(world: WorldData): { clickRate: number; cvrClicked: number; cvrExposure: number; cvrUnclicked: number } {
  let n = 0, sc = 0, scv = 0, sv = 0, snc = 0, sncv = 0;
  for (const part of ['train', 'valid', 'test'] as const) {
    const pc = world.truth[part][FUNNEL_TRUTH.pCtr];
    const pv = world.truth[part][FUNNEL_TRUTH.pCvr];
    for (let i = 0; i < pc.length; i++) {
      n++; sc += pc[i]; scv += pc[i] * pv[i]; sv += pv[i]; snc += 1 - pc[i]; sncv += (1 - pc[i]) * pv[i];
    }
  }
  return { clickRate: sc / n, cvrClicked: scv / sc, cvrExposure: sv / n, cvrUnclicked: sncv / snc };
}

/**
 * The ground-truth ceiling as a reference row over the given columns.
 * @example
 * buildResultTable({ ..., references: [ceilingRow(funnelCeilings(world, 'test'), ENTIRE_SPACE_COLUMNS)] });
 */
export function ceilingRow(c: FunnelCeilings, columns: EntireSpaceColumn[]): ResultTable['references'][number] {
  return { label: 'ground-truth ceiling', values: Object.fromEntries(columns.map((m) => [m.name, c[m.key] ?? null])), note: "the world's true probabilities scored on the same test rows (no model beats it in expectation)" };
}

/**
 * The methods ordered on one metric, best first, as a sentence.
 * @example
 * orderingNote(table, 'cvr_auc_entire'); // 'Ordering on cvr_auc_entire (mean over seeds, best first): A (0.7100) > B (0.7000).'
 */
export function orderingNote(t: ResultTable, metric: string): string {
  const higher = t.metrics.find((m) => m.name === metric)?.higherIsBetter ?? true;
  const rows = [...t.rows].sort((a, b) => (higher ? 1 : -1) * (b.cells[metric].mean - a.cells[metric].mean));
  return `Ordering on ${metric} (mean over seeds, best first): ${rows.map((r) => `${r.method} (${r.cells[metric].mean.toFixed(4)})`).join(' > ')}.`;
}

/**
 * Whether method `a` beats `b` on `metric` by more than the larger seed std, with the paired t-test p-value when `a`
 * or `b` is the table's base.
 * @example
 * beatsNote(table, 'cvr_auc_entire', 'ChorusCVR', 'DCMT'); // 'ChorusCVR vs DCMT on cvr_auc_entire: gap +0.0025 vs seed std ...'
 */
export function beatsNote(t: ResultTable, metric: string, a: string, b: string): string {
  const ra = t.rows.find((r) => r.method === a);
  const rb = t.rows.find((r) => r.method === b);
  if (!ra || !rb) return `${a} vs ${b} on ${metric}: not both in the table.`;
  const [ca, cb] = [ra.cells[metric], rb.cells[metric]];
  const gap = ca.mean - cb.mean;
  const noise = Math.max(ca.std, cb.std);
  const p = a === t.base ? cb.pValue : ca.pValue;
  const verdict = ca.n < 2 ? 'cannot be judged with one seed' : gap > noise ? 'beats it beyond the seed std' : 'does NOT beat it beyond the seed std';
  return `${a} vs ${b} on ${metric}: gap ${gap >= 0 ? '+' : ''}${gap.toFixed(4)} vs seed std ${noise.toFixed(4)}${p === null ? '' : ` (paired t-test p = ${p.toFixed(3)})`} — ${verdict}.`;
}

/**
 * Bar chart of the funnel's rates from the truth: click rate, CVR on the clicked space O, on all exposures D and on
 * the unclicked N (selection bias makes O's CVR exceed D's).
 * @example
 * funnelFigure(funnelRates(world), 'The funnel');
 */
export function funnelFigure(rates: ReturnType<typeof funnelRates>, title: string): ReturnType<typeof barChart> {
  return barChart(
    [
      { label: 'click rate (D)', mean: rates.clickRate },
      { label: 'CVR on clicked (O)', mean: rates.cvrClicked },
      { label: 'CVR on all exposures (D)', mean: rates.cvrExposure },
      { label: 'CVR on unclicked (N)', mean: rates.cvrUnclicked },
    ],
    { title, yTitle: 'rate (expected, from the truth)', yRange: 'zero', errorBars: false },
  );
}
