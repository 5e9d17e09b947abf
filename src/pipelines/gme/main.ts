/**
 * Pipeline `gme/main`: cold-start and warm-up of new-ad ID embeddings (GME, Ouyang et al. SIGIR 2021,
 * arXiv:2105.08909; spec ../shared/papers/gme.md §4) on the cold-start ads world, for each backbone (DNN, PNN,
 * Wide&Deep, DeepFM, AutoInt) x generator (random init, Meta-Embedding, ngb, DropoutNet, GME-P, GME-G, GME-A).
 * Protocol (src/gme/protocol.ts): pre-train; test cold; warm up a, test; b, test; c, test — warm-up moves only the
 * new ads' ID rows. Tables per backbone: AUC and logloss at each stage (mean ± std over seeds, relative improvement
 * and paired t-test vs random init) and AUC relative to Meta-Embedding; the ground-truth ceiling as a reference row;
 * the measured neighbour signal of the world in the notes. A figure per backbone: AUC vs stage, one line per generator.
 * Paper deviations: quick mode uses a smaller world (200 old / 80 new ads) and backbone (D 10, MLP [64, 32]) to fit the
 * CPU budget; the paper's own numbers are not available (spec §4), so no paper row is shown.
 */
import { z } from 'zod';
import { BACKBONE_LABELS, type BackboneKind } from '../../gme/backbones.ts';
import { GENERATOR_LABELS, GENERATORS } from '../../gme/generators.ts';
import { buildAdGraph, neighbourSignal } from '../../gme/graph.ts';
import { META_DEFAULTS, effectiveOrder } from '../../gme/meta.ts';
import { PRETRAIN_DEFAULTS, WARM_DEFAULTS } from '../../gme/protocol.ts';
import { COLD_START_WORLD_SIZES, coldStartCeiling, generateColdStartWorld, type ColdStartWorldConfig } from '../../worlds/cold-start-world.ts';
import type { ReferenceRow, ResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { GME_PROTOCOL_SHAPE, STAGE_COLUMNS, backboneTables, orderingNote, protocolOverSeeds, stageFigure, type SeedMetrics } from './common.ts';

/**
 * Strict config of `gme/main`; `world` keys are checked by the world's own resolver (unknown keys are errors).
 * @example
 * GmeMainConfig.parse(gmeMainDefaults(true));
 */
export const GmeMainConfig = z.strictObject({
  world: z.record(z.string(), z.number()),
  ...GME_PROTOCOL_SHAPE,
});
/** Config of `gme/main`. */
export type GmeMainConfig = z.infer<typeof GmeMainConfig>;

/** Quick-mode sizes shared by the gme pipelines. */
export const GME_QUICK = {
  world: { ...COLD_START_WORLD_SIZES.quick } as Record<string, number>,
  backbone: { embeddingDim: 10, hidden: [64, 32] },
  pretrain: { ...PRETRAIN_DEFAULTS },
  meta: { ...META_DEFAULTS, epochs: 2 },
};

/**
 * Quick: the quick world (200 old / 80 new ads), small backbones, 2 meta epochs. Full: the default world, spec
 * backbone (k 10, MLP [256, 128]), 2 pre-training epochs, 5 meta epochs. Both: N = 10, 3 seeds, every backbone and
 * generator, warm-up of the spec (Adam 1e-3, batch 128, 1 epoch, new-ad ID rows only).
 * @example
 * gmeMainDefaults(true).generators.length; // 7
 */
export function gmeMainDefaults(quick: boolean): GmeMainConfig {
  return {
    world: quick ? structuredClone(GME_QUICK.world) : {},
    neighbours: 10,
    backbones: ['dnn', 'pnn', 'wide-deep', 'deepfm', 'autoint'],
    generators: [...GENERATORS],
    backbone: quick ? structuredClone(GME_QUICK.backbone) : {},
    pretrain: quick ? { ...GME_QUICK.pretrain } : { ...PRETRAIN_DEFAULTS, epochs: 2 },
    meta: quick ? { ...GME_QUICK.meta } : { ...META_DEFAULTS, epochs: 5 },
    warm: { ...WARM_DEFAULTS },
    dropRate: 0.5,
    seeds: [1, 2, 3],
  };
}

/**
 * The ceiling as a reference row of the stage columns (the test part does not change with the stage).
 * @example
 * ceilingReference(coldStartCeiling(world, 'test')).values.cold_auc;
 */
export function ceilingReference(c: { auc: number; logloss: number }): ReferenceRow {
  return {
    label: 'ground-truth ceiling',
    values: Object.fromEntries(STAGE_COLUMNS.map((m) => [m.name, m.name.endsWith('_auc') ? c.auc : c.logloss])),
    note: "the world's true click probabilities scored on the new ads' test part (no model that sees only the features can beat it in expectation)",
  };
}

/**
 * The pipeline, registered as 'gme/main'.
 * @example
 * await runPipeline('gme/main', { quick: true });
 */
export const gmeMainPipeline: PipelineSpec<GmeMainConfig> = {
  name: 'gme/main',
  paper: 'gme',
  title: 'GME: cold-start and warm-up AUC of new ads over five backbones (cold-start ads world)',
  description: 'random init, Meta-Embedding, ngb, DropoutNet, GME-P/G/A x DNN, PNN, Wide&Deep, DeepFM, AutoInt',
  schema: GmeMainConfig,
  defaults: (mode) => gmeMainDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateColdStartWorld(config.world as Partial<ColdStartWorldConfig>));
    const graph = await ctx.stage('graph', () => buildAdGraph(world.ads, config.neighbours));
    const signal = neighbourSignal(world.ads, world.idEffect, world.world.latentDim + 1, graph);
    const ceiling = coldStartCeiling(world, 'test');
    ctx.log(`cold-start world: ${world.ads.oldCount} old / ${world.ads.count - world.ads.oldCount} new ads; pretrain ${world.parts.pretrain.size} rows, warm-up ${world.parts.warmA.size} x 3, test ${world.parts.test.size}; ceiling AUC ${ceiling.auc.toFixed(4)}; neighbour signal r = ${signal.graph.toFixed(3)} (random neighbours ${signal.random.toFixed(3)})`);
    const arms = config.generators.map((g) => ({ label: GENERATOR_LABELS[g], generator: g }));
    // The base of the relative improvements: random init, or the first generator when random init is not run.
    const base = GENERATOR_LABELS[config.generators.includes('random') ? 'random' : config.generators[0]];
    const second = config.generators.includes('meta-embedding') ? GENERATOR_LABELS['meta-embedding'] : null;
    const gme = (['gme-p', 'gme-g', 'gme-a'] as const).filter((g) => config.generators.includes(g)).map((g) => GENERATOR_LABELS[g]);
    const tables: ResultTable[] = [];
    const figures = [];
    const perBackbone: Record<string, { byArm: SeedMetrics; pretrainLoss: number[][]; metaLoss: Array<Record<string, number[]>> }> = {};
    for (const backbone of config.backbones as BackboneKind[]) {
      const r = await protocolOverSeeds({ data: world, graph, backbone, backboneConfig: config.backbone, arms, pretrain: config.pretrain, meta: config.meta, warm: config.warm, dropRate: config.dropRate }, config.seeds, ctx);
      perBackbone[backbone] = r;
      const ts = backboneTables({ backbone, byArm: r.byArm, seeds: config.seeds, base, second, references: [ceilingReference(ceiling)], what: 'cold-start ads world' });
      const order = effectiveOrder(backbone, config.meta.order);
      ts[0].notes.push(
        `Neighbour signal of this world: correlation r = ${signal.graph.toFixed(3)} between a new ad's true ID effect and its ${config.neighbours} graph neighbours' mean (random old ads: ${signal.random.toFixed(3)}); clusterShare rho = ${world.world.clusterShare}.`,
        ...(second ? [orderingNote(ts[0], 'cold_auc', gme, second, base), orderingNote(ts[0], 'warm-c_auc', gme, second, base)] : []),
        `Meta-gradient: ${order} order${order !== config.meta.order ? ` (asked ${config.meta.order}; tfjs's softmax gradient breaks second order, see src/gme/meta.ts)` : ''} (inner step eta = ${config.meta.innerLr}, alpha = ${config.meta.alpha}); warm-up scope '${config.warm.scope}'. The paper's numbers for this table are not available (spec §4).`,
      );
      tables.push(...ts);
      figures.push({ name: `auc-vs-stage-${backbone}`, fig: stageFigure(r.byArm, `${BACKBONE_LABELS[backbone]}: new-ad AUC vs warm-up stage (mean ± std)`) });
    }
    return { tables, figures, results: { perBackbone, ceiling, neighbourSignal: signal, world: world.config } };
  },
};
