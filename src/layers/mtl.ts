/**
 * Multi-task heads over a shared input vector, built on `Gate` / `mixExperts` (src/layers/experts.ts):
 * - MMoE (Ma et al., "Modeling Task Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts",
 *   KDD 2018, https://doi.org/10.1145/3219819.3220007): E shared experts, one softmax gate per task,
 *     h_t = sum_e g_t(x)_e f_e(x);   logit_t = Tower_t(h_t)
 * - PLE (Tang et al., "Progressive Layered Extraction (PLE)", RecSys 2020, https://doi.org/10.1145/3383313.3412236):
 *   L extraction levels (CGC); level l has task-specific experts per task and shared experts; task t's gate mixes its
 *   own and the shared experts, the shared gate (every level but the last) mixes all experts:
 *     h_t^{l} = sum g_t^{l}(h_t^{l-1}) [E_t^{l}(h_t^{l-1}); E_s^{l}(h_s^{l-1})]
 *     h_s^{l} = sum g_s^{l}(h_s^{l-1}) [E_1^{l}; ...; E_T^{l}; E_s^{l}]      (h^0 = x for every t and s)
 *     logit_t = Tower_t(h_t^{L})
 * Both return one logit (B) per task name. `checkTaskNames` is the one place a task list is validated.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Module } from './module.ts';
import { MLP } from './dense.ts';
import { Gate, mixExperts } from './experts.ts';
import type { Rng } from '../random.ts';

/**
 * Checks a requested task list against the tasks the data offers: non-empty, no repeats, every name known. The
 * error names the unknown task and the known ones.
 * @example
 * checkTaskNames(['click', 'gift'], ['click', 'like', 'gift'], 'farm config'); // ok
 * checkTaskNames(['clik'], ['click'], 'farm config'); // throws "farm config: unknown task 'clik' (known: click)"
 */
export function checkTaskNames(tasks: readonly string[], known: readonly string[], where: string): void {
  if (!tasks.length) throw new Error(`${where}: the task list is empty (known: ${known.join(', ')})`);
  const seen = new Set<string>();
  for (const t of tasks) {
    if (!known.includes(t)) throw new Error(`${where}: unknown task '${t}' (known: ${known.join(', ')})`);
    if (seen.has(t)) throw new Error(`${where}: task '${t}' is listed twice`);
    seen.add(t);
  }
}

/** Sizes of an MMoE head; defaults in `MMOE_DEFAULTS`. */
export interface MMoEConfig {
  /** Number of shared experts E. */
  experts: number;
  /** Hidden widths of each expert MLP (ReLU); the expert output is the last width. */
  expertHidden: number[];
  /** Hidden widths of each task tower (ReLU) before its logit. */
  tower: number[];
  dropout: number;
}
/** Defaults: 4 experts [256, 128], towers [64], dropout 0.1 (spec farm.md §3.5 sizes). */
export const MMOE_DEFAULTS: MMoEConfig = { experts: 4, expertHidden: [256, 128], tower: [64], dropout: 0.1 };

/** Sizes of a PLE head; defaults in `PLE_DEFAULTS`. */
export interface PLEConfig {
  /** Extraction levels (CGC layers). */
  levels: number;
  /** Shared experts per level. */
  sharedExperts: number;
  /** Task-specific experts per task and level. */
  taskExperts: number;
  expertHidden: number[];
  tower: number[];
  dropout: number;
}
/** Defaults (spec farm.md §3.5 Proposal): 2 levels, 2 shared + 1 task expert, experts [256, 128], towers [64]. */
export const PLE_DEFAULTS: PLEConfig = { levels: 2, sharedExperts: 2, taskExperts: 1, expertHidden: [256, 128], tower: [64], dropout: 0.1 };

