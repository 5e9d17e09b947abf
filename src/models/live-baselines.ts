/**
 * Multi-task baselines of the live-streaming papers (FARM spec §5, Moment&Cross main table), on the live world's
 * live-streaming impressions, one logit per task (click, effective view, like, comment, gift, follow):
 * - live-dnn: masked-mean pooled live history + candidate + context -> shared-bottom MLP -> one tower per task.
 * - live-din: DIN target attention (Zhou et al., KDD 2018, arXiv:1706.06978) of the candidate over the live
 *   history, shared-bottom head.
 * - live-mmoe: target attention, MMoE head (Ma et al., KDD 2018).  - live-ple: target attention, PLE head (Tang et
 *   al., RecSys 2020); FARM's base model.
 * - live-naive-cd: naive cross-domain, PLE head with target attention over the short-video history concatenated in
 *   front of the live history (one sequence of L_sv + L_live steps).
 *   x = [TA(q, H); mean(H); e_cand; context];   logit_t = Head(x)_t
 * The loss of every live model is `liveMultiTaskLoss`: sum over tasks of BCE, plus the mean of an optional per-row
 * auxiliary output `aux` (FARM's align loss, Moment&Cross's extra losses), already weighted by the model.
 * Inputs: a single-domain baseline (history 'live') reads no short-video column at all — the `hist_sv_*` fields are
 * excluded, not pooled into the context (issue 14: pooled short-video fields made "single-domain" PLE cross-domain).
 * `svContext: true` is the labelled cross-domain variant that pools them into the context. `realtime: false` drops
 * the real-time room columns (`LIVE_REALTIME_COLUMNS`); Moment&Cross's baselines are compared without and with them.
 * Paper deviations: none for the baselines (generic models).
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { Schema } from '../data/schema.ts';
import type { TensorBatch } from '../data/batching.ts';
import { Module } from '../layers/module.ts';
import { MLP } from '../layers/dense.ts';
import { TargetAttention } from '../layers/attention.ts';
import { MMoE, PLE, checkTaskNames, type MMoEConfig, type PLEConfig } from '../layers/mtl.ts';
import { LIVE_COLUMNS, LiveInputs, maskedMean, type LiveColumns } from '../layers/live-inputs.ts';
import { FrequencyAware, type FrequencyConfig } from '../layers/frequency.ts';
import { bceWithLogits } from '../train/losses.ts';
import type { Rng } from '../random.ts';
import { resolveConfig, type LossFn, type ModelOutputs, type ModelSpec, type RecModel } from './model.ts';

/** Hyper-parameters of a live baseline; defaults in `LIVE_BASELINE_DEFAULTS`. */
export interface LiveBaselineConfig {
  /** Tasks to predict; [] = every label of the schema. An unknown name is an error naming it. */
  tasks: string[];
  embeddingDim: number;
  /** Which history: the live one, or short-video and live concatenated (naive cross-domain). */
  history: 'live' | 'concat';
  /** Sequence pooling: masked mean only, or target attention plus the mean. */
  encoder: 'mean' | 'attention';
  head: 'shared-bottom' | 'mmoe' | 'ple';
  /** Shared MLP of the shared-bottom head. */
  bottom: number[];
  /** Task towers of the shared-bottom head. */
  tower: number[];
  mmoe: Partial<MMoEConfig>;
  ple: Partial<PLEConfig>;
  attentionHidden: number[];
  dropout: number;
  columns: LiveColumns;
  /** Pool the short-video history fields into the context (labelled cross-domain variant; false = single domain). */
  svContext: boolean;
  /** Read the real-time room columns rt_counts, rt_ctr, stream_age (false: they are excluded). */
  realtime: boolean;
  /**
   * FARM's frequency-aware module on the history before pooling (off by default; the single-domain frequency
   * ablation on KuaiRand turns it on).
   */
  frequency: Partial<FrequencyConfig> & { enabled?: boolean };
}
/**
 * Defaults: D = 16, target attention over the live history, PLE head with the spec's sizes, dropout 0.1, no
 * short-video context, real-time columns read.
 */
