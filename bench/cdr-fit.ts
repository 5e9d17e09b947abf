/**
 * Benchmark: cross-domain training epochs (src/pipelines/unicdr/fit.ts `fitCdr`) with eager vs compiled steps, on
 * unicdr/main's evidence world of dual-user-intra (3 000 users, 1 500 items per domain; dim 128, batch 1 024 split
 * across the domains, 10 negatives, training context 10, Adam 1e-3), for UniCDR, UniCDR+ (all five extensions) and
 * BPR-MF. RECLAB_BENCH_REPEATS (default 2) pairs of arms per model in alternating order; each arm fits a fresh model
 * (same seed) for RECLAB_BENCH_EPOCHS epochs (default 2, each with its validation pass, which runs eagerly in both
 * arms) and is timed whole, traces included. Reported: seconds per epoch medians, the median of the per-pair ratios
 * eager / compiled, the compiler's counts, the worst difference in validation NDCG@10 per epoch (agrees below 1e-4), and the 1-minute
 * load average before each arm (UNRELIABLE above the core count + 0.5).
 * Run: `npm run bench:cdr`, or `node --import tsx bench/cdr-fit.ts`.
 * Env: RECLAB_BENCH_REPEATS (2), RECLAB_BENCH_EPOCHS (2), RECLAB_BENCH_MODELS (unicdr,unicdr+,bpr-mf).
 */
import { cpus, loadavg } from 'node:os';
import { Rng } from '../src/random.ts';
import { generateMultiDomainWorld } from '../src/worlds/multi-domain-world.ts';
import { createCdrModel, prepareCdr } from '../src/models/cdr/index.ts';
import { UNICDR_PLUS_EXTENSIONS } from '../src/models/cdr/unicdr.ts';
import { cdrWorld, unicdrMainDefaults } from '../src/pipelines/unicdr/main.ts';
import { fitCdr, type CdrFitResult } from '../src/pipelines/unicdr/fit.ts';
import { median } from './profile-util.ts';

const repeats = Number.parseInt(process.env.RECLAB_BENCH_REPEATS || '2', 10);
const epochs = Number.parseInt(process.env.RECLAB_BENCH_EPOCHS || '2', 10);
if (!(repeats >= 1 && epochs >= 1)) throw new Error('RECLAB_BENCH_REPEATS and RECLAB_BENCH_EPOCHS must be positive integers');
const models = (process.env.RECLAB_BENCH_MODELS || 'unicdr,unicdr+,bpr-mf').split(',');
process.env.RECLAB_PROGRESS ??= '0';
const data = generateMultiDomainWorld({ ...cdrWorld('evidence', 'dual-user-intra'), seed: 1 });
const prep = prepareCdr(data, { maxLen: 10, testMaxLen: 50 });
const trainer = { ...unicdrMainDefaults('evidence').settings.trainer, epochs, patience: null };

async function arm(name: string, compile: boolean): Promise<{ seconds: number; fit: CdrFitResult }> {
  process.env.RECLAB_COMPILE = compile ? '1' : '0';
  const plus = name === 'unicdr+';
  const extensions = Object.fromEntries(UNICDR_PLUS_EXTENSIONS.map((e) => [e, plus])) as Record<(typeof UNICDR_PLUS_EXTENSIONS)[number], boolean>;
  const model = createCdrModel(plus ? 'unicdr' : (name as 'unicdr' | 'bpr-mf'), new Rng(1), prep, name === 'bpr-mf' ? { dim: 128 } : { dim: 128, extensions });
  const t0 = performance.now();
  const fit = await fitCdr(model, prep, trainer, 1, `${name} ${compile ? 'compiled' : 'eager'}`);
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return { seconds, fit };
}

for (const name of models) {
  const eager: number[] = [];
  const compiled: number[] = [];
  const ratios: number[] = [];
  const loads: number[] = [];
  let worst = 0;
  let counts = '';
  for (let p = 0; p < repeats; p++) {
    const order = p % 2 === 0 ? [false, true] : [true, false];
    const res: Record<string, { seconds: number; fit: CdrFitResult }> = {};
    for (const c of order) {
      loads.push(loadavg()[0]);
      res[String(c)] = await arm(name, c);
    }
    const [e, c] = [res.false, res.true];
    eager.push(e.seconds / epochs);
    compiled.push(c.seconds / epochs);
    ratios.push(e.seconds / c.seconds);
    e.fit.validNdcg.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.fit.validNdcg[i]))));
    const s = c.fit.compiledSteps;
    counts = s ? `compiled ${s.compiled} / eager ${s.eager}${s.fallbackReason ? `, FELL BACK: ${s.fallbackReason}` : ''}` : '';
  }
  const busy = loads.some((l) => l > cpus().length + 0.5);
  console.log(`${name}: eager ${median(eager).toFixed(1)} s/epoch, compiled ${median(compiled).toFixed(1)} s/epoch -> ${median(ratios).toFixed(2)}x (pairs ${ratios.map((r) => r.toFixed(2)).join(' / ')}); steps ${counts}; validation NDCG@10 ${worst < 1e-4 ? 'agrees' : 'DIFFERS'} (worst difference ${worst.toExponential(1)}); load ${loads.map((l) => l.toFixed(1)).join(' ')}${busy ? ' UNRELIABLE: the machine was busy' : ''}`);
}
