/**
 * MiNet's released Amazon split (github.com/oywtece/minet, `data/` README and `config_amazon.py`; datasets.md
 * "MiNet layout"): the paper's own train / val / test files, target domain Movies_and_TV, source domain Books.
 * Files (headerless, comma-separated; unzip the repository's `data/*.zip` archives into one folder):
 *   Movies_Books_{train,val,test}.csv  target domain, 715 columns:
 *     label | user | target item: id, main_cat, brand, title x10, categories x10 (23 columns)
 *     | 10 target-domain clicked items x 23 columns | 20 source-domain clicked items x 23 columns
 *   Books_{train,val,test}.csv         source domain, 25 columns: label | user | item: id, main_cat, brand, title x10,
 *     categories x10
 * Every feature value is an index into ONE global feature space shared by both domains (1..N, `n_ft` = 841,927 in
 * the config; user features are shared), 0 = missing / padding; an empty clicked item is 23 zeros. Labels are 0/1
 * (written as integers or as 0.0 / 1.0).
 * Mapping to the cross-domain layout every MiNet-family model reads (the Amazon 2014 loader's column names):
 * user_id; item_id, item_cat (= main_cat), item_brand; hist_item_* (target clicks, file order, left-aligned, N1 = 10);
 * src_item_* and src_click (the paired source impression); src_hist_item_* (source clicks, N2 = 20); label click.
 * Global indices are re-indexed per field into compact vocabularies (1.., 0 kept for padding / missing) over all three
 * splits, never cut by frequency (the release's index space already covers every split); `stats.unseenInTrain`
 * counts validation / test ids that no training row holds. Pairing: the k-th target row of a user in a split takes
 * the user's (k mod n)-th source row of the same split (that user's training source rows when the split has none);
 * rows of a user without any source row get zeros and src_click 0 and are counted (`unpairedTargetRows`).
 * Paper / reference deviations: title and category tokens (2 x 10 per item) are read, checked and counted but not
 * turned into columns (the models here embed id, category and brand); the target and source losses read the same
 * rows (the released code samples source batches separately, twice as large); the paired source row stands for the
 * source stream.
 * Every value is checked; a bad line is a CsvError naming file, 1-based line and column (e.g. 'tar_clk_3.brand').
 * The data is Amazon 2014 (no licence text): never commit it.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { CsvError, fileProblem } from './csv.ts';
import { Dataset, type Column } from './dataset.ts';
import type { Schema } from './schema.ts';
import { Rng } from '../random.ts';

/** The released layout (config_amazon.py). */
export const MINET_RELEASE_LAYOUT = {
  /** Item one-hot slots: id, main_cat, brand. */
  oneHot: ['item_id', 'main_cat', 'brand'],
  /** Multi-hot slots (tokens) and their length. */
  mulHot: ['title', 'categories'],
  maxLenPerSlot: 10,
  /** Clicked items kept per row: target domain (N1) and source domain (N2). */
  targetClicks: 10,
  sourceClicks: 20,
  /** Columns of a target-domain and a source-domain row. */
  targetColumns: 715,
  sourceColumns: 25,
} as const;
const ITEM_COLS = 3 + 2 * 10; // 23 columns per item
const CLICK0 = 2 + ITEM_COLS; // first column of target click 1

/** The three splits, as this toolkit names them, and the release's file suffixes. */
export const MINET_RELEASE_SPLITS = { train: 'train', valid: 'val', test: 'test' } as const;
type Split = keyof typeof MINET_RELEASE_SPLITS;
const SPLITS = Object.keys(MINET_RELEASE_SPLITS) as Split[];

