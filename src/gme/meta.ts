/**
 * Meta-training of an ID-embedding generator on old ads with the backbone frozen (spec §3.4):
 *   e   = GEN(ads)                               cold-start embedding, replaces E[ad_id] in batch A's inputs
 *   L_a = BCE(f(x_A; e), y_A)                     cold-start loss
 *   e'  = e − eta · ∂L_a/∂e                       one inner step on the embedding (eta = `innerLr`, spec 1e-4)
 *   L_b = BCE(f(x_B; e'), y_B)                    warm-up loss on other samples of the same ads
 *   L   = alpha·L_a + (1 − alpha)·L_b             alpha = 0.1; Adam(5e-3) on the generator's variables only
 * `order: 'second'` differentiates through the inner gradient (tf.grad nested in tf.variableGrads, checked against
 * finite differences in test/gme/meta.test.ts); 'first' treats ∂L_a/∂e as a constant. DropoutNet trains on L_a only.
 * tfjs computes second-order gradients wrongly through ops whose gradient reads the op's saved OUTPUT (exp, tanh,
 * sigmoid, softmax): the saved copy is recorded before the op on the tape and so is cut from the graph. The meta loss
 * therefore uses BCE as softplus(z) − y·z (softplus' gradient reads its input), and a backbone with softmax inside
 * (AutoInt's attention) falls back to the first-order step (`effectiveOrder`; the spec's fallback, reported in tables).
 * Reference deviation (spec §7.1): batch A and B are drawn for the same ads explicitly (A = an ad's rows in meta part
 * a (or c), B = its rows in part b (or d)), not from two file streams read in lockstep.
 * Paper deviation: a meta batch is `batchAds` ads with all their shot rows (20 ads x 8-20 rows; the released code's
 * batch is 60 rows), and the inner gradient is taken w.r.t. one embedding per ad rather than one per row; pipelines
 * may run more than the spec's single pass (`epochs`), since our worlds are small.
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { batchOf, toTensors, type TensorBatch } from '../data/batching.ts';
import { Optimizer } from '../train/optimizers.ts';
import { Progress } from '../train/progress.ts';
import type { Rng } from '../random.ts';
import type { AdTable, ColdStartData } from '../worlds/cold-start-world.ts';
import type { ColdStartBackbone } from './backbones.ts';
import type { AdGraph } from './graph.ts';
import type { EmbeddingGenerator, GeneratorInputs } from './generators.ts';

/** Meta-training settings; defaults in `META_DEFAULTS`. */
export interface MetaConfig {
  /** Ads per meta batch (the released code's batch of 60 rows; here ads, each with all its shot rows). */
  batchAds: number;
  learningRate: number;
  innerLr: number;
  alpha: number;
  order: 'second' | 'first';
  /** Passes over the pairs (a, b) and (c, d). */
  epochs: number;
}
/** Defaults (spec §3.4): Adam 5e-3, eta 1e-4, alpha 0.1, second order, 1 pass; 20 ads per batch. */
export const META_DEFAULTS: MetaConfig = { batchAds: 20, learningRate: 5e-3, innerLr: 1e-4, alpha: 0.1, order: 'second', epochs: 1 };

/**
 * Attribute-slot embeddings (M, S·D) of ad indices (-1 = none, all zeros) from the backbone's tables, one D-block per
 * slot in `ads.slots` order; multi-hot slots are sum-pooled over non-padding values (spec §3: sum-pooled, masked).
 * @example
 * attributeEmbedding(backbone, world.ads, [0, 1]); // (2, 4·D)
 */
export function attributeEmbedding(backbone: ColdStartBackbone, ads: AdTable, adIdx: ArrayLike<number>): Tensor {
  const M = adIdx.length;
  const parts = ads.slots.map((slot) => {
    const W = slot.width;
    const ids = Int32Array.from({ length: M * W }, (_, k) => { const a = adIdx[Math.floor(k / W)]; return a < 0 ? 0 : slot.values[a * W + (k % W)]; });
    const t = tf.tensor2d(ids, [M, W], 'int32'); // (M, W)
    const mask = tf.expandDims(tf.cast(tf.greater(t, 0), 'float32'), 2); // (M, W, 1)
    return tf.sum(tf.mul(backbone.emb.tableOf(slot.name).lookup(t), mask), 1); // (M, D)
  });
  return tf.concat(parts, 1); // (M, S·D)
}

