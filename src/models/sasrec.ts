/**
 * SASRec (Kang & McAuley, ICDM 2018, arXiv:1808.09781) as a federated model: a causal self-attention encoder over
 * item tokens predicting the click label of the next item at every position, written functionally on per-client
 * parameter copies (C, ...) so the federated engine can train thousands of clients in one tensor program.
 * The feed-forward block of each layer is configurable: one shared FFN (plain SASRec), K group-level FFNs with hard
 * top-1 routing and/or a user-specific private FFN (MRFF, see mrff.ts for the paper's setting and its loss).
 *
 * Layer (as in MRFF's released code, spec mrff.md §3.2):
 *   Q = LN_att(S);  S = Q + CausalAttn(Q, S, S);  S = LN_ffn(S)
 *   r = [masked_mean_t(S); e_u or e_u^router];  g = softmax(W_r r + b_r);  k* = argmax g;  p* = g[k*]
 *   S = (GroupFFN_{k*}(S) [* p* if scaleByGate] + UserFFN(S) + SharedFFN(S)) [+ S if residual]  (* non-pad mask)
 * Head: logit_t = MLP([LN(S)_t; item_{t+1}; e_u]) with one hidden layer of 32 (ReLU).
 * Item tokens are the concatenation of the item-attribute embeddings (no item-id embedding, as released); e_u the
 * concatenation of the user-field embeddings.
 * Paper deviation: one attention head of width d with separate Q/K/V/O projections (PyTorch's MultiheadAttention
 * layout); dropout (default 0.1, released 0.5) on the input tokens and inside each FFN.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { z } from 'zod';
import { Module } from '../layers/module.ts';
import { seededDropout } from '../layers/dropout.ts';
import type { Rng } from '../random.ts';
import { cEmbed, cLayerNorm, cLinear } from '../federated/ops.ts';
import type { ClientBatch, FedModel, Field, Grouping, LossContext, ParamMap, ParamRole } from '../federated/types.ts';

/** Strict schema of the SASRec/MRFF config; defaults in `SASREC_DEFAULTS`. */
export const SASRecConfigSpec = z.strictObject({
  /** Embedding size of every item-attribute and user field (latent 8 as released). */
  fieldDim: z.number().int().min(1).default(8),
  blocks: z.number().int().min(1).default(2),
  /** Sequence length T (position embeddings). */
  maxLen: z.number().int().min(1).default(30),
  /** Group-level FFNs per layer (0 = none). */
  groups: z.number().int().min(0).default(0),
  userFfn: z.boolean().default(false),
  sharedFfn: z.boolean().default(true),
  residual: z.boolean().default(false),
  /** Scale the group FFN output by p* (gives the router a task gradient); off as released. */
  scaleByGate: z.boolean().default(false),
  /**
   * What the router reads: 'pooled+user' (released: the pooled sequence and the private user-field embeddings, so no
   * shared segment -> group map can form) or 'shared' (the pooled sequence and public router-owned embeddings of the
   * user fields, `routerUser.<field>`, averaged across clients like the router itself).
   */
  routerInput: z.enum(['pooled+user', 'shared']).default('pooled+user'),
  /** Zero-initialise the user FFN's output layer (w2), so the private FFN starts as a no-op (use with `residual`). */
  userFfnZeroInit: z.boolean().default(false),
  /** Learning-rate multiplier of the private parameters (user-field embeddings, user FFNs) in local training. */
  privateLrScale: z.number().min(0).default(1),
  /**
   * Learning-rate multiplier of the private user-field embeddings (`user.<field>`) alone, overriding `privateLrScale`
   * for them (null = `privateLrScale`): the embeddings are a few dozen weights per client, the user FFNs thousands.
   */
  userEmbeddingLrScale: z.number().min(0).nullable().default(null),
  /** Decoupled weight decay of the private parameters in local training (AdamW; 0 = none). */
  privateWeightDecay: z.number().min(0).default(0),
  dropout: z.number().min(0).lt(1).default(0.1),
  /** Balance-loss weight alpha (MRFF). */
  balanceAlpha: z.number().min(0).default(0.1),
  headHidden: z.number().int().min(1).default(32),
  /** Who holds what: 'mrff' (spec §3.4), 'fedavg' (all public), 'local' (all private). */
  partition: z.enum(['mrff', 'fedavg', 'local']).default('fedavg'),
});
/** SASRec/MRFF config (see the schema). */
export type SASRecConfig = z.infer<typeof SASRecConfigSpec>;
/** Defaults: plain SASRec, 2 blocks, fields of 8, T = 30, FedAvg partition. */
export const SASREC_DEFAULTS: SASRecConfig = SASRecConfigSpec.parse({});

