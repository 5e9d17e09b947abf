/**
 * The cold-start ads world (GME, Ouyang et al., SIGIR 2021; spec ../shared/papers/gme.md): ads with observed
 * attributes (category, advertiser, campaign, multi-hot tags), old ads with many impressions and new ads with none
 * before the warm-up batches, and a hidden structure that makes an ad's own ID effect predictable from the ID effects
 * of the old ads that share its attribute values — the neighbour signal GME exploits.
 *
 * Mechanism: every ad belongs to a hidden cluster (a product line). The cluster fixes the ad's typical category,
 * advertiser and tag pool (each attribute deviates with probability `attrNoise`). A user's click probability is
 *   p = sigmoid(b0 + <u_user, v_ad> + b_ad + a_user)
 *   v_ad = attrStrength·(c_category + c_advertiser) + idStrength·r_ad,   b_ad = attrStrength·(β_cat + β_adv) + idStrength·s_ad
 *   (r_ad, s_ad) = rho·(z_cluster, β_cluster) + sqrt(1 - rho²)·(own noise)
 * (r, s) is the ad's "true ID effect": what its attributes, as features, do not explain. `clusterShare` (rho) sets
 * how strongly it correlates between ads of a cluster, and so between an ad and its attribute neighbours (measured
 * by `neighbourSignal` in src/gme/graph.ts; rho = 0 removes the signal). Mechanism knob `irrelevantShare`: that share
 * of the old ads draws its ID effect afresh, ignoring the cluster (rho = 0 for them), and carries an observable
 * 'generic' tag: neighbours then differ in relevance, which attention can weigh and a neighbour mean cannot.
 * The cluster is never a feature; the truth
 * (click probabilities, ID effects) stays outside the Datasets.
 *
 * Parts (spec §4, released code's file names in brackets): `pretrain` [big_train_main] old ads; `metaA..metaD`
 * [train_oneshot_a..d] `metaShot` impressions of every old ad each, grouped by ad in ad order; `warmA..warmC`
 * [test_oneshot_a..c] `warmShot` impressions of every new ad each, grouped by ad; `test` [test_test] new ads.
 */
import { Dataset } from '../data/dataset.ts';
import type { Schema } from '../data/schema.ts';
import { auc, logloss } from '../metrics/index.ts';
import { Rng } from '../random.ts';
import { sigmoid, type Ceiling } from './world.ts';

/** Size and signal knobs; defaults in `COLD_START_WORLD_DEFAULTS`. */
export interface ColdStartWorldConfig {
  users: number;
  latentDim: number;
  /** Hidden clusters (product lines). */
  clusters: number;
  categories: number;
  advertisers: number;
  campaignsPerAdvertiser: number;
  tags: number;
  /** Tags per ad: 1..maxTags. */
  maxTags: number;
  oldAds: number;
  newAds: number;
  /** Impressions per old ad in the pre-training part. */
  oldImpressions: number;
  /** Impressions per old ad in each meta-training part a..d. */
  metaShot: number;
  /** Impressions per new ad in each warm-up part a..c. */
  warmShot: number;
  /** Impressions per new ad in the test part. */
  testImpressions: number;
  /** Probability that an attribute value is drawn at random instead of from the ad's cluster. */
  attrNoise: number;
  /** Weight of the attribute-explained part of an ad's effect. */
  attrStrength: number;
  /** Weight of the ad's ID effect. */
  idStrength: number;
  /** Std of the bias part s of the ID effect (its vector part r has unit std per dimension). */
  idBiasStd: number;
  /** Std of the users' latent vectors per dimension (sets how much of the signal is user x ad interaction). */
  userScale: number;
  /** rho: share of the ID effect that comes from the cluster (the neighbour signal), in [0, 1]. */
  clusterShare: number;
  /**
   * Mechanism knob (issue 15): share of the old ads whose ID effect ignores their cluster (drawn afresh), in [0, 1).
   * They are still graph neighbours of their cluster-mates (same attribute pools) but do not share a new ad's effect;
   * each carries the observable 'generic' tag (id `tags + 1`), so attention can tell the two kinds apart and a plain
   * neighbour mean cannot. 0 = every neighbour equally relevant (the cluster-mean world).
   */
  irrelevantShare: number;
  /** Intercept b0 (sets the click rate). */
  intercept: number;
  seed: number;
}

/**
 * Defaults: 2 000 users, 600 old and 200 new ads in 60 clusters, rho = 0.8, irrelevantShare 0.3.
 * Paper deviation: the paper does not quantify how many graph neighbours share a new ad's effect. Its ML-1M graph
 * links movies sharing any one of year, a title word or a genre (spec §3.3), so many of the top-10 neighbours share
 * only a weak attribute; irrelevantShare = 0.3 (about 3 of 10 neighbours unrelated) was chosen from that description
 * before any result (issue 15), and the gme/mechanism pipeline sweeps it from 0.
 */
