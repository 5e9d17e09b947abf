/**
 * Streaming CSV loader: reads a file line by line (never whole) into growable typed-array columns and hands them to
 * `Dataset.fromColumns`. Every bad cell is an error naming the file, 1-based line, column, value and what was expected;
 * nothing is dropped, clipped or truncated unless an option says so explicitly.
 *
 * Cell formats: categorical = one integer id in [0, vocab); multiHot / sequence = ids in [1, vocab) joined by
 * `listSeparator` (empty cell = no ids), padded with 0 to maxLen; dense = a finite number, or `dim` numbers joined by
 * `listSeparator` when dim > 1; label = 0 or 1; timestamp = seconds, an ISO 8601 date-time or `2017/5/6 0:00`
 * (`timestampFormat`, see datetime.ts; date-times without an offset are UTC).
 * Raw public CSVs (string ids, empty cells): columns listed in `encode` hold raw values that are encoded into a
 * vocabulary built from the file (values seen fewer than `minFrequency` times and empty cells -> the OOV id 1, both
 * counted), or with the `vocabularies` of an earlier read (the training file's) so that valid / test files share ids.
 * See vocabulary.ts for the id layout; `readCsvDataset` returns the vocabularies and counts, `loadCsv` the Dataset.
 */
import { closeSync, createReadStream, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { basename, dirname, resolve } from 'node:path';
import { type Column, Dataset } from './dataset.ts';
import { type Feature, type Schema, featureWidth, validateSchema } from './schema.ts';
import { type TimestampFormat, parseTimestamp, timestampExpectation } from './datetime.ts';
import { OOV_ID, type Vocabulary, VocabularyCounter, vocabularyIndex, vocabularySize } from './vocabulary.ts';

/** What to do with a list cell longer than maxLen: throw (default), or keep its first / last maxLen ids. */
export type TruncateLists = 'error' | 'keep-first' | 'keep-last';

/** Options of `loadCsv`; defaults in `CSV_DEFAULTS`. */
export interface CsvOptions {
  /** Field delimiter, one character. Default ','. */
  delimiter: string;
  /** Separator of ids inside a multiHot / sequence cell (and of values of a dense column with dim > 1). Default '|'. */
  listSeparator: string;
  /** The first line names the columns. Default true. Without a header the fields are in schema order (features,
   * labels, timestamp), i.e. `Dataset.columnNames()` order. */
  header: boolean;
  /** Schema column -> CSV header name, for columns whose header name differs. Default: same name. */
  columns?: Record<string, string>;
  /** Extra CSV columns (not mapped to a schema column) are skipped when true (default); an error when false. */
  ignoreExtraColumns: boolean;
  /** Lists longer than maxLen: 'error' (default), 'keep-first' or 'keep-last' (most recent ids of a sequence). */
  truncateLists: TruncateLists;
  /** Schema columns (categorical, multiHot, sequence) whose cells are raw values to encode (see the file header).
   * A sequence that `sharesWith` a column shares its vocabulary: encode both or neither. Default [] (integer ids). */
  encode: string[];
  /** Encoded values seen fewer times in this file map to the OOV id 1. Default 1 (keep every value). */
  minFrequency: number;
  /** Fixed vocabularies by column (a training file's `readCsvDataset(...).vocabularies`): encoded columns use them
   * instead of building new ones, and unseen values become OOV. Default: build from this file. */
  vocabularies?: Record<string, Vocabulary>;
  /** How timestamp cells are read: 'auto' (default; seconds, ISO 8601 or 2017/5/6 0:00), 'seconds' or 'iso8601'. */
  timestampFormat: TimestampFormat;
  /** Called every 65,536 rows and once at the end with rows parsed and bytes read so far. */
  onProgress?: (p: { rows: number; bytes: number }) => void;
}

/** Defaults: ',' delimited, '|' between list ids, header line, extra columns ignored, long lists are errors, no
 * encoded columns (integer ids), min frequency 1, timestamps 'auto'. */
export const CSV_DEFAULTS: CsvOptions = {
  delimiter: ',', listSeparator: '|', header: true, ignoreExtraColumns: true, truncateLists: 'error', encode: [], minFrequency: 1, timestampFormat: 'auto',
};

/** Rows between two `onProgress` calls. */
const PROGRESS_EVERY = 65_536;

/**
 * A bad CSV file, line or cell. `line` is 1-based (the header is line 1); `column` is the column involved, if one.
 * @example
 * try { await loadCsv('data.csv', schema); } catch (e) { if (e instanceof CsvError) console.log(e.file, e.line, e.column); }
 */
export class CsvError extends Error {
  /** The file (or source) name. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** The column involved (a schema column, or an extra header column), if any. */
  readonly column?: string;

  constructor(file: string, line: number, column: string | undefined, detail: string) {
    super(`${file}:${line}: ${column === undefined ? '' : `column '${column}': `}${detail}`);
    this.name = 'CsvError';
    this.file = file;
    this.line = line;
    if (column !== undefined) this.column = column;
  }
}

/** A value read from a file or a DataFrame cell. */
export type Cell = string | number | boolean | null | undefined;

/** One stored column of a schema, in `Dataset.columnNames()` order. `vocab` is 0 for non-id columns. */
export interface ColumnSpec {
  name: string;
  kind: Feature['kind'] | 'label' | 'timestamp';
  /** Stored values per row (maxLen for lists, dim for dense, else 1). */
  width: number;
  vocab: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A cell as a number: NaN when empty or not a plain decimal number (so 'NaN', 'Infinity' and '0x1' are NaN). */
function num(v: Cell): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return NaN;
  const t = v.trim();
  return NUMBER.test(t) ? Number(t) : NaN;
}
function show(v: Cell): string {
  if (v === null || v === undefined || v === '') return `an empty cell${v === '' ? '' : ` (${v})`}`;
  const s = String(v);
  return typeof v === 'string' ? `'${s.length > 200 ? `${s.slice(0, 200)}...` : s}'` : s;
}

/**
 * Row-by-row builder of a schema's columns on growable typed arrays (capacity doubles), validating each cell; shared
 * by `loadCsv` and `fromDataFrame`. `cell` returns a problem string ("got X, expected Y") instead of throwing so the
 * caller adds the location; after a problem the builder must be discarded.
 * @example
 * const b = new DatasetBuilder(schema, CSV_DEFAULTS);
 * for (const [j] of b.specs.entries()) b.cell(j, '1');
 * b.endRow();
 * const ds = b.finish('my-source');
 */
export class DatasetBuilder {
  /** Columns in schema order: features, labels, timestamp. */
  readonly specs: ReadonlyArray<ColumnSpec>;
  /** Completed rows. */
  rows = 0;
  private readonly data: Column[];
  private readonly schema: Schema;
  private readonly o: Pick<CsvOptions, 'listSeparator' | 'truncateLists'>;

  constructor(schema: Schema, options: Pick<CsvOptions, 'listSeparator' | 'truncateLists'>) {
    this.schema = validateSchema(schema);
    if (!['error', 'keep-first', 'keep-last'].includes(options.truncateLists)) {
      throw new Error(`truncateLists must be 'error', 'keep-first' or 'keep-last', got '${options.truncateLists}'`);
    }
    if (options.listSeparator === '') throw new Error('listSeparator must not be empty');
    this.o = options;
    this.specs = [
      ...schema.features.map((f) => ({ name: f.name, kind: f.kind, width: featureWidth(f), vocab: 'vocab' in f ? f.vocab : 0 })),
      ...schema.labels.map((name) => ({ name, kind: 'label' as const, width: 1, vocab: 0 })),
      ...(schema.timestamp ? [{ name: schema.timestamp, kind: 'timestamp' as const, width: 1, vocab: 0 }] : []),
    ];
    this.data = this.specs.map((s) => {
      const n = 1024 * s.width;
      return s.kind === 'dense' || s.kind === 'label' ? new Float32Array(n) : s.kind === 'timestamp' ? new Float64Array(n) : new Int32Array(n);
    });
  }

  /** Stores cell `v` of column `j` (index into `specs`) for the current row; returns null or the problem. */
  cell(j: number, v: Cell): string | null {
    const s = this.specs[j];
    const at = this.reserve(j);
    const col = this.data[j];
    if (s.kind === 'multiHot' || s.kind === 'sequence') {
      if (typeof v !== 'string' && typeof v !== 'number') return `got ${show(v)}, expected ids joined by '${this.o.listSeparator}' ('' for none)`;
      const t = String(v).trim();
      return this.ids(s, t === '' ? [] : t.split(this.o.listSeparator), v, col, at);
    }
    if (s.kind === 'dense' && s.width > 1) {
      const parts = typeof v === 'string' ? v.split(this.o.listSeparator) : [v];
      if (parts.length !== s.width) return `got ${parts.length} values ${show(v)}, expected ${s.width} numbers joined by '${this.o.listSeparator}'`;
      return this.cells(j, parts, at);
    }
    if (s.kind === 'label') {
      const x = typeof v === 'boolean' ? Number(v) : num(v);
      if (x !== 0 && x !== 1) return `got ${show(v)}, expected a label 0 or 1`;
      col[at] = x;
      return null;
    }
    return this.cells(j, [v], at);
  }

  /** Stores a whole row of column `j` given position by position (expanded lists: 0 = padding; dense values). */
  cells(j: number, values: Cell[], at = this.reserve(j)): string | null {
    const s = this.specs[j];
    const col = this.data[j];
    const list = s.kind === 'multiHot' || s.kind === 'sequence';
    if (values.length !== s.width) return `got ${values.length} values, expected ${s.width}`;
    for (let k = 0; k < values.length; k++) {
      const x = num(values[k]);
      const pos = s.width > 1 ? ` at position ${k + 1}` : '';
      if (s.kind === 'dense' || s.kind === 'timestamp') {
        if (!Number.isFinite(x)) return `got ${show(values[k])}${pos}, expected a finite number`;
        if (s.kind === 'dense' && !Number.isFinite(Math.fround(x))) return `got ${show(values[k])}${pos}, which overflows float32`;
      } else {
        if (!(Number.isInteger(x) && x >= 0 && x < s.vocab)) return `got ${show(values[k])}${pos}, expected an integer id in [0, ${s.vocab})`;
        if (list && x !== 0 && k > 0 && col[at + k - 1] === 0) return `got id ${x}${pos} after padding 0, expected ids left-aligned`;
      }
      col[at + k] = x;
    }
    return null;
  }

  /** Ends the current row. */
  endRow(): void {
    this.rows++;
  }

  /** The finished dataset (arrays trimmed to `rows`), checked again by `Dataset.fromColumns`. */
  finish(source: string): Dataset {
    return Dataset.fromColumns(this.schema, this.columns(), source);
  }

  /** The filled columns trimmed to `rows` (for callers that re-code them before building the dataset). */
  columns(): Record<string, Column> {
    const cols: Record<string, Column> = {};
    this.specs.forEach((s, j) => {
      const n = this.rows * s.width;
      cols[s.name] = this.data[j].length === n ? this.data[j] : this.data[j].slice(0, n);
    });
    return cols;
  }

  private ids(s: ColumnSpec, parts: string[], v: Cell, col: Column, at: number): string | null {
    const expect = `expected ids in [1, ${s.vocab}) joined by '${this.o.listSeparator}'`;
    for (let k = 0; k < parts.length; k++) {
      const x = num(parts[k]);
      if (!(Number.isInteger(x) && x >= 1 && x < s.vocab)) {
        const why = x === 0 ? ' (0 is padding)' : '';
        return `got ${show(v)}: '${parts[k]}' at position ${k + 1}${why}, ${expect}`;
      }
    }
    let from = 0;
    if (parts.length > s.width) {
      if (this.o.truncateLists === 'error') {
        return `got ${parts.length} ids ${show(v)}, expected at most maxLen ${s.width} (truncateLists: 'keep-first' or 'keep-last' cuts)`;
      }
      if (this.o.truncateLists === 'keep-last') from = parts.length - s.width;
    }
    for (let k = 0; k < s.width && from + k < parts.length; k++) col[at + k] = Number(parts[from + k]);
    return null;
  }

  /** Offset of the current row in column j, growing its array by doubling when full. */
  private reserve(j: number): number {
    const w = this.specs[j].width;
    const need = (this.rows + 1) * w;
    const old = this.data[j];
    if (need > old.length) {
      const Ctor = old.constructor as new (n: number) => Column;
      const grown = new Ctor(Math.max(need, old.length * 2));
      grown.set(old);
      this.data[j] = grown;
    }
    return this.rows * w;
  }
}

/**
 * The candidate closest to `name` by Levenshtein distance (case-insensitive), if close enough to be a likely typo.
 * @example
 * closestName('user_id', ['userid', 'item']); // 'userid'
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = levenshtein(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Splits one CSV line into fields (RFC 4180 quoting: "a,b" and "say ""hi""" are single fields). Returns an error
 * string instead of throwing, so the caller can add the location.
 * @example
 * splitCsvLine('1,"a,b","x""y"', ','); // ['1', 'a,b', 'x"y']
 */
export function splitCsvLine(line: string, delimiter: string): string[] | string {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return `unterminated quoted field starting at character ${i + 1} (a newline inside quotes is not supported)`;
        v += line.slice(j, q);
        if (line[q + 1] === '"') {
          v += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v);
      if (i === line.length) return out;
      if (line[i] !== delimiter) return `unexpected character '${line[i]}' after a closing quote at character ${i + 1}`;
      i++;
    } else {
      const d = line.indexOf(delimiter, i);
      const v = d < 0 ? line.slice(i) : line.slice(i, d);
      if (v.includes('"')) return `a quote inside the unquoted field '${v}' (quote the whole field and double the quote)`;
      out.push(v);
      if (d < 0) return out;
      i = d + 1;
    }
  }
}

