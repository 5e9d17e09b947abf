/**
 * Numeric helpers of the live world: intercept calibration to target rates and train-period standardisation of the
 * dense columns.
 */
import { sigmoid } from './world.ts';

/**
 * Intercept b with mean(weight * sigmoid(b + z)) = target (bisection); -50 (never) when the target is 0.
 * @example
 * calibrate(Float64Array.of(0, 1), null, 0.1); // b with mean sigmoid(b + z) = 0.1
 */
export function calibrate(z: Float64Array, weight: Float64Array | null, target: number): number {
  if (target <= 0) return -50;
  let lo = -25;
  let hi = 15;
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    let s = 0;
    for (let i = 0; i < z.length; i++) s += (weight ? weight[i] : 1) * sigmoid(mid + z[i]);
    if (s / z.length > target) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Standardises dense columns in place, per dimension, with the mean and std of the training-period rows (ts below
 * `trainEnd`), so no statistic of the validation or test period enters a feature. Raw log-counts of 5-6 otherwise
 * dominate the first steps of training.
 * @example
 * standardise(cols, tsNorm, 0.7, ['author_popularity']);
 */
export function standardise(cols: Record<string, Int32Array | Float32Array | Float64Array>, tsNorm: Float64Array, trainEnd: number, names: string[]): void {
  const n = tsNorm.length;
  for (const name of names) {
    const col = cols[name];
    const w = col.length / Math.max(n, 1);
    for (let j = 0; j < w; j++) {
      let s = 0;
      let s2 = 0;
      let m = 0;
      for (let r = 0; r < n; r++) {
        if (tsNorm[r] >= trainEnd) continue;
        s += col[r * w + j];
        s2 += col[r * w + j] ** 2;
        m++;
      }
      const mean = s / Math.max(m, 1);
      const sd = Math.sqrt(Math.max(s2 / Math.max(m, 1) - mean * mean, 0)) || 1;
      for (let r = 0; r < n; r++) col[r * w + j] = (col[r * w + j] - mean) / sd;
    }
  }
}
