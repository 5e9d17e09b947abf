/**
 * Shared pieces of the EM3 pipelines (spec ../shared/papers/em3.md): the strict config, the per-seed content
 * pre-training (with its loss curve), and fitting one variant of the ranker — ID-only, + frozen content embeddings,
 * + end-to-end content (the PyTorch tower trained through the bridge's cross-framework step), + Content-ID contrastive —
 * on 7b's multimodal world with early stopping on validation AUC, scored by AUC, GAUC (by user) and AUC on the
 * cold-start (new) items of the test split, each with its test-sampling SE, rows and positives.
 */
import { z } from 'zod';
import { tf } from '../../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { generateMultimodalWorld, type MultimodalWorld, type MultimodalWorldConfig } from '../../worlds/multimodal-world.ts';
import { batches, batchOf, toTensors, type TensorBatch } from '../../data/batching.ts';
import type { Dataset } from '../../data/dataset.ts';
import { EM3Ranker, type BatchContent } from '../../models/em3.ts';
import { Optimizer } from '../../train/optimizers.ts';
import { Progress } from '../../train/progress.ts';
import { auc } from '../../metrics/index.ts';
import { deLongAuc } from '../../evidence/stats.ts';
import { stillImproving } from '../../evidence/rules.ts';
import { evaluateCtrEvidence, type MetricEvidence } from '../../train/evaluate.ts';
import { Rng } from '../../random.ts';
import { crossStep } from '../../bridge/cross-step.ts';
import { TorchTrainable } from '../../bridge/trainable.ts';
import { hostTensor, type HostTensor } from '../../bridge/tensors.ts';
import type { PythonSession } from '../../bridge/session.ts';
import type { PipelineContext } from '../pipeline.ts';

const pos = z.number().int().positive();

/** One row of a table: how content enters the ranker. */
export const EM3Variant = z.strictObject({
  label: z.string(),
  content: z.enum(['none', 'frozen', 'e2e']),
  cic: z.boolean(),
  /** Fusion-Q-Former query count and LoRA rank (e2e only; null = the tower defaults). */
  queries: pos.nullable(),
  loraRank: z.number().int().min(0).nullable(),
});
/** A variant (see `EM3Variant`). */
export type EM3Variant = z.infer<typeof EM3Variant>;

/** Strict config shared by em3/main and em3/ablation. */
export const EM3Config = z.strictObject({
  /** Multimodal world knobs (validated by the world: unknown keys are errors there). */
  world: z.record(z.string(), z.unknown()),
  variants: z.array(EM3Variant).min(1),
  base: z.string(),
  seeds: z.array(z.number().int()).min(1),
  epochs: pos,
  /** Early stopping: stop after this many epochs without a better validation AUC; null = run every epoch. */
  patience: pos.nullable().default(null),
  batchSize: pos,
  learningRate: z.number().positive(),
  torchLearningRate: z.number().positive(),
  pretrainEpochs: z.number().int().min(0),
  /**
   * End-to-end variants: epochs at the start during which the encoder is frozen (no gradient; the Q-Former, image
   * projection and ranker train), then it is unfrozen (issue 16: warm up from the frozen solution). 0 = never frozen.
   */
  warmupEpochs: z.number().int().min(0).default(1),
  ranker: z.strictObject({ embeddingDim: pos, hidden: z.array(pos), cicWeight: z.number().min(0), cicTau: z.number().positive() }),
  tower: z.strictObject({ dim: pos, queries: pos, heads: pos, loraRank: z.number().int().min(0), layers: pos }),
  torchThreads: pos,
});
/** Config of the EM3 pipelines. */
export type EM3Config = z.infer<typeof EM3Config>;

/** Metric columns of the EM3 tables. */
export const EM3_COLUMNS = [
  { name: 'auc', higherIsBetter: true },
  { name: 'gauc', higherIsBetter: true },
  { name: 'auc_new_items', higherIsBetter: true },
];

