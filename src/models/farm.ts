/**
 * FARM — Li, Yang, ..., Cao, Yang, Liu, "FARM: Frequency-Aware Model for Cross-Domain Live-Streaming Recommendation",
 * KDD, arXiv:2502.09375 (spec: shared/papers/farm.md; no official code).
 * Implemented (spec §3, Proposals where the paper is silent):
 *   V_sv, V_live = summed step embeddings (item + author + category + behaviour type)          (B, L, D)
 *           + a learned embedding of each step's recency (steps back from the most recent; `positions: 'recency'`)
 *   F_d   = FrequencyAware_d(V_d) = alpha Low + beta High   DFT low-pass split, learned gates (src/layers/frequency.ts;
 *           the paper's form — the earlier spec's LayerNorm(V + ...) wrapper is the ablation `frequency.output:
 *           'residual-layernorm'`)
 *   u_d   = TargetAttention_d(e_cand, F_d)                                                      (B, D)
 *   align: z_v = l2norm(W_v u_sv), z_l = l2norm(W_l u_live), S = z_v z_l^T / tau,
 *          L_align = 1/2 [CE(S, diag) + CE(S^T, diag)], other rows of the same user masked out
 *   fuse:  u_v2l = sum_t softmax_t(q . k_t) F_sv,t with q = z_l / tau and k_t = l2norm(W_v F_sv,t) (the align
 *          projections: alignment comes first and shapes the fuse attention)
 *   x     = [u_sv; u_live; u_v2l; e_cand; context];  logit_t = PLE(x)_t
 *   L     = sum_t BCE(p_t, y_t) + lambda L_align   (liveMultiTaskLoss; the model returns lambda L_align per row as `aux`)
 * Ablations by config: frequency.enabled false (F = V), alignWeight 0, fuse 'none' (x without u_v2l), fuse
 * 'unaligned' (fuse with its own query/key projections, the align loss unchanged), frequency.band 'low' / 'high'.
 * Paper deviation: the align loss skips rows whose short-video or live history is empty (their pooled vectors carry
 *   no preference) and those rows are not used as negatives; the spec's "fuse without align first" ablation is
 *   read as fuse attention in its own (unaligned) space.
 * Paper deviation: recency embeddings (`positions`, default 'recency'). The paper does not say whether its steps carry
 *   a position. Without one FARM cannot tell recent steps from old ones: the low-pass operator is circulant (it
 *   commutes with a circular shift of the sequence) and target attention pools a set, so FARM's output is the same
 *   for any circular shift of a history (test/farm/models.test.ts), and a history's recency, where the live
 *   world's session bursts put their signal, is out of its reach. The filter family the spec takes the DFT split from
 *   (FMLP-Rec, BSARec) adds learned position embeddings to the items before the filter; so does FARM here, counted
 *   from the most recent step so that every history's present is at position 0. 'none' is the ablation row.
 * Paper deviation: D = 16 and the quick pipelines' smaller PLE by default (spec: d = 64, experts [256, 128]), for the
 *   2-core budget; histories have the world's lengths (quick: L_sv = 50, L_live = 20; spec 100 / 50).
 */
import { tf } from '../tf.ts';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { Dense } from '../layers/dense.ts';
import { TargetAttention } from '../layers/attention.ts';
import { PLE, type PLEConfig } from '../layers/mtl.ts';
import { FrequencyAware, type FrequencyConfig } from '../layers/frequency.ts';
import { LIVE_COLUMNS, LiveInputs, type LiveColumns } from '../layers/live-inputs.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';
import { liveMultiTaskLoss, resolveTasks } from './live-baselines.ts';

