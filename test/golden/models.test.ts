/**
 * Golden tests of DIN and DeepFM against PyTorch reference implementations: logits (and DIN's attention weights,
 * DeepFM's fm / deep parts) with rtol 1e-4, atol 1e-5; the mean BCE-with-logits loss; and the loss's gradient with
 * respect to every parameter, by dotted name, with rtol 1e-3, atol 1e-5 (autograd parity is checked looser than the
 * forward pass). No tensor may leak.
 *
 * Fixture: test/golden/fixtures/models.json, written by test/golden/models_reference.py
 * (regenerate with `.venv/bin/python test/golden/models_reference.py`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import type { Schema } from '../../src/data/schema.ts';
import { Dataset, type Column } from '../../src/data/dataset.ts';
import { batchOf, toTensors, type TensorBatch } from '../../src/data/batching.ts';
import type { StateDict } from '../../src/layers/module.ts';
import type { RecModel } from '../../src/models/model.ts';
import { DIN, type DINConfig } from '../../src/models/din.ts';
import { DeepFM, type DeepFMConfig } from '../../src/models/deepfm.ts';
import { bceWithLogits } from '../../src/train/losses.ts';

// ---------------------------------------------------------------------------------------------------------------
// Comparator: element-wise |actual - expected| <= atol + rtol * |expected| (numpy.allclose); any non-finite value on
// either side is a failure. A failure names the worst element (by error over its allowance), its index and both
// values. Returns the largest absolute and relative errors seen, for the report.

interface Tolerance {
  rtol: number;
  atol: number;
}
interface ErrorStats {
  maxAbs: number;
  maxRel: number;
}

function assertAllClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): ErrorStats {
  assert.equal(actual.length, expected.length, `${name}: ${actual.length} values, expected ${expected.length}`);
  let worst = -1;
  let worstRatio = -Infinity;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(a) || !Number.isFinite(e)) {
      assert.fail(`${name}[${i}]: non-finite value, expected ${e}, actual ${a}`);
    }
    const err = Math.abs(a - e);
    maxAbs = Math.max(maxAbs, err);
    if (e !== 0) maxRel = Math.max(maxRel, err / Math.abs(e));
    const ratio = err / (tol.atol + tol.rtol * Math.abs(e));
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    const a = actual[worst];
    const e = expected[worst];
    assert.fail(
      `${name}: worst element [${worst}] expected ${e}, actual ${a} (abs err ${Math.abs(a - e).toExponential(3)} > ` +
        `atol ${tol.atol} + rtol ${tol.rtol} * |expected|; ${worstRatio.toFixed(2)}x the allowance)`,
    );
  }
  return { maxAbs, maxRel };
}

test('assertAllClose: tolerance, worst element named, non-finite values rejected', () => {
  const tol = { rtol: 1e-4, atol: 1e-5 };
  assertAllClose('ok', [1.00005, 0, -2], [1, 5e-6, -2.0001], tol);
  assert.throws(() => assertAllClose('v', [1, 2.01, 3.5], [1, 2, 3], tol), /v: worst element \[2\] expected 3, actual 3\.5/);
  assert.throws(() => assertAllClose('v', [NaN], [NaN], tol), /v\[0\]: non-finite value/);
  assert.throws(() => assertAllClose('v', [Infinity], [Infinity], tol), /non-finite/);
  assert.throws(() => assertAllClose('v', [0.5], [NaN], tol), /expected NaN, actual 0.5/);
  assert.throws(() => assertAllClose('v', [1, 2], [1], tol), /2 values, expected 1/);
  const s = assertAllClose('s', [1.5, 0], [1, 0], { rtol: 1, atol: 0 });
  assert.deepEqual(s, { maxAbs: 0.5, maxRel: 0.5 });
});

// ---------------------------------------------------------------------------------------------------------------
// Fixture

interface Named {
  shape: number[];
  values: number[];
}
interface ModelCase {
  config: Record<string, unknown>;
  seed: number;
  weights: Record<string, Named>;
  outputs: Record<string, Named>;
  loss: number;
  grads: Record<string, Named>;
}
interface Fixture {
  generator: string;
  torch: string;
  schema: Schema;
  batch: Record<string, number[]>;
  models: { din: ModelCase; deepfm: ModelCase };
}

const FIXTURE = new URL('./fixtures/models.json', import.meta.url);
const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

const FORWARD: Tolerance = { rtol: 1e-4, atol: 1e-5 };
const GRAD: Tolerance = { rtol: 1e-3, atol: 1e-5 };
const LABEL = fx.schema.labels[0];

/** The fixture's batch as typed columns, through Dataset (which validates ids and labels) and toTensors. */
function batchTensors(): TensorBatch {
  const columns: Record<string, Column> = {};
  for (const f of fx.schema.features) {
    columns[f.name] = f.kind === 'dense' ? Float32Array.from(fx.batch[f.name]) : Int32Array.from(fx.batch[f.name]);
  }
  for (const l of fx.schema.labels) columns[l] = Float32Array.from(fx.batch[l]);
  const ds = Dataset.fromColumns(fx.schema, columns, 'models.json');
  return toTensors(ds, batchOf(ds, Array.from({ length: ds.size }, (_, i) => i)));
}

