/**
 * GME's five CTR backbones (spec §3.1, §6 Proposal: DNN, PNN, Wide&Deep, DeepFM, AutoInt) behind one contract that
 * lets an item-ID embedding be supplied from outside: `logit(batch, { idEmb })` replaces the `ad_id` field's table
 * lookup by a given (B, D) tensor (a generated embedding), which the meta-training objective differentiates through.
 *
 * Thin adapter: the foundation's DNN, Wide&Deep and DeepFM (src/models/) read every field from their own tables and
 * cannot take an outside ID embedding, so this module holds the same equations over one FeatureEmbedding:
 *   DNN        logit = MLP([e_1; ...; e_F])
 *   Wide&Deep  logit = MLP([e_1; ...; e_F]) + sum_i w_i                       (first-order weights of every id)
 *   DeepFM     logit = sum_i w_i + 1/2 sum_d [(sum_i e_id)^2 - sum_i e_id^2] + MLP([e_1; ...; e_F])
 * PNN and AutoInt reuse the heads of src/models/pnn.ts and src/models/autoint.ts. Multi-hot fields (tags) are
 * sum-pooled over their non-padding values, as the generator's attribute slots and the released `dnn.py` (issue 15:
 * the backbone used to mean-pool while the generator summed).
 * When `idEmb` is given, the ID's first-order weight (Wide&Deep, DeepFM) is taken as 0: the generator makes only the
 * D-dim embedding, and a new ad's first-order row starts at 0 (its table is zero-initialised).
 * Paper deviation: the released DNN has no biases (§3.1); our MLPs use the foundation's Dense layers with biases.
 */
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding } from '../layers/embedding.ts';
import { MLP } from '../layers/dense.ts';
import { featureGroups, type FeatureGroups } from '../layers/ctr-inputs.ts';
import { PNNHead } from '../models/pnn.ts';
import { AutoIntHead } from '../models/autoint.ts';
import type { ModelOutputs, RecModel } from '../models/model.ts';
import type { Rng } from '../random.ts';

/** The backbone kinds. */
export const BACKBONES = ['dnn', 'pnn', 'wide-deep', 'deepfm', 'autoint'] as const;
/** One backbone kind. */
export type BackboneKind = (typeof BACKBONES)[number];
/** Display names for tables. */
export const BACKBONE_LABELS: Record<BackboneKind, string> = { dnn: 'DNN', pnn: 'PNN', 'wide-deep': 'Wide&Deep', deepfm: 'DeepFM', autoint: 'AutoInt' };

/** Backbone sizes; defaults in `BACKBONE_DEFAULTS` (spec §3.1: k = 10, FC 256-128). */
export interface BackboneConfig {
  embeddingDim: number;
  hidden: number[];
  /** AutoInt's attention width and heads, and its interacting layers. */
  attentionDim: number;
  heads: number;
  attentionLayers: number;
}
/** Defaults: k = 10, MLP [256, 128] (spec §3.1), AutoInt 2 layers of width 20 with 2 heads. */
export const BACKBONE_DEFAULTS: BackboneConfig = { embeddingDim: 10, hidden: [256, 128], attentionDim: 20, heads: 2, attentionLayers: 2 };

/**
 * A CTR backbone whose ID field can be supplied from outside. Implements RecModel (`apply` = no override).
 * @example
 * const bb = new ColdStartBackbone(new Rng(1), schema, 'deepfm');
 * bb.logit(batch, { training: false, idEmb }); // idEmb (B, D) -> (B)
 */
export class ColdStartBackbone extends Module implements RecModel {
  readonly name: string;
  readonly config: BackboneConfig;
  readonly groups: FeatureGroups;
  /** Field embeddings (tables `emb.<feature>.table`). */
  readonly emb: FeatureEmbedding;
  /** First-order weights (Wide&Deep, DeepFM), zero-initialised; null otherwise. */
  readonly first: FeatureEmbedding | null;
  private readonly mlp: MLP | null = null;
  private readonly pnn: PNNHead | null = null;
  private readonly autoint: AutoIntHead | null = null;

