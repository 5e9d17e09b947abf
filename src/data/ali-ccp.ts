/**
 * Ali-CCP (Alibaba Click and Conversion Prediction; the ESMM dataset, Tianchi dataset 408) loaders that stream the
 * files in bounded memory. Two layouts (see ../shared/papers/datasets.md):
 *   - original: `sample_skeleton_*.csv` (sample_id, click, conversion, common_feature_index, feature_num,
 *     feature_list) joined with `common_features_*.csv` (common_feature_index, feature_num, feature_list); a feature
 *     list is entries `field\x02id\x03value` separated by `\x01`. The common-features table is held in memory (31
 *     slots and the key, about 270 bytes a row: +250 MB peak RSS measured for a 730K-row table, the train table's
 *     size); samples are streamed.
 *   - processed: one CSV row per sample with the header `click,purchase,101,...,301,109_14,...,D853` (torch-rechub's
 *     `preprocess_ali_ccp.py` output), whose ids are already encoded upstream (1..K per field for ids seen >= 10
 *     times in train, 0 = rare or missing). Its vocabulary keeps every id seen (min frequency 1 by default,
 *     `ALI_CCP_PROCESSED_MIN_FREQUENCY`): cutting already-cut ids a second time would turn kept ids into OOV (on a
 *     small sample, every item-side id).
 * Pass 1 (`buildAliCcpVocab`) counts raw ids per field on the training file and the dense min / max, and saves them as
 * JSON; pass 2 (`streamAliCcp`) encodes chunks of `chunkRows` rows into `Dataset`s. Ids: 0 = field missing in the row
 * (padding; in the processed layout also upstream's rare ids), 1 = out of vocabulary (seen fewer than `minFrequency`
 * times in pass 1, or never), 2.. = kept raw ids in ascending raw-id order. Memory: one chunk being filled plus the per-field id tables, independent of file size.
 *
 * Data choices: a repeated field in one feature list (210, 109_14, 110_14, 127_14, 150_14
 * are multi-valued) keeps its last entry, and a common feature overrides a sample feature of the same field, as
 * torch-rechub does; an absent dense field is 0 before scaling, as there.
 * Reference deviation: upstream maps rare and missing ids both to 0; here missing is 0 and rare is 1.
 * Reference deviation: upstream fits the min-max scaler on train + validation + test; here on the vocabulary source
 * (train) only, applied unclipped to other files. Processed files are already scaled, so `scaleDense` defaults to
 * false for them.
 * Paper deviation: the spec proposes dropping rows with click = 0 and purchase = 1; here they are a data error unless
 * `dropInconsistent: true`, which drops and counts them (`stats.dropped`).
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { CsvError, closestName } from './csv.ts';
import { Dataset } from './dataset.ts';
import type { Schema } from './schema.ts';

/**
 * The 23 sparse fields (ids) of the spec (chorus-cvr.md §3.1, datasets.md), in schema order.
 * @example
 * ALI_CCP_SPARSE_FIELDS.map(aliCcpSparseColumn); // ['f101', 'f121', ..., 'f150_14']
 */
export const ALI_CCP_SPARSE_FIELDS = ['101', '121', '122', '124', '125', '126', '127', '128', '129', '205', '206', '207', '210', '216', '508', '509', '702', '853', '301', '109_14', '110_14', '127_14', '150_14'] as const;
/**
 * The 8 dense fields: the value part of these fields' entries (original layout) or the `D<field>` columns (processed).
 * @example
 * ALI_CCP_DENSE_FIELDS.map(aliCcpDenseColumn); // ['D109_14', ..., 'D853']
 */
export const ALI_CCP_DENSE_FIELDS = ['109_14', '110_14', '127_14', '150_14', '508', '509', '702', '853'] as const;
/**
 * Where pipelines look for the files by default (under the git-ignored .reclab/).
 * @example
 * const a = aliCcpAvailability(ALI_CCP_DEFAULT_DIR);
 */
export const ALI_CCP_DEFAULT_DIR = '.reclab/data/ali-ccp';
/**
 * Schema column of a sparse field: 'f' + field id, since column names cannot start with a digit.
 * @example
 * aliCcpSparseColumn('109_14'); // 'f109_14'
 */
export const aliCcpSparseColumn = (field: string): string => `f${field}`;
/**
 * Schema column of a dense field: 'D' + field id, as in the processed header.
 * @example
 * aliCcpDenseColumn('508'); // 'D508'
 */
export const aliCcpDenseColumn = (field: string): string => `D${field}`;

/**
 * A processed-layout CSV path, or the original layout's pair of files.
 * @example
 * const train: AliCcpSource = { skeleton: 'd/sample_skeleton_train.csv', common: 'd/common_features_train.csv' };
 * const valid: AliCcpSource = 'd/ali_ccp_val.csv';
 */
export type AliCcpSource = string | { skeleton: string; common: string };

/**
 * Pass-1 result, saved as JSON: per sparse field the kept raw ids (id 2 + i is `ids[i]`) and per dense field the range.
 * @example
 * const vocab = await buildAliCcpVocab('ali_ccp_train.csv');
 * vocab.fields['205'].vocab; // kept ids + 2
 */
export interface AliCcpVocab {
  format: 'reclab-ali-ccp-vocab/1';
  layout: 'original' | 'processed';
  minFrequency: number;
  /** Files counted, with size and mtime: a cache whose sources differ is rebuilt. */
  sources: Array<{ file: string; bytes: number; mtimeMs: number }>;
  maxRows: number | null;
  dropInconsistent: boolean;
  /** Rows counted and inconsistent rows dropped in pass 1. */
  rows: number;
  dropped: number;
  fields: Record<string, { vocab: number; distinct: number; ids: number[] }>;
  dense: Record<string, { min: number; max: number }>;
}
const VocabSpec = z.strictObject({
  format: z.literal('reclab-ali-ccp-vocab/1'),
  layout: z.enum(['original', 'processed']),
  minFrequency: z.number().int().min(1),
  sources: z.array(z.strictObject({ file: z.string(), bytes: z.number(), mtimeMs: z.number() })),
  maxRows: z.number().int().nullable(),
  dropInconsistent: z.boolean(),
  rows: z.number().int(),
  dropped: z.number().int(),
  fields: z.record(z.strictObject({ vocab: z.number().int().min(2), distinct: z.number().int(), ids: z.array(z.number().int().min(0)) })),
  dense: z.record(z.strictObject({ min: z.number(), max: z.number() })),
});

