// User samples of real data for quick runs, on the published-layout fixtures: the same users across splits, every row
// of a drawn user kept in order, nothing of the others; seeded and reproducible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { QUICK_REAL_DATA_USERS, drawUsers, sampleCdrUsers, sampleSequenceUsers, sampleSplitUsers } from '../../src/data/sample.ts';
import { loadMinetRelease } from '../../src/data/minet-release.ts';
import { loadKuaiSAR } from '../../src/data/kuaisar.ts';
import { loadCdrTextPair } from '../../src/data/cdr-text.ts';

const F = path.join(import.meta.dirname, '../fixtures');

test('drawUsers: seeded, n of the distinct ids, all of them when n is larger; QUICK_REAL_DATA_USERS is 2000', () => {
  const ids = [5, 3, 9, 3, 11, 7, 5, 2];
  assert.deepEqual(drawUsers(ids, 3, 1), drawUsers(ids, 3, 1));
  assert.equal(drawUsers(ids, 3, 1).size, 3);
  assert.ok([...drawUsers(ids, 3, 1)].every((u) => ids.includes(u)));
  assert.deepEqual([...drawUsers(ids, 10, 1)], [2, 3, 5, 7, 9, 11]);
  const seeds = new Set(Array.from({ length: 8 }, (_, s) => [...drawUsers(ids, 3, s)].sort().join()));
  assert.ok(seeds.size > 1, 'different seeds draw different users');
  assert.throws(() => drawUsers(ids, 0, 1), /n must be a positive integer, got 0/);
  assert.equal(QUICK_REAL_DATA_USERS, 2000);
});

test('sampleSplitUsers: the same drawn users in train / valid / test, all their rows in order', async () => {
  const { data } = await loadMinetRelease({ dir: path.join(F, 'minet-release') });
  const small = sampleSplitUsers(data, 7, 3);
  const users = new Set(small.test.column('user_id'));
  assert.equal(users.size, 7);
  for (const s of ['train', 'valid', 'test'] as const) {
    const u = data[s].column('user_id');
    const want = Array.from(u.keys()).filter((i) => users.has(u[i]));
    assert.equal(small[s].size, want.length, s);
    assert.deepEqual(small[s].column('item_id'), Int32Array.from(want, (i) => data[s].column('item_id')[i]), `${s} rows in order`);
    assert.ok([...small[s].column('user_id')].every((x) => users.has(x)));
  }
  assert.equal(sampleSplitUsers(data, 1000, 3).train.size, data.train.size);
});

test('sampleSequenceUsers: KuaiSAR-R users re-indexed in order with their sequences and feature rows', async () => {
  const d = await loadKuaiSAR(path.join(F, 'kuaisar/ok'));
  const s = sampleSequenceUsers(d, 3, 2);
  assert.equal(s.users, 3);
  assert.equal(s.sequences.length, 3);
  assert.equal(s.items, d.items);
  const F2 = d.userFields.length;
  const kept = s.sequences.map((q) => d.sequences.indexOf(q));
  assert.ok(kept.every((k, i) => k >= 0 && (i === 0 || k > kept[i - 1])), 'original order');
  kept.forEach((k, i) => assert.deepEqual(s.userFeatures.subarray(i * F2, (i + 1) * F2), d.userFeatures.subarray(k * F2, (k + 1) * F2)));
});

test('sampleCdrUsers: every pair of the drawn users in every domain and split, users re-indexed 0..n-1 in order', async () => {
  const data = await loadCdrTextPair(path.join(F, 'cdrib'), ['sport', 'cloth']);
  const s = sampleCdrUsers(data, 20, 5);
  assert.equal(s.nUsers, 20);
  assert.equal(s.userSegment.length, 20);
  assert.equal('userSpaces' in s, false);
  const all = new Set<number>();
  for (const d of data.domains) for (const k of ['train', 'coldValid', 'coldTest'] as const) for (const u of d[k].users) all.add(u);
  const seenAfter = new Set<number>();
  data.domains.forEach((d, i) => {
    for (const k of ['train', 'valid', 'test', 'coldValid', 'coldTest'] as const) {
      for (const u of s.domains[i][k].users) {
        assert.ok(u >= 0 && u < 20);
        seenAfter.add(u);
      }
    }
    assert.equal(s.domains[i].longView.length, s.domains[i].train.users.length);
    assert.equal(s.domains[i].nItems, d.nItems);
  });
  assert.equal(seenAfter.size, 20, 'every drawn user has pairs');
  // Exactly the pairs of the drawn users (drawUsers over every user with a pair), relabelled by rank, in order.
  const keep = [...drawUsers(all, 20, 5)].sort((x, y) => x - y);
  const rank = new Map(keep.map((u, i) => [u, i]));
  data.domains.forEach((d, i) => {
    for (const k of ['train', 'coldValid', 'coldTest'] as const) {
      const rows = Array.from(d[k].users.keys()).filter((n) => rank.has(d[k].users[n]));
      assert.deepEqual(s.domains[i][k].users, Int32Array.from(rows, (n) => rank.get(d[k].users[n]) as number), `domain ${i} ${k} users`);
      assert.deepEqual(s.domains[i][k].items, Int32Array.from(rows, (n) => d[k].items[n]), `domain ${i} ${k} items`);
    }
  });
  assert.ok(all.size > 20);
});
