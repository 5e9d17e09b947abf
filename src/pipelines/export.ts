/**
 * Results as data: a run folder's tidy records as rows or as a danfo DataFrame, and its tables exported as Markdown or
 * LaTeX (booktabs: mean ± std per cell, the best mean per column in bold, significance marks against the base), all
 * computed from results.csv and the table layouts in results.json — never from the rendered table.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecordsCsv, type ResultRecord } from '../evidence/records.ts';
import { tableFromRecords, tableToMarkdown, type MetricColumn, type ReferenceRow, type ResultTable } from './result-table.ts';
import type { DataFrame } from 'danfojs-node';
import { RECORD_COLUMNS } from '../evidence/records.ts';

/** The table layout results.json keeps for each table (the numbers come from results.csv). */
interface TableLayout {
  id: string;
  title: string;
  base: string;
  metrics: MetricColumn[];
  rows: Array<{ method: string }>;
  references?: ReferenceRow[];
  notes?: string[];
}

/**
 * A run folder's records (results.csv); errors name the folder and say what is missing.
 * @example
 * const rows = readRunRecords('results/baselines-ctr/20261205-090000-evidence');
 */
export function readRunRecords(runDir: string): ResultRecord[] {
  const file = join(runDir, 'results.csv');
  if (!existsSync(file)) throw new Error(`${runDir}: no results.csv (not a run folder, or a run made before tidy records existed)`);
  return parseRecordsCsv(readFileSync(file, 'utf8'), file);
}

/**
 * Records as a danfo DataFrame, one row per measured number, columns as in results.csv (nulls: NaN for numbers, ''
 * for still_improving).
 * @example
 * (await recordsToDataFrame(run.records)).print();
 */
export async function recordsToDataFrame(records: ReadonlyArray<ResultRecord>): Promise<DataFrame> {
  const n = (x: number | null) => (x === null ? Number.NaN : x);
  const data: Record<(typeof RECORD_COLUMNS)[number], Array<string | number>> = {
    pipeline: records.map((r) => r.pipeline), run: records.map((r) => r.run), table: records.map((r) => r.table), method: records.map((r) => r.method),
    variant: records.map((r) => r.variant), knob: records.map((r) => r.knob), metric: records.map((r) => r.metric), split: records.map((r) => r.split),
    seed: records.map((r) => r.seed), value: records.map((r) => r.value), rows: records.map((r) => n(r.rows)), positives: records.map((r) => n(r.positives)),
    se: records.map((r) => n(r.se)), still_improving: records.map((r) => (r.stillImproving === null ? '' : String(r.stillImproving))),
  };
  const { DataFrame: DF } = await import('danfojs-node');
  return records.length ? new DF(data) : new DF([], { columns: [...RECORD_COLUMNS] });
}

/**
 * A run's records as a danfo DataFrame, one row per measured number (columns as in results.csv).
 * @example
 * const df = await results('results/baselines-ctr/20261205-090000-evidence');
 * df.query(df.metric.eq('auc')).groupby(['method']).col(['value']).mean().print();
 */
export async function results(runDir: string): Promise<DataFrame> {
  return recordsToDataFrame(readRunRecords(runDir));
}

/**
 * The run's tables recomputed from its records (results.csv) with the layouts saved in results.json.
 * @example
 * runTables(dir).map(tableToMarkdown);
 */
export function runTables(runDir: string): ResultTable[] {
  const file = join(runDir, 'results.json');
  if (!existsSync(file)) throw new Error(`${runDir}: no results.json`);
  const layouts = (JSON.parse(readFileSync(file, 'utf8')) as { tables?: TableLayout[] }).tables ?? [];
  const records = readRunRecords(runDir);
  return layouts.map((t, i) => {
    if (!t.id) throw new Error(`${file}: table ${i} ('${t.title}') has no id (a run made before tidy records existed)`);
    return tableFromRecords(records, { id: t.id, title: t.title, base: t.base, metrics: t.metrics, methods: t.rows.map((r) => r.method), references: t.references, notes: t.notes });
  });
}

