/**
 * Benchmark: Ali-CCP ingestion in bounded memory (src/data/ali-ccp.ts), on synthetic files in the real layouts.
 *
 * Generates (once, cached under .reclab/bench/ali-ccp/, git-ignored) processed-layout files of 1M, 3M and 10M rows
 * (torch-rechub header, 23 ids drawn with skew from vocabularies of the real order of size, 8 dense values in [0, 1],
 * CTR 4%, conversion after a click 0.53%) and, with RECLAB_BENCH_ORIGINAL=1, original-layout files (sample_skeleton of the
 * same row counts + one common_features file of 730,000 rows, the full train table's size, each with 9 single and 4
 * multi-valued user fields). Then, per file and repeat, three fresh child processes (so peak RSS is each run's own):
 *   - lines: the reference, raw `fs.createReadStream` chunks split into lines with `Buffer.indexOf` (no parsing);
 *   - vocab: pass 1, `buildAliCcpVocab` (counts every id, no cache);
 *   - chunks: pass 2 alone, `streamAliCcp` with the pass-1 vocabulary into Datasets of `chunkRows` rows;
 *   - stream: pass 2 as training consumes it: each chunk cut into shuffled host batches of 1024 rows by `batches`
 *     (the trainer's gather; tensors are not built).
 * Reported: rows/s (medians over repeats), the ratio to the line-read reference of the same file in the same round,
 * rows per CPU-second (user + system; steadier than wall time on a shared machine), and peak RSS
 * (process.resourceUsage().maxRSS) plus the RSS right after imports. The issue's bound: peak < 4 GB.
 *
 * Run: `npm run bench:ali-ccp`. Env: RECLAB_BENCH_ROWS (1000000,3000000,10000000), RECLAB_BENCH_REPEATS (3),
 * RECLAB_BENCH_ORIGINAL=1 adds the original layout (or RECLAB_BENCH_LAYOUTS=original / processed,original),
 * RECLAB_BENCH_CHUNK (262144 rows per chunk).
 * Results also go to results/bench/ali-ccp-<timestamp>.json.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ALI_CCP_DENSE_FIELDS, ALI_CCP_SPARSE_FIELDS, type AliCcpSource, buildAliCcpVocab, loadAliCcpVocab, streamAliCcp } from '../src/data/ali-ccp.ts';
import { Rng } from '../src/random.ts';

const DIR = '.reclab/bench/ali-ccp';
/** Vocabulary sizes of the order of the real ones (processed ids 1..V; 0 = rare or missing upstream). */
const VOCAB: Record<string, number> = { '101': 238_635, '121': 98, '122': 14, '124': 3, '125': 8, '126': 4, '127': 4, '128': 3, '129': 5, '205': 467_298, '206': 6_929, '207': 263_942, '210': 96_000, '216': 106_399, '508': 5_888, '509': 104_830, '702': 51_878, '853': 37_148, '301': 4, '109_14': 9_000, '110_14': 120_000, '127_14': 90_000, '150_14': 80_000 };
const USER = ['101', '121', '122', '124', '125', '126', '127', '128', '129'];
const USER_LISTS = ['109_14', '110_14', '127_14', '150_14'];
const ITEM = ['205', '206', '207', '210', '216', '508', '509', '702', '853', '301'];
const COMMON_ROWS = 730_000;

interface RunResult {
  rows: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  baseRssMb: number;
}

/** A skewed id in [1, V]: frequent small ids, a long tail. */
const skewed = (rng: Rng, field: string) => 1 + Math.floor(VOCAB[field] * rng.uniform() ** 3);
const labels = (rng: Rng): [number, number] => {
  const click = rng.bernoulli(0.04) ? 1 : 0;
  return [click, click && rng.bernoulli(0.0053) ? 1 : 0];
};

/** Writes a file block by block through a .tmp name, so an interrupted run leaves no half file behind. */
function writeFile(path: string, lines: number, line: (i: number) => string): void {
  const fd = openSync(`${path}.tmp`, 'w');
  for (let start = 0; start < lines; start += 20_000) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(lines, start + 20_000); i++) parts.push(line(i));
    writeSync(fd, parts.join(''));
  }
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
}

