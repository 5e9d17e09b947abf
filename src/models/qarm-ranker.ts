/**
 * QARM ranker — Luo et al., "QARM: Quantitative Alignment Multi-Modal Recommendation at Kuaishou", CIKM 2025,
 * arXiv:2411.11739; spec ../shared/papers/qarm.md §3.3 (stage C). Implemented: quantitative codes as trainable ID
 * features of the target item and of every behaviour-sequence item, beside the item id and, behind a flag, the frozen
 * multimodal vector:
 *   vq_emb(i)   = mean_{c in code_vq(i)} E_vq[c]                 (one table, pool-size rows)
 *   rq_emb(i)   = concat_l E_rq[c_l(i)]                          (L levels, one table with per-level offsets)
 *   item_rep(i) = concat(id_emb(i), vq_emb(i), rq_emb(i), W m_i)  (m_i frozen, W trainable)
 *   user_int    = DIN-attention(query = item_rep(target), keys = item_rep(history))
 *   cross       = (optional, off by default) mean and max over the history of the shared RQ-prefix length with
 *                 the target, / L
 *   logit       = MLP([user fields; item_rep(target); user_int; mean item_rep(history); cross if on])
 * The item representation is computed once per step for the whole catalogue (V rows) and gathered for targets and
 * histories, so the code tables get gradients from both. Without codes or vector the model is the base ranker
 * (id embedding only), which is how the registry builds it.
 * Paper deviations: ReLU attention MLP as in src/models/din.ts; the mean-pooled history is also fed to the tower;
 * the cross feature is the spec's proposal (the paper does not state its cross features). It exists only for RQ codes,
 * so it is off by default: giving it to the RQ variants alone made "codes beat the frozen vector" a confound (issue 16:
 * without it RQ scored 0.5526 vs base 0.5601). A comparison ladder gives every content variant the same extra features.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { Embedding, FeatureEmbedding, paddingMask } from '../layers/embedding.ts';
import { Dense, MLP } from '../layers/dense.ts';
import { TargetAttention } from '../layers/attention.ts';
import { featureGroups } from '../layers/ctr-inputs.ts';
import type { Rng } from '../random.ts';
import { ctrLoss, resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** Item-side inputs by item id: Int32 / Float32 tables of (vocab, width) rows, row 0 = padding. */
export interface QarmItemSide {
  /** VQ code bags (vocab, width) with ids in [0, vocab); 0 = padding. See src/qarm/codes.ts codeTable. */
  vq: { table: Int32Array; width: number; vocab: number } | null;
  /** RQ codes (vocab, levels) with per-level offsets, ids in [1, vocab). */
  rq: { table: Int32Array; levels: number; vocab: number } | null;
  /** Frozen multimodal vectors (vocab, dim). */
  mm: { table: Float32Array; dim: number } | null;
}

/** Hyper-parameters and item-side inputs; defaults in `QARM_RANKER_DEFAULTS`. */
export interface QarmRankerConfig extends QarmItemSide {
  embeddingDim: number;
  codeDim: number;
  /** Width of the projected frozen vector W m_i. */
  mmDim: number;
  attentionHidden: number[];
  hidden: number[];
  dropout: number;
  /** Target item feature and the behaviour sequence that shares its ids. */
  item: string;
  sequence: string;
  /**
   * Add the RQ shared-prefix cross feature (needs rq; default false). Only RQ variants can have it, so a ladder that
   * turns it on no longer compares like with like (issue 16's confound); keep it for ablations of the cross itself.
   */
  crossFeatures: boolean;
}
/** Defaults (spec §3.3): D 16 for ids and codes, W m_i of width 32, attention [36], tower [256, 128, 64], no codes, no cross feature. */
export const QARM_RANKER_DEFAULTS: QarmRankerConfig = {
  embeddingDim: 16, codeDim: 16, mmDim: 32, attentionHidden: [36], hidden: [256, 128, 64], dropout: 0,
  item: 'item_id', sequence: 'hist_item_id', crossFeatures: false, vq: null, rq: null, mm: null,
};

