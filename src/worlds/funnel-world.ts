/**
 * The funnel world: exposure -> click -> conversion with counterfactual truth, the synthetic ground for entire-space
 * CVR models (ESMM, ESCM2, DCMT, ChorusCVR). Every exposure, clicked or not, has a known conversion probability and a
 * sampled "would it have converted if clicked" label; only the click and the observed conversion (= click x that
 * label) reach the dataset columns, the rest is in `truth` for evaluation.
 *
 * Mechanism. Per exposure (user u, item i) three standardised scores (zero mean, unit variance over the exposures):
 *   z_c = std(<uc_u, ic_i> + a_i + bc_u)                    click taste: category match, item attractiveness
 *   z_v = std(<uv_u, iv_i> + q_seller(i) - s_u price_i + bv_u)  conversion taste: seller match/quality, price fit
 *   z_s = std(<us_u, is_i> + appeal_i)                       a shared affinity that drives both steps
 * and one unobserved per-exposure "intent" eps ~ N(0, 1) (the user's mood at that moment, in no column):
 *   S     = sqrt(1 - tau) z_s + sqrt(tau) eps                (tau = intentShare)
 *   p_ctr = sigmoid(b_c + clickSignal z_c + rho S)           (rho = selectionBias)
 *   p_cvr = sigmoid(b_v + conversionSignal z_v + rho_v S)    (rho_v = rho, or solved from ambiguousShare)
 *   click ~ Bernoulli(p_ctr);  conversion_if_clicked ~ Bernoulli(p_cvr), independently;  conversion = click x it.
 * Why naive CVR is biased: with rho = 0 click and conversion depend on independently drawn factors and the clicked
 * rows are (up to chance correlations of a finite world) a random sample for the conversion task. With rho > 0 clicks
 * select exposures with high S, and S also moves conversion: (1) covariate shift — the clicked space over-represents
 * high-S exposures, and where p_ctr is low there are few clicked rows, so a model fitted on O alone learns the
 * conversion function where clicks are and extrapolates to the unclicked region where most exposures are (the
 * clicked-space CVR exceeds the exposure-space CVR; `funnel-world.test.ts` measures the gap from the truth); (2) with
 * intentShare > 0, missing not at random — the unobserved intent eps is part of S, so P(convert | x, clicked) is not
 * P(convert | x) = E_eps p_cvr: among clicked exposures of a low-p_ctr x only high-intent ones survive, so their
 * observed CVR is inflated the most. (1) is what IPS / DR / entire-space training can correct; (2) no method of the
 * family can (all of them estimate P(convert | x, clicked)), so it is off by default.
 * User tastes uc, uv, us are centred on the user's segment (age bucket x city tier, observed) plus a 30% individual
 * part; item vectors on the category (click, shared) and the seller (conversion) plus item noise. Each user sees
 * items drawn with weight exp(0.5 a_i + noise) (a deployed system favours attractive items).
 * Knobs calibrated on the generated exposures (Newton / bisection on intercepts): `clickRate` = mean p_ctr over
 * exposures, `conversionRate` = expected CVR on the click space (sum p_ctr p_cvr / sum p_ctr), and `ambiguousShare`
 * = share of unclicked exposures that would have converted (sum (1 - p_ctr) p_cvr / sum (1 - p_ctr)); null leaves
 * rho_v = rho, a number solves rho_v for it (reachable only when rho > 0; above conversionRate means rho_v < 0,
 * "clickbait": what raises clicks lowers conversion).
 *
 * Truth per part (Float32 (n), aligned with the rows; names in `FUNNEL_TRUTH`): `click` = p_ctr, `conversion` =
 * p_ctcvr = p_ctr p_cvr (the probability of each label column), `p_cvr`, `conversion_if_clicked` (the counterfactual
 * label, 0/1), and the two conversion rates a model that sees only the features x (user, item) can target, the intent
 * eps integrated out (quadrature over N(0, 1)):
 *   p_cvr_x         = E_eps[p_cvr]                          P(would convert | x): the entire-space target
 *   p_cvr_x_clicked = E_eps[p_ctr p_cvr] / E_eps[p_ctr]     P(convert | x, clicked): what a clicked-row fit estimates
 * With intentShare 0 both equal p_cvr (x fixes every score); with intentShare > 0 and rho, rho_v > 0 the clicked-row
 * rate exceeds p_cvr_x (missing not at random: the hidden confounder).
 * Ground-truth ceilings at the defaults (test part, `funnelCeilings`): CTR AUC on D 0.905, CVR AUC on O 0.850,
 * CTCVR AUC on D 0.958, CVR AUC on D vs the counterfactual labels 0.878, CVR log loss on O 0.362. With selectionBias 0:
 * 0.844 / 0.810 / 0.881 / 0.779; with 3: 0.962 / 0.913 / 0.992 / 0.966. The defaults give about 84k training
 * exposures, 4.1k clicks and 0.8k conversions; generation takes under a second.
 */
