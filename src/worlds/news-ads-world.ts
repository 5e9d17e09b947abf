/**
 * The news -> ads world of MiNet (Ouyang et al., CIKM 2020, arXiv:2008.02974; spec ../shared/papers/minet.md §2):
 * shared users read news (the source domain, dense behaviour) and see ads (the target domain, sparse behaviour).
 *
 * Mechanism (what the world is built to show): topics live in one latent space shared by news and ad categories. A
 * user has a long-term interest L_u (fixed for the user) and, in every session, a short-term news interest S and a
 * short-term ad interest T (drawn afresh per session). The true click probabilities are
 *   ad:   p_t = sigmoid(b_t + wLong cos(L_u, v_a) + wShortSource cos(S, v_a) + wShortTarget cos(T, v_a) + b_a)
 *   news: p_s = sigmoid(b_s + sourceLong cos(L_u, v_n) + sourceShort cos(S, v_n) + b_n)
 * Observed per ad impression: the user id (L_u is learnable only from the user's impressions across sessions, and the
 * dense news impressions of the auxiliary task help), the session's recent news clicks (drawn mostly around S, some
 * around L_u) and recent ad clicks (around T, some around L_u; their number follows the user's ad activity, so many
 * users have 0-2 ad clicks). Each of MiNet's three interests carries a signal whose size `wLong`, `wShortSource`,
 * `wShortTarget` control; `truthWithout` scores the truth model with one component removed.
 * Every ad row also carries one news impression of the same session (`src_*` columns, label `src_click`) for the
 * auxiliary source-domain loss. `targetDomainView` drops them for single-domain models.
 * Column names (shared with the Amazon loader): user_id; ad item_id, item_cat; hist_item_id, hist_item_cat (N1 recent
 * ad clicks); src_hist_item_id, src_hist_item_cat (N2 recent news clicks); src_item_id, src_item_cat; labels click,
 * src_click; ts. Ids start at 1 (0 is padding) except user_id.
 */
import { z } from 'zod';
import { Dataset, type Column } from '../data/dataset.ts';
import type { Schema } from '../data/schema.ts';
import { Rng } from '../random.ts';
import { sigmoid, splitByTime, type WorldData } from './world.ts';

const posInt = z.number().int().min(1);
/**
 * Strict, partial config schema of the world (unknown keys are errors).
 * @example
 * NewsAdsWorldConfigSpec.parse({ users: 500, wShortSource: 0 });
 */
export const NewsAdsWorldConfigSpec = z.strictObject({
  users: posInt, newsItems: posInt, adItems: posInt, topics: posInt, newsCategories: posInt, adCategories: posInt, latentDim: posInt,
  sessionsPerUser: posInt, adImpressionsPerSession: posInt, newsHistoryLen: posInt, minNewsHistory: z.number().int().min(0),
  adHistoryLen: posInt, adActivityMean: z.number().min(0),
  wLong: z.number().min(0), wShortSource: z.number().min(0), wShortTarget: z.number().min(0),
  sourceLong: z.number().min(0), sourceShort: z.number().min(0),
  targetIntercept: z.number(), sourceIntercept: z.number(), itemBiasStd: z.number().min(0), relevantShare: z.number().min(0).max(1),
  validShare: z.number().gt(0).lt(1), testShare: z.number().gt(0).lt(1), seed: z.number().int(),
}).partial();
/** Config of the world (every key of `NewsAdsWorldConfigSpec`, resolved). */
export type NewsAdsWorldConfig = Required<z.infer<typeof NewsAdsWorldConfigSpec>>;

/** Defaults (the 'quick' size): 3 000 users x 4 sessions x 5 ad impressions, N1 = 10 ad clicks, N2 = 20 news clicks. */
export const NEWS_ADS_WORLD_DEFAULTS: NewsAdsWorldConfig = {
  users: 3000, newsItems: 800, adItems: 300, topics: 8, newsCategories: 16, adCategories: 12, latentDim: 8,
  sessionsPerUser: 4, adImpressionsPerSession: 5, newsHistoryLen: 20, minNewsHistory: 8, adHistoryLen: 10, adActivityMean: 2,
  wLong: 2, wShortSource: 2, wShortTarget: 2, sourceLong: 1.5, sourceShort: 2,
  targetIntercept: -2.8, sourceIntercept: -1.5, itemBiasStd: 0.4, relevantShare: 0.6,
  validShare: 0.15, testShare: 0.25, seed: 11,
};

