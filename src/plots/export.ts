/**
 * Figure export: standalone HTML (always; works offline: plotly.js once per folder, or inlined), notebook fragments, and PNG/SVG/PDF
 * through headless Chromium driven by playwright-core. One browser launch serves many figures ({@link exportFigures});
 * every launch goes through {@link withBrowser}, which always closes the browser.
 *
 * Chromium is found at `executablePath` option > `$RECLAB_CHROMIUM` > `/usr/bin/chromium`; where it is missing the
 * HTML is still written and a {@link ChromiumMissingError} says where and how to fix it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { PLOT_DEFAULTS } from './figure.ts';
import type { Figure } from './figure.ts';

// ---------------------------------------------------------------------------------------------------------------
// plotly.js bundle and escaping

let bundleCache: { code: string; version: string } | null = null;

/** plotly.js-dist-min's minified bundle (read once from node_modules) and its version. */
function plotlyBundle(): { code: string; version: string } {
  if (bundleCache === null) {
    const req = createRequire(import.meta.url);
    const path = req.resolve('plotly.js-dist-min');
    const pkg = JSON.parse(readFileSync(join(dirname(path), 'package.json'), 'utf8')) as { version?: unknown };
    // A literal `</script` inside an inline script would end it; the bundle has none today, escape defensively.
    const code = readFileSync(path, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
    bundleCache = { code, version: typeof pkg.version === 'string' ? pkg.version : 'unknown' };
  }
  return bundleCache;
}

/**
 * The version of the plotly.js bundle that {@link figureHtml} inlines (from plotly.js-dist-min's package.json).
 * @example
 * plotlyVersion(); // e.g. '3.7.0'
 */
export function plotlyVersion(): string {
  return plotlyBundle().version;
}

/**
 * Escapes `& < > " '` for interpolation into HTML text or attribute values.
 * @example
 * escapeHtml('<b>"x"</b>'); // '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * JSON safe to embed inside an inline `<script>`: `<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX` escapes, so a
 * string such as `</script><b>x` in the data cannot end the script or start markup. Non-finite numbers become null.
 * @example
 * jsonForScript({ label: '</script>' }); // '{"label":"\\u003c/script\\u003e"}'
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new Error('jsonForScript: value is not JSON-serialisable');
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const PLOTLY_CONFIG = { displaylogo: false, responsive: false };

function figureSize(fig: Figure): { width: number; height: number } {
  const w = fig.layout?.width;
  const h = fig.layout?.height;
  return {
    width: typeof w === 'number' && Number.isFinite(w) && w > 0 ? Math.round(w) : PLOT_DEFAULTS.width,
    height: typeof h === 'number' && Number.isFinite(h) && h > 0 ? Math.round(h) : PLOT_DEFAULTS.height,
  };
}

function checkFigure(fn: string, fig: Figure): void {
  if (fig === null || typeof fig !== 'object' || !Array.isArray(fig.data) || fig.layout === null || typeof fig.layout !== 'object') {
    throw new Error(`${fn}: expected a figure { data: Trace[], layout: Layout }`);
  }
}

/**
 * The script that draws `fig` into the element `id` once `window.Plotly` exists (else it queues itself on
 * `window.__reclabQueue`). It keeps `window.__reclabPending` (figures not yet drawn) and `window.__reclabErrors`
 * (plotly failures, also sent to console.error) so headless export can wait for and check the drawing.
 */
function drawScript(id: string, fig: Figure): string {
  return `(function () {
  var w = window;
  w.__reclabPending = (w.__reclabPending || 0) + 1;
  w.__reclabErrors = w.__reclabErrors || [];
  var id = ${jsonForScript(id)};
  var fig = ${jsonForScript({ data: fig.data, layout: fig.layout })};
  var draw = function () {
    Promise.resolve()
      .then(function () { return w.Plotly.newPlot(document.getElementById(id), fig.data, fig.layout, ${jsonForScript(PLOTLY_CONFIG)}); })
      .catch(function (e) {
        var msg = 'reclab: plotly failed to draw ' + id + ': ' + ((e && e.message) || e);
        w.__reclabErrors.push(msg);
        console.error(msg);
      })
      .then(function () { w.__reclabPending -= 1; });
  };
  if (w.Plotly) draw(); else (w.__reclabQueue = w.__reclabQueue || []).push(draw);
})();`;
}

/** Options of {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** Page title; default the figure's title text, else 'reclab figure'. */
  title?: string;
  /** Inline the plotly.js bundle (~4.8 MB, works offline). Default true; false loads `plotlySrc` instead. */
  inlinePlotly?: boolean;
  /** Script URL used when `inlinePlotly` is false; default the plot.ly CDN build of the installed version. */
  plotlySrc?: string;
}

