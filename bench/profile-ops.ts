/**
 * Per-op costs on tfjs-node with src/'s backend as it is (src/pools.ts's pool sizes, the lean kernels of
 * src/backend-kernels.ts), in isolation, at DIN's shapes (batch 1024, behaviour sequence 20, D = 8):
 *   dispatch — the fixed cost every op pays, split into its layers for a tiny op: tf.add (op wrapper + engine +
 *              kernel + binding) vs engine.runKernel vs the binding's executeOp alone vs JS-only ops;
 *   gather   — an embedding lookup of (1024, 20) ids: ids written from JS (what toTensors gives the model) vs ids
 *              already in TensorFlow, 1-D ids, table width and size, a one-hot matMul for a small table, the
 *              forward+backward; then checks that src's GatherV2 (no JS index pass) still rejects an out-of-range id;
 *   backward — ways to form an (N, 8) table gradient from (20480, 8) row gradients (UnsortedSegmentSum, what the
 *              gather gradient uses; ScatterNd; a one-hot matMul), the relu gradient (src's Step kernel vs
 *              cast(y > 0)), relu and matMul at the attention MLP's shape.
 * Every section is timed interleaved (median ms, median per-round ratio to its first row).
 * Run: node --import tsx bench/profile-ops.ts [dispatch|gather|backward|all]   (default all); pool sizes can be
 * overridden as usual, e.g. TF_NUM_INTRAOP_THREADS=2 node --import tsx bench/profile-ops.ts backward
 */
import { tf, backendInfo } from '../src/tf.ts';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import { interleaved, printTimings } from './profile-util.ts';

const which = process.argv[2] ?? 'all';
const B = 1024;
const T = 20;
const hashIds = (n: number, seed: number) => Int32Array.from({ length: B * T }, (_, i) => (Math.imul(i + 1, 2654435761 + seed) >>> 0) % n);
/** A tensor produced by a TF op, so that it already lives in TensorFlow's memory (kept). */
const inTf = (ids: Int32Array) => tf.keep(tf.add(tf.tensor1d(ids, 'int32'), tf.scalar(0, 'int32'))) as Tensor1D;
const table = (n: number, d: number) => tf.variable(tf.mul(tf.randomNormal([n, d]), 0.05));
const threads = backendInfo().threads;
console.log(`backend ${backendInfo().name}; pools intra ${threads?.intraOp ?? '?'}, inter ${threads?.interOp ?? '?'}`);

if (which === 'dispatch' || which === 'all') {
  interface BackendLike {
    binding: {
      TF_ATTR_TYPE: number;
      TF_FLOAT: number;
      executeOp(name: string, attrs: Array<{ name: string; type: number; value: number }>, ids: number[], nOut: number): Array<{ id: number }>;
      deleteTensor(id: number): void;
    };
    tensorMap: { get(dataId: object): { id: number } };
  }
  const backend = tf.backend() as unknown as BackendLike;
  const a = tf.keep(tf.add(tf.scalar(1), tf.scalar(0))); // materialised in TF
  const aId = backend.tensorMap.get(a.dataId).id;
  const attrs = [{ name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT }];
  const N = 50; // ops per timed call, so that timer resolution does not matter
  printTimings(`dispatch: cost of ${N} tiny ops (median ms per ${N}; divide by ${N} for one op)`, interleaved({
    'tf.add(a, a)': () => tf.tidy(() => { for (let k = 0; k < N; k++) tf.add(a, a); }),
    'engine.runKernel(Add)': () => tf.tidy(() => { for (let k = 0; k < N; k++) tf.engine().runKernel('Add', { a, b: a }); }),
    'binding.executeOp(AddV2) + deleteTensor': () => { for (let k = 0; k < N; k++) backend.binding.deleteTensor(backend.binding.executeOp('AddV2', attrs, [aId, aId], 1)[0].id); },
    'tf.clone(a) (JS only)': () => tf.tidy(() => { for (let k = 0; k < N; k++) tf.clone(a); }),
    'tf.scalar(0.5) (JS only)': () => tf.tidy(() => { for (let k = 0; k < N; k++) tf.scalar(0.5); }),
    'tf.mul(a, 0.5) (scalar upload + op)': () => tf.tidy(() => { for (let k = 0; k < N; k++) tf.mul(a, 0.5); }),
    'tf.reshape(a, [1])': () => tf.tidy(() => { for (let k = 0; k < N; k++) tf.reshape(a, [1]); }),
  }, 40));
}

