import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CSV_DEFAULTS, CsvError, closestName, loadCsv, splitCsvLine, streamCsvColumns } from '../../src/data/csv.ts';
import type { Schema } from '../../src/data/schema.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclab-csv-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const schema: Schema = {
  features: [
    { kind: 'categorical', name: 'user_id', vocab: 10 },
    { kind: 'categorical', name: 'item_id', vocab: 20 },
    { kind: 'multiHot', name: 'tags', vocab: 8, maxLen: 3 },
    { kind: 'sequence', name: 'hist', vocab: 20, maxLen: 4, sharesWith: 'item_id' },
    { kind: 'dense', name: 'price' },
    { kind: 'dense', name: 'emb', dim: 2 },
  ],
  labels: ['click', 'buy'],
  userId: 'user_id',
  timestamp: 'ts',
};
const HEADER = 'user_id,item_id,tags,hist,price,emb,click,buy,ts,extra';
const GOOD = [HEADER, '1,2,1|3,5|6|7,0.5,0.25|-1,1,0,100.5,foo', '9,19,,,-2,0|0,0,1,200,bar', '0,0,7,19|1|2|3,1e3,1.5|2,1,1,300,'].join('\n');
/** A good file with line `line` (1-based, header = 1) replaced. */
function bad(name: string, line: number, text: string): string {
  const lines = GOOD.split('\n');
  lines[line - 1] = text;
  return write(name, lines.join('\n'));
}

test('CSV_DEFAULTS: delimiter , listSeparator | header true ignoreExtraColumns true truncateLists error, no encoding, min frequency 1, timestamps auto', () => {
  assert.deepEqual(CSV_DEFAULTS, { delimiter: ',', listSeparator: '|', header: true, ignoreExtraColumns: true, truncateLists: 'error', encode: [], minFrequency: 1, timestampFormat: 'auto' });
});

test('loadCsv: a good file round-trips values, padding, labels and timestamps', async () => {
  const ds = await loadCsv(write('good.csv', GOOD + '\n'), schema);
  assert.equal(ds.size, 3);
  assert.deepEqual(ds.columnNames(), ['user_id', 'item_id', 'tags', 'hist', 'price', 'emb', 'click', 'buy', 'ts']);
  assert.deepEqual(ds.column('user_id'), new Int32Array([1, 9, 0]));
  assert.deepEqual(ds.column('item_id'), new Int32Array([2, 19, 0]));
  assert.deepEqual(ds.column('tags'), new Int32Array([1, 3, 0, 0, 0, 0, 7, 0, 0]));
  assert.deepEqual(ds.column('hist'), new Int32Array([5, 6, 7, 0, 0, 0, 0, 0, 19, 1, 2, 3]));
  assert.deepEqual(ds.column('price'), new Float32Array([0.5, -2, 1000]));
  assert.deepEqual(ds.column('emb'), new Float32Array([0.25, -1, 0, 0, 1.5, 2]));
  assert.deepEqual(ds.label('click'), new Float32Array([1, 0, 1]));
  assert.deepEqual(ds.label('buy'), new Float32Array([0, 1, 1]));
  assert.deepEqual(ds.column('ts'), new Float64Array([100.5, 200, 300]));
});

test('loadCsv: CRLF line endings, a BOM, spaces around numbers, and quoted fields (RFC 4180)', async () => {
  const text = '\ufeff' + [HEADER, '"1", 2 ,"1|3","5|6|7",0.5,"0.25|-1",1,0,100.5,"a,b ""q"""', '9,19,"",,-2,0|0,0,1,200,x'].join('\r\n') + '\r\n';
  const ds = await loadCsv(write('quoted.csv', text), schema);
  assert.equal(ds.size, 2);
  assert.deepEqual(ds.row(0), { user_id: 1, item_id: 2, tags: [1, 3, 0], hist: [5, 6, 7, 0], price: 0.5, emb: [0.25, -1], click: 1, buy: 0, ts: 100.5 });
  assert.deepEqual(ds.column('tags').subarray(3), new Int32Array([0, 0, 0]));
});

test('loadCsv: options delimiter ;, listSeparator space, columns mapping', async () => {
  const text = ['uid;item_id;tags;hist;price;emb;click;buy;ts', '1;2;1 3;5;0.5;1 2;1;0;7'].join('\n');
  const ds = await loadCsv(write('semi.csv', text), schema, { delimiter: ';', listSeparator: ' ', columns: { user_id: 'uid' } });
  assert.deepEqual(ds.row(0), { user_id: 1, item_id: 2, tags: [1, 3, 0], hist: [5, 0, 0, 0], price: 0.5, emb: [1, 2], click: 1, buy: 0, ts: 7 });
});