/** Options of `loadMinetRelease`; defaults in `MINET_RELEASE_DEFAULTS`. */
export interface MinetReleaseOptions {
  /** Folder holding the six csv files. */
  dir: string;
  /** File-name prefixes of the target and source domain files. */
  targetPrefix: string;
  sourcePrefix: string;
  /** Keep only this many users, drawn (seeded) from the users of the target validation file; null = all users. */
  users: number | null;
  seed: number;
  /** Read at most this many lines of each file; Infinity = all. */
  maxRows: number;
}
/** Defaults: the repository's names (Movies_Books_*, Books_*) under .reclab/data/minet, all users and rows, seed 1. */
export const MINET_RELEASE_DEFAULTS: MinetReleaseOptions = { dir: '.reclab/data/minet', targetPrefix: 'Movies_Books', sourcePrefix: 'Books', users: null, seed: 1, maxRows: Infinity };

/**
 * The six files of a release folder.
 * @example
 * minetReleaseFiles('data/minet').target.valid; // 'data/minet/Movies_Books_val.csv'
 */
export function minetReleaseFiles(dir: string, o: Pick<MinetReleaseOptions, 'targetPrefix' | 'sourcePrefix'> = MINET_RELEASE_DEFAULTS): { target: Record<Split, string>; source: Record<Split, string> } {
  const f = (prefix: string) => Object.fromEntries(SPLITS.map((s) => [s, join(dir, `${prefix}_${MINET_RELEASE_SPLITS[s]}.csv`)])) as Record<Split, string>;
  return { target: f(o.targetPrefix), source: f(o.sourcePrefix) };
}

/**
 * Whether the six files are there; when not, which are missing and how to obtain them.
 * @example
 * const a = minetReleaseAvailability('data/minet'); if (!a.ok) console.log(a.message);
 */
export function minetReleaseAvailability(dir: string, o: Pick<MinetReleaseOptions, 'targetPrefix' | 'sourcePrefix'> = MINET_RELEASE_DEFAULTS): { ok: boolean; message: string; missing: string[] } {
  const files = minetReleaseFiles(dir, o);
  const missing = [...Object.values(files.target), ...Object.values(files.source)].filter((f) => fileProblem(f) !== null);
  if (!missing.length) return { ok: true, message: `MiNet's released split found in ${dir}`, missing };
  return {
    ok: false,
    missing,
    message: `MiNet's released Amazon split is not in ${dir} (missing: ${missing.join(', ')}). Download data/${o.targetPrefix}_{train,val,test}.zip and data/${o.sourcePrefix}_{train,val,test}.zip from github.com/oywtece/minet (the repository's data/ folder), unzip them into ${dir} so that ${files.target.train} exists, and run again. The rows are Amazon 2014 data (no licence text found): do not commit them.`,
  };
}

/** Counts of a load. */
export interface MinetReleaseStats {
  /** Lines read per file. */
  lines: Record<string, number>;
  /** Target rows per split (after user sampling) and their positives. */
  rows: Record<Split, number>;
  positives: Record<Split, number>;
  /** Source rows per split and their positives. */
  sourceRows: Record<Split, number>;
  sourcePositives: Record<Split, number>;
  /** Distinct users kept; `sampledUsers` is the requested sample (null = all) and `sampledUserIndices` the global
   * user indices drawn (ascending; null = all). */
  users: number;
  sampledUsers: number | null;
  sampledUserIndices: number[] | null;
  /** Vocabulary sizes (with 0) per output field. */
  vocab: Record<string, number>;
  /** Validation / test cells whose id occurs in no training row, per field. */
  unseenInTrain: Record<'valid' | 'test', Record<string, number>>;
  /** Target rows with no target / no source click. */
  emptyTargetHistory: number;
  emptySourceHistory: number;
  /** Target rows whose user has no source row at all; source rows never paired with a target row. */
  unpairedTargetRows: number;
  unusedSourceRows: number;
  /** Title / category tokens read (not used as columns). */
  tokens: number;
  /** Global indices seen in more than one kind of field (user, item id, main_cat, brand, title, categories) over the
   * first `COLLISION_CHECK_LINES` lines of each file: a shifted column shows up here; 0 on a well-formed release. */
  fieldCollisions: number;
}

