/**
 * The funnel world: deterministic by seed, strict config, calibrated rates, the truth kept out of the columns,
 * conversion only after a click (and the label check loaders reuse), the selection-bias knob measured from the truth,
 * and ceilings that match the entire-space evaluation of the true probabilities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFunnelLabels, featuresOnlyCvrCeiling, funnelCeilings, funnelWorldSchema, generateFunnelWorld, resolveFunnelWorldConfig, FunnelWorldConfigSpec,
  FUNNEL_TRUTH, FUNNEL_WORLD_DEFAULTS, type FunnelWorldConfig,
} from '../../src/worlds/funnel-world.ts';
import { groundTruthCeiling, type WorldData } from '../../src/worlds/world.ts';
import { Dataset } from '../../src/data/dataset.ts';
import { evaluateEntireSpace } from '../../src/train/evaluate-cvr.ts';
import { auc } from '../../src/metrics/index.ts';

const small: Partial<FunnelWorldConfig> = { users: 300, items: 200, categories: 10, sellers: 20, exposuresPerUser: 20 };
const PARTS = ['train', 'valid', 'test'] as const;

/** Mean truth p_cvr over the clicked rows and over all rows of every part together. */
function cvrGap(w: WorldData): { clicked: number; exposure: number } {
  let sO = 0, nO = 0, sD = 0, nD = 0;
  for (const part of PARTS) {
    const click = w[part].label('click');
    const p = w.truth[part][FUNNEL_TRUTH.pCvr];
    for (let i = 0; i < p.length; i++) {
      sD += p[i];
      nD++;
      if (click[i] === 1) { sO += p[i]; nO++; }
    }
  }
  return { clicked: sO / nO, exposure: sD / nD };
}

test('same seed, same world; another seed, another world', () => {
  const a = generateFunnelWorld({ ...small, seed: 1 });
  const b = generateFunnelWorld({ ...small, seed: 1 });
  const c = generateFunnelWorld({ ...small, seed: 2 });
  assert.deepEqual(Array.from(a.train.label('conversion')), Array.from(b.train.label('conversion')));
  assert.deepEqual(Array.from(a.truth.test.p_cvr), Array.from(b.truth.test.p_cvr));
  assert.notDeepEqual(Array.from(a.truth.test.p_cvr.slice(0, 50)), Array.from(c.truth.test.p_cvr.slice(0, 50)));
});

test('config: defaults resolve to a copy; unknown keys and bad values are errors naming the key', () => {
  const r = resolveFunnelWorldConfig({ users: 10 });
  assert.equal(r.items, FUNNEL_WORLD_DEFAULTS.items);
  assert.equal(r.users, 10);
  assert.notEqual(r, FUNNEL_WORLD_DEFAULTS);
  assert.equal(FUNNEL_WORLD_DEFAULTS.users * FUNNEL_WORLD_DEFAULTS.exposuresPerUser, 120_000);
  assert.throws(() => resolveFunnelWorldConfig({ selectionBais: 1 } as never), /funnel-world config: unknown key 'selectionBais'/);
  assert.throws(() => resolveFunnelWorldConfig({ users: 0 }), /funnel-world config: 'users'/);
  assert.throws(() => resolveFunnelWorldConfig({ clickRate: 1.5 }), /'clickRate'.*1\.5/);
  assert.throws(() => resolveFunnelWorldConfig({ selectionBias: -1 }), /'selectionBias'/);
  assert.throws(() => resolveFunnelWorldConfig({ validShare: 0.5, testShare: 0.5 }), /validShare \+ testShare must be < 1/);
  assert.throws(() => resolveFunnelWorldConfig({ items: 5, categories: 10 }), /items \(5\) must be at least categories/);
  assert.throws(() => generateFunnelWorld({ ...small, selectionBias: 0, ambiguousShare: 0.4 }), /ambiguousShare 0\.4 is out of reach with selectionBias 0/);
  assert.equal(FunnelWorldConfigSpec.safeParse({ user: 3 }).success, false, 'the JSON schema rejects a misspelt key');
  assert.equal(FunnelWorldConfigSpec.safeParse({ users: 3, ambiguousShare: null }).success, true);
});

test('splits partition the exposures; only features and the two labels are columns, never the truth', () => {
  const w = generateFunnelWorld(small);
  assert.equal(w.train.size + w.valid.size + w.test.size, 300 * 20);
  const c = resolveFunnelWorldConfig(small);
  assert.deepEqual(w.train.columnNames().sort(), [...funnelWorldSchema(c).features.map((f) => f.name), 'click', 'conversion', 'ts'].sort());
  for (const part of PARTS) {
    assert.deepEqual(Object.keys(w.truth[part]).sort(), Object.values(FUNNEL_TRUTH).sort());
    for (const [name, t] of Object.entries(w.truth[part])) {
      assert.equal(t.length, w[part].size, `truth ${name} has one value per row`);
      for (const col of w[part].columnNames()) {
        assert.notDeepEqual(Array.from(w[part].column(col).slice(0, 200)), Array.from(t.slice(0, 200)), `column ${col} must not be the truth ${name}`);
      }
    }
  }
});

test('conversion only after a click: conversion = click x the counterfactual label; p_ctcvr = p_ctr p_cvr', () => {
  const w = generateFunnelWorld(small);
  for (const part of PARTS) {
    const click = w[part].label('click');
    const conv = w[part].label('conversion');
    const t = w.truth[part];
    for (let i = 0; i < click.length; i++) {
      assert.equal(conv[i], click[i] * t[FUNNEL_TRUTH.cfConversion][i], `${part} row ${i}`);
      assert.ok(Math.abs(t[FUNNEL_TRUTH.pCtcvr][i] - t[FUNNEL_TRUTH.pCtr][i] * t[FUNNEL_TRUTH.pCvr][i]) < 1e-6);
    }
    const counts = checkFunnelLabels(w[part], 'click', 'conversion', part);
    assert.equal(counts.exposures, w[part].size);
    assert.ok(counts.conversions <= counts.clicks && counts.clicks > 0);
  }
});

