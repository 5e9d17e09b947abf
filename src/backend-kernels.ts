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
 * the same seed whether run eagerly or inside a compiled step.
 */
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import type { TF } from './tf.ts';

/** Name of the stateless uniform kernel registered below for the native backend. */
export const STATELESS_UNIFORM = 'ReclabStatelessUniform';

/** The part of tfjs-node's backend these kernels call (structural: its class is not exported as a type). */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_INT: number; TF_ATTR_BOOL: number; TF_FLOAT: number; TF_INT32: number; TF_BOOL: number };
  executeSingleOutput(name: string, attrs: Attr[], inputs: TensorInfo[]): Tensor;
  write(values: Int32Array, shape: number[], dtype: 'int32'): object;
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
  for (const [name, f] of Object.entries(kernels)) {
    const original = tf.getKernel(name, 'tensorflow');
    if (!original) continue; // nothing to replace in this tfjs-node version
    tf.unregisterKernel(name, 'tensorflow');
    const config: KernelConfig = { ...original, kernelFunc: ((args: Args) => f(args, original.kernelFunc)) as KernelFunc };
    tf.registerKernel(config);
  }
}
