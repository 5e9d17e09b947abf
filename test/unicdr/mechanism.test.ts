/**
 * The multi-domain world's mechanism knob `preferenceShare` and the `unicdr/mechanism` pipeline. Probe: a ridge
 * regression from a user's true affinities in domain 1 to those in domain 2, fitted on half the overlapping users and
 * scored (R²) on the other half, finds nothing at ρ = 0 and ρ² of the variance above it (the two domains' tastes are
 * unit-variance draws with correlation ρ). Pipeline: a tiny run
 * writes 'by-knob' records for both methods at every value, paired 'gain' records, 'gain_growth', the table and figure,
 * and its two mechanism claims are measured (not 'not measured'). The wiring test's numbers are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMultiDomainWorld } from '../../src/worlds/multi-domain-world.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { UNICDR_MECHANISM_SPEC, unicdrMechanismDefaults } from '../../src/pipelines/unicdr/mechanism.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-unicdr-mech-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** Out-of-sample R² of a ridge regression of domain-2 affinities on domain-1 affinities (overlapping users). */
function crossDomainR2(preferenceShare: number): number {
  const w = generateMultiDomainWorld({ scenario: 'dual-user-intra', users: 1200, items: 40, overlap: 1, interactions: 4, preferenceShare, seed: 9 });
  const users = Int32Array.from({ length: 1200 }, (_, u) => u);
  const P = 12; // items probed per domain
  const aff = (d: number) => Array.from(users, (u) => Array.from(w.trueScore(d, Array.from({ length: P }, () => u), Array.from({ length: P }, (_, i) => i))));
  const X = aff(0).map((r) => [1, ...r]);
  const Y = aff(1);
  const half = 600;
  const k = P + 1;
  // Ridge normal equations (XᵀX + λI) B = XᵀY on the first half.
  const A = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => X.slice(0, half).reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? 1e-3 : 0)));
  const Bm = Array.from({ length: k }, (_, i) => Array.from({ length: P }, (_, j) => X.slice(0, half).reduce((s, r, n) => s + r[i] * Y[n][j], 0)));
  for (let c = 0; c < k; c++) {
    const p = A[c][c];
    for (let j = 0; j < k; j++) A[c][j] /= p;
    for (let j = 0; j < P; j++) Bm[c][j] /= p;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r][c];
      for (let j = 0; j < k; j++) A[r][j] -= f * A[c][j];
      for (let j = 0; j < P; j++) Bm[r][j] -= f * Bm[c][j];
    }
  }
  let ssRes = 0;
  let ssTot = 0;
  for (let j = 0; j < P; j++) {
    const test = Y.slice(half).map((y) => y[j]);
    const mean = test.reduce((s, v) => s + v, 0) / test.length;
    X.slice(half).forEach((r, n) => {
      const pred = r.reduce((s, x, i) => s + x * Bm[i][j], 0);
      ssRes += (test[n] - pred) ** 2;
      ssTot += (test[n] - mean) ** 2;
    });
  }
  return 1 - ssRes / ssTot;
}

test('preferenceShare probe: at 0 a user\'s domain-1 preference predicts nothing in domain 2; above 0 it predicts about ρ²', () => {
  const r0 = crossDomainR2(0);
  const r5 = crossDomainR2(0.5);
  const r84 = crossDomainR2(0.84);
  assert.ok(Math.abs(r0) < 0.03, `R² at ρ = 0 is ${r0.toFixed(3)}`);
  assert.ok(r5 > 0.15 && r5 < 0.35, `R² at ρ = 0.5 is ${r5.toFixed(3)}`);
  assert.ok(r84 > 0.6 && r84 < 0.82, `R² at ρ = 0.84 is ${r84.toFixed(3)}`);
  assert.ok(r0 < r5 && r5 < r84, 'R² grows with ρ');
});

test('preferenceShare null keeps the shift formula (the main tables\' worlds do not move)', () => {
  const a = generateMultiDomainWorld({ scenario: 'dual-user-intra', users: 60, items: 40, interactions: 4, seed: 4 });
  const b = generateMultiDomainWorld({ scenario: 'dual-user-intra', users: 60, items: 40, interactions: 4, seed: 4, preferenceShare: 1 - 0.4 ** 2 });
  assert.deepEqual(Array.from(a.trueScore(0, [1, 2, 3], [4, 5, 6])).map((x) => x.toFixed(4)), Array.from(b.trueScore(0, [1, 2, 3], [4, 5, 6])).map((x) => x.toFixed(4)));
  assert.deepEqual(a.domains[1].train.items, b.domains[1].train.items);
});

test('unicdr/mechanism: defaults sweep from 0 with the default among the values; a tiny run writes by-knob, paired gain and growth records and measures both claims', async () => {
  const q = unicdrMechanismDefaults('quick');
  assert.equal(q.values[0], 0);
  assert.ok(q.values.includes(UNICDR_MECHANISM_SPEC.defaultValue), 'the default value is swept (the default claim reads it)');
  const ev = unicdrMechanismDefaults('evidence');
  const w = generateMultiDomainWorld({ ...ev.world });
  assert.ok(w.domains.every((d) => d.coldTest.users.length >= 100), `evidence cold-start users per domain: ${w.domains.map((d) => d.coldTest.users.length).join(', ')}`);
  const run = await runPipeline('unicdr/mechanism', {
    quick: true, out, figureFormats: [], verbose: false,
    config: {
      world: { scenario: 'dual-user-inter', users: 120, items: 60, interactions: 6, coldStart: 0.6 }, values: [0, 0.84, 1], seeds: [1],
      settings: { ...q.settings, dim: 8, negatives: 29, trainer: { epochs: 1, batchSize: 256, validNegatives: 19 } },
    },
  });
  for (const v of ['preferenceShare=0', 'preferenceShare=0.84', 'preferenceShare=1']) {
    for (const m of ['UniCDR', 'BPR-MF']) assert.equal(run.records.filter((r) => r.table === 'by-knob' && r.method === m && r.knob === v && r.metric === 'hr10_cold_mean').length, 1, `${m} at ${v}`);
    const g = run.records.filter((r) => r.table === 'gain' && r.method === 'UniCDR' && r.knob === v && r.metric === 'hr10_cold_mean_gain');
    assert.equal(g.length, 1, `one paired gain record at ${v}`);
    const m = run.records.find((r) => r.table === 'by-knob' && r.method === 'UniCDR' && r.knob === v) as { value: number };
    const b = run.records.find((r) => r.table === 'by-knob' && r.method === 'BPR-MF' && r.knob === v) as { value: number };
    assert.ok(Math.abs(g[0].value - (m.value - b.value)) < 1e-9, 'the paired gain is the difference of the two HR@10s');
    assert.ok((g[0].se ?? -1) >= 0 && (g[0].rows ?? 0) > 0);
  }
  assert.equal(run.records.filter((r) => r.metric === 'gain_growth').length, 2);
  assert.ok(run.tables.some((t) => t.id === 'mechanism'));
  for (const c of ['mechanism-preferenceShare-default', 'mechanism-preferenceShare-growth']) {
    const v = run.verdicts.find((x) => x.claim.id === c);
    assert.ok(v && v.verdict !== 'not measured', `${c}: ${v?.verdict} ${v?.reason}`);
  }
});
