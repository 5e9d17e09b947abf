/**
 * pairedClaimGains: per claim on table 'gain' and seed, the paired DeLong gain of the method over the base with the
 * base's own 0 beside it (once per base, variant and seed); claims on other tables and methods that did not run get
 * nothing; a verdict on these records uses the paired SE; different rows on the two sides are an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gainVariant, pairedClaimGains, type ScoredRows } from '../../src/evidence/paired-claims.ts';
import { deLongPaired } from '../../src/evidence/stats.ts';
import { judgeClaims, type Claim } from '../../src/evidence/claims.ts';
import { Rng } from '../../src/random.ts';

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
