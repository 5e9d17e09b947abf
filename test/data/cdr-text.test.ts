// The CDRIB / UniCDR text loader on fixtures in CDRIB's published layout (test/fixtures/cdrib/, written by its
// make-fixtures.ts after CDRIB's split_data.py): per-domain user spaces linked only through the common users, the
// number of common users from the pair's own description, the cold-start scenario label and validation pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CdrTextError, commonUserCount, globalUserId, listCdrTextPairs, loadCdrTextPair, readCdrTextFile } from '../../src/data/cdr-text.ts';
import { cdrValidationPairs, cdrValidationSplit } from '../../src/data/cdr-data.ts';

const FIX = path.join(import.meta.dirname, '../fixtures/cdrib');
const OLD = path.join(import.meta.dirname, '../fixtures/cdr-text');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reclab-cdr-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
/** A copy of the fixture pair with only the given files in each folder (and `edit` applied to their text). */
function copy(name: string, files: string[], edit: (file: string, text: string) => string = (_, t) => t): string {
  const root = path.join(tmp, name);
  for (const dir of ['sport_cloth', 'cloth_sport']) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    for (const f of fs.readdirSync(path.join(FIX, dir))) {
      if (files.includes(f) || (f.endsWith('_data_info.txt') && files.includes('data_info'))) fs.writeFileSync(path.join(root, dir, f), edit(`${dir}/${f}`, fs.readFileSync(path.join(FIX, dir, f), 'utf8')));
    }
  }
  return root;
}
const SPLITS = ['train.txt', 'valid.txt', 'test.txt'];

test('CDRIB layout: common users 0..39 are linked, each domain keeps its own users apart (ids 40.. are different people)', async () => {
  const data = await loadCdrTextPair(FIX, ['sport', 'cloth']);
  const raw = await Promise.all(['sport_cloth', 'cloth_sport'].map((d) => readCdrTextFile(path.join(FIX, d, 'train.txt'))));
  assert.deepEqual(data.userSpaces.nCommon, 40);
  assert.equal(data.userSpaces.nCommonSource, 'data-info');
  assert.deepEqual(data.userSpaces.domains.map((d) => [d.name, d.localUsers, d.ownUsers, d.offset]), [['sport', 55, 15, 40], ['cloth', 52, 12, 55]]);
  assert.equal(data.nUsers, 40 + 15 + 12);
  assert.equal(data.userSpaces.sameIdDifferentPeople, 12, 'local ids 40..51 occur in both domains but are different people');
  const [sport, cloth] = data.domains;
  // Common users keep their id; own users move to their domain's range.
  raw[0].users.forEach((u, n) => assert.equal(sport.train.users[n], u < 40 ? u : 40 + (u - 40)));
  raw[1].users.forEach((u, n) => assert.equal(cloth.train.users[n], u < 40 ? u : 55 + (u - 40)));
  assert.deepEqual(sport.train.items, raw[0].items);
  const sportUsers = new Set(sport.train.users);
  const clothUsers = new Set(cloth.train.users);
  const shared = [...sportUsers].filter((u) => clothUsers.has(u));
  assert.ok(shared.every((u) => u < 40), `only common users may appear in both domains (got ${shared.filter((u) => u >= 40)})`);
  assert.equal(globalUserId(data.userSpaces, 1, 45), 60);
  assert.equal(globalUserId(data.userSpaces, 0, 45), 45);
  assert.equal(globalUserId(data.userSpaces, 1, 7), 7);
  assert.ok(data.domains.every((d) => d.train.users.every((u) => u >= 0 && u < data.nUsers)));
});

