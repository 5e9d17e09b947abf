/**
 * The news -> ads world of MiNet (Ouyang et al., CIKM 2020, arXiv:2008.02974; spec ../shared/papers/minet.md §2):
 * shared users read news (the source domain, dense behaviour) and see ads (the target domain, sparse behaviour).
 *
 * Mechanism (what the world is built to show): topics live in one latent space shared by news and ad categories. A
 * user has a long-term interest L_u (fixed for the user) and, in every session, a short-term news interest S and a
 * short-term ad interest T (drawn afresh per session). The true click probabilities are
 *   ad:   p_t = sigmoid(b_t + wLong cos(L_u, v_a) + wShortSource cos(S, v_a) + wShortTarget cos(T, v_a) + b_a [+ knob terms])
 *   news: p_s = sigmoid(b_s + sourceLong cos(L_u, v_n) + sourceShort cos(S, v_n) + b_n)
 * Observed per ad impression: the user id (L_u is learnable only from the user's impressions across sessions, and the
 * dense news impressions of the auxiliary task help), the session's recent news clicks (drawn mostly around S, some
 * around L_u) and recent ad clicks (around T, some around L_u; their number follows the user's ad activity, so many
 * users have 0-2 ad clicks). Each of MiNet's three interests carries a signal whose size `wLong`, `wShortSource`,
 * `wShortTarget` control; `truthWithout` scores the truth model with one component removed.
 * Mechanism knobs (issue 15; each 0 = absent, which gives the world of the first version, where mean pooling and fixed
 * interest weights were enough):
 * - `activityMix` (m in [0, 1]): the interest mix differs by user and follows the user's ad activity A_u (the Poisson
 *   mean of their recent ad clicks, observable through the number of ad clicks in the history): with
 *   x_u = (A_u - adActivityMean) / (A_u + adActivityMean) in (-1, 1), the weights become wShortTarget (1 + m x_u) for
 *   the short-term ad interest and wLong (1 - m x_u), wShortSource (1 - m x_u) for the long-term and news interests —
 *   heavy ad clickers follow their recent ads, users with few ad clicks their long-term and news interests.
 * - `itemMatch` (w_match >= 0): a candidate-dependent history term w_match (g - mean g), g = max_j cos(h_j, v_a) - mean_j cos(h_j, v_a)
 *   over the session's clicked ads and news h_j (one latent space; mean g over all rows, so the click rate stays): how much the best-matching clicked item beats the
 *   history's average match moves the click (as in the CTR world) — what item-level attention can pick out and mean pooling cannot.
 * Every ad row also carries one news impression of the same session (`src_*` columns, label `src_click`) for the
 * auxiliary source-domain loss. `targetDomainView` drops them for single-domain models.
 * The news log (`newsLogOf`, issue 15: the source domain is dense): `newsPerSession` further news impressions per
 * session (user_id, src_item_id, src_item_cat, src_click, ts; the same click model), split at the same times as the ad
 * rows, drawn after the ad rows from their own random stream (so the ad rows do not depend on it). Default 10 per
 * session = 2 per ad row: the released code's source batch is twice its target batch (64 vs 32, spec §3.4).
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
  adHistoryLen: posInt, adActivityMean: z.number().min(0), newsPerSession: z.number().int().min(0),
  wLong: z.number().min(0), wShortSource: z.number().min(0), wShortTarget: z.number().min(0),
  sourceLong: z.number().min(0), sourceShort: z.number().min(0), activityMix: z.number().min(0).max(1), itemMatch: z.number().min(0),
  targetIntercept: z.number(), sourceIntercept: z.number(), itemBiasStd: z.number().min(0), relevantShare: z.number().min(0).max(1),
  validShare: z.number().gt(0).lt(1), testShare: z.number().gt(0).lt(1), seed: z.number().int(),
}).partial();
/** Config of the world (every key of `NewsAdsWorldConfigSpec`, resolved). */
export type NewsAdsWorldConfig = Required<z.infer<typeof NewsAdsWorldConfigSpec>>;

/**
 * Defaults (the 'quick' size): 3 000 users x 4 sessions x 5 ad impressions, N1 = 10 ad clicks, N2 = 20 news clicks;
 * mechanism knobs activityMix 0.6 and itemMatch 3 (see the file header).
 * Paper deviation: the paper gives no figure for either knob. Its premise (spec §2) is that ad clicks are sparse and
 * that the three interests matter differently per user (interest-level attention) and per clicked item (item-level
 * attention); activityMix = 0.6 lets a heavy ad clicker's short-term ad weight reach 1.6x the base weight and a user
 * without ad activity's 0.4x, and itemMatch = 3 makes the best-match term about as strong as one of the three interest
 * terms (calibrated on the truth alone, before any model result: on the quick world removing it from the true logit
 * lowers the ceiling AUC by 0.045, removing the short-term ad term by 0.07; at 1.5 it was 0.011). Both are swept from
 * 0 by minet/mechanism (issue 15).
 */
