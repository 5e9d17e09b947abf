/**
 * A columnar, immutable dataset on typed arrays: the unit every world, loader, split and batcher exchanges.
 * Layout per column (n = rows): categorical Int32 (n); multiHot / sequence Int32 (n, maxLen) row-major, padded with 0;
 * dense Float32 (n, dim); labels Float32 (n) in {0, 1}; timestamp Float64 (n).
 * Verbs return new datasets and never write into an existing one's arrays.
 */
import { type Feature, type Schema, featureWidth, validateSchema } from './schema.ts';

/** Storage of one column. */
export type Column = Int32Array | Float32Array | Float64Array;

function expectedType(kind: Feature['kind'] | 'label' | 'timestamp'): 'Int32Array' | 'Float32Array' | 'Float64Array' {
  if (kind === 'dense' || kind === 'label') return 'Float32Array';
  if (kind === 'timestamp') return 'Float64Array';
  return 'Int32Array';
}

/** A dataset as plain data: what {@link Dataset.toPortable} returns. */
export interface PortableDataset {
  schema: Schema;
  size: number;
  columns: Record<string, Column>;
}

/**
 * An immutable set of rows described by a `Schema`.
 * @example
 * const ds = Dataset.fromColumns(schema, { user_id: new Int32Array([1, 2]), click: new Float32Array([0, 1]) });
 * ds.size; // 2
 */
export class Dataset {
  /** The schema every column follows. */
  readonly schema: Schema;
  /** Number of rows. */
  readonly size: number;
  private readonly columns: ReadonlyMap<string, Column>;

  private constructor(schema: Schema, columns: Map<string, Column>, size: number) {
    this.schema = schema;
    this.columns = columns;
    this.size = size;
  }

  /**
   * Builds a dataset from typed-array columns, checking every value: types, lengths, ids inside [0, vocab), labels in
   * {0, 1}, finite dense values. An error names the source, column and row; nothing is dropped or clipped.
   * @param source where the data came from (a file name or world name), used in error messages.
   */
  static fromColumns(schema: Schema, columns: Record<string, Column>, source = 'columns'): Dataset {
    validateSchema(schema);
    const specs: Array<{ name: string; kind: Feature['kind'] | 'label' | 'timestamp'; width: number; f?: Feature }> = [
      ...schema.features.map((f) => ({ name: f.name, kind: f.kind, width: featureWidth(f), f })),
      ...schema.labels.map((name) => ({ name, kind: 'label' as const, width: 1 })),
      ...(schema.timestamp ? [{ name: schema.timestamp, kind: 'timestamp' as const, width: 1 }] : []),
    ];
    const known = new Set(specs.map((s) => s.name));
    for (const k of Object.keys(columns)) {
      if (!known.has(k)) throw new Error(`${source}: column '${k}' is not in the schema (expected: ${[...known].join(', ')})`);
    }
    let n = -1;
    const map = new Map<string, Column>();
    for (const s of specs) {
      const col = columns[s.name];
      if (col === undefined) throw new Error(`${source}: missing column '${s.name}' (${s.kind})`);
      const want = expectedType(s.kind);
      if (col.constructor.name !== want) throw new Error(`${source}: column '${s.name}' must be a ${want}, got ${col.constructor.name}`);
      if (col.length % s.width !== 0) throw new Error(`${source}: column '${s.name}' has ${col.length} values, not a multiple of its width ${s.width}`);
      const rows = col.length / s.width;
      if (n === -1) n = rows;
      else if (rows !== n) throw new Error(`${source}: column '${s.name}' has ${rows} rows, expected ${n}`);
      checkValues(source, s.name, s.kind, s.width, col, s.f);
      map.set(s.name, col);
    }
    return new Dataset(schema, map, Math.max(n, 0));
  }

  /**
   * The dataset as plain data (schema, typed-array columns) that survives structured cloning, e.g. to a fit worker's
   * file; {@link Dataset.fromPortable} builds it back.
   * @example
   * const copy = Dataset.fromPortable(structuredClone(ds.toPortable()));
   */
  toPortable(): PortableDataset {
    return { schema: this.schema, size: this.size, columns: Object.fromEntries(this.columns) };
  }

  /**
   * Builds a dataset back from {@link Dataset.toPortable}'s plain data, checking every value as `fromColumns` does.
   * @param source where it came from, used in error messages.
   */
  static fromPortable(p: PortableDataset, source = 'portable dataset'): Dataset {
    const ds = Dataset.fromColumns(p.schema, p.columns, source);
    if (ds.size !== p.size) throw new Error(`${source}: ${ds.size} rows in the columns, expected ${p.size}`);
    return ds;
  }

