/**
 * Pipeline `unicdr/ablation`: UniCDR+ (all five extensions, spec §3.2 Proposals) with each extension removed in turn
 * (feature engineering, item-level graph network, sequence aggregator, soft contrastive loss, MMoE head), plain UniCDR,
 * and UniCDR with each of its three aggregators (mean / user attention / item similarity via EASE), on one scenario of
 * the multi-domain world (default dual-user-inter: warm and cold-start users). Base of the relative improvement and
 * the paired t-test: UniCDR+ with all five. The paper's ablation numbers are not available (spec §4).
 * Figure: HR@10 per variant (mean over domains) for warm and cold-start users, the oracle as a reference line.
 */
import { z } from 'zod';
import { CDR_SCENARIOS, MultiDomainWorldConfigSpec, generateMultiDomainWorld, multiDomainPreset } from '../../worlds/multi-domain-world.ts';
import { barChart, type BarRow } from '../../plots/index.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { ALL_EXTENSIONS, CdrMethod, CdrRunSettings, columnMean, runScenario } from './common.ts';
import { cdrSettings } from './main.ts';

/**
 * Strict config of `unicdr/ablation`.
 * @example
 * UniCdrAblationConfig.parse(unicdrAblationDefaults(true));
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
 * Quick: dual-user-inter at the quick size, 2 seeds. Full: full size, 3 seeds.
 * @example
 * unicdrAblationDefaults(true).seeds; // [1, 2]
 */
export function unicdrAblationDefaults(quick: boolean): UniCdrAblationConfig {
  return {
    scenario: 'dual-user-inter',
    world: multiDomainPreset(quick ? 'quick' : 'full', 'dual-user-inter'),
    variants: structuredClone(ABLATION_CDR_VARIANTS),
    base: 'UniCDR+ (all five)',
    settings: cdrSettings(quick),
    seeds: quick ? [1, 2] : [1, 2, 3],
  };
}

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
  defaults: (mode) => unicdrAblationDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateMultiDomainWorld({ ...config.world, scenario: config.scenario }));
    const r = await runScenario({
      data: world, oracle: (d, u, i) => world.trueScore(d, u, i), methods: config.variants, settings: config.settings, seeds: config.seeds, full: false, ctx,
      title: `UniCDR+ ablation on ${config.scenario} (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, multi-domain world)`, base: config.base,
    });
    const base = r.table.rows.find((x) => x.method === config.base);
    const metric = r.table.metrics[0].name;
    const hurt = r.table.rows.filter((x) => base && x !== base && x.cells[metric].n >= 2 && x.cells[metric].mean < base.cells[metric].mean - Math.max(x.cells[metric].std, base.cells[metric].std)).map((x) => x.method);
    r.table.notes.push(
      `Removing an extension lowers ${metric} by more than the seed std for: ${hurt.length ? hurt.join(', ') : 'none'}. The extensions are the spec's proposals (UniCDR+ publishes no equations or numbers); item categories and user segments are the world's observable side information.`,
    );
    const bars: BarRow[] = [];
    for (const [prefix, group] of [['hr10_d', 'warm users'], ['hr10_cold_', 'cold-start users']] as const) {
      for (const [method, v] of columnMean(r.table, prefix)) bars.push({ label: method, group, mean: v.mean, std: v.std });
    }
    const ref = r.table.references[0];
    const oracle = Object.entries(ref?.values ?? {}).filter(([k]) => k.startsWith('hr10_d')).map(([, v]) => v ?? 0);
    const fig = barChart(bars, {
      title: `UniCDR+ ablation: HR@10 on ${config.scenario} (mean over domains)`, yTitle: 'HR@10', yRange: 'zero',
      refLines: oracle.length ? [{ y: oracle.reduce((a, b) => a + b, 0) / oracle.length, label: 'oracle, warm users' }] : [],
    });
    return { tables: [r.table], figures: [{ name: 'ablation-hr10', fig }], results: { perSeed: r.perSeed, oracle: r.oracle, world: world.config } };
  },
};