function stateDict(c: ModelCase): StateDict {
  const out: StateDict = {};
  for (const [k, w] of Object.entries(c.weights)) out[k] = { shape: w.shape, values: Float32Array.from(w.values) };
  return out;
}

/**
 * Builds the model, loads the reference weights, checks outputs, loss and gradients, and disposes everything.
 * Returns one line of observed errors per check (printed as test diagnostics).
 */
function checkModel(key: 'din' | 'deepfm', build: (schema: Schema) => RecModel): string[] {
  const report: string[] = [];
  const record = (what: string, s: ErrorStats): void => {
    report.push(`${what}: max abs err ${s.maxAbs.toExponential(2)}, max rel err ${s.maxRel.toExponential(2)}`);
  };
  const c = fx.models[key];
  const before = tf.memory().numTensors;
  const model = build(fx.schema);
  const batch = batchTensors();
  try {
    model.loadStateDict(stateDict(c)); // strict: every name must match, shapes too
    assert.deepEqual([...model.namedVariables().keys()].sort(), Object.keys(c.weights).sort());

    // Forward: every output the reference wrote.
    const outs: Record<string, Tensor> = tf.tidy(() => {
      const o = model.apply(batch, { training: false });
      return { ...o, loss: bceWithLogits(o.logit, batch[LABEL]) };
    });
    for (const [name, ref] of Object.entries(c.outputs)) {
      const t = outs[name];
      assert.ok(t, `${key}: the model returned no '${name}' output`);
      assert.deepEqual(t.shape, ref.shape, `${key}.${name}: shape`);
      record(`${key} ${name}`, assertAllClose(`${key}.${name}`, t.dataSync(), ref.values, FORWARD));
    }
    record(`${key} loss`, assertAllClose(`${key}.loss`, outs.loss.dataSync(), [c.loss], FORWARD));
    tf.dispose(Object.values(outs));

    // Backward: d loss / d parameter, by dotted name.
    const vars = model.trainableVariables();
    const byTfName = new Map<string, string>([...vars].map(([n, v]) => [v.name, n]));
    const { value, grads } = tf.variableGrads(
      () => bceWithLogits(model.apply(batch, { training: false }).logit, batch[LABEL]),
      [...vars.values()] as Variable[],
    );
    try {
      record(`${key} loss (variableGrads)`, assertAllClose(`${key}.loss`, value.dataSync(), [c.loss], FORWARD));
      const seen = new Set<string>();
      let worst: ErrorStats = { maxAbs: 0, maxRel: 0 };
      for (const [tfName, g] of Object.entries(grads)) {
        const name = byTfName.get(tfName);
        assert.ok(name, `${key}: gradient for unknown variable ${tfName}`);
        const ref = c.grads[name];
        assert.ok(ref, `${key}: the fixture has no gradient for '${name}'`);
        assert.deepEqual(g.shape, ref.shape, `${key} grad ${name}: shape`);
        const s = assertAllClose(`${key} grad ${name}`, g.dataSync(), ref.values, GRAD);
        worst = { maxAbs: Math.max(worst.maxAbs, s.maxAbs), maxRel: Math.max(worst.maxRel, s.maxRel) };
        seen.add(name);
      }
      assert.deepEqual([...seen].sort(), Object.keys(c.grads).sort(), `${key}: a parameter got no gradient`);
      record(`${key} grads (all ${seen.size} params)`, worst);
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads) as Tensor[]);
    }
  } finally {
    tf.dispose(Object.values(batch));
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, before, `${key}: tensors leaked`);
  return report;
}

test(`fixture: written by ${fx.generator}, both models, weights and gradients share names`, () => {
  assert.equal(fx.generator, 'test/golden/models_reference.py');
  for (const c of Object.values(fx.models)) assert.deepEqual(Object.keys(c.grads).sort(), Object.keys(c.weights).sort());
});

test('DIN (D=3, attention [4], tower [6, 5]) matches the PyTorch reference: logit, attention, loss, gradients', (t) => {
  for (const line of checkModel('din', (schema) => new DIN(new Rng(1), schema, fx.models.din.config as Partial<DINConfig>))) t.diagnostic(line);
});

test('DeepFM (D=3, deep [6, 5]) matches the PyTorch reference: logit, fm, deep, loss, gradients', (t) => {
  for (const line of checkModel('deepfm', (schema) => new DeepFM(new Rng(1), schema, fx.models.deepfm.config as Partial<DeepFMConfig>))) t.diagnostic(line);
});
