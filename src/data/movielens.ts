/**
 * MovieLens-1M (GroupLens, https://grouplens.org/datasets/movielens/1m/): reader of the three '::'-separated files
 * (latin-1) and the cold-start view GME uses (spec ../shared/papers/gme.md §4, §6).
 *   ratings.dat  UserID::MovieID::Rating::Timestamp
 *   users.dat    UserID::Gender::Age::Occupation::Zip-code
 *   movies.dat   MovieID::Title (Year)::Genre|Genre|...
 * Licence: the data may not be redistributed; reclab never ships or commits it. Download ml-1m.zip yourself and unzip
 * it into `.reclab/data/ml-1m` (git-ignored), or pass another directory. A bad line is an error naming file and line.
 * Label rule (configurable, stated in every table): like = 1 when rating >= `labelThreshold` (default 4, as in
 * Meta-Embedding), else 0. Ads are movies: attributes = release year, title words (multi-hot, lower-cased, the year
 * removed, at most `maxTitleWords`), genres (multi-hot, at most `maxGenres`). Old movies have >= `oldThreshold`
 * ratings; the others with at least 3·shot + `minTest` ratings are new; their first 3·shot ratings in time order are
 * warm-up batches a, b, c and the rest the test set; old movies give `shot` random ratings to each meta part a..d and
 * the rest to pre-training. Movies with too few ratings for either role are dropped and counted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvError } from './csv.ts';
import { Dataset } from './dataset.ts';
import type { Schema } from './schema.ts';
import { Rng } from '../random.ts';
import { COLD_START_PARTS, type ColdStartData, type ColdStartPart } from '../worlds/cold-start-world.ts';

/** Where reclab looks for ml-1m by default (git-ignored). */
export const MOVIELENS_DEFAULT_DIR = '.reclab/data/ml-1m';
/** The three files. */
export const MOVIELENS_FILES = ['ratings.dat', 'users.dat', 'movies.dat'] as const;

/** Parsed files. */
export interface MovieLensRaw {
  ratings: { user: Int32Array; movie: Int32Array; rating: Int32Array; ts: Float64Array };
  users: Map<number, { gender: 'M' | 'F'; age: number; occupation: number }>;
  movies: Map<number, { title: string; year: number; genres: string[] }>;
}

/**
 * Whether the files are there, and how to get them when not.
 * @example
 * const a = movieLensAvailability(); if (!a.ok) console.log(a.message);
 */
export function movieLensAvailability(dir: string = MOVIELENS_DEFAULT_DIR): { ok: boolean; message: string } {
  const missing = MOVIELENS_FILES.filter((f) => !existsSync(join(dir, f)));
  if (!missing.length) return { ok: true, message: `MovieLens-1M found in ${dir}` };
  return {
    ok: false,
    message: `MovieLens-1M not found in ${dir} (missing ${missing.join(', ')}). Its licence forbids redistribution, so reclab does not ship it: download ml-1m.zip from https://grouplens.org/datasets/movielens/1m/ (accept the GroupLens terms), unzip it so that ${join(dir, 'ratings.dat')} exists, and run again.`,
  };
}

function lines(path: string): string[] {
  const text = readFileSync(path).toString('latin1');
  const out = text.split(/\r?\n/);
  if (out.at(-1) === '') out.pop();
  return out;
}

function int(file: string, line: number, column: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new CsvError(file, line, column, `'${v}' is not an integer`);
  return Number(v);
}

const AGES = [1, 18, 25, 35, 45, 50, 56];

/**
 * Reads the three files of `dir`. Every line must have the format's field count and valid values; errors name the
 * file and 1-based line (CsvError).
 * @example
 * const raw = readMovieLens1M('.reclab/data/ml-1m'); raw.ratings.user.length; // 1000209
 */
