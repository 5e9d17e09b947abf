/**
 * The gme/* pipelines end to end at a tiny size through `runPipeline`: tables per backbone ('main', base random init;
 * 'vs-meta-embedding') with every arm and the backbone as the records' variant, test SEs, rows and positives in the
 * records, the ceiling row and the neighbour-signal note; monitored meta-training (early stopping on held-out old ads,
 * the still-improving flag); the neighbour ablation; gme/movielens skipped with the how-to message when the files are
 * absent and run on the fixtures when present; strict configs reject misspelt keys; every declared claim refers to
 * records a quick run produces; evidence defaults have >= 5 distinct seeds, early stopping and pass the schema.
 * Wiring tests, not reproductions: the numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline, type RunOptions, type RunRecord } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import type { Claim } from '../../src/evidence/claims.ts';
import { COLD_START_WORLD_SIZES } from '../../src/worlds/cold-start-world.ts';
import { buildResultTable } from '../../src/pipelines/result-table.ts';
import { orderingNote } from '../../src/pipelines/gme/common.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-gme-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const SMALL = { embeddingDim: 4, hidden: [8], attentionDim: 4, heads: 2, attentionLayers: 1 };
const TINY = { world: { ...COLD_START_WORLD_SIZES.tiny }, backbone: SMALL, meta: { batchAds: 30, learningRate: 5e-3, innerLr: 1e-4, alpha: 0.1, order: 'second', epochs: 1 } };

/** Every claim whose table and variant the run produced has records on both sides; none of them is 'not measured'. */
function assertClaimsMeasured(run: RunRecord, claims: Claim[]): void {
  const present = (c: Claim) => run.records.some((r) => r.table === c.table && r.variant === (c.variant ?? ''));
  const mine = claims.filter(present);
  assert.ok(mine.length > 0, `${run.pipeline}: claims on the run's tables`);
  for (const c of mine) {
    const has = (method: string) => run.records.some((r) => r.table === c.table && r.metric === c.metric && r.method === method && r.split === (c.split ?? 'test') && r.variant === (c.variant ?? '') && r.knob === (c.knob ?? ''));
    assert.ok(has(c.method), `claim ${c.id}: no records of ${c.method}`);
    assert.ok(has(c.base), `claim ${c.id}: no records of ${c.base}`);
  }
  for (const v of run.verdicts.filter((x) => present(x.claim))) assert.notEqual(v.verdict, 'not measured', `${v.claim.id}: ${v.reason}`);
}

test('gme pipelines: evidence defaults have >= 5 distinct seeds, monitored meta-training with room for it, and pass the schema; quick stays small', () => {
  for (const name of ['gme/main', 'gme/neighbours', 'gme/movielens']) {
    const spec = getPipeline(name);
    for (const mode of ['evidence', 'paper'] as const) {
      const c = spec.schema.parse(spec.defaults(mode)) as { seeds: number[]; meta: { epochs: number; patience: number | null; validShare: number } };
      assert.ok(c.seeds.length >= 5 && new Set(c.seeds).size === c.seeds.length, `${name} ${mode}: seeds ${c.seeds}`);
      assert.ok(c.meta.patience !== null && c.meta.patience >= 2 && c.meta.epochs >= 5 * c.meta.patience, `${name} ${mode}: meta patience ${c.meta.patience} of ${c.meta.epochs} epochs`);
    }
    const q = spec.schema.parse(spec.defaults('quick')) as { meta: { epochs: number; patience: number | null } };
    assert.ok(q.meta.epochs <= 2 && q.meta.patience === null, `${name}: quick mode stays a smoke test`);
  }
});

