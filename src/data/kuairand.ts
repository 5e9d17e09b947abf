/**
 * KuaiRand loader (Kuaishou; Gao et al., CIKM 2022; https://zenodo.org/records/10439422, project page
 * github.com/chongminggao/KuaiRand; spec datasets.md "KuaiRand"). Licence CC BY-SA 4.0: download it yourself, never
 * commit it. Variants 'pure' and '1k' (file suffix `_pure` / `_1k`):
 *   log_standard_4_08_to_4_21_<v>.csv, log_standard_4_22_to_5_08_<v>.csv, log_random_4_22_to_5_08_<v>.csv
 *     (user_id, video_id, date, hourmin, time_ms, is_click, is_like, is_follow, is_comment, is_forward, is_hate,
 *      long_view, play_time_ms, duration_ms, profile_stay_time, comment_stay_time, is_profile_enter, is_rand, tab)
 *   user_features_<v>.csv (user_id, user_active_degree, is_lowactive_period, is_live_streamer, is_video_author, ...)
 *   video_features_basic_<v>.csv (video_id, author_id, video_type, upload_dt, upload_type, ...)
 * Mapped to the live models' single-domain layout (KuaiRand has no live streaming: it serves the single-domain
 * frequency-module ablation): user_id and item_id re-indexed densely (item ids from 1), author_id, category_id (=
 * upload_type) and the user fields as categories (0 = empty cell); labels click, long_view, like, comment, forward,
 * follow; the history sequences hist_item / hist_author / hist_category / hist_action hold the user's earlier CLICKED
 * impressions (oldest first, the most recent `historyLen` kept), each with its most valuable behaviour (1 click,
 * 2 long view, 3 like, 4 comment, 5 forward, 6 follow), like the live world's histories; ts = time_ms / 1000; is_rand
 * = 1 for rows of the random-exposure log (a categorical feature the models skip via `exclude`).
 * Files are streamed line by line; a bad row is an error naming file, line and column (CsvError); nothing is dropped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CsvError, checkCsvHeader, streamCsvColumns } from './csv.ts';
import { Dataset } from './dataset.ts';
import type { Schema } from './schema.ts';

/** The variants this loader reads. */
export type KuaiRandVariant = 'pure' | '1k';
/** Labels in head order (KuaiRand column in brackets): click (is_click), long_view, like, comment, forward, follow. */
export const KUAIRAND_TASKS = ['click', 'long_view', 'like', 'comment', 'forward', 'follow'] as const;
const LABEL_COLUMNS: Record<(typeof KUAIRAND_TASKS)[number], string> = { click: 'is_click', long_view: 'long_view', like: 'is_like', comment: 'is_comment', forward: 'is_forward', follow: 'is_follow' };
/** History action id of each behaviour (the most valuable one of a clicked row is recorded). */
const ACTION_OF: Record<string, number> = { click: 1, long_view: 2, like: 3, comment: 4, forward: 5, follow: 6 };
/** User feature columns read (as categories). */
export const KUAIRAND_USER_FIELDS = ['user_active_degree', 'is_lowactive_period', 'is_live_streamer', 'is_video_author'] as const;

/** The file names of a variant. */
export function kuairandFiles(dir: string, variant: KuaiRandVariant): { logs: { standard: string[]; random: string[] }; users: string; videos: string } {
  const f = (n: string) => join(dir, `${n}_${variant}.csv`);
  return {
    logs: { standard: [f('log_standard_4_08_to_4_21'), f('log_standard_4_22_to_5_08')], random: [f('log_random_4_22_to_5_08')] },
    users: f('user_features'),
    videos: f('video_features_basic'),
  };
}

/** Columns the loader reads from each kind of file. */
const LOG_COLUMNS = ['user_id', 'video_id', 'time_ms', 'is_click', 'long_view', 'is_like', 'is_comment', 'is_forward', 'is_follow'];
const VIDEO_COLUMNS = ['video_id', 'author_id', 'upload_type'];

