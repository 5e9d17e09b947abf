/**
 * The federated world: users in latent groups with group-specific and personal preferences, exposure sequences
 * logged by a platform that already leans towards what the user likes, click labels with known probabilities, and
 * observable user features, one of which is a noisy signal of the group. It yields `FederatedData` (one sequence per
 * user, split leave-one-out by the federated engine).
 *
 * Mechanism: user u in group z has preference p_u = w_g c_z + w_p e_u (c_z group centre, e_u personal, both N(0, I)).
 * Item i has latent q_i = sum_a E_a[attr_a(i)] + n_i (attribute embeddings plus an item-specific part no attribute
 * explains). Groups also read items differently: the score uses M_z q_i with M_z = (1 - m) I + m R_z (R_z a random
 * Gaussian matrix per group, m = `groupTransform`), so a group-level block of parameters has something to learn.
 *   P(click | u, i) = sigmoid(b0 + beta <p_u, M_z q_i> / sqrt(d))
 * Exposures are drawn from a candidate pool with weights exp(kappa <p_u, M_z q_i> / sqrt(d)) (kappa =
 * `exposureBias`), so the history carries a trace of taste even though past clicks are not model inputs.
 * Ground truth (groups, per-interaction probabilities) is kept beside the data and never in a feature.
 */
import { z } from 'zod';
import { Rng } from '../random.ts';
import { auc, logloss } from '../metrics/index.ts';
import type { FederatedData, UserSequence } from '../federated/types.ts';
import { heldOutRows, validateClients } from '../federated/data.ts';
import { sigmoid } from './world.ts';

/** Strict schema of the world's config; defaults in `FEDERATED_WORLD_DEFAULTS`. */
export const FederatedWorldConfigSpec = z.strictObject({
  users: z.number().int().min(1).default(2000),
  items: z.number().int().min(2).default(1000),
  /** True latent groups. */
  groups: z.number().int().min(1).default(4),
  latentDim: z.number().int().min(1).default(8),
  /** Vocabulary of each item attribute field. */
  itemVocab: z.array(z.number().int().min(2)).min(1).default([8, 16, 32]),
  /** Std of the item-specific latent part. */
  itemNoise: z.number().min(0).default(0.3),
  groupWeight: z.number().min(0).default(1),
  personalWeight: z.number().min(0).default(0.8),
  groupTransform: z.number().min(0).max(1).default(0.6),
  /** Probability that the observable 'segment' feature equals the true group. */
  segmentAccuracy: z.number().min(0).max(1).default(0.6),
  minLen: z.number().int().min(3).default(12),
  maxLen: z.number().int().min(3).default(40),
  candidates: z.number().int().min(1).default(40),
  exposureBias: z.number().min(0).default(1),
  strength: z.number().min(0).default(2.5),
  intercept: z.number().default(-0.8),
  seed: z.number().int().default(7),
});
/** Config of the federated world (see the schema). */
export type FederatedWorldConfig = z.infer<typeof FederatedWorldConfigSpec>;
/** Defaults (the quick size: 2,000 users, 1,000 items, 4 groups). */
export const FEDERATED_WORLD_DEFAULTS: FederatedWorldConfig = FederatedWorldConfigSpec.parse({});

/**
 * Named sizes: tiny (tests, notebooks), quick (CI pipelines), full.
 * @example
 * generateFederatedWorld(FEDERATED_WORLD_SIZES.tiny);
 */
export const FEDERATED_WORLD_SIZES: Record<'tiny' | 'quick' | 'full', Partial<FederatedWorldConfig>> = {
  tiny: { users: 200, items: 300, minLen: 8, maxLen: 20 },
  quick: { users: 2000, items: 1000 },
  full: { users: 8000, items: 4000, maxLen: 60 },
};

function gaussian(rng: Rng, n: number, std = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() * std);
}

/**
 * Generates the world.
 * @example
 * const data = generateFederatedWorld({ users: 200 }); // data.sequences.length === 200; data.truth.group
 */
