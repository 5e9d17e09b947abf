/**
 * The mrff/* and fedpa/* pipelines end to end at a tiny size through `runPipeline` (wiring smoke tests; the numbers
 * at this size are noise): every method, the ceiling, the communication column, ARI columns, the KuaiSAR-R table
 * skipped with a message when the folder is absent and built from the fixture when present, strict configs; the
 * records (AUC with its DeLong SE, rows and positives, still-improving flags, stable table ids, no per-seed keys in
 * `results`); every declared claim measured by a quick run with the default methods; evidence defaults with at least
 * five distinct seeds that pass the schema and hold out enough test rows.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunRecord } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { checkSeeds } from '../../src/evidence/rules.ts';
import type { ResultTable } from '../../src/pipelines/result-table.ts';
import { generateFederatedWorld } from '../../src/worlds/federated-world.ts';
import { clientBatch, disposeBatch, heldOutRows, validateClients } from '../../src/federated/data.ts';
import { curveFigure, fitRate, pairedFitGainRecord, rateScores, RATE_PRIOR } from '../../src/pipelines/mrff/common.ts';
import { MRFF_MECHANISM_SPEC } from '../../src/pipelines/mrff/mechanism.ts';
import { deLongPaired } from '../../src/evidence/stats.ts';
import { FEDPA_HOLDOUT } from '../../src/pipelines/fedpa/main.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-fed-pipelines-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const WORLD = { users: 60, items: 80, minLen: 5, maxLen: 9 };
const TRAIN = { fed: { rounds: 2, evalEvery: 1, learningRate: 0.05 }, central: { epochs: 1 }, maxLen: 8 };
const FIXTURE = join(import.meta.dirname, '../fixtures/kuaisar/ok');
const PIPELINES = ['mrff/main', 'mrff/groups', 'fedpa/main', 'fedpa/ablation'];

function rowsOk(t: ResultTable, methods: string[], metrics: string[]): void {
  assert.deepEqual(t.rows.map((r) => r.method), methods, `${t.title}: methods`);
  for (const r of t.rows) for (const m of metrics) assert.ok(Number.isFinite(r.cells[m].mean), `${t.title}: ${r.method} ${m} is ${r.cells[m].mean}`);
}

function resultsOf(run: RunRecord): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(run.dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}

/** AUC records carry a finite SE, rows and positives and a still-improving flag; no per-seed keys in results. */
function evidenceOk(run: RunRecord, table: string): void {
  const aucs = run.records.filter((r) => r.table === table && r.metric === 'auc');
  assert.ok(aucs.length > 0, `${run.pipeline}: no AUC records in table '${table}'`);
  for (const r of aucs) {
    assert.ok(r.se !== null && Number.isFinite(r.se) && r.se > 0, `${r.method} seed ${r.seed}: SE ${r.se}`);
    assert.ok((r.rows ?? 0) > 0 && (r.positives ?? 0) > 0 && (r.positives ?? 0) < (r.rows ?? 0), `${r.method}: rows ${r.rows}, positives ${r.positives}`);
    assert.equal(typeof r.stillImproving, 'boolean', `${r.method}: stillImproving`);
  }
  const comm = run.records.filter((r) => r.table === table && r.metric === 'comm_MB_per_round');
  for (const r of comm) assert.equal(r.se, null, 'communication is counted, not sampled: no SE');
  const results = resultsOf(run);
  for (const k of ['perSeed', 'methods', 'variants', 'perRun']) assert.ok(!(k in results), `${run.pipeline}: results still has the per-seed key '${k}'`);
}