/**
 * Whether a variant's files are present with the headers the loader reads (only header lines are read); the message
 * names every problem and how to get the data. `problems` lists them (empty when ok).
 * @example
 * const a = kuairandAvailability('data/KuaiRand-Pure/data', 'pure'); if (!a.ok) console.log(a.message);
 */
export function kuairandAvailability(dir: string, variant: KuaiRandVariant): { ok: boolean; message: string; problems: string[] } {
  const f = kuairandFiles(dir, variant);
  const missing = [...f.logs.standard, ...f.logs.random, f.users, f.videos].filter((p) => !existsSync(p));
  const problems = missing.length
    ? [`missing: ${missing.join(', ')}`]
    : [...[...f.logs.standard, ...f.logs.random].map((p) => checkCsvHeader(p, LOG_COLUMNS)), checkCsvHeader(f.users, ['user_id', ...KUAIRAND_USER_FIELDS]), checkCsvHeader(f.videos, VIDEO_COLUMNS)].filter((p): p is string => p !== null);
  if (!problems.length) return { ok: true, message: `KuaiRand-${variant} found in ${dir}`, problems };
  return {
    ok: false,
    problems,
    message: `KuaiRand-${variant} is not usable in ${dir} (${problems.join('; ')}). Download KuaiRand-${variant === 'pure' ? 'Pure' : '1K'} from https://zenodo.org/records/10439422 (licence CC BY-SA 4.0; see github.com/chongminggao/KuaiRand), unpack it, and point reclab at the folder holding the csv files (KuaiRand-${variant === 'pure' ? 'Pure' : '1K'}/data): \`reclab data check kuairand <dir>\` checks it and \`reclab reproduce <pipeline> --data <dir>\` uses it.`,
  };
}

function readCsv(file: string, required: readonly string[], onRow: (cells: string[], line: number) => void): Promise<void> {
  return streamCsvColumns(file, required, { fields: 'exact' }, onRow);
}

function integer(file: string, line: number, column: string, v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new CsvError(file, line, column, `got '${v}', expected an integer`);
  return Number(v);
}

function coder(): { code: (v: string) => number; size: () => number } {
  const m = new Map<string, number>([['', 0]]);
  return { code: (v) => m.get(v) ?? (m.set(v, m.size), m.size - 1), size: () => m.size };
}

/** Options of `loadKuaiRand`; defaults in `KUAIRAND_DEFAULTS`. */
export interface KuaiRandOptions {
  variant: KuaiRandVariant;
  /** Which logs to read: the standard (recommended) ones, the random-exposure one, or both. */
  logs: Array<'standard' | 'random'>;
  /** History length (most recent clicked impressions kept). */
  historyLen: number;
  /** Stop after this many log rows in total (all files together); Infinity = every row. */
  maxRows: number;
}
/** Defaults: Pure, both logs, histories of 50, every row. */
export const KUAIRAND_DEFAULTS: KuaiRandOptions = { variant: 'pure', logs: ['standard', 'random'], historyLen: 50, maxRows: Infinity };

/**
 * Loads a KuaiRand variant into one Dataset (rows in time order; split it with `timeSplit`).
 * @example
 * const ds = await loadKuaiRand('data/KuaiRand-Pure/data', { maxRows: 200_000 });
 * ds.schema.labels; // ['click', 'long_view', 'like', 'comment', 'forward', 'follow']
 */
