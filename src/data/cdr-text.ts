/**
 * Loader of the CDRIB / UniCDR text layout (datasets.md "CDR pairs"): for a domain pair A–B, the folder
 * `<root>/<a>_<b>/` holds domain A's interactions and `<root>/<b>_<a>/` domain B's, each as `train.txt`, `valid.txt`,
 * `test.txt` with one `user<TAB>item` per line (0-based integer ids; users are the common, re-indexed users shared by
 * both folders, items are per domain). Layout assumption: the first name of a folder is the domain whose interactions
 * it holds (CDRIB ships both directions, e.g. `sport_cloth` and `cloth_sport`).
 * Files are streamed line by line; a bad line (wrong field count, a non-integer or negative id, trailing garbage) is an
 * error naming the file and the 1-based line number. Blank lines are skipped. Test pairs of users without training
 * history in that domain become cold-start pairs (`coldTest`), as in the inter-domain (cold-start) setting.
 * The data is Amazon 2014 (no licence text): the toolkit never ships it; `cdrTextAvailability` says how to obtain it.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { CdrData, CdrDomain, CdrScenario, Pairs } from '../worlds/multi-domain-world.ts';

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

/**
 * Streams one `user<TAB>item` file into pairs.
 * @example
 * const p = await readCdrTextFile('data/cdr/sport_cloth/train.txt'); p.users.length;
 */
export async function readCdrTextFile(file: string): Promise<Pairs> {
  const users: number[] = [];
  const items: number[] = [];
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
  }
  return { users: Int32Array.from(users), items: Int32Array.from(items) };
}

/** Whether a pair's six files exist; `message` says what is missing and how to get them. */
export function cdrTextAvailability(root: string, pair: readonly [string, string]): { ok: boolean; message: string; missing: string[] } {
  const [a, b] = pair;
  const missing = [`${a}_${b}`, `${b}_${a}`].flatMap((dir) => CDR_TEXT_SPLITS.map((s) => join(root, dir, `${s}.txt`))).filter((f) => !existsSync(f));
  return {
    ok: missing.length === 0,
    missing,
    message: missing.length === 0 ? `CDR pair ${a}–${b} found under ${root}` : `CDR pair ${a}–${b}: ${missing.length} file(s) missing under ${root} (first: ${missing[0]}). Obtain the CDRIB pairs from github.com/cjx96/CDRIB (dataset/${a}_${b}/ and dataset/${b}_${a}/: train.txt, valid.txt, test.txt) or UniCDR's split files (Google Drive "WSDM2023-UniCDR-datasets" linked from github.com/cjx96/UniCDR), and copy both folders under ${root}. The rows are Amazon 2014 data: do not commit them.`,
  };
}

/**
 * Loads a domain pair into the multi-domain data shape (`CdrData`, overlap = users). No categories or segments are
 * known (all 0); `longView` is all 0 (no second behaviour in this data).
 * @example
 * const data = await loadCdrTextPair('data/cdr', ['sport', 'cloth']);
 * data.domains.map((d) => d.nItems);
 */
export async function loadCdrTextPair(root: string, pair: readonly [string, string], scenario: CdrScenario = 'dual-user-intra'): Promise<CdrData> {
  const a = cdrTextAvailability(root, pair);
  if (!a.ok) throw new Error(a.message);
  const parts: Array<Record<(typeof CDR_TEXT_SPLITS)[number], Pairs>> = [];
  for (const [x, y] of [pair, [pair[1], pair[0]]]) {
    const dir = join(root, `${x}_${y}`);
    const rec = {} as Record<(typeof CDR_TEXT_SPLITS)[number], Pairs>;
    for (const s of CDR_TEXT_SPLITS) rec[s] = await readCdrTextFile(join(dir, `${s}.txt`));
    parts.push(rec);
  }
  let nUsers = 0;
  for (const p of parts) for (const s of CDR_TEXT_SPLITS) for (const u of p[s].users) nUsers = Math.max(nUsers, u + 1);
  let offset = 0;
  const domains: CdrDomain[] = parts.map((p, d) => {
    let nItems = 0;
    for (const s of CDR_TEXT_SPLITS) for (const i of p[s].items) nItems = Math.max(nItems, i + 1);
    const warm = new Set(p.train.users);
    const split = (q: Pairs, keepWarm: boolean): Pairs => {
      const idx = Array.from(q.users.keys()).filter((n) => warm.has(q.users[n]) === keepWarm);
      return { users: Int32Array.from(idx, (n) => q.users[n]), items: Int32Array.from(idx, (n) => q.items[n]) };
    };
    const dom: CdrDomain = {
      name: pair[d], nItems, train: p.train, valid: split(p.valid, true), test: split(p.test, true), coldTest: split(p.test, false), coldValid: split(p.valid, false),
      itemCategory: new Int32Array(nItems), globalItem: Int32Array.from({ length: nItems }, (_, i) => offset + i), longView: new Uint8Array(p.train.users.length),
    };
    offset += nItems;
    return dom;
  });
  return { scenario, nUsers, nGlobalItems: offset, nCategories: 1, userSegment: new Int32Array(nUsers), nSegments: 1, domains, overlapKind: 'users' };
}
