/**
 * Verdicts in the report: per run, the paper's claims with their verdicts (coloured: agrees green, disagrees red,
 * cannot tell grey, not measured pale), the measured difference with its 95% interval, p, the minimum detectable effect,
 * the seeds and the claim's source; and across papers, a summary that counts the verdicts per paper with smoke-test
 * verdicts (quick runs) kept apart from evidence verdicts. Also the smoke-test badge every output of a quick run
 * carries. Every string from data goes through escapeHtml.
 */
import { escapeHtml as esc } from '../plots/export.ts';
import { SMOKE_TEST_LABEL } from '../evidence/rules.ts';
import type { Verdict, VerdictKind } from '../evidence/claims.ts';
import type { ReportRun } from './runs.ts';

/** The verdict kinds in display order. */
export const VERDICT_KINDS: readonly VerdictKind[] = ['agrees', 'disagrees', 'cannot tell', 'not measured'];

/** Styles of badges and verdicts; unscoped class names, included in each section and in the page. */
export const VERDICT_CSS = `.reclab-badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 7px; border-radius: 10px; margin-left: 6px; vertical-align: middle; white-space: nowrap; }
.reclab-badge.smoke { background: #fff3cd; color: #7a5a00; border: 1px solid #e0b400; }
.reclab-badge.skipped { background: #eceff1; color: #37474f; border: 1px solid #90a4ae; }
.reclab-badge.mode { background: #e8f0fe; color: #1a4f8b; border: 1px solid #a8c4ec; font-weight: 500; }
.reclab-verdict { display: inline-block; font-weight: 700; padding: 1px 7px; border-radius: 3px; white-space: nowrap; }
.reclab-verdict.v-agrees { background: #e6f4ea; color: #1e7b34; border: 1px solid #1e7b34; }
.reclab-verdict.v-disagrees { background: #fdecea; color: #b3261e; border: 1px solid #b3261e; }
.reclab-verdict.v-cannot-tell { background: #eeeeee; color: #555555; border: 1px solid #888888; }
.reclab-verdict.v-not-measured { background: #ffffff; color: #888888; border: 1px dashed #aaaaaa; font-weight: 400; font-style: italic; }
.reclab-skip { border-left: 4px solid #90a4ae; background: #f5f7f8; padding: 6px 10px; margin: 0.5em 0; }
.reclab-smoke-note { border-left: 4px solid #e0b400; background: #fffbea; padding: 6px 10px; margin: 0.5em 0; }
table.reclab-verdicts td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }`;

/**
 * The visible "smoke test — not evidence" badge of quick-run outputs.
 * @example
 * smokeBadge(); // '<span class="reclab-badge smoke">smoke test — not evidence</span>'
 */
export function smokeBadge(): string {
  return `<span class="reclab-badge smoke">${esc(SMOKE_TEST_LABEL)}</span>`;
}

/**
 * A verdict as a coloured label (class `v-agrees`, `v-disagrees`, `v-cannot-tell`, `v-not-measured`); `text` replaces
 * the verdict's name (e.g. a count).
 * @example
 * verdictLabel('agrees'); // '<span class="reclab-verdict v-agrees">agrees</span>'
 */
export function verdictLabel(kind: VerdictKind, text: string = kind): string {
  return `<span class="reclab-verdict v-${kind.replace(/ /g, '-')}">${esc(text)}</span>`;
}

/** A number for a difference, interval or MDE: 4 decimals, or 3 significant digits in exponent form below 0.001. */
function fmt(x: number, signed = false): string {
  if (!Number.isFinite(x)) return '—';
  const s = Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2);
  return signed && x >= 0 ? `+${s}` : s;
}

function fmtP(p: number | null): string {
  return p === null ? '—' : p < 1e-4 ? '&lt;1e-4' : p.toFixed(4);
}

/**
 * What the verdict's reason says beyond the numbers in the other columns: its qualifier (unreliable task, 1 seed, not
 * significant), why it is not measured, fits still improving, no test-set SE.
 */
function verdictNote(v: Verdict): string {
  if (v.verdict === 'not measured') return v.reason;
  const parts: string[] = [];
  const qualifier = v.reason.includes('; ') ? v.reason.split('; ')[0] : '';
  if (qualifier) parts.push(qualifier);
  const still = /still improving \(seeds [^)]*\)/.exec(v.reason);
  if (still) parts.push(still[0]);
  if (v.reason.includes('seed variance only')) parts.push('seed variance only (no test-set SE recorded)');
  return parts.join('; ');
}

