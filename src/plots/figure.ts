/**
 * The plotly figure types reclab builds and exports, and the fixed look every figure starts from. A figure is plain
 * JSON (`{ data, layout }`) so it can be snapshot-tested, written next to results and rendered by plotly.js anywhere.
 * The types cover the attributes reclab sets; any other plotly attribute passes through as `unknown`.
 */

/** A plotly font: family, size in px and colour. Extra plotly font keys pass through. */
export interface Font {
  family?: string;
  size?: number;
  color?: string;
  [key: string]: unknown;
}

/** Plotly error bars (`error_y` / `error_x`); `array` holds one half-width per point, `null` for none. */
export interface ErrorBar {
  type?: 'data' | 'percent' | 'constant' | 'sqrt';
  array?: (number | null)[];
  visible?: boolean;
  symmetric?: boolean;
  color?: string;
  thickness?: number;
  width?: number;
  [key: string]: unknown;
}

/** Marker style of a bar or scatter trace; `color` is one colour or one per point. */
export interface Marker {
  color?: string | string[];
  size?: number;
  symbol?: string;
  opacity?: number;
  line?: { color?: string; width?: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** Line style of a scatter trace. */
export interface LineStyle {
  color?: string;
  width?: number;
  dash?: 'solid' | 'dot' | 'dash' | 'longdash' | 'dashdot' | 'longdashdot';
  shape?: 'linear' | 'spline' | 'hv' | 'vh' | 'hvh' | 'vhv';
  [key: string]: unknown;
}

/**
 * One plotly trace. `type` is the plotly trace type (`'bar'`, `'scatter'`, ...); x/y hold the points.
 * @example
 * const t: Trace = { type: 'bar', name: 'DIN', x: ['CTR', 'CVR'], y: [0.71, 0.66] };
 */
export interface Trace {
  type: 'bar' | 'scatter' | (string & {});
  name?: string;
  x?: (number | string)[];
  y?: (number | string | null)[];
  mode?: 'lines' | 'markers' | 'lines+markers' | 'text' | 'none' | (string & {});
  orientation?: 'v' | 'h';
  marker?: Marker;
  line?: LineStyle;
  error_x?: ErrorBar;
  error_y?: ErrorBar;
  fill?: 'none' | 'tozeroy' | 'tonexty' | 'toself' | 'tonext' | (string & {});
  fillcolor?: string;
  text?: string | string[];
  textposition?: 'inside' | 'outside' | 'auto' | 'none' | (string & {});
  hoverinfo?: string;
  hovertemplate?: string;
  showlegend?: boolean;
  legendgroup?: string;
  visible?: boolean | 'legendonly';
  [key: string]: unknown;
}

/** A plotly axis (`layout.xaxis` / `layout.yaxis`). */
export interface Axis {
  title?: { text: string; standoff?: number; font?: Font; [key: string]: unknown };
  type?: '-' | 'linear' | 'log' | 'date' | 'category';
  range?: [number, number];
  autorange?: boolean | 'reversed';
  rangemode?: 'normal' | 'tozero' | 'nonnegative';
  showgrid?: boolean;
  gridcolor?: string;
  zeroline?: boolean;
  showline?: boolean;
  linecolor?: string;
  ticks?: '' | 'outside' | 'inside';
  tickformat?: string;
  automargin?: boolean;
  [key: string]: unknown;
}

/** A layout shape, e.g. a horizontal reference line across the plot (`xref: 'paper'`, `y0 = y1`). */
export interface Shape {
  type: 'line' | 'rect' | 'circle' | 'path';
  xref?: string;
  yref?: string;
  x0?: number | string;
  x1?: number | string;
  y0?: number | string;
  y1?: number | string;
  line?: LineStyle;
  layer?: 'above' | 'below';
  [key: string]: unknown;
}

/** A layout text annotation. */
export interface Annotation {
  text: string;
  x?: number | string;
  y?: number | string;
  xref?: string;
  yref?: string;
  xanchor?: 'auto' | 'left' | 'center' | 'right';
  yanchor?: 'auto' | 'top' | 'middle' | 'bottom';
  showarrow?: boolean;
  font?: Font;
  [key: string]: unknown;
}

/** The plotly layout: size, title, axes, legend, shapes and annotations. */
export interface Layout {
  title?: { text: string; x?: number; xanchor?: 'auto' | 'left' | 'center' | 'right'; font?: Font; [key: string]: unknown };
  width?: number;
  height?: number;
  font?: Font;
  colorway?: string[];
  paper_bgcolor?: string;
  plot_bgcolor?: string;
  margin?: { l?: number; r?: number; t?: number; b?: number; pad?: number };
  xaxis?: Axis;
  yaxis?: Axis;
  barmode?: 'group' | 'stack' | 'overlay' | 'relative';
  bargap?: number;
  bargroupgap?: number;
  showlegend?: boolean;
  legend?: { orientation?: 'v' | 'h'; x?: number; y?: number; xanchor?: string; yanchor?: string; title?: { text: string }; [key: string]: unknown };
  shapes?: Shape[];
  annotations?: Annotation[];
  hovermode?: false | 'closest' | 'x' | 'y' | 'x unified' | 'y unified';
  [key: string]: unknown;
}

/**
 * A plotly figure: traces plus layout, plain JSON.
 * @example
 * const fig: Figure = { data: [{ type: 'scatter', x: [1, 2], y: [0.6, 0.7] }], layout: { width: 720, height: 420 } };
 */
export interface Figure {
  data: Trace[];
  layout: Layout;
}

/** Shape of {@link PLOT_DEFAULTS}. */
export interface PlotDefaults {
  readonly width: number;
  readonly height: number;
  readonly font: Readonly<{ family: string; size: number; color: string }>;
  readonly titleFontSize: number;
  readonly colorway: readonly string[];
  readonly paperColor: string;
  readonly plotColor: string;
  readonly gridColor: string;
  readonly axisLineColor: string;
  readonly refLineColor: string;
  readonly errorBarColor: string;
  readonly margin: Readonly<{ l: number; r: number; t: number; b: number }>;
}

/**
 * The fixed look of every reclab figure: 720x420 px, a sans-serif font available in headless Chromium (Liberation
 * Sans / DejaVu Sans on Debian), white background with light grid, and a fixed 10-colour palette (Tableau 10) so a
 * series keeps its colour across runs and machines. Frozen.
 * @example
 * PLOT_DEFAULTS.width;        // 720
 * PLOT_DEFAULTS.colorway[0];  // '#4e79a7'
 */
export const PLOT_DEFAULTS: PlotDefaults = deepFreeze({
  width: 720,
  height: 420,
  font: { family: 'Arial, "Liberation Sans", Helvetica, "DejaVu Sans", sans-serif', size: 13, color: '#2a2a2a' },
  titleFontSize: 16,
  colorway: ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'],
  paperColor: '#ffffff',
  plotColor: '#ffffff',
  gridColor: '#e6e6e6',
  axisLineColor: '#444444',
  refLineColor: '#555555',
  errorBarColor: '#333333',
  margin: { l: 70, r: 30, t: 60, b: 60 },
});

/**
 * Colour `i` of a palette (default {@link PLOT_DEFAULTS}.colorway), cycling when `i` exceeds its length.
 * @example
 * paletteColor(0);  // '#4e79a7'
 * paletteColor(10); // '#4e79a7' again
 */
export function paletteColor(i: number, palette: readonly string[] = PLOT_DEFAULTS.colorway): string {
  if (palette.length === 0) throw new Error('paletteColor: the palette is empty');
  const n = palette.length;
  return palette[((Math.floor(i) % n) + n) % n];
}

/**
 * The 20 colours methods are drawn in (Tableau 20, dark shades first), distinct enough side by side. Frozen.
 * @example
 * METHOD_PALETTE.length; // 20
 */
export const METHOD_PALETTE: readonly string[] = Object.freeze([
  '#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#79706e',
  '#1f5f8b', '#b85a0d', '#8c1c2e', '#2f6b2a', '#6b3d7a', '#2c7f7a', '#a68a00', '#c2185b', '#5d4037', '#bab0ac',
]);

/**
 * Fixed colours of the methods the papers compare (keys lower-case), so a method looks the same in every figure of
 * every paper: the declared bases in blues and greys, each paper's own method in a warm colour. Names not listed get a
 * colour from a hash of the name ({@link methodColor}). Frozen.
 * @example
 * KNOWN_METHOD_COLORS['din']; // '#4e79a7'
 */
export const KNOWN_METHOD_COLORS: Readonly<Record<string, string>> = Object.freeze({
  dnn: '#79706e',
  din: '#4e79a7',
  deepfm: '#76b7b2',
  'wide&deep': '#2c7f7a',
  mmoe: '#59a14f',
  ple: '#1f5f8b',
  esmm: '#76b7b2',
  escm2: '#2f6b2a',
  dcmt: '#b07aa1',
  choruscvr: '#e15759',
  farm: '#e15759',
  minet: '#e15759',
  conet: '#b07aa1',
  'random init': '#79706e',
  'meta-embedding': '#4e79a7',
  'gme-p': '#edc948',
  'gme-g': '#f28e2b',
  'gme-a': '#e15759',
  'bpr-mf': '#79706e',
  emcdr: '#4e79a7',
  ptupcdr: '#59a14f',
  unicdr: '#f28e2b',
  'unicdr+': '#e15759',
  mrff: '#e15759',
  fedpa: '#e15759',
  sasrec: '#4e79a7',
  'fedavg-sasrec': '#4e79a7',
  'local-only sasrec': '#79706e',
  em3: '#e15759',
  'id-only': '#79706e',
  'base (id only)': '#79706e',
  qarm: '#e15759',
  'moment&cross': '#e15759',
  'base (daily batch)': '#79706e',
  'ground-truth ceiling': '#333333',
});

/** The key a method name is coloured by: lower-case, without the ' †' still-improving mark and markup escapes. */
function methodKey(name: string): string {
  return name.replace(/\s*†\s*$/, '').replace(/&amp;/g, '&').trim().toLowerCase();
}

/**
 * The colour of a method or series name, the same in every figure: {@link KNOWN_METHOD_COLORS} when listed, else a
 * colour of {@link METHOD_PALETTE} picked by a hash of the name.
 * @example
 * methodColor('DIN');          // '#4e79a7' in every figure
 * methodColor('DIN †');        // the same
 * methodColor('my new model'); // always the same palette colour for this name
 */
export function methodColor(name: string): string {
  const key = methodKey(name);
  const known = KNOWN_METHOD_COLORS[key];
  if (known) return known;
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return METHOD_PALETTE[h % METHOD_PALETTE.length];
}

/**
 * Colours for the series of one figure, by name ({@link methodColor}); where two names of the figure would share a
 * colour, the later one takes the next palette colour not used in the figure, so series stay distinguishable.
 * @example
 * methodColors(['DIN', 'DNN']); // ['#4e79a7', '#79706e']
 */
export function methodColors(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    let c = methodColor(n);
    if (used.has(c)) {
      const start = Math.max(0, METHOD_PALETTE.indexOf(c));
      for (let k = 1; k <= METHOD_PALETTE.length; k++) {
        const cand = METHOD_PALETTE[(start + k) % METHOD_PALETTE.length];
        if (!used.has(cand)) {
          c = cand;
          break;
        }
      }
    }
    used.add(c);
    return c;
  });
}

