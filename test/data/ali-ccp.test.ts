// Ali-CCP loaders on synthetic fixtures written by the seeded generator below, in the exact original layout
// (sample_skeleton + common_features with \x01 / \x02 / \x03 feature lists) and the processed layout (torch-rechub's
// header). No real rows: ids, values and labels are drawn from `Rng`. Label rates are raised above the real ones
// (click 10%, conversion given click 20%) so that 200 rows hold conversions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ALI_CCP_DENSE_FIELDS,
  ALI_CCP_PROCESSED_MIN_FREQUENCY,
  ALI_CCP_SPARSE_FIELDS,
  ALI_CCP_STREAM_DEFAULTS,
  ALI_CCP_VOCAB_DEFAULTS,
  type AliCcpSource,
  aliCcpAvailability,
  aliCcpDefaultMinFrequency,
  aliCcpSchema,
  aliCcpVocabCachePath,
  buildAliCcpVocab,
  loadAliCcp,
  loadAliCcpVocab,
  streamAliCcp,
} from '../../src/data/ali-ccp.ts';
import { CsvError } from '../../src/data/csv.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import { validateSchema } from '../../src/data/schema.ts';
import { Rng } from '../../src/random.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'reclab-ali-ccp-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => fs.mkdtempSync(path.join(root, `d${dirs++}-`));

// ---- seeded generator -------------------------------------------------------------------------------------------
type Entry = [field: string, id: number, value: string];
interface Sample {
  click: number;
  conversion: number;
  common: string;
  own: Entry[];
}
interface Fixture {
  samples: Sample[];
  commons: Array<{ key: string; feats: Entry[] }>;
}
const COMMON_SINGLE = ['101', '121', '122', '124', '125', '126', '127', '128', '129'];
const COMMON_LISTS = ['109_14', '110_14', '127_14', '150_14'];
const OWN = ['205', '206', '207', '210', '216', '508', '509', '702', '853', '301'];
const POOL: Record<string, number> = { '101': 30, '121': 98, '122': 14, '124': 3, '125': 8, '126': 4, '127': 4, '128': 3, '129': 5, '205': 120, '206': 40, '207': 80, '210': 60, '216': 70, '508': 90, '509': 90, '702': 90, '853': 90, '301': 4, '109_14': 40, '110_14': 60, '127_14': 50, '150_14': 50 };
const DENSE = new Set<string>(ALI_CCP_DENSE_FIELDS);

