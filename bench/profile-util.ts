/**
 * Shared helpers of the profiling scripts under bench/: a CTR-world fixture with pre-gathered host batches, an
 * interleaved timer that reports medians and median per-round ratios (robust on a shared, noisy 2-core machine),
 * and a kernel census built on tf.profile. Not a benchmark by itself; imported by bench/profile-*.ts.
 */
import { tf } from '../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { generateCtrWorld } from '../src/worlds/ctr-world.ts';
import { batches, toTensors, type Batch, type TensorBatch } from '../src/data/batching.ts';
import type { Dataset } from '../src/data/dataset.ts';
import type { Schema } from '../src/data/schema.ts';

/** A world (the bench's shape, fewer users) and the first `nBatches` shuffled host batches of its train split. */
export interface Fixture {
  train: Dataset;
  schema: Schema;
  hostBatches: Batch[];
  /** The same batches already turned into tensors (kept; never disposed). */
  tensorBatches: TensorBatch[];
}

export function fixture(nBatches = 12, batchSize = 1024): Fixture {
  const world = generateCtrWorld({ users: 3000, items: 3000, categories: 60, impressionsPerUser: 30, seed: 7 });
  const hostBatches = [...batches(world.train, { batchSize, seed: 0, epoch: 0, dropLast: true })].slice(0, nBatches);
  const tensorBatches = hostBatches.map((b) => {
    const t = toTensors(world.train, b);
    for (const v of Object.values(t)) tf.keep(v);
    return t;
  });
  return { train: world.train, schema: world.train.schema, hostBatches, tensorBatches };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Result of `interleaved`: median ms per call and the median of per-round ratios to the first variant. */
export interface Timing {
  name: string;
  medianMs: number;
  ratioToFirst: number;
}

/**
 * Times variants round-robin (the order rotates every round) so that load from other processes hits all of them
 * alike. Each call of a variant is one unit (e.g. one training step); `warmup` rounds are discarded.
 */
export function interleaved(variants: Record<string, () => void>, rounds = 30, warmup = 3): Timing[] {
  const names = Object.keys(variants);
  const ms: number[][] = names.map(() => []);
  for (let r = 0; r < rounds + warmup; r++) {
    for (let j = 0; j < names.length; j++) {
      const k = (j + r) % names.length;
      const t0 = performance.now();
      variants[names[k]]();
      const dt = performance.now() - t0;
      if (r >= warmup) ms[k].push(dt);
    }
  }
  return names.map((name, k) => ({
    name,
    medianMs: median(ms[k]),
    ratioToFirst: median(ms[k].map((x, r) => x / ms[0][r])),
  }));
}

export function printTimings(title: string, ts: Timing[]): void {
  console.log(`\n${title}`);
  const w = Math.max(...ts.map((t) => t.name.length));
  for (const t of ts) console.log(`  ${t.name.padEnd(w)}  ${t.medianMs.toFixed(3).padStart(9)} ms   x${t.ratioToFirst.toFixed(3)}`);
}

/** One kernel name's share of a profiled call. */
export interface KernelRow {
  name: string;
  count: number;
  ms: number;
}

/**
 * Runs `f` once under tf.profile and aggregates kernels by name (kernel time = wall time of the backend kernel
 * function, i.e. the TF op plus the tfjs-node JS around it). Also returns the call's wall time and tensor count.
 */
export async function census(f: () => Tensor | void): Promise<{ rows: KernelRow[]; kernels: number; kernelMs: number; wallMs: number; newTensors: number }> {
  const t0 = performance.now();
  let out: Tensor | null = null;
  const info = await tf.profile(() => {
    out = f() ?? null;
  });
  const wallMs = performance.now() - t0;
  const by = new Map<string, KernelRow>();
  let kernelMs = 0;
  for (const k of info.kernels) {
    const ms = await k.kernelTimeMs;
    const t = typeof ms === 'number' ? ms : 0;
    kernelMs += t;
    const row = by.get(k.name) ?? { name: k.name, count: 0, ms: 0 };
    row.count++;
    row.ms += t;
    by.set(k.name, row);
  }
  (out as Tensor | null)?.dispose();
  return { rows: [...by.values()].sort((a, b) => b.ms - a.ms), kernels: info.kernels.length, kernelMs, wallMs, newTensors: info.newTensors };
}

export function printCensus(title: string, c: Awaited<ReturnType<typeof census>>, top = 40): void {
  console.log(`\n${title}: ${c.kernels} kernels, kernel time ${c.kernelMs.toFixed(2)} ms of ${c.wallMs.toFixed(2)} ms wall (profiled)`);
  for (const r of c.rows.slice(0, top)) console.log(`  ${r.name.padEnd(22)} x${String(r.count).padStart(4)}  ${r.ms.toFixed(3).padStart(8)} ms  (${(r.ms / r.count * 1000).toFixed(0)} us each)`);
}
