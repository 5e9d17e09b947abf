/**
 * Benchmark, four parts: three of 1 worker process vs 2 on this machine and the machine's own ceiling for 2 workers,
 * every process with the pool sizes of src/pools.ts (a lone process: inter-op one thread per core; each of 2 workers:
 * cores / 2; intra-op 1); the ceiling's processes all get the 2-worker sizes:
 * - pipelines as jobs (src/pipelines/jobs.ts): RECLAB_BENCH_JOBS (default 4) quick runs of baselines/ctr, 1 seed
 *   each, on a world of RECLAB_BENCH_USERS users (default 3000), each run in its own worker process;
 * - fits as jobs (src/pipelines/fits.ts): one quick baselines/ctr run on the same world with RECLAB_BENCH_FIT_SEEDS
 *   seeds (default 3, so 12 fits in one call), fits in this process vs in two fit workers;
 * - a sweep: one quick unicdr/mechanism run with RECLAB_BENCH_FIT_SEEDS seeds (one call of 2 methods x the seeds per
 *   knob value, 4 values), fits in this process vs in two fit workers that persist across the calls;
 * - the machine's ceiling: a fixed piece of work (bench/jobs-ceiling-work.ts: 3 epochs of DNN on the quick world, and a
 *   plain JavaScript loop) timed inside one process running alone vs inside each of two processes running at once,
 *   start-up left out. 2 x alone / together is the most any 2 workers can gain here: below 2 when the two cores slow
 *   each other down (shared caches, memory bandwidth, or virtual cores on one physical core).
 *
 * The arms alternate (ABBA order) RECLAB_BENCH_REPEATS times (default 3); the table shows the median wall time of each
 * arm and the median of the per-pair speed-ups (1 worker / 2 workers). Before each run the machine's busy cores are
 * measured over 3 idle seconds of this process (from /proc/stat; the 1-minute load average would still count the
 * previous arm); the verdict is marked UNRELIABLE when other work was running (more than 0.3 cores busy before a run),
 * since a second worker then competes with that work rather than using an idle core. Results go to results/bench/jobs-<stamp>.json.
 *
 * Run: `npm run bench:jobs` (or `node --import tsx bench/jobs.ts`).
 * Env: RECLAB_BENCH_REPEATS (3), RECLAB_BENCH_JOBS (4), RECLAB_BENCH_USERS (3000), RECLAB_BENCH_FIT_SEEDS (3),
 * RECLAB_BENCH_PART (all, or a comma-separated list of pipelines, fits, sweep, ceiling; 'both' = pipelines,fits).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { runJobs } from '../src/pipelines/jobs.ts';
import { poolEnv } from '../src/pools.ts';
import '../src/pipelines/registry.ts';
import { runPipeline, type RunOptions } from '../src/pipelines/runner.ts';

const REPEATS = Number(process.env.RECLAB_BENCH_REPEATS ?? 3);
const JOBS = Number(process.env.RECLAB_BENCH_JOBS ?? 4);
const USERS = Number(process.env.RECLAB_BENCH_USERS ?? 3000);
const FIT_SEEDS = Number(process.env.RECLAB_BENCH_FIT_SEEDS ?? 3);
const PART_NAMES = ['pipelines', 'fits', 'sweep', 'ceiling'];
const PART = process.env.RECLAB_BENCH_PART ?? 'all';
const PARTS = PART === 'all' ? PART_NAMES : PART === 'both' ? ['pipelines', 'fits'] : PART.split(',');
for (const p of PARTS) if (!PART_NAMES.includes(p)) throw new Error(`bench/jobs: RECLAB_BENCH_PART must be all, both or a comma-separated list of ${PART_NAMES.join(', ')}; got '${PART}'`);
for (const [k, v] of Object.entries({ RECLAB_BENCH_REPEATS: REPEATS, RECLAB_BENCH_JOBS: JOBS, RECLAB_BENCH_USERS: USERS, RECLAB_BENCH_FIT_SEEDS: FIT_SEEDS })) {
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`bench/jobs: ${k} must be a positive integer, got '${process.env[k]}'`);
}

interface Run {
  workers: number;
  seconds: number;
  /** Cores busy with other work just before the run. */
  load: number;
  failed: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Jiffies of the machine's aggregate cpu line: [busy, total]. */
