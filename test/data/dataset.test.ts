import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Column, Dataset, gatherRows } from '../../src/data/dataset.ts';
import type { Schema } from '../../src/data/schema.ts';
import { RANDOM_SPLIT_DEFAULTS, leaveOneOut, randomSplit, timeSplit } from '../../src/data/split.ts';
import { BATCH_DEFAULTS, batchCount, batchOf, batches, toTensors } from '../../src/data/batching.ts';
import { tf } from '../../src/tf.ts';

const schema: Schema = {
  features: [
    { kind: 'categorical', name: 'id', vocab: 1000 },
    { kind: 'categorical', name: 'user', vocab: 10 },
    { kind: 'sequence', name: 'hist', vocab: 50, maxLen: 2 },
    { kind: 'dense', name: 'x', dim: 2 },
  ],
  labels: ['y'],
  userId: 'user',
  timestamp: 't',
};
/** n rows; row i has id i, user i % 10, hist [i % 49 + 1, 0], x [i, -i], y i % 2, t = 1000 - i. */
function make(n: number): Dataset {
  const hist = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) hist[2 * i] = (i % 49) + 1;
  return Dataset.fromColumns(schema, {
    id: Int32Array.from({ length: n }, (_, i) => i),
    user: Int32Array.from({ length: n }, (_, i) => i % 10),
    hist,
    x: Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? k / 2 : -(k - 1) / 2)),
    y: Float32Array.from({ length: n }, (_, i) => i % 2),
    t: Float64Array.from({ length: n }, (_, i) => 1000 - i),
  });
}
const ids = (ds: Dataset): number[] => Array.from(ds.column('id'));
const cols = (): Record<string, Column> => ({
  id: new Int32Array([0, 1]), user: new Int32Array([0, 1]), hist: new Int32Array([1, 0, 2, 3]),
  x: new Float32Array([0, 0, 1, 1]), y: new Float32Array([0, 1]), t: new Float64Array([1, 2]),
});

test('Dataset.fromColumns: size, column order, row(), widthOf()', () => {
  const ds = Dataset.fromColumns(schema, cols());
  assert.equal(ds.size, 2);
  assert.deepEqual(ds.columnNames(), ['id', 'user', 'hist', 'x', 'y', 't']);
  assert.deepEqual(ds.row(1), { id: 1, user: 1, hist: [2, 3], x: [1, 1], y: 1, t: 2 });
  assert.deepEqual([ds.widthOf('hist'), ds.widthOf('x'), ds.widthOf('y'), ds.widthOf('t')], [2, 2, 1, 1]);
});

// [case, change to the good columns, expected message]
const bad: Array<[string, (c: Record<string, Column>) => void, RegExp]> = [
  ['unknown column', (c) => (c.z = new Int32Array(2)), /src: column 'z' is not in the schema/],
  ['missing column', (c) => delete c.t, /src: missing column 't' \(timestamp\)/],
  ['wrong array type', (c) => (c.y = new Int32Array([0, 1])), /src: column 'y' must be a Float32Array, got Int32Array/],
  ['length not a multiple of the width', (c) => (c.hist = new Int32Array(3)), /src: column 'hist' has 3 values, not a multiple of its width 2/],
  ['row count mismatch', (c) => (c.user = new Int32Array(3)), /src: column 'user' has 3 rows, expected 2/],
  ['id >= vocab', (c) => (c.user = new Int32Array([0, 10])), /src: column 'user', row 1: id 10 is outside the vocabulary \[0, 10\)/],
  ['negative id', (c) => (c.id = new Int32Array([-1, 0])), /src: column 'id', row 0: id -1 is outside/],
  ['list id >= vocab', (c) => (c.hist = new Int32Array([1, 0, 2, 50])), /src: column 'hist', row 1: id 50 is outside the vocabulary \[0, 50\)/],
  ['label 0.5', (c) => (c.y = new Float32Array([0.5, 1])), /src: column 'y', row 0: label 0\.5 must be 0 or 1/],
  ['NaN dense', (c) => (c.x = new Float32Array([0, 0, 1, NaN])), /src: column 'x', row 1: value NaN is not finite/],
  ['Infinity timestamp', (c) => (c.t = new Float64Array([1, Infinity])), /src: column 't', row 1: value Infinity is not finite/],
];
for (const [name, change, re] of bad) {
  test(`Dataset.fromColumns rejects ${name}`, () => {
    const c = cols();
    change(c);
    assert.throws(() => Dataset.fromColumns(schema, c, 'src'), re);
  });
}

