/**
 * The Amazon 2014 cross-domain loader on synthetic fixtures in the real formats (test/fixtures/amazon, written by
 * make-fixtures.ts): the safe Python-literal parser, shared users, the label rule, chronological histories without
 * future items, both splits, bad lines reported with file and line, and the availability message.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amazonAvailability, buildAmazonCrossDomain } from '../../src/data/amazon.ts';
import { parsePythonLiteral } from '../../src/data/python-literal.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'amazon');
const tmp = mkdtempSync(join(tmpdir(), 'reclab-amazon-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('parsePythonLiteral: dicts, both quote styles, escapes, numbers, True/False/None; never evaluates', () => {
  const v = parsePythonLiteral(`{'asin': 'B1', 'title': "It's \\xe9t\\u00e9", 'price': 3.5e1, 'n': -2, 'ok': True, 'no': False, 'x': None, 'c': [['A', 'B'], ('C',)], 'd': {}}`);
  assert.deepEqual(v, { asin: 'B1', title: "It's été", price: 35, n: -2, ok: true, no: false, x: null, c: [['A', 'B'], ['C']], d: {} });
  assert.throws(() => parsePythonLiteral("__import__('os').system('echo hi')"), /Python literal: unexpected '_' at offset 0/);
  assert.throws(() => parsePythonLiteral("{'a': 'unterminated}"), /unterminated string/);
  assert.throws(() => parsePythonLiteral("{'a': 1} extra"), /trailing characters at offset 9/);
});

/** Events of a ratings file by user (items with metadata only), in file order. */
function ratingsByUser(cat: string, meta: Set<string>): Map<string, Array<{ asin: string; rating: number; ts: number }>> {
  const out = new Map<string, Array<{ asin: string; rating: number; ts: number }>>();
  for (const line of readFileSync(join(FIX, `ratings_${cat}.csv`), 'utf8').trim().split('\n')) {
    const [u, asin, r, ts] = line.split(',');
    if (!meta.has(asin)) continue;
    out.set(u, [...(out.get(u) ?? []), { asin, rating: Number(r), ts: Number(ts) }]);
  }
  return out;
}
const metaAsins = (text: string) => new Set([...text.matchAll(/\{'asin': '([^']+)'/g)].map((m) => m[1]));

test('build: shared users, one test and one valid row per user, label = rating >= 4, chronological histories', async () => {
  const { data, stats } = await buildAmazonCrossDomain({ dir: FIX, minPerDomain: 3 });
  const movies = ratingsByUser('Movies_and_TV', metaAsins(readFileSync(join(FIX, 'meta_Movies_and_TV.json'), 'utf8')));
  const booksMeta = metaAsins((await import('node:zlib')).gunzipSync(readFileSync(join(FIX, 'meta_Books.json.gz'))).toString('utf8'));
  const books = ratingsByUser('Books', booksMeta);
  const shared = [...movies.keys()].filter((u) => (movies.get(u)?.length ?? 0) >= 3 && (books.get(u)?.length ?? 0) >= 3).sort();
  assert.ok(shared.length >= 10, `fixture has ${shared.length} shared users`);
  assert.equal(stats.sharedUsers, shared.length);
  assert.equal(data.test.size, shared.length);
  assert.equal(data.valid.size, shared.length);
  assert.equal(data.train.size + data.valid.size + data.test.size, shared.reduce((s, u) => s + (movies.get(u)?.length ?? 0), 0));
  assert.ok(stats.ratingsWithoutMeta.Movies_and_TV > 0 && stats.ratingsWithoutMeta.Books > 0, 'fixture ratings without metadata are counted');
  const users = data.test.column('user_id');
  const hist = data.test.column('hist_item_id');
  const N1 = data.test.widthOf('hist_item_id');
  for (let i = 0; i < data.test.size; i++) {
    const evs = [...(movies.get(shared[users[i]]) ?? [])].sort((a, b) => a.ts - b.ts);
    assert.equal(data.test.label('click')[i], evs[evs.length - 1].rating >= 4 ? 1 : 0, `test label of ${shared[users[i]]}`);
    const h = Array.from(hist.subarray(i * N1, (i + 1) * N1));
    const len = h.filter((x) => x > 0).length;
    assert.equal(len, Math.min(N1, evs.length - 1), 'history = every earlier target item (capped at N1)');
    assert.ok(h.slice(0, len).every((x) => x > 0) && h.slice(len).every((x) => x === 0), 'left-aligned, padded with 0');
  }
  // Source history holds only items rated strictly before the target rating.
  const srcLen = data.test.widthOf('src_hist_item_id');
  const ts = data.test.column('ts');
  for (let i = 0; i < data.test.size; i++) {
    const before = (books.get(shared[users[i]]) ?? []).filter((e) => e.ts < ts[i]).length;
    const got = Array.from(data.test.column('src_hist_item_id').subarray(i * srcLen, (i + 1) * srcLen)).filter((x) => x > 0).length;
    assert.equal(got, Math.min(srcLen, before));
  }
  const strict = await buildAmazonCrossDomain({ dir: FIX, minPerDomain: 3, positiveRating: 5 });
  assert.ok(strict.stats.positiveRate < stats.positiveRate, `rating >= 5 gives fewer positives (${strict.stats.positiveRate} vs ${stats.positiveRate})`);
});

test("build: the 'time' split cuts by timestamp", async () => {
  const { data } = await buildAmazonCrossDomain({ dir: FIX, minPerDomain: 3, split: 'time', validShare: 0.2, testShare: 0.2 });
  const max = (a: ArrayLike<number>) => Math.max(...Array.from(a));
  const min = (a: ArrayLike<number>) => Math.min(...Array.from(a));
  assert.ok(data.train.size > 0 && data.valid.size > 0 && data.test.size > 0);
  assert.ok(max(data.train.column('ts')) <= min(data.valid.column('ts')) && max(data.valid.column('ts')) <= min(data.test.column('ts')));
});

test('bad lines: an error naming file and line, or counted and listed with badLines: report', async () => {
  const dir = join(tmp, 'bad');
  cpSync(FIX, dir, { recursive: true });
  const lines = readFileSync(join(dir, 'ratings_Movies_and_TV.csv'), 'utf8').trim().split('\n').length;
  appendFileSync(join(dir, 'ratings_Movies_and_TV.csv'), 'AUSER,B000100001,five,1300000000\n');
  appendFileSync(join(dir, 'meta_Movies_and_TV.json'), "{'asin': 'B9', 'title': 'broken\n");
  await assert.rejects(buildAmazonCrossDomain({ dir, minPerDomain: 3 }), new RegExp(`meta_Movies_and_TV\\.json:41: Python literal: unterminated string`));
  const { stats } = await buildAmazonCrossDomain({ dir, minPerDomain: 3, badLines: 'report' });
  assert.equal(stats.badLineCount, 2);
  assert.deepEqual(stats.badLines.map((b) => [b.file.split('/').pop(), b.line]), [['meta_Movies_and_TV.json', 41], ['ratings_Movies_and_TV.csv', lines + 1]]);
  assert.match(stats.badLines[1].reason, /bad user, item or rating 'five'/);
});

test('availability: a missing directory gives a message saying how to obtain the files; unknown options are errors', async () => {
  const a = amazonAvailability({ dir: join(tmp, 'none') });
  assert.equal(a.ok, false);
  assert.match(a.ok ? '' : a.message, /Amazon 2014 files not found in .*none for Books, Movies_and_TV\. Download ratings_<Category>\.csv .*index_2014\.html/);
  assert.equal(amazonAvailability({ dir: FIX }).ok, true);
  await assert.rejects(buildAmazonCrossDomain({ dir: FIX, minPerDomian: 3 } as never), /amazon options: unknown key 'minPerDomian'/);
});
