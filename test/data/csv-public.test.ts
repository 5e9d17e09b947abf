// The generic CSV loader on public-style CSVs: the FuxiCTR tiny_csv layout (test/fixtures/fuxictr-tiny/, written by
// its make-fixtures.ts; raw string / integer ids, empty cells, `2017/5/6 0:00` times, a `^`-separated sequence), ISO 8601
// timestamps, a wrong delimiter, a missing file; and the vocabulary and datetime helpers it uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CsvError, delimiterHint, fileProblem, loadCsv, readCsvDataset } from '../../src/data/csv.ts';
import { parseIsoDateTime, parseTimestamp } from '../../src/data/datetime.ts';
import { OOV_ID, VocabularyCounter, vocabularySize } from '../../src/data/vocabulary.ts';
import type { Schema } from '../../src/data/schema.ts';

const FIX = path.join(import.meta.dirname, '../fixtures/fuxictr-tiny');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclab-csv-public-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

const CAT = ['userid', 'adgroup_id', 'pid', 'cate_id', 'campaign_id', 'customer', 'brand', 'cms_segid', 'cms_group_id', 'final_gender_code', 'age_level', 'pvalue_level', 'shopping_level', 'occupation', 'new_user_class_level'];
const SCHEMA: Schema = {
  features: [
    ...CAT.map((name) => ({ kind: 'categorical' as const, name, vocab: 2 })),
    { kind: 'dense', name: 'price' },
    { kind: 'sequence', name: 'click_sequence', vocab: 2, maxLen: 5, sharesWith: 'adgroup_id' },
  ],
  labels: ['clk'],
  userId: 'userid',
  timestamp: 'time_stamp',
};
const ENCODE = [...CAT, 'click_sequence'];

/** The raw cells of a fixture file, by header name (an independent reading: plain split on ','). */
function raw(file: string): Record<string, string[]> {
  const [head, ...rows] = fs.readFileSync(path.join(FIX, file), 'utf8').trim().split('\n');
  const names = head.split(',');
  const cols: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const r of rows) r.split(',').forEach((v, j) => cols[names[j]].push(v));
  return cols;
}
/** Expected ids of a vocabulary built from `values` (empty -> OOV, count < min -> OOV, else 2 + rank by count, ties by first appearance). */
function expectedIds(values: string[], min: number): { ids: number[]; kept: string[] } {
  const count = new Map<string, number>();
  for (const v of values) if (v !== '') count.set(v, (count.get(v) ?? 0) + 1);
  const first = [...count.keys()];
  const kept = first.filter((v) => (count.get(v) as number) >= min).sort((a, b) => (count.get(b) as number) - (count.get(a) as number) || first.indexOf(a) - first.indexOf(b));
  return { ids: values.map((v) => (v === '' || !kept.includes(v) ? OOV_ID : kept.indexOf(v) + 2)), kept };
}

test('FuxiCTR tiny_csv layout: raw ids encoded with min frequency 2, empty cells counted as OOV, 2017/5/6 0:00 times, a ^ sequence sharing adgroup_id', async () => {
  const r = await readCsvDataset(path.join(FIX, 'train_sample.csv'), SCHEMA, { encode: ENCODE, minFrequency: 2, listSeparator: '^' });
  const cells = raw('train_sample.csv');
  const ds = r.dataset;
  assert.equal(ds.size, 160);
  for (const col of ['userid', 'campaign_id', 'brand', 'pid', 'pvalue_level']) {
    const want = expectedIds(cells[col], 2);
    assert.deepEqual([...ds.column(col)], want.ids, `column ${col}`);
    assert.deepEqual(r.vocabularies[col].values, want.kept, `vocabulary of ${col}`);
    assert.equal(ds.schema.features.find((f) => f.name === col && f.kind === 'categorical')?.kind === 'categorical' && (ds.schema.features.find((f) => f.name === col) as { vocab: number }).vocab, want.kept.length + 2);
    assert.equal(r.missing[col], cells[col].filter((v) => v === '').length, `missing ${col}`);
    assert.equal(r.oov[col], want.ids.filter((id, i) => id === OOV_ID && cells[col][i] !== '').length, `oov ${col}`);
  }
  assert.ok(r.missing.brand > 0 && r.oov.campaign_id > 0 && r.missing.pvalue_level > 0, 'the fixture exercises empty and rare values');
  // The sequence shares adgroup_id's vocabulary: one table, counts pooled from both columns.
  assert.equal(r.vocabularies.click_sequence, r.vocabularies.adgroup_id);
  const pooled = expectedIds([...cells.adgroup_id, ...cells.click_sequence.flatMap((c) => (c === '' ? [] : c.split('^')))], 2);
  assert.deepEqual(r.vocabularies.adgroup_id.values, pooled.kept);
  const seq = ds.column('click_sequence');
  const withHistory = cells.click_sequence.findIndex((c) => c.split('^').length >= 2);
  const items = cells.click_sequence[withHistory].split('^');
  assert.deepEqual([...seq.subarray(withHistory * 5, withHistory * 5 + 5)], [...items.map((x) => (pooled.kept.includes(x) ? pooled.kept.indexOf(x) + 2 : OOV_ID)), ...Array(5 - items.length).fill(0)]);
  // Times: 2017-05-06 00:00 UTC plus one minute per row; price and labels pass through.
  assert.equal(ds.column('time_stamp')[0], 1494028800);
  assert.equal(ds.column('time_stamp')[61], 1494028800 + 61 * 60);
  assert.deepEqual([...ds.label('clk')], cells.clk.map(Number));
  assert.equal(ds.column('price')[1], Math.fround(Number(cells.price[1])));
});

