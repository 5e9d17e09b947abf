/**
 * The cold-start ads world (src/worlds/cold-start-world.ts) and the ad graph (src/gme/graph.ts): sizes and layout of
 * the parts, determinism, strict config, no truth among the features, the neighbour signal controlled by
 * clusterShare; the reverse index, shared-value scoring, top-N with ties by lower id, self excluded, zero padding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLD_START_PARTS, COLD_START_WORLD_DEFAULTS, COLD_START_WORLD_SIZES, coldStartCeiling, generateColdStartWorld, resolveColdStartWorldConfig, type AdTable } from '../../src/worlds/cold-start-world.ts';
import { attributeValues, buildAdGraph, buildReverseIndex, neighbourSignal, topNeighbours } from '../../src/gme/graph.ts';
import { neighbourGraphFigure } from '../../src/gme/figures.ts';

const tiny = COLD_START_WORLD_SIZES.tiny;

test('world: part sizes, meta and warm-up parts grouped by ad in ad order, old/new ads in the right parts', () => {
  const w = generateColdStartWorld(tiny);
  const c = w.world;
  const sizes = Object.fromEntries(COLD_START_PARTS.map((p) => [p, w.parts[p].size]));
  assert.deepEqual(sizes, { pretrain: 60 * 40, metaA: 60 * 5, metaB: 60 * 5, metaC: 60 * 5, metaD: 60 * 5, warmA: 20 * 5, warmB: 20 * 5, warmC: 20 * 5, test: 20 * 20 });
  const ad = (p: (typeof COLD_START_PARTS)[number]) => w.parts[p].column('ad_id');
  for (const p of ['metaA', 'metaD'] as const) ad(p).forEach((id, r) => assert.equal(id, Math.floor(r / c.metaShot) + 1, `${p} row ${r}`));
  ad('warmB').forEach((id, r) => assert.equal(id, c.oldAds + Math.floor(r / c.warmShot) + 1));
  assert.ok(ad('pretrain').every((id) => id >= 1 && id <= c.oldAds), 'pretrain holds old ads only');
  assert.ok(ad('test').every((id) => id > c.oldAds), 'test holds new ads only');
  assert.equal(w.truth.test.length, w.parts.test.size);
  const ceil = coldStartCeiling(w, 'test');
  assert.ok(ceil.auc > 0.6 && ceil.auc < 1, `ceiling AUC ${ceil.auc}`);
});

test('world: deterministic per seed, different across seeds; no truth in the schema', () => {
  const a = generateColdStartWorld(tiny);
  const b = generateColdStartWorld(tiny);
  const c = generateColdStartWorld({ ...tiny, seed: 99 });
  assert.deepEqual(a.parts.test.label('click'), b.parts.test.label('click'));
  assert.notDeepEqual(a.parts.test.label('click'), c.parts.test.label('click'));
  const names = a.schema.features.map((f) => f.name);
  assert.deepEqual(names, ['user_id', 'age', 'gender', 'ad_id', 'category', 'advertiser', 'campaign', 'tags']);
  assert.ok(!a.parts.test.columnNames().some((n) => /truth|cluster|effect|prob/.test(n)), 'no ground truth among the columns');
});

test('world config: defaults, unknown keys and bad values are errors naming the key', () => {
  assert.equal(resolveColdStartWorldConfig().clusterShare, COLD_START_WORLD_DEFAULTS.clusterShare);
  assert.throws(() => resolveColdStartWorldConfig({ clusterShar: 0.5 } as never), /unknown key 'clusterShar'/);
  assert.throws(() => resolveColdStartWorldConfig({ clusterShare: 1.5 }), /'clusterShare' must lie in \[0, 1\]/);
  assert.throws(() => resolveColdStartWorldConfig({ newAds: 0 }), /'newAds' must be a positive integer/);
});

test('neighbour signal: clear with rho = 0.8, near zero with rho = 0, and random neighbours carry none', () => {
  const cfg = { ...COLD_START_WORLD_SIZES.quick, oldImpressions: 1, testImpressions: 1 };
  const strong = generateColdStartWorld({ ...cfg, clusterShare: 0.8 });
  const none = generateColdStartWorld({ ...cfg, clusterShare: 0 });
  const s = neighbourSignal(strong.ads, strong.idEffect, strong.world.latentDim + 1, buildAdGraph(strong.ads, 10));
  const n = neighbourSignal(none.ads, none.idEffect, none.world.latentDim + 1, buildAdGraph(none.ads, 10));
  assert.ok(s.graph > 0.4, `rho 0.8: r = ${s.graph}`);
  assert.ok(Math.abs(n.graph) < 0.15, `rho 0: r = ${n.graph}`);
  assert.ok(s.random < s.graph - 0.2, `random neighbours r = ${s.random} vs graph ${s.graph}`);
  assert.equal(s.adsWithNeighbours, strong.ads.count - strong.ads.oldCount);
});

// Five hand-made ads: 0..3 old, 4 new. Slots: category, tags (width 2).
const ads: AdTable = {
  count: 5, oldCount: 4,
  slots: [
    { name: 'category', width: 1, values: Int32Array.from([1, 1, 2, 3, 1]) },
    { name: 'tags', width: 2, values: Int32Array.from([5, 6, 5, 0, 6, 7, 8, 0, 5, 6]) },
  ],
};

test('graph: attribute values and the reverse index over old ads', () => {
  assert.deepEqual(attributeValues(ads, 0), ['category:1', 'tags:5', 'tags:6']);
  assert.deepEqual(attributeValues(ads, 1), ['category:1', 'tags:5'], 'padding is skipped');
  const index = buildReverseIndex(ads, [0, 1, 2, 3]);
  assert.deepEqual(index.get('category:1'), [0, 1]);
  assert.deepEqual(index.get('tags:6'), [0, 2]);
  assert.equal(index.get('tags:5')?.includes(4), false, 'new ads are not in the index');
  assert.throws(() => buildReverseIndex(ads, [7]), /item 7 is not an ad index/);
});

test('graph: scores count shared values, top-N sorted with ties by lower id, self excluded, zero-padded', () => {
  const index = buildReverseIndex(ads, [0, 1, 2, 3]);
  // ad 4 (category 1, tags 5 6): ad 0 shares 3, ad 1 shares 2, ad 2 shares 1 (tag 6), ad 3 none
  assert.deepEqual(topNeighbours(ads, index, 4, 10), [{ ad: 0, score: 3 }, { ad: 1, score: 2 }, { ad: 2, score: 1 }]);
  assert.deepEqual(topNeighbours(ads, index, 4, 2).map((x) => x.ad), [0, 1]);
  // ad 0 itself is old: excluded from its own list
  assert.deepEqual(topNeighbours(ads, index, 0, 10), [{ ad: 1, score: 2 }, { ad: 2, score: 1 }]);
  const g = buildAdGraph(ads, 3);
  assert.deepEqual([...g.ids.subarray(4 * 3, 5 * 3)], [1, 2, 3], 'ad ids are index + 1');
  assert.deepEqual([...g.ids.subarray(3 * 3, 4 * 3)], [0, 0, 0], 'an ad sharing nothing gets padding');
  assert.deepEqual([...g.scores.subarray(0, 3)], [2, 1, 0]);
  assert.equal(buildAdGraph(ads, 0).ids.length, 0);
  assert.throws(() => buildAdGraph(ads, -1), /non-negative integer/);
});

test('graph: ties break by the lower ad id', () => {
  const t: AdTable = { count: 4, oldCount: 3, slots: [{ name: 'category', width: 1, values: Int32Array.from([2, 2, 2, 2]) }] };
  const index = buildReverseIndex(t, [0, 1, 2]);
  assert.deepEqual(topNeighbours(t, index, 3, 2).map((x) => x.ad), [0, 1]);
  assert.deepEqual(topNeighbours(t, index, 1, 5).map((x) => x.ad), [0, 2]);
});

test('neighbourGraphFigure: the centre ad, one node per real neighbour, edges labelled with shared counts', () => {
  const g = buildAdGraph(ads, 3);
  const fig = neighbourGraphFigure(ads, g, 4);
  const nodes = fig.data.find((t) => t.name === 'old-ad neighbours');
  assert.deepEqual(nodes?.text, ['ad 1', 'ad 2', 'ad 3']);
  assert.deepEqual(fig.data.find((t) => t.name === 'shared values')?.text, ['3', '2', '1']);
  assert.equal(fig.data.filter((t) => t.mode === 'lines').length, 3);
  assert.match(String(fig.data.find((t) => t.name === 'new ad')?.hovertemplate), /category:1<br>tags:5<br>tags:6/);
  assert.throws(() => neighbourGraphFigure(ads, g, 9), /not an index/);
  assert.throws(() => neighbourGraphFigure(ads, g, 4, { colour: 'red' } as never), /unknown option 'colour'/);
});
