/**
 * Prediction and evaluation of entire-space CVR models (naive CVR, ESMM, ESCM2, DCMT, ChorusCVR, ...), in fixed row
 * order: probabilities of several named outputs in one pass, and the metrics of the funnel:
 *   ctrAuc        AUC of p_ctr vs click on all exposures D
 *   cvrAucClicked AUC of p_cvr vs conversion on the clicked exposures O (what public data can measure)
 *   ctcvrAuc      AUC of p_ctcvr = p_ctr p_cvr vs conversion on D
 *   cvrAucEntire  AUC of p_cvr vs the counterfactual conversion label on D (synthetic worlds only)
 *   cvrLoglossClicked  log loss of p_cvr vs conversion on O
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.ts';
import { batchOf, toTensors } from '../data/batching.ts';
import type { RecModel } from '../models/model.ts';
import { auc, logloss } from '../metrics/index.ts';
import { FUNNEL_TRUTH } from '../worlds/funnel-world.ts';

/**
 * Probabilities sigmoid(output) of the named logit outputs for every row, in row order, batched; no tensors leak.
 * @param outputs names of (B) logit outputs, e.g. ['ctr', 'cvr']; @param options.batchSize default 8192.
 * @example
 * const p = predictOutputs(model, world.test, ['ctr', 'cvr']); // { ctr: Float32Array(n), cvr: Float32Array(n) }
 */
export function predictOutputs(model: RecModel, ds: Dataset, outputs: string[], options: { batchSize?: number } = {}): Record<string, Float32Array> {
  if (!outputs.length) throw new Error('predictOutputs: no outputs named');
  const bs = options.batchSize ?? 8192;
  if (!(Number.isInteger(bs) && bs > 0)) throw new Error(`predictOutputs: batchSize must be a positive integer, got ${bs}`);
  const result: Record<string, Float32Array> = Object.fromEntries(outputs.map((n) => [n, new Float32Array(ds.size)]));
  for (let start = 0; start < ds.size; start += bs) {
    const rows = Int32Array.from({ length: Math.min(bs, ds.size - start) }, (_, i) => start + i);
    const probs = tf.tidy(() => {
      const o = model.apply(toTensors(ds, batchOf(ds, rows)), { training: false });
      return outputs.map((n): Tensor => {
        const t = o[n];
        if (!t) throw new Error(`predictOutputs: model '${model.name}' has no output '${n}' (outputs: ${Object.keys(o).join(', ')})`);
        if (t.size !== rows.length) throw new Error(`predictOutputs: output '${n}' of model '${model.name}' has shape [${t.shape}], expected one value per row`);
        return tf.sigmoid(tf.reshape(t, [-1])); // (B)
      });
    });
    outputs.forEach((n, k) => result[n].set(probs[k].dataSync(), start));
    tf.dispose(probs);
  }
  return result;
}

/** Metrics of an entire-space CVR model on one dataset (see the file header). */
export interface EntireSpaceMetrics {
  ctrAuc: number;
  cvrAucClicked: number;
  ctcvrAuc: number;
  /** Only when the truth holds the counterfactual labels (`FUNNEL_TRUTH.cfConversion`). */
  cvrAucEntire?: number;
  cvrLoglossClicked: number;
}

/** Probabilities to evaluate, aligned with the dataset rows; ctcvr defaults to ctr · cvr. */
export interface EntireSpaceProbs {
  ctr: Float32Array;
  cvr: Float32Array;
  ctcvr?: Float32Array;
}

/**
 * The funnel metrics of predicted probabilities on a dataset; `truth` (a world's `truth[part]`, or undefined for
 * real data) adds `cvrAucEntire`. Missing columns, probabilities or wrong lengths are errors naming them.
 * @param options.clickLabel default 'click'; options.conversionLabel default 'conversion'.
 * @example
 * const m = evaluateEntireSpace(world.test, world.truth.test, predictOutputs(model, world.test, ['ctr', 'cvr']) as EntireSpaceProbs);
 * m.cvrAucEntire; // 0.7
 */
export function evaluateEntireSpace(
  ds: Dataset,
  truth: Record<string, Float32Array> | undefined,
  probs: EntireSpaceProbs,
  options: { clickLabel?: string; conversionLabel?: string } = {},
): EntireSpaceMetrics {
  const click = ds.label(options.clickLabel ?? 'click');
  const conv = ds.label(options.conversionLabel ?? 'conversion');
  for (const k of ['ctr', 'cvr'] as const) {
    if (!probs[k]) throw new Error(`evaluateEntireSpace: no '${k}' probabilities given`);
  }
  const ctcvr = probs.ctcvr ?? probs.ctr.map((p, i) => p * probs.cvr[i]);
  for (const [k, a] of [['ctr', probs.ctr], ['cvr', probs.cvr], ['ctcvr', ctcvr]] as const) {
    if (a.length !== ds.size) throw new Error(`evaluateEntireSpace: '${k}' has ${a.length} values for ${ds.size} rows`);
  }
  const clicked: number[] = [];
  for (let i = 0; i < ds.size; i++) if (click[i] === 1) clicked.push(i);
  const yO = Float32Array.from(clicked, (i) => conv[i]);
  const pO = Float32Array.from(clicked, (i) => probs.cvr[i]);
  const m: EntireSpaceMetrics = {
    ctrAuc: auc(click, probs.ctr),
    cvrAucClicked: auc(yO, pO),
    ctcvrAuc: auc(conv, ctcvr),
    cvrLoglossClicked: logloss(yO, pO),
  };
  if (truth) {
    const cf = truth[FUNNEL_TRUTH.cfConversion];
    if (!cf) throw new Error(`evaluateEntireSpace: the truth has no '${FUNNEL_TRUTH.cfConversion}' (truth: ${Object.keys(truth).join(', ')})`);
    if (cf.length !== ds.size) throw new Error(`evaluateEntireSpace: truth '${FUNNEL_TRUTH.cfConversion}' has ${cf.length} values for ${ds.size} rows`);
    m.cvrAucEntire = auc(cf, probs.cvr);
  }
  return m;
}

/**
 * A trainer `validate` callback: one funnel metric of the model on a dataset (e.g. CVR AUC on the clicked rows of the
 * validation split; 'cvrAucEntire' needs `truth`). Use with the trainer's monitor 'auc' (higher is better), or
 * 'logloss' for cvrLoglossClicked.
 * @example
 * await train({ model, loss, train: world.train, config: { monitor: 'auc' }, validate: entireSpaceValidator(world.valid, 'cvrAucClicked') });
 */
export function entireSpaceValidator(ds: Dataset, metric: keyof EntireSpaceMetrics, truth?: Record<string, Float32Array>): (model: RecModel) => number {
  if (metric === 'cvrAucEntire' && !truth) throw new Error("entireSpaceValidator: 'cvrAucEntire' needs the truth of the dataset");
  return (model) => {
    const p = predictOutputs(model, ds, ['ctr', 'cvr']);
    const v = evaluateEntireSpace(ds, truth, { ctr: p.ctr, cvr: p.cvr })[metric];
    return v as number;
  };
}
