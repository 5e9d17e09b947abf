/**
 * em3/mechanism end to end at a tiny size (two contentSignal values, one seed, one epoch): both arms per value with
 * DeLong SEs in 'by-knob', paired 'gain' records equal to EM3 - ID-only that the mechanism module keeps, 'gain_growth',
 * the table, the figure and both mechanism claims measured; the sweep's default is declared and starts at 0; a sweep
 * that does not start at 0, or one that also sets the world's mismatch, is rejected. Wiring, not a reproduction.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { EM3_MECHANISM_SPEC, mismatchAt } from '../../src/pipelines/em3/mechanism.ts';
import { checkMechanismSpec, knobLabel } from '../../src/evidence/mechanism.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { pythonSession } from '../../src/bridge/session.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-em3-mech-'));
after(async () => {
  await pythonSession().close();
  rmSync(out, { recursive: true, force: true });
});

test('em3/mechanism: both arms per contentSignal value, paired gains, growth, table, figure and measured claims', async () => {
  const config = { world: { users: 150, items: 120, categories: 12, contentTopics: 12, impressionsPerUser: 16 }, values: [0, 0.4], seeds: [1], epochs: 1, pretrainEpochs: 1, batchSize: 1024 };
  const run = await runPipeline('em3/mechanism', { quick: true, out, figureFormats: [], verbose: false, config });
  const spec = EM3_MECHANISM_SPEC;
  for (const v of config.values) {
    const knob = knobLabel('contentSignal', v);
    const [m, b] = [spec.method, spec.base].map((method) => run.records.find((x) => x.table === 'by-knob' && x.method === method && x.knob === knob && x.metric === 'auc'));
    for (const r of [m, b]) assert.ok(r && r.se !== null && r.se > 0 && (r.rows ?? 0) > 0 && typeof r.stillImproving === 'boolean', `${knob}: ${JSON.stringify(r)}`);
    const gains = run.records.filter((x) => x.table === 'gain' && x.method === spec.method && x.knob === knob && x.metric === 'auc_gain');
    assert.equal(gains.length, 1, 'one paired gain per seed (the module adds no unpaired one)');
    assert.ok(Math.abs(gains[0].value - ((m?.value ?? 0) - (b?.value ?? 0))) < 1e-9, 'gain = EM3 - ID-only');
    assert.ok((gains[0].se ?? 0) > 0 && Number.isFinite(gains[0].se), `DeLong paired SE ${gains[0].se}`);
  }
  assert.equal(run.records.filter((x) => x.table === 'gain' && x.metric === 'gain_growth').length, 2);
  assert.deepEqual(run.tables.map((t) => t.id), ['mechanism']);
  assert.match(run.markdown, /\| 0 \(mechanism absent\) \|/);
  assert.ok(existsSync(join(run.dir, 'figures', 'mechanism.html')));
  // Each value is its own world at mismatch 1 − contentSignal: at 0 the content latent carries no behaviour.
  const log = readFileSync(join(run.dir, 'log.txt'), 'utf8');
  assert.match(log, /contentSignal=0 \(mismatch 1\)/);
  assert.match(log, /contentSignal=0\.4 \(mismatch 0\.6\)/);
  assert.equal(run.verdicts.length, 2);
  for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `claim '${v.claim.id}': ${v.reason}`);
});

test('em3/mechanism: the sweep starts at 0 with the default among its values; evidence uses 5 seeds; a sweep from 0.1 or a set mismatch is rejected', async () => {
  assert.doesNotThrow(() => checkMechanismSpec(EM3_MECHANISM_SPEC));
  assert.ok(EM3_MECHANISM_SPEC.values.includes(EM3_MECHANISM_SPEC.defaultValue));
  const p = getPipeline('em3/mechanism');
  const ev = p.schema.parse(p.defaults('evidence')) as { seeds: number[]; pretrainEpochs: number };
  assert.equal(ev.seeds.length, 5);
  assert.ok(ev.pretrainEpochs >= 40);
  await assert.rejects(runPipeline('em3/mechanism', { quick: true, out, figureFormats: [], verbose: false, config: { values: [0.1, 0.3] } }), /values must start at 0/);
  await assert.rejects(runPipeline('em3/mechanism', { quick: true, out, figureFormats: [], verbose: false, config: { values: [0, 1], world: { users: 150, items: 120, categories: 12, contentTopics: 12, mismatch: 0.2 } } }), /world\.mismatch is set by the swept contentSignal/);
  assert.equal(mismatchAt(0.7), 0.3);
});
