/**
 * The shared online A/B simulator: a policy that ranks by the true conversion probability beats a random policy with
 * an interval above 0; an A/A test (the same policy in both arms) has intervals that cover 0 in most seeds;
 * conversions never exceed clicks; bad inputs are named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateAB, normalQuantile, AB_DEFAULTS } from '../../src/worlds/ab-simulator.ts';
import { Rng } from '../../src/random.ts';

const rng = new Rng(3);
const users = 400;
const perUser = 12;
const groups = Int32Array.from({ length: users * perUser }, (_, i) => Math.floor(i / perUser));
const pCtr = Float32Array.from(groups, () => 0.05 + 0.3 * rng.uniform());
const pCvr = Float32Array.from(groups, () => 0.02 + 0.5 * rng.uniform() ** 2);
const pool = { groups, steps: [{ name: 'click', p: pCtr }, { name: 'conversion', p: pCvr, given: 'click' }] };
const metrics = [
  { name: 'conversions per user', numerator: 'conversion', denominator: 'users' },
  { name: 'CVR', numerator: 'conversion', denominator: 'click' },
  { name: 'clicks per request', numerator: 'click', denominator: 'requests' },
];
const random = Float32Array.from(groups, () => rng.uniform());
const oracle = Float32Array.from(groups, (_, i) => pCtr[i] * pCvr[i]);

test('defaults and the normal quantile', () => {
  assert.deepEqual(AB_DEFAULTS, { requests: 20, candidates: 10, slots: 3, bootstrap: 1000, level: 0.95, seed: 0 });
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.005) + 2.575829304) < 1e-8);
});

test('ranking by the true pCTCVR beats random ranking: conversions per user lift with CI above 0', () => {
  const [conv, cvr, ctr] = simulateAB(pool, { name: 'oracle vs random', control: random, treatment: oracle }, metrics, { requests: 10, bootstrap: 300, seed: 1 });
  assert.ok(conv.liftPct > 20 && conv.ciLow > 0, `lift ${conv.liftPct} [${conv.ciLow}, ${conv.ciHigh}]`);
  assert.ok(conv.ciLow <= conv.liftPct && conv.liftPct <= conv.ciHigh);
  assert.ok(cvr.treatment > cvr.control, 'CVR rises too');
  assert.ok(ctr.control > 0 && ctr.control < 1);
  assert.equal(conv.requests, users / 2);
});

test('A/A: the same policy in both arms gives intervals covering 0 in at least 8 of 10 seeds', () => {
  let covered = 0;
  for (let seed = 0; seed < 10; seed++) {
    const [r] = simulateAB(pool, { name: 'A/A', control: oracle, treatment: oracle }, metrics.slice(0, 1), { requests: 5, bootstrap: 200, seed });
    if (r.ciLow <= 0 && 0 <= r.ciHigh) covered++;
  }
  assert.ok(covered >= 8, `covered ${covered}/10`);
});

test('bad inputs are errors naming what is wrong', () => {
  assert.throws(() => simulateAB(pool, { name: 'x', control: random.subarray(1), treatment: oracle }, metrics), /control has 4799 scores for 4800 pool rows/);
  assert.throws(() => simulateAB(pool, { name: 'x', control: random, treatment: oracle }, [{ name: 'm', numerator: 'buy', denominator: 'users' }]), /metric 'm' uses 'buy'/);
  assert.throws(() => simulateAB({ groups, steps: [{ name: 'conversion', p: pCvr, given: 'click' }] }, { name: 'x', control: random, treatment: oracle }, metrics), /is given 'click', which is not an earlier step/);
  assert.throws(() => simulateAB(pool, { name: 'x', control: random, treatment: oracle }, metrics, { request: 3 } as never), /unknown option 'request'/);
  const nan = random.slice();
  nan[7] = Number.NaN;
  assert.throws(() => simulateAB(pool, { name: 'x', control: nan, treatment: oracle }, metrics), /control score of pool row 7 is NaN/);
});
