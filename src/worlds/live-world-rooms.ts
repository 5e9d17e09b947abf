/**
 * Live rooms of the live world: each author's streams over the horizon, the hidden attractiveness of every 30 s
 * window of a stream ("moments": a highlight Markov chain plus a slow drift), and the background crowd's counts per
 * window, from which the observable real-time features are read. The crowd is the rest of the platform's audience
 * (not the logged users): its counts are random draws driven by the attractiveness, so they reveal a moment only as
 * noisy evidence; a row's counters cover complete windows before its impression, never the window it falls in.
 */
import { Rng } from '../random.ts';
import { RT_KINDS, RT_SPANS, type LiveWorldConfig } from './live-world-config.ts';
import { sigmoid } from './world.ts';

/** Seconds per real-time window. */
export const WINDOW_SECONDS = 30;

/**
 * All streams of a world. Flat per-window arrays: stream s owns windows [offset[s], offset[s] + windows[s]).
 * `attractiveness` and `highlight` are ground truth (figures, tests); `counts` are the crowd's observable counts.
 */
export interface LiveRooms {
  /** Author index (from 0) per stream. */
  author: Int32Array;
  /** Start time in seconds from the horizon's start, per stream. */
  start: Float64Array;
  /** Number of 30 s windows per stream. */
  windows: Int32Array;
  /** First flat window index per stream. */
  offset: Int32Array;
  /** Attractiveness logit a_w per window (ground truth: highlight x momentStrength + drift). */
  attractiveness: Float32Array;
  /** 1 while the window is a highlight moment (ground truth). */
  highlight: Uint8Array;
  /** Crowd counts per window, (windows, 6) row-major in `RT_KINDS` order. */
  counts: Int32Array;
}

/** Poisson draw (Knuth below 30, normal approximation above). */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rng.uniform();
  while (p > l) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

/**
 * Draws the streams, their moments and their crowd counts.
 * @param authorPop author popularity logit (drives crowd size), @param authorBias the author's live click bias,
 * @param walks optional per-author daily drift of the click bias (`popularityWalks` in live-world-events.ts).
 * @example
 * const rooms = generateRooms(rng, c, authorPop, authorBias);
 */
export function generateRooms(rng: Rng, c: LiveWorldConfig, authorPop: Float64Array, authorBias: Float64Array, walks?: Float64Array): LiveRooms {
  const days = Math.ceil(c.days);
  const S = c.authors * c.streamsPerAuthor;
  const horizon = c.days * 86400;
  const author = new Int32Array(S);
  const start = new Float64Array(S);
  const windows = new Int32Array(S);
  const offset = new Int32Array(S);
  let total = 0;
  for (let s = 0; s < S; s++) {
    author[s] = Math.floor(s / c.streamsPerAuthor);
    const minutes = c.streamMinMinutes + rng.uniform() * (c.streamMaxMinutes - c.streamMinMinutes);
    windows[s] = Math.max(1, Math.round((minutes * 60) / WINDOW_SECONDS));
    start[s] = rng.uniform() * (horizon - windows[s] * WINDOW_SECONDS);
    offset[s] = total;
    total += windows[s];
  }
  const attractiveness = new Float32Array(total);
  const highlight = new Uint8Array(total);
  const K = RT_KINDS.length;
  const counts = new Int32Array(total * K);
  for (let s = 0; s < S; s++) {
    const a = author[s];
    let on = false;
    let drift = rng.normal() * 0.3;
    for (let w = 0; w < windows[s]; w++) {
      on = on ? rng.bernoulli(c.momentStay) : rng.bernoulli(c.momentEnter);
      drift = 0.95 * drift + 0.3 * Math.sqrt(1 - 0.95 ** 2) * rng.normal();
      const aw = (on ? c.momentStrength : 0) + drift;
      const i = offset[s] + w;
      attractiveness[i] = aw;
      highlight[i] = on ? 1 : 0;
      const ramp = Math.min(1, (w + 1) / 6); // the audience builds up over the first 3 minutes
      const imp = poisson(rng, c.crowdRate * Math.exp(authorPop[a]) * ramp);
      let walk = 0; // the author's popularity drift at the window (popularityDrift; linear between day starts)
      if (walks) {
        const x = Math.min(Math.max((start[s] + w * WINDOW_SECONDS) / 86400, 0), days);
        const d = Math.min(Math.floor(x), days - 1);
        walk = (1 - (x - d)) * walks[a * (days + 1) + d] + (x - d) * walks[a * (days + 1) + d + 1];
      }
      const clicks = Math.min(imp, poisson(rng, imp * sigmoid(-2.2 + aw + authorBias[a] + walk)));
      const views = Math.min(clicks, poisson(rng, clicks * sigmoid(-0.2 + 0.5 * aw)));
      counts[i * K] = imp;
      counts[i * K + 1] = clicks;
      counts[i * K + 2] = views;
      counts[i * K + 3] = poisson(rng, clicks * 0.15 * Math.exp(0.5 * aw));
      counts[i * K + 4] = poisson(rng, clicks * 0.05 * Math.exp(0.5 * aw));
      counts[i * K + 5] = poisson(rng, clicks * 0.01 * Math.exp(0.8 * aw));
    }
  }
  return { author, start, windows, offset, attractiveness, highlight, counts };
}

