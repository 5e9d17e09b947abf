/**
 * Compiled training steps (issue 19, first step): a step — forward, loss, tfjs's own gradients through the tape, the
 * optimiser's update — traced into a TensorFlow graph function and run as ONE native call.
 *
 * How: while tracing, tfjs-node's binding is swapped on the backend for one whose `executeOp` adds each kernel's op
 * to a TF_Graph (env/addon/graph_step.cc, compiled into tfjs-node's addon by env/build-tfjs-node.sh) and returns
 * symbolic tensors whose shapes come from graph shape inference. Step inputs become Placeholders; every variable the
 * step reads becomes a function input too, and every variable it assigns (tfjs's `Variable.assign` swaps dataIds)
 * becomes an output; any other tensor the step reads (constants created in JavaScript, lean-kernel shape tensors) is
 * frozen into the graph as a Const. The function is registered with the addon's eager context and each later step
 * runs it by name through the binding's ordinary `executeOp`; the outputs are swapped into the variables.
 *
 * Safety (never a wrong result, never silent): the graph is kept only when two traces of two consecutive steps with
 * the same input signature freeze the same constant values (a JS-side random mask or a step-dependent scalar would
 * differ and is caught); a kernel that reads values back to JavaScript, an output with a data-dependent shape, a
 * variable created during the trace, two variables sharing one buffer, or any op the graph builder rejects makes the
 * compiler fall back to eager for good, with one logged line giving the reason (`fallbackReason`).
 *
 * Coverage (test/compile/registry.test.ts): every registered model compiles — DNN, Wide&Deep, DeepFM, DIN, PNN,
 * AutoInt, the entire-space CVR models, cross-domain DNN, CoNet, MiNet, the live models (FARM, Moment&Cross and their
 * baselines) and the QARM ranker — and its losses match eager training over 20 steps (rtol 1e-5), its weights too
 * (after fewer steps for MiNet and four live models, where Adam turns last-bit rounding into visible steps; see that
 * test). Dropout in reclab's layers draws its masks with a TensorFlow op seeded by a stream variable
 * (src/layers/dropout.ts), so a compiled step draws new masks each step, the same ones an eager step draws. A step
 * that calls `tf.dropout` (masks drawn in JavaScript) still falls back. `RECLAB_XLA=1` also hands each function to
 * XLA (see `xlaEnabled`).
 * Measured (bench/compiled-step.ts, DIN, 2-core machine shared at load ~1.3): 2.5x eager samples/s at batch 1024,
 * 2.8x at 256; one native call per step instead of 307.
 *
 * The federated engine's vectorised clients compile too: their local step is a function of tensors (parameters, Adam
 * moments, data, dropout seed in; new values out), so `run` also takes a body that returns named outputs
 * (src/federated/client.ts `localTrain`; bench/federated-round.ts); so do centralised federated training
 * (src/federated/central.ts) and prediction (src/train/evaluate.ts `predict`: a forward pass, no variable written).
 * A tensor a model replaces between steps outside variables
 * is caught only when its values differ between the two probe traces. A JavaScript value the step
 * reads that changes only later (an epoch counter, a warm-up flag, a schedule) is frozen at the trace without notice:
 * pass such values in as step inputs (as the Stepper does with Adam's rate) or in `run`'s `key` (as the Stepper does
 * with the optimiser's config, so a changed learning rate is traced anew), or turn compilation off for that model.
 * No registered model's forward pass reads such state. The cross-domain trainer (src/pipelines/unicdr/fit.ts) compiles
 * too: UniCDR's critic shift is a step input, its warm-up (the model's `stepKey`) and the decaying learning rate go
 * into `key`.
 *
 * One function per graph, not per model: every call that builds the graph (op, attributes, input wiring, placeholder
 * dtypes and shapes, the frozen constants' bytes, the outputs) goes into a fingerprint, and a trace whose fingerprint
 * is registered already drops its graph and uses that function with its own variables. A pipeline's seeds (in one
 * process or fit worker) and a bench's warm-up and timed models thus share a function, which TensorFlow instantiates
 * (Grappler) and XLA compiles once per process: DIN's next model with XLA warms up in 0.2 s instead of
 * 2.1-2.2 s (bench/compiled-step.ts, two pairs, loaded machine). A released function stays registered while idle (the
 * last `IDLE_FUNCTIONS` released), since a pipeline disposes each model before it builds the next;
 * `releaseIdleFunctions` removes them. Each model still runs its own probe and trace: the probe's check that no
 * JavaScript value changes between steps is per model.
 */