/** A growable Int32 column. */
class Growable {
  data: Int32Array;
  n = 0;
  constructor(readonly width: number) {
    this.data = new Int32Array(1024 * width);
  }
  /** Offset of a new row (zero-filled). */
  push(): number {
    if ((this.n + 1) * this.width > this.data.length) {
      const g = new Int32Array(this.data.length * 2);
      g.set(this.data);
      this.data = g;
    }
    return this.n++ * this.width;
  }
  trimmed(): Int32Array {
    return this.data.slice(0, this.n * this.width);
  }
}

/** Global index -> compact id (1..), in first-appearance order. */
class Remap {
  readonly map = new Map<number, number>();
  id(x: number): number {
    if (x === 0) return 0;
    let v = this.map.get(x);
    if (v === undefined) this.map.set(x, (v = this.map.size + 1));
    return v;
  }
  get vocab(): number {
    return Math.max(2, this.map.size + 1);
  }
}

/** Name of column j (0-based) of a target (715) or source (25) row, for error messages. */
function columnName(j: number, target: boolean): string {
  if (j === 0) return 'label';
  if (j === 1) return 'user';
  const item = (k: number) => (k < 3 ? MINET_RELEASE_LAYOUT.oneHot[k] : k < 13 ? `title_${k - 2}` : `categories_${k - 12}`);
  if (j < CLICK0 || !target) return item(j - 2);
  const c = j - CLICK0;
  const n = Math.floor(c / ITEM_COLS);
  return n < 10 ? `tar_clk_${n + 1}.${item(c % ITEM_COLS)}` : `src_clk_${n - 9}.${item(c % ITEM_COLS)}`;
}
/** Field kind of an item column offset k (0..22) for the collision count: 2 id, 3 main_cat, 4 brand, 5 title, 6 categories (1 = user). */
const kindOf = (k: number): number => (k < 3 ? 2 + k : k < 13 ? 5 : 6);
const USER_KIND = 1;
/** Lines of each file whose indices feed the field-collision check (enough to see a shifted column, and cheap). */
export const COLLISION_CHECK_LINES = 10_000;

/** Parses a cell as a non-negative integer (also '12.0'), or -1. */
function idOf(v: string): number {
  let x = 0;
  let i = 0;
  const n = v.length;
  if (n === 0) return -1;
  for (; i < n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    x = x * 10 + c;
  }
  if (i === 0) return -1;
  if (i < n) {
    if (v.charCodeAt(i) !== 46) return -1;
    for (i++; i < n; i++) if (v.charCodeAt(i) !== 48) return -1;
  }
  return x;
}

