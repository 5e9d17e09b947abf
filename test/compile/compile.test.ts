/**
 * Compiled training steps (src/train/compile.ts, env/addon/graph_step.cc): compiled vs eager loss, weights and Adam
 * slots (the gradients' running moments) after 20 steps for DNN and DIN; tensor counts (tfjs and native handles) flat
 * over many compiled steps; traces only on a new input signature; untraceable steps fall back with one logged reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { Stepper, train } from '../../src/train/trainer.ts';
import { StepCompiler, compileEnabled, releaseIdleFunctions, xlaEnabled } from '../../src/train/compile.ts';
import type { OptimizerConfig } from '../../src/train/optimizers.ts';
import { batches } from '../../src/data/batching.ts';
import { generateCtrWorld } from '../../src/worlds/ctr-world.ts';
import { getModelSpec } from '../../src/models/registry.ts';
import { assertClose } from '../helpers/close.ts';
import { predict, predictionCompiler } from '../../src/train/evaluate.ts';
import { DropoutStream, seededDropout } from '../../src/layers/dropout.ts';
import { HASH_UNIFORM, hashUniformReference } from '../../src/backend-kernels.ts';
import type { Tensor } from '@tensorflow/tfjs';

const world = generateCtrWorld({ users: 300, items: 150, categories: 10, impressionsPerUser: 12, seed: 5 });
const native = tf.getBackend() === 'tensorflow';
const skip = native ? false : 'needs the native backend';

function nativeHandles(): number {
  return (tf.backend() as unknown as { binding: { getNumOfTensors(): number } }).binding.getNumOfTensors();
}

/** Trains `steps` full batches of 128; returns per-step losses, final weights, optimiser state and the stepper. */
function run(model: string, compile: boolean, steps: number, batchSize = 128, optimizer: Partial<OptimizerConfig> = { learningRate: 5e-3 }, clipNorm = 0) {
  const spec = getModelSpec(model);
  const m = spec.create(new Rng(1), world.train.schema);
  const stepper = new Stepper(m, spec.loss('click'), optimizer, clipNorm, compile);
  const losses: number[] = [];
  const counts: number[] = [];
  for (let epoch = 0; losses.length < steps; epoch++) {
    for (const b of batches(world.train, { batchSize, seed: 3, epoch })) {
      if (b.size !== batchSize || losses.length >= steps) continue;
      const loss = tf.tidy(() => stepper.step(world.train, b));
      losses.push(loss.dataSync()[0]);
      loss.dispose();
      counts.push(tf.memory().numTensors, nativeHandles());
    }
  }
  const weights = m.stateDict();
  const opt = stepper.optimizer.stateDict();
  const result = { losses, weights, opt, stats: stepper.compiler?.stats, reason: stepper.compiler?.fallbackReason ?? null, xlaFailure: stepper.compiler?.xlaFailure ?? null, counts };
  stepper.dispose();
  m.dispose();
  return result;
}

for (const model of ['dnn', 'din']) {
  test(`${model}: compiled steps match eager steps after 20 Adam steps (loss, weights, Adam m and v; rtol 1e-5)`, { skip }, () => {
    const eager = run(model, false, 20);
    const compiled = run(model, true, 20);
    assert.equal(compiled.reason, null, `fell back: ${compiled.reason}`);
    // Step 1 eager (slots), step 2 probe trace + eager, steps 3..20 compiled.
    assert.deepEqual(compiled.stats, { traces: 2, compiledSteps: 18, eagerSteps: 1 });
    assertClose(compiled.losses, eager.losses, { rtol: 1e-5, atol: 1e-7, what: `${model} losses` });
    for (const [k, w] of Object.entries(eager.weights)) assertClose(compiled.weights[k].values, w.values, { rtol: 1e-5, atol: 1e-7, what: `${model} weight ${k}` });
    for (const [k, s] of Object.entries(eager.opt)) assertClose(compiled.opt[k].values, s.values, { rtol: 1e-5, atol: 1e-9, what: `${model} Adam slot ${k}` });
    // The weights moved: the comparison is not between two untrained models.
    const first = Object.keys(eager.weights)[0];
    const fresh = getModelSpec(model).create(new Rng(1), world.train.schema);
    const init = fresh.stateDict()[first].values;
    fresh.dispose();
    assert.ok(Array.from(init).some((x, i) => Math.abs(x - compiled.weights[first].values[i]) > 1e-4), 'weights changed');
  });
}

