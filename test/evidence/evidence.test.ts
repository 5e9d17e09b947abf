/**
 * The evidence layer: golden intervals (DeLong, paired bootstrap, seeds + test combination, MDE) against
 * test/golden/evidence_reference.py, the MDE against its closed form, verdicts on synthetic records (planted effect ->
 * agrees, no effect -> cannot tell, reversed -> disagrees), duplicate and too few seeds, the reliable-task rule, the
 * records CSV round trip, and the table's one-seed and unreliable-task wording.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { combineSeedsAndTest, deLongAuc, deLongMeanAuc, deLongPaired, minimumDetectableEffect, normalCdf, pairedBootstrap, tQuantile } from '../../src/evidence/stats.ts';
import { checkSeeds, meanSe, reliableTasks, stillImproving } from '../../src/evidence/rules.ts';
import { judgeClaim, judgeClaims, type Claim } from '../../src/evidence/claims.ts';
import { parseRecordsCsv, recordsToCsv, select, type ResultRecord } from '../../src/evidence/records.ts';
import { buildResultTable, tableToMarkdown } from '../../src/pipelines/result-table.ts';
import { auc } from '../../src/metrics/index.ts';
import { Rng } from '../../src/random.ts';

interface Fixture {
  labels: number[];
  a: number[];
  b: number[];
  units: number[];
  delong: { auc: number; variance: number };
  delong_paired: { diff: number; variance: number };
  bootstrap: { draws: number[][]; value: number; variance: number; ci: [number, number] };
  combined: { diffs: number[]; test_variances: number[]; diff: number; se: number; df: number; ci: [number, number]; p: number; mde: number };
  mde_normal: { se: number; mde: number };
  quantiles: { t4_975: number; norm_975: number; norm_cdf_m2_5: number };
}
const fx = JSON.parse(readFileSync(join(import.meta.dirname, '../golden/fixtures/evidence.json'), 'utf8')) as Fixture;

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs reference ${expected} (tol ${tol})`);

test('golden (evidence_reference.py): DeLong AUC variance and paired difference variance, 1e-9', () => {
  const one = deLongAuc(fx.labels, fx.a);
  close(one.value, fx.delong.auc, 1e-12, 'AUC');
  close(one.variance, fx.delong.variance, 1e-9, 'Var(AUC)');
  const pair = deLongPaired(fx.labels, fx.a, fx.b);
  close(pair.value, fx.delong_paired.diff, 1e-12, 'AUC difference');
  close(pair.variance, fx.delong_paired.variance, 1e-9, 'Var(AUC_a - AUC_b)');
  assert.ok(pair.variance < one.variance + deLongAuc(fx.labels, fx.b).variance, 'pairing removes the shared part of the variance');
});

test('golden (evidence_reference.py): paired bootstrap over units replays the same draws to 1e-6', () => {

  const pick = (xs: number[], rows: Int32Array) => Float64Array.from(rows, (i) => xs[i]);
  const r = pairedBootstrap(fx.units, (rows) => auc(pick(fx.labels, rows), pick(fx.a, rows)) - auc(pick(fx.labels, rows), pick(fx.b, rows)), { draws: fx.bootstrap.draws });
  close(r.value, fx.bootstrap.value, 1e-12, 'full-sample difference');
  close(r.variance, fx.bootstrap.variance, 1e-6, 'bootstrap variance');
  close(r.ci[0], fx.bootstrap.ci[0], 1e-6, 'CI low');
  close(r.ci[1], fx.bootstrap.ci[1], 1e-6, 'CI high');
  assert.equal(r.replicates, fx.bootstrap.draws.length);
  const own = pairedBootstrap(fx.units, (rows) => rows.length, { replicates: 50, seed: 3 });
  assert.equal(own.replicates, 50);
  assert.throws(() => pairedBootstrap([1, 1, 1], () => 0), /at least 2 units/);
});

test('golden (evidence_reference.py): seed variance + test variance, Welch-Satterthwaite df, t interval, p, MDE', () => {
  const c = combineSeedsAndTest(fx.combined.diffs, fx.combined.test_variances);
  close(c.diff, fx.combined.diff, 1e-12, 'mean difference');
  close(c.se, fx.combined.se, 1e-12, 'se');
  close(c.df, fx.combined.df, 1e-9, 'df');
  close(c.ci[0], fx.combined.ci[0], 1e-9, 'CI low');
  close(c.ci[1], fx.combined.ci[1], 1e-9, 'CI high');
  close(c.p as number, fx.combined.p, 1e-9, 'p');
  close(c.mde, fx.combined.mde, 1e-9, 'MDE');
});

test('quantiles and the normal CDF against SciPy; MDE against its closed form (2.8016 SE at alpha 0.05, power 0.8)', () => {
  close(tQuantile(0.975, 4), fx.quantiles.t4_975, 1e-9, 't_4 quantile');
  close(tQuantile(0.975, Infinity), fx.quantiles.norm_975, 1e-9, 'normal quantile');
  close(normalCdf(-2.5), fx.quantiles.norm_cdf_m2_5, 1e-14, 'Phi(-2.5)');
  close(minimumDetectableEffect(fx.mde_normal.se), fx.mde_normal.mde, 1e-10, 'MDE');
  close(minimumDetectableEffect(1), 1.959963984540054 + 0.8416212335729143, 1e-9, 'MDE factor');
  assert.ok(minimumDetectableEffect(1, { df: 4 }) > minimumDetectableEffect(1), 'few degrees of freedom widen the MDE');
});

test('one seed: no test (p null) but the test-set interval remains when an SE is known; none without it', () => {
  const withSe = combineSeedsAndTest([0.01], [1e-6]);
  assert.equal(withSe.p, null);
  close(withSe.se, 1e-3, 1e-15, 'se from the test set alone');
  const without = combineSeedsAndTest([0.01], null);
  assert.equal(without.p, null);
  assert.ok(Number.isNaN(without.se));
});

function recordsFor(method: string, values: number[], se: number | null, extra: Partial<ResultRecord> = {}): ResultRecord[] {
  return values.map((value, i) => ({ pipeline: 'p', run: 'r', table: 'main', method, variant: '', knob: '', metric: 'auc', split: 'test', seed: i + 1, value, rows: 20000, positives: 4000, se, stillImproving: false, ...extra }));
}

const CLAIM: Claim = { id: 'x-beats-base', text: 'X beats Base', source: 'synthetic', table: 'main', metric: 'auc', method: 'X', base: 'Base', direction: 'higher' };

test('verdicts on synthetic records: planted effect -> agrees, zero effect -> cannot tell, reversed -> disagrees', () => {
  const rng = new Rng(11);
  const noise = () => (rng.uniform() - 0.5) * 0.002;
  const base = Array.from({ length: 5 }, () => 0.7 + noise());
  const planted = base.map((b) => b + 0.02 + noise());
  const none = base.map((b) => b + noise());
  const reversed = base.map((b) => b - 0.02 + noise());
  const judge = (xs: number[]) => judgeClaim(CLAIM, [...recordsFor('Base', base, 0.002), ...recordsFor('X', xs, 0.002)]);
  assert.equal(judge(planted).verdict, 'agrees');
  const nil = judge(none);
  assert.equal(nil.verdict, 'cannot tell');
  assert.ok(Math.abs(nil.comparison?.diff ?? 1) < (nil.comparison?.mde ?? 0), 'a nil effect lies below the MDE');
  assert.match(nil.reason, /MDE/);
  assert.equal(judge(reversed).verdict, 'disagrees');
  const lower = judgeClaim({ ...CLAIM, direction: 'lower' }, [...recordsFor('Base', base, 0.002), ...recordsFor('X', reversed, 0.002)]);
  assert.equal(lower.verdict, 'agrees', "a claimed decrease that happened agrees");
});

test('verdicts: test-set noise can turn a seed-consistent gap into cannot tell; unreliable and missing sides say why', () => {
  const base = [0.70, 0.701, 0.699, 0.7005, 0.7];
  const x = base.map((b) => b + 0.004);
  assert.equal(judgeClaim(CLAIM, [...recordsFor('Base', base, null), ...recordsFor('X', x, null)]).verdict, 'agrees', 'seed variance alone: consistent gap');
  assert.equal(judgeClaim(CLAIM, [...recordsFor('Base', base, 0.01), ...recordsFor('X', x, 0.01)]).verdict, 'cannot tell', 'a test SE of 0.01 swamps a 0.004 gap');
  const few = judgeClaim(CLAIM, [...recordsFor('Base', base, 0.001, { positives: 7 }), ...recordsFor('X', x.map((v) => v + 0.1), 0.001, { positives: 7 })]);
  assert.equal(few.verdict, 'cannot tell');
  assert.match(few.reason, /unreliable: 7 test positives < 100/);
  const missing = judgeClaim(CLAIM, recordsFor('Base', base, 0.001));
  assert.equal(missing.verdict, 'not measured');
  assert.match(missing.reason, /no records for X/);
  const one = judgeClaim(CLAIM, [...recordsFor('Base', [0.7], 0.001), ...recordsFor('X', [0.8], 0.001)]);
  assert.equal(one.verdict, 'cannot tell');
  assert.match(one.reason, /1 seed: no test/);
  assert.throws(() => judgeClaims([CLAIM, CLAIM], []), /declared twice/);
});

test('seeds: duplicates are an error in every mode; evidence mode needs 5 distinct seeds', () => {
  assert.throws(() => checkSeeds([1, 1, 1], 'quick'), /seed 1 appears 3 times/);
  assert.throws(() => checkSeeds([1, 2, 3], 'evidence'), /evidence mode needs at least 5 distinct seeds, got 3/);
  assert.throws(() => checkSeeds([1, 2, 3, 4, 4, 5], 'paper'), /seed 4 appears 2 times/);
  checkSeeds([1, 2, 3], 'quick');
  checkSeeds([1, 2, 3, 4, 5], 'evidence');
  assert.throws(() => buildResultTable({ title: 't', base: 'A', metrics: [{ name: 'auc', higherIsBetter: true }], results: [{ method: 'A', seeds: [1, 1], values: { auc: [0.7, 0.7] } }] }), /seed 1 twice/);
});

test('reliable tasks: fewer than 100 test positives are left out, with the reason; the threshold is configurable', () => {
  const r = reliableTasks({ click: 5200, like: 100, gift: 3 });
  assert.deepEqual(r.reliable, ['click', 'like']);
  assert.deepEqual(r.excluded, [{ task: 'gift', positives: 3, reason: '3 test positives < 100' }]);
  assert.deepEqual(reliableTasks({ like: 100 }, 101).reliable, []);
  assert.equal(stillImproving(5, 6), true);
  assert.equal(stillImproving(3, 6), false);
  close(meanSe([1, 0, 0, 1]), Math.sqrt(1 / 3 / 4), 1e-15, 'SE of a mean');
});

test('records: CSV round trip with quotes and nulls; a bad cell names file, line and column; select rejects repeated seeds', () => {
  const recs: ResultRecord[] = [
    { pipeline: 'a/b', run: 'r1', table: 'main', method: 'X, "quoted"', variant: '', knob: 'bias=0.5', metric: 'auc', split: 'test', seed: 1, value: 0.71, rows: 100, positives: 20, se: 0.01, stillImproving: true },
    { pipeline: 'a/b', run: 'r1', table: 'main', method: 'Y', variant: 'v', knob: '', metric: 'auc', split: 'test', seed: 2, value: 0.7, rows: null, positives: null, se: null, stillImproving: null },
  ];
  assert.deepEqual(parseRecordsCsv(recordsToCsv(recs)), recs);
  const bad = recordsToCsv(recs).replace('0.71', 'abc');
  assert.throws(() => parseRecordsCsv(bad, 'runs/x/results.csv'), /runs\/x\/results\.csv:2: column 'value' is 'abc', expected a number/);
  assert.throws(() => select([recs[1], { ...recs[1] }], { method: 'Y' }), /seed 2 appears twice/);
});

test('table: one seed prints "1 seed" and no ± or p; unreliable metrics and still-improving rows are flagged', () => {
  const one = buildResultTable({ title: 't', base: 'A', metrics: [{ name: 'auc', higherIsBetter: true }], results: [{ method: 'A', seeds: [4], values: { auc: [0.7] } }, { method: 'B', seeds: [4], values: { auc: [0.72] } }] });
  const md = tableToMarkdown(one);
  assert.match(md, /0\.7000 \(1 seed\) \(base\)/);
  assert.match(md, /1 seed: no std and no test/);
  assert.doesNotMatch(md, /±|p=/);
  const flagged = buildResultTable({
    id: 'main', title: 't', base: 'A', metrics: [{ name: 'auc_gift', higherIsBetter: true }],
    results: [
      { method: 'A', seeds: [1, 2], values: { auc_gift: [0.5, 0.6] }, positives: { auc_gift: [3, 3] }, stillImproving: [false, true] },
      { method: 'B', seeds: [1, 2], values: { auc_gift: [0.4, 0.7] }, positives: { auc_gift: [3, 3] } },
    ],
  });
  const fmd = tableToMarkdown(flagged);
  // one entry per metric, not per method
  assert.match(fmd, /Unreliable \(fewer than 100 test positives[^\n]*: auc_gift \(every method: 3 test positives\)\./);
  assert.match(fmd, /\| A † \|/);
  assert.match(fmd, /still improving.*A: seeds 2/);
  assert.equal(flagged.records.length, 4);
  assert.equal(flagged.records[0].table, 'main');
});

/** Two correlated tasks on the same rows (a 'like' is mostly a click) and two correlated scorers. */
function correlatedTasks(rng: Rng, n: number) {
  const y1 = new Float32Array(n);
  const y2 = new Float32Array(n);
  const a1 = new Float32Array(n);
  const b1 = new Float32Array(n);
  const a2 = new Float32Array(n);
  const b2 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    y1[i] = z + rng.normal() > 0.3 ? 1 : 0;
    y2[i] = y1[i] === 1 && rng.uniform() < 0.6 ? 1 : 0;
    const common = z + 0.8 * rng.normal();
    a1[i] = common + 0.5 * rng.normal();
    b1[i] = common + 0.7 * rng.normal();
    a2[i] = a1[i] + 0.3 * rng.normal();
    b2[i] = b1[i] + 0.3 * rng.normal();
  }
  return [{ labels: y1, a: a1, b: b1 }, { labels: y2, a: a2, b: b2 }];
}

