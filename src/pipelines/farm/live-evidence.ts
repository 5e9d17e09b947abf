/**
 * Evidence of the live-world pipelines (farm/* and moment-cross/*): per-task AUC / UAUC / GAUC with their test-sampling
 * SEs (DeLong for AUC, users as clusters for UAUC / GAUC), the reliable-task rule (src/evidence/rules.ts) for the
 * headline summary and for the early-stopping monitor, and one comparison table assembled from per-seed fits.
 *
 * The headline metric is `mean_auc_reliable`: the mean test AUC over the tasks with at least `minPositives` (default 100)
 * test positives. Its SE counts the tasks' covariance on the shared test rows (each row's DeLong influence summed over
 * the tasks, `deLongMeanAuc` in src/evidence/stats.ts): the tasks' labels are correlated (a like is mostly a click), so
 * the independence form √(Σ_k se_k²)/K would be too small. `taskEvidence` keeps each task's influences beside its
 * evidence (in a WeakMap, so they never reach results.json); evidence without them (copied, or built elsewhere) falls
 * back to the independence form. `pairedMeanAucGain` gives the paired difference of two fits on the same rows.
 * Tasks below the threshold (on the live world: gift, often comment and follow) stay visible per task in the table and
 * the records, with the reason, but never enter the summary, the monitor or a verdict. When no task reaches the
 * threshold (tiny smoke-test worlds) the summary falls back to the task with the most positives and its records carry
 * that count, so every verdict on it says "unreliable".
 */
import type { Dataset } from '../../data/dataset.ts';
import { auc } from '../../metrics/index.ts';
import { evaluateCtrEvidence, type MetricEvidence } from '../../train/evaluate.ts';
import { EVIDENCE_DEFAULTS, reliableTasks, stillImproving } from '../../evidence/rules.ts';
import { aucInfluence, meanOfInfluences } from '../../evidence/stats.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { gainMetric, gainRecord } from '../../evidence/mechanism.ts';
import { buildResultTable, type MethodResult, type MetricColumn, type ReferenceRow, type ResultTable } from '../result-table.ts';

/** The per-task metric kinds, in column order. */
export const LIVE_KINDS = ['auc', 'uauc', 'gauc'] as const;
/** One of `LIVE_KINDS`. */
export type LiveKind = (typeof LIVE_KINDS)[number];
/** Name of the headline summary metric (mean test AUC over the reliable tasks). */
export const SUMMARY_METRIC = 'mean_auc_reliable';

/** A task's metrics on one split; null where undefined (one class only, or no user with both classes). */
export type TaskEvidence = Record<LiveKind, MetricEvidence | null>;

/** The record metric name of a task metric: `auc_click`, `gauc_like`, ... */
export function taskMetric(kind: LiveKind, task: string): string {
  return `${kind}_${task}`;
}

/**
 * AUC, UAUC and GAUC of each task's probabilities on a dataset, each with its SE, rows and positives.
 * @param probs - (N) probabilities per task, rows in the dataset's order.
 * @example
 * taskEvidence(test, { click: pClick }).click.auc?.se; // DeLong SE of the click AUC
 */
export function taskEvidence(ds: Dataset, probs: Record<string, Float32Array>): Record<string, TaskEvidence> {
  const out: Record<string, TaskEvidence> = {};
  for (const [t, p] of Object.entries(probs)) {
    const y = ds.label(t);
    let pos = 0;
    for (let i = 0; i < y.length; i++) pos += y[i] > 0.5 ? 1 : 0;
    if (pos === 0 || pos === y.length) {
      out[t] = { auc: null, uauc: null, gauc: null };
      continue;
    }
    const ev = evaluateCtrEvidence(ds, t, p);
    out[t] = { auc: ev.auc, uauc: ev.uauc ?? null, gauc: ev.gauc ?? null };
    if (pos >= 2 && y.length - pos >= 2) AUC_INFLUENCE.set(ev.auc, aucInfluence(y, p));
  }
  return out;
}

/**
 * Positives per task on a dataset.
 * @example
 * positivesOf(world.test, ['click', 'gift']); // { click: 1131, gift: 14 }
 */