test('loadCsv: header false reads fields in schema order; extra trailing fields follow ignoreExtraColumns', async () => {
  const p = write('nohead.csv', '1,2,1|3,5,0.5,1|2,1,0,7,extra\n');
  const ds = await loadCsv(p, schema, { header: false });
  assert.deepEqual(ds.row(0), { user_id: 1, item_id: 2, tags: [1, 3, 0], hist: [5, 0, 0, 0], price: 0.5, emb: [1, 2], click: 1, buy: 0, ts: 7 });
  await assert.rejects(loadCsv(p, schema, { header: false, ignoreExtraColumns: false }), /nohead\.csv:1: line has 10 fields, expected 9/);
});

test('loadCsv: truncateLists keep-first / keep-last cut long lists only when asked', async () => {
  const p = bad('long.csv', 2, '1,2,1|2|3|4,1|2|3|4|5|6,0.5,0|0,1,0,1,');
  await assert.rejects(loadCsv(p, schema), /long\.csv:2: column 'tags': got 4 ids '1\|2\|3\|4', expected at most maxLen 3/);
  const first = await loadCsv(p, schema, { truncateLists: 'keep-first' });
  assert.deepEqual(first.row(0).tags, [1, 2, 3]);
  assert.deepEqual(first.row(0).hist, [1, 2, 3, 4]);
  const last = await loadCsv(p, schema, { truncateLists: 'keep-last' });
  assert.deepEqual(last.row(0).tags, [2, 3, 4]);
  assert.deepEqual(last.row(0).hist, [3, 4, 5, 6]);
});

// [case, line number, line text, expected message]; every message names the file, the line and the column.
const rowCases: Array<[string, number, string, RegExp]> = [
  ['non-numeric id', 3, 'abc,2,,,0,0|0,0,0,1,', /:3: column 'user_id': got 'abc', expected an integer id in \[0, 10\)/],
  ['non-integer id', 2, '1.5,2,,,0,0|0,0,0,1,', /:2: column 'user_id': got '1\.5', expected an integer id/],
  ['negative id', 4, '1,-1,,,0,0|0,0,0,1,', /:4: column 'item_id': got '-1', expected an integer id in \[0, 20\)/],
  ['id = vocab', 2, '10,2,,,0,0|0,0,0,1,', /:2: column 'user_id': got '10', expected an integer id in \[0, 10\)/],
  ['empty id', 2, ',2,,,0,0|0,0,0,1,', /:2: column 'user_id': got an empty cell, expected an integer id/],
  ['id 0 inside a list', 3, '1,2,1|0,,0,0|0,0,0,1,', /:3: column 'tags': got '1\|0': '0' at position 2 \(0 is padding\), expected ids in \[1, 8\)/],
  ['list id = vocab', 2, '1,2,,3|20,0,0|0,0,0,1,', /:2: column 'hist': got '3\|20': '20' at position 2, expected ids in \[1, 20\) joined by '\|'/],
  ['empty id between separators', 2, '1,2,1||2,,0,0|0,0,0,1,', /:2: column 'tags': got '1\|\|2': '' at position 2/],
  ['list longer than maxLen', 2, '1,2,,1|2|3|4|5,0,0|0,0,0,1,', /:2: column 'hist': got 5 ids '1\|2\|3\|4\|5', expected at most maxLen 4/],
  ['NaN dense', 2, '1,2,,,NaN,0|0,0,0,1,', /:2: column 'price': got 'NaN', expected a finite number/],
  ['Infinity dense', 3, '1,2,,,Infinity,0|0,0,0,1,', /:3: column 'price': got 'Infinity', expected a finite number/],
  ['empty dense', 2, '1,2,,,,0|0,0,0,1,', /:2: column 'price': got an empty cell, expected a finite number/],
  ['float32 overflow', 2, '1,2,,,1e39,0|0,0,0,1,', /:2: column 'price': got '1e39', which overflows float32/],
  ['dense dim 2 with 1 value', 2, '1,2,,,0,7,0,0,1,', /:2: column 'emb': got 1 values '7', expected 2 numbers joined by '\|'/],
  ['dense dim 2 with a NaN', 2, '1,2,,,0,1|nan,0,0,1,', /:2: column 'emb': got 'nan' at position 2, expected a finite number/],
  ['label 2', 4, '1,2,,,0,0|0,2,0,1,', /:4: column 'click': got '2', expected a label 0 or 1/],
  ['label yes', 2, '1,2,,,0,0|0,0,yes,1,', /:2: column 'buy': got 'yes', expected a label 0 or 1/],
  ['empty label', 2, '1,2,,,0,0|0,,0,1,', /:2: column 'click': got an empty cell, expected a label 0 or 1/],
  ['bad timestamp', 3, '1,2,,,0,0|0,0,0,x,', /:3: column 'ts': got 'x', expected seconds, an ISO 8601 date-time/],
  ['impossible date', 3, '1,2,,,0,0|0,0,0,2017-02-30,', /:3: column 'ts': got '2017-02-30', expected seconds, an ISO 8601 date-time/],
  ['empty categorical, not encoded', 2, '1,,,,0,0|0,0,0,1,', /:2: column 'item_id': got an empty cell, expected an integer id in \[0, 20\) \(to read empty cells as the OOV id, list 'item_id' in options\.encode\)/],
  ['too few fields', 3, '1,2,,,0,0|0,0,0,1', /:3: line has 9 fields, expected 10 as in the header \(column 'extra' and after are missing\)/],
  ['too many fields', 2, '1,2,,,0,0|0,0,0,1,,', /:2: line has 11 fields, expected 10 as in the header/],
  ['empty line', 3, '', /:3: empty line; expected 10 fields/],
  ['unterminated quote', 2, '1,"2,,,0,0|0,0,0,1,', /:2: unterminated quoted field starting at character 3 \(a newline inside quotes is not supported\)/],
  ['text after a closing quote', 2, '1,"2"x,,,0,0|0,0,0,1,', /:2: unexpected character 'x' after a closing quote/],
  ['quote inside an unquoted field', 2, '1,2"x,,,0,0|0,0,0,1,', /:2: a quote inside the unquoted field '2"x'/],
];
for (const [name, line, text, re] of rowCases) {
  test(`loadCsv rejects ${name} (line ${line}: ${JSON.stringify(text)})`, async () => {
    const file = `bad-${name.replace(/\W+/g, '-')}.csv`;
    const p = bad(file, line, text);
    const err = await loadCsv(p, schema).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CsvError, `not a CsvError: ${String(err)}`);
    assert.match(err.message, new RegExp(file.replace(/\./g, '\\.')));
    assert.match(err.message, re);
    assert.equal(err.file, p);
    assert.equal(err.line, line);
    const col = /column '(\w+)':/.exec(err.message)?.[1];
    assert.equal(err.column, col);
  });
}

