/**
 * Cross-domain ranking baselines (UniCDR spec §5), all trained with BPR over the sampled negatives
 * (mean softplus(s⁻ − s⁺)):
 * - `BPRMF` (Rendle et al., UAI 2009): per-domain user and item tables, score = <u_d, v_i> + b_i. No transfer.
 * - `SharedEmb`: the shared-user-embedding model — one user table for all domains (user-overlap scenarios) or one
 *   item table over the shared products (item-overlap), per-domain item tables and biases.
 * - `EMCDR` (Man et al., IJCAI 2017): BPR-MF per domain plus, per target domain, an MLP mapping f_d from the user's
 *   source representation (mean of their embeddings in the other domains where they have history) to the target
 *   embedding, fitted with MSE on users with history in both. Cold users are scored with f_d(source).
 * - `PTUPCDR` (Zhu et al., WSDM 2022): a meta network turns the user's characteristic (attention over their
 *   source-domain item embeddings) into a personal bridge W_u (D×D); mapped = source · W_u, trained task-oriented
 *   (BPR on the target-domain candidates with the mapped embedding). Cold users are scored with the mapped embedding.
 * Paper deviation (EMCDR, PTUPCDR): both stages train jointly (the mapping's inputs and targets are stop-gradient, so
 * the MF stage is unaffected), not one after the other; with more than two domains the source is the mean over the
 * other domains. Both need overlapping users (not defined for multi-item-intra).
 */
import { tf } from '../../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { Embedding } from '../../layers/embedding.ts';
import { Dense, MLP } from '../../layers/dense.ts';
import type { Rng } from '../../random.ts';
import { CdrModel, bprLoss, stopGradient, type CdrBatch, type CdrPrep, type CdrStepState } from './common.ts';

/** Options shared by the baselines. */
export interface CdrBaselineConfig {
  dim: number;
}

/**
 * BPR-MF per domain (and the base of EMCDR and PTUPCDR).
 * @example
 * const m = new BPRMF(rng, prep, { dim: 32 }); m.score(batch); // (B, C)
 */
export class BPRMF extends CdrModel {
  readonly name: string = 'BPR-MF';
  protected readonly D: number;
  protected readonly users: Embedding[] = [];
  protected readonly items: Embedding[] = [];
  protected readonly bias: Embedding[] = [];

  constructor(rng: Rng, prep: CdrPrep, readonly config: CdrBaselineConfig, sharedUsers = false) {
    super(rng);
    this.D = prep.data.domains.length;
    const shared = sharedUsers ? this.module('userShared', new Embedding(this.rng, prep.data.nUsers, config.dim)) : null;
    prep.data.domains.forEach((dom, d) => {
      this.users.push(shared ?? this.module(`user${d}`, new Embedding(this.rng, prep.data.nUsers, config.dim)));
      this.items.push(this.module(`item${d}`, new Embedding(this.rng, dom.nItems + 1, config.dim)));
      this.bias.push(this.module(`bias${d}`, new Embedding(this.rng, dom.nItems + 1, 1, 0)));
    });
  }

  /** Item vectors (B, C, D) of a batch's candidates. */
  protected itemVec(b: CdrBatch): Tensor {
    return this.items[b.domain].lookup(b.items); // (B, C, D)
  }

  /** The user vector used for scoring (B, D). */
  protected userVec(b: CdrBatch): Tensor {
    return this.users[b.domain].lookup(b.users); // (B, D)
  }

  protected dot(u: Tensor, b: CdrBatch, v = this.itemVec(b)): Tensor {
    const bias = tf.squeeze(this.bias[b.domain].lookup(b.items), [2]); // (B, C)
    return tf.add(tf.sum(tf.mul(tf.expandDims(u, 1), v), 2), bias); // (B, C)
  }

  loss(batches: CdrBatch[], state: CdrStepState): Scalar {
    void state;
    return tf.addN(batches.map((b) => bprLoss(this.dot(this.users[b.domain].lookup(b.users), b)))) as Scalar;
  }

  /** The baselines' losses do not read the step state. */
  override stepKey(state: CdrStepState): string {
    void state;
    return '';
  }