/**
 * Counters of a pass; `stats` of an `AliCcpStream`, and what `onProgress` receives.
 * @example
 * await loadAliCcp(src, { vocab, dropInconsistent: true, onProgress: (s) => s.done && console.log(`${s.dropped} dropped`) });
 */
export interface AliCcpStats {
  /** Rows kept (yielded or counted). */
  rows: number;
  /** Rows with conversion = 1 and click = 0 dropped (only with `dropInconsistent: true`). */
  dropped: number;
  /** Lines read from the sample file and bytes of it read so far. */
  lines: number;
  bytes: number;
  done: boolean;
}

/**
 * Options of `buildAliCcpVocab`; defaults in `ALI_CCP_VOCAB_DEFAULTS`.
 * @example
 * const o: Partial<AliCcpVocabOptions> = { minFrequency: 5, cache: false };
 */
export interface AliCcpVocabOptions {
  /** Raw ids seen fewer times map to the OOV id 1. Default 10 for the original layout (the spec's proposal, as
   * torch-rechub); the processed layout, already cut upstream, defaults to `ALI_CCP_PROCESSED_MIN_FREQUENCY` (1). */
  minFrequency: number;
  /** JSON cache file; false disables it. Default: `reclab-vocab-<file>-min<k>.json` next to the (sample) file. */
  cache?: string | false;
  /** Read only the first rows (kept rows). Default Infinity. */
  maxRows: number;
  /** Drop (and count) rows with conversion = 1 and click = 0 instead of throwing. Default false. */
  dropInconsistent: boolean;
  onProgress?: (s: AliCcpStats) => void;
}
/**
 * Defaults: min frequency 10 (original layout; see `aliCcpDefaultMinFrequency` for the processed one), all rows,
 * inconsistent rows are errors.
 * @example
 * ALI_CCP_VOCAB_DEFAULTS.minFrequency; // 10
 */
export const ALI_CCP_VOCAB_DEFAULTS: AliCcpVocabOptions = { minFrequency: 10, maxRows: Infinity, dropInconsistent: false };
/**
 * Default min frequency of the processed layout: 1, every id seen is kept (upstream already applied its cut of 10).
 * @example
 * ALI_CCP_PROCESSED_MIN_FREQUENCY; // 1
 */
export const ALI_CCP_PROCESSED_MIN_FREQUENCY = 1;
/**
 * The min frequency a vocabulary of `source` uses when none is given: 10 for the original layout's raw ids, 1 for
 * the processed layout's already-encoded ids.
 * @example
 * aliCcpDefaultMinFrequency('d/ali_ccp_train.csv'); // 1
 * aliCcpDefaultMinFrequency({ skeleton: 'd/sample_skeleton_train.csv', common: 'd/common_features_train.csv' }); // 10
 */
export function aliCcpDefaultMinFrequency(source: AliCcpSource): number {
  return typeof source === 'string' ? ALI_CCP_PROCESSED_MIN_FREQUENCY : ALI_CCP_VOCAB_DEFAULTS.minFrequency;
}

/**
 * Options of `streamAliCcp` / `loadAliCcp`; defaults in `ALI_CCP_STREAM_DEFAULTS`.
 * @example
 * const o: Partial<AliCcpStreamOptions> = { vocab, chunkRows: 100_000, dropInconsistent: true };
 */
export interface AliCcpStreamOptions {
  /** Rows per yielded Dataset (the last may be smaller). Default 262,144 (about 35 MB of columns). */
  chunkRows: number;
  /** Encoding from pass 1 (the training file's, for validation / test files). Default: built from this source with
   * `ALI_CCP_VOCAB_DEFAULTS` and its default cache. */
  vocab?: AliCcpVocab;
  /** Min-max scale the dense fields with the vocabulary's ranges. Default: true for the original layout, false for
   * the processed one (already scaled upstream). */
  scaleDense?: boolean;
  /** Read only the first rows (kept rows). Default Infinity. */
  maxRows: number;
  /** Drop (and count in `stats.dropped`) rows with conversion = 1 and click = 0 instead of throwing. Default false. */
  dropInconsistent: boolean;
  /** Called after each chunk and once at the end. */
  onProgress?: (s: AliCcpStats) => void;
}
/**
 * Defaults: chunks of 262,144 rows, all rows, inconsistent rows are errors.
 * @example
 * ALI_CCP_STREAM_DEFAULTS.chunkRows; // 262144
 */
export const ALI_CCP_STREAM_DEFAULTS: AliCcpStreamOptions = { chunkRows: 262_144, maxRows: Infinity, dropInconsistent: false };

const NS = ALI_CCP_SPARSE_FIELDS.length;
const ND = ALI_CCP_DENSE_FIELDS.length;
const EMPTY = -1;
/** Field code of `a` or `a_b` (a < 1000, b < 99): a * 100 + (b + 1); slot lookups by code. */
const code = (f: string): number => (f.includes('_') ? Number(f.split('_')[0]) * 100 + Number(f.split('_')[1]) + 1 : Number(f) * 100);
const SPARSE_SLOT = new Int8Array(100_000).fill(-1);
const DENSE_SLOT = new Int8Array(100_000).fill(-1);
ALI_CCP_SPARSE_FIELDS.forEach((f, k) => (SPARSE_SLOT[code(f)] = k));
ALI_CCP_DENSE_FIELDS.forEach((f, d) => (DENSE_SLOT[code(f)] = d));

/**
 * The reclab schema of Ali-CCP: 23 categorical `f<field>` columns (vocab from pass 1), 8 dense `D<field>` columns,
 * labels `click` and `conversion`; `userId` is `f101`.
 * @example
 * const schema = aliCcpSchema(await buildAliCcpVocab({ skeleton: 'sample_skeleton_train.csv', common: 'common_features_train.csv' }));
 */
