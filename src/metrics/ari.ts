/**
 * Adjusted Rand index (Hubert & Arabie, 1985) between two labelings of the same items, from the contingency table
 * n_ij, row sums a_i and column sums b_j:
 *   ARI = (sum_ij C(n_ij, 2) - E) / ((sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2 - E),  E = sum_i C(a_i, 2) sum_j C(b_j, 2) / C(n, 2)
 * 1 for identical partitions (up to renaming), about 0 for independent ones; 1 when both put everything in one group.
 */

const c2 = (x: number) => (x * (x - 1)) / 2;

/**
 * @param a, b integer labels per item (same length >= 1; negative labels mark items to skip in both).
 * @example
 * adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]); // 1
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`adjustedRandIndex: labelings have ${a.length} and ${b.length} items`);
  const cells = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isInteger(a[i]) || !Number.isInteger(b[i])) throw new Error(`adjustedRandIndex: item ${i} has a non-integer label (${a[i]}, ${b[i]})`);
    if (a[i] < 0 || b[i] < 0) continue;
    n++;
    const k = `${a[i]},${b[i]}`;
    cells.set(k, (cells.get(k) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  if (n < 2) throw new Error(`adjustedRandIndex: needs at least 2 labelled items, got ${n}`);
  let index = 0;
  for (const v of cells.values()) index += c2(v);
  let sa = 0;
  for (const v of rows.values()) sa += c2(v);
  let sb = 0;
  for (const v of cols.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