for (const [what, optimizer, clip] of [
  ['SGD with momentum and weight decay', { kind: 'sgd', momentum: 0.9, weightDecay: 0.01, learningRate: 0.05 }, 0],
  ['Adagrad with global-norm clipping', { kind: 'adagrad', learningRate: 0.05 }, 0.5],
  ['AdamW with global-norm clipping', { weightDecay: 0.05, learningRate: 5e-3 }, 0.5],
] as Array<[string, Partial<OptimizerConfig>, number]>) {
  test(`dnn: ${what}, compiled vs eager after 12 steps`, { skip }, () => {
    const eager = run('dnn', false, 12, 128, optimizer, clip);
    const compiled = run('dnn', true, 12, 128, optimizer, clip);
    assert.equal(compiled.reason, null, `fell back: ${compiled.reason}`);
    assert.equal(compiled.stats?.compiledSteps, 10);
    assertClose(compiled.losses, eager.losses, { rtol: 1e-5, atol: 1e-7, what: 'losses' });
    for (const [k, w] of Object.entries(eager.weights)) assertClose(compiled.weights[k].values, w.values, { rtol: 1e-5, atol: 1e-7, what: `weight ${k}` });
    for (const [k, v] of Object.entries(eager.opt)) assertClose(compiled.opt[k].values, v.values, { rtol: 1e-5, atol: 1e-7, what: `slot ${k}` });
  });
}

test('disposing the stepper leaves its compiled function idle for the next model; releaseIdleFunctions removes it', { skip }, () => {
  const spec = getModelSpec('dnn');
  const m = spec.create(new Rng(1), world.train.schema);
  const stepper = new Stepper(m, spec.loss('click'), {}, 0, true);
  let n = 0;
  for (const b of batches(world.train, { batchSize: 128, seed: 3, epoch: 0 })) if (n++ < 4) tf.tidy(() => stepper.step(world.train, b)).dispose();
  assert.equal(stepper.compiler?.stats.compiledSteps, 2);
  const [fn] = stepper.compiler?.functionNames() ?? [];
  const binding = (tf.backend() as unknown as { binding: { executeOp(n: string, a: unknown[], i: number[], k: number): unknown } }).binding;
  stepper.dispose();
  m.dispose();
  // Still registered: a call without its inputs fails, but not with NOT_FOUND (TF_Status 5).
  assert.throws(() => binding.executeOp(fn, [], [], 1), (e: Error) => !/TF_Status: 5|not found/i.test(e.message));
  assert.ok(releaseIdleFunctions() >= 1);
  assert.throws(() => binding.executeOp(fn, [], [], 1), /TF_Status: 5|not found/i);
});

test('two models of one architecture share one function; each trains its own weights, as eagerly; then it idles until released', { skip }, () => {
  const spec = getModelSpec('dnn');
  const binding = (tf.backend() as unknown as { binding: { executeOp(n: string, a: unknown[], i: number[], k: number): unknown } }).binding;
  const train6 = (seed: number, compile: boolean) => {
    const m = spec.create(new Rng(seed), world.train.schema);
    const stepper = new Stepper(m, spec.loss('click'), { learningRate: 5e-3 }, 0, compile);
    const losses: number[] = [];
    for (const b of batches(world.train, { batchSize: 128, seed: 3, epoch: 0 })) {
      if (losses.length < 6) losses.push(tf.tidy(() => stepper.step(world.train, b)).dataSync()[0]);
    }
    return { m, stepper, losses };
  };
  const a = train6(1, true);
  const b = train6(2, true);
  const fnA = a.stepper.compiler?.functionNames() ?? [];
  assert.equal(fnA.length, 1);
  assert.deepEqual(b.stepper.compiler?.functionNames(), fnA, 'the second model reuses the first one\'s function');
  assert.deepEqual(b.stepper.compiler?.stats, { traces: 2, compiledSteps: 4, eagerSteps: 1 }, 'it still probes and traces its own step');
  const eagerB = train6(2, false);
  assertClose(b.losses, eagerB.losses, { rtol: 1e-5, atol: 1e-7, what: 'model 2 compiled vs eager' });
  const [wb, we] = [b.m.stateDict(), eagerB.m.stateDict()];
  for (const k of Object.keys(we)) assertClose(wb[k].values, we[k].values, { rtol: 1e-5, atol: 1e-7, what: `model 2 weights ${k}` });
  assert.ok(Math.abs(a.losses[5] - b.losses[5]) > 1e-4, 'the two models have different weights, so different losses');
  a.stepper.dispose();
  a.m.dispose();
  // Still registered (model 2 uses it): a call without its inputs fails, but not with NOT_FOUND (TF_Status 5).
  assert.throws(() => binding.executeOp(fnA[0], [], [], 1), (e: Error) => !/TF_Status: 5|not found/i.test(e.message));
  b.stepper.dispose();
  b.m.dispose();
  eagerB.stepper.dispose();
  eagerB.m.dispose();
  // Idle now: a third model of the same architecture would take it up again.
  assert.throws(() => binding.executeOp(fnA[0], [], [], 1), (e: Error) => !/TF_Status: 5|not found/i.test(e.message));
  const c = train6(3, true);
  assert.deepEqual(c.stepper.compiler?.functionNames(), fnA, 'a later model takes up the idle function');
  c.stepper.dispose();
  c.m.dispose();
  releaseIdleFunctions();
  assert.throws(() => binding.executeOp(fnA[0], [], [], 1), /TF_Status: 5|not found/i, 'released');
});

