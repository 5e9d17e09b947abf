/**
 * What the chorus-cvr pipelines (main, bias-sweep, ablation) share: the compared methods and backbone as strict
 * config pieces, the quick-mode and evidence-mode sizes, the table columns of the funnel metrics with their evidence
 * (DeLong SE, rows, positives), training and scoring one method on a funnel world, the validation-selection records,
 * the funnel's rates from the truth, and the sentences the tables state (orderings). Pure helpers; the pipelines own
 * their configs, claims and runs.
 */
import { z } from 'zod';
import { FUNNEL_TRUTH, type FunnelCeilings } from '../../worlds/funnel-world.ts';
import type { WorldData } from '../../worlds/world.ts';
import type { Dataset } from '../../data/dataset.ts';
import { getModelSpec } from '../../models/registry.ts';
import type { SharedBottomConfig } from '../../layers/multitask.ts';
import type { EntireSpaceSpec } from '../../train/cvr-losses.ts';
import { resolveTrainerConfig, train, type TrainerConfig } from '../../train/trainer.ts';
import { entireSpaceValidator, evaluateEntireSpace, predictOutputs, type EntireSpaceMetrics } from '../../train/evaluate-cvr.ts';
import type { MetricEvidence } from '../../train/evaluate.ts';
import { deLongAuc } from '../../evidence/stats.ts';
import { pairedClaimGains } from '../../evidence/paired-claims.ts';
import type { Claim } from '../../evidence/claims.ts';
import { EVIDENCE_DEFAULTS, stillImproving } from '../../evidence/rules.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { auc, logloss } from '../../metrics/index.ts';
import { Rng } from '../../random.ts';
import { barChart } from '../../plots/index.ts';
import type { MethodResult, MetricColumn, ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';

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
 * The funnel world's mechanism knobs as every chorus-cvr pipeline declares them (merged under the mode's world sizes;
 * each was fixed before any result with it was seen, and chorus-cvr/mechanism sweeps intentShare from 0):
 * - intentShare 0.5 (the hidden confounder: half of the shared click-and-buy factor S is the exposure's unlogged
 *   intent). Paper deviation: the paper gives no figure. Its data are Ali-CCP (Taobao) and Kuaishou live-streaming
 *   e-commerce logs, where what makes a user click and buy at that moment (the stream's content, the mood) is not in
 *   the logged features; on Ali-CCP the models reach CTR AUC of only about 0.58-0.61 (spec §4 community table), so the
 *   logged features leave most of the click unexplained. We take half of S as unobserved, the middle of the knob's
 *   range, rather than the world's former 0 (which made a clicked-row CVR model consistent: issue 14).
 * - ambiguousShare null (rho_v = rho: conversion leans on S as much as the click does), which puts the share of
 *   unclicked exposures that would have converted at about 0.072 against 0.20 on the clicked ones (truth at the
 *   defaults, 1 500 users). Paper deviation: the paper's premise is that this share is not zero (unclicked exposures
 *   are "ambiguous", not negatives), but it cannot be observed in its data and it gives no number; null keeps the
 *   world's own coupling instead of a number of ours.
 * @example
 * generateFunnelWorld({ ...CHORUS_WORLD_KNOBS, users: 1500 });
 */
