/**
 * The QARM ranker with every item-side input (VQ bags, RQ codes with the prefix cross feature, frozen vector): finite
 * outputs, every trainable variable (code tables included) gets a finite non-zero gradient, no tensor leaks, a few
 * Adam steps lower the loss; bad tables and unknown keys are errors naming them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { QarmRanker } from '../../src/models/qarm-ranker.ts';
import { ctrLoss } from '../../src/models/model.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { codeTable } from '../../src/qarm/codes.ts';
import { generateMultimodalWorld, MULTIMODAL_PRESETS } from '../../src/worlds/multimodal-world.ts';
import { Optimizer } from '../../src/train/optimizers.ts';
import { Rng } from '../../src/random.ts';

const world = generateMultimodalWorld(MULTIMODAL_PRESETS.tiny);
const n = world.content.items;
const rng = new Rng(2);
const vqCodesRaw = Int32Array.from({ length: n * 5 }, () => rng.int(50));
const rqCodesRaw = Int32Array.from({ length: n * 3 }, () => rng.int(4));
const mm = Float32Array.from({ length: (n + 1) * 6 }, () => rng.normal());
const side = {
  vq: { table: codeTable(vqCodesRaw, n, 5, 0), width: 5, vocab: 51 },
  rq: { table: codeTable(rqCodesRaw, n, 3, 4), levels: 3, vocab: 13 },
  mm: { table: mm, dim: 6 },
};
const host = batchOf(world.train, Int32Array.from({ length: 256 }, (_, i) => i));

test('qarm ranker with VQ, RQ and MM: finite outputs, every variable gets a gradient, no leaks', () => {
  const model = new QarmRanker(new Rng(1), world.train.schema, { ...side, hidden: [16] });
  const vars = model.trainableVariables();
  for (const name of ['vq.table', 'rq.table', 'mmProj.kernel', 'emb.item_id.table']) assert.ok(vars.has(name), `variable ${name}`);
  const names = new Map([...vars].map(([k, v]) => [v.name, k]));
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const batch = toTensors(world.train, host);
    const out = model.apply(batch, { training: false });
    assert.deepEqual(out.logit.shape, [256]);
    assert.deepEqual(out.attention.shape, [256, world.train.widthOf('hist_item_id')]);
    assert.ok([...out.logit.dataSync()].every(Number.isFinite));
    const { grads } = tf.variableGrads(() => ctrLoss('click')(model.apply(batch, { training: true }), batch), [...vars.values()]);
    for (const [tfName, g] of Object.entries(grads)) {
      const v = g.dataSync();
      assert.ok(v.every(Number.isFinite) && v.some((x) => x !== 0), `gradient of ${names.get(tfName)} is finite and non-zero`);
    }
  });
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  model.dispose();
});

test('qarm ranker: 30 Adam steps on one batch lower the loss', () => {
  const model = new QarmRanker(new Rng(1), world.train.schema, { ...side, hidden: [16] });
  const vars = model.trainableVariables();
  const opt = new Optimizer(vars, { learningRate: 1e-2 });
  const byTf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const lossAt = () => tf.tidy(() => {
    const b = toTensors(world.train, host);
    return ctrLoss('click')(model.apply(b, { training: false }), b).dataSync()[0];
  });
  const first = lossAt();
  for (let s = 0; s < 30; s++) {
    tf.tidy(() => {
      const b = toTensors(world.train, host);
      const { grads } = tf.variableGrads(() => ctrLoss('click')(model.apply(b, { training: true }), b), [...vars.values()]);
      opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byTf.get(k) as string, g])));
    });
  }
  assert.ok(lossAt() < first - 0.05, `loss ${first} -> ${lossAt()}`);
  opt.dispose();
  model.dispose();
});

test('qarm ranker: wrong table sizes and unknown keys are errors naming them', () => {
  assert.throws(() => new QarmRanker(new Rng(1), world.train.schema, { vq: { table: new Int32Array(7), width: 5, vocab: 51 } }), /vq\.table has 7 ids, expected \d+ x 5/);
  assert.throws(() => new QarmRanker(new Rng(1), world.train.schema, { mm: { table: new Float32Array(3), dim: 6 } }), /mm\.table has 3 values/);
  assert.throws(() => new QarmRanker(new Rng(1), world.train.schema, { codeDims: 4 } as never), /unknown key 'codeDims'/);
  assert.throws(() => new QarmRanker(new Rng(1), world.train.schema, { sequence: 'user_id' }), /sequence 'user_id' is not a sequence feature/);
});