test('Dataset: take (order, repeats, copies), filter, and errors of take / row / column / label', () => {
  const ds = make(10);
  const t = ds.take([3, 1, 3]);
  assert.deepEqual(ids(t), [3, 1, 3]);
  assert.deepEqual(t.row(0), ds.row(3));
  assert.notEqual(t.column('x').buffer, ds.column('x').buffer);
  assert.deepEqual(ids(ds.filter((i) => i % 4 === 0)), [0, 4, 8]);
  assert.equal(ds.filter(() => false).size, 0);
  assert.throws(() => ds.take([10]), /row index 10 is out of range \[0, 10\)/);
  assert.throws(() => ds.take([1.5]), /row index 1\.5 is out of range/);
  assert.throws(() => ds.row(10), /row 10 is out of range \[0, 10\)/);
  assert.throws(() => ds.column('nope'), /dataset has no column 'nope' \(columns: id, user, hist, x, y, t\)/);
  assert.throws(() => ds.label('id'), /dataset has no label 'id' \(labels: y\)/);
  assert.deepEqual(gatherRows(new Float32Array([1, 2, 3, 4]), 2, [1, 0], 2), new Float32Array([3, 4, 1, 2]));
});

test('randomSplit defaults valid 0.1 test 0.1 seed 0; sizes 80/10/10 on 100 rows, every row once', () => {
  assert.deepEqual(RANDOM_SPLIT_DEFAULTS, { valid: 0.1, test: 0.1, seed: 0 });
  const { train, valid, test: te } = randomSplit(make(100));
  assert.deepEqual([train.size, valid.size, te.size], [80, 10, 10]);
  const all = [...ids(train), ...ids(valid), ...ids(te)].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
  for (const part of [train, valid, te]) assert.deepEqual(ids(part), [...ids(part)].sort((a, b) => a - b), 'rows keep their order');
});

test('randomSplit(valid 0.2, test 0.3) sizes 50/20/30; equal seeds equal splits, other seeds differ', () => {
  const ds = make(100);
  const a = randomSplit(ds, { valid: 0.2, test: 0.3, seed: 7 });
  const b = randomSplit(ds, { valid: 0.2, test: 0.3, seed: 7 });
  const c = randomSplit(ds, { valid: 0.2, test: 0.3, seed: 8 });
  assert.deepEqual([a.train.size, a.valid.size, a.test.size], [50, 20, 30]);
  assert.deepEqual(ids(a.test), ids(b.test));
  assert.notDeepEqual(ids(a.test), ids(c.test));
});

test('randomSplit(valid 0, test 0.2) gives an empty validation set, 80/0/20', () => {
  const s = randomSplit(make(100), { valid: 0, test: 0.2 });
  assert.deepEqual([s.train.size, s.valid.size, s.test.size], [80, 0, 20]);
});

test('randomSplit errors: bad fractions, an empty part', () => {
  assert.throws(() => randomSplit(make(10), { valid: 0.5, test: 0.5 }), /randomSplit: need valid >= 0, test > 0 and valid \+ test < 1, got valid=0\.5 test=0\.5/);
  assert.throws(() => randomSplit(make(10), { test: 0 }), /test > 0/);
  assert.throws(() => randomSplit(make(3)), /randomSplit: the test split is empty \(dataset has 3 rows\)/);
});

test('timeSplit: t < validFrom train, [validFrom, testFrom) valid, >= testFrom test; errors', () => {
  const ds = make(10); // t = 1000 .. 991
  const s = timeSplit(ds, { validFrom: 995, testFrom: 998 });
  assert.deepEqual(ids(s.train), [6, 7, 8, 9]);
  assert.deepEqual(ids(s.valid), [3, 4, 5]);
  assert.deepEqual(ids(s.test), [0, 1, 2]);
  assert.throws(() => timeSplit(ds, { validFrom: 999, testFrom: 998 }), /validFrom \(999\) must not be after testFrom \(998\)/);
  assert.throws(() => timeSplit(ds, { validFrom: 2000, testFrom: 3000 }), /timeSplit: the valid split is empty/);
  const { t: _t, ...untimed } = cols();
  const noTime = Dataset.fromColumns({ ...schema, timestamp: undefined }, untimed);
  assert.throws(() => timeSplit(noTime, { validFrom: 0, testFrom: 1 }), /timeSplit: the schema has no timestamp column/);
});

