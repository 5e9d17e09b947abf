/**
 * `reclab data check <dataset> <dir>` in the data layer: loads a downloaded public dataset from a folder with the
 * toolkit's own loader and reports what a user checks a download against — files found, rows, users, items and
 * positives per split and per domain, out-of-vocabulary counts, and every problem found — as one JSON-ready object
 * (`ok` = no problem). A loader error (a bad line, a missing column) becomes a problem naming file, line and column;
 * nothing is thrown for data problems. One entry per supported dataset in `DATASETS`, which also records each
 * dataset's default folder, the folder names looked for under a data root (`--data DIR`), its source and licence.
 * Counting conventions: users / items are distinct ids in the loaded columns (ids 0 that mean padding are not
 * counted); positives are per label; `oov` is split -> field -> cells mapped to the OOV id (or, for released splits
 * with a fixed index space, ids no training row holds).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Dataset } from './dataset.ts';
import { SchemaSpec, type Schema } from './schema.ts';
import { CSV_DEFAULTS, readCsvDataset, type CsvOptions } from './csv.ts';
import { kuaisarAvailability, loadKuaiSAR, KUAISAR_FILES } from './kuaisar.ts';
import { kuairandAvailability, kuairandFiles, loadKuaiRand, KUAIRAND_TASKS, type KuaiRandVariant } from './kuairand.ts';
import { ALI_CCP_SPARSE_FIELDS, aliCcpAvailability, aliCcpSparseColumn, buildAliCcpVocab, streamAliCcp, type AliCcpSource } from './ali-ccp.ts';
import { AMAZON_DEFAULTS, amazonAvailability, buildAmazonCrossDomain } from './amazon.ts';
import { loadMinetRelease, minetReleaseAvailability, minetReleaseFiles } from './minet-release.ts';
import { listCdrTextPairs, loadCdrTextPair, CDR_TEXT_SPLITS } from './cdr-text.ts';
import { MOVIELENS_FILES, movieLensAvailability, readMovieLens1M } from './movielens.ts';

/** Counts of one split of one domain. */
export interface DataCheckPart {
  split: string;
  domain?: string;
  rows: number;
  users?: number;
  items?: number;
  /** Positives per label. */
  positives?: Record<string, number>;
}

/**
 * What `checkDataset` returns (print it as JSON; exit status 0 when `ok`, else 1).
 * @example
 * const r = await checkDataset('kuaisar-r', 'data/KuaiSAR-R');
 * console.log(JSON.stringify(r, null, 2)); process.exitCode = r.ok ? 0 : 1;
 */
export interface DataCheckReport {
  dataset: string;
  dir: string;
  ok: boolean;
  files: Array<{ path: string; found: boolean; bytes?: number }>;
  parts: DataCheckPart[];
  /** split -> field -> count. */
  oov: Record<string, Record<string, number>>;
  problems: string[];
  notes: string[];
  seconds: number;
}

/** Options of `checkDataset`. */
export interface DataCheckOptions {
  /** Read at most this many rows / lines per file (large downloads); Infinity = all. Default Infinity. */
  maxRows: number;
  /** KuaiRand variant; default: the one whose files are in the folder ('pure' first). */
  variant?: KuaiRandVariant;
}
const CHECK_DEFAULTS: DataCheckOptions = { maxRows: Infinity };

/** One supported dataset: names, where it is looked for, where it comes from, and its check. */
export interface DatasetEntry {
  name: string;
  aliases: string[];
  title: string;
  /** The loader's default folder. */
  defaultDir: string;
  /** Folder names looked for under a data root (`--data DIR`), in order. */
  subdirs: string[];
  source: string;
  licence: string;
  /** Whether `dir` holds this dataset (files present). */
  present(dir: string): boolean;
  check(dir: string, o: DataCheckOptions, r: DataCheckReport): Promise<void>;
}