function processedFile(rows: number): string {
  const path = join(DIR, `processed-${rows}.csv`);
  if (existsSync(path)) return path;
  const rng = new Rng(rows);
  const header = ['click', 'purchase', ...ALI_CCP_SPARSE_FIELDS, ...ALI_CCP_DENSE_FIELDS.map((f) => `D${f}`)].join(',');
  console.log(`generating ${path}`);
  writeFile(path, rows + 1, (i) => {
    if (i === 0) return `${header}\n`;
    const [click, conversion] = labels(rng);
    const ids = ALI_CCP_SPARSE_FIELDS.map((f) => (rng.bernoulli(0.02) ? 0 : skewed(rng, f)));
    const dense = ALI_CCP_DENSE_FIELDS.map(() => rng.uniform().toFixed(6));
    return `${click},${conversion},${ids.join(',')},${dense.join(',')}\n`;
  });
  return path;
}

const key = (i: number) => (0x1000000000 + i * 7919).toString(16).padStart(16, 'a');
const entry = (f: string, id: number, v: string) => `${f}\x02${id}\x03${v}`;
function originalFiles(rows: number): { skeleton: string; common: string } {
  const common = join(DIR, `common_features-${COMMON_ROWS}.csv`);
  const skeleton = join(DIR, `sample_skeleton-${rows}.csv`);
  if (!existsSync(common)) {
    console.log(`generating ${common}`);
    const rng = new Rng(7);
    writeFile(common, COMMON_ROWS, (i) => {
      const es = USER.map((f) => entry(f, 1_000_000 + skewed(rng, f), '1.0'));
      for (const f of USER_LISTS) for (let k = 1 + rng.int(15); k > 0; k--) es.push(entry(f, 2_000_000 + skewed(rng, f), (rng.uniform() * 5).toFixed(5)));
      return `${key(i)},${es.length},${es.join('\x01')}\n`;
    });
  }
  if (!existsSync(skeleton)) {
    console.log(`generating ${skeleton}`);
    const rng = new Rng(rows + 1);
    writeFile(skeleton, rows, (i) => {
      const [click, conversion] = labels(rng);
      const es: string[] = [];
      for (const f of ITEM) for (let k = f === '210' ? 1 + rng.int(3) : 1; k > 0; k--) es.push(entry(f, 3_000_000 + skewed(rng, f), (rng.uniform() * 5).toFixed(5)));
      return `${i + 1},${click},${conversion},${key(rng.int(COMMON_ROWS))},${es.length},${es.join('\x01')}\n`;
    });
  }
  return { skeleton, common };
}

