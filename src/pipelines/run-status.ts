/**
 * A run's lifecycle as status.json records it, and how to tell a live run from a dead one. The runner writes the
 * process id, the host and a heartbeat (refreshed every {@link HEARTBEAT_MS} while the run works); a run that says
 * 'running' but whose process is gone on this host, or whose heartbeat is older than {@link STALE_MS}, is dead — killed
 * with -9, a closed terminal, a crashed machine — and is never shown as running.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';

/** The states a run folder's status.json can hold. */
export type RunStateOnDisk = 'running' | 'finished' | 'failed' | 'interrupted' | 'skipped';

/** status.json. */
export interface RunStatus {
  state: RunStateOnDisk;
  started: string;
  ended?: string;
  error?: string;
  /** Why a run was skipped (its data is absent). */
  reason?: string;
  pid?: number;
  host?: string;
  /** ISO time of the last sign of life. */
  heartbeat?: string;
}

/** How often a running run refreshes its heartbeat. */
export const HEARTBEAT_MS = 30_000;
/** A heartbeat older than this marks a run on another host dead (on this host the pid decides). */
export const STALE_MS = 5 * 60_000;

/** A run's state as a user should see it: 'dead' replaces 'running' when the process is gone. */
export type RunLiveness = RunStateOnDisk | 'dead' | 'unreadable';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The state a user should see for a status: 'dead' for a 'running' run whose process is gone (same host: the pid is not
 * alive; other host or no pid: the heartbeat is older than {@link STALE_MS}).
 * @example
 * liveness({ state: 'running', started: '...', pid: 999999, host: hostname() }); // 'dead'
 */
export function liveness(status: RunStatus, now = Date.now()): RunLiveness {
  if (status.state !== 'running') return status.state;
  if (status.pid !== undefined && status.host === hostname()) return pidAlive(status.pid) ? 'running' : 'dead';
  const beat = Date.parse(status.heartbeat ?? status.started);
  return Number.isFinite(beat) && now - beat <= STALE_MS ? 'running' : 'dead';
}

/** One run folder as `reclab runs` lists it. */
export interface RunListing {
  pipeline: string;
  runId: string;
  dir: string;
  state: RunLiveness;
  mode: string;
  seeds: number | null;
  started: string;
  /** Seconds since the run started. */
  ageSeconds: number;
  detail: string;
}

/**
 * Every run folder under `resultsDir` (newest first), with its liveness, mode and seed count.
 * @example
 * for (const r of listRuns('results')) console.log(r.pipeline, r.state);
 */
export function listRuns(resultsDir = 'results', now = Date.now()): RunListing[] {
  if (!existsSync(resultsDir)) throw new Error(`runs: no results folder at ${resultsDir} (run \`reclab reproduce\` first, or pass --results DIR)`);
  const out: RunListing[] = [];
  for (const p of readdirSync(resultsDir).sort()) {
    const pdir = join(resultsDir, p);
    if (p === 'report' || !statSync(pdir).isDirectory()) continue;
    for (const r of readdirSync(pdir)) {
      const dir = join(pdir, r);
      const statusFile = join(dir, 'status.json');
      if (!existsSync(statusFile)) continue;
      let status: RunStatus;
      let meta: { pipeline?: string; mode?: string; seeds?: number[] | null } = {};
      try {
        status = JSON.parse(readFileSync(statusFile, 'utf8')) as RunStatus;
      } catch (e) {
        out.push({ pipeline: p, runId: r, dir, state: 'unreadable', mode: '', seeds: null, started: '', ageSeconds: Number.NaN, detail: `status.json: ${(e as Error).message}` });
        continue;
      }
      try {
        if (existsSync(join(dir, 'meta.json'))) meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as typeof meta;
      } catch {
        meta = {};
      }
      const state = liveness(status, now);
      const mode = meta.mode ?? (/-(quick|evidence|paper|full)(-\d+)?$/.exec(basename(dir))?.[1] ?? '');
      const detail = state === 'dead' ? `process ${status.pid ?? '?'} on ${status.host ?? '?'} is gone (last heartbeat ${status.heartbeat ?? status.started})` : ((status.error ?? status.reason ?? '').split('\n')[0] ?? '');
      out.push({ pipeline: meta.pipeline ?? p, runId: r, dir, state, mode, seeds: meta.seeds ? meta.seeds.length : null, started: status.started, ageSeconds: (now - Date.parse(status.started)) / 1000, detail });
    }
  }
  return out.sort((a, b) => b.started.localeCompare(a.started));
}

/** Key-sorted JSON of a value (objects' keys in order at every depth), so two equal configs compare equal as text. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** An earlier run that `reproduce --resume` counts as done, with what it measured. */
export interface ResumableRun {
  dir: string;
  /** The run's verdicts.json verdict kinds, e.g. ['agrees', 'cannot tell']. */
  verdicts: string[];
  /** Seconds from its start to its end. */
  seconds: number;
}

/**
 * The newest finished run of `pipeline` under `resultsDir` that this code and config would reproduce: the same mode,
 * the same resolved config (compared key by key), and the same commit with a clean working tree both then and now
 * (`commit` and `dirty` describe the current checkout). Null when there is none, when the results folder does not
 * exist, or when the tree is dirty now (no earlier run can be said to be this code's).
 * @example
 * const done = finishedRunOf('results', 'gme/main', 'evidence', resolvedConfig, collectProvenance());
 */
export function finishedRunOf(resultsDir: string, pipeline: string, mode: string, config: unknown, now: { commit: string; dirty: boolean }): ResumableRun | null {
  if (now.dirty || !existsSync(resultsDir)) return null;
  const want = canonicalJson(config);
  for (const r of listRuns(resultsDir)) {
    if (r.pipeline !== pipeline || r.state !== 'finished' || r.mode !== mode) continue;
    try {
      const meta = JSON.parse(readFileSync(join(r.dir, 'meta.json'), 'utf8')) as { config?: unknown; provenance?: { commit?: string; dirty?: boolean } };
      if (meta.provenance?.commit !== now.commit || meta.provenance.dirty !== false || canonicalJson(meta.config) !== want) continue;
      const verdicts = (JSON.parse(readFileSync(join(r.dir, 'verdicts.json'), 'utf8')) as { verdicts: Array<{ verdict: string }> }).verdicts.map((v) => v.verdict);
      const status = JSON.parse(readFileSync(join(r.dir, 'status.json'), 'utf8')) as RunStatus;
      return { dir: r.dir, verdicts, seconds: (Date.parse(status.ended ?? status.started) - Date.parse(status.started)) / 1000 };
    } catch {
      continue; // a folder with unreadable files is not a finished run to resume from
    }
  }
  return null;
}

/** Renders an age in seconds as '42 s', '7 min', '3.5 h' or '2.0 d'. */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
