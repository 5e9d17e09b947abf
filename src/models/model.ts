/**
 * What a model is to the rest of reclab: a `Module` with `apply(batch, { training }) -> named outputs`, and a
 * registry of model specs (defaults, constructor, loss) that pipelines, the CLI and the smoke tests enumerate.
 */
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { Module } from '../layers/module.ts';
import type { TensorBatch } from '../data/batching.ts';
import type { Schema } from '../data/schema.ts';
import type { Rng } from '../random.ts';
import { bceWithLogits } from '../train/losses.ts';

/** Named outputs of a model; CTR models return at least `logit` (B). */
export type ModelOutputs = Record<string, Tensor>;

/** A trainable model. */
export interface RecModel extends Module {
  /** Registry name, e.g. 'din'. */
  readonly name: string;
  apply(batch: TensorBatch, options: { training: boolean }): ModelOutputs;
}

/** A loss: outputs and batch -> scalar. */
export type LossFn = (outputs: ModelOutputs, batch: TensorBatch) => Scalar;

/** How to build and train one kind of model. */
export interface ModelSpec<C extends object = object> {
  name: string;
  /** One line for `reclab list`. */
  description: string;
  defaults: C;
  create(rng: Rng, schema: Schema, config?: Partial<C>): RecModel;
  /**
   * The kind of data the model trains on, so pipelines and the smoke tests can pick a world: 'ctr' (one binary
   * label, output `logit`) or 'entire-space-cvr' (click and conversion labels over all exposures) or
   * 'cross-domain-ctr' (target-domain rows carrying the source-domain `src_*` columns and label `src_click`) or
   * 'live' (live-world rows, one logit output per task named by the task, src/worlds/live-world.ts).
   */
  task: 'ctr' | 'entire-space-cvr' | 'cross-domain-ctr' | 'live';
  /**
   * The training loss. `label` is the task's target label: the click label for 'ctr'; the conversion label for
   * 'entire-space-cvr' (such models read the click label from their config).
   */
  loss(label: string): LossFn;
  /** Output that scores `label` as a logit (default 'logit'). */
  scoreOutput?: string;
}

/**
 * Resolves a partial config against defaults into a new object; unknown keys are errors naming the key.
 * @example
 * resolveConfig('dnn', { hidden: [64] }, DNN_DEFAULTS);
 */
export function resolveConfig<C extends object>(model: string, partial: Partial<C> | undefined, defaults: C): C {
  const known = Object.keys(defaults);
  for (const k of Object.keys(partial ?? {})) {
    if (!known.includes(k)) throw new Error(`${model} config: unknown key '${k}' (known: ${known.join(', ')})`);
  }
  return structuredClone({ ...defaults, ...(partial ?? {}) }) as C;
}

/** The CTR loss on a model's `logit` output. */
export function ctrLoss(label: string): LossFn {
  return (out, batch) => {
    const logit = out.logit;
    if (!logit) throw new Error(`ctrLoss: the model returned no 'logit' output (outputs: ${Object.keys(out).join(', ')})`);
    const y = batch[label];
    if (!y) throw new Error(`ctrLoss: the batch has no label '${label}'`);
    return bceWithLogits(logit, y);
  };
}
