/**
 * Pipeline `unicdr/ablation`: UniCDR+ (all five extensions, spec §3.2 Proposals) with each extension removed in turn
 * (feature engineering, item-level graph network, sequence aggregator, soft contrastive loss, MMoE head), plain UniCDR,
 * and UniCDR with each of its three aggregators (mean / user attention / item similarity via EASE), on one scenario of
 * the multi-domain world (default dual-user-inter: warm and cold-start users). Table 'ablation' (the unicdr/main
 * columns with per-user SEs and summaries over reliable domains); base: UniCDR+ with all five, fixed in the config.
 * The paper's ablation numbers are not available (spec §4).
 * Claims (judged every run): removing any extension lowers HR@10 of warm users and of cold-start users, and UniCDR+
 * beats plain UniCDR on both (UniCDR+ ablation, arXiv:2409.04540; the extensions are the spec's proposals).
 * Figure: HR@10 per variant (mean over reliable domains) for warm and cold-start users, the oracle as a reference line.
 * Modes: quick = a smoke test (2 seeds); evidence and paper: unicdr/main's world size and settings, 5 seeds.
 * Estimated evidence wall time on this 2-core machine: about 2.6 hours with 2 fit workers and compiled steps (per
 * seed six UniCDR+ variants at about 530 s and four UniCDR ones at about 210 s, as timed in unicdr/main on 2026-12-08).
 * The cold-start summaries rest on about 460 cold-start users (SE about
 * 0.02), so their claims detect only large effects.
 */
import { z } from 'zod';
import { CDR_SCENARIOS, MultiDomainWorldConfigSpec, generateMultiDomainWorld } from '../../worlds/multi-domain-world.ts';
import { barChart, type BarRow } from '../../plots/index.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import { gainVariant } from '../../evidence/paired-claims.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { ALL_EXTENSIONS, CdrMethod, CdrRunSettings, barStd, runScenario } from './common.ts';
import { CDR_EVIDENCE_SEEDS, cdrSettings, cdrWorld } from './main.ts';

/**
 * Strict config of `unicdr/ablation`.
 * @example
 * UniCdrAblationConfig.parse(unicdrAblationDefaults('quick'));
 */