/** FARM hyper-parameters; defaults in `FARM_DEFAULTS`. */
export interface FARMConfig {
  /** Tasks of the PLE head; [] = every label of the schema. */
  tasks: string[];
  embeddingDim: number;
  /** The frequency-aware module (one per domain); `enabled: false` is the "w/o frequency" ablation. */
  frequency: Partial<FrequencyConfig> & { enabled?: boolean };
  /** lambda of the align loss; 0 = no align ("w/o align"). */
  alignWeight: number;
  /** InfoNCE temperature tau (also scales the aligned fuse attention). */
  temperature: number;
  /** 'aligned' (FARM), 'unaligned' (fuse without align first) or 'none' (w/o fuse). */
  fuse: 'aligned' | 'unaligned' | 'none';
  ple: Partial<PLEConfig>;
  attentionHidden: number[];
  dropout: number;
  /**
   * 'recency' (default): each history step gets a learned embedding of how many steps back it is from the most recent
   * one, added before the frequency module; 'none': steps carry no position (FARM is then blind to circular shifts).
   */
  positions: 'recency' | 'none';
  columns: LiveColumns;
}
/** Defaults (spec Proposals): K_low 3, lambda 0.1, tau 0.1, aligned fuse, PLE 2 levels; D = 16 (deviation). */
export const FARM_DEFAULTS: FARMConfig = {
  tasks: [],
  embeddingDim: 16,
  frequency: {},
  alignWeight: 0.1,
  temperature: 0.1,
  fuse: 'aligned',
  ple: {},
  attentionHidden: [36],
  dropout: 0.1,
  positions: 'recency',
  columns: LIVE_COLUMNS,
};

function l2norm(x: Tensor): Tensor {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12))); // (..., D) unit rows
}

/**
 * Steps back from the most recent real step of each row, for histories stored oldest first: (B, L) int32 with
 * recency_t = the number of real steps after t (0 for the most recent one; padded steps get the count after them, and
 * are masked by the caller). Works whatever the padding side, since it counts real steps only.
 * @example
 * recencyIndex(tf.tensor2d([[1, 1, 1, 0]])); // [[2, 1, 0, 0]]
 */
export function recencyIndex(mask: Tensor): Tensor {
  return tf.cast(tf.cumsum(mask, 1, true, true), 'int32'); // (B, L) exclusive, reversed: real steps after t
}

/**
 * Symmetric in-batch InfoNCE per row: 1/2 [CE(S_i., i) + CE(S_.i, i)] with S = zv zl^T / tau; entries (i, j), i != j,
 * of the same user and every row/column with valid 0 are masked. Rows with valid 0 get loss 0. zv, zl (B, D) unit
 * rows; users (B) int32; valid (B) in {0, 1}. Returns (B).
 * @example
 * symmetricInfoNce(zv, zl, batch.user_id, valid, 0.1); // (B)
 */
export function symmetricInfoNce(zv: Tensor, zl: Tensor, users: Tensor, valid: Tensor, tau: number): Tensor {
  const B = zv.shape[0];
  const S = tf.div(tf.matMul(zv as Tensor2D, zl as Tensor2D, false, true), tau); // (B, B)
  const eye = tf.eye(B); // (B, B)
  const sameUser = tf.cast(tf.equal(tf.expandDims(users, 1), tf.expandDims(users, 0)), 'float32'); // (B, B)
  const blocked = tf.maximum(tf.mul(sameUser, tf.sub(1, eye)), tf.sub(1, tf.mul(tf.expandDims(valid, 0), tf.expandDims(valid, 1)))); // (B, B)
  const Sm = tf.add(S, tf.mul(blocked, -1e9)); // (B, B)
  const diag = tf.sum(tf.mul(S, eye), 1); // (B) S_ii
  const rows = tf.sub(tf.logSumExp(Sm, 1), diag); // (B) -log softmax_row(S)_ii
  const cols = tf.sub(tf.logSumExp(Sm, 0), diag); // (B) -log softmax_col(S)_ii
  return tf.mul(tf.mul(tf.add(rows, cols), 0.5), valid); // (B)
}

