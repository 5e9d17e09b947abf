// `checkDataset` (reclab data check) on the fixtures of every supported dataset, each in its published layout, and
// on broken folders; `resolveDatasetDir` (--data DIR / env variables); the header checks that let a pipeline reject a
// wrong folder before computing anything (kuaisarAvailability, kuairandAvailability, checkCsvHeader).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATASETS, checkDataset, findDataset, readCsvDatasetSpec, resolveDatasetDir, type DataCheckReport } from '../../src/data/check.ts';
import { checkCsvHeader, csvHeader } from '../../src/data/csv.ts';
import { kuaisarAvailability } from '../../src/data/kuaisar.ts';
import { kuairandAvailability } from '../../src/data/kuairand.ts';
import { ALI_CCP_DENSE_FIELDS, ALI_CCP_SPARSE_FIELDS } from '../../src/data/ali-ccp.ts';
import { Rng } from '../../src/random.ts';

const F = path.join(import.meta.dirname, '../fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reclab-check-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const lines = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n');
/** The report survives JSON (what the CLI prints) and has no problem. */
function good(r: DataCheckReport): DataCheckReport {
  assert.deepEqual(r.problems, [], `${r.dataset}: ${r.problems.join('; ')}`);
  assert.equal(r.ok, true);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  assert.ok(r.files.length > 0 && r.files.every((f) => f.found && (f.bytes ?? 0) > 0));
  return r;
}

/** A processed Ali-CCP folder as torch-rechub writes it: encoded ids (0 = rare / missing), scaled dense values. */
function aliCcpFolder(): string {
  const d = path.join(tmp, 'ali-ccp');
  fs.mkdirSync(d, { recursive: true });
  const rng = new Rng(9);
  const header = ['click', 'purchase', ...ALI_CCP_SPARSE_FIELDS, ...ALI_CCP_DENSE_FIELDS.map((f) => `D${f}`)].join(',');
  for (const [name, n, allZero] of [['ali_ccp_train.csv', 120, false], ['ali_ccp_val.csv', 40, false], ['ali_ccp_test.csv', 40, true]] as const) {
    const rows = Array.from({ length: n }, () => {
      const click = !allZero && rng.bernoulli(0.2) ? 1 : 0;
      const buy = click && rng.bernoulli(0.3) ? 1 : 0;
      return [click, buy, ...ALI_CCP_SPARSE_FIELDS.map((_, k) => rng.int(k === 0 ? 15 : 30)), ...ALI_CCP_DENSE_FIELDS.map(() => rng.uniform().toFixed(4))].join(',');
    });
    fs.writeFileSync(path.join(d, name), [header, ...rows].join('\n') + '\n');
  }
  return d;
}

test('DATASETS: one entry per supported dataset, found by name or alias', () => {
  assert.deepEqual(DATASETS.map((d) => d.name), ['kuaisar-r', 'kuairand', 'ali-ccp', 'amazon-2014', 'minet', 'cdrib', 'movielens-1m', 'csv']);
  assert.equal(findDataset('KuaiSAR')?.name, 'kuaisar-r');
  assert.equal(findDataset('ml-1m')?.name, 'movielens-1m');
  assert.equal(findDataset('cdr')?.name, 'cdrib');
  assert.equal(findDataset('nope'), undefined);
  assert.ok(DATASETS.every((d) => d.licence.length > 0 && d.source.length > 0));
});

test('kuaisar-r: leave-one-out parts, users, videos, positives; a wrong folder lists every missing file at once', async () => {
  const dir = path.join(F, 'kuaisar/ok');
  const r = good(await checkDataset('kuaisar-r', dir));
  const df = lines(path.join(dir, 'df.csv')).slice(1).map((l) => l.split(','));
  assert.deepEqual(r.parts.map((p) => p.split), ['train', 'valid', 'test']);
  assert.equal(r.parts.reduce((a, p) => a + p.rows, 0), df.length);
  assert.equal(r.parts.reduce((a, p) => a + (p.positives?.is_click ?? 0), 0), df.filter((x) => x[3] === '1').length);
  assert.equal(r.parts[2].rows, new Set(df.map((x) => x[0])).size, 'one test row per user');
  const bad = await checkDataset('kuaisar-r', path.join(F, 'cdrib'));
  assert.equal(bad.ok, false);
  assert.equal(bad.problems.length, 3);
  assert.match(bad.problems.join('\n'), /df\.csv:0: file not found[\s\S]*user_features\.csv:0: file not found[\s\S]*video_features\.csv:0: file not found/);
  assert.match(bad.notes.join(' '), /AAAI-25-MRFF/);
});

