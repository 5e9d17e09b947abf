/**
 * Fits as jobs inside one pipeline. A pipeline hands its independent fits (method x seed x variant x knob value) to
 * `ctx.fits(key, items, fit)`; the runner decides where they run:
 *
 * - serially in this process (`fitWorkers: 1`, the notebook default): `fit(item, i)` for each item in order;
 * - in up to `fitWorkers` child processes (execa; `reclab reproduce <pipeline> --workers N` on the command line), which
 *   live for the whole run. Each child is `reclab fit-worker SPEC.json`: it runs the same pipeline with the same config
 *   alongside this process, so the world and everything else the pipeline builds between calls are generated again,
 *   deterministically, in the child (cheaper than handing them over for worlds that take seconds to a minute; paid
 *   once per worker and knob value, not per fit). At each call the child asks this process for fits over IPC, one at a
 *   time, until none is left (so a slow fit never holds fits back behind it), writes each result to a file, then
 *   waits for the call's results (its own and the other children's, by file: node's structured serialisation, so
 *   typed arrays survive) and goes on to the next call. A child started later (a replacement for one that died) reads
 *   the results of the calls before it from their files instead of fitting them again.
 *
 * An input that is costly to build and that later fits share (a pre-trained encoder, a Python stage) is declared with
 * `ctx.shared(key, build)`: built once in this process, written to a file, and read by the children when they replay,
 * instead of being built again in every worker.
 *
 * On a Ray cluster (`--ray ADDRESS`, src/pipelines/ray-fits.ts) each fit is a task that runs this worker in its one-fit
 * form (`FitWorkerSpec.only`): it replays the pipeline up to the fit's call from files, runs the fit and exits.
 *
 * So a fit must depend only on its item and on what the pipeline built before the call (no generator shared across
 * fits, no state carried from one fit to the next), and its result must survive structured cloning (plain objects,
 * arrays, typed arrays, Maps, and Datasets through src/pipelines/portable.ts: no functions, no tensors, no class
 * methods). Under that contract a run with workers gives the same records as a serial run, bit for bit (tested on
 * baselines/ctr; checked by hand on the pipelines the README's "Running in parallel" lists).
 *
 * A child that crashes in a fit (a signal, or an exit status other than 0/1) has its fit retried once, by another or
 * a new child; a fit that still fails is marked failed, the other fits of the call go on, and the call then throws an
 * error naming every failed fit and its log, so the run is marked failed, never finished. A child whose replay fails
 * (or two that crash outside their fits) fail the run with that error. The children are stopped when the pipeline
 * returns or throws; Ctrl-C or `kill -9` of this process stops them too (a child exits when its IPC channel closes).
 * A progress line per finished fit: fits done / total and an ETA from the mean fit time so far.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng } from '../random.ts';
import { poolEnv } from '../pools.ts';
import type { RunMode } from '../evidence/rules.ts';
import { fromPortableBytes, toPortableBytes } from './portable.ts';
import type { PipelineContext } from './pipeline.ts';

/**
 * Runs `fit(item, i)` for every item and resolves with the results in item order. `key` names the call (it must be
 * the same on every run of the pipeline); `name` labels an item in progress lines and errors.
 */
export type FitMap = <I, O>(key: string, items: readonly I[], fit: (item: I, index: number) => Promise<O>, name?: (item: I, index: number) => string) => Promise<O[]>;

/** Builds a costly input once per run; fit workers read it from a file instead of building it again (`ctx.shared`). */
export type SharedInput = <T>(key: string, build: () => Promise<T>) => Promise<T>;

/** The fit map and the shared-input hook a run hands its pipeline (`ctx.fits`, `ctx.shared`). */
export interface FitJobs {
  fits: FitMap;
  shared: SharedInput;
  /** Stops whatever workers are left (the run finished or failed); resolves when they have exited. */
  close?: () => Promise<void>;
}