test('curveFigure: seeds that stopped early leave the mean to the seeds still training (an evidence fedpa/main run hit NaN)', () => {
  const fig = curveFigure({ FedAvg: [[{ x: 1, auc: 0.6 }, { x: 2, auc: 0.7 }], [{ x: 1, auc: 0.5 }, { x: 2, auc: 0.6 }, { x: 3, auc: 0.65 }]] }, 'curves');
  assert.deepEqual(fig.data[0].x, [1, 2, 3]);
  const y = fig.data[0].y as number[];
  assert.ok(Math.abs(y[0] - 0.55) < 1e-12 && Math.abs(y[1] - 0.65) < 1e-12 && y[2] === 0.65, String(y));
  assert.match(String(fig.layout.title && (fig.layout.title as { text?: string }).text), /mean over the seeds still training/);
  const even = curveFigure({ A: [[{ x: 1, auc: 0.6 }], [{ x: 1, auc: 0.8 }]] }, 'even');
  assert.doesNotMatch(JSON.stringify(even.layout.title), /still training/);
});

test('mrff/main: every method with AUC (DeLong SE), logloss and comm per round; KuaiSAR-R skipped when absent, run when present', async () => {
  const methods = [
    { label: 'SASRec (centralised)', kind: 'central' },
    { label: 'FedAvg-SASRec', kind: 'federated' },
    { label: 'MRFF', kind: 'federated', model: { groups: 2, userFfn: true, sharedFfn: false, partition: 'mrff' } },
  ];
  const run = await runPipeline('mrff/main', { ...RUN, config: { world: WORLD, methods, training: TRAIN, seeds: [1], kuaisarDir: join(out, 'none') } });
  assert.equal(run.tables[0].id, 'main');
  rowsOk(run.tables[0], methods.map((m) => m.label), ['auc', 'logloss', 'comm_MB_per_round']);
  assert.equal(run.tables[0].rows[0].cells.comm_MB_per_round.mean, 0, 'centralised training communicates nothing');
  assert.ok(run.tables[0].rows[2].cells.comm_MB_per_round.mean > run.tables[0].rows[1].cells.comm_MB_per_round.mean * 0.1);
  assert.ok(run.tables[0].references.some((r) => r.label === 'ground-truth ceiling'));
  evidenceOk(run, 'main');
  const aucRec = run.records.find((r) => r.table === 'main' && r.metric === 'auc' && r.method === 'MRFF');
  assert.equal(aucRec?.rows, 60, 'leave-one-out by default: one test row per user');
  assert.ok(run.records.some((r) => r.table === 'selection' && r.metric === 'best_round' && r.method === 'MRFF'));
  assert.match(String(resultsOf(run).kuaisar), /skipped: no data/);
  const withKs = await runPipeline('mrff/main', { ...RUN, config: { world: WORLD, methods: methods.slice(1), base: 'FedAvg-SASRec', training: TRAIN, seeds: [1], kuaisarDir: FIXTURE } });
  assert.equal(withKs.tables.length, 2);
  assert.equal(withKs.tables[1].id, 'kuaisar');
  assert.match(withKs.tables[1].title, /KuaiSAR-R \(6 users/);
  rowsOk(withKs.tables[1], ['FedAvg-SASRec', 'MRFF'], ['auc', 'logloss']);
  await assert.rejects(runPipeline('mrff/main', { ...RUN, config: { seed: [1] } }), /seed/);
});

test('mrff/main: a holdout of several interactions per user multiplies the test rows', async () => {
  const run = await runPipeline('mrff/main', { ...RUN, config: { world: WORLD, holdout: { unit: 'count', valid: 2, test: 2 }, methods: [{ label: 'FedAvg-SASRec', kind: 'federated' }], training: TRAIN, seeds: [1], kuaisarDir: null } });
  const r = run.records.find((x) => x.table === 'main' && x.metric === 'auc');
  assert.equal(r?.rows, 120, 'two test rows for each of 60 users');
  assert.match(run.markdown, /the last 2 interactions of each user are the test/);
});

test('mrff/groups: ARI of the routing vs the true groups per layer, with and without balance', async () => {
  const run = await runPipeline('mrff/groups', { ...RUN, config: { world: WORLD, groups: [1, 3], base: 'K=3, balance', training: TRAIN, seeds: [1] } });
  const t = run.tables[0];
  assert.equal(t.id, 'groups');
  assert.equal(t.base, 'K=3, balance');
  rowsOk(t, ['K=1, balance', 'K=1, no balance', 'K=3, balance', 'K=3, no balance'], ['auc', 'ari_layer0', 'ari_layer1']);
  assert.equal(t.rows[0].cells.ari_layer0.mean, 0, 'one group: ARI 0 by construction');
  for (const r of t.rows) assert.ok(r.cells.ari_layer0.mean >= -1 && r.cells.ari_layer0.mean <= 1);
  evidenceOk(run, 'groups');
  await assert.rejects(runPipeline('mrff/groups', { ...RUN, config: { world: WORLD, groups: [1, 3], training: TRAIN, seeds: [1] } }), /base 'K=4, balance' is not among the variants/);
});

test('fedpa/main and fedpa/ablation: foundation, fine-tuning baselines, FedPA, DP with epsilon; the released 60/20/20 split', async () => {
  const fedpaTrain = { fed: { rounds: 2, evalEvery: 1 }, central: { epochs: 1 } };
  const run = await runPipeline('fedpa/main', { ...RUN, config: { world: WORLD, training: fedpaTrain, seeds: [1] } });
  assert.equal(run.tables[0].id, 'main');
  rowsOk(run.tables[0], ['Foundation (no adaptation)', 'Local fine-tuning', 'FedAvg full fine-tuning', 'FedProx full fine-tuning', 'FedPA', 'FedPA, zero LoRA (released)', 'No adapters (private user embeddings)'], ['auc', 'logloss', 'comm_MB_per_round']);
  const comm = Object.fromEntries(run.tables[0].rows.map((r) => [r.method, r.cells.comm_MB_per_round.mean]));
  assert.equal(comm['Local fine-tuning'], 0);
  assert.ok(comm.FedPA < comm['FedAvg full fine-tuning'], 'FedPA exchanges less than full fine-tuning');
  assert.ok(comm['No adapters (private user embeddings)'] < comm.FedPA, 'without adapters and gates only the head is exchanged');
  evidenceOk(run, 'main');
  assert.match(run.markdown, /the last 20% of interactions are the test/);
  const found = run.records.filter((r) => r.table === 'foundation');
  assert.deepEqual(found.map((r) => `${r.metric}/${r.split}`).sort(), ['auc/test-open', 'auc/valid-open', 'best_epoch/valid-open']);
  assert.equal(found[0].stillImproving, true, 'one foundation epoch allowed and taken: still improving');
  const abl = await runPipeline('fedpa/ablation', {
    ...RUN,
    config: {
      world: WORLD, training: fedpaTrain, seeds: [1], base: 'both',
      methods: [{ label: 'both', model: { mode: 'fedpa' } }, { label: 'dp', model: { mode: 'fedpa' }, fed: { clientFraction: 0.5, dp: { clip: 1, noiseMultiplier: 1, delta: 1e-5 } } }],
    },
  });
  assert.equal(abl.tables[0].id, 'ablation');
  rowsOk(abl.tables[0], ['both', 'dp'], ['auc', 'logloss']);
  assert.ok(abl.tables[0].notes.some((n) => /epsilon \d/.test(n)), 'the DP note with epsilon is missing');
});

test('every claim of the federated pipelines is measured by a quick run with the default methods', async () => {
  const small: Record<string, Record<string, unknown>> = {
    'mrff/main': { world: WORLD, training: TRAIN, seeds: [1], kuaisarDir: null },
    'mrff/groups': { world: WORLD, training: TRAIN, seeds: [1] },
    'fedpa/main': { world: WORLD, training: { fed: { rounds: 2, evalEvery: 1 }, central: { epochs: 1 } }, seeds: [1] },
    'fedpa/ablation': { world: WORLD, training: { fed: { rounds: 1, evalEvery: 1 }, central: { epochs: 1 } }, seeds: [1] },
  };
  for (const name of PIPELINES) {
    const claims = getPipeline(name).claims ?? [];
    assert.ok(claims.length >= 2, `${name}: declares its paper's claims`);
    const run = await runPipeline(name, { ...RUN, config: small[name] });
    assert.equal(run.verdicts.length, claims.length);
    for (const v of run.verdicts) {
      assert.notEqual(v.verdict, 'not measured', `${name}: claim '${v.claim.id}' is not measured (${v.reason})`);
      assert.ok(run.tables.some((t) => t.id === v.claim.table && t.metrics.some((m) => m.name === v.claim.metric) && t.rows.some((r) => r.method === v.claim.method) && t.rows.some((r) => r.method === v.claim.base)), `${name}: claim '${v.claim.id}' refers to a table, metric or method the run does not have`);
    }
  }
});

test('evidence and paper defaults: at least five distinct seeds, valid configs, early stopping and enough held-out test rows', () => {
  for (const name of PIPELINES) {
    const spec = getPipeline(name);
    for (const mode of ['evidence', 'paper'] as const) {
      const d = spec.schema.parse(spec.defaults(mode)) as { seeds: number[]; world: { users: number }; holdout: { unit: string; test: number }; training: { fed: { patience?: number | null }; central: { patience?: number | null } } };
      assert.doesNotThrow(() => checkSeeds(d.seeds, mode), `${name} ${mode}: seeds ${d.seeds}`);
      // Test rows: users (private users are about half in FedPA) x held-out test interactions (a 20% share of about 26).
      const perUser = d.holdout.unit === 'count' ? d.holdout.test : d.holdout.test * 26;
      const users = name.startsWith('fedpa') ? d.world.users / 2 : d.world.users;
      assert.ok(users * perUser >= 12_000, `${name} ${mode}: about ${users * perUser} test rows; an AUC SE of 0.005 needs about 12 000`);
      if (mode === 'evidence') assert.ok((d.training.fed.patience ?? 0) >= 2, `${name}: early stopping with patience >= 2`);
    }
    const quick = spec.schema.parse(spec.defaults('quick')) as { world: { users: number } };
    assert.ok(quick.world.users <= 800, `${name}: quick mode stays small`);
  }
  const fedpa = getPipeline('fedpa/main').schema.parse(getPipeline('fedpa/main').defaults('evidence')) as { training: { central: { patience: number; epochs: number } } };
  assert.ok(fedpa.training.central.patience >= 2 && fedpa.training.central.epochs >= 50, 'the foundation trains to convergence');
});

test('trivial baselines: user and item click rates on the training interactions score the test rows (hand-checked), rows in mrff/main', async () => {
  const d = { ...generateFederatedWorld({ ...WORLD, seed: 3 }), holdout: { unit: 'count' as const, valid: 1, test: 1 } };
  const clients = validateClients(d).clients;
  const rows = heldOutRows(d, clients, 'test');
  const user = fitRate(d, 'user-rate');
  const item = fitRate(d, 'item-rate');
  assert.equal(user.evidence.auc.rows, rows.labels.length);
  assert.ok(user.auc > 0.3 && user.auc < 0.9 && item.auc > 0.3 && item.auc < 0.9 && user.auc !== item.auc);
  // Hand check: the first test row's score is its user's smoothed training click rate; an item's the same over users.
  let clicks = 0;
  let n = 0;
  const itemClicks = new Map<number, [number, number]>();
  for (const u of clients) {
    const s = d.sequences[u];
    for (let j = 0; j < s.items.length - 2; j++) {
      clicks += s.labels[j];
      n++;
      const c = itemClicks.get(s.items[j]) ?? [0, 0];
      itemClicks.set(s.items[j], [c[0] + s.labels[j], c[1] + 1]);
    }
  }
  const u0 = rows.users[0];
  const train = Array.from(d.sequences[u0].labels.subarray(0, d.sequences[u0].items.length - 2));
  const wantUser = (train.reduce((a, b) => a + b, 0) + (RATE_PRIOR * clicks) / n) / (train.length + RATE_PRIOR);
  assert.ok(Math.abs(rateScores(d, 'user-rate').probs[0] - wantUser) < 1e-6, `user ${u0}: ${rateScores(d, 'user-rate').probs[0]} vs ${wantUser}`);
  const [ic, is] = itemClicks.get(d.sequences[u0].items[rows.positions[0]]) ?? [0, 0];
  const wantItem = (ic + (RATE_PRIOR * clicks) / n) / (is + RATE_PRIOR);
  assert.ok(Math.abs(rateScores(d, 'item-rate').probs[0] - wantItem) < 1e-6, `item score ${rateScores(d, 'item-rate').probs[0]} vs ${wantItem}`);
  const run = await runPipeline('mrff/main', { ...RUN, config: { world: WORLD, methods: [{ label: 'u', kind: 'user-rate' }, { label: 'i', kind: 'item-rate' }, { label: 'FedAvg-SASRec', kind: 'federated' }], training: TRAIN, seeds: [1], kuaisarDir: null } });
  rowsOk(run.tables[0], ['u', 'i', 'FedAvg-SASRec'], ['auc', 'logloss']);
  assert.equal(run.tables[0].rows[0].cells.comm_MB_per_round.mean, 0);
});

test("FedPA's split: per user in time order 60% train, 20% validation, 20% test", () => {
  const d = { ...generateFederatedWorld({ ...WORLD, minLen: 5, maxLen: 26, seed: 4 }), holdout: FEDPA_HOLDOUT };
  const clients = validateClients(d).clients;
  const train = clientBatch(d, clients, 'train', 'pointwise', 64);
  const valid = heldOutRows(d, clients, 'valid');
  const test = heldOutRows(d, clients, 'test');
  clients.forEach((u, c) => {
    const n = d.sequences[u].items.length;
    const k = Math.max(1, Math.round(0.2 * n));
    assert.equal(test.users.filter((x) => x === u).length, k, `user ${u} (${n} interactions): test rows`);
    assert.equal(valid.users.filter((x) => x === u).length, k, `user ${u}: validation rows`);
    assert.equal(train.samples[c], n - 2 * k, `user ${u}: training rows`);
    const firstTest = test.positions[test.users.indexOf(u)];
    assert.equal(firstTest, n - k, `user ${u}: the test part is the last ${k} interactions`);
  });
  disposeBatch(train);
});

test('mrff/mechanism and fedpa/mechanism: by-knob records per value, gain records, the mechanism table and both claims measured', async () => {
  const mr = await runPipeline('mrff/mechanism', { ...RUN, config: { world: WORLD, values: [0, 1], training: TRAIN, seeds: [1, 2] } });
  const fp = await runPipeline('fedpa/mechanism', { ...RUN, config: { world: WORLD, values: [0, 0.8], training: { fed: { rounds: 2, evalEvery: 1 }, central: { epochs: 1 } }, seeds: [1] } });
  for (const [run, knob, method, base] of [[mr, 'groupStrength', 'MRFF', 'FedAvg-SASRec'], [fp, 'personalWeight', 'FedPA', 'FedAvg full fine-tuning']] as const) {
    assert.equal(run.tables[0].id, 'mechanism');
    assert.deepEqual(run.tables[0].rows.map((r) => r.method), [method, base]);
    const values = knob === 'groupStrength' ? [0, 1] : [0, 0.8];
    for (const v of values) for (const m of [method, base]) {
      const r = run.records.filter((x) => x.table === 'by-knob' && x.knob === `${knob}=${v}` && x.method === m && x.metric === 'auc');
      assert.ok(r.length > 0 && r.every((x) => (x.se ?? 0) > 0 && (x.rows ?? 0) > 0), `${run.pipeline}: ${m} at ${knob}=${v}`);
    }
    assert.ok(run.records.some((x) => x.table === 'gain' && x.metric === 'gain_growth' && x.method === method));
    // Paired gain records (same test rows): the value is exactly method − base AUC, with a positive SE, per knob and seed.
    const seeds = knob === 'groupStrength' ? [1, 2] : [1];
    for (const v of values) for (const seed of seeds) {
      const at = (m: string) => run.records.find((x) => x.table === 'by-knob' && x.knob === `${knob}=${v}` && x.method === m && x.metric === 'auc' && x.seed === seed)!;
      const g = run.records.filter((x) => x.table === 'gain' && x.method === method && x.knob === `${knob}=${v}` && x.metric === 'auc_gain' && x.seed === seed);
      assert.equal(g.length, 1, `${run.pipeline}: one gain record at ${knob}=${v} seed ${seed}`);
      assert.ok(Math.abs(g[0].value - (at(method).value - at(base).value)) < 1e-9, `${run.pipeline}: gain ${g[0].value} = AUC difference`);
      assert.ok((g[0].se ?? 0) > 0 && Number.isFinite(g[0].se), `${run.pipeline}: paired SE ${g[0].se}`);
      assert.equal(g[0].rows, at(method).rows);
    }
    assert.equal(run.verdicts.length, 2);
    for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `${run.pipeline}: ${v.claim.id} (${v.reason})`);
    // The growth claim states the values this run swept, not the declared sweep's largest value.
    const growth = run.verdicts.find((v) => v.claim.id.endsWith('-growth'));
    assert.match(growth?.claim.text ?? '', new RegExp(`grows from ${knob} = 0 to ${values[1]}$`));
    assert.match(run.markdown, /mechanism absent/);
  }
  assert.ok(mr.records.some((x) => x.table === 'by-knob' && x.metric === 'ari_layer0' && x.method === 'MRFF'), 'MRFF ARI per knob value');
  await assert.rejects(runPipeline('mrff/mechanism', { ...RUN, config: { world: WORLD, values: [0.5, 1], training: TRAIN, seeds: [1] } }), /start at 0/);
});

