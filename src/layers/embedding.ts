/**
 * Embedding tables and the feature embedder that every CTR model starts from: one table per categorical feature,
 * sequences and multi-hot lists sharing the table of the feature they name in `sharesWith`.
 */
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { Module } from './module.ts';
import type { Rng } from '../random.ts';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';

/**
 * An embedding table (vocab, D); `lookup(ids)` maps int32 ids of any shape S to (S, D).
 * @example
 * const e = new Embedding(rng, 100, 8); e.lookup(tf.tensor1d([1, 2], 'int32')); // (2, 8)
 */
export class Embedding extends Module {
  readonly table: Variable;
  constructor(rng: Rng, readonly vocab: number, readonly dim: number, std = 0.05) {
    super(rng);
    this.table = this.param('table', [vocab, dim], { normal: std });
  }
  lookup(ids: Tensor): Tensor {
    return tf.gather(this.table, ids); // (..., D)
  }
}

/** The non-padding mask of an id list: 1 where id > 0. (B, L) int32 -> (B, L) float32. */
export function paddingMask(ids: Tensor): Tensor {
  return tf.cast(tf.greater(ids, 0), 'float32'); // (B, L)
}

/**
 * Embeds a batch's features by the schema. Tables are named `emb.<feature>`; list features use the table of the
 * feature named in `sharesWith`, else their own.
 * @example
 * const fe = new FeatureEmbedding(rng, schema, 8);
 * fe.fields(batch, ['user_id', 'item_id']); // (B, 2, 8)
 */
export class FeatureEmbedding extends Module {
  private readonly tables = new Map<string, Embedding>();

  constructor(rng: Rng, readonly schema: Schema, readonly dim: number, std = 0.05) {
    super(rng);
    for (const f of schema.features) {
      if (f.kind === 'dense' || (f.kind === 'sequence' && f.sharesWith)) continue;
      this.tables.set(f.name, this.module(f.name, new Embedding(this.rng, f.vocab, dim, std)));
    }
  }

  /** The table a feature reads. */
  tableOf(name: string): Embedding {
    const f = this.schema.features.find((x) => x.name === name);
    if (!f) throw new Error(`FeatureEmbedding: no feature '${name}'`);
    const owner = f.kind === 'sequence' && f.sharesWith ? f.sharesWith : name;
    const t = this.tables.get(owner);
    if (!t) throw new Error(`FeatureEmbedding: feature '${name}' (${f.kind}) has no embedding table`);
    return t;
  }

  /** Categorical features stacked as fields: (B, F, D). */
  fields(batch: TensorBatch, names: string[]): Tensor {
    return tf.stack(names.map((n) => this.tableOf(n).lookup(batch[n])), 1); // (B, F, D)
  }

  /** A list feature's embeddings and padding mask: seq (B, L, D), mask (B, L). */
  sequence(batch: TensorBatch, name: string): { seq: Tensor; mask: Tensor } {
    const ids = batch[name];
    return { seq: this.tableOf(name).lookup(ids), mask: paddingMask(ids) };
  }

  /** Masked mean of a list feature's embeddings (empty lists give zeros): (B, D). */
  pooled(batch: TensorBatch, name: string): Tensor {
    const { seq, mask } = this.sequence(batch, name);
    const sum = tf.sum(tf.mul(seq, tf.expandDims(mask, 2)), 1); // (B, D)
    const count = tf.maximum(tf.sum(mask, 1, true), 1); // (B, 1)
    return tf.div(sum, count); // (B, D)
  }
}