export function readMovieLens1M(dir: string = MOVIELENS_DEFAULT_DIR): MovieLensRaw {
  const a = movieLensAvailability(dir);
  if (!a.ok) throw new Error(a.message);
  const split = (file: string, l: string, i: number, n: number) => {
    const f = l.split('::');
    if (f.length !== n) throw new CsvError(file, i + 1, undefined, `expected ${n} '::'-separated fields, got ${f.length}`);
    return f;
  };
  const users: MovieLensRaw['users'] = new Map();
  const uf = join(dir, 'users.dat');
  lines(uf).forEach((l, i) => {
    const [id, g, age, occ] = split(uf, l, i, 5);
    if (g !== 'M' && g !== 'F') throw new CsvError(uf, i + 1, 'Gender', `'${g}' is not M or F`);
    const ag = int(uf, i + 1, 'Age', age);
    if (!AGES.includes(ag)) throw new CsvError(uf, i + 1, 'Age', `${ag} is not an ML-1M age code (${AGES.join(', ')})`);
    const o = int(uf, i + 1, 'Occupation', occ);
    if (o < 0 || o > 20) throw new CsvError(uf, i + 1, 'Occupation', `${o} is outside 0..20`);
    users.set(int(uf, i + 1, 'UserID', id), { gender: g, age: ag, occupation: o });
  });
  const movies: MovieLensRaw['movies'] = new Map();
  const mf = join(dir, 'movies.dat');
  lines(mf).forEach((l, i) => {
    const [id, title, genres] = split(mf, l, i, 3);
    const m = /\((\d{4})\)\s*$/.exec(title);
    if (!m) throw new CsvError(mf, i + 1, 'Title', `'${title}' does not end with a (year)`);
    movies.set(int(mf, i + 1, 'MovieID', id), { title: title.slice(0, m.index).trim(), year: Number(m[1]), genres: genres.split('|').filter((g) => g !== '') });
  });
  const rf = join(dir, 'ratings.dat');
  const rl = lines(rf);
  const r = { user: new Int32Array(rl.length), movie: new Int32Array(rl.length), rating: new Int32Array(rl.length), ts: new Float64Array(rl.length) };
  rl.forEach((l, i) => {
    const [u, mv, rating, ts] = split(rf, l, i, 4);
    r.user[i] = int(rf, i + 1, 'UserID', u);
    r.movie[i] = int(rf, i + 1, 'MovieID', mv);
    r.rating[i] = int(rf, i + 1, 'Rating', rating);
    r.ts[i] = int(rf, i + 1, 'Timestamp', ts);
    if (r.rating[i] < 1 || r.rating[i] > 5) throw new CsvError(rf, i + 1, 'Rating', `${r.rating[i]} is outside 1..5`);
    if (!users.has(r.user[i])) throw new CsvError(rf, i + 1, 'UserID', `user ${r.user[i]} is not in users.dat`);
    if (!movies.has(r.movie[i])) throw new CsvError(rf, i + 1, 'MovieID', `movie ${r.movie[i]} is not in movies.dat`);
  });
  return { ratings: r, users, movies };
}

/** Options of the cold-start view; defaults in `MOVIELENS_COLD_START_DEFAULTS`. */
export interface MovieLensColdStartOptions {
  labelThreshold: number;
  maxTitleWords: number;
  maxGenres: number;
  oldThreshold: number;
  /** Ratings per warm-up batch of a new movie, and per meta part of an old movie. */
  shot: number;
  minTest: number;
  seed: number;
}
/** Defaults: like = rating >= 4; <= 5 title words and genres; old >= 200 ratings; 20 per batch; >= 10 test ratings. */
export const MOVIELENS_COLD_START_DEFAULTS: MovieLensColdStartOptions = { labelThreshold: 4, maxTitleWords: 5, maxGenres: 5, oldThreshold: 200, shot: 20, minTest: 10, seed: 1 };

/**
 * Title words: lower-cased alphanumeric runs of the title (the year already removed), at most `max`.
 * @example
 * titleWords('Toy Story', 5); // ['toy', 'story']
 */
export function titleWords(title: string, max: number): string[] {
  return (title.toLowerCase().match(/[a-z0-9]+/g) ?? []).slice(0, max);
}

/**
 * The cold-start view of MovieLens-1M in the shape the GME protocol reads (label 'like', ID feature 'movie_id').
 * @example
 * const data = movieLensColdStart(readMovieLens1M(dir)); data.parts.warmA.size;
 */
