/**
 * The latent platform of the live world (authors, videos, users) and each user's impression timeline: who sees what,
 * when, in which domain, with the hidden interest match and the room's moment at that time. Labels are drawn later
 * (`live-world.ts`), once the intercepts are calibrated on these events.
 */
import { Rng } from '../random.ts';
import type { LiveWorldConfig } from './live-world-config.ts';
import { generateRooms, liveIndex, windowAt, WINDOW_SECONDS, poisson, type LiveRooms } from './live-world-rooms.ts';

/** Hidden and observed attributes of authors, videos and users. */
export interface LivePlatform {
  authorCat: Int32Array;
  authorPop: Float64Array;
  /** Live click bias of the author's rooms. */
  authorBias: Float64Array;
  /** Content quality (effective view, follow). */
  quality: Float64Array;
  /** Observed: log1p of the author's follower count (a noisy draw around the popularity). */
  followersLog: Float32Array;
  videoCat: Int32Array;
  videoBias: Float64Array;
  user: {
    age: Int32Array; gender: Int32Array; activity: Int32Array; clickBias: Float64Array; like: Float64Array; comment: Float64Array; gift: Float64Array; follow: Float64Array;
    /** Hidden: each user's interest categories and short-video interest vectors (live ones add the domain shift). */
    interestCats: number[][];
    interests: Float64Array[][];
    /** The user's impressions over the horizon relative to `eventsPerUser` (the log-normal activity draw). */
    eventScale: Float64Array;
  };
  rooms: LiveRooms;
  /** Hidden: short-video latent vectors, the videos of each category, and the cumulative popularity weights. */
  videos: ShortVideoCatalogue;
}

/** The short-video catalogue the impressions are drawn from (hidden). */
export interface ShortVideoCatalogue {
  vec: Float64Array[];
  ofCat: number[][];
  /** Cumulative exp(videoBias): the popularity draw. */
  cum: Float64Array;
}

/**
 * Draws one short-video candidate for a user, as the logged impressions are drawn: with probability `relevantShare`
 * a video of one of the user's interest categories, otherwise one by popularity (exp of its bias).
 * @example
 * const v = drawShortVideo(rng, platform.videos, platform.user.interestCats[u], 0.3);
 */
export function drawShortVideo(rng: Rng, videos: ShortVideoCatalogue, interestCats: readonly number[], relevantShare: number): number {
  const pool = videos.ofCat[interestCats[rng.int(interestCats.length)]];
  if (pool.length && rng.bernoulli(relevantShare)) return pool[rng.int(pool.length)];
  const cum = videos.cum;
  const r = rng.uniform() * cum[cum.length - 1];
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Raw interest match of a user with a short video: max_k cos(u_k, v) (the `affinity` of a short-video impression).
 * @example
 * shortVideoAffinity(platform.user.interests[u], platform.videos.vec[v]); // in [-1, 1]
 */
export function shortVideoAffinity(interests: readonly Float64Array[], v: Float64Array): number {
  let a = -Infinity;
  for (const uk of interests) a = Math.max(a, cos(uk, v));
  return a;
}

/** Impressions of all users, user-major and time-ordered within a user. `item` is a video or stream index. */
export interface LiveEvents {
  n: number;
  user: Int32Array;
  /** 0 short video, 1 live. */
  domain: Uint8Array;
  item: Int32Array;
  t: Float64Array;
  /** Raw interest match max_k cos(u_k (+ live shift), v) (ground truth). */
  affinity: Float32Array;
  /** The room's attractiveness a_w at the impression (0 for short videos; ground truth). */
  moment: Float32Array;
  /** 1 when the impression becomes a dataset row. */
  row: Uint8Array;
  /** The user's hidden engagement state h in {-1, +1} at the impression (0 when `burstStrength` is 0; ground truth). */
  engaged: Int8Array;
  /** Drift of the live author's click-bias logit at the impression (0 for short videos / no drift; ground truth). */
  popularity: Float32Array;
}

/**
 * Per-author daily random walks of the live click-bias logit: walk[a * (days + 1) + d] at the start of day d (0 at day
 * 0), std `drift` per day; read with `driftAt` (linear between day starts). All zeros when drift is 0. Drawn from its
 * own generator, so the rest of the world is unchanged by the knob.
 */
export function popularityWalks(c: LiveWorldConfig): Float64Array {
  const days = Math.ceil(c.days);
  const out = new Float64Array(c.authors * (days + 1));
  if (!(c.popularityDrift > 0)) return out;
  const rng = new Rng(c.seed + 15485863);
  for (let a = 0; a < c.authors; a++) for (let d = 1; d <= days; d++) out[a * (days + 1) + d] = out[a * (days + 1) + d - 1] + c.popularityDrift * rng.normal();
  return out;
}

/**
 * The drift of author a's click bias at time t (seconds) from `popularityWalks`.
 * @example
 * driftAt(walks, c, 3, 1.5 * 86400); // between day 1's and day 2's values
 */
export function driftAt(walks: Float64Array, c: LiveWorldConfig, a: number, t: number): number {
  const days = Math.ceil(c.days);
  const x = Math.min(Math.max(t / 86400, 0), days);
  const d = Math.min(Math.floor(x), days - 1);
  const f = x - d;
  return (1 - f) * walks[a * (days + 1) + d] + f * walks[a * (days + 1) + d + 1];
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let d = 0; d < a.length; d++) s += a[d] * b[d];
  return s;
};
const cos = (a: Float64Array, b: Float64Array): number => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b) + 1e-12);

