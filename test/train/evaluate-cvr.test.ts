/**
 * Entire-space evaluation: `predictOutputs` (sigmoid of named logits, row order, batched, no leaks),
 * `evaluateEntireSpace` against hand-computed metrics and its named errors, and a short training sanity run:
 * ChorusCVR trained 2 epochs on a small funnel world with strong selection bias ranks the counterfactual
 * conversions of all exposures well above chance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { entireSpaceValidator, evaluateEntireSpace, predictOutputs } from '../../src/train/evaluate-cvr.ts';
import { evaluateCtr } from '../../src/train/evaluate.ts';
import { funnelCeilings, generateFunnelWorld, FUNNEL_TRUTH } from '../../src/worlds/funnel-world.ts';
import { chorusCvrSpec } from '../../src/models/chorus-cvr.ts';
import { esmmSpec } from '../../src/models/esmm.ts';
import { train } from '../../src/train/trainer.ts';
import { auc, logloss } from '../../src/metrics/index.ts';
import { Rng } from '../../src/random.ts';
import { assertClose } from '../helpers/close.ts';

const tiny = generateFunnelWorld({ users: 60, items: 50, categories: 5, sellers: 10, exposuresPerUser: 10, clickRate: 0.3, conversionRate: 0.4, seed: 5 });

test('predictOutputs: sigmoid of the named logits in row order, any batch size, no tensors leaked', () => {
  const model = esmmSpec.create(new Rng(1), tiny.test.schema);
  const ds = tiny.test;
  const expected = tf.tidy(() => {
    const out = model.apply(toTensors(ds, batchOf(ds, Array.from({ length: ds.size }, (_, i) => i))), { training: false });
    return { ctr: Array.from(tf.sigmoid(out.ctr).dataSync()), cvr: Array.from(tf.sigmoid(out.cvr).dataSync()) };
  });
  const before = tf.memory().numTensors;
  const p = predictOutputs(model, ds, ['ctr', 'cvr'], { batchSize: 7 });
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  assertClose(p.ctr, expected.ctr, { what: 'ctr' });
  assertClose(p.cvr, expected.cvr, { what: 'cvr' });
  assert.throws(() => predictOutputs(model, ds, ['un']), /predictOutputs: model 'esmm' has no output 'un' \(outputs: ctr, cvr\)/);
  assert.throws(() => predictOutputs(model, ds, []), /no outputs named/);
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked on errors');
  model.dispose();
});

test('evaluateEntireSpace: CTR and CTCVR on D, CVR on O, CVR on D vs the counterfactual labels', () => {
  const schema = { features: [{ kind: 'categorical' as const, name: 'u', vocab: 9 }], labels: ['click', 'conversion'] };
  const click = Float32Array.of(1, 1, 1, 0, 0, 0, 1, 0);
  const conv = Float32Array.of(1, 0, 1, 0, 0, 0, 0, 0);
  const ds = Dataset.fromColumns(schema, { u: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7), click, conversion: conv });
  const ctr = Float32Array.of(0.9, 0.6, 0.7, 0.2, 0.65, 0.1, 0.5, 0.3);
  const cvr = Float32Array.of(0.8, 0.3, 0.6, 0.7, 0.1, 0.2, 0.4, 0.5);
  const cf = Float32Array.of(1, 0, 1, 1, 0, 0, 0, 1);
  const m = evaluateEntireSpace(ds, { [FUNNEL_TRUTH.cfConversion]: cf }, { ctr, cvr });
  const O = [0, 1, 2, 6];
  assert.equal(m.ctrAuc, auc(click, ctr));
  assert.equal(m.cvrAucClicked, auc(O.map((i) => conv[i]), O.map((i) => cvr[i])));
  assert.equal(m.ctcvrAuc, auc(conv, ctr.map((p, i) => p * cvr[i])));
  assert.equal(m.cvrAucEntire, auc(cf, cvr));
  assert.equal(m.cvrLoglossClicked, logloss(O.map((i) => conv[i]), O.map((i) => cvr[i])));
  assert.equal(m.cvrAucClicked, 1, 'both converted clicks outrank the two that did not');
  assert.equal(evaluateEntireSpace(ds, undefined, { ctr, cvr }).cvrAucEntire, undefined, 'real data: no counterfactual AUC');
  assert.throws(() => evaluateEntireSpace(ds, { p_cvr: cvr }, { ctr, cvr }), /the truth has no 'conversion_if_clicked' \(truth: p_cvr\)/);
  assert.throws(() => evaluateEntireSpace(ds, undefined, { ctr: ctr.subarray(1), cvr }), /'ctr' has 7 values for 8 rows/);
  assert.throws(() => evaluateEntireSpace(ds, undefined, { ctr, cvr }, { clickLabel: 'clk' }), /no label 'clk'/);
  assert.throws(() => entireSpaceValidator(ds, 'cvrAucEntire'), /'cvrAucEntire' needs the truth/);
});

test('training sanity: ChorusCVR, 2 epochs, strong selection bias: CVR AUC on D vs counterfactual labels > 0.55', async () => {
  const world = generateFunnelWorld({ users: 700, items: 300, categories: 12, sellers: 30, exposuresPerUser: 40, clickRate: 0.1, selectionBias: 2.5, seed: 4 });
  const cfg = { embeddingDim: 8, bottom: [64], tower: [32], dropout: 0 };
  const model = chorusCvrSpec.create(new Rng(1), world.train.schema, cfg);
  const before = tf.memory().numTensors;
  const result = await train({
    model,
    loss: chorusCvrSpec.loss('conversion', cfg),
    train: world.train,
    config: { epochs: 2, batchSize: 256, optimizer: { learningRate: 2e-3 }, monitor: 'auc', progressLabel: '' },
    validate: entireSpaceValidator(world.valid, 'cvrAucClicked'),
  });
  assert.equal(tf.memory().numTensors, before, 'training leaks no tensors');
  assert.ok(result.history.every((h) => Number.isFinite(h.loss)));
  const p = predictOutputs(model, world.test, ['ctr', 'cvr']);
  const m = evaluateEntireSpace(world.test, world.truth.test, { ctr: p.ctr, cvr: p.cvr });
  const ceiling = funnelCeilings(world, 'test');
  const line = `CVR AUC on D ${m.cvrAucEntire?.toFixed(4)} (ceiling ${ceiling.cvrAucEntire.toFixed(4)}), CTR AUC ${m.ctrAuc.toFixed(4)}, CVR AUC on O ${m.cvrAucClicked.toFixed(4)}`;
  assert.ok((m.cvrAucEntire ?? 0) > 0.55, line);
  assert.ok((m.cvrAucEntire ?? 1) < ceiling.cvrAucEntire, line);
  model.dispose();
});

test('evaluateCtr: GAUC/UAUC over users with both classes; a one-row-per-user split leaves them out instead of failing', () => {
  const schema = { features: [{ kind: 'categorical' as const, name: 'u', vocab: 9 }], labels: ['click'], userId: 'u' };
  const p = Float32Array.of(0.9, 0.2, 0.4, 0.6);
  const grouped = evaluateCtr(Dataset.fromColumns(schema, { u: Int32Array.of(1, 1, 2, 2), click: Float32Array.of(1, 0, 1, 0) }), 'click', p);
  assert.equal(grouped.gauc, 0.5);
  assert.equal(grouped.uauc, 0.5);
  const loo = evaluateCtr(Dataset.fromColumns(schema, { u: Int32Array.of(1, 2, 3, 4), click: Float32Array.of(1, 0, 1, 0) }), 'click', p);
  assert.equal(loo.auc, 0.75);
  assert.equal(loo.gauc, undefined);
  assert.equal(loo.uauc, undefined);
});
