/**
 * Notebook display for tslab cells: figures as plotly's own mime bundle (`application/vnd.plotly.v1+json`, drawn
 * natively by JupyterLab through the plotly lab extension that env/setup.sh installs, in trusted and untrusted
 * notebooks alike, and on every re-run), with an HTML fallback in the same output; result tables and danfo frames as
 * HTML tables; progress as one line that updates in place.
 *
 * `display` is a drop-in for tslab's: `display.html(figureDiv(fig))` in a paper notebook sends the figure's mime
 * bundle (the fragment stays as the text/html fallback); every other call goes to tslab unchanged.
 * @example
 * // first cell of a notebook
 * require('tsx/cjs');
 * const { display } = require('../src/notebook/index.ts');
 * display.figure(barChart([{ label: 'DIN', mean: 0.71, std: 0.004 }], { yTitle: 'AUC' }));
 */
import { createRequire } from 'node:module';
import { figureDiv, figureFromFragment } from '../plots/export.ts';
import type { Figure } from '../plots/figure.ts';
import type { ResultTable } from '../pipelines/result-table.ts';
import { tableToMarkdown } from '../pipelines/result-table.ts';
import { PROGRESS_SINK } from '../train/progress.ts';
import type { ProgressSinkLine } from '../train/progress.ts';

/** One display message: mime type -> content (strings; binary content base64-encoded), as Jupyter's display_data. */
export type MimeBundle = Record<string, unknown>;

/** Sends one bundle to the notebook; `displayId` set with `update` true replaces an earlier output in place. */
export type DisplayWriter = (bundle: MimeBundle, displayId: string | undefined, update: boolean) => void;

/** plotly's mime type, rendered by JupyterLab's plotly extension (and by VS Code, nteract, Colab). */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

let writerOverride: DisplayWriter | null = null;

/**
 * Replaces where bundles go (tests, or a front-end other than tslab); `null` restores tslab's kernel channel.
 * @example
 * const sent: MimeBundle[] = [];
 * setDisplayWriter((b) => sent.push(b));
 * display.figure(fig); // sent[0][PLOTLY_MIME] holds the figure
 * setDisplayWriter(null);
 */
export function setDisplayWriter(writer: DisplayWriter | null): void {
  writerOverride = writer;
}

interface TslabJupyter {
  lastWriteDisplayData: ((msg: { data: MimeBundle; metadata: object; transient: { display_id?: string } }, update: boolean) => void) | null;
}