export function positivesOf(ds: Dataset, tasks: readonly string[]): Record<string, number> {
  return Object.fromEntries(tasks.map((t) => [t, ds.label(t).reduce((a, b) => a + (b > 0.5 ? 1 : 0), 0)]));
}

/** Which tasks a summary (or a monitor) averages over, and which it leaves out with the reason. */
export interface SummaryTasks {
  /** Tasks averaged (the reliable ones; the single fallback task when none is reliable). */
  tasks: string[];
  positives: Record<string, number>;
  excluded: Array<{ task: string; positives: number; reason: string }>;
  /** True when no task reached `minPositives` and `tasks` is the one with the most positives. */
  fallback: boolean;
  minPositives: number;
  /** The split the positives were counted on ('test' or 'valid'). */
  split: string;
}

/**
 * The reliable-task rule on one split: tasks with at least `minPositives` positives; when none has that many, the task
 * with the most positives alone (`fallback`), so a smoke test still has a summary that every verdict calls unreliable.
 * @example
 * summaryTasks(world.test, LIVE_TASKS); // { tasks: ['click', 'effective_view', 'like'], excluded: [{ task: 'gift', ... }], ... }
 */
export function summaryTasks(ds: Dataset, tasks: readonly string[], minPositives = EVIDENCE_DEFAULTS.minPositives, split = 'test'): SummaryTasks {
  const positives = positivesOf(ds, tasks);
  const r = reliableTasks(positives, minPositives);
  const excluded = r.excluded.map((e) => ({ ...e, reason: `${e.positives} ${split} positives < ${minPositives}` }));
  if (r.reliable.length) return { tasks: r.reliable, positives, excluded, fallback: false, minPositives, split };
  const best = [...tasks].sort((a, b) => positives[b] - positives[a])[0];
  if (best === undefined || positives[best] === 0) throw new Error(`live evidence: no task has a positive in the ${split} split (tasks: ${tasks.join(', ')})`);
  return { tasks: [best], positives, excluded: excluded.filter((e) => e.task !== best), fallback: true, minPositives, split };
}

/**
 * One sentence on what a summary (or monitor) averages over and what it leaves out, with each left-out task's reason.
 * @example
 * summaryNote(summaryTasks(world.test, tasks), 'The headline mean_auc_reliable');
 */
export function summaryNote(s: SummaryTasks, what: string): string {
  const used = s.tasks.map((t) => `${t} (${s.positives[t]})`).join(', ');
  const out = s.excluded.map((e) => `${e.task} (${e.reason})`).join(', ') || 'none';
  const where = s.split === 'test' ? 'Unreliable, so shown per task but left out of the summary and the verdicts' : 'Left out of the monitor';
  if (s.fallback) return `${what}: no task has ${s.minPositives} ${s.split} positives, so it uses ${used}, the task with the most; every verdict on it says "unreliable". ${where}: ${out}.`;
  return `${what} averages the tasks with at least ${s.minPositives} ${s.split} positives: ${used}. ${where}: ${out}.`;
}

/**
 * The early-stopping monitor: mean validation AUC over the given tasks (the reliable ones, `summaryTasks(valid, ...)`).
 * @param predict - the model's probabilities per task on a dataset.
 * @example
 * train({ ..., validate: meanAucValidator(world.valid, monitor.tasks, (ds) => predictOutputs(model, ds, monitor.tasks)) });
 */
export function meanAucValidator(ds: Dataset, tasks: readonly string[], predict: (ds: Dataset) => Record<string, Float32Array>): () => number {
  if (!tasks.length) throw new Error('live evidence: the monitor needs at least one task');
  return () => {
    const p = predict(ds);
    return tasks.reduce((s, t) => s + auc(ds.label(t), p[t]), 0) / tasks.length;
  };
}

/**
 * The mean AUC over `tasks` as one metric: value the mean; se from the summed per-row DeLong influences when the
 * evidence came from `taskEvidence` (the tasks' covariance counted), else √(Σ se_k²)/K; rows the split's rows,
 * positives the fewest among the tasks.
 * @example
 * meanAucEvidence(ev, ['click', 'like']); // { value: 0.66, se: 0.006, rows: 11225, positives: 226 }
 */
