/**
 * Attention blocks: DIN's target attention over a behaviour sequence, multi-head self-attention and a pre-norm
 * transformer block.
 */
import { tf } from '../tf.ts';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { Module, activate } from './module.ts';
import { Dense, MLP } from './dense.ts';
import { LayerNorm } from './norm.ts';
import type { Rng } from '../random.ts';

/**
 * DIN's local activation unit (Zhou et al., KDD 2018, Eq. 3):
 *   v_U(A) = sum_j a(e_j, v_A) e_j,  a = MLP([v_A, e_j, v_A - e_j, v_A * e_j])
 * Weights are not softmax-normalised (as in the paper); padded positions get weight 0.
 * The MLP's first layer is computed without building the (B, T, 4D) input: with its kernel split into D-row blocks
 * W = [W1; W2; W3; W4],
 *   [q, k, q - k, q * k] W = q (W1 + W3) + k (W2 - W3 + diag(q) W4)
 * i.e. the query part once per row (B, H) and one batched (B, T, D) x (B, D, H) matMul: the same function and the
 * same parameters, a quarter of the multiply-adds, no tile or 4-way concat (measured with bench/profile-din.ts).
 * @example
 * const att = new TargetAttention(rng, 16, [36]);
 * att.apply(query, keys, mask); // query (B, D), keys (B, T, D), mask (B, T) -> (B, D)
 */
export class TargetAttention extends Module {
  private readonly mlp: MLP;
  constructor(rng: Rng, readonly dim: number, hidden: number[] = [36], activation: 'relu' | 'sigmoid' | 'prelu' = 'sigmoid') {
    super(rng);
    this.mlp = this.module('mlp', new MLP(this.rng, 4 * dim, { hidden, activation, outDim: 1 }));
  }
  /** Also returns the attention weights (B, T) for inspection. */
  weights(query: Tensor, keys: Tensor, mask: Tensor): Tensor {
    const first = this.mlp.layer(0); // kernel (4D, H)
    const [w1, w2, w3, w4] = tf.split(first.kernel, 4, 0); // (D, H) each
    let qPart = tf.matMul(query as Tensor2D, tf.add(w1, w3) as Tensor2D); // (B, H)
    if (first.bias) qPart = tf.add(qPart, first.bias);
    const perRow = tf.add(tf.mul(tf.expandDims(query, 2), w4), tf.sub(w2, w3)); // (B, D, H)
    const h = activate(tf.add(tf.matMul(keys as Tensor3D, perRow as Tensor3D), tf.expandDims(qPart, 1)), first.activation); // (B, T, H)
    const a = tf.squeeze(this.mlp.applyFrom(1, h, false), [2]); // (B, T)
    return tf.mul(a, mask); // (B, T)
  }
  apply(query: Tensor, keys: Tensor, mask: Tensor): Tensor {
    const w = this.weights(query, keys, mask); // (B, T)
    return tf.sum(tf.mul(keys, tf.expandDims(w, 2)), 1); // (B, D)
  }
}

/**
 * Multi-head scaled dot-product self-attention with a key padding mask:
 *   Attention(Q, K, V) = softmax(Q K^T / sqrt(d_h) + mask) V, heads concatenated then projected.
 * @example
 * new MultiHeadSelfAttention(rng, 16, 2).apply(x, mask); // x (B, T, 16), mask (B, T) -> (B, T, 16)
 */