/**
 * Everything a generator reads for ad indices `adIdx`, from the frozen backbone and the graph. `ownId` holds the ads'
 * pre-trained ID rows for old ads and zeros for new ads. Call inside `tf.tidy`.
 * @example
 * const x = generatorInputs(backbone, world, graph, [0, 1, 2]); x.nbrId.shape; // [3, N, D]
 */
export function generatorInputs(backbone: ColdStartBackbone, world: ColdStartData, graph: AdGraph, adIdx: ArrayLike<number>): GeneratorInputs {
  const M = adIdx.length;
  const N = graph.n;
  const D = backbone.config.embeddingDim;
  const ads = world.ads;
  const nbrIds = Int32Array.from({ length: M * N }, (_, k) => graph.ids[adIdx[Math.floor(k / Math.max(N, 1))] * N + (k % N)]);
  const nbrMask = tf.tensor2d(Float32Array.from(nbrIds, (id) => (id > 0 ? 1 : 0)), [M, N]); // (M, N)
  const table = backbone.idTable();
  const nbrId = tf.mul(tf.reshape(tf.gather(table, tf.tensor1d(nbrIds, 'int32')), [M, N, D]), tf.expandDims(nbrMask, 2)); // (M, N, D)
  const attr = attributeEmbedding(backbone, ads, adIdx); // (M, S·D)
  const nbrAttr = N > 0
    ? tf.mul(tf.reshape(attributeEmbedding(backbone, ads, Int32Array.from(nbrIds, (id) => id - 1)), [M, N, -1]), tf.expandDims(nbrMask, 2)) // (M, N, S·D)
    : tf.zeros([M, 0, attr.shape[1] as number]);
  const isOld = tf.tensor2d(Float32Array.from(adIdx, (a) => (a < ads.oldCount ? 1 : 0)), [M, 1]); // (M, 1)
  const ownId = tf.mul(tf.gather(table, tf.tensor1d(Int32Array.from(adIdx, (a) => a + 1), 'int32')), isOld); // (M, D)
  return { attr, nbrAttr, nbrId, nbrMask, ownId };
}

/** One meta batch: batch A and B of the same ads, each row's ad as a local index into the generated (M, D). */
export interface MetaBatch {
  inputs: GeneratorInputs;
  a: TensorBatch;
  b: TensorBatch;
  localA: Tensor;
  localB: Tensor;
  /** The label's name in `a` and `b`. */
  label: string;
}

/**
 * BCE with logits as mean(softplus(z) − y·z): the same value as bceWithLogits, with exact second-order gradients in
 * tfjs (see the module doc).
 * @example
 * bceSecondOrder(tf.tensor1d([0.3]), tf.tensor1d([1])); // log(1 + e^-0.3)
 */
export function bceSecondOrder(logits: Tensor, labels: Tensor): Scalar {
  return tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, labels))) as Scalar; // (B) -> scalar
}

/**
 * The order the meta-gradient can use on a backbone: 'second' unless the backbone has ops whose tfjs gradient breaks
 * second order (AutoInt's softmax), then 'first'.
 * @example
 * effectiveOrder('autoint', 'second'); // 'first'
 */
export function effectiveOrder(kind: ColdStartBackbone['kind'], wanted: MetaConfig['order']): MetaConfig['order'] {
  return kind === 'autoint' ? 'first' : wanted;
}

/**
 * The meta objective L = alpha·L_a + (1 − alpha)·L_b of one meta batch (scalar), differentiable w.r.t. the
 * generator's variables; `cold: true` returns L_a alone (DropoutNet).
 * @example
 * tf.variableGrads(() => metaLoss(backbone, gen, mb, META_DEFAULTS), [...gen.trainableVariables().values()]);
 */
export function metaLoss(backbone: ColdStartBackbone, gen: EmbeddingGenerator, mb: MetaBatch, c: Pick<MetaConfig, 'alpha' | 'innerLr' | 'order'>, cold = false): Scalar {
  const e = gen.generate(mb.inputs, true); // (M, D)
  const coldLoss = (ee: Tensor) => bceSecondOrder(backbone.logit(mb.a, { training: false, idEmb: tf.gather(ee, mb.localA) }), mb.a[mb.label]); // scalar
  const la = coldLoss(e);
  if (cold || c.alpha === 1) return la;
  const g = c.order === 'second' ? tf.grad(coldLoss)(e) : tf.grad(coldLoss)(tf.tensor(e.dataSync(), e.shape)); // (M, D)
  const e2 = tf.sub(e, tf.mul(c.innerLr, g)); // (M, D)
  const lb = bceSecondOrder(backbone.logit(mb.b, { training: false, idEmb: tf.gather(e2, mb.localB) }), mb.b[mb.label]);
  return tf.add(tf.mul(c.alpha, la), tf.mul(1 - c.alpha, lb));
}