import { createHash } from 'node:crypto';
import { tf } from '../tf.ts';
import type { Tensor, Variable } from '@tensorflow/tfjs';

/** The part of tfjs-node's binding the compiler uses (graph* entry points come from env/addon/graph_step.cc). */
interface Binding {
  executeOp(name: string, attrs: unknown[], ids: number[], n: number): OutInfo[];
  tensorDataSync(id: number): ArrayLike<number>;
  graphBegin(): void;
  graphAbort(): void;
  graphPlaceholder(id: number): number;
  graphConst(id: number): number;
  graphAddOp(name: string, attrs: Array<{ name: string; value: unknown }>, inputs: Array<number | number[]>, n: number): OutInfo[];
  graphFinish(name: string, inputs: number[], outputs: number[], xlaName?: string): void;
  graphXla?(): boolean;
  graphRemove(name: string): void;
}
interface OutInfo {
  id: number;
  shape: number[];
  dtype: number;
  unknownRank?: boolean;
}
interface NodeBackend {
  binding: Binding;
  tensorMap: { get(dataId: object): { id: number } | undefined };
  getInputTensorIds(tensors: Tensor[]): number[];
  refCount(dataId: object): number;
  createOutputTensor(info: OutInfo): Tensor;
}

/** A reason the step cannot be traced; the compiler falls back to eager with it. */
class TraceError extends Error {}
/** This step cannot be traced but a later one may: it runs eagerly and a later step is traced again (at most
 *  `MAX_RETRIES` times before falling back for good). */
class TryLater extends TraceError {}
/** The step creates or disposes variables (e.g. optimiser slots regrouped after a state load). */
class VariableChange extends TryLater {}
const MAX_RETRIES = 3;

/** Ops whose inputs include lists, as TF's op definitions declare them: a number is that many single inputs, an
 *  attribute name a list of that attribute's length, '*' all inputs as one list. */
const LIST_INPUTS: Record<string, Array<number | string>> = {
  ConcatV2: ['N', 1],
  Concat: [1, 'N'],
  AddN: ['N'],
  Pack: ['N'],
  DynamicStitch: ['N', 'N'],
  ParallelDynamicStitch: ['N', 'N'],
  Einsum: ['N'],
  IdentityN: ['*'],
};

function groupInputs(op: string, attrs: Array<{ name: string; value: unknown }>, ids: number[]): Array<number | number[]> {
  const spec = LIST_INPUTS[op];
  if (!spec) return ids;
  const out: Array<number | number[]> = [];
  let at = 0;
  for (const s of spec) {
    if (s === '*') {
      out.push(ids.slice(at));
      at = ids.length;
    } else if (typeof s === 'number') {
      for (let i = 0; i < s; i++) out.push(ids[at++]);
    } else {
      const n = Number(attrs.find((a) => a.name === s)?.value);
      out.push(ids.slice(at, at + n));
      at += n;
    }
  }
  if (at !== ids.length) throw new TraceError(`${op}: ${ids.length} inputs do not match its list arguments`);
  return out;
}

/**
 * A function registered with TensorFlow's eager context, shared by every plan whose trace built the same graph (two
 * models of one architecture, e.g. the seeds of a pipeline, or a bench's warm-up model and its timed one): the graph
 * binds no model's variables (they are inputs and outputs), so one function serves them all, and TensorFlow optimises
 * it (Grappler) and XLA compiles it once instead of once per model.
 */