/** Window index of time t in stream s (may be >= windows[s] only when t is past the end). */
export function windowAt(rooms: LiveRooms, s: number, t: number): number {
  return Math.floor((t - rooms.start[s]) / WINDOW_SECONDS);
}

/**
 * Streams live in each 10-minute bucket of the horizon (for drawing a live candidate at a time).
 * @example
 * const byBucket = liveIndex(rooms, horizon); byBucket[Math.floor(t / 600)]; // stream indices
 */
export function liveIndex(rooms: LiveRooms, horizon: number): Int32Array[] {
  const nb = Math.ceil(horizon / 600) + 1;
  const lists: number[][] = Array.from({ length: nb }, () => []);
  for (let s = 0; s < rooms.start.length; s++) {
    const end = rooms.start[s] + rooms.windows[s] * WINDOW_SECONDS;
    for (let b = Math.floor(rooms.start[s] / 600); b <= Math.floor(end / 600) && b < nb; b++) lists[b].push(s);
  }
  return lists.map((l) => Int32Array.from(l));
}

/**
 * Writes the real-time features of an impression at time t in stream s: rt_counts (18 = log1p sums of the complete
 * windows before t over each span in `RT_SPANS`), rt_ctr (3 = (clicks + 1) / (impressions + 10) per span) and
 * stream_age (log1p minutes). Only windows that ended before t are read.
 * @example
 * rtFeatures(rooms, s, t, counts18, ctr3, 0); // returns stream_age
 */
export function rtFeatures(rooms: LiveRooms, s: number, t: number, rtCounts: Float32Array, rtCtr: Float32Array, at: number): number {
  const K = RT_KINDS.length;
  const w = windowAt(rooms, s, t);
  const sums = new Float64Array(K);
  RT_SPANS.forEach((span, j) => {
    sums.fill(0);
    const n = span / WINDOW_SECONDS;
    for (let v = Math.max(0, w - n); v < w && v < rooms.windows[s]; v++) {
      const i = (rooms.offset[s] + v) * K;
      for (let k = 0; k < K; k++) sums[k] += rooms.counts[i + k];
    }
    for (let k = 0; k < K; k++) rtCounts[(at * RT_SPANS.length + j) * K + k] = Math.log1p(sums[k]);
    rtCtr[at * RT_SPANS.length + j] = (sums[1] + 1) / (sums[0] + 10);
  });
  return Math.log1p(Math.max(0, t - rooms.start[s]) / 60);
}
