/**
 * HTML of the report: one self-contained section per paper (its own scoped <style>, so `report.section(paper)` shows
 * the same thing in a notebook as in index.html) and the page around the sections. Figures are the runs' exported
 * SVG files inlined after {@link sanitizeSvg} (scripts, event handlers and foreign objects removed; ids prefixed so
 * several plotly SVGs can share one page). Every string from data, config, run names or the registry is escaped.
 */
import { readFileSync } from 'node:fs';
import { escapeHtml as esc } from '../plots/export.ts';
import { compareWithPaper } from './compare.ts';
import { findPaper, type PaperRegistry } from './paper-numbers.ts';
import { SourceNotes, abTestsHtml, comparisonHtml, paperTablesHtml, resultTableHtml } from './render-tables.ts';
import { VERDICT_CSS, smokeBadge, summaryHtml, verdictSummary, verdictsHtml } from './verdicts.ts';
import { SMOKE_TEST_LABEL } from '../evidence/rules.ts';
import type { Report } from './report.ts';
import type { ReportRun, RunFigure, RunInfo } from './runs.ts';

/** The section stylesheet (scoped to .reclab-section; repeated in each section so a section stands alone). */
const SECTION_CSS = `.reclab-section { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #222; line-height: 1.4; max-width: 1000px; margin: 0 0 2.5em; }
.reclab-section h2 { border-bottom: 2px solid #1f77b4; padding-bottom: 0.2em; }
.reclab-section h3 { margin-top: 1.6em; }
.reclab-section table.reclab-table { border-collapse: collapse; margin: 0.5em 0; font-size: 13px; }
.reclab-section table.reclab-table th, .reclab-section table.reclab-table td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
.reclab-section table.reclab-table thead th { background: #f0f4f8; }
.reclab-section tr.ref td, .reclab-section tr.ref th { background: #fafafa; }
.reclab-section .muted, .reclab-section tr.muted { color: #777; }
.reclab-section .note, .reclab-section .unit { color: #555; font-size: 0.9em; }
.reclab-section .na { color: #999; font-style: italic; }
.reclab-section .src { font-size: 0.8em; padding: 0 4px; border-radius: 3px; background: #eee; white-space: nowrap; }
.reclab-section .src-third-party { background: #fff2cc; }
.reclab-section .src-community-reimplementation { background: #fde2e2; }
.reclab-section .src-paper { background: #e2f0d9; }
.reclab-section .table-note, .reclab-section .ordering { font-size: 13px; margin: 0.2em 0; }
.reclab-section .ordering { font-weight: 600; }
.reclab-section .warning { color: #a00; }
.reclab-section figure.reclab-figure { margin: 0.8em 0; break-inside: avoid; }
.reclab-section figure.reclab-figure svg { max-width: 100%; height: auto; display: block; }
.reclab-section figcaption { font-size: 12px; color: #555; }
.reclab-section details.reclab-provenance table { font-size: 12px; }
.reclab-section ol.reclab-sources { font-size: 12px; }
.reclab-section .reclab-compare { break-inside: avoid; }
.reclab-section .reclab-choice { font-size: 13px; margin: 0.2em 0; }
${VERDICT_CSS}`;

/** A name safe for files and element ids: letters, digits, '.', '_' and '-' (others become '-'). */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'x';
}

/**
 * The stable file name (without extension) of a run's figure in the report's figures/ folder:
 * `<pipeline>--<figure>` ('baselines/ctr' gives 'baselines-ctr--test-auc'); `--<run-id>` is appended only when two
 * reported runs come from the same pipeline.
 * @example
 * figureFileStem(run, run.figures[0], report.runs); // 'baselines-ctr--test-auc'
 */
export function figureFileStem(run: ReportRun, fig: RunFigure, all: readonly ReportRun[]): string {
  const twice = all.filter((r) => r.pipeline === run.pipeline).length > 1;
  return `${safeName(run.pipeline)}--${safeName(fig.name)}${twice ? `--${safeName(run.runId)}` : ''}`;
}

/**
 * Makes an exported SVG safe and unique to inline: drops the XML prolog, doctype and comments, `<script>`,
 * `<foreignObject>`, `<iframe>`/`<object>`/`<embed>` elements, `on*` attributes and `javascript:` links, and prefixes
 * every id (and its `url(#id)` / `href="#id"` references) with `prefix`. Returns null when the text is not an SVG.
 * @example
 * sanitizeSvg('<svg><defs><clipPath id="c"/></defs><g clip-path="url(#c)"/></svg>', 'f1-');
 * // '<svg><defs><clipPath id="f1-c"/></defs><g clip-path="url(#f1-c)"/></svg>'
 */
