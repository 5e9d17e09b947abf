/**
 * The cross-domain ranking models by name. These are not CTR `ModelSpec`s (they rank candidate lists with per-domain
 * batches and contexts), so they have their own small factory rather than entries in the CTR model registry.
 */
import type { Rng } from '../../random.ts';
import { BPRMF, EMCDR, PTUPCDR, SharedEmb } from './baselines.ts';
import { UniCDR, type UniCdrConfig } from './unicdr.ts';
import type { CdrModel, CdrPrep } from './common.ts';

export { BPRMF, EMCDR, PTUPCDR, SharedEmb } from './baselines.ts';
export { UniCDR, UniCdrConfigSpec, UNICDR_PLUS_EXTENSIONS, type UniCdrConfig } from './unicdr.ts';
export { Aggregator, MmoeHead, itemGraph, propagate, type AggregatorKind, type ItemGraph } from './unicdr-blocks.ts';
export { CdrModel, prepareCdr, easeContextScores, hostBatch, toCdrBatch, bprLoss, candidateBce, stopGradient, type CdrBatch, type CdrPrep, type HostBatch } from './common.ts';

/** Model kinds of the factory. */
export const CDR_MODEL_KINDS = ['bpr-mf', 'shared-emb', 'emcdr', 'ptupcdr', 'unicdr'] as const;
/** One of {@link CDR_MODEL_KINDS}. */
export type CdrModelKind = (typeof CDR_MODEL_KINDS)[number];
/** Kinds that need overlapping users (not defined for multi-item-intra). */
export const USER_OVERLAP_ONLY: ReadonlySet<CdrModelKind> = new Set<CdrModelKind>(['emcdr', 'ptupcdr']);

/**
 * Builds a model. `config.dim` is common; the other keys go to UniCDR's strict config (baselines accept only `dim`).
 * @example
 * const m = createCdrModel('unicdr', rng, prep, { dim: 32, extensions: { mmoe: true } });
 */
export function createCdrModel(kind: CdrModelKind, rng: Rng, prep: CdrPrep, config: Partial<UniCdrConfig> & { dim?: number }): CdrModel {
  const dim = config.dim ?? 64;
  if (kind !== 'unicdr') {
    const extra = Object.keys(config).filter((k) => k !== 'dim');
    if (extra.length) throw new Error(`cdr model '${kind}': unknown config key(s) ${extra.join(', ')} (baselines take only 'dim')`);
  }
  if (USER_OVERLAP_ONLY.has(kind) && prep.data.overlapKind !== 'users') throw new Error(`cdr model '${kind}' needs overlapping users; scenario '${prep.data.scenario}' overlaps items`);
  switch (kind) {
    case 'bpr-mf':
      return new BPRMF(rng, prep, { dim });
    case 'shared-emb':
      return new SharedEmb(rng, prep, { dim });
    case 'emcdr':
      return new EMCDR(rng, prep, { dim });
    case 'ptupcdr':
      return new PTUPCDR(rng, prep, { dim });
    case 'unicdr':
      return new UniCDR(rng, prep, config);
  }
}