test('kuairand: standard and random-exposure parts whose rows add up to the log files', async () => {
  const r = good(await checkDataset('kuairand', path.join(F, 'kuairand')));
  const n = (f: string) => lines(path.join(F, 'kuairand', f)).length - 1;
  assert.equal(r.parts[0].rows, n('log_standard_4_08_to_4_21_pure.csv') + n('log_standard_4_22_to_5_08_pure.csv'));
  assert.equal(r.parts[1].rows, n('log_random_4_22_to_5_08_pure.csv'));
  const clicks = lines(path.join(F, 'kuairand', 'log_random_4_22_to_5_08_pure.csv')).slice(1).filter((l) => l.split(',')[5] === '1').length;
  assert.equal(r.parts[1].positives?.click, clicks);
  const capped = await checkDataset('kuairand', path.join(F, 'kuairand'), { maxRows: 50 });
  assert.equal(capped.parts.reduce((a, p) => a + p.rows, 0), 50);
});

test('ali-ccp (processed layout): parts per split, OOV per field on valid / test, an all-negative test split is a problem', async () => {
  const dir = aliCcpFolder();
  const r = await checkDataset('ali-ccp', dir);
  assert.deepEqual(r.parts.map((p) => [p.split, p.rows]), [['train', 120], ['valid', 40], ['test', 40]]);
  assert.equal(r.oov.train.f205, 0, 'no second frequency cut on processed ids');
  assert.ok(Object.values(r.oov.valid).every((x) => x >= 0));
  const clicks = lines(path.join(dir, 'ali_ccp_train.csv')).slice(1).filter((l) => l.startsWith('1,')).length;
  assert.equal(r.parts[0].positives?.click, clicks);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems, ['test: every row has click = 0: AUC is undefined on this split.']);
  assert.match(r.notes[0], /processed layout; vocabulary from train with min frequency 1/);
});

test('amazon-2014, minet release, movielens-1m: parts per split and domain from the fixtures', async () => {
  const a = good(await checkDataset('amazon-2014', path.join(F, 'amazon')));
  assert.deepEqual(a.parts.map((p) => `${p.split}/${p.domain}`), ['train/Movies_and_TV', 'train/Books', 'valid/Movies_and_TV', 'valid/Books', 'test/Movies_and_TV', 'test/Books']);
  const m = good(await checkDataset('minet', path.join(F, 'minet-release')));
  assert.deepEqual(m.parts.filter((p) => p.domain?.startsWith('Movies')).map((p) => p.rows), [144, 30, 30]);
  assert.deepEqual(m.parts.filter((p) => p.domain?.startsWith('Books')).map((p) => p.rows), [124, 29, 29]);
  assert.ok(m.oov.valid.item_id > 0, 'validation items that no training row holds');
  const ml = good(await checkDataset('movielens-1m', path.join(F, 'movielens')));
  assert.equal(ml.parts[0].rows, lines(path.join(F, 'movielens', 'ratings.dat')).length);
  assert.equal(ml.parts[0].positives?.['rating>=4'], lines(path.join(F, 'movielens', 'ratings.dat')).filter((l) => Number(l.split('::')[2]) >= 4).length);
});

test('cdrib: per pair and domain, warm and cold parts, the user-space note; a pair without its common-user count is a problem', async () => {
  const r = good(await checkDataset('cdrib', path.join(F, 'cdrib')));
  const cold = r.parts.filter((p) => p.split === 'coldTest');
  assert.deepEqual(cold.map((p) => [p.domain, p.rows]), [['cloth_sport:cloth', lines(path.join(F, 'cdrib/cloth_sport/test.txt')).length], ['cloth_sport:sport', lines(path.join(F, 'cdrib/sport_cloth/test.txt')).length]]);
  const usersIn = (f: string) => new Set(lines(path.join(F, 'cdrib', f)).map((l) => l.split('\t')[0])).size;
  assert.deepEqual(cold.map((p) => p.users), [usersIn('cloth_sport/test.txt'), usersIn('sport_cloth/test.txt')]);
  assert.equal(r.parts.filter((p) => p.split === 'test').reduce((x, p) => x + p.rows, 0), 0, 'no warm test pair in CDRIB\'s split');
  assert.match(r.notes[0], /scenario dual-user-inter; 40 common users \(from data-info\); own users cloth 12, sport 15; 12 ids >= n_common occur in both domains and are different people; 67 users/);
  const bare = path.join(tmp, 'cdr-bare');
  for (const d of ['sport_cloth', 'cloth_sport']) {
    fs.mkdirSync(path.join(bare, d), { recursive: true });
    for (const s of ['train', 'valid', 'test']) fs.copyFileSync(path.join(F, 'cdrib', d, `${s}.txt`), path.join(bare, d, `${s}.txt`));
  }
  const b = await checkDataset('cdrib', bare);
  assert.equal(b.ok, false);
  assert.match(b.problems[0], /cloth–sport: .*the number of common users is unknown/);
  const none = await checkDataset('cdrib', path.join(F, 'kuairand'));
  assert.match(none.problems[0], /no CDR pair under/);
});

