/**
 * `reclab data check`, `reproduce --data` on fixture folders (the published layouts in test/fixtures), and `report` /
 * `docs` pointing at the folder of the last `reproduce --out` when the results folder is missing (child processes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/cli.ts')];
const env = { ...process.env, RECLAB_PROGRESS: '0' };

function reclab(args: string[], o: { cwd?: string } = {}) {
  return spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env, cwd: o.cwd ?? ROOT });
}

test('data check prints the dataset check as JSON with exit 0 / 1; reproduce --data points a pipeline at a data root', () => {
  const ok = reclab(['data', 'check', 'movielens-1m', join(ROOT, 'test/fixtures/movielens')]);
  assert.equal(ok.status, 0, ok.stderr);
  const report = JSON.parse(ok.stdout);
  assert.equal(report.dataset, 'movielens-1m');
  assert.equal(report.ok, true);
  assert.ok(report.parts[0].rows > 0);
  const empty = mkdtempSync(join(tmpdir(), 'reclab-data-'));
  const bad = reclab(['data', 'check', 'kuaisar', empty]);
  assert.equal(bad.status, 1);
  const badReport = JSON.parse(bad.stdout);
  assert.equal(badReport.ok, false);
  assert.ok(badReport.problems.length > 0);
  assert.match(reclab(['data', 'check', 'movielens-1m']).stderr, /data check: expected <dataset> <dir>, got 1 argument/);
  assert.match(reclab(['data', 'list']).stdout, /^movielens-1m /m);

  // a data root holding ml-1m/: gme/movielens reads it from there (the note comes before the config check stops the call)
  cpSync(join(ROOT, 'test/fixtures/movielens'), join(empty, 'ml-1m'), { recursive: true });
  const out = join(empty, 'out');
  const r = reclab(['reproduce', 'gme/movielens', '--quick', '--data', empty, '--out', out, '--set', 'bogus=1']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, new RegExp(`gme/movielens: movielens-1m from ${join(empty, 'ml-1m').replace(/[/.]/g, '\\$&')}`));
  assert.match(r.stderr, /pipeline 'gme\/movielens' config: \(root\): Unrecognized key\(s\) in object: 'bogus'/);
  assert.ok(!existsSync(out));
  assert.match(reclab(['reproduce', 'gme/movielens', '--quick', '--data', join(empty, 'nowhere')]).stderr, /--data .*nowhere: no such folder/);
});

test('report and docs with no results folder suggest the folder of the last `reproduce --out`', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'reclab-cwd-'));
  const elsewhere = join(cwd, 'my-results');
  mkdirSync(elsewhere);
  reclab(['reproduce', 'nope', '--quick', '--out', elsewhere], { cwd });
  for (const command of ['docs', 'data']) assert.match(reclab([command, '--help']).stdout, new RegExp(`^reclab ${command}`));
  for (const command of ['report', 'docs']) {
    const r = reclab([command], { cwd });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${command}: no results folder at .*; the last \`reclab reproduce --out\` wrote to ${elsewhere.replace(/[/.]/g, '\\$&')}: try --results `));
  }
});