export const UniCdrAblationConfig = z.strictObject({
  scenario: z.enum(CDR_SCENARIOS),
  world: MultiDomainWorldConfigSpec.partial(),
  variants: z.array(CdrMethod).min(1),
  base: z.string(),
  settings: CdrRunSettings,
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `unicdr/ablation`. */
export type UniCdrAblationConfig = z.infer<typeof UniCdrAblationConfig>;

const without = (key: keyof typeof ALL_EXTENSIONS, label: string): CdrMethod => ({ label: `w/o ${label}`, model: 'unicdr', config: { extensions: { ...ALL_EXTENSIONS, [key]: false } } });
/**
 * The variants: UniCDR+ with all five, each extension removed, plain UniCDR, UniCDR per aggregator.
 * @example
 * ABLATION_CDR_VARIANTS.length; // 9
 */
export const ABLATION_CDR_VARIANTS: CdrMethod[] = [
  { label: 'UniCDR+ (all five)', model: 'unicdr', config: { extensions: ALL_EXTENSIONS } },
  without('features', 'feature engineering'),
  without('itemGraph', 'item-level graph'),
  without('sequence', 'sequence aggregator'),
  without('softContrastive', 'soft contrastive (hard critic)'),
  without('mmoe', 'MMoE head'),
  { label: 'UniCDR (user attention)', model: 'unicdr', config: { aggregator: 'user_attention' } },
  { label: 'UniCDR (mean)', model: 'unicdr', config: { aggregator: 'mean' } },
  { label: 'UniCDR (item similarity, EASE)', model: 'unicdr', config: { aggregator: 'item_similarity' } },
];

/**
 * Quick (a smoke test): dual-user-inter at the quick size, 2 seeds. Evidence and paper: unicdr/main's world and
 * settings of the mode, 5 seeds.
 * @example
 * unicdrAblationDefaults('quick').seeds; // [1, 2]
 */
export function unicdrAblationDefaults(mode: RunMode): UniCdrAblationConfig {
  const quick = mode === 'quick';
  return {
    scenario: 'dual-user-inter',
    world: cdrWorld(mode, 'dual-user-inter'),
    variants: structuredClone(ABLATION_CDR_VARIANTS),
    base: 'UniCDR+ (all five)',
    settings: cdrSettings(mode),
    seeds: quick ? [1, 2] : [...CDR_EVIDENCE_SEEDS],
  };
}

const ABLATION_SOURCE = 'UniCDR+ (arXiv:2409.04540) ablation: each of the five extensions adds to UniCDR (numbers and equations not available; the modules are the spec §3.2 proposals)';
/** The claims of unicdr/ablation, on warm (hr10_mean) and cold-start (hr10_cold_mean) users, judged on paired per-user gains (table 'gain'). */
export const UNICDR_ABLATION_CLAIMS: Claim[] = (['hr10_mean', 'hr10_cold_mean'] as const).flatMap((metric) => {
  const who = metric === 'hr10_mean' ? 'warm' : 'cold';
  const lower = (id: string, method: string): Claim => ({
    id: `${id}-${who}`, text: `${method} has lower HR@10 (${who === 'warm' ? 'warm users' : 'cold-start users'}) than UniCDR+ with all five extensions`, source: ABLATION_SOURCE,
    table: 'gain', metric: `${metric}_gain`, variant: gainVariant('UniCDR+ (all five)', 'ablation'), method, base: 'UniCDR+ (all five)', direction: 'lower',
  });
  return [
    lower('needs-features', 'w/o feature engineering'),
    lower('needs-item-graph', 'w/o item-level graph'),
    lower('needs-sequence', 'w/o sequence aggregator'),
    lower('needs-soft-contrastive', 'w/o soft contrastive (hard critic)'),
    lower('needs-mmoe', 'w/o MMoE head'),
    lower('beats-unicdr', 'UniCDR (user attention)'),
  ];
});

/**
 * The pipeline, registered as 'unicdr/ablation'.
 * @example
 * const run = await runPipeline('unicdr/ablation', { quick: true });
 */
export const unicdrAblationPipeline: PipelineSpec<UniCdrAblationConfig> = {
  name: 'unicdr/ablation',
  paper: 'unicdr-plus',
  title: "Ablation of UniCDR+'s five extensions and UniCDR's aggregators (multi-domain world)",
  description: 'UniCDR+ without each extension; UniCDR with mean / user-attention / item-similarity aggregators',
  schema: UniCdrAblationConfig,
  defaults: unicdrAblationDefaults,
  claims: UNICDR_ABLATION_CLAIMS,
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateMultiDomainWorld({ ...config.world, scenario: config.scenario }));
    const r = await runScenario({
      id: 'ablation', data: world, claims: UNICDR_ABLATION_CLAIMS, oracle: (d, u, i) => world.trueScore(d, u, i), methods: config.variants, settings: config.settings, seeds: config.seeds, full: false, ctx,
      title: `UniCDR+ ablation on ${config.scenario} (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, multi-domain world)`, base: config.base,
    });
    r.table.notes.push(
      "Whether removing an extension lowers HR@10 is judged by the claims below. The extensions are the spec's proposals (UniCDR+ publishes no equations or numbers); item categories and user segments are the world's observable side information.",
    );
    const bars: BarRow[] = [];
    for (const [col, group] of [['hr10_mean', 'warm users'], ['hr10_cold_mean', 'cold-start users']] as const) {
      if (!r.table.metrics.some((m) => m.name === col)) continue;
      for (const row of r.table.rows) bars.push({ label: row.method, group, mean: row.cells[col].mean, std: barStd(row.cells[col].std) });
    }
    const oracle = r.table.references[0]?.values.hr10_mean;
    const fig = barChart(bars, {
      title: `UniCDR+ ablation: HR@10 on ${config.scenario} (mean over reliable domains)`, yTitle: 'HR@10', yRange: 'zero',
      refLines: oracle != null ? [{ y: oracle, label: 'oracle, warm users' }] : [],
    });
    return { tables: [r.table], figures: [{ name: 'ablation-hr10', fig }], results: { oracle: r.oracle, world: world.config }, records: r.records };
  },
};
