/**
 * `reclab report`: turns finished runs into one report with the paper's numbers beside ours.
 *   collectRuns(resultsDir)  -> the newest FINISHED run per pipeline (or the named run folders), plus the runs that
 *                               did not finish, listed with their status and never reported;
 *   buildReport(runs)        -> a {@link Report}: one section per paper (from each run's meta.json `paper`, `title`,
 *                               `pipeline`, so a new pipeline adds its section without touching this code);
 *                               `report.section('farm')` is the section's HTML for a notebook (tslab display.html),
 *                               the very string index.html holds;
 *   writeReport(report, dir) -> <dir>/<report-id>/ with index.html (figures inline as SVG), figures/<pipeline>--<figure>
 *                               .png|.svg copies for slides, report.json, and index.pdf (headless Chromium).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ChromiumMissingError, htmlToPdf } from '../plots/export.ts';
import { loadPaperNumbers, paperKey, type PaperRegistry } from './paper-numbers.ts';
import { renderPage, renderSection, figureFileStem } from './render.ts';
import type { CollectedRuns, ReportRun, RunInfo } from './runs.ts';

export { collectRuns, readRun } from './runs.ts';
export type { CollectedRuns, ReportRun, RunFigure, RunInfo, RunMeta, RunState } from './runs.ts';

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
  /** @param sections paper label -> the section's HTML, in page order. */
  constructor(
    readonly id: string,
    readonly created: string,
    readonly runs: readonly ReportRun[],
    readonly incomplete: readonly RunInfo[],
    private readonly sections: ReadonlyMap<string, string>,
  ) {}

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

  /** The whole report page (index.html's content). */
  html(): string {
    return renderPage(this, [...this.sections.values()]);
  }
}

/**
 * Builds the report from collected runs: runs grouped by their meta.json `paper` (sections sorted by label), each
 * run with its tables, ours-vs-paper comparisons, A/B lifts, inline SVG figures and metadata.
 * @example
 * const report = buildReport(collectRuns('results'));
 * report.papers; // ['baselines']
 */
export function buildReport(collected: CollectedRuns, options: BuildReportOptions = {}): Report {
  const now = new Date();
  const id = options.id ?? now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const registry = options.registry ?? loadPaperNumbers();
  const byPaper = new Map<string, ReportRun[]>();
  for (const r of collected.runs) byPaper.set(r.meta.paper, [...(byPaper.get(r.meta.paper) ?? []), r]);
  const sections = new Map<string, string>();
  [...byPaper.keys()].sort().forEach((paper, i) => sections.set(paper, renderSection(paper, byPaper.get(paper)!, registry, `s${i + 1}`)));
  return new Report(id, now.toISOString(), collected.runs, collected.incomplete, sections);
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
 * overwriting): index.html, figures/ (PNG and SVG copies named `<pipeline>--<figure>`), report.json (runs in and
 * incomplete runs) and index.pdf through headless Chromium unless `pdf` is false. Without Chromium the PDF is skipped
 * with a warning. Default outDir 'results/report'.
 * @example
 * const out = await writeReport(buildReport(collectRuns('results')), 'results/report');
 * console.log(out.html, out.pdf);
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
  const html = join(dir, 'index.html');
  writeFileSync(html, report.html());
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
  const summary = { id: report.id, created: report.created, papers: report.papers, runs: report.runs.map((r) => ({ pipeline: r.pipeline, paper: r.meta.paper, dir: r.dir })), incomplete: report.incomplete, figures: figures.map((f) => basename(f)) };
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const warnings: string[] = [];
  let pdf: string | undefined;
  if (options.pdf ?? true) {
    try {
      pdf = await htmlToPdf(html, join(dir, 'index.pdf'), { executablePath: options.executablePath });
    } catch (e) {
      if (!(e instanceof ChromiumMissingError)) throw e;
      warnings.push(`no index.pdf: ${e.message}`);
    }
  }
  return { dir, html, ...(pdf ? { pdf } : {}), figures, warnings };
}