const distinct = (col: ArrayLike<number>, zeroIsPadding: boolean): number => {
  const s = new Set<number>();
  for (let i = 0; i < col.length; i++) if (!(zeroIsPadding && col[i] === 0)) s.add(col[i]);
  return s.size;
};
const sum = (col: ArrayLike<number>): number => {
  let t = 0;
  for (let i = 0; i < col.length; i++) t += col[i];
  return t;
};
/** A part from a Dataset: rows, distinct users / items, positives of every label. */
function part(ds: Dataset, split: string, o: { domain?: string; user?: string; item?: string; zeroIsPadding?: boolean }): DataCheckPart {
  const user = o.user ?? ds.schema.userId;
  return {
    split, ...(o.domain ? { domain: o.domain } : {}), rows: ds.size,
    ...(user ? { users: distinct(ds.column(user), false) } : {}),
    ...(o.item ? { items: distinct(ds.column(o.item), o.zeroIsPadding ?? true) } : {}),
    positives: Object.fromEntries(ds.schema.labels.map((l) => [l, sum(ds.label(l))])),
  };
}
function fileEntry(path: string): { path: string; found: boolean; bytes?: number } {
  return existsSync(path) ? { path, found: true, bytes: statSync(path).size } : { path, found: false };
}
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const kuaisar: DatasetEntry = {
  name: 'kuaisar-r', aliases: ['kuaisar'], title: 'KuaiSAR-R (MRFF\'s recommendation subset of KuaiSAR)', defaultDir: 'data/KuaiSAR-R', subdirs: ['KuaiSAR-R', 'kuaisar-r', 'KuaiSAR'],
  source: 'github.com/Zhangcx19/AAAI-25-MRFF dataset/KuaiSAR-R/ (KuaiSAR: kuaisar.github.io, Zenodo 8181109)', licence: 'CC BY-NC-SA 4.0 (non-commercial); do not commit',
  present: (dir) => existsSync(join(dir, KUAISAR_FILES.interactions.file)),
  async check(dir, _o, r) {
    r.files = Object.values(KUAISAR_FILES).map((f) => fileEntry(join(dir, f.file)));
    const a = kuaisarAvailability(dir);
    if (!a.ok) {
      r.problems.push(...a.problems);
      return;
    }
    const d = await loadKuaiSAR(dir);
    // The federated engine's split: per user, last interaction = test, second-last = validation, the rest = train.
    const acc = { train: [0, 0], valid: [0, 0], test: [0, 0] };
    const items = { train: new Set<number>(), valid: new Set<number>(), test: new Set<number>() };
    let short = 0;
    for (const s of d.sequences) {
      const n = s.items.length;
      if (n < 3) short++;
      for (let i = 0; i < n; i++) {
        const k = i === n - 1 ? 'test' : i === n - 2 ? 'valid' : 'train';
        acc[k][0]++;
        acc[k][1] += s.labels[i];
        items[k].add(s.items[i]);
      }
    }
    for (const k of ['train', 'valid', 'test'] as const) r.parts.push({ split: k, rows: acc[k][0], users: d.users, items: items[k].size, positives: { is_click: acc[k][1] } });
    r.notes.push(`${d.users} users, ${d.items} videos in video_features.csv; split leave-one-out per user (last = test, second-last = validation), the federated engine's default holdout.`);
    if (short) r.problems.push(`${short} user(s) have fewer than 3 interactions: leave-one-out needs at least 3 (the engine excludes them).`);
  },
};

const kuairand: DatasetEntry = {
  name: 'kuairand', aliases: ['kuairand-pure', 'kuairand-1k'], title: 'KuaiRand (Pure / 1K)', defaultDir: 'data/KuaiRand-Pure/data', subdirs: ['KuaiRand-Pure/data', 'KuaiRand-Pure', 'KuaiRand-1K/data', 'KuaiRand-1K', 'kuairand'],
  source: 'https://zenodo.org/records/10439422 (github.com/chongminggao/KuaiRand)', licence: 'CC BY-SA 4.0; do not commit',
  present: (dir) => (['pure', '1k'] as const).some((v) => existsSync(kuairandFiles(dir, v).users)),
  async check(dir, o, r) {
    const variant = o.variant ?? ((['pure', '1k'] as const).find((v) => existsSync(kuairandFiles(dir, v).users)) ?? 'pure');
    const f = kuairandFiles(dir, variant);
    r.files = [...f.logs.standard, ...f.logs.random, f.users, f.videos].map(fileEntry);
    const a = kuairandAvailability(dir, variant);
    if (!a.ok) {
      r.problems.push(...a.problems);
      return;
    }
    const ds = await loadKuaiRand(dir, { variant, maxRows: o.maxRows });
    const rand = ds.column('is_rand');
    const pick = (v: number) => ds.take(Int32Array.from(Array.from(rand.keys()).filter((i) => rand[i] === v)));
    r.parts.push(part(pick(0), 'standard log', { item: 'item_id' }), part(pick(1), 'random-exposure log', { item: 'item_id' }));
    r.notes.push(`KuaiRand-${variant}: labels ${KUAIRAND_TASKS.join(', ')}; rows in time order (split them with timeSplit). ${o.maxRows === Infinity ? '' : `First ${o.maxRows} log rows only.`}`);
  },
};

