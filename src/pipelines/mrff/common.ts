/**
 * Shared parts of the federated pipelines (mrff/*, fedpa/*): method specs, the held-out split, one fit of a method on
 * federated data (centralised or through the federated engine) returning held-out metrics with their test-sampling
 * evidence (DeLong SE, rows, positives), communication, convergence and the training curve, per-seed results in the
 * evidence shape, the world's ceiling row, curve figures and the ordering note.
 */
import { z } from 'zod';
import { Rng } from '../../random.ts';
import { runFederated, type FedConfig, type FedResult, type HeldOutScores } from '../../federated/engine.ts';
import { trainCentral, type CentralConfig } from '../../federated/central.ts';
import type { FedModel, FederatedData, Holdout } from '../../federated/types.ts';
import { heldOutRows, holdoutCounts, validateClients } from '../../federated/data.ts';
import { federatedCeiling } from '../../worlds/federated-world.ts';
import { SASRec, type SASRecConfig } from '../../models/sasrec.ts';
import { auc as aucOf, logloss as loglossOf } from '../../metrics/index.ts';
import { deLongAuc } from '../../evidence/stats.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { MetricEvidence } from '../../train/evaluate.ts';
import { lineChart, type Figure } from '../../plots/index.ts';
import { tableFromRecords, type MethodResult, type MetricColumn, type ReferenceRow, type ResultTable } from '../result-table.ts';
import { knobLabel, pairedAucGainRecord, type MechanismSpec } from '../../evidence/mechanism.ts';
import type { PipelineContext } from '../pipeline.ts';

/**
 * The held-out interactions per user (see `Holdout` in src/federated/types.ts): leave-one-out is
 * `{ unit: 'count', valid: 1, test: 1 }`; FedPA's released split is `{ unit: 'share', valid: 0.2, test: 0.2 }`.
 * @example
 * HoldoutSpec.parse({ unit: 'count', valid: 5, test: 5 });
 */
export const HoldoutSpec = z.strictObject({ unit: z.enum(['count', 'share']), valid: z.number().positive(), test: z.number().positive() });

/** Leave-one-out (the MRFF code's split). */
export const LOO: Holdout = { unit: 'count', valid: 1, test: 1 };

/**
 * Data with a holdout applied (a shallow copy; sequences are shared).
 * @example
 * const data = withHoldout(world, { unit: 'count', valid: 5, test: 5 });
 */
export function withHoldout<D extends FederatedData>(data: D, holdout: Holdout): D {
  return { ...data, holdout };
}

/**
 * AUC (DeLong SE) and logloss (per-row SE) of scored held-out rows, with rows and positives. The SEs treat rows as
 * independent; with several held-out rows per user they are somewhat optimistic (rows of one user are correlated).
 * NaN SE when a class has fewer than 2 rows.
 * @example
 * scoreEvidence(fit.scores).auc.se;
 */
export function scoreEvidence(s: HeldOutScores): Record<'auc' | 'logloss', MetricEvidence> {
  const y = s.labels;
  const p = s.probs;
  const rows = y.length;
  let positives = 0;
  for (const v of y) positives += v > 0.5 ? 1 : 0;
  const a = positives >= 2 && rows - positives >= 2 ? deLongAuc(y, p) : { value: aucOf(y, p), se: Number.NaN };
  const eps = 1e-7;
  let m = 0;
  const losses = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const q = Math.min(1 - eps, Math.max(eps, p[i]));
    losses[i] = -(y[i] > 0.5 ? Math.log(q) : Math.log(1 - q));
    m += losses[i];
  }
  m /= Math.max(rows, 1);
  let ss = 0;
  for (const l of losses) ss += (l - m) ** 2;
  return {
    auc: { value: a.value, se: a.se, rows, positives },
    logloss: { value: loglossOf(y, p), se: rows > 1 ? Math.sqrt(ss / (rows - 1) / rows) : Number.NaN, rows, positives },
  };
}

/**
 * A sequence method: centralised SASRec or a federated run of a SASRec/MRFF config with engine overrides.
 * @example
 * SeqMethod.parse({ label: 'FedProx-SASRec', kind: 'federated', model: {}, fed: { proxMu: 0.01 } });
 */
export const SeqMethod = z.strictObject({
  label: z.string(),
  /**
   * 'central' / 'federated' SASRec or MRFF; 'user-rate' / 'item-rate' are the trivial baselines: each user's (or
   * item's, pooled over every user) click rate on the training interactions, smoothed toward the global rate.
   */
  kind: z.enum(['central', 'federated', 'user-rate', 'item-rate']),
  /** Passed to SASRec (validated there). */
  model: z.record(z.string(), z.unknown()).default({}),
  /** Engine overrides (validated by the engine). */
  fed: z.record(z.string(), z.unknown()).default({}),
});
/** A sequence method (see the schema). */
export type SeqMethod = z.infer<typeof SeqMethod>;

