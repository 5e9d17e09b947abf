/**
 * Tests of src/plots: builder snapshots (numbers rounded to 4 decimals, checked in under __snapshots__/; rerun with
 * RECLAB_UPDATE_SNAPSHOTS=1 to rewrite them), defaults, validation messages, HTML escaping, and export through
 * headless Chromium (three launches in all: export, PDF, error detection).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BAR_CHART_DEFAULTS,
  ChromiumMissingError,
  LINE_CHART_DEFAULTS,
  PLOT_DEFAULTS,
  barChart,
  exportFigure,
  exportFigures,
  KNOWN_METHOD_COLORS,
  figureDiv,
  figureFromFragment,
  methodColor,
  methodColors,
  plotlyFileName,
  wrapTitle,
  figureHtml,
  htmlToPdf,
  jsonForScript,
  lineChart,
  screenshot,
} from '../../src/plots/index.ts';
import type { BarRow, Figure, LineSeries } from '../../src/plots/index.ts';

// ---------------------------------------------------------------------------------------------------------------
// snapshot helper

const SNAPSHOT_DIR = fileURLToPath(new URL('./__snapshots__/', import.meta.url));

function roundDeep(v: unknown): unknown {
  if (typeof v === 'number') {
    const r = Math.round(v * 1e4) / 1e4;
    return Object.is(r, -0) ? 0 : r;
  }
  if (Array.isArray(v)) return v.map(roundDeep);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x)]));
  }
  return v;
}

/** Compares `value` (as JSON, numbers rounded to 4 decimals) with __snapshots__/<name>.json, or writes it when updating. */
function matchSnapshot(name: string, value: unknown): void {
  const file = join(SNAPSHOT_DIR, `${name}.json`);
  const actual = roundDeep(JSON.parse(JSON.stringify(value)));
  if (process.env.RECLAB_UPDATE_SNAPSHOTS === '1') {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  const hint = `if the change is intended, rerun with RECLAB_UPDATE_SNAPSHOTS=1 and review the diff of ${file}`;
  if (!existsSync(file)) assert.fail(`snapshot ${file} is missing; ${hint}`);
  const expected: unknown = JSON.parse(readFileSync(file, 'utf8'));
  try {
    assert.deepStrictEqual(actual, expected);
  } catch (e) {
    if (e instanceof Error) e.message = `figure differs from snapshot ${name}.json:\n${e.message}\n${hint}`;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// fixtures

const AUC_ROWS: BarRow[] = [
  { label: 'CTR AUC', mean: 0.71234, std: 0.0031, group: 'FARM' },
  { label: 'CTR AUC', mean: 0.70118, std: 0.0042, group: 'MMoE' },
  { label: 'CVR AUC', mean: 0.68411, std: 0.0051, group: 'FARM' },
  { label: 'CVR AUC', mean: 0.67023, std: 0.0047, group: 'MMoE' },
];

const CURVES: LineSeries[] = [
  { name: 'train', x: [1, 2, 3, 4], y: [0.69, 0.6, 0.55, 0.52], yStd: [0.01, 0.012, 0.008, 0.01] },
  { name: 'valid', x: [1, 2, 3, 4], y: [0.7, 0.63, 0.6, 0.59] },
];

function pngSize(buf: Buffer): { width: number; height: number } {
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// ---------------------------------------------------------------------------------------------------------------
// defaults and builders

test('PLOT_DEFAULTS and builder defaults', () => {
  assert.equal(PLOT_DEFAULTS.width, 720);
  assert.equal(PLOT_DEFAULTS.height, 420);
  assert.equal(PLOT_DEFAULTS.colorway.length, 10);
  assert.equal(PLOT_DEFAULTS.colorway[0], '#4e79a7');
  assert.ok(Object.isFrozen(PLOT_DEFAULTS) && Object.isFrozen(PLOT_DEFAULTS.colorway) && Object.isFrozen(PLOT_DEFAULTS.font));

  assert.ok(Object.isFrozen(BAR_CHART_DEFAULTS));
  assert.equal(BAR_CHART_DEFAULTS.yRange, 'auto');
  assert.equal(BAR_CHART_DEFAULTS.yPadding, 0.15);
  assert.equal(BAR_CHART_DEFAULTS.errorBars, true);
  assert.deepEqual(BAR_CHART_DEFAULTS.refLines, []);
  assert.equal(BAR_CHART_DEFAULTS.width, 720);
  assert.equal(BAR_CHART_DEFAULTS.height, 420);

  assert.ok(Object.isFrozen(LINE_CHART_DEFAULTS));
  assert.equal(LINE_CHART_DEFAULTS.errorStyle, 'band');
  assert.equal(LINE_CHART_DEFAULTS.markers, true);
  assert.equal(LINE_CHART_DEFAULTS.showLegend, 'auto');
  assert.equal(LINE_CHART_DEFAULTS.yRange, 'auto');

  const fig = barChart([{ label: 'a', mean: 1 }]);
  assert.equal(fig.layout.width, 720);
  assert.equal(fig.layout.height, 420);
  assert.equal(fig.layout.title, undefined, 'no title by default');
});

test('barChart: grouped bars with error bars and a reference line (snapshot)', () => {
  const options = Object.freeze({
    title: 'FARM main results',
    xTitle: 'task',
    yTitle: 'AUC',
    refLines: Object.freeze([Object.freeze({ y: 0.735, label: 'ground-truth ceiling' })]),
    legendTitle: 'model',
  });
  const before = JSON.stringify(options);
  const fig = barChart(AUC_ROWS, options);
  assert.equal(JSON.stringify(options), before, 'options are not mutated');
  assert.equal(fig.data.length, 2);
  assert.deepEqual(fig.data.map((t) => t.name), ['FARM', 'MMoE']);
  assert.deepEqual(fig.data[0].error_y?.array, [0.0031, 0.0051]);
  // AUCs around 0.7 are far from 0: drawn as dots with intervals (never as bars cut off above 0), zoomed to the data
  // and the ceiling, the two models dodged side by side at each task.
  assert.deepEqual(fig.data.map((t) => [t.type, t.mode]), [['scatter', 'markers'], ['scatter', 'markers']]);
  assert.equal(fig.layout.scattermode, 'group');
  assert.deepEqual(fig.data.map((t) => t.offsetgroup), ['FARM', 'MMoE']);
  const range = fig.layout.yaxis?.range;
  assert.ok(range && range[0] > 0.6 && range[0] < 0.67 && range[1] > 0.735 && range[1] < 0.8, `range ${String(range)}`);
  // Bars always start at 0, whatever the data.
  const bars = barChart(AUC_ROWS, { ...options, style: 'bars' });
  assert.deepEqual(bars.data.map((t) => t.type), ['bar', 'bar']);
  assert.equal(bars.layout.yaxis?.range?.[0], 0, 'bars start at 0');
  assert.ok((bars.layout.yaxis?.range?.[1] ?? 0) > 0.735);
  const negative = barChart([{ label: 'a', mean: -0.02 }, { label: 'b', mean: 0.05 }], { style: 'bars' });
  assert.ok((negative.layout.yaxis?.range?.[0] ?? 0) < -0.02 && (negative.layout.yaxis?.range?.[1] ?? 0) > 0.05);
  assert.equal(fig.layout.shapes?.[0].y0, 0.735);
  assert.equal(fig.layout.annotations?.[0].text, 'ground-truth ceiling');
  matchSnapshot('bar-grouped', fig);
});

test('barChart: ungrouped bars, group order, y ranges', () => {
  const fig = barChart([
    { label: 'DIN', mean: 0.7 },
    { label: 'DIEN', mean: 0.72, std: 0.01 },
  ]);
  assert.equal(fig.data.length, 1);
  assert.equal(fig.layout.showlegend, false);
  assert.deepEqual(fig.data[0].marker?.color, [methodColor('DIN'), methodColor('DIEN')], 'bars coloured by method name');
  assert.equal(methodColor('DIN'), KNOWN_METHOD_COLORS.din);
  assert.deepEqual(barChart([{ label: 'a', mean: 1 }, { label: 'b', mean: 2 }], { colors: ['#111111', '#222222'] }).data[0].marker?.color, ['#111111', '#222222'], 'an explicit palette is used by position');
  assert.deepEqual(fig.data[0].error_y?.array, [null, 0.01]);
  matchSnapshot('bar-ungrouped', fig);

  // data spread wide relative to their level (counts) start at 0
  const counts = barChart([
    { label: 'a', mean: 5 },
    { label: 'b', mean: 100 },
  ]);
  assert.equal(counts.layout.yaxis?.range?.[0], 0);
  assert.deepEqual(barChart([{ label: 'a', mean: 0.7 }], { yRange: [0.5, 0.8] }).layout.yaxis?.range, [0.5, 0.8]);
  assert.equal(barChart([{ label: 'a', mean: 0.7 }], { yRange: 'zero' }).layout.yaxis?.rangemode, 'tozero');

  // data strings are plain text for plotly (which would render <b> as bold); titles stay rich text
  const texty = barChart([{ label: 'a<b> & c', mean: 1, group: '<i>g' }], { title: 'AUC<sub>ctr</sub>', refLines: [{ y: 1, label: '<br>' }] });
  assert.deepEqual(texty.data[0].x, ['a&lt;b&gt; &amp; c']);
  assert.equal(texty.data[0].name, '&lt;i&gt;g');
  assert.equal(texty.layout.annotations?.[0].text, '&lt;br&gt;');
  assert.equal(texty.layout.title?.text, 'AUC<sub>ctr</sub>');
  assert.deepEqual(lineChart([{ name: '<s>', x: ['<x>'], y: [1] }]).data[0].x, ['&lt;x&gt;']);

  const ordered = barChart(AUC_ROWS, { groupOrder: ['MMoE'] });
  assert.deepEqual(ordered.data.map((t) => t.name), ['MMoE', 'FARM']);
  // One colour per method across figures: the order of the groups and the kind of figure do not change it.
  const farmColor = (f: Figure): unknown => f.data.find((t) => t.name === 'FARM' && t.fill === undefined)?.marker?.color;
  assert.equal(farmColor(ordered), farmColor(barChart(AUC_ROWS)));
  assert.equal(farmColor(lineChart([{ name: 'PLE', x: [1, 2], y: [1, 2] }, { name: 'FARM', x: [1, 2], y: [1, 2] }])), farmColor(ordered));
  assert.equal(methodColor('FARM †'), methodColor('FARM'), 'the still-improving mark keeps the colour');
  // Names that hash to one colour still get distinct colours within a figure.
  const many = Array.from({ length: 20 }, (_, i) => `model ${i}`);
  assert.equal(new Set(methodColors(many)).size, 20);
  assert.deepEqual(methodColors(many), methodColors(many), 'deterministic');
});

test('lineChart: bands, bars, categorical x (snapshots)', () => {
  const banded = lineChart(CURVES, { title: 'Training curve', xTitle: 'epoch', yTitle: 'logloss' });
  assert.equal(banded.data.length, 3, 'one band + two lines');
  assert.equal(banded.data[0].fill, 'toself');
  assert.equal(banded.data[0].showlegend, false);
  assert.equal(banded.layout.showlegend, true);
  assert.equal(banded.layout.yaxis?.range, undefined, 'lines keep plotly autorange');
  // Integer x (epochs): ticks at integers only.
  assert.deepEqual([banded.layout.xaxis?.tickmode, banded.layout.xaxis?.dtick, banded.layout.xaxis?.tickformat], ['linear', 1, 'd']);
  const long = lineChart([{ name: 'loss', x: Array.from({ length: 60 }, (_, i) => i + 1), y: Array.from({ length: 60 }, () => 1) }]);
  assert.equal(long.layout.xaxis?.dtick, 10, '60 epochs tick every 10');
  assert.equal(lineChart([{ name: 'm', x: [0, 0.5, 1], y: [1, 2, 3] }]).layout.xaxis?.dtick, undefined, 'fractional x keep plotly ticks');
  // Several series with error bars at the same x are dodged, each bar beside its own point.
  const stages = ['cold', 'warm-a', 'warm-b'];
  const dodged = lineChart(
    ['GME-A', 'GME-P', 'random init'].map((name, i) => ({ name, x: stages, y: [0.6 + i / 100, 0.65, 0.7], yStd: [0.01, 0.01, 0.01] })),
    { errorStyle: 'bars' },
  );
  assert.equal(dodged.layout.scattermode, 'group');
  assert.deepEqual(dodged.data.map((t) => t.offsetgroup), ['GME-A', 'GME-P', 'random init']);
  assert.equal(banded.layout.scattermode, undefined, 'bands are not dodged');
  // Long titles wrap instead of running off the figure.
  assert.equal(wrapTitle('aaa bbb ccc', 7), 'aaa bbb<br>ccc');
  const titled = lineChart(CURVES, { title: 'x'.repeat(30) + ' ' + 'y'.repeat(30) + ' ' + 'z'.repeat(30) });
  assert.equal(titled.layout.title?.text.split('<br>').length, 2);
  assert.ok((titled.layout.margin?.t ?? 0) > PLOT_DEFAULTS.margin.t, 'room for the second title line');
  matchSnapshot('line-band', banded);

  const warmup = lineChart(
    [{ name: 'GME-A', x: ['cold', 'warm-a', 'warm-b', 'warm-c'], y: [0.62, 0.66, 0.68, 0.69], yStd: [0.01, 0.01, 0.005, 0.004] }],
    { errorStyle: 'bars', markers: true, xTitle: 'stage', yTitle: 'AUC', refLines: [{ y: 0.72, label: 'ceiling' }] },
  );
  assert.equal(warmup.data.length, 1);
  assert.deepEqual(warmup.data[0].error_y?.array, [0.01, 0.01, 0.005, 0.004]);
  assert.equal(warmup.layout.showlegend, false, 'one series: no legend');
  matchSnapshot('line-bars', warmup);

  const noStd = lineChart(CURVES, { errorStyle: 'none', markers: false, xType: 'log' });
  assert.equal(noStd.data.length, 2);
  assert.equal(noStd.data[0].mode, 'lines');
  assert.equal(noStd.layout.xaxis?.type, 'log');
});

test('builders validate options and data with messages naming the culprit', () => {
  // unknown option keys, and bad values
  assert.throws(() => barChart(AUC_ROWS, { colour: 'red' } as never), /barChart: unknown option "colour"/);
  assert.throws(() => lineChart(CURVES, { errorstyle: 'bars' } as never), /lineChart: unknown option "errorstyle"/);
  assert.throws(() => lineChart(CURVES, { errorStyle: 'shade' } as never), /option "errorStyle" must be one of/);
  assert.throws(() => barChart(AUC_ROWS, { yRange: [1, 0] }), /option "yRange"/);
  assert.throws(() => barChart(AUC_ROWS, { refLines: [{ y: Number.NaN, label: 'x' }] }), /option "refLines" entry 0/);
  assert.throws(() => barChart(AUC_ROWS, { groupOrder: ['PLE'] }), /groupOrder.*"PLE"/);

  // bar rows
  assert.throws(() => barChart([]), /barChart: rows is empty/);
  assert.throws(
    () => barChart([{ label: 'ok', mean: 0.7 }, { label: 'DIN', mean: Number.NaN }]),
    /row 1 \(label "DIN"\) has a non-finite mean \(NaN\)/,
  );
  assert.throws(() => barChart([{ label: 'a', mean: 0.7, std: -1 }]), /row 0 \(label "a"\) has an invalid std/);
  assert.throws(() => barChart([{ label: 'a', mean: 0.7, std: Number.POSITIVE_INFINITY }]), /row 0 \(label "a"\) has an invalid std/);
  // a one-seed cell (std NaN: not measured) draws no whisker for that bar, the other bars keep theirs
  const oneSeed = barChart([{ label: 'a', mean: 0.7, std: Number.NaN }, { label: 'b', mean: 0.6, std: 0.01 }]);
  assert.deepEqual(oneSeed.data[0].error_y?.array, [null, 0.01]);
  assert.equal(barChart([{ label: 'a', mean: 0.7, std: Number.NaN }]).data[0].error_y, undefined);
  assert.throws(
    () => barChart([{ label: 'a', mean: 0.7, group: 'g' }, { label: 'b', mean: 0.7 }]),
    /row 1 \(label "b"\) has no group while other rows do/,
  );
  assert.throws(() => barChart([{ label: 'a', mean: 0.7 }, { label: 'a', mean: 0.8 }]), /row 1 .* duplicates/);

  // line series
  assert.throws(() => lineChart([]), /lineChart: series is empty/);
  assert.throws(() => lineChart([{ name: 'a', x: [1, 2, 3], y: [1, 2] }]), /series "a" has x of length 3 but y of length 2/);
  assert.throws(() => lineChart([{ name: 'b', x: [1, 2], y: [1, Number.NaN] }]), /series "b" has a non-finite y\[1\] \(NaN\)/);
  assert.throws(() => lineChart([{ name: 'c', x: [], y: [] }]), /series "c" is empty/);
  assert.throws(() => lineChart([{ name: 'd', x: [1, 2], y: [1, 2], yStd: [0.1] }]), /series "d" has yStd of length 1 but y of length 2/);
  assert.throws(() => lineChart([{ name: 'e', x: [1, 'b'] as never, y: [1, 2] }]), /series "e" has mixed or invalid x values/);
  assert.throws(() => lineChart([{ name: 'f', x: [0, 1], y: [1, 2] }], { xType: 'log' }), /series "f" has x\[0\] = 0/);
  assert.throws(
    () => lineChart([{ name: 'g', x: [1], y: [1] }, { name: 'g', x: [1], y: [2] }]),
    /series "g" appears twice/,
  );
});

// ---------------------------------------------------------------------------------------------------------------
// HTML

test('figureHtml and figureDiv escape data strings', () => {
  const evil = '</script><img src=x onerror=alert(1)>';
  const fig = barChart([{ label: evil, mean: 0.7, group: evil }], { title: `<b>${evil}</b>` });
  const html = figureHtml(fig);
  assert.ok(!html.includes(evil), 'the raw label must not appear');
  assert.ok(!html.includes('<img src=x'), 'no injected element');
  assert.ok(!html.includes('<b>'), 'no injected markup from the title');
  assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the bundle and the draw script close');
  assert.match(html, /<title>&lt;b&gt;&lt;\/script&gt;&lt;img src=x onerror=alert\(1\)&gt;&lt;\/b&gt;<\/title>/);
  assert.ok(html.includes('\\u003c/script\\u003e\\u003cimg src=x'), 'label kept, script-safe');
  assert.ok(html.includes('plotly.js v3.'), 'plotly bundle inlined');
  assert.ok(html.length > 1_000_000);
  assert.equal(JSON.parse(jsonForScript({ s: evil })).s, evil, 'script-safe JSON round-trips');

  const cdn = figureHtml(fig, { inlinePlotly: false, title: 'a "quoted" <title>' });
  assert.ok(cdn.length < 50_000);
  assert.match(cdn, /<script src="https:\/\/cdn\.plot\.ly\/plotly-3\.[0-9.]+\.min\.js"/);
  assert.match(cdn, /<title>a &quot;quoted&quot; &lt;title&gt;<\/title>/);

  const withBundle = figureDiv(fig, 'fig-a', { includePlotly: true });
  assert.ok(withBundle.includes('plotly.js v3.') && !withBundle.includes(evil) && !withBundle.includes('<img'));
  assert.match(withBundle, /<div id="fig-a" class="reclab-figure" style="width: 720px; height: 420px;"><\/div>/);
  // Every fragment without the bundle is self-sufficient (a re-run notebook cell still draws): it loads plotly.js
  // when the page has none, whatever fragments came before it in this process.
  const later = figureDiv(fig);
  const again = figureDiv(fig);
  for (const f of [later, again]) {
    assert.ok(f.length < 50_000, 'a fragment without includePlotly does not carry the bundle');
    assert.match(f, /s\.src = "https:\/\/cdn\.plot\.ly\/plotly-3\.[0-9.]+\.min\.js"/, 'each fragment can load plotly.js itself');
    assert.deepEqual(figureFromFragment(f), JSON.parse(JSON.stringify(fig)), 'the figure reads back from the fragment');
  }
  assert.match(later, /id="reclab-fig-[0-9a-f]{8}"/);
  assert.equal(figureFromFragment('<div class="reclab-figure"></div>'), null);
  assert.equal(figureFromFragment('<p>hi</p>'), null);
  assert.throws(() => figureDiv(fig, '"><script>'), /figureDiv: id/);
});

// ---------------------------------------------------------------------------------------------------------------
// export (headless Chromium)

test('exportFigures writes HTML, PNG and SVG with one browser launch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reclab-plots-'));
  try {
    const bar = barChart(AUC_ROWS, {
      style: 'bars',
      title: 'Export bar test',
      yTitle: 'AUC',
      refLines: [{ y: 0.735, label: 'ground-truth ceiling' }],
    });
    const line = lineChart(CURVES, { title: 'Export line test', xTitle: 'epoch' });
    const blank: Figure = { data: [], layout: { width: 720, height: 420 } };
    const files = await exportFigures(
      [
        { fig: bar, name: 'bar' },
        { fig: line, name: 'line' },
        { fig: blank, name: 'blank' },
      ],
      dir,
    );
    assert.deepEqual(readdirSync(dir).sort(), [
      'bar.html', 'bar.png', 'bar.svg', 'blank.html', 'blank.png', 'blank.svg', 'line.html', 'line.png', 'line.svg', plotlyFileName(),
    ]);
    // plotly.js once per folder, referenced by every page (which draws offline from it: the PNGs below come from there).
    for (const f of files) {
      const html = readFileSync(f.html, 'utf8');
      assert.ok(html.length < 50_000, `${f.html} is ${html.length} B: plotly.js must not be inlined`);
      assert.ok(html.includes(`<script src="${plotlyFileName()}"`), `${f.html} does not reference ${plotlyFileName()}`);
    }
    assert.equal(files[0].png, join(dir, 'bar.png'));
    assert.ok(readFileSync(files[0].html, 'utf8').includes('<title>Export bar test</title>'));

    const barPng = readFileSync(join(dir, 'bar.png'));
    const blankPng = readFileSync(join(dir, 'blank.png'));
    assert.ok(barPng.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
    assert.ok(barPng.length > 5_000, `PNG size ${barPng.length}`);
    assert.deepEqual(pngSize(barPng), { width: 1440, height: 840 }, 'layout size x scale 2');
    assert.ok(barPng.length > 1.5 * blankPng.length, `bar PNG ${barPng.length} B vs blank ${blankPng.length} B: not blank`);

    const barSvg = readFileSync(join(dir, 'bar.svg'), 'utf8');
    assert.ok(barSvg.startsWith('<svg'), barSvg.slice(0, 80));
    assert.ok(barSvg.includes('Export bar test'), 'title in SVG');
    assert.ok(barSvg.includes('ground-truth ceiling'), 'reference line label in SVG');
    assert.match(barSvg, /class="trace bars"/);
    assert.match(barSvg, /class="point"><path d="M[0-9]/, 'bars drawn with data');
    assert.match(barSvg, /class="errorbar"/);
    const lineSvg = readFileSync(join(dir, 'line.svg'), 'utf8');
    assert.match(lineSvg, /class="trace scatter/);
    assert.ok(lineSvg.includes('Export line test'));
    assert.doesNotMatch(readFileSync(join(dir, 'blank.svg'), 'utf8'), /class="trace/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export without Chromium writes the HTML and throws ChromiumMissingError; unsafe names are rejected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reclab-plots-'));
  const saved = process.env.RECLAB_CHROMIUM;
  process.env.RECLAB_CHROMIUM = '/nonexistent';
  try {
    const fig = barChart([{ label: 'a', mean: 0.7 }]);
    await assert.rejects(exportFigure(fig, dir, 'missing'), (e: unknown) => {
      assert.ok(e instanceof ChromiumMissingError, String(e));
      assert.match(e.message, /not found at \/nonexistent/);
      assert.ok(e.message.includes(`The HTML was written at ${join(dir, 'missing.html')}`), e.message);
      assert.match(e.message, /apt-get install -y chromium/);
      assert.match(e.message, /RECLAB_CHROMIUM/);
      return true;
    });
    assert.ok(existsSync(join(dir, 'missing.html')));
    assert.ok(!existsSync(join(dir, 'missing.png')));

    // HTML alone needs no browser
    const only = await exportFigure(fig, dir, 'only-html', { formats: ['html'] });
    assert.deepEqual(only, { html: join(dir, 'only-html.html') });

    await assert.rejects(exportFigure(fig, dir, '../evil'), /unsafe figure name "\.\.\/evil"/);
    await assert.rejects(exportFigure(fig, dir, 'a/b'), /unsafe figure name "a\/b"/);
    await assert.rejects(exportFigure(fig, dir, 'x', { formats: ['jpeg'] as never }), /unknown format "jpeg"/);
    await assert.rejects(
      exportFigures([{ fig, name: 'same' }, { fig, name: 'same' }], dir, { formats: ['html'] }),
      /"same" appears twice/,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['missing.html', 'only-html.html', plotlyFileName()], 'plotly.js once for the folder');
  } finally {
    if (saved === undefined) delete process.env.RECLAB_CHROMIUM;
    else process.env.RECLAB_CHROMIUM = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('htmlToPdf renders a page of figureDiv fragments; plotly errors in a page are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reclab-plots-'));
  try {
    const report = join(dir, 'report.html');
    writeFileSync(
      report,
      '<!DOCTYPE html><html><head><meta charset="utf-8"><title>report</title></head><body><h1>Report</h1>' +
        figureDiv(barChart(AUC_ROWS, { title: 'PDF bars' }), 'bars', { includePlotly: true }) +
        figureDiv(lineChart(CURVES), 'curves', { includePlotly: false }) +
        '</body></html>',
    );
    const pdf = await htmlToPdf(report, join(dir, 'out', 'report.pdf'));
    const bytes = readFileSync(pdf);
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(bytes.length > 10_000, `PDF size ${bytes.length}`);

    // a figure whose element is missing: plotly's failure must surface as an error naming it
    const broken = join(dir, 'broken.html');
    const fragment = figureDiv(barChart([{ label: 'a', mean: 1 }]), 'gone', { includePlotly: true });
    writeFileSync(broken, `<!DOCTYPE html><html><body>${fragment.replace(/<div id="gone"[^>]*><\/div>/, '')}</body></html>`);
    await assert.rejects(screenshot(broken, join(dir, 'broken.png')), /plotly failed to draw gone/);
    assert.ok(!existsSync(join(dir, 'broken.png')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
