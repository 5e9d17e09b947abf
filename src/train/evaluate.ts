/**
 * Prediction and evaluation of a trained model on a dataset, in fixed row order.
 */
import { tf } from '../tf.ts';
import type { Dataset } from '../data/dataset.ts';
import { batchOf, toTensors } from '../data/batching.ts';
import type { RecModel } from '../models/model.ts';
import { auc, gauc, logloss, uauc } from '../metrics/index.ts';

/**
 * Probabilities sigmoid(output) for every row, in row order: Float32 (n).
 * @param options.output model output holding logits (default 'logit'); options.batchSize default 8192.
 * @example
 * const p = predict(model, test); // Float32Array(test.size)
 */
export function predict(model: RecModel, ds: Dataset, options: { output?: string; batchSize?: number } = {}): Float32Array {
  const output = options.output ?? 'logit';
  const bs = options.batchSize ?? 8192;
  const out = new Float32Array(ds.size);
  for (let start = 0; start < ds.size; start += bs) {
    const rows = Int32Array.from({ length: Math.min(bs, ds.size - start) }, (_, i) => start + i);
    const probs = tf.tidy(() => {
      const o = model.apply(toTensors(ds, batchOf(ds, rows)), { training: false });
      const t = o[output];
      if (!t) throw new Error(`predict: model '${model.name}' has no output '${output}' (outputs: ${Object.keys(o).join(', ')})`);
      return tf.sigmoid(tf.reshape(t, [-1]));
    });
    out.set(probs.dataSync(), start);
    probs.dispose();
  }
  return out;
}

/** CTR metrics of predictions against a label. */
export interface CtrMetrics {
  auc: number;
  logloss: number;
  /**
   * Impression-weighted AUC over users with both classes (only when the schema has a userId and at least one user has
   * both classes; a leave-one-out split, one row per user, has none and leaves GAUC/UAUC out).
   */
  gauc?: number;
  uauc?: number;
}

/** True when some group holds both a positive and a negative label. */
function someGroupHasBothClasses(y: ArrayLike<number>, g: ArrayLike<number>): boolean {
  const seen = new Map<number, number>();
  for (let i = 0; i < y.length; i++) {
    const bits = (seen.get(g[i]) ?? 0) | (y[i] > 0.5 ? 2 : 1);
    if (bits === 3) return true;
    seen.set(g[i], bits);
  }
  return false;
}

/**
 * AUC, logloss and (with a userId column) GAUC/UAUC of probabilities on a dataset.
 * @example
 * evaluateCtr(test, 'click', predict(model, test)); // { auc: 0.74, logloss: 0.55, gauc: 0.69, uauc: 0.68 }
 */
export function evaluateCtr(ds: Dataset, label: string, probs: Float32Array): CtrMetrics {
  const y = ds.label(label);
  const m: CtrMetrics = { auc: auc(y, probs), logloss: logloss(y, probs) };
  const g = ds.schema.userId ? ds.column(ds.schema.userId) : null;
  if (g && someGroupHasBothClasses(y, g)) {
    m.gauc = gauc(y, probs, g).value;
    m.uauc = uauc(y, probs, g).value;
  }
  return m;
}
