/**
 * Moment&Cross: gradient check of every variant (every trainable variable gets a finite, non-zero gradient), GSU
 * selection, the sample stream's first-only label mask (each impression-task pair counted once with its final
 * label), the ranking score, both pipelines end to end at a tiny size through `runPipeline` (one table each with its
 * declared base, per-task records with SE and positives, the reliable-task summary, every claim resolving to records),
 * and the evidence / paper defaults (wiring only: the numbers at this size are noise).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { MomentCross, gsuMask, momentCrossLoss, rankingScore, type MomentCrossConfig } from '../../src/models/moment-cross.ts';
import { generateLiveWorld, LIVE_TASKS, LIVE_WORLD_SIZES } from '../../src/worlds/live-world.ts';
import { buildSampleStream, FAST_SECONDS } from '../../src/pipelines/moment-cross/sample-stream.ts';
import { runPipeline, type RunRecord } from '../../src/pipelines/runner.ts';
import { getPipeline } from '../../src/pipelines/pipeline.ts';
import '../../src/pipelines/registry.ts';
import { checkSeeds, RUN_MODES } from '../../src/evidence/rules.ts';
import { SUMMARY_METRIC } from '../../src/pipelines/farm/live-evidence.ts';
import { MC_BASE, momentCrossMainDefaults } from '../../src/pipelines/moment-cross/main.ts';
import { ONLINE_PASS, ablationVariants, momentCrossAblationDefaults } from '../../src/pipelines/moment-cross/ablation.ts';
import { NO_SEARCH, SEARCH_KS, meanHistoryLength, momentCrossSearchDefaults, searchLabel } from '../../src/pipelines/moment-cross/search.ts';
import { Rng } from '../../src/random.ts';
import { figureFromFragment } from '../../src/plots/export.ts';

process.env.RECLAB_PROGRESS = '0';
const out = mkdtempSync(join(tmpdir(), 'reclab-moment-cross-'));
after(() => rmSync(out, { recursive: true, force: true }));
const RICH = { click: 0.4, effective_view: 0.2, like: 0.1, comment: 0.05, gift: 0.03, follow: 0.03 };
const world = generateLiveWorld({ ...LIVE_WORLD_SIZES.tiny, users: 400, liveShare: 0.3, rates: RICH, seed: 3 });
const stream = buildSampleStream(world, 'train');
const SMALL = { embeddingDim: 8, esuHeads: 2, mmoe: { expertHidden: [16], tower: [8] } };

const variants: Array<[string, Partial<MomentCrossConfig>]> = [
  ['full', {}], ['w/o real-time', { realtime: false }], ['w/o search', { search: 'none' }], ['soft search', { search: 'soft' }],
];
for (const [name, config] of variants) {
  test(`moment-cross (${name}): every trainable variable gets a finite non-zero gradient on the sample stream; no leaks`, () => {
    const model = new MomentCross(new Rng(1), stream.ds.schema, { ...SMALL, ...config });
    const vars = model.trainableVariables();
    const names = new Map([...vars].map(([k, v]) => [v.name, k]));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const batch = toTensors(stream.ds, batchOf(stream.ds, Int32Array.from({ length: 256 }, (_, i) => i)));
      const outputs = model.apply(batch, { training: false });
      for (const t of LIVE_TASKS) assert.deepEqual(outputs[t].shape, [256]);
      assert.equal('moment' in outputs, config.realtime !== false);
      assert.equal('align' in outputs, config.search !== 'none');
      const { value, grads } = tf.variableGrads(() => momentCrossLoss(model.config)('click')(model.apply(batch, { training: true }), batch), [...vars.values()]);
      assert.ok(Number.isFinite(value.dataSync()[0]));
      for (const [tfName, g] of Object.entries(grads)) {
        const v = g.dataSync();
        assert.ok(v.every(Number.isFinite), `gradient of ${names.get(tfName)} is finite`);
        assert.ok(v.some((x) => x !== 0), `gradient of ${names.get(tfName)} is non-zero`);
      }
    });
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
}

test('the first-only mask counts every (impression, task) once with its final label; without it the click counts twice', () => {
  const src = world.train;
  const counted = new Map<string, number>();
  for (let i = 0; i < stream.ds.size; i++) {
    const r = stream.impression[i];
    assert.ok(stream.emitTime[i] >= src.column('ts')[r] + FAST_SECONDS, 'samples are emitted at or after +30 s');
    if (i > 0) assert.ok(stream.emitTime[i] >= stream.emitTime[i - 1], 'the stream is in emit order');
    for (const t of LIVE_TASKS) {
      if (stream.ds.label(`mask_${t}`)[i] === 0) continue;
      const key = `${r}:${t}`;
      counted.set(key, (counted.get(key) ?? 0) + 1);
      assert.equal(stream.ds.label(t)[i], src.label(t)[r], `impression ${r}, ${t}: the carried label is the final one`);
    }
  }
  assert.equal(counted.size, src.size * LIVE_TASKS.length, 'every (impression, task) pair is carried');
  assert.ok([...counted.values()].every((c) => c === 1), 'and carried once');
  const clicks = src.label('click').reduce((s, v) => s + v, 0);
  assert.equal(stream.ds.size, src.size + clicks, 'one fast sample per impression, one slow sample per click');
  const noMask = buildSampleStream(world, 'train', 'none');
  assert.equal(noMask.ds.label('click').reduce((s, v) => s + v, 0), 2 * clicks, 'without the mask every click is counted twice');
  const late = noMask.ds.label('effective_view').filter((_, i) => noMask.kind[i] === 0).reduce((s, v) => s + v, 0);
  assert.equal(late, 0, 'a long view (>= 60 s) is never seen by the 30 s fast sample');
});

test('GSU hard search only selects short videos of the candidate author or category (ESU ignores the rest)', () => {
  const model = new MomentCross(new Rng(2), stream.ds.schema, { ...SMALL, realtime: false });
  const rows = Int32Array.from({ length: 64 }, (_, i) => i);
  const host = batchOf(stream.ds, rows);
  const L = stream.ds.widthOf('hist_sv_item');
  // Replace every history item that does not match the candidate: with hard search the output must not change.
  const changed = { ...host, columns: { ...host.columns } };
  for (const col of ['hist_sv_item', 'hist_sv_author', 'hist_sv_category', 'hist_sv_action']) changed.columns[col] = (host.columns[col] as Int32Array).slice();
  let edits = 0;
  for (let r = 0; r < 64; r++) {
    const a = (host.columns.author_id as Int32Array)[r];
    const c = (host.columns.category_id as Int32Array)[r];
    let matches = 0;
    for (let j = 0; j < L; j++) if ((host.columns.hist_sv_author as Int32Array)[r * L + j] === a || (host.columns.hist_sv_category as Int32Array)[r * L + j] === c) matches++;
    if (matches === 0) continue; // rows without a hard match fall back to soft search
    for (let j = 0; j < L; j++) {
      const at = r * L + j;
      if ((host.columns.hist_sv_item as Int32Array)[at] === 0) continue;
      if ((host.columns.hist_sv_author as Int32Array)[at] === a || (host.columns.hist_sv_category as Int32Array)[at] === c) continue;
      (changed.columns.hist_sv_action as Int32Array)[at] = 1 + ((changed.columns.hist_sv_action as Int32Array)[at] % 6);
      edits++;
    }
  }
  assert.ok(edits > 0, 'some rows have non-matching history items');
  const logits = (h: typeof host) => tf.tidy(() => Array.from(model.apply(toTensors(stream.ds, h), { training: false }).click.dataSync()));
  const before = logits(host);
  const after2 = logits(changed);
  for (let r = 0; r < 64; r++) assert.ok(Math.abs(before[r] - after2[r]) < 1e-5 || before[r] === after2[r], `row ${r}`);
  model.dispose();
});

test('gsuMask: hard search keeps the K most recent matches; soft search the K best inner products (ties kept), padding never, and no gradient flows through the selection', () => {
  // One row, L = 6 (the last step padding); candidate author 7, category 3.
  const batch = {
    hist_sv_author: tf.tensor2d([[7, 1, 7, 2, 7, 7]], [1, 6], 'int32'), hist_sv_category: tf.tensor2d([[9, 3, 9, 9, 9, 9]], [1, 6], 'int32'),
    author_id: tf.tensor1d([7], 'int32'), category_id: tf.tensor1d([3], 'int32'),
  };
  const pad = tf.tensor2d([[1, 1, 1, 1, 1, 0]]);
  const keys = tf.tensor3d([[[1, 0], [4, 0], [3, 0], [2, 0], [2, 0], [9, 0]]]); // scores with query (1, 0): 1 4 3 2 2 (9 padded)
  const query = tf.tensor2d([[1, 0]]);
  const mask = (k: number, search: 'hard' | 'soft') => Array.from(gsuMask(batch, keys, query, pad, k, search).dataSync());
  assert.deepEqual(mask(2, 'hard'), [0, 0, 1, 0, 1, 0], 'matches are steps 0, 1, 2, 4: the two most recent are 2 and 4');
  assert.deepEqual(mask(3, 'hard'), [0, 1, 1, 0, 1, 0]);
  assert.deepEqual(mask(50, 'hard'), [1, 1, 1, 0, 1, 0], 'K beyond the matches keeps them all');
  assert.deepEqual(mask(2, 'soft'), [0, 1, 1, 0, 0, 0], 'the two best real steps (the padded 9 is never selected)');
  assert.deepEqual(mask(3, 'soft'), [0, 1, 1, 1, 1, 0], 'a tie at the K-th score keeps both');
  const noMatch = { ...batch, author_id: tf.tensor1d([5], 'int32'), category_id: tf.tensor1d([5], 'int32') };
  assert.deepEqual(Array.from(gsuMask(noMatch, keys, query, pad, 2, 'hard').dataSync()), [0, 1, 1, 0, 0, 0], 'no hard match: soft fallback');
  const v = tf.variable(keys);
  const g = tf.grad((x: Tensor) => tf.sum(tf.mul(gsuMask(batch, x, query, pad, 2, 'soft'), 1)))(v);
  assert.ok(g.dataSync().every((x) => x === 0), 'the selection passes no gradient (and topk inside it raises none)');
  tf.dispose([...Object.values(batch), ...Object.values(noMatch), pad, keys, query, v, g]);
});

test('rankingScore is the weighted product of probabilities; errors name the task', () => {
  const s = rankingScore({ click: Float32Array.of(0.5, 0.1), gift: Float32Array.of(0.01, 0.2) }, { click: 1, gift: 0.5 });
  assert.ok(Math.abs(s[0] - 0.5 * Math.sqrt(0.01)) < 1e-6 && Math.abs(s[1] - 0.1 * Math.sqrt(0.2)) < 1e-6);
  assert.throws(() => rankingScore({ click: Float32Array.of(0.5) }, { like: 1 }), /task 'like'/);
  assert.throws(() => new MomentCross(new Rng(1), world.train.schema, { tasks: ['clik'] }), /unknown task 'clik'/);
  assert.throws(() => new MomentCross(new Rng(1), world.train.schema, { gsuk: 3 } as never), /moment-cross config: unknown key 'gsuk'/);
});

const TINY_PIPE = { world: { ...LIVE_WORLD_SIZES.tiny, users: 400, liveShare: 0.3, rates: RICH }, trainer: { epochs: 1, batchSize: 512 }, seeds: [1, 2] };
const NET = { embeddingDim: 8, esuHeads: 2, mmoe: { expertHidden: [16], tower: [8] } };
const RUN = { quick: true, out, figureFormats: [] as never[], verbose: false };

/** Claims of a run that are not measured, by id (each must name a method the run deliberately left out). */
function unmeasured(run: RunRecord): string[] {
  const claims = getPipeline(run.pipeline).claims ?? [];
  assert.equal(run.verdicts.length, claims.length);
  for (const c of claims) assert.ok(c.source.includes('moment-cross.md'), `claim '${c.id}' names its source in the spec`);
  return run.verdicts.filter((v) => v.verdict === 'not measured').map((v) => v.claim.id);
}

