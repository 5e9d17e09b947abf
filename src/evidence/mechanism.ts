/**
 * Mechanism sweeps (DESIGN "Evidence"): each synthetic world declares a knob for the mechanism its paper exploits
 * (selection bias, temporal structure, shared preference, ...). A mechanism pipeline trains the method and its base at
 * several knob values from 0 (mechanism absent) upward and asks two questions of the records:
 * - is the method's gain over its base nil at 0 (within the minimum detectable effect of zero) and what is it at each
 *   value, with its interval;
 * - does the gain grow from 0 to the largest value.
 * The knob's default comes from the paper's description of its data and is declared (with its source) before any
 * result is seen; the sweep always starts at 0 and is never tuned until a result agrees.
 *
 * Records read: table `spec.table` ('by-knob'), metric `spec.metric`, knob `knobLabel(spec.knobName, value)`, for the
 * method and the base, per seed. Records written by {@link gainRecords}: table 'gain', metric `<metric>_gain` per knob
 * value and seed (method − base; SE = √(se_m² + se_b²), unpaired and therefore wide, unless the pipeline wrote its own
 * paired gain records, e.g. from DeLong's paired variance, which are kept), and metric 'gain_growth' with knob '' (gain
 * at the largest value − gain at 0, per seed) for the method; for the base, both metrics as 0 with SE 0, so that a
 * claim comparing method and base in table 'gain' judges the gain record alone — its paired SE when the pipeline
 * wrote one. Both claims of {@link mechanismClaims} read table 'gain'.
 */
import type { Figure } from '../plots/figure.ts';
import { lineChart } from '../plots/builders.ts';
import type { Claim } from './claims.ts';
import { select, type ResultRecord } from './records.ts';
import { combineSeedsAndTest, deLongPaired } from './stats.ts';

/** A world's mechanism knob and the comparison whose gain should follow it. */
export interface MechanismSpec {
  /** The world's config key, e.g. 'intentShare'. */
  knobName: string;
  /** Knob values swept, ascending, from 0 (mechanism absent); 4-5 values. */
  values: number[];
  /** The default used by the pipeline's other tables, from the paper's description of its data. */
  defaultValue: number;
  /** Where the default comes from (paper section, dataset statistic). */
  defaultSource: string;
  /** The method whose gain is measured and its fixed base (the paper's own base). */
  method: string;
  base: string;
  /** Table of the per-knob records (default 'by-knob'). */
  table?: string;
  /** Headline metric of the per-knob records, e.g. 'cvr_auc_entire'. */
  metric: string;
  /** Direction the paper says the method moves `metric` (the gain is always method − base). */
  direction: 'higher' | 'lower';
  /** Where the claim comes from (the paper's claim plus DESIGN "Evidence" for the growth). */
  claimSource: string;
  /** Split of the per-knob records (default 'test'). */
  split?: string;
}

/** One knob value's gain, as {@link mechanismSummary} reports it. */
export interface MechanismRow {
  value: number;
  /** Mean over seeds of method − base (NaN when not measured). */
  gain: number;
  /** 95% interval of the gain (NaN with one seed and no SE). */
  lo: number;
  hi: number;
  /** Two-sided p-value of gain = 0; null with one seed. */
  p: number | null;
  /** Minimum detectable effect at alpha 0.05, power 0.8. */
  mde: number;
  seeds: number;
  /** |gain| <= MDE: the gain cannot be told from zero at this value (expected at 0). */
  withinMdeOfZero: boolean;
}

/**
 * The records' knob field for a value: 'name=value'.
 * @example
 * knobLabel('intentShare', 0.3); // 'intentShare=0.3'
 */
export function knobLabel(name: string, value: number): string {
  return `${name}=${value}`;
}

/** One seed's gain (method − base) at one knob value, with what the record says about its evidence. */
export interface GainRecordInput {
  method: string;
  knob: string;
  /** The record's metric: `<headline metric>_gain` for a knob value, 'gain_growth' for the growth. */
  metric: string;
  seed: number;
  value: number;
  /** Test-sampling SE of the gain (paired when both sides scored the same rows); null when unknown. */
  se: number | null;
  rows: number | null;
  positives: number | null;
  /** True when either side's fit was best at its last allowed epoch; null when neither trained. */
  stillImproving: boolean | null;
  /** Default 'test'. */
  split?: string;
}

