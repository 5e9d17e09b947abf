/**
 * The federated server loop. Each round: Poisson-sample clients (rate `clientFraction`), exclude sampled clients whose
 * data is empty or malformed (with the reason in the round record), send the public parameters (and group
 * parameters), train every participant locally in vectorised chunks of `chunkSize` clients, receive only public and
 * group parameters (never private ones, never data), aggregate: FedAvg weighted by samples (or uniform) for public
 * parameters, per-group averages for group parameters (a group nobody chose stays unchanged; the balance share sent back
 * to the clients counts clients per group, not samples), per-parameter learning-rate multipliers and weight decay
 * from the model's `localOptim`, optional FedProx local
 * term and client-level DP (dp.ts). Communication is counted in bytes (float32 parameters, int32 routing choices).
 * A run can stop after any round and resume from its checkpoint with identical results: every random draw of round r
 * comes from a generator seeded by (seed, r), dropout masks included (TensorFlow draws them from [chunk key, local
 * step]). With compiled local steps (the default when every client takes part each round; `compile`) each chunk's
 * step is one native call, and a resumed run agrees with an uninterrupted one to float rounding rather than bit for
 * bit: its first steps after the checkpoint run eagerly while their shapes are traced.
 * Measured (bench/federated-round.ts, MRFF at mrff/main's evidence size, 3 000 users in chunks of 1 024): see README.
 */
import { z } from 'zod';
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { Rng } from '../random.ts';
import { auc, logloss } from '../metrics/index.ts';
import { Progress } from '../train/progress.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.ts';
import type { StateDict } from '../layers/module.ts';
import type { FedModel, FederatedData, ParamMap } from './types.ts';
import { clientBatch, disposeBatch, heldOutRows, validateClients } from './data.ts';
import { chunkParams, localTrain, predictHeldOut, routeChunk, type ChunkState } from './client.ts';
import { dpEpsilon } from './dp.ts';
import { StepCompiler, compileEnabled } from '../train/compile.ts';

/** Strict schema of the engine's config; defaults in `FED_DEFAULTS`. */
export const FedConfigSpec = z.strictObject({
  rounds: z.number().int().min(0).default(50),
  /** Poisson sampling rate q of clients per round (1 = everyone). */
  clientFraction: z.number().gt(0).max(1).default(1),
  /** Clients simulated per vectorised tensor program. */
  chunkSize: z.number().int().min(1).default(512),
  localSteps: z.number().int().min(1).default(1),
  learningRate: z.number().gt(0).default(0.01),
  maxLen: z.number().int().min(1).default(30),
  batchKind: z.enum(['sequence', 'pointwise']).default('sequence'),
  weighting: z.enum(['samples', 'uniform']).default('samples'),
  proxMu: z.number().min(0).default(0),
  /**
   * Adam state of the private parameters between rounds: 'fresh' (default; each client rebuilds its optimiser every
   * round, as the released MRFF / FedPA code does, so each round's first step moves every private weight by about the
   * learning rate) or 'kept' (each client keeps its private parameters' moments and step count on the device across
   * rounds, so steps shrink where the gradient is noisy). Public and group parameters always start fresh.
   */
  privateAdam: z.enum(['fresh', 'kept']).default('fresh'),
  dp: z.strictObject({ clip: z.number().gt(0), noiseMultiplier: z.number().gt(0), delta: z.number().gt(0).lt(1) }).nullable().default(null),
  evalEvery: z.number().int().min(1).default(5),
  /** Early stopping: stop after this many evaluations in a row without a better validation AUC; null = run every round. */
  patience: z.number().int().min(1).nullable().default(null),
  seed: z.number().int().default(1),
  checkpointDir: z.string().nullable().default(null),
  /** Stop (as if interrupted) after this round; resume later from the checkpoint. */
  stopAfterRound: z.number().int().min(1).nullable().default(null),
  label: z.string().default('federated'),
  /**
   * Local steps as compiled TensorFlow functions (one native call per chunk and step; src/train/compile.ts): null =
   * `compileEnabled()` (on for the native backend unless RECLAB_COMPILE=0). Not part of a checkpoint's fingerprint:
   * compiled and eager steps compute the same thing.
   */
  compile: z.boolean().nullable().default(null),
});
/** Engine config (see the schema). */
export type FedConfig = z.infer<typeof FedConfigSpec>;
/** Defaults: 50 rounds, everyone each round, chunks of 512, one local Adam step at lr 0.01, sequences of 30. */
export const FED_DEFAULTS: FedConfig = FedConfigSpec.parse({});

