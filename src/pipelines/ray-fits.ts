/**
 * Fits as Ray tasks (`reclab reproduce <pipeline> --ray ADDRESS`, `runPipeline(name, { fitRay })`): the pipeline runs
 * in this process and each of its independent fits (`ctx.fits`, src/pipelines/fits.ts) goes to a Ray cluster as a
 * task of one CPU. The task runs the same worker entry point as a local fit worker (`reclab fit-worker`) in its
 * one-fit form: on its node it replays the pipeline up to the fit's call — the world is generated again there, the
 * earlier calls' results and the shared inputs are read from files that travel with the task — runs the one fit, and
 * its result comes back to this machine. So the run folder and its records are the same as a serial run's, bit for bit
 * where the maths is deterministic (tested against a local Ray head).
 *
 * src/pipelines/ray_fits.py, started once per run from the Python environment, talks to Ray; this side sends it one
 * request per fit and reads one line per fit back. A crashed fit (a signal, an exit status other than 0/1, a lost task)
 * is sent once more, then marked failed; a fit that throws is failed at once; the other fits go on, and the call then
 * throws naming each failed fit and its log (`<run>/fits/ray-<call>-<index>.log`). A call of one item runs in this
 * process, as with local workers.
 *
 * Every node needs this checkout at the same path, set up (`npm run setup`), and `node` on its PATH.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { poolEnv } from '../pools.ts';
import { fromPortableBytes } from './portable.ts';
import { formatSeconds, serialFits, slug, writeCallResults, writeSharedInput, type FitJobs, type FitRunOptions, type FitWorkerSpec, type SharedInput } from './fits.ts';

/** Options of {@link rayFits}. */
export interface RayFitOptions extends FitRunOptions {
  /** The cluster: 'auto' or 'HOST:PORT' as `ray start --head` prints it. */
  address: string;
}

const REPO = resolve(import.meta.dirname, '..', '..');
const DRIVER = resolve(import.meta.dirname, 'ray_fits.py');

/** A line the driver prints: a fit's outcome, or that a crashed fit is being sent again. */
type DriverLine = { id: number; ok: true } | { id: number; ok: false; error: string } | { id: number; retry: string };

/** The part of execa's subprocess this file uses. */
interface Driver extends PromiseLike<{ exitCode?: number; signal?: string }> {
  stdin: NodeJS.WritableStream | null;
  stdout: NodeJS.ReadableStream | null;
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * The jobs of a run whose fits go to a Ray cluster. The driver starts at the first call with more than one fit and
 * stops with `close()` (the runner calls it when the pipeline returns or throws).
 * @example
 * const { fits, shared, close } = rayFits({ address: 'auto', pipeline: 'baselines/ctr', mode: 'quick', config, permuteTestLabels: null, dir, log: console.log });
 */
export function rayFits(o: RayFitOptions): FitJobs {
  const root = join(o.dir, 'fits');
  const calls: Array<{ key: string; file: string }> = [];
  const sharedFiles: FitWorkerSpec['shared'] = [];
  const waiting = new Map<number, { settle: (line: DriverLine) => void }>();
  let driver: Driver | null = null;
  // Boxed: the driver is itself a promise (of its exit), which `await` would wait for.
  let starting: Promise<{ child: Driver }> | null = null;
  let driverDone: Promise<void> | null = null;
  let driverFailure: string | null = null;
  let nextId = 0;
  /** Where the driver writes the result of fit `index` of call `call`. */
  const rayResultFile = (call: number, key: string, index: number) => join(root, `ray-${call}-${slug(key)}-${index}.result`);

  /** The driver, started once (the fits of a call ask for it together). */
  function start(): Promise<{ child: Driver }> {
    starting ??= startDriver();
    return starting;
  }

  async function startDriver(): Promise<{ child: Driver }> {
    const python = join(REPO, '.venv', 'bin', 'python');
    if (!existsSync(python)) throw new Error(`fits: --ray needs the Python environment at ${python}; run \`npm run setup\``);
    const { execa } = await import('execa'); // ESM-only: loaded here, not at the top (notebooks require the runner)
    mkdirSync(root, { recursive: true });
    const configFile = join(root, 'ray-driver.json');
    writeFileSync(configFile, `${JSON.stringify({ address: o.address, repo: REPO }, null, 2)}\n`);
    const driverLog = join(root, 'ray-driver.log');
    const child = execa(python, [DRIVER, configFile], { reject: false, buffer: false, stdin: 'pipe', stderr: { file: driverLog }, env: { RECLAB_PROGRESS: '0' } }) as unknown as Driver;
    driver = child;
    let tail = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      tail += chunk;
      let nl: number;
      while ((nl = tail.indexOf('\n')) >= 0) {
        const line = tail.slice(0, nl).trim();
        tail = tail.slice(nl + 1);
        if (line) {
          const m = JSON.parse(line) as DriverLine;
          waiting.get(m.id)?.settle(m);
        }
      }
    });
    driverDone = Promise.resolve(child).then((r) => {
      const why = existsSync(driverLog) ? readFileSync(driverLog, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
      driverFailure = `the Ray driver exited ${r.exitCode ?? r.signal}${why ? `:\n${why}` : ''} (full log: ${driverLog})`;
      for (const [id, w] of waiting) w.settle({ id, ok: false, error: driverFailure });
    });
    return { child };
  }

