/**
 * QARM's quantitative codes (spec ../shared/papers/qarm.md §3.2) and their statistics.
 *   VQ code: a pool of N item embeddings is the codebook; item i's code is the bag of the indices of its k = 25
 *     nearest pool items by cosine (an item in the pool counts itself: spec open point, proposal "include self").
 *   RQ code: RQ-Kmeans (./kmeans.ts or the PyTorch twin), (c_1(i), ..., c_L(i)).
 * `codeTable` turns codes into the ranker's lookup tables by item id (row 0 = padding, code ids shifted by +1).
 */
import { Rng } from '../random.ts';

/**
 * VQ codes: `codes` Int32 (n, k) pool positions (best first) and `pool` Int32 (N) the item rows of the pool
 * (N = min(n, poolSize), a seeded random sample). emb (n, d) rows are L2-normalised inside.
 * @example
 * const vq = vqCodes(aligned, n, 32, { k: 25 }); vq.codes.length === n * 25; // true
 */
export function vqCodes(emb: Float32Array, n: number, d: number, options: { k?: number; poolSize?: number; seed?: number } = {}): { codes: Int32Array; pool: Int32Array; k: number } {
  const k = options.k ?? 25;
  const N = Math.min(n, options.poolSize ?? 100_000);
  if (k > N) throw new Error(`vqCodes: k (${k}) exceeds the pool size (${N})`);
  const x = Float32Array.from(emb);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] ** 2;
    const norm = Math.sqrt(s) + 1e-12;
    for (let t = 0; t < d; t++) x[i * d + t] /= norm;
  }
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const pool = N === n ? all : Int32Array.from(new Rng(options.seed ?? 0).shuffle(all).subarray(0, N)).sort();
  const codes = new Int32Array(n * k);
  const topS = new Float64Array(k);
  const topI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    topS.fill(-Infinity);
    topI.fill(-1);
    for (let p = 0; p < N; p++) {
      const j = pool[p];
      let s = 0;
      for (let t = 0; t < d; t++) s += x[i * d + t] * x[j * d + t];
      if (s <= topS[k - 1]) continue;
      let q = k - 1;
      while (q > 0 && topS[q - 1] < s) {
        topS[q] = topS[q - 1];
        topI[q] = topI[q - 1];
        q--;
      }
      topS[q] = s;
      topI[q] = p;
    }
    codes.set(topI, i * k);
  }
  return { codes, pool, k };
}

/** Statistics of one code assignment (one code per item = the whole tuple or bag). */
export interface CodeStats {
  /** Share of items whose code equals another item's code (spec: 78% in QARM v1 shopping data, unverified). */
  shareSharing: number;
  /** Mean number of items per distinct code (= what a code lookup returns per used code). */
  itemsPerCode: number;
  /** Items returned by a lookup of an item's own code, averaged over items (spec: 129, unverified). */
  itemsPerLookup: number;
  distinctCodes: number;
  /** Per position: used ids / codebook size. */
  utilisation: number[];
}

/**
 * Statistics of codes (n, width): the code of an item is its whole row (the tuple for RQ; for VQ the bag, order
 * ignored when `bag`); utilisation per position against `codebook` ids (for a bag, one figure over all positions).
 * @example
 * codeStats(rq.codes, n, 6, { codebook: 64 }).shareSharing; // e.g. 0.12
 */
export function codeStats(codes: Int32Array, n: number, width: number, options: { codebook: number; bag?: boolean }): CodeStats {
  const count = new Map<string, number>();
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(codes.subarray(i * width, (i + 1) * width));
    const key = (options.bag ? row.sort((a, b) => a - b) : row).join(',');
    keys.push(key);
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  let sharing = 0;
  let lookup = 0;
  for (const key of keys) {
    const c = count.get(key) as number;
    if (c > 1) sharing++;
    lookup += c;
  }
  const positions = options.bag ? [Array.from({ length: width }, (_, p) => p)] : Array.from({ length: width }, (_, p) => [p]);
  const utilisation = positions.map((ps) => {
    const used = new Set<number>();
    for (let i = 0; i < n; i++) for (const p of ps) used.add(codes[i * width + p]);
    return used.size / options.codebook;
  });
  return { shareSharing: sharing / n, itemsPerCode: n / count.size, itemsPerLookup: lookup / n, distinctCodes: count.size, utilisation };
}

/**
 * The ranker's lookup table of codes by item id: Int32 (n + 1, width); row 0 (padding) is all 0 and code c at
 * position p becomes 1 + p * perPosition + c (perPosition = the codebook size for RQ's per-level tables, 0 for a VQ
 * bag that shares one table), so 0 stays padding.
 * @example
 * codeTable(rq.codes, n, 6, 64); // ids in [1, 6 * 64]
 */
export function codeTable(codes: Int32Array, n: number, width: number, perPosition: number): Int32Array {
  const out = new Int32Array((n + 1) * width);
  for (let i = 0; i < n; i++) for (let p = 0; p < width; p++) out[(i + 1) * width + p] = 1 + p * perPosition + codes[i * width + p];
  return out;
}
