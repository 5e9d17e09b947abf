/** Layer normalisation over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta. */
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { Module } from './module.ts';
import type { Rng } from '../random.ts';

/**
 * LayerNorm over the last axis of width `dim`.
 * @example
 * new LayerNorm(rng, 16).apply(tf.randomNormal([4, 16])); // (4, 16), zero mean / unit variance per row, then scaled
 */
export class LayerNorm extends Module {
  readonly gamma: Variable;
  readonly beta: Variable;
  constructor(rng: Rng, readonly dim: number, readonly eps = 1e-5) {
    super(rng);
    this.gamma = this.param('gamma', [dim], 'ones');
    this.beta = this.param('beta', [dim], 'zeros');
  }
  apply(x: Tensor): Tensor {
    const { mean, variance } = tf.moments(x, -1, true); // (..., 1)
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.eps))), this.gamma), this.beta);
  }
}