export const LIVE_BASELINE_DEFAULTS: LiveBaselineConfig = {
  tasks: [],
  embeddingDim: 16,
  history: 'live',
  encoder: 'attention',
  head: 'ple',
  bottom: [256, 128],
  tower: [64],
  mmoe: {},
  ple: {},
  attentionHidden: [36],
  dropout: 0.1,
  columns: LIVE_COLUMNS,
  svContext: false,
  realtime: true,
  frequency: { enabled: false },
};

/** The live world's real-time room columns (Moment&Cross's "Moment" inputs). */
export const LIVE_REALTIME_COLUMNS = ['rt_counts', 'rt_ctr', 'stream_age'];

/**
 * Resolves the task list of a live model against the schema's labels.
 * @example
 * resolveTasks([], schema, 'live-ple'); // every label, e.g. ['click', 'effective_view', ...]
 */
export function resolveTasks(tasks: string[], schema: Schema, model: string): string[] {
  if (!tasks.length) return [...schema.labels];
  checkTaskNames(tasks, schema.labels, `${model} config`);
  return [...tasks];
}

/** Shared-bottom head: h = MLP(x); logit_t = Tower_t(h). */
export class SharedBottomHead extends Module {
  private readonly bottom: MLP;
  private readonly towers = new Map<string, MLP>();
  constructor(rng: Rng, inDim: number, readonly tasks: readonly string[], bottom: number[], tower: number[], dropout: number) {
    super(rng);
    this.bottom = this.module('bottom', new MLP(this.rng, inDim, { hidden: bottom, outDim: 0, dropout }));
    for (const t of tasks) this.towers.set(t, this.module(`${t}Tower`, new MLP(this.rng, this.bottom.outDim, { hidden: tower, outDim: 1, dropout })));
  }
  /** Logits (B) by task; x (B, In). */
  apply(x: Tensor, training: boolean): Record<string, Tensor> {
    const h = this.bottom.apply(x, training); // (B, H)
    return Object.fromEntries(this.tasks.map((t) => [t, tf.reshape((this.towers.get(t) as MLP).apply(h, training), [-1])])); // (B) each
  }
}

/** A multi-task head by name over an input of width inDim. */
export function buildHead(rng: Rng, kind: LiveBaselineConfig['head'], inDim: number, tasks: readonly string[], c: Pick<LiveBaselineConfig, 'bottom' | 'tower' | 'mmoe' | 'ple' | 'dropout'>): SharedBottomHead | MMoE | PLE {
  if (kind === 'mmoe') return new MMoE(rng, inDim, tasks, { dropout: c.dropout, ...c.mmoe });
  if (kind === 'ple') return new PLE(rng, inDim, tasks, { dropout: c.dropout, ...c.ple });
  if (kind === 'shared-bottom') return new SharedBottomHead(rng, inDim, tasks, c.bottom, c.tower, c.dropout);
  throw new Error(`live model config: unknown head '${String(kind)}' (known: shared-bottom, mmoe, ple)`);
}

/**
 * A live baseline; outputs one logit (B) per task, named by the task.
 * @example
 * const m = new LiveBaseline(new Rng(1), world.train.schema, 'live-ple'); m.apply(batch, { training: false }).gift; // (B)
 */
export class LiveBaseline extends Module implements RecModel {
  readonly config: LiveBaselineConfig;
  readonly tasks: string[];
  private readonly inputs: LiveInputs;
  private readonly attention: TargetAttention | null;
  private readonly freq: FrequencyAware | null;
  private readonly head: SharedBottomHead | MMoE | PLE;