/**
 * A run's "Claims and verdicts": one row per claim with its verdict, the measured difference method − base with its
 * 95% interval, p, MDE and seeds, a note and the claim's source. Smoke tests carry the badge in the heading and on
 * every verdict. `null` (a run made before verdicts existed) and `[]` (no claims declared) say so in one line.
 * @example
 * verdictsHtml(run.verdicts, { smokeTest: run.smokeTest });
 */
export function verdictsHtml(verdicts: readonly Verdict[] | null, options: { smokeTest: boolean }): string {
  if (verdicts === null) return '<h4>Claims and verdicts</h4>\n<p class="note">No verdicts: this run was made before claims were judged (no verdicts.json).</p>\n';
  if (verdicts.length === 0) return '<h4>Claims and verdicts</h4>\n<p class="note">This pipeline declares no claims.</p>\n';
  const smoke = options.smokeTest;
  const rows = verdicts.map((v) => {
    const c = v.comparison;
    const claim = v.claim;
    const what = `${claim.method}${claim.variant ? ` (${claim.variant})` : ''} vs ${claim.base}${claim.baseVariant ? ` (${claim.baseVariant})` : ''} · ${claim.metric} (${claim.split ?? 'test'}) · table ${claim.table}${claim.knob ? ` · ${claim.knob}` : ''} · expected ${claim.direction}`;
    const ci = c && Number.isFinite(c.ci[0]) ? `[${fmt(c.ci[0])}, ${fmt(c.ci[1])}]` : '—';
    return `<tr class="verdict-row" data-claim="${esc(claim.id)}" data-verdict="${esc(v.verdict)}"><td>${esc(claim.text)}<br><span class="note">${esc(what)}</span></td>` +
      `<td>${verdictLabel(v.verdict)}${smoke ? '<br><span class="reclab-badge smoke">smoke test</span>' : ''}</td>` +
      `<td class="num">${c ? esc(fmt(c.diff, true)) : '—'}</td><td class="num">${esc(ci)}</td><td class="num">${c ? fmtP(c.p) : '—'}</td>` +
      `<td class="num">${c ? esc(fmt(c.mde)) : '—'}</td><td class="num">${c ? esc(String(c.seeds)) : '—'}</td>` +
      `<td class="note">${esc(verdictNote(v))}</td><td class="note">${esc(claim.source)}</td></tr>`;
  });
  return `<h4>Claims and verdicts${smoke ? ` ${smokeBadge()}` : ''}</h4>
${smoke ? `<p class="reclab-smoke-note">These verdicts come from a quick run: ${esc(SMOKE_TEST_LABEL)}. Tiny budgets and few seeds; none of them can be trusted.</p>\n` : ''}<table class="reclab-table reclab-verdicts"><thead><tr><th>claim</th><th>verdict</th><th>difference (method − base)</th><th>95% CI</th><th>p</th><th>MDE</th><th>seeds</th><th>note</th><th>source</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<p class="table-note">agrees: significant (two-sided, alpha 0.05) in the claimed direction; disagrees: significant the other way; cannot tell: not significant — the effect is below the minimum detectable effect (MDE, 80% power) of this run; not measured: the run has no records for one side. Intervals combine seed variance with test-set sampling.</p>
`;
}

/** Verdict counts by kind. */
export type VerdictCounts = Record<VerdictKind, number>;

/** One row of the cross-paper summary: a paper's runs of one kind (evidence or smoke test) and their verdict counts. */
export interface SummaryRow {
  /** The paper label (meta.json `paper`). */
  paper: string;
  /** True for the smoke-test group (quick runs). */
  smokeTest: boolean;
  runs: Array<{ pipeline: string; runId: string; mode: string; state: 'finished' | 'skipped'; claims: number | null }>;
  counts: VerdictCounts;
  /** Why some claims have no verdict (runs made before verdicts, no claims declared, skipped pipelines). */
  notes: string[];
}

const zero = (): VerdictCounts => ({ agrees: 0, disagrees: 0, 'cannot tell': 0, 'not measured': 0 });

/**
 * The cross-paper summary: per paper and per group (evidence first, then smoke tests), the counts of agrees /
 * disagrees / cannot tell / not measured over its reported runs. A skipped run counts only when its pipeline has no
 * finished run reported, and then every claim it declares counts as not measured.
 * @example
 * verdictSummary(collected.runs, collected.skipped).map((r) => `${r.paper}: ${r.counts.agrees} agree`);
 */
