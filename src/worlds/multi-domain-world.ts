/**
 * multi-domain-world: D seeded domains (2-5) for cross-domain ranking (UniCDR's four scenarios, spec
 * ../shared/papers/unicdr-plus.md §4). Overlap is either users (dual-user-*, multi-user-intra: some users live in every
 * domain) or items (multi-item-intra: a shared pool of products sold in every "market", users disjoint per domain).
 *
 * Ground truth: every user u has a latent taste z_u (dim k); in domain d the taste is
 *   p_{u,d} = sqrt(1 - shift²) · z_u + shift · e_{u,d}          (shift 0: one taste everywhere; 1: unrelated domains)
 * Mechanism knob (issue 15) `preferenceShare` ρ, the share of a user's taste variance common to all domains: when set,
 * p_{u,d} = sqrt(ρ) · z_u + sqrt(1 − ρ) · e_{u,d} (the shift formula with shift = sqrt(1 − ρ)); ρ = 0 makes a user's
 * tastes in two domains independent draws, so one domain's history says nothing about the other; null (default) keeps
 * `shift` (ρ = 1 − shift² = 0.84 at shift 0.4).
 * Items carry a vector v_i around their category centre; in item-overlap worlds a shared product's vector in market d
 * is sqrt(1 - shift²) · v_g + shift · f_{g,d}. True affinity a(u, i) = sharpness · <p_{u,d}, v_i> + pop_i; a user's
 * n interactions are drawn without replacement with probability ∝ exp(a) (Gumbel top-n), in random time order.
 * Leave-one-out: the last interaction is test, the one before valid, the rest train. Cold-start users (a fraction
 * `coldStart` of the overlapping users) have their whole history in one domain withheld: one item is their cold test
 * pair, one their cold valid pair, none is in training (domain masking at test time, spec §3.1).
 * Observable side information (used by UniCDR+ feature engineering): item category (the centre an item was drawn
 * around) and a user segment (the category nearest z_u, replaced by a random one with probability 0.3). The truth
 * (`trueScore`) never enters the training data; the oracle's HR@10 is the ceiling printed beside every table.
 * A second behaviour, `longView`, is sampled per training interaction with probability sigmoid(a - mean a) for the
 * UniCDR+ multi-behaviour (MMoE) head.
 */
import { z } from 'zod';
import { Rng } from '../random.ts';
import { sigmoid } from './world.ts';

/** The four UniCDR scenarios. */
export const CDR_SCENARIOS = ['dual-user-intra', 'dual-user-inter', 'multi-item-intra', 'multi-user-intra'] as const;
/** One of {@link CDR_SCENARIOS}. */
export type CdrScenario = (typeof CDR_SCENARIOS)[number];

const SCENARIO_DOMAINS: Record<CdrScenario, number> = { 'dual-user-intra': 2, 'dual-user-inter': 2, 'multi-item-intra': 4, 'multi-user-intra': 3 };

/**
 * Strict config schema (unknown keys are errors). `domains` null = the scenario's default (2, 2, 4, 3); dual scenarios
 * require 2. `coldStart` null = 0.3 for dual-user-inter, else 0. `items` is per domain (≥ 1000 + history so that 999
 * negatives exist).
 * @example
 * MultiDomainWorldConfigSpec.parse({ scenario: 'dual-user-inter', users: 400 });
 */
export const MultiDomainWorldConfigSpec = z.strictObject({
  scenario: z.enum(CDR_SCENARIOS).default('dual-user-intra'),
  domains: z.number().int().min(2).max(5).nullable().default(null),
  users: z.number().int().min(10).default(1500),
  items: z.number().int().min(20).default(1100),
  overlap: z.number().min(0).max(1).default(0.5),
  shift: z.number().min(0).max(1).default(0.4),
  preferenceShare: z.number().min(0).max(1).nullable().default(null),
  dim: z.number().int().min(2).default(4),
  categories: z.number().int().min(2).default(20),
  interactions: z.number().min(3).default(12),
  sharpness: z.number().positive().default(3),
  coldStart: z.number().min(0).max(1).nullable().default(null),
  seed: z.number().int().default(17),
});
/** Config of the world (see the schema). */
export type MultiDomainWorldConfig = z.infer<typeof MultiDomainWorldConfigSpec>;

/** (user, item) pairs in time order; item ids are the domain's own, in [0, nItems). */
export interface Pairs {
  users: Int32Array;
  items: Int32Array;
}

/** One domain of the world (or of a loaded public pair). */
export interface CdrDomain {
  name: string;
  nItems: number;
  train: Pairs;
  valid: Pairs;
  test: Pairs;
  /** Test / valid pairs of cold-start users (no training history in this domain); empty when none. */
  coldTest: Pairs;
  coldValid: Pairs;
  /** Observable item category per item (0 when unknown). */
  itemCategory: Int32Array;
  /** Global item id per item (item-overlap worlds: shared products share it; else a disjoint range). */
  globalItem: Int32Array;
  /** Second behaviour per training row (1 = long view). */
  longView: Uint8Array;
}