/** Builds the multimodal world of a config. */
export function em3World(config: EM3Config): MultimodalWorld {
  return generateMultimodalWorld(config.world as Partial<MultimodalWorldConfig>);
}

/**
 * Per seed: the pre-trained encoder's weights file, its frozen item embeddings (N + 1, C), row 0 = padding, and the
 * pre-training loss per epoch (empty when nothing was pre-trained).
 */
export interface Pretrained {
  weights: string;
  frozen: Float32Array;
  losses: number[];
}

/** Batch of the content pre-training (src/bridge/python/encoders.py): its in-batch InfoNCE at chance is ln(128). */
export const EM3_PRETRAIN_BATCH = 128;

/** The world's raw content as HostTensors for Python. */
function contentTensors(world: MultimodalWorld): Record<string, HostTensor> {
  const c = world.content;
  return { title: hostTensor(c.title, [c.items, c.titleLen]), asr: hostTensor(c.asr, [c.items, c.asrLen]), image: hostTensor(c.image, [c.items, 3, 32, 32]) };
}

function towerConfig(world: MultimodalWorld, config: EM3Config, v: EM3Variant | null, weights: string | null): Record<string, unknown> {
  const c = world.content;
  const t = config.tower;
  return {
    vocab: c.vocab, title_len: c.titleLen, asr_len: c.asrLen, dim: t.dim, out_dim: t.dim, heads: t.heads, layers: t.layers,
    queries: v?.queries ?? t.queries, lora_rank: v?.loraRank ?? t.loraRank, encoder_weights: weights, residual: true,
  };
}

async function newTower(py: PythonSession, world: MultimodalWorld, config: EM3Config, v: EM3Variant | null, seed: number, weights: string | null): Promise<TorchTrainable> {
  const tower = await TorchTrainable.create(py, { factory: 'em3:EM3Tower', config: towerConfig(world, config, v, weights), seed, optimizer: { name: 'adam', lr: config.torchLearningRate }, threads: config.torchThreads });
  await py.call('em3', 'set_content', { args: { handle: tower.handle }, tensors: contentTensors(world) });
  return tower;
}

/**
 * Content-only pre-training of the encoder for one seed (text<->image InfoNCE, no behaviour); saves its weights to
 * `weightsPath` (what every end-to-end variant of this seed starts from) and returns the frozen item embeddings.
 */
export async function pretrainContent(py: PythonSession, world: MultimodalWorld, config: EM3Config, seed: number, weightsPath: string): Promise<Pretrained> {
  const tower = await newTower(py, world, config, null, seed, null);
  const r = await py.call('em3', 'pretrain', { args: { handle: tower.handle, epochs: config.pretrainEpochs, seed, save_path: weightsPath } });
  await tower.dispose();
  const f = r.tensors.frozen.data as Float32Array; // (N, C)
  const frozen = new Float32Array(f.length + config.tower.dim); // row 0 = padding
  frozen.set(f, config.tower.dim);
  const losses = ((r.value as { losses?: number[] } | null)?.losses ?? []).map(Number);
  return { weights: weightsPath, frozen, losses };
}

/**
 * Whether a pre-training loss curve is still falling: more than 2% over its last three epochs.
 * @example
 * lossStillFalling([4.8, 3.0, 2.0, 1.5, 1.4]); // true (3.0 -> 1.4 over the last three epochs)
 * lossStillFalling([4.8, 1.2, 1.19, 1.19, 1.18]); // false
 */
export function lossStillFalling(losses: number[]): boolean | null {
  if (losses.length < 2) return null;
  const back = losses[Math.max(0, losses.length - 4)];
  const last = losses[losses.length - 1];
  return (back - last) / Math.abs(back) > 0.02;
}

