/**
 * Benchmark: federated rounds with eager vs compiled local steps (src/federated/client.ts `localTrain` through
 * src/train/compile.ts, issue 19), MRFF (the shipped MRFF_CONFIG) on the federated world at mrff/main's evidence size
 * (3 000 users, chunks of 1 024 clients, one local Adam step per round).
 *
 * RECLAB_BENCH_REPEATS (default 3) pairs of arms in alternating order (eager-compiled, then compiled-eager, ...); each
 * arm builds a fresh model (same seed) and runs RECLAB_BENCH_ROUNDS rounds (default 7) without evaluation; the first
 * RECLAB_BENCH_WARMUP rounds (default 3) are untimed: the compiled arm traces each chunk shape in them (chunks of
 * 1 024 and 952 clients; round 1 without the balance term's group shares, later rounds with them). Reported:
 * seconds per round medians per arm, the median of the per-pair ratios eager / compiled, native executeOp calls per
 * timed round, the compiler's counts, whether the two arms' training losses agree (rtol 1e-4), and the 1-minute load
 * average before each arm; the verdict is marked UNRELIABLE when the load before any arm exceeded the core count + 0.5.
 * Results go to results/bench/federated-round-<timestamp>.json.
 * Run: `npm run bench:federated`, or `node --import tsx bench/federated-round.ts`.
 * Env: RECLAB_BENCH_REPEATS (3), RECLAB_BENCH_ROUNDS (7), RECLAB_BENCH_WARMUP (3), RECLAB_BENCH_USERS (3000).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, tf } from '../src/tf.ts';
import { FederatedWorldConfigSpec, generateFederatedWorld } from '../src/worlds/federated-world.ts';
import { createMRFF } from '../src/models/mrff.ts';
import { MRFF_EVIDENCE } from '../src/pipelines/mrff/main.ts';
import { withHoldout } from '../src/pipelines/mrff/common.ts';
import { runFederated, type FedResult } from '../src/federated/engine.ts';
import { Rng } from '../src/random.ts';
import { median } from './profile-util.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number.parseInt(v, 10);
  if (!(n >= 1)) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
}

const repeats = envInt('RECLAB_BENCH_REPEATS', 3);
const rounds = envInt('RECLAB_BENCH_ROUNDS', 7);
const warmup = envInt('RECLAB_BENCH_WARMUP', 3);
const users = envInt('RECLAB_BENCH_USERS', 3000);
if (warmup >= rounds) throw new Error(`RECLAB_BENCH_WARMUP (${warmup}) must be below RECLAB_BENCH_ROUNDS (${rounds})`);
process.env.RECLAB_PROGRESS ??= '0';

const world = withHoldout(generateFederatedWorld(FederatedWorldConfigSpec.parse({ ...MRFF_EVIDENCE.world, users })), MRFF_EVIDENCE.holdout);

/** Counts the native addon's executeOp calls (the compiler calls the binding the backend holds at call time). */
const backend = tf.backend() as unknown as { binding: { executeOp: (...a: unknown[]) => unknown } };
const binding = backend.binding;
let calls = 0;
backend.binding = Object.create(binding, { executeOp: { value: (...a: unknown[]) => (calls++, binding.executeOp(...a)) } });

interface Arm {
  name: 'eager' | 'compiled';
  secondsPerRound: number;
  callsPerRound: number;
  trainLoss: number[];
  compiledSteps: FedResult['compiledSteps'];
  loadBefore: number;
}

async function arm(name: Arm['name']): Promise<Arm> {
  const loadBefore = loadavg()[0];
  const model = createMRFF(new Rng(1), world.itemFields, world.userFields, { maxLen: 30 });
  const times: number[] = [];
  let last = performance.now();
  let callsAtWarmup = 0;
  const r = await runFederated(model, world, { ...MRFF_EVIDENCE.fed, rounds, evalEvery: rounds + 1, patience: null, maxLen: 30, seed: 1, label: name, compile: name === 'compiled' }, {
    // After each round's aggregation; round seconds measured here from round to round (the last round's
    // end-of-run evaluation is not included).
    onAggregate: (round) => {
      const now = performance.now();
      if (round > warmup) times.push((now - last) / 1000);
      if (round === warmup) callsAtWarmup = calls;
      last = now;
    },
  });
  const callsPerRound = (calls - callsAtWarmup) / (rounds - warmup);
  model.dispose();
  return { name, secondsPerRound: median(times), callsPerRound, trainLoss: r.history.map((h) => h.trainLoss), compiledSteps: r.compiledSteps, loadBefore };
}

const arms: Arm[] = [];
const ratios: number[] = [];
for (let p = 0; p < repeats; p++) {
  const order: Array<Arm['name']> = p % 2 === 0 ? ['eager', 'compiled'] : ['compiled', 'eager'];
  const pair: Partial<Record<Arm['name'], Arm>> = {};
  for (const name of order) {
    calls = 0;
    const a = await arm(name);
    pair[name] = a;
    arms.push(a);
    console.log(`pair ${p + 1} ${name.padEnd(8)} ${a.secondsPerRound.toFixed(3)} s/round  ${a.callsPerRound.toFixed(0)} native calls/round  load ${a.loadBefore.toFixed(2)}${a.compiledSteps ? `  compiled ${a.compiledSteps.compiled} / eager ${a.compiledSteps.eager}${a.compiledSteps.fallbackReason ? ` FELL BACK: ${a.compiledSteps.fallbackReason}` : ''}` : ''}`);
  }
  ratios.push((pair.eager as Arm).secondsPerRound / (pair.compiled as Arm).secondsPerRound);
}
const of = (n: Arm['name']) => arms.filter((a) => a.name === n);
const e = of('eager')[0].trainLoss;
const c = of('compiled')[0].trainLoss;
const lossesAgree = e.every((x, i) => Math.abs(x - c[i]) <= 1e-4 * Math.abs(x));
const unreliable = arms.some((a) => a.loadBefore > cpus().length + 0.5);
const summary = {
  bench: 'federated-round',
  when: new Date().toISOString(),
  backend: backendInfo(),
  world: { users, chunkSize: MRFF_EVIDENCE.fed.chunkSize, rounds, warmup },
  eagerSecondsPerRound: median(of('eager').map((a) => a.secondsPerRound)),
  compiledSecondsPerRound: median(of('compiled').map((a) => a.secondsPerRound)),
  eagerCallsPerRound: median(of('eager').map((a) => a.callsPerRound)),
  compiledCallsPerRound: median(of('compiled').map((a) => a.callsPerRound)),
  ratioEagerOverCompiled: median(ratios),
  pairRatios: ratios,
  lossesAgree,
  unreliable,
  arms,
};
console.log(`\nMRFF, ${users} users, chunks of ${MRFF_EVIDENCE.fed.chunkSize}: eager ${summary.eagerSecondsPerRound.toFixed(3)} s/round, compiled ${summary.compiledSecondsPerRound.toFixed(3)} s/round -> ${summary.ratioEagerOverCompiled.toFixed(2)}x (pairs ${ratios.map((r) => r.toFixed(2)).join(' / ')}); native calls per round ${summary.eagerCallsPerRound.toFixed(0)} -> ${summary.compiledCallsPerRound.toFixed(0)}; training losses ${lossesAgree ? 'agree' : 'DIFFER'} (rtol 1e-4)${unreliable ? '; UNRELIABLE: the machine was busy' : ''}`);
const out = join(ROOT, 'results', 'bench', `federated-round-${Date.now()}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(summary, null, 2));
console.log(`written ${out}`);