interface SharedFunction {
  /** Fingerprint of the graph: every op, attribute, input wiring, placeholder signature and frozen constant. */
  key: string;
  fn: string;
  /** The same function registered with _XlaMustCompile (RECLAB_XLA=1), tried first; null when off or failed. */
  xla: string | null;
  /** Plans using it; when the last one goes it waits among the idle functions for a next model of its kind. */
  refs: number;
}

/** Registered functions by graph fingerprint (see {@link SharedFunction}), in use or idle. */
const sharedFunctions = new Map<string, SharedFunction>();
/**
 * Functions no plan uses, oldest first: a pipeline trains its seeds one after another, each model disposed before the
 * next is built, so a released function is kept for the next one. Beyond {@link IDLE_FUNCTIONS} the oldest is removed.
 */
const idleFunctions = new Map<string, SharedFunction>();
/** How many released functions stay registered for reuse. */
export const IDLE_FUNCTIONS = 8;

/** A compiled step: its function and what goes in and comes out besides the step inputs. */
interface Plan {
  shared: SharedFunction;
  /** The body's output names in output order, or null when it returns one tensor. */
  outKeys: string[] | null;
  reads: Variable[];
  writes: Variable[];
}

/** Per input signature: the constants of the first probe trace, then the compiled plan. */
interface Entry {
  probe: Array<Uint8Array> | null;
  plan: Plan | null;
}

let functionCounter = 0;

/** What a step body returns: the loss, or named output tensors. */
type Outputs = Tensor | Record<string, Tensor>;

/** Counters of a `StepCompiler`, for tests and the bench. */
export interface CompileStats {
  /** Traces run (two per input signature: a probe and the one compiled). */
  traces: number;
  /** Steps run as one native call. */
  compiledSteps: number;
  /** Steps run eagerly (warm-up, probe, or after a fallback). */
  eagerSteps: number;
}

/**
 * Traces and runs a training step body as a TensorFlow graph function, once per input signature (names, shapes and
 * dtypes of the step inputs). The body reads the inputs it is given (never tensors built outside it that change
 * between steps), may read and assign any `tf.Variable` created before the first call, and returns the loss scalar —
 * or, for a functional step that keeps its state in tensors (the federated engine's clients), a record of output
 * tensors by name.
 * Only the native (tfjs-node) backend compiles; elsewhere, and after a fallback, `run` calls the body eagerly.
 * @example
 * const compiler = new StepCompiler('DIN');
 * const loss = tf.tidy(() => compiler.run(batch, (b) => { const { value, grads } = tf.variableGrads(() => lossOf(b)); opt.apply(grads); return value; }));
 */
export class StepCompiler {
  /** Why this compiler runs steps eagerly for good (null while it compiles). */
  fallbackReason: string | null = null;
  /** Why XLA was dropped for this compiler's functions (RECLAB_XLA=1 only; null when it runs or is off). */
  xlaFailure: string | null = null;
  /** Trace and call counters. */
  readonly stats: CompileStats = { traces: 0, compiledSteps: 0, eagerSteps: 0 };
  private readonly entries = new Map<string, Entry>();
  private retries = 0;

  /** @param label model name used in the fallback log line. */
  constructor(private readonly label: string) {
    const b = tf.backend() as unknown as Partial<NodeBackend>;
    if (tf.getBackend() !== 'tensorflow' || typeof b.binding?.graphBegin !== 'function') {
      this.fallbackReason = tf.getBackend() !== 'tensorflow' ? `backend '${tf.getBackend()}' is not the native one` : 'the native addon lacks graph_step (run bash env/build-tfjs-node.sh --force)';
      process.stderr.write(`compile: ${this.label} runs eagerly: ${this.fallbackReason}\n`);
    }
  }

