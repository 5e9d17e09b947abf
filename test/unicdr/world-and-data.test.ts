/**
 * The multi-domain world (src/worlds/multi-domain-world.ts) in the four UniCDR scenarios, and the CDRIB / UniCDR text
 * loader (src/data/cdr-text.ts) on fixtures in the exact format (test/fixtures/cdr-text/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CDR_SCENARIOS, MultiDomainWorldConfigSpec, generateMultiDomainWorld, interactedSets, multiDomainPreset } from '../../src/worlds/multi-domain-world.ts';
import { sampleNegatives, sampledRanking } from '../../src/metrics/sampled-ranking.ts';
import { CdrTextError, cdrTextAvailability, loadCdrTextPair, readCdrTextFile } from '../../src/data/cdr-text.ts';

const FIX = join(import.meta.dirname, '../fixtures/cdr-text');

for (const scenario of CDR_SCENARIOS) {
  test(`world ${scenario}: domains, overlap kind, ids in range, leave-one-out splits, seeded`, () => {
    const w = generateMultiDomainWorld({ scenario, users: 150, items: 120, seed: 4 });
    assert.equal(w.domains.length, { 'dual-user-intra': 2, 'dual-user-inter': 2, 'multi-item-intra': 4, 'multi-user-intra': 3 }[scenario]);
    assert.equal(w.overlapKind, scenario === 'multi-item-intra' ? 'items' : 'users');
    const usersIn = w.domains.map((d) => new Set(d.train.users));
    const shared = [...usersIn[0]].filter((u) => usersIn.slice(1).some((s) => s.has(u))).length;
    if (w.overlapKind === 'users') assert.ok(shared > 20, `${shared} users in several domains`);
    else {
      assert.equal(shared, 0, 'item overlap: users are disjoint');
      const g0 = new Set(w.domains[0].globalItem);
      assert.ok(w.domains[1].globalItem.filter((g) => g0.has(g)).length >= 50, 'item overlap: shared products');
    }
    for (const d of w.domains) {
      for (const p of [d.train, d.valid, d.test]) for (const i of p.items) assert.ok(i >= 0 && i < d.nItems);
      assert.equal(d.longView.length, d.train.users.length);
      const testUsers = new Set(d.test.users);
      assert.equal(testUsers.size, d.test.users.length, 'one test pair per warm user');
      for (const u of d.coldTest.users) assert.ok(!usersIn[w.domains.indexOf(d)].has(u), `cold user ${u} has training rows`);
    }
    if (scenario === 'dual-user-inter') assert.ok(w.domains.every((d) => d.coldTest.users.length > 5), 'cold-start users in both domains');
    else assert.ok(w.domains.every((d) => d.coldTest.users.length === 0));
    const again = generateMultiDomainWorld({ scenario, users: 150, items: 120, seed: 4 });
    assert.deepEqual(again.domains[0].train.items, w.domains[0].train.items);
  });
}

test('world config: strict keys, dual scenarios need 2 domains, presets', () => {
  assert.throws(() => MultiDomainWorldConfigSpec.parse({ overlpa: 0.5 }), /overlpa/);
  assert.throws(() => generateMultiDomainWorld({ scenario: 'dual-user-intra', domains: 3, users: 50, items: 50 }), /needs domains = 2/);
  assert.equal(generateMultiDomainWorld({ scenario: 'multi-user-intra', domains: 5, users: 60, items: 40 }).domains.length, 5);
  assert.equal(multiDomainPreset('tiny', 'dual-user-inter').scenario, 'dual-user-inter');
});

test('oracle (true preference) HR@10 with 999 negatives is far above random and below 1', () => {
  const w = generateMultiDomainWorld({ ...multiDomainPreset('tiny', 'dual-user-intra'), seed: 2 });
  const dom = w.domains[0];
  const lists = sampleNegatives({ users: dom.test.users, positives: dom.test.items }, interactedSets(dom), { nItems: dom.nItems, seed: 1 });
  const users = Int32Array.from(lists.items, (_, j) => dom.test.users[Math.floor(j / lists.nCandidates)]);
  const hr = sampledRanking(w.trueScore(0, users, lists.items), lists).hr;
  assert.ok(hr > 0.1 && hr < 0.9, `oracle HR@10 ${hr}`);
});

test('cdr-text: fixtures load into two domains with shared users; users without training rows are cold-start', async () => {
  const data = await loadCdrTextPair(FIX, ['sport', 'cloth']);
  assert.deepEqual(data.domains.map((d) => d.name), ['sport', 'cloth']);
  assert.equal(data.nUsers, 12);
  const [sport, cloth] = data.domains;
  assert.equal(sport.train.users.length, 48);
  assert.equal(cloth.train.users.length, 40);
  assert.deepEqual([...cloth.coldTest.users].sort(), [10, 11]);
  assert.equal(cloth.test.users.length, 10);
  assert.equal(sport.coldTest.users.length, 0);
  assert.equal(cloth.globalItem[0], sport.nItems, 'global item ids are disjoint ranges');
  const first = await readCdrTextFile(join(FIX, 'sport_cloth/train.txt'));
  assert.equal(first.users[0], 0);
});

test('cdr-text: bad lines are errors naming file and line; missing files give the how-to-obtain message', async () => {
  await assert.rejects(readCdrTextFile(join(FIX, 'bad/three-fields-missing-tab.txt')), (e: unknown) => e instanceof CdrTextError && e.line === 3 && /three-fields-missing-tab\.txt:3: expected 'user<TAB>item'/.test(e.message));
  await assert.rejects(readCdrTextFile(join(FIX, 'bad/non-integer-item.txt')), /non-integer-item\.txt:3: item "x7" is not a non-negative integer id/);
  const a = cdrTextAvailability(FIX, ['game', 'video']);
  assert.equal(a.ok, false);
  assert.equal(a.missing.length, 6);
  assert.match(a.message, /github\.com\/cjx96\/CDRIB/);
  await assert.rejects(loadCdrTextPair(FIX, ['game', 'video']), /6 file\(s\) missing/);
});
