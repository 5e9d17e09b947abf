/**
 * Config, sizes and schema of the short-video + live-streaming world (`live-world.ts`). Kept apart so pipelines and
 * models can read the schema and the task list without generating a world.
 */
import { z } from 'zod';
import type { Schema } from '../data/schema.ts';

/** The six per-impression tasks of the live-streaming papers, in head order; also the label columns. */
export const LIVE_TASKS = ['click', 'effective_view', 'like', 'comment', 'gift', 'follow'] as const;
/** One of `LIVE_TASKS`. */
export type LiveTask = (typeof LIVE_TASKS)[number];

/**
 * Behaviour ids of the history `*_action` sequences: the most valuable behaviour of each clicked impression
 * (0 is padding). Rare ids (like and above) are the high-value part of a sequence.
 */
export const LIVE_ACTIONS = { click: 1, effective_view: 2, like: 3, comment: 4, gift: 5, follow: 6 } as const;

/** Real-time counter kinds (per 30 s window of a room's crowd), in `rt_counts` order within each window span. */
export const RT_KINDS = ['impressions', 'clicks', 'effective_views', 'likes', 'comments', 'gifts'] as const;
/** Window spans of the real-time counters in seconds, in `rt_counts` order (span-major: 6 kinds per span). */
export const RT_SPANS = [30, 60, 300] as const;

/** Per-task target rates: unconditional P(task = 1) averaged over one domain's impressions. */
export interface LiveRates {
  click: number;
  effective_view: number;
  like: number;
  comment: number;
  gift: number;
  follow: number;
}

/** Knobs of the live world; defaults in `LIVE_WORLD_DEFAULTS`, named sizes in `LIVE_WORLD_SIZES`. */
export interface LiveWorldConfig {
  users: number;
  /** Authors: each posts short videos and goes live. */
  authors: number;
  videosPerAuthor: number;
  /** Streams (live sessions) per author over the horizon. */
  streamsPerAuthor: number;
  categories: number;
  latentDim: number;
  interestsPerUser: number;
  /** Std of the user's live-domain shift added to every interest vector (0 = the same taste in both domains). */
  domainShift: number;
  /** Horizon in days; the first `warmupShare` of it only builds histories. */
  days: number;
  warmupShare: number;
  /** Mean impressions per user over the horizon (both domains; per-user activity is log-normal around it). */
  eventsPerUser: number;
  /** Share of impressions that are live streams (0.1 = short video : live = 9 : 1). */
  liveShare: number;
  /** Share of logged short-video impressions kept as rows of `world.shortVideo` (memory bound). */
  shortVideoRowShare: number;
  svHistoryLen: number;
  liveHistoryLen: number;
  streamMinMinutes: number;
  streamMaxMinutes: number;
  /** Effective view: watch at least this many seconds (live; short video uses `svEffectiveViewSeconds`). */
  effectiveViewSeconds: number;
  svEffectiveViewSeconds: number;
  /** Target rates on live / short-video impressions (intercepts are calibrated to them). */
  rates: LiveRates;
  svRates: LiveRates;
  /** Weights of the standardised interest match in the click, effective-view and rare-behaviour logits. */
  clickSignal: number;
  viewSignal: number;
  rareSignal: number;
  /** Share of impressions whose candidate comes from one of the user's interest categories. */
  relevantShare: number;
  /** Logit added during a room's highlight moment; highlight Markov chain per 30 s window. */
  momentStrength: number;
  momentEnter: number;
  momentStay: number;
  /** Mean background-crowd impressions per room per 30 s window (the source of the real-time counters). */
  crowdRate: number;
  /**
   * FARM's mechanism knob (session bursts; 0 = absent): each user has a hidden engagement state h in {-1, +1}, a
   * Markov chain along the user's impressions (both domains) that stays with probability `burstStay`; the logits of
   * the valuable behaviours (like, comment, gift, follow; half on effective view) get + burstStrength h. Recent
   * valuable steps of a history then reveal the current state, so the order of a sequence (its spectrum beyond the
   * mean) predicts the labels; at 0 histories are exchangeable given the user's fixed traits.
   */
  burstStrength: number;
  /** Stay probability of the engagement chain per impression (mean burst length 1 / (1 - burstStay)). */
  burstStay: number;
  /**
   * Moment&Cross's non-stationarity knob (0 = stationary): std per day of a random walk on each author's live
   * popularity (its click-bias logit, for the logged users and the crowd alike), so yesterday's popularity goes stale
   * and fresh real-time counters and a time-ordered stream matter.
   */
  popularityDrift: number;
  /**
   * Moment&Cross's long short-video history (0 = none): mean number of short videos each user clicked before the
   * horizon (scaled by the user's activity), prepended to the short-video history only — they become no rows. They are
   * drawn as the logged ones are (candidates from the user's interest categories or by popularity, kept with the
   * calibrated click probability, behaviours from their own probabilities; engagement state and moments 0), from
   * their own generator, so the rest of the world is unchanged by the knob. `svHistoryLen` must be long enough to
   * hold them (the most recent `svHistoryLen` are kept).
   */
  svPastClicks: number;
  validShare: number;
  testShare: number;
  seed: number;
}

