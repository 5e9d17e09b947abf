/**
 * `reclab report`: turns runs into one report with the verdicts and the paper's numbers beside ours.
 *   collectRuns(resultsDir)  -> per pipeline the newest finished run of the highest mode present (paper > evidence >
 *                               quick), the newest skipped run newer than it (shown with its reason, never hiding
 *                               it), and the runs that did not finish (listed, never reported); or the named folders;
 *   buildReport(runs)        -> a {@link Report}: a verdict summary across papers (evidence apart from smoke tests),
 *                               then one section per paper (from each run's meta.json `paper`, `title`, `pipeline`,
 *                               so a new pipeline adds its section without touching this code) with each run's claims
 *                               and verdicts and its tables, computed from its records (results.csv);
 *                               `report.section('farm')` is the section's HTML for a notebook (tslab display.html),
 *                               the very string index.html holds;
 *   writeReport(report, dir) -> <dir>/<report-id>/ with index.html (figures inline as SVG), figures/<pipeline>--<figure>
 *                               .png|.svg copies for slides, report.json, and index.pdf (headless Chromium) — listed
 *                               in the footer only when it was written.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { htmlToPdf } from '../plots/export.ts';
import { loadPaperNumbers, paperKey, type PaperRegistry } from './paper-numbers.ts';
import { renderPage, renderSection, figureFileStem } from './render.ts';
import { verdictSummary, type SummaryRow } from './verdicts.ts';
import type { CollectedRuns } from './choose.ts';
import type { ReportRun, RunInfo } from './runs.ts';

export { collectRuns, choosePipelineRuns, DEFAULT_CHOICE_RULE } from './choose.ts';
export type { CollectedRuns, CollectRunsOptions } from './choose.ts';
export { readRun, isReportRun, modeRank } from './runs.ts';
export type { ReportRun, RunChoice, RunFigure, RunInfo, RunMeta, RunState } from './runs.ts';
export { verdictSummary, verdictsHtml, summaryHtml, smokeBadge, verdictLabel, VERDICT_KINDS } from './verdicts.ts';
export type { SummaryRow, VerdictCounts } from './verdicts.ts';

/** Options of {@link buildReport}. */
export interface BuildReportOptions {
  /** Report id (folder name); default the build time as YYYYMMDD-HHMMSS. */
  id?: string;
  /** Paper-number registry; default the shipped one ({@link loadPaperNumbers}). */
  registry?: PaperRegistry;
}

/**
 * A built report: sections per paper (HTML), the whole page, and what went in. Made by {@link buildReport}.
 * @example
 * const report = buildReport(collectRuns('results'));
 * report.papers;               // ['baselines', ...]
 * report.section('baselines'); // '<section class="reclab-section" ...'
 * report.html();               // the whole page
 */
export class Report {
  /**
   * @param sections paper label -> the section's HTML, in page order.
   * @param skipped skipped runs shown with their reason (see `collectRuns`).
   */
  constructor(
    readonly id: string,
    readonly created: string,
    readonly runs: readonly ReportRun[],
    readonly incomplete: readonly RunInfo[],
    private readonly sections: ReadonlyMap<string, string>,
    readonly skipped: readonly ReportRun[] = [],
  ) {}

  /** The verdict counts per paper, evidence rows first, then smoke-test rows (see {@link verdictSummary}). */
  get summary(): SummaryRow[] {
    return verdictSummary(this.runs, this.skipped);
  }

  /** Paper labels with a section, in page order (as the runs' meta.json spell them). */
  get papers(): string[] {
    return [...this.sections.keys()];
  }

  /**
   * The HTML of one paper's section — the same string index.html holds — for inline display in a notebook.
   * Matches the label exactly or ignoring case and punctuation ('chorus-cvr' finds 'ChorusCVR').
   * @example
   * tslab.display.html(report.section('baselines'));
   */
  section(paper: string): string {
    const exact = this.sections.get(paper);
    if (exact !== undefined) return exact;
    const hit = [...this.sections.entries()].find(([k]) => paperKey(k) === paperKey(paper));
    if (!hit) throw new Error(`report ${this.id}: no section for paper '${paper}' (sections: ${this.papers.join(', ') || 'none'})`);
    return hit[1];
  }

  /**
   * The whole report page (index.html's content). `pdf`: whether the footer lists index.pdf (default false; writeReport
   * sets it when it writes the PDF).
   */
  html(options: { pdf?: boolean } = {}): string {
    return renderPage(this, [...this.sections.values()], options);
  }
}

/**
 * Builds the report from collected runs: finished and skipped runs grouped by their meta.json `paper` (sections sorted
 * by label; within a section by pipeline, a pipeline's finished run before its skipped one), each run with its
 * verdicts, tables, ours-vs-paper comparisons, A/B lifts, inline SVG figures and metadata.
 * @example
 * const report = buildReport(collectRuns('results'));
 * report.papers;  // ['baselines']
 * report.summary; // [{ paper: 'baselines', smokeTest: false, counts: { agrees: 1, ... }, ... }]
 */