test('loadCsv: a schema column missing from the header names it and suggests the closest header name', async () => {
  const p = write('miss.csv', GOOD.replace('user_id', 'userid'));
  await assert.rejects(loadCsv(p, schema), (e: unknown) => {
    assert.ok(e instanceof CsvError);
    assert.match(e.message, /miss\.csv:1: column 'user_id': 'user_id' not found in the header \(did you mean 'userid'\?\); header: userid, item_id, tags/);
    assert.equal(e.column, 'user_id');
    return true;
  });
  await assert.rejects(loadCsv(write('far.csv', GOOD.replace('user_id', 'zzzzzzzz')), schema), /far\.csv:1: column 'user_id': 'user_id' not found in the header; header: zzzzzzzz/);
  await assert.rejects(loadCsv(p, schema, { columns: { user_id: 'uid' } }), /miss\.csv:1: column 'user_id': 'uid' not found in the header/);
});

test('loadCsv: extra columns are an error with ignoreExtraColumns false; duplicate header names are an error', async () => {
  await assert.rejects(loadCsv(write('extra.csv', GOOD), schema, { ignoreExtraColumns: false }), /extra\.csv:1: column 'extra': not in the schema \(extra columns: extra\)/);
  await assert.rejects(loadCsv(write('dup.csv', GOOD.replace('extra', 'click')), schema), /dup\.csv:1: column 'click': header name 'click' appears more than once/);
});

test('loadCsv: an empty file and a header-only file have no data rows', async () => {
  await assert.rejects(loadCsv(write('empty.csv', ''), schema), /empty\.csv:1: no data rows \(the file is empty\)/);
  await assert.rejects(loadCsv(write('head.csv', HEADER + '\n'), schema), /head\.csv:2: no data rows \(only a header line\)/);
});

