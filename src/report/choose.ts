/**
 * Choosing the runs to report. By default, per pipeline: the newest finished run of the highest mode present
 * (paper > evidence > quick; runs made before the evidence modes, mode 'full', rank between quick and evidence), so a
 * 1-seed or quick smoke run never silently replaces an evidence run; the chosen run says so, and names the newer
 * finished runs of a lower mode that were passed over. A skipped run (its data is absent) never hides a finished one:
 * the newest skipped run newer than the chosen run (or the newest at all when none finished) is shown with its reason.
 * Runs newer than the chosen one that did not finish (running, failed, interrupted, unreadable) are listed as
 * incomplete, never reported.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isReportRun, modeRank, readRun, type ReportRun, type RunInfo } from './runs.ts';

/** What {@link collectRuns} found. */
export interface CollectedRuns {
  /** Finished runs to report, ordered by pipeline name, each with its {@link ReportRun.choice}. */
  runs: ReportRun[];
  /** Skipped runs shown with their reason (state 'skipped'), ordered by pipeline name. */
  skipped: ReportRun[];
  /** Runs that did not finish (or cannot be read): listed in the report as incomplete, never reported. */
  incomplete: RunInfo[];
}

/** Options of {@link collectRuns}. */
export interface CollectRunsOptions {
  /** Exactly these run folders (paths, or relative to the results folder) instead of choosing. */
  runs?: readonly string[];
  /** Only runs of this mode (e.g. 'quick' to report smoke tests); default every mode, the highest preferred. */
  mode?: string;
}

/** The rule by which runs are chosen by default, as the report states it. */
export const DEFAULT_CHOICE_RULE = 'the newest finished run of the highest mode present (paper > evidence > quick)';

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Sort order: newest first, by the start time in status.json, then by run id. */
function newer(a: RunInfo, b: RunInfo): number {
  return (b.started ?? '').localeCompare(a.started ?? '') || b.runId.localeCompare(a.runId);
}

const strip = ({ dir, runId, pipeline, state, mode, started, ended, heartbeat, reason }: RunInfo): RunInfo =>
  Object.fromEntries(Object.entries({ dir, runId, pipeline, state, mode, started, ended, heartbeat, reason }).filter(([, v]) => v !== undefined)) as unknown as RunInfo;

/**
 * One pipeline's runs (any order) -> what to report: the chosen finished run, the skipped run to show, the incomplete
 * runs to list.
 * @example
 * choosePipelineRuns(runs).chosen?.mode; // 'evidence' when an evidence run exists, even if a quick run is newer
 */
export function choosePipelineRuns(all: ReadonlyArray<ReportRun | RunInfo>, rule = DEFAULT_CHOICE_RULE): { chosen?: ReportRun; skipped?: ReportRun; incomplete: RunInfo[] } {
  const runs = [...all].sort(newer);
  const finished = runs.filter((r): r is ReportRun => isReportRun(r) && r.state === 'finished');
  const top = Math.max(...finished.map((r) => modeRank(r.mode)));
  const best = finished.find((r) => modeRank(r.mode) === top);
  const at = best ? runs.indexOf(best) : runs.length;
  const later = runs.slice(0, at); // started after the chosen run (all runs when none finished)
  const chosen = best && { ...best, choice: { rule, newerLowerMode: later.filter((r) => isReportRun(r) && r.state === 'finished').map(strip) } };
  const skipped = later.find((r): r is ReportRun => isReportRun(r) && r.state === 'skipped');
  const incomplete = later.filter((r) => !isReportRun(r)).map(strip);
  return { ...(chosen ? { chosen } : {}), ...(skipped ? { skipped } : {}), incomplete };
}

/**
 * Finds the runs to report. Default: under `resultsDir`, per pipeline folder, {@link choosePipelineRuns} (the newest
 * finished run of the highest mode, the newest skipped run newer than it, the unfinished runs newer than it). With
 * `runs`, exactly those run folders; a named run that did not finish is listed as incomplete. With `mode`, only runs
 * of that mode are considered. The `report` folder and folders without run folders are passed over.
 * @example
 * const { runs, skipped, incomplete } = collectRuns('results');
 * collectRuns('results', { runs: ['baselines-ctr/20261128-115938-quick'] });
 * collectRuns('results', { mode: 'quick' }); // the newest smoke test per pipeline
 */
export function collectRuns(resultsDir = 'results', options: CollectRunsOptions = {}): CollectedRuns {
  const out: CollectedRuns = { runs: [], skipped: [], incomplete: [] };
  if (options.runs && options.runs.length > 0) {
    for (const r of options.runs) {
      const dir = isDir(r) ? r : join(resultsDir, r);
      if (!isDir(dir) || !existsSync(join(dir, 'status.json'))) throw new Error(`collectRuns: ${r} is not a run folder (no status.json in ${resolve(dir)})`);
      const run = readRun(dir);
      if (!isReportRun(run)) out.incomplete.push(run);
      else if (run.state === 'skipped') out.skipped.push(run);
      else out.runs.push({ ...run, choice: { rule: 'named when the report was made', newerLowerMode: [] } });
    }
    return sorted(out);
  }
  if (!isDir(resultsDir)) throw new Error(`collectRuns: no results folder at ${resolve(resultsDir)} (run \`reclab reproduce\` first)`);
  for (const p of readdirSync(resultsDir).sort()) {
    const pdir = join(resultsDir, p);
    if (p === 'report' || !isDir(pdir)) continue;
    let runs = readdirSync(pdir).map((d) => join(pdir, d)).filter((d) => isDir(d) && existsSync(join(d, 'status.json'))).map(readRun);
    if (options.mode !== undefined) runs = runs.filter((r) => r.mode === options.mode);
    const { chosen, skipped, incomplete } = choosePipelineRuns(runs, options.mode === undefined ? DEFAULT_CHOICE_RULE : `the newest finished run of mode '${options.mode}' (asked for)`);
    if (chosen) out.runs.push(chosen);
    if (skipped) out.skipped.push(skipped);
    out.incomplete.push(...incomplete);
  }
  return sorted(out);
}

function sorted(c: CollectedRuns): CollectedRuns {
  const byPipeline = (a: RunInfo, b: RunInfo) => a.pipeline.localeCompare(b.pipeline);
  return { runs: [...c.runs].sort(byPipeline), skipped: [...c.skipped].sort(byPipeline), incomplete: c.incomplete };
}
