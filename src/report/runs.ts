/**
 * Reading one run folder for the report. A run folder is what src/pipelines/runner.ts writes: status.json, meta.json
 * (with `mode` and `smokeTest`), results.csv (the tidy records), verdicts.json ({ mode, smokeTest, verdicts }),
 * results.json (tables without their records, raw results), figures/ and the FINISHED marker.
 *
 * The report is computed from the records: each table of results.json is recomputed from results.csv with
 * `tableFromRecords` (results.json only gives its title, base, metrics, method order, references and notes), and each
 * claim of verdicts.json is judged again on the records with `judgeClaims`. Where the records cannot reproduce what was
 * stored, the stored version is shown with a warning. Runs made before records existed (no results.csv, no
 * verdicts.json) are still read: their stored tables are shown, without verdicts.
 *
 * A finished run (FINISHED, status 'finished', readable meta.json, results.json and results.csv) and a skipped run
 * (status 'skipped' with its reason and a readable meta.json) come back as a {@link ReportRun}; every other run as a
 * {@link RunInfo} saying why it is not reported.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { liveness, type RunStatus } from '../pipelines/run-status.ts';
import { tableFromRecords, type ResultTable } from '../pipelines/result-table.ts';
import { parseRecordsCsv, type ResultRecord } from '../evidence/records.ts';
import { judgeClaims, type Claim, type Verdict } from '../evidence/claims.ts';
import { parseAbTests, type AbTest } from './ab-tests.ts';

/** A run folder's state: the runner's status, or 'unreadable' when its files cannot be read. */
export type RunState = 'finished' | 'running' | 'failed' | 'interrupted' | 'skipped' | 'dead' | 'unreadable';

/** A run folder as found: where, which pipeline, its state and mode. */
export interface RunInfo {
  dir: string;
  runId: string;
  /** From meta.json when readable, else the folder name of the pipeline. */
  pipeline: string;
  state: RunState;
  /** 'quick' | 'evidence' | 'paper' (or 'full' for runs made before the evidence modes); from meta.json, else the run id. */
  mode?: string;
  started?: string;
  ended?: string;
  /** Last sign of life of a running run (status.json `heartbeat`, when the runner wrote one). */
  heartbeat?: string;
  /** Why it is not reported (status error or skip reason, missing FINISHED marker, unreadable file). */
  reason?: string;
}

/**
 * Rank of a run mode when choosing runs: paper 3 > evidence 2 > full 1 (runs made before the evidence modes) > quick
 * 0; an unknown mode ranks below quick.
 * @example
 * modeRank('evidence') > modeRank('quick'); // true
 */
export function modeRank(mode: string | undefined): number {
  return mode === 'paper' ? 3 : mode === 'evidence' ? 2 : mode === 'full' ? 1 : mode === 'quick' ? 0 : -1;
}

