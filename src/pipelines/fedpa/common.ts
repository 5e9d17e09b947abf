/**
 * FedPA's set-up shared by fedpa/main and fedpa/ablation: open vs private users (spec §4), the foundation model
 * pre-trained centrally on the open users (checkpoint chosen on the open users' validation AUC, not training AUC:
 * spec §7.3), and one fit of a FedPA variant on the private users starting from the foundation's weights.
 */
import { z } from 'zod';
import { Rng } from '../../random.ts';
import { subsetUsers } from '../../federated/data.ts';
import type { FederatedData } from '../../federated/types.ts';
import { FedPA, type FedPAConfig } from '../../models/fedpa.ts';
import type { PipelineContext } from '../pipeline.ts';
import { fitModel, type FitResult } from '../mrff/common.ts';

/**
 * A FedPA-side method: a FedPA config (mode picks foundation-only, local / FedAvg fine-tuning or adapters) and engine overrides.
 * @example
 * FedPAMethod.parse({ label: 'FedPA', model: { mode: 'fedpa' } });
 */
export const FedPAMethod = z.strictObject({
  label: z.string(),
  /** Passed to FedPA (validated there); mode 'foundation' evaluates the pre-trained model without adaptation. */
  model: z.record(z.string(), z.unknown()).default({}),
  fed: z.record(z.string(), z.unknown()).default({}),
});
/** A FedPA-side method (see the schema). */
export type FedPAMethod = z.infer<typeof FedPAMethod>;

/** Open users: a random `openShare` of the users whose `activity` is in `openLevels`, plus `otherShare` of the rest. */
export const OpenSplit = z.strictObject({
  field: z.string().default('activity'),
  openLevels: z.array(z.number().int()).default([2, 3]),
  openShare: z.number().min(0).max(1).default(0.8),
  otherShare: z.number().min(0).max(1).default(0.2),
});

/**
 * Splits users into open (pre-training) and private (federated) ones, seeded.
 * @example
 * const { open, priv } = openPrivateSplit(data, OpenSplit.parse({}), 1);
 */
export function openPrivateSplit(data: FederatedData, s: z.infer<typeof OpenSplit>, seed: number): { open: Int32Array; priv: Int32Array } {
  const j = data.userFields.findIndex((f) => f.name === s.field);
  if (j < 0) throw new Error(`FedPA open split: no user field '${s.field}' (${data.userFields.map((f) => f.name).join(', ')})`);
  const rng = new Rng(seed * 31 + 7);
  const open: number[] = [];
  const priv: number[] = [];
  for (let u = 0; u < data.users; u++) {
    const high = s.openLevels.includes(data.userFeatures[u * data.userFields.length + j]);
    (rng.bernoulli(high ? s.openShare : s.otherShare) ? open : priv).push(u);
  }
  return { open: Int32Array.from(open), priv: Int32Array.from(priv) };
}

/**
 * Pre-trains the foundation model on the open users (pointwise, centralised; checkpoint chosen on the open users'
 * validation AUC, with early stopping when `central.patience` is set) and returns its weights and the fit (open-user
 * test metrics, best epoch, whether it was still improving at its last allowed epoch, the validation curve).
 * @example
 * const f = await pretrainFoundation(data, open, { epochs: 5 }, {}, 1, ctx);
 * f.fit.stillImproving;
 */
export async function pretrainFoundation(data: FederatedData, open: Int32Array, central: Record<string, unknown>, model: Record<string, unknown>, seed: number, ctx: PipelineContext): Promise<{ state: ReturnType<FedPA['stateDict']>; fit: FitResult }> {
  const openData = subsetUsers(data, open);
  const f = new FedPA(new Rng(seed), data.itemFields, data.userFields, { ...(model as Partial<FedPAConfig>), mode: 'foundation' });
  const fit = await fitModel(f, openData, { central: { batchKind: 'pointwise', maxLen: 64, seed, label: 'foundation pre-training', ...central } }, ctx);
  const state = f.stateDict();
  f.dispose();
  ctx.log(`foundation: open-user test AUC ${fit.auc.toFixed(4)} (SE ${fit.evidence.auc.se.toFixed(4)}, ${open.length} open users), best epoch ${fit.best} of ${fit.curve.length}${fit.stillImproving ? ' (still improving at the last allowed epoch)' : ''}`);
  return { state, fit };
}

/**
 * Fits one FedPA-side method on the private users from the foundation weights.
 * @example
 * await fitFedPAMethod({ label: 'FedPA', model: {}, fed: {} }, privData, foundation, { rounds: 20 }, {}, 1, ctx);
 */
export async function fitFedPAMethod(
  m: FedPAMethod, priv: FederatedData, foundation: ReturnType<FedPA['stateDict']>, fed: Record<string, unknown>, base: Record<string, unknown>, seed: number, ctx: PipelineContext,
): Promise<FitResult> {
  const cfg = { ...(base as Partial<FedPAConfig>), ...(m.model as Partial<FedPAConfig>) };
  const model = new FedPA(new Rng(seed + 1000), priv.itemFields, priv.userFields, cfg);
  try {
    model.loadStateDict(foundation, { strict: false });
    if (cfg.mode === 'foundation') return await fitModel(model, priv, { central: { epochs: 0, batchKind: 'pointwise', seed } }, ctx);
    return await fitModel(model, priv, { fed: { batchKind: 'pointwise', maxLen: 64, seed, label: m.label, ...fed, ...m.fed } }, ctx);
  } finally {
    model.dispose();
  }
}
