/**
 * Figure builders: pure `(data, options) -> Figure` functions. Each has an exported, frozen `..._DEFAULTS` constant;
 * options are merged over the defaults into a new object (the caller's object is never mutated), unknown option keys
 * throw, and bad data (empty input, non-finite numbers, mismatched lengths) throws an Error naming the row or series.
 */
import { baseLayout, methodColors, paletteColor, PLOT_DEFAULTS, withAlpha } from './figure.ts';
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
 * one shows a flat (zero) whisker. A `NaN` std (a result-table cell of one seed: spread not measured) draws no whisker.
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
   * How rows are drawn. Bars always start at 0 (a bar's length is its value, so a bar cut off above 0 misleads: DIN at
   * 0.72 would look 3x DNN at 0.70). `'dots'` draws a dot with its ± std interval on an axis zoomed to the data, for
   * values far from 0 such as AUCs. `'auto'` (default): bars when 0 lies near the data (within their spread), else dots.
   * Groups sit side by side (dodged) in both styles, each with its own error bar.
   */
  style: 'auto' | 'bars' | 'dots';
  /**
   * `'auto'`: bars from 0 to the data (and reference lines) plus `yPadding`; dots zoomed to the data ± std (and
   * reference lines), padded by `yPadding` of their span. `'zero'` always includes 0; or an explicit `[min, max]`.
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
  /**
   * Palette (hex colours), one per group (or per bar without groups), cycling. The default palette colours each group
   * (or bar) by its name with {@link methodColors}, so a method has one colour across all figures.
   */
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
  style: 'auto',
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
 * Throws on empty `rows`, a non-finite `mean`, an infinite or negative `std` (`NaN` means not measured: no whisker), a duplicate (label, group), mixed grouped and
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
export function barChart(input: readonly BarRow[], options: Partial<BarChartOptions> = {}): Figure {
  const fn = 'barChart';
  const o = resolveOptions(fn, BAR_CHART_DEFAULTS, options);
  checkCommonOptions(fn, o);
  checkFraction(fn, 'yPadding', o.yPadding);
  checkBoolean(fn, 'errorBars', o.errorBars);
  checkStringArray(fn, 'groupOrder', o.groupOrder);
  checkString(fn, 'legendTitle', o.legendTitle);
  checkEnum(fn, 'style', o.style, ['auto', 'bars', 'dots']);

  if (!Array.isArray(input)) throw new Error(`${fn}: rows must be an array of { label, mean, std?, group? }`);
  if (input.length === 0) throw new Error(`${fn}: rows is empty; nothing to plot`);
  // A one-seed cell's std is NaN (not measured): no whisker rather than an error.
  const rows = input.map((r: BarRow) => (r !== null && typeof r === 'object' && Number.isNaN(r.std) ? { ...r, std: undefined } : r));
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

  const lows = rows.map((r) => r.mean - (o.errorBars ? (r.std ?? 0) : 0));
  const highs = rows.map((r) => r.mean + (o.errorBars ? (r.std ?? 0) : 0));
  for (const l of o.refLines) {
    lows.push(l.y);
    highs.push(l.y);
  }
  const lo = Math.min(...lows);
  const hi = Math.max(...highs);
  const dots = o.style === 'dots' || (o.style === 'auto' && !zeroIsNear(lo, hi));

  const byName = o.colors === BAR_CHART_DEFAULTS.colors;
  const errorBar = (stds: (number | undefined)[], color: string): Pick<Trace, 'error_y'> =>
    o.errorBars && stds.some((s) => s !== undefined)
      ? {
          error_y: {
            type: 'data',
            array: stds.map((s) => (s === undefined ? null : s)),
            visible: true,
            color,
            thickness: dots ? 2 : 1.5,
            width: dots ? 0 : 5,
          },
        }
      : {};
  const look = (color: string | string[]): Partial<Trace> =>
    dots
      ? { type: 'scatter', mode: 'markers', marker: { color, size: 10, line: { color: '#ffffff', width: 1 } } }
      : { type: 'bar', marker: { color } };

  const data: Trace[] = [];
  if (grouped) {
    const groupColors = byName ? methodColors(groupOrder) : groupOrder.map((_, gi) => paletteColor(gi, o.colors));
    groupOrder.forEach((g, gi) => {
      const own = labels
        .map((l) => rows.find((r) => r.label === l && r.group === g))
        .filter((r): r is BarRow => r !== undefined);
      const color = groupColors[gi];
      data.push({
        type: 'bar',
        ...look(color),
        name: plainText(g),
        x: own.map((r) => plainText(r.label)),
        y: own.map((r) => r.mean),
        offsetgroup: plainText(g),
        ...errorBar(own.map((r) => r.std), dots ? color : PLOT_DEFAULTS.errorBarColor),
      });
    });
  } else {
    const colors = byName ? methodColors(rows.map((r) => r.label)) : rows.map((_, i) => paletteColor(i, o.colors));
    data.push({
      type: 'bar',
      ...look(colors),
      name: '',
      x: rows.map((r) => plainText(r.label)),
      y: rows.map((r) => r.mean),
      showlegend: false,
      ...errorBar(rows.map((r) => r.std), PLOT_DEFAULTS.errorBarColor),
    });
  }

  const layout: Layout = baseLayout(o);
  layout.barmode = 'group';
  layout.bargap = 0.25;
  layout.bargroupgap = 0.05;
  if (dots && grouped) {
    layout.scattermode = 'group';
    layout.scattergap = 0.5;
  }
  layout.showlegend = grouped;
  if (grouped && o.legendTitle) layout.legend = { title: { text: o.legendTitle } };
  if (layout.xaxis) {
    layout.xaxis.type = 'category';
    layout.xaxis.showgrid = false;
  }
  if (dots && o.yRange === 'auto') applyYRange(layout, 'zoom', lo, hi, o.yPadding);
  else if (!dots && o.yRange === 'auto') applyYRange(layout, 'bars', lo, hi, o.yPadding);
  else applyYRange(layout, o.yRange, lo, hi, o.yPadding);
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
  /**
   * How `yStd` is drawn: a translucent band (± std), error bars, or not at all. With error bars and several series,
   * the series are dodged (set side by side at each x) so their bars do not overlap.
   */
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
  /**
   * Palette (hex colours), one per series, cycling. The default palette colours each series by its name with
   * {@link methodColors}, so a method has one colour across all figures.
   */
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
  const seriesColors =
    o.colors === LINE_CHART_DEFAULTS.colors ? methodColors(series.map((s) => s.name)) : series.map((_, i) => paletteColor(i, o.colors));
  const dodge = o.errorStyle === 'bars' && series.length > 1 && series.some((s) => s.yStd !== undefined);
  series.forEach((s, i) => {
    const color = seriesColors[i];
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
      ...(dodge ? { offsetgroup: plainText(s.name) } : {}),
      ...(s.yStd && o.errorStyle === 'bars'
        ? { error_y: { type: 'data', array: [...s.yStd], visible: true, color, thickness: 1.5, width: 4 } }
        : {}),
    });
  });

  const layout: Layout = baseLayout(o);
  layout.showlegend = o.showLegend === 'auto' ? series.length > 1 : o.showLegend;
  layout.hovermode = 'closest';
  if (o.xType !== 'auto' && layout.xaxis) layout.xaxis.type = o.xType;
  if (dodge) {
    // Points of different series at one x sit side by side, each with its own error bar (plotly's scattermode).
    layout.scattermode = 'group';
    layout.scattergap = 0.3;
    if (o.yRange === 'auto') {
      // plotly's autorange takes grouped points down to 0 like bars; zoom to the points and their error bars instead.
      const lows = series.flatMap((s) => s.y.map((v: number, j: number) => v - (s.yStd?.[j] ?? 0))).concat(o.refLines.map((l) => l.y));
      const highs = series.flatMap((s) => s.y.map((v: number, j: number) => v + (s.yStd?.[j] ?? 0))).concat(o.refLines.map((l) => l.y));
      applyYRange(layout, 'zoom', Math.min(...lows), Math.max(...highs), 0.1);
    }
  }
  const numericX = series.flatMap((s) => s.x).filter((v): v is number => typeof v === 'number');
  if (layout.xaxis && layout.xaxis.type !== 'category' && o.xType !== 'log' && numericX.length > 0 && numericX.every(Number.isInteger)) {
    // Integer x (epochs, rounds, K): ticks only at integers, never at 1.5.
    const lo = Math.min(...numericX);
    const hi = Math.max(...numericX);
    layout.xaxis.tickmode = 'linear';
    layout.xaxis.tick0 = lo;
    layout.xaxis.dtick = integerStep(hi - lo);
    layout.xaxis.tickformat = 'd';
  }
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

