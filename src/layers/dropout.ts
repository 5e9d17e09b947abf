/**
 * Dropout whose mask TensorFlow draws, so a compiled training step can draw a fresh one at every call (issue 19).
 *
 * `tf.dropout` draws its mask in JavaScript: a traced step would freeze one mask into the graph, so the step compiler
 * refuses such steps (src/train/compile.ts) and every model with dropout trained eagerly. A `DropoutStream` instead
 * keeps its position in a small int32 variable, (stream key, draws so far). Each call reads that variable, draws the
 * mask with TensorFlow's counter-based `StatelessRandomUniform` (Philox) seeded by it, and assigns the variable its
 * next position. In a compiled step the variable is a function input and output like any weight, so each step gets
 * new masks without a trace; eagerly the same kernel with the same seed gives the same mask, so compiled and eager
 * training see identical masks (test/compile/compile.test.ts, the DropoutStream test).
 *
 * With XLA on (`RECLAB_XLA=1`) the mask comes from a counter-based integer hash of the same position instead
 * (`ReclabHashUniform`, src/backend-kernels.ts): XLA draws StatelessRandomUniform on CPU with its own generator,
 * hundreds of times slower than the step around it and with other values than eager, while the hash is plain int32
 * arithmetic that XLA fuses and computes bit for bit as eager TensorFlow does. Without XLA, Philox stays: as separate
 * graph ops the hash costs about 1.5 times as much (bench/xla-dropout.ts). The generator is chosen per process, so a model's masks
 * never switch mid-run.
 *
 * On the pure-JS `cpu` backend, which has neither kernel, the mask comes from `tf.randomUniform` seeded by the same
 * position (read back to JavaScript): the same distribution, other values.
 */
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { HASH_UNIFORM, STATELESS_UNIFORM } from '../backend-kernels.ts';
import { xlaEnabled } from '../train/compile.ts';

/**
 * A seeded sequence of dropout masks, owned by one module (create it with `Module.dropoutStream()`, which also frees
 * it with the module).
 * @example
 * const drops = new DropoutStream(7);
 * const y = drops.apply(x, 0.1); // x with about 10% of its entries zeroed, the rest scaled by 1 / 0.9
 */
export class DropoutStream {
  private readonly state: Variable;
  private readonly step: Tensor;

  /** @param key the stream's seed; two streams with different keys draw independent masks. */
  constructor(key: number) {
    if (!Number.isInteger(key) || key < 0 || key >= 2 ** 31) throw new Error(`DropoutStream: key must be an integer in [0, 2^31), got ${key}`);
    this.state = tf.tidy(() => tf.variable(tf.tensor1d([key, 0], 'int32'), false)); // the initial tensor is freed: a live one sharing the buffer would stop compilation
    this.step = tf.keep(tf.tensor1d([0, 1], 'int32'));
  }

  /** The stream's position, [key, masks drawn so far] (reads the state back; what a checkpoint stores). */
  position(): [number, number] {
    const [key, n] = this.state.dataSync();
    return [key, n];
  }

  /** Moves the stream to a stored position, so the next masks are the ones an uninterrupted run would draw. */
  setPosition(p: readonly number[]): void {
    if (p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31)) throw new Error(`DropoutStream: a position is [key, draws], two integers in [0, 2^31); got [${p.join(', ')}]`);
    tf.tidy(() => this.state.assign(tf.tensor1d([p[0], p[1]], 'int32')));
  }

  /**
   * Inverted dropout: each entry of `x` is zeroed with probability `rate` and the others are scaled by 1 / (1 - rate),
   * so the expectation is unchanged. Advances the stream by one draw.
   */
  apply(x: Tensor, rate: number): Tensor {
    if (!(rate >= 0 && rate < 1)) throw new Error(`DropoutStream: rate must be in [0, 1), got ${rate}`);
    if (rate === 0) return x;
    return tf.tidy(() => {
      const u = uniformFrom(this.state, x.shape); // same shape as x, in [0, 1)
      this.state.assign(tf.add(this.state, this.step));
      return dropWith(x, u, rate);
    });
  }

  /** Frees the stream's state. */
  dispose(): void {
    this.state.dispose();
    this.step.dispose();
  }

}

/**
 * Uniform [0, 1) values of `shape` drawn by TensorFlow from an int32 (2) seed tensor: the integer hash under XLA,
 * Philox otherwise (the cpu backend: see above).
 */
function uniformFrom(seed: Tensor, shape: number[]): Tensor {
  if (tf.getBackend() === 'tensorflow') return tf.engine().runKernel(xlaEnabled() ? HASH_UNIFORM : STATELESS_UNIFORM, { seed }, { shape }) as Tensor;
  const [key, n] = seed.dataSync();
  return tf.randomUniform(shape, 0, 1, 'float32', key * 1_000_003 + n);
}

/**
 * Inverted dropout for functional models that carry their seed in a tensor instead of owning a stream (the
 * federated engine's vectorised clients, src/federated): the mask is drawn by TensorFlow from `seed` (int32 (2),
 * e.g. [round key, local step]) moved by `salt` (added to its first entry), so each dropout site of one step uses a
 * different salt. The same seed and salt give the same mask eagerly and in a compiled step, where the seed is a step
 * input (test/compile/compile.test.ts).
 * @example
 * const seed = tf.tensor1d([1234, 1], 'int32');
 * const y = seededDropout(x, 0.1, seed, 101); // about 10% zeroed, the rest scaled by 1 / 0.9
 */
export function seededDropout(x: Tensor, rate: number, seed: Tensor, salt = 0): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`seededDropout: rate must be in [0, 1), got ${rate}`);
  if (seed.dtype !== 'int32' || seed.shape.length !== 1 || seed.shape[0] !== 2) throw new Error(`seededDropout: seed must be an int32 tensor of shape [2], got ${seed.dtype} [${seed.shape.join(', ')}]`);
  if (!Number.isInteger(salt) || salt < 0) throw new Error(`seededDropout: salt must be a non-negative integer, got ${salt}`);
  if (rate === 0) return x;
  return tf.tidy(() => {
    const u = uniformFrom(salt === 0 ? seed : tf.add(seed, tf.tensor1d([salt, 0], 'int32')), x.shape);
    return dropWith(x, u, rate);
  });
}

/** x with the entries where u < rate zeroed and the rest scaled by 1 / (1 - rate). */
function dropWith(x: Tensor, u: Tensor, rate: number): Tensor {
  return tf.mul(x, tf.mul(tf.cast(tf.greaterEqual(u, rate), x.dtype), 1 / (1 - rate)));
}
