/**
 * HTML for the report's tables: a reproduced table, ours beside the paper's numbers, the paper's registered tables,
 * and simulated A/B lifts with their intervals. Every string that comes from data, config or the registry goes
 * through escapeHtml; numbers are formatted here. Sources are numbered per section ({@link SourceNotes}) and listed
 * at its end.
 */
import { escapeHtml as esc } from '../plots/export.ts';
import type { Cell, ResultTable } from '../pipelines/result-table.ts';
import type { Comparison } from './compare.ts';
import type { PaperInfo, PaperNumber, PaperNumberSource } from './paper-numbers.ts';
import type { AbTest } from './ab-tests.ts';
import { smokeBadge } from './verdicts.ts';

/**
 * A number for display: `digits` decimals (default 4 below 10 in magnitude, else 2); '—' for null or non-finite.
 * @example
 * fmtNumber(0.67459); // '0.6746'
 * fmtNumber(129);     // '129.00'
 * fmtNumber(null);    // '—'
 */
export function fmtNumber(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toFixed(digits ?? (Math.abs(x) < 10 ? 4 : 2));
}

const KIND_LABEL: Record<PaperNumberSource['kind'], string> = {
  paper: 'paper',
  'third-party': 'third-party summary',
  'community-reimplementation': 'community re-implementation',
};

/**
 * Numbers the sources of one section: the same source (kind, where, url) gets the same number; `html()` lists them.
 * @example
 * const notes = new SourceNotes();
 * notes.ref(cell.source); // 1
 * notes.html();           // '<h4>Sources of the paper numbers</h4><ol>...'
 */
export class SourceNotes {
  private readonly sources: PaperNumberSource[] = [];

  /** The note number of `source` (added when new). */
  ref(source: PaperNumberSource): number {
    const i = this.sources.findIndex((s) => s.kind === source.kind && s.where === source.where && s.url === source.url);
    if (i >= 0) return i + 1;
    this.sources.push(source);
    return this.sources.length;
  }

  /** The numbered list of sources (empty string when none). */
  html(): string {
    if (this.sources.length === 0) return '';
    const items = this.sources.map((s, i) => {
      const url = s.url ? ` <a href="${esc(s.url)}">${esc(s.url)}</a>` : '';
      return `<li value="${i + 1}"><span class="src src-${esc(s.kind)}">${esc(KIND_LABEL[s.kind])}${s.verified ? '' : ', unverified'}</span> ${esc(s.where)}${url}</li>`;
    });
    return `<h4>Sources of the paper numbers</h4>\n<ol class="reclab-sources">\n${items.join('\n')}\n</ol>\n`;
  }
}

/** What {@link paperCellHtml} shows besides the number (default everything), and the decimals to show. */
export interface PaperCellParts {
  source?: boolean;
  unit?: boolean;
  note?: boolean;
  /** Decimals (default: as registered); a column passes its widest so 1.1 prints as 1.10 beside 1.33. */
  digits?: number;
}

function decimals(v: number | null): number {
  return v === null ? 0 : (String(v).split('.')[1] ?? '').length;
}

/** The widest number of decimals among `cells` (JSON drops trailing zeros: 0.6860 is stored as 0.686). */
function columnDigits(cells: readonly PaperNumber[]): number {
  return Math.max(0, ...cells.map((n) => decimals(n.value)));
}

/**
 * A registered cell as HTML: the number as registered (or 'not available'), its unit, its source kind (unless the
 * paper) with its source's note number, and its note. `parts` leaves out what a heading already says.
 * @example
 * paperCellHtml(cell, notes); // '0.6641 <span class="src src-community-reimplementation">community re-implementation</span><sup>[1]</sup>'
 */