/**
 * A record of table 'gain' — the one shape every mechanism pipeline writes its paired gains in and {@link gainRecords}
 * reads them from.
 * @example
 * records.push(gainRecord({ method: 'MiNet', knob: 'mechanismScale=1', metric: 'auc_gain', seed: 1, ...deLongPaired(y, a, b), rows: y.length, positives: 812, stillImproving: false }));
 */
export function gainRecord(g: GainRecordInput): ResultRecord {
  return {
    pipeline: '', run: '', table: 'gain', method: g.method, variant: '', knob: g.knob, metric: g.metric, split: g.split ?? 'test', seed: g.seed,
    value: g.value, rows: g.rows, positives: g.positives, se: g.se, stillImproving: g.stillImproving,
  };
}

/**
 * The paired AUC gain record of one seed at one knob value: AUC(method) − AUC(base) on the same rows with DeLong's
 * paired SE, metric `<spec.metric>_gain`, rows = the labels' length.
 * @example
 * records.push(pairedAucGainRecord(spec, 'mismatch=0.6', 1, labels, probs.aligned, probs.unaligned, { positives: 812, stillImproving: false }));
 */
export function pairedAucGainRecord(
  spec: Pick<MechanismSpec, 'method' | 'metric' | 'split'>, knob: string, seed: number, labels: ArrayLike<number>, method: ArrayLike<number>, base: ArrayLike<number>,
  about: { positives: number | null; stillImproving: boolean | null },
): ResultRecord {
  const d = deLongPaired(labels, method, base);
  return gainRecord({ method: spec.method, knob, metric: gainMetric(spec), seed, value: d.value, se: d.se, rows: labels.length, split: spec.split, ...about });
}

/**
 * The metric of a sweep's per-knob gain records: `<metric>_gain`.
 * @example
 * gainMetric({ metric: 'auc' }); // 'auc_gain'
 */
export const gainMetric = (spec: Pick<MechanismSpec, 'metric'>): string => `${spec.metric}_gain`;

/** Throws when a spec cannot describe a sweep from 0. */
export function checkMechanismSpec(spec: MechanismSpec): void {
  const where = `mechanism '${spec.knobName}'`;
  if (!spec.values.length) throw new Error(`${where}: no knob values`);
  if (spec.values[0] !== 0) throw new Error(`${where}: the sweep must start at 0 (mechanism absent), got ${spec.values[0]}`);
  for (let i = 1; i < spec.values.length; i++) {
    if (!(spec.values[i] > spec.values[i - 1])) throw new Error(`${where}: values must be strictly ascending, got ${spec.values.join(', ')}`);
  }
  if (!Number.isFinite(spec.defaultValue)) throw new Error(`${where}: defaultValue must be a finite number`);
  if (!spec.defaultSource.trim()) throw new Error(`${where}: defaultSource must say where the default comes from`);
  if (spec.method === spec.base) throw new Error(`${where}: method and base are both '${spec.method}'`);
}

interface SeedGain {
  value: number;
  se: number | null;
  rows: number | null;
  positives: number | null;
  stillImproving: boolean | null;
}

/** Per seed: the gain at one knob value, from the pipeline's own paired gain records when present, else unpaired. */
function seedGains(records: ReadonlyArray<ResultRecord>, spec: MechanismSpec, value: number): Map<number, SeedGain> {
  const split = spec.split ?? 'test';
  const knob = knobLabel(spec.knobName, value);
  const out = new Map<number, SeedGain>();
  for (const r of select(records, { table: 'gain', method: spec.method, knob, metric: gainMetric(spec), split })) {
    out.set(r.seed, { value: r.value, se: r.se, rows: r.rows, positives: r.positives, stillImproving: r.stillImproving });
  }
  const table = spec.table ?? 'by-knob';
  const base = new Map(select(records, { table, method: spec.base, knob, metric: spec.metric, split }).map((r) => [r.seed, r]));
  for (const m of select(records, { table, method: spec.method, knob, metric: spec.metric, split })) {
    const b = base.get(m.seed);
    if (!b || out.has(m.seed)) continue;
    out.set(m.seed, {
      value: m.value - b.value,
      se: m.se !== null && b.se !== null ? Math.hypot(m.se, b.se) : null,
      rows: m.rows !== null && b.rows !== null ? Math.min(m.rows, b.rows) : null,
      positives: m.positives !== null && b.positives !== null ? Math.min(m.positives, b.positives) : null,
      stillImproving: m.stillImproving === null && b.stillImproving === null ? null : Boolean(m.stillImproving || b.stillImproving),
    });
  }
  return out;
}

