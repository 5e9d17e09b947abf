/**
 * The news -> ads world: deterministic by seed, strict config, rates in range (dense news, sparse ads), the truth kept
 * out of the columns, and each of MiNet's three interests carrying signal the config controls: the truth model with
 * one term removed scores a lower AUC on the same labels, and a zero weight removes the term.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateNewsAdsWorld, resolveNewsAdsWorldConfig, targetDomainView, targetHistoryCounts, truthWithout, NEWS_ADS_PRESETS, NEWS_ADS_TRUTH, NEWS_ADS_WORLD_DEFAULTS } from '../../src/worlds/news-ads-world.ts';
import { groundTruthCeiling } from '../../src/worlds/world.ts';
import { auc } from '../../src/metrics/index.ts';

const tiny = NEWS_ADS_PRESETS.tiny;
const world = generateNewsAdsWorld(tiny);
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;

test('same seed, same world; another seed, another world', () => {
  const again = generateNewsAdsWorld(tiny);
  const other = generateNewsAdsWorld({ ...tiny, seed: 99 });
  assert.deepEqual(Array.from(again.train.label('click')), Array.from(world.train.label('click')));
  assert.deepEqual(Array.from(again.truth.test.click), Array.from(world.truth.test.click));
  assert.notDeepEqual(Array.from(other.truth.test.click.slice(0, 50)), Array.from(world.truth.test.click.slice(0, 50)));
});

test('config: defaults resolve to a copy; unknown keys and bad values are errors naming the key', () => {
  const c = resolveNewsAdsWorldConfig({ users: 10 });
  assert.equal(c.adHistoryLen, NEWS_ADS_WORLD_DEFAULTS.adHistoryLen);
  assert.notEqual(c, NEWS_ADS_WORLD_DEFAULTS);
  assert.throws(() => resolveNewsAdsWorldConfig({ user: 3 } as never), /news-ads-world config: 'user' Unrecognized key/);
  assert.throws(() => resolveNewsAdsWorldConfig({ users: 0 }), /news-ads-world config: 'users'/);
  assert.throws(() => resolveNewsAdsWorldConfig({ minNewsHistory: 30 }), /minNewsHistory \(30\) > newsHistoryLen \(20\)/);
});

test('rates: ad CTR 0.15-0.45, news CTR 0.3-0.6; news histories dense, ad histories sparse', () => {
  const ads = mean(world.train.label('click'));
  const news = mean(world.train.label('src_click'));
  assert.ok(ads > 0.15 && ads < 0.45, `ad CTR ${ads}`);
  assert.ok(news > 0.3 && news < 0.6, `news CTR ${news}`);
  const adHist = targetHistoryCounts(world.train);
  const newsHist = targetHistoryCounts(world.train, 'src_hist_item_id');
  assert.ok(mean(newsHist) > 3 * mean(adHist), `news history ${mean(newsHist)} vs ad history ${mean(adHist)}`);
  const none = adHist.filter((n) => n === 0).length / adHist.length;
  assert.ok(none > 0.1 && none < 0.6, `share of rows without ad clicks ${none}`);
});

test('splits partition the rows by time and the truth is never a column', () => {
  const c = resolveNewsAdsWorldConfig(tiny);
  assert.equal(world.train.size + world.valid.size + world.test.size, c.users * c.sessionsPerUser * c.adImpressionsPerSession);
  const maxTrain = Math.max(...Array.from(world.train.column('ts')));
  assert.ok(maxTrain <= Math.min(...Array.from(world.valid.column('ts'))));
  for (const name of world.test.columnNames()) {
    const col = Array.from(world.test.column(name).slice(0, 200));
    for (const key of Object.values(NEWS_ADS_TRUTH)) assert.notDeepEqual(col, Array.from(world.truth.test[key].slice(0, 200)), `column ${name} is not truth ${key}`);
  }
  const view = targetDomainView(world.test);
  assert.deepEqual(view.schema.labels, ['click']);
  assert.ok(view.columnNames().every((n) => !n.startsWith('src_')));
  assert.equal(view.size, world.test.size);
});

test('each interest carries signal: removing its term from the truth lowers the AUC; a zero weight removes it', () => {
  const w = generateNewsAdsWorld({ ...tiny, users: 800 });
  const y = w.test.label('click');
  const ceiling = groundTruthCeiling(w, 'test', 'click').auc;
  assert.ok(ceiling > 0.75, `ceiling ${ceiling}`);
  for (const k of ['long', 'shortSource', 'shortTarget'] as const) {
    const without = auc(y, truthWithout(w, 'test', k));
    assert.ok(without < ceiling - 0.03, `${k}: AUC without ${without} vs ceiling ${ceiling}`);
  }
  const noSource = generateNewsAdsWorld({ ...tiny, wShortSource: 0 });
  assert.ok(noSource.truth.test[NEWS_ADS_TRUTH.shortSource].every((x) => x === 0), 'wShortSource = 0 zeroes the term');
  const p = truthWithout(noSource, 'test', 'shortSource');
  assert.ok(p.every((x, i) => Math.abs(x - noSource.truth.test.click[i]) < 1e-5), 'removing a zero term changes nothing');
});

test('knob activityMix: absent at 0 (every user the same mix), present above it (the short-term ad weight follows the observable ad history)', () => {
  const off = generateNewsAdsWorld({ ...tiny, activityMix: 0 });
  assert.ok(off.truth.test[NEWS_ADS_TRUTH.targetMix].every((x) => x === 1), 'activityMix = 0: mix 1 everywhere');
  const on = generateNewsAdsWorld({ ...tiny, activityMix: 0.6 });
  const mix = on.truth.test[NEWS_ADS_TRUTH.targetMix];
  const n = targetHistoryCounts(on.test);
  const seg = (lo: number, hi: number) => mean(Array.from(mix).filter((_, i) => n[i] >= lo && n[i] <= hi));
  const none = seg(0, 0);
  const many = seg(3, 99);
  assert.ok(many > none + 0.3, `short-term ad weight multiplier: ${none} with no ad clicks vs ${many} with 3+`);
  assert.ok(Array.from(mix).every((x) => x > 0.4 && x < 1.6), 'multiplier within 1 ± activityMix');
});

test('knob itemMatch: absent at 0 (no term, the world unchanged), present above it (a candidate-dependent term that carries signal)', () => {
  const off = generateNewsAdsWorld({ ...tiny, activityMix: 0, itemMatch: 0 });
  assert.ok(off.truth.test[NEWS_ADS_TRUTH.match].every((x) => x === 0), 'itemMatch = 0 zeroes the term');
  const w = generateNewsAdsWorld({ ...tiny, users: 800, activityMix: 0, itemMatch: 3 });
  const term = w.truth.test[NEWS_ADS_TRUTH.match];
  assert.ok(Math.abs(mean(term)) < 0.1, `centred over the rows: mean ${mean(term)}`);
  // Candidate-dependent: rows of one session (same user and histories) get different terms.
  const hist = w.test.column('src_hist_item_id');
  const L = w.test.widthOf('src_hist_item_id');
  let sameSession = 0, differs = 0;
  for (let i = 1; i < w.test.size; i++) {
    let same = w.test.column('user_id')[i] === w.test.column('user_id')[i - 1];
    for (let j = 0; same && j < L; j++) same = hist[i * L + j] === hist[(i - 1) * L + j];
    if (!same) continue;
    sameSession++;
    if (Math.abs(term[i] - term[i - 1]) > 1e-3) differs++;
  }
  assert.ok(sameSession > 50 && differs > 0.8 * sameSession, `${differs} of ${sameSession} same-session pairs differ`);
  const y = w.test.label('click');
  const ceiling = groundTruthCeiling(w, 'test', 'click').auc;
  const without = auc(y, truthWithout(w, 'test', 'match'));
  assert.ok(without < ceiling - 0.02, `match: AUC without ${without} vs ceiling ${ceiling}`);
});