  /** The stored values of a column (do not write into them). Throws naming the missing column. */
  column(name: string): Column {
    const c = this.columns.get(name);
    if (!c) throw new Error(`dataset has no column '${name}' (columns: ${[...this.columns.keys()].join(', ')})`);
    return c;
  }

  /** A label column (Float32, values 0/1). */
  label(name: string): Float32Array {
    if (!this.schema.labels.includes(name)) throw new Error(`dataset has no label '${name}' (labels: ${this.schema.labels.join(', ')})`);
    return this.column(name) as Float32Array;
  }

  /** Names of all stored columns in schema order. */
  columnNames(): string[] {
    return [...this.columns.keys()];
  }

  /**
   * A new dataset with the given rows, in the given order (rows may repeat).
   * @example
   * const firstTen = ds.take(Int32Array.from({ length: 10 }, (_, i) => i));
   */
  take(rows: ArrayLike<number>): Dataset {
    const out = new Map<string, Column>();
    for (const [name, col] of this.columns) out.set(name, gatherRows(col, this.widthOf(name), rows, this.size, name));
    return new Dataset(this.schema, out, rows.length);
  }

  /**
   * A new dataset whose label columns are permuted across rows (one permutation shared by every label, so multi-task
   * labels stay together); features are untouched. An audit tool: with permuted test labels, model selection done on
   * validation only must not change.
   * @example
   * const audit = test.withPermutedLabels(new Rng(7));
   */
  withPermutedLabels(rng: { int(n: number): number }): Dataset {
    const perm = Int32Array.from({ length: this.size }, (_, i) => i);
    for (let i = this.size - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const out = new Map(this.columns);
    for (const name of this.schema.labels) out.set(name, gatherRows(this.column(name), 1, perm, this.size, name));
    return new Dataset(this.schema, out, this.size);
  }

  /** A new dataset with the rows for which `keep(row)` is true. */
  filter(keep: (row: number) => boolean): Dataset {
    const rows: number[] = [];
    for (let i = 0; i < this.size; i++) if (keep(i)) rows.push(i);
    return this.take(rows);
  }

  /** One row as a plain object (lists as arrays), for inspection and error messages. */
  row(i: number): Record<string, number | number[]> {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new Error(`row ${i} is out of range [0, ${this.size})`);
    const out: Record<string, number | number[]> = {};
    for (const [name, col] of this.columns) {
      const w = this.widthOf(name);
      out[name] = w === 1 && !this.isList(name) ? col[i] : Array.from(col.subarray(i * w, (i + 1) * w));
    }
    return out;
  }

  /** Stored values per row of a column. */
  widthOf(name: string): number {
    const f = this.schema.features.find((x) => x.name === name);
    return f ? featureWidth(f) : 1;
  }

  private isList(name: string): boolean {
    const f = this.schema.features.find((x) => x.name === name);
    return f !== undefined && (f.kind === 'multiHot' || f.kind === 'sequence' || (f.kind === 'dense' && (f.dim ?? 1) > 1));
  }
}

/** Copies rows of a (n, width) column into a new array of the same type. */
export function gatherRows<T extends Column>(col: T, width: number, rows: ArrayLike<number>, n: number, name = 'column'): T {
  const Ctor = col.constructor as new (len: number) => T;
  const out = new Ctor(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < n) || !Number.isInteger(r)) throw new Error(`${name}: row index ${r} is out of range [0, ${n})`);
    if (width === 1) out[i] = col[r];
    else out.set(col.subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}

function checkValues(source: string, name: string, kind: Feature['kind'] | 'label' | 'timestamp', width: number, col: Column, f?: Feature): void {
  const at = (i: number) => `${source}: column '${name}', row ${Math.floor(i / width)}`;
  if (kind === 'categorical' || kind === 'multiHot' || kind === 'sequence') {
    const vocab = (f as { vocab: number }).vocab;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (v < 0 || v >= vocab) throw new Error(`${at(i)}: id ${v} is outside the vocabulary [0, ${vocab})`);
    }
  } else if (kind === 'label') {
    for (let i = 0; i < col.length; i++) {
      if (col[i] !== 0 && col[i] !== 1) throw new Error(`${at(i)}: label ${col[i]} must be 0 or 1`);
    }
  } else {
    for (let i = 0; i < col.length; i++) {
      if (!Number.isFinite(col[i])) throw new Error(`${at(i)}: value ${col[i]} is not finite`);
    }
  }
}