/** Unique item ids (> 0) of a batch, and each position's row in [0; rows of those ids] (0 = padding). */
function batchItems(tb: Record<string, Int32Array>, items: number): { ids: Int32Array; target: Int32Array; history: Int32Array } {
  const lut = new Int32Array(items + 1);
  const ids: number[] = [];
  for (const col of [tb.item_id, tb.hist_item_id]) for (const id of col) if (id > 0 && lut[id] === 0) lut[id] = ids.push(id);
  return { ids: Int32Array.from(ids), target: tb.item_id.map((id) => lut[id]), history: tb.hist_item_id.map((id) => lut[id]) };
}

/** Gathers content rows for a batch: table (K+1, C) with row 0 = padding. */
function gatherContent(targetTable: Tensor, historyTable: Tensor, target: Int32Array, history: Int32Array, T: number): BatchContent {
  const B = target.length;
  return {
    target: tf.gather(targetTable, tf.tensor1d(target, 'int32')), // (B, C)
    history: tf.reshape(tf.gather(historyTable, tf.tensor1d(history, 'int32')), [B, T, -1]), // (B, T, C)
  };
}

/** Scores of a dataset with fixed content tables (N + 1, C) for all items, or none. */
function predict(ranker: EM3Ranker, ds: Dataset, tables: { target: Tensor; history: Tensor } | null, T: number): Float32Array {
  const out = new Float32Array(ds.size);
  const step = 4096;
  for (let s = 0; s < ds.size; s += step) {
    const rows = Int32Array.from({ length: Math.min(step, ds.size - s) }, (_, i) => s + i);
    const b = batchOf(ds, rows);
    const p = tf.tidy(() => {
      const tb = toTensors(ds, b);
      const content = tables ? gatherContent(tables.target, tables.history, b.columns.item_id as Int32Array, b.columns.hist_item_id as Int32Array, T) : null;
      return tf.sigmoid(ranker.apply(tb, content, false).logit);
    });
    out.set(p.dataSync(), s);
    p.dispose();
  }
  return out;
}

/** Metrics of one variant and seed, with their evidence, the best (0-based) epoch and convergence. */
export interface EM3Fit {
  auc: number;
  gauc: number;
  auc_new_items: number;
  /** Test AUC, GAUC and new-item AUC with their test-sampling SE, rows and positives. */
  evidence: Record<'auc' | 'gauc' | 'auc_new_items', MetricEvidence>;
  /** Validation AUC of the kept epoch. */
  validAuc: number;
  bestEpoch: number;
  /** Epochs run (fewer than allowed when early stopping fired). */
  epochsRun: number;
  /** True when the best epoch was the last one allowed. */
  stillImproving: boolean;
  seconds: number;
  /** Click probabilities of the kept epoch on the test rows (for paired comparisons on the same rows). */
  probs: Float32Array;
}

/** A variant ready to train: the ranker, its optimizer, the content source (frozen table or PyTorch tower). */
interface VariantState {
  ranker: EM3Ranker;
  vars: ReturnType<EM3Ranker['trainableVariables']>;
  opt: Optimizer;
  frozen: Tensor | null;
  tower: TorchTrainable | null;
  T: number;
  /** Content tables (N + 1, C) of every item for scoring (the tower's current output, or the frozen table). */
  evalTables(): Promise<{ target: Tensor; history: Tensor } | null>;
  disposeTables(t: { target: Tensor; history: Tensor } | null): void;
  dispose(): Promise<void>;
}

/**
 * Builds a variant's starting point. Every variant of a seed starts its ranker from the same initialisation
 * (`Rng(seed * 7919 + 17)`, CIC's head built last), and the end-to-end tower starts as the pre-trained encoder's
 * embedding (zero-initialised residual Q-Former, src/bridge/python/em3.py), so before any step the end-to-end variants
 * score exactly as '+ frozen content' (tested).
 */
