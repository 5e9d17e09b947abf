/**
 * UniCDR — "Towards Universal Cross-Domain Recommendation", Cao et al., WSDM 2023 (doi 10.1145/3539597.3570366; code
 * github.com/cjx96/UniCDR, MIT) — and UniCDR+ (Cao et al., arXiv:2409.04540, no code), spec
 * ../shared/papers/unicdr-plus.md §3.
 *
 * Implemented (UniCDR, §3.1): per-domain user/item tables; u_spec = Agg_d(E^user_d[u], E^item_d[C_d(u)], s);
 * u_share = Agg_shared(u_glob, concat_d' E^item_d'[G_d'(u)], s); u = u_spec + u_share; score = <u, Dropout(E^item_d[i])>;
 * per domain L_d = λ·[BCE(score⁺, 1) + BCE(score⁻, 0)] + (1 − λ)·L_critic with the bilinear critic
 * D_d(x, y) = xᵀW_d y + b_d on (u_spec[b], u_share[b]) vs (u_spec[π(b)], u_share[b]), π a cyclic shift by a random
 * offset; L = Σ_d L_d. Interaction masking (`maskRate`) happens when the trainer builds the contexts (common.ts
 * `hostBatch`). Domain masking (the paper's §3, as the code's `utils/data.py` does it): in training the shared branch's
 * global context pads the user's own domain (`sharedOwnDomain: 'pad'`), so u_share must come from the other domains
 * alone, as for a cold-start user; at evaluation the global context holds every domain (cold-start users: the own
 * domain padded in both branches). Dropout (rate `dropout`) on u_spec and u_share and on the item vectors, as the code.
 * Embedding tables start N(0, `embeddingStd`²). Paper deviation (kept with a measured reason): std 0.05, not the
 * code's N(0, 1) (PyTorch's nn.Embedding default, `embeddingStd: 1` as a switch). A row no loss ever reaches — a
 * cold-start user's own-domain u_spec row — keeps its init, and our decoupled weight decay does not shrink it; at
 * N(0, 1) its norm ≈ √dim swamps u_share, and cold-start ranking falls below random (unicdr/mechanism quick, seed 1:
 * UniCDR cold HR@10 0.004-0.027 at std 1 vs 0.054-0.077 at std 0.05; BPR-MF 0.050-0.077; random 0.010).
 * Warm-up: with more than two domains u = u_spec while epoch ≤ warmupEpochs.
 * Shared user table: one table (user-overlap scenarios); per-domain "shared" user tables and one shared item table
 * (multi-item-intra).
 * UniCDR+ extensions (each a switch in `extensions`, all Proposals of spec §3.2): features (item += category emb,
 * user += segment emb), itemGraph (2-hop LightGCN over a co-occurrence top-K graph, layer mean), sequence (transformer
 * pooling added to the specific aggregator), softContrastive (InfoNCE between u_spec and u_share with targets
 * softmax(sg(u_share·u_shareᵀ)/τ) on L2-normalised vectors, replacing the critic), mmoe (an MMoE multi-behaviour head
 * over [u, v, u ⊙ v] trained as an auxiliary task, weight `mmoeWeight`: click BCE over the positive and the first
 * `mmoeNegatives` sampled negatives and long-view
 * BCE on the positives; top-K retrieval keeps the dot-product score, as the spec's proposal says).
 * Paper deviation: dual-user-inter uses the same single shared user table as the intra scenarios (the code adds
 * per-domain local tables for non-overlapping users; our user ids are global, so the shared row of a single-domain user
 * simply learns from one domain). Paper deviation: weight decay is decoupled (AdamW-style, the toolkit's optimiser)
 * rather than Adam's L2 term. Paper deviation: warm-up and the lr schedule are in epochs of our (shorter) runs.
 * Paper deviation: interaction masking drops each context item with probability `maskRate` and keeps the most recent
 * `maxLen` (the code samples ⌊n(1 − p)⌋ items at random, unordered), since the sequence extension reads time order.
 * Switches kept from earlier reclab versions, off by default: `domainMaskRate` (pad the own domain in both branches for
 * a random share of training rows: a cold-start simulation the code does not do; kept for ablations of the cold-start
 * tables) and `sharedOwnDomain: 'keep'` (the shared branch sees own-domain items in training, which lets u_share copy
 * u_spec's evidence; kept to measure what the domain masking buys).
 */
