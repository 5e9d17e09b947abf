/**
 * KuaiSAR-R loader (the recommendation subset shipped with MRFF's code, spec datasets.md "KuaiSAR"): `df.csv`
 * (user_id, video_id, timestamp, is_click), `user_features.csv` (user_id, onehot_feat1, onehot_feat2,
 * search_active_level, reco_active_level — `rec_active_level`, the upstream spelling, is accepted too) and
 * `video_features.csv` (video_id, item_type, upload_type, first..fourth_level_category_name). Licence CC BY-NC-SA 4.0:
 * never commit the data. Ids are re-indexed densely; every feature value (numeric code or name) becomes a category
 * id (0 = empty cell); each user's interactions are sorted by timestamp (stable) for leave-one-out splitting.
 * A bad row is an error naming file, line and column (CsvError); nothing is dropped. `kuaisarAvailability` checks
 * every file and header first (call it before computing anything else: a wrong folder then fails in milliseconds).
 */
import { join } from 'node:path';
import { CsvError, checkCsvHeader, streamCsvColumns } from './csv.ts';
import type { FederatedData, Field, UserSequence } from '../federated/types.ts';

/** Feature columns read from user_features.csv (in this order). */
export const KUAISAR_USER_FIELDS = ['onehot_feat1', 'onehot_feat2', 'search_active_level', 'reco_active_level'] as const;
/** Feature columns read from video_features.csv (in this order). */
export const KUAISAR_ITEM_FIELDS = ['item_type', 'upload_type', 'first_level_category_name', 'second_level_category_name', 'third_level_category_name', 'fourth_level_category_name'] as const;

/** The three files of a KuaiSAR-R folder and the columns each must have (`rec_active_level` is accepted for `reco_active_level`). */
export const KUAISAR_FILES = {
  interactions: { file: 'df.csv', columns: ['user_id', 'video_id', 'timestamp', 'is_click'] },
  users: { file: 'user_features.csv', columns: ['user_id', ...KUAISAR_USER_FIELDS] },
  videos: { file: 'video_features.csv', columns: ['video_id', ...KUAISAR_ITEM_FIELDS] },
} as const;
const USER_ALIASES = { rec_active_level: 'reco_active_level' };

/**
 * Checks a KuaiSAR-R folder before anything is computed: each file is there and its header has the columns the loader
 * reads (only the header lines are read). `problems` lists every problem found; `message` says how to fix them.
 * @example
 * const a = kuaisarAvailability('data/KuaiSAR-R'); if (!a.ok) throw new Error(a.message);
 */
export function kuaisarAvailability(dir: string): { ok: boolean; message: string; problems: string[] } {
  const problems = Object.values(KUAISAR_FILES)
    .map((f) => checkCsvHeader(join(dir, f.file), f.columns, f.file === 'user_features.csv' ? USER_ALIASES : {}))
    .filter((p): p is string => p !== null);
  if (!problems.length) return { ok: true, message: `KuaiSAR-R found in ${dir}`, problems };
  return {
    ok: false,
    problems,
    message: `KuaiSAR-R is not usable in ${dir}:\n  ${problems.join('\n  ')}\nKuaiSAR-R ships with MRFF's code (github.com/Zhangcx19/AAAI-25-MRFF, folder dataset/KuaiSAR-R/: df.csv, user_features.csv, video_features.csv); KuaiSAR itself is at https://kuaisar.github.io (Zenodo record 8181109). Put the three files in one folder and point reclab at it. Licence CC BY-NC-SA 4.0 (non-commercial): do not commit them.`,
  };
}

function readRows(file: string, required: readonly string[], aliases: Record<string, string>, onRow: (cells: Record<string, string>, line: number) => void): Promise<void> {
  return streamCsvColumns(file, required, { aliases, fields: 'at-least' }, (cells, line) => onRow(Object.fromEntries(required.map((r, i) => [r, cells[i]])), line));
}

function coder(): { code: (v: string) => number; size: () => number } {
  const m = new Map<string, number>([['', 0]]);
  return { code: (v) => m.get(v) ?? (m.set(v, m.size), m.size - 1), size: () => m.size };
}

