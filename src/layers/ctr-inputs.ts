/**
 * The standard input block of CTR models: every categorical feature as a field embedding, every list feature
 * mean-pooled into one more field, and the dense features concatenated.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import type { FeatureEmbedding } from './embedding.ts';

/** Names of a schema's features by role. */
export interface FeatureGroups {
  categorical: string[];
  lists: string[];
  dense: string[];
  denseDim: number;
}

/** Splits a schema's features by kind. */
export function featureGroups(schema: Schema): FeatureGroups {
  const g: FeatureGroups = { categorical: [], lists: [], dense: [], denseDim: 0 };
  for (const f of schema.features) {
    if (f.kind === 'categorical') g.categorical.push(f.name);
    else if (f.kind === 'dense') {
      g.dense.push(f.name);
      g.denseDim += f.dim ?? 1;
    } else g.lists.push(f.name);
  }
  return g;
}

/**
 * Embeds a batch: fields (B, F, D) with F = categorical + list features (lists mean-pooled), dense (B, Dd) or null.
 * @example
 * const { fields, dense } = ctrInputs(fe, groups, batch); // (B, F, D), (B, Dd)
 */
export function ctrInputs(fe: FeatureEmbedding, groups: FeatureGroups, batch: TensorBatch): { fields: Tensor; dense: Tensor | null } {
  const parts = [fe.fields(batch, groups.categorical)]; // (B, Fc, D)
  if (groups.lists.length) parts.push(tf.stack(groups.lists.map((n) => fe.pooled(batch, n)), 1)); // (B, Fl, D)
  const fields = parts.length === 1 ? parts[0] : tf.concat(parts, 1); // (B, F, D)
  const dense = groups.dense.length ? tf.concat(groups.dense.map((n) => batch[n]), 1) : null; // (B, Dd)
  return { fields, dense };
}
