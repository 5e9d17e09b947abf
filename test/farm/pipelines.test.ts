/**
 * The farm pipelines end to end at a tiny size through `runPipeline` (tiny live world, 1 epoch, small models, no
 * images): every method and the ceiling in the main table with the strongest baseline as base, the six ablations,
 * the sparsity sweep's three shares and figure, the A/B and A/A entries readable by the report (`parseAbTests`), and
 * strict configs that reject misspelt keys. Smoke tests of the wiring, not reproductions: numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { FARM_METHODS } from '../../src/pipelines/farm/common.ts';
import { FARM_ABLATIONS } from '../../src/pipelines/farm/ablation.ts';
import { LIVE_WORLD_SIZES } from '../../src/worlds/live-world.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-farm-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const WORLD = { ...LIVE_WORLD_SIZES.tiny, users: 600, authors: 60, liveShare: 0.3, rates: { click: 0.3, effective_view: 0.15, like: 0.08, comment: 0.04, gift: 0.03, follow: 0.03 } };
const TINY = { world: WORLD, trainer: { epochs: 1, batchSize: 1024 }, sizes: { embeddingDim: 4, ple: { levels: 1, expertHidden: [8], tower: [4] }, attentionHidden: [4] } };

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}

test('farm/main: every method, per-task AUC/UAUC/GAUC columns, strongest baseline as base, the ceiling row', async () => {
  const run = await runPipeline('farm/main', { ...RUN, config: { ...TINY, seeds: [1, 2] } });
  const [t] = run.tables;
  assert.deepEqual(t.rows.map((r) => r.method), FARM_METHODS.map((m) => m.label));
  assert.ok(t.metrics.some((m) => m.name === 'click_auc') && t.metrics.some((m) => m.name === 'click_gauc') && t.metrics.some((m) => m.name === 'click_uauc'));
  assert.ok(['DNN', 'DIN', 'MMoE', 'PLE', 'Naive cross-domain'].includes(t.base), `base ${t.base} is a baseline`);
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  assert.ok((t.references[0].values.click_auc ?? 0) > 0.5);
  const farm = t.rows.find((r) => r.method === 'FARM');
  assert.ok(farm && farm.cells.click_auc.pValue !== null && farm.cells.click_auc.relImpPct !== null, 'FARM gets a relative improvement and a paired t-test');
  assert.match(run.markdown, /Base = the strongest baseline by mean test AUC over the tasks/);
  assert.match(run.markdown, /Test positives per task: click \d+, effective_view \d+/);
});

test('farm/ablation: the six ablations against FARM with a bar figure', async () => {
  const run = await runPipeline('farm/ablation', { ...RUN, config: { ...TINY, seeds: [1] } });
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), FARM_ABLATIONS.map((v) => v.label));
  assert.equal(run.tables[0].base, 'FARM');
  const bars = resultsOf(run.dir).meanAuc as Array<{ label: string; mean: number }>;
  assert.equal(bars.length, 7);
  assert.ok(bars.every((b) => b.mean > 0 && b.mean < 1));
});

test('farm/sparsity: one point per live share, gain figure, note says what was measured', async () => {
  const run = await runPipeline('farm/sparsity', { ...RUN, config: { ...TINY, world: { ...WORLD, users: 400, authors: 40 }, liveShares: [0.3, 0.15], seeds: [1] } });
  const points = resultsOf(run.dir).points as Array<{ share: number; liveTrainRows: number; gain: { mean: number } }>;
  assert.deepEqual(points.map((p) => p.share), [0.3, 0.15]);
  assert.ok(points[0].liveTrainRows > points[1].liveTrainRows, 'a lower share gives fewer live rows');
  assert.ok(points.every((p) => Number.isFinite(p.gain.mean)));
  assert.match(run.markdown, /Measured: the gain (grows|does NOT grow monotonically) as the live share falls/);
});

test('farm/ab: A/B and A/A entries the report reads; the A/A interval is checked against 0', async () => {
  const run = await runPipeline('farm/ab', { ...RUN, config: { ...TINY, ab: { requests: 10, bootstrap: 100 } } });
  const results = resultsOf(run.dir);
  const ab = parseAbTests(results);
  assert.deepEqual(ab.map((a) => `${a.experiment}: ${a.metric}`), [
    'FARM vs PLE: watch seconds per user', 'FARM vs PLE: effective-view rate', 'FARM vs PLE: gifts per user',
    'A/A (PLE vs PLE): watch seconds per user', 'A/A (PLE vs PLE): effective-view rate', 'A/A (PLE vs PLE): gifts per user',
  ]);
  for (const a of ab) assert.ok(a.ciLow <= a.liftPct && a.liftPct <= a.ciHigh && a.control > 0);
  const aa = ab.filter((a) => (a.experiment ?? '').startsWith('A/A'));
  assert.equal(results.aaContainsZero, aa.every((a) => a.ciLow <= 0 && a.ciHigh >= 0));
});

test('farm pipeline configs are strict: misspelt keys are errors naming them', async () => {
  await assert.rejects(runPipeline('farm/main', { ...RUN, config: { seeds: [1], trainr: {} } }), /pipeline 'farm\/main' config: .*trainr/);
  await assert.rejects(runPipeline('farm/ab', { ...RUN, config: { ab: { request: 3 } } }), /pipeline 'farm\/ab' config: ab.*request/);
  await assert.rejects(runPipeline('farm/ab', { ...RUN, config: { ...TINY, sizes: { embeddingDm: 4 } } }), /farm: sizes key 'embeddingDm' is not a config key of any live model/);
  await assert.rejects(runPipeline('farm/main', { ...RUN, config: { ...TINY, seeds: [1], models: [{ label: 'F', model: 'farm', config: { tasks: ['clik'] } }, { label: 'P', model: 'live-ple', config: {} }], baselines: ['P'] } }), /farm config: unknown task 'clik'/);
});

test('farm/kuairand: skipped with the message when the data is absent; PLE with and without the frequency module on the fixtures', async () => {
  const skipped = await runPipeline('farm/kuairand', { ...RUN, config: { kuairand: { dir: join(out, 'no-kuairand') } } });
  assert.equal(skipped.tables.length, 0);
  assert.match(skipped.skipped ?? '', /zenodo\.org\/records\/10439422/);
  const dir = new URL('../fixtures/kuairand/', import.meta.url).pathname;
  const run = await runPipeline('farm/kuairand', { ...RUN, config: { kuairand: { dir, historyLen: 5 }, validFrom: 0.6, testFrom: 0.8, sizes: TINY.sizes, trainer: TINY.trainer, seeds: [1, 2] } });
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), ['PLE', 'PLE + frequency module']);
  assert.ok(run.tables[0].metrics.some((m) => m.name === 'click_auc'));
});
