/**
 * Results as data: a run's tables recomputed from results.csv equal the tables the run printed; LaTeX export (booktabs,
 * best mean in bold, significance daggers, escaped names); the records as a danfo DataFrame; run liveness (a 'running'
 * status whose process is gone reads as dead).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { registerPipeline } from '../../src/pipelines/pipeline.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import { buildResultTable, tableToMarkdown } from '../../src/pipelines/result-table.ts';
import { exportRun, latexEscape, recordsToDataFrame, runTables, tableToLatex } from '../../src/pipelines/export.ts';
import { liveness, listRuns } from '../../src/pipelines/run-status.ts';

const results = [
  { method: 'DNN', seeds: [1, 2, 3], values: { auc: [0.70, 0.71, 0.72], logloss: [0.5, 0.52, 0.51] }, se: { auc: [0.001, 0.001, 0.001], logloss: [0.002, 0.002, 0.002] } },
  { method: 'DIN_x & y', seeds: [1, 2, 3], values: { auc: [0.75, 0.76, 0.77], logloss: [0.49, 0.5, 0.48] }, se: { auc: [0.001, 0.001, 0.001], logloss: [0.002, 0.002, 0.002] } },
];
const metrics = [{ name: 'auc', higherIsBetter: true }, { name: 'logloss', higherIsBetter: false }];

registerPipeline({
  name: 'test/export',
  paper: 'test',
  title: 'export',
  description: 'a pipeline for export tests',
  schema: z.strictObject({ seeds: z.array(z.number()) }),
  defaults: () => ({ seeds: [1, 2, 3, 4, 5] }),
  async run() {
    const t = buildResultTable({ id: 'main', title: 'Export <table>', base: 'DNN', metrics, results, references: [{ label: 'ceiling', values: { auc: 0.8, logloss: null }, note: 'truth' }] });
    return { tables: [t], figures: [], results: {} };
  },
});

test('export: tables recomputed from results.csv equal the printed ones; csv is the records; latex is booktabs', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-export-'));
  const run = await runPipeline('test/export', { out, verbose: false, figureFormats: [] });
  const again = runTables(run.dir);
  assert.equal(again.map(tableToMarkdown).join('\n'), run.tables.map(tableToMarkdown).join('\n'));
  assert.match(exportRun(run.dir, 'csv'), /^pipeline,run,table,method,variant,knob,metric,split,seed,value,rows,positives,se,still_improving\n/);
  assert.equal(exportRun(run.dir, 'md'), run.tables.map(tableToMarkdown).join('\n'));
  const tex = exportRun(run.dir, 'latex');
  assert.match(tex, /\\toprule[\s\S]*\\midrule[\s\S]*\\bottomrule/);
  assert.match(tex, /DIN\\_x \\& y & \\textbf\{0\.7600 \$\\pm\$ 0\.0100\}\$\^\\dagger\$ & \\textbf\{0\.4900 \$\\pm\$ 0\.0100\}/);
  assert.match(tex, /DNN \(base\) & 0\.7100 \$\\pm\$ 0\.0100 & /);
  assert.match(tex, /\\textit\{ceiling\} & 0\.8000 & /);
  assert.throws(() => exportRun(run.dir, 'xls' as never), /format must be csv, md or latex/);
  assert.throws(() => runTables(out), /no results\.json/);
});

test('export: LaTeX escaping and one-seed cells; records as a danfo DataFrame', async () => {
  assert.equal(latexEscape('a_b & 50% #1 {x} ~ ^ \\'), 'a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
  const one = buildResultTable({ title: 'one', base: 'A', metrics: [{ name: 'auc', higherIsBetter: true }], results: [{ method: 'A', seeds: [1], values: { auc: [0.7] } }] });
  assert.match(tableToLatex(one), /A \(base\) & \\textbf\{0\.7000\} \\\\/);
  const df = await recordsToDataFrame(one.records);
  assert.deepEqual(df.shape, [1, 14]);
  assert.deepEqual(df.columns.slice(0, 4), ['pipeline', 'run', 'table', 'method']);
});

test('liveness: a running status whose process is gone is dead; an old heartbeat from another host is dead', () => {
  const now = Date.parse('2026-12-05T10:00:00Z');
  assert.equal(liveness({ state: 'running', started: '2026-12-05T09:59:00Z', pid: process.pid, host: hostname() }, now), 'running');
  assert.equal(liveness({ state: 'running', started: '2026-12-05T09:59:00Z', pid: 2 ** 22 + 12345, host: hostname() }, now), 'dead');
  assert.equal(liveness({ state: 'running', started: '2026-12-05T09:00:00Z', heartbeat: '2026-12-05T09:50:00Z', pid: 1, host: 'elsewhere' }, now), 'dead');
  assert.equal(liveness({ state: 'running', started: '2026-12-05T09:00:00Z', heartbeat: '2026-12-05T09:59:30Z', pid: 1, host: 'elsewhere' }, now), 'running');
  assert.equal(liveness({ state: 'finished', started: '2026-12-05T09:00:00Z' }, now), 'finished');
  const root = mkdtempSync(join(tmpdir(), 'reclab-runs-'));
  const dir = join(root, 'x-y', '20261205-095900-evidence');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'running', started: '2026-12-05T09:59:00Z', pid: 2 ** 22 + 12345, host: hostname() }));
  const [r] = listRuns(root, now);
  assert.equal(r.state, 'dead');
  assert.equal(r.mode, 'evidence');
  assert.match(r.detail, /process \d+ on .* is gone/);
  assert.throws(() => listRuns(join(root, 'nope')), /no results folder/);
});
