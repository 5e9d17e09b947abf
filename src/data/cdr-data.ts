/**
 * The cross-domain recommendation (CDR) data shape: what the multi-domain world and the CDRIB / UniCDR text loader
 * both produce and the unicdr pipelines consume (convention 11b: shapes of data belong to the data layer).
 * Users live in ONE global id space [0, nUsers): a user present in several domains has one id there; a domain's own
 * users (no counterpart elsewhere) get ids of their own. Items are per domain, [0, nItems), with `globalItem` mapping
 * them into one catalogue.
 * Layering note: src/worlds/multi-domain-world.ts still declares identical types (structurally the same, so values
 * pass between them); it should import and re-export these instead.
 */

/** The four UniCDR scenarios. 'dual-user-inter' is the cold-start one (test users unseen in the target domain). */
export const CDR_SCENARIOS = ['dual-user-intra', 'dual-user-inter', 'multi-item-intra', 'multi-user-intra'] as const;
/** One of {@link CDR_SCENARIOS}. */
export type CdrScenario = (typeof CDR_SCENARIOS)[number];

/** (user, item) pairs in time order: users global, items the domain's own ids in [0, nItems). */
export interface Pairs {
  users: Int32Array;
  items: Int32Array;
}

/** One domain of a CDR data set. */
export interface CdrDomain {
  name: string;
  nItems: number;
  train: Pairs;
  /** Validation / test pairs of warm users (with training history in this domain). */
  valid: Pairs;
  test: Pairs;
  /** Test / valid pairs of cold-start users (no training history in this domain); empty when none. */
  coldTest: Pairs;
  coldValid: Pairs;
  /** Observable item category per item (0 when unknown). */
  itemCategory: Int32Array;
  /** Global item id per item (item-overlap data: shared products share it; else a disjoint range). */
  globalItem: Int32Array;
  /** Second behaviour per training row (1 = long view). */
  longView: Uint8Array;
}

/** A generated or loaded multi-domain data set. */
export interface CdrData {
  scenario: CdrScenario;
  nUsers: number;
  nGlobalItems: number;
  nCategories: number;
  /** Observable user segment per user (0 when unknown). */
  userSegment: Int32Array;
  nSegments: number;
  domains: CdrDomain[];
  /** What overlaps: 'users' or 'items'. */
  overlapKind: 'users' | 'items';
}

/**
 * Which validation pairs select the best epoch: 'cold' when the scenario is the cold-start one or when no domain has
 * a warm validation pair (CDRIB's split: every validation user is cold-start, so warm validation is empty and a
 * best-epoch rule on it never moves), else 'warm'.
 * @example
 * const split = cdrValidationSplit(data); const pairs = split === 'cold' ? dom.coldValid : dom.valid;
 */
export function cdrValidationSplit(data: Pick<CdrData, 'scenario' | 'domains'>): 'warm' | 'cold' {
  if (data.scenario === 'dual-user-inter') return 'cold';
  return data.domains.every((d) => d.valid.users.length === 0) ? 'cold' : 'warm';
}

/**
 * The validation pairs of a domain under `cdrValidationSplit`.
 * @example
 * const v = cdrValidationPairs(data, 0); v.users.length;
 */
export function cdrValidationPairs(data: Pick<CdrData, 'scenario' | 'domains'>, domain: number): Pairs {
  const d = data.domains[domain];
  if (!d) throw new Error(`cdrValidationPairs: no domain ${domain} (${data.domains.length} domains)`);
  return cdrValidationSplit(data) === 'cold' ? d.coldValid : d.valid;
}
