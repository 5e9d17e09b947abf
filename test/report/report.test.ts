/**
 * Tests of src/report: Kendall tau-b golden values (hand-computed, ties included; SciPy agrees), the paper-number
 * registry's schema and sources, ours-vs-paper comparison, run collection (newest finished run per pipeline, runs that
 * did not finish listed as incomplete), and one report end to end from a REAL tiny baselines/ctr run plus fake run
 * folders (the files a run writes): HTML escaping of every data string, report.section() equal to the section in
 * index.html, headless Chromium opening index.html (every figure drawn, no page error, a screenshot), and index.pdf's
 * page 1 turned into a PNG by pdftoppm and checked not blank. Three Chromium launches: figure export, PDF, page check.
 * Set RECLAB_KEEP_REPORT_TEST=1 to keep the temporary folder (its path is printed as a diagnostic).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { kendallTauB, compareWithPaper, orderingSentence } from '../../src/report/compare.ts';
import { loadPaperNumbers, paperNumbers, parsePaperRegistry, findPaper } from '../../src/report/paper-numbers.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { buildReport, collectRuns, writeReport, type WrittenReport, type Report } from '../../src/report/report.ts';
import { sanitizeSvg } from '../../src/report/render.ts';
import { buildResultTable, type MethodResult } from '../../src/pipelines/result-table.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { withBrowser } from '../../src/plots/export.ts';

const XSS = '<script>alert(1)</script>';
const XSS_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const tmp = mkdtempSync(join(tmpdir(), 'reclab-report-'));
after(() => {
  if (process.env.RECLAB_KEEP_REPORT_TEST === '1') console.log(`# kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

test('kendallTauB: golden values (hand-computed; scipy.stats.kendalltau agrees)', () => {
  const cases: Array<[number[], number[], number | null]> = [
    [[1, 2, 3, 4], [1, 2, 3, 4], 1],
    [[1, 2, 3, 4], [4, 3, 2, 1], -1],
    [[1, 2, 3, 4], [1, 3, 2, 4], 4 / 6], // one discordant pair of six
    [[1, 2, 2, 3], [1, 2, 3, 3], 4 / Math.sqrt(5 * 5)], // nc 4, nd 0, one tie in each: 0.8
    [[1, 1, 2, 2], [1, 2, 1, 2], 0], // nc 1, nd 1
    [[1, 2, 3, 4, 5], [2, 1, 3, 3, 5], 7 / Math.sqrt(10 * 9)], // nc 8, nd 1, one tie in y: 0.7379
    [[1, 2, 3], [5, 5, 5], null], // all tied: undefined
    [[1], [2], null],
  ];
  for (const [x, y, want] of cases) {
    const got = kendallTauB(x, y);
    if (want === null) assert.equal(got, null, `${x} / ${y}`);
    else assert.ok(got !== null && Math.abs(got - want) < 1e-12, `tau-b(${x}; ${y}) = ${got}, want ${want}`);
  }
  assert.throws(() => kendallTauB([1, 2], [1]), /differ in length/);
  assert.equal(
    orderingSentence({ metric: 'AUC', higherIsBetter: true, paper: [{ method: 'A', value: 0.7 }, { method: 'B', value: 0.6 }], ours: [{ method: 'A', value: 0.71 }, { method: 'B', value: 0.69 }] }),
    'Ordering on AUC over the 2 methods both tables have — paper: A > B; ours: A > B. Kendall τ-b = 1.00: same order.',
  );
  assert.match(orderingSentence({ metric: 'AUC', higherIsBetter: true, paper: [{ method: 'A', value: 1 }], ours: [{ method: 'A', value: 1 }] }), /only one method/);
});

test('paper numbers: strict schema, labelled sources, not-available cells null, misspelt keys rejected', () => {
  const reg = loadPaperNumbers();
  const count = (paper: string) => reg.numbers.filter((n) => n.paper === paper && n.value !== null).length;
  assert.deepEqual(
    Object.fromEntries(['chorus-cvr', 'minet', 'unicdr-plus', 'gme', 'qarm', 'em3', 'farm', 'moment-cross', 'mrff', 'fedpa'].map((p) => [p, count(p)])),
    { 'chorus-cvr': 33, minet: 5, 'unicdr-plus': 20, gme: 4, qarm: 9, em3: 6, farm: 0, 'moment-cross': 0, mrff: 0, fedpa: 0 },
  );
  // the community table is NOT the paper's: labelled and unverified
  const community = reg.numbers.filter((n) => n.paper === 'chorus-cvr' && n.table.startsWith('community'));
  assert.ok(community.length === 30 && community.every((n) => n.source.kind === 'community-reimplementation' && !n.source.verified));
  const esmm = reg.numbers.find((n) => n.paper === 'chorus-cvr' && n.table === 'community-5m' && n.method === 'ESMM' && n.metric === 'CVR-AUC');
  assert.equal(esmm?.value, 0.6641);
  assert.equal(reg.numbers.find((n) => n.table === 'community-5m' && n.method === 'ESCM2-IPS' && n.metric === 'CVR-AUC')?.sourceMethod, 'ESCM2-IPW');
  // every number that is not null and not from a paper says so; paper cells are null (no paper table was available)
  assert.ok(reg.numbers.every((n) => n.source.kind !== 'paper' || n.value === null));
  assert.equal(findPaper('ChorusCVR')?.id, 'chorus-cvr');
  assert.equal(findPaper('UniCDR+')?.id, 'unicdr-plus');
  assert.equal(findPaper('baselines'), undefined);

  const one = { paper: 'x', table: 't', method: 'M', metric: 'AUC', value: 0.7, source: { kind: 'paper', where: 'Table 1', verified: true } };
  const file = (numbers: unknown[]) => ({ papers: [{ id: 'x', title: 'X', spec: 'x.md', tables: [{ id: 't', title: 'T' }] }], numbers });
  assert.equal(parsePaperRegistry(file([one])).numbers.length, 1);
  assert.throws(() => parsePaperRegistry(file([{ ...one, vaule: 1 }])), /numbers\.0: Unrecognized key\(s\) in object: 'vaule'/);
  assert.throws(() => parsePaperRegistry(file([{ ...one, source: { ...one.source, kind: 'blog' } }])), /numbers\.0\.source\.kind/);
  assert.throws(() => parsePaperRegistry(file([{ ...one, table: 'u' }])), /table 'u' is not declared for paper 'x'/);
  assert.throws(() => parsePaperRegistry(file([one, one])), /duplicate cell x\/t\/-\/M\/AUC/);
});

const seeds = [1, 2, 3];
function cvrTable(title: string, means: Record<string, number>): ReturnType<typeof buildResultTable> {
  const results: MethodResult[] = Object.entries(means).map(([method, m]) => ({
    method,
    seeds,
    values: { cvr_auc: seeds.map((s) => m + s * 1e-4), 'ctcvr-auc': seeds.map((s) => m - 0.02 + s * 1e-4) },
  }));
  return buildResultTable({ title, base: 'ESMM', metrics: [{ name: 'cvr_auc', higherIsBetter: true }, { name: 'ctcvr-auc', higherIsBetter: true }], results });
}

test('compareWithPaper: side-by-side rows with sources, tau over the methods both have, data-set disambiguation', () => {
  const ours = cvrTable('ChorusCVR main on funnel-world', { ESMM: 0.7, 'ESCM2-IPS': 0.72, DCMT: 0.71, ChorusCVR: 0.73, 'Naive CVR': 0.69 });
  const comps = compareWithPaper(ours, paperNumbers('chorus-cvr'));
  const c5 = comps.find((c) => c.paperTable === 'community-5m' && c.metric === 'CVR-AUC')!;
  assert.deepEqual(c5.common, ['ESMM', 'ESCM2-IPS', 'DCMT', 'ChorusCVR']);
  assert.deepEqual(c5.rows.map((r) => r.method), ['ESMM', 'ESCM2-IPS', 'DCMT', 'ChorusCVR', 'Naive CVR', 'DDPO']);
  assert.equal(c5.rows.find((r) => r.method === 'DDPO')!.ours, null);
  assert.equal(c5.rows.find((r) => r.method === 'Naive CVR')!.paper, null);
  // paper 0.6641, 0.6860, 0.6828, 0.6822 vs ours 0.7002, 0.7202, 0.7102, 0.7302
  assert.ok(Math.abs(c5.tau! - kendallTauB([0.6641, 0.686, 0.6828, 0.6822], [0.7002, 0.7202, 0.7102, 0.7302])!) < 1e-12);
  assert.ok(Math.abs(c5.tau! - 2 / 6) < 1e-12);
  assert.match(c5.sentence, /paper: ESCM2-IPS > DCMT > ChorusCVR > ESMM; ours: ChorusCVR > ESCM2-IPS > DCMT > ESMM\. Kendall τ-b = 0\.33: partly agrees\./);
  assert.ok(comps.some((c) => c.paperTable === 'community-best-config' && c.metric === 'CTCVR-AUC' && c.common.length === 3));
  const main = comps.find((c) => c.paperTable === 'paper-main' && c.metric === 'CVR-AUC')!;
  assert.equal(main.rows.find((r) => r.method === 'ChorusCVR')!.paper!.value, null);
  assert.equal(main.tau, null);
  // MiNet's Table 3 has AUC for two data sets: only the one the title names is compared
  const minet = buildResultTable({ title: 'MiNet on Amazon (2 seeds)', base: 'MiNet', metrics: [{ name: 'auc', higherIsBetter: true }], results: [{ method: 'MiNet', seeds: [1, 2], values: { auc: [0.7, 0.72] } }] });
  assert.deepEqual(compareWithPaper(minet, paperNumbers('minet')).map((c) => c.dataset), ['Amazon (Books → Movies&TV)']);
  assert.deepEqual(compareWithPaper({ ...minet, title: 'MiNet on a world' }, paperNumbers('minet')), []);
});

test('parseAbTests: absent is empty, entries are strict and intervals must contain the lift', () => {
  assert.deepEqual(parseAbTests({ perSeed: [] }), []);
  const ok = { metric: 'CVR', control: 0.1, treatment: 0.102, liftPct: 2, ciLow: 0.5, ciHigh: 3.5 };
  assert.equal(parseAbTests({ abTests: [ok] }).length, 1);
  assert.throws(() => parseAbTests({ abTests: [{ ...ok, ciLow: 2.5 }] }), /results\.abTests\.0: ciLow <= liftPct <= ciHigh/);
  assert.throws(() => parseAbTests({ abTests: [{ ...ok, lift: 2 }] }), /Unrecognized key/);
});

test('sanitizeSvg: scripts, handlers and javascript: links removed; ids and references prefixed', () => {
  const s = sanitizeSvg('<?xml version="1.0"?><svg><script>alert(1)</script><clipPath id="c"/><g clip-path="url(#c)" onload="alert(2)"><a href="javascript:alert(3)"><use href="#c"/></a></g></svg>', 'p-');
  assert.equal(s, '<svg><clipPath id="p-c"/><g clip-path="url(#p-c)"><a href="#"><use href="#p-c"/></a></g></svg>');
  assert.equal(sanitizeSvg('<html></html>', 'p-'), null);
  assert.equal(sanitizeSvg('<svg><foreignObject><div/><img src=x onerror="alert(1)"></foreignObject><script src="x"/><rect/></svg>', 'p-'), '<svg><rect/></svg>');
});

// ---------------------------------------------------------------------------------------------------------------
// fake run folders: the files the runner writes

interface FakeRun {
  pipeline: string;
  runId: string;
  state: 'finished' | 'interrupted' | 'failed' | 'running';
  started: string;
  paper?: string;
  title?: string;
  tables?: unknown[];
  results?: Record<string, unknown>;
  svgs?: Record<string, string>;
  commit?: string;
}

function writeFakeRun(root: string, r: FakeRun): string {
  const dir = join(root, r.pipeline.replace(/\//g, '-').replace(/[<>]/g, '_'), r.runId);
  mkdirSync(join(dir, 'figures'), { recursive: true });
  const ended = r.state === 'running' ? undefined : r.started.replace(/:00\./, ':30.');
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: r.state, started: r.started, ended, ...(r.state === 'interrupted' ? { error: 'received SIGINT' } : {}) }));
  writeFileSync(join(dir, 'log.txt'), 'fake\n');
  if (r.state !== 'finished') return dir;
  const provenance = { commit: r.commit ?? 'abc123', dirty: true, node: 'v20', packages: { zod: '3' }, backend: { name: 'tensorflow', package: '@tensorflow/tfjs-node', version: '4.22.0', reason: 'test' }, machine: { cpus: 2, cpuModel: 'cpu', memoryGb: 24 } };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ pipeline: r.pipeline, paper: r.paper ?? 'fake', title: r.title ?? 'Fake pipeline', mode: 'quick', seeds, config: {}, provenance, timings: { world: 0.5, total: 3.25 }, warnings: [] }));
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ pipeline: r.pipeline, tables: r.tables ?? [], results: r.results ?? {} }));
  for (const [name, svg] of Object.entries(r.svgs ?? {})) writeFileSync(join(dir, 'figures', `${name}.svg`), svg);
  writeFileSync(join(dir, 'FINISHED'), `${ended}\n`);
  return dir;
}

const SVG = (label: string) => `<svg class="main-svg" xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200"><defs><clipPath id="clipab"><rect width="400" height="200"/></clipPath></defs><g clip-path="url(#clipab)"><rect x="20" y="40" width="120" height="140" fill="#1f77b4"/><text x="20" y="30">${label}</text></g></svg>`;

test('collectRuns: the newest finished run per pipeline; a later interrupted or failed run is listed as incomplete', () => {
  const root = join(tmp, 'collect');
  writeFakeRun(root, { pipeline: 'fake/a', runId: '20260101-100000-quick', state: 'finished', started: '2026-01-01T10:00:00.000Z' });
  writeFakeRun(root, { pipeline: 'fake/a', runId: '20260101-110000-quick', state: 'finished', started: '2026-01-01T11:00:00.000Z' });
  writeFakeRun(root, { pipeline: 'fake/a', runId: '20260101-120000-quick', state: 'interrupted', started: '2026-01-01T12:00:00.000Z' });
  writeFakeRun(root, { pipeline: 'fake/b', runId: '20260101-090000-quick', state: 'failed', started: '2026-01-01T09:00:00.000Z' });
  mkdirSync(join(root, 'report', 'old'), { recursive: true });
  const got = collectRuns(root);
  assert.deepEqual(got.runs.map((r) => `${r.pipeline} ${r.runId}`), ['fake/a 20260101-110000-quick']);
  assert.deepEqual(got.incomplete.map((r) => `${r.pipeline} ${r.runId} ${r.state} ${r.reason}`), ['fake-a 20260101-120000-quick interrupted received SIGINT', 'fake-b 20260101-090000-quick failed undefined']);
  // named runs: exactly those; a named unfinished run is incomplete, a folder that is not a run is an error
  const named = collectRuns(root, { runs: ['fake-a/20260101-100000-quick', join(root, 'fake-a', '20260101-120000-quick')] });
  assert.deepEqual([named.runs.map((r) => r.runId), named.incomplete.map((r) => r.state)], [['20260101-100000-quick'], ['interrupted']]);
  assert.throws(() => collectRuns(root, { runs: ['nope'] }), /nope is not a run folder/);
  // FINISHED marker missing: not reported
  rmSync(join(root, 'fake-a', '20260101-110000-quick', 'FINISHED'));
  assert.deepEqual(collectRuns(root).runs.map((r) => r.runId), ['20260101-100000-quick']);
});

// ---------------------------------------------------------------------------------------------------------------
// one report, end to end

const results = join(tmp, 'results');
let report: Report;
let written: WrittenReport;

test('report end to end: a real baselines/ctr run, a ChorusCVR-like fake with A/B lifts, markup in names escaped', async () => {
  const real = await runPipeline('baselines/ctr', {
    quick: true,
    seeds: 2,
    out: results,
    verbose: false,
    figureFormats: ['png', 'svg'],
    config: { world: { users: 300, items: 150, categories: 10, impressionsPerUser: 12 }, trainer: { epochs: 1, progressLabel: '' } },
  });
  const chorus = cvrTable('ChorusCVR main on funnel-world', { ESMM: 0.7, 'ESCM2-IPS': 0.72, DCMT: 0.71, ChorusCVR: 0.73 });
  const abTests = [{ metric: 'orders', experiment: 'ChorusCVR vs DCMT', control: 12.1, treatment: 12.3, liftPct: 1.65, ciLow: 0.4, ciHigh: 2.9, requests: 200000 }];
  writeFakeRun(results, { pipeline: 'chorus-cvr/main', runId: '20260101-100000-quick', state: 'finished', started: '2026-01-01T10:00:00.000Z', paper: 'ChorusCVR', title: 'ChorusCVR main comparison', tables: [chorus], results: { abTests }, svgs: { 'cvr-auc': SVG('CVR AUC') } });
  const evil = buildResultTable({ title: XSS, base: XSS, metrics: [{ name: XSS, higherIsBetter: true }], results: [{ method: XSS, seeds, values: { [XSS]: [0.5, 0.6, 0.7] } }], notes: [XSS] });
  writeFakeRun(results, {
    pipeline: XSS, runId: '20260101-100000-quick', state: 'finished', started: '2026-01-01T10:00:00.000Z', paper: XSS, title: XSS, tables: [evil], commit: XSS,
    results: { abTests: [{ metric: XSS, experiment: XSS, control: 1, treatment: 1.1, liftPct: 10, ciLow: 5, ciHigh: 15 }] },
    svgs: { evil: `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><script>alert(2)</script><text onload="alert(3)">${XSS_ESCAPED}</text><rect width="50" height="20"/></svg>` },
  });
  writeFakeRun(results, { pipeline: 'chorus-cvr/main', runId: '20260102-100000-quick', state: 'interrupted', started: '2026-01-02T10:00:00.000Z' });

  const collected = collectRuns(results);
  assert.deepEqual(collected.runs.map((r) => r.pipeline).sort(), [XSS, 'baselines/ctr', 'chorus-cvr/main'].sort());
  assert.equal(collected.runs.find((r) => r.pipeline === 'baselines/ctr')!.dir, real.dir);
  assert.deepEqual(collected.incomplete.map((r) => r.state), ['interrupted']);
  report = buildReport(collected, { id: 'test-report' });
  assert.deepEqual(report.papers, [XSS, 'ChorusCVR', 'baselines'].sort());
  written = await writeReport(report, join(tmp, 'reports'));
  assert.throws(() => report.section('nope'), /no section for paper 'nope'/);
  const again = await writeReport(report, join(tmp, 'reports'), { pdf: false });
  assert.ok(again.dir.endsWith('test-report-1'), 'a second report gets a new folder, never overwriting');

  const html = readFileSync(written.html, 'utf8');
  // section() is the very string index.html holds
  for (const paper of report.papers) assert.ok(html.includes(report.section(paper)), `section ${paper} inside index.html`);
  assert.ok(report.section('baselines').startsWith('<section class="reclab-section"'));
  assert.equal(report.section('chorus-cvr'), report.section('ChorusCVR'));
  // escaping: the markup in names, titles, methods, metrics, notes, commit and figures renders as text
  assert.ok(!html.includes(XSS), 'the raw <script> tag is absent');
  assert.ok(html.includes(XSS_ESCAPED), 'the escaped form is present');
  assert.ok(!/<script/i.test(html), 'the report holds no script at all');
  assert.ok(!/onload=/i.test(html));
  // the real run: table, metadata, figures copied with stable names
  const base = report.section('baselines');
  for (const s of ['CTR baselines on the default world', 'DIN', 'ground-truth ceiling', 'Run metadata', 'tensorflow', '1, 2', 'total']) assert.ok(base.includes(s), s);
  assert.match(base, /\b(dirty|clean)\b/, 'the working-tree state of the run is shown (it depends on where the test runs)');
  for (const f of ['baselines-ctr--test-auc.png', 'baselines-ctr--test-auc.svg', 'baselines-ctr--valid-auc-by-epoch.png', 'baselines-ctr--valid-auc-by-epoch.svg', 'chorus-cvr-main--cvr-auc.svg']) {
    assert.ok(existsSync(join(written.dir, 'figures', f)), f);
  }
  // the ChorusCVR-like section: ours beside the community numbers (labelled), the ordering, the A/B lifts
  const ch = report.section('ChorusCVR');
  assert.match(ch, /community re-implementation/);
  assert.match(ch, /Kendall τ-b = 0\.33: partly agrees/);
  assert.match(ch, /Simulated online A\/B/);
  assert.match(ch, /\+1\.65%/);
  assert.match(ch, /third-party summary/);
  assert.match(ch, /not available/);
  assert.ok(existsSync(join(written.dir, 'report.json')) && written.pdf && existsSync(written.pdf));
});

test('index.html in headless Chromium: every figure drawn (non-empty SVG), no page error, screenshot taken', async () => {
  const shot = join(tmp, 'report-page.png');
  const checked = await withBrowser(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });
    await page.goto(pathToFileURL(written.html).href, { waitUntil: 'load' });
    const figs = (await page.evaluate(`Array.from(document.querySelectorAll('figure.reclab-figure')).map(function (f) {
      var s = f.querySelector('svg'); var b = s ? s.getBoundingClientRect() : { width: 0, height: 0 };
      return { name: f.getAttribute('data-figure') || 'lifts', elements: s ? s.querySelectorAll('*').length : 0, width: b.width, height: b.height };
    })`)) as Array<{ name: string; elements: number; width: number; height: number }>;
    await page.screenshot({ path: shot, fullPage: true });
    return { figs, errors };
  });
  assert.deepEqual(checked.errors, []);
  // 2 real figures, 1 fake ChorusCVR figure, 1 fake evil figure, 2 A/B lift drawings
  assert.equal(checked.figs.length, 6);
  for (const f of checked.figs) assert.ok(f.elements > 0 && f.width > 0 && f.height > 0, `figure ${f.name} rendered: ${JSON.stringify(f)}`);
  assert.ok(readFileSync(shot).length > 20_000, 'screenshot written');
});

test('index.pdf: page 1 as PNG (pdftoppm) is not blank', () => {
  const pdf = written.pdf!;
  assert.equal(readFileSync(pdf).subarray(0, 5).toString('latin1'), '%PDF-');
  const prefix = join(tmp, 'page1');
  try {
    execFileSync('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', '-singlefile', pdf, prefix]);
  } catch (e) {
    assert.fail(`pdftoppm failed (install poppler-utils: bash env/setup.sh, or apt-get install -y poppler-utils): ${(e as Error).message}`);
  }
  const img = decodePng(readFileSync(`${prefix}.png`));
  assert.ok(img.width > 300 && img.height > 400, `page size ${img.width}x${img.height}`);
  const frac = img.nonWhite / (img.width * img.height);
  assert.ok(frac > 0.01, `page 1 has ${(frac * 100).toFixed(2)}% non-white pixels; a blank page has none`);
});

test('reclab report (CLI): writes a new report folder and ends by printing its path; no finished run is an error', () => {
  const cli = (args: string[]) => {
    try {
      return { code: 0, out: execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'report', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      return { code: err.status, out: `${err.stdout}${err.stderr}` };
    }
  };
  const ok = cli(['--results', results, '--out', join(tmp, 'cli'), '--no-pdf']);
  assert.equal(ok.code, 0, ok.out);
  const lines = ok.out.trim().split('\n');
  assert.match(lines.at(-1)!, /^report: .*\/cli\/\d{8}-\d{6}\/index\.html$/);
  assert.ok(existsSync(lines.at(-1)!.slice('report: '.length)));
  assert.ok(lines.some((l) => l.startsWith('incomplete (not reported): chorus-cvr-main ') && l.includes('[interrupted: received SIGINT]')), ok.out);
  const empty = join(tmp, 'empty-results');
  mkdirSync(empty);
  const bad = cli(['--results', empty, '--no-pdf']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /reclab: report: no finished run under/);
});

/** A tiny PNG reader (8-bit gray/RGB/RGBA, not interlaced): size and count of pixels darker than near-white. */
function decodePng(buf: Buffer): { width: number; height: number; nonWhite: number } {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.subarray(pos + 4, pos + 8).toString('latin1');
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      assert.equal(data[12], 0, 'not interlaced');
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[data[9]];
      assert.ok(channels, `colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  let prev = new Uint8Array(stride);
  let nonWhite = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = new Uint8Array(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? line[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      const p = a + b - c;
      const pred = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? (Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c) : 0;
      line[i] = (line[i] + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const colour = Math.min(...Array.from(line.subarray(x * channels, x * channels + Math.min(channels, 3))));
      if (colour < 240) nonWhite++;
    }
    prev = line;
  }
  return { width, height, nonWhite };
}