import { z } from 'zod';
import { tf } from '../../tf.ts';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { Embedding } from '../../layers/embedding.ts';
import type { Rng } from '../../random.ts';
import { bceWithLogits } from '../../train/losses.ts';
import { CdrModel, candidateBce, stopGradient, type CdrBatch, type CdrPrep, type CdrStepState } from './common.ts';
import { Aggregator, DENSE_GRAPH_MAX_CELLS, MmoeHead, denseGraph, itemGraph, propagate, propagateDense } from './unicdr-blocks.ts';
import type { DropoutStream } from '../../layers/dropout.ts';

/** The five UniCDR+ extensions. */
export const UNICDR_PLUS_EXTENSIONS = ['features', 'itemGraph', 'sequence', 'softContrastive', 'mmoe'] as const;

/**
 * Strict config (unknown keys are errors). Defaults: the UniCDR code's λa 0.5, λ 0.4, dropout 0.3, mask rate 0.1,
 * dim 128, N(0, 0.05²) embeddings (see the header), own domain padded in the shared branch's training context, no random domain masking,
 * and warm-up 10 epochs; every extension off (plain UniCDR).
 * @example
 * UniCdrConfigSpec.parse({ dim: 32, extensions: { mmoe: true } });
 */
export const UniCdrConfigSpec = z.strictObject({
  dim: z.number().int().positive().default(128),
  aggregator: z.enum(['mean', 'user_attention', 'item_similarity']).default('user_attention'),
  lambdaA: z.number().min(0).max(1).default(0.5),
  lambda: z.number().min(0).max(1).default(0.4),
  dropout: z.number().min(0).lt(1).default(0.3),
  maskRate: z.number().min(0).lt(1).default(0.1),
  domainMaskRate: z.number().min(0).lt(1).default(0),
  sharedOwnDomain: z.enum(['pad', 'keep']).default('pad'),
  embeddingStd: z.number().positive().default(0.05),
  warmupEpochs: z.number().int().min(0).default(10),
  tau: z.number().positive().default(0.2),
  graphTopK: z.number().int().positive().default(20),
  experts: z.number().int().positive().default(4),
  mmoeWeight: z.number().min(0).default(0.2),
  mmoeNegatives: z.number().int().positive().default(3),
  extensions: z.strictObject(Object.fromEntries(UNICDR_PLUS_EXTENSIONS.map((e) => [e, z.boolean().default(false)])) as Record<(typeof UNICDR_PLUS_EXTENSIONS)[number], z.ZodDefault<z.ZodBoolean>>).default({}),
});
/** Config of UniCDR / UniCDR+. */
export type UniCdrConfig = z.infer<typeof UniCdrConfigSpec>;

/** (1, D·L) row of ones with zeros over domain d's block of the global context. */
function ownDomainOff(D: number, L: number, d: number): Tensor {
  return tf.tensor2d(Float32Array.from({ length: D * L }, (_, j) => (Math.floor(j / L) === d ? 0 : 1)), [1, D * L]);
}

/**
 * UniCDR (all extensions off) or UniCDR+ (some on).
 * @example
 * const m = new UniCDR(rng, prep, { dim: 32 }); const s = m.score(batch); // (B, C)
 */
export class UniCDR extends CdrModel {
  readonly name: string;
  readonly config: UniCdrConfig;
  private readonly D: number;
  private readonly userSpec: Embedding[] = [];
  private readonly itemEmb: Embedding[] = [];
  private readonly sharedUser: Embedding[] = [];
  private readonly sharedItem: Embedding | null;
  private readonly aggSpec: Aggregator[] = [];
  private readonly aggShared: Aggregator;
  private readonly critic: Array<{ W: Variable; b: Variable }> = [];
  private readonly catEmb: Embedding | null;
  private readonly segEmb: Embedding | null;
  private readonly itemCat: Tensor[];
  private readonly adj: Array<{ ids: Tensor; weights: Tensor } | { dense: Tensor }>;
  private readonly mmoe: MmoeHead | null;
  private readonly drops: DropoutStream;