export function meanAucEvidence(ev: Record<string, TaskEvidence>, tasks: readonly string[]): MetricEvidence {
  const parts = summaryParts(ev, tasks);
  const K = parts.length;
  const influences = parts.map((a) => AUC_INFLUENCE.get(a));
  const se = influences.every((x) => x !== undefined)
    ? meanOfInfluences(influences.map((x) => ({ ...(x as { auc: number; influence: Float64Array }), sign: 1 as const })), K).se
    : Math.sqrt(parts.reduce((s, a) => s + a.se ** 2, 0)) / K;
  return { value: parts.reduce((s, a) => s + a.value, 0) / K, se, rows: parts[0].rows, positives: Math.min(...parts.map((a) => a.positives)) };
}

/**
 * The paired difference a − b of `mean_auc_reliable` between two fits scored on the same test rows, with the SE of the
 * summed DeLong influences (the tasks' and the two fits' covariances counted); null when either side's evidence has no
 * influences (not built by `taskEvidence`) or the fits were scored on different rows.
 * @example
 * pairedMeanAucGain(fitA.evidence, fitB.evidence, summary.tasks)?.se;
 */
export function pairedMeanAucGain(a: Record<string, TaskEvidence>, b: Record<string, TaskEvidence>, tasks: readonly string[]): MetricEvidence | null {
  const pa = summaryParts(a, tasks);
  const pb = summaryParts(b, tasks);
  const ia = pa.map((x) => AUC_INFLUENCE.get(x));
  const ib = pb.map((x) => AUC_INFLUENCE.get(x));
  if (![...ia, ...ib].every((x) => x !== undefined)) return null;
  if (pa.some((x, k) => x.rows !== pb[k].rows || x.positives !== pb[k].positives)) return null;
  const parts = tasks.flatMap((_, k) => [
    { ...(ia[k] as { auc: number; influence: Float64Array }), sign: 1 as const },
    { ...(ib[k] as { auc: number; influence: Float64Array }), sign: -1 as const },
  ]);
  const e = meanOfInfluences(parts, tasks.length);
  return { value: e.value, se: e.se, rows: pa[0].rows, positives: Math.min(...pa.map((x) => x.positives)) };
}

/**
 * Paired gain records of a mechanism sweep (table 'gain', metric `mean_auc_reliable_gain`, one per seed): method −
 * base on the same test rows with `pairedMeanAucGain`'s SE; a seed whose evidence carries no influences gets no record
 * (the mechanism module then falls back to the unpaired form for it). Still improving when either fit was best at its
 * last allowed epoch.
 * @param a - the method's fits per seed; b - the base's, in the same seed order.
 * @example
 * records.push(...pairedSummaryGainRecords(fits[0], fits[1], summary.tasks, 'FARM', 'burstStrength=1', [1, 2, 3]));
 */
export function pairedSummaryGainRecords(a: LiveFit[], b: LiveFit[], tasks: readonly string[], method: string, knob: string, seeds: number[]): ResultRecord[] {
  if (a.length !== seeds.length || b.length !== seeds.length) throw new Error(`live evidence: paired gain of '${method}' at ${knob} needs one fit per seed on both sides (${a.length} and ${b.length} for ${seeds.length} seeds)`);
  return seeds.flatMap((seed, s) => {
    const g = pairedMeanAucGain(a[s].evidence, b[s].evidence, tasks);
    if (!g) return [];
    const still = stillImproving(a[s].bestEpoch, a[s].epochsAllowed) || stillImproving(b[s].bestEpoch, b[s].epochsAllowed);
    return [gainRecord({ method, knob, metric: gainMetric({ metric: SUMMARY_METRIC }), seed, value: g.value, se: g.se, rows: g.rows, positives: g.positives, stillImproving: still })];
  });
}

/** Metric of the paired gain records of `mean_auc_reliable` (table 'gain'): `mean_auc_reliable_gain`. */
export const SUMMARY_GAIN = gainMetric({ metric: SUMMARY_METRIC });

/**
 * Gain records (table 'gain', metric {@link SUMMARY_GAIN}, knob `knob`) of every method against the base, one per seed,
 * and the base's own gain (0, SE 0) beside them, so that a claim on table 'gain' judges the gain's own SE. Paired
 * (`pairedSummaryGainRecords`: both fits scored the same test rows, DeLong influences summed over the summary tasks
 * and the two methods) where the evidence allows; otherwise, for that seed, the difference of the two summaries with
 * the two SEs added in quadrature (what an unpaired comparison does).
 * @example
 * records.push(...gainsAgainstBase(fits, ['FARM', 'PLE'], 'PLE', summary.tasks, [1, 2, 3]));
 */
