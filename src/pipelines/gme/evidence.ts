/**
 * The GME protocol (src/gme/protocol.ts, spec §4) with what the evidence tables need: every stage's test AUC and
 * logloss with its test-sampling evidence (DeLong SE for AUC, per-row SE for logloss, rows, positives), and — when
 * `monitor.patience` is set — meta-training with early stopping on a validation set of held-out old ads.
 *
 * Validation (model selection on old ads only, never on new ads or the test part): a share `monitor.validShare` of the
 * old ads (chosen by a seeded shuffle) is left out of meta-training; after each meta epoch the generator produces their
 * ID embeddings from their attributes and graph neighbours (their own pre-trained ID hidden, as for a new ad) and the
 * frozen backbone scores their rows of the four meta parts a-d with them; the epoch with the best validation AUC is kept, and
 * training stops after `patience` epochs without a new best. Without `patience` the generator trains on every old ad
 * for `meta.epochs` with `trainGenerator` itself, exactly as `runProtocol` does.
 * Everything else is `runProtocol`'s order: one pre-training per seed shared by the arms; per arm reload, meta-train,
 * write the new ads' generated rows, test cold, warm up a / b / c with a test after each.
 * Paper deviation (evidence mode): the held-out old ads (20% in evidence mode) are not meta-trained on.
 */
import { tf } from '../../tf.ts';
import { Rng } from '../../random.ts';
import { Optimizer } from '../../train/optimizers.ts';
import { Progress } from '../../train/progress.ts';
import { evaluateCtrEvidence, predict, type MetricEvidence } from '../../train/evaluate.ts';
import { auc } from '../../metrics/index.ts';
import { stillImproving } from '../../evidence/rules.ts';
import type { StateDict } from '../../layers/module.ts';
import type { ColdStartData } from '../../worlds/cold-start-world.ts';
import type { Dataset } from '../../data/dataset.ts';
import { ColdStartBackbone } from '../../gme/backbones.ts';
import { EmbeddingGenerator } from '../../gme/generators.ts';
import type { AdGraph } from '../../gme/graph.ts';
import { effectiveOrder, metaBatch, metaLoss, trainGenerator, writeGeneratedEmbeddings, type MetaConfig } from '../../gme/meta.ts';
import { STAGES, WarmUp, pretrainBackbone, type ProtocolArgs } from '../../gme/protocol.ts';

/** Early stopping of meta-training: patience in meta epochs (null = none) and the share of old ads held out for it. */
export interface MetaMonitor {
  patience: number | null;
  validShare: number;
}

/** Test AUC and logloss with their evidence at every stage. */
export type StageEvidence = Record<(typeof STAGES)[number], Record<'auc' | 'logloss', MetricEvidence>>;

/** How one arm's meta-training went (null for random init, which has no generator). */
export interface MetaFit {
  /** 1-based best meta epoch (the last one run without a monitor). */
  bestEpoch: number;
  epochs: number;
  stillImproving: boolean;
  /** Validation AUC of the held-out old ads per epoch run ([] without a monitor). */
  validAuc: number[];
  /** Mean meta loss per epoch run. */
  loss: number[];
}

/** What {@link runProtocolEvidence} returns per arm label. */
export interface ProtocolEvidence {
  metrics: Record<string, StageEvidence>;
  meta: Record<string, MetaFit | null>;
  pretrainLoss: number[];
  /** Each arm's cold-start test probabilities, on the same rows (for paired comparisons, e.g. DeLong's paired SE). */
  coldProbs: Record<string, Float32Array>;
  /** The test rows' labels that `coldProbs` are scored against. */
  testLabels: Float32Array;
}

/**
 * Test AUC / logloss with evidence of the backbone on a part (`probs`: its predictions there, when already made).
 * @example
 * partEvidence(backbone, world, world.parts.test).auc.se;
 */
