/**
 * Uncertainty that includes the test set: DeLong's variance of an AUC and of a paired AUC difference, a paired bootstrap
 * over test units (users or requests), the combination of seed variance with test-set sampling variance, and the
 * minimum detectable effect (MDE).
 *
 * DeLong (DeLong, DeLong & Clarke-Pearson 1988, Biometrics 44:837): with m positives x_i and n negatives y_j and
 * ψ(x, y) = 1 if x > y, 1/2 if x = y, 0 otherwise, the structural components are
 *   V10(x_i) = (1/n) Σ_j ψ(x_i, y_j),   V01(y_j) = (1/m) Σ_i ψ(x_i, y_j),
 * and Var(AUC) = S10 / m + S01 / n with S10, S01 their sample variances (ddof = 1). For two scorers on the same rows,
 * Var(AUC_a - AUC_b) = Var_a + Var_b - 2 (Cov10_ab / m + Cov01_ab / n). The components come from midranks in
 * O(N log N): V10(x_i) = (rank of x_i among all - rank of x_i among positives) / n.
 *
 * Seeds and the test set (see {@link combineSeedsAndTest}): the test set is shared by every seed, so its sampling error
 * does not average out over seeds. A per-seed paired difference d_s = δ + e_test + e_s gives
 *   Var(mean d) = σ²_seed / S + σ²_test,
 * estimated by the sample variance of d_s over S seeds and the mean within-seed test variance; the degrees of freedom
 * follow Welch–Satterthwaite (the test part counts as known, infinite df).
 *
 * Golden-tested against test/golden/evidence_reference.py (numpy, from the definitions).
 */
import { meanStd, studentTCdf } from '../metrics/index.ts';
import { Rng } from '../random.ts';

/**
 * Standard normal CDF Φ(z) = erfc(-z/√2) / 2, with erfc(x) = Q(1/2, x²) for x ≥ 0 (the regularized upper incomplete
 * gamma function): its series for x² < 1.5 and its continued fraction otherwise (Numerical Recipes §6.2), both to
 * ~1e-15 relative.
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = Math.abs(z) / Math.SQRT2;
  const upper = 0.5 * erfcNonNegative(x); // P(Z > |z|)
  return z >= 0 ? 1 - upper : upper;
}

const LN_SQRT_PI = 0.5 * Math.log(Math.PI);

/** erfc(x) for x ≥ 0 through Q(1/2, x²). */
function erfcNonNegative(x: number): number {
  const a = 0.5;
  const t = x * x;
  if (t === 0) return 1;
  if (!Number.isFinite(t)) return 0;
  if (t < 1.5) {
    // P(a, t) by its series; Q = 1 - P.
    let sum = 1 / a;
    let del = sum;
    for (let n = 1; n < 500; n++) {
      del *= t / (a + n);
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
    }
    return 1 - sum * Math.exp(-t + a * Math.log(t) - LN_SQRT_PI);
  }
  // Q(a, t) by its continued fraction (modified Lentz).
  const TINY = 1e-300;
  let b = t + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-t + a * Math.log(t) - LN_SQRT_PI) * h;
}

/** Inverse of a continuous increasing CDF on the real line by bisection (to 1e-12). */
function invert(cdf: (x: number) => number, p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`quantile: probability must be in (0, 1), got ${p}`);
  let lo = -1;
  let hi = 1;
  while (cdf(lo) > p) lo *= 2;
  while (cdf(hi) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = 0.5 * (lo + hi);
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Quantile of Student's t with `df` degrees of freedom; df = Infinity gives the standard normal quantile.
 * @example
 * tQuantile(0.975, Infinity); // 1.959963984540054
 * tQuantile(0.975, 4);        // 2.7764451051977987
 */
export function tQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new Error(`tQuantile: df is ${df}; must be positive`);
  return Number.isFinite(df) && df < 1e7 ? invert((t) => studentTCdf(t, df), p) : invert(normalCdf, p);
}

/** Two-sided p-value of a statistic z under Student's t with df (normal for df = Infinity). */
export function twoSidedP(z: number, df: number): number {
  if (Number.isNaN(z)) return 1;
  if (!Number.isFinite(z)) return 0;
  const tail = Number.isFinite(df) && df < 1e7 ? studentTCdf(-Math.abs(z), df) : normalCdf(-Math.abs(z));
  return Math.min(1, 2 * tail);
}

/** Midranks (1-based, ties share their mean rank) of `xs[idx[k]]`, returned in the order of `idx`. */
function midranks(xs: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  const n = idx.length;
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => xs[idx[a]] - xs[idx[b]]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && xs[idx[order[j + 1]]] === xs[idx[order[i]]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = mid;
    i = j + 1;
  }
  return r;
}

