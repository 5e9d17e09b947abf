/**
 * The short-video + live-streaming world, the default data of FARM and Moment&Cross: authors post short videos and
 * go live; users see both (short video : live = 9 : 1 by default) and respond with click, effective view, like,
 * comment, gift and follow.
 *
 * Mechanism (what the world is built to show):
 * - Interests: each user has K interest vectors (categories) shared by both domains; in the live domain they are
 *   shifted by a per-user vector (`domainShift`). m = max_k cos(u_k, v) is standardised per domain.
 * - Per impression (d = domain, a_w = the room's attractiveness in the current 30 s window, 0 for short videos):
 *     p_click = sigmoid(b_c,d + clickSignal m + item/author bias + user bias + a_w)
 *     p_ev|click = sigmoid(b_v,d + viewSignal m + quality + 0.5 a_w)
 *     p_like|click, p_comment|click, p_follow|click = sigmoid(b_t,d + rareSignal m + user propensity_t (+ quality))
 *     p_gift|click = sigmoid(b_g,d + rareSignal m + gift propensity + 0.8 a_w)
 *   Intercepts are calibrated so the mean unconditional rates match `rates` / `svRates`. Rare behaviours weigh the
 *   interest match most (rareSignal > viewSignal > clickSignal): clicks follow popularity and the moment, likes,
 *   comments and gifts follow taste. Histories record each clicked impression with its most valuable behaviour
 *   (`LIVE_ACTIONS`), so the rare, taste-driven steps are the informative part of a sequence.
 * - Session bursts (FARM's mechanism, knob `burstStrength`, 0 = off): the valuable-behaviour logits get
 *   + burstStrength h with h = +-1 the user's engagement state, a Markov chain along the user's impressions
 *   (`burstStay`); effective view gets half of it. `engaged` in the truth of each part is h.
 * - Popularity drift (Moment&Cross's non-stationarity, knob `popularityDrift`, 0 = off): the live click logit gets
 *   the author's drift, a daily random walk (std popularityDrift per day, linear within a day); the crowd's clicks
 *   follow the same drift, so the real-time counters see it. `popularity` in the truth of each part is the drift.
 * - Long short-video histories (Moment&Cross's cross-domain search, knob `svPastClicks`, 0 = off): history-only
 *   short-video clicks before the horizon, drawn like the logged ones, lead each user's short-video history, so a
 *   search over hundreds of items has more of the user's taste to find than the 8-13 logged clicks.
 * - Moments: a_w is a highlight Markov chain (`momentEnter`, `momentStay`, +`momentStrength`) plus drift; the crowd's
 *   counts over the complete 30 s / 1 min / 5 min windows before an impression are features (`live-world-rooms.ts`).
 * - Watch time given click: effective view -> T + Exp(T e^{m/2}); otherwise half short views U(0, 3) s, half U(3, T).
 *   Behaviour times (`logs.delay`) let a pipeline replay the real-time stream (fast samples at +30 s, slow later).
 * Truth (never a feature): truth[part][task] = P(task = 1), truth[part][`${task}_given_click`], truth[part].engaged
 * (h) and truth[part].popularity (the author's drift); `watch[part]` the
 * expected watch time; `rooms.attractiveness` / `highlight` per window.
 */
import { Dataset } from '../data/dataset.ts';
import { Rng } from '../random.ts';
import { groundTruthCeiling, sigmoid, splitByTime, type Ceiling, type WorldData } from './world.ts';
import { LIVE_ACTIONS, LIVE_TASKS, RT_KINDS, RT_SPANS, liveWorldSchema, resolveLiveWorldConfig, type LiveRates, type LiveTask, type LiveWorldConfig } from './live-world-config.ts';
import { drawShortVideo, generateLiveEvents, shortVideoAffinity, type LiveEvents, type LivePlatform } from './live-world-events.ts';
import { rtFeatures, type LiveRooms } from './live-world-rooms.ts';
import { calibrate, standardise } from './live-world-stats.ts';