/**
 * Engine settings shared by every federated method of a pipeline (validated by the engine).
 * @example
 * FedTraining.parse({ rounds: 30, learningRate: 0.02 });
 */
export const FedTraining = z.record(z.string(), z.unknown());

/** Columns of the federated tables. */
export const FED_COLUMNS: MetricColumn[] = [
  { name: 'auc', higherIsBetter: true },
  { name: 'logloss', higherIsBetter: false },
  { name: 'comm_MB_per_round', higherIsBetter: false },
];

/** What one fit returns. */
export interface FitResult {
  auc: number;
  logloss: number;
  /** Test AUC and logloss with their test-sampling SE, rows and positives (held-out rows of every usable user). */
  evidence: Record<'auc' | 'logloss', MetricEvidence>;
  /** The scored test rows behind `evidence` (users, labels, probabilities), for paired comparisons. */
  scores: HeldOutScores;
  commMBPerRound: number;
  secondsPerRound: number;
  /** Validation AUC by round (federated) or epoch (central). */
  curve: Array<{ x: number; auc: number }>;
  assignments: Record<string, number[]>;
  fed: FedResult | null;
  /** Round (federated) or epoch (central) with the best validation AUC; 0 = the initial state (no training). */
  best: number;
  /**
   * True when the best validation AUC came at the last evaluation allowed (more rounds / epochs might still help);
   * null when the fit trained nothing (epochs 0).
   */
  stillImproving: boolean | null;
}

/**
 * Fits a model: centralised (`central` config) or federated (`fed` config); test metrics at the best validation round
 * (or epoch), with DeLong SEs from the scored test rows.
 * @example
 * const r = await fitModel(model, data, { fed: { rounds: 10 } }, ctx);
 */
export async function fitModel(model: FedModel, data: FederatedData, how: { central?: Partial<CentralConfig>; fed?: Partial<FedConfig> }, ctx: PipelineContext): Promise<FitResult> {
  if (how.central) {
    const r = await trainCentral(model, data, how.central);
    const epochs = r.history.length;
    return {
      auc: r.test.auc, logloss: r.test.logloss, evidence: scoreEvidence(r.testScores), scores: r.testScores, commMBPerRound: 0, secondsPerRound: 0,
      curve: r.history.map((h) => ({ x: h.epoch, auc: h.valid.auc })), assignments: {}, fed: null, best: r.bestEpoch,
      stillImproving: epochs === 0 ? null : !r.earlyStopped && r.bestEpoch === epochs,
    };
  }
  const r = await runFederated(model, data, how.fed ?? {}, { log: (l) => ctx.log(l) });
  if (!r.bestTestScores) throw new Error(`${how.fed?.label ?? 'federated run'}: no scored test rows at the best round (a resumed run whose best round came before the resume)`);
  const evals = r.history.filter((h) => h.valid);
  return {
    auc: r.best.test.auc, logloss: r.best.test.logloss, evidence: scoreEvidence(r.bestTestScores), scores: r.bestTestScores, commMBPerRound: (r.bytesUpPerRound + r.bytesDownPerRound) / 1e6, secondsPerRound: r.secondsPerRound,
    curve: evals.map((h) => ({ x: h.round, auc: (h.valid as { auc: number }).auc })), assignments: r.best.assignments, fed: r, best: r.best.round,
    stillImproving: !r.earlyStopped && r.best.round === evals.at(-1)?.round,
  };
}

/**
 * An empty per-seed result of a method in the evidence shape, filled by {@link pushFit}: AUC and logloss with se, rows
 * and positives; `plain` metrics (counted or derived, e.g. communication, ARI) with values only (their records carry
 * no SE); still-improving per seed.
 * @example
 * const r = emptyResult('MRFF', [1, 2], ['comm_MB_per_round']);
 */
export function emptyResult(method: string, seeds: number[], plain: string[] = []): Required<MethodResult> {
  const sampled = () => ({ auc: [] as number[], logloss: [] as number[] });
  return { method, seeds: [...seeds], values: { ...sampled(), ...Object.fromEntries(plain.map((k) => [k, [] as number[]])) }, se: sampled(), rows: sampled(), positives: sampled(), stillImproving: [] };
}