import { z } from 'zod';
import { Dataset } from '../data/dataset.ts';
import type { Schema } from '../data/schema.ts';
import { Rng } from '../random.ts';
import { auc, logloss } from '../metrics/index.ts';
import { sigmoid, splitByTime, type WorldData } from './world.ts';

/** Knobs of the funnel world; defaults in `FUNNEL_WORLD_DEFAULTS`. */
export interface FunnelWorldConfig {
  users: number;
  items: number;
  categories: number;
  /** Sellers (brands); conversion depends on the seller, click on the category. */
  sellers: number;
  /** Dimension of the latent vectors. */
  latentDim: number;
  exposuresPerUser: number;
  /** Target mean p_ctr over exposures. */
  clickRate: number;
  /** Target expected CVR on the click space. */
  conversionRate: number;
  /** rho: weight of the shared factor S in the click logit (0 = no selection bias). */
  selectionBias: number;
  /** Share of S's variance that is unobserved per-exposure intent (the not-at-random part of the bias). */
  intentShare: number;
  /** Target share of unclicked exposures that would have converted; null = rho_v = rho. */
  ambiguousShare: number | null;
  /** Weight of the click-only score z_c. */
  clickSignal: number;
  /** Weight of the conversion-only score z_v. */
  conversionSignal: number;
  /** Fractions of exposures (by time) in validation and test. */
  validShare: number;
  testShare: number;
  seed: number;
}

/**
 * Defaults: 3 000 users x 40 exposures (120k rows, 84k train), 1 000 items in 30 categories from 100 sellers,
 * CTR 5%, post-click CVR 20%, selection bias 1.5 without unobserved intent, signals 1.5 / 1.2, seed 11.
 */
export const FUNNEL_WORLD_DEFAULTS: FunnelWorldConfig = {
  users: 3000,
  items: 1000,
  categories: 30,
  sellers: 100,
  latentDim: 8,
  exposuresPerUser: 40,
  clickRate: 0.05,
  conversionRate: 0.2,
  selectionBias: 1.5,
  intentShare: 0,
  ambiguousShare: null,
  clickSignal: 1.5,
  conversionSignal: 1.2,
  validShare: 0.1,
  testShare: 0.2,
  seed: 11,
};

/**
 * Names of the truth arrays (`world.truth[part][name]`, Float32 (n) each).
 * @example
 * world.truth.test[FUNNEL_TRUTH.cfConversion]; // 0/1 per test exposure: would it have converted if clicked
 */
export const FUNNEL_TRUTH = {
  /** p_ctr = P(click = 1). */
  pCtr: 'click',
  /** p_ctcvr = p_ctr p_cvr = P(conversion = 1). */
  pCtcvr: 'conversion',
  /** p_cvr = P(would convert | clicked), for every exposure (given the exposure's intent eps too). */
  pCvr: 'p_cvr',
  /** P(would convert | x) = E_eps[p_cvr]: the intent integrated out, the entire-space target of a features-only model. */
  pCvrX: 'p_cvr_x',
  /** P(convert | x, clicked) = E_eps[p_ctr p_cvr] / E_eps[p_ctr]: what a model fitted on the clicked rows estimates. */
  pCvrXClicked: 'p_cvr_x_clicked',
  /** The sampled counterfactual conversion label (0/1) of every exposure; conversion = click x this. */
  cfConversion: 'conversion_if_clicked',
} as const;