const DELIMITERS = [',', ';', '\t', '|', ' '];
/**
 * When a header line does not split into the expected columns with `delimiter`, the delimiter it seems to use: one
 * of , ; TAB | and space that splits it into more fields and, if `want` is given, yields that name. Returns a hint
 * sentence naming the delimiter to pass, or ''.
 * @example
 * delimiterHint('user_id;video_id;ts', ',', 'video_id'); // " The file looks ';'-delimited: pass delimiter: ';'."
 */
export function delimiterHint(line: string, delimiter: string, want?: string): string {
  const current = line.split(delimiter).length;
  for (const d of DELIMITERS) {
    if (d === delimiter) continue;
    const parts = line.split(d).map((x) => x.trim().replace(/^"(.*)"$/, '$1'));
    if (parts.length <= current || parts.length < 2) continue;
    if (want !== undefined && !parts.includes(want)) continue;
    const shown = d === '\t' ? '\\t' : d;
    return ` The file looks '${shown}'-delimited: pass delimiter: '${shown}'.`;
  }
  return '';
}
const shortLine = (line: string) => (line.length > 200 ? `${line.slice(0, 200)}...` : line);

/**
 * Why `path` cannot be read as a data file, or null when it is a readable file: a missing file names the absolute
 * path it looked for and, when its folder exists, the closest file name there; a folder is said to be one.
 * @example
 * const p = fileProblem('data/train.csv'); if (p) throw new Error(p);
 */
