/**
 * The multimodal world (QARM, EM3): the CTR world's users and behaviour, plus raw item content generated from latent
 * semantics — two token sequences over a small vocabulary ("title" and the noisier "ASR") and a tiny 32x32x3 image —
 * with a knob for how far the content's semantics depart from what users act on (QARM's "representation unmatching").
 *
 * Mechanism:
 *   behaviour latent   v_i = 1.6 (centre_{cat(i)} + noise)              (drives clicks, as in ctr-world)
 *   content latent     z_i = sqrt(1 - m^2) v̂_i + m ĉ_{topic(i)} + 0.15 n_i  (m = `mismatch`; topics are content-only
 *                                                                      clusters users do not care about)
 *   title / ASR tokens ~ softmax_t(sharpness * e_t · ẑ_i)              (ASR: lower sharpness and filler tokens)
 *   image              = tanh(gain * sum_d ẑ_i[d] P_d + N(0, imageNoise)) (P_d fixed coloured gratings)
 *   click              p = sigmoid(b0 + beta max_k cos(u_k, v_i) + b_i + a_u)
 * Content never sees v_i except through z_i, so at m = 1 the content predicts nothing users do. A share of items
 * (`newItemShare`) is cold-start: shown only in the test period and absent from every behaviour sequence, so their
 * id embeddings never train and only content (or codes built from it) can rank them.
 * Observed features: user_id, age_bucket, gender, item_id, hist_item_id; content by item id (`content`). The
 * category, topic and latents are ground truth (`latent`), for diagnostics only; they never enter a Dataset.
 */
import { Dataset } from '../data/dataset.ts';
import type { Schema } from '../data/schema.ts';
import { Rng } from '../random.ts';
import { sigmoid, splitByTime, type WorldData } from './world.ts';

/** Knobs of the multimodal world; defaults in `MULTIMODAL_WORLD_DEFAULTS`, presets in `MULTIMODAL_PRESETS`. */
export interface MultimodalWorldConfig {
  users: number;
  items: number;
  categories: number;
  /** Content-only topics (what the mismatch mixes in). */
  contentTopics: number;
  latentDim: number;
  interestsPerUser: number;
  historyLen: number;
  minHistory: number;
  impressionsPerUser: number;
  interestStrength: number;
  itemBiasStd: number;
  userBiasStd: number;
  intercept: number;
  relevantShare: number;
  /** Representation unmatching m in [0, 1]: 0 = content reflects the behaviour latent, 1 = content is unrelated. */
  mismatch: number;
  /** Share of items that are new (cold-start): shown only in the test period, never in sequences. */
  newItemShare: number;
  /** Token vocabulary size (ids 1..vocab; 0 is padding). */
  vocab: number;
  titleLen: number;
  asrLen: number;
  titleSharpness: number;
  asrSharpness: number;
  /** Share of ASR tokens replaced by uniform filler tokens. */
  asrFiller: number;
  imageGain: number;
  imageNoise: number;
  validShare: number;
  testShare: number;
  seed: number;
}

/** Defaults (the 'quick' preset): 1 500 users, 1 200 items, mismatch 0.6. */
export const MULTIMODAL_WORLD_DEFAULTS: MultimodalWorldConfig = {
  users: 1500, items: 1200, categories: 30, contentTopics: 30, latentDim: 8, interestsPerUser: 3, historyLen: 20, minHistory: 5,
  impressionsPerUser: 20, interestStrength: 4, itemBiasStd: 0.5, userBiasStd: 0.4, intercept: -3.5, relevantShare: 0.5,
  mismatch: 0.6, newItemShare: 0.15, vocab: 200, titleLen: 12, asrLen: 24, titleSharpness: 3, asrSharpness: 2, asrFiller: 0.3,
  imageGain: 1.5, imageNoise: 0.3, validShare: 0.1, testShare: 0.2, seed: 11,
};

/** Size presets: tiny (tests, notebooks), quick (CI pipelines), full. */
export const MULTIMODAL_PRESETS: Record<'tiny' | 'quick' | 'full', Partial<MultimodalWorldConfig>> = {
  tiny: { users: 300, items: 240, categories: 12, contentTopics: 12, impressionsPerUser: 16 },
  quick: {},
  full: { users: 8000, items: 4000, categories: 60, contentTopics: 60, impressionsPerUser: 24 },
};

/** Image side and channels (32x32x3). */
export const IMAGE_SHAPE = [3, 32, 32] as const;

