/**
 * FedPA — Federated Adaptation for Foundation Model-based Recommendations (Zhang et al., IJCAI 2024,
 * arXiv:2405.04840; spec papers/fedpa.md). A foundation model pre-trained centrally on open users is frozen on the
 * clients; each client learns personalised low-rank adapters (user-level, and group-level per group feature value)
 * mixed with the frozen layer by an adaptive gate. Written functionally on per-client parameters (C, ...).
 *
 * Foundation (spec §3.1): x0 = [field embeddings of 8] -> Linear 32 -> ReLU -> Linear 8 -> ReLU -> Linear 1.
 * Client layer l (spec §3.2):
 *   base_l = ReLU(W_l x + b_l)                       (frozen)
 *   g_l    = softmax(G2_l ReLU(G1_l x + c1) + c2)     (gate of size 1 + [user] + F)
 *   pers_l = s (x A_l^user) B_l^user,  grp_lf = s (x A_l^{f, v_f}) B_l^{f, v_f},  s = loraAlpha / r
 *   x      = g_l[0] base_l + g_l[1] pers_l + sum_f g_l[1 + f] grp_lf
 *   p      = sigmoid(w_o x + b_o)
 * Roles: frozen = item-field embeddings and W_l, b_l; private = user-field embeddings, user LoRA; group = group LoRA
 * (averaged per feature value); public = gates, output layer.
 * Reference deviation: LoRA A ~ Kaiming-uniform, B = 0 (the released code sets both to zero so they never train,
 * spec §7.1); `loraInit: 'zeros'` reproduces the released behaviour. gate_num = 1 + [user] + F from the configured
 * features (§7.2). Paper deviation: gate hidden sizes [8, 4] read as one hidden layer per adapted layer (§6).
 * With `userAdapter: false` and no group features (mode 'fedpa') the model has no adapter and no gate: the frozen
 * backbone with private user-field embeddings and a public output layer (the 'no adapters' reference row).
 * `adapterLrScale` / `adapterWeightDecay` slow down and shrink the private user adapter, which overfits a user's few
 * training labels at the shared learning rate (issue 16).
 * Knowledge distillation and LDP are not in the released code and not implemented here; client-level DP is the
 * engine's switch (federated/dp.ts).
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { z } from 'zod';
import { Module } from '../layers/module.ts';
import type { Rng } from '../random.ts';
import { cEmbed, cLinear } from '../federated/ops.ts';
import type { ClientBatch, FedModel, Field, Grouping, LossContext, ParamMap, ParamRole } from '../federated/types.ts';

/** Strict schema of the FedPA config; defaults in `FEDPA_DEFAULTS`. */
export const FedPAConfigSpec = z.strictObject({
  fieldDim: z.number().int().min(1).default(8),
  hidden: z.array(z.number().int().min(1)).length(2).default([32, 8]),
  /** 'foundation' (backbone only, all trained: pre-training), 'fedpa' (adapters), 'fullFt' (FedAvg of everything), 'localFt' (everything private). */
  mode: z.enum(['foundation', 'fedpa', 'fullFt', 'localFt']).default('fedpa'),
  rank: z.number().int().min(1).default(4),
  loraAlpha: z.number().gt(0).default(1),
  loraInit: z.enum(['standard', 'zeros']).default('standard'),
  userAdapter: z.boolean().default(true),
  /** User fields whose value picks the group adapter. */
  groupFeatures: z.array(z.string()).default([]),
  gateHidden: z.array(z.number().int().min(1)).length(2).default([8, 4]),
  /** Learning-rate multiplier of the private user adapter (lora.user.*) in local training (1 = the engine's rate). */
  adapterLrScale: z.number().min(0).default(1),
  /** Decoupled weight decay (AdamW) of the private user adapter in local training (0 = none). */
  adapterWeightDecay: z.number().min(0).default(0),
});
/** FedPA config (see the schema). */
export type FedPAConfig = z.infer<typeof FedPAConfigSpec>;
/** Defaults: rank 4, s = 1/4, standard LoRA init, user adapter on, no group features (set them per data set). */
export const FEDPA_DEFAULTS: FedPAConfig = FedPAConfigSpec.parse({});

/**
 * The FedPA client model (and, with mode 'foundation', the backbone it adapts).
 * @example
 * const m = new FedPA(new Rng(1), data.itemFields, data.userFields, { groupFeatures: ['segment', 'activity'] });
 * m.loadStateDict(foundation.stateDict(), { strict: false });
 */
export class FedPA extends Module implements FedModel {
  readonly config: FedPAConfig;
  readonly downloadsAllGroups = false;
  private readonly groupIdx: number[];