/**
 * SASRec with optional group / user FFNs, on per-client parameters.
 * @example
 * const m = new SASRec(new Rng(1), data.itemFields, data.userFields, { groups: 4, userFfn: true, sharedFfn: false, partition: 'mrff' });
 */
export class SASRec extends Module implements FedModel {
  readonly config: SASRecConfig;
  get root(): Module {
    return this;
  }
  readonly downloadsAllGroups = true;
  readonly d: number;
  readonly du: number;

  constructor(rng: Rng, readonly itemFields: Field[], readonly userFields: Field[], config: Partial<SASRecConfig> = {}) {
    super(rng);
    const c = (this.config = SASRecConfigSpec.parse(config));
    if (c.groups === 0 && !c.userFfn && !c.sharedFfn) throw new Error('SASRec: at least one of groups > 0, userFfn, sharedFfn is needed');
    if (c.partition !== 'mrff' && (c.groups > 0 || c.userFfn)) throw new Error(`SASRec: group / user FFNs need partition 'mrff', got '${c.partition}'`);
    const d = (this.d = c.fieldDim * itemFields.length);
    const du = (this.du = c.fieldDim * userFields.length);
    for (const f of itemFields) this.param(`item.${f.name}`, [f.vocab, c.fieldDim], { normal: 0.1 });
    for (const f of userFields) this.param(`user.${f.name}`, [f.vocab, c.fieldDim], { normal: 0.1 });
    this.param('pos', [c.maxLen, d], { normal: 0.1 });
    for (let l = 0; l < c.blocks; l++) {
      const b = `block${l}.`;
      for (const n of ['lnAtt', 'lnFfn']) {
        this.param(`${b}${n}.gamma`, [d], 'ones');
        this.param(`${b}${n}.beta`, [d], 'zeros');
      }
      for (const n of ['wq', 'wk', 'wv', 'wo']) this.param(`${b}attn.${n}`, [d, d], 'glorot');
      for (const n of ['bq', 'bk', 'bv', 'bo']) this.param(`${b}attn.${n}`, [d], 'zeros');
      const ffn = (prefix: string, lead: number[], zeroOut = false) => {
        this.param(`${prefix}.w1`, [...lead, d, d], 'glorot');
        this.param(`${prefix}.b1`, [...lead, d], 'zeros');
        this.param(`${prefix}.w2`, [...lead, d, d], zeroOut ? 'zeros' : 'glorot');
        this.param(`${prefix}.b2`, [...lead, d], 'zeros');
      };
      if (c.sharedFfn) ffn(`${b}ffn`, []);
      if (c.userFfn) ffn(`${b}userFfn`, [], c.userFfnZeroInit);
      if (c.groups > 0) {
        // Reference deviation: K distinct FFNs (the released code repeats one module K times, spec §7.1).
        ffn(`${b}groupFfn`, [c.groups]);
        this.param(`${b}router.kernel`, [d + du, c.groups], 'glorot');
        this.param(`${b}router.bias`, [c.groups], 'zeros');
      }
    }
    if (c.groups > 0 && c.routerInput === 'shared') for (const f of userFields) this.param(`routerUser.${f.name}`, [f.vocab, c.fieldDim], { normal: 0.1 });
    this.param('lnFinal.gamma', [d], 'ones');
    this.param('lnFinal.beta', [d], 'zeros');
    this.param('head.w1', [2 * d + du, c.headHidden], 'glorot');
    this.param('head.b1', [c.headHidden], 'zeros');
    this.param('head.w2', [c.headHidden, 1], 'glorot');
    this.param('head.b2', [1], 'zeros');
  }

  /** Roles by name (spec §3.4 for 'mrff'). */
  role(name: string): ParamRole {
    const p = this.config.partition;
    if (p === 'local') return { kind: 'private' };
    if (p === 'fedavg') return { kind: 'public' };
    if (name.startsWith('user.') || name.includes('.userFfn.')) return { kind: 'private' };
    const m = /^block(\d+)\.groupFfn\./.exec(name);
    if (m) return { kind: 'group', grouping: `layer${m[1]}` };
    return { kind: 'public' };
  }

