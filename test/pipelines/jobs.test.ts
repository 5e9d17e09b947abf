/**
 * Pipelines as jobs: the same pipeline run in a worker process (runJobs) and in this process (runPipeline) gives
 * bit-identical records, and a progress line per finished job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/pipelines/registry.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import { runJobs } from '../../src/pipelines/jobs.ts';
import { readRunRecords } from '../../src/pipelines/export.ts';
import { poolEnv } from '../../src/pools.ts';

const TINY = { world: { users: 300, items: 150, categories: 10, impressionsPerUser: 12 }, trainer: { epochs: 2, progressLabel: '' } };

test('jobs: worker processes give records bit-identical to an in-process run, with the pools of 2 workers', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-jobs-'));
  const local = await runPipeline('baselines/ctr', { quick: true, seeds: 2, out, verbose: false, figureFormats: [], config: TINY });
  const lines: string[] = [];
  const outcomes = await runJobs(['baselines/ctr', 'baselines/ctr'], {
    mode: 'quick',
    workers: 2,
    passThrough: ['--seeds', '2', '--set', `world=${JSON.stringify(TINY.world)}`, '--set', 'trainer.epochs=2', '--set', "trainer.progressLabel=''", '--no-images', '--out', out],
    out,
    onProgress: (l) => lines.push(l),
  });
  assert.deepEqual(outcomes.map((o) => o.name), ['baselines/ctr', 'baselines/ctr']);
  const strip = (rs: ReturnType<typeof readRunRecords>) => rs.map(({ run: _run, ...r }) => r);
  for (const o of outcomes) {
    assert.equal(o.state, 'finished', o.detail);
    assert.notEqual(o.dir, local.dir);
    assert.deepEqual(strip(readRunRecords(o.dir)), strip(local.records.map((r) => ({ ...r }))), 'same seeds, same records, bit for bit');
    // Two jobs on 2 workers share the cores (src/pools.ts); on 2+ cores this differs from this process's own pools,
    // which a worker would inherit if runJobs did not set them.
    const meta = JSON.parse(readFileSync(join(o.dir, 'meta.json'), 'utf8')) as { provenance: { backend: { threads?: { interOp: string } } } };
    assert.equal(meta.provenance.backend.threads?.interOp, poolEnv(2).TF_NUM_INTEROP_THREADS);
  }
  assert.match(lines.join('\n'), /^\[2\/2\] baselines\/ctr finished in /m);
});

test('jobs: Ctrl-C stops the running job (failed: interrupted) and marks the jobs that never started as not started', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-jobs-int-'));
  const lines: string[] = [];
  const running = runJobs(['baselines/ctr', 'baselines/ctr', 'baselines/ctr'], {
    mode: 'quick',
    workers: 1,
    passThrough: ['--seeds', '2', '--set', `world=${JSON.stringify(TINY.world)}`, '--set', 'trainer.epochs=2', '--set', "trainer.progressLabel=''", '--no-images', '--out', out],
    out,
    onProgress: (l) => lines.push(l),
  });
  await new Promise((r) => setTimeout(r, 1500)); // the first job's worker has started
  process.emit('SIGINT');
  const error = await running.then(
    () => assert.fail('an interrupted runJobs must throw'),
    (e: Error & { outcomes?: Array<{ name: string; state: string; detail: string }> }) => e,
  );
  assert.match(error.message, /interrupted/);
  const states = (error.outcomes ?? []).map((o) => o.state);
  assert.deepEqual(states, ['failed', 'not started', 'not started']);
  assert.match(error.outcomes?.[0].detail ?? '', /^interrupted/);
  assert.match(error.outcomes?.[1].detail ?? '', /interrupted before its turn/);
});
