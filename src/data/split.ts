/**
 * Splits of a dataset into train / validation / test: random, by time, and leave-one-out per user.
 * Each returns new datasets and throws when a part would be empty, naming the part.
 */
import { Dataset } from './dataset.ts';
import { Rng } from '../random.ts';

/** Train / validation / test parts. */
export interface Splits {
  train: Dataset;
  valid: Dataset;
  test: Dataset;
}

function nonEmpty(parts: Splits, how: string, mayBeEmpty: ReadonlyArray<keyof Splits> = []): Splits {
  for (const [k, v] of Object.entries(parts)) {
    if (v.size === 0 && !mayBeEmpty.includes(k as keyof Splits)) throw new Error(`${how}: the ${k} split is empty (dataset has ${parts.train.size + parts.valid.size + parts.test.size} rows)`);
  }
  return parts;
}

/** Options of `randomSplit`; defaults in `RANDOM_SPLIT_DEFAULTS`. */
export interface RandomSplitOptions {
  /** Fractions of valid and test rows; the rest is train. `valid: 0` gives an empty validation set. */
  valid: number;
  test: number;
  seed: number;
}
/** Defaults: 10% validation, 10% test, seed 0. */
export const RANDOM_SPLIT_DEFAULTS: RandomSplitOptions = { valid: 0.1, test: 0.1, seed: 0 };

/**
 * Seeded random split of rows.
 * @example
 * const { train, valid, test } = randomSplit(ds, { test: 0.2 });
 */
export function randomSplit(ds: Dataset, options: Partial<RandomSplitOptions> = {}): Splits {
  const o = { ...RANDOM_SPLIT_DEFAULTS, ...options };
  if (!(o.valid >= 0 && o.test > 0 && o.valid + o.test < 1)) throw new Error(`randomSplit: need valid >= 0, test > 0 and valid + test < 1, got valid=${o.valid} test=${o.test}`);
  const perm = new Rng(o.seed).shuffle(Int32Array.from({ length: ds.size }, (_, i) => i));
  const nTest = Math.round(ds.size * o.test);
  const nValid = Math.round(ds.size * o.valid);
  const sorted = (a: Int32Array) => a.slice().sort();
  return nonEmpty(
    {
      test: ds.take(sorted(perm.subarray(0, nTest))),
      valid: ds.take(sorted(perm.subarray(nTest, nTest + nValid))),
      train: ds.take(sorted(perm.subarray(nTest + nValid))),
    },
    'randomSplit',
    o.valid === 0 ? ['valid'] : [],
  );
}

/**
 * Split by timestamp: rows before `validFrom` train, [validFrom, testFrom) validate, the rest test.
 * Needs `schema.timestamp`.
 */
export function timeSplit(ds: Dataset, options: { validFrom: number; testFrom: number }): Splits {
  const tsName = ds.schema.timestamp;
  if (!tsName) throw new Error('timeSplit: the schema has no timestamp column');
  if (!(options.validFrom <= options.testFrom)) throw new Error(`timeSplit: validFrom (${options.validFrom}) must not be after testFrom (${options.testFrom})`);
  const t = ds.column(tsName);
  return nonEmpty(
    {
      train: ds.filter((i) => t[i] < options.validFrom),
      valid: ds.filter((i) => t[i] >= options.validFrom && t[i] < options.testFrom),
      test: ds.filter((i) => t[i] >= options.testFrom),
    },
    'timeSplit',
  );
}

/**
 * Leave-one-out per user: each user's last row (by timestamp, else by row order) is test, the one before it is
 * validation, the rest train. Users with fewer than 3 rows keep all their rows in train (counted in the result).
 */
export function leaveOneOut(ds: Dataset): Splits & { usersTooShort: number } {
  const u = ds.schema.userId;
  if (!u) throw new Error('leaveOneOut: the schema has no userId column');
  const users = ds.column(u);
  const t = ds.schema.timestamp ? ds.column(ds.schema.timestamp) : null;
  const byUser = new Map<number, number[]>();
  for (let i = 0; i < ds.size; i++) {
    const list = byUser.get(users[i]);
    if (list) list.push(i);
    else byUser.set(users[i], [i]);
  }
  const role = new Int8Array(ds.size); // 0 train, 1 valid, 2 test
  let usersTooShort = 0;
  for (const rows of byUser.values()) {
    if (t) rows.sort((a, b) => t[a] - t[b] || a - b);
    if (rows.length < 3) {
      usersTooShort++;
      continue;
    }
    role[rows[rows.length - 1]] = 2;
    role[rows[rows.length - 2]] = 1;
  }
  const parts = nonEmpty(
    { train: ds.filter((i) => role[i] === 0), valid: ds.filter((i) => role[i] === 1), test: ds.filter((i) => role[i] === 2) },
    'leaveOneOut',
  );
  return { ...parts, usersTooShort };
}