const rate = z.number().gt(0).lt(1);
/**
 * Strict zod schema of a partial config (for pipeline configs read from JSON); unknown keys are errors.
 * @example
 * FunnelWorldConfigSpec.parse({ users: 1000, selectionBias: 2 });
 */
export const FunnelWorldConfigSpec = z
  .strictObject({
    users: z.number().int().min(1), items: z.number().int().min(1), categories: z.number().int().min(1),
    sellers: z.number().int().min(1), latentDim: z.number().int().min(1), exposuresPerUser: z.number().int().min(1),
    clickRate: rate, conversionRate: rate, selectionBias: z.number().min(0), intentShare: z.number().min(0).max(1),
    ambiguousShare: rate.nullable(), clickSignal: z.number().min(0), conversionSignal: z.number().min(0),
    validShare: rate, testShare: rate, seed: z.number().int(),
  })
  .partial();

/**
 * Resolves a partial config against the defaults (new object); unknown keys and bad values are errors naming the key.
 * @example
 * resolveFunnelWorldConfig({ selectionBias: 0 }).users; // 3000
 */
export function resolveFunnelWorldConfig(partial: Partial<FunnelWorldConfig> = {}): FunnelWorldConfig {
  const known = Object.keys(FUNNEL_WORLD_DEFAULTS);
  for (const k of Object.keys(partial)) {
    if (!known.includes(k)) throw new Error(`funnel-world config: unknown key '${k}' (known: ${known.join(', ')})`);
  }
  const parsed = FunnelWorldConfigSpec.safeParse(partial);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`funnel-world config: '${issue.path.join('.')}' ${issue.message} (got ${JSON.stringify(partial[issue.path[0] as keyof FunnelWorldConfig])})`);
  }
  const c = { ...FUNNEL_WORLD_DEFAULTS, ...partial };
  if (c.items < c.categories || c.items < c.sellers) throw new Error(`funnel-world config: items (${c.items}) must be at least categories (${c.categories}) and sellers (${c.sellers})`);
  if (c.validShare + c.testShare >= 1) throw new Error('funnel-world config: validShare + testShare must be < 1');
  return c;
}

/**
 * The world's schema: categorical user_id, age_bucket (7), city_tier (4), item_id, category_id, seller_id (ids from 0),
 * dense price (the item's log price); labels click and conversion; timestamp ts (splits only).
 * @example
 * funnelWorldSchema(resolveFunnelWorldConfig()).labels; // ['click', 'conversion']
 */
export function funnelWorldSchema(c: FunnelWorldConfig): Schema {
  return {
    features: [
      { kind: 'categorical', name: 'user_id', vocab: c.users },
      { kind: 'categorical', name: 'age_bucket', vocab: 7 },
      { kind: 'categorical', name: 'city_tier', vocab: 4 },
      { kind: 'categorical', name: 'item_id', vocab: c.items },
      { kind: 'categorical', name: 'category_id', vocab: c.categories },
      { kind: 'categorical', name: 'seller_id', vocab: c.sellers },
      { kind: 'dense', name: 'price' },
    ],
    labels: ['click', 'conversion'],
    userId: 'user_id',
    timestamp: 'ts',
  };
}

/**
 * The funnel's label invariant: conversion is observed only after a click, so a conversion of 1 on a row whose click
 * is 0 is a data error naming the row (loaders call this; nothing is dropped). Returns the counts.
 * @example
 * checkFunnelLabels(ds, 'click', 'purchase', 'sample_skeleton_train.csv'); // { exposures: 1000, clicks: 40, conversions: 1 }
 */
