/**
 * Binary tensors for the bridge: host-side typed arrays with a dtype and shape, their validation, and the
 * shared-memory files (in /dev/shm when present) that carry them to and from Python.
 *
 * TS -> Python: one file per session, rewritten in place each call (its tmpfs pages stay allocated, so a call costs a
 * memcpy), tensors at 64-byte aligned offsets, written with one `writeSync` per tensor (the only copy; tmpfs pages do
 * not count in Node's RSS); Python maps it copy-on-write and views it as torch tensors (zero-copy). When Python code
 * keeps a view beyond the call, the session switches to a fresh file so the kept data is never overwritten. Python -> TS: Python writes its result tensors into one file; TS reads each straight into a fresh
 * ArrayBuffer and wraps it in a typed array (no further copy). Node has no mmap without a native addon, so the TS
 * side costs one memcpy each way; see bench/bridge-transfer.ts.
 */
import { closeSync, existsSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { TensorSpecError } from './errors.ts';

/** Dtypes the bridge carries. */
export type BridgeDtype = 'float32' | 'int32';

/** A tensor held in a typed array: what crosses the bridge. */
export interface HostTensor {
  dtype: BridgeDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Expected dtype and shape of a tensor argument; -1 in the shape matches any size. */
export interface TensorSpec {
  dtype: BridgeDtype;
  shape: number[];
}

/** Layout of tensors inside a shared-memory file (what the JSON request/reply carries). */
export interface ShmLayout {
  path: string;
  entries: { name: string; dtype: BridgeDtype; shape: number[]; offset: number }[];
}

const ALIGN = 64;
const CHUNK = 1 << 30;

/**
 * Wraps a typed array as a HostTensor, checking that the shape matches its length.
 * @example
 * const t = hostTensor(new Float32Array(6), [2, 3]);
 */
export function hostTensor(data: Float32Array | Int32Array, shape: number[]): HostTensor {
  const t: HostTensor = { dtype: data instanceof Int32Array ? 'int32' : 'float32', shape: [...shape], data };
  checkTensor('tensor', t);
  return t;
}

const fmt = (dtype: string, shape: readonly number[]): string => `${dtype} [${shape.join(', ')}]`;

/**
 * Checks a HostTensor's own consistency (typed array kind vs dtype, length vs shape) and, when given, the expected
 * spec. Throws TensorSpecError naming the expected and received dtype/shape.
 * @example
 * checkTensor('x', hostTensor(new Float32Array(4), [2, 2]), { dtype: 'float32', shape: [-1, 2] });
 */
export function checkTensor(name: string, t: HostTensor, expect?: TensorSpec): void {
  const actualDtype = t.data instanceof Int32Array ? 'int32' : t.data instanceof Float32Array ? 'float32' : 'unsupported';
  if (actualDtype !== t.dtype) throw new TensorSpecError(name, `data of dtype ${t.dtype}`, `${t.data.constructor.name}`);
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new TensorSpecError(name, 'non-negative integer dims', fmt(t.dtype, t.shape));
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new TensorSpecError(name, `${n} elements for shape [${t.shape.join(', ')}]`, `${t.data.length} elements`);
  if (!expect) return;
  const shapeOk = expect.shape.length === t.shape.length && expect.shape.every((d, i) => d === -1 || d === t.shape[i]);
  if (expect.dtype !== t.dtype || !shapeOk) throw new TensorSpecError(name, fmt(expect.dtype, expect.shape), fmt(t.dtype, t.shape));
}

/**
 * Copies a tf.Tensor (float32 or int32) into a HostTensor.
 * @example
 * const h = fromTf(tf.ones([2, 3]));
 */
export function fromTf(t: Tensor): HostTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new TensorSpecError('tensor', 'float32 or int32', fmt(t.dtype, t.shape));
  return { dtype: t.dtype, shape: [...t.shape], data: t.dataSync() as Float32Array | Int32Array };
}

/**
 * A tf.Tensor holding a HostTensor's values.
 * @example
 * const t = toTf(hostTensor(new Float32Array([1, 2]), [2]));
 */
export function toTf(h: HostTensor): Tensor {
  return tf.tensor(h.data, h.shape, h.dtype);
}

/** Directory for transfer files: /dev/shm (RAM-backed) when it exists, else the OS temp dir. */
export function shmDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

let fileCounter = 0;
/** A fresh transfer file path for this process. */
export function shmPath(kind: string): string {
  return join(shmDir(), `reclab-bridge-${process.pid}-${Date.now().toString(36)}-${kind}-${fileCounter++}.bin`);
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.byteLength;) {
    const len = Math.min(CHUNK, bytes.byteLength - done);
    done += writeSync(fd, bytes, done, len, position + done);
  }
}

/**
 * Writes tensors into one file at aligned offsets and returns its layout.
 * @example
 * const layout = writeTensors(shmPath('in'), { x: hostTensor(new Float32Array(4), [4]) });
 */
export function writeTensors(path: string, tensors: Record<string, HostTensor>): ShmLayout {
  // An existing file is rewritten in place (no truncation): its resident tmpfs pages make the write a plain memcpy.
  const fd = openSync(path, existsSync(path) ? 'r+' : 'w', 0o600);
  const entries: ShmLayout['entries'] = [];
  try {
    let offset = 0;
    for (const [name, t] of Object.entries(tensors)) {
      offset += (ALIGN - (offset % ALIGN)) % ALIGN;
      writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
      entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset });
      offset += t.data.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  return { path, entries };
}

/**
 * Reads the tensors of a layout, each into its own ArrayBuffer (typed arrays own their memory), then deletes the file
 * unless `keepFile` (the session reuses its transfer files).
 * @example
 * const out = readTensors(layout);
 */
export function readTensors(layout: ShmLayout, keepFile = false): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  const fd = openSync(layout.path, 'r');
  try {
    for (const e of layout.entries) {
      const n = e.shape.reduce((a, b) => a * b, 1);
      const bytes = Buffer.allocUnsafeSlow(n * 4); // own ArrayBuffer at offset 0, not zero-filled (read overwrites it)
      const buf = bytes.buffer;
      for (let done = 0; done < bytes.byteLength;) {
        const got = readSync(fd, bytes, done, Math.min(CHUNK, bytes.byteLength - done), e.offset + done);
        if (got === 0) throw new Error(`bridge: transfer file ${layout.path} ended early reading '${e.name}'`);
        done += got;
      }
      out[e.name] = { dtype: e.dtype, shape: e.shape, data: e.dtype === 'int32' ? new Int32Array(buf) : new Float32Array(buf) };
    }
  } finally {
    closeSync(fd);
    if (!keepFile) removeFile(layout.path);
  }
  return out;
}

/** Deletes a transfer file, ignoring a missing one. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
