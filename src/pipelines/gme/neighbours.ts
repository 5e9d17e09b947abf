/**
 * Pipeline `gme/neighbours`: the neighbour-count ablation of GME (spec §4 "Ablation (Proposal)"; the issue asks for
 * N in {0, 3, 10}). For one backbone (DNN), each GME variant runs with graphs of N = 0, 3 and 10 neighbours; one
 * pre-training per seed is shared by every arm. With N = 0, GME-P and GME-G reduce to an attention over the ad's own
 * attribute-generated embedding, and GME-A to Meta-Embedding with one extra attention-projection layer. Reference arms:
 * random init and Meta-Embedding. Table 'neighbours' (records' variant = the backbone kind): the gme/main columns with
 * test SEs, base random init (fixed); a figure of warm-c / cold AUC vs N.
 * Claims (judged every run): for each GME variant, N = 10 neighbours beat N = 0 on cold-start AUC (the graph carries
 * what a new ad's own attributes lack: spec §2; the paper's ablation values are not available, spec §4).
 * Modes: quick = a smoke test (the gme/main quick sizes, 3 seeds); evidence and paper: gme/main's evidence sizes of
 * the mode (monitored meta-training, 5 seeds). Estimated evidence wall time on this 2-core machine: about 5 minutes
 * (11 arms on DNN; one evidence DNN protocol run with 7 arms measured at 36 s of CPU, 5 seeds).
 */
import { z } from 'zod';
import { GENERATOR_LABELS } from '../../gme/generators.ts';
import { buildAdGraph, neighbourSignal } from '../../gme/graph.ts';
import { STAGES, WARM_DEFAULTS, type ProtocolArm } from '../../gme/protocol.ts';
import { coldStartCeiling, generateColdStartWorld, type ColdStartWorldConfig } from '../../worlds/cold-start-world.ts';
import { lineChart } from '../../plots/index.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import { buildResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { BackboneConfigSpec, BackboneKindSpec, MetaSpec, PretrainSpec, STAGE_COLUMNS, WarmSpec, methodResults, protocolOverSeeds, validRecords, withVariant } from './common.ts';
import { GME_EVIDENCE, GME_QUICK, ceilingReference, metaNote } from './main.ts';

/**
 * Strict config of `gme/neighbours`.
 * @example
 * GmeNeighboursConfig.parse(gmeNeighboursDefaults('quick'));
 */
