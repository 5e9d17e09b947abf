/**
 * The minet pipelines end to end at a tiny size through `runPipeline` (tiny news -> ads world, 1 epoch, no images):
 * every method and the ceiling in the main table with the base = best baseline, the interest-weight table and figure,
 * every ablation variant, A/B entries the report reads (with the A/A check), minet/amazon skipped with the message when
 * the files are absent and run on the fixtures when present, and strict configs. Smoke tests of the wiring: the
 * numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { MINET_ABLATION_VARIANTS } from '../../src/pipelines/minet/ablation.ts';
import { NEWS_ADS_PRESETS } from '../../src/worlds/news-ads-world.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-minet-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const TINY = { world: NEWS_ADS_PRESETS.tiny, trainer: { epochs: 1, batchSize: 256 } };
const METHODS = ['DNN', 'DIN', 'Cross-domain DNN', 'CoNet', 'MiNet'];

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}

test('minet/main: every method, base = best baseline, ceiling row, interest weights by segment (table and figure)', async () => {
  const run = await runPipeline('minet/main', { ...RUN, config: { ...TINY, seeds: [1, 2] } });
  const [t, w] = run.tables;
  assert.deepEqual(t.rows.map((r) => r.method), METHODS);
  assert.deepEqual(t.metrics.map((m) => m.name), ['auc', 'logloss', 'auc_sparse']);
  assert.ok(Number.isFinite(t.references[0].values.auc_sparse), 'the ceiling has an auc_sparse value');
  const means = t.rows.filter((r) => r.method !== 'MiNet').map((r) => r.cells.auc.mean);
  assert.equal(t.rows.find((r) => r.method === t.base)?.cells.auc.mean, Math.max(...means), 'the base is the best baseline on AUC');
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  for (const r of t.rows) assert.ok(r.cells.auc.mean > 0.3 && r.cells.auc.mean < (t.references[0].values.auc as number) + 0.05, `${r.method} AUC ${r.cells.auc.mean}`);
  assert.ok(t.rows.find((r) => r.method === 'MiNet')?.cells.auc.pValue !== null, 'two seeds give a paired t-test');
  assert.match(run.markdown, /Ordering on auc/);
  assert.match(run.markdown, /truth model with that term removed/);
  assert.match(w.title, /interest weights by the user's target-domain history/);
  assert.deepEqual(w.metrics.map((m) => m.name), ['w_long', 'w_short_target', 'w_short_source', 'share_short_source']);
  assert.ok(w.rows.length >= 3 && w.rows[0].method.startsWith('0 target clicks'));
  for (const r of w.rows) assert.ok(r.cells.w_long.mean > 0 && r.cells.share_short_source.mean > 0 && r.cells.share_short_source.mean < 1);
  assert.match(run.markdown, /Measured: share_short_source goes from/);
  for (const f of ['auc.html', 'interest-weights.html']) assert.ok(existsSync(join(run.dir, 'figures', f)), f);
  assert.equal((resultsOf(run.dir).interestWeights as unknown[]).length, 2);
});

test('minet/ablation: every variant, base = the full model', async () => {
  const run = await runPipeline('minet/ablation', { ...RUN, config: { ...TINY, seeds: [1] } });
  const [t] = run.tables;
  assert.deepEqual(t.rows.map((r) => r.method), MINET_ABLATION_VARIANTS.map((v) => v.label));
  assert.equal(t.base, 'MiNet');
  assert.ok(t.rows.every((r) => Number.isFinite(r.cells.auc.mean) && Number.isFinite(r.cells.logloss.mean)));
  assert.match(run.markdown, /Lower than the full model here/);
});

test('minet/ab: MiNet vs DIN and the A/A check in the report shape', async () => {
  const run = await runPipeline('minet/ab', { ...RUN, config: { world: TINY.world, trainer: TINY.trainer, ab: { requests: 10, bootstrap: 100 } } });
  const results = resultsOf(run.dir);
  const ab = parseAbTests(results);
  assert.deepEqual(ab.map((a) => `${a.experiment}: ${a.metric}`), ['MiNet vs DIN: clicks per request', 'MiNet vs DIN: clicks per user', 'A/A (MiNet vs MiNet): clicks per request', 'A/A (MiNet vs MiNet): clicks per user']);
  for (const a of ab) assert.ok(a.ciLow <= a.liftPct && a.liftPct <= a.ciHigh && a.control > 0 && (a.requests ?? 0) > 0);
  const aa = ab.filter((a) => a.experiment?.startsWith('A/A'));
  assert.equal(results.aaCovers, aa.every((a) => a.ciLow <= 0 && a.ciHigh >= 0));
  assert.match(run.markdown, /A\/A check \(MiNet in both arms\)/);
});

test('minet/amazon: skipped with the how-to message without files; a table on the fixtures; strict config', async () => {
  const skipped = await runPipeline('minet/amazon', { ...RUN, config: { data: { dir: join(out, 'none') } } });
  assert.equal(skipped.tables.length, 0);
  const message = skipped.skipped ?? '';
  assert.match(message, /Amazon 2014 files not found .*index_2014\.html/);
  assert.ok(readFileSync(join(skipped.dir, 'log.txt'), 'utf8').includes(message));
  const fix = join(import.meta.dirname, '..', 'fixtures', 'amazon');
  const run = await runPipeline('minet/amazon', { ...RUN, config: { data: { dir: fix, minPerDomain: 3 }, seeds: [1], trainer: { epochs: 1, batchSize: 64 } } });
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), METHODS);
  assert.match(run.tables[0].title, /MiNet on Amazon \(Books -> Movies_and_TV/);
  await assert.rejects(runPipeline('minet/amazon', { ...RUN, config: { data: { dri: 'x' } } }), /pipeline 'minet\/amazon' config: data: Unrecognized key/);
  await assert.rejects(runPipeline('minet/main', { ...RUN, config: { sedes: [1] } }), /pipeline 'minet\/main' config: \(root\): Unrecognized key/);
});