/** A skewed id of a field: a global-looking raw id (7 digits), frequent for small draws. */
function id(rng: Rng, field: string): number {
  const i = Math.floor(POOL[field] * rng.uniform() ** 2.5);
  return 1_000_000 + ALI_CCP_SPARSE_FIELDS.indexOf(field as (typeof ALI_CCP_SPARSE_FIELDS)[number]) * 100_000 + i * 7;
}
function entry(rng: Rng, field: string): Entry {
  return [field, id(rng, field), DENSE.has(field) ? (rng.uniform() * 6).toFixed(5) : '1.0'];
}
function generate(seed: number, n = 200, nCommon = 24): Fixture {
  const rng = new Rng(seed);
  const commons = Array.from({ length: nCommon }, () => {
    const key = Array.from({ length: 16 }, () => '0123456789abcdef'[rng.int(16)]).join('');
    const feats = COMMON_SINGLE.map((f) => entry(rng, f));
    for (const f of COMMON_LISTS) for (let k = 1 + rng.int(4); k > 0; k--) feats.push(entry(rng, f)); // multi-valued
    return { key, feats };
  });
  const samples = Array.from({ length: n }, () => {
    const own: Entry[] = [];
    for (const f of OWN) {
      if ((f === '216' || f === '853') && rng.bernoulli(0.2)) continue; // sometimes missing
      for (let k = f === '210' ? 1 + rng.int(3) : 1; k > 0; k--) own.push(entry(rng, f));
    }
    const click = rng.bernoulli(0.1) ? 1 : 0;
    const conversion = click && rng.bernoulli(0.2) ? 1 : 0;
    return { click, conversion, common: commons[rng.int(nCommon)].key, own };
  });
  return { samples, commons };
}
const list = (es: Entry[]) => es.map(([f, i, v]) => `${f}\x02${i}\x03${v}`).join('\x01');
function writeOriginal(dir: string, part: string, fx: Fixture): { skeleton: string; common: string } {
  const skeleton = path.join(dir, `sample_skeleton_${part}.csv`);
  const common = path.join(dir, `common_features_${part}.csv`);
  fs.writeFileSync(skeleton, fx.samples.map((s, i) => `${i + 1},${s.click},${s.conversion},${s.common},${s.own.length},${list(s.own)}\n`).join(''));
  fs.writeFileSync(common, fx.commons.map((c) => `${c.key},${c.feats.length},${list(c.feats)}\n`).join(''));
  return { skeleton, common };
}
/** The joined features of a sample as upstream reads them: the last entry of a field wins, common over own. */
function joined(fx: Fixture, s: Sample): Map<string, Entry> {
  const m = new Map<string, Entry>();
  for (const e of [...s.own, ...fx.commons.find((c) => c.key === s.common)!.feats]) m.set(e[0], e);
  return m;
}
/** The processed layout with raw ids (0 = missing) and unscaled dense values. */
function writeProcessed(file: string, fx: Fixture): string {
  const header = ['click', 'purchase', ...ALI_CCP_SPARSE_FIELDS, ...ALI_CCP_DENSE_FIELDS.map((f) => `D${f}`)];
  const rows = fx.samples.map((s) => {
    const m = joined(fx, s);
    return [s.click, s.conversion, ...ALI_CCP_SPARSE_FIELDS.map((f) => m.get(f)?.[1] ?? 0), ...ALI_CCP_DENSE_FIELDS.map((f) => m.get(f)?.[2] ?? '0')].join(',');
  });
  fs.writeFileSync(file, [header.join(','), ...rows].join('\n') + '\n');
  return file;
}
/** Expected codes of a field from the generator's truth: 0 missing, 1 rare, 2 + rank of kept ids. */
function expectedCodes(train: Fixture, data: Fixture, field: string, minFrequency: number): Int32Array {
  const counts = new Map<number, number>();
  for (const s of train.samples) {
    const e = joined(train, s).get(field);
    if (e) counts.set(e[1], (counts.get(e[1]) ?? 0) + 1);
  }
  const kept = [...counts].filter(([, c]) => c >= minFrequency).map(([i]) => i).sort((a, b) => a - b);
  return Int32Array.from(data.samples, (s) => {
    const e = joined(data, s).get(field);
    return e === undefined ? 0 : kept.includes(e[1]) ? 2 + kept.indexOf(e[1]) : 1;
  });
}
function sameData(a: Dataset, b: Dataset): void {
  assert.equal(a.size, b.size);
  assert.deepEqual(a.columnNames(), b.columnNames());
  for (const c of a.columnNames()) assert.deepEqual(a.column(c), b.column(c), `column ${c}`);
}
async function rejects(p: Promise<unknown>, line: number, column: string | undefined, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CsvError, `expected a CsvError, got ${String(e)}`);
    assert.equal(e.line, line);
    assert.equal(e.column, column);
    assert.match(e.message, message);
    return true;
  });
}

const TRAIN = generate(1);
const TEST = generate(2, 120, 16);
const dir = newDir();
const origTrain = writeOriginal(dir, 'train', TRAIN);
const origTest = writeOriginal(dir, 'test', TEST);
const procTrain = writeProcessed(path.join(dir, 'ali_ccp_train.csv'), TRAIN);

// ---- tests ------------------------------------------------------------------------------------------------------
test('defaults: vocab min frequency 10, chunks of 262,144 rows, inconsistent rows are errors', () => {
  assert.deepEqual(ALI_CCP_VOCAB_DEFAULTS, { minFrequency: 10, maxRows: Infinity, dropInconsistent: false });
  assert.deepEqual(ALI_CCP_STREAM_DEFAULTS, { chunkRows: 262_144, maxRows: Infinity, dropInconsistent: false });
});