export function partEvidence(backbone: ColdStartBackbone, d: ColdStartData, ds = d.parts.test, probs = predict(backbone, ds)): Record<'auc' | 'logloss', MetricEvidence> {
  const ev = evaluateCtrEvidence(ds, d.label, probs);
  return { auc: ev.auc, logloss: ev.logloss };
}

/**
 * Cold-start AUC of the generator on old ads `adIdx` (their pre-trained ID rows hidden): generated embeddings replace
 * their ID in their rows of the meta parts a-d, scored by the frozen backbone.
 * @example
 * heldOutAuc(backbone, gen, world, graph, [3, 17, 40]);
 */
export function heldOutAuc(backbone: ColdStartBackbone, gen: EmbeddingGenerator, d: ColdStartData, graph: AdGraph, adIdx: number[], chunk = 200): number {
  const ys: number[] = [];
  const ps: number[] = [];
  for (const [pa, pb] of [['metaA', 'metaB'], ['metaC', 'metaD']] as const) {
    for (let s = 0; s < adIdx.length; s += chunk) {
      const ids = adIdx.slice(s, s + chunk);
      const out = tf.tidy(() => {
        const mb = metaBatch(d, backbone, graph, ids, pa, pb);
        const e = gen.generate({ ...mb.inputs, ownId: tf.zerosLike(mb.inputs.ownId) }, false); // (M, D), own ID hidden
        const la = backbone.logit(mb.a, { training: false, idEmb: tf.gather(e, mb.localA) }); // (M·K)
        const lb = backbone.logit(mb.b, { training: false, idEmb: tf.gather(e, mb.localB) }); // (M·K)
        return [mb.a[mb.label].dataSync(), la.dataSync(), mb.b[mb.label].dataSync(), lb.dataSync()];
      });
      ys.push(...out[0], ...out[2]);
      ps.push(...out[1], ...out[3]);
    }
  }
  return auc(ys, ps);
}

/**
 * Meta-trains `gen` on the old ads not in `validAds` (same steps as `trainGenerator`), checks the held-out AUC after
 * each epoch, keeps the best epoch's weights and stops after `patience` epochs without a new best.
 */
async function trainMonitored(args: {
  backbone: ColdStartBackbone; gen: EmbeddingGenerator; d: ColdStartData; graph: AdGraph; config: MetaConfig; rng: Rng; patience: number; validAds: number[]; label: string;
}): Promise<MetaFit> {
  const { backbone, gen, d, graph, config: c, rng } = args;
  const vars = gen.trainableVariables();
  const varList = [...vars.values()];
  const byTf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const opt = new Optimizer(vars, { learningRate: c.learningRate });
  const held = new Set(args.validAds);
  const trainAds = Array.from({ length: d.ads.oldCount }, (_, i) => i).filter((i) => !held.has(i));
  const objective = { ...c, order: effectiveOrder(backbone.kind, c.order) };
  const loss: number[] = [];
  const validAuc: number[] = [];
  let best = -Infinity;
  let bestEpoch = 0;
  let bestState: StateDict | null = null;
  try {
    for (let epoch = 1; epoch <= c.epochs; epoch++) {
      const progress = new Progress({ total: Math.ceil(trainAds.length / c.batchAds) * 2, label: `${args.label} meta epoch ${epoch}` });
      let sum = 0;
      let n = 0;
      for (const [pa, pb] of [['metaA', 'metaB'], ['metaC', 'metaD']] as const) {
        const order = [...trainAds];
        for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
        for (let s = 0; s < order.length; s += c.batchAds) {
          const ids = order.slice(s, s + c.batchAds);
          const l = tf.tidy(() => {
            const mb = metaBatch(d, backbone, graph, ids, pa, pb);
            const { value, grads } = tf.variableGrads(() => metaLoss(backbone, gen, mb, objective, gen.kind === 'dropoutnet'), varList);
            opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byTf.get(k) ?? k, g])));
            return value;
          });
          sum += l.dataSync()[0];
          l.dispose();
          progress.update(++n, { loss: sum / n });
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      progress.done();
      if (!Number.isFinite(sum)) throw new Error(`meta-training ${gen.kind}: the loss became ${sum / n} in epoch ${epoch}`);
      loss.push(sum / n);
      const v = heldOutAuc(backbone, gen, d, graph, args.validAds);
      validAuc.push(v);
      if (v > best) { best = v; bestEpoch = epoch; bestState = gen.stateDict(); }
      if (epoch - bestEpoch >= args.patience) break;
    }
  } finally {
    opt.dispose();
  }
  if (bestState) gen.loadStateDict(bestState);
  return { bestEpoch, epochs: c.epochs, stillImproving: stillImproving(bestEpoch - 1, c.epochs), validAuc, loss };
}

