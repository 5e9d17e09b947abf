/**
 * MovieLens-1M loader (src/data/movielens.ts) on invented fixtures in the real formats (test/fixtures/movielens, see
 * its README): parsing with latin-1, the label rule, title words and genres multi-hot, the old/new split and the
 * warm-up batches in time order; bad lines are errors naming the file and line; absent data gives the how-to message.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvError } from '../../src/data/csv.ts';
import { MOVIELENS_FILES, movieLensAvailability, movieLensColdStart, readMovieLens1M, titleWords } from '../../src/data/movielens.ts';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/movielens');
const tmp = mkdtempSync(join(tmpdir(), 'reclab-ml-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SMALL = { oldThreshold: 8, shot: 2, minTest: 1 };

test('reads the three files: users, movies (latin-1 title, year, genres), ratings', () => {
  const raw = readMovieLens1M(FIX);
  assert.equal(raw.users.size, 10);
  assert.deepEqual(raw.users.get(3), { gender: 'M', age: 35, occupation: 3 });
  assert.equal(raw.movies.get(3)?.title, 'Café Nights, The');
  assert.equal(raw.movies.get(3)?.year, 1997);
  assert.deepEqual(raw.movies.get(1)?.genres, ['Animation', "Children's", 'Comedy']);
  assert.equal(raw.ratings.user.length, 43);
  assert.deepEqual(titleWords('Café Nights, The', 5), ['caf', 'nights', 'the']);
  assert.deepEqual(titleWords('A B C D E F', 5), ['a', 'b', 'c', 'd', 'e']);
});

test('cold-start view: label rule, old/new split, warm-up batches in time order, meta parts grouped by movie', () => {
  const raw = readMovieLens1M(FIX);
  const d = movieLensColdStart(raw, SMALL);
  assert.equal(d.ads.oldCount, 3);
  assert.equal(d.ads.count, 5);
  assert.equal(d.dropped, 1, 'movie 9 (2 ratings) is dropped');
  assert.equal(d.rule, 'like = 1 when rating >= 4, else 0');
  const sizes = Object.fromEntries(Object.entries(d.parts).map(([k, v]) => [k, v.size]));
  assert.deepEqual(sizes, { pretrain: 27 - 3 * 8, metaA: 6, metaB: 6, metaC: 6, metaD: 6, warmA: 4, warmB: 4, warmC: 4, test: 2 });
  assert.deepEqual([...d.parts.metaA.column('movie_id')], [1, 1, 2, 2, 3, 3]);
  assert.deepEqual([...d.parts.warmB.column('movie_id')], [4, 4, 5, 5]);
  // warm-up a holds each new movie's two earliest ratings
  const m5 = [...raw.ratings.ts].map((t, i) => ({ t, i })).filter(({ i }) => raw.ratings.movie[i] === 5).sort((a, b) => a.t - b.t);
  const likes5 = m5.slice(0, 2).map(({ i }) => (raw.ratings.rating[i] >= 4 ? 1 : 0));
  assert.deepEqual([...d.parts.warmA.label('like').subarray(0, 2)], likes5);
  const strict = movieLensColdStart(raw, { ...SMALL, labelThreshold: 5 });
  const total = (x: typeof d) => Object.values(x.parts).reduce((s, p) => s + p.label('like').reduce((a, b) => a + b, 0), 0);
  assert.ok(total(strict) < total(d), 'a higher threshold gives fewer positives');
  // attributes: genres and title words multi-hot, same vocabulary in the slots and the rows
  const g = d.ads.slots.find((s) => s.name === 'genres');
  assert.ok(g && g.values.subarray(0, 5).filter((v) => v > 0).length === 3, 'movie 1 has 3 genres');
  assert.deepEqual([...d.parts.metaA.column('genres').subarray(0, 5)], [...(g as { values: Int32Array }).values.subarray(0, 5)]);
  assert.throws(() => movieLensColdStart(raw, { oldThresh: 3 } as never), /unknown key 'oldThresh'/);
  assert.throws(() => movieLensColdStart(raw, { oldThreshold: 100 }), /0 old/);
});

function broken(file: (typeof MOVIELENS_FILES)[number], line: number, replacement: string): string {
  const dir = mkdtempSync(join(tmp, 'bad-'));
  for (const f of MOVIELENS_FILES) copyFileSync(join(FIX, f), join(dir, f));
  const lines = readFileSync(join(dir, file), 'latin1').split('\n');
  lines[line - 1] = replacement;
  writeFileSync(join(dir, file), Buffer.from(lines.join('\n'), 'latin1'));
  return dir;
}

for (const [file, line, text, pattern] of [
  ['ratings.dat', 5, '1::2::3', /ratings\.dat:5: expected 4 '::'-separated fields, got 3/],
  ['ratings.dat', 7, '1::2::9::978300000', /ratings\.dat:7: column 'Rating': 9 is outside 1\.\.5/],
  ['ratings.dat', 2, '1::444::3::978300000', /ratings\.dat:2: column 'MovieID': movie 444 is not in movies\.dat/],
  ['users.dat', 3, '3::X::35::3::00000', /users\.dat:3: column 'Gender': 'X' is not M or F/],
  ['users.dat', 4, '4::M::33::3::00000', /users\.dat:4: column 'Age': 33 is not an ML-1M age code/],
  ['movies.dat', 2, '2::No Year Here::Drama', /movies\.dat:2: column 'Title': 'No Year Here' does not end with a \(year\)/],
  ['ratings.dat', 1, 'a::2::3::978300000', /ratings\.dat:1: column 'UserID': 'a' is not an integer/],
] as const) {
  test(`bad line in ${file} line ${line} is an error naming file and line`, () => {
    const dir = broken(file, line, text);
    assert.throws(() => readMovieLens1M(dir), (e: unknown) => e instanceof CsvError && e.file === join(dir, file) && e.line === line && pattern.test(e.message));
  });
}

test('absent data: availability says how to obtain it; the reader refuses with the same message', () => {
  const a = movieLensAvailability(join(tmp, 'nothing'));
  assert.equal(a.ok, false);
  assert.match(a.message, /licence forbids redistribution/);
  assert.match(a.message, /grouplens\.org\/datasets\/movielens\/1m/);
  assert.throws(() => readMovieLens1M(join(tmp, 'nothing')), /not found/);
  assert.equal(movieLensAvailability(FIX).ok, true);
});