export function checkFunnelLabels(ds: Dataset, clickLabel: string, convLabel: string, source: string): { exposures: number; clicks: number; conversions: number } {
  const click = ds.label(clickLabel);
  const conv = ds.label(convLabel);
  let clicks = 0;
  let conversions = 0;
  for (let i = 0; i < ds.size; i++) {
    if (conv[i] === 1 && click[i] !== 1) throw new Error(`${source}: row ${i}: '${convLabel}' is 1 but '${clickLabel}' is 0 (a conversion without a click)`);
    clicks += click[i];
    conversions += conv[i];
  }
  return { exposures: ds.size, clicks, conversions };
}

/** Share of a user's taste vectors that is individual rather than the segment's (age bucket x city tier). */
const IDIOSYNCRASY = 0.3;

function standardise(x: Float64Array): Float64Array {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  const sd = Math.sqrt(s / x.length) || 1;
  return x.map((v) => (v - m) / sd);
}

/** Intercept b with mean_w sigmoid(b + base) = target (weights w, or uniform): Newton steps kept inside a bisection bracket. */
function solveIntercept(base: Float64Array, target: number, w?: Float64Array): number {
  let lo = -40;
  let hi = 40;
  let b = Math.log(target / (1 - target));
  for (let it = 0; it < 100; it++) {
    let num = 0;
    let slope = 0;
    let den = 0;
    for (let r = 0; r < base.length; r++) {
      const wr = w ? w[r] : 1;
      const p = sigmoid(b + base[r]);
      num += wr * p;
      slope += wr * p * (1 - p);
      den += wr;
    }
    const f = num / den - target;
    if (Math.abs(f) < 1e-9) break;
    if (f < 0) lo = b;
    else hi = b;
    const next = b - f / (slope / den);
    b = next > lo && next < hi ? next : (lo + hi) / 2;
  }
  return b;
}

/**
 * Generates the world: deterministic for a given config (including `seed`). `world.config` records the resolved
 * config and `solvedRhoV`, the conversion's weight on S.
 * @example
 * const world = generateFunnelWorld({ users: 1000, selectionBias: 2 });
 * world.truth.test.p_cvr; // Float32Array(world.test.size)
 */