  /** Names of the functions this compiler has registered with TensorFlow's eager context (with XLA twins). */
  functionNames(): string[] {
    return [...this.entries.values()].flatMap((e) => (e.plan ? [e.plan.shared.fn, ...(e.plan.shared.xla ? [e.plan.shared.xla] : [])] : []));
  }

  /**
   * Releases this compiler's functions (call when its model is done training): each stays registered while another
   * model uses it, then idle for a next one (`releaseIdleFunctions` removes the idle ones).
   */
  dispose(): void {
    for (const e of this.entries.values()) {
      if (e.plan) removePlan(e.plan);
    }
    this.entries.clear();
  }

  /**
   * Runs one step: compiled when its signature has been traced and verified, else eagerly. Call inside `tf.tidy`.
   * @param key JavaScript values the body reads that may change between steps (e.g. the optimiser's config): part
   *   of the signature, so a new value is traced anew instead of running a graph that froze the old one.
   */
  run<T extends Record<string, Tensor>>(inputs: T, body: (inputs: T) => Tensor, key?: string): Tensor;
  run<T extends Record<string, Tensor>, R extends Record<string, Tensor>>(inputs: T, body: (inputs: T) => R, key?: string): R;
  run<T extends Record<string, Tensor>>(inputs: T, body: (inputs: T) => Outputs, key = ''): Outputs {
    if (this.fallbackReason) return this.eager(inputs, body);
    const keys = Object.keys(inputs).sort();
    const sig = `${key}|${keys.map((k) => `${k}:${inputs[k].dtype}[${inputs[k].shape.join(',')}]`).join(' ')}`;
    let entry = this.entries.get(sig);
    if (entry?.plan && entry.plan.reads.concat(entry.plan.writes).some((v) => v.isDisposed)) {
      removePlan(entry.plan);
      entry = undefined;
    }
    if (!entry) {
      entry = { probe: null, plan: null };
      this.entries.set(sig, entry);
    }
    if (entry.plan) return this.call(entry.plan, keys, inputs);
    try {
      const traced = this.trace(keys, inputs, body, entry.probe !== null);
      if (entry.probe === null) {
        entry.probe = traced.consts;
        return this.eager(inputs, body);
      }
      if (!sameConsts(entry.probe, traced.consts)) {
        throw new TraceError('a value computed in JavaScript (a random mask, a step-dependent scalar, a replaced tensor) differs between two steps, so it cannot be frozen into the graph');
      }
      entry.plan = traced.plan;
    } catch (e) {
      if (e instanceof TryLater && this.retries < MAX_RETRIES) {
        this.retries++;
        return this.eager(inputs, body);
      }
      this.fallbackReason = e instanceof TraceError ? e.message : `trace failed: ${(e as Error).message.split('\n')[0]}`;
      process.stderr.write(`compile: ${this.label} runs eagerly: ${this.fallbackReason}\n`);
      this.dispose();
      return this.eager(inputs, body);
    }
    return this.call(entry.plan as Plan, keys, inputs);
  }

  private eager<T extends Record<string, Tensor>>(inputs: T, body: (inputs: T) => Outputs): Outputs {
    this.stats.eagerSteps++;
    return body(inputs);
  }

