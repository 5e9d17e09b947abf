/**
 * The mrff/* and fedpa/* pipelines end to end at a tiny size through `runPipeline` (wiring smoke tests; the numbers
 * at this size are noise): every method, the ceiling, the communication column, ARI columns, the KuaiSAR-R table
 * skipped with a message when the folder is absent and built from the fixture when present, strict configs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import type { ResultTable } from '../../src/pipelines/result-table.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-fed-pipelines-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const WORLD = { users: 60, items: 80, minLen: 5, maxLen: 9 };
const TRAIN = { fed: { rounds: 2, evalEvery: 1, learningRate: 0.05 }, central: { epochs: 1 }, maxLen: 8 };
const FIXTURE = join(import.meta.dirname, '../fixtures/kuaisar/ok');

function rowsOk(t: ResultTable, methods: string[], metrics: string[]): void {
  assert.deepEqual(t.rows.map((r) => r.method), methods, `${t.title}: methods`);
  for (const r of t.rows) for (const m of metrics) assert.ok(Number.isFinite(r.cells[m].mean), `${t.title}: ${r.method} ${m} is ${r.cells[m].mean}`);
}

test('mrff/main: every method with AUC, logloss and comm per round; KuaiSAR-R skipped when absent, run when present', async () => {
  const methods = [
    { label: 'SASRec (centralised)', kind: 'central' },
    { label: 'FedAvg-SASRec', kind: 'federated' },
    { label: 'MRFF', kind: 'federated', model: { groups: 2, userFfn: true, sharedFfn: false, partition: 'mrff' } },
  ];
  const run = await runPipeline('mrff/main', { ...RUN, config: { world: WORLD, methods, training: TRAIN, seeds: [1], kuaisarDir: join(out, 'none') } });
  rowsOk(run.tables[0], methods.map((m) => m.label), ['auc', 'logloss', 'comm_MB_per_round']);
  assert.equal(run.tables[0].rows[0].cells.comm_MB_per_round.mean, 0, 'centralised training communicates nothing');
  assert.ok(run.tables[0].rows[2].cells.comm_MB_per_round.mean > run.tables[0].rows[1].cells.comm_MB_per_round.mean * 0.1);
  assert.ok(run.tables[0].references.some((r) => r.label === 'ground-truth ceiling'));
  const res = JSON.parse(readFileSync(join(run.dir, 'results.json'), 'utf8')) as { results: { kuaisar: unknown } };
  assert.match(String(res.results.kuaisar), /skipped: no data/);
  const withKs = await runPipeline('mrff/main', { ...RUN, config: { world: WORLD, methods: methods.slice(1), base: 'FedAvg-SASRec', training: TRAIN, seeds: [1], kuaisarDir: FIXTURE } });
  assert.equal(withKs.tables.length, 2);
  assert.match(withKs.tables[1].title, /KuaiSAR-R \(6 users/);
  rowsOk(withKs.tables[1], ['FedAvg-SASRec', 'MRFF'], ['auc', 'logloss']);
  await assert.rejects(runPipeline('mrff/main', { ...RUN, config: { seed: [1] } }), /seed/);
});

test('mrff/groups: ARI of the routing vs the true groups per layer, with and without balance', async () => {
  const run = await runPipeline('mrff/groups', { ...RUN, config: { world: WORLD, groups: [1, 3], training: TRAIN, seeds: [1] } });
  const t = run.tables[0];
  rowsOk(t, ['K=1, balance', 'K=1, no balance', 'K=3, balance', 'K=3, no balance'], ['auc', 'ari_layer0', 'ari_layer1']);
  assert.equal(t.rows[0].cells.ari_layer0.mean, 0, 'one group: ARI 0 by construction');
  for (const r of t.rows) assert.ok(r.cells.ari_layer0.mean >= -1 && r.cells.ari_layer0.mean <= 1);
});

test('fedpa/main and fedpa/ablation: foundation, fine-tuning baselines, FedPA, DP with epsilon', async () => {
  const fedpaTrain = { fed: { rounds: 2, evalEvery: 1 }, central: { epochs: 1 } };
  const run = await runPipeline('fedpa/main', { ...RUN, config: { world: WORLD, training: fedpaTrain, seeds: [1] } });
  rowsOk(run.tables[0], ['Foundation (no adaptation)', 'Local fine-tuning', 'FedAvg full fine-tuning', 'FedProx full fine-tuning', 'FedPA'], ['auc', 'logloss', 'comm_MB_per_round']);
  const comm = Object.fromEntries(run.tables[0].rows.map((r) => [r.method, r.cells.comm_MB_per_round.mean]));
  assert.equal(comm['Local fine-tuning'], 0);
  assert.ok(comm.FedPA < comm['FedAvg full fine-tuning'], 'FedPA exchanges less than full fine-tuning');
  const abl = await runPipeline('fedpa/ablation', {
    ...RUN,
    config: {
      world: WORLD, training: fedpaTrain, seeds: [1], base: 'both',
      methods: [{ label: 'both', model: { mode: 'fedpa' } }, { label: 'dp', model: { mode: 'fedpa' }, fed: { clientFraction: 0.5, dp: { clip: 1, noiseMultiplier: 1, delta: 1e-5 } } }],
    },
  });
  rowsOk(abl.tables[0], ['both', 'dp'], ['auc', 'logloss']);
  assert.ok(abl.tables[0].notes.some((n) => /epsilon \d/.test(n)), 'the DP note with epsilon is missing');
});
