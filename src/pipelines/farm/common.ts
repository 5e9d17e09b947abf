/**
 * What the farm pipelines (main, ablation, sparsity, ab, kuairand) share: the compared methods as strict config pieces,
 * the paper's fixed base (PLE), the quick- and evidence-mode sizes, and training and scoring one method on a live world
 * (early stopping on the mean validation AUC over the tasks with enough validation positives; per-task test evidence
 * through ./live-evidence.ts). Pure helpers; the pipelines own their configs and runs.
 */
import { z } from 'zod';
import type { Dataset } from '../../data/dataset.ts';
import { getModelSpec, listModels } from '../../models/registry.ts';
import type { RecModel } from '../../models/model.ts';
import { resolveTrainerConfig, train, type TrainerConfig } from '../../train/trainer.ts';
import { predictOutputs } from '../../train/evaluate-cvr.ts';
import { Rng } from '../../random.ts';
import type { LiveWorldData } from '../../worlds/live-world.ts';
import type { PipelineContext } from '../pipeline.ts';
import { SUMMARY_METRIC, meanAucEvidence, meanAucValidator, taskEvidence, type LiveFit, type TaskEvidence } from './live-evidence.ts';

/**
 * One compared method (strict): a display label, a registered 'live' model and its config (merged over `sizes`).
 * @example
 * LiveMethod.parse({ label: 'FARM', model: 'farm', config: {} });
 */
export const LiveMethod = z.strictObject({ label: z.string().min(1), model: z.string().min(1), config: z.record(z.string(), z.unknown()) });
/** A compared method (see the schema `LiveMethod`). */
export type LiveMethod = z.infer<typeof LiveMethod>;

/**
 * The main table's methods: the single-domain multi-task baselines (live columns only: no `hist_sv_*` input), two
 * labelled cross-domain baselines (naive concatenation; PLE with the short-video history pooled into its context)
 * and FARM; PLE is FARM's base (`FARM_BASE`).
 */
export const FARM_METHODS: LiveMethod[] = [
  { label: 'DNN', model: 'live-dnn', config: {} },
  { label: 'DIN', model: 'live-din', config: {} },
  { label: 'MMoE', model: 'live-mmoe', config: {} },
  { label: 'PLE', model: 'live-ple', config: {} },
  { label: 'Naive cross-domain', model: 'live-naive-cd', config: {} },
  { label: 'PLE + short-video context (cross-domain)', model: 'live-ple', config: { svContext: true } },
  { label: 'FARM', model: 'farm', config: {} },
];
/**
 * FARM's base, fixed in advance and never chosen from results: PLE, the production base the paper builds on and its
 * multi-task predictor (farm.md §3.5 and §5, "Confirmed: PLE (production base)").
 */
export const FARM_BASE = 'PLE';

/**
 * Model sizes of quick and evidence mode, merged under every method's config (keys a model lacks are skipped): D 8, a
 * one-level PLE / MMoE with experts [32], towers [16], shared-bottom [64, 32]. Paper mode uses `PAPER_SIZES`.
 * @example
 * getModelSpec('farm').create(rng, schema, { ...QUICK_SIZES });
 */
export const QUICK_SIZES = { embeddingDim: 8, ple: { levels: 1, expertHidden: [32], tower: [16] }, attentionHidden: [16] };
/** Per-model extra quick sizes, by registered model name (keys only some models have). */
export const QUICK_MODEL_SIZES: Record<string, Record<string, unknown>> = {
  'live-dnn': { bottom: [64, 32], tower: [16] },
  'live-din': { bottom: [64, 32], tower: [16] },
  'live-mmoe': { mmoe: { experts: 3, expertHidden: [32], tower: [16] } },
};
/** Trainer settings of quick mode: at most 3 epochs of Adam 1e-2, batch 512, patience 1. */
export const QUICK_TRAINER = { epochs: 3, batchSize: 512, optimizer: { learningRate: 1e-2 }, patience: 1 };
/**
 * Paper-mode sizes: the spec's Proposals (farm.md §3.1 and §3.5: d = 64; PLE 2 levels, 2 shared + 1 task expert,
 * experts [256, 128], towers [64] — the PLE defaults), merged under every method's config.
 */
export const PAPER_SIZES = { embeddingDim: 64 };
/** Paper-mode trainer (farm.md §3.5 Proposal): Adam 1e-3, batch 1024, early stopping with patience 2, at most 20 epochs. */
export const PAPER_TRAINER = { epochs: 20, batchSize: 1024, optimizer: { learningRate: 1e-3 }, patience: 2 };

