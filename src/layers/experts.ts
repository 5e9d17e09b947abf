/**
 * Mixture-of-experts building blocks (MMoE / PLE): a softmax gate over E experts and the gated mixture.
 *   g(x) = softmax(x W_g)            (B, E)
 *   y    = sum_e g_e(x) * f_e(x)     (B, H)
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Module } from './module.ts';
import { Dense } from './dense.ts';
import type { Rng } from '../random.ts';

/**
 * Softmax gate over `experts` experts.
 * @example
 * new Gate(rng, 32, 4).apply(x); // (B, 4), rows sum to 1
 */
export class Gate extends Module {
  private readonly proj: Dense;
  constructor(rng: Rng, readonly inDim: number, readonly experts: number) {
    super(rng);
    this.proj = this.module('proj', new Dense(this.rng, inDim, experts));
  }
  apply(x: Tensor): Tensor {
    return tf.softmax(this.proj.apply(x)); // (B, E)
  }
}

/** Mixes expert outputs (B, E, H) with gate weights (B, E): (B, H). */
export function mixExperts(gates: Tensor, expertOutputs: Tensor): Tensor {
  return tf.sum(tf.mul(expertOutputs, tf.expandDims(gates, 2)), 1); // (B, H)
}
