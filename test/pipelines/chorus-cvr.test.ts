/**
 * The chorus-cvr pipelines end to end at a tiny size through `runPipeline` (tiny funnel world, 1 epoch, no images):
 * every method and the ground-truth ceiling in the tables with stable ids, tidy records carrying DeLong SEs, rows,
 * positives and still-improving flags (no per-seed keys in `results`), every declared claim judged on records that
 * exist (none 'not measured' except the Ali-CCP claim without its files), the bias sweep's per-knob and gain records,
 * the simulated A/B entries readable by the report (`parseAbTests`), the Ali-CCP table skipped with the availability
 * message when the directory is absent and built (streamed) from tiny processed-layout files when present, strict
 * configs that reject misspelt keys, and the evidence-mode defaults (>= 5 distinct seeds, valid configs, evaluation
 * sets with >= 100 validation and test conversions and a headline SE <= 0.005).
 * These are smoke tests of the wiring, not reproductions: the numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunRecord } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { ALI_CCP_DENSE_FIELDS, ALI_CCP_SPARSE_FIELDS } from '../../src/data/ali-ccp.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { EVIDENCE_WORLD, MAIN_METHODS, claimGainRecords, clickedConversions, funnelEvidence, type EntireSpaceFit } from '../../src/pipelines/chorus-cvr/common.ts';
import { gainVariant } from '../../src/evidence/paired-claims.ts';
import { ABLATION_VARIANTS, CHORUS_ABLATION_CLAIMS } from '../../src/pipelines/chorus-cvr/ablation.ts';
import { CHORUS_MAIN_CLAIMS } from '../../src/pipelines/chorus-cvr/main.ts';
import { CHORUS_SWEEP_CLAIMS, SWEEP_EVIDENCE_WORLD, biasKnob, chorusBiasSweepDefaults } from '../../src/pipelines/chorus-cvr/bias-sweep.ts';
import { evaluateEntireSpace } from '../../src/train/evaluate-cvr.ts';
import { deLongAuc, deLongPaired } from '../../src/evidence/stats.ts';
import { checkSeeds, RUN_MODES } from '../../src/evidence/rules.ts';
import { select } from '../../src/evidence/records.ts';
import { generateFunnelWorld, FUNNEL_TRUTH } from '../../src/worlds/funnel-world.ts';
import type { ResultTable } from '../../src/pipelines/result-table.ts';
import { Rng } from '../../src/random.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-chorus-cvr-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const TINY_WORLD = { users: 300, items: 200, categories: 10, sellers: 20, exposuresPerUser: 20 };
const TINY = { world: TINY_WORLD, trainer: { epochs: 1, batchSize: 512 } };
const PIPELINES = ['chorus-cvr/main', 'chorus-cvr/ablation', 'chorus-cvr/bias-sweep'];

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}
function assertMethods(t: ResultTable, methods: string[], metrics: string[]): void {
  assert.deepEqual(t.rows.map((r) => r.method), methods, `${t.title}: methods`);
  assert.deepEqual(t.metrics.map((m) => m.name), metrics, `${t.title}: metric columns`);
  for (const r of t.rows) for (const m of metrics) assert.ok(Number.isFinite(r.cells[m].mean), `${t.title}: ${r.method} ${m} is ${r.cells[m].mean}`);
}
/** Every record of a table carries rows, positives and a finite SE; trained fits carry the still-improving flag. */
function assertEvidence(run: RunRecord, table: string, trained = true): void {
  const rs = run.records.filter((r) => r.table === table);
  assert.ok(rs.length > 0, `records of table '${table}'`);
  for (const r of rs) {
    assert.equal(r.pipeline, run.pipeline);
    assert.ok(r.rows !== null && r.rows > 0 && r.positives !== null && r.positives > 0, `${table} ${r.method} ${r.metric}: rows ${r.rows}, positives ${r.positives}`);
    assert.ok(r.se !== null && Number.isFinite(r.se) && r.se > 0, `${table} ${r.method} ${r.metric}: se ${r.se}`);
    assert.equal(typeof r.stillImproving, trained ? 'boolean' : 'object', `${table} ${r.method} ${r.metric}: stillImproving ${r.stillImproving}`);
  }
}
/** Each declared claim is judged, and only the listed ones are 'not measured'. */
function assertClaimsMeasured(run: RunRecord, notMeasured: string[] = []): void {
  const claims = getPipeline(run.pipeline).claims ?? [];
  assert.ok(claims.length > 0, `${run.pipeline} declares claims`);
  assert.deepEqual(run.verdicts.map((v) => v.claim.id), claims.map((c) => c.id));
  for (const v of run.verdicts) {
    if (notMeasured.includes(v.claim.id)) assert.equal(v.verdict, 'not measured', v.claim.id);
    else assert.notEqual(v.verdict, 'not measured', `${v.claim.id}: ${v.reason}`);
  }
  assert.ok(existsSync(join(run.dir, 'verdicts.json')));
}

