/**
 * Figure builders: pure `(data, options) -> Figure` functions. Each has an exported, frozen `..._DEFAULTS` constant;
 * options are merged over the defaults into a new object (the caller's object is never mutated), unknown option keys
 * throw, and bad data (empty input, non-finite numbers, mismatched lengths) throws an Error naming the row or series.
 */
import { baseLayout, paletteColor, PLOT_DEFAULTS, withAlpha } from './figure.ts';
import type { Annotation, Figure, Layout, Shape, Trace } from './figure.ts';

/**
 * A horizontal reference line drawn across the plot with a label at its right end, e.g. the world's ground-truth
 * ceiling.
 * @example
 * const ceiling: RefLine = { y: 0.781, label: 'ground-truth ceiling' };
 */
export interface RefLine {
  y: number;
  label: string;
}

/**
 * One bar: `label` is the x category, `mean` its height, `std` the error-bar half-width (omit for none), `group` the
 * series it belongs to (one colour and legend entry per group; give every row a group or none). `label` and `group`
 * are shown as plain text (`<`, `>`, `&` are escaped for plotly). In a group where some rows have `std`, a row without
 * one shows a flat (zero) whisker.
 * @example
 * const row: BarRow = { label: 'CTR AUC', mean: 0.712, std: 0.003, group: 'FARM' };
 */
export interface BarRow {
  label: string;
  mean: number;
  std?: number;
  group?: string;
}

/** y-axis range of a builder: `'auto'` (see each builder), `'zero'` (always include 0) or an explicit `[min, max]`. */
export type YRange = 'auto' | 'zero' | readonly [number, number];

/** Options of {@link barChart}; every key is optional when calling, defaults in {@link BAR_CHART_DEFAULTS}. */
export interface BarChartOptions {
  /** Figure title; '' for none. Plotly rich text: `<br>`, `<sub>`, `<b>` are interpreted (as in all titles). */
  title: string;
  /** x-axis title; '' for none. */
  xTitle: string;
  /** y-axis title; '' for none. */
  yTitle: string;
  /** Horizontal reference lines (dashed, labelled at the right; labels are plain text). */
  refLines: readonly RefLine[];
  /**
   * `'auto'` zooms to the data (bars ± std and reference lines, padded by `yPadding` of their span) unless the data
   * lie close to zero relative to their spread, then starts at 0; so AUCs around 0.7 are not drawn from 0.
   */
  yRange: YRange;
  /** Padding above and below the data in `'auto'` range, as a fraction of the data span. */
  yPadding: number;
  /** Draw `std` as error bars. */
  errorBars: boolean;
  /** Order of the groups (legend and bar order); groups not listed follow in order of first appearance. */
  groupOrder: readonly string[];
  /** Legend title; '' for none. */
  legendTitle: string;
  /** Figure size in px. */
  width: number;
  height: number;
  /** Palette (hex colours), one per group (or per bar without groups), cycling. */
  colors: readonly string[];
}

/**
 * Defaults of {@link barChart}: no titles, no reference lines, auto-zoomed y range with 15% padding, error bars on,
 * groups in order of appearance, 720x420 px, the {@link PLOT_DEFAULTS} palette. Frozen.
 * @example
 * BAR_CHART_DEFAULTS.yRange; // 'auto'
 */
export const BAR_CHART_DEFAULTS: Readonly<BarChartOptions> = Object.freeze({
  title: '',
  xTitle: '',
  yTitle: '',
  refLines: Object.freeze([]) as readonly RefLine[],
  yRange: 'auto',
  yPadding: 0.15,
  errorBars: true,
  groupOrder: Object.freeze([]) as readonly string[],
  legendTitle: '',
  width: PLOT_DEFAULTS.width,
  height: PLOT_DEFAULTS.height,
  colors: PLOT_DEFAULTS.colorway,
});

