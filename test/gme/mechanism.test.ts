/**
 * Issue 15's GME pieces: the backbone sum-pools multi-hot tags (as the generator and the released code); the world's
 * mechanism knob `irrelevantShare` is absent at 0 and present above it, probed against the world's truth (the ID
 * effects); gme/mechanism end to end at a tiny size (by-knob, gain and gain_growth records, the sweep table, claims
 * measured); the paired cold-start gain records (DeLong's paired SE).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { ColdStartBackbone } from '../../src/gme/backbones.ts';
import { buildAdGraph } from '../../src/gme/graph.ts';
import { COLD_START_WORLD_SIZES, generateColdStartWorld } from '../../src/worlds/cold-start-world.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { GME_MECHANISM_SPEC } from '../../src/pipelines/gme/mechanism.ts';
import { pairedColdGainRecords } from '../../src/pipelines/gme/common.ts';
import type { StageEvidence } from '../../src/pipelines/gme/evidence.ts';
import { deLongAuc, deLongPaired } from '../../src/evidence/stats.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-gme-mech-'));
after(() => rmSync(out, { recursive: true, force: true }));
const tiny = COLD_START_WORLD_SIZES.tiny;

test('backbone: the tags field is the sum of the tag embeddings (padding excluded), not their mean', () => {
  const w = generateColdStartWorld(tiny);
  const bb = new ColdStartBackbone(new Rng(1), w.schema, 'dnn', { embeddingDim: 4, hidden: [8] });
  try {
    const ds = w.parts.test;
    const rows = Int32Array.from({ length: 20 }, (_, i) => i * w.world.testImpressions); // one row of each new ad
    const fields = tf.tidy(() => bb.fields(toTensors(ds, batchOf(ds, rows))).arraySync() as number[][][]); // (B, F, D)
    const table = bb.emb.tableOf('tags').table.arraySync() as number[][];
    const tags = ds.column('tags');
    const L = ds.widthOf('tags');
    const F = fields[0].length;
    let multi = 0;
    for (const [k, r] of rows.entries()) {
      const ids = Array.from(tags.subarray(r * L, (r + 1) * L)).filter((t) => t > 0);
      if (ids.length > 1) multi++;
      const want = table[0].map((_, d) => ids.reduce((s, t) => s + table[t][d], 0));
      fields[k][F - 1].forEach((x, d) => assert.ok(Math.abs(x - want[d]) < 1e-5, `row ${r} dim ${d}: ${x} vs sum ${want[d]}`));
    }
    assert.ok(multi > 0, 'some rows have several tags (so sum and mean differ)');
  } finally {
    bb.dispose();
  }
});

/** Mean over new ads of the correlation-free probe: cosine of a new ad's true ID effect with the mean effect of the chosen neighbours. */
function neighbourAgreement(w: ReturnType<typeof generateColdStartWorld>, pick: (b: number) => boolean): { r: number; n: number } {
  const graph = buildAdGraph(w.ads, 10);
  const W = w.world.latentDim + 1;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let a = w.ads.oldCount; a < w.ads.count; a++) {
    const nb = [...graph.ids.subarray(a * graph.n, (a + 1) * graph.n)].filter((id) => id > 0).map((id) => id - 1).filter(pick);
    if (!nb.length) continue;
    for (let d = 0; d < W; d++) {
      xs.push(w.idEffect[a * W + d]);
      ys.push(nb.reduce((s, b) => s + w.idEffect[b * W + d], 0) / nb.length);
    }
  }
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let sxy = 0, sxx = 0, syy = 0;
  xs.forEach((x, i) => { sxy += (x - mx) * (ys[i] - my); sxx += (x - mx) ** 2; syy += (ys[i] - my) ** 2; });
  return { r: sxy / Math.sqrt(sxx * syy), n: xs.length };
}

test('world knob irrelevantShare: absent at 0 (no generic ads, every neighbour shares the effect), present above it (the generic neighbours do not)', () => {
  const size = { ...COLD_START_WORLD_SIZES.quick };
  const generic = (w: ReturnType<typeof generateColdStartWorld>, a: number) => {
    const s = w.ads.slots.find((x) => x.name === 'tags');
    assert.ok(s);
    return Array.from(s.values.subarray(a * s.width, (a + 1) * s.width)).includes(w.world.tags + 1);
  };
  const off = generateColdStartWorld({ ...size, irrelevantShare: 0 });
  assert.equal(off.irrelevant.reduce((s, x) => s + x, 0), 0);
  for (let a = 0; a < off.ads.count; a++) assert.ok(!generic(off, a), `ad ${a} carries the generic tag at irrelevantShare 0`);
  const on = generateColdStartWorld({ ...size, irrelevantShare: 0.5 });
  const share = on.irrelevant.subarray(0, on.ads.oldCount).reduce((s, x) => s + x, 0) / on.ads.oldCount;
  assert.ok(share > 0.4 && share < 0.6, `irrelevant share of old ads ${share}`);
  for (let a = 0; a < on.ads.count; a++) assert.equal(generic(on, a), on.irrelevant[a] === 1, `ad ${a}: the generic tag marks exactly the irrelevant ads`);
  assert.ok(on.irrelevant.subarray(on.ads.oldCount).every((x) => x === 0), 'new ads always follow their cluster');
  const relevant = neighbourAgreement(on, (b) => on.irrelevant[b] === 0);
  const unrelated = neighbourAgreement(on, (b) => on.irrelevant[b] === 1);
  assert.ok(relevant.r > 0.5, `relevant neighbours share the effect: r = ${relevant.r}`);
  assert.ok(Math.abs(unrelated.r) < 0.1, `generic neighbours do not: r = ${unrelated.r} over ${unrelated.n} values`);
  const all0 = neighbourAgreement(off, () => true);
  const all1 = neighbourAgreement(on, () => true);
  assert.ok(all1.r < all0.r - 0.05, `the plain neighbour mean is diluted: r ${all0.r} at 0 vs ${all1.r} at 0.5`);
});

