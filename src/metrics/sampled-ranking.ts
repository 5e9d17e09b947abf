/**
 * Leave-one-out ranking evaluation of the NCF / UniCDR line: each test (user, item) pair is ranked against a fixed set of
 * sampled negatives (999 by default) or against the whole catalogue ("full ranking"), then HR@K, NDCG@K and MRR come
 * from `topK` (ties count against the positive).
 *
 * Negatives (UniCDR spec §6 open point, its Proposal): drawn from the items the user has NEVER interacted with in any
 * split (train, valid or test), without replacement within a row, from a generator seeded per run, so every model is
 * ranked on identical candidate lists. Full ranking: every item of the domain except the user's training items (and
 * valid items when given), the positive kept.
 */
import { Rng } from '../random.ts';
import { topK, type TopKMetrics } from './topk.ts';

/** Candidate lists: `items` is (N, C) row-major, column 0 the positive, the other C-1 sampled negatives. */
export interface CandidateLists {
  items: Int32Array;
  /** Row length C (1 + negatives). */
  nCandidates: number;
  /** Row count N. */
  rows: number;
}

/**
 * Draws `negatives` items per test pair from the items the user never interacted with (in any split).
 * @param pairs - the test pairs: `users[n]`, `positives[n]` (item ids in [0, nItems)).
 * @param interacted - every item the user touched in any split: `interacted(user)` returns a set (may be empty).
 * @param options.nItems - catalogue size; options.negatives - per row (default 999); options.seed - the run's seed.
 * @returns the (N, 1 + negatives) candidate lists.
 * @throws if a user has fewer than `negatives` non-interacted items, naming the user and row.
 * @example
 * const c = sampleNegatives({ users: [0], positives: [3] }, () => new Set([3, 4]), { nItems: 10, negatives: 5, seed: 1 });
 * c.items.length; // 6, c.items[0] === 3 and none of the others is 3 or 4
 */
export function sampleNegatives(
  pairs: { users: ArrayLike<number>; positives: ArrayLike<number> },
  interacted: (user: number) => ReadonlySet<number>,
  options: { nItems: number; negatives?: number; seed: number },
): CandidateLists {
  const neg = options.negatives ?? 999;
  const { nItems } = options;
  if (!Number.isInteger(neg) || neg < 1) throw new Error(`sampleNegatives: negatives is ${neg}; must be an integer >= 1`);
  if (pairs.users.length !== pairs.positives.length) throw new Error(`sampleNegatives: ${pairs.users.length} users but ${pairs.positives.length} positives`);
  const N = pairs.users.length;
  const C = neg + 1;
  const out = new Int32Array(N * C);
  const rng = new Rng(options.seed);
  const taken = new Set<number>();
  for (let n = 0; n < N; n++) {
    const u = pairs.users[n];
    const pos = pairs.positives[n];
    if (!(pos >= 0 && pos < nItems)) throw new Error(`sampleNegatives: row ${n} (user ${u}): positive item ${pos} is outside [0, ${nItems})`);
    const seen = interacted(u);
    const free = nItems - seen.size - (seen.has(pos) ? 0 : 1);
    if (free < neg) throw new Error(`sampleNegatives: row ${n}: user ${u} has only ${free} non-interacted items of ${nItems}, fewer than ${neg} negatives`);
    out[n * C] = pos;
    taken.clear();
    for (let j = 1; j < C; j++) {
      let i = rng.int(nItems);
      while (i === pos || seen.has(i) || taken.has(i)) i = rng.int(nItems); // rejection; free >= neg keeps it finite
      taken.add(i);
      out[n * C + j] = i;
    }
  }
  return { items: out, nCandidates: C, rows: N };
}

/**
 * HR@K, NDCG@K and MRR of scores on candidate lists (column 0 the positive).
 * @param scores - (N, C) scores, same layout as `lists.items`.
 * @example
 * sampledRanking(new Float32Array([0.9, 0.1, 0.2]), { items: new Int32Array([5, 1, 2]), nCandidates: 3, rows: 1 }, 1).hr; // 1
 */
export function sampledRanking(scores: Float32Array, lists: CandidateLists, k = 10): TopKMetrics {
  if (scores.length !== lists.items.length) throw new Error(`sampledRanking: ${scores.length} scores for ${lists.items.length} candidates`);
  return topK(scores, lists.nCandidates, k);
}

/**
 * Full ranking: the positive against every item of the catalogue except the user's excluded items (training items;
 * the positive itself is never excluded). Excluded items get -Infinity, so they never outrank the positive.
 * @param scores - (N, nItems) scores of every item for each test row.
 * @param positives - (N) the positive item per row.
 * @param excluded - per row, the items to leave out.
 * @example
 * fullRanking(new Float32Array([0.1, 0.9, 0.5]), [2], [new Set([1])], 3, 1).hr; // 1 (item 1 is excluded)
 */
export function fullRanking(scores: Float32Array, positives: ArrayLike<number>, excluded: ReadonlyArray<ReadonlySet<number>>, nItems: number, k = 10): TopKMetrics {
  const N = positives.length;
  if (scores.length !== N * nItems) throw new Error(`fullRanking: ${scores.length} scores, expected ${N} rows x ${nItems} items`);
  if (excluded.length !== N) throw new Error(`fullRanking: ${excluded.length} exclusion sets for ${N} rows`);
  const rows = new Float32Array(N * nItems);
  for (let n = 0; n < N; n++) {
    const pos = positives[n];
    if (!(pos >= 0 && pos < nItems)) throw new Error(`fullRanking: row ${n}: positive item ${pos} is outside [0, ${nItems})`);
    const base = n * nItems;
    rows[base] = scores[base + pos];
    let j = 1;
    for (let i = 0; i < nItems; i++) {
      if (i === pos) continue;
      rows[base + j++] = excluded[n].has(i) ? -Infinity : scores[base + i];
    }
  }
  return topK(rows, nItems, Math.min(k, nItems));
}
