/**
 * What every synthetic world hands to a pipeline: train / valid / test datasets and, beside them, the ground-truth
 * response probability of every row. The truth never enters a Dataset column, so a model cannot train on it; it is
 * read only by `groundTruthCeiling` and by evaluation code.
 */
import type { Dataset } from '../data/dataset.ts';
import { auc, logloss } from '../metrics/index.ts';

/** Datasets of a world and the true probability of each label for each row (aligned with the rows). */
export interface WorldData {
  /** World name, e.g. 'ctr-world'. */
  name: string;
  /** The resolved config the world was generated from (recorded in run metadata). */
  config: Record<string, unknown>;
  train: Dataset;
  valid: Dataset;
  test: Dataset;
  /** truth[part][label] = Float32 (n) of P(label = 1 | everything the world knows). */
  truth: Record<'train' | 'valid' | 'test', Record<string, Float32Array>>;
}

/** Best achievable scores on a part: the metrics of the true probabilities themselves. */
export interface Ceiling {
  auc: number;
  logloss: number;
}

/**
 * The ground-truth ceiling of a label on one part of a world: no model that sees only the features can beat the AUC
 * of the true probabilities in expectation, so every table prints it as its own row.
 * @example
 * const c = groundTruthCeiling(world, 'test', 'click'); // { auc: 0.78, logloss: 0.52 }
 */
export function groundTruthCeiling(world: WorldData, part: 'train' | 'valid' | 'test', label: string): Ceiling {
  const p = world.truth[part][label];
  if (!p) throw new Error(`world '${world.name}' has no ground truth for label '${label}' (labels: ${Object.keys(world.truth[part]).join(', ')})`);
  const y = world[part].label(label);
  return { auc: auc(y, p), logloss: logloss(y, p) };
}

/** Logistic function. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Splits a world's rows by their timestamp in [0, 1): train before 1 - validShare - testShare, then validation, then
 * test; each truth column (one value per row of `all`) is cut the same way, as Float32. Used by every world.
 * @example
 * const parts = splitByTime(all, ts, { click: pCtr }, { validShare: 0.1, testShare: 0.2 });
 * parts.test.truth.click.length === parts.test.ds.size; // true
 */
export function splitByTime(
  all: Dataset,
  ts: ArrayLike<number>,
  truth: Record<string, ArrayLike<number>>,
  shares: { validShare: number; testShare: number },
): Record<'train' | 'valid' | 'test', { ds: Dataset; truth: Record<string, Float32Array> }> {
  const part = (lo: number, hi: number) => {
    const idx: number[] = [];
    for (let j = 0; j < ts.length; j++) if (ts[j] >= lo && ts[j] < hi) idx.push(j);
    const cut: Record<string, Float32Array> = {};
    for (const [name, values] of Object.entries(truth)) cut[name] = Float32Array.from(idx, (j) => values[j]);
    return { ds: all.take(idx), truth: cut };
  };
  const trainEnd = 1 - shares.validShare - shares.testShare;
  return { train: part(0, trainEnd), valid: part(trainEnd, 1 - shares.testShare), test: part(1 - shares.testShare, 1) };
}
