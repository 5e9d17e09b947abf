/**
 * Leaner replacements for a few tfjs-node kernels that cost far more in JavaScript than the TensorFlow op they run
 * (measured with bench/profile-ops.ts and bench/profile-din.ts):
 *   GatherV2 — tfjs-node reads the indices back to JS and checks each in a loop that allocates a closure per index
 *              (about 1.4 ms of a 2 ms gather of 20480 ids). TensorFlow's CPU GatherV2 checks the range itself and
 *              fails with InvalidArgument, so the JS pass is dropped for the CPU package only (the GPU gather of
 *              TensorFlow does not check; tfjs-node-gpu keeps the original kernel).
 *   Step     — behind the gradients of relu, fused relu and abs; tfjs-node builds it from IsNan, Greater, Ones, Fill
 *              and two Selects. For alpha = 0: Select(IsNan(x), x, Cast(Greater(x, 0))), the same values.
 *   Reshape, Sum, ConcatV2, Transpose, ExpandDims — their shape / axes / axis / perm argument becomes a cached
 *              int32 tensor instead of a new tensor written, uploaded and deleted at every call.
 * Values and gradients are unchanged; `installLeanKernels` is called once by src/tf.ts.
 *
 * It also registers one kernel tfjs lacks: `ReclabStatelessUniform` (src/layers/dropout.ts), TensorFlow's
 * StatelessRandomUniform — uniform [0, 1) values of a given shape from an int32 (2,) seed tensor, the same values for
 * the same seed whether run eagerly or inside a compiled step; and `ReclabHashUniform`, the same contract from a
 * counter-based integer hash ({@link hashUniformReference}) built of elementwise int32 ops, which XLA fuses into one
 * loop (a 1024 x 512 mask in a compiled step through XLA: StatelessRandomUniform 715 ms, the hash 2.5 ms, no dropout
 * 2.2 ms; bench/xla-dropout.ts on a loaded machine).
 */
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import type { TF } from './tf.ts';

/** Name of the stateless uniform kernel registered below for the native backend. */
export const STATELESS_UNIFORM = 'ReclabStatelessUniform';
/** Name of the hash uniform kernel registered below for the native backend (see {@link hashUniformReference}). */
export const HASH_UNIFORM = 'ReclabHashUniform';

/** The hash's constants: murmur3's finaliser multipliers, seed offsets (digits of pi), the golden-ratio step. */
const H = { m1: 0x85ebca6b | 0, m2: 0xc2b2ae35 | 0, key: 0x243f6a88 | 0, draw: 0x85a308d3 | 0, mixDraw: 0x27d4eb2d | 0, second: 0x5bd1e995 | 0, step: 0x9e3779b9 | 0 };

/** murmur3's 32-bit finaliser (every input bit flips about half the output bits). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, H.m1);
  h ^= h >>> 13;
  h = Math.imul(h, H.m2);
  return h ^ (h >>> 16);
}

/**
 * The uniform [0, 1) values `ReclabHashUniform` draws for seed [key, draw] (int32) and n entries, in JavaScript — its
 * definition, and the reference its test compares with bit for bit. With 32-bit wrapping arithmetic:
 *   a = fmix32(key + 0x243f6a88) + fmix32(draw + 0x85a308d3) · 0x27d4eb2d,   b = fmix32(a ^ 0x5bd1e995),
 *   h_i = fmix32(fmix32((i · 0x9e3779b9) ^ a) + b),   u_i = (h_i >>> 8) / 2^24   (24 random bits per value).
 * @example
 * hashUniformReference(7, 0, 3); // Float32Array of 3 values in [0, 1)
 */
export function hashUniformReference(key: number, draw: number, n: number): Float32Array {
  const a = (fmix32((key + H.key) | 0) + Math.imul(fmix32((draw + H.draw) | 0), H.mixDraw)) | 0;
  const b = fmix32(a ^ H.second);
  return Float32Array.from({ length: n }, (_, i) => (fmix32((fmix32(Math.imul(i, H.step) ^ a) + b) | 0) >>> 8) / 16777216);
}

/** The part of tfjs-node's backend these kernels call (structural: its class is not exported as a type). */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_INT: number; TF_ATTR_BOOL: number; TF_FLOAT: number; TF_INT32: number; TF_BOOL: number };
  executeSingleOutput(name: string, attrs: Attr[], inputs: TensorInfo[]): Tensor;
  write(values: Int32Array | Float32Array, shape: number[], dtype: 'int32' | 'float32'): object;
  disposeData(dataId: object, force?: boolean): boolean;
}
interface Attr {
  name: string;
  type: number;
  value: number | boolean;
}
type Args = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

function nodeBackend(b: unknown): NodeBackend {
  const nb = b as Partial<NodeBackend>;
  if (!nb.binding || typeof nb.executeSingleOutput !== 'function') throw new Error('backend-kernels: not the tfjs-node backend');
  return nb as NodeBackend;
}

