/**
 * A reproduced table, computed from tidy records (src/evidence/records.ts): per method and metric, mean ± std over
 * seeds, the relative improvement over the paper's base method (declared, never chosen from results), and the paired
 * difference against the base with a 95% interval that combines seed variance and test-set sampling, its p-value and
 * the minimum detectable effect (src/evidence/stats.ts). Rows whose fits were still improving at the end of their
 * epoch budget are flagged; metrics that rest on fewer test positives than the reliable-task threshold are flagged.
 * Reference rows (the world's ground-truth ceiling) are shown beside the methods and never enter the statistics.
 * Pure: (records) -> table; renderers to Markdown and CSV.
 */
import { meanStd } from '../metrics/index.ts';
import { combineSeedsAndTest, type Comparison } from '../evidence/stats.ts';
import { EVIDENCE_DEFAULTS } from '../evidence/rules.ts';
import type { ResultRecord } from '../evidence/records.ts';

/**
 * One method's numbers: values[metric][i] is seed i's value. The optional fields feed the evidence columns:
 * se[metric][i] the test-sampling SE of that value, rows/positives[metric][i] what it rests on, stillImproving[i]
 * whether seed i's fit was best at its last allowed epoch.
 */
export interface MethodResult {
  method: string;
  seeds: number[];
  values: Record<string, number[]>;
  se?: Record<string, number[]>;
  rows?: Record<string, number[]>;
  positives?: Record<string, number[]>;
  stillImproving?: boolean[];
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
  /** Two-sided p-value of the paired difference against the base (seed and test-set noise); null for the base or n < 2. */
  pValue: number | null;
  /** Paired comparison with the base (diff = method - base); null for the base. */
  comparison: Comparison | null;
  /** Fewest test positives behind the value over seeds (null when not recorded). */
  positives: number | null;
}

/** A reference row (ceiling, paper numbers): single values per metric, shown but not compared. */
export interface ReferenceRow {
  label: string;
  values: Record<string, number | null>;
  note: string;
}

/** The assembled table. */
export interface ResultTable {
  /** Stable id that records and claims use (e.g. 'main'). */
  id: string;
  title: string;
  base: string;
  metrics: MetricColumn[];
  rows: Array<{ method: string; cells: Record<string, Cell>; stillImproving: number[] }>;
  references: ReferenceRow[];
  /** Sentences a reader must see (orderings, failed expectations, ...). */
  notes: string[];
  /** The records the table was computed from (pipeline and run are filled in by the runner). */
  records: ResultRecord[];
  /** Number of seeds behind every row. */
  seeds: number;
}

/** A file-safe id from a title: 'CTR baselines (3 seeds)' -> 'ctr-baselines'. Seed counts in parentheses are dropped. */
export function tableIdFromTitle(title: string): string {
  return title.replace(/\([^)]*seeds?[^)]*\)/gi, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Converts per-seed method results into records of one table.
 * @example
 * methodResultsToRecords('main', [{ method: 'DNN', seeds: [1, 2], values: { auc: [0.7, 0.71] } }]);
 */
export function methodResultsToRecords(table: string, results: ReadonlyArray<MethodResult>, split = 'test'): ResultRecord[] {
  const out: ResultRecord[] = [];
  for (const r of results) {
    const seen = new Set<number>();
    for (const s of r.seeds) {
      if (seen.has(s)) throw new Error(`result table '${table}': method '${r.method}' lists seed ${s} twice ([${r.seeds}]); seeds must be distinct`);
      seen.add(s);
    }
    for (const [metric, xs] of Object.entries(r.values)) {
      if (xs.length !== r.seeds.length) throw new Error(`result table '${table}': method '${r.method}' has ${xs.length} values of '${metric}' for ${r.seeds.length} seeds`);
      xs.forEach((value, i) => {
        out.push({
          pipeline: '', run: '', table, method: r.method, variant: '', knob: '', metric, split, seed: r.seeds[i], value,
          rows: r.rows?.[metric]?.[i] ?? null, positives: r.positives?.[metric]?.[i] ?? null, se: r.se?.[metric]?.[i] ?? null,
          stillImproving: r.stillImproving?.[i] ?? null,
        });
      });
    }
  }
  return out;
}

/**
 * Builds a table from per-seed results (through records, see {@link tableFromRecords}). Seeds must match across
 * methods (paired comparisons) and be distinct; errors name the method.
 * @example
 * buildResultTable({ title: 'CTR', base: 'DNN', metrics: [{ name: 'auc', higherIsBetter: true }],
 *   results: [{ method: 'DNN', seeds: [1, 2], values: { auc: [0.70, 0.71] } },
 *             { method: 'DIN', seeds: [1, 2], values: { auc: [0.72, 0.73] } }] });
 */
