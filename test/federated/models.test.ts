/**
 * SASRec / MRFF / FedPA on per-client parameters: every trainable variable gets a finite non-zero gradient, MRFF's K
 * group FFNs are distinct, FedPA's standard LoRA init trains where the released zero/zero init cannot; the adjusted
 * Rand index against hand-computed values; the KuaiSAR-R loader on fixtures in the real layout.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Rng } from '../../src/random.ts';
import { generateFederatedWorld } from '../../src/worlds/federated-world.ts';
import { clientBatch, validateClients } from '../../src/federated/data.ts';
import { chunkParams, localTrain, routeChunk, type ChunkContext, type ChunkState } from '../../src/federated/client.ts';
import { maskedBce } from '../../src/federated/ops.ts';
import type { FedModel, LossContext, ParamMap } from '../../src/federated/types.ts';
import { createMRFF, MRFF_RELEASED } from '../../src/models/mrff.ts';
import { FedPA } from '../../src/models/fedpa.ts';
import { SASRec } from '../../src/models/sasrec.ts';
import { adjustedRandIndex } from '../../src/metrics/ari.ts';
import { loadKuaiSAR } from '../../src/data/kuaisar.ts';

const data = generateFederatedWorld({ users: 24, items: 50, minLen: 5, maxLen: 9, seed: 11 });
const users = validateClients(data).clients.subarray(0, 12);

function stateOf(model: FedModel): ChunkState {
  const shared = new Map<string, Tensor>();
  const tables = new Map<string, Tensor>();
  const privateStore = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [n, v] of model.root.namedVariables()) {
    const k = model.role(n).kind;
    if (k === 'group') tables.set(n, v);
    else if (k === 'private') {
      const one = v.dataSync() as Float32Array;
      const values = new Float32Array(data.users * one.length);
      for (let u = 0; u < data.users; u++) values.set(one, u * one.length);
      privateStore.set(n, { shape: [...v.shape], values });
    } else shared.set(n, v);
  }
  return { shared, tables, privateStore };
}

/** Gradients of the summed per-client loss w.r.t. every non-frozen per-client parameter. */
function gradients(model: FedModel, kind: 'sequence' | 'pointwise', params?: ParamMap): { grads: Map<string, Float32Array>; params: ParamMap; chunk: ChunkContext; batch: ReturnType<typeof clientBatch> } {
  const batch = clientBatch(data, users, 'train', kind, 8);
  const routed = routeChunk(model, stateOf(model), batch, chunkParams(model, stateOf(model), batch));
  const p = params ?? routed.params;
  const groups = Object.fromEntries(Object.entries(routed.routes).map(([g, r]) => [g, tf.tensor1d(r, 'int32')]));
  const groupShare = Object.fromEntries(model.groupings().map((g) => [g.name, Float32Array.from({ length: g.size }, (_, k) => (k + 1) / ((g.size * (g.size + 1)) / 2))]));
  const chunk: ChunkContext = { key: 3, groups, groupShare };
  const ctx: LossContext = { training: true, seed: tf.tensor1d([3, 1], 'int32'), groups, groupShare: Object.fromEntries(Object.entries(groupShare).map(([g, a]) => [g, tf.tensor1d(a)])) };
  const names = Object.keys(p).filter((n) => model.role(n).kind !== 'frozen');
  const g = tf.grads((...xs: Tensor[]) => {
    const q: ParamMap = { ...p };
    names.forEach((n, i) => (q[n] = xs[i]));
    const out = model.forward(q, batch, ctx);
    const per = maskedBce(out.logits, batch.labels, batch.lossMask);
    return tf.add(tf.sum(out.aux ? tf.add(per, out.aux) : per), tf.mul(0, tf.addN(xs.map((x) => tf.sum(x)))));
  })(names.map((n) => p[n]));
  return { grads: new Map(names.map((n, i) => [n, g[i].dataSync() as Float32Array])), params: p, chunk, batch };
}

function assertAllNonZero(grads: Map<string, Float32Array>, what: string): void {
  for (const [n, g] of grads) {
    assert.ok(g.every(Number.isFinite), `${what}: '${n}' has a non-finite gradient`);
    assert.ok(g.some((x) => x !== 0), `${what}: '${n}' gets no gradient`);
  }
}