test('moment-cross/main: one table "main" against the declared daily-batch base, records with SE and positives, mean_auc_reliable, claims', async () => {
  const mc = (label: string, config: Record<string, unknown>, data: string) => ({ label, model: 'moment-cross', config: { ...NET, ...config }, data });
  const methods = [
    { label: 'PLE', model: 'live-ple', config: { embeddingDim: 8, ple: { expertHidden: [16], tower: [8] } }, data: 'impressions' },
    mc(MC_BASE, { realtime: false, search: 'none', alignWeight: 0 }, 'impressions'),
    mc('+ Moment', { search: 'none', alignWeight: 0 }, 'stream'), mc('+ Cross', { realtime: false }, 'impressions'), mc('Moment&Cross', {}, 'stream'),
  ];
  const main = await runPipeline('moment-cross/main', { ...RUN, config: { ...TINY_PIPE, methods } });
  assert.equal(main.tables.length, 1);
  const [t] = main.tables;
  assert.equal(t.id, 'main');
  assert.equal(t.base, MC_BASE, 'the base is the declared daily-batch model, not the strongest baseline');
  assert.deepEqual(t.rows.map((r) => r.method), methods.map((m) => m.label));
  assert.equal(t.metrics[0].name, SUMMARY_METRIC);
  for (const task of LIVE_TASKS) assert.ok(t.metrics.some((m) => m.name === `auc_${task}`));
  assert.equal(t.references[0].label, 'ground-truth ceiling');
  const results = JSON.parse(readFileSync(join(main.dir, 'results.json'), 'utf8')).results as Record<string, unknown>;
  assert.equal(results.perSeed, undefined);
  const summary = results.summaryTasks as string[];
  for (const task of LIVE_TASKS) {
    const r = main.records.find((x) => x.table === 'main' && x.metric === `auc_${task}` && x.method === 'Moment&Cross' && x.seed === 1);
    assert.ok(r && r.positives !== null && r.se !== null && r.rows !== null, `auc_${task} record`);
    assert.equal(summary.includes(task), (r.positives as number) >= 100, `${task}: in the summary iff >= 100 test positives`);
  }
  const s = main.records.find((x) => x.metric === SUMMARY_METRIC && x.method === 'Moment&Cross' && x.seed === 2);
  const parts = summary.map((task) => main.records.find((x) => x.metric === `auc_${task}` && x.method === 'Moment&Cross' && x.seed === 2));
  assert.ok(s && Math.abs(s.value - parts.reduce((a, r) => a + (r?.value ?? NaN), 0) / parts.length) < 1e-12);
  assert.ok((s.se as number) > 0 && (s.se as number) <= parts.reduce((a, r) => a + (r?.se ?? NaN), 0) / parts.length + 1e-12, 'SE with the tasks\' covariance: positive, at most the mean of the task SEs (perfect correlation)');
  assert.deepEqual(unmeasured(main), [], 'every main claim is measured when its methods run');
  await assert.rejects(runPipeline('moment-cross/main', { ...RUN, config: { ...TINY_PIPE, tasks: ['clik'] } }), /clik/);
  await assert.rejects(runPipeline('moment-cross/main', { ...RUN, config: { ...TINY_PIPE, methods, base: 'PLE+' } }), /base 'PLE\+' is not (a method|one of its methods)/);
  await assert.rejects(runPipeline('moment-cross/main', { ...RUN, config: { ...TINY_PIPE, baselines: ['PLE'] } }), /config: .*baselines/);
});