/**
 * Loads a KuaiSAR-R folder into FederatedData (one sequence per user, sorted by time).
 * @example
 * const data = await loadKuaiSAR('data/KuaiSAR-R'); // data.users === 1791 on the released files
 */
export async function loadKuaiSAR(dir: string): Promise<FederatedData> {
  const a = kuaisarAvailability(dir);
  if (!a.ok) throw new Error(a.message);
  const userFile = join(dir, 'user_features.csv');
  const videoFile = join(dir, 'video_features.csv');
  const dfFile = join(dir, 'df.csv');
  const userIndex = new Map<string, number>();
  const userCoders = KUAISAR_USER_FIELDS.map(() => coder());
  const userRows: number[][] = [];
  await readRows(userFile, ['user_id', ...KUAISAR_USER_FIELDS], USER_ALIASES, (c, line) => {
    if (c.user_id === '') throw new CsvError(userFile, line, 'user_id', 'empty id');
    if (userIndex.has(c.user_id)) throw new CsvError(userFile, line, 'user_id', `duplicate user ${c.user_id}`);
    userIndex.set(c.user_id, userRows.length);
    userRows.push(KUAISAR_USER_FIELDS.map((f, j) => userCoders[j].code(c[f])));
  });
  const itemIndex = new Map<string, number>();
  const itemCoders = KUAISAR_ITEM_FIELDS.map(() => coder());
  const itemRows: number[][] = [];
  await readRows(videoFile, ['video_id', ...KUAISAR_ITEM_FIELDS], {}, (c, line) => {
    if (c.video_id === '') throw new CsvError(videoFile, line, 'video_id', 'empty id');
    if (itemIndex.has(c.video_id)) throw new CsvError(videoFile, line, 'video_id', `duplicate video ${c.video_id}`);
    itemIndex.set(c.video_id, itemRows.length);
    itemRows.push(KUAISAR_ITEM_FIELDS.map((f, j) => itemCoders[j].code(c[f])));
  });
  const perUser: Array<Array<{ item: number; ts: number; y: number }>> = userRows.map(() => []);
  await readRows(dfFile, ['user_id', 'video_id', 'timestamp', 'is_click'], {}, (c, line) => {
    const u = userIndex.get(c.user_id);
    if (u === undefined) throw new CsvError(dfFile, line, 'user_id', `user ${c.user_id} is not in user_features.csv`);
    const it = itemIndex.get(c.video_id);
    if (it === undefined) throw new CsvError(dfFile, line, 'video_id', `video ${c.video_id} is not in video_features.csv`);
    const ts = Number(c.timestamp);
    if (c.timestamp === '' || !Number.isFinite(ts)) throw new CsvError(dfFile, line, 'timestamp', `'${c.timestamp}' is not a finite number`);
    const y = Number(c.is_click);
    if (c.is_click === '' || (y !== 0 && y !== 1)) throw new CsvError(dfFile, line, 'is_click', `'${c.is_click}' is not 0 or 1`);
    perUser[u].push({ item: it, ts, y });
  });
  const sequences: UserSequence[] = perUser.map((rows) => {
    rows.sort((a, b) => a.ts - b.ts); // Array.prototype.sort is stable
    return { items: Int32Array.from(rows, (r) => r.item), labels: Float32Array.from(rows, (r) => r.y), timestamps: Float64Array.from(rows, (r) => r.ts) };
  });
  const userFields: Field[] = KUAISAR_USER_FIELDS.map((name, j) => ({ name, vocab: userCoders[j].size() }));
  const itemFields: Field[] = KUAISAR_ITEM_FIELDS.map((name, j) => ({ name, vocab: itemCoders[j].size() }));
  return {
    name: 'kuaisar-r', users: userRows.length, items: itemRows.length, userFields, userFeatures: Int32Array.from(userRows.flat()),
    itemFields, itemFeatures: Int32Array.from(itemRows.flat()), sequences,
  };
}
