/**
 * Benchmark: tensor transfer across the Python bridge (src/bridge/), binary shared-memory files vs plain pythonia JSON.
 *
 * Per size (1 MB, 100 MB, 1 GB of float32) and direction, the median over repeats of the wall time of one call:
 *   - to Python: `call('reclab_bridge.testing', 'checksum', { tensors: { x } })` — TS writes the file, Python maps it
 *     zero-copy as a torch tensor and sums it in float64 (so every byte is really read);
 *   - from Python: `call(..., 'make', { args: { n } })` — Python fills a tensor, writes it, TS reads it into a typed array.
 * MB/s = bytes / median wall time; also MB per CPU-second (Node's user+system CPU time of the call plus the Python
 * process's CPU time for it), which is steadier than wall time on a shared, loaded machine. Baseline: the same through pythonia's JSON (a JS array in / a Python list out); only for
 * the sizes listed in RECLAB_BENCH_JSON_MB (default 1 and 10 MB; 100 MB of JSON takes minutes and several GB).
 * Peak RSS of the 1 GB transfer: one fresh child process per direction, so each side's peak is the transfer's own;
 * reported as the peak minus the RSS before the transfer (with the 1 GB array already held).
 *
 * Run: `node --import tsx bench/bridge-transfer.ts` (env RECLAB_BENCH_SIZES_MB=1,100,1024, RECLAB_BENCH_REPEATS=5).
 * Results also go to results/bench/bridge-transfer-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { pythonSession, REPO_ROOT } from '../src/bridge/session.ts';
import { hostTensor } from '../src/bridge/tensors.ts';

const MB = 1 << 20;
const T = 'reclab_bridge.testing';
const env = (k: string, d: string): string => process.env[k] ?? d;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const maxRss = (): number => process.resourceUsage().maxRSS * 1024;
/** Node CPU milliseconds (user + system) since `c0`. */
const cpuMs = (c0: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
};

interface RawTesting {
  checksum_list$(xs: number[], kw: { $timeout: number }): Promise<number>;
  make_list$(n: number, kw: { $timeout: number }): Promise<{ valueOf(): Promise<number[]> }>;
}

async function rssChild(direction: 'to' | 'from'): Promise<void> {
  const py = pythonSession();
  const n = 256 * MB; // 1 GB of float32
  await py.call(T, 'checksum', { tensors: { x: hostTensor(new Float32Array(4), [4]) } }); // torch imported
  const pyBefore = Number((await py.call(T, 'rss')).value.peak_rss);
  let x: Float32Array | undefined = direction === 'to' ? new Float32Array(n).fill(1) : undefined;
  const nodeBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  if (x) await py.call(T, 'checksum', { tensors: { x: hostTensor(x, [n]) } });
  else x = (await py.call(T, 'make', { args: { n } })).tensors.x.data as Float32Array;
  const secs = (performance.now() - t0) / 1000;
  const pyAfter = Number((await py.call(T, 'rss')).value.peak_rss);
  console.log(JSON.stringify({ direction, secs, nodeBefore, nodePeak: maxRss(), pyBefore, pyPeak: pyAfter, check: x[n - 1] }));
  await py.close();
}

async function main(): Promise<void> {
  const sizes = env('RECLAB_BENCH_SIZES_MB', '1,100,1024').split(',').map(Number);
  const jsonSizes = env('RECLAB_BENCH_JSON_MB', '1,10').split(',').map(Number);
  const repeats = Number(env('RECLAB_BENCH_REPEATS', '5'));
  // Peak RSS children first: a forked child starts with its parent's RSS as its own high-water mark (Linux folds
  // the copied mm's hiwater into ru_maxrss at exec), so they must be spawned before this process holds big arrays.
  const rss: unknown[] = [];
  for (const direction of ['to', 'from'] as const) {
    const r = await execa(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'bridge-transfer.ts'), `--rss-child=${direction}`], { cwd: REPO_ROOT });
    const rec = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number>;
    const gb = (b: number): string => (b / 2 ** 30).toFixed(2);
    console.log(`1 GB ${direction} Python: Node RSS before ${gb(rec.nodeBefore)} GB, peak ${gb(rec.nodePeak)} GB; Python peak before ${gb(rec.pyBefore)} GB, after ${gb(rec.pyPeak)} GB (${rec.secs.toFixed(2)} s)`);
    rss.push(rec);
  }
  const py = pythonSession();
  const rows: Record<string, unknown>[] = [];
  await py.call(T, 'checksum', { tensors: { x: hostTensor(new Float32Array(4), [4]) } });
  const load0 = loadavg()[0];
  for (const mb of sizes) {
    const n = (mb * MB) / 4;
    const reps = mb >= 1024 ? Math.min(repeats, 3) : repeats;
    const x = hostTensor(Float32Array.from({ length: n }, (_, i) => i % 7), [n]);
    const to: number[] = [];
    const from: number[] = [];
    const toCpu: number[] = [];
    const fromCpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      let c0 = process.cpuUsage();
      const s = await py.call(T, 'checksum', { tensors: { x } });
      to.push(performance.now() - t0);
      toCpu.push(cpuMs(c0) + s.pythonCpuS * 1000);
      if (r === 0 && Number(s.value.sum) !== Math.floor(n / 7) * 21 + [0, 0, 1, 3, 6, 10, 15][n % 7]) throw new Error(`checksum mismatch at ${mb} MB`);
      t0 = performance.now();
      c0 = process.cpuUsage();
      const got = await py.call(T, 'make', { args: { n, value: 2 } });
      from.push(performance.now() - t0);
      fromCpu.push(cpuMs(c0) + got.pythonCpuS * 1000);
      if (got.tensors.x.data.length !== n || got.tensors.x.data[n - 1] !== 2) throw new Error('bad transfer back');
    }
    rows.push({
      method: 'binary (shm)', mb, repeats: reps, toPyMBs: mb / (median(to) / 1000), fromPyMBs: mb / (median(from) / 1000), toMs: median(to), fromMs: median(from),
      toPyMBsPerCpuS: mb / (median(toCpu) / 1000), fromPyMBsPerCpuS: mb / (median(fromCpu) / 1000),
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  const raw = (await py.rawModule(T)) as RawTesting;
  for (const mb of jsonSizes) {
    const n = (mb * MB) / 4;
    const reps = Math.min(repeats, 3);
    const list = Array.from({ length: n }, (_, i) => i % 7);
    const to: number[] = [];
    const from: number[] = [];
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      await py.hold(() => raw.checksum_list$(list, { $timeout: Infinity }));
      to.push(performance.now() - t0);
      t0 = performance.now();
      const back = await py.hold(async () => (await raw.make_list$(n, { $timeout: Infinity })).valueOf());
      from.push(performance.now() - t0);
      if (back.length !== n) throw new Error('bad JSON transfer back');
    }
    rows.push({ method: 'pythonia JSON', mb, repeats: reps, toPyMBs: mb / (median(to) / 1000), fromPyMBs: mb / (median(from) / 1000), toMs: median(to), fromMs: median(from) });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  await py.close();
  const load1 = loadavg()[0];
  console.log(`load average (1 min) ${load0.toFixed(2)} -> ${load1.toFixed(2)}`);
  const dir = join(REPO_ROOT, 'results', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `bridge-transfer-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ rows, rss, load: [load0, load1] }, null, 2));
}

const child = process.argv.find((a) => a.startsWith('--rss-child='));
await (child ? rssChild(child.split('=')[1] as 'to' | 'from') : main());
