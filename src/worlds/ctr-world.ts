/**
 * The generic CTR world, reclab's default data: users with several latent interests, items grouped in categories,
 * behaviour sequences sampled from the interests, and impressions clicked with a known probability.
 *
 * Mechanism (what the world is built to show): a user's click probability on item i is
 *   p = sigmoid(b0 + beta * max_k cos(u_k, v_i) + b_i + a_u)
 * where u_k are the user's K latent interest vectors, v_i the item's latent vector, b_i item and a_u user biases.
 * Only ids, attributes and the behaviour sequence (items drawn from the same interests) are observed. The max over
 * interests makes the signal target-dependent: a model that attends over the sequence with the target (DIN) can
 * recover which interest matters, a mean-pooled sequence (DNN) blurs the interests together. Impressions per user are
 * few, so a user-id embedding alone cannot memorise the interests.
 */
import { Dataset } from '../data/dataset.ts';
import type { Schema } from '../data/schema.ts';
import { Rng } from '../random.ts';
import { sigmoid, splitByTime, type WorldData } from './world.ts';

/** Size and signal knobs of the CTR world; defaults in `CTR_WORLD_DEFAULTS`. */
export interface CtrWorldConfig {
  users: number;
  items: number;
  categories: number;
  /** Dimension of the latent vectors. */
  latentDim: number;
  /** Latent interests per user (K). */
  interestsPerUser: number;
  /** Maximum behaviour-sequence length (shorter sequences are padded). */
  historyLen: number;
  /** Minimum behaviour-sequence length. */
  minHistory: number;
  impressionsPerUser: number;
  /** Weight of the interest match beta (on cosine similarity in [-1, 1]). */
  interestStrength: number;
  /** Std of the item bias b_i. */
  itemBiasStd: number;
  /** Std of the user bias a_u. */
  userBiasStd: number;
  /** Intercept b0 (sets the click rate). */
  intercept: number;
  /** Share of impressions whose candidate comes from one of the user's interest categories. */
  relevantShare: number;
  /** Fractions of impressions (by time) in validation and test. */
  validShare: number;
  testShare: number;
  seed: number;
}

/** Defaults: 8k users, 3k items in 60 categories, 3 interests, sequences up to 20, 24 impressions per user. */
export const CTR_WORLD_DEFAULTS: CtrWorldConfig = {
  users: 8000,
  items: 3000,
  categories: 60,
  latentDim: 8,
  interestsPerUser: 3,
  historyLen: 20,
  minHistory: 5,
  impressionsPerUser: 24,
  interestStrength: 4,
  itemBiasStd: 0.5,
  userBiasStd: 0.4,
  intercept: -3,
  relevantShare: 0.5,
  validShare: 0.1,
  testShare: 0.2,
  seed: 7,
};

/** The world's schema (ids start at 1 where 0 is padding; `age_bucket`/`gender` are observed user attributes). */
export function ctrWorldSchema(c: CtrWorldConfig): Schema {
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: c.users },
      { kind: 'categorical', name: 'age_bucket', vocab: 7 },
      { kind: 'categorical', name: 'gender', vocab: 2 },
      { kind: 'categorical', name: 'item_id', vocab: c.items + 1 },
      { kind: 'categorical', name: 'category_id', vocab: c.categories + 1 },
      { kind: 'dense', name: 'item_popularity' },
      { kind: 'sequence', name: 'hist_item_id', vocab: c.items + 1, maxLen: c.historyLen, sharesWith: 'item_id' },
      { kind: 'sequence', name: 'hist_category_id', vocab: c.categories + 1, maxLen: c.historyLen, sharesWith: 'category_id' },
    ],
    labels: ['click'],
    userId: 'user_id',
    timestamp: 'ts',
  };
}

const KEYS = Object.keys(CTR_WORLD_DEFAULTS) as Array<keyof CtrWorldConfig>;

