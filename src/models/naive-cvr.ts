/**
 * Naive CVR — the click-space baseline of the entire-space CVR literature (e.g. the "BASE" model of Ma et al.,
 * "Entire Space Multi-Task Model", SIGIR 2018, arXiv:1804.07931, §3): a CVR network trained only on clicked
 * exposures, served on all exposures, so it suffers sample selection bias and data sparsity by construction.
 * Implemented: two independent networks (embeddings + MLP each, nothing shared):
 *   p_cvr = sigmoid(CVRNet(x)) trained by L_cvr = mean_O BCE(p_cvr, r)
 *   p_ctr = sigmoid(CTRNet(x)) trained by L_ctr = mean_D BCE(p_ctr, o), only to form p_ctcvr = p_ctr p_cvr
 *   L = L_ctr + L_cvr  (the parameter sets are disjoint, so this trains the two networks independently)
 * Choice (stated): the CTR network exists only so that the naive model has a CTCVR score like the others; it shares
 * nothing with the CVR network (sharing would make it the Shared-Bottom model, shared-bottom.ts).
 * Paper deviations: none (a baseline, not a paper's method).
 */
import { tf } from '../tf.ts';
import type { Scalar } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { SharedBottom, SHARED_BOTTOM_DEFAULTS, type SharedBottomConfig } from '../layers/multitask.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type LossFn, type ModelOutputs, type RecModel } from './model.ts';
import { clickedCvrTerm, ctrTerm, funnelLabels, needOutputs, type EntireSpaceSpec } from '../train/cvr-losses.ts';

/** Naive CVR hyper-parameters; defaults in `NAIVE_CVR_DEFAULTS`. */
export interface NaiveCVRConfig extends SharedBottomConfig {
  /** Name of the click label column. */
  clickLabel: string;
}
/** Defaults: each network D = 16, MLP [256, 128] then a [64, 32] head, dropout 0.1; click label 'click'. */
export const NAIVE_CVR_DEFAULTS: NaiveCVRConfig = { ...SHARED_BOTTOM_DEFAULTS, clickLabel: 'click' };

/**
 * The naive CVR model; outputs logits `ctr` (B) and `cvr` (B).
 * @example
 * const m = new NaiveCVR(new Rng(1), world.train.schema); m.apply(batch, { training: false }).cvr; // (B)
 */
export class NaiveCVR extends Module implements RecModel {
  readonly name = 'naive-cvr';
  readonly config: NaiveCVRConfig;
  private readonly cvrNet: SharedBottom;
  private readonly ctrNet: SharedBottom;

  constructor(rng: Rng, schema: Schema, config: Partial<NaiveCVRConfig> = {}) {
    super(rng);
    this.config = resolveConfig('naive-cvr', config, NAIVE_CVR_DEFAULTS);
    this.cvrNet = this.module('cvrNet', new SharedBottom(this.rng, schema, this.config, ['cvr']));
    this.ctrNet = this.module('ctrNet', new SharedBottom(this.rng, schema, this.config, ['ctr']));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    return { ctr: this.ctrNet.apply(batch, training).ctr, cvr: this.cvrNet.apply(batch, training).cvr }; // (B), (B)
  }
}

/**
 * L = mean_D BCE(p_ctr, o) + mean_O BCE(p_cvr, r); `label` is the conversion label.
 * @example
 * const loss = naiveCvrLoss('conversion'); loss(model.apply(batch, { training: true }), batch);
 */
export function naiveCvrLoss(label: string, config: Partial<NaiveCVRConfig> = {}): LossFn {
  const c = resolveConfig('naive-cvr', config, NAIVE_CVR_DEFAULTS);
  return (out, batch) => {
    const { ctr, cvr } = needOutputs(out, ['ctr', 'cvr'], 'naive-cvr loss');
    const { o, y } = funnelLabels(batch, c.clickLabel, label, 'naive-cvr loss');
    return tf.add(ctrTerm(ctr, o), clickedCvrTerm(cvr, y, o)) as Scalar; // L = L_ctr + L_cvr
  };
}

/** Registry entry. */
export const naiveCvrSpec: EntireSpaceSpec<NaiveCVRConfig> = {
  name: 'naive-cvr',
  description: 'Naive CVR: a CVR network trained on clicked exposures only (+ an independent CTR network)',
  defaults: NAIVE_CVR_DEFAULTS,
  create: (rng, schema, config) => new NaiveCVR(rng, schema, config),
  task: 'entire-space-cvr',
  loss: naiveCvrLoss,
  scoreOutput: 'cvr',
};
