/**
 * The client side, vectorised: C clients' parameter copies stacked on a leading axis, local training with per-client
 * Adam (fresh each round, as each client rebuilds its optimiser), and evaluation of held-out interactions.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import type { ClientBatch, FedModel, LossContext, ParamMap } from './types.ts';
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
}

/**
 * Local training of C clients at once: the objective is the sum over clients of each client's own mean BCE (+ aux
 * term + prox term), so the gradient w.r.t. client c's copy is client c's own gradient. Adam per element, fresh state
 * unless `o.carried` brings a name's moments and the clients' step counts from earlier rounds; per-parameter
 * learning-rate multipliers and decoupled weight decay from `o.optim` (the model's `localOptim`).
 * Returns the trained copies (kept), the mean per-client loss at the first step, and for the carried names their
 * moments after the last step (kept; the caller disposes them).
 * @example
 * const { params, loss } = localTrain(model, start, batch, ctx, opts);
 */
export function localTrain(model: FedModel, start: ParamMap, batch: ClientBatch, ctx: LossContext, o: LocalOptions): { params: ParamMap; loss: number; moments: { m: Map<string, Tensor>; v: Map<string, Tensor> } } {
  const C = batch.users.length;
  const b1 = 0.9;
  const b2 = 0.999;
  const carried = o.carried;
  if (carried && carried.steps.length !== C) throw new Error(`localTrain: carried Adam steps for ${carried.steps.length} clients, the chunk has ${C}`);
  let cur = o.trainable.map((n) => tf.keep(tf.clone(start[n])));
  let m = cur.map((x, i) => tf.keep(carried?.m.has(o.trainable[i]) ? tf.clone(carried.m.get(o.trainable[i]) as Tensor) : tf.zerosLike(x)));
  let v = cur.map((x, i) => tf.keep(carried?.v.has(o.trainable[i]) ? tf.clone(carried.v.get(o.trainable[i]) as Tensor) : tf.zerosLike(x)));
  for (const [i, n] of o.trainable.entries()) {
    if (carried?.m.has(n) && !(m[i].shape.length === cur[i].shape.length && m[i].shape.every((d, k) => d === cur[i].shape[k]))) {
      throw new Error(`localTrain: carried Adam moments of '${n}' have shape [${m[i].shape}], the parameter copies [${cur[i].shape}]`);
    }
  }
  let firstLoss = NaN;
  for (let step = 1; step <= o.steps; step++) {
    const res = tf.tidy(() => {
      const f = (...xs: Tensor[]): Tensor => {
        const p: ParamMap = { ...start };
        o.trainable.forEach((n, i) => (p[n] = xs[i]));
        const out = model.forward(p, batch, { ...ctx, seed: ctx.seed + step });
        let perClient = maskedBce(out.logits, batch.labels, batch.lossMask); // (C)
        if (out.aux) perClient = tf.add(perClient, out.aux);
        let total = tf.sum(perClient);
        if (o.proxMu > 0) {
          o.trainable.forEach((n, i) => {
            if (o.anchored.has(n)) total = tf.add(total, tf.mul(o.proxMu / 2, tf.sum(tf.square(tf.sub(xs[i], start[n])))));
          });
        }
        // A zero-weighted term keeps every trainable on the tape (e.g. MRFF's router has no gradient in round 1).
        return tf.add(total, tf.mul(0, tf.addN(xs.map((x) => tf.sum(x)))));
      };
      const { value, grads } = tf.valueAndGrads(f)(cur);
      const lrT = (o.learningRate * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step);
      // Carried names: each client's bias correction at its own step count t_c = steps_c + step, shape (C, 1, ...).
      const clientLr = carried ? tf.tensor1d(Float32Array.from(carried.steps, (s) => (o.learningRate * Math.sqrt(1 - b2 ** (s + step))) / (1 - b1 ** (s + step)))) : null;
      const nm = grads.map((g, i) => tf.keep(tf.add(tf.mul(m[i], b1), tf.mul(g, 1 - b1))));
      const nv = grads.map((g, i) => tf.keep(tf.add(tf.mul(v[i], b2), tf.mul(tf.square(g), 1 - b2))));
      const np = cur.map((x, i) => {
        const oi = o.optim?.get(o.trainable[i]);
        const scale = oi?.lrScale ?? 1;
        const decayed = oi && oi.weightDecay > 0 ? tf.mul(x, 1 - o.learningRate * scale * oi.weightDecay) : x;
        const rate = clientLr && carried?.m.has(o.trainable[i]) ? tf.mul(tf.reshape(clientLr, [C, ...x.shape.slice(1).map(() => 1)]), scale) : lrT * scale;
        return tf.keep(tf.sub(decayed, tf.mul(tf.div(nm[i], tf.add(tf.sqrt(nv[i]), 1e-8)), rate)));
      });
      return { value: value.dataSync()[0] / C, nm, nv, np };
    });
    if (step === 1) firstLoss = res.value;
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
    const ctx: LossContext = { training: false, seed: 0, groups, groupShare: {} };
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