test('aliCcpSchema: 23 categorical f<field> columns sized by the vocabulary, 8 dense D<field>, labels click and conversion', async () => {
  const vocab = await buildAliCcpVocab(origTrain, { cache: false });
  const schema = validateSchema(aliCcpSchema(vocab));
  assert.equal(schema.features.filter((f) => f.kind === 'categorical').length, 23);
  assert.deepEqual(schema.features.filter((f) => f.kind === 'dense').map((f) => f.name), ['D109_14', 'D110_14', 'D127_14', 'D150_14', 'D508', 'D509', 'D702', 'D853']);
  assert.deepEqual(schema.features[0], { kind: 'categorical', name: 'f101', vocab: vocab.fields['101'].vocab });
  assert.deepEqual(schema.labels, ['click', 'conversion']);
  assert.equal(schema.userId, 'f101');
});

for (const minFrequency of [10, 3, 1]) {
  test(`original layout, minFrequency ${minFrequency}: joined common features, 0 missing / 1 OOV / 2.. kept, labels`, async () => {
    const vocab = await buildAliCcpVocab(origTrain, { minFrequency, cache: false });
    const ds = await loadAliCcp(origTrain, { vocab });
    assert.equal(ds.size, 200);
    for (const f of ALI_CCP_SPARSE_FIELDS) assert.deepEqual(ds.column(`f${f}`), expectedCodes(TRAIN, TRAIN, f, minFrequency), `field ${f}`);
    assert.deepEqual(ds.label('click'), Float32Array.from(TRAIN.samples, (s) => s.click));
    assert.deepEqual(ds.label('conversion'), Float32Array.from(TRAIN.samples, (s) => s.conversion));
    // The test split is encoded with the train vocabulary: its unseen ids are OOV (1).
    const test = await loadAliCcp(origTest, { vocab });
    for (const f of ['205', '101', '210']) assert.deepEqual(test.column(`f${f}`), expectedCodes(TRAIN, TEST, f, minFrequency), `test field ${f}`);
  });
}

test('original layout: min frequency 10 really filters (some ids kept, some OOV, some missing) and counts distinct ids', async () => {
  const vocab = await buildAliCcpVocab(origTrain, { cache: false });
  const col = (await loadAliCcp(origTrain, { vocab })).column('f205');
  assert.ok(col.includes(0) === false && col.includes(1) && col.some((c) => c >= 2));
  assert.ok((await loadAliCcp(origTrain, { vocab })).column('f853').includes(0)); // missing in some rows
  assert.ok(vocab.fields['205'].distinct > vocab.fields['205'].ids.length);
  assert.equal(vocab.fields['205'].vocab, vocab.fields['205'].ids.length + 2);
  assert.equal(vocab.rows, 200);
});

test('original layout: dense fields are min-max scaled with the train range; a missing dense field is 0 before scaling', async () => {
  const vocab = await buildAliCcpVocab(origTrain, { cache: false });
  const ds = await loadAliCcp(origTrain, { vocab });
  for (const f of ALI_CCP_DENSE_FIELDS) {
    const raw = TRAIN.samples.map((s) => Number(joined(TRAIN, s).get(f)?.[2] ?? 0));
    const [lo, hi] = [Math.min(...raw), Math.max(...raw)];
    assert.deepEqual(vocab.dense[f], { min: lo, max: hi });
    const got = ds.column(`D${f}`);
    raw.forEach((v, i) => assert.ok(Math.abs(got[i] - (v - lo) / (hi - lo)) < 1e-6, `D${f} row ${i}`));
  }
  const unscaled = await loadAliCcp(origTrain, { vocab, scaleDense: false });
  assert.equal(unscaled.column('D508')[0], Math.fround(Number(joined(TRAIN, TRAIN.samples[0]).get('508')![2])));
});

