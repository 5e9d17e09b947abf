/**
 * Pipeline `chorus-cvr/ablation`: ChorusCVR's losses removed in turn on the funnel world (spec §4 "Ablation
 * (Proposal)"; the paper's ablation table is not available). Variants of the full model (inverse Eq. 10 weights, every
 * term on, lambda = 1): each of L_ctr, L_ctcvr, L_cvr, L_ctun, L_un, L_sam switched off (L_sam off = lambda 0); w/o NDM
 * (L_ctun, L_un and L_sam off, leaving an IPS-weighted ESMM); SAM on O only; SAM on N only; multiplicative Eq. 10
 * weights; SAM without IPW; the IPW sums normalised per subset (|O|, |N|) instead of over D (the spec's first
 * Proposal, `ipwNormalisation: 'per-subset'`; no paper claim: the paper's normalisation is unknown). Same training as chorus-cvr/main (early stopping on validation CVR AUC over clicked rows);
 * every variant starts from the same initialisation per seed, so a paired difference compares losses only.
 * Table 'ablation': cvr_auc (O), ctcvr_auc (D), cvr_auc_entire (D vs counterfactual labels, the headline) with DeLong
 * SEs, rows, positives and still-improving flags; base = the full model 'ChorusCVR' (declared in the config).
 * Records beyond the table: what validation chose per fit (table 'selection').
 * Claims (`CHORUS_ABLATION_CLAIMS`): removing NDM, L_ctun (NDM's CTunCVR task), SAM, SAM's IPW weights, SAM's
 * unclicked half or its clicked half each lowers cvr_auc_entire; removing NDM or SAM lowers cvr_auc.
 * Figure: cvr_auc_entire per variant with the ground-truth and features-only ceiling lines.
 * Modes: quick (smoke test) = a 1 500-user world, the small backbone, 2 seeds. Evidence = the main table's evidence
 * world (`EVIDENCE_WORLD`: 16 000 users, about 2 600 test conversions), the spec §3.4 backbone, `EVIDENCE_TRAINER`,
 * 5 seeds. Paper = evidence (the paper's ablation sizes are not known).
 * Evidence-mode wall time (estimated from one fit, not a whole run): one evidence-size ChorusCVR fit (seed 1) took
 * 60 s (56 s training, 4 epochs, best epoch 2; 4 s scoring) with the machine's load at about 6 on its 2 cores;
 * 13 variants x 5 seeds = 65 fits, about 65 minutes.
 * Paper deviation: the IPW terms are normalised over the exposure batch D (spec §6, revised; the paper's normalisation
 * is unknown); the per-subset means are the variant 'per-subset IPW normalisation'.
 */
