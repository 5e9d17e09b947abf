/**
 * ChorusCVR — Cheng, Lu, Xia et al., "ChorusCVR: Chorus Supervision for Entire Space Post-Click Conversion Rate
 * Modeling", WSDM 2026 (likely), arXiv:2502.08277. No official code; implemented from ../shared/papers/chorus-cvr.md
 * §3.2-3.3 (whose loss mapping comes from an unverified community re-implementation).
 * Implemented: CTR, CVR and unCVR towers on a shared bottom; the Negative sample Discrimination Module (NDM) learns
 * CTunCVR = click and not convert on the entire space, and the Soft Alignment Module (SAM) lets CVR and unCVR
 * supervise each other with soft labels on every exposure:
 *   p_ctcvr = p_ctr · p_cvr,  p_ctun = p_ctr · p_un  (p_un = P(no conversion | click, x))
 *   w = 1 / clip(sg(p_ctr), lo, hi),  w_bar = 1 / clip(1 - sg(p_ctr), lo, hi)
 *   L_ctr   = mean_D BCE(p_ctr, o)                                                (Proposal)
 *   L_ctcvr = mean_D BCE(p_ctcvr, o·r)                                            (Eq. 3)
 *   L_cvr   = (1/|D|) Σ_D o · w · BCE(p_cvr, r)                                    (Eq. 4)
 *   L_ctun  = mean_D BCE(p_ctun, o·(1 - r))                                       (Eq. 7)
 *   L_un    = (1/|D|) Σ_D o · w · BCE(p_un, 1 - r)                                 (Eq. 9)
 *   s(x)    = BCE(p_cvr, sg(1 - p_un)) + BCE(p_un, sg(1 - p_cvr))
 *   L_sam   = (1/|D|) Σ_D [o · w_O · s + (1 - o) · w_N · s]                        (Eq. 10)
 *   L = L_ctr + L_ctcvr + L_cvr + L_ctun + L_un + lambda · L_sam
 * The IPW sums are normalised over the exposure batch D (`ipwNormalisation: 'exposure'`, the default): the standard
 * IPS estimator of a mean over D, as ESCM2 and DCMT normalise theirs, so E[o·w·e] = E_D[e] and each IPW term has the
 * scale of a mean over D like L_ctr. `ipwNormalisation: 'per-subset'` divides the O sums by |O| and the N sums by |N|
 * instead (the spec's first Proposal, kept as an ablation variant): with CTR c the O terms are then about 1/c times
 * larger (about 20x at CTR 5%), and in the funnel world the CTR tower collapsed under them (issue 14).
 * Eq. 10 weights (`samWeighting`): 'inverse' w_O = w, w_N = w_bar (default); 'multiplicative' w_O = sg(p_ctr),
 * w_N = 1 - sg(p_ctr); 'none' (ablation "SAM without IPW") 1 and 1. `samSpace` restricts SAM to O or N (ablations),
 * `terms` switches each term off.
 * Paper deviations (spec §6 open points, our proposals, tagged in the code):
 * - L_ctr is included (switchable: terms.ctr); lambda = 1 and all other weights 1.
 * - propensities are detached and clipped to [0.01, 1] (configurable).
 * - the paper's "mean_O" / "mean_N" normalisation is not known (spec §6): IPW sums over D divided by |D| by default
 *   (revised after measuring, spec §6), per-subset means as the variant `ipwNormalisation: 'per-subset'`.
 * - "IPW stabilisation of CTunCVR" is read as the IPW weights of L_un and L_sam; no extra term.
 * - backbone sizes from spec §3.4 (D 16, shared [256, 128], towers [64, 32], dropout 0.1).
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { SharedBottom, SHARED_BOTTOM_DEFAULTS, type SharedBottomConfig } from '../layers/multitask.ts';
import type { Rng } from '../random.ts';
import type { LossFn, ModelOutputs, RecModel } from './model.ts';
import {
  bceOnProbs, checkPropensityClip, ctcvrTerm, ctrTerm, funnelLabels, inversePropensity, maskedMean, needOutputs, stopGradient,
  PROPENSITY_CLIP_DEFAULT, type EntireSpaceSpec, type PropensityClip,
} from '../train/cvr-losses.ts';

/** On/off switch of each ChorusCVR loss term (ablations). */
export interface ChorusTerms {
  ctr: boolean;
  ctcvr: boolean;
  cvr: boolean;
  ctun: boolean;
  un: boolean;
  sam: boolean;
}

