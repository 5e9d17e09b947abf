/**
 * The mechanism pipelines of the live-world papers at a tiny size: farm/mechanism (burstStrength, FARM vs PLE) and
 * moment-cross/mechanism (popularityDrift, Moment&Cross vs the daily-batch base): the sweep starts at 0 with the
 * declared default among its values, the 'mechanism' table compares the method with its base per knob value, every
 * fit writes a by-knob record with SE, rows and positives, the gain records cover every value and seed plus the growth,
 * and both mechanism claims get a verdict; setting the swept knob in the world is an error naming it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { LIVE_WORLD_SIZES } from '../../src/worlds/live-world.ts';
import { knobLabel } from '../../src/evidence/mechanism.ts';
import { FARM_MECHANISM_SPEC, farmMechanismDefaults } from '../../src/pipelines/farm/mechanism.ts';
import { MC_MECHANISM_SPEC, momentCrossMechanismDefaults } from '../../src/pipelines/moment-cross/mechanism.ts';
import { SUMMARY_METRIC } from '../../src/pipelines/farm/live-evidence.ts';

const out = mkdtempSync(join(tmpdir(), 'reclab-live-mech-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RUN = { quick: true, out, figureFormats: [] as never[], verbose: false };
const RICH = { click: 0.4, effective_view: 0.2, like: 0.1, comment: 0.05, gift: 0.03, follow: 0.03 };
const WORLD = { ...LIVE_WORLD_SIZES.tiny, users: 200, liveShare: 0.3, rates: RICH };

for (const [name, spec, defaults] of [['farm/mechanism', FARM_MECHANISM_SPEC, farmMechanismDefaults], ['moment-cross/mechanism', MC_MECHANISM_SPEC, momentCrossMechanismDefaults]] as const) {
  test(`${name}: declared sweep from 0, table 'mechanism' vs the base, by-knob and gain records, both claims judged`, async () => {
    assert.equal(spec.values[0], 0);
    assert.ok(spec.values.includes(spec.defaultValue), 'the default is swept');
    const d = defaults('evidence');
    assert.equal(d.seeds.length, 5);
    assert.equal(d.base.label, spec.base);
    const values = [0, spec.values[spec.values.length - 1]];
    const config = { ...defaults('quick'), world: WORLD, values, trainer: { epochs: 1, batchSize: 512 }, seeds: [1] };
    const run = await runPipeline(name, { ...RUN, config });
    const [t] = run.tables;
    assert.equal(t.id, 'mechanism');
    assert.equal(t.base, spec.base);
    assert.deepEqual(t.rows.map((r) => r.method).sort(), [spec.method, spec.base].sort());
    assert.deepEqual(t.metrics.map((m) => m.name), values.map((v) => knobLabel(spec.knobName, v)));
    for (const v of values) {
      for (const m of [spec.method, spec.base]) {
        const r = run.records.find((x) => x.table === 'by-knob' && x.method === m && x.knob === knobLabel(spec.knobName, v) && x.metric === SUMMARY_METRIC);
        assert.ok(r && r.se !== null && r.rows !== null && r.positives !== null, `${m} at ${v}: by-knob record with SE, rows, positives`);
      }
      assert.ok(run.records.some((x) => x.table === 'gain' && x.knob === knobLabel(spec.knobName, v) && x.metric === `${SUMMARY_METRIC}_gain`), `gain record at ${v}`);
    }
    assert.ok(run.records.some((x) => x.table === 'gain' && x.metric === 'gain_growth' && x.method === spec.method));
    assert.equal(run.verdicts.length, 2);
    await assert.rejects(runPipeline(name, { ...RUN, config: { ...config, world: { ...WORLD, [spec.knobName]: 1 } } }), new RegExp(`world.${spec.knobName} is the swept knob`));
  });
}