/** What a fit-worker child is told: which pipeline and config to replay, and from which call on it takes fits. */
export interface FitWorkerSpec {
  pipeline: string;
  mode: RunMode;
  /** The run's config, as the runner validated it (parsed again by the pipeline's schema in the child). */
  config: unknown;
  permuteTestLabels: number | null;
  /** Modules to import before looking the pipeline up (pipelines registered outside src/pipelines/registry.ts). */
  modules: string[];
  /** The first `ctx.fits` call (0-based) whose fits the child takes; the calls before it were finished before it started. */
  start: number;
  /** Results of the calls before `start`, one structured-serialised file each, in call order. */
  replay: Array<{ key: string; file: string }>;
  /** The `ctx.shared` inputs built before the child started, one structured-serialised file each, in call order. */
  shared: Array<{ key: string; file: string }>;
  /** The run's fits folder: each fit's result goes to `<dir>/<call>-<key>-<index>.result` (structured-serialised). */
  dir: string;
  /** Where a child whose replay fails writes `{ message, stack }`. */
  errorFile: string;
  /**
   * One fit only, without a parent on IPC (a Ray task, src/pipelines/ray-fits.ts): run item `index` of call `start`,
   * write its result to `out` and exit 0; a fit that throws writes `{ message, stack }` to `errorFile` and exits 1.
   */
  only?: { index: number; out: string };
  /** Environment variables a Ray task sets for its fit worker (TensorFlow's pool sizes for one CPU, src/pools.ts). */
  env?: Record<string, string>;
}

/**
 * Messages between the parent and a fit worker (IPC). The worker asks, one request at a time, and the parent answers
 * each request once, as soon as it can. To 'next' (at a call): a fit of that call while any is waiting — also one
 * handed back by a worker that crashed — else, once every fit of the call is in, the file of the call's results. To
 * 'shared': the file of that shared input once it is built. 'abort' when the run failed or ended. 'finished' reports
 * a fit, with the lines it logged (the run's log gets them when the fit finishes), and needs no answer.
 */
type ToParent =
  | { type: 'next'; call: number; key: string }
  | { type: 'finished'; call: number; index: number; lines: string[]; error?: string }
  | { type: 'shared'; n: number; key: string };
type ToWorker = { type: 'fit'; index: number } | { type: 'file'; file: string } | { type: 'abort'; reason: string };

/** Where the fit `index` of call `call` writes its result. */
function resultFile(dir: string, call: number, key: string, index: number): string {
  return join(dir, `${call}-${slug(key)}-${index}.result`);
}

/**
 * The serial FitMap: every fit in this process, in item order.
 * @example
 * const aucs = await serialFits('seeds', [1, 2, 3], async (seed) => fitOne(seed));
 */
export const serialFits: FitMap = async (_key, items, fit) => {
  const out = [];
  for (const [i, item] of items.entries()) out.push(await fit(item, i));
  return out;
};

/**
 * Every (seed, method) fit of a comparison as jobs of one `ctx.fits` call, returned by method and seed: out[m][s]. The
 * jobs run seed by seed (every method of the first seed first), as the serial loops they replace did; `fit` gets the
 * method, the seed, the method's position and the seed's position. Items are named '<label><suffix> seed <seed>' in
 * progress lines and errors.
 * @example
 * const fits = await fitGrid(ctx.fits, 'main', methods, [1, 2], (m, seed, i) => fitOne(m, seed, i));
 * fits[0][1]; // the first method on the second seed
 */
export async function fitGrid<M extends { label: string }, O>(
  fits: FitMap, key: string, methods: readonly M[], seeds: readonly number[], fit: (method: M, seed: number, index: number, seedIndex: number) => Promise<O>, suffix = '',
): Promise<O[][]> {
  const grid = seeds.flatMap((seed, s) => methods.map((method, i) => ({ seed, s, i, method })));
  const done = await fits(key, grid, ({ method, seed, i, s }) => fit(method, seed, i, s), (g) => `${g.method.label}${suffix} seed ${g.seed}`);
  const out: O[][] = methods.map(() => []);
  for (const [k, { i }] of grid.entries()) out[i].push(done[k]);
  return out;
}

/**
 * The jobs of a run without fit workers: every fit in this process ({@link serialFits}), every shared input built here.
 * @example
 * const { fits, shared } = SERIAL_JOBS;
 */
export const SERIAL_JOBS: FitJobs = { fits: serialFits, shared: (_key, build) => build() };

/** What every way of running a pipeline's fits away from its process needs: the run to replay and where it writes. */
export interface FitRunOptions {
  pipeline: string;
  mode: RunMode;
  config: unknown;
  permuteTestLabels: number | null;
  modules?: string[];
  /** The run folder: specs, results and each fit's log go to `<dir>/fits/`. */
  dir: string;
  /** One line per finished or retried fit. */
  log: (line: string) => void;
}

