/**
 * Paired gain records for claims: where a claim's two methods scored the same test rows in each seed, its verdict
 * should rest on DeLong's paired SE of the AUC difference, not on the two sides' SEs added (which ignores that both
 * are measured on the same rows and errs wide). A claim that wants this is declared on table 'gain' with metric
 * `<column>_gain` and variant {@link gainVariant}(base); {@link pairedClaimGains} writes, per such claim and seed, the
 * method's gain AUC(method) − AUC(base) with its paired SE and, once per base, the base's own gain (0, SE 0) under the
 * same variant, so that `judgeClaims` compares the gain with zero at the gain's own SE, seed variance included.
 * {@link pairedMeanClaimGains} does the same for ranking columns (a mean of per-user values over domains), with the
 * SE of the per-user differences.
 */
import { deLongPaired } from './stats.ts';
import { meanSe } from './rules.ts';
import { gainRecord } from './mechanism.ts';
import type { Claim } from './claims.ts';
import type { ResultRecord } from './records.ts';

/** Labels and scores of the rows one AUC column is computed on. */
export interface ScoredRows {
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

/**
 * The variant of the gain records of a comparison against `base` (both sides carry it, so each claim reads its own
 * pair; `prefix` keeps pairs apart that share a base, e.g. per backbone).
 * @example
 * gainVariant('DCMT'); // 'vs DCMT'
 */
export const gainVariant = (base: string, prefix = ''): string => `${prefix ? `${prefix} ` : ''}vs ${base}`;

/** A gain measured on one seed: value, test-sampling SE, rows and positives it rests on. */
interface MeasuredGain {
  value: number;
  se: number;
  rows: number;
  positives: number;
}

/**
 * The shared walk of both gain writers: per claim on table 'gain' (once per method, variant and metric) and seed, the
 * method's gain from `measure` and, once per base, the base's own gain (0, SE 0) under the same variant.
 */
function claimGains(
  claims: readonly Claim[],
  seeds: readonly number[],
  measure: (c: Claim, s: number, seed: number, column: string) => MeasuredGain | null,
  stillImproving: (method: string, s: number) => boolean | null,
): ResultRecord[] {
  const out: ResultRecord[] = [];
  const done = new Set<string>();
  for (const c of claims) {
    if (c.table !== 'gain' || !c.metric.endsWith('_gain')) continue;
    const column = c.metric.slice(0, -'_gain'.length);
    const variant = c.variant ?? '';
    const key = `${c.method}|${variant}|${c.metric}`;
    if (done.has(key)) continue;
    done.add(key);
    seeds.forEach((seed, s) => {
      const g = measure(c, s, seed, column);
      if (!g) return;
      const still = [stillImproving(c.method, s), stillImproving(c.base, s)];
      const about = { knob: '', metric: c.metric, seed, rows: g.rows, positives: g.positives };
      out.push({ ...gainRecord({ ...about, method: c.method, value: g.value, se: g.se, stillImproving: still.some((x) => x === true) }), variant });
      const baseKey = `${c.base}|${variant}|${c.metric}|${seed}`;
      if (!done.has(baseKey)) out.push({ ...gainRecord({ ...about, method: c.base, value: 0, se: 0, stillImproving: null }), variant });
      done.add(baseKey);
    });
  }
  return out;
}

/**
 * Gain records for every claim on table 'gain' (see the module comment). `scored(method, s, column)` gives the rows and
 * scores of a method's fit in seed index s for an AUC column (null when the method did not run: the claim gets no
 * records and its verdict says not measured); `stillImproving(method, s)` the fit's flag. The two sides of a pair must
 * have scored the same labels (an error otherwise, naming the pair).
 * @example
 * records.push(...pairedClaimGains(claims, [1, 2], (m, s, col) => rowsOf(fits.get(m)?.[s], col), (m, s) => fits.get(m)![s].stillImproving));
 */
export function pairedClaimGains(
  claims: readonly Claim[],
  seeds: readonly number[],
  scored: (method: string, s: number, column: string) => ScoredRows | null,
  stillImproving: (method: string, s: number) => boolean | null,
): ResultRecord[] {
  return claimGains(claims, seeds, (c, s, seed, column) => {
    const a = scored(c.method, s, column);
    const b = scored(c.base, s, column);
    if (!a || !b) return null;
    if (a.labels.length !== b.labels.length || Array.prototype.some.call(a.labels, (y: number, i: number) => y !== b.labels[i])) {
      throw new Error(`paired claim gain: '${c.method}' and '${c.base}' seed ${seed} scored different ${column} rows`);
    }
    const d = deLongPaired(a.labels, a.scores, b.scores);
    let positives = 0;
    for (let i = 0; i < a.labels.length; i++) positives += a.labels[i] === 1 ? 1 : 0;
    return { value: d.value, se: d.se, rows: a.labels.length, positives };
  }, stillImproving);
}

/**
 * A summary column that averages per-unit values over parts (e.g. HR@10 per test user, averaged within each domain and
 * then over the domains): each part's values in unit order, and whether the summary is unreliable (every part below
 * the reliable-task threshold: the gain then carries the smallest part's size, so the verdict says unreliable).
 */
export interface PartRows {
  parts: Float64Array[];
  unreliable: boolean;
}

/**
 * Mean over parts of the per-unit means, with SE √(Σ SE_d²) / D (parts taken as independent samples), and the units
 * summed (the smallest part's count when `unreliable`).
 * @example
 * partsMean([Float64Array.of(1, 0), Float64Array.of(1, 1, 0)]).value; // (0.5 + 2/3) / 2
 */
export function partsMean(parts: readonly Float64Array[], unreliable = false): { value: number; se: number; rows: number } {
  const D = parts.length;
  const means = parts.map((x) => x.reduce((acc, v) => acc + v, 0) / Math.max(x.length, 1));
  return {
    value: means.reduce((acc, v) => acc + v, 0) / D,
    se: Math.sqrt(parts.reduce((acc, x) => acc + meanSe(x) ** 2, 0)) / D,
    rows: unreliable ? Math.min(...parts.map((x) => x.length)) : parts.reduce((acc, x) => acc + x.length, 0),
  };
}

/**
 * Paired gain records for claims on table 'gain' whose column is a mean of per-unit values over parts (ranking
 * metrics per test user; see {@link PartRows}): per seed, the parts' mean of per-unit differences method − base, with
 * the SE of those differences — both sides ranked the same users against the same candidates, so the paired SE is
 * much tighter than the two sides' SEs added. `rowsOf(method, s, column)` is null when the method did not run; the
 * two sides must have the same parts and units (an error otherwise, naming the pair). Positives = units (one held-out
 * item per test user).
 * @example
 * records.push(...pairedMeanClaimGains(claims, [1, 2], (m, s, col) => hitsOf(m, s, col), (m, s) => still(m, s)));
 */
export function pairedMeanClaimGains(
  claims: readonly Claim[],
  seeds: readonly number[],
  rowsOf: (method: string, s: number, column: string) => PartRows | null,
  stillImproving: (method: string, s: number) => boolean | null,
): ResultRecord[] {
  return claimGains(claims, seeds, (c, s, seed, column) => {
    const a = rowsOf(c.method, s, column);
    const b = rowsOf(c.base, s, column);
    if (!a || !b) return null;
    if (a.parts.length !== b.parts.length || a.parts.some((x, d) => x.length !== b.parts[d].length)) {
      throw new Error(`paired claim gain: '${c.method}' and '${c.base}' seed ${seed} have different ${column} parts (${a.parts.map((x) => x.length).join('/')} vs ${b.parts.map((x) => x.length).join('/')} units)`);
    }
    const g = partsMean(a.parts.map((x, d) => x.map((v, n) => v - b.parts[d][n])), a.unreliable);
    return { ...g, positives: g.rows };
  }, stillImproving);
}