/**
 * Grouped bar chart with error bars: one bar per row at x = `label`, one colour and legend entry per `group` (rows
 * without groups get one colour per bar and no legend), `std` as error bars, optional labelled horizontal reference
 * lines, y range zoomed to the data (see {@link BarChartOptions.yRange}).
 * Throws on empty `rows`, a non-finite `mean`/`std`, a negative `std`, a duplicate (label, group), mixed grouped and
 * ungrouped rows, or an unknown option key.
 * @example
 * const fig = barChart(
 *   [
 *     { label: 'CTR AUC', mean: 0.712, std: 0.003, group: 'FARM' },
 *     { label: 'CTR AUC', mean: 0.701, std: 0.004, group: 'MMoE' },
 *   ],
 *   { title: 'Main results', yTitle: 'AUC', refLines: [{ y: 0.74, label: 'ground-truth ceiling' }] },
 * );
 */
export function barChart(rows: readonly BarRow[], options: Partial<BarChartOptions> = {}): Figure {
  const fn = 'barChart';
  const o = resolveOptions(fn, BAR_CHART_DEFAULTS, options);
  checkCommonOptions(fn, o);
  checkFraction(fn, 'yPadding', o.yPadding);
  checkBoolean(fn, 'errorBars', o.errorBars);
  checkStringArray(fn, 'groupOrder', o.groupOrder);
  checkString(fn, 'legendTitle', o.legendTitle);

  if (!Array.isArray(rows)) throw new Error(`${fn}: rows must be an array of { label, mean, std?, group? }`);
  if (rows.length === 0) throw new Error(`${fn}: rows is empty; nothing to plot`);
  const grouped = rows.some((r) => r !== null && typeof r === 'object' && r.group !== undefined);
  const seen = new Set<string>();
  const labels: string[] = [];
  const groups: string[] = [];
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object') throw new Error(`${fn}: row ${i} is not an object`);
    if (typeof r.label !== 'string') throw new Error(`${fn}: row ${i} has no string label`);
    const name = `row ${i} (label ${JSON.stringify(r.label)}${r.group !== undefined ? `, group ${JSON.stringify(r.group)}` : ''})`;
    if (typeof r.mean !== 'number' || !Number.isFinite(r.mean)) {
      throw new Error(`${fn}: ${name} has a non-finite mean (${String(r.mean)})`);
    }
    if (r.std !== undefined && (typeof r.std !== 'number' || !Number.isFinite(r.std) || r.std < 0)) {
      throw new Error(`${fn}: ${name} has an invalid std (${String(r.std)}); expected a finite number >= 0`);
    }
    if (grouped && typeof r.group !== 'string') {
      throw new Error(`${fn}: ${name} has no group while other rows do; give every row a group or none`);
    }
    const key = `${r.label}\u0000${r.group ?? ''}`;
    if (seen.has(key)) throw new Error(`${fn}: ${name} duplicates an earlier row with the same label and group`);
    seen.add(key);
    if (!labels.includes(r.label)) labels.push(r.label);
    if (grouped && !groups.includes(r.group as string)) groups.push(r.group as string);
  });
  for (const g of o.groupOrder) {
    if (!groups.includes(g)) throw new Error(`${fn}: option "groupOrder" names group ${JSON.stringify(g)}, which no row has`);
  }
  const groupOrder = [...o.groupOrder, ...groups.filter((g) => !o.groupOrder.includes(g))];

  const errorBar = (stds: (number | undefined)[]): Pick<Trace, 'error_y'> =>
    o.errorBars && stds.some((s) => s !== undefined)
      ? {
          error_y: {
            type: 'data',
            array: stds.map((s) => (s === undefined ? null : s)),
            visible: true,
            color: PLOT_DEFAULTS.errorBarColor,
            thickness: 1.5,
            width: 5,
          },
        }
      : {};

  const data: Trace[] = [];
  if (grouped) {
    groupOrder.forEach((g, gi) => {
      const own = labels
        .map((l) => rows.find((r) => r.label === l && r.group === g))
        .filter((r): r is BarRow => r !== undefined);
      data.push({
        type: 'bar',
        name: plainText(g),
        x: own.map((r) => plainText(r.label)),
        y: own.map((r) => r.mean),
        marker: { color: paletteColor(gi, o.colors) },
        ...errorBar(own.map((r) => r.std)),
      });
    });
  } else {
    data.push({
      type: 'bar',
      name: '',
      x: rows.map((r) => plainText(r.label)),
      y: rows.map((r) => r.mean),
      marker: { color: rows.map((_, i) => paletteColor(i, o.colors)) },
      showlegend: false,
      ...errorBar(rows.map((r) => r.std)),
    });
  }

  const layout: Layout = baseLayout(o);
  layout.barmode = 'group';
  layout.bargap = 0.25;
  layout.bargroupgap = 0.05;
  layout.showlegend = grouped;
  if (grouped && o.legendTitle) layout.legend = { title: { text: o.legendTitle } };
  if (layout.xaxis) {
    layout.xaxis.type = 'category';
    layout.xaxis.showgrid = false;
  }

  const lows = rows.map((r) => r.mean - (o.errorBars ? (r.std ?? 0) : 0));
  const highs = rows.map((r) => r.mean + (o.errorBars ? (r.std ?? 0) : 0));
  for (const l of o.refLines) {
    lows.push(l.y);
    highs.push(l.y);
  }
  applyYRange(layout, o.yRange, Math.min(...lows), Math.max(...highs), o.yPadding);
  addRefLines(layout, o.refLines);
  return { data, layout };
}