test('valid / test files read with the training vocabularies: same ids, unseen values counted as OOV, same vocab sizes', async () => {
  const train = await readCsvDataset(path.join(FIX, 'train_sample.csv'), SCHEMA, { encode: ENCODE, minFrequency: 2, listSeparator: '^' });
  const valid = await readCsvDataset(path.join(FIX, 'valid_sample.csv'), SCHEMA, { encode: ENCODE, listSeparator: '^', vocabularies: train.vocabularies });
  assert.deepEqual(valid.dataset.schema, train.dataset.schema);
  const cells = raw('valid_sample.csv').userid;
  const kept = train.vocabularies.userid.values;
  assert.deepEqual([...valid.dataset.column('userid')], cells.map((v) => (kept.includes(v) ? kept.indexOf(v) + 2 : OOV_ID)));
  assert.equal(valid.oov.userid, cells.filter((v) => !kept.includes(v)).length);
  assert.ok(valid.oov.adgroup_id > 0, 'some validation ads are unseen or rare in train');
  // loadCsv is the same read without the vocabularies.
  const ds = await loadCsv(path.join(FIX, 'valid_sample.csv'), SCHEMA, { encode: ENCODE, listSeparator: '^', vocabularies: train.vocabularies });
  assert.deepEqual(ds.column('adgroup_id'), valid.dataset.column('adgroup_id'));
});

