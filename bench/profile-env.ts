/**
 * Effect of TensorFlow's runtime settings (environment variables read once, when libtensorflow loads) on a DIN
 * training step of src/ as it is (src DIN + src Adam, batch 1024, the trainer's step body): the intra-op / inter-op
 * pool sizes (src/pools.ts: intra-op 1, inter-op one per core in a lone process; TensorFlow's own default is one
 * thread per core for both) and oneDNN
 * (TF_ENABLE_ONEDNN_OPTS). Each setting runs in its own child process; the settings rotate over several rounds, and
 * the table shows per setting the median over processes of the per-process median ms per step, the median ratio to
 * src's default in the same round, and CPU-seconds per wall-second (how many cores the step kept busy).
 * Run: node --import tsx bench/profile-env.ts [rounds]   (default 3)
 * Child mode (internal): node --import tsx bench/profile-env.ts --child
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** (Local, so that the parent imports nothing that loads TensorFlow.) */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const CORES = String(cpus().length);
const SETTINGS: Record<string, Record<string, string>> = {
  [`src default (intra 1, inter ${CORES})`]: {},
  [`TF default (intra ${CORES}, inter ${CORES})`]: { TF_NUM_INTRAOP_THREADS: CORES, TF_NUM_INTEROP_THREADS: CORES },
  [`intra ${CORES}, inter 1`]: { TF_NUM_INTRAOP_THREADS: CORES, TF_NUM_INTEROP_THREADS: '1' },
  'intra 1, inter 1 (a fit worker beside another)': { TF_NUM_INTEROP_THREADS: '1' },
  [`oneDNN off (intra 1, inter ${CORES})`]: { TF_ENABLE_ONEDNN_OPTS: '0' },
};

interface ChildResult {
  ms: number;
  cpuPerWall: number;
  threads: { intraOp: string; interOp: string } | null;
}

async function child(): Promise<void> {
  const { tf, backendInfo } = await import('../src/tf.ts');
  const { getModelSpec } = await import('../src/models/registry.ts');
  const { toTensors } = await import('../src/data/batching.ts');
  const { Optimizer } = await import('../src/train/optimizers.ts');
  const { Rng } = await import('../src/random.ts');
  const { fixture, interleaved } = await import('./profile-util.ts');
  type Tensor = import('@tensorflow/tfjs').Tensor;
  const fx = fixture(12);
  const spec = getModelSpec('din');
  const loss = spec.loss('click');
  const model = spec.create(new Rng(1), fx.schema, {});
  const vars = model.trainableVariables();
  const opt = new Optimizer(vars, {});
  const list = [...vars.values()];
  const by = new Map([...vars].map(([k, v]) => [v.name, k]));
  let i = 0;
  const step = () => tf.tidy(() => {
    const batch = toTensors(fx.train, fx.hostBatches[i++ % fx.hostBatches.length]);
    const { grads } = tf.variableGrads(() => loss(model.apply(batch, { training: true }), batch), list);
    opt.apply(new Map<string, Tensor>(Object.entries(grads).map(([k, g]) => [by.get(k) ?? k, g])));
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const [r] = interleaved({ step }, 30);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const out: ChildResult = { ms: r.medianMs, cpuPerWall: (cpu.user + cpu.system) / 1000 / wall, threads: backendInfo().threads ?? null };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const names = Object.keys(SETTINGS);
  // The children see only the setting's variables, never TF_* / oneDNN variables of this shell.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^TF_NUM_(INTRA|INTER)OP_THREADS$|^TF_ENABLE_ONEDNN_OPTS$/.test(k)));
  const res: Record<string, ChildResult[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(j + r) % names.length];
      const out = await execa(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], { env: { ...base, ...SETTINGS[name] }, extendEnv: false, stderr: 'inherit' });
      (res[name] ??= [])[r] = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
    }
  }
  console.log(`\nms per DIN training step of src/, batch 1024 (median over ${rounds} processes of per-process medians; ratio: median per-round ratio to src's default)`);
  const ref = res[names[0]];
  for (const name of names) {
    const xs = res[name];
    const t = xs[0].threads;
    console.log(`  ${name.padEnd(32)} ${median(xs.map((x) => x.ms)).toFixed(1).padStart(6)} ms   x${median(xs.map((x, i) => x.ms / ref[i].ms)).toFixed(3)}   CPU-s/s ${median(xs.map((x) => x.cpuPerWall)).toFixed(2)}   (pools as loaded: ${t ? `intra ${t.intraOp}, inter ${t.interOp}` : '?'})`);
  }
}

if (process.argv[2] === '--child') await child();
else await main();
