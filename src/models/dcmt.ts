/**
 * DCMT — Zhu et al., "DCMT: A Direct Entire-Space Causal Multi-Task Framework for Post-Click Conversion
 * Estimation", ICDE 2023, arXiv:2302.06141. No official code.
 * Implemented (from the abstract, the ChorusCVR spec §5 and third-party summaries; see the deviations): a CTR tower
 * (the propensity model) and twin CVR towers on a shared bottom. The factual tower predicts CVR on the factual
 * (clicked) space; the counterfactual tower predicts its complement on the counterfactual (unclicked) space, where
 * every unclicked exposure carries the inverted conversion label 1 - r = 1; a soft "counterfactual prior" constraint
 * ties the two so they sum to 1 on every exposure:
 *   p_ctr = sigmoid(a), p_cvr = sigmoid(b) (factual), p_cf = sigmoid(c) (counterfactual, ~ 1 - p_cvr)
 *   w = 1 / clip(sg(p_ctr), lo, hi),  w_bar = 1 / clip(1 - sg(p_ctr), lo, hi)
 *   L_cvr = mean_D [ o · w · BCE(p_cvr, r) + (1 - o) · w_bar · BCE(p_cf, 1 - r) ] + lambda · mean_D |1 - (p_cvr + p_cf)|
 *   L = L_ctr + L_cvr (+ ctcvrWeight · L_ctcvr)
 * The factual tower `cvr` is the served CVR; `cvrCounterfactual` is the logit of p_cf (a non-conversion score).
 * Paper deviations (all tagged in the code; the full paper could not be read):
 * - whether the total loss keeps ESMM's CTCVR term is unknown: ctcvrWeight defaults to 0 (L = L_ctr + L_cvr).
 * - the constraint weight lambda defaults to 1 and its norm is L1 (|.|), our reading of "soft constraint".
 * - propensities detached and clipped to [0.01, 1] (ChorusCVR spec §3.3 bound), normalised by |D| (IPS/DR style).
 * - shared bottom MLP and sizes as in the rest of the family (spec §3.4).
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { SharedBottom, SHARED_BOTTOM_DEFAULTS, type SharedBottomConfig } from '../layers/multitask.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type LossFn, type ModelOutputs, type RecModel } from './model.ts';
import {
  bceOnProbs, checkPropensityClip, ctcvrTerm, ctrTerm, funnelLabels, inversePropensity, needOutputs,
  PROPENSITY_CLIP_DEFAULT, type EntireSpaceSpec, type PropensityClip,
} from '../train/cvr-losses.ts';

/** DCMT hyper-parameters; defaults in `DCMT_DEFAULTS`. */
export interface DCMTConfig extends SharedBottomConfig {
  /** Name of the click label column. */
  clickLabel: string;
  /** lambda: weight of the counterfactual prior constraint mean_D |1 - (p_cvr + p_cf)|. */
  constraintWeight: number;
  /** Weight of ESMM's CTCVR loss (0 = not used). */
  ctcvrWeight: number;
  /** Propensity clip [lo, hi] (weights at most 1 / lo). */
  propensityClip: PropensityClip;
}
// Paper deviation: lambda = 1 with an L1 constraint, no CTCVR term by default, clip [0.01, 1] — our proposals.
/** Defaults: lambda = 1, ctcvrWeight = 0, propensity clip [0.01, 1], backbone D 16, [256, 128], towers [64, 32]. */
export const DCMT_DEFAULTS: DCMTConfig = {
  ...SHARED_BOTTOM_DEFAULTS,
  clickLabel: 'click',
  constraintWeight: 1,
  ctcvrWeight: 0,
  propensityClip: [...PROPENSITY_CLIP_DEFAULT],
};

function resolveDcmt(config: Partial<DCMTConfig>): DCMTConfig {
  const c = resolveConfig('dcmt', config, DCMT_DEFAULTS);
  checkPropensityClip(c.propensityClip, 'dcmt config');
  for (const k of ['constraintWeight', 'ctcvrWeight'] as const) if (!(c[k] >= 0)) throw new Error(`dcmt config: ${k} must be >= 0, got ${c[k]}`);
  return c;
}

