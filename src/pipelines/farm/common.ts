/**
 * What the farm pipelines (main, ablation, sparsity, ab) share: the compared methods as strict config pieces, the
 * quick-mode sizes, the per-task table columns (AUC, UAUC, GAUC of each task), training and scoring one method on a
 * live world (early stopping on the mean validation AUC over the tasks), the ground-truth ceiling row, and the
 * sentences the tables state. Pure helpers; the pipelines own their configs and runs.
 */
import { z } from 'zod';
import type { Dataset } from '../../data/dataset.ts';
import { getModelSpec, listModels } from '../../models/registry.ts';
import type { RecModel } from '../../models/model.ts';
import { train, type TrainerConfig } from '../../train/trainer.ts';
import { predictOutputs } from '../../train/evaluate-cvr.ts';
import { auc, gauc, uauc } from '../../metrics/index.ts';
import { Rng } from '../../random.ts';
import type { LiveWorldData } from '../../worlds/live-world.ts';
import type { MethodResult, MetricColumn, ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';

/**
 * One compared method (strict): a display label, a registered 'live' model and its config (merged over `sizes`).
 * @example
 * LiveMethod.parse({ label: 'FARM', model: 'farm', config: {} });
 */
export const LiveMethod = z.strictObject({ label: z.string().min(1), model: z.string().min(1), config: z.record(z.string(), z.unknown()) });
/** A compared method (see the schema `LiveMethod`). */
export type LiveMethod = z.infer<typeof LiveMethod>;

/** The main table's methods: the multi-task baselines, naive cross-domain and FARM; PLE is FARM's base. */
export const FARM_METHODS: LiveMethod[] = [
  { label: 'DNN', model: 'live-dnn', config: {} },
  { label: 'DIN', model: 'live-din', config: {} },
  { label: 'MMoE', model: 'live-mmoe', config: {} },
  { label: 'PLE', model: 'live-ple', config: {} },
  { label: 'Naive cross-domain', model: 'live-naive-cd', config: {} },
  { label: 'FARM', model: 'farm', config: {} },
];
/** Labels of the baselines among `FARM_METHODS` (the strongest of them is the table's base). */
export const FARM_BASELINES = ['DNN', 'DIN', 'MMoE', 'PLE', 'Naive cross-domain'];

/**
 * Model sizes of quick mode, merged under every method's config (keys a model lacks are skipped): D 8, a one-level
 * PLE / MMoE with experts [32], towers [16], shared-bottom [64, 32]. Full mode uses the models' defaults (spec sizes).
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

/** Per-task metric names in table order: `<task>_auc`, `<task>_uauc`, `<task>_gauc`. */
export function liveColumns(tasks: readonly string[]): MetricColumn[] {
  return tasks.flatMap((t) => ['auc', 'uauc', 'gauc'].map((m) => ({ name: `${t}_${m}`, higherIsBetter: true })));
}

/** A grouped AUC, or NaN when no user has both classes (rare tasks on small test sets). */
function safe(fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && /no group has both classes|both classes/.test(e.message)) return Number.NaN;
    throw e;
  }
}

/**
 * AUC, UAUC and GAUC of each task's probabilities on a dataset (NaN where a metric is undefined: one class only).
 * @example
 * liveMetrics(world.test, { click: pClick }); // { click_auc: 0.71, click_uauc: 0.62, click_gauc: 0.63 }
 */
export function liveMetrics(ds: Dataset, probs: Record<string, Float32Array>): Record<string, number> {
  const users = ds.column(ds.schema.userId ?? 'user_id');
  const out: Record<string, number> = {};
  for (const [t, p] of Object.entries(probs)) {
    const y = ds.label(t);
    const pos = y.reduce((s, v) => s + v, 0);
    out[`${t}_auc`] = pos > 0 && pos < y.length ? auc(y, p) : Number.NaN;
    out[`${t}_uauc`] = safe(() => uauc(y, p, users).value);
    out[`${t}_gauc`] = safe(() => gauc(y, p, users).value);
  }
  return out;
}

/** Mean validation AUC over the tasks that have both classes (early-stopping monitor of the live models). */
export function meanTaskAucValidator(ds: Dataset, tasks: readonly string[]): (model: RecModel) => number {
  const usable = tasks.filter((t) => {
    const s = ds.label(t).reduce((a, v) => a + v, 0);
    return s > 0 && s < ds.size;
  });
  if (!usable.length) throw new Error('farm: no task has both classes in the validation split');
  return (model) => {
    const p = predictOutputs(model, ds, usable);
    return usable.reduce((s, t) => s + auc(ds.label(t), p[t]), 0) / usable.length;
  };
}

/**
 * Trains one method on a live world (early stopping on mean validation AUC over the tasks) and returns its test
 * probabilities per task and their metrics; the model is disposed unless `keep` is set (then the caller disposes it).
 * `index` varies the initialisation between methods of one seed.
 * @example
 * const r = await fitLive({ world, method: FARM_METHODS[5], sizes: QUICK_SIZES, modelSizes: QUICK_MODEL_SIZES, trainer: QUICK_TRAINER, seed: 1, index: 5, ctx });
 */
