/**
 * The input block of the live-streaming multi-task models (FARM, the live baselines; usable by Moment&Cross): reads
 * the live world's columns (src/worlds/live-world.ts) by name and embeds them.
 *   step_t  = sum_f e_f(h_{f,t})       over the history fields (item, author, category, action): (B, L, D)
 *   query   = sum_f e_f(c_f)           over the candidate fields (item, author, category):         (B, D)
 *   cand    = [e_item; e_author; ...]  candidate fields concatenated                              (B, Fc*D)
 *   context = [e_user; e_age; ...; pooled other lists; dense]  every other feature               (B, Cx)
 * A step's padding mask comes from its first history field (id 0 = padding). History fields share the candidate
 * fields' embedding tables through `sharesWith` in the schema (action ids have their own table).
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from './module.ts';
import { FeatureEmbedding, paddingMask } from './embedding.ts';
import type { Rng } from '../random.ts';

/** Which columns play which role; defaults in `LIVE_COLUMNS` (the live world's names). */
export interface LiveColumns {
  /** Short-video history fields, summed per step; the first one gives the padding mask. */
  svHistory: string[];
  /** Live-streaming history fields, summed per step. */
  liveHistory: string[];
  /** Candidate fields (the query of target attention). */
  candidate: string[];
  /** Features the model must not read (e.g. real-time room features in an ablation). */
  exclude: string[];
}
/** The live world's column names. */
export const LIVE_COLUMNS: LiveColumns = {
  svHistory: ['hist_sv_item', 'hist_sv_author', 'hist_sv_category', 'hist_sv_action'],
  liveHistory: ['hist_live_item', 'hist_live_author', 'hist_live_category', 'hist_live_action'],
  candidate: ['item_id', 'author_id', 'category_id'],
  exclude: [],
};

function need(schema: Schema, names: string[], kinds: string[], where: string): void {
  for (const n of names) {
    const f = schema.features.find((x) => x.name === n);
    if (!f) throw new Error(`${where}: the schema has no feature '${n}' (features: ${schema.features.map((x) => x.name).join(', ')})`);
    if (!kinds.includes(f.kind)) throw new Error(`${where}: feature '${n}' is ${f.kind}, expected ${kinds.join(' or ')}`);
  }
}

/**
 * Embeds a live-world batch by role. Parameters: `emb.<feature>.table`.
 * @example
 * const inputs = new LiveInputs(rng, world.train.schema, 16);
 * const { seq, mask } = inputs.steps(batch, 'live'); // (B, L, 16), (B, L)
 */
export class LiveInputs extends Module {
  readonly columns: LiveColumns;
  /** Width of `context(batch)`. */
  readonly contextDim: number;
  /** Width of `candidateFields(batch)`. */
  readonly candidateDim: number;
  /** Sequence lengths of the two histories (0 when a history is not used). */
  readonly lengths: { sv: number; live: number };
  private readonly emb: FeatureEmbedding;
  private readonly ctxCategorical: string[] = [];
  private readonly ctxLists: string[] = [];
  private readonly ctxDense: string[] = [];

  constructor(rng: Rng, schema: Schema, readonly dim: number, columns: LiveColumns = LIVE_COLUMNS, where = 'live inputs') {
    super(rng);
    this.columns = structuredClone(columns);
    const c = this.columns;
    need(schema, [...c.svHistory, ...c.liveHistory], ['sequence'], where);
    need(schema, c.candidate, ['categorical'], where);
    need(schema, c.exclude, ['categorical', 'sequence', 'multiHot', 'dense'], where);
    if (!c.candidate.length) throw new Error(`${where}: at least one candidate column is needed`);
    const len = (names: string[]) => {
      const ls = new Set(names.map((n) => (schema.features.find((f) => f.name === n) as { maxLen: number }).maxLen));
      if (ls.size > 1) throw new Error(`${where}: history fields ${names.join(', ')} have different maxLen (${[...ls].join(', ')})`);
      return ls.size ? [...ls][0] : 0;
    };
    this.lengths = { sv: len(c.svHistory), live: len(c.liveHistory) };
    const history = new Set([...c.svHistory, ...c.liveHistory, ...c.candidate]);
    const excluded = new Set(c.exclude);
    let width = 0;
    for (const f of schema.features) {
      if (history.has(f.name) || excluded.has(f.name)) continue;
      if (f.kind === 'categorical') this.ctxCategorical.push(f.name);
      else if (f.kind === 'dense') this.ctxDense.push(f.name);
      else this.ctxLists.push(f.name);
      width += f.kind === 'dense' ? (f.dim ?? 1) : dim;
    }
    // Tables only for the features read, so every parameter gets a gradient (a sequence keeps its sharesWith target).
    const read = new Set([...history, ...this.ctxCategorical, ...this.ctxLists]);
    for (const f of schema.features) if (read.has(f.name) && f.kind === 'sequence' && f.sharesWith) read.add(f.sharesWith);
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, { ...schema, features: schema.features.filter((f) => read.has(f.name)) }, dim));
    this.contextDim = width;
    this.candidateDim = c.candidate.length * dim;
  }

  /** Summed step embeddings of one history: seq (B, L, D) with padded steps zeroed, mask (B, L). */
  steps(batch: TensorBatch, domain: 'sv' | 'live'): { seq: Tensor; mask: Tensor } {
    const names = domain === 'sv' ? this.columns.svHistory : this.columns.liveHistory;
    if (!names.length) throw new Error(`live inputs: no ${domain} history columns configured`);
    const mask = paddingMask(batch[names[0]]); // (B, L)
    const sum = tf.addN(names.map((n) => this.emb.tableOf(n).lookup(batch[n]))); // (B, L, D)
    return { seq: tf.mul(sum, tf.expandDims(mask, 2)), mask };
  }

  /** Sum of the candidate field embeddings, the attention query: (B, D). */
  query(batch: TensorBatch): Tensor {
    return tf.addN(this.columns.candidate.map((n) => this.emb.tableOf(n).lookup(batch[n]))); // (B, D)
  }

  /** Candidate field embeddings concatenated: (B, Fc*D). */
  candidateFields(batch: TensorBatch): Tensor {
    return tf.concat(this.columns.candidate.map((n) => this.emb.tableOf(n).lookup(batch[n])), 1); // (B, Fc*D)
  }

  /** Every other feature (user and context fields, pooled other lists, dense values) concatenated: (B, Cx). */
  context(batch: TensorBatch): Tensor {
    const parts: Tensor[] = this.ctxCategorical.map((n) => this.emb.tableOf(n).lookup(batch[n])); // (B, D) each
    for (const n of this.ctxLists) parts.push(this.emb.pooled(batch, n)); // (B, D)
    for (const n of this.ctxDense) parts.push(batch[n]); // (B, dim)
    if (!parts.length) throw new Error('live inputs: no context features');
    return tf.concat(parts, 1); // (B, Cx)
  }
}

/** Masked mean over time: seq (B, L, D), mask (B, L) -> (B, D) (zeros for an empty history). */
export function maskedMean(seq: Tensor, mask: Tensor): Tensor {
  const count = tf.maximum(tf.sum(mask, 1, true), 1); // (B, 1)
  return tf.div(tf.sum(tf.mul(seq, tf.expandDims(mask, 2)), 1), count); // (B, D)
}
