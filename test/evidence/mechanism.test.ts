/**
 * Mechanism sweeps (src/evidence/mechanism.ts) on planted records: a gain of zero at knob 0 that grows with the knob is
 * read as "within the MDE of zero" at 0 and as significant growth; a flat gain is not; pipelines' own paired gain
 * records win over the unpaired fallback; specs that do not start at 0 are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMechanismSpec, gainRecord, gainRecords, knobLabel, mechanismClaims, mechanismFigure, mechanismSummary, type MechanismSpec } from '../../src/evidence/mechanism.ts';
import { judgeClaims } from '../../src/evidence/claims.ts';
import { select, type ResultRecord } from '../../src/evidence/records.ts';
import { Rng } from '../../src/random.ts';

const SPEC: MechanismSpec = {
  knobName: 'intentShare', values: [0, 0.1, 0.2, 0.4], defaultValue: 0.2, defaultSource: 'planted for the test',
  method: 'M', base: 'B', metric: 'auc', direction: 'higher', claimSource: 'test',
};
const SEEDS = [1, 2, 3, 4, 5];
const SE = 0.002;

/** Per-knob records where M − B = slope * knob + seed noise; B's level moves with the seed. */
function sweep(slope: number, seed = 7): ResultRecord[] {
  const rng = new Rng(seed);
  const out: ResultRecord[] = [];
  const rec = (method: string, v: number, s: number, value: number): ResultRecord => ({
    pipeline: '', run: '', table: 'by-knob', method, variant: '', knob: knobLabel('intentShare', v), metric: 'auc', split: 'test', seed: s, value, rows: 5000, positives: 1000, se: SE, stillImproving: false,
  });
  for (const v of SPEC.values) {
    for (const s of SEEDS) {
      const b = 0.7 + 0.01 * rng.normal();
      out.push(rec('B', v, s, b), rec('M', v, s, b + slope * v + 0.001 * rng.normal()));
    }
  }
  return out;
}

test('a gain nil at 0 and growing with the knob: within the MDE of zero at 0, significant at the top, both claims agree', () => {
  const records = sweep(0.1);
  const all = [...records, ...gainRecords(records, SPEC)];
  const { rows, markdown } = mechanismSummary(all, SPEC);
  assert.equal(rows.length, 4);
  assert.ok(rows[0].withinMdeOfZero, `gain at 0 is ${rows[0].gain}, MDE ${rows[0].mde}`);
  assert.ok(Math.abs(rows[3].gain - 0.04) < 0.003, `gain at 0.4 is ${rows[3].gain}, planted 0.04`);
  assert.ok(rows[3].lo > 0 && rows[3].p !== null && rows[3].p < 0.05);
  // unpaired SE: each seed's test variance is 2 SE^2, so the interval is at least ±1.96·√2·SE wide
  assert.ok(rows[3].hi - rows[3].lo >= 2 * 1.96 * Math.SQRT2 * SE - 1e-12);
  assert.match(markdown, /\| 0 \(mechanism absent\) \| .* within the MDE of zero \|/);
  assert.match(markdown, /\| 0\.2 \(paper default\) \|/);
  const growth = select(all, { table: 'gain', method: 'M', metric: 'gain_growth' });
  assert.equal(growth.length, SEEDS.length);
  assert.deepEqual(select(all, { table: 'gain', method: 'B', metric: 'gain_growth' }).map((r) => r.value), [0, 0, 0, 0, 0]);
  const verdicts = judgeClaims(mechanismClaims(SPEC), all);
  assert.deepEqual(verdicts.map((v) => v.verdict), ['agrees', 'agrees'], verdicts.map((v) => v.reason).join('\n'));
});

test('a flat gain: the growth claim cannot tell; a reversed one disagrees', () => {
  const flat = sweep(0);
  const v1 = judgeClaims(mechanismClaims(SPEC), [...flat, ...gainRecords(flat, SPEC)]);
  assert.equal(v1[1].verdict, 'cannot tell', v1[1].reason);
  const reversed = sweep(-0.1);
  const v2 = judgeClaims(mechanismClaims(SPEC), [...reversed, ...gainRecords(reversed, SPEC)]);
  assert.deepEqual(v2.map((v) => v.verdict), ['disagrees', 'disagrees']);
});