  score(b: CdrBatch): Tensor {
    return this.dot(this.userVec(b), b);
  }
}

/**
 * Shared-user-embedding model (shared item table over global products in item-overlap data).
 * @example
 * new SharedEmb(rng, prep, { dim: 32 }).score(batch); // (B, C)
 */
export class SharedEmb extends BPRMF {
  override readonly name = 'Shared-Emb';
  private readonly sharedItem: Embedding | null;
  private readonly globalIds: Tensor[];

  constructor(rng: Rng, prep: CdrPrep, config: CdrBaselineConfig) {
    const itemShare = prep.data.overlapKind === 'items';
    super(rng, prep, config, !itemShare);
    this.sharedItem = itemShare ? this.module('itemShared', new Embedding(this.rng, prep.data.nGlobalItems + 1, config.dim)) : null;
    this.globalIds = itemShare ? prep.data.domains.map((dom) => tf.tensor1d(Int32Array.from([0, ...Array.from(dom.globalItem, (g) => g + 1)]), 'int32')) : [];
  }

  protected override itemVec(b: CdrBatch): Tensor {
    const own = super.itemVec(b); // (B, C, D)
    if (!this.sharedItem) return own;
    return tf.add(own, this.sharedItem.lookup(tf.gather(this.globalIds[b.domain], b.items))); // (B, C, D)
  }

  override dispose(): void {
    super.dispose();
    for (const t of this.globalIds) t.dispose();
  }
}

/** hasOwn (B, 1) and the source representation (B, D) with hasSrc (B, 1) from the other domains' user tables. */
function sourceOf(users: Embedding[], b: CdrBatch): { src: Tensor; hasSrc: Tensor; hasOwn: Tensor } {
  const D = users.length;
  const has = tf.cast(tf.greater(tf.sum(tf.cast(tf.greater(b.ctx, 0), 'float32'), 2), 0), 'float32'); // (B, D)
  const other = tf.mul(has, tf.sub(1, tf.oneHot(tf.fill([has.shape[0] as number], b.domain, 'int32'), D))); // (B, D)
  const E = stopGradient(tf.stack(users.map((t) => t.lookup(b.users)), 1)); // (B, D, dim)
  const n = tf.sum(other, 1, true); // (B, 1)
  const src = tf.div(tf.sum(tf.mul(E, tf.expandDims(other, 2)), 1), tf.maximum(n, 1)); // (B, dim)
  return { src, hasSrc: tf.cast(tf.greater(n, 0), 'float32'), hasOwn: tf.slice(has, [0, b.domain], [-1, 1]) };
}

/** Rows without own history but with a source use `mapped`, others `own`. */
function pick(own: Tensor, mapped: Tensor, hasOwn: Tensor, hasSrc: Tensor): Tensor {
  const useMapped = tf.mul(tf.sub(1, hasOwn), hasSrc); // (B, 1)
  return tf.add(tf.mul(mapped, useMapped), tf.mul(own, tf.sub(1, useMapped))); // (B, D)
}

/**
 * EMCDR: BPR-MF + an MLP mapping per target domain (MSE to the user's own embedding), used for cold users.
 * @example
 * new EMCDR(rng, prep, { dim: 32 }).score(coldBatch); // (B, C), cold rows scored with the mapped embedding
 */
export class EMCDR extends BPRMF {
  override readonly name = 'EMCDR';
  private readonly maps: MLP[] = [];

  constructor(rng: Rng, prep: CdrPrep, config: CdrBaselineConfig) {
    super(rng, prep, config);
    for (let d = 0; d < this.D; d++) this.maps.push(this.module(`map${d}`, new MLP(this.rng, config.dim, { hidden: [2 * config.dim], activation: 'tanh', outDim: config.dim })));
  }

  override loss(batches: CdrBatch[], state: CdrStepState): Scalar {
    const mse = batches.map((b) => {
      const { src, hasSrc, hasOwn } = sourceOf(this.users, b);
      const target = stopGradient(this.users[b.domain].lookup(b.users)); // (B, D)
      const w = tf.mul(hasSrc, hasOwn); // (B, 1)
      const err = tf.sum(tf.mul(tf.square(tf.sub(this.maps[b.domain].apply(src, true), target)), w)); // ()
      return tf.div(err, tf.maximum(tf.sum(w), 1));
    });
    return tf.add(super.loss(batches, state), tf.addN(mse)) as Scalar;
  }