/** The dense real-time columns (standardised like author_popularity). */
const REALTIME_DENSE = ['rt_counts', 'rt_ctr', 'stream_age'];

export * from './live-world-config.ts';
export { WINDOW_SECONDS, type LiveRooms } from './live-world-rooms.ts';

type Part = 'train' | 'valid' | 'test';

/** Logged observations per row that are not features: watch seconds (0 when not clicked) and behaviour times. */
export interface LiveLogs {
  watchSeconds: Float32Array;
  /** delay[task][row] = seconds after the impression when the behaviour happened, -1 when it did not. */
  delay: Record<LiveTask, Float32Array>;
}

/** A domain's rows split by time, with their truth, expected watch time and logs. */
export interface LiveDomainData {
  train: Dataset;
  valid: Dataset;
  test: Dataset;
  truth: Record<Part, Record<string, Float32Array>>;
  /** Ground truth: expected watch seconds per row, unconditional and given a click. */
  watch: Record<Part, { expected: Float32Array; givenClick: Float32Array }>;
  logs: Record<Part, LiveLogs>;
}

/** The world: live-streaming rows as the WorldData parts (the target domain), short-video rows beside them. */
export interface LiveWorldData extends WorldData, LiveDomainData {
  shortVideo: LiveDomainData;
  rooms: LiveRooms;
  /** Short videos V: item ids 1..V are videos, V + 1 + s is stream s (`streamOfItem`). */
  videos: number;
  stats: { shortVideoImpressions: number; liveImpressions: number; liveRows: number; shortVideoRows: number; intercepts: Record<string, number> };
}

const AFTER_CLICK = LIVE_TASKS.filter((t): t is Exclude<LiveTask, 'click'> => t !== 'click');

/** Logit parts (without intercepts) of every task for every event, and the standardised interest match. */
function logitParts(c: LiveWorldConfig, p: LivePlatform, e: LiveEvents): Record<LiveTask, Float64Array> & { m: Float64Array; affinityStats: { mean: number; std: number }[] } {
  const m = new Float64Array(e.n);
  const affinityStats: { mean: number; std: number }[] = [];
  for (const d of [0, 1]) {
    let s = 0;
    let s2 = 0;
    let n = 0;
    for (let i = 0; i < e.n; i++) {
      if (e.domain[i] !== d) continue;
      s += e.affinity[i];
      s2 += e.affinity[i] ** 2;
      n++;
    }
    const mean = s / Math.max(n, 1);
    const std = Math.sqrt(Math.max(s2 / Math.max(n, 1) - mean * mean, 1e-8));
    affinityStats.push({ mean, std });
    for (let i = 0; i < e.n; i++) if (e.domain[i] === d) m[i] = (e.affinity[i] - mean) / std;
  }
  const out = { m, affinityStats, ...Object.fromEntries(LIVE_TASKS.map((t) => [t, new Float64Array(e.n)])) } as Record<LiveTask, Float64Array> & { m: Float64Array; affinityStats: { mean: number; std: number }[] };
  for (let i = 0; i < e.n; i++) {
    const u = e.user[i];
    const live = e.domain[i] === 1;
    const a = live ? p.rooms.author[e.item[i]] : Math.floor(e.item[i] / c.videosPerAuthor);
    const aw = e.moment[i];
    const hb = c.burstStrength * e.engaged[i]; // session burst (0 when the knob is off)
    out.click[i] = c.clickSignal * m[i] + (live ? p.authorBias[a] + e.popularity[i] : p.videoBias[e.item[i]]) + p.user.clickBias[u] + aw;
    out.effective_view[i] = c.viewSignal * m[i] + p.quality[a] + 0.5 * aw + 0.5 * hb;
    out.like[i] = c.rareSignal * m[i] + p.user.like[u] + hb;
    out.comment[i] = c.rareSignal * m[i] + p.user.comment[u] + hb;
    out.gift[i] = c.rareSignal * m[i] + p.user.gift[u] + 0.8 * aw + hb;
    out.follow[i] = c.rareSignal * m[i] + p.user.follow[u] + 0.5 * p.quality[a] + hb;
  }
  return out;
}

