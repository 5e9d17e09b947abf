/**
 * Tests of src/report: Kendall tau-b golden values (hand-computed, ties included; SciPy agrees), the paper-number
 * registry's schema and sources, ours-vs-paper comparison, run collection (newest finished run per pipeline, runs that
 * did not finish listed as incomplete), the evidence views from synthetic run folders written as the runner writes them
 * (results.csv by recordsToCsv, verdicts.json by judgeClaims): tables and verdicts recomputed from the records, the
 * "Claims and verdicts" section and the cross-paper summary (evidence apart from smoke tests), the mode-priority choice
 * of runs, a skipped run that does not hide an older finished one, the smoke-test badge on every table, figure, verdict
 * and section of a quick run, the footer without index.pdf when none was written; and one report end to end from a
 * REAL tiny baselines/ctr run plus fake run folders: HTML escaping of every data string, report.section() equal to the
 * section in index.html, headless Chromium opening index.html (every figure drawn, no page error, a screenshot), and
 * index.pdf's page 1 turned into a PNG by pdftoppm and checked not blank. Three Chromium launches: figure export, PDF,
 * page check.
 * Set RECLAB_KEEP_REPORT_TEST=1 to keep the temporary folder (its path is printed as a diagnostic).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { kendallTauB, compareWithPaper, orderingSentence } from '../../src/report/compare.ts';
import { loadPaperNumbers, paperNumbers, parsePaperRegistry, findPaper } from '../../src/report/paper-numbers.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { buildReport, collectRuns, readRun, isReportRun, writeReport, type WrittenReport, type Report, type ReportRun } from '../../src/report/report.ts';
import { sanitizeSvg } from '../../src/report/render.ts';
import { buildResultTable, tableFromRecords, type MethodResult, type MetricColumn } from '../../src/pipelines/result-table.ts';
import { recordsToCsv, type ResultRecord } from '../../src/evidence/records.ts';
import { judgeClaims, type Claim } from '../../src/evidence/claims.ts';
import { SMOKE_TEST_LABEL } from '../../src/evidence/rules.ts';
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
// synthetic evidence runs: the files the runner writes since the evidence layer (results.csv, verdicts.json, mode)

const SEEDS5 = [1, 2, 3, 4, 5];
const AUC: MetricColumn[] = [{ name: 'auc', higherIsBetter: true }];

/**
 * Records of table 'main': per method 0.70 + effect + a small seed-dependent wobble (sd ~0.001), test SE 0.002 and 500
 * positives per value. B +0.02 agrees, C -0.02 disagrees, D +0 cannot tell with claims CLAIMS below.
 */
function syntheticRecords(effects: Record<string, number>, seedList = SEEDS5, extra: Partial<ResultRecord> = {}): ResultRecord[] {
  return Object.entries(effects).flatMap(([method, effect], m) => seedList.map((seed) => ({
    pipeline: '', run: '', table: 'main', method, variant: '', knob: '', metric: 'auc', split: 'test', seed,
    value: 0.7 + effect + 0.001 * Math.sin(seed * 7 + m * 3), rows: 20000, positives: 500, se: 0.002, stillImproving: false, ...extra,
  })));
}
const claim = (id: string, method: string): Claim => ({ id, text: `${method} beats A on test AUC`, source: `Synthetic paper, Table ${id.length}`, table: 'main', metric: 'auc', method, base: 'A', direction: 'higher' });
const CLAIMS: Claim[] = [claim('b', 'B'), claim('c', 'C'), claim('d', 'D'), claim('e', 'E')];
const EFFECTS = { A: 0, B: 0.02, C: -0.02, D: 0 };

interface EvidenceRun {
  pipeline: string;
  runId: string;
  started: string;
  mode: 'quick' | 'evidence' | 'paper' | 'full';
  state?: 'finished' | 'skipped' | 'running' | 'failed';
  paper?: string;
  title?: string;
  records?: ResultRecord[];
  claims?: Claim[];
  /** Run made before the evidence layer: results.json with full tables, no results.csv, no verdicts.json. */
  legacy?: boolean;
  reason?: string;
  svgs?: Record<string, string>;
  /** Overwrites verdicts.json's verdicts (to check the report judges again from the records). */
  storedVerdicts?: unknown[];
}

