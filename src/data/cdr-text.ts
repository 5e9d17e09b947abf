/**
 * Loader of the CDRIB / UniCDR text layout (datasets.md "CDR pairs"; github.com/cjx96/CDRIB `dataset/`): for a domain
 * pair A–B, the folder `<root>/<a>_<b>/` holds domain A's interactions and `<root>/<b>_<a>/` domain B's, each as
 * `train.txt`, `valid.txt`, `test.txt` with one `user<TAB>item` per line (0-based integer ids; items are per domain).
 * Layout assumption: the first name of a folder is the domain whose interactions it holds (CDRIB ships both
 * directions, e.g. `sport_cloth` and `cloth_sport`).
 *
 * User ids are PER DOMAIN (CDRIB's `split_data.py`): the n_common overlapping users are 0..n_common-1 in both domains,
 * and each domain numbers its other users separately from n_common up, so an id >= n_common in A and the same id in B
 * are two different people. The loader keeps the two spaces apart and links only the overlapping users: global id =
 * the local id for a common user, n_common + (u - n_common) for A's own users, n_common + ownA + (u - n_common) for
 * B's. n_common comes from `options.nCommonUsers`, else from the pair's `*_data_info.txt` ("common user num N", written
 * by CDRIB's Filter_data_cold.py), else from the distinct users of `common_new_reindex.txt`; when none is there the
 * load fails and says so (it cannot be inferred from the split files).
 *
 * Validation / test pairs of users without training history in that domain are cold-start pairs (`coldValid`,
 * `coldTest`). CDRIB's split puts only cold-start users there (its test users of A are common users 0.9·n..n-1, of B
 * 0.8·n..0.9·n-1), i.e. UniCDR's cold-start scenario: the scenario is labelled 'dual-user-inter' whenever every
 * validation / test user is cold-start, else 'dual-user-intra'; validate on `cdrValidationPairs` (cdr-data.ts).
 * A cold-start user must be a common user (nothing else is known of them): one with an id >= n_common is an error
 * naming the file and line.
 * Files are streamed line by line; a bad line (wrong field count, a non-integer or negative id) is an error naming the
 * file and the 1-based line number. Blank lines are skipped.
 * The data is Amazon 2014 (no licence text): the toolkit never ships it; `cdrTextAvailability` says how to obtain it.
 */
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { CdrData, CdrDomain, CdrScenario, Pairs } from './cdr-data.ts';

/**
 * A bad line of a CDR text file: `file` and 1-based `line` name it.
 * @example
 * try { await readCdrTextFile(f); } catch (e) { if (e instanceof CdrTextError) console.log(e.file, e.line); }
 */
export class CdrTextError extends Error {
  constructor(readonly file: string, readonly line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'CdrTextError';
  }
}

/** The three split files of a domain folder. */
export const CDR_TEXT_SPLITS = ['train', 'valid', 'test'] as const;
/** One of {@link CDR_TEXT_SPLITS}. */
export type CdrTextSplit = (typeof CDR_TEXT_SPLITS)[number];

/**
 * Streams one `user<TAB>item` file into pairs (local ids, as written).
 * @example
 * const p = await readCdrTextFile('data/cdr/sport_cloth/train.txt'); p.users.length;
 */
export async function readCdrTextFile(file: string): Promise<Pairs> {
  return (await readWithLines(file)).pairs;
}

/** `readCdrTextFile` plus the 1-based line of each pair (for errors found after reading). */
async function readWithLines(file: string): Promise<{ pairs: Pairs; lines: Int32Array }> {
  const users: number[] = [];
  const items: number[] = [];
  const lines: number[] = [];
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line++;
    const text = raw.trim();
    if (text === '') continue;
    const f = text.split('\t');
    if (f.length !== 2) throw new CdrTextError(file, line, `expected 'user<TAB>item' (2 tab-separated fields), got ${f.length} field(s): ${JSON.stringify(raw.slice(0, 80))}`);
    const [u, i] = f.map((x) => (/^\d+$/.test(x.trim()) ? Number(x) : NaN));
    if (!Number.isSafeInteger(u)) throw new CdrTextError(file, line, `user ${JSON.stringify(f[0])} is not a non-negative integer id`);
    if (!Number.isSafeInteger(i)) throw new CdrTextError(file, line, `item ${JSON.stringify(f[1])} is not a non-negative integer id`);
    users.push(u);
    items.push(i);
    lines.push(line);
  }
  return { pairs: { users: Int32Array.from(users), items: Int32Array.from(items) }, lines: Int32Array.from(lines) };
}

