/**
 * MMoE and PLE heads (src/layers/mtl.ts): one logit (B) per task, parameter names, every variable gets a finite
 * non-zero gradient, MMoE gates are distributions, a few Adam steps fit two tasks with opposite labels (so the heads
 * really separate the tasks), bad configs and unknown task names are errors naming them, no leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { Rng } from '../../src/random.ts';
import { MMoE, PLE, MMOE_DEFAULTS, PLE_DEFAULTS, checkTaskNames } from '../../src/layers/mtl.ts';
import type { Module } from '../../src/layers/module.ts';
import { Optimizer } from '../../src/train/optimizers.ts';
import { bceWithLogits } from '../../src/train/losses.ts';

const TASKS = ['click', 'like', 'gift'];
type Head = Module & { apply(x: Tensor, training: boolean): Record<string, Tensor> };

function everyGradient(head: Head, x: Tensor, labels: Record<string, Tensor>): void {
  const vars = head.trainableVariables();
  const names = new Map([...vars].map(([k, v]) => [v.name, k]));
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.addN(Object.entries(head.apply(x, true)).map(([t, l]) => bceWithLogits(l, labels[t]))) as Scalar, [...vars.values()]);
    assert.equal(Object.keys(grads).length, vars.size);
    for (const [k, g] of Object.entries(grads)) {
      const v = g.dataSync();
      assert.ok(v.every(Number.isFinite), `gradient of ${names.get(k)} is finite`);
      assert.ok(v.some((a) => a !== 0), `gradient of ${names.get(k)} is non-zero`);
    }
  });
}

const cases: Array<{ name: string; make: (rng: Rng) => Head; expectNames: string[] }> = [
  { name: 'MMoE', make: (rng) => new MMoE(rng, 12, TASKS, { experts: 3, expertHidden: [16, 8], tower: [4], dropout: 0 }), expectNames: ['expert0.dense0.kernel', 'expert2.dense1.bias', 'clickGate.proj.kernel', 'giftTower.out.kernel'] },
  {
    name: 'PLE',
    make: (rng) => new PLE(rng, 12, TASKS, { levels: 2, sharedExperts: 2, taskExperts: 1, expertHidden: [16, 8], tower: [4], dropout: 0 }),
    expectNames: ['level0.clickExpert0.dense0.kernel', 'level0.sharedExpert1.dense1.bias', 'level0.sharedGate.proj.kernel', 'level1.giftGate.proj.kernel', 'likeTower.out.bias'],
  },
];

for (const c of cases) {
  test(`${c.name}: logits (B) per task, named parameters, finite non-zero gradients everywhere, no leaks`, () => {
    const head = c.make(new Rng(1));
    const names = [...head.trainableVariables().keys()];
    for (const n of c.expectNames) assert.ok(names.includes(n), `${c.name} has parameter ${n} (has ${names.slice(0, 6).join(', ')}, ...)`);
    if (c.name === 'PLE') assert.ok(!names.some((n) => n.startsWith('level1.sharedGate')), 'the last PLE level has no shared gate');
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([32, 12], 0, 1, 'float32', 3);
    const labels = Object.fromEntries(TASKS.map((t, i) => [t, tf.tensor1d(Array.from({ length: 32 }, (_, r) => (r + i) % 2))]));
    tf.tidy(() => {
      const out = head.apply(x, false);
      assert.deepEqual(Object.keys(out), TASKS);
      for (const t of TASKS) assert.deepEqual(out[t].shape, [32]);
    });
    everyGradient(head, x, labels);
    tf.dispose([x, ...Object.values(labels)]);
    assert.equal(tf.memory().numTensors, before);
    head.dispose();
  });

  test(`${c.name}: 60 Adam steps fit two tasks whose labels are opposite functions of x`, () => {
    const head = c.make(new Rng(2));
    const x = tf.randomNormal([64, 12], 0, 1, 'float32', 4);
    const s = tf.sign(tf.slice(x, [0, 0], [64, 1])).reshape([-1]);
    const labels: Record<string, Tensor> = { click: tf.cast(tf.greater(s, 0), 'float32'), like: tf.cast(tf.less(s, 0), 'float32'), gift: tf.cast(tf.greater(s, 0), 'float32') };
    const vars = head.trainableVariables();
    const names = new Map([...vars].map(([k, v]) => [v.name, k]));
    const opt = new Optimizer(vars, { learningRate: 1e-2 });
    const loss = () => tf.addN(TASKS.map((t) => bceWithLogits(head.apply(x, true)[t], labels[t]))) as Scalar;
    const first = tf.tidy(() => loss().dataSync()[0]);
    for (let i = 0; i < 60; i++) tf.tidy(() => opt.apply(new Map(Object.entries(tf.variableGrads(loss, [...vars.values()]).grads).map(([k, g]) => [names.get(k) as string, g]))));
    const last = tf.tidy(() => loss().dataSync()[0]);
    assert.ok(last < first * 0.3, `${c.name}: loss ${first} -> ${last}`);
    opt.dispose();
    tf.dispose([x, s, ...Object.values(labels)]);
    head.dispose();
  });
}

test('MMoE gates are distributions over the experts', () => {
  const head = new MMoE(new Rng(3), 5, ['a', 'b'], { experts: 4, expertHidden: [6], tower: [3] });
  tf.tidy(() => {
    const { gates } = head.applyWithGates(tf.randomNormal([7, 5]), false);
    for (const t of ['a', 'b']) {
      assert.deepEqual(gates[t].shape, [7, 4]);
      for (const s of tf.sum(gates[t], 1).dataSync()) assert.ok(Math.abs(s - 1) < 1e-5);
    }
  });
  head.dispose();
});

test('defaults follow the spec (PLE: 2 levels, 2 shared + 1 task expert, [256, 128], towers [64])', () => {
  assert.deepEqual(PLE_DEFAULTS, { levels: 2, sharedExperts: 2, taskExperts: 1, expertHidden: [256, 128], tower: [64], dropout: 0.1 });
  assert.deepEqual(MMOE_DEFAULTS, { experts: 4, expertHidden: [256, 128], tower: [64], dropout: 0.1 });
});

test('bad sizes, repeated and unknown task names are errors naming them', () => {
  assert.throws(() => new MMoE(new Rng(1), 4, ['a', 'a']), /MMoE: task names repeat \(a, a\)/);
  assert.throws(() => new PLE(new Rng(1), 4, []), /PLE: at least one task is needed/);
  assert.throws(() => new PLE(new Rng(1), 4, ['a'], { levels: 0 }), /PLE config: 'levels' must be positive integer\(s\), got 0/);
  assert.throws(() => new MMoE(new Rng(1), 4, ['a'], { expertHidden: [] }), /MMoE config: 'expertHidden'/);
  assert.throws(() => checkTaskNames(['click', 'gfit'], ['click', 'gift'], 'farm config'), /farm config: unknown task 'gfit' \(known: click, gift\)/);
  assert.throws(() => checkTaskNames(['click', 'click'], ['click'], 'x'), /x: task 'click' is listed twice/);
  assert.throws(() => checkTaskNames([], ['click'], 'x'), /x: the task list is empty/);
  assert.doesNotThrow(() => checkTaskNames(['gift', 'click'], ['click', 'gift'], 'x'));
});
