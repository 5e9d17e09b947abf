/**
 * Backend choice (src/tf.ts): native by default here, RECLAB_BACKEND forces one, an impossible or unknown choice is an
 * error rather than a silent fallback. Each case runs in a child process because the choice is made at import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function backendWith(value: string | undefined) {
  const env = { ...process.env };
  if (value === undefined) delete env.RECLAB_BACKEND;
  else env.RECLAB_BACKEND = value;
  const code = "import('./src/tf.ts').then((m) => console.log(JSON.stringify(m.backendInfo())), (e) => { console.error(e.message); process.exit(3); })";
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env });
}

test('default: the native tensorflow backend (built by env/setup.sh)', () => {
  const r = backendWith(undefined);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.name, 'tensorflow');
  assert.equal(info.package, '@tensorflow/tfjs-node');
});

test('RECLAB_BACKEND=cpu forces the pure-JS backend and says so', () => {
  const info = JSON.parse(backendWith('cpu').stdout);
  assert.deepEqual([info.name, info.reason], ['cpu', 'forced by RECLAB_BACKEND=cpu']);
});

test('an unknown or unavailable RECLAB_BACKEND is an error naming it', () => {
  const bad = backendWith('wasm');
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /RECLAB_BACKEND=wasm: expected one of tensorflow-gpu, tensorflow, cpu/);
  const gpu = backendWith('tensorflow-gpu');
  assert.equal(gpu.status, 3);
  assert.match(gpu.stderr, /RECLAB_BACKEND=tensorflow-gpu but @tensorflow\/tfjs-node-gpu cannot be loaded/);
});
