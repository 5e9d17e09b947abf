/**
 * Binary log loss (mean binary cross-entropy) of predicted probabilities.
 *
 * logloss = -(1/N) Σ_i [ y_i · log(p_i) + (1 - y_i) · log(1 - p_i) ],  p_i = clip(prob_i, eps, 1 - eps).
 *
 * Clipping keeps a confident wrong prediction (p = 0 for a positive) finite, as scikit-learn's `log_loss` does;
 * scikit-learn ≥ 1.5 clips at the dtype's machine epsilon (2.2e-16 for float64), older versions at 1e-15, Keras at
 * 1e-7. Our default 1e-7 is Keras's and suits float32 model outputs; pass `eps = Number.EPSILON` to match current
 * scikit-learn exactly. Values strictly inside [eps, 1 - eps] are unaffected by the choice.
 */
import { checkBinaryInputs } from './auc.ts';

/**
 * Mean binary cross-entropy of `probs` against 0/1 `labels`, with probabilities clipped to [eps, 1 - eps].
 *
 * @param labels - (N) 0/1 labels.
 * @param probs - (N) predicted probabilities of class 1, each in [0, 1].
 * @param eps - clipping bound, 0 ≤ eps < 0.5 (default 1e-7, see the file header).
 * @returns the mean loss in nats, ≥ 0.
 * @throws on length mismatch, N = 0, a label not 0/1, a probability NaN or outside [0, 1] (naming its index), or a
 *   bad `eps`.
 * @example
 * logloss([1, 0], [0.8, 0.4]); // (-ln 0.8 - ln 0.6) / 2 ≈ 0.3670
 */
export function logloss(labels: ArrayLike<number>, probs: ArrayLike<number>, eps = 1e-7): number {
  checkBinaryInputs('logloss', labels, probs, 'probs');
  if (!(eps >= 0 && eps < 0.5)) throw new Error(`logloss: eps is ${eps}; must satisfy 0 <= eps < 0.5`);
  const n = labels.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const raw = probs[i];
    if (!(raw >= 0 && raw <= 1)) throw new Error(`logloss: prob at index ${i} is ${raw}; must be in [0, 1]`);
    const p = Math.min(Math.max(raw, eps), 1 - eps);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log1p(-p); // log1p keeps log(1 - p) accurate for small p
  }
  return sum / n;
}
