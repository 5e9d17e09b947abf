/**
 * The farm pipelines end to end at a tiny size through `runPipeline` (tiny live world, 1 epoch, small models, no
 * images): table ids and records (per-task `auc_<task>` with SE and positives, the `mean_auc_reliable` summary over the
 * reliable tasks only, no per-seed keys in results), PLE as the fixed base, the early-stopping monitor on the tasks
 * with enough validation positives, the eight ablations, the sparsity sweep's knob records and figure, the A/B and A/A
 * entries readable by the report (`parseAbTests`), every declared claim resolving to records of a quick run, the
 * evidence and paper defaults (>= 5 distinct seeds, valid configs), selection on validation only (permuted test
 * labels), and strict configs that reject misspelt keys. Smoke tests of the wiring, not reproductions: numbers at this
 * size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunRecord } from '../../src/pipelines/runner.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import '../../src/pipelines/registry.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { checkSeeds, RUN_MODES } from '../../src/evidence/rules.ts';
import { FARM_BASE, FARM_METHODS } from '../../src/pipelines/farm/common.ts';
import { FARM_ABLATIONS } from '../../src/pipelines/farm/ablation.ts';
import { sparsityPoints } from '../../src/pipelines/farm/sparsity.ts';
import { SUMMARY_METRIC } from '../../src/pipelines/farm/live-evidence.ts';
import { generateLiveWorld, LIVE_TASKS, LIVE_WORLD_SIZES } from '../../src/worlds/live-world.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-farm-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const WORLD = { ...LIVE_WORLD_SIZES.tiny, users: 600, authors: 60, liveShare: 0.3, rates: { click: 0.3, effective_view: 0.15, like: 0.08, comment: 0.04, gift: 0.03, follow: 0.03 } };
const TINY = { world: WORLD, trainer: { epochs: 1, batchSize: 1024 }, sizes: { embeddingDim: 4, ple: { levels: 1, expertHidden: [8], tower: [4] }, attentionHidden: [4] } };
const FARM_PIPELINES = ['farm/main', 'farm/ablation', 'farm/sparsity', 'farm/ab', 'farm/kuairand'];

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}

/** Every claim of the run's pipeline is judged on records of this run (its table, metric, method and base exist). */
function assertClaimsMeasured(run: RunRecord): void {
  const claims = getPipeline(run.pipeline).claims ?? [];
  assert.ok(claims.length > 0, `${run.pipeline} declares claims`);
  assert.equal(run.verdicts.length, claims.length);
  for (const v of run.verdicts) {
    assert.notEqual(v.verdict, 'not measured', `${run.pipeline}: claim '${v.claim.id}' is not measured: ${v.reason}`);
    assert.ok(run.records.some((r) => r.table === v.claim.table && r.metric === v.claim.metric && r.method === v.claim.method && r.knob === (v.claim.knob ?? '')));
    assert.ok(v.claim.source.length > 10, `claim '${v.claim.id}' names its source`);
  }
}

