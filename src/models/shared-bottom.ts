/**
 * Shared-Bottom multi-task model (Caruana, "Multitask Learning", Machine Learning 1997; the standard multi-task
 * baseline of the CVR literature, e.g. Ma et al., "Modeling Task Relationships in Multi-task Learning with Multi-gate
 * Mixture-of-Experts", KDD 2018, https://doi.org/10.1145/3219819.3220007) applied to CTR and CVR.
 * Implemented: shared embeddings and bottom MLP, a CTR and a CVR tower; each task keeps its own sample space:
 *   h = SharedMLP(x);  p_ctr = sigmoid(Tower_ctr(h));  p_cvr = sigmoid(Tower_cvr(h))
 *   L = mean_D BCE(p_ctr, o) + mean_O BCE(p_cvr, r)
 * The CVR loss still sees only clicked rows (selection bias remains), but the CVR task borrows the click task's
 * representation of every exposure (sparsity is eased).
 * Paper deviations: none (a generic baseline).
 */
import { tf } from '../tf.ts';
import type { Scalar } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { SharedBottom as Backbone, SHARED_BOTTOM_DEFAULTS, type SharedBottomConfig } from '../layers/multitask.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type LossFn, type ModelOutputs, type RecModel } from './model.ts';
import { clickedCvrTerm, ctrTerm, funnelLabels, needOutputs, type EntireSpaceSpec } from '../train/cvr-losses.ts';

/** Shared-Bottom hyper-parameters; defaults in `SHARED_BOTTOM_MODEL_DEFAULTS`. */
export interface SharedBottomModelConfig extends SharedBottomConfig {
  /** Name of the click label column. */
  clickLabel: string;
}
/** Defaults: D = 16, shared [256, 128], towers [64, 32], dropout 0.1; click label 'click'. */
export const SHARED_BOTTOM_MODEL_DEFAULTS: SharedBottomModelConfig = { ...SHARED_BOTTOM_DEFAULTS, clickLabel: 'click' };

/**
 * The Shared-Bottom CTR/CVR model; outputs logits `ctr` (B) and `cvr` (B).
 * @example
 * const m = new SharedBottomMTL(new Rng(1), world.train.schema); m.apply(batch, { training: false }).cvr; // (B)
 */
export class SharedBottomMTL extends Module implements RecModel {
  readonly name = 'shared-bottom';
  readonly config: SharedBottomModelConfig;
  private readonly net: Backbone;

  constructor(rng: Rng, schema: Schema, config: Partial<SharedBottomModelConfig> = {}) {
    super(rng);
    this.config = resolveConfig('shared-bottom', config, SHARED_BOTTOM_MODEL_DEFAULTS);
    this.net = this.module('net', new Backbone(this.rng, schema, this.config, ['ctr', 'cvr']));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const { ctr, cvr } = this.net.apply(batch, training); // (B), (B)
    return { ctr, cvr };
  }
}

/**
 * L = mean_D BCE(p_ctr, o) + mean_O BCE(p_cvr, r); `label` is the conversion label.
 * @example
 * sharedBottomLoss('conversion')(model.apply(batch, { training: true }), batch);
 */
export function sharedBottomLoss(label: string, config: Partial<SharedBottomModelConfig> = {}): LossFn {
  const c = resolveConfig('shared-bottom', config, SHARED_BOTTOM_MODEL_DEFAULTS);
  return (out, batch) => {
    const { ctr, cvr } = needOutputs(out, ['ctr', 'cvr'], 'shared-bottom loss');
    const { o, y } = funnelLabels(batch, c.clickLabel, label, 'shared-bottom loss');
    return tf.add(ctrTerm(ctr, o), clickedCvrTerm(cvr, y, o)) as Scalar; // L = L_ctr + L_cvr^O
  };
}

/** Registry entry. */
export const sharedBottomSpec: EntireSpaceSpec<SharedBottomModelConfig> = {
  name: 'shared-bottom',
  description: 'Shared-Bottom multi-task: CTR loss on all exposures, CVR loss on clicked exposures',
  defaults: SHARED_BOTTOM_MODEL_DEFAULTS,
  create: (rng, schema, config) => new SharedBottomMTL(rng, schema, config),
  task: 'entire-space-cvr',
  loss: sharedBottomLoss,
  scoreOutput: 'cvr',
};
