/**
 * Blocks of UniCDR (the aggregator, spec §3.1) and of the UniCDR+ extensions (spec §3.2, all Proposals): the item-level
 * graph (LightGCN propagation over a co-occurrence graph), the sequence pooling and the MMoE multi-behaviour head.
 */
import { tf } from '../../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Module } from '../../layers/module.ts';
import { Dense, MLP } from '../../layers/dense.ts';
import { Embedding } from '../../layers/embedding.ts';
import { TransformerBlock } from '../../layers/attention.ts';
import { Gate, mixExperts } from '../../layers/experts.ts';
import type { Rng } from '../../random.ts';
import { maskedMean } from './common.ts';
import type { DropoutStream } from '../../layers/dropout.ts';

/** The three UniCDR aggregators. */
export type AggregatorKind = 'mean' | 'user_attention' | 'item_similarity';

/**
 * Agg(e_user, E_items, s) = λa·e_user + (1 − λa)·W_agg(pool(E_items, s)), pool one of
 *   mean:            masked mean
 *   user_attention:  a = masked_softmax(tanh(W_att e_item) · e_user), dropout, Σ a·e_item
 *   item_similarity: a = masked_softmax(s) (EASE scores), Σ a·e_item
 * With `sequence` (UniCDR+ extension 3) the pool is averaged with the last-position output of a transformer block over
 * the right-aligned, time-ordered items (one block: the last position attends to all earlier ones, as a causal mask would).
 * @example
 * new Aggregator(rng, 32, 'mean', { lambdaA: 0.5, dropout: 0.3, sequence: false, maxLen: 10 }).apply(eU, E, mask, s, true); // (B, 32)
 */
export class Aggregator extends Module {
  private readonly wAgg: Dense;
  private readonly wAtt: Dense | null;
  private readonly seq: TransformerBlock | null;
  private readonly posEmb: Embedding | null;
  private readonly drops: DropoutStream;

  constructor(rng: Rng, readonly dim: number, readonly kind: AggregatorKind, readonly o: { lambdaA: number; dropout: number; sequence: boolean; maxLen: number; heads?: number }) {
    super(rng);
    this.wAgg = this.module('wAgg', new Dense(this.rng, dim, dim));
    this.wAtt = kind === 'user_attention' ? this.module('wAtt', new Dense(this.rng, dim, dim, 'tanh')) : null;
    this.seq = o.sequence ? this.module('seq', new TransformerBlock(this.rng, dim, o.heads ?? 2, 2)) : null;
    this.posEmb = o.sequence ? this.module('pos', new Embedding(this.rng, o.maxLen, dim)) : null;
    this.drops = this.dropoutStream();
  }

  /** eUser (B, D), E (B, N, D), mask (B, N), s (B, N) -> (B, D). */
  apply(eUser: Tensor, E: Tensor, mask: Tensor, s: Tensor, training: boolean): Tensor {
    let pool: Tensor;
    if (this.kind === 'mean') pool = maskedMean(E, mask); // (B, D)
    else {
      const logits = this.kind === 'user_attention'
        ? tf.sum(tf.mul((this.wAtt as Dense).apply(E), tf.expandDims(eUser, 1)), 2) // (B, N)
        : s;
      let a = tf.mul(tf.softmax(tf.add(logits, tf.mul(tf.sub(1, mask), -1e9))), mask); // (B, N); empty rows -> 0
      if (training && this.o.dropout > 0 && this.kind === 'user_attention') a = this.drops.apply(a, this.o.dropout);
      pool = tf.sum(tf.mul(E, tf.expandDims(a, 2)), 1); // (B, D)
    }
    if (this.seq && this.posEmb) {
      const N = E.shape[1] as number;
      const L = this.o.maxLen;
      const last = tf.slice(E, [0, N - L, 0], [-1, L, -1]); // (B, L, D): the own-domain block of the context
      const lastMask = tf.slice(mask, [0, N - L], [-1, L]); // (B, L)
      const h = this.seq.applyLast(tf.add(last, this.posEmb.table), lastMask, training); // (B, D): only the last position is read
      const seqPool = tf.mul(h, tf.minimum(tf.sum(lastMask, 1, true), 1)); // (B, D)
      pool = tf.mul(tf.add(pool, seqPool), 0.5); // (B, D)
    }
    return tf.add(tf.mul(eUser, this.o.lambdaA), tf.mul(this.wAgg.apply(pool), 1 - this.o.lambdaA)); // (B, D)
  }
}

/** A sparse item graph as padded neighbour lists: ids (I+1, K) int32 (0 = none) and weights (I+1, K). */
export interface ItemGraph {
  ids: Int32Array;
  weights: Float32Array;
  K: number;
  n: number;
}

/**
 * UniCDR+ extension 2 (Proposal): the symmetric-normalised item-item graph Â = D^-1/2 A D^-1/2 of a domain, A the
 * co-occurrence counts in training histories kept to each item's `topK` strongest neighbours (symmetrised, then cut
 * to `topK` per row again, degrees taken before the cut), as
 * padded neighbour lists over ids + 1 (row 0 = padding, no neighbours).
 * @example
 * const g = itemGraph(prep.hist[0], 1000, 20); g.ids.length; // 1001 * g.K
 */
