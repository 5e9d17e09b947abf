/**
 * pairedClaimGains: per claim on table 'gain' and seed, the paired DeLong gain of the method over the base with the
 * base's own 0 beside it (once per base, variant and seed); claims on other tables and methods that did not run get
 * nothing; a verdict on these records uses the paired SE; different rows on the two sides are an error.
 * pairedMeanClaimGains: the same for columns that average per-user values over parts (HR@10 over domains): the gain
 * is the parts' mean of per-user differences with their SE, known values by hand; an unreliable summary carries its
 * smallest part; parts of different sizes are an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gainVariant, pairedClaimGains, pairedMeanClaimGains, partsMean, type PartRows, type ScoredRows } from '../../src/evidence/paired-claims.ts';
import { deLongPaired } from '../../src/evidence/stats.ts';
import { judgeClaims, type Claim } from '../../src/evidence/claims.ts';
import { Rng } from '../../src/random.ts';
import { meanSe } from '../../src/evidence/rules.ts';

const rng = new Rng(11);
const n = 800;
const labels = Float32Array.from({ length: n }, () => (rng.uniform() < 0.25 ? 1 : 0));
const base = Float32Array.from(labels, (y) => 0.3 * y + rng.uniform());
// Two scorers close to the base: their gains are small, and pairing removes the shared noise.
const scores: Record<string, Float32Array[]> = {
  B: [base, Float32Array.from(base, (x) => x + 0.05 * rng.uniform())],
  A: [Float32Array.from(base, (x, i) => x + 0.08 * labels[i] + 0.1 * rng.uniform()), Float32Array.from(base, (x, i) => x + 0.08 * labels[i] + 0.1 * rng.uniform())],
  C: [Float32Array.from(base, (x) => x + 0.1 * rng.uniform()), Float32Array.from(base, (x) => x + 0.1 * rng.uniform())],
};
const scored = (m: string, s: number): ScoredRows | null => (scores[m] ? { labels, scores: scores[m][s] } : null);
const claim = (id: string, method: string, b: string, table = 'gain'): Claim => ({ id, text: id, source: 'test', table, metric: 'auc_gain', variant: gainVariant(b), method, base: b, direction: 'higher' });

test('pairedClaimGains: gains with the paired SE, one base 0 per base and seed, nothing for other tables or missing methods; the verdict uses the paired SE', () => {
  const claims = [claim('a', 'A', 'B'), claim('c', 'C', 'B'), claim('x', 'X', 'B'), claim('t', 'A', 'B', 'main')];
  const recs = pairedClaimGains(claims, [1, 2], (m, s) => scored(m, s), (m, s) => (m === 'A' && s === 1 ? true : false));
  assert.equal(recs.length, 6, 'A and C per seed, and the base once per seed');
  const a2 = recs.find((r) => r.method === 'A' && r.seed === 2)!;
  const want = deLongPaired(labels, scores.A[1], scores.B[1]);
  assert.ok(Math.abs(a2.value - want.value) < 1e-12 && Math.abs((a2.se ?? NaN) - want.se) < 1e-12);
  assert.deepEqual([a2.table, a2.metric, a2.variant, a2.positives, a2.rows, a2.stillImproving], ['gain', 'auc_gain', 'vs B', labels.reduce((s, y) => s + y, 0), n, true]);
  assert.deepEqual(recs.filter((r) => r.method === 'B').map((r) => [r.seed, r.value, r.se]), [[1, 0, 0], [2, 0, 0]]);
  const [v] = judgeClaims([claims[0]], recs);
  assert.ok(v.comparison && v.comparison.testVariance < 2 * Math.max(...recs.filter((r) => r.method === 'A').map((r) => (r.se ?? 0) ** 2)), 'the test variance is the gains\' own, not two AUC SEs added');
  assert.throws(() => pairedClaimGains([claim('a', 'A', 'B')], [1], (m) => (m === 'A' ? { labels: labels.subarray(1), scores: scores.A[0].subarray(1) } : scored(m, 0)), () => null), /'A' and 'B' seed 1 scored different auc rows/);
  assert.equal(gainVariant('B', 'dnn'), 'dnn vs B');
});

test('pairedMeanClaimGains: per seed the mean over parts of per-user differences with their SE; the verdict finds a gain the unpaired SEs hide', () => {
  // Two parts (domains) of 3 and 4 users; A hits every user B hits, plus one more in each part.
  const hits: Record<string, Float64Array[]> = {
    B: [Float64Array.of(1, 0, 0), Float64Array.of(0, 1, 0, 0)],
    A: [Float64Array.of(1, 1, 0), Float64Array.of(1, 1, 0, 0)],
  };
  const mean = (m: string): PartRows | null => (hits[m] ? { parts: hits[m], unreliable: false } : null);
  const c = { id: 'a', text: 'a', source: 'test', table: 'gain', metric: 'hr10_mean_gain', variant: gainVariant('B', 'x'), method: 'A', base: 'B', direction: 'higher' } as const;
  const recs = pairedMeanClaimGains([c, { ...c, id: 'z', method: 'Z' }], [1], (m) => mean(m), () => false);
  assert.equal(recs.length, 2, 'A and the base once; Z did not run');
  const a = recs.find((r) => r.method === 'A')!;
  // Differences: (0, 1, 0) and (1, 0, 0, 0): means 1/3 and 1/4.
  assert.ok(Math.abs(a.value - (1 / 3 + 1 / 4) / 2) < 1e-12, `gain ${a.value}`);
  const se = Math.sqrt(meanSe([0, 1, 0]) ** 2 + meanSe([1, 0, 0, 0]) ** 2) / 2;
  assert.ok(Math.abs((a.se ?? NaN) - se) < 1e-12, `SE ${a.se} vs ${se}`);
  assert.deepEqual([a.table, a.variant, a.rows, a.positives], ['gain', 'x vs B', 7, 7]);
  assert.deepEqual(recs.filter((r) => r.method === 'B').map((r) => [r.value, r.se]), [[0, 0]]);
  assert.equal(pairedMeanClaimGains([c], [1], (m) => (m === 'A' ? { parts: hits.A, unreliable: true } : { parts: hits.B, unreliable: true }), () => null)[0].positives, 3, 'unreliable: the smallest part');
  assert.throws(() => pairedMeanClaimGains([c], [1], (m) => (m === 'A' ? { parts: [hits.A[0]], unreliable: false } : mean(m)), () => null), /'A' and 'B' seed 1 have different hr10_mean parts/);

  // 400 users per part, B hits 30%, A hits every user B hits plus 3% of the others (a gain near 0.02): side by side
  // the two means' SEs (about 0.016 each per part) hide it over 3 seeds; paired, the differences' SE finds it.
  const r = new Rng(5);
  const seedsHits = [0, 1, 2].map(() => {
    const b = [0, 1].map(() => Float64Array.from({ length: 400 }, () => (r.uniform() < 0.3 ? 1 : 0)));
    return { B: b, A: b.map((x) => x.map((v) => (v === 1 || r.uniform() < 0.03 ? 1 : 0))) };
  });
  const paired = pairedMeanClaimGains([c], [1, 2, 3], (m, s) => ({ parts: seedsHits[s][m as 'A' | 'B'], unreliable: false }), () => false);
  const [v] = judgeClaims([c], paired, { minPositives: 100 });
  assert.equal(v.verdict, 'agrees', v.reason);
  const unpaired = [0, 1, 2].flatMap((s) => (['A', 'B'] as const).map((m) => {
    const e = partsMean(seedsHits[s][m]);
    return { pipeline: '', run: '', table: 't', method: m, variant: '', knob: '', metric: 'hr10_mean', split: 'test', seed: s + 1, value: e.value, se: e.se, rows: e.rows, positives: e.rows, stillImproving: false };
  }));
  const [side] = judgeClaims([{ ...c, table: 't', metric: 'hr10_mean', variant: '' }], unpaired, { minPositives: 100 });
  assert.equal(side.verdict, 'cannot tell', side.reason);
  const gainSe = paired.filter((x) => x.method === 'A').map((x) => x.se ?? NaN);
  const sideSe = unpaired.map((x) => x.se ?? NaN);
  assert.ok(Math.max(...gainSe) < 0.7 * Math.SQRT2 * Math.min(...sideSe), `paired SEs ${gainSe} vs side SEs ${sideSe}`);
});