/** Options of {@link workerFits}. */
export interface WorkerFitOptions extends FitRunOptions {
  workers: number;
}

/**
 * Writes a shared input built in the run (the `n`th of the run) for the fit workers to read; returns its file. Strict:
 * what would arrive without its methods is refused (src/pipelines/portable.ts).
 */
export function writeSharedInput(root: string, n: number, key: string, value: unknown): string {
  mkdirSync(root, { recursive: true });
  const file = join(root, `shared-${n}-${slug(key)}.shared`);
  writeFileSync(file, toPortableBytes(value, `shared input '${key}'`, true));
  return file;
}

/** Writes the results of call `call` for the workers started later (they replay them); returns its file. */
export function writeCallResults(root: string, call: number, key: string, results: unknown[]): string {
  mkdirSync(root, { recursive: true });
  const file = join(root, `${call}-${slug(key)}.results`);
  writeFileSync(file, toPortableBytes(results, `the results of '${key}'`));
  return file;
}

const CLI = resolve(import.meta.dirname, '..', 'cli.ts');

/** '42 s' under 90 seconds, '3.5 min' under 90 minutes, else '2.4 h' (progress lines of fits and pipelines). */
export function formatSeconds(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  return s < 90 * 60 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** A safe file-name piece for a call key. */
export function slug(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60);
}

/**
 * The jobs of a run with fit workers. The workers start with the run and persist for the whole run: each replays the
 * pipeline alongside this process and, at each `fits` call, takes fits until none is left, then waits for the call's results (its own and the
 * other workers') and goes on to the next call, generating the next knob value's world itself. A call with a single
 * item runs in this process (no fit to share out; the same result by the contract above) and the workers read its
 * result. Each `shared` input is built here and written to a file the workers read. A worker that dies is replaced
 * while the current call still has fits to hand out; the replacement replays from the current call.
 * @example
 * const { fits, shared, close } = workerFits({ workers: 2, pipeline: 'baselines/ctr', mode: 'quick', config, permuteTestLabels: null, dir, log: console.log });
 */