test('dnn: tfjs tensors and native handles stay flat over 1,000 compiled steps; one trace pair per input signature', { skip }, () => {
  const r = run('dnn', true, 1000, 32);
  assert.equal(r.reason, null);
  assert.equal(r.stats?.traces, 2);
  assert.equal(r.stats?.compiledSteps, 998);
  const after = r.counts.slice(10); // pairs (tfjs tensors, native handles) after the warm-up steps
  for (let i = 2; i < after.length; i += 2) {
    assert.equal(after[i], after[0], `tfjs tensors at compiled step ${i / 2}: ${after[i]} vs ${after[0]}`);
    assert.equal(after[i + 1], after[1], `native handles at compiled step ${i / 2}: ${after[i + 1]} vs ${after[1]}`);
  }
});

test('dnn: a compiled step is one native executeOp call', { skip }, () => {
  const spec = getModelSpec('dnn');
  const m = spec.create(new Rng(1), world.train.schema);
  const stepper = new Stepper(m, spec.loss('click'), { learningRate: 5e-3 }, 0, true);
  const backend = tf.backend() as unknown as { binding: { executeOp: (...a: unknown[]) => unknown } };
  const binding = backend.binding;
  const calls: number[] = [];
  for (const b of batches(world.train, { batchSize: 128, seed: 3, epoch: 0 })) {
    if (b.size !== 128) continue;
    let n = 0;
    backend.binding = Object.create(binding, { executeOp: { value: (...a: unknown[]) => (n++, binding.executeOp(...a)) } });
    try {
      tf.tidy(() => stepper.step(world.train, b)).dispose();
    } finally {
      backend.binding = binding;
    }
    calls.push(n);
  }
  assert.ok(calls.length >= 5);
  assert.ok(calls[0] > 20, `eager first step: ${calls[0]} calls`);
  assert.deepEqual(calls.slice(2), new Array(calls.length - 2).fill(1), `native calls per step: ${calls.join(', ')}`);
  stepper.dispose();
  m.dispose();
});

test('a new input signature traces again (batch 128 then 64, then 128 again: no third pair)', { skip }, () => {
  const w = tf.tidy(() => tf.variable(tf.zeros([4, 1]))); // the initial tensor is freed: a live one sharing the buffer would stop compilation
  const compiler = new StepCompiler('toy');
  const step = (n: number) =>
    tf.tidy(() =>
      compiler.run({ x: tf.ones([n, 4]) }, ({ x }) => {
        const loss = tf.mean(tf.matMul(x, w));
        w.assign(tf.add(w, 1));
        return loss;
      }).dataSync()[0],
    );
  const losses = [128, 128, 128, 64, 64, 64, 128].map(step);
  assert.deepEqual(compiler.stats, { traces: 4, compiledSteps: 5, eagerSteps: 2 });
  assert.deepEqual(losses, [0, 4, 8, 12, 16, 20, 24]);
  assertClose(w.dataSync(), [7, 7, 7, 7], { what: 'w after 7 steps' });
  w.dispose();
});

function captureStderr(f: () => void): string[] {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => {
    lines.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  try {
    f();
  } finally {
    process.stderr.write = write;
  }
  return lines;
}

test('a step that reads values back to JavaScript falls back to eager with one logged reason and right values', { skip }, () => {
  const w = tf.tidy(() => tf.variable(tf.zeros([3]))); // the initial tensor is freed: a live one sharing the buffer would stop compilation
  const compiler = new StepCompiler('reads-back');
  const lines = captureStderr(() => {
    for (let i = 0; i < 4; i++) {
      tf.tidy(() =>
        compiler.run({ x: tf.ones([3]) }, ({ x }) => {
          const s = tf.sum(tf.add(x, w));
          w.assign(tf.add(w, s.dataSync()[0]));
          return s;
        }),
      );
    }
  });
  assert.match(compiler.fallbackReason ?? '', /reads a traced tensor back to JavaScript/);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /compile: reads-back runs eagerly: a kernel reads a traced tensor back/);
  assert.equal(compiler.stats.compiledSteps, 0);
  // Eager values: w = 3, 3 + 12, 15 + 48, 63 + 192.
  assertClose(w.dataSync(), [255, 255, 255], { what: 'w after eager fallback' });
  w.dispose();
});

