/**
 * k-means and RQ-Kmeans in TypeScript on Float32 rows (the twin of `kmeans` / `rq_kmeans` in
 * src/bridge/python/qarm.py; the qarm/main pipeline times both and records which is faster).
 *   RQ-Kmeans (spec §3.2): R <- M; for l in 1..L: C_l <- KMeans(R, K); c_l(i) <- argmin_k |R_i - C_l[k]|;
 *   R_i <- R_i - C_l[c_l(i)].  No training and no reconstruction loss.
 */
import { Rng } from '../random.ts';

/** Options of `kmeans`; defaults in `KMEANS_DEFAULTS`. */
export interface KMeansOptions {
  iters: number;
  seed: number;
}
/** Defaults: 20 Lloyd iterations, seed 0. */
export const KMEANS_DEFAULTS: KMeansOptions = { iters: 20, seed: 0 };

function nearest(x: Float32Array, i: number, c: Float32Array, k: number, d: number): { arg: number; dist: number } {
  let best = Infinity;
  let arg = 0;
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) {
      const diff = x[i * d + t] - c[j * d + t];
      s += diff * diff;
    }
    if (s < best) [best, arg] = [s, j];
  }
  return { arg, dist: best };
}

/**
 * Lloyd's k-means (squared Euclidean) with k-means++ seeding; an empty cluster is re-seeded at the point farthest from
 * its centroid. x is (n, d) row-major.
 * @example
 * const { centroids, assign } = kmeans(x, 1000, 8, 16); // centroids (16, 8), assign Int32 (1000)
 */
export function kmeans(x: Float32Array, n: number, d: number, k: number, options: Partial<KMeansOptions> = {}): { centroids: Float32Array; assign: Int32Array } {
  const o = { ...KMEANS_DEFAULTS, ...options };
  if (x.length !== n * d) throw new Error(`kmeans: x has ${x.length} values, expected n * d = ${n * d}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`kmeans: k (${k}) must be an integer in [1, n = ${n}]`);
  const rng = new Rng(o.seed);
  const c = new Float32Array(k * d);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let j = 0; j < k; j++) {
    c.set(x.subarray(pick * d, (pick + 1) * d), j * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (x[i * d + t] - c[j * d + t]) ** 2;
      if (s < d2[i]) d2[i] = s;
    }
    pick = rng.categorical(d2);
  }
  const assign = new Int32Array(n);
  const dist = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let it = 0; it < o.iters; it++) {
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const { arg, dist: s } = nearest(x, i, c, k, d);
      assign[i] = arg;
      dist[i] = s;
      counts[arg]++;
      for (let t = 0; t < d; t++) sums[arg * d + t] += x[i * d + t];
    }
    for (let j = 0; j < k; j++) {
      if (counts[j] > 0) for (let t = 0; t < d; t++) c[j * d + t] = sums[j * d + t] / counts[j];
      else {
        let far = 0;
        for (let i = 1; i < n; i++) if (dist[i] > dist[far]) far = i;
        c.set(x.subarray(far * d, (far + 1) * d), j * d);
        dist[far] = 0;
      }
    }
  }
  for (let i = 0; i < n; i++) assign[i] = nearest(x, i, c, k, d).arg;
  return { centroids: c, assign };
}

/**
 * RQ-Kmeans codes: `levels` rounds of k-means on the residuals. codes Int32 (n, levels) in [0, k); centroids
 * (levels, k, d); `residualNorm[l]` = mean squared residual after level l (falls with l).
 * @example
 * const rq = rqKmeans(emb, n, 32, { levels: 6, k: 64 }); rq.codes.length === n * 6; // true
 */
export function rqKmeans(x: Float32Array, n: number, d: number, options: { levels?: number; k?: number; iters?: number; seed?: number } = {}): { codes: Int32Array; centroids: Float32Array; residualNorm: number[] } {
  const levels = options.levels ?? 6;
  const k = options.k ?? 256;
  const r = Float32Array.from(x);
  const codes = new Int32Array(n * levels);
  const centroids = new Float32Array(levels * k * d);
  const residualNorm: number[] = [];
  for (let l = 0; l < levels; l++) {
    const { centroids: c, assign } = kmeans(r, n, d, k, { iters: options.iters ?? KMEANS_DEFAULTS.iters, seed: (options.seed ?? 0) + l });
    centroids.set(c, l * k * d);
    let s = 0;
    for (let i = 0; i < n; i++) {
      codes[i * levels + l] = assign[i];
      for (let t = 0; t < d; t++) {
        r[i * d + t] -= c[assign[i] * d + t];
        s += r[i * d + t] ** 2;
      }
    }
    residualNorm.push(s / n);
  }
  return { codes, centroids, residualNorm };
}