export function paperCellHtml(n: PaperNumber, notes: SourceNotes, parts: PaperCellParts = {}): string {
  const value = n.value === null ? '<span class="na">not available</span>' : esc(n.value.toFixed(Math.max(parts.digits ?? 0, decimals(n.value))));
  const unit = (parts.unit ?? true) && n.unit && n.value !== null ? ` <span class="unit">${esc(n.unit)}</span>` : '';
  const kind = n.source.kind === 'paper' ? '' : ` <span class="src src-${esc(n.source.kind)}">${esc(KIND_LABEL[n.source.kind])}</span>`;
  const source = (parts.source ?? true) ? `${kind}<sup>[${notes.ref(n.source)}]</sup>` : '';
  const note = (parts.note ?? true) && n.note ? ` <span class="note">(${esc(n.note)})</span>` : '';
  return `${value}${unit}${source}${note}`;
}

/** The one value `key` takes over `cells`, or undefined when they differ (or there are none). */
function shared<T>(cells: readonly PaperNumber[], key: (n: PaperNumber) => T): T | undefined {
  const vals = cells.map(key);
  return vals.length > 0 && vals.every((v) => JSON.stringify(v) === JSON.stringify(vals[0])) ? vals[0] : undefined;
}

/** The source label and note number of `cells` when they share one source ('' otherwise). */
function sharedSourceHtml(cells: readonly PaperNumber[], notes: SourceNotes): string {
  const src = shared(cells, (n) => n.source);
  if (!src) return '';
  return `${src.kind === 'paper' ? '' : ` <span class="src src-${esc(src.kind)}">${esc(KIND_LABEL[src.kind])}</span>`}<sup>[${notes.ref(src)}]</sup>`;
}

function cellHtml(c: Cell | null | undefined, isBase: boolean): string {
  if (!c) return '';
  const extra = isBase ? ' <span class="muted">(base)</span>'
    : c.relImpPct === null ? ''
    : ` <span class="muted">(${c.relImpPct >= 0 ? '+' : ''}${c.relImpPct.toFixed(2)}%${c.pValue === null ? '' : `, ${c.pValue < 1e-4 ? 'p&lt;1e-4' : `p=${c.pValue.toFixed(4)}`}`})</span>`;
  return c.n < 2 ? `${esc(fmtNumber(c.mean))} <span class="muted">(1 seed)</span>${extra}` : `${esc(fmtNumber(c.mean))} ± ${esc(fmtNumber(c.std))}${extra}`;
}

