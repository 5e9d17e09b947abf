/**
 * ID-embedding generators for cold-start ads — GME (Ouyang et al., "Learning Graph Meta Embeddings for Cold-Start Ads
 * in Click-Through Rate Prediction", SIGIR 2021, arXiv:2105.08909; spec ../shared/papers/gme.md §3.2) and baselines.
 * Notation: a = the ad's attribute-slot embeddings concatenated (M, S·D) from the frozen backbone's tables; E[id_j]
 * the neighbours' pre-trained ID embeddings (M, N, D); gamma = 1.
 *   meta-embedding (released `self`, Pan et al. SIGIR 2019):  e = gamma·tanh(a W_meta)
 *   ngb:    e = gamma·tanh(mean_valid_j E[id_j] · W_meta)
 *   GME-P:  g0 = gamma·tanh(a W_meta); nodes {E[id_j]} ∪ {g0}; h_i = W_gat node_i;
 *           s_i = LeakyReLU(a_gat^T [W_gat g0 ‖ h_i]); alpha = softmax(s); e = ELU(sum_i alpha_i h_i)
 *   GME-G:  as GME-P with neighbour nodes g_j = gamma·tanh(a_j W_meta) (same W_meta)
 *   GME-A:  nodes {a_j} ∪ {a}; h_i = W_gat node_i; s_i = LeakyReLU(a_gat^T [W_gat a ‖ h_i]); ã = ELU(sum alpha_i h_i);
 *           e = gamma·tanh(ã W_meta)       (W_gat: S·D x att, att = S·D)
 *   DropoutNet (Volkovs et al. NeurIPS 2017): e = gamma·tanh(MLP([a; dropout(E[id])])), trained with the cold loss
 *           only while the ad's own pre-trained ID embedding is dropped (zeroed) with probability `dropRate`; a new ad
 *           has no ID embedding, so its input is zero.
 * Padded neighbours are masked out of the GAT softmax (spec §3.2 Proposal) and out of the ngb mean.
 * Paper deviation: DropoutNet is adapted to a generator of the ID embedding (the original drops preference inputs
 * of a two-tower recommender); the paper's list of baselines is unknown (spec §5). LeakyReLU slope 0.2 (TF default).
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Module } from '../layers/module.ts';
import { MLP } from '../layers/dense.ts';
import type { Rng } from '../random.ts';

/** The generator kinds, baselines first. 'random' has no generator (new rows keep their random initialisation). */
export const GENERATORS = ['random', 'meta-embedding', 'ngb', 'dropoutnet', 'gme-p', 'gme-g', 'gme-a'] as const;
/** One generator kind. */
export type GeneratorKind = (typeof GENERATORS)[number];
/** Display names for tables. */
export const GENERATOR_LABELS: Record<GeneratorKind, string> = {
  random: 'random init', 'meta-embedding': 'Meta-Embedding', ngb: 'ngb (neighbour mean)', dropoutnet: 'DropoutNet', 'gme-p': 'GME-P', 'gme-g': 'GME-G', 'gme-a': 'GME-A',
};

/** What a generator reads for M ads (all from the frozen backbone; see meta.ts `generatorInputs`). */
export interface GeneratorInputs {
  /** (M, S·D) the ads' attribute-slot embeddings. */
  attr: Tensor;
  /** (M, N, S·D) the neighbours' attribute embeddings (N may be 0). */
  nbrAttr: Tensor;
  /** (M, N, D) the neighbours' pre-trained ID embeddings. */
  nbrId: Tensor;
  /** (M, N) 1 for a real neighbour, 0 for padding. */
  nbrMask: Tensor;
  /** (M, D) the ads' own pre-trained ID embeddings (zeros for new ads; read by DropoutNet only). */
  ownId: Tensor;
}

/** Generator sizes. */
export interface GeneratorDims {
  /** Attribute slots S. */
  slots: number;
  /** Embedding dim D. */
  dim: number;
  /** gamma, the output scale (spec: 1.0). */
  gamma: number;
  /** DropoutNet's drop probability of the ID input. */
  dropRate: number;
}

/**
 * One generator; `generate(inputs, training)` -> (M, D).
 * @example
 * const g = new EmbeddingGenerator(new Rng(1), 'gme-a', { slots: 4, dim: 10, gamma: 1, dropRate: 0.5 });
 * g.generate(inputs, false); // (M, 10)
 */
export class EmbeddingGenerator extends Module {
  private readonly wMeta: Tensor | null = null;
  private readonly wGat: Tensor | null = null;
  private readonly aGat: Tensor | null = null;
  private readonly mlp: MLP | null = null;
  private dropSeed = 1;