const aliCcp: DatasetEntry = {
  name: 'ali-ccp', aliases: ['aliccp'], title: 'Ali-CCP (original or torch-rechub processed layout)', defaultDir: '.reclab/data/ali-ccp', subdirs: ['ali-ccp', 'Ali-CCP', 'aliccp'],
  source: 'Alibaba Tianchi dataset 408', licence: 'not confirmed (Tianchi terms); do not commit',
  present: (dir) => aliCcpAvailability(dir).ok,
  async check(dir, o, r) {
    const a = aliCcpAvailability(dir);
    const names = ['sample_skeleton_train.csv', 'common_features_train.csv', 'sample_skeleton_test.csv', 'common_features_test.csv', 'ali_ccp_train.csv', 'ali_ccp_val.csv', 'ali_ccp_test.csv'];
    r.files = names.map((n) => fileEntry(join(dir, n))).filter((x) => x.found || !a.ok);
    if (!a.ok) {
      r.problems.push(a.message.split('\n')[0]);
      return;
    }
    const vocab = await buildAliCcpVocab(a.train, { maxRows: o.maxRows, dropInconsistent: true, cache: false });
    r.notes.push(`${a.layout} layout; vocabulary from train with min frequency ${vocab.minFrequency}${a.layout === 'processed' ? ' (ids already encoded upstream: none is cut again)' : ''}; users = distinct f101 codes, items = distinct f205 codes (OOV codes excluded).`);
    const splits: Array<[string, AliCcpSource]> = [['train', a.train], ...(a.valid ? [['valid', a.valid] as [string, AliCcpSource]] : []), ['test', a.test]];
    for (const [split, src] of splits) {
      const users = new Set<number>();
      const items = new Set<number>();
      const oov: Record<string, number> = {};
      let rows = 0;
      let clicks = 0;
      let conversions = 0;
      const s = streamAliCcp(src, { vocab, maxRows: o.maxRows, dropInconsistent: true });
      for await (const chunk of s) {
        rows += chunk.size;
        clicks += sum(chunk.label('click'));
        conversions += sum(chunk.label('conversion'));
        for (const x of chunk.column('f101')) if (x >= 2) users.add(x);
        for (const x of chunk.column('f205')) if (x >= 2) items.add(x);
        for (const f of ALI_CCP_SPARSE_FIELDS) {
          const c = aliCcpSparseColumn(f);
          let n = 0;
          for (const x of chunk.column(c)) if (x === 1) n++;
          oov[c] = (oov[c] ?? 0) + n;
        }
      }
      r.parts.push({ split, rows, users: users.size, items: items.size, positives: { click: clicks, conversion: conversions } });
      r.oov[split] = oov;
      if (s.stats.dropped) r.notes.push(`${split}: ${s.stats.dropped} row(s) with conversion = 1 and click = 0 dropped (the spec's preprocessing).`);
      if (clicks === 0 || clicks === rows) r.problems.push(`${split}: every row has click = ${clicks ? 1 : 0}: AUC is undefined on this split.`);
    }
  },
};

