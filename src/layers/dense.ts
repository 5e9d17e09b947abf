/**
 * Fully connected layers: `Dense` (y = act(x W + b), one fused op) and `MLP` (a stack of them with dropout).
 */
import { tf } from '../tf.ts';
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { Module, activate, type Activation } from './module.ts';
import type { Rng } from '../random.ts';
import type { DropoutStream } from './dropout.ts';

type FusedAct = 'linear' | 'relu' | 'sigmoid' | 'elu';
const FUSED: ReadonlySet<Activation> = new Set<Activation>(['linear', 'relu', 'sigmoid', 'elu']);

/**
 * y = act(x W + b) on the last axis; x may be (B, in) or (B, T, in).
 * @example
 * const d = new Dense(rng, 16, 4, 'relu'); d.apply(tf.ones([2, 16])); // (2, 4)
 */
export class Dense extends Module {
  readonly kernel: Variable;
  readonly bias: Variable | null;

  constructor(rng: Rng, readonly inDim: number, readonly outDim: number, readonly activation: Activation = 'linear', useBias = true) {
    super(rng);
    this.kernel = this.param('kernel', [inDim, outDim], 'glorot');
    this.bias = useBias ? this.param('bias', [outDim], 'zeros') : null;
  }

  apply(x: Tensor): Tensor {
    const lead = x.shape.slice(0, -1);
    const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, this.inDim])) as Tensor2D; // (N, in)
    const fused = FUSED.has(this.activation);
    let y: Tensor = tf.fused.matMul({
      a: x2,
      b: this.kernel as Tensor2D,
      bias: this.bias ?? undefined,
      activation: fused ? (this.activation as FusedAct) : 'linear',
    }); // (N, out)
    if (!fused) y = activate(y, this.activation);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, this.outDim]); // (..., out)
  }
}

/** Options of `MLP`; defaults in `MLP_DEFAULTS`. */
export interface MLPConfig {
  /** Hidden widths, e.g. [200, 80]. */
  hidden: number[];
  activation: Activation;
  /** Width of a final linear layer; 0 = none (the output is the last hidden layer). */
  outDim: number;
  /** Dropout rate after each hidden layer during training. */
  dropout: number;
}
/** Defaults: two hidden layers [128, 64], ReLU, a final linear output of width 1, no dropout. */
export const MLP_DEFAULTS: MLPConfig = { hidden: [128, 64], activation: 'relu', outDim: 1, dropout: 0 };

/**
 * A stack of Dense layers (`dense0`, `dense1`, ..., then `out`).
 * @example
 * const mlp = new MLP(rng, 32, { hidden: [16], outDim: 1 }); mlp.apply(x, true); // (B, 1)
 */
export class MLP extends Module {
  readonly config: MLPConfig;
  private readonly layers: Dense[] = [];
  private readonly drops: DropoutStream;

  constructor(rng: Rng, readonly inDim: number, config: Partial<MLPConfig> = {}) {
    super(rng);
    this.config = { ...MLP_DEFAULTS, ...config, hidden: [...(config.hidden ?? MLP_DEFAULTS.hidden)] };
    let d = inDim;
    this.config.hidden.forEach((h, i) => {
      this.layers.push(this.module(`dense${i}`, new Dense(this.rng, d, h, this.config.activation)));
      d = h;
    });
    if (this.config.outDim > 0) this.layers.push(this.module('out', new Dense(this.rng, d, this.config.outDim)));
    this.drops = this.dropoutStream();
  }

  /** Width of the output. */
  get outDim(): number {
    return this.config.outDim > 0 ? this.config.outDim : (this.config.hidden.at(-1) ?? this.inDim);
  }

  apply(x: Tensor, training: boolean): Tensor {
    return this.applyFrom(0, x, training);
  }

  /** The i-th Dense layer (hidden layers first, then `out`). */
  layer(i: number): Dense {
    const l = this.layers[i];
    if (!l) throw new Error(`MLP: no layer ${i} (it has ${this.layers.length})`);
    return l;
  }

  /**
   * Runs layers `start`, `start + 1`, ... on `x`, the output of layer `start - 1` after its activation (for callers
   * that compute the first layer themselves, e.g. TargetAttention); dropout follows each hidden layer as in `apply`.
   */
  applyFrom(start: number, x: Tensor, training: boolean): Tensor {
    let h = x;
    const nHidden = this.config.hidden.length;
    if (start > 0 && training && this.config.dropout > 0 && start - 1 < nHidden) h = this.drops.apply(h, this.config.dropout);
    for (let i = start; i < this.layers.length; i++) {
      h = this.layers[i].apply(h);
      if (training && this.config.dropout > 0 && i < nHidden) h = this.drops.apply(h, this.config.dropout);
    }
    return h;
  }
}