/** ChorusCVR hyper-parameters; defaults in `CHORUS_CVR_DEFAULTS`. */
export interface ChorusCVRConfig extends SharedBottomConfig {
  /** Name of the click label column. */
  clickLabel: string;
  /** Which loss terms are on; a partial object is merged with the defaults (all on). */
  terms: ChorusTerms;
  /** lambda: weight of L_sam. */
  lambda: number;
  /** Propensity weights of Eq. 10: 1/p (inverse), p (multiplicative) or none. */
  samWeighting: 'inverse' | 'multiplicative' | 'none';
  /** Where SAM applies: both spaces (Eq. 10), only the clicked O, or only the unclicked N. */
  samSpace: 'entire' | 'clicked' | 'unclicked';
  /** Propensity clip [lo, hi] of w and w_bar (weights at most 1 / lo). */
  propensityClip: PropensityClip;
  /** Divisor of the IPW sums (L_cvr, L_un, L_sam): |D| ('exposure', the IPS estimator) or |O| and |N| ('per-subset'). */
  ipwNormalisation: 'exposure' | 'per-subset';
}
/** A config as callers write it: every key optional, `terms` partial too. */
export type ChorusCVRConfigInput = Partial<Omit<ChorusCVRConfig, 'terms'>> & { terms?: Partial<ChorusTerms> };

// Paper deviation: L_ctr on, lambda = 1, inverse SAM weights, detached propensities clipped to [0.01, 1], IPW sums over |D| (spec §6).
/** Defaults: every term on, lambda = 1, inverse weights on both spaces, clip [0.01, 1], IPW over |D|, spec §3.4 backbone. */
export const CHORUS_CVR_DEFAULTS: ChorusCVRConfig = {
  ...SHARED_BOTTOM_DEFAULTS,
  clickLabel: 'click',
  terms: { ctr: true, ctcvr: true, cvr: true, ctun: true, un: true, sam: true },
  lambda: 1,
  samWeighting: 'inverse',
  samSpace: 'entire',
  propensityClip: [...PROPENSITY_CLIP_DEFAULT],
  ipwNormalisation: 'exposure',
};

/**
 * Resolves a partial config (new object; unknown keys, also inside `terms`, and bad values are errors).
 * @example
 * resolveChorusCvrConfig({ terms: { sam: false } }).terms.ctun; // true
 */
export function resolveChorusCvrConfig(config: ChorusCVRConfigInput = {}): ChorusCVRConfig {
  const known = Object.keys(CHORUS_CVR_DEFAULTS);
  for (const k of Object.keys(config)) if (!known.includes(k)) throw new Error(`chorus-cvr config: unknown key '${k}' (known: ${known.join(', ')})`);
  const termKeys = Object.keys(CHORUS_CVR_DEFAULTS.terms);
  for (const k of Object.keys(config.terms ?? {})) if (!termKeys.includes(k)) throw new Error(`chorus-cvr config: unknown term '${k}' (terms: ${termKeys.join(', ')})`);
  const c = structuredClone({ ...CHORUS_CVR_DEFAULTS, ...config, terms: { ...CHORUS_CVR_DEFAULTS.terms, ...(config.terms ?? {}) } }) as ChorusCVRConfig;
  if (!Object.values(c.terms).some(Boolean)) throw new Error('chorus-cvr config: every loss term is switched off');
  if (!['inverse', 'multiplicative', 'none'].includes(c.samWeighting)) throw new Error(`chorus-cvr config: samWeighting must be 'inverse', 'multiplicative' or 'none', got '${c.samWeighting}'`);
  if (!['entire', 'clicked', 'unclicked'].includes(c.samSpace)) throw new Error(`chorus-cvr config: samSpace must be 'entire', 'clicked' or 'unclicked', got '${c.samSpace}'`);
  if (!['exposure', 'per-subset'].includes(c.ipwNormalisation)) throw new Error(`chorus-cvr config: ipwNormalisation must be 'exposure' or 'per-subset', got '${String(c.ipwNormalisation)}'`);
  if (!(c.lambda >= 0)) throw new Error(`chorus-cvr config: lambda must be >= 0, got ${c.lambda}`);
  checkPropensityClip(c.propensityClip, 'chorus-cvr config');
  return c;
}

/**
 * ChorusCVR; outputs logits `ctr`, `cvr` (the served CVR) and `un` (unCVR), (B) each.
 * @example
 * const m = new ChorusCVR(new Rng(1), world.train.schema, { lambda: 0.5 }); m.apply(batch, { training: false }).un; // (B)
 */
export class ChorusCVR extends Module implements RecModel {
  readonly name = 'chorus-cvr';
  readonly config: ChorusCVRConfig;
  private readonly net: SharedBottom;

  constructor(rng: Rng, schema: Schema, config: ChorusCVRConfigInput = {}) {
    super(rng);
    this.config = resolveChorusCvrConfig(config);
    this.net = this.module('net', new SharedBottom(this.rng, schema, this.config, ['ctr', 'cvr', 'un']));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    return this.net.apply(batch, training); // ctr, cvr, un: (B) each
  }
}

/**
 * Every ChorusCVR loss term (switched-off ones are absent) from logits (B) and labels (B); see the header.
 * @example
 * chorusCvrTerms({ ctr, cvr, un }, y, o, CHORUS_CVR_DEFAULTS).sam; // scalar
 */