/**
 * Builds the meta batch of old ads `adIdx` from meta parts `pa` / `pb` (rows grouped by ad, `metaShot` each).
 * Call inside `tf.tidy`.
 * @example
 * tf.tidy(() => metaLoss(backbone, gen, metaBatch(world, backbone, graph, [0, 1], 'metaA', 'metaB'), META_DEFAULTS));
 */
export function metaBatch(world: ColdStartData, backbone: ColdStartBackbone, graph: AdGraph, adIdx: number[], pa: 'metaA' | 'metaC', pb: 'metaB' | 'metaD'): MetaBatch {
  const K = world.metaShot;
  const rows = Int32Array.from({ length: adIdx.length * K }, (_, k) => adIdx[Math.floor(k / K)] * K + (k % K));
  const local = tf.tensor1d(Int32Array.from(rows, (_, k) => Math.floor(k / K)), 'int32'); // (M·K)
  const dsA = world.parts[pa];
  const dsB = world.parts[pb];
  return { inputs: generatorInputs(backbone, world, graph, adIdx), a: toTensors(dsA, batchOf(dsA, rows)), b: toTensors(dsB, batchOf(dsB, rows)), localA: local, localB: local, label: world.label };
}

/**
 * Meta-trains `gen` on the old ads (backbone frozen: only the generator's variables are updated). Returns the mean
 * meta loss of each epoch.
 * @example
 * await trainGenerator({ backbone, gen, world, graph, config: META_DEFAULTS, rng: new Rng(1) });
 */
export async function trainGenerator(args: { backbone: ColdStartBackbone; gen: EmbeddingGenerator; world: ColdStartData; graph: AdGraph; config: MetaConfig; rng: Rng; label?: string }): Promise<number[]> {
  const { backbone, gen, world, graph, config: c, rng } = args;
  const vars = gen.trainableVariables();
  const varList = [...vars.values()];
  const byTf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const opt = new Optimizer(vars, { learningRate: c.learningRate });
  const old = world.ads.oldCount;
  const steps = Math.ceil(old / c.batchAds) * 2;
  const losses: number[] = [];
  const objective = { ...c, order: effectiveOrder(backbone.kind, c.order) };
  try {
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      const progress = new Progress({ total: steps, label: `${args.label ?? gen.kind} meta epoch ${epoch + 1}` });
      let sum = 0;
      let n = 0;
      for (const [pa, pb] of [['metaA', 'metaB'], ['metaC', 'metaD']] as const) {
        const order = Array.from({ length: old }, (_, i) => i);
        for (let i = old - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
        for (let s = 0; s < old; s += c.batchAds) {
          const ids = order.slice(s, s + c.batchAds);
          const loss = tf.tidy(() => {
            const mb = metaBatch(world, backbone, graph, ids, pa, pb);
            const { value, grads } = tf.variableGrads(() => metaLoss(backbone, gen, mb, objective, gen.kind === 'dropoutnet'), varList);
            opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byTf.get(k) ?? k, g])));
            return value;
          });
          sum += loss.dataSync()[0];
          loss.dispose();
          progress.update(++n, { loss: sum / n });
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      progress.done();
      losses.push(sum / n);
      if (!Number.isFinite(sum)) throw new Error(`meta-training ${gen.kind}: the loss became ${sum / n} in epoch ${epoch + 1}`);
    }
  } finally {
    opt.dispose();
  }
  return losses;
}

/**
 * Writes the generated embedding of every new ad into the backbone's ID table rows (spec §4 step 4).
 * @example
 * writeGeneratedEmbeddings(backbone, gen, world, graph);
 */
export function writeGeneratedEmbeddings(backbone: ColdStartBackbone, gen: EmbeddingGenerator, world: ColdStartData, graph: AdGraph): void {
  const ads = world.ads;
  const newIdx = Array.from({ length: ads.count - ads.oldCount }, (_, i) => ads.oldCount + i);
  const table = backbone.idTable();
  tf.tidy(() => {
    const e = gen.generate(generatorInputs(backbone, world, graph, newIdx), false); // (Mnew, D)
    const rows = tf.tensor2d(Int32Array.from(newIdx, (a) => a + 1), [newIdx.length, 1], 'int32'); // (Mnew, 1)
    table.assign(tf.tensorScatterUpdate(table, rows, e));
  });
}
