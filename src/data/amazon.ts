/**
 * Amazon review data 2014 (McAuley lab, http://jmcauley.ucsd.edu/data/amazon/index_2014.html) as a cross-domain CTR
 * dataset in MiNet's setting (spec ../shared/papers/minet.md §4, datasets.md "Amazon review data 2014"): source domain
 * Books, target domain Movies_and_TV by default.
 * Files (never committed; the toolkit reads them from a local directory):
 *   ratings_<Category>.csv      `user,item,rating,timestamp`, no header (e.g. `A1X,0001527665,5.0,1363392000`)
 *   meta_<Category>.json[.gz]   one Python dict literal per line (`{'asin': '0001527665', 'title': "It's ...", 'brand': ...,
 *                               'categories': [['Movies & TV', 'Movies']], ...}`), parsed by `parsePythonLiteral`, never eval.
 * Build (MiNet's data/README): keep ratings whose item has metadata; keep users with at least `minPerDomain` such ratings
 * in BOTH domains (shared users); order each user's ratings by time; every target rating is a row whose histories are
 * the user's earlier target items (at most N1 = 10, most recent last) and earlier source items (at most N2 = 20), and
 * whose auxiliary source impression is the user's latest source rating at or before it (else the earliest).
 * Label rule (stated, configurable): label = 1 when rating >= `positiveRating` (default 4, spec §6), else 0; the same
 * rule labels the source impression. Every rated item counts as an interaction in the histories.
 * Split: 'leave-last-out' (default; per user last target rating -> test, second-last -> valid, as the official files
 * suggest, spec §4) or 'time' (global timestamp quantiles).
 * Streaming: files are read line by line (gzip when the name ends in .gz); a bad line is an error naming file and line,
 * or with `badLines: 'report'` it is counted and listed (first 20) in the stats.
 * Item features: item_id, item_cat (category path level `categoryLevel`), item_brand ('' -> 0); columns follow the
 * news -> ads world's names so every cross-domain model reads both.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { join } from 'node:path';
import { Dataset } from './dataset.ts';
import type { Schema } from './schema.ts';
import { parsePythonLiteral, type PyValue } from './python-literal.ts';

/** Options of the Amazon cross-domain build; defaults in `AMAZON_DEFAULTS`. */
export interface AmazonOptions {
  /** Directory holding the ratings and meta files. */
  dir: string;
  source: string;
  target: string;
  /** Label rule: rating >= positiveRating -> 1. */
  positiveRating: number;
  /** Minimum ratings (of items with metadata) per domain for a user to be kept (K). */
  minPerDomain: number;
  targetHistoryLen: number;
  sourceHistoryLen: number;
  /** Index into a category path (0 = top level) used as item_cat; shorter paths use their last element. */
  categoryLevel: number;
  split: 'leave-last-out' | 'time';
  /** Shares of the 'time' split. */
  validShare: number;
  testShare: number;
  badLines: 'error' | 'report';
  /** Stop reading a ratings file after this many lines (quick runs); Infinity = all. */
  maxLines: number;
}
/** Defaults: Books -> Movies_and_TV, rating >= 4 positive, K = 5, N1 = 10, N2 = 20, leave-last-out, strict lines. */
export const AMAZON_DEFAULTS: AmazonOptions = {
  dir: '.reclab/data/amazon-2014', source: 'Books', target: 'Movies_and_TV', positiveRating: 4, minPerDomain: 5,
  targetHistoryLen: 10, sourceHistoryLen: 20, categoryLevel: 1, split: 'leave-last-out', validShare: 0.1, testShare: 0.2,
  badLines: 'error', maxLines: Infinity,
};

/** Counts of a build, and the bad lines seen (first 20). */
export interface AmazonStats {
  ratingLines: Record<string, number>;
  metaItems: Record<string, number>;
  ratingsWithoutMeta: Record<string, number>;
  sharedUsers: number;
  rows: Record<'train' | 'valid' | 'test', number>;
  positiveRate: number;
  badLineCount: number;
  badLines: Array<{ file: string; line: number; reason: string }>;
}

/** Where a category's files are, or null when absent. */
function filesOf(dir: string, cat: string): { ratings: string; meta: string } | null {
  const ratings = join(dir, `ratings_${cat}.csv`);
  const meta = [join(dir, `meta_${cat}.json.gz`), join(dir, `meta_${cat}.json`)].find(existsSync);
  return existsSync(ratings) && meta ? { ratings, meta } : null;
}

