/**
 * The funnel world's mechanism knobs, probed against the world's truth (issue 14):
 * - intentShare (the hidden confounder): with 0 the clicked rows are a consistent sample for the features-only CVR —
 *   their sampled conversions match P(convert | x) (`p_cvr_x`); with > 0 they convert more than P(convert | x) says
 *   (missing not at random), while matching P(convert | x, clicked) (`p_cvr_x_clicked`), which a clicked-row fit
 *   estimates. Both are z-tests of sampled labels against the truth, so the probe can fail either way.
 * - ambiguousShare: the sampled share of unclicked exposures that would have converted follows the knob.
 * - the chorus-cvr pipelines declare the knobs' defaults (CHORUS_WORLD_KNOBS) in every mode's world.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FUNNEL_TRUTH, generateFunnelWorld } from '../../src/worlds/funnel-world.ts';
import type { WorldData } from '../../src/worlds/world.ts';
import { CHORUS_WORLD_KNOBS } from '../../src/pipelines/chorus-cvr/common.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { RUN_MODES } from '../../src/evidence/rules.ts';
import '../../src/pipelines/registry.ts';

const SMALL = { users: 1200, items: 400, categories: 12, sellers: 40 };

/** z of mean over the clicked rows of (would-convert label - truth column), SE from the truth's Bernoulli variance. */
function clickedZ(w: WorldData, column: string): { observed: number; expected: number; z: number } {
  let n = 0, sum = 0, exp = 0, v = 0;
  for (const part of ['train', 'valid', 'test'] as const) {
    const click = w[part].label('click');
    const cf = w.truth[part][FUNNEL_TRUTH.cfConversion];
    const p = w.truth[part][column];
    const pc = w.truth[part][FUNNEL_TRUTH.pCvrXClicked];
    for (let i = 0; i < click.length; i++) {
      if (click[i] !== 1) continue;
      n++;
      sum += cf[i];
      exp += p[i];
      v += pc[i] * (1 - pc[i]);
    }
  }
  return { observed: sum / n, expected: exp / n, z: (sum - exp) / Math.sqrt(v) };
}

test('intentShare 0: the clicked rows convert at P(convert | x) — a clicked-row CVR model is unbiased', () => {
  const w = generateFunnelWorld({ ...SMALL, intentShare: 0 });
  const t = w.truth.test;
  assert.deepEqual(Array.from(t[FUNNEL_TRUTH.pCvrX]), Array.from(t[FUNNEL_TRUTH.pCvr]), 'no intent: x fixes p_cvr');
  assert.deepEqual(Array.from(t[FUNNEL_TRUTH.pCvrXClicked]), Array.from(t[FUNNEL_TRUTH.pCvr]));
  const x = clickedZ(w, FUNNEL_TRUTH.pCvrX);
  assert.ok(Math.abs(x.z) < 3, `clicked rows ${x.observed.toFixed(4)} vs P(convert | x) ${x.expected.toFixed(4)}: z ${x.z.toFixed(2)}`);
});

for (const tau of [0.25, 0.5]) {
  test(`intentShare ${tau}: the clicked rows convert above P(convert | x) (not at random) and at P(convert | x, clicked)`, () => {
    const w = generateFunnelWorld({ ...SMALL, intentShare: tau });
    const x = clickedZ(w, FUNNEL_TRUTH.pCvrX);
    assert.ok(x.z > 4, `clicked rows ${x.observed.toFixed(4)} vs P(convert | x) ${x.expected.toFixed(4)}: z ${x.z.toFixed(2)} (expected > 4)`);
    const xc = clickedZ(w, FUNNEL_TRUTH.pCvrXClicked);
    assert.ok(Math.abs(xc.z) < 3, `clicked rows ${xc.observed.toFixed(4)} vs P(convert | x, clicked) ${xc.expected.toFixed(4)}: z ${xc.z.toFixed(2)}`);
    // Integrating the intent out keeps the exposure-space mean: E_D[p_cvr_x] = E_D[p_cvr] up to the quadrature.
    const t = w.truth.test;
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(t[FUNNEL_TRUTH.pCvrX]) - mean(t[FUNNEL_TRUTH.pCvr])) < 0.005, 'quadrature mean');
  });
}

test('ambiguousShare: the sampled share of unclicked exposures that would have converted follows the knob', () => {
  for (const target of [0.04, 0.15]) {
    const w = generateFunnelWorld({ ...SMALL, ambiguousShare: target });
    let n = 0, s = 0;
    for (const part of ['train', 'valid', 'test'] as const) {
      const click = w[part].label('click');
      const cf = w.truth[part][FUNNEL_TRUTH.cfConversion];
      for (let i = 0; i < click.length; i++) if (click[i] === 0) { n++; s += cf[i]; }
    }
    const se = Math.sqrt((target * (1 - target)) / n);
    assert.ok(Math.abs(s / n - target) < 4 * se, `ambiguousShare ${target}: sampled ${(s / n).toFixed(4)} (SE ${se.toFixed(4)})`);
  }
});

test('the chorus-cvr pipelines declare the knob defaults in every mode', () => {
  assert.deepEqual(CHORUS_WORLD_KNOBS, { intentShare: 0.5, ambiguousShare: null });
  for (const name of ['chorus-cvr/main', 'chorus-cvr/ablation', 'chorus-cvr/bias-sweep']) {
    for (const mode of RUN_MODES) {
      const world = (getPipeline(name).defaults(mode) as { world: Record<string, unknown> }).world;
      assert.equal(world.intentShare, CHORUS_WORLD_KNOBS.intentShare, `${name} ${mode}`);
      assert.equal(world.ambiguousShare, CHORUS_WORLD_KNOBS.ambiguousShare, `${name} ${mode}`);
    }
  }
});
