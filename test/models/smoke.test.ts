/**
 * Smoke tests over the model registry (every registered model is covered automatically): a forward pass gives a
 * finite logit per row, one backward pass gives every trainable variable a finite, non-zero gradient, a few training
 * steps lower the loss, and nothing leaks tensors. Also: unknown config keys are errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { listModels, getModelSpec } from '../../src/models/registry.ts';
import { generateCtrWorld } from '../../src/worlds/ctr-world.ts';
import { generateFunnelWorld } from '../../src/worlds/funnel-world.ts';
import { generateNewsAdsWorld, NEWS_ADS_PRESETS } from '../../src/worlds/news-ads-world.ts';
import { generateLiveWorld, LIVE_WORLD_SIZES } from '../../src/worlds/live-world.ts';
import { batchOf, toTensors, type Batch } from '../../src/data/batching.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import type { ModelSpec } from '../../src/models/model.ts';
import { Rng } from '../../src/random.ts';
import { Optimizer } from '../../src/train/optimizers.ts';

const world = generateCtrWorld({ users: 200, items: 120, categories: 10, impressionsPerUser: 10, seed: 3 });
const rows = Int32Array.from({ length: 256 }, (_, i) => i);
const host = batchOf(world.train, rows);
// A tiny funnel with frequent clicks and conversions, so that the first 256 rows hold clicked, converted and
// unclicked exposures and every tower of the entire-space models gets a gradient.
const funnel = generateFunnelWorld({ users: 200, items: 120, categories: 10, sellers: 20, exposuresPerUser: 10, clickRate: 0.3, conversionRate: 0.4, seed: 3 });

/** Small data and the target label per task; a model of a new task fails here until its data is added. */
const SMOKE_DATA: Record<string, { ds: Dataset; label: string }> = {
  ctr: { ds: world.train, label: 'click' },
  'entire-space-cvr': { ds: funnel.train, label: 'conversion' },
  'cross-domain-ctr': { ds: generateNewsAdsWorld({ ...NEWS_ADS_PRESETS.tiny, seed: 3 }).train, label: 'click' },
  // Live world with frequent behaviours and a larger live share, so every task's tower and the live history see positives.
  live: {
    ds: generateLiveWorld({
      ...LIVE_WORLD_SIZES.tiny, users: 300, liveShare: 0.3, seed: 3,
      rates: { click: 0.4, effective_view: 0.2, like: 0.1, comment: 0.05, gift: 0.03, follow: 0.03 },
    }).train,
    label: 'click',
  },
};
function smokeData(spec: ModelSpec<object>): { ds: Dataset; label: string; host: Batch } {
  const d = SMOKE_DATA[spec.task];
  if (!d) throw new Error(`smoke test: no data for task '${spec.task}' of model '${spec.name}'; add it to SMOKE_DATA`);
  return { ...d, host: batchOf(d.ds, rows) };
}

test('the registry holds the four foundation baselines and the entire-space CVR models', () => {
  const names = new Set(listModels().map((m) => m.name));
  for (const name of ['chorus-cvr', 'dcmt', 'deepfm', 'din', 'dnn', 'escm2-dr', 'escm2-ips', 'esmm', 'naive-cvr', 'shared-bottom', 'wide-deep']) {
    assert.ok(names.has(name), `model '${name}' is not registered`);
  }
  assert.deepEqual(listModels().filter((m) => m.task === 'entire-space-cvr').map((m) => m.scoreOutput), Array(7).fill('cvr'));
});

test('the smoke funnel batch holds clicked, converted and unclicked rows', () => {
  const click = funnel.train.label('click').subarray(0, 256);
  const conv = funnel.train.label('conversion').subarray(0, 256);
  const clicks = click.reduce((s, v) => s + v, 0);
  const conversions = conv.reduce((s, v) => s + v, 0);
  assert.ok(clicks >= 30 && clicks <= 226 && conversions >= 10 && conversions < clicks, `clicks ${clicks}, conversions ${conversions}`);
});