/**
 * Named sizes: `tiny` (tests, notebook), `quick` (= defaults, the quick pipelines), `full`.
 * @example
 * generateNewsAdsWorld(NEWS_ADS_PRESETS.tiny).train.size; // about 2 400
 */
export const NEWS_ADS_PRESETS: Record<'tiny' | 'quick' | 'full', Partial<NewsAdsWorldConfig>> = {
  tiny: { users: 300, newsItems: 200, adItems: 100, sessionsPerUser: 3, adImpressionsPerSession: 4 },
  quick: {},
  full: { users: 20000, newsItems: 4000, adItems: 1500, topics: 12, newsCategories: 36, adCategories: 24, sessionsPerUser: 5 },
};

/** Keys of the truth record: the labels, plus the per-row terms of the ad logit (for `truthWithout`). */
export const NEWS_ADS_TRUTH = { click: 'click', srcClick: 'src_click', long: 'term_long', shortSource: 'term_short_source', shortTarget: 'term_short_target' } as const;
/** The three interests of MiNet, as components of the truth model. */
export type NewsAdsInterest = 'long' | 'shortSource' | 'shortTarget';

/**
 * Resolves a partial config (new object); unknown keys and bad values are errors naming the key.
 * @example
 * resolveNewsAdsWorldConfig({ users: 100 }).adHistoryLen; // 10
 */
export function resolveNewsAdsWorldConfig(partial: Partial<NewsAdsWorldConfig> = {}): NewsAdsWorldConfig {
  const parsed = NewsAdsWorldConfigSpec.safeParse(partial);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? (issue as { keys?: string[] }).keys?.[0] ?? '');
    throw new Error(`news-ads-world config: '${key}' ${issue.message}`);
  }
  const c: NewsAdsWorldConfig = { ...NEWS_ADS_WORLD_DEFAULTS, ...partial };
  if (c.minNewsHistory > c.newsHistoryLen) throw new Error(`news-ads-world config: minNewsHistory (${c.minNewsHistory}) > newsHistoryLen (${c.newsHistoryLen})`);
  if (c.newsItems < c.newsCategories || c.adItems < c.adCategories) throw new Error('news-ads-world config: need newsItems >= newsCategories and adItems >= adCategories');
  if (c.validShare + c.testShare >= 1) throw new Error('news-ads-world config: validShare + testShare must be < 1');
  return c;
}

/** The world's schema (see the file header for the columns). */
export function newsAdsSchema(c: NewsAdsWorldConfig): Schema {
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: c.users },
      { kind: 'categorical', name: 'item_id', vocab: c.adItems + 1 },
      { kind: 'categorical', name: 'item_cat', vocab: c.adCategories + 1 },
      { kind: 'sequence', name: 'hist_item_id', vocab: c.adItems + 1, maxLen: c.adHistoryLen, sharesWith: 'item_id' },
      { kind: 'sequence', name: 'hist_item_cat', vocab: c.adCategories + 1, maxLen: c.adHistoryLen, sharesWith: 'item_cat' },
      { kind: 'categorical', name: 'src_item_id', vocab: c.newsItems + 1 },
      { kind: 'categorical', name: 'src_item_cat', vocab: c.newsCategories + 1 },
      { kind: 'sequence', name: 'src_hist_item_id', vocab: c.newsItems + 1, maxLen: c.newsHistoryLen, sharesWith: 'src_item_id' },
      { kind: 'sequence', name: 'src_hist_item_cat', vocab: c.newsCategories + 1, maxLen: c.newsHistoryLen, sharesWith: 'src_item_cat' },
    ],
    labels: ['click', 'src_click'],
    userId: 'user_id',
    timestamp: 'ts',
  };
}

/**
 * The target-domain view of a cross-domain dataset: every `src_*` feature and label dropped (the rows are the same
 * ad impressions), for single-domain models such as DNN and DIN.
 * @example
 * targetDomainView(world.train).schema.labels; // ['click']
 */
export function targetDomainView(ds: Dataset): Dataset {
  const keep = (n: string) => !n.startsWith('src_');
  const schema: Schema = { ...ds.schema, features: ds.schema.features.filter((f) => keep(f.name)), labels: ds.schema.labels.filter(keep) };
  const cols: Record<string, Column> = {};
  for (const n of ds.columnNames()) if (keep(n)) cols[n] = ds.column(n);
  return Dataset.fromColumns(schema, cols, 'target-domain view');
}

