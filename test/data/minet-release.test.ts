// MiNet's released split (github.com/oywtece/minet data/): headerless 715-column target and 25-column source files
// in one global feature-index space, on the synthetic fixture test/fixtures/minet-release/ (make-fixtures.ts).
// Expected values are recomputed here from the raw files with a plain split, independently of the loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MINET_RELEASE_DEFAULTS, loadMinetRelease, minetReleaseAvailability, minetReleaseFiles } from '../../src/data/minet-release.ts';
import { CsvError } from '../../src/data/csv.ts';
import { validateSchema } from '../../src/data/schema.ts';

const FIX = path.join(import.meta.dirname, '../fixtures/minet-release');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reclab-minet-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const rows = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
/** A copy of the fixture folder with `edit` applied to one file's lines. */
function variant(name: string, file: string, edit: (lines: string[]) => string[]): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  for (const f of fs.readdirSync(FIX).filter((x) => x.endsWith('.csv'))) {
    const text = fs.readFileSync(path.join(FIX, f), 'utf8');
    fs.writeFileSync(path.join(d, f), f === file ? edit(text.trim().split('\n')).join('\n') + '\n' : text);
  }
  return d;
}
/** Checks that compact column `col` is a consistent re-index of raw values (same raw <-> same id, 0 <-> 0); returns raw -> id. */
function bijection(raw: number[], col: ArrayLike<number>, map = new Map<number, number>(), what = ''): Map<number, number> {
  const back = new Map([...map].map(([k, v]) => [v, k]));
  raw.forEach((x, i) => {
    const id = col[i];
    assert.equal(x === 0, id === 0, `${what} row ${i}: 0 must stay 0`);
    if (x === 0) return;
    if (map.has(x)) assert.equal(map.get(x), id, `${what} row ${i}: raw ${x}`);
    else map.set(x, id);
    if (back.has(id)) assert.equal(back.get(id), x, `${what} row ${i}: id ${id} used for two raw values`);
    else back.set(id, x);
  });
  return map;
}

test('files and availability: the repository names; a missing folder says where to download and not to commit', () => {
  assert.deepEqual(MINET_RELEASE_DEFAULTS, { dir: '.reclab/data/minet', targetPrefix: 'Movies_Books', sourcePrefix: 'Books', users: null, seed: 1, maxRows: Infinity });
  assert.equal(minetReleaseFiles('d').target.valid, path.join('d', 'Movies_Books_val.csv'));
  assert.equal(minetReleaseFiles('d').source.test, path.join('d', 'Books_test.csv'));
  assert.equal(minetReleaseAvailability(FIX).ok, true);
  const a = minetReleaseAvailability(path.join(tmp, 'none'));
  assert.equal(a.ok, false);
  assert.equal(a.missing.length, 6);
  assert.match(a.message, /github\.com\/oywtece\/minet[\s\S]*unzip[\s\S]*do not commit/);
});