/**
 * Generates the world; deterministic for a config (including `seed`). Prints nothing; `liveCeilings` gives the
 * ground-truth AUC ceiling per task.
 * @example
 * const world = generateLiveWorld(LIVE_WORLD_SIZES.tiny);
 * world.train.schema.labels; // ['click', 'effective_view', 'like', 'comment', 'gift', 'follow']
 */
export function generateLiveWorld(partial: Partial<LiveWorldConfig> = {}): LiveWorldData {
  const c = resolveLiveWorldConfig(partial);
  const { platform: p, events: e } = generateLiveEvents(c);
  const rng = new Rng(c.seed + 7919);
  const z = logitParts(c, p, e);

  // Calibrate the intercepts per domain on (at most) 40k events of that domain.
  const b: Record<string, number> = {};
  for (const d of [0, 1]) {
    const idx: number[] = [];
    for (let i = 0; i < e.n; i++) if (e.domain[i] === d) idx.push(i);
    const step = Math.max(1, Math.floor(idx.length / 40000));
    const sample = idx.filter((_, j) => j % step === 0);
    const r: LiveRates = d === 1 ? c.rates : c.svRates;
    const pick = (t: LiveTask) => Float64Array.from(sample, (i) => z[t][i]);
    b[`${d}.click`] = calibrate(pick('click'), null, r.click);
    const pc = Float64Array.from(sample, (i) => sigmoid(b[`${d}.click`] + z.click[i]));
    for (const t of AFTER_CLICK) b[`${d}.${t}`] = calibrate(pick(t), pc, r[t]);
  }

  // Labels, watch time and behaviour times per event.
  const label = Object.fromEntries(LIVE_TASKS.map((t) => [t, new Uint8Array(e.n)])) as Record<LiveTask, Uint8Array>;
  const prob = Object.fromEntries(LIVE_TASKS.map((t) => [t, new Float32Array(e.n)])) as Record<LiveTask, Float32Array>;
  const watch = new Float32Array(e.n);
  const watchGivenClick = new Float32Array(e.n);
  const delay = Object.fromEntries(LIVE_TASKS.map((t) => [t, new Float32Array(e.n).fill(-1)])) as Record<LiveTask, Float32Array>;
  for (let i = 0; i < e.n; i++) {
    const d = e.domain[i];
    const T = d === 1 ? c.effectiveViewSeconds : c.svEffectiveViewSeconds;
    for (const t of LIVE_TASKS) prob[t][i] = sigmoid(b[`${d}.${t}`] + z[t][i]);
    const meanLong = T * Math.exp(0.5 * z.m[i]);
    const pv = prob.effective_view[i];
    watchGivenClick[i] = pv * (T + meanLong) + (1 - pv) * (0.75 + (3 + T) / 4);
    if (!rng.bernoulli(prob.click[i])) continue;
    label.click[i] = 1;
    delay.click[i] = 1 + rng.uniform() * 2;
    label.effective_view[i] = rng.bernoulli(pv) ? 1 : 0;
    watch[i] = label.effective_view[i] ? T - meanLong * Math.log(1 - rng.uniform()) : rng.bernoulli(0.5) ? 3 * rng.uniform() : 3 + (T - 3) * rng.uniform();
    if (label.effective_view[i]) delay.effective_view[i] = T;
    for (const t of ['like', 'comment', 'gift', 'follow'] as const) {
      if (!rng.bernoulli(prob[t][i])) continue;
      label[t][i] = 1;
      delay[t][i] = rng.uniform() * Math.max(watch[i], 3);
    }
  }
  const past = pastShortVideoClicks(c, p, b, z.affinityStats[0]);
  return assemble(c, p, e, { label, prob, watch, watchGivenClick, delay, intercepts: b }, past);
}

/** Short videos each user clicked before the horizon (history only), oldest first: user u's are at offset[u]..offset[u + 1]. */
interface PastClicks {
  offset: Int32Array;
  video: Int32Array;
  action: Uint8Array;
}