/**
 * One line: `x` numbers or category strings, `y` the values, `yStd` an optional per-point standard deviation drawn
 * as a band or error bars. All arrays have the same, non-zero length. `name` and string `x` values are shown as plain
 * text (`<`, `>`, `&` are escaped for plotly).
 * @example
 * const s: LineSeries = { name: 'GME-A', x: [0, 1, 2], y: [0.61, 0.66, 0.69], yStd: [0.01, 0.01, 0.008] };
 */
export interface LineSeries {
  name: string;
  x: readonly number[] | readonly string[];
  y: readonly number[];
  yStd?: readonly number[];
}

/** Options of {@link lineChart}; every key is optional when calling, defaults in {@link LINE_CHART_DEFAULTS}. */
export interface LineChartOptions {
  /** Figure title; '' for none. Plotly rich text: `<br>`, `<sub>`, `<b>` are interpreted (as in all titles). */
  title: string;
  /** x-axis title; '' for none. */
  xTitle: string;
  /** y-axis title; '' for none. */
  yTitle: string;
  /** How `yStd` is drawn: a translucent band (± std), error bars, or not at all. */
  errorStyle: 'band' | 'bars' | 'none';
  /** Draw markers on the points (lines+markers) or lines only. */
  markers: boolean;
  /** Horizontal reference lines (dashed, labelled at the right). */
  refLines: readonly RefLine[];
  /** `'auto'` lets plotly fit the data (lines are never forced to 0); `'zero'` includes 0; or `[min, max]`. */
  yRange: YRange;
  /** x-axis type; `'auto'` lets plotly infer it (numbers -> linear, strings -> category); `'log'` needs x > 0. */
  xType: 'auto' | 'linear' | 'log' | 'category';
  /** Show the legend: `'auto'` when there is more than one series. */
  showLegend: 'auto' | boolean;
  /** Figure size in px. */
  width: number;
  height: number;
  /** Palette (hex colours), one per series, cycling. */
  colors: readonly string[];
}

/**
 * Defaults of {@link lineChart}: no titles, std as a band, markers on, no reference lines, plotly's own y range,
 * inferred x type, legend when more than one series, 720x420 px, the {@link PLOT_DEFAULTS} palette. Frozen.
 * @example
 * LINE_CHART_DEFAULTS.errorStyle; // 'band'
 */
