/**
 * The unicdr pipelines end to end at a tiny size through `runPipeline` (tiny worlds, 1 epoch, fewer negatives so the
 * catalogues can be small): per-scenario tables (id = scenario) with every method, summary, cold-start and
 * full-ranking columns and the oracle row; records with per-user SEs, rows, positives and the still-improving flag;
 * summaries that leave out domains with too few test users (or flag the summary when none qualifies); the ablation's
 * variants; the public pipeline skipping with the how-to message when the files are absent and building a table from
 * the fixtures when present; strict configs; every declared claim refers to records a quick run produces (no claim is
 * 'not measured'); evidence defaults have >= 5 distinct seeds, early stopping and pass the schema. Smoke tests of the
 * wiring: the numbers are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunRecord } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { MAIN_CDR_METHODS } from '../../src/pipelines/unicdr/common.ts';
import { ABLATION_CDR_VARIANTS } from '../../src/pipelines/unicdr/ablation.ts';
import { unicdrMainDefaults } from '../../src/pipelines/unicdr/main.ts';
import type { Claim } from '../../src/evidence/claims.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-unicdr-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const WORLD = { users: 120, items: 90, interactions: 6 };
const SETTINGS = { dim: 8, negatives: 29, trainer: { epochs: 1, batchSize: 256, validNegatives: 19 } };

/** Every claim on a table the run produced (or on its paired gains, variant '<table> vs <base>') has records on both sides; none of them is 'not measured'. */
function assertClaimsMeasured(run: RunRecord, claims: Claim[], tables = run.tables.map((t) => t.id)): void {
  const ofTables = (c: Claim) => tables.includes(c.table) || (c.table === 'gain' && tables.some((t) => (c.variant ?? '').startsWith(`${t} vs `)));
  const mine = claims.filter(ofTables);
  assert.ok(mine.length > 0, `${run.pipeline}: claims on the tables ${tables.join(', ')}`);
  for (const c of mine) {
    const has = (method: string) => run.records.some((r) => r.table === c.table && r.metric === c.metric && r.method === method && r.split === (c.split ?? 'test') && r.variant === (c.variant ?? '') && r.knob === (c.knob ?? ''));
    assert.ok(has(c.method), `claim ${c.id}: no records of ${c.method} in table '${c.table}', metric '${c.metric}'`);
    assert.ok(has(c.base), `claim ${c.id}: no records of ${c.base} in table '${c.table}', metric '${c.metric}'`);
  }
  for (const v of run.verdicts.filter((x) => ofTables(x.claim))) assert.notEqual(v.verdict, 'not measured', `${v.claim.id}: ${v.reason}`);
}

test('unicdr/main: quick defaults are the four scenarios, 999 negatives, 3 seeds, full ranking for multi-user-intra', () => {
  const d = unicdrMainDefaults('quick');
  assert.deepEqual(d.scenarios.map((s) => [s.scenario, s.fullRanking]), [['dual-user-intra', false], ['dual-user-inter', false], ['multi-item-intra', false], ['multi-user-intra', true]]);
  assert.equal(d.settings.negatives, 999);
  assert.deepEqual(d.seeds, [1, 2, 3]);
  assert.equal((d.settings.trainer as { epochs: number }).epochs, 3, 'quick stays a smoke test');
});

test('unicdr pipelines: evidence defaults have >= 5 distinct seeds, early stopping with room for it, the fixed base, and pass the schema', () => {
  for (const name of ['unicdr/main', 'unicdr/ablation', 'unicdr/public']) {
    const spec = getPipeline(name);
    for (const mode of ['evidence', 'paper'] as const) {
      const c = spec.schema.parse(spec.defaults(mode)) as { seeds: number[]; base: string; settings: { trainer: { epochs: number; patience: number } } };
      assert.ok(c.seeds.length >= 5 && new Set(c.seeds).size === c.seeds.length, `${name} ${mode}: seeds ${c.seeds}`);
      assert.ok(c.settings.trainer.patience >= 2 && c.settings.trainer.epochs >= 4 * c.settings.trainer.patience, `${name} ${mode}: patience ${c.settings.trainer.patience} of ${c.settings.trainer.epochs} epochs`);
      assert.equal(c.base, name === 'unicdr/ablation' ? 'UniCDR+ (all five)' : 'UniCDR');
    }
  }
});