/** The smoke-test badge after a heading or caption. */
function smokeTag(): string {
  return ` ${smokeBadge()}`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${fmtNumber(x)}`;
}

/**
 * A reproduced table (computed from the run's records): methods × metrics as mean ± std (relative improvement, p vs
 * the base; `(1 seed)` with one seed; † on fits still improving), reference rows in italics, the comparisons with the
 * base (difference, 95% interval, p, MDE), then the table's notes. `smokeTest` puts the smoke-test badge on its title.
 * @example
 * resultTableHtml(run.tables[0], { smokeTest: run.smokeTest }); // '<h4>...</h4><table class="reclab-table">...'
 */
export function resultTableHtml(t: ResultTable, options: { smokeTest?: boolean } = {}): string {
  const head = t.metrics.map((m) => `<th>${esc(m.name)} ${m.higherIsBetter ? '↑' : '↓'}</th>`).join('');
  const rows = t.rows.map((r) => `<tr><th scope="row">${esc(r.method)}${r.stillImproving?.length ? ' †' : ''}</th>${t.metrics.map((m) => `<td>${cellHtml(r.cells[m.name], r.method === t.base)}</td>`).join('')}</tr>`);
  const refs = t.references.map(
    (ref) => `<tr class="ref"><th scope="row"><em>${esc(ref.label)}</em></th>${t.metrics.map((m) => `<td>${ref.values[m.name] == null ? '' : esc(fmtNumber(ref.values[m.name]))}</td>`).join('')}</tr>`,
  );
  const n = t.rows[0]?.cells[t.metrics[0]?.name]?.n ?? 0;
  const comps = t.rows.flatMap((r) => t.metrics.map((m) => ({ method: r.method, metric: m.name, c: r.cells[m.name]?.comparison ?? null })).filter((x) => x.c !== null && Number.isFinite(x.c.se)));
  const compTable = comps.length === 0 ? '' : `<table class="reclab-table reclab-comparisons"><thead><tr><th>vs ${esc(t.base)}</th><th>metric</th><th>difference</th><th>95% CI</th><th>p</th><th>MDE</th></tr></thead><tbody>
${comps.map(({ method, metric, c }) => `<tr><th scope="row">${esc(method)}</th><td>${esc(metric)}</td><td>${esc(signed(c!.diff))}</td><td>[${esc(fmtNumber(c!.ci[0]))}, ${esc(fmtNumber(c!.ci[1]))}]</td><td>${c!.p === null ? '—' : c!.p < 1e-4 ? '&lt;1e-4' : esc(c!.p.toFixed(4))}</td><td>${esc(fmtNumber(c!.mde))}</td></tr>`).join('\n')}
</tbody></table>
`;
  const testSe = comps.some(({ c }) => Number.isFinite(c!.testVariance));
  const still = t.rows.filter((r) => r.stillImproving?.length);
  const notes = [
    n < 2
      ? `1 seed: no std and no test. Base: ${esc(t.base)}.`
      : `mean ± sample std over ${n} seeds; relative improvement and the paired difference against ${esc(t.base)} (the base declared by the pipeline); the 95% interval and p combine seed variance${comps.length === 0 ? '' : testSe ? ' with test-set sampling' : ' only (no test-set SE recorded)'}; MDE = minimum detectable effect at 80% power.`,
    ...(still.length ? [`† still improving: the best validation epoch was the last one allowed (${esc(still.map((r) => `${r.method}: seeds ${r.stillImproving.join(', ')}`).join('; '))}).`] : []),
    ...t.references.map((ref) => `<em>${esc(ref.label)}</em>: ${esc(ref.note)}`),
    ...t.notes.map(esc),
  ];
  const badge = options.smokeTest ? smokeTag() : '';
  return `<h4>${esc(t.title)}${badge}</h4>
<table class="reclab-table reclab-result-table"${options.smokeTest ? ' data-smoke-test="true"' : ''}><thead><tr><th>method</th>${head}</tr></thead><tbody>
${[...rows, ...refs].join('\n')}
</tbody></table>
${compTable}${notes.map((x) => `<p class="table-note">${x}</p>`).join('\n')}
`;
}

/**
 * Ours beside the paper: one row per method (paper number with its source, ours mean ± std) and the ordering
 * sentence. When the paper has no number for any of our methods (cells marked not available) it is one line.
 * @example
 * comparisonHtml(compareWithPaper(table, paperNumbers('chorus-cvr'))[0], paperInfo, new SourceNotes());
 */
export function comparisonHtml(c: Comparison, paper: PaperInfo | undefined, notes: SourceNotes, options: { smokeTest?: boolean } = {}): string {
  const tableTitle = paper?.tables.find((t) => t.id === c.paperTable)?.title ?? c.paperTable;
  const ds = c.dataset ? `, ${esc(c.dataset)}` : '';
  const cells = c.rows.flatMap((r) => (r.paper ? [r.paper] : []));
  if (cells.every((n) => n.value === null)) {
    const ours = c.rows.filter((r) => r.paper && r.ours).map((r) => esc(r.method));
    return `<p class="table-note">${esc(c.metric)}, ${esc(tableTitle)}${ds}${options.smokeTest ? smokeTag() : ''}: the paper's number for ${ours.join(', ')} is not available${sharedSourceHtml(cells, notes) || cells.map((n) => `<sup>[${notes.ref(n.source)}]</sup>`).join('')}; ours is in the table above.</p>\n`;
  }
  const head = sharedSourceHtml(cells, notes);
  const unit = shared(cells, (n) => n.unit);
  const rows = c.rows.map((r) => {
    const mark = c.common.includes(r.method) ? '' : ' class="muted"';
    const paperCell = r.paper ? paperCellHtml(r.paper, notes, { source: !head, unit: unit === undefined, digits: columnDigits(cells) }) : '';
    return `<tr${mark}><th scope="row">${esc(r.method)}${r.paper?.sourceMethod ? ` <span class="note">(source: ${esc(r.paper.sourceMethod)})</span>` : ''}</th><td>${paperCell}</td><td>${r.ours ? `${esc(fmtNumber(r.ours.mean))} ± ${esc(fmtNumber(r.ours.std))}` : ''}</td></tr>`;
  });
  return `<div class="reclab-compare">
<h5>${esc(c.metric)} — ours (${esc(c.ourMetric)}) vs ${esc(tableTitle)}${ds}${options.smokeTest ? smokeTag() : ''}</h5>
<table class="reclab-table"><thead><tr><th>method</th><th>paper's number${unit ? ` (${esc(unit)})` : ''}${head}</th><th>ours (mean ± std)</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<p class="ordering">${esc(c.sentence)}</p>
</div>
`;
}