/** Writes a run folder as src/pipelines/runner.ts does (status, meta with mode and smokeTest, results.csv, verdicts.json, results.json). */
function writeEvidenceRun(root: string, r: EvidenceRun): string {
  const dir = join(root, r.pipeline.replace(/\//g, '-'), r.runId);
  mkdirSync(join(dir, 'figures'), { recursive: true });
  const state = r.state ?? 'finished';
  const ended = state === 'running' ? undefined : r.started.replace(/:00\./, ':30.');
  const status = { state, started: r.started, ended, ...(state === 'skipped' ? { reason: r.reason ?? 'data absent' } : {}), ...(state === 'failed' ? { error: 'Error: boom\n    at x' } : {}), ...(state === 'running' ? { pid: process.pid, host: hostname(), heartbeat: r.started } : {}) /* this live process: liveness() says running */ };
  writeFileSync(join(dir, 'status.json'), JSON.stringify(status));
  if (state === 'running' || state === 'failed') return dir;
  const records = (r.records ?? (state === 'skipped' ? [] : syntheticRecords(EFFECTS))).map((x) => ({ ...x, pipeline: r.pipeline, run: r.runId }));
  const tables = records.length ? [tableFromRecords(records, { id: 'main', title: `Synthetic main table (${r.mode})`, base: 'A', metrics: AUC })] : [];
  const smokeTest = r.mode === 'quick';
  const provenance = { commit: 'abc123', dirty: false, backend: { name: 'tensorflow' } };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ pipeline: r.pipeline, paper: r.paper ?? 'synthetic', title: r.title ?? `Synthetic ${r.pipeline}`, mode: r.mode, ...(r.legacy ? {} : { smokeTest }), seeds: SEEDS5, config: {}, provenance, timings: { total: 1 }, warnings: [] }));
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ pipeline: r.pipeline, mode: r.mode, tables: r.legacy ? tables : tables.map(({ records: _records, ...t }) => t), results: {} }));
  if (!r.legacy) {
    writeFileSync(join(dir, 'results.csv'), recordsToCsv(records));
    writeFileSync(join(dir, 'verdicts.json'), JSON.stringify({ mode: r.mode, smokeTest, verdicts: r.storedVerdicts ?? judgeClaims(r.claims ?? CLAIMS, records) }));
  }
  for (const [name, svg] of Object.entries(r.svgs ?? {})) writeFileSync(join(dir, 'figures', `${name}.svg`), svg);
  if (state === 'finished') writeFileSync(join(dir, 'FINISHED'), `${ended}\n`);
  return dir;
}

