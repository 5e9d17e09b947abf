/**
 * TensorFlow's pool sizes (src/pools.ts): a lone process gets inter-op threads for every core, N workers share the
 * cores, the user's own values win everywhere, and the backend applies them before libtensorflow loads (checked in
 * child processes, since libtensorflow reads them once per process).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { poolEnv } from '../../src/pools.ts';

const TF_MODULE = resolve(import.meta.dirname, '../../src/tf.ts');
const POOLS_MODULE = resolve(import.meta.dirname, '../../src/pools.ts');

/** Runs `code` (an async function body with `tf` and `pools` in scope) in a fresh process with `env`; its JSON result. */
async function inChild(env: Record<string, string | undefined>, code: string): Promise<unknown> {
  const script = `const tf = await import(${JSON.stringify(TF_MODULE)}); const pools = await import(${JSON.stringify(POOLS_MODULE)}); console.log(JSON.stringify(await (async () => { ${code} })()));`;
  const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { env: { TF_NUM_INTRAOP_THREADS: undefined, TF_NUM_INTEROP_THREADS: undefined, ...env } });
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
}

const userPools = process.env.TF_NUM_INTRAOP_THREADS !== undefined || process.env.TF_NUM_INTEROP_THREADS !== undefined;

test('poolEnv: inter-op threads are the cores shared among the processes, intra-op 1', { skip: userPools && 'TF_NUM_*_THREADS set in this environment (the next test covers that case)' }, () => {
  const lone = poolEnv(1, 2);
  assert.deepEqual(lone, { TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '2' });
  assert.equal(poolEnv(2, 2).TF_NUM_INTEROP_THREADS, '1');
  assert.equal(poolEnv(3, 2).TF_NUM_INTEROP_THREADS, '1', 'never below one thread');
  assert.equal(poolEnv(2, 8).TF_NUM_INTEROP_THREADS, '4');
  assert.equal(poolEnv(1, 1).TF_NUM_INTEROP_THREADS, '1', 'a Ray task holding one CPU');
  assert.equal(poolEnv(1).TF_NUM_INTEROP_THREADS, String(cpus().length), 'default: this machine');
  assert.throws(() => poolEnv(0), /processes must be a positive integer, got 0/);
  assert.throws(() => poolEnv(2, 1.5), /available cores must be a positive integer, got 1.5/);
});

test('the backend loads libtensorflow with the default pools, or with the ones the user set', async () => {
  const defaults = (await inChild({}, 'return tf.backendInfo().threads;')) as { intraOp: string; interOp: string };
  assert.deepEqual(defaults, { intraOp: '1', interOp: String(cpus().length) });
  const user = (await inChild({ TF_NUM_INTEROP_THREADS: '3', TF_NUM_INTRAOP_THREADS: '2' }, 'return { backend: tf.backendInfo().threads, worker: pools.poolEnv(2, 2) };')) as {
    backend: { intraOp: string; interOp: string };
    worker: Record<string, string>;
  };
  assert.deepEqual(user.backend, { intraOp: '2', interOp: '3' });
  assert.deepEqual(user.worker, { TF_NUM_INTRAOP_THREADS: '2', TF_NUM_INTEROP_THREADS: '3' }, 'the user\'s values are handed to workers unchanged');
});
