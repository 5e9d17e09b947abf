/**
 * Finding and reading run folders for the report. A run folder is what src/pipelines/runner.ts writes:
 * status.json, meta.json, results.json, figures/ and the FINISHED marker. Only a run with FINISHED, status 'finished'
 * and readable meta.json/results.json is reported; every other run comes back as a {@link RunInfo} saying why.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import type { ResultTable } from '../pipelines/result-table.ts';
import { parseAbTests, type AbTest } from './ab-tests.ts';

/** A run folder's state: the runner's status, or 'unreadable' when its files cannot be read. */
export type RunState = 'finished' | 'running' | 'failed' | 'interrupted' | 'skipped' | 'unreadable';

/** A run folder as found: where, which pipeline, its state. */
export interface RunInfo {
  dir: string;
  runId: string;
  /** From meta.json when readable, else the folder name of the pipeline. */
  pipeline: string;
  state: RunState;
  started?: string;
  ended?: string;
  /** Why it is not reported (status error, missing FINISHED marker, unreadable file). */
  reason?: string;
}

const MetaSchema = z.object({
  pipeline: z.string(),
  paper: z.string(),
  title: z.string(),
  mode: z.string().optional(),
  seeds: z.array(z.number()).nullable().optional(),
  provenance: z
    .object({
      commit: z.string(),
      dirty: z.boolean(),
      node: z.string().optional(),
      packages: z.record(z.string(), z.string()).optional(),
      backend: z.object({ name: z.string(), package: z.string().optional(), version: z.string().optional(), reason: z.string().optional() }),
      machine: z.object({ cpus: z.number(), cpuModel: z.string(), memoryGb: z.number() }).optional(),
    })
    .optional(),
  timings: z.record(z.string(), z.number()).optional(),
  warnings: z.array(z.string()).optional(),
});
/** What the report reads from a run's meta.json (written by the runner). */
export type RunMeta = z.infer<typeof MetaSchema>;

const num = z.number().nullable().transform((x) => (x === null ? Number.NaN : x)); // JSON writes NaN as null
const ComparisonSchema = z.object({ diff: num, se: num, df: num, ci: z.tuple([num, num]), p: z.number().nullable(), mde: num, seeds: z.number(), seedVariance: num, testVariance: num });
const TableSchema = z.object({
  id: z.string().default(''),
  seeds: z.number().default(0),
  records: z.array(z.any()).default([]),
  title: z.string(),
  base: z.string(),
  metrics: z.array(z.object({ name: z.string(), higherIsBetter: z.boolean() })),
  rows: z.array(z.object({ method: z.string(), stillImproving: z.array(z.number()).default([]), cells: z.record(z.string(), z.object({ mean: num, std: num, n: z.number(), relImpPct: z.number().nullable(), pValue: z.number().nullable(), comparison: ComparisonSchema.nullable().default(null), positives: z.number().nullable().default(null) })) })),
  references: z.array(z.object({ label: z.string(), values: z.record(z.string(), z.number().nullable()), note: z.string() })).default([]),
  notes: z.array(z.string()).default([]),
});
const ResultsSchema = z.object({ tables: z.array(TableSchema), results: z.record(z.string(), z.unknown()).default({}) });

/** One exported figure of a run: its name and the files found under figures/. */
export interface RunFigure {
  name: string;
  svg?: string;
  png?: string;
}

/** A finished run, read: its metadata, tables, raw results, A/B lifts and figures. */
export interface ReportRun extends RunInfo {
  state: 'finished';
  meta: RunMeta;
  tables: ResultTable[];
  results: Record<string, unknown>;
  abTests: AbTest[];
  /** Problems that do not stop the run being reported (e.g. malformed abTests), shown in its section. */
  warnings: string[];
  figures: RunFigure[];
}

/** What {@link collectRuns} found. */
export interface CollectedRuns {
  /** Runs to report, ordered by pipeline name. */
  runs: ReportRun[];
  /** Runs that did not finish (or cannot be read): listed in the report as incomplete, never reported. */
  incomplete: RunInfo[];
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0];
  return `${i.path.join('.') || '(root)'}: ${i.message}`;
}

/**
 * Reads one run folder. Finished means the runner's FINISHED marker plus status 'finished' and readable meta.json and
 * results.json; anything else comes back as a {@link RunInfo} saying why.
 * @example
 * const run = readRun('results/baselines-ctr/20261128-115938-quick');
 * if (run.state === 'finished') console.log(run.meta.title);
 */