test('moment-cross/ablation: table "ablation" against the full model; removal claims judged, the evidence-only variants deliberately absent in quick mode', async () => {
  const quickVariants = ablationVariants(true, NET);
  const abl = await runPipeline('moment-cross/ablation', { ...RUN, config: { ...TINY_PIPE, methods: quickVariants } });
  assert.equal(abl.tables[0].id, 'ablation');
  assert.equal(abl.tables[0].base, 'Moment&Cross');
  assert.deepEqual(abl.tables[0].rows.map((r) => r.method), ['Moment&Cross', 'w/o real-time features', 'w/o cross-domain search', 'w/o label mask']);
  assert.deepEqual(unmeasured(abl), ['l-moment-helps', 'align-helps'], 'only the claims on variants that run in evidence mode alone are unmeasured in quick mode');
  const evidenceLabels = ablationVariants(false, NET).map((v) => v.label);
  for (const c of getPipeline('moment-cross/ablation').claims ?? []) assert.ok(evidenceLabels.includes(c.method) && c.base === 'Moment&Cross', `claim '${c.id}' refers to an evidence-mode variant`);
});

test("order 'time': one epoch over the stream in emit-time order (no early stopping); impressions refuse it", async () => {
  const online = { ...ablationVariants(false, NET).find((v) => v.label === ONLINE_PASS)! };
  assert.deepEqual([online.order, online.data], ['time', 'stream']);
  const methods = [ablationVariants(true, NET)[0], online];
  const run = await runPipeline('moment-cross/ablation', { ...RUN, config: { ...TINY_PIPE, trainer: { epochs: 3, patience: 5, batchSize: 512 }, seeds: [1], methods } });
  const epochs = (m: string) => run.records.find((x) => x.table === 'selection' && x.metric === 'best_epoch' && x.method === m)!;
  assert.equal(epochs(ONLINE_PASS).value, 1, 'the online pass trains exactly one epoch');
  assert.equal(epochs(ONLINE_PASS).stillImproving, true, 'its one allowed pass is its last');
  assert.ok(run.records.some((x) => x.table === 'ablation' && x.method === ONLINE_PASS && x.metric === SUMMARY_METRIC && Number.isFinite(x.value)));
  const bad = [{ ...ablationVariants(true, NET)[0] }, { ...online, data: 'impressions' as const }];
  await assert.rejects(runPipeline('moment-cross/ablation', { ...RUN, config: { ...TINY_PIPE, seeds: [1], methods: bad } }), /order 'time', which needs the sample stream/);
});

