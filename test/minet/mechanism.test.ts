/**
 * Issue 15's MiNet pieces: the dense news log (size, split, its own stream, click model) and the dense-source loss;
 * the user-embedding L2 (`userL2`) enters the training loss as the models' `penalty` output
 * and only in training; minet/mechanism end to end at a tiny size (by-knob records of both methods per value, paired
 * gain records, gain_growth, the sweep table, claims measured; the world knobs follow the scale). The knobs' probes
 * against the world's truth are in news-ads-world.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Rng } from '../../src/random.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { CrossDomainDNN, crossDomainLoss, denseSourceLoss } from '../../src/models/cross-domain-dnn.ts';
import { MiNet } from '../../src/models/minet.ts';
import { generateNewsAdsWorld, newsLogOf, resolveNewsAdsWorldConfig, NEWS_ADS_PRESETS, NEWS_ADS_WORLD_DEFAULTS } from '../../src/worlds/news-ads-world.ts';
import { sourceSampler } from '../../src/pipelines/minet/common.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';
import { MINET_MECHANISM_SPEC, mechanismWorld } from '../../src/pipelines/minet/mechanism.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-minet-mech-'));
after(() => rmSync(out, { recursive: true, force: true }));
const tiny = NEWS_ADS_PRESETS.tiny;

test('userL2: the loss grows by userL2 · mean ||u||² in training, and nothing is added at evaluation or with userL2 = 0', () => {
  const w = generateNewsAdsWorld(tiny);
  const ds = w.train;
  const rows = Int32Array.from({ length: 64 }, (_, i) => i);
  for (const make of [(l2: number) => new CrossDomainDNN(new Rng(1), ds.schema, { embeddingDim: 4, hidden: [8], sourceHidden: [8], userL2: l2 }), (l2: number) => new MiNet(new Rng(1), ds.schema, { embeddingDim: 4, hidden: [8], sourceHidden: [8], attentionHidden: 4, interestHidden: 4, userL2: l2 })]) {
    const [m0, m1] = [make(0), make(0.5)];
    try {
      tf.tidy(() => {
        const batch = toTensors(ds, batchOf(ds, rows));
        const loss = crossDomainLoss('click', 1);
        const l0 = loss(m0.apply(batch, { training: true }), batch).dataSync()[0];
        const o1 = m1.apply(batch, { training: true });
        const l1 = loss(o1, batch).dataSync()[0];
        const u = (m1 as unknown as { emb: { tableOf(n: string): { lookup(t: Tensor): Tensor } } }).emb.tableOf('user_id').lookup(batch.user_id);
        const want = 0.5 * (tf.mean(tf.sum(tf.square(u), 1)).dataSync()[0]);
        assert.ok(want > 0);
        assert.ok(Math.abs(l1 - l0 - want) < 1e-4, `${m1.name}: loss difference ${l1 - l0} vs userL2 · mean ||u||² ${want}`);
        assert.equal(m1.apply(batch, { training: false }).penalty, undefined, 'no penalty at evaluation');
        assert.equal(m0.apply(batch, { training: true }).penalty, undefined, 'no penalty with userL2 = 0');
      });
    } finally {
      m0.dispose();
      m1.dispose();
    }
  }
});

test('news log: newsPerSession rows per session split at the ad rows\' times, news CTR like the per-row news impressions, ad rows unchanged by it; none at 0', () => {
  const w = generateNewsAdsWorld(tiny);
  const c = resolveNewsAdsWorldConfig(tiny);
  const log = newsLogOf(w);
  assert.ok(log);
  assert.equal(log.train.size + log.valid.size + log.test.size, c.users * c.sessionsPerUser * c.newsPerSession);
  assert.ok(Math.max(...log.train.column('ts')) <= Math.min(...w.valid.column('ts')) + 0.2, 'train log rows precede the validation period');
  const ctr = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
  const gap = Math.abs(ctr(log.train.label('src_click')) - ctr(w.train.label('src_click')));
  assert.ok(gap < 0.08, `news CTR of the log ${ctr(log.train.label('src_click'))} vs per-row ${ctr(w.train.label('src_click'))}`);
  const none = generateNewsAdsWorld({ ...tiny, newsPerSession: 0 });
  assert.equal(newsLogOf(none), null);
  assert.deepEqual(Array.from(none.train.label('click')), Array.from(w.train.label('click')), 'the ad rows do not depend on the log');
});

test('denseSourceLoss = BCE(target) + w2 BCE(source tower on the sampled log batch) + penalty', () => {
  const w = generateNewsAdsWorld(tiny);
  const log = newsLogOf(w);
  assert.ok(log);
  const ds = w.train;
  const m = new CrossDomainDNN(new Rng(1), ds.schema, { embeddingDim: 4, hidden: [8], sourceHidden: [8], userL2: 0 });
  try {
    tf.tidy(() => {
      const batch = toTensors(ds, batchOf(ds, Int32Array.from({ length: 32 }, (_, i) => i)));
      const [a, b] = [sourceSampler(log.train, 64, 5), sourceSampler(log.train, 64, 5)];
      const got = denseSourceLoss(m, 'click', 0.7, a)(m.apply(batch, { training: true }), batch).dataSync()[0];
      const s = b();
      assert.equal(s.src_click.shape[0], 64);
      const bce = (z: Tensor, y: Tensor) => tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))).dataSync()[0];
      const want = bce(m.apply(batch, { training: true }).logit, batch.click) + 0.7 * bce(m.sourceLogit(s, true), s.src_click);
      assert.ok(Math.abs(got - want) < 1e-4, `loss ${got} vs ${want}`);
      const perRow = crossDomainLoss('click', 0.7)(m.apply(batch, { training: true }), batch).dataSync()[0];
      assert.ok(Math.abs(perRow - got) > 1e-4, 'the dense loss reads the log batch, not the per-row news impressions');
    });
  } finally {
    m.dispose();
  }
});

test('mechanismWorld: both knobs scale with s from 0, and s beyond activityMix <= 1 is an error', () => {
  assert.deepEqual(mechanismWorld(0), { activityMix: 0, itemMatch: 0 });
  assert.deepEqual(mechanismWorld(1), { activityMix: NEWS_ADS_WORLD_DEFAULTS.activityMix, itemMatch: NEWS_ADS_WORLD_DEFAULTS.itemMatch });
  assert.throws(() => mechanismWorld(2), /activityMix/);
  assert.equal(MINET_MECHANISM_SPEC.values[0], 0);
});

test('minet/mechanism: by-knob records per method and value, paired gain records, gain_growth, the sweep table and measured claims', async () => {
  const small = { embeddingDim: 4, hidden: [8], sourceHidden: [8] };
  const run = await runPipeline('minet/mechanism', {
    quick: true, out, figureFormats: [], verbose: false,
    config: {
      world: { ...tiny, users: 150 }, values: [0, 1], seeds: [1], trainer: { epochs: 1, batchSize: 256 },
      method: { label: 'MiNet', model: 'minet', config: { ...small, attentionHidden: 4, interestHidden: 4 } },
      base: { label: 'Cross-domain DNN', model: 'cross-domain-dnn', config: small },
    },
  });
  for (const m of ['MiNet', 'Cross-domain DNN']) {
    for (const k of ['mechanismScale=0', 'mechanismScale=1']) {
      const r = run.records.find((x) => x.table === 'by-knob' && x.method === m && x.knob === k && x.metric === 'auc');
      assert.ok(r && Number.isFinite(r.value) && r.se !== null && r.se > 0 && r.rows !== null && r.rows > 0, `${m} ${k}: ${JSON.stringify(r)}`);
    }
  }
  const gains = run.records.filter((r) => r.table === 'gain' && r.method === 'MiNet' && r.metric === 'auc_gain');
  assert.equal(gains.length, 2, 'one paired gain per value (the pipeline writes its own; gainRecords adds none)');
  for (const g of gains) {
    const m = run.records.find((x) => x.table === 'by-knob' && x.method === 'MiNet' && x.knob === g.knob);
    const b = run.records.find((x) => x.table === 'by-knob' && x.method === 'Cross-domain DNN' && x.knob === g.knob);
    assert.ok(m && b && Math.abs(g.value - (m.value - b.value)) < 1e-6, `gain at ${g.knob}`);
    assert.ok(g.se !== null && g.se > 0 && m.se !== null && b.se !== null && g.se < Math.hypot(m.se, b.se), `paired SE ${g.se} below the unpaired one`);
  }
  assert.ok(run.records.some((r) => r.metric === 'gain_growth' && r.method === 'MiNet'));
  const t = run.tables.find((x) => x.id === 'mechanism');
  assert.ok(t);
  assert.deepEqual(t.metrics.map((m) => m.name), ['mechanismScale=0', 'mechanismScale=1']);
  for (const v of run.verdicts) assert.notEqual(v.verdict, 'not measured', `${v.claim.id}: ${v.reason}`);
});