  constructor(rng: Rng, prep: CdrPrep, config: Partial<UniCdrConfig> = {}) {
    super(rng);
    this.config = UniCdrConfigSpec.parse(config);
    const c = this.config;
    const x = c.extensions;
    const data = prep.data;
    this.D = data.domains.length;
    this.name = Object.values(x).some(Boolean) ? 'UniCDR+' : 'UniCDR';
    const aggOpts = { lambdaA: c.lambdaA, dropout: c.dropout, maxLen: prep.maxLen };
    const std = c.embeddingStd;
    data.domains.forEach((dom, d) => {
      this.userSpec.push(this.module(`userSpec${d}`, new Embedding(this.rng, data.nUsers, c.dim, std)));
      this.itemEmb.push(this.module(`item${d}`, new Embedding(this.rng, dom.nItems + 1, c.dim, std)));
      this.aggSpec.push(this.module(`aggSpec${d}`, new Aggregator(this.rng, c.dim, c.aggregator, { ...aggOpts, sequence: x.sequence })));
      if (!x.softContrastive) this.critic.push({ W: this.param(`critic${d}.W`, [c.dim, c.dim], 'glorot'), b: this.param(`critic${d}.b`, [1], 'zeros') });
    });
    const perDomainShared = data.overlapKind === 'items';
    for (let d = 0; d < (perDomainShared ? this.D : 1); d++) this.sharedUser.push(this.module(`sharedUser${d}`, new Embedding(this.rng, data.nUsers, c.dim, std)));
    this.sharedItem = perDomainShared ? this.module('sharedItem', new Embedding(this.rng, data.nGlobalItems + 1, c.dim, std)) : null;
    this.aggShared = this.module('aggShared', new Aggregator(this.rng, c.dim, c.aggregator, { ...aggOpts, sequence: false }));
    this.catEmb = x.features ? this.module('catEmb', new Embedding(this.rng, data.nCategories, c.dim)) : null;
    this.segEmb = x.features ? this.module('segEmb', new Embedding(this.rng, data.nSegments, c.dim)) : null;
    this.itemCat = x.features ? data.domains.map((dom) => tf.tensor1d(Int32Array.from([0, ...dom.itemCategory]), 'int32')) : [];
    this.adj = x.itemGraph ? data.domains.map((dom, d) => {
      const g = itemGraph(prep.hist[d], dom.nItems, c.graphTopK);
      return g.n * g.n <= DENSE_GRAPH_MAX_CELLS ? { dense: denseGraph(g) } : { ids: tf.tensor2d(g.ids, [g.n, g.K], 'int32'), weights: tf.tensor2d(g.weights, [g.n, g.K]) };
    }) : [];
    this.mmoe = x.mmoe ? this.module('mmoe', new MmoeHead(this.rng, c.dim, c.experts, 2)) : null;
    this.drops = this.dropoutStream();
  }

  /** The masking rates the trainer applies when it builds contexts. */
  get masking(): { interaction: number; domain: number } {
    return { interaction: this.config.maskRate, domain: this.config.domainMaskRate };
  }

  /** Item table of domain d with the extensions applied: (I_d + 1, D). */
  private itemTable(d: number): Tensor {
    let E: Tensor = this.itemEmb[d].table;
    if (this.adj.length) { const a = this.adj[d]; E = 'dense' in a ? propagateDense(E, a.dense, 2) : propagate(E, a.ids, a.weights, 2); } // (I+1, D)
    if (this.catEmb) E = tf.add(E, tf.gather(this.catEmb.table, this.itemCat[d])); // (I+1, D)
    return E;
  }

  private withSegment(e: Tensor, segment: Tensor): Tensor {
    return this.segEmb ? tf.add(e, this.segEmb.lookup(segment)) : e; // (B, D)
  }