test('moment-cross/search: long histories fill the slots; table per history against the search-free base, one line per history in the figure, the K = 50 claim judged', async () => {
  const world = { ...TINY_PIPE.world, svPastClicks: 60, svHistoryLen: 64 };
  const config = { ...momentCrossSearchDefaults('quick'), world, ks: [5, 50], net: NET, shortHistory: true, trainer: { epochs: 1, batchSize: 512 }, seeds: [1] };
  const run = await runPipeline('moment-cross/search', { ...RUN, config });
  assert.deepEqual(run.tables.map((t) => t.id), ['search', 'search-short-history']);
  for (const t of run.tables) {
    assert.equal(t.base, NO_SEARCH);
    assert.deepEqual(t.rows.map((r) => r.method), [NO_SEARCH, searchLabel(5), searchLabel(50)]);
  }
  const lengths = (JSON.parse(readFileSync(join(run.dir, 'results.json'), 'utf8')).results as { meanHistoryLength: Record<string, number> }).meanHistoryLength;
  assert.ok(lengths.search > 45 && lengths['search-short-history'] < 20, `the past clicks fill the history: ${JSON.stringify(lengths)}`);
  const html = readFileSync(join(run.dir, 'figures', 'search-by-k.html'), 'utf8');
  const fig = figureFromFragment(html.slice(html.indexOf('<div id=')));
  assert.ok(fig, 'the figure reads back');
  const lines = fig.data.slice(-2) as Array<{ name: string; x: number[] }>; // the ± std bands come first
  assert.equal(fig.data.length, 4, 'one line (and its band) per history');
  assert.deepEqual(lines.map((l) => l.name.split(' (')[0]), ['60 past clicks', 'logged clicks only']);
  assert.deepEqual(lines[0].x, [0, 5, 50], 'K = 0 (no search) then each K');
  assert.deepEqual(unmeasured(run), []);
  assert.equal(run.verdicts[0].claim.method, searchLabel(50));
  for (const knob of ['history=long', 'history=logged']) {
    const gain = run.records.find((r) => r.table === 'gain' && r.knob === knob && r.method === searchLabel(50) && r.seed === 1);
    const base = run.records.find((r) => r.table === 'gain' && r.knob === knob && r.method === NO_SEARCH && r.seed === 1);
    const mean = (m: string) => run.records.find((r) => r.table === (knob === 'history=long' ? 'search' : 'search-short-history') && r.method === m && r.metric === SUMMARY_METRIC && r.seed === 1)!.value;
    assert.ok(gain && base && gain.se !== null && gain.se > 0, `${knob}: a paired gain record with its SE`);
    assert.ok(Math.abs(gain.value - (mean(searchLabel(50)) - mean(NO_SEARCH))) < 1e-9, `${knob}: the gain is the difference of the two summaries`);
    assert.deepEqual([base.value, base.se], [0, 0], 'the base\'s own gain');
  }
  const verdict = run.verdicts[0];
  assert.equal(verdict.claim.table, 'gain');
  assert.ok(run.records.some((r) => r.table === 'search-short-history' && r.method === searchLabel(5) && r.metric === SUMMARY_METRIC && Number.isFinite(r.value)));
  await assert.rejects(runPipeline('moment-cross/search', { ...RUN, config: { ...config, world: { ...world, svPastClicks: 0 } } }), /world.svPastClicks must be > 0/);
  assert.equal(meanHistoryLength(Int32Array.of(3, 4, 0, 0, 5, 0), 2), 1.5);
  const evidence = momentCrossSearchDefaults('evidence');
  assert.deepEqual(evidence.ks, SEARCH_KS);
  assert.ok(SEARCH_KS.includes(50) && evidence.shortHistory && evidence.seeds.length === 5);
  assert.ok(((evidence.world as { svHistoryLen: number }).svHistoryLen) >= 200, 'evidence histories of 200+ slots');
});

