/**
 * Optimisers with named state: Adam, Adagrad and SGD (with momentum), each with optional decoupled weight decay.
 * Their state is keyed by the model's dotted parameter names, so a checkpoint restores into a freshly built model
 * in another process (tfjs's own optimisers key state by global variable ids, which differ between processes).
 *
 * Adam (Kingma & Ba 2015):  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
 *                           w <- w - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 * Adagrad:                  a <- a + g^2;  w <- w - lr g / (sqrt(a) + eps)
 * SGD:                      u <- mu u + g; w <- w - lr u
 * Decoupled weight decay (AdamW style): w <- w - lr wd w, on every parameter except biases and LayerNorm
 * (names ending in `bias`, `beta`, `gamma`).
 *
 * Adam steps that get a gradient for every variable (what the trainer does) run on flat slots: m and v of all
 * variables are two vectors, updated by one set of ops for the whole model, the step split back per variable. The
 * same update element by element, in about a third of the kernels (bench/profile-din.ts counts them). Slots are still
 * saved and loaded by variable name.
 */
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import type { StateDict } from '../layers/module.ts';

/** Optimiser settings; defaults in `OPTIMIZER_DEFAULTS`. */
export interface OptimizerConfig {
  kind: 'adam' | 'adagrad' | 'sgd';
  learningRate: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** SGD momentum (0 = plain SGD). */
  momentum: number;
  /** Adagrad's initial accumulator value. */
  initialAccumulator: number;
}
/** Defaults: Adam, lr 1e-3, no weight decay, betas (0.9, 0.999), eps 1e-8 (PyTorch's defaults). */
export const OPTIMIZER_DEFAULTS: OptimizerConfig = {
  kind: 'adam',
  learningRate: 1e-3,
  weightDecay: 0,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  momentum: 0,
  initialAccumulator: 0.1,
};

const NO_DECAY = /(^|\.)(bias|beta|gamma)$/;

/**
 * Applies gradients to named variables and keeps its slots by the same names.
 * @example
 * const opt = new Optimizer(model.trainableVariables(), { kind: 'adam', learningRate: 1e-3 });
 * opt.apply(grads); // grads: Map<name, Tensor> for (a subset of) the variables
 */
export class Optimizer {
  readonly config: OptimizerConfig;
  private readonly vars: Map<string, Variable>;
  private readonly slots = new Map<string, Variable>();
  /** Adam's m and v of every variable as two flat vectors (in `names` order), while the steps are full; else null. */
  private flat: { names: string[]; sizes: number[]; m: Variable; v: Variable } | null = null;
  /** Number of steps applied. */
  step = 0;

  constructor(vars: Map<string, Variable>, config: Partial<OptimizerConfig> = {}) {
    for (const k of Object.keys(config)) {
      if (!(k in OPTIMIZER_DEFAULTS)) throw new Error(`optimizer config: unknown key '${k}' (known: ${Object.keys(OPTIMIZER_DEFAULTS).join(', ')})`);
    }
    this.config = { ...OPTIMIZER_DEFAULTS, ...config };
    if (!['adam', 'adagrad', 'sgd'].includes(this.config.kind)) throw new Error(`optimizer config: kind '${this.config.kind}' is not adam, adagrad or sgd`);
    if (!(this.config.learningRate > 0)) throw new Error(`optimizer config: learningRate must be > 0, got ${this.config.learningRate}`);
    this.vars = vars;
  }

  private slot(name: string, which: string, like: Variable, fill = 0): Variable {
    const key = `${name}/${which}`;
    let s = this.slots.get(key);
    if (!s) {
      const initial = fill === 0 ? tf.zerosLike(like) : tf.fill(like.shape, fill);
      s = tf.variable(initial, false);
      initial.dispose();
      this.slots.set(key, s);
    }
    return s;
  }

  /** Adam's bias-corrected step size at step `t` (1-based): lr sqrt(1 - b2^t) / (1 - b1^t). */
  adamRate(t: number): number {
    const c = this.config;
    return (c.learningRate * Math.sqrt(1 - c.beta2 ** t)) / (1 - c.beta1 ** t);
  }

