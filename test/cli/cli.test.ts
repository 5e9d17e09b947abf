/**
 * The `reclab` command line as a user runs it (a child process): list, doctor, argument errors, and an interrupted
 * reproduction that leaves its run folder marked 'interrupted' and without FINISHED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = ['--import', 'tsx', 'src/cli.ts'];
const env = { ...process.env, RECLAB_PROGRESS: '0' };

function reclab(...args: string[]) {
  return spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env });
}

test('reclab list shows the pipelines and the models', () => {
  const r = reclab('list');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /baselines\/ctr/);
  for (const m of ['dnn', 'wide-deep', 'deepfm', 'din']) assert.match(r.stdout, new RegExp(`^  ${m} `, 'm'));
});

test('the package bin (bin/reclab.mjs) runs the same CLI', () => {
  const r = spawnSync(process.execPath, ['bin/reclab.mjs', 'list'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /baselines\/ctr/);
});

test('reclab doctor reports the backend, python env, kernel and chromium', () => {
  const r = reclab('doctor');
  for (const name of ['backend', 'python env', 'tslab kernel', 'chromium']) assert.match(r.stdout, new RegExp(`^(ok     |MISSING) ${name}`, 'm'));
  assert.match(r.stdout, /^ok {6}backend {8}tensorflow/m);
});

test('argument errors are clear and exit non-zero', () => {
  const none = reclab('reproduce');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /reproduce: name a pipeline or pass --all/);
  const seeds = reclab('reproduce', 'baselines/ctr', '--seeds', 'two');
  assert.equal(seeds.status, 1);
  assert.match(seeds.stderr, /--seeds must be a positive integer, got 'two'/);
  const flag = reclab('reproduce', 'baselines/ctr', '--qiuck');
  assert.equal(flag.status, 1);
  assert.match(flag.stderr, /Unknown option '--qiuck'/);
  const both = reclab('reproduce', 'baselines/ctr', '--ray', 'auto', '--workers', '2');
  assert.equal(both.status, 1);
  assert.match(both.stderr, /--ray and --workers 2 exclude each other for one pipeline/);
  assert.match(reclab('reproduce', 'baselines/ctr', '--ray', ' ').stderr, /--ray needs an address/);
  assert.equal(reclab('frobnicate').status, 2);
  const unknown = reclab('reproduce', 'nope');
  assert.match(unknown.stderr, /unknown pipeline 'nope' \(registered: baselines\/ctr/);
});

test('reproduce goes on after a failed pipeline, prints the summary (finished, failed, skipped) and exits non-zero', () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-sum-'));
  const r = reclab('reproduce', 'nope', 'minet/amazon', '--quick', '--no-images', '--out', out);
  assert.equal(r.status, 1, 'a failed pipeline makes the call fail');
  assert.match(r.stderr, /reclab: nope FAILED:\nError: unknown pipeline 'nope'/);
  assert.match(r.stdout, /reproduce \(quick: smoke test — not evidence\): 0 finished, 1 failed, 1 skipped/);
  assert.match(r.stdout, /^ {2}failed {6}nope /m);
  assert.match(r.stdout, /^ {2}skipped {5}minet\/amazon .*Amazon 2014 files not found/m);
  const both = reclab('reproduce', 'baselines/ctr', '--quick', '--scale', 'paper');
  assert.match(both.stderr, /--quick and --scale paper exclude each other/);
});

/** Starts `reclab reproduce baselines/ctr --quick` into `out` and resolves once the world is built (training started). */
async function startReproduction(out: string) {
  const child = spawn(process.execPath, [...CLI, 'reproduce', 'baselines/ctr', '--quick', '--no-images', '--out', out], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no training output in 120 s: ${stdout}\n${stderr}`)), 120_000);
    child.on('exit', (code) => reject(new Error(`reproduce exited (${code}) before training: ${stdout}\n${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/world: \d+ train/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

function onlyRun(out: string): string {
  const [dir] = readdirSync(join(out, 'baselines-ctr'));
  return join(out, 'baselines-ctr', dir);
}

for (const sig of ['SIGINT', 'SIGHUP'] as const) {
  test(`an interrupted reproduction (${sig}) is marked interrupted, never finished`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'reclab-int-'));
    const child = await startReproduction(out);
    const status0 = JSON.parse(readFileSync(join(onlyRun(out), 'status.json'), 'utf8'));
    assert.equal(status0.pid, child.pid, 'status.json names the process');
    assert.ok(status0.host && status0.heartbeat);
    child.kill(sig);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130);
    const status = JSON.parse(readFileSync(join(onlyRun(out), 'status.json'), 'utf8'));
    assert.equal(status.state, 'interrupted');
    assert.equal(status.error, `received ${sig}`);
    assert.ok(!existsSync(join(onlyRun(out), 'FINISHED')));
  });
}

test('a run killed with -9 shows as dead in `reclab runs`, never as running', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-kill-'));
  const child = await startReproduction(out);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(JSON.parse(readFileSync(join(onlyRun(out), 'status.json'), 'utf8')).state, 'running', 'nothing could update the status');
  const r = reclab('runs', '--results', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^dead +quick +3 seeds .* baselines\/ctr /m);
  assert.match(r.stdout, /process \d+ on .* is gone/);
  assert.doesNotMatch(r.stdout, /^running/m);
});

test('--help on every command; --set and --config reach the strict schema; strict --seeds', () => {
  for (const c of ['list', 'reproduce', 'runs', 'export', 'report', 'doctor']) {
    const r = reclab(c, '--help');
    assert.equal(r.status, 0, `${c} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^reclab ${c}`));
  }
  assert.match(reclab('--help').stdout, /reclab <command> --help/);
  const zero = reclab('reproduce', 'baselines/ctr', '--seeds', '0');
  assert.match(zero.stderr, /--seeds must be a positive integer, got '0'/);
  const out = mkdtempSync(join(tmpdir(), 'reclab-set-'));
  const typo = reclab('reproduce', 'baselines/ctr', '--quick', '--out', out, '--set', 'trainer.epochs=2', '--set', 'wrold.users=10');
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /pipeline 'baselines\/ctr' config: \(root\): Unrecognized key\(s\) in object: 'wrold'/);
  assert.ok(!existsSync(join(out, 'baselines-ctr')), 'a config error leaves no run folder');
  const file = join(out, 'cfg.json');
  writeFileSync(file, '{"base": "NoSuchMethod"');
  assert.match(reclab('reproduce', 'baselines/ctr', '--quick', '--config', file).stderr, /--config .*cfg\.json: not valid JSON/);
  assert.match(reclab('reproduce', 'baselines/ctr', '--quick', '--set', 'noequals').stderr, /--set expects key=value, got 'noequals'/);
});
