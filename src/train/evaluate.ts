/**
 * Prediction and evaluation of a trained model on a dataset, in fixed row order.
 */
import { tf } from '../tf.ts';
import type { Dataset } from '../data/dataset.ts';
import { batchOf, toTensors } from '../data/batching.ts';
import type { RecModel } from '../models/model.ts';
import type { TensorBatch } from '../data/batching.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { StepCompiler, compileEnabled } from './compile.ts';
import { auc, gauc, logloss, uauc } from '../metrics/index.ts';
import { deLongAuc } from '../evidence/stats.ts';

/** One prediction compiler per model, created on its first `predict` and disposed with the model. */
const predictCompilers = new WeakMap<RecModel, StepCompiler>();

function predictCompiler(model: RecModel): StepCompiler | null {
  if (!compileEnabled()) return null;
  let c = predictCompilers.get(model);
  if (!c) {
    const created = new StepCompiler(`${model.name} (prediction)`);
    model.onDispose(() => created.dispose());
    predictCompilers.set(model, created);
    c = created;
  }
  return c;
}

/**
 * The compiler `predict` uses for a model (its counters and fallback reason), or undefined before the model's first
 * compiled prediction.
 * @example
 * predictionCompiler(model)?.stats; // { traces: 2, compiledSteps: 7, eagerSteps: 1 }
 */
export function predictionCompiler(model: RecModel): StepCompiler | undefined {
  return predictCompilers.get(model);
}

/**
 * Probabilities sigmoid(output) for every row, in row order: Float32 (n). With compiled steps on (the default on the
 * native backend, `RECLAB_COMPILE`), each batch's forward pass is one compiled TensorFlow function per batch shape and
 * output (src/train/compile.ts), traced on the model's first batches and reused by later calls while the model lives.
 * @param options.output model output holding logits (default 'logit'); options.batchSize default 8192.
 * @example
 * const p = predict(model, test); // Float32Array(test.size)
 */
export function predict(model: RecModel, ds: Dataset, options: { output?: string; batchSize?: number } = {}): Float32Array {
  const output = options.output ?? 'logit';
  const bs = options.batchSize ?? 8192;
  const out = new Float32Array(ds.size);
  const compiler = predictCompiler(model);
  const body = (batch: TensorBatch): Tensor => {
    const o = model.apply(batch, { training: false });
    const t = o[output];
    if (!t) throw new Error(`predict: model '${model.name}' has no output '${output}' (outputs: ${Object.keys(o).join(', ')})`);
    return tf.sigmoid(tf.reshape(t, [-1]));
  };
  for (let start = 0; start < ds.size; start += bs) {
    const rows = Int32Array.from({ length: Math.min(bs, ds.size - start) }, (_, i) => start + i);
    const probs = tf.tidy(() => {
      const batch = toTensors(ds, batchOf(ds, rows));
      return compiler ? compiler.run(batch, body, output) : body(batch);
    });
    out.set(probs.dataSync(), start);
    probs.dispose();
  }
  return out;
}

/** CTR metrics of predictions against a label. */
export interface CtrMetrics {
  auc: number;
  logloss: number;
  /**
   * Impression-weighted AUC over users with both classes (only when the schema has a userId and at least one user has
   * both classes; a leave-one-out split, one row per user, has none and leaves GAUC/UAUC out).
   */
  gauc?: number;
  uauc?: number;
}

/** True when some group holds both a positive and a negative label. */
function someGroupHasBothClasses(y: ArrayLike<number>, g: ArrayLike<number>): boolean {
  const seen = new Map<number, number>();
  for (let i = 0; i < y.length; i++) {
    const bits = (seen.get(g[i]) ?? 0) | (y[i] > 0.5 ? 2 : 1);
    if (bits === 3) return true;
    seen.set(g[i], bits);
  }
  return false;
}

/**
 * AUC, logloss and (with a userId column) GAUC/UAUC of probabilities on a dataset.
 * @example
 * evaluateCtr(test, 'click', predict(model, test)); // { auc: 0.74, logloss: 0.55, gauc: 0.69, uauc: 0.68 }
 */
export function evaluateCtr(ds: Dataset, label: string, probs: Float32Array): CtrMetrics {
  const y = ds.label(label);
  const m: CtrMetrics = { auc: auc(y, probs), logloss: logloss(y, probs) };
  const g = ds.schema.userId ? ds.column(ds.schema.userId) : null;
  if (g && someGroupHasBothClasses(y, g)) {
    m.gauc = gauc(y, probs, g).value;
    m.uauc = uauc(y, probs, g).value;
  }
  return m;
}

/** One metric's value with what it rests on: its test-sampling SE, evaluation rows and positives. */
export interface MetricEvidence {
  value: number;
  /** Test-sampling SE (DeLong for AUC, users as clusters for GAUC/UAUC, per-row sd/√n for logloss); NaN when undefined. */
  se: number;
  rows: number;
  positives: number;
}

/**
 * {@link evaluateCtr} with each metric's test-sampling SE, rows and positives — what the evidence layer's records carry.
 * @example
 * const ev = evaluateCtrEvidence(test, 'click', predict(model, test));
 * ev.auc.value; ev.auc.se; // AUC and its DeLong SE
 */
export function evaluateCtrEvidence(ds: Dataset, label: string, probs: Float32Array): Record<'auc' | 'logloss', MetricEvidence> & Partial<Record<'gauc' | 'uauc', MetricEvidence>> {
  const y = ds.label(label);
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i] > 0.5 ? 1 : 0;
  const rows = y.length;
  const a = positives >= 2 && rows - positives >= 2 ? deLongAuc(y, probs) : { value: auc(y, probs), se: Number.NaN };
  const eps = 1e-7;
  const losses = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probs[i]));
    losses[i] = -(y[i] > 0.5 ? Math.log(p) : Math.log(1 - p));
  }
  let m = 0;
  for (const l of losses) m += l;
  m /= rows;
  let ss = 0;
  for (const l of losses) ss += (l - m) ** 2;
  const out: Record<'auc' | 'logloss', MetricEvidence> & Partial<Record<'gauc' | 'uauc', MetricEvidence>> = {
    auc: { value: a.value, se: a.se, rows, positives },
    logloss: { value: logloss(y, probs), se: rows > 1 ? Math.sqrt(ss / (rows - 1) / rows) : Number.NaN, rows, positives },
  };
  const g = ds.schema.userId ? ds.column(ds.schema.userId) : null;
  if (g && someGroupHasBothClasses(y, g)) {
    const ga = gauc(y, probs, g);
    const ua = uauc(y, probs, g);
    out.gauc = { value: ga.value, se: ga.se, rows, positives };
    out.uauc = { value: ua.value, se: ua.se, rows, positives };
  }
  return out;
}