export function fileProblem(path: string): string | null {
  if (existsSync(path)) return statSync(path).isDirectory() ? `${path} is a folder, not a file` : null;
  const dir = dirname(resolve(path));
  let where = `looked for ${resolve(path)}`;
  if (!existsSync(dir)) where += `; the folder ${dir} does not exist either`;
  else {
    const names = readdirSync(dir);
    const near = closestName(basename(path), names);
    where += near === undefined ? `; ${dir} holds ${names.length} entr${names.length === 1 ? 'y' : 'ies'}${names.length ? ` (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''})` : ''}` : `; did you mean ${near}?`;
  }
  return `file not found (${where})`;
}

/**
 * The header line of a CSV file split into trimmed names (a BOM removed), read synchronously without the rest of the
 * file (at most 1 MiB); null when the file cannot be read or is empty.
 * @example
 * csvHeader('df.csv'); // ['user_id', 'video_id', 'timestamp', 'is_click']
 */
export function csvHeader(path: string, delimiter = ','): string[] | null {
  if (fileProblem(path) !== null) return null;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n === 0) return null;
    const text = buf.toString('utf8', 0, n).replace(/^\uFEFF/, '');
    const end = text.search(/\r?\n/);
    const line = end < 0 ? text : text.slice(0, end);
    const cells = splitCsvLine(line, delimiter);
    return typeof cells === 'string' ? [line] : cells.map((c) => c.trim());
  } finally {
    closeSync(fd);
  }
}

