/**
 * The minet pipelines end to end at a tiny size through `runPipeline` (tiny news -> ads world, 1 epoch, no images):
 * every method and the ceiling in the main table with the fixed base DNN, records with test SEs, rows, positives and
 * the still-improving flag, the interest-weight table and figure, every ablation variant, the A/B tables and the entries
 * the report reads (with the A/A check), minet/amazon skipped with the message when the files are absent and run on the
 * fixtures when present, strict configs; every declared claim refers to records a quick run produces (no claim is
 * 'not measured'), and evidence defaults have >= 5 distinct seeds and pass the schema. Smoke tests of the wiring: the
 * numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunRecord } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { MINET_ABLATION_VARIANTS } from '../../src/pipelines/minet/ablation.ts';
import { NEWS_ADS_PRESETS } from '../../src/worlds/news-ads-world.ts';
import type { Claim } from '../../src/evidence/claims.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-minet-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const TINY = { world: NEWS_ADS_PRESETS.tiny, trainer: { epochs: 1, batchSize: 256 } };
const METHODS = ['DNN', 'DIN', 'Cross-domain DNN', 'CoNet', 'MiNet'];

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}

/** Every claim's two sides have records in the run (same table, metric, split, variant, knob), and none is 'not measured'. */
function assertClaimsMeasured(run: RunRecord, claims: Claim[]): void {
  assert.ok(claims.length > 0, `${run.pipeline} declares claims`);
  for (const c of claims) {
    const has = (method: string, variant: string) => run.records.some((r) => r.table === c.table && r.metric === c.metric && r.method === method && r.split === (c.split ?? 'test') && r.variant === variant && r.knob === (c.knob ?? ''));
    assert.ok(has(c.method, c.variant ?? ''), `claim ${c.id}: no records of ${c.method} in table '${c.table}', metric '${c.metric}'`);
    assert.ok(has(c.base, c.baseVariant ?? c.variant ?? ''), `claim ${c.id}: no records of the base ${c.base} in table '${c.table}', metric '${c.metric}'`);
  }
  assert.deepEqual(run.verdicts.map((v) => v.claim.id), claims.map((c) => c.id));
  for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `${v.claim.id}: ${v.reason}`);
}

/** Records of a table carry the evidence fields: a finite SE, rows, positives and the still-improving flag. */
function assertEvidenceRecords(run: RunRecord, table: string, metrics: string[]): void {
  const rs = run.records.filter((r) => r.table === table && r.split === 'test' && metrics.includes(r.metric));
  assert.ok(rs.length > 0, `records of table '${table}'`);
  for (const r of rs) {
    assert.ok(r.se !== null && Number.isFinite(r.se) && r.se > 0, `${r.method} ${r.metric} seed ${r.seed}: se ${r.se}`);
    assert.ok(r.rows !== null && r.rows > 0 && r.positives !== null && r.positives > 0 && r.positives < r.rows, `${r.method} ${r.metric}: rows ${r.rows}, positives ${r.positives}`);
    assert.equal(typeof r.stillImproving, 'boolean');
    assert.equal(r.pipeline, run.pipeline);
  }
}

test('minet pipelines: evidence defaults have >= 5 distinct seeds, pass the schema and fix the base; quick stays small', () => {
  for (const name of ['minet/main', 'minet/ablation', 'minet/ab', 'minet/amazon']) {
    const spec = getPipeline(name);
    const ev = spec.schema.parse(spec.defaults('evidence')) as { seeds: number[]; trainer: { epochs: number; patience: number }; base?: string };
    assert.ok(new Set(ev.seeds).size >= 5 && new Set(ev.seeds).size === ev.seeds.length, `${name}: seeds ${ev.seeds}`);
    assert.ok(ev.trainer.patience >= 2 && ev.trainer.epochs >= 6, `${name}: early stopping with patience >= 2 and room for it`);
    spec.schema.parse(spec.defaults('paper'));
    const quick = spec.schema.parse(spec.defaults('quick')) as { trainer: { epochs: number } };
    assert.ok(quick.trainer.epochs <= 2, `${name}: quick mode stays a smoke test`);
    if (ev.base !== undefined) assert.equal(ev.base, 'DNN', `${name}: the paper's base is declared, not chosen`);
  }
});

