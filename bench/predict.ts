/**
 * Benchmark: `predict` (src/train/evaluate.ts) with eager vs compiled forward passes, on a freshly initialised DIN
 * (or RECLAB_BENCH_MODEL) over the CTR world's training rows, at the default prediction batch (8 192) and at 1 024
 * (or the sizes in RECLAB_BENCH_BATCHES).
 * RECLAB_BENCH_REPEATS (default 5) pairs of arms in alternating order; each arm predicts every row once after one
 * untimed call (the compiled arm traces its batch shapes there). Reported: rows/s medians per arm, the median of the
 * per-pair ratios compiled / eager, whether the probabilities agree (rtol 1e-5), and the 1-minute load average
 * before each pair (UNRELIABLE above the core count + 0.5).
 * Run: `npm run bench:predict`, or `node --import tsx bench/predict.ts`.
 * Env: RECLAB_BENCH_MODEL (din), RECLAB_BENCH_REPEATS (5), RECLAB_BENCH_USERS (4000), RECLAB_BENCH_BATCHES (8192,1024).
 */
import { cpus, loadavg } from 'node:os';
import { generateCtrWorld } from '../src/worlds/ctr-world.ts';
import { getModelSpec } from '../src/models/registry.ts';
import { predict } from '../src/train/evaluate.ts';
import { Rng } from '../src/random.ts';
import { median } from './profile-util.ts';

const modelName = process.env.RECLAB_BENCH_MODEL || 'din';
const repeats = Number.parseInt(process.env.RECLAB_BENCH_REPEATS || '5', 10);
const users = Number.parseInt(process.env.RECLAB_BENCH_USERS || '4000', 10);
if (!(repeats >= 1 && users >= 1)) throw new Error('RECLAB_BENCH_REPEATS and RECLAB_BENCH_USERS must be positive integers');
const world = generateCtrWorld({ users, items: 2000, categories: 40, impressionsPerUser: 20, seed: 7 });
const ds = world.train;
const spec = getModelSpec(modelName);

/** Rows/s of one arm: a fresh model (same seed), one untimed prediction, then one timed. */
function arm(compiled: boolean, batchSize: number): { rowsPerSecond: number; probs: Float32Array } {
  process.env.RECLAB_COMPILE = compiled ? '1' : '0';
  const m = spec.create(new Rng(1), ds.schema);
  predict(m, ds, { batchSize });
  const t0 = performance.now();
  const probs = predict(m, ds, { batchSize });
  const rowsPerSecond = ds.size / ((performance.now() - t0) / 1000);
  m.dispose();
  return { rowsPerSecond, probs };
}

for (const batchSize of (process.env.RECLAB_BENCH_BATCHES || '8192,1024').split(",").map(Number)) {
  const eager: number[] = [];
  const compiled: number[] = [];
  const ratios: number[] = [];
  const loads: number[] = [];
  let agree = true;
  for (let p = 0; p < repeats; p++) {
    loads.push(loadavg()[0]);
    const order = p % 2 === 0 ? [false, true] : [true, false];
    const r = order.map((c) => arm(c, batchSize));
    const [e, c] = order[0] ? [r[1], r[0]] : [r[0], r[1]];
    eager.push(e.rowsPerSecond);
    compiled.push(c.rowsPerSecond);
    ratios.push(c.rowsPerSecond / e.rowsPerSecond);
    agree &&= e.probs.every((x, i) => Math.abs(x - c.probs[i]) <= 1e-5 * Math.abs(x) + 1e-7);
  }
  const busy = loads.some((l) => l > cpus().length + 0.5);
  console.log(`${modelName} predict, ${ds.size} rows, batch ${batchSize}: eager ${median(eager).toFixed(0)} rows/s, compiled ${median(compiled).toFixed(0)} rows/s -> ${median(ratios).toFixed(2)}x (pairs ${ratios.map((x) => x.toFixed(2)).join(' / ')}); probabilities ${agree ? 'agree' : 'DIFFER'}; load ${loads.map((l) => l.toFixed(1)).join(' ')}${busy ? ' UNRELIABLE: the machine was busy' : ''}`);
}
