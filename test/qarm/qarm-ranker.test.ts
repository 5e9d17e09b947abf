/**
 * The QARM ranker with every item-side input (VQ bags, RQ codes with the prefix cross feature, frozen vector): finite
 * outputs, every trainable variable (code tables included) gets a finite non-zero gradient, no tensor leaks, a few
 * Adam steps lower the loss; bad tables and unknown keys are errors naming them. The comparison ladder gives no variant
 * an extra feature (issue 16); the zero-parameter max-cos content score is what it says and ranks clicks only when the
 * content carries the behaviour latent.
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
import { maxCosScores } from '../../src/qarm/content-similarity.ts';
import { evaluateCtrEvidence } from '../../src/train/evaluate.ts';
import { QARM_VARIANTS, QUICK_RANKER, variantConfig } from '../../src/pipelines/qarm/common.ts';
import type { QarmPrepared } from '../../src/qarm/prepare.ts';

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
  const model = new QarmRanker(new Rng(1), world.train.schema, { ...side, hidden: [16], crossFeatures: true });
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
  const model = new QarmRanker(new Rng(1), world.train.schema, { ...side, hidden: [16], crossFeatures: true });
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

test("the ladder's variants differ only in their item input: no variant gets an extra feature (issue 16's RQ-only cross)", () => {
  const prep = { side: { vq: side.vq, rq: side.rq, mmUnaligned: side.mm, mmAligned: side.mm } } as unknown as QarmPrepared;
  const hyper = { ...QUICK_RANKER, hidden: [8] };
  const extra = QARM_VARIANTS.map((v) => {
    const model = new QarmRanker(new Rng(1), world.train.schema, variantConfig(v, prep, hyper));
    try {
      const c = model.config;
      const R = c.embeddingDim + (c.vq ? c.codeDim : 0) + (c.rq ? c.rq.levels * c.codeDim : 0) + (c.mm ? c.mmDim : 0);
      const kernel = [...model.trainableVariables()].find(([k]) => k.startsWith('tower.') && k.endsWith('kernel'))?.[1];
      assert.ok(kernel, 'the tower has a first kernel');
      return { label: v.label, beyondItem: (kernel.shape[0] as number) - 3 * R };
    } finally {
      model.dispose();
    }
  });
  for (const e of extra) assert.equal(e.beyondItem, extra[0].beyondItem, `${e.label}: ${e.beyondItem} tower inputs beyond the item representation, base ${extra[0].beyondItem}`);
});

test('max-cos content scores: the largest cosine over the history, padding ignored; the behaviour latent ranks clicks, noise does not', () => {
  const D = world.latent.behaviour.length / n;
  const table = new Float32Array((n + 1) * D);
  table.set(world.latent.behaviour, D);
  const s = maxCosScores(world.test, table, D);
  const ids = world.test.column('item_id');
  const hist = world.test.column('hist_item_id');
  const T = world.test.widthOf('hist_item_id');
  const cos = (a: number, b: number): number => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let d = 0; d < D; d++) {
      dot += table[a * D + d] * table[b * D + d];
      na += table[a * D + d] ** 2;
      nb += table[b * D + d] ** 2;
    }
    return dot / Math.sqrt(na * nb);
  };
  for (const r of [0, 7, world.test.size - 1]) {
    const hs = [...hist.subarray(r * T, (r + 1) * T)].filter((h) => h > 0);
    const want = (Math.max(...hs.map((h) => cos(h, ids[r]))) + 1) / 2;
    assert.ok(Math.abs(s[r] - want) < 1e-5, `row ${r}: ${s[r]} vs ${want}`);
  }
  const y = world.test.label('click');
  const informative = evaluateCtrEvidence(world.test, 'click', s).auc;
  assert.ok(informative.value > 0.55, `behaviour latent: max-cos AUC ${informative.value}`);
  const noise = Float32Array.from({ length: table.length }, () => rng.normal());
  const blind = evaluateCtrEvidence(world.test, 'click', maxCosScores(world.test, noise, D)).auc;
  assert.ok(Math.abs(blind.value - 0.5) < 3 * blind.se + 0.01, `random content: max-cos AUC ${blind.value} (SE ${blind.se})`);
  assert.ok(y.length === s.length);
  assert.throws(() => maxCosScores(world.test, new Float32Array(10), 3), /not a whole number of rows of width 3/);
  assert.throws(() => maxCosScores(world.test, new Float32Array(3 * 4), 3), /outside the table's 4 rows/);
});