function checkSizes(where: string, tasks: readonly string[], sizes: Record<string, number | number[]>): void {
  if (!tasks.length) throw new Error(`${where}: at least one task is needed`);
  if (new Set(tasks).size !== tasks.length) throw new Error(`${where}: task names repeat (${tasks.join(', ')})`);
  for (const [k, v] of Object.entries(sizes)) {
    const ok = Array.isArray(v) ? v.every((w) => Number.isInteger(w) && w >= 1) && (k !== 'expertHidden' || v.length > 0) : Number.isInteger(v) && v >= 1;
    if (!ok) throw new Error(`${where} config: '${k}' must be positive integer(s), got ${JSON.stringify(v)}`);
  }
}

/** n expert MLPs named `<prefix><e>`, registered through `register` (the owner's `module`). */
function expertBank(register: (name: string, m: MLP) => MLP, rng: Rng, prefix: string, n: number, inDim: number, hidden: number[], dropout: number): MLP[] {
  return Array.from({ length: n }, (_, e) => register(`${prefix}${e}`, new MLP(rng, inDim, { hidden, outDim: 0, dropout })));
}

function runExperts(experts: MLP[], x: Tensor, training: boolean): Tensor[] {
  return experts.map((f) => f.apply(x, training)); // each (B, H)
}

/**
 * MMoE head: experts `expert<e>`, gates `<task>Gate`, towers `<task>Tower`; `apply(x)` gives logits (B) by task.
 * @example
 * const head = new MMoE(rng, 64, ['click', 'like'], { experts: 3 });
 * head.apply(x, true).like; // x (B, 64) -> (B)
 */
export class MMoE extends Module {
  readonly config: MMoEConfig;
  readonly tasks: readonly string[];
  private readonly experts: MLP[];
  private readonly gates = new Map<string, Gate>();
  private readonly towers = new Map<string, MLP>();

  constructor(rng: Rng, readonly inDim: number, tasks: readonly string[], config: Partial<MMoEConfig> = {}) {
    super(rng);
    this.config = { ...MMOE_DEFAULTS, ...config };
    const c = this.config;
    checkSizes('MMoE', tasks, { experts: c.experts, expertHidden: c.expertHidden, tower: c.tower });
    this.tasks = [...tasks];
    this.experts = expertBank((n, m) => this.module(n, m), this.rng, 'expert', c.experts, inDim, c.expertHidden, c.dropout);
    const H = c.expertHidden[c.expertHidden.length - 1];
    for (const t of tasks) {
      this.gates.set(t, this.module(`${t}Gate`, new Gate(this.rng, inDim, c.experts)));
      this.towers.set(t, this.module(`${t}Tower`, new MLP(this.rng, H, { hidden: c.tower, outDim: 1, dropout: c.dropout })));
    }
  }

  /** Logits (B) by task; also the gate weights (B, E) by task under `gates`. */
  applyWithGates(x: Tensor, training: boolean): { logits: Record<string, Tensor>; gates: Record<string, Tensor> } {
    const experts = tf.stack(runExperts(this.experts, x, training), 1); // (B, E, H)
    const logits: Record<string, Tensor> = {};
    const gates: Record<string, Tensor> = {};
    for (const t of this.tasks) {
      const g = (this.gates.get(t) as Gate).apply(x); // (B, E)
      gates[t] = g;
      logits[t] = tf.reshape((this.towers.get(t) as MLP).apply(mixExperts(g, experts), training), [-1]); // (B)
    }
    return { logits, gates };
  }

  /** Logits (B) by task. x (B, In). */
  apply(x: Tensor, training: boolean): Record<string, Tensor> {
    return this.applyWithGates(x, training).logits;
  }
}

/**
 * PLE head: level l holds `level<l>.<task>Expert<e>`, `level<l>.sharedExpert<e>`, `level<l>.<task>Gate` and (all but
 * the last level) `level<l>.sharedGate`; towers `<task>Tower`. `apply(x)` gives logits (B) by task.
 * @example
 * const head = new PLE(rng, 64, ['click', 'gift'], { levels: 2 });
 * head.apply(x, false).gift; // x (B, 64) -> (B)
 */