/** Resolves a partial config against the defaults (new object; unknown keys and bad values are errors). */
export function resolveCtrWorldConfig(partial: Partial<CtrWorldConfig> = {}): CtrWorldConfig {
  for (const k of Object.keys(partial)) {
    if (!KEYS.includes(k as keyof CtrWorldConfig)) throw new Error(`ctr-world config: unknown key '${k}' (known: ${KEYS.join(', ')})`);
  }
  const c = { ...CTR_WORLD_DEFAULTS, ...partial };
  for (const k of ['users', 'items', 'categories', 'latentDim', 'interestsPerUser', 'historyLen', 'minHistory', 'impressionsPerUser'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`ctr-world config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (c.minHistory > c.historyLen) throw new Error(`ctr-world config: minHistory (${c.minHistory}) > historyLen (${c.historyLen})`);
  if (c.items < c.categories) throw new Error(`ctr-world config: items (${c.items}) must be at least categories (${c.categories})`);
  if (!(c.validShare > 0 && c.testShare > 0 && c.validShare + c.testShare < 1)) throw new Error('ctr-world config: need validShare > 0, testShare > 0, validShare + testShare < 1');
  return c;
}

/**
 * Generates the world: deterministic for a given config (including `seed`).
 * @example
 * const world = generateCtrWorld({ users: 2000, items: 800 });
 * world.train.size; // about 2000 * 24 * 0.7
 */
export function generateCtrWorld(partial: Partial<CtrWorldConfig> = {}): WorldData {
  const c = resolveCtrWorldConfig(partial);
  const rng = new Rng(c.seed);
  const D = c.latentDim;
  const randVec = (scale: number) => Float64Array.from({ length: D }, () => rng.normal() * scale);

  // Categories and items: v_i = centre of its category + item-specific noise, scaled to unit-ish norm.
  const catCentre = Array.from({ length: c.categories }, () => randVec(1 / Math.sqrt(D)));
  const catPopularity = Float64Array.from({ length: c.categories }, (_, j) => 1 / (j + 1) ** 0.6);
  const itemCat = new Int32Array(c.items);
  const itemVec: Float64Array[] = [];
  const itemBias = new Float64Array(c.items);
  const itemsOfCat: number[][] = Array.from({ length: c.categories }, () => []);
  for (let i = 0; i < c.items; i++) {
    const cat = i < c.categories ? i : rng.categorical(catPopularity);
    itemCat[i] = cat;
    itemsOfCat[cat].push(i);
    const noise = randVec(0.6 / Math.sqrt(D));
    itemVec.push(catCentre[cat].map((x, d) => (x + noise[d]) * 1.6));
    itemBias[i] = rng.normal() * c.itemBiasStd;
  }
  const itemWeight = Float64Array.from({ length: c.items }, (_, i) => Math.exp(itemBias[i]));
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, d) => s + x * b[d], 0);
  const cos = (a: Float64Array, b: Float64Array) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b) + 1e-12);

  // Users: K interests, each anchored at a category; observed attributes loosely tied to the bias.
  const rows = c.users * c.impressionsPerUser;
  const col = {
    user_id: new Int32Array(rows), age_bucket: new Int32Array(rows), gender: new Int32Array(rows),
    item_id: new Int32Array(rows), category_id: new Int32Array(rows), item_popularity: new Float32Array(rows),
    hist_item_id: new Int32Array(rows * c.historyLen), hist_category_id: new Int32Array(rows * c.historyLen),
    click: new Float32Array(rows), ts: new Float64Array(rows),
  };
  const truth = new Float32Array(rows);
  const popularity = Float64Array.from(itemWeight, (w) => Math.log(w));
  let r = 0;
  for (let u = 0; u < c.users; u++) {
    const age = rng.int(7);
    const gender = rng.int(2);
    const userBias = c.userBiasStd * (rng.normal() * 0.8 + (age - 3) * 0.15);
    const interestCats = Array.from({ length: c.interestsPerUser }, () => rng.categorical(catPopularity));
    const interests = interestCats.map((cat) => catCentre[cat].map((x) => x * 1.6).map((x) => x + rng.normal() * 0.3 / Math.sqrt(D)));
    // Behaviour sequence, oldest first: each step picks an interest, then an item of that category.
    const len = c.minHistory + rng.int(c.historyLen - c.minHistory + 1);
    const hist = new Int32Array(c.historyLen);
    for (let t = 0; t < len; t++) {
      const cat = interestCats[rng.int(c.interestsPerUser)];
      const pool = itemsOfCat[cat];
      hist[t] = pool[rng.categorical(pool.map((i) => itemWeight[i]))] + 1;
    }
    const histCat = hist.map((id) => (id === 0 ? 0 : itemCat[id - 1] + 1));
    for (let k = 0; k < c.impressionsPerUser; k++, r++) {
      let item: number;
      if (rng.bernoulli(c.relevantShare)) {
        const pool = itemsOfCat[interestCats[rng.int(c.interestsPerUser)]];
        item = pool[rng.int(pool.length)];
      } else {
        item = rng.categorical(itemWeight);
      }
      let best = -Infinity;
      for (const uk of interests) best = Math.max(best, cos(uk, itemVec[item]));
      const p = sigmoid(c.intercept + c.interestStrength * best + itemBias[item] + userBias);
      col.user_id[r] = u;
      col.age_bucket[r] = age;
      col.gender[r] = gender;
      col.item_id[r] = item + 1;
      col.category_id[r] = itemCat[item] + 1;
      col.item_popularity[r] = popularity[item];
      col.hist_item_id.set(hist, r * c.historyLen);
      col.hist_category_id.set(histCat, r * c.historyLen);
      col.click[r] = rng.bernoulli(p) ? 1 : 0;
      col.ts[r] = rng.uniform();
      truth[r] = p;
    }
  }
  const all = Dataset.fromColumns(ctrWorldSchema(c), col, 'ctr-world');
  const { train, valid, test } = splitByTime(all, col.ts, { click: truth }, c);
  return {
    name: 'ctr-world',
    config: { ...c },
    train: train.ds,
    valid: valid.ds,
    test: test.ds,
    truth: { train: train.truth, valid: valid.truth, test: test.truth },
  };
}
