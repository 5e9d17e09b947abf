/**
 * Shared parts of the Moment&Cross pipelines: the method config, one fit (train on impressions or on the real-time
 * sample stream, early stopping on the validation mean AUC over tasks, per-task AUC / UAUC / GAUC on the test
 * impressions), the ground-truth ceiling rows and the per-metric tables.
 */
import { z } from 'zod';
import type { Dataset } from '../../data/dataset.ts';
import { auc, gauc, uauc } from '../../metrics/index.ts';
import { getModelSpec } from '../../models/registry.ts';
import { momentCrossLoss, type MomentCross } from '../../models/moment-cross.ts';
import { tf } from '../../tf.ts';
import { batchOf, toTensors } from '../../data/batching.ts';
import type { RecModel } from '../../models/model.ts';
import { train } from '../../train/trainer.ts';
import { Rng } from '../../random.ts';
import type { LiveWorldData } from '../../worlds/live-world.ts';
import { buildResultTable, type MethodResult, type ReferenceRow, type ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';
import { buildSampleStream } from './sample-stream.ts';

/**
 * A compared method: a registered live model with a config; `data` = 'impressions' (one row per impression, final
 * labels, as the daily-batch baselines) or the real-time sample stream with ('stream') or without ('stream-no-mask')
 * the first-only label mask.
 */
export const LiveMethod = z.strictObject({
  label: z.string(),
  model: z.string(),
  config: z.record(z.string(), z.unknown()),
  data: z.enum(['impressions', 'stream', 'stream-no-mask']),
});
/** See `LiveMethod`. */
export type LiveMethod = z.infer<typeof LiveMethod>;

/** The three grouped metrics of the tables, one table each. */
export const LIVE_METRICS = ['auc', 'uauc', 'gauc'] as const;
/** One of `LIVE_METRICS`. */
export type LiveMetric = (typeof LIVE_METRICS)[number];

/** Per-task metrics of one fit. */
export type LiveScores = Record<string, Record<LiveMetric, number>>;

/**
 * AUC, UAUC and GAUC (users as groups; NaN when no user has both classes, or without `withGroups`) per task.
 * @example
 * liveScores(world.test, ['click'], { click: p }); // { click: { auc, uauc, gauc } }
 */
export function liveScores(ds: Dataset, tasks: string[], probs: Record<string, Float32Array>, withGroups = true): LiveScores {
  const users = ds.column(ds.schema.userId ?? 'user_id');
  const out: LiveScores = {};
  for (const t of tasks) {
    const y = ds.label(t);
    const pos = y.reduce((s, v) => s + v, 0);
    if (pos === 0 || pos === y.length) {
      out[t] = { auc: NaN, uauc: NaN, gauc: NaN };
      continue;
    }
    const grouped = (fn: typeof gauc) => {
      if (!withGroups) return NaN;
      try {
        return fn(y, probs[t], users).value;
      } catch {
        return NaN; // no user has both classes (rare tasks on small splits)
      }
    };
    out[t] = { auc: auc(y, probs[t]), uauc: grouped(uauc), gauc: grouped(gauc) };
  }
  return out;
}

/**
 * Probabilities sigmoid(output_t) of every task in one forward pass per batch (rows in order): Float32 (n) per task.
 * @example
 * predictTasks(model, world.test, ['click', 'like']).like; // Float32Array(world.test.size)
 */
export function predictTasks(model: RecModel, ds: Dataset, tasks: string[], batchSize = 8192): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = Object.fromEntries(tasks.map((t) => [t, new Float32Array(ds.size)]));
  for (let start = 0; start < ds.size; start += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, ds.size - start) }, (_, i) => start + i);
    const probs = tf.tidy(() => {
      const o = model.apply(toTensors(ds, batchOf(ds, rows)), { training: false });
      return tasks.map((t) => {
        if (!o[t]) throw new Error(`predictTasks: model '${model.name}' has no output '${t}' (outputs: ${Object.keys(o).join(', ')})`);
        return tf.sigmoid(tf.reshape(o[t], [-1])); // (B)
      });
    });
    probs.forEach((p, k) => out[tasks[k]].set(p.dataSync(), start));
    tf.dispose(probs);
  }
  return out;
}

const streams = new WeakMap<LiveWorldData, Map<string, Dataset>>();
/** The training data of a method (sample streams cached per world). */
function trainingData(world: LiveWorldData, data: LiveMethod['data']): Dataset {
  if (data === 'impressions') return world.train;
  let cache = streams.get(world);
  if (!cache) streams.set(world, (cache = new Map()));
  const hit = cache.get(data);
  if (hit) return hit;
  const ds = buildSampleStream(world, 'train', data === 'stream' ? 'first-only' : 'none').ds;
  cache.set(data, ds);
  return ds;
}

/**
 * Trains one method with one seed and scores it on the test impressions.
 * @example
 * const r = await fitLive({ world, method: { label: 'M&C', model: 'moment-cross', config: {}, data: 'stream' }, tasks, trainer: {}, seed: 1, ctx });
 */
