/**
 * Sampled-negative and full-ranking evaluation (src/metrics/sampled-ranking.ts): negatives are never items the user
 * touched in any split, are unique per row and seeded; HR@10 of a perfect scorer is 1 and of a random scorer about
 * 10/1000; NDCG of a known rank; full ranking ignores excluded items.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullRanking, sampleNegatives, sampledRanking } from '../../src/metrics/sampled-ranking.ts';
import { Rng } from '../../src/random.ts';

const N_ITEMS = 1200;
function setup(rows: number, seed: number) {
  const rng = new Rng(seed);
  const users = Array.from({ length: rows }, (_, n) => n % 300);
  const seen = new Map<number, Set<number>>();
  for (let u = 0; u < 300; u++) seen.set(u, new Set(Array.from({ length: 30 }, () => rng.int(N_ITEMS))));
  const positives = users.map((u) => [...(seen.get(u) as Set<number>)][0]);
  return { users, positives, interacted: (u: number) => seen.get(u) as Set<number> };
}

test('negatives: 999 per row, none interacted in any split, unique per row, the positive in column 0', () => {
  const { users, positives, interacted } = setup(300, 1);
  const c = sampleNegatives({ users, positives }, interacted, { nItems: N_ITEMS, seed: 5 });
  assert.equal(c.nCandidates, 1000);
  assert.equal(c.rows, 300);
  for (let n = 0; n < c.rows; n++) {
    const row = c.items.subarray(n * 1000, (n + 1) * 1000);
    assert.equal(row[0], positives[n]);
    const negs = Array.from(row.subarray(1));
    assert.equal(new Set(negs).size, 999, `row ${n}: negatives are unique`);
    for (const i of negs) assert.ok(!interacted(users[n]).has(i) && i !== positives[n], `row ${n}: negative ${i} was interacted`);
  }
});

test('negatives are seeded: same seed same lists, another seed other lists', () => {
  const { users, positives, interacted } = setup(50, 2);
  const a = sampleNegatives({ users, positives }, interacted, { nItems: N_ITEMS, seed: 9 });
  const b = sampleNegatives({ users, positives }, interacted, { nItems: N_ITEMS, seed: 9 });
  const c = sampleNegatives({ users, positives }, interacted, { nItems: N_ITEMS, seed: 10 });
  assert.deepEqual(a.items, b.items);
  assert.notDeepEqual(a.items, c.items);
});

test('too few non-interacted items is an error naming the row and user', () => {
  assert.throws(() => sampleNegatives({ users: [4], positives: [0] }, () => new Set([1, 2]), { nItems: 10, negatives: 8, seed: 1 }), /row 0: user 4 has only 7 non-interacted items/);
});

test('HR@10 of a perfect scorer is 1 (NDCG 1); of a random scorer about 10/1000 (tolerance 0.006 = 4.3 sigma at 3000 rows)', () => {
  const { users, positives, interacted } = setup(3000, 3);
  const c = sampleNegatives({ users, positives }, interacted, { nItems: N_ITEMS, seed: 11 });
  const perfect = Float32Array.from(c.items, (_, j) => (j % c.nCandidates === 0 ? 1 : 0));
  const p = sampledRanking(perfect, c, 10);
  assert.equal(p.hr, 1);
  assert.equal(p.ndcg, 1);
  const rng = new Rng(12);
  const random = Float32Array.from(c.items, () => rng.uniform());
  const r = sampledRanking(random, c, 10);
  assert.ok(Math.abs(r.hr - 0.01) < 0.006, `random HR@10 ${r.hr} is not about 0.01`);
  // E[NDCG@10] of a uniform rank in 1..1000 = (1/1000) Σ_{r=1..10} 1/log2(r+1) ≈ 0.004543
  const expNdcg = Array.from({ length: 10 }, (_, i) => 1 / Math.log2(i + 2)).reduce((a, b) => a + b, 0) / 1000;
  assert.ok(Math.abs(r.ndcg - expNdcg) < 0.003, `random NDCG@10 ${r.ndcg} vs expected ${expNdcg}`);
});

test('NDCG@10 of a positive at rank 3 is 1/log2(4) = 0.5; at rank 11 HR and NDCG are 0', () => {
  const lists = { items: new Int32Array(12), nCandidates: 12, rows: 1 };
  const at = (rank: number) => Float32Array.from({ length: 12 }, (_, j) => (j === 0 ? 100 - rank + 0.5 : 100 - j));
  assert.equal(sampledRanking(at(3), lists, 10).ndcg, 0.5);
  const m = sampledRanking(at(11), lists, 10);
  assert.equal(m.hr, 0);
  assert.equal(m.ndcg, 0);
});

test('full ranking: excluded (training) items never outrank the positive; the positive is never excluded', () => {
  // items 0..4; positive 2 scores 0.5; item 4 (0.9) is a training item, item 3 (0.7) is not -> rank 2
  const scores = new Float32Array([0.1, 0.2, 0.5, 0.7, 0.9]);
  const m = fullRanking(scores, [2], [new Set([4, 2])], 5, 1);
  assert.equal(m.hr, 0);
  assert.equal(fullRanking(scores, [2], [new Set([4])], 5, 2).ndcg, 1 / Math.log2(3));
  assert.throws(() => fullRanking(scores, [7], [new Set()], 5, 2), /row 0: positive item 7/);
});