export const GmeNeighboursConfig = z.strictObject({
  world: z.record(z.string(), z.number()),
  neighbourCounts: z.array(z.number().int().min(0)).min(1),
  variants: z.array(z.enum(['gme-p', 'gme-g', 'gme-a'])).min(1),
  backboneKind: BackboneKindSpec,
  backbone: BackboneConfigSpec,
  pretrain: PretrainSpec,
  meta: MetaSpec,
  warm: WarmSpec,
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `gme/neighbours`. */
export type GmeNeighboursConfig = z.infer<typeof GmeNeighboursConfig>;

/**
 * N in {0, 3, 10}, GME-P/G/A, DNN; quick (a smoke test) uses the gme/main quick sizes and 3 seeds, evidence and
 * paper gme/main's evidence sizes of the mode and 5 seeds.
 * @example
 * gmeNeighboursDefaults('quick').neighbourCounts; // [0, 3, 10]
 */
export function gmeNeighboursDefaults(mode: RunMode): GmeNeighboursConfig {
  const quick = mode === 'quick';
  return {
    world: structuredClone(quick ? GME_QUICK.world : GME_EVIDENCE.world),
    neighbourCounts: [0, 3, 10],
    variants: ['gme-p', 'gme-g', 'gme-a'],
    backboneKind: 'dnn',
    backbone: quick ? structuredClone(GME_QUICK.backbone) : {},
    pretrain: quick ? { ...GME_QUICK.pretrain } : GME_EVIDENCE.pretrain(mode),
    meta: { ...(quick ? GME_QUICK.meta : GME_EVIDENCE.meta) },
    warm: { ...WARM_DEFAULTS },
    seeds: quick ? [1, 2, 3] : [...GME_EVIDENCE.seeds],
  };
}

/** The claims of gme/neighbours (default backbone DNN): N = 10 beats N = 0 on cold-start AUC for every GME variant. */
export const GME_NEIGHBOUR_CLAIMS: Claim[] = (['gme-p', 'gme-g', 'gme-a'] as const).map((v) => ({
  id: `${v}-neighbours-help-cold`, text: `${GENERATOR_LABELS[v]} with N = 10 graph neighbours beats N = 0 on new-ad cold-start AUC (DNN)`,
  source: "GME paper §2 mechanism (spec §2: neighbours' embeddings and attributes inform a new ad's embedding); spec §4 ablation proposal (paper values not available)",
  table: 'neighbours', variant: 'dnn', metric: 'cold_auc', method: `${GENERATOR_LABELS[v]} N=10`, base: `${GENERATOR_LABELS[v]} N=0`, direction: 'higher' as const,
}));

/**
 * The pipeline, registered as 'gme/neighbours'.
 * @example
 * await runPipeline('gme/neighbours', { quick: true });
 */
export const gmeNeighboursPipeline: PipelineSpec<GmeNeighboursConfig> = {
  name: 'gme/neighbours',
  paper: 'gme',
  title: 'GME ablation: number of graph neighbours N (0, 3, 10)',
  description: 'GME-P/G/A with N = 0, 3, 10 neighbours on the DNN backbone, vs random init and Meta-Embedding',
  schema: GmeNeighboursConfig,
  defaults: gmeNeighboursDefaults,
  claims: GME_NEIGHBOUR_CLAIMS,
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateColdStartWorld(config.world as Partial<ColdStartWorldConfig>));
    const graphs = new Map(config.neighbourCounts.map((n) => [n, buildAdGraph(world.ads, n)]));
    const maxN = Math.max(...config.neighbourCounts);
    const signals = config.neighbourCounts.map((n) => ({ n, ...neighbourSignal(world.ads, world.idEffect, world.world.latentDim + 1, graphs.get(n) ?? buildAdGraph(world.ads, n)) }));
    const label = (v: 'gme-p' | 'gme-g' | 'gme-a', n: number) => `${GENERATOR_LABELS[v]} N=${n}`;
    const arms: ProtocolArm[] = [{ label: GENERATOR_LABELS.random, generator: 'random' }, { label: GENERATOR_LABELS['meta-embedding'], generator: 'meta-embedding' }];
    for (const v of config.variants) for (const n of config.neighbourCounts) arms.push({ label: label(v, n), generator: v, graph: graphs.get(n) });
    const { patience, validShare, ...meta } = config.meta;
    const r = await protocolOverSeeds({ data: world, graph: graphs.get(maxN) ?? buildAdGraph(world.ads, maxN), backbone: config.backboneKind, backboneConfig: config.backbone, arms, pretrain: config.pretrain, meta, monitor: { patience, validShare }, warm: config.warm, dropRate: 0.5 }, config.seeds, ctx);
    const table = withVariant(buildResultTable({
      id: 'neighbours',
      title: `GME neighbour ablation on ${config.backboneKind} (cold-start ads world, ${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''})`,
      base: GENERATOR_LABELS.random, metrics: STAGE_COLUMNS, results: methodResults(r, config.seeds), references: [ceilingReference(coldStartCeiling(world, 'test'))],
    }), config.backboneKind);
    const mean = (l: string, col: string) => table.rows.find((x) => x.method === l)?.cells[col].mean ?? NaN;
    for (const v of config.variants) {
      const xs = config.neighbourCounts.map((n) => `N=${n}: ${mean(label(v, n), 'cold_auc').toFixed(4)}`);
      table.notes.push(`${GENERATOR_LABELS[v]} cold AUC by N: ${xs.join(', ')} (means; whether N=10 beats N=0 beyond the noise is the claim's verdict).`);
    }
    table.notes.push(`Neighbour signal (correlation of true ID effects, new ad vs neighbour mean): ${signals.map((s) => `N=${s.n}: ${Number.isFinite(s.graph) ? s.graph.toFixed(3) : 'n/a'}`).join(', ')}. The paper's ablation numbers are not available (spec §4). ${metaNote(config.meta)}.`);
    const series = config.variants.flatMap((v) => (['cold', 'warm-c'] as const).map((stage) => ({ name: `${GENERATOR_LABELS[v]} ${stage}`, x: [...config.neighbourCounts], y: config.neighbourCounts.map((n) => mean(label(v, n), `${stage}_auc`)) })));
    const fig = lineChart(series, { title: 'GME: new-ad AUC vs number of neighbours N', xTitle: 'N', yTitle: 'test AUC (new ads)' });
    return { tables: [table], figures: [{ name: 'auc-vs-neighbours', fig }], results: { training: { pretrainLoss: r.pretrainLoss, meta: r.meta }, signals, stages: STAGES, world: world.config }, records: validRecords('neighbours', config.backboneKind, r, config.seeds) };
  },
};