/** The items' raw content, row i = item id i + 1 (Int32 tokens, 0 = padding; images channels-first in [-1, 1]). */
export interface ItemContent {
  items: number;
  title: Int32Array; // (items, titleLen)
  asr: Int32Array; // (items, asrLen)
  image: Float32Array; // (items, 3, 32, 32)
  titleLen: number;
  asrLen: number;
  vocab: number;
}

/** Ground truth per item, for diagnostics and tests only (never a feature). */
export interface ItemLatent {
  category: Int32Array;
  topic: Int32Array;
  behaviour: Float32Array; // (items, D)
  content: Float32Array; // (items, D)
}

/** A multimodal world: the datasets, the item content and the item truth. */
export interface MultimodalWorld extends WorldData {
  content: ItemContent;
  latent: ItemLatent;
  /** 1 for new (cold-start) items, by item row. Observable: these items have no training impression. */
  isNew: Uint8Array;
  /** Observed user features by user id: age bucket, gender, behaviour sequence (users, historyLen) of item ids. */
  users: { age: Int32Array; gender: Int32Array; hist: Int32Array };
  /** Ground truth P(click | user, item row), for simulators (e.g. an A/B candidate pool); never a feature. */
  clickProbability(user: number, itemRow: number): number;
}

/** The schema (item ids start at 1; 0 pads the sequence). */
export function multimodalWorldSchema(c: MultimodalWorldConfig): Schema {
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: c.users },
      { kind: 'categorical', name: 'age_bucket', vocab: 7 },
      { kind: 'categorical', name: 'gender', vocab: 2 },
      { kind: 'categorical', name: 'item_id', vocab: c.items + 1 },
      { kind: 'sequence', name: 'hist_item_id', vocab: c.items + 1, maxLen: c.historyLen, sharesWith: 'item_id' },
    ],
    labels: ['click'],
    userId: 'user_id',
    timestamp: 'ts',
  };
}

const KEYS = Object.keys(MULTIMODAL_WORLD_DEFAULTS) as Array<keyof MultimodalWorldConfig>;
const INTS = ['users', 'items', 'categories', 'contentTopics', 'latentDim', 'interestsPerUser', 'historyLen', 'minHistory', 'impressionsPerUser', 'vocab', 'titleLen', 'asrLen'] as const;

/**
 * Resolves a partial config (new object); unknown keys and bad values are errors naming the key.
 * @example
 * resolveMultimodalWorldConfig({ ...MULTIMODAL_PRESETS.tiny, mismatch: 0 }).items; // 240
 */
export function resolveMultimodalWorldConfig(partial: Partial<MultimodalWorldConfig> = {}): MultimodalWorldConfig {
  for (const k of Object.keys(partial)) {
    if (!KEYS.includes(k as keyof MultimodalWorldConfig)) throw new Error(`multimodal-world config: unknown key '${k}' (known: ${KEYS.join(', ')})`);
  }
  const c = { ...MULTIMODAL_WORLD_DEFAULTS, ...partial };
  for (const k of INTS) if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`multimodal-world config: '${k}' must be a positive integer, got ${c[k]}`);
  for (const k of ['mismatch', 'newItemShare', 'asrFiller'] as const) if (!(c[k] >= 0 && c[k] <= 1)) throw new Error(`multimodal-world config: '${k}' must lie in [0, 1], got ${c[k]}`);
  if (c.minHistory > c.historyLen) throw new Error(`multimodal-world config: minHistory (${c.minHistory}) > historyLen (${c.historyLen})`);
  if (c.items < 2 * c.categories) throw new Error(`multimodal-world config: items (${c.items}) must be at least 2 * categories (${c.categories})`);
  if (!(c.validShare > 0 && c.testShare > 0 && c.validShare + c.testShare < 1)) throw new Error('multimodal-world config: need validShare > 0, testShare > 0, validShare + testShare < 1');
  return c;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let d = 0; d < a.length; d++) s += a[d] * b[d];
  return s;
};
const unit = (a: Float64Array) => {
  const n = Math.sqrt(dot(a, a)) + 1e-12;
  return a.map((x) => x / n);
};

/** Draws `len` tokens (ids 1..V) from softmax(sharpness * E z), replacing a `filler` share by uniform tokens. */
function sampleTokens(rng: Rng, tokenVec: Float64Array[], z: Float64Array, len: number, sharpness: number, filler: number): Int32Array {
  const logits = tokenVec.map((e) => sharpness * dot(e, z));
  const mx = Math.max(...logits);
  const w = logits.map((l) => Math.exp(l - mx));
  return Int32Array.from({ length: len }, () => 1 + (rng.bernoulli(filler) ? rng.int(tokenVec.length) : rng.categorical(w)));
}