export function verdictSummary(runs: readonly ReportRun[], skipped: readonly ReportRun[] = []): SummaryRow[] {
  const reported = new Set(runs.map((r) => r.pipeline));
  const rows = new Map<string, SummaryRow>();
  for (const run of [...runs, ...skipped.filter((s) => !reported.has(s.pipeline))]) {
    const key = `${run.smokeTest ? 1 : 0}\u0000${run.meta.paper}`;
    const row = rows.get(key) ?? { paper: run.meta.paper, smokeTest: run.smokeTest, runs: [], counts: zero(), notes: [] };
    rows.set(key, row);
    row.runs.push({ pipeline: run.pipeline, runId: run.runId, mode: run.mode, state: run.state, claims: run.verdicts?.length ?? null });
    if (run.state === 'skipped') {
      row.counts['not measured'] += run.verdicts?.length ?? 0;
      row.notes.push(`${run.pipeline} skipped: ${run.reason ?? ''}`);
    } else if (run.verdicts === null) row.notes.push(`${run.pipeline}: no verdicts (run made before claims were judged)`);
    else if (run.verdicts.length === 0) row.notes.push(`${run.pipeline}: no claims declared`);
    else for (const v of run.verdicts) row.counts[v.verdict] += 1;
  }
  return [...rows.values()].sort((a, b) => Number(a.smokeTest) - Number(b.smokeTest) || a.paper.localeCompare(b.paper));
}

function summaryTable(rows: readonly SummaryRow[], title: (paper: string) => string, anchor: (paper: string) => string | undefined): string {
  const total = zero();
  for (const r of rows) for (const k of VERDICT_KINDS) total[k] += r.counts[k];
  const count = (k: VerdictKind, n: number) => (n > 0 ? `<td class="num">${verdictLabel(k, String(n))}</td>` : '<td class="num">0</td>');
  const body = rows.map((r) => {
    const a = anchor(r.paper);
    const name = a ? `<a href="#${esc(a)}">${esc(title(r.paper))}</a>` : esc(title(r.paper));
    const runs = r.runs.map((x) => `<code>${esc(x.pipeline)}</code> ${esc(x.state === 'skipped' ? `skipped (${x.mode})` : x.mode)}`).join('<br>');
    return `<tr data-paper="${esc(r.paper)}"><th scope="row">${name}</th><td>${runs}</td>${VERDICT_KINDS.map((k) => count(k, r.counts[k])).join('')}<td class="note">${r.notes.map(esc).join('<br>')}</td></tr>`;
  });
  return `<table class="reclab-table reclab-summary-table"><thead><tr><th>paper</th><th>runs (pipeline, mode)</th>${VERDICT_KINDS.map((k) => `<th>${esc(k)}</th>`).join('')}<th>note</th></tr></thead><tbody>
${body.join('\n')}
<tr class="total"><th scope="row">all</th><td></td>${VERDICT_KINDS.map((k) => `<td class="num">${total[k]}</td>`).join('')}<td></td></tr>
</tbody></table>`;
}

/**
 * The summary across papers as HTML: evidence verdicts (evidence and paper mode) and, apart, smoke-test verdicts (quick
 * mode) with the badge. `title` names a paper (e.g. from the registry), `anchor` gives its section's element id.
 * @example
 * summaryHtml(verdictSummary(collected.runs, collected.skipped));
 */
export function summaryHtml(rows: readonly SummaryRow[], title: (paper: string) => string = (p) => p, anchor: (paper: string) => string | undefined = () => undefined): string {
  const evidence = rows.filter((r) => !r.smokeTest);
  const smoke = rows.filter((r) => r.smokeTest);
  return `<section class="reclab-summary">
<h2>Verdicts across papers</h2>
<p class="note">Counts of the papers' claims by verdict in the reported runs (agrees: significant in the claimed direction; disagrees: significant the other way; cannot tell: below what the run can detect; not measured: no records for one side, or the pipeline was skipped).</p>
<h3>Evidence verdicts</h3>
${evidence.length ? summaryTable(evidence, title, anchor) : '<p class="note">No evidence-mode run is reported: no verdict below is evidence.</p>'}
<h3>Smoke-test verdicts ${smokeBadge()}</h3>
${smoke.length ? `<p class="reclab-smoke-note">Quick runs are smoke tests: they check that a pipeline runs, not whether a claim holds.</p>\n${summaryTable(smoke, title, anchor)}` : '<p class="note">No smoke-test run is reported.</p>'}
</section>
`;
}