export async function fitLive(args: {
  world: LiveWorldData;
  method: LiveMethod;
  tasks: string[];
  trainer: Record<string, unknown>;
  seed: number;
  ctx: PipelineContext;
}): Promise<{ scores: LiveScores; bestEpoch: number; seconds: number }> {
  const { world, method, tasks, seed } = args;
  const spec = getModelSpec(method.model);
  if (spec.task !== 'live') throw new Error(`moment-cross pipeline: model '${method.model}' is a '${spec.task}' model, not a 'live' one`);
  const data = trainingData(world, method.data);
  const model = spec.create(new Rng(seed * 7919 + 11), data.schema, { ...method.config, tasks });
  const loss = method.model === 'moment-cross' ? momentCrossLoss((model as MomentCross).config)('click') : spec.loss('click');
  const probsOf = (ds: Dataset) => predictTasks(model, ds, tasks);
  const validate = () => {
    const s = liveScores(world.valid, tasks, probsOf(world.valid), false);
    const aucs = tasks.map((t) => s[t].auc).filter(Number.isFinite);
    return aucs.reduce((a, b) => a + b, 0) / Math.max(aucs.length, 1);
  };
  const t0 = Date.now();
  const r = await args.ctx.stage(`${method.label} seed ${seed}`, () =>
    train({ model, loss, train: data, validate, config: { ...args.trainer, seed, monitor: 'auc', progressLabel: `${method.label} s${seed}` } }),
  );
  const scores = liveScores(world.test, tasks, probsOf(world.test));
  model.dispose();
  return { scores, bestEpoch: r.bestEpoch, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Ground-truth rows (the true probabilities scored like a model) for the tables.
 * @example
 * ceilingScores(world, tasks).like.auc; // the best any model can do on 'like'
 */
export function ceilingScores(world: LiveWorldData, tasks: string[]): LiveScores {
  return liveScores(world.test, tasks, Object.fromEntries(tasks.map((t) => [t, world.truth.test[t]])));
}

/**
 * One table per metric (columns = the tasks where the metric is defined), base = `base`, the ceiling as a reference row.
 * @example
 * const [aucTable, uaucTable, gaucTable] = liveTables({ title, base, tasks, methods, perSeed, seeds, ceiling });
 */
export function liveTables(args: { title: string; base: string; tasks: string[]; methods: string[]; perSeed: LiveScores[][]; seeds: number[]; ceiling: LiveScores; notes?: string[] }): ResultTable[] {
  const tables: ResultTable[] = [];
  for (const metric of LIVE_METRICS) {
    // A task whose metric is undefined for some method and seed (no positive, or no user with both classes, in the
    // test split) leaves this table, with a note; a table without any defined task is left out.
    const defined = args.tasks.filter((t) => args.perSeed.every((runs) => runs.every((s) => Number.isFinite(s[t][metric]))));
    const dropped = args.tasks.filter((t) => !defined.includes(t));
    if (!defined.length) continue;
    const results: MethodResult[] = args.methods.map((method, i) => ({
      method, seeds: [...args.seeds],
      values: Object.fromEntries(defined.map((t) => [t, args.perSeed[i].map((s) => s[t][metric])])),
    }));
    const reference: ReferenceRow = {
      label: 'ground-truth ceiling', values: Object.fromEntries(defined.map((t) => [t, Number.isFinite(args.ceiling[t][metric]) ? args.ceiling[t][metric] : null])),
      note: "the world's true probabilities scored as a model (no model can beat it in expectation)",
    };
    const notes = [...(args.notes ?? [])];
    if (dropped.length) notes.push(`${metric.toUpperCase()} is undefined on the test split for ${dropped.join(', ')} (no positive, or no user with both classes), so ${dropped.length > 1 ? 'they are' : 'it is'} left out of this table.`);
    tables.push(buildResultTable({
      title: `${args.title}: ${metric.toUpperCase()} per task`, base: args.base,
      metrics: defined.map((t) => ({ name: t, higherIsBetter: true })), results, references: [reference], notes,
    }));
  }
  return tables;
}

/**
 * Mean over tasks (finite values only) of a method's per-seed metric means: used to pick the strongest baseline.
 * @example
 * meanOverTasks(perSeed[0], tasks, 'auc'); // 0.71
 */
export function meanOverTasks(perSeed: LiveScores[], tasks: string[], metric: LiveMetric): number {
  const xs = perSeed.flatMap((s) => tasks.map((t) => s[t][metric])).filter(Number.isFinite);
  return xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
}

/**
 * Per seed, the mean AUC over tasks (finite values only): the bar heights of the figures.
 * @example
 * meanAucPerSeed(perSeed[0], tasks); // [0.70, 0.71, 0.69]
 */
export function meanAucPerSeed(perSeed: LiveScores[], tasks: string[]): number[] {
  return perSeed.map((s) => meanOverTasks([s], tasks, 'auc'));
}