export function movieLensColdStart(raw: MovieLensRaw, options: Partial<MovieLensColdStartOptions> = {}): ColdStartData & { dropped: number; rule: string } {
  for (const k of Object.keys(options)) if (!(k in MOVIELENS_COLD_START_DEFAULTS)) throw new Error(`movielens options: unknown key '${k}' (known: ${Object.keys(MOVIELENS_COLD_START_DEFAULTS).join(', ')})`);
  const o = { ...MOVIELENS_COLD_START_DEFAULTS, ...options };
  const R = raw.ratings;
  const byMovie = new Map<number, number[]>();
  for (let i = 0; i < R.movie.length; i++) {
    const l = byMovie.get(R.movie[i]);
    if (l) l.push(i); else byMovie.set(R.movie[i], [i]);
  }
  const sortedIds = [...byMovie.keys()].sort((x, y) => x - y);
  const old = sortedIds.filter((m) => (byMovie.get(m) as number[]).length >= o.oldThreshold);
  const fresh = sortedIds.filter((m) => { const n = (byMovie.get(m) as number[]).length; return n < o.oldThreshold && n >= 3 * o.shot + o.minTest; });
  if (!old.length || !fresh.length) throw new Error(`movielens: ${old.length} old and ${fresh.length} new movies with oldThreshold ${o.oldThreshold}, shot ${o.shot}, minTest ${o.minTest}; both must be > 0`);
  const movies = [...old, ...fresh];
  const index = new Map(movies.map((m, a) => [m, a]));
  const userIds = [...raw.users.keys()].sort((x, y) => x - y);
  const userIndex = new Map(userIds.map((u, i) => [u, i]));
  const years = [...new Set(movies.map((m) => raw.movies.get(m)?.year ?? 0))].sort((x, y) => x - y);
  const vocab = (values: string[]) => new Map([...new Set(values)].sort().map((w, i) => [w, i + 1]));
  const words = vocab(movies.flatMap((m) => titleWords(raw.movies.get(m)?.title ?? '', o.maxTitleWords)));
  const genres = vocab(movies.flatMap((m) => raw.movies.get(m)?.genres ?? []));
  const n = movies.length;
  const slot = (name: string, width: number, f: (m: number) => number[]) => {
    const values = new Int32Array(n * width);
    movies.forEach((m, a) => f(m).slice(0, width).forEach((v, j) => (values[a * width + j] = v)));
    return { name, width, values };
  };
  const info = (m: number) => raw.movies.get(m) as { title: string; year: number; genres: string[] };
  const ads = {
    count: n, oldCount: old.length,
    slots: [
      slot('year', 1, (m) => [years.indexOf(info(m).year) + 1]),
      slot('title', o.maxTitleWords, (m) => titleWords(info(m).title, o.maxTitleWords).map((w) => words.get(w) as number)),
      slot('genres', o.maxGenres, (m) => info(m).genres.map((g) => genres.get(g) as number)),
    ],
  };
  const schema: Schema = {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: userIds.length }, { kind: 'categorical', name: 'gender', vocab: 2 },
      { kind: 'categorical', name: 'age', vocab: AGES.length }, { kind: 'categorical', name: 'occupation', vocab: 21 },
      { kind: 'categorical', name: 'movie_id', vocab: n + 1 }, { kind: 'categorical', name: 'year', vocab: years.length + 1 },
      { kind: 'multiHot', name: 'title', vocab: words.size + 1, maxLen: o.maxTitleWords }, { kind: 'multiHot', name: 'genres', vocab: genres.size + 1, maxLen: o.maxGenres },
    ],
    labels: ['like'], userId: 'user_id',
  };
  const rng = new Rng(o.seed);
  const rows: Record<ColdStartPart, number[]> = Object.fromEntries(COLD_START_PARTS.map((p) => [p, [] as number[]])) as Record<ColdStartPart, number[]>;
  for (const m of old) {
    const l = [...(byMovie.get(m) as number[])];
    for (let i = l.length - 1; i > 0; i--) { const j = rng.int(i + 1); [l[i], l[j]] = [l[j], l[i]]; }
    (['metaA', 'metaB', 'metaC', 'metaD'] as const).forEach((p, k) => rows[p].push(...l.slice(k * o.shot, (k + 1) * o.shot)));
    rows.pretrain.push(...l.slice(4 * o.shot));
  }
  for (const m of fresh) {
    const l = [...(byMovie.get(m) as number[])].sort((x, y) => R.ts[x] - R.ts[y] || x - y);
    (['warmA', 'warmB', 'warmC'] as const).forEach((p, k) => rows[p].push(...l.slice(k * o.shot, (k + 1) * o.shot)));
    rows.test.push(...l.slice(3 * o.shot));
  }
  const pre = rows.pretrain;
  for (let i = pre.length - 1; i > 0; i--) { const j = rng.int(i + 1); [pre[i], pre[j]] = [pre[j], pre[i]]; }
  const build = (idx: number[], part: string) => {
    const col: Record<string, Int32Array | Float32Array> = Object.fromEntries(['user_id', 'gender', 'age', 'occupation', 'movie_id', 'year'].map((k) => [k, new Int32Array(idx.length)]));
    col.title = new Int32Array(idx.length * o.maxTitleWords);
    col.genres = new Int32Array(idx.length * o.maxGenres);
    col.like = new Float32Array(idx.length);
    idx.forEach((i, r) => {
      const u = raw.users.get(R.user[i]) as { gender: string; age: number; occupation: number };
      const a = index.get(R.movie[i]) as number;
      col.user_id[r] = userIndex.get(R.user[i]) as number; col.gender[r] = u.gender === 'M' ? 1 : 0; col.age[r] = AGES.indexOf(u.age); col.occupation[r] = u.occupation;
      col.movie_id[r] = a + 1; col.year[r] = ads.slots[0].values[a];
      col.title.set(ads.slots[1].values.subarray(a * o.maxTitleWords, (a + 1) * o.maxTitleWords), r * o.maxTitleWords);
      col.genres.set(ads.slots[2].values.subarray(a * o.maxGenres, (a + 1) * o.maxGenres), r * o.maxGenres);
      col.like[r] = R.rating[i] >= o.labelThreshold ? 1 : 0;
    });
    return Dataset.fromColumns(schema, col, `movielens-1m/${part}`);
  };
  const parts = Object.fromEntries(COLD_START_PARTS.map((p) => [p, build(rows[p], p)])) as Record<ColdStartPart, Dataset>;
  return {
    name: 'movielens-1m', schema, idFeature: 'movie_id', label: 'like', parts, ads, metaShot: o.shot, config: { ...o },
    dropped: sortedIds.length - n, rule: `like = 1 when rating >= ${o.labelThreshold}, else 0`,
  };
}