/**
 * A long title broken into lines of at most `maxChars` characters at spaces (plotly does not wrap titles), keeping
 * explicit `<br>`s.
 * @example
 * wrapTitle('a b c', 3); // 'a b<br>c'
 */
export function wrapTitle(text: string, maxChars = 80): string {
  return text
    .split(/<br\s*\/?>/i)
    .map((line) => {
      const out: string[] = [];
      let cur = '';
      for (const word of line.split(' ')) {
        const visible = (cur ? `${cur} ${word}` : word).replace(/<[^>]*>/g, '');
        if (cur && visible.length > maxChars) {
          out.push(cur);
          cur = word;
        } else cur = cur ? `${cur} ${word}` : word;
      }
      out.push(cur);
      return out.join('<br>');
    })
    .join('<br>');
}

/**
 * `#rrggbb` (or `#rgb`) to `rgba(r,g,b,alpha)`, used for translucent error bands.
 * @example
 * withAlpha('#4e79a7', 0.2); // 'rgba(78,121,167,0.2)'
 */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`withAlpha: expected a colour like #rrggbb, got ${JSON.stringify(hex)}`);
  let h = m[1];
  if (h.length === 3) h = h[0] + h[0] + h[1] + h[1] + h[2] + h[2];
  const r = parseInt(h.slice(0, 2), 16);
  const g = parseInt(h.slice(2, 4), 16);
  const b = parseInt(h.slice(4, 6), 16);
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Inputs of {@link baseLayout}; empty strings mean "no title". */
export interface BaseLayoutOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  width: number;
  height: number;
  colors: readonly string[];
}