/**
 * The ranker; outputs `logit` (B) and attention weights `attention` (B, T).
 * @example
 * const m = new QarmRanker(new Rng(1), world.train.schema, { vq: { table, width: 25, vocab: 1201 } });
 * m.apply(batch, { training: false }).logit; // (B)
 */
export class QarmRanker extends Module implements RecModel {
  readonly name = 'qarm-ranker';
  readonly config: QarmRankerConfig;
  private readonly fields: string[];
  private readonly lists: string[];
  private readonly dense: string[];
  private readonly emb: FeatureEmbedding;
  private readonly vqEmb: Embedding | null = null;
  private readonly rqEmb: Embedding | null = null;
  private readonly mmProj: Dense | null = null;
  private readonly consts: Tensor[] = [];
  private readonly vqTable: Tensor | null = null; // (V, k) int32
  private readonly rqTable: Tensor | null = null; // (V, L) int32
  private readonly mmTable: Tensor | null = null; // (V, dm)
  private readonly attention: TargetAttention;
  private readonly tower: MLP;
  private readonly vocab: number;

  constructor(rng: Rng, schema: Schema, config: Partial<QarmRankerConfig> = {}) {
    super(rng);
    const c = (this.config = resolveConfig('qarm-ranker', config, QARM_RANKER_DEFAULTS));
    const itemF = schema.features.find((f) => f.name === c.item);
    const seqF = schema.features.find((f) => f.name === c.sequence);
    if (!itemF || itemF.kind !== 'categorical') throw new Error(`qarm-ranker config: item '${c.item}' is not a categorical feature`);
    if (!seqF || seqF.kind !== 'sequence' || seqF.sharesWith !== c.item) throw new Error(`qarm-ranker config: sequence '${c.sequence}' is not a sequence feature sharing '${c.item}'`);
    const V = (this.vocab = itemF.vocab);
    const g = featureGroups(schema);
    this.fields = g.categorical.filter((n) => n !== c.item);
    this.lists = g.lists.filter((n) => n !== c.sequence);
    this.dense = g.dense;
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, c.embeddingDim));
    let R = c.embeddingDim;
    const constant = <T extends Tensor>(t: T): T => (this.consts.push(t), t);
    if (c.vq) {
      if (c.vq.table.length !== V * c.vq.width) throw new Error(`qarm-ranker config: vq.table has ${c.vq.table.length} ids, expected ${V} x ${c.vq.width}`);
      this.vqEmb = this.module('vq', new Embedding(this.rng, c.vq.vocab, c.codeDim));
      this.vqTable = constant(tf.tensor2d(c.vq.table, [V, c.vq.width], 'int32'));
      R += c.codeDim;
    }
    if (c.rq) {
      if (c.rq.table.length !== V * c.rq.levels) throw new Error(`qarm-ranker config: rq.table has ${c.rq.table.length} ids, expected ${V} x ${c.rq.levels}`);
      this.rqEmb = this.module('rq', new Embedding(this.rng, c.rq.vocab, c.codeDim));
      this.rqTable = constant(tf.tensor2d(c.rq.table, [V, c.rq.levels], 'int32'));
      R += c.rq.levels * c.codeDim;
    }
    if (c.mm) {
      if (c.mm.table.length !== V * c.mm.dim) throw new Error(`qarm-ranker config: mm.table has ${c.mm.table.length} values, expected ${V} x ${c.mm.dim}`);
      this.mmTable = constant(tf.tensor2d(c.mm.table, [V, c.mm.dim]));
      this.mmProj = this.module('mmProj', new Dense(this.rng, c.mm.dim, c.mmDim));
      R += c.mmDim;
    }
    this.attention = this.module('attention', new TargetAttention(this.rng, R, c.attentionHidden, 'relu'));
    const cross = c.crossFeatures && c.rq ? 2 : 0;
    const width = 3 * R + (this.fields.length + this.lists.length) * c.embeddingDim + g.denseDim + cross;
    this.tower = this.module('tower', new MLP(this.rng, width, { hidden: c.hidden, dropout: c.dropout, outDim: 1 }));
  }

  /** item_rep for the whole catalogue: (V, R). */
  itemTable(): Tensor {
    const parts: Tensor[] = [this.emb.tableOf(this.config.item).table]; // (V, D)
    if (this.vqEmb && this.vqTable) {
      const mask = tf.expandDims(paddingMask(this.vqTable), 2); // (V, k, 1)
      const sum = tf.sum(tf.mul(this.vqEmb.lookup(this.vqTable), mask), 1); // (V, Dc)
      parts.push(tf.div(sum, tf.maximum(tf.sum(mask, 1), 1))); // (V, Dc)
    }
    if (this.rqEmb && this.rqTable) parts.push(tf.reshape(this.rqEmb.lookup(this.rqTable), [this.vocab, -1])); // (V, L*Dc)
    if (this.mmProj && this.mmTable) parts.push(this.mmProj.apply(this.mmTable)); // (V, mmDim)
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1); // (V, R)
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const c = this.config;
    const ids = batch[c.item]; // (B)
    const histIds = batch[c.sequence]; // (B, T)
    const table = this.itemTable(); // (V, R)
    const target = tf.gather(table, ids); // (B, R)
    const keys = tf.gather(table, histIds); // (B, T, R)
    const mask = paddingMask(histIds); // (B, T)
    const weights = this.attention.weights(target, keys, mask); // (B, T)
    const interest = tf.sum(tf.mul(keys, tf.expandDims(weights, 2)), 1); // (B, R)
    const count = tf.maximum(tf.sum(mask, 1, true), 1); // (B, 1)
    const meanHist = tf.div(tf.sum(tf.mul(keys, tf.expandDims(mask, 2)), 1), count); // (B, R)
    const B = ids.shape[0];
    const parts: Tensor[] = [target, interest, meanHist];
    if (this.fields.length) parts.push(tf.reshape(this.emb.fields(batch, this.fields), [B, -1])); // (B, Fu*D)
    for (const n of this.lists) parts.push(this.emb.pooled(batch, n)); // (B, D)
    for (const n of this.dense) parts.push(batch[n]); // (B, dim)
    if (c.crossFeatures && this.rqTable && c.rq) parts.push(this.prefixCross(ids, histIds, mask, count, c.rq.levels)); // (B, 2)
    const logit = tf.reshape(this.tower.apply(tf.concat(parts, 1), training), [-1]); // (B)
    return { logit, attention: weights };
  }

  /** Mean and max over the history of the shared RQ-prefix length with the target, divided by L: (B, 2). */
  private prefixCross(ids: Tensor, histIds: Tensor, mask: Tensor, count: Tensor, L: number): Tensor {
    const t = tf.expandDims(tf.gather(this.rqTable as Tensor, ids), 1); // (B, 1, L)
    const h = tf.gather(this.rqTable as Tensor, histIds); // (B, T, L)
    const eq = tf.unstack(tf.cast(tf.equal(t, h), 'float32'), 2); // L x (B, T)
    let run = eq[0];
    let prefix = run;
    for (let l = 1; l < L; l++) {
      run = tf.mul(run, eq[l]);
      prefix = tf.add(prefix, run); // (B, T)
    }
    prefix = tf.mul(tf.div(prefix, L), mask); // (B, T)
    return tf.concat([tf.div(tf.sum(prefix, 1, true), count), tf.max(prefix, 1, true)], 1); // (B, 2)
  }

  /** Frees the parameters and the constant code / vector tables. */
  override dispose(): void {
    super.dispose();
    for (const t of this.consts) t.dispose();
  }
}

/** Registry entry (built without codes: the base ranker; pipelines pass codes and vectors in the config). */
export const qarmRankerSpec: ModelSpec<QarmRankerConfig> = {
  name: 'qarm-ranker',
  description: 'QARM ranker (Luo et al. 2024): item id + trainable VQ / RQ code embeddings + frozen MM vector, DIN attention',
  defaults: QARM_RANKER_DEFAULTS,
  create: (rng, schema, config) => new QarmRanker(rng, schema, config),
  task: 'ctr',
  loss: ctrLoss,
};
