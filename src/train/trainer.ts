/**
 * The one model-agnostic trainer: a custom loop (not tfjs-layers' fit) over seeded shuffled batches, with the
 * named-state optimisers, optional gradient clipping, early stopping on a validation metric (best weights restored),
 * checkpoint save / resume, a progress line with loss and samples/s, and no tensor leaks across steps or epochs.
 * On the native backend the Stepper runs each step as one compiled TensorFlow function (src/train/compile.ts;
 * `RECLAB_COMPILE=0` turns it off); a model it cannot compile trains eagerly after one logged line.
 */
import { tf } from '../tf.ts';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.ts';
import { batchCount, batches, toTensors, type Batch, type TensorBatch } from '../data/batching.ts';
import { StepCompiler, compileEnabled } from './compile.ts';
import type { LossFn, RecModel } from '../models/model.ts';
import type { StateDict } from '../layers/module.ts';
import { Optimizer, clipByGlobalNorm, type OptimizerConfig } from './optimizers.ts';
import { evaluateCtr, predict } from './evaluate.ts';
import { logloss } from '../metrics/logloss.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { Progress } from './progress.ts';

/** Trainer settings; defaults in `TRAINER_DEFAULTS`. */
export interface TrainerConfig {
  epochs: number;
  batchSize: number;
  optimizer: Partial<OptimizerConfig>;
  /** Clip gradients to this global L2 norm; 0 = no clipping. */
  clipNorm: number;
  /** Seed of the batch order (model initialisation is seeded where the model is built). */
  seed: number;
  /**
   * Shuffle the rows every epoch (default). False: every epoch visits the rows in the dataset's own order — with one
   * epoch over a stream sorted by time, a time-ordered online pass (the model ends on the freshest rows).
   */
  shuffle: boolean;
  /** Validation metric for early stopping and best-epoch selection; 'none' trains all epochs. */
  monitor: 'auc' | 'logloss' | 'gauc' | 'none';
  /** Label the monitor is computed on. */
  label: string;
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Restore the best epoch's weights at the end. */
  restoreBest: boolean;
  /** Directory for a checkpoint after every epoch ('' = none). */
  checkpointDir: string;
  /** Continue from the checkpoint in `checkpointDir` when there is one. */
  resume: boolean;
  /** Progress-line label ('' hides the progress line). */
  progressLabel: string;
}
/** Defaults: 3 epochs, batch 1024 shuffled, Adam 1e-3, early stopping on validation AUC of 'click' with patience 1. */
export const TRAINER_DEFAULTS: TrainerConfig = {
  epochs: 3,
  batchSize: 1024,
  optimizer: {},
  clipNorm: 0,
  seed: 0,
  shuffle: true,
  monitor: 'auc',
  label: 'click',
  patience: 1,
  restoreBest: true,
  checkpointDir: '',
  resume: false,
  progressLabel: 'train',
};

/** One epoch's record. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  /** Validation value of the monitored metric (NaN when monitor is 'none'). */
  valid: number;
  samplesPerSecond: number;
  seconds: number;
}

/** What `train` returns. */
export interface TrainResult {
  history: EpochRecord[];
  /** Epoch whose weights the model holds at the end. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Epochs actually run in this call (fewer than history.length after a resume). */
  epochsRun: number;
  seconds: number;
}

/**
 * One optimisation step on host batches: forward, loss, gradients by variable name, optional global-norm clipping,
 * the optimiser's update. Shared by `train` and by loops over streamed chunks (e.g. Ali-CCP in chorus-cvr/main).
 * @example
 * const stepper = new Stepper(model, loss, { learningRate: 1e-3 });
 * for (const b of batches(ds)) tf.tidy(() => stepper.step(ds, b)); // each call returns the batch loss (scalar)
 * stepper.dispose();
 */
export class Stepper {
  /** The optimiser (its state goes into checkpoints). */
  readonly optimizer: Optimizer;
  private readonly varList: Variable[];
  private readonly byTfName: Map<string, string>;