if (which === 'gather' || which === 'all') {
  const ids3k = hashIds(3001, 1);
  const ids100k = hashIds(100_000, 2);
  const ids61 = hashIds(61, 3);
  const t8 = table(3001, 8);
  const t16 = table(3001, 16);
  const t64 = table(3001, 64);
  const t8big = table(100_000, 8);
  const tCat = table(61, 8);
  const idsInTf = tf.keep(tf.reshape(inTf(ids3k), [B, T]));
  const idsJs = () => tf.tensor2d(ids3k, [B, T], 'int32'); // written from JS, uploaded by the first op that reads it
  printTimings('gather: embedding lookups (median ms)', interleaved({
    'gather (3001,8) <- (1024,20) JS ids [as DIN]': () => tf.tidy(() => void tf.gather(t8, idsJs())),
    'same, ids already in TF': () => tf.tidy(() => void tf.gather(t8, idsInTf)),
    'same, 1-D ids (20480) then reshape': () => tf.tidy(() => void tf.reshape(tf.gather(t8, tf.tensor1d(ids3k, 'int32')), [B, T, 8])),
    'table width 16': () => tf.tidy(() => void tf.gather(t16, idsJs())),
    'table width 64': () => tf.tidy(() => void tf.gather(t64, idsJs())),
    'table (100000,8)': () => tf.tidy(() => void tf.gather(t8big, tf.tensor2d(ids100k, [B, T], 'int32'))),
    'upload ids only (ids + 0)': () => tf.tidy(() => void tf.add(idsJs(), tf.scalar(0, 'int32'))),
    'gather category table (61,8)': () => tf.tidy(() => void tf.gather(tCat, tf.tensor2d(ids61, [B, T], 'int32'))),
    'oneHot(61) matMul, category table': () => tf.tidy(() => void tf.matMul(tf.oneHot(tf.tensor1d(ids61, 'int32'), 61), tCat as Tensor2D)),
    'gather fwd+bwd (3001,8)': () => tf.tidy(() => {
      const ids = idsJs();
      void tf.variableGrads(() => tf.sum(tf.square(tf.gather(t8, ids))), [t8]);
    }),
  }, 60));
  // src's CPU GatherV2 drops tfjs-node's JS range check and relies on TensorFlow's own: it must still throw.
  try {
    tf.tidy(() => void tf.gather(t8, tf.tensor1d([5, 3001], 'int32')).dataSync());
    console.log('\nout-of-range id: NOT rejected');
  } catch (e) {
    console.log(`\nout-of-range id: rejected: ${(e as Error).message.split('\n')[0].slice(0, 120)}`);
  }
}

if (which === 'backward' || which === 'all') {
  const idsT = inTf(hashIds(3001, 0));
  const idsCatT = inTf(hashIds(61, 6));
  const rows = tf.keep(tf.randomNormal([B * T, 8]));
  const a = tf.keep(tf.scalar(1));
  const big = tf.keep(tf.randomNormal([B * T, 36]));
  const dy = tf.keep(tf.randomNormal([B * T, 36]));
  const w = tf.keep(tf.ones([64, 36])) as Tensor2D;
  printTimings('backward: table gradients and the relu gradient (median ms)', interleaved({
    'scalar add (dispatch floor)': () => tf.tidy(() => void tf.add(a, a)),
    'reshape (20480,8)->(1024,160)': () => tf.tidy(() => void tf.reshape(rows, [B, 160])),
    'transpose identity perm (tfjs gather grad)': () => tf.tidy(() => void tf.transpose(rows, [0, 1])),
    'mul (20480,8) by a kept scalar': () => tf.tidy(() => void tf.mul(rows, a)),
    'unsortedSegmentSum -> (3001,8)': () => tf.tidy(() => void tf.unsortedSegmentSum(rows, idsT, 3001)),
    'scatterND -> (3001,8)': () => tf.tidy(() => void tf.scatterND(tf.reshape(idsT, [-1, 1]), rows, [3001, 8])),
    'unsortedSegmentSum -> (61,8)': () => tf.tidy(() => void tf.unsortedSegmentSum(rows, idsCatT, 61)),
    'oneHot(61)^T matMul -> (61,8)': () => tf.tidy(() => void tf.matMul(tf.oneHot(idsCatT, 61), rows as Tensor2D, true, false)),
    'relu grad: mul(dy, step(y)) (src Step)': () => tf.tidy(() => void tf.mul(dy, tf.step(big))),
    'relu grad: mul(dy, cast(y > 0))': () => tf.tidy(() => void tf.mul(dy, tf.cast(tf.greater(big, 0), 'float32'))),
    'relu forward (20480,36)': () => tf.tidy(() => void tf.relu(big)),
    'matMul (20480,64)x(64,36)': () => tf.tidy(() => void tf.matMul(tf.concat([big, tf.slice(big, [0, 0], [-1, 28])], 1) as Tensor2D, w)),
  }, 60));
  const check = tf.tidy(() => {
    const u = tf.unsortedSegmentSum(rows, idsT, 3001);
    const s = tf.scatterND(tf.reshape(idsT, [-1, 1]), rows, [3001, 8]);
    return tf.max(tf.abs(tf.sub(u, s)));
  }) as Tensor;
  console.log(`  max |USS - scatterND| = ${check.dataSync()[0].toExponential(2)}`);
}
