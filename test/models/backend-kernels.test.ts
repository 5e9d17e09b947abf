/**
 * The leaner tfjs-node kernels installed by src/backend-kernels.ts keep the semantics of the ones they replace:
 * out-of-range gather ids still fail, the ReLU gradient (Step) is 1 above 0, 0 at and below 0 and NaN for NaN, and
 * reshape / sum / concat / transpose / expandDims with cached constant arguments give the same values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, backendInfo } from '../../src/tf.ts';

test('the native backend runs with the documented thread pools', () => {
  const info = backendInfo();
  assert.equal(info.name, 'tensorflow');
  assert.ok(info.threads, 'threads are recorded');
});

test('GatherV2: values are gathered and an id beyond the table is still an error', () => {
  const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(tf.gather(table, tf.tensor1d([2, 0, 2], 'int32')).arraySync(), [[5, 6], [1, 2], [5, 6]]);
  assert.throws(() => tf.gather(table, tf.tensor1d([3], 'int32')).dataSync(), /3|range|bound/i);
  assert.throws(() => tf.gather(table, tf.tensor1d([-1], 'int32')).dataSync(), /-1|range|bound/i);
});

test('Step (ReLU gradient): 1 above 0, 0 at and below 0, NaN stays NaN', () => {
  const g = tf.grad((x) => tf.relu(x))(tf.tensor1d([-2, 0, 3, Number.NaN])).dataSync();
  assert.deepEqual(Array.from(g.slice(0, 3)), [0, 0, 1]);
  assert.ok(Number.isNaN(g[3]));
  const leaky = tf.grad((x) => tf.leakyRelu(x, 0.25))(tf.tensor1d([-2, 3])).dataSync();
  assert.deepEqual(Array.from(leaky), [0.25, 1]);
});

test('shape ops with cached constant arguments', () => {
  const x = tf.tensor3d([[[1, 2, 3], [4, 5, 6]]]); // (1, 2, 3)
  for (let i = 0; i < 2; i++) {
    // twice: the second call reuses the cached constants
    assert.deepEqual(tf.reshape(x, [3, 2]).arraySync(), [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(tf.sum(x, [0, 2]).arraySync(), [6, 15]);
    assert.deepEqual(tf.sum(x, 1, true).arraySync(), [[[5, 7, 9]]]);
    assert.deepEqual(tf.concat([x, x], 1).shape, [1, 4, 3]);
    assert.deepEqual(tf.transpose(x, [2, 1, 0]).arraySync(), [[[1], [4]], [[2], [5]], [[3], [6]]]);
    assert.deepEqual(tf.expandDims(x, 3).shape, [1, 2, 3, 1]);
  }
  assert.deepEqual(tf.concat([tf.tensor1d([1], 'int32'), tf.tensor1d([2], 'int32')]).arraySync(), [1, 2]);
});