export function aliCcpSchema(vocab: Pick<AliCcpVocab, 'fields'>): Schema {
  return {
    features: [
      ...ALI_CCP_SPARSE_FIELDS.map((f) => {
        if (!vocab.fields[f]) throw new Error(`aliCcpSchema: the vocabulary has no field '${f}'`);
        return { kind: 'categorical' as const, name: aliCcpSparseColumn(f), vocab: vocab.fields[f].vocab };
      }),
      ...ALI_CCP_DENSE_FIELDS.map((f) => ({ kind: 'dense' as const, name: aliCcpDenseColumn(f) })),
    ],
    labels: ['click', 'conversion'],
    userId: aliCcpSparseColumn('101'),
  };
}

/**
 * Map from integer raw ids (< 2^53) to positive int32 values (counts or codes). Small ids live in a directly indexed
 * array (one cache line per lookup), grown by doubling while it stays dense (at most 16 slots per id stored, past a
 * floor of 65,536); larger ids in an open-addressing hash table.
 */
class IdTable {
  size = 0;
  private direct = new Int32Array(1024);
  /** Hash slots as [key, value] pairs in one array, so a probe touches one cache line. */
  private slots = new Float64Array(2 * 1024).fill(EMPTY);
  private mask = 1023;
  private hashed = 0;
  /** Adds `delta` (> 0) to the value of `k` (0 when new). */
  add(k: number, delta: number): void {
    if (k >= this.direct.length && k < 65_536 + 16 * (this.size + 1)) {
      const len = Math.max(this.direct.length * 2, 2 ** Math.ceil(Math.log2(k + 1)));
      if (len <= 65_536 + 16 * (this.size + 1)) this.growDirect(len);
    }
    if (k < this.direct.length) {
      const i = k | 0; // an int32 index keeps the typed-array access on the fast path
      if (this.direct[i] === 0) this.size++;
      this.direct[i] += delta;
      return;
    }
    let h = this.slot(k);
    if (this.slots[h] === EMPTY) {
      if ((this.hashed + 1) * 4 > this.slots.length) {
        this.rehash(this.slots.length);
        h = this.slot(k);
      }
      this.slots[h] = k;
      this.slots[h + 1] = 0;
      this.hashed++;
      this.size++;
    }
    this.slots[h + 1] += delta;
  }
  /** The value, or -1 when absent. */
  get(k: number): number {
    if (k < this.direct.length) {
      const v = this.direct[k | 0];
      return v === 0 ? -1 : v;
    }
    if (this.hashed === 0) return -1;
    const h = this.slot(k);
    return this.slots[h] === EMPTY ? -1 : this.slots[h + 1];
  }
  /** The ids whose value is at least `min`, ascending. */
  keysAtLeast(min: number): number[] {
    const out = new Float64Array(this.size);
    let n = 0;
    for (let i = 0; i < this.direct.length; i++) if (this.direct[i] >= min) out[n++] = i;
    for (let h = 0; h < this.slots.length; h += 2) if (this.slots[h] !== EMPTY && this.slots[h + 1] >= min) out[n++] = this.slots[h];
    return Array.from(out.subarray(0, n).sort());
  }
  /** Index of k's pair (or of the empty pair where it would go). */
  private slot(k: number): number {
    let h = Math.imul((k >>> 0) ^ Math.imul(Math.floor(k / 4294967296), 0x85ebca6b), 0x9e3779b1);
    h = (h ^ (h >>> 15)) & this.mask;
    while (this.slots[2 * h] !== EMPTY && this.slots[2 * h] !== k) h = (h + 1) & this.mask;
    return 2 * h;
  }
  private growDirect(len: number): void {
    const d = new Int32Array(len);
    d.set(this.direct);
    this.direct = d;
    if (this.hashed > 0) this.rehash(this.slots.length / 2);
  }
  /** Rebuilds the hash table at `pairs` slots (doubling when full), moving ids that now fit the direct array there. */
  private rehash(pairs: number): void {
    const old = this.slots;
    this.slots = new Float64Array(2 * pairs).fill(EMPTY);
    this.mask = pairs - 1;
    this.hashed = 0;
    for (let i = 0; i < old.length; i += 2) {
      const k = old[i];
      if (k === EMPTY) continue;
      if (k < this.direct.length) {
        this.direct[k] = old[i + 1];
        continue;
      }
      const h = this.slot(k);
      this.slots[h] = k;
      this.slots[h + 1] = old[i + 1];
      this.hashed++;
    }
  }
}

/** One parsed sample: raw ids (EMPTY = absent), dense values (NaN = absent), labels. */
interface Row {
  raw: Float64Array;
  dense: Float64Array;
  click: number;
  conversion: number;
}
/** Parses one line into `row`; returns null or [column, problem]. */
type LineParser = (buf: Buffer, s: number, e: number, row: Row) => [string | undefined, string] | null;

const visible = (t: string): string => t.replaceAll('\x01', '\\x01').replaceAll('\x02', '\\x02').replaceAll('\x03', '\\x03');
function show(buf: Buffer, s: number, e: number): string {
  const t = visible(buf.toString('latin1', s, Math.min(e, s + 120)));
  return `'${t}${e - s > 120 ? '...' : ''}'`;
}
/** A non-negative integer of at most 15 digits in [s, e), or -1. */
function int(buf: Buffer, s: number, e: number): number {
  if (e <= s || e - s > 15) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/**
 * A finite, float32-representable decimal number in [s, e), or NaN. Plain `[-]digits[.digits]` with at most 15
 * significant digits is parsed from the bytes as m / 10^k (one correctly rounded division of exact values, so the
 * same double as `Number`); anything else (exponents, long mantissas) goes through `Number` after a syntax check.
 */
function float(buf: Buffer, s: number, e: number): number {
  let i = s;
  const neg = buf[i] === 45;
  if (neg || buf[i] === 43) i++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + c - 48;
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else break;
  }
  if (i === e && digits > 0 && digits <= 15) {
    const v = frac > 0 ? m / POW10[frac] : m;
    return neg ? -v : v;
  }
  const t = buf.toString('latin1', s, e);
  return NUMERIC.test(t) && Number.isFinite(Math.fround(Number(t))) ? Number(t) : NaN;
}
/** Field ends of a comma-separated line: ends[j] = end of field j (ends.length fields at most); returns the field count. */
function splitCommas(buf: Buffer, s: number, e: number, ends: Int32Array): number {
  let n = 0;
  for (let i = s; i < e; i++) {
    if (buf[i] === 44) {
      if (n < ends.length) ends[n] = i;
      n++;
    }
  }
  if (n < ends.length) ends[n] = e;
  return n + 1;
}
/** Ends of the first ends.length - 1 fields (found with indexOf); the last field runs to e. Returns the fields found. */
function leadingFields(buf: Buffer, s: number, e: number, ends: Int32Array): number {
  let p = s;
  for (let j = 0; j < ends.length - 1; j++) {
    const c = buf.indexOf(44, p);
    if (c < 0 || c >= e) return j + 1;
    ends[j] = c;
    p = c + 1;
  }
  ends[ends.length - 1] = e;
  return ends.length;
}
/** "line has N fields, expected ..." for a line of the original layout. */
function fieldCount(buf: Buffer, s: number, e: number, expected: string): string {
  return `line has ${splitCommas(buf, s, e, new Int32Array(64))} fields, expected ${expected}`;
}
const SKELETON_FIELDS = '6 (sample_id, click, conversion, common_feature_index, feature_num, feature_list)';
const COMMON_FIELDS = '3 (common_feature_index, feature_num, feature_list)';
/** parseFeatures' problem when a feature list holds a ',' (the line has more fields than expected). */
const COMMA_IN_LIST = 'a comma inside feature_list';
function label(buf: Buffer, s: number, e: number): number {
  return e - s === 1 && (buf[s] === 48 || buf[s] === 49) ? buf[s] - 48 : -1;
}

