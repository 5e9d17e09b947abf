/**
 * Centralised training of a FedModel (the non-federated baseline and FedPA's foundation pre-training): every
 * non-frozen parameter is one shared copy (the Module's own variables), trained with the shared Optimizer on
 * mini-batches of users; the same forward as the federated run, with the shared copy tiled over the batch's users.
 * Each optimiser step after the first is one compiled TensorFlow function when compiled steps are on (`compile`).
 */
import { z } from 'zod';
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { Rng } from '../random.ts';
import { auc, logloss } from '../metrics/index.ts';
import { Optimizer } from '../train/optimizers.ts';
import { Progress } from '../train/progress.ts';
import type { ClientBatch, FedModel, FederatedData, LossContext, ParamMap } from './types.ts';
import { StepCompiler, compileEnabled } from '../train/compile.ts';
import { clientBatch, disposeBatch, heldOutRows, validateClients } from './data.ts';
import { predictHeldOut } from './client.ts';
import { maskedBce } from './ops.ts';
import type { HeldOut, HeldOutScores } from './engine.ts';

/** Strict schema of centralised training; defaults in `CENTRAL_DEFAULTS`. */
export const CentralConfigSpec = z.strictObject({
  epochs: z.number().int().min(0).default(10),
  /** Users per mini-batch. */
  batchUsers: z.number().int().min(1).default(128),
  learningRate: z.number().gt(0).default(0.003),
  maxLen: z.number().int().min(1).default(30),
  batchKind: z.enum(['sequence', 'pointwise']).default('sequence'),
  seed: z.number().int().default(1),
  label: z.string().default('central'),
  /** Early stopping: stop after this many epochs in a row without a better validation AUC; null = every epoch. */
  patience: z.number().int().min(1).nullable().default(null),
  /** Optimiser steps as compiled TensorFlow functions (src/train/compile.ts): null = `compileEnabled()`. */
  compile: z.boolean().nullable().default(null),
});
/** Centralised training config (see the schema). */
export type CentralConfig = z.infer<typeof CentralConfigSpec>;

function sharedParams(model: FedModel, C: number): ParamMap {
  const out: ParamMap = {};
  for (const [n, v] of model.root.namedVariables()) out[n] = tf.tile(tf.expandDims(v, 0), [C, ...v.shape.map(() => 1)]); // (C, ...)
  return out;
}

/**
 * Held-out metrics of the model's current shared parameters on some users.
 * @example
 * evaluateCentral(model, data, users, 'test', { maxLen: 30, batchKind: 'sequence' }); // { auc, logloss }
 */
export function evaluateCentral(model: FedModel, data: FederatedData, users: Int32Array, part: 'valid' | 'test', o: { maxLen: number; batchKind: 'sequence' | 'pointwise' }): HeldOut {
  const s = scoreCentral(model, data, users, part, o);
  return { auc: auc(s.labels, s.probs), logloss: logloss(s.labels, s.probs) };
}

/**
 * The held-out rows of some users scored by the model's current shared parameters (users, labels, probabilities).
 * @example
 * scoreCentral(model, data, users, 'test', { maxLen: 30, batchKind: 'sequence' }).probs;
 */
export function scoreCentral(model: FedModel, data: FederatedData, users: Int32Array, part: 'valid' | 'test', o: { maxLen: number; batchKind: 'sequence' | 'pointwise' }): HeldOutScores {
  const rows = heldOutRows(data, users, part);
  const probs = new Float32Array(rows.labels.length);
  let at = 0;
  for (let i = 0; i < users.length; i += 512) {
    const chunk = users.subarray(i, i + 512);
    const batch = clientBatch(data, chunk, part, o.batchKind, o.maxLen);
    const p = tf.tidy(() => {
      const params = sharedParams(model, chunk.length);
      const routes = model.assignGroups(params, {}, batch);
      return predictHeldOut(model, params, batch, routes);
    });
    probs.set(p, at);
    at += p.length;
    disposeBatch(batch);
  }
  if (at !== probs.length) throw new Error(`scoreCentral: scored ${at} held-out ${part} rows, expected ${probs.length}`);
  return { users: rows.users, labels: rows.labels, probs };
}

/**
 * Trains the shared parameters on `trainUsers`' training parts, keeps the epoch with the best validation AUC on
 * `trainUsers` (restored into the module), and reports validation and test metrics on `evalUsers`.
 * @example
 * const r = await trainCentral(sasrec, data, { epochs: 10 });
 */
