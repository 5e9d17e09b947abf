/**
 * Truncating behaviour sequences to a shorter maximum length, keeping the most recent items: the documented rule
 * for histories longer than a model's max length (FARM / live-streaming issue acceptance). Sequence rows are
 * left-aligned, oldest first, padded with 0 after the last real item (src/data/schema.ts), so the kept items are
 * the last `maxLen` real ones of each row, moved to the front:
 *   row [a, b, c, d, e, 0, 0] with maxLen 3 -> [c, d, e]
 *   row [a, b, 0, 0, 0, 0, 0] with maxLen 3 -> [a, b, 0]
 * A row's length is the position after its last non-zero id, so paired sequences (item, author, action, ...) that
 * share their padding stay aligned. A verb: returns a new dataset, never writes into the input's arrays.
 */
import { Dataset, type Column } from './dataset.ts';
import type { Schema } from './schema.ts';

/**
 * Truncates the named sequence / multi-hot columns to new max lengths (most recent items kept); a length above the
 * column's current maxLen pads with 0. Unknown names, non-list columns and non-positive lengths are errors naming them.
 * @example
 * const short = truncateSequences(world.train, { hist_live_item: 5, hist_live_action: 5 });
 * short.schema.features.find((f) => f.name === 'hist_live_item'); // { ..., maxLen: 5 }
 */
export function truncateSequences(ds: Dataset, maxLen: Record<string, number>): Dataset {
  const features = ds.schema.features.map((f) => ({ ...f }));
  for (const [name, len] of Object.entries(maxLen)) {
    const f = features.find((x) => x.name === name);
    if (!f) throw new Error(`truncateSequences: no column '${name}' (features: ${features.map((x) => x.name).join(', ')})`);
    if (f.kind !== 'sequence' && f.kind !== 'multiHot') throw new Error(`truncateSequences: column '${name}' is ${f.kind}, not a sequence`);
    if (!(Number.isInteger(len) && len >= 1)) throw new Error(`truncateSequences: maxLen of '${name}' must be a positive integer, got ${len}`);
  }
  const columns: Record<string, Column> = {};
  for (const name of ds.columnNames()) {
    const f = features.find((x) => x.name === name);
    const target = maxLen[name];
    if (!f || target === undefined || (f.kind !== 'sequence' && f.kind !== 'multiHot')) {
      columns[name] = ds.column(name);
      continue;
    }
    columns[name] = keepLast(ds.column(name) as Int32Array, f.maxLen, target, ds.size);
    f.maxLen = target;
  }
  const schema: Schema = { ...ds.schema, features };
  return Dataset.fromColumns(schema, columns, 'truncateSequences');
}

/** Keeps the last `to` real ids of each (n, from) left-aligned row: a new (n, to) array. */
export function keepLast(col: Int32Array, from: number, to: number, n: number): Int32Array {
  const out = new Int32Array(n * to);
  for (let r = 0; r < n; r++) {
    const row = col.subarray(r * from, (r + 1) * from);
    let len = from;
    while (len > 0 && row[len - 1] === 0) len--;
    const start = Math.max(0, len - to);
    out.set(row.subarray(start, len), r * to);
  }
  return out;
}
