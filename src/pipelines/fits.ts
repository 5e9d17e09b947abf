/**
 * Fits as jobs inside one pipeline. A pipeline hands its independent fits (method x seed x variant x knob value) to
 * `ctx.fits(key, items, fit)`; the runner decides where they run:
 *
 * - serially in this process (`fitWorkers: 1`, the notebook default): `fit(item, i)` for each item in order;
 * - in up to `fitWorkers` child processes (execa; `reclab reproduce <pipeline> --workers N` on the command line). Each
 *   child is `reclab fit-worker SPEC.json`: it runs the same pipeline with the same config from the start, so the
 *   world and everything else the pipeline builds before the call are regenerated deterministically in the child
 *   (cheaper than handing them over for worlds that take seconds to a minute; paid once per worker and call, not per
 *   fit). Earlier `ctx.fits` calls are not re-fitted: their results are handed over by file (node's structured
 *   serialisation, so typed arrays survive). At the call it was started for, the child asks this process for fits over
 *   IPC, one at a time, until none is left (so a slow fit never holds fits back behind it), writes each result to a
 *   file, and stops.
 *
 * An input that is costly to build and that later fits share (a pre-trained encoder, a Python stage) is declared with
 * `ctx.shared(key, build)`: built once in this process, written to a file, and read by the children when they replay,
 * instead of being built again in every worker.
 *
 * So a fit must depend only on its item and on what the pipeline built before the call (no generator shared across
 * fits, no state carried from one fit to the next), and its result must survive structured cloning (plain objects,
 * arrays, typed arrays, Maps: no functions, no tensors, no class methods). Under that contract a run with workers
 * gives the same records as a serial run, bit for bit (tested on baselines/ctr and moment-cross/search).
 *
 * A child that crashes (a signal, or an exit status other than 0/1) has its fit retried once; a fit that still fails
 * is marked failed, the other fits of the call go on, and the call then throws an error naming every failed fit and its
 * log, so the run is marked failed, never finished. Ctrl-C reaches every child (execa kills them when this process
 * exits). A progress line per finished fit: fits done / total and an ETA from the mean fit time so far.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { Rng } from '../random.ts';
import type { RunMode } from '../evidence/rules.ts';
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
}

/** What a fit-worker child is told: which pipeline and config to replay, and which fit to run. */
export interface FitWorkerSpec {
  pipeline: string;
  mode: RunMode;
  /** The run's config, as the runner validated it (parsed again by the pipeline's schema in the child). */
  config: unknown;
  permuteTestLabels: number | null;
  /** Modules to import before looking the pipeline up (pipelines registered outside src/pipelines/registry.ts). */
  modules: string[];
  /** The call whose fits the child runs: the `call`-th `ctx.fits` call of the run (0-based) and its key. */
  target: { call: number; key: string };
  /** Results of the earlier calls, one structured-serialised file each, in call order. */
  replay: Array<{ key: string; file: string }>;
  /** The `ctx.shared` inputs built before the call, one structured-serialised file each, in call order. */
  shared: Array<{ key: string; file: string }>;
  /** Result files are `<out>-<index>.result` (structured-serialised); a replay that fails writes `<out>.error.json`. */
  out: string;
}

/** Messages between the parent and a fit worker (IPC). */
type ToParent = { type: 'next' } | { type: 'finished'; index: number; error?: string };
type ToWorker = { type: 'fit'; index: number } | { type: 'stop' };

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
 * method, the seed and the method's position. Items are named '<label><suffix> seed <seed>' in progress lines and errors.
 * @example
 * const fits = await fitGrid(ctx.fits, 'main', methods, [1, 2], (m, seed, i) => fitOne(m, seed, i));
 * fits[0][1]; // the first method on the second seed
 */