/**
 * Appends one fit to a result from {@link emptyResult}: AUC and logloss with their evidence, the plain metrics from
 * `comm_MB_per_round` (the fit's communication per round) and `extra`, and the still-improving flag (false when the
 * fit trained nothing).
 * @example
 * pushFit(results[i], fit, { ari_layer0: 0.4 });
 */
export function pushFit(r: Required<MethodResult>, fit: FitResult, extra: Record<string, number> = {}): void {
  for (const k of ['auc', 'logloss'] as const) {
    const e = fit.evidence[k];
    r.values[k].push(e.value);
    r.se[k].push(e.se);
    r.rows[k].push(e.rows);
    r.positives[k].push(e.positives);
  }
  const plain: Record<string, number> = { comm_MB_per_round: fit.commMBPerRound, ...extra };
  for (const k of Object.keys(r.values)) if (k !== 'auc' && k !== 'logloss') {
    if (!(k in plain)) throw new Error(`pushFit: no value for metric '${k}' of ${r.method}`);
    r.values[k].push(plain[k]);
  }
  r.stillImproving.push(fit.stillImproving ?? false);
}

/**
 * What validation chose for one fit (table 'selection', split 'valid'): the best round / epoch and the seconds per
 * round (federated fits) — records not shown in a table.
 * @example
 * selectionRecords('MRFF', 1, fit);
 */
export function selectionRecords(method: string, seed: number, fit: FitResult, variant = ''): ResultRecord[] {
  const base = { pipeline: '', run: '', table: 'selection', method, variant, knob: '', split: 'valid', seed, rows: null, positives: null, se: null, stillImproving: fit.stillImproving };
  const out: ResultRecord[] = [{ ...base, metric: fit.fed ? 'best_round' : 'best_epoch', value: fit.best }];
  if (fit.fed) out.push({ ...base, split: 'train', metric: 'seconds_per_round', value: fit.secondsPerRound });
  return out;
}

/**
 * Fits one sequence method with a seed.
 * @example
 * await fitSeqMethod({ label: 'MRFF', kind: 'federated', model: MRFF_CONFIG, fed: {} }, data, { rounds: 20 }, 1, ctx);
 */
export async function fitSeqMethod(m: SeqMethod, data: FederatedData, training: { fed: Record<string, unknown>; central: Record<string, unknown>; maxLen: number }, seed: number, ctx: PipelineContext): Promise<FitResult> {
  if (m.kind === 'user-rate' || m.kind === 'item-rate') return fitRate(data, m.kind);
  const model = new SASRec(new Rng(seed), data.itemFields, data.userFields, { maxLen: training.maxLen, ...(m.model as Partial<SASRecConfig>) });
  try {
    if (m.kind === 'central') return await fitModel(model, data, { central: { maxLen: training.maxLen, seed, label: m.label, ...training.central } }, ctx);
    return await fitModel(model, data, { fed: { maxLen: training.maxLen, seed, label: m.label, ...training.fed, ...m.fed } }, ctx);
  } finally {
    model.dispose();
  }
}

/** Pseudo-count of the global click rate in the trivial baselines' smoothed rates. */
export const RATE_PRIOR = 2;

/**
 * The trivial baselines (no training, no seed): every held-out test row scored with its user's click rate on that
 * user's training interactions ('user-rate') or its item's click rate on every user's training interactions
 * ('item-rate'), each smoothed as (clicks + RATE_PRIOR * global) / (n + RATE_PRIOR). The item rate pools users'
 * data, so it is a centralised reference, not a federated method.
 * @example
 * fitRate(data, 'user-rate').auc;
 */
export function fitRate(data: FederatedData, kind: 'user-rate' | 'item-rate'): FitResult {
  const scores = rateScores(data, kind);
  const evidence = scoreEvidence(scores);
  return { auc: evidence.auc.value, logloss: evidence.logloss.value, evidence, scores, commMBPerRound: 0, secondsPerRound: 0, curve: [], assignments: {}, fed: null, best: 0, stillImproving: null };
}

/**
 * The test rows scored by a trivial baseline (see {@link fitRate}), in `heldOutRows` order.
 * @example
 * rateScores(data, 'user-rate').probs;
 */