interface Domain { vec: Float64Array[]; cat: Int32Array; bias: Float64Array; weight: Float64Array; byTopic: number[][] }

/**
 * Generates the world; deterministic for a given config (including `seed`). Truth keys: `NEWS_ADS_TRUTH`.
 * @example
 * const world = generateNewsAdsWorld({ users: 500 });
 * groundTruthCeiling(world, 'test', 'click').auc; // about 0.8
 */
export function generateNewsAdsWorld(partial: Partial<NewsAdsWorldConfig> = {}): WorldData {
  const c = resolveNewsAdsWorldConfig(partial);
  const rng = new Rng(c.seed);
  const D = c.latentDim;
  const randVec = (scale: number) => Float64Array.from({ length: D }, () => rng.normal() * scale);
  const topic = Array.from({ length: c.topics }, () => randVec(1));
  const topicWeight = Float64Array.from({ length: c.topics }, (_, j) => 1 / (j + 1) ** 0.5);
  const around = (centre: Float64Array, noise: number) => centre.map((x) => x + rng.normal() * noise);
  const domain = (items: number, cats: number): Domain => {
    const catTopic = Int32Array.from({ length: cats }, (_, k) => (k < c.topics ? k : rng.categorical(topicWeight)));
    const catVec = Array.from(catTopic, (t) => around(topic[t], 0.35));
    const d: Domain = { vec: [], cat: new Int32Array(items), bias: new Float64Array(items), weight: new Float64Array(items), byTopic: Array.from({ length: c.topics }, () => []) };
    for (let i = 0; i < items; i++) {
      const k = i < cats ? i : rng.int(cats);
      d.cat[i] = k;
      d.vec.push(around(catVec[k], 0.35));
      d.bias[i] = rng.normal() * c.itemBiasStd;
      d.weight[i] = Math.exp(d.bias[i]);
      d.byTopic[catTopic[k]].push(i);
    }
    return d;
  };
  const news = domain(c.newsItems, c.newsCategories);
  const ads = domain(c.adItems, c.adCategories);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, d) => s + x * b[d], 0);
  const cos = (a: Float64Array, b: Float64Array) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b) + 1e-12);
  const drawTopic = () => rng.categorical(topicWeight);
  // An item of the domain near a topic (popularity-weighted), falling back to any item when the topic has none.
  const itemNear = (d: Domain, t: number) => {
    const pool = d.byTopic[t];
    return pool.length ? pool[rng.categorical(pool.map((i) => d.weight[i]))] : rng.categorical(d.weight);
  };
  const candidate = (d: Domain, topics: number[]) => (rng.bernoulli(c.relevantShare) ? itemNear(d, topics[rng.int(topics.length)]) : rng.categorical(d.weight));

  const rows = c.users * c.sessionsPerUser * c.adImpressionsPerSession;
  const N1 = c.adHistoryLen;
  const N2 = c.newsHistoryLen;
  const col = {
    user_id: new Int32Array(rows), item_id: new Int32Array(rows), item_cat: new Int32Array(rows),
    hist_item_id: new Int32Array(rows * N1), hist_item_cat: new Int32Array(rows * N1),
    src_item_id: new Int32Array(rows), src_item_cat: new Int32Array(rows),
    src_hist_item_id: new Int32Array(rows * N2), src_hist_item_cat: new Int32Array(rows * N2),
    click: new Float32Array(rows), src_click: new Float32Array(rows), ts: new Float64Array(rows),
  };
  const truth = { click: new Float32Array(rows), src_click: new Float32Array(rows), term_long: new Float32Array(rows), term_short_source: new Float32Array(rows), term_short_target: new Float32Array(rows) };
  let r = 0;
  for (let u = 0; u < c.users; u++) {
    const longTopic = drawTopic();
    const L = around(topic[longTopic], 0.3);
    // Ad activity: the mean number of recent ad clicks of this user (exponential around adActivityMean).
    const activity = -Math.log(1 - rng.uniform()) * c.adActivityMean;
    for (let s = 0; s < c.sessionsPerUser; s++) {
      const sTopic = drawTopic();
      const tTopic = drawTopic();
      const S = around(topic[sTopic], 0.3);
      const T = around(topic[tTopic], 0.3);
      const nNews = c.minNewsHistory + rng.int(N2 - c.minNewsHistory + 1);
      const newsHist = new Int32Array(N2);
      for (let j = 0; j < nNews; j++) newsHist[j] = itemNear(news, rng.bernoulli(0.7) ? sTopic : longTopic) + 1;
      let nAds = 0;
      for (let lim = Math.exp(-activity), prod = rng.uniform(); prod > lim && nAds < N1; prod *= rng.uniform()) nAds++; // Poisson(activity), capped
      const adHist = new Int32Array(N1);
      for (let j = 0; j < nAds; j++) adHist[j] = itemNear(ads, rng.bernoulli(0.75) ? tTopic : longTopic) + 1;
      const newsHistCat = newsHist.map((id) => (id === 0 ? 0 : news.cat[id - 1] + 1));
      const adHistCat = adHist.map((id) => (id === 0 ? 0 : ads.cat[id - 1] + 1));
      for (let k = 0; k < c.adImpressionsPerSession; k++, r++) {
        const a = candidate(ads, [longTopic, sTopic, tTopic]);
        const tl = c.wLong * cos(L, ads.vec[a]);
        const ts = c.wShortSource * cos(S, ads.vec[a]);
        const tt = c.wShortTarget * cos(T, ads.vec[a]);
        const pt = sigmoid(c.targetIntercept + tl + ts + tt + ads.bias[a]);
        const n = candidate(news, [longTopic, sTopic]);
        const ps = sigmoid(c.sourceIntercept + c.sourceLong * cos(L, news.vec[n]) + c.sourceShort * cos(S, news.vec[n]) + news.bias[n]);
        col.user_id[r] = u;
        col.item_id[r] = a + 1;
        col.item_cat[r] = ads.cat[a] + 1;
        col.hist_item_id.set(adHist, r * N1);
        col.hist_item_cat.set(adHistCat, r * N1);
        col.src_item_id[r] = n + 1;
        col.src_item_cat[r] = news.cat[n] + 1;
        col.src_hist_item_id.set(newsHist, r * N2);
        col.src_hist_item_cat.set(newsHistCat, r * N2);
        col.click[r] = rng.bernoulli(pt) ? 1 : 0;
        col.src_click[r] = rng.bernoulli(ps) ? 1 : 0;
        col.ts[r] = (s + rng.uniform()) / c.sessionsPerUser;
        truth.click[r] = pt;
        truth.src_click[r] = ps;
        truth.term_long[r] = tl;
        truth.term_short_source[r] = ts;
        truth.term_short_target[r] = tt;
      }
    }
  }
  const all = Dataset.fromColumns(newsAdsSchema(c), col, 'news-ads-world');
  const parts = splitByTime(all, col.ts, truth, c);
  return {
    name: 'news-ads-world',
    config: { ...c },
    train: parts.train.ds, valid: parts.valid.ds, test: parts.test.ds,
    truth: { train: parts.train.truth, valid: parts.valid.truth, test: parts.test.truth },
  };
}