export const NEWS_ADS_WORLD_DEFAULTS: NewsAdsWorldConfig = {
  users: 3000, newsItems: 800, adItems: 300, topics: 8, newsCategories: 16, adCategories: 12, latentDim: 8,
  sessionsPerUser: 4, adImpressionsPerSession: 5, newsHistoryLen: 20, minNewsHistory: 8, adHistoryLen: 10, adActivityMean: 2, newsPerSession: 10,
  wLong: 2, wShortSource: 2, wShortTarget: 2, sourceLong: 1.5, sourceShort: 2, activityMix: 0.6, itemMatch: 3,
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
export const NEWS_ADS_TRUTH = {
  click: 'click', srcClick: 'src_click', long: 'term_long', shortSource: 'term_short_source', shortTarget: 'term_short_target', match: 'term_match',
  /** Per row: the user's multiplier of the short-term ad weight, 1 + activityMix x_u (1 when the knob is off). */
  targetMix: 'mix_short_target',
} as const;
/** The three interests of MiNet and the best-match term, as components of the truth model. */
export type NewsAdsInterest = 'long' | 'shortSource' | 'shortTarget' | 'match';

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

/** The news log of a generated world (see the file header): its train / valid / test parts. */
export interface NewsLog {
  train: Dataset;
  valid: Dataset;
  test: Dataset;
}
const NEWS_LOGS = new WeakMap<WorldData, NewsLog>();

/**
 * The dense news log of a world made by `generateNewsAdsWorld` (null when `newsPerSession` is 0 or the world is not
 * one of these).
 * @example
 * newsLogOf(world)?.train.size; // users x sessions x newsPerSession x train share
 */
export function newsLogOf(world: WorldData): NewsLog | null {
  return NEWS_LOGS.get(world) ?? null;
}

/** Schema of the news log: the user and the news item; label src_click. */
export function newsLogSchema(c: NewsAdsWorldConfig): Schema {
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: c.users },
      { kind: 'categorical', name: 'src_item_id', vocab: c.newsItems + 1 },
      { kind: 'categorical', name: 'src_item_cat', vocab: c.newsCategories + 1 },
    ],
    labels: ['src_click'],
    userId: 'user_id',
    timestamp: 'ts',
  };
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
  const truth = {
    click: new Float32Array(rows), src_click: new Float32Array(rows), term_long: new Float32Array(rows), term_short_source: new Float32Array(rows), term_short_target: new Float32Array(rows),
    term_match: new Float32Array(rows), mix_short_target: new Float32Array(rows),
  };
  const sessions: Array<{ u: number; s: number; L: Float64Array; S: Float64Array; longTopic: number; sTopic: number }> = [];
  const clickDraw = new Float64Array(rows);
  const baseLogit = new Float64Array(rows);
  let r = 0;
  for (let u = 0; u < c.users; u++) {
    const longTopic = drawTopic();
    const L = around(topic[longTopic], 0.3);
    // Ad activity: the mean number of recent ad clicks of this user (exponential around adActivityMean).
    const activity = -Math.log(1 - rng.uniform()) * c.adActivityMean;
    const x = c.adActivityMean > 0 ? (activity - c.adActivityMean) / (activity + c.adActivityMean) : 0; // in (-1, 1)
    const mixT = 1 + c.activityMix * x; // short-term ad interest
    const mixO = 1 - c.activityMix * x; // long-term and news interests
    for (let s = 0; s < c.sessionsPerUser; s++) {
      const sTopic = drawTopic();
      const tTopic = drawTopic();
      const S = around(topic[sTopic], 0.3);
      const T = around(topic[tTopic], 0.3);
      sessions.push({ u, s, L, S, longTopic, sTopic });
      const nNews = c.minNewsHistory + rng.int(N2 - c.minNewsHistory + 1);
      const newsHist = new Int32Array(N2);
      for (let j = 0; j < nNews; j++) newsHist[j] = itemNear(news, rng.bernoulli(0.7) ? sTopic : longTopic) + 1;
      let nAds = 0;
      for (let lim = Math.exp(-activity), prod = rng.uniform(); prod > lim && nAds < N1; prod *= rng.uniform()) nAds++; // Poisson(activity), capped
      const adHist = new Int32Array(N1);
      for (let j = 0; j < nAds; j++) adHist[j] = itemNear(ads, rng.bernoulli(0.75) ? tTopic : longTopic) + 1;
      const newsHistCat = newsHist.map((id) => (id === 0 ? 0 : news.cat[id - 1] + 1));
      const adHistCat = adHist.map((id) => (id === 0 ? 0 : ads.cat[id - 1] + 1));
      const histVecs = [...Array.from(adHist.subarray(0, nAds), (id) => ads.vec[id - 1]), ...Array.from(newsHist.subarray(0, nNews), (id) => news.vec[id - 1])];
      for (let k = 0; k < c.adImpressionsPerSession; k++, r++) {
        const a = candidate(ads, [longTopic, sTopic, tTopic]);
        const tl = c.wLong * mixO * cos(L, ads.vec[a]);
        const ts = c.wShortSource * mixO * cos(S, ads.vec[a]);
        const tt = c.wShortTarget * mixT * cos(T, ads.vec[a]);
        let tm = 0;
        if (c.itemMatch > 0 && histVecs.length) {
          let best = -Infinity;
          let sum = 0;
          for (const h of histVecs) {
            const x = cos(h, ads.vec[a]);
            best = Math.max(best, x);
            sum += x;
          }
          tm = best - sum / histVecs.length; // the gap; weighted and centred below
        }
        const logitNoMatch = c.targetIntercept + tl + ts + tt + ads.bias[a];
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
        clickDraw[r] = rng.uniform(); // the click is decided after the pass, once the match term is centred
        baseLogit[r] = logitNoMatch;
        col.src_click[r] = rng.bernoulli(ps) ? 1 : 0;
        col.ts[r] = (s + rng.uniform()) / c.sessionsPerUser;
        truth.src_click[r] = ps;
        truth.term_long[r] = tl;
        truth.term_short_source[r] = ts;
        truth.term_short_target[r] = tt;
        truth.term_match[r] = tm;
        truth.mix_short_target[r] = mixT;
      }
    }
  }
  // The match term, centred over all rows so the knob moves which ads are clicked, not the click rate.
  let meanGap = 0;
  for (let i = 0; i < rows; i++) meanGap += truth.term_match[i] / rows;
  for (let i = 0; i < rows; i++) {
    const tm = c.itemMatch > 0 ? c.itemMatch * (truth.term_match[i] - meanGap) : 0;
    truth.term_match[i] = tm;
    const pt = sigmoid(baseLogit[i] + tm);
    truth.click[i] = pt;
    col.click[i] = clickDraw[i] < pt ? 1 : 0;
  }
  const all = Dataset.fromColumns(newsAdsSchema(c), col, 'news-ads-world');
  const parts = splitByTime(all, col.ts, truth, c);
  const world: WorldData = {
    name: 'news-ads-world',
    config: { ...c },
    train: parts.train.ds, valid: parts.valid.ds, test: parts.test.ds,
    truth: { train: parts.train.truth, valid: parts.valid.truth, test: parts.test.truth },
  };
  if (c.newsPerSession > 0) {
    // The dense news log, from its own stream (the ad rows above do not depend on it).
    const lr = new Rng(c.seed * 7919 + 17);
    const n = sessions.length * c.newsPerSession;
    const log = { user_id: new Int32Array(n), src_item_id: new Int32Array(n), src_item_cat: new Int32Array(n), src_click: new Float32Array(n), ts: new Float64Array(n) };
    const p = new Float32Array(n);
    let i = 0;
    for (const x of sessions) {
      for (let k = 0; k < c.newsPerSession; k++, i++) {
        const item = lr.bernoulli(c.relevantShare) ? (() => { const t = lr.bernoulli(0.5) ? x.longTopic : x.sTopic; const pool = news.byTopic[t]; return pool.length ? pool[lr.categorical(pool.map((j) => news.weight[j]))] : lr.categorical(news.weight); })() : lr.categorical(news.weight);
        p[i] = sigmoid(c.sourceIntercept + c.sourceLong * cos(x.L, news.vec[item]) + c.sourceShort * cos(x.S, news.vec[item]) + news.bias[item]);
        log.user_id[i] = x.u;
        log.src_item_id[i] = item + 1;
        log.src_item_cat[i] = news.cat[item] + 1;
        log.src_click[i] = lr.bernoulli(p[i]) ? 1 : 0;
        log.ts[i] = (x.s + lr.uniform()) / c.sessionsPerUser;
      }
    }
    const logParts = splitByTime(Dataset.fromColumns(newsLogSchema(c), log, 'news-ads-world news log'), log.ts, { src_click: p }, c);
    NEWS_LOGS.set(world, { train: logParts.train.ds, valid: logParts.valid.ds, test: logParts.test.ds });
  }
  return world;
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
