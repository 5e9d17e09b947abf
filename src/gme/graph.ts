/**
 * The ad graph of GME (spec §3.3, released `graph_creation/*.py`): a reverse index from every attribute value
 * (category, advertiser, campaign, each tag) to the old ads that carry it; an ad's candidate neighbours are the old ads
 * sharing any value, scored by the number of shared values; the top N (the ad itself excluded) are kept,
 * zero-padded when there are fewer. Ties break by the lower ad id, so the graph is deterministic.
 */
import type { AdTable } from '../worlds/cold-start-world.ts';

/** Neighbours of every ad: ids (count, N) as ad ids (a + 1; 0 = padding), scores (count, N) shared-value counts. */
export interface AdGraph {
  n: number;
  ids: Int32Array;
  scores: Int32Array;
}

/**
 * The attribute values of ad index `a` as strings `slot:value`, in slot order (multi-hot values one each; 0 skipped).
 * @example
 * attributeValues(ads, 0); // ['category:3', 'advertiser:7', 'campaign:20', 'tags:4', 'tags:9']
 */
export function attributeValues(ads: AdTable, a: number): string[] {
  const out: string[] = [];
  for (const s of ads.slots) {
    for (let j = 0; j < s.width; j++) {
      const v = s.values[a * s.width + j];
      if (v > 0) out.push(`${s.name}:${v}`);
    }
  }
  return out;
}

/**
 * Reverse index: attribute value -> ad indices (ascending) among `items` (the old ads).
 * @example
 * buildReverseIndex(ads, [0, 1, 2]).get('category:3'); // [0, 2]
 */
export function buildReverseIndex(ads: AdTable, items: ArrayLike<number>): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (let k = 0; k < items.length; k++) {
    const a = items[k];
    if (!(a >= 0 && a < ads.count)) throw new Error(`buildReverseIndex: item ${a} is not an ad index in [0, ${ads.count})`);
    for (const v of attributeValues(ads, a)) {
      const list = index.get(v);
      if (list) list.push(a);
      else index.set(v, [a]);
    }
  }
  for (const list of index.values()) list.sort((x, y) => x - y);
  return index;
}

/**
 * Top-N neighbours of ad `a` by number of shared attribute values, self excluded, ties by lower index.
 * @example
 * topNeighbours(ads, index, 650, 10); // [{ ad: 12, score: 3 }, ...] (ad indices)
 */
export function topNeighbours(ads: AdTable, index: Map<string, number[]>, a: number, n: number): Array<{ ad: number; score: number }> {
  const score = new Map<number, number>();
  for (const v of attributeValues(ads, a)) {
    for (const b of index.get(v) ?? []) if (b !== a) score.set(b, (score.get(b) ?? 0) + 1);
  }
  return [...score].map(([ad, s]) => ({ ad, score: s })).sort((x, y) => y.score - x.score || x.ad - y.ad).slice(0, n);
}

/**
 * The graph of every ad over the old ads (neighbours of old ads are other old ads; of new ads, old ads only).
 * @example
 * const g = buildAdGraph(world.ads, 10); g.ids.subarray(a * 10, a * 10 + 10); // ad ids, 0-padded
 */
export function buildAdGraph(ads: AdTable, n: number): AdGraph {
  if (!Number.isInteger(n) || n < 0) throw new Error(`buildAdGraph: neighbours must be a non-negative integer, got ${n}`);
  const index = buildReverseIndex(ads, Int32Array.from({ length: ads.oldCount }, (_, i) => i));
  const ids = new Int32Array(ads.count * n);
  const scores = new Int32Array(ads.count * n);
  for (let a = 0; a < ads.count && n > 0; a++) {
    topNeighbours(ads, index, a, n).forEach((x, j) => {
      ids[a * n + j] = x.ad + 1;
      scores[a * n + j] = x.score;
    });
  }
  return { n, ids, scores };
}

/**
 * How measurable the neighbour signal is: the Pearson correlation, over new ads and effect dimensions, between a new
 * ad's true ID effect and the mean true ID effect of its graph neighbours (0 when the world has rho = 0). `random`
 * is the same with N random old ads instead, the no-signal reference. Reads the world's truth: for tables only.
 * @example
 * neighbourSignal(world.ads, world.idEffect, world.config.latentDim + 1, graph).graph; // ~0.6 at rho = 0.8
 */
export function neighbourSignal(ads: AdTable, idEffect: Float32Array, width: number, graph: AdGraph, seed = 1): { graph: number; random: number; adsWithNeighbours: number } {
  let state = seed >>> 0 || 1;
  const rand = (k: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % k;
  };
  const xs: number[] = [];
  const gs: number[] = [];
  const rs: number[] = [];
  let count = 0;
  for (let a = ads.oldCount; a < ads.count; a++) {
    const nb = [...graph.ids.subarray(a * graph.n, (a + 1) * graph.n)].filter((id) => id > 0).map((id) => id - 1);
    if (!nb.length) continue;
    count++;
    const rnd = nb.map(() => rand(ads.oldCount));
    for (let d = 0; d < width; d++) {
      xs.push(idEffect[a * width + d]);
      gs.push(nb.reduce((s, b) => s + idEffect[b * width + d], 0) / nb.length);
      rs.push(rnd.reduce((s, b) => s + idEffect[b * width + d], 0) / rnd.length);
    }
  }
  return { graph: pearson(xs, gs), random: pearson(xs, rs), adsWithNeighbours: count };
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