export function buildReport(collected: CollectedRuns, options: BuildReportOptions = {}): Report {
  const now = new Date();
  const id = options.id ?? now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const registry = options.registry ?? loadPaperNumbers();
  const skipped = collected.skipped ?? [];
  const byPaper = new Map<string, ReportRun[]>();
  for (const r of [...collected.runs, ...skipped]) byPaper.set(r.meta.paper, [...(byPaper.get(r.meta.paper) ?? []), r]);
  const order = (a: ReportRun, b: ReportRun) => a.pipeline.localeCompare(b.pipeline) || Number(a.state === 'skipped') - Number(b.state === 'skipped');
  const sections = new Map<string, string>();
  [...byPaper.keys()].sort().forEach((paper, i) => sections.set(paper, renderSection(paper, byPaper.get(paper)!.sort(order), registry, `s${i + 1}`)));
  return new Report(id, now.toISOString(), collected.runs, collected.incomplete, sections, skipped);
}

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  dir: string;
  html: string;
  /** index.pdf, absent with `pdf: false` or without Chromium (see `warnings`). */
  pdf?: string;
  /** Figure copies with stable names (`<pipeline>--<figure>.png|svg`). */
  figures: string[];
  warnings: string[];
}

/**
 * Writes the report into a new folder `<outDir>/<report.id>` (created exclusively; `-1`, `-2`, ... when taken, never
 * overwriting): index.html, figures/ (PNG and SVG copies named `<pipeline>--<figure>`), report.json (runs in, their
 * modes and verdict counts, skipped and incomplete runs, the files written) and index.pdf through headless Chromium
 * unless `pdf` is false. When the PDF cannot be made (no Chromium, or Chromium fails) it is skipped with a warning and
 * index.html is written again without index.pdf in its footer. Default outDir 'results/report'.
 * @example
 * const out = await writeReport(buildReport(collectRuns('results')), 'results/report', { pdf: false });
 * console.log(out.html, out.pdf); // out.pdf undefined
 */
export async function writeReport(report: Report, outDir = join('results', 'report'), options: { pdf?: boolean; executablePath?: string } = {}): Promise<WrittenReport> {
  mkdirSync(outDir, { recursive: true });
  let dir = '';
  for (let i = 0; i < 100 && !dir; i++) {
    const candidate = join(outDir, `${report.id}${i ? `-${i}` : ''}`);
    try {
      mkdirSync(candidate); // exclusive: throws EEXIST rather than reuse a folder
      dir = resolve(candidate);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (!dir) throw new Error(`writeReport: could not create a new report folder under ${resolve(outDir)}`);
  const wantPdf = options.pdf ?? true;
  const html = join(dir, 'index.html');
  // the PDF is printed from index.html, so its footer lists index.pdf; rewritten below when no PDF comes of it
  writeFileSync(html, report.html({ pdf: wantPdf }));
  const figDir = join(dir, 'figures');
  mkdirSync(figDir);
  const figures: string[] = [];
  for (const run of report.runs) {
    for (const fig of run.figures) {
      for (const ext of ['png', 'svg'] as const) {
        const src = fig[ext];
        if (!src) continue;
        const dest = join(figDir, `${figureFileStem(run, fig, report.runs)}.${ext}`);
        copyFileSync(src, dest);
        figures.push(dest);
      }
    }
  }
  const warnings: string[] = [];
  let pdf: string | undefined;
  if (wantPdf) {
    try {
      pdf = await htmlToPdf(html, join(dir, 'index.pdf'), { executablePath: options.executablePath });
    } catch (e) {
      warnings.push(`no index.pdf: ${(e as Error).message}`);
      writeFileSync(html, report.html({ pdf: false }));
    }
  }
  const runJson = (r: ReportRun) => ({ pipeline: r.pipeline, paper: r.meta.paper, dir: r.dir, mode: r.mode, smokeTest: r.smokeTest, state: r.state, ...(r.reason && r.state === 'skipped' ? { reason: r.reason } : {}), ...(r.choice ? { choice: { rule: r.choice.rule, newerLowerMode: r.choice.newerLowerMode.map((x) => x.dir) } } : {}), verdicts: r.verdicts?.map((v) => ({ claim: v.claim.id, verdict: v.verdict })) ?? null });
  const summary = {
    id: report.id, created: report.created, papers: report.papers, summary: report.summary,
    runs: report.runs.map(runJson), skipped: report.skipped.map(runJson), incomplete: report.incomplete,
    files: ['index.html', ...(pdf ? ['index.pdf'] : []), 'report.json'], figures: figures.map((f) => basename(f)),
  };
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return { dir, html, ...(pdf ? { pdf } : {}), figures, warnings };
}
