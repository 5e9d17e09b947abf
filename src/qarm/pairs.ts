/**
 * QARM's alignment pairs mined from behaviour (spec ../shared/papers/qarm.md §3.1):
 *   User2Item trigger pairs: for each positive (user, target), the user's recent positive most similar to the target
 *     under an existing U2I model's item embeddings is the trigger; (trigger, target) is a pair.
 *   Item2Item pairs: Swing, s(i, j) = sum_{u, v in U_i ∩ U_j, u < v} w_u w_v / (alpha + |I_u ∩ I_v|), top-K per item,
 *     with w_u = |I_u|^{-1/2} (the common user-weighted variant).
 * Items are 0-based rows here (item id - 1 in the datasets, where id 0 is padding).
 */
import type { Dataset } from '../data/dataset.ts';
import { Rng } from '../random.ts';

/** A list of item pairs: a[p], b[p] are item rows. */
export interface ItemPairs {
  a: Int32Array;
  b: Int32Array;
}

/**
 * Each user's positive items (rows, deduplicated, in first-seen order) from a dataset: the behaviour sequence of the
 * user's first row (oldest first) followed by clicked targets in time order.
 * @example
 * const sets = userPositives(world.train); // sets.get(u) = [item rows]
 */
export function userPositives(ds: Dataset, options: { item?: string; history?: string; label?: string } = {}): Map<number, number[]> {
  const item = ds.column(options.item ?? 'item_id');
  const hist = ds.column(options.history ?? 'hist_item_id');
  const click = ds.label(options.label ?? 'click');
  const users = ds.column(ds.schema.userId ?? 'user_id');
  const T = ds.widthOf(options.history ?? 'hist_item_id');
  const ts = ds.schema.timestamp ? ds.column(ds.schema.timestamp) : null;
  const order = Int32Array.from({ length: ds.size }, (_, i) => i).sort((x, y) => (ts ? ts[x] - ts[y] : x - y));
  const out = new Map<number, Set<number>>();
  for (const r of order) {
    const u = users[r];
    let s = out.get(u);
    if (!s) {
      s = new Set<number>();
      for (let t = 0; t < T; t++) if (hist[r * T + t] > 0) s.add(hist[r * T + t] - 1);
      out.set(u, s);
    }
    if (click[r] === 1) s.add(item[r] - 1);
  }
  return new Map([...out].map(([u, s]) => [u, [...s]]));
}

/** Options of `swing`; defaults in `SWING_DEFAULTS`. */
export interface SwingOptions {
  alpha: number;
  topK: number;
  /** Users per item considered (a seeded sample when more), bounding the quadratic cost. */
  maxUsersPerItem: number;
  seed: number;
}
/** Defaults: alpha 1, top-20 per item (spec proposal), at most 100 users per item. */
export const SWING_DEFAULTS: SwingOptions = { alpha: 1, topK: 20, maxUsersPerItem: 100, seed: 0 };

/**
 * Swing item-to-item similarity: the top-K neighbours of every item, `neighbours` Int32 (items, K) padded with -1 and
 * their `scores` Float32 (items, K), best first.
 * @example
 * const s = swing(userPositives(world.train), world.content.items); s.neighbours[i * 20]; // i's best neighbour
 */