/**
 * The FARM model; outputs one logit (B) per task, `aux` (B) = lambda L_align per row (scaled so its mean is lambda
 * times the mean over valid rows; absent when lambda = 0), and the live gates `alphaLive` / `betaLive` (B, D).
 * @example
 * const farm = new FARM(new Rng(1), world.train.schema); farm.apply(batch, { training: false }).gift; // (B)
 */
export class FARM extends Module implements RecModel {
  readonly name = 'farm';
  readonly config: FARMConfig;
  readonly tasks: string[];
  private readonly inputs: LiveInputs;
  private readonly freq: { sv: FrequencyAware; live: FrequencyAware } | null;
  private readonly attention: { sv: TargetAttention; live: TargetAttention };
  private readonly proj: { sv: Dense; live: Dense } | null;
  private readonly fuseProj: { query: Dense; key: Dense } | null;
  private readonly head: PLE;
  private readonly userId: string;
  /** Recency embedding tables (L, D) per domain; null when positions is 'none'. */
  private readonly recency: { sv: Tensor; live: Tensor } | null;

  constructor(rng: Rng, schema: Schema, config: Partial<FARMConfig> = {}) {
    super(rng);
    const c = resolveConfig('farm', config, FARM_DEFAULTS);
    this.config = c;
    if (!['recency', 'none'].includes(c.positions)) throw new Error(`farm config: positions must be recency or none, got '${c.positions}'`);
    if (!['aligned', 'unaligned', 'none'].includes(c.fuse)) throw new Error(`farm config: fuse must be aligned, unaligned or none, got '${c.fuse}'`);
    if (!(c.alignWeight >= 0 && c.temperature > 0)) throw new Error(`farm config: alignWeight must be >= 0 and temperature > 0 (got ${c.alignWeight}, ${c.temperature})`);
    this.tasks = resolveTasks(c.tasks, schema, 'farm');
    if (c.alignWeight > 0 && !schema.userId) throw new Error('farm: the align loss needs schema.userId (same-user pairs are masked)');
    this.userId = schema.userId ?? '';
    const D = c.embeddingDim;
    this.inputs = this.module('inputs', new LiveInputs(this.rng, schema, D, c.columns, 'farm config'));
    const { enabled = true, ...fc } = c.frequency;
    const L = this.inputs.lengths;
    this.freq = enabled
      ? { sv: this.module('freqSv', new FrequencyAware(this.rng, L.sv, D, { dropout: c.dropout, ...fc })), live: this.module('freqLive', new FrequencyAware(this.rng, L.live, D, { dropout: c.dropout, ...fc })) }
      : null;
    this.attention = {
      sv: this.module('attentionSv', new TargetAttention(this.rng, D, c.attentionHidden, 'relu')),
      live: this.module('attentionLive', new TargetAttention(this.rng, D, c.attentionHidden, 'relu')),
    };
    this.proj = c.alignWeight > 0 || c.fuse === 'aligned' ? { sv: this.module('alignSv', new Dense(this.rng, D, D)), live: this.module('alignLive', new Dense(this.rng, D, D)) } : null;
    this.fuseProj = c.fuse === 'unaligned' ? { query: this.module('fuseQuery', new Dense(this.rng, D, D)), key: this.module('fuseKey', new Dense(this.rng, D, D)) } : null;
    const width = (c.fuse === 'none' ? 2 : 3) * D + this.inputs.candidateDim + this.inputs.contextDim;
    this.head = this.module('head', new PLE(this.rng, width, this.tasks, { dropout: c.dropout, ...c.ple }));
    // Created last, so 'none' leaves every other parameter's initial value as it was before positions existed.
    this.recency = c.positions === 'recency' ? { sv: this.param('recencySv', [L.sv, D], { normal: 0.05 }), live: this.param('recencyLive', [L.live, D], { normal: 0.05 }) } : null;
  }