/** Held-out metrics. */
export interface HeldOut {
  auc: number;
  logloss: number;
}
/** One round's record. */
export interface RoundRecord {
  round: number;
  participants: number;
  excluded: Array<{ user: number; reason: string }>;
  trainLoss: number;
  bytesUp: number;
  bytesDown: number;
  seconds: number;
  valid?: HeldOut;
  test?: HeldOut;
}
/** What a client chunk sends: public and group parameters (C, ...), routing choices, weights. Nothing else. */
export interface UploadBatch {
  users: Int32Array;
  weights: Float32Array;
  params: ParamMap;
  routes: Record<string, Int32Array>;
}
/**
 * Held-out rows scored by a model: each row's user, label and predicted probability (for DeLong standard errors or a
 * bootstrap over users).
 */
export interface HeldOutScores {
  users: Int32Array;
  labels: Float32Array;
  probs: Float32Array;
}
/** Result of a run. */
export interface FedResult {
  history: RoundRecord[];
  /** The round with the best validation AUC, its test metrics and the test-time group assignment per grouping. */
  best: { round: number; valid: HeldOut; test: HeldOut; assignments: Record<string, number[]> };
  /**
   * The test rows scored at the best round (users, labels, probabilities); null when a resumed run's best round came
   * before the resume (scores are not checkpointed).
   */
  bestTestScores: HeldOutScores | null;
  /** True when `patience` stopped the run before its last round. */
  earlyStopped: boolean;
  bytesUpPerRound: number;
  bytesDownPerRound: number;
  bytesTotal: number;
  secondsPerRound: number;
  excluded: Array<{ user: number; reason: string }>;
  dp: { epsilon: number; delta: number; alpha: number } | null;
  /** True when stopped by `stopAfterRound` before the last round. */
  stopped: boolean;
  /**
   * How the local steps ran: compiled (one native call per chunk and step) and eager step counts, and why the
   * compiler fell back to eager steps for good (null when it did not); null when compiled steps were off.
   */
  compiledSteps: { compiled: number; eager: number; fallbackReason: string | null } | null;
}
/** Callbacks: `onUpload` sees every upload (tests assert what leaves a client); `log` gets lines. */
export interface FedHooks {
  onUpload?: (u: UploadBatch) => void;
  /** After each round's aggregation: the server's public (and frozen) values and group tables. */
  onAggregate?: (round: number, shared: ReadonlyMap<string, Tensor>, tables: ReadonlyMap<string, Tensor>) => void;
  log?: (line: string) => void;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Runs (or resumes) federated training of `model` on `data`.
 * @example
 * const r = await runFederated(mrff, data, { rounds: 20, chunkSize: 500 });
 * r.best.test.auc; r.bytesUpPerRound;
 */
export async function runFederated(model: FedModel, data: FederatedData, partial: Partial<FedConfig>, hooks: FedHooks = {}): Promise<FedResult> {
  const cfg = FedConfigSpec.parse(partial);
  const log = hooks.log ?? (() => {});
  const vars = model.root.namedVariables();
  const shared = new Map<string, Tensor>();
  const tables = new Map<string, Tensor>();
  const privateStore = new Map<string, { shape: number[]; values: Float32Array }>();
  const trainable: string[] = [];
  const anchored = new Set<string>();
  const optim = new Map<string, { lrScale: number; weightDecay: number }>();
  let publicSize = 0;
  let groupSize = 0;
  let allGroupSize = 0;
  for (const [name, v] of vars) {
    const role = model.role(name);
    if (role.kind === 'group') {
      tables.set(name, tf.clone(v));
      groupSize += sizeOf(v.shape.slice(1));
      allGroupSize += v.size;
    } else if (role.kind === 'private') {
      const one = v.dataSync() as Float32Array;
      const values = new Float32Array(data.users * one.length);
      for (let u = 0; u < data.users; u++) values.set(one, u * one.length);
      privateStore.set(name, { shape: [...v.shape], values });
    } else {
      shared.set(name, tf.clone(v));
      if (role.kind === 'public') publicSize += v.size;
    }
    if (role.kind !== 'frozen') trainable.push(name);
    const oi = model.localOptim?.(name);
    if (oi) {
      if (!(oi.lrScale >= 0 && oi.weightDecay >= 0)) throw new Error(`${cfg.label}: parameter '${name}' has lrScale ${oi.lrScale} and weightDecay ${oi.weightDecay} (both must be >= 0)`);
      optim.set(name, oi);
    }
    if (role.kind === 'public' || role.kind === 'group') anchored.add(name);
  }
  const G = model.groupings().length;
  const upPerClient = 4 * (publicSize + groupSize) + (groupSize > 0 ? 4 * G : 0);
  const downPerClient = 4 * (publicSize + (model.downloadsAllGroups ? allGroupSize : groupSize));
  const { clients, excluded: invalid } = validateClients(data);
  const invalidReason = new Map(invalid.map((e) => [e.user, e.reason]));
  for (const e of invalid) log(`${cfg.label}: excluding ${e.reason}`);
  if (clients.length === 0) throw new Error(`${cfg.label}: no user of '${data.name}' has usable data (${invalid.length} excluded)`);

  let history: RoundRecord[] = [];
  let groupShare: Record<string, Float32Array> = {};
  let best: FedResult['best'] = { round: 0, valid: { auc: NaN, logloss: NaN }, test: { auc: NaN, logloss: NaN }, assignments: {} };
  let start = 1;
  const fingerprint = JSON.stringify({ ...cfg, stopAfterRound: null, checkpointDir: null, compile: null, data: data.name, users: data.users });
  // Read once: the resume below and the kept private Adam state both come from it.
  const ck = cfg.checkpointDir && hasCheckpoint(cfg.checkpointDir) ? loadCheckpoint(cfg.checkpointDir) : null;
  if (ck) {
    const extra = ck.meta.extra as { fingerprint: string; history: RoundRecord[]; groupShare: Record<string, number[]>; best: FedResult['best'] };
    if (extra.fingerprint !== fingerprint) throw new Error(`${cfg.label}: checkpoint in ${cfg.checkpointDir} was written by a different config or data set`);
    for (const [n, s] of Object.entries(ck.groups.shared)) replace(shared, n, tf.tensor(s.values, s.shape));
    for (const [n, s] of Object.entries(ck.groups.tables)) replace(tables, n, tf.tensor(s.values, s.shape));
    for (const [n, s] of Object.entries(ck.groups.private)) privateStore.set(n, { shape: s.shape.slice(1), values: Float32Array.from(s.values) });
    history = extra.history;
    groupShare = Object.fromEntries(Object.entries(extra.groupShare).map(([g, a]) => [g, Float32Array.from(a)]));
    best = extra.best;
    start = ck.meta.epoch + 1;
    log(`${cfg.label}: resumed after round ${ck.meta.epoch} from ${cfg.checkpointDir}`);
  }
  const state: ChunkState = { shared, tables, privateStore };
  // 'kept' private Adam: per private parameter the clients' moments (users x size each) and per user its local steps.
  const keptAdam = cfg.privateAdam === 'kept' && privateStore.size > 0;
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  let privateSteps = new Float32Array(keptAdam ? data.users : 0);
  if (keptAdam) {
    for (const [n, s] of privateStore) moments.set(n, { m: new Float32Array(s.values.length), v: new Float32Array(s.values.length) });
    if (ck) {
      const a = ck.groups.privateAdam;
      if (!a?.steps) throw new Error(`${cfg.label}: checkpoint in ${cfg.checkpointDir} has no private Adam state (privateAdam 'kept')`);
      for (const [n, mv] of moments) {
        mv.m.set(a[`${n}.m`].values);
        mv.v.set(a[`${n}.v`].values);
      }
      privateSteps = Float32Array.from(a.steps.values);
    }
  }
  /** The chunk's rows of a users x size store as a (C, ...shape) tensor. */
  const gatherUsers = (values: Float32Array, shape: number[], users: Int32Array): Tensor => {
    const size = sizeOf(shape);
    const buf = new Float32Array(users.length * size);
    users.forEach((u, c) => buf.set(values.subarray(u * size, (u + 1) * size), c * size));
    return tf.tensor(buf, [users.length, ...shape]);
  };

  const evaluate = (part: 'valid' | 'test') => {
    const rows = heldOutRows(data, clients, part);
    const probs = new Float32Array(rows.labels.length);
    let at = 0;
    const assign: Record<string, number[]> = Object.fromEntries(model.groupings().map((g) => [g.name, new Array<number>(data.users).fill(-1)]));
    for (let i = 0; i < clients.length; i += cfg.chunkSize) {
      const users = clients.subarray(i, i + cfg.chunkSize);
      const batch = clientBatch(data, users, part, cfg.batchKind, cfg.maxLen);
      const p = tf.tidy(() => {
        const { params, routes } = routeChunk(model, state, batch, chunkParams(model, state, batch));
        for (const [g, r] of Object.entries(routes)) users.forEach((u, c) => (assign[g][u] = r[c]));
        return predictHeldOut(model, params, batch, routes);
      });
      probs.set(p, at);
      at += p.length;
      disposeBatch(batch);
    }
    if (at !== probs.length) throw new Error(`${cfg.label}: scored ${at} held-out ${part} rows, expected ${probs.length}`);
    const y = rows.labels;
    return { metrics: { auc: auc(y, probs), logloss: logloss(y, probs) }, assign, scores: { users: rows.users, labels: y, probs } };
  };
  let bestTestScores: HeldOutScores | null = null;
  let earlyStopped = false;

  const progress = new Progress({ total: cfg.rounds, label: cfg.label });
  // Compiled functions are cached per chunk shape: with every client in every round the chunks repeat their shapes;
  // Poisson sampling draws new chunk sizes each round, where every function would be traced for one use.
  let compiler: StepCompiler | null = null;
  if (cfg.compile ?? compileEnabled()) {
    if (cfg.clientFraction < 1) log(`${cfg.label}: local steps run eagerly: clientFraction ${cfg.clientFraction} draws new chunk sizes every round, so a compiled step would be traced for one use`);
    else compiler = new StepCompiler(cfg.label);
  }
  let stopped = false;
  for (let round = start; round <= cfg.rounds; round++) {
    const t0 = Date.now();
    const rng = new Rng(cfg.seed * 1_000_003 + round * 7919);
    const sampled: number[] = [];
    const excluded: RoundRecord['excluded'] = [];
    for (let u = 0; u < data.users; u++) {
      if (cfg.clientFraction < 1 && !rng.bernoulli(cfg.clientFraction)) continue;
      const why = invalidReason.get(u);
      if (why) excluded.push({ user: u, reason: why });
      else sampled.push(u);
    }
    const dpOn = cfg.dp !== null;
    const sumPublic = new Map<string, Tensor>();
    const sumGroup = new Map<string, Tensor>();
    const countGroup: Record<string, Float32Array> = Object.fromEntries(model.groupings().map((g) => [g.name, new Float32Array(g.size)]));
    const clientsGroup: Record<string, Float32Array> = Object.fromEntries(model.groupings().map((g) => [g.name, new Float32Array(g.size)]));
    let sumW = 0;
    let lossSum = 0;
    const parts = Int32Array.from(sampled);
    for (let i = 0; i < parts.length; i += cfg.chunkSize) {
      const users = parts.subarray(i, i + cfg.chunkSize);
      const batch = clientBatch(data, users, 'train', cfg.batchKind, cfg.maxLen);
      const { params: startParams, routes } = tf.tidy(() => {
        const r = routeChunk(model, state, batch, chunkParams(model, state, batch));
        return { params: Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, tf.keep(v)])), routes: r.routes };
      });
      const groupsT = Object.fromEntries(Object.entries(routes).map(([g, r]) => [g, tf.tensor1d(r, 'int32')]));
      const chunk = { key: rng.int(2 ** 30), groups: groupsT, groupShare };
      const carried = keptAdam
        ? {
            m: new Map([...moments].map(([n, mv]) => [n, gatherUsers(mv.m, privateStore.get(n)!.shape, users)])),
            v: new Map([...moments].map(([n, mv]) => [n, gatherUsers(mv.v, privateStore.get(n)!.shape, users)])),
            steps: Float32Array.from(users, (u) => privateSteps[u]),
          }
        : undefined;
      const { params: trained, loss, moments: after } = localTrain(model, startParams, batch, chunk, { steps: cfg.localSteps, learningRate: cfg.learningRate, proxMu: cfg.proxMu, trainable, anchored, optim, carried, compiler });
      if (carried) {
        // The moments stay on the device with the private parameters.
        for (const [n, mv] of moments) {
          const size = sizeOf(privateStore.get(n)!.shape);
          const [mm, vv] = [after.m.get(n)!.dataSync() as Float32Array, after.v.get(n)!.dataSync() as Float32Array];
          users.forEach((u, c) => {
            mv.m.set(mm.subarray(c * size, (c + 1) * size), u * size);
            mv.v.set(vv.subarray(c * size, (c + 1) * size), u * size);
          });
        }
        for (const u of users) privateSteps[u] += cfg.localSteps;
        tf.dispose([...carried.m.values(), ...carried.v.values(), ...after.m.values(), ...after.v.values()]);
      }
      lossSum += loss * users.length;
      const weights = Float32Array.from(batch.samples, (s) => (dpOn || cfg.weighting === 'uniform' ? 1 : s));
      // Private parameters stay on the device: written back to the client store, never uploaded.
      for (const [name, s] of privateStore) {
        const size = sizeOf(s.shape);
        const vals = trained[name].dataSync() as Float32Array;
        users.forEach((u, c) => s.values.set(vals.subarray(c * size, (c + 1) * size), u * size));
      }
      const upload: UploadBatch = { users: Int32Array.from(users), weights, params: {}, routes };
      for (const name of anchored) upload.params[name] = trained[name];
      for (const name of Object.keys(upload.params)) {
        const k = model.role(name).kind;
        if (k !== 'public' && k !== 'group') throw new Error(`${cfg.label}: refusing to upload '${name}' (${k})`);
      }
      hooks.onUpload?.(upload);
      tf.tidy(() => {
        const deltas = new Map([...anchored].map((n) => [n, tf.sub(trained[n], startParams[n])])); // (C, ...)
        let scale = tf.tensor1d(weights); // (C)
        if (cfg.dp) {
          const sq = [...deltas.values()].map((d) => tf.sum(tf.reshape(tf.square(d), [users.length, -1]), 1));
          const norm = tf.sqrt(tf.addN(sq.length ? sq : [tf.zeros([users.length])])); // (C)
          scale = tf.minimum(1, tf.div(cfg.dp.clip, tf.maximum(norm, 1e-12)));
        }
        sumW += weights.reduce((a, b) => a + b, 0);
        for (const [n, d] of deltas) {
          const wd = tf.mul(d, tf.reshape(scale, [users.length, ...d.shape.slice(1).map(() => 1)])); // (C, ...)
          const role = model.role(n);
          const acc = role.kind === 'group'
            ? tf.unsortedSegmentSum(wd, tf.tensor1d(routes[role.grouping as string], 'int32'), (tables.get(n) as Tensor).shape[0])
            : tf.sum(wd, 0);
          const prev = role.kind === 'group' ? sumGroup.get(n) : sumPublic.get(n);
          const next = tf.keep(prev ? tf.add(prev, acc) : acc);
          if (prev) prev.dispose();
          (role.kind === 'group' ? sumGroup : sumPublic).set(n, next);
        }
      });
      for (const [g, r] of Object.entries(routes)) r.forEach((k, c) => {
        countGroup[g][k] += weights[c];
        clientsGroup[g][k] += 1;
      });
      tf.dispose([...Object.values(startParams), ...Object.values(trained), ...Object.values(groupsT)]);
      disposeBatch(batch);
    }
    // Server aggregation.
    const noiseRng = rng.int(2 ** 30);
    tf.tidy(() => {
      const denom = dpOn ? cfg.clientFraction * clients.length : sumW;
      let draw = 0; // independent noise per parameter: one seed per tensor
      for (const [n, s] of sumPublic) {
        let tot = s;
        if (cfg.dp) tot = tf.add(tot, tf.randomNormal(s.shape, 0, cfg.dp.noiseMultiplier * cfg.dp.clip, 'float32', noiseRng + 7919 * ++draw));
        replace(shared, n, tf.keep(tf.add(shared.get(n) as Tensor, tf.div(tot, Math.max(denom, 1e-12)))));
      }
      for (const [n, s] of sumGroup) {
        const cnt = countGroup[model.role(n).grouping as string];
        let tot = s;
        if (cfg.dp) tot = tf.add(tot, tf.randomNormal(s.shape, 0, cfg.dp.noiseMultiplier * cfg.dp.clip, 'float32', noiseRng + 7919 * ++draw));
        const c = tf.reshape(tf.tensor1d(cnt), [cnt.length, ...s.shape.slice(1).map(() => 1)]);
        const step = tf.where(tf.greater(c, 0), tf.div(tot, tf.maximum(c, 1e-12)), tf.zerosLike(tot));
        replace(tables, n, tf.keep(tf.add(tables.get(n) as Tensor, step)));
      }
    });
    tf.dispose([...sumPublic.values(), ...sumGroup.values()]);
    hooks.onAggregate?.(round, shared, tables);
    // The balance term's share is the share of clients (Switch-style load per client), not of samples.
    groupShare = Object.fromEntries(Object.entries(clientsGroup).map(([g, c]) => {
      const tot = c.reduce((a, b) => a + b, 0);
      return [g, Float32Array.from(c, (x) => (tot > 0 ? x / tot : 0))];
    }));
    const rec: RoundRecord = {
      round, participants: parts.length, excluded, trainLoss: parts.length ? lossSum / parts.length : NaN,
      bytesUp: upPerClient * parts.length, bytesDown: downPerClient * parts.length, seconds: (Date.now() - t0) / 1000,
    };
    for (const e of excluded) log(`${cfg.label} round ${round}: excluded ${e.reason}`);
    if (round % cfg.evalEvery === 0 || round === cfg.rounds) {
      const v = evaluate('valid');
      const te = evaluate('test');
      rec.valid = v.metrics;
      rec.test = te.metrics;
      if (!(best.valid.auc >= v.metrics.auc)) {
        best = { round, valid: v.metrics, test: te.metrics, assignments: te.assign };
        bestTestScores = te.scores;
      }
    }
    history.push(rec);
    progress.update(round, { loss: rec.trainLoss, ...(rec.valid ? { 'valid auc': rec.valid.auc } : {}) });
    await new Promise((r) => setImmediate(r));
    if (cfg.checkpointDir) {
      const dict = (m: Map<string, Tensor>): StateDict => Object.fromEntries([...m].map(([n, t]) => [n, { shape: [...t.shape], values: t.dataSync() as Float32Array }]));
      const priv: StateDict = Object.fromEntries([...privateStore].map(([n, s]) => [n, { shape: [data.users, ...s.shape], values: s.values }]));
      const adam: StateDict = {};
      for (const [n, mv] of moments) {
        const shape = [data.users, ...privateStore.get(n)!.shape];
        adam[`${n}.m`] = { shape, values: mv.m };
        adam[`${n}.v`] = { shape, values: mv.v };
      }
      if (keptAdam) adam.steps = { shape: [data.users], values: privateSteps };
      saveCheckpoint(cfg.checkpointDir, { shared: dict(shared), tables: dict(tables), private: priv, ...(keptAdam ? { privateAdam: adam } : {}) }, {
        epoch: round,
        extra: { fingerprint, history, best, groupShare: Object.fromEntries(Object.entries(groupShare).map(([g, a]) => [g, [...a]])) },
      });
    }
    if (cfg.stopAfterRound !== null && round >= cfg.stopAfterRound && round < cfg.rounds) {
      stopped = true;
      break;
    }
    if (cfg.patience !== null && rec.valid && round < cfg.rounds) {
      const since = history.filter((h) => h.valid && h.round > best.round).length;
      if (since >= cfg.patience) {
        log(`${cfg.label}: early stop after round ${round} (${since} evaluations without a better validation AUC than round ${best.round})`);
        earlyStopped = true;
        break;
      }
    }
  }
  progress.done();
  compiler?.dispose();
  tf.dispose([...shared.values(), ...tables.values()]);
  const n = Math.max(history.length, 1);
  const totalUp = history.reduce((a, r) => a + r.bytesUp, 0);
  const totalDown = history.reduce((a, r) => a + r.bytesDown, 0);
  const dp = cfg.dp ? { ...dpEpsilon({ q: cfg.clientFraction, sigma: cfg.dp.noiseMultiplier, rounds: history.length, delta: cfg.dp.delta }), delta: cfg.dp.delta } : null;
  return {
    history, best, bestTestScores, earlyStopped, bytesUpPerRound: totalUp / n, bytesDownPerRound: totalDown / n, bytesTotal: totalUp + totalDown,
    secondsPerRound: history.reduce((a, r) => a + r.seconds, 0) / n, excluded: invalid, dp, stopped,
    compiledSteps: compiler ? { compiled: compiler.stats.compiledSteps, eager: compiler.stats.eagerSteps, fallbackReason: compiler.fallbackReason } : null,
  };
}

function replace(m: Map<string, Tensor>, name: string, t: Tensor): void {
  m.get(name)?.dispose();
  m.set(name, t);
}