/**
 * Draws the `svPastClicks` history-only short-video clicks of every user (see the knob's doc): candidates as the
 * logged impressions, kept with probability sigmoid(b_click + clickSignal m + video bias + user bias) with m
 * standardised as the logged short videos', behaviours from their calibrated probabilities without bursts or moments.
 * Its own generator, so the rest of the world does not change with the knob.
 */
function pastShortVideoClicks(c: LiveWorldConfig, p: LivePlatform, b: Record<string, number>, stats: { mean: number; std: number }): PastClicks {
  const U = c.users;
  const offset = new Int32Array(U + 1);
  const video: number[] = [];
  const action: number[] = [];
  if (c.svPastClicks > 0) {
    const rng = new Rng(c.seed + 15485863);
    for (let u = 0; u < U; u++) {
      const want = Math.round(c.svPastClicks * p.user.eventScale[u]);
      // Each candidate is clicked with probability about svRates.click; the cap only guards a degenerate config.
      for (let draws = 0, got = 0; got < want && draws < 100 * want; draws++) {
        const v = drawShortVideo(rng, p.videos, p.user.interestCats[u], c.relevantShare);
        const m = (shortVideoAffinity(p.user.interests[u], p.videos.vec[v]) - stats.mean) / stats.std;
        if (!rng.bernoulli(sigmoid(b['0.click'] + c.clickSignal * m + p.videoBias[v] + p.user.clickBias[u]))) continue;
        const a = Math.floor(v / c.videosPerAuthor);
        const parts: Record<Exclude<LiveTask, 'click'>, number> = {
          effective_view: c.viewSignal * m + p.quality[a],
          like: c.rareSignal * m + p.user.like[u],
          comment: c.rareSignal * m + p.user.comment[u],
          gift: c.rareSignal * m + p.user.gift[u],
          follow: c.rareSignal * m + p.user.follow[u] + 0.5 * p.quality[a],
        };
        let best: number = LIVE_ACTIONS.click;
        for (const t of AFTER_CLICK) if (rng.bernoulli(sigmoid(b[`0.${t}`] + parts[t]))) best = Math.max(best, LIVE_ACTIONS[t]);
        video.push(v);
        action.push(best);
        got++;
      }
      offset[u + 1] = video.length;
    }
  }
  return { offset, video: Int32Array.from(video), action: Uint8Array.from(action) };
}

interface Drawn {
  label: Record<LiveTask, Uint8Array>;
  prob: Record<LiveTask, Float32Array>;
  watch: Float32Array;
  watchGivenClick: Float32Array;
  delay: Record<LiveTask, Float32Array>;
  intercepts: Record<string, number>;
}

