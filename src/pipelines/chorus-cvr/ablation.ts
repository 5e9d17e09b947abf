/**
 * Pipeline `chorus-cvr/ablation`: ChorusCVR's losses removed in turn on the funnel world (spec §4 "Ablation
 * (Proposal)"; the paper's ablation table is not available). Variants of the full model (inverse Eq. 10 weights, every
 * term on, lambda = 1): each of L_ctr, L_ctcvr, L_cvr, L_ctun, L_un, L_sam switched off (L_sam off = lambda 0); w/o NDM
 * (L_ctun, L_un and L_sam off, leaving an IPS-weighted ESMM); SAM on O only; SAM on N only; multiplicative Eq. 10
 * weights; SAM without IPW. Same training as chorus-cvr/main (early stopping on validation CVR AUC over clicked rows).
 * Table: cvr_auc (O), ctcvr_auc (D), cvr_auc_entire (D vs counterfactual labels), base = the full model.
 * Figure: cvr_auc_entire per variant with the ceiling line.
 */
import { z } from 'zod';
import { FunnelWorldConfigSpec, funnelCeilings, generateFunnelWorld, type FunnelWorldConfig } from '../../worlds/funnel-world.ts';
import { barChart } from '../../plots/index.ts';
import { buildResultTable, type MethodResult } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { Backbone, CvrMethod, ENTIRE_SPACE_COLUMNS, QUICK_BACKBONE, QUICK_TRAINER, ceilingRow, fitEntireSpace, orderingNote } from './common.ts';

/**
 * Strict config schema of `chorus-cvr/ablation` (unknown keys are errors; variant configs are checked by the model).
 * @example
 * ChorusAblationConfig.parse({ ...chorusAblationDefaults(true), seeds: [1] });
 */
