/**
 * Fits as Ray tasks (src/pipelines/ray-fits.ts): a local Ray head is started, pipelines send their fits to it, and the
 * run folder written here has records bit-identical to a serial run; each task replays the pipeline from the files of
 * the earlier calls and shared inputs (nothing is fitted or built twice); a fit whose task crashes is sent once more,
 * then failed while the other fits finish; the CLI passes `--ray` on to pipelines run as local jobs. The head is shut
 * down at the end, and only it (a Ray cluster of the user's on the same machine is left running). Needs Ray in .venv
 * (env/requirements.txt; `npm test` runs the setup first).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import '../../src/pipelines/registry.ts';
import '../fixtures/pipelines/fit-jobs.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import type { ResultRecord } from '../../src/evidence/records.ts';

const RAY = resolve(import.meta.dirname, '../../.venv/bin/ray');
const TINY = { world: { users: 300, items: 150, categories: 10, impressionsPerUser: 12 }, trainer: { epochs: 2, progressLabel: '' } };
const FIXTURE = resolve(import.meta.dirname, '..', 'fixtures', 'pipelines', 'fit-jobs.ts');
const strip = (rs: ResultRecord[]) => rs.map(({ run: _run, ...r }) => r);
const starts = (marks: string, x: number) => readFileSync(join(marks, `start-${x}`), 'utf8').trim().split('\n').length;
let address = '';
const tmp = mkdtempSync(join(tmpdir(), 'reclab-ray-'));

/** A free TCP port for the head's GCS server. */
async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

before(async () => {
  assert.ok(existsSync(RAY), `no Ray at ${RAY}: run \`npm run setup\` (env/requirements.txt installs it)`);
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  await execa(RAY, ['start', '--head', `--port=${port}`, '--num-cpus=2', '--include-dashboard=false', '--disable-usage-stats', '--object-store-memory=100000000', `--temp-dir=${join(tmp, 'ray')}`], { env: { RAY_USAGE_STATS_ENABLED: '0' } });
});

/** Process ids of this test's Ray head: every process naming its temporary folder, and their descendants (the agents). */
function headProcesses(): number[] {
  const rows = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((l) => {
    const [pid, ppid, ...args] = l.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), args: args.join(' ') };
  });
  const mine = new Set(rows.filter((r) => r.args.includes(tmp)).map((r) => r.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (!mine.has(r.pid) && mine.has(r.ppid)) {
        mine.add(r.pid);
        grew = true;
      }
    }
  }
  return [...mine].filter((pid) => pid !== process.pid);
}

// Stops this test's head only (`ray stop` would stop every Ray on the machine, a user's own cluster too).
after(async () => {
  for (const pid of headProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

test('ray: baselines/ctr with its fits on a local Ray head gives the serial records bit for bit', async () => {
  const out = join(tmp, 'ctr');
  const serial = await runPipeline('baselines/ctr', { quick: true, seeds: 2, out, verbose: false, figureFormats: [], config: TINY });
  const onRay = await runPipeline('baselines/ctr', { quick: true, seeds: 2, out, verbose: false, figureFormats: [], config: TINY, fitRay: address });
  assert.ok(serial.records.length > 20);
  assert.deepEqual(strip(onRay.records), strip(serial.records), 'same seeds, same records');
  const fits = readdirSync(join(onRay.dir, 'fits'));
  assert.equal(fits.filter((f) => /^ray-0-\d+\.log$/.test(f)).length, 8, `one log per (seed, model) fit: ${fits.join(', ')}`);
  assert.deepEqual(fits.filter((f) => /\.(results?|shared)$/.test(f)), [], 'result files removed from the finished run');
  assert.match(readFileSync(join(onRay.dir, 'log.txt'), 'utf8'), /fits 'baselines': 8\/8 done on Ray/);
});

test('ray: tasks replay earlier calls and the shared input from files; a crashed fit is sent once more, then failed', async () => {
  const marks = mkdtempSync(join(tmp, 'marks-'));
  const run = await runPipeline('test/fit-jobs', { quick: true, out: join(tmp, 'fixture'), verbose: false, figureFormats: [], config: { items: [1, 2, 3, 4], crashItem: null, marks }, fitRay: address, pipelineModules: [FIXTURE] });
  for (const x of [1, 2, 3, 4]) assert.equal(starts(marks, x), 1, `item ${x} squared once: the 'sums' tasks replayed the squares`);
  assert.deepEqual(readFileSync(join(marks, 'shared-built'), 'utf8').trim().split('\n'), [String(process.pid)], 'the shared input was built here only');
  assert.equal(run.records.find((r) => r.metric === 'value')?.value, 1 + 4 + 9 + 16 + (0 + 1 + 2 + 3));

  const crashMarks = mkdtempSync(join(tmp, 'marks-'));
  const out = join(tmp, 'crash');
  await assert.rejects(
    runPipeline('test/fit-jobs', { quick: true, out, verbose: false, figureFormats: [], config: { items: [1, 2, 3, 4], crashItem: 3, marks: crashMarks }, fitRay: address, pipelineModules: [FIXTURE] }),
    (e: Error) => {
      assert.match(e.message, /1 of 4 fits of 'squares' failed on Ray \(the other 3 finished\)/);
      assert.match(e.message, /item 3: crashed \(signal 9\) twice \(log .*ray-0-2\.log\)/);
      return true;
    },
  );
  assert.equal(starts(crashMarks, 3), 2, 'sent once more after the crash');
  for (const x of [1, 2, 4]) assert.equal(starts(crashMarks, x), 1, `item ${x} ran once and finished`);
  const [dir] = readdirSync(join(out, 'test-fit-jobs'));
  assert.equal(JSON.parse(readFileSync(join(out, 'test-fit-jobs', dir, 'status.json'), 'utf8')).state, 'failed');
});

test('ray: `reclab reproduce A B --ray ADDRESS` runs the pipelines here as jobs, each sending its fits to the cluster', async () => {
  const out = join(tmp, 'cli-out');
  const cli = ['--import', import.meta.resolve('tsx'), resolve(import.meta.dirname, '../../src/cli.ts')];
  const r = await execa(process.execPath, [...cli, 'reproduce', 'baselines/ctr', 'no/such-pipeline', '--quick', '--seeds', '1', '--workers', '2', '--ray', address, '--set', `world=${JSON.stringify(TINY.world)}`, '--set', 'trainer.epochs=1', '--no-images', '--out', out], { reject: false, env: { RECLAB_PROGRESS: '0' } });
  assert.equal(r.exitCode, 1, 'one pipeline failed (unknown name), so the call exits 1');
  assert.match(r.stdout, new RegExp(`2 pipelines on 2 workers, their fits on Ray tasks at ${address.replace(/\./g, '\\.')}`));
  const dir = /results: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(dir && dir.startsWith(out) && existsSync(join(dir, 'results.csv')), `run folder under ${out}: ${r.stdout}`);
  assert.match(readFileSync(join(dir, 'log.txt'), 'utf8'), new RegExp(`fits: Ray tasks at ${address.replace(/\./g, '\\.')}`));
  assert.equal(readdirSync(join(dir, 'fits')).filter((f) => /^ray-0-\d+\.log$/.test(f)).length, 4, 'the 4 models of seed 1 ran as Ray tasks');
});
