/**
 * The `value` of an A/B funnel step (src/worlds/ab-simulator.ts, added for watch time): a step that happens adds
 * value[row] instead of 1, so ratio metrics can be sums of amounts (watch seconds per user); a value array of the
 * wrong length is an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateAB } from '../../src/worlds/ab-simulator.ts';

test('a step with a value counts value[row] when it happens (watch seconds per user)', () => {
  const n = 40;
  const groups = Int32Array.from({ length: n }, (_, i) => i % 10);
  const ones = new Float32Array(n).fill(1);
  const seconds = Float32Array.from({ length: n }, (_, i) => 10 + (i % 10)); // user u's rows all watch 10 + u seconds
  const scores = Float32Array.from({ length: n }, (_, i) => i);
  const [watch, clicks] = simulateAB(
    { groups, steps: [{ name: 'click', p: ones }, { name: 'watch', p: ones, given: 'click', value: seconds }] },
    { name: 'A/A', control: scores, treatment: scores },
    [{ name: 'watch seconds per click', numerator: 'watch', denominator: 'click' }, { name: 'clicks per user', numerator: 'click', denominator: 'users' }],
    { requests: 2, candidates: 4, slots: 2, bootstrap: 50, seed: 3 },
  );
  assert.equal(clicks.control, 4, 'every shown candidate is clicked: 2 requests x 2 slots');
  assert.ok(watch.control >= 10 && watch.control <= 19 && watch.control !== 1, `watch seconds per click ${watch.control} is a mean of the values, not a count`);
  assert.throws(() => simulateAB({ groups, steps: [{ name: 'click', p: ones, value: new Float32Array(3) }] }, { name: 'x', control: scores, treatment: scores }, [], {}), /simulateAB: step 'click' has 3 values for 40 pool rows/);
});