describe('federated models', () => {
  test('MRFF: every trainable variable gets a finite non-zero gradient (router through the balance term); K distinct group FFNs', () => {
    const m = createMRFF(new Rng(1), data.itemFields, data.userFields, { ...MRFF_RELEASED, fieldDim: 4, maxLen: 8, groups: 3, dropout: 0 });
    const w = (m.namedVariables().get('block0.groupFfn.w1') as Tensor).arraySync() as number[][][];
    assert.notDeepEqual(w[0], w[1], 'group FFNs 0 and 1 share weights (released-code bug, spec §7.1)');
    const { grads } = gradients(m, 'sequence');
    assertAllNonZero(grads, 'MRFF');
    assert.ok(grads.has('block1.router.kernel') && grads.has('block0.userFfn.w2'));
    m.dispose();
  });

  test('MRFF router: a task gradient when the group output is scaled by p* (no balance term), none as released; shared router input is public', () => {
    const base = { fieldDim: 4, maxLen: 8, groups: 3, dropout: 0, balanceAlpha: 0 };
    const routerGrad = (cfg: object) => {
      const m = createMRFF(new Rng(1), data.itemFields, data.userFields, { ...base, ...cfg });
      const g = gradients(m, 'sequence').grads;
      const out = Math.max(...['block0.router.kernel', 'block1.router.kernel'].map((n) => Math.max(...Array.from(g.get(n) as Float32Array, Math.abs))));
      const roles = [...m.namedVariables().keys()].filter((n) => n.startsWith('routerUser.')).map((n) => m.role(n).kind);
      m.dispose();
      return { out, roles };
    };
    const released = routerGrad({ ...MRFF_RELEASED, balanceAlpha: 0 });
    assert.equal(released.out, 0, 'released: without the balance term the router gets no gradient');
    const fixed = routerGrad({ scaleByGate: true, routerInput: 'shared' });
    assert.ok(fixed.out > 1e-6, `p*-scaled: router gradient ${fixed.out}`);
    assert.equal(fixed.roles.length, data.userFields.length);
    assert.ok(fixed.roles.every((k) => k === 'public'), 'the router reads public user-field embeddings');
    assert.equal(released.roles.length, 0, 'released: the router reads the private user embeddings');
  });

  test('local optimiser: a private lr scale of 0 freezes private weights, weight decay shrinks them, public ones train', () => {
    const m = createMRFF(new Rng(4), data.itemFields, data.userFields, { fieldDim: 4, maxLen: 8, groups: 2, dropout: 0, privateLrScale: 0, userEmbeddingLrScale: null, userFfnZeroInit: true, residual: true });
    const at0 = gradients(m, 'sequence');
    const trainable = Object.keys(at0.params).filter((n) => m.role(n).kind !== 'frozen');
    const optim = new Map(trainable.map((n) => [n, m.localOptim(n)]));
    const moved = (p: ParamMap, n: string) => Math.max(...Array.from(tf.sub(p[n], at0.params[n]).dataSync() as Float32Array, Math.abs));
    const { params } = localTrain(m, at0.params, at0.batch, at0.chunk, { steps: 2, learningRate: 0.01, proxMu: 0, trainable, anchored: new Set(), optim });
    assert.equal(moved(params, 'block0.userFfn.w2'), 0, 'private user FFN moved at lr scale 0');
    assert.equal(moved(params, 'user.segment'), 0, 'private user embedding moved at lr scale 0');
    assert.ok(moved(params, 'head.w1') > 1e-4, 'public head did not train');
    assert.ok((m.namedVariables().get('block0.userFfn.w2') as Tensor).dataSync().every((x) => x === 0), 'zero-initialised user FFN output');
    const decay = new Map(trainable.map((n) => [n, { lrScale: 0, weightDecay: n.startsWith('user.') ? 10 : 0 }]));
    const d = localTrain(m, at0.params, at0.batch, at0.chunk, { steps: 1, learningRate: 0.01, proxMu: 0, trainable, anchored: new Set(), optim: decay }).params;
    const ratio = (tf.norm(d['user.segment']).dataSync()[0]) / tf.norm(at0.params['user.segment']).dataSync()[0];
    assert.ok(Math.abs(ratio - (1 - 0.01 * 10 * 0)) < 1e-6, `lr scale 0 also scales the decay away, ratio ${ratio}`);
    const decay2 = new Map(trainable.map((n) => [n, { lrScale: 1, weightDecay: n.startsWith('user.') ? 10 : 0 }]));
    const e = localTrain(m, at0.params, at0.batch, at0.chunk, { steps: 1, learningRate: 0.01, proxMu: 0, trainable, anchored: new Set(), optim: decay2 }).params;
    const f = localTrain(m, at0.params, at0.batch, at0.chunk, { steps: 1, learningRate: 0.01, proxMu: 0, trainable, anchored: new Set() }).params;
    const shrink = tf.sub(f['user.segment'], e['user.segment']);
    const expected = tf.mul(at0.params['user.segment'], 0.01 * 10);
    assert.ok(tf.max(tf.abs(tf.sub(shrink, expected))).dataSync()[0] < 1e-5, 'weight decay subtracts lr * decay * x (AdamW)');
    m.dispose();
  });

  test('userEmbeddingLrScale trains the private user-field embeddings while the user FFNs stay frozen at privateLrScale 0', () => {
    const m = createMRFF(new Rng(4), data.itemFields, data.userFields, { fieldDim: 4, maxLen: 8, groups: 2, dropout: 0, privateLrScale: 0, userEmbeddingLrScale: 0.5, userFfnZeroInit: false, residual: true });
    assert.deepEqual(m.localOptim('user.segment'), { lrScale: 0.5, weightDecay: 0 });
    assert.deepEqual(m.localOptim('block0.userFfn.w1'), { lrScale: 0, weightDecay: 0 });
    assert.deepEqual(m.localOptim('head.w1'), { lrScale: 1, weightDecay: 0 });
    const at0 = gradients(m, 'sequence');
    const trainable = Object.keys(at0.params).filter((n) => m.role(n).kind !== 'frozen');
    const optim = new Map(trainable.map((n) => [n, m.localOptim(n)]));
    const moved = (p: ParamMap, n: string) => Math.max(...Array.from(tf.sub(p[n], at0.params[n]).dataSync() as Float32Array, Math.abs));
    const { params } = localTrain(m, at0.params, at0.batch, at0.chunk, { steps: 2, learningRate: 0.01, proxMu: 0, trainable, anchored: new Set(), optim });
    assert.ok(moved(params, 'user.segment') > 1e-4, 'private user embedding did not train');
    assert.equal(moved(params, 'block0.userFfn.w1'), 0, 'private user FFN moved at privateLrScale 0');
    m.dispose();
    // Null, the embeddings follow privateLrScale (MRFF_CONFIG sets 0.03).
    const same = createMRFF(new Rng(4), data.itemFields, data.userFields, { fieldDim: 4, maxLen: 8, groups: 2, privateLrScale: 0.3, userEmbeddingLrScale: null });
    assert.deepEqual(same.localOptim('user.segment'), { lrScale: 0.3, weightDecay: 0 });
    same.dispose();
  });

  test('carried Adam state: two one-step calls with the private moments carried equal one two-step call on the private weights; public ones restart', () => {
    const m = createMRFF(new Rng(5), data.itemFields, data.userFields, { fieldDim: 4, maxLen: 8, groups: 2, dropout: 0, privateLrScale: 0.5, userFfnZeroInit: false, residual: true });
    const at0 = gradients(m, 'sequence');
    const trainable = Object.keys(at0.params).filter((n) => m.role(n).kind !== 'frozen');
    const privateNames = trainable.filter((n) => m.role(n).kind === 'private');
    assert.ok(privateNames.includes('user.segment') && privateNames.includes('block0.userFfn.w2'));
    const optim = new Map(trainable.map((n) => [n, m.localOptim(n)]));
    const base = { learningRate: 0.01, proxMu: 0, trainable, anchored: new Set<string>(), optim };
    const two = localTrain(m, at0.params, at0.batch, at0.chunk, { ...base, steps: 2 });
    const C = at0.batch.users.length;
    const zeros = (n: string) => tf.zerosLike(at0.params[n]);
    const first = localTrain(m, at0.params, at0.batch, at0.chunk, { ...base, steps: 1, carried: { m: new Map(privateNames.map((n) => [n, zeros(n)])), v: new Map(privateNames.map((n) => [n, zeros(n)])), steps: new Float32Array(C) } });
    assert.deepEqual([...first.moments.m.keys()].sort(), [...privateNames].sort(), 'moments come back for the carried names only');
    // The second call is the two-step run's second step (same seed offset: dropout is 0 here).
    const second = localTrain(m, first.params, at0.batch, at0.chunk, { ...base, steps: 1, carried: { m: first.moments.m, v: first.moments.v, steps: new Float32Array(C).fill(1) } });
    for (const n of privateNames) {
      const diff = tf.max(tf.abs(tf.sub(second.params[n], two.params[n]))).dataSync()[0];
      assert.ok(diff < 1e-6, `private '${n}': carried state differs from the two-step run by ${diff}`);
    }
    const fresh = localTrain(m, first.params, at0.batch, at0.chunk, { ...base, steps: 1 });
    assert.ok(tf.max(tf.abs(tf.sub(fresh.params['user.segment'], two.params['user.segment']))).dataSync()[0] > 1e-5, 'a fresh optimiser takes a different second step');
    assert.ok(tf.max(tf.abs(tf.sub(second.params['head.w1'], two.params['head.w1']))).dataSync()[0] > 1e-6, 'public weights restart their Adam state');
    assert.throws(() => localTrain(m, at0.params, at0.batch, at0.chunk, { ...base, steps: 1, carried: { m: new Map(), v: new Map(), steps: new Float32Array(C + 1) } }), /carried Adam steps for/);
    m.dispose();
  });

  test('FedPA without adapters: no LoRA and no gate, private user embeddings, frozen backbone; adapter lr scale only on the user LoRA', () => {
    const m = new FedPA(new Rng(5), data.itemFields, data.userFields, { userAdapter: false, groupFeatures: [] });
    const names = [...m.namedVariables().keys()];
    assert.ok(!names.some((n) => n.startsWith('lora.') || n.startsWith('gate.')), names.join(', '));
    const g = gradients(m, 'pointwise').grads;
    assert.ok((g.get('user.segment') as Float32Array).some((x) => x !== 0) && (g.get('backbone.out.w') as Float32Array).some((x) => x !== 0));
    assert.ok(!g.has('backbone.l0.w'), 'the backbone is frozen');
    m.dispose();
    const a = new FedPA(new Rng(5), data.itemFields, data.userFields, { groupFeatures: ['segment'], adapterLrScale: 0.1, adapterWeightDecay: 0.5 });
    assert.deepEqual(a.localOptim('lora.user.l0.a'), { lrScale: 0.1, weightDecay: 0.5 });
    assert.deepEqual(a.localOptim('lora.group.segment.l0.a'), { lrScale: 1, weightDecay: 0 });
    assert.deepEqual(a.localOptim('user.segment'), { lrScale: 1, weightDecay: 0 });
    a.dispose();
  });

  test('SASRec (FedAvg partition): every variable gets a finite non-zero gradient', () => {
    const m = new SASRec(new Rng(2), data.itemFields, data.userFields, { fieldDim: 4, maxLen: 8, dropout: 0 });
    assertAllNonZero(gradients(m, 'sequence').grads, 'SASRec');
    m.dispose();
  });

  test('FedPA: standard LoRA init trains (B at once, A after one step); the released zero/zero init never moves', () => {
    const m = new FedPA(new Rng(3), data.itemFields, data.userFields, { groupFeatures: ['segment', 'activity'] });
    const at0 = gradients(m, 'pointwise');
    for (const [n, g] of at0.grads) if (/^lora\..*\.b$/.test(n)) assert.ok(g.some((x) => x !== 0), `'${n}' gets no gradient at init`);
    const trainable = Object.keys(at0.params).filter((n) => m.role(n).kind !== 'frozen');
    const { params } = localTrain(m, at0.params, at0.batch, at0.chunk, { steps: 1, learningRate: 0.01, proxMu: 0, trainable, anchored: new Set() });
    const after1 = gradients(m, 'pointwise', { ...at0.params, ...params });
    assertAllNonZero(after1.grads, 'FedPA after one step');
    assert.ok([...m.namedVariables().keys()].filter((n) => m.role(n).kind === 'frozen').some((n) => n.startsWith('backbone.l0')), 'the backbone is frozen');
    const z = new FedPA(new Rng(3), data.itemFields, data.userFields, { groupFeatures: ['segment'], loraInit: 'zeros' });
    const gz = gradients(z, 'pointwise').grads;
    for (const [n, g] of gz) if (n.startsWith('lora.')) assert.ok(g.every((x) => x === 0), `zero init: '${n}' moved`);
    m.dispose();
    z.dispose();
  });
});

