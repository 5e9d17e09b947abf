/**
 * GME meta-training (src/gme/meta.ts): the meta-gradient through the inner step matches central finite differences of
 * the meta loss on a tiny case (second order, a large inner step so its curvature term is visible), the first-order
 * variant does not (so the check can tell them apart); AutoInt falls back to first order (softmax, see meta.ts),
 * only generator variables move during meta-training, and the generated embeddings land in the new ads' rows only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { generateColdStartWorld, COLD_START_WORLD_SIZES } from '../../src/worlds/cold-start-world.ts';
import { buildAdGraph } from '../../src/gme/graph.ts';
import { ColdStartBackbone, type BackboneKind } from '../../src/gme/backbones.ts';
import { EmbeddingGenerator, type GeneratorKind } from '../../src/gme/generators.ts';
import { META_DEFAULTS, bceSecondOrder, effectiveOrder, metaBatch, metaLoss, trainGenerator, writeGeneratedEmbeddings } from '../../src/gme/meta.ts';
import { bceWithLogits } from '../../src/train/losses.ts';
import { Rng } from '../../src/random.ts';

process.env.RECLAB_PROGRESS = '0';
// irrelevantShare 0: the world these finite-difference cases were sized on (the knob changes the draws).
const world = generateColdStartWorld({ ...COLD_START_WORLD_SIZES.tiny, irrelevantShare: 0 });
const graph = buildAdGraph(world.ads, 3);

function setup(kind: Exclude<GeneratorKind, 'random'>, backboneKind: BackboneKind = 'dnn') {
  const backbone = new ColdStartBackbone(new Rng(2), world.schema, backboneKind, { embeddingDim: 4, hidden: [8], attentionDim: 4, heads: 2, attentionLayers: 1 });
  const gen = new EmbeddingGenerator(new Rng(3), kind, { slots: world.ads.slots.length, dim: 4, gamma: 1, dropRate: 0.5 });
  return { backbone, gen };
}

for (const [kind, bb] of [['gme-a', 'dnn'], ['gme-p', 'deepfm'], ['meta-embedding', 'pnn'], ['gme-g', 'wide-deep']] as const) {
  test(`${kind} on ${bb} (eta 20): the second-order meta-gradient matches finite differences; the first-order one does not`, () => {
    const { backbone, gen } = setup(kind, bb);
    const cfg = { alpha: 0.1, innerLr: 20, order: 'second' as const };
    const vars = gen.trainableVariables();
    const [name, v] = [...vars].find(([k]) => k === 'wMeta') ?? [...vars][0];
    const loss = (order: 'second' | 'first') => tf.tidy(() => metaLoss(backbone, gen, metaBatch(world, backbone, graph, [0, 1, 2], 'metaA', 'metaB'), { ...cfg, order }));
    const grad = (order: 'second' | 'first') => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => metaLoss(backbone, gen, metaBatch(world, backbone, graph, [0, 1, 2], 'metaA', 'metaB'), { ...cfg, order }), [v]);
      value.dispose();
      return grads[v.name];
    });
    const g2 = grad('second').arraySync() as number[][];
    const g1 = grad('first').arraySync() as number[][];
    const base = v.arraySync() as number[][];
    const eps = 3e-3; // small enough to step over no ReLU kink on this case, large enough for float32
    // the entries with the largest second-order gradient
    const cells = g2.flatMap((row, i) => row.map((x, j) => ({ i, j, x }))).sort((a, b) => Math.abs(b.x) - Math.abs(a.x)).slice(0, 4);
    let err2 = 0, err1 = 0, scale = 0;
    for (const { i, j } of cells) {
      const at = (delta: number) => { const w = base.map((r) => [...r]); w[i][j] += delta; v.assign(tf.tensor(w)); const l = loss('second'); const x = l.dataSync()[0]; l.dispose(); return x; };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base));
      err2 = Math.max(err2, Math.abs(fd - g2[i][j]));
      err1 = Math.max(err1, Math.abs(fd - g1[i][j]));
      scale = Math.max(scale, Math.abs(fd));
    }
    assert.ok(scale > 1e-3, `${name}: gradient scale ${scale} too small to test`);
    assert.ok(err2 < 0.05 * scale, `${name}: second-order error ${err2} vs scale ${scale}`);
    assert.ok(err1 > 2 * err2, `${name}: the first-order gradient (error ${err1}) should be farther from FD than the second-order one (${err2})`);
    backbone.dispose();
    gen.dispose();
  });
}

test('meta-training moves only generator variables; generated embeddings fill exactly the new ads\' rows', async () => {
  const { backbone, gen } = setup('gme-g');
  const before = backbone.stateDict();
  const genBefore = gen.stateDict();
  const losses = await trainGenerator({ backbone, gen, world, graph, config: { ...META_DEFAULTS, epochs: 2 }, rng: new Rng(4) });
  assert.equal(losses.length, 2);
  assert.ok(losses.every(Number.isFinite));
  for (const [k, s] of Object.entries(backbone.stateDict())) assert.deepEqual(s.values, before[k].values, `backbone variable ${k} changed during meta-training`);
  const genAfter = gen.stateDict();
  assert.ok(Object.keys(genAfter).some((k) => genAfter[k].values.some((x, i) => x !== genBefore[k].values[i])), 'no generator variable moved');
  writeGeneratedEmbeddings(backbone, gen, world, graph);
  const table = backbone.idTable().arraySync() as number[][];
  const old = before['emb.ad_id.table'];
  const D = 4;
  for (let r = 0; r < table.length; r++) {
    const changed = table[r].some((x, d) => x !== old.values[r * D + d]);
    assert.equal(changed, r > world.ads.oldCount, `row ${r} ${changed ? 'changed' : 'did not change'}`);
    if (r > world.ads.oldCount) assert.ok(table[r].every((x) => Math.abs(x) <= 1 + 1e-6), 'ELU/tanh outputs are bounded as in the spec');
  }
  backbone.dispose();
  gen.dispose();
});

test('effectiveOrder: AutoInt falls back to the first-order step, the others keep second order', () => {
  assert.equal(effectiveOrder('autoint', 'second'), 'first');
  for (const k of ['dnn', 'pnn', 'wide-deep', 'deepfm'] as const) assert.equal(effectiveOrder(k, 'second'), 'second');
  assert.equal(effectiveOrder('dnn', 'first'), 'first');
});

test('bceSecondOrder equals bceWithLogits', () => {
  const z = tf.tensor1d([-30, -2, 0, 0.5, 7, 40]);
  const y = tf.tensor1d([1, 0, 1, 1, 0, 1]);
  const a = bceSecondOrder(z, y).dataSync()[0];
  const b = bceWithLogits(z, y).dataSync()[0];
  assert.ok(Math.abs(a - b) < 1e-5 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
  tf.dispose([z, y]);
});