test('processed layout equals the original layout for the same samples (same vocabulary, same codes, same scaling)', async () => {
  const vo = await buildAliCcpVocab(origTrain, { cache: false });
  const vp = await buildAliCcpVocab(procTrain, { cache: false, minFrequency: 10 });
  assert.deepEqual(vp.fields, vo.fields);
  assert.deepEqual(vp.dense, vo.dense);
  sameData(await loadAliCcp(procTrain, { vocab: vp, scaleDense: true }), await loadAliCcp(origTrain, { vocab: vo }));
  // Processed files are already scaled upstream: by default the dense values pass through.
  const plain = await loadAliCcp(procTrain, { vocab: vp });
  assert.equal(plain.column('D509')[3], Math.fround(Number(joined(TRAIN, TRAIN.samples[3]).get('509')?.[2] ?? 0)));
});

/**
 * The processed layout as torch-rechub's preprocess_ali_ccp.py writes it: per field, raw ids seen >= 10 times in train
 * get 1..K in first-appearance order, every other id (rare or missing) is 0; the same map encodes the test file.
 */
function writePublishedProcessed(file: string, fx: Fixture, maps: Map<string, Map<number, number>>): string {
  const header = ['click', 'purchase', ...ALI_CCP_SPARSE_FIELDS, ...ALI_CCP_DENSE_FIELDS.map((f) => `D${f}`)];
  const rows = fx.samples.map((s) => {
    const m = joined(fx, s);
    const ids = ALI_CCP_SPARSE_FIELDS.map((f) => (m.has(f) ? ((maps.get(f) as Map<number, number>).get(m.get(f)![1]) ?? 0) : 0));
    return [s.click, s.conversion, ...ids, ...ALI_CCP_DENSE_FIELDS.map((f) => (Number(m.get(f)?.[2] ?? 0) / 6).toFixed(6))].join(',');
  });
  fs.writeFileSync(file, [header.join(','), ...rows].join('\n') + '\n');
  return file;
}
function upstreamMaps(train: Fixture): Map<string, Map<number, number>> {
  const maps = new Map<string, Map<number, number>>();
  for (const f of ALI_CCP_SPARSE_FIELDS) {
    const count = new Map<number, number>();
    for (const s of train.samples) {
      const e = joined(train, s).get(f);
      if (e) count.set(e[1], (count.get(e[1]) ?? 0) + 1);
    }
    maps.set(f, new Map([...count].filter(([, c]) => c >= 10).map(([id], i) => [id, i + 1])));
  }
  return maps;
}

test('processed layout (published form, ids already cut upstream): the default vocabulary keeps every id; no second frequency cut', async () => {
  assert.equal(aliCcpDefaultMinFrequency(procTrain), ALI_CCP_PROCESSED_MIN_FREQUENCY);
  assert.equal(ALI_CCP_PROCESSED_MIN_FREQUENCY, 1);
  assert.equal(aliCcpDefaultMinFrequency(origTrain), 10);
  const d = newDir();
  const maps = upstreamMaps(TRAIN);
  const train = writePublishedProcessed(path.join(d, 'ali_ccp_train.csv'), TRAIN, maps);
  const valid = writePublishedProcessed(path.join(d, 'ali_ccp_val.csv'), TEST, maps);
  const vocab = await buildAliCcpVocab(train, { cache: false });
  assert.equal(vocab.minFrequency, 1);
  const ds = await loadAliCcp(train, { vocab });
  for (const f of ALI_CCP_SPARSE_FIELDS) {
    const up = [...(maps.get(f) as Map<number, number>).values()];
    const col = ds.column(`f${f}`);
    // Upstream id k (1..K) -> 2 + rank of k among the ids seen; upstream 0 (rare / missing) -> 0. Never OOV in train.
    const seen = [...new Set(TRAIN.samples.map((s) => { const e = joined(TRAIN, s).get(f); return e ? (maps.get(f) as Map<number, number>).get(e[1]) ?? 0 : 0; }))].filter((k) => k > 0).sort((a, b) => a - b);
    assert.equal(vocab.fields[f].vocab, seen.length + 2, `field ${f}`);
    assert.ok(!col.includes(1), `field ${f}: no train id may be OOV`);
    TRAIN.samples.forEach((s, i) => {
      const e = joined(TRAIN, s).get(f);
      const k = e ? (maps.get(f) as Map<number, number>).get(e[1]) ?? 0 : 0;
      assert.equal(col[i], k === 0 ? 0 : 2 + seen.indexOf(k), `field ${f} row ${i}`);
    });
    assert.ok(seen.length <= up.length);
  }
  // On a small sample of the processed file (what a user tries first), a second cut of 10 made most item-side ids
  // (205 item id, 206 category, ...) OOV; the default keeps them all.
  const sample = writePublishedProcessed(path.join(d, 'sample.csv'), { commons: TRAIN.commons, samples: TRAIN.samples.slice(0, 60) }, maps);
  const kept = await loadAliCcp(sample, { vocab: await buildAliCcpVocab(sample, { cache: false }) });
  const twice = await loadAliCcp(sample, { vocab: await buildAliCcpVocab(sample, { cache: false, minFrequency: 10 }) });
  for (const f of ['205', '206', '207']) {
    assert.equal(kept.column(`f${f}`).filter((c) => c === 1).length, 0, `field ${f}`);
    const ids = kept.column(`f${f}`).filter((c) => c >= 2).length;
    const oov = twice.column(`f${f}`).filter((c) => c === 1).length;
    assert.ok(ids > 0 && oov > 0 && (f === '207' || oov === ids), `field ${f}: ${oov} of ${ids} kept ids become OOV under a second cut`);
  }
  // Validation rows use the train vocabulary: upstream ids absent from train become OOV, upstream 0 stays 0.
  const v = await loadAliCcp(valid, { vocab });
  assert.equal(v.size, TEST.samples.length);
  assert.ok(v.column('f205').every((c) => c >= 0 && c < vocab.fields['205'].vocab));
  // Processed dense values are already scaled: they pass through.
  assert.equal(ds.column('D509')[3], Math.fround(Number((Number(joined(TRAIN, TRAIN.samples[3]).get('509')?.[2] ?? 0) / 6).toFixed(6))));
});

