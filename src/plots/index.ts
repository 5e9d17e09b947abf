/**
 * reclab plots: figure types and look ({@link PLOT_DEFAULTS}), pure figure builders ({@link barChart},
 * {@link lineChart}) and export (standalone HTML, notebook fragments, PNG/SVG/PDF through headless Chromium).
 * @example
 * import { barChart, exportFigure } from './plots/index.ts';
 * await exportFigure(barChart([{ label: 'DIN', mean: 0.71, std: 0.004 }], { yTitle: 'AUC' }), 'out', 'auc');
 */
export { KNOWN_METHOD_COLORS, METHOD_PALETTE, PLOT_DEFAULTS, baseLayout, methodColor, methodColors, paletteColor, withAlpha, wrapTitle } from './figure.ts';
export type {
  Annotation,
  Axis,
  BaseLayoutOptions,
  ErrorBar,
  Figure,
  Font,
  Layout,
  LineStyle,
  Marker,
  PlotDefaults,
  Shape,
  Trace,
} from './figure.ts';
export { BAR_CHART_DEFAULTS, LINE_CHART_DEFAULTS, barChart, lineChart } from './builders.ts';
export type { BarChartOptions, BarRow, LineChartOptions, LineSeries, RefLine, YRange } from './builders.ts';
export {
  ChromiumMissingError,
  checkFileName,
  chromiumPath,
  escapeHtml,
  exportFigure,
  exportFigures,
  figureDiv,
  figureFromFragment,
  figureHtml,
  htmlToPdf,
  jsonForScript,
  plotlyFileName,
  plotlyVersion,
  writePlotlyFile,
  screenshot,
  withBrowser,
} from './export.ts';
export type {
  BrowserOptions,
  ExportFormat,
  ExportOptions,
  ExportedFiles,
  FigureDivOptions,
  FigureHtmlOptions,
  FigureItem,
  PdfOptions,
  ScreenshotOptions,
} from './export.ts';