test('CDRIB split: every valid/test user is cold-start -> scenario dual-user-inter, validation on the cold pairs', async () => {
  const data = await loadCdrTextPair(FIX, ['sport', 'cloth']);
  const [sport, cloth] = data.domains;
  assert.equal(data.scenario, 'dual-user-inter');
  assert.equal(sport.valid.users.length + sport.test.users.length + cloth.valid.users.length + cloth.test.users.length, 0);
  assert.deepEqual([...new Set([...sport.coldTest.users, ...sport.coldValid.users])].sort((a, b) => a - b), [32, 33, 34, 35]);
  assert.deepEqual([...new Set([...cloth.coldTest.users, ...cloth.coldValid.users])].sort((a, b) => a - b), [36, 37, 38, 39]);
  const lines = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8').trim().split('\n').length;
  assert.equal(sport.coldValid.users.length, lines('sport_cloth/valid.txt'));
  assert.equal(cloth.coldTest.users.length, lines('cloth_sport/test.txt'));
  // Cold users of one domain have training history in the other (that is what a cold-start model transfers).
  const clothTrain = new Set(cloth.train.users);
  assert.ok([...sport.coldTest.users].every((u) => clothTrain.has(u)));
  assert.equal(cdrValidationSplit(data), 'cold');
  assert.equal(cdrValidationPairs(data, 1), cloth.coldValid);
  // An explicit scenario still wins; the old third-argument form still works.
  assert.equal((await loadCdrTextPair(FIX, ['sport', 'cloth'], 'dual-user-intra')).scenario, 'dual-user-intra');
});

test('n_common from common_new_reindex.txt when no data-info file; from the option; an error naming the fix when unknown', async () => {
  const reindex = copy('reindex', [...SPLITS, 'common_new_reindex.txt']);
  assert.deepEqual(commonUserCount(reindex, ['sport', 'cloth'])?.count, 40);
  const a = await loadCdrTextPair(reindex, ['sport', 'cloth']);
  assert.equal(a.userSpaces.nCommonSource, 'common_new_reindex');
  assert.equal(a.nUsers, 67);
  const bare = copy('bare', SPLITS);
  assert.equal(commonUserCount(bare, ['sport', 'cloth']), null);
  await assert.rejects(loadCdrTextPair(bare, ['sport', 'cloth']), /the number of common users is unknown[\s\S]*\*_data_info\.txt \("common user num N"\)[\s\S]*\{ nCommonUsers: N \}/);
  const b = await loadCdrTextPair(bare, ['sport', 'cloth'], { nCommonUsers: 40 });
  assert.equal(b.userSpaces.nCommonSource, 'option');
  assert.deepEqual(b.domains[1].train.users, (await loadCdrTextPair(FIX, ['sport', 'cloth'])).domains[1].train.users);
  await assert.rejects(loadCdrTextPair(bare, ['sport', 'cloth'], { nCommonUsers: -1 }), /nCommonUsers must be a non-negative integer/);
  await assert.rejects(loadCdrTextPair(bare, ['sport', 'cloth'], { nCommon: 4 } as never), /unknown option 'nCommon'/);
});

test('a wrong common-user count is caught: a cold-start user above it is an error naming file and line; disagreeing data-info files', async () => {
  const bare = copy('bare2', SPLITS);
  await assert.rejects(loadCdrTextPair(bare, ['sport', 'cloth'], { nCommonUsers: 34 }), (e: unknown) => {
    assert.ok(e instanceof CdrTextError);
    assert.match(e.message, /sport_cloth\/(valid|test)\.txt:\d+: user 3[45] has no training rows in sport and is not a common user \(n_common = 34, from option\)/);
    return true;
  });
  const clash = copy('clash', [...SPLITS, 'data_info'], (f, t) => (f.startsWith('cloth_sport/') ? t.replace('common user num 40', 'common user num 41') : t));
  await assert.rejects(loadCdrTextPair(clash, ['sport', 'cloth']), /says 40 common users, .* says 41/);
});

test('the small fixture (every user common) keeps its old shape: 12 users, warm valid/test, dual-user-intra', async () => {
  const data = await loadCdrTextPair(OLD, ['sport', 'cloth']);
  assert.equal(data.nUsers, 12);
  assert.equal(data.scenario, 'dual-user-intra');
  assert.equal(cdrValidationSplit(data), 'warm');
  assert.deepEqual([...data.domains[1].coldTest.users].sort(), [10, 11]);
});

test('listCdrTextPairs: folders present in both directions, once each', () => {
  assert.deepEqual(listCdrTextPairs(FIX), [['cloth', 'sport']]);
  assert.deepEqual(listCdrTextPairs(path.join(tmp, 'absent')), []);
});
