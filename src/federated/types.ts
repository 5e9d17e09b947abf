/**
 * Types of the federated simulation: per-user sequence data (what a client holds), parameter partitions by name,
 * and the functional model interface the engine trains with per-client parameter copies stacked on a leading client
 * axis C (every parameter tensor handed to a model is (C, ...shape)).
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { Module } from '../layers/module.ts';

/** A categorical field: name and vocabulary size (ids in [0, vocab)). */
export interface Field {
  name: string;
  vocab: number;
}

/** One user's interactions in time order (what the user's device holds). */
export interface UserSequence {
  /** Item indices in [0, items). */
  items: Int32Array;
  /** Labels (is_click) in {0, 1}, aligned with items. */
  labels: Float32Array;
  /** Timestamps (non-decreasing). */
  timestamps: Float64Array;
}

/**
 * Held-out interactions per user, at the end of each sequence in time order: the last `test` are the test part, the
 * `valid` before them the validation part, the rest training. `unit: 'count'` takes these numbers of interactions;
 * `unit: 'share'` takes max(1, round(share * n)) of a user's n interactions (FedPA's released split is 60/20/20:
 * `{ unit: 'share', valid: 0.2, test: 0.2 }`). Leave-one-out is `{ unit: 'count', valid: 1, test: 1 }`.
 * @example
 * const data5 = { ...data, holdout: { unit: 'count', valid: 5, test: 5 } }; // five held-out interactions per user
 */
export interface Holdout {
  unit: 'count' | 'share';
  valid: number;
  test: number;
}

/**
 * Federated data: one sequence per user plus user and item features. Produced by the federated world and the
 * KuaiSAR-R loader; split leave-one-out per user by the engine (last = test, second-last = validation).
 */
export interface FederatedData {
  name: string;
  users: number;
  items: number;
  userFields: Field[];
  /** (users * userFields.length) row-major. */
  userFeatures: Int32Array;
  itemFields: Field[];
  /** (items * itemFields.length) row-major. */
  itemFeatures: Int32Array;
  sequences: UserSequence[];
  /**
   * Which interactions of each user are held out (see {@link Holdout}); absent = leave-one-out (the last interaction is
   * the test, the second-last the validation).
   */
  holdout?: Holdout;
  /** Ground truth, synthetic data only: latent group per user and P(click) per interaction. */
  truth?: { group: Int32Array; prob: Float32Array[] };
}

/** Where a parameter lives: private (never leaves the client), public (averaged), group (averaged within a group), frozen (never trained). */
export type ParamKind = 'private' | 'public' | 'group' | 'frozen';

/** The partition of one parameter; group parameters name their grouping (e.g. 'layer0'). */
export interface ParamRole {
  kind: ParamKind;
  grouping?: string;
}

/** A grouping: a named way of assigning every client one of `size` groups. */
export interface Grouping {
  name: string;
  size: number;
}

/** Per-client parameter copies by name, each (C, ...shape). */
export type ParamMap = Record<string, Tensor>;

/**
 * A padded batch of C clients. Sequence models read `itemIn` (history) and predict `itemTgt` at each position;
 * pointwise models read only `itemTgt` rows. Positions with `lossMask` 0 carry no loss.
 */
export interface ClientBatch {
  /** User indices of the C clients. */
  users: Int32Array;
  /** (C, T, A) int32 item attributes of the input sequence (left-padded). */
  itemIn: Tensor;
  /** (C, T, A) int32 item attributes of the targets. */
  itemTgt: Tensor;
  /** (C, F) int32 user features. */
  user: Tensor;
  /** (C, T) float labels of the targets. */
  labels: Tensor;
  /** (C, T) 1 where the input position holds an item. */
  inMask: Tensor;
  /** (C, T) 1 where a target is scored. */
  lossMask: Tensor;
  /** Number of scored targets per client (FedAvg weights). */
  samples: Float32Array;
}

/** What the model's loss sees beside the parameters. */
export interface LossContext {
  training: boolean;
  /**
   * Dropout seed of this step, int32 (2): [key, counter] — the engine's [chunk key, local step], centralised
   * training's [batch key, 0] (`seededDropout` in src/layers/dropout.ts); null when not training. A tensor, so a
   * compiled step reads it as an input.
   */
  seed: Tensor | null;
  /** Fixed group index per grouping, each (C) int32. */
  groups: Record<string, Tensor>;
  /**
   * Server-held share of clients per group in the previous round, by grouping, each (K) float32 (MRFF's balance
   * term); empty in round 1.
   */
  groupShare: Record<string, Tensor>;
}

/**
 * A model the engine can simulate: a Module (named template variables, their initial values), a partition of its
 * names, groupings, and functional forward passes on per-client parameters.
 */
export interface FedModel {
  readonly root: Module;
  /** Role of every variable by name. */
  role(name: string): ParamRole;
  groupings(): Grouping[];
  /** True when a client downloads every group's parameters (it routes itself), false when only its own group's. */
  readonly downloadsAllGroups: boolean;
  /**
   * Group index per grouping for each client, from the public/private params (C, ...) and the full group tables
   * (K, ...) by name. Static groupings read the user features.
   */
  assignGroups(params: ParamMap, tables: ParamMap, batch: ClientBatch): Record<string, Int32Array>;
  /**
   * Optional per-parameter local optimiser settings: a multiplier of the engine's learning rate and a decoupled weight
   * decay (AdamW: x -= lr * lrScale * weightDecay * x each local step). Absent = { lrScale: 1, weightDecay: 0 } for
   * every parameter. MRFF and FedPA use it to slow down and shrink the private weights that overfit a user's few labels.
   */
  localOptim?(name: string): { lrScale: number; weightDecay: number };
  /** Logits (C, T) and optional extra per-client loss terms (C), e.g. MRFF's balance loss. */
  forward(params: ParamMap, batch: ClientBatch, ctx: LossContext): { logits: Tensor; aux: Tensor | null };
}