test('minet/main: every method, base = DNN (fixed), ceiling row, evidence records, interest weights by segment (table and figure), claims measured', async () => {
  const run = await runPipeline('minet/main', { ...RUN, config: { ...TINY, seeds: [1, 2] } });
  const [t, w] = run.tables;
  assert.equal(t.id, 'main');
  assert.deepEqual(t.rows.map((r) => r.method), METHODS);
  assert.deepEqual(t.metrics.map((m) => m.name), ['auc', 'logloss', 'auc_sparse']);
  assert.ok(Number.isFinite(t.references[0].values.auc_sparse), 'the ceiling has an auc_sparse value');
  assert.equal(t.base, 'DNN');
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  assertEvidenceRecords(run, 'main', ['auc', 'logloss', 'auc_sparse']);
  const sparse = run.records.find((r) => r.metric === 'auc_sparse');
  const all = run.records.find((r) => r.metric === 'auc' && r.split === 'test');
  assert.ok(sparse && all && (sparse.rows as number) < (all.rows as number), 'auc_sparse rests on a subset of the test rows');
  assert.ok(t.rows.find((r) => r.method === 'MiNet')?.cells.auc.comparison?.mde, 'the comparison with the base has an MDE');
  for (const r of t.rows) assert.ok(r.cells.auc.mean > 0.3 && r.cells.auc.mean < (t.references[0].values.auc as number) + 0.05, `${r.method} AUC ${r.cells.auc.mean}`);
  assert.ok(t.rows.find((r) => r.method === 'MiNet')?.cells.auc.pValue !== null, 'two seeds give a paired t-test');
  assert.match(run.markdown, /Ordering on auc/);
  assert.match(run.markdown, /truth model with that term removed/);
  assert.equal(w.id, 'interest-weights');
  assert.match(w.title, /interest weights by the user's target-domain history/);
  assert.deepEqual(w.metrics.map((m) => m.name), ['w_long', 'w_short_target', 'w_short_source', 'share_short_source']);
  assert.deepEqual(w.rows.map((r) => r.method), ['0 target clicks', '1-2 target clicks', '3-5 target clicks', '6+ target clicks'], 'stable segment labels');
  for (const r of w.rows) assert.ok(r.cells.w_long.mean > 0 && r.cells.share_short_source.mean > 0 && r.cells.share_short_source.mean < 1);
  assert.ok(run.records.filter((r) => r.table === 'interest-weights').every((r) => (r.rows ?? 0) > 0), 'segment row counts in the records');
  assert.match(run.markdown, /Measured: share_short_source goes from/);
  assert.match(run.markdown, /Claims and verdicts/);
  for (const f of ['auc.html', 'interest-weights.html']) assert.ok(existsSync(join(run.dir, 'figures', f)), f);
  const results = resultsOf(run.dir);
  for (const k of ['perSeed', 'interestWeights']) assert.ok(!(k in results), `no per-seed key '${k}' in results`);
  assert.equal(results.base, 'DNN');
  assertClaimsMeasured(run, getPipeline('minet/main').claims ?? []);
  const csv = readFileSync(join(run.dir, 'results.csv'), 'utf8');
  assert.match(csv, /^pipeline,run,table,method,variant,knob,metric,split,seed,value,rows,positives,se,still_improving\nminet\/main,/);
});

test('minet/main: permuting the test labels changes no validation choice (early stopping on validation AUC)', async () => {
  const config = { ...TINY, trainer: { epochs: 2, batchSize: 256, patience: 1 }, methods: [{ label: 'DNN', model: 'dnn', config: { embeddingDim: 4, hidden: [16] } }, { label: 'MiNet', model: 'minet', config: { embeddingDim: 4, hidden: [16], sourceHidden: [16], attentionHidden: 8, interestHidden: 8 } }], seeds: [1] };
  const plain = await runPipeline('minet/main', { ...RUN, config });
  const audit = await runPipeline('minet/main', { ...RUN, config, permuteTestLabels: 4 });
  const pick = (run: RunRecord) => run.records.filter((r) => r.split === 'valid').map((r) => `${r.method}|${r.seed}|${r.value}|${r.stillImproving}`);
  assert.equal(pick(plain).length, 2);
  assert.deepEqual(pick(audit), pick(plain));
  const aucs = (run: RunRecord) => run.records.filter((r) => r.table === 'main' && r.metric === 'auc' && r.split === 'test').map((r) => r.value);
  assert.notDeepEqual(aucs(audit), aucs(plain), 'the audit did permute the test labels');
});

test('minet/ablation: every variant, base = the full model, evidence records, claims measured (one seed: cannot tell)', async () => {
  const run = await runPipeline('minet/ablation', { ...RUN, config: { ...TINY, seeds: [1] } });
  const [t] = run.tables;
  assert.equal(t.id, 'ablation');
  assert.deepEqual(t.rows.map((r) => r.method), MINET_ABLATION_VARIANTS.map((v) => v.label));
  assert.equal(t.base, 'MiNet');
  assert.ok(t.rows.every((r) => Number.isFinite(r.cells.auc.mean) && Number.isFinite(r.cells.logloss.mean)));
  assertEvidenceRecords(run, 'ablation', ['auc', 'logloss']);
  assertClaimsMeasured(run, getPipeline('minet/ablation').claims ?? []);
  assert.ok(run.verdicts.every((v) => v.verdict === 'cannot tell'), 'one seed gives no test, so no verdict can agree');
  assert.ok(existsSync(join(run.dir, 'figures', 'ablation-auc.html')), 'a one-seed bar chart (no std) is drawn');
});

test('minet/ab: MiNet vs DIN over seeds (ab and offline tables), the A/A check and the first seed in the report shape', async () => {
  const run = await runPipeline('minet/ab', { ...RUN, config: { world: TINY.world, trainer: TINY.trainer, seeds: [1, 2], ab: { requests: 10, bootstrap: 100 } } });
  assert.deepEqual(run.tables.map((t) => t.id), ['ab', 'offline']);
  const [abT, off] = run.tables;
  assert.deepEqual(abT.rows.map((r) => r.method), ['DIN', 'MiNet']);
  assert.equal(abT.base, 'DIN');
  assert.deepEqual(abT.metrics.map((m) => m.name), ['clicks per request', 'clicks per user']);
  for (const r of run.records.filter((x) => x.table === 'ab')) assert.ok(r.se !== null && r.se > 0 && (r.rows ?? 0) > 0 && r.positives === null, `${r.method} ${r.metric}`);
  assertEvidenceRecords(run, 'offline', ['auc', 'logloss']);
  assert.equal(off.rows.length, 2);
  assertClaimsMeasured(run, getPipeline('minet/ab').claims ?? []);
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
  const run = await runPipeline('minet/amazon', { ...RUN, config: { data: { dir: fix, minPerDomain: 3 }, seeds: [1, 2], trainer: { epochs: 1, batchSize: 64 } } });
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), METHODS);
  assert.equal(run.tables[0].id, 'main');
  assert.equal(run.tables[0].base, 'DNN');
  assert.match(run.tables[0].title, /MiNet on Amazon \(Books -> Movies_and_TV/);
  assertClaimsMeasured(run, getPipeline('minet/amazon').claims ?? []);
  assert.ok(!('perSeed' in resultsOf(run.dir)));
  await assert.rejects(runPipeline('minet/amazon', { ...RUN, config: { data: { dri: 'x' } } }), /pipeline 'minet\/amazon' config: data: Unrecognized key/);
  await assert.rejects(runPipeline('minet/main', { ...RUN, config: { sedes: [1] } }), /pipeline 'minet\/main' config: \(root\): Unrecognized key/);
});
