/**
 * The typed description of a dataset: which columns are features of which kind, which are labels, and which play
 * special roles (user id for grouped metrics, domain tag, timestamp). Every loader, world and model reads it.
 *
 * Id conventions: a categorical id lies in [0, vocab). In `multiHot` and `sequence` columns id 0 is padding and real
 * ids lie in [1, vocab); rows are left-aligned and padded with 0 to `maxLen`.
 */
import { z } from 'zod';

/** One categorical id per row, stored as Int32 (n). */
export interface CategoricalFeature {
  kind: 'categorical';
  name: string;
  /** Number of ids, including 0. */
  vocab: number;
}
/** A set of ids per row (tags, genres), stored as Int32 (n, maxLen), padded with 0. */
export interface MultiHotFeature {
  kind: 'multiHot';
  name: string;
  vocab: number;
  maxLen: number;
}
/** An ordered behaviour sequence per row (oldest first), stored as Int32 (n, maxLen), padded with 0. */
export interface SequenceFeature {
  kind: 'sequence';
  name: string;
  vocab: number;
  maxLen: number;
  /** Name of the categorical feature whose ids (and embedding table) this sequence shares, e.g. 'item_id'. */
  sharesWith?: string;
}
/** Real values per row, stored as Float32 (n, dim). */
export interface DenseFeature {
  kind: 'dense';
  name: string;
  /** Width; default 1. */
  dim?: number;
}
/** Any feature column. */
export type Feature = CategoricalFeature | MultiHotFeature | SequenceFeature | DenseFeature;

/**
 * A dataset's schema.
 * @example
 * const schema: Schema = {
 *   features: [{ kind: 'categorical', name: 'user_id', vocab: 1000 }, { kind: 'dense', name: 'age' }],
 *   labels: ['click'], userId: 'user_id',
 * };
 */
export interface Schema {
  features: Feature[];
  /** Binary (0/1) label columns, stored as Float32 (n). At least one. */
  labels: string[];
  /** Categorical feature that identifies the user (GAUC/UAUC groups, leave-one-out splits). */
  userId?: string;
  /** Categorical feature that tags the domain of a row (cross-domain papers). */
  domain?: string;
  /** Name of a Float64 timestamp column (seconds), used by time splits. Not a model feature. */
  timestamp?: string;
}

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name is letters, digits and _');
const vocab = z.number().int().min(2);
const maxLen = z.number().int().min(1);

/** Strict zod schema for `Schema` (unknown keys are errors), for schemas read from JSON. */
export const SchemaSpec = z.strictObject({
  features: z.array(
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('categorical'), name, vocab }),
      z.strictObject({ kind: z.literal('multiHot'), name, vocab, maxLen }),
      z.strictObject({ kind: z.literal('sequence'), name, vocab, maxLen, sharesWith: name.optional() }),
      z.strictObject({ kind: z.literal('dense'), name, dim: z.number().int().min(1).optional() }),
    ]),
  ),
  labels: z.array(name).min(1),
  userId: name.optional(),
  domain: name.optional(),
  timestamp: name.optional(),
});

/**
 * Checks a schema's internal consistency and returns it: unique names, role columns that exist and are categorical,
 * `sharesWith` targets that exist with the same vocabulary. Throws an Error naming the offending key.
 * @example
 * validateSchema({ features: [{ kind: 'categorical', name: 'u', vocab: 10 }], labels: ['click'], userId: 'u' });
 */
export function validateSchema(schema: Schema): Schema {
  const parsed = SchemaSpec.safeParse(schema);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`schema: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const n of [...schema.features.map((f) => f.name), ...schema.labels, ...(schema.timestamp ? [schema.timestamp] : [])]) {
    if (seen.has(n)) throw new Error(`schema: column name '${n}' is used twice`);
    seen.add(n);
  }
  for (const role of ['userId', 'domain'] as const) {
    const col = schema[role];
    if (col === undefined) continue;
    const f = schema.features.find((x) => x.name === col);
    if (!f || f.kind !== 'categorical') throw new Error(`schema: ${role} '${col}' must name a categorical feature`);
  }
  for (const f of schema.features) {
    if (f.kind !== 'sequence' || f.sharesWith === undefined) continue;
    const t = schema.features.find((x) => x.name === f.sharesWith);
    if (!t || t.kind !== 'categorical') throw new Error(`schema: sequence '${f.name}' sharesWith '${f.sharesWith}', which is not a categorical feature`);
    if (t.vocab !== f.vocab) throw new Error(`schema: sequence '${f.name}' has vocab ${f.vocab} but shares '${t.name}' with vocab ${t.vocab}`);
  }
  return schema;
}

/** Number of stored values per row of a feature (1 for categorical, maxLen for lists, dim for dense). */
export function featureWidth(f: Feature): number {
  switch (f.kind) {
    case 'categorical':
      return 1;
    case 'multiHot':
    case 'sequence':
      return f.maxLen;
    case 'dense':
      return f.dim ?? 1;
  }
}

/** Looks a feature up by name; throws naming the missing feature and the ones that exist. */
export function getFeature(schema: Schema, featureName: string): Feature {
  const f = schema.features.find((x) => x.name === featureName);
  if (!f) throw new Error(`schema has no feature '${featureName}' (features: ${schema.features.map((x) => x.name).join(', ')})`);
  return f;
}
