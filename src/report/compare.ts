/**
 * Ours vs the paper, as pure functions: Kendall's tau-b (ties handled) over the methods both tables have, side-by-side
 * rows (the paper's number with its source, ours as mean ± std) and a sentence on whether the orderings agree.
 *
 * Matching a reproduced table with registered numbers (see paper-numbers.ts): a registered table's cells for one
 * metric (and data set) are compared with a reproduced table when the metric names are equal after {@link metricKey}
 * ('CVR-AUC' = 'cvr_auc' = 'cvrAuc') and at least one method name is the same. Where a registered table holds the same
 * metric for several data sets, a data set is used only when the reproduced table's title names it (or a column is
 * named data set + metric, e.g. 'cell-hr@10'), so the Amazon number is never compared with a run on another data set.
 */
import type { Cell, ResultTable } from '../pipelines/result-table.ts';
import type { PaperNumber } from './paper-numbers.ts';

/**
 * Kendall's tau-b of two paired samples: (concordant − discordant) / sqrt((n0 − tiesX)(n0 − tiesY)), n0 = n(n−1)/2.
 * Pairs tied in either sample count as neither. Returns null when n < 2 or when one sample is entirely tied.
 * @example
 * kendallTauB([1, 2, 3, 4], [1, 3, 2, 4]); // 0.6667 (one discordant pair of six)
 * kendallTauB([1, 2, 2, 3], [1, 2, 3, 3]); // 0.8 (one tie in each)
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new Error(`kendallTauB: samples differ in length (${x.length} vs ${y.length})`);
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[j] - x[i]);
      const dy = Math.sign(y[j] - y[i]);
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denom = Math.sqrt((n0 - tiesX) * (n0 - tiesY));
  return n < 2 || denom === 0 ? null : (concordant - discordant) / denom;
}

/**
 * Normalised metric (or data set) name: lower case, letters and digits only.
 * @example
 * metricKey('CVR-AUC') === metricKey('cvr_auc'); // true
 */
export function metricKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** One method in a side-by-side comparison: the paper's cell (null when it has none) and ours (null when we have none). */
export interface ComparisonRow {
  method: string;
  paper: PaperNumber | null;
  ours: Cell | null;
}

/** One registered table × metric (× data set) compared with one reproduced table. */
export interface Comparison {
  /** Registered table id, data set and metric name (the paper's spelling). */
  paperTable: string;
  dataset?: string;
  metric: string;
  /** The reproduced table's title and the matching column. */
  ourTable: string;
  ourMetric: string;
  higherIsBetter: boolean;
  /** Our methods in our order, then the paper's methods we lack. */
  rows: ComparisonRow[];
  /** Methods with a paper number and ours, in our order; tau is computed over these. */
  common: string[];
  tau: number | null;
  sentence: string;
}

function orderText(items: Array<{ method: string; value: number }>, higherIsBetter: boolean): string {
  const sorted = [...items].sort((a, b) => (higherIsBetter ? b.value - a.value : a.value - b.value));
  return sorted.map((it, i) => (i === 0 ? it.method : `${it.value === sorted[i - 1].value ? ' = ' : ' > '}${it.method}`)).join('');
}

/**
 * The sentence on ordering agreement: both orders (best first; '=' for ties) and tau-b with a verdict
 * (1 same order, ≥ 0.6 mostly agrees, > 0.2 partly agrees, ≥ −0.2 no clear agreement, > −1 mostly disagrees, −1 reversed).
 * @example
 * orderingSentence({ metric: 'AUC', higherIsBetter: true,
 *   paper: [{ method: 'A', value: 0.7 }, { method: 'B', value: 0.6 }], ours: [{ method: 'A', value: 0.71 }, { method: 'B', value: 0.69 }] });
 * // 'Ordering on AUC over the 2 methods both tables have — paper: A > B; ours: A > B. Kendall τ-b = 1.00: same order.'
 */