export const CHORUS_WORLD_KNOBS: { intentShare: number; ambiguousShare: number | null } = { intentShare: 0.5, ambiguousShare: null };

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
 * Seeds of evidence and paper mode: five distinct seeds (the evidence rules' minimum); quick mode keeps its 1-3.
 * @example
 * checkSeeds(EVIDENCE_SEEDS, 'evidence'); // passes
 */
export const EVIDENCE_SEEDS = [1, 2, 3, 4, 5];
/**
 * The evidence-mode funnel world of the main and ablation tables: 16 000 users x 40 exposures, split by time 40/20/40
 * into train / validation / test (the world's default split is 70/10/20). About 256k training exposures (the old full
 * mode's 10 000 users had 280k), 128k validation exposures with about 1 300 conversions (the early-stopping monitor) and
 * 256k test exposures with about 12 800 clicks and 2 600 conversions: DeLong SE of the test CVR AUC over the clicked
 * rows (the paper's CVR-AUC) about 0.005-0.006, of the headline CVR AUC over all exposures (about 20 000
 * counterfactual conversions) about 0.002. Only sizes and split shares; the pipelines merge `CHORUS_WORLD_KNOBS`
 * (intent, ambiguity) under it, and selection bias and rates are the world's defaults.
 * @example
 * generateFunnelWorld(EVIDENCE_WORLD).test.size; // 256 435
 */
export const EVIDENCE_WORLD = { users: 16000, validShare: 0.2, testShare: 0.4 };
/**
 * Trainer of evidence mode: Adam 1e-3 (spec §3.4), batch 2048, up to 8 epochs with early stopping (patience 2) on the
 * validation CVR AUC over clicked rows. Measured (seed 1): on `EVIDENCE_WORLD` ChorusCVR's validation CVR AUC peaked
 * at epoch 2 (0.690) and fell after (0.607, 0.596: the id embeddings memorise), so the fit stopped after 4 of 8 epochs;
 * on a 20 000-user world DCMT and ChorusCVR peaked at epoch 1, and ChorusCVR at lr 3e-4 peaked one epoch later at the
 * same validation AUC (0.712 vs 0.714). The cap of 8 is not reached; the table flags any fit whose best epoch is the last.
 * Why the 10 000-user fits of the former full mode all stopped at epoch 1 (issue 14, measured without early stopping,
 * 10 000 users split 70/10/20, Adam 1e-3, seed 1): not the learning rate, patience or monitor but the one-epoch
 * overfitting of id-embedding models (Zhang et al., CIKM 2022, arXiv:2209.06053). Validation CVR AUC on O fell from
 * epoch 1 on (DCMT 0.680, 0.654, 0.619, 0.617; ChorusCVR 0.684, 0.680, 0.627, 0.626) while the training loss kept
 * falling, and the CVR AUC over D against the counterfactual labels, which the monitor never sees, fell with it (DCMT
 * 0.679, 0.648, 0.619; ChorusCVR 0.681, 0.658, 0.608): epoch 1 is the right choice, not a noisy one.
 * @example
 * resolveTrainerConfig(EVIDENCE_TRAINER).patience; // 2
 */
export const EVIDENCE_TRAINER = { epochs: 8, batchSize: 2048, optimizer: { learningRate: 1e-3 }, patience: 2 };

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

/** What one fit gives: the funnel metrics, their evidence per table column, the probabilities and what validation chose. */
export interface EntireSpaceFit {
  metrics: EntireSpaceMetrics;
  /** Per column name of {@link ENTIRE_SPACE_COLUMNS} (cvr_auc_entire only with the truth): value, test-sampling SE, rows, positives. */
  evidence: Record<string, MetricEvidence>;
  probs: Record<string, Float32Array>;
  /** The test labels the probabilities were scored against (after `ctx.holdout`): click, conversion, counterfactual. */
  labels: { click: Float32Array; conversion: Float32Array; cf?: Float32Array };
  /** 0-based best validation epoch, and whether it was the last one allowed (`stillImproving`). */
  bestEpoch: number;
  epochsAllowed: number;
  stillImproving: boolean;
  /** The monitor at the best epoch: validation CVR AUC on the clicked rows, with the rows and conversions behind it. */
  valid: { cvrAuc: number; rows: number; positives: number };
  seconds: number;
}

/**
 * Clicked rows and conversions of a split (the CVR task's evaluation rows and positives).
 * @example
 * clickedConversions(world.valid); // { rows: 2054, positives: 390 }
 */
export function clickedConversions(ds: Dataset, clickLabel = 'click', conversionLabel = 'conversion'): { rows: number; positives: number } {
  const click = ds.label(clickLabel);
  const conv = ds.label(conversionLabel);
  let rows = 0;
  let positives = 0;
  for (let i = 0; i < ds.size; i++) {
    if (click[i] === 1) {
      rows++;
      positives += conv[i] === 1 ? 1 : 0;
    }
  }
  return { rows, positives };
}

function aucEvidence(labels: ArrayLike<number>, scores: ArrayLike<number>): MetricEvidence {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] > 0.5 ? 1 : 0;
  const rows = labels.length;
  const se = positives >= 2 && rows - positives >= 2 ? deLongAuc(labels, scores).se : Number.NaN;
  return { value: auc(labels, scores), se, rows, positives };
}

function loglossEvidence(labels: ArrayLike<number>, probs: ArrayLike<number>): MetricEvidence {
  const n = labels.length;
  const eps = 1e-7;
  let positives = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probs[i]));
    const l = labels[i] > 0.5 ? -Math.log(p) : -Math.log(1 - p);
    positives += labels[i] > 0.5 ? 1 : 0;
    sum += l;
    sumSq += l * l;
  }
  const variance = n > 1 ? (sumSq - (sum * sum) / n) / (n - 1) : Number.NaN;
  return { value: logloss(labels, probs), se: Math.sqrt(Math.max(0, variance) / n), rows: n, positives };
}