export const LINE_CHART_DEFAULTS: Readonly<LineChartOptions> = Object.freeze({
  title: '',
  xTitle: '',
  yTitle: '',
  errorStyle: 'band',
  markers: true,
  refLines: Object.freeze([]) as readonly RefLine[],
  yRange: 'auto',
  xType: 'auto',
  showLegend: 'auto',
  width: PLOT_DEFAULTS.width,
  height: PLOT_DEFAULTS.height,
  colors: PLOT_DEFAULTS.colorway,
});

/**
 * Line chart with markers and optional ± std bands or error bars, for training curves, warm-up curves and sweeps.
 * Series keep their palette colour by position. Throws on no series, an empty series, mismatched x/y/yStd lengths,
 * non-finite values, mixed number/string x, duplicate series names, or an unknown option key.
 * @example
 * const fig = lineChart(
 *   [
 *     { name: 'train', x: [1, 2, 3], y: [0.69, 0.55, 0.5] },
 *     { name: 'valid', x: [1, 2, 3], y: [0.7, 0.6, 0.58], yStd: [0.01, 0.01, 0.02] },
 *   ],
 *   { title: 'Training curve', xTitle: 'epoch', yTitle: 'logloss' },
 * );
 */
export function lineChart(series: readonly LineSeries[], options: Partial<LineChartOptions> = {}): Figure {
  const fn = 'lineChart';
  const o = resolveOptions(fn, LINE_CHART_DEFAULTS, options);
  checkCommonOptions(fn, o);
  checkEnum(fn, 'errorStyle', o.errorStyle, ['band', 'bars', 'none']);
  checkBoolean(fn, 'markers', o.markers);
  checkEnum(fn, 'xType', o.xType, ['auto', 'linear', 'log', 'category']);
  if (o.showLegend !== 'auto' && typeof o.showLegend !== 'boolean') {
    throw new Error(`${fn}: option "showLegend" must be 'auto', true or false, got ${JSON.stringify(o.showLegend)}`);
  }

  if (!Array.isArray(series)) throw new Error(`${fn}: series must be an array of { name, x, y, yStd? }`);
  if (series.length === 0) throw new Error(`${fn}: series is empty; nothing to plot`);
  const names = new Set<string>();
  series.forEach((s, i) => {
    if (s === null || typeof s !== 'object') throw new Error(`${fn}: series ${i} is not an object`);
    if (typeof s.name !== 'string') throw new Error(`${fn}: series ${i} has no string name`);
    const name = `series ${JSON.stringify(s.name)}`;
    if (names.has(s.name)) throw new Error(`${fn}: ${name} appears twice; series names must be unique`);
    names.add(s.name);
    const xs: unknown = s.x;
    const ys: unknown = s.y;
    const stds: unknown = s.yStd;
    if (!Array.isArray(xs) || !Array.isArray(ys)) throw new Error(`${fn}: ${name} needs arrays x and y`);
    if (ys.length === 0) throw new Error(`${fn}: ${name} is empty (no points)`);
    if (xs.length !== ys.length) {
      throw new Error(`${fn}: ${name} has x of length ${xs.length} but y of length ${ys.length}`);
    }
    if (stds !== undefined && (!Array.isArray(stds) || stds.length !== ys.length)) {
      throw new Error(`${fn}: ${name} has yStd of length ${Array.isArray(stds) ? stds.length : 'n/a'} but y of length ${ys.length}`);
    }
    const xKind = typeof (xs as unknown[])[0];
    (xs as unknown[]).forEach((v, j) => {
      if (typeof v !== xKind || (typeof v !== 'number' && typeof v !== 'string')) {
        throw new Error(`${fn}: ${name} has mixed or invalid x values (x[${j}] = ${String(v)}); use all numbers or all strings`);
      }
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${fn}: ${name} has a non-finite x[${j}] (${v})`);
      if (o.xType === 'log' && (typeof v !== 'number' || v <= 0)) {
        throw new Error(`${fn}: ${name} has x[${j}] = ${String(v)}, which a log x axis cannot show`);
      }
    });
    (ys as unknown[]).forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${fn}: ${name} has a non-finite y[${j}] (${String(v)})`);
    });
    ((stds ?? []) as unknown[]).forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new Error(`${fn}: ${name} has an invalid yStd[${j}] (${String(v)}); expected a finite number >= 0`);
      }
    });
  });

  const bands: Trace[] = [];
  const lines: Trace[] = [];
  series.forEach((s, i) => {
    const color = paletteColor(i, o.colors);
    const x = s.x.map((v: number | string) => (typeof v === 'string' ? plainText(v) : v));
    const y = [...s.y];
    if (s.yStd && o.errorStyle === 'band') {
      const upper = y.map((v, j) => v + s.yStd![j]);
      const lower = y.map((v, j) => v - s.yStd![j]);
      bands.push({
        type: 'scatter',
        name: `${plainText(s.name)} ± std`,
        x: [...x, ...[...x].reverse()],
        y: [...upper, ...lower.reverse()],
        mode: 'lines',
        fill: 'toself',
        fillcolor: withAlpha(color, 0.18),
        line: { color: 'rgba(0,0,0,0)', width: 0 },
        hoverinfo: 'skip',
        showlegend: false,
        legendgroup: s.name,
      });
    }
    lines.push({
      type: 'scatter',
      name: plainText(s.name),
      x,
      y,
      mode: o.markers ? 'lines+markers' : 'lines',
      line: { color, width: 2 },
      marker: { color, size: 6 },
      legendgroup: s.name,
      ...(s.yStd && o.errorStyle === 'bars'
        ? { error_y: { type: 'data', array: [...s.yStd], visible: true, color, thickness: 1.5, width: 4 } }
        : {}),
    });
  });

  const layout: Layout = baseLayout(o);
  layout.showlegend = o.showLegend === 'auto' ? series.length > 1 : o.showLegend;
  layout.hovermode = 'closest';
  if (o.xType !== 'auto' && layout.xaxis) layout.xaxis.type = o.xType;
  if (o.yRange !== 'auto') applyYRange(layout, o.yRange, 0, 0, 0);
  addRefLines(layout, o.refLines);
  return { data: [...bands, ...lines], layout };
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