export function workerFits(o: WorkerFitOptions): FitJobs {
  if (!(Number.isInteger(o.workers) && o.workers >= 1)) throw new Error(`fits: workers must be a positive integer, got ${o.workers}`);
  const root = join(o.dir, 'fits');
  /** One `fits` call: its fits still to hand out, how often each was handed out, and what came back. */
  interface Call {
    key: string;
    size: number;
    viaWorkers: boolean;
    label: (index: number) => string;
    queue: number[];
    tries: number[];
    results: unknown[];
    done: number;
    failed: string[];
    t0: number;
    /** The results file, once every fit of the call is in (later workers replay it). */
    file: string | null;
    wake: () => void;
  }
  interface Worker {
    child: ResultPromiseLike;
    logFile: string;
    /** The fit it is running, if any. */
    current: { call: number; index: number } | null;
    /** Its request the parent could not answer yet. */
    waiting: ToParent | null;
  }
  const calls: Call[] = [];
  const sharedFiles: FitWorkerSpec['shared'] = [];
  const workers = new Set<Worker>();
  const exits: Array<Promise<unknown>> = [];
  let execa: ExecaFn | null = null;
  let workerNo = 0;
  let crashesOutsideFits = 0;
  let broken: string | null = null; // the replay failed or diverged: every worker would fail the same way
  let closed = false;

  const send = (w: Worker, m: ToWorker) => void w.child.sendMessage(m).catch(() => undefined); // a dead worker is handled on exit
  const active = (): Call | undefined => calls.at(-1);
  const finishedAll = (c: Call) => c.done + c.failed.length === c.size;

  function breakRun(reason: string): void {
    broken ??= reason;
    active()?.wake();
    for (const w of workers) answer(w);
  }

  /** Answers the worker's waiting request if it can be answered now. */
  function answer(w: Worker): void {
    const q = w.waiting;
    if (q === null || q.type === 'finished') return;
    if (broken !== null || closed) {
      w.waiting = null;
      send(w, { type: 'abort', reason: broken ?? 'the run ended' });
      return;
    }
    if (q.type === 'shared') {
      const f = sharedFiles[q.n];
      if (!f) return; // not built yet
      w.waiting = null;
      if (f.key !== q.key) return breakRun(`shared input ${q.n} is '${q.key}' in a worker but '${f.key}' in the run: the pipeline's shared inputs are not the same on every run`);
      return send(w, { type: 'file', file: f.file });
    }
    const c = calls[q.call];
    if (!c) return; // the run has not reached this call yet
    if (c.key !== q.key) {
      w.waiting = null;
      return breakRun(`call ${q.call} is '${q.key}' in a worker but '${c.key}' in the run: the pipeline's fits are not the same on every run`);
    }
    const index = c.queue.shift();
    if (index !== undefined) {
      w.waiting = null;
      c.tries[index]++;
      w.current = { call: q.call, index };
      return send(w, { type: 'fit', index });
    }
    if (c.file === null) return; // fits still running elsewhere: one may yet come back to the queue
    w.waiting = null;
    send(w, { type: 'file', file: c.file });
  }

  function settle(w: Worker, m: Extract<ToParent, { type: 'finished' }>): void {
    w.current = null;
    const c = calls[m.call];
    for (const line of m.lines) o.log(line);
    const file = resultFile(root, m.call, c.key, m.index);
    if (m.error !== undefined || !existsSync(file)) {
      const why = (m.error ?? 'no result file').split('\n')[0];
      c.failed.push(`${c.label(m.index)}: ${why} (log ${w.logFile})`);
      o.log(`fits '${c.key}': ${c.label(m.index)} FAILED: ${why}`);
    } else {
      c.results[m.index] = fromPortableBytes(readFileSync(file));
      c.done++;
      const elapsed = (Date.now() - c.t0) / 1000;
      const left = c.size - c.done - c.failed.length;
      // elapsed / done is the wall time per fit with every worker busy.
      o.log(`fits '${c.key}': ${c.done}/${c.size} done (${c.label(m.index)}); ${left > 0 ? `ETA ${formatSeconds((elapsed / c.done) * left)}` : `${formatSeconds(elapsed)} in all`}`);
    }
    if (finishedAll(c)) c.wake();
  }

  function onExit(w: Worker, r: { signal?: string; exitCode?: number }): void {
    workers.delete(w);
    if (closed) return;
    const crashed = r.signal !== undefined || (r.exitCode !== 0 && r.exitCode !== 1);
    const why = `crashed (${r.signal ?? `exit ${r.exitCode}`})`;
    if (w.current !== null) {
      // The worker died inside a fit: that fit goes back to the front of the queue once, then fails.
      const c = calls[w.current.call];
      const i = w.current.index;
      w.current = null;
      if (c.tries[i] < 2 && crashed) {
        o.log(`fits '${c.key}': ${c.label(i)} ${why}; retrying once (log ${w.logFile})`);
        c.queue.unshift(i);
        for (const other of workers) answer(other); // a worker waiting for the call's results takes it
      } else {
        c.failed.push(`${c.label(i)}: ${why}${c.tries[i] >= 2 ? ' twice' : ''} (log ${w.logFile})`);
        o.log(`fits '${c.key}': ${c.label(i)} FAILED: ${why}`);
        if (finishedAll(c)) c.wake();
      }
    } else if (r.exitCode === 1 && !crashed) {
      // Exit 1 outside a fit: the replay itself failed; its error is in the worker's error file.
      const errFile = w.logFile.replace(/\.log$/, '.error.json');
      breakRun(existsSync(errFile) ? (JSON.parse(readFileSync(errFile, 'utf8')) as { message: string }).message : `a worker failed outside its fits (log ${w.logFile})`);
    } else if (crashed && ++crashesOutsideFits >= 2) {
      breakRun(`workers crashed twice outside their fits (${r.signal ?? `exit ${r.exitCode}`}; log ${w.logFile})`);
    }
    refill();
  }

  /** Starts workers while the current call has more fits waiting than live workers (up to `workers`). */
  function refill(): void {
    const c = active();
    if (!c || !c.viaWorkers || c.file !== null || broken !== null || closed || execa === null) return;
    while (workers.size < Math.min(o.workers, c.queue.length)) spawn(calls.length - 1);
  }

  function spawn(start: number): void {
    mkdirSync(root, { recursive: true });
    const base = join(root, `w${workerNo++}`);
    const spec: FitWorkerSpec = {
      pipeline: o.pipeline, mode: o.mode, config: o.config, permuteTestLabels: o.permuteTestLabels, modules: o.modules ?? [], start,
      replay: calls.slice(0, start).map((c) => ({ key: c.key, file: c.file as string })), shared: [...sharedFiles], dir: root, errorFile: `${base}.error.json`,
    };
    writeFileSync(`${base}.json`, `${JSON.stringify(spec, null, 2)}\n`);
    const child = (execa as ExecaFn)(process.execPath, ['--import', 'tsx', CLI, 'fit-worker', `${base}.json`], {
      reject: false, ipc: true, buffer: false, stdout: { file: `${base}.log` }, stderr: { file: `${base}.log` }, env: { RECLAB_PROGRESS: '0', ...poolEnv(o.workers) },
    });
    const w: Worker = { child, logFile: `${base}.log`, current: null, waiting: null };
    workers.add(w);
    void (async () => {
      for await (const m of child.getEachMessage()) {
        const msg = m as ToParent;
        if (msg.type === 'finished') settle(w, msg);
        else {
          w.waiting = msg;
          answer(w);
        }
      }
    })().catch(() => undefined);
    exits.push(Promise.resolve(child).then((r) => onExit(w, r)));
  }

  const shared: SharedInput = async (key, build) => {
    const value = await build();
    sharedFiles.push({ key, file: writeSharedInput(root, sharedFiles.length, key, value) });
    for (const w of workers) answer(w);
    return value;
  };

  async function fits<I, O>(key: string, items: readonly I[], fit: (item: I, index: number) => Promise<O>, name?: (item: I, index: number) => string): Promise<O[]> {
    if (broken !== null) throw new Error(`fits '${key}': the fit workers failed earlier in this run: ${broken}`);
    const viaWorkers = items.length > 1 && o.workers > 1;
    if (viaWorkers) await ready;
    mkdirSync(root, { recursive: true });
    let wake = () => {};
    const woken = new Promise<void>((res) => (wake = res));
    const c: Call = {
      key, size: items.length, viaWorkers, label: (i) => (name ?? ((_x: I, j: number) => `${key} #${j}`))(items[i], i),
      queue: viaWorkers ? items.map((_x, i) => i) : [], tries: new Array<number>(items.length).fill(0), results: new Array(items.length),
      done: 0, failed: [], t0: Date.now(), file: null, wake,
    };
    calls.push(c);
    for (const w of workers) answer(w); // workers already waiting at this call
    let results: O[];
    if (viaWorkers) {
      refill();
      if (finishedAll(c)) wake();
      await woken;
      if (broken !== null) throw new Error(`fits '${key}': the fit workers could not replay the pipeline up to this call: ${broken}`);
      if (c.failed.length) throw new Error(`${c.failed.length} of ${c.size} fits of '${key}' failed (the other ${c.done} finished):\n  ${c.failed.join('\n  ')}`);
      results = c.results as O[];
    } else {
      results = await serialFits(key, items, fit);
    }
    // The workers (and later replacements) read this call's results instead of fitting them again.
    c.file = writeCallResults(root, calls.length - 1, key, results);
    for (const w of workers) answer(w);
    return results;
  }

  // The workers start now, not at the first batch of fits: their start-up and world generation overlap with this
  // process's own. Loaded here, not at the top: execa is ESM-only, and notebooks (tslab's CommonJS require) load
  // the runner.
  const ready = import('execa').then(
    (m) => {
      execa = m.execa as unknown as ExecaFn;
      const firstOpen = calls.findIndex((c) => c.file === null);
      while (!closed && broken === null && workers.size < o.workers) spawn(firstOpen < 0 ? calls.length : firstOpen);
    },
    (e: Error) => breakRun(`could not load execa to start the fit workers: ${e.message}`),
  );

  async function close(): Promise<void> {
    closed = true;
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.allSettled(exits);
  }

  return { fits, shared, close };
}

