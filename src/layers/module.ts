/**
 * The base of every layer and model: a module owns named `tf.Variable`s and child modules, so every parameter has a
 * dotted path (`tower.dense0.kernel`) used by optimisers, checkpoints, golden tests and federated partitions.
 */
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { Rng } from '../random.ts';
import { DropoutStream } from './dropout.ts';

/** How a parameter starts: Glorot-uniform, zeros, ones, or normal / uniform with the given scale. */
export type Init = 'glorot' | 'zeros' | 'ones' | { normal: number } | { uniform: number };

/** A module's parameters as plain arrays by name (what checkpoints and golden tests exchange). */
export type StateDict = Record<string, { shape: number[]; values: Float32Array }>;

function initialValues(shape: number[], init: Init, rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (init === 'zeros') return out;
  if (init === 'ones') return out.fill(1);
  if (init === 'glorot') {
    const fanIn = shape.length > 1 ? shape[shape.length - 2] : shape[0];
    const fanOut = shape[shape.length - 1];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  } else if ('normal' in init) {
    for (let i = 0; i < n; i++) out[i] = rng.normal() * init.normal;
  } else {
    for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * init.uniform;
  }
  return out;
}

/**
 * Base class of layers and models.
 * @example
 * class Scale extends Module {
 *   readonly w = this.param('w', [1], 'ones');
 *   apply(x: Tensor) { return tf.mul(x, this.w); }
 * }
 */
export abstract class Module {
  private readonly params = new Map<string, Variable>();
  private readonly children = new Map<string, Module>();
  private readonly streams: DropoutStream[] = [];
  private readonly disposers: Array<() => void> = [];
  /** Generator for this module's initial values (children fork their own). */
  protected readonly rng: Rng;

  /** @param rng seeded generator; the module forks it so siblings get independent streams. */
  constructor(rng: Rng) {
    this.rng = rng.fork();
  }

  /** Creates and registers a parameter. Names are unique within a module. */
  protected param(name: string, shape: number[], init: Init, trainable = true): Variable {
    if (this.params.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: parameter '${name}' is registered twice`);
    const initial = tf.tensor(initialValues(shape, init, this.rng), shape);
    const v = tf.variable(initial, trainable);
    initial.dispose(); // the variable keeps its own reference to the data
    this.params.set(name, v);
    return v;
  }

  /**
   * A dropout stream for this module, keyed from its generator (one draw of it, where the module used to draw its
   * `tf.dropout` seed); freed with the module. Its masks are drawn by TensorFlow, so compiled steps keep them fresh.
   */
  protected dropoutStream(): DropoutStream {
    const s = new DropoutStream(this.rng.int(2 ** 30));
    this.streams.push(s);
    return s;
  }

  /** Registers a child module under a name and returns it. */
  protected module<M extends Module>(name: string, child: M): M {
    if (this.params.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: child '${name}' is registered twice`);
    this.children.set(name, child);
    return child;
  }

  /** Every parameter by dotted path, depth first in registration order. */
  namedVariables(prefix = ''): Map<string, Variable> {
    const out = new Map<string, Variable>();
    for (const [n, v] of this.params) out.set(prefix + n, v);
    for (const [n, c] of this.children) for (const [k, v] of c.namedVariables(`${prefix}${n}.`)) out.set(k, v);
    return out;
  }

  /** Trainable parameters by dotted path. */
  trainableVariables(): Map<string, Variable> {
    return new Map([...this.namedVariables()].filter(([, v]) => v.trainable));
  }

  /** Total number of scalar parameters. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.namedVariables().values()) n += v.size;
    return n;
  }

  /** Copies every parameter to host arrays. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [k, v] of this.namedVariables()) out[k] = { shape: [...v.shape], values: v.dataSync() as Float32Array };
    return out;
  }

  /**
   * Loads parameters by name. Strict: a missing, unexpected or mis-shaped entry is an error naming it.
   * @param options.strict false loads the names present and returns the ones left untouched.
   */
  loadStateDict(state: StateDict, options: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const vars = this.namedVariables();
    const missing = [...vars.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !vars.has(k));
    if (strict && (missing.length || unexpected.length)) {
      throw new Error(`loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
    for (const [k, v] of vars) {
      const s = state[k];
      if (!s) continue;
      if (s.shape.join(',') !== v.shape.join(',')) throw new Error(`loadStateDict: '${k}' has shape [${s.shape}] but the parameter is [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(s.values, v.shape)));
    }
    return { missing, unexpected };
  }

  /** Every dropout stream's position ([key, draws so far]), this module's first, then its children's in order. */
  dropoutState(): Array<[number, number]> {
    return this.allStreams().map((s) => s.position());
  }

  /**
   * Restores `dropoutState()` (a checkpoint's), so training resumes with the masks an uninterrupted run would draw.
   * Strict: the module must have as many streams as the state.
   */
  loadDropoutState(state: ReadonlyArray<readonly number[]>): void {
    const streams = this.allStreams();
    if (state.length !== streams.length) throw new Error(`loadDropoutState: the state holds ${state.length} dropout streams but the module has ${streams.length}`);
    streams.forEach((s, i) => s.setPosition(state[i]));
  }

  private allStreams(): DropoutStream[] {
    return [...this.streams, ...[...this.children.values()].flatMap((c) => c.allStreams())];
  }

  /**
   * Runs `f` when this module is disposed, before its variables are freed (e.g. to remove compiled functions that
   * read them: src/train/evaluate.ts `predict`).
   * @example
   * model.onDispose(() => compiler.dispose());
   */
  onDispose(f: () => void): void {
    this.disposers.push(f);
  }

  /** Frees every parameter's memory and the dropout streams. The module is unusable afterwards. */
  dispose(): void {
    for (const f of this.disposers.splice(0)) f();
    for (const v of this.namedVariables().values()) v.dispose();
    this.disposeStreams();
  }

  private disposeStreams(): void {
    for (const s of this.streams.splice(0)) s.dispose();
    for (const c of this.children.values()) c.disposeStreams();
  }
}

/** Activation names the layers accept. */
export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'elu' | 'prelu';

/** Applies a named activation (prelu falls back to leaky 0.25 without a learned slope). */
export function activate(x: Tensor, a: Activation): Tensor {
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'prelu':
      return tf.leakyRelu(x, 0.25);
  }
}
