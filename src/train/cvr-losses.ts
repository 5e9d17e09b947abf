/**
 * Loss pieces shared by the entire-space CVR models (naive CVR, Shared-Bottom, ESMM, ESCM2, DCMT, ChorusCVR).
 * Notation: o in {0,1} click, r conversion (the dataset's conversion label is o·r), D all exposures, O = {o = 1},
 * N = D \ O, p_ctr = sigmoid(a), p_cvr = sigmoid(b), sg = stop-gradient.
 *   BCE(p, y)       = -[y log p~ + (1 - y) log(1 - p~)],  p~ = clip(p, eps, 1 - eps), eps = 1e-7
 *   mean_S(v)       = sum_i s_i v_i / max(sum_i s_i, 1)    (per-subset mean; 0 on an empty subset)
 *   w(x)            = 1 / clip(sg(p_ctr), lo, hi)          (inverse propensity of a click)
 *   w_bar(x)        = 1 / clip(1 - sg(p_ctr), lo, hi)      (inverse propensity of no click)
 * The propensity clip [lo, hi] defaults to [0.01, 1] (ChorusCVR spec §3.3): weights are at most 1 / lo = 100, so the
 * IPS / DR terms stay finite however small p_ctr gets.
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { TensorBatch } from '../data/batching.ts';
import type { LossFn, ModelOutputs, ModelSpec } from '../models/model.ts';
import { bceWithLogits } from './losses.ts';

/** Bounds [lo, hi] a propensity is clipped to before it is inverted. */
export type PropensityClip = [number, number];

/** Default propensity clip [0.01, 1] (ChorusCVR spec §3.3; weights at most 100). */
export const PROPENSITY_CLIP_DEFAULT: PropensityClip = [0.01, 1];

/** Clamp of probabilities inside `bceOnProbs` (spec §3.3): [1e-7, 1 - 1e-7]. */
export const PROB_EPS = 1e-7;

/**
 * A registry entry whose loss also takes the model config (loss switches and weights live in it). Pass the same
 * config to `create` and `loss`.
 * @example
 * const spec = chorusCvrSpec; const cfg = { lambda: 0.5 };
 * const model = spec.create(rng, schema, cfg); const loss = spec.loss('conversion', cfg);
 */
export type EntireSpaceSpec<C extends object> = Omit<ModelSpec<C>, 'loss'> & { loss(label: string, config?: Partial<C>): LossFn };

const sg = tf.customGrad((...args) => {
  const x = args[0] as Tensor;
  return { value: tf.clone(x), gradFunc: (dy: Tensor) => tf.zerosLike(dy) };
});

/**
 * Stop-gradient: the same values, a zero gradient (tfjs has no stop_gradient op).
 * @example
 * tf.grad((x) => tf.sum(tf.mul(stopGradient(x), x)))(tf.tensor1d([3])); // [3], not [6]
 */
export function stopGradient(x: Tensor): Tensor {
  return sg(x);
}

/**
 * Per-row binary cross-entropy on probabilities, clamped: (B) -> (B).
 *   BCE(p, y) = -[y log p~ + (1 - y) log(1 - p~)],  p~ = clip(p, eps, 1 - eps)
 * @param p probabilities (B); @param y labels or soft labels in [0, 1] (B); @param eps default `PROB_EPS`.
 * @example
 * bceOnProbs(tf.tensor1d([0.5]), tf.tensor1d([1])); // [ln 2]
 */
export function bceOnProbs(p: Tensor, y: Tensor, eps = PROB_EPS): Tensor {
  const pc = tf.clipByValue(p, eps, 1 - eps); // (B)
  return tf.neg(tf.add(tf.mul(y, tf.log(pc)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, pc))))); // (B)
}

/**
 * Mean of `values` over the rows where `mask` is 1: sum(v m) / max(sum(m), 1); an empty subset gives 0.
 * @param values (B); @param mask (B) of 0/1.
 * @example
 * maskedMean(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 1])); // 2
 */
