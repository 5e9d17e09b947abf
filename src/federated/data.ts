/**
 * Client data: held-out interactions per user (default leave-one-out: last interaction = test, second-last =
 * validation, the rest = training; `FederatedData.holdout` holds out more), validation of each client's data with a
 * reason, and padded C-client batches.
 */
import { tf } from '../tf.ts';
import type { ClientBatch, FederatedData, Holdout } from './types.ts';

/** Which part of each user's sequence a batch holds. */
export type Part = 'train' | 'valid' | 'test';
/** Sequence batches predict the next item at every position; pointwise batches score every training interaction. */
export type BatchKind = 'sequence' | 'pointwise';

/** Minimum interactions per user under leave-one-out: one to train on, one to validate, one to test. */
export const MIN_INTERACTIONS = 3;

/** Leave-one-out: the last interaction is the test, the second-last the validation. */
export const LEAVE_ONE_OUT: Holdout = { unit: 'count', valid: 1, test: 1 };

/**
 * Held-out interactions of a user with `n` interactions under `data.holdout` (leave-one-out when absent).
 * @example
 * holdoutCounts({ ...data, holdout: { unit: 'share', valid: 0.2, test: 0.2 } }, 20); // { valid: 4, test: 4 }
 */
export function holdoutCounts(data: Pick<FederatedData, 'holdout'>, n: number): { valid: number; test: number } {
  const h = data.holdout ?? LEAVE_ONE_OUT;
  if (h.unit === 'count') {
    if (!(Number.isInteger(h.valid) && Number.isInteger(h.test) && h.valid >= 1 && h.test >= 1)) throw new Error(`holdout: counts must be integers >= 1, got valid ${h.valid}, test ${h.test}`);
    return { valid: h.valid, test: h.test };
  }
  if (!(h.valid > 0 && h.test > 0 && h.valid + h.test < 1)) throw new Error(`holdout: shares must be > 0 with valid + test < 1, got valid ${h.valid}, test ${h.test}`);
  return { valid: Math.max(1, Math.round(h.valid * n)), test: Math.max(1, Math.round(h.test * n)) };
}

/**
 * Why a user cannot take part, or null when the data is usable: empty or too short sequences, misaligned arrays,
 * item ids out of range, labels not 0/1, non-finite or decreasing timestamps, feature ids out of range.
 * @example
 * clientProblem(data, 7); // 'user 7: 2 interactions, leave-one-out needs at least 3' or null
 */
export function clientProblem(data: FederatedData, u: number): string | null {
  const s = data.sequences[u];
  if (!s) return `user ${u}: no sequence`;
  const n = s.items.length;
  if (n === 0) return `user ${u}: empty sequence`;
  if (s.labels.length !== n || s.timestamps.length !== n) return `user ${u}: ${n} items but ${s.labels.length} labels and ${s.timestamps.length} timestamps`;
  if (n < MIN_INTERACTIONS) return `user ${u}: ${n} interactions, leave-one-out needs at least ${MIN_INTERACTIONS}`;
  const h = holdoutCounts(data, n);
  if (n < h.valid + h.test + 1) return `user ${u}: ${n} interactions, the holdout (${h.valid} validation + ${h.test} test) needs at least ${h.valid + h.test + 1}`;
  for (let i = 0; i < n; i++) {
    const it = s.items[i];
    if (!(it >= 0 && it < data.items)) return `user ${u}: interaction ${i} has item ${it} outside [0, ${data.items})`;
    const y = s.labels[i];
    if (y !== 0 && y !== 1) return `user ${u}: interaction ${i} has label ${y}, expected 0 or 1`;
    if (!Number.isFinite(s.timestamps[i]) || (i > 0 && s.timestamps[i] < s.timestamps[i - 1])) return `user ${u}: interaction ${i} has timestamp ${s.timestamps[i]} (non-finite or out of order)`;
  }
  const F = data.userFields.length;
  for (let f = 0; f < F; f++) {
    const v = data.userFeatures[u * F + f];
    if (!(v >= 0 && v < data.userFields[f].vocab)) return `user ${u}: feature ${data.userFields[f].name} = ${v} outside [0, ${data.userFields[f].vocab})`;
  }
  return null;
}

/**
 * Splits users into usable clients and excluded ones with their reasons.
 * @example
 * const { clients, excluded } = validateClients(data); // excluded: [{ user: 3, reason: 'user 3: empty sequence' }]
 */
export function validateClients(data: FederatedData): { clients: Int32Array; excluded: Array<{ user: number; reason: string }> } {
  const ok: number[] = [];
  const excluded: Array<{ user: number; reason: string }> = [];
  for (let u = 0; u < data.users; u++) {
    const why = clientProblem(data, u);
    if (why) excluded.push({ user: u, reason: why });
    else ok.push(u);
  }
  return { clients: Int32Array.from(ok), excluded };
}

/**
 * Builds the padded batch of some clients (left-padded to the longest, at most `maxLen`, keeping the latest items).
 * Validation and test batches score each client's held-out interactions of that part (one under leave-one-out) at the
 * last positions; each held-out target's input history is everything before it. Call inside tf.tidy or dispose the
 * tensors.
 * @example
 * const b = clientBatch(data, Int32Array.of(0, 1), 'train', 'sequence', 30); // itemIn (2, T, A)
 */
