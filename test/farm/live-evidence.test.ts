/**
 * The live-world evidence helpers (src/pipelines/farm/live-evidence.ts) on hand-made data: the reliable-task rule for
 * summaries and monitors (threshold, fallback to the task with the most positives, the reason per left-out task), the
 * summary's value and SE (√(Σ se_k²)/K over the reliable tasks only), and the comparison table (columns, extra records
 * of unreliable tasks' UAUC / GAUC, still-improving flags, selection records, knobs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../../src/data/dataset.ts';
import type { Schema } from '../../src/data/schema.ts';
import { Rng } from '../../src/random.ts';
import { deLongMeanAuc } from '../../src/evidence/stats.ts';
import { SUMMARY_GAIN, gainsAgainstBase, liveComparisonTable, meanAucEvidence, pairedMeanAucGain, pairedSummaryGainRecords, summaryNote, summaryTasks, taskEvidence, withKnob, type LiveFit } from '../../src/pipelines/farm/live-evidence.ts';
import { judgeClaims } from '../../src/evidence/claims.ts';

const N = 2000;
const schema: Schema = { features: [{ kind: 'categorical', name: 'user_id', vocab: 200 }], labels: ['click', 'like', 'gift'], userId: 'user_id' };
/** click ~ 30% (600 positives), like 150 positives, gift 12 positives. */
function data(seed = 1): { ds: Dataset; probs: (s: number) => Record<string, Float32Array> } {
  const rng = new Rng(seed);
  const user = Int32Array.from({ length: N }, () => 1 + Math.floor(rng.uniform() * 199));
  const label = (k: number) => Float32Array.from({ length: N }, (_, i) => (i % N < k ? 1 : 0));
  const cols = { user_id: user, click: label(600), like: label(150), gift: label(12) };
  const ds = Dataset.fromColumns(schema, cols);
  const probs = (s: number) => {
    const r = new Rng(100 + s);
    return Object.fromEntries(schema.labels.map((t) => [t, Float32Array.from(ds.label(t), (y) => (0.3 * y + r.uniform()) / 1.3)]));
  };
  return { ds, probs };
}

test('summaryTasks: tasks with >= minPositives positives; the others left out with their count; fallback to the most positives', () => {
  const { ds } = data();
  const s = summaryTasks(ds, ['click', 'like', 'gift']);
  assert.deepEqual(s.tasks, ['click', 'like']);
  assert.deepEqual(s.excluded, [{ task: 'gift', positives: 12, reason: '12 test positives < 100' }]);
  assert.equal(s.fallback, false);
  assert.match(summaryNote(s, 'The summary'), /click \(600\), like \(150\)\. Unreliable, so shown per task but left out of the summary and the verdicts: gift \(12 test positives < 100\)/);
  const v = summaryTasks(ds, ['click', 'like', 'gift'], 1000, 'valid');
  assert.deepEqual(v.tasks, ['click']);
  assert.equal(v.fallback, true);
  assert.deepEqual(v.excluded.map((e) => e.reason), ['150 valid positives < 1000', '12 valid positives < 1000']);
  assert.match(summaryNote(v, 'The monitor'), /no task has 1000 valid positives, so it uses click \(600\)/);
});

test('meanAucEvidence: mean of the tasks\' AUCs, SE with the tasks\' covariance (deLongMeanAuc), the fewest positives; copied evidence falls back to sqrt(sum se_k^2)/K; a task without an AUC is an error', () => {
  const { ds, probs } = data();
  const ev = taskEvidence(ds, probs(1));
  for (const t of ['click', 'like', 'gift']) {
    const a = ev[t].auc;
    assert.ok(a && a.se > 0 && a.rows === N);
  }
  const m = meanAucEvidence(ev, ['click', 'like']);
  const [a, b] = [ev.click.auc, ev.like.auc];
  assert.ok(a && b);
  assert.ok(Math.abs(m.value - (a.value + b.value) / 2) < 1e-15);
  const p1 = probs(1);
  const want = deLongMeanAuc([{ labels: ds.label('click'), a: p1.click }, { labels: ds.label('like'), a: p1.like }]);
  assert.ok(Math.abs(m.se - want.se) < 1e-12, `se ${m.se} = deLongMeanAuc's ${want.se}`);
  assert.ok(m.se > Math.sqrt(a.se ** 2 + b.se ** 2) / 2, 'the like rows are click rows here: positively correlated AUC errors, so above the independence form');
  const copied = meanAucEvidence(structuredClone(ev), ['click', 'like']);
  assert.ok(Math.abs(copied.se - Math.sqrt(a.se ** 2 + b.se ** 2) / 2) < 1e-15, 'evidence without influences: the independence form');
  assert.equal(m.positives, 150);
  const none = taskEvidence(ds, { click: probs(1).click, gift: probs(1).gift });
  const empty = Dataset.fromColumns(schema, { user_id: ds.column('user_id'), click: new Float32Array(N), like: ds.label('like'), gift: ds.label('gift') });
  const e2 = taskEvidence(empty, { click: probs(1).click });
  assert.equal(e2.click.auc, null, 'one class only: no AUC');
  assert.throws(() => meanAucEvidence(e2, ['click']), /task 'click' has no AUC/);
  assert.ok(none.gift.auc);
});