export function chorusCvrTerms(logits: { ctr: Tensor; cvr: Tensor; un: Tensor }, y: Tensor, o: Tensor, c: ChorusCVRConfig): Partial<Record<keyof ChorusTerms, Scalar>> {
  const pCtr = tf.sigmoid(logits.ctr); // (B)
  const pCvr = tf.sigmoid(logits.cvr); // (B)
  const pUn = tf.sigmoid(logits.un); // (B)
  const n = tf.sub(1, o); // N indicator (B)
  // Paper deviation: propensities detached and clipped (spec §6 Proposal); IPW sums over O and N divided by |D| (the
  // IPS estimator, default) or per subset by |O| and |N| ('per-subset' variant).
  const ipwMean = (v: Tensor, mask: Tensor): Scalar => (c.ipwNormalisation === 'exposure' ? (tf.mean(tf.mul(v, mask)) as Scalar) : maskedMean(v, mask));
  const w = inversePropensity(pCtr, c.propensityClip); // w = 1 / clip(sg(p_ctr)), (B)
  const wBar = inversePropensity(tf.sub(1, pCtr), c.propensityClip); // w_bar = 1 / clip(1 - sg(p_ctr)), (B)
  const t: Partial<Record<keyof ChorusTerms, Scalar>> = {};
  // Paper deviation: L_ctr is the spec's Proposal (unknown whether the paper has it); switch it off with terms.ctr.
  if (c.terms.ctr) t.ctr = ctrTerm(logits.ctr, o); // mean_D BCE(p_ctr, o)
  if (c.terms.ctcvr) t.ctcvr = ctcvrTerm(logits.ctr, logits.cvr, y); // mean_D BCE(p_ctr p_cvr, o r)
  if (c.terms.cvr) t.cvr = ipwMean(tf.mul(w, bceOnProbs(pCvr, y)), o); // (1/|D|) Σ o w BCE(p_cvr, r)
  if (c.terms.ctun) t.ctun = tf.mean(bceOnProbs(tf.mul(pCtr, pUn), tf.sub(o, y))) as Scalar; // mean_D BCE(p_ctr p_un, o (1 - r))
  if (c.terms.un) t.un = ipwMean(tf.mul(w, bceOnProbs(pUn, tf.sub(1, y))), o); // (1/|D|) Σ o w BCE(p_un, 1 - r)
  if (c.terms.sam) {
    const s = tf.add(bceOnProbs(pCvr, stopGradient(tf.sub(1, pUn))), bceOnProbs(pUn, stopGradient(tf.sub(1, pCvr)))); // s(x), (B)
    const sgCtr = stopGradient(pCtr);
    const [wO, wN] = c.samWeighting === 'inverse' ? [w, wBar] : c.samWeighting === 'multiplicative' ? [sgCtr, tf.sub(1, sgCtr)] : [tf.onesLike(w), tf.onesLike(w)];
    const onO = ipwMean(tf.mul(wO, s), o); // (1/|D|) Σ o w_O s
    const onN = ipwMean(tf.mul(wN, s), n); // (1/|D|) Σ (1 - o) w_N s
    t.sam = (c.samSpace === 'entire' ? tf.add(onO, onN) : c.samSpace === 'clicked' ? onO : onN) as Scalar;
  }
  return t;
}

/**
 * L = L_ctr + L_ctcvr + L_cvr + L_ctun + L_un + lambda L_sam (switched-off terms dropped); `label` is the conversion
 * label. Pass the same config as to the model.
 * @example
 * chorusCvrLoss('conversion', { samWeighting: 'multiplicative' })(model.apply(batch, { training: true }), batch);
 */
export function chorusCvrLoss(label: string, config: ChorusCVRConfigInput = {}): LossFn {
  const c = resolveChorusCvrConfig(config);
  return (out, batch) => {
    const { ctr, cvr, un } = needOutputs(out, ['ctr', 'cvr', 'un'], 'chorus-cvr loss');
    const { o, y } = funnelLabels(batch, c.clickLabel, label, 'chorus-cvr loss');
    const t = chorusCvrTerms({ ctr, cvr, un }, y, o, c);
    const parts = Object.entries(t).map(([k, v]) => (k === 'sam' ? tf.mul(c.lambda, v) : v));
    return tf.addN(parts) as Scalar; // L = sum of the terms, L_sam weighted by lambda
  };
}

/** Registry entry. */
export const chorusCvrSpec: EntireSpaceSpec<ChorusCVRConfig> = {
  name: 'chorus-cvr',
  description: 'ChorusCVR (Cheng et al. 2025): CTR/CVR/unCVR towers, CTunCVR (NDM) and soft CVR<->unCVR alignment (SAM)',
  defaults: CHORUS_CVR_DEFAULTS,
  create: (rng, schema, config) => new ChorusCVR(rng, schema, config),
  task: 'entire-space-cvr',
  loss: chorusCvrLoss,
  scoreOutput: 'cvr',
};