  /**
   * The step compiler (src/train/compile.ts) when compiled steps are on — `compile` true, by default
   * `compileEnabled()` (on for the native backend unless `RECLAB_COMPILE=0`) — else null.
   */
  readonly compiler: StepCompiler | null;

  constructor(
    private readonly model: RecModel,
    private readonly loss: LossFn,
    optimizer: Partial<OptimizerConfig> = {},
    private readonly clipNorm = 0,
    compile: boolean = compileEnabled(),
  ) {
    const vars = model.trainableVariables();
    this.byTfName = new Map([...vars].map(([k, v]) => [v.name, k]));
    this.varList = [...vars.values()];
    this.optimizer = new Optimizer(vars, optimizer);
    this.compiler = compile ? new StepCompiler(model.name) : null;
  }

  /** Trains on one host batch of `ds`; returns the batch's mean loss. Call inside `tf.tidy`. */
  step(ds: Dataset, b: Batch): Scalar {
    const batch = toTensors(ds, b);
    // Compiled steps start after the first step, which creates the optimiser's slots eagerly.
    if (!this.compiler || this.optimizer.step === 0) return this.eagerStep(batch);
    const t = this.optimizer.step + 1;
    const inputs = { ...batch, __adamRate: tf.scalar(this.optimizer.adamRate(t)) };
    // The optimiser's config is frozen into the graph (learning rate, weight decay): a change is traced anew.
    const value = this.compiler.run(inputs, ({ __adamRate, ...rest }) => this.eagerStep(rest, __adamRate), JSON.stringify(this.optimizer.config)) as Scalar;
    this.optimizer.step = t;
    return value;
  }

  private eagerStep(batch: TensorBatch, adamRate?: Tensor): Scalar {
    const { value, grads } = tf.variableGrads(() => this.loss(this.model.apply(batch, { training: true }), batch), this.varList);
    let named = new Map<string, Tensor>(Object.entries(grads).map(([k, g]) => [this.byTfName.get(k) ?? k, g]));
    if (this.clipNorm > 0) named = clipByGlobalNorm(named, this.clipNorm).grads;
    this.optimizer.apply(named, adamRate);
    return value;
  }

  /** Frees the optimiser's slots and the compiled step functions. */
  dispose(): void {
    this.optimizer.dispose();
    this.compiler?.dispose();
  }
}

/**
 * Resolves a partial trainer config (new object; unknown keys are errors).
 * @example
 * resolveTrainerConfig({ epochs: 5 }).batchSize; // 1024
 */
export function resolveTrainerConfig(partial: Partial<TrainerConfig> = {}): TrainerConfig {
  for (const k of Object.keys(partial)) {
    if (!(k in TRAINER_DEFAULTS)) throw new Error(`trainer config: unknown key '${k}' (known: ${Object.keys(TRAINER_DEFAULTS).join(', ')})`);
  }
  const c = { ...TRAINER_DEFAULTS, ...partial, optimizer: { ...(partial.optimizer ?? {}) } };
  if (!(Number.isInteger(c.epochs) && c.epochs >= 1)) throw new Error(`trainer config: epochs must be a positive integer, got ${c.epochs}`);
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 1)) throw new Error(`trainer config: batchSize must be a positive integer, got ${c.batchSize}`);
  if (c.resume && !c.checkpointDir) throw new Error('trainer config: resume needs checkpointDir');
  return c;
}

/**
 * Checks, before any training, that the built-in monitor can be computed: the validation split has the label it reads
 * (`config.label`, 'click' by default whatever the loss trains on), the loss agrees when it declares its label (a
 * `label` property on the loss function), and for AUC / GAUC the label has both classes. Returns the problem, or null.
 * Custom `validate` functions and monitor 'none' are not checked.
 * @example
 * monitorProblem(resolveTrainerConfig({ label: 'purchase' }), ctrLoss('purchase'), valid); // null when fine
 */
