/**
 * EM3 — Deng et al., "End-to-end training of Multimodal Model and ranking Model", arXiv:2404.06078 (2024); spec
 * ../shared/papers/em3.md. This file is the tfjs ranking side; the item content tower (encoder + Fusion-Q-Former +
 * LoRA) is PyTorch, src/bridge/python/em3.py, trained end to end through src/bridge/cross-step.ts.
 *
 * Ranker (DIN backbone, EM3 as a plug-in item tower, spec §3.5 proposal): each item is [e_id ; A c] with e_id its ID
 * embedding and c its content embedding (A a trainable adapter, C -> D); the target's vector attends over the
 * history's (DIN target attention, padded positions masked) and
 *   logit = MLP([e_user ; e_age ; e_gender ; u_int ; [e_id ; A c]_target])
 * Content-ID contrastive (CIC, §3.4), in-batch, both vectors L2-normalised, duplicate item ids masked:
 *   s_ij = <ĉ_i, ê_j> / tau,  ĉ = norm(MLP_cic(c_target)),  L_CIC = ½ [CE(S, diag) + CE(Sᵀ, diag)]
 *   L = BCE + w · L_CIC   (w 0.1, tau 0.1)
 * Content modes: 'none' (ID-only ranker), or content tables passed in per batch: target (B, C) and history (B, T, C)
 * (frozen pre-extracted vectors, or the PyTorch tower's two paths).
 * Paper deviation: ranking MLP [128, 64] without batch norm (the [3P-code] uses [1024, 512, 256] with BN); 2 CPU cores.
 * Reference deviation: c and e are L2-normalised before the CIC dot product and duplicate ids are masked (the
 * [3P-code] does neither, spec §7).
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { FeatureEmbedding, paddingMask } from '../layers/embedding.ts';
import { Dense, MLP } from '../layers/dense.ts';
import { TargetAttention } from '../layers/attention.ts';
import { bceWithLogits } from '../train/losses.ts';
import type { Rng } from '../random.ts';
import { resolveConfig } from './model.ts';

/** EM3 ranker hyper-parameters; defaults in `EM3_RANKER_DEFAULTS`. */
export interface EM3RankerConfig {
  embeddingDim: number;
  /** Content embedding width C (0 = ID-only ranker). */
  contentDim: number;
  attentionHidden: number[];
  hidden: number[];
  /** CIC weight w (0 = no CIC) and temperature tau. */
  cicWeight: number;
  cicTau: number;
}
/** Defaults: D 16, C 32, attention [32], tower [128, 64], CIC w 0.1, tau 0.1 (spec §6 proposals). */
export const EM3_RANKER_DEFAULTS: EM3RankerConfig = { embeddingDim: 16, contentDim: 32, attentionHidden: [32], hidden: [128, 64], cicWeight: 0.1, cicTau: 0.1 };

/** Content embeddings of a batch: the target items (B, C) and the history items (B, T, C). */
export interface BatchContent {
  target: Tensor;
  history: Tensor;
}

/**
 * The EM3 ranking model on the multimodal world's schema (user_id, age_bucket, gender, item_id, hist_item_id).
 * @example
 * const r = new EM3Ranker(new Rng(1), schema, { contentDim: 32 });
 * const { logit } = r.apply(batch, { target, history }); // logit (B)
 */
export class EM3Ranker extends Module {
  readonly config: EM3RankerConfig;
  private readonly emb: FeatureEmbedding;
  private readonly adapter: Dense | null;
  private readonly cic: MLP | null;
  private readonly attention: TargetAttention;
  private readonly tower: MLP;

