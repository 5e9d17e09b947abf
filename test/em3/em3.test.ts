/**
 * EM3: the CIC loss against a closed form, duplicate-id masking, the PyTorch tower's LoRA placement (history path:
 * only LoRA and nothing else gets gradients; target path: everything but LoRA), and em3/main end to end at a tiny
 * size through `runPipeline` (every row, finite metrics with DeLong SEs, rows, positives and still-improving flags,
 * the pre-training loss against chance, every claim measured, the ceiling, no tensor leak, a misspelt config key
 * rejected); early stopping; evidence defaults of both EM3 pipelines (5 seeds, pre-training and early stopping, enough
 * test rows). The end-to-end variants start as the frozen-content solution (step-0 scores equal, issue 16) and the
 * warm-up freezes only the encoder. The tiny run is a wiring test, not a reproduction: its numbers are noise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { cicLoss } from '../../src/models/em3.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import { EM3_MAIN_VARIANTS } from '../../src/pipelines/em3/main.ts';
import { EM3Config, em3World, lossStillFalling, pretrainContent, scoresAtStart, type EM3Variant } from '../../src/pipelines/em3/common.ts';
import { em3Defaults } from '../../src/pipelines/em3/main.ts';
import { checkSeeds } from '../../src/evidence/rules.ts';
import { MULTIMODAL_PRESETS, generateMultimodalWorld } from '../../src/worlds/multimodal-world.ts';
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
  // The residual Q-Former's output layer starts at zero (the tower starts as the encoder's embedding): one training
  // step moves it, after which gradients reach the Q-Former's inside and LoRA.
  await tower.forward({ ids });
  await tower.backward({ target: ones });
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
  await py.call('em3', 'set_encoder_frozen', { args: { handle: tower.handle, frozen: true } });
  const warm = await withGrad('target');
  assert.ok(warm.length > 0 && !warm.some((k) => k.startsWith('encoder.')) && warm.includes('qformer.queries') && warm.some((k) => k.startsWith('img_proj')), `warm-up target grads: ${warm.join(', ')}`);
  await py.call('em3', 'set_encoder_frozen', { args: { handle: tower.handle, frozen: false } });
  assert.ok((await withGrad('target')).some((k) => k.startsWith('encoder.')), 'the unfrozen encoder trains again');
  await tower.dispose();
});

test('at step 0 the end-to-end variants score exactly as the frozen-content model (issue 16: no restart from scratch)', async () => {
  const py = pythonSession();
  const config = EM3Config.parse({ ...em3Defaults('quick', EM3_MAIN_VARIANTS), world: { ...MULTIMODAL_PRESETS.tiny, users: 150, items: 120 }, pretrainEpochs: 1 });
  const world = em3World(config);
  const dir = mkdtempSync(join(tmpdir(), 'reclab-em3-start-'));
  try {
    const pretrained = await pretrainContent(py, world, config, 1, join(dir, 'encoder.pt'));
    const at = async (label: string): Promise<Float32Array> => scoresAtStart({ py, world, config, variant: EM3_MAIN_VARIANTS.find((v) => v.label === label) as EM3Variant, seed: 1, pretrained, ds: world.valid });
    const frozen = await at('+ frozen content');
    const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
    for (const label of ['+ end-to-end content', '+ Content-ID contrastive (EM3)']) {
      const e2e = await at(label);
      assert.equal(e2e.length, world.valid.size);
      assert.ok(maxDiff(e2e, frozen) < 1e-5, `${label} at step 0 differs from '+ frozen content' by up to ${maxDiff(e2e, frozen)}`);
    }
    const idOnly = await at('ID-only');
    assert.ok(maxDiff(idOnly, frozen) > 1e-3, 'the content does change the scores (the check can fail)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('em3/main at a tiny size: every variant, finite AUC / GAUC with their evidence, the ceiling, claims measured; a misspelt key is rejected', async () => {
  const config = { world: { ...MULTIMODAL_PRESETS.tiny, users: 150, items: 120 }, seeds: [1], epochs: 2, patience: 1, pretrainEpochs: 2, batchSize: 1024 };
  const tensorsBefore = tf.memory().numTensors;
  const run = await runPipeline('em3/main', { quick: true, out, figureFormats: [], verbose: false, config });
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaks across the four variants');
  const t = run.tables[0] as ResultTable;
  assert.deepEqual(t.rows.map((r) => r.method), EM3_MAIN_VARIANTS.map((v) => v.label));
  for (const r of t.rows) for (const m of ['auc', 'gauc']) assert.ok(r.cells[m].mean > 0.3 && r.cells[m].mean < 1, `${r.method} ${m} ${r.cells[m].mean}`);
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  assert.equal(t.id, 'main');
  for (const r of run.records.filter((x) => x.table === 'main')) {
    assert.ok((r.rows ?? 0) > 0 && r.positives !== null && typeof r.stillImproving === 'boolean', `${r.method} ${r.metric}`);
    if (r.metric === 'auc') assert.ok(r.se !== null && r.se > 0 && r.se < 0.2, `${r.method}: DeLong SE ${r.se}`);
  }
  const pre = Object.fromEntries(run.records.filter((r) => r.table === 'pretrain').map((r) => [r.metric, r.value]));
  assert.ok(Math.abs(pre.loss_chance - Math.log(120)) < 1e-9 && Number.isFinite(pre.loss_final), 'pre-training loss and chance recorded (120 items < batch 128)');
  assert.match(run.markdown, /Content pre-training \(2 epochs/);
  for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `claim '${v.claim.id}': ${v.reason}`);
  const results = (JSON.parse(readFileSync(join(run.dir, 'results.json'), 'utf8')) as { results: Record<string, unknown> }).results;
  assert.ok(!('perSeed' in results) && !('perRun' in results), 'per-seed numbers live in the records');
  assert.throws(() => getPipeline('em3/main').schema.parse({ ...getPipeline('em3/main').defaults('quick') as object, epoch: 1 }), /epoch/);
});

test('EM3 pre-training convergence check: a loss that still falls by more than 2% over three epochs', () => {
  assert.equal(lossStillFalling([4.8, 3.0, 2.0, 1.5, 1.4]), true);
  assert.equal(lossStillFalling([4.8, 1.2, 1.19, 1.19, 1.185]), false);
  assert.equal(lossStillFalling([4.8]), null);
});

test('EM3 evidence and paper defaults: 5 distinct seeds, pre-training and early stopping, enough test rows; quick unchanged', () => {
  for (const name of ['em3/main', 'em3/ablation']) {
    const spec = getPipeline(name);
    for (const mode of ['evidence', 'paper'] as const) {
      const d = spec.schema.parse(spec.defaults(mode)) as { seeds: number[]; pretrainEpochs: number; epochs: number; patience: number | null; world: Record<string, number>; base: string; variants: Array<{ label: string }> };
      assert.doesNotThrow(() => checkSeeds(d.seeds, mode), `${name} ${mode}`);
      assert.ok(d.pretrainEpochs >= 40, `${name}: content pre-training to convergence, not ${d.pretrainEpochs} epochs`);
      assert.ok((d.patience ?? 0) >= 2 && d.epochs >= 3 * (d.patience ?? 0), `${name}: early stopping with room`);
      assert.ok(d.variants.some((v) => v.label === d.base), `${name}: the base is a variant`);
    }
    const q = spec.schema.parse(spec.defaults('quick')) as { pretrainEpochs: number; patience: number | null };
    assert.equal(q.pretrainEpochs, 3, 'quick mode is not made slower');
    assert.equal(q.patience, null);
  }
  const w = generateMultimodalWorld((getPipeline('em3/main').defaults('evidence') as { world: object }).world);
  let pos = 0;
  for (const y of w.test.label('click')) pos += y;
  const se = Math.sqrt((1 / pos + 1 / (w.test.size - pos)) / 12);
  assert.ok(se <= 0.005, `evidence test split: ${w.test.size} rows, ${pos} clicks: AUC SE at most ${se.toFixed(4)} (at AUC 0.5)`);
});