export async function fitLive(args: {
  world: Pick<LiveWorldData, 'train' | 'valid' | 'test'>; method: LiveMethod; sizes: Record<string, unknown>; modelSizes?: Record<string, Record<string, unknown>>; trainer: Record<string, unknown>;
  seed: number; index: number; ctx: PipelineContext; stage?: string; part?: 'test' | 'valid';
}): Promise<{ metrics: Record<string, number>; probs: Record<string, Float32Array>; bestEpoch: number; seconds: number }> {
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
    const r = await args.ctx.stage(`train ${method.label} seed ${seed}${args.stage ?? ''}`, () =>
      train({
        model, loss: spec.loss(tasks[0]), train: world.train, validate: meanTaskAucValidator(world.valid, tasks),
        config: { monitor: 'auc', ...(args.trainer as Partial<TrainerConfig>), seed, label: tasks[0], progressLabel: `${method.label} seed ${seed}` },
      }),
    );
    const part = args.part ?? 'test';
    const probs = predictOutputs(model, world[part], tasks);
    return { metrics: liveMetrics(world[part], probs), probs, bestEpoch: r.bestEpoch, seconds: r.seconds };
  } finally {
    model.dispose();
  }
}

/**
 * The ground-truth ceiling as a reference row: the world's true probabilities scored with the same metrics.
 * @example
 * buildResultTable({ ..., references: [liveCeilingRow(world, tasks)] });
 */
export function liveCeilingRow(world: LiveWorldData, tasks: readonly string[]): ResultTable['references'][number] {
  const truth = Object.fromEntries(tasks.map((t) => [t, world.truth.test[t]]));
  const values = liveMetrics(world.test, truth);
  return { label: 'ground-truth ceiling', values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number.isFinite(v) ? v : null])), note: "the world's true probabilities scored on the same test rows (no model beats it in expectation)" };
}

/** Mean over the tasks (all, or `only`) of one metric kind ('auc' | 'uauc' | 'gauc') for one method's row, skipping NaN cells. */
export function meanOverTasks(t: ResultTable, method: string, kind: 'auc' | 'uauc' | 'gauc', only?: readonly string[]): number {
  const row = t.rows.find((r) => r.method === method);
  if (!row) throw new Error(`farm: no row '${method}' in table '${t.title}'`);
  const vals = Object.entries(row.cells)
    .filter(([k, c]) => k.endsWith(`_${kind}`) && Number.isFinite(c.mean) && (!only || only.includes(k.slice(0, -kind.length - 1))))
    .map(([, c]) => c.mean);
  return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : Number.NaN;
}

/**
 * The metric columns every method has a finite value for in every seed (rare tasks on small test sets can lack both
 * classes for every user: their UAUC/GAUC are undefined and the column is dropped, with a note).
 * @example
 * const { kept, dropped } = finiteColumns(liveColumns(tasks), results);
 */
export function finiteColumns(columns: MetricColumn[], results: MethodResult[]): { kept: MetricColumn[]; dropped: string[] } {
  const ok = (c: MetricColumn) => results.every((r) => (r.values[c.name] ?? []).every(Number.isFinite));
  return { kept: columns.filter(ok), dropped: columns.filter((c) => !ok(c)).map((c) => c.name) };
}

/**
 * The strongest baseline: the one with the highest mean (over seeds and tasks) test AUC.
 * @example
 * strongestBaseline(results, FARM_BASELINES, tasks); // e.g. 'PLE'
 */
export function strongestBaseline(results: MethodResult[], baselines: readonly string[], tasks: readonly string[]): string {
  let best = '';
  let bestValue = -Infinity;
  for (const r of results.filter((x) => baselines.includes(x.method))) {
    const vals = tasks.flatMap((t) => r.values[`${t}_auc`] ?? []).filter(Number.isFinite);
    const v = vals.reduce((a, b) => a + b, 0) / Math.max(vals.length, 1);
    if (v > bestValue) {
      best = r.method;
      bestValue = v;
    }
  }
  if (!best) throw new Error(`farm: none of the baselines ${baselines.join(', ')} has results`);
  return best;
}

/** Minimum test positives for a task to enter mean-AUC summaries (orderings, the base, gains). */
export const MIN_TEST_POSITIVES = 30;

/**
 * The tasks with at least `min` positives (and negatives) in a split: rare tasks on a small test split (e.g. 1 gift)
 * give AUCs that are noise, so summaries over tasks use these only; the table still shows every task.
 * @example
 * reliableTasks(world.test, tasks); // e.g. ['click', 'effective_view', 'like']
 */
export function reliableTasks(ds: Dataset, tasks: readonly string[], min = MIN_TEST_POSITIVES): string[] {
  return tasks.filter((t) => {
    const pos = ds.label(t).reduce((a, b) => a + b, 0);
    return pos >= min && ds.size - pos >= min;
  });
}

/** Test positives per task, as a sentence for the tables' notes. */
export function positivesNote(ds: Dataset, tasks: readonly string[], used: readonly string[]): string {
  const counts = tasks.map((t) => `${t} ${ds.label(t).reduce((a, b) => a + b, 0)}`).join(', ');
  return `Test positives per task: ${counts} (of ${ds.size} rows). Mean-AUC summaries use the tasks with at least ${MIN_TEST_POSITIVES} positives: ${used.join(', ') || 'none'}; the others' AUCs are shown but are mostly noise at this size.`;
}

/** Per-seed rows of one method, as MethodResult; `push` adds a seed's metrics. */
export function emptyResult(method: string, seeds: number[]): MethodResult {
  return { method, seeds: [...seeds], values: {} };
}
/** Appends one seed's metrics to a MethodResult. */
export function pushMetrics(r: MethodResult, metrics: Record<string, number>): void {
  for (const [k, v] of Object.entries(metrics)) (r.values[k] ??= []).push(v);
}