test('a random mask drawn in JavaScript is not frozen into the graph: the compiler falls back', { skip }, () => {
  const w = tf.tidy(() => tf.variable(tf.ones([64]))); // the initial tensor is freed: a live one sharing the buffer would stop compilation
  const compiler = new StepCompiler('js-random');
  const lines = captureStderr(() => {
    for (let i = 0; i < 3; i++) {
      tf.tidy(() =>
        compiler.run({ x: tf.ones([64]) }, ({ x }) => {
          const mask = tf.randomUniform([64]); // values made in JS, different every step
          const loss = tf.sum(tf.mul(tf.mul(x, w), mask));
          w.assign(tf.mul(w, 0.5));
          return loss;
        }),
      );
    }
  });
  assert.match(compiler.fallbackReason ?? '', /differs between two steps/);
  assert.equal(lines.length, 1);
  assertClose(w.dataSync(), new Array(64).fill(0.125), { what: 'w halved 3 times' });
  w.dispose();
});

/** Runs `f` with RECLAB_XLA set to `v` (restored after). */
function withXla<T>(v: '0' | '1', f: () => T): T {
  const before = process.env.RECLAB_XLA;
  process.env.RECLAB_XLA = v;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.RECLAB_XLA;
    else process.env.RECLAB_XLA = before;
  }
}

for (const xla of ['0', '1'] as const) test(`dropout from a DropoutStream compiles${xla === '1' ? ' with XLA (hash masks)' : ''}: compiled steps draw the eager steps' masks, a new one at every step`, { skip }, () => withXla(xla, () => {
  const masks = (compile: boolean): { drawn: number[][]; draws: number; stats: unknown } => {
    const w = tf.tidy(() => tf.variable(tf.ones([256]))); // the initial tensor is freed (see above)
    const drops = new DropoutStream(11);
    const compiler = compile ? new StepCompiler('dropout-stream') : null;
    const drawn: number[][] = [];
    for (let i = 0; i < 6; i++) {
      const body = ({ x }: { x: Tensor }) => {
        const y = drops.apply(tf.mul(x, w), 0.25); // 0 or 4/3 where w = 1
        w.assign(tf.add(w, tf.mul(y, 0))); // reads y so the step depends on the mask; w stays 1
        return tf.sum(y);
      };
      const inputs = { x: tf.ones([256]) };
      const total = tf.tidy(() => (compiler ? compiler.run(inputs, body) : body(inputs)));
      inputs.x.dispose();
      drawn.push([total.dataSync()[0]]);
      total.dispose();
    }
    const r = { drawn, draws: drops.position()[1], stats: compiler?.stats };
    compiler?.dispose();
    drops.dispose();
    w.dispose();
    return r;
  };
  const eager = masks(false);
  const compiled = masks(true);
  assert.deepEqual(compiled.stats, { traces: 2, compiledSteps: 5, eagerSteps: 1 }); // step 1: probe trace + eager
  assert.equal(compiled.draws, 6, 'the stream advanced once per step, compiled steps included');
  const kept = eager.drawn.map(([t]) => Math.round((t * 3) / 4)); // entries kept per step
  if (xla === '0') assert.deepEqual(compiled.drawn, eager.drawn, 'compiled steps draw the same masks as eager steps');
  else {
    // XLA fuses the scale and the sum, so the totals may differ in the last bits; the masks are the same.
    assert.deepEqual(compiled.drawn.map(([t]) => Math.round((t * 3) / 4)), kept, 'compiled + XLA steps keep the entries eager steps keep');
    assertClose(compiled.drawn.flat(), eager.drawn.flat(), { rtol: 1e-6, what: 'totals with XLA' });
  }
  assert.ok(new Set(kept).size > 1, `a new mask at every step: kept ${kept.join(', ')}`);
  for (const k of kept) assert.ok(k > 256 * 0.6 && k < 256 * 0.9, `about 75% of 256 kept: ${k}`);
}));