/**
 * Draws the platform and every user's impressions (deterministic for a config and seed).
 * @example
 * const { platform, events } = generateLiveEvents(resolveLiveWorldConfig(LIVE_WORLD_SIZES.tiny));
 */
export function generateLiveEvents(c: LiveWorldConfig): { platform: LivePlatform; events: LiveEvents } {
  const rng = new Rng(c.seed);
  const D = c.latentDim;
  const A = c.authors;
  const randVec = (scale: number) => Float64Array.from({ length: D }, () => rng.normal() * scale);
  const catCentre = Array.from({ length: c.categories }, () => randVec(1.6 / Math.sqrt(D)));
  const catPop = Float64Array.from({ length: c.categories }, (_, j) => 1 / (j + 1) ** 0.6);

  const authorCat = new Int32Array(A);
  const authorVec: Float64Array[] = [];
  const authorPop = new Float64Array(A);
  const authorBias = new Float64Array(A);
  const quality = new Float64Array(A);
  const followersLog = new Float32Array(A);
  for (let a = 0; a < A; a++) {
    authorCat[a] = a < c.categories ? a : rng.categorical(catPop);
    const noise = randVec(1 / Math.sqrt(D));
    authorVec.push(catCentre[authorCat[a]].map((x, d) => x + noise[d]));
    authorPop[a] = rng.normal() * 0.7;
    authorBias[a] = 0.3 * authorPop[a] + rng.normal() * 0.3;
    quality[a] = rng.normal() * 0.5;
    followersLog[a] = Math.log1p(poisson(rng, 200 * Math.exp(authorPop[a] + 0.5 * quality[a])));
  }
  const V = A * c.videosPerAuthor;
  const videoCat = new Int32Array(V);
  const videoVec: Float64Array[] = [];
  const videoBias = new Float64Array(V);
  const videosOfCat: number[][] = Array.from({ length: c.categories }, () => []);
  const videoCum = new Float64Array(V);
  for (let v = 0, acc = 0; v < V; v++) {
    const a = Math.floor(v / c.videosPerAuthor);
    videoCat[v] = rng.bernoulli(0.85) ? authorCat[a] : rng.categorical(catPop);
    const noise = randVec(0.7 / Math.sqrt(D));
    videoVec.push(authorVec[a].map((x, d) => x + noise[d]));
    videoBias[v] = 0.3 * authorPop[a] + rng.normal() * 0.5;
    videosOfCat[videoCat[v]].push(v);
    acc += Math.exp(videoBias[v]);
    videoCum[v] = acc;
  }
  const walks = popularityWalks(c);
  const rooms = generateRooms(rng.fork(), c, authorPop, authorBias, walks);
  const burstRng = new Rng(c.seed + 32452843); // the engagement chains: own generator, the rest of the world unchanged
  const horizon = c.days * 86400;
  const byBucket = liveIndex(rooms, horizon);
  const warmupEnd = c.warmupShare * horizon;

  const U = c.users;
  const user = {
    age: new Int32Array(U), gender: new Int32Array(U), activity: new Int32Array(U), clickBias: new Float64Array(U),
    like: new Float64Array(U), comment: new Float64Array(U), gift: new Float64Array(U), follow: new Float64Array(U),
    interestCats: [] as number[][], interests: [] as Float64Array[][], eventScale: new Float64Array(U),
  };
  const videos: ShortVideoCatalogue = { vec: videoVec, ofCat: videosOfCat, cum: videoCum };
  const ev = { user: [] as number[], domain: [] as number[], item: [] as number[], t: [] as number[], affinity: [] as number[], moment: [] as number[], row: [] as number[], engaged: [] as number[], popularity: [] as number[] };
  const bursts = c.burstStrength > 0;
  const expectedWarmup = c.eventsPerUser * c.warmupShare;
  for (let u = 0; u < U; u++) {
    user.age[u] = rng.int(7);
    user.gender[u] = rng.int(2);
    user.clickBias[u] = rng.normal() * 0.4 + (user.age[u] - 3) * 0.05;
    user.like[u] = rng.normal() * 0.7;
    user.comment[u] = rng.normal() * 0.7;
    user.gift[u] = rng.normal() * 1.2;
    user.follow[u] = rng.normal() * 0.5;
    const interestCats = Array.from({ length: c.interestsPerUser }, () => rng.categorical(catPop));
    const interests = interestCats.map((cat) => catCentre[cat].map((x) => x + (rng.normal() * 0.5) / Math.sqrt(D)));
    const shift = randVec((c.domainShift * 1.6) / Math.sqrt(D));
    const liveInterests = interests.map((v) => v.map((x, d) => x + shift[d]));
    const liveProp = Math.exp(0.5 * rng.normal() - 0.125);
    const n = Math.max(3, Math.round(c.eventsPerUser * Math.exp(0.6 * rng.normal() - 0.18)));
    user.interestCats.push(interestCats);
    user.interests.push(interests);
    user.eventScale[u] = n / c.eventsPerUser;
    const times = Float64Array.from({ length: n }, () => rng.uniform() * horizon).sort();
    let warm = 0;
    let h = bursts ? (burstRng.bernoulli(0.5) ? 1 : -1) : 0; // stationary start of the engagement chain
    for (const t of times) {
      if (t < warmupEnd) warm++;
      if (bursts && !burstRng.bernoulli(c.burstStay)) h = -h;
      ev.engaged.push(h);
      let stream = -1;
      if (rng.bernoulli(Math.min(0.9, c.liveShare * liveProp))) {
        const live = Array.from(byBucket[Math.floor(t / 600)]).filter((s) => t >= rooms.start[s] && t < rooms.start[s] + rooms.windows[s] * WINDOW_SECONDS);
        const relevant = live.filter((s) => interestCats.includes(authorCat[rooms.author[s]]));
        if (relevant.length && rng.bernoulli(c.relevantShare)) stream = relevant[rng.int(relevant.length)];
        else if (live.length) stream = live[rng.categorical(live.map((s) => Math.exp(authorPop[rooms.author[s]])))];
      }
      let affinity = -Infinity;
      if (stream >= 0) {
        const a = rooms.author[stream];
        for (const uk of liveInterests) affinity = Math.max(affinity, cos(uk, authorVec[a]));
        ev.domain.push(1);
        ev.item.push(stream);
        ev.moment.push(rooms.attractiveness[rooms.offset[stream] + windowAt(rooms, stream, t)]);
        ev.popularity.push(driftAt(walks, c, a, t));
        ev.row.push(t >= warmupEnd ? 1 : 0);
      } else {
        const v = drawShortVideo(rng, videos, interestCats, c.relevantShare);
        affinity = shortVideoAffinity(interests, videoVec[v]);
        ev.domain.push(0);
        ev.item.push(v);
        ev.moment.push(0);
        ev.popularity.push(0);
        ev.row.push(t >= warmupEnd && rng.bernoulli(c.shortVideoRowShare) ? 1 : 0);
      }
      ev.user.push(u);
      ev.t.push(t);
      ev.affinity.push(affinity);
    }
    user.activity[u] = warm < 0.5 * expectedWarmup ? 0 : warm < expectedWarmup ? 1 : warm < 2 * expectedWarmup ? 2 : 3;
  }
  const events: LiveEvents = {
    n: ev.user.length,
    user: Int32Array.from(ev.user),
    domain: Uint8Array.from(ev.domain),
    item: Int32Array.from(ev.item),
    t: Float64Array.from(ev.t),
    affinity: Float32Array.from(ev.affinity),
    moment: Float32Array.from(ev.moment),
    row: Uint8Array.from(ev.row),
    engaged: Int8Array.from(ev.engaged),
    popularity: Float32Array.from(ev.popularity),
  };
  return { platform: { authorCat, authorPop, authorBias, quality, followersLog, videoCat, videoBias, user, rooms, videos }, events };
}
