/**
 * Shared parts of the Moment&Cross pipelines: the method config, one fit (train on impressions or on the real-time
 * sample stream, early stopping on the mean validation AUC over the tasks with enough validation positives, per-task
 * test evidence through ../farm/live-evidence.ts) and running every method for every seed.
 */
import { z } from 'zod';
import type { Dataset } from '../../data/dataset.ts';
import { getModelSpec } from '../../models/registry.ts';
import { momentCrossLoss, type MomentCross } from '../../models/moment-cross.ts';
import { tf } from '../../tf.ts';
import { batchOf, toTensors } from '../../data/batching.ts';
import type { RecModel } from '../../models/model.ts';
import { resolveTrainerConfig, train, type TrainerConfig } from '../../train/trainer.ts';
import { Rng } from '../../random.ts';
import { checkTaskNames } from '../../layers/mtl.ts';
import type { LiveWorldData } from '../../worlds/live-world.ts';
import type { PipelineContext } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import { buildSampleStream } from './sample-stream.ts';
import { meanAucEvidence, meanAucValidator, portableFit, restoredFit, SUMMARY_METRIC, taskEvidence, type LiveFit, type SummaryTasks, type TaskEvidence } from '../farm/live-evidence.ts';

/**
 * Training orders of a live method. 'shuffled' (the default): the pipeline's trainer — shuffled epochs with early
 * stopping on the validation monitor. 'time': one time-ordered online pass, as the paper trains Moment&Cross on its
 * stream: a single epoch over the sample stream in emit-time order (no shuffling, no early stopping), so the model
 * ends on the freshest samples; only for stream data (the impressions are not kept in time order).
 */
export const LIVE_ORDERS = ['shuffled', 'time'] as const;

/**
 * A compared method: a registered live model with a config; `data` = 'impressions' (one row per impression, final
 * labels, as the daily-batch baselines) or the real-time sample stream with ('stream') or without ('stream-no-mask')
 * the first-only label mask; `order` = how it trains on that data (see {@link LIVE_ORDERS}).
 */
export const LiveMethod = z.strictObject({
  label: z.string(),
  model: z.string(),
  config: z.record(z.string(), z.unknown()),
  data: z.enum(['impressions', 'stream', 'stream-no-mask']),
  order: z.enum(LIVE_ORDERS).optional(),
});
/** See `LiveMethod`. */
export type LiveMethod = z.infer<typeof LiveMethod>;

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
 * Trains one method with one seed (early stopping on the mean validation AUC over `monitor`) and scores it on `test`
 * (the test impressions, through `ctx.holdout`).
 * @example
 * const r = await fitLive({ world, test, method: { label: 'M&C', model: 'moment-cross', config: {}, data: 'stream' }, tasks, monitor: ['click'], trainer: {}, seed: 1, ctx });
 */
export async function fitLive(args: {
  world: LiveWorldData;
  test: Dataset;
  method: LiveMethod;
  tasks: string[];
  /** Tasks of the early-stopping monitor (the reliable ones on validation). */
  monitor: readonly string[];
  trainer: Record<string, unknown>;
  seed: number;
  ctx: PipelineContext;
}): Promise<LiveFit> {
  const { world, method, tasks, seed } = args;
  const spec = getModelSpec(method.model);
  if (spec.task !== 'live') throw new Error(`moment-cross pipeline: model '${method.model}' is a '${spec.task}' model, not a 'live' one`);
  const monitor = args.monitor.filter((t) => tasks.includes(t));
  if (!monitor.length) throw new Error(`moment-cross pipeline: none of the monitor tasks (${args.monitor.join(', ')}) is among the tasks (${tasks.join(', ')})`);
  if (method.order === 'time' && method.data === 'impressions') {
    throw new Error(`moment-cross pipeline: method '${method.label}' has order 'time', which needs the sample stream (data 'stream' or 'stream-no-mask', sorted by emit time), not 'impressions'`);
  }
  const data = trainingData(world, method.data);
  const model = spec.create(new Rng(seed * 7919 + 11), data.schema, { ...method.config, tasks });
  try {
    const loss = method.model === 'moment-cross' ? momentCrossLoss((model as MomentCross).config)('click') : spec.loss('click');
    const online: Partial<TrainerConfig> = method.order === 'time' ? { epochs: 1, shuffle: false } : {};
    const trainer: Partial<TrainerConfig> = { ...(args.trainer as Partial<TrainerConfig>), ...online, seed, monitor: 'auc', progressLabel: `${method.label} s${seed}` };
    const r = await args.ctx.stage(`${method.label} seed ${seed}`, () =>
      train({ model, loss, train: data, validate: meanAucValidator(world.valid, monitor, (ds) => predictTasks(model, ds, monitor)), config: trainer }),
    );
    return {
      evidence: taskEvidence(args.test, predictTasks(model, args.test, tasks)), bestEpoch: r.bestEpoch, epochsAllowed: resolveTrainerConfig(trainer).epochs,
      validBest: r.history[r.bestEpoch]?.valid ?? Number.NaN, seconds: r.seconds,
    };
  } finally {
    model.dispose();
  }
}

/**
 * Ground-truth evidence (the true probabilities scored like a model on the test rows) for the reference row.
 * @example
 * ceilingEvidence(world, test, tasks).like.auc?.value; // the best any model can do on 'like'
 */
export function ceilingEvidence(world: LiveWorldData, test: Dataset, tasks: string[]): Record<string, TaskEvidence> {
  return taskEvidence(test, Object.fromEntries(tasks.map((t) => [t, world.truth.test[t]])));
}

/**
 * Runs every method for every seed: fits[m][s] (shared by the main and ablation pipelines).
 * @example
 * const fits = await runLiveComparison(world, test, config, monitor, summary, ctx);
 */
export async function runLiveComparison(
  world: LiveWorldData,
  test: Dataset,
  config: { tasks: string[]; methods: LiveMethod[]; trainer: Record<string, unknown>; seeds: number[] },
  monitor: SummaryTasks,
  summary: SummaryTasks,
  ctx: PipelineContext,
): Promise<LiveFit[][]> {
  checkTaskNames(config.tasks, world.train.schema.labels, 'moment-cross config');
  // Every (seed, method) fit is independent: the run's fit workers may take them in parallel (src/pipelines/fits.ts).
  const done = await fitGrid(ctx.fits, 'live comparison', config.methods, config.seeds, async (method, seed) => {
    const f = await fitLive({ world, test, method, tasks: config.tasks, monitor: monitor.tasks, trainer: config.trainer, seed, ctx });
    const m = meanAucEvidence(f.evidence, summary.tasks);
    ctx.log(`${method.label} seed ${seed}: ${SUMMARY_METRIC} ${m.value.toFixed(4)} (SE ${m.se.toFixed(4)}); AUC ${config.tasks.map((t) => `${t} ${f.evidence[t]?.auc?.value.toFixed(4) ?? 'n/a'}`).join(', ')} (best epoch ${f.bestEpoch + 1} of ${f.epochsAllowed}, ${f.seconds.toFixed(0)} s)`);
    return portableFit(f);
  });
  return done.map((bySeed) => bySeed.map(restoredFit));
}