test('pairedMeanAucGain / pairedSummaryGainRecords: the paired difference on the same rows with deLongMeanAuc\'s SE; other rows or copied evidence give none', () => {
  const { ds, probs } = data();
  const [pa, pb] = [probs(1), probs(2)];
  const [ea, eb] = [taskEvidence(ds, pa), taskEvidence(ds, pb)];
  const g = pairedMeanAucGain(ea, eb, ['click', 'like']);
  const want = deLongMeanAuc(['click', 'like'].map((t) => ({ labels: ds.label(t), a: pa[t], b: pb[t] })));
  assert.ok(g && Math.abs(g.value - want.value) < 1e-12 && Math.abs(g.se - want.se) < 1e-12, `${JSON.stringify(g)} vs ${JSON.stringify(want)}`);
  assert.ok(Math.abs(g.value - (meanAucEvidence(ea, ['click', 'like']).value - meanAucEvidence(eb, ['click', 'like']).value)) < 1e-12);
  assert.equal(pairedMeanAucGain(ea, structuredClone(eb), ['click', 'like']), null);
  const fewer = Dataset.fromColumns(schema, Object.fromEntries(['user_id', ...schema.labels].map((c) => [c, ds.column(c).subarray(0, N - 10)])));
  const ef = taskEvidence(fewer, Object.fromEntries(schema.labels.map((t) => [t, pa[t].subarray(0, N - 10)])));
  assert.equal(pairedMeanAucGain(ea, ef, ['click', 'like']), null, 'different test rows: no paired gain');
  const fit = (e: typeof ea, bestEpoch: number): LiveFit => ({ evidence: e, bestEpoch, epochsAllowed: 5, validBest: 0.6, seconds: 1 });
  const recs = pairedSummaryGainRecords([fit(ea, 4)], [fit(eb, 1)], ['click', 'like'], 'A', 'k=1', [9]);
  assert.equal(recs.length, 1);
  assert.deepEqual({ ...recs[0], value: 0, se: 0 }, { pipeline: '', run: '', table: 'gain', method: 'A', variant: '', knob: 'k=1', metric: 'mean_auc_reliable_gain', split: 'test', seed: 9, value: 0, rows: N, positives: 150, se: 0, stillImproving: true });
  assert.ok(Math.abs((recs[0].value) - g.value) < 1e-15 && Math.abs((recs[0].se ?? NaN) - g.se) < 1e-15);
  assert.throws(() => pairedSummaryGainRecords([fit(ea, 1)], [], ['click'], 'A', 'k=1', [9]), /needs one fit per seed on both sides/);
});

