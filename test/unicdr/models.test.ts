/**
 * The cross-domain ranking models (src/models/cdr/): every trainable variable of every model and of UniCDR in each
 * aggregator / extension setting gets a finite, non-zero gradient from its training loss (after the warm-up, so the
 * shared part is on); strict configs reject misspelt keys; BPR / BCE losses have their closed forms; a short fit beats
 * random ranking; EMCDR / PTUPCDR refuse item-overlap data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { generateMultiDomainWorld, type CdrScenario } from '../../src/worlds/multi-domain-world.ts';
import { CDR_MODEL_KINDS, UNICDR_PLUS_EXTENSIONS, UniCdrConfigSpec, bprLoss, candidateBce, createCdrModel, hostBatch, prepareCdr, toCdrBatch, type CdrModelKind } from '../../src/models/cdr/index.ts';
import { evaluateLists, fitCdr, testLists } from '../../src/pipelines/unicdr/fit.ts';

process.env.RECLAB_PROGRESS = '0';
const tiny = (scenario: CdrScenario) => generateMultiDomainWorld({ scenario, users: 80, items: 60, interactions: 6, seed: 3 });

function gradCheck(scenario: CdrScenario, kind: CdrModelKind, config: Record<string, unknown>): void {
  const w = tiny(scenario);
  const prep = prepareCdr(w, { maxLen: 5, ease: { lambda: 5, threshold: 0.01 } });
  const model = createCdrModel(kind, new Rng(1), prep, { dim: 8, ...config });
  const rng = new Rng(2);
  const vars = model.trainableVariables();
  const before = tf.memory().numTensors;
  const norms: Array<readonly [string, number, number]> = [];
  tf.tidy(() => {
    const batches = w.domains.map((dom, d) => {
      const rows = Array.from({ length: 32 }, (_, j) => Math.floor((j * dom.train.users.length) / 32)); // spread over users
      const users = rows.map((r) => dom.train.users[r]);
      const items = rows.flatMap((r) => [dom.train.items[r], ...Array.from({ length: 4 }, () => rng.int(dom.nItems))]);
      return toCdrBatch(hostBatch(prep, d, users, items, 5, { exclude: rows.map((r) => dom.train.items[r]), longView: rows.map((r) => dom.longView[r]) }), w.domains.length, 5);
    });
    const { grads } = tf.variableGrads(() => model.loss(batches, { epoch: 99 }), [...vars.values()]);
    const byTf = new Map([...vars].map(([k, v]) => [v.name, k]));
    for (const [k, g] of Object.entries(grads)) norms.push([byTf.get(k) ?? k, tf.sum(tf.abs(g)).dataSync()[0], tf.all(tf.isFinite(g)).dataSync()[0]] as const);
  });
  assert.equal(norms.length, vars.size, `${kind}: a gradient for every trainable variable`);
  for (const [name, n, finite] of norms) {
    assert.equal(finite, 1, `${kind} ${JSON.stringify(config)}: gradient of '${name}' is not finite`);
    assert.ok(n > 0, `${kind} ${JSON.stringify(config)}: gradient of '${name}' is zero`);
  }
  model.dispose();
  assert.ok(tf.memory().numTensors <= before, 'no tensors leak from the gradient step');
}

for (const kind of CDR_MODEL_KINDS) {
  test(`gradient check: ${kind} on dual-user-inter`, () => gradCheck('dual-user-inter', kind, {}));
}
for (const aggregator of ['mean', 'user_attention', 'item_similarity']) {
  test(`gradient check: UniCDR with the ${aggregator} aggregator on multi-user-intra (3 domains, after warm-up)`, () => gradCheck('multi-user-intra', 'unicdr', { aggregator }));
}
test('gradient check: UniCDR+ with all five extensions (soft contrastive replaces the critic)', () => gradCheck('dual-user-intra', 'unicdr', { extensions: Object.fromEntries(UNICDR_PLUS_EXTENSIONS.map((e) => [e, true])) }));
test('gradient check: UniCDR+ with the hard critic, and UniCDR / Shared-Emb / BPR-MF on multi-item-intra (shared item table)', () => {
  gradCheck('dual-user-intra', 'unicdr', { extensions: { features: true, itemGraph: true, sequence: true, mmoe: true } });
  for (const kind of ['unicdr', 'shared-emb', 'bpr-mf'] as const) gradCheck('multi-item-intra', kind, {});
});

test('configs: misspelt UniCDR keys and extra baseline keys are errors; EMCDR needs overlapping users', () => {
  assert.throws(() => UniCdrConfigSpec.parse({ lamda: 0.4 }), /lamda/);
  assert.throws(() => UniCdrConfigSpec.parse({ extensions: { mmoeHead: true } }), /mmoeHead/);
  const prep = prepareCdr(tiny('multi-item-intra'), { maxLen: 5 });
  assert.throws(() => createCdrModel('bpr-mf', new Rng(1), prep, { dim: 8, aggregator: 'mean' }), /unknown config key\(s\) aggregator/);
  assert.throws(() => createCdrModel('emcdr', new Rng(1), prep, { dim: 8 }), /needs overlapping users/);
});

test('losses: BPR = mean softplus(s- - s+), BCE = softplus(-s+) + mean softplus(s-)', () => {
  const s = tf.tensor2d([[2, 0, 1]]);
  const sp = (x: number) => Math.log1p(Math.exp(x));
  assert.ok(Math.abs(bprLoss(s).dataSync()[0] - (sp(-2) + sp(-1)) / 2) < 1e-6);
  assert.ok(Math.abs(candidateBce(s).dataSync()[0] - (sp(-2) + (sp(0) + sp(1)) / 2)) < 1e-6);
  s.dispose();
});

test('a short fit of BPR-MF ranks test items far above random (HR@10 with 99 negatives > 0.2, random 0.1)', async () => {
  const w = generateMultiDomainWorld({ scenario: 'dual-user-intra', users: 300, items: 200, interactions: 10, seed: 5 });
  const prep = prepareCdr(w, { maxLen: 10 });
  const model = createCdrModel('bpr-mf', new Rng(1), prep, { dim: 16 });
  const fit = await fitCdr(model, prep, { epochs: 4, batchSize: 512, learningRate: 2e-2, validNegatives: 99 }, 1);
  assert.equal(fit.validNdcg.length, 4);
  const dom = w.domains[0];
  const hr = evaluateLists(model, prep, 0, dom.test, testLists(dom, dom.test, 99, 7), false).hr;
  assert.ok(hr > 0.2, `HR@10 ${hr}`);
  model.dispose();
});