export async function fitGrid<M extends { label: string }, O>(
  fits: FitMap, key: string, methods: readonly M[], seeds: readonly number[], fit: (method: M, seed: number, index: number) => Promise<O>, suffix = '',
): Promise<O[][]> {
  const grid = seeds.flatMap((seed) => methods.map((method, i) => ({ seed, i, method })));
  const done = await fits(key, grid, ({ method, seed, i }) => fit(method, seed, i), (g) => `${g.method.label}${suffix} seed ${g.seed}`);
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

/** Options of {@link workerFits}. */
export interface WorkerFitOptions {
  workers: number;
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

const CLI = resolve(import.meta.dirname, '..', 'cli.ts');

function formatSeconds(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`;
}

/** A safe file-name piece for a call key. */
function slug(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60);
}

/**
 * The jobs of a run with fit workers: each `fits` call's fits go to up to `workers` child processes at a time (a call
 * with a single item runs in this process: no child to start, the same result by the contract above), and each
 * `shared` input is built here and written to a file the children read.
 * @example
 * const { fits, shared } = workerFits({ workers: 2, pipeline: 'baselines/ctr', mode: 'quick', config, permuteTestLabels: null, dir, log: console.log });
 */
export function workerFits(o: WorkerFitOptions): FitJobs {
  if (!(Number.isInteger(o.workers) && o.workers >= 1)) throw new Error(`fits: workers must be a positive integer, got ${o.workers}`);
  const root = join(o.dir, 'fits');
  const replay: FitWorkerSpec['replay'] = [];
  const sharedFiles: FitWorkerSpec['shared'] = [];
  const shared: SharedInput = async (key, build) => {
    const value = await build();
    mkdirSync(root, { recursive: true });
    const file = join(root, `shared-${sharedFiles.length}-${slug(key)}.shared`);
    writeFileSync(file, serialize(value));
    sharedFiles.push({ key, file });
    return value;
  };
  let calls = 0;
  return { fits, shared };

  async function fits<I, O>(key: string, items: readonly I[], fit: (item: I, index: number) => Promise<O>, name?: (item: I, index: number) => string): Promise<O[]> {
    const call = calls++;
    const results = items.length <= 1 || o.workers === 1
      ? await serialFits(key, items, fit)
      : await inWorkers<I, O>(call, key, items, name ?? ((_x, i) => `${key} #${i}`));
    // Later calls' children replay this call's results instead of fitting them again.
    mkdirSync(root, { recursive: true });
    const file = join(root, `${call}-${slug(key)}.results`);
    writeFileSync(file, serialize(results));
    replay.push({ key, file });
    return results;
  }

  async function inWorkers<I, O>(call: number, key: string, items: readonly I[], label: (item: I, index: number) => string): Promise<O[]> {
    // Loaded here, not at the top: execa is ESM-only, and notebooks (tslab's CommonJS require) load the runner.
    const { execa } = await import('execa');
    mkdirSync(root, { recursive: true });
    const base = join(root, `${call}-${slug(key)}`);
    const spec: FitWorkerSpec = { pipeline: o.pipeline, mode: o.mode, config: o.config, permuteTestLabels: o.permuteTestLabels, modules: o.modules ?? [], target: { call, key }, replay: [...replay], shared: [...sharedFiles], out: base };
    writeFileSync(`${base}.json`, `${JSON.stringify(spec, null, 2)}\n`);
    const results = new Array<O>(items.length);
    const queue = items.map((_x, i) => i);
    const tries = new Array<number>(items.length).fill(0);
    const failed: string[] = [];
    const t0 = Date.now();
    let done = 0;
    let workerNo = 0;
    let emptyCrashes = 0;
    let broken: string | null = null; // the replay itself failed: every worker would fail the same way

    const settle = (i: number, logFile: string, error?: string) => {
      if (error !== undefined || !existsSync(`${base}-${i}.result`)) {
        const why = error ?? 'no result file';
        failed.push(`${label(items[i], i)}: ${why.split('\n')[0]} (log ${logFile})`);
        o.log(`fits '${key}': ${label(items[i], i)} FAILED: ${why.split('\n')[0]}`);
        return;
      }
      results[i] = deserialize(readFileSync(`${base}-${i}.result`)) as O;
      done++;
      const elapsed = (Date.now() - t0) / 1000;
      const left = items.length - done - failed.length;
      // elapsed / done is the wall time per fit with every worker busy.
      o.log(`fits '${key}': ${done}/${items.length} done (${label(items[i], i)}); ${left > 0 ? `ETA ${formatSeconds((elapsed / done) * left)}` : `${formatSeconds(elapsed)} in all`}`);
    };

    const lane = async (): Promise<void> => {
      while (queue.length && broken === null) {
        const logFile = `${base}-w${workerNo++}.log`;
        const child = execa(process.execPath, ['--import', 'tsx', CLI, 'fit-worker', `${base}.json`], {
          reject: false,
          ipc: true,
          buffer: false,
          stdout: { file: logFile },
          stderr: { file: logFile },
          env: { RECLAB_PROGRESS: '0' },
        });
        let current: number | null = null;
        let took = 0;
        const talk = (async () => {
          for await (const m of child.getEachMessage()) {
            const msg = m as ToParent;
            if (msg.type === 'finished') {
              settle(msg.index, logFile, msg.error);
              current = null;
            } else if (msg.type === 'next') {
              current = broken === null ? (queue.shift() ?? null) : null;
              if (current !== null) {
                tries[current]++;
                took++;
              }
              const reply: ToWorker = current === null ? { type: 'stop' } : { type: 'fit', index: current };
              await child.sendMessage(reply).catch(() => undefined); // a worker that died meanwhile is handled below
            }
          }
        })();
        const r = await child;
        await talk.catch(() => undefined);
        const crashed = r.signal !== undefined || (r.exitCode !== 0 && r.exitCode !== 1);
        if (current !== null) {
          // The worker died inside a fit: retry that fit once in a new worker.
          const why = `crashed (${r.signal ?? `exit ${r.exitCode}`})`;
          if (tries[current] < 2 && crashed) {
            o.log(`fits '${key}': ${label(items[current], current)} ${why}; retrying once (log ${logFile})`);
            queue.unshift(current);
          } else {
            failed.push(`${label(items[current], current)}: ${why}${tries[current] >= 2 ? ' twice' : ''} (log ${logFile})`);
            o.log(`fits '${key}': ${label(items[current], current)} FAILED: ${why}`);
          }
        } else if (took === 0 && queue.length) {
          const errFile = `${base}.error.json`;
          if (!crashed && existsSync(errFile)) broken = (JSON.parse(readFileSync(errFile, 'utf8')) as { message: string }).message;
          else if (++emptyCrashes >= 2) broken = `workers crashed twice before their first fit (${r.signal ?? `exit ${r.exitCode}`}; log ${logFile})`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.workers, items.length) }, lane));
    if (broken !== null) throw new Error(`fits '${key}': the fit workers could not replay the pipeline up to this call: ${broken}`);
    if (failed.length) throw new Error(`${failed.length} of ${items.length} fits of '${key}' failed (the other ${items.length - failed.length} finished):\n  ${failed.join('\n  ')}`);
    return results;
  }
}

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

