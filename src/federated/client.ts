/**
 * The client side, vectorised: C clients' parameter copies stacked on a leading axis, local training with per-client
 * Adam (fresh each round, as each client rebuilds its optimiser, unless the private moments are carried), each local
 * step one compiled TensorFlow function when the engine passes a compiler, and evaluation of held-out interactions.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { ClientBatch, FedModel, LossContext, ParamMap } from './types.ts';
import type { StepCompiler } from '../train/compile.ts';
import { maskedBce } from './ops.ts';

/** Server- and device-side state a chunk of clients reads. */
export interface ChunkState {
  /** Public and frozen values by name (shape). */
  shared: Map<string, Tensor>;
  /** Group tables by name (K, ...). */
  tables: Map<string, Tensor>;
  /** Private values by name, host arrays (users * size). */
  privateStore: Map<string, { shape: number[]; values: Float32Array }>;
}

/** Tiles a shared value to C copies: (...shape) -> (C, ...shape). */
function tileC(x: Tensor, C: number): Tensor {
  return tf.tile(tf.expandDims(x, 0), [C, ...x.shape.map(() => 1)]);
}

/**
 * The per-client parameters of a chunk before routing: shared values tiled, private rows gathered from the store.
 * @example
 * const p = chunkParams(model, state, batch); // p['pos'] (C, T, D)
 */
export function chunkParams(model: FedModel, state: ChunkState, batch: ClientBatch): ParamMap {
  const C = batch.users.length;
  const out: ParamMap = {};
  for (const [name, v] of state.shared) out[name] = tileC(v, C);
  for (const [name, s] of state.privateStore) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const buf = new Float32Array(C * size);
    batch.users.forEach((u, c) => buf.set(s.values.subarray(u * size, (u + 1) * size), c * size));
    out[name] = tf.tensor(buf, [C, ...s.shape]);
  }
  void model;
  return out;
}

/**
 * Routes the chunk (model.assignGroups) and gathers each client's group parameters from the tables.
 * @example
 * const { params, routes } = routeChunk(model, state, batch, base);
 */
export function routeChunk(model: FedModel, state: ChunkState, batch: ClientBatch, base: ParamMap): { params: ParamMap; routes: Record<string, Int32Array> } {
  const tables = Object.fromEntries(state.tables);
  const routes = model.assignGroups(base, tables, batch);
  const params: ParamMap = { ...base };
  for (const [name, table] of state.tables) {
    const g = model.role(name).grouping as string;
    const r = routes[g];
    if (!r) throw new Error(`federated: model assigned no groups for grouping '${g}' (parameter '${name}')`);
    params[name] = tf.gather(table, tf.tensor1d(r, 'int32')); // (C, ...)
  }
  return { params, routes };
}

/** Options of local training. */
export interface LocalOptions {
  steps: number;
  learningRate: number;
  /** FedProx mu (0 = plain FedAvg local objective). */
  proxMu: number;
  /** Names trained on the device (public, private and group; not frozen). */
  trainable: string[];
  /** Names the prox term anchors (public and group). */
  anchored: Set<string>;
  /** Per trainable name: learning-rate multiplier and decoupled weight decay (absent = 1 and 0). */
  optim?: Map<string, { lrScale: number; weightDecay: number }>;
  /**
   * Adam state carried in from earlier rounds for some trainables (a client keeping its optimiser between rounds):
   * per name the first and second moments, each the shape of the (C, ...) parameter copies, and per client the local
   * steps it has already taken (bias correction continues from there). Names not listed start fresh (zeros, step 0).
   */
  carried?: { m: Map<string, Tensor>; v: Map<string, Tensor>; steps: Float32Array };
  /**
   * Runs each local step as one compiled TensorFlow function (src/train/compile.ts; one compiler per run, since it
   * caches a function per chunk shape); null or absent = eager steps.
   */
  compiler?: StepCompiler | null;
}

/** What a chunk's local training reads besides its parameters and data. */
export interface ChunkContext {
  /** The chunk's dropout key (local step s draws its masks from the seed [key, s]). */
  key: number;
  /** Group index per grouping, each (C) int32. */
  groups: Record<string, Tensor>;
  /** The server's share of clients per group in the previous round, by grouping (empty in round 1). */
  groupShare: Record<string, Float32Array>;
}