/**
 * A standalone HTML page that draws `fig` at its layout size. plotly.js-dist-min's bundle is inlined by default, so
 * the file opens offline. Every interpolated string is HTML-escaped and the figure JSON is script-safe
 * ({@link jsonForScript}), so labels cannot inject markup.
 * @example
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('auc.html', figureHtml(barChart([{ label: 'DIN', mean: 0.71 }]), { title: 'AUC' }));
 */
export function figureHtml(fig: Figure, options: FigureHtmlOptions = {}): string {
  checkFigure('figureHtml', fig);
  const { inlinePlotly = true } = options;
  const title = options.title ?? (fig.layout.title?.text || 'reclab figure');
  const { width, height } = figureSize(fig);
  const plotly = inlinePlotly
    ? `<script>${plotlyBundle().code}</script>`
    : `<script src="${escapeHtml(options.plotlySrc ?? `https://cdn.plot.ly/plotly-${plotlyVersion()}.min.js`)}" charset="utf-8"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="reclab (plotly.js ${escapeHtml(plotlyVersion())})">
<title>${escapeHtml(title)}</title>
<style>html, body { margin: 0; padding: 0; background: #ffffff; } #reclab-figure { width: ${width}px; height: ${height}px; }</style>
${plotly}
</head>
<body>
<div id="reclab-figure" class="reclab-figure"></div>
<script>
${drawScript('reclab-figure', fig)}
</script>
</body>
</html>
`;
}

/** Options of {@link figureDiv}. */
export interface FigureDivOptions {
  /**
   * Inline the plotly.js bundle (~4.8 MB) in this fragment, so it draws offline on a page that has no plotly.js yet.
   * Default false: the fragment draws with the page's `window.Plotly`, and where the page has none it loads plotly.js
   * from `plotlySrc` (the page then shows a note in place of the figure if that fails).
   */
  includePlotly?: boolean;
  /** Where a fragment without the bundle loads plotly.js from; default the plot.ly CDN build of the installed version. */
  plotlySrc?: string;
}

/**
 * An HTML fragment (a sized `div` plus a script) that draws `fig`, for notebooks and reports. Every fragment is
 * self-sufficient: re-running a notebook cell, or showing one fragment alone, still draws, because a fragment uses the
 * page's `window.Plotly`, else inlines the bundle (`includePlotly`), else loads plotly.js once per page from
 * `plotlySrc` (fragments queued meanwhile draw when it arrives). In a notebook, prefer `display.figure` /
 * `display.html` of src/notebook (plotly's own mime type, rendered natively by JupyterLab; this fragment is the
 * text/html fallback). `id` must be a valid element id (letters, digits, `-`, `_`); default a unique `reclab-fig-...`.
 * @example
 * import { display } from '../src/notebook/index.ts';
 * display.html(figureDiv(lineChart([{ name: 'loss', x: [1, 2, 3], y: [0.7, 0.6, 0.55] }])));
 */
export function figureDiv(fig: Figure, id?: string, options: FigureDivOptions = {}): string {
  checkFigure('figureDiv', fig);
  const elId = id ?? `reclab-fig-${randomUUID().slice(0, 8)}`;
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(elId)) {
    throw new Error(`figureDiv: id ${JSON.stringify(elId)} must start with a letter and hold only letters, digits, - and _`);
  }
  const { width, height } = figureSize(fig);
  const flush = `(window.__reclabQueue || []).splice(0).forEach(function (f) { f(); });`;
  const src = options.plotlySrc ?? `https://cdn.plot.ly/plotly-${plotlyVersion()}.min.js`;
  const loader = options.includePlotly
    ? `<script>if (!window.Plotly) {\n${plotlyBundle().code}\n}</script>\n<script>${flush}</script>\n`
    : `<script>(function () {
  var w = window;
  if (w.Plotly || w.__reclabPlotlyLoading) return;
  w.__reclabPlotlyLoading = true;
  var s = document.createElement('script');
  s.src = ${jsonForScript(src)};
  s.charset = 'utf-8';
  s.onload = function () { ${flush} };
  s.onerror = function () {
    w.__reclabPlotlyLoading = false;
    var q = (w.__reclabQueue || []).splice(0);
    w.__reclabPending = Math.max(0, (w.__reclabPending || 0) - q.length);
    document.querySelectorAll('.reclab-figure').forEach(function (d) {
      if (!d.hasChildNodes()) d.textContent = 'This figure needs plotly.js, which could not be loaded from ' + s.src + ' (open the notebook in JupyterLab, which draws it natively, or export it with exportFigure).';
    });
  };
  document.head.appendChild(s);
})();</script>
`;
  return `${loader}<div id="${escapeHtml(elId)}" class="reclab-figure" style="width: ${width}px; height: ${height}px;"></div>
<script>
${drawScript(elId, fig)}
</script>
`;
}

/**
 * The figure drawn by a {@link figureDiv} fragment, read back from its script (null when `html` is not one). Lets a
 * notebook display turn `display.html(figureDiv(fig))` into plotly's mime bundle.
 * @example
 * figureFromFragment(figureDiv(fig))?.layout.title?.text; // fig's title
 * figureFromFragment('<p>hi</p>');                        // null
 */
export function figureFromFragment(html: string): Figure | null {
  if (typeof html !== 'string' || !html.includes('class="reclab-figure"')) return null;
  const m = /\n {2}var fig = (\{.*\});\n {2}var draw = /.exec(html);
  if (!m) return null;
  try {
    const fig = JSON.parse(m[1]) as Figure;
    return Array.isArray(fig.data) && fig.layout !== null && typeof fig.layout === 'object' ? fig : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Chromium

/** The Chromium flags reclab launches with (headless, no sandbox, no GPU, no network side traffic). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Thrown when the Chromium executable does not exist. The message names the path looked at, the HTML files that were
 * written regardless, and the fix (`apt-get install -y chromium`, or set `RECLAB_CHROMIUM`).
 * @example
 * try { await exportFigure(fig, 'out', 'auc'); }
 * catch (e) { if (e instanceof ChromiumMissingError) console.warn(e.message); else throw e; }
 */
export class ChromiumMissingError extends Error {
  /** The executable path that was looked at. */
  readonly executablePath: string;
  /** HTML files that exist despite the failure (written before the browser was needed). */
  readonly htmlPaths: readonly string[];

  constructor(executablePath: string, htmlPaths: readonly string[] = []) {
    const written =
      htmlPaths.length === 0 ? '' : ` The HTML was written at ${htmlPaths.join(', ')} (open it in any browser).`;
    super(
      `Chromium was not found at ${executablePath}, so PNG/SVG/PDF export is unavailable.${written} ` +
        'Fix: install it with `apt-get install -y chromium` (or run `bash env/setup.sh`), ' +
        'or set RECLAB_CHROMIUM to a Chromium or Chrome executable.',
    );
    this.name = 'ChromiumMissingError';
    this.executablePath = executablePath;
    this.htmlPaths = [...htmlPaths];
  }
}

/** Options of {@link withBrowser}. */
export interface BrowserOptions {
  /** Chromium executable; default `$RECLAB_CHROMIUM`, else `/usr/bin/chromium`. */
  executablePath?: string;
  /** HTML files already written, named in a {@link ChromiumMissingError}. */
  htmlPaths?: readonly string[];
}

/**
 * The Chromium executable reclab uses: `explicit` > `$RECLAB_CHROMIUM` > `/usr/bin/chromium`.
 * @example
 * chromiumPath(); // '/usr/bin/chromium' unless RECLAB_CHROMIUM is set
 */
export function chromiumPath(explicit?: string): string {
  return explicit || process.env.RECLAB_CHROMIUM || '/usr/bin/chromium';
}

/**
 * Launches headless Chromium (playwright-core, reclab's flags), runs `fn` with it and always closes it (try/finally),
 * returning `fn`'s result. Throws {@link ChromiumMissingError} when the executable does not exist.
 * @example
 * const title = await withBrowser(async (browser) => {
 *   const page = await browser.newPage();
 *   await page.setContent('<title>hi</title>');
 *   return page.title();
 * });
 */
export async function withBrowser<T>(fn: (browser: Browser) => Promise<T>, options: BrowserOptions = {}): Promise<T> {
  const executablePath = chromiumPath(options.executablePath);
  if (!existsSync(executablePath)) throw new ChromiumMissingError(executablePath, options.htmlPaths ?? []);
  const { chromium } = await import('playwright-core');
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (e) {
    throw new Error(`could not launch Chromium at ${executablePath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return await fn(browser);
  } finally {
    await browser.close().catch(() => undefined);
  }
}

/** Collects page errors and console errors of `page` into the returned array (clear it with `length = 0`). */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

/** Waits until every reclab figure on the page has drawn, then throws if plotly or the page reported an error. */
async function waitForFigures(page: Page, errors: string[], what: string, timeoutMs: number): Promise<void> {
  try {
    await page.waitForFunction('!(window.__reclabPending > 0)', undefined, { timeout: timeoutMs });
  } catch {
    const more = errors.length > 0 ? `; page errors: ${errors.join('; ')}` : '';
    throw new Error(`${what}: figures did not finish drawing within ${timeoutMs} ms (is plotly.js loaded?)${more}`);
  }
  const reported = await page.evaluate('window.__reclabErrors || []');
  const all = [...(Array.isArray(reported) ? reported.map(String) : []), ...errors];
  if (all.length > 0) throw new Error(`${what}: ${[...new Set(all)].join('; ')}`);
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// figure export

/** A file format {@link exportFigures} writes; HTML is always written. */
export type ExportFormat = 'html' | 'png' | 'svg';

/** Options of {@link exportFigures} / {@link exportFigure}. */
export interface ExportOptions {
  /** Formats to write; default `['html', 'png', 'svg']`. HTML is written whatever this says. */
  formats?: readonly ExportFormat[];
  /** PNG pixel ratio (2 gives 1440x840 for the default 720x420 figure); default 2. */
  scale?: number;
  /** Chromium executable; default `$RECLAB_CHROMIUM`, else `/usr/bin/chromium`. */
  executablePath?: string;
  /** Per-figure render timeout in ms; default 60000. */
  timeoutMs?: number;
  /**
   * Inline plotly.js (~4.8 MB) in every HTML file. Default false: the bundle is written once per folder as
   * {@link plotlyFileName} and every HTML file references it, so the folder opens offline (keep the files together).
   */
  inlinePlotly?: boolean;
}

/**
 * The name of the plotly.js copy that {@link exportFigures} writes once per folder, e.g. `plotly-3.1.0.min.js`.
 * @example
 * plotlyFileName(); // 'plotly-' + plotlyVersion() + '.min.js'
 */
export function plotlyFileName(): string {
  return `plotly-${plotlyVersion().replace(/[^0-9A-Za-z.-]/g, '_')}.min.js`;
}

/**
 * Writes the plotly.js bundle into `dir` as {@link plotlyFileName} unless an identical copy is there; returns its path.
 * @example
 * writePlotlyFile('results/farm/run-1/figures'); // '.../figures/plotly-3.1.0.min.js'
 */
export function writePlotlyFile(dir: string): string {
  const path = join(resolve(dir), plotlyFileName());
  const code = plotlyBundle().code;
  if (!existsSync(path) || readFileSync(path, 'utf8') !== code) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, code);
  }
  return path;
}

/** Paths written for one figure. */
export interface ExportedFiles {
  html: string;
  png?: string;
  svg?: string;
}

/** One figure to export and its file name (without extension). */
export interface FigureItem {
  fig: Figure;
  name: string;
}

const FORMATS: readonly ExportFormat[] = ['html', 'png', 'svg'];

/**
 * Checks that `name` is a safe file name: non-empty, no `/`, `\`, `..`, control characters, and not starting with `.`.
 * @example
 * checkFileName('main-auc'); // ok
 * checkFileName('../x');     // throws
 */
export function checkFileName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new Error('figure name must be a non-empty string');
  // eslint-disable-next-line no-control-regex
  if (name.includes('/') || name.includes('\\') || name.includes('..') || name.startsWith('.') || /[\u0000-\u001f]/.test(name)) {
    throw new Error(
      `unsafe figure name ${JSON.stringify(name)}: a name must not contain '/', '\\', '..' or control characters, nor start with '.'`,
    );
  }
}

/**
 * Exports many figures with one browser launch: writes every `<dir>/<name>.html` first (creating `dir`; plotly.js is
 * written once beside them as {@link plotlyFileName} and referenced, unless `inlinePlotly`), then, when
 * `png` or `svg` is asked for, opens the first HTML page in headless Chromium (checking it draws without errors) and
 * renders each figure there with `Plotly.toImage` at its layout size (`scale` for PNG). Plotly failures, page errors
 * and console errors throw with their message. Without Chromium, throws {@link ChromiumMissingError} after the HTML
 * files are written. Returns the written paths in item order.
 * @example
 * const files = await exportFigures(
 *   [{ fig: barChart(rows), name: 'main-auc' }, { fig: lineChart(curves), name: 'training' }],
 *   'results/farm/run-1/figures',
 * );
 * files[0].png; // '.../figures/main-auc.png'
 */
export async function exportFigures(items: readonly FigureItem[], dir: string, options: ExportOptions = {}): Promise<ExportedFiles[]> {
  const formats = options.formats ?? FORMATS;
  const scale = options.scale ?? 2;
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Array.isArray(formats)) throw new Error('exportFigures: option formats must be an array');
  for (const f of formats) {
    if (!FORMATS.includes(f)) throw new Error(`exportFigures: unknown format ${JSON.stringify(f)}; expected html, png or svg`);
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0 || scale > 10) {
    throw new Error(`exportFigures: option scale must be a number in (0, 10], got ${String(scale)}`);
  }
  if (!Array.isArray(items)) throw new Error('exportFigures: items must be an array of { fig, name }');
  const names = new Set<string>();
  for (const { fig, name } of items) {
    checkFileName(name);
    if (names.has(name)) throw new Error(`exportFigures: figure name ${JSON.stringify(name)} appears twice`);
    names.add(name);
    checkFigure(`exportFigures (${name})`, fig);
  }
  if (items.length === 0) return [];

  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const inline = options.inlinePlotly ?? false;
  if (!inline) writePlotlyFile(root);
  const out: ExportedFiles[] = items.map(({ fig, name }) => {
    const html = join(root, `${name}.html`);
    writeFileSync(html, inline ? figureHtml(fig) : figureHtml(fig, { inlinePlotly: false, plotlySrc: plotlyFileName() }));
    return { html };
  });

  const images = formats.filter((f): f is 'png' | 'svg' => f === 'png' || f === 'svg');
  if (images.length === 0) return out;

  await withBrowser(
    async (browser) => {
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(pathToFileURL(out[0].html).href, { waitUntil: 'load', timeout: timeoutMs });
      await waitForFigures(page, errors, `exportFigures: page ${out[0].html}`, timeoutMs);
      await page.evaluate(`window.__reclabToImage = function (fig, opts) { return window.Plotly.toImage(fig, opts); }`);
      for (let i = 0; i < items.length; i++) {
        const { fig, name } = items[i];
        const { width, height } = figureSize(fig);
        for (const format of images) {
          errors.length = 0;
          const what = `exportFigures: rendering ${JSON.stringify(name)} as ${format.toUpperCase()}`;
          let url: unknown;
          try {
            url = await withTimeout(
              page.evaluate(
                (arg) =>
                  (globalThis as unknown as { __reclabToImage: (f: unknown, o: unknown) => Promise<string> }).__reclabToImage(
                    arg.fig,
                    arg.opts,
                  ),
                { fig: { data: fig.data, layout: fig.layout }, opts: { format, width, height, scale: format === 'png' ? scale : 1 } },
              ),
              timeoutMs,
              what,
            );
          } catch (e) {
            const more = errors.length > 0 ? ` (page errors: ${errors.join('; ')})` : '';
            throw new Error(`${what} failed: ${e instanceof Error ? e.message : String(e)}${more}`);
          }
          if (errors.length > 0) throw new Error(`${what} failed: ${errors.join('; ')}`);
          const path = join(root, `${name}.${format}`);
          writeFileSync(path, decodeDataUrl(url, what));
          out[i][format] = path;
        }
      }
    },
    { executablePath: options.executablePath, htmlPaths: out.map((o) => o.html) },
  );
  return out;
}

/**
 * Exports one figure: `<dir>/<name>.html` always (written first), then PNG and SVG through headless Chromium
 * (see {@link exportFigures}, which it calls). Default formats `['html', 'png', 'svg']`, scale 2.
 * @example
 * const { html, png, svg } = await exportFigure(barChart(rows, { title: 'AUC' }), 'out', 'auc');
 * await exportFigure(fig, 'out', 'auc-html-only', { formats: ['html'] }); // no browser needed
 */
export async function exportFigure(fig: Figure, dir: string, name: string, options: ExportOptions = {}): Promise<ExportedFiles> {
  const [files] = await exportFigures([{ fig, name }], dir, options);
  return files;
}

function decodeDataUrl(url: unknown, what: string): Buffer {
  if (typeof url !== 'string') throw new Error(`${what}: plotly returned no image`);
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) throw new Error(`${what}: plotly returned no data URL`);
  const head = url.slice(0, comma);
  const body = url.slice(comma + 1);
  return head.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// page helpers for reports

/** Options of {@link htmlToPdf}. */
export interface PdfOptions {
  /** Paper size; default 'A4'. */
  format?: 'A4' | 'Letter';
  /** Landscape orientation; default false. */
  landscape?: boolean;
  /** Chromium executable; default `$RECLAB_CHROMIUM`, else `/usr/bin/chromium`. */
  executablePath?: string;
  /** Load-and-draw timeout in ms; default 60000. */
  timeoutMs?: number;
}

/**
 * Prints an HTML file (e.g. a report made of {@link figureDiv} fragments) to PDF with headless Chromium, after its
 * reclab figures have drawn; page or plotly errors throw. Backgrounds printed, 12 mm margins. Creates the PDF's
 * folder. Throws {@link ChromiumMissingError} without Chromium.
 * @example
 * await htmlToPdf('results/farm/run-1/report.html', 'results/farm/run-1/report.pdf');
 */
export async function htmlToPdf(htmlPath: string, pdfPath: string, options: PdfOptions = {}): Promise<string> {
  const src = resolve(htmlPath);
  if (!existsSync(src)) throw new Error(`htmlToPdf: no HTML file at ${src}`);
  const dest = resolve(pdfPath);
  const timeoutMs = options.timeoutMs ?? 60_000;
  await withBrowser(
    async (browser) => {
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(pathToFileURL(src).href, { waitUntil: 'load', timeout: timeoutMs });
      await waitForFigures(page, errors, `htmlToPdf: ${src}`, timeoutMs);
      mkdirSync(dirname(dest), { recursive: true });
      await page.pdf({
        path: dest,
        format: options.format ?? 'A4',
        landscape: options.landscape ?? false,
        printBackground: true,
        margin: { top: '12mm', bottom: '12mm', left: '12mm', right: '12mm' },
      });
    },
    { executablePath: options.executablePath, htmlPaths: [src] },
  );
  return dest;
}

/** Options of {@link screenshot}. */
export interface ScreenshotOptions {
  /** Viewport width in CSS px; default 1000. */
  width?: number;
  /** Viewport height in CSS px; default 700 (the full page is captured unless `fullPage` is false). */
  height?: number;
  /** Device pixel ratio; default 1. */
  scale?: number;
  /** Capture the whole scrollable page; default true. */
  fullPage?: boolean;
  /** Chromium executable; default `$RECLAB_CHROMIUM`, else `/usr/bin/chromium`. */
  executablePath?: string;
  /** Load-and-draw timeout in ms; default 60000. */
  timeoutMs?: number;
}

/**
 * Screenshots an HTML file to PNG with headless Chromium after its reclab figures have drawn; page or plotly errors
 * throw. Creates the PNG's folder. Throws {@link ChromiumMissingError} without Chromium.
 * @example
 * await screenshot('out/auc.html', 'out/auc-page.png', { width: 800 });
 */
export async function screenshot(htmlPath: string, pngPath: string, options: ScreenshotOptions = {}): Promise<string> {
  const src = resolve(htmlPath);
  if (!existsSync(src)) throw new Error(`screenshot: no HTML file at ${src}`);
  const dest = resolve(pngPath);
  const timeoutMs = options.timeoutMs ?? 60_000;
  await withBrowser(
    async (browser) => {
      const page = await browser.newPage({
        viewport: { width: options.width ?? 1000, height: options.height ?? 700 },
        deviceScaleFactor: options.scale ?? 1,
      });
      const errors = collectErrors(page);
      await page.goto(pathToFileURL(src).href, { waitUntil: 'load', timeout: timeoutMs });
      await waitForFigures(page, errors, `screenshot: ${src}`, timeoutMs);
      mkdirSync(dirname(dest), { recursive: true });
      await page.screenshot({ path: dest, fullPage: options.fullPage ?? true, type: 'png' });
    },
    { executablePath: options.executablePath, htmlPaths: [src] },
  );
  return dest;
}
