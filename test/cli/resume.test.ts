/**
 * `reproduce --resume`: `finishedRunOf` finds the newest finished run of a pipeline that this checkout would
 * reproduce (same commit with a clean tree then and now, same mode, same resolved config) and nothing else — an
 * interrupted run, another commit, a dirty tree, another mode or another config do not count. Through the command
 * line (in a clean checkout, as CI's fresh clone is): such a run is not run again and the summary lists it with its
 * verdicts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishedRunOf } from '../../src/pipelines/run-status.ts';
import { collectProvenance } from '../../src/pipelines/provenance.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import '../../src/pipelines/registry.ts';

/** Writes a run folder as the runner leaves it. */
function fakeRun(root: string, pipeline: string, id: string, o: { state: string; mode: string; commit: string; dirty: boolean; config: unknown; started: string }): string {
  const dir = join(root, pipeline.replace('/', '-'), id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: o.state, started: o.started, ended: new Date(Date.parse(o.started) + 90_000).toISOString() }));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ pipeline, mode: o.mode, config: o.config, provenance: { commit: o.commit, dirty: o.dirty } }));
  writeFileSync(join(dir, 'verdicts.json'), JSON.stringify({ mode: o.mode, verdicts: [{ verdict: 'agrees' }, { verdict: 'cannot tell' }, { verdict: 'agrees' }] }));
  return dir;
}

test('finishedRunOf: only a finished run of the same commit (clean), mode and config counts; the newest one', () => {
  const root = mkdtempSync(join(tmpdir(), 'reclab-resume-'));
  const config = { seeds: [1, 2, 3, 4, 5], trainer: { epochs: 8, lr: 0.001 } };
  const now = { commit: 'abc', dirty: false };
  const base = { state: 'finished', mode: 'evidence', commit: 'abc', dirty: false, config, started: '2026-12-07T10:00:00.000Z' };
  assert.equal(finishedRunOf(join(root, 'absent'), 'p/x', 'evidence', config, now), null, 'no results folder');
  fakeRun(root, 'p/x', 'a-interrupted', { ...base, state: 'interrupted', started: '2026-12-07T13:00:00.000Z' });
  fakeRun(root, 'p/x', 'b-other-commit', { ...base, commit: 'old', started: '2026-12-07T12:00:00.000Z' });
  fakeRun(root, 'p/x', 'c-dirty', { ...base, dirty: true, started: '2026-12-07T11:30:00.000Z' });
  fakeRun(root, 'p/x', 'd-quick', { ...base, mode: 'quick', started: '2026-12-07T11:20:00.000Z' });
  fakeRun(root, 'p/x', 'e-other-config', { ...base, config: { ...config, trainer: { epochs: 9, lr: 0.001 } }, started: '2026-12-07T11:10:00.000Z' });
  assert.equal(finishedRunOf(root, 'p/x', 'evidence', config, now), null, 'none of these counts');
  const older = fakeRun(root, 'p/x', 'f-match-older', base);
  // Same config with its keys in another order: still the same config.
  const newer = fakeRun(root, 'p/x', 'g-match', { ...base, config: { trainer: { lr: 0.001, epochs: 8 }, seeds: [1, 2, 3, 4, 5] }, started: '2026-12-07T11:00:00.000Z' });
  const found = finishedRunOf(root, 'p/x', 'evidence', config, now);
  assert.deepEqual(found, { dir: newer, verdicts: ['agrees', 'cannot tell', 'agrees'], seconds: 90 });
  assert.notEqual(found?.dir, older);
  assert.equal(finishedRunOf(root, 'p/x', 'evidence', config, { commit: 'abc', dirty: true }), null, 'a dirty tree now: nothing counts');
  assert.equal(finishedRunOf(root, 'p/y', 'evidence', config, now), null, 'another pipeline');
});

const clean = collectProvenance();
test('reproduce --resume: a finished run of this commit, mode and config is not run again; the summary lists it', { skip: clean.dirty ? 'the working tree has uncommitted changes (CI runs on a clean clone)' : false }, () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-resume-cli-'));
  const name = 'baselines/ctr';
  const spec = getPipeline(name);
  const resolved = spec.schema.parse(spec.defaults('quick'));
  const dir = fakeRun(out, name, '20261207-100000-quick', { state: 'finished', mode: 'quick', commit: clean.commit, dirty: false, config: resolved, started: '2026-12-07T10:00:00.000Z' });
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'reproduce', name, '--quick', '--resume', '--no-images', '--out', out], { encoding: 'utf8', env: { ...process.env, RECLAB_PROGRESS: '0' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`reproduce --resume: baselines/ctr finished earlier with this commit, mode and config \\(${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): not run again`));
  assert.match(r.stdout, /2 agrees, 1 cannot tell \(finished earlier at this commit; not run again\)/);
  assert.deepEqual(readdirSync(join(out, 'baselines-ctr')), ['20261207-100000-quick'], 'no new run folder');
});
