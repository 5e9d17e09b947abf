/**
 * FARM's intra-domain frequency-aware module (spec farm.md §3.2; FARM, arXiv 2502.09375): a behaviour sequence is a
 * signal along time; its low-frequency part (dense, repeated behaviour) and high-frequency part (sparse, valuable
 * behaviour) are reweighted by learned gates:
 *   Low   = irfft(mask_{k < K_low} rfft(V)) = P V        (P: the L x L low-pass matrix of src/layers/dft.ts)
 *   High  = V - Low
 *   g     = masked_mean_t(V)   (or an outside vector, e.g. the user embedding: `gateInput: 'outside'`)
 *   alpha = sigmoid(MLP_a(g)),  beta = sigmoid(MLP_b(g))   (B, 1, D), MLP D -> D/2 -> D
 *   F     = Dropout(alpha * Low + beta * High),  then padded steps zeroed again      (the paper's form, default)
 * Variant `output: 'residual-layernorm'`: F = LayerNorm(V + Dropout(alpha * Low + beta * High)) — an earlier spec
 * proposal, not the paper's; measured harmful in reclab's live world (farm.md §3.2), kept as an ablation row.
 * Padding: reclab sequences are left-aligned (padding after the most recent step) while the spec proposes left
 * padding; P is circulant (P[t, s] depends on (t - s) mod L), so it commutes with the circular shift between the two
 * layouts and Low is the same up to that shift: no deviation in effect.
 * Ablation switches: `band` 'low' / 'high' keeps one branch (the other's gate is fixed at 0), `gates: 'fixed'` sets
 * alpha = beta = 1 (then alpha Low + beta High = V).
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Module } from './module.ts';
import { MLP } from './dense.ts';
import { LayerNorm } from './norm.ts';
import { RealDFT } from './dft.ts';
import type { Rng } from '../random.ts';
import type { DropoutStream } from './dropout.ts';

/** Options of `FrequencyAware`; defaults in `FREQUENCY_DEFAULTS`. */
export interface FrequencyConfig {
  /** Low-pass cut-off: bins k < kLow are "low" (spec Proposal 3, tuned in {2..5}). */
  kLow: number;
  /** Which branches enter F: both, or one only (ablations "low-frequency only" / "high-frequency only"). */
  band: 'both' | 'low' | 'high';
  /** Learned sigmoid gates, or alpha = beta = 1. */
  gates: 'learned' | 'fixed';
  /** Gate input: the masked mean of the sequence, or a vector passed to apply() (e.g. the user embedding). */
  gateInput: 'sequence' | 'outside';
  /** Width of the outside gate input (used when gateInput is 'outside'). */
  outsideDim: number;
  dropout: number;
  /** 'paper': F = alpha Low + beta High (FARM's form); 'residual-layernorm': F = LayerNorm(V + alpha Low + beta High). */
  output: 'paper' | 'residual-layernorm';
}
/** Defaults (spec Proposal): kLow 3, both bands, learned gates on the sequence mean, dropout 0.1, the paper's output form. */
export const FREQUENCY_DEFAULTS: FrequencyConfig = { kLow: 3, band: 'both', gates: 'learned', gateInput: 'sequence', outsideDim: 0, dropout: 0.1, output: 'paper' };

/** What `FrequencyAware.apply` returns. */
export interface FrequencyOutput {
  /** F (B, L, D), zero at padded steps. */
  out: Tensor;
  /** Gates (B, D); ones when fixed, zeros for a dropped band. */
  alpha: Tensor;
  beta: Tensor;
}

/**
 * The frequency-aware module for sequences of length `length` and width `dim`. Parameters: `alphaMlp.*`,
 * `betaMlp.*` (learned gates only), `norm.gamma`, `norm.beta` (residual-layernorm output only). Owns a `RealDFT`; dispose() frees it too.
 * @example
 * const fa = new FrequencyAware(rng, 50, 16);
 * const { out, alpha } = fa.apply(v, mask, true); // v (B, 50, 16), mask (B, 50) -> out (B, 50, 16), alpha (B, 16)
 */
export class FrequencyAware extends Module {
  readonly config: FrequencyConfig;
  private readonly dft: RealDFT;
  private readonly alphaMlp: MLP | null;
  private readonly betaMlp: MLP | null;
  private readonly norm: LayerNorm | null;
  private readonly drops: DropoutStream;

