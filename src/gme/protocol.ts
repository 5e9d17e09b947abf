/**
 * The cold-start and warm-up protocol of GME, in the spec's order (§4, released `gme_all_in_one_warm_up.py`):
 *   1. pre-train the backbone on the old ads (`pretrain` part);
 *   for every generator (random init = no generator):
 *   2. reload the pre-trained backbone; meta-train the generator on old ads (backbone frozen); write the generated
 *      embedding of every new ad into the ID table;
 *   3. test cold (new ads, `test` part); warm up on batch a, test; on b, test; on c, test.
 * Warm-up (Adam 1e-3, batch 128, 1 epoch by default) updates ONLY the new ads' ID rows (`scope: 'new-ids'`; spec
 * §7.2, the README's description); `scope: 'all-embeddings'` keeps the released behaviour (every embedding table).
 * Adam's state persists across warm-up batches a, b, c of one generator. IDs follow the AdTable convention: ad index
 * a has id a + 1, old ads first, so the new ads' rows are the ids > oldCount.
 */
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { batches, toTensors } from '../data/batching.ts';
import type { Dataset } from '../data/dataset.ts';
import { bceWithLogits } from '../train/losses.ts';
import { Optimizer } from '../train/optimizers.ts';
import { Stepper } from '../train/trainer.ts';
import { predict } from '../train/evaluate.ts';
import { Progress } from '../train/progress.ts';
import { ctrLoss } from '../models/model.ts';
import { auc, logloss } from '../metrics/index.ts';
import { Rng } from '../random.ts';
import type { StateDict } from '../layers/module.ts';
import type { ColdStartData } from '../worlds/cold-start-world.ts';
import { ColdStartBackbone, type BackboneConfig, type BackboneKind } from './backbones.ts';
import { EmbeddingGenerator, type GeneratorKind } from './generators.ts';
import type { AdGraph } from './graph.ts';
import { trainGenerator, writeGeneratedEmbeddings, type MetaConfig } from './meta.ts';

/** Backbone pre-training (spec §3.1: Adam 1e-3, batch 128, 1 epoch). */
export interface PretrainConfig {
  learningRate: number;
  batchSize: number;
  epochs: number;
}
/** Warm-up settings (spec §4: Adam 1e-3, batch 128, 1 epoch per batch). */
export interface WarmConfig {
  learningRate: number;
  batchSize: number;
  epochs: number;
  scope: 'new-ids' | 'all-embeddings';
}
/** Defaults of the spec. */
export const PRETRAIN_DEFAULTS: PretrainConfig = { learningRate: 1e-3, batchSize: 128, epochs: 1 };
/** Defaults of the spec; only the new ads' ID rows move. */
export const WARM_DEFAULTS: WarmConfig = { learningRate: 1e-3, batchSize: 128, epochs: 1, scope: 'new-ids' };

/** The protocol's stages, in order. */
export const STAGES = ['cold', 'warm-a', 'warm-b', 'warm-c'] as const;
/** AUC and logloss on the test part at each stage. */
export type StageMetrics = Record<(typeof STAGES)[number], { auc: number; logloss: number }>;

/**
 * Pre-trains a backbone on the old ads; returns the mean loss of each epoch.
 * @example
 * await pretrainBackbone(backbone, world.parts.pretrain, PRETRAIN_DEFAULTS, 1);
 */
export async function pretrainBackbone(backbone: ColdStartBackbone, ds: Dataset, c: PretrainConfig, seed: number, label = 'click'): Promise<number[]> {
  const stepper = new Stepper(backbone, ctrLoss(label), { learningRate: c.learningRate });
  const out: number[] = [];
  try {
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      const total = Math.ceil(ds.size / c.batchSize);
      const progress = new Progress({ total, label: `pretrain ${backbone.kind} epoch ${epoch + 1}` });
      const losses: Tensor[] = [];
      let i = 0;
      for (const b of batches(ds, { batchSize: c.batchSize, seed, epoch })) {
        losses.push(tf.tidy(() => stepper.step(ds, b)));
        if (++i % 50 === 0) { progress.update(i); await new Promise<void>((resolve) => setImmediate(resolve)); }
      }
      const mean = tf.tidy(() => tf.mean(tf.stack(losses)).dataSync()[0]);
      tf.dispose(losses);
      progress.done({ loss: mean });
      if (!Number.isFinite(mean)) throw new Error(`pretrain ${backbone.kind}: the loss became ${mean} in epoch ${epoch + 1}`);
      out.push(mean);
    }
  } finally {
    stepper.dispose();
  }
  return out;
}

/**
 * AUC and logloss of the backbone on a part.
 * @example
 * evaluatePart(backbone, world.parts.test); // { auc: 0.6, logloss: 0.54 }
 */
export function evaluatePart(backbone: ColdStartBackbone, ds: Dataset, label = 'click'): { auc: number; logloss: number } {
  const p = predict(backbone, ds);
  const y = ds.label(label);
  return { auc: auc(y, p), logloss: logloss(y, p) };
}

/**
 * A warm-up trainer: one Adam over the variables in scope, with the gradient of ID tables masked to the new ads'
 * rows under scope 'new-ids' (other rows then get exactly zero gradient and zero Adam moments, so they stay
 * bit-identical; test/gme/protocol.test.ts checks every variable).
 * @example
 * const w = new WarmUp(backbone, world.ads.oldCount, WARM_DEFAULTS); await w.run(world.parts.warmA, 1); w.dispose();
 */