/**
 * What is wrong with a CSV file before reading it: missing, empty, or a header without the `required` columns (with
 * the header found, and the delimiter it seems to use), worded as a CsvError message (`file:line: column 'x': ...`);
 * null when fine. Header names are renamed by `aliases` first.
 * @example
 * checkCsvHeader('data/KuaiSAR-R/df.csv', ['user_id', 'video_id', 'timestamp', 'is_click']); // null when fine
 */
export function checkCsvHeader(path: string, required: readonly string[], aliases: Record<string, string> = {}): string | null {
  const missingFile = fileProblem(path);
  if (missingFile) return new CsvError(path, 0, undefined, missingFile).message;
  const header = csvHeader(path);
  if (!header) return new CsvError(path, 1, undefined, `empty file (expected a header with ${required.join(', ')})`).message;
  const names = header.map((h) => aliases[h] ?? h);
  const missing = required.filter((r) => !names.includes(r));
  if (!missing.length) return null;
  const raw = header.join(',');
  const near = missing.map((m) => closestName(m, names)).filter((x) => x !== undefined);
  const detail = `header lacks column(s) ${missing.join(', ')} (found: ${shortLine(raw)})${near.length ? `; did you mean ${near.join(', ')}?` : ''}.${delimiterHint(raw, ',', missing[0])}`;
  return new CsvError(path, 1, missing[0], detail).message;
}