/**
 * DCMT; outputs logits `ctr`, `cvr` (factual) and `cvrCounterfactual` (B each).
 * @example
 * const m = new DCMT(new Rng(1), world.train.schema); m.apply(batch, { training: false }).cvrCounterfactual; // (B)
 */
export class DCMT extends Module implements RecModel {
  readonly name = 'dcmt';
  readonly config: DCMTConfig;
  private readonly net: SharedBottom;

  constructor(rng: Rng, schema: Schema, config: Partial<DCMTConfig> = {}) {
    super(rng);
    this.config = resolveDcmt(config);
    this.net = this.module('net', new SharedBottom(this.rng, schema, this.config, ['ctr', 'cvr', 'cvrCounterfactual']));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    return this.net.apply(batch, training); // ctr, cvr, cvrCounterfactual: (B) each
  }
}

/**
 * DCMT's CVR loss (twin towers + counterfactual prior), see the header.
 * @param logits ctr, cvr, cvrCounterfactual (B); @param y conversion labels o·r (B); @param o clicks (B).
 * @example
 * dcmtCvrTerm({ ctr, cvr, cvrCounterfactual }, y, o, DCMT_DEFAULTS); // scalar
 */
export function dcmtCvrTerm(logits: { ctr: Tensor; cvr: Tensor; cvrCounterfactual: Tensor }, y: Tensor, o: Tensor, c: DCMTConfig): Scalar {
  const pCtr = tf.sigmoid(logits.ctr); // (B)
  const pCvr = tf.sigmoid(logits.cvr); // (B)
  const pCf = tf.sigmoid(logits.cvrCounterfactual); // (B)
  const w = inversePropensity(pCtr, c.propensityClip); // 1 / clip(sg(p_ctr)), (B)
  const wBar = inversePropensity(tf.sub(1, pCtr), c.propensityClip); // 1 / clip(1 - sg(p_ctr)), (B)
  const factual = tf.mul(tf.mul(o, w), bceOnProbs(pCvr, y)); // o w BCE(p_cvr, r)
  const counterfactual = tf.mul(tf.mul(tf.sub(1, o), wBar), bceOnProbs(pCf, tf.sub(1, y))); // (1 - o) w_bar BCE(p_cf, 1 - r)
  // Paper deviation: L1 form of the counterfactual prior; normalised by |D| like the factual/counterfactual parts.
  const prior = tf.abs(tf.sub(1, tf.add(pCvr, pCf))); // |1 - (p_cvr + p_cf)|
  return tf.add(tf.mean(tf.add(factual, counterfactual)), tf.mul(c.constraintWeight, tf.mean(prior))) as Scalar;
}

/**
 * L = L_ctr + L_cvr^DCMT + ctcvrWeight L_ctcvr; `label` is the conversion label. Pass the same config as to the model.
 * @example
 * dcmtLoss('conversion')(model.apply(batch, { training: true }), batch);
 */
export function dcmtLoss(label: string, config: Partial<DCMTConfig> = {}): LossFn {
  const c = resolveDcmt(config);
  return (out, batch) => {
    const { ctr, cvr, cvrCounterfactual } = needOutputs(out, ['ctr', 'cvr', 'cvrCounterfactual'], 'dcmt loss');
    const { o, y } = funnelLabels(batch, c.clickLabel, label, 'dcmt loss');
    const terms = [ctrTerm(ctr, o), dcmtCvrTerm({ ctr, cvr, cvrCounterfactual }, y, o, c)];
    // Paper deviation: whether DCMT keeps ESMM's CTCVR loss is unknown; off unless ctcvrWeight > 0.
    if (c.ctcvrWeight > 0) terms.push(tf.mul(c.ctcvrWeight, ctcvrTerm(ctr, cvr, y)));
    return tf.addN(terms) as Scalar; // L = L_ctr + L_cvr (+ L_ctcvr)
  };
}

/** Registry entry. */
export const dcmtSpec: EntireSpaceSpec<DCMTConfig> = {
  name: 'dcmt',
  description: 'DCMT (Zhu et al. 2023): factual/counterfactual twin CVR towers with a counterfactual prior constraint',
  defaults: DCMT_DEFAULTS,
  create: (rng, schema, config) => new DCMT(rng, schema, config),
  task: 'entire-space-cvr',
  loss: dcmtLoss,
  scoreOutput: 'cvr',
};
