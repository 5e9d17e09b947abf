/** Loss functions shared across papers. Pure: (tensors) -> scalar tensor. */
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';

/**
 * Mean binary cross-entropy on logits, in the numerically stable form
 *   l(x, y) = max(x, 0) - x y + log(1 + exp(-|x|)).
 * @param logits (B) or (B, 1); @param labels same size, values in [0, 1]; @param weights optional (B) per-row weights.
 * @example
 * bceWithLogits(tf.tensor1d([0]), tf.tensor1d([1])).dataSync()[0]; // ln 2
 */
export function bceWithLogits(logits: Tensor, labels: Tensor, weights?: Tensor): Scalar {
  const x = logits.rank === 1 ? logits : tf.reshape(logits, [-1]); // (B)
  const per = tf.add(tf.sub(tf.relu(x), tf.mul(x, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))); // (B)
  return (weights ? tf.div(tf.sum(tf.mul(per, weights)), tf.maximum(tf.sum(weights), 1e-12)) : tf.mean(per)) as Scalar;
}