export function sanitizeSvg(text: string, prefix: string): string | null {
  let s = text.replace(/<\?xml[\s\S]*?\?>/g, '').replace(/<!DOCTYPE[\s\S]*?>/gi, '').replace(/<!--[\s\S]*?-->/g, '').trim();
  if (!/^<svg[\s>]/i.test(s)) return null;
  for (const tag of ['script', 'foreignObject', 'iframe', 'object', 'embed']) {
    s = s
      .replace(new RegExp(`<${tag}\\b[^>]*\\/>`, 'gi'), '') // self-closing
      .replace(new RegExp(`<${tag}\\b[\\s\\S]*?<\\/${tag}\\s*>`, 'gi'), '') // element with its content
      .replace(new RegExp(`<\\/?${tag}\\b[^>]*>`, 'gi'), ''); // any unbalanced tag left
  }
  s = s
    .replace(/\s(?:on[a-z]+)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi, '')
    .replace(/((?:xlink:)?href\s*=\s*["'])\s*javascript:[^"']*/gi, '$1#')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
    .replace(/url\((['"]?)#([^)'"]+)\1\)/g, `url($1#${prefix}$2$1)`)
    .replace(/((?:xlink:)?href\s*=\s*")#([^"]+)"/g, `$1#${prefix}$2"`);
  return s;
}

function figureHtml(fig: RunFigure, prefix: string, smokeTest: boolean): string {
  const caption = `<figcaption>${esc(fig.name)}${smokeTest ? ` ${smokeBadge()}` : ''}</figcaption>`;
  if (!fig.svg) return `<figure class="reclab-figure missing" data-figure="${esc(fig.name)}"><p class="warning">No SVG was exported for this figure${fig.png ? ' (PNG only; see the figures folder)' : ''}.</p>${caption}</figure>`;
  let svg: string | null = null;
  try {
    svg = sanitizeSvg(readFileSync(fig.svg, 'utf8'), prefix);
  } catch {
    svg = null;
  }
  if (svg === null) return `<figure class="reclab-figure missing" data-figure="${esc(fig.name)}"><p class="warning">The SVG file could not be read as SVG.</p>${caption}</figure>`;
  return `<figure class="reclab-figure" data-figure="${esc(fig.name)}">${svg}${caption}</figure>`;
}

function row(label: string, value: string): string {
  return `<tr><th scope="row">${esc(label)}</th><td>${value}</td></tr>`;
}

/** The run's metadata as a details table: folder, commit and dirty flag, backend, seeds, timings, packages. */
function runMetaHtml(run: ReportRun): string {
  const m = run.meta;
  const p = m.provenance;
  const timings = Object.entries(m.timings ?? {});
  const total = m.timings?.total;
  const stages = timings.filter(([k]) => k !== 'total').map(([k, v]) => `${esc(k)} ${esc(v.toFixed(1))} s`).join(' · ');
  const rows = [
    row('run folder', `<code>${esc(run.dir)}</code>`),
    row('run', `${esc(run.runId)}, ${esc(run.started ?? '?')} → ${esc(run.ended ?? '?')}`),
    row('mode', `${esc(run.mode)}${run.smokeTest ? ` (${esc(SMOKE_TEST_LABEL)})` : ''}`),
    row('commit', p ? `<code>${esc(p.commit)}</code>` : 'not recorded'),
    row('working tree', p ? (p.dirty ? 'dirty (uncommitted changes)' : 'clean') : 'not recorded'),
    row('backend', p ? esc(`${p.backend.name}${p.backend.package ? ` (${p.backend.package} ${p.backend.version ?? ''}${p.backend.reason ? `; ${p.backend.reason}` : ''})` : ''}`) : 'not recorded'),
    row('seeds', esc(m.seeds ? m.seeds.join(', ') : 'not recorded')),
    row('time', `${total === undefined ? '' : `total ${esc(total.toFixed(1))} s`}${stages ? `<br><span class="note">${stages}</span>` : ''}`),
  ];
  if (p?.node || p?.machine) rows.push(row('machine', esc(`Node ${p.node ?? '?'}${p.machine ? `; ${p.machine.cpus} × ${p.machine.cpuModel}, ${p.machine.memoryGb} GiB` : ''}`)));
  if (p?.packages) rows.push(row('packages', esc(Object.entries(p.packages).map(([k, v]) => `${k} ${v}`).join(', '))));
  return `<details class="reclab-provenance" open><summary>Run metadata</summary>
<table class="reclab-table"><tbody>
${rows.join('\n')}
</tbody></table></details>
`;
}

function when(r: RunInfo): string {
  return r.started ? `, started ${esc(r.started)}` : '';
}

/** How the run was chosen, and the newer runs of a lower mode that were passed over. */
function choiceHtml(run: ReportRun): string {
  const parts = [`<p class="reclab-choice">Run <code>${esc(run.runId)}</code>, <strong>${esc(run.mode)}</strong> mode${when(run)}${run.choice ? `: ${esc(run.choice.rule)}` : ''}.</p>`];
  const lower = run.choice?.newerLowerMode ?? [];
  if (lower.length) {
    parts.push(`<p class="reclab-choice warning">Newer runs of a lower mode exist and are not shown: ${lower.map((r) => `<code>${esc(r.runId)}</code> (${esc(r.mode ?? 'unknown')} mode${when(r)})`).join('; ')}.</p>`);
  }
  return parts.join('\n');
}

/** The visible skip message of a skipped run, saying whether an older finished run of its pipeline is shown. */
function skipHtml(run: ReportRun, shown: readonly ReportRun[]): string {
  const older = shown.find((r) => r.pipeline === run.pipeline && r.state === 'finished');
  const claims = run.verdicts?.length ?? 0;
  const after = older
    ? `The older finished run <code>${esc(older.runId)}</code> (${esc(older.mode)} mode) of this pipeline is shown instead.`
    : `No finished run of this pipeline exists${claims ? `; its ${claims} claim${claims === 1 ? ' is' : 's are'} not measured` : ''}.`;
  return `<p class="reclab-skip"><strong>Skipped</strong> (run <code>${esc(run.runId)}</code>, ${esc(run.mode)} mode${when(run)}): ${esc(run.reason ?? 'no reason recorded')}. ${after}</p>`;
}

/**
 * One paper's section: the paper header (from the registry when the paper is registered; the smoke-test badge when
 * its runs are quick runs), then per run: its mode and how it was chosen (or its skip message), its claims and
 * verdicts, its tables (computed from its records), ours-vs-paper comparisons with the ordering sentence, simulated
 * A/B lifts, inline figures, warnings and metadata; then the paper's registered tables and the numbered sources.
 * Every table, figure and verdict of a quick run carries the "smoke test — not evidence" badge. `runs` holds the
 * finished runs and the skipped runs of the paper. `idPrefix` keeps element ids unique on the page.
 * @example
 * renderSection('baselines', runs, loadPaperNumbers(), 's1');
 */
export function renderSection(paper: string, runs: readonly ReportRun[], registry: PaperRegistry, idPrefix: string): string {
  const info = findPaper(paper, registry);
  const numbers = info ? registry.numbers.filter((n) => n.paper === info.id) : [];
  const notes = new SourceNotes();
  const smokeRuns = runs.filter((r) => r.smokeTest);
  const allSmoke = runs.length > 0 && smokeRuns.length === runs.length;
  const smokeNote = allSmoke
    ? `<p class="reclab-smoke-note">${smokeBadge()} Every run in this section is a quick run: ${esc(SMOKE_TEST_LABEL)}.</p>`
    : smokeRuns.length
      ? `<p class="reclab-smoke-note">${smokeBadge()} ${smokeRuns.map((r) => `<code>${esc(r.pipeline)}</code>`).join(', ')}: quick run${smokeRuns.length === 1 ? '' : 's'}, ${esc(SMOKE_TEST_LABEL)}.</p>`
      : '';
  const badge = allSmoke ? ` ${smokeBadge()}` : '';
  const head = info
    ? `<h2>${esc(info.title)}${badge}</h2>
<p class="note">paper <code>${esc(paper)}</code>${info.url ? ` · <a href="${esc(info.url)}">${esc(info.url)}</a>` : ''} · spec ${esc(info.spec)}</p>
${info.note ? `<p class="note">${esc(info.note)}</p>` : ''}`
    : `<h2>${esc(paper)}${badge}</h2>
<p class="note">No paper numbers are registered for <code>${esc(paper)}</code>; the tables below are ours only.</p>`;
  const body = runs.map((run, r) => {
    const smoke = run.smokeTest;
    const badges = `<span class="reclab-badge mode">${esc(run.mode)} mode</span>${smoke ? smokeBadge() : ''}${run.state === 'skipped' ? '<span class="reclab-badge skipped">skipped</span>' : ''}`;
    const parts: string[] = [`<h3>${esc(run.meta.title)} <code>${esc(run.pipeline)}</code> ${badges}</h3>`];
    if (run.state === 'skipped') parts.push(skipHtml(run, runs));
    else parts.push(choiceHtml(run), verdictsHtml(run.verdicts, { smokeTest: smoke }));
    for (const t of run.tables) {
      parts.push(resultTableHtml(t, { smokeTest: smoke }));
      // comparisons with numbers on both sides first; 'not available' ones after, as one line each
      const comps = compareWithPaper(t, numbers).sort((a, b) => Number(b.rows.some((x) => x.paper?.value != null)) - Number(a.rows.some((x) => x.paper?.value != null)));
      for (const c of comps) parts.push(comparisonHtml(c, info, notes, { smokeTest: smoke }));
    }
    parts.push(abTestsHtml(run.abTests, numbers.filter((n) => n.table.startsWith('online')), notes, { smokeTest: smoke }));
    run.figures.forEach((f, i) => parts.push(figureHtml(f, `${idPrefix}-r${r + 1}-f${i + 1}-`, smoke)));
    for (const w of run.warnings) parts.push(`<p class="warning">warning: ${esc(w)}</p>`);
    parts.push(runMetaHtml(run));
    return `<article class="reclab-run" data-pipeline="${esc(run.pipeline)}" data-run="${esc(run.runId)}" data-state="${esc(run.state)}" data-mode="${esc(run.mode)}"${smoke ? ' data-smoke-test="true"' : ''}>\n${parts.filter(Boolean).join('\n')}</article>`;
  });
  const paperTables = info && numbers.length > 0 ? `<h3>The paper's numbers (registry)</h3>\n${paperTablesHtml(info, numbers, notes)}` : '';
  return `<section class="reclab-section" id="${esc(idPrefix)}-${esc(safeName(paper))}" data-paper="${esc(paper)}"${allSmoke ? ' data-smoke-test="true"' : ''}>
<style>${SECTION_CSS}</style>
${head}
${smokeNote}
${body.join('\n')}
${paperTables}
${notes.html()}</section>
`;
}

/** The element id of a paper's section on the page (its position in `papers` and its label). */
export function sectionAnchor(papers: readonly string[], paper: string): string | undefined {
  const i = papers.indexOf(paper);
  return i < 0 ? undefined : `s${i + 1}-${safeName(paper)}`;
}

function incompleteHtml(runs: readonly RunInfo[]): string {
  if (runs.length === 0) return '';
  const state = (r: RunInfo) => (r.state === 'running'
    ? `running — not finished${r.heartbeat ? ` (last heartbeat ${r.heartbeat})` : ''}; if no process is working on it, it died without marking its folder`
    : r.state);
  return `<div class="incomplete"><h2>Runs that did not finish (not reported)</h2>
<table class="reclab-table"><thead><tr><th>pipeline</th><th>run</th><th>mode</th><th>status</th><th>started</th><th>why</th></tr></thead><tbody>
${runs.map((r) => `<tr data-state="${esc(r.state)}"><td>${esc(r.pipeline)}</td><td><code>${esc(r.runId)}</code></td><td>${esc(r.mode ?? '')}</td><td>${esc(state(r))}</td><td>${esc(r.started ?? '')}</td><td>${esc(r.reason ?? '')}</td></tr>`).join('\n')}
</tbody></table></div>`;
}

function skippedHtml(skipped: readonly ReportRun[], reported: readonly ReportRun[]): string {
  if (skipped.length === 0) return '';
  const shown = (s: ReportRun) => reported.find((r) => r.pipeline === s.pipeline);
  return `<div class="skipped"><h2>Skipped runs</h2>
<table class="reclab-table"><thead><tr><th>pipeline</th><th>run</th><th>mode</th><th>why skipped</th><th>shown instead</th></tr></thead><tbody>
${skipped.map((s) => `<tr><td>${esc(s.pipeline)}</td><td><code>${esc(s.runId)}</code></td><td>${esc(s.mode)}</td><td>${esc(s.reason ?? '')}</td><td>${shown(s) ? `older finished run <code>${esc(shown(s)!.runId)}</code> (${esc(shown(s)!.mode)} mode)` : 'nothing: no finished run'}</td></tr>`).join('\n')}
</tbody></table></div>`;
}

/**
 * The report page: header (id, creation time, contents), the verdict summary across papers (evidence apart from smoke
 * tests), the skipped runs with their reasons, the runs that did not finish, the sections, and a footer naming the
 * files in the report folder — index.pdf only when `pdf` is true (it is written). No scripts: figures are inline SVG.
 * @example
 * writeFileSync('index.html', renderPage(report, sections, { pdf: false }));
 */
export function renderPage(report: Report, sections: readonly string[], options: { pdf?: boolean } = {}): string {
  const papers = report.papers;
  const smokeOnly = (p: string) => {
    const rs = [...report.runs, ...report.skipped].filter((r) => r.meta.paper === p);
    return rs.length > 0 && rs.every((r) => r.smokeTest);
  };
  const toc = papers.map((p, i) => `<li><a href="#s${i + 1}-${esc(safeName(p))}">${esc(findPaper(p)?.title ?? p)}</a>${smokeOnly(p) ? ` ${smokeBadge()}` : ''}</li>`).join('\n');
  const summary = summaryHtml(verdictSummary(report.runs, report.skipped), (p) => findPaper(p)?.title ?? p, (p) => sectionAnchor(papers, p));
  const figs = report.runs.flatMap((r) => r.figures.map((f) => `${figureFileStem(r, f, report.runs)}.{${[f.png ? 'png' : '', f.svg ? 'svg' : ''].filter(Boolean).join(',')}}`));
  const files = ['index.html', ...(options.pdf ? ['index.pdf'] : []), 'report.json'];
  const smokeCount = report.runs.filter((r) => r.smokeTest).length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="reclab report">
<title>reclab report ${esc(report.id)}</title>
<style>
body.reclab-report { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #222; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
body.reclab-report > header h1 { margin-bottom: 0.1em; }
body.reclab-report .note { color: #555; font-size: 0.9em; }
body.reclab-report table.reclab-table { border-collapse: collapse; font-size: 13px; margin: 0.5em 0; }
body.reclab-report table.reclab-table th, body.reclab-report table.reclab-table td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
body.reclab-report table.reclab-table thead th { background: #f0f4f8; }
body.reclab-report tr.total th, body.reclab-report tr.total td { font-weight: 600; background: #fafafa; }
body.reclab-report .incomplete { border-left: 4px solid #c00; padding-left: 12px; margin: 1em 0 2em; }
body.reclab-report .skipped { border-left: 4px solid #90a4ae; padding-left: 12px; margin: 1em 0 2em; }
body.reclab-report .reclab-summary { margin: 1em 0 2em; }
body.reclab-report footer { border-top: 1px solid #ccc; margin-top: 3em; font-size: 12px; color: #555; }
${VERDICT_CSS}
@media print { body.reclab-report { margin: 0; max-width: none; } .reclab-section h2 { break-before: page; } .reclab-section:first-of-type h2 { break-before: auto; } }
</style>
</head>
<body class="reclab-report">
<header>
<h1>reclab report</h1>
<p class="note">report ${esc(report.id)} · created ${esc(report.created)} · ${report.runs.length} run${report.runs.length === 1 ? '' : 's'} reported${smokeCount ? ` (${smokeCount} smoke test${smokeCount === 1 ? '' : 's'})` : ''}, ${report.skipped.length} skipped, ${report.incomplete.length} incomplete</p>
<nav><ol>
${toc}
</ol></nav>
${summary}
${skippedHtml(report.skipped, report.runs)}
${incompleteHtml(report.incomplete)}
</header>
${sections.join('\n')}
<footer>
<p>Files in this folder: ${files.join(', ')}${figs.length ? `, figures/ (${figs.map(esc).join(', ')})` : ''}.</p>
<p>Unless runs were named, each pipeline's run is its newest finished run of the highest mode present (paper &gt; evidence &gt; quick); quick runs are smoke tests — not evidence. Tables and verdicts are computed from each run's records (results.csv).</p>
<p>Numbers with a coloured source label are not the paper's own: third-party summaries and community re-implementations are quoted as found, unverified. Ours are mean ± sample std over the run's seeds.</p>
</footer>
</body>
</html>
`;
}
