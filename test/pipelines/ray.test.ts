/**
 * Pipelines as Ray tasks: a local Ray head is started, a small pipeline runs through it (runJobs with `ray`), its run
 * folder comes back under the output folder with records bit-identical to an in-process run, and the head is shut
 * down. Needs Ray in .venv (env/requirements.txt; `npm test` runs the setup first).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import '../../src/pipelines/registry.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import { runJobs } from '../../src/pipelines/jobs.ts';
import { readRunRecords } from '../../src/pipelines/export.ts';

const RAY = resolve(import.meta.dirname, '../../.venv/bin/ray');
const TINY = { world: { users: 300, items: 150, categories: 10, impressionsPerUser: 12 }, trainer: { epochs: 2, progressLabel: '' } };
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

after(async () => {
  await execa(RAY, ['stop', '--force'], { reject: false });
  rmSync(tmp, { recursive: true, force: true });
});

test('ray: a pipeline sent to a local Ray head comes back as the same run folder and bit-identical records', async () => {
  const out = join(tmp, 'out');
  const local = await runPipeline('baselines/ctr', { quick: true, seeds: 2, out, verbose: false, figureFormats: [], config: TINY });
  const lines: string[] = [];
  const outcomes = await runJobs(['baselines/ctr', 'no/such-pipeline'], {
    mode: 'quick',
    workers: 1,
    ray: address,
    passThrough: ['--seeds', '2', '--set', `world=${JSON.stringify(TINY.world)}`, '--set', 'trainer.epochs=2', '--set', "trainer.progressLabel=''", '--no-images', '--out', 'ignored-by-ray'],
    out,
    onProgress: (l) => lines.push(l),
  });
  assert.deepEqual(outcomes.map((o) => [o.name, o.state]), [['baselines/ctr', 'finished'], ['no/such-pipeline', 'failed']], JSON.stringify(outcomes, null, 2));
  assert.ok(outcomes[0].dir.startsWith(out) && existsSync(join(outcomes[0].dir, 'results.csv')), `the run folder came back under ${out}: ${outcomes[0].dir}`);
  assert.notEqual(outcomes[0].dir, local.dir);
  const strip = (rs: ReturnType<typeof readRunRecords>) => rs.map(({ run: _run, ...r }) => r);
  assert.deepEqual(strip(readRunRecords(outcomes[0].dir)), strip(local.records.map((r) => ({ ...r }))), 'same seeds, same records, bit for bit');
  assert.match(outcomes[1].detail, /no\/such-pipeline|unknown pipeline/i, 'a failing job reports its own error, the other goes on');
  assert.equal(lines.length, 2, lines.join('\n'));
});

test('ray: `reclab reproduce --ray ADDRESS` sends a single pipeline to the cluster and its run folder lands under --out', async () => {
  const out = join(tmp, 'cli-out');
  const cli = ['--import', import.meta.resolve('tsx'), resolve(import.meta.dirname, '../../src/cli.ts')];
  const r = await execa(process.execPath, [...cli, 'reproduce', 'baselines/ctr', '--quick', '--seeds', '1', '--ray', address, '--set', `world=${JSON.stringify(TINY.world)}`, '--set', 'trainer.epochs=1', '--no-images', '--out', out], { reject: false, env: { RECLAB_PROGRESS: '0' } });
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`1 pipeline on Ray tasks at ${address.replace(/\./g, '\\.')}`));
  const dir = /results: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(dir && dir.startsWith(out) && existsSync(join(dir, 'results.csv')), `run folder under ${out}: ${r.stdout}`);
  assert.ok(readRunRecords(dir).length > 0);
});