describe('adjusted Rand index', () => {
  test('matches hand-computed values (and scikit-learn: 0.1818..., -0.25)', () => {
    // contingency of a vs b: sum C(n_ij,2) = 3, rows 7, cols 8, E = 56 / 28 = 2, max 7.5 -> (3 - 2) / 5.5
    assert.ok(Math.abs(adjustedRandIndex([0, 0, 0, 1, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2, 2, 2]) - 1 / 5.5) < 1e-12);
    assert.ok(Math.abs(adjustedRandIndex([0, 1, 2, 0, 1, 2], [0, 0, 1, 1, 2, 2]) + 0.25) < 1e-12);
    assert.equal(adjustedRandIndex([0, 0, 1, 1], [5, 5, 2, 2]), 1);
    assert.throws(() => adjustedRandIndex([0, 1], [0]), /2 and 1 items/);
  });
});

describe('KuaiSAR-R loader', () => {
  const ok = join(import.meta.dirname, '../fixtures/kuaisar/ok');
  test('loads the real layout: users, videos, fields, sequences sorted by time', async () => {
    const d = await loadKuaiSAR(ok);
    assert.equal(d.users, 6);
    assert.equal(d.items, 20);
    assert.deepEqual(d.userFields.map((f) => f.name), ['onehot_feat1', 'onehot_feat2', 'search_active_level', 'reco_active_level']);
    assert.equal(d.itemFields.length, 6);
    const rows = readFileSync(join(ok, 'df.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const u0 = rows.filter((r) => r[0] === '101').sort((a, b) => Number(a[2]) - Number(b[2]));
    assert.deepEqual([...d.sequences[0].timestamps], u0.map((r) => Number(r[2])));
    assert.deepEqual([...d.sequences[0].labels], u0.map((r) => Number(r[3])));
    assert.equal(d.sequences.reduce((a, s) => a + s.items.length, 0), rows.length);
    assert.equal(validateClients(d).excluded.length, 0);
  });

  test('a bad row is an error naming file, line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclab-kuaisar-'));
    try {
      cpSync(ok, dir, { recursive: true });
      const lines = readFileSync(join(dir, 'df.csv'), 'utf8').split('\n');
      lines[4] = lines[4].replace(/,[01]$/, ',2');
      writeFileSync(join(dir, 'df.csv'), lines.join('\n'));
      await assert.rejects(loadKuaiSAR(dir), /df\.csv:5: column 'is_click': '2' is not 0 or 1/);
      lines[4] = lines[4].replace(/^\d+,/, '999,').replace(/,2$/, ',1');
      writeFileSync(join(dir, 'df.csv'), lines.join('\n'));
      await assert.rejects(loadKuaiSAR(dir), /df\.csv:5: column 'user_id': user 999 is not in user_features\.csv/);
      writeFileSync(join(dir, 'video_features.csv'), 'video_id,item_type\n1,a\n');
      await assert.rejects(loadKuaiSAR(dir), /video_features\.csv:1: column 'upload_type': header lacks/);
      rmSync(join(dir, 'user_features.csv'));
      await assert.rejects(loadKuaiSAR(dir), /user_features\.csv:0: file not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
