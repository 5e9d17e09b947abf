/**
 * Values on their way to fit workers (src/pipelines/portable.ts): Datasets come back as Datasets (methods and shared
 * references intact, values checked again); with `strict`, what would arrive broken — another class instance, a
 * function — is an error naming where it sits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../../src/data/dataset.ts';
import type { Schema } from '../../src/data/schema.ts';
import { fromPortableBytes, toPortableBytes } from '../../src/pipelines/portable.ts';
import { Rng } from '../../src/random.ts';

const schema: Schema = { features: [{ name: 'item', kind: 'categorical', vocab: 5 }], labels: ['click'] };
const ds = Dataset.fromColumns(schema, { item: new Int32Array([1, 4, 2]), click: new Float32Array([0, 1, 1]) });

test('portable: Datasets come back as Datasets, shared references stay shared, the rest as structured cloning keeps it', () => {
  const value = { name: 'w', train: ds, splits: [ds, ds.take([0, 2])], truth: new Map([['click', new Float32Array([0.2, 0.7, 0.6])]]), tags: new Set(['a']), n: 3 };
  const back = fromPortableBytes(toPortableBytes(value, 'world', true)) as typeof value;
  assert.ok(back.train instanceof Dataset, 'a Dataset, with its methods');
  assert.equal(back.train, back.splits[0], 'one Dataset reached twice arrives as one');
  assert.deepEqual([...back.train.column('item')], [1, 4, 2]);
  assert.deepEqual([...back.splits[1].label('click')], [0, 1]);
  assert.deepEqual(back.train.schema, schema);
  assert.ok(back.truth.get('click') instanceof Float32Array);
  assert.deepEqual([...back.tags], ['a']);
  assert.equal(back.n, 3);
});

test('portable: strict refuses class instances and functions, naming where they sit; not strict lets them through as plain data', () => {
  assert.throws(() => toPortableBytes({ world: { rng: new Rng(1) } }, 'shared input x', true), /shared input x\.world\.rng is a Rng: only plain objects, arrays, Maps, Sets, typed arrays and Datasets/);
  assert.throws(() => toPortableBytes({ score: [(a: number) => a] }, 'shared input y', true), /shared input y\.score\[0\] is a function/);
  const loose = fromPortableBytes(toPortableBytes({ rng: new Rng(1) }, 'a fit')) as { rng: object };
  assert.ok(!(loose.rng instanceof Rng), 'without strict, a class instance arrives as a plain object (structured cloning)');
});

test('portable: a damaged portable Dataset is an error naming where it came from and what is wrong', () => {
  const columns = { item: new Int32Array([1, 9, 2]), click: new Float32Array([0, 1, 1]) };
  assert.throws(() => Dataset.fromPortable({ schema, size: 3, columns }, 'world.train'), /world\.train.*'item'/);
  assert.throws(() => Dataset.fromPortable({ ...ds.toPortable(), size: 4 }, 'world.train'), /world\.train: 3 rows in the columns, expected 4/);
});
