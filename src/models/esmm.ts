/**
 * ESMM — Ma et al., "Entire Space Multi-Task Model: An Effective Approach for Estimating Post-Click Conversion
 * Rate", SIGIR 2018, arXiv:1804.07931.
 * Implemented: CTR and CVR towers over shared embeddings; CVR is never supervised directly, only through the product
 * on the entire exposure space (Eq. 1-3):
 *   p_ctcvr = p_ctr · p_cvr
 *   L = mean_D BCE(p_ctr, o) + mean_D BCE(p_ctcvr, o·r)
 * Paper deviations (all tagged in the code):
 * - the paper shares only the embedding layer between two separate MLPs; we also share a bottom MLP (the common
 *   backbone of every entire-space model here, so the comparison isolates the losses). `bottom: []` gives the
 *   paper's layout.
 * - sizes follow the ChorusCVR spec §3.4 (D 16, [256, 128], towers [64, 32], dropout 0.1), not the paper's.
 */
import { tf } from '../tf.ts';
import type { Scalar } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { SharedBottom, SHARED_BOTTOM_DEFAULTS, type SharedBottomConfig } from '../layers/multitask.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type LossFn, type ModelOutputs, type RecModel } from './model.ts';
import { ctcvrTerm, ctrTerm, funnelLabels, needOutputs, type EntireSpaceSpec } from '../train/cvr-losses.ts';

/** ESMM hyper-parameters; defaults in `ESMM_DEFAULTS`. */
export interface ESMMConfig extends SharedBottomConfig {
  /** Name of the click label column. */
  clickLabel: string;
}
// Paper deviation: a shared bottom MLP on top of the shared embeddings (set bottom: [] for the paper's layout).
/** Defaults: D = 16, shared [256, 128], towers [64, 32], dropout 0.1; click label 'click'. */
export const ESMM_DEFAULTS: ESMMConfig = { ...SHARED_BOTTOM_DEFAULTS, clickLabel: 'click' };

/**
 * ESMM; outputs logits `ctr` (B) and `cvr` (B) (p_ctcvr = sigmoid(ctr) · sigmoid(cvr)).
 * @example
 * const m = new ESMM(new Rng(1), world.train.schema); m.apply(batch, { training: false }).cvr; // (B)
 */
export class ESMM extends Module implements RecModel {
  readonly name = 'esmm';
  readonly config: ESMMConfig;
  private readonly net: SharedBottom;

  constructor(rng: Rng, schema: Schema, config: Partial<ESMMConfig> = {}) {
    super(rng);
    this.config = resolveConfig('esmm', config, ESMM_DEFAULTS);
    // Paper deviation: embeddings and a bottom MLP are shared (the paper shares the embeddings only; bottom: [] restores it).
    this.net = this.module('net', new SharedBottom(this.rng, schema, this.config, ['ctr', 'cvr']));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    const { ctr, cvr } = this.net.apply(batch, training); // (B), (B)
    return { ctr, cvr };
  }
}

/**
 * L = mean_D BCE(p_ctr, o) + mean_D BCE(p_ctr · p_cvr, o·r) (Eq. 3); `label` is the conversion label (= o·r).
 * @example
 * esmmLoss('conversion')(model.apply(batch, { training: true }), batch);
 */
export function esmmLoss(label: string, config: Partial<ESMMConfig> = {}): LossFn {
  const c = resolveConfig('esmm', config, ESMM_DEFAULTS);
  return (out, batch) => {
    const { ctr, cvr } = needOutputs(out, ['ctr', 'cvr'], 'esmm loss');
    const { o, y } = funnelLabels(batch, c.clickLabel, label, 'esmm loss');
    return tf.add(ctrTerm(ctr, o), ctcvrTerm(ctr, cvr, y)) as Scalar; // L = L_ctr + L_ctcvr
  };
}

/** Registry entry. */
export const esmmSpec: EntireSpaceSpec<ESMMConfig> = {
  name: 'esmm',
  description: 'ESMM (Ma et al. 2018): CTR and CTCVR = CTR x CVR losses on the entire exposure space',
  defaults: ESMM_DEFAULTS,
  create: (rng, schema, config) => new ESMM(rng, schema, config),
  task: 'entire-space-cvr',
  loss: esmmLoss,
  scoreOutput: 'cvr',
};
