/**
 * UniCDR as the official code does it (issue 15): the shared branch's global context pads the user's own domain in
 * training (domain masking) and keeps it at evaluation (switch 'keep': never padded); the training negative sampler never returns one of the user's training items; evaluation contexts use the test length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Rng } from '../../src/random.ts';
import { generateMultiDomainWorld } from '../../src/worlds/multi-domain-world.ts';
import { UniCDR, hostBatch, prepareCdr, toCdrBatch, itemGraph, propagate } from '../../src/models/cdr/index.ts';
import { denseGraph, propagateDense } from '../../src/models/cdr/unicdr-blocks.ts';
import { sampleTrainingNegatives } from '../../src/pipelines/unicdr/fit.ts';

process.env.RECLAB_PROGRESS = '0';

test('domain masking: in training the shared context has no own-domain item, at evaluation it has them all', () => {
  const w = generateMultiDomainWorld({ scenario: 'multi-user-intra', users: 60, items: 40, interactions: 6, seed: 5 });
  const prep = prepareCdr(w, { maxLen: 4, testMaxLen: 6 });
  const users = [...prep.hist[1].keys()].filter((u) => prep.hist[0].has(u) && prep.hist[2].has(u)).slice(0, 8);
  assert.ok(users.length >= 4, 'users present in all three domains');
  for (const [cfg, padded] of [[{}, true], [{ sharedOwnDomain: 'keep' }, false]] as const) {
    const model = new UniCDR(new Rng(1), prep, { dim: 4, ...cfg });
    tf.tidy(() => {
      const b = toCdrBatch(hostBatch(prep, 1, users, users.map(() => 0), 1), 3);
      const train = tf.reshape(model.sharedContextMask(b, true), [users.length, 3, 4]).arraySync() as number[][][];
      const evalM = tf.reshape(model.sharedContextMask(b, false), [users.length, 3, 4]).arraySync() as number[][][];
      const ctx = tf.reshape(b.ctx, [users.length, 3, 4]).arraySync() as number[][][];
      users.forEach((_, r) => {
        for (let d = 0; d < 3; d++) for (let j = 0; j < 4; j++) {
          const has = ctx[r][d][j] > 0 ? 1 : 0;
          assert.equal(evalM[r][d][j], has, `eval mask row ${r} domain ${d} pos ${j}`);
          assert.equal(train[r][d][j], d === 1 && padded ? 0 : has, `train mask (${JSON.stringify(cfg)}) row ${r} domain ${d} pos ${j}`);
        }
        assert.ok(ctx[r][1].some((x) => x > 0), 'the own domain context itself is not empty (the specific branch reads it)');
      });
    });
    model.dispose();
  }
});

test('training negatives: never one of the user\'s training items, every other item reachable, an error when none is left', () => {
  const rng = new Rng(3);
  const positives = new Set([0, 2, 4, 6, 8]);
  const out: number[] = [];
  sampleTrainingNegatives(rng, 12, positives, 3000, out);
  assert.equal(out.length, 3000);
  assert.ok(out.every((i) => !positives.has(i) && i >= 0 && i < 12), 'no positive sampled');
  assert.deepEqual([...new Set(out)].sort((a, b) => a - b), [1, 3, 5, 7, 9, 10, 11], 'every non-positive item is drawn');
  assert.throws(() => sampleTrainingNegatives(rng, 3, new Set([0, 1, 2]), 1, []), /cover all 3 items/);
});

test('context lengths: evaluation batches use the test length, and a mismatched length is an error', () => {
  const w = generateMultiDomainWorld({ scenario: 'dual-user-intra', users: 60, items: 40, interactions: 8, seed: 7 });
  const prep = prepareCdr(w, { maxLen: 3, testMaxLen: 7 });
  const u = [...prep.hist[0].keys()].find((x) => (prep.hist[0].get(x)?.length ?? 0) >= 5) as number;
  const hb = hostBatch(prep, 0, [u], [0], 1, { maxLen: prep.testMaxLen });
  assert.equal(hb.L, 7);
  const own = Array.from(hb.ctx.subarray(0, 7)).filter((x) => x > 0).length;
  assert.equal(own, Math.min(7, prep.hist[0].get(u)?.length ?? 0), 'the test context holds up to testMaxLen items');
  assert.equal(hostBatch(prep, 0, [u], [0], 1).L, 3);
  assert.throws(() => toCdrBatch(hb, 2, 3), /built with 7/);
});

test('item graph: dense propagation equals the neighbour-list propagation (values and gradients)', () => {
  const w = generateMultiDomainWorld({ scenario: 'dual-user-intra', users: 80, items: 50, interactions: 8, seed: 8 });
  const prep = prepareCdr(w, { maxLen: 5 });
  const g = itemGraph(prep.hist[0], 50, 6);
  tf.tidy(() => {
    const E = tf.randomNormal([g.n, 4], 0, 1, 'float32', 3);
    const ids = tf.tensor2d(g.ids, [g.n, g.K], 'int32');
    const wts = tf.tensor2d(g.weights, [g.n, g.K]);
    const A = denseGraph(g);
    const a = propagate(E, ids, wts, 2).arraySync() as number[][];
    const b = propagateDense(E, A, 2).arraySync() as number[][];
    let maxDiff = 0;
    a.forEach((row, i) => row.forEach((x, j) => { maxDiff = Math.max(maxDiff, Math.abs(x - b[i][j])); }));
    assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
    assert.ok(a.some((row) => row.some((x) => Math.abs(x) > 0.1)), 'non-trivial output');
    const ga = tf.grad((e: Tensor) => tf.sum(tf.square(propagate(e, ids, wts, 2))))(E).arraySync() as number[][];
    const gb = tf.grad((e: Tensor) => tf.sum(tf.square(propagateDense(e, A, 2))))(E).arraySync() as number[][];
    let gDiff = 0;
    ga.forEach((row, i) => row.forEach((x, j) => { gDiff = Math.max(gDiff, Math.abs(x - gb[i][j])); }));
    assert.ok(gDiff < 1e-4, `max gradient difference ${gDiff}`);
  });
});