test("a pipeline's own paired gain records are kept and used; the unpaired fallback fills only the rest", () => {
  const records = sweep(0.1);
  const knob = knobLabel('intentShare', 0.4);
  const paired = gainRecord({ method: 'M', knob, metric: 'auc_gain', seed: 1, value: 0.05, rows: 5000, positives: 1000, se: 0.0005, stillImproving: false });
  const literal: ResultRecord = { pipeline: '', run: '', table: 'gain', method: 'M', variant: '', knob, metric: 'auc_gain', split: 'test', seed: 1, value: 0.05, rows: 5000, positives: 1000, se: 0.0005, stillImproving: false };
  assert.deepEqual(paired, literal, 'gainRecord writes the table-gain record the module reads');
  const written = gainRecords([...records, paired], SPEC);
  assert.equal(select(written, { method: 'M', knob, metric: 'auc_gain' }).filter((r) => r.seed === 1).length, 0, 'the paired record is not duplicated');
  assert.equal(select(written, { method: 'M', knob, metric: 'auc_gain' }).length, SEEDS.length - 1);
  assert.deepEqual(select(written, { method: 'B', knob, metric: 'auc_gain' }).map((r) => [r.seed, r.value, r.se]), SEEDS.map((s) => [s, 0, 0]), "the base's gain over itself: 0, SE 0, every seed");
  const growth1 = select(written, { method: 'M', metric: 'gain_growth' }).find((r) => r.seed === 1)!;
  const at0 = select(written, { method: 'M', knob: knobLabel('intentShare', 0), metric: 'auc_gain' }).find((r) => r.seed === 1)!;
  assert.ok(Math.abs(growth1.value - (0.05 - at0.value)) < 1e-12, 'growth reads the paired gain at the top');
});

test("the default claim judges the paired gain records: a gain the unpaired SEs hide is found when the pipeline paired it", () => {
  // Per seed M − B = 0.004 at the default; each side's SE is 0.01 (unpaired gain SE 0.014), the paired SE 0.001.
  const at = knobLabel('intentShare', SPEC.defaultValue);
  const records: ResultRecord[] = [];
  for (const v of SPEC.values) {
    for (const s of SEEDS) {
      const base = { pipeline: '', run: '', table: 'by-knob', variant: '', knob: knobLabel('intentShare', v), metric: 'auc', split: 'test', seed: s, rows: 5000, positives: 1000, se: 0.01, stillImproving: false };
      const b = 0.7 + 0.0001 * s;
      records.push({ ...base, method: 'B', value: b }, { ...base, method: 'M', value: b + 0.004 + 0.0002 * (s % 2) });
    }
  }
  const unpaired = judgeClaims(mechanismClaims(SPEC), [...records, ...gainRecords(records, SPEC)])[0];
  assert.equal(unpaired.verdict, 'cannot tell', unpaired.reason);
  const paired = records.filter((r) => r.knob === at && r.method === 'M').map((m) => {
    const b = records.find((r) => r.knob === at && r.method === 'B' && r.seed === m.seed)!;
    return gainRecord({ method: 'M', knob: at, metric: 'auc_gain', seed: m.seed, value: m.value - b.value, se: 0.001, rows: 5000, positives: 1000, stillImproving: false });
  });
  const withPaired = [...records, ...paired];
  const v = judgeClaims(mechanismClaims(SPEC), [...withPaired, ...gainRecords(withPaired, SPEC)])[0];
  assert.equal(v.claim.table, 'gain');
  assert.equal(v.verdict, 'agrees', v.reason);
});

test('the summary reads significance first: a significant gain below the MDE says so instead of "within the MDE of zero"', () => {
  const records: ResultRecord[] = [];
  const offsets = [0, 0.0002, -0.0002, 0.0001, -0.0001];
  for (const v of SPEC.values) {
    const g = v === 0 ? 0.0001 : 0.007; // SE 0.00316 per seed: p about 0.03 at 0.007, MDE about 0.0089
    SEEDS.forEach((seed, i) => records.push(gainRecord({ method: 'M', knob: knobLabel('intentShare', v), metric: 'auc_gain', seed, value: g + offsets[i], se: Math.sqrt(1e-5), rows: 5000, positives: 1000, stillImproving: false })));
  }
  const { rows, markdown } = mechanismSummary(records, SPEC);
  const top = rows[rows.length - 1];
  assert.ok(top.p !== null && top.p < 0.05 && top.withinMdeOfZero, `planted: p ${top.p}, |gain| ${top.gain} <= MDE ${top.mde}`);
  assert.match(markdown, /\| 0\.4 \| \+0\.0070 \| .* \| gain \(significant, below the MDE\) \|/);
  assert.match(markdown, /\| 0 \(mechanism absent\) \| .* \| within the MDE of zero \|/);
});

test('specs: the sweep starts at 0, ascends, names its default source; the figure draws intervals, zero line, default', () => {
  assert.throws(() => checkMechanismSpec({ ...SPEC, values: [0.1, 0.2] }), /must start at 0/);
  assert.throws(() => checkMechanismSpec({ ...SPEC, values: [0, 0.2, 0.1] }), /strictly ascending/);
  assert.throws(() => checkMechanismSpec({ ...SPEC, defaultSource: ' ' }), /where the default comes from/);
  assert.throws(() => mechanismFigure([], SPEC, 't'), /no records of M and B/);
  const records = sweep(0.1);
  const fig = mechanismFigure(records, SPEC, 'gain vs intent');
  const traces = fig.data as Array<{ name?: string; x?: unknown[]; error_y?: { array?: number[] } }>;
  assert.equal(traces[0].x?.length, 4);
  assert.ok(traces[0].error_y?.array?.every((h) => h > 0), 'every point has an interval');
  assert.ok(traces.some((t) => t.name?.startsWith('paper default')));
  assert.ok(JSON.stringify(fig.layout).includes('no gain'));
});
