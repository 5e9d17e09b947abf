/**
 * Pipelines as jobs: `reclab reproduce --all --workers N` runs independent pipelines in N child processes (execa), each
 * a plain `reclab reproduce <pipeline>` with TensorFlow's 1-thread pools and, for the bridge pipelines, its own Python
 * process. A worker that crashes (killed by a signal, or an exit status other than 0/1) is retried once, then marked
 * failed; the other jobs go on. Ctrl-C stops every worker (each marks its run folder interrupted). Progress: jobs done /
 * total with an ETA from the mean job time so far. Each job's output goes to <out>/.jobs/<run-stamp>/<pipeline>.log.
 *
 * Ray: with `ray` set (an address, or 'auto'), the same worker commands go to a Ray cluster as tasks of one CPU each
 * (src/pipelines/ray_jobs.py drives them from the Python environment); each task sends its run folder back and it is
 * unpacked under `out`, so the run folders and records are the same as a local run's. `workers` then does not apply:
 * the cluster's CPUs bound the parallelism. Every node needs this checkout at the same path, set up (`npm run setup`).
 *
 * Scope: the unit of work is a pipeline, not yet a single fit (method x seed x variant); see the closing note of the
 * jobs issue.
 */
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { RunMode } from '../evidence/rules.ts';

/** How one job ended, as its worker reports it (the worker writes this JSON to its outcome file). */
export interface JobOutcome {
  name: string;
  state: 'finished' | 'failed' | 'skipped';
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
  /** A Ray cluster address ('auto' or 'HOST:PORT'): run the jobs as Ray tasks instead of local worker processes. */
  ray?: string;
}

const CLI = resolve(import.meta.dirname, '..', 'cli.ts');
const REPO = resolve(import.meta.dirname, '..', '..');
const RAY_DRIVER = resolve(import.meta.dirname, 'ray_jobs.py');

/** `args` without any `--out DIR` pair (a Ray task writes into its node's temporary folder, then sends it back). */
function withoutOut(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') i++;
    else if (!args[i].startsWith('--out=')) out.push(args[i]);
  }
  return out;
}

function formatMinutes(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
}

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
  const t0 = Date.now();
  let done = 0;
  let next = 0;
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
      env: { RECLAB_PROGRESS: '0' },
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
    const elapsed = (Date.now() - t0) / 1000;
    const remaining = names.length - done;
    // Jobs finish about `workers` at a time, so the time per finished job is elapsed / done.
    const eta = remaining > 0 ? ` — about ${formatMinutes((elapsed / done) * remaining)} left` : '';
    options.onProgress?.(`[${done}/${names.length}] ${names[i]} ${outcome.state} in ${formatMinutes(outcome.seconds)}${outcome.state === 'finished' ? '' : `: ${outcome.detail}`}${eta}`);
  }

  async function worker(): Promise<void> {
    while (!stopping) {
      const i = next++;
      if (i >= names.length) return;
      finished(i, await attempt(names[i], i, 1));
    }
  }

  /** Every job as a Ray task through src/pipelines/ray_jobs.py, which prints one JSON line per finished job. */
  async function rayJobs(address: string): Promise<void> {
    const python = join(REPO, '.venv', 'bin', 'python');
    if (!existsSync(python)) throw new Error(`jobs: --ray needs the Python environment at ${python}; run \`npm run setup\``);
    const args = [...modeArgs, ...withoutOut(options.passThrough)];
    const specFile = join(jobDir, 'ray-spec.json');
    const spec = { address, repo: REPO, out: resolve(options.out), log_dir: resolve(jobDir), jobs: names.map((name, index) => ({ index, name, args })) };
    writeFileSync(specFile, JSON.stringify(spec, null, 2));
    const driverLog = join(jobDir, 'ray-driver.log');
    const child = execa(python, [RAY_DRIVER, specFile], { reject: false, stderr: { file: driverLog }, env: { RECLAB_PROGRESS: '0' }, buffer: false });
    children.add(child);
    let tail = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      tail += chunk;
      let nl: number;
      while ((nl = tail.indexOf('\n')) >= 0) {
        const line = tail.slice(0, nl).trim();
        tail = tail.slice(nl + 1);
        if (!line) continue;
        const o = JSON.parse(line) as JobOutcome & { index?: number; retry?: number; why?: string; node?: string };
        if (o.retry !== undefined) options.onProgress?.(`${o.name}: worker crashed (${o.why}); retrying once`);
        else if (o.index !== undefined) finished(o.index, { name: o.name, state: o.state, dir: o.dir, seconds: o.seconds, detail: o.detail, attempts: o.attempts, log: o.log });
      }
    });
    const r = await child;
    children.delete(child);
    if (r.exitCode !== 0 && !stopping) {
      const why = existsSync(driverLog) ? readFileSync(driverLog, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
      const detail = `the Ray driver exited ${r.exitCode ?? r.signal}${why ? `:\n${why}` : ''} (full log: ${driverLog})`;
      for (let i = 0; i < names.length; i++) outcomes[i] ??= { name: names[i], state: 'failed', dir: '', seconds: 0, detail };
    }
  }

  try {
    if (options.ray !== undefined) await rayJobs(options.ray);
    else await Promise.all(Array.from({ length: Math.min(options.workers, names.length) }, () => worker()));
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGHUP', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  for (let i = 0; i < names.length; i++) outcomes[i] ??= { name: names[i], state: 'failed', dir: '', seconds: 0, detail: 'not started: interrupted' };
  if (stopping) throw Object.assign(new Error('interrupted: every worker was stopped; their run folders are marked interrupted'), { outcomes });
  return outcomes;
}
