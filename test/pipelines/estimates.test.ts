/**
 * The remaining-time estimate of `reproduce --all`: calibrated by finished pipelines, never below the longest single
 * pipeline left, and every registered pipeline that needs no public data has an evidence cost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/pipelines/registry.ts';
import { listPipelines } from '../../src/pipelines/registry.ts';
import { EVIDENCE_MINUTES, expectedSeconds, remainingSeconds } from '../../src/pipelines/estimates.ts';

const costs: Record<string, number> = { short: 60, mid: 600, long: 6000 };
const expected = (n: string) => costs[n] ?? null;

test('estimates: nothing finished gives no estimate; the calibration scales what is left', () => {
  assert.equal(remainingSeconds({ expected, done: [], running: [], waiting: ['mid'], workers: 2 }), null);
  // 'short' took twice its expected time: everything left is expected to take twice as long.
  const slow = remainingSeconds({ expected, done: [{ name: 'short', seconds: 120, finished: true }], running: [], waiting: ['mid', 'mid'], workers: 2 });
  assert.equal(slow, 1200);
  // The mean-time rule would have said 120 s per job: a long pipeline left is not hidden by short ones before it.
  const withLong = remainingSeconds({ expected, done: [{ name: 'short', seconds: 60, finished: true }], running: [], waiting: ['long', 'short', 'short'], workers: 2 });
  assert.equal(withLong, 6000, 'never below the longest single pipeline left');
  const shared = remainingSeconds({ expected, done: [{ name: 'short', seconds: 60, finished: true }], running: [], waiting: ['mid', 'mid', 'mid', 'mid'], workers: 2 });
  assert.equal(shared, 1200, 'work shared by two workers');
});

test('estimates: running pipelines count what they still need; failed ones do not calibrate; unknown ones count the mean', () => {
  const run = remainingSeconds({ expected, done: [{ name: 'short', seconds: 60, finished: true }], running: [{ name: 'mid', elapsed: 500 }, { name: 'mid', elapsed: 900 }], waiting: [], workers: 2 });
  assert.equal(run, 100, 'one has 100 s left, the other is overdue (0)');
  const failed = remainingSeconds({ expected, done: [{ name: 'short', seconds: 60, finished: true }, { name: 'mid', seconds: 5, finished: false }], running: [], waiting: ['mid'], workers: 1 });
  assert.equal(failed, 600, 'a failed pipeline does not calibrate');
  const unknown = remainingSeconds({ expected, done: [{ name: 'x', seconds: 30, finished: true }, { name: 'y', seconds: 90, finished: true }], running: [], waiting: ['z', 'z'], workers: 1 });
  assert.equal(unknown, 120, 'without estimates: the mean finished time per pipeline');
  assert.equal(remainingSeconds({ expected, done: [{ name: 'short', seconds: 60, finished: true }], running: [], waiting: [], workers: 2 }), 0);
});

test('estimates: every registered pipeline has an evidence cost, except those that read public data files', () => {
  const names = listPipelines().map((p) => p.name);
  const publicData = new Set(['farm/kuairand', 'gme/movielens', 'minet/amazon', 'unicdr/public']);
  for (const n of names) if (!publicData.has(n)) assert.ok(n in EVIDENCE_MINUTES, `${n} has no entry in EVIDENCE_MINUTES`);
  for (const n of Object.keys(EVIDENCE_MINUTES)) assert.ok(names.includes(n), `EVIDENCE_MINUTES names '${n}', which is not a pipeline`);
  assert.equal(expectedSeconds('evidence')('fedpa/main'), 360);
  assert.equal(expectedSeconds('quick')('fedpa/main'), null, 'the costs are evidence-mode costs');
});