export function rateScores(data: FederatedData, kind: 'user-rate' | 'item-rate'): HeldOutScores {
  const { clients } = validateClients(data);
  const clicks = new Float64Array(kind === 'user-rate' ? data.users : data.items);
  const seen = new Float64Array(clicks.length);
  let allClicks = 0;
  let all = 0;
  for (const u of clients) {
    const s = data.sequences[u];
    const h = holdoutCounts(data, s.items.length);
    const end = s.items.length - h.valid - h.test;
    for (let j = 0; j < end; j++) {
      const k = kind === 'user-rate' ? u : s.items[j];
      clicks[k] += s.labels[j];
      seen[k] += 1;
      allClicks += s.labels[j];
      all += 1;
    }
  }
  if (all === 0) throw new Error(`${kind}: '${data.name}' has no training interactions`);
  const global = allClicks / all;
  const rows = heldOutRows(data, clients, 'test');
  const probs = Float32Array.from(rows.users, (u, i) => {
    const k = kind === 'user-rate' ? u : data.sequences[u].items[rows.positions[i]];
    return (clicks[k] + RATE_PRIOR * global) / (seen[k] + RATE_PRIOR);
  });
  return { users: rows.users, labels: rows.labels, probs };
}

/**
 * The ground-truth ceiling row on the held-out test interactions under the data's holdout (synthetic data only).
 * @example
 * ceilingReference(data); // { label: 'ground-truth ceiling', values: { auc: 0.85, ... } }
 */
export function ceilingReference(data: FederatedData): ReferenceRow[] {
  if (!data.truth) return [];
  const c = federatedCeiling(data, 'test');
  return [{ label: 'ground-truth ceiling', values: { auc: c.auc, logloss: c.logloss, comm_MB_per_round: null }, note: "the world's true click probabilities on the same held-out interactions" }];
}

/**
 * Mean validation-AUC curve per method over seeds. Seeds stop early at different rounds, so each point is the mean
 * over the seeds evaluated at that round (the curve's tail rests on fewer seeds; the title says so when they differ).
 * @example
 * curveFigure({ MRFF: [[{ x: 5, auc: 0.6 }]] }, 'MRFF: validation AUC by round');
 */
export function curveFigure(curves: Record<string, Array<Array<{ x: number; auc: number }>>>, title: string, xTitle = 'round'): Figure {
  let ragged = false;
  const series = Object.entries(curves).filter(([, runs]) => runs.some((r) => r.length)).map(([name, runs]) => {
    const byX = new Map<number, number[]>();
    for (const run of runs) for (const p of run) byX.set(p.x, [...(byX.get(p.x) ?? []), p.auc]);
    const xs = [...byX.keys()].sort((a, b) => a - b);
    if (xs.some((x) => byX.get(x)!.length !== runs.length)) ragged = true;
    return { name, x: xs, y: xs.map((x) => byX.get(x)!.reduce((a, b) => a + b, 0) / byX.get(x)!.length) };
  });
  return lineChart(series, { title: ragged ? `${title} (mean over the seeds still training at each round)` : title, xTitle, yTitle: 'validation AUC' });
}

/**
 * Ordering note: methods by mean test AUC (whether an ordering is significant is the claims' verdicts' job).
 * @example
 * orderNote(table);
 */
export function orderNote(t: ResultTable): string {
  const rows = [...t.rows].sort((a, b) => b.cells.auc.mean - a.cells.auc.mean);
  return `Ordering by mean test AUC: ${rows.map((r) => r.method).join(' > ')}.`;
}

/**
 * A note on the test rows behind the table: how many held-out rows (and users) each AUC rests on and the largest
 * DeLong SE over seeds and methods, against the evidence target of 0.005.
 * @example
 * testRowsNote(table, LOO);
 */
export function testRowsNote(t: ResultTable, holdout: Holdout): string {
  const aucs = t.records.filter((r) => r.metric === 'auc');
  const rows = Math.min(...aucs.map((r) => r.rows ?? Infinity));
  const ses = aucs.map((r) => r.se ?? Number.NaN).filter(Number.isFinite);
  const maxSe = ses.length ? Math.max(...ses) : Number.NaN;
  const how = holdout.unit === 'count' ? (holdout.test === 1 && holdout.valid === 1 ? 'leave-one-out (the last interaction of each user is the test, the second-last the validation)' : `the last ${holdout.test} interactions of each user are the test, the ${holdout.valid} before them the validation`) : `per user in time order, the last ${Math.round(holdout.test * 100)}% of interactions are the test and the ${Math.round(holdout.valid * 100)}% before them the validation`;
  return `Held-out split: ${how}; each AUC rests on ${Number.isFinite(rows) ? rows : '?'} test rows. Largest test-sampling SE of an AUC (DeLong, rows treated as independent, so somewhat optimistic when a user has several test rows): ${Number.isFinite(maxSe) ? maxSe.toFixed(4) : 'n/a'}${Number.isFinite(maxSe) ? (maxSe <= 0.005 ? ' (≤ 0.005, the evidence target)' : ' (above the evidence target 0.005)') : ''}.`;
}