export const COLD_START_WORLD_DEFAULTS: ColdStartWorldConfig = {
  users: 2000, latentDim: 8, clusters: 60, categories: 12, advertisers: 40, campaignsPerAdvertiser: 3, tags: 50, maxTags: 3,
  oldAds: 600, newAds: 200, oldImpressions: 150, metaShot: 10, warmShot: 10, testImpressions: 60,
  attrNoise: 0.2, attrStrength: 0.6, idStrength: 1.2, idBiasStd: 0.8, userScale: 0.6, clusterShare: 0.8, irrelevantShare: 0.3, intercept: -1.5, seed: 11,
};

/** Tiny (tests, notebook), quick (CI pipelines) and full sizes. */
export const COLD_START_WORLD_SIZES: Record<'tiny' | 'quick' | 'full', Partial<ColdStartWorldConfig>> = {
  tiny: { users: 200, clusters: 10, advertisers: 12, tags: 20, oldAds: 60, newAds: 20, oldImpressions: 40, metaShot: 5, warmShot: 5, testImpressions: 20 },
  quick: { users: 800, clusters: 25, oldAds: 200, newAds: 80, oldImpressions: 60, metaShot: 8, warmShot: 10, testImpressions: 30 },
  full: {},
};

/** The parts of the world, in protocol order. */
export const COLD_START_PARTS = ['pretrain', 'metaA', 'metaB', 'metaC', 'metaD', 'warmA', 'warmB', 'warmC', 'test'] as const;
/** One part's name. */
export type ColdStartPart = (typeof COLD_START_PARTS)[number];

/** One attribute slot of the ad table: a categorical (width 1) or multi-hot (width maxLen, 0-padded) schema feature. */
export interface AdSlot {
  /** The schema feature it feeds (its embedding table is the backbone's). */
  name: string;
  width: number;
  /** (count, width) values; 0 = padding / none. */
  values: Int32Array;
}

/** Observed attributes of every ad (index a = id - 1; ads 0..oldCount-1 are old). */
export interface AdTable {
  count: number;
  oldCount: number;
  slots: AdSlot[];
}

/**
 * What the GME protocol needs from any cold-start data set (this world, MovieLens-1M): the parts, the ad table, the
 * ID feature and label names. Meta parts hold exactly `metaShot` rows of every old ad, grouped by ad in ad order.
 */
export interface ColdStartData {
  name: string;
  schema: Schema;
  idFeature: string;
  label: string;
  parts: Record<ColdStartPart, Dataset>;
  ads: AdTable;
  metaShot: number;
  /** Recorded in run metadata. */
  config: Record<string, unknown>;
}

/** The generated world. */
export interface ColdStartWorld extends ColdStartData {
  world: ColdStartWorldConfig;
  /** True click probability of every row of every part. */
  truth: Record<ColdStartPart, Float32Array>;
  /** True ID effect (r, s) of every ad: (count, latentDim + 1). Never a feature. */
  idEffect: Float32Array;
  /** Hidden cluster of every ad (count). Never a feature. */
  cluster: Int32Array;
  /** 1 for an old ad whose ID effect ignores its cluster (`irrelevantShare`), else 0 (count). Never a feature. */
  irrelevant: Uint8Array;
}

const KEYS = Object.keys(COLD_START_WORLD_DEFAULTS) as Array<keyof ColdStartWorldConfig>;

/**
 * Resolves a partial config (new object; unknown keys and bad values are errors naming the key).
 * @example
 * resolveColdStartWorldConfig({ clusterShare: 0 }).oldAds; // 600
 */
