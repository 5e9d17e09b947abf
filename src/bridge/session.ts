/**
 * The managed Python process: one per Node process, started lazily from the repo's .venv on the first call, closed
 * by `close()`, on process exit (normal or uncaught error) and on SIGINT / SIGTERM, and never left orphaned (the Python side
 * sets PR_SET_PDEATHSIG and polls its parent, see src/bridge/python/reclab_bridge/runtime.py).
 *
 * Control calls go through pythonia (the customer's choice); tensors go through shared-memory files (tensors.ts).
 * What pythonia lacks and how this module fills it (read from node_modules/pythonia 1.2.6):
 * - interpreter: pythonia spawns `$PYTHON_BIN` when it is required (and again in `com.start()`); we set PYTHON_BIN and
 *   PYTHONPATH only around that spawn, and require pythonia lazily, so importing reclab starts nothing.
 * - timeouts: pythonia's own timeout (100 s) only rejects; Python keeps running. We disable it (`$timeout: Infinity`)
 *   and cancel a late call by killing the process (the only way to stop arbitrary Python code); the next call
 *   restarts it.
 * - crashes: pythonia leaves the call pending forever when Python dies; we watch the child's `exit` event.
 * - shutdown: pythonia keeps Node alive (child, IPC channel, a 1 s GC interval) until `python.exit()`; we unref them
 *   while no call is in flight, so a script that forgets `close()` still ends, and we kill Python on `exit`.
 * - errors: pythonia prints a coloured trace; our dispatcher returns `traceback.format_exc()` as data instead. An error
 *   pythonia itself raises (a failed import, a bridge-level error) is a `PythonException` whose `message` is empty and
 *   whose stack is a coloured digest without pythonia's own frames; we rethrow it as a `PythonError` carrying the full
 *   Python traceback pythonia received (see `toBridgeError`).
 * - restarts: pythonia frees Python objects by per-process ids from one FinalizationRegistry; we give each Python
 *   process its own registry so a proxy of a closed process is never freed in its successor (see `scopeFreesTo`).
 * pythonia holds one process per Node process, hence one session per process (`pythonSession()`).
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { BridgeCrashError, BridgeHandleLostError, BridgeTimeoutError, PythonError } from './errors.ts';
import { checkTensor, readTensors, removeFile, shmDir, shmPath, writeTensors, type HostTensor, type ShmLayout, type TensorSpec } from './tensors.ts';

/** Repo root (two levels above src/bridge). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Folder on Python's sys.path holding the bridge's Python modules. */
export const PYTHON_ROOT = join(REPO_ROOT, 'src', 'bridge', 'python');

/** Options of a session. */
export interface SessionOptions {
  /** Python interpreter; default `$RECLAB_PYTHON` or `<repo>/.venv/bin/python`. */
  python?: string;
  /** Default per-call timeout in ms (default 600 000). */
  timeoutMs?: number;
}

/** One call's inputs. */
export interface CallOptions {
  /** JSON-able keyword arguments. */
  args?: Record<string, unknown>;
  /** Tensor keyword arguments (arrive in Python as torch tensors). */
  tensors?: Record<string, HostTensor>;
  /** Expected dtype/shape per tensor argument, checked before Python is called. */
  expect?: Record<string, TensorSpec>;
  /** Timeout of this call in ms. */
  timeoutMs?: number;
  /**
   * The call uses an object that lives in one Python process (a handle it created): `process` is that process's
   * `processId` (from the creating call's `CallResult.process`), `handle` names the object for the error. When that
   * process is gone (crashed, timed out, closed, restarted) the call fails with `BridgeHandleLostError` naming the
   * handle, without starting Python.
   */
  owner?: { process: number; handle: string };
}

/** One call's result: the JSON part and the tensors Python returned. */
export interface CallResult {
  value: Record<string, unknown>;
  tensors: Record<string, HostTensor>;
  /** CPU seconds the Python process spent on the call (mapping, function, writing results). */
  pythonCpuS: number;
  /** `processId` of the Python process that served the call (handles it returned live only there). */
  process: number;
}

