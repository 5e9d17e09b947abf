/**
 * The managed Python process: lazy start from the venv, JSON + binary tensor round trips, Python errors with their
 * traceback, timeouts that cancel, crashes that error instead of hanging, shape/dtype errors raised before Python is
 * called, and no orphan when the parent Node process is killed.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonSession, REPO_ROOT } from '../../src/bridge/session.ts';
import { BridgeCrashError, BridgeTimeoutError, PythonError, TensorSpecError } from '../../src/bridge/errors.ts';
import { hostTensor, shmDir } from '../../src/bridge/tensors.ts';

const py = pythonSession();
after(() => py.close());
const T = 'reclab_bridge.testing';

/** Alive = exists and is not a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
async function gone(pid: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}
const leftovers = (): string[] => readdirSync(shmDir()).filter((f) => f.startsWith(`reclab-bridge-${process.pid}-`));

test('lazy start: no Python before the first call; float32 and int32 tensors round-trip bit-exactly', async () => {
  assert.equal(py.pid, undefined);
  const x = hostTensor(Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2), [3, 4]);
  const ids = hostTensor(Int32Array.from([7, -3, 2 ** 30]), [3]);
  const r = await py.call(T, 'echo', { tensors: { x }, args: { scale: 2 } });
  assert.ok(py.pid !== undefined && alive(py.pid));
  assert.deepEqual(r.tensors.y.shape, [3, 4]);
  assert.deepEqual([...r.tensors.y.data], [...x.data].map((v) => v * 2));
  assert.equal(r.value.sum, [...x.data].reduce((a, b) => a + b, 0));
  const r2 = await py.call(T, 'echo', { tensors: { x: ids } });
  assert.ok(r2.tensors.y.data instanceof Int32Array);
  assert.deepEqual([...r2.tensors.y.data], [7, -3, 2 ** 30]);
  assert.ok(leftovers().length <= 2, `one input and one output transfer file at most: ${leftovers().join(', ')}`);
});

test('an input view Python keeps beyond the call is never overwritten by later transfers', async () => {
  const kept = await py.call(T, 'keep', { tensors: { x: hostTensor(new Float32Array([1, 2, 3, 4]), [4]) } });
  await py.call(T, 'checksum', { tensors: { x: hostTensor(new Float32Array([100, 100, 100, 100]), [4]) } });
  const r = await py.call(T, 'kept_sum', { args: { handle: kept.value.handle } });
  assert.equal(r.value.sum, 10);
});

test('a Python exception surfaces with the call name and the traceback', async () => {
  await assert.rejects(py.call(T, 'fail', { args: { message: 'bad thing 42' } }), (e: unknown) => {
    assert.ok(e instanceof PythonError);
    assert.equal(e.call, 'reclab_bridge.testing.fail');
    assert.match(e.message, /Python call reclab_bridge\.testing\.fail failed/);
    assert.match(e.traceback, /Traceback \(most recent call last\)/);
    assert.match(e.traceback, /in inner/);
    assert.match(e.traceback, /ValueError: bad thing 42/);
    return true;
  });
  const ok = await py.call(T, 'checksum', { tensors: { x: hostTensor(new Float32Array([1, 2, 3]), [3]) } });
  assert.equal(ok.value.sum, 6, 'the session still works after a Python error');
});

test("an error pythonia itself raises is a PythonError whose message holds the full Python traceback (never '')", async () => {
  // pythonia's own PythonException has an empty message (issue 13: the console's error line ended in nothing).
  await assert.rejects(py.rawModule('reclab_bridge.no_such_module'), (e: unknown) => {
    assert.ok(e instanceof PythonError);
    assert.equal(e.call, 'reclab_bridge.no_such_module (import)');
    assert.match(e.message, /^Python call reclab_bridge\.no_such_module \(import\) failed:\nTraceback \(most recent call last\):\n/);
    assert.match(e.message, /File ".*", line \d+, in python\n/, 'the frames, pythonia\'s included');
    assert.match(e.message, /ModuleNotFoundError: No module named 'reclab_bridge\.no_such_module'$/);
    assert.equal(e.traceback.trimEnd(), e.message.slice(e.message.indexOf('\n') + 1));
    return true;
  });
  const ok = await py.call(T, 'checksum', { tensors: { x: hostTensor(new Float32Array([1, 2]), [2]) } });
  assert.equal(ok.value.sum, 3, 'the session still works after a pythonia error');
});

test('modules outside src/bridge/python and private names are refused', async () => {
  await assert.rejects(py.call('os', 'getcwd'), /not a reclab bridge module/);
  await assert.rejects(py.call('reclab_bridge.runtime', '_map_inputs'), /private names cannot be called/);
});

test('wrong dtype or shape is an error naming expected and received, raised before Python is called', async () => {
  const before = py.pid;
  const x = hostTensor(new Float32Array(8 * 3), [8, 3]);
  assert.throws(() => py.call(T, 'checksum', { tensors: { x }, expect: { x: { dtype: 'float32', shape: [-1, 16] } } }), (e: unknown) => {
    assert.ok(e instanceof TensorSpecError);
    assert.match(e.message, /tensor 'x': expected float32 \[-1, 16\], received float32 \[8, 3\]/);
    return true;
  });
  assert.throws(() => py.call(T, 'checksum', { tensors: { x }, expect: { x: { dtype: 'int32', shape: [8, 3] } } }), /expected int32 \[8, 3\], received float32 \[8, 3\]/);
  assert.throws(() => py.call(T, 'checksum', { tensors: { x: { dtype: 'float32', shape: [4, 4], data: new Float32Array(15) } } }), /expected 16 elements for shape \[4, 4\], received 15 elements/);
  assert.equal(py.pid, before, 'Python was not restarted or called');
});

test('a call past its timeout is cancelled with a clear error; the next call starts a fresh process', async () => {
  const pid = py.pid as number;
  const t0 = Date.now();
  await assert.rejects(py.call(T, 'sleep', { args: { seconds: 30 }, timeoutMs: 1500 }), (e: unknown) => {
    assert.ok(e instanceof BridgeTimeoutError);
    assert.match(e.message, /reclab_bridge\.testing\.sleep timed out after 1500 ms/);
    return true;
  });
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(await gone(pid), 'the timed-out Python process is gone');
  const r = await py.call(T, 'sleep', { args: { seconds: 0 } });
  assert.equal(r.value.slept, 0);
  assert.notEqual(py.pid, pid);
});

test('a crashed Python process gives an error, not a hang', async () => {
  await assert.rejects(py.call(T, 'crash', { args: { code: 3 } }), (e: unknown) => {
    assert.ok(e instanceof BridgeCrashError);
    assert.match(e.message, /died during call reclab_bridge\.testing\.crash \(exit code 3\)/);
    return true;
  });
  const r = await py.call(T, 'checksum', { tensors: { x: hostTensor(new Int32Array([5, 6]), [2]) } });
  assert.equal(r.value.sum, 11);
});

test('starting Python sweeps transfer files left by dead Node processes', async () => {
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.once('exit', r));
  const stale = join(shmDir(), `reclab-bridge-${dead.pid}-x-in-0.bin`);
  writeFileSync(stale, 'x');
  await py.close();
  await py.call(T, 'sleep', { args: { seconds: 0 } });
  assert.equal(existsSync(stale), false, `${stale} was not swept`);
});

test('close() removes the transfer files', async () => {
  await py.call(T, 'checksum', { tensors: { x: hostTensor(new Float32Array([1]), [1]) } });
  await py.close();
  const left = leftovers();
  assert.equal(left.length, 0, `transfer files left after close(): ${left.join(', ')}`);
});

describe('the parent process ends (children run concurrently)', { concurrency: true }, () => {
test('no orphan: killing the parent Node process (SIGKILL) ends its Python process', async () => {
  const script = `import { pythonSession } from './src/bridge/session.ts';
const py = pythonSession();
await py.call('reclab_bridge.testing', 'sleep', { args: { seconds: 0 } });
console.log('PID ' + py.pid);
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const pyPid = await new Promise<number>((resolvePid, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PID (\d+)/.exec(buf);
      if (m) resolvePid(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`parent exited early: ${buf}`)));
  });
  assert.ok(alive(pyPid));
  child.kill('SIGKILL');
  assert.ok(await gone(pyPid), `Python pid ${pyPid} outlived its parent`);
});

for (const [how, code] of [['SIGINT', 'process.kill(process.pid, "SIGINT")'], ['SIGTERM', 'process.kill(process.pid, "SIGTERM")'], ['an uncaught error', 'throw new Error("uncaught")'], ['a normal end without close()', '']] as const) {
  test(`Python is closed on ${how} of the parent`, async () => {
    const script = `import { pythonSession } from './src/bridge/session.ts';
const py = pythonSession();
await py.call('reclab_bridge.testing', 'sleep', { args: { seconds: 0 } });
console.log('PID ' + py.pid);
setTimeout(() => { ${code} }, 100);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let t0 = 0; // when Python is up: from then on the parent must end promptly (startup time depends on the load)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!t0 && out.includes('PID ')) t0 = Date.now();
    });
    await new Promise((r) => child.once('exit', r));
    const pid = Number(/PID (\d+)/.exec(out)?.[1]);
    assert.ok(pid > 0, `child printed ${out}`);
    assert.ok(Date.now() - t0 < 10_000, `the parent ended ${Date.now() - t0} ms after its Python started`);
    assert.ok(await gone(pid), `Python pid ${pid} outlived its parent`);
  });
}
});