  /**
   * Private parameters train at `privateLrScale` times the engine's rate (the user-field embeddings at
   * `userEmbeddingLrScale` when it is set) with `privateWeightDecay`; the rest at 1 and 0.
   */
  localOptim(name: string): { lrScale: number; weightDecay: number } {
    const c = this.config;
    if (this.role(name).kind !== 'private' || c.partition !== 'mrff') return { lrScale: 1, weightDecay: 0 };
    const lrScale = name.startsWith('user.') ? (c.userEmbeddingLrScale ?? c.privateLrScale) : c.privateLrScale;
    return { lrScale, weightDecay: c.privateWeightDecay };
  }

  groupings(): Grouping[] {
    return this.config.groups > 0 ? Array.from({ length: this.config.blocks }, (_, l) => ({ name: `layer${l}`, size: this.config.groups })) : [];
  }

  /** A position-wise FFN; with a seed (training), dropout on its hidden layer with the mask of that seed and salt. */
  private ffn(p: ParamMap, prefix: string, x: Tensor, seed: Tensor | null, salt: number): Tensor {
    let h = tf.relu(cLinear(x, p[`${prefix}.w1`], p[`${prefix}.b1`])); // (C, T, d)
    if (seed && this.config.dropout > 0) h = seededDropout(h, this.config.dropout, seed, salt);
    return cLinear(h, p[`${prefix}.w2`], p[`${prefix}.b2`]); // (C, T, d)
  }

  private userVec(p: ParamMap, batch: ClientBatch): Tensor {
    return tf.concat(this.userFields.map((f, j) => tf.squeeze(cEmbed(p[`user.${f.name}`], tf.slice(batch.user, [0, j], [-1, 1])), [1])), 1); // (C, du)
  }

  private routerUserVec(p: ParamMap, batch: ClientBatch): Tensor {
    return tf.concat(this.userFields.map((f, j) => tf.squeeze(cEmbed(p[`routerUser.${f.name}`], tf.slice(batch.user, [0, j], [-1, 1])), [1])), 1); // (C, du)
  }

  private items(p: ParamMap, ids: Tensor): Tensor {
    return tf.concat(this.itemFields.map((f, a) => cEmbed(p[`item.${f.name}`], tf.squeeze(tf.slice(ids, [0, 0, a], [-1, -1, 1]), [2]))), 2); // (C, T, d)
  }