test('loadCsv: bad options and a missing file are errors', async () => {
  const p = write('opts.csv', GOOD);
  await assert.rejects(loadCsv(p, schema, { delimter: ';' } as Partial<typeof CSV_DEFAULTS>), /unknown option\(s\) delimter/);
  await assert.rejects(loadCsv(p, schema, { delimiter: '' }), /delimiter must be one character/);
  await assert.rejects(loadCsv(p, schema, { listSeparator: ',' }), /listSeparator must differ from the delimiter/);
  await assert.rejects(loadCsv(p, schema, { columns: { userid: 'u' } }), /options\.columns maps 'userid', which is not a schema column/);
  await assert.rejects(loadCsv(p, schema, { header: false, columns: { user_id: 'u' } }), /options\.columns needs a header line/);
  await assert.rejects(loadCsv(path.join(dir, 'nope.csv'), schema), (e: unknown) => e instanceof CsvError && /nope\.csv:0: file not found \(looked for \/.*nope\.csv; /.test(e.message) && !/ENOENT/.test(e.message));
});

test('loadCsv streams: onProgress fires more than once with increasing bytes on a 200k-row file', async () => {
  const s: Schema = { features: [{ kind: 'categorical', name: 'u', vocab: 1000 }, { kind: 'sequence', name: 'h', vocab: 50, maxLen: 3 }], labels: ['y'] };
  const n = 200_000;
  const p = path.join(dir, 'big.csv');
  const fd = fs.openSync(p, 'w');
  fs.writeSync(fd, 'u,h,y\n');
  for (let start = 0; start < n; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < start + 10_000; i++) lines.push(`${i % 1000},${(i % 49) + 1}|${(i % 7) + 1},${i % 2}\n`);
    fs.writeSync(fd, lines.join(''));
  }
  fs.closeSync(fd);
  const fileBytes = fs.statSync(p).size;
  const calls: Array<{ rows: number; bytes: number }> = [];
  const ds = await loadCsv(p, s, { onProgress: (q) => calls.push(q) });
  assert.equal(ds.size, n);
  assert.deepEqual(calls.map((c) => c.rows), [65_536, 131_072, 196_608, n]);
  // bytes read so far: strictly increasing while streaming, then the whole file at the end
  for (let i = 1; i < calls.length - 1; i++) assert.ok(calls[i].bytes > calls[i - 1].bytes, `bytes not increasing: ${JSON.stringify(calls)}`);
  assert.ok(calls[0].bytes < fileBytes / 2, `first report after ${calls[0].bytes} of ${fileBytes} bytes: the file was not streamed`);
  assert.equal(calls[calls.length - 1].bytes, fileBytes);
  assert.deepEqual(ds.row(n - 1), { u: (n - 1) % 1000, h: [((n - 1) % 49) + 1, ((n - 1) % 7) + 1, 0], y: (n - 1) % 2 });
});

test('splitCsvLine: plain, quoted, escaped quotes, delimiters inside quotes, empty fields', () => {
  assert.deepEqual(splitCsvLine('a,b,,c', ','), ['a', 'b', '', 'c']);
  assert.deepEqual(splitCsvLine('1,"a,b","x""y",""', ','), ['1', 'a,b', 'x"y', '']);
  assert.deepEqual(splitCsvLine('"a";b', ';'), ['a', 'b']);
  assert.match(splitCsvLine('"a', ',') as string, /unterminated quoted field/);
});

test('closestName: near typos are suggested, far names are not', () => {
  assert.equal(closestName('user_id', ['userid', 'item']), 'userid');
  assert.equal(closestName('Click', ['click', 'buy']), 'click');
  assert.equal(closestName('user_id', ['price', 'ts']), undefined);
});

test('streamCsvColumns: required columns in order, aliases, field-count rule, errors with file and line', async () => {
  const f = write('cols.csv', '\uFEFFb,rec_level,a\n 2 ,x,1\n\n4,y,3,extra\n');
  const rows: Array<[string[], number]> = [];
  await assert.rejects(streamCsvColumns(f, ['a', 'b'], {}, (c, line) => rows.push([c, line])), (e: unknown) => e instanceof CsvError && e.line === 4 && /cols\.csv:4: 4 fields, the header has 3/.test(e.message));
  assert.deepEqual(rows, [[['1', '2'], 2]]);
  rows.length = 0;
  await streamCsvColumns(f, ['a', 'level'], { aliases: { rec_level: 'level' }, fields: 'at-least' }, (c, line) => rows.push([c, line]));
  assert.deepEqual(rows, [[['1', 'x'], 2], [['3', 'y'], 4]]);
  await assert.rejects(streamCsvColumns(f, ['a', 'z'], {}, () => {}), /header lacks column\(s\) z/);
  await assert.rejects(streamCsvColumns(path.join(dir, 'absent.csv'), ['a'], {}, () => {}), /file not found/);
});