test('encode option errors: unknown or dense columns, a sequence encoded without its shared column, partial vocabularies, bad minFrequency', async () => {
  const f = path.join(FIX, 'train_sample.csv');
  await assert.rejects(readCsvDataset(f, SCHEMA, { encode: ['user'] }), /options\.encode names 'user', which is not a schema feature/);
  await assert.rejects(readCsvDataset(f, SCHEMA, { encode: ['price'] }), /'price', a dense feature/);
  await assert.rejects(readCsvDataset(f, SCHEMA, { encode: ['click_sequence'] }), /'click_sequence' shares 'adgroup_id''s ids; list both in options\.encode or neither/);
  await assert.rejects(readCsvDataset(f, SCHEMA, { encode: ['userid', 'pid'], vocabularies: { userid: { values: [], minFrequency: 1, distinct: 0 } } }), /options\.vocabularies lacks pid/);
  await assert.rejects(readCsvDataset(f, SCHEMA, { encode: ['userid'], minFrequency: 0 }), /minFrequency must be an integer >= 1, got 0/);
  // Raw ids without encoding are out of the declared vocabulary: the error names the column and line.
  await assert.rejects(readCsvDataset(f, SCHEMA, { listSeparator: '^' }), /train_sample\.csv:2: column 'userid': got '\d+', expected an integer id in \[0, 2\)/);
});

test('ISO 8601 timestamps: offsets, fractions, dates; timestampFormat iso8601 rejects the slash form, seconds rejects dates', async () => {
  const s: Schema = { features: [{ kind: 'categorical', name: 'user_id', vocab: 2 }], labels: ['y'], timestamp: 'ts' };
  const f = write('iso.csv', 'user_id,y,ts\na,1,2017-05-06T00:00:00Z\nb,0,2017-05-06T02:30:00+02:00\na,1,2017-05-06 00:00:01.5\nb,0,2017-05-07\n');
  const ds = await loadCsv(f, s, { encode: ['user_id'], timestampFormat: 'iso8601' });
  assert.deepEqual([...ds.column('ts')], [1494028800, 1494028800 + 1800, 1494028801.5, 1494028800 + 86400]);
  await assert.rejects(loadCsv(write('slash.csv', 'user_id,y,ts\na,1,2017/5/6 0:00\n'), s, { encode: ['user_id'], timestampFormat: 'iso8601' }), /slash\.csv:2: column 'ts': got '2017\/5\/6 0:00', expected an ISO 8601 date or date-time/);
  await assert.rejects(loadCsv(f, s, { encode: ['user_id'], timestampFormat: 'seconds' }), /iso\.csv:2: column 'ts': got '2017-05-06T00:00:00Z', expected a finite number of seconds/);
  assert.equal(parseIsoDateTime('2017-05-06T01:00:00+01:00'), 1494028800);
  assert.equal(parseIsoDateTime('2017-05-06T01:00+0100'), 1494028800);
  assert.ok(Number.isNaN(parseIsoDateTime('2017-13-01')) && Number.isNaN(parseIsoDateTime('2017-02-29')) && Number.isNaN(parseIsoDateTime('2017-05-06T24:00')));
  assert.equal(parseIsoDateTime('2016-02-29'), 1456704000);
  assert.equal(parseTimestamp('2017/5/6 13:45'), 1494028800 + 13 * 3600 + 45 * 60);
  assert.equal(parseTimestamp(' 42.5 '), 42.5);
  assert.ok(Number.isNaN(parseTimestamp('2017/5/6 0:00', 'seconds')) && Number.isNaN(parseTimestamp('yesterday')));
});

test('a wrong delimiter: the error shows the header found and names the delimiter to pass', async () => {
  const s: Schema = { features: [{ kind: 'categorical', name: 'user_id', vocab: 10 }, { kind: 'categorical', name: 'video_id', vocab: 10 }], labels: ['is_click'] };
  const f = write('semi.csv', 'user_id;video_id;timestamp;is_click\n1;2;100;1\n');
  await assert.rejects(loadCsv(f, s), (e: unknown) => {
    assert.ok(e instanceof CsvError);
    assert.equal(e.line, 1);
    assert.match(e.message, /semi\.csv:1: column 'user_id': 'user_id' not found in the header; header: user_id;video_id;timestamp;is_click /);
    assert.match(e.message, /\(found: user_id;video_id;timestamp;is_click\)\. The file looks ';'-delimited: pass delimiter: ';'\./);
    return true;
  });
  assert.equal((await loadCsv(f, s, { delimiter: ';' })).size, 1);
  const tabs = write('tabs.csv', 'user_id\tvideo_id\tis_click\n1\t2\t1\n');
  await assert.rejects(loadCsv(tabs, s), /pass delimiter: '\\t'/);
  await assert.rejects(loadCsv(write('nohead.csv', '1;2;1\n'), s, { header: false }), /nohead\.csv:1: line has 1 fields, expected 3 .*\(found: 1;2;1\)\. The file looks ';'-delimited/);
  assert.equal(delimiterHint('a,b,c', ','), '');
  assert.equal(delimiterHint('a|b', ',', 'c'), '');
});

test('a missing file: CsvError with the absolute path looked for and the closest file name; a folder is said to be one', async () => {
  await assert.rejects(loadCsv(path.join(FIX, 'train_sampel.csv'), SCHEMA), (e: unknown) => {
    assert.ok(e instanceof CsvError);
    assert.match(e.message, /train_sampel\.csv:0: file not found \(looked for \/.*fuxictr-tiny\/train_sampel\.csv; did you mean train_sample\.csv\?\)/);
    assert.doesNotMatch(e.message, /ENOENT/);
    return true;
  });
  assert.match(fileProblem(path.join(dir, 'no', 'such', 'x.csv')) as string, /the folder .*no\/such does not exist either/);
  assert.match(fileProblem(FIX) as string, /is a folder, not a file/);
  assert.equal(fileProblem(path.join(FIX, 'train_sample.csv')), null);
});

test('VocabularyCounter: descending count, ties by first appearance, rare values -> OOV; bad minFrequency', () => {
  const c = new VocabularyCounter();
  const prov = ['b', 'a', 'c', 'a', 'b', 'd', 'a'].map((x) => c.add(x));
  assert.deepEqual(prov, [0, 1, 2, 1, 0, 3, 1]);
  const { vocabulary, idOf } = c.finish(2);
  assert.deepEqual(vocabulary, { values: ['a', 'b'], minFrequency: 2, distinct: 4 });
  assert.deepEqual([...idOf], [3, 2, OOV_ID, OOV_ID]);
  assert.equal(vocabularySize(vocabulary), 4);
  assert.deepEqual(c.finish(1).vocabulary.values, ['a', 'b', 'c', 'd']);
  assert.throws(() => c.finish(0.5), /minFrequency must be an integer >= 1/);
});