  protected override userVec(b: CdrBatch): Tensor {
    const { src, hasSrc, hasOwn } = sourceOf(this.users, b);
    return pick(this.users[b.domain].lookup(b.users), this.maps[b.domain].apply(src, false), hasOwn, hasSrc);
  }
}

/**
 * PTUPCDR: a personalised bridge W_u = meta(characteristic(u)) maps the source embedding; task-oriented BPR loss.
 * @example
 * new PTUPCDR(rng, prep, { dim: 32 }).score(coldBatch); // (B, C)
 */
export class PTUPCDR extends BPRMF {
  override readonly name = 'PTUPCDR';
  private readonly att: Dense[] = [];
  private readonly meta: MLP[] = [];

  constructor(rng: Rng, prep: CdrPrep, config: CdrBaselineConfig) {
    super(rng, prep, config);
    for (let d = 0; d < this.D; d++) {
      this.att.push(this.module(`att${d}`, new Dense(this.rng, config.dim, 1, 'linear', false))); // no bias: softmax ignores it
      this.meta.push(this.module(`meta${d}`, new MLP(this.rng, config.dim, { hidden: [config.dim], outDim: config.dim * config.dim })));
    }
  }

  /** mapped = src · W_u, W_u = meta(Σ softmax(att(e_j)) e_j over the source items). (B, D) */
  private mapped(b: CdrBatch, src: Tensor, training: boolean): Tensor {
    const [B, D, L] = b.ctx.shape as [number, number, number];
    const dim = this.config.dim;
    const parts = this.items.map((t, k) => (k === b.domain ? null : stopGradient(t.lookup(tf.reshape(tf.slice(b.ctx, [0, k, 0], [-1, 1, -1]), [B, L]))))).filter((x): x is Tensor => x !== null); // each (B, L, dim)
    const E = tf.concat(parts, 1); // (B, (D-1)·L, dim)
    const ids = tf.concat(Array.from({ length: D }, (_, k) => k).filter((k) => k !== b.domain).map((k) => tf.reshape(tf.slice(b.ctx, [0, k, 0], [-1, 1, -1]), [B, L])), 1); // (B, (D-1)·L)
    const mask = tf.cast(tf.greater(ids, 0), 'float32'); // (B, N)
    const logits = tf.add(tf.squeeze(this.att[b.domain].apply(E), [2]), tf.mul(tf.sub(1, mask), -1e9)); // (B, N)
    const a = tf.mul(tf.softmax(logits), mask); // (B, N)
    const charac = tf.sum(tf.mul(E, tf.expandDims(a, 2)), 1); // (B, dim)
    const W = tf.reshape(this.meta[b.domain].apply(charac, training), [B, dim, dim]); // (B, dim, dim)
    return tf.squeeze(tf.matMul(tf.expandDims(src, 1), W), [1]); // (B, dim)
  }

  override loss(batches: CdrBatch[], state: CdrStepState): Scalar {
    const task = batches.map((b) => {
      const { src, hasSrc } = sourceOf(this.users, b);
      const s = this.dot(this.mapped(b, src, true), b, stopGradient(this.itemVec(b))); // (B, C)
      const C = s.shape[1] as number;
      const per = tf.mean(tf.softplus(tf.sub(tf.slice(s, [0, 1], [-1, C - 1]), tf.slice(s, [0, 0], [-1, 1]))), 1, true); // (B, 1)
      return tf.div(tf.sum(tf.mul(per, hasSrc)), tf.maximum(tf.sum(hasSrc), 1));
    });
    return tf.add(super.loss(batches, state), tf.addN(task)) as Scalar;
  }

  protected override userVec(b: CdrBatch): Tensor {
    const { src, hasSrc, hasOwn } = sourceOf(this.users, b);
    return pick(this.users[b.domain].lookup(b.users), this.mapped(b, src, false), hasOwn, hasSrc);
  }
}