  /**
   * One update with the given gradients (by variable name). Call inside or outside `tf.tidy`. `adamRate`, when given,
   * is Adam's step size for this step as a scalar tensor (compiled steps pass it as an input because it changes
   * every step; by default it is computed from the step count).
   */
  apply(grads: Map<string, Tensor>, adamRate?: Tensor): void {
    this.step++;
    const c = this.config;
    const lr = c.learningRate;
    const adamLr: number | Tensor = adamRate ?? this.adamRate(this.step);
    if (c.kind === 'adam' && grads.size === this.vars.size && [...this.vars.keys()].every((n) => grads.has(n))) {
      this.applyFlatAdam(grads, adamLr);
      return;
    }
    this.unflatten();
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const w = this.vars.get(name);
        if (!w) throw new Error(`optimizer: gradient for unknown variable '${name}'`);
        let next: Tensor;
        if (c.kind === 'adam') {
          const m = this.slot(name, 'm', w);
          const v = this.slot(name, 'v', w);
          m.assign(tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1)));
          v.assign(tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2)));
          next = tf.sub(w, tf.mul(tf.div(m, tf.add(tf.sqrt(v), c.epsilon)), adamLr));
        } else if (c.kind === 'adagrad') {
          const a = this.slot(name, 'accum', w, c.initialAccumulator);
          a.assign(tf.add(a, tf.square(g)));
          next = tf.sub(w, tf.mul(tf.div(g, tf.add(tf.sqrt(a), c.epsilon)), lr));
        } else if (c.momentum > 0) {
          const u = this.slot(name, 'momentum', w);
          u.assign(tf.add(tf.mul(u, c.momentum), g));
          next = tf.sub(w, tf.mul(u, lr));
        } else {
          next = tf.sub(w, tf.mul(g, lr));
        }
        if (c.weightDecay > 0 && !NO_DECAY.test(name)) next = tf.sub(next, tf.mul(w, lr * c.weightDecay));
        w.assign(next);
      }
    });
  }

  /** Adam on the flat slots: the per-variable update above, for all variables at once. */
  private applyFlatAdam(grads: Map<string, Tensor>, adamLr: number | Tensor): void {
    const c = this.config;
    const f = this.flatten();
    tf.tidy(() => {
      const g = tf.concat(f.names.map((n) => tf.reshape(grads.get(n) as Tensor, [-1])), 0);
      f.m.assign(tf.add(tf.mul(f.m, c.beta1), tf.mul(g, 1 - c.beta1)));
      f.v.assign(tf.add(tf.mul(f.v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2)));
      const steps = tf.split(tf.mul(tf.div(f.m, tf.add(tf.sqrt(f.v), c.epsilon)), adamLr), f.sizes);
      f.names.forEach((name, i) => {
        const w = this.vars.get(name) as Variable;
        let next = tf.sub(w, tf.reshape(steps[i], w.shape));
        if (c.weightDecay > 0 && !NO_DECAY.test(name)) next = tf.sub(next, tf.mul(w, c.learningRate * c.weightDecay));
        w.assign(next);
      });
    });
  }

  /** Moves Adam's per-variable slots (zeros where absent) into the flat ones. */
  private flatten(): NonNullable<Optimizer['flat']> {
    if (this.flat) return this.flat;
    const names = [...this.vars.keys()];
    const sizes = names.map((n) => (this.vars.get(n) as Variable).size);
    const gather = (which: string) =>
      tf.tidy(() => tf.variable(tf.concat(names.map((n, i) => tf.reshape(this.slots.get(`${n}/${which}`) ?? tf.zeros([sizes[i]]), [-1])), 0), false));
    this.flat = { names, sizes, m: gather('m'), v: gather('v') };
    for (const n of names) {
      for (const which of ['m', 'v']) {
        this.slots.get(`${n}/${which}`)?.dispose();
        this.slots.delete(`${n}/${which}`);
      }
    }
    return this.flat;
  }

  /** Moves the flat slots back into per-variable ones (for a partial step or a state load). */
  private unflatten(): void {
    const f = this.flat;
    if (!f) return;
    tf.tidy(() => {
      for (const [which, flat] of [['m', f.m], ['v', f.v]] as const) {
        const parts = tf.split(flat, f.sizes);
        f.names.forEach((n, i) => this.slots.set(`${n}/${which}`, tf.variable(tf.reshape(parts[i], (this.vars.get(n) as Variable).shape), false)));
      }
    });
    f.m.dispose();
    f.v.dispose();
    this.flat = null;
  }

  /** Slots and step count as host arrays (for checkpoints). */
  stateDict(): StateDict {
    const out: StateDict = { __step__: { shape: [1], values: Float32Array.of(this.step) } };
    for (const [k, v] of this.slots) out[k] = { shape: [...v.shape], values: v.dataSync() as Float32Array };
    if (this.flat) {
      const { names, sizes } = this.flat;
      const m = this.flat.m.dataSync() as Float32Array;
      const v = this.flat.v.dataSync() as Float32Array;
      let at = 0;
      names.forEach((n, i) => {
        const shape = [...(this.vars.get(n) as Variable).shape];
        out[`${n}/m`] = { shape, values: m.slice(at, at + sizes[i]) };
        out[`${n}/v`] = { shape, values: v.slice(at, at + sizes[i]) };
        at += sizes[i];
      });
    }
    return out;
  }

  /** Restores `stateDict()` output; slot names must match this optimiser's variables. */
  loadStateDict(state: StateDict): void {
    this.unflatten();
    for (const [k, s] of Object.entries(state)) {
      if (k === '__step__') {
        this.step = s.values[0];
        continue;
      }
      const [name, which] = k.split('/');
      const w = this.vars.get(name);
      if (!w || !which) throw new Error(`optimizer state: slot '${k}' matches no variable of the model`);
      const slot = this.slot(name, which, w);
      tf.tidy(() => slot.assign(tf.tensor(s.values, s.shape)));
    }
  }

  /** Frees the slot variables. */
  dispose(): void {
    for (const s of this.slots.values()) s.dispose();
    this.slots.clear();
    this.flat?.m.dispose();
    this.flat?.v.dispose();
    this.flat = null;
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`; returns the new map and the norm before clipping.
 * Call inside `tf.tidy`.
 */
export function clipByGlobalNorm(grads: Map<string, Tensor>, maxNorm: number): { grads: Map<string, Tensor>; norm: Tensor } {
  const norm = tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
  return { grads: new Map([...grads].map(([k, g]) => [k, tf.mul(g, scale)])), norm };
}