import { z } from 'zod';
import { FunnelWorldConfigSpec, featuresOnlyCvrCeiling, funnelCeilings, generateFunnelWorld, type FunnelWorldConfig } from '../../worlds/funnel-world.ts';
import type { Claim } from '../../evidence/claims.ts';
import { gainVariant } from '../../evidence/paired-claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { RunMode } from '../../evidence/rules.ts';
import { barChart } from '../../plots/index.ts';
import { buildResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import {
  Backbone, CHORUS_WORLD_KNOBS, CvrMethod, ENTIRE_SPACE_COLUMNS, EVIDENCE_SEEDS, EVIDENCE_TRAINER, EVIDENCE_WORLD, QUICK_BACKBONE, QUICK_TRAINER, ceilingRow, emptyResult, featuresOnlyCeilingRow,
  fitEntireSpaceAll, meanBar, monitorNote, orderingNote, pushFit, selectionRecords, PAIRED_CLAIMS_NOTE, claimGainRecords, type EntireSpaceFit,
} from './common.ts';

/**
 * Strict config schema of `chorus-cvr/ablation` (unknown keys are errors; variant configs are checked by the model).
 * @example
 * ChorusAblationConfig.parse({ ...chorusAblationDefaults('quick'), seeds: [1] });
 */
export const ChorusAblationConfig = z.strictObject({
  world: FunnelWorldConfigSpec,
  /** The variant every other is compared with: the full model (declared, never chosen from results). */
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
  chorus('per-subset IPW normalisation', { ipwNormalisation: 'per-subset' }),
];

/**
 * Defaults per run mode (see the file header): quick = a 1 500-user world, the small backbone, 2 seeds; evidence and
 * paper = `EVIDENCE_WORLD`, the spec §3.4 backbone, `EVIDENCE_TRAINER`, 5 seeds. The base is the full model.
 * @example
 * chorusAblationDefaults('quick').variants.length; // 13
 */
export function chorusAblationDefaults(mode: RunMode): ChorusAblationConfig {
  const quick = mode === 'quick';
  return {
    world: { ...CHORUS_WORLD_KNOBS, ...(quick ? { users: 1500 } : structuredClone(EVIDENCE_WORLD)) },
    base: 'ChorusCVR',
    variants: structuredClone(ABLATION_VARIANTS),
    backbone: quick ? structuredClone(QUICK_BACKBONE) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : structuredClone(EVIDENCE_TRAINER),
    seeds: quick ? [1, 2] : [...EVIDENCE_SEEDS],
  };
}

const ABLATION_SOURCE = 'arXiv:2502.08277 abstract and spec §2-3 (NDM learns CTunCVR to separate ambiguous from factual negatives; SAM aligns CVR and unCVR on the entire space with IPW); spec §4 Ablation (Proposal); the paper\'s ablation table is not available';
const removal = (id: string, variant: string, what: string, metric = 'cvr_auc_entire'): Claim => ({
  id, text: `Removing ${what} lowers ${metric === 'cvr_auc' ? 'CVR AUC over the clicked exposures' : 'entire-space CVR AUC (counterfactual labels)'}`, source: ABLATION_SOURCE,
  table: 'gain', metric: `${metric}_gain`, variant: gainVariant(variant), method: 'ChorusCVR', base: variant, direction: 'higher',
});
/**
 * The paper's ablation claims: the full model beats each variant that removes one of its components.
 * @example
 * CHORUS_ABLATION_CLAIMS[0].base; // 'w/o NDM (no L_ctun, L_un, L_sam)'
 */
export const CHORUS_ABLATION_CLAIMS: Claim[] = [
  removal('ablation-ndm', 'w/o NDM (no L_ctun, L_un, L_sam)', 'NDM (L_ctun, L_un and L_sam)'),
  removal('ablation-ctun', 'w/o L_ctun', "NDM's CTunCVR task (L_ctun)"),
  removal('ablation-sam', 'w/o L_sam (λ = 0)', 'SAM (λ = 0)'),
  removal('ablation-sam-ipw', 'SAM without IPW', "SAM's IPW weights"),
  removal('ablation-sam-unclicked', 'SAM on O only', "SAM on the unclicked exposures N (SAM on O only)"),
  removal('ablation-sam-clicked', 'SAM on N only', 'SAM on the clicked exposures O (SAM on N only)'),
  removal('ablation-ndm-cvr-auc', 'w/o NDM (no L_ctun, L_un, L_sam)', 'NDM (L_ctun, L_un and L_sam)', 'cvr_auc'),
  removal('ablation-sam-cvr-auc', 'w/o L_sam (λ = 0)', 'SAM (λ = 0)', 'cvr_auc'),
];

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
  defaults: chorusAblationDefaults,
  claims: CHORUS_ABLATION_CLAIMS,
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateFunnelWorld(config.world as Partial<FunnelWorldConfig>));
    const ceilings = funnelCeilings(world, 'test');
    const featuresOnly = featuresOnlyCvrCeiling(world, 'test');
    const results = config.variants.map((v) => emptyResult(v.label, config.seeds, COLUMNS.map((c) => c.name)));
    const selection: ResultRecord[] = [];
    const fitsByMethod = new Map<string, EntireSpaceFit[]>(config.variants.map((v) => [v.label, []]));
    // One initialisation per seed for every variant (index 0): the variants differ only in their loss.
    const fits = await fitEntireSpaceAll({ world, methods: config.variants, seeds: config.seeds, backbone: config.backbone, trainer: config.trainer, index: 0, ctx });
    for (const [s, seed] of config.seeds.entries()) {
      for (const [i, method] of config.variants.entries()) {
        const r = fits[i][s];
        pushFit(results[i], r.evidence, r.stillImproving);
        selection.push(...selectionRecords(method.label, seed, r));
        fitsByMethod.get(method.label)?.push(r);
        const e = r.evidence;
        ctx.log(`${method.label} seed ${seed}: CVR AUC O ${e.cvr_auc.value.toFixed(4)}, D ${e.cvr_auc_entire.value.toFixed(4)} (SE ${e.cvr_auc_entire.se.toFixed(4)}), CTCVR AUC ${e.ctcvr_auc.value.toFixed(4)} (best epoch ${r.bestEpoch + 1} of ${r.epochsAllowed})`);
      }
    }
    const table = buildResultTable({
      id: 'ablation',
      title: `ChorusCVR ablation on funnel-world (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, test split)`,
      base: config.base, metrics: COLUMNS, results, references: [ceilingRow(ceilings, COLUMNS), featuresOnlyCeilingRow(featuresOnly, COLUMNS)],
    });
    table.notes.push(
      "cvr_auc_entire (the headline): CVR AUC over every test exposure against the counterfactual labels (beyond the paper; synthetic world only). Every variant starts from the same initialisation per seed, so the paired comparison with the full model compares losses only.",
      monitorNote(world.valid),
      orderingNote(table, 'cvr_auc_entire'),
      "The paper's ablation table is not available (spec §4); these variants are the spec's proposal. The claims below state what the paper's design implies (each component helps); the comparisons with the full model give the measured difference, its 95% interval and the minimum detectable effect.",
      PAIRED_CLAIMS_NOTE,
    );
    const fig = barChart(table.rows.map((r) => meanBar(r.method, r.cells.cvr_auc_entire)), {
      title: 'ChorusCVR ablation: CVR AUC over all exposures (test, mean ± std)', yTitle: 'CVR AUC (D)', refLines: [{ y: ceilings.cvrAucEntire, label: 'ground-truth ceiling' }, { y: featuresOnly, label: 'features-only ceiling' }],
    });
    return { tables: [table], figures: [{ name: 'ablation-cvr-auc-entire', fig }], results: { ceilings, world: world.config }, records: [...selection, ...claimGainRecords(CHORUS_ABLATION_CLAIMS, fitsByMethod, config.seeds)] };
  },
};
