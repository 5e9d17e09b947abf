/**
 * Shared parts of the federated pipelines (mrff/*, fedpa/*): method specs, one fit of a method on federated data
 * (centralised or through the federated engine) returning held-out metrics, communication and the training curve,
 * the world's ceiling row, curve figures and the ordering note.
 */
import { z } from 'zod';
import { Rng } from '../../random.ts';
import { runFederated, type FedConfig, type FedResult } from '../../federated/engine.ts';
import { trainCentral, type CentralConfig } from '../../federated/central.ts';
import type { FedModel, FederatedData } from '../../federated/types.ts';
import { federatedCeiling } from '../../worlds/federated-world.ts';
import { SASRec, type SASRecConfig } from '../../models/sasrec.ts';
import { lineChart, type Figure } from '../../plots/index.ts';
import type { MetricColumn, ReferenceRow, ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';

/**
 * A sequence method: centralised SASRec or a federated run of a SASRec/MRFF config with engine overrides.
 * @example
 * SeqMethod.parse({ label: 'FedProx-SASRec', kind: 'federated', model: {}, fed: { proxMu: 0.01 } });
 */
export const SeqMethod = z.strictObject({
  label: z.string(),
  kind: z.enum(['central', 'federated']),
  /** Passed to SASRec (validated there). */
  model: z.record(z.string(), z.unknown()).default({}),
  /** Engine overrides (validated by the engine). */
  fed: z.record(z.string(), z.unknown()).default({}),
});
/** A sequence method (see the schema). */
export type SeqMethod = z.infer<typeof SeqMethod>;

/**
 * Engine settings shared by every federated method of a pipeline (validated by the engine).
 * @example
 * FedTraining.parse({ rounds: 30, learningRate: 0.02 });
 */
export const FedTraining = z.record(z.string(), z.unknown());

/** Columns of the federated tables. */
export const FED_COLUMNS: MetricColumn[] = [
  { name: 'auc', higherIsBetter: true },
  { name: 'logloss', higherIsBetter: false },
  { name: 'comm_MB_per_round', higherIsBetter: false },
];

/** What one fit returns. */
export interface FitResult {
  auc: number;
  logloss: number;
  commMBPerRound: number;
  secondsPerRound: number;
  /** Validation AUC by round (federated) or epoch (central). */
  curve: Array<{ x: number; auc: number }>;
  assignments: Record<string, number[]>;
  fed: FedResult | null;
}

/**
 * Fits a model: centralised (`central` config) or federated (`fed` config); test metrics at the best validation round.
 * @example
 * const r = await fitModel(model, data, { fed: { rounds: 10 } }, ctx);
 */
export async function fitModel(model: FedModel, data: FederatedData, how: { central?: Partial<CentralConfig>; fed?: Partial<FedConfig> }, ctx: PipelineContext): Promise<FitResult> {
  if (how.central) {
    const r = await trainCentral(model, data, how.central);
    return { auc: r.test.auc, logloss: r.test.logloss, commMBPerRound: 0, secondsPerRound: 0, curve: r.history.map((h) => ({ x: h.epoch, auc: h.valid.auc })), assignments: {}, fed: null };
  }
  const r = await runFederated(model, data, how.fed ?? {}, { log: (l) => ctx.log(l) });
  return {
    auc: r.best.test.auc, logloss: r.best.test.logloss, commMBPerRound: (r.bytesUpPerRound + r.bytesDownPerRound) / 1e6, secondsPerRound: r.secondsPerRound,
    curve: r.history.filter((h) => h.valid).map((h) => ({ x: h.round, auc: (h.valid as { auc: number }).auc })), assignments: r.best.assignments, fed: r,
  };
}

/**
 * Fits one sequence method with a seed.
 * @example
 * await fitSeqMethod({ label: 'MRFF', kind: 'federated', model: MRFF_CONFIG, fed: {} }, data, { rounds: 20 }, 1, ctx);
 */
export async function fitSeqMethod(m: SeqMethod, data: FederatedData, training: { fed: Record<string, unknown>; central: Record<string, unknown>; maxLen: number }, seed: number, ctx: PipelineContext): Promise<FitResult> {
  const model = new SASRec(new Rng(seed), data.itemFields, data.userFields, { maxLen: training.maxLen, ...(m.model as Partial<SASRecConfig>) });
  try {
    if (m.kind === 'central') return await fitModel(model, data, { central: { maxLen: training.maxLen, seed, label: m.label, ...training.central } }, ctx);
    return await fitModel(model, data, { fed: { maxLen: training.maxLen, seed, label: m.label, ...training.fed, ...m.fed } }, ctx);
  } finally {
    model.dispose();
  }
}

/**
 * The ground-truth ceiling row on the held-out test interactions (synthetic data only).
 * @example
 * ceilingReference(data); // { label: 'ground-truth ceiling', values: { auc: 0.85, ... } }
 */
export function ceilingReference(data: FederatedData): ReferenceRow[] {
  if (!data.truth) return [];
  const c = federatedCeiling(data, 'test');
  return [{ label: 'ground-truth ceiling', values: { auc: c.auc, logloss: c.logloss, comm_MB_per_round: null }, note: "the world's true click probabilities on the same held-out interactions" }];
}

/**
 * Mean validation-AUC curve per method over seeds.
 * @example
 * curveFigure({ MRFF: [[{ x: 5, auc: 0.6 }]] }, 'MRFF: validation AUC by round');
 */
export function curveFigure(curves: Record<string, Array<Array<{ x: number; auc: number }>>>, title: string, xTitle = 'round'): Figure {
  const series = Object.entries(curves).filter(([, runs]) => runs.length && runs[0].length).map(([name, runs]) => {
    const xs = runs[0].map((p) => p.x);
    const y = xs.map((_, i) => runs.reduce((a, r) => a + (r[i]?.auc ?? NaN), 0) / runs.length);
    return { name, x: xs, y };
  });
  return lineChart(series, { title, xTitle, yTitle: 'validation AUC (leave-one-out)' });
}

/**
 * Ordering note: methods by mean AUC, and whether `method` beats `other` by more than the seed std.
 * @example
 * orderNote(table, 'MRFF', 'FedAvg-SASRec');
 */
export function orderNote(t: ResultTable, method: string, other: string): string {
  const rows = [...t.rows].sort((a, b) => b.cells.auc.mean - a.cells.auc.mean);
  const a = t.rows.find((r) => r.method === method)?.cells.auc;
  const b = t.rows.find((r) => r.method === other)?.cells.auc;
  let verdict = '';
  if (a && b) {
    const gap = a.mean - b.mean;
    const noise = Math.max(a.std, b.std);
    verdict = gap > noise ? `${method} beats ${other} by ${gap.toFixed(4)} AUC (more than the seed std).` : gap < -noise ? `${method} is WORSE than ${other} by ${(-gap).toFixed(4)} AUC: the paper's claimed ordering does not appear here.` : `${method} and ${other} are within the seed std (${gap.toFixed(4)}): no ordering shown.`;
  }
  return `Ordering by AUC: ${rows.map((r) => r.method).join(' > ')}. ${verdict}`;
}