test('chorus-cvr/main: table main with evidence, claims judged, A/B entries the report reads, Ali-CCP skipped with the message', async () => {
  const missing = join(out, 'no-ali-ccp');
  const run = await runPipeline('chorus-cvr/main', { ...RUN, config: { ...TINY, seeds: [1, 2], aliCcp: { dir: missing }, ab: { requests: 20, bootstrap: 50 } } });
  assert.equal(run.tables.length, 1, 'no Ali-CCP table without the files');
  const [t] = run.tables;
  assert.equal(t.id, 'main');
  assertMethods(t, MAIN_METHODS.map((m) => m.label), ['ctr_auc', 'cvr_auc', 'ctcvr_auc', 'cvr_auc_entire', 'cvr_logloss']);
  assert.ok(['ESMM', 'ESCM2-IPS', 'DCMT', 'ChorusCVR'].every((m) => t.rows.some((r) => r.method === m)), 'method names match the paper-number registry');
  assert.equal(t.base, 'DCMT');
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  for (const m of t.metrics) assert.ok(Number.isFinite(t.references[0].values[m.name]), `ceiling of ${m.name}`);
  assert.equal(t.references[1].label, 'features-only ceiling');
  const fo = t.references[1].values.cvr_auc_entire;
  assert.ok(fo !== null && fo > 0.5 && fo <= (t.references[0].values.cvr_auc_entire ?? 0), `features-only ceiling ${fo} within (0.5, ground-truth ceiling]`);
  assert.equal(t.references[1].values.ctr_auc, null, 'the features-only row fills cvr_auc_entire only');
  const chorus = t.rows.find((r) => r.method === 'ChorusCVR');
  assert.ok(chorus && chorus.cells.cvr_auc_entire.pValue !== null, 'two seeds give a paired test against DCMT');
  assert.ok(chorus.cells.cvr_auc_entire.comparison && chorus.cells.cvr_auc_entire.comparison.testVariance > 0, 'the comparison includes test-set sampling');
  assertEvidence(run, 'main');
  const entire = select(run.records, { table: 'main', method: 'DCMT', metric: 'cvr_auc_entire', split: 'test' });
  assert.deepEqual(entire.map((r) => r.seed), [1, 2]);
  const cvrO = select(run.records, { table: 'main', method: 'DCMT', metric: 'cvr_auc', split: 'test' })[0];
  assert.ok((cvrO.rows as number) < entire[0].rows! && (cvrO.positives as number) < (cvrO.rows as number), 'cvr_auc rests on the clicked rows and their conversions');
  const chosen = select(run.records, { table: 'selection', method: 'ChorusCVR', metric: 'cvr_auc', split: 'valid' });
  assert.equal(chosen.length, 2, 'what validation chose, per seed');
  assert.match(run.markdown, /Early stopping and the best epoch: validation CVR AUC on \d+ clicked rows with \d+ conversions — fewer than 100/);
  assert.match(run.markdown, /Ordering on cvr_auc_entire/);
  assert.match(run.markdown, /\| vs DCMT \| metric \| difference \| 95% CI \| p \| MDE \|/);
  assertClaimsMeasured(run, ['ali-ccp-chorus-beats-dcmt-cvr-auc']);

  const results = resultsOf(run.dir);
  assert.equal(results.perSeed, undefined, 'records replace the per-seed key');
  const ab = parseAbTests(results);
  assert.deepEqual(ab.map((a) => a.metric), ['conversions per user', 'CVR']);
  for (const a of ab) {
    assert.equal(a.experiment, 'ChorusCVR vs DCMT');
    assert.ok(a.ciLow <= a.liftPct && a.liftPct <= a.ciHigh && a.control > 0 && (a.requests ?? 0) > 0);
  }
  const ali = results.aliCcp as { skipped: boolean; message: string };
  assert.equal(ali.skipped, true);
  assert.match(ali.message, /Ali-CCP not found in .*no-ali-ccp[\s\S]*tianchi\.aliyun\.com\/dataset\/408/);
  assert.ok(run.markdown.includes('Ali-CCP table skipped: Ali-CCP not found'), 'the skip note is in the table');
  assert.ok(readFileSync(join(run.dir, 'log.txt'), 'utf8').includes(ali.message), 'the exact message is in the log');
  for (const f of ['cvr-auc-entire.html', 'funnel.html']) assert.ok(existsSync(join(run.dir, 'figures', f)), f);
});