  /** Sends fit `index` of call `call` and resolves with its error, or null once its result file is written. */
  async function fitOnRay(call: number, key: string, index: number, label: string): Promise<string | null> {
    if (driverFailure !== null) return driverFailure;
    const { child: d } = await start();
    const id = nextId++;
    const out = rayResultFile(call, key, index);
    const logFile = join(root, `ray-${call}-${index}.log`);
    const spec: FitWorkerSpec = {
      pipeline: o.pipeline, mode: o.mode, config: o.config, permuteTestLabels: o.permuteTestLabels, modules: (o.modules ?? []).map((m) => resolve(m)),
      start: call, replay: calls.map((c) => ({ key: c.key, file: c.file })), shared: [...sharedFiles], dir: root, errorFile: '', only: { index, out },
      env: poolEnv(1, 1), // a task holds one CPU of its node
    };
    return new Promise((res) => {
      waiting.set(id, {
        settle: (m) => {
          if ('retry' in m) return o.log(`fits '${key}': ${label} ${m.retry} on Ray; sending it once more (log ${logFile})`);
          waiting.delete(id);
          res(m.ok ? null : `${m.error} (log ${logFile})`);
        },
      });
      d.stdin?.write(`${JSON.stringify({ id, spec, log: logFile })}\n`);
    });
  }

  async function fits<I, O>(key: string, items: readonly I[], fit: (item: I, index: number) => Promise<O>, name?: (item: I, index: number) => string): Promise<O[]> {
    const call = calls.length;
    const label = (i: number) => (name ? name(items[i], i) : `${key} #${i}`);
    let results: O[];
    if (items.length > 1) {
      const t0 = Date.now();
      let done = 0;
      const failed: string[] = [];
      const got = await Promise.all(items.map(async (_x, i) => {
        const error = await fitOnRay(call, key, i, label(i));
        if (error !== null) {
          failed.push(`${label(i)}: ${error}`);
          o.log(`fits '${key}': ${label(i)} FAILED on Ray: ${error.split('\n')[0]}`);
          return undefined;
        }
        done++;
        const elapsed = (Date.now() - t0) / 1000;
        const left = items.length - done - failed.length;
        o.log(`fits '${key}': ${done}/${items.length} done on Ray (${label(i)}); ${left > 0 ? `ETA ${formatSeconds((elapsed / done) * left)}` : `${formatSeconds(elapsed)} in all`}`);
        return fromPortableBytes(readFileSync(rayResultFile(call, key, i))) as O;
      }));
      if (failed.length) throw new Error(`${failed.length} of ${items.length} fits of '${key}' failed on Ray (the other ${done} finished):\n  ${failed.join('\n  ')}`);
      results = got as O[];
    } else {
      results = await serialFits(key, items, fit);
    }
    // Later fits replay this call's results instead of fitting them again.
    calls.push({ key, file: writeCallResults(root, call, key, results) });
    return results;
  }

  const shared: SharedInput = async (key, build) => {
    const value = await build();
    sharedFiles.push({ key, file: writeSharedInput(root, sharedFiles.length, key, value) });
    return value;
  };

  async function close(): Promise<void> {
    if (!driver) return;
    driver.stdin?.end(); // the driver finishes what is running (nothing, once the pipeline is done) and exits
    const timer = setTimeout(() => driver?.kill('SIGTERM'), 30_000);
    await driverDone;
    clearTimeout(timer);
  }

  return { fits, shared, close };
}
