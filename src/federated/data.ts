/**
 * Client data: leave-one-out per user (last interaction = test, second-last = validation, the rest = training),
 * validation of each client's data with a reason, and padded C-client batches.
 */
import { tf } from '../tf.ts';
import type { ClientBatch, FederatedData } from './types.ts';

/** Which part of each user's sequence a batch holds. */
export type Part = 'train' | 'valid' | 'test';
/** Sequence batches predict the next item at every position; pointwise batches score every training interaction. */
export type BatchKind = 'sequence' | 'pointwise';

/** Minimum interactions per user: one to train on, one to validate, one to test. */
export const MIN_INTERACTIONS = 3;

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
 * Call inside tf.tidy or dispose the tensors.
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
    const trainEnd = n - 2;
    if (part === 'train') {
      if (kind === 'sequence') return { inp: s.items.subarray(0, trainEnd - 1), tgt: s.items.subarray(1, trainEnd), y: s.labels.subarray(1, trainEnd), evalOnly: false };
      return { inp: s.items.subarray(0, trainEnd), tgt: s.items.subarray(0, trainEnd), y: s.labels.subarray(0, trainEnd), evalOnly: false };
    }
    const at = part === 'valid' ? n - 2 : n - 1;
    return { inp: s.items.subarray(0, at), tgt: s.items.subarray(at, at + 1), y: s.labels.subarray(at, at + 1), evalOnly: true };
  });
  const T = Math.max(1, Math.min(maxLen, Math.max(...rows.map((r) => r.inp.length))));
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
    const nT = r.evalOnly ? 1 : Math.min(T, r.tgt.length);
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
 * Labels of the held-out interaction of each user (valid or test), for pooled metrics.
 * @example
 * heldOutLabels(data, clients, 'test'); // Float32Array (clients.length)
 */
export function heldOutLabels(data: FederatedData, users: Int32Array, part: 'valid' | 'test'): Float32Array {
  return Float32Array.from(users, (u) => {
    const s = data.sequences[u];
    return s.labels[s.items.length - (part === 'valid' ? 2 : 1)];
  });
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