const LATEX_SPECIALS: Record<string, string> = { '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_', '{': '\\{', '}': '\\}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}', '\\': '\\textbackslash{}' };

/** Escapes LaTeX's special characters. */
export function latexEscape(s: string): string {
  return s.replace(/[&%$#_{}~^\\]/g, (c) => LATEX_SPECIALS[c]);
}

/**
 * One table as a LaTeX booktabs tabular: `mean ± std` per cell (`mean` alone with one seed), the best mean per column in
 * bold, a dagger on cells whose paired difference with the base is significant (p < 0.05, seed and test-set noise),
 * reference rows (ceilings) in italics below a mid rule. Needs `\usepackage{booktabs}`.
 * @example
 * writeFileSync('main.tex', tableToLatex(runTables(dir)[0]));
 */
export function tableToLatex(t: ResultTable, options: { digits?: number; alpha?: number } = {}): string {
  const { digits = 4, alpha = 0.05 } = options;
  const best = new Map<string, number>();
  for (const m of t.metrics) {
    const means = t.rows.map((r) => r.cells[m.name].mean).filter(Number.isFinite);
    if (means.length) best.set(m.name, m.higherIsBetter ? Math.max(...means) : Math.min(...means));
  }
  const lines = [
    `% ${t.title} — generated by reclab from results.csv`,
    `\\begin{tabular}{l${'c'.repeat(t.metrics.length)}}`,
    '\\toprule',
    `Method & ${t.metrics.map((m) => `${latexEscape(m.name)} ${m.higherIsBetter ? '$\\uparrow$' : '$\\downarrow$'}`).join(' & ')} \\\\`,
    '\\midrule',
  ];
  for (const r of t.rows) {
    const cells = t.metrics.map((m) => {
      const c = r.cells[m.name];
      const body = c.n < 2 ? c.mean.toFixed(digits) : `${c.mean.toFixed(digits)} $\\pm$ ${c.std.toFixed(digits)}`;
      const bold = best.get(m.name) === c.mean ? `\\textbf{${body}}` : body;
      const sig = c.pValue !== null && c.pValue < alpha ? '$^\\dagger$' : '';
      return bold + sig;
    });
    lines.push(`${latexEscape(r.method)}${r.method === t.base ? ' (base)' : ''} & ${cells.join(' & ')} \\\\`);
  }
  if (t.references.length) {
    lines.push('\\midrule');
    for (const ref of t.references) lines.push(`\\textit{${latexEscape(ref.label)}} & ${t.metrics.map((m) => (ref.values[m.name] == null ? '' : (ref.values[m.name] as number).toFixed(digits))).join(' & ')} \\\\`);
  }
  lines.push('\\bottomrule', '\\end{tabular}', `% mean $\\pm$ std over ${t.seeds} seed(s); bold: best mean per column; $^\\dagger$: paired difference with ${latexEscape(t.base)} significant at ${alpha} (seed and test-set noise).`);
  return `${lines.join('\n')}\n`;
}

/** Export formats of {@link exportRun}. */
export type ExportFormat = 'csv' | 'md' | 'latex';

/**
 * A run exported as tidy CSV (its records), Markdown or LaTeX (its tables, recomputed from the records).
 * @example
 * process.stdout.write(exportRun('results/baselines-ctr/<run-id>', 'latex'));
 */
export function exportRun(runDir: string, format: ExportFormat): string {
  if (format === 'csv') return readFileSync(join(runDir, 'results.csv'), 'utf8');
  const tables = runTables(runDir);
  if (format === 'md') return tables.map(tableToMarkdown).join('\n');
  if (format === 'latex') return tables.map((t) => tableToLatex(t)).join('\n');
  throw new Error(`export: format must be csv, md or latex, got '${String(format)}'`);
}
