/**
 * The qarm pipelines end to end at a tiny size through `runPipeline` (tiny multimodal world, one seed, the quick
 * variants, one epoch): the main, cold-start and code-statistics tables with the ceiling and stable ids, records with
 * DeLong SEs, rows, positives and still-improving flags, the encoder's convergence records, the alignment and k-means
 * notes; every claim measured (except '+ all', which quick mode leaves out); qarm/ab in the same process reusing
 * stages A/B, with `abTests` for new and old items readable by the report and the A/B lift tables the claims use;
 * evidence defaults (5 seeds, converged encoder, early stopping); strict configs. Smoke tests of the wiring, not
 * reproductions: the numbers at this size are noise.
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
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { checkSeeds } from '../../src/evidence/rules.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-qarm-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const SHARED = {
  world: { preset: 'tiny' },
  prepare: { rqK: 8, vqPool: 200, encoder: { pretrainEpochs: 1, alignEpochs: 3 } },
  trainer: { epochs: 1, batchSize: 1024 },
};
/** The quick-mode variants (every one but '+ all'). */
const VARIANTS = QARM_VARIANTS.slice(0, 6);

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}

test('qarm/main: main, cold-start and code tables with the ceiling; evidence records; claims measured; alignment and k-means recorded', async () => {
  const run = await runPipeline('qarm/main', { ...RUN, config: { ...SHARED, seeds: [1], variants: VARIANTS } });
  const [main, cold, stats] = run.tables;
  assert.equal(run.tables.length, 3);
  assert.deepEqual(run.tables.map((t) => t.id), ['main', 'cold-start', 'code-stats']);
  for (const r of run.records.filter((x) => x.table === 'main' || x.table === 'cold-start')) {
    assert.ok((r.rows ?? 0) > 0 && r.positives !== null && typeof r.stillImproving === 'boolean', `${r.table} ${r.method} ${r.metric}: rows ${r.rows}, positives ${r.positives}`);
    if (r.metric === 'auc' || r.metric === 'auc_new' || r.metric === 'auc_old') assert.ok(r.se !== null && r.se > 0 && r.se < 0.2, `${r.method} ${r.metric}: DeLong SE ${r.se}`);
  }
  const aucNew = run.records.find((r) => r.table === 'cold-start' && r.metric === 'auc_new');
  const aucAll = run.records.find((r) => r.table === 'main' && r.metric === 'auc');
  assert.ok(aucNew && aucAll && (aucNew.rows ?? 0) < (aucAll.rows ?? 0), 'new items are a part of the test rows');
  const enc = Object.fromEntries(run.records.filter((r) => r.table === 'encoder').map((r) => [r.metric, r.value]));
  assert.ok(Math.abs(enc.pretrain_loss_chance - Math.log(128)) < 1e-9, 'chance of in-batch InfoNCE over 128 items');
  assert.ok(Number.isFinite(enc.pretrain_loss_final) && Number.isFinite(enc.pair_auc_aligned));
  assert.match(run.markdown, /Content encoder pre-training \(1 epochs[^)]*\): loss [\d.]+ -> [\d.]+ against 4\.852 at chance/);
  // The claims read paired gains: each equals the difference of the two variants' AUCs on the same rows.
  for (const [column, table] of [['auc', 'main'], ['auc_new', 'cold-start']] as const) {
    const value = (m: string) => run.records.find((r) => r.table === table && r.metric === column && r.method === m && r.seed === 1)!;
    const g = run.records.find((r) => r.table === 'gain' && r.metric === `${column}_gain` && r.method === '+ VQ + RQ codes' && r.variant === 'vs Base (ID only)')!;
    assert.ok(g && Math.abs(g.value - (value('+ VQ + RQ codes').value - value('Base (ID only)').value)) < 1e-9, `${column}: paired gain = AUC difference`);
    assert.equal(g.rows, value('Base (ID only)').rows, `${column}: the gain is on the column's rows`);
    assert.ok(g.se !== null && g.se > 0);
  }
  const byClaim = Object.fromEntries(run.verdicts.map((v) => [v.claim.id, v.verdict]));
  assert.equal(byClaim['all-best'], 'not measured', "quick mode leaves '+ all' out on purpose");
  for (const v of run.verdicts) if (v.claim.id !== 'all-best') assert.notEqual(v.verdict, 'not measured', `claim '${v.claim.id}': ${v.reason}`);
  const results = resultsOf(run.dir);
  assert.ok(!('perSeed' in results), 'per-seed numbers live in the records, not in results');
  assert.deepEqual(main.rows.map((r) => r.method), VARIANTS.map((v) => v.label));
  assert.deepEqual(main.metrics.map((m) => m.name), ['auc', 'gauc']);
  assert.deepEqual(cold.metrics.map((m) => m.name), ['auc_new', 'gauc_new', 'auc_old']);
  for (const t of [main, cold]) {
    assert.equal(t.references[0].label, 'ground-truth ceiling');
    for (const r of t.rows) for (const m of t.metrics) if (m.name !== 'gauc_new') assert.ok(Number.isFinite(r.cells[m.name].mean), `${t.title}: ${r.method} ${m.name}`);
  }
  assert.ok(main.references[0].values.auc! > 0.7, 'the ceiling is well above chance');
  for (const t of [main, cold]) {
    assert.deepEqual(t.references.map((r) => r.label).slice(1), ['max-cos content (unaligned), zero-parameter', 'max-cos content (aligned), zero-parameter']);
    for (const r of t.references.slice(1)) for (const m of t.metrics) if (m.name !== 'gauc_new') assert.ok(Number.isFinite(r.values[m.name]), `${t.id}: ${r.label} ${m.name}`);
  }
  const refs = run.records.filter((r) => r.table === 'content-reference');
  assert.equal(refs.length, 2 * 5, 'two embeddings x auc, gauc, auc_new, gauc_new, auc_old');
  for (const r of refs.filter((x) => x.metric.startsWith('auc'))) assert.ok(r.se !== null && r.se > 0 && (r.rows ?? 0) > 0, `${r.method} ${r.metric}: SE ${r.se}`);
  const refNew = refs.find((r) => r.metric === 'auc_new');
  assert.equal(refNew?.rows, aucNew.rows, 'the reference scores the same new-item rows');
  assert.match(run.markdown, /New items: \d+ of \d+ test rows \([\d.]+%\), reported separately/);
  assert.match(run.markdown, /Extra features: none beyond each variant's item input/);
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
  assert.deepEqual(run.tables.map((t) => t.id), ['arms', 'ab-new', 'ab-old']);
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), ['Base (ID only)', '+ frozen MM (aligned)', '+ VQ + RQ codes']);
  const lifts = run.records.filter((r) => r.metric === 'lift_pct');
  assert.equal(lifts.length, 4, 'two pools x (treatment, control) x one seed');
  const newLift = lifts.find((r) => r.table === 'ab-new' && r.method === 'QARM treatment');
  assert.ok(newLift && Math.abs(newLift.value - ab[0].liftPct) < 1e-9 && (newLift.se ?? 0) > 0);
  for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `claim '${v.claim.id}': ${v.reason}`);
});