/**
 * Defaults (= the 'quick' size): 20k users, 2k authors, 40 impressions per user, live share 10%, live rates click 10%,
 * effective view 4.5%, like 2%, comment 0.5%, gift 0.1%, follow 0.3%, seed 17; the mechanism knobs burstStrength,
 * popularityDrift and svPastClicks at 0 (absent: the world before issue 14; the pipelines that sweep them declare the papers' values).
 */
export const LIVE_WORLD_DEFAULTS: LiveWorldConfig = {
  users: 20000,
  authors: 2000,
  videosPerAuthor: 8,
  streamsPerAuthor: 3,
  categories: 40,
  latentDim: 8,
  interestsPerUser: 3,
  domainShift: 0.3,
  days: 3,
  warmupShare: 0.3,
  eventsPerUser: 40,
  liveShare: 0.1,
  shortVideoRowShare: 0.1,
  svHistoryLen: 50,
  liveHistoryLen: 20,
  streamMinMinutes: 30,
  streamMaxMinutes: 120,
  effectiveViewSeconds: 60,
  svEffectiveViewSeconds: 10,
  rates: { click: 0.1, effective_view: 0.045, like: 0.02, comment: 0.005, gift: 0.001, follow: 0.003 },
  svRates: { click: 0.3, effective_view: 0.15, like: 0.03, comment: 0.005, gift: 0, follow: 0.002 },
  clickSignal: 0.6,
  viewSignal: 0.9,
  rareSignal: 1.6,
  relevantShare: 0.3,
  momentStrength: 1.2,
  momentEnter: 0.04,
  momentStay: 0.85,
  crowdRate: 8,
  burstStrength: 0,
  burstStay: 0.97,
  popularityDrift: 0,
  svPastClicks: 0,
  validShare: 0.1,
  testShare: 0.2,
  seed: 17,
};

/**
 * Named sizes: tiny (tests, notebooks; ~1.5k users, ~4k live rows), quick (~20k users, ~55k live rows), full
 * (~200k users). Pass one as the partial config, optionally spread with more keys.
 * @example
 * generateLiveWorld({ ...LIVE_WORLD_SIZES.tiny, seed: 3 });
 */
export const LIVE_WORLD_SIZES: Record<'tiny' | 'quick' | 'full', Partial<LiveWorldConfig>> = {
  tiny: { users: 1500, authors: 150, videosPerAuthor: 6, categories: 12, days: 1, svHistoryLen: 20, liveHistoryLen: 10, shortVideoRowShare: 0.2 },
  quick: {},
  full: { users: 200000, authors: 12000, days: 7, shortVideoRowShare: 0.03 },
};

const rate = z.number().min(0).lt(1);
const rates = z.strictObject({ click: rate, effective_view: rate, like: rate, comment: rate, gift: rate, follow: rate });
const posInt = z.number().int().min(1);
/**
 * Strict zod schema of a partial config (pipeline configs read from JSON); unknown keys are errors.
 * @example
 * LiveWorldConfigSpec.parse({ users: 1000, liveShare: 0.05 });
 */
export const LiveWorldConfigSpec = z
  .strictObject({
    users: posInt, authors: posInt, videosPerAuthor: posInt, streamsPerAuthor: posInt, categories: posInt,
    latentDim: posInt, interestsPerUser: posInt, domainShift: z.number().min(0), days: z.number().gt(0),
    warmupShare: rate, eventsPerUser: z.number().min(3), liveShare: z.number().gt(0).lt(1),
    shortVideoRowShare: z.number().min(0).max(1), svHistoryLen: posInt, liveHistoryLen: posInt,
    streamMinMinutes: z.number().gt(0), streamMaxMinutes: z.number().gt(0), effectiveViewSeconds: z.number().gt(3),
    svEffectiveViewSeconds: z.number().gt(3), rates, svRates: rates, clickSignal: z.number().min(0),
    viewSignal: z.number().min(0), rareSignal: z.number().min(0), relevantShare: z.number().min(0).max(1),
    momentStrength: z.number().min(0), momentEnter: rate, momentStay: rate, crowdRate: z.number().gt(0),
    burstStrength: z.number().min(0), burstStay: rate, popularityDrift: z.number().min(0),
    svPastClicks: z.number().min(0), validShare: z.number().gt(0).lt(1), testShare: z.number().gt(0).lt(1), seed: z.number().int(),
  })
  .partial();