export function buildResultTable(args: {
  id?: string;
  title: string;
  base: string;
  metrics: MetricColumn[];
  results: MethodResult[];
  references?: ReferenceRow[];
  notes?: string[];
  split?: string;
  minPositives?: number;
}): ResultTable {
  const id = args.id ?? tableIdFromTitle(args.title);
  const base = args.results.find((r) => r.method === args.base);
  if (!base) throw new Error(`result table '${args.title}': base method '${args.base}' has no results (methods: ${args.results.map((r) => r.method).join(', ')})`);
  for (const r of args.results) {
    if (r.seeds.join(',') !== base.seeds.join(',')) throw new Error(`result table '${args.title}': method '${r.method}' ran seeds [${r.seeds}] but the base ran [${base.seeds}]`);
    for (const m of args.metrics) {
      const xs = r.values[m.name];
      if (!xs || xs.length !== r.seeds.length) throw new Error(`result table '${args.title}': method '${r.method}' lacks metric '${m.name}' for every seed`);
    }
  }
  const records = methodResultsToRecords(id, args.results, args.split);
  return tableFromRecords(records, { ...args, id, methods: args.results.map((r) => r.method) });
}

/**
 * Assembles a table from records of one table id (and one variant/knob/split, which must already be filtered):
 * cells per method and metric, comparisons with the base, flags for fits still improving and for metrics resting on
 * fewer than `minPositives` test positives (default 100).
 * @example
 * tableFromRecords(records, { id: 'main', title: 'Main', base: 'DNN', metrics: [{ name: 'auc', higherIsBetter: true }] });
 */
export function tableFromRecords(
  records: ReadonlyArray<ResultRecord>,
  args: { id: string; title: string; base: string; metrics: MetricColumn[]; methods?: string[]; references?: ReferenceRow[]; notes?: string[]; minPositives?: number },
): ResultTable {
  const minPositives = args.minPositives ?? EVIDENCE_DEFAULTS.minPositives;
  const mine = records.filter((r) => r.table === args.id);
  const methods = args.methods ?? [...new Set(mine.map((r) => r.method))];
  const cellRecords = (method: string, metric: string) => mine.filter((r) => r.method === method && r.metric === metric).sort((a, b) => a.seed - b.seed);
  if (!methods.includes(args.base)) throw new Error(`result table '${args.title}': base method '${args.base}' has no records (methods: ${methods.join(', ')})`);
  /** metric -> method -> its smallest test positives below the threshold (one note entry per metric). */
  const unreliable = new Map<string, Map<string, number>>();
  const rows = methods.map((method) => {
    const cells: Record<string, Cell> = {};
    const still = new Set<number>();
    for (const m of args.metrics) {
      const rs = cellRecords(method, m.name);
      const bs = cellRecords(args.base, m.name);
      if (!rs.length) throw new Error(`result table '${args.title}': method '${method}' has no records of metric '${m.name}'`);
      for (const r of rs) if (r.stillImproving) still.add(r.seed);
      const { mean, std, n } = meanStd(rs.map((r) => r.value));
      const isBase = method === args.base;
      const b = meanStd(bs.map((r) => r.value)).mean;
      const sign = m.higherIsBetter ? 1 : -1;
      let comparison: Comparison | null = null;
      if (!isBase) {
        const bySeed = new Map(bs.map((r) => [r.seed, r]));
        const pairs = rs.map((r) => {
          const other = bySeed.get(r.seed);
          if (!other) throw new Error(`result table '${args.title}': method '${method}' has seed ${r.seed} but the base '${args.base}' does not`);
          return [r, other] as const;
        });
        const withSe = pairs.every(([x, y]) => x.se !== null && y.se !== null && Number.isFinite(x.se) && Number.isFinite(y.se));
        comparison = combineSeedsAndTest(pairs.map(([x, y]) => x.value - y.value), withSe ? pairs.map(([x, y]) => (x.se as number) ** 2 + (y.se as number) ** 2) : null);
      }
      const pos = rs.map((r) => r.positives).filter((x): x is number => x !== null);
      const positives = pos.length ? Math.min(...pos) : null;
      if (positives !== null && positives < minPositives) {
        const byMethod = unreliable.get(m.name) ?? new Map<string, number>();
        byMethod.set(method, Math.min(positives, byMethod.get(method) ?? Infinity));
        unreliable.set(m.name, byMethod);
      }
      cells[m.name] = {
        mean,
        std: n < 2 ? Number.NaN : std,
        n,
        relImpPct: isBase || b === 0 ? null : (sign * (mean - b) / Math.abs(b)) * 100,
        pValue: comparison?.p ?? null,
        comparison,
        positives,
      };
    }
    return { method, cells, stillImproving: [...still].sort((a, b) => a - b) };
  });
  const notes = [...(args.notes ?? [])];
  if (unreliable.size) {
    const entries = [...unreliable].map(([metric, byMethod]) => {
      const counts = [...new Set(byMethod.values())];
      const who = byMethod.size === rows.length ? 'every method' : [...byMethod.keys()].join(', ');
      return `${metric} (${who}: ${counts.length === 1 ? counts[0] : `${Math.min(...counts)}-${Math.max(...counts)}`} test positives)`;
    });
    notes.push(`Unreliable (fewer than ${minPositives} test positives; shown, but left out of summaries and verdicts): ${entries.join('; ')}.`);
  }
  const seeds = rows[0]?.cells[args.metrics[0]?.name]?.n ?? 0;
  return { id: args.id, title: args.title, base: args.base, metrics: args.metrics, rows, references: args.references ?? [], notes, records: [...mine], seeds };
}

