/**
 * Ranking metrics on sampled candidate lists (the "1 positive + C-1 sampled negatives" protocol of NCF, He et al.,
 * WWW 2017, and the sequential-recommendation papers that follow it).
 *
 * For each user row, rank = 1 + #{negatives with score > positive} + #{negatives with score == positive}:
 * ties count against the positive (the pessimistic convention), so a model that outputs a constant gets rank C rather
 * than rank 1. Then, averaged over users,
 *   HR@K   = mean(rank ≤ K)
 *   NDCG@K = mean(rank ≤ K ? 1 / log2(rank + 1) : 0)   (one relevant item, so IDCG = 1)
 *   MRR    = mean(1 / rank)                             (full reciprocal rank, not truncated at K)
 */

/** Result of {@link topK}: metrics averaged over `users` rows. */
export interface TopKMetrics {
  /** Hit ratio @K: fraction of rows whose positive ranks in the top K. */
  hr: number;
  /** NDCG @K with a single relevant item. */
  ndcg: number;
  /** Mean reciprocal rank over the whole list (not truncated at K). */
  mrr: number;
  /** Number of rows (users) averaged. */
  users: number;
}

/**
 * HR@K, NDCG@K and MRR of candidate-list scores, positive in column 0 of each row.
 *
 * Comparisons are done on the values as stored, so a Float32Array is ranked in float32 (as the model produced it).
 *
 * @param scores - (U, C) row-major scores: row u holds the positive's score then C-1 negatives' scores. NaN is an
 *   error; ±Infinity is allowed (e.g. masked candidates).
 * @param nCandidates - C, the row length, an integer ≥ 2.
 * @param k - cut-off K, an integer with 1 ≤ K ≤ C.
 * @returns `{ hr, ndcg, mrr, users }`.
 * @throws if C or K is invalid, the length is not a positive multiple of C, or a score is NaN (naming row/column).
 * @example
 * // user 0: positive 0.9 beats both negatives (rank 1); user 1: one negative above, one tied (rank 3)
 * topK([0.9, 0.1, 0.3, 0.5, 0.7, 0.5], 3, 2); // { hr: 0.5, ndcg: 0.5, mrr: 2 / 3, users: 2 }
 */
export function topK(scores: Float32Array | number[], nCandidates: number, k: number): TopKMetrics {
  const C = nCandidates;
  if (!Number.isInteger(C) || C < 2) {
    throw new Error(`topK: nCandidates is ${C}; must be an integer >= 2 (the positive plus at least one negative)`);
  }
  if (!Number.isInteger(k) || k < 1 || k > C) {
    throw new Error(`topK: k is ${k}; must be an integer with 1 <= k <= nCandidates (${C})`);
  }
  if (scores.length === 0 || scores.length % C !== 0) {
    throw new Error(`topK: scores has length ${scores.length}, not a positive multiple of nCandidates (${C})`);
  }
  const U = scores.length / C;
  let hits = 0;
  let dcg = 0;
  let rr = 0;
  for (let u = 0; u < U; u++) {
    const row = u * C;
    const pos = scores[row];
    if (Number.isNaN(pos)) throw new Error(`topK: score at row ${u}, column 0 (the positive) is NaN`);
    let rank = 1;
    for (let j = 1; j < C; j++) {
      const s = scores[row + j];
      if (Number.isNaN(s)) throw new Error(`topK: score at row ${u}, column ${j} is NaN`);
      if (s >= pos) rank++; // ties count against the positive
    }
    if (rank <= k) {
      hits++;
      dcg += 1 / Math.log2(rank + 1);
    }
    rr += 1 / rank;
  }
  return { hr: hits / U, ndcg: dcg / U, mrr: rr / U, users: U };
}
