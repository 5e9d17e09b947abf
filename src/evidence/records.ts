/**
 * One tidy result record: one measured number per row — which pipeline, run, table, method, variant and knob value,
 * which metric on which split for which seed, its value, how many test rows and positives it rests on, its test-sampling
 * standard error, and whether the fit was still improving when its epoch budget ran out. Tables, comparisons, verdicts,
 * figures, the CSV export and the report are all computed from these rows (results.csv in a run folder).
 */

/** A measured number. `pipeline` and `run` are filled in by the runner. */
export interface ResultRecord {
  pipeline: string;
  run: string;
  /** Stable id of the table the number belongs to (e.g. 'main', 'ablation'); claims refer to it. */
  table: string;
  method: string;
  /** A variant of the method (ablation arm, backbone, scenario, ...); '' when none. */
  variant: string;
  /** Knob setting as 'name=value' for mechanism sweeps; '' when none. */
  knob: string;
  metric: string;
  /** 'test', 'valid', 'cold', 'warm-a', ... */
  split: string;
  seed: number;
  value: number;
  /** Evaluation rows (or users for ranking metrics) behind the value; null when not known. */
  rows: number | null;
  /** Positive labels among those rows; null when not applicable. */
  positives: number | null;
  /** Test-sampling standard error of `value` within this seed (DeLong, bootstrap or a binomial SE); null when not known. */
  se: number | null;
  /** True when the fit's best validation epoch was the last one allowed; null when not a trained fit or not known. */
  stillImproving: boolean | null;
}

/** The CSV header of results.csv, in column order. */
export const RECORD_COLUMNS = ['pipeline', 'run', 'table', 'method', 'variant', 'knob', 'metric', 'split', 'seed', 'value', 'rows', 'positives', 'se', 'still_improving'] as const;

const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const num = (x: number | null) => (x === null ? '' : String(x));

/**
 * Writes records as CSV (header {@link RECORD_COLUMNS}); empty cells are nulls.
 * @example
 * writeFileSync('results.csv', recordsToCsv(records));
 */
export function recordsToCsv(records: ReadonlyArray<ResultRecord>): string {
  const lines = [RECORD_COLUMNS.join(',')];
  for (const r of records) {
    lines.push([q(r.pipeline), q(r.run), q(r.table), q(r.method), q(r.variant), q(r.knob), q(r.metric), q(r.split), String(r.seed), String(r.value), num(r.rows), num(r.positives), num(r.se), r.stillImproving === null ? '' : String(r.stillImproving)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function splitCsvLine(line: string, file: string, lineNo: number): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new Error(`${file}:${lineNo}: unterminated quoted field`);
  out.push(cur);
  return out;
}

/**
 * Parses results.csv back into records; errors name the file, line and column.
 * @example
 * const records = parseRecordsCsv(readFileSync(path, 'utf8'), path);
 */
export function parseRecordsCsv(text: string, file = 'results.csv'): ResultRecord[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (!lines.length) throw new Error(`${file}: empty (expected the header ${RECORD_COLUMNS.join(',')})`);
  if (lines[0] !== RECORD_COLUMNS.join(',')) throw new Error(`${file}:1: header is '${lines[0]}', expected '${RECORD_COLUMNS.join(',')}'`);
  return lines.slice(1).map((line, i) => {
    const f = splitCsvLine(line, file, i + 2);
    if (f.length !== RECORD_COLUMNS.length) throw new Error(`${file}:${i + 2}: ${f.length} fields, expected ${RECORD_COLUMNS.length}`);
    const number = (col: number, nullable: boolean): number | null => {
      if (f[col] === '' && nullable) return null;
      const x = Number(f[col]);
      if (f[col] === '' || (Number.isNaN(x) && f[col] !== 'NaN')) throw new Error(`${file}:${i + 2}: column '${RECORD_COLUMNS[col]}' is '${f[col]}', expected a number`);
      return x;
    };
    const still = f[13];
    if (still !== '' && still !== 'true' && still !== 'false') throw new Error(`${file}:${i + 2}: column 'still_improving' is '${still}', expected true, false or empty`);
    return {
      pipeline: f[0], run: f[1], table: f[2], method: f[3], variant: f[4], knob: f[5], metric: f[6], split: f[7],
      seed: number(8, false) as number, value: number(9, false) as number, rows: number(10, true), positives: number(11, true), se: number(12, true),
      stillImproving: still === '' ? null : still === 'true',
    };
  });
}

/** Which records to take: every given field must match exactly. */
export type RecordFilter = Partial<Pick<ResultRecord, 'table' | 'method' | 'variant' | 'knob' | 'metric' | 'split'>>;

/**
 * Records matching a filter, sorted by seed; duplicate seeds within the selection are an error (each seed is one
 * observation).
 * @example
 * select(records, { table: 'main', method: 'DIN', metric: 'auc', split: 'test' });
 */
export function select(records: ReadonlyArray<ResultRecord>, filter: RecordFilter): ResultRecord[] {
  const keys = Object.keys(filter) as Array<keyof RecordFilter>;
  const out = records.filter((r) => keys.every((k) => r[k] === filter[k])).sort((a, b) => a.seed - b.seed);
  for (let i = 1; i < out.length; i++) {
    if (out[i].seed === out[i - 1].seed) throw new Error(`records: seed ${out[i].seed} appears twice for ${JSON.stringify(filter)} (add variant/knob/split to tell them apart)`);
  }
  return out;
}