export function maskedMean(values: Tensor, mask: Tensor): Scalar {
  return tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1)) as Scalar;
}

/**
 * Throws unless 0 < lo <= hi <= 1, naming `where`.
 * @example
 * checkPropensityClip([0.01, 1], 'escm2 config'); // passes
 */
export function checkPropensityClip(clip: PropensityClip, where: string): void {
  const [lo, hi] = clip;
  if (!(clip.length === 2 && lo > 0 && lo <= hi && hi <= 1)) throw new Error(`${where}: propensityClip must be [lo, hi] with 0 < lo <= hi <= 1, got [${clip.join(', ')}]`);
}

/**
 * Inverse propensity with stop-gradient and clipping: 1 / clip(sg(p), lo, hi) (B). No gradient reaches p.
 * @example
 * inversePropensity(tf.sigmoid(tf.tensor1d([-30])), [0.01, 1]); // [100]
 */
export function inversePropensity(p: Tensor, clip: PropensityClip = PROPENSITY_CLIP_DEFAULT): Tensor {
  return tf.div(1, tf.clipByValue(stopGradient(p), clip[0], clip[1])); // (B)
}

/**
 * The named outputs a loss needs; a missing one is an error naming the model's outputs.
 * @example
 * const { ctr, cvr } = needOutputs(out, ['ctr', 'cvr'], 'esmm loss');
 */
export function needOutputs<K extends string>(out: ModelOutputs, names: readonly K[], where: string): Record<K, Tensor> {
  const r = {} as Record<K, Tensor>;
  for (const n of names) {
    const t = out[n];
    if (!t) throw new Error(`${where}: the model returned no '${n}' output (outputs: ${Object.keys(out).join(', ')})`);
    r[n] = t;
  }
  return r;
}

/**
 * The click o (B) and conversion label y = o·r (B) of a batch; missing labels are errors naming them.
 * @example
 * const { o, y } = funnelLabels(batch, 'click', 'conversion', 'esmm loss');
 */
export function funnelLabels(batch: TensorBatch, clickLabel: string, convLabel: string, where: string): { o: Tensor; y: Tensor } {
  const o = batch[clickLabel];
  const y = batch[convLabel];
  if (!o) throw new Error(`${where}: the batch has no click label '${clickLabel}' (set clickLabel in the model config)`);
  if (!y) throw new Error(`${where}: the batch has no conversion label '${convLabel}'`);
  return { o, y };
}

/**
 * L_ctr = mean_D BCE(sigmoid(a), o), in the stable logit form.
 * @example
 * ctrTerm(out.ctr, o); // scalar
 */
export function ctrTerm(ctrLogit: Tensor, o: Tensor): Scalar {
  return bceWithLogits(ctrLogit, o);
}

/**
 * L_cvr^O = mean_O BCE(sigmoid(b), r): the CVR loss on the click space only (naive CVR, Shared-Bottom).
 * @example
 * clickedCvrTerm(out.cvr, y, o); // scalar
 */
export function clickedCvrTerm(cvrLogit: Tensor, y: Tensor, o: Tensor): Scalar {
  const per = tf.add(tf.sub(tf.relu(cvrLogit), tf.mul(cvrLogit, y)), tf.log1p(tf.exp(tf.neg(tf.abs(cvrLogit))))); // (B)
  return maskedMean(per, o);
}

/**
 * L_ctcvr = mean_D BCE(sigmoid(a) · sigmoid(b), o·r) (ESMM, Eq. 1 of Ma et al. 2018).
 * @example
 * ctcvrTerm(out.ctr, out.cvr, y); // scalar
 */
export function ctcvrTerm(ctrLogit: Tensor, cvrLogit: Tensor, y: Tensor): Scalar {
  const pCtcvr = tf.mul(tf.sigmoid(ctrLogit), tf.sigmoid(cvrLogit)); // (B)
  return tf.mean(bceOnProbs(pCtcvr, y)) as Scalar;
}
