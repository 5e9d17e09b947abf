/**
 * Vocabularies of raw values (string ids such as 'A1X9', '430548_1007', 'high_active'): count values while reading,
 * keep those seen at least `minFrequency` times, and give them dense ids. Id layout, shared by every encoded column
 * (categorical, multiHot and sequence alike, so that a sequence can share its item column's table):
 *   0 = padding (list cells) — never given to a value;
 *   1 = out of vocabulary: an empty cell, a value seen fewer than `minFrequency` times, or one unseen when the
 *       vocabulary was built (validation / test files read with the training file's vocabulary);
 *   2 + i = `values[i]`, ordered by descending count, ties by first appearance (deterministic for a given file).
 * Values are compared as trimmed text: '01' and '1' are different values.
 */

/** Id of list padding. */
export const PAD_ID = 0;
/** Id of empty, rare and unseen values. */
export const OOV_ID = 1;

/**
 * A finished vocabulary, JSON-serialisable (save it with the model to encode new files the same way).
 * @example
 * const v: Vocabulary = { values: ['u7', 'u3'], minFrequency: 2, distinct: 5 };
 * vocabularySize(v); // 4: padding, OOV, u7, u3
 */
export interface Vocabulary {
  /** Kept values; the id of `values[i]` is 2 + i. */
  values: string[];
  /** The frequency cut it was built with. */
  minFrequency: number;
  /** Distinct non-empty values seen when it was built (kept or not). */
  distinct: number;
}

/**
 * Number of ids of a vocabulary (the schema's `vocab`): kept values + padding + OOV.
 * @example
 * vocabularySize({ values: ['a'], minFrequency: 1, distinct: 1 }); // 3
 */
export function vocabularySize(v: Vocabulary): number {
  return v.values.length + 2;
}

/**
 * value -> id lookup of a vocabulary (ids from 2).
 * @example
 * vocabularyIndex({ values: ['a', 'b'], minFrequency: 1, distinct: 2 }).get('b'); // 3
 */
export function vocabularyIndex(v: Vocabulary): Map<string, number> {
  return new Map(v.values.map((x, i) => [x, i + 2]));
}

/**
 * Counts values in one pass and assigns ids at the end. `add` returns a provisional index (first-appearance order)
 * to store in place of the value; `finish` returns the vocabulary and the provisional-index -> id table.
 * @example
 * const c = new VocabularyCounter();
 * const rows = ['a', 'b', 'a'].map((x) => c.add(x)); // [0, 1, 0]
 * const { vocabulary, idOf } = c.finish(2); // vocabulary.values ['a']; idOf [2, 1]: 'b' is rare -> OOV
 */
export class VocabularyCounter {
  private readonly index = new Map<string, number>();
  private counts = new Int32Array(1024);

  /** Number of distinct values added. */
  get distinct(): number {
    return this.index.size;
  }

  /** Counts one occurrence of `value` (non-empty, trimmed by the caller); returns its provisional index. */
  add(value: string): number {
    let k = this.index.get(value);
    if (k === undefined) {
      k = this.index.size;
      this.index.set(value, k);
      if (k === this.counts.length) {
        const grown = new Int32Array(this.counts.length * 2);
        grown.set(this.counts);
        this.counts = grown;
      }
    }
    this.counts[k]++;
    return k;
  }

  /** The vocabulary of values seen at least `minFrequency` times, and `idOf[provisional index]` (OOV_ID for rare ones). */
  finish(minFrequency: number): { vocabulary: Vocabulary; idOf: Int32Array } {
    if (!(Number.isInteger(minFrequency) && minFrequency >= 1)) throw new Error(`vocabulary: minFrequency must be an integer >= 1, got ${minFrequency}`);
    const values = [...this.index.keys()];
    const order = values.map((_, k) => k).filter((k) => this.counts[k] >= minFrequency);
    order.sort((a, b) => this.counts[b] - this.counts[a] || a - b);
    const idOf = new Int32Array(values.length).fill(OOV_ID);
    order.forEach((k, i) => (idOf[k] = i + 2));
    return { vocabulary: { values: order.map((k) => values[k]), minFrequency, distinct: values.length }, idOf };
  }
}