  /** u_spec, u_share (null during warm-up) of a batch. */
  private users(b: CdrBatch, tables: Tensor[], training: boolean, shared: boolean): { uSpec: Tensor; uShare: Tensor | null } {
    const d = b.domain;
    const [B, , L] = b.ctx.shape as [number, number, number];
    const own = tf.reshape(tf.slice(b.ctx, [0, d, 0], [-1, 1, -1]), [B, L]); // (B, L)
    const ownS = tf.reshape(tf.slice(b.ctxScore, [0, d, 0], [-1, 1, -1]), [B, L]); // (B, L)
    const mask = tf.cast(tf.greater(own, 0), 'float32'); // (B, L)
    const eU = this.withSegment(this.userSpec[d].lookup(b.users), b.segment); // (B, D)
    const uSpec = this.drop(this.aggSpec[d].apply(eU, tf.gather(tables[d], own), mask, ownS, training), training); // (B, D)
    if (!shared) return { uSpec, uShare: null };
    const N = this.D * L;
    const ids = this.sharedItem ? tf.reshape(b.gctx, [B, N]) : null; // (B, D·L)
    const E = this.sharedItem && ids
      ? this.sharedItem.lookup(ids) // (B, D·L, D)
      : tf.concat(tables.map((t, k) => tf.gather(t, tf.reshape(tf.slice(b.ctx, [0, k, 0], [-1, 1, -1]), [B, L]))), 1); // (B, D·L, D)
    const gMask = this.sharedContextMask(b, training); // (B, D·L); own block padded in training
    const uG = this.withSegment(this.sharedUser[this.sharedItem ? d : 0].lookup(b.users), b.segment); // (B, D)
    const uShare = this.drop(this.aggShared.apply(uG, E, gMask, tf.reshape(b.ctxScore, [B, N]), training), training); // (B, D)
    return { uSpec, uShare };
  }

  /** Dropout on a user representation in training (the code's F.dropout on u_spec and u_share). */
  private drop(x: Tensor, training: boolean): Tensor {
    return training && this.config.dropout > 0 ? this.drops.apply(x, this.config.dropout) : x;
  }

  /**
   * The shared branch's global context mask of a batch: (B, D·L), 1 where an item enters u_share. In training the own
   * domain's block is 0 (domain masking, `sharedOwnDomain: 'pad'`); exposed for tests.
   */
  sharedContextMask(b: CdrBatch, training: boolean): Tensor {
    const [B, , L] = b.ctx.shape as [number, number, number];
    const m = tf.cast(tf.greater(tf.reshape(b.ctx, [B, this.D * L]), 0), 'float32'); // (B, D·L)
    return training && !this.sharedItem && this.config.sharedOwnDomain === 'pad' ? tf.mul(m, ownDomainOff(this.D, L, b.domain)) : m;
  }

  private scores(b: CdrBatch, u: Tensor, table: Tensor, training: boolean): Tensor {
    let v = tf.gather(table, b.items); // (B, C, D)
    if (training && this.config.dropout > 0) v = this.drops.apply(v, this.config.dropout);
    return tf.sum(tf.mul(tf.expandDims(u, 1), v), 2); // (B, C)
  }

  /**
   * Multi-behaviour MMoE loss (extension 5): click BCE over the positive and the first `mmoeNegatives` sampled
   * negatives (label 1 in column 0) and long-view BCE on the positives, both from MMoE([u, v, u ⊙ v]). Training only:
   * retrieval keeps the dot-product head (spec §3.2.5). Paper deviation (no code exists): the head reads 3 of the 10
   * negatives by default; over all of them it was 60% of a UniCDR+ step.
   */
  private mmoeLoss(b: CdrBatch, u: Tensor, table: Tensor): Tensor {
    const head = this.mmoe as MmoeHead;
    const B = b.items.shape[0] as number;
    const C = Math.min(b.items.shape[1] as number, 1 + this.config.mmoeNegatives);
    const v = tf.gather(table, tf.slice(b.items, [0, 0], [-1, C])); // (B, C, D): the positive and the first negatives
    const uu = tf.broadcastTo(tf.expandDims(u, 1), v.shape); // (B, C, D)
    const x = tf.reshape(tf.concat([uu, v, tf.mul(uu, v)], 2), [B * C, 3 * this.config.dim]); // (B·C, 3D)
    const [click, lv] = head.apply(x, true);
    const clickLoss = candidateBce(tf.reshape(click, [B, C])); // (B, C) logits
    const lvPos = tf.reshape(tf.slice(tf.reshape(lv, [B, C]), [0, 0], [-1, 1]), [B]); // (B) logit of the positive
    return tf.add(clickLoss, bceWithLogits(lvPos, b.longView));
  }