function dtypeAttr(b: NodeBackend, name: string, dtype: DataType): Attr {
  const v = dtype === 'float32' ? b.binding.TF_FLOAT : dtype === 'int32' ? b.binding.TF_INT32 : dtype === 'bool' ? b.binding.TF_BOOL : -1;
  if (v < 0) throw new Error(`backend-kernels: unsupported dtype ${dtype}`);
  return { name, type: b.binding.TF_ATTR_TYPE, value: v };
}

/**
 * Re-registers the kernels above for the 'tensorflow' backend. `gpuPackage` keeps the original GatherV2.
 * @example
 * installLeanKernels(tf, { gpuPackage: false });
 */
export function installLeanKernels(tf: TF, options: { gpuPackage: boolean }): void {
  // Constant int32 inputs, held by the backend directly (not engine tensors, so tf.memory() does not count them):
  // written once, uploaded to TensorFlow at first use, reused after.
  const cache = new Map<string, { backend: NodeBackend; info: TensorInfo }>();
  const ints = (backend: NodeBackend, values: number[], scalar: boolean): TensorInfo => {
    const key = `${scalar ? 's' : 'v'}${values.join(',')}`;
    let c = cache.get(key);
    if (!c || c.backend !== backend) {
      if (cache.size >= 4096) {
        for (const old of cache.values()) old.backend.disposeData(old.info.dataId, true);
        cache.clear();
      }
      const shape = scalar ? [] : [values.length];
      c = { backend, info: { dataId: backend.write(Int32Array.from(values), shape, 'int32'), shape, dtype: 'int32' } };
      cache.set(key, c);
    }
    return c.info;
  };
  // One cached float32 scalar (the hash uniform's 2^-24), held like the int32 constants.
  const floatCache = new Map<number, { backend: NodeBackend; info: TensorInfo }>();
  const floats = (backend: NodeBackend, value: number): TensorInfo => {
    let c = floatCache.get(value);
    if (!c || c.backend !== backend) {
      c = { backend, info: { dataId: backend.write(Float32Array.of(value), [], 'float32'), shape: [], dtype: 'float32' } };
      floatCache.set(value, c);
    }
    return c.info;
  };
  // hashUniformReference as TensorFlow ops (int32 throughout; `>>>` is an arithmetic shift then a mask); tf.tidy frees
  // the intermediate results.
  const hashUniform = (b: NodeBackend, seed: Tensor, shape: number[]): Tensor => tf.tidy(() => {
    const T = dtypeAttr(b, 'T', 'int32');
    const op = (name: string, inputs: TensorInfo[], attrs: Attr[] = [T]): Tensor => b.executeSingleOutput(name, attrs, inputs);
    const k = (v: number | number[]) => ints(b, Array.isArray(v) ? v : [v], !Array.isArray(v));
    const lsr = (h: TensorInfo, by: number) => op('BitwiseAnd', [op('RightShift', [h, k(by)]), k((2 ** (32 - by) - 1) | 0)]);
    const fmix = (h0: TensorInfo) => {
      let h = op('BitwiseXor', [h0, lsr(h0, 16)]);
      h = op('Mul', [h, k(H.m1)]);
      h = op('BitwiseXor', [h, lsr(h, 13)]);
      h = op('Mul', [h, k(H.m2)]);
      return op('BitwiseXor', [h, lsr(h, 16)]);
    };
    const size = shape.reduce((acc, d) => acc * d, 1);
    const v = fmix(op('Add', [seed, k([H.key, H.draw])]));
    const keepDims: Attr = { name: 'keep_dims', type: b.binding.TF_ATTR_BOOL, value: false };
    const a = op('Sum', [op('Mul', [v, k([1, H.mixDraw])]), k([0])], [keepDims, T, dtypeAttr(b, 'Tidx', 'int32')]);
    const second = fmix(op('BitwiseXor', [a, k(H.second)]));
    const i = op('Range', [k(0), k(size), k(1)], [dtypeAttr(b, 'Tidx', 'int32')]);
    const h = fmix(op('Add', [fmix(op('BitwiseXor', [op('Mul', [i, k(H.step)]), a])), second]));
    const bits = op('Cast', [lsr(h, 8)], [dtypeAttr(b, 'SrcT', 'int32'), dtypeAttr(b, 'DstT', 'float32'), { name: 'Truncate', type: b.binding.TF_ATTR_BOOL, value: false }]);
    const u = op('Mul', [bits, floats(b, 1 / 16777216)], [dtypeAttr(b, 'T', 'float32')]);
    return op('Reshape', [u, ints(b, shape, false)], [dtypeAttr(b, 'T', 'float32'), dtypeAttr(b, 'Tshape', 'int32')]);
  });
  const kernels: Record<string, (a: Args, original: KernelFunc) => TensorInfo | TensorInfo[]> = {
    Reshape: ({ inputs, backend, attrs }) => {
      const b = nodeBackend(backend);
      const x = inputs.x as Tensor;
      return b.executeSingleOutput('Reshape', [dtypeAttr(b, 'T', x.dtype), dtypeAttr(b, 'Tshape', 'int32')], [x, ints(b, attrs?.shape as number[], false)]);
    },
    Sum: ({ inputs, backend, attrs }) => {
      const b = nodeBackend(backend);
      const x = inputs.x as Tensor;
      const axes = tf.util.parseAxisParam(attrs?.axis as number | number[], x.shape);
      const keep: Attr = { name: 'keep_dims', type: b.binding.TF_ATTR_BOOL, value: Boolean(attrs?.keepDims) };
      return b.executeSingleOutput('Sum', [keep, dtypeAttr(b, 'T', x.dtype), dtypeAttr(b, 'Tidx', 'int32')], [x, ints(b, axes, false)]);
    },
    Concat: ({ inputs, backend, attrs }) => {
      const b = nodeBackend(backend);
      const xs = Object.values(inputs) as Tensor[];
      const n: Attr = { name: 'N', type: b.binding.TF_ATTR_INT, value: xs.length };
      return b.executeSingleOutput('ConcatV2', [n, dtypeAttr(b, 'Tidx', 'int32'), dtypeAttr(b, 'T', xs[0].dtype)], [...xs, ints(b, [attrs?.axis as number], true)]);
    },
    Transpose: ({ inputs, backend, attrs }) => {
      const b = nodeBackend(backend);
      const x = inputs.x as Tensor;
      return b.executeSingleOutput('Transpose', [dtypeAttr(b, 'T', x.dtype), dtypeAttr(b, 'Tperm', 'int32')], [x, ints(b, attrs?.perm as number[], false)]);
    },
    ExpandDims: ({ inputs, backend, attrs }) => {
      const b = nodeBackend(backend);
      return b.executeSingleOutput('ExpandDims', [], [inputs.input as Tensor, ints(b, [attrs?.dim as number], true)]);
    },
    Step: (args, original) => {
      const alpha = (args.attrs?.alpha as number) ?? 0;
      if (alpha !== 0) return original(args as Parameters<KernelFunc>[0]);
      const b = nodeBackend(args.backend);
      const x = args.inputs.x as Tensor;
      return tf.tidy(() => b.executeSingleOutput('Select', [dtypeAttr(b, 'T', x.dtype)], [tf.isNaN(x), x, tf.cast(tf.greater(x, 0), x.dtype)]));
    },
  };
  if (!options.gpuPackage) {
    kernels.GatherV2 = ({ inputs, backend, attrs }) => {
      const b = nodeBackend(backend);
      const x = inputs.x as Tensor;
      const indices = inputs.indices as Tensor;
      const batchDims: Attr = { name: 'batch_dims', type: b.binding.TF_ATTR_INT, value: (attrs?.batchDims as number) ?? 0 };
      const attrList = [batchDims, dtypeAttr(b, 'Tparams', x.dtype), dtypeAttr(b, 'Tindices', indices.dtype), dtypeAttr(b, 'Taxis', 'int32')];
      return b.executeSingleOutput('GatherV2', attrList, [x, indices, ints(b, [(attrs?.axis as number) ?? 0], true)]);
    };
  }
  if (!tf.getKernel(STATELESS_UNIFORM, 'tensorflow')) {
    tf.registerKernel({
      kernelName: STATELESS_UNIFORM,
      backendName: 'tensorflow',
      kernelFunc: (({ inputs, backend, attrs }: Args) => {
        const b = nodeBackend(backend);
        const attrList = [dtypeAttr(b, 'dtype', 'float32'), dtypeAttr(b, 'T', 'int32'), dtypeAttr(b, 'Tseed', 'int32')];
        return b.executeSingleOutput('StatelessRandomUniform', attrList, [ints(b, attrs?.shape as number[], false), inputs.seed as Tensor]);
      }) as KernelFunc,
    });
  }
  if (!tf.getKernel(HASH_UNIFORM, 'tensorflow')) {
    tf.registerKernel({
      kernelName: HASH_UNIFORM,
      backendName: 'tensorflow',
      kernelFunc: (({ inputs, backend, attrs }: Args) => hashUniform(nodeBackend(backend), inputs.seed as Tensor, attrs?.shape as number[])) as KernelFunc,
    });
  }
  for (const [name, f] of Object.entries(kernels)) {
    const original = tf.getKernel(name, 'tensorflow');
    if (!original) continue; // nothing to replace in this tfjs-node version
    tf.unregisterKernel(name, 'tensorflow');
    const config: KernelConfig = { ...original, kernelFunc: ((args: Args) => f(args, original.kernelFunc)) as KernelFunc };
    tf.registerKernel(config);
  }
}
