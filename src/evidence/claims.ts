/**
 * Claims are data: a pipeline declares what its paper claims ("FARM > PLE on mean reliable-task AUC") and every run
 * gives each claim a verdict computed from the run's records — agrees (significant in the claimed direction), disagrees
 * (significant the other way) or cannot tell (not significant: the effect is below what this run can detect; the
 * verdict prints the minimum detectable effect). Nothing here is tuned to make a verdict agree.
 */
import { select, type ResultRecord } from './records.ts';
import { combineSeedsAndTest, type Comparison } from './stats.ts';
import { EVIDENCE_DEFAULTS } from './rules.ts';

/** A paper's claim about one comparison in one table. */
export interface Claim {
  /** Short stable id, e.g. 'farm-beats-ple'. */
  id: string;
  /** The claim in words, as the paper makes it. */
  text: string;
  /** Where the paper makes it (table, section). */
  source: string;
  table: string;
  metric: string;
  /** Split of the records (default 'test'). */
  split?: string;
  method: string;
  /** The paper's own base, fixed in advance (never chosen from results). */
  base: string;
  /** Variant and knob of both sides (default ''); `baseVariant` when the base is another variant of the same method. */
  variant?: string;
  baseVariant?: string;
  knob?: string;
  /** Direction the paper says `method` moves `metric` relative to `base`. */
  direction: 'higher' | 'lower';
}

/** The three verdicts, plus 'not measured' when the run has no records for one side (e.g. a method left out by config). */
export type VerdictKind = 'agrees' | 'disagrees' | 'cannot tell' | 'not measured';

/** A claim's verdict in one run. */
export interface Verdict {
  claim: Claim;
  verdict: VerdictKind;
  /** Paired comparison method - base over the shared seeds; null when not measured. */
  comparison: Comparison | null;
  /** Why, in one sentence (effect, interval, p, MDE, seeds, reliability, convergence). */
  reason: string;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? (Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(4) : x.toExponential(2)) : String(x);
}

/**
 * Computes a claim's verdict from records.
 * @param options.alpha - significance level (default 0.05); options.minPositives - reliable-task threshold (default 100).
 * @example
 * judgeClaim({ id: 'din', text: 'DIN beats DNN', source: 'world design', table: 'main', metric: 'auc', method: 'DIN',
 *   base: 'DNN', direction: 'higher' }, records).verdict; // 'agrees' | 'disagrees' | 'cannot tell' | 'not measured'
 */
export function judgeClaim(claim: Claim, records: ReadonlyArray<ResultRecord>, options: { alpha?: number; minPositives?: number } = {}): Verdict {
  const { alpha = EVIDENCE_DEFAULTS.alpha, minPositives = EVIDENCE_DEFAULTS.minPositives } = options;
  const split = claim.split ?? 'test';
  const knob = claim.knob ?? '';
  const a = select(records, { table: claim.table, method: claim.method, variant: claim.variant ?? '', knob, metric: claim.metric, split });
  const b = select(records, { table: claim.table, method: claim.base, variant: claim.baseVariant ?? claim.variant ?? '', knob, metric: claim.metric, split });
  const bySeed = new Map(b.map((r) => [r.seed, r]));
  const pairs = a.filter((r) => bySeed.has(r.seed)).map((r) => [r, bySeed.get(r.seed) as ResultRecord] as const);
  if (!pairs.length) {
    const missing = !a.length ? claim.method : !b.length ? claim.base : 'seeds shared by both';
    return { claim, verdict: 'not measured', comparison: null, reason: `no records for ${missing} in table '${claim.table}', metric '${claim.metric}', split '${split}'` };
  }
  const diffs = pairs.map(([x, y]) => x.value - y.value);
  const withSe = pairs.every(([x, y]) => x.se !== null && y.se !== null);
  const testVars = withSe ? pairs.map(([x, y]) => (x.se as number) ** 2 + (y.se as number) ** 2) : null;
  const c = combineSeedsAndTest(diffs, testVars);
  const positives = Math.min(...pairs.flatMap(([x, y]) => [x.positives ?? Infinity, y.positives ?? Infinity]));
  const still = pairs.filter(([x, y]) => x.stillImproving || y.stillImproving).map(([x]) => x.seed);
  const sign = claim.direction === 'higher' ? 1 : -1;
  const parts = [`${claim.method} − ${claim.base} = ${fmt(c.diff)}`];
  if (Number.isFinite(c.se)) parts.push(`95% CI [${fmt(c.ci[0])}, ${fmt(c.ci[1])}]`);
  if (c.p !== null) parts.push(`p=${c.p < 1e-4 ? '<1e-4' : c.p.toFixed(4)}`);
  if (Number.isFinite(c.mde)) parts.push(`MDE ${fmt(c.mde)}`);
  parts.push(`${c.seeds} seed${c.seeds === 1 ? '' : 's'}`);
  if (!withSe) parts.push('seed variance only (no test-set SE recorded)');
  if (still.length) parts.push(`still improving (seeds ${still.join(', ')})`);
  const detail = parts.join(', ');
  if (positives < minPositives) return { claim, verdict: 'cannot tell', comparison: c, reason: `unreliable: ${positives} test positives < ${minPositives}; ${detail}` };
  if (c.p === null) return { claim, verdict: 'cannot tell', comparison: c, reason: `1 seed: no test; ${detail}` };
  if (c.p >= alpha) return { claim, verdict: 'cannot tell', comparison: c, reason: `not significant at ${alpha} (|effect| below what this run detects); ${detail}` };
  return { claim, verdict: Math.sign(c.diff) === sign ? 'agrees' : 'disagrees', comparison: c, reason: detail };
}

