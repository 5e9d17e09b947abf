/**
 * Per-client tensor ops: every parameter carries a leading client axis C, so one op serves C clients with C different
 * parameter copies (batched matMul, gathers from flattened per-client tables).
 */
import { tf } from '../tf.ts';
import type { Tensor, Tensor3D } from '@tensorflow/tfjs';

/**
 * y = x W + b per client. x (C, N, in), W (C, in, out), b (C, out) or null -> (C, N, out).
 * @example
 * cLinear(tf.ones([2, 3, 4]), tf.ones([2, 4, 5]), tf.zeros([2, 5])); // (2, 3, 5)
 */
export function cLinear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const y = tf.matMul(x as Tensor3D, w as Tensor3D); // (C, N, out)
  return b ? tf.add(y, tf.expandDims(b, 1)) : y;
}

/**
 * Embedding lookup in per-client tables. table (C, V, D), ids (C, ...) int32 in [0, V) -> (C, ..., D).
 * @example
 * cEmbed(tf.ones([2, 10, 4]), tf.zeros([2, 3], 'int32')); // (2, 3, 4)
 */
export function cEmbed(table: Tensor, ids: Tensor): Tensor {
  const [C, V, D] = table.shape as [number, number, number];
  const offsets = tf.reshape(tf.mul(tf.range(0, C, 1, 'int32'), tf.scalar(V, 'int32')), [C, ...ids.shape.slice(1).map(() => 1)]); // (C, 1, ...)
  const flat = tf.reshape(tf.add(ids, offsets), [-1]); // (C * ...)
  return tf.reshape(tf.gather(tf.reshape(table, [C * V, D]), flat), [...ids.shape, D]); // (C, ..., D)
}

/**
 * Layer norm over the last axis with per-client gamma/beta. x (C, N, D), gamma, beta (C, D).
 * @example
 * cLayerNorm(tf.randomNormal([2, 3, 4]), tf.ones([2, 4]), tf.zeros([2, 4])); // (2, 3, 4)
 */
export function cLayerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const { mean, variance } = tf.moments(x, -1, true); // (C, N, 1)
  const xn = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(xn, tf.expandDims(gamma, 1)), tf.expandDims(beta, 1)); // (C, N, D)
}

/**
 * Masked binary cross-entropy on logits, averaged per client: (C, T) logits, labels, mask -> (C).
 * @example
 * maskedBce(tf.zeros([1, 2]), tf.ones([1, 2]), tf.ones([1, 2])); // [ln 2]
 */
export function maskedBce(logits: Tensor, labels: Tensor, mask: Tensor): Tensor {
  const per = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))); // (C, T)
  return tf.div(tf.sum(tf.mul(per, mask), 1), tf.maximum(tf.sum(mask, 1), 1)); // (C)
}