/**
 * Local training of C clients at once: the objective is the sum over clients of each client's own mean BCE (+ aux
 * term + prox term), so the gradient w.r.t. client c's copy is client c's own gradient. Adam per element, fresh state
 * unless `o.carried` brings a name's moments and the clients' step counts from earlier rounds; per-parameter
 * learning-rate multipliers and decoupled weight decay from `o.optim` (the model's `localOptim`).
 * Each step is a function of tensors only (parameters, moments, data, seed, rates in; new parameters, moments and the
 * loss out), so with `o.compiler` it runs as one native call.
 * Returns the trained copies (kept), the mean per-client loss at the first step, and for the carried names their
 * moments after the last step (kept; the caller disposes them).
 * @example
 * const { params, loss } = localTrain(model, start, batch, { key: 7, groups, groupShare: {} }, opts);
 */
export function localTrain(model: FedModel, start: ParamMap, batch: ClientBatch, chunk: ChunkContext, o: LocalOptions): { params: ParamMap; loss: number; moments: { m: Map<string, Tensor>; v: Map<string, Tensor> } } {
  const C = batch.users.length;
  const b1 = 0.9;
  const b2 = 0.999;
  const carried = o.carried;
  if (carried && carried.steps.length !== C) throw new Error(`localTrain: carried Adam steps for ${carried.steps.length} clients, the chunk has ${C}`);
  // Own buffers (not tf.clone, which shares one): a compiled step's inputs must not share a buffer with `start`.
  let cur = o.trainable.map((n) => tf.keep(tf.add(start[n], 0)));
  let m = cur.map((x, i) => tf.keep(carried?.m.has(o.trainable[i]) ? tf.clone(carried.m.get(o.trainable[i]) as Tensor) : tf.zerosLike(x)));
  let v = cur.map((x, i) => tf.keep(carried?.v.has(o.trainable[i]) ? tf.clone(carried.v.get(o.trainable[i]) as Tensor) : tf.zerosLike(x)));
  for (const [i, n] of o.trainable.entries()) {
    if (carried?.m.has(n) && !(m[i].shape.length === cur[i].shape.length && m[i].shape.every((d, k) => d === cur[i].shape[k]))) {
      throw new Error(`localTrain: carried Adam moments of '${n}' have shape [${m[i].shape}], the parameter copies [${cur[i].shape}]`);
    }
  }
  const trainable = new Set(o.trainable);
  // What a step reads of `start`: the values it does not train, and the prox term's anchors.
  const fixed = Object.keys(start).filter((n) => !trainable.has(n) || (o.proxMu > 0 && o.anchored.has(n)));
  const tensorFields = (Object.keys(batch) as Array<keyof ClientBatch>).filter((k) => batch[k] instanceof tf.Tensor);
  const carriedRate = (i: number) => carried?.m.has(o.trainable[i]) ?? false;

  /** One local step as a function of named tensors; see the names built below. */
  const stepOf = (inp: Record<string, Tensor>): Record<string, Tensor> => {
    const xs = o.trainable.map((n) => inp[`x:${n}`]);
    const anchor = (n: string) => inp[`start:${n}`];
    const b = { ...batch, ...Object.fromEntries(tensorFields.map((k) => [k, inp[`batch:${k}`]])) } as ClientBatch;
    const ctx: LossContext = {
      training: true,
      seed: inp.seed,
      groups: Object.fromEntries(Object.keys(chunk.groups).map((g) => [g, inp[`groups:${g}`]])),
      groupShare: Object.fromEntries(Object.keys(chunk.groupShare).map((g) => [g, inp[`share:${g}`]])),
    };
    const f = (...ws: Tensor[]): Tensor => {
      const p: ParamMap = Object.fromEntries(fixed.map((n) => [n, anchor(n)]));
      o.trainable.forEach((n, i) => (p[n] = ws[i]));
      const out = model.forward(p, b, ctx);
      let perClient = maskedBce(out.logits, b.labels, b.lossMask); // (C)
      if (out.aux) perClient = tf.add(perClient, out.aux);
      let total = tf.sum(perClient);
      if (o.proxMu > 0) {
        o.trainable.forEach((n, i) => {
          if (o.anchored.has(n)) total = tf.add(total, tf.mul(o.proxMu / 2, tf.sum(tf.square(tf.sub(ws[i], anchor(n))))));
        });
      }
      // A zero-weighted term keeps every trainable on the tape (e.g. MRFF's router has no gradient in round 1).
      return tf.add(total, tf.mul(0, tf.addN(ws.map((w) => tf.sum(w)))));
    };
    const { value, grads } = tf.valueAndGrads(f)(xs);
    const out: Record<string, Tensor> = { loss: value };
    o.trainable.forEach((n, i) => {
      const g = grads[i];
      const nm = tf.add(tf.mul(inp[`m:${n}`], b1), tf.mul(g, 1 - b1));
      const nv = tf.add(tf.mul(inp[`v:${n}`], b2), tf.mul(tf.square(g), 1 - b2));
      const oi = o.optim?.get(n);
      const scale = oi?.lrScale ?? 1;
      const x = xs[i];
      const decayed = oi && oi.weightDecay > 0 ? tf.mul(x, 1 - o.learningRate * scale * oi.weightDecay) : x;
      // Carried names: each client's bias-corrected rate at its own step count, shape (C, 1, ...).
      const rate = carriedRate(i) ? tf.mul(tf.reshape(inp.clientRate, [C, ...x.shape.slice(1).map(() => 1)]), scale) : tf.mul(inp.rate, scale);
      out[`x:${n}`] = tf.sub(decayed, tf.mul(tf.div(nm, tf.add(tf.sqrt(nv), 1e-8)), rate));
      out[`m:${n}`] = nm;
      out[`v:${n}`] = nv;
    });
    return out;
  };

  let firstLoss = NaN;
  for (let step = 1; step <= o.steps; step++) {
    const res = tf.tidy(() => {
      const inp: Record<string, Tensor> = {
        seed: tf.tensor1d([chunk.key, step], 'int32'),
        rate: tf.scalar((o.learningRate * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step)),
      };
      if (carried) inp.clientRate = tf.tensor1d(Float32Array.from(carried.steps, (s) => (o.learningRate * Math.sqrt(1 - b2 ** (s + step))) / (1 - b1 ** (s + step))));
      o.trainable.forEach((n, i) => Object.assign(inp, { [`x:${n}`]: cur[i], [`m:${n}`]: m[i], [`v:${n}`]: v[i] }));
      for (const n of fixed) inp[`start:${n}`] = start[n];
      for (const k of tensorFields) inp[`batch:${k}`] = batch[k] as Tensor;
      for (const [g, t] of Object.entries(chunk.groups)) inp[`groups:${g}`] = t;
      for (const [g, a] of Object.entries(chunk.groupShare)) inp[`share:${g}`] = tf.tensor1d(a);
      const out = o.compiler ? o.compiler.run(inp, stepOf) : stepOf(inp);
      return {
        loss: step === 1 ? out.loss.dataSync()[0] / C : NaN,
        np: o.trainable.map((n) => tf.keep(out[`x:${n}`])),
        nm: o.trainable.map((n) => tf.keep(out[`m:${n}`])),
        nv: o.trainable.map((n) => tf.keep(out[`v:${n}`])),
      };
    });
    if (step === 1) firstLoss = res.loss;
    tf.dispose([...cur, ...m, ...v]);
    cur = res.np;
    m = res.nm;
    v = res.nv;
  }
  const moments = { m: new Map<string, Tensor>(), v: new Map<string, Tensor>() };
  o.trainable.forEach((n, i) => {
    if (carried?.m.has(n)) {
      moments.m.set(n, m[i]);
      moments.v.set(n, v[i]);
    } else tf.dispose([m[i], v[i]]);
  });
  const params: ParamMap = {};
  o.trainable.forEach((n, i) => (params[n] = cur[i]));
  return { params, loss: firstLoss, moments };
}