function fmt(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function fmtP(p: number | null): string {
  if (p === null) return '';
  return p < 1e-4 ? 'p<1e-4' : `p=${p.toFixed(4)}`;
}

function fmtSigned(x: number): string {
  return `${x >= 0 ? '+' : ''}${fmt(x)}`;
}

/**
 * Renders the table as Markdown: one row per method with `mean ± std (rel. impr., p)` per metric (`mean (1 seed)`
 * with one seed; † marks fits still improving), the reference rows, the comparisons with the base (difference, 95%
 * interval, p, MDE), then the notes.
 */
export function tableToMarkdown(t: ResultTable): string {
  const head = ['method', ...t.metrics.map((m) => `${m.name} ${m.higherIsBetter ? '↑' : '↓'}`)];
  const lines = [`### ${t.title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of t.rows) {
    const cells = t.metrics.map((m) => {
      const c = r.cells[m.name];
      const extra = r.method === t.base ? ' (base)' : c.relImpPct === null ? '' : ` (${c.relImpPct >= 0 ? '+' : ''}${c.relImpPct.toFixed(2)}%${c.pValue === null ? '' : `, ${fmtP(c.pValue)}`})`;
      return c.n < 2 ? `${fmt(c.mean)} (1 seed)${extra}` : `${fmt(c.mean)} ± ${fmt(c.std)}${extra}`;
    });
    lines.push(`| ${r.method}${r.stillImproving.length ? ' †' : ''} | ${cells.join(' | ')} |`);
  }
  for (const ref of t.references) {
    lines.push(`| *${ref.label}* | ${t.metrics.map((m) => (ref.values[m.name] == null ? '' : fmt(ref.values[m.name] as number))).join(' | ')} |`);
  }
  const comps = t.rows.flatMap((r) => t.metrics.map((m) => ({ method: r.method, metric: m.name, c: r.cells[m.name].comparison })).filter((x) => x.c !== null && Number.isFinite(x.c.se)));
  if (comps.length) {
    lines.push('', `| vs ${t.base} | metric | difference | 95% CI | p | MDE |`, '|---|---|---|---|---|---|');
    for (const { method, metric, c } of comps) {
      const cc = c as Comparison;
      lines.push(`| ${method} | ${metric} | ${fmtSigned(cc.diff)} | [${fmt(cc.ci[0])}, ${fmt(cc.ci[1])}] | ${cc.p === null ? '—' : fmtP(cc.p)} | ${fmt(cc.mde)} |`);
    }
  }
  const testSe = t.records.some((r) => r.se !== null);
  lines.push(
    '',
    t.seeds < 2
      ? `1 seed: no std and no test. Base: ${t.base}.`
      : `mean ± sample std over ${t.seeds} seeds; relative improvement and the paired difference against ${t.base} (the base declared by the pipeline); the 95% interval and p combine seed variance${testSe ? ' with test-set sampling (each side\'s test SE, which errs wide)' : ' only (no test-set SE recorded for this table)'}; MDE = minimum detectable effect at 80% power.`,
  );
  const still = t.rows.filter((r) => r.stillImproving.length);
  if (still.length) lines.push('', `† still improving: the best validation epoch was the last one allowed (${still.map((r) => `${r.method}: seeds ${r.stillImproving.join(', ')}`).join('; ')}).`);
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
