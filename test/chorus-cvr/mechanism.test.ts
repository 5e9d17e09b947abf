/**
 * chorus-cvr/mechanism end to end at a tiny size (wiring, not a reproduction): per-knob records of both methods, the
 * paired gain per intentShare and seed (the paired difference, SE below the unpaired one), the growth record, the
 * table and figure, both mechanism claims judged; the defaults (sweep from 0, the declared default among the values,
 * quick mode small, >= 5 seeds otherwise); the swept knob cannot be set in the world config.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { select } from '../../src/evidence/records.ts';
import { knobLabel } from '../../src/evidence/mechanism.ts';
import { checkSeeds, RUN_MODES } from '../../src/evidence/rules.ts';
import { CHORUS_MECHANISM_SPEC, type ChorusMechanismConfig } from '../../src/pipelines/chorus-cvr/mechanism.ts';
import { CHORUS_WORLD_KNOBS } from '../../src/pipelines/chorus-cvr/common.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-chorus-mech-'));
after(() => rmSync(out, { recursive: true, force: true }));
const TINY_WORLD = { users: 300, items: 200, categories: 10, sellers: 20, exposuresPerUser: 20 };

test('chorus-cvr/mechanism: by-knob and paired gain records per intentShare, growth, table, figure, claims judged', async () => {
  const run = await runPipeline('chorus-cvr/mechanism', { quick: true, out, figureFormats: [], verbose: false, config: { world: TINY_WORLD, values: [0, 0.5], seeds: [1, 2], trainer: { epochs: 1, batchSize: 512 } } });
  const [t] = run.tables;
  assert.equal(t.id, 'mechanism');
  assert.deepEqual(t.rows.map((r) => r.method), ['ChorusCVR', 'DCMT']);
  assert.deepEqual(t.metrics.map((m) => m.name), ['intentShare=0', 'intentShare=0.5']);
  for (const v of [0, 0.5]) {
    const knob = knobLabel('intentShare', v);
    const m = select(run.records, { table: 'by-knob', method: 'ChorusCVR', knob, metric: 'cvr_auc_entire', split: 'test' });
    const b = select(run.records, { table: 'by-knob', method: 'DCMT', knob, metric: 'cvr_auc_entire', split: 'test' });
    const g = select(run.records, { table: 'gain', method: 'ChorusCVR', knob, metric: 'cvr_auc_entire_gain', split: 'test' });
    assert.deepEqual(g.map((r) => r.seed), [1, 2], `one gain per seed at ${knob}`);
    g.forEach((r, i) => {
      assert.ok(Math.abs(r.value - (m[i].value - b[i].value)) < 1e-9, `gain at ${knob} seed ${r.seed} is the paired difference`);
      assert.ok((r.se as number) > 0 && (r.se as number) < Math.hypot(m[i].se as number, b[i].se as number), 'paired SE below the unpaired one');
    });
    assert.equal(t.rows[0].cells[knob].mean, (m[0].value + m[1].value) / 2, 'the table shows the by-knob numbers');
  }
  const growth = select(run.records, { table: 'gain', method: 'ChorusCVR', knob: '', metric: 'gain_growth', split: 'test' });
  assert.equal(growth.length, 2);
  assert.ok(select(run.records, { table: 'gain', method: 'DCMT', metric: 'gain_growth', split: 'test' }).every((r) => r.value === 0));
  assert.deepEqual(run.verdicts.map((v) => v.claim.id), ['mechanism-intentShare-default', 'mechanism-intentShare-growth']);
  for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `${v.claim.id}: ${v.reason}`);
  assert.match(run.markdown, /\| 0 \(mechanism absent\) \|/);
  assert.match(run.markdown, /\| 0\.5 \(paper default\) \|/);
  assert.ok(existsSync(join(run.dir, 'figures', 'mechanism.html')));
});

test('chorus-cvr/mechanism defaults: from 0, the declared default swept, quick small, >= 5 seeds otherwise; the knob is not settable', async () => {
  const spec = getPipeline('chorus-cvr/mechanism');
  assert.equal(CHORUS_MECHANISM_SPEC.defaultValue, CHORUS_WORLD_KNOBS.intentShare);
  for (const mode of RUN_MODES) {
    const d = spec.defaults(mode) as ChorusMechanismConfig;
    assert.doesNotThrow(() => spec.schema.parse(d));
    assert.equal(d.values[0], 0);
    assert.ok(d.values.includes(CHORUS_MECHANISM_SPEC.defaultValue), `${mode}: the default is swept`);
    assert.ok(d.values.length >= 4 && d.values.length <= 5);
    assert.deepEqual([d.method.label, d.base.label], ['ChorusCVR', 'DCMT']);
    assert.equal((d.world as { intentShare?: number }).intentShare, undefined);
    assert.doesNotThrow(() => checkSeeds(d.seeds, mode));
    if (mode === 'quick') assert.ok((d.world.users ?? Infinity) <= 1500 && d.seeds.length <= 3);
    else assert.ok(new Set(d.seeds).size >= 5);
  }
  await assert.rejects(runPipeline('chorus-cvr/mechanism', { quick: true, out, figureFormats: [], verbose: false, config: { world: { intentShare: 0.3 } } }), /world\.intentShare is the swept knob/);
});