  constructor(rng: Rng, schema: Schema, readonly name: string, config: Partial<LiveBaselineConfig> = {}) {
    super(rng);
    const c = resolveConfig(name, config, LIVE_BASELINE_DEFAULTS);
    this.config = c;
    this.tasks = resolveTasks(c.tasks, schema, name);
    const D = c.embeddingDim;
    const concat = c.history === 'concat';
    const present = new Set(schema.features.map((f) => f.name));
    const exclude = [
      ...c.columns.exclude,
      ...(concat || c.svContext ? [] : c.columns.svHistory), // single domain: no short-video column at all
      ...(c.realtime ? [] : LIVE_REALTIME_COLUMNS.filter((n) => present.has(n))),
    ];
    const columns = { ...c.columns, svHistory: concat ? c.columns.svHistory : [], exclude: [...new Set(exclude)] };
    this.inputs = this.module('inputs', new LiveInputs(this.rng, schema, D, columns, `${name} config`));
    const { enabled = false, ...fc } = c.frequency;
    const L = this.inputs.lengths.live + (c.history === 'concat' ? this.inputs.lengths.sv : 0);
    this.freq = enabled ? this.module('freq', new FrequencyAware(this.rng, L, D, { dropout: c.dropout, ...fc })) : null;
    this.attention = c.encoder === 'attention' ? this.module('attention', new TargetAttention(this.rng, D, c.attentionHidden, 'relu')) : null;
    const width = (this.attention ? 2 * D : D) + this.inputs.candidateDim + this.inputs.contextDim;
    this.head = this.module('head', buildHead(this.rng, c.head, width, this.tasks, c));
  }

  apply(batch: TensorBatch, { training }: { training: boolean }): ModelOutputs {
    let { seq, mask } = this.inputs.steps(batch, 'live'); // (B, Ll, D), (B, Ll)
    if (this.config.history === 'concat') {
      const sv = this.inputs.steps(batch, 'sv'); // (B, Lsv, D)
      seq = tf.concat([sv.seq, seq], 1); // (B, Lsv + Ll, D)
      mask = tf.concat([sv.mask, mask], 1); // (B, Lsv + Ll)
    }
    if (this.freq) seq = this.freq.apply(seq, mask, training).out; // (B, L, D)
    const parts = [maskedMean(seq, mask)]; // (B, D)
    if (this.attention) parts.push(this.attention.apply(this.inputs.query(batch), seq, mask)); // (B, D)
    const x = tf.concat([...parts, this.inputs.candidateFields(batch), this.inputs.context(batch)], 1); // (B, In)
    return this.head.apply(x, training);
  }

  /** Frees the parameters and the frequency module's DFT bases. */
  override dispose(): void {
    super.dispose();
    this.freq?.disposeBases();
  }
}

/**
 * L = sum_t BCE(logit_t, y_t) over every output named like a label of the batch, + mean(aux) when the model returns a
 * per-row auxiliary loss `aux` (B). `label` must be one of the outputs (the smoke tests' target task).
 * @example
 * liveMultiTaskLoss('click')(model.apply(batch, { training: true }), batch); // scalar
 */
export function liveMultiTaskLoss(label: string): LossFn {
  return (out, batch) => {
    if (!out[label]) throw new Error(`live loss: the model has no output for task '${label}' (outputs: ${Object.keys(out).join(', ')})`);
    const terms: Tensor[] = Object.entries(out).filter(([k]) => k !== 'aux' && batch[k] !== undefined).map(([k, logit]) => bceWithLogits(logit, batch[k]));
    if (out.aux) terms.push(tf.mean(out.aux));
    return tf.addN(terms) as Scalar;
  };
}

function spec(name: string, description: string, overrides: Partial<LiveBaselineConfig>): ModelSpec<LiveBaselineConfig> {
  const defaults = { ...LIVE_BASELINE_DEFAULTS, ...overrides };
  return { name, description, defaults, create: (rng, schema, config) => new LiveBaseline(rng, schema, name, { ...overrides, ...config }), task: 'live', loss: liveMultiTaskLoss };
}

/** Registry entries of the live baselines. */
export const liveBaselineSpecs: ModelSpec<LiveBaselineConfig>[] = [
  spec('live-dnn', 'DNN on live-streaming impressions: mean-pooled live history, shared-bottom multi-task head', { encoder: 'mean', head: 'shared-bottom' }),
  spec('live-din', 'DIN on live-streaming impressions: target attention over the live history, shared-bottom head', { encoder: 'attention', head: 'shared-bottom' }),
  spec('live-mmoe', 'MMoE on live-streaming impressions: target attention over the live history, MMoE head', { encoder: 'attention', head: 'mmoe' }),
  spec('live-ple', 'PLE on live-streaming impressions (FARM base): target attention over the live history, PLE head', { encoder: 'attention', head: 'ple' }),
  spec('live-naive-cd', 'Naive cross-domain: short-video + live history concatenated, target attention, PLE head', { history: 'concat', encoder: 'attention', head: 'ple' }),
];