/** The part of execa's subprocess that {@link workerFits} uses. */
interface ResultPromiseLike extends PromiseLike<{ signal?: string; exitCode?: number }> {
  sendMessage(m: unknown): Promise<void>;
  getEachMessage(): AsyncIterable<unknown>;
  kill(signal?: NodeJS.Signals): boolean;
}
type ExecaFn = (file: string, args: string[], options: Record<string, unknown>) => ResultPromiseLike;

/**
 * Removes the fit result and shared-input files of a finished run (tens of MB: per-row scores for paired tests); each
 * worker's spec and log stay in `<dir>/fits/`.
 * @example
 * removeFitResults(run.dir);
 */
export function removeFitResults(dir: string): void {
  const root = join(dir, 'fits');
  if (!existsSync(root)) return;
  for (const f of readdirSync(root)) if (f.endsWith('.result') || f.endsWith('.results') || f.endsWith('.shared')) rmSync(join(root, f));
}

/**
 * The child side: replays the pipeline, reading the results of the calls before `spec.start` from their files; from
 * that call on, takes fits from the parent until none is left, writes each result, then waits for the call's results
 * and goes on. Returns the process exit status: 0 when the pipeline ran to its end (or the parent ended the run), 1
 * when the replay failed outside a fit (the error goes to `spec.errorFile`).
 * @example
 * process.exitCode = await runFitWorker('results/x/run/fits/w0.json');
 */
