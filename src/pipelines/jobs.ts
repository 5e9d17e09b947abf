/**
 * Pipelines as jobs: `reclab reproduce --all --workers N` runs independent pipelines in N child processes (execa), each
 * a plain `reclab reproduce <pipeline>` with TensorFlow's pools sized for N workers (src/pools.ts) and, for the bridge pipelines, its own Python
 * process. A worker that crashes (killed by a signal, or an exit status other than 0/1) is retried once, then marked
 * failed; the other jobs go on. Ctrl-C stops every worker (each marks its run folder interrupted). Progress: jobs done /
 * total with an ETA from each pipeline's measured evidence cost, calibrated by the jobs finished so far
 * (src/pipelines/estimates.ts). Each job's output goes to <out>/.jobs/<run-stamp>/<pipeline>.log.
 *
 * With `--ray ADDRESS` each worker sends its pipeline's fits to the Ray cluster (src/pipelines/ray-fits.ts).
 */
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { RunMode } from '../evidence/rules.ts';
import { poolEnv } from '../pools.ts';
import { expectedSeconds, remainingSeconds } from './estimates.ts';
import { formatSeconds } from './fits.ts';

/** How one job ended, as its worker reports it (the worker writes this JSON to its outcome file). */
export interface JobOutcome {
  name: string;
  /** 'not started': the run was interrupted before this job's turn came. */
  state: 'finished' | 'failed' | 'skipped' | 'not started';
  dir: string;
  seconds: number;
  /** Verdict counts, the skip reason or the error's first line. */
  detail: string;
  /** Attempts used (2 when a crash was retried). */
  attempts?: number;
  /** Where the worker's output went. */
  log?: string;
}

/** Options of {@link runJobs}. */
export interface JobOptions {
  mode: RunMode;
  workers: number;
  /** Arguments passed through to each worker's `reproduce` (seeds, --set, --config, --out, --no-images). */
  passThrough: string[];
  out: string;
  /** Called with one progress line per finished job. */
  onProgress?: (line: string) => void;
}

const CLI = resolve(import.meta.dirname, '..', 'cli.ts');

/**
 * Runs pipelines in worker processes, at most `workers` at a time, in the given order; resolves with one outcome per
 * pipeline (in order) once all ended. Never rejects for a pipeline's failure.
 * @example
 * const outcomes = await runJobs(['baselines/ctr', 'minet/main'], { mode: 'quick', workers: 2, passThrough: [], out: 'results' });
 */
export async function runJobs(names: string[], options: JobOptions): Promise<JobOutcome[]> {
  if (!(Number.isInteger(options.workers) && options.workers >= 1)) throw new Error(`jobs: workers must be a positive integer, got ${options.workers}`);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const jobDir = join(options.out, '.jobs', stamp);
  mkdirSync(jobDir, { recursive: true });
  const outcomes: JobOutcome[] = new Array(names.length);
  const children = new Set<ReturnType<typeof execa>>();
  let stopping = false;
  const onSignal = () => {
    stopping = true;
    for (const c of children) c.kill('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('SIGTERM', onSignal);
  let done = 0;
  let next = 0;
  const startedAt = new Map<number, number>();
  const expected = expectedSeconds(options.mode);
  const modeArgs = options.mode === 'quick' ? ['--quick'] : options.mode === 'paper' ? ['--scale', 'paper'] : [];

  async function attempt(name: string, i: number, tries: number): Promise<JobOutcome> {
    const safe = `${i}-${name.replace(/\//g, '-')}`;
    const outcomeFile = join(jobDir, `${safe}.outcome.json`);
    const log = join(jobDir, `${safe}.log`);
    const started = Date.now();
    const child = execa(process.execPath, ['--import', 'tsx', CLI, 'reproduce', name, ...modeArgs, ...options.passThrough, '--outcome', outcomeFile], {
      reject: false,
      all: true,
      stdout: { file: log },
      stderr: { file: log },
      env: { RECLAB_PROGRESS: '0', ...poolEnv(Math.min(options.workers, names.length)) },
    });
    children.add(child);
    const r = await child;
    children.delete(child);
    const seconds = (Date.now() - started) / 1000;
    if (existsSync(outcomeFile)) {
      const o = JSON.parse(readFileSync(outcomeFile, 'utf8')) as JobOutcome[];
      if (o[0]) return { ...o[0], attempts: tries, log };
    }
    const crashed = r.signal !== undefined || (r.exitCode !== 0 && r.exitCode !== 1);
    if (crashed && tries < 2 && !stopping) {
      options.onProgress?.(`${name}: worker crashed (${r.signal ?? `exit ${r.exitCode}`}); retrying once`);
      return attempt(name, i, tries + 1);
    }
    const why = stopping ? 'interrupted' : crashed ? `worker crashed (${r.signal ?? `exit ${r.exitCode}`}) ${tries === 2 ? 'twice' : ''}` : `worker exited ${r.exitCode} without an outcome`;
    return { name, state: 'failed', dir: '', seconds, detail: `${why}; see ${log}`, attempts: tries, log };
  }

  function finished(i: number, outcome: JobOutcome): void {
    outcomes[i] = outcome;
    done++;
    startedAt.delete(i);
    const now = Date.now();
    const left = remainingSeconds({
      expected,
      done: outcomes.flatMap((o) => (o ? [{ name: o.name, seconds: o.seconds, finished: o.state === 'finished' }] : [])),
      running: [...startedAt].map(([j, at]) => ({ name: names[j], elapsed: (now - at) / 1000 })),
      waiting: names.slice(next),
      workers: options.workers,
    });
    const eta = done < names.length && left !== null ? ` — about ${formatSeconds(left)} left` : '';
    options.onProgress?.(`[${done}/${names.length}] ${names[i]} ${outcome.state} in ${formatSeconds(outcome.seconds)}${outcome.state === 'finished' ? '' : `: ${outcome.detail}`}${eta}`);
  }

  async function worker(): Promise<void> {
    while (!stopping) {
      const i = next++;
      if (i >= names.length) return;
      startedAt.set(i, Date.now());
      finished(i, await attempt(names[i], i, 1));
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(options.workers, names.length) }, () => worker()));
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGHUP', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  for (let i = 0; i < names.length; i++) outcomes[i] ??= { name: names[i], state: 'not started', dir: '', seconds: 0, detail: 'the run was interrupted before its turn' };
  if (stopping) throw Object.assign(new Error('interrupted: every worker was stopped; their run folders are marked interrupted'), { outcomes });
  return outcomes;
}
