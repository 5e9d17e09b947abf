/**
 * Pipeline `minet/ablation`: MiNet with each interest removed (long-term u, short-term target p_t, short-term source
 * p_s) and each attention level removed (item-level -> masked mean pooling; interest-level -> all weights 1; both) on
 * the news -> ads world (spec §4 "Ablation"; the paper's exact values are not available, spec §4). Same training and
 * world as minet/main in each mode. Table 'ablation': target-domain test AUC and logloss with DeLong / per-row test
 * SEs, base = the full model (fixed: the first variant); ceiling row. Figure: AUC per variant.
 * Claims (judged every run): removing any interest or either attention level lowers AUC, and removing both attention
 * levels lowers it more than removing one (paper §3.6 Fig. 3 and §3.8 Fig. 5, third-party summary, spec §4).
 * Modes: quick = a smoke test (2 seeds); evidence = paper = minet/main's evidence world and trainer, 5 seeds.
 * Estimated evidence wall time on this 2-core machine: about 45 minutes (7 MiNet variants x 5 seeds x 73 s, the CPU
 * time of one evidence MiNet fit measured on the shared machine: 5 epochs, best epoch 3, evaluation included).
 */
import { z } from 'zod';
import { NewsAdsWorldConfigSpec, generateNewsAdsWorld, type NewsAdsWorldConfig } from '../../worlds/news-ads-world.ts';
import { groundTruthCeiling } from '../../worlds/world.ts';
import { barChart } from '../../plots/index.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { Claim } from '../../evidence/claims.ts';
import { buildResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { MINET_COLUMNS, MINET_EVIDENCE_SEEDS, MINET_EVIDENCE_TRAINER, MINET_EVIDENCE_WORLD, MinetMethod, QUICK_SIZES, QUICK_TRAINER, barStd, ceilingRow, evidenceResult, fitMethodAll, validRecord, orderingNote, pushFit } from './common.ts';

/**
 * Strict config schema of `minet/ablation` (unknown keys are errors; variant configs are checked by the model).
 * @example
 * MinetAblationConfig.parse(minetAblationDefaults('quick'));
 */
export const MinetAblationConfig = z.strictObject({
  world: NewsAdsWorldConfigSpec,
  variants: z.array(MinetMethod).min(1),
  /** Model config merged under every variant's config (quick sizes). */
  backbone: z.record(z.string(), z.unknown()),
  /** Passed to the trainer (validated there). */
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `minet/ablation` (see the schema). */
export type MinetAblationConfig = z.infer<typeof MinetAblationConfig>;

const v = (label: string, config: Record<string, unknown>): MinetMethod => ({ label, model: 'minet', config });
/**
 * The variants: the full model first (the base), then one change each.
 * @example
 * MINET_ABLATION_VARIANTS[1]; // { label: 'w/o long-term interest (u)', model: 'minet', config: { useLong: false } }
 */
export const MINET_ABLATION_VARIANTS: MinetMethod[] = [
  v('MiNet', {}),
  v('w/o long-term interest (u)', { useLong: false }),
  v('w/o short-term source interest (p_s)', { useShortSource: false }),
  v('w/o short-term target interest (p_t)', { useShortTarget: false }),
  v('w/o item-level attention', { itemAttention: false }),
  v('w/o interest-level attention', { interestAttention: false }),
  v('w/o both attention levels', { itemAttention: false, interestAttention: false }),
];

/**
 * Quick (a smoke test): the default world, MiNet's quick sizes, 2 seeds. Evidence and paper: minet/main's evidence
 * world and trainer, released sizes, 5 seeds.
 * @example
 * minetAblationDefaults('quick').variants.length; // 7
 */
export function minetAblationDefaults(mode: RunMode): MinetAblationConfig {
  const quick = mode === 'quick';
  return {
    world: quick ? {} : { ...MINET_EVIDENCE_WORLD },
    variants: structuredClone(MINET_ABLATION_VARIANTS),
    backbone: quick ? structuredClone(QUICK_SIZES.minet) : {},
    trainer: structuredClone(quick ? QUICK_TRAINER : MINET_EVIDENCE_TRAINER),
    seeds: quick ? [1, 2] : [...MINET_EVIDENCE_SEEDS],
  };
}

const lower = (id: string, method: string, source: string, base = 'MiNet'): Claim => ({
  id, text: `${method} has lower target-domain test AUC than ${base}`, source, table: 'ablation', metric: 'auc', method, base, direction: 'lower',
});
const INTERESTS = 'MiNet paper §3.8 Fig. 5: each interest type contributes (third-party summary, spec §4; values not available)';
const ATTENTION = 'MiNet paper §3.6 Fig. 3: both attention levels beat either one alone and neither (third-party summary, spec §4; values not available)';
/** The claims of minet/ablation: every removal lowers AUC; removing both attention levels lowers it below removing one. */
export const MINET_ABLATION_CLAIMS: Claim[] = [
  lower('minet-needs-long-term', 'w/o long-term interest (u)', INTERESTS),
  lower('minet-needs-short-source', 'w/o short-term source interest (p_s)', INTERESTS),
  lower('minet-needs-short-target', 'w/o short-term target interest (p_t)', INTERESTS),
  lower('minet-needs-item-attention', 'w/o item-level attention', ATTENTION),
  lower('minet-needs-interest-attention', 'w/o interest-level attention', ATTENTION),
  lower('minet-needs-attention', 'w/o both attention levels', ATTENTION),
  lower('interest-attention-alone-helps', 'w/o both attention levels', ATTENTION, 'w/o item-level attention'),
  lower('item-attention-alone-helps', 'w/o both attention levels', ATTENTION, 'w/o interest-level attention'),
];

/**
 * The pipeline, registered as 'minet/ablation'.
 * @example
 * const run = await runPipeline('minet/ablation', { quick: true });
 */
export const minetAblationPipeline: PipelineSpec<MinetAblationConfig> = {
  name: 'minet/ablation',
  paper: 'minet',
  title: 'MiNet ablation: each interest and each attention level removed (news -> ads world)',
  description: 'MiNet without u / p_t / p_s, without item-level, interest-level or both attention levels',
  schema: MinetAblationConfig,
  defaults: minetAblationDefaults,
  claims: MINET_ABLATION_CLAIMS,
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateNewsAdsWorld(config.world as Partial<NewsAdsWorldConfig>));
    const data = { train: world.train, valid: world.valid, test: ctx.holdout(world.test) };
    const ceiling = groundTruthCeiling(world, 'test', 'click');
    ctx.log(`news-ads world: ${world.train.size} train / ${world.test.size} test ad impressions; ceiling AUC ${ceiling.auc.toFixed(4)}`);
    const results = config.variants.map((m) => evidenceResult(m.label, config.seeds, ['auc', 'logloss']));
    const valid: ResultRecord[] = [];
    // Same index for every variant: each starts from the same seed stream (their parameter sets differ anyway).
    const methods = config.variants.map((variant) => ({ ...variant, config: { ...config.backbone, ...variant.config } }));
    const fits = await fitMethodAll({ data, methods, seeds: config.seeds, trainer: config.trainer, ctx, index: 4 });
    for (const [s, seed] of config.seeds.entries()) {
      for (const [i, variant] of config.variants.entries()) {
        const r = fits[i][s];
        pushFit(results[i], r);
        valid.push(validRecord('ablation', variant.label, seed, r));
        ctx.log(`${variant.label} seed ${seed}: test AUC ${r.metrics.auc.toFixed(4)} (SE ${r.evidence.auc.se.toFixed(4)}), logloss ${r.metrics.logloss.toFixed(4)} (best epoch ${r.bestEpoch + 1} of ${r.epochs}${r.stillImproving ? ', still improving' : ''}, ${r.seconds.toFixed(1)} s)`);
      }
    }
    const base = config.variants[0].label;
    const table = buildResultTable({
      id: 'ablation',
      title: `MiNet ablation on news-ads-world (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, test split)`,
      base, metrics: MINET_COLUMNS, results, references: [ceilingRow(world)],
    });
    table.notes.push(
      orderingNote(table, 'auc'),
      'The paper (third-party summary) finds that removing any interest or either attention level lowers AUC: see the claims and verdicts below.',
      'w/o item-level attention = masked mean pooling of each history; w/o interest-level attention = every interest weight 1. Removing an interest removes it from the tower input, from z and (for u) from the attention inputs.',
    );
    const fig = barChart(table.rows.map((r) => ({ label: r.method, mean: r.cells.auc.mean, std: barStd(r.cells.auc.std) })), { title: 'MiNet ablation: target-domain AUC (test, mean ± std)', yTitle: 'AUC', refLines: [{ y: ceiling.auc, label: 'ground-truth ceiling' }] });
    return { tables: [table], figures: [{ name: 'ablation-auc', fig }], results: { ceiling, world: world.config }, records: valid };
  },
};