const amazon: DatasetEntry = {
  name: 'amazon-2014', aliases: ['amazon'], title: 'Amazon reviews 2014 (Books -> Movies_and_TV, MiNet\'s setting)', defaultDir: AMAZON_DEFAULTS.dir, subdirs: ['amazon-2014', 'amazon'],
  source: 'http://jmcauley.ucsd.edu/data/amazon/index_2014.html', licence: 'no licence text found (academic use); do not commit',
  present: (dir) => amazonAvailability({ dir }).ok,
  async check(dir, o, r) {
    const cats = [AMAZON_DEFAULTS.source, AMAZON_DEFAULTS.target];
    r.files = cats.flatMap((c) => [fileEntry(join(dir, `ratings_${c}.csv`)), fileEntry(existsSync(join(dir, `meta_${c}.json`)) ? join(dir, `meta_${c}.json`) : join(dir, `meta_${c}.json.gz`))]);
    const a = amazonAvailability({ dir });
    if (!a.ok) {
      r.problems.push(a.message);
      return;
    }
    const { data, stats } = await buildAmazonCrossDomain({ dir, badLines: 'report', maxLines: o.maxRows });
    for (const s of ['train', 'valid', 'test'] as const) {
      const both = (domain: string, item: string, label: string) => ({ ...part(data[s], s, { domain, item }), positives: { [label]: sum(data[s].label(label)) } });
      r.parts.push(both(AMAZON_DEFAULTS.target, 'item_id', 'click'), both(AMAZON_DEFAULTS.source, 'src_item_id', 'src_click'));
    }
    r.notes.push(`${stats.sharedUsers} users with >= ${AMAZON_DEFAULTS.minPerDomain} rated items in both domains; label rating >= ${AMAZON_DEFAULTS.positiveRating}; rating lines ${JSON.stringify(stats.ratingLines)}, ratings without metadata ${JSON.stringify(stats.ratingsWithoutMeta)}.`);
    if (stats.badLineCount) r.problems.push(`${stats.badLineCount} bad line(s), first: ${stats.badLines.slice(0, 3).map((b) => `${b.file}:${b.line}: ${b.reason}`).join('; ')}`);
  },
};

const minet: DatasetEntry = {
  name: 'minet', aliases: ['minet-release', 'minet-amazon'], title: 'MiNet\'s released Amazon split (Movies_Books_*, Books_*)', defaultDir: '.reclab/data/minet', subdirs: ['minet', 'MiNet', 'minet-release'],
  source: 'github.com/oywtece/minet data/*.zip', licence: 'Amazon 2014 rows (no licence text found); do not commit',
  present: (dir) => minetReleaseAvailability(dir).ok,
  async check(dir, o, r) {
    const f = minetReleaseFiles(dir);
    r.files = [...Object.values(f.target), ...Object.values(f.source)].map(fileEntry);
    const a = minetReleaseAvailability(dir);
    if (!a.ok) {
      r.problems.push(`missing: ${a.missing.join(', ')} (${a.message.split('. ').slice(1).join('. ')})`);
      return;
    }
    const { data, stats } = await loadMinetRelease({ dir, maxRows: o.maxRows });
    for (const s of ['train', 'valid', 'test'] as const) {
      const target = part(data[s], s, { domain: 'Movies_and_TV (target)', item: 'item_id' });
      r.parts.push({ ...target, positives: { click: target.positives?.click ?? 0 } }, { split: s, domain: 'Books (source)', rows: stats.sourceRows[s], positives: { click: stats.sourcePositives[s] } });
    }
    r.oov = { valid: stats.unseenInTrain.valid, test: stats.unseenInTrain.test };
    r.notes.push(`${stats.users} users; vocabularies ${JSON.stringify(stats.vocab)}; ${stats.tokens} title / category tokens read (not used as columns); oov = validation / test ids that no training row holds.`);
    if (stats.fieldCollisions) r.problems.push(`${stats.fieldCollisions} global feature indices occur in two kinds of field (user, item id, main_cat, brand, title, categories): a column may be shifted.`);
    if (stats.unpairedTargetRows) r.problems.push(`${stats.unpairedTargetRows} target row(s) of users with no source-domain row at all.`);
  },
};

