/**
 * Fits as jobs inside a pipeline (src/pipelines/fits.ts): a run whose fits go to worker processes gives the records of
 * a serial run bit for bit; the workers get the thread pools of their share of the cores, persist across calls and
 * read the shared inputs and the parent's one-item calls from files instead of building them again; a worker that
 * crashes has its fit retried once, then failed, while the other fits finish and the run is marked failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import '../../src/pipelines/registry.ts';
import '../fixtures/pipelines/fit-jobs.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import { fitGrid, serialFits } from '../../src/pipelines/fits.ts';
import { poolEnv } from '../../src/pools.ts';
import type { ResultRecord } from '../../src/evidence/records.ts';

const TINY = { world: { users: 300, items: 150, categories: 10, impressionsPerUser: 12 }, trainer: { epochs: 2, progressLabel: '' } };
const FIXTURE = resolve(import.meta.dirname, '..', 'fixtures', 'pipelines', 'fit-jobs.ts');
const strip = (rs: ResultRecord[]) => rs.map(({ run: _run, ...r }) => r);
const starts = (marks: string, x: number) => readFileSync(join(marks, `start-${x}`), 'utf8').trim().split('\n').length;

test('fits: baselines/ctr with 2 fit workers gives the serial records bit for bit', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-fits-'));
  const serial = await runPipeline('baselines/ctr', { quick: true, seeds: 2, out, verbose: false, figureFormats: [], config: TINY });
  const parallel = await runPipeline('baselines/ctr', { quick: true, seeds: 2, out, verbose: false, figureFormats: [], config: TINY, fitWorkers: 2 });
  assert.ok(serial.records.length > 20);
  assert.deepEqual(strip(parallel.records), strip(serial.records), 'same seeds, same records');
  const fitsDir = join(parallel.dir, 'fits');
  assert.equal(readdirSync(fitsDir).filter((f) => f.endsWith('.log')).length, 2, 'two workers took the 8 (seed, model) fits between them');
  const log = readFileSync(join(parallel.dir, 'log.txt'), 'utf8');
  assert.match(log, /fits 'baselines': 8\/8 done/);
  assert.equal(log.match(/^\S+ seed \d: test AUC /gm)?.length, 8, 'the lines each fit logged reach the run log when it finishes');
  assert.ok(!existsSync(join(serial.dir, 'fits')), 'a serial run starts no worker');
});

test('fitGrid: fits run seed by seed, and come back by method and seed with the method and seed positions', async () => {
  const order: string[] = [];
  const names: string[] = [];
  const spy: typeof serialFits = (key, items, fit, name) => {
    for (const [i, item] of items.entries()) names.push(name ? name(item, i) : '');
    return serialFits(key, items, fit);
  };
  const out = await fitGrid(spy, 'grid', [{ label: 'A' }, { label: 'B' }, { label: 'C' }], [7, 9], async (m, seed, i, s) => {
    order.push(`${m.label}${seed}`);
    return `${m.label}:${seed}:${i}:${s}`;
  }, ' (x)');
  assert.deepEqual(order, ['A7', 'B7', 'C7', 'A9', 'B9', 'C9']);
  assert.deepEqual(out, [['A:7:0:0', 'A:9:0:1'], ['B:7:1:0', 'B:9:1:1'], ['C:7:2:0', 'C:9:2:1']]);
  assert.equal(names[4], 'B (x) seed 9');
});

test('fits: the workers persist across calls, read the shared input and a one-item call from files; records equal the serial run', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-fits-'));
  const marks = mkdtempSync(join(tmpdir(), 'reclab-marks-'));
  const config = { items: [1, 2, 3, 4], crashItem: null, marks };
  const parallel = await runPipeline('test/fit-jobs', { quick: true, out, verbose: false, figureFormats: [], config, fitWorkers: 2, pipelineModules: [FIXTURE] });
  for (const x of [1, 2, 3, 4]) assert.equal(starts(marks, x), 1, `item ${x} squared once: the 'sums' workers replayed the squares`);
  // Two fit workers share the cores (src/pools.ts): each is started with the pools of 2 processes, not this one's.
  for (const x of [1, 2, 3, 4]) {
    const [pid, interOp] = readFileSync(join(marks, `start-${x}`), 'utf8').trim().split(' ');
    assert.notEqual(pid, String(process.pid), `item ${x} was squared in a worker`);
    assert.equal(interOp, poolEnv(2).TF_NUM_INTEROP_THREADS, `item ${x}: the worker's inter-op pool`);
  }
  assert.equal(readdirSync(join(parallel.dir, 'fits')).filter((f) => f.endsWith('.log')).length, 2, 'the same two workers served both calls');
  const builds = readFileSync(join(marks, 'shared-built'), 'utf8').trim().split('\n');
  assert.deepEqual(builds, [String(process.pid)], 'the shared input was built once, in this process; the workers read its file');
  assert.deepEqual(readdirSync(join(parallel.dir, 'fits')).filter((f) => /\.(results?|shared)$/.test(f)), [], 'result and shared files removed from the finished run');
  const serial = await runPipeline('test/fit-jobs', { quick: true, out, verbose: false, figureFormats: [], config });
  assert.deepEqual(strip(parallel.records), strip(serial.records));
  assert.equal(serial.records.find((r) => r.metric === 'value')?.value, 1 + 4 + 9 + 16 + (0 + 1 + 2 + 3));
});

test('fits: a crashing worker is retried once, then its fit fails; the other fits finish and the run is marked failed', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-fits-'));
  const marks = mkdtempSync(join(tmpdir(), 'reclab-marks-'));
  await assert.rejects(
    runPipeline('test/fit-jobs', { quick: true, out, verbose: false, figureFormats: [], config: { items: [1, 2, 3, 4], crashItem: 3, marks }, fitWorkers: 2, pipelineModules: [FIXTURE] }),
    (e: Error) => {
      assert.match(e.message, /1 of 4 fits of 'squares' failed \(the other 3 finished\)/);
      assert.match(e.message, /item 3: crashed \(SIGKILL\) twice \(log .*\.log\)/);
      return true;
    },
  );
  assert.equal(starts(marks, 3), 2, 'retried once');
  for (const x of [1, 2, 4]) assert.equal(starts(marks, x), 1, `item ${x} ran once and finished`);
  const [dir] = readdirSync(join(out, 'test-fit-jobs'));
  const status = JSON.parse(readFileSync(join(out, 'test-fit-jobs', dir, 'status.json'), 'utf8'));
  assert.equal(status.state, 'failed');
  assert.ok(!existsSync(join(out, 'test-fit-jobs', dir, 'FINISHED')));
});

/** Process ids of the fit workers whose spec lies under `dir`. */
function workerPids(dir: string): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => l.includes('fit-worker') && l.includes(dir)).map((l) => Number(l.trim().split(/\s+/)[0]));
}