test('loads the 715 / 25-column files: rows, users, labels, compact per-field ids, histories left-aligned in file order', async () => {
  const { data, stats } = await loadMinetRelease({ dir: FIX });
  const raw = { train: rows('Movies_Books_train.csv'), valid: rows('Movies_Books_val.csv'), test: rows('Movies_Books_test.csv') };
  assert.deepEqual(stats.rows, { train: raw.train.length, valid: raw.valid.length, test: raw.test.length });
  assert.deepEqual(stats.rows, { train: 144, valid: 30, test: 30 });
  assert.equal(stats.users, 30);
  assert.deepEqual(stats.sourceRows, { train: rows('Books_train.csv').length, valid: 29, test: 29 });
  validateSchema(data.train.schema);
  assert.deepEqual(data.train.schema.labels, ['click', 'src_click']);
  assert.equal(data.train.widthOf('hist_item_id'), 10);
  assert.equal(data.train.widthOf('src_hist_item_id'), 20);
  const maps = { user: new Map<number, number>(), item: new Map<number, number>(), cat: new Map<number, number>(), brand: new Map<number, number>(), src: new Map<number, number>() };
  for (const s of ['train', 'valid', 'test'] as const) {
    const r = raw[s];
    const ds = data[s];
    assert.deepEqual([...ds.label('click')], r.map((x) => x[0]), `${s} labels`);
    assert.equal(stats.positives[s], r.reduce((a, x) => a + x[0], 0));
    bijection(r.map((x) => x[1]), ds.column('user_id'), maps.user, `${s} user`);
    bijection(r.map((x) => x[2]), ds.column('item_id'), maps.item, `${s} item_id`);
    bijection(r.map((x) => x[3]), ds.column('item_cat'), maps.cat, `${s} main_cat`);
    bijection(r.map((x) => x[4]), ds.column('item_brand'), maps.brand, `${s} brand`);
    // Target clicks: the non-empty ones (id != 0) in file order, left-aligned, same ids as the target item column.
    const h = ds.column('hist_item_id');
    const hb = ds.column('hist_item_brand');
    r.forEach((x, i) => {
      const clicks = Array.from({ length: 10 }, (_, c) => x.slice(25 + 23 * c, 25 + 23 * c + 3)).filter((c) => c[0] !== 0);
      assert.deepEqual([...h.subarray(i * 10, i * 10 + 10)], [...clicks.map((c) => maps.item.get(c[0]) ?? -1), ...Array(10 - clicks.length).fill(0)], `${s} row ${i} hist_item_id`);
      assert.deepEqual([...hb.subarray(i * 10, i * 10 + clicks.length)], clicks.map((c) => (c[2] === 0 ? 0 : (maps.brand.get(c[2]) ?? -1))), `${s} row ${i} hist_item_brand`);
      const src = Array.from({ length: 20 }, (_, c) => x[255 + 23 * c]).filter((v) => v !== 0);
      const sh = ds.column('src_hist_item_id').subarray(i * 20, i * 20 + 20);
      assert.equal(sh.filter((v) => v !== 0).length, src.length, `${s} row ${i} source clicks`);
      bijection(src, sh.subarray(0, src.length), maps.src, `${s} row ${i} src_hist`);
    });
  }
  assert.equal(stats.vocab.item_id, maps.item.size + 1);
  assert.equal(stats.vocab.user_id, 31);
  assert.equal(stats.fieldCollisions, 0);
  assert.ok(stats.emptyTargetHistory >= 30, 'every user\'s first movie row has no target click');
  assert.ok(stats.tokens > 0);
});

test('pairing: a target row takes its user\'s source row of the same split; a user without one there takes a training source row', async () => {
  const { data, stats } = await loadMinetRelease({ dir: FIX });
  const srcVal = rows('Books_val.csv');
  const srcTrain = rows('Books_train.csv');
  const tgtVal = rows('Movies_Books_val.csv');
  const users = data.valid.column('user_id');
  // Map raw source item -> compact id through the src_hist columns and src_item column consistently.
  const srcIds = new Map<number, number>();
  tgtVal.forEach((x, i) => {
    const own = srcVal.filter((y) => y[1] === x[1]);
    const pair = own.length ? own[0] : srcTrain.find((y) => y[1] === x[1]);
    assert.ok(pair, `user ${x[1]} has a source row`);
    assert.equal(data.valid.label('src_click')[i], pair[0], `val row ${i} src_click`);
    bijection([pair[2]], [data.valid.column('src_item_id')[i]], srcIds, `val row ${i} src_item_id`);
  });
  assert.equal(tgtVal.filter((x) => !srcVal.some((y) => y[1] === x[1])).length, 1, 'user 7 has no source row in val');
  assert.equal(new Set(users).size, 30);
  assert.equal(stats.unpairedTargetRows, 0);
  assert.ok(stats.unusedSourceRows > 0, 'users with more source rows than target rows leave some unused');
});

test('user sampling: a seeded subset of the validation users, the same for the same seed; maxRows cuts each file', async () => {
  const a = await loadMinetRelease({ dir: FIX, users: 10, seed: 3 });
  const b = await loadMinetRelease({ dir: FIX, users: 10, seed: 3 });
  const c = await loadMinetRelease({ dir: FIX, users: 10, seed: 4 });
  assert.equal(a.stats.users, 10);
  assert.equal(a.data.test.size, 10);
  assert.equal(a.data.valid.size, 10);
  assert.deepEqual(a.data.train.column('item_id'), b.data.train.column('item_id'));
  const drawn = a.stats.sampledUserIndices as number[];
  assert.equal(drawn.length, 10);
  assert.deepEqual(drawn, b.stats.sampledUserIndices);
  assert.notDeepEqual(drawn, c.stats.sampledUserIndices);
  const trainRows = rows('Movies_Books_train.csv').filter((r) => drawn.includes(r[1]));
  assert.equal(a.data.train.size, trainRows.length);
  assert.deepEqual([...a.data.train.label('click')], trainRows.map((r) => r[0]));
  const m = await loadMinetRelease({ dir: FIX, maxRows: 50 });
  assert.equal(m.stats.rows.train, 50);
  await assert.rejects(loadMinetRelease({ dir: FIX, users: 0 }), /users must be a positive integer or null/);
  await assert.rejects(loadMinetRelease({ dir: FIX, user: 3 } as never), /unknown option 'user'/);
});