/** Thrown inside a fit-worker child once its fits are written, to stop the pipeline there. */
class FitsDone extends Error {}

/**
 * The child side: replays the pipeline up to the target call, runs that one fit and writes its result. Returns the
 * process exit status (0 written, 1 the fit or the replay failed; the error goes to `<out>.error.json`).
 * @example
 * process.exitCode = await runFitWorker('results/x/run/fits/0-seeds-1.json');
 */
export async function runFitWorker(specFile: string): Promise<number> {
  if (!existsSync(specFile)) throw new Error(`fit-worker: no spec file ${specFile}`);
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as FitWorkerSpec;
  if (!process.send) throw new Error('fit-worker: needs an IPC channel to its parent (it is started by a run with fit workers, not by hand)');
  const send = (m: ToParent) => process.send!(m);
  // The parent is gone (killed, even with -9): nobody will collect the fits, so stop instead of waiting forever.
  process.on('disconnect', () => process.exit(130));
  for (const m of spec.modules) await import(pathToFileURL(resolve(m)).href);
  await import('./registry.ts');
  const { getPipeline } = await import('./pipeline.ts');
  const pipeline = getPipeline(spec.pipeline);
  let call = 0;
  let sharedCall = 0;
  let active = false;
  const fits: FitMap = async <I, O>(key: string, items: readonly I[], fit: (item: I, index: number) => Promise<O>): Promise<O[]> => {
    const c = call++;
    if (c < spec.target.call) {
      const r = spec.replay[c];
      if (!r || r.key !== key) throw new Error(`fit-worker: call ${c} of ${spec.pipeline} is '${key}', but the run's call ${c} was '${r?.key ?? '(none)'}': the pipeline's fits are not the same on every run`);
      return deserialize(readFileSync(r.file)) as O[];
    }
    if (c > spec.target.call) throw new Error('fit-worker: ran past its target call');
    if (key !== spec.target.key) {
      throw new Error(`fit-worker: call ${c} of ${spec.pipeline} is '${key}', but the target is '${spec.target.key}': the pipeline's fits are not the same on every run`);
    }
    active = true;
    for (;;) {
      const reply = new Promise<ToWorker>((res) => process.once('message', (m) => res(m as ToWorker)));
      send({ type: 'next' });
      const m = await reply;
      if (m.type === 'stop') break;
      try {
        const result = await fit(items[m.index], m.index);
        writeFileSync(`${spec.out}-${m.index}.result`, serialize(result));
        send({ type: 'finished', index: m.index });
      } catch (e) {
        // A fit that throws is a failed fit, not a crash: no retry; this worker goes on with the next.
        console.error((e as Error).stack ?? String(e));
        send({ type: 'finished', index: m.index, error: (e as Error).message ?? String(e) });
      }
    }
    throw new FitsDone();
  };
  const ctx: PipelineContext = {
    mode: spec.mode,
    quick: spec.mode === 'quick',
    holdout: (ds) => (spec.permuteTestLabels === null ? ds : ds.withPermutedLabels(new Rng(spec.permuteTestLabels))),
    log: (m) => {
      if (active) console.log(m);
    },
    stage: async (_name, fn) => fn(),
    fits,
    shared: async <T>(key: string, _build: () => Promise<T>): Promise<T> => {
      const c = sharedCall++;
      const r = spec.shared[c];
      if (!r || r.key !== key) throw new Error(`fit-worker: shared input ${c} of ${spec.pipeline} is '${key}', but the run's was '${r?.key ?? '(none)'}': the pipeline's shared inputs are not the same on every run`);
      return deserialize(readFileSync(r.file)) as T;
    },
  };
  try {
    await pipeline.run(pipeline.schema.parse(spec.config), ctx);
  } catch (e) {
    if (e instanceof FitsDone) return 0;
    // Only a failure outside the fits gets here (a fit's own error is reported and the worker goes on).
    writeFileSync(`${spec.out}.error.json`, `${JSON.stringify({ message: (e as Error).message ?? String(e), stack: (e as Error).stack ?? '' }, null, 2)}\n`);
    console.error((e as Error).stack ?? String(e));
    return 1;
  }
  writeFileSync(`${spec.out}.error.json`, `${JSON.stringify({ message: `the pipeline ended before its fits call ${spec.target.call} ('${spec.target.key}')` })}\n`);
  return 1;
}
