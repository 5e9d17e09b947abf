/**
 * The short-video + live-streaming world: determinism, exposure ratio, calibrated label rates, label consistency,
 * informative rare behaviours, observable moments, no leakage of the truth into features, config errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auc } from '../../src/metrics/index.ts';
import {
  generateLiveWorld, liveCeilings, resolveLiveWorldConfig, streamOfItem, LIVE_TASKS, LIVE_WORLD_SIZES, WINDOW_SECONDS,
  type LiveWorldData,
} from '../../src/worlds/live-world.ts';
import { rtFeatures, type LiveRooms } from '../../src/worlds/live-world-rooms.ts';

const world = generateLiveWorld(LIVE_WORLD_SIZES.tiny);
const small = (seed: number, extra = {}): LiveWorldData => generateLiveWorld({ ...LIVE_WORLD_SIZES.tiny, users: 300, seed, ...extra });
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

test('same seed, same world; another seed, another world', () => {
  const a = small(5);
  const b = small(5);
  const c = small(6);
  for (const col of ['item_id', 'hist_sv_item', 'rt_counts', 'click', 'like']) {
    assert.deepEqual(a.train.column(col), b.train.column(col), `column ${col} differs between equal seeds`);
  }
  assert.deepEqual(a.truth.test.gift, b.truth.test.gift);
  assert.notDeepEqual(a.train.column('item_id'), c.train.column('item_id'));
});

test('exposure ratio short video : live follows liveShare (9:1 by default, 4:1 at 0.2)', () => {
  const r = world.stats.shortVideoImpressions / world.stats.liveImpressions;
  assert.ok(r > 7.5 && r < 11, `ratio ${r}`);
  const w2 = small(2, { liveShare: 0.2 });
  const r2 = w2.stats.shortVideoImpressions / w2.stats.liveImpressions;
  assert.ok(r2 > 3.2 && r2 < 4.8, `ratio at liveShare 0.2: ${r2}`);
  assert.equal(world.train.size + world.valid.size + world.test.size, world.stats.liveRows);
  assert.ok([...world.train.column('domain')].every((d) => d === 1) && [...world.shortVideo.test.column('domain')].every((d) => d === 0));
});

test('label rates match the configured rates within binomial tolerance', () => {
  const c = resolveLiveWorldConfig(LIVE_WORLD_SIZES.tiny);
  for (const part of ['train', 'test'] as const) {
    for (const t of LIVE_TASKS) {
      const y = world[part].label(t);
      const p = world.truth[part][t];
      const expected = p.reduce((s, v) => s + v, 0);
      const sd = Math.sqrt(p.reduce((s, v) => s + v * (1 - v), 0));
      const observed = y.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(observed - expected) <= 4 * sd + 1, `${part} ${t}: ${observed} positives, expected ${expected.toFixed(1)} ± ${sd.toFixed(1)}`);
    }
  }
  const all = LIVE_TASKS.map((t) => mean([...world.truth.train[t], ...world.truth.test[t]]));
  LIVE_TASKS.forEach((t, k) => assert.ok(Math.abs(all[k] - c.rates[t]) < 0.25 * c.rates[t], `${t}: mean truth ${all[k]} vs target ${c.rates[t]}`));
  assert.ok(Math.abs(mean(world.shortVideo.train.label('click')) - c.svRates.click) < 0.03);
  assert.equal(world.shortVideo.train.label('gift').reduce((s, v) => s + v, 0), 0, 'short videos have no gifts');
});

test('labels are consistent: every behaviour needs a click; effective view = watch >= T; short views are negatives', () => {
  const T = resolveLiveWorldConfig(LIVE_WORLD_SIZES.tiny).effectiveViewSeconds;
  const ds = world.train;
  const w = world.logs.train.watchSeconds;
  let shortViews = 0;
  for (let r = 0; r < ds.size; r++) {
    for (const t of LIVE_TASKS) if (ds.label(t)[r] === 1) assert.equal(ds.label('click')[r], 1, `row ${r}: ${t} without a click`);
    if (ds.label('click')[r] === 1) {
      assert.equal(ds.label('effective_view')[r], w[r] >= T ? 1 : 0, `row ${r}: watch ${w[r]} s`);
      if (w[r] < 3) shortViews++;
    } else assert.equal(w[r], 0);
    for (const t of LIVE_TASKS) assert.equal(world.logs.train.delay[t][r] >= 0, ds.label(t)[r] === 1, `row ${r}: delay of ${t}`);
  }
  assert.ok(shortViews > 0, 'some clicks are short views (< 3 s)');
  assert.ok(world.watch.train.givenClick.every((v) => v > 0 && Number.isFinite(v)));
});

test('rare behaviours carry preference: like ceiling above chance; a liked history item predicts liking more than a clicked one', () => {
  const ceil = liveCeilings(world, 'test');
  console.log(`live-world tiny ceilings (test AUC): ${LIVE_TASKS.map((t) => `${t} ${ceil[t].auc.toFixed(3)}`).join(', ')}`);
  assert.ok(ceil.like.auc > 0.7 && ceil.click.auc > 0.6, `like ${ceil.like.auc}, click ${ceil.click.auc}`);
  const ds = world.train;
  const L = ds.widthOf('hist_sv_category');
  const cat = ds.column('category_id');
  const hc = ds.column('hist_sv_category');
  const ha = ds.column('hist_sv_action');
  const pLike = world.truth.train.like_given_click;
  const rareOnly: number[] = [];
  const clickOnly: number[] = [];
  for (let r = 0; r < ds.size; r++) {
    let rare = false;
    let clicked = false;
    for (let j = 0; j < L; j++) {
      if (hc[r * L + j] === 0 || hc[r * L + j] !== cat[r]) continue;
      if (ha[r * L + j] >= 3) rare = true;
      else clicked = true;
    }
    if (rare && !clicked) rareOnly.push(pLike[r]);
    if (clicked && !rare) clickOnly.push(pLike[r]);
  }
  assert.ok(rareOnly.length > 30, `${rareOnly.length} rows match only liked history items`);
  assert.ok(mean(rareOnly) > 1.3 * mean(clickOnly), `P(like | click): rare-only match ${mean(rareOnly)}, click-only match ${mean(clickOnly)}`);
});

test('moments: the 30 s window counters reveal a highlight and predict clicks', () => {
  const ds = world.train;
  const item = ds.column('item_id');
  const ts = ds.column('ts');
  const ctr = ds.column('rt_ctr');
  const highlight = new Float32Array(ds.size);
  const score = new Float32Array(ds.size);
  for (let r = 0; r < ds.size; r++) {
    const s = streamOfItem(world, item[r]);
    assert.ok(s >= 0 && ts[r] >= world.rooms.start[s], `row ${r} is live and inside its stream`);
    highlight[r] = world.rooms.highlight[world.rooms.offset[s] + Math.floor((ts[r] - world.rooms.start[s]) / WINDOW_SECONDS)];
    score[r] = ctr[r * 3 + 1];
  }
  assert.ok(auc(highlight, score) > 0.62, `highlight AUC of the 60 s CTR: ${auc(highlight, score)}`);
  assert.ok(auc(ds.label('click'), score) > 0.55, `click AUC of the 60 s CTR: ${auc(ds.label('click'), score)}`);
});

test('no leakage: real-time features read only complete earlier windows; no feature beats the ceiling', () => {
  const rooms: LiveRooms = {
    author: Int32Array.of(0), start: Float64Array.of(100), windows: Int32Array.of(4), offset: Int32Array.of(0),
    attractiveness: new Float32Array(4), highlight: new Uint8Array(4), counts: new Int32Array(24),
  };
  const at = (t: number) => {
    const c18 = new Float32Array(18);
    const c3 = new Float32Array(3);
    rtFeatures(rooms, 0, t, c18, c3, 0);
    return Array.from(c18);
  };
  const before = at(100 + 2 * WINDOW_SECONDS + 5); // inside window 2
  rooms.counts.fill(50, 2 * 6, 4 * 6); // the current and later windows
  assert.deepEqual(at(100 + 2 * WINDOW_SECONDS + 5), before, 'counts of the current window are not read');
  rooms.counts.fill(50, 6, 12);
  assert.notDeepEqual(at(100 + 2 * WINDOW_SECONDS + 5), before, 'counts of the previous window are read');

  const ceil = liveCeilings(world, 'train');
  for (const f of world.train.schema.features) {
    if (f.kind !== 'dense' && f.kind !== 'categorical') continue;
    const col = world.train.column(f.name);
    const w = world.train.widthOf(f.name);
    for (let j = 0; j < w; j++) {
      const x = Float32Array.from({ length: world.train.size }, (_, r) => col[r * w + j]);
      for (const t of ['click', 'like'] as const) {
        const a = auc(world.train.label(t), x);
        assert.ok(Math.max(a, 1 - a) < ceil[t].auc, `${f.name}[${j}] alone has AUC ${a} on ${t}, ceiling ${ceil[t].auc}`);
      }
    }
  }
});

test('config errors name the key', () => {
  assert.throws(() => generateLiveWorld({ userz: 3 } as never), /live-world config: .*userz/);
  assert.throws(() => resolveLiveWorldConfig({ liveShare: 1.5 }), /'liveShare'/);
  assert.throws(() => resolveLiveWorldConfig({ rates: { ...resolveLiveWorldConfig().rates, like: 0.5 } }), /'rates.like'/);
});