/** D coloured gratings (3, 32, 32) with random orientation, frequency, phase and colour mix. */
function gratings(rng: Rng, D: number): Float32Array[] {
  const [C, H, W] = IMAGE_SHAPE;
  return Array.from({ length: D }, () => {
    const theta = rng.uniform() * Math.PI;
    const freq = 1 + rng.int(4);
    const phase = rng.uniform() * 2 * Math.PI;
    const colour = [rng.normal(), rng.normal(), rng.normal()];
    const p = new Float32Array(C * H * W);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const s = Math.sin((2 * Math.PI * freq * (x * Math.cos(theta) + y * Math.sin(theta))) / W + phase);
        for (let ch = 0; ch < C; ch++) p[(ch * H + y) * W + x] = (s * colour[ch]) / Math.sqrt(3);
      }
    }
    return p;
  });
}

/**
 * Generates the world; deterministic for a given config (including `seed`).
 * @example
 * const w = generateMultimodalWorld(MULTIMODAL_PRESETS.tiny);
 * w.content.title.length === w.content.items * w.content.titleLen; // true
 */
export function generateMultimodalWorld(partial: Partial<MultimodalWorldConfig> = {}): MultimodalWorld {
  const c = resolveMultimodalWorldConfig(partial);
  const rng = new Rng(c.seed);
  const contentRng = rng.fork();
  const D = c.latentDim;
  const randVec = (r: Rng, scale: number) => Float64Array.from({ length: D }, () => r.normal() * scale);

  // Items: behaviour latent (categories) and content latent (mixed with content-only topics).
  const catCentre = Array.from({ length: c.categories }, () => randVec(rng, 1 / Math.sqrt(D)));
  const topicCentre = Array.from({ length: c.contentTopics }, () => unit(randVec(contentRng, 1)));
  const catPopularity = Float64Array.from({ length: c.categories }, (_, j) => 1 / (j + 1) ** 0.6);
  const latent: ItemLatent = { category: new Int32Array(c.items), topic: new Int32Array(c.items), behaviour: new Float32Array(c.items * D), content: new Float32Array(c.items * D) };
  const itemVec: Float64Array[] = [];
  const itemBias = new Float64Array(c.items);
  const isNew = new Uint8Array(c.items);
  const oldOfCat: number[][] = Array.from({ length: c.categories }, () => []);
  const newOfCat: number[][] = Array.from({ length: c.categories }, () => []);
  const contentVec: Float64Array[] = [];
  const s = Math.sqrt(1 - c.mismatch ** 2);
  for (let i = 0; i < c.items; i++) {
    const cat = i < 2 * c.categories ? i % c.categories : rng.categorical(catPopularity);
    latent.category[i] = cat;
    isNew[i] = i >= 2 * c.categories && rng.bernoulli(c.newItemShare) ? 1 : 0;
    (isNew[i] ? newOfCat : oldOfCat)[cat].push(i);
    const noise = randVec(rng, 0.6 / Math.sqrt(D));
    const v = catCentre[cat].map((x, d) => (x + noise[d]) * 1.6);
    itemVec.push(v);
    itemBias[i] = rng.normal() * c.itemBiasStd;
    const topic = contentRng.int(c.contentTopics);
    latent.topic[i] = topic;
    const vHat = unit(v);
    const z = unit(vHat.map((x, d) => s * x + c.mismatch * topicCentre[topic][d] + 0.15 * contentRng.normal()));
    contentVec.push(z);
    latent.behaviour.set(v, i * D);
    latent.content.set(z, i * D);
  }

  // Content: tokens from z through token vectors; images from z through fixed gratings.
  const tokenVec = Array.from({ length: c.vocab }, () => randVec(contentRng, 1));
  const patterns = gratings(contentRng, D);
  const px = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2];
  const content: ItemContent = {
    items: c.items, titleLen: c.titleLen, asrLen: c.asrLen, vocab: c.vocab,
    title: new Int32Array(c.items * c.titleLen), asr: new Int32Array(c.items * c.asrLen), image: new Float32Array(c.items * px),
  };
  for (let i = 0; i < c.items; i++) {
    const z = contentVec[i];
    content.title.set(sampleTokens(contentRng, tokenVec, z, c.titleLen, c.titleSharpness, 0), i * c.titleLen);
    content.asr.set(sampleTokens(contentRng, tokenVec, z, c.asrLen, c.asrSharpness, c.asrFiller), i * c.asrLen);
    const img = content.image.subarray(i * px, (i + 1) * px);
    for (let d = 0; d < D; d++) {
      const p = patterns[d];
      const w = c.imageGain * z[d] * Math.sqrt(D);
      for (let k = 0; k < px; k++) img[k] += w * p[k];
    }
    for (let k = 0; k < px; k++) img[k] = Math.tanh(img[k] + c.imageNoise * contentRng.normal());
  }

  // Users and impressions (as in ctr-world); new items only in the test period and never in sequences.
  const weight = Float64Array.from(itemBias, (b) => Math.exp(b));
  const oldItems = Array.from({ length: c.items }, (_, i) => i).filter((i) => !isNew[i]);
  const oldWeight = oldItems.map((i) => weight[i]);
  const cos = (a: Float64Array, b: Float64Array) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b) + 1e-12);
  const rows = c.users * c.impressionsPerUser;
  const col = {
    user_id: new Int32Array(rows), age_bucket: new Int32Array(rows), gender: new Int32Array(rows), item_id: new Int32Array(rows),
    hist_item_id: new Int32Array(rows * c.historyLen), click: new Float32Array(rows), ts: new Float64Array(rows),
  };
  const truth = new Float32Array(rows);
  const testStart = 1 - c.testShare;
  const users = { age: new Int32Array(c.users), gender: new Int32Array(c.users), hist: new Int32Array(c.users * c.historyLen) };
  const userTruth: Array<{ bias: number; interests: Float64Array[] }> = [];
  const pClick = (u: number, item: number) => {
    let best = -Infinity;
    for (const uk of userTruth[u].interests) best = Math.max(best, cos(uk, itemVec[item]));
    return sigmoid(c.intercept + c.interestStrength * best + itemBias[item] + userTruth[u].bias);
  };
  let r = 0;
  for (let u = 0; u < c.users; u++) {
    const age = rng.int(7);
    const gender = rng.int(2);
    const userBias = c.userBiasStd * (rng.normal() * 0.8 + (age - 3) * 0.15);
    const interestCats = Array.from({ length: c.interestsPerUser }, () => rng.categorical(catPopularity));
    const interests = interestCats.map((cat) => catCentre[cat].map((x) => x * 1.6 + (rng.normal() * 0.3) / Math.sqrt(D)));
    const len = c.minHistory + rng.int(c.historyLen - c.minHistory + 1);
    const hist = new Int32Array(c.historyLen);
    for (let t = 0; t < len; t++) {
      const pool = oldOfCat[interestCats[rng.int(c.interestsPerUser)]];
      hist[t] = pool[rng.categorical(pool.map((i) => weight[i]))] + 1;
    }
    users.age[u] = age;
    users.gender[u] = gender;
    users.hist.set(hist, u * c.historyLen);
    userTruth.push({ bias: userBias, interests });
    for (let k = 0; k < c.impressionsPerUser; k++, r++) {
      const ts = rng.uniform();
      const inTest = ts >= testStart;
      let item: number;
      if (rng.bernoulli(c.relevantShare)) {
        const cat = interestCats[rng.int(c.interestsPerUser)];
        const pool = inTest ? [...oldOfCat[cat], ...newOfCat[cat]] : oldOfCat[cat];
        item = pool[rng.int(pool.length)];
      } else item = inTest ? rng.categorical(weight) : oldItems[rng.categorical(oldWeight)];
      const p = pClick(u, item);
      col.user_id[r] = u;
      col.age_bucket[r] = age;
      col.gender[r] = gender;
      col.item_id[r] = item + 1;
      col.hist_item_id.set(hist, r * c.historyLen);
      col.click[r] = rng.bernoulli(p) ? 1 : 0;
      col.ts[r] = ts;
      truth[r] = p;
    }
  }
  const all = Dataset.fromColumns(multimodalWorldSchema(c), col, 'multimodal-world');
  const { train, valid, test } = splitByTime(all, col.ts, { click: truth }, c);
  return {
    name: 'multimodal-world', config: { ...c }, train: train.ds, valid: valid.ds, test: test.ds,
    truth: { train: train.truth, valid: valid.truth, test: test.truth }, content, latent, isNew, users,
    clickProbability: (u, i) => {
      if (!(u >= 0 && u < c.users && i >= 0 && i < c.items)) throw new Error(`clickProbability: user ${u} or item row ${i} is out of range`);
      return pClick(u, i);
    },
  };
}