/**
 * The gain records of a sweep (see the file header): `<metric>_gain` per knob value and seed that the pipeline did not
 * already write, and `gain_growth` (largest value − 0) per seed for the method, 0 for the base. Append them to the
 * pipeline's records.
 * @example
 * records.push(...gainRecords(records, spec));
 */
export function gainRecords(records: ReadonlyArray<ResultRecord>, spec: MechanismSpec): ResultRecord[] {
  checkMechanismSpec(spec);
  const split = spec.split ?? 'test';
  const rec = (method: string, knob: string, metric: string, seed: number, g: SeedGain): ResultRecord => gainRecord({ method, knob, metric, seed, split, ...g });
  const out: ResultRecord[] = [];
  const perValue = spec.values.map((v) => seedGains(records, spec, v));
  spec.values.forEach((v, i) => {
    const knob = knobLabel(spec.knobName, v);
    const own = new Set(select(records, { table: 'gain', method: spec.method, knob, metric: gainMetric(spec), split }).map((r) => r.seed));
    const baseOwn = new Set(select(records, { table: 'gain', method: spec.base, knob, metric: gainMetric(spec), split }).map((r) => r.seed));
    for (const [seed, g] of perValue[i]) {
      if (!own.has(seed)) out.push(rec(spec.method, knob, gainMetric(spec), seed, g));
      // The base's gain over itself: 0 with SE 0, so that the default claim judges the (paired) gain record alone.
      if (!baseOwn.has(seed)) out.push(rec(spec.base, knob, gainMetric(spec), seed, { value: 0, se: g.se === null ? null : 0, rows: g.rows, positives: g.positives, stillImproving: null }));
    }
  });
  const [first, last] = [perValue[0], perValue[perValue.length - 1]];
  if (spec.values.length >= 2) {
    for (const [seed, hi] of last) {
      const lo = first.get(seed);
      if (!lo) continue;
      const se = hi.se !== null && lo.se !== null ? Math.hypot(hi.se, lo.se) : null;
      const rows = hi.rows !== null && lo.rows !== null ? Math.min(hi.rows, lo.rows) : null;
      const positives = hi.positives !== null && lo.positives !== null ? Math.min(hi.positives, lo.positives) : null;
      const stillImproving = hi.stillImproving === null && lo.stillImproving === null ? null : Boolean(hi.stillImproving || lo.stillImproving);
      out.push(rec(spec.method, '', 'gain_growth', seed, { value: hi.value - lo.value, se, rows, positives, stillImproving }));
      out.push(rec(spec.base, '', 'gain_growth', seed, { value: 0, se: se === null ? null : 0, rows, positives, stillImproving: null }));
    }
  }
  return out;
}

/**
 * The two claims every mechanism sweep judges: the method beats its base at the paper's default knob value, and its
 * gain grows from 0 to the largest value swept. `idPrefix` keeps the ids unique within a pipeline.
 * @example
 * claims: [...MAIN_CLAIMS, ...mechanismClaims(spec, 'mechanism')]
 */
export function mechanismClaims(spec: MechanismSpec, idPrefix = 'mechanism'): Claim[] {
  checkMechanismSpec(spec);
  const largest = spec.values[spec.values.length - 1];
  const better = spec.direction === 'higher' ? 'raises' : 'lowers';
  return [
    {
      id: `${idPrefix}-${spec.knobName}-default`,
      text: `At the paper-derived default ${spec.knobName} = ${spec.defaultValue}, ${spec.method} ${better} ${spec.metric} over ${spec.base}`,
      source: spec.claimSource,
      table: 'gain',
      metric: gainMetric(spec),
      split: spec.split,
      method: spec.method,
      base: spec.base,
      knob: knobLabel(spec.knobName, spec.defaultValue),
      direction: spec.direction,
    },
    {
      id: `${idPrefix}-${spec.knobName}-growth`,
      text: `${spec.method}'s gain over ${spec.base} on ${spec.metric} grows from ${spec.knobName} = 0 to ${largest}`,
      source: `${spec.claimSource}; DESIGN "Evidence" (a gain is nil without its mechanism and grows with it)`,
      table: 'gain',
      metric: 'gain_growth',
      split: spec.split,
      method: spec.method,
      base: spec.base,
      direction: spec.direction,
    },
  ];
}

const fmt = (x: number) => (Number.isFinite(x) ? (x >= 0 ? '+' : '') + x.toFixed(4) : '—');

/**
 * Per knob value: the mean gain over seeds with its 95% interval, p-value and MDE (test-sampling and seed variance
 * together, as every comparison here), and whether it is within the MDE of zero; with a Markdown table that says so.
 * @example
 * const { rows, markdown } = mechanismSummary(records, spec);
 * rows[0].withinMdeOfZero; // expected true: at 0 the mechanism is absent
 */