export function generateFunnelWorld(partial: Partial<FunnelWorldConfig> = {}): WorldData {
  const c = resolveFunnelWorldConfig(partial);
  const rng = new Rng(c.seed);
  const K = c.latentDim;
  const vec = (scale: number) => Float64Array.from({ length: K }, () => rng.normal() * scale);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, d) => s + x * b[d], 0);

  // Items: click vector from the category, conversion vector from the seller, a shared vector, attractiveness, price.
  const catCentre = Array.from({ length: c.categories }, () => vec(1));
  const catShared = Array.from({ length: c.categories }, () => vec(1));
  const catPrice = Float64Array.from({ length: c.categories }, () => rng.normal() * 0.7);
  const sellerVec = Array.from({ length: c.sellers }, () => vec(1));
  const sellerQuality = Float64Array.from({ length: c.sellers }, () => rng.normal() * 0.8);
  const item = Array.from({ length: c.items }, (_, i) => {
    const cat = i < c.categories ? i : rng.int(c.categories);
    const seller = i < c.sellers ? i : rng.int(c.sellers);
    return {
      cat, seller,
      ic: catCentre[cat].map((x) => x + rng.normal() * 0.5), iv: sellerVec[seller].map((x) => x + rng.normal() * 0.5), is: catShared[cat].map((x) => x + rng.normal() * 0.7),
      attract: rng.normal(), appeal: rng.normal() * 0.8, price: catPrice[cat] + rng.normal() * 0.5,
    };
  });
  const exposureWeight = Float64Array.from(item, (it) => Math.exp(0.5 * it.attract + rng.normal() * 0.5));

  // Users: tastes centred on their segment (age bucket x city tier, both observed) plus an individual part.
  const segment = Array.from({ length: 7 * 4 }, () => ({ c: vec(1), v: vec(1), s: vec(1) }));

  // Exposures: each user sees items drawn by exposure weight (a deployed system favours attractive items).
  const rows = c.users * c.exposuresPerUser;
  const col = {
    user_id: new Int32Array(rows), age_bucket: new Int32Array(rows), city_tier: new Int32Array(rows), item_id: new Int32Array(rows),
    category_id: new Int32Array(rows), seller_id: new Int32Array(rows), price: new Float32Array(rows),
    click: new Float32Array(rows), conversion: new Float32Array(rows), ts: new Float64Array(rows),
  };
  const raw = { c: new Float64Array(rows), v: new Float64Array(rows), s: new Float64Array(rows) };
  const intent = new Float64Array(rows);
  let r = 0;
  for (let u = 0; u < c.users; u++) {
    const age = rng.int(7);
    const tier = rng.int(4);
    const seg = segment[age * 4 + tier];
    const [uc, uv, us] = [seg.c, seg.v, seg.s].map((centre) => centre.map((x) => (Math.sqrt(1 - IDIOSYNCRASY) * x + Math.sqrt(IDIOSYNCRASY) * rng.normal()) / Math.sqrt(K)));
    const sensitivity = 0.4 + 0.25 * tier - 0.05 * age + rng.normal() * 0.3; // s_u: price sensitivity
    const bc = (age - 3) * 0.1 + rng.normal() * 0.3;
    const bv = rng.normal() * 0.3;
    for (let k = 0; k < c.exposuresPerUser; k++, r++) {
      const i = rng.categorical(exposureWeight);
      const it = item[i];
      raw.c[r] = dot(uc, it.ic) + it.attract + bc;
      raw.v[r] = dot(uv, it.iv) + sellerQuality[it.seller] - sensitivity * it.price + bv;
      raw.s[r] = dot(us, it.is) + it.appeal;
      intent[r] = rng.normal();
      col.user_id[r] = u;
      col.age_bucket[r] = age;
      col.city_tier[r] = tier;
      col.item_id[r] = i;
      col.category_id[r] = it.cat;
      col.seller_id[r] = it.seller;
      col.price[r] = it.price;
      col.ts[r] = rng.uniform();
    }
  }
  const zc = standardise(raw.c);
  const zv = standardise(raw.v);
  const zs = standardise(raw.s);
  const S = zs.map((x, j) => Math.sqrt(1 - c.intentShare) * x + Math.sqrt(c.intentShare) * intent[j]);

  // Calibration: b_c from clickRate; b_v (and rho_v when ambiguousShare is set) from the CVR targets.
  const baseC = zc.map((x, j) => c.clickSignal * x + c.selectionBias * S[j]);
  const bC = solveIntercept(baseC, c.clickRate);
  const pCtr = baseC.map((x) => sigmoid(bC + x));
  const noClick = pCtr.map((p) => 1 - p);
  const baseV = (rhoV: number) => zv.map((x, j) => c.conversionSignal * x + rhoV * S[j]);
  const cvrOf = (rhoV: number) => {
    const base = baseV(rhoV);
    const b = solveIntercept(base, c.conversionRate, pCtr);
    const p = base.map((x) => sigmoid(b + x));
    intercept = b;
    let num = 0;
    let den = 0;
    for (let j = 0; j < rows; j++) {
      num += noClick[j] * p[j];
      den += noClick[j];
    }
    return { p, unclicked: num / den };
  };
  let intercept = 0;
  let rhoV = c.selectionBias;
  if (c.ambiguousShare !== null) {
    const [hiShare, loShare] = [cvrOf(-8).unclicked, cvrOf(8).unclicked];
    if (!(c.ambiguousShare > loShare && c.ambiguousShare < hiShare)) {
      throw new Error(`funnel-world config: ambiguousShare ${c.ambiguousShare} is out of reach with selectionBias ${c.selectionBias} (reachable: (${loShare.toFixed(4)}, ${hiShare.toFixed(4)}))`);
    }
    let lo = -8;
    let hi = 8;
    for (let it = 0; it < 30; it++) {
      const mid = (lo + hi) / 2;
      if (cvrOf(mid).unclicked > c.ambiguousShare) lo = mid;
      else hi = mid;
    }
    rhoV = (lo + hi) / 2;
  }
  const pCvr = cvrOf(rhoV).p; // also sets `intercept` = b_v of rho_v
  const { pCvrX, pCvrXClicked } = featureOnlyRates(c, zc, zv, zs, bC, intercept, rhoV, pCvr);

  // Sampling: click and the counterfactual conversion, independently given everything the world knows.
  const cf = new Float32Array(rows);
  for (let j = 0; j < rows; j++) {
    col.click[j] = rng.bernoulli(pCtr[j]) ? 1 : 0;
    cf[j] = rng.bernoulli(pCvr[j]) ? 1 : 0;
    col.conversion[j] = col.click[j] * cf[j]; // conversion = click x conversion_if_clicked
  }
  const all = Dataset.fromColumns(funnelWorldSchema(c), col, 'funnel-world');
  checkFunnelLabels(all, 'click', 'conversion', 'funnel-world');
  const pCtcvr = Float32Array.from(pCtr, (p, j) => p * pCvr[j]);
  const truthColumns = {
    [FUNNEL_TRUTH.pCtr]: pCtr, [FUNNEL_TRUTH.pCtcvr]: pCtcvr, [FUNNEL_TRUTH.pCvr]: pCvr, [FUNNEL_TRUTH.cfConversion]: cf,
    [FUNNEL_TRUTH.pCvrX]: pCvrX, [FUNNEL_TRUTH.pCvrXClicked]: pCvrXClicked,
  };
  const { train, valid, test } = splitByTime(all, col.ts, truthColumns, c);
  return {
    name: 'funnel-world',
    config: { ...c, solvedRhoV: rhoV },
    train: train.ds,
    valid: valid.ds,
    test: test.ds,
    truth: { train: train.truth, valid: valid.truth, test: test.truth },
  };
}