export function itemGraph(hist: Map<number, Int32Array>, nItems: number, topK: number): ItemGraph {
  const n = nItems + 1;
  const co = new Map<number, Map<number, number>>();
  for (const items of hist.values()) {
    for (const a of items) {
      let m = co.get(a + 1);
      if (!m) co.set(a + 1, (m = new Map()));
      for (const b of items) if (b !== a) m.set(b + 1, (m.get(b + 1) ?? 0) + 1);
    }
  }
  const adj = Array.from({ length: n }, () => new Map<number, number>());
  for (const [a, m] of co) {
    for (const [b, c] of [...m].sort((x, y) => y[1] - x[1]).slice(0, topK)) {
      adj[a].set(b, Math.max(adj[a].get(b) ?? 0, c));
      adj[b].set(a, Math.max(adj[b].get(a) ?? 0, c));
    }
  }
  const deg = adj.map((m) => [...m.values()].reduce((s, c) => s + c, 0));
  // Symmetrising can give popular items many neighbours: keep each row's topK strongest (cost O(I·K·D) per hop).
  for (const m of adj) if (m.size > topK) { const keep = [...m].sort((x, y) => y[1] - x[1]).slice(0, topK); m.clear(); for (const [b, c] of keep) m.set(b, c); }
  const K = Math.max(1, ...adj.map((m) => m.size));
  const ids = new Int32Array(n * K);
  const weights = new Float32Array(n * K);
  adj.forEach((m, a) => {
    let j = 0;
    for (const [b, c] of m) { ids[a * K + j] = b; weights[a * K + j] = c / Math.sqrt(deg[a] * deg[b]); j++; }
  });
  return { ids, weights, K, n };
}

/**
 * LightGCN propagation, layer mean: E' = (E + ÂE + Â²E) / 3 for 2 hops, with Â as neighbour lists (a gather and a
 * weighted sum per hop). E (I+1, D), ids / weights (I+1, K) -> (I+1, D).
 * @example
 * propagate(table, ids, weights, 2); // (I+1, D)
 */
export function propagate(E: Tensor, ids: Tensor, weights: Tensor, hops: number): Tensor {
  let h = E;
  let acc = E;
  const w = tf.expandDims(weights, 2); // (I+1, K, 1)
  for (let k = 0; k < hops; k++) {
    h = tf.sum(tf.mul(tf.gather(h, ids), w), 1); // (I+1, D)
    acc = tf.add(acc, h);
  }
  return tf.div(acc, hops + 1); // (I+1, D)
}

/**
 * The same propagation with Â as a dense (I+1, I+1) matrix: one matMul per hop instead of a gather whose gradient is a
 * scatter-add (about 3x faster per training step at 1 500 items; used while (I+1)² stays below
 * {@link DENSE_GRAPH_MAX_CELLS}). Equal to {@link propagate} up to float rounding (tested).
 * @example
 * propagateDense(table, denseGraph(g), 2); // (I+1, D)
 */
export function propagateDense(E: Tensor, A: Tensor, hops: number): Tensor {
  let h = E;
  let acc = E;
  for (let k = 0; k < hops; k++) {
    h = tf.matMul(A, h); // (I+1, D)
    acc = tf.add(acc, h);
  }
  return tf.div(acc, hops + 1); // (I+1, D)
}

/** Largest (I+1)² for which the item graph is kept as a dense matrix (25 M cells = 100 MB). */
export const DENSE_GRAPH_MAX_CELLS = 25_000_000;

/**
 * An item graph as a dense (n, n) matrix Â (row a: weights of a's neighbours).
 * @example
 * denseGraph(itemGraph(prep.hist[0], 1000, 20)); // (1001, 1001)
 */
export function denseGraph(g: ItemGraph): Tensor {
  const a = new Float32Array(g.n * g.n);
  for (let r = 0; r < g.n; r++) for (let j = 0; j < g.K; j++) { const w = g.weights[r * g.K + j]; if (w !== 0) a[r * g.n + g.ids[r * g.K + j]] += w; }
  return tf.tensor2d(a, [g.n, g.n]);
}

/**
 * UniCDR+ extension 5 (Proposal): MMoE over x = [u, v, u ⊙ v] with `experts` experts (MLP `hidden`, the spec's
 * [128, 64] by default) and one gate and
 * tower per behaviour; returns one logit per behaviour. Behaviours here: 'click' and 'longView' (UniCDR+ trains both as
 * auxiliary tasks; retrieval keeps the dot product).
 * @example
 * new MmoeHead(rng, 32, 4, 2).apply(x, false); // x (N, 96) -> [(N), (N)]
 */
export class MmoeHead extends Module {
  private readonly experts: MLP[] = [];
  private readonly gates: Gate[] = [];
  private readonly towers: Dense[] = [];

  constructor(rng: Rng, readonly dim: number, nExperts: number, readonly tasks: number, readonly hidden: number[] = [128, 64]) {
    super(rng);
    if (!hidden.length) throw new Error('MmoeHead: the experts need at least one hidden layer');
    for (let e = 0; e < nExperts; e++) this.experts.push(this.module(`expert${e}`, new MLP(this.rng, 3 * dim, { hidden: [...hidden], outDim: 0 })));
    for (let t = 0; t < tasks; t++) {
      this.gates.push(this.module(`gate${t}`, new Gate(this.rng, 3 * dim, nExperts)));
      this.towers.push(this.module(`tower${t}`, new Dense(this.rng, hidden[hidden.length - 1], 1)));
    }
  }

  /** x (N, 3D) -> one (N) logit per task. */
  apply(x: Tensor, training: boolean): Tensor[] {
    const ex = tf.stack(this.experts.map((e) => e.apply(x, training)), 1); // (N, E, H) with H the last hidden width
    return this.towers.map((t, k) => tf.reshape(t.apply(mixExperts(this.gates[k].apply(x), ex)), [-1])); // (N)
  }
}
