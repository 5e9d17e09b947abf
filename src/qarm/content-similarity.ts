/**
 * The zero-parameter content reference of issue 16: score each impression by the largest cosine similarity between the
 * candidate's content embedding and the content embeddings of the items in the user's behaviour sequence,
 *   s(u, i) = max_{h in history(u)} cos(m_h, m_i).
 * Nothing is trained; the score shows how much of the click signal the content embedding carries on its own, so a
 * trained content variant scoring below it has failed to use its input (the measurement that exposed issue 16).
 */
import type { Dataset } from '../data/dataset.ts';

/**
 * The max-cos score of every row of `ds`, mapped to [0, 1] as (s + 1) / 2 so that CTR metrics that read probabilities
 * (log loss) accept it; rank metrics are unchanged. Rows without history score 0.5.
 * @param table - content embeddings by item id, (vocab, dim), row 0 = padding (ignored).
 * @param item - the candidate item column; @param sequence - the behaviour sequence column (ids, 0 = padding).
 * @example
 * const s = maxCosScores(world.test, prep.side.mmAligned.table, prep.dim); // Float32Array(world.test.size)
 */
export function maxCosScores(ds: Dataset, table: Float32Array, dim: number, item = 'item_id', sequence = 'hist_item_id'): Float32Array {
  if (!(dim > 0) || table.length % dim !== 0) throw new Error(`maxCosScores: table of ${table.length} values is not a whole number of rows of width ${dim}`);
  const vocab = table.length / dim;
  const norms = new Float64Array(vocab);
  for (let v = 0; v < vocab; v++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += table[v * dim + d] ** 2;
    norms[v] = Math.sqrt(s);
  }
  const ids = ds.column(item);
  const hist = ds.column(sequence);
  const T = ds.widthOf(sequence);
  const out = new Float32Array(ds.size);
  for (let r = 0; r < ds.size; r++) {
    const c = ids[r];
    if (c < 0 || c >= vocab) throw new Error(`maxCosScores: row ${r} has ${item} ${c}, outside the table's ${vocab} rows`);
    let best = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < T; t++) {
      const h = hist[r * T + t];
      if (h === 0) continue;
      if (h < 0 || h >= vocab) throw new Error(`maxCosScores: row ${r} has ${sequence}[${t}] = ${h}, outside the table's ${vocab} rows`);
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += table[h * dim + d] * table[c * dim + d];
      const den = norms[h] * norms[c];
      const cos = den > 0 ? dot / den : 0;
      if (cos > best) best = cos;
    }
    out[r] = best === Number.NEGATIVE_INFINITY ? 0.5 : (best + 1) / 2;
  }
  return out;
}
