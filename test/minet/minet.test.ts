/**
 * MiNet, CoNet and the cross-domain DNN beyond the registry smoke test (which checks every variable's gradient):
 * padded history positions get no attention weight, exp vs softmax interest weights, the ablation switches remove
 * what they name, the two-loss objective in closed form, and the item-level attention's decomposed first layer equals
 * the paper's concatenated form [k; q; u; c ⊙ q] V.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { MiNet } from '../../src/models/minet.ts';
import { crossDomainFields, crossDomainLoss, CrossDomainDNN } from '../../src/models/cross-domain-dnn.ts';
import { CoNet } from '../../src/models/conet.ts';
import { generateNewsAdsWorld, NEWS_ADS_PRESETS } from '../../src/worlds/news-ads-world.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { Rng } from '../../src/random.ts';

const world = generateNewsAdsWorld({ ...NEWS_ADS_PRESETS.tiny, seed: 5 });
const ds = world.train;
const host = batchOf(ds, Int32Array.from({ length: 128 }, (_, i) => i));
const small = { embeddingDim: 4, hidden: [16], sourceHidden: [16], attentionHidden: 8, interestHidden: 8 };

test('crossDomainFields reads the roles from the schema', () => {
  const f = crossDomainFields(ds.schema);
  assert.deepEqual(f, { user: 'user_id', targetItem: ['item_id', 'item_cat'], targetHistory: ['hist_item_id', 'hist_item_cat'], sourceItem: ['src_item_id', 'src_item_cat'], sourceHistory: ['src_hist_item_id', 'src_hist_item_cat'], sourceLabel: 'src_click' });
  assert.throws(() => crossDomainFields({ ...ds.schema, labels: ['click'] }), /no source label 'src_click'/);
});

test('MiNet: padded positions get weight 0, real positions sum to 1, users without target history get p_t = 0', () => {
  const m = new MiNet(new Rng(1), ds.schema, small);
  tf.tidy(() => {
    const out = m.apply(toTensors(ds, host), { training: false });
    for (const [name, col] of [['alpha', 'hist_item_id'], ['beta', 'src_hist_item_id']] as const) {
      const w = out[name].arraySync() as number[][];
      const ids = host.columns[col];
      const N = w[0].length;
      let empty = 0;
      w.forEach((row, r) => {
        const real = row.filter((_, j) => ids[r * N + j] > 0);
        row.forEach((x, j) => { if (ids[r * N + j] === 0) assert.equal(x, 0, `${name} row ${r} pos ${j} is padding`); });
        if (real.length) assert.ok(Math.abs(real.reduce((s, x) => s + x, 0) - 1) < 1e-5, `${name} row ${r} sums to 1`);
        else { empty++; assert.ok(row.every((x) => x === 0)); }
      });
      if (name === 'alpha') assert.ok(empty > 0, 'the batch holds rows without target history');
    }
  });
  m.dispose();
});

test("MiNet: exp interest weights are positive and unnormalised (b_u = 1 at init); 'softmax' sums to 1", () => {
  const exp = new MiNet(new Rng(2), ds.schema, small);
  const soft = new MiNet(new Rng(2), ds.schema, { ...small, interestWeights: 'softmax' });
  tf.tidy(() => {
    const b = toTensors(ds, host);
    const e = exp.apply(b, { training: false });
    const s = soft.apply(b, { training: false });
    const sum = (o: typeof e) => tf.add(tf.add(o.wLong, o.wShortTarget), o.wShortSource).dataSync();
    assert.ok(e.wLong.dataSync().every((x) => x > 0) && sum(e).some((x) => Math.abs(x - 1) > 0.1), 'exp: positive, not normalised');
    assert.ok(tf.mean(e.wLong).dataSync()[0] > tf.mean(e.wShortSource).dataSync()[0], 'b_u = 1 > b_s = 0 at init');
    assert.ok(sum(s).every((x) => Math.abs(x - 1) < 1e-5), 'softmax: sums to 1');
  });
  exp.dispose();
  soft.dispose();
});

test('MiNet ablation switches remove what they name', () => {
  const names = (c: object) => { const m = new MiNet(new Rng(3), ds.schema, { ...small, ...c }); const v = [...m.namedVariables().keys()]; const out = tf.tidy(() => Object.keys(m.apply(toTensors(ds, host), { training: false }))); m.dispose(); return { v, out }; };
  const full = names({});
  assert.ok(full.v.some((k) => k.startsWith('itemAttSource.transferA')) && full.out.includes('beta') && full.out.includes('wShortSource'));
  const noSrc = names({ useShortSource: false });
  assert.ok(!noSrc.v.some((k) => k.startsWith('itemAttSource')) && !noSrc.out.includes('beta') && !noSrc.out.includes('wShortSource'));
  const noLong = names({ useLong: false });
  assert.ok(!noLong.out.includes('wLong') && !noLong.v.some((k) => k.endsWith('vUser')));
  const noItem = names({ itemAttention: false });
  assert.ok(!noItem.v.some((k) => k.startsWith('itemAtt')) && noItem.out.includes('alpha'));
  const noInterest = names({ interestAttention: false });
  assert.ok(!noInterest.v.some((k) => k.startsWith('interest')) && !noInterest.out.includes('wLong'));
  assert.throws(() => new MiNet(new Rng(1), ds.schema, { useLng: false } as never), /minet config: unknown key 'useLng'/);
});

test('item-level attention: the decomposed first layer equals [k; q; u; (k M) ⊙ q] V on the concatenation', () => {
  const m = new MiNet(new Rng(4), ds.schema, small);
  const v = m.namedVariables();
  const g = (k: string) => v.get(`itemAttSource.${k}`) as unknown as Tensor2D;
  tf.tidy(() => {
    const b = toTensors(ds, host);
    const beta = m.apply(b, { training: false }).beta;
    // Reference: the paper's form with the input concatenated, V = [V_s; V_q; V_u; V_x], masked softmax.
    const emb = (n: string) => v.get(`emb.${n}.table`) as unknown as Tensor2D;
    const s = tf.concat([tf.gather(emb('src_item_id'), b.src_hist_item_id), tf.gather(emb('src_item_cat'), b.src_hist_item_cat)], 2); // (B, N, D2)
    const q = tf.concat([tf.gather(emb('item_id'), b.item_id), tf.gather(emb('item_cat'), b.item_cat)], 1); // (B, D1)
    const u = tf.gather(emb('user_id'), b.user_id); // (B, k)
    const [B, N] = s.shape;
    const M = tf.matMul(g('transferA'), g('transferB')); // (D2, D1)
    const sM = tf.reshape(tf.matMul(tf.reshape(s, [B * N, -1]) as Tensor2D, M), [B, N, -1]);
    const tile = (x: Tensor) => tf.tile(tf.expandDims(x, 1), [1, N, 1]);
    const input = tf.concat([s, tile(q), tile(u), tf.mul(sM, tile(q))], 2); // (B, N, D2 + D1 + k + D1)
    const V = tf.concat([g('vKey'), g('vQuery'), g('vUser'), g('vCross')], 0);
    const a = tf.reshape(tf.matMul(tf.relu(tf.matMul(tf.reshape(input, [B * N, -1]) as Tensor2D, V)), g('v')), [B, N]);
    const mask = tf.cast(tf.greater(b.src_hist_item_id, 0), 'float32');
    const ref = tf.mul(tf.softmax(tf.add(a, tf.mul(tf.sub(1, mask), -1e9))), mask);
    const diff = tf.max(tf.abs(tf.sub(ref, beta))).dataSync()[0];
    assert.ok(diff < 1e-5, `max |beta - reference| = ${diff}`);
  });
  m.dispose();
});

test('crossDomainLoss = BCE(target) + w2 BCE(source), for every cross-domain model', () => {
  for (const model of [new CrossDomainDNN(new Rng(5), ds.schema, { embeddingDim: 4, hidden: [8], sourceHidden: [8] }), new CoNet(new Rng(5), ds.schema, { embeddingDim: 4, hidden: [8, 4] }), new MiNet(new Rng(5), ds.schema, small)]) {
    tf.tidy(() => {
      const b = toTensors(ds, host);
      const out = model.apply(b, { training: false });
      const bce = (logit: Tensor, y: Tensor) => { const l = logit.dataSync(); const t = y.dataSync(); let s = 0; l.forEach((z: number, i: number) => { s += Math.max(z, 0) - z * t[i] + Math.log1p(Math.exp(-Math.abs(z))); }); return s / l.length; };
      const want = bce(out.logit, b.click) + 0.3 * bce(out.srcLogit, b.src_click);
      const got = crossDomainLoss('click', 0.3)(out, b).dataSync()[0];
      assert.ok(Math.abs(got - want) < 1e-4, `${model.name}: loss ${got} vs closed form ${want}`);
    });
    model.dispose();
  }
});