/** A generated (or loaded) multi-domain data set. */
export interface CdrData {
  scenario: CdrScenario;
  nUsers: number;
  nGlobalItems: number;
  nCategories: number;
  /** Observable user segment per user (0 when unknown). */
  userSegment: Int32Array;
  nSegments: number;
  domains: CdrDomain[];
  /** What overlaps: 'users' or 'items'. */
  overlapKind: 'users' | 'items';
}

/** The generated world: data plus the truth. */
export interface MultiDomainWorld extends CdrData {
  config: MultiDomainWorldConfig;
  /** True affinity a(u, i) of (users[n], items[n]) in domain d (the oracle's score). */
  trueScore(domain: number, users: ArrayLike<number>, items: ArrayLike<number>): Float32Array;
}

const emptyPairs = (): Pairs => ({ users: new Int32Array(0), items: new Int32Array(0) });
const toPairs = (u: number[], i: number[]): Pairs => ({ users: Int32Array.from(u), items: Int32Array.from(i) });
function unitish(rng: Rng, k: number): Float32Array {
  const v = new Float32Array(k);
  for (let j = 0; j < k; j++) v[j] = rng.normal() / Math.sqrt(k);
  return v;
}
function mix(a: Float32Array, b: Float32Array, shift: number): Float32Array {
  const s = Math.sqrt(1 - shift * shift);
  return a.map((x, j) => s * x + shift * b[j]);
}

/**
 * Generates the world.
 * @example
 * const w = generateMultiDomainWorld({ scenario: 'multi-user-intra', users: 300 });
 * w.domains.length; // 3
 */