for (const [layout, source] of [
  ['original', origTrain],
  ['processed', procTrain],
] as Array<[string, AliCcpSource]>) {
  for (const chunkRows of [1, 37, 200, 1000]) {
    test(`streamAliCcp ${layout}, chunkRows ${chunkRows}: chunks of that size whose concatenation equals the one-shot load`, async () => {
      const vocab = await buildAliCcpVocab(source, { cache: false });
      const whole = await loadAliCcp(source, { vocab });
      const s = streamAliCcp(source, { vocab, chunkRows });
      const sizes: number[] = [];
      const rowsSeen: Array<Record<string, number | number[]>> = [];
      for await (const chunk of s) {
        sizes.push(chunk.size);
        for (let i = 0; i < chunk.size; i++) rowsSeen.push(chunk.row(i));
      }
      const full = Math.floor(200 / chunkRows);
      assert.deepEqual(sizes, [...Array<number>(full).fill(chunkRows), ...(200 % chunkRows ? [200 % chunkRows] : [])]);
      assert.deepEqual(rowsSeen, Array.from({ length: whole.size }, (_, i) => whole.row(i)));
      assert.deepEqual({ rows: s.stats.rows, dropped: s.stats.dropped, done: s.stats.done }, { rows: 200, dropped: 0, done: true });
    });
  }
}

test('streamAliCcp / loadAliCcp: maxRows reads only the first rows; onProgress ends with done', async () => {
  const vocab = await buildAliCcpVocab(procTrain, { cache: false });
  const seen: boolean[] = [];
  const ds = await loadAliCcp(procTrain, { vocab, maxRows: 50, onProgress: (p) => seen.push(p.done) });
  assert.equal(ds.size, 50);
  assert.equal(seen.at(-1), true);
  sameData(ds, (await loadAliCcp(procTrain, { vocab })).take(Int32Array.from({ length: 50 }, (_, i) => i)));
});