export async function loadKuaiRand(dir: string, options: Partial<KuaiRandOptions> = {}): Promise<Dataset> {
  for (const k of Object.keys(options)) if (!(k in KUAIRAND_DEFAULTS)) throw new Error(`loadKuaiRand: unknown option '${k}' (known: ${Object.keys(KUAIRAND_DEFAULTS).join(', ')})`);
  const o = { ...KUAIRAND_DEFAULTS, ...options };
  if (!['pure', '1k'].includes(o.variant)) throw new Error(`loadKuaiRand: variant must be 'pure' or '1k', got '${o.variant}'`);
  if (!(Number.isInteger(o.historyLen) && o.historyLen >= 1)) throw new Error(`loadKuaiRand: historyLen must be a positive integer, got ${o.historyLen}`);
  const files = kuairandFiles(dir, o.variant);
  const userIndex = new Map<number, number>();
  const userFields = KUAIRAND_USER_FIELDS.map(() => coder());
  const userValues: number[][] = [];
  await readCsv(files.users, ['user_id', ...KUAIRAND_USER_FIELDS], (c, line) => {
    const u = integer(files.users, line, 'user_id', c[0]);
    if (userIndex.has(u)) throw new CsvError(files.users, line, 'user_id', `user ${u} is listed twice`);
    userIndex.set(u, userIndex.size);
    userValues.push(KUAIRAND_USER_FIELDS.map((_, j) => userFields[j].code(c[j + 1])));
  });
  const videoIndex = new Map<number, number>();
  const authors = coder();
  const uploadTypes = coder();
  const videoAuthor: number[] = [0];
  const videoType: number[] = [0];
  await readCsv(files.videos, ['video_id', 'author_id', 'upload_type'], (c, line) => {
    const v = integer(files.videos, line, 'video_id', c[0]);
    if (videoIndex.has(v)) throw new CsvError(files.videos, line, 'video_id', `video ${v} is listed twice`);
    videoIndex.set(v, videoIndex.size + 1);
    videoAuthor.push(authors.code(c[1]));
    videoType.push(uploadTypes.code(c[2]));
  });
  // Log rows, streamed into plain arrays (one entry per row).
  const rows = { user: [] as number[], item: [] as number[], ts: [] as number[], rand: [] as number[], labels: KUAIRAND_TASKS.map(() => [] as number[]) };
  const logFiles = o.logs.flatMap((l) => files.logs[l].map((f) => ({ f, rand: l === 'random' ? 1 : 0 })));
  for (const { f, rand } of logFiles) {
    if (rows.user.length >= o.maxRows) break;
    await readCsv(f, ['user_id', 'video_id', 'time_ms', ...KUAIRAND_TASKS.map((t) => LABEL_COLUMNS[t])], (c, line) => {
      if (rows.user.length >= o.maxRows) return;
      const u = userIndex.get(integer(f, line, 'user_id', c[0]));
      if (u === undefined) throw new CsvError(f, line, 'user_id', `user ${c[0]} is not in ${files.users}`);
      const v = videoIndex.get(integer(f, line, 'video_id', c[1]));
      if (v === undefined) throw new CsvError(f, line, 'video_id', `video ${c[1]} is not in ${files.videos}`);
      const t = Number(c[2]);
      if (!/^\d+(\.\d+)?$/.test(c[2]) || !Number.isFinite(t)) throw new CsvError(f, line, 'time_ms', `got '${c[2]}', expected a time in milliseconds`);
      KUAIRAND_TASKS.forEach((task, j) => {
        const y = c[3 + j];
        if (y !== '0' && y !== '1') throw new CsvError(f, line, LABEL_COLUMNS[task], `got '${y}', expected 0 or 1`);
        rows.labels[j].push(Number(y));
      });
      rows.user.push(u);
      rows.item.push(v);
      rows.ts.push(t / 1000);
      rows.rand.push(rand);
    });
  }
  return buildDataset(rows, { users: userIndex.size, items: videoIndex.size + 1, authors: authors.size(), types: uploadTypes.size(), userFields: userFields.map((c) => c.size()) }, userValues, videoAuthor, videoType, o.historyLen, dir);
}