/**
 * A mechanism sweep's records of one fit (table 'by-knob', the given knob): test AUC and logloss with their DeLong /
 * per-row SE, rows and positives, and `extra` plain metrics (e.g. ARI) without SE.
 * @example
 * records.push(...knobRecords('MRFF', 'groupStrength=1', 1, fit, { ari_layer0: 0.3 }));
 */
export function knobRecords(method: string, knob: string, seed: number, fit: FitResult, extra: Record<string, number> = {}): ResultRecord[] {
  const base = { pipeline: '', run: '', table: 'by-knob', method, variant: '', knob, split: 'test', seed, stillImproving: fit.stillImproving };
  const out: ResultRecord[] = (['auc', 'logloss'] as const).map((k) => ({ ...base, metric: k, value: fit.evidence[k].value, se: fit.evidence[k].se, rows: fit.evidence[k].rows, positives: fit.evidence[k].positives }));
  for (const [k, v] of Object.entries(extra)) out.push({ ...base, metric: k, value: v, se: null, rows: null, positives: null });
  return out;
}

/**
 * A mechanism sweep as a result table (id 'mechanism'): rows = the method and its base, one column per knob value
 * (`<knobName>=<value>`, the sweep's metric), so each comparison with the base is the gain at that value with its
 * 95% interval.
 * @example
 * knobTable(records, MRFF_MECHANISM_SPEC, 'MRFF vs FedAvg-SASRec by groupStrength');
 */
export function knobTable(records: ReadonlyArray<ResultRecord>, spec: MechanismSpec, title: string): ResultTable {
  const table = spec.table ?? 'by-knob';
  const split = spec.split ?? 'test';
  const rows = records
    .filter((r) => r.table === table && r.metric === spec.metric && r.split === split && (r.method === spec.method || r.method === spec.base))
    .map((r) => ({ ...r, table: 'mechanism', metric: r.knob }));
  const columns = spec.values.map((v) => knobLabel(spec.knobName, v)).filter((k) => rows.some((r) => r.metric === k));
  if (!columns.length) throw new Error(`knobTable: no '${table}' records of ${spec.method} / ${spec.base} on '${spec.metric}' (mechanism '${spec.knobName}')`);
  return tableFromRecords(rows, { id: 'mechanism', title, base: spec.base, methods: [spec.method, spec.base], metrics: columns.map((name) => ({ name, higherIsBetter: spec.direction === 'higher' })) });
}

/** True when two fits scored the same held-out rows (the same users' rows with the same labels, in the same order). */
function sameRows(a: HeldOutScores, b: HeldOutScores): boolean {
  if (a.labels.length !== b.labels.length) return false;
  for (let i = 0; i < a.labels.length; i++) if (a.users[i] !== b.users[i] || a.labels[i] !== b.labels[i]) return false;
  return true;
}

/**
 * A mechanism sweep's paired gain record for one seed (table 'gain', metric `<spec.metric>_gain`; the metric must be
 * 'auc'): method − base test AUC with DeLong's paired SE, both fits having scored the same test rows. Null, with the
 * reason in `why`, when they scored different rows (a client excluded from one run): the mechanism module then
 * falls back to adding the two sides' SEs for that seed.
 * @example
 * const g = pairedFitGainRecord(spec, 'groupStrength=1', 1, fits.MRFF, fits['FedAvg-SASRec']);
 * if (g.record) records.push(g.record); else ctx.log(g.why);
 */
export function pairedFitGainRecord(spec: MechanismSpec, knob: string, seed: number, method: FitResult, base: FitResult): { record: ResultRecord | null; why: string } {
  if (spec.metric !== 'auc') throw new Error(`pairedFitGainRecord: mechanism '${spec.knobName}' measures '${spec.metric}'; only 'auc' has a paired form here`);
  if (!sameRows(method.scores, base.scores)) {
    return { record: null, why: `${knob} seed ${seed}: ${spec.method} and ${spec.base} scored different test rows (${method.scores.labels.length} vs ${base.scores.labels.length}); the gain's SE adds the two sides' SEs` };
  }
  const stillImproving = method.stillImproving === null && base.stillImproving === null ? null : method.stillImproving === true || base.stillImproving === true;
  const record = pairedAucGainRecord(spec, knob, seed, method.scores.labels, method.scores.probs, base.scores.probs, { positives: method.evidence.auc.positives, stillImproving });
  return { record, why: '' };
}
