/**
 * QARM's pair mining and codes: Swing on a hand-computed example, trigger pairs against a brute-force search, VQ codes
 * (self first, k nearest by cosine), RQ-Kmeans (residual falls with each level), code statistics and tables by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { swing, swingPairs, triggerPairs } from '../../src/qarm/pairs.ts';
import { codeStats, codeTable, vqCodes } from '../../src/qarm/codes.ts';
import { rqKmeans } from '../../src/qarm/kmeans.ts';
import { generateMultimodalWorld, MULTIMODAL_PRESETS } from '../../src/worlds/multimodal-world.ts';
import { Rng } from '../../src/random.ts';

test('swing: scores of a hand-computed example, top-K padded with -1, pairs from the lists', () => {
  const pos = new Map([[0, [0, 1, 2]], [1, [0, 1]], [2, [0, 1, 3]], [3, [2, 3]]]);
  const s = swing(pos, 4, { topK: 3, alpha: 1 });
  const w = [1 / Math.sqrt(3), 1 / Math.sqrt(2), 1 / Math.sqrt(3)];
  // U_0 = {u0, u1, u2}; every pair shares {0, 1}: s(0, 1) = sum w_u w_v / (1 + 2); no pair of U_0 shares item 2 or 3.
  assert.deepEqual(Array.from(s.neighbours.subarray(0, 3)), [1, -1, -1]);
  assert.ok(Math.abs(s.scores[0] - (w[0] * w[1] + w[0] * w[2] + w[1] * w[2]) / 3) < 1e-6, `s(0,1) = ${s.scores[0]}`);
  // U_3 = {u2, u3} share only item 3 itself: no neighbour.
  assert.deepEqual(Array.from(s.neighbours.subarray(9, 12)), [-1, -1, -1]);
  const p = swingPairs(s);
  assert.equal(p.a.length, [...s.neighbours].filter((j) => j >= 0).length);
  assert.equal(p.a[0], 0);
  assert.equal(p.b[0], 1);
});

test('trigger pairs: the recent positive most similar to the target (brute force), no self pairs', () => {
  const w = generateMultimodalWorld(MULTIMODAL_PRESETS.tiny);
  const D = 8;
  const emb = new Float32Array((w.content.items + 1) * D);
  const rng = new Rng(3);
  for (let i = 0; i < emb.length; i++) emb[i] = rng.normal();
  const pairs = triggerPairs(w.train, emb, D, { recent: 5 });
  assert.ok(pairs.a.length > 100);
  assert.ok(pairs.a.every((a, p) => a !== pairs.b[p]), 'no (item, item) pair');
  const click = w.train.label('click');
  const r = click.findIndex((y) => y === 1);
  const t = w.train.column('item_id')[r];
  const T = w.train.widthOf('hist_item_id');
  const hist = Array.from(w.train.column('hist_item_id').subarray(r * T, (r + 1) * T)).filter((h) => h > 0).slice(-5).filter((h) => h !== t);
  const cos = (a: number, b: number) => {
    let s = 0, na = 0, nb = 0;
    for (let d = 0; d < D; d++) { s += emb[a * D + d] * emb[b * D + d]; na += emb[a * D + d] ** 2; nb += emb[b * D + d] ** 2; }
    return s / Math.sqrt(na * nb);
  };
  const best = hist.reduce((x, h) => (cos(h, t) > cos(x, t) ? h : x));
  assert.equal(pairs.a[0], best - 1);
  assert.equal(pairs.b[0], t - 1);
});

test('vq codes: self first when every item is in the pool, neighbours by cosine, pool sampling', () => {
  const x = Float32Array.from([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9, -1, 0]);
  const vq = vqCodes(x, 5, 2, { k: 3 });
  assert.deepEqual(Array.from(vq.codes.subarray(0, 3)), [0, 1, 3]);
  assert.deepEqual(Array.from(vq.codes.subarray(6, 9)), [2, 3, 1]);
  const small = vqCodes(x, 5, 2, { k: 2, poolSize: 3, seed: 1 });
  assert.equal(small.pool.length, 3);
  assert.ok(small.codes.every((c) => c >= 0 && c < 3));
  assert.throws(() => vqCodes(x, 5, 2, { k: 4, poolSize: 3 }), /k \(4\) exceeds the pool size \(3\)/);
});

test('rq-kmeans: codes (n, L) in [0, K), residual falls with every level', () => {
  const rng = new Rng(5);
  const x = Float32Array.from({ length: 300 * 4 }, () => rng.normal());
  const rq = rqKmeans(x, 300, 4, { levels: 4, k: 8, iters: 8 });
  assert.equal(rq.codes.length, 1200);
  assert.ok(rq.codes.every((c) => c >= 0 && c < 8));
  for (let l = 1; l < 4; l++) assert.ok(rq.residualNorm[l] < rq.residualNorm[l - 1], `residual ${rq.residualNorm}`);
});

test('code statistics and the ranker table by hand', () => {
  const codes = Int32Array.from([1, 2, 1, 2, 3, 4]);
  const s = codeStats(codes, 3, 2, { codebook: 5 });
  assert.ok(Math.abs(s.shareSharing - 2 / 3) < 1e-12);
  assert.equal(s.itemsPerCode, 1.5);
  assert.ok(Math.abs(s.itemsPerLookup - 5 / 3) < 1e-12);
  assert.deepEqual(s.utilisation, [0.4, 0.4]);
  const bag = codeStats(Int32Array.from([1, 2, 2, 1, 3, 4]), 3, 2, { codebook: 5, bag: true });
  assert.ok(Math.abs(bag.shareSharing - 2 / 3) < 1e-12, 'a bag ignores order');
  assert.deepEqual(bag.utilisation, [0.8]);
  assert.deepEqual(Array.from(codeTable(codes, 3, 2, 5)), [0, 0, 2, 8, 2, 8, 4, 10]);
});