test('vocabulary cache: written as JSON next to the data, reused while unchanged, rebuilt for new options or a changed file', async () => {
  const d = newDir();
  const src = writeOriginal(d, 'train', TRAIN);
  const cache = aliCcpVocabCachePath(src);
  assert.equal(cache, path.join(d, 'reclab-vocab-sample_skeleton_train-min10.json'));
  const v1 = await buildAliCcpVocab(src);
  assert.deepEqual(loadAliCcpVocab(cache), v1);
  const marked = { ...v1, rows: -7 };
  fs.writeFileSync(cache, JSON.stringify(marked));
  assert.equal((await buildAliCcpVocab(src)).rows, -7, 'an unchanged source reuses the cache');
  assert.equal((await buildAliCcpVocab(src, { maxRows: 100 })).rows, 100, 'other options rebuild');
  fs.appendFileSync(src.skeleton, `201,0,0,${TRAIN.commons[0].key},1,205\x021000007\x031.0\n`);
  assert.equal((await buildAliCcpVocab(src)).rows, 201, 'a changed file rebuilds');
  // Without a vocab option, streamAliCcp builds (and caches) the source's own.
  const ds = await loadAliCcp(src);
  assert.equal(ds.size, 201);
  fs.writeFileSync(cache, '{"format":"reclab-ali-ccp-vocab/1","typo":1}');
  await assert.rejects(buildAliCcpVocab(src), /not an Ali-CCP vocabulary/);
});

test('vocabulary of many distinct ids, small and beyond 2^32 (direct array and hash table growth), with counts exact', async () => {
  const rng = new Rng(5);
  const ids = Array.from({ length: 6000 }, (_, i) => (i % 3 === 0 ? 1 + rng.int(2500) : i % 3 === 1 ? 1e12 + rng.int(2500) * 7919 : 1 + rng.int(2 ** 24)));
  const fx: Fixture = { commons: TRAIN.commons, samples: ids.map((x, i) => ({ ...TRAIN.samples[i % 200], own: [['205', x, '1.0'], ...TRAIN.samples[i % 200].own.filter((e) => e[0] !== '205')] })) };
  const file = writeProcessed(path.join(newDir(), 'ali_ccp_train.csv'), fx);
  const counts = new Map<number, number>();
  for (const x of ids) counts.set(x, (counts.get(x) ?? 0) + 1);
  for (const minFrequency of [1, 2, 3]) {
    const vocab = await buildAliCcpVocab(file, { minFrequency, cache: false });
    const kept = [...counts].filter(([, c]) => c >= minFrequency).map(([x]) => x).sort((a, b) => a - b);
    assert.deepEqual(vocab.fields['205'].ids, kept, `minFrequency ${minFrequency}`);
    assert.equal(vocab.fields['205'].distinct, counts.size);
    const rank = new Map(kept.map((x, i) => [x, i + 2]));
    assert.deepEqual((await loadAliCcp(file, { vocab })).column('f205'), Int32Array.from(ids, (x) => rank.get(x) ?? 1));
  }
});

test('original layout: common_feature_index keys that are not 16 hex digits work too', async () => {
  const d = newDir();
  const rename = (k: string) => `user-${k.slice(0, 5)}`;
  const fx: Fixture = { commons: TRAIN.commons.map((c) => ({ ...c, key: rename(c.key) })), samples: TRAIN.samples.map((s) => ({ ...s, common: rename(s.common) })) };
  const src = writeOriginal(d, 'train', fx);
  const vocab = await buildAliCcpVocab(origTrain, { cache: false });
  sameData(await loadAliCcp(src, { vocab }), await loadAliCcp(origTrain, { vocab }));
});

test('a vocabulary of the other layout is rejected', async () => {
  const vocab = await buildAliCcpVocab(procTrain, { cache: false });
  await assert.rejects(loadAliCcp(origTrain, { vocab }), /built from the processed layout, this source is original/);
});