export const ChorusAblationConfig = z.strictObject({
  world: FunnelWorldConfigSpec,
  base: z.string(),
  variants: z.array(CvrMethod).min(1),
  backbone: Backbone,
  /** Passed to the trainer (validated there). */
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `chorus-cvr/ablation` (see the schema). */
export type ChorusAblationConfig = z.infer<typeof ChorusAblationConfig>;

const chorus = (label: string, config: Record<string, unknown>): CvrMethod => ({ label, model: 'chorus-cvr', config });
/**
 * The variants: the full model first (the base), then one change each.
 * @example
 * ABLATION_VARIANTS[7]; // { label: 'w/o NDM (no L_ctun, L_un, L_sam)', model: 'chorus-cvr', config: { terms: { ctun: false, un: false, sam: false } } }
 */
export const ABLATION_VARIANTS: CvrMethod[] = [
  chorus('ChorusCVR', {}),
  chorus('w/o L_ctr', { terms: { ctr: false } }),
  chorus('w/o L_ctcvr', { terms: { ctcvr: false } }),
  chorus('w/o L_cvr', { terms: { cvr: false } }),
  chorus('w/o L_ctun', { terms: { ctun: false } }),
  chorus('w/o L_un', { terms: { un: false } }),
  chorus('w/o L_sam (λ = 0)', { terms: { sam: false } }),
  chorus('w/o NDM (no L_ctun, L_un, L_sam)', { terms: { ctun: false, un: false, sam: false } }),
  chorus('SAM on O only', { samSpace: 'clicked' }),
  chorus('SAM on N only', { samSpace: 'unclicked' }),
  chorus('multiplicative weighting', { samWeighting: 'multiplicative' }),
  chorus('SAM without IPW', { samWeighting: 'none' }),
];

/**
 * Quick: a 1 500-user world, the small backbone, 2 seeds. Full: 10 000 users, spec §3.4 backbone, 3 seeds.
 * @example
 * chorusAblationDefaults(true).variants.length; // 12
 */
export function chorusAblationDefaults(quick: boolean): ChorusAblationConfig {
  return {
    world: quick ? { users: 1500 } : { users: 10000 },
    base: 'ChorusCVR',
    variants: structuredClone(ABLATION_VARIANTS),
    backbone: quick ? structuredClone(QUICK_BACKBONE) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : { epochs: 6, batchSize: 2048, optimizer: { learningRate: 2e-3 }, patience: 1 },
    seeds: quick ? [1, 2] : [1, 2, 3],
  };
}

const COLUMNS = ENTIRE_SPACE_COLUMNS.filter((c) => ['cvr_auc', 'ctcvr_auc', 'cvr_auc_entire'].includes(c.name));

/**
 * The pipeline, registered as 'chorus-cvr/ablation'.
 * @example
 * const run = await runPipeline('chorus-cvr/ablation', { quick: true });
 */
export const chorusCvrAblationPipeline: PipelineSpec<ChorusAblationConfig> = {
  name: 'chorus-cvr/ablation',
  paper: 'chorus-cvr',
  title: "Ablation of ChorusCVR's losses (funnel world)",
  description: 'ChorusCVR with each loss term removed, w/o NDM, SAM on O / N only, multiplicative or no SAM weights',
  schema: ChorusAblationConfig,
  defaults: (mode) => chorusAblationDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateFunnelWorld(config.world as Partial<FunnelWorldConfig>));
    const ceilings = funnelCeilings(world, 'test');
    const results: MethodResult[] = config.variants.map((v) => ({ method: v.label, seeds: [...config.seeds], values: Object.fromEntries(COLUMNS.map((c) => [c.name, [] as number[]])) }));
    for (const seed of config.seeds) {
      for (const [i, method] of config.variants.entries()) {
        // One initialisation per seed for every variant (index 0): the variants differ only in their loss.
        const r = await fitEntireSpace({ world, method, backbone: config.backbone, trainer: config.trainer, seed, index: 0, ctx });
        for (const c of COLUMNS) results[i].values[c.name].push(r.metrics[c.key] as number);
        ctx.log(`${method.label} seed ${seed}: CVR AUC O ${r.metrics.cvrAucClicked.toFixed(4)}, D ${(r.metrics.cvrAucEntire as number).toFixed(4)}, CTCVR AUC ${r.metrics.ctcvrAuc.toFixed(4)} (best epoch ${r.bestEpoch + 1})`);
      }
    }
    const table = buildResultTable({
      title: `ChorusCVR ablation on funnel-world (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, test split)`,
      base: config.base, metrics: COLUMNS, results, references: [ceilingRow(ceilings, COLUMNS)],
    });
    const base = table.rows.find((r) => r.method === config.base);
    const hurt: string[] = [];
    const helped: string[] = [];
    for (const r of table.rows) {
      if (!base || r === base) continue;
      const c = r.cells.cvr_auc_entire;
      const noise = Math.max(c.std, base.cells.cvr_auc_entire.std);
      const gap = c.mean - base.cells.cvr_auc_entire.mean;
      if (c.n >= 2 && gap < -noise) hurt.push(`${r.method} (${gap.toFixed(4)})`);
      if (c.n >= 2 && gap > noise) helped.push(`${r.method} (+${gap.toFixed(4)})`);
    }
    table.notes.push(
      "cvr_auc_entire: CVR AUC over every test exposure against the counterfactual labels (beyond the paper; synthetic world only). Every variant starts from the same initialisation per seed, so the paired t-test compares losses only.",
      orderingNote(table, 'cvr_auc_entire'),
      `Changes that lower cvr_auc_entire by more than the seed std vs the full model: ${hurt.length ? hurt.join(', ') : 'none'}. Changes that raise it by more than the seed std: ${helped.length ? helped.join(', ') : 'none'}.`,
      "The paper's ablation table is not available (spec §4); these variants are the spec's proposal.",
    );
    const fig = barChart(table.rows.map((r) => ({ label: r.method, mean: r.cells.cvr_auc_entire.mean, std: r.cells.cvr_auc_entire.std })), {
      title: 'ChorusCVR ablation: CVR AUC over all exposures (test, mean ± std)', yTitle: 'CVR AUC (D)', refLines: [{ y: ceilings.cvrAucEntire, label: 'ground-truth ceiling' }],
    });
    return { tables: [table], figures: [{ name: 'ablation-cvr-auc-entire', fig }], results: { perSeed: results, ceilings, world: world.config } };
  },
};
