/**
 * The qarm pipelines end to end at a tiny size through `runPipeline` (tiny multimodal world, one seed, three variants,
 * one epoch): the main, cold-start and code-statistics tables with the ceiling, the alignment and k-means records;
 * qarm/ab in the same process reusing stages A/B, with `abTests` for new and old items readable by the report; strict
 * configs. Smoke tests of the wiring, not reproductions: the numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { QARM_VARIANTS } from '../../src/pipelines/qarm/common.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-qarm-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const SHARED = {
  world: { preset: 'tiny' },
  prepare: { rqK: 8, vqPool: 200, encoder: { pretrainEpochs: 1, alignEpochs: 3 } },
  trainer: { epochs: 1, batchSize: 1024 },
};
const VARIANTS = [QARM_VARIANTS[0], QARM_VARIANTS[2], QARM_VARIANTS[5]];

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}

test('qarm/main: main, cold-start and code tables with the ceiling; alignment and k-means recorded', async () => {
  const run = await runPipeline('qarm/main', { ...RUN, config: { ...SHARED, seeds: [1], variants: VARIANTS } });
  const [main, cold, stats] = run.tables;
  assert.equal(run.tables.length, 3);
  assert.deepEqual(main.rows.map((r) => r.method), VARIANTS.map((v) => v.label));
  assert.deepEqual(main.metrics.map((m) => m.name), ['auc', 'gauc']);
  assert.deepEqual(cold.metrics.map((m) => m.name), ['auc_new', 'gauc_new', 'auc_old']);
  for (const t of [main, cold]) {
    assert.equal(t.references[0].label, 'ground-truth ceiling');
    for (const r of t.rows) for (const m of t.metrics) if (m.name !== 'gauc_new') assert.ok(Number.isFinite(r.cells[m.name].mean), `${t.title}: ${r.method} ${m.name}`);
  }
  assert.ok(main.references[0].values.auc! > 0.7, 'the ceiling is well above chance');
  assert.deepEqual(stats.rows.map((r) => r.method).slice(0, 3), ['VQ (bag of k = 25 of 200 pool items)', 'RQ (6 levels x 8)', 'RQ prefix, first 1 level']);
  assert.equal(stats.base, 'RQ prefix, first 1 level');
  const rqPrefix1 = stats.rows.find((r) => r.method === 'RQ prefix, first 1 level');
  assert.ok(rqPrefix1 && rqPrefix1.cells.share_sharing.mean === 1 && rqPrefix1.cells.distinct_codes.mean <= 8, 'one level of 8 codes: every item shares');
  assert.match(run.markdown, /Alignment \(held-out behaviour pairs/);
  assert.match(run.markdown, /RQ-Kmeans \(6 levels x 8, 20 iterations, \d+ x 32\): TypeScript [\d.]+ s, PyTorch [\d.]+ s/);
  const res = resultsOf(run.dir) as { alignment: { pairAucAligned: number }; pairs: { i2i: number; u2i: number } };
  assert.ok(res.pairs.i2i > 0 && res.pairs.u2i > 0, 'both pair sources mined');
  assert.ok(Number.isFinite(res.alignment.pairAucAligned));
});

test('qarm/ab: reuses stages A/B, treatment chosen on validation, abTests for new and old items', async () => {
  const run = await runPipeline('qarm/ab', { ...RUN, config: { ...SHARED, candidates: ['+ frozen MM (aligned)', '+ VQ + RQ codes'], ab: { users: 100, itemsPerUser: 12, bootstrap: 50, requests: 5 } } });
  const log = readFileSync(join(run.dir, 'log.txt'), 'utf8');
  assert.match(log, /reused from an earlier run in this process/);
  const results = resultsOf(run.dir);
  const ab = parseAbTests(results);
  assert.deepEqual(ab.map((a) => a.metric), ['clicks per request (new items)', 'clicks per request (old items)']);
  for (const a of ab) {
    assert.match(a.experiment ?? '', new RegExp(`^${String(results.treatment).replace(/[+()]/g, '\\$&')} vs Base \\(ID only\\) — (new|old) items$`));
    assert.ok(a.ciLow <= a.liftPct && a.liftPct <= a.ciHigh && a.control > 0);
  }
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), ['Base (ID only)', '+ frozen MM (aligned)', '+ VQ + RQ codes']);
});

test('qarm configs are strict: misspelt keys are rejected', async () => {
  await assert.rejects(runPipeline('qarm/main', { ...RUN, config: { ...SHARED, seed: [1] } }), /seed/);
  await assert.rejects(runPipeline('qarm/main', { ...RUN, config: { ...SHARED, prepare: { rqLevel: 3 } } }), /rqLevel/);
  await assert.rejects(runPipeline('qarm/ab', { ...RUN, config: { ...SHARED, candidates: ['+ XQ codes'] } }), /'\+ XQ codes' is not a QARM variant/);
});