/**
 * Whether the files are present; when not, a message saying how to obtain them.
 * @example
 * const a = amazonAvailability(); if (!a.ok) console.log(a.message);
 */
export function amazonAvailability(options: Partial<Pick<AmazonOptions, 'dir' | 'source' | 'target'>> = {}): { ok: true } | { ok: false; message: string } {
  const o = { ...AMAZON_DEFAULTS, ...options };
  const missing = [o.source, o.target].filter((c) => !filesOf(o.dir, c));
  if (!missing.length) return { ok: true };
  return {
    ok: false,
    message: `Amazon 2014 files not found in ${o.dir} for ${missing.join(', ')}. Download ratings_<Category>.csv ("ratings only") and meta_<Category>.json.gz ("metadata") for ${o.source} and ${o.target} from http://jmcauley.ucsd.edu/data/amazon/index_2014.html into that directory (no licence text was found: academic use, do not commit them).`,
  };
}

async function* lines(file: string, maxLines = Infinity): AsyncGenerator<[string, number]> {
  const input = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) {
      if (++n > maxLines) break;
      yield [line, n];
    }
  } finally {
    rl.close();
    input.destroy();
  }
}

interface Event { item: number; rating: number; ts: number }
interface DomainData { itemIds: Map<string, number>; cat: Int32Array; brand: Int32Array; catVocab: number; brandVocab: number; users: Map<string, Event[]> }

/** The schema of a built dataset (vocabularies from the data). */
export function amazonSchema(v: { users: number; t: DomainData; s: DomainData; N1: number; N2: number }): Schema {
  const d = (p: string, dom: DomainData, hist: string, N: number) => [
    { kind: 'categorical' as const, name: `${p}item_id`, vocab: dom.itemIds.size + 1 },
    { kind: 'categorical' as const, name: `${p}item_cat`, vocab: dom.catVocab },
    { kind: 'categorical' as const, name: `${p}item_brand`, vocab: dom.brandVocab },
    { kind: 'sequence' as const, name: `${hist}item_id`, vocab: dom.itemIds.size + 1, maxLen: N, sharesWith: `${p}item_id` },
    { kind: 'sequence' as const, name: `${hist}item_cat`, vocab: dom.catVocab, maxLen: N, sharesWith: `${p}item_cat` },
    { kind: 'sequence' as const, name: `${hist}item_brand`, vocab: dom.brandVocab, maxLen: N, sharesWith: `${p}item_brand` },
  ];
  return {
    features: [{ kind: 'categorical', name: 'user_id', vocab: Math.max(v.users, 1) }, ...d('', v.t, 'hist_', v.N1), ...d('src_', v.s, 'src_hist_', v.N2)],
    labels: ['click', 'src_click'], userId: 'user_id', timestamp: 'ts',
  };
}

/** Records a bad line: an error in strict mode, else counted (first 20 kept). */
function badLine(stats: AmazonStats, mode: AmazonOptions['badLines'], file: string, line: number, reason: string): void {
  if (mode === 'error') throw new Error(`${file}:${line}: ${reason} (pass badLines: 'report' to skip and count such lines)`);
  stats.badLineCount++;
  if (stats.badLines.length < 20) stats.badLines.push({ file, line, reason });
}

/** Reads a meta file into asin -> [category, brand] (strings; '' when absent). */
async function readMeta(file: string, o: AmazonOptions, stats: AmazonStats): Promise<Map<string, [string, string]>> {
  const meta = new Map<string, [string, string]>();
  for await (const [line, n] of lines(file)) {
    if (!line.trim()) continue;
    let v: PyValue;
    try {
      v = parsePythonLiteral(line);
    } catch (e) {
      badLine(stats, o.badLines, file, n, (e as Error).message);
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof v.asin !== 'string') {
      badLine(stats, o.badLines, file, n, "not a dict with a string 'asin'");
      continue;
    }
    const path = Array.isArray(v.categories) && Array.isArray(v.categories[0]) ? (v.categories[0] as PyValue[]).map(String) : [];
    const cat = path.length ? path[Math.min(o.categoryLevel, path.length - 1)] : '';
    meta.set(v.asin, [cat, typeof v.brand === 'string' ? v.brand.trim() : '']);
  }
  return meta;
}