/** Nodes of the intent quadrature: eps on [-6, 6] in steps of 0.25, weights the normal density, normalised. */
const INTENT_NODES = Array.from({ length: 49 }, (_, k) => -6 + 0.25 * k);
const INTENT_WEIGHTS = (() => {
  const d = INTENT_NODES.map((e) => Math.exp(-0.5 * e * e));
  const z = d.reduce((s, x) => s + x, 0);
  return d.map((x) => x / z);
})();

/**
 * p_cvr_x = E_eps[p_cvr] and p_cvr_x_clicked = E_eps[p_ctr p_cvr] / E_eps[p_ctr] per exposure, integrating the intent
 * eps ~ N(0, 1) out of S = sqrt(1 - tau) z_s + sqrt(tau) eps by quadrature; with tau = 0 both are p_cvr itself.
 */
function featureOnlyRates(c: FunnelWorldConfig, zc: Float64Array, zv: Float64Array, zs: Float64Array, bC: number, bV: number, rhoV: number, pCvr: Float64Array): { pCvrX: Float64Array; pCvrXClicked: Float64Array } {
  if (c.intentShare === 0) return { pCvrX: Float64Array.from(pCvr), pCvrXClicked: Float64Array.from(pCvr) };
  const n = zc.length;
  const pCvrX = new Float64Array(n);
  const pCvrXClicked = new Float64Array(n);
  const [keep, scale] = [Math.sqrt(1 - c.intentShare), Math.sqrt(c.intentShare)];
  for (let j = 0; j < n; j++) {
    const sx = keep * zs[j];
    const [lc, lv] = [bC + c.clickSignal * zc[j], bV + c.conversionSignal * zv[j]];
    let ev = 0;
    let ecv = 0;
    let ec = 0;
    for (let k = 0; k < INTENT_NODES.length; k++) {
      const s = sx + scale * INTENT_NODES[k];
      const pc = sigmoid(lc + c.selectionBias * s);
      const pv = sigmoid(lv + rhoV * s);
      const wk = INTENT_WEIGHTS[k];
      ev += wk * pv;
      ecv += wk * pc * pv;
      ec += wk * pc;
    }
    pCvrX[j] = ev;
    pCvrXClicked[j] = ecv / ec;
  }
  return { pCvrX, pCvrXClicked };
}