/**
 * Data strings (labels, group and series names, reference-line labels) are plain text: plotly renders a subset of
 * HTML in text (`<b>`, `<br>`, ...) and decodes entities, so `&`, `<` and `>` become entities and show literally.
 * Titles (`title`, `xTitle`, `yTitle`, `legendTitle`) are passed as plotly rich text, so `<br>` or `<sub>` work there.
 */
function plainText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Options every builder shares. */
interface CommonOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  refLines: readonly RefLine[];
  yRange: YRange;
  width: number;
  height: number;
  colors: readonly string[];
}

/** Defaults overlaid by the caller's options into a new object; unknown keys throw; `undefined` keeps the default. */
function resolveOptions<T extends object>(fn: string, defaults: Readonly<T>, options: Partial<T> | undefined): T {
  if (options === undefined || options === null) return { ...defaults } as T;
  if (typeof options !== 'object' || Array.isArray(options)) throw new Error(`${fn}: options must be an object`);
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(options)) {
    if (!Object.prototype.hasOwnProperty.call(defaults, k)) {
      throw new Error(`${fn}: unknown option "${k}"; known options: ${Object.keys(defaults).join(', ')}`);
    }
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

function checkString(fn: string, key: string, v: unknown): void {
  if (typeof v !== 'string') throw new Error(`${fn}: option "${key}" must be a string, got ${JSON.stringify(v)}`);
}

function checkBoolean(fn: string, key: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new Error(`${fn}: option "${key}" must be true or false, got ${JSON.stringify(v)}`);
}

function checkEnum(fn: string, key: string, v: unknown, allowed: readonly string[]): void {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new Error(`${fn}: option "${key}" must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
}

function checkFraction(fn: string, key: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) {
    throw new Error(`${fn}: option "${key}" must be a number in [0, 1), got ${JSON.stringify(v)}`);
  }
}

function checkStringArray(fn: string, key: string, v: unknown): void {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw new Error(`${fn}: option "${key}" must be an array of strings`);
  }
}

function checkCommonOptions(fn: string, o: CommonOptions): void {
  checkString(fn, 'title', o.title);
  checkString(fn, 'xTitle', o.xTitle);
  checkString(fn, 'yTitle', o.yTitle);
  for (const key of ['width', 'height'] as const) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 50 || v > 10000) {
      throw new Error(`${fn}: option "${key}" must be a number of px in [50, 10000], got ${JSON.stringify(v)}`);
    }
  }
  if (!Array.isArray(o.colors) || o.colors.length === 0 || o.colors.some((c) => typeof c !== 'string' || !/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(c))) {
    throw new Error(`${fn}: option "colors" must be a non-empty array of hex colours like '#4e79a7'`);
  }
  if (!Array.isArray(o.refLines)) throw new Error(`${fn}: option "refLines" must be an array of { y, label }`);
  o.refLines.forEach((l, i) => {
    if (l === null || typeof l !== 'object' || typeof l.y !== 'number' || !Number.isFinite(l.y) || typeof l.label !== 'string') {
      throw new Error(`${fn}: option "refLines" entry ${i} must be { y: finite number, label: string }, got ${JSON.stringify(l)}`);
    }
  });
  const r = o.yRange;
  if (r !== 'auto' && r !== 'zero') {
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] < r[1])) {
      throw new Error(`${fn}: option "yRange" must be 'auto', 'zero' or [min, max] with min < max, got ${JSON.stringify(r)}`);
    }
  }
}

/** Sets the y range: explicit, include-zero, or auto-zoomed to [lo, hi] (see {@link BarChartOptions.yRange}). */
function applyYRange(layout: Layout, range: YRange, lo: number, hi: number, padding: number): void {
  const axis = (layout.yaxis ??= {});
  if (range === 'zero') {
    axis.rangemode = 'tozero';
    return;
  }
  if (range !== 'auto') {
    axis.range = [range[0], range[1]];
    axis.autorange = false;
    return;
  }
  const span = hi - lo > 0 ? hi - lo : Math.abs(hi) || 1;
  const pad = span * padding;
  let r: [number, number];
  if (lo >= 0 && lo <= span) r = [0, hi + pad];
  else if (hi <= 0 && -hi <= span) r = [lo - pad, 0];
  else r = [lo - pad, hi + pad];
  axis.range = r;
  axis.autorange = false;
}

function addRefLines(layout: Layout, refLines: readonly RefLine[]): void {
  if (refLines.length === 0) return;
  const shapes: Shape[] = refLines.map((l) => ({
    type: 'line',
    xref: 'paper',
    yref: 'y',
    x0: 0,
    x1: 1,
    y0: l.y,
    y1: l.y,
    line: { color: PLOT_DEFAULTS.refLineColor, width: 1.5, dash: 'dash' },
    layer: 'above',
  }));
  const annotations: Annotation[] = refLines
    .filter((l) => l.label !== '')
    .map((l) => ({
      text: plainText(l.label),
      xref: 'paper',
      yref: 'y',
      x: 1,
      y: l.y,
      xanchor: 'right',
      yanchor: 'bottom',
      showarrow: false,
      font: { size: 11, color: PLOT_DEFAULTS.refLineColor },
    }));
  layout.shapes = [...(layout.shapes ?? []), ...shapes];
  layout.annotations = [...(layout.annotations ?? []), ...annotations];
}
