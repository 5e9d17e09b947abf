/**
 * Unit tests of the shared layers: shapes, defaults, masks, normalisation, gates, state dicts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { Dense, MLP, MLP_DEFAULTS } from '../../src/layers/dense.ts';
import { LayerNorm } from '../../src/layers/norm.ts';
import { Gate, mixExperts } from '../../src/layers/experts.ts';
import { MultiHeadSelfAttention, TransformerBlock, TargetAttention } from '../../src/layers/attention.ts';
import { assertClose } from '../helpers/close.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';

test('MLP defaults are [128, 64], relu, outDim 1, no dropout; names are dense0, dense1, out', () => {
  assert.deepEqual(MLP_DEFAULTS, { hidden: [128, 64], activation: 'relu', outDim: 1, dropout: 0 });
  const m = new MLP(new Rng(1), 5);
  assert.deepEqual([...m.namedVariables().keys()], ['dense0.kernel', 'dense0.bias', 'dense1.kernel', 'dense1.bias', 'out.kernel', 'out.bias']);
  assert.equal(m.parameterCount(), 5 * 128 + 128 + 128 * 64 + 64 + 64 + 1);
  m.dispose();
});

test('Dense on (B, T, in) equals Dense on the flattened rows', () => {
  const d = new Dense(new Rng(2), 4, 3, 'relu');
  tf.tidy(() => {
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 1);
    assert.deepEqual(d.apply(x).shape, [2, 5, 3]);
    assertClose(d.apply(x).dataSync(), d.apply(tf.reshape(x, [10, 4])).dataSync(), { what: 'dense 3-D vs 2-D' });
  });
  d.dispose();
});

test('LayerNorm gives zero mean and unit variance per row at init', () => {
  const ln = new LayerNorm(new Rng(3), 8);
  tf.tidy(() => {
    const y = ln.apply(tf.randomNormal([4, 8], 3, 2, 'float32', 2));
    const { mean, variance } = tf.moments(y, -1);
    assertClose(mean.dataSync(), new Float32Array(4), { atol: 1e-5, what: 'mean' });
    assertClose(variance.dataSync(), new Float32Array(4).fill(1), { atol: 1e-3, what: 'variance' });
  });
  ln.dispose();
});

test('Gate rows sum to 1 and mixExperts is the gate-weighted sum', () => {
  const g = new Gate(new Rng(4), 6, 3);
  tf.tidy(() => {
    const w = g.apply(tf.randomNormal([5, 6], 0, 1, 'float32', 3));
    assertClose(tf.sum(w, 1).dataSync(), new Float32Array(5).fill(1), { what: 'gate sums' });
    const experts = tf.stack([tf.fill([5, 2], 1), tf.fill([5, 2], 2), tf.fill([5, 2], 3)], 1); // (B, E, H)
    const mixed = mixExperts(w, experts).dataSync();
    const wv = w.arraySync() as number[][];
    for (let r = 0; r < 5; r++) assertClose([mixed[2 * r]], [wv[r][0] + 2 * wv[r][1] + 3 * wv[r][2]], { what: `row ${r}` });
  });
  g.dispose();
});

test('self-attention: masked keys do not change the outputs of other positions', () => {
  const att = new MultiHeadSelfAttention(new Rng(5), 8, 2);
  tf.tidy(() => {
    const x = tf.randomNormal([1, 4, 8], 0, 1, 'float32', 4);
    const mask = tf.tensor2d([[1, 1, 1, 0]]);
    const x2 = tf.concat([tf.slice(x, [0, 0, 0], [1, 3, 8]), tf.fill([1, 1, 8], 9)], 1); // change the masked position
    const a = tf.slice(att.apply(x, mask), [0, 0, 0], [1, 3, 8]).dataSync();
    const b = tf.slice(att.apply(x2, mask), [0, 0, 0], [1, 3, 8]).dataSync();
    assertClose(a, b, { atol: 1e-5, what: 'unmasked outputs' });
  });
  assert.throws(() => new MultiHeadSelfAttention(new Rng(1), 6, 4), /dim 6 is not divisible by heads 4/);
  att.dispose();
});

test('applyLast of self-attention and of the transformer block equals apply at the last position, values and gradients', () => {
  const block = new TransformerBlock(new Rng(16), 8, 2, 2);
  tf.tidy(() => {
    const x = tf.randomNormal([3, 5, 8], 0, 1, 'float32', 14);
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 0, 1]]);
    const lastOf = (t: Tensor) => tf.squeeze(tf.slice(t, [0, 4, 0], [-1, 1, -1]), [1]);
    assertClose(block.applyLast(x, mask, false).dataSync(), lastOf(block.apply(x, mask, false)).dataSync(), { atol: 1e-5, what: 'block, last position' });
    const att = new MultiHeadSelfAttention(new Rng(17), 8, 4);
    assertClose(att.applyLast(x, mask).dataSync(), lastOf(att.apply(x, mask)).dataSync(), { atol: 1e-5, what: 'attention, last position' });
    att.dispose();
    // The same function, so the same gradients for every parameter and for x.
    const vars = [...block.namedVariables().values()];
    const full = tf.variableGrads(() => tf.sum(tf.square(lastOf(block.apply(x, mask, true)))) as Scalar, vars);
    const last = tf.variableGrads(() => tf.sum(tf.square(block.applyLast(x, mask, true))) as Scalar, vars);
    for (const [name, g] of Object.entries(full.grads)) assertClose(last.grads[name].dataSync(), g.dataSync(), { atol: 1e-5, what: `gradient ${name}` });
    const gx = (f: (t: Tensor) => Tensor) => tf.grad((t: Tensor) => tf.sum(tf.square(f(t))))(x).dataSync();
    assertClose(gx((t) => block.applyLast(t, mask, true)), gx((t) => lastOf(block.apply(t, mask, true))), { atol: 1e-5, what: 'gradient of x' });
  });
  block.dispose();
});

test('TransformerBlock keeps the shape; TargetAttention sums keys with masked weights', () => {
  const block = new TransformerBlock(new Rng(6), 8, 2);
  const ta = new TargetAttention(new Rng(7), 4, [5]);
  tf.tidy(() => {
    assert.deepEqual(block.apply(tf.randomNormal([2, 3, 8]), tf.ones([2, 3]), true).shape, [2, 3, 8]);
    const keys = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 5);
    const q = tf.randomNormal([2, 4], 0, 1, 'float32', 6);
    const mask = tf.tensor2d([[1, 1, 0], [1, 0, 0]]);
    const w = ta.weights(q, keys, mask);
    const manual = tf.sum(tf.mul(keys, tf.expandDims(w, 2)), 1);
    assertClose(ta.apply(q, keys, mask).dataSync(), manual.dataSync(), { what: 'target attention' });
    const wv = w.arraySync() as number[][];
    assert.ok(wv[0][2] === 0 && wv[1][1] === 0 && wv[1][2] === 0, `masked weights are zero: ${JSON.stringify(wv)}`);
  });
  block.dispose();
  ta.dispose();
});

test('stateDict round-trips and loadStateDict names what is wrong', () => {
  const a = new MLP(new Rng(8), 3, { hidden: [2] });
  const b = new MLP(new Rng(9), 3, { hidden: [2] });
  b.loadStateDict(a.stateDict());
  for (const [k, v] of Object.entries(a.stateDict())) assertClose(b.stateDict()[k].values, v.values, { what: k });
  const sd = a.stateDict();
  delete sd['out.bias'];
  assert.throws(() => b.loadStateDict(sd), /missing \[out\.bias\]/);
  const bad = a.stateDict();
  bad['dense0.kernel'] = { shape: [2, 3], values: new Float32Array(6) };
  assert.throws(() => b.loadStateDict(bad), /'dense0.kernel' has shape \[2,3\] but the parameter is \[3,2\]/);
  a.dispose();
  b.dispose();
});

test('MLP dropout: a fresh mask per call, inverted scaling, none at evaluation; stream positions save and restore strictly', () => {
  const mlp = new MLP(new Rng(2), 4, { hidden: [64], outDim: 0, activation: 'linear', dropout: 0.5 });
  const x = tf.ones([8, 4]);
  const train1 = mlp.apply(x, true).arraySync() as number[][];
  const train2 = mlp.apply(x, true).arraySync() as number[][];
  const evalOut = mlp.apply(x, false).arraySync() as number[][];
  const zeros = (m: number[][]) => m.flat().filter((v) => v === 0).length;
  assert.ok(zeros(train1) > 100 && zeros(train1) < 412, `about half of 512 dropped: ${zeros(train1)}`);
  assert.notDeepEqual(train1, train2, 'a new mask at each call');
  assert.equal(zeros(evalOut), 0);
  train1.flat().forEach((v, i) => assert.ok(v === 0 || Math.abs(v - 2 * evalOut.flat()[i]) < 1e-5, 'kept entries scaled by 1 / (1 - 0.5)'));
  const state = mlp.dropoutState();
  assert.equal(state.length, 1);
  assert.equal(state[0][1], 2, 'two masks drawn');
  const other = new MLP(new Rng(7), 4, { hidden: [64], outDim: 0, activation: 'linear', dropout: 0.5 });
  other.loadStateDict(mlp.stateDict());
  other.loadDropoutState([[state[0][0], 1]]); // back to just after the first mask
  assert.deepEqual(other.apply(x, true).arraySync(), train2, 'restored stream draws the second mask again');
  assert.throws(() => other.loadDropoutState([]), /holds 0 dropout streams but the module has 1/);
  x.dispose();
  mlp.dispose();
  other.dispose();
});
