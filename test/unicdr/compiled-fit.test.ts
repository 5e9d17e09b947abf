/**
 * Compiled training steps in the cross-domain trainer (src/pipelines/unicdr/fit.ts through src/train/compile.ts):
 * the same fits with and without them agree (validation NDCG per epoch), the steps really compile (no fallback), and
 * UniCDR's warm-up (shared branch off, then on) and the decaying learning rate are traced anew, not frozen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { generateMultiDomainWorld } from '../../src/worlds/multi-domain-world.ts';
import { createCdrModel, prepareCdr, type CdrModelKind } from '../../src/models/cdr/index.ts';
import { fitCdr, type CdrFitResult } from '../../src/pipelines/unicdr/fit.ts';
import type { UniCdrConfig } from '../../src/models/cdr/unicdr.ts';

const skip = tf.getBackend() === 'tensorflow' ? false : 'needs the native backend';
const world = generateMultiDomainWorld({ scenario: 'multi-user-intra', users: 120, items: 60, interactions: 8, seed: 4 });
const prep = prepareCdr(world, { maxLen: 5, testMaxLen: 6 });

async function fit(kind: CdrModelKind, config: Partial<UniCdrConfig> & { dim?: number }, compile: boolean): Promise<CdrFitResult> {
  const before = process.env.RECLAB_COMPILE;
  process.env.RECLAB_COMPILE = compile ? '1' : '0';
  const model = createCdrModel(kind, new Rng(3), prep, config);
  try {
    // 4 epochs, warm-up until epoch 2, learning-rate decay from epoch 1 on (whenever most domains did not improve).
    return await fitCdr(model, prep, { epochs: 4, batchSize: 96, negatives: 4, validNegatives: 20, decayAfter: 1 }, 5, `${kind} compile ${compile}`);
  } finally {
    model.dispose();
    if (before === undefined) delete process.env.RECLAB_COMPILE;
    else process.env.RECLAB_COMPILE = before;
  }
}

const cases: Array<[CdrModelKind, Partial<UniCdrConfig> & { dim?: number }]> = [
  ['unicdr', { dim: 8, warmupEpochs: 2, dropout: 0.2 }],
  ['unicdr', { dim: 8, warmupEpochs: 2, extensions: { itemGraph: true, features: true, mmoe: true, sequence: true, softContrastive: false } }],
  ['unicdr', { dim: 8, warmupEpochs: 2, extensions: { features: false, itemGraph: false, mmoe: false, sequence: false, softContrastive: true } }],
  ['bpr-mf', { dim: 8 }],
];
for (const [kind, config] of cases) {
  const on = Object.entries(config.extensions ?? {}).filter(([, v]) => v).map(([k]) => k);
  const what = on.length ? `UniCDR+ (${on.join(', ')})` : kind;
  test(`${what}: compiled steps give the eager fit's validation NDCG per epoch and compile every step after the traces`, { skip }, async () => {
    const eager = await fit(kind, config, false);
    const compiled = await fit(kind, config, true);
    assert.equal(eager.compiledSteps, null);
    const s = compiled.compiledSteps;
    assert.ok(s && s.fallbackReason === null, `fell back: ${s?.fallbackReason}`);
    assert.ok(s.compiled > s.eager, `compiled ${s.compiled}, eager ${s.eager}`);
    assert.equal(compiled.validNdcg.length, eager.validNdcg.length);
    compiled.validNdcg.forEach((v, e) => assert.ok(Math.abs(v - eager.validNdcg[e]) < 1e-4, `epoch ${e + 1}: NDCG ${v} vs eager ${eager.validNdcg[e]}`));
    assert.equal(compiled.bestEpoch, eager.bestEpoch);
  });
}