const cdrib: DatasetEntry = {
  name: 'cdrib', aliases: ['cdr', 'unicdr'], title: 'CDRIB / UniCDR text pairs (Amazon Sport–Cloth, Game–Video, ...)', defaultDir: 'data/cdr', subdirs: ['cdr', 'cdrib', 'CDRIB', 'dataset'],
  source: 'github.com/cjx96/CDRIB dataset/ (or UniCDR\'s Google Drive "WSDM2023-UniCDR-datasets")', licence: 'code MIT, rows Amazon 2014 (no licence text); do not commit',
  present: (dir) => listCdrTextPairs(dir).length > 0,
  async check(dir, _o, r) {
    const pairs = listCdrTextPairs(dir);
    if (!pairs.length) {
      r.problems.push(`no CDR pair under ${dir}: expected folders <a>_<b> and <b>_<a> (e.g. sport_cloth and cloth_sport) with train.txt, valid.txt, test.txt`);
      return;
    }
    for (const pair of pairs) {
      for (const [x, y] of [pair, [pair[1], pair[0]]]) for (const s of CDR_TEXT_SPLITS) r.files.push(fileEntry(join(dir, `${x}_${y}`, `${s}.txt`)));
      try {
        const d = await loadCdrTextPair(dir, pair);
        for (const dom of d.domains) {
          for (const s of ['train', 'valid', 'test', 'coldValid', 'coldTest'] as const) {
            r.parts.push({ split: s, domain: `${pair.join('_')}:${dom.name}`, rows: dom[s].users.length, users: distinct(dom[s].users, false), items: distinct(dom[s].items, false) });
          }
        }
        const us = d.userSpaces;
        r.notes.push(`${pair.join('–')}: scenario ${d.scenario}; ${us.nCommon} common users (from ${us.nCommonSource}); own users ${us.domains.map((x) => `${x.name} ${x.ownUsers}`).join(', ')}; ${us.sameIdDifferentPeople} ids >= n_common occur in both domains and are different people; ${d.nUsers} users in all.`);
      } catch (e) {
        r.problems.push(`${pair.join('–')}: ${message(e)}`);
      }
    }
  },
};

const movielens: DatasetEntry = {
  name: 'movielens-1m', aliases: ['ml-1m', 'movielens'], title: 'MovieLens-1M', defaultDir: '.reclab/data/ml-1m', subdirs: ['ml-1m', 'movielens-1m', 'MovieLens-1M'],
  source: 'https://grouplens.org/datasets/movielens/1m/', licence: 'GroupLens: research use, no redistribution; never commit',
  present: (dir) => movieLensAvailability(dir).ok,
  async check(dir, _o, r) {
    r.files = MOVIELENS_FILES.map((f) => fileEntry(join(dir, f)));
    const a = movieLensAvailability(dir);
    if (!a.ok) {
      r.problems.push(a.message);
      return;
    }
    const raw = readMovieLens1M(dir);
    let pos = 0;
    for (const x of raw.ratings.rating) if (x >= 4) pos++;
    r.parts.push({ split: 'ratings', rows: raw.ratings.user.length, users: distinct(raw.ratings.user, false), items: distinct(raw.ratings.movie, false), positives: { 'rating>=4': pos } });
    r.notes.push(`${raw.users.size} users in users.dat, ${raw.movies.size} movies in movies.dat; GME's label rule: rating >= 4.`);
  },
};

const CsvDatasetSpec = z.strictObject({
  schema: SchemaSpec,
  files: z.strictObject({ train: z.string(), valid: z.string().optional(), test: z.string().optional() }),
  options: z.strictObject({
    delimiter: z.string().optional(), listSeparator: z.string().optional(), header: z.boolean().optional(), columns: z.record(z.string(), z.string()).optional(),
    ignoreExtraColumns: z.boolean().optional(), truncateLists: z.enum(['error', 'keep-first', 'keep-last']).optional(), encode: z.array(z.string()).optional(),
    minFrequency: z.number().int().min(1).optional(), timestampFormat: z.enum(['auto', 'seconds', 'iso8601']).optional(),
  }).optional(),
});
/**
 * A generic CSV dataset described by a JSON file (`dataset.json` in its folder; strict, unknown keys are errors):
 * the schema, the files of each split (relative to the folder) and `loadCsv` options. A bare `schema.json` (just a
 * Schema) with train.csv / valid.csv / test.csv beside it works too.
 * @example
 * const spec: CsvDatasetSpec = { schema, files: { train: 'train.csv', test: 'test.csv' }, options: { encode: ['user_id'], minFrequency: 2 } };
 */
export type CsvDatasetSpec = z.infer<typeof CsvDatasetSpec>;

/**
 * Reads a folder's `dataset.json` (or `schema.json` + train/valid/test.csv) into a checked spec.
 * @example
 * const spec = readCsvDatasetSpec('data/my-ctr');
 */
