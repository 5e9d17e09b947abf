/**
 * Benchmark: training steps eager vs compiled (src/train/compile.ts, issue 19) in one process, on the trainer's own
 * Stepper (Adam lr 1e-3), at batch 1024 and 256. The model is DIN on the CTR world by default; RECLAB_BENCH_MODEL
 * names another registered model of the CTR, entire-space CVR or live task (e.g. `farm`, `live-ple`, `esmm`: models
 * with dropout, whose masks TensorFlow draws inside the compiled step), trained on that task's world.
 *
 * Per batch size, RECLAB_BENCH_REPEATS (default 3) pairs of arms in alternating order (eager-compiled, then
 * compiled-eager, ...); each arm builds a fresh model (same seed), runs RECLAB_BENCH_WARMUP (default 6) steps
 * untimed (the compiled arm traces in them), then times RECLAB_BENCH_STEPS steps (default 40 at 1024, 120 at 256),
 * reading each loss back as the trainer's progress line would not (one dataSync at the end of the arm). Reported:
 * samples/s medians per arm, the median of the per-pair ratios compiled / eager, native executeOp calls per step
 * (counted on 5 steps after the timed ones), and the 1-minute load average before each arm; the verdict is marked
 * UNRELIABLE when the load before any arm exceeded the core count + 0.5 (other work on the machine). Results go to
 * results/bench/compiled-step-<timestamp>.json.
 *
 * With RECLAB_BENCH_XLA=1 the two arms are compiled steps without and with XLA (RECLAB_XLA=1: TensorFlow's JIT
 * compiles each step function whole); the warm-up column then includes XLA's compilation.
 * Run: `npm run bench:compile`, or `node --import tsx bench/compiled-step.ts`.
 * Env: RECLAB_BENCH_XLA (0), RECLAB_BENCH_MODEL (din), RECLAB_BENCH_REPEATS (3), RECLAB_BENCH_WARMUP (6), RECLAB_BENCH_STEPS (per batch
 *      size default above), RECLAB_BENCH_USERS (4000).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, tf } from '../src/tf.ts';
import { generateCtrWorld } from '../src/worlds/ctr-world.ts';
import { generateFunnelWorld } from '../src/worlds/funnel-world.ts';
import { generateLiveWorld, LIVE_WORLD_SIZES } from '../src/worlds/live-world.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { getModelSpec } from '../src/models/registry.ts';
import { Stepper } from '../src/train/trainer.ts';
import { batches, type Batch } from '../src/data/batching.ts';
import { Rng } from '../src/random.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? Number.parseInt(v, 10) : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Arm {
  /** Which arm: `base` (eager, or compiled without XLA when RECLAB_BENCH_XLA=1) or `test` (compiled, or + XLA). */
  name: string;
  test: boolean;
  batchSize: number;
  samplesPerSecond: number;
  /** Wall seconds of the untimed warm-up steps (traces, and XLA's compilation with RECLAB_BENCH_XLA=1). */
  warmupSeconds: number;
  callsPerStep: number;
  loadBefore: number;
  fallbackReason: string | null;
}

/** The training set and label of a task's world, with `users` users. */
function worldFor(task: string, users: number): { train: Dataset; label: string } {
  if (task === 'ctr') return { train: generateCtrWorld({ users, items: 3000, categories: 60, impressionsPerUser: 30, seed: 7 }).train, label: 'click' };
  if (task === 'entire-space-cvr') return { train: generateFunnelWorld({ users, seed: 7 }).train, label: 'conversion' };
  if (task === 'live') return { train: generateLiveWorld({ ...LIVE_WORLD_SIZES.quick, users, seed: 7 }).train, label: 'click' };
  throw new Error(`bench/compiled-step: RECLAB_BENCH_MODEL's task '${task}' has no world here (expected ctr, entire-space-cvr or live)`);
}

