/**
 * Selection study, not a speed benchmark: chooses the learning rate of the FARM pipelines' evidence trainer
 * (`EVIDENCE_TRAINER` in src/pipelines/farm/main.ts, shared by farm/main, ablation, sparsity and mechanism) on
 * VALIDATION, never test (issue 14: lr and epochs chosen for convergence).
 * For each learning rate and seed: PLE (the base) and FARM trained on farm/main's evidence world with the evidence
 * trainer at that rate (Adam, batch 1024, up to 15 epochs, early stopping with patience 2 on the mean validation AUC
 * over the reliable tasks), and the best validation value of that monitor. Prints one line per fit and the mean per
 * rate over both methods and the seeds; the rate with the highest mean is the choice. Test AUC is printed after the
 * choice, for the record only. `--world mechanism` uses farm/mechanism's evidence world instead (20 000 users with
 * 100 impressions each and 50-step histories), at `--burst` (default: its declared default burstStrength).
 * Usage: node --import tsx bench/select-live-lr.ts [--rates 0.003,0.001] [--seeds 1,2] [--world main|mechanism] [--burst B]
 */
import { generateLiveWorld } from '../src/worlds/live-world.ts';
import { EVIDENCE_DEFAULTS } from '../src/evidence/rules.ts';
import { FARM_BASE, FARM_METHODS, fitLive } from '../src/pipelines/farm/common.ts';
import { EVIDENCE_TRAINER, farmMainDefaults } from '../src/pipelines/farm/main.ts';
import { FARM_MECHANISM_EVIDENCE_WORLD, FARM_MECHANISM_SPEC } from '../src/pipelines/farm/mechanism.ts';
import { SUMMARY_METRIC, summaryTasks } from '../src/pipelines/farm/live-evidence.ts';
import type { PipelineContext } from '../src/pipelines/pipeline.ts';
import { choiceArg, listArg } from './args.ts';

const rates = listArg('rates', [3e-3, 1e-3]);
const seeds = listArg('seeds', [1, 2]);
const which = choiceArg('world', ['main', 'mechanism'] as const);
const [burst] = listArg('burst', [which === 'main' ? 0 : FARM_MECHANISM_SPEC.defaultValue]);
process.env.RECLAB_PROGRESS ??= '0';
const main = farmMainDefaults('evidence');
const world = generateLiveWorld({ ...(which === 'main' ? main.world : FARM_MECHANISM_EVIDENCE_WORLD), burstStrength: burst });
const tasks = world.train.schema.labels;
const monitor = summaryTasks(world.valid, tasks, EVIDENCE_DEFAULTS.minPositives, 'valid');
const summary = summaryTasks(world.test, tasks, EVIDENCE_DEFAULTS.minPositives, 'test');
console.log(`farm/${which} evidence world (burstStrength ${burst}): ${world.train.size} train / ${world.valid.size} valid live rows; monitor tasks ${monitor.tasks.join(', ')}`);
// fitLive only times stages and logs through the context.
const ctx = { stage: async <T>(_name: string, f: () => T | Promise<T>) => f(), log: () => {} } as unknown as PipelineContext;
const methods = FARM_METHODS.filter((m) => m.label === FARM_BASE || m.label === 'FARM');
const fits: Array<{ rate: number; method: string; seed: number; valid: number; test: number }> = [];
for (const rate of rates) {
  for (const seed of seeds) {
    for (const method of methods) {
      const trainer = { ...EVIDENCE_TRAINER, optimizer: { ...EVIDENCE_TRAINER.optimizer, learningRate: rate } };
      const f = await fitLive({ world: { train: world.train, valid: world.valid, test: world.test }, method, sizes: main.sizes, modelSizes: main.modelSizes, trainer, monitor: monitor.tasks, seed, index: FARM_METHODS.indexOf(method), ctx });
      const test = summary.tasks.reduce((s, t) => s + (f.evidence[t].auc?.value ?? Number.NaN), 0) / summary.tasks.length;
      fits.push({ rate, method: method.label, seed, valid: f.validBest, test });
      console.log(`lr ${rate} ${method.label} seed ${seed}: best validation ${f.validBest.toFixed(4)} at epoch ${f.bestEpoch + 1} of ${f.epochsAllowed}; ${f.seconds.toFixed(0)} s`);
    }
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = rates.map((rate) => ({ rate, valid: mean(fits.filter((f) => f.rate === rate).map((f) => f.valid)) }));
for (const r of rows) console.log(`lr ${r.rate}: mean best validation ${r.valid.toFixed(4)} (PLE and FARM, ${seeds.length} seeds)`);
const chosen = rows.reduce((a, b) => (b.valid > a.valid ? b : a));
console.log(`chosen on validation: lr ${chosen.rate}`);
console.log(`for the record only (not used to choose), test ${SUMMARY_METRIC}: ${rates.map((rate) => `${rate}: ${mean(fits.filter((f) => f.rate === rate).map((f) => f.test)).toFixed(4)}`).join(', ')}`);