export function readCsvDatasetSpec(dir: string): CsvDatasetSpec {
  const full = join(dir, 'dataset.json');
  const bare = join(dir, 'schema.json');
  const file = existsSync(full) ? full : existsSync(bare) ? bare : null;
  if (!file) throw new Error(`${dir}: no dataset.json ({ "schema": ..., "files": { "train": "train.csv", ... }, "options": ... }) or schema.json (a reclab Schema, with train.csv / valid.csv / test.csv beside it)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${message(e)})`);
  }
  const value = file === bare ? { schema: json, files: Object.fromEntries(['train', 'valid', 'test'].filter((s) => existsSync(join(dir, `${s}.csv`))).map((s) => [s, `${s}.csv`])) } : json;
  const parsed = CsvDatasetSpec.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

const csv: DatasetEntry = {
  name: 'csv', aliases: ['generic-csv'], title: 'Any CSV dataset with a schema file (dataset.json or schema.json)', defaultDir: 'data/csv', subdirs: ['csv'],
  source: 'your own files', licence: 'yours to check',
  present: (dir) => existsSync(join(dir, 'dataset.json')) || existsSync(join(dir, 'schema.json')),
  async check(dir, o, r) {
    const spec = readCsvDatasetSpec(dir);
    const schema = spec.schema as Schema;
    const options: Partial<CsvOptions> = { ...spec.options };
    const splits = (['train', 'valid', 'test'] as const).filter((s) => spec.files[s] !== undefined);
    r.files = splits.map((s) => fileEntry(join(dir, spec.files[s] as string)));
    const item = schema.features.find((f) => f.kind === 'categorical' && /item|video|movie|ad|adgroup/i.test(f.name))?.name;
    let vocabularies: CsvOptions['vocabularies'];
    for (const s of splits) {
      const read = await readCsvDataset(join(dir, spec.files[s] as string), schema, { ...options, ...(vocabularies ? { vocabularies } : {}) });
      if (s === 'train' && (options.encode ?? CSV_DEFAULTS.encode).length) vocabularies = read.vocabularies;
      r.parts.push(part(read.dataset, s, { ...(item ? { item } : {}), zeroIsPadding: false }));
      const oov = Object.fromEntries(Object.keys(read.oov).map((k) => [k, read.oov[k] + read.missing[k]]));
      if (Object.keys(oov).length) r.oov[s] = oov;
      for (const l of schema.labels) {
        const p = sum(read.dataset.label(l));
        if (p === 0 || p === read.dataset.size) r.problems.push(`${s}: label '${l}' is ${p ? 1 : 0} on every row: AUC is undefined there.`);
      }
    }
    if (o.maxRows !== Infinity) r.notes.push('maxRows does not apply to generic CSV files: whole files were read.');
    r.notes.push(`oov = empty cells + rare / unseen values of encoded columns (${(options.encode ?? []).join(', ') || 'none'}).`);
  },
};

/**
 * Positives and negatives of a 0/1 label, optionally only where `mask` is 1 (e.g. CVR on clicked rows), and whether
 * both classes occur — AUC is undefined otherwise: check before computing it and leave the metric empty with a
 * message instead of failing the run.
 * @example
 * const c = classCounts(test.label('conversion'), test.label('click'));
 * if (!c.bothClasses) log(`CVR AUC left empty: ${c.positives} positives of ${c.rows} clicked rows`);
 */
export function classCounts(y: ArrayLike<number>, mask?: ArrayLike<number>): { rows: number; positives: number; negatives: number; bothClasses: boolean } {
  if (mask && mask.length !== y.length) throw new Error(`classCounts: mask has ${mask.length} values, the label ${y.length}`);
  let rows = 0;
  let positives = 0;
  for (let i = 0; i < y.length; i++) {
    if (mask && mask[i] !== 1) continue;
    rows++;
    positives += y[i] === 1 ? 1 : 0;
  }
  return { rows, positives, negatives: rows - positives, bothClasses: positives > 0 && positives < rows };
}

/**
 * The supported datasets, in the order `reclab data check` lists them.
 * @example
 * DATASETS.map((d) => d.name); // ['kuaisar-r', 'kuairand', 'ali-ccp', 'amazon-2014', 'minet', 'cdrib', 'movielens-1m', 'csv']
 */
export const DATASETS: readonly DatasetEntry[] = [kuaisar, kuairand, aliCcp, amazon, minet, cdrib, movielens, csv];