export function gainsAgainstBase(fits: LiveFit[][], methods: readonly string[], base: string, tasks: readonly string[], seeds: number[], knob = ''): ResultRecord[] {
  const b = methods.indexOf(base);
  if (b < 0) throw new Error(`live evidence: base '${base}' is not one of the methods (${methods.join(', ')})`);
  const out: ResultRecord[] = [];
  const baseOf = new Map<number, ResultRecord>();
  methods.forEach((method, m) => {
    if (m === b) return;
    const paired = new Map(pairedSummaryGainRecords(fits[m], fits[b], tasks, method, knob, seeds).map((r) => [r.seed, r]));
    seeds.forEach((seed, s) => {
      let r = paired.get(seed);
      if (!r) {
        const [x, y] = [meanAucEvidence(fits[m][s].evidence, tasks), meanAucEvidence(fits[b][s].evidence, tasks)];
        const still = stillImproving(fits[m][s].bestEpoch, fits[m][s].epochsAllowed) || stillImproving(fits[b][s].bestEpoch, fits[b][s].epochsAllowed);
        const se = Number.isFinite(x.se) && Number.isFinite(y.se) ? Math.hypot(x.se, y.se) : null;
        r = gainRecord({ method, knob, metric: SUMMARY_GAIN, seed, value: x.value - y.value, se, rows: Math.min(x.rows, y.rows), positives: Math.min(x.positives, y.positives), stillImproving: still });
      }
      out.push(r);
      if (!baseOf.has(seed)) baseOf.set(seed, gainRecord({ method: base, knob, metric: SUMMARY_GAIN, seed, value: 0, se: r.se === null ? null : 0, rows: r.rows, positives: r.positives, stillImproving: null }));
    });
  });
  return [...out, ...baseOf.values()];
}

/** Each task's AUC evidence of the summary; a task without one (one class only) is an error naming it. */
function summaryParts(ev: Record<string, TaskEvidence>, tasks: readonly string[]): MetricEvidence[] {
  return tasks.map((t) => {
    const a = ev[t]?.auc;
    if (!a) throw new Error(`live evidence: task '${t}' has no AUC (one class only), so it cannot enter the summary`);
    return a;
  });
}

/** Per-row DeLong influences of the AUCs `taskEvidence` computed, keyed by their evidence object. */
const AUC_INFLUENCE = new WeakMap<MetricEvidence, { auc: number; influence: Float64Array }>();

/**
 * A fit's evidence as plain data, its DeLong influences beside it: what crosses a process boundary (a fit worker's
 * result is structured-cloned, and the influences live in a WeakMap keyed by the evidence objects, which a clone
 * replaces). {@link restoredFit} puts them back.
 * @example
 * const back = restoredFit(structuredClone(portableFit(fit))); // paired SEs still available
 */
export function portableFit<F extends { evidence: Record<string, TaskEvidence> }>(fit: F): F & { influences: Record<string, { auc: number; influence: Float64Array }> } {
  const influences: Record<string, { auc: number; influence: Float64Array }> = {};
  for (const [t, e] of Object.entries(fit.evidence)) {
    const inf = e.auc ? AUC_INFLUENCE.get(e.auc) : undefined;
    if (inf) influences[t] = inf;
  }
  return { ...fit, influences };
}

/**
 * The fit {@link portableFit} packed, with its influences registered again for its (new) evidence objects.
 * @example
 * const fit = restoredFit(packed); // meanAucEvidence(fit.evidence, tasks).se as before the trip
 */
export function restoredFit<F extends { evidence: Record<string, TaskEvidence> }>(packed: F & { influences: Record<string, { auc: number; influence: Float64Array }> }): F {
  const { influences, ...fit } = packed;
  for (const [t, inf] of Object.entries(influences)) {
    const a = fit.evidence[t]?.auc;
    if (!a) throw new Error(`restoredFit: task '${t}' has influences but no AUC`);
    AUC_INFLUENCE.set(a, inf);
  }
  return fit as unknown as F;
}