/** Whether a pair's six files exist; `message` says what is missing and how to get them. */
export function cdrTextAvailability(root: string, pair: readonly [string, string]): { ok: boolean; message: string; missing: string[] } {
  const [a, b] = pair;
  const missing = [`${a}_${b}`, `${b}_${a}`].flatMap((dir) => CDR_TEXT_SPLITS.map((s) => join(root, dir, `${s}.txt`))).filter((f) => !existsSync(f));
  return {
    ok: missing.length === 0,
    missing,
    message: missing.length === 0 ? `CDR pair ${a}–${b} found under ${root}` : `CDR pair ${a}–${b}: ${missing.length} file(s) missing under ${root} (first: ${missing[0]}). Obtain the CDRIB pairs from github.com/cjx96/CDRIB (dataset/${a}_${b}/ and dataset/${b}_${a}/: train.txt, valid.txt, test.txt, and the *_data_info.txt file that gives the number of common users) or UniCDR's split files (Google Drive "WSDM2023-UniCDR-datasets" linked from github.com/cjx96/UniCDR), and copy both folders under ${root}. The rows are Amazon 2014 data: do not commit them.`,
  };
}

/**
 * The pairs present under a root: every `<a>_<b>` folder whose mirror `<b>_<a>` exists too (each pair once, in name
 * order).
 * @example
 * listCdrTextPairs('data/cdr'); // [['cloth', 'sport'], ['game', 'video']]
 */
export function listCdrTextPairs(root: string): Array<[string, string]> {
  if (!existsSync(root)) return [];
  const dirs = new Set(readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && /^[^_]+_[^_]+$/.test(d.name)).map((d) => d.name));
  const out: Array<[string, string]> = [];
  for (const d of [...dirs].sort()) {
    const [a, b] = d.split('_');
    if (a < b && dirs.has(`${b}_${a}`)) out.push([a, b]);
  }
  return out;
}

/** Where n_common came from. */
export type CommonUserSource = 'option' | 'data-info' | 'common_new_reindex';

/**
 * The number of common (overlapping) users of a pair from its own description: `*_data_info.txt` in either folder
 * ("common user num N"; both must agree), else the distinct users of `common_new_reindex.txt`; null when neither.
 * @example
 * commonUserCount('data/cdr', ['sport', 'cloth']); // { count: 9828, source: 'data-info', file: '.../cloth_sport_data_info.txt' }
 */
export function commonUserCount(root: string, pair: readonly [string, string]): { count: number; source: CommonUserSource; file: string } | null {
  const folders = [join(root, `${pair[0]}_${pair[1]}`), join(root, `${pair[1]}_${pair[0]}`)].filter(existsSync);
  const infos: Array<{ count: number; file: string }> = [];
  for (const dir of folders) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('_data_info.txt')).sort()) {
      const file = join(dir, name);
      const m = /common user num\s+(\d+)/.exec(readFileSync(file, 'utf8'));
      if (!m) throw new Error(`${file}: no line 'common user num N' (CDRIB's data-info layout)`);
      infos.push({ count: Number(m[1]), file });
    }
  }
  if (infos.length) {
    const other = infos.find((x) => x.count !== infos[0].count);
    if (other) throw new Error(`CDR pair ${pair.join('–')}: ${infos[0].file} says ${infos[0].count} common users, ${other.file} says ${other.count}`);
    return { ...infos[0], source: 'data-info' };
  }
  for (const dir of folders) {
    const file = join(dir, 'common_new_reindex.txt');
    if (!existsSync(file)) continue;
    const users = new Set<string>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const u = line.split('\t')[0].trim();
      if (u !== '') users.add(u);
    }
    return { count: users.size, source: 'common_new_reindex', file };
  }
  return null;
}