export async function trainCentral(
  model: FedModel, data: FederatedData, partial: Partial<CentralConfig>, users?: { train?: Int32Array; eval?: Int32Array },
): Promise<{ history: Array<{ epoch: number; loss: number; valid: HeldOut }>; bestEpoch: number; valid: HeldOut; test: HeldOut; testScores: HeldOutScores; earlyStopped: boolean; compiledSteps: { compiled: number; eager: number; fallbackReason: string | null } | null }> {
  const cfg = CentralConfigSpec.parse(partial);
  const valid = validateClients(data).clients;
  const trainUsers = users?.train ?? valid;
  const evalUsers = users?.eval ?? valid;
  const vars = new Map([...model.root.namedVariables()].filter(([n]) => model.role(n).kind !== 'frozen'));
  const opt = new Optimizer(vars, { learningRate: cfg.learningRate });
  const rng = new Rng(cfg.seed);
  const o = { maxLen: cfg.maxLen, batchKind: cfg.batchKind };
  const history: Array<{ epoch: number; loss: number; valid: HeldOut }> = [];
  let bestAuc = -Infinity;
  let bestEpoch = 0;
  let bestState = model.root.stateDict();
  let earlyStopped = false;
  const progress = new Progress({ total: cfg.epochs, label: cfg.label });
  const compiler = (cfg.compile ?? compileEnabled()) ? new StepCompiler(cfg.label) : null;
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const order = Int32Array.from(trainUsers);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    let steps = 0;
    for (let i = 0; i < order.length; i += cfg.batchUsers) {
      const chunk = order.subarray(i, i + cfg.batchUsers);
      const batch = clientBatch(data, chunk, 'train', cfg.batchKind, cfg.maxLen);
      const seed = rng.int(2 ** 30);
      tf.tidy(() => {
        // Routing reads the argmax back to JavaScript: done before the step (no gradient flows through it anyway).
        const routes = tf.tidy(() => model.assignGroups(sharedParams(model, chunk.length), {}, batch));
        const tensorFields = (Object.keys(batch) as Array<keyof ClientBatch>).filter((k) => batch[k] instanceof tf.Tensor);
        const inputs: Record<string, Tensor> = { seed: tf.tensor1d([seed, 0], 'int32') };
        for (const [g, r] of Object.entries(routes)) inputs[`groups:${g}`] = tf.tensor1d(r, 'int32');
        for (const k of tensorFields) inputs[`batch:${k}`] = batch[k] as Tensor;
        /** One optimiser step on named inputs (Adam's rate as a tensor when compiled). */
        const step = (inp: Record<string, Tensor>): Tensor => {
          const b = { ...batch, ...Object.fromEntries(tensorFields.map((k) => [k, inp[`batch:${k}`]])) } as ClientBatch;
          const groups = Object.fromEntries(Object.keys(routes).map((g) => [g, inp[`groups:${g}`]]));
          const { value, grads } = tf.variableGrads(() => {
            const ctx: LossContext = { training: true, seed: inp.seed, groups, groupShare: {} };
            const out = model.forward(sharedParams(model, chunk.length), b, ctx);
            const per = maskedBce(out.logits, b.labels, b.lossMask); // (C)
            return tf.mean(out.aux ? tf.add(per, out.aux) : per) as Scalar;
          }, [...vars.values()]);
          opt.apply(new Map([...vars].map(([n, v]) => [n, grads[v.name]])), inp.adamRate);
          return value;
        };
        let value: Tensor;
        // Compiled steps start after the first step, which creates the optimiser's slots eagerly.
        if (!compiler || opt.step === 0) value = step(inputs);
        else {
          const t = opt.step + 1;
          value = compiler.run({ ...inputs, adamRate: tf.scalar(opt.adamRate(t)) }, step, JSON.stringify(opt.config));
          opt.step = t;
        }
        lossSum += value.dataSync()[0];
        steps++;
      });
      disposeBatch(batch);
      await new Promise((r) => setImmediate(r));
    }
    const v = evaluateCentral(model, data, trainUsers === evalUsers ? evalUsers : trainUsers, 'valid', o);
    history.push({ epoch, loss: lossSum / Math.max(steps, 1), valid: v });
    if (v.auc > bestAuc) {
      bestAuc = v.auc;
      bestEpoch = epoch;
      bestState = model.root.stateDict();
    }
    progress.update(epoch, { loss: lossSum / Math.max(steps, 1), 'valid auc': v.auc });
    if (cfg.patience !== null && epoch - bestEpoch >= cfg.patience && epoch < cfg.epochs) {
      earlyStopped = true;
      break;
    }
  }
  progress.done();
  compiler?.dispose();
  model.root.loadStateDict(bestState);
  const testScores = scoreCentral(model, data, evalUsers, 'test', o);
  const test = { auc: auc(testScores.labels, testScores.probs), logloss: logloss(testScores.labels, testScores.probs) };
  const compiledSteps = compiler ? { compiled: compiler.stats.compiledSteps, eager: compiler.stats.eagerSteps, fallbackReason: compiler.fallbackReason } : null;
  return { history, bestEpoch, valid: evaluateCentral(model, data, evalUsers, 'valid', o), test, testScores, earlyStopped, compiledSteps };
}