/** One trained method on one seed: its test evidence per task and what early stopping chose. */
export interface LiveFit {
  evidence: Record<string, TaskEvidence>;
  /** 0-based best validation epoch and the configured epoch cap. */
  bestEpoch: number;
  epochsAllowed: number;
  /** Validation monitor value at the best epoch. */
  validBest: number;
  seconds: number;
}

const finite = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x);

/**
 * One comparison table from per-seed fits: columns `mean_auc_reliable`, `auc_<task>` of every task, and `uauc_<task>`,
 * `gauc_<task>` of the reliable tasks; per-seed se, rows, positives and the still-improving flag. Metrics that are
 * defined for every method and seed but not shown (UAUC / GAUC of unreliable tasks) come back as extra records of the
 * same table id; metrics undefined for some fit are named in a note. Also returns the 'selection' records (best epoch
 * and validation monitor per fit, split 'valid').
 * @param fits - fits[m][s]: method m (in `methods` order) on seed `seeds[s]`.
 * @example
 * const { table, records } = liveComparisonTable({ id: 'main', title, base: 'PLE', methods, seeds, fits, summary, ceiling });
 */
export function liveComparisonTable(args: {
  id: string;
  title: string;
  base: string;
  methods: string[];
  seeds: number[];
  fits: LiveFit[][];
  tasks: readonly string[];
  summary: SummaryTasks;
  /** Ground-truth evidence on the same test rows (a reference row), when the data has a truth. */
  ceiling?: Record<string, TaskEvidence>;
  notes?: string[];
  /** Knob of the gain records against the base (default ''; a sweep calling this per knob value sets it). */
  gainKnob?: string;
}): { table: ResultTable; records: ResultRecord[] } {
  const { methods, seeds, fits, summary } = args;
  if (fits.length !== methods.length || fits.some((f) => f.length !== seeds.length)) throw new Error(`live evidence: table '${args.id}' needs one fit per method and seed`);
  const reliable = new Set(summary.tasks);
  const shown = [SUMMARY_METRIC, ...args.tasks.map((t) => taskMetric('auc', t)), ...args.tasks.filter((t) => reliable.has(t)).flatMap((t) => [taskMetric('uauc', t), taskMetric('gauc', t)])];
  const hidden = args.tasks.filter((t) => !reliable.has(t)).flatMap((t) => [taskMetric('uauc', t), taskMetric('gauc', t)]);
  const metricOf = (f: LiveFit, name: string): MetricEvidence | null => {
    if (name === SUMMARY_METRIC) return meanAucEvidence(f.evidence, summary.tasks);
    const at = name.indexOf('_');
    return f.evidence[name.slice(at + 1)]?.[name.slice(0, at) as LiveKind] ?? null;
  };
  const definedEverywhere = (name: string) => fits.every((row) => row.every((f) => finite(metricOf(f, name)?.value)));
  const columns = shown.filter(definedEverywhere);
  const extra = hidden.filter(definedEverywhere);
  const undefinedNames = [...shown, ...hidden].filter((n) => !definedEverywhere(n));
  const result = (names: string[]): MethodResult[] =>
    methods.map((method, m) => {
      const r: Required<MethodResult> = { method, seeds: [...seeds], values: {}, se: {}, rows: {}, positives: {}, stillImproving: fits[m].map((f) => stillImproving(f.bestEpoch, f.epochsAllowed)) };
      for (const name of names) {
        const ev = fits[m].map((f) => metricOf(f, name) as MetricEvidence);
        r.values[name] = ev.map((e) => e.value);
        r.se[name] = ev.map((e) => (finite(e.se) ? e.se : Number.NaN));
        r.rows[name] = ev.map((e) => e.rows);
        r.positives[name] = ev.map((e) => e.positives);
      }
      return r;
    });
  const references: ReferenceRow[] = [];
  if (args.ceiling) {
    const c = args.ceiling;
    const values: Record<string, number | null> = {};
    for (const name of columns) {
      if (name === SUMMARY_METRIC) values[name] = summary.tasks.every((t) => c[t]?.auc) ? meanAucEvidence(c, summary.tasks).value : null;
      else {
        const at = name.indexOf('_');
        const v = c[name.slice(at + 1)]?.[name.slice(0, at) as LiveKind]?.value;
        values[name] = finite(v) ? v : null;
      }
    }
    references.push({ label: 'ground-truth ceiling', values, note: "the world's true probabilities scored on the same test rows (no model beats it in expectation)" });
  }
  const notes = [summaryNote(summary, `The headline ${SUMMARY_METRIC} (its SE sums each test row's DeLong influence over the tasks, so the tasks' covariance is counted)`), ...(args.notes ?? [])];
  if (extra.length) notes.push(`UAUC / GAUC of the unreliable tasks are in the records (results.csv), not in this table: ${extra.join(', ')}.`);
  if (undefinedNames.length) notes.push(`Undefined for some method and seed (one class only, or no test user with both classes), so left out: ${undefinedNames.join(', ')}.`);
  const gains = methods.includes(args.base) ? gainsAgainstBase(fits, methods, args.base, summary.tasks, seeds, args.gainKnob) : [];
  if (gains.length) notes.push(`The claims on ${SUMMARY_METRIC} read the paired gains over ${args.base} (records of table 'gain', ${SUMMARY_GAIN}): every method scores the same test rows, so each row's DeLong influence is summed over the summary tasks and both methods; the interval in this table adds the two sides' test SEs and so errs wide.`);
  // The unreliable tasks are named once, with their positives, by the summary note above; the table's own flag would
  // repeat every one of them for every method (minPositives 0 turns that repetition off; the records keep positives,
  // so verdicts still apply the rule).
  const table = buildResultTable({
    id: args.id, title: args.title, base: args.base, metrics: columns.map((name): MetricColumn => ({ name, higherIsBetter: true })), results: result(columns), references, notes, minPositives: 0,
  });
  // Se NaN (a metric with one positive, a single user with both classes) is recorded as unknown, not as a number.
  const clean = (r: ResultRecord): ResultRecord => (r.se !== null && !Number.isFinite(r.se) ? { ...r, se: null } : r);
  table.records = table.records.map(clean);
  const records: ResultRecord[] = [...gains];
  for (const r of result(extra)) {
    r.seeds.forEach((seed, s) => {
      for (const name of extra) {
        records.push(clean({
          pipeline: '', run: '', table: args.id, method: r.method, variant: '', knob: '', metric: name, split: 'test', seed, value: r.values[name][s],
          rows: r.rows?.[name][s] ?? null, positives: r.positives?.[name][s] ?? null, se: r.se?.[name][s] ?? null, stillImproving: r.stillImproving?.[s] ?? null,
        }));
      }
    });
  }
  methods.forEach((method, m) => {
    fits[m].forEach((f, s) => {
      const base = { pipeline: '', run: '', table: 'selection', method, variant: '', knob: '', split: 'valid', seed: seeds[s], rows: null, positives: null, se: null, stillImproving: stillImproving(f.bestEpoch, f.epochsAllowed) };
      records.push({ ...base, metric: 'best_epoch', value: f.bestEpoch + 1 }, { ...base, metric: 'monitor_auc', value: f.validBest });
    });
  });
  return { table, records };
}

/**
 * Sets the knob (and optionally the variant) of records, e.g. `live_share=0.05` for one point of a sweep.
 * @example
 * withKnob(table.records, 'live_share=0.05');
 */
export function withKnob(records: ResultRecord[], knob: string): ResultRecord[] {
  return records.map((r) => ({ ...r, knob }));
}

/**
 * Bars of a table's `mean_auc_reliable` column (mean ± std over seeds per method), for the figures.
 * @example
 * barChart(summaryBars(run.tables[0]), { title: 'Mean reliable-task AUC', yTitle: 'mean AUC' });
 */
export function summaryBars(table: ResultTable): Array<{ label: string; mean: number; std: number }> {
  if (!table.metrics.some((m) => m.name === SUMMARY_METRIC)) throw new Error(`summaryBars: table '${table.title}' has no '${SUMMARY_METRIC}' column`);
  return table.rows.map((r) => ({ label: r.method, mean: r.cells[SUMMARY_METRIC].mean, std: Number.isFinite(r.cells[SUMMARY_METRIC].std) ? r.cells[SUMMARY_METRIC].std : 0 }));
}