test('liveComparisonTable: summary + per-task columns, unreliable UAUC/GAUC as extra records, flags and selection records', () => {
  const { ds, probs } = data();
  const summary = summaryTasks(ds, ['click', 'like', 'gift']);
  const fit = (s: number, bestEpoch: number): LiveFit => ({ evidence: taskEvidence(ds, probs(s)), bestEpoch, epochsAllowed: 5, validBest: 0.6, seconds: 1 });
  const { table, records } = liveComparisonTable({ id: 'main', title: 'T', base: 'B', methods: ['A', 'B'], seeds: [1, 2], fits: [[fit(1, 4), fit(2, 1)], [fit(3, 2), fit(4, 2)]], tasks: ['click', 'like', 'gift'], summary });
  assert.deepEqual(table.metrics.map((m) => m.name), ['mean_auc_reliable', 'auc_click', 'auc_like', 'auc_gift', 'uauc_click', 'gauc_click', 'uauc_like', 'gauc_like']);
  assert.deepEqual(table.rows.map((r) => r.stillImproving), [[1], []], 'A seed 1 was best at its last allowed epoch');
  const s = table.records.find((r) => r.method === 'A' && r.seed === 2 && r.metric === 'mean_auc_reliable');
  assert.ok(s && s.positives === 150 && s.rows === N && s.stillImproving === false);
  assert.deepEqual([...new Set(records.filter((r) => r.table === 'main').map((r) => r.metric))], ['uauc_gift', 'gauc_gift']);
  assert.equal(records.filter((r) => r.table === 'selection' && r.metric === 'best_epoch').length, 4);
  assert.ok(table.rows[0].cells.mean_auc_reliable.comparison !== null && table.rows[1].cells.mean_auc_reliable.comparison === null);
  assert.ok(table.notes.some((n) => n.includes('gift (12 test positives < 100)')));
  assert.ok(withKnob(table.records, 'live_share=0.05').every((r) => r.knob === 'live_share=0.05'));
  assert.deepEqual(records.filter((r) => r.table === 'gain').map((r) => `${r.method} s${r.seed}`), ['A s1', 'A s2', 'B s1', 'B s2'], 'gain records against the base, the base\'s own 0 beside');
  assert.throws(() => liveComparisonTable({ id: 'main', title: 'T', base: 'B', methods: ['A', 'B'], seeds: [1, 2], fits: [[fit(1, 1)], [fit(2, 1)]], tasks: ['click'], summary }), /one fit per method and seed/);
});

test('gainsAgainstBase: paired gains per method and seed with the base\'s own 0; copied evidence falls back to the unpaired SE; a claim on table gain judges the paired SE', () => {
  const { ds, probs } = data();
  const tasks = ['click', 'like'];
  const fit = (e: ReturnType<typeof taskEvidence>): LiveFit => ({ evidence: e, bestEpoch: 1, epochsAllowed: 5, validBest: 0.6, seconds: 1 });
  // A = B's scores plus a little noise: strongly correlated scorers, where pairing matters.
  const pb = probs(2);
  const r = new Rng(7);
  const pa = Object.fromEntries(Object.entries(pb).map(([t, p]) => [t, Float32Array.from(p, (x, i) => 0.95 * x + 0.02 * r.uniform() + (ds.label(t)[i] ? 0.01 : 0))]));
  const [ea, eb] = [taskEvidence(ds, pa), taskEvidence(ds, pb)];
  const recs = gainsAgainstBase([[fit(ea)], [fit(eb)]], ['A', 'B'], 'B', tasks, [3], 'k');
  const a = recs.find((x) => x.method === 'A')!;
  const b = recs.find((x) => x.method === 'B')!;
  const unpaired = Math.hypot(meanAucEvidence(ea, tasks).se, meanAucEvidence(eb, tasks).se);
  assert.ok(Math.abs(a.value - (meanAucEvidence(ea, tasks).value - meanAucEvidence(eb, tasks).value)) < 1e-12, 'the gain is the difference of the summaries');
  assert.ok(a.se !== null && a.se < unpaired / 3, `paired SE ${a.se} well below the unpaired ${unpaired}`);
  assert.deepEqual([a.table, a.metric, a.knob, b.value, b.se, b.seed], ['gain', SUMMARY_GAIN, 'k', 0, 0, 3]);
  const ec = structuredClone(ea);
  const copied = gainsAgainstBase([[fit(ec)], [fit(eb)]], ['A', 'B'], 'B', tasks, [3]);
  const c = copied.find((x) => x.method === 'A')!;
  assert.ok(Math.abs((c.se ?? NaN) - Math.hypot(meanAucEvidence(ec, tasks).se, meanAucEvidence(eb, tasks).se)) < 1e-12, 'without influences: the two SEs in quadrature');
  const claim = { id: 'x', text: 'A beats B', source: 'test', table: 'gain', metric: SUMMARY_GAIN, knob: 'k', method: 'A', base: 'B', direction: 'higher' as const };
  const [v] = judgeClaims([claim], recs);
  assert.ok(v.comparison && Math.abs(v.comparison.se - (a.se as number)) < 1e-9, `the verdict's SE is the paired one (${v.comparison?.se} vs ${a.se})`);
  assert.throws(() => gainsAgainstBase([[fit(ea)], [fit(eb)]], ['A', 'B'], 'C', tasks, [3]), /base 'C' is not one of the methods/);
});