/**
 * A dataset entry by name or alias (case-insensitive), or undefined.
 * @example
 * findDataset('KuaiSAR')?.name; // 'kuaisar-r'
 */
export function findDataset(name: string): DatasetEntry | undefined {
  const n = name.toLowerCase();
  return DATASETS.find((d) => d.name === n || d.aliases.includes(n));
}

/**
 * Where a dataset is: `data` (from `--data DIR`) when it holds the dataset itself, else the first of its `subdirs`
 * under `data` that does; without `data`, the env variable `RECLAB_<NAME>_DIR` of its name or an alias (e.g.
 * RECLAB_KUAISAR_R_DIR or RECLAB_KUAISAR_DIR, the one mrff/main reads today), then
 * `RECLAB_DATA_DIR` as a root, then the loader's default folder. `found` says whether the files are there; `tried`
 * lists the folders looked at, for the message.
 * @example
 * resolveDatasetDir('kuaisar-r', { data: 'data' }); // { dir: 'data/KuaiSAR-R', found: true, tried: ['data', 'data/KuaiSAR-R'] }
 */
export function resolveDatasetDir(name: string, o: { data?: string; env?: Record<string, string | undefined> } = {}): { dir: string; found: boolean; tried: string[] } {
  const entry = findDataset(name);
  if (!entry) throw new Error(`unknown dataset '${name}' (known: ${DATASETS.map((d) => d.name).join(', ')})`);
  const env = o.env ?? process.env;
  const own = [entry.name, ...entry.aliases].map((n) => env[`RECLAB_${n.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_DIR`]).find((v) => v !== undefined);
  const root = o.data ?? (own ? undefined : env.RECLAB_DATA_DIR);
  const candidates = root !== undefined ? [root, ...entry.subdirs.map((s) => join(root, s))] : [own ?? entry.defaultDir];
  const tried: string[] = [];
  for (const dir of candidates) {
    tried.push(dir);
    if (existsSync(dir) && entry.present(dir)) return { dir, found: true, tried };
  }
  return { dir: candidates[0], found: false, tried };
}

/**
 * Loads dataset `name` from `dir` and reports what was found (see `DataCheckReport`). Never throws for data
 * problems (they are `problems`); an unknown dataset name is a problem too, listing the known ones.
 * @example
 * const r = await checkDataset('cdrib', 'data/cdr');
 * r.parts.filter((p) => p.split === 'coldTest');
 */
export async function checkDataset(name: string, dir: string, options: Partial<DataCheckOptions> = {}): Promise<DataCheckReport> {
  const t0 = Date.now();
  const o: DataCheckOptions = { ...CHECK_DEFAULTS, ...options };
  const entry = findDataset(name);
  const r: DataCheckReport = { dataset: entry?.name ?? name, dir, ok: false, files: [], parts: [], oov: {}, problems: [], notes: [], seconds: 0 };
  for (const k of Object.keys(options)) if (!(k in CHECK_DEFAULTS) && k !== 'variant') r.problems.push(`unknown option '${k}' (known: maxRows, variant)`);
  if (!entry) r.problems.push(`unknown dataset '${name}' (known: ${DATASETS.map((d) => `${d.name}${d.aliases.length ? ` (${d.aliases.join(', ')})` : ''}`).join(', ')})`);
  else if (!existsSync(dir)) r.problems.push(`folder not found: ${dir}. ${entry.title} comes from ${entry.source}; licence: ${entry.licence}.`);
  else if (!statSync(dir).isDirectory()) r.problems.push(`${dir} is a file; pass the folder that holds the dataset's files`);
  else if (!r.problems.length) {
    try {
      await entry.check(dir, o, r);
    } catch (e) {
      r.problems.push(message(e));
    }
    if (!r.parts.length && !r.problems.length) r.problems.push('no rows were read');
    if (r.problems.length && entry.name !== 'csv' && !r.files.some((f) => f.found)) r.notes.push(`${entry.title} comes from ${entry.source}; licence: ${entry.licence}. Folder contents: ${readdirSync(dir).slice(0, 12).join(', ') || '(empty)'}.`);
  }
  r.ok = r.problems.length === 0;
  r.seconds = (Date.now() - t0) / 1000;
  return r;
}
