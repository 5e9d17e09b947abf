/**
 * The real discrete Fourier transform along the time axis of a sequence, written as matmuls with fixed cos/sin bases,
 * so gradients flow through it (tfjs has no gradient for `tf.spectral.rfft`). Same conventions as numpy's
 * `np.fft.rfft` / `np.fft.irfft` (no normalisation forward, 1/L inverse):
 *   X_k = sum_t x_t e^{-2 pi i k t / L},                k = 0 .. floor(L/2)    (K = floor(L/2) + 1 bins)
 *   x_t = (1/L) sum_k w_k (Re X_k cos(2 pi k t / L) - Im X_k sin(2 pi k t / L)),
 *   w_0 = 1, w_{L/2} = 1 when L is even, else w_k = 2 (the mirrored bins L - k); Im X_0 and Im X_{L/2} are ignored
 *   by the inverse, as irfft does.
 * Also the low-pass projection FARM uses (spec farm.md §3.2): keep bins k < K_low (and their mirrors), as one real
 * L x L matrix P = Re(IDFT diag(m) DFT), so Low = P V is a single matmul along time.
 * Bases are computed in float64 and stored as float32 tensors owned by the `RealDFT` instance (free with dispose()).
 * Reference test: test/farm/dft_reference.py (numpy) -> test/farm/fixtures/dft.json, checked in test/farm/dft.test.ts.
 */
import { tf } from '../tf.ts';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';

/** Number of rfft bins of a length-L signal: floor(L/2) + 1. */
export function rfftBins(length: number): number {
  return Math.floor(length / 2) + 1;
}

function checkLength(length: number, where: string): void {
  if (!(Number.isInteger(length) && length >= 1)) throw new Error(`${where}: length must be a positive integer, got ${length}`);
}

/**
 * The forward bases, row-major (K, L): cos[k, t] = cos(2 pi k t / L), sin[k, t] = -sin(2 pi k t / L), so that
 * Re X = cos x and Im X = sin x.
 * @example
 * const { cos, sin } = rdftBases(4); // each Float64Array of 3 * 4 values
 */
export function rdftBases(length: number): { cos: Float64Array; sin: Float64Array } {
  checkLength(length, 'rdftBases');
  const K = rfftBins(length);
  const cos = new Float64Array(K * length);
  const sin = new Float64Array(K * length);
  for (let k = 0; k < K; k++) {
    for (let t = 0; t < length; t++) {
      const a = (2 * Math.PI * ((k * t) % length)) / length; // reduce k t mod L for accuracy
      cos[k * length + t] = Math.cos(a);
      sin[k * length + t] = -Math.sin(a);
    }
  }
  return { cos, sin };
}

/** The inverse weights w_k of the real inverse DFT (1 for DC and the Nyquist bin, 2 otherwise). */
function inverseWeight(k: number, length: number): number {
  return k === 0 || 2 * k === length ? 1 : 2;
}

/**
 * The low-pass projection along time, row-major (L, L): P[t, s] = (1/L) sum_{k < kLow} w_k cos(2 pi k (t - s) / L),
 * i.e. irfft(mask_{k < kLow} * rfft(x)) = P x. kLow is clamped to the K bins (kLow >= K keeps everything: P = I).
 * @example
 * lowPassMatrix(8, 1); // every entry 1/8: the mean of the sequence
 */
export function lowPassMatrix(length: number, kLow: number): Float64Array {
  checkLength(length, 'lowPassMatrix');
  if (!(Number.isInteger(kLow) && kLow >= 0)) throw new Error(`lowPassMatrix: kLow must be a non-negative integer, got ${kLow}`);
  const K = Math.min(kLow, rfftBins(length));
  const P = new Float64Array(length * length);
  for (let t = 0; t < length; t++) {
    for (let s = 0; s < length; s++) {
      let v = 0;
      for (let k = 0; k < K; k++) v += inverseWeight(k, length) * Math.cos((2 * Math.PI * ((((k * (t - s)) % length) + length) % length)) / length);
      P[t * length + s] = v / length;
    }
  }
  return P;
}

/** Applies an (L_out, L_in) matrix along axis 1 of x (B, L_in, D): (B, L_out, D), as one 2-D matmul. */
function alongTime(m: Tensor2D, x: Tensor): Tensor {
  const [B, L, D] = x.shape as [number, number, number];
  const flat = tf.reshape(tf.transpose(x, [0, 2, 1]), [B * D, L]) as Tensor2D; // (B*D, L)
  const y = tf.matMul(flat, m, false, true); // (B*D, L_out)
  return tf.transpose(tf.reshape(y, [B, D, m.shape[0]]), [0, 2, 1]); // (B, L_out, D)
}

