/**
 * Nearest neighbours of items by embedding and their agreement with behaviour: what "alignment" changes, shown by the
 * qarm notebook and recorded by qarm/main (content neighbours before and after alignment vs Swing neighbours).
 */
import { vqCodes } from './codes.ts';

/**
 * The k nearest other items of every item by cosine: Int32 (n, k) item rows, best first.
 * @example
 * const nb = nearestNeighbours(aligned, n, 32, 10); nb.subarray(0, 10); // item 0's neighbours
 */
export function nearestNeighbours(emb: Float32Array, n: number, d: number, k: number): Int32Array {
  const { codes } = vqCodes(emb, n, d, { k: k + 1 });
  const out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (let p = 0; p <= k && q < k; p++) if (codes[i * (k + 1) + p] !== i) out[i * k + q++] = codes[i * (k + 1) + p];
  }
  return out;
}

/**
 * Mean over items (with at least one reference neighbour) of |kNN(i) ∩ ref(i)| / |ref(i) top-k|: how many of an
 * item's behaviour neighbours (e.g. Swing, padded with -1) its embedding neighbours recover.
 * @example
 * neighbourRecall(nearestNeighbours(aligned, n, d, 10), swingNeighbours, n, 10, 20);
 */
export function neighbourRecall(nb: Int32Array, ref: Int32Array, n: number, k: number, refWidth: number): number {
  let sum = 0;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const r = Array.from(ref.subarray(i * refWidth, i * refWidth + Math.min(k, refWidth))).filter((j) => j >= 0);
    if (!r.length) continue;
    const mine = new Set(nb.subarray(i * k, (i + 1) * k));
    sum += r.filter((j) => mine.has(j)).length / r.length;
    used++;
  }
  return used ? sum / used : Number.NaN;
}

/**
 * Share of neighbours that carry the item's own label (e.g. the world's true behaviour category; diagnostics only).
 * @example
 * sameLabelShare(nearestNeighbours(aligned, n, d, 10), world.latent.category, 10);
 */
export function sameLabelShare(nb: Int32Array, labels: Int32Array, k: number): number {
  let same = 0;
  for (let i = 0; i < labels.length; i++) for (let p = 0; p < k; p++) same += labels[nb[i * k + p]] === labels[i] ? 1 : 0;
  return same / (labels.length * k);
}