export function resolveColdStartWorldConfig(partial: Partial<ColdStartWorldConfig> = {}): ColdStartWorldConfig {
  for (const k of Object.keys(partial)) {
    if (!KEYS.includes(k as keyof ColdStartWorldConfig)) throw new Error(`cold-start-world config: unknown key '${k}' (known: ${KEYS.join(', ')})`);
  }
  const c = { ...COLD_START_WORLD_DEFAULTS, ...partial };
  for (const k of ['users', 'latentDim', 'clusters', 'categories', 'advertisers', 'campaignsPerAdvertiser', 'tags', 'maxTags', 'oldAds', 'newAds', 'oldImpressions', 'metaShot', 'warmShot', 'testImpressions'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`cold-start-world config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (!(c.idBiasStd >= 0 && c.userScale >= 0)) throw new Error(`cold-start-world config: 'idBiasStd' and 'userScale' must be >= 0`);
  for (const k of ['attrNoise', 'clusterShare'] as const) {
    if (!(c[k] >= 0 && c[k] <= 1)) throw new Error(`cold-start-world config: '${k}' must lie in [0, 1], got ${c[k]}`);
  }
  if (!(c.irrelevantShare >= 0 && c.irrelevantShare < 1)) throw new Error(`cold-start-world config: 'irrelevantShare' must lie in [0, 1), got ${c.irrelevantShare}`);
  if (c.maxTags > c.tags) throw new Error(`cold-start-world config: maxTags (${c.maxTags}) > tags (${c.tags})`);
  return c;
}

/**
 * The world's schema: user features, the ad id and the ad's attributes; label `click`.
 * @example
 * coldStartSchema(resolveColdStartWorldConfig()).features.length; // 8
 */
export function coldStartSchema(c: ColdStartWorldConfig): Schema {
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: c.users },
      { kind: 'categorical', name: 'age', vocab: 7 },
      { kind: 'categorical', name: 'gender', vocab: 2 },
      { kind: 'categorical', name: 'ad_id', vocab: c.oldAds + c.newAds + 1 },
      { kind: 'categorical', name: 'category', vocab: c.categories + 1 },
      { kind: 'categorical', name: 'advertiser', vocab: c.advertisers + 1 },
      { kind: 'categorical', name: 'campaign', vocab: c.advertisers * c.campaignsPerAdvertiser + 1 },
      { kind: 'multiHot', name: 'tags', vocab: c.tags + 2, maxLen: c.maxTags }, // tags + 1 = the 'generic' tag (irrelevantShare)
    ],
    labels: ['click'],
    userId: 'user_id',
  };
}

/**
 * Generates the world; deterministic for a given config (including `seed`).
 * @example
 * const w = generateColdStartWorld(COLD_START_WORLD_SIZES.tiny);
 * w.parts.warmA.size; // newAds * warmShot = 100
 */
export function generateColdStartWorld(partial: Partial<ColdStartWorldConfig> = {}): ColdStartWorld {
  const c = resolveColdStartWorldConfig(partial);
  const rng = new Rng(c.seed);
  const L = c.latentDim;
  const vec = (scale: number) => Float64Array.from({ length: L }, () => rng.normal() * scale);
  const s = 1 / Math.sqrt(L);
  const catVec = Array.from({ length: c.categories }, () => vec(s));
  const catBias = Float64Array.from({ length: c.categories }, () => rng.normal() * 0.3);
  const advVec = Array.from({ length: c.advertisers }, () => vec(s));
  const advBias = Float64Array.from({ length: c.advertisers }, () => rng.normal() * 0.3);
  const clu = Array.from({ length: c.clusters }, () => ({
    z: vec(1), beta: rng.normal() * c.idBiasStd, category: rng.int(c.categories), advertiser: rng.int(c.advertisers),
    tagPool: Array.from({ length: c.maxTags + 1 }, () => rng.int(c.tags)),
  }));
  const n = c.oldAds + c.newAds;
  const at = { category: new Int32Array(n), advertiser: new Int32Array(n), campaign: new Int32Array(n), tags: new Int32Array(n * c.maxTags) };
  const ads: AdTable = {
    count: n, oldCount: c.oldAds,
    slots: [{ name: 'category', width: 1, values: at.category }, { name: 'advertiser', width: 1, values: at.advertiser }, { name: 'campaign', width: 1, values: at.campaign }, { name: 'tags', width: c.maxTags, values: at.tags }],
  };
  const cluster = new Int32Array(n);
  const irrelevant = new Uint8Array(n);
  const idEffect = new Float32Array(n * (L + 1));
  const adVec: Float64Array[] = [];
  const adBias = new Float64Array(n);
  const rho = c.clusterShare;
  const own = Math.sqrt(1 - rho * rho);
  for (let a = 0; a < n; a++) {
    const k = rng.int(c.clusters);
    const cl = clu[k];
    cluster[a] = k;
    const cat = rng.bernoulli(c.attrNoise) ? rng.int(c.categories) : cl.category;
    const adv = rng.bernoulli(c.attrNoise) ? rng.int(c.advertisers) : cl.advertiser;
    at.category[a] = cat + 1;
    at.advertiser[a] = adv + 1;
    at.campaign[a] = adv * c.campaignsPerAdvertiser + rng.int(c.campaignsPerAdvertiser) + 1;
    const nTags = 1 + rng.int(c.maxTags);
    const tags = new Set<number>();
    while (tags.size < nTags) tags.add(rng.bernoulli(c.attrNoise) ? rng.int(c.tags) : cl.tagPool[rng.int(cl.tagPool.length)]);
    // Old ads that ignore their cluster (drawn only when the knob is on, so irrelevantShare = 0 keeps the stream).
    const off = a < c.oldAds && c.irrelevantShare > 0 && rng.bernoulli(c.irrelevantShare);
    irrelevant[a] = off ? 1 : 0;
    const sorted = [...tags].sort((x, y) => x - y);
    if (off) sorted.splice(Math.min(sorted.length, c.maxTags - 1), sorted.length, c.tags); // the 'generic' tag, last
    sorted.forEach((t, j) => (at.tags[a * c.maxTags + j] = t + 1));
    const shared = off ? 0 : rho;
    const ownShare = off ? 1 : own;
    const r = cl.z.map((z) => shared * z + ownShare * rng.normal());
    const sEff = shared * cl.beta + ownShare * rng.normal() * c.idBiasStd;
    idEffect.set([...r, sEff], a * (L + 1));
    adVec.push(r.map((x, d) => c.attrStrength * (catVec[cat][d] + advVec[adv][d]) + c.idStrength * x * s));
    adBias[a] = c.attrStrength * (catBias[cat] + advBias[adv]) + c.idStrength * sEff;
  }
  const users = Array.from({ length: c.users }, () => {
    const age = rng.int(7);
    return { age, gender: rng.int(2), u: vec(c.userScale), bias: rng.normal() * 0.3 + (age - 3) * 0.05 };
  });
  const schema = coldStartSchema(c);
  const makePart = (adList: number[], per: number, name: string) => {
    const rows = adList.length * per;
    const col = {
      user_id: new Int32Array(rows), age: new Int32Array(rows), gender: new Int32Array(rows), ad_id: new Int32Array(rows),
      category: new Int32Array(rows), advertiser: new Int32Array(rows), campaign: new Int32Array(rows), tags: new Int32Array(rows * c.maxTags), click: new Float32Array(rows),
    };
    const truth = new Float32Array(rows);
    let i = 0;
    for (const a of adList) {
      for (let j = 0; j < per; j++, i++) {
        const uid = rng.int(c.users);
        const u = users[uid];
        let dot = 0;
        for (let d = 0; d < L; d++) dot += u.u[d] * adVec[a][d];
        const p = sigmoid(c.intercept + dot + adBias[a] + u.bias);
        col.user_id[i] = uid; col.age[i] = u.age; col.gender[i] = u.gender; col.ad_id[i] = a + 1;
        col.category[i] = at.category[a]; col.advertiser[i] = at.advertiser[a]; col.campaign[i] = at.campaign[a];
        col.tags.set(at.tags.subarray(a * c.maxTags, (a + 1) * c.maxTags), i * c.maxTags);
        col.click[i] = rng.bernoulli(p) ? 1 : 0;
        truth[i] = p;
      }
    }
    return { ds: Dataset.fromColumns(schema, col, `cold-start-world/${name}`), truth };
  };
  const oldList = Array.from({ length: c.oldAds }, (_, a) => a);
  const newList = Array.from({ length: c.newAds }, (_, a) => c.oldAds + a);
  const spec: Record<ColdStartPart, [number[], number]> = {
    pretrain: [oldList, c.oldImpressions], metaA: [oldList, c.metaShot], metaB: [oldList, c.metaShot], metaC: [oldList, c.metaShot], metaD: [oldList, c.metaShot],
    warmA: [newList, c.warmShot], warmB: [newList, c.warmShot], warmC: [newList, c.warmShot], test: [newList, c.testImpressions],
  };
  const parts = {} as Record<ColdStartPart, Dataset>;
  const truth = {} as Record<ColdStartPart, Float32Array>;
  for (const p of COLD_START_PARTS) {
    const made = makePart(spec[p][0], spec[p][1], p);
    // Pre-training rows are shuffled (one stream); meta and warm-up parts stay grouped by ad in ad order.
    const order = p === 'pretrain' ? shuffled(made.ds.size, rng) : null;
    parts[p] = order ? made.ds.take(order) : made.ds;
    truth[p] = order ? Float32Array.from(order, (j) => made.truth[j]) : made.truth;
  }
  return { name: 'cold-start-world', config: { ...c }, world: c, schema, idFeature: 'ad_id', label: 'click', parts, truth, ads, metaShot: c.metaShot, idEffect, cluster, irrelevant };
}

function shuffled(n: number, rng: Rng): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

/**
 * The ground-truth ceiling on one part: the metrics of the true probabilities.
 * @example
 * coldStartCeiling(w, 'test'); // { auc: 0.7..., logloss: 0.5... }
 */
export function coldStartCeiling(world: ColdStartWorld, part: ColdStartPart): Ceiling {
  const y = world.parts[part].label(world.label);
  return { auc: auc(y, world.truth[part]), logloss: logloss(y, world.truth[part]) };
}