test('ReclabHashUniform: bit for bit hashUniformReference eagerly, in a compiled step and through XLA; uniform moments; Philox without XLA', { skip }, () => {
  const want = hashUniformReference(7, 3, 40);
  const eager = tf.tidy(() => tf.engine().runKernel(HASH_UNIFORM, { seed: tf.tensor1d([7, 3], 'int32') }, { shape: [5, 8] }) as Tensor);
  assert.deepEqual(eager.shape, [5, 8]);
  assert.deepEqual(Array.from(eager.dataSync()), Array.from(want), 'eager TensorFlow = the JavaScript definition');
  eager.dispose();
  for (const xla of ['0', '1'] as const) {
    withXla(xla, () => {
      const compiler = new StepCompiler(`hash-uniform-${xla}`);
      const seed = tf.tensor1d([7, 3], 'int32');
      for (let i = 0; i < 4; i++) {
        const u = compiler.run({ seed }, ({ seed: s }) => tf.engine().runKernel(HASH_UNIFORM, { seed: s }, { shape: [5, 8] }) as Tensor);
        assert.deepEqual(Array.from(u.dataSync()), Array.from(want), `step ${i + 1}, XLA ${xla}`);
        u.dispose();
      }
      assert.equal(compiler.stats.compiledSteps, 3, `XLA ${xla}: steps 2-4 ran the function`);
      assert.equal(compiler.xlaFailure, null);
      compiler.dispose();
      seed.dispose();
    });
  }
  // Another draw or key gives other values; many values have the uniform's mean 1/2 and variance 1/12.
  assert.notDeepEqual(Array.from(hashUniformReference(7, 4, 40)), Array.from(want));
  assert.notDeepEqual(Array.from(hashUniformReference(8, 3, 40)), Array.from(want));
  const big = hashUniformReference(1, 0, 200_000);
  const mean = big.reduce((a, v) => a + v, 0) / big.length;
  const variance = big.reduce((a, v) => a + (v - mean) ** 2, 0) / big.length;
  assert.ok(Math.abs(mean - 0.5) < 0.003 && Math.abs(variance - 1 / 12) < 0.002, `mean ${mean}, variance ${variance}`);
  assert.ok(big.every((v) => v >= 0 && v < 1));
  // Dropout draws its masks from the hash only with XLA on: without it the first mask is Philox's, not the hash's.
  const firstMask = (xla: '0' | '1') => withXla(xla, () => {
    const drops = new DropoutStream(7);
    const y = drops.apply(tf.ones([40]), 0.5);
    const kept = Array.from(y.dataSync(), (v) => (v > 0 ? 1 : 0));
    y.dispose();
    drops.dispose();
    return kept;
  });
  const fromHash = Array.from(hashUniformReference(7, 0, 40), (u) => (u >= 0.5 ? 1 : 0));
  assert.deepEqual(firstMask('1'), fromHash);
  assert.notDeepEqual(firstMask('0'), fromHash);
});

test('predict: compiled prediction gives the eager probabilities, follows the weights after training, and is freed with the model', { skip }, () => {
  const spec = getModelSpec('din');
  const m = spec.create(new Rng(1), world.train.schema, { dropout: 0.2 });
  const eager = (): Float32Array => {
    const before = process.env.RECLAB_COMPILE;
    process.env.RECLAB_COMPILE = '0';
    try {
      return predict(m, world.test, { batchSize: 128 });
    } finally {
      if (before === undefined) delete process.env.RECLAB_COMPILE;
      else process.env.RECLAB_COMPILE = before;
    }
  };
  assert.ok(world.test.size > 4 * 128, `the test set needs several batches (${world.test.size} rows)`);
  const first = predict(m, world.test, { batchSize: 128 });
  assertClose(first, eager(), { rtol: 1e-5, atol: 1e-7, what: 'probabilities before training' });
  // Train a few steps: the compiled function reads the variables, so it sees the new weights.
  const stepper = new Stepper(m, spec.loss('click'), { learningRate: 1e-2 }, 0, false);
  let n = 0;
  for (const b of batches(world.train, { batchSize: 128, seed: 3, epoch: 0 })) if (n++ < 5) tf.tidy(() => stepper.step(world.train, b)).dispose();
  stepper.dispose();
  const after = predict(m, world.test, { batchSize: 128 });
  assert.ok(after.some((p, i) => Math.abs(p - first[i]) > 1e-4), 'the weights changed, the probabilities must too');
  assertClose(after, eager(), { rtol: 1e-5, atol: 1e-7, what: 'probabilities after training' });
  const compiler = predictionCompiler(m);
  assert.ok(compiler && compiler.fallbackReason === null, compiler?.fallbackReason ?? 'no prediction compiler');
  // 2 predictions x (batches of 128 + the remainder) plus 2 eager ones: the second prediction reuses the functions.
  const batchesPer = Math.ceil(world.test.size / 128);
  assert.equal(compiler.stats.compiledSteps + compiler.stats.eagerSteps, 2 * batchesPer);
  assert.ok(compiler.stats.compiledSteps >= 2 * batchesPer - 3, JSON.stringify(compiler.stats));
  const fns = compiler.functionNames();
  assert.ok(fns.length >= 1);
  m.dispose();
  const binding = (tf.backend() as unknown as { binding: { executeOp(n: string, a: unknown[], i: number[], k: number): unknown } }).binding;
  assert.equal(compiler.functionNames().length, 0);
  releaseIdleFunctions();
  assert.throws(() => binding.executeOp(fns[0], [], [], 1), /TF_Status: 5|not found/i, 'disposing the model releases its prediction functions');
});

