/**
 * Streaming CSV loader: reads a file line by line (never whole) into growable typed-array columns and hands them to
 * `Dataset.fromColumns`. Every bad cell is an error naming the file, 1-based line, column, value and what was expected;
 * nothing is dropped, clipped or truncated unless an option says so explicitly.
 *
 * Cell formats: categorical = one integer id in [0, vocab); multiHot / sequence = ids in [1, vocab) joined by
 * `listSeparator` (empty cell = no ids), padded with 0 to maxLen; dense = a finite number, or `dim` numbers joined by
 * `listSeparator` when dim > 1; label = 0 or 1; timestamp = a finite number (seconds).
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Column, Dataset } from './dataset.ts';
import { type Feature, type Schema, featureWidth, validateSchema } from './schema.ts';

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
  /** Called every 65,536 rows and once at the end with rows parsed and bytes read so far. */
  onProgress?: (p: { rows: number; bytes: number }) => void;
}

/** Defaults: ',' delimited, '|' between list ids, header line, extra columns ignored, long lists are errors. */
export const CSV_DEFAULTS: CsvOptions = { delimiter: ',', listSeparator: '|', header: true, ignoreExtraColumns: true, truncateLists: 'error' };

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
    const cols: Record<string, Column> = {};
    this.specs.forEach((s, j) => {
      const n = this.rows * s.width;
      cols[s.name] = this.data[j].length === n ? this.data[j] : this.data[j].slice(0, n);
    });
    return Dataset.fromColumns(this.schema, cols, source);
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

/** Resolves which field of each line feeds each schema column, from the header (or schema order without one). */
function fieldIndices(file: string, header: string[] | null, builder: DatasetBuilder, o: CsvOptions): number[] {
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
      throw new CsvError(file, 1, n, `'${want}' not found in the header${hint}; header: ${header.join(', ')}`);
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
 * Streams a CSV file into a `Dataset`, validating every cell (see the file header for cell formats). The file is read
 * with `fs.createReadStream` + `readline`, one line at a time; columns grow by doubling typed arrays. A UTF-8 BOM is
 * skipped; `\n` and `\r\n` line endings both work; surrounding spaces in numeric cells are ignored. CSV columns that
 * feed no schema column are ignored only while `ignoreExtraColumns` is true (the default); set it false to reject them.
 * Errors are `CsvError`s naming the file, 1-based line and column: a schema column missing from the header (with the
 * closest header name), a wrong number of fields, a bad id / label / number, a too long list, or no data rows.
 * @param options partial `CsvOptions`, merged over `CSV_DEFAULTS`; unknown keys are errors.
 * @example
 * const ds = await loadCsv('train.csv', schema, { columns: { user_id: 'uid' }, onProgress: (p) => console.log(p.rows) });
 */
export async function loadCsv(path: string, schema: Schema, options: Partial<CsvOptions> = {}): Promise<Dataset> {
  const bad = Object.keys(options).filter((k) => !(k in CSV_DEFAULTS) && k !== 'columns' && k !== 'onProgress');
  if (bad.length > 0) throw new Error(`loadCsv: unknown option(s) ${bad.join(', ')} (known: ${Object.keys(CSV_DEFAULTS).join(', ')}, columns, onProgress)`);
  const o: CsvOptions = { ...CSV_DEFAULTS, ...options };
  if (o.delimiter.length !== 1 || o.delimiter === '"' || o.delimiter === '\n' || o.delimiter === '\r') {
    throw new Error(`loadCsv: delimiter must be one character other than a quote or newline, got ${JSON.stringify(o.delimiter)}`);
  }
  if (o.listSeparator === o.delimiter) throw new Error(`loadCsv: listSeparator must differ from the delimiter '${o.delimiter}'`);
  const builder = new DatasetBuilder(schema, o);
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
        idx = fieldIndices(path, header, builder, o);
        expectFields = header ? header.length : builder.specs.length;
        if (header) continue;
      }
      if (line === '') throw new CsvError(path, lineNo, undefined, `empty line; expected ${expectFields} fields`);
      const tooFew = fields.length < expectFields;
      if (tooFew || (fields.length > expectFields && (header !== null || !o.ignoreExtraColumns))) {
        const missing = tooFew ? (header ? header[fields.length] : builder.specs[fields.length].name) : undefined;
        const what = tooFew ? ` (column '${missing}' and after are missing)` : '';
        throw new CsvError(path, lineNo, undefined, `line has ${fields.length} fields, expected ${expectFields}${header ? ' as in the header' : ''}${what}`);
      }
      for (let j = 0; j < idx.length; j++) {
        const problem = builder.cell(j, fields[idx[j]]);
        if (problem !== null) throw new CsvError(path, lineNo, builder.specs[j].name, problem);
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
  return builder.finish(path);
}