export function generateFederatedWorld(partial: Partial<FederatedWorldConfig> = {}): FederatedData & { config: FederatedWorldConfig } {
  const c = FederatedWorldConfigSpec.parse(partial);
  if (c.minLen > c.maxLen) throw new Error(`federated world: minLen ${c.minLen} > maxLen ${c.maxLen}`);
  const rng = new Rng(c.seed);
  const d = c.latentDim;
  const A = c.itemVocab.length;
  const attrEmb = c.itemVocab.map((v) => gaussian(rng, v * d, 1 / Math.sqrt(A)));
  const itemFeatures = new Int32Array(c.items * A);
  const q = new Float64Array(c.items * d);
  for (let i = 0; i < c.items; i++) {
    for (let a = 0; a < A; a++) {
      const v = rng.int(c.itemVocab[a]);
      itemFeatures[i * A + a] = v;
      for (let k = 0; k < d; k++) q[i * d + k] += attrEmb[a][v * d + k];
    }
    for (let k = 0; k < d; k++) q[i * d + k] += rng.normal() * c.itemNoise;
  }
  const centres = gaussian(rng, c.groups * d);
  // Group reading of items: M_z q_i for every (z, i), precomputed.
  const mq = new Float64Array(c.groups * c.items * d);
  for (let g = 0; g < c.groups; g++) {
    const R = gaussian(rng, d * d, 1 / Math.sqrt(d));
    for (let i = 0; i < c.items; i++) {
      for (let r = 0; r < d; r++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += R[r * d + k] * q[i * d + k];
        mq[(g * c.items + i) * d + r] = (1 - c.groupTransform) * q[i * d + r] + c.groupTransform * s;
      }
    }
  }
  const userFields = [
    { name: 'segment', vocab: c.groups + 2 },
    { name: 'activity', vocab: 4 },
    { name: 'age_band', vocab: 5 },
    { name: 'device', vocab: 3 },
  ];
  const F = userFields.length;
  const userFeatures = new Int32Array(c.users * F);
  const group = new Int32Array(c.users);
  const sequences: UserSequence[] = [];
  const prob: Float32Array[] = [];
  const scale = 1 / Math.sqrt(d);
  for (let u = 0; u < c.users; u++) {
    const z = rng.int(c.groups);
    group[u] = z;
    const p = Float64Array.from({ length: d }, (_, k) => c.groupWeight * centres[z * d + k] + c.personalWeight * rng.normal());
    const activity = rng.int(4);
    userFeatures[u * F] = rng.bernoulli(c.segmentAccuracy) ? z : rng.int(c.groups + 2);
    userFeatures[u * F + 1] = activity;
    userFeatures[u * F + 2] = rng.int(5);
    userFeatures[u * F + 3] = rng.int(3);
    const span = c.maxLen - c.minLen;
    const n = c.minLen + Math.min(span, Math.floor(((activity + rng.uniform()) / 4) * (span + 1)));
    const items = new Int32Array(n);
    const labels = new Float32Array(n);
    const ps = new Float32Array(n);
    const timestamps = new Float64Array(n);
    let t = 1_700_000_000 + rng.int(86_400);
    const affinity = (i: number) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += p[k] * mq[(z * c.items + i) * d + k];
      return s * scale;
    };
    for (let j = 0; j < n; j++) {
      const pool = Array.from({ length: c.candidates }, () => rng.int(c.items));
      const item = pool[rng.categorical(pool.map((i) => Math.exp(c.exposureBias * affinity(i))))];
      const pr = sigmoid(c.intercept + c.strength * affinity(item));
      items[j] = item;
      ps[j] = pr;
      labels[j] = rng.bernoulli(pr) ? 1 : 0;
      t += 30 + rng.int(3600);
      timestamps[j] = t;
    }
    sequences.push({ items, labels, timestamps });
    prob.push(ps);
  }
  return {
    name: 'federated-world', config: c, users: c.users, items: c.items, userFields, userFeatures,
    itemFields: c.itemVocab.map((v, a) => ({ name: `attr${a}`, vocab: v })), itemFeatures, sequences, truth: { group, prob },
  };
}

/**
 * The ground-truth ceiling on the held-out interactions of every usable user (valid or test; leave-one-out unless
 * `data.holdout` says otherwise): the metrics of the true probabilities themselves.
 * @example
 * federatedCeiling(data, 'test'); // { auc: 0.8, logloss: 0.5 }
 */
export function federatedCeiling(data: FederatedData, part: 'valid' | 'test'): { auc: number; logloss: number } {
  if (!data.truth) throw new Error(`federatedCeiling: '${data.name}' has no ground truth`);
  const truth = data.truth;
  const rows = heldOutRows(data, validateClients(data).clients, part);
  const p = Float32Array.from(rows.users, (u, i) => truth.prob[u][rows.positions[i]]);
  return { auc: auc(rows.labels, p), logloss: logloss(rows.labels, p) };
}