/** Resolves which field of each line feeds each schema column, from the header (or schema order without one). */
function fieldIndices(file: string, header: string[] | null, builder: DatasetBuilder, o: CsvOptions, rawHeader = ''): number[] {
  const names = builder.specs.map((s) => s.name);
  const mapping = o.columns ?? {};
  for (const k of Object.keys(mapping)) {
    if (!names.includes(k)) throw new Error(`loadCsv: options.columns maps '${k}', which is not a schema column (schema columns: ${names.join(', ')})`);
  }
  if (header === null) {
    if (o.columns !== undefined) throw new Error(`${file}: options.columns needs a header line (header: false was given)`);
    return names.map((_, j) => j);
  }
  const idx = names.map((n) => {
    const want = mapping[n] ?? n;
    const at = header.indexOf(want);
    if (at < 0) {
      const near = closestName(want, header);
      const hint = near === undefined ? '' : ` (did you mean '${near}'?)`;
      const delim = delimiterHint(rawHeader, o.delimiter, want);
      const found = delim ? ` (found: ${shortLine(rawHeader)}).${delim}` : '';
      throw new CsvError(file, 1, n, `'${want}' not found in the header${hint}; header: ${header.join(', ')}${found}`);
    }
    if (header.indexOf(want, at + 1) >= 0) throw new CsvError(file, 1, n, `header name '${want}' appears more than once`);
    return at;
  });
  if (!o.ignoreExtraColumns) {
    const used = new Set(idx);
    const extra = header.filter((_, i) => !used.has(i));
    if (extra.length > 0) throw new CsvError(file, 1, extra[0], `not in the schema (extra columns: ${extra.join(', ')}); set ignoreExtraColumns: true to skip them`);
  }
  return idx;
}

/** Options of {@link streamCsvColumns}. */
export interface CsvColumnsOptions {
  /** Header names renamed before matching (e.g. a release's spelling to ours). */
  aliases?: Record<string, string>;
  /** 'exact': every row has as many fields as the header; 'at-least': extra trailing fields are allowed. */
  fields?: 'exact' | 'at-least';
}

/**
 * Streams a comma-separated file with a header and calls `onRow` with the trimmed values of the `required` columns
 * (in that order) and the 1-based line number. A missing file, a header without a required column, a malformed
 * line or a row with the wrong number of fields is a CsvError naming the file, line and column. Blank lines and a
 * UTF-8 byte-order mark are skipped.
 * @example
 * await streamCsvColumns('df.csv', ['user_id', 'video_id'], {}, ([u, v], line) => rows.push([+u, +v]));
 */
export async function streamCsvColumns(
  file: string,
  required: readonly string[],
  options: CsvColumnsOptions,
  onRow: (cells: string[], line: number) => void,
): Promise<void> {
  if (!existsSync(file)) throw new CsvError(file, 0, undefined, 'file not found');
  const aliases = options.aliases ?? {};
  const exact = (options.fields ?? 'exact') === 'exact';
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let idx: number[] | null = null;
  let width = 0;
  let line = 0;
  for await (const raw of rl) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    const cells = splitCsvLine(text, ',');
    if (typeof cells === 'string') throw new CsvError(file, line, undefined, cells);
    if (!idx) {
      const header = cells.map((h) => aliases[h.trim()] ?? h.trim());
      const found = required.map((r) => header.indexOf(r));
      const missing = required.filter((_, k) => found[k] < 0);
      if (missing.length) throw new CsvError(file, line, missing[0], `header lacks column(s) ${missing.join(', ')} (found: ${header.join(', ')})`);
      idx = found;
      width = header.length;
      continue;
    }
    if (exact ? cells.length !== width : cells.length < width) throw new CsvError(file, line, undefined, `${cells.length} fields, the header has ${width}`);
    onRow(idx.map((k) => cells[k].trim()), line);
  }
  if (!idx) throw new CsvError(file, 1, undefined, 'empty file (no header)');
}

