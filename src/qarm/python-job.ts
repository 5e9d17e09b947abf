/**
 * Calls a function of src/bridge/python/qarm.py. Default transport: the session bridge (src/bridge/, one managed
 * Python process, tensors through shared memory). Alternative 'job': a one-shot `.venv/bin/python qarm.py <dir>`
 * process (node:child_process) with tensors as binary .npy files (raw little-endian float32 / int32 after a short header, no JSON), for
 * running QARM's two coarse calls (stage A, RQ-Kmeans) without the bridge.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { pythonSession } from '../bridge/index.ts';

/** A host tensor: typed data and its shape. */
export interface NpyTensor {
  data: Float32Array | Int32Array;
  shape: number[];
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The Python of the project's .venv and the QARM module it runs. */
export const PYTHON = { bin: join(ROOT, '.venv/bin/python'), script: join(ROOT, 'src/bridge/python/qarm.py') };

/**
 * Encodes a tensor as .npy (format 1.0, C order): '<f4' for Float32Array, '<i4' for Int32Array.
 * @example
 * writeFileSync('x.npy', toNpy({ data: new Float32Array(6), shape: [2, 3] }));
 */
export function toNpy(t: NpyTensor): Buffer {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new Error(`toNpy: shape [${t.shape}] holds ${n} values but the data has ${t.data.length}`);
  const descr = t.data instanceof Float32Array ? '<f4' : '<i4';
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);
}

/**
 * Decodes a .npy buffer of '<f4' or '<i4' (C order) into a tensor; other dtypes are errors naming them.
 * @example
 * fromNpy(readFileSync('x.npy')).shape; // [2, 3]
 */
export function fromNpy(buf: Buffer, name = 'npy'): NpyTensor {
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${name}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${name}: Fortran order is not supported`);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = buf.subarray(start + hlen);
  const copy = new Uint8Array(body.length);
  copy.set(body);
  if (descr === '<f4') return { data: new Float32Array(copy.buffer), shape };
  if (descr === '<i4') return { data: new Int32Array(copy.buffer), shape };
  throw new Error(`${name}: dtype ${descr} is not float32 ('<f4') or int32 ('<i4')`);
}

/**
 * Calls `fn` of qarm.py with tensor and JSON arguments; returns the output tensors, the JSON part and the wall
 * seconds. A Python error is thrown with its traceback and the failed call. Torch runs on `threads` threads during
 * the call (default 1: on the loaded 2-core machine one thread was measured 4x faster than two, 7 s vs 30 s for the
 * tiny stage A). `transport` 'bridge' (default) uses the session's Python process, 'job' a fresh process.
 * @example
 * const r = await runQarmJob('rq_kmeans', { x: { data: emb, shape: [n, d] } }, { levels: 6, k: 32 });
 * r.tensors.codes.shape; // [n, 6]
 */
export async function runQarmJob(
  fn: string, tensors: Record<string, NpyTensor>, args: Record<string, unknown>, options: { timeoutMs?: number; threads?: number; transport?: 'bridge' | 'job' } = {},
): Promise<{ tensors: Record<string, NpyTensor>; value: Record<string, unknown>; seconds: number }> {
  const t0 = Date.now();
  const timeoutMs = options.timeoutMs ?? 600_000;
  if ((options.transport ?? 'bridge') === 'bridge') {
    const host = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.data instanceof Float32Array ? 'float32' as const : 'int32' as const, shape: t.shape, data: t.data }]));
    const r = await pythonSession().call('qarm', fn, { args: { ...args, threads: options.threads ?? 1 }, tensors: host, timeoutMs });
    const out = Object.fromEntries(Object.entries(r.tensors).map(([k, t]) => [k, { data: t.data, shape: t.shape }]));
    return { tensors: out, value: r.value, seconds: (Date.now() - t0) / 1000 };
  }
  const dir = mkdtempSync(join(tmpdir(), 'reclab-qarm-'));
  try {
    for (const [name, t] of Object.entries(tensors)) writeFileSync(join(dir, `${name}.npy`), toNpy(t));
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ fn, args: { ...args, threads: options.threads ?? 1 }, tensors: Object.keys(tensors) }));
    // node:child_process, not execa: execa is ESM-only and src/ must stay loadable through tsx's CommonJS hook (notebooks).
    await new Promise<void>((resolveRun, reject) => {
      execFile(PYTHON.bin, [PYTHON.script, dir], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolveRun();
        const e = err as Error & { killed?: boolean; code?: number | string };
        reject(new Error(e.killed ? `python qarm.${fn}: timed out after ${timeoutMs} ms` : `python qarm.${fn} failed (exit ${String(e.code)}):\n${stdout}${stderr}`));
      });
    });
    const out: Record<string, NpyTensor> = {};
    for (const f of readdirSync(dir)) if (f.startsWith('out_') && f.endsWith('.npy')) out[f.slice(4, -4)] = fromNpy(readFileSync(join(dir, f)), f);
    const value = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Record<string, unknown>;
    return { tensors: out, value, seconds: (Date.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