test('a functional step (state in tensors, named outputs) compiles; inputs sharing a buffer are traced at a later step', { skip }, () => {
  // Heavy-ball on f(x) = sum((x - 3)^2) with the state (x, velocity) passed in and out as tensors.
  const body = ({ x, vel, rate }: { x: Tensor; vel: Tensor; rate: Tensor }) => {
    const g = tf.mul(tf.sub(x, 3), 2);
    const nv = tf.add(tf.mul(vel, 0.5), g);
    return { x: tf.sub(x, tf.mul(rate, nv)), vel: nv, loss: tf.sum(tf.square(tf.sub(x, 3))) };
  };
  const trajectory = (compiler: StepCompiler | null) => {
    let x = tf.zeros([4]);
    let vel = tf.clone(x); // the first step's inputs share one buffer: that step cannot be traced
    const out: number[] = [];
    for (let i = 0; i < 6; i++) {
      const inputs = { x, vel, rate: tf.scalar(0.1 / (i + 1)) };
      const r = tf.tidy(() => (compiler ? compiler.run(inputs, body) : body(inputs)));
      out.push(r.loss.dataSync()[0], r.x.dataSync()[0]);
      tf.dispose([x, vel, inputs.rate, r.loss]);
      [x, vel] = [r.x, r.vel];
    }
    tf.dispose([x, vel]);
    return out;
  };
  const compiler = new StepCompiler('functional');
  const compiled = trajectory(compiler);
  assert.equal(compiler.fallbackReason, null);
  // Step 1 eager (shared buffer), step 2 probe + eager, step 3 traced and run compiled, steps 4-6 compiled.
  assert.deepEqual(compiler.stats, { traces: 3, compiledSteps: 4, eagerSteps: 2 });
  assertClose(compiled, trajectory(null), { rtol: 1e-6, what: 'loss and x per step' });
  compiler.dispose();
});

test('seededDropout: one seed and salt, one mask (eager and compiled); another salt or step, another mask', { skip }, () => {
  const x = tf.ones([512]);
  const kept = (seed: number[], salt: number, compiler: StepCompiler | null = null) =>
    tf.tidy(() => {
      const inputs = { x, seed: tf.tensor1d(seed, 'int32') };
      const body = (i: typeof inputs) => seededDropout(i.x, 0.25, i.seed, salt);
      return Array.from((compiler ? compiler.run(inputs, body) : body(inputs)).dataSync(), (v) => (v > 0 ? 1 : 0)).join('');
    });
  const a = kept([7, 1], 3);
  assert.equal(kept([7, 1], 3), a, 'same seed and salt');
  assert.notEqual(kept([7, 1], 4), a, 'another salt');
  assert.notEqual(kept([7, 2], 3), a, 'another step');
  const share = [...a].filter((c) => c === '1').length / 512;
  assert.ok(share > 0.68 && share < 0.82, `about 75% kept: ${share}`);
  const compiler = new StepCompiler('seeded-dropout');
  const compiled = [1, 2, 3, 4].map((step) => kept([7, step], 3, compiler));
  assert.equal(compiler.stats.compiledSteps, 3); // step 1: probe + eager
  assert.deepEqual(compiled, [1, 2, 3, 4].map((step) => kept([7, step], 3)), 'compiled steps draw the eager masks');
  assert.throws(() => seededDropout(x, 0.1, tf.tensor1d([1, 2, 3], 'int32')), /seed must be an int32 tensor of shape \[2\], got int32 \[3\]/);
  compiler.dispose();
  x.dispose();
});

test('a variable of another tfjs copy (its own Variable prototype, same engine) is traced like any other', { skip }, () => {
  // Two copies of tfjs in one process (e.g. a symlinked node_modules) share the global engine but not the Variable
  // class: the compiler must intercept assign on both, or the variable keeps a symbolic tensor after the trace.
  const w = tf.tidy(() => tf.variable(tf.ones([3])));
  const proto = Object.create(Object.getPrototypeOf(tf.Variable.prototype) as object) as object;
  for (const k of Object.getOwnPropertyNames(tf.Variable.prototype)) Object.defineProperty(proto, k, Object.getOwnPropertyDescriptor(tf.Variable.prototype, k) as PropertyDescriptor);
  Object.setPrototypeOf(w, proto);
  const compiler = new StepCompiler('other-copy');
  const lines = captureStderr(() => {
    for (let i = 0; i < 5; i++) {
      tf.tidy(() =>
        compiler.run({ x: tf.fill([3], i + 1) }, ({ x }) => {
          w.assign(tf.add(w, x));
          return tf.sum(w);
        }),
      );
    }
  });
  assert.deepEqual(lines, []);
  assert.equal(compiler.fallbackReason, null);
  assert.deepEqual(compiler.stats, { traces: 2, compiledSteps: 4, eagerSteps: 1 });
  assertClose(w.dataSync(), [16, 16, 16], { what: 'w = 1 + 1 + 2 + 3 + 4 + 5' });
  compiler.dispose();
  w.dispose();
});