/**
 * What `readCsvDataset` returns: the Dataset, the vocabularies of its encoded columns (pass them as
 * `options.vocabularies` to read validation / test files with the same ids) and per-column counts of empty encoded
 * cells (`missing`) and of rare or unseen values (`oov`), both stored as the OOV id 1.
 * @example
 * const train = await readCsvDataset('train.csv', schema, { encode: ['user_id', 'item_id'], minFrequency: 2 });
 * const test = await readCsvDataset('test.csv', schema, { encode: ['user_id', 'item_id'], vocabularies: train.vocabularies });
 * test.oov.item_id; // test items absent from (or rare in) train
 */
export interface CsvRead {
  dataset: Dataset;
  vocabularies: Record<string, Vocabulary>;
  missing: Record<string, number>;
  oov: Record<string, number>;
}

/** Encoding state of one encoded column: its sharing group's counter (building) or fixed index (reading). */
interface Encoder {
  group: string;
  counter?: VocabularyCounter;
  fixed?: Vocabulary;
  index?: Map<string, number>;
}

/** Checks `encode` / `vocabularies` against the schema; returns each encoded column's group (its sharesWith root). */
function encodeGroups(schema: Schema, o: CsvOptions): Map<string, string> {
  const groups = new Map<string, string>();
  for (const name of o.encode) {
    const f = schema.features.find((x) => x.name === name);
    if (!f) throw new Error(`loadCsv: options.encode names '${name}', which is not a schema feature (features: ${schema.features.map((x) => x.name).join(', ')})`);
    if (f.kind === 'dense') throw new Error(`loadCsv: options.encode names '${name}', a dense feature; only categorical, multiHot and sequence columns are encoded`);
    groups.set(name, f.kind === 'sequence' && f.sharesWith ? f.sharesWith : name);
  }
  for (const f of schema.features) {
    if (f.kind !== 'sequence' || !f.sharesWith) continue;
    if (groups.has(f.name) !== groups.has(f.sharesWith)) {
      throw new Error(`loadCsv: '${f.name}' shares '${f.sharesWith}''s ids; list both in options.encode or neither (encoded: ${o.encode.join(', ') || 'none'})`);
    }
  }
  for (const k of Object.keys(o.vocabularies ?? {})) {
    if (!groups.has(k)) throw new Error(`loadCsv: options.vocabularies has '${k}', which is not in options.encode`);
  }
  if (o.vocabularies) {
    const missingVocab = [...groups.keys()].filter((k) => !o.vocabularies?.[k]);
    if (missingVocab.length) throw new Error(`loadCsv: options.vocabularies lacks ${missingVocab.join(', ')} (give every encoded column's vocabulary, or none to build them from this file)`);
  }
  if (!(Number.isInteger(o.minFrequency) && o.minFrequency >= 1)) throw new Error(`loadCsv: minFrequency must be an integer >= 1, got ${o.minFrequency}`);
  if (!['auto', 'seconds', 'iso8601'].includes(o.timestampFormat)) throw new Error(`loadCsv: timestampFormat must be 'auto', 'seconds' or 'iso8601', got '${o.timestampFormat}'`);
  return groups;
}

/**
 * Streams a CSV file into a `Dataset`, validating every cell (see the file header for cell formats), and returns the
 * vocabularies and counts of its encoded columns (`CsvRead`). The file is read with `fs.createReadStream` +
 * `readline`, one line at a time; columns grow by doubling typed arrays; encoded cells are stored as provisional
 * indices and re-coded once at the end (one pass). A UTF-8 BOM is skipped; `\n` and `\r\n` line endings both work;
 * surrounding spaces in numeric cells are ignored. CSV columns that feed no schema column are ignored only while
 * `ignoreExtraColumns` is true (the default). Errors are `CsvError`s naming the file, 1-based line and column: a file
 * that is not there (with the path looked for and the closest file name), a schema column missing from the header
 * (with the closest header name, and the delimiter the header seems to use), a wrong number of fields, a bad id /
 * label / number / timestamp, an empty cell in a column that is not encoded, a too long list, or no data rows.
 * @param options partial `CsvOptions`, merged over `CSV_DEFAULTS`; unknown keys are errors.
 * @example
 * const { dataset, vocabularies, oov } = await readCsvDataset('train.csv', schema, { encode: ['user_id'], minFrequency: 2 });
 */