for (const sig of ['SIGINT', 'SIGKILL'] as const) {
  test(`fits: ${sig} to a run with fit workers leaves no worker behind${sig === 'SIGINT' ? ' and marks the run interrupted' : ''}`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'reclab-fits-int-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'reproduce', 'baselines/ctr', '--quick', '--workers', '2', '--no-images', '--out', out], { env: { ...process.env, RECLAB_PROGRESS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    // Wait until both workers are fitting.
    for (let t = 0; t < 240 && workerPids(out).length < 2; t++) await new Promise((r) => setTimeout(r, 500));
    assert.equal(workerPids(out).length, 2, `two fit workers started: ${stdout}`);
    child.kill(sig);
    const code = await exited;
    if (sig === 'SIGINT') assert.equal(code, 130);
    for (let t = 0; t < 40 && workerPids(out).length; t++) await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(workerPids(out), [], 'every worker stopped with its parent');
    const [dir] = readdirSync(join(out, 'baselines-ctr'));
    const status = JSON.parse(readFileSync(join(out, 'baselines-ctr', dir, 'status.json'), 'utf8'));
    assert.equal(status.state, sig === 'SIGINT' ? 'interrupted' : 'running', 'SIGKILL leaves the status to the heartbeat (shown as dead by reclab runs)');
    assert.ok(!existsSync(join(out, 'baselines-ctr', dir, 'FINISHED')));
  });
}