test('unicdr/main: per-scenario tables (id = scenario), every method, summary, cold-start and full-ranking columns, evidence records, oracle row, chart, claims', async () => {
  const run = await runPipeline('unicdr/main', { ...RUN, config: {
    scenarios: [
      { scenario: 'dual-user-inter', world: WORLD, fullRanking: false }, { scenario: 'multi-item-intra', world: { ...WORLD, domains: 2 }, fullRanking: true },
      { scenario: 'dual-user-intra', world: WORLD, fullRanking: false }, { scenario: 'multi-user-intra', world: WORLD, fullRanking: true },
    ],
    settings: SETTINGS, seeds: [1, 2],
  } });
  assert.deepEqual(run.tables.map((t) => t.id), ['dual-user-inter', 'multi-item-intra', 'dual-user-intra', 'multi-user-intra']);
  const [inter, item] = run.tables;
  assert.deepEqual(inter.rows.map((r) => r.method), MAIN_CDR_METHODS.map((m) => m.label));
  assert.deepEqual(inter.metrics.map((m) => m.name), [
    'hr10_mean', 'ndcg10_mean', 'hr10_cold_mean', 'ndcg10_cold_mean', 'hr10_d1', 'ndcg10_d1', 'hr10_cold_d1', 'ndcg10_cold_d1', 'hr10_d2', 'ndcg10_d2', 'hr10_cold_d2', 'ndcg10_cold_d2',
  ]);
  for (const r of run.records.filter((x) => x.table === 'dual-user-inter')) {
    assert.ok(r.rows !== null && r.rows > 0 && r.positives === r.rows && r.se !== null && r.se >= 0 && typeof r.stillImproving === 'boolean', `${r.method} ${r.metric}`);
  }
  const rec = (metric: string) => run.records.find((r) => r.table === 'dual-user-inter' && r.method === 'UniCDR' && r.metric === metric && r.seed === 1);
  const [d1, d2, mean] = ['hr10_d1', 'hr10_d2', 'hr10_mean'].map((m) => rec(m) as NonNullable<ReturnType<typeof rec>>);
  assert.ok(Math.abs(mean.value - (d1.value + d2.value) / 2) < 1e-12, 'the summary is the mean over domains (none reliable at this size: all of them)');
  assert.equal(mean.positives, Math.min(d1.positives as number, d2.positives as number), 'an all-unreliable summary keeps the smallest domain count, so it stays flagged');
  assert.match(run.markdown, /hr10_mean \/ ndcg10_mean: mean over every domain \(d1, d2\) — none has 100 test users/);
  assert.match(run.markdown, /Unreliable \(fewer than 100 test positives/);
  assert.equal(inter.references[0].label, 'oracle (true preference)');
  for (const m of inter.metrics) {
    const o = inter.references[0].values[m.name] as number;
    assert.ok(o > 0 && o <= 1, `oracle ${m.name} = ${o}`);
    for (const r of inter.rows) assert.ok(r.cells[m.name].mean >= 0 && r.cells[m.name].mean <= 1 && r.cells[m.name].n === 2);
  }
  assert.ok(item.metrics.some((m) => m.name === 'hr10_full_d1'), 'full-ranking columns');
  assert.ok(!item.rows.some((r) => r.method === 'EMCDR' || r.method === 'PTUPCDR'), 'mapping baselines need overlapping users');
  assert.match(run.markdown, /EMCDR, PTUPCDR: not run/);
  assert.match(run.markdown, /29 sampled negatives \(items the user never interacted with/);
  assert.ok(run.tables[3].metrics.some((m) => m.name === 'hr10_full_mean'), 'multi-user-intra has the full-ranking summary');
  const html = readFileSync(join(run.dir, 'figures', 'hr10-per-scenario.html'), 'utf8');
  assert.match(html, /dual-user-inter/);
  assertClaimsMeasured(run, getPipeline('unicdr/main').claims ?? []);
  assert.equal(run.verdicts.length, (getPipeline('unicdr/main').claims ?? []).length);
  const results = JSON.parse(readFileSync(join(run.dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> };
  assert.ok(!('perScenario' in results.results) && !JSON.stringify(results.results).includes('perSeed'), 'no per-seed keys in results');
  await assert.rejects(runPipeline('unicdr/main', { ...RUN, config: { seedz: [1] } }), /seedz/);
});

test('unicdr summaries use only domains with enough test users and say which were left out', async () => {
  // d1 and d2 have about 120 test users each at this size; with the threshold at 100 both qualify, at 10 000 none.
  const big = { users: 300, items: 90, interactions: 6 };
  const run = await runPipeline('unicdr/main', { ...RUN, config: { scenarios: [{ scenario: 'dual-user-intra', world: big, fullRanking: false }], methods: [MAIN_CDR_METHODS[0], MAIN_CDR_METHODS[4]], settings: SETTINGS, seeds: [1] } });
  const rs = (m: string) => run.records.find((r) => r.method === 'UniCDR' && r.metric === m) as NonNullable<RunRecord['records'][number]>;
  const [d1, d2, mean] = [rs('hr10_d1'), rs('hr10_d2'), rs('hr10_mean')];
  const reliable = [d1, d2].filter((r) => (r.positives as number) >= 100);
  assert.ok(reliable.length >= 1, `test users ${d1.positives}, ${d2.positives}`);
  assert.ok(Math.abs(mean.value - reliable.reduce((a, r) => a + r.value, 0) / reliable.length) < 1e-12);
  assert.equal(mean.positives, reliable.reduce((a, r) => a + (r.positives as number), 0));
  assert.ok(Math.abs((mean.se as number) - Math.sqrt(reliable.reduce((a, r) => a + (r.se as number) ** 2, 0)) / reliable.length) < 1e-12);
  assert.match(run.markdown, /hr10_mean \/ ndcg10_mean: mean over the reliable domains/);
});

test('unicdr/ablation: UniCDR+ with each extension removed and the three aggregators; claims measured', async () => {
  const run = await runPipeline('unicdr/ablation', { ...RUN, config: { world: WORLD, settings: { ...SETTINGS, ease: { lambda: 5, threshold: 0.01 } }, seeds: [1] } });
  const [t] = run.tables;
  assert.equal(t.id, 'ablation');
  assertClaimsMeasured(run, getPipeline('unicdr/ablation').claims ?? []);
  assert.ok(existsSync(join(run.dir, 'figures', 'ablation-hr10.html')), 'a one-seed bar chart (no std) is drawn');
  assert.deepEqual(t.rows.map((r) => r.method), ABLATION_CDR_VARIANTS.map((v) => v.label));
  assert.equal(t.base, 'UniCDR+ (all five)');
  assert.ok(['w/o feature engineering', 'w/o item-level graph', 'w/o sequence aggregator', 'w/o soft contrastive (hard critic)', 'w/o MMoE head'].every((m) => t.rows.some((r) => r.method === m)));
  assert.match(run.markdown, /Claims and verdicts/);
});

test('unicdr/public: skipped with the how-to message when absent; a table from the fixtures when present', async () => {
  const missing = await runPipeline('unicdr/public', { ...RUN, config: { dir: join(out, 'none'), pairs: [['sport', 'cloth']] } });
  assert.equal(missing.tables.length, 0);
  const res = JSON.parse(readFileSync(join(missing.dir, 'results.json'), 'utf8')) as { results: { pairs: Record<string, { skipped: boolean; message: string }> } };
  assert.equal(res.results.pairs.sport_cloth.skipped, true);
  assert.match(res.results.pairs.sport_cloth.message, /cjx96\/CDRIB/);
  const fix = join(import.meta.dirname, '../fixtures/cdr-text');
  const run = await runPipeline('unicdr/public', { ...RUN, config: { dir: fix, pairs: [['sport', 'cloth']], methods: MAIN_CDR_METHODS, settings: SETTINGS } });
  assert.equal(run.tables.length, 1);
  assert.equal(run.tables[0].id, 'sport_cloth');
  assertClaimsMeasured(run, getPipeline('unicdr/public').claims ?? []);
  assert.ok(run.tables[0].metrics.some((m) => m.name === 'hr10_cold_cloth'), 'cold-start users of cloth');
  assert.equal(run.tables[0].references.length, 0, 'no oracle on public data');
});
