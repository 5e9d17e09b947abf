/**
 * The evidence rules that do not need statistics: run modes, seeds, reliable tasks and the "still improving" flag.
 */

/**
 * How a pipeline runs: `quick` is a smoke test (every output says "smoke test — not evidence"); `evidence` (the
 * default) is sized for this 2-core machine as a designed experiment; `paper` uses the paper's sizes where known.
 */
export type RunMode = 'quick' | 'evidence' | 'paper';

/** The run modes in order of size. */
export const RUN_MODES: readonly RunMode[] = ['quick', 'evidence', 'paper'];

/** Evidence-mode thresholds; defaults in {@link EVIDENCE_DEFAULTS}. */
export interface EvidenceRules {
  /** Distinct seeds required outside quick mode. */
  minSeeds: number;
  /** Test positives a task needs to enter summaries, monitors and verdicts. */
  minPositives: number;
  /** Target test-sampling SE of a headline metric (AUC, HR, NDCG). */
  targetSe: number;
  /** Two-sided significance level of the verdicts and the MDE. */
  alpha: number;
  /** Power of the MDE. */
  power: number;
}

/** At least 5 seeds, 100 test positives per reliable task, SE ≤ 0.005, alpha 0.05, power 0.8. */
export const EVIDENCE_DEFAULTS: EvidenceRules = { minSeeds: 5, minPositives: 100, targetSe: 0.005, alpha: 0.05, power: 0.8 };

/** The line every smoke-test output carries. */
export const SMOKE_TEST_LABEL = 'smoke test — not evidence';

/**
 * Checks a seed list: duplicates are always an error (a repeated seed is not a new observation); outside quick mode
 * fewer than `rules.minSeeds` distinct seeds is an error.
 * @example
 * checkSeeds([1, 2, 3, 4, 5], 'evidence'); // passes
 * checkSeeds([1, 1, 1], 'quick');          // throws: seed 1 appears 3 times
 */
export function checkSeeds(seeds: ReadonlyArray<number>, mode: RunMode, where = 'seeds', rules: EvidenceRules = EVIDENCE_DEFAULTS): void {
  if (!seeds.length) throw new Error(`${where}: no seeds`);
  const counts = new Map<number, number>();
  for (const s of seeds) {
    if (!Number.isInteger(s)) throw new Error(`${where}: seed ${s} is not an integer`);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  for (const [s, c] of counts) if (c > 1) throw new Error(`${where}: seed ${s} appears ${c} times in [${seeds.join(', ')}]; seeds must be distinct`);
  if (mode !== 'quick' && seeds.length < rules.minSeeds) {
    throw new Error(`${where}: ${mode} mode needs at least ${rules.minSeeds} distinct seeds, got ${seeds.length} ([${seeds.join(', ')}]); use --quick for a smoke test`);
  }
}

/** Split of tasks into reliable ones and the ones left out of summaries, with the reason. */
export interface ReliableTasks {
  reliable: string[];
  excluded: Array<{ task: string; positives: number; reason: string }>;
}

/**
 * The reliable-task rule: a task with fewer than `minPositives` positives is shown but left out of summaries,
 * validation monitors and verdicts.
 * @param positives - positives per task on `split` (the smallest over seeds when they differ).
 * @param split - the split the counts come from ('test' by default; 'valid' for a validation monitor), named in the reason.
 * @example
 * reliableTasks({ click: 5200, gift: 3 }); // { reliable: ['click'], excluded: [{ task: 'gift', positives: 3, ... }] }
 */
export function reliableTasks(positives: Record<string, number>, minPositives = EVIDENCE_DEFAULTS.minPositives, split = 'test'): ReliableTasks {
  const out: ReliableTasks = { reliable: [], excluded: [] };
  for (const [task, n] of Object.entries(positives)) {
    if (n >= minPositives) out.reliable.push(task);
    else out.excluded.push({ task, positives: n, reason: `${n} ${split} positives < ${minPositives}` });
  }
  return out;
}

/**
 * True when a fit's best validation epoch is the last one it was allowed (so more epochs might still help).
 * @param bestEpoch - 0-based best epoch; epochsAllowed - the configured epoch budget.
 * @example
 * stillImproving(5, 6); // true
 */
export function stillImproving(bestEpoch: number, epochsAllowed: number): boolean {
  return bestEpoch >= epochsAllowed - 1;
}

/**
 * Test-sampling SE of a mean of per-unit values (HR@K, NDCG@K over users; a rate over rows): sd / √n.
 * @example
 * meanSe([1, 0, 0, 1]); // 0.2886...
 */
export function meanSe(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1) / n);
}