const MetaSchema = z.object({
  pipeline: z.string(),
  paper: z.string(),
  title: z.string(),
  mode: z.string().optional(),
  smokeTest: z.boolean().optional(),
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

const num = z.number().nullable().transform((x) => (x === null ? Number.NaN : x)); // JSON writes NaN and Infinity as null
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
const ClaimSchema = z.object({
  id: z.string(),
  text: z.string(),
  source: z.string(),
  table: z.string(),
  metric: z.string(),
  split: z.string().optional(),
  method: z.string(),
  base: z.string(),
  variant: z.string().optional(),
  baseVariant: z.string().optional(),
  knob: z.string().optional(),
  direction: z.enum(['higher', 'lower']),
});
const VerdictsSchema = z.object({
  mode: z.string().optional(),
  smokeTest: z.boolean().optional(),
  verdicts: z.array(z.object({ claim: ClaimSchema, verdict: z.enum(['agrees', 'disagrees', 'cannot tell', 'not measured']), comparison: ComparisonSchema.nullable(), reason: z.string() })),
});

/** One exported figure of a run: its name and the files found under figures/. */
export interface RunFigure {
  name: string;
  svg?: string;
  png?: string;
}

/** How a reported run was chosen among its pipeline's runs (set by `collectRuns`). */
export interface RunChoice {
  /** The rule in words, e.g. 'the newest finished run of the highest mode present (paper > evidence > quick)'. */
  rule: string;
  /** Finished runs of the same pipeline that started later but have a lower mode: not shown, but said. */
  newerLowerMode: RunInfo[];
}

/** A run the report shows (finished, or skipped with its reason): metadata, records, tables, verdicts, figures. */
export interface ReportRun extends RunInfo {
  state: 'finished' | 'skipped';
  mode: string;
  /** True for quick runs: every table, figure, verdict and section says "smoke test — not evidence". */
  smokeTest: boolean;
  meta: RunMeta;
  /** The tables, recomputed from `records` (stored tables for runs made before records existed). */
  tables: ResultTable[];
  /** results.csv; null for a run made before records existed. */
  records: ResultRecord[] | null;
  /** The claims of verdicts.json judged on `records`; null when the run has no verdicts.json. */
  verdicts: Verdict[] | null;
  results: Record<string, unknown>;
  abTests: AbTest[];
  /** Problems that do not stop the run being reported (e.g. malformed abTests), shown in its section. */
  warnings: string[];
  figures: RunFigure[];
  /** How the run was chosen; absent when read directly with {@link readRun}. */
  choice?: RunChoice;
}

/** True when `run` is a run the report shows (finished or skipped with readable metadata). */
export function isReportRun(run: ReportRun | RunInfo): run is ReportRun {
  return 'meta' in run;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function readJsonSafe(path: string): unknown {
  try {
    return readJson(path);
  } catch (e) {
    return { __unreadable: (e as Error).message };
  }
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0];
  return `${i.path.join('.') || '(root)'}: ${i.message}`;
}

/** The mode in a run id written by the runner ('20260101-100000-evidence-1' -> 'evidence'). */
function modeFromRunId(runId: string): string | undefined {
  return /-(quick|evidence|paper|full)(-\d+)?$/.exec(runId)?.[1];
}

const close = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * A stored table (results.json, without records) recomputed from the run's records: among the table's records grouped
 * by variant, knob and split, the group that has every method and metric and reproduces the stored means. Returns the
 * stored table with a warning when no group does.
 */
function recomputeTable(stored: ResultTable, records: readonly ResultRecord[]): { table: ResultTable; warning?: string } {
  const mine = records.filter((r) => r.table === stored.id);
  const asStored = (why: string) => ({ table: stored, warning: `table '${stored.title}' is shown as stored in results.json: ${why}` });
  if (!stored.id || !mine.length) return asStored(`results.csv has no records of table '${stored.id}'`);
  const groups = new Map<string, ResultRecord[]>();
  for (const r of mine) {
    const k = `${r.variant}\u0000${r.knob}\u0000${r.split}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const methods = stored.rows.map((r) => r.method);
  let lastError = 'its records do not reproduce its numbers';
  for (const group of groups.values()) {
    if (!methods.every((m) => stored.metrics.every((c) => group.some((r) => r.method === m && r.metric === c.name)))) continue;
    try {
      const t = tableFromRecords(group, { id: stored.id, title: stored.title, base: stored.base, metrics: stored.metrics, methods, references: stored.references, notes: [] });
      const same = t.rows.every((row, i) => stored.metrics.every((m) => {
        const a = row.cells[m.name];
        const b = stored.rows[i].cells[m.name];
        return !b || (close(a.mean, b.mean) && a.n === b.n);
      }));
      if (!same) continue;
      // the stored notes already hold the notes tableFromRecords adds (e.g. the unreliable-task note): keep one copy
      return { table: { ...t, notes: [...stored.notes.filter((n) => !t.notes.includes(n)), ...t.notes] } };
    } catch (e) {
      lastError = (e as Error).message;
    }
  }
  return asStored(lastError);
}

/**
 * Reads one run folder: a finished or skipped run as a {@link ReportRun} (tables recomputed from results.csv, the
 * claims of verdicts.json judged again on its records), anything else as a {@link RunInfo} saying why it is not
 * reported. Runs without results.csv and verdicts.json (made before records existed) are read with their stored
 * tables and `records`/`verdicts` null.
 * @example
 * const run = readRun('results/baselines-ctr/20261128-115938-evidence');
 * if (isReportRun(run)) console.log(run.mode, run.verdicts?.map((v) => v.verdict));
 */
export function readRun(dir: string): ReportRun | RunInfo {
  const info: RunInfo = { dir: resolve(dir), runId: basename(resolve(dir)), pipeline: basename(resolve(dir, '..')), state: 'unreadable' };
  const idMode = modeFromRunId(info.runId);
  if (idMode) info.mode = idMode;
  let status: { state?: unknown; started?: unknown; ended?: unknown; error?: unknown; reason?: unknown; heartbeat?: unknown };
  try {
    status = readJson(join(dir, 'status.json')) as typeof status;
  } catch (e) {
    return { ...info, reason: `status.json: ${(e as Error).message}` };
  }
  if (typeof status.started === 'string') info.started = status.started;
  if (typeof status.ended === 'string') info.ended = status.ended;
  if (typeof status.heartbeat === 'string') info.heartbeat = status.heartbeat;
  const state = status.state;
  if (state !== 'finished' && state !== 'running' && state !== 'failed' && state !== 'interrupted' && state !== 'skipped') return { ...info, reason: `status.json: unknown state ${JSON.stringify(state)}` };
  info.state = state;
  if (state === 'running' && liveness(status as unknown as RunStatus) === 'dead') {
    return { ...info, state: 'dead', reason: `its process is gone (pid ${String((status as { pid?: unknown }).pid ?? '?')} on ${String((status as { host?: unknown }).host ?? '?')}, last heartbeat ${info.heartbeat ?? info.started ?? '?'})` };
  }
  const firstLine = (x: unknown) => (typeof x === 'string' ? x.split('\n')[0] : undefined);
  const statusReason = firstLine(status.error) ?? firstLine(status.reason);
  if (statusReason !== undefined) info.reason = statusReason;
  if (state !== 'finished' && state !== 'skipped') return info;
  if (state === 'finished' && !existsSync(join(dir, 'FINISHED'))) return { ...info, state: 'unreadable', reason: 'status says finished but the FINISHED marker is missing' };
  const skipped = state === 'skipped';
  if (skipped && !info.reason) info.reason = 'skipped (no reason recorded)';
  const meta = MetaSchema.safeParse(readJsonSafe(join(dir, 'meta.json')));
  if (!meta.success) return skipped ? { ...info, reason: `${info.reason} (meta.json: ${issueText(meta.error)})` } : { ...info, state: 'unreadable', reason: `meta.json: ${issueText(meta.error)}` };
  info.pipeline = meta.data.pipeline;
  const mode = meta.data.mode ?? idMode ?? 'unknown';
  info.mode = mode;
  const results = skipped && !existsSync(join(dir, 'results.json')) ? { success: true as const, data: { tables: [], results: {} } } : ResultsSchema.safeParse(readJsonSafe(join(dir, 'results.json')));
  if (!results.success) return { ...info, state: 'unreadable', reason: `results.json: ${issueText(results.error)}` };
  const warnings = [...(meta.data.warnings ?? [])];

  let records: ResultRecord[] | null = null;
  const csv = join(dir, 'results.csv');
  if (existsSync(csv)) {
    try {
      records = parseRecordsCsv(readFileSync(csv, 'utf8'), csv);
    } catch (e) {
      return { ...info, state: 'unreadable', reason: (e as Error).message };
    }
  }
  const tables = (results.data.tables as ResultTable[]).map((t) => {
    if (!records) return t;
    const { table, warning } = recomputeTable(t, records);
    if (warning) warnings.push(warning);
    return table;
  });

  let verdicts: Verdict[] | null = null;
  let smokeTest = meta.data.smokeTest ?? mode === 'quick';
  const vfile = join(dir, 'verdicts.json');
  if (existsSync(vfile)) {
    const parsed = VerdictsSchema.safeParse(readJsonSafe(vfile));
    if (!parsed.success) warnings.push(`verdicts not shown: verdicts.json: ${issueText(parsed.error)}`);
    else {
      const stored = parsed.data.verdicts as Verdict[];
      smokeTest ||= parsed.data.smokeTest === true;
      verdicts = stored;
      if (records) {
        try {
          verdicts = judgeClaims(stored.map((v) => v.claim as Claim), records);
          verdicts.forEach((v, i) => {
            if (v.verdict !== stored[i].verdict) warnings.push(`claim '${v.claim.id}': judged on results.csv '${v.verdict}', but verdicts.json says '${stored[i].verdict}'; the verdict from the records is shown`);
          });
        } catch (e) {
          verdicts = stored;
          warnings.push(`verdicts shown as stored in verdicts.json: judging them on results.csv failed: ${(e as Error).message}`);
        }
      }
    }
  }
  let abTests: AbTest[] = [];
  try {
    abTests = parseAbTests(results.data.results);
  } catch (e) {
    warnings.push(`simulated A/B results not shown: ${(e as Error).message}`);
  }
  return {
    ...info, state, mode, smokeTest, meta: meta.data, tables, records, verdicts, results: results.data.results, abTests, warnings, figures: listFigures(join(dir, 'figures')),
  };
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