/** Builds the histories and the rows of both domains, then splits each by time. */
function assemble(c: LiveWorldConfig, p: LivePlatform, e: LiveEvents, dr: Drawn, past: PastClicks): LiveWorldData {
  const schema = liveWorldSchema(c);
  const V = c.authors * c.videosPerAuthor;
  const horizon = c.days * 86400;
  const warmupEnd = c.warmupShare * horizon;
  const nRows = [0, 0];
  for (let i = 0; i < e.n; i++) if (e.row[i]) nRows[e.domain[i]]++;
  const make = (n: number) => {
    const cols: Record<string, Int32Array | Float32Array | Float64Array> = { ts: new Float64Array(n) };
    for (const f of schema.features) {
      const w = f.kind === 'categorical' ? 1 : f.kind === 'dense' ? (f.dim ?? 1) : f.maxLen;
      cols[f.name] = f.kind === 'dense' ? new Float32Array(n * w) : new Int32Array(n * w);
    }
    for (const t of LIVE_TASKS) cols[t] = new Float32Array(n);
    const extra: Record<string, Float32Array> = {};
    for (const t of LIVE_TASKS) {
      extra[t] = new Float32Array(n);
      extra[`delay.${t}`] = new Float32Array(n);
    }
    for (const t of AFTER_CLICK) extra[`${t}_given_click`] = new Float32Array(n);
    for (const k of ['engaged', 'popularity']) extra[k] = new Float32Array(n);
    for (const k of ['watch.expected', 'watch.givenClick', 'logs.watchSeconds']) extra[k] = new Float32Array(n);
    return { cols, extra, at: 0 };
  };
  const out = [make(nRows[0]), make(nRows[1])];
  const itemOf = (i: number) => (e.domain[i] === 1 ? V + 1 + e.item[i] : e.item[i] + 1);
  const authorOf = (i: number) => (e.domain[i] === 1 ? p.rooms.author[e.item[i]] : Math.floor(e.item[i] / c.videosPerAuthor));
  const catOf = (i: number) => (e.domain[i] === 1 ? p.authorCat[authorOf(i)] : p.videoCat[e.item[i]]);
  const actionOf = (i: number) => {
    let best = 0;
    for (const t of LIVE_TASKS) if (dr.label[t][i]) best = Math.max(best, LIVE_ACTIONS[t]);
    return best;
  };
  // A history holds event indices i >= 0, and -(k + 1) for the k-th history-only past click (`past`).
  const writeHist = (cols: Record<string, Int32Array | Float32Array | Float64Array>, prefix: string, maxLen: number, r: number, hist: number[]) => {
    const from = Math.max(0, hist.length - maxLen); // most recent kept, oldest first
    for (let j = from; j < hist.length; j++) {
      const i = hist[j];
      const at = r * maxLen + (j - from);
      if (i < 0) {
        const v = past.video[-i - 1];
        cols[`${prefix}_item`][at] = v + 1;
        cols[`${prefix}_author`][at] = Math.floor(v / c.videosPerAuthor) + 1;
        cols[`${prefix}_category`][at] = p.videoCat[v] + 1;
        cols[`${prefix}_action`][at] = past.action[-i - 1];
        continue;
      }
      cols[`${prefix}_item`][at] = itemOf(i);
      cols[`${prefix}_author`][at] = authorOf(i) + 1;
      cols[`${prefix}_category`][at] = catOf(i) + 1;
      cols[`${prefix}_action`][at] = actionOf(i);
    }
  };
  const RT = RT_KINDS.length * RT_SPANS.length;
  const rtCounts = new Float32Array(RT);
  const rtCtr = new Float32Array(RT_SPANS.length);
  let histSv: number[] = [];
  let histLive: number[] = [];
  for (let i = 0; i < e.n; i++) {
    if (i === 0 || e.user[i] !== e.user[i - 1]) {
      const u = e.user[i];
      histSv = [];
      for (let k = past.offset[u]; k < past.offset[u + 1]; k++) histSv.push(-k - 1);
      histLive = [];
    }
    if (e.row[i]) {
      const d = e.domain[i];
      const o = out[d];
      const r = o.at++;
      const u = e.user[i];
      const a = authorOf(i);
      const cols = o.cols;
      cols.user_id[r] = u;
      cols.age_bucket[r] = p.user.age[u];
      cols.gender[r] = p.user.gender[u];
      cols.activity[r] = p.user.activity[u];
      cols.domain[r] = d;
      cols.item_id[r] = itemOf(i);
      cols.author_id[r] = a + 1;
      cols.category_id[r] = catOf(i) + 1;
      cols.author_popularity[r] = p.followersLog[a];
      cols.ts[r] = e.t[i];
      writeHist(cols, 'hist_sv', c.svHistoryLen, r, histSv);
      writeHist(cols, 'hist_live', c.liveHistoryLen, r, histLive);
      if (d === 1) {
        cols.stream_age[r] = rtFeatures(p.rooms, e.item[i], e.t[i], rtCounts, rtCtr, 0);
        cols.rt_counts.set(rtCounts, r * RT);
        cols.rt_ctr.set(rtCtr, r * RT_SPANS.length);
      }
      for (const t of LIVE_TASKS) {
        cols[t][r] = dr.label[t][i];
        o.extra[`delay.${t}`][r] = dr.delay[t][i];
        o.extra[t][r] = t === 'click' ? dr.prob.click[i] : dr.prob.click[i] * dr.prob[t][i];
        if (t !== 'click') o.extra[`${t}_given_click`][r] = dr.prob[t][i];
      }
      o.extra.engaged[r] = e.engaged[i];
      o.extra.popularity[r] = e.popularity[i];
      o.extra['watch.givenClick'][r] = dr.watchGivenClick[i];
      o.extra['watch.expected'][r] = dr.prob.click[i] * dr.watchGivenClick[i];
      o.extra['logs.watchSeconds'][r] = dr.watch[i];
    }
    if (dr.label.click[i]) (e.domain[i] === 1 ? histLive : histSv).push(i);
  }
  const split = (d: number): LiveDomainData => {
    const { cols, extra } = out[d];
    const all = Dataset.fromColumns(schema, cols, `live-world (${d === 1 ? 'live' : 'short video'})`);
    const tsNorm = Float64Array.from(cols.ts, (t) => (t - warmupEnd) / (horizon - warmupEnd + 1e-9));
    standardise(cols, tsNorm, 1 - c.validShare - c.testShare, d === 1 ? ['author_popularity', ...REALTIME_DENSE] : ['author_popularity']);
    const parts = splitByTime(all, tsNorm, extra, c);
    const pick = (part: Part) => {
      const x = parts[part].truth;
      const truth: Record<string, Float32Array> = {};
      for (const t of LIVE_TASKS) truth[t] = x[t];
      for (const t of AFTER_CLICK) truth[`${t}_given_click`] = x[`${t}_given_click`];
      truth.engaged = x.engaged;
      truth.popularity = x.popularity;
      const delay = Object.fromEntries(LIVE_TASKS.map((t) => [t, x[`delay.${t}`]])) as Record<LiveTask, Float32Array>;
      return { truth, watch: { expected: x['watch.expected'], givenClick: x['watch.givenClick'] }, logs: { watchSeconds: x['logs.watchSeconds'], delay } };
    };
    const byPart = { train: pick('train'), valid: pick('valid'), test: pick('test') };
    return {
      train: parts.train.ds, valid: parts.valid.ds, test: parts.test.ds,
      truth: { train: byPart.train.truth, valid: byPart.valid.truth, test: byPart.test.truth },
      watch: { train: byPart.train.watch, valid: byPart.valid.watch, test: byPart.test.watch },
      logs: { train: byPart.train.logs, valid: byPart.valid.logs, test: byPart.test.logs },
    };
  };
  let liveImpressions = 0;
  for (let i = 0; i < e.n; i++) liveImpressions += e.domain[i];
  return {
    name: 'live-world',
    config: { ...c },
    ...split(1),
    shortVideo: split(0),
    rooms: p.rooms,
    videos: V,
    stats: { shortVideoImpressions: e.n - liveImpressions, liveImpressions, liveRows: nRows[1], shortVideoRows: nRows[0], intercepts: dr.intercepts },
  };
}

/**
 * Stream index of a live item id (item ids V + 1 + s), or -1 for a short video.
 * @example
 * streamOfItem(world, world.test.column('item_id')[0]); // index into world.rooms arrays
 */
export function streamOfItem(world: LiveWorldData, itemId: number): number {
  return itemId > world.videos ? itemId - world.videos - 1 : -1;
}

/**
 * Ground-truth ceilings (AUC, log loss of the true probabilities) of every task on a live part; tasks without both
 * classes get NaN AUC.
 * @example
 * liveCeilings(world, 'test').like.auc; // e.g. 0.8
 */
export function liveCeilings(world: LiveWorldData, part: Part = 'test'): Record<LiveTask, Ceiling> {
  const out = {} as Record<LiveTask, Ceiling>;
  for (const t of LIVE_TASKS) {
    const y = world[part].label(t);
    const pos = y.reduce((s, v) => s + v, 0);
    out[t] = pos > 0 && pos < y.length ? groundTruthCeiling(world, part, t) : { auc: NaN, logloss: NaN };
  }
  return out;
}