/**
 * Runs the protocol for one backbone and seed over every arm, with evidence at each stage and monitored
 * meta-training when `monitor.patience` is set (see the module doc). `holdout` marks the test part (the runner's
 * `ctx.holdout`, whose selection audit permutes its labels; selection here rests on held-out old ads only).
 * @example
 * const r = await runProtocolEvidence({ ...args, seed: 1, monitor: { patience: 3, validShare: 0.1 } });
 * r.metrics['GME-A'].cold.auc.se; r.meta['GME-A']?.bestEpoch;
 */
export async function runProtocolEvidence(a: ProtocolArgs & { monitor: MetaMonitor; holdout?: (ds: Dataset) => Dataset }): Promise<ProtocolEvidence> {
  const d = a.data;
  const testPart = (a.holdout ?? ((ds: Dataset) => ds))(d.parts.test);
  const backbone = new ColdStartBackbone(new Rng(a.seed), d.schema, a.backbone, a.backboneConfig, d.idFeature);
  const metrics: Record<string, StageEvidence> = {};
  const meta: Record<string, MetaFit | null> = {};
  const old = d.ads.oldCount;
  const validAds = a.monitor.patience === null ? [] : new Rng(a.seed * 7 + 3).shuffle(Int32Array.from({ length: old }, (_, i) => i)).slice(0, Math.max(1, Math.round(old * a.monitor.validShare)));
  const test = () => partEvidence(backbone, d, testPart);
  const coldProbs: Record<string, Float32Array> = {};
  try {
    const pretrainLoss = await pretrainBackbone(backbone, d.parts.pretrain, a.pretrain, a.seed, d.label);
    const snapshot: StateDict = backbone.stateDict();
    for (const [gi, arm] of a.arms.entries()) {
      backbone.loadStateDict(snapshot);
      meta[arm.label] = null;
      if (arm.generator !== 'random') {
        const graph = arm.graph ?? a.graph;
        const gen = new EmbeddingGenerator(new Rng(a.seed * 1009 + gi), arm.generator, { slots: d.ads.slots.length, dim: backbone.config.embeddingDim, gamma: 1, dropRate: a.dropRate });
        try {
          const rng = new Rng(a.seed * 31 + gi);
          const label = `${a.backbone}/${arm.label}`;
          if (a.monitor.patience === null) {
            const loss = await trainGenerator({ backbone, gen, world: d, graph, config: a.meta, rng, label });
            meta[arm.label] = { bestEpoch: a.meta.epochs, epochs: a.meta.epochs, stillImproving: true, validAuc: [], loss };
          } else {
            meta[arm.label] = await trainMonitored({ backbone, gen, d, graph, config: a.meta, rng, patience: a.monitor.patience, validAds: Array.from(validAds), label });
          }
          writeGeneratedEmbeddings(backbone, gen, d, graph);
        } finally {
          gen.dispose();
        }
      }
      const warm = new WarmUp(backbone, old, a.warm, d.label);
      try {
        coldProbs[arm.label] = predict(backbone, testPart);
        const cold = partEvidence(backbone, d, testPart, coldProbs[arm.label]);
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
    return { metrics, meta, pretrainLoss, coldProbs, testLabels: Float32Array.from(testPart.label(d.label)) };
  } finally {
    backbone.dispose();
  }
}