test('gme/main: per-backbone tables (main: base random init; vs-meta-embedding), backbone as variant, evidence records, ceiling, notes, figures, claims', async () => {
  const run = await runPipeline('gme/main', { ...RUN, config: { ...TINY, backbones: ['dnn', 'autoint'], generators: ['random', 'meta-embedding', 'gme-p', 'gme-g', 'gme-a'], seeds: [1, 2], neighbours: 3 } });
  assert.equal(run.tables.length, 4);
  assert.deepEqual(run.tables.map((t) => t.id), ['main', 'vs-meta-embedding', 'main', 'vs-meta-embedding']);
  assert.deepEqual([...new Set(run.records.map((r) => `${r.table}/${r.variant}`))], [
    'main/dnn', 'vs-meta-embedding/dnn', 'main/autoint', 'vs-meta-embedding/autoint',
    'gain/dnn vs random init', 'gain/dnn vs Meta-Embedding', 'gain/autoint vs random init', 'gain/autoint vs Meta-Embedding',
  ]);
  assert.ok(run.records.every((r) => r.split === 'test'), 'no validation records without a monitor');
  for (const r of run.records.filter((x) => x.table !== 'gain')) assert.ok(r.se !== null && r.se > 0 && (r.rows ?? 0) > (r.positives ?? 0) && (r.positives ?? 0) > 0, `${r.method} ${r.metric}`);
  // The cold-start claims read paired gains: GME-A − Meta-Embedding per seed equals the difference of the two cold AUCs.
  const cold = (m: string, seed: number) => run.records.find((r) => r.table === 'main' && r.variant === 'dnn' && r.method === m && r.metric === 'cold_auc' && r.seed === seed)!.value;
  const g = run.records.find((r) => r.table === 'gain' && r.variant === 'dnn vs Meta-Embedding' && r.method === 'GME-A' && r.seed === 2)!;
  assert.ok(Math.abs(g.value - (cold('GME-A', 2) - cold('Meta-Embedding', 2))) < 1e-9 && g.se !== null && g.se > 0);
  assert.deepEqual(run.records.filter((r) => r.table === 'gain' && r.method === 'Meta-Embedding').map((r) => [r.value, r.se]), [[0, 0], [0, 0], [0, 0], [0, 0]], "the base's own gain, per backbone and seed");
  assertClaimsMeasured(run, getPipeline('gme/main').claims ?? []);
  const results = JSON.parse(readFileSync(join(run.dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> };
  assert.ok(!('perBackbone' in results.results) && !JSON.stringify(results.results).includes('byArm'), 'no per-seed keys in results');
  const [dnn, dnnRel, auto] = run.tables;
  assert.deepEqual(dnn.rows.map((r) => r.method), ['random init', 'Meta-Embedding', 'GME-P', 'GME-G', 'GME-A']);
  assert.equal(dnn.base, 'random init');
  assert.equal(dnnRel.base, 'Meta-Embedding');
  assert.deepEqual(dnnRel.metrics.map((m) => m.name), ['cold_auc', 'warm-a_auc', 'warm-b_auc', 'warm-c_auc']);
  assert.deepEqual(dnn.metrics.map((m) => m.name).slice(4), ['cold_logloss', 'warm-a_logloss', 'warm-b_logloss', 'warm-c_logloss']);
  for (const r of dnn.rows) for (const m of dnn.metrics) assert.ok(Number.isFinite(r.cells[m.name].mean), `${r.method} ${m.name}`);
  assert.equal(dnn.references[0].label, 'ground-truth ceiling');
  assert.match(auto.title, /^AutoInt/);
  assert.match(run.markdown, /Neighbour signal of this world: correlation r = \d\.\d{3}/);
  assert.match(run.markdown, /Ordering on cold_auc \(means over seeds\): .* Paper's claim/);
  assert.match(run.markdown, /Meta-gradient: second order/);
  assert.match(run.markdown, /meta-training: 1 epoch on every old ad, no early stopping/);
  for (const b of ['dnn', 'autoint']) assert.ok(existsSync(join(run.dir, 'figures', `auc-vs-stage-${b}.html`)), `figure of ${b}`);
});

test('gme/main: monitored meta-training stops early on held-out old ads and flags arms still improving at the cap', async () => {
  const run = await runPipeline('gme/main', { ...RUN, config: { ...TINY, backbones: ['dnn'], generators: ['random', 'gme-a'], seeds: [1], neighbours: 3, meta: { ...TINY.meta, epochs: 2, patience: 1, validShare: 0.2 } } });
  const results = JSON.parse(readFileSync(join(run.dir, 'results.json'), 'utf8')) as { results: { training: { dnn: { meta: Record<string, Array<{ bestEpoch: number; validAuc: number[] } | null>> } } } };
  const fit = results.results.training.dnn.meta['GME-A'][0];
  assert.ok(fit !== null && fit.validAuc.length >= 1 && fit.validAuc.length <= 2 && fit.validAuc.every((x) => x > 0 && x < 1), JSON.stringify(fit));
  assert.equal(results.results.training.dnn.meta['random init'][0], null);
  const gme = run.records.filter((r) => r.method === 'GME-A' && r.table === 'main');
  assert.ok(gme.every((r) => r.stillImproving === (fit.bestEpoch === 2)), 'still improving exactly when the best meta epoch is the cap');
  assert.ok(run.records.filter((r) => r.method === 'random init').every((r) => r.stillImproving === null), 'random init has no meta-training');
  assert.match(run.markdown, /early stopping on the cold-start AUC of 20% held-out old ads \(patience 1/);
  const v = run.records.filter((r) => r.split === 'valid');
  assert.deepEqual(v.map((r) => `${r.table}|${r.variant}|${r.method}|${r.metric}`), ['main|dnn|GME-A|cold_auc']);
  assert.equal(v[0].value, fit.validAuc[fit.bestEpoch - 1]);
});

test('gme/main: permuting the test labels changes no validation choice (the meta epoch chosen on held-out old ads)', async () => {
  const config = { ...TINY, backbones: ['dnn'], generators: ['random', 'gme-a', 'ngb'], seeds: [1], neighbours: 3, meta: { ...TINY.meta, epochs: 3, patience: 1, validShare: 0.2 } };
  const plain = await runPipeline('gme/main', { ...RUN, config });
  const audit = await runPipeline('gme/main', { ...RUN, config, permuteTestLabels: 6 });
  const pick = (run: RunRecord) => run.records.filter((r) => r.split === 'valid').map((r) => `${r.method}|${r.value}|${r.stillImproving}`);
  assert.equal(pick(plain).length, 2);
  assert.deepEqual(pick(audit), pick(plain));
  const aucs = (run: RunRecord) => run.records.filter((r) => r.table === 'main' && r.metric === 'cold_auc' && r.split === 'test').map((r) => r.value);
  assert.notDeepEqual(aucs(audit), aucs(plain), 'the audit did permute the test labels');
});

test('gme/neighbours: one row per variant and N, plus random init and Meta-Embedding; the notes compare N; claims measured', async () => {
  const run = await runPipeline('gme/neighbours', { ...RUN, config: { ...TINY, neighbourCounts: [0, 3, 10], variants: ['gme-p', 'gme-g', 'gme-a'], seeds: [1] } });
  const [t] = run.tables;
  assert.equal(t.id, 'neighbours');
  assert.deepEqual(t.rows.map((r) => r.method), ['random init', 'Meta-Embedding', ...['GME-P', 'GME-G', 'GME-A'].flatMap((v) => [0, 3, 10].map((n) => `${v} N=${n}`))]);
  assert.ok(run.records.every((r) => r.variant === 'dnn'));
  assert.match(run.markdown, /GME-P cold AUC by N: N=0: 0\.\d{4}, N=3: 0\.\d{4}, N=10: 0\.\d{4}/);
  assertClaimsMeasured(run, getPipeline('gme/neighbours').claims ?? []);
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
  assert.equal(run.tables[0].id, 'main');
  assert.ok(run.records.every((r) => r.variant === 'dnn'));
  assert.match(run.markdown, /Label rule: like = 1 when rating >= 4, else 0/);
});

test('strict configs: misspelt keys are errors naming them', async () => {
  await assert.rejects(runPipeline('gme/main', { ...RUN, config: { neighbors: 3 } }), /neighbors/);
  await assert.rejects(runPipeline('gme/main', { ...RUN, config: { ...TINY, world: { oldAd: 3 }, backbones: ['dnn'], generators: ['random'], seeds: [1] } }), /unknown key 'oldAd'/);
  await assert.rejects(runPipeline('gme/neighbours', { ...RUN, config: { meta: { inner: 1 } } }), /inner/);
  await assert.rejects(runPipeline('gme/movielens', { ...RUN, config: { data: { treshold: 4 } } }), /treshold/);
});

test('orderingNote: the ordering and how many GME variants have a higher mean than Meta-Embedding and random init', () => {
  const table = (vals: Record<string, number>) => buildResultTable({
    title: 't', base: 'random init', metrics: [{ name: 'cold_auc', higherIsBetter: true }],
    results: Object.entries(vals).map(([method, v]) => ({ method, seeds: [1], values: { cold_auc: [v] } })),
  });
  const all = orderingNote(table({ 'random init': 0.6, 'Meta-Embedding': 0.61, 'GME-A': 0.62, 'GME-P': 0.63 }), 'cold_auc', ['GME-A', 'GME-P'], 'Meta-Embedding', 'random init');
  assert.match(all, /GME-P 0\.6300 > GME-A 0\.6200 > Meta-Embedding 0\.6100 > random init 0\.6000/);
  assert.match(all, /2\/2 GME variants have a higher mean than Meta-Embedding .* and 2\/2 than random init/);
  const part = orderingNote(table({ 'random init': 0.64, 'Meta-Embedding': 0.61, 'GME-A': 0.62, 'GME-P': 0.63 }), 'cold_auc', ['GME-A', 'GME-P'], 'Meta-Embedding', 'random init');
  assert.match(part, /and 0\/2 than random init; the claims' verdicts/);
});
