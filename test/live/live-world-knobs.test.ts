/**
 * The live world's mechanism knobs, probed against its truth: session bursts (`burstStrength`, FARM's mechanism) —
 * the spectrum of the short-video action sequence predicts the valuable behaviour's true probability beyond the
 * sequence mean when the knob is on and not when it is 0 (`spectralProbe`), and the signal sits in the recent steps
 * (the row's shift-invariant power spectrum carries next to none of it); popularity drift (`popularityDrift`,
 * Moment&Cross's non-stationarity) — absent at 0 (truth all zeros), and with it on the live click probability follows
 * the drift and the crowd's real-time CTR sees it; long short-video histories (`svPastClicks`, Moment&Cross's search) —
 * history-only past clicks fill the short-video history, and the share of it in the candidate's category tracks the
 * user's true taste for the candidate better than the logged clicks alone. The knobs leave the rest of the world
 * unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateLiveWorld, LIVE_WORLD_SIZES, resolveLiveWorldConfig } from '../../src/worlds/live-world.ts';
import { spectralProbe } from '../../src/worlds/live-world-probe.ts';

const BASE = { ...LIVE_WORLD_SIZES.tiny, users: 500, eventsPerUser: 100, liveShare: 0.3, svHistoryLen: 50, seed: 4 };
const off = generateLiveWorld({ ...BASE, burstStrength: 0 });

function corr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i] / n; mb += b[i] / n; }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return sab / Math.sqrt(saa * sbb);
}

test('burstStrength: the sequence spectrum predicts the hidden engagement state beyond the sequence mean when on (R² gain > 0.01; the shift-invariant power spectrum does not), and the valuable behaviour not at all when 0 (|gain| < 0.008); the rest of the world is unchanged', () => {
  const on = generateLiveWorld({ ...BASE, burstStrength: 3 });
  const p0 = spectralProbe(off, { target: 'like_given_click', window: 8 });
  const p1 = spectralProbe(on, { target: 'engaged', window: 8 });
  assert.ok(Math.abs(p0.gain) < 0.008, `knob 0: spectral gain ${p0.gain}`);
  assert.ok(p1.gain > 0.01, `knob 3: spectral gain ${p1.gain} (mean-only R² ${p1.r2Mean}, spectral ${p1.r2Spectral})`);
  // The signal is in where the valuable steps are relative to the present: the row's power spectrum, which a circular
  // shift leaves unchanged (all FARM sees without recency embeddings), carries next to none of it.
  const p1Power = spectralProbe(on, { target: 'engaged', window: 8, spectrum: 'shift-invariant' });
  assert.ok(p1Power.gain < 0.005 && p1Power.gain < p1.gain / 4, `knob 3: shift-invariant gain ${p1Power.gain} against the recent window's ${p1.gain}`);
  assert.throws(() => spectralProbe(on, { target: 'engaged', window: 8, spectrum: 'phase' as 'recent' }), /spectralProbe: spectrum must be recent or shift-invariant, got 'phase'/);
  assert.ok(off.truth.test.engaged.every((h) => h === 0), 'no engagement state at 0');
  assert.ok(on.truth.test.engaged.every((h) => h === 1 || h === -1), 'h = +-1 when on');
  assert.deepEqual(Array.from(on.test.column('item_id')), Array.from(off.test.column('item_id')), 'same impressions');
  assert.throws(() => resolveLiveWorldConfig({ burstStrength: -1 }), /live-world config: 'burstStrength'/);
});

test('popularityDrift: 0 leaves no drift; on, the live click truth and the crowd CTR follow the drift', () => {
  assert.ok(off.truth.test.popularity.every((x) => x === 0), 'no drift at 0');
  const on = generateLiveWorld({ ...BASE, days: 3, popularityDrift: 1 });
  const drift = on.truth.test.popularity;
  assert.ok(drift.some((x) => Math.abs(x) > 0.5), 'drift is present');
  const logit = Float64Array.from(on.truth.test.click, (p) => Math.log(p / (1 - p)));
  assert.ok(corr(drift, logit) > 0.3, `click logit follows the drift (corr ${corr(drift, logit)})`);
  const ctr = on.test.column('rt_ctr');
  const ctr5 = Float64Array.from({ length: on.test.size }, (_, r) => ctr[r * 3 + 2]);
  assert.ok(corr(drift, ctr5) > 0.1, `the crowd's 5-minute CTR sees the drift (corr ${corr(drift, ctr5)})`);
});

/** Per live row: the share of the short-video history in the candidate's category (the hard search's matches). */
function categoryShare(w: ReturnType<typeof generateLiveWorld>): Float64Array {
  const L = w.test.widthOf('hist_sv_category');
  const cats = w.test.column('hist_sv_category');
  const cand = w.test.column('category_id');
  return Float64Array.from({ length: w.test.size }, (_, r) => {
    let n = 0;
    let same = 0;
    for (let j = 0; j < L; j++) {
      const c = cats[r * L + j];
      if (c === 0) continue;
      n++;
      if (c === cand[r]) same++;
    }
    return n ? same / n : 0;
  });
}

test('svPastClicks: history-only past clicks fill the short-video history, whose category share then tracks the true taste for the candidate better; rows, labels and live histories unchanged', () => {
  const long = { ...BASE, svHistoryLen: 128 };
  const none = generateLiveWorld(long);
  const past = generateLiveWorld({ ...long, svPastClicks: 100 });
  const filled = (w: typeof none) => {
    const ids = w.test.column('hist_sv_item');
    let n = 0;
    for (const v of ids) if (v !== 0) n++;
    return n / w.test.size;
  };
  assert.ok(filled(none) < 40, `logged clicks only: ${filled(none)} items`);
  assert.ok(filled(past) > 100, `with 100 past clicks: ${filled(past)} items`);
  for (const col of ['item_id', 'hist_live_item', 'click', 'like']) assert.deepEqual(Array.from(past.test.column(col)), Array.from(none.test.column(col)), `${col} unchanged`);
  // Past items are real short videos: ids 1..V with their own author and category.
  const ids = past.test.column('hist_sv_item');
  assert.ok(Array.from(ids).every((v) => v >= 0 && v <= past.videos), 'short-video ids only');
  const taste = Float64Array.from(past.truth.test.like_given_click, (p) => Math.log(p / (1 - p)));
  const r0 = corr(categoryShare(none), taste);
  const r1 = corr(categoryShare(past), taste);
  assert.ok(r1 > r0 + 0.05, `category share vs the true like logit: ${r0.toFixed(3)} logged only, ${r1.toFixed(3)} with the past clicks`);
  assert.throws(() => resolveLiveWorldConfig({ svPastClicks: -1 }), /live-world config: 'svPastClicks'/);
});
