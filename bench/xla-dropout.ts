/**
 * Probe: what a dropout mask costs inside a compiled step, with and without XLA, for the two mask generators of
 * src/layers/dropout.ts — TensorFlow's StatelessRandomUniform (Philox; the default) and the integer hash
 * `ReclabHashUniform` (src/backend-kernels.ts; used when RECLAB_XLA=1). The step: x (1024 x 512) with dropout 0.2,
 * times a 512 x 256 weight, ReLU, sum; each step draws a new mask (the seed is a step input that changes). Six
 * variants: no dropout, Philox and hash, each compiled without and with XLA, run in rotating order over 30 rounds
 * (median ms per step, and the median per-round ratio to the first variant; bench/profile-util.ts `interleaved`).
 * Measured 2026-12-07 (2-core machine, loaded by an evidence run and a test run; medians of 30 rounds): no dropout
 * 2.8 ms compiled / 2.2 ms + XLA; Philox 9.9 ms / 715 ms (+ XLA); the hash 14.8 ms / 2.5 ms (+ XLA). Hence the
 * hash under XLA, where it costs about what no dropout costs, and Philox otherwise.
 * Run: `node --import tsx bench/xla-dropout.ts`.
 */
import { tf } from '../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { StepCompiler } from '../src/train/compile.ts';
import { HASH_UNIFORM, STATELESS_UNIFORM } from '../src/backend-kernels.ts';
import { interleaved, printTimings } from './profile-util.ts';

if (tf.getBackend() !== 'tensorflow') throw new Error('bench/xla-dropout: needs the native backend (tfjs-node)');
const x = tf.randomNormal([1024, 512]);
const w = tf.tidy(() => tf.variable(tf.mul(tf.randomNormal([512, 256]), 0.05))); // the initial tensor is freed

/** One variant: a compiler whose function was traced with RECLAB_XLA set to `xla`, drawing masks with `kernel`. */
function variant(xla: boolean, kernel: string | null): () => void {
  const compiler = new StepCompiler(`xla-dropout ${kernel ?? 'none'} ${xla ? 'xla' : ''}`);
  let draw = 0;
  const body = ({ x: xs, seed }: { x: Tensor; seed: Tensor }) => {
    const u = kernel ? (tf.engine().runKernel(kernel, { seed }, { shape: xs.shape }) as Tensor) : null;
    const h = u ? tf.mul(xs, tf.mul(tf.cast(tf.greaterEqual(u, 0.2), 'float32'), 1.25)) : xs;
    return tf.sum(tf.relu(tf.matMul(h, w)));
  };
  return () => {
    const before = process.env.RECLAB_XLA;
    process.env.RECLAB_XLA = xla ? '1' : '0'; // read when the step is traced
    try {
      const seed = tf.tensor1d([7, draw++], 'int32');
      const out = compiler.run({ x, seed }, body);
      out.dataSync();
      out.dispose();
      seed.dispose();
    } finally {
      if (before === undefined) delete process.env.RECLAB_XLA;
      else process.env.RECLAB_XLA = before;
    }
    if (compiler.fallbackReason) throw new Error(`bench/xla-dropout: the step fell back to eager: ${compiler.fallbackReason}`);
  };
}

const timings = interleaved({
  'no dropout, compiled': variant(false, null),
  'no dropout, compiled + XLA': variant(true, null),
  'Philox, compiled': variant(false, STATELESS_UNIFORM),
  'Philox, compiled + XLA': variant(true, STATELESS_UNIFORM),
  'hash, compiled': variant(false, HASH_UNIFORM),
  'hash, compiled + XLA': variant(true, HASH_UNIFORM),
}, 30, 3);
printTimings('dropout masks in a compiled step (1024 x 512, rate 0.2), ms per step', timings);