interface PyRuntime {
  invoke$(request: string, kwargs: { $timeout: number }): Promise<string>;
}
/** pythonia's Bridge object (globalThis.__pythonBridge): its 1 s loop frees Python objects of GC'd proxies. */
interface PythoniaBridge {
  loop?: NodeJS.Timeout;
  /** Python object ids ("ffids") of collected proxies, sent to Python as one `free` request per loop tick. */
  freeable: number[];
  runTasks: () => void;
  /** Queues a collected proxy's ffid into `freeable`; pythonia registers every proxy it returns here. */
  finalizer: FinalizationRegistry<number>;
  /** JS objects lent to Python, by ffid (pythonia's finalizer forgets them too). */
  jsi: { m: Record<number, unknown> };
}
/** A reply of pythonia's Python side; `key: 'error'` carries the traceback in `sig`. */
interface PythoniaReply {
  key?: string;
  sig?: unknown;
}
type PythoniaCallback = (reply: PythoniaReply) => unknown;
interface PythoniaCom {
  proc: ChildProcess | null;
  start(): void;
  end(): void;
  write(what: unknown, cb?: PythoniaCallback): void;
  writeRaw(what: string, r: number, cb: PythoniaCallback): void;
}
interface Pythonia {
  python: ((name: string) => Promise<PyRuntime>) & { exit(): void };
  com: PythoniaCom;
}
interface Reply {
  ok: boolean;
  value?: Record<string, unknown>;
  tensors?: ShmLayout | null;
  traceback?: string;
  cpu_s?: number;
  input_reusable?: boolean;
}

let pythonia: Pythonia | undefined;
/** The process's one open session (pythonia holds one Python process per Node process). */
const open: { session?: PythonSession } = {};

/**
 * Gives the Python process `proc` its own FinalizationRegistry for pythonia's frees.
 *
 * What was wrong (issue 13, item 9: `reclab reproduce --all` failed at em3/ablation with `KeyError: 1`): pythonia
 * addresses Python objects by ids ("ffids") counted from 1 in each Python process, and frees the object of a
 * garbage-collected proxy through ONE FinalizationRegistry made when pythonia is required, which outlives processes.
 * em3/main closes the session (after qarm/main, qarm/ab and em3/main used it); em3/ablation starts a new process,
 * whose `reclab_bridge.runtime` module again gets ffid 1. When V8 later collected the old process's runtime proxy
 * (ffid 1) -- at whatever major GC came along, so short runs passed by luck -- the registry queued 1, pythonia's free
 * loop sent `free [1]` to the NEW process, which dropped its own runtime module, and every later call failed in
 * pythonia's Bridge.py with `KeyError: 1`. Clearing `freeable` on start could not help: the collection happens later.
 * Now each process's proxies are registered in a registry bound to that process; once the process is no longer
 * pythonia's (closed, crashed, killed), its registry drops the ids instead of queueing them for a successor.
 */
function scopeFreesTo(bridge: PythoniaBridge, com: PythoniaCom, proc: ChildProcess): void {
  bridge.finalizer = new FinalizationRegistry<number>((ffid) => {
    if (com.proc !== proc) return; // an id of a process that is gone: meaningless (or another object) in the current one
    bridge.freeable.push(ffid);
    delete bridge.jsi.m[ffid];
  });
}

/** The traceback of the last error reply pythonia received (its PythonException keeps only a coloured digest). */
const lastPythoniaError: { traceback?: string } = {};

/** Wraps pythonia's request channel once so the raw traceback of an error reply is kept for `toBridgeError`. */
function keepPythoniaTracebacks(com: PythoniaCom & { reclabTracebacks?: true }): void {
  if (com.reclabTracebacks) return;
  com.reclabTracebacks = true;
  const keep = (cb: PythoniaCallback): PythoniaCallback => (reply) => {
    if (reply?.key === 'error' && typeof reply.sig === 'string') lastPythoniaError.traceback = reply.sig;
    return cb(reply);
  };
  const write = com.write.bind(com);
  const writeRaw = com.writeRaw.bind(com);
  com.write = (what, cb) => write(what, cb && keep(cb));
  com.writeRaw = (what, r, cb) => writeRaw(what, r, keep(cb));
}