test("pairedFitGainRecord: DeLong's paired gain when both fits scored the same rows, none (with the reason) when not", () => {
  const data = generateFederatedWorld({ ...WORLD, seed: 3 });
  const [user, item] = [fitRate(data, 'user-rate'), fitRate(data, 'item-rate')];
  const spec = { ...MRFF_MECHANISM_SPEC, method: 'user-rate', base: 'item-rate' };
  const g = pairedFitGainRecord(spec, 'groupStrength=1', 4, user, item);
  const d = deLongPaired(user.scores.labels, user.scores.probs, item.scores.probs);
  assert.ok(g.record, g.why);
  assert.deepEqual([g.record.table, g.record.method, g.record.knob, g.record.metric, g.record.seed], ['gain', 'user-rate', 'groupStrength=1', 'auc_gain', 4]);
  assert.ok(Math.abs(g.record.value - (user.auc - item.auc)) < 1e-9 && Math.abs(g.record.value - d.value) < 1e-12);
  assert.equal(g.record.se, d.se);
  assert.ok(d.se < Math.hypot(user.evidence.auc.se, item.evidence.auc.se), 'correlated scores: the paired SE is below the unpaired one');
  const fewer = { ...item, scores: { users: item.scores.users.slice(1), labels: item.scores.labels.slice(1), probs: item.scores.probs.slice(1) } };
  const h = pairedFitGainRecord(spec, 'groupStrength=1', 4, user, fewer);
  assert.equal(h.record, null);
  assert.match(h.why, /different test rows/);
  assert.throws(() => pairedFitGainRecord({ ...spec, metric: 'logloss' }, 'k', 1, user, item), /only 'auc'/);
});