/** Reads a ratings file into user -> events (items with metadata only; `keep` filters users). */
async function readRatings(file: string, o: AmazonOptions, stats: AmazonStats, cat: string, meta: Map<string, [string, string]>, keep: (user: string) => boolean): Promise<{ users: Map<string, Array<Event & { asin: string }>> }> {
  const users = new Map<string, Array<Event & { asin: string }>>();
  let count = 0;
  let noMeta = 0;
  for await (const [line, n] of lines(file, o.maxLines)) {
    if (!line.trim()) continue;
    count++;
    const f = line.split(',');
    if (f.length !== 4) { badLine(stats, o.badLines, file, n, `expected 4 fields user,item,rating,timestamp, got ${f.length}`); continue; }
    const rating = Number(f[2]);
    const ts = Number(f[3]);
    if (!f[0] || !f[1] || !Number.isFinite(rating) || rating < 0 || rating > 5) { badLine(stats, o.badLines, file, n, `bad user, item or rating '${f[2]}'`); continue; }
    if (!Number.isInteger(ts) || ts < 0) { badLine(stats, o.badLines, file, n, `bad timestamp '${f[3]}'`); continue; }
    if (!meta.has(f[1])) { noMeta++; continue; }
    if (!keep(f[0])) continue;
    const list = users.get(f[0]);
    const ev = { asin: f[1], item: 0, rating, ts };
    if (list) list.push(ev);
    else users.set(f[0], [ev]);
  }
  stats.ratingLines[cat] = count;
  stats.ratingsWithoutMeta[cat] = noMeta;
  return { users };
}

/**
 * Builds the cross-domain dataset (see the file header) from the files in `options.dir`.
 * @example
 * const { data, stats } = await buildAmazonCrossDomain({ dir: 'data/amazon', minPerDomain: 5 });
 * data.test.size === stats.sharedUsers; // leave-last-out: one test row per shared user
 */
