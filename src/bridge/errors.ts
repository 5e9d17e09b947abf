/**
 * Errors the Python bridge raises: a Python exception (with its traceback), a timeout, a crashed process, and a
 * tensor whose dtype or shape does not match what the call expects.
 */

/**
 * A Python exception raised by a bridge call; the message holds the call and the full Python traceback.
 * @example
 * try { await py.call('reclab_bridge.testing', 'fail', {}); } catch (e) { if (e instanceof PythonError) console.log(e.traceback); }
 */
export class PythonError extends Error {
  /** `module.fn` of the failed call. */
  readonly call: string;
  /** The Python traceback as printed by `traceback.format_exc()`. */
  readonly traceback: string;
  /** @param call `module.fn`; @param traceback Python's formatted traceback. */
  constructor(call: string, traceback: string) {
    super(`Python call ${call} failed:\n${traceback.trimEnd()}`);
    this.name = 'PythonError';
    this.call = call;
    this.traceback = traceback;
  }
}

/**
 * A call that outlived its timeout. The Python process was killed to cancel it (its state is lost); the next call
 * starts a fresh one.
 * @example
 * await py.call('reclab_bridge.testing', 'sleep', { args: { seconds: 5 }, timeoutMs: 100 }); // throws BridgeTimeoutError
 */
export class BridgeTimeoutError extends Error {
  /** @param call `module.fn`; @param timeoutMs the limit it exceeded. */
  constructor(readonly call: string, readonly timeoutMs: number) {
    super(`Python call ${call} timed out after ${timeoutMs} ms; it was cancelled by stopping the Python process (its state is lost, the next call starts a fresh one)`);
    this.name = 'BridgeTimeoutError';
  }
}

/**
 * The Python process died (crash, kill, os._exit) while a call was running or before it started.
 * @example
 * await py.call('reclab_bridge.testing', 'crash', {}); // throws BridgeCrashError
 */
export class BridgeCrashError extends Error {
  /** @param call `module.fn`; @param detail exit code / signal. */
  constructor(readonly call: string, readonly detail: string) {
    super(`Python process died during call ${call} (${detail}); the next call starts a fresh process`);
    this.name = 'BridgeCrashError';
  }
}

/**
 * A tensor argument with the wrong dtype or shape, raised in TypeScript before Python is called.
 * @example
 * new TensorSpecError('tokens', 'int32 [-1, 16]', 'float32 [8, 16]');
 */
export class TensorSpecError extends Error {
  /** @param name argument name; @param expected expected dtype + shape; @param received received dtype + shape. */
  constructor(readonly tensorName: string, readonly expected: string, readonly received: string, detail = '') {
    super(`tensor '${tensorName}': expected ${expected}, received ${received}${detail ? ` (${detail})` : ''}`);
    this.name = 'TensorSpecError';
  }
}

/**
 * A call on a handle (a TorchTrainable, an object in the Python store) whose Python process is gone: the process
 * crashed, timed out, was closed or restarted, and the object died with it. Raised in TypeScript, before Python is
 * called (a fresh process would only answer with a lookup error for an unknown handle).
 * @example
 * await trainable.forward({ x }); // after a crash: BridgeHandleLostError "handle 'trainable-1' ... is gone"
 */
export class BridgeHandleLostError extends Error {
  /**
   * @param call `module.fn` that needed the handle; @param handle the handle's name; @param ownerProcess the session's
   * number of the process that created it; @param currentProcess the running process's number (undefined: none runs).
   */
  constructor(readonly call: string, readonly handle: string, readonly ownerProcess: number, readonly currentProcess: number | undefined) {
    const now = currentProcess === undefined ? 'no Python process runs now' : `Python process #${currentProcess} runs now`;
    super(`bridge handle '${handle}' (call ${call}) lived in Python process #${ownerProcess}, which is gone (crashed, timed out, closed or restarted; ${now}); its state is lost: create it again`);
    this.name = 'BridgeHandleLostError';
  }
}
