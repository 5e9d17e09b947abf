/**
 * Compiled steps over the model registry (a new model is covered automatically): every registered model either
 * compiles and matches eager training after 20 Adam steps (loss rtol 1e-5; weights and Adam slots rtol 1e-5 with an
 * absolute floor of 1e-6, because a parameter whose true gradient is zero — e.g. an attention key bias — gets
 * rounding-noise gradients that Adam scales up to steps of about lr, in either order of summation), or is declared
 * below as falling back, and then must fall back with that logged reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { listModels } from '../../src/models/registry.ts';
import type { ModelSpec } from '../../src/models/model.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import { batches } from '../../src/data/batching.ts';
import { Stepper } from '../../src/train/trainer.ts';
import { generateCtrWorld } from '../../src/worlds/ctr-world.ts';
import { generateFunnelWorld } from '../../src/worlds/funnel-world.ts';
import { generateNewsAdsWorld, NEWS_ADS_PRESETS } from '../../src/worlds/news-ads-world.ts';
import { generateLiveWorld, LIVE_WORLD_SIZES } from '../../src/worlds/live-world.ts';
import { Rng } from '../../src/random.ts';
import { assertClose } from '../helpers/close.ts';

const skip = tf.getBackend() === 'tensorflow' ? false : 'needs the native backend';

const DATA: Record<string, () => { ds: Dataset; label: string }> = {
  ctr: () => ({ ds: generateCtrWorld({ users: 300, items: 150, categories: 10, impressionsPerUser: 12, seed: 5 }).train, label: 'click' }),
  'entire-space-cvr': () => ({
    ds: generateFunnelWorld({ users: 200, items: 120, categories: 10, sellers: 20, exposuresPerUser: 10, clickRate: 0.3, conversionRate: 0.4, seed: 3 }).train,
    label: 'conversion',
  }),
  'cross-domain-ctr': () => ({ ds: generateNewsAdsWorld({ ...NEWS_ADS_PRESETS.tiny, seed: 3 }).train, label: 'click' }),
  live: () => ({
    ds: generateLiveWorld({ ...LIVE_WORLD_SIZES.tiny, users: 300, liveShare: 0.3, seed: 3, rates: { click: 0.4, effective_view: 0.2, like: 0.1, comment: 0.05, gift: 0.03, follow: 0.03 } }).train,
    label: 'click',
  }),
};
const cache = new Map<string, { ds: Dataset; label: string }>();
function data(task: string): { ds: Dataset; label: string } {
  if (!cache.has(task)) {
    const make = DATA[task];
    if (!make) throw new Error(`compile registry test: no data for task '${task}'; add it to DATA`);
    cache.set(task, make());
  }
  return cache.get(task) as { ds: Dataset; label: string };
}

/**
 * Models that fall back to eager, with the reason (none today). The entire-space CVR and live models used to, because
 * `tf.dropout` drew its masks in JavaScript; their layers now draw them in TensorFlow (src/layers/dropout.ts).
 */
const FALLS_BACK: Record<string, RegExp> = {};

/**
 * Models whose weights drift apart from eager within 20 steps although the losses agree (rtol 1e-5 over 20 steps):
 * MiNet's weights and Adam slots agree to rtol 1e-5 / atol 1e-6 through step 6; from step 7 differences appear in
 * many tensors at once (measured at step 10: worst 1.7e-3 absolute in interestW, 7.8e-4 in sourceTower.dense0), while
 * the step losses are bit-identical through step 8 and within 3e-7 relative after; both sides are deterministic
 * (compiled vs compiled and eager vs eager: 0 difference). The cause is last-bit gradient differences (a different
 * summation order in the function graph) that Adam's normalised step m / (sqrt(v) + eps) turns into steps of about lr
 * where v is tiny (~1e-11 in interestW). Measured (2026-12-07, 20 steps, worst relative weight difference compiled vs
 * eager): Adam with eps 1e-8 2.1e1 (a source-item embedding row), Adam with eps 1e-3 3.0e-5, SGD 4.0e-6; so with the
 * normalisation tamed the two agree, and the SGD test below holds MiNet's weights to 1e-5 after 20 steps.
 *
 * The multi-task live models drift the same way once they compile (with dropout drawn in TensorFlow). Measured
 * (2026-12-07, 20 steps on this file's live world, compiled vs eager; losses within 2.2e-6 relative at every step in
 * every case): worst absolute weight difference with Adam, dropout 0.1 / dropout 0 — live-PLE 2.3e-6 / 5.9e-4, FARM
 * 3.4e-6 / 1.7e-6, live naive cross-domain 4.2e-3 / 4.8e-6; with SGD (lr 5e-2) live-PLE 8.9e-5 / 3.0e-8, FARM
 * 4.1e-6 / 3.6e-5, naive cross-domain 3.0e-8 / 1.1e-6; on a later machine with AVX-512 (2026-12-07, same code) naive
 * cross-domain's SGD weights differed by 5.2e-6 (relative 5.9e-5, a shared expert's kernel) with either pool size, so
 * it left `SGD_MATCHES` as live-PLE and FARM had; FARM with recency embeddings (same machine) differed by 2.4e-6 in a
 * user-id embedding after 4 Adam steps (relative 2.5e-5, its losses still match after 20), so its weights are compared
 * after 3. The drift is as large without dropout as with it, so it is
 * the summation order (and, with SGD, a ReLU unit whose pre-activation sits at 0 flipping), not the masks: the masks
 * themselves are identical (test/compile/compile.test.ts, DropoutStream). For these models the Adam weights and slots
 * are compared after this many steps (step 1 eager, step 2 probe, then compiled), and `SGD_MATCHES` also after 20 SGD
 * steps.
 */
