/**
 * EM3: the CIC loss against a closed form, duplicate-id masking, the PyTorch tower's LoRA placement (history path:
 * only LoRA and nothing else gets gradients; target path: everything but LoRA), and em3/main end to end at a tiny
 * size through `runPipeline` (every row, finite metrics, the ceiling, no tensor leak, a misspelt config key rejected).
 * The tiny run is a wiring test, not a reproduction: its numbers are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { cicLoss } from '../../src/models/em3.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { EM3_MAIN_VARIANTS } from '../../src/pipelines/em3/main.ts';
import { MULTIMODAL_PRESETS } from '../../src/worlds/multimodal-world.ts';
import { pythonSession } from '../../src/bridge/session.ts';
import { TorchTrainable } from '../../src/bridge/trainable.ts';
import { hostTensor } from '../../src/bridge/tensors.ts';
import type { ResultTable } from '../../src/pipelines/result-table.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-em3-'));
after(async () => {
  await pythonSession().close();
  rmSync(out, { recursive: true, force: true });
});

test('CIC loss: symmetric InfoNCE on L2-normalised vectors, closed form for B = 2; duplicates masked', () => {
  const c = tf.tensor2d([[1, 0], [0, 2]]);
  const e = tf.tensor2d([[3, 0], [1, 1]]);
  // normalised: c = [1,0],[0,1]; e = [1,0],[.7071,.7071]; S = c e^T / 0.5
  const s = [[2, 2 * Math.SQRT1_2], [0, 2 * Math.SQRT1_2]];
  const lse = (a: number, b: number): number => Math.log(Math.exp(a) + Math.exp(b));
  const row = (lse(s[0][0], s[0][1]) - s[0][0] + lse(s[1][0], s[1][1]) - s[1][1]) / 2;
  const col = (lse(s[0][0], s[1][0]) - s[0][0] + lse(s[0][1], s[1][1]) - s[1][1]) / 2;
  const got = cicLoss(c, e, tf.tensor1d([1, 2], 'int32'), 0.5).dataSync()[0];
  assert.ok(Math.abs(got - (row + col) / 2) < 1e-5, `cic ${got} vs ${(row + col) / 2}`);
  // Same item twice: the off-diagonal pair is masked, so each row has only its positive -> loss 0.
  const dup = cicLoss(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[0, 1], [1, 0]]), tf.tensor1d([5, 5], 'int32'), 0.1).dataSync()[0];
  assert.ok(Math.abs(dup) < 1e-5, `duplicates masked: ${dup}`);
});

test('EM3 tower: the history path trains only LoRA, the target path everything but LoRA', async () => {
  const py = pythonSession();
  const cfg = { vocab: 20, title_len: 4, asr_len: 6, dim: 16, out_dim: 16, queries: 3, heads: 2, lora_rank: 2 };
  const tower = await TorchTrainable.create(py, { factory: 'em3:EM3Tower', config: cfg, seed: 1 });
  const n = 5;
  const ints = (len: number): Int32Array => Int32Array.from({ length: len }, (_, i) => 1 + ((i * 7) % 20));
  await py.call('em3', 'set_content', { args: { handle: tower.handle }, tensors: { title: hostTensor(ints(n * 4), [n, 4]), asr: hostTensor(ints(n * 6), [n, 6]), image: hostTensor(Float32Array.from({ length: n * 3072 }, (_, i) => Math.sin(i)), [n, 3, 32, 32]) } });
  const ids = hostTensor(Int32Array.from([1, 3, 5]), [3]);
  const ones = hostTensor(new Float32Array(3 * 16).fill(1), [3, 16]);
  const withGrad = async (name: 'target' | 'history'): Promise<string[]> => {
    await tower.forward({ ids });
    await tower.backward({ [name]: ones }, { step: false });
    const g = await tower.gradients();
    await py.call('reclab_bridge.trainable', 'zero_grad', { args: { handle: tower.handle } });
    return Object.keys(g).filter((k) => g[k].data.some((x) => x !== 0)).sort();
  };
  const hist = await withGrad('history');
  assert.ok(hist.length > 0 && hist.every((k) => /lora_[qv]\.[AB]$/.test(k)), `history grads: ${hist.join(', ')}`);
  assert.ok(hist.some((k) => k.endsWith('.B')), 'LoRA B (zero-initialised) gets a gradient');
  const targ = await withGrad('target');
  assert.ok(targ.some((k) => k.startsWith('encoder.text')) && targ.some((k) => k.startsWith('encoder.image')) && targ.includes('qformer.queries'), `target grads: ${targ.join(', ')}`);
  assert.ok(!targ.some((k) => k.includes('lora')), 'no LoRA gradient from the target path');
  await tower.dispose();
});

test('em3/main at a tiny size: every variant, finite AUC / GAUC, the ceiling; a misspelt key is rejected', async () => {
  const config = { world: { ...MULTIMODAL_PRESETS.tiny, users: 150, items: 120 }, seeds: [1], epochs: 1, pretrainEpochs: 1, batchSize: 1024 };
  const tensorsBefore = tf.memory().numTensors;
  const run = await runPipeline('em3/main', { quick: true, out, figureFormats: [], verbose: false, config });
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaks across the four variants');
  const t = run.tables[0] as ResultTable;
  assert.deepEqual(t.rows.map((r) => r.method), EM3_MAIN_VARIANTS.map((v) => v.label));
  for (const r of t.rows) for (const m of ['auc', 'gauc']) assert.ok(r.cells[m].mean > 0.3 && r.cells[m].mean < 1, `${r.method} ${m} ${r.cells[m].mean}`);
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  assert.throws(() => getPipeline('em3/main').schema.parse({ ...getPipeline('em3/main').defaults('quick') as object, epoch: 1 }), /epoch/);
});