/**
 * Probabilities of the held-out interactions of C clients (client c's last `batch.samples[c]` positions; one per client
 * under leave-one-out), client by client in time order — the order of `heldOutRows`.
 * @example
 * const p = predictHeldOut(model, params, batch, routes); // Float32Array (C under leave-one-out)
 */
export function predictHeldOut(model: FedModel, params: ParamMap, batch: ClientBatch, routes: Record<string, Int32Array>): Float32Array {
  return tf.tidy(() => {
    const groups = Object.fromEntries(Object.entries(routes).map(([g, r]) => [g, tf.tensor1d(r, 'int32')]));
    const ctx: LossContext = { training: false, seed: null, groups, groupShare: {} };
    const { logits } = model.forward(params, batch, ctx); // (C, T)
    const [C, T] = logits.shape as [number, number];
    let held = 0;
    for (const k of batch.samples) held += k;
    if (held === C) return tf.sigmoid(tf.reshape(tf.slice(logits, [0, T - 1], [-1, 1]), [-1])).dataSync() as Float32Array;
    // Several held-out targets per client, at its last samples[c] positions.
    const all = tf.sigmoid(logits).dataSync() as Float32Array;
    const out = new Float32Array(held);
    let o = 0;
    for (let c = 0; c < C; c++) for (let t = T - batch.samples[c]; t < T; t++) out[o++] = all[c * T + t];
    return out;
  });
}
