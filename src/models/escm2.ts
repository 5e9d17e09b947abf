/**
 * ESCM2 — Wang et al., "ESCM²: Entire Space Counterfactual Multi-Task Model for Post-Click Conversion Rate
 * Estimation", SIGIR 2022, arXiv:2204.05125. Both variants in one file (`variant: 'ips' | 'dr'`).
 * Implemented: ESMM (CTR and CTCVR losses on D) plus a counterfactual risk regulariser on the CVR tower that
 * estimates the CVR risk over the entire exposure space from the clicked rows:
 *   L = L_ctr + lambdaG · L_ctcvr + lambdaC · R
 *   e_i = BCE(p_cvr, r),  w = 1 / clip(sg(p_ctr), lo, hi)
 *   IPS: R = mean_D o · w · e
 *   DR:  R = mean_D [ e^ + o · w · (e - e^) ],   e^ = BCE(p_cvr, sg(r~)),  r~ = sigmoid(Tower_imp(h))
 *        plus the imputation loss L_imp = mean_D o · w · (sg(e) - e^')^2,  e^' = BCE(sg(p_cvr), r~)
 * Outputs: logits `ctr`, `cvr` and, for DR, `imputation` (the logit of the imputed conversion probability r~).
 * Paper deviations (all tagged in the code):
 * - propensities are detached and clipped to [0.01, 1] (ChorusCVR spec §3.3 bound, configurable); the PaddleRec
 *   reference (models/multitask/escm2) floors p_ctr at 1e-6 and also caps the IPS weight at 15.
 * - DR imputation: the imputation tower predicts an imputed label r~ and the imputed error is e^ = BCE(p_cvr, r~), as
 *   in DR-JL (Wang et al., ICML 2019, arXiv:1901.09979), which ESCM2's DR builds on; the error and imputation losses
 *   are detached from each other (DR-JL's alternating updates done jointly). Whether ESCM2 regresses the error
 *   directly could not be checked.
 * - weights lambdaC = lambdaG = 0.5 follow the PaddleRec reference defaults (counterfactual_w, global_w).
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
  bceOnProbs, checkPropensityClip, ctcvrTerm, ctrTerm, funnelLabels, inversePropensity, needOutputs, stopGradient,
  PROPENSITY_CLIP_DEFAULT, type EntireSpaceSpec, type PropensityClip,
} from '../train/cvr-losses.ts';

/** ESCM2 hyper-parameters; defaults in `ESCM2_DEFAULTS`. */
export interface ESCM2Config extends SharedBottomConfig {
  /** Counterfactual risk estimator: inverse propensity scoring or doubly robust (adds the imputation tower). */
  variant: 'ips' | 'dr';
  /** Name of the click label column. */
  clickLabel: string;
  /** lambdaC: weight of the counterfactual risk R. */
  counterfactualWeight: number;
  /** lambdaG: weight of the global CTCVR loss. */
  ctcvrWeight: number;
  /** Weight of the DR imputation loss. */
  imputationWeight: number;
  /** Propensity clip [lo, hi] (weights at most 1 / lo). */
  propensityClip: PropensityClip;
}
// Paper deviation: lambdaC = lambdaG = 0.5 from the PaddleRec reference; propensity clip [0.01, 1] from the ChorusCVR spec.
/** Defaults: IPS, lambdaC = lambdaG = 0.5, imputation weight 1, propensity clip [0.01, 1], backbone as ESMM. */
export const ESCM2_DEFAULTS: ESCM2Config = {
  ...SHARED_BOTTOM_DEFAULTS,
  variant: 'ips',
  clickLabel: 'click',
  counterfactualWeight: 0.5,
  ctcvrWeight: 0.5,
  imputationWeight: 1,
  propensityClip: [...PROPENSITY_CLIP_DEFAULT],
};

function resolveEscm2(config: Partial<ESCM2Config>): ESCM2Config {
  const c = resolveConfig('escm2', config, ESCM2_DEFAULTS);
  if (c.variant !== 'ips' && c.variant !== 'dr') throw new Error(`escm2 config: variant must be 'ips' or 'dr', got '${String(c.variant)}'`);
  checkPropensityClip(c.propensityClip, 'escm2 config');
  for (const k of ['counterfactualWeight', 'ctcvrWeight', 'imputationWeight'] as const) {
    if (!(c[k] >= 0)) throw new Error(`escm2 config: ${k} must be >= 0, got ${c[k]}`);
  }
  return c;
}

/**
 * ESCM2-IPS / ESCM2-DR; outputs logits `ctr`, `cvr` (B) and for DR `imputation` (B).
 * @example
 * const m = new ESCM2(new Rng(1), world.train.schema, { variant: 'dr' }); m.apply(batch, { training: false }).imputation; // (B)
 */
export class ESCM2 extends Module implements RecModel {
  readonly name: string;
  readonly config: ESCM2Config;
  private readonly net: SharedBottom;

  constructor(rng: Rng, schema: Schema, config: Partial<ESCM2Config> = {}) {
    super(rng);
    this.config = resolveEscm2(config);
    this.name = `escm2-${this.config.variant}`;
    this.net = this.module('net', new SharedBottom(this.rng, schema, this.config, this.config.variant === 'dr' ? ['ctr', 'cvr', 'imputation'] : ['ctr', 'cvr']));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    return this.net.apply(batch, training); // ctr, cvr (, imputation): (B) each
  }
}