/**
 * Resolves a partial config against the defaults (new object); unknown keys and bad values are errors naming the key.
 * @example
 * resolveLiveWorldConfig({ liveShare: 0.05 }).users; // 20000
 */
export function resolveLiveWorldConfig(partial: Partial<LiveWorldConfig> = {}): LiveWorldConfig {
  const parsed = LiveWorldConfigSpec.safeParse(partial);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.') || '(root)';
    throw new Error(`live-world config: '${key}': ${issue.message}`);
  }
  const c = structuredClone({ ...LIVE_WORLD_DEFAULTS, ...partial }) as LiveWorldConfig;
  if (c.streamMaxMinutes < c.streamMinMinutes) throw new Error(`live-world config: 'streamMaxMinutes' (${c.streamMaxMinutes}) < 'streamMinMinutes' (${c.streamMinMinutes})`);
  if (c.streamMaxMinutes * 60 >= c.days * 86400) throw new Error(`live-world config: 'streamMaxMinutes' must be shorter than the horizon of ${c.days} days`);
  if (c.validShare + c.testShare >= 1) throw new Error("live-world config: 'validShare' + 'testShare' must be < 1");
  for (const [name, r] of [['rates', c.rates], ['svRates', c.svRates]] as const) {
    for (const t of LIVE_TASKS) if (t !== 'click' && r[t] > r.click) throw new Error(`live-world config: '${name}.${t}' (${r[t]}) exceeds '${name}.click' (${r.click}); every behaviour needs a click`);
  }
  if (!(c.rates.click > 0 && c.svRates.click > 0)) throw new Error("live-world config: 'rates.click' and 'svRates.click' must be > 0");
  return c;
}

/**
 * The schema shared by live and short-video rows. Ids: user_id from 0; item_id 1..V are short videos, V+1..V+S live
 * streams (0 = padding); author_id / category_id from 1 (0 = padding); domain 0 short video, 1 live. Sequences are
 * left-aligned, oldest first, the most recent kept when a history is longer than its maxLen.
 * Dense: author_popularity (log1p of the author's follower count), rt_counts (18 = log1p crowd counts of
 * `RT_KINDS` over each of `RT_SPANS`, span-major), rt_ctr (3, smoothed windowed CTR per span), stream_age
 * (log1p minutes since the stream started); the last three are 0 on short-video rows. Every dense column is
 * standardised per dimension with the training period's mean and std (per domain; short-video rt columns stay 0).
 * @example
 * liveWorldSchema(resolveLiveWorldConfig()).labels; // ['click', 'effective_view', 'like', 'comment', 'gift', 'follow']
 */
export function liveWorldSchema(c: LiveWorldConfig): Schema {
  const items = c.authors * c.videosPerAuthor + c.authors * c.streamsPerAuthor + 1;
  const seqs = (prefix: string, maxLen: number) => [
    { kind: 'sequence' as const, name: `${prefix}_item`, vocab: items, maxLen, sharesWith: 'item_id' },
    { kind: 'sequence' as const, name: `${prefix}_author`, vocab: c.authors + 1, maxLen, sharesWith: 'author_id' },
    { kind: 'sequence' as const, name: `${prefix}_category`, vocab: c.categories + 1, maxLen, sharesWith: 'category_id' },
    { kind: 'sequence' as const, name: `${prefix}_action`, vocab: 7, maxLen },
  ];
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: c.users },
      { kind: 'categorical', name: 'age_bucket', vocab: 7 },
      { kind: 'categorical', name: 'gender', vocab: 2 },
      { kind: 'categorical', name: 'activity', vocab: 4 },
      { kind: 'categorical', name: 'domain', vocab: 2 },
      { kind: 'categorical', name: 'item_id', vocab: items },
      { kind: 'categorical', name: 'author_id', vocab: c.authors + 1 },
      { kind: 'categorical', name: 'category_id', vocab: c.categories + 1 },
      { kind: 'dense', name: 'author_popularity' },
      ...seqs('hist_sv', c.svHistoryLen),
      ...seqs('hist_live', c.liveHistoryLen),
      { kind: 'dense', name: 'rt_counts', dim: RT_KINDS.length * RT_SPANS.length },
      { kind: 'dense', name: 'rt_ctr', dim: RT_SPANS.length },
      { kind: 'dense', name: 'stream_age' },
    ],
    labels: [...LIVE_TASKS],
    userId: 'user_id',
    domain: 'domain',
    timestamp: 'ts',
  };
}
