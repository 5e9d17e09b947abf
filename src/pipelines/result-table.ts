/**
 * A reproduced table: per-seed numbers of every method -> mean ± std, relative improvement over a named base method,
 * and a paired t-test against the base over seeds. Reference rows (the world's ground-truth ceiling, a paper's number)
 * are shown beside the methods and never enter the statistics. Pure: (data) -> table; renderers to Markdown and CSV.
 */
import { meanStd, pairedTTest } from '../metrics/index.ts';

/** One method's numbers: values[metric][i] is seed i's value. */
export interface MethodResult {
  method: string;
  seeds: number[];
  values: Record<string, number[]>;
}

/** A metric column: its name and whether larger is better. */
export interface MetricColumn {
  name: string;
  higherIsBetter: boolean;
}

/** One cell: statistics over seeds. */
export interface Cell {
  mean: number;
  std: number;
  n: number;
  /**
   * Relative improvement over the base method, in percent (sign follows "better"); null for the base itself and
   * when the base's mean is 0 (no relative change is defined).
   */
  relImpPct: number | null;
  /** Two-sided paired t-test p-value against the base over the same seeds; null for the base or when n < 2. */
  pValue: number | null;
}

/** A reference row (ceiling, paper numbers): single values per metric, shown but not compared. */
export interface ReferenceRow {
  label: string;
  values: Record<string, number | null>;
  note: string;
}

/** The assembled table. */
export interface ResultTable {
  title: string;
  base: string;
  metrics: MetricColumn[];
  rows: Array<{ method: string; cells: Record<string, Cell> }>;
  references: ReferenceRow[];
  /** Sentences a reader must see (orderings, failed expectations, ...). */
  notes: string[];
}

/**
 * Builds a table from per-seed results. Seeds must match across methods (paired test); errors name the method.
 * @example
 * buildResultTable({ title: 'CTR', base: 'DNN', metrics: [{ name: 'auc', higherIsBetter: true }],
 *   results: [{ method: 'DNN', seeds: [1, 2], values: { auc: [0.70, 0.71] } },
 *             { method: 'DIN', seeds: [1, 2], values: { auc: [0.72, 0.73] } }] });
 */
export function buildResultTable(args: {
  title: string;
  base: string;
  metrics: MetricColumn[];
  results: MethodResult[];
  references?: ReferenceRow[];
  notes?: string[];
}): ResultTable {
  const base = args.results.find((r) => r.method === args.base);
  if (!base) throw new Error(`result table '${args.title}': base method '${args.base}' has no results (methods: ${args.results.map((r) => r.method).join(', ')})`);
  const rows = args.results.map((r) => {
    if (r.seeds.join(',') !== base.seeds.join(',')) throw new Error(`result table '${args.title}': method '${r.method}' ran seeds [${r.seeds}] but the base ran [${base.seeds}]`);
    const cells: Record<string, Cell> = {};
    for (const m of args.metrics) {
      const xs = r.values[m.name];
      if (!xs || xs.length !== r.seeds.length) throw new Error(`result table '${args.title}': method '${r.method}' lacks metric '${m.name}' for every seed`);
      const { mean, std, n } = meanStd(xs);
      const isBase = r.method === args.base;
      const b = meanStd(base.values[m.name]).mean;
      const sign = m.higherIsBetter ? 1 : -1;
      cells[m.name] = {
        mean,
        std,
        n,
        relImpPct: isBase || b === 0 ? null : (sign * (mean - b) / Math.abs(b)) * 100,
        pValue: isBase || n < 2 ? null : pairedTTest(xs, base.values[m.name]).pValue,
      };
    }
    return { method: r.method, cells };
  });
  return { title: args.title, base: args.base, metrics: args.metrics, rows, references: args.references ?? [], notes: args.notes ?? [] };
}

function fmt(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function fmtP(p: number | null): string {
  if (p === null) return '';
  return p < 1e-4 ? 'p<1e-4' : `p=${p.toFixed(4)}`;
}

/**
 * Renders the table as Markdown: one row per method with `mean ± std (rel. impr., p)` per metric, then the reference
 * rows, then the notes.
 */
export function tableToMarkdown(t: ResultTable): string {
  const head = ['method', ...t.metrics.map((m) => `${m.name} ${m.higherIsBetter ? '↑' : '↓'}`)];
  const lines = [`### ${t.title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of t.rows) {
    const cells = t.metrics.map((m) => {
      const c = r.cells[m.name];
      const extra = r.method === t.base ? ' (base)' : c.relImpPct === null ? '' : ` (${c.relImpPct >= 0 ? '+' : ''}${c.relImpPct.toFixed(2)}%${c.pValue === null ? '' : `, ${fmtP(c.pValue)}`})`;
      return `${fmt(c.mean)} ± ${fmt(c.std)}${extra}`;
    });
    lines.push(`| ${r.method} | ${cells.join(' | ')} |`);
  }
  for (const ref of t.references) {
    lines.push(`| *${ref.label}* | ${t.metrics.map((m) => (ref.values[m.name] == null ? '' : fmt(ref.values[m.name] as number))).join(' | ')} |`);
  }
  const n = t.rows[0]?.cells[t.metrics[0]?.name]?.n ?? 0;
  lines.push('', `mean ± sample std over ${n} seeds; relative improvement and two-sided paired t-test against ${t.base}.`);
  for (const ref of t.references) lines.push(`*${ref.label}*: ${ref.note}`);
  for (const note of t.notes) lines.push('', note);
  return `${lines.join('\n')}\n`;
}

/** Renders the table as CSV: method, then per metric mean, std, rel_imp_pct, p_value; reference rows carry means only. */
export function tableToCsv(t: ResultTable): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const head = ['method', 'kind', ...t.metrics.flatMap((m) => [`${m.name}_mean`, `${m.name}_std`, `${m.name}_rel_imp_pct`, `${m.name}_p_value`])];
  const lines = [head.join(',')];
  for (const r of t.rows) {
    lines.push([q(r.method), 'method', ...t.metrics.flatMap((m) => {
      const c = r.cells[m.name];
      return [String(c.mean), String(c.std), c.relImpPct === null ? '' : String(c.relImpPct), c.pValue === null ? '' : String(c.pValue)];
    })].join(','));
  }
  for (const ref of t.references) {
    lines.push([q(ref.label), 'reference', ...t.metrics.flatMap((m) => [ref.values[m.name] == null ? '' : String(ref.values[m.name]), '', '', ''])].join(','));
  }
  return `${lines.join('\n')}\n`;
}