  constructor(rng: Rng, readonly length: number, readonly dim: number, config: Partial<FrequencyConfig> = {}) {
    super(rng);
    const c = { ...FREQUENCY_DEFAULTS, ...config };
    for (const k of Object.keys(config)) if (!(k in FREQUENCY_DEFAULTS)) throw new Error(`frequency config: unknown key '${k}' (known: ${Object.keys(FREQUENCY_DEFAULTS).join(', ')})`);
    if (!(Number.isInteger(c.kLow) && c.kLow >= 1)) throw new Error(`frequency config: kLow must be a positive integer, got ${c.kLow}`);
    if (!['both', 'low', 'high'].includes(c.band)) throw new Error(`frequency config: band must be both, low or high, got '${c.band}'`);
    if (!['paper', 'residual-layernorm'].includes(c.output)) throw new Error(`frequency config: output must be paper or residual-layernorm, got '${c.output}'`);
    if (c.gateInput === 'outside' && !(Number.isInteger(c.outsideDim) && c.outsideDim >= 1)) throw new Error(`frequency config: gateInput 'outside' needs outsideDim >= 1, got ${c.outsideDim}`);
    this.config = c;
    this.dft = new RealDFT(length);
    this.dft.lowPassOperator(c.kLow); // built now, not inside the first training step
    const gIn = c.gateInput === 'outside' ? c.outsideDim : dim;
    const mlp = () => new MLP(this.rng, gIn, { hidden: [Math.max(1, Math.floor(dim / 2))], outDim: dim, activation: 'relu', dropout: 0 });
    const learned = c.gates === 'learned';
    this.alphaMlp = learned && c.band !== 'high' ? this.module('alphaMlp', mlp()) : null;
    this.betaMlp = learned && c.band !== 'low' ? this.module('betaMlp', mlp()) : null;
    this.norm = c.output === 'residual-layernorm' ? this.module('norm', new LayerNorm(this.rng, dim)) : null;
    this.drops = this.dropoutStream();
  }

  /** The low-frequency part P V of a sequence (B, L, D) -> (B, L, D) (for analysis and tests). */
  low(v: Tensor): Tensor {
    return this.dft.lowPass(v, this.config.kLow); // (B, L, D)
  }

  /**
   * F for a sequence v (B, L, D) with padding mask (B, L); `outside` (B, outsideDim) feeds the gates when
   * gateInput is 'outside'.
   */
  apply(v: Tensor, mask: Tensor, training: boolean, outside?: Tensor): FrequencyOutput {
    const [B, L, D] = v.shape as [number, number, number];
    if (L !== this.length || D !== this.dim) throw new Error(`FrequencyAware(${this.length}, ${this.dim}): got a sequence of shape (${v.shape.join(', ')})`);
    const m = tf.expandDims(mask, 2); // (B, L, 1)
    const V = tf.mul(v, m); // (B, L, D), padded steps zeroed
    const low = this.low(V); // (B, L, D)
    const high = tf.sub(V, low); // (B, L, D)
    let g: Tensor; // (B, Dg)
    if (this.config.gateInput === 'outside') {
      if (!outside) throw new Error("FrequencyAware: gateInput 'outside' needs the outside vector");
      g = outside;
    } else g = tf.div(tf.sum(V, 1), tf.maximum(tf.sum(m, 1), 1)); // (B, D)
    const gate = (mlp: MLP | null, kept: boolean): Tensor => {
      if (!kept) return tf.zeros([B, D]);
      return mlp ? tf.sigmoid(mlp.apply(g, training)) : tf.ones([B, D]); // (B, D)
    };
    const c = this.config;
    const alpha = gate(this.alphaMlp, c.band !== 'high'); // (B, D)
    const beta = gate(this.betaMlp, c.band !== 'low'); // (B, D)
    let mixed = tf.add(tf.mul(tf.expandDims(alpha, 1), low), tf.mul(tf.expandDims(beta, 1), high)); // F = alpha Low + beta High, (B, L, D)
    if (training && c.dropout > 0) mixed = this.drops.apply(mixed, c.dropout);
    const out = tf.mul(this.norm ? this.norm.apply(tf.add(V, mixed)) : mixed, m); // (B, L, D)
    return { out, alpha, beta };
  }

  /** Frees the parameters and the DFT bases. */
  override dispose(): void {
    super.dispose();
    this.disposeBases();
  }

  /** Frees only the DFT bases (for an owner whose dispose() already freed the parameters by name). */
  disposeBases(): void {
    this.dft.dispose();
  }
}