/**
 * The counterfactual risk R (see the header), per variant. `imputation` is required for DR.
 * @param ctr, cvr logits (B); @param y conversion labels o·r (B); @param o clicks (B).
 * @example
 * escm2Risk({ ctr, cvr }, y, o, ESCM2_DEFAULTS); // scalar
 */
export function escm2Risk(logits: { ctr: Tensor; cvr: Tensor; imputation?: Tensor }, y: Tensor, o: Tensor, c: ESCM2Config): { risk: Scalar; imputation: Scalar | null } {
  const pCvr = tf.sigmoid(logits.cvr); // (B)
  // Paper deviation: the propensity is detached and clipped to propensityClip (PaddleRec: floor 1e-6, weight cap 15).
  const w = inversePropensity(tf.sigmoid(logits.ctr), c.propensityClip); // w = 1 / clip(sg(p_ctr)), (B)
  const e = bceOnProbs(pCvr, y); // e = BCE(p_cvr, r), (B)
  if (c.variant === 'ips') return { risk: tf.mean(tf.mul(tf.mul(o, w), e)) as Scalar, imputation: null }; // R = mean_D o w e
  if (!logits.imputation) throw new Error("escm2 loss: variant 'dr' needs the model's 'imputation' output");
  // Paper deviation: the imputation tower predicts an imputed label r~ and e^ = BCE(p_cvr, r~) (DR-JL); e and e^ detached across the two losses.
  const rTilde = tf.sigmoid(logits.imputation); // r~ (B)
  const eHat = bceOnProbs(pCvr, stopGradient(rTilde)); // e^ = BCE(p_cvr, sg(r~)), (B)
  const risk = tf.mean(tf.add(eHat, tf.mul(tf.mul(o, w), tf.sub(e, eHat)))) as Scalar; // R = mean_D [e^ + o w (e - e^)]
  const eHatImp = bceOnProbs(stopGradient(pCvr), rTilde); // e^' = BCE(sg(p_cvr), r~)
  const imputation = tf.mean(tf.mul(tf.mul(o, w), tf.square(tf.sub(stopGradient(e), eHatImp)))) as Scalar; // mean_D o w (sg(e) - e^')^2
  return { risk, imputation };
}

/**
 * L = L_ctr + lambdaG L_ctcvr + lambdaC R (+ imputationWeight L_imp for DR); `label` is the conversion label.
 * Pass the same config as to the model.
 * @example
 * escm2Loss('conversion', { variant: 'dr' })(model.apply(batch, { training: true }), batch);
 */
export function escm2Loss(label: string, config: Partial<ESCM2Config> = {}): LossFn {
  const c = resolveEscm2(config);
  return (out, batch) => {
    const { ctr, cvr } = needOutputs(out, ['ctr', 'cvr'], 'escm2 loss');
    const { o, y } = funnelLabels(batch, c.clickLabel, label, 'escm2 loss');
    const { risk, imputation } = escm2Risk({ ctr, cvr, imputation: out.imputation }, y, o, c);
    const terms = [ctrTerm(ctr, o), tf.mul(c.ctcvrWeight, ctcvrTerm(ctr, cvr, y)), tf.mul(c.counterfactualWeight, risk)];
    if (imputation) terms.push(tf.mul(c.imputationWeight, imputation));
    return tf.addN(terms) as Scalar; // L = L_ctr + lambdaG L_ctcvr + lambdaC R (+ L_imp)
  };
}

function fixVariant(variant: ESCM2Config['variant'], config: Partial<ESCM2Config> | undefined): Partial<ESCM2Config> {
  if (config?.variant !== undefined && config.variant !== variant) throw new Error(`escm2-${variant} config: variant is '${variant}' for this entry, got '${config.variant}'`);
  return { ...config, variant };
}

/** Registry entry of ESCM2-IPS. */
export const escm2IpsSpec: EntireSpaceSpec<ESCM2Config> = {
  name: 'escm2-ips',
  description: 'ESCM2-IPS (Wang et al. 2022): ESMM + inverse-propensity counterfactual CVR risk',
  defaults: ESCM2_DEFAULTS,
  create: (rng, schema, config) => new ESCM2(rng, schema, fixVariant('ips', config)),
  task: 'entire-space-cvr',
  loss: (label, config?) => escm2Loss(label, fixVariant('ips', config)),
  scoreOutput: 'cvr',
};

/** Registry entry of ESCM2-DR. */
export const escm2DrSpec: EntireSpaceSpec<ESCM2Config> = {
  name: 'escm2-dr',
  description: 'ESCM2-DR (Wang et al. 2022): ESMM + doubly robust counterfactual CVR risk with an imputation tower',
  defaults: { ...ESCM2_DEFAULTS, variant: 'dr', propensityClip: [...PROPENSITY_CLIP_DEFAULT] },
  create: (rng, schema, config) => new ESCM2(rng, schema, fixVariant('dr', config)),
  task: 'entire-space-cvr',
  loss: (label, config?) => escm2Loss(label, fixVariant('dr', config)),
  scoreOutput: 'cvr',
};
