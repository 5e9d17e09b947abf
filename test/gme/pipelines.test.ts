/**
 * The gme/* pipelines end to end at a tiny size through `runPipeline`: tables per backbone with every arm, base random
 * init and the Meta-Embedding relative table, the ceiling row and the neighbour-signal note; the neighbour ablation;
 * gme/movielens skipped with the how-to message when the files are absent and run on the fixtures when present;
 * strict configs reject misspelt keys. Wiring tests, not reproductions: the numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { COLD_START_WORLD_SIZES } from '../../src/worlds/cold-start-world.ts';
import { buildResultTable } from '../../src/pipelines/result-table.ts';
import { orderingNote } from '../../src/pipelines/gme/common.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-gme-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const SMALL = { embeddingDim: 4, hidden: [8], attentionDim: 4, heads: 2, attentionLayers: 1 };
const TINY = { world: { ...COLD_START_WORLD_SIZES.tiny }, backbone: SMALL, meta: { batchAds: 30, learningRate: 5e-3, innerLr: 1e-4, alpha: 0.1, order: 'second', epochs: 1 } };

test('gme/main: per-backbone tables (base random init; relative to Meta-Embedding), ceiling, notes, one figure per backbone', async () => {
  const run = await runPipeline('gme/main', { ...RUN, config: { ...TINY, backbones: ['dnn', 'autoint'], generators: ['random', 'meta-embedding', 'gme-a'], seeds: [1, 2], neighbours: 3 } });
  assert.equal(run.tables.length, 4);
  const [dnn, dnnRel, auto] = run.tables;
  assert.deepEqual(dnn.rows.map((r) => r.method), ['random init', 'Meta-Embedding', 'GME-A']);
  assert.equal(dnn.base, 'random init');
  assert.equal(dnnRel.base, 'Meta-Embedding');
  assert.deepEqual(dnnRel.metrics.map((m) => m.name), ['cold_auc', 'warm-a_auc', 'warm-b_auc', 'warm-c_auc']);
  assert.deepEqual(dnn.metrics.map((m) => m.name).slice(4), ['cold_logloss', 'warm-a_logloss', 'warm-b_logloss', 'warm-c_logloss']);
  for (const r of dnn.rows) for (const m of dnn.metrics) assert.ok(Number.isFinite(r.cells[m.name].mean), `${r.method} ${m.name}`);
  assert.equal(dnn.references[0].label, 'ground-truth ceiling');
  assert.match(auto.title, /^AutoInt/);
  assert.match(run.markdown, /Neighbour signal of this world: correlation r = \d\.\d{3}/);
  assert.match(run.markdown, /Ordering on cold_auc: .* Paper's claim/);
  assert.match(run.markdown, /Meta-gradient: second order/);
  for (const b of ['dnn', 'autoint']) assert.ok(existsSync(join(run.dir, 'figures', `auc-vs-stage-${b}.html`)), `figure of ${b}`);
});

test('gme/neighbours: one row per variant and N, plus random init and Meta-Embedding; the notes compare N', async () => {
  const run = await runPipeline('gme/neighbours', { ...RUN, config: { ...TINY, neighbourCounts: [0, 3], variants: ['gme-p'], seeds: [1] } });
  const [t] = run.tables;
  assert.deepEqual(t.rows.map((r) => r.method), ['random init', 'Meta-Embedding', 'GME-P N=0', 'GME-P N=3']);
  assert.match(run.markdown, /GME-P cold AUC by N: N=0: 0\.\d{4}, N=3: 0\.\d{4}/);
});

test('gme/movielens: skipped with the how-to message without the files; run on the fixture files', async () => {
  const skipped = await runPipeline('gme/movielens', { ...RUN, config: { dir: join(out, 'absent') } });
  assert.equal(skipped.tables.length, 0);
  assert.match(skipped.skipped ?? '', /licence forbids redistribution.*grouplens/);
  assert.equal((JSON.parse(readFileSync(join(skipped.dir, 'status.json'), 'utf8')) as { state: string }).state, 'skipped');
  assert.ok(!existsSync(join(skipped.dir, 'FINISHED')), 'a skipped run is not finished');
  const fix = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/movielens');
  const run = await runPipeline('gme/movielens', {
    ...RUN,
    config: { dir: fix, data: { oldThreshold: 8, shot: 2, minTest: 1 }, neighbours: 2, backbone: SMALL, generators: ['random', 'meta-embedding', 'gme-p'], seeds: [1], meta: { batchAds: 2, epochs: 1 } },
  });
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), ['random init', 'Meta-Embedding', 'GME-P']);
  assert.match(run.markdown, /Label rule: like = 1 when rating >= 4, else 0/);
});

test('strict configs: misspelt keys are errors naming them', async () => {
  await assert.rejects(runPipeline('gme/main', { ...RUN, config: { neighbors: 3 } }), /neighbors/);
  await assert.rejects(runPipeline('gme/main', { ...RUN, config: { ...TINY, world: { oldAd: 3 }, backbones: ['dnn'], generators: ['random'], seeds: [1] } }), /unknown key 'oldAd'/);
  await assert.rejects(runPipeline('gme/neighbours', { ...RUN, config: { meta: { inner: 1 } } }), /inner/);
  await assert.rejects(runPipeline('gme/movielens', { ...RUN, config: { data: { treshold: 4 } } }), /treshold/);
});

test('orderingNote: agrees only when every GME variant beats both Meta-Embedding and random init', () => {
  const table = (vals: Record<string, number>) => buildResultTable({
    title: 't', base: 'random init', metrics: [{ name: 'cold_auc', higherIsBetter: true }],
    results: Object.entries(vals).map(([method, v]) => ({ method, seeds: [1], values: { cold_auc: [v] } })),
  });
  const all = orderingNote(table({ 'random init': 0.6, 'Meta-Embedding': 0.61, 'GME-A': 0.62, 'GME-P': 0.63 }), 'cold_auc', ['GME-A', 'GME-P'], 'Meta-Embedding', 'random init');
  assert.match(all, /GME-P 0\.6300 > GME-A 0\.6200 > Meta-Embedding 0\.6100 > random init 0\.6000/);
  assert.match(all, /2\/2 GME variants beat Meta-Embedding .* — agrees/);
  const part = orderingNote(table({ 'random init': 0.64, 'Meta-Embedding': 0.61, 'GME-A': 0.62, 'GME-P': 0.63 }), 'cold_auc', ['GME-A', 'GME-P'], 'Meta-Embedding', 'random init');
  assert.match(part, /0\/2 beat random init — DISAGREES/);
});