export function orderingSentence(args: {
  metric: string;
  higherIsBetter: boolean;
  paper: Array<{ method: string; value: number }>;
  ours: Array<{ method: string; value: number }>;
}): string {
  const n = args.paper.length;
  if (n < 2) return `Ordering on ${args.metric} not compared: ${n === 0 ? 'no method has' : 'only one method has'} a number in both tables.`;
  const ourValue = new Map(args.ours.map((o) => [o.method, o.value]));
  const tau = kendallTauB(args.paper.map((p) => p.value), args.paper.map((p) => ourValue.get(p.method) ?? Number.NaN));
  const head = `Ordering on ${args.metric} over the ${n} methods both tables have — paper: ${orderText(args.paper, args.higherIsBetter)}; ours: ${orderText(args.ours, args.higherIsBetter)}.`;
  if (tau === null) return `${head} Kendall τ-b undefined (all values tied in one table).`;
  const eps = 1e-12;
  const verdict = tau >= 1 - eps ? 'same order' : tau >= 0.6 ? 'mostly agrees' : tau > 0.2 ? 'partly agrees' : tau >= -0.2 ? 'no clear agreement' : tau > -1 + eps ? 'mostly disagrees' : 'reversed order';
  return `${head} Kendall τ-b = ${tau.toFixed(2)}: ${verdict}.`;
}

/**
 * Compares one reproduced table with registered cells (usually all of one paper's): one {@link Comparison} per
 * registered table × metric (× data set) that matches (see the module comment); none when nothing matches.
 * @example
 * const comps = compareWithPaper(run.tables[0], paperNumbers('chorus-cvr'));
 * comps.map((c) => c.sentence);
 */
export function compareWithPaper(ours: ResultTable, numbers: readonly PaperNumber[]): Comparison[] {
  const groups = new Map<string, PaperNumber[]>();
  for (const n of numbers) {
    const key = [n.table, n.dataset ?? '', n.metric].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  // data sets per registered table × metric: more than one means the title must name the data set
  const datasets = new Map<string, Set<string>>();
  for (const n of numbers) {
    const key = `${n.table}\u0000${metricKey(n.metric)}`;
    datasets.set(key, (datasets.get(key) ?? new Set()).add(n.dataset ?? ''));
  }
  const title = metricKey(ours.title);
  const out: Comparison[] = [];
  for (const cells of groups.values()) {
    const { table, dataset, metric } = cells[0];
    const ambiguous = (datasets.get(`${table}\u0000${metricKey(metric)}`)?.size ?? 0) > 1;
    const dsKey = dataset === undefined ? '' : metricKey(dataset.split(' (')[0]);
    const column = ours.metrics.find((m) => {
      const k = metricKey(m.name);
      if (k === metricKey(metric)) return !ambiguous || (dsKey !== '' && title.includes(dsKey));
      return dsKey !== '' && ambiguous && k === dsKey + metricKey(metric);
    });
    if (!column) continue;
    const byMethod = new Map(cells.map((c) => [c.method, c]));
    if (!ours.rows.some((r) => byMethod.has(r.method))) continue;
    const rows: ComparisonRow[] = ours.rows.map((r) => ({ method: r.method, paper: byMethod.get(r.method) ?? null, ours: r.cells[column.name] ?? null }));
    for (const c of cells) if (!ours.rows.some((r) => r.method === c.method)) rows.push({ method: c.method, paper: c, ours: null });
    const both = rows.filter((r) => r.paper?.value != null && r.ours !== null && Number.isFinite(r.ours.mean));
    const paperVals = both.map((r) => ({ method: r.method, value: r.paper!.value as number }));
    const ourVals = both.map((r) => ({ method: r.method, value: r.ours!.mean }));
    out.push({
      paperTable: table,
      ...(dataset === undefined ? {} : { dataset }),
      metric,
      ourTable: ours.title,
      ourMetric: column.name,
      higherIsBetter: column.higherIsBetter,
      rows,
      common: both.map((r) => r.method),
      tau: both.length < 2 ? null : kendallTauB(paperVals.map((p) => p.value), ourVals.map((o) => o.value)),
      sentence: orderingSentence({ metric, higherIsBetter: column.higherIsBetter, paper: paperVals, ours: ourVals }),
    });
  }
  return out;
}