test('conversion without click: an error naming file, line and data row by default; dropInconsistent drops and counts', async () => {
  const d = newDir();
  const fx: Fixture = { commons: TRAIN.commons, samples: TRAIN.samples.map((s, i) => (i === 41 || i === 150 ? { ...s, click: 0, conversion: 1 } : s)) };
  const orig = writeOriginal(d, 'train', fx);
  const proc = writeProcessed(path.join(d, 'ali_ccp_train.csv'), fx);
  await rejects(buildAliCcpVocab(orig, { cache: false }), 42, 'conversion', /sample_skeleton_train\.csv:42: column 'conversion': data row 42: conversion = 1 with click = 0/);
  await rejects(buildAliCcpVocab(proc, { cache: false }), 43, 'conversion', /ali_ccp_train\.csv:43: .*data row 42: conversion = 1 with click = 0.*dropInconsistent/);
  const vocab = await buildAliCcpVocab(orig, { cache: false, dropInconsistent: true });
  assert.equal(vocab.dropped, 2);
  assert.equal(vocab.rows, 198);
  await rejects(loadAliCcp(orig, { vocab }), 42, 'conversion', /data row 42/);
  const s = streamAliCcp(orig, { vocab, dropInconsistent: true, chunkRows: 64 });
  let n = 0;
  for await (const c of s) n += c.size;
  assert.deepEqual([n, s.stats.rows, s.stats.dropped, s.stats.lines], [198, 198, 2, 200]);
});