/** Ground-truth ceilings of the four entire-space tasks (see `funnelCeilings`). */
export interface FunnelCeilings {
  /** AUC of p_ctr vs click on all exposures (D). */
  ctrAuc: number;
  /** AUC of p_cvr vs conversion on the clicked exposures (O). */
  cvrAucClicked: number;
  /** AUC of p_ctcvr vs conversion on D. */
  ctcvrAuc: number;
  /** AUC of p_cvr vs the counterfactual conversion label on D (only a synthetic world can give it). */
  cvrAucEntire: number;
  /** Log loss of p_cvr vs conversion on O. */
  cvrLoglossClicked: number;
}

/**
 * The features-only ceiling of the entire-space CVR AUC on a part: P(would convert | x) (`p_cvr_x`, the unlogged intent
 * integrated out) scored against the counterfactual conversion labels. No model that sees only the logged features
 * beats it in expectation; `funnelCeilings`' cvrAucEntire scores the true p_cvr, which also knows each exposure's
 * intent, and so is an upper bound no model can reach.
 * @example
 * featuresOnlyCvrCeiling(world, 'test') <= funnelCeilings(world, 'test').cvrAucEntire; // true in expectation
 */
export function featuresOnlyCvrCeiling(world: WorldData, part: 'train' | 'valid' | 'test'): number {
  const t = world.truth[part];
  for (const name of [FUNNEL_TRUTH.pCvrX, FUNNEL_TRUTH.cfConversion]) {
    if (!t[name]) throw new Error(`featuresOnlyCvrCeiling: world '${world.name}' has no truth '${name}' (truth: ${Object.keys(t).join(', ')})`);
  }
  return auc(t[FUNNEL_TRUTH.cfConversion], t[FUNNEL_TRUTH.pCvrX]);
}

/**
 * The best achievable scores on a part: the metrics of the world's true probabilities (no model seeing only the
 * features beats them in expectation). Same fields as `evaluateEntireSpace` in train/evaluate-cvr.ts.
 * @example
 * funnelCeilings(world, 'test'); // { ctrAuc: 0.80, cvrAucClicked: 0.78, ctcvrAuc: 0.87, cvrAucEntire: 0.80, ... }
 */
export function funnelCeilings(world: WorldData, part: 'train' | 'valid' | 'test'): FunnelCeilings {
  const t = world.truth[part];
  for (const name of [FUNNEL_TRUTH.pCtr, FUNNEL_TRUTH.pCtcvr, FUNNEL_TRUTH.pCvr, FUNNEL_TRUTH.cfConversion]) {
    if (!t[name]) throw new Error(`funnelCeilings: world '${world.name}' has no truth '${name}' (truth: ${Object.keys(t).join(', ')})`);
  }
  const ds = world[part];
  const click = ds.label('click');
  const conv = ds.label('conversion');
  const clicked: number[] = [];
  for (let i = 0; i < ds.size; i++) if (click[i] === 1) clicked.push(i);
  const yO = Float32Array.from(clicked, (i) => conv[i]);
  const pO = Float32Array.from(clicked, (i) => t[FUNNEL_TRUTH.pCvr][i]);
  return {
    ctrAuc: auc(click, t[FUNNEL_TRUTH.pCtr]),
    cvrAucClicked: auc(yO, pO),
    ctcvrAuc: auc(conv, t[FUNNEL_TRUTH.pCtcvr]),
    cvrAucEntire: auc(t[FUNNEL_TRUTH.cfConversion], t[FUNNEL_TRUTH.pCvr]),
    cvrLoglossClicked: logloss(yO, pO),
  };
}