/**
 * Trains one method on a live world (early stopping on the mean validation AUC over `monitor`, the tasks with enough
 * validation positives) and returns its test evidence per task, its probabilities and what early stopping chose; the
 * model is disposed. `index` varies the initialisation between methods of one seed. `data.test` is the scored split
 * (pass it through `ctx.holdout`).
 * @example
 * const r = await fitLive({ world: { train, valid, test: ctx.holdout(world.test) }, method: FARM_METHODS[5], sizes: QUICK_SIZES, modelSizes: QUICK_MODEL_SIZES, trainer: QUICK_TRAINER, monitor: ['click'], seed: 1, index: 5, ctx });
 */
export async function fitLive(args: {
  world: Pick<LiveWorldData, 'train' | 'valid' | 'test'>; method: LiveMethod; sizes: Record<string, unknown>; modelSizes?: Record<string, Record<string, unknown>>; trainer: Record<string, unknown>;
  /** Tasks of the early-stopping monitor (the reliable ones on validation, `summaryTasks(valid, ...)`). */
  monitor: readonly string[];
  seed: number; index: number; ctx: PipelineContext; stage?: string;
}): Promise<LiveFit & { probs: Record<string, Float32Array> }> {
  const { world, method, seed } = args;
  const spec = getModelSpec(method.model);
  if (spec.task !== 'live') throw new Error(`model '${method.model}' is a '${spec.task}' model, not a live-streaming multi-task model`);
  const cfg = { ...args.sizes, ...(args.modelSizes?.[method.model] ?? {}), ...method.config };
  // Shared sizes a model lacks (e.g. `ple` for FARM's siblings without a PLE head) are skipped; a key no live model
  // knows is a misspelling and an error.
  const anyLive = new Set(listModels().filter((m) => m.task === 'live').flatMap((m) => Object.keys(m.defaults)));
  for (const k of Object.keys(args.sizes)) if (!anyLive.has(k)) throw new Error(`farm: sizes key '${k}' is not a config key of any live model (known: ${[...anyLive].join(', ')})`);
  const keys = Object.keys(spec.defaults);
  for (const k of Object.keys(cfg)) if (!keys.includes(k)) delete (cfg as Record<string, unknown>)[k];
  const model = spec.create(new Rng(seed * 7919 + args.index), world.train.schema, cfg) as RecModel & { tasks: string[] };
  try {
    const tasks = model.tasks;
    const monitor = args.monitor.filter((t) => tasks.includes(t));
    if (!monitor.length) throw new Error(`farm: none of the monitor tasks (${args.monitor.join(', ')}) is a task of '${method.label}' (${tasks.join(', ')})`);
    const trainer: Partial<TrainerConfig> = { monitor: 'auc', ...(args.trainer as Partial<TrainerConfig>), seed, label: tasks[0], progressLabel: `${method.label} seed ${seed}` };
    const r = await args.ctx.stage(`train ${method.label} seed ${seed}${args.stage ?? ''}`, () =>
      train({ model, loss: spec.loss(tasks[0]), train: world.train, validate: meanAucValidator(world.valid, monitor, (ds) => predictOutputs(model, ds, monitor)), config: trainer }),
    );
    const probs = predictOutputs(model, world.test, tasks);
    const epochsAllowed = resolveTrainerConfig(trainer).epochs;
    return { evidence: taskEvidence(world.test, probs), probs, bestEpoch: r.bestEpoch, epochsAllowed, validBest: r.history[r.bestEpoch]?.valid ?? Number.NaN, seconds: r.seconds };
  } finally {
    model.dispose();
  }
}

/**
 * The ground-truth evidence: the world's true probabilities scored like a model on the test rows (a reference row).
 * @example
 * liveComparisonTable({ ..., ceiling: liveCeiling(world, test, tasks) });
 */
export function liveCeiling(world: LiveWorldData, test: Dataset, tasks: readonly string[]): Record<string, TaskEvidence> {
  return taskEvidence(test, Object.fromEntries(tasks.map((t) => [t, world.truth.test[t]])));
}

/**
 * Log line of one fit: test AUC per task, the headline summary and the best epoch.
 * @example
 * ctx.log(fitLine('FARM', 1, fit, summary.tasks));
 */
export function fitLine(label: string, seed: number, f: LiveFit, summaryTasks: readonly string[]): string {
  const aucs = Object.entries(f.evidence).map(([t, e]) => `${t} ${e.auc ? e.auc.value.toFixed(4) : 'n/a'}`).join(', ');
  const m = meanAucEvidence(f.evidence, summaryTasks);
  return `${label} seed ${seed}: ${SUMMARY_METRIC} ${m.value.toFixed(4)} (SE ${m.se.toFixed(4)}); AUC ${aucs} (best epoch ${f.bestEpoch + 1} of ${f.epochsAllowed}, ${f.seconds.toFixed(1)} s)`;
}