/** Options of `loadCdrTextPair`; every key optional (see the fields). */
export interface CdrTextOptions {
  /** Number of overlapping users (ids 0..n-1 in both domains). Default: from the pair's description (`commonUserCount`). */
  nCommonUsers?: number;
  /** Scenario label. Default: 'dual-user-inter' (cold-start) when every validation / test user is cold-start, else 'dual-user-intra'. */
  scenario?: CdrScenario;
}

/**
 * How the two per-domain user spaces were linked: n_common, where it came from, and per domain its local id space
 * (max id + 1), its own (non-common) users and the global offset of those. `sameIdDifferentPeople` counts ids >=
 * n_common that occur in both domains (people a shared id space would have merged).
 * @example
 * const g = globalUserId(data.userSpaces, 1, 12000); // global id of cloth's local user 12000
 */
export interface CdrUserSpaces {
  nCommon: number;
  nCommonSource: CommonUserSource;
  domains: Array<{ name: string; localUsers: number; ownUsers: number; offset: number; commonWithoutRows: number }>;
  sameIdDifferentPeople: number;
}

/** What `loadCdrTextPair` returns: the CDR data (global user ids) and how the user spaces were linked. */
export type CdrTextData = CdrData & { userSpaces: CdrUserSpaces };

/**
 * Global user id of domain `d`'s local user `u`.
 * @example
 * globalUserId({ nCommon: 10, domains: [{ offset: 10 }, { offset: 25 }] }, 1, 12); // 27
 */
export function globalUserId(spaces: { nCommon: number; domains: ReadonlyArray<{ offset: number }> }, d: number, u: number): number {
  return u < spaces.nCommon ? u : spaces.domains[d].offset + (u - spaces.nCommon);
}

/**
 * Loads a domain pair into the CDR data shape (`CdrData` with global user ids, overlap = users, plus `userSpaces`).
 * No categories or segments are known (all 0); `longView` is all 0 (no second behaviour in this data). The third
 * argument may also be a scenario name (the former signature).
 * @example
 * const data = await loadCdrTextPair('data/cdr', ['sport', 'cloth']); // n_common from the pair's *_data_info.txt
 * data.scenario; // 'dual-user-inter' on CDRIB's split
 * const small = await loadCdrTextPair('data/my-pair', ['a', 'b'], { nCommonUsers: 500 });
 */