/**
 * The funnel metrics of one split with their evidence, keyed by the table's column names: the value (the same
 * `auc` / `logloss` as `evaluateEntireSpace`), its test-sampling SE (DeLong for the AUCs, the per-row SE of the mean
 * for the log loss; NaN with fewer than 2 rows of a class), the evaluation rows and the positives — ctr_auc: exposures
 * D and clicks; cvr_auc and cvr_logloss: clicked rows O and conversions; ctcvr_auc: D and conversions; cvr_auc_entire
 * (only with the counterfactual labels `cf`): D and counterfactual conversions.
 * @param click - (N) click labels; conv - (N) conversion labels; pCtr, pCvr - (N) predictions; cf - (N) counterfactual labels.
 * @example
 * funnelEvidence(ds.label('click'), ds.label('conversion'), p.ctr, p.cvr, world.truth.test.conversion_if_clicked).cvr_auc.se;
 */
export function funnelEvidence(click: Float32Array, conv: Float32Array, pCtr: Float32Array, pCvr: Float32Array, cf?: Float32Array): Record<string, MetricEvidence> {
  const n = click.length;
  for (const [k, a] of [['conversion', conv], ['p_ctr', pCtr], ['p_cvr', pCvr], ['counterfactual labels', cf]] as const) {
    if (a && a.length !== n) throw new Error(`funnelEvidence: '${k}' has ${a.length} values for ${n} rows`);
  }
  const clicked: number[] = [];
  for (let i = 0; i < n; i++) if (click[i] === 1) clicked.push(i);
  const yO = Float32Array.from(clicked, (i) => conv[i]);
  const pO = Float32Array.from(clicked, (i) => pCvr[i]);
  const out: Record<string, MetricEvidence> = {
    ctr_auc: aucEvidence(click, pCtr),
    cvr_auc: aucEvidence(yO, pO),
    ctcvr_auc: aucEvidence(conv, pCtr.map((p, i) => p * pCvr[i])),
    cvr_logloss: loglossEvidence(yO, pO),
  };
  if (cf) out.cvr_auc_entire = aucEvidence(cf, pCvr);
  return out;
}

/**
 * Trains one method on a funnel world (early stopping on validation CVR AUC over clicked rows) and scores its test
 * split (passed through `ctx.holdout`, so the selection audit can permute its labels); the model is disposed.
 * `index` offsets the initialisation seed; the pipelines pass 0 for every method, so within a seed all methods start
 * from the same random stream (common random numbers: the shared-bottom models get the same embedding and bottom
 * initialisation and the same batch order, and a paired difference measures the losses, not the draw).
 * @example
 * const r = await fitEntireSpace({ world, method: MAIN_METHODS[5], backbone: {}, trainer: {}, seed: 1, index: 0, ctx });
 * r.evidence.cvr_auc_entire; // { value, se, rows, positives }: test CVR AUC over D
 */
export async function fitEntireSpace(args: {
  world: WorldData; method: CvrMethod; backbone: Partial<SharedBottomConfig>; trainer: Record<string, unknown>; seed: number; index: number; ctx: PipelineContext; stage?: string;
}): Promise<EntireSpaceFit> {
  const { world, method, seed } = args;
  const spec = entireSpaceSpec(method.model);
  const cfg = { ...args.backbone, ...method.config };
  const trainer = { monitor: 'auc' as const, ...(args.trainer as Partial<TrainerConfig>) };
  const epochsAllowed = resolveTrainerConfig(trainer).epochs;
  const model = spec.create(new Rng(seed * 7919 + args.index), world.train.schema, cfg);
  try {
    const r = await args.ctx.stage(`train ${method.label} seed ${seed}${args.stage ?? ''}`, () =>
      train({
        model, loss: spec.loss('conversion', cfg), train: world.train, validate: entireSpaceValidator(world.valid, 'cvrAucClicked'),
        config: { ...trainer, seed, label: 'conversion', progressLabel: `${method.label} seed ${seed}${args.stage ?? ''}` },
      }),
    );
    const test = args.ctx.holdout(world.test);
    const probs = predictOutputs(model, test, ['ctr', 'cvr']);
    const metrics = evaluateEntireSpace(test, world.truth.test, { ctr: probs.ctr, cvr: probs.cvr });
    const evidence = funnelEvidence(test.label('click'), test.label('conversion'), probs.ctr, probs.cvr, world.truth.test[FUNNEL_TRUTH.cfConversion]);
    const labels = { click: test.label('click'), conversion: test.label('conversion'), cf: world.truth.test[FUNNEL_TRUTH.cfConversion] };
    return {
      metrics, evidence, probs, labels, bestEpoch: r.bestEpoch, epochsAllowed, stillImproving: stillImproving(r.bestEpoch, epochsAllowed),
      valid: { cvrAuc: r.history[r.bestEpoch]?.valid ?? Number.NaN, ...clickedConversions(world.valid) }, seconds: r.seconds,
    };
  } finally {
    model.dispose();
  }
}