  constructor(rng: Rng, readonly kind: Exclude<GeneratorKind, 'random'>, readonly dims: GeneratorDims) {
    super(rng);
    const { slots: S, dim: D } = dims;
    const A = S * D;
    if (kind === 'dropoutnet') {
      this.mlp = this.module('mlp', new MLP(this.rng, A + D, { hidden: [2 * D], outDim: D }));
      return;
    }
    this.wMeta = this.param('wMeta', kind === 'ngb' ? [D, D] : [A, D], 'glorot');
    if (kind === 'gme-p' || kind === 'gme-g') {
      this.wGat = this.param('wGat', [D, D], 'glorot');
      this.aGat = this.param('aGat', [2 * D, 1], 'glorot');
    } else if (kind === 'gme-a') {
      this.wGat = this.param('wGat', [A, A], 'glorot');
      this.aGat = this.param('aGat', [2 * A, 1], 'glorot');
    }
  }

  private meta(x: Tensor): Tensor {
    return tf.mul(this.dims.gamma, tf.tanh(tf.matMul(x, this.wMeta as Tensor))); // (M, D)
  }

  /**
   * Graph attention of the centre over {neighbours} ∪ {centre}: centre (M, W), nbr (M, N, W), mask (M, N) ->
   * ELU(sum_i alpha_i W_gat node_i) (M, W').
   */
  private attend(centre: Tensor, nbr: Tensor, mask: Tensor): Tensor {
    const wGat = this.wGat as Tensor;
    const aGat = this.aGat as Tensor;
    const [M, N] = [centre.shape[0], nbr.shape[1] as number];
    const W = centre.shape[1] as number;
    const nodes = N > 0 ? tf.concat([nbr, tf.expandDims(centre, 1)], 1) : tf.expandDims(centre, 1); // (M, N+1, W)
    const h = tf.reshape(tf.matMul(tf.reshape(nodes, [M * (N + 1), W]), wGat), [M, N + 1, -1]); // (M, N+1, W')
    const Wp = wGat.shape[1] as number;
    const hc = tf.matMul(centre, wGat); // (M, W')
    const a1 = tf.slice(aGat, [0, 0], [Wp, 1]); // (W', 1)
    const a2 = tf.slice(aGat, [Wp, 0], [Wp, 1]); // (W', 1)
    const s0 = tf.matMul(hc, a1); // (M, 1)
    const si = tf.reshape(tf.matMul(tf.reshape(h, [M * (N + 1), Wp]), a2), [M, N + 1]); // (M, N+1)
    let s = tf.leakyRelu(tf.add(s0, si), 0.2); // (M, N+1)
    const valid = N > 0 ? tf.concat([mask, tf.ones([M, 1])], 1) : tf.ones([M, 1]); // (M, N+1)
    s = tf.add(s, tf.mul(tf.sub(1, valid), -1e9)); // padded neighbours masked
    const alpha = tf.softmax(s); // (M, N+1)
    return tf.elu(tf.sum(tf.mul(tf.expandDims(alpha, 2), h), 1)); // (M, W')
  }

  /** The generated ID embeddings (M, D). */
  generate(x: GeneratorInputs, training: boolean): Tensor {
    const M = x.attr.shape[0];
    const N = x.nbrMask.shape[1] as number;
    switch (this.kind) {
      case 'meta-embedding':
        return this.meta(x.attr);
      case 'ngb': {
        if (N === 0) return this.meta(tf.zerosLike(x.ownId));
        const m = tf.expandDims(x.nbrMask, 2); // (M, N, 1)
        const mean = tf.div(tf.sum(tf.mul(x.nbrId, m), 1), tf.maximum(tf.sum(m, 1), 1)); // (M, D)
        return this.meta(mean);
      }
      case 'dropoutnet': {
        let id = x.ownId; // (M, D)
        if (training) {
          const keep = tf.cast(tf.greater(tf.randomUniform([M, 1], 0, 1, 'float32', this.dropSeed++), this.dims.dropRate), 'float32'); // (M, 1)
          id = tf.mul(id, keep);
        }
        return tf.mul(this.dims.gamma, tf.tanh((this.mlp as MLP).apply(tf.concat([x.attr, id], 1), training))); // (M, D)
      }
      case 'gme-p':
        return this.attend(this.meta(x.attr), x.nbrId, x.nbrMask);
      case 'gme-g': {
        const A = x.attr.shape[1] as number;
        const g = N > 0 ? tf.reshape(this.meta(tf.reshape(x.nbrAttr, [M * N, A])), [M, N, -1]) : x.nbrId; // (M, N, D)
        return this.attend(this.meta(x.attr), g, x.nbrMask);
      }
      case 'gme-a':
        return this.meta(this.attend(x.attr, x.nbrAttr, x.nbrMask));
    }
  }
}
