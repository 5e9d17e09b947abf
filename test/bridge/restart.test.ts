/**
 * Issue 16's bridge items: (1) a Python process that died while Node was idle -- or busy, so that Node has not yet
 * seen its 'exit' event -- is replaced by the next call instead of failing it; (2) a TorchTrainable of a process that is
 * gone fails with a BridgeHandleLostError naming its handle (checked in TypeScript), not with a Python lookup error of
 * the fresh process; (3) a call whose Python function raises still releases its input mapping, also when the inputs
 * are held by a reference cycle (the mapping is checked in the Python process's /proc/<pid>/maps).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pythonSession } from '../../src/bridge/session.ts';
import { BridgeHandleLostError, PythonError } from '../../src/bridge/errors.ts';
import { hostTensor } from '../../src/bridge/tensors.ts';
import { TorchTrainable } from '../../src/bridge/trainable.ts';

const py = pythonSession();
after(() => py.close());
const T = 'reclab_bridge.testing';

/** Linux process state letter of `pid` ('' when it does not exist). */
function state(pid: number): string {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/** Kills `pid` and blocks the event loop until the kernel shows it dead, so Node cannot handle its 'exit' event. */
function killWhileBusy(pid: number): void {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (!['Z', 'X', ''].includes(state(pid)) && Date.now() < deadline) {
    // busy: a synchronous loop, as during a long tfjs step
  }
  assert.ok(['Z', 'X', ''].includes(state(pid)), `pid ${pid} did not die`);
}

test('a Python process that died while Node was busy is replaced by the next call (no BridgeCrashError)', async () => {
  await py.call(T, 'sleep', { args: { seconds: 0 } });
  const pid = py.pid as number;
  const before = py.processId as number;
  killWhileBusy(pid);
  assert.equal(py.pid, undefined, 'the dead process is not reported as running');
  const r = await py.call(T, 'sleep', { args: { seconds: 0 } });
  assert.equal(r.value.slept, 0);
  assert.notEqual(py.pid, pid);
  assert.equal(r.process, before + 1, 'the call was served by the next process');
});

test('a Python process that died while Node was idle is replaced by the next call', async () => {
  await py.call(T, 'sleep', { args: { seconds: 0 } });
  const pid = py.pid as number;
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300)); // idle: Node handles the 'exit' event
  const r = await py.call(T, 'checksum', { tensors: { x: hostTensor(new Float32Array([1, 2, 3]), [3]) } });
  assert.equal(r.value.sum, 6);
  assert.notEqual(py.pid, pid);
});

test('a TorchTrainable of a process that is gone fails with an error naming its handle, before Python is called', async () => {
  const tower = await TorchTrainable.create(py, { factory: 'reclab_bridge.testing_models:Tower', config: { in_dim: 4, hidden: 5, out_dim: 3 }, seed: 1 });
  const x = hostTensor(new Float32Array(2 * 4).fill(0.5), [2, 4]);
  assert.deepEqual((await tower.forward({ x })).emb.shape, [2, 3]);
  assert.ok(tower.alive);
  killWhileBusy(py.pid as number); // dies unnoticed: the handle's check must not trust a stale 'running' state
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof BridgeHandleLostError, `got ${String(e)}`);
    assert.equal(e.handle, tower.handle);
    assert.match(e.message, new RegExp(`bridge handle '${tower.handle}' \\(call reclab_bridge\\.trainable\\.forward\\) lived in Python process #${tower.process}, which is gone`));
    assert.doesNotMatch(e.message, /KeyError|unknown bridge handle/);
    return true;
  };
  await assert.rejects(tower.forward({ x }), check);
  assert.equal(py.pid, undefined, 'the handle check started no Python process');
  await py.call(T, 'sleep', { args: { seconds: 0 } }); // a restart by another call
  assert.equal(tower.alive, false);
  await assert.rejects(tower.forward({ x }), check);
  await assert.rejects(tower.backward({ emb: hostTensor(new Float32Array(6), [2, 3]) }), (e: unknown) => e instanceof BridgeHandleLostError && /trainable\.backward/.test(e.message));
  await assert.rejects(tower.parameters(), BridgeHandleLostError);
  await tower.dispose(); // nothing to free: no error
  const fresh = await TorchTrainable.create(py, { factory: 'reclab_bridge.testing_models:Tower', config: { in_dim: 4, hidden: 5, out_dim: 3 }, seed: 1 });
  assert.deepEqual((await fresh.forward({ x })).emb.shape, [2, 3], 'a handle of the running process works');
  await fresh.dispose();
});

test('a call whose Python function raises releases its input mapping (also inputs held by a reference cycle)', async () => {
  const marker = `reclab-bridge-${process.pid}-`;
  const inputs = async (): Promise<string[]> => ((await py.call(T, 'mapped_inputs', { args: { marker } })).value.paths as string[]).filter((p) => p.includes('-in-'));
  const x = hostTensor(Float32Array.from({ length: 4096 }, (_, i) => i), [4096]);
  for (let i = 0; i < 3; i++) {
    await assert.rejects(py.call(T, 'fail_holding', { tensors: { x }, args: { message: `bad input ${i}` } }), (e: unknown) => e instanceof PythonError && /ValueError: bad input/.test(e.traceback));
    await assert.rejects(py.call(T, 'fail', { tensors: { x } }), PythonError);
  }
  assert.deepEqual(await inputs(), [], 'no input file stays mapped after failed calls');
  const ok = await py.call(T, 'checksum', { tensors: { x } });
  assert.equal(ok.value.sum, (4095 * 4096) / 2, 'the next call reads its own inputs');
  assert.deepEqual(await inputs(), []);
});