/**
 * {@link fitEntireSpace} for every (seed, method): fits[m][s] by method and seed index. The fits are declared as jobs
 * (`ctx.fits`), so a run with fit workers trains them in parallel; the results are plain data and come back the same.
 * @example
 * const fits = await fitEntireSpaceAll({ world, methods: config.models, seeds: config.seeds, backbone: {}, trainer: {}, index: 0, ctx });
 * fits[0][0].evidence.cvr_auc_entire; // the first method on the first seed
 */
export async function fitEntireSpaceAll(args: Omit<Parameters<typeof fitEntireSpace>[0], 'method' | 'seed'> & { methods: CvrMethod[]; seeds: number[] }): Promise<EntireSpaceFit[][]> {
  const { methods, seeds, ...rest } = args;
  return fitGrid(args.ctx.fits, `entire-space${args.stage ?? ''}`, methods, seeds, (method, seed) => fitEntireSpace({ ...rest, method, seed }), args.stage);
}

/**
 * An empty per-seed result of one method over the given columns, with every evidence field (filled by {@link pushFit}).
 * @example
 * const r = emptyResult('DCMT', [1, 2], ['cvr_auc']); // { method: 'DCMT', seeds: [1, 2], values: { cvr_auc: [] }, se: ..., ... }
 */
export function emptyResult(method: string, seeds: number[], columns: string[]): Required<MethodResult> {
  const empty = () => Object.fromEntries(columns.map((c) => [c, [] as number[]]));
  return { method, seeds: [...seeds], values: empty(), se: empty(), rows: empty(), positives: empty(), stillImproving: [] };
}

/**
 * Appends one seed's fit to a result: value, SE, rows and positives of each of the result's columns (read from
 * `evidence` under the column's name), and the still-improving flag (null for a fit without a
 * validation monitor, e.g. one streamed pass: no flag is recorded).
 * @example
 * pushFit(results[i], fit.evidence, fit.stillImproving);
 */
export function pushFit(r: Required<MethodResult>, evidence: Record<string, MetricEvidence>, still: boolean | null): void {
  for (const column of Object.keys(r.values)) {
    const e = evidence[column];
    if (!e) throw new Error(`chorus-cvr: no '${column}' measured for '${r.method}' (measured: ${Object.keys(evidence).join(', ')})`);
    r.values[column].push(e.value);
    r.se[column].push(e.se);
    r.rows[column].push(e.rows);
    r.positives[column].push(e.positives);
  }
  if (still !== null) r.stillImproving.push(still);
}

/**
 * What validation chose for one fit (table 'selection', split 'valid'): its best epoch (1-based) and the validation CVR
 * AUC on the clicked rows there, with the validation rows and conversions the monitor rests on.
 * @example
 * selectionRecords('DCMT', 1, fit); // [{ table: 'selection', metric: 'best_epoch', ... }, { metric: 'cvr_auc', ... }]
 */
export function selectionRecords(method: string, seed: number, fit: Pick<EntireSpaceFit, 'bestEpoch' | 'stillImproving' | 'valid'>, knob = ''): ResultRecord[] {
  const base = { pipeline: '', run: '', table: 'selection', method, variant: '', knob, split: 'valid', seed, se: null, stillImproving: fit.stillImproving };
  return [
    { ...base, metric: 'best_epoch', value: fit.bestEpoch + 1, rows: null, positives: null },
    { ...base, metric: 'cvr_auc', value: fit.valid.cvrAuc, rows: fit.valid.rows, positives: fit.valid.positives },
  ];
}

/**
 * The sentence on the early-stopping monitor: how many validation conversions it rests on, and a warning when that is
 * below the reliable-task threshold (100 by default; quick worlds are that small).
 * @example
 * monitorNote(world.valid); // 'Early stopping: validation CVR AUC on 2054 clicked rows with 390 conversions.'
 */