test('deLongMeanAuc: one task gives DeLong exactly (alone and paired); identical tasks do not shrink the SE; rows must match', () => {
  const [t1, t2] = correlatedTasks(new Rng(3), 500);
  const one = deLongMeanAuc([{ labels: t1.labels, a: t1.a }]);
  const d = deLongAuc(t1.labels, t1.a);
  assert.ok(Math.abs(one.value - d.value) < 1e-12 && Math.abs(one.variance - d.variance) < 1e-12, `${one.variance} vs DeLong ${d.variance}`);
  const paired = deLongMeanAuc([t1]);
  const dp = deLongPaired(t1.labels, t1.a, t1.b as Float32Array);
  assert.ok(Math.abs(paired.value - dp.value) < 1e-12 && Math.abs(paired.variance - dp.variance) < 1e-12, `${paired.variance} vs DeLong paired ${dp.variance}`);
  const twice = deLongMeanAuc([t1, t1]);
  assert.ok(Math.abs(twice.se - paired.se) < 1e-12, 'the same task twice is perfectly correlated: the SE of the mean is the SE of one');
  const both = deLongMeanAuc([t1, t2]);
  const e2 = deLongPaired(t2.labels, t2.a, t2.b as Float32Array);
  assert.ok(Math.abs(both.value - (dp.value + e2.value) / 2) < 1e-12);
  assert.ok(both.se > Math.hypot(dp.se, e2.se) / 2, `correlated tasks: ${both.se} above the independence form ${Math.hypot(dp.se, e2.se) / 2}`);
  assert.throws(() => deLongMeanAuc([t1, { labels: t2.labels.subarray(1), a: t2.a.subarray(1) }]), /task 1 has 499 rows, task 0 has 500/);
  assert.throws(() => deLongMeanAuc([]), /no tasks/);
});

test('deLongMeanAuc: its SE matches the spread of the statistic over repeated samples (correlated tasks, paired scorers)', () => {
  const rng = new Rng(11);
  const values: number[] = [];
  const ses: number[] = [];
  for (let r = 0; r < 300; r++) {
    const e = deLongMeanAuc(correlatedTasks(rng, 400));
    values.push(e.value);
    ses.push(e.se);
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  const meanSeValue = ses.reduce((s, v) => s + v, 0) / ses.length;
  assert.ok(Math.abs(meanSeValue / sd - 1) < 0.15, `mean estimated SE ${meanSeValue} vs empirical SD ${sd}`);
});