export async function runFitWorker(specFile: string): Promise<number> {
  if (!existsSync(specFile)) throw new Error(`fit-worker: no spec file ${specFile}`);
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as FitWorkerSpec;
  if (spec.only) return runOneFit(spec);
  if (!process.send) throw new Error('fit-worker: needs an IPC channel to its parent (it is started by a run with fit workers, not by hand)');
  const send = (m: ToParent) => process.send!(m);
  // The parent is gone (killed, even with -9): nobody will collect the fits, so stop instead of waiting forever.
  process.on('disconnect', () => process.exit(130));
  /** One request, one answer; 'abort' (the run failed or ended) ends this worker. */
  const ask = async (m: ToParent): Promise<Exclude<ToWorker, { type: 'abort' }>> => {
    const reply = new Promise<ToWorker>((res) => process.once('message', (x) => res(x as ToWorker)));
    send(m);
    const r = await reply;
    if (r.type === 'abort') process.exit(0);
    return r;
  };
  const pipeline = await loadPipeline(spec);
  let call = 0;
  let sharedCall = 0;
  let active = false;
  let lines: string[] = []; // what the current fit logged
  const fits: FitMap = async <I, O>(key: string, items: readonly I[], fit: (item: I, index: number) => Promise<O>): Promise<O[]> => {
    const c = call++;
    if (c < spec.start) return replayed<O>(spec, c, key);
    for (;;) {
      const m = await ask({ type: 'next', call: c, key });
      if (m.type === 'file') return fromPortableBytes(readFileSync(m.file)) as O[]; // every fit of the call is in
      active = true;
      lines = [];
      try {
        const result = await fit(items[m.index], m.index);
        writeFileSync(resultFile(spec.dir, c, key, m.index), toPortableBytes(result, `a fit of '${key}'`));
        send({ type: 'finished', call: c, index: m.index, lines });
      } catch (e) {
        // A fit that throws is a failed fit, not a crash: no retry; this worker goes on with the next.
        console.error((e as Error).stack ?? String(e));
        send({ type: 'finished', call: c, index: m.index, lines, error: (e as Error).message ?? String(e) });
      }
      active = false;
    }
  };
  const shared: SharedInput = async <T>(key: string): Promise<T> => {
    const n = sharedCall++;
    const known = spec.shared[n];
    if (known && known.key !== key) throw new Error(`fit-worker: shared input ${n} of ${spec.pipeline} is '${key}', but the run's was '${known.key}': the pipeline's shared inputs are not the same on every run`);
    const file = known?.file ?? (await ask({ type: 'shared', n, key }).then((r) => (r.type === 'file' ? r.file : Promise.reject(new Error(`fit-worker: expected shared input ${n}, got '${r.type}'`)))));
    return fromPortableBytes(readFileSync(file)) as T;
  };
  const ctx = workerContext(spec, fits, shared, (m) => {
    if (!active) return; // the replay's own lines are the run's, logged there
    console.log(m);
    lines.push(m);
  });
  try {
    await pipeline.run(pipeline.schema.parse(spec.config), ctx);
    return 0;
  } catch (e) {
    // Only a failure outside the fits gets here (a fit's own error is reported and the worker goes on).
    writeError(spec, e);
    return 1;
  }
}

