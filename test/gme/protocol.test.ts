/**
 * GME backbones and protocol (src/gme/backbones.ts, protocol.ts): for every backbone the outside ID embedding gives the
 * same logit as the table lookup; warm-up changes ONLY the new ads' ID rows (every other variable bit-identical, every
 * backbone), while the released 'all-embeddings' scope moves other rows too; the whole protocol runs at a tiny size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/tf.ts';
import { generateColdStartWorld, COLD_START_WORLD_SIZES } from '../../src/worlds/cold-start-world.ts';
import { buildAdGraph } from '../../src/gme/graph.ts';
import { BACKBONES, ColdStartBackbone } from '../../src/gme/backbones.ts';
import { GENERATOR_LABELS, GENERATORS } from '../../src/gme/generators.ts';
import { META_DEFAULTS } from '../../src/gme/meta.ts';
import { PRETRAIN_DEFAULTS, STAGES, WARM_DEFAULTS, WarmUp, runProtocol } from '../../src/gme/protocol.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { Rng } from '../../src/random.ts';

process.env.RECLAB_PROGRESS = '0';
const world = generateColdStartWorld(COLD_START_WORLD_SIZES.tiny);
const SMALL = { embeddingDim: 4, hidden: [8], attentionDim: 4, heads: 2, attentionLayers: 1 };

for (const kind of BACKBONES) {
  test(`${kind}: an outside ID embedding equal to the table rows gives the table's logit; another one changes it`, () => {
    const bb = new ColdStartBackbone(new Rng(1), world.schema, kind, SMALL);
    tf.tidy(() => {
      const ds = world.parts.metaA;
      const batch = toTensors(ds, batchOf(ds, [0, 1, 2, 3, 4, 5, 6, 7]));
      const rows = tf.gather(bb.idTable(), batch.ad_id); // (B, D)
      // first-order weights of the ID (zero-initialised) are replaced by 0 with an outside embedding: same value here
      const a = bb.logit(batch, { training: false }).arraySync() as number[];
      const b = bb.logit(batch, { training: false, idEmb: rows }).arraySync() as number[];
      a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-6, `${kind} row ${i}: ${x} vs ${b[i]}`));
      const c = bb.logit(batch, { training: false, idEmb: tf.add(rows, 0.5) }).arraySync() as number[];
      assert.ok(c.some((x, i) => Math.abs(x - a[i]) > 1e-4), `${kind}: the outside embedding is ignored`);
    });
    bb.dispose();
  });
}

for (const kind of BACKBONES) {
  test(`${kind}: warm-up (scope new-ids) changes only the new ads' ID rows; every other variable is bit-identical`, async () => {
    const bb = new ColdStartBackbone(new Rng(2), world.schema, kind, SMALL);
    const before = bb.stateDict();
    const warm = new WarmUp(bb, world.ads.oldCount, { ...WARM_DEFAULTS, learningRate: 1e-2 });
    await warm.run(world.parts.warmA, 1);
    await warm.run(world.parts.warmB, 1);
    warm.dispose();
    const after = bb.stateDict();
    const idVars = new Set(bb.idRowVariables().keys());
    for (const [name, s] of Object.entries(after)) {
      const old = before[name].values;
      if (!idVars.has(name)) {
        assert.ok(s.values.every((x, i) => Object.is(x, old[i])), `${kind}: variable ${name} changed during warm-up`);
        continue;
      }
      const D = s.shape[1];
      let newChanged = 0;
      for (let r = 0; r < s.shape[0]; r++) {
        const changed = s.values.subarray(r * D, (r + 1) * D).some((x, d) => !Object.is(x, old[r * D + d]));
        if (r <= world.ads.oldCount) assert.ok(!changed, `${kind}: ${name} row ${r} (not a new ad) changed`);
        else if (changed) newChanged++;
      }
      assert.equal(newChanged, world.ads.count - world.ads.oldCount, `${kind}: ${name}: every new ad's row moves`);
    }
    bb.dispose();
  });
}

test('warm-up with the released scope (all embeddings) also moves user and attribute rows', async () => {
  const bb = new ColdStartBackbone(new Rng(2), world.schema, 'dnn', SMALL);
  const before = bb.stateDict();
  const warm = new WarmUp(bb, world.ads.oldCount, { ...WARM_DEFAULTS, scope: 'all-embeddings' });
  await warm.run(world.parts.warmA, 1);
  warm.dispose();
  const after = bb.stateDict();
  const moved = (n: string) => after[n].values.some((x, i) => x !== before[n].values[i]);
  assert.ok(moved('emb.user_id.table') && moved('emb.category.table'), 'user and attribute tables move');
  assert.ok(!moved('mlp.out.kernel'), 'the MLP stays frozen');
  bb.dispose();
});

test('runProtocol: every generator gets finite AUC/logloss at cold and warm-up a, b, c; tensors do not leak', async () => {
  const graph = buildAdGraph(world.ads, 3);
  const before = tf.memory().numTensors;
  const r = await runProtocol({
    data: world, graph, backbone: 'dnn', backboneConfig: SMALL, arms: GENERATORS.map((g) => ({ label: GENERATOR_LABELS[g], generator: g })),
    pretrain: { ...PRETRAIN_DEFAULTS, batchSize: 256 }, meta: { ...META_DEFAULTS, batchAds: 30 }, warm: WARM_DEFAULTS, dropRate: 0.5, seed: 1,
  });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.deepEqual(Object.keys(r.metrics), GENERATORS.map((g) => GENERATOR_LABELS[g]));
  for (const [arm, m] of Object.entries(r.metrics)) {
    for (const s of STAGES) assert.ok(m[s].auc > 0 && m[s].auc < 1 && m[s].logloss > 0 && Number.isFinite(m[s].logloss), `${arm} ${s}: ${JSON.stringify(m[s])}`);
  }
  assert.equal(Object.keys(r.metaLoss).length, GENERATORS.length - 1, 'every generator but random init was meta-trained');
  const rnd = r.metrics[GENERATOR_LABELS.random];
  assert.notEqual(rnd.cold.logloss, rnd['warm-c'].logloss, 'warm-up changes the predictions');
});