test('pairedColdGainRecords: DeLong paired difference per seed on the shared test rows; a missing arm is an error naming it', () => {
  const rng = new Rng(5);
  const labels = Float32Array.from({ length: 300 }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const base = Float32Array.from(labels, (y) => 0.4 * y + rng.uniform());
  const method = Float32Array.from(base, (b, i) => b + 0.3 * labels[i] + 0.2 * rng.uniform());
  const positives = labels.reduce((s, y) => s + y, 0);
  const coldOf = (p: Float32Array) => [{ cold: { auc: { ...deLongAuc(labels, p), rows: labels.length, positives } } }] as unknown as StageEvidence[];
  const runs = { cold: [{ labels, probs: { A: method, B: base } }], meta: { A: [null], B: [null] }, byArm: { A: coldOf(method), B: coldOf(base) } };
  const [r] = pairedColdGainRecords(runs, 'A', 'B', 'k=1', [7]);
  const want = deLongPaired(labels, method, base);
  assert.equal(r.seed, 7);
  assert.equal(r.knob, 'k=1');
  assert.equal(r.metric, 'cold_auc_gain');
  assert.ok(Math.abs(r.value - want.value) < 1e-12 && Math.abs((r.se ?? NaN) - want.se) < 1e-12);
  assert.ok(Math.abs(r.value - (deLongAuc(labels, method).value - deLongAuc(labels, base).value)) < 1e-12);
  assert.ok((r.se ?? Infinity) < Math.hypot(deLongAuc(labels, method).se, deLongAuc(labels, base).se), 'correlated arms: the paired SE is below the unpaired one');
  assert.equal(r.positives, labels.reduce((s, y) => s + y, 0));
  assert.equal(r.rows, labels.length);
  assert.throws(() => pairedColdGainRecords(runs, 'A', 'C', 'k=1', [7]), /no cold-start scores for 'C'/);
});

test('gme/mechanism: by-knob records of both arms per value, gain and gain_growth records, the sweep table and measured claims', async () => {
  const run = await runPipeline('gme/mechanism', {
    quick: true, out, figureFormats: [], verbose: false,
    config: { world: { ...tiny }, values: [0, 0.5], seeds: [1], backbone: { embeddingDim: 4, hidden: [8] }, meta: { batchAds: 30, learningRate: 5e-3, innerLr: 1e-4, alpha: 0.1, order: 'second', epochs: 1 } },
  });
  const byKnob = run.records.filter((r) => r.table === 'by-knob' && r.metric === 'cold_auc');
  for (const m of [GME_MECHANISM_SPEC.method, GME_MECHANISM_SPEC.base]) {
    for (const k of ['irrelevantShare=0', 'irrelevantShare=0.5']) {
      const r = byKnob.find((x) => x.method === m && x.knob === k);
      assert.ok(r && Number.isFinite(r.value) && r.se !== null && r.se > 0 && r.rows === 400, `${m} ${k}: ${JSON.stringify(r)}`);
    }
  }
  const gain = run.records.filter((r) => r.table === 'gain' && r.method === GME_MECHANISM_SPEC.method && r.metric === 'cold_auc_gain');
  assert.equal(gain.length, 2);
  const g0 = byKnob.find((x) => x.method === GME_MECHANISM_SPEC.method && x.knob === 'irrelevantShare=0');
  const b0 = byKnob.find((x) => x.method === GME_MECHANISM_SPEC.base && x.knob === 'irrelevantShare=0');
  assert.ok(g0 && b0);
  const gain0 = gain.find((x) => x.knob === 'irrelevantShare=0');
  assert.ok(gain0 && gain0.se !== null && g0.se !== null && b0.se !== null);
  assert.ok(Math.abs(gain0.value - (g0.value - b0.value)) < 1e-9, `paired AUC difference ${gain0.value} = difference of the AUCs ${g0.value - b0.value}`);
  assert.ok(gain0.se > 0 && Math.abs(gain0.se - Math.hypot(g0.se, b0.se)) > 1e-9, `the gain's SE is the paired one (${gain0.se}), not the two sides' hypot (${Math.hypot(g0.se, b0.se)})`);
  assert.equal(gain0.rows, 400);
  assert.ok(run.records.some((r) => r.table === 'gain' && r.metric === 'gain_growth' && r.method === GME_MECHANISM_SPEC.method));
  const t = run.tables.find((x) => x.id === 'mechanism');
  assert.ok(t, 'sweep table');
  assert.deepEqual(t.metrics.map((m) => m.name), ['irrelevantShare=0', 'irrelevantShare=0.5']);
  assert.equal(run.verdicts.length, 2);
  const growth = run.verdicts.find((v) => v.claim.metric === 'gain_growth');
  assert.ok(growth && growth.verdict !== 'not measured', growth?.reason);
});