  private sharedOn(epoch: number): boolean {
    return this.D <= 2 || epoch > this.config.warmupEpochs;
  }

  /** The loss depends on the epoch only through the warm-up (shared branch off, then on). */
  override stepKey(state: CdrStepState): string {
    return `shared ${this.sharedOn(state.epoch)}`;
  }

  /** Σ_d L_d on one batch per domain. */
  loss(batches: CdrBatch[], state: CdrStepState): Scalar {
    const c = this.config;
    const tables = this.itemEmb.map((_, d) => this.itemTable(d));
    const shared = this.sharedOn(state.epoch);
    const parts = batches.map((b, i) => {
      const { uSpec, uShare } = this.users(b, tables, true, shared);
      const u = uShare ? tf.add(uSpec, uShare) : uSpec; // (B, D)
      let l: Tensor = candidateBce(this.scores(b, u, tables[b.domain], true));
      const shift = state.criticShift ? tf.slice(state.criticShift, [i], [1]) : null;
      if (uShare) l = tf.add(tf.mul(l, c.lambda), tf.mul(c.extensions.softContrastive ? this.softContrast(uSpec, uShare) : this.critic_(b.domain, uSpec, uShare, shift), 1 - c.lambda));
      if (this.mmoe) l = tf.add(l, tf.mul(this.mmoeLoss(b, u, tables[b.domain]), c.mmoeWeight));
      return l;
    });
    return tf.addN(parts) as Scalar;
  }

  /**
   * L_critic = BCE(D_d(u_spec, u_share), 1) + BCE(D_d(u_spec[π], u_share), 0), π(i) = (i + r) mod B: the shift r
   * given as an int32 (1) tensor (by the trainer), else drawn here in [1, B).
   */
  private critic_(d: number, uSpec: Tensor, uShare: Tensor, shift: Tensor | null): Tensor {
    const B = uSpec.shape[0] as number;
    const { W, b } = this.critic[d];
    const r = shift ?? tf.tensor1d([B > 1 ? 1 + this.rng.int(B - 1) : 0], 'int32');
    const perm = tf.mod(tf.add(tf.range(0, B, 1, 'int32'), r), tf.scalar(B, 'int32')); // (B) row i pairs with row (i + r) mod B
    const shifted = tf.gather(uSpec, perm); // (B, D)
    const bil = (x: Tensor) => tf.add(tf.sum(tf.mul(tf.matMul(x, W), uShare), 1), b); // (B)
    return tf.add(bceWithLogits(bil(uSpec), tf.ones([B])), bceWithLogits(bil(shifted), tf.zeros([B])));
  }

  /** Soft InfoNCE: CE(softmax(ŝ_spec ŝ_shareᵀ/τ), softmax(sg(ŝ_share ŝ_shareᵀ)/τ)). */
  private softContrast(uSpec: Tensor, uShare: Tensor): Tensor {
    const tau = this.config.tau;
    // x / sqrt(|x|² + ε): finite gradient at x = 0 (tf.norm's is NaN there; dropout can zero a whole row at small dim).
    const unit = (x: Tensor) => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))); // (B, D)
    const a = unit(uSpec);
    const p = unit(uShare);
    const target = tf.softmax(tf.div(stopGradient(tf.matMul(p, p, false, true)), tau)); // (B, B)
    const logp = tf.logSoftmax(tf.div(tf.matMul(a, p, false, true), tau)); // (B, B)
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1)));
  }

  /** Scores (B, C) in inference mode (after warm-up: u = u_spec + u_share). */
  score(b: CdrBatch): Tensor {
    const tables = this.itemEmb.map((_, d) => this.itemTable(d));
    const { uSpec, uShare } = this.users(b, tables, false, true);
    return this.scores(b, uShare ? tf.add(uSpec, uShare) : uSpec, tables[b.domain], false);
  }

  /** Frees the variables and the constant tensors (graphs, categories). */
  override dispose(): void {
    super.dispose();
    for (const t of [...this.itemCat, ...this.adj.flatMap((a) => ('dense' in a ? [a.dense] : [a.ids, a.weights]))]) t.dispose();
  }
}