const WEIGHTS_AT: Record<string, number> = { minet: 6, 'live-ple': 6, 'live-naive-cd': 3, farm: 3, 'moment-cross': 6 };
/** Models of `WEIGHTS_AT` whose weights match eager after 20 SGD steps (rtol 1e-5, atol 1e-6). */
const SGD_MATCHES = ['minet', 'moment-cross'];

function run(spec: ModelSpec<object>, compile: boolean, steps: number, optimizer: object = { learningRate: 5e-3 }) {
  const { ds, label } = data(spec.task);
  const m = spec.create(new Rng(1), ds.schema);
  const stepper = new Stepper(m, spec.loss(label), optimizer, 0, compile);
  const losses: number[] = [];
  const logged: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (logged.push(String(s)), true)) as typeof process.stderr.write;
  try {
    for (let epoch = 0; losses.length < steps; epoch++) {
      for (const b of batches(ds, { batchSize: 128, seed: 3, epoch })) {
        if (b.size !== 128 || losses.length >= steps) continue;
        const loss = tf.tidy(() => stepper.step(ds, b));
        losses.push(loss.dataSync()[0]);
        loss.dispose();
      }
    }
  } finally {
    process.stderr.write = write;
  }
  const r = { losses, weights: m.stateDict(), opt: stepper.optimizer.stateDict(), stats: stepper.compiler?.stats, reason: stepper.compiler?.fallbackReason ?? null, logged };
  stepper.dispose();
  m.dispose();
  return r;
}

for (const spec of listModels()) {
  const expected = FALLS_BACK[spec.name];
  if (expected) {
    test(`${spec.name}: falls back to eager with one logged reason (${expected.source})`, { skip }, () => {
      const r = run(spec, true, 4);
      assert.match(r.reason ?? 'compiled (update FALLS_BACK: it no longer falls back)', expected);
      assert.equal(r.logged.filter((l) => l.startsWith('compile:')).length, 1);
      assert.equal(r.stats?.compiledSteps, 0);
    });
  } else {
    test(`${spec.name}: compiled steps match eager after 20 Adam steps${WEIGHTS_AT[spec.name] ? ` (weights after ${WEIGHTS_AT[spec.name]})` : ''}`, { skip }, () => {
      let eager = run(spec, false, 20);
      let compiled = run(spec, true, 20);
      assert.equal(compiled.reason, null, `fell back: ${compiled.reason}`);
      assert.equal(compiled.stats?.compiledSteps, 18);
      assertClose(compiled.losses, eager.losses, { rtol: 1e-5, atol: 1e-7, what: `${spec.name} losses` });
      const at = WEIGHTS_AT[spec.name];
      if (at) {
        eager = run(spec, false, at);
        compiled = run(spec, true, at);
      }
      for (const [k, w] of Object.entries(eager.weights)) assertClose(compiled.weights[k].values, w.values, { rtol: 1e-5, atol: 1e-6, what: `${spec.name} weight ${k}` });
      for (const [k, s] of Object.entries(eager.opt)) assertClose(compiled.opt[k].values, s.values, { rtol: 1e-5, atol: 1e-6, what: `${spec.name} Adam slot ${k}` });
    });
  }
}

for (const name of SGD_MATCHES) {
  test(`${name}: with SGD (no Adam normalisation) the compiled weights match eager after 20 steps`, { skip }, () => {
    const spec = listModels().find((m) => m.name === name) as ModelSpec<object>;
    const sgd = { kind: 'sgd', learningRate: 5e-2 };
    const eager = run(spec, false, 20, sgd);
    const compiled = run(spec, true, 20, sgd);
    assert.equal(compiled.stats?.compiledSteps, 18);
    for (const [k, w] of Object.entries(eager.weights)) assertClose(compiled.weights[k].values, w.values, { rtol: 1e-5, atol: 1e-6, what: `${name} weight ${k} (SGD)` });
  });
}
