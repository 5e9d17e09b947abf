/**
 * Pipeline `gme/movielens`: the GME protocol on MovieLens-1M (spec §4: the data set of the released code), when the
 * files are present (src/data/movielens.ts explains the licence and how to obtain them; absent files skip the run with
 * that message and an empty table list). Label rule: like = rating >= `labelThreshold` (default 4), stated in the
 * table. Ads are movies (attributes year, title words, genres); old = >= 200 ratings; new movies' first 3 x 20 ratings
 * in time order are warm-up a, b, c (spec §6 Proposal, the Meta-Embedding convention). Table and figure per backbone
 * as in gme/main; there is no ground-truth ceiling on public data.
 * Paper deviation: quick mode runs the DNN backbone only with the gme/main quick sizes; full mode all five.
 */
import { z } from 'zod';
import { BACKBONE_LABELS, type BackboneKind } from '../../gme/backbones.ts';
import { GENERATOR_LABELS, GENERATORS } from '../../gme/generators.ts';
import { buildAdGraph } from '../../gme/graph.ts';
import { META_DEFAULTS } from '../../gme/meta.ts';
import { PRETRAIN_DEFAULTS, WARM_DEFAULTS } from '../../gme/protocol.ts';
import { MOVIELENS_COLD_START_DEFAULTS, MOVIELENS_DEFAULT_DIR, movieLensAvailability, movieLensColdStart, readMovieLens1M } from '../../data/movielens.ts';
import type { ResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { GME_PROTOCOL_SHAPE, backboneTables, orderingNote, protocolOverSeeds, stageFigure } from './common.ts';
import { GME_QUICK } from './main.ts';

const pos = z.number().int().positive();

/**
 * Strict config of `gme/movielens`.
 * @example
 * GmeMovieLensConfig.parse(gmeMovieLensDefaults(true));
 */
export const GmeMovieLensConfig = z.strictObject({
  dir: z.string(),
  data: z.strictObject({ labelThreshold: z.number().int().min(1).max(5), maxTitleWords: pos, maxGenres: pos, oldThreshold: pos, shot: pos, minTest: pos, seed: z.number().int() }),
  ...GME_PROTOCOL_SHAPE,
});
/** Config of `gme/movielens`. */
export type GmeMovieLensConfig = z.infer<typeof GmeMovieLensConfig>;

/**
 * Defaults: .reclab/data/ml-1m, rating >= 4, N = 10, every generator; quick: DNN only and small sizes.
 * @example
 * gmeMovieLensDefaults(true).backbones; // ['dnn']
 */
export function gmeMovieLensDefaults(quick: boolean): GmeMovieLensConfig {
  return {
    dir: MOVIELENS_DEFAULT_DIR,
    data: { ...MOVIELENS_COLD_START_DEFAULTS },
    neighbours: 10,
    backbones: quick ? ['dnn'] : ['dnn', 'pnn', 'wide-deep', 'deepfm', 'autoint'],
    generators: [...GENERATORS],
    backbone: quick ? structuredClone(GME_QUICK.backbone) : {},
    pretrain: quick ? { ...GME_QUICK.pretrain } : { ...PRETRAIN_DEFAULTS },
    meta: quick ? { ...GME_QUICK.meta } : { ...META_DEFAULTS },
    warm: { ...WARM_DEFAULTS },
    dropRate: 0.5,
    seeds: [1, 2, 3],
  };
}

/**
 * The pipeline, registered as 'gme/movielens'.
 * @example
 * await runPipeline('gme/movielens', { quick: true, config: { dir: '/data/ml-1m' } });
 */
export const gmeMovieLensPipeline: PipelineSpec<GmeMovieLensConfig> = {
  name: 'gme/movielens',
  paper: 'gme',
  title: 'GME on MovieLens-1M: cold-start and warm-up AUC of new movies (skipped without the data)',
  description: 'the gme/main protocol on MovieLens-1M (like = rating >= 4); needs the files, see src/data/movielens.ts',
  schema: GmeMovieLensConfig,
  defaults: (mode) => gmeMovieLensDefaults(mode === 'quick'),
  async run(config, ctx) {
    const a = movieLensAvailability(config.dir);
    if (!a.ok) {
      ctx.log(`gme/movielens skipped:\n${a.message}`);
      return { tables: [], figures: [], results: {}, skipped: a.message };
    }
    const data = await ctx.stage('read', () => movieLensColdStart(readMovieLens1M(config.dir), config.data));
    const graph = await ctx.stage('graph', () => buildAdGraph(data.ads, config.neighbours));
    ctx.log(`MovieLens-1M: ${data.ads.oldCount} old / ${data.ads.count - data.ads.oldCount} new movies (${data.dropped} dropped); ${data.rule}`);
    const arms = config.generators.map((g) => ({ label: GENERATOR_LABELS[g], generator: g }));
    const second = config.generators.includes('meta-embedding') ? GENERATOR_LABELS['meta-embedding'] : null;
    const gme = (['gme-p', 'gme-g', 'gme-a'] as const).filter((g) => config.generators.includes(g)).map((g) => GENERATOR_LABELS[g]);
    const tables: ResultTable[] = [];
    const figures = [];
    const perBackbone: Record<string, unknown> = {};
    for (const backbone of config.backbones as BackboneKind[]) {
      const r = await protocolOverSeeds({ data, graph, backbone, backboneConfig: config.backbone, arms, pretrain: config.pretrain, meta: config.meta, warm: config.warm, dropRate: config.dropRate }, config.seeds, ctx);
      perBackbone[backbone] = r;
      {
        const base = GENERATOR_LABELS[config.generators.includes('random') ? 'random' : config.generators[0]];
        const ts = backboneTables({ backbone, byArm: r.byArm, seeds: config.seeds, base, second, references: [], what: 'MovieLens-1M' });
        ts[0].notes.push(`Label rule: ${data.rule}. Old movies: >= ${config.data.oldThreshold} ratings; warm-up batches: each new movie's first 3 x ${config.data.shot} ratings in time order.`);
        if (second) ts[0].notes.push(orderingNote(ts[0], 'cold_auc', gme, second, base));
        tables.push(...ts);
      }
      figures.push({ name: `auc-vs-stage-${backbone}`, fig: stageFigure(r.byArm, `MovieLens-1M, ${BACKBONE_LABELS[backbone]}: new-movie AUC vs warm-up stage`) });
    }
    return { tables, figures, results: { skipped: false, perBackbone, rule: data.rule, dropped: data.dropped } };
  },
};