  /** One native call of the compiled function; assigns the new variable values and returns the body's outputs. */
  private call(plan: Plan, keys: string[], inputs: Record<string, Tensor>): Outputs {
    const backend = tf.backend() as unknown as NodeBackend;
    const ids = backend.getInputTensorIds([...keys.map((k) => inputs[k]), ...plan.reads]);
    const nOut = plan.outKeys?.length ?? 1;
    const f = plan.shared;
    let infos: OutInfo[];
    try {
      infos = backend.binding.executeOp(f.xla ?? f.fn, [], ids, nOut + plan.writes.length);
    } catch (e) {
      if (!f.xla) throw e;
      // XLA could not compile or run this function: say so once and use the plain function from now on (every plan
      // sharing it too).
      process.stderr.write(`compile: ${this.label}: XLA failed, running the function without it: ${(e as Error).message.split('\n')[0]}\n`);
      this.xlaFailure = (e as Error).message.split('\n')[0];
      backend.binding.graphRemove(f.xla);
      f.xla = null;
      infos = backend.binding.executeOp(f.fn, [], ids, nOut + plan.writes.length);
    }
    const outs = infos.map((info) => backend.createOutputTensor(info));
    plan.writes.forEach((v, i) => {
      v.assign(outs[nOut + i]);
      outs[nOut + i].dispose();
    });
    this.stats.compiledSteps++;
    return plan.outKeys ? Object.fromEntries(plan.outKeys.map((k, i) => [k, outs[i]])) : outs[0];
  }