test('a step that creates a variable runs eagerly and is traced again later (lazy slots, state loads)', { skip }, () => {
  const w = tf.tidy(() => tf.variable(tf.ones([2]))); // the initial tensor is freed: a live one sharing the buffer would stop compilation
  let slot: ReturnType<typeof tf.variable> | null = null;
  const compiler = new StepCompiler('lazy-slot');
  for (let i = 0; i < 4; i++) {
    tf.tidy(() =>
      compiler.run({ x: tf.ones([2]) }, ({ x }) => {
        slot ??= tf.tidy(() => tf.variable(tf.zeros([2])));
        slot.assign(tf.add(slot, x));
        w.assign(tf.add(w, slot));
        return tf.sum(w);
      }),
    );
  }
  assert.equal(compiler.fallbackReason, null);
  assert.deepEqual(compiler.stats, { traces: 3, compiledSteps: 2, eagerSteps: 2 });
  // slot 1, 2, 3, 4; w = 1 + 1 + 2 + 3 + 4.
  assertClose(w.dataSync(), [11, 11], { what: 'w' });
  w.dispose();
  (slot as ReturnType<typeof tf.variable> | null)?.dispose();
});

test('train() by default (compiled steps) gives the RECLAB_COMPILE=0 run\'s epoch losses and validation AUC', { skip }, async () => {
  const spec = getModelSpec('din');
  const config = { progressLabel: '', epochs: 2, batchSize: 256, monitor: 'auc' as const, patience: 5, optimizer: { learningRate: 5e-3 } };
  const histories = [];
  const calls: number[] = [];
  const before = process.env.RECLAB_COMPILE;
  for (const flag of ['0', undefined]) {
    if (flag === undefined) delete process.env.RECLAB_COMPILE;
    else process.env.RECLAB_COMPILE = flag;
    const m = spec.create(new Rng(4), world.train.schema);
    const backend = tf.backend() as unknown as { binding: { executeOp: (...a: unknown[]) => unknown } };
    const binding = backend.binding;
    let n = 0;
    backend.binding = Object.create(binding, { executeOp: { value: (...a: unknown[]) => (n++, binding.executeOp(...a)) } });
    try {
      histories.push((await train({ model: m, loss: spec.loss('click'), train: world.train, valid: world.valid, config })).history);
    } finally {
      backend.binding = binding;
    }
    calls.push(n);
    m.dispose();
  }
  if (before === undefined) delete process.env.RECLAB_COMPILE;
  else process.env.RECLAB_COMPILE = before;
  // Native calls of the whole run (training and validation): far fewer when the steps are compiled.
  assert.equal(calls.length, 2);
  assert.ok(calls[1] < calls[0] / 3, `executeOp calls eager ${calls[0]}, compiled ${calls[1]}`);
  const [eager, compiled] = histories;
  assertClose(compiled.map((h) => h.loss), eager.map((h) => h.loss), { rtol: 1e-5, what: 'epoch losses' });
  assertClose(compiled.map((h) => h.valid), eager.map((h) => h.valid), { rtol: 1e-5, what: 'validation AUC' });
});

test('a variable sharing its buffer with a live tensor is not compiled (the tensor must keep its value)', { skip }, () => {
  const init = tf.ones([3]);
  const w = tf.variable(init); // shares init's buffer until the first assign
  const compiler = new StepCompiler('shared-buffer');
  const lines = captureStderr(() => {
    for (let i = 0; i < 3; i++) {
      tf.tidy(() =>
        compiler.run({ x: tf.ones([3]) }, ({ x }) => {
          const loss = tf.sum(tf.mul(tf.add(x, init), w));
          w.assign(tf.add(w, init));
          return loss;
        }),
      );
    }
  });
  assert.match(compiler.fallbackReason ?? '', /shares its tensor buffer/);
  assert.equal(lines.length, 1);
  assertClose(w.dataSync(), [4, 4, 4], { what: 'w' });
  assertClose(init.dataSync(), [1, 1, 1], { what: 'init' });
  w.dispose();
  init.dispose();
});