/**
 * rfft / irfft / low-pass of length-L sequences along axis 1 of (B, L, D) tensors, differentiable (matmuls only).
 * Holds its bases as tensors: call dispose() when done.
 * @example
 * const dft = new RealDFT(8);
 * const { re, im } = dft.forward(x); // x (B, 8, D) -> (B, 5, D) each
 * const back = dft.inverse(re, im);  // (B, 8, D), equal to x up to float error
 * dft.dispose();
 */
export class RealDFT {
  /** Number of frequency bins K = floor(L/2) + 1. */
  readonly bins: number;
  private readonly cos: Tensor2D; // (K, L)
  private readonly sin: Tensor2D; // (K, L)
  private readonly invCos: Tensor2D; // (L, K): w_k cos(2 pi k t / L) / L
  private readonly invSin: Tensor2D; // (L, K): -w_k sin(2 pi k t / L) / L
  private readonly lowPasses = new Map<number, Tensor2D>();

  constructor(readonly length: number) {
    checkLength(length, 'RealDFT');
    const K = rfftBins(length);
    this.bins = K;
    const { cos, sin } = rdftBases(length);
    const ic = new Float64Array(length * K);
    const is = new Float64Array(length * K);
    for (let t = 0; t < length; t++) {
      for (let k = 0; k < K; k++) {
        const w = inverseWeight(k, length) / length;
        ic[t * K + k] = w * cos[k * length + t];
        // x_t gets -Im X_k sin(a) = Im X_k * sin[k, t] (sin[k, t] = -sin(a)); zero for DC and Nyquist.
        is[t * K + k] = k === 0 || 2 * k === length ? 0 : w * sin[k * length + t];
      }
    }
    // tf.keep: a RealDFT built inside a tf.tidy keeps its bases.
    this.cos = tf.keep(tf.tensor2d(Float32Array.from(cos), [K, length]));
    this.sin = tf.keep(tf.tensor2d(Float32Array.from(sin), [K, length]));
    this.invCos = tf.keep(tf.tensor2d(Float32Array.from(ic), [length, K]));
    this.invSin = tf.keep(tf.tensor2d(Float32Array.from(is), [length, K]));
  }

  private check(x: Tensor, len: number, what: string): void {
    if (x.rank !== 3 || x.shape[1] !== len) throw new Error(`RealDFT(${this.length}).${what}: expected (B, ${len}, D), got (${x.shape.join(', ')})`);
  }

  /** rfft along time: x (B, L, D) -> re, im (B, K, D). */
  forward(x: Tensor): { re: Tensor; im: Tensor } {
    this.check(x, this.length, 'forward');
    return { re: alongTime(this.cos, x), im: alongTime(this.sin, x) }; // (B, K, D) each
  }

  /** irfft along time: re, im (B, K, D) -> (B, L, D). */
  inverse(re: Tensor, im: Tensor): Tensor {
    this.check(re, this.bins, 'inverse');
    this.check(im, this.bins, 'inverse');
    return tf.add(alongTime(this.invCos, re), alongTime(this.invSin, im)); // (B, L, D)
  }

  /** Per-bin energy |X_k|^2 summed over D: x (B, L, D) -> (B, K). */
  energy(x: Tensor): Tensor {
    const { re, im } = this.forward(x); // (B, K, D)
    return tf.sum(tf.add(tf.square(re), tf.square(im)), 2); // (B, K)
  }

  /**
   * The low-pass matrix P (L, L) for a cut-off, built once and cached (call it at construction time so no tensor
   * appears later, inside a training step).
   */
  lowPassOperator(kLow: number): Tensor2D {
    let P = this.lowPasses.get(kLow);
    if (!P) {
      // tf.keep: the cache must outlive a surrounding tf.tidy.
      P = tf.keep(tf.tensor2d(Float32Array.from(lowPassMatrix(this.length, kLow)), [this.length, this.length]));
      this.lowPasses.set(kLow, P);
    }
    return P;
  }

  /** The low-pass part irfft(mask_{k < kLow} rfft(x)) = P x: x (B, L, D) -> (B, L, D). P is cached per kLow. */
  lowPass(x: Tensor, kLow: number): Tensor {
    this.check(x, this.length, 'lowPass');
    return alongTime(this.lowPassOperator(kLow), x); // (B, L, D)
  }

  /** Frees the bases. */
  dispose(): void {
    tf.dispose([this.cos, this.sin, this.invCos, this.invSin, ...this.lowPasses.values()]);
    this.lowPasses.clear();
  }
}