export class MultiHeadSelfAttention extends Module {
  private readonly qkv: Dense;
  private readonly out: Dense;
  constructor(rng: Rng, readonly dim: number, readonly heads: number) {
    super(rng);
    if (dim % heads !== 0) throw new Error(`MultiHeadSelfAttention: dim ${dim} is not divisible by heads ${heads}`);
    this.qkv = this.module('qkv', new Dense(this.rng, dim, 3 * dim));
    this.out = this.module('out', new Dense(this.rng, dim, dim));
  }
  apply(x: Tensor, mask?: Tensor): Tensor {
    const [B, T] = x.shape as [number, number, number];
    const H = this.heads;
    const dh = this.dim / H;
    const qkv = tf.reshape(this.qkv.apply(x), [B, T, 3, H, dh]); // (B, T, 3, H, dh)
    const [q, k, v] = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4])); // each (B, H, T, dh)
    const ctx = attend(q, k, v, mask); // (B, H, T, dh)
    return this.out.apply(tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B, T, this.dim])); // (B, T, D)
  }

  /**
   * The output at the last position only: its query against every position's keys and values. Equal to
   * `apply(x, mask)` at position T − 1 (tested), without the other T − 1 queries, their scores and their output
   * projections. x (B, T, D), mask (B, T) -> (B, D).
   */
  applyLast(x: Tensor, mask?: Tensor): Tensor {
    const [B, T] = x.shape as [number, number, number];
    const D = this.dim;
    const H = this.heads;
    const dh = D / H;
    const [wq, wkv] = tf.split(this.qkv.kernel, [D, 2 * D], 1) as Tensor2D[]; // (D, D), (D, 2D)
    const [bq, bkv] = this.qkv.bias ? tf.split(this.qkv.bias, [D, 2 * D]) : [undefined, undefined];
    const xLast = tf.reshape(tf.slice(x, [0, T - 1, 0], [-1, 1, -1]), [B, D]) as Tensor2D;
    const q = tf.reshape(tf.fused.matMul({ a: xLast, b: wq, bias: bq }), [B, H, 1, dh]); // (B, H, 1, dh)
    const kv = tf.reshape(tf.fused.matMul({ a: tf.reshape(x, [B * T, D]) as Tensor2D, b: wkv, bias: bkv }), [B, T, 2, H, dh]);
    const [k, v] = tf.unstack(tf.transpose(kv, [2, 0, 3, 1, 4])); // each (B, H, T, dh)
    return this.out.apply(tf.reshape(attend(q, k, v, mask), [B, D])); // (B, D)
  }
}

/**
 * Scaled dot-product attention per head: softmax(q k^T / sqrt(d_h) + key mask) v. q (B, H, Q, dh), k and v
 * (B, H, T, dh), mask (B, T) -> (B, H, Q, dh).
 */
function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined): Tensor {
  const [B, , T, dh] = k.shape as [number, number, number, number];
  let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)); // (B, H, Q, T)
  if (mask) scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [B, 1, 1, T])); // mask keys
  return tf.matMul(tf.softmax(scores), v); // (B, H, Q, dh)
}

/**
 * Pre-norm transformer block: x + MHSA(LN(x)), then + FFN(LN(x)).
 * @example
 * new TransformerBlock(rng, 16, 2).apply(x, mask, false); // (B, T, 16)
 */
export class TransformerBlock extends Module {
  private readonly ln1: LayerNorm;
  private readonly attn: MultiHeadSelfAttention;
  private readonly ln2: LayerNorm;
  private readonly ffn: MLP;
  constructor(rng: Rng, readonly dim: number, heads: number, ffnMult = 4, dropout = 0) {
    super(rng);
    this.ln1 = this.module('ln1', new LayerNorm(this.rng, dim));
    this.attn = this.module('attn', new MultiHeadSelfAttention(this.rng, dim, heads));
    this.ln2 = this.module('ln2', new LayerNorm(this.rng, dim));
    this.ffn = this.module('ffn', new MLP(this.rng, dim, { hidden: [ffnMult * dim], activation: 'relu', outDim: dim, dropout }));
  }
  apply(x: Tensor, mask: Tensor | undefined, training: boolean): Tensor {
    const h = tf.add(x, this.attn.apply(this.ln1.apply(x), mask)); // (B, T, D)
    return tf.add(h, this.ffn.apply(this.ln2.apply(h), training)); // (B, T, D)
  }

  /**
   * The block's output at the last position only, x (B, T, D) -> (B, D): equal to `apply(x, mask, training)` at
   * position T − 1 (tested; with dropout in the FFN the masks are drawn for B rows instead of B·T), through
   * {@link MultiHeadSelfAttention.applyLast} and the FFN of one position.
   */
  applyLast(x: Tensor, mask: Tensor | undefined, training: boolean): Tensor {
    const [B, T, D] = x.shape as [number, number, number];
    const xLast = tf.reshape(tf.slice(x, [0, T - 1, 0], [-1, 1, -1]), [B, D]); // (B, D)
    const h = tf.add(xLast, this.attn.applyLast(this.ln1.apply(x), mask)); // (B, D)
    return tf.add(h, this.ffn.apply(this.ln2.apply(h), training)); // (B, D)
  }
}
