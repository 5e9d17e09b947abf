/**
 * Grouped AUCs: AUC computed inside each group (usually a user) and averaged over the groups that have both classes.
 *
 * - GAUC (Zhou et al., "Deep Interest Network", KDD 2018, eq. 7): GAUC = Σ_g w_g · AUC_g / Σ_g w_g with w_g the
 *   group's impression count (its number of rows).
 * - UAUC: the unweighted mean of AUC_g over the same groups.
 *
 * Groups with a single class have no defined AUC and are skipped (counted in `groupsSkipped`). One sort by
 * (group, score) makes both O(n log n).
 */
import { aucCounts, checkBinaryInputs, checkFinite } from './auc.ts';

/** Result of {@link gauc} and {@link uauc}. */
export interface GroupedAuc {
  /** The averaged AUC over the groups used. */
  value: number;
  /** Number of groups that have both classes and entered the average. */
  groupsUsed: number;
  /** Number of single-class groups left out. */
  groupsSkipped: number;
  /**
   * Test-sampling SE of `value` with groups as the sampling units (a ratio estimator's cluster-robust SE):
   * √(G/(G-1) · Σ w_g² (a_g - value)²) / Σ w_g; NaN with one group.
   */
  se: number;
}

function groupSe(aucs: number[], weights: number[], value: number): number {
  const g = aucs.length;
  if (g < 2) return Number.NaN;
  let ss = 0;
  let den = 0;
  for (let i = 0; i < g; i++) {
    ss += weights[i] * weights[i] * (aucs[i] - value) ** 2;
    den += weights[i];
  }
  return Math.sqrt((g / (g - 1)) * ss) / den;
}

/** Per-group AUCs and weights for the groups with both classes, plus the count of skipped groups. */
function perGroupAuc(
  fn: string,
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  groups: ArrayLike<number>,
): { aucs: number[]; weights: number[]; skipped: number } {
  checkBinaryInputs(fn, labels, scores);
  checkFinite(fn, 'score', scores);
  if (groups.length !== labels.length) {
    throw new Error(`${fn}: labels has length ${labels.length} but groups has length ${groups.length}`);
  }
  for (let i = 0; i < groups.length; i++) {
    if (!Number.isInteger(groups[i])) {
      throw new Error(`${fn}: group at index ${i} is ${groups[i]}; must be an integer id`);
    }
  }
  const n = labels.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => groups[a] - groups[b] || scores[a] - scores[b]);

  const aucs: number[] = [];
  const weights: number[] = [];
  let skipped = 0;
  for (let start = 0; start < n; ) {
    const g = groups[order[start]];
    let end = start;
    while (end < n && groups[order[end]] === g) end++;
    const { nPos, nNeg, u } = aucCounts(labels, scores, order, start, end);
    if (nPos > 0 && nNeg > 0) {
      aucs.push(u / (nPos * nNeg));
      weights.push(end - start);
    } else {
      skipped++;
    }
    start = end;
  }
  if (aucs.length === 0) {
    throw new Error(`${fn}: no group has both classes (${skipped} groups, n=${n}); grouped AUC is undefined`);
  }
  return { aucs, weights, skipped };
}

/**
 * Group AUC: per-group AUC weighted by the group's impression count, over groups with both classes.
 *
 * @param labels - (N) 0/1 labels.
 * @param scores - (N) finite scores.
 * @param groups - (N) integer group ids (e.g. user ids); need not be sorted or contiguous.
 * @returns `{ value, groupsUsed, groupsSkipped }`.
 * @throws on length mismatch, bad labels/scores, non-integer group ids, or when no group has both classes.
 * @example
 * gauc([0, 1, 0, 1, 1], [0.1, 0.9, 0.8, 0.2, 0.5], [7, 7, 8, 8, 9]);
 * // { value: 0.5, groupsUsed: 2, groupsSkipped: 1, se: 0.5 }  (groups 7 and 8 have AUC 1 and 0, 2 rows each)
 */
export function gauc(labels: ArrayLike<number>, scores: ArrayLike<number>, groups: ArrayLike<number>): GroupedAuc {
  const { aucs, weights, skipped } = perGroupAuc('gauc', labels, scores, groups);
  let num = 0;
  let den = 0;
  for (let g = 0; g < aucs.length; g++) {
    num += weights[g] * aucs[g];
    den += weights[g];
  }
  const value = num / den;
  return { value, groupsUsed: aucs.length, groupsSkipped: skipped, se: groupSe(aucs, weights, value) };
}

/**
 * User AUC: unweighted mean of the per-group AUCs, over groups with both classes (the same groups as {@link gauc}).
 *
 * @param labels - (N) 0/1 labels.
 * @param scores - (N) finite scores.
 * @param groups - (N) integer group ids.
 * @returns `{ value, groupsUsed, groupsSkipped }`.
 * @throws as {@link gauc}.
 * @example
 * uauc([0, 1, 0, 1, 0, 0, 1], [0.1, 0.9, 0.8, 0.2, 0.3, 0.1, 0.5], [7, 7, 8, 8, 8, 8, 9]);
 * // { value: 2 / 3, groupsUsed: 2, groupsSkipped: 1, se: 1 / 3 }  (AUC 1 and 1/3; gauc weights them 2:4 and gives 5/9)
 */
export function uauc(labels: ArrayLike<number>, scores: ArrayLike<number>, groups: ArrayLike<number>): GroupedAuc {
  const { aucs, skipped } = perGroupAuc('uauc', labels, scores, groups);
  let sum = 0;
  for (const a of aucs) sum += a;
  const value = sum / aucs.length;
  return { value, groupsUsed: aucs.length, groupsSkipped: skipped, se: groupSe(aucs, aucs.map(() => 1), value) };
}