/**
 * The declared claims with the ones a run restated (same id, e.g. a mechanism sweep run with other knob values)
 * put in their place, in the declared order. A restated id that is not declared, or restated twice, is an error naming
 * `where`.
 * @example
 * restateClaims(spec.claims ?? [], output.claims, 'mrff/mechanism'); // the growth claim now says "0 to 1"
 */
export function restateClaims(declared: ReadonlyArray<Claim>, restated: ReadonlyArray<Claim> | undefined, where: string): Claim[] {
  const known = new Set(declared.map((c) => c.id));
  const byId = new Map<string, Claim>();
  for (const c of restated ?? []) {
    if (!known.has(c.id)) throw new Error(`${where}: the run restated claim '${c.id}', which the pipeline does not declare (declared: ${[...known].join(', ') || 'none'})`);
    if (byId.has(c.id)) throw new Error(`${where}: the run restated claim '${c.id}' twice ('${byId.get(c.id)?.text}' and '${c.text}'); restate each claim once`);
    byId.set(c.id, c);
  }
  return declared.map((c) => byId.get(c.id) ?? c);
}

/**
 * Verdicts of every claim, in order; a claim id declared twice is an error.
 * @example
 * judgeClaims(pipeline.claims ?? [], run.records).map((v) => `${v.claim.id}: ${v.verdict}`);
 */
export function judgeClaims(claims: ReadonlyArray<Claim>, records: ReadonlyArray<ResultRecord>, options: { alpha?: number; minPositives?: number } = {}): Verdict[] {
  const seen = new Set<string>();
  for (const c of claims) {
    if (seen.has(c.id)) throw new Error(`claims: id '${c.id}' is declared twice`);
    seen.add(c.id);
  }
  return claims.map((c) => judgeClaim(c, records, options));
}

/**
 * Renders verdicts as a Markdown table (claim, verdict, measured, source).
 * @example
 * verdictsToMarkdown(verdicts, 'smoke test — not evidence');
 */
export function verdictsToMarkdown(verdicts: ReadonlyArray<Verdict>, label?: string): string {
  if (!verdicts.length) return '';
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`### Claims and verdicts${label ? ` (${label})` : ''}`, '', '| claim | verdict | measured | source |', '|---|---|---|---|'];
  for (const v of verdicts) lines.push(`| ${esc(v.claim.text)} | **${v.verdict}** | ${esc(v.reason)} | ${esc(v.claim.source)} |`);
  lines.push('', 'agrees: significant (two-sided, alpha 0.05) in the claimed direction; disagrees: significant the other way; cannot tell: not significant — the effect is below the minimum detectable effect (MDE, 80% power) of this run. Intervals combine seed variance with test-set sampling (the two methods\' test SEs added, which ignores their positive correlation and so errs wide — except for claims on table \'gain\', whose records carry the paired SE of method − base on the same test rows where the pipeline computed one).');
  return `${lines.join('\n')}\n`;
}