async function startVariant(args: { py: PythonSession; world: MultimodalWorld; config: EM3Config; variant: EM3Variant; seed: number; pretrained: Pretrained }): Promise<VariantState> {
  const { py, world, config, variant: v, seed, pretrained } = args;
  const C = config.tower.dim;
  const N = world.content.items;
  const T = (world.train.schema.features.find((f) => f.name === 'hist_item_id') as { maxLen: number }).maxLen;
  const ranker = new EM3Ranker(new Rng(seed * 7919 + 17), world.train.schema, {
    embeddingDim: config.ranker.embeddingDim, hidden: config.ranker.hidden, contentDim: v.content === 'none' ? 0 : C,
    cicWeight: v.cic ? config.ranker.cicWeight : 0, cicTau: config.ranker.cicTau,
  });
  const vars = ranker.trainableVariables();
  const opt = new Optimizer(vars, { kind: 'adam', learningRate: config.learningRate });
  const frozen = v.content === 'frozen' ? tf.tensor2d(pretrained.frozen, [N + 1, C]) : null;
  let tower: TorchTrainable | null = null;
  try {
    tower = v.content === 'e2e' ? await newTower(py, world, config, v, seed, pretrained.weights) : null;
  } catch (e) {
    ranker.dispose();
    opt.dispose?.();
    frozen?.dispose();
    throw e;
  }
  const allIds = hostTensor(Int32Array.from({ length: N }, (_, i) => i + 1), [N]);
  return {
    ranker, vars, opt, frozen, tower, T,
    async evalTables() {
      if (frozen) return { target: frozen, history: frozen };
      if (!tower) return null;
      const o = await tower.forward({ ids: allIds }, { train: false });
      const pad = (h: HostTensor): Tensor => tf.tidy(() => tf.concat([tf.zeros([1, C]), tf.tensor2d(h.data as Float32Array, [N, C])], 0)); // (N+1, C)
      return { target: pad(o.target), history: pad(o.history) };
    },
    disposeTables(t) {
      if (t && t.target !== frozen) tf.dispose([t.target, t.history]);
    },
    async dispose() {
      await tower?.dispose();
      frozen?.dispose();
      ranker.dispose();
      opt.dispose?.();
    },
  };
}

/**
 * A variant's click probabilities on `ds` before any training step (the check of issue 16: the end-to-end variants
 * start as the frozen-content solution, not from scratch).
 * @example
 * const p0 = await scoresAtStart({ py, world, config, variant, seed: 1, pretrained, ds: world.valid });
 */
export async function scoresAtStart(args: { py: PythonSession; world: MultimodalWorld; config: EM3Config; variant: EM3Variant; seed: number; pretrained: Pretrained; ds: Dataset }): Promise<Float32Array> {
  const st = await startVariant(args);
  try {
    const tables = await st.evalTables();
    const p = predict(st.ranker, args.ds, tables, st.T);
    st.disposeTables(tables);
    return p;
  } finally {
    await st.dispose();
  }
}

/**
 * Trains one variant for one seed (best epoch by validation AUC, early stopping with `config.patience`) and scores the
 * test split (`test`, default `world.test`; pass `ctx.holdout(world.test)`). End-to-end variants start as the frozen
 * solution and keep the encoder frozen for `config.warmupEpochs` epochs before training it.
 * @example
 * const r = await fitVariant({ py, world, config, variant, seed: 1, pretrained, ctx });
 */
