/**
 * The CTR world: deterministic by seed, config validation, truth kept out of the dataset columns, a ceiling that is
 * a real ceiling (true probabilities beat a model-free baseline), and the designed mechanism present in the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCtrWorld, resolveCtrWorldConfig, CTR_WORLD_DEFAULTS } from '../../src/worlds/ctr-world.ts';
import { groundTruthCeiling } from '../../src/worlds/world.ts';
import { auc } from '../../src/metrics/index.ts';

const small = { users: 400, items: 200, categories: 12, impressionsPerUser: 15 };

test('same seed, same world; another seed, another world', () => {
  const a = generateCtrWorld({ ...small, seed: 1 });
  const b = generateCtrWorld({ ...small, seed: 1 });
  const c = generateCtrWorld({ ...small, seed: 2 });
  assert.deepEqual(Array.from(a.train.label('click')), Array.from(b.train.label('click')));
  assert.deepEqual(Array.from(a.truth.test.click), Array.from(b.truth.test.click));
  assert.notDeepEqual(Array.from(a.truth.test.click.slice(0, 50)), Array.from(c.truth.test.click.slice(0, 50)));
});

test('config: defaults resolve to a copy; unknown keys and bad values are errors', () => {
  const r = resolveCtrWorldConfig({ users: 10 });
  assert.equal(r.items, CTR_WORLD_DEFAULTS.items);
  assert.notEqual(r, CTR_WORLD_DEFAULTS);
  assert.throws(() => resolveCtrWorldConfig({ user: 3 } as never), /ctr-world config: unknown key 'user'/);
  assert.throws(() => resolveCtrWorldConfig({ users: 0 }), /'users' must be a positive integer, got 0/);
  assert.throws(() => resolveCtrWorldConfig({ minHistory: 30, historyLen: 20 }), /minHistory \(30\) > historyLen \(20\)/);
});

test('splits partition the impressions and the truth never appears as a column', () => {
  const w = generateCtrWorld(small);
  assert.equal(w.train.size + w.valid.size + w.test.size, small.users * small.impressionsPerUser);
  for (const part of ['train', 'valid', 'test'] as const) {
    assert.equal(w.truth[part].click.length, w[part].size);
    for (const name of w[part].columnNames()) {
      const col = w[part].column(name);
      if (col.length !== w[part].size) continue;
      assert.notDeepEqual(Array.from(col.slice(0, 100)), Array.from(w.truth[part].click.slice(0, 100)), `column ${name} must not be the truth`);
    }
  }
});

test('the ceiling is the AUC of the true probabilities and is well above chance', () => {
  const w = generateCtrWorld(small);
  const c = groundTruthCeiling(w, 'test', 'click');
  assert.equal(c.auc, auc(w.test.label('click'), w.truth.test.click));
  assert.ok(c.auc > 0.7 && c.auc < 1, `ceiling ${c.auc}`);
  assert.throws(() => groundTruthCeiling(w, 'test', 'buy'), /no ground truth for label 'buy'/);
});

test('mechanism: candidates from a category in the user history are clicked more often', () => {
  const w = generateCtrWorld(small);
  const ds = w.train;
  const cat = ds.column('category_id');
  const hist = ds.column('hist_category_id');
  const y = ds.label('click');
  const L = ds.widthOf('hist_category_id');
  let inHit = 0, inN = 0, outHit = 0, outN = 0;
  for (let r = 0; r < ds.size; r++) {
    const seen = hist.subarray(r * L, (r + 1) * L).includes(cat[r]);
    if (seen) { inN++; inHit += y[r]; } else { outN++; outHit += y[r]; }
  }
  assert.ok(inHit / inN > 2 * (outHit / outN), `CTR in-history ${inHit / inN} vs out ${outHit / outN}`);
});