  /**
   * Traces `body` into a graph; `finish` registers it as a function (or finds the same graph registered), else the
   * graph is dropped (a probe: plan null).
   */
  private trace<T extends Record<string, Tensor>>(keys: string[], inputs: T, body: (inputs: T) => Outputs, finish: boolean): { consts: Uint8Array[]; plan: Plan | null } {
    this.stats.traces++;
    const backend = tf.backend() as unknown as NodeBackend;
    const binding = backend.binding;
    const engine = tf.engine() as unknown as {
      state: { registeredVariables: Record<string, Variable> };
      incRef(t: Tensor, b: null): void;
      disposeTensor(t: Tensor): void;
      makeVariable: unknown;
    };
    const inputIds = backend.getInputTensorIds(keys.map((k) => inputs[k]));
    // Two inputs on one buffer (e.g. a tensor and its tf.clone): the trace could not tell which one an op reads, and a
    // later step feeding them different values would compute with the wrong one. Trace a later step instead.
    if (new Set(inputIds).size < inputIds.length) {
      const dup = keys.filter((_, i) => inputIds.indexOf(inputIds[i]) !== i);
      throw new TryLater(`step inputs share one tensor buffer (${dup.join(', ')})`);
    }
    // Variables by the handle id they hold now; null where the handle is shared — by two variables, or by a variable
    // and another tensor (e.g. the tensor a variable was created from, still alive): a read of it could be either.
    const varByHandle = new Map<number, Variable | null>();
    for (const v of Object.values(engine.state.registeredVariables)) {
      if (v.isDisposed) continue;
      const [id] = backend.getInputTensorIds([v]);
      varByHandle.set(id, varByHandle.has(id) || backend.refCount(v.dataId) > 1 ? null : v);
    }
    const sym = new Map<number, number>();
    // Everything that builds the graph, in order: the fingerprint of the function (see SharedFunction).
    const recipe: string[] = [];
    const reads: Variable[] = [];
    const readSyms: number[] = [];
    const consts: Uint8Array[] = [];
    const toSym = (id: number): number => {
      if (id <= -2) return id;
      const known = sym.get(id);
      if (known !== undefined) return known;
      let s: number;
      const v = varByHandle.get(id);
      if (v === null) throw new TraceError('a variable shares its tensor buffer with another variable or tensor, so the step cannot tell which one it reads');
      if (v) {
        s = binding.graphPlaceholder(id);
        reads.push(v);
        readSyms.push(s);
        recipe.push(`read ${s} ${v.dtype}[${v.shape.join(',')}]`);
      } else {
        s = binding.graphConst(id);
        const values = binding.tensorDataSync(id) as unknown as ArrayBufferView;
        consts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
        // Its bytes join the fingerprint at the end (consts[i]); its dtype and shape show in the attributes and output
        // shapes of the ops that read it (recorded below).
        recipe.push(`const ${s} #${consts.length - 1}`);
      }
      sym.set(id, s);
      return s;
    };
    // Every Variable class in play: tf's, and any other copy of tfjs loaded in this process (its variables register
    // with the same global engine but have their own prototype, whose assign would bypass the patch below).
    type VariableProto = { assign: (this: Variable, value: Tensor) => void; dispose: (this: Variable) => void };
    const protos = new Set<VariableProto>([tf.Variable.prototype as unknown as VariableProto]);
    for (const v of Object.values(engine.state.registeredVariables)) protos.add(Object.getPrototypeOf(v) as VariableProto);
    const saved = [...protos].map((p) => ({ p, assign: p.assign, dispose: p.dispose }));
    const originals = new Map<Variable, object>();
    const tracing: Binding = Object.create(binding, {
      executeOp: {
        value: (name: string, attrs: Array<{ name: string; value: unknown }>, ids: number[], n: number): OutInfo[] => {
          const inputs = groupInputs(name, attrs, ids.map(toSym));
          const infos = binding.graphAddOp(name, attrs, inputs, n);
          recipe.push(`op ${name} ${JSON.stringify(attrs)} ${JSON.stringify(inputs)} -> ${infos.map((i) => `${i.id}:${i.dtype}[${i.shape.join(',')}]`).join(' ')}`);
          for (const info of infos) {
            if (info.unknownRank || info.shape.some((d) => d < 0)) throw new TraceError(`${name} has an output shape known only at run time (data-dependent)`);
          }
          return infos;
        },
      },
      tensorDataSync: {
        value: (id: number) => {
          if (id <= -2) throw new TraceError('a kernel reads a traced tensor back to JavaScript (dataSync)');
          return binding.tensorDataSync(id);
        },
      },
    });
    binding.graphBegin();
    const inputSyms = inputIds.map((id, i) => {
      const s = binding.graphPlaceholder(id);
      sym.set(id, s);
      recipe.push(`input ${s} ${keys[i]}:${inputs[keys[i]].dtype}[${inputs[keys[i]].shape.join(',')}]`);
      return s;
    });
    backend.binding = tracing;
    // During the trace an assign keeps the variable's real buffer alive (restored below) instead of freeing it.
    for (const { p, assign: origAssign } of saved) {
      p.assign = function (this: Variable, value: Tensor) {
        if (originals.has(this) || value.dtype !== this.dtype || value.shape.join() !== this.shape.join()) return origAssign.call(this, value);
        originals.set(this, this.dataId);
        (this as unknown as { dataId: object }).dataId = value.dataId;
        engine.incRef(this, null);
      };
      // Creating or disposing a variable inside the trace would act on real state with symbolic values: refuse it
      // before it happens (the step then runs eagerly and a later one is traced).
      p.dispose = function (this: Variable) {
        throw new VariableChange(`the step disposes variable '${this.name}'`);
      };
    }
    engine.makeVariable = () => {
      throw new VariableChange('the step creates a variable');
    };
    let result: Outputs | null = null;
    let done = false;
    try {
      const out = tf.tidy(() => body(inputs));
      result = out;
      const outKeys = out instanceof tf.Tensor ? null : Object.keys(out).sort();
      const outputs = outKeys ? outKeys.map((k) => (out as Record<string, Tensor>)[k]) : [out as Tensor];
      const writes = [...originals.keys()];
      const outSyms = [...outputs, ...writes].map((t) => {
        const info = backend.tensorMap.get(t.dataId);
        if (!info) throw new TraceError('a step output has no data');
        return toSym(info.id);
      });
      for (const v of Object.values(engine.state.registeredVariables)) {
        const info = v.isDisposed ? undefined : backend.tensorMap.get(v.dataId);
        if (info && info.id <= -2 && !originals.has(v)) throw new TraceError(`variable '${v.name}' was created during the trace (create optimiser slots before compiling)`);
      }
      // A probe trace only yields its constants; the graph is dropped below.
      if (!finish) return { consts, plan: null };
      const xla = xlaEnabled() && typeof binding.graphXla === 'function';
      recipe.push(`outputs ${JSON.stringify(outKeys)} ${outSyms.join(',')} reads ${readSyms.join(',')} xla ${xla}`);
      const hash = createHash('sha1').update(recipe.join('\n'));
      for (const c of consts) hash.update(c);
      const key = hash.digest('hex');
      let shared = sharedFunctions.get(key);
      if (shared) {
        // The same graph is registered already (another model of this architecture): use it, drop this one.
        binding.graphAbort();
        shared.refs++;
        idleFunctions.delete(key);
      } else {
        const fn = `reclab_step_${process.pid}_${functionCounter++}`;
        shared = { key, fn, xla: xla ? `${fn}_xla` : null, refs: 1 };
        binding.graphFinish(shared.fn, [...inputSyms, ...readSyms], outSyms, shared.xla ?? undefined);
        sharedFunctions.set(key, shared);
      }
      done = true;
      return { consts, plan: { shared, outKeys, reads, writes } };
    } finally {
      if (!done) binding.graphAbort();
      backend.binding = binding;
      for (const { p, assign, dispose } of saved) Object.assign(p, { assign, dispose });
      delete engine.makeVariable; // back to the prototype's method
      for (const [v, dataId] of originals) {
        engine.disposeTensor(v);
        (v as unknown as { dataId: object }).dataId = dataId;
      }
      if (result) tf.dispose(result);
    }
  }
}