function main(): void {
  const spec = getModelSpec(process.env.RECLAB_BENCH_MODEL || 'din');
  const world = worldFor(spec.task, envInt('RECLAB_BENCH_USERS', 4000));
  const repeats = envInt('RECLAB_BENCH_REPEATS', 3);
  const warmup = envInt('RECLAB_BENCH_WARMUP', 6);
  const backend = tf.backend() as unknown as { binding: { executeOp: (...a: unknown[]) => unknown } };
  const xla = process.env.RECLAB_BENCH_XLA === '1';
  const names = xla ? { base: 'compiled', test: 'compiled + XLA' } : { base: 'eager', test: 'compiled' };

  const arm = (test: boolean, batchSize: number, steps: number): Arm => {
    const full: Batch[] = [];
    for (let epoch = 0; full.length < warmup + steps + 5; epoch++) {
      for (const b of batches(world.train, { batchSize, seed: 1, epoch })) if (b.size === batchSize) full.push(b);
    }
    const model = spec.create(new Rng(1), world.train.schema);
    const stepper = new Stepper(model, spec.loss(world.label), { learningRate: 1e-3 }, 0, xla || test);
    const loadBefore = loadavg()[0];
    const lossSum = tf.variable(tf.scalar(0), false);
    const step = (b: Batch) => tf.tidy(() => void lossSum.assign(tf.add(lossSum, stepper.step(world.train, b))));
    const before = process.env.RECLAB_XLA;
    process.env.RECLAB_XLA = xla && test ? '1' : '0'; // read when a function is registered, in the warm-up
    const w0 = process.hrtime.bigint();
    try {
      full.slice(0, warmup).forEach(step);
      lossSum.dataSync();
    } finally {
      if (before === undefined) delete process.env.RECLAB_XLA;
      else process.env.RECLAB_XLA = before;
    }
    const warmupSeconds = Number(process.hrtime.bigint() - w0) / 1e9;
    const t0 = process.hrtime.bigint();
    full.slice(warmup, warmup + steps).forEach(step);
    lossSum.dataSync();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const binding = backend.binding;
    let calls = 0;
    backend.binding = Object.create(binding, { executeOp: { value: (...a: unknown[]) => (calls++, binding.executeOp(...a)) } });
    try {
      full.slice(warmup + steps, warmup + steps + 5).forEach(step);
    } finally {
      backend.binding = binding;
    }
    const fallbackReason = stepper.compiler?.fallbackReason ?? (xla && test ? stepper.compiler?.xlaFailure ?? null : null);
    const result = { name: test ? names.test : names.base, test, batchSize, samplesPerSecond: (steps * batchSize) / secs, warmupSeconds, callsPerStep: (calls - 5) / 5, loadBefore, fallbackReason };
    lossSum.dispose();
    stepper.dispose();
    model.dispose();
    return result;
  };

  const arms: Arm[] = [];
  const rows: string[] = [];
  for (const batchSize of [1024, 256]) {
    const steps = envInt('RECLAB_BENCH_STEPS', batchSize >= 1024 ? 40 : 120);
    const ratios: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 === 0 ? [false, true] : [true, false];
      const pair = order.map((c) => arm(c, batchSize, steps));
      arms.push(...pair);
      const e = pair.find((a) => !a.test) as Arm;
      const c = pair.find((a) => a.test) as Arm;
      ratios.push(c.samplesPerSecond / e.samplesPerSecond);
      process.stderr.write(`batch ${batchSize} pair ${r + 1}: ${names.base} ${Math.round(e.samplesPerSecond)}/s, ${names.test} ${Math.round(c.samplesPerSecond)}/s (load ${e.loadBefore.toFixed(2)} / ${c.loadBefore.toFixed(2)}; warm-up ${e.warmupSeconds.toFixed(1)} / ${c.warmupSeconds.toFixed(1)} s)\n`);
    }
    const of = (t: boolean) => arms.filter((a) => a.batchSize === batchSize && a.test === t);
    rows.push(
      `| ${batchSize} | ${Math.round(median(of(false).map((a) => a.samplesPerSecond)))} | ${Math.round(median(of(true).map((a) => a.samplesPerSecond)))} | ${median(ratios).toFixed(2)}x (${ratios.map((x) => x.toFixed(2)).join(' / ')}) | ${median(of(false).map((a) => a.callsPerStep))} | ${median(of(true).map((a) => a.callsPerStep))} | ${median(of(false).map((a) => a.warmupSeconds)).toFixed(1)} / ${median(of(true).map((a) => a.warmupSeconds)).toFixed(1)} |`,
    );
  }
  const busy = arms.filter((a) => a.loadBefore > cpus().length + 0.5).length;
  const fallback = arms.find((a) => a.fallbackReason)?.fallbackReason;
  const verdict = busy > 0 ? `UNRELIABLE: ${busy} of ${arms.length} arms started at a 1-min load above ${cpus().length + 0.5}` : 'machine quiet enough';
  const table = [
    `| batch | ${names.base} samples/s | ${names.test} samples/s | ${names.test} / ${names.base} (median of pairs) | native calls/step ${names.base} | ${names.test} | warm-up s (${warmup} steps) |`,
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(`${spec.name} training steps, ${names.base} vs ${names.test} (${backendInfo().package} ${backendInfo().version}, threads ${JSON.stringify(backendInfo().threads)})\n${table}\n${verdict}${fallback ? `\nFELL BACK: ${fallback}` : ''}`);
  const dir = join(ROOT, 'results', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `compiled-step-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ model: spec.name, arms, table, verdict, machine: { cpus: cpus().length, node: process.version, loadavgEnd: loadavg() } }, null, 2)}\n`, { flag: 'wx' });
  console.log(`results: ${file}`);
}

main();