test('qarm evidence and paper defaults: 5 distinct seeds, the encoder trained to convergence, early stopping; quick stays small', () => {
  for (const name of ['qarm/main', 'qarm/ab']) {
    const spec = getPipeline(name);
    for (const mode of ['evidence', 'paper'] as const) {
      const d = spec.schema.parse(spec.defaults(mode)) as { seeds: number[]; world: { preset: string }; prepare: { rqK: number; encoder: { pretrainEpochs: number } }; trainer: { epochs: number; patience: number } };
      assert.doesNotThrow(() => checkSeeds(d.seeds, mode), `${name} ${mode}`);
      assert.equal(d.world.preset, 'full', 'about 38 700 test rows: AUC SE about 0.003');
      assert.ok(d.prepare.encoder.pretrainEpochs >= 20, `${name}: pre-training to convergence, not ${d.prepare.encoder.pretrainEpochs} epochs`);
      assert.ok(d.trainer.patience >= 2 && d.trainer.epochs >= 10, `${name}: early stopping with room`);
      assert.equal(d.prepare.rqK, 256);
    }
    const q = spec.schema.parse(spec.defaults('quick')) as { world: { preset: string }; prepare: { encoder: { pretrainEpochs: number } } };
    assert.equal(q.world.preset, 'quick');
    assert.equal(q.prepare.encoder.pretrainEpochs, 4, 'quick mode is not made slower');
  }
});

test('qarm configs are strict: misspelt keys are rejected', async () => {
  await assert.rejects(runPipeline('qarm/main', { ...RUN, config: { ...SHARED, seed: [1] } }), /seed/);
  await assert.rejects(runPipeline('qarm/ab', { ...RUN, config: { ...SHARED, seed: 1 } }), /seed/);
  await assert.rejects(runPipeline('qarm/main', { ...RUN, config: { ...SHARED, prepare: { rqLevel: 3 } } }), /rqLevel/);
  await assert.rejects(runPipeline('qarm/ab', { ...RUN, config: { ...SHARED, candidates: ['+ XQ codes'] } }), /'\+ XQ codes' is not a QARM variant/);
});
