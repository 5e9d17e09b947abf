/**
 * The unicdr pipelines end to end at a tiny size through `runPipeline` (tiny worlds, 1 epoch, fewer negatives so the
 * catalogues can be small): per-scenario tables with every method, cold-start and full-ranking columns and the oracle
 * row; the ablation's variants; the public pipeline skipping with the how-to message when the files are absent and
 * building a table from the fixtures when present; strict configs. Smoke tests of the wiring: the numbers are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { MAIN_CDR_METHODS } from '../../src/pipelines/unicdr/common.ts';
import { ABLATION_CDR_VARIANTS } from '../../src/pipelines/unicdr/ablation.ts';
import { unicdrMainDefaults } from '../../src/pipelines/unicdr/main.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-unicdr-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const WORLD = { users: 120, items: 90, interactions: 6 };
const SETTINGS = { dim: 8, negatives: 29, trainer: { epochs: 1, batchSize: 256, validNegatives: 19 } };

test('unicdr/main: quick defaults are the four scenarios, 999 negatives, 3 seeds, full ranking for multi-user-intra', () => {
  const d = unicdrMainDefaults(true);
  assert.deepEqual(d.scenarios.map((s) => [s.scenario, s.fullRanking]), [['dual-user-intra', false], ['dual-user-inter', false], ['multi-item-intra', false], ['multi-user-intra', true]]);
  assert.equal(d.settings.negatives, 999);
  assert.deepEqual(d.seeds, [1, 2, 3]);
});

test('unicdr/main: per-scenario tables, every method, cold-start and full-ranking columns, oracle row, chart', async () => {
  const run = await runPipeline('unicdr/main', { ...RUN, config: {
    scenarios: [{ scenario: 'dual-user-inter', world: WORLD, fullRanking: false }, { scenario: 'multi-item-intra', world: { ...WORLD, domains: 2 }, fullRanking: true }],
    settings: SETTINGS, seeds: [1, 2],
  } });
  assert.equal(run.tables.length, 2);
  const [inter, item] = run.tables;
  assert.deepEqual(inter.rows.map((r) => r.method), MAIN_CDR_METHODS.map((m) => m.label));
  assert.deepEqual(inter.metrics.map((m) => m.name), ['hr10_d1', 'ndcg10_d1', 'hr10_cold_d1', 'ndcg10_cold_d1', 'hr10_d2', 'ndcg10_d2', 'hr10_cold_d2', 'ndcg10_cold_d2']);
  assert.equal(inter.references[0].label, 'oracle (true preference)');
  for (const m of inter.metrics) {
    const o = inter.references[0].values[m.name] as number;
    assert.ok(o > 0 && o <= 1, `oracle ${m.name} = ${o}`);
    for (const r of inter.rows) assert.ok(r.cells[m.name].mean >= 0 && r.cells[m.name].mean <= 1 && r.cells[m.name].n === 2);
  }
  assert.ok(item.metrics.some((m) => m.name === 'hr10_full_d1'), 'full-ranking columns');
  assert.ok(!item.rows.some((r) => r.method === 'EMCDR' || r.method === 'PTUPCDR'), 'mapping baselines need overlapping users');
  assert.match(run.markdown, /EMCDR, PTUPCDR: not run/);
  assert.match(run.markdown, /Expected UniCDR > BPR-MF, Shared-Emb on hr10_cold_\* \(mean over domains\): (holds|DOES NOT HOLD)/);
  assert.match(run.markdown, /29 sampled negatives \(items the user never interacted with/);
  const html = readFileSync(join(run.dir, 'figures', 'hr10-per-scenario.html'), 'utf8');
  assert.match(html, /dual-user-inter/);
  await assert.rejects(runPipeline('unicdr/main', { ...RUN, config: { seedz: [1] } }), /seedz/);
});

test('unicdr/ablation: UniCDR+ with each extension removed and the three aggregators', async () => {
  const run = await runPipeline('unicdr/ablation', { ...RUN, config: { world: WORLD, settings: { ...SETTINGS, ease: { lambda: 5, threshold: 0.01 } }, seeds: [1] } });
  const [t] = run.tables;
  assert.deepEqual(t.rows.map((r) => r.method), ABLATION_CDR_VARIANTS.map((v) => v.label));
  assert.equal(t.base, 'UniCDR+ (all five)');
  assert.ok(['w/o feature engineering', 'w/o item-level graph', 'w/o sequence aggregator', 'w/o soft contrastive (hard critic)', 'w/o MMoE head'].every((m) => t.rows.some((r) => r.method === m)));
  assert.match(run.markdown, /Removing an extension lowers/);
});

test('unicdr/public: skipped with the how-to message when absent; a table from the fixtures when present', async () => {
  const missing = await runPipeline('unicdr/public', { ...RUN, config: { dir: join(out, 'none'), pairs: [['sport', 'cloth']] } });
  assert.equal(missing.tables.length, 0);
  const res = JSON.parse(readFileSync(join(missing.dir, 'results.json'), 'utf8')) as { results: { pairs: Record<string, { skipped: boolean; message: string }> } };
  assert.equal(res.results.pairs.sport_cloth.skipped, true);
  assert.match(res.results.pairs.sport_cloth.message, /cjx96\/CDRIB/);
  const fix = join(import.meta.dirname, '../fixtures/cdr-text');
  const run = await runPipeline('unicdr/public', { ...RUN, config: { dir: fix, pairs: [['sport', 'cloth']], methods: [MAIN_CDR_METHODS[0], MAIN_CDR_METHODS[4]], settings: SETTINGS } });
  assert.equal(run.tables.length, 1);
  assert.ok(run.tables[0].metrics.some((m) => m.name === 'hr10_cold_cloth'), 'cold-start users of cloth');
  assert.equal(run.tables[0].references.length, 0, 'no oracle on public data');
});