/** A tick step for an integer axis spanning `span`: 1, 2, 5, 10, 20, 50, ... giving at most about 10 ticks. */
function integerStep(span: number): number {
  for (let mag = 1; ; mag *= 10) {
    for (const m of [1, 2, 5]) if (span / (m * mag) <= 10) return m * mag;
  }
}

/** Whether 0 lies near data spanning [lo, hi]: inside it, or within one span of it. */
function zeroIsNear(lo: number, hi: number): boolean {
  const span = hi - lo > 0 ? hi - lo : Math.abs(hi) || 1;
  return (lo <= 0 && hi >= 0) || (lo > 0 && lo <= span) || (hi < 0 && -hi <= span);
}

/**
 * Sets the y range: `'zero'` (plotly's range including 0), `'bars'` (from 0 to the data bounds `lo`/`hi`, padded away
 * from 0), `'zoom'` (the data bounds padded by `padding` of their span), or an explicit `[min, max]`.
 */
function applyYRange(layout: Layout, range: YRange | 'bars' | 'zoom', lo: number, hi: number, padding: number): void {
  const axis = (layout.yaxis ??= {});
  if (range === 'zero' || range === 'auto') {
    axis.rangemode = 'tozero';
    return;
  }
  const span = hi - lo > 0 ? hi - lo : Math.abs(hi) || 1;
  const pad = span * padding;
  let r: [number, number];
  if (range === 'bars') {
    const top = Math.max(0, hi);
    const bottom = Math.min(0, lo);
    const full = top - bottom || 1;
    r = [bottom < 0 ? bottom - full * padding : 0, top > 0 ? top + full * padding : 0];
  } else if (range === 'zoom') {
    r = [lo - pad, hi + pad];
  } else {
    r = [range[0], range[1]];
  }
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