/** tslab's channel to the kernel (the instance the running kernel loaded: same node_modules, same module cache). */
function tslabWriter(): DisplayWriter {
  const req = createRequire(import.meta.url);
  let jupyter: TslabJupyter;
  try {
    jupyter = req('tslab/dist/jupyter') as TslabJupyter;
  } catch (e) {
    throw new Error(`reclab notebook display: tslab is not installed (${e instanceof Error ? e.message : String(e)}); run npm run setup`);
  }
  const write = jupyter.lastWriteDisplayData;
  if (typeof write !== 'function') {
    throw new Error('reclab notebook display: not inside a running tslab kernel (no display channel); call setDisplayWriter() outside notebooks');
  }
  return (bundle, displayId, update) => write({ data: bundle, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
}

function send(bundle: MimeBundle, displayId?: string, update = false): void {
  (writerOverride ?? tslabWriter())(bundle, displayId, update);
}

/**
 * The mime bundle of a figure: plotly's JSON (`data`, `layout`, `config`), the {@link figureDiv} fragment as the
 * text/html fallback (draws wherever scripts run: with the page's plotly.js, else loaded once per page), and a
 * text/plain line naming the figure.
 * @example
 * const b = figureBundle(lineChart([{ name: 'loss', x: [1, 2], y: [0.7, 0.6] }], { title: 'Loss' }));
 * Object.keys(b); // ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']
 */
export function figureBundle(fig: Figure, html?: string): MimeBundle {
  if (fig === null || typeof fig !== 'object' || !Array.isArray(fig.data) || typeof fig.layout !== 'object' || fig.layout === null) {
    throw new Error('figureBundle: expected a figure { data: Trace[], layout: Layout }');
  }
  const title = typeof fig.layout.title?.text === 'string' && fig.layout.title.text !== '' ? fig.layout.title.text : 'untitled';
  return {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: { displaylogo: false, responsive: false } },
    'text/html': html ?? figureDiv(fig),
    'text/plain': `<reclab figure: ${title.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()}; ${fig.data.length} traces>`,
  };
}

/** Rows of a danfo DataFrame-like object (`columns` and `values`), or null when `x` is not one. */
function frameOf(x: unknown): { columns: string[]; rows: unknown[][] } | null {
  if (x === null || typeof x !== 'object') return null;
  const f = x as { columns?: unknown; values?: unknown };
  if (!Array.isArray(f.columns) || !Array.isArray(f.values)) return null;
  const columns = f.columns.map(String);
  const rows = (f.values as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
  return { columns, rows };
}

function escapeCell(v: unknown): string {
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v === null || v === undefined ? '' : String(v);
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

/**
 * An HTML table of rows (objects), a danfo DataFrame (`columns`, `values`) or a reclab result table (its markdown
 * rendered as HTML cells). At most `maxRows` rows are shown (default 50), with a note of how many were left out.
 * @example
 * tableHtml([{ method: 'DIN', auc: 0.7123 }]); // '<table class="reclab-table">...<td>0.7123</td>...'
 */
export function tableHtml(x: readonly Record<string, unknown>[] | object, maxRows = 50): string {
  let columns: string[];
  let rows: unknown[][];
  let caption = '';
  const frame = frameOf(x);
  if (frame) {
    ({ columns, rows } = frame);
  } else if (Array.isArray(x)) {
    columns = [...new Set(x.flatMap((r: Record<string, unknown>) => Object.keys(r)))];
    rows = x.map((r: Record<string, unknown>) => columns.map((c) => r[c]));
  } else if (isResultTable(x)) {
    const md = tableToMarkdown(x).split('\n');
    const lines = md.filter((l) => l.startsWith('|'));
    caption = md.filter((l) => !l.startsWith('|') && l.trim() !== '').join(' ');
    const cells = (l: string): string[] => l.slice(1, -1).split('|').map((c) => c.trim());
    columns = cells(lines[0] ?? '||');
    rows = lines.slice(2).map(cells);
  } else {
    throw new Error('tableHtml: expected an array of row objects, a danfo DataFrame or a reclab ResultTable');
  }
  const shown = rows.slice(0, maxRows);
  const more = rows.length > shown.length ? `<p><i>${rows.length - shown.length} more rows not shown</i></p>` : '';
  const head = `<tr>${columns.map((c) => `<th>${escapeCell(c)}</th>`).join('')}</tr>`;
  const body = shown.map((r) => `<tr>${r.map((v) => `<td>${escapeCell(v)}</td>`).join('')}</tr>`).join('');
  const cap = caption ? `<caption style="caption-side: bottom; text-align: left;">${escapeCell(caption)}</caption>` : '';
  return `<table class="reclab-table">${cap}<thead>${head}</thead><tbody>${body}</tbody></table>${more}`;
}

function isResultTable(x: unknown): x is ResultTable {
  return x !== null && typeof x === 'object' && Array.isArray((x as { rows?: unknown }).rows) && Array.isArray((x as { metrics?: unknown }).metrics);
}

/** A progress line in a notebook output: each `update` replaces the line in place; `done` writes the last one. */
export interface ProgressLine {
  /** Replaces the line's text. */
  update(text: string): void;
  /** Replaces the line with its final text (default: the last text). */
  done(text?: string): void;
}

let lineCounter = 0;

/**
 * One notebook output line that updates in place (Jupyter's update_display_data), for progress.
 * @example
 * const p = progressLine('training');
 * for (let e = 1; e <= 3; e++) p.update(`epoch ${e}/3`);
 * p.done('trained 3 epochs');
 */
export function progressLine(initial = ''): ProgressLine {
  lineCounter += 1;
  const id = `reclab-progress-${process.pid}-${Date.now().toString(36)}-${lineCounter}`;
  let last = initial;
  send({ 'text/plain': initial }, id, false);
  return {
    update(text: string) {
      last = text;
      send({ 'text/plain': text }, id, true);
    },
    done(text?: string) {
      send({ 'text/plain': text ?? last }, id, true);
    },
  };
}

/**
 * Sends training progress (src/train/progress.ts) to one updating notebook line per progress bar instead of stderr
 * lines; on by default inside a tslab kernel (see the end of this module), `false` turns it off.
 * @example
 * notebookProgress(true);
 */
export function notebookProgress(on: boolean): void {
  const g = globalThis as Record<symbol, unknown>;
  if (on) g[PROGRESS_SINK] = (): ProgressSinkLine => progressLine();
  else delete g[PROGRESS_SINK];
}

/** The notebook display: tslab's methods plus figures, tables and raw bundles. */
export interface NotebookDisplay {
  /** HTML; a {@link figureDiv} fragment is sent as the figure's mime bundle (see {@link figureBundle}). */
  html(s: string): void;
  /** A figure as plotly's mime bundle with an HTML fallback. */
  figure(fig: Figure): void;
  /** A table ({@link tableHtml}) as text/html, with a text/plain (or markdown) copy. */
  table(x: readonly Record<string, unknown>[] | object, maxRows?: number): void;
  /** Markdown. */
  markdown(s: string): void;
  /** Plain text. */
  text(s: string): void;
  /** SVG markup. */
  svg(s: string): void;
  /** PNG bytes. */
  png(b: Uint8Array): void;
  /** JavaScript (runs only in trusted notebooks). */
  javascript(s: string): void;
  /** LaTeX. */
  latex(s: string): void;
  /** Any mime bundle. */
  bundle(b: MimeBundle): void;
}

/**
 * Drop-in for tslab's `display` (see the module comment).
 * @example
 * display.html(figureDiv(fig)); // sent as plotly's mime bundle
 * display.table(df);            // an HTML table
 */
export const display: NotebookDisplay = {
  html(s: string) {
    const fig = figureFromFragment(s);
    send(fig ? figureBundle(fig, s) : { 'text/html': s });
  },
  figure(fig: Figure) {
    send(figureBundle(fig));
  },
  table(x, maxRows = 50) {
    const plain = isResultTable(x) ? tableToMarkdown(x) : JSON.stringify(frameOf(x)?.columns ?? (Array.isArray(x) ? Object.keys(x[0] ?? {}) : []));
    send({ 'text/html': tableHtml(x, maxRows), ...(isResultTable(x) ? { 'text/markdown': plain } : {}), 'text/plain': plain });
  },
  markdown(s: string) {
    send({ 'text/markdown': s });
  },
  text(s: string) {
    send({ 'text/plain': s });
  },
  svg(s: string) {
    send({ 'image/svg+xml': s });
  },
  png(b: Uint8Array) {
    send({ 'image/png': Buffer.from(b).toString('base64') });
  },
  javascript(s: string) {
    send({ 'application/javascript': s });
  },
  latex(s: string) {
    send({ 'text/latex': s });
  },
  bundle(b: MimeBundle) {
    send(b);
  },
};

/** Whether this process is a tslab kernel with a display channel (then progress goes to updating lines). */
function inKernel(): boolean {
  try {
    const jupyter = createRequire(import.meta.url)('tslab/dist/jupyter') as TslabJupyter;
    return typeof jupyter.lastWriteDisplayData === 'function';
  } catch {
    return false;
  }
}

if (inKernel()) notebookProgress(true);