/**
 * Every registered table of a paper as method (× data set) rows by metric columns, with sources; `null` cells read
 * 'not available'. What a whole table shares (source, data set) goes in its heading; what a column shares (unit,
 * note) in the column's header.
 * @example
 * paperTablesHtml(findPaper('chorus-cvr')!, paperNumbers('chorus-cvr'), new SourceNotes());
 */
export function paperTablesHtml(paper: PaperInfo, numbers: readonly PaperNumber[], notes: SourceNotes): string {
  const parts: string[] = [];
  for (const t of paper.tables) {
    const cells = numbers.filter((n) => n.table === t.id);
    if (cells.length === 0) continue;
    const head = sharedSourceHtml(cells, notes);
    const dataset = shared(cells, (n) => n.dataset);
    const metrics = [...new Set(cells.map((n) => n.metric))];
    const colUnit = new Map(metrics.map((m) => [m, shared(cells.filter((n) => n.metric === m), (n) => n.unit)]));
    const colNote = new Map(metrics.map((m) => [m, shared(cells.filter((n) => n.metric === m), (n) => n.note)]));
    const rowKeys = [...new Set(cells.map((n) => `${n.dataset ?? ''}\u0000${n.method}`))];
    const rows = rowKeys.map((k) => {
      const [ds, method] = k.split('\u0000');
      const label = ds && dataset === undefined ? `${esc(ds)} · ${esc(method)}` : esc(method);
      const tds = metrics.map((m) => {
        const n = cells.find((x) => (x.dataset ?? '') === ds && x.method === method && x.metric === m);
        const digits = columnDigits(cells.filter((x) => x.metric === m));
        return `<td>${n ? paperCellHtml(n, notes, { source: !head, unit: colUnit.get(m) === undefined, note: colNote.get(m) === undefined, digits }) : ''}</td>`;
      });
      return `<tr><th scope="row">${label}</th>${tds.join('')}</tr>`;
    });
    const th = metrics.map((m) => {
      const extra = [colUnit.get(m), colNote.get(m)].filter((x): x is string => x !== undefined).map(esc).join('; ');
      return `<th>${esc(m)}${extra ? ` <span class="note">(${extra})</span>` : ''}</th>`;
    });
    parts.push(`<h5>${esc(t.title)}${dataset ? `, ${esc(dataset)}` : ''} <code>${esc(t.id)}</code>${head}</h5>
<table class="reclab-table paper-table"><thead><tr><th>method</th>${th.join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`);
  }
  return parts.join('\n');
}

