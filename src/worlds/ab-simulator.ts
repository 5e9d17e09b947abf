/**
 * The simulated online A/B test shared by the papers' "online" tables. Users of a world are split at random into a
 * control and a treatment arm; each user sends requests, each request draws candidates from the user's pool of
 * exposures (rows of a world part, with the world's true outcome probabilities) and shows the `slots` candidates the
 * arm's policy scores highest; the world then samples the outcomes of the shown candidates from its truth, step by
 * step along a funnel (e.g. click, then conversion given click). Metrics are ratios of sums over the arm's users
 * (e.g. conversions per user, conversions per click); the lift's confidence interval is lift ± z·SE with the standard
 * error from a seeded bootstrap over users within each arm (a normal interval; it is symmetric around the lift). Policies only see scores the models computed from features;
 * the truth is used only to sample outcomes.
 */
import { Rng } from '../random.ts';

/** One step of the outcome funnel: P(step = 1 | shown, previous step = 1) per pool row. */
export interface FunnelStep {
  name: string;
  /** Probability per pool row, conditional on `given` (or on being shown when `given` is absent). */
  p: Float32Array;
  /** The step that must have happened first (e.g. 'click' for 'conversion'). */
  given?: string;
  /** Amount counted when the step happens (e.g. expected watch seconds per pool row); default 1 (a count). */
  value?: Float32Array;
}

/** A metric as a ratio of sums over an arm's users; `denominator` 'users' or 'requests' counts those. */
export interface AbMetric {
  name: string;
  numerator: string;
  denominator: string;
}

/** Options of `simulateAB`; defaults in `AB_DEFAULTS`. */
export interface AbOptions {
  /** Requests per user. */
  requests: number;
  /** Candidates drawn from the user's pool per request (all when the pool is smaller). */
  candidates: number;
  /** Candidates shown per request. */
  slots: number;
  /** Bootstrap resamples for the confidence interval. */
  bootstrap: number;
  /** Confidence level. */
  level: number;
  seed: number;
}
/** Defaults: 20 requests per user, 10 candidates, 3 slots, 1000 bootstrap resamples, 95% intervals, seed 0. */
export const AB_DEFAULTS: AbOptions = { requests: 20, candidates: 10, slots: 3, bootstrap: 1000, level: 0.95, seed: 0 };

/** One metric's outcome, in the report's `abTests` shape. */
export interface AbResult {
  metric: string;
  experiment: string;
  control: number;
  treatment: number;
  liftPct: number;
  ciLow: number;
  ciHigh: number;
  level: number;
  /** Users per arm (the smaller arm). */
  requests: number;
}

/**
 * Runs the simulated A/B test of two policies over a pool.
 * @param pool.groups user id per pool row; @param pool.steps the outcome funnel;
 * @param policies.control / treatment scores per pool row (higher is shown first).
 * @example
 * simulateAB({ groups: users, steps: [{ name: 'click', p: pCtr }, { name: 'conversion', p: pCvr, given: 'click' }] },
 *   { name: 'ChorusCVR vs DCMT', control: dcmtScores, treatment: chorusScores },
 *   [{ name: 'conversions per user', numerator: 'conversion', denominator: 'users' }], { requests: 10 });
 */
