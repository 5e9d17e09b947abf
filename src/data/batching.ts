/**
 * Seeded, shuffled mini-batches. An epoch draws a permutation of row indices (one Int32Array) and gathers each batch
 * from the dataset's columns: the dataset itself is never copied per epoch.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { type Column, type Dataset, gatherRows } from './dataset.ts';
import { Rng } from '../random.ts';

/** A batch on the host: every column gathered for `size` rows. */
export interface Batch {
  size: number;
  columns: Record<string, Column>;
}

/**
 * A batch as tensors, keyed by column name. Categorical: int32 (B); multiHot / sequence: int32 (B, L);
 * dense: float32 (B, dim); labels: float32 (B). Timestamps are not turned into tensors.
 */
export type TensorBatch = Record<string, Tensor>;

/** Options of `batches`; defaults in `BATCH_DEFAULTS`. */
export interface BatchOptions {
  batchSize: number;
  shuffle: boolean;
  /** Seed of the permutation; the epoch number is mixed in so each epoch differs. */
  seed: number;
  epoch: number;
  /** Drop a last, smaller batch. */
  dropLast: boolean;
}
/** Defaults: batch 1024, shuffled, seed 0, epoch 0, last partial batch kept. */
export const BATCH_DEFAULTS: BatchOptions = { batchSize: 1024, shuffle: true, seed: 0, epoch: 0, dropLast: false };

/**
 * Iterates mini-batches of a dataset.
 * @example
 * for (const b of batches(train, { batchSize: 512, seed: 1, epoch })) { const t = toTensors(train, b); ... }
 */
export function* batches(ds: Dataset, options: Partial<BatchOptions> = {}): Generator<Batch> {
  const o = { ...BATCH_DEFAULTS, ...options };
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0)) throw new Error(`batches: batchSize must be a positive integer, got ${o.batchSize}`);
  const order = Int32Array.from({ length: ds.size }, (_, i) => i);
  if (o.shuffle) new Rng(o.seed * 1_000_003 + o.epoch).shuffle(order);
  const names = ds.columnNames();
  for (let start = 0; start < ds.size; start += o.batchSize) {
    const end = Math.min(start + o.batchSize, ds.size);
    if (o.dropLast && end - start < o.batchSize) break;
    const rows = order.subarray(start, end);
    const columns: Record<string, Column> = {};
    for (const name of names) columns[name] = gatherRows(ds.column(name), ds.widthOf(name), rows, ds.size, name);
    yield { size: end - start, columns };
  }
}

/** Number of batches `batches` yields. */
export function batchCount(size: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** Turns a host batch into tensors (see `TensorBatch` for shapes). Call inside `tf.tidy` or dispose the result. */
export function toTensors(ds: Dataset, batch: Batch): TensorBatch {
  const out: TensorBatch = {};
  const B = batch.size;
  for (const f of ds.schema.features) {
    const col = batch.columns[f.name];
    if (f.kind === 'categorical') out[f.name] = tf.tensor1d(col as Int32Array, 'int32'); // (B)
    else if (f.kind === 'dense') out[f.name] = tf.tensor2d(col as Float32Array, [B, f.dim ?? 1]); // (B, dim)
    else out[f.name] = tf.tensor2d(col as Int32Array, [B, f.maxLen], 'int32'); // (B, L)
  }
  for (const l of ds.schema.labels) out[l] = tf.tensor1d(batch.columns[l] as Float32Array); // (B)
  return out;
}

/** Gathers the given rows of a dataset as one host batch (for evaluation in fixed order). */
export function batchOf(ds: Dataset, rows: ArrayLike<number>): Batch {
  const columns: Record<string, Column> = {};
  for (const name of ds.columnNames()) columns[name] = gatherRows(ds.column(name), ds.widthOf(name), rows, ds.size, name);
  return { size: rows.length, columns };
}