export async function loadCdrTextPair(root: string, pair: readonly [string, string], options: CdrTextOptions | CdrScenario = {}): Promise<CdrTextData> {
  const o: CdrTextOptions = typeof options === 'string' ? { scenario: options } : options;
  for (const k of Object.keys(o)) if (k !== 'nCommonUsers' && k !== 'scenario') throw new Error(`loadCdrTextPair: unknown option '${k}' (known: nCommonUsers, scenario)`);
  const a = cdrTextAvailability(root, pair);
  if (!a.ok) throw new Error(a.message);
  let nCommon: number;
  let nCommonSource: CommonUserSource;
  if (o.nCommonUsers !== undefined) {
    if (!(Number.isInteger(o.nCommonUsers) && o.nCommonUsers >= 0)) throw new Error(`loadCdrTextPair: nCommonUsers must be a non-negative integer, got ${o.nCommonUsers}`);
    [nCommon, nCommonSource] = [o.nCommonUsers, 'option'];
  } else {
    const c = commonUserCount(root, pair);
    if (!c) {
      throw new Error(
        `CDR pair ${pair.join('–')} under ${root}: the number of common users is unknown. In CDRIB's layout the common users are 0..n_common-1 in both domains and ` +
          `every other id is numbered per domain, so it cannot be guessed from the split files. Copy the pair's *_data_info.txt ("common user num N") or ` +
          `common_new_reindex.txt next to train.txt, or pass { nCommonUsers: N }.`,
      );
    }
    [nCommon, nCommonSource] = [c.count, c.source];
  }
  const parts: Array<Record<CdrTextSplit, Pairs>> = [];
  const lines: Array<Record<CdrTextSplit, Int32Array>> = [];
  const dirs: string[] = [];
  for (const [x, y] of [pair, [pair[1], pair[0]]]) {
    const dir = join(root, `${x}_${y}`);
    const rec = {} as Record<CdrTextSplit, Pairs>;
    const at = {} as Record<CdrTextSplit, Int32Array>;
    for (const s of CDR_TEXT_SPLITS) ({ pairs: rec[s], lines: at[s] } = await readWithLines(join(dir, `${s}.txt`)));
    parts.push(rec);
    lines.push(at);
    dirs.push(dir);
  }
  // Per-domain local user spaces and the cold-start check (a cold user must be a common user).
  const local = parts.map((p, d) => {
    let localUsers = nCommon;
    const seen = new Uint8Array(nCommon);
    for (const s of CDR_TEXT_SPLITS) {
      for (const u of p[s].users) {
        localUsers = Math.max(localUsers, u + 1);
        if (u < nCommon) seen[u] = 1;
      }
    }
    const warm = new Set(p.train.users);
    for (const s of ['valid', 'test'] as const) {
      const i = p[s].users.findIndex((u) => u >= nCommon && !warm.has(u));
      if (i >= 0) {
        throw new CdrTextError(join(dirs[d], `${s}.txt`), lines[d][s][i], `user ${p[s].users[i]} has no training rows in ${pair[d]} and is not a common user (n_common = ${nCommon}, from ${nCommonSource}): nothing is known of them. Check the number of common users.`);
      }
    }
    return { name: pair[d], localUsers, ownUsers: localUsers - nCommon, offset: 0, commonWithoutRows: nCommon - seen.reduce((x, y) => x + y, 0), warm };
  });
  local[0].offset = nCommon;
  local[1].offset = nCommon + local[0].ownUsers;
  const nUsers = nCommon + local[0].ownUsers + local[1].ownUsers;
  const own = (d: number) => {
    const ids = new Set<number>();
    for (const s of CDR_TEXT_SPLITS) for (const u of parts[d][s].users) if (u >= nCommon) ids.add(u);
    return ids;
  };
  const ownB = own(1);
  const sameIdDifferentPeople = [...own(0)].filter((u) => ownB.has(u)).length;
  const toGlobal = (d: number, p: Pairs): Pairs => ({ users: p.users.map((u) => globalUserId({ nCommon, domains: local }, d, u)), items: p.items });
  let offset = 0;
  let allCold = true;
  const domains: CdrDomain[] = parts.map((p, d) => {
    let nItems = 0;
    for (const s of CDR_TEXT_SPLITS) for (const i of p[s].items) nItems = Math.max(nItems, i + 1);
    const warm = local[d].warm;
    const split = (q: Pairs, keepWarm: boolean): Pairs => {
      const idx = Array.from(q.users.keys()).filter((n) => warm.has(q.users[n]) === keepWarm);
      return toGlobal(d, { users: Int32Array.from(idx, (n) => q.users[n]), items: Int32Array.from(idx, (n) => q.items[n]) });
    };
    const dom: CdrDomain = {
      name: pair[d], nItems, train: toGlobal(d, p.train), valid: split(p.valid, true), test: split(p.test, true), coldTest: split(p.test, false), coldValid: split(p.valid, false),
      itemCategory: new Int32Array(nItems), globalItem: Int32Array.from({ length: nItems }, (_, i) => offset + i), longView: new Uint8Array(p.train.users.length),
    };
    if (dom.valid.users.length + dom.test.users.length > 0) allCold = false;
    offset += nItems;
    return dom;
  });
  const scenario: CdrScenario = o.scenario ?? (allCold ? 'dual-user-inter' : 'dual-user-intra');
  const userSpaces: CdrUserSpaces = { nCommon, nCommonSource, domains: local.map(({ warm: _w, ...rest }) => rest), sameIdDifferentPeople };
  return { scenario, nUsers, nGlobalItems: offset, nCategories: 1, userSegment: new Int32Array(nUsers), nSegments: 1, domains, overlapKind: 'users', userSpaces };
}