function badEntry(buf: Buffer, p: number, t: number, count: number, what: string): string {
  return `entry ${count} ${show(buf, p, t)}: ${what}; expected entries field\\x02id\\x03value joined by \\x01`;
}

/** Parses a feature list into raw / dense slots (last entry of a field wins); returns the entry count or a problem. */
function parseFeatures(buf: Buffer, s: number, e: number, raw: Float64Array, ro: number, dense: Float64Array, dOff: number): number | string {
  if (s === e) return 0;
  let p = s;
  for (let count = 1; ; count++) {
    let q = p;
    let us = -1;
    for (; q < e && buf[q] !== 2 && buf[q] !== 1; q++) if (buf[q] === 95 && us < 0) us = q;
    let r = q + 1;
    while (r < e && buf[r] !== 3 && buf[r] !== 1) r++;
    let t = r + 1;
    for (; t < e && buf[t] !== 1; t++) if (buf[t] === 44) return COMMA_IN_LIST;
    if (t > e) t = e;
    if (q >= e || buf[q] !== 2 || r >= e || buf[r] !== 3) return badEntry(buf, p, t, count, 'separators missing');
    const a = int(buf, p, us >= 0 ? us : q);
    const b = us >= 0 ? int(buf, us + 1, q) : -1;
    if (a < 0 || (us >= 0 && b < 0)) return badEntry(buf, p, t, count, 'the field is not digits or digits_digits');
    const id = int(buf, q + 1, r);
    if (id < 0) return badEntry(buf, p, t, count, 'the id is not an integer of at most 15 digits');
    if (t === r + 1) return badEntry(buf, p, t, count, 'the value is empty');
    const c = a < 1000 && b < 99 ? a * 100 + b + 1 : -1;
    if (c >= 0 && SPARSE_SLOT[c] >= 0) raw[ro + SPARSE_SLOT[c]] = id;
    if (c >= 0 && DENSE_SLOT[c] >= 0) {
      const v = float(buf, r + 1, t);
      if (Number.isNaN(v)) return badEntry(buf, p, t, count, `the value ${show(buf, r + 1, t)} is not a finite number`);
      dense[dOff + DENSE_SLOT[c]] = v;
    }
    if (t >= e) return count;
    p = t + 1;
  }
}

/** Whole lines of a file, a buffer at a time (a line never straddles two). */
async function* lineBuffers(path: string, stats: AliCcpStats): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let rest: Buffer | null = null;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      stats.bytes += chunk.length;
      const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
      const last = buf.lastIndexOf(10);
      if (last < 0) {
        rest = buf;
        continue;
      }
      rest = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : null;
      yield buf.subarray(0, last + 1);
    }
    if (rest) yield rest;
  } finally {
    stream.destroy();
  }
}

/** Bounds of the line starting at `s` in a buffer of whole lines: [end without \r\n, start of the next line]. */
function lineAt(buf: Buffer, s: number): [number, number] {
  let e = buf.indexOf(10, s);
  if (e < 0) e = buf.length;
  return [e > s && buf[e - 1] === 13 ? e - 1 : e, e + 1];
}