export class WarmUp {
  private readonly vars: Map<string, Variable>;
  private readonly opt: Optimizer;
  private readonly mask: Tensor | null;

  constructor(private readonly backbone: ColdStartBackbone, oldCount: number, private readonly c: WarmConfig, private readonly label = 'click') {
    if (c.scope === 'new-ids') this.vars = backbone.idRowVariables();
    else this.vars = new Map([...backbone.trainableVariables()].filter(([k]) => k.startsWith('emb.') || k.startsWith('first.')));
    const vocab = backbone.idTable().shape[0];
    this.mask = c.scope === 'new-ids' ? tf.tensor2d(Float32Array.from({ length: vocab }, (_, r) => (r > oldCount ? 1 : 0)), [vocab, 1]) : null; // (V, 1)
    this.opt = new Optimizer(this.vars, { learningRate: c.learningRate });
  }

  /** One warm-up pass(es) over a part; returns the mean loss. */
  async run(ds: Dataset, seed: number): Promise<number> {
    const varList = [...this.vars.values()];
    const byTf = new Map([...this.vars].map(([k, v]) => [v.name, k]));
    let sum = 0;
    let n = 0;
    for (let epoch = 0; epoch < this.c.epochs; epoch++) {
      for (const b of batches(ds, { batchSize: this.c.batchSize, seed, epoch })) {
        const loss = tf.tidy(() => {
          const batch = toTensors(ds, b);
          const { value, grads } = tf.variableGrads(() => bceWithLogits(this.backbone.logit(batch, { training: true }), batch[this.label]), varList);
          const named = new Map(Object.entries(grads).map(([k, g]) => [byTf.get(k) ?? k, this.mask ? tf.mul(g, this.mask) : g]));
          this.opt.apply(named);
          return value;
        });
        sum += loss.dataSync()[0];
        loss.dispose();
        n++;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return sum / Math.max(n, 1);
  }

  /** Frees the optimiser state and the mask. */
  dispose(): void {
    this.opt.dispose();
    this.mask?.dispose();
  }
}

/** One arm of the protocol: a table row. `graph` overrides the run's graph (the neighbour ablation). */
export interface ProtocolArm {
  label: string;
  generator: GeneratorKind;
  graph?: AdGraph;
}

/** Everything one protocol run needs. */
export interface ProtocolArgs {
  data: ColdStartData;
  graph: AdGraph;
  backbone: BackboneKind;
  backboneConfig: Partial<BackboneConfig>;
  arms: ProtocolArm[];
  pretrain: PretrainConfig;
  meta: MetaConfig;
  warm: WarmConfig;
  /** DropoutNet's drop probability. */
  dropRate: number;
  seed: number;
}

/**
 * Runs the protocol for one backbone and seed over every arm (one pre-training shared by all); returns the test
 * metrics at each stage by arm label, and the pre-training / meta losses.
 * @example
 * const r = await runProtocol({ data: world, graph, backbone: 'dnn', backboneConfig: {}, arms: [{ label: 'GME-A', generator: 'gme-a' }], ... });
 * r.metrics['GME-A']['warm-a'].auc;
 */
export async function runProtocol(a: ProtocolArgs): Promise<{ metrics: Record<string, StageMetrics>; pretrainLoss: number[]; metaLoss: Record<string, number[]> }> {
  const d = a.data;
  const backbone = new ColdStartBackbone(new Rng(a.seed), d.schema, a.backbone, a.backboneConfig, d.idFeature);
  const metrics: Record<string, StageMetrics> = {};
  const metaLoss: Record<string, number[]> = {};
  const test = () => evaluatePart(backbone, d.parts.test, d.label);
  try {
    const pretrainLoss = await pretrainBackbone(backbone, d.parts.pretrain, a.pretrain, a.seed, d.label);
    const snapshot: StateDict = backbone.stateDict();
    for (const [gi, arm] of a.arms.entries()) {
      backbone.loadStateDict(snapshot);
      if (arm.generator !== 'random') {
        const graph = arm.graph ?? a.graph;
        const gen = new EmbeddingGenerator(new Rng(a.seed * 1009 + gi), arm.generator, { slots: d.ads.slots.length, dim: backbone.config.embeddingDim, gamma: 1, dropRate: a.dropRate });
        try {
          metaLoss[arm.label] = await trainGenerator({ backbone, gen, world: d, graph, config: a.meta, rng: new Rng(a.seed * 31 + gi), label: `${a.backbone}/${arm.label}` });
          writeGeneratedEmbeddings(backbone, gen, d, graph);
        } finally {
          gen.dispose();
        }
      }
      const warm = new WarmUp(backbone, d.ads.oldCount, a.warm, d.label);
      try {
        const cold = test();
        await warm.run(d.parts.warmA, a.seed);
        const wa = test();
        await warm.run(d.parts.warmB, a.seed);
        const wb = test();
        await warm.run(d.parts.warmC, a.seed);
        metrics[arm.label] = { cold, 'warm-a': wa, 'warm-b': wb, 'warm-c': test() };
      } finally {
        warm.dispose();
      }
    }
    return { metrics, pretrainLoss, metaLoss };
  } finally {
    backbone.dispose();
  }
}