test('rates are calibrated to the knobs; ambiguousShare sets the unclicked share that would convert', () => {
  const w = generateFunnelWorld({ ...small, exposuresPerUser: 40, clickRate: 0.1, conversionRate: 0.25 });
  let sumCtr = 0, sumCtcvr = 0, n = 0;
  for (const part of PARTS) {
    for (let i = 0; i < w[part].size; i++) {
      sumCtr += w.truth[part].click[i];
      sumCtcvr += w.truth[part].conversion[i];
      n++;
    }
  }
  assert.ok(Math.abs(sumCtr / n - 0.1) < 1e-4, `mean p_ctr ${sumCtr / n}`);
  assert.ok(Math.abs(sumCtcvr / sumCtr - 0.25) < 1e-4, `click-space CVR ${sumCtcvr / sumCtr}`);
  for (const target of [0.05, 0.4]) {
    const a = generateFunnelWorld({ ...small, exposuresPerUser: 40, ambiguousShare: target });
    let num = 0, den = 0;
    for (const part of PARTS) {
      for (let i = 0; i < a[part].size; i++) {
        num += (1 - a.truth[part].click[i]) * a.truth[part].p_cvr[i];
        den += 1 - a.truth[part].click[i];
      }
    }
    assert.ok(Math.abs(num / den - target) < 1e-3, `ambiguous share ${num / den} vs ${target}`);
  }
});

test('selection bias: rho = 0 leaves clicked-space CVR ~ exposure-space CVR; a strong rho opens the gap', () => {
  // With rho = 0 the click and conversion factors are drawn independently; what remains is a finite-world chance
  // correlation (a few hundredths at this size), far below the gap a strong rho opens.
  const none = cvrGap(generateFunnelWorld({ ...small, exposuresPerUser: 40, selectionBias: 0 }));
  const strong = cvrGap(generateFunnelWorld({ ...small, exposuresPerUser: 40, selectionBias: 2.5 }));
  const gap0 = none.clicked - none.exposure;
  const gap = strong.clicked - strong.exposure;
  assert.ok(Math.abs(gap0) < 0.04, `no bias: clicked ${none.clicked} vs exposure ${none.exposure}`);
  assert.ok(gap > 0.1 && gap > 4 * Math.abs(gap0), `strong bias: clicked ${strong.clicked} vs exposure ${strong.exposure} (rho = 0 gap ${gap0})`);
});

test('checkFunnelLabels: a conversion without a click is a data error naming the source and row', () => {
  const schema = { features: [{ kind: 'categorical' as const, name: 'u', vocab: 5 }], labels: ['click', 'buy'] };
  const ds = Dataset.fromColumns(schema, { u: Int32Array.of(1, 2, 3, 4), click: Float32Array.of(1, 0, 0, 1), buy: Float32Array.of(1, 0, 1, 0) });
  assert.throws(() => checkFunnelLabels(ds, 'click', 'buy', 'sample.csv'), /sample\.csv: row 2: 'buy' is 1 but 'click' is 0/);
  const ok = Dataset.fromColumns(schema, { u: Int32Array.of(1, 2), click: Float32Array.of(1, 0), buy: Float32Array.of(1, 0) });
  assert.deepEqual(checkFunnelLabels(ok, 'click', 'buy', 'x'), { exposures: 2, clicks: 1, conversions: 1 });
  assert.throws(() => checkFunnelLabels(ok, 'clk', 'buy', 'x'), /no label 'clk'/);
});

test('ceilings: the true probabilities scored like a model, all well above chance', () => {
  const w = generateFunnelWorld({ ...small, exposuresPerUser: 40 });
  const c = funnelCeilings(w, 'test');
  const t = w.truth.test;
  const asModel = evaluateEntireSpace(w.test, t, { ctr: t.click, cvr: t.p_cvr, ctcvr: t.conversion });
  assert.deepEqual(c, asModel);
  assert.equal(c.ctcvrAuc, groundTruthCeiling(w, 'test', 'conversion').auc);
  for (const [k, v] of Object.entries(c)) if (k !== 'cvrLoglossClicked') assert.ok(v > 0.65 && v < 1, `${k} = ${v}`);
  const stripped: WorldData = { ...w, truth: { ...w.truth, test: { click: t.click } } };
  assert.throws(() => funnelCeilings(stripped, 'test'), /funnelCeilings: world 'funnel-world' has no truth 'conversion'/);
  const fo = featuresOnlyCvrCeiling(w, 'test');
  assert.equal(fo, auc(t.conversion_if_clicked, t.p_cvr_x), 'P(would convert | x) scored against the counterfactual labels');
  assert.equal(w.config.intentShare, 0, 'this world has no unlogged intent ...');
  assert.equal(fo, c.cvrAucEntire, '... so P(would convert | x) is p_cvr and the two ceilings agree');
  const intent = generateFunnelWorld({ ...small, exposuresPerUser: 40, intentShare: 0.5 });
  const foIntent = featuresOnlyCvrCeiling(intent, 'test');
  const cIntent = funnelCeilings(intent, 'test').cvrAucEntire;
  assert.ok(foIntent > 0.5 && foIntent < cIntent - 0.005, `with unlogged intent the features-only ceiling ${foIntent} is below the intent-aware one ${cIntent}`);
  assert.throws(() => featuresOnlyCvrCeiling(stripped, 'test'), /featuresOnlyCvrCeiling: world 'funnel-world' has no truth 'p_cvr_x'/);
});
