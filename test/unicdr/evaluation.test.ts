/**
 * The evaluation behind the unicdr tables: per-row HR / NDCG agree with `topK`'s means and their SE is `meanSe`;
 * full ranking scores every row with its own user (issue 15's bug: every row was scored with the first test user) and
 * equals sampled ranking when every item is a candidate and nothing is excluded; early stopping stops after
 * `patience` epochs without a new best and reports whether the best epoch was the last one allowed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateMultiDomainWorld } from '../../src/worlds/multi-domain-world.ts';
import { createCdrModel, prepareCdr } from '../../src/models/cdr/index.ts';
import { topK } from '../../src/metrics/topk.ts';
import { meanSe } from '../../src/evidence/rules.ts';
import { Rng } from '../../src/random.ts';
import { evaluateFullRows, evaluateListsRows, fitCdr, perRowRanking, rankingEvidence, scoreCandidates } from '../../src/pipelines/unicdr/fit.ts';
import type { CandidateLists } from '../../src/metrics/sampled-ranking.ts';

process.env.RECLAB_PROGRESS = '0';

test('perRowRanking: means equal topK (ties count against the positive); rankingEvidence carries meanSe and one positive per row', () => {
  const rng = new Rng(3);
  const C = 50;
  const scores = Float32Array.from({ length: 40 * C }, () => Math.round(rng.uniform() * 20) / 20); // many ties
  const rows = perRowRanking(scores, C, 10);
  const t = topK(scores, C, 10);
  const ev = rankingEvidence(rows);
  assert.ok(Math.abs(ev.hr.value - t.hr) < 1e-12 && Math.abs(ev.ndcg.value - t.ndcg) < 1e-12);
  assert.ok(Math.abs(ev.hr.se - meanSe(rows.hr)) < 1e-15);
  assert.equal(ev.hr.rows, 40);
  assert.equal(ev.hr.positives, 40);
  assert.deepEqual(Array.from(perRowRanking(new Float32Array([0.9, 0.1, 0.2, 0.5]), 2, 1).hr), [1, 0]);
});

test('full ranking scores each row with its own user and equals sampled ranking over every item (cold users: nothing excluded)', () => {
  const world = generateMultiDomainWorld({ scenario: 'dual-user-inter', users: 200, items: 60, interactions: 6, seed: 5 });
  const prep = prepareCdr(world, { maxLen: 5, ease: null });
  const model = createCdrModel('unicdr', new Rng(2), prep, { dim: 8 });
  try {
    const d = 0;
    const dom = world.domains[d];
    const pairs = dom.coldTest;
    assert.ok(pairs.users.length >= 5 && new Set(pairs.users).size >= 5, 'several distinct cold-start users');
    const I = dom.nItems;
    // Sampled lists that hold every item: the positive first, then every other item.
    const items = new Int32Array(pairs.users.length * I);
    for (let n = 0; n < pairs.users.length; n++) {
      items[n * I] = pairs.items[n];
      let j = 1;
      for (let i = 0; i < I; i++) if (i !== pairs.items[n]) items[n * I + j++] = i;
    }
    const lists: CandidateLists = { items, nCandidates: I, rows: pairs.users.length };
    const sampled = evaluateListsRows(model, prep, d, pairs, lists, false);
    const full = evaluateFullRows(dom, pairs, (l) => scoreCandidates(model, prep, d, pairs.users, l, false));
    assert.deepEqual(Array.from(full.hr), Array.from(sampled.hr));
    assert.deepEqual(Array.from(full.ndcg), Array.from(sampled.ndcg));
    // Each row's scores are its own user's: scoring the rows together equals scoring each row alone.
    const together = scoreCandidates(model, prep, d, pairs.users, lists, false);
    for (const n of [0, 1, pairs.users.length - 1]) {
      const alone = scoreCandidates(model, prep, d, [pairs.users[n]], { items: items.subarray(n * I, (n + 1) * I), nCandidates: I, rows: 1 }, false);
      for (let j = 0; j < I; j++) assert.ok(Math.abs(alone[j] - together[n * I + j]) < 1e-5, `row ${n}, candidate ${j}`);
    }
    // The old wiring (one user per candidate, read as one per row: every row scored with the first user) differs.
    const perCandidate = Int32Array.from(items, (_, j) => pairs.users[Math.floor(j / I)]);
    const wrong = scoreCandidates(model, prep, d, perCandidate, lists, false);
    assert.ok(wrong.some((x, j) => Math.abs(x - together[j]) > 1e-4), 'the test can tell the wrong users from the right ones');
  } finally {
    model.dispose();
  }
});

test('fitCdr: patience stops after that many epochs without a new best; stillImproving when the best is the last epoch', async () => {
  const world = generateMultiDomainWorld({ scenario: 'dual-user-intra', users: 120, items: 60, interactions: 6, seed: 4 });
  const prep = prepareCdr(world, { maxLen: 5, ease: null });
  const model = createCdrModel('bpr-mf', new Rng(1), prep, { dim: 4 });
  try {
    // lr 0: the validation NDCG never changes, so the best stays epoch 1 and patience 2 stops after epoch 3.
    const r = await fitCdr(model, prep, { epochs: 10, batchSize: 128, learningRate: 1e-12, weightDecay: 0, validNegatives: 19, patience: 2 }, 1);
    assert.equal(r.bestEpoch, 1);
    assert.equal(r.validNdcg.length, 3);
    assert.equal(r.stillImproving, false);
    const one = await fitCdr(model, prep, { epochs: 1, batchSize: 128, validNegatives: 19 }, 1);
    assert.equal(one.stillImproving, true, 'a one-epoch budget is always still improving');
  } finally {
    model.dispose();
  }
});