/**
 * A fresh (mutable, unshared) layout with the reclab look: size, font, palette, white background, light grid, titles.
 * Builders start from it; plotly may write into a layout it draws, so each call returns new objects.
 * @example
 * const layout = baseLayout({ title: 'AUC', xTitle: '', yTitle: 'AUC', width: 720, height: 420, colors: PLOT_DEFAULTS.colorway });
 */
export function baseLayout(o: BaseLayoutOptions): Layout {
  const d = PLOT_DEFAULTS;
  const axis = (title: string): Axis => ({
    ...(title ? { title: { text: title } } : {}),
    showgrid: true,
    gridcolor: d.gridColor,
    zeroline: false,
    showline: true,
    linecolor: d.axisLineColor,
    ticks: 'outside',
    automargin: true,
  });
  return {
    ...(o.title ? { title: { text: wrapTitle(o.title, Math.max(30, Math.floor(o.width / 9.5))), x: 0.5, xanchor: 'center', font: { size: d.titleFontSize } } } : {}),
    width: o.width,
    height: o.height,
    font: { ...d.font },
    colorway: [...o.colors],
    paper_bgcolor: d.paperColor,
    plot_bgcolor: d.plotColor,
    margin: { ...d.margin, t: o.title ? d.margin.t + 20 * (wrapTitle(o.title, Math.max(30, Math.floor(o.width / 9.5))).split('<br>').length - 1) : 30 },
    xaxis: axis(o.xTitle),
    yaxis: axis(o.yTitle),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value as object)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
