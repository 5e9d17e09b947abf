/**
 * QARM's Python side, run with the project's .venv/bin/python: the encoder / InfoNCE / alignment / k-means checks of
 * test/qarm/python_checks.py; stage A through the session bridge (`runQarmJob`) on the tiny multimodal world with
 * same-category pairs; the one-shot job transport (.npy files) giving the same RQ-Kmeans codes as the bridge; a
 * Python error surfacing with its traceback through both; the .npy codec.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { pythonSession } from '../../src/bridge/index.ts';
import { PYTHON, fromNpy, runQarmJob, toNpy } from '../../src/qarm/python-job.ts';
import { generateMultimodalWorld, MULTIMODAL_PRESETS } from '../../src/worlds/multimodal-world.ts';
import { kmeans } from '../../src/qarm/kmeans.ts';

after(() => pythonSession().close());

test('python checks: encoders, weights round trip, InfoNCE closed form, alignment, k-means', async () => {
  const r = await execa(PYTHON.bin, [join(import.meta.dirname, 'python_checks.py')], { reject: false, all: true });
  assert.equal(r.exitCode, 0, r.all);
  assert.equal((r.stdout.match(/^ok /gm) ?? []).length, 5, r.all);
});

test('stage A through the bridge on the tiny world: aligned embeddings place same-category pairs closer', async () => {
  const w = generateMultimodalWorld(MULTIMODAL_PRESETS.tiny);
  const c = w.content;
  const n = c.items;
  const byCat = new Map<number, number[]>();
  w.latent.category.forEach((k, i) => byCat.set(k, [...(byCat.get(k) ?? []), i]));
  const pick = (a: number, salt: number) => {
    const l = byCat.get(w.latent.category[a]) as number[];
    return l[(a * 7919 + salt) % l.length];
  };
  const pairs = Int32Array.from({ length: n * 6 }, (_, p) => (p % 2 === 0 ? Math.floor(p / 2) % n : pick(Math.floor(p / 2) % n, Math.floor(p / (2 * n)))));
  const held = Int32Array.from({ length: n * 2 }, (_, p) => (p % 2 === 0 ? p / 2 : pick((p - 1) / 2, 97)));
  const r = await runQarmJob('qarm_stage', {
    title: { data: c.title, shape: [n, c.titleLen] }, asr: { data: c.asr, shape: [n, c.asrLen] }, image: { data: c.image, shape: [n, 3, 32, 32] },
    pairs: { data: pairs, shape: [n * 3, 2] }, eval_pairs: { data: held, shape: [n, 2] },
  }, { vocab: c.vocab, seed: 1, pretrain_epochs: 2, align_epochs: 10 });
  assert.deepEqual(r.tensors.aligned.shape, [n, 32]);
  assert.deepEqual(r.tensors.unaligned.shape, [n, 32]);
  const auc = r.value.eval_pair_auc as { unaligned: number; aligned: number };
  assert.ok(auc.aligned > auc.unaligned + 0.02, `held-out pair AUC ${auc.unaligned} -> ${auc.aligned}`);
  const loss = r.value.align_loss as number[];
  assert.ok(loss.at(-1)! < loss[0], `alignment loss ${loss[0]} -> ${loss.at(-1)}`);
});

test('job transport = bridge transport; a Python error surfaces with its traceback; .npy codec; TS k-means', async () => {
  const x = { data: Float32Array.from({ length: 120 * 4 }, (_, k) => Math.sin(k * 1.7) + (k % 7) / 3), shape: [120, 4] };
  const viaBridge = await runQarmJob('rq_kmeans', { x }, { levels: 3, k: 5, iters: 5 });
  const viaJob = await runQarmJob('rq_kmeans', { x }, { levels: 3, k: 5, iters: 5 }, { transport: 'job' });
  assert.deepEqual(viaBridge.tensors.codes.shape, [120, 3]);
  assert.deepEqual(viaJob.tensors.codes, viaBridge.tensors.codes);
  const bad = { title: { data: new Int32Array(4), shape: [2, 2] }, asr: { data: new Int32Array(4), shape: [2, 2] }, image: { data: new Float32Array(2 * 3072), shape: [2, 3, 32, 32] }, pairs: { data: new Int32Array(3), shape: [3] } };
  for (const transport of ['bridge', 'job'] as const) {
    await assert.rejects(runQarmJob('qarm_stage', bad, { vocab: 5, pretrain_epochs: 1 }, { transport }), /Traceback[\s\S]*pairs must be \(P, 2\)/, transport);
  }
  const f = { data: Float32Array.from([1.5, -2, 3, 4, 5, 6]), shape: [2, 3] };
  assert.deepEqual(fromNpy(toNpy(f)), f);
  const i = { data: Int32Array.from([7, -1, 3]), shape: [3] };
  assert.deepEqual(fromNpy(toNpy(i)), i);
  assert.throws(() => toNpy({ data: new Float32Array(5), shape: [2, 3] }), /shape \[2,3\] holds 6 values but the data has 5/);
  const centres = [[0, 0], [5, 0], [0, 5]];
  const blobs = Float32Array.from({ length: 90 * 2 }, (_, k) => centres[Math.floor(k / 60)][k % 2] + ((k * 37) % 11) / 100);
  const { assign } = kmeans(blobs, 90, 2, 3, { seed: 1 });
  for (let b = 0; b < 3; b++) assert.equal(new Set(assign.subarray(b * 30, b * 30 + 30)).size, 1, `blob ${b} is one cluster`);
  assert.equal(new Set(assign).size, 3);
});