export function clientBatch(data: FederatedData, users: Int32Array, part: Part, kind: BatchKind, maxLen: number): ClientBatch {
  const C = users.length;
  const A = data.itemFields.length;
  const F = data.userFields.length;
  // Per client: the history (inputs) and the targets, aligned at the end.
  const rows = Array.from(users, (u) => {
    const s = data.sequences[u];
    const n = s.items.length;
    const h = holdoutCounts(data, n);
    const trainEnd = n - h.valid - h.test;
    if (part === 'train') {
      if (kind === 'sequence') return { inp: s.items.subarray(0, trainEnd - 1), tgt: s.items.subarray(1, trainEnd), y: s.labels.subarray(1, trainEnd), held: 0 };
      return { inp: s.items.subarray(0, trainEnd), tgt: s.items.subarray(0, trainEnd), y: s.labels.subarray(0, trainEnd), held: 0 };
    }
    const at = part === 'valid' ? trainEnd : n - h.test;
    const k = part === 'valid' ? h.valid : h.test;
    // Target j (at + j) sits at position T - k + j; its input there is item at + j - 1 (the history before it).
    return { inp: s.items.subarray(0, at + k - 1), tgt: s.items.subarray(at, at + k), y: s.labels.subarray(at, at + k), held: k };
  });
  const T = Math.max(1, Math.min(maxLen, Math.max(...rows.map((r) => r.inp.length))));
  const most = Math.max(0, ...rows.map((r) => r.held));
  if (most > T) throw new Error(`clientBatch: ${most} held-out ${part} interactions per client do not fit in ${T} positions (maxLen ${maxLen}); raise maxLen or hold out fewer`);
  const itemIn = new Int32Array(C * T * A);
  const itemTgt = new Int32Array(C * T * A);
  const labels = new Float32Array(C * T);
  const inMask = new Float32Array(C * T);
  const lossMask = new Float32Array(C * T);
  const samples = new Float32Array(C);
  const user = new Int32Array(C * F);
  const putItem = (dst: Int32Array, c: number, t: number, item: number) => {
    for (let a = 0; a < A; a++) dst[(c * T + t) * A + a] = data.itemFeatures[item * A + a];
  };
  rows.forEach((r, c) => {
    const u = users[c];
    for (let f = 0; f < F; f++) user[c * F + f] = data.userFeatures[u * F + f];
    const nIn = Math.min(T, r.inp.length);
    for (let j = 0; j < nIn; j++) {
      const t = T - nIn + j;
      putItem(itemIn, c, t, r.inp[r.inp.length - nIn + j]);
      inMask[c * T + t] = 1;
    }
    const nT = r.held > 0 ? r.held : Math.min(T, r.tgt.length);
    for (let j = 0; j < nT; j++) {
      const t = T - nT + j;
      putItem(itemTgt, c, t, r.tgt[r.tgt.length - nT + j]);
      labels[c * T + t] = r.y[r.y.length - nT + j];
      lossMask[c * T + t] = 1;
    }
    samples[c] = nT;
  });
  return {
    users: Int32Array.from(users),
    itemIn: tf.tensor3d(itemIn, [C, T, A], 'int32'),
    itemTgt: tf.tensor3d(itemTgt, [C, T, A], 'int32'),
    user: tf.tensor2d(user, [C, F], 'int32'),
    labels: tf.tensor2d(labels, [C, T]),
    inMask: tf.tensor2d(inMask, [C, T]),
    lossMask: tf.tensor2d(lossMask, [C, T]),
    samples,
  };
}

/** Frees a batch's tensors. */
export function disposeBatch(b: ClientBatch): void {
  tf.dispose([b.itemIn, b.itemTgt, b.user, b.labels, b.inMask, b.lossMask]);
}

/**
 * The held-out rows of some users (valid or test) in the order {@link clientBatch} scores them (user by user, in time
 * order): each row's user, label and position in the user's sequence.
 * @example
 * heldOutRows(data, clients, 'test').labels; // Float32Array (clients.length under leave-one-out)
 */
export function heldOutRows(data: FederatedData, users: Int32Array, part: 'valid' | 'test'): { users: Int32Array; labels: Float32Array; positions: Int32Array } {
  const us: number[] = [];
  const ys: number[] = [];
  const ps: number[] = [];
  for (const u of users) {
    const s = data.sequences[u];
    const n = s.items.length;
    const h = holdoutCounts(data, n);
    const at = part === 'valid' ? n - h.test - h.valid : n - h.test;
    const k = part === 'valid' ? h.valid : h.test;
    for (let j = at; j < at + k; j++) {
      us.push(u);
      ys.push(s.labels[j]);
      ps.push(j);
    }
  }
  return { users: Int32Array.from(us), labels: Float32Array.from(ys), positions: Int32Array.from(ps) };
}

/**
 * Labels of the held-out interactions of each user (valid or test), for pooled metrics (see {@link heldOutRows}).
 * @example
 * heldOutLabels(data, clients, 'test'); // Float32Array (clients.length under leave-one-out)
 */
export function heldOutLabels(data: FederatedData, users: Int32Array, part: 'valid' | 'test'): Float32Array {
  return heldOutRows(data, users, part).labels;
}

/**
 * The data of some users only (re-indexed 0..n-1 in the given order), e.g. FedPA's private users.
 * @example
 * const priv = subsetUsers(data, Int32Array.of(4, 9)); // priv.users === 2
 */
export function subsetUsers(data: FederatedData, users: Int32Array): FederatedData {
  const F = data.userFields.length;
  const userFeatures = new Int32Array(users.length * F);
  users.forEach((u, i) => userFeatures.set(data.userFeatures.subarray(u * F, (u + 1) * F), i * F));
  return {
    ...data, users: users.length, userFeatures, sequences: Array.from(users, (u) => data.sequences[u]),
    truth: data.truth ? { group: Int32Array.from(users, (u) => (data.truth as NonNullable<FederatedData['truth']>).group[u]), prob: Array.from(users, (u) => (data.truth as NonNullable<FederatedData['truth']>).prob[u]) } : undefined,
  };
}