export function readRun(dir: string): ReportRun | RunInfo {
  const info: RunInfo = { dir: resolve(dir), runId: basename(resolve(dir)), pipeline: basename(resolve(dir, '..')), state: 'unreadable' };
  let status: { state?: unknown; started?: unknown; ended?: unknown; error?: unknown; reason?: unknown };
  try {
    status = readJson(join(dir, 'status.json')) as typeof status;
  } catch (e) {
    return { ...info, reason: `status.json: ${(e as Error).message}` };
  }
  if (typeof status.started === 'string') info.started = status.started;
  if (typeof status.ended === 'string') info.ended = status.ended;
  const state = status.state;
  if (state !== 'finished' && state !== 'running' && state !== 'failed' && state !== 'interrupted' && state !== 'skipped') return { ...info, reason: `status.json: unknown state ${JSON.stringify(state)}` };
  info.state = state;
  if (state !== 'finished') return { ...info, reason: typeof status.error === 'string' ? status.error.split('\n')[0] : typeof status.reason === 'string' ? status.reason.split('\n')[0] : undefined };
  if (!existsSync(join(dir, 'FINISHED'))) return { ...info, state: 'unreadable', reason: 'status says finished but the FINISHED marker is missing' };
  const meta = MetaSchema.safeParse(readJsonSafe(join(dir, 'meta.json')));
  if (!meta.success) return { ...info, state: 'unreadable', reason: `meta.json: ${issueText(meta.error)}` };
  const results = ResultsSchema.safeParse(readJsonSafe(join(dir, 'results.json')));
  if (!results.success) return { ...info, pipeline: meta.data.pipeline, state: 'unreadable', reason: `results.json: ${issueText(results.error)}` };
  const warnings = [...(meta.data.warnings ?? [])];
  let abTests: AbTest[] = [];
  try {
    abTests = parseAbTests(results.data.results);
  } catch (e) {
    warnings.push(`simulated A/B results not shown: ${(e as Error).message}`);
  }
  return { ...info, state: 'finished', pipeline: meta.data.pipeline, meta: meta.data, tables: results.data.tables, results: results.data.results, abTests, warnings, figures: listFigures(join(dir, 'figures')) };
}

function readJsonSafe(path: string): unknown {
  try {
    return readJson(path);
  } catch (e) {
    return { __unreadable: (e as Error).message };
  }
}

function listFigures(dir: string): RunFigure[] {
  if (!existsSync(dir)) return [];
  const byName = new Map<string, RunFigure>();
  for (const f of readdirSync(dir).sort()) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\.(svg|png)$/.exec(f);
    if (!m) continue;
    const fig = byName.get(m[1]) ?? { name: m[1] };
    fig[m[2] as 'svg' | 'png'] = join(dir, f);
    byName.set(m[1], fig);
  }
  return [...byName.values()];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function newer(a: RunInfo, b: RunInfo): number {
  return (b.started ?? '').localeCompare(a.started ?? '') || b.runId.localeCompare(a.runId);
}

/**
 * Finds the runs to report. Default: under `resultsDir`, every pipeline folder's newest finished run (newest by the
 * start time in status.json, then by run id); runs of that pipeline that started later but did not finish are listed
 * as incomplete. With `runs`, exactly those run folders (paths, or relative to `resultsDir`); a named run that did not
 * finish is listed as incomplete. The `report` folder and folders without run folders are skipped.
 * @example
 * const { runs, incomplete } = collectRuns('results');
 * collectRuns('results', { runs: ['baselines-ctr/20261128-115938-quick'] });
 */
export function collectRuns(resultsDir = 'results', options: { runs?: readonly string[] } = {}): CollectedRuns {
  const chosen: Array<ReportRun | RunInfo> = [];
  if (options.runs && options.runs.length > 0) {
    for (const r of options.runs) {
      const dir = isDir(r) ? r : join(resultsDir, r);
      if (!isDir(dir) || !existsSync(join(dir, 'status.json'))) throw new Error(`collectRuns: ${r} is not a run folder (no status.json in ${resolve(dir)})`);
      chosen.push(readRun(dir));
    }
    return split(chosen);
  }
  if (!isDir(resultsDir)) throw new Error(`collectRuns: no results folder at ${resolve(resultsDir)} (run \`reclab reproduce\` first)`);
  for (const p of readdirSync(resultsDir).sort()) {
    const pdir = join(resultsDir, p);
    if (p === 'report' || !isDir(pdir)) continue;
    const runs = readdirSync(pdir).map((d) => join(pdir, d)).filter((d) => isDir(d) && existsSync(join(d, 'status.json'))).map(readRun).sort(newer);
    const newestDone = runs.findIndex((r) => r.state === 'finished');
    chosen.push(...(newestDone < 0 ? runs : runs.slice(0, newestDone + 1)));
  }
  return split(chosen);
}

function split(chosen: Array<ReportRun | RunInfo>): CollectedRuns {
  const runs = chosen.filter((r): r is ReportRun => r.state === 'finished').sort((a, b) => a.pipeline.localeCompare(b.pipeline));
  const incomplete = chosen.filter((r) => r.state !== 'finished').map(({ dir, runId, pipeline, state, started, ended, reason }) => ({ dir, runId, pipeline, state, started, ended, reason }));
  return { runs, incomplete };
}
