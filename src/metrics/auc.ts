/**
 * ROC AUC for binary labels, computed exactly from ranks (Mann-Whitney U).
 *
 * AUC = P(score of a random positive > score of a random negative) + 0.5 · P(tie), which is what the trapezoidal
 * ROC area (scikit-learn `roc_auc_score`) gives. Sorting makes it O(n log n). Shared validation helpers used by the
 * other metrics live here too; they are not re-exported from the package index.
 */

/**
 * Throws unless `labels` and `values` have the same non-zero length and every label is exactly 0 or 1.
 *
 * @internal Shared by auc, gauc/uauc and logloss so that their messages read the same.
 * @param fn - name of the calling metric, used as the message prefix.
 * @param labels - (N) binary labels.
 * @param values - (N) the scores or probabilities paired with the labels.
 * @param valuesName - what `values` is called in messages (default `'scores'`).
 * @example
 * checkBinaryInputs('auc', [0, 1], [0.2, 0.7]); // passes
 */
export function checkBinaryInputs(
  fn: string,
  labels: ArrayLike<number>,
  values: ArrayLike<number>,
  valuesName = 'scores',
): void {
  if (labels.length !== values.length) {
    throw new Error(`${fn}: labels has length ${labels.length} but ${valuesName} has length ${values.length}`);
  }
  if (labels.length === 0) throw new Error(`${fn}: empty input (no labels)`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new Error(`${fn}: label at index ${i} is ${y}; labels must be 0 or 1`);
  }
}

/**
 * Throws unless every value is a finite number (no NaN, no ±Infinity).
 *
 * @internal
 * @param fn - name of the calling metric, used as the message prefix.
 * @param name - what `values` is called in messages.
 * @param values - (N) numbers to check.
 * @example
 * checkFinite('auc', 'scores', [0.1, 0.2]); // passes
 */
export function checkFinite(fn: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${fn}: ${name} at index ${i} is ${values[i]}; must be finite`);
  }
}

/**
 * Counts for the AUC of the samples `order[start..end)`, which must be sorted by ascending score.
 *
 * @internal Used by {@link auc} and by the grouped AUCs, which sort once by (group, score).
 * @returns `nPos`, `nNeg` and `u`, the Mann-Whitney count of (positive, negative) pairs ordered correctly, ties
 *   counting 1/2; AUC = u / (nPos · nNeg) when both counts are positive.
 * @example
 * aucCounts([0, 1], [0.1, 0.9], Uint32Array.of(0, 1), 0, 2); // { nPos: 1, nNeg: 1, u: 1 }
 */
export function aucCounts(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  order: Uint32Array,
  start: number,
  end: number,
): { nPos: number; nNeg: number; u: number } {
  let nPos = 0;
  let nNeg = 0;
  let u = 0;
  for (let i = start; i < end; ) {
    // One block of tied scores: each positive in it beats the negatives below and ties half of those inside.
    const s = scores[order[i]];
    let pos = 0;
    let neg = 0;
    for (; i < end && scores[order[i]] === s; i++) {
      if (labels[order[i]] === 1) pos++;
      else neg++;
    }
    u += pos * (nNeg + neg / 2);
    nPos += pos;
    nNeg += neg;
  }
  return { nPos, nNeg, u };
}

/**
 * Area under the ROC curve of `scores` against binary `labels`.
 *
 * Ties are handled by average ranks (a tied positive/negative pair counts 1/2), so all-equal scores give 0.5;
 * matches scikit-learn's `roc_auc_score`. O(n log n).
 *
 * @param labels - (N) 0/1 labels.
 * @param scores - (N) finite real scores; only their order matters.
 * @returns AUC in [0, 1].
 * @throws if the lengths differ, N = 0, a label is not 0/1, a score is not finite, or only one class is present.
 * @example
 * auc([0, 1, 0, 1], [0.1, 0.8, 0.4, 0.4]); // 0.875
 */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkBinaryInputs('auc', labels, scores);
  checkFinite('auc', 'score', scores);
  const n = labels.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  const { nPos, nNeg, u } = aucCounts(labels, scores, order, 0, n);
  if (nPos === 0 || nNeg === 0) {
    throw new Error(`auc: labels contain only class ${nPos === 0 ? 0 : 1} (n=${n}); AUC needs both classes`);
  }
  return u / (nPos * nNeg);
}