function buildDataset(
  rows: { user: number[]; item: number[]; ts: number[]; rand: number[]; labels: number[][] },
  vocab: { users: number; items: number; authors: number; types: number; userFields: number[] },
  userValues: number[][], videoAuthor: number[], videoType: number[], L: number, source: string,
): Dataset {
  const n = rows.user.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rows.ts[a] - rows.ts[b] || a - b); // stable by time
  const seq = () => new Int32Array(n * L);
  const cols = { hist_item: seq(), hist_author: seq(), hist_category: seq(), hist_action: seq() };
  const history = new Map<number, number[][]>(); // user -> [item, author, category, action] of clicked rows, oldest first
  const out = {
    user_id: new Int32Array(n), item_id: new Int32Array(n), author_id: new Int32Array(n), category_id: new Int32Array(n), is_rand: new Int32Array(n),
    ts: new Float64Array(n), fields: KUAIRAND_USER_FIELDS.map(() => new Int32Array(n)), labels: KUAIRAND_TASKS.map(() => new Float32Array(n)),
  };
  order.forEach((r, i) => {
    const u = rows.user[r];
    const v = rows.item[r];
    out.user_id[i] = u;
    out.item_id[i] = v;
    out.author_id[i] = videoAuthor[v];
    out.category_id[i] = videoType[v];
    out.is_rand[i] = rows.rand[r];
    out.ts[i] = rows.ts[r];
    KUAIRAND_USER_FIELDS.forEach((_, j) => (out.fields[j][i] = userValues[u][j]));
    KUAIRAND_TASKS.forEach((_, j) => (out.labels[j][i] = rows.labels[j][r]));
    const h = history.get(u) ?? [];
    h.forEach((step, t) => {
      cols.hist_item[i * L + t] = step[0];
      cols.hist_author[i * L + t] = step[1];
      cols.hist_category[i * L + t] = step[2];
      cols.hist_action[i * L + t] = step[3];
    });
    if (rows.labels[0][r] === 1) {
      let action = 1;
      KUAIRAND_TASKS.forEach((task, j) => {
        if (rows.labels[j][r] === 1) action = Math.max(action, ACTION_OF[task]);
      });
      h.push([v, videoAuthor[v], videoType[v], action]);
      if (h.length > L) h.shift(); // the documented rule: the most recent L steps are kept
      history.set(u, h);
    }
  });
  const schema = kuairandSchema(vocab, L);
  return Dataset.fromColumns(schema, {
    user_id: out.user_id, ...Object.fromEntries(KUAIRAND_USER_FIELDS.map((f, j) => [f, out.fields[j]])), is_rand: out.is_rand,
    item_id: out.item_id, author_id: out.author_id, category_id: out.category_id, ...cols,
    ...Object.fromEntries(KUAIRAND_TASKS.map((t, j) => [t, out.labels[j]])), ts: out.ts,
  }, `KuaiRand (${source})`);
}

/** The schema of `loadKuaiRand`'s dataset for the given vocabularies. */
export function kuairandSchema(v: { users: number; items: number; authors: number; types: number; userFields: number[] }, L: number): Schema {
  const atLeast2 = (x: number) => Math.max(2, x);
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: atLeast2(v.users) },
      ...KUAIRAND_USER_FIELDS.map((f, j) => ({ kind: 'categorical' as const, name: f, vocab: atLeast2(v.userFields[j]) })),
      { kind: 'categorical', name: 'is_rand', vocab: 2 },
      { kind: 'categorical', name: 'item_id', vocab: atLeast2(v.items) },
      { kind: 'categorical', name: 'author_id', vocab: atLeast2(v.authors) },
      { kind: 'categorical', name: 'category_id', vocab: atLeast2(v.types) },
      { kind: 'sequence', name: 'hist_item', vocab: atLeast2(v.items), maxLen: L, sharesWith: 'item_id' },
      { kind: 'sequence', name: 'hist_author', vocab: atLeast2(v.authors), maxLen: L, sharesWith: 'author_id' },
      { kind: 'sequence', name: 'hist_category', vocab: atLeast2(v.types), maxLen: L, sharesWith: 'category_id' },
      { kind: 'sequence', name: 'hist_action', vocab: 7, maxLen: L },
    ],
    labels: [...KUAIRAND_TASKS],
    userId: 'user_id',
    timestamp: 'ts',
  };
}
