/**
 * The cross-framework gradient step: PyTorch forward -> tfjs loss and d loss / d embeddings -> PyTorch backward.
 * PyTorch's parameter gradients must equal those of the same loss computed entirely in PyTorch (1e-4); training steps
 * must lower the loss; local weights saved by the test load into a fresh module.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { pythonSession } from '../../src/bridge/session.ts';
import { fromTf, hostTensor } from '../../src/bridge/tensors.ts';
import { TorchTrainable } from '../../src/bridge/trainable.ts';
import { crossStep } from '../../src/bridge/cross-step.ts';
import { bceWithLogits } from '../../src/train/losses.ts';
import { Optimizer } from '../../src/train/optimizers.ts';
import { Rng } from '../../src/random.ts';

const py = pythonSession();
const dir = mkdtempSync(join(tmpdir(), 'reclab-bridge-'));
after(async () => {
  await py.close();
  rmSync(dir, { recursive: true, force: true });
});
const FACTORY = 'reclab_bridge.testing_models:Tower';
const B = 32;
const rng = new Rng(7);
const x = hostTensor(Float32Array.from({ length: B * 8 }, () => rng.normal()), [B, 8]);
const y = hostTensor(Float32Array.from({ length: B }, () => (rng.uniform() < 0.4 ? 1 : 0)), [B]);

/** The tfjs "ranking model": logit = relu(E W1 + b1) W2 + b2. */
function ranker(): Map<string, Variable> {
  const r = new Rng(3);
  const v = (shape: number[]): Variable => tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * 0.5), shape));
  return new Map([['w1', v([4, 6])], ['b1', v([6])], ['w2', v([6, 1])], ['b2', v([1])]]);
}
function loss(vars: Map<string, Variable>, labels: Tensor) {
  const g = (n: string): Variable => vars.get(n) as Variable;
  return (o: Record<string, Tensor>): Scalar => {
    const logit = tf.reshape(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(o.emb, g('w1')), g('b1'))), g('w2')), g('b2')), [-1]); // (B,)
    return bceWithLogits(logit, labels);
  };
}

test('PyTorch grads through the tfjs loss equal the all-PyTorch computation (1e-4)', async () => {
  const enc = await TorchTrainable.create(py, { factory: FACTORY, config: { in_dim: 8, hidden: 16, out_dim: 4 }, seed: 1 });
  const vars = ranker();
  const labels = tf.tensor(y.data, [B]);
  const tfW = Object.fromEntries([...vars].map(([n, v]) => [n, fromTf(v)]));
  const ref = await py.call('reclab_bridge.testing_models', 'reference_gradients', { args: { handle: enc.handle }, tensors: { x, labels: y, ...tfW } });
  const { loss: l } = await crossStep(enc, { x }, loss(vars, labels), { vars, torchStep: false });
  assert.ok(Math.abs(l - Number(ref.value.loss)) < 1e-5, `loss tfjs ${l} vs torch ${String(ref.value.loss)}`);
  const grads = await enc.gradients();
  assert.deepEqual(Object.keys(grads).sort(), ['l0.bias', 'l0.weight', 'l1.bias', 'l1.weight']);
  let maxNorm = 0;
  for (const [n, g] of Object.entries(grads)) {
    const want = ref.tensors[`grad.${n}`];
    assert.deepEqual(g.shape, want.shape, n);
    for (let i = 0; i < g.data.length; i++) {
      const d = Math.abs(g.data[i] - want.data[i]);
      assert.ok(d <= 1e-4 + 1e-4 * Math.abs(want.data[i]), `${n}[${i}]: bridge ${g.data[i]} vs torch ${want.data[i]}`);
      maxNorm = Math.max(maxNorm, Math.abs(want.data[i]));
    }
  }
  assert.ok(maxNorm > 1e-3, 'gradients are not trivially zero');
  labels.dispose();
  for (const v of vars.values()) v.dispose();
  await enc.dispose();
});

test('end-to-end training lowers the loss on both sides; local weights load into a fresh module', async () => {
  const enc = await TorchTrainable.create(py, { factory: FACTORY, config: { in_dim: 8, hidden: 16, out_dim: 4 }, seed: 2, optimizer: { name: 'adam', lr: 0.02 } });
  const vars = ranker();
  const opt = new Optimizer(vars, { kind: 'adam', learningRate: 0.02 });
  const labels = tf.tensor(y.data, [B]);
  const losses: number[] = [];
  for (let s = 0; s < 25; s++) losses.push((await crossStep(enc, { x }, loss(vars, labels), { vars, optimizer: opt })).loss);
  assert.ok(losses[24] < losses[0] * 0.7, `loss ${losses[0]} -> ${losses[24]}`);
  const path = join(dir, 'tower.pt');
  await enc.saveWeights(path);
  const fresh = await TorchTrainable.create(py, { factory: FACTORY, config: { in_dim: 8, hidden: 16, out_dim: 4 }, seed: 99, weights: path });
  const other = await TorchTrainable.create(py, { factory: FACTORY, config: { in_dim: 8, hidden: 16, out_dim: 4 }, seed: 99 });
  const [a, b, c] = await Promise.all([enc.forward({ x }, { train: false }), fresh.forward({ x }, { train: false }), other.forward({ x }, { train: false })]);
  assert.deepEqual([...b.emb.data], [...a.emb.data], 'loaded weights reproduce the trained module');
  assert.notDeepEqual([...c.emb.data], [...a.emb.data]);
  const wrong = await TorchTrainable.create(py, { factory: FACTORY, config: { in_dim: 8, hidden: 5, out_dim: 4 } });
  await assert.rejects(wrong.loadWeights(path), /size mismatch|missing|unexpected/);
  labels.dispose();
  opt.dispose?.();
  for (const v of vars.values()) v.dispose();
});
