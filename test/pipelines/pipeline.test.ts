/**
 * Pipelines: result-table statistics and rendering, strict configs, run folders (never overwritten, FINISHED only
 * when complete, failed runs marked failed), and a tiny end-to-end baselines/ctr run whose table shows the
 * ceiling row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { parseRecordsCsv } from '../../src/evidence/records.ts';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { buildResultTable, tableToCsv, tableToMarkdown } from '../../src/pipelines/result-table.ts';
import { registerPipeline } from '../../src/pipelines/pipeline.ts';
import { listPipelines } from '../../src/pipelines/registry.ts';
import { runPipeline, isFinishedRun } from '../../src/pipelines/runner.ts';
import { pairedTTest } from '../../src/metrics/index.ts';

const results = [
  { method: 'DNN', seeds: [1, 2, 3], values: { auc: [0.70, 0.71, 0.72], logloss: [0.5, 0.52, 0.51] } },
  { method: 'DIN', seeds: [1, 2, 3], values: { auc: [0.73, 0.735, 0.75], logloss: [0.49, 0.5, 0.48] } },
];
const metrics = [{ name: 'auc', higherIsBetter: true }, { name: 'logloss', higherIsBetter: false }];

test('result table: mean, sample std, relative improvement (sign follows better) and paired p-value', () => {
  const t = buildResultTable({ title: 't', base: 'DNN', metrics, results });
  const din = t.rows[1].cells;
  assert.ok(Math.abs(din.auc.mean - 0.738333333) < 1e-6);
  assert.ok(Math.abs(din.auc.std - Math.sqrt(((0.73 - 0.7383333) ** 2 + (0.735 - 0.7383333) ** 2 + (0.75 - 0.7383333) ** 2) / 2)) < 1e-6);
  assert.ok(Math.abs((din.auc.relImpPct as number) - ((0.7383333 - 0.71) / 0.71) * 100) < 1e-3);
  assert.ok((din.logloss.relImpPct as number) > 0, 'lower logloss is an improvement');
  assert.equal(din.auc.pValue, pairedTTest(results[1].values.auc, results[0].values.auc).pValue);
  assert.equal(t.rows[0].cells.auc.relImpPct, null);
  const md = tableToMarkdown({ ...t, references: [{ label: 'ceiling', values: { auc: 0.8, logloss: null }, note: 'truth' }] });
  assert.match(md, /\| DIN \| 0\.7383 ± 0\.0104 \(\+3\.99%, p=0\.\d{4}\)/);
  assert.match(md, /\| \*ceiling\* \| 0\.8000 \| {2}\|/);
  assert.match(tableToCsv(t), /^method,kind,auc_mean,auc_std,auc_rel_imp_pct,auc_p_value,logloss_mean/);
});

test('result table: a base whose mean is 0 gives no relative improvement (not ±Infinity) and is not shown as base', () => {
  const zero = [
    { method: 'A', seeds: [1, 2], values: { share: [0, 0] } },
    { method: 'B', seeds: [1, 2], values: { share: [0.2, 0.3] } },
  ];
  const t = buildResultTable({ title: 'codes', base: 'A', metrics: [{ name: 'share', higherIsBetter: true }], results: zero });
  assert.equal(t.rows[1].cells.share.relImpPct, null);
  const md = tableToMarkdown(t);
  assert.match(md, /\| A \| 0\.0000 ± 0\.0000 \(base\) \|/);
  assert.match(md, /\| B \| 0\.2500 ± 0\.0707 \|/);
  assert.doesNotMatch(md, /Infinity|NaN/);
});

test('result table errors name the method', () => {
  assert.throws(() => buildResultTable({ title: 't', base: 'LR', metrics, results }), /base method 'LR' has no results/);
  const bad = [results[0], { ...results[1], seeds: [1, 2, 4] }];
  assert.throws(() => buildResultTable({ title: 't', base: 'DNN', metrics, results: bad }), /method 'DIN' ran seeds \[1,2,4\]/);
});

let calls = 0;
registerPipeline({
  name: 'test/toy',
  paper: 'test',
  title: 'toy',
  description: 'a pipeline for runner tests',
  schema: z.strictObject({ fail: z.boolean(), seeds: z.array(z.number()) }),
  defaults: (mode) => ({ fail: false, seeds: mode === 'quick' ? [1, 2] : [1, 2, 3, 4, 5] }),
  async run(config, ctx) {
    calls++;
    await ctx.stage('work', () => undefined);
    if (config.fail) throw new Error('toy failure');
    if (config.seeds[0] === 99) return { tables: [], figures: [], results: {}, skipped: 'no data: put the files in data/toy' };
    return { tables: [buildResultTable({ id: 'main', title: 'toy <b>', base: 'DNN', metrics, results })], figures: [], results: { seeds: config.seeds } };
  },
});

test('runner: a finished run has every file and FINISHED; a second run gets a new folder', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-runs-'));
  const a = await runPipeline('test/toy', { out, verbose: false, figureFormats: [] });
  const b = await runPipeline('test/toy', { out, verbose: false, figureFormats: [] });
  assert.notEqual(a.dir, b.dir);
  for (const f of ['status.json', 'results.json', 'results.csv', 'verdicts.json', 'table.md', 'table.csv', 'meta.json', 'FINISHED', 'log.txt']) assert.ok(existsSync(join(a.dir, f)), f);
  assert.ok(isFinishedRun(a.dir));
  assert.match(a.dir, /-evidence$/, 'the default mode is evidence');
  const meta = JSON.parse(readFileSync(join(a.dir, 'meta.json'), 'utf8'));
  assert.equal(meta.provenance.backend.name, 'tensorflow');
  assert.equal(meta.mode, 'evidence');
  assert.deepEqual(meta.seeds, [1, 2, 3, 4, 5]);
  const records = parseRecordsCsv(readFileSync(join(a.dir, 'results.csv'), 'utf8'));
  assert.equal(records.length, 12, '2 methods x 2 metrics x 3 seeds');
  assert.ok(records.every((r) => r.pipeline === 'test/toy' && r.run === basename(a.dir) && r.table === 'main'));
  assert.doesNotMatch(a.markdown, /smoke test/);
  assert.ok(typeof meta.timings.work === 'number' && typeof meta.timings.total === 'number');
  assert.equal(readdirSync(join(out, 'test-toy')).length, 2);
});

test('runner: a failing run is marked failed, never finished; bad configs name the key', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-runs-'));
  await assert.rejects(runPipeline('test/toy', { out, verbose: false, config: { fail: true } }), /pipeline 'test\/toy' failed \(run folder .* marked failed\): toy failure/);
  const [dir] = readdirSync(join(out, 'test-toy'));
  assert.equal(JSON.parse(readFileSync(join(out, 'test-toy', dir, 'status.json'), 'utf8')).state, 'failed');
  assert.ok(!isFinishedRun(join(out, 'test-toy', dir)));
  const before = calls;
  await assert.rejects(runPipeline('test/toy', { out, verbose: false, config: { fial: true } }), /config: \(root\): Unrecognized key/);
  assert.equal(calls, before, 'an invalid config never starts a run');
  await assert.rejects(runPipeline('nope', { out }), /unknown pipeline 'nope'/);
  await assert.rejects(runPipeline('test/toy', { out, sedes: 2 } as never), /unknown option 'sedes'/);
  await assert.rejects(runPipeline('test/toy', { out, verbose: false, config: { seeds: [1, 1, 1] }, quick: true }), /seed 1 appears 3 times/);
  await assert.rejects(runPipeline('test/toy', { out, verbose: false, seeds: 3 }), /evidence mode needs at least 5 distinct seeds, got 3/);
  await assert.rejects(runPipeline('test/toy', { out, verbose: false, quick: true, mode: 'evidence' }), /contradicts mode/);
  assert.equal(calls, before, 'rejected seeds never start a run');
  // model configs and method names are checked before a run folder exists (notebooks call runPipeline directly)
  await assert.rejects(
    runPipeline('baselines/ctr', { out, verbose: false, quick: true, config: { base: 'DNNN' } }),
    /baselines\/ctr config: base 'DNNN' is not one of its methods/,
  );
  assert.ok(!existsSync(join(out, 'baselines-ctr')), 'a rejected model config leaves no run folder');
});

test('runner: quick runs say "smoke test — not evidence"; a skipped run is marked skipped, never finished', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-runs-'));
  const q = await runPipeline('test/toy', { out, verbose: false, quick: true, figureFormats: [] });
  assert.match(q.markdown.split('\n')[0], /smoke test — not evidence/);
  assert.match(q.dir, /-quick$/);
  assert.equal(JSON.parse(readFileSync(join(q.dir, 'meta.json'), 'utf8')).smokeTest, true);
  const s = await runPipeline('test/toy', { out, verbose: false, figureFormats: [], config: { seeds: [99, 1, 2, 3, 4] } });
  assert.equal(s.skipped, 'no data: put the files in data/toy');
  const status = JSON.parse(readFileSync(join(s.dir, 'status.json'), 'utf8'));
  assert.equal(status.state, 'skipped');
  assert.equal(status.reason, 'no data: put the files in data/toy');
  assert.ok(!isFinishedRun(s.dir));
});

test('baselines/ctr end to end at a tiny size: table with every model and the ceiling row, figures as HTML', async () => {
  assert.ok(listPipelines().some((p) => p.name === 'baselines/ctr'));
  const out = mkdtempSync(join(tmpdir(), 'reclab-runs-'));
  const run = await runPipeline('baselines/ctr', {
    quick: true,
    seeds: 2,
    out,
    verbose: false,
    figureFormats: [],
    config: { world: { users: 300, items: 150, categories: 10, impressionsPerUser: 12 }, trainer: { epochs: 1, progressLabel: '' } },
  });
  for (const m of ['DNN', 'Wide&Deep', 'DeepFM', 'DIN', 'ground-truth ceiling']) assert.match(run.markdown, new RegExp(`\\| \\*?${m}\\*?( †)? \\|`));
  assert.match(run.markdown, /### Claims and verdicts \(smoke test — not evidence\)/);
  assert.match(run.markdown, /\| DIN beats DNN on test AUC \| \*\*(agrees|disagrees|cannot tell)\*\* \|/);
  assert.ok(run.records.some((r) => r.method === 'DIN' && r.metric === 'auc' && r.split === 'test' && r.se !== null && r.se > 0 && r.positives !== null));
  assert.ok(existsSync(join(run.dir, 'figures', 'test-auc.html')));
  assert.ok(isFinishedRun(run.dir));
});

test('selection on validation only: permuting the test labels leaves every validation choice of baselines/ctr unchanged', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-runs-'));
  const options = {
    quick: true, seeds: 2, out, verbose: false, figureFormats: [] as never[],
    config: { world: { users: 300, items: 150, categories: 10, impressionsPerUser: 12 }, trainer: { epochs: 3, patience: 1, progressLabel: '' } },
  };
  const plain = await runPipeline('baselines/ctr', options);
  const audit = await runPipeline('baselines/ctr', { ...options, permuteTestLabels: 5 });
  const pick = (rs: typeof plain.records, split: string) => rs.filter((r) => r.split === split).map((r) => `${r.method}|${r.metric}|${r.seed}|${r.value}`);
  assert.ok(pick(plain.records, 'valid').length >= 16, 'best epoch and validation AUC per fit are recorded');
  assert.deepEqual(pick(audit.records, 'valid'), pick(plain.records, 'valid'), 'validation choices do not see the test labels');
  const testAuc = (rs: typeof plain.records) => rs.filter((r) => r.split === 'test' && r.metric === 'auc').map((r) => r.value);
  assert.notDeepEqual(testAuc(audit.records), testAuc(plain.records), 'the audit did permute the test labels');
  for (const v of testAuc(audit.records)) assert.ok(Math.abs(v - 0.5) < 0.1, `test AUC on permuted labels is near chance: ${v}`);
});
