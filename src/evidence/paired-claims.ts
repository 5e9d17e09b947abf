/**
 * Paired gain records for claims: where a claim's two methods scored the same test rows in each seed, its verdict
 * should rest on DeLong's paired SE of the AUC difference, not on the two sides' SEs added (which ignores that both
 * are measured on the same rows and errs wide). A claim that wants this is declared on table 'gain' with metric
 * `<column>_gain` and variant {@link gainVariant}(base); {@link pairedClaimGains} writes, per such claim and seed, the
 * method's gain AUC(method) − AUC(base) with its paired SE and, once per base, the base's own gain (0, SE 0) under the
 * same variant, so that `judgeClaims` compares the gain with zero at the gain's own SE, seed variance included.
 */
import { deLongPaired } from './stats.ts';
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
      const a = scored(c.method, s, column);
      const b = scored(c.base, s, column);
      if (!a || !b) return;
      if (a.labels.length !== b.labels.length || Array.prototype.some.call(a.labels, (y: number, i: number) => y !== b.labels[i])) {
        throw new Error(`paired claim gain: '${c.method}' and '${c.base}' seed ${seed} scored different ${column} rows`);
      }
      const d = deLongPaired(a.labels, a.scores, b.scores);
      let positives = 0;
      for (let i = 0; i < a.labels.length; i++) positives += a.labels[i] === 1 ? 1 : 0;
      const still = [stillImproving(c.method, s), stillImproving(c.base, s)];
      const about = { knob: '', metric: c.metric, seed, rows: a.labels.length, positives };
      out.push({ ...gainRecord({ ...about, method: c.method, value: d.value, se: d.se, stillImproving: still.some((x) => x === true) }), variant });
      const baseKey = `${c.base}|${variant}|${c.metric}|${seed}`;
      if (!done.has(baseKey)) out.push({ ...gainRecord({ ...about, method: c.base, value: 0, se: 0, stillImproving: null }), variant });
      done.add(baseKey);
    });
  }
  return out;
}