/** Tiny Ali-CCP files in the processed layout (torch-rechub's header), labels drawn from a seeded Rng. */
function writeProcessedAliCcp(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const header = ['click', 'purchase', ...ALI_CCP_SPARSE_FIELDS, ...ALI_CCP_DENSE_FIELDS.map((f) => `D${f}`)];
  const rng = new Rng(5);
  for (const [file, n] of [['ali_ccp_train.csv', 600], ['ali_ccp_val.csv', 100], ['ali_ccp_test.csv', 400]] as const) {
    const lines = [header.join(',')];
    for (let i = 0; i < n; i++) {
      const ids = ALI_CCP_SPARSE_FIELDS.map(() => 1 + rng.int(4));
      const click = rng.uniform() < 0.2 + 0.1 * ids[0] / 4 ? 1 : 0;
      const buy = click && rng.uniform() < 0.2 + 0.1 * ids[1] / 4 ? 1 : 0;
      lines.push([click, buy, ...ids, ...ALI_CCP_DENSE_FIELDS.map(() => rng.uniform().toFixed(4))].join(','));
    }
    writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
  }
}

test('chorus-cvr/main on Ali-CCP files (processed layout): table ali-ccp, trained by streaming chunks, its claim judged', async () => {
  const dir = join(out, 'ali-ccp');
  writeProcessedAliCcp(dir);
  const models = MAIN_METHODS.filter((m) => m.label === 'DCMT' || m.label === 'ChorusCVR' || m.label === 'ESMM');
  const aliCcp = { dir, chunkRows: 256, batchSize: 128, maxTrainRows: null, maxTestRows: null };
  const run = await runPipeline('chorus-cvr/main', { ...RUN, config: { ...TINY, models, seeds: [1, 2], aliCcp, ab: { requests: 10, bootstrap: 20 } } });
  assert.equal(run.tables.length, 2);
  assert.equal(run.tables[1].id, 'ali-ccp');
  assert.match(run.tables[1].title, /on Ali-CCP \(processed layout, 2 seeds/);
  assertMethods(run.tables[1], ['ESMM', 'DCMT', 'ChorusCVR'], ['ctr_auc', 'cvr_auc', 'ctcvr_auc', 'cvr_logloss']);
  assertEvidence(run, 'ali-ccp', false);
  const ali = resultsOf(run.dir).aliCcp as { skipped: boolean; dropped: number };
  assert.deepEqual([ali.skipped, ali.dropped], [false, 0]);
  assertClaimsMeasured(run);
});

test('chorus-cvr/bias-sweep: table sweep, per-knob and gain records, claims judged at the largest level', async () => {
  const run = await runPipeline('chorus-cvr/bias-sweep', { ...RUN, config: { ...TINY, levels: [0, 3], seeds: [1, 2] } });
  const [t] = run.tables;
  assert.equal(t.id, 'sweep');
  assertMethods(t, ['Naive CVR', 'ESMM', 'DCMT', 'ChorusCVR'], ['bias=0', 'bias=3']);
  assertEvidence(run, 'sweep');
  assertEvidence(run, 'by-knob');
  const ceiling = t.references[0].values;
  assert.ok((ceiling['bias=3'] as number) > (ceiling['bias=0'] as number), 'the ceiling rises with the bias in this world');
  for (const level of [0, 3]) {
    const knob = biasKnob(level);
    const chorus = select(run.records, { table: 'by-knob', method: 'ChorusCVR', knob, metric: 'cvr_auc_entire', split: 'test' });
    const dcmt = select(run.records, { table: 'by-knob', method: 'DCMT', knob, metric: 'cvr_auc_entire', split: 'test' });
    const gain = select(run.records, { table: 'gain', method: 'ChorusCVR', knob, metric: 'cvr_auc_entire_gain', split: 'test' });
    assert.deepEqual(gain.map((g) => g.seed), [1, 2]);
    gain.forEach((g, i) => {
      assert.ok(Math.abs(g.value - (chorus[i].value - dcmt[i].value)) < 1e-9, `gain at ${knob} seed ${g.seed} is the paired difference`);
      assert.ok((g.se as number) > 0 && (g.se as number) < Math.hypot(chorus[i].se as number, dcmt[i].se as number) + 1e-12, 'paired SE at most the unpaired one');
    });
    assert.equal(t.rows.find((r) => r.method === 'ChorusCVR')?.cells[`bias=${level}`].mean, (chorus[0].value + chorus[1].value) / 2, 'the table shows the per-knob numbers');
  }
  const growth = select(run.records, { table: 'gain', method: 'ChorusCVR', knob: '', metric: 'gain_growth', split: 'test' });
  const g3 = select(run.records, { table: 'gain', method: 'ChorusCVR', knob: biasKnob(3), metric: 'cvr_auc_entire_gain', split: 'test' });
  const g0 = select(run.records, { table: 'gain', method: 'ChorusCVR', knob: biasKnob(0), metric: 'cvr_auc_entire_gain', split: 'test' });
  growth.forEach((g, i) => assert.ok(Math.abs(g.value - (g3[i].value - g0[i].value)) < 1e-12, 'growth = gain at the largest level - gain at the smallest'));
  assert.ok(growth.every((g) => (g.positives as number) > 0 && (g.se as number) > 0), 'the growth carries its SE and the positives it rests on');
  assert.ok(select(run.records, { table: 'gain', method: 'DCMT', metric: 'gain_growth', split: 'test' }).every((r) => r.value === 0 && r.se === 0));
  assertClaimsMeasured(run);
  assert.equal(CHORUS_SWEEP_CLAIMS[0].knob, biasKnob(Math.max(...chorusBiasSweepDefaults('evidence').levels)), 'the per-knob claim sits at the largest evidence level');
  const rates = resultsOf(run.dir).funnelByBias as Array<{ level: number; cvrClicked: number; cvrExposure: number }>;
  assert.deepEqual(rates.map((r) => r.level), [0, 3]);
  assert.ok(rates[1].cvrClicked - rates[1].cvrExposure > rates[0].cvrClicked - rates[0].cvrExposure, 'bias widens the clicked-vs-exposure CVR gap');
  assert.equal(resultsOf(run.dir).perSeed, undefined);
  for (const f of ['cvr-auc-entire-by-bias.html', 'gain-by-bias.html', 'funnel-by-bias.html']) assert.ok(existsSync(join(run.dir, 'figures', f)), f);
});

test('chorus-cvr/ablation: table ablation, every variant with a paired test against the full model, claims judged', async () => {
  const run = await runPipeline('chorus-cvr/ablation', { ...RUN, config: { ...TINY, seeds: [1, 2] } });
  const [t] = run.tables;
  assert.equal(t.id, 'ablation');
  assertMethods(t, ABLATION_VARIANTS.map((v) => v.label), ['cvr_auc', 'ctcvr_auc', 'cvr_auc_entire']);
  assert.equal(t.base, 'ChorusCVR');
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  assert.ok(t.rows.slice(1).every((r) => r.cells.cvr_auc_entire.pValue !== null));
  assertEvidence(run, 'ablation');
  assertClaimsMeasured(run);
  for (const v of run.verdicts) {
    // Each verdict reads its pair's paired gain: the difference equals the table's mean difference, the SE is paired.
    const c = v.claim;
    const base = t.rows.find((r) => r.method === c.base)!.cells.cvr_auc_entire.mean;
    const full = t.rows.find((r) => r.method === c.method)!.cells.cvr_auc_entire.mean;
    if (c.metric === 'cvr_auc_entire_gain') assert.ok(v.comparison && Math.abs(v.comparison.diff - (full - base)) < 1e-9, `${c.id}: diff ${v.comparison?.diff} vs ${full - base}`);
    assert.equal(c.variant, gainVariant(c.base));
  }
  assert.equal(resultsOf(run.dir).perSeed, undefined);
});

test('claimGainRecords: per claim and seed, AUC(method) − AUC(base) on the same rows with DeLong\'s paired SE and the base\'s own 0; different rows are an error', () => {
  const rng = new Rng(3);
  const n = 600;
  const click = Float32Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const conversion = Float32Array.from(click, (c) => (c && rng.uniform() < 0.3 ? 1 : 0));
  const cf = Float32Array.from(conversion, (c) => (c || rng.uniform() < 0.05 ? 1 : 0));
  const fit = (noise: number, labels = { click, conversion, cf }): EntireSpaceFit => ({
    probs: { ctr: Float32Array.from(labels.click, (y) => 0.2 + 0.3 * y + noise * rng.uniform()), cvr: Float32Array.from(labels.cf, (y) => 0.1 + 0.2 * y + noise * rng.uniform()) },
    labels, evidence: {}, metrics: {} as EntireSpaceFit['metrics'], bestEpoch: 1, epochsAllowed: 3, stillImproving: false, valid: { cvrAuc: 0.6, rows: 1, positives: 1 }, seconds: 1,
  });
  const [a, b] = [fit(0.5), fit(0.9)];
  const claims = [
    { id: 'x', text: '', source: '', table: 'gain', metric: 'cvr_auc_entire_gain', variant: gainVariant('B'), method: 'A', base: 'B', direction: 'higher' as const },
    { id: 'y', text: '', source: '', table: 'gain', metric: 'cvr_auc_gain', variant: gainVariant('B'), method: 'A', base: 'B', direction: 'higher' as const },
    { id: 'z', text: '', source: '', table: 'main', metric: 'cvr_auc', method: 'A', base: 'B', direction: 'higher' as const },
  ];
  const recs = claimGainRecords(claims, new Map([['A', [a]], ['B', [b]]]), [7]);
  assert.equal(recs.length, 4, 'a gain and the base\'s 0 for each claim on table gain');
  const entire = recs.find((r) => r.method === 'A' && r.metric === 'cvr_auc_entire_gain')!;
  const want = deLongPaired(cf, a.probs.cvr, b.probs.cvr);
  assert.ok(Math.abs(entire.value - want.value) < 1e-12 && Math.abs((entire.se ?? NaN) - want.se) < 1e-12);
  const clicked = [...click.keys()].filter((i) => click[i] === 1);
  const wantO = deLongPaired(clicked.map((i) => conversion[i]), clicked.map((i) => a.probs.cvr[i]), clicked.map((i) => b.probs.cvr[i]));
  assert.ok(Math.abs(recs.find((r) => r.method === 'A' && r.metric === 'cvr_auc_gain')!.value - wantO.value) < 1e-12, 'cvr_auc: the clicked rows only');
  assert.deepEqual(recs.filter((r) => r.method === 'B').map((r) => [r.value, r.se, r.variant, r.seed]), [[0, 0, 'vs B', 7], [0, 0, 'vs B', 7]]);
  const other = fit(0.5, { click: click.map((c) => 1 - c), conversion, cf });
  assert.throws(() => claimGainRecords(claims.slice(1, 2), new Map([['A', [other]], ['B', [b]]]), [7]), /'A' and 'B' seed 7 scored different cvr_auc rows/);
});

test('chorus-cvr/main: model selection rests on validation only (test labels permuted: same best epochs and validation AUCs)', async () => {
  const models = MAIN_METHODS.filter((m) => m.label === 'DCMT' || m.label === 'ChorusCVR');
  const config = { world: TINY_WORLD, trainer: { epochs: 3, batchSize: 512, patience: 1 }, models, seeds: [1, 2], aliCcp: { dir: join(out, 'none') }, ab: { requests: 10, bootstrap: 20 } };
  const plain = await runPipeline('chorus-cvr/main', { ...RUN, config });
  const audit = await runPipeline('chorus-cvr/main', { ...RUN, config, permuteTestLabels: 9 });
  const chosen = (run: RunRecord) => run.records.filter((r) => r.table === 'selection').map((r) => `${r.method} ${r.seed} ${r.metric} ${r.value}`);
  assert.deepEqual(chosen(audit), chosen(plain));
  const cvrO = (run: RunRecord) => select(run.records, { table: 'main', method: 'DCMT', metric: 'cvr_auc', split: 'test' }).map((r) => r.value);
  assert.notDeepEqual(cvrO(audit), cvrO(plain), 'the audit did permute the test labels');
});

test('chorus-cvr/main and bias-sweep with one seed (the notebook size): no std, no test, figures still drawn', async () => {
  const models = MAIN_METHODS.filter((m) => m.label === 'DCMT' || m.label === 'ChorusCVR');
  const main = await runPipeline('chorus-cvr/main', { ...RUN, config: { ...TINY, models, seeds: [1], aliCcp: { dir: join(out, 'none') }, ab: { requests: 10, bootstrap: 20 } } });
  assert.match(main.markdown, /\(1 seed\)/);
  assert.ok(main.verdicts.every((v) => v.verdict === 'cannot tell' || v.verdict === 'not measured'), 'one seed decides nothing');
  const sweep = await runPipeline('chorus-cvr/bias-sweep', { ...RUN, config: { ...TINY, models, levels: [0, 3] } });
  assert.equal(sweep.tables[0].rows[0].cells['bias=0'].n, 1);
});

test('chorus-cvr claims name methods, variants and metrics the default configs produce', () => {
  const mainLabels = MAIN_METHODS.map((m) => m.label);
  for (const c of CHORUS_MAIN_CLAIMS) assert.ok(mainLabels.includes(c.method) && mainLabels.includes(c.base), c.id);
  const variants = ABLATION_VARIANTS.map((v) => v.label);
  for (const c of CHORUS_ABLATION_CLAIMS) {
    assert.equal(c.method, 'ChorusCVR', c.id);
    assert.ok(variants.includes(c.base) && c.base !== c.method, `${c.id}: variant '${c.base}'`);
  }
  for (const name of PIPELINES) {
    const spec = getPipeline(name);
    assert.equal(new Set((spec.claims ?? []).map((c) => c.id)).size, spec.claims?.length, `${name}: claim ids are distinct`);
    for (const c of spec.claims ?? []) assert.ok(c.source.length > 20, `${c.id} says where the paper makes it`);
  }
});

test('chorus-cvr defaults: >= 5 distinct seeds outside quick mode, valid configs, the paper base fixed, quick mode small', () => {
  for (const name of PIPELINES) {
    const spec = getPipeline(name);
    for (const mode of RUN_MODES) {
      const d = spec.defaults(mode) as { seeds: number[]; base: string; trainer: { epochs: number; patience?: number }; world: { users?: number } };
      assert.doesNotThrow(() => spec.schema.parse(d), `${name} ${mode} defaults pass the schema`);
      assert.doesNotThrow(() => checkSeeds(d.seeds, mode), `${name} ${mode} seeds`);
      assert.equal(d.base, name === 'chorus-cvr/ablation' ? 'ChorusCVR' : 'DCMT', `${name} ${mode}: the declared base`);
      if (mode === 'quick') {
        assert.ok(d.trainer.epochs <= 3 && (d.world.users ?? Infinity) <= 1500 && d.seeds.length <= 3, `${name}: quick stays CI-sized`);
      } else {
        assert.ok(new Set(d.seeds).size >= 5, `${name} ${mode}: ${d.seeds.length} seeds`);
        assert.ok((d.trainer.patience ?? 0) >= 2 && d.trainer.epochs >= 6, `${name} ${mode}: early stopping with patience >= 2 and room to converge`);
      }
    }
  }
});

/**
 * Hanley & McNeil's (1982) SE of an AUC `a` with m positives and n negatives: the test-sampling SE of a model that
 * reaches AUC `a` on these rows (it errs wide next to DeLong's on measured fits).
 */
function hanleyMcNeilSe(a: number, m: number, n: number): number {
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  return Math.sqrt((a * (1 - a) + (m - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (m * n));
}

test('chorus-cvr evidence worlds: >= 100 validation and test conversions, headline SE <= 0.005 at the AUC the fits reach', () => {
  const worlds = [
    { what: 'main/ablation', cfg: EVIDENCE_WORLD },
    { what: 'bias-sweep rho=0', cfg: { ...SWEEP_EVIDENCE_WORLD, selectionBias: 0 } },
    { what: 'bias-sweep rho=3', cfg: { ...SWEEP_EVIDENCE_WORLD, selectionBias: 3 } },
  ];
  for (const { what, cfg } of worlds) {
    const w = generateFunnelWorld(cfg);
    const valid = clickedConversions(w.valid);
    const test = clickedConversions(w.test);
    const cf = w.truth.test[FUNNEL_TRUTH.cfConversion];
    const m = cf.reduce((s, x) => s + x, 0);
    // Evidence-size fits measured CVR AUC over D of 0.66 (main world) and 0.73 (sweep, rho = 3): 0.70 stands for both.
    const se = hanleyMcNeilSe(0.7, m, cf.length - m);
    const line = `${what}: ${valid.positives} validation / ${test.positives} test conversions, ${m} counterfactual conversions, headline SE at AUC 0.70 ${se.toFixed(4)}`;
    assert.ok(valid.positives >= 100 && test.positives >= 100, line);
    assert.ok(se <= 0.005, line);
  }
  assert.ok(hanleyMcNeilSe(0.7, 2100, 94115) > 0.005, 'the check can fail: the earlier 6 000-user sweep world at rho = 3');
});

test('funnelEvidence: the values of evaluateEntireSpace, DeLong SEs, rows and positives per column; length errors', () => {
  const rng = new Rng(3);
  const n = 400;
  const click = Float32Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const cf = Float32Array.from({ length: n }, () => (rng.uniform() < 0.4 ? 1 : 0));
  const conv = click.map((c, i) => c * cf[i]);
  const pCtr = Float32Array.from(click, (c) => Math.min(0.99, Math.max(0.01, 0.3 * c + 0.7 * rng.uniform())));
  const pCvr = Float32Array.from(cf, (c) => Math.min(0.99, Math.max(0.01, 0.2 * c + 0.8 * rng.uniform())));
  const schema = { features: [{ kind: 'categorical' as const, name: 'u', vocab: 2 }], labels: ['click', 'conversion'] };
  const ds = Dataset.fromColumns(schema, { u: new Int32Array(n), click, conversion: conv });
  const m = evaluateEntireSpace(ds, { [FUNNEL_TRUTH.cfConversion]: cf }, { ctr: pCtr, cvr: pCvr });
  const e = funnelEvidence(click, conv, pCtr, pCvr, cf);
  assert.deepEqual(Object.keys(e).sort(), ['ctcvr_auc', 'ctr_auc', 'cvr_auc', 'cvr_auc_entire', 'cvr_logloss']);
  assert.equal(e.ctr_auc.value, m.ctrAuc);
  assert.equal(e.cvr_auc.value, m.cvrAucClicked);
  assert.equal(e.ctcvr_auc.value, m.ctcvrAuc);
  assert.equal(e.cvr_auc_entire.value, m.cvrAucEntire);
  assert.equal(e.cvr_logloss.value, m.cvrLoglossClicked);
  const O = [...click.keys()].filter((i) => click[i] === 1);
  const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);
  assert.deepEqual([e.cvr_auc.rows, e.cvr_auc.positives], [O.length, sum(conv)]);
  assert.deepEqual([e.ctr_auc.rows, e.ctr_auc.positives], [n, sum(click)]);
  assert.deepEqual([e.cvr_auc_entire.rows, e.cvr_auc_entire.positives], [n, sum(cf)]);
  assert.ok(Math.abs(e.cvr_auc.se - deLongAuc(O.map((i) => conv[i]), O.map((i) => pCvr[i])).se) < 1e-12);
  assert.ok(Math.abs(e.cvr_auc_entire.se - deLongAuc(cf, pCvr).se) < 1e-12);
  assert.ok(e.cvr_logloss.se > 0 && e.cvr_logloss.se < e.cvr_logloss.value);
  assert.equal(funnelEvidence(click, conv, pCtr, pCvr).cvr_auc_entire, undefined, 'no counterfactual labels, no cvr_auc_entire');
  assert.throws(() => funnelEvidence(click, conv, pCtr.subarray(1), pCvr), /'p_ctr' has 399 values for 400 rows/);
});

for (const [name, bad, where] of [
  ['chorus-cvr/main', { seeeds: [1] }, /\(root\): Unrecognized key.*'seeeds'/],
  ['chorus-cvr/main', { aliCcp: { maxTrainRow: 5 } }, /aliCcp: Unrecognized key.*'maxTrainRow'/],
  ['chorus-cvr/bias-sweep', { world: { selectionBais: 1 } }, /world: Unrecognized key.*'selectionBais'/],
  ['chorus-cvr/ablation', { variants: [{ label: 'x', model: 'chorus-cvr', config: {}, confg: {} }] }, /variants\.0: Unrecognized key.*'confg'/],
] as const) {
  test(`${name}: strict config rejects a misspelt key ${JSON.stringify(bad)}`, async () => {
    await assert.rejects(runPipeline(name, { ...RUN, config: bad }), (e: Error) => {
      assert.match(e.message, new RegExp(`pipeline '${name}' config: ${where.source}`));
      return true;
    });
  });
}
