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