export async function readCsvDataset(path: string, schema: Schema, options: Partial<CsvOptions> = {}): Promise<CsvRead> {
  const extraKeys = ['columns', 'onProgress', 'vocabularies'];
  const bad = Object.keys(options).filter((k) => !(k in CSV_DEFAULTS) && !extraKeys.includes(k));
  if (bad.length > 0) throw new Error(`loadCsv: unknown option(s) ${bad.join(', ')} (known: ${[...Object.keys(CSV_DEFAULTS), ...extraKeys].join(', ')})`);
  const o: CsvOptions = { ...CSV_DEFAULTS, ...options };
  if (o.delimiter.length !== 1 || o.delimiter === '"' || o.delimiter === '\n' || o.delimiter === '\r') {
    throw new Error(`loadCsv: delimiter must be one character other than a quote or newline, got ${JSON.stringify(o.delimiter)}`);
  }
  if (o.listSeparator === o.delimiter) throw new Error(`loadCsv: listSeparator must differ from the delimiter '${o.delimiter}'`);
  validateSchema(schema);
  const groups = encodeGroups(schema, o);
  // Encoded columns are filled with provisional ids (>= 2) under a wide vocabulary, re-coded at the end.
  const WIDE = 2 ** 31 - 1;
  const wide: Schema = { ...schema, features: schema.features.map((f) => (groups.has(f.name) && 'vocab' in f ? { ...f, vocab: WIDE } : f)) };
  const builder = new DatasetBuilder(wide, o);
  const encoders = new Map<string, Encoder>();
  const byGroup = new Map<string, Encoder>();
  for (const [name, group] of groups) {
    let e = byGroup.get(group);
    if (!e) {
      const fixed = o.vocabularies?.[group] ?? o.vocabularies?.[name];
      e = fixed ? { group, fixed, index: vocabularyIndex(fixed) } : { group, counter: new VocabularyCounter() };
      byGroup.set(group, e);
    }
    encoders.set(name, e);
  }
  const missing: Record<string, number> = Object.fromEntries([...groups.keys()].map((k) => [k, 0]));
  const oov: Record<string, number> = { ...missing };
  const specEncoder = builder.specs.map((s) => encoders.get(s.name));
  /** Provisional (building) or final (fixed vocabulary) id of one raw value. */
  const code = (e: Encoder, col: string, raw: string): number => {
    if (e.counter) return e.counter.add(raw) + 2;
    const id = (e.index as Map<string, number>).get(raw);
    if (id === undefined) {
      oov[col]++;
      return OOV_ID;
    }
    return id;
  };
  const encodeCell = (j: number, v: string): string | null => {
    const s = builder.specs[j];
    const e = specEncoder[j] as Encoder;
    const t = v.trim();
    if (s.kind === 'categorical') {
      if (t === '') {
        missing[s.name]++;
        return builder.cells(j, [OOV_ID]);
      }
      return builder.cells(j, [code(e, s.name, t)]);
    }
    const parts = t === '' ? [] : t.split(o.listSeparator).map((x) => x.trim());
    const present = parts.filter((x) => x !== '');
    missing[s.name] += parts.length - present.length;
    let keep = present;
    if (present.length > s.width) {
      if (o.truncateLists === 'error') return `got ${present.length} values '${shortLine(t)}', expected at most maxLen ${s.width} (truncateLists: 'keep-first' or 'keep-last' cuts)`;
      keep = o.truncateLists === 'keep-last' ? present.slice(present.length - s.width) : present.slice(0, s.width);
    }
    const ids: number[] = keep.map((x) => code(e, s.name, x));
    while (ids.length < s.width) ids.push(0);
    return builder.cells(j, ids);
  };
  const problem = fileProblem(path);
  if (problem) throw new CsvError(path, 0, undefined, problem);
  const stream = createReadStream(path);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let header: string[] | null = null;
  let idx: number[] | null = null;
  let expectFields = 0;
  try {
    for await (let line of lines) {
      lineNo++;
      if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      const fields = splitCsvLine(line, o.delimiter);
      if (typeof fields === 'string') throw new CsvError(path, lineNo, undefined, fields);
      if (idx === null) {
        if (o.header) header = fields.map((f) => f.trim());
        idx = fieldIndices(path, header, builder, o, line);
        expectFields = header ? header.length : builder.specs.length;
        if (header) continue;
      }
      if (line === '') throw new CsvError(path, lineNo, undefined, `empty line; expected ${expectFields} fields`);
      const tooFew = fields.length < expectFields;
      if (tooFew || (fields.length > expectFields && (header !== null || !o.ignoreExtraColumns))) {
        const missingCol = tooFew ? (header ? header[fields.length] : builder.specs[fields.length].name) : undefined;
        const what = tooFew ? ` (column '${missingCol}' and after are missing)` : '';
        const delim = fields.length === 1 ? delimiterHint(line, o.delimiter) : '';
        throw new CsvError(path, lineNo, undefined, `line has ${fields.length} fields, expected ${expectFields}${header ? ' as in the header' : ''}${what}${delim ? ` (found: ${shortLine(line)}).${delim}` : ''}`);
      }
      for (let j = 0; j < idx.length; j++) {
        const s = builder.specs[j];
        const v = fields[idx[j]];
        let problemText: string | null;
        if (specEncoder[j]) problemText = encodeCell(j, v);
        else if (s.kind === 'timestamp') {
          const t = parseTimestamp(v, o.timestampFormat);
          problemText = Number.isFinite(t) ? builder.cells(j, [t]) : `got ${v.trim() === '' ? 'an empty cell' : `'${shortLine(v)}'`}, expected ${timestampExpectation(o.timestampFormat)}`;
        } else {
          problemText = builder.cell(j, v);
          if (problemText !== null && v.trim() === '' && (s.kind === 'categorical' || s.kind === 'dense')) {
            problemText += s.kind === 'categorical' ? ` (to read empty cells as the OOV id, list '${s.name}' in options.encode)` : ' (fill empty dense cells before loading)';
          }
        }
        if (problemText !== null) throw new CsvError(path, lineNo, s.name, problemText);
      }
      builder.endRow();
      if (o.onProgress && builder.rows % PROGRESS_EVERY === 0) o.onProgress({ rows: builder.rows, bytes: stream.bytesRead });
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (builder.rows === 0) {
    throw new CsvError(path, lineNo + 1, undefined, `no data rows (${lineNo === 0 ? 'the file is empty' : 'only a header line'})`);
  }
  o.onProgress?.({ rows: builder.rows, bytes: stream.bytesRead });
  // Re-code provisional ids with each group's finished vocabulary; set the real vocabulary sizes.
  const vocabularies: Record<string, Vocabulary> = {};
  const idOf = new Map<string, Int32Array>();
  for (const [group, e] of byGroup) {
    if (e.counter) {
      const done = e.counter.finish(o.minFrequency);
      vocabularies[group] = done.vocabulary;
      idOf.set(group, done.idOf);
    } else vocabularies[group] = e.fixed as Vocabulary;
  }
  const cols = builder.columns();
  for (const [name, group] of groups) {
    vocabularies[name] = vocabularies[group];
    const table = idOf.get(group);
    if (!table) continue;
    const col = cols[name] as Int32Array;
    for (let i = 0; i < col.length; i++) {
      if (col[i] < 2) continue;
      const id = table[col[i] - 2];
      if (id === OOV_ID) oov[name]++;
      col[i] = id;
    }
  }
  const finalSchema: Schema = { ...schema, features: schema.features.map((f) => (groups.has(f.name) && 'vocab' in f ? { ...f, vocab: vocabularySize(vocabularies[f.name]) } : f)) };
  return { dataset: Dataset.fromColumns(finalSchema, cols, path), vocabularies, missing, oov };
}

/**
 * Streams a CSV file into a `Dataset`, validating every cell: `readCsvDataset(...).dataset` (see there for the
 * options, encoding, timestamps and errors). Use `readCsvDataset` when you need the vocabularies or the counts.
 * @param options partial `CsvOptions`, merged over `CSV_DEFAULTS`; unknown keys are errors.
 * @example
 * const ds = await loadCsv('train.csv', schema, { columns: { user_id: 'uid' }, onProgress: (p) => console.log(p.rows) });
 */
export async function loadCsv(path: string, schema: Schema, options: Partial<CsvOptions> = {}): Promise<Dataset> {
  return (await readCsvDataset(path, schema, options)).dataset;
}