/** DeLong structural components of one scorer: v10 per positive, v01 per negative, and the AUC. */
function components(scores: ArrayLike<number>, pos: Int32Array, neg: Int32Array) {
  const all = Int32Array.from([...pos, ...neg]);
  const rAll = midranks(scores, all);
  const rPos = midranks(scores, pos);
  const rNeg = midranks(scores, neg);
  const m = pos.length;
  const n = neg.length;
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  for (let i = 0; i < m; i++) v10[i] = (rAll[i] - rPos[i]) / n; // (B) negatives below x_i, ties 1/2
  for (let j = 0; j < n; j++) v01[j] = 1 - (rAll[m + j] - rNeg[j]) / m; // (B) positives above y_j, ties 1/2
  let sum = 0;
  for (const v of v10) sum += v;
  return { v10, v01, auc: sum / m };
}

function splitClasses(fn: string, labels: ArrayLike<number>, ...scores: ArrayLike<number>[]): { pos: Int32Array; neg: Int32Array } {
  const pos: number[] = [];
  const neg: number[] = [];
  for (const s of scores) if (s.length !== labels.length) throw new Error(`${fn}: labels has length ${labels.length} but scores has length ${s.length}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos.push(i);
    else if (labels[i] === 0) neg.push(i);
    else throw new Error(`${fn}: label at index ${i} is ${labels[i]}; labels must be 0 or 1`);
    for (const s of scores) if (!Number.isFinite(s[i])) throw new Error(`${fn}: score at index ${i} is ${s[i]}; must be finite`);
  }
  if (pos.length < 2 || neg.length < 2) throw new Error(`${fn}: needs at least 2 positives and 2 negatives (got ${pos.length} and ${neg.length})`);
  return { pos: Int32Array.from(pos), neg: Int32Array.from(neg) };
}

function cov(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] - ma) * (b[i] - mb);
  return s / (n - 1);
}

/** An estimate with its test-sampling variance. */
export interface Estimate {
  value: number;
  variance: number;
  /** √variance. */
  se: number;
}

/**
 * AUC with DeLong's variance.
 * @param labels - (N) 0/1 labels, at least 2 of each class.
 * @param scores - (N) finite scores.
 * @example
 * deLongAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // { value: 0.75, variance: ..., se: ... }
 */
export function deLongAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): Estimate {
  const { pos, neg } = splitClasses('deLongAuc', labels, scores);
  const c = components(scores, pos, neg);
  const variance = cov(c.v10, c.v10) / pos.length + cov(c.v01, c.v01) / neg.length;
  return { value: c.auc, variance, se: Math.sqrt(variance) };
}

/**
 * Paired AUC difference AUC(a) - AUC(b) on the same rows, with DeLong's variance of the difference.
 * @example
 * deLongPaired(labels, scoresA, scoresB).se; // test-sampling SE of the difference
 */
export function deLongPaired(labels: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): Estimate {
  const { pos, neg } = splitClasses('deLongPaired', labels, a, b);
  const ca = components(a, pos, neg);
  const cb = components(b, pos, neg);
  const m = pos.length;
  const n = neg.length;
  const variance =
    (cov(ca.v10, ca.v10) + cov(cb.v10, cb.v10) - 2 * cov(ca.v10, cb.v10)) / m +
    (cov(ca.v01, ca.v01) + cov(cb.v01, cb.v01) - 2 * cov(ca.v01, cb.v01)) / n;
  return { value: ca.auc - cb.auc, variance: Math.max(0, variance), se: Math.sqrt(Math.max(0, variance)) };
}

/**
 * Each row's influence on an AUC: its DeLong structural component minus the AUC (v10 − AUC for a positive, v01 − AUC
 * for a negative), scaled by 1/√(m(m−1)) for positives and 1/√(n(n−1)) for negatives so that the sum of squares is
 * exactly DeLong's variance. Influences of several AUCs on the same rows add: the sum of squares of (influence of
 * AUC_a − influence of AUC_b) is DeLong's paired variance, and of the mean over tasks of the influences is the variance
 * of the mean AUC with the tasks' covariance counted (see {@link deLongMeanAuc}).
 * @param labels - (N) 0/1 labels, at least 2 of each class; scores - (N) finite scores.
 * @example
 * aucInfluence(y, p).influence.reduce((s, x) => s + x * x, 0); // = deLongAuc(y, p).variance
 */
export function aucInfluence(labels: ArrayLike<number>, scores: ArrayLike<number>): { auc: number; influence: Float64Array } {
  const { pos, neg } = splitClasses('aucInfluence', labels, scores);
  const c = components(scores, pos, neg);
  const m = pos.length;
  const q = neg.length;
  const influence = new Float64Array(labels.length);
  const sp = 1 / Math.sqrt(m * (m - 1));
  const sn = 1 / Math.sqrt(q * (q - 1));
  for (let i = 0; i < m; i++) influence[pos[i]] = sp * (c.v10[i] - c.auc);
  for (let j = 0; j < q; j++) influence[neg[j]] = sn * (c.v01[j] - c.auc);
  return { auc: c.auc, influence };
}

/**
 * Mean over tasks of AUC(a) − AUC(b) (or of AUC(a) alone when `b` is absent), every task scored on the same N rows,
 * with a variance that counts the covariance between the tasks and between the two scorers: the statistic's influence
 * per row is the mean over tasks of (influence under a − influence under b) ({@link aucInfluence}), and the variance is
 * the sum over rows of its square. One task alone gives exactly DeLong's variance (deLongAuc / deLongPaired).
 * Averaging per-task SEs as if the tasks were independent (√(Σ se²)/K) is too small when the tasks' labels are
 * correlated on the same rows; adding the two scorers' SEs is too large when their scores are correlated.
 * @param tasks - per task: (N) 0/1 labels (at least 2 of each class) and (N) finite scores; every task the same N.
 * @example
 * deLongMeanAuc([{ labels: yClick, a: pClickA, b: pClickB }, { labels: yLike, a: pLikeA, b: pLikeB }]).se;
 */
export function deLongMeanAuc(tasks: ReadonlyArray<{ labels: ArrayLike<number>; a: ArrayLike<number>; b?: ArrayLike<number> }>): Estimate {
  if (!tasks.length) throw new Error('deLongMeanAuc: no tasks');
  const n = tasks[0].labels.length;
  const parts = tasks.flatMap((t, k) => {
    if (t.labels.length !== n) throw new Error(`deLongMeanAuc: task ${k} has ${t.labels.length} rows, task 0 has ${n}; every task must score the same rows`);
    return [{ ...aucInfluence(t.labels, t.a), sign: 1 as const }, ...(t.b ? [{ ...aucInfluence(t.labels, t.b), sign: -1 as const }] : [])];
  });
  return meanOfInfluences(parts, tasks.length);
}

/**
 * The estimate Σ sign·auc / K with the variance of the summed influences (all on the same rows): the common core of
 * {@link deLongMeanAuc} and of callers that keep influences from earlier scoring.
 * @example
 * meanOfInfluences([{ ...aucInfluence(y, a), sign: 1 }, { ...aucInfluence(y, b), sign: -1 }], 1); // deLongPaired(y, a, b)
 */
export function meanOfInfluences(parts: ReadonlyArray<{ auc: number; influence: Float64Array; sign: 1 | -1 }>, K: number): Estimate {
  if (!parts.length) throw new Error('meanOfInfluences: no parts');
  const n = parts[0].influence.length;
  const total = new Float64Array(n);
  let value = 0;
  for (const [k, p] of parts.entries()) {
    if (p.influence.length !== n) throw new Error(`meanOfInfluences: part ${k} has ${p.influence.length} rows, part 0 has ${n}`);
    value += (p.sign * p.auc) / K;
    for (let i = 0; i < n; i++) total[i] += (p.sign * p.influence[i]) / K;
  }
  let variance = 0;
  for (const x of total) variance += x * x;
  return { value, variance, se: Math.sqrt(variance) };
}

/** Result of {@link pairedBootstrap}. */
export interface BootstrapResult extends Estimate {
  /** 2.5% and 97.5% percentiles of the replicated differences (linear interpolation, numpy's default). */
  ci: [number, number];
  replicates: number;
}

/**
 * Paired bootstrap of a difference statistic over test units (users or requests): each replicate draws units with
 * replacement, takes all their rows, and evaluates `statistic(rows)` (typically metric(A) - metric(B) on those rows, so
 * both scorers see the same resample). The variance is the replicates' sample variance (ddof = 1).
 *
 * @param unitOfRow - (N) the unit (user id, request id) of each test row; any integers.
 * @param statistic - the difference on a set of row indices (rows may repeat).
 * @param options.replicates - number of resamples (default 1000); options.seed - resampling seed (default 1);
 *   options.draws - explicit resamples (replicates x units, indices into the sorted distinct units) for golden tests.
 * @example
 * pairedBootstrap(users, (rows) => auc(pick(y, rows), pick(a, rows)) - auc(pick(y, rows), pick(b, rows)));
 */
export function pairedBootstrap(
  unitOfRow: ArrayLike<number>,
  statistic: (rows: Int32Array) => number,
  options: { replicates?: number; seed?: number; draws?: ReadonlyArray<ArrayLike<number>> } = {},
): BootstrapResult {
  const byUnit = new Map<number, number[]>();
  for (let i = 0; i < unitOfRow.length; i++) {
    const u = unitOfRow[i];
    let rows = byUnit.get(u);
    if (!rows) byUnit.set(u, (rows = []));
    rows.push(i);
  }
  const units = [...byUnit.keys()].sort((a, b) => a - b).map((u) => byUnit.get(u) as number[]);
  const k = units.length;
  if (k < 2) throw new Error(`pairedBootstrap: needs at least 2 units, got ${k}`);
  const rng = new Rng(options.seed ?? 1);
  const reps = options.draws ? options.draws.length : (options.replicates ?? 1000);
  if (!(reps >= 2)) throw new Error(`pairedBootstrap: needs at least 2 replicates, got ${reps}`);
  const all = Int32Array.from({ length: unitOfRow.length }, (_, i) => i);
  const values = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    const draw = options.draws?.[r];
    if (draw && draw.length !== k) throw new Error(`pairedBootstrap: draw ${r} has ${draw.length} units, expected ${k}`);
    const rows: number[] = [];
    for (let j = 0; j < k; j++) rows.push(...units[draw ? draw[j] : rng.int(k)]);
    values[r] = statistic(Int32Array.from(rows));
  }
  const { mean, std } = meanStd(Array.from(values));
  void mean;
  const sorted = Array.from(values).sort((a, b) => a - b);
  const pct = (q: number) => {
    const h = (reps - 1) * q;
    const lo = Math.floor(h);
    return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, reps - 1)] ?? sorted[lo]) - sorted[lo]);
  };
  return { value: statistic(all), variance: std * std, se: std, ci: [pct(0.025), pct(0.975)], replicates: reps };
}

/**
 * Minimum detectable effect of a two-sided test at level alpha with the given power:
 *   MDE = (q_{1-alpha/2} + q_{power}) · SE, with t quantiles at df (normal when df = Infinity).
 * At alpha 0.05, power 0.8, df = ∞ the factor is 2.8016.
 * @example
 * minimumDetectableEffect(0.01); // 0.028016...
 */
export function minimumDetectableEffect(se: number, options: { df?: number; alpha?: number; power?: number } = {}): number {
  const { df = Infinity, alpha = 0.05, power = 0.8 } = options;
  return (tQuantile(1 - alpha / 2, df) + tQuantile(power, df)) * se;
}

/** A paired comparison over seeds that includes the test set's sampling error. */
export interface Comparison {
  /** Mean over seeds of the per-seed difference (method - base, in the metric's own units). */
  diff: number;
  /** Standard error of `diff`: √(seed variance / S + test variance). */
  se: number;
  /** Welch–Satterthwaite degrees of freedom (Infinity when the seed part is 0 or there is one seed). */
  df: number;
  ci: [number, number];
  /** Two-sided p-value of diff = 0; null with one seed (no test, as the evidence rules say). */
  p: number | null;
  /** Minimum detectable effect at alpha 0.05, power 0.8. */
  mde: number;
  seeds: number;
  /** The two parts of se², for the reader: seed variance / S and test variance. */
  seedVariance: number;
  testVariance: number;
}

/**
 * Combines per-seed paired differences with their within-seed test-sampling variances (see the file header).
 * @param diffs - (S) per-seed differences method - base.
 * @param testVariances - (S) test-sampling variance of each difference (DeLong or bootstrap); null when unknown (the
 *   comparison then rests on the seed variance alone and says so through testVariance = NaN).
 * @example
 * combineSeedsAndTest([0.011, 0.013, 0.012, 0.010, 0.014], [1e-6, 1e-6, 1e-6, 1e-6, 1e-6]).ci;
 */
export function combineSeedsAndTest(diffs: number[], testVariances: number[] | null): Comparison {
  const s = diffs.length;
  if (s === 0) throw new Error('combineSeedsAndTest: no seeds');
  if (testVariances && testVariances.length !== s) throw new Error(`combineSeedsAndTest: ${s} differences but ${testVariances.length} test variances`);
  const { mean, std } = meanStd(diffs);
  const seedVariance = s >= 2 ? (std * std) / s : 0;
  const testVariance = testVariances ? testVariances.reduce((a, b) => a + b, 0) / s : Number.NaN;
  const tv = Number.isNaN(testVariance) ? 0 : testVariance;
  const total = seedVariance + tv;
  const se = Math.sqrt(total);
  const df = seedVariance > 0 && s >= 2 ? (total * total * (s - 1)) / (seedVariance * seedVariance) : Infinity;
  if (s < 2 && tv === 0) return { diff: mean, se: Number.NaN, df, ci: [Number.NaN, Number.NaN], p: null, mde: Number.NaN, seeds: s, seedVariance, testVariance };
  const q = tQuantile(0.975, df);
  const p = s < 2 ? null : se === 0 ? (mean === 0 ? 1 : 0) : twoSidedP(mean / se, df);
  return { diff: mean, se, df, ci: [mean - q * se, mean + q * se], p, mde: minimumDetectableEffect(se, { df }), seeds: s, seedVariance, testVariance };
}