  constructor(rng: Rng, schema: Schema, config: Partial<EM3RankerConfig> = {}) {
    super(rng);
    this.config = resolveConfig('em3', config, EM3_RANKER_DEFAULTS);
    const { embeddingDim: D, contentDim: C } = this.config;
    for (const f of ['user_id', 'age_bucket', 'gender', 'item_id', 'hist_item_id']) {
      if (!schema.features.some((x) => x.name === f)) throw new Error(`em3: schema lacks feature '${f}' (the multimodal world's schema)`);
    }
    this.emb = this.module('emb', new FeatureEmbedding(this.rng, schema, D));
    this.adapter = C > 0 ? this.module('adapter', new Dense(this.rng, C, D)) : null;
    const item = C > 0 ? 2 * D : D;
    this.attention = this.module('attention', new TargetAttention(this.rng, item, this.config.attentionHidden, 'relu'));
    this.tower = this.module('tower', new MLP(this.rng, 3 * D + 2 * item, { hidden: this.config.hidden, outDim: 1 }));
    // Built last: the scoring path's initialisation is the same with and without CIC (same seed -> same start).
    this.cic = C > 0 && this.config.cicWeight > 0 ? this.module('cic', new MLP(this.rng, C, { hidden: [D], outDim: D })) : null;
  }

  /** Logits (B) and, when content is given and CIC is on, the CIC loss. */
  apply(batch: TensorBatch, content: BatchContent | null, training: boolean): { logit: Tensor; cic: Scalar | null } {
    const itemTable = this.emb.tableOf('item_id');
    const eT = itemTable.lookup(batch.item_id); // (B, D)
    const eH = itemTable.lookup(batch.hist_item_id); // (B, T, D)
    if ((this.adapter !== null) !== (content !== null)) throw new Error(`em3: contentDim ${this.config.contentDim} but content ${content ? 'given' : 'missing'}`);
    let qT = eT;
    let kH = eH;
    if (this.adapter && content) {
      qT = tf.concat([eT, this.adapter.apply(content.target)], 1); // (B, 2D)
      kH = tf.concat([eH, this.adapter.apply(content.history)], 2); // (B, T, 2D)
    }
    const mask = paddingMask(batch.hist_item_id); // (B, T)
    const uInt = this.attention.apply(qT, kH, mask); // (B, item)
    const fields = tf.reshape(this.emb.fields(batch, ['user_id', 'age_bucket', 'gender']), [-1, 3 * this.config.embeddingDim]); // (B, 3D)
    const logit = tf.reshape(this.tower.apply(tf.concat([fields, uInt, qT], 1), training), [-1]); // (B)
    const cic = this.cic && content ? cicLoss(this.cic.apply(content.target, training), eT, batch.item_id, this.config.cicTau) : null;
    return { logit, cic };
  }

  /** L = BCE(logit, y) + w · L_CIC. */
  loss(batch: TensorBatch, content: BatchContent | null): Scalar {
    const { logit, cic } = this.apply(batch, content, true);
    const bce = bceWithLogits(logit, batch.click);
    return cic ? (tf.add(bce, tf.mul(cic, this.config.cicWeight)) as Scalar) : bce;
  }
}

/**
 * Content-ID contrastive loss over a batch: symmetric InfoNCE between L2-normalised content projections c (B, D) and
 * ID embeddings e (B, D); pairs of rows with the same item id (other than the diagonal) are masked out.
 * @example
 * cicLoss(tf.randomNormal([8, 4]), tf.randomNormal([8, 4]), tf.range(0, 8, 1, 'int32'), 0.1);
 */
export function cicLoss(c: Tensor, e: Tensor, ids: Tensor, tau: number): Scalar {
  return tf.tidy(() => {
    const s = tf.div(tf.matMul(l2(c) as Tensor2D, l2(e) as Tensor2D, false, true), tau); // (B, B)
    const B = s.shape[0];
    const same = tf.equal(tf.expandDims(ids, 1), tf.expandDims(ids, 0)); // (B, B)
    const dup = tf.logicalAnd(same, tf.logicalNot(tf.cast(tf.eye(B), 'bool'))); // (B, B)
    const masked = tf.where(dup, tf.fill([B, B], -1e9), s); // (B, B)
    const diag = tf.sum(tf.mul(masked, tf.eye(B)), 1); // (B)
    const rowCe = tf.sub(tf.logSumExp(masked, 1), diag); // (B)
    const colCe = tf.sub(tf.logSumExp(masked, 0), diag); // (B)
    return tf.mul(tf.add(tf.mean(rowCe), tf.mean(colCe)), 0.5) as Scalar;
  });
}

function l2(x: Tensor): Tensor {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12))); // (B, D)
}