// ---- child: one measured run -------------------------------------------------------------------------------------
async function child(mode: string, sourceJson: string, vocabPath: string, chunkRows: number): Promise<RunResult> {
  const source = JSON.parse(sourceJson) as AliCcpSource;
  const { batches } = await import('../src/data/batching.ts'); // loads TensorFlow.js, as training does
  const baseRssMb = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  if (mode === 'lines') {
    const file = typeof source === 'string' ? source : source.skeleton;
    for await (const buf of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let s = buf.indexOf(10); s >= 0; s = buf.indexOf(10, s + 1)) rows++;
    }
  } else if (mode === 'vocab') {
    const v = await buildAliCcpVocab(source, { cache: false, dropInconsistent: true });
    rows = v.rows;
    writeFileSync(vocabPath, JSON.stringify(v)); // the cache a real pass 1 writes; the chunks / stream runs read it
  } else if (mode === 'chunks') {
    for await (const chunk of streamAliCcp(source, { vocab: loadAliCcpVocab(vocabPath), chunkRows, dropInconsistent: true })) rows += chunk.size;
  } else {
    const vocab = loadAliCcpVocab(vocabPath);
    let epochSeed = 0;
    for await (const chunk of streamAliCcp(source, { vocab, chunkRows, dropInconsistent: true })) {
      for (const b of batches(chunk, { batchSize: 1024, seed: epochSeed++ })) rows += b.size;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { rows, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, baseRssMb };
}

async function run(mode: string, source: AliCcpSource, vocabPath: string, chunkRows: number): Promise<RunResult> {
  const me = fileURLToPath(import.meta.url);
  const r = await execa(process.execPath, ['--import', 'tsx', me, '--child', mode, JSON.stringify(source), vocabPath, String(chunkRows)], { stderr: 'inherit' });
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as RunResult;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    console.log(JSON.stringify(await child(argv[1], argv[2], argv[3], Number(argv[4]))));
    return;
  }
  const sizes = (process.env.RECLAB_BENCH_ROWS ?? '1000000,3000000,10000000').split(',').map(Number);
  const repeats = Number(process.env.RECLAB_BENCH_REPEATS ?? 3);
  const chunkRows = Number(process.env.RECLAB_BENCH_CHUNK ?? 262_144);
  const layouts = (process.env.RECLAB_BENCH_LAYOUTS ?? (process.env.RECLAB_BENCH_ORIGINAL === '1' ? 'processed,original' : 'processed')).split(',');
  const unknown = layouts.filter((l) => l !== 'processed' && l !== 'original');
  if (unknown.length > 0) throw new Error(`RECLAB_BENCH_LAYOUTS: unknown layout(s) ${unknown.join(', ')} (processed, original)`);
  mkdirSync(DIR, { recursive: true });
  console.log(`ali-ccp ingest: sizes ${sizes.join(', ')}, ${repeats} repeats, chunkRows ${chunkRows}; ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const out: Array<Record<string, unknown>> = [];
  const modes = ['lines', 'vocab', 'chunks', 'stream'];
  const table: string[][] = [['layout', 'rows', ...modes.map((m) => `${m} rows/s`), ...modes.slice(1).map((m) => `${m}/lines`), ...modes.map((m) => `${m} rows/cpu-s`), 'RSS after imports MB', ...modes.slice(1).map((m) => `peak RSS ${m} MB`)]];
  for (const layout of layouts) {
    for (const n of sizes) {
      const source: AliCcpSource = layout === 'processed' ? processedFile(n) : originalFiles(n);
      const vocabPath = join(DIR, `vocab-${layout}-${n}.json`);
      const rounds: Array<Record<string, RunResult>> = [];
      for (let r = 0; r < repeats; r++) {
        const round: Record<string, RunResult> = {};
        for (const mode of modes) round[mode] = await run(mode, source, vocabPath, chunkRows);
        rounds.push(round);
        console.log(`${layout} ${n} round ${r + 1}: ${Object.entries(round).map(([m, x]) => `${m} ${fmt(x.rows / x.seconds)} rows/s, ${fmt(x.seconds, 1)} s, peak ${fmt(x.maxRssMb)} MB`).join('; ')}`);
      }
      const rate = (m: string) => rounds.map((x) => x[m].rows / x[m].seconds);
      const ratio = (m: string) => median(rounds.map((x) => x[m].rows / x[m].seconds / (x.lines.rows / x.lines.seconds)));
      const perCpu = (m: string) => median(rounds.map((x) => x[m].rows / x[m].cpuSeconds));
      const rss = (m: string) => fmt(median(rounds.map((x) => x[m].maxRssMb)));
      table.push([
        layout,
        fmt(n),
        ...modes.map((m) => fmt(median(rate(m)))),
        ...modes.slice(1).map((m) => fmt(ratio(m), 3)),
        ...modes.map((m) => fmt(perCpu(m))),
        fmt(median(rounds.map((x) => x.stream.baseRssMb))),
        ...modes.slice(1).map(rss),
      ]);
      out.push({ layout, rows: n, rounds });
    }
  }
  const widths = table[0].map((_, j) => Math.max(...table.map((r) => r[j].length)));
  for (const r of table) console.log(r.map((c, j) => c.padStart(widths[j])).join('  '));
  mkdirSync('results/bench', { recursive: true });
  const file = join('results/bench', `ali-ccp-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ sizes, repeats, chunkRows, cores: cpus().length, results: out }, null, 1));
  console.log(`results: ${file}`);
}

await main();