  /** A history's steps, with their recency embeddings added when positions is 'recency': seq (B, L, D), mask (B, L). */
  private steps(batch: TensorBatch, domain: 'sv' | 'live'): { seq: Tensor; mask: Tensor } {
    const s = this.inputs.steps(batch, domain);
    if (!this.recency) return s;
    const pos = tf.gather(this.recency[domain], recencyIndex(s.mask)); // (B, L, D)
    return { seq: tf.mul(tf.add(s.seq, pos), tf.expandDims(s.mask, 2)), mask: s.mask };
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const c = this.config;
    const sv = this.steps(batch, 'sv'); // (B, Lsv, D)
    const live = this.steps(batch, 'live'); // (B, Ll, D)
    const out: ModelOutputs = {};
    let Fsv = sv.seq;
    let Flive = live.seq;
    if (this.freq) {
      const fs = this.freq.sv.apply(sv.seq, sv.mask, training); // (B, Lsv, D)
      const fl = this.freq.live.apply(live.seq, live.mask, training); // (B, Ll, D)
      Fsv = fs.out;
      Flive = fl.out;
      out.alphaLive = fl.alpha; // (B, D)
      out.betaLive = fl.beta; // (B, D)
    }
    const q = this.inputs.query(batch); // (B, D)
    const uSv = this.attention.sv.apply(q, Fsv, sv.mask); // (B, D)
    const uLive = this.attention.live.apply(q, Flive, live.mask); // (B, D)
    const parts = [uSv, uLive];
    const zl = this.proj ? l2norm(this.proj.live.apply(uLive)) : null; // (B, D)
    if (c.alignWeight > 0 && this.proj && zl) {
      const zv = l2norm(this.proj.sv.apply(uSv)); // (B, D)
      const has = (m: Tensor) => tf.cast(tf.greater(tf.sum(m, 1), 0), 'float32'); // (B)
      const valid = tf.mul(has(sv.mask), has(live.mask)); // (B)
      const B = valid.shape[0];
      const scale = tf.div(B * c.alignWeight, tf.maximum(tf.sum(valid), 1)); // lambda B / n_valid
      out.aux = tf.mul(symmetricInfoNce(zv, zl, batch[this.userId], valid, c.temperature), scale); // (B)
    }
    if (c.fuse !== 'none') {
      let query: Tensor; // (B, D)
      let keys: Tensor; // (B, Lsv, D)
      if (this.fuseProj) {
        query = tf.div(this.fuseProj.query.apply(uLive), Math.sqrt(c.embeddingDim));
        keys = this.fuseProj.key.apply(Fsv);
      } else {
        query = tf.div(zl as Tensor, c.temperature);
        keys = l2norm((this.proj as { sv: Dense }).sv.apply(Fsv));
      }
      const scores = tf.squeeze(tf.matMul(keys, tf.expandDims(query, 2)), [2]); // (B, Lsv)
      const w = tf.softmax(tf.add(scores, tf.mul(tf.sub(1, sv.mask), -1e9))); // (B, Lsv)
      const uV2l = tf.mul(tf.sum(tf.mul(Fsv, tf.expandDims(w, 2)), 1), tf.minimum(tf.sum(sv.mask, 1, true), 1)); // (B, D), 0 for an empty history
      parts.push(uV2l);
    }
    const x = tf.concat([...parts, this.inputs.candidateFields(batch), this.inputs.context(batch)], 1); // (B, In)
    return { ...this.head.apply(x, training), ...out };
  }

  /** Frees the parameters and the frequency modules' DFT bases. */
  override dispose(): void {
    super.dispose();
    this.freq?.sv.disposeBases();
    this.freq?.live.disposeBases();
  }

}

/** Registry entry. */
export const farmSpec: ModelSpec<FARMConfig> = {
  name: 'farm',
  description: 'FARM (KDD, arXiv 2502.09375): DFT frequency-aware sequences, cross-domain InfoNCE align, fuse attention, PLE',
  defaults: FARM_DEFAULTS,
  create: (rng, schema, config) => new FARM(rng, schema, config),
  task: 'live',
  loss: liveMultiTaskLoss,
};
