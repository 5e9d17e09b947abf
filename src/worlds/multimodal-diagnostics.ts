/**
 * Diagnostics of the multimodal world's content: raw-content features (bag of tokens, pixels), a nearest-centroid
 * classifier of an item label from them, and the content/behaviour agreement that the `mismatch` knob controls.
 * They read the world's truth (categories) and exist for tests, notebooks and the pipeline's world summary.
 */
import { auc } from '../metrics/index.ts';
import { Rng } from '../random.ts';
import { IMAGE_SHAPE, type ItemContent, type MultimodalWorld } from './multimodal-world.ts';

/**
 * L2-normalised bag of tokens per item over title, ASR or both: Float32 (items, vocab).
 * @example
 * const x = bagOfTokens(world.content, 'both'); // (items, vocab)
 */
export function bagOfTokens(content: ItemContent, which: 'title' | 'asr' | 'both'): Float32Array {
  const V = content.vocab;
  const out = new Float32Array(content.items * V);
  const add = (tokens: Int32Array, len: number) => {
    for (let i = 0; i < content.items; i++) for (let t = 0; t < len; t++) {
      const tok = tokens[i * len + t];
      if (tok > 0) out[i * V + tok - 1] += 1;
    }
  };
  if (which !== 'asr') add(content.title, content.titleLen);
  if (which !== 'title') add(content.asr, content.asrLen);
  normaliseRows(out, V);
  return out;
}

/** Pixels per item as features, L2-normalised: Float32 (items, 3*32*32). */
export function pixelFeatures(content: ItemContent): Float32Array {
  const out = Float32Array.from(content.image);
  normaliseRows(out, IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]);
  return out;
}

function normaliseRows(x: Float32Array, d: number): void {
  for (let i = 0; i < x.length / d; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    const n = Math.sqrt(s) + 1e-12;
    for (let k = 0; k < d; k++) x[i * d + k] /= n;
  }
}

/**
 * Accuracy of a nearest-centroid classifier (cosine) of `labels` from features (n, d): centroids from the rows with
 * an even index, accuracy on the odd rows. Chance is about 1 / classes.
 * @example
 * nearestCentroidAccuracy(bagOfTokens(w.content, 'both'), w.latent.category, 12); // e.g. 0.6 vs chance 0.08
 */
export function nearestCentroidAccuracy(x: Float32Array, labels: Int32Array, classes: number): number {
  const n = labels.length;
  const d = x.length / n;
  const centre = new Float64Array(classes * d);
  for (let i = 0; i < n; i += 2) for (let k = 0; k < d; k++) centre[labels[i] * d + k] += x[i * d + k];
  let hit = 0;
  let total = 0;
  for (let i = 1; i < n; i += 2) {
    let best = -Infinity;
    let arg = -1;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      let nn = 0;
      for (let k = 0; k < d; k++) {
        s += centre[c * d + k] * x[i * d + k];
        nn += centre[c * d + k] ** 2;
      }
      const score = nn > 0 ? s / Math.sqrt(nn) : -Infinity;
      if (score > best) [best, arg] = [score, c];
    }
    hit += arg === labels[i] ? 1 : 0;
    total++;
  }
  return hit / total;
}

/**
 * Content/behaviour agreement: the AUC with which the cosine similarity of two items' features (rows of `x`, (items,
 * d)) separates pairs of the same behaviour category from pairs of different categories (`pairs` random pairs of
 * each kind, seeded). 0.5 = content says nothing about what users treat alike.
 * @example
 * contentBehaviourAgreement(world, bagOfTokens(world.content, 'both')); // lower at higher mismatch
 */
export function contentBehaviourAgreement(world: MultimodalWorld, x: Float32Array, options: { pairs?: number; seed?: number } = {}): number {
  const cat = world.latent.category;
  const n = cat.length;
  const d = x.length / n;
  const rng = new Rng(options.seed ?? 0);
  const pairs = options.pairs ?? 4000;
  const byCat = new Map<number, number[]>();
  for (let i = 0; i < n; i++) byCat.set(cat[i], [...(byCat.get(cat[i]) ?? []), i]);
  const cats = [...byCat.values()].filter((l) => l.length >= 2);
  const sim = (a: number, b: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[a * d + k] * x[b * d + k];
    return s;
  };
  const y: number[] = [];
  const score: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const l = cats[rng.int(cats.length)];
    const a = l[rng.int(l.length)];
    let b = l[rng.int(l.length)];
    while (b === a) b = l[rng.int(l.length)];
    y.push(1);
    score.push(sim(a, b));
    let c = rng.int(n);
    while (cat[c] === cat[a]) c = rng.int(n);
    y.push(0);
    score.push(sim(a, c));
  }
  return auc(Float32Array.from(y), Float32Array.from(score));
}