async function* csvLines(file: string, maxRows: number): AsyncGenerator<[string, number]> {
  const problem = fileProblem(file);
  if (problem) throw new CsvError(file, 0, undefined, problem);
  const stream = createReadStream(file, 'utf8');
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) {
      if (++n > maxRows) break;
      yield [line, n];
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

/** Splits and checks a row: field count, every cell a non-negative integer, the label 0/1. */
function parseRow(file: string, n: number, line: string, target: boolean): number[] {
  const want = target ? MINET_RELEASE_LAYOUT.targetColumns : MINET_RELEASE_LAYOUT.sourceColumns;
  const cells = line.split(',');
  if (cells.length !== want) {
    const other = target ? MINET_RELEASE_LAYOUT.sourceColumns : MINET_RELEASE_LAYOUT.targetColumns;
    const hint = cells.length === other ? ` — ${other} is the ${target ? 'source' : 'target'}-domain layout: are the file names swapped?` : '';
    throw new CsvError(file, n, undefined, `line has ${cells.length} fields, expected ${want} (MiNet's ${target ? 'target' : 'source'}-domain layout)${hint}`);
  }
  const out = new Array<number>(want);
  for (let j = 0; j < want; j++) {
    const v = idOf(cells[j].trim());
    if (v < 0) throw new CsvError(file, n, columnName(j, target), `got '${cells[j].slice(0, 40)}', expected a non-negative integer feature index (0 = missing / padding)`);
    out[j] = v;
  }
  if (out[0] > 1) throw new CsvError(file, n, 'label', `got '${cells[0]}', expected a label 0 or 1`);
  return out;
}

/**
 * The schema of a loaded release (vocabularies from the data; N1 = 10, N2 = 20).
 * @example
 * minetReleaseSchema({ user_id: 100, item_id: 50, item_cat: 3, item_brand: 9, src_item_id: 80, src_item_cat: 2, src_item_brand: 7 }).labels; // ['click', 'src_click']
 */
export function minetReleaseSchema(vocab: Record<string, number>): Schema {
  const d = (p: string, hist: string, N: number) => [
    ...['item_id', 'item_cat', 'item_brand'].map((f) => ({ kind: 'categorical' as const, name: `${p}${f}`, vocab: vocab[`${p}${f}`] })),
    ...['item_id', 'item_cat', 'item_brand'].map((f) => ({ kind: 'sequence' as const, name: `${hist}${f}`, vocab: vocab[`${p}${f}`], maxLen: N, sharesWith: `${p}${f}` })),
  ];
  return {
    features: [{ kind: 'categorical', name: 'user_id', vocab: vocab.user_id }, ...d('', 'hist_', MINET_RELEASE_LAYOUT.targetClicks), ...d('src_', 'src_hist_', MINET_RELEASE_LAYOUT.sourceClicks)],
    labels: ['click', 'src_click'],
    userId: 'user_id',
  };
}

/** The users of the target validation file (first-appearance order), for seeded user sampling. */
async function validationUsers(file: string): Promise<number[]> {
  const seen = new Set<number>();
  for await (const [line, n] of csvLines(file, Infinity)) {
    if (line.trim() === '') continue;
    const a = line.indexOf(',');
    const b = line.indexOf(',', a + 1);
    const u = idOf(line.slice(a + 1, b < 0 ? undefined : b).trim());
    if (a < 0 || u < 0) throw new CsvError(file, n, 'user', `got '${line.slice(0, 40)}', expected label,user,...`);
    seen.add(u);
  }
  return [...seen];
}

/**
 * Loads MiNet's released split into train / valid / test Datasets in the cross-domain layout (see the file header).
 * @example
 * const { data, stats } = await loadMinetRelease({ dir: 'data/minet', users: 2000 });
 * data.test.size; // one row per sampled user on the release (Movies_Books_test)
 */
export async function loadMinetRelease(options: Partial<MinetReleaseOptions> = {}): Promise<{ data: Record<Split, Dataset>; stats: MinetReleaseStats }> {
  for (const k of Object.keys(options)) if (!(k in MINET_RELEASE_DEFAULTS)) throw new Error(`loadMinetRelease: unknown option '${k}' (known: ${Object.keys(MINET_RELEASE_DEFAULTS).join(', ')})`);
  const o: MinetReleaseOptions = { ...MINET_RELEASE_DEFAULTS, ...options };
  if (o.users !== null && !(Number.isInteger(o.users) && o.users >= 1)) throw new Error(`loadMinetRelease: users must be a positive integer or null, got ${o.users}`);
  if (!(o.maxRows === Infinity || (Number.isInteger(o.maxRows) && o.maxRows >= 1))) throw new Error(`loadMinetRelease: maxRows must be a positive integer or Infinity, got ${o.maxRows}`);
  const a = minetReleaseAvailability(o.dir, o);
  if (!a.ok) throw new Error(a.message);
  const files = minetReleaseFiles(o.dir, o);
  const zero = () => ({ train: 0, valid: 0, test: 0 });
  const stats: MinetReleaseStats = {
    lines: {}, rows: zero(), positives: zero(), sourceRows: zero(), sourcePositives: zero(), users: 0, sampledUsers: o.users, sampledUserIndices: null, vocab: {},
    unseenInTrain: { valid: {}, test: {} }, emptyTargetHistory: 0, emptySourceHistory: 0, unpairedTargetRows: 0, unusedSourceRows: 0, tokens: 0, fieldCollisions: 0,
  };
  let keep: Set<number> | null = null;
  if (o.users !== null) {
    const all = await validationUsers(files.target.valid);
    const rng = new Rng(o.seed);
    for (let i = all.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [all[i], all[j]] = [all[j], all[i]];
    }
    keep = new Set(all.slice(0, o.users));
    stats.sampledUserIndices = [...keep].sort((x, y) => x - y);
  }
  const users = new Remap();
  const R = { t: [new Remap(), new Remap(), new Remap()], s: [new Remap(), new Remap(), new Remap()] };
  // Field kind of each global index (see kindOf; -1 once counted as a collision).
  const kind = new Map<number, number>();
  const note = (x: number, k: number) => {
    if (x === 0) return;
    const was = kind.get(x);
    if (was === undefined) kind.set(x, k);
    else if (was !== k && was !== -1) {
      stats.fieldCollisions++;
      kind.set(x, -1);
    }
  };
  // Pass 1: source files -> per split, per user, the source rows (id, cat, brand, label).
  const sourceByUser: Record<Split, Map<number, number[][]>> = { train: new Map(), valid: new Map(), test: new Map() };
  const sourceUsed: Record<Split, Map<number, number>> = { train: new Map(), valid: new Map(), test: new Map() };
  for (const s of SPLITS) {
    const file = files.source[s];
    let n = 0;
    for await (const [line, ln] of csvLines(file, o.maxRows)) {
      n = ln;
      if (line.trim() === '') continue;
      const r = parseRow(file, ln, line, false);
      if (keep && !keep.has(r[1])) continue;
      if (ln <= COLLISION_CHECK_LINES) {
        note(r[1], USER_KIND);
        for (let k = 0; k < ITEM_COLS; k++) note(r[2 + k], kindOf(k));
      }
      for (let k = 3; k < ITEM_COLS; k++) if (r[2 + k]) stats.tokens++;
      const u = users.id(r[1]);
      const row = [R.s[0].id(r[2]), R.s[1].id(r[3]), R.s[2].id(r[4]), r[0]];
      const list = sourceByUser[s].get(u);
      if (list) list.push(row);
      else sourceByUser[s].set(u, [row]);
      stats.sourceRows[s]++;
      stats.sourcePositives[s] += r[0];
    }
    stats.lines[file] = n;
  }
  // Pass 2: target files -> rows with histories and the paired source impression.
  const N1 = MINET_RELEASE_LAYOUT.targetClicks;
  const N2 = MINET_RELEASE_LAYOUT.sourceClicks;
  const trainIds: Array<Set<number>> = [];
  const data = {} as Record<Split, Dataset>;
  const cols: Record<Split, Record<string, Column>> = { train: {}, valid: {}, test: {} };
  for (const s of SPLITS) {
    const file = files.target[s];
    const one = (w: number) => new Growable(w);
    const g = {
      user_id: one(1), item_id: one(1), item_cat: one(1), item_brand: one(1), src_item_id: one(1), src_item_cat: one(1), src_item_brand: one(1),
      hist_item_id: one(N1), hist_item_cat: one(N1), hist_item_brand: one(N1), src_hist_item_id: one(N2), src_hist_item_cat: one(N2), src_hist_item_brand: one(N2),
      click: one(1), src_click: one(1),
    };
    const seenPerUser = new Map<number, number>();
    let n = 0;
    for await (const [line, ln] of csvLines(file, o.maxRows)) {
      n = ln;
      if (line.trim() === '') continue;
      const r = parseRow(file, ln, line, true);
      if (keep && !keep.has(r[1])) continue;
      const check = ln <= COLLISION_CHECK_LINES;
      if (check) note(r[1], USER_KIND);
      for (let j = 2; j < MINET_RELEASE_LAYOUT.targetColumns; j++) {
        const k = (j - 2) % ITEM_COLS;
        if (check) note(r[j], kindOf(k));
        if (k >= 3 && r[j]) stats.tokens++;
      }
      const u = users.id(r[1]);
      const at = g.user_id.push();
      g.user_id.data[at] = u;
      g.item_id.data[g.item_id.push()] = R.t[0].id(r[2]);
      g.item_cat.data[g.item_cat.push()] = R.t[1].id(r[3]);
      g.item_brand.data[g.item_brand.push()] = R.t[2].id(r[4]);
      g.click.data[g.click.push()] = r[0];
      const hist = (prefix: 'hist_' | 'src_hist_', first: number, count: number, remaps: Remap[]): number => {
        const off = [g[`${prefix}item_id`].push(), g[`${prefix}item_cat`].push(), g[`${prefix}item_brand`].push()];
        let m = 0;
        for (let c = 0; c < count; c++) {
          const base = first + c * ITEM_COLS;
          if (r[base] === 0) continue; // an empty clicked item (padding)
          g[`${prefix}item_id`].data[off[0] + m] = remaps[0].id(r[base]);
          g[`${prefix}item_cat`].data[off[1] + m] = remaps[1].id(r[base + 1]);
          g[`${prefix}item_brand`].data[off[2] + m] = remaps[2].id(r[base + 2]);
          m++;
        }
        return m;
      };
      if (hist('hist_', CLICK0, N1, R.t) === 0) stats.emptyTargetHistory++;
      if (hist('src_hist_', CLICK0 + N1 * ITEM_COLS, N2, R.s) === 0) stats.emptySourceHistory++;
      const k = seenPerUser.get(u) ?? 0;
      seenPerUser.set(u, k + 1);
      const own = sourceByUser[s].get(u);
      const list = own ?? sourceByUser.train.get(u);
      const from = own ? s : 'train';
      const pair = list ? list[k % list.length] : null;
      if (list) sourceUsed[from].set(u, Math.max(sourceUsed[from].get(u) ?? 0, Math.min(k + 1, list.length)));
      else stats.unpairedTargetRows++;
      g.src_item_id.data[g.src_item_id.push()] = pair ? pair[0] : 0;
      g.src_item_cat.data[g.src_item_cat.push()] = pair ? pair[1] : 0;
      g.src_item_brand.data[g.src_item_brand.push()] = pair ? pair[2] : 0;
      g.src_click.data[g.src_click.push()] = pair ? pair[3] : 0;
      stats.rows[s]++;
      stats.positives[s] += r[0];
    }
    stats.lines[file] = n;
    for (const [name, col] of Object.entries(g)) {
      const v = col.trimmed();
      cols[s][name] = name === 'click' || name === 'src_click' ? Float32Array.from(v) : v;
    }
    if (s === 'train') {
      for (const f of ['item_id', 'item_cat', 'item_brand', 'src_item_id', 'user_id']) trainIds.push(new Set(cols.train[f]));
    } else {
      const unseen: Record<string, number> = {};
      ['item_id', 'item_cat', 'item_brand', 'src_item_id', 'user_id'].forEach((f, i) => {
        let c = 0;
        for (const x of cols[s][f]) if (x !== 0 && !trainIds[i].has(x)) c++;
        unseen[f] = c;
      });
      stats.unseenInTrain[s] = unseen;
    }
  }
  for (const s of SPLITS) {
    for (const [u, list] of sourceByUser[s]) stats.unusedSourceRows += list.length - (sourceUsed[s].get(u) ?? 0);
  }
  stats.users = users.map.size;
  const vocab: Record<string, number> = { user_id: users.vocab };
  ['item_id', 'item_cat', 'item_brand'].forEach((f, i) => {
    vocab[f] = R.t[i].vocab;
    vocab[`src_${f}`] = R.s[i].vocab;
  });
  stats.vocab = vocab;
  const schema = minetReleaseSchema(vocab);
  for (const s of SPLITS) data[s] = Dataset.fromColumns(schema, cols[s], `MiNet release ${files.target[s]}`);
  if (stats.rows.train === 0) throw new CsvError(files.target.train, (stats.lines[files.target.train] ?? 0) + 1, undefined, `no data rows${keep ? ` for the ${keep.size} sampled users` : ''}`);
  return { data, stats };
}
