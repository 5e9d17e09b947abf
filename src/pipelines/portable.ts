/**
 * Values that travel between a run and its fit workers (src/pipelines/fits.ts, src/pipelines/ray-fits.ts) as files in
 * node's structured serialisation. That keeps plain objects, arrays, Maps, Sets, Dates and typed arrays, but a class
 * instance arrives as a plain object without its methods. Datasets are class instances, so they travel in their
 * portable form ({@link Dataset.toPortable}) and are built back on arrival; the same Dataset reached twice (a world's
 * split also held in a list) arrives as one Dataset. With `strict`, any other class instance, a function or a symbol is
 * an error naming where it sits in the value, instead of arriving broken in the worker.
 */
import { serialize, deserialize } from 'node:v8';
import { Dataset, type PortableDataset } from '../data/dataset.ts';

const TAG = '__reclabPortableDataset';
type Tagged = { [TAG]: PortableDataset };

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The value with every Dataset replaced by its tagged portable form (shared references kept shared). */
function pack(v: unknown, strict: boolean, path: string, seen: Map<object, unknown>): unknown {
  if (typeof v === 'function' || typeof v === 'symbol') {
    if (strict) throw new Error(`${path} is a ${typeof v}: it cannot travel to a fit worker`);
    return v;
  }
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  const known = seen.get(v);
  if (known !== undefined) return known;
  if (v instanceof Dataset) {
    const out: Tagged = { [TAG]: v.toPortable() };
    seen.set(v, out);
    return out;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const [i, x] of v.entries()) out.push(pack(x, strict, `${path}[${i}]`, seen));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, x] of v) out.set(k, pack(x, strict, `${path}.get(${String(k)})`, seen));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    seen.set(v, out);
    for (const x of v) out.add(pack(x, strict, `${path} (a Set member)`, seen));
    return out;
  }
  if (!isPlain(v)) {
    if (strict) throw new Error(`${path} is a ${v.constructor?.name ?? 'class instance'}: only plain objects, arrays, Maps, Sets, typed arrays and Datasets can travel to a fit worker (its methods would be lost)`);
    return v;
  }
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  for (const [k, x] of Object.entries(v)) out[k] = pack(x, strict, `${path}.${k}`, seen);
  return out;
}

/** The value with every tagged portable form built back into a Dataset, in place (it is a fresh deserialised copy). */
function unpack(v: unknown, seen: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
  const known = seen.get(v);
  if (known !== undefined) return known;
  if (isPlain(v) && TAG in v) {
    const ds = Dataset.fromPortable((v as Tagged)[TAG]);
    seen.set(v, ds);
    return ds;
  }
  seen.set(v, v);
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = unpack(v[i], seen);
  else if (v instanceof Map) for (const [k, x] of v) v.set(k, unpack(x, seen));
  else if (v instanceof Set) {
    const xs = [...v];
    v.clear();
    for (const x of xs) v.add(unpack(x, seen));
  } else if (isPlain(v)) for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = unpack(x, seen);
  return v;
}

/**
 * The bytes of a value for a fit worker's file. `name` says what it is in errors; `strict` refuses what would arrive
 * broken (class instances other than Dataset, functions).
 * @example
 * writeFileSync(file, toPortableBytes(world, 'shared input world', true));
 */
export function toPortableBytes(value: unknown, name: string, strict = false): Buffer {
  return serialize(pack(value, strict, name, new Map()));
}

/**
 * The value back from {@link toPortableBytes}' bytes, Datasets rebuilt.
 * @example
 * const world = fromPortableBytes(readFileSync(file)) as WorldData;
 */
export function fromPortableBytes(bytes: Buffer | Uint8Array): unknown {
  return unpack(deserialize(bytes), new Map());
}
