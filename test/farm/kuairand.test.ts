/**
 * KuaiRand loader (src/data/kuairand.ts) on synthetic fixtures in the real column layout (written by
 * test/farm/kuairand_fixtures.py): schema and labels, rows in time order, histories = the user's earlier clicked rows
 * with their most valuable behaviour (most recent kept), log selection and maxRows, the availability message, and bad
 * rows reported with file, line and column. A live baseline reads the single-domain layout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.ts';
import { Rng } from '../../src/random.ts';
import { KUAIRAND_TASKS, kuairandAvailability, loadKuaiRand } from '../../src/data/kuairand.ts';
import { CsvError } from '../../src/data/csv.ts';
import { batchOf, toTensors } from '../../src/data/batching.ts';
import { LiveBaseline, liveMultiTaskLoss } from '../../src/models/live-baselines.ts';

const DIR = new URL('../fixtures/kuairand/', import.meta.url).pathname;

function rawRows(file: string): string[][] {
  return readFileSync(join(DIR, file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
}

test('loadKuaiRand: schema, labels, rows in time order, is_rand from the random log', async () => {
  const ds = await loadKuaiRand(DIR, { historyLen: 3 });
  assert.equal(ds.size, 600);
  assert.deepEqual(ds.schema.labels, [...KUAIRAND_TASKS]);
  const ts = ds.column('ts');
  for (let i = 1; i < ds.size; i++) assert.ok(ts[i] >= ts[i - 1], `row ${i} is out of time order`);
  const clicks = rawRows('log_standard_4_08_to_4_21_pure.csv').concat(rawRows('log_standard_4_22_to_5_08_pure.csv'), rawRows('log_random_4_22_to_5_08_pure.csv')).filter((r) => r[5] === '1').length;
  assert.equal(ds.label('click').reduce((a, b) => a + b, 0), clicks);
  assert.equal((ds.column('is_rand') as Int32Array).reduce((a, b) => a + b, 0), 200);
});

test('histories hold the earlier clicked rows of the same user, most recent 3 kept, with the most valuable behaviour', async () => {
  const ds = await loadKuaiRand(DIR, { historyLen: 3, logs: ['standard'] });
  assert.equal(ds.size, 400);
  const users = ds.column('user_id');
  const items = ds.column('item_id');
  const L = 3;
  for (let i = 0; i < ds.size; i++) {
    const expected: number[] = [];
    const actions: number[] = [];
    for (let j = 0; j < i; j++) {
      if (users[j] !== users[i] || ds.label('click')[j] !== 1) continue;
      expected.push(items[j]);
      const a = ds.label('follow')[j] ? 6 : ds.label('forward')[j] ? 5 : ds.label('comment')[j] ? 4 : ds.label('like')[j] ? 3 : ds.label('long_view')[j] ? 2 : 1;
      actions.push(a);
    }
    const keep = expected.slice(-L);
    const row = ds.row(i);
    assert.deepEqual(row.hist_item, [...keep, ...Array(L - keep.length).fill(0)], `row ${i}: hist_item`);
    assert.deepEqual(row.hist_action, [...actions.slice(-L), ...Array(L - keep.length).fill(0)], `row ${i}: hist_action`);
  }
  const small = await loadKuaiRand(DIR, { maxRows: 50 });
  assert.equal(small.size, 50);
});

test('availability names the missing files and where to get the data', () => {
  const a = kuairandAvailability('/nonexistent/kuairand', 'pure');
  assert.equal(a.ok, false);
  assert.match(a.message, /log_standard_4_08_to_4_21_pure\.csv.*zenodo\.org\/records\/10439422.*CC BY-SA 4\.0/s);
  assert.equal(kuairandAvailability(DIR, 'pure').ok, true);
});

test('bad rows are errors naming file, line and column; unknown options too', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'reclab-kuairand-'));
  try {
    const corrupt = async (file: string, line: number, edit: (cells: string[]) => void) => {
      cpSync(DIR, tmp, { recursive: true });
      const lines = readFileSync(join(tmp, file), 'utf8').split('\n');
      const cells = lines[line - 1].split(',');
      edit(cells);
      lines[line - 1] = cells.join(',');
      writeFileSync(join(tmp, file), lines.join('\n'));
      return loadKuaiRand(tmp);
    };
    await assert.rejects(corrupt('log_standard_4_22_to_5_08_pure.csv', 7, (c) => (c[6] = '2')), (e: unknown) => e instanceof CsvError && /log_standard_4_22_to_5_08_pure\.csv:7: column 'is_like': got '2', expected 0 or 1/.test(e.message));
    await assert.rejects(corrupt('log_random_4_22_to_5_08_pure.csv', 3, (c) => (c[1] = '999999')), /log_random_4_22_to_5_08_pure\.csv:3: column 'video_id': video 999999 is not in/);
    await assert.rejects(corrupt('user_features_pure.csv', 4, (c) => (c[0] = 'abc')), /user_features_pure\.csv:4: column 'user_id': got 'abc', expected an integer/);
    await assert.rejects(corrupt('video_features_basic_pure.csv', 1, (c) => (c[1] = 'author')), /video_features_basic_pure\.csv:1: column 'author_id': header lacks column/);
    await assert.rejects(loadKuaiRand(DIR, { histLen: 3 } as never), /loadKuaiRand: unknown option 'histLen'/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a live baseline reads the single-domain KuaiRand layout and gets finite gradients', async () => {
  const ds = await loadKuaiRand(DIR, { historyLen: 5 });
  const columns = { svHistory: [], liveHistory: ['hist_item', 'hist_author', 'hist_category', 'hist_action'], candidate: ['item_id', 'author_id', 'category_id'], exclude: ['is_rand'] };
  const m = new LiveBaseline(new Rng(1), ds.schema, 'live-ple', { columns, embeddingDim: 4, ple: { levels: 1, expertHidden: [8], tower: [4] } });
  tf.tidy(() => {
    const batch = toTensors(ds, batchOf(ds, Int32Array.from({ length: 128 }, (_, i) => i)));
    const { value, grads } = tf.variableGrads(() => liveMultiTaskLoss('click')(m.apply(batch, { training: true }), batch), [...m.trainableVariables().values()]);
    assert.ok(Number.isFinite(value.dataSync()[0]));
    for (const g of Object.values(grads)) assert.ok(g.dataSync().every(Number.isFinite));
  });
  m.dispose();
});