/** The value of 8 lowercase hex digits at buf[s..s+8), or -1. */
function hex8(buf: Buffer, s: number): number {
  let v = 0;
  for (let i = s; i < s + 8; i++) {
    const c = buf[i];
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * common_feature_index -> row. Keys of 16 lowercase hex digits (the real ones) live in an open-addressing table of
 * two 32-bit halves, without building a string per lookup; any other key in a Map.
 */
class KeyIndex {
  size = 0;
  /** Slots of [high half, low half, row, unused] (row -1 = empty): one cache line per probe. */
  private slots = new Int32Array(4 << 12).fill(-1);
  private hashed = 0;
  private readonly other = new Map<string, number>();
  /** Row of the key buf[s, e), or -1. */
  get(buf: Buffer, s: number, e: number): number {
    const h = e - s === 16 ? hex8(buf, s) : -1;
    const l = h >= 0 ? hex8(buf, s + 8) : -1;
    if (l < 0) return this.other.get(buf.toString('latin1', s, e)) ?? -1;
    return this.slots[this.slot(h | 0, l | 0) + 2];
  }
  /** Adds a key with its row; false when the key is already there. */
  add(buf: Buffer, s: number, e: number, row: number): boolean {
    const h = e - s === 16 ? hex8(buf, s) : -1;
    const l = h >= 0 ? hex8(buf, s + 8) : -1;
    if (l < 0) {
      const key = buf.toString('latin1', s, e);
      if (this.other.has(key)) return false;
      this.other.set(key, row);
    } else {
      if ((this.hashed + 1) * 8 > this.slots.length) this.grow();
      const i = this.slot(h | 0, l | 0);
      if (this.slots[i + 2] >= 0) return false;
      this.put(i, h | 0, l | 0, row);
      this.hashed++;
    }
    this.size++;
    return true;
  }
  private put(i: number, h: number, l: number, row: number): void {
    this.slots[i] = h;
    this.slots[i + 1] = l;
    this.slots[i + 2] = row;
  }
  private slot(h: number, l: number): number {
    const mask = this.slots.length / 4 - 1;
    let i = Math.imul(h ^ Math.imul(l, 0x9e3779b1), 0x85ebca6b);
    i = (i ^ (i >>> 16)) & mask;
    while (this.slots[4 * i + 2] >= 0 && (this.slots[4 * i] !== h || this.slots[4 * i + 1] !== l)) i = (i + 1) & mask;
    return 4 * i;
  }
  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    for (let j = 0; j < old.length; j += 4) if (old[j + 2] >= 0) this.put(this.slot(old[j], old[j + 1]), old[j], old[j + 1], old[j + 2]);
  }
}

/** Common-features table: key -> row; per row 23 raw ids and 8 dense values. */
interface Common {
  index: KeyIndex;
  raw: Float64Array;
  dense: Float64Array;
}
async function loadCommon(path: string): Promise<Common> {
  const index = new KeyIndex();
  let raw: Float64Array = new Float64Array(NS * 4096);
  let dense: Float64Array = new Float64Array(ND * 4096);
  const ends = new Int32Array(3);
  const stats: AliCcpStats = { rows: 0, dropped: 0, lines: 0, bytes: 0, done: false };
  let lineNo = 0;
  for await (const buf of lineBuffers(path, stats)) {
    for (let s = 0; s < buf.length; ) {
      const [e, next] = lineAt(buf, s);
      lineNo++;
      if (leadingFields(buf, s, e, ends) !== 3) throw new CsvError(path, lineNo, undefined, fieldCount(buf, s, e, COMMON_FIELDS));
      const r = index.size;
      if (raw.length < (r + 1) * NS) {
        const rows = Math.ceil(r * 1.5);
        [raw, dense] = [growTo(raw, rows * NS), growTo(dense, rows * ND)];
      }
      raw.fill(EMPTY, r * NS, (r + 1) * NS);
      dense.fill(NaN, r * ND, (r + 1) * ND);
      const count = parseFeatures(buf, ends[1] + 1, e, raw, r * NS, dense, r * ND);
      if (count === COMMA_IN_LIST) throw new CsvError(path, lineNo, undefined, fieldCount(buf, s, e, COMMON_FIELDS));
      if (typeof count === 'string') throw new CsvError(path, lineNo, 'feature_list', count);
      const num = int(buf, ends[0] + 1, ends[1]);
      if (num !== count) throw new CsvError(path, lineNo, 'feature_num', `got ${show(buf, ends[0] + 1, ends[1])}, expected the number of entries in feature_list (${count})`);
      if (ends[0] === s) throw new CsvError(path, lineNo, 'common_feature_index', 'got an empty key');
      if (!index.add(buf, s, ends[0], r)) {
        throw new CsvError(path, lineNo, 'common_feature_index', `${show(buf, s, ends[0])} appears on an earlier line too; keys must be unique`);
      }
      s = next;
    }
  }
  return { index, raw, dense };
}
function growTo(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/** Line parser of the original layout (sample_skeleton joined with common_features). */
function originalParser(common: Common): LineParser {
  const ends = new Int32Array(6);
  return (buf, s, e, row) => {
    if (leadingFields(buf, s, e, ends) !== 6) return [undefined, fieldCount(buf, s, e, SKELETON_FIELDS)];
    row.click = label(buf, ends[0] + 1, ends[1]);
    if (row.click < 0) return ['click', `got ${show(buf, ends[0] + 1, ends[1])}, expected a label 0 or 1`];
    row.conversion = label(buf, ends[1] + 1, ends[2]);
    if (row.conversion < 0) return ['conversion', `got ${show(buf, ends[1] + 1, ends[2])}, expected a label 0 or 1`];
    row.raw.fill(EMPTY);
    row.dense.fill(NaN);
    const count = parseFeatures(buf, ends[4] + 1, e, row.raw, 0, row.dense, 0);
    if (count === COMMA_IN_LIST) return [undefined, fieldCount(buf, s, e, SKELETON_FIELDS)];
    if (typeof count === 'string') return ['feature_list', count];
    const num = int(buf, ends[3] + 1, ends[4]);
    if (num !== count) return ['feature_num', `got ${show(buf, ends[3] + 1, ends[4])}, expected the number of entries in feature_list (${count})`];
    const r = common.index.get(buf, ends[2] + 1, ends[3]);
    if (r < 0) return ['common_feature_index', `${show(buf, ends[2] + 1, ends[3])} is not in the common-features file`];
    for (let k = 0; k < NS; k++) if (common.raw[r * NS + k] !== EMPTY) row.raw[k] = common.raw[r * NS + k];
    for (let d = 0; d < ND; d++) {
      const v = common.dense[r * ND + d];
      if (!Number.isNaN(v)) row.dense[d] = v;
      else if (Number.isNaN(row.dense[d])) row.dense[d] = 0;
    }
    return null;
  };
}

/** Line parser of the processed layout, set up from its header line (1-based line 1). */
function processedParser(path: string, header: string[]): LineParser {
  const want = ['click', header.includes('purchase') ? 'purchase' : 'conversion', ...ALI_CCP_SPARSE_FIELDS, ...ALI_CCP_DENSE_FIELDS.map(aliCcpDenseColumn)];
  // role[j]: -1 skip, 0 click, 1 conversion, 2 + k sparse slot k, 2 + NS + d dense slot d.
  const role = new Int32Array(header.length).fill(-1);
  want.forEach((name, i) => {
    const j = header.indexOf(name);
    if (j < 0) {
      const near = closestName(name, header);
      throw new CsvError(path, 1, name, `'${name}' not found in the header${near === undefined ? '' : ` (did you mean '${near}'?)`}; expected the processed Ali-CCP header click,purchase,101,...,D853`);
    }
    if (header.indexOf(name, j + 1) >= 0) throw new CsvError(path, 1, name, `header name '${name}' appears more than once`);
    role[j] = i;
  });
  const ends = new Int32Array(header.length);
  const last = header.length - 1;
  return (buf, s, e, row) => {
    // One scan per line: each field is cut at its comma and parsed in the same pass.
    let p = s;
    for (let j = 0; j <= last; j++) {
      const r = role[j];
      let q = p;
      let v = 0;
      let ok = true;
      if (r >= 0 && r < 2 + NS) {
        for (; q < e; q++) {
          const d = buf[q] - 48;
          if (d === -4) break; // ','
          if (d < 0 || d > 9) ok = false;
          v = v * 10 + d;
        }
      } else {
        while (q < e && buf[q] !== 44) q++;
      }
      if ((q === e) !== (j === last)) {
        return [undefined, `line has ${splitCommas(buf, s, e, ends)} fields, expected ${header.length} as in the header`];
      }
      if (r >= 2 + NS) {
        const x = float(buf, p, q);
        if (Number.isNaN(x)) return [header[j], `got ${show(buf, p, q)}, expected a finite number`];
        row.dense[r - 2 - NS] = x;
      } else if (r >= 2) {
        if (!ok || q === p || q - p > 15) return [header[j], `got ${show(buf, p, q)}, expected an integer id (0 = missing) of at most 15 digits`];
        row.raw[r - 2] = v === 0 ? EMPTY : v;
      } else if (r >= 0) {
        if (!ok || q - p !== 1 || v > 1) return [header[j], `got ${show(buf, p, q)}, expected a label 0 or 1`];
        if (r === 0) row.click = v;
        else row.conversion = v;
      }
      p = q + 1;
    }
    return null;
  };
}

/**
 * Reads the rows of a source, calling `each(row)` for every kept row; yields after every `yieldEvery` kept rows so a
 * caller can hand a chunk on. Checks labels (conversion without click) and applies dropInconsistent / maxRows.
 */
async function* readRows(source: AliCcpSource, o: { maxRows: number; dropInconsistent: boolean }, stats: AliCcpStats, each: (row: Row) => void, yieldEvery: number): AsyncGenerator<void> {
  const path = typeof source === 'string' ? source : source.skeleton;
  const row: Row = { raw: new Float64Array(NS), dense: new Float64Array(ND), click: 0, conversion: 0 };
  let parse: LineParser | null = typeof source === 'string' ? null : originalParser(await loadCommon(source.common));
  let sinceYield = 0;
  for await (const buf of lineBuffers(path, stats)) {
    for (let s = 0; s < buf.length; ) {
      const [e, next] = lineAt(buf, s);
      const ls = s;
      s = next;
      const lineNo = ++stats.lines;
      if (parse === null) {
        const text = buf.toString('utf8', ls, e).replace(/^\ufeff/, '');
        parse = processedParser(path, text.split(',').map((h) => h.trim()));
        continue;
      }
      if (e === ls) throw new CsvError(path, lineNo, undefined, 'empty line');
      const problem = parse(buf, ls, e, row);
      if (problem !== null) throw new CsvError(path, lineNo, problem[0], problem[1]);
      if (row.conversion === 1 && row.click === 0) {
        if (!o.dropInconsistent) {
          const n = stats.rows + stats.dropped + 1;
          throw new CsvError(path, lineNo, 'conversion', `data row ${n}: conversion = 1 with click = 0; a conversion without a click is a data error (dropInconsistent: true drops and counts such rows)`);
        }
        stats.dropped++;
        continue;
      }
      each(row);
      stats.rows++;
      if (++sinceYield === yieldEvery) {
        sinceYield = 0;
        yield;
      }
      if (stats.rows >= o.maxRows) return;
    }
  }
}

function checkKeys(fn: string, options: object, defaults: object, extra: string[]): void {
  const known = [...Object.keys(defaults), ...extra];
  const bad = Object.keys(options).filter((k) => !known.includes(k));
  if (bad.length > 0) throw new Error(`${fn}: unknown option(s) ${bad.join(', ')} (known: ${known.join(', ')})`);
}
function checkRows(fn: string, key: string, v: number): void {
  if (!(v === Infinity || (Number.isInteger(v) && v > 0))) throw new Error(`${fn}: ${key} must be a positive integer or Infinity, got ${v}`);
}
function fingerprint(source: AliCcpSource): AliCcpVocab['sources'] {
  const files = typeof source === 'string' ? [source] : [source.skeleton, source.common];
  return files.map((f) => {
    if (!existsSync(f)) {
      const a = aliCcpAvailability(dirname(f));
      throw new Error(`Ali-CCP: file not found: ${f}${a.ok ? '' : `\n${a.message}`}`);
    }
    const st = statSync(f);
    return { file: basename(f), bytes: st.size, mtimeMs: st.mtimeMs };
  });
}
/**
 * The default vocabulary cache of a source: next to its (sample) file.
 * @example
 * aliCcpVocabCachePath('d/ali_ccp_train.csv'); // 'd/reclab-vocab-ali_ccp_train-min1.json'
 */
export function aliCcpVocabCachePath(source: AliCcpSource, minFrequency = aliCcpDefaultMinFrequency(source)): string {
  const f = typeof source === 'string' ? source : source.skeleton;
  return join(dirname(f), `reclab-vocab-${basename(f).replace(/\.[^.]*$/, '')}-min${minFrequency}.json`);
}

/**
 * Pass 1: counts every sparse field's raw ids and each dense field's range over a source (the training file), keeps
 * ids seen at least `minFrequency` times (default: `aliCcpDefaultMinFrequency(source)`), and caches the result as JSON (reused while the files' size and mtime and
 * the options are unchanged). Memory: the id tables (16 to 64 bytes per distinct id) and, for the original layout,
 * the common-features table.
 * @example
 * const vocab = await buildAliCcpVocab({ skeleton: 'd/sample_skeleton_train.csv', common: 'd/common_features_train.csv' }, { dropInconsistent: true });
 */
export async function buildAliCcpVocab(source: AliCcpSource, options: Partial<AliCcpVocabOptions> = {}): Promise<AliCcpVocab> {
  checkKeys('buildAliCcpVocab', options, ALI_CCP_VOCAB_DEFAULTS, ['cache', 'onProgress']);
  const o: AliCcpVocabOptions = { ...ALI_CCP_VOCAB_DEFAULTS, minFrequency: aliCcpDefaultMinFrequency(source), ...options };
  if (!(Number.isInteger(o.minFrequency) && o.minFrequency >= 1)) throw new Error(`buildAliCcpVocab: minFrequency must be an integer >= 1, got ${o.minFrequency}`);
  checkRows('buildAliCcpVocab', 'maxRows', o.maxRows);
  const cache = o.cache === undefined ? aliCcpVocabCachePath(source, o.minFrequency) : o.cache;
  const head = {
    format: 'reclab-ali-ccp-vocab/1' as const,
    layout: typeof source === 'string' ? ('processed' as const) : ('original' as const),
    minFrequency: o.minFrequency,
    sources: fingerprint(source),
    maxRows: o.maxRows === Infinity ? null : o.maxRows,
    dropInconsistent: o.dropInconsistent,
  };
  if (cache !== false && existsSync(cache)) {
    const cached = loadAliCcpVocab(cache);
    const same = (Object.keys(head) as Array<keyof typeof head>).every((k) => JSON.stringify(cached[k]) === JSON.stringify(head[k]));
    if (same) return cached;
  }
  const counts = ALI_CCP_SPARSE_FIELDS.map(() => new IdTable());
  const lo = new Float64Array(ND).fill(Infinity);
  const hi = new Float64Array(ND).fill(-Infinity);
  const stats: AliCcpStats = { rows: 0, dropped: 0, lines: 0, bytes: 0, done: false };
  const each = (row: Row) => {
    for (let k = 0; k < NS; k++) if (row.raw[k] !== EMPTY) counts[k].add(row.raw[k], 1);
    for (let d = 0; d < ND; d++) {
      const v = row.dense[d];
      if (v < lo[d]) lo[d] = v;
      if (v > hi[d]) hi[d] = v;
    }
  };
  for await (const _ of readRows(source, o, stats, each, 1 << 20)) o.onProgress?.(stats);
  stats.done = true;
  o.onProgress?.(stats);
  const vocab: AliCcpVocab = { ...head, rows: stats.rows, dropped: stats.dropped, fields: {}, dense: {} };
  ALI_CCP_SPARSE_FIELDS.forEach((f, k) => {
    const ids = counts[k].keysAtLeast(o.minFrequency);
    vocab.fields[f] = { vocab: ids.length + 2, distinct: counts[k].size, ids };
  });
  ALI_CCP_DENSE_FIELDS.forEach((f, d) => (vocab.dense[f] = { min: stats.rows ? lo[d] : 0, max: stats.rows ? hi[d] : 0 }));
  if (cache !== false) {
    mkdirSync(dirname(cache), { recursive: true });
    writeFileSync(`${cache}.tmp`, JSON.stringify(vocab));
    renameSync(`${cache}.tmp`, cache);
  }
  return vocab;
}

/**
 * Reads a vocabulary JSON written by `buildAliCcpVocab`, checked by a strict schema (unknown keys are errors).
 * @example
 * const vocab = loadAliCcpVocab('.reclab/data/ali-ccp/reclab-vocab-sample_skeleton_train-min10.json');
 */
export function loadAliCcpVocab(path: string): AliCcpVocab {
  const parsed = VocabSpec.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: not an Ali-CCP vocabulary: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The async iterable `streamAliCcp` returns: iterate it for Datasets of at most `chunkRows` rows; `stats` counts
 * rows, dropped rows, lines and bytes as it goes. Each iteration re-reads the file.
 * @example
 * const s = streamAliCcp('ali_ccp_train.csv', { vocab, dropInconsistent: true });
 * for await (const chunk of s) for (const b of batches(chunk, { batchSize: 1024 })) step(b);
 * console.log(s.stats.dropped);
 */
export class AliCcpStream implements AsyncIterable<Dataset> {
  stats: AliCcpStats = { rows: 0, dropped: 0, lines: 0, bytes: 0, done: false };
  constructor(
    private readonly source: AliCcpSource,
    private readonly o: AliCcpStreamOptions,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Dataset> {
    const o = this.o;
    const stats: AliCcpStats = (this.stats = { rows: 0, dropped: 0, lines: 0, bytes: 0, done: false });
    const layout = typeof this.source === 'string' ? 'processed' : 'original';
    const vocab = o.vocab ?? (await buildAliCcpVocab(this.source, { maxRows: o.maxRows, dropInconsistent: o.dropInconsistent }));
    if (vocab.layout !== layout) throw new Error(`streamAliCcp: the vocabulary was built from the ${vocab.layout} layout, this source is ${layout}`);
    const schema = aliCcpSchema(vocab);
    const codes = ALI_CCP_SPARSE_FIELDS.map((f) => {
      const t = new IdTable();
      vocab.fields[f].ids.forEach((id, i) => t.add(id, i + 2));
      return t;
    });
    const scale = o.scaleDense ?? layout === 'original';
    const offset = ALI_CCP_DENSE_FIELDS.map((f) => (scale ? vocab.dense[f].min : 0));
    const factor = ALI_CCP_DENSE_FIELDS.map((f) => (!scale ? 1 : vocab.dense[f].max > vocab.dense[f].min ? 1 / (vocab.dense[f].max - vocab.dense[f].min) : 0));
    const name = typeof this.source === 'string' ? this.source : this.source.skeleton;
    let cap = Math.min(o.chunkRows, 65_536);
    let n = 0;
    let sparse = ALI_CCP_SPARSE_FIELDS.map(() => new Int32Array(cap));
    let dense = ALI_CCP_DENSE_FIELDS.map(() => new Float32Array(cap));
    let click = new Float32Array(cap);
    let conversion = new Float32Array(cap);
    const each = (row: Row) => {
      if (n === cap) {
        cap = Math.min(cap * 2, o.chunkRows);
        [sparse, dense] = [sparse.map((a) => grow(a, cap)), dense.map((a) => grow(a, cap))];
        [click, conversion] = [grow(click, cap), grow(conversion, cap)];
      }
      for (let k = 0; k < NS; k++) {
        const r = row.raw[k];
        const c = r === EMPTY ? 0 : codes[k].get(r);
        sparse[k][n] = c < 0 ? 1 : c;
      }
      for (let d = 0; d < ND; d++) dense[d][n] = (row.dense[d] - offset[d]) * factor[d];
      click[n] = row.click;
      conversion[n] = row.conversion;
      n++;
    };
    const flush = (): Dataset => {
      const cols: Record<string, Int32Array | Float32Array> = { click: click.slice(0, n), conversion: conversion.slice(0, n) };
      ALI_CCP_SPARSE_FIELDS.forEach((f, k) => (cols[aliCcpSparseColumn(f)] = n === sparse[k].length ? sparse[k] : sparse[k].slice(0, n)));
      ALI_CCP_DENSE_FIELDS.forEach((f, d) => (cols[aliCcpDenseColumn(f)] = n === dense[d].length ? dense[d] : dense[d].slice(0, n)));
      const first = stats.rows - n + 1;
      const ds = Dataset.fromColumns(schema, cols, `${name} (rows ${first}-${stats.rows})`);
      [sparse, dense] = [sparse.map(() => new Int32Array(cap)), dense.map(() => new Float32Array(cap))];
      [click, conversion, n] = [new Float32Array(cap), new Float32Array(cap), 0];
      return ds;
    };
    const every = o.chunkRows === Infinity ? 2 ** 53 : o.chunkRows;
    for await (const _ of readRows(this.source, o, stats, each, every)) {
      o.onProgress?.(stats);
      yield flush();
    }
    stats.done = true;
    o.onProgress?.(stats);
    if (n > 0) yield flush();
  }
}
function grow<T extends Int32Array | Float32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

function streamOptions(fn: string, options: Partial<AliCcpStreamOptions>): AliCcpStreamOptions {
  checkKeys(fn, options, ALI_CCP_STREAM_DEFAULTS, ['vocab', 'scaleDense', 'onProgress']);
  const o: AliCcpStreamOptions = { ...ALI_CCP_STREAM_DEFAULTS, ...options };
  checkRows(fn, 'chunkRows', o.chunkRows);
  checkRows(fn, 'maxRows', o.maxRows);
  return o;
}

/**
 * Pass 2: streams a source as Datasets of at most `chunkRows` rows (see `aliCcpSchema` for columns), so training
 * consumes the file without materialising it. Errors are `CsvError`s naming file, 1-based line, column and what was
 * expected; a conversion without a click is one unless `dropInconsistent: true`.
 * @example
 * const vocab = await buildAliCcpVocab('ali_ccp_train.csv', { dropInconsistent: true });
 * for await (const chunk of streamAliCcp('ali_ccp_val.csv', { vocab, dropInconsistent: true })) console.log(chunk.size);
 */
export function streamAliCcp(source: AliCcpSource, options: Partial<AliCcpStreamOptions> = {}): AliCcpStream {
  return new AliCcpStream(source, streamOptions('streamAliCcp', options));
}

/**
 * Loads a whole (small) source as one Dataset: fixtures, samples, `maxRows` subsets. Throws when no row is kept.
 * @example
 * const ds = await loadAliCcp({ skeleton: 'sample_skeleton_test.csv', common: 'common_features_test.csv' }, { vocab, maxRows: 100_000 });
 */
export async function loadAliCcp(source: AliCcpSource, options: Partial<Omit<AliCcpStreamOptions, 'chunkRows'>> = {}): Promise<Dataset> {
  if ('chunkRows' in options) throw new Error('loadAliCcp: chunkRows is not an option here (use streamAliCcp to read in chunks)');
  const s = new AliCcpStream(source, { ...streamOptions('loadAliCcp', options), chunkRows: Infinity });
  for await (const ds of s) return ds;
  const file = typeof source === 'string' ? source : source.skeleton;
  throw new CsvError(file, s.stats.lines + 1, undefined, `no data rows (${s.stats.dropped} inconsistent rows dropped)`);
}

/**
 * What `aliCcpAvailability` found: the files to read, or a message saying how to obtain them.
 * @example
 * const a: AliCcpAvailability = aliCcpAvailability();
 * const train = a.ok ? a.train : undefined;
 */
export type AliCcpAvailability =
  | { ok: true; layout: 'original' | 'processed'; train: AliCcpSource; test: AliCcpSource; valid?: AliCcpSource; message: string }
  | { ok: false; missing: string[]; message: string };

/**
 * Checks a directory for Ali-CCP: the original files (sample_skeleton_{train,test}.csv + common_features_{train,test}.csv)
 * or the processed ones (ali_ccp_{train,val,test}.csv). When absent, `message` says exactly how to obtain them;
 * pipelines print it and skip.
 * @example
 * const a = aliCcpAvailability(ALI_CCP_DEFAULT_DIR);
 * if (!a.ok) { console.log(a.message); return; }
 */
export function aliCcpAvailability(dir: string = ALI_CCP_DEFAULT_DIR): AliCcpAvailability {
  const at = (f: string) => join(dir, f);
  const orig = ['sample_skeleton_train.csv', 'common_features_train.csv', 'sample_skeleton_test.csv', 'common_features_test.csv'];
  const proc = ['ali_ccp_train.csv', 'ali_ccp_val.csv', 'ali_ccp_test.csv'];
  const missingOrig = orig.filter((f) => !existsSync(at(f)));
  if (missingOrig.length === 0) {
    const pair = (part: string) => ({ skeleton: at(`sample_skeleton_${part}.csv`), common: at(`common_features_${part}.csv`) });
    return { ok: true, layout: 'original', train: pair('train'), test: pair('test'), message: `Ali-CCP (original layout) found in ${dir}` };
  }
  const missingProc = proc.filter((f) => !existsSync(at(f)));
  if (missingProc.length === 0) {
    return { ok: true, layout: 'processed', train: at(proc[0]), valid: at(proc[1]), test: at(proc[2]), message: `Ali-CCP (processed layout) found in ${dir}` };
  }
  const message = [
    `Ali-CCP not found in ${dir} (missing: ${missingOrig.join(', ')}).`,
    'To obtain it: sign in to Alibaba Tianchi and download dataset 408, "Ali-CCP: Alibaba Click and Conversion Prediction"',
    '(https://tianchi.aliyun.com/dataset/408; linked from the ESMM page of the alibaba/x-deeplearning wiki), accepting Tianchi\'s terms.',
    `Unpack the train and test archives so that these files exist: ${orig.map(at).join(', ')}.`,
    `Alternatively put the processed layout (torch-rechub examples/ranking/data/ali-ccp/preprocess_ali_ccp.py output) there: ${proc.map(at).join(', ')}.`,
    'Licence: no licence text is confirmed (Tianchi terms apply). reclab does not redistribute Ali-CCP; never commit its files (the directory is git-ignored).',
  ].join('\n');
  return { ok: false, missing: missingOrig.map(at), message };
}