/**
 * The truth model of the ad click with one interest's term removed from the logit: what a perfect model that cannot
 * see that interest would score (the labels stay those sampled from the full model). Its AUC on the same rows shows
 * how much signal the interest carries.
 * @example
 * auc(world.test.label('click'), truthWithout(world, 'test', 'shortSource')); // below the ceiling
 */
export function truthWithout(world: WorldData, part: 'train' | 'valid' | 'test', interest: NewsAdsInterest): Float32Array {
  const t = world.truth[part];
  const term = t[NEWS_ADS_TRUTH[interest]];
  if (!term) throw new Error(`truthWithout: world '${world.name}' has no truth term for '${interest}'`);
  return t.click.map((p, i) => sigmoid(Math.log(p / (1 - p)) - term[i]));
}

/**
 * Number of recent target-domain (ad) clicks of every row: the segment key of the interest-weight table.
 * @example
 * targetHistoryCounts(world.test); // Int32Array of values in [0, N1]
 */
export function targetHistoryCounts(ds: Dataset, column = 'hist_item_id'): Int32Array {
  const h = ds.column(column);
  const L = ds.widthOf(column);
  const out = new Int32Array(ds.size);
  for (let i = 0; i < ds.size; i++) {
    let n = 0;
    for (let j = 0; j < L; j++) if (h[i * L + j] > 0) n++;
    out[i] = n;
  }
  return out;
}