/**
 * pythonia's own `PythonException` (empty `message`, a coloured stack without pythonia's frames -- what made the
 * console line of issue 13 end in an empty message) as a `PythonError` whose message holds the full Python traceback.
 * Other errors pass through.
 */
function toBridgeError(call: string, e: unknown): unknown {
  if (!(e instanceof Error) || e.constructor.name !== 'PythonException') return e;
  const digest = stripVTControlCharacters(e.stack ?? '').trim();
  const traceback = lastPythoniaError.traceback;
  lastPythoniaError.traceback = undefined;
  const errorLine = traceback?.trimEnd().split('\n').pop()?.trim();
  // Only the traceback of this error (its final line is in the digest); else the digest is all there is.
  const text = traceback && errorLine && digest.includes(errorLine) ? traceback : digest || '(pythonia gave no traceback)';
  const err = new PythonError(call, text);
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}

/** Removes transfer files left by Node processes that no longer exist (killed with SIGKILL, where no hook runs). */
function sweepStaleFiles(): void {
  for (const f of readdirSync(shmDir())) {
    const m = /^reclab-bridge-(\d+)-/.exec(f);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') removeFile(join(shmDir(), f));
    }
  }
}

/**
 * Whether the child `proc` still runs. Node learns of a child's death only when its event loop turns (SIGCHLD ->
 * 'exit' event); a process that died while Node was busy is a zombie until then, and `proc.exitCode` is still null.
 * On Linux the zombie shows in /proc/<pid>/stat (state Z or X); elsewhere only the 'exit' event counts.
 */
function childRunning(proc: ChildProcess): boolean {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self/stat'); // no procfs: trust Node
  }
  return !/^\d+ \(.*\) [ZX]/s.test(stat);
}

/** Runs `fn` with environment variables temporarily set. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * The managed Python process. Use the process-wide `pythonSession()`; a second live instance is an error because
 * pythonia holds one process per Node process.
 * @example
 * const py = pythonSession();
 * const r = await py.call('reclab_bridge.testing', 'checksum', { tensors: { x: hostTensor(new Float32Array([1, 2]), [2]) } });
 * await py.close();
 */