test('labels written as 0.0 / 1.0 and ids as 12.0 read as integers', async () => {
  const d = variant('floats', 'Movies_Books_val.csv', (lines) => lines.map((l) => l.split(',').map((v, j) => (j < 5 ? `${v}.0` : v)).join(',')));
  const { data } = await loadMinetRelease({ dir: d });
  const ref = await loadMinetRelease({ dir: FIX });
  assert.deepEqual(data.valid.label('click'), ref.data.valid.label('click'));
  assert.deepEqual(data.valid.column('item_id'), ref.data.valid.column('item_id'));
});

test('errors name file, line and column: wrong field count (swapped files hinted), a bad cell in a click slot, a label 2, a shifted column', async () => {
  const swapped = path.join(tmp, 'swapped');
  fs.mkdirSync(swapped, { recursive: true });
  for (const f of fs.readdirSync(FIX).filter((x) => x.endsWith('.csv'))) {
    const to = f.startsWith('Movies_Books_') ? f.replace('Movies_Books_', 'Books_') : f.replace('Books_', 'Movies_Books_');
    fs.copyFileSync(path.join(FIX, f), path.join(swapped, to));
  }
  await assert.rejects(loadMinetRelease({ dir: swapped }), (e: unknown) => e instanceof CsvError && e.line === 1 && /Books_train\.csv:1: line has 715 fields, expected 25 \(MiNet's source-domain layout\) — 715 is the target-domain layout: are the file names swapped\?/.test(e.message));
  const bad = variant('badcell', 'Movies_Books_train.csv', (lines) => lines.map((l, i) => (i === 4 ? l.split(',').map((v, j) => (j === 25 + 23 * 2 + 2 ? 'x9' : v)).join(',') : l)));
  await assert.rejects(loadMinetRelease({ dir: bad }), (e: unknown) => e instanceof CsvError && e.line === 5 && e.column === 'tar_clk_3.brand' && /got 'x9', expected a non-negative integer feature index/.test(e.message));
  const label = variant('label', 'Books_val.csv', (lines) => lines.map((l, i) => (i === 2 ? `2${l.slice(1)}` : l)));
  await assert.rejects(loadMinetRelease({ dir: label }), /Books_val\.csv:3: column 'label': got '2', expected a label 0 or 1/);
  // A column shifted by one (user and item id swapped) shows up as indices used by two kinds of field.
  const shifted = variant('shifted', 'Books_train.csv', (lines) => lines.map((l) => { const c = l.split(','); [c[1], c[2]] = [c[2], c[1]]; return c.join(','); }));
  const s = await loadMinetRelease({ dir: shifted });
  assert.ok(s.stats.fieldCollisions > 10, `collisions ${s.stats.fieldCollisions}`);
  await assert.rejects(loadMinetRelease({ dir: path.join(tmp, 'none') }), /MiNet's released Amazon split is not in/);
});

test('the MiNet-family models (MiNet, CoNet, cross-domain DNN) read the loaded release: logit and srcLogit per row', async () => {
  const { getModelSpec } = await import('../../src/models/registry.ts');
  const { Rng } = await import('../../src/random.ts');
  const { batchOf, toTensors } = await import('../../src/data/batching.ts');
  const { tf } = await import('../../src/tf.ts');
  const { data } = await loadMinetRelease({ dir: FIX });
  for (const name of ['minet', 'conet', 'cross-domain-dnn']) {
    const spec = getModelSpec(name);
    const model = spec.create(new Rng(1), data.train.schema, {});
    tf.tidy(() => {
      const out = model.apply(toTensors(data.train, batchOf(data.train, [0, 1, 2, 3, 4])), { training: false });
      assert.deepEqual(out.logit.shape, [5], name);
      assert.deepEqual(out.srcLogit.shape, [5], name);
      assert.ok([...out.logit.dataSync()].every(Number.isFinite));
    });
  }
});