test('readRun: tables and verdicts computed from results.csv; a wrong stored verdict or table is overruled by the records; an old run is readable without verdicts', () => {
  const root = join(tmp, 'read');
  const dir = writeEvidenceRun(root, { pipeline: 'syn/a', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence' });
  const run = readRun(dir);
  assert.ok(isReportRun(run) && run.state === 'finished', JSON.stringify(run));
  assert.equal(run.mode, 'evidence');
  assert.equal(run.smokeTest, false);
  assert.equal(run.records!.length, 20);
  assert.deepEqual(run.verdicts!.map((v) => `${v.claim.id}:${v.verdict}`), ['b:agrees', 'c:disagrees', 'd:cannot tell', 'e:not measured']);
  assert.deepEqual(run.warnings, []);
  // the table's cells come from the records (results.json holds no records) and carry the comparison with the base
  const t = run.tables[0];
  assert.equal(t.records.length, 20);
  const b = t.rows.find((r) => r.method === 'B')!.cells.auc;
  const meanB = syntheticRecords(EFFECTS).filter((r) => r.method === 'B').reduce((a, r) => a + r.value, 0) / 5;
  assert.ok(Math.abs(b.mean - meanB) < 1e-12 && b.comparison !== null && b.comparison.p! < 1e-3, JSON.stringify(b));

  // verdicts.json says 'agrees' for C: the records say 'disagrees', and the report shows the records' verdict with a warning
  const stored = JSON.parse(readFileSync(join(dir, 'verdicts.json'), 'utf8')) as { verdicts: Array<{ verdict: string }> };
  stored.verdicts[1].verdict = 'agrees';
  const dir2 = writeEvidenceRun(root, { pipeline: 'syn/a', runId: '20260301-110000-evidence', started: '2026-03-01T11:00:00.000Z', mode: 'evidence', storedVerdicts: stored.verdicts });
  const run2 = readRun(dir2) as ReportRun;
  assert.equal(run2.verdicts![1].verdict, 'disagrees');
  assert.match(run2.warnings.join('\n'), /claim 'c': judged on results\.csv 'disagrees', but verdicts\.json says 'agrees'/);
  // results.json's numbers disagree with results.csv: the stored table is shown, with a warning
  const res = JSON.parse(readFileSync(join(dir2, 'results.json'), 'utf8')) as { tables: Array<{ rows: Array<{ cells: { auc: { mean: number } } }> }> };
  res.tables[0].rows[1].cells.auc.mean = 0.5;
  writeFileSync(join(dir2, 'results.json'), JSON.stringify(res));
  const run3 = readRun(dir2) as ReportRun;
  assert.equal(run3.tables[0].rows[1].cells.auc.mean, 0.5);
  assert.match(run3.warnings.join('\n'), /table 'Synthetic main table \(evidence\)' is shown as stored in results\.json/);
  // a malformed results.csv makes the run unreadable, naming file and line
  writeFileSync(join(dir2, 'results.csv'), `${readFileSync(join(dir, 'results.csv'), 'utf8')}x,y\n`);
  const bad = readRun(dir2);
  assert.ok(!isReportRun(bad) && bad.state === 'unreadable' && /results\.csv:22: 2 fields, expected 14/.test(bad.reason ?? ''), JSON.stringify(bad));

  // a run made before the evidence layer: no results.csv, no verdicts.json, mode 'full'
  const old = readRun(writeEvidenceRun(root, { pipeline: 'syn/old', runId: '20250101-100000-full', started: '2025-01-01T10:00:00.000Z', mode: 'full', legacy: true }));
  assert.ok(isReportRun(old));
  assert.deepEqual([old.records, old.verdicts, old.mode, old.smokeTest, old.tables.length], [null, null, 'full', false, 1]);
  assert.match(buildReport({ runs: [old], skipped: [], incomplete: [] }, { id: 'old' }).section('synthetic'), /No verdicts: this run was made before claims were judged/);
});

test('choosing runs: the newest finished run of the highest mode; newer lower-mode runs named; running runs incomplete; --mode picks a mode', () => {
  const root = join(tmp, 'choose');
  const run = (runId: string, mode: EvidenceRun['mode'], state: EvidenceRun['state'] = 'finished') =>
    writeEvidenceRun(root, { pipeline: 'syn/a', runId, started: `2026-03-0${runId[7]}T10:00:00.000Z`, mode, state, ...(mode === 'quick' ? { records: syntheticRecords(EFFECTS, [1]) } : {}) });
  run('20260301-100000-evidence', 'evidence');
  run('20260302-100000-evidence', 'evidence');
  run('20260303-100000-quick', 'quick'); // a 1-seed smoke test, newer than both evidence runs
  run('20260304-100000-evidence', 'evidence', 'running');
  let got = collectRuns(root);
  assert.deepEqual(got.runs.map((r) => `${r.runId} ${r.mode}`), ['20260302-100000-evidence evidence']);
  assert.deepEqual(got.runs[0].choice!.newerLowerMode.map((r) => `${r.runId} ${r.mode}`), ['20260303-100000-quick quick']);
  assert.deepEqual(got.incomplete.map((r) => `${r.runId} ${r.state}`), ['20260304-100000-evidence running']);
  const report = buildReport(got, { id: 'choose' });
  const sec = report.section('synthetic');
  assert.match(sec, /Run <code>20260302-100000-evidence<\/code>, <strong>evidence<\/strong> mode, started 2026-03-02T10:00:00\.000Z: the newest finished run of the highest mode present \(paper &gt; evidence &gt; quick\)\./);
  assert.match(sec, /Newer runs of a lower mode exist and are not shown: <code>20260303-100000-quick<\/code> \(quick mode/);
  assert.ok(!sec.includes(SMOKE_TEST_LABEL), 'the evidence run is shown, not the smoke test');
  const page = report.html();
  assert.match(page, /<tr data-state="running"><td>syn-a<\/td><td><code>20260304-100000-evidence<\/code><\/td><td>evidence<\/td><td>running — not finished/);
  // a paper-scale run outranks the newer evidence runs
  run('20260300-100000-paper', 'paper');
  got = collectRuns(root);
  assert.deepEqual(got.runs.map((r) => r.runId), ['20260300-100000-paper']);
  assert.deepEqual(got.runs[0].choice!.newerLowerMode.map((r) => r.runId), ['20260303-100000-quick', '20260302-100000-evidence', '20260301-100000-evidence']);
  // asked for smoke tests: the newest quick run
  got = collectRuns(root, { mode: 'quick' });
  assert.deepEqual(got.runs.map((r) => `${r.runId} ${r.smokeTest}`), ['20260303-100000-quick true']);
  assert.match(got.runs[0].choice!.rule, /mode 'quick' \(asked for\)/);
  // only quick runs present: the quick run is reported (as a smoke test)
  const root2 = join(tmp, 'choose-quick');
  writeEvidenceRun(root2, { pipeline: 'syn/q', runId: '20260301-100000-quick', started: '2026-03-01T10:00:00.000Z', mode: 'quick' });
  assert.deepEqual(collectRuns(root2).runs.map((r) => r.mode), ['quick']);
});

test('a skipped run is listed with its reason and never hides an older finished run; a pipeline only ever skipped has a section saying so', () => {
  const root = join(tmp, 'skipped');
  writeEvidenceRun(root, { pipeline: 'syn/a', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence' });
  writeEvidenceRun(root, { pipeline: 'syn/a', runId: '20260302-100000-evidence', started: '2026-03-02T10:00:00.000Z', mode: 'evidence', state: 'skipped', reason: 'KuaiRand not found at data/kuairand (download it first)' });
  writeEvidenceRun(root, { pipeline: 'syn/k', runId: '20260302-100000-evidence', started: '2026-03-02T10:00:00.000Z', mode: 'evidence', state: 'skipped', reason: 'Ali-CCP absent', paper: 'other', title: 'Needs Ali-CCP' });
  const got = collectRuns(root);
  assert.deepEqual(got.runs.map((r) => `${r.pipeline} ${r.runId}`), ['syn/a 20260301-100000-evidence']);
  assert.deepEqual(got.skipped.map((r) => `${r.pipeline} ${r.runId} ${r.state} ${r.reason}`), ['syn/a 20260302-100000-evidence skipped KuaiRand not found at data/kuairand (download it first)', 'syn/k 20260302-100000-evidence skipped Ali-CCP absent']);
  assert.deepEqual(got.incomplete, []);
  const report = buildReport(got, { id: 'skipped' });
  assert.deepEqual(report.papers, ['other', 'synthetic']);
  const sec = report.section('synthetic');
  // the finished run with its verdicts, then the skip message of the newer run
  assert.ok(sec.indexOf('data-run="20260301-100000-evidence"') < sec.indexOf('data-run="20260302-100000-evidence"'));
  assert.match(sec, /data-verdict="agrees"/);
  assert.match(sec, /<p class="reclab-skip"><strong>Skipped<\/strong> \(run <code>20260302-100000-evidence<\/code>, evidence mode, started [^)]*\): KuaiRand not found at data\/kuairand \(download it first\)\. The older finished run <code>20260301-100000-evidence<\/code> \(evidence mode\) of this pipeline is shown instead\.<\/p>/);
  const other = report.section('other');
  assert.match(other, /<strong>Skipped<\/strong>.*Ali-CCP absent\. No finished run of this pipeline exists; its 4 claims are not measured\./);
  assert.ok(!other.includes('data-verdict='), 'a skipped run shows no verdict rows');
  const page = report.html();
  assert.match(page, /<h2>Skipped runs<\/h2>/);
  assert.match(page, /<td>syn\/a<\/td><td><code>20260302-100000-evidence<\/code><\/td><td>evidence<\/td><td>KuaiRand not found[^<]*<\/td><td>older finished run <code>20260301-100000-evidence<\/code>/);
  assert.match(page, /<td>Ali-CCP absent<\/td><td>nothing: no finished run<\/td>/);
  // summary: the skipped-only pipeline's claims are not measured; the skipped run of syn/a does not count
  assert.deepEqual(report.summary.map((r) => [r.paper, r.counts]), [
    ['other', { agrees: 0, disagrees: 0, 'cannot tell': 0, 'not measured': 4 }],
    ['synthetic', { agrees: 1, disagrees: 1, 'cannot tell': 1, 'not measured': 1 }],
  ]);
});

test('verdict sections and the cross-paper summary: coloured verdicts with difference, CI, p, MDE, seeds, source; smoke-test verdicts apart from evidence', () => {
  const root = join(tmp, 'summary');
  writeEvidenceRun(root, { pipeline: 'alpha/main', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence', paper: 'alpha', title: 'Alpha main' });
  writeEvidenceRun(root, { pipeline: 'alpha/ablation', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence', paper: 'alpha', title: 'Alpha ablation', claims: [CLAIMS[0]] });
  // a quick run of the same paper: its verdicts go to the smoke-test rows, never into alpha's evidence counts
  writeEvidenceRun(root, { pipeline: 'alpha/extra', runId: '20260302-100000-quick', started: '2026-03-02T10:00:00.000Z', mode: 'quick', paper: 'alpha', title: 'Alpha extra', records: syntheticRecords(EFFECTS, [1, 2, 3]), claims: [CLAIMS[0]] });
  writeEvidenceRun(root, { pipeline: 'beta/main', runId: '20260301-100000-quick', started: '2026-03-01T10:00:00.000Z', mode: 'quick', paper: 'beta', title: 'Beta main', records: syntheticRecords({ A: 0, B: 0.02, C: -0.02 }, [1, 2, 3]), claims: CLAIMS.slice(0, 2) });
  writeEvidenceRun(root, { pipeline: 'gamma/main', runId: '20250101-100000-full', started: '2025-01-01T10:00:00.000Z', mode: 'full', paper: 'gamma', legacy: true });
  const report = buildReport(collectRuns(root), { id: 'summary' });
  assert.deepEqual(report.summary.map((r) => ({ paper: r.paper, smoke: r.smokeTest, counts: Object.values(r.counts), runs: r.runs.map((x) => `${x.pipeline}:${x.mode}`), notes: r.notes })), [
    { paper: 'alpha', smoke: false, counts: [2, 1, 1, 1], runs: ['alpha/ablation:evidence', 'alpha/main:evidence'], notes: [] },
    { paper: 'gamma', smoke: false, counts: [0, 0, 0, 0], runs: ['gamma/main:full'], notes: ['gamma/main: no verdicts (run made before claims were judged)'] },
    { paper: 'alpha', smoke: true, counts: [1, 0, 0, 0], runs: ['alpha/extra:quick'], notes: [] },
    { paper: 'beta', smoke: true, counts: [1, 1, 0, 0], runs: ['beta/main:quick'], notes: [] },
  ]);
  const alpha = report.section('alpha');
  assert.match(alpha, /<code>alpha\/extra<\/code>: quick run, smoke test — not evidence\./);
  const sec = alpha.slice(alpha.indexOf('data-pipeline="alpha/ablation"'), alpha.indexOf('data-pipeline="alpha/extra"')) + alpha.slice(alpha.indexOf('data-pipeline="alpha/main"'));
  // one verdict row per claim, coloured by class, with the numbers of the comparison
  const rows = [...sec.matchAll(/<tr class="verdict-row" data-claim="([a-z])" data-verdict="([a-z ]+)">(.*?)<\/tr>/g)];
  assert.deepEqual(rows.map((m) => `${m[1]}:${m[2]}`), ['b:agrees', 'b:agrees', 'c:disagrees', 'd:cannot tell', 'e:not measured']);
  const verdicts = (readRun(join(root, 'alpha-main', '20260301-100000-evidence')) as ReportRun).verdicts!;
  const cB = verdicts[0].comparison!;
  const rowB = rows[1][3];
  assert.ok(rowB.includes('<span class="reclab-verdict v-agrees">agrees</span>'), rowB);
  for (const s of [`+${cB.diff.toFixed(4)}`, `[${cB.ci[0].toFixed(4)}, ${cB.ci[1].toFixed(4)}]`, cB.mde.toFixed(4), '<td class="num">5</td>', 'Synthetic paper, Table 1', 'B vs A · auc (test) · table main · expected higher']) assert.ok(rowB.includes(s), `${s} in ${rowB}`);
  assert.ok(cB.p! < 1e-4 && rowB.includes('&lt;1e-4'), rowB);
  assert.ok(rows[2][3].includes('v-disagrees') && rows[3][3].includes('v-cannot-tell') && rows[4][3].includes('v-not-measured'));
  assert.match(rows[3][3], /not significant at 0\.05/);
  assert.match(rows[4][3], /no records for E in table &#39;main&#39;/);
  // the page: the summary first, evidence rows before the smoke-test heading, beta only after it
  const page = report.html();
  const at = (s: string) => page.indexOf(s);
  assert.ok(at('<h2>Verdicts across papers</h2>') > 0 && at('<h2>Verdicts across papers</h2>') < at('<section class="reclab-section"'));
  const evidencePart = page.slice(at('<h3>Evidence verdicts</h3>'), at('<h3>Smoke-test verdicts'));
  const smokePart = page.slice(at('<h3>Smoke-test verdicts'), at('</section>'));
  assert.match(evidencePart, /<tr data-paper="alpha"><th scope="row"><a href="#s1-alpha">alpha<\/a><\/th><td><code>alpha\/ablation<\/code> evidence<br><code>alpha\/main<\/code> evidence<\/td><td class="num"><span class="reclab-verdict v-agrees">2<\/span><\/td><td class="num"><span class="reclab-verdict v-disagrees">1<\/span><\/td><td class="num"><span class="reclab-verdict v-cannot-tell">1<\/span><\/td><td class="num"><span class="reclab-verdict v-not-measured">1<\/span><\/td>/);
  assert.match(evidencePart, /data-paper="gamma"/);
  assert.ok(!evidencePart.includes('data-paper="beta"'));
  assert.match(smokePart, new RegExp(`${SMOKE_TEST_LABEL}[\\s\\S]*<tr data-paper="alpha">.*?<code>alpha/extra</code> quick</td><td class="num"><span class="reclab-verdict v-agrees">1</span></td><td class="num">0</td>[\\s\\S]*<tr data-paper="beta">`));
  assert.ok(!evidencePart.includes('alpha/extra'));
  assert.match(evidencePart, /<tr class="total"><th scope="row">all<\/th><td><\/td><td class="num">2<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">1<\/td>/);
  // no evidence at all: said plainly
  const onlySmoke = buildReport({ runs: report.runs.filter((r) => r.smokeTest), skipped: [], incomplete: [] }, { id: 'x' }).html();
  assert.match(onlySmoke, /No evidence-mode run is reported: no verdict below is evidence\./);
});

test('smoke test: every table, figure, verdict and section of a quick run carries the badge; an evidence run none', () => {
  const root = join(tmp, 'smoke');
  writeEvidenceRun(root, { pipeline: 'q/main', runId: '20260301-100000-quick', started: '2026-03-01T10:00:00.000Z', mode: 'quick', paper: 'quicky', records: syntheticRecords(EFFECTS, [1, 2]), svgs: { auc: SVG('AUC'), curve: SVG('curve') } });
  writeEvidenceRun(root, { pipeline: 'e/main', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence', paper: 'evi', svgs: { auc: SVG('AUC') } });
  const report = buildReport(collectRuns(root), { id: 'smoke' });
  const q = report.section('quicky');
  const badge = `<span class="reclab-badge smoke">${SMOKE_TEST_LABEL}</span>`;
  assert.match(q, new RegExp(`<h2>quicky ${badge}</h2>`));
  const headings = [...q.matchAll(/<h4>(.*?)<\/h4>/g)].map((m) => m[1]);
  assert.ok(headings.length >= 2, headings.join(' | ')); // the verdicts and the table
  for (const h of headings) assert.ok(h.includes(badge), `table heading without the badge: ${h}`);
  const captions = [...q.matchAll(/<figcaption>(.*?)<\/figcaption>/g)].map((m) => m[1]);
  assert.equal(captions.length, 2);
  for (const c of captions) assert.ok(c.includes(badge), `figure without the badge: ${c}`);
  const verdictRows = [...q.matchAll(/<tr class="verdict-row"[^>]*>(.*?)<\/tr>/g)].map((m) => m[1]);
  assert.equal(verdictRows.length, 4);
  for (const v of verdictRows) assert.ok(v.includes('<span class="reclab-badge smoke">smoke test</span>'), v);
  assert.match(q, /These verdicts come from a quick run: smoke test — not evidence\./);
  assert.match(q, /data-smoke-test="true"/);
  // the evidence run's section says nothing of the kind
  const e = report.section('evi');
  assert.ok(!e.includes('smoke test') && !e.includes('data-smoke-test'), 'no smoke-test label on an evidence run');
  // the contents mark the smoke-test paper
  assert.match(report.html(), new RegExp(`<li><a href="#s2-quicky">quicky</a> ${badge}</li>`));
});

test('footer and report.json list index.pdf only when it was written (--no-pdf, no Chromium)', async () => {
  const root = join(tmp, 'nopdf');
  writeEvidenceRun(root, { pipeline: 'syn/a', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence' });
  const report = buildReport(collectRuns(root), { id: 'nopdf' });
  const footer = (html: string) => /<footer>([\s\S]*)<\/footer>/.exec(html)![1];
  const check = async (options: { pdf?: boolean; executablePath?: string }, warning: RegExp | null) => {
    const w = await writeReport(report, join(tmp, 'nopdf-reports'), options);
    assert.equal(w.pdf, undefined);
    assert.ok(!existsSync(join(w.dir, 'index.pdf')));
    const f = footer(readFileSync(w.html, 'utf8'));
    assert.match(f, /Files in this folder: index\.html, report\.json\./);
    assert.ok(!f.includes('index.pdf'), f);
    assert.deepEqual((JSON.parse(readFileSync(join(w.dir, 'report.json'), 'utf8')) as { files: string[] }).files, ['index.html', 'report.json']);
    if (warning) assert.match(w.warnings.join('\n'), warning);
    else assert.deepEqual(w.warnings, []);
  };
  await check({ pdf: false }, null);
  await check({ executablePath: join(tmp, 'no-such-chromium') }, /no index\.pdf: Chromium was not found/);
  // the page as a notebook sees it lists no PDF either; the writer lists it when it writes one
  assert.ok(!footer(report.html()).includes('index.pdf'));
  assert.match(footer(report.html({ pdf: true })), /index\.html, index\.pdf, report\.json/);
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
  // the real run read back: its table recomputed from results.csv without a warning, its two claims judged, a smoke test
  const realRun = collected.runs.find((r) => r.pipeline === 'baselines/ctr')!;
  assert.ok(realRun.records!.length > 0 && realRun.tables[0].records.length > 0);
  assert.deepEqual(realRun.warnings.filter((w) => /shown as stored|verdicts/.test(w)), []);
  assert.deepEqual(realRun.verdicts!.map((v) => v.claim.id), real.verdicts.map((v) => v.claim.id));
  assert.deepEqual(realRun.verdicts!.map((v) => v.verdict), real.verdicts.map((v) => v.verdict));
  assert.equal(realRun.smokeTest, true);
  assert.equal((base.match(/<tr class="verdict-row"/g) ?? []).length, 2);
  assert.match(base, new RegExp(`<h2>baselines <span class="reclab-badge smoke">${SMOKE_TEST_LABEL}</span></h2>`));
  assert.match(/<footer>[\s\S]*<\/footer>/.exec(html)![0], /Files in this folder: index\.html, index\.pdf, report\.json/);
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