export function monitorNote(valid: Dataset, minPositives = EVIDENCE_DEFAULTS.minPositives): string {
  const { rows, positives } = clickedConversions(valid);
  const base = `Early stopping and the best epoch: validation CVR AUC on ${rows} clicked rows with ${positives} conversions`;
  return positives >= minPositives ? `${base}.` : `${base} — fewer than ${minPositives}, so the monitor is unreliable (noisy epoch choice) at this size.`;
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
 * The features-only ceiling as a reference row: only cvr_auc_entire, from P(would convert | x) with the unlogged intent
 * integrated out (`featuresOnlyCvrCeiling`) — the most a model seeing the logged features can reach; the other columns
 * are empty.
 * @example
 * references: [ceilingRow(c, cols), featuresOnlyCeilingRow(featuresOnlyCvrCeiling(world, 'test'), cols)]
 */
export function featuresOnlyCeilingRow(cvrAucEntire: number, columns: EntireSpaceColumn[]): ResultTable['references'][number] {
  return {
    label: 'features-only ceiling',
    values: Object.fromEntries(columns.map((m) => [m.name, m.key === 'cvrAucEntire' ? cvrAucEntire : null])),
    note: "P(would convert | x), the unlogged intent integrated out, scored on the same test rows: what a model seeing only the logged features can reach (the ground-truth ceiling also knows each exposure's intent)",
  };
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
 * A bar of a method's mean with its seed std; no error bar with one seed (the std is undefined).
 * @example
 * barChart(table.rows.map((r) => meanBar(r.method, r.cells.cvr_auc_entire)), { title: 'CVR AUC' });
 */
export function meanBar(label: string, cell: { mean: number; std: number }): { label: string; mean: number; std?: number } {
  return Number.isFinite(cell.std) ? { label, mean: cell.mean, std: cell.std } : { label, mean: cell.mean };
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

/** The AUC columns a paired gain can be computed for, with the rows and scores `funnelEvidence` uses for each. */
export const PAIRED_FUNNEL_METRICS = ['ctr_auc', 'cvr_auc', 'ctcvr_auc', 'cvr_auc_entire'] as const;

/** Labels and scores of one AUC column of a fit, as {@link funnelEvidence} scores it. */
function aucInputs(fit: EntireSpaceFit, metric: string): { labels: ArrayLike<number>; scores: ArrayLike<number> } {
  const { click, conversion, cf } = fit.labels;
  const { ctr, cvr } = fit.probs;
  if (metric === 'ctr_auc') return { labels: click, scores: ctr };
  if (metric === 'ctcvr_auc') return { labels: conversion, scores: ctr.map((p, i) => p * cvr[i]) };
  if (metric === 'cvr_auc_entire') {
    if (!cf) throw new Error('chorus-cvr paired gain: cvr_auc_entire needs the counterfactual labels (synthetic worlds only)');
    return { labels: cf, scores: cvr };
  }
  if (metric === 'cvr_auc') {
    const rows: number[] = [];
    for (let i = 0; i < click.length; i++) if (click[i] === 1) rows.push(i);
    return { labels: Float32Array.from(rows, (i) => conversion[i]), scores: Float32Array.from(rows, (i) => cvr[i]) };
  }
  throw new Error(`chorus-cvr paired gain: no paired AUC for '${metric}' (one of ${PAIRED_FUNNEL_METRICS.join(', ')})`);
}

/** Table note of the pipelines whose claims read {@link claimGainRecords}. */
export const PAIRED_CLAIMS_NOTE = "The claims read paired gains (records of table 'gain', variant 'vs <base>'): within a seed both fits score the same test rows, so DeLong's paired SE applies; the comparisons in this table add the two sides' SEs and so err wide.";

/**
 * Paired gain records for the claims on table 'gain' (metric `<column>_gain`, variant `gainVariant(base)`): per seed,
 * AUC(method) − AUC(base) on the same test rows with DeLong's paired SE, beside the base's own gain (0, SE 0)
 * (`pairedClaimGains`, src/evidence/paired-claims.ts); the columns are {@link PAIRED_FUNNEL_METRICS}.
 * @param fits - each method's fits in seed order.
 * @example
 * records.push(...claimGainRecords(CHORUS_MAIN_CLAIMS, fitsByMethod, config.seeds));
 */
export function claimGainRecords(claims: readonly Claim[], fits: ReadonlyMap<string, EntireSpaceFit[]>, seeds: readonly number[]): ResultRecord[] {
  return pairedClaimGains(claims, seeds, (m, s, column) => {
    const f = fits.get(m)?.[s];
    return f ? aucInputs(f, column) : null;
  }, (m, s) => fits.get(m)?.[s]?.stillImproving ?? null);
}
