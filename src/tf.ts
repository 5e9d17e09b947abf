/**
 * The one TensorFlow.js import every reclab module uses, and the choice of backend.
 *
 * Order of preference: `tfjs-node-gpu` (installed and an NVIDIA device present) > `tfjs-node` (native TensorFlow C
 * library, built by env/build-tfjs-node.sh) > the pure-JS `cpu` backend (about 30x slower). `RECLAB_BACKEND`
 * (`tensorflow-gpu` | `tensorflow` | `cpu`) forces one; forcing one that cannot load is an error, never a silent
 * fallback. The wasm backend is not offered: it has no UnsortedSegmentSum kernel, so embeddings cannot train.
 *
 * Native backend settings: TensorFlow's intra-op pool defaults to 1 thread and its inter-op pool to one thread per
 * core, or cores / workers in a worker process (src/pools.ts, which says why; TF_NUM_INTRAOP_THREADS /
 * TF_NUM_INTEROP_THREADS are read when libtensorflow loads; set them to override). A few tfjs-node kernels are
 * replaced by leaner equivalents (src/backend-kernels.ts).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import * as tfjs from '@tensorflow/tfjs';
import { installLeanKernels } from './backend-kernels.ts';
import { defaultPools } from './pools.ts';

/** The TensorFlow.js namespace type (identical for every backend package). */
export type TF = typeof tfjs;

/** Which backend reclab is running on, and why; recorded in every run's metadata. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow` (native, CPU or GPU build) or `cpu`. */
  name: string;
  /** npm package that provided it. */
  package: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | '@tensorflow/tfjs';
  /** Version of that package. */
  version: string;
  /** Why this one was chosen (and what was tried before it). */
  reason: string;
  /** TensorFlow's pool sizes for the native backends ('default' = one thread per core). */
  threads?: { intraOp: string; interOp: string };
}

const require = createRequire(import.meta.url);
// Silence TensorFlow's C++ start-up log lines unless the user asked for them.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
// Pool sizes (src/pools.ts), set before libtensorflow loads and reads them.
defaultPools();

function gpuPresent(): boolean {
  return existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl');
}

function tryLoad(pkg: string): { ok: true; mod: TF } | { ok: false; error: string } {
  try {
    return { ok: true, mod: require(pkg) as TF };
  } catch (e) {
    return { ok: false, error: (e as Error).message.split('\n')[0] ?? String(e) };
  }
}

function pick(): { tf: TF; info: BackendInfo } {
  const forced = process.env.RECLAB_BACKEND;
  const allowed = ['tensorflow-gpu', 'tensorflow', 'cpu'];
  if (forced !== undefined && forced !== '' && !allowed.includes(forced)) {
    throw new Error(`RECLAB_BACKEND=${forced}: expected one of ${allowed.join(', ')}`);
  }
  const tried: string[] = [];
  const candidates: Array<[string, BackendInfo['package']]> = [];
  if (forced === 'tensorflow-gpu' || ((forced ?? '') === '' && gpuPresent())) {
    candidates.push(['tensorflow-gpu', '@tensorflow/tfjs-node-gpu']);
  }
  if (forced === 'tensorflow' || (forced ?? '') === '') candidates.push(['tensorflow', '@tensorflow/tfjs-node']);
  for (const [label, pkg] of candidates) {
    const r = tryLoad(pkg);
    if (r.ok) {
      const version = (require(`${pkg}/package.json`) as { version: string }).version;
      const reason = forced ? `forced by RECLAB_BACKEND=${forced}` : `fastest available${tried.length ? ` (${tried.join('; ')})` : ''}`;
      installLeanKernels(r.mod, { gpuPackage: pkg === '@tensorflow/tfjs-node-gpu' });
      const threads = { intraOp: process.env.TF_NUM_INTRAOP_THREADS ?? 'default', interOp: process.env.TF_NUM_INTEROP_THREADS ?? 'default' };
      return { tf: r.mod, info: { name: r.mod.getBackend(), package: pkg, version, reason, threads } };
    }
    tried.push(`${pkg} unavailable: ${r.error}`);
    if (forced === label) {
      throw new Error(`RECLAB_BACKEND=${forced} but ${pkg} cannot be loaded: ${r.error}. Run 'npm run setup' (env/build-tfjs-node.sh builds the native addon).`);
    }
  }
  tfjs.setBackend('cpu');
  const reason = forced === 'cpu' ? 'forced by RECLAB_BACKEND=cpu' : `fallback, about 30x slower than native (${tried.join('; ')})`;
  return { tf: tfjs, info: { name: 'cpu', package: '@tensorflow/tfjs', version: tfjs.version_core, reason } };
}

const chosen = pick();

/**
 * The TensorFlow.js namespace bound to the chosen backend. Import it from here, never from '@tensorflow/tfjs'.
 * @example
 * import { tf } from './tf.ts';
 * const y = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 1])));
 */
export const tf: TF = chosen.tf;

/**
 * The backend chosen at start-up and the reason, e.g. `{ name: 'tensorflow', package: '@tensorflow/tfjs-node', ... }`.
 * @example
 * console.log(backendInfo().name); // 'tensorflow'
 */
export function backendInfo(): BackendInfo {
  return { ...chosen.info };
}