let mainRun: RunRecord;
test('farm/main: PLE is the fixed base, per-task records with SE and positives, mean_auc_reliable over the reliable tasks only', async () => {
  mainRun = await runPipeline('farm/main', { ...RUN, config: { ...TINY, seeds: [1, 2] } });
  const [t] = mainRun.tables;
  assert.equal(t.id, 'main');
  assert.equal(t.base, FARM_BASE);
  assert.deepEqual(t.rows.map((r) => r.method), FARM_METHODS.map((m) => m.label));
  assert.equal(t.metrics[0].name, SUMMARY_METRIC);
  for (const task of LIVE_TASKS) assert.ok(t.metrics.some((m) => m.name === `auc_${task}`), `column auc_${task}`);
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  assert.ok((t.references[0].values.auc_click ?? 0) > 0.5);
  const results = resultsOf(mainRun.dir);
  assert.equal(results.perSeed, undefined, 'no per-seed key in results: records replace it');
  const summary = results.summaryTasks as string[];
  const excluded = results.excludedTasks as Array<{ task: string; positives: number }>;
  assert.ok(summary.length >= 1);
  // Each per-task AUC record carries its DeLong SE, rows and positives; reliable tasks have >= 100 test positives.
  const test = mainRun.records.filter((r) => r.table === 'main' && r.split === 'test');
  for (const task of LIVE_TASKS) {
    const rs = test.filter((r) => r.metric === `auc_${task}` && r.method === 'FARM');
    assert.equal(rs.length, 2, `auc_${task} of FARM for both seeds`);
    for (const r of rs) assert.ok(r.positives !== null && r.rows !== null && r.se !== null && r.se > 0, `auc_${task} has positives, rows and SE`);
    assert.equal(summary.includes(task), (rs[0].positives as number) >= 100, `${task} is in the summary iff it has >= 100 test positives`);
  }
  for (const e of excluded) {
    assert.ok(e.positives < 100);
    assert.match(mainRun.markdown, new RegExp(`${e.task} \\(${e.positives} test positives < 100\\)`), `the table names ${e.task} as left out and why`);
  }
  // The summary is the mean of the reliable tasks' AUCs, se = sqrt(sum se_k^2) / K.
  for (const method of ['FARM', 'PLE']) {
    for (const seed of [1, 2]) {
      const pick = (metric: string) => test.find((r) => r.method === method && r.seed === seed && r.metric === metric);
      const s = pick(SUMMARY_METRIC);
      assert.ok(s && s.se !== null);
      const parts = summary.map((task) => pick(`auc_${task}`));
      assert.ok(Math.abs(s.value - parts.reduce((a, r) => a + (r?.value ?? NaN), 0) / parts.length) < 1e-12);
      assert.ok((s.se as number) > 0 && (s.se as number) <= parts.reduce((a, r) => a + (r?.se ?? NaN), 0) / parts.length + 1e-12, 'SE with the tasks\' covariance: positive, at most the mean of the task SEs (perfect correlation)');
      assert.equal(s.positives, Math.min(...parts.map((r) => r?.positives ?? NaN)));
      assert.equal(s.stillImproving, true, '1 epoch allowed: the best epoch is the last one');
    }
  }
  // The monitor averages exactly the tasks with >= 100 validation positives (the world is deterministic).
  const world = generateLiveWorld(WORLD);
  const validPositives = (task: string) => world.valid.label(task).reduce((a, b) => a + b, 0);
  const reliableValid = LIVE_TASKS.filter((task) => validPositives(task) >= 100);
  const expected = reliableValid.length ? reliableValid : [[...LIVE_TASKS].sort((a, b) => validPositives(b) - validPositives(a))[0]];
  assert.deepEqual(results.monitorTasks, expected);
  assert.ok(mainRun.records.some((r) => r.table === 'selection' && r.split === 'valid' && r.metric === 'best_epoch' && r.method === 'FARM'));
  assert.match(mainRun.markdown, /Base: PLE, the paper's production base/);
  assertClaimsMeasured(mainRun);
});

test('farm/main: the base is declared, never chosen; an undeclared base is an error', async () => {
  await assert.rejects(runPipeline('farm/main', { ...RUN, config: { ...TINY, seeds: [1], base: 'STAR' } }), /farm\/main config: base 'STAR' is not one of its methods/);
});

test('farm/main: permuting the test labels changes no validation choice (early stopping, monitor, summary tasks)', async () => {
  const config = { ...TINY, trainer: { epochs: 2, batchSize: 1024, patience: 1 }, models: FARM_METHODS.filter((m) => ['PLE', 'FARM'].includes(m.label)), seeds: [1] };
  const plain = await runPipeline('farm/main', { ...RUN, config });
  const audit = await runPipeline('farm/main', { ...RUN, config, permuteTestLabels: 3 });
  const pick = (run: RunRecord) => run.records.filter((r) => r.split === 'valid').map((r) => `${r.method}|${r.metric}|${r.seed}|${r.value}`);
  assert.equal(pick(plain).length, 4);
  assert.deepEqual(pick(audit), pick(plain));
  assert.deepEqual(resultsOf(audit.dir).summaryTasks, resultsOf(plain.dir).summaryTasks);
  const aucs = (run: RunRecord) => run.records.filter((r) => r.metric === 'auc_click').map((r) => r.value);
  assert.notDeepEqual(aucs(audit), aucs(plain), 'the audit did permute the test labels');
});

test('farm/ablation: the eight ablations against FARM in table "ablation"; the frequency-module claim is judged', async () => {
  const run = await runPipeline('farm/ablation', { ...RUN, config: { ...TINY, seeds: [1, 2] } });
  const [t] = run.tables;
  assert.equal(t.id, 'ablation');
  assert.deepEqual(t.rows.map((r) => r.method), FARM_ABLATIONS.map((v) => v.label));
  assert.equal(t.base, 'FARM');
  assert.equal(resultsOf(run.dir).meanAuc, undefined);
  const bars = t.rows.map((r) => r.cells[SUMMARY_METRIC].mean);
  assert.ok(bars.every((b) => b > 0 && b < 1));
  assertClaimsMeasured(run);
});

test('farm/sparsity: one table per live share with knob records; gain points from the records; the sparsest-share claim', async () => {
  const run = await runPipeline('farm/sparsity', { ...RUN, config: { ...TINY, world: { ...WORLD, users: 500, authors: 50 }, liveShares: [0.3, 0.05], seeds: [1, 2] } });
  assert.deepEqual(run.tables.map((t) => t.id), ['sweep', 'sweep']);
  assert.deepEqual(run.tables.map((t) => t.base), ['PLE', 'PLE']);
  assert.deepEqual([...new Set(run.records.filter((r) => r.table === 'sweep').map((r) => r.knob))], ['live_share=0.3', 'live_share=0.05']);
  const worlds = resultsOf(run.dir).worlds as Array<{ share: number; liveTrainRows: number }>;
  assert.deepEqual(worlds.map((w) => w.share), [0.3, 0.05]);
  assert.ok(worlds[0].liveTrainRows > worlds[1].liveTrainRows, 'a lower share gives fewer live rows');
  const points = sparsityPoints(run.records, 'FARM', 'PLE');
  assert.deepEqual(points.map((p) => p.share), [0.3, 0.05]);
  for (const p of points) {
    const at = (method: string, seed: number) => run.records.find((r) => r.knob === `live_share=${p.share}` && r.metric === SUMMARY_METRIC && r.method === method && r.seed === seed)?.value ?? NaN;
    const gains = [1, 2].map((s) => (100 * (at('FARM', s) - at('PLE', s))) / at('PLE', s));
    assert.ok(Math.abs(p.gain.mean - (gains[0] + gains[1]) / 2) < 1e-9, 'the gain is the per-seed relative difference, averaged');
  }
  assert.match(run.markdown, /Measured: the gain (grows|does NOT grow monotonically) as the live share falls/);
  assertClaimsMeasured(run);
});

test('farm/ab: A/B and A/A entries the report reads, lift records per seed; the A/A interval is checked against 0', async () => {
  const run = await runPipeline('farm/ab', { ...RUN, config: { ...TINY, seeds: [1, 2], ab: { requests: 10, bootstrap: 100 } } });
  const results = resultsOf(run.dir);
  const ab = parseAbTests(results);
  assert.deepEqual(ab.map((a) => `${a.experiment}: ${a.metric}`), [
    'FARM vs PLE: watch seconds per user', 'FARM vs PLE: effective-view rate', 'FARM vs PLE: gifts per user',
    'A/A (PLE vs PLE): watch seconds per user', 'A/A (PLE vs PLE): effective-view rate', 'A/A (PLE vs PLE): gifts per user',
  ]);
  for (const a of ab) assert.ok(a.ciLow <= a.liftPct && a.liftPct <= a.ciHigh && a.control > 0);
  const aa = ab.filter((a) => (a.experiment ?? '').startsWith('A/A'));
  assert.equal(results.aaContainsZero, aa.every((a) => a.ciLow <= 0 && a.ciHigh >= 0));
  const lifts = run.records.filter((r) => r.table === 'ab' && r.metric === 'lift_pct_watch_seconds_per_user' && r.method === 'FARM vs PLE');
  assert.deepEqual(lifts.map((r) => r.seed), [1, 2]);
  assert.ok(lifts.every((r) => r.se !== null && r.se > 0));
  const mean = (lifts[0].value + lifts[1].value) / 2;
  assert.ok(Math.abs((ab[0].liftPct) - mean) < 1e-9, 'the reported lift is the mean over seeds');
  // Table 'online' (table.md): both arms per seed; the treatment / control ratio of its values is the seed's lift.
  const arm = (method: string, seed: number) => run.records.find((r) => r.table === 'online' && r.method === method && r.metric === 'watch seconds per user' && r.seed === seed);
  for (const [k, seed] of [1, 2].entries()) {
    const [farm, ple] = [arm('FARM', seed), arm('PLE', seed)];
    assert.ok(farm && ple && farm.se !== null && farm.se > 0, `online records of seed ${seed}`);
    assert.ok(Math.abs((farm.value / ple.value - 1) * 100 - lifts[k].value) < 1e-6, `seed ${seed}: arms agree with the lift record`);
  }
  assert.match(run.markdown, /Simulated A\/B on the live world: FARM vs PLE/);
});

test('farm pipelines: evidence and paper defaults have >= 5 distinct seeds and pass their schemas; quick stays small', () => {
  for (const name of FARM_PIPELINES) {
    const spec = getPipeline(name);
    for (const mode of RUN_MODES) {
      const parsed = spec.schema.safeParse(spec.defaults(mode));
      assert.ok(parsed.success, `${name} ${mode} defaults: ${parsed.success ? '' : JSON.stringify(parsed.error.issues[0])}`);
      const seeds = (spec.defaults(mode) as { seeds: number[] }).seeds;
      checkSeeds(seeds, mode);
      if (mode !== 'quick') assert.ok(new Set(seeds).size >= 5, `${name} ${mode}: ${seeds}`);
      else assert.ok(seeds.length <= 3, `${name} quick stays small: ${seeds}`);
    }
    const trainer = (spec.defaults('evidence') as { trainer: { epochs: number; patience: number } }).trainer;
    assert.ok(trainer.epochs >= 10 && trainer.patience >= 2, `${name}: evidence trains to convergence (cap ${trainer.epochs}, patience ${trainer.patience})`);
    const quick = spec.defaults('quick') as { trainer: { epochs: number }; world?: { users?: number } };
    assert.ok(quick.trainer.epochs <= 3, `${name}: quick stays at <= 3 epochs`);
    if (quick.world) assert.ok((quick.world.users ?? Infinity) <= 5000, `${name}: quick world stays at 5 000 users`);
  }
  for (const name of ['farm/main', 'farm/sparsity', 'farm/ab', 'farm/kuairand']) {
    const d = getPipeline(name).defaults('evidence') as { base?: string; control?: { label: string } };
    assert.equal(d.base ?? d.control?.label, 'PLE', `${name}: PLE is the declared base`);
  }
});

test('farm pipeline configs are strict: misspelt keys are errors naming them', async () => {
  await assert.rejects(runPipeline('farm/main', { ...RUN, config: { seeds: [1], trainr: {} } }), /pipeline 'farm\/main' config: .*trainr/);
  await assert.rejects(runPipeline('farm/main', { ...RUN, config: { seeds: [1], baselines: ['PLE'] } }), /pipeline 'farm\/main' config: .*baselines/);
  await assert.rejects(runPipeline('farm/ab', { ...RUN, config: { ab: { request: 3 } } }), /pipeline 'farm\/ab' config: ab.*request/);
  await assert.rejects(runPipeline('farm/ab', { ...RUN, config: { ...TINY, sizes: { embeddingDm: 4 } } }), /farm: sizes key 'embeddingDm' is not a config key of any live model/);
  await assert.rejects(runPipeline('farm/main', { ...RUN, config: { ...TINY, seeds: [1], models: [{ label: 'F', model: 'farm', config: { tasks: ['clik'] } }, { label: 'P', model: 'live-ple', config: {} }], base: 'P' } }), /farm config: unknown task 'clik'/);
  await assert.rejects(runPipeline('farm/main', { ...RUN, config: { ...TINY, seeds: [1, 1] } }), /seed 1 appears 2 times/);
});

test('farm/kuairand: skipped with the message when the data is absent; PLE with and without the frequency module on the fixtures', async () => {
  const skipped = await runPipeline('farm/kuairand', { ...RUN, config: { kuairand: { dir: join(out, 'no-kuairand') } } });
  assert.equal(skipped.tables.length, 0);
  assert.match(skipped.skipped ?? '', /zenodo\.org\/records\/10439422/);
  assert.deepEqual(skipped.verdicts.map((v) => v.verdict), ['not measured'], 'a skipped run measures nothing');
  const dir = new URL('../fixtures/kuairand/', import.meta.url).pathname;
  const run = await runPipeline('farm/kuairand', { ...RUN, config: { kuairand: { dir, historyLen: 5 }, validFrom: 0.6, testFrom: 0.8, sizes: TINY.sizes, trainer: TINY.trainer, seeds: [1, 2] } });
  assert.equal(run.tables[0].id, 'kuairand');
  assert.deepEqual(run.tables[0].rows.map((r) => r.method), ['PLE', 'PLE + frequency module']);
  assert.ok(run.tables[0].metrics.some((m) => m.name === 'auc_click') && run.tables[0].metrics[0].name === SUMMARY_METRIC);
  assertClaimsMeasured(run);
});