for (const spec of listModels()) {
  test(`${spec.name}: finite outputs (B, ...), every variable gets a finite non-zero gradient, no leaks`, () => {
    const { ds, label, host } = smokeData(spec);
    const model = spec.create(new Rng(1), ds.schema);
    const before = tf.memory().numTensors;
    const vars = model.trainableVariables();
    const names = new Map([...vars].map(([k, v]) => [v.name, k]));
    tf.tidy(() => {
      const batch = toTensors(ds, host);
      const out = model.apply(batch, { training: false });
      assert.ok(Object.keys(out).length > 0, 'the model returns named outputs');
      for (const [name, t] of Object.entries(out)) {
        assert.equal(t.shape[0], 256, `output ${name} has one row per example`);
        assert.ok([...t.dataSync()].every(Number.isFinite), `output ${name} is finite`);
      }
      const { grads } = tf.variableGrads(() => spec.loss(label)(model.apply(batch, { training: true }), batch), [...vars.values()]);
      assert.equal(Object.keys(grads).length, vars.size);
      for (const [tfName, g] of Object.entries(grads)) {
        const values = g.dataSync();
        const name = names.get(tfName);
        assert.ok(values.every(Number.isFinite), `${spec.name}: gradient of ${name} is finite`);
        assert.ok(values.some((v) => v !== 0), `${spec.name}: gradient of ${name} is non-zero`);
      }
    });
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked by forward/backward');
    model.dispose();
  });

  test(`${spec.name}: 30 Adam steps on one batch lower the loss`, () => {
    const { ds, label, host } = smokeData(spec);
    const model = spec.create(new Rng(2), ds.schema);
    const vars = model.trainableVariables();
    const names = new Map([...vars].map(([k, v]) => [v.name, k]));
    const opt = new Optimizer(vars, { learningRate: 1e-2 });
    const batch = toTensors(ds, host);
    const lossOf = () => tf.tidy(() => spec.loss(label)(model.apply(batch, { training: false }), batch).dataSync()[0]);
    const first = lossOf();
    for (let i = 0; i < 30; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => spec.loss(label)(model.apply(batch, { training: true }), batch), [...vars.values()]);
        opt.apply(new Map(Object.entries(grads).map(([k, g]) => [names.get(k) as string, g])));
      });
    }
    const last = lossOf();
    assert.ok(last < first * 0.8, `${spec.name}: loss ${first} -> ${last} should drop by 20%`);
    opt.dispose();
    tf.dispose(Object.values(batch));
    model.dispose();
  });
}

for (const spec of listModels()) {
  test(`${spec.name}: dispose() frees every tensor the model created`, () => {
    const before = tf.memory().numTensors;
    spec.create(new Rng(5), smokeData(spec).ds.schema).dispose();
    assert.equal(tf.memory().numTensors, before);
  });
}

test('unknown model config keys are errors naming the key', () => {
  assert.throws(() => getModelSpec('din').create(new Rng(1), world.train.schema, { hiden: [3] } as never), /din config: unknown key 'hiden'/);
  assert.throws(() => getModelSpec('nope'), /unknown model 'nope' \(registered: dnn, wide-deep, deepfm, din, naive-cvr, /);
  assert.throws(() => getModelSpec('chorus-cvr').create(new Rng(1), funnel.train.schema, { lamda: 1 } as never), /chorus-cvr config: unknown key 'lamda'/);
});

test('DIN attention ignores padded positions', () => {
  const model = getModelSpec('din').create(new Rng(4), world.train.schema);
  tf.tidy(() => {
    const batch = toTensors(world.train, host);
    const att = model.apply(batch, { training: false }).attention.arraySync() as number[][];
    const hist = host.columns.hist_item_id;
    const T = att[0].length;
    for (let r = 0; r < att.length; r++) for (let t = 0; t < T; t++) if (hist[r * T + t] === 0) assert.ok(att[r][t] === 0, `row ${r} position ${t} is padding but has weight ${att[r][t]}`);
  });
  model.dispose();
});
