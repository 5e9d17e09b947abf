/**
 * User samples of real data for quick runs (`--quick` on a downloaded dataset): every row of `n` users drawn with a
 * seeded shuffle, so a quick table is a real-data table on fewer people, not on a truncated time range. Rows keep
 * their order; users not drawn are dropped entirely. The sample size and seed are stated by the caller's table.
 * One verb per data shape: `Dataset` splits (sharing one user draw), the federated per-user sequences (KuaiSAR-R),
 * and the cross-domain CDR pairs.
 */
import { Dataset } from './dataset.ts';
import type { CdrData, CdrDomain, Pairs } from './cdr-data.ts';
import { Rng } from '../random.ts';

/**
 * Users in a quick real-data run (a documented constant: about 2,000 users make a table in minutes on 2 cores).
 * @example
 * sampleSplitUsers(parts, QUICK_REAL_DATA_USERS, 1);
 */
export const QUICK_REAL_DATA_USERS = 2000;

/**
 * `n` of `ids` (distinct values) drawn by a seeded Fisher–Yates shuffle; all of them when n >= their count.
 * @example
 * drawUsers([5, 7, 9], 2, 1).size; // 2
 */
export function drawUsers(ids: Iterable<number>, n: number, seed: number): Set<number> {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`sample: n must be a positive integer, got ${n}`);
  const all = [...new Set(ids)].sort((a, b) => a - b);
  if (n >= all.length) return new Set(all);
  const rng = new Rng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return new Set(all.slice(0, n));
}

/**
 * Keeps every row of `n` users drawn (seeded) from the users of all parts together (e.g. train / valid / test of one
 * dataset), the same users in every part. Each part's schema must name its `userId` column.
 * @example
 * const small = sampleSplitUsers({ train, valid, test }, 2000, 1); small.test.size;
 */
export function sampleSplitUsers<K extends string>(parts: Record<K, Dataset>, n: number, seed: number): Record<K, Dataset> {
  const names = Object.keys(parts) as K[];
  const col = (k: K) => {
    const u = parts[k].schema.userId;
    if (!u) throw new Error(`sampleSplitUsers: part '${k}' has no userId column in its schema`);
    return parts[k].column(u);
  };
  const users = drawUsers(names.flatMap((k) => Array.from(col(k))), n, seed);
  const out = {} as Record<K, Dataset>;
  for (const k of names) {
    const c = col(k);
    const rows: number[] = [];
    for (let i = 0; i < c.length; i++) if (users.has(c[i])) rows.push(i);
    out[k] = parts[k].take(Int32Array.from(rows));
  }
  return out;
}

/** The per-user shape of federated data (KuaiSAR-R, the federated world): one sequence and one feature row per user. */
export interface PerUserData<S> {
  users: number;
  userFields: ReadonlyArray<unknown>;
  /** (users * userFields.length) row-major. */
  userFeatures: Int32Array;
  sequences: S[];
}

/**
 * Keeps `n` users (seeded draw) of per-user data, re-indexed 0..n-1 in their original order; items are untouched.
 * @example
 * const small = sampleSequenceUsers(await loadKuaiSAR(dir), 2000, 1); small.users; // 1791 on KuaiSAR-R (all of them)
 */
export function sampleSequenceUsers<S, T extends PerUserData<S>>(data: T, n: number, seed: number): T {
  const keep = [...drawUsers(Array.from({ length: data.users }, (_, u) => u), n, seed)].sort((a, b) => a - b);
  const F = data.userFields.length;
  const userFeatures = new Int32Array(keep.length * F);
  keep.forEach((u, i) => userFeatures.set(data.userFeatures.subarray(u * F, (u + 1) * F), i * F));
  const { truth: _truth, ...rest } = data as T & { truth?: unknown };
  return { ...rest, users: keep.length, userFeatures, sequences: keep.map((u) => data.sequences[u]) } as unknown as T;
}

/**
 * Keeps every pair of `n` users (seeded draw among the users with any pair), in every domain and split, re-indexed
 * 0..n-1 in their original order (common users of a CDRIB pair stay first); items and catalogues are untouched.
 * @example
 * const small = sampleCdrUsers(await loadCdrTextPair('data/cdr', ['sport', 'cloth']), 2000, 1);
 */
export function sampleCdrUsers(data: CdrData, n: number, seed: number): CdrData {
  const splits = ['train', 'valid', 'test', 'coldTest', 'coldValid'] as const;
  const seen: number[] = [];
  for (const d of data.domains) for (const s of splits) seen.push(...d[s].users);
  const keep = [...drawUsers(seen, n, seed)].sort((a, b) => a - b);
  const index = new Map(keep.map((u, i) => [u, i]));
  const filter = (p: Pairs, extra?: Uint8Array): { pairs: Pairs; extra?: Uint8Array } => {
    const rows: number[] = [];
    for (let i = 0; i < p.users.length; i++) if (index.has(p.users[i])) rows.push(i);
    return {
      pairs: { users: Int32Array.from(rows, (i) => index.get(p.users[i]) as number), items: Int32Array.from(rows, (i) => p.items[i]) },
      ...(extra ? { extra: Uint8Array.from(rows, (i) => extra[i]) } : {}),
    };
  };
  const domains: CdrDomain[] = data.domains.map((d) => {
    const train = filter(d.train, d.longView);
    return { ...d, train: train.pairs, longView: train.extra as Uint8Array, valid: filter(d.valid).pairs, test: filter(d.test).pairs, coldTest: filter(d.coldTest).pairs, coldValid: filter(d.coldValid).pairs };
  });
  const { userSpaces: _spaces, ...rest } = data as CdrData & { userSpaces?: unknown };
  return { ...rest, nUsers: keep.length, userSegment: Int32Array.from(keep, (u) => data.userSegment[u]), domains };
}
