/**
 * Trainer, optimiser, loss and checkpoint tests: closed-form updates and gradients, tensors flat across epochs,
 * early stopping, checkpoint save + resume equal to an uninterrupted run, config errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { Optimizer, OPTIMIZER_DEFAULTS, clipByGlobalNorm } from '../../src/train/optimizers.ts';
import { bceWithLogits } from '../../src/train/losses.ts';
import { train, resolveTrainerConfig, TRAINER_DEFAULTS } from '../../src/train/trainer.ts';
import { saveCheckpoint, loadCheckpoint } from '../../src/train/checkpoint.ts';
import { generateCtrWorld } from '../../src/worlds/ctr-world.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import type { LossFn } from '../../src/models/model.ts';
import { assertClose } from '../helpers/close.ts';

const world = generateCtrWorld({ users: 300, items: 150, categories: 10, impressionsPerUser: 12, seed: 5 });
const quiet = { progressLabel: '' };

function oneVar(values: number[]) {
  return new Map([['w', tf.variable(tf.tensor1d(values))]]);
}

test('optimizer defaults are PyTorch-like Adam', () => {
  assert.deepEqual(OPTIMIZER_DEFAULTS, { kind: 'adam', learningRate: 1e-3, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, momentum: 0, initialAccumulator: 0.1 });
  assert.throws(() => new Optimizer(new Map(), { learnRate: 1 } as never), /optimizer config: unknown key 'learnRate'/);
});

test('Adam first step moves each weight by lr * sign(g) (bias-corrected m / sqrt(v) = g / |g|)', () => {
  const vars = oneVar([1, -2, 3]);
  const opt = new Optimizer(vars, { kind: 'adam', learningRate: 0.1 });
  opt.apply(new Map([['w', tf.tensor1d([0.5, -3, 2e-3])]]));
  assertClose(vars.get('w')!.dataSync(), [0.9, -1.9, 2.9], { atol: 1e-5, what: 'adam step' });
  opt.dispose();
});

test('Adagrad, SGD with momentum and decoupled weight decay match their formulas', () => {
  const a = oneVar([1]);
  const ada = new Optimizer(a, { kind: 'adagrad', learningRate: 0.5, initialAccumulator: 0.1, epsilon: 0 });
  ada.apply(new Map([['w', tf.tensor1d([2])]]));
  assertClose(a.get('w')!.dataSync(), [1 - (0.5 * 2) / Math.sqrt(4.1)], { what: 'adagrad' });
  const s = oneVar([1]);
  const sgd = new Optimizer(s, { kind: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 0.5 });
  sgd.apply(new Map([['w', tf.tensor1d([1])]])); // u=1, w = 1 - 0.1 - 0.1*0.5*1 = 0.85
  sgd.apply(new Map([['w', tf.tensor1d([1])]])); // u=1.9, w = 0.85 - 0.19 - 0.05*0.85
  assertClose(s.get('w')!.dataSync(), [0.85 - 0.19 - 0.05 * 0.85], { what: 'sgd momentum + decay' });
  ada.dispose();
  sgd.dispose();
});

test('clipByGlobalNorm scales to the max norm and leaves small gradients alone', () => {
  tf.tidy(() => {
    const { grads, norm } = clipByGlobalNorm(new Map([['a', tf.tensor1d([3])], ['b', tf.tensor1d([4])]]), 1);
    assertClose(norm.dataSync(), [5], { what: 'norm' });
    assertClose([grads.get('a')!.dataSync()[0], grads.get('b')!.dataSync()[0]], [0.6, 0.8], { what: 'clipped' });
    const small = clipByGlobalNorm(new Map([['a', tf.tensor1d([0.3])]]), 1).grads.get('a')!.dataSync();
    assertClose(small, [0.3], { what: 'unclipped' });
  });
});

test('bceWithLogits: value and closed-form gradient (sigmoid(x) - y) / B', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([-30, -1, 0, 2, 40]);
    const y = tf.tensor1d([0, 1, 1, 0, 1]);
    const xs = [-30, -1, 0, 2, 40];
    const ys = [0, 1, 1, 0, 1];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const expected = xs.reduce((s, v, i) => s + Math.max(v, 0) - v * ys[i] + Math.log1p(Math.exp(-Math.abs(v))), 0) / 5;
    assertClose(bceWithLogits(x, y).dataSync(), [expected], { what: 'loss' });
    const g = tf.grad((t) => bceWithLogits(t, y))(x).dataSync();
    assertClose(g, xs.map((v, i) => (sig(v) - ys[i]) / 5), { atol: 1e-7, what: 'gradient' });
  });
});

test('trainer config: defaults, unknown keys and bad values are errors', () => {
  assert.equal(resolveTrainerConfig().batchSize, TRAINER_DEFAULTS.batchSize);
  assert.throws(() => resolveTrainerConfig({ epoch: 3 } as never), /trainer config: unknown key 'epoch'/);
  assert.throws(() => resolveTrainerConfig({ epochs: 0 }), /epochs must be a positive integer, got 0/);
  assert.throws(() => resolveTrainerConfig({ resume: true }), /resume needs checkpointDir/);
});

test('training keeps tf.memory().numTensors flat across epochs and improves validation AUC', async () => {
  const spec = getModelSpec('din');
  const model = spec.create(new Rng(1), world.train.schema);
  const counts: number[] = [];
  const r = await train({ model, loss: spec.loss('click'), train: world.train, valid: world.valid, config: { ...quiet, epochs: 4, batchSize: 256, monitor: 'auc', patience: 10, optimizer: { learningRate: 5e-3 } }, onEpoch: () => { counts.push(tf.memory().numTensors); } });
  assert.equal(counts.length, 4);
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts per epoch: ${counts.join(', ')}`);
  assert.ok(r.history[3].loss < r.history[0].loss, 'training loss falls');
  assert.ok(r.history.every((h) => h.valid > 0.5 && h.samplesPerSecond > 0));
  model.dispose();
});

test('shuffle false: every epoch visits the rows in the dataset\'s order (a time-ordered pass); the default shuffles per epoch', async () => {
  const spec = getModelSpec('dnn');
  const inner = spec.loss('click');
  const run = async (shuffle: boolean | undefined) => {
    const seen: number[][] = [];
    const spy: LossFn = (out, batch) => {
      seen.push(Array.from(batch.user_id.dataSync()));
      return inner(out, batch);
    };
    const model = spec.create(new Rng(4), world.train.schema);
    // The spy reads each batch in JavaScript, so the steps run eagerly: a compiled step never calls the loss again.
    const before = process.env.RECLAB_COMPILE;
    process.env.RECLAB_COMPILE = '0';
    try {
      await train({ model, loss: spy, train: world.train, config: { ...quiet, epochs: 2, batchSize: 500, monitor: 'none', seed: 3, ...(shuffle === undefined ? {} : { shuffle }) } });
    } finally {
      if (before === undefined) delete process.env.RECLAB_COMPILE;
      else process.env.RECLAB_COMPILE = before;
    }
    model.dispose();
    return seen;
  };
  const rows = Array.from(world.train.column('user_id') as Int32Array);
  const perEpoch = Math.ceil(rows.length / 500);
  const ordered = await run(false);
  assert.equal(ordered.length, 2 * perEpoch);
  assert.deepEqual(ordered.slice(0, perEpoch).flat(), rows, 'epoch 1 in row order');
  assert.deepEqual(ordered.slice(perEpoch).flat(), rows, 'epoch 2 in row order');
  const shuffled = await run(undefined);
  assert.notDeepEqual(shuffled.slice(0, perEpoch).flat(), rows, 'the default shuffles');
  assert.deepEqual([...shuffled.slice(0, perEpoch).flat()].sort((a, b) => a - b), [...rows].sort((a, b) => a - b), 'a shuffled epoch still visits every row once');
  assert.notDeepEqual(shuffled.slice(0, perEpoch).flat(), shuffled.slice(perEpoch).flat(), 'a new order each epoch');
});

test('early stopping stops after `patience` epochs without improvement and restores the best epoch', async () => {
  const spec = getModelSpec('dnn');
  const model = spec.create(new Rng(2), world.train.schema);
  // A huge learning rate makes validation AUC peak early and then wander.
  const r = await train({ model, loss: spec.loss('click'), train: world.train, valid: world.valid, config: { ...quiet, epochs: 12, batchSize: 64, patience: 1, optimizer: { learningRate: 0.05 } } });
  const best = r.history.reduce((b, h) => (h.valid > b.valid ? h : b));
  assert.equal(r.bestEpoch, best.epoch);
  if (r.stoppedEarly) assert.equal(r.history.length, best.epoch + 2, 'stopped one epoch after the best (patience 1)');
  else assert.equal(r.history.length, 12);
  model.dispose();
});

for (const [model, config] of [['deepfm', {}], ['dnn', { dropout: 0.3 }]] as const) {
  test(`checkpoint: 2 epochs + resume for 1 more equals 3 uninterrupted epochs (${model}${'dropout' in config ? ', dropout: the masks resume too' : ''})`, async () => {
    const spec = getModelSpec(model);
    const base = { ...quiet, batchSize: 256, monitor: 'none' as const, optimizer: { learningRate: 3e-3 }, seed: 9 };
    const straight = spec.create(new Rng(3), world.train.schema, config);
    await train({ model: straight, loss: spec.loss('click'), train: world.train, config: { ...base, epochs: 3 } });
    const dir = mkdtempSync(join(tmpdir(), 'reclab-ckpt-'));
    const first = spec.create(new Rng(3), world.train.schema, config);
    await train({ model: first, loss: spec.loss('click'), train: world.train, config: { ...base, epochs: 2, checkpointDir: dir } });
    const resumed = spec.create(new Rng(99), world.train.schema, config); // different init: everything must come from the checkpoint
    const r = await train({ model: resumed, loss: spec.loss('click'), train: world.train, config: { ...base, epochs: 3, checkpointDir: dir, resume: true } });
    assert.equal(r.epochsRun, 1);
    assert.equal(r.history.length, 3);
    assert.deepEqual(resumed.dropoutState(), straight.dropoutState(), 'dropout streams at the same position');
    const a = straight.stateDict();
    const b = resumed.stateDict();
    for (const k of Object.keys(a)) assertClose(b[k].values, a[k].values, { rtol: 1e-4, atol: 1e-6, what: k });
    for (const m of [straight, first, resumed]) m.dispose();
  });
}

test('checkpoint files round-trip and a missing checkpoint is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reclab-ckpt-'));
  saveCheckpoint(dir, { model: { 'a.b': { shape: [2], values: Float32Array.of(1, 2) } } }, { epoch: 4, extra: { note: 'x' } });
  const { groups, meta } = loadCheckpoint(dir);
  assert.deepEqual(Array.from(groups.model['a.b'].values), [1, 2]);
  assert.equal(meta.epoch, 4);
  assert.throws(() => loadCheckpoint(join(dir, 'nope')), /no checkpoint \(expected checkpoint.json and tensors.bin\)/);
});

test('an empty training split and a monitor without validation data are errors', async () => {
  const spec = getModelSpec('dnn');
  const model = spec.create(new Rng(1), world.train.schema);
  await assert.rejects(train({ model, loss: spec.loss('click'), train: world.train.take([]), config: quiet }), /the training split is empty/);
  await assert.rejects(train({ model, loss: spec.loss('click'), train: world.train, config: quiet }), /monitor 'auc' needs a non-empty validation split/);
  model.dispose();
});