test('csv with a dataset.json: encoded columns, OOV (empty + rare / unseen) per split; a bad spec key is a problem', async () => {
  const r = good(await checkDataset('csv', path.join(F, 'fuxictr-tiny')));
  assert.deepEqual(r.parts.map((p) => [p.split, p.rows]), [['train', 160], ['valid', 60], ['test', 60]]);
  const train = lines(path.join(F, 'fuxictr-tiny/train_sample.csv')).slice(1).map((l) => l.split(','));
  assert.equal(r.parts[0].positives?.clk, train.filter((x) => x[0] === '1').length);
  assert.equal(r.parts[0].users, new Set(train.map((x) => x[2])).size);
  assert.equal(r.oov.train.brand, train.filter((x) => x[8] === '').length, 'empty brands (all brands are frequent)');
  assert.ok(r.oov.valid.adgroup_id > 0);
  assert.equal(readCsvDatasetSpec(path.join(F, 'fuxictr-tiny')).files.valid, 'valid_sample.csv');
  const d = path.join(tmp, 'csv-bad');
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'dataset.json'), JSON.stringify({ schema: { features: [], labels: ['y'] }, files: { train: 'a.csv' }, option: {} }));
  const bad = await checkDataset('csv', d);
  assert.match(bad.problems[0], /dataset\.json: \(root\): Unrecognized key/);
  // A bare schema.json with train.csv beside it.
  const s = path.join(tmp, 'csv-schema');
  fs.mkdirSync(s, { recursive: true });
  fs.writeFileSync(path.join(s, 'schema.json'), JSON.stringify({ features: [{ kind: 'categorical', name: 'u', vocab: 3 }], labels: ['y'], userId: 'u' }));
  fs.writeFileSync(path.join(s, 'train.csv'), 'u,y\n1,0\n2,1\n');
  const ok = good(await checkDataset('csv', s));
  assert.deepEqual(ok.parts, [{ split: 'train', rows: 2, users: 2, positives: { y: 1 } }]);
});

