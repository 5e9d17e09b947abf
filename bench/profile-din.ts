/**
 * Profiles one training step of reclab's DIN as src/ ships it (src/models/din.ts, src's Adam, the lean kernels and
 * TensorFlow pools of src/pools.ts) on tfjs-node at batch 1024, on a small CTR world (bench/profile-util.ts):
 *   steps  — median ms per batch of toTensors, forward (loss), forward+backward (variableGrads vs tf.grads), the
 *            optimiser update alone, and the full trainer step; timed interleaved, so the shares are comparable;
 *   census — kernels per step by name (tf.profile): counts, kernel time, and the JS/engine time outside kernels, for
 *            the forward, forward+backward, the optimiser update and the full trainer step.
 * Run: node --import tsx bench/profile-din.ts [steps|census|all]   (default all)
 */
import { tf } from '../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { getModelSpec } from '../src/models/registry.ts';
import { toTensors } from '../src/data/batching.ts';
import { Optimizer } from '../src/train/optimizers.ts';
import { Rng } from '../src/random.ts';
import { census, fixture, interleaved, printCensus, printTimings } from './profile-util.ts';

const which = process.argv[2] ?? 'all';
const fx = fixture(12);
const spec = getModelSpec('din');
const model = spec.create(new Rng(1), fx.schema, {});
const loss = spec.loss('click');
const vars = model.trainableVariables();
const varList = [...vars.values()];
const byTfName = new Map([...vars].map(([k, v]) => [v.name, k]));
const opt = new Optimizer(vars, {});
let i = 0;
const next = () => fx.hostBatches[i++ % fx.hostBatches.length];
const nextT = () => fx.tensorBatches[i++ % fx.tensorBatches.length];

/** The trainer's step body (src/train/trainer.ts) with the host->tensor conversion included. */
function fullStep(): void {
  tf.tidy(() => {
    const batch = toTensors(fx.train, next());
    const { grads } = tf.variableGrads(() => loss(model.apply(batch, { training: true }), batch), varList);
    opt.apply(new Map<string, Tensor>(Object.entries(grads).map(([k, g]) => [byTfName.get(k) ?? k, g])));
  });
}

if (which === 'steps' || which === 'all') {
  // Fixed gradients for timing the optimiser alone (same shapes as the real ones).
  const fixedGrads = new Map<string, Tensor>([...vars].map(([k, v]) => [k, tf.keep(tf.mul(tf.randomNormal(v.shape), 1e-3))]));
  const gradsVsVars = (b: Record<string, Tensor>) => {
    const g = tf.grads((...ws: Tensor[]) => {
      void ws; // the model reads its variables directly; tf.grads differentiates w.r.t. them as inputs
      return loss(model.apply(b, { training: true }), b);
    });
    return g(varList as Tensor[]);
  };
  printTimings('per-step phases (median ms, ratio to the full step; batch 1024)', interleaved({
    'full step (trainer body)': fullStep,
    'toTensors only': () => tf.tidy(() => void toTensors(fx.train, next())),
    'forward (loss) only': () => tf.tidy(() => void loss(model.apply(nextT(), { training: true }), fx.tensorBatches[0])),
    'forward+backward variableGrads': () => tf.tidy(() => {
      const b = nextT();
      void tf.variableGrads(() => loss(model.apply(b, { training: true }), b), varList);
    }),
    'forward+backward tf.grads(vars)': () => tf.tidy(() => void gradsVsVars(nextT())),
    'optimizer.apply only': () => opt.apply(fixedGrads),
  }, 30));
}

if (which === 'census' || which === 'all') {
  for (let k = 0; k < 3; k++) fullStep();
  const b = fx.tensorBatches[0];
  printCensus('forward only', await census(() => loss(model.apply(b, { training: true }), b)));
  printCensus('forward + backward (variableGrads)', await census(() => {
    const { value } = tf.variableGrads(() => loss(model.apply(b, { training: true }), b), varList);
    return value;
  }));
  const grads = new Map<string, Tensor>();
  tf.tidy(() => {
    const { grads: g } = tf.variableGrads(() => loss(model.apply(b, { training: true }), b), varList);
    for (const [k, t] of Object.entries(g)) grads.set(byTfName.get(k) ?? k, tf.keep(t));
  });
  printCensus(`optimizer.apply (${varList.length} variables)`, await census(() => opt.apply(grads)));
  printCensus('full trainer step', await census(() => fullStep()));
  const sizes = [...vars].map(([k, v]) => `${k}${JSON.stringify(v.shape)}`);
  console.log(`\nvariables: ${sizes.length}: ${sizes.join(' ')}`);
}
