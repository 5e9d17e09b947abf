import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../../src/data/dataset.ts';
import type { Schema } from '../../src/data/schema.ts';
import { FROM_DATAFRAME_DEFAULTS, TO_DATAFRAME_DEFAULTS, fromDataFrame, toDataFrame } from '../../src/data/dataframe.ts';

const schema: Schema = {
  features: [
    { kind: 'categorical', name: 'user_id', vocab: 10 },
    { kind: 'multiHot', name: 'tags', vocab: 8, maxLen: 3 },
    { kind: 'sequence', name: 'hist', vocab: 20, maxLen: 2 },
    { kind: 'dense', name: 'price' },
    { kind: 'dense', name: 'emb', dim: 2 },
  ],
  labels: ['click'],
  userId: 'user_id',
  timestamp: 'ts',
};
const ds = Dataset.fromColumns(schema, {
  user_id: new Int32Array([1, 9, 0]),
  tags: new Int32Array([1, 3, 0, 0, 0, 0, 7, 6, 5]),
  hist: new Int32Array([5, 0, 0, 0, 19, 1]),
  price: new Float32Array([0.1, -2, 1000]),
  emb: new Float32Array([0.3, -1, 0, 0, 1.5, 2]),
  click: new Float32Array([1, 0, 1]),
  ts: new Float64Array([1_700_000_000.123456, 200, 300]),
});

function assertSameColumns(a: Dataset, b: Dataset): void {
  assert.deepEqual(a.columnNames(), b.columnNames());
  for (const c of a.columnNames()) assert.deepEqual(a.column(c), b.column(c), `column ${c}`);
}

test('defaults: toDataFrame lists join with |; fromDataFrame | , long lists error, extra columns ignored', () => {
  assert.deepEqual(TO_DATAFRAME_DEFAULTS, { lists: 'join', listSeparator: '|' });
  assert.deepEqual(FROM_DATAFRAME_DEFAULTS, { listSeparator: '|', truncateLists: 'error', ignoreExtraColumns: true });
});

test('toDataFrame lists=join: one column per schema column, lists as strings', async () => {
  const df = await toDataFrame(ds);
  assert.deepEqual(df.columns, ['user_id', 'tags', 'hist', 'price', 'emb', 'click', 'ts']);
  assert.deepEqual(df.shape, [3, 7]);
  assert.deepEqual(df.column('user_id').values, [1, 9, 0]);
  assert.deepEqual(df.column('tags').values, ['1|3', '', '7|6|5']);
  assert.deepEqual(df.column('hist').values, ['5', '', '19|1']);
  assert.deepEqual(df.column('emb').values, [`${Math.fround(0.3)}|-1`, '0|0', '1.5|2']);
  assert.deepEqual(df.column('ts').values, [1_700_000_000.123456, 200, 300]);
});

test('toDataFrame lists=expand: one column per position, padding included', async () => {
  const df = await toDataFrame(ds, { lists: 'expand' });
  assert.deepEqual(df.columns, ['user_id', 'tags_0', 'tags_1', 'tags_2', 'hist_0', 'hist_1', 'price', 'emb_0', 'emb_1', 'click', 'ts']);
  assert.deepEqual(df.column('tags_1').values, [3, 0, 6]);
  assert.deepEqual(df.column('hist_0').values, [5, 0, 19]);
});

for (const lists of ['join', 'expand'] as const) {
  test(`round trip ds -> df -> ds gives identical columns (lists=${lists})`, async () => {
    const back = await fromDataFrame(await toDataFrame(ds, { lists }), schema);
    assertSameColumns(ds, back);
  });
}

test('round trip of an empty dataset', async () => {
  const empty = ds.take([]);
  const df = await toDataFrame(empty);
  assert.deepEqual(df.shape, [0, 7]);
  assertSameColumns(empty, await fromDataFrame(df, schema));
});