/** An inline SVG of lifts with their intervals: one row per test (label, interval with caps, point, values), zero line dashed. */
function liftsSvg(tests: readonly AbTest[]): string {
  const w = 640;
  const rowH = 40;
  const left = 230;
  const right = w - 30;
  const h = 30 + rowH * tests.length;
  const lo = Math.min(0, ...tests.map((t) => t.ciLow));
  const hi = Math.max(0, ...tests.map((t) => t.ciHigh));
  const pad = (hi - lo || 1) * 0.08;
  const x = (v: number) => (left + ((v - (lo - pad)) / (hi + pad - (lo - pad))) * (right - left)).toFixed(1);
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`;
  const rows = tests.map((t, i) => {
    const y = 14 + rowH * i + rowH / 2;
    const label = t.experiment ? `${t.metric} (${t.experiment})` : t.metric;
    return `<text x="${left - 10}" y="${y + 4}" text-anchor="end" font-size="12">${esc(label.length > 34 ? `${label.slice(0, 33)}…` : label)}</text>` +
      `<line x1="${x(t.ciLow)}" x2="${x(t.ciHigh)}" y1="${y}" y2="${y}" stroke="#1f77b4" stroke-width="2"/>` +
      `<line x1="${x(t.ciLow)}" x2="${x(t.ciLow)}" y1="${y - 5}" y2="${y + 5}" stroke="#1f77b4" stroke-width="2"/>` +
      `<line x1="${x(t.ciHigh)}" x2="${x(t.ciHigh)}" y1="${y - 5}" y2="${y + 5}" stroke="#1f77b4" stroke-width="2"/>` +
      `<circle cx="${x(t.liftPct)}" cy="${y}" r="4.5" fill="#1f77b4"/>` +
      `<text x="${x(t.liftPct)}" y="${y - 9}" text-anchor="middle" font-size="11">${esc(pct(t.liftPct))}</text>` +
      `<text x="${x(t.ciLow)}" y="${y + 17}" text-anchor="middle" font-size="10" fill="#555">${esc(pct(t.ciLow))}</text>` +
      `<text x="${x(t.ciHigh)}" y="${y + 17}" text-anchor="middle" font-size="10" fill="#555">${esc(pct(t.ciHigh))}</text>`;
  });
  return `<svg class="reclab-lifts" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">` +
    `<line x1="${x(0)}" x2="${x(0)}" y1="6" y2="${h - 16}" stroke="#888" stroke-dasharray="4 3"/>` +
    `<text x="${x(0)}" y="${h - 4}" text-anchor="middle" font-size="11" fill="#555">0%</text>${rows.join('')}</svg>`;
}

/**
 * Simulated online A/B results: a table (control, treatment, lift and its interval) and a lifts-with-intervals
 * drawing, then the paper's own online numbers (registered `online-*` tables), as quoted.
 * @example
 * abTestsHtml([{ metric: 'CVR', control: 0.1, treatment: 0.102, liftPct: 2, ciLow: 0.5, ciHigh: 3.5 }], [], new SourceNotes());
 */
export function abTestsHtml(tests: readonly AbTest[], paperOnline: readonly PaperNumber[], notes: SourceNotes, options: { smokeTest?: boolean } = {}): string {
  if (tests.length === 0) return '';
  const rows = tests.map((t) => `<tr><th scope="row">${esc(t.metric)}</th><td>${esc(t.experiment ?? '')}</td><td>${esc(fmtNumber(t.control))}</td><td>${esc(fmtNumber(t.treatment))}</td>` +
    `<td>${t.liftPct >= 0 ? '+' : ''}${esc(t.liftPct.toFixed(2))}%</td><td>[${esc(t.ciLow.toFixed(2))}%, ${esc(t.ciHigh.toFixed(2))}%] at ${esc(String(Math.round((t.level ?? 0.95) * 100)))}%</td>` +
    `<td>${t.requests === undefined ? '' : esc(String(t.requests))}${t.note ? ` <span class="note">${esc(t.note)}</span>` : ''}</td></tr>`);
  const paper = paperOnline.length === 0 ? '' : `<p class="table-note">The paper's online A/B numbers, as quoted (not comparable to a simulation): ${paperOnline
    .map((n) => `${esc(n.metric)} ${n.value === null ? '' : n.value >= 0 ? '+' : ''}${paperCellHtml(n, notes)}`)
    .join('; ')}.</p>`;
  const smoke = options.smokeTest ? smokeTag() : '';
  return `<h4>Simulated online A/B${smoke}</h4>
<table class="reclab-table"><thead><tr><th>metric</th><th>experiment</th><th>control</th><th>treatment</th><th>lift</th><th>confidence interval</th><th>requests</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<figure class="reclab-figure">${liftsSvg(tests)}<figcaption>Relative lift with its confidence interval${smoke}</figcaption></figure>
${paper}
`;
}