export function generateMultiDomainWorld(partial: Partial<MultiDomainWorldConfig> = {}): MultiDomainWorld {
  const config = MultiDomainWorldConfigSpec.parse(partial);
  const D = config.domains ?? SCENARIO_DOMAINS[config.scenario];
  if (config.scenario.startsWith('dual') && D !== 2) throw new Error(`multi-domain world: scenario '${config.scenario}' needs domains = 2, got ${D}`);
  const coldStart = config.coldStart ?? (config.scenario === 'dual-user-inter' ? 0.3 : 0);
  const { users: U, items: I, dim: k, categories: K } = config;
  const itemOverlap = config.scenario === 'multi-item-intra';
  const rng = new Rng(config.seed);
  const centres = Array.from({ length: K }, () => unitish(rng, k).map((x) => x * 1.5));
  // Users: global taste, membership, segment.
  const z = Array.from({ length: U }, () => unitish(rng, k));
  const member: number[][] = [];
  for (let u = 0; u < U; u++) {
    if (itemOverlap) member.push([u % D]);
    else member.push(rng.bernoulli(config.overlap) ? Array.from({ length: D }, (_, d) => d) : [rng.int(D)]);
  }
  const segment = Int32Array.from(z, (zu) => {
    if (rng.bernoulli(0.3)) return rng.int(K);
    let best = 0;
    let bestS = -Infinity;
    centres.forEach((c, j) => { const s = c.reduce((a, x, t) => a + x * zu[t], 0); if (s > bestS) { bestS = s; best = j; } });
    return best;
  });
  // Items: per domain vectors, categories, global ids; item overlap shares a pool of products.
  const shared = itemOverlap ? Math.round(config.overlap * I) : 0;
  const pool = Array.from({ length: shared }, () => { const c = rng.int(K); return { c, v: centres[c].map((x) => x + rng.normal() / Math.sqrt(k)) }; });
  let nextGlobal = shared;
  const itemVec: Float32Array[][] = [];
  const itemCat: Int32Array[] = [];
  const globalItem: Int32Array[] = [];
  const pop: Float32Array[] = [];
  for (let d = 0; d < D; d++) {
    const vs: Float32Array[] = [];
    const cat = new Int32Array(I);
    const gl = new Int32Array(I);
    for (let i = 0; i < I; i++) {
      if (i < shared) {
        vs.push(mix(pool[i].v, unitish(rng, k).map((x) => x * 1.5), config.shift));
        cat[i] = pool[i].c;
        gl[i] = i;
      } else {
        const c = rng.int(K);
        vs.push(centres[c].map((x) => x + rng.normal() / Math.sqrt(k)));
        cat[i] = c;
        gl[i] = nextGlobal++;
      }
    }
    itemVec.push(vs);
    itemCat.push(cat);
    globalItem.push(gl);
    pop.push(Float32Array.from({ length: I }, () => rng.normal() * 0.5));
  }
  // Per-domain tastes (item-overlap worlds: a market-level shift of the taste instead of a per-user one).
  const marketShift = Array.from({ length: D }, () => unitish(rng, k));
  const taste: Array<Map<number, Float32Array>> = Array.from({ length: D }, () => new Map());
  const tasteShift = config.preferenceShare === null ? config.shift : Math.sqrt(1 - config.preferenceShare);
  for (let u = 0; u < U; u++) {
    for (const d of member[u]) taste[d].set(u, itemOverlap ? mix(z[u], marketShift[d], tasteShift) : mix(z[u], unitish(rng, k), tasteShift));
  }
  const affinity = (d: number, u: number, i: number): number => {
    const p = taste[d].get(u);
    if (!p) throw new Error(`multi-domain world: user ${u} has no taste in domain ${d}`);
    const v = itemVec[d][i];
    let s = 0;
    for (let t = 0; t < k; t++) s += p[t] * v[t];
    return config.sharpness * s + pop[d][i];
  };
  // Interactions and splits.
  const domains: CdrDomain[] = [];
  for (let d = 0; d < D; d++) {
    const tr = { u: [] as number[], i: [] as number[], lv: [] as number[] };
    const va = { u: [] as number[], i: [] as number[] };
    const te = { u: [] as number[], i: [] as number[] };
    const cTe = { u: [] as number[], i: [] as number[] };
    const cVa = { u: [] as number[], i: [] as number[] };
    const keys = new Float64Array(I);
    const nCap = I >= 1010 ? I - 1000 : Math.max(3, Math.floor(I / 3)); // >= 1000 catalogue: keep 999 negatives possible
    for (let u = 0; u < U; u++) {
      if (!taste[d].has(u)) continue;
      const n = Math.min(nCap, 3 + Math.round(-Math.log(1 - rng.uniform()) * (config.interactions - 3)));
      let meanA = 0;
      for (let i = 0; i < I; i++) { const a = affinity(d, u, i); meanA += a / I; keys[i] = a - Math.log(-Math.log(rng.uniform() || 1e-12)); }
      const order = Array.from({ length: I }, (_, i) => i).sort((a, b) => keys[b] - keys[a]).slice(0, n);
      rng.shuffle(order); // time order is random: the draw order would leak preference rank
      const cold = member[u].length > 1 && rng.bernoulli(coldStart) && d === (u % D);
      if (cold) {
        cTe.u.push(u); cTe.i.push(order[n - 1]);
        cVa.u.push(u); cVa.i.push(order[n - 2]);
        continue;
      }
      for (let j = 0; j < n - 2; j++) { tr.u.push(u); tr.i.push(order[j]); tr.lv.push(rng.bernoulli(sigmoid(affinity(d, u, order[j]) - meanA)) ? 1 : 0); }
      va.u.push(u); va.i.push(order[n - 2]);
      te.u.push(u); te.i.push(order[n - 1]);
    }
    domains.push({
      name: `d${d + 1}`, nItems: I, train: toPairs(tr.u, tr.i), valid: toPairs(va.u, va.i), test: toPairs(te.u, te.i),
      coldTest: cTe.u.length ? toPairs(cTe.u, cTe.i) : emptyPairs(), coldValid: cVa.u.length ? toPairs(cVa.u, cVa.i) : emptyPairs(),
      itemCategory: itemCat[d], globalItem: globalItem[d], longView: Uint8Array.from(tr.lv),
    });
  }
  return {
    config, scenario: config.scenario, nUsers: U, nGlobalItems: nextGlobal, nCategories: K, userSegment: segment, nSegments: K, domains,
    overlapKind: itemOverlap ? 'items' : 'users',
    trueScore(d, users, items) {
      return Float32Array.from({ length: users.length }, (_, n) => affinity(d, users[n], items[n]));
    },
  };
}

/**
 * Every item each user touched in a domain, over all splits (the exclusion set of negative sampling).
 * @example
 * const seen = interactedSets(world.domains[0]); seen(3); // Set of item ids
 */
export function interactedSets(domain: CdrDomain): (user: number) => ReadonlySet<number> {
  const m = new Map<number, Set<number>>();
  for (const p of [domain.train, domain.valid, domain.test, domain.coldTest, domain.coldValid]) {
    for (let n = 0; n < p.users.length; n++) {
      let s = m.get(p.users[n]);
      if (!s) m.set(p.users[n], (s = new Set()));
      s.add(p.items[n]);
    }
  }
  const empty: ReadonlySet<number> = new Set();
  return (u) => m.get(u) ?? empty;
}

/**
 * Tiny / quick / full sizes of the world for a scenario (tiny: tests and notebooks; quick: CI pipelines).
 * @example
 * multiDomainPreset('tiny', 'dual-user-intra').users; // 240
 */
export function multiDomainPreset(size: 'tiny' | 'quick' | 'full', scenario: CdrScenario): Partial<MultiDomainWorldConfig> {
  const users = { tiny: 240, quick: 400, full: 6000 }[size];
  const items = { tiny: 1020, quick: 1040, full: 3000 }[size];
  return { scenario, users, items, interactions: size === 'tiny' ? 8 : 12 };
}
