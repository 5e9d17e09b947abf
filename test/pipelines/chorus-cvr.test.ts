/**
 * The chorus-cvr pipelines end to end at a tiny size through `runPipeline` (tiny funnel world, 1 epoch, no images):
 * every method and the ground-truth ceiling in the tables, the simulated A/B entries readable by the report
 * (`parseAbTests`), the Ali-CCP table skipped with the availability message when the directory is absent and built
 * (streamed) from tiny processed-layout files when present, and strict configs that reject misspelt keys.
 * These are smoke tests of the wiring, not reproductions: the numbers at this size are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { parseAbTests } from '../../src/report/ab-tests.ts';
import { ALI_CCP_DENSE_FIELDS, ALI_CCP_SPARSE_FIELDS } from '../../src/data/ali-ccp.ts';
import { MAIN_METHODS } from '../../src/pipelines/chorus-cvr/common.ts';
import { ABLATION_VARIANTS } from '../../src/pipelines/chorus-cvr/ablation.ts';
import type { ResultTable } from '../../src/pipelines/result-table.ts';
import { Rng } from '../../src/random.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-chorus-cvr-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const TINY_WORLD = { users: 300, items: 200, categories: 10, sellers: 20, exposuresPerUser: 20 };
const TINY = { world: TINY_WORLD, trainer: { epochs: 1, batchSize: 512 } };

function resultsOf(dir: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
}
function assertMethods(t: ResultTable, methods: string[], metrics: string[]): void {
  assert.deepEqual(t.rows.map((r) => r.method), methods, `${t.title}: methods`);
  assert.deepEqual(t.metrics.map((m) => m.name), metrics, `${t.title}: metric columns`);
  for (const r of t.rows) for (const m of metrics) assert.ok(Number.isFinite(r.cells[m].mean), `${t.title}: ${r.method} ${m} is ${r.cells[m].mean}`);
}

test('chorus-cvr/main: every method and the ceiling, A/B entries the report reads, Ali-CCP skipped with the message', async () => {
  const missing = join(out, 'no-ali-ccp');
  const run = await runPipeline('chorus-cvr/main', { ...RUN, config: { ...TINY, seeds: [1, 2], aliCcp: { dir: missing }, ab: { requests: 20, bootstrap: 50 } } });
  assert.equal(run.tables.length, 1, 'no Ali-CCP table without the files');
  const [t] = run.tables;
  assertMethods(t, MAIN_METHODS.map((m) => m.label), ['ctr_auc', 'cvr_auc', 'ctcvr_auc', 'cvr_auc_entire', 'cvr_logloss']);
  assert.ok(['ESMM', 'ESCM2-IPS', 'DCMT', 'ChorusCVR'].every((m) => t.rows.some((r) => r.method === m)), 'method names match the paper-number registry');
  assert.equal(t.base, 'DCMT');
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  for (const m of t.metrics) assert.ok(Number.isFinite(t.references[0].values[m.name]), `ceiling of ${m.name}`);
  const chorus = t.rows.find((r) => r.method === 'ChorusCVR');
  assert.ok(chorus && chorus.cells.cvr_auc_entire.pValue !== null, 'two seeds give a paired t-test against DCMT');
  assert.match(run.markdown, /Ordering on cvr_auc_entire/);
  assert.match(run.markdown, /ChorusCVR vs DCMT on cvr_auc_entire: gap [-+]\d\.\d{4} vs seed std/);

  const results = resultsOf(run.dir);
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

test('chorus-cvr/main on Ali-CCP files (processed layout): a second table, trained by streaming chunks', async () => {
  const dir = join(out, 'ali-ccp');
  writeProcessedAliCcp(dir);
  const models = MAIN_METHODS.filter((m) => m.label === 'DCMT' || m.label === 'ChorusCVR');
  const aliCcp = { dir, chunkRows: 256, batchSize: 128, maxTrainRows: null, maxTestRows: null };
  const run = await runPipeline('chorus-cvr/main', { ...RUN, config: { ...TINY, models, seeds: [1, 2], aliCcp, ab: { requests: 10, bootstrap: 20 } } });
  assert.equal(run.tables.length, 2);
  assert.match(run.tables[1].title, /on Ali-CCP \(processed layout, 2 seeds/);
  assertMethods(run.tables[1], ['DCMT', 'ChorusCVR'], ['ctr_auc', 'cvr_auc', 'ctcvr_auc', 'cvr_logloss']);
  const ali = resultsOf(run.dir).aliCcp as { skipped: boolean; dropped: number };
  assert.deepEqual([ali.skipped, ali.dropped], [false, 0]);
});

test('chorus-cvr/bias-sweep: one column per level, every method, the ceiling per level', async () => {
  const run = await runPipeline('chorus-cvr/bias-sweep', { ...RUN, config: { ...TINY, levels: [0, 3] } });
  const [t] = run.tables;
  assertMethods(t, ['Naive CVR', 'ESMM', 'DCMT', 'ChorusCVR'], ['bias=0', 'bias=3']);
  const ceiling = t.references[0].values;
  assert.ok((ceiling['bias=3'] as number) > (ceiling['bias=0'] as number), 'the ceiling rises with the bias in this world');
  const rates = resultsOf(run.dir).funnelByBias as Array<{ level: number; cvrClicked: number; cvrExposure: number }>;
  assert.deepEqual(rates.map((r) => r.level), [0, 3]);
  assert.ok(rates[1].cvrClicked - rates[1].cvrExposure > rates[0].cvrClicked - rates[0].cvrExposure, 'bias widens the clicked-vs-exposure CVR gap');
  for (const f of ['cvr-auc-entire-by-bias.html', 'funnel-by-bias.html']) assert.ok(existsSync(join(run.dir, 'figures', f)), f);
});

test('chorus-cvr/ablation: the full model and every variant with a paired test against it', async () => {
  const run = await runPipeline('chorus-cvr/ablation', { ...RUN, config: { ...TINY, seeds: [1, 2] } });
  const [t] = run.tables;
  assertMethods(t, ABLATION_VARIANTS.map((v) => v.label), ['cvr_auc', 'ctcvr_auc', 'cvr_auc_entire']);
  assert.equal(t.base, 'ChorusCVR');
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  assert.ok(t.rows.slice(1).every((r) => r.cells.cvr_auc_entire.pValue !== null || r.cells.cvr_auc_entire.std === 0));
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
