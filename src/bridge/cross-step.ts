/**
 * The cross-framework training step: a PyTorch module produces embeddings (forward), the tfjs ranking model computes
 * the loss and its gradient with respect to those embeddings (and its own variables), tfjs steps its optimizer, and
 * PyTorch runs backward with that gradient and steps its own.
 *
 *   E = f_torch(x; theta)          dL/dtheta = (dE/dtheta)^T dL/dE      (chain rule across the boundary)
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { Optimizer } from '../train/optimizers.ts';
import { fromTf, toTf, type HostTensor } from './tensors.ts';
import type { TorchTrainable } from './trainable.ts';

/** What the step needs on the tfjs side. */
export interface CrossStepOptions {
  /** Trainable tfjs variables by name (the ranking model's). */
  vars: Map<string, Variable>;
  /** tfjs optimizer over `vars`; omit to only compute gradients. */
  optimizer?: Optimizer;
  /** Whether PyTorch steps its optimizer after backward (default true). */
  torchStep?: boolean;
  /** PyTorch gradient clipping by global norm (0 = off). */
  clipNorm?: number;
}

/**
 * Computes the tfjs loss on the outputs `outs` and returns its value, the gradients of the tfjs variables (by name)
 * and the gradients with respect to each output (as HostTensors, ready for PyTorch).
 * @example
 * const { loss, outGrads } = lossAndGrads({ emb }, (o) => tf.mean(tf.square(o.emb)), new Map());
 */
export function lossAndGrads(
  outs: Record<string, HostTensor>,
  lossFn: (outputs: Record<string, Tensor>) => Scalar,
  vars: Map<string, Variable>,
): { loss: number; varGrads: Map<string, Tensor>; outGrads: Record<string, HostTensor> } {
  const names = Object.keys(outs);
  // The outputs become temporary trainable variables, so one tf.variableGrads pass differentiates wrt both.
  const outVars = names.map((n) => {
    const t = toTf(outs[n]);
    const v = tf.variable(t, true);
    t.dispose();
    return v;
  });
  try {
    const { value, grads } = tf.variableGrads(() => {
      const o: Record<string, Tensor> = {};
      names.forEach((n, i) => (o[n] = outVars[i]));
      return lossFn(o);
    }, [...vars.values(), ...outVars]);
    const loss = value.dataSync()[0];
    value.dispose();
    const outGrads: Record<string, HostTensor> = {};
    names.forEach((n, i) => {
      const g = grads[outVars[i].name];
      outGrads[n] = fromTf(g);
      g.dispose();
    });
    const varGrads = new Map<string, Tensor>();
    for (const [n, v] of vars) if (grads[v.name]) varGrads.set(n, grads[v.name]);
    return { loss, varGrads, outGrads };
  } finally {
    for (const v of outVars) v.dispose();
  }
}

/**
 * One end-to-end step: PyTorch forward -> tfjs loss and gradients -> tfjs optimizer step -> PyTorch backward + step.
 * Returns the loss (before the update) and the PyTorch gradient norm.
 * @example
 * const { loss } = await crossStep(encoder, { tokens }, (o) => bceWithLogits(ranker.logits(o.emb), labels), { vars, optimizer });
 */
export async function crossStep(
  module: TorchTrainable,
  inputs: Record<string, HostTensor>,
  lossFn: (outputs: Record<string, Tensor>) => Scalar,
  options: CrossStepOptions,
): Promise<{ loss: number; torchGradNorm: number }> {
  const outs = await module.forward(inputs, { train: true });
  const { loss, varGrads, outGrads } = lossAndGrads(outs, lossFn, options.vars);
  try {
    if (options.optimizer && varGrads.size > 0) options.optimizer.apply(varGrads);
  } finally {
    for (const g of varGrads.values()) g.dispose();
  }
  const { gradNorm } = await module.backward(outGrads, { step: options.torchStep ?? true, clipNorm: options.clipNorm });
  return { loss, torchGradNorm: gradNorm };
}
