/**
 * FARM and the live baselines beyond the registry smoke test: every FARM ablation variant gives every trainable
 * variable a finite non-zero gradient; the frequency module's maths (Low = P V, gates, bands, padding); the InfoNCE
 * align loss against a direct computation (same-user and empty-history masking); the multi-task loss; unknown task
 * names are errors naming the task; sequences longer than max length keep the most recent items; without recency
 * embeddings FARM cannot tell a history from its circular shifts or its reverse, with them it can (and the padding side
 * does not matter).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { generateLiveWorld, LIVE_WORLD_SIZES } from '../../src/worlds/live-world.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { FrequencyAware } from '../../src/layers/frequency.ts';
import { lowPassMatrix } from '../../src/layers/dft.ts';
import { FARM, recencyIndex, symmetricInfoNce, type FARMConfig } from '../../src/models/farm.ts';
import { LiveBaseline, liveMultiTaskLoss } from '../../src/models/live-baselines.ts';
import { truncateSequences } from '../../src/data/truncate.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { bceWithLogits } from '../../src/train/losses.ts';
import { assertClose } from '../helpers/close.ts';

const world = generateLiveWorld({ ...LIVE_WORLD_SIZES.tiny, users: 300, liveShare: 0.3, seed: 5, rates: { click: 0.4, effective_view: 0.2, like: 0.1, comment: 0.05, gift: 0.03, follow: 0.03 } });
const ds = world.train;
const host = batchOf(ds, Int32Array.from({ length: 128 }, (_, i) => i));
const SMALL = { embeddingDim: 8, ple: { expertHidden: [16], tower: [8] }, attentionHidden: [8] };

const VARIANTS: Array<[string, Partial<FARMConfig>]> = [
  ['FARM', {}],
  ['w/o frequency', { frequency: { enabled: false } }],
  ['w/o align', { alignWeight: 0 }],
  ['w/o fuse', { fuse: 'none' }],
  ['fuse without align first', { fuse: 'unaligned' }],
  ['low-frequency only', { frequency: { band: 'low' } }],
  ['high-frequency only', { frequency: { band: 'high' } }],
  ['fixed gates', { frequency: { gates: 'fixed' } }],
];

for (const [label, cfg] of VARIANTS) {
  test(`FARM ${label}: every trainable variable gets a finite non-zero gradient, no leaks`, () => {
    const model = new FARM(new Rng(1), ds.schema, { ...SMALL, ...cfg });
    const vars = model.trainableVariables();
    const names = new Map([...vars].map(([k, v]) => [v.name, k]));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const batch = toTensors(ds, host);
      const out = model.apply(batch, { training: false });
      assert.equal('aux' in out, (cfg.alignWeight ?? 0.1) > 0, 'aux output iff the align loss is on');
      const { grads } = tf.variableGrads(() => liveMultiTaskLoss('click')(model.apply(batch, { training: true }), batch), [...vars.values()]);
      for (const [k, g] of Object.entries(grads)) {
        const v = g.dataSync();
        assert.ok(v.every(Number.isFinite) && v.some((x) => x !== 0), `${label}: gradient of ${names.get(k)} is finite and non-zero`);
      }
    });
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
}

test('FARM variants differ in their parameters as the ablation says', () => {
  const keys = (cfg: Partial<FARMConfig>) => {
    const m = new FARM(new Rng(1), ds.schema, { ...SMALL, ...cfg });
    const k = [...m.trainableVariables().keys()];
    m.dispose();
    return k;
  };
  assert.ok(keys({}).some((k) => k.startsWith('freqLive.alphaMlp')) && keys({}).some((k) => k.startsWith('alignSv')));
  assert.ok(!keys({ frequency: { enabled: false } }).some((k) => k.startsWith('freq')));
  assert.ok(!keys({ frequency: { band: 'low' } }).some((k) => k.includes('betaMlp')));
  assert.ok(keys({ fuse: 'unaligned' }).some((k) => k.startsWith('fuseQuery')));
  assert.ok(!keys({ fuse: 'none', alignWeight: 0 }).some((k) => k.startsWith('align')));
});

test('unknown task names in a config are errors naming the task; a task subset gives only those heads', () => {
  assert.throws(() => new FARM(new Rng(1), ds.schema, { tasks: ['click', 'gfit'] }), /farm config: unknown task 'gfit' \(known: click, effective_view, like, comment, gift, follow\)/);
  assert.throws(() => new LiveBaseline(new Rng(1), ds.schema, 'live-ple', { tasks: ['watch'] }), /live-ple config: unknown task 'watch'/);
  assert.throws(() => new FARM(new Rng(1), ds.schema, { fuse: 'both' as never }), /farm config: fuse must be aligned, unaligned or none, got 'both'/);
  assert.throws(() => new FARM(new Rng(1), ds.schema, { alpha: 1 } as never), /farm config: unknown key 'alpha'/);
  const m = new LiveBaseline(new Rng(1), ds.schema, 'live-mmoe', { ...SMALL, head: 'mmoe', mmoe: { expertHidden: [8], tower: [4] }, tasks: ['gift', 'click'] });
  tf.tidy(() => assert.deepEqual(Object.keys(m.apply(toTensors(ds, host), { training: false })).sort(), ['click', 'gift']));
  m.dispose();
});

test('liveMultiTaskLoss = sum of per-task BCE + mean(aux); a missing target output is an error', () => {
  tf.tidy(() => {
    const y = tf.tensor1d([1, 0, 1]);
    const batch = { click: y, like: tf.tensor1d([0, 0, 1]), user_id: tf.tensor1d([1, 2, 3], 'int32') };
    const out = { click: tf.tensor1d([0.5, -1, 2]), like: tf.tensor1d([-2, 0.3, 1]), aux: tf.tensor1d([0.3, 0.6, 0]), alphaLive: tf.ones([3, 2]) };
    const expected = bceWithLogits(out.click, batch.click).dataSync()[0] + bceWithLogits(out.like, batch.like).dataSync()[0] + 0.3;
    assertClose([liveMultiTaskLoss('click')(out, batch).dataSync()[0]], [expected], { rtol: 1e-6 });
    assert.throws(() => liveMultiTaskLoss('gift')(out, batch), /live loss: the model has no output for task 'gift'/);
  });
});

test('symmetricInfoNce matches a direct computation, masks same-user pairs and skips invalid rows', () => {
  const zv = [[1, 0], [0.6, 0.8], [0, 1], [-1, 0]];
  const zl = [[0.8, 0.6], [0, 1], [1, 0], [0, -1]];
  const users = [7, 7, 8, 9];
  const valid = [1, 1, 1, 0];
  const tau = 0.5;
  const S = zv.map((a) => zl.map((b) => (a[0] * b[0] + a[1] * b[1]) / tau));
  const allowed = (i: number, j: number) => valid[i] === 1 && valid[j] === 1 && (i === j || users[i] !== users[j]);
  const expected = zv.map((_, i) => {
    if (!valid[i]) return 0;
    const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
    const row = lse(S[i].filter((_, j) => allowed(i, j))) - S[i][i];
    const col = lse(S.map((r) => r[i]).filter((_, j) => allowed(j, i))) - S[i][i];
    return 0.5 * (row + col);
  });
  tf.tidy(() => {
    const got = symmetricInfoNce(tf.tensor2d(zv), tf.tensor2d(zl), tf.tensor1d(users, 'int32'), tf.tensor1d(valid), tau);
    assertClose(got.dataSync(), expected, { rtol: 1e-5, atol: 1e-6, what: 'InfoNCE' });
  });
});

test('FrequencyAware: Low = P V, alpha/beta in (0, 1), one band only zeroes the other gate, fixed gates give V (paper form) and LN(2V) (residual-layernorm variant), padding stays 0', () => {
  const L = 6;
  const D = 4;
  const v = tf.randomNormal([3, L, D], 0, 1, 'float32', 9);
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]]);
  const fa = new FrequencyAware(new Rng(2), L, D, { dropout: 0 });
  tf.tidy(() => {
    const P = lowPassMatrix(L, 3);
    const vs = v.arraySync() as number[][][];
    const expLow = vs.flatMap((row) => row.map((_, t) => Array.from({ length: D }, (_, d) => row.reduce((s, r, u) => s + P[t * L + u] * r[d], 0)))).flat();
    assertClose(fa.low(v).dataSync(), expLow, { rtol: 1e-5, atol: 1e-5, what: 'Low' });
    const { out, alpha, beta } = fa.apply(v, mask, false);
    for (const g of [...alpha.dataSync(), ...beta.dataSync()]) assert.ok(g > 0 && g < 1);
    const o = out.arraySync() as number[][][];
    for (let t = 3; t < L; t++) assert.ok(o[1][t].every((x) => x === 0), 'padded steps are zero');
    assert.ok(o[2].flat().every((x) => x === 0), 'an empty history gives zeros');
  });
  const low = new FrequencyAware(new Rng(2), L, D, { band: 'low', dropout: 0 });
  const fixed = new FrequencyAware(new Rng(2), L, D, { gates: 'fixed', dropout: 0, output: 'residual-layernorm' });
  const fixedPaper = new FrequencyAware(new Rng(2), L, D, { gates: 'fixed', dropout: 0 });
  tf.tidy(() => {
    assert.ok(low.apply(v, mask, false).beta.dataSync().every((x) => x === 0));
    assertClose(fixedPaper.apply(v, tf.ones([3, L]), false).out.dataSync(), v.dataSync(), { atol: 1e-5, what: 'Low + High = V' });
    const f = fixed.apply(v, tf.ones([3, L]), false).out;
    const { mean, variance } = tf.moments(tf.mul(v, 2), -1, true);
    assertClose(f.dataSync(), tf.div(tf.sub(tf.mul(v, 2), mean), tf.sqrt(tf.add(variance, 1e-5))).dataSync(), { atol: 1e-4, what: 'LN(2V)' });
  });
  assert.throws(() => new FrequencyAware(new Rng(1), L, D, { kLow: 0 }), /frequency config: kLow must be a positive integer, got 0/);
  assert.throws(() => new FrequencyAware(new Rng(1), L, D, { klow: 3 } as never), /frequency config: unknown key 'klow'/);
  assert.throws(() => new FrequencyAware(new Rng(1), L, D, { output: 'ln' } as never), /frequency config: output must be paper or residual-layernorm, got 'ln'/);
  for (const m of [fa, low, fixed, fixedPaper]) m.dispose();
  tf.dispose([v, mask]);
});

test('FrequencyAware (paper form, learned gates): the gradient of sum(W * F) by V and by a gate weight matches central finite differences', () => {
  const L = 5;
  const D = 3;
  const fa = new FrequencyAware(new Rng(11), L, D, { dropout: 0 });
  const vars = fa.namedVariables();
  assert.ok(![...vars.keys()].some((n) => n.startsWith('norm')), 'the paper form has no LayerNorm parameters');
  const v0 = Array.from({ length: L * D }, (_, i) => Math.sin(1.7 * i + 0.3));
  const W = Array.from({ length: L * D }, (_, i) => Math.cos(0.9 * i));
  const mask = tf.tensor2d([[1, 1, 1, 1, 0]]);
  const w = tf.tensor3d(W, [1, L, D]);
  const f = (v: Tensor) => tf.sum(tf.mul(fa.apply(v, mask, false).out, w));
  const at = (x: number[]) => tf.tidy(() => f(tf.tensor3d(x, [1, L, D])).dataSync()[0]);
  const grad = tf.tidy(() => Array.from(tf.grad(f)(tf.tensor3d(v0, [1, L, D])).dataSync()));
  const eps = 1e-2;
  for (let i = 0; i < L * D; i++) {
    const up = [...v0];
    const dn = [...v0];
    up[i] += eps;
    dn[i] -= eps;
    const fd = (at(up) - at(dn)) / (2 * eps);
    assert.ok(Math.abs(fd - grad[i]) < 2e-3 + 2e-2 * Math.abs(fd), `dF/dV[${i}]: autodiff ${grad[i]} vs finite difference ${fd}`);
  }
  for (let t = 4 * D; t < L * D; t++) assert.ok(grad[t] === 0, `a padded step gets no gradient (got ${grad[t]})`);
  // Through a gate: the first alpha-MLP weight, perturbed in place.
  const name = [...vars.keys()].find((n) => n.startsWith('alphaMlp')) as string;
  const param = vars.get(name) as Variable;
  const p0 = Array.from(param.dataSync());
  const vt = tf.tensor3d(v0, [1, L, D]);
  const g = tf.tidy(() => tf.variableGrads(() => f(vt) as Scalar, [param]).grads[param.name].dataSync()[0]);
  const shifted = (d: number) => {
    tf.tidy(() => param.assign(tf.tensor(p0.map((x, j) => (j === 0 ? x + d : x)), param.shape)));
    return tf.tidy(() => f(vt).dataSync()[0]);
  };
  const fd = (shifted(eps) - shifted(-eps)) / (2 * eps);
  tf.tidy(() => param.assign(tf.tensor(p0, param.shape)));
  assert.ok(Math.abs(g) > 1e-4, `the gate weight gets a gradient (${g})`);
  assert.ok(Math.abs(fd - g) < 2e-3 + 2e-2 * Math.abs(fd), `d/d ${name}[0]: autodiff ${g} vs finite difference ${fd}`);
  fa.dispose();
  tf.dispose([mask, w, vt]);
});

test('truncateSequences keeps the most recent items (documented rule) and the model reads the shorter history', () => {
  const schema = { features: [{ kind: 'sequence' as const, name: 'h', vocab: 10, maxLen: 7 }, { kind: 'sequence' as const, name: 'a', vocab: 10, maxLen: 7 }], labels: ['y'] };
  const d = Dataset.fromColumns(schema, {
    h: Int32Array.from([1, 2, 3, 4, 5, 0, 0, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    a: Int32Array.from([9, 8, 7, 6, 5, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    y: Float32Array.from([1, 0, 1]),
  });
  const t = truncateSequences(d, { h: 3, a: 3 });
  assert.deepEqual(t.row(0), { h: [3, 4, 5], a: [7, 6, 5], y: 1 });
  assert.deepEqual(t.row(1), { h: [6, 7, 0], a: [1, 2, 0], y: 0 });
  assert.deepEqual(t.row(2), { h: [0, 0, 0], a: [0, 0, 0], y: 1 });
  assert.deepEqual(Array.from(d.column('h').subarray(0, 7)), [1, 2, 3, 4, 5, 0, 0], 'the input is untouched');
  assert.throws(() => truncateSequences(d, { hh: 3 }), /truncateSequences: no column 'hh'/);
  assert.throws(() => truncateSequences(d, { h: 0 }), /maxLen of 'h' must be a positive integer, got 0/);
  const names = ['hist_live_item', 'hist_live_author', 'hist_live_category', 'hist_live_action'];
  const short = truncateSequences(ds, Object.fromEntries(names.map((n) => [n, 2])));
  const m = new FARM(new Rng(3), short.schema, SMALL);
  tf.tidy(() => assert.deepEqual(m.apply(toTensors(short, batchOf(short, [0, 1, 2])), { training: false }).gift.shape, [3]));
  m.dispose();
});

test('gates respond to the sequence: different histories give different alpha', () => {
  const model = new FARM(new Rng(4), ds.schema, SMALL);
  tf.tidy(() => {
    const a = model.apply(toTensors(ds, host), { training: false }).alphaLive as Tensor;
    const rows = a.arraySync() as number[][];
    assert.ok(rows.some((r) => Math.abs(r[0] - rows[0][0]) > 1e-6), 'alpha varies across users');
  });
  model.dispose();
});

test('a live baseline with the frequency module: every variable gets a gradient, dispose frees every tensor', () => {
  const before = tf.memory().numTensors;
  const m = new LiveBaseline(new Rng(6), ds.schema, 'live-naive-cd', { ...SMALL, history: 'concat', frequency: { enabled: true } });
  assert.ok([...m.trainableVariables().keys()].some((k) => k.startsWith('freq.alphaMlp')));
  const vars = m.trainableVariables();
  tf.tidy(() => {
    const batch = toTensors(ds, host);
    const { grads } = tf.variableGrads(() => liveMultiTaskLoss('click')(m.apply(batch, { training: true }), batch), [...vars.values()]);
    for (const g of Object.values(grads)) assert.ok(g.dataSync().some((x) => x !== 0));
  });
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('single-domain baselines cannot see short-video columns (hist_sv_* changes leave them unchanged); the cross-domain ones can; realtime false ignores rt_* columns', () => {
  const rows = Int32Array.from({ length: 64 }, (_, i) => i);
  const b0 = batchOf(ds, rows);
  const withSv = ds.schema.features.filter((f) => f.name.startsWith('hist_sv_'));
  assert.ok(withSv.length === 4, 'the live world has four hist_sv_* columns');
  // Replace every short-video history by another row's (a shuffled, non-empty one): same shapes, other content.
  const b1 = { size: b0.size, columns: { ...b0.columns } };
  const shift = (a: Int32Array | Float32Array, w: number) => { const o = a.slice(); for (let r = 0; r < 64; r++) o.set(a.subarray(((r + 7) % 64) * w, ((r + 7) % 64 + 1) * w), r * w); return o; };
  for (const f of withSv) b1.columns[f.name] = shift(b0.columns[f.name] as Int32Array, (f as { maxLen: number }).maxLen);
  for (const f of withSv) assert.notDeepEqual(Array.from(b1.columns[f.name] as Int32Array), Array.from(b0.columns[f.name] as Int32Array), `${f.name} changed`);
  const rtDims: Record<string, number> = { rt_counts: 18, rt_ctr: 3, stream_age: 1 };
  const b2 = { size: b0.size, columns: { ...b0.columns } };
  for (const [n, w] of Object.entries(rtDims)) b2.columns[n] = shift(b0.columns[n] as Float32Array, w);
  const preds = (m: LiveBaseline, b: typeof b0) => tf.tidy(() => Array.from(m.apply(toTensors(ds, b), { training: false }).click.dataSync()));
  const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  for (const name of ['live-dnn', 'live-din', 'live-mmoe', 'live-ple']) {
    const m = new LiveBaseline(new Rng(8), ds.schema, name, { ...SMALL, encoder: name === 'live-dnn' ? 'mean' : 'attention' });
    assert.equal(maxDiff(preds(m, b0), preds(m, b1)), 0, `${name}: short-video inputs changed its predictions`);
    m.dispose();
  }
  for (const [label, cfg] of [['PLE + short-video context', { svContext: true }], ['naive cross-domain', { history: 'concat' as const }]] as const) {
    const m = new LiveBaseline(new Rng(8), ds.schema, 'live-ple', { ...SMALL, ...cfg });
    assert.ok(maxDiff(preds(m, b0), preds(m, b1)) > 1e-6, `${label} reads the short-video history`);
    m.dispose();
  }
  const off = new LiveBaseline(new Rng(8), ds.schema, 'live-ple', { ...SMALL, realtime: false });
  const on = new LiveBaseline(new Rng(8), ds.schema, 'live-ple', { ...SMALL });
  assert.equal(maxDiff(preds(off, b0), preds(off, b2)), 0, 'realtime false: rt columns changed the predictions');
  assert.ok(maxDiff(preds(on, b0), preds(on, b2)) > 1e-6, 'realtime true reads the rt columns');
  off.dispose();
  on.dispose();
});

test('recencyIndex counts the real steps after each step, whichever side the padding is on', () => {
  const idx = tf.tidy(() => recencyIndex(tf.tensor2d([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])).arraySync());
  assert.deepEqual(idx, [[2, 1, 0, 0, 0], [3, 3, 2, 1, 0], [4, 3, 2, 1, 0], [0, 0, 0, 0, 0]]);
  assert.throws(() => new FARM(new Rng(1), ds.schema, { ...SMALL, positions: 'absolute' as 'none' }), /farm config: positions must be recency or none, got 'absolute'/);
});

test('without recency embeddings FARM gives the same output for a history, its circular shifts and its reverse (a circulant filter and set pooling); with them it tells them apart, and left or right padding gives the same output', () => {
  const rows = Int32Array.from({ length: 64 }, (_, i) => i);
  const b0 = batchOf(ds, rows);
  const hist = ds.schema.features.filter((f) => f.name.startsWith('hist_')) as Array<{ name: string; maxLen: number }>;
  // Re-lay every history of a row: `perm(t, n, L)` gives the stored position of step t (oldest first) of n real steps.
  const relay = (perm: (t: number, n: number, L: number) => number) => {
    const b = { size: b0.size, columns: { ...b0.columns } };
    for (const f of hist) {
      const a = b0.columns[f.name] as Int32Array;
      const mask = b0.columns[hist.find((g) => g.name.startsWith(f.name.slice(0, f.name.lastIndexOf('_'))))!.name] as Int32Array;
      const o = new Int32Array(a.length);
      for (let r = 0; r < b0.size; r++) {
        let n = 0;
        while (n < f.maxLen && mask[r * f.maxLen + n] !== 0) n++;
        for (let t = 0; t < n; t++) o[r * f.maxLen + perm(t, n, f.maxLen)] = a[r * f.maxLen + t];
      }
      b.columns[f.name] = o;
    }
    return b;
  };
  const rolled = relay((t, _n, L) => (t + 3) % L); // right-padded -> shifted by 3 (wrapping round the end)
  const reversed = relay((t, n) => n - 1 - t); // oldest last
  const leftPadded = relay((t, n, L) => L - n + t); // the same order, padding in front
  const preds = (m: FARM, b: typeof b0) => tf.tidy(() => Array.from(m.apply(toTensors(ds, b), { training: false }).click.dataSync()));
  const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  const blind = new FARM(new Rng(3), ds.schema, { ...SMALL, positions: 'none' });
  const p0 = preds(blind, b0);
  assert.ok(maxDiff(p0, preds(blind, rolled)) < 1e-5, `positions none: a circular shift changed the output by ${maxDiff(p0, preds(blind, rolled))}`);
  assert.ok(maxDiff(p0, preds(blind, reversed)) < 1e-5, `positions none: reversing changed the output by ${maxDiff(p0, preds(blind, reversed))}`);
  blind.dispose();
  const seeing = new FARM(new Rng(3), ds.schema, { ...SMALL });
  const q0 = preds(seeing, b0);
  assert.ok(maxDiff(q0, preds(seeing, leftPadded)) < 1e-5, `recency: the padding side changed the output by ${maxDiff(q0, preds(seeing, leftPadded))}`);
  assert.ok(maxDiff(q0, preds(seeing, reversed)) > 1e-4, 'recency: the reversed history gives another output');
  assert.ok(maxDiff(q0, preds(seeing, rolled)) > 1e-4, 'recency: a wrapped shift gives another output');
  seeing.dispose();
});