export class PythonSession {
  readonly python: string;
  readonly timeoutMs: number;
  private proc: ChildProcess | undefined;
  private runtime: PyRuntime | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private onDeath: ((detail: string) => void) | undefined;
  /** Counts the Python processes this session started; the running one's number is `processId`. */
  private generation = 0;
  /** Transfer files reused across calls (see tensors.ts); removed on close and exit. */
  private inPath = shmPath('in');
  private readonly outPath = shmPath('out');
  private readonly exitHook = (): void => {
    this.killNow('SIGKILL');
    this.removeFiles();
  };
  private readonly signalHook = (signal: NodeJS.Signals): void => {
    this.killNow('SIGKILL');
    this.removeFiles();
    process.removeListener('SIGINT', this.signalHook);
    process.removeListener('SIGTERM', this.signalHook);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal); // default behaviour: terminate
  };

  /** @param options interpreter and default timeout. */
  constructor(options: SessionOptions = {}) {
    if (open.session && open.session !== this) throw new Error('bridge: a PythonSession is already open in this process; use pythonSession() or close it first');
    this.python = options.python ?? process.env.RECLAB_PYTHON ?? join(REPO_ROOT, '.venv', 'bin', 'python');
    this.timeoutMs = options.timeoutMs ?? 600_000;
    open.session = this;
  }

  /** Pid of the running Python process, or undefined when none runs. */
  get pid(): number | undefined {
    return this.proc && childRunning(this.proc) ? this.proc.pid : undefined;
  }

  /**
   * Number of the running Python process within this session (1 for the first, +1 per restart), or undefined when
   * none runs. Objects a process created (handles) live only as long as it does.
   */
  get processId(): number | undefined {
    return this.proc && childRunning(this.proc) ? this.generation : undefined;
  }

  /**
   * Starts Python (if not running) and returns the dispatcher proxy. A process that died while Node was idle or busy
   * (its 'exit' event not yet handled) is detected here and replaced, so the call after such a death runs instead of
   * failing with a BridgeCrashError.
   */
  private async start(): Promise<PyRuntime> {
    if (this.runtime && this.proc && childRunning(this.proc)) return this.runtime;
    if (this.proc) this.killNow('SIGKILL'); // dead (or half-started): forget it; its late 'exit' event is ignored
    if (!existsSync(this.python)) throw new Error(`bridge: Python interpreter not found at ${this.python} (create the venv with env/ setup, or set RECLAB_PYTHON)`);
    const env = { PYTHON_BIN: this.python, PYTHONPATH: [PYTHON_ROOT, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1' };
    withEnv(env, () => {
      if (!pythonia) pythonia = createRequire(import.meta.url)('pythonia') as Pythonia; // spawns Python
      else if (!pythonia.com.proc) pythonia.com.start();
    });
    const py = pythonia as Pythonia;
    const proc = py.com.proc as ChildProcess;
    this.proc = proc;
    this.generation += 1;
    keepPythoniaTracebacks(py.com);
    proc.once('exit', (code, signal) => {
      if (this.proc !== proc) return; // already discarded (timeout kill)
      this.discard();
      this.onDeath?.(signal ? `signal ${signal}` : `exit code ${code}`);
    });
    if (!process.listeners('exit').includes(this.exitHook)) process.on('exit', this.exitHook);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) if (!process.listeners(sig).includes(this.signalHook)) process.on(sig, this.signalHook);
    sweepStaleFiles();
    // pythonia's free loop: restart it for this process (stale ids of a dead process are dropped), never keep Node alive.
    const bridge = (globalThis as { __pythonBridge?: PythoniaBridge }).__pythonBridge;
    if (bridge) {
      clearInterval(bridge.loop);
      bridge.freeable = [];
      scopeFreesTo(bridge, py.com, proc);
      bridge.loop = setInterval(bridge.runTasks, 1000).unref();
    }
    this.setRef(true);
    try {
      this.runtime = await this.guard('reclab_bridge.runtime (start)', this.timeoutMs, () => py.python('reclab_bridge.runtime'));
    } finally {
      this.setRef(false);
    }
    return this.runtime;
  }

  /** Keeps Node alive (ref) while a call is in flight; lets it exit (unref) when idle. */
  private setRef(on: boolean): void {
    const p = this.proc;
    if (!p) return;
    const ch = p.channel as { ref?: () => void; unref?: () => void } | undefined | null;
    if (on) {
      p.ref();
      ch?.ref?.();
    } else {
      p.unref();
      ch?.unref?.();
    }
  }

  /** Races `fn` against the timeout and the process's death. */
  private async guard<T>(call: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<T>((resolvePromise, reject) => {
        this.onDeath = (detail) => reject(new BridgeCrashError(call, detail));
        if (this.pid === undefined) reject(new BridgeCrashError(call, 'not running'));
        timer = setTimeout(() => {
          reject(new BridgeTimeoutError(call, timeoutMs));
          this.onDeath = undefined;
          this.killNow('SIGKILL');
        }, timeoutMs);
        fn().then(resolvePromise, (e: unknown) => reject(toBridgeError(call, e)));
      });
    } finally {
      clearTimeout(timer);
      this.onDeath = undefined;
    }
  }

  /**
   * Calls `fn` of the repo Python module `module` (dotted name under src/bridge/python) with JSON args and tensors.
   * Tensors are validated (against `expect` when given) before Python is called. Calls run one at a time.
   * @example
   * const { tensors } = await pythonSession().call('reclab_bridge.testing', 'make', { args: { n: 4 } });
   */
  call(module: string, fn: string, options: CallOptions = {}): Promise<CallResult> {
    const name = `${module}.${fn}`;
    const tensors = options.tensors ?? {};
    for (const [k, t] of Object.entries(tensors)) checkTensor(k, t, options.expect?.[k]);
    for (const k of Object.keys(options.expect ?? {})) if (!(k in tensors)) throw new Error(`bridge: call ${name} expects tensor '${k}', which was not given`);
    const run = async (): Promise<CallResult> => {
      if (options.owner) {
        const { process: owner, handle } = options.owner;
        const current = this.processId;
        if (current !== owner) throw new BridgeHandleLostError(name, handle, owner, current);
      }
      const runtime = await this.start();
      const servedBy = this.generation;
      const hasInputs = Object.keys(tensors).length > 0;
      let reusable = false;
      try {
        const layout = hasInputs ? writeTensors(this.inPath, tensors) : null;
        const request = JSON.stringify({ module, fn, args: options.args ?? {}, tensors: layout, out_path: this.outPath });
        this.setRef(true);
        const raw = await this.guard(name, options.timeoutMs ?? this.timeoutMs, () => runtime.invoke$(request, { $timeout: Infinity }));
        const reply = JSON.parse(raw) as Reply;
        reusable = reply.input_reusable === true;
        if (!reply.ok) throw new PythonError(name, reply.traceback ?? '(no traceback)');
        return { value: reply.value ?? {}, tensors: reply.tensors ? readTensors(reply.tensors, true) : {}, pythonCpuS: reply.cpu_s ?? 0, process: servedBy };
      } finally {
        this.setRef(false);
        if (hasInputs && !reusable) {
          removeFile(this.inPath); // Python may still hold views of it: never rewrite it
          this.inPath = shmPath('in');
        }
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * The plain pythonia proxy of a repo module (JSON over IPC, pythonia's 100 s timeout), for control calls and the
   * JSON baseline of bench/bridge-transfer.ts. Prefer `call`, which adds binary tensors, timeouts and crash handling.
   * @example
   * const m = (await pythonSession().rawModule('reclab_bridge.testing')) as { ping(): Promise<unknown> };
   */
  async rawModule(name: string): Promise<unknown> {
    await this.start();
    this.setRef(true);
    try {
      return await (pythonia as Pythonia).python(name);
    } catch (e) {
      throw toBridgeError(`${name} (import)`, e);
    } finally {
      this.setRef(false);
    }
  }

  /**
   * Keeps Node alive while `fn` awaits raw pythonia calls (the session unrefs its child when idle, so an awaited raw
   * call alone would let Node exit).
   * @example
   * const sum = await py.hold(() => raw.checksum_list$([1, 2], { $timeout: Infinity }));
   */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    const keep = setInterval(() => undefined, 60_000);
    try {
      return await fn();
    } finally {
      clearInterval(keep);
    }
  }

  /** Kills the Python process synchronously (exit hooks, timeouts) and forgets it, so the next call restarts. */
  private killNow(signal: NodeJS.Signals): void {
    if (this.pid !== undefined) this.proc?.kill(signal);
    this.discard();
  }

  /** Forgets the current process (pythonia's too), so the next call starts a fresh one. */
  private discard(): void {
    if (pythonia && this.proc && pythonia.com.proc === this.proc) pythonia.com.proc = null;
    // Stop pythonia's free loop: it would write to the dead process (TypeError on a null proc).
    const bridge = (globalThis as { __pythonBridge?: PythoniaBridge }).__pythonBridge;
    if (bridge) {
      clearInterval(bridge.loop);
      bridge.freeable = [];
    }
    this.proc = undefined;
    this.runtime = undefined;
  }

  private removeFiles(): void {
    removeFile(this.inPath);
    removeFile(this.outPath);
  }

  /** Stops Python (SIGTERM, SIGKILL after 2 s), removes the transfer files and the process hooks. Safe to call twice. */
  async close(): Promise<void> {
    const proc = this.proc;
    this.removeFiles();
    process.removeListener('exit', this.exitHook);
    process.removeListener('SIGINT', this.signalHook);
    process.removeListener('SIGTERM', this.signalHook);
    if (open.session === this) open.session = undefined;
    if (!proc || this.pid === undefined) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}

/**
 * The process-wide Python session (created on first use; Python itself starts on the first call).
 * @example
 * const py = pythonSession();
 */
export function pythonSession(options: SessionOptions = {}): PythonSession {
  return open.session ?? new PythonSession(options);
}