  constructor(rng: Rng, readonly itemFields: Field[], readonly userFields: Field[], config: Partial<FedPAConfig> = {}) {
    super(rng);
    const c = (this.config = FedPAConfigSpec.parse(config));
    this.groupIdx = c.groupFeatures.map((g) => {
      const i = userFields.findIndex((f) => f.name === g);
      if (i < 0) throw new Error(`FedPA: group feature '${g}' is not a user field (${userFields.map((f) => f.name).join(', ')})`);
      return i;
    });
    const adapters = c.mode === 'fedpa';
    for (const f of userFields) this.param(`user.${f.name}`, [f.vocab, c.fieldDim], { normal: 0.1 });
    for (const f of itemFields) this.param(`item.${f.name}`, [f.vocab, c.fieldDim], { normal: 0.1 });
    const dims = [c.fieldDim * (userFields.length + itemFields.length), ...c.hidden];
    for (let l = 0; l < 2; l++) {
      const [i, o] = [dims[l], dims[l + 1]];
      this.param(`backbone.l${l}.w`, [i, o], 'glorot');
      this.param(`backbone.l${l}.b`, [o], 'zeros');
      if (!adapters || !this.hasAdapters) continue;
      const aInit = c.loraInit === 'zeros' ? 'zeros' : { uniform: 1 / Math.sqrt(i) }; // Kaiming-uniform(a = sqrt 5): bound 1 / sqrt(fan_in)
      if (c.userAdapter) {
        this.param(`lora.user.l${l}.a`, [i, c.rank], aInit);
        this.param(`lora.user.l${l}.b`, [c.rank, o], 'zeros');
      }
      c.groupFeatures.forEach((g, j) => {
        const V = userFields[this.groupIdx[j]].vocab;
        this.param(`lora.group.${g}.l${l}.a`, [V, i, c.rank], aInit);
        this.param(`lora.group.${g}.l${l}.b`, [V, c.rank, o], 'zeros');
      });
      const gates = 1 + (c.userAdapter ? 1 : 0) + c.groupFeatures.length;
      this.param(`gate.l${l}.w1`, [i, c.gateHidden[l]], 'glorot');
      this.param(`gate.l${l}.b1`, [c.gateHidden[l]], 'zeros');
      this.param(`gate.l${l}.w2`, [c.gateHidden[l], gates], 'glorot');
      this.param(`gate.l${l}.b2`, [gates], 'zeros');
    }
    this.param('backbone.out.w', [dims[2], 1], 'glorot');
    this.param('backbone.out.b', [1], 'zeros');
  }

  get root(): Module {
    return this;
  }

  /** False for the no-adapter variant (mode 'fedpa', userAdapter false, no group features): frozen backbone, private user embeddings, public head. */
  get hasAdapters(): boolean {
    return this.config.userAdapter || this.config.groupFeatures.length > 0;
  }

  /** The private user adapter trains at `adapterLrScale` times the engine's rate with `adapterWeightDecay`; the rest at 1 and 0. */
  localOptim(name: string): { lrScale: number; weightDecay: number } {
    const c = this.config;
    return c.mode === 'fedpa' && name.startsWith('lora.user.') ? { lrScale: c.adapterLrScale, weightDecay: c.adapterWeightDecay } : { lrScale: 1, weightDecay: 0 };
  }

  role(name: string): ParamRole {
    const m = this.config.mode;
    if (m === 'foundation' || m === 'fullFt') return { kind: 'public' };
    if (m === 'localFt') return { kind: 'private' };
    if (name.startsWith('item.') || /^backbone\.l\d\./.test(name)) return { kind: 'frozen' };
    if (name.startsWith('user.') || name.startsWith('lora.user.')) return { kind: 'private' };
    const g = /^lora\.group\.(.+)\.l\d\.[ab]$/.exec(name);
    if (g) return { kind: 'group', grouping: `feat:${g[1]}` };
    return { kind: 'public' };
  }

  groupings(): Grouping[] {
    if (this.config.mode !== 'fedpa') return [];
    return this.config.groupFeatures.map((g, j) => ({ name: `feat:${g}`, size: this.userFields[this.groupIdx[j]].vocab }));
  }

  assignGroups(_params: ParamMap, _tables: ParamMap, batch: ClientBatch): Record<string, Int32Array> {
    if (this.config.mode !== 'fedpa' || this.groupIdx.length === 0) return {};
    const F = this.userFields.length;
    const u = batch.user.dataSync() as Int32Array;
    const C = batch.users.length;
    return Object.fromEntries(this.config.groupFeatures.map((g, j) => [`feat:${g}`, Int32Array.from({ length: C }, (_, c) => u[c * F + this.groupIdx[j]])]));
  }

  forward(p: ParamMap, batch: ClientBatch, _ctx: LossContext): { logits: Tensor; aux: Tensor | null } {
    const c = this.config;
    const T = batch.itemTgt.shape[1] as number;
    const users = this.userFields.map((f, j) => cEmbed(p[`user.${f.name}`], tf.slice(batch.user, [0, j], [-1, 1]))); // (C, 1, D) each
    const items = this.itemFields.map((f, a) => cEmbed(p[`item.${f.name}`], tf.squeeze(tf.slice(batch.itemTgt, [0, 0, a], [-1, -1, 1]), [2]))); // (C, T, D)
    let x = tf.concat([tf.tile(tf.concat(users, 2), [1, T, 1]), ...items], 2); // (C, T, D (F + A))
    const s = c.loraAlpha / c.rank;
    for (let l = 0; l < 2; l++) {
      const base = tf.relu(cLinear(x, p[`backbone.l${l}.w`], p[`backbone.l${l}.b`])); // (C, T, h_l)
      if (c.mode !== 'fedpa' || !this.hasAdapters) {
        x = base;
        continue;
      }
      const gate = tf.softmax(cLinear(tf.relu(cLinear(x, p[`gate.l${l}.w1`], p[`gate.l${l}.b1`])), p[`gate.l${l}.w2`], p[`gate.l${l}.b2`])); // (C, T, gates)
      const branches = [base];
      if (c.userAdapter) branches.push(tf.mul(cLinear(cLinear(x, p[`lora.user.l${l}.a`], null), p[`lora.user.l${l}.b`], null), s)); // (C, T, h_l)
      for (const g of c.groupFeatures) branches.push(tf.mul(cLinear(cLinear(x, p[`lora.group.${g}.l${l}.a`], null), p[`lora.group.${g}.l${l}.b`], null), s));
      const stacked = tf.stack(branches, 3); // (C, T, h_l, gates)
      x = tf.sum(tf.mul(stacked, tf.expandDims(gate, 2)), 3); // (C, T, h_l)
    }
    const logits = tf.squeeze(cLinear(x, p['backbone.out.w'], p['backbone.out.b']), [2]); // (C, T)
    return { logits, aux: null };
  }
}