export function swing(positives: Map<number, number[]>, items: number, options: Partial<SwingOptions> = {}): { neighbours: Int32Array; scores: Float32Array; topK: number } {
  const o = { ...SWING_DEFAULTS, ...options };
  const rng = new Rng(o.seed);
  const userList = [...positives.values()];
  const sets = userList.map((l) => new Set(l));
  const weight = userList.map((l) => 1 / Math.sqrt(Math.max(l.length, 1)));
  const usersOf: number[][] = Array.from({ length: items }, () => []);
  userList.forEach((l, u) => {
    for (const i of l) {
      if (i < 0 || i >= items) throw new Error(`swing: item row ${i} of user list ${u} is outside [0, ${items})`);
      usersOf[i].push(u);
    }
  });
  const neighbours = new Int32Array(items * o.topK).fill(-1);
  const scores = new Float32Array(items * o.topK);
  const acc = new Float64Array(items);
  for (let i = 0; i < items; i++) {
    let us = usersOf[i];
    if (us.length > o.maxUsersPerItem) us = Array.from(rng.shuffle(Int32Array.from(us)).subarray(0, o.maxUsersPerItem));
    const touched = new Set<number>();
    for (let x = 0; x < us.length; x++) {
      for (let y = x + 1; y < us.length; y++) {
        const [u, v] = sets[us[x]].size <= sets[us[y]].size ? [us[x], us[y]] : [us[y], us[x]];
        const inter: number[] = [];
        for (const j of sets[u]) if (sets[v].has(j)) inter.push(j);
        const w = (weight[u] * weight[v]) / (o.alpha + inter.length);
        for (const j of inter) {
          if (j === i) continue;
          acc[j] += w;
          touched.add(j);
        }
      }
    }
    const best = [...touched].sort((a, b) => acc[b] - acc[a] || a - b).slice(0, o.topK);
    best.forEach((j, k) => {
      neighbours[i * o.topK + k] = j;
      scores[i * o.topK + k] = acc[j];
    });
    for (const j of touched) acc[j] = 0;
  }
  return { neighbours, scores, topK: o.topK };
}

/**
 * The Item2Item pairs of a Swing result: (i, j) for every listed neighbour j of i.
 * @example
 * swingPairs(swing(userPositives(train), items)).a.length; // up to items * 20
 */
export function swingPairs(s: { neighbours: Int32Array; topK: number }): ItemPairs {
  const a: number[] = [];
  const b: number[] = [];
  for (let p = 0; p < s.neighbours.length; p++) {
    if (s.neighbours[p] < 0) continue;
    a.push(Math.floor(p / s.topK));
    b.push(s.neighbours[p]);
  }
  return { a: Int32Array.from(a), b: Int32Array.from(b) };
}

/**
 * User2Item trigger pairs: for each clicked row, among the user's most recent `recent` behaviour-sequence items (the
 * recent positives) the one with the highest cosine to the target under `itemEmb` (rows by item id, (vocab, d), e.g.
 * a trained ranker's item-id table standing in for the U2I model) is the trigger; returns (trigger, target) rows,
 * deduplicated. Rows whose sequence holds only the target give no pair.
 * @example
 * triggerPairs(world.train, idTable, 64, { recent: 50 });
 */
export function triggerPairs(ds: Dataset, itemEmb: Float32Array, dim: number, options: { recent?: number; item?: string; history?: string; label?: string } = {}): ItemPairs {
  const item = ds.column(options.item ?? 'item_id');
  const hist = ds.column(options.history ?? 'hist_item_id');
  const click = ds.label(options.label ?? 'click');
  const T = ds.widthOf(options.history ?? 'hist_item_id');
  const recent = options.recent ?? 50;
  const norm = new Float32Array(itemEmb.length / dim);
  for (let i = 0; i < norm.length; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += itemEmb[i * dim + d] ** 2;
    norm[i] = Math.sqrt(s) + 1e-12;
  }
  const seen = new Set<number>();
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ds.size; r++) {
    if (click[r] !== 1) continue;
    const t = item[r];
    let len = 0;
    while (len < T && hist[r * T + len] > 0) len++;
    let best = -Infinity;
    let trigger = -1;
    for (let p = Math.max(0, len - recent); p < len; p++) {
      const h = hist[r * T + p];
      if (h === t) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += itemEmb[h * dim + d] * itemEmb[t * dim + d];
      s /= norm[h] * norm[t];
      if (s > best) [best, trigger] = [s, h];
    }
    if (trigger < 0) continue;
    const key = (trigger - 1) * 1_000_003 + (t - 1);
    if (seen.has(key)) continue;
    seen.add(key);
    a.push(trigger - 1);
    b.push(t - 1);
  }
  return { a: Int32Array.from(a), b: Int32Array.from(b) };
}