export function monitorProblem(c: TrainerConfig, loss: LossFn, valid: Dataset | undefined): string | null {
  if (c.monitor === 'none' || !valid) return null;
  const labels = valid.schema.labels;
  const declared = (loss as LossFn & { label?: unknown }).label;
  if (typeof declared === 'string' && declared !== c.label) {
    return `train: the loss trains on label '${declared}' but the monitor '${c.monitor}' reads label '${c.label}'${c.label === TRAINER_DEFAULTS.label ? ' (the default)' : ''}; set config.label: '${declared}'`;
  }
  if (!labels.includes(c.label)) {
    const hint = labels.length === 1 ? `; set config.label: '${labels[0]}'` : '; set config.label to the label the loss trains on';
    return `train: monitor '${c.monitor}' reads label '${c.label}'${c.label === TRAINER_DEFAULTS.label ? ' (the default)' : ''}, which the validation split does not have (its labels: ${labels.join(', ')})${hint}`;
  }
  if (c.monitor === 'auc' || c.monitor === 'gauc') {
    const y = valid.label(c.label);
    let pos = 0;
    for (let i = 0; i < y.length; i++) pos += y[i];
    if (pos === 0 || pos === y.length) {
      return `train: validation label '${c.label}' is ${pos ? 1 : 0} on all ${y.length} rows, so validation ${c.monitor.toUpperCase()} is undefined; use a validation split with both classes or monitor 'logloss'`;
    }
  }
  return null;
}

function better(monitor: TrainerConfig['monitor'], a: number, b: number): boolean {
  return monitor === 'logloss' ? a < b : a > b;
}

/**
 * Trains `model` on `train`, monitoring `valid`.
 * @example
 * const result = await train({ model, loss: dinSpec.loss('click'), train: world.train, valid: world.valid, config: { epochs: 2 } });
 */