test('unknown dataset, missing folder, a file instead of a folder, an unknown option: problems, never exceptions', async () => {
  const u = await checkDataset('kuaisar-x', tmp);
  assert.match(u.problems[0], /unknown dataset 'kuaisar-x' \(known: kuaisar-r \(kuaisar\), kuairand/);
  const m = await checkDataset('minet', path.join(tmp, 'nowhere'));
  assert.match(m.problems[0], /folder not found: .*nowhere\. MiNet's released Amazon split .* comes from github\.com\/oywtece\/minet/);
  const f = await checkDataset('minet', path.join(F, 'minet-release/Books_val.csv'));
  assert.match(f.problems[0], /is a file; pass the folder/);
  const o = await checkDataset('minet', path.join(F, 'minet-release'), { maxrows: 3 } as never);
  assert.match(o.problems[0], /unknown option 'maxrows'/);
  const empty = await checkDataset('minet', tmp);
  assert.equal(empty.ok, false);
  assert.match(empty.problems[0], /missing: .*Movies_Books_train\.csv/);
});

test('resolveDatasetDir: --data as the folder itself or a root with conventional sub-folders; env variables; defaults', () => {
  const root = path.join(tmp, 'root');
  fs.mkdirSync(root, { recursive: true });
  fs.cpSync(path.join(F, 'kuaisar/ok'), path.join(root, 'KuaiSAR-R'), { recursive: true });
  fs.cpSync(path.join(F, 'cdrib'), path.join(root, 'cdr'), { recursive: true });
  assert.deepEqual(resolveDatasetDir('kuaisar-r', { data: root, env: {} }), { dir: path.join(root, 'KuaiSAR-R'), found: true, tried: [root, path.join(root, 'KuaiSAR-R')] });
  assert.equal(resolveDatasetDir('cdrib', { data: root, env: {} }).dir, path.join(root, 'cdr'));
  assert.deepEqual(resolveDatasetDir('kuaisar-r', { data: path.join(F, 'kuaisar/ok'), env: {} }), { dir: path.join(F, 'kuaisar/ok'), found: true, tried: [path.join(F, 'kuaisar/ok')] });
  const missing = resolveDatasetDir('minet', { data: root, env: {} });
  assert.equal(missing.found, false);
  assert.equal(missing.dir, root);
  assert.deepEqual(missing.tried, [root, ...['minet', 'MiNet', 'minet-release'].map((s) => path.join(root, s))]);
  assert.equal(resolveDatasetDir('kuaisar-r', { env: { RECLAB_KUAISAR_R_DIR: path.join(F, 'kuaisar/ok') } }).found, true);
  assert.equal(resolveDatasetDir('kuaisar-r', { env: { RECLAB_KUAISAR_DIR: path.join(F, 'kuaisar/ok') } }).dir, path.join(F, 'kuaisar/ok'));
  assert.equal(resolveDatasetDir('cdrib', { env: { RECLAB_DATA_DIR: root } }).dir, path.join(root, 'cdr'));
  assert.deepEqual(resolveDatasetDir('movielens-1m', { env: {} }), { dir: '.reclab/data/ml-1m', found: false, tried: ['.reclab/data/ml-1m'] });
  assert.throws(() => resolveDatasetDir('nope'), /unknown dataset 'nope'/);
});

test('header checks before any work: a wrong KuaiSAR / KuaiRand folder fails from the header lines, naming every problem', () => {
  const d = path.join(tmp, 'ks');
  fs.cpSync(path.join(F, 'kuaisar/ok'), d, { recursive: true });
  assert.equal(kuaisarAvailability(d).ok, true);
  fs.writeFileSync(path.join(d, 'df.csv'), 'user_id;video_id;timestamp;is_click\n1;2;3;1\n');
  fs.rmSync(path.join(d, 'video_features.csv'));
  const a = kuaisarAvailability(d);
  assert.equal(a.ok, false);
  assert.equal(a.problems.length, 2);
  assert.match(a.problems[0], /df\.csv:1: column 'user_id': header lacks column\(s\) user_id, video_id, timestamp, is_click \(found: user_id;video_id;timestamp;is_click\)\. The file looks ';'-delimited/);
  assert.match(a.problems[1], /video_features\.csv:0: file not found/);
  assert.match(a.message, /CC BY-NC-SA 4\.0/);
  // The upstream spelling rec_active_level is accepted.
  const up = path.join(tmp, 'ks-up');
  fs.cpSync(path.join(F, 'kuaisar/ok'), up, { recursive: true });
  fs.writeFileSync(path.join(up, 'user_features.csv'), fs.readFileSync(path.join(up, 'user_features.csv'), 'utf8').replace('reco_active_level', 'rec_active_level'));
  assert.equal(kuaisarAvailability(up).ok, true);
  const kr = path.join(tmp, 'kr');
  fs.cpSync(path.join(F, 'kuairand'), kr, { recursive: true });
  assert.equal(kuairandAvailability(kr, 'pure').ok, true);
  fs.writeFileSync(path.join(kr, 'video_features_basic_pure.csv'), 'video_id,author\n1,2\n');
  const k = kuairandAvailability(kr, 'pure');
  assert.match(k.problems[0], /video_features_basic_pure\.csv:1: column 'author_id': header lacks column\(s\) author_id, upload_type/);
  assert.match(k.message, /reclab data check kuairand <dir>/);
  assert.doesNotMatch(k.message, /kuairand\.dir/);
  assert.deepEqual(csvHeader(path.join(F, 'kuaisar/ok/df.csv')), ['user_id', 'video_id', 'timestamp', 'is_click']);
  assert.equal(checkCsvHeader(path.join(F, 'kuaisar/ok/df.csv'), ['user_id', 'is_click']), null);
  assert.match(checkCsvHeader(path.join(F, 'kuaisar/ok/df.csv'), ['user_ids', 'is_click']) as string, /df\.csv:1: column 'user_ids': header lacks column\(s\) user_ids \(found: user_id,video_id,timestamp,is_click\); did you mean user_id\?/);
});

test('classCounts: positives and negatives, under a mask (clicked rows), and whether AUC is defined', async () => {
  const { classCounts } = await import('../../src/data/check.ts');
  assert.deepEqual(classCounts([0, 1, 1, 0]), { rows: 4, positives: 2, negatives: 2, bothClasses: true });
  assert.deepEqual(classCounts([0, 1, 0, 0], [1, 0, 1, 1]), { rows: 3, positives: 0, negatives: 3, bothClasses: false });
  assert.deepEqual(classCounts([], []), { rows: 0, positives: 0, negatives: 0, bothClasses: false });
  assert.throws(() => classCounts([0, 1], [1]), /mask has 1 values, the label 2/);
});