export async function fitVariant(args: { py: PythonSession; world: MultimodalWorld; config: EM3Config; variant: EM3Variant; seed: number; pretrained: Pretrained; ctx: PipelineContext; test?: Dataset }): Promise<EM3Fit> {
  const { py, world, config, variant: v, seed } = args;
  const test = args.test ?? world.test;
  const t0 = Date.now();
  const C = config.tower.dim;
  const N = world.content.items;
  const st = await startVariant(args);
  const { ranker, vars, opt, frozen, tower, T } = st;
  const setEncoderFrozen = async (on: boolean): Promise<void> => {
    if (tower) await py.call('em3', 'set_encoder_frozen', { args: { handle: tower.handle, frozen: on }, owner: { process: tower.process, handle: tower.handle } });
  };
  const warmup = config.warmupEpochs ?? 0;
  if (warmup > 0) await setEncoderFrozen(true);
  let best: { valid: number; test: Float32Array; epoch: number } = { valid: -Infinity, test: new Float32Array(0), epoch: 0 };
  let epochsRun = 0;
  const nBatches = Math.ceil(world.train.size / config.batchSize);
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      epochsRun = epoch + 1;
      if (tower && warmup > 0 && epoch === warmup) {
        await setEncoderFrozen(false);
        args.ctx.log(`${v.label} seed ${seed}: warm-up over after ${warmup} epoch${warmup > 1 ? 's' : ''}; the encoder trains from now on`);
      }
      const progress = new Progress({ total: nBatches, label: `${v.label} seed ${seed} epoch ${epoch + 1}/${config.epochs}` });
      let k = 0;
      let lossSum = 0;
      for (const b of batches(world.train, { batchSize: config.batchSize, seed, epoch })) {
        const tb: TensorBatch = toTensors(world.train, b);
        try {
          if (tower) {
            const m = batchItems(b.columns as Record<string, Int32Array>, N);
            const r = await crossStep(tower, { ids: hostTensor(m.ids, [m.ids.length]) }, (o) => {
              const pad = (x: Tensor): Tensor => tf.concat([tf.zeros([1, C]), x], 0); // (K+1, C)
              return ranker.loss(tb, gatherContent(pad(o.target), pad(o.history), m.target, m.history, T));
            }, { vars, optimizer: opt });
            lossSum += r.loss;
          } else {
            const { value, grads } = tf.variableGrads(() => {
              const content = frozen ? gatherContent(frozen, frozen, b.columns.item_id as Int32Array, b.columns.hist_item_id as Int32Array, T) : null;
              return ranker.loss(tb, content);
            }, [...vars.values()]);
            opt.apply(new Map([...vars].map(([n, w]) => [n, grads[w.name]])));
            lossSum += value.dataSync()[0];
            tf.dispose([value, ...Object.values(grads)]);
          }
        } finally {
          tf.dispose(Object.values(tb));
        }
        progress.update(++k, { loss: (lossSum / k).toFixed(4) });
      }
      progress.done();
      const tables = await st.evalTables();
      const pv = predict(ranker, world.valid, tables, T);
      const validAuc = auc(world.valid.label('click'), pv);
      if (validAuc > best.valid) best = { valid: validAuc, test: predict(ranker, test, tables, T), epoch };
      st.disposeTables(tables);
      if (config.patience !== null && epoch - best.epoch >= config.patience) break;
    }
  } finally {
    await st.dispose();
  }
  const y = test.label('click');
  const items = test.column('item_id') as Int32Array;
  const newRows = Int32Array.from(items.keys()).filter((i) => world.isNew[items[i] - 1] === 1);
  const yNew = Float32Array.from(newRows, (i) => y[i]);
  const pNew = Float32Array.from(newRows, (i) => best.test[i]);
  let posNew = 0;
  for (const x of yNew) posNew += x > 0.5 ? 1 : 0;
  const dNew = posNew >= 2 && yNew.length - posNew >= 2 ? deLongAuc(yNew, pNew) : { value: posNew > 0 && posNew < yNew.length ? auc(yNew, pNew) : Number.NaN, se: Number.NaN };
  const ev = evaluateCtrEvidence(test, 'click', best.test);
  const evidence = {
    auc: ev.auc,
    gauc: ev.gauc ?? { value: Number.NaN, se: Number.NaN, rows: ev.auc.rows, positives: ev.auc.positives },
    auc_new_items: { value: dNew.value, se: dNew.se, rows: yNew.length, positives: posNew },
  };
  return {
    auc: evidence.auc.value, gauc: evidence.gauc.value, auc_new_items: evidence.auc_new_items.value, evidence, validAuc: best.valid,
    bestEpoch: best.epoch, epochsRun, stillImproving: stillImproving(best.epoch, config.epochs), seconds: (Date.now() - t0) / 1000, probs: best.test,
  };
}