/** Writes the fixture with one line replaced (1-based; in the processed file line 1 is the header). */
function corrupt(layout: 'original' | 'processed', lineNo: number, edit: (line: string) => string): AliCcpSource {
  const d = newDir();
  const src = layout === 'original' ? writeOriginal(d, 'train', TRAIN) : writeProcessed(path.join(d, 'ali_ccp_train.csv'), TRAIN);
  const file = typeof src === 'string' ? src : src.skeleton;
  const lines = fs.readFileSync(file, 'latin1').split('\n');
  lines[lineNo - 1] = edit(lines[lineNo - 1]);
  fs.writeFileSync(file, lines.join('\n'), 'latin1');
  return src;
}
/** Replaces the id of the first entry of `field` in a feature-list line (and, with `value`, its value). */
function setEntry(line: string, field: string, id: string, value?: string): string {
  const entries = line.split('\x01');
  const k = entries.findIndex((e) => e.split(',').at(-1)!.startsWith(`${field}\x02`));
  const [head, rest] = [entries[k].slice(0, entries[k].lastIndexOf(`${field}\x02`)), entries[k].split('\x02')[1]];
  entries[k] = `${head}${field}\x02${id}\x03${value ?? rest.split('\x03')[1]}`;
  return entries.join('\x01');
}
const cells = (line: string, j: number, v: string) => line.split(',').map((c, i) => (i === j ? v : c)).join(',');
const cases: Array<[string, 'original' | 'processed', number, (l: string) => string, string | undefined, RegExp]> = [
  ['wrong field count (original)', 'original', 7, (l) => l.split(',').slice(0, 5).join(','), undefined, /line has 5 fields, expected 6 \(sample_id, click/],
  ['bad feature entry', 'original', 9, (l) => l.replace('\x03', ''), 'feature_list', /entry 1 '205\\x021\d+1.0.*separators missing; expected entries field\\x02id\\x03value/],
  ['non-numeric id', 'original', 10, (l) => setEntry(l, '205', 'abc'), 'feature_list', /entry 1 .*the id is not an integer/],
  ['non-numeric dense value', 'original', 11, (l) => setEntry(l, '508', '1000007', 'x1'), 'feature_list', /the value 'x1' is not a finite number/],
  ['feature_num disagrees', 'original', 12, (l) => cells(l, 4, '99'), 'feature_num', /got '99', expected the number of entries in feature_list/],
  ['unknown common key', 'original', 13, (l) => cells(l, 3, 'nosuchkey'), 'common_feature_index', /'nosuchkey' is not in the common-features file/],
  ['label 2', 'original', 14, (l) => cells(l, 1, '2'), 'click', /got '2', expected a label 0 or 1/],
  ['wrong field count (processed)', 'processed', 5, (l) => l.split(',').slice(0, 32).join(','), undefined, /line has 32 fields, expected 33 as in the header/],
  ['non-numeric id (processed)', 'processed', 6, (l) => cells(l, 11, 'abc'), '205', /got 'abc', expected an integer id \(0 = missing\)/],
  ['non-numeric dense (processed)', 'processed', 7, (l) => cells(l, 29, '1.2.3'), 'D508', /got '1.2.3', expected a finite number/],
  ['empty line (processed)', 'processed', 8, () => '', undefined, /empty line/],
  ['header column missing', 'processed', 1, (l) => l.replace('D702', 'D7O2'), 'D702', /'D702' not found in the header \(did you mean '.*'\?\); expected the processed Ali-CCP header/],
];
for (const [what, layout, line, edit, column, message] of cases) {
  test(`errors: ${what} -> CsvError at line ${line}${column ? `, column '${column}'` : ''}`, async () => {
    const src = corrupt(layout, line, edit);
    await rejects(buildAliCcpVocab(src, { cache: false }), line, column, message);
  });
}

test('errors: a bad common-features line names that file, line and column', async () => {
  const d = newDir();
  const src = writeOriginal(d, 'train', TRAIN);
  const lines = fs.readFileSync(src.common, 'latin1').split('\n');
  lines[4] = setEntry(lines[4], '101', '-5');
  fs.writeFileSync(src.common, lines.join('\n'), 'latin1');
  await rejects(buildAliCcpVocab(src, { cache: false }), 5, 'feature_list', /common_features_train\.csv:5: column 'feature_list': entry 1 .*not an integer/);
  fs.writeFileSync(src.common, `${TRAIN.commons[0].key},1,101\x025\x031.0\n${TRAIN.commons[0].key},1,101\x025\x031.0\n`);
  await rejects(buildAliCcpVocab(src, { cache: false }), 2, 'common_feature_index', /'[0-9a-f]{16}' appears on an earlier line too/);
});

test('errors: unknown options, bad chunkRows, a file that is not there, no data rows', async () => {
  await assert.rejects(buildAliCcpVocab(procTrain, { minFreq: 3 } as never), /unknown option\(s\) minFreq/);
  assert.throws(() => streamAliCcp(procTrain, { chunkRows: 0 }), /chunkRows must be a positive integer/);
  assert.throws(() => streamAliCcp(procTrain, { chunk: 5 } as never), /unknown option\(s\) chunk/);
  await assert.rejects(buildAliCcpVocab(path.join(dir, 'nope.csv')), /^Error: Ali-CCP: file not found: .*nope\.csv$/);
  await assert.rejects(buildAliCcpVocab(path.join(newDir(), 'nope.csv')), /file not found: .*nope\.csv\nAli-CCP not found in [\s\S]*Tianchi/);
  const empty = path.join(newDir(), 'ali_ccp_train.csv');
  fs.writeFileSync(empty, fs.readFileSync(procTrain, 'utf8').split('\n')[0] + '\n');
  const vocab = await buildAliCcpVocab(procTrain, { cache: false });
  await rejects(loadAliCcp(empty, { vocab }), 2, undefined, /no data rows/);
});

test('aliCcpAvailability: absent files give a message on how to obtain them; present files give the sources', () => {
  const d = newDir();
  const a = aliCcpAvailability(d);
  assert.equal(a.ok, false);
  assert.match(a.message, new RegExp(`Ali-CCP not found in ${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  for (const needle of [/Tianchi/, /dataset 408/, /x-deeplearning/, /sample_skeleton_train\.csv/, /common_features_test\.csv/, /ali_ccp_train\.csv/, /does not redistribute/, /never commit/]) {
    assert.match(a.message, needle);
  }
  writeProcessed(path.join(d, 'ali_ccp_train.csv'), TRAIN);
  writeProcessed(path.join(d, 'ali_ccp_val.csv'), TEST);
  writeProcessed(path.join(d, 'ali_ccp_test.csv'), TEST);
  const p = aliCcpAvailability(d);
  assert.ok(p.ok && p.layout === 'processed' && p.train === path.join(d, 'ali_ccp_train.csv'));
  writeOriginal(d, 'train', TRAIN);
  writeOriginal(d, 'test', TEST);
  const o = aliCcpAvailability(d);
  assert.ok(o.ok && o.layout === 'original');
  assert.deepEqual(o.test, { skeleton: path.join(d, 'sample_skeleton_test.csv'), common: path.join(d, 'common_features_test.csv') });
});