export class PLE extends Module {
  readonly config: PLEConfig;
  readonly tasks: readonly string[];
  private readonly levels: CGCLevel[] = [];
  private readonly towers = new Map<string, MLP>();

  constructor(rng: Rng, readonly inDim: number, tasks: readonly string[], config: Partial<PLEConfig> = {}) {
    super(rng);
    this.config = { ...PLE_DEFAULTS, ...config };
    const c = this.config;
    checkSizes('PLE', tasks, { levels: c.levels, sharedExperts: c.sharedExperts, taskExperts: c.taskExperts, expertHidden: c.expertHidden, tower: c.tower });
    this.tasks = [...tasks];
    let d = inDim;
    for (let l = 0; l < c.levels; l++) {
      this.levels.push(this.module(`level${l}`, new CGCLevel(this.rng, d, tasks, c, l === c.levels - 1)));
      d = c.expertHidden[c.expertHidden.length - 1];
    }
    for (const t of tasks) this.towers.set(t, this.module(`${t}Tower`, new MLP(this.rng, d, { hidden: c.tower, outDim: 1, dropout: c.dropout })));
  }

  /** Logits (B) by task. x (B, In). */
  apply(x: Tensor, training: boolean): Record<string, Tensor> {
    let inputs: CGCInputs = { tasks: Object.fromEntries(this.tasks.map((t) => [t, x])), shared: x };
    for (const level of this.levels) inputs = level.apply(inputs, training);
    const logits: Record<string, Tensor> = {};
    for (const t of this.tasks) logits[t] = tf.reshape((this.towers.get(t) as MLP).apply(inputs.tasks[t], training), [-1]); // (B)
    return logits;
  }
}

/** Inputs / outputs of one CGC level: one (B, H) tensor per task and one for the shared branch. */
interface CGCInputs {
  tasks: Record<string, Tensor>;
  shared: Tensor;
}

/** One customised gate control (CGC) level of PLE. */
class CGCLevel extends Module {
  private readonly taskExperts = new Map<string, MLP[]>();
  private readonly shared: MLP[];
  private readonly gates = new Map<string, Gate>();
  private readonly sharedGate: Gate | null;

  constructor(rng: Rng, inDim: number, private readonly tasks: readonly string[], c: PLEConfig, last: boolean) {
    super(rng);
    const reg = (n: string, m: MLP): MLP => this.module(n, m);
    for (const t of tasks) this.taskExperts.set(t, expertBank(reg, this.rng, `${t}Expert`, c.taskExperts, inDim, c.expertHidden, c.dropout));
    this.shared = expertBank(reg, this.rng, 'sharedExpert', c.sharedExperts, inDim, c.expertHidden, c.dropout);
    for (const t of tasks) this.gates.set(t, this.module(`${t}Gate`, new Gate(this.rng, inDim, c.taskExperts + c.sharedExperts)));
    this.sharedGate = last ? null : this.module('sharedGate', new Gate(this.rng, inDim, tasks.length * c.taskExperts + c.sharedExperts));
  }

  apply(inputs: CGCInputs, training: boolean): CGCInputs {
    const shared = runExperts(this.shared, inputs.shared, training); // each (B, H)
    const own: Record<string, Tensor[]> = {};
    const out: Record<string, Tensor> = {};
    for (const t of this.tasks) {
      own[t] = runExperts(this.taskExperts.get(t) as MLP[], inputs.tasks[t], training); // each (B, H)
      const g = (this.gates.get(t) as Gate).apply(inputs.tasks[t]); // (B, Et + Es)
      out[t] = mixExperts(g, tf.stack([...own[t], ...shared], 1)); // (B, H)
    }
    if (!this.sharedGate) return { tasks: out, shared: inputs.shared };
    const all = tf.stack([...this.tasks.flatMap((t) => own[t]), ...shared], 1); // (B, T*Et + Es, H)
    return { tasks: out, shared: mixExperts(this.sharedGate.apply(inputs.shared), all) }; // (B, H)
  }
}