export function simulateAB(
  pool: { groups: ArrayLike<number>; steps: FunnelStep[] },
  policies: { name: string; control: Float32Array; treatment: Float32Array },
  metrics: AbMetric[],
  options: Partial<AbOptions> = {},
): AbResult[] {
  for (const k of Object.keys(options)) if (!(k in AB_DEFAULTS)) throw new Error(`simulateAB: unknown option '${k}' (known: ${Object.keys(AB_DEFAULTS).join(', ')})`);
  const o = { ...AB_DEFAULTS, ...options };
  const n = pool.groups.length;
  const stepNames = pool.steps.map((s) => s.name);
  for (const s of pool.steps) {
    if (s.p.length !== n) throw new Error(`simulateAB: step '${s.name}' has ${s.p.length} probabilities for ${n} pool rows`);
    if (s.value !== undefined && s.value.length !== n) throw new Error(`simulateAB: step '${s.name}' has ${s.value.length} values for ${n} pool rows`);
    if (s.given !== undefined && !stepNames.slice(0, stepNames.indexOf(s.name)).includes(s.given)) throw new Error(`simulateAB: step '${s.name}' is given '${s.given}', which is not an earlier step`);
  }
  for (const [arm, sc] of [['control', policies.control], ['treatment', policies.treatment]] as const) {
    if (sc.length !== n) throw new Error(`simulateAB: ${arm} has ${sc.length} scores for ${n} pool rows`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(sc[i])) throw new Error(`simulateAB: ${arm} score of pool row ${i} is ${sc[i]}`);
  }
  const counted = new Set([...stepNames, 'users', 'requests']);
  for (const m of metrics) for (const part of [m.numerator, m.denominator]) if (!counted.has(part)) throw new Error(`simulateAB: metric '${m.name}' uses '${part}', not a step, 'users' or 'requests'`);

  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = pool.groups[i];
    const list = rowsOf.get(g);
    if (list) list.push(i);
    else rowsOf.set(g, [i]);
  }
  const rng = new Rng(o.seed);
  const users = rng.shuffle(Int32Array.from(rowsOf.keys()));
  const half = Math.floor(users.length / 2);
  if (half < 2) throw new Error(`simulateAB: the pool has ${users.length} users; need at least 4`);
  const arms = { control: users.subarray(0, half), treatment: users.subarray(half) };

  // Per user counts of every step plus users (1) and requests.
  const totals = (armUsers: Int32Array, scores: Float32Array): Record<string, Float64Array> => {
    const t: Record<string, Float64Array> = { users: new Float64Array(armUsers.length).fill(1), requests: new Float64Array(armUsers.length).fill(o.requests) };
    for (const s of stepNames) t[s] = new Float64Array(armUsers.length);
    armUsers.forEach((u, ui) => {
      const rows = rowsOf.get(u) as number[];
      for (let r = 0; r < o.requests; r++) {
        const cand = rows.length <= o.candidates ? rows.slice() : Array.from(rng.shuffle(Int32Array.from(rows)).subarray(0, o.candidates));
        cand.sort((a, b) => scores[b] - scores[a] || a - b);
        for (const row of cand.slice(0, o.slots)) {
          const happened = new Set<string>();
          for (const s of pool.steps) {
            if (s.given !== undefined && !happened.has(s.given)) continue;
            if (rng.bernoulli(s.p[row])) {
              happened.add(s.name);
              t[s.name][ui] += s.value ? s.value[row] : 1;
            }
          }
        }
      }
    });
    return t;
  };
  const c = totals(arms.control, policies.control);
  const tr = totals(arms.treatment, policies.treatment);

  const sum = (a: Float64Array, idx?: Int32Array) => {
    let s = 0;
    if (idx) for (let i = 0; i < idx.length; i++) s += a[idx[i]];
    else for (let i = 0; i < a.length; i++) s += a[i];
    return s;
  };
  return metrics.map((m) => {
    const control = sum(c[m.numerator]) / sum(c[m.denominator]);
    const treatment = sum(tr[m.numerator]) / sum(tr[m.denominator]);
    if (!(control > 0)) throw new Error(`simulateAB: metric '${m.name}' is ${control} in the control arm; a lift needs a positive control (more requests or users?)`);
    const lifts = new Float64Array(o.bootstrap);
    const bootRng = new Rng(o.seed + 1);
    const ic = new Int32Array(arms.control.length);
    const it = new Int32Array(arms.treatment.length);
    for (let b = 0; b < o.bootstrap; b++) {
      for (let i = 0; i < ic.length; i++) ic[i] = bootRng.int(ic.length);
      for (let i = 0; i < it.length; i++) it[i] = bootRng.int(it.length);
      const cb = sum(c[m.numerator], ic) / sum(c[m.denominator], ic);
      const tb = sum(tr[m.numerator], it) / sum(tr[m.denominator], it);
      lifts[b] = (100 * (tb - cb)) / cb;
    }
    const finite = Array.from(lifts).filter(Number.isFinite);
    const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
    const se = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(finite.length - 1, 1));
    const liftPct = (100 * (treatment - control)) / control;
    const z = normalQuantile(1 - (1 - o.level) / 2);
    return {
      metric: m.name,
      experiment: policies.name,
      control,
      treatment,
      liftPct,
      ciLow: liftPct - z * se,
      ciHigh: liftPct + z * se,
      level: o.level,
      requests: Math.min(arms.control.length, arms.treatment.length),
    };
  });
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9).
 * @example
 * normalQuantile(0.975); // 1.959963...
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must lie in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo || p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
    const x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < lo ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