test('moment-cross pipelines: quick defaults stay small; evidence and paper defaults have >= 5 distinct seeds, pass their schemas and stop early', () => {
  for (const name of ['moment-cross/main', 'moment-cross/ablation']) {
    const spec = getPipeline(name);
    for (const mode of RUN_MODES) {
      const d = spec.defaults(mode) as { seeds: number[]; trainer: { epochs: number; patience: number }; world: { users?: number }; methods: Array<{ label: string }> };
      const parsed = spec.schema.safeParse(d);
      assert.ok(parsed.success, `${name} ${mode}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues[0])}`);
      checkSeeds(d.seeds, mode);
      if (mode === 'quick') {
        assert.deepEqual(d.seeds, [1, 2, 3]);
        assert.ok(d.trainer.epochs <= 2 && (d.world.users ?? Infinity) <= 6000 && d.methods.length <= 4, `${name}: quick stays small`);
      } else {
        assert.ok(new Set(d.seeds).size >= 5, `${name} ${mode}: ${d.seeds}`);
        assert.ok(d.trainer.epochs >= 10 && d.trainer.patience >= 2, `${name} ${mode}: an epoch cap with early stopping`);
        for (const c of spec.claims ?? []) assert.ok(d.methods.some((m) => m.label === c.method) && d.methods.some((m) => m.label === c.base), `${name} ${mode}: claim '${c.id}' has both its methods`);
      }
    }
  }
  assert.equal((momentCrossMainDefaults('evidence') as { base: string }).base, MC_BASE);
  assert.equal(momentCrossAblationDefaults('quick').base, 'Moment&Cross');
});
