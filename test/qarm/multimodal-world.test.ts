/**
 * The multimodal world: deterministic per seed, content that really reflects the latent semantics (a content-only
 * nearest-centroid classifier of the behaviour category beats chance from tokens and from pixels), a mismatch knob
 * that measurably lowers the content/behaviour agreement, cold-start items only in the test period and never in
 * sequences, and strict configs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateMultimodalWorld, resolveMultimodalWorldConfig, MULTIMODAL_PRESETS, IMAGE_SHAPE } from '../../src/worlds/multimodal-world.ts';
import { bagOfTokens, contentBehaviourAgreement, nearestCentroidAccuracy, pixelFeatures } from '../../src/worlds/multimodal-diagnostics.ts';
import { groundTruthCeiling } from '../../src/worlds/world.ts';

const tiny = MULTIMODAL_PRESETS.tiny;
const world = generateMultimodalWorld(tiny);

test('multimodal world: same seed gives identical data and content, another seed differs', () => {
  const again = generateMultimodalWorld(tiny);
  assert.deepEqual(again.train.column('item_id'), world.train.column('item_id'));
  assert.deepEqual(again.train.label('click'), world.train.label('click'));
  assert.deepEqual(again.content.title, world.content.title);
  assert.deepEqual(again.content.image, world.content.image);
  const other = generateMultimodalWorld({ ...tiny, seed: 12 });
  assert.notDeepEqual(other.content.title, world.content.title);
});

test('multimodal world: shapes, token and pixel ranges, click rate and a ceiling above chance', () => {
  const c = world.content;
  assert.equal(c.title.length, c.items * c.titleLen);
  assert.equal(c.asr.length, c.items * c.asrLen);
  assert.equal(c.image.length, c.items * IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]);
  assert.ok(c.title.every((t) => t >= 1 && t <= c.vocab) && c.asr.every((t) => t >= 1 && t <= c.vocab));
  assert.ok(c.image.every((v) => v > -1 && v < 1));
  const ctr = world.train.label('click').reduce((a, b) => a + b, 0) / world.train.size;
  assert.ok(ctr > 0.05 && ctr < 0.6, `click rate ${ctr}`);
  const ceil = groundTruthCeiling(world, 'test', 'click');
  assert.ok(ceil.auc > 0.7, `ceiling AUC ${ceil.auc}`);
});

test('multimodal world: a content-only classifier of the behaviour category beats chance (tokens and pixels)', () => {
  const C = world.config.categories as number;
  const tok = nearestCentroidAccuracy(bagOfTokens(world.content, 'both'), world.latent.category, C);
  const px = nearestCentroidAccuracy(pixelFeatures(world.content), world.latent.category, C);
  assert.ok(tok > 3 / C, `token accuracy ${tok} vs chance ${1 / C}`);
  assert.ok(px > 3 / C, `pixel accuracy ${px} vs chance ${1 / C}`);
});

test('multimodal world: the mismatch knob lowers the content/behaviour agreement (0 > 0.6 > 1 ≈ 0.5)', () => {
  const agree = [0, 0.6, 1].map((m) => {
    const w = generateMultimodalWorld({ ...tiny, mismatch: m });
    return contentBehaviourAgreement(w, bagOfTokens(w.content, 'both'));
  });
  assert.ok(agree[0] > agree[1] + 0.05 && agree[1] > agree[2] + 0.05, `agreement ${agree.map((a) => a.toFixed(3)).join(' > ')}`);
  assert.ok(Math.abs(agree[2] - 0.5) < 0.05, `at mismatch 1 content says nothing: ${agree[2]}`);
});

test('multimodal world: cold-start items appear only in the test period and never in behaviour sequences', () => {
  const nNew = world.isNew.reduce((a, b) => a + b, 0);
  assert.ok(nNew > 0, 'some items are new');
  for (const part of ['train', 'valid'] as const) {
    const ids = world[part].column('item_id');
    assert.ok(ids.every((id) => !world.isNew[id - 1]), `no new item in ${part}`);
    assert.ok(world[part].column('hist_item_id').every((id) => id === 0 || !world.isNew[id - 1]), `no new item in ${part} sequences`);
  }
  assert.ok(world.test.column('item_id').some((id) => world.isNew[id - 1]), 'new items are shown in test');
});

test('multimodal world: unknown and out-of-range config keys are errors naming the key', () => {
  assert.throws(() => resolveMultimodalWorldConfig({ mismatc: 0.5 } as never), /unknown key 'mismatc'/);
  assert.throws(() => resolveMultimodalWorldConfig({ mismatch: 1.5 }), /'mismatch' must lie in \[0, 1\]/);
  assert.throws(() => resolveMultimodalWorldConfig({ items: 0 }), /'items' must be a positive integer/);
});