export function mechanismSummary(records: ReadonlyArray<ResultRecord>, spec: MechanismSpec): { rows: MechanismRow[]; markdown: string } {
  checkMechanismSpec(spec);
  const rows: MechanismRow[] = spec.values.map((value) => {
    const gains = [...seedGains(records, spec, value).values()];
    if (!gains.length) return { value, gain: Number.NaN, lo: Number.NaN, hi: Number.NaN, p: null, mde: Number.NaN, seeds: 0, withinMdeOfZero: false };
    const withSe = gains.every((g) => g.se !== null);
    const c = combineSeedsAndTest(gains.map((g) => g.value), withSe ? gains.map((g) => (g.se as number) ** 2) : null);
    return { value, gain: c.diff, lo: c.ci[0], hi: c.ci[1], p: c.p, mde: c.mde, seeds: c.seeds, withinMdeOfZero: Number.isFinite(c.mde) && Math.abs(c.diff) <= c.mde };
  });
  const head = `| ${spec.knobName} | ${spec.method} − ${spec.base} (${spec.metric}) | 95% CI | p | MDE | seeds | reading |`;
  const lines = rows.map((r) => {
    const tags = [r.value === 0 ? 'mechanism absent' : '', r.value === spec.defaultValue ? 'paper default' : ''].filter(Boolean).join(', ');
    // Significance first: a gain can be significant and still below the MDE (the MDE is the effect found 80% of the time).
    const significant = r.p !== null && r.p < 0.05;
    const sided = Math.sign(r.gain) === (spec.direction === 'higher' ? 1 : -1) ? 'gain' : 'loss';
    const reading = !r.seeds ? 'not measured' : !Number.isFinite(r.mde) ? '1 seed: no interval' : significant ? (r.withinMdeOfZero ? `${sided} (significant, below the MDE)` : sided) : r.withinMdeOfZero ? 'within the MDE of zero' : 'not significant';
    const p = r.p === null ? '—' : r.p < 1e-4 ? '<1e-4' : r.p.toFixed(4);
    return `| ${r.value}${tags ? ` (${tags})` : ''} | ${fmt(r.gain)} | ${Number.isFinite(r.lo) ? `[${fmt(r.lo)}, ${fmt(r.hi)}]` : '—'} | ${p} | ${Number.isFinite(r.mde) ? r.mde.toFixed(4) : '—'} | ${r.seeds} | ${reading} |`;
  });
  const note = `Gain = ${spec.method} − ${spec.base} per seed on the same world, combined over seeds with each seed's test-sampling variance. At ${spec.knobName} = 0 the mechanism is absent and the gain should be within the MDE of zero. Default ${spec.knobName} = ${spec.defaultValue}: ${spec.defaultSource}.`;
  return { rows, markdown: [head, `|${'---|'.repeat(7)}`, ...lines, '', note].join('\n') };
}

/**
 * The sweep as a figure: the gain against the knob with 95% intervals as error bars, a zero line, and the paper's
 * default as its own marker.
 * @example
 * figures.push({ name: 'mechanism', figure: mechanismFigure(records, spec, 'ChorusCVR gain vs intent share') });
 */
export function mechanismFigure(records: ReadonlyArray<ResultRecord>, spec: MechanismSpec, title: string): Figure {
  const { rows } = mechanismSummary(records, spec);
  const measured = rows.filter((r) => Number.isFinite(r.gain));
  if (!measured.length) throw new Error(`mechanismFigure: no records of ${spec.method} and ${spec.base} at any ${spec.knobName} value (table '${spec.table ?? 'by-knob'}', metric '${spec.metric}')`);
  const half = measured.map((r) => (Number.isFinite(r.hi) ? (r.hi - r.lo) / 2 : 0));
  const series = [{ name: `${spec.method} − ${spec.base} (95% CI)`, x: measured.map((r) => r.value), y: measured.map((r) => r.gain), yStd: half }];
  const atDefault = measured.find((r) => r.value === spec.defaultValue);
  if (atDefault) series.push({ name: `paper default (${spec.knobName} = ${spec.defaultValue})`, x: [atDefault.value], y: [atDefault.gain], yStd: [0] });
  return lineChart(series, { title, xTitle: spec.knobName, yTitle: `${spec.metric} gain over ${spec.base}`, errorStyle: 'bars', refLines: [{ y: 0, label: 'no gain' }] });
}