  constructor(rng: Rng, readonly schema: Schema, readonly kind: BackboneKind, config: Partial<BackboneConfig> = {}, readonly idFeature = 'ad_id') {
    super(rng);
    for (const k of Object.keys(config)) if (!(k in BACKBONE_DEFAULTS)) throw new Error(`backbone config: unknown key '${k}' (known: ${Object.keys(BACKBONE_DEFAULTS).join(', ')})`);
    if (!BACKBONES.includes(kind)) throw new Error(`backbone: unknown kind '${kind}' (known: ${BACKBONES.join(', ')})`);
    this.config = { ...BACKBONE_DEFAULTS, ...structuredClone(config) };
    this.name = `gme-${kind}`;
    this.groups = featureGroups(schema);
    if (!this.groups.categorical.includes(idFeature)) throw new Error(`backbone: the schema has no categorical feature '${idFeature}'`);
    const D = this.config.embeddingDim;
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    this.first = kind === 'wide-deep' || kind === 'deepfm' ? this.module('first', new FeatureEmbedding(this.rng, schema, 1, 0)) : null;
    const F = this.groups.categorical.length + this.groups.lists.length;
    if (kind === 'pnn') this.pnn = this.module('head', new PNNHead(this.rng, F, D, 0, { hidden: this.config.hidden, dropout: 0 }));
    else if (kind === 'autoint') this.autoint = this.module('head', new AutoIntHead(this.rng, F, D, 0, { attentionDim: this.config.attentionDim, heads: this.config.heads, layers: this.config.attentionLayers }));
    else this.mlp = this.module('mlp', new MLP(this.rng, F * D, { hidden: this.config.hidden, outDim: 1 }));
  }

  /** The ID embedding table (vocab, D). */
  idTable(): Variable {
    return this.emb.tableOf(this.idFeature).table;
  }

  /** Every variable whose rows are indexed by the ID (the embedding and, if any, the first-order weights). */
  idRowVariables(): Map<string, Variable> {
    const out = new Map<string, Variable>([[`emb.${this.idFeature}.table`, this.idTable()]]);
    if (this.first) out.set(`first.${this.idFeature}.table`, this.first.tableOf(this.idFeature).table);
    return out;
  }

  /**
   * Field embeddings (B, F, D), categorical fields in schema order then sum-pooled lists (padding masked, as the
   * generator's attribute slots and the released code's backbone: spec §3); `idEmb` replaces the ID's.
   */
  fields(batch: TensorBatch, idEmb?: Tensor): Tensor {
    const cat = this.groups.categorical.map((n) => (n === this.idFeature && idEmb ? idEmb : this.emb.tableOf(n).lookup(batch[n]))); // each (B, D)
    const lists = this.groups.lists.map((n) => {
      const { seq, mask } = this.emb.sequence(batch, n); // (B, L, D), (B, L)
      return tf.sum(tf.mul(seq, tf.expandDims(mask, 2)), 1); // (B, D): sum over the list's values
    });
    return tf.stack([...cat, ...lists], 1); // (B, F, D)
  }

  /** Sum of first-order weights (B); the ID's is 0 when `idEmb` is given. */
  private firstOrder(batch: TensorBatch, idEmb?: Tensor): Tensor {
    const first = this.first as FeatureEmbedding;
    const names = this.groups.categorical.filter((n) => !(n === this.idFeature && idEmb));
    let w = tf.sum(tf.squeeze(first.fields(batch, names), [2]), 1); // (B)
    for (const n of this.groups.lists) w = tf.add(w, tf.sum(tf.squeeze(first.tableOf(n).lookup(batch[n]), [2]), 1)); // (B)
    return w;
  }

  /** The logit (B); `idEmb` (B, D) replaces the ID field's embedding. */
  logit(batch: TensorBatch, options: { training: boolean; idEmb?: Tensor }): Tensor {
    const fields = this.fields(batch, options.idEmb); // (B, F, D)
    const B = fields.shape[0];
    if (this.pnn) return this.pnn.apply(fields, null, options.training);
    if (this.autoint) return this.autoint.apply(fields, null);
    const deep = tf.reshape((this.mlp as MLP).apply(tf.reshape(fields, [B, -1]), options.training), [-1]); // (B)
    if (this.kind === 'dnn') return deep;
    const first = this.firstOrder(batch, options.idEmb); // (B)
    if (this.kind === 'wide-deep') return tf.add(deep, first);
    const fm2 = tf.mul(0.5, tf.sum(tf.sub(tf.square(tf.sum(fields, 1)), tf.sum(tf.square(fields), 1)), 1)); // (B)
    return tf.add(tf.add(first, fm2), deep); // (B)
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    return { logit: this.logit(batch, { training }) };
  }
}