test('fromDataFrame: a missing column is named, with the closest column suggested', async () => {
  const { DataFrame } = await import('danfojs-node');
  const df = new DataFrame({ userid: [1], tags: ['1'], hist: [''], price: [0], emb: ['0|0'], click: [1], ts: [0] });
  await assert.rejects(fromDataFrame(df, schema, 'frame.csv'), /frame\.csv: column 'user_id' not found \(did you mean 'userid'\?\); columns: userid, tags/);
  const partial = new DataFrame({ user_id: [1], tags_0: [1], tags_1: [0], hist: [''], price: [0], emb: ['0|0'], click: [1], ts: [0] });
  await assert.rejects(fromDataFrame(partial, schema), /DataFrame: column 'tags_2' is missing \(expanded 'tags' needs tags_0 \.\. tags_2\)/);
});

// [case, column, value at row 1, expected message]
const cellCases: Array<[string, string, string | number | boolean | null, RegExp]> = [
  ['id >= vocab', 'user_id', 12, /src: column 'user_id', row 1: got 12, expected an integer id in \[0, 10\)/],
  ['negative id', 'user_id', -1, /src: column 'user_id', row 1: got -1, expected an integer id/],
  ['non-integer id', 'user_id', 1.5, /src: column 'user_id', row 1: got 1\.5, expected an integer id/],
  ['id as bad text', 'user_id', 'x', /src: column 'user_id', row 1: got 'x', expected an integer id/],
  ['missing id', 'user_id', null, /src: column 'user_id', row 1: got an empty cell \(null\), expected an integer id/],
  ['id 0 in a list', 'tags', '2|0', /src: column 'tags', row 1: got '2\|0': '0' at position 2 \(0 is padding\)/],
  ['list too long', 'hist', '1|2|3', /src: column 'hist', row 1: got 3 ids '1\|2\|3', expected at most maxLen 2/],
  ['NaN dense', 'price', NaN, /src: column 'price', row 1: got NaN, expected a finite number/],
  ['label 2', 'click', 2, /src: column 'click', row 1: got 2, expected a label 0 or 1/],
  ['timestamp text', 'ts', 'soon', /src: column 'ts', row 1: got 'soon', expected a finite number/],
];
for (const [name, column, value, re] of cellCases) {
  test(`fromDataFrame rejects ${name} (${column} = ${String(value)}) naming column and row`, async () => {
    const { DataFrame } = await import('danfojs-node');
    const data: Record<string, Array<string | number | boolean | null>> = {
      user_id: [1, 2], tags: ['1', ''], hist: ['', '3'], price: [0, 1], emb: ['0|0', '1|1'], click: [1, 0], ts: [0, 1],
    };
    data[column][1] = value;
    await assert.rejects(fromDataFrame(new DataFrame(data), schema, 'src'), re);
  });
}

test('fromDataFrame: boolean labels, numeric single-id lists, extra columns and expanded padding rules', async () => {
  const { DataFrame } = await import('danfojs-node');
  const base = { user_id: [1, 2], tags: [3, ''], hist: ['', '3'], price: [0, 1], emb: ['0|0', '1|1'], click: [true, false], ts: [0, 1], note: ['a', 'b'] };
  const got = await fromDataFrame(new DataFrame(base), schema);
  assert.deepEqual(got.column('tags'), new Int32Array([3, 0, 0, 0, 0, 0]));
  assert.deepEqual(got.label('click'), new Float32Array([1, 0]));
  await assert.rejects(fromDataFrame(new DataFrame(base), schema, 'src', { ignoreExtraColumns: false }), /src: column 'note' is not in the schema/);
  const kept = await fromDataFrame(new DataFrame({ ...base, hist: ['', '1|2|3'] }), schema, 'src', { truncateLists: 'keep-last' });
  assert.deepEqual(kept.column('hist'), new Int32Array([0, 0, 2, 3]));
  const { tags: _t, ...rest } = base;
  const gap = new DataFrame({ ...rest, tags_0: [0, 1], tags_1: [4, 0], tags_2: [0, 0] });
  await assert.rejects(fromDataFrame(gap, schema, 'src'), /src: column 'tags', row 0: got id 4 at position 2 after padding 0, expected ids left-aligned/);
  await assert.rejects(fromDataFrame(new DataFrame(base), schema, 'src', { lists: 'join' } as Partial<typeof FROM_DATAFRAME_DEFAULTS>), /unknown option\(s\) lists/);
});
