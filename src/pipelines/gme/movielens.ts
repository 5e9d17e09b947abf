/**
 * Pipeline `gme/movielens`: the GME protocol on MovieLens-1M (spec §4: the data set of the released code), when the
 * files are present (src/data/movielens.ts explains the licence and how to obtain them; absent files skip the run with
 * that message and an empty table list). Label rule: like = rating >= `labelThreshold` (default 4), stated in the
 * table. Ads are movies (attributes year, title words, genres); old = >= 200 ratings; new movies' first 3 x 20 ratings
 * in time order are warm-up a, b, c (spec §6 Proposal, the Meta-Embedding convention). Table and figure per backbone
 * as in gme/main (ids 'main' and 'vs-meta-embedding', the backbone as the records' variant, test SEs); there is no
 * ground-truth ceiling on public data. Claims: gme/main's, per backbone.
 * Modes: quick = a smoke test (DNN only, the gme/main quick sizes, 3 seeds). Evidence: all five backbones, the spec
 * backbone, the spec's pre-training (1 epoch), meta-training up to 30 epochs with early stopping on 20% held-out old
 * movies (patience 3), 5 seeds; paper = evidence. The test set is fixed by the data (every new movie's ratings after
 * its first 60), so its SE is whatever ML-1M gives (printed through the records).
 * Estimated evidence wall time: not measured (the files are not on this machine).
 */
import { z } from 'zod';
import { BACKBONE_LABELS, type BackboneKind } from '../../gme/backbones.ts';
import { GENERATOR_LABELS, GENERATORS } from '../../gme/generators.ts';
import { buildAdGraph } from '../../gme/graph.ts';
import { PRETRAIN_DEFAULTS, WARM_DEFAULTS } from '../../gme/protocol.ts';
import { MOVIELENS_COLD_START_DEFAULTS, MOVIELENS_DEFAULT_DIR, movieLensAvailability, movieLensColdStart, readMovieLens1M } from '../../data/movielens.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { ResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { GME_PROTOCOL_SHAPE, backboneTables, orderingNote, protocolOverSeeds, stageFigure, validRecords } from './common.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { GME_EVIDENCE, GME_MAIN_CLAIMS, GME_QUICK, metaNote } from './main.ts';

const pos = z.number().int().positive();

/**
 * Strict config of `gme/movielens`.
 * @example
 * GmeMovieLensConfig.parse(gmeMovieLensDefaults('quick'));
 */
export const GmeMovieLensConfig = z.strictObject({
  dir: z.string(),
  data: z.strictObject({ labelThreshold: z.number().int().min(1).max(5), maxTitleWords: pos, maxGenres: pos, oldThreshold: pos, shot: pos, minTest: pos, seed: z.number().int() }),
  ...GME_PROTOCOL_SHAPE,
});
/** Config of `gme/movielens`. */
export type GmeMovieLensConfig = z.infer<typeof GmeMovieLensConfig>;

/**
 * Defaults: .reclab/data/ml-1m, rating >= 4, N = 10, every generator; quick (a smoke test): DNN only, small sizes,
 * 3 seeds; evidence and paper: all five backbones, monitored meta-training, 5 seeds.
 * @example
 * gmeMovieLensDefaults('quick').backbones; // ['dnn']
 */
export function gmeMovieLensDefaults(mode: RunMode): GmeMovieLensConfig {
  const quick = mode === 'quick';
  return {
    dir: MOVIELENS_DEFAULT_DIR,
    data: { ...MOVIELENS_COLD_START_DEFAULTS },
    neighbours: 10,
    backbones: quick ? ['dnn'] : ['dnn', 'pnn', 'wide-deep', 'deepfm', 'autoint'],
    generators: [...GENERATORS],
    backbone: quick ? structuredClone(GME_QUICK.backbone) : {},
    pretrain: quick ? { ...GME_QUICK.pretrain } : { ...PRETRAIN_DEFAULTS },
    meta: { ...(quick ? GME_QUICK.meta : GME_EVIDENCE.meta) },
    warm: { ...WARM_DEFAULTS },
    dropRate: 0.5,
    seeds: quick ? [1, 2, 3] : [...GME_EVIDENCE.seeds],
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
  defaults: gmeMovieLensDefaults,
  claims: GME_MAIN_CLAIMS,
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
    const training: Record<string, unknown> = {};
    const valid: ResultRecord[] = [];
    const { patience, validShare, ...meta } = config.meta;
    for (const backbone of config.backbones as BackboneKind[]) {
      const r = await protocolOverSeeds({ data, graph, backbone, backboneConfig: config.backbone, arms, pretrain: config.pretrain, meta, monitor: { patience, validShare }, warm: config.warm, dropRate: config.dropRate }, config.seeds, ctx);
      training[backbone] = { pretrainLoss: r.pretrainLoss, meta: r.meta };
      valid.push(...validRecords('main', backbone, r, config.seeds));
      const base = GENERATOR_LABELS[config.generators.includes('random') ? 'random' : config.generators[0]];
      const ts = backboneTables({ backbone, runs: r, seeds: config.seeds, base, second, references: [], what: 'MovieLens-1M' });
      ts[0].notes.push(`Label rule: ${data.rule}. Old movies: >= ${config.data.oldThreshold} ratings; warm-up batches: each new movie's first 3 x ${config.data.shot} ratings in time order. ${metaNote(config.meta)}.`);
      if (second) ts[0].notes.push(orderingNote(ts[0], 'cold_auc', gme, second, base));
      tables.push(...ts);
      figures.push({ name: `auc-vs-stage-${backbone}`, fig: stageFigure(ts[0], `MovieLens-1M, ${BACKBONE_LABELS[backbone]}: new-movie AUC vs warm-up stage`) });
    }
    return { tables, figures, results: { skipped: false, training, rule: data.rule, dropped: data.dropped }, records: valid };
  },
};