/** Drops a plan's use of its function; the last user leaves it idle (kept for reuse, see `idleFunctions`). */
function removePlan(plan: Plan): void {
  const f = plan.shared;
  if (--f.refs > 0) return;
  idleFunctions.set(f.key, f);
  while (idleFunctions.size > IDLE_FUNCTIONS) removeFunction(idleFunctions.values().next().value as SharedFunction);
}

function removeFunction(f: SharedFunction): void {
  idleFunctions.delete(f.key);
  sharedFunctions.delete(f.key);
  const binding = (tf.backend() as unknown as NodeBackend).binding;
  binding.graphRemove(f.fn);
  if (f.xla) binding.graphRemove(f.xla);
}

/**
 * Removes every compiled function no model uses any more from TensorFlow's eager context (they are otherwise kept,
 * the last {@link IDLE_FUNCTIONS} released, for a next model with the same graph). Returns how many it removed.
 * @example
 * model.dispose(); releaseIdleFunctions(); // nothing of the model is left in TensorFlow
 */
export function releaseIdleFunctions(): number {
  const n = idleFunctions.size;
  for (const f of [...idleFunctions.values()]) removeFunction(f);
  return n;
}

/**
 * Whether compiled step functions are also handed to XLA (TensorFlow's JIT compiles each function whole):
 * `RECLAB_XLA=1`, off by default (measured in bench/compiled-step.ts; a function XLA cannot compile runs without it
 * after one logged line).
 * @example
 * xlaEnabled(); // false unless RECLAB_XLA=1
 */
export function xlaEnabled(): boolean {
  const v = process.env.RECLAB_XLA;
  if (v === undefined || v === '' || v === '0') return false;
  if (v === '1') return true;
  throw new Error(`RECLAB_XLA=${v}: expected 0 (default) or 1`);
}

function sameConsts(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.compare(x, b[i]) === 0);
}

/**
 * Whether compiled steps are on: by default yes on the native backend and no elsewhere (nothing to compile with);
 * `RECLAB_COMPILE=0` turns them off (every step eager, as before issue 19), `RECLAB_COMPILE=1` asks for them on any
 * backend (a compiler that cannot compile says so once and runs eagerly).
 * @example
 * compileEnabled(); // true unless RECLAB_COMPILE=0
 */
export function compileEnabled(): boolean {
  const v = process.env.RECLAB_COMPILE;
  if (v === undefined || v === '') return tf.getBackend() === 'tensorflow';
  if (v === '1') return true;
  if (v === '0') return false;
  throw new Error(`RECLAB_COMPILE=${v}: expected 0 (eager steps) or 1 (compiled steps, the default)`);
}
