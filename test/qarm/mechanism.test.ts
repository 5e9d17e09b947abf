/**
 * qarm/mechanism end to end at a tiny size (two knob values, one seed, one ranker epoch): per knob value the frozen
 * aligned and unaligned arms with DeLong SEs in 'by-knob', paired 'gain' records (DeLong's paired SE) that the mechanism
 * module keeps, 'gain_growth', the mechanism table and figure, both mechanism claims measured; the knob's default and
 * sweep are declared from 0; a sweep that does not start at 0 is rejected. Wiring, not a reproduction.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { QARM_MECHANISM_SPEC } from '../../src/pipelines/qarm/mechanism.ts';
import { checkMechanismSpec, knobLabel } from '../../src/evidence/mechanism.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { pythonSession } from '../../src/bridge/session.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-qarm-mech-'));
after(async () => {
  await pythonSession().close();
  rmSync(out, { recursive: true, force: true });
});

test('qarm/mechanism: both arms per mismatch value, paired gains, growth, table, figure and measured claims', async () => {
  const config = {
    world: { preset: 'tiny', overrides: { users: 150, items: 120, impressionsPerUser: 12 } },
    prepare: { rqK: 4, rqLevels: 2, vqPool: 100, timeBoth: false, encoder: { pretrainEpochs: 1, alignEpochs: 2 } },
    trainer: { epochs: 1, batchSize: 1024 },
    values: [0, 0.6],
    seeds: [1],
  };
  const run = await runPipeline('qarm/mechanism', { quick: true, out, figureFormats: [], verbose: false, config });
  const spec = QARM_MECHANISM_SPEC;
  for (const v of config.values) {
    for (const method of [spec.method, spec.base]) {
      const r = run.records.find((x) => x.table === 'by-knob' && x.method === method && x.knob === knobLabel('mismatch', v) && x.metric === 'auc');
      assert.ok(r && r.se !== null && r.se > 0 && (r.rows ?? 0) > 0 && typeof r.stillImproving === 'boolean', `${method} at mismatch ${v}: ${JSON.stringify(r)}`);
    }
    const gains = run.records.filter((x) => x.table === 'gain' && x.method === spec.method && x.knob === knobLabel('mismatch', v) && x.metric === 'auc_gain');
    assert.equal(gains.length, 1, 'one paired gain per seed (the module adds no unpaired one)');
    const m = run.records.find((x) => x.table === 'by-knob' && x.method === spec.method && x.knob === knobLabel('mismatch', v) && x.metric === 'auc');
    const b = run.records.find((x) => x.table === 'by-knob' && x.method === spec.base && x.knob === knobLabel('mismatch', v) && x.metric === 'auc');
    assert.ok(Math.abs(gains[0].value - ((m?.value ?? 0) - (b?.value ?? 0))) < 1e-9, 'gain = aligned - unaligned');
    assert.ok((gains[0].se ?? 0) > 0 && Number.isFinite(gains[0].se), `DeLong paired SE ${gains[0].se}`);
  }
  assert.equal(run.records.filter((x) => x.table === 'gain' && x.metric === 'gain_growth').length, 2, 'growth for the method and 0 for the base');
  assert.deepEqual(run.tables.map((t) => t.id), ['mechanism']);
  assert.match(run.markdown, /\| 0 \(mechanism absent\) \|/);
  assert.match(run.markdown, /Alignment per knob value/);
  assert.ok(existsSync(join(run.dir, 'figures', 'mechanism.html')), 'the gain-vs-knob figure is written');
  for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `claim '${v.claim.id}': ${v.reason}`);
  assert.equal(run.verdicts.length, 2);
});

test('qarm/mechanism: the sweep starts at 0 with the default declared; evidence defaults use 5 seeds; a sweep from 0.3 is rejected', async () => {
  assert.doesNotThrow(() => checkMechanismSpec(QARM_MECHANISM_SPEC));
  assert.ok(QARM_MECHANISM_SPEC.values.includes(QARM_MECHANISM_SPEC.defaultValue));
  const p = getPipeline('qarm/mechanism');
  const ev = p.schema.parse(p.defaults('evidence')) as { seeds: number[]; world: { preset: string } };
  assert.equal(ev.seeds.length, 5);
  assert.equal(ev.world.preset, 'full');
  await assert.rejects(runPipeline('qarm/mechanism', { quick: true, out, figureFormats: [], verbose: false, config: { values: [0.3, 0.9] } }), /values must start at 0/);
});