/** The pipeline a fit worker replays, looked up after importing the spec's modules. */
async function loadPipeline(spec: FitWorkerSpec) {
  for (const m of spec.modules) await import(pathToFileURL(resolve(m)).href);
  await import('./registry.ts');
  const { getPipeline } = await import('./pipeline.ts');
  return getPipeline(spec.pipeline);
}

/** The results of call `c`, finished before the worker started, read from its file (checking the call is the same). */
function replayed<O>(spec: FitWorkerSpec, c: number, key: string): O[] {
  const r = spec.replay[c];
  if (!r || r.key !== key) throw new Error(`fit-worker: call ${c} of ${spec.pipeline} is '${key}', but the run's call ${c} was '${r?.key ?? '(none)'}': the pipeline's fits are not the same on every run`);
  return fromPortableBytes(readFileSync(r.file)) as O[];
}

/** The replayed pipeline's context in a fit worker: its own log, no stage timings, the run's holdout. */
function workerContext(spec: FitWorkerSpec, fits: FitMap, shared: SharedInput, log: (line: string) => void): PipelineContext {
  return {
    mode: spec.mode,
    quick: spec.mode === 'quick',
    holdout: (ds) => (spec.permuteTestLabels === null ? ds : ds.withPermutedLabels(new Rng(spec.permuteTestLabels))),
    log,
    stage: async (_name, fn) => fn(),
    fits,
    shared,
  };
}

/** Writes `{ message, stack }` of an error to the spec's error file and the stack to stderr. */
function writeError(spec: FitWorkerSpec, e: unknown): void {
  writeFileSync(spec.errorFile, `${JSON.stringify({ message: (e as Error).message ?? String(e), stack: (e as Error).stack ?? '' }, null, 2)}\n`);
  console.error((e as Error).stack ?? String(e));
}

/**
 * One fit without a parent (`spec.only`): replays the pipeline up to call `spec.start` from the files of the calls
 * and shared inputs before it, runs the one item, writes its result and exits 0 (the rest of the pipeline does not
 * run); an error in the fit or in the replay goes to `spec.errorFile` and the worker exits 1.
 */
async function runOneFit(spec: FitWorkerSpec): Promise<number> {
  const only = spec.only as NonNullable<FitWorkerSpec['only']>;
  const pipeline = await loadPipeline(spec);
  let call = 0;
  let sharedCall = 0;
  let active = false;
  const fits: FitMap = async <I, O>(key: string, items: readonly I[], fit: (item: I, index: number) => Promise<O>): Promise<O[]> => {
    const c = call++;
    if (c < spec.start) return replayed<O>(spec, c, key);
    if (!(only.index >= 0 && only.index < items.length)) throw new Error(`fit-worker: call ${c} ('${key}') of ${spec.pipeline} has ${items.length} fits, no fit ${only.index}`);
    active = true;
    let result: O;
    try {
      result = await fit(items[only.index], only.index);
    } catch (e) {
      writeError(spec, e);
      process.exit(1);
    }
    writeFileSync(only.out, toPortableBytes(result, `a fit of '${key}'`));
    // The fit is done: the rest of the pipeline is the parent's (exit here, so no catch in the pipeline can go on).
    process.exit(0);
  };
  const shared: SharedInput = async <T>(key: string): Promise<T> => {
    const n = sharedCall++;
    const known = spec.shared[n];
    if (!known || known.key !== key) throw new Error(`fit-worker: shared input ${n} of ${spec.pipeline} is '${key}', but the run's was '${known?.key ?? '(none)'}': the pipeline's shared inputs are not the same on every run`);
    return fromPortableBytes(readFileSync(known.file)) as T;
  };
  try {
    await pipeline.run(pipeline.schema.parse(spec.config), workerContext(spec, fits, shared, (m) => {
      if (active) console.log(m); // the worker's output is the fit's log (on Ray, its log file)
    }));
    writeError(spec, new Error(`fit-worker: ${spec.pipeline} returned before its call ${spec.start}: the pipeline's fits are not the same on every run`));
  } catch (e) {
    writeError(spec, e);
  }
  return 1;
}