export async function buildAmazonCrossDomain(options: Partial<AmazonOptions> = {}): Promise<{ data: { train: Dataset; valid: Dataset; test: Dataset }; stats: AmazonStats }> {
  for (const k of Object.keys(options)) if (!(k in AMAZON_DEFAULTS)) throw new Error(`amazon options: unknown key '${k}' (known: ${Object.keys(AMAZON_DEFAULTS).join(', ')})`);
  const o: AmazonOptions = { ...AMAZON_DEFAULTS, ...options };
  const a = amazonAvailability(o);
  if (!a.ok) throw new Error(a.message);
  const stats: AmazonStats = { ratingLines: {}, metaItems: {}, ratingsWithoutMeta: {}, sharedUsers: 0, rows: { train: 0, valid: 0, test: 0 }, positiveRate: 0, badLineCount: 0, badLines: [] };
  const ft = filesOf(o.dir, o.target) as { ratings: string; meta: string };
  const fs = filesOf(o.dir, o.source) as { ratings: string; meta: string };
  const metaT = await readMeta(ft.meta, o, stats);
  const metaS = await readMeta(fs.meta, o, stats);
  stats.metaItems = { [o.target]: metaT.size, [o.source]: metaS.size };
  const t = await readRatings(ft.ratings, o, stats, o.target, metaT, () => true);
  const enough = (u: string) => (t.users.get(u)?.length ?? 0) >= o.minPerDomain;
  const s = await readRatings(fs.ratings, o, stats, o.source, metaS, enough);
  const shared = [...s.users.keys()].filter((u) => enough(u) && (s.users.get(u)?.length ?? 0) >= o.minPerDomain).sort();
  stats.sharedUsers = shared.length;
  if (!shared.length) throw new Error(`amazon: no user has at least ${o.minPerDomain} rated items with metadata in both ${o.source} and ${o.target}`);

  // Vocabularies over the kept users' items, in a deterministic order; 0 is padding / unknown.
  const vocab = (meta: Map<string, [string, string]>, evs: Array<Array<Event & { asin: string }>>): DomainData => {
    const itemIds = new Map<string, number>();
    const cats = new Map<string, number>();
    const brands = new Map<string, number>();
    const cat: number[] = [0];
    const brand: number[] = [0];
    for (const list of evs) for (const e of list) {
      if (!itemIds.has(e.asin)) {
        const [c, b] = meta.get(e.asin) as [string, string];
        itemIds.set(e.asin, itemIds.size + 1);
        if (c && !cats.has(c)) cats.set(c, cats.size + 1);
        if (b && !brands.has(b)) brands.set(b, brands.size + 1);
        cat.push(c ? (cats.get(c) as number) : 0);
        brand.push(b ? (brands.get(b) as number) : 0);
      }
      e.item = itemIds.get(e.asin) as number;
    }
    return { itemIds, cat: Int32Array.from(cat), brand: Int32Array.from(brand), catVocab: cats.size + 1 < 2 ? 2 : cats.size + 1, brandVocab: brands.size + 1 < 2 ? 2 : brands.size + 1, users: new Map() };
  };
  const byTime = (x: Event, y: Event) => x.ts - y.ts;
  const tEvents = shared.map((u) => (t.users.get(u) as Array<Event & { asin: string }>).sort(byTime));
  const sEvents = shared.map((u) => (s.users.get(u) as Array<Event & { asin: string }>).sort(byTime));
  const T = vocab(metaT, tEvents);
  const S = vocab(metaS, sEvents);
  const N1 = o.targetHistoryLen;
  const N2 = o.sourceHistoryLen;
  const schema = amazonSchema({ users: shared.length, t: T, s: S, N1, N2 });
  const n = tEvents.reduce((x, l) => x + l.length, 0);
  const col: Record<string, Int32Array | Float32Array | Float64Array> = { user_id: new Int32Array(n), click: new Float32Array(n), src_click: new Float32Array(n), ts: new Float64Array(n) };
  for (const p of ['', 'src_']) for (const f of ['item_id', 'item_cat', 'item_brand']) col[p + f] = new Int32Array(n);
  for (const f of ['item_id', 'item_cat', 'item_brand']) { col[`hist_${f}`] = new Int32Array(n * N1); col[`src_hist_${f}`] = new Int32Array(n * N2); }
  const part = new Int8Array(n); // 0 train, 1 valid, 2 test
  const setItem = (p: string, r: number, d: DomainData, item: number) => { col[`${p}item_id`][r] = item; col[`${p}item_cat`][r] = d.cat[item]; col[`${p}item_brand`][r] = d.brand[item]; };
  const setHist = (p: string, r: number, d: DomainData, items: number[], N: number) => items.forEach((it, j) => { col[`${p}item_id`][r * N + j] = it; col[`${p}item_cat`][r * N + j] = d.cat[it]; col[`${p}item_brand`][r * N + j] = d.brand[it]; });
  let r = 0;
  let positives = 0;
  shared.forEach((_, u) => {
    const te = tEvents[u];
    const se = sEvents[u];
    te.forEach((e, k) => {
      const earlierS = se.filter((x) => x.ts < e.ts);
      const pair = [...se].reverse().find((x) => x.ts <= e.ts) ?? se[0];
      col.user_id[r] = u;
      setItem('', r, T, e.item);
      setHist('hist_', r, T, te.slice(Math.max(0, k - N1), k).map((x) => x.item), N1);
      setItem('src_', r, S, pair.item);
      setHist('src_hist_', r, S, earlierS.slice(-N2).map((x) => x.item), N2);
      col.click[r] = e.rating >= o.positiveRating ? 1 : 0;
      col.src_click[r] = pair.rating >= o.positiveRating ? 1 : 0;
      col.ts[r] = e.ts;
      positives += col.click[r];
      if (o.split === 'leave-last-out') part[r] = k === te.length - 1 && te.length >= 3 ? 2 : k === te.length - 2 && te.length >= 3 ? 1 : 0;
      r++;
    });
  });
  const all = Dataset.fromColumns(schema, col, `amazon ${o.source} -> ${o.target}`);
  if (o.split === 'time') {
    const sorted = Float64Array.from(col.ts).sort();
    const q = (share: number) => sorted[Math.min(n - 1, Math.floor(n * share))];
    const [tv, tt] = [q(1 - o.validShare - o.testShare), q(1 - o.testShare)];
    for (let i = 0; i < n; i++) part[i] = col.ts[i] >= tt ? 2 : col.ts[i] >= tv ? 1 : 0;
  }
  const take = (p: number) => all.take(Array.from({ length: n }, (_, i) => i).filter((i) => part[i] === p));
  const data = { train: take(0), valid: take(1), test: take(2) };
  stats.rows = { train: data.train.size, valid: data.valid.size, test: data.test.size };
  stats.positiveRate = positives / n;
  return { data, stats };
}