  /**
   * The encoder. With `tables` (K, ...) the route of each layer is chosen here (argmax of the gate, the group FFN
   * gathered from the tables); otherwise routes come from ctx.groups and group FFNs are already per client in p.
   */
  private encode(p: ParamMap, batch: ClientBatch, ctx: LossContext, tables: ParamMap | null) {
    const c = this.config;
    const [C, T] = batch.inMask.shape as [number, number];
    if (T > c.maxLen) throw new Error(`SASRec: batch length ${T} exceeds maxLen ${c.maxLen}`);
    const eu = this.userVec(p, batch); // (C, du)
    const ru = c.groups > 0 && c.routerInput === 'shared' ? this.routerUserVec(p, batch) : eu; // what the router reads of the user
    const mask3 = tf.expandDims(batch.inMask, 2); // (C, T, 1)
    let s = tf.add(tf.mul(this.items(p, batch.itemIn), Math.sqrt(this.d)), tf.slice(p.pos, [0, c.maxLen - T, 0], [-1, T, -1])); // (C, T, d)
    const seed = ctx.training ? ctx.seed : null;
    if (ctx.training && !seed) throw new Error('SASRec: a training step needs ctx.seed (int32 [2])');
    if (seed && c.dropout > 0) s = seededDropout(s, c.dropout, seed, 0);
    s = tf.mul(s, mask3);
    const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // (T, T) lower triangle
    const allowed = tf.mul(tf.expandDims(causal, 0), tf.expandDims(batch.inMask, 1)); // (C, T, T)
    const negInf = tf.mul(tf.sub(1, allowed), -1e9);
    const routes: Record<string, Int32Array> = {};
    const pStars: Tensor[] = [];
    for (let l = 0; l < c.blocks; l++) {
      const b = `block${l}.`;
      const q = cLayerNorm(s, p[`${b}lnAtt.gamma`], p[`${b}lnAtt.beta`]); // (C, T, d)
      const qh = cLinear(q, p[`${b}attn.wq`], p[`${b}attn.bq`]);
      const kh = cLinear(s, p[`${b}attn.wk`], p[`${b}attn.bk`]);
      const vh = cLinear(s, p[`${b}attn.wv`], p[`${b}attn.bv`]);
      const att = tf.softmax(tf.add(tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(this.d)), negInf)); // (C, T, T)
      s = tf.add(q, cLinear(tf.matMul(att, vh), p[`${b}attn.wo`], p[`${b}attn.bo`])); // (C, T, d)
      s = cLayerNorm(s, p[`${b}lnFfn.gamma`], p[`${b}lnFfn.beta`]);
      const salt = 101 * (l + 1);
      let out: Tensor | null = c.sharedFfn ? this.ffn(p, `${b}ffn`, s, seed, salt) : null;
      if (c.userFfn) {
        const u = this.ffn(p, `${b}userFfn`, s, seed, salt + 1);
        out = out ? tf.add(out, u) : u;
      }
      if (c.groups > 0) {
        const pooled = tf.div(tf.sum(tf.mul(s, mask3), 1), tf.maximum(tf.sum(mask3, 1), 1)); // (C, d)
        const r = tf.expandDims(tf.concat([pooled, ru], 1), 1); // (C, 1, d + du)
        const gate = tf.reshape(tf.softmax(cLinear(r, p[`${b}router.kernel`], p[`${b}router.bias`])), [C, c.groups]); // (C, K)
        let gp: ParamMap = p;
        let k: Tensor;
        if (tables) {
          const kArr = tf.argMax(gate, 1).dataSync() as Int32Array;
          routes[`layer${l}`] = Int32Array.from(kArr);
          k = tf.tensor1d(kArr, 'int32');
          gp = Object.fromEntries(['w1', 'b1', 'w2', 'b2'].map((w) => [`${b}groupFfn.${w}`, tf.gather(tables[`${b}groupFfn.${w}`], k)]));
        } else {
          k = ctx.groups[`layer${l}`];
          if (!k) throw new Error(`SASRec: no route for layer${l}`);
        }
        const pStar = c.groups === 1 ? tf.sum(gate, 1) : tf.sum(tf.mul(gate, tf.oneHot(k, c.groups)), 1); // (C)
        pStars.push(pStar);
        let g = this.ffn(gp, `${b}groupFfn`, s, seed, salt + 2); // (C, T, d)
        if (c.scaleByGate) g = tf.mul(g, tf.reshape(pStar, [C, 1, 1]));
        out = out ? tf.add(out, g) : g;
      }
      s = tf.mul(c.residual ? tf.add(s, out as Tensor) : (out as Tensor), mask3);
    }
    return { s: cLayerNorm(s, p['lnFinal.gamma'], p['lnFinal.beta']), eu, routes, pStars };
  }

  assignGroups(params: ParamMap, tables: ParamMap, batch: ClientBatch): Record<string, Int32Array> {
    if (this.config.groups === 0) return {};
    return tf.tidy(() => this.encode(params, batch, { training: false, seed: null, groups: {}, groupShare: {} }, tables)).routes;
  }

  forward(p: ParamMap, batch: ClientBatch, ctx: LossContext): { logits: Tensor; aux: Tensor | null } {
    const c = this.config;
    const { s, eu, pStars } = this.encode(p, batch, ctx, null);
    const T = s.shape[1] as number;
    const tgt = this.items(p, batch.itemTgt); // (C, T, d)
    const x = tf.concat([s, tgt, tf.tile(tf.expandDims(eu, 1), [1, T, 1])], 2); // (C, T, 2d + du)
    const h = tf.relu(cLinear(x, p['head.w1'], p['head.b1'])); // (C, T, H)
    const logits = tf.squeeze(cLinear(h, p['head.w2'], p['head.b2']), [2]); // (C, T)
    return { logits, aux: balanceLoss(c, pStars, ctx) };
  }
}

/**
 * MRFF's balance term per client: alpha K sum_l share_l[k*_l] p*_l, with share_l the server's share of clients that
 * chose each group in layer l in the previous round (no term in round 1). (C) or null.
 * @example
 * balanceLoss(config, [pStar0, pStar1], ctx); // (C)
 */
export function balanceLoss(c: SASRecConfig, pStars: Tensor[], ctx: LossContext): Tensor | null {
  if (c.groups === 0 || c.balanceAlpha === 0 || !ctx.training) return null;
  const terms: Tensor[] = [];
  pStars.forEach((pStar, l) => {
    const share = ctx.groupShare[`layer${l}`];
    const k = ctx.groups[`layer${l}`];
    if (!share || !k) return;
    terms.push(tf.mul(tf.mul(tf.gather(share, k), pStar), c.balanceAlpha * c.groups)); // (C)
  });
  return terms.length ? tf.addN(terms) : null;
}