test('RECLAB_COMPILE: unset means compiled on the native backend, 0 eager, 1 compiled; anything else is an error naming it', () => {
  const before = process.env.RECLAB_COMPILE;
  try {
    delete process.env.RECLAB_COMPILE;
    assert.equal(compileEnabled(), tf.getBackend() === 'tensorflow');
    process.env.RECLAB_COMPILE = '0';
    assert.equal(compileEnabled(), false);
    process.env.RECLAB_COMPILE = '1';
    assert.equal(compileEnabled(), true);
    process.env.RECLAB_COMPILE = 'yes';
    assert.throws(() => compileEnabled(), /RECLAB_COMPILE=yes: expected 0 .* or 1/);
  } finally {
    if (before === undefined) delete process.env.RECLAB_COMPILE;
    else process.env.RECLAB_COMPILE = before;
  }
});

test('RECLAB_XLA=1: the step functions run through XLA and DIN and DNN (no dropout) still match eager after 20 Adam steps', { skip }, () => {
  for (const model of ['dnn', 'din']) {
    const eager = run(model, false, 20);
    const before = process.env.RECLAB_XLA;
    process.env.RECLAB_XLA = '1';
    let compiled: ReturnType<typeof run>;
    // Which functions the steps call: the _XlaMustCompile twin (TensorFlow fails the call if XLA cannot compile it).
    const backend = tf.backend() as unknown as { binding: { executeOp: (name: string, ...a: unknown[]) => unknown } };
    const binding = backend.binding;
    const called: string[] = [];
    backend.binding = Object.create(binding, { executeOp: { value: (name: string, ...a: unknown[]) => (called.push(name), binding.executeOp(name, ...a)) } });
    try {
      compiled = run(model, true, 20);
    } finally {
      backend.binding = binding;
      if (before === undefined) delete process.env.RECLAB_XLA;
      else process.env.RECLAB_XLA = before;
    }
    assert.equal(called.filter((n) => /^reclab_step_.*_xla$/.test(n)).length, 18, 'each compiled step ran the XLA function');
    assert.equal(compiled.reason, null);
    assert.equal(compiled.xlaFailure, null, 'XLA compiled and ran the function (it must compile, or the call fails and is logged)');
    assert.equal(compiled.stats?.compiledSteps, 18);
    assertClose(compiled.losses, eager.losses, { rtol: 1e-5, atol: 1e-7, what: `${model} losses with XLA` });
    for (const [k, w] of Object.entries(eager.weights)) assertClose(compiled.weights[k].values, w.values, { rtol: 1e-5, atol: 1e-6, what: `${model} weight ${k} with XLA` });
  }
  const saved = process.env.RECLAB_XLA;
  process.env.RECLAB_XLA = 'on';
  try {
    assert.throws(() => xlaEnabled(), /RECLAB_XLA=on: expected 0 \(default\) or 1/);
  } finally {
    if (saved === undefined) delete process.env.RECLAB_XLA;
    else process.env.RECLAB_XLA = saved;
  }
});

test('a learning rate changed between compiled steps is traced anew, not frozen (SGD with weight decay matches eager)', { skip }, () => {
  const train = (compile: boolean) => {
    const spec = getModelSpec('dnn');
    const m = spec.create(new Rng(1), world.train.schema);
    const stepper = new Stepper(m, spec.loss('click'), { kind: 'sgd', learningRate: 5e-2, weightDecay: 0.1 }, 0, compile);
    const losses: number[] = [];
    for (const b of batches(world.train, { batchSize: 128, seed: 3, epoch: 0 })) {
      if (b.size !== 128 || losses.length >= 12) continue;
      if (losses.length === 6) stepper.optimizer.config.learningRate = 5e-3; // a decay, as unicdr's loop does
      const loss = tf.tidy(() => stepper.step(world.train, b));
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    const r = { losses, weights: m.stateDict(), stats: stepper.compiler?.stats };
    stepper.dispose();
    m.dispose();
    return r;
  };
  const eager = train(false);
  const compiled = train(true);
  // Step 1 eager in the Stepper (slots), 2 probe (eager), 3-6 compiled; the new rate: 7 probe (eager), 8-12 compiled.
  assert.deepEqual(compiled.stats, { traces: 4, compiledSteps: 9, eagerSteps: 2 });
  assertClose(compiled.losses, eager.losses, { rtol: 1e-5, atol: 1e-7, what: 'losses' });
  for (const [k, w] of Object.entries(eager.weights)) assertClose(compiled.weights[k].values, w.values, { rtol: 1e-5, atol: 1e-7, what: `weight ${k}` });
});