function cpuJiffies(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return [total - idle, total];
}

/** Cores kept busy by other work over `ms` milliseconds while this process sleeps. */
async function busyCores(ms = 3000): Promise<number> {
  const [b0, t0] = cpuJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const [b1, t1] = cpuJiffies();
  return t1 > t0 ? ((b1 - b0) / (t1 - t0)) * cpus().length : 0;
}

/** Pipelines as jobs: JOBS quick baselines/ctr runs, each in its own worker process. */
async function oncePipelines(workers: number): Promise<Run> {
  const out = mkdtempSync(join(tmpdir(), 'reclab-bench-jobs-'));
  const load = await busyCores();
  const t0 = process.hrtime.bigint();
  try {
    const outcomes = await runJobs(Array.from({ length: JOBS }, () => 'baselines/ctr'), {
      mode: 'quick',
      workers,
      passThrough: ['--workers', '1', '--seeds', '1', '--set', `world.users=${USERS}`, '--no-images', '--out', out],
      out,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const o of outcomes.filter((x) => x.state !== 'finished')) console.error(`bench/jobs: ${o.name} ${o.state}: ${o.detail}`);
    return { workers, seconds, load, failed: outcomes.filter((o) => o.state !== 'finished').length };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** One pipeline run with its fits here (1) or in fit workers: wall time, load before, failed or not. */
async function onceRun(name: string, options: Partial<RunOptions>, workers: number): Promise<Run> {
  const out = mkdtempSync(join(tmpdir(), 'reclab-bench-fits-'));
  const load = await busyCores();
  const t0 = process.hrtime.bigint();
  try {
    await runPipeline(name, { ...options, quick: true, out, verbose: false, figureFormats: [], fitWorkers: workers });
    return { workers, seconds: Number(process.hrtime.bigint() - t0) / 1e9, load, failed: 0 };
  } catch (e) {
    console.error(`bench/jobs: ${name} run failed: ${(e as Error).message}`);
    return { workers, seconds: Number(process.hrtime.bigint() - t0) / 1e9, load, failed: 1 };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Fits as jobs: one quick baselines/ctr run (4 models x FIT_SEEDS seeds in one call). */
const onceFits = (workers: number) => onceRun('baselines/ctr', { seeds: FIT_SEEDS, config: { world: { users: USERS } } }, workers);
/** The sweep: one quick unicdr/mechanism run (FIT_SEEDS seeds; a call per knob value), workers persisting across calls. */
const onceSweep = (workers: number) => onceRun('unicdr/mechanism', { seeds: FIT_SEEDS }, workers);

/** ABBA pairs of 1 vs 2 workers; medians and the median per-pair speed-up. */
async function measure(title: string, once: (workers: number) => Promise<Run>) {
  const runs: Run[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const order = r % 2 === 0 ? [1, 2] : [2, 1];
    const pair: Record<number, Run> = {};
    for (const w of order) {
      const run = await once(w);
      pair[w] = run;
      runs.push(run);
      console.log(`${title} round ${r + 1}/${REPEATS}: ${w} worker${w > 1 ? 's' : ''} ${run.seconds.toFixed(1)} s (busy cores before ${run.load.toFixed(2)}${run.failed ? `, ${run.failed} FAILED` : ''})`);
    }
    ratios.push(pair[1].seconds / pair[2].seconds);
  }
  const one = median(runs.filter((r) => r.workers === 1).map((r) => r.seconds));
  const two = median(runs.filter((r) => r.workers === 2).map((r) => r.seconds));
  const speedup = median(ratios);
  const maxLoad = Math.max(...runs.map((r) => r.load));
  const unreliable = maxLoad > 0.3 || runs.some((r) => r.failed);
  console.log(`\n| ${title} | median wall s |\n|---|---|\n| 1 worker | ${one.toFixed(1)} |\n| 2 workers | ${two.toFixed(1)} |\n| speed-up (median of ${REPEATS} pairs: ${ratios.map((x) => x.toFixed(2)).join(', ')}) | ${speedup.toFixed(2)}x |`);
  console.log(`\n${cpus().length} cores; busy cores before runs up to ${maxLoad.toFixed(2)}${unreliable ? ' — UNRELIABLE: other work was running (or runs failed)' : ''}. Target >= 1.7x.\n`);
  return { title, runs, ratios, medians: { one, two, speedup }, unreliable, maxLoad };
}

const CEILING_WORK = resolve(import.meta.dirname, 'jobs-ceiling-work.ts');

/** Seconds of the timed part of one ceiling workload process (its last stdout line). */
async function ceilingWork(kind: 'train' | 'js'): Promise<number> {
  const r = await execa(process.execPath, ['--import', 'tsx', CEILING_WORK, kind], { env: { RECLAB_PROGRESS: '0', RECLAB_BENCH_USERS: String(USERS), ...poolEnv(2) } });
  return (JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { seconds: number }).seconds;
}

/** The ceiling: one process alone vs two at once (ABBA); per pair 2 x alone / mean(together). */
async function measureCeiling(kind: 'train' | 'js') {
  const title = `ceiling: ${kind === 'train' ? '3 epochs of DNN (quick world)' : 'a plain JavaScript loop'}, timed inside each process`;
  const alone: number[] = [];
  const together: number[] = [];
  const ratios: number[] = [];
  const loads: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    let a = 0;
    let t = 0;
    for (const both of r % 2 === 0 ? [false, true] : [true, false]) {
      const load = await busyCores();
      loads.push(load);
      if (both) {
        const [x, y] = await Promise.all([ceilingWork(kind), ceilingWork(kind)]);
        t = (x + y) / 2;
        together.push(t);
      } else {
        a = await ceilingWork(kind);
        alone.push(a);
      }
      console.log(`${title} round ${r + 1}/${REPEATS}: ${both ? `two at once ${t.toFixed(2)} s each` : `alone ${a.toFixed(2)} s`} (busy cores before ${load.toFixed(2)})`);
    }
    ratios.push((2 * a) / t);
  }
  const medians = { alone: median(alone), together: median(together), ceiling: median(ratios) };
  const maxLoad = Math.max(...loads);
  const unreliable = maxLoad > 0.3;
  console.log(`\n| ${title} | median s |\n|---|---|\n| one process alone | ${medians.alone.toFixed(2)} |\n| each of two at once | ${medians.together.toFixed(2)} |\n| 2 x alone / together (median of ${REPEATS} pairs: ${ratios.map((x) => x.toFixed(2)).join(', ')}) | ${medians.ceiling.toFixed(2)}x |`);
  console.log(`\n${cpus().length} cores; busy cores before runs up to ${maxLoad.toFixed(2)}${unreliable ? ' — UNRELIABLE: other work was running' : ''}.\n`);
  return { title, alone, together, ratios, medians, unreliable, maxLoad };
}

const parts = [];
if (PARTS.includes('pipelines')) parts.push(await measure(`pipelines as jobs: ${JOBS} × baselines/ctr quick (1 seed, ${USERS} users)`, oncePipelines));
if (PARTS.includes('fits')) parts.push(await measure(`fits as jobs: baselines/ctr quick (${FIT_SEEDS} seeds × 4 models, ${USERS} users)`, onceFits));
if (PARTS.includes('sweep')) parts.push(await measure(`a sweep: unicdr/mechanism quick (${FIT_SEEDS} seeds × 2 methods per knob value)`, onceSweep));
if (PARTS.includes('ceiling')) parts.push(await measureCeiling('train'), await measureCeiling('js'));
mkdirSync(join('results', 'bench'), { recursive: true });
const file = join('results', 'bench', `jobs-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ jobs: JOBS, users: USERS, fitSeeds: FIT_SEEDS, repeats: REPEATS, cores: cpus().length, parts }, null, 2)}\n`);
console.log(`written: ${file}`);