test('leaveOneOut: per user, latest row test, next valid, users with < 3 rows stay in train', () => {
  // 25 rows, users 0..9: users 0-4 have 3 rows, users 5-9 have 2; t decreases with the row, so a user's latest is its first row.
  const s = leaveOneOut(make(25));
  assert.equal(s.usersTooShort, 5);
  assert.deepEqual(ids(s.test), [0, 1, 2, 3, 4]);
  assert.deepEqual(ids(s.valid), [10, 11, 12, 13, 14]);
  assert.equal(s.train.size, 15);
  const noUser = Dataset.fromColumns({ ...schema, userId: undefined }, cols());
  assert.throws(() => leaveOneOut(noUser), /leaveOneOut: the schema has no userId column/);
  assert.throws(() => leaveOneOut(make(12)), /leaveOneOut: the valid split is empty \(dataset has 12 rows\)/);
});

test('BATCH_DEFAULTS and batchCount', () => {
  assert.deepEqual(BATCH_DEFAULTS, { batchSize: 1024, shuffle: true, seed: 0, epoch: 0, dropLast: false });
  assert.deepEqual([batchCount(10, 3), batchCount(10, 3, true), batchCount(9, 3, true)], [4, 3, 3]);
});

test('batches(n 103, batchSize 10): every row exactly once per epoch; epochs differ; equal seeds equal', () => {
  const ds = make(103);
  const order = (o: Parameters<typeof batches>[1]) => [...batches(ds, o)].flatMap((b) => Array.from(b.columns.id));
  const e0 = order({ batchSize: 10, seed: 3, epoch: 0 });
  assert.deepEqual([...e0].sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
  assert.deepEqual([...batches(ds, { batchSize: 10 })].map((b) => b.size), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
  assert.notDeepEqual(order({ batchSize: 10, seed: 3, epoch: 1 }), e0);
  assert.deepEqual(order({ batchSize: 10, seed: 3, epoch: 0 }), e0);
  assert.notDeepEqual(order({ batchSize: 10, seed: 4, epoch: 0 }), e0);
  assert.deepEqual(order({ batchSize: 10, shuffle: false }), Array.from({ length: 103 }, (_, i) => i));
  const b = [...batches(ds, { batchSize: 10, seed: 3 })][0];
  for (let k = 0; k < b.size; k++) assert.deepEqual(Array.from(b.columns.x.subarray(2 * k, 2 * k + 2)), ds.row(b.columns.id[k]).x);
});

test('batches dropLast drops only the last partial batch; bad batchSize is an error', () => {
  const sizes = [...batches(make(103), { batchSize: 10, dropLast: true })].map((b) => b.size);
  assert.deepEqual(sizes, Array(10).fill(10));
  assert.equal([...batches(make(100), { batchSize: 10, dropLast: true })].length, 10);
  assert.throws(() => [...batches(make(5), { batchSize: 0 })], /batches: batchSize must be a positive integer, got 0/);
});

test('toTensors: shapes and dtypes per column kind, values, no timestamp tensor, no leak', () => {
  const ds = make(6);
  const before = tf.memory().numTensors;
  const t = toTensors(ds, batchOf(ds, [4, 1, 2]));
  assert.deepEqual(Object.keys(t).sort(), ['hist', 'id', 'user', 'x', 'y']);
  assert.deepEqual([t.id.shape, t.id.dtype], [[3], 'int32']);
  assert.deepEqual([t.hist.shape, t.hist.dtype], [[3, 2], 'int32']);
  assert.deepEqual([t.x.shape, t.x.dtype], [[3, 2], 'float32']);
  assert.deepEqual([t.y.shape, t.y.dtype], [[3], 'float32']);
  assert.deepEqual(Array.from(t.id.dataSync()), [4, 1, 2]);
  assert.deepEqual(Array.from(t.x.dataSync()), [4, -4, 1, -1, 2, -2]);
  tf.dispose(Object.values(t));
  assert.equal(tf.memory().numTensors, before);
});
