/**
 * Sizes of TensorFlow's two thread pools (intra-op: threads inside one kernel; inter-op: kernels of one graph run side
 * by side), for this process and for the worker processes it starts. libtensorflow reads TF_NUM_INTRAOP_THREADS and
 * TF_NUM_INTEROP_THREADS once, when it loads, so src/tf.ts applies `defaultPools()` before loading it.
 *
 * Defaults, measured on this 2-core machine (README, "Compiled training steps"):
 * - intra-op 1: reclab's kernels are small, and splitting one across threads costs more than it gains (DIN steps
 *   20-30% slower eagerly with the default pool, bench/profile-env.ts; compiled DIN at batch 1024 0.85x PyTorch with
 *   intra 2 / inter 2 against 1.02-1.12x with intra 1 / inter 2, `npm run bench` in the same hour);
 * - inter-op one thread per core for a process that has the machine to itself: a compiled step is one graph, whose
 *   independent branches (attention and tower, the experts of a multi-task model) then run at once. Compiled DIN
 *   trains 1.54x faster with 2 inter-op threads than with 1 (batch 1024, the two alternated), FARM 1.96x (separate
 *   runs); eager steps run each op on the caller's thread and are unaffected (DIN 27.3k vs 27.1k samples/s);
 * - a worker that shares the machine with others (fit workers, pipeline workers, Ray tasks) gets cores / workers
 *   inter-op threads (at least 1), so N workers never ask for more threads than there are cores.
 *
 * A value the user set in the environment wins everywhere, and is handed to workers unchanged.
 */
import { cpus } from 'node:os';

const INTRA = 'TF_NUM_INTRAOP_THREADS';
const INTER = 'TF_NUM_INTEROP_THREADS';

/** The pool sizes the user set before reclab touched the environment (undefined = not set). */
const userSet = { intraOp: process.env[INTRA], interOp: process.env[INTER] };

/** Cores of this machine (at least 1). */
function cores(): number {
  return Math.max(1, cpus().length);
}

/**
 * The pool variables for a process that shares `available` cores (default: this machine's) with `processes - 1`
 * others like it (1 = it has them to itself): the user's own values where set, else intra-op 1 and inter-op
 * max(1, floor(available / processes)). A Ray task, which holds one CPU of its node, gets `poolEnv(1, 1)`.
 */
export function poolEnv(processes: number, available = cores()): Record<typeof INTRA | typeof INTER, string> {
  if (!(Number.isInteger(processes) && processes >= 1)) throw new Error(`poolEnv: processes must be a positive integer, got ${processes}`);
  if (!(Number.isInteger(available) && available >= 1)) throw new Error(`poolEnv: available cores must be a positive integer, got ${available}`);
  return {
    [INTRA]: userSet.intraOp ?? '1',
    [INTER]: userSet.interOp ?? String(Math.max(1, Math.floor(available / processes))),
  };
}

/**
 * Sets this process's pool variables where neither the user nor the parent that started it did (a worker's parent
 * passes `poolEnv(workers)`, so a worker keeps what it was given). Called by src/tf.ts before libtensorflow loads.
 */
export function defaultPools(): void {
  const env = poolEnv(1);
  process.env[INTRA] ??= env[INTRA];
  process.env[INTER] ??= env[INTER];
}