export async function train(args: {
  model: RecModel;
  loss: LossFn;
  train: Dataset;
  valid?: Dataset;
  config?: Partial<TrainerConfig>;
  /** Called after every epoch (e.g. to record curves); may be async. */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /**
   * Custom validation value for multi-task models (e.g. CVR AUC on clicked rows of the 'cvr' output), used instead of
   * the built-in `monitor` on the 'logit' output; better is decided by `monitor` ('logloss': lower, else higher).
   */
  validate?: (model: RecModel) => number;
}): Promise<TrainResult> {
  const c = resolveTrainerConfig(args.config);
  const { model, loss } = args;
  if (args.train.size === 0) throw new Error('train: the training split is empty');
  if (c.monitor !== 'none' && !args.validate && (!args.valid || args.valid.size === 0)) throw new Error(`train: monitor '${c.monitor}' needs a non-empty validation split`);
  // Before the first epoch: a monitor that cannot be computed fails now, not after an epoch of training.
  const problem = args.validate ? null : monitorProblem(c, loss, args.valid);
  if (problem) throw new Error(problem);
  const stepper = new Stepper(model, loss, c.optimizer, c.clipNorm);
  const opt = stepper.optimizer;
  const started = Date.now();
  let history: EpochRecord[] = [];
  let best = { value: c.monitor === 'logloss' ? Infinity : -Infinity, epoch: -1, state: null as StateDict | null };
  let firstEpoch = 0;

  if (c.resume && hasCheckpoint(c.checkpointDir)) {
    const ck = loadCheckpoint(c.checkpointDir);
    model.loadStateDict(ck.groups.model);
    opt.loadStateDict(ck.groups.optimizer);
    history = ck.meta.extra.history as EpochRecord[];
    best = { value: ck.meta.extra.bestValue as number, epoch: ck.meta.extra.bestEpoch as number, state: ck.groups.best ?? null };
    const dropout = ck.meta.extra.dropout as number[][] | undefined;
    if (dropout) model.loadDropoutState(dropout);
    else if (model.dropoutState().length) process.stderr.write(`train: checkpoint ${c.checkpointDir} has no dropout positions (written before they were saved); the resumed epochs draw new masks\n`);
    firstEpoch = ck.meta.epoch + 1;
  }

  let stoppedEarly = false;
  let epochsRun = 0;
  try {
    for (let epoch = firstEpoch; epoch < c.epochs; epoch++) {
      if (best.epoch >= 0 && c.monitor !== 'none' && epoch - best.epoch > c.patience) {
        stoppedEarly = true;
        break;
      }
      const t0 = Date.now();
      const nBatches = batchCount(args.train.size, c.batchSize);
      const progress = new Progress({ total: nBatches, label: `${c.progressLabel} epoch ${epoch + 1}/${c.epochs}`, enabled: c.progressLabel !== '' && process.env.RECLAB_PROGRESS !== '0' });
      const zero = tf.scalar(0);
      const lossSum = tf.variable(zero, false);
      zero.dispose();
      let step = 0;
      let seen = 0;
      for (const b of batches(args.train, { batchSize: c.batchSize, seed: c.seed, epoch, shuffle: c.shuffle })) {
        tf.tidy(() => {
          const value = stepper.step(args.train, b);
          lossSum.assign(tf.add(lossSum, tf.mul(value, b.size)));
        });
        step++;
        seen += b.size;
        if (step % 25 === 0 || step === nBatches) {
          const secs = (Date.now() - t0) / 1000;
          progress.update(step, { loss: lossSum.dataSync()[0] / seen, 'samples/s': Math.round(seen / Math.max(secs, 1e-9)) });
          // Let the event loop run (signal handlers such as Ctrl-C, timers, notebook I/O): the loop is otherwise synchronous.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      const epochLoss = lossSum.dataSync()[0] / seen;
      lossSum.dispose();
      if (!Number.isFinite(epochLoss)) throw new Error(`train: loss became ${epochLoss} in epoch ${epoch + 1} of model '${model.name}' (try a lower learning rate or clipNorm)`);
      const trainSecs = (Date.now() - t0) / 1000;
      let validValue = Number.NaN;
      if (c.monitor !== 'none' && (args.valid || args.validate)) {
        const valid = args.valid as Dataset;
        // logloss alone for a logloss monitor: evaluateCtr's AUC would throw on a one-class validation label.
        const v = args.validate ? args.validate(model) : c.monitor === 'logloss' ? logloss(valid.label(c.label), predict(model, valid)) : evaluateCtr(valid, c.label, predict(model, valid))[c.monitor];
        if (v === undefined) throw new Error(`train: monitor '${c.monitor}' needs a userId column in the schema`);
        if (!Number.isFinite(v)) throw new Error(`train: validation ${c.monitor} is ${v} after epoch ${epoch + 1} of model '${model.name}'`);
        validValue = v;
        if (better(c.monitor, v, best.value)) best = { value: v, epoch, state: c.restoreBest ? model.stateDict() : null };
      }
      const record: EpochRecord = { epoch, loss: epochLoss, valid: validValue, samplesPerSecond: seen / Math.max(trainSecs, 1e-9), seconds: (Date.now() - t0) / 1000 };
      history.push(record);
      progress.done({ loss: epochLoss, 'samples/s': Math.round(record.samplesPerSecond), ...(c.monitor !== 'none' ? { [`valid ${c.monitor}`]: validValue } : {}) });
      epochsRun++;
      if (c.checkpointDir) {
        saveCheckpoint(
          c.checkpointDir,
          { model: model.stateDict(), optimizer: opt.stateDict(), ...(best.state ? { best: best.state } : {}) },
          { epoch, extra: { history, bestValue: best.value, bestEpoch: best.epoch, dropout: model.dropoutState() } },
        );
      }
      await args.onEpoch?.(record);
    }
  } finally {
    stepper.dispose();
  }
  let bestEpoch = history.length - 1;
  if (c.monitor !== 'none' && c.restoreBest && best.state && best.epoch !== history.length - 1) {
    model.loadStateDict(best.state);
    bestEpoch = best.epoch;
  } else if (c.monitor !== 'none' && c.restoreBest && best.epoch >= 0) bestEpoch = best.epoch;
  return { history, bestEpoch, stoppedEarly, epochsRun, seconds: (Date.now() - started) / 1000 };
}
