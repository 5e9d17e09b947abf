/**
 * danfo.js interop: a `Dataset` to a danfo `DataFrame` for inspection and pandas-style exploration, and back with the
 * same validation as `loadCsv`. danfojs-node is imported lazily (about 1.5 s and a TensorFlow load), so code that
 * never calls these functions does not pay for it.
 */
import type { DataFrame } from 'danfojs-node';
import { type Cell, DatasetBuilder, type TruncateLists, closestName } from './csv.ts';
import type { Dataset } from './dataset.ts';
import type { Schema } from './schema.ts';

/** Options of `toDataFrame`; defaults in `TO_DATAFRAME_DEFAULTS`. */
export interface ToDataFrameOptions {
  /**
   * List columns (multiHot, sequence, dense with dim > 1): 'join' = one string column of the non-padding values joined
   * by `listSeparator` ('3|7', '' for none); 'expand' = one numeric column per position named `<name>_<k>`, k from 0,
   * padding included.
   */
  lists: 'join' | 'expand';
  /** Separator of joined lists. */
  listSeparator: string;
}
/** Defaults: lists joined by '|'. */
export const TO_DATAFRAME_DEFAULTS: ToDataFrameOptions = { lists: 'join', listSeparator: '|' };

/** Options of `fromDataFrame`; defaults in `FROM_DATAFRAME_DEFAULTS` (the same meaning as in `CsvOptions`). */
export interface FromDataFrameOptions {
  listSeparator: string;
  truncateLists: TruncateLists;
  /** DataFrame columns that feed no schema column are skipped when true (default); an error when false. */
  ignoreExtraColumns: boolean;
}
/** Defaults: '|' between list ids, long lists are errors, extra columns ignored. */
export const FROM_DATAFRAME_DEFAULTS: FromDataFrameOptions = { listSeparator: '|', truncateLists: 'error', ignoreExtraColumns: true };

function checkKeys(fn: string, options: object, known: object): void {
  const bad = Object.keys(options).filter((k) => !(k in known));
  if (bad.length > 0) throw new Error(`${fn}: unknown option(s) ${bad.join(', ')} (known: ${Object.keys(known).join(', ')})`);
}

/**
 * A danfo DataFrame with one column per scalar column of the dataset (categorical, label, timestamp, dense dim 1) and
 * list columns joined or expanded (see `ToDataFrameOptions`), in `ds.columnNames()` order; (n rows, >= columns).
 * Joined lists keep every non-zero id in order, so left-aligned rows (the schema's convention) round-trip exactly.
 * @example
 * const df = await toDataFrame(ds);             // 'hist' cells like '3|7|9'
 * const wide = await toDataFrame(ds, { lists: 'expand' }); // hist_0 .. hist_{maxLen-1}
 * df.head().print();
 */
export async function toDataFrame(ds: Dataset, options: Partial<ToDataFrameOptions> = {}): Promise<DataFrame> {
  checkKeys('toDataFrame', options, TO_DATAFRAME_DEFAULTS);
  const o = { ...TO_DATAFRAME_DEFAULTS, ...options };
  if (o.lists !== 'join' && o.lists !== 'expand') throw new Error(`toDataFrame: lists must be 'join' or 'expand', got '${String(o.lists)}'`);
  const names = ds.columnNames();
  const data: Record<string, Array<number | string>> = {};
  for (const name of names) {
    const col = ds.column(name);
    const w = ds.widthOf(name);
    const f = ds.schema.features.find((x) => x.name === name);
    if (f === undefined || (f.kind !== 'multiHot' && f.kind !== 'sequence' && w === 1)) {
      data[name] = Array.from(col);
    } else if (o.lists === 'expand') {
      for (let k = 0; k < w; k++) {
        const key = `${name}_${k}`;
        if (names.includes(key)) throw new Error(`toDataFrame: expanding '${name}' makes column '${key}', which already exists; use lists: 'join'`);
        data[key] = Array.from({ length: ds.size }, (_, i) => col[i * w + k]);
      }
    } else {
      const isIds = f.kind !== 'dense';
      data[name] = Array.from({ length: ds.size }, (_, i) => {
        const row = Array.from(col.subarray(i * w, (i + 1) * w));
        return (isIds ? row.filter((v) => v !== 0) : row).join(o.listSeparator);
      });
    }
  }
  const { DataFrame: DF } = await import('danfojs-node');
  return ds.size === 0 ? new DF([], { columns: Object.keys(data) }) : new DF(data);
}

/**
 * Builds a `Dataset` from a danfo DataFrame, validating every cell like `loadCsv` (ids in range, 0 not inside lists,
 * labels 0/1, finite numbers, list lengths). A list column is read from a joined column `<name>` (strings '3|7' or
 * single numeric ids) or, if absent, from expanded columns `<name>_0` .. `<name>_{maxLen-1}` (0 = padding).
 * Errors name the source, the column and the 0-based row: "DataFrame: column 'user_id', row 3: got 12, expected ...".
 * @param source name used in error messages, e.g. the file the DataFrame was read from.
 * @example
 * const df = await dfd.readCSV('ratings.csv');
 * const ds = await fromDataFrame(df, schema, 'ratings.csv');
 */
export async function fromDataFrame(df: DataFrame, schema: Schema, source = 'DataFrame', options: Partial<FromDataFrameOptions> = {}): Promise<Dataset> {
  checkKeys('fromDataFrame', options, FROM_DATAFRAME_DEFAULTS);
  const o = { ...FROM_DATAFRAME_DEFAULTS, ...options };
  const builder = new DatasetBuilder(schema, o);
  const have: string[] = df.columns;
  const used = new Set<string>();
  const read = (name: string): Cell[] => {
    used.add(name);
    return df.column(name).values as Cell[];
  };
  // Per schema column: one joined column, or `width` expanded ones.
  const sources = builder.specs.map((s): { joined: Cell[] } | { expanded: Cell[][] } => {
    if (have.includes(s.name)) return { joined: read(s.name) };
    if (s.width > 1 && have.includes(`${s.name}_0`)) {
      return {
        expanded: Array.from({ length: s.width }, (_, k) => {
          const key = `${s.name}_${k}`;
          if (!have.includes(key)) throw new Error(`${source}: column '${key}' is missing (expanded '${s.name}' needs ${s.name}_0 .. ${s.name}_${s.width - 1})`);
          return read(key);
        }),
      };
    }
    const near = closestName(s.name, have);
    throw new Error(`${source}: column '${s.name}' not found${near === undefined ? '' : ` (did you mean '${near}'?)`}; columns: ${have.join(', ')}`);
  });
  if (!o.ignoreExtraColumns) {
    const extra = have.filter((c) => !used.has(c));
    if (extra.length > 0) throw new Error(`${source}: column '${extra[0]}' is not in the schema (extra: ${extra.join(', ')}); set ignoreExtraColumns: true to skip`);
  }
  const n = df.shape[0];
  const row: Cell[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < sources.length; j++) {
      const src = sources[j];
      let problem: string | null;
      if ('joined' in src) problem = builder.cell(j, src.joined[i]);
      else {
        row.length = 0;
        for (const c of src.expanded) row.push(c[i]);
        problem = builder.cells(j, row);
      }
      if (problem !== null) throw new Error(`${source}: column '${builder.specs[j].name}', row ${i}: ${problem}`);
    }
    builder.endRow();
  }
  return builder.finish(source);
}
