/**
 * MRFF — Multifaceted User Modeling in Recommendation: A Federated Foundation Models Approach (Zhang et al.,
 * AAAI 2025, arXiv:2412.16969; spec papers/mrff.md). A SASRec backbone whose feed-forward block in every layer is a
 * group-level FFN chosen by hard top-1 routing (K distinct FFNs per layer, averaged on the server within each group)
 * plus a user-specific private FFN, trained federatedly with a Switch-style load-balance loss
 *   L = mean_t BCE + sum_l alpha K (n_{l,k*} / N_round) p*_l
 * where n_{l,k} counts the clients that chose group k in layer l in the previous round (server-held). The network is
 * in sasrec.ts (`SASRec` with `groups`, `userFfn`, partition 'mrff'); this file fixes the paper's setting.
 *
 * Partition (spec §3.4): private = user-field embeddings and every UserFFN; group = GroupFFN_{l,k} (grouping
 * `layer{l}`); public = item-attribute embeddings, positions, attention, layer norms, routers, head.
 * Reference deviations (spec §7): K distinct group FFNs (the released code shares one module); the intended
 * public/private split (the released name parsing leaves most parameters neither averaged nor private).
 * Paper deviations: the routing of each client is chosen at the start of its local training and held for its local
 * steps (identical with one local step, the released setting); FedAvg weighting by samples by default (released:
 * unweighted; the engine's `weighting: 'uniform'` gives it); Adam lr is a config (released 0.1); dropout 0.1
 * (released 0.5). The group FFN output is unscaled by p* as released (`scaleByGate` flag), so the router learns only
 * from the balance term (spec §7.3), and no residual wraps the FFN (`residual` flag).
 */
import type { Rng } from '../random.ts';
import type { Field } from '../federated/types.ts';
import { SASRec, type SASRecConfig } from './sasrec.ts';

/**
 * MRFF's setting: 4 groups per layer, a private UserFFN, no shared FFN, balance alpha 0.1, partition 'mrff'.
 * @example
 * MRFF_CONFIG.groups; // 4
 */
export const MRFF_CONFIG: Readonly<Partial<SASRecConfig>> = Object.freeze({ groups: 4, userFfn: true, sharedFfn: false, balanceAlpha: 0.1, partition: 'mrff' as const });

/**
 * Builds MRFF (a `SASRec` with the MRFF setting, overridable).
 * @example
 * const m = createMRFF(new Rng(1), data.itemFields, data.userFields, { groups: 8 });
 */
export function createMRFF(rng: Rng, itemFields: Field[], userFields: Field[], config: Partial<SASRecConfig> = {}): SASRec {
  return new SASRec(rng, itemFields, userFields, { ...MRFF_CONFIG, ...config });
}
