/**
 * Pipeline `mrff/main`: AUC and logloss on each user's held-out (leave-one-out) interaction for centralised SASRec,
 * local-only SASRec, FedAvg-SASRec, FedProx-SASRec and MRFF on the federated world (3 seeds), with the communication
 * per round as a column, the ground-truth ceiling, validation curves over rounds; the same table on KuaiSAR-R when the
 * data folder exists (skipped with a message otherwise). The paper's numbers are not available (spec §4).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { FEDERATED_WORLD_SIZES, FederatedWorldConfigSpec, generateFederatedWorld } from '../../worlds/federated-world.ts';
import { loadKuaiSAR } from '../../data/kuaisar.ts';
import { MRFF_CONFIG } from '../../models/mrff.ts';
import type { FederatedData } from '../../federated/types.ts';
import { buildResultTable, type MethodResult, type ResultTable } from '../result-table.ts';
import type { PipelineContext, PipelineSpec } from '../pipeline.ts';
import type { Figure } from '../../plots/index.ts';
import { FED_COLUMNS, FedTraining, SeqMethod, ceilingReference, curveFigure, fitSeqMethod, orderNote } from './common.ts';

/**
 * Strict config of `mrff/main`.
 * @example
 * MrffMainConfig.parse({ ...mrffMainDefaults(true), seeds: [1] });
 */
export const MrffMainConfig = z.strictObject({
  world: FederatedWorldConfigSpec,
  methods: z.array(SeqMethod).min(1),
  base: z.string(),
  training: z.strictObject({ fed: FedTraining, central: FedTraining, maxLen: z.number().int().min(1) }),
  seeds: z.array(z.number().int()).min(1),
  /** KuaiSAR-R folder (df.csv, user_features.csv, video_features.csv); skipped with a message when absent. */
  kuaisarDir: z.string().nullable(),
});
/** Config of `mrff/main`. */
export type MrffMainConfig = z.infer<typeof MrffMainConfig>;

/**
 * The compared methods: centralised SASRec, local-only, FedAvg, FedProx (mu 0.01, 3 local steps: with one local step
 * the prox term has zero gradient and FedProx equals FedAvg), MRFF.
 * @example
 * MRFF_METHODS.map((m) => m.label);
 */
export const MRFF_METHODS: SeqMethod[] = [
  { label: 'SASRec (centralised)', kind: 'central', model: {}, fed: {} },
  { label: 'Local-only SASRec', kind: 'federated', model: { partition: 'local' }, fed: {} },
  { label: 'FedAvg-SASRec', kind: 'federated', model: {}, fed: {} },
  { label: 'FedProx-SASRec', kind: 'federated', model: {}, fed: { proxMu: 0.01, localSteps: 3 } },
  { label: 'MRFF', kind: 'federated', model: { ...MRFF_CONFIG }, fed: {} },
];

/**
 * Quick: 400 users, 20 rounds, 3 seeds. Full: 2,000 users, 100 rounds. One local Adam step per round at lr 0.05.
 * @example
 * mrffMainDefaults(true).training.fed.rounds; // 20
 */
export function mrffMainDefaults(quick: boolean): MrffMainConfig {
  return {
    world: FederatedWorldConfigSpec.parse(quick ? { ...FEDERATED_WORLD_SIZES.quick, users: 400 } : FEDERATED_WORLD_SIZES.quick),
    methods: structuredClone(MRFF_METHODS),
    base: 'FedAvg-SASRec',
    training: { fed: { rounds: quick ? 20 : 100, learningRate: 0.05, evalEvery: quick ? 4 : 5, chunkSize: 1024 }, central: { epochs: quick ? 15 : 20, batchUsers: 32 }, maxLen: 30 },
    seeds: [1, 2, 3],
    kuaisarDir: process.env.RECLAB_KUAISAR_DIR ?? 'data/KuaiSAR-R',
  };
}

async function tableOn(data: FederatedData, config: MrffMainConfig, ctx: PipelineContext, title: string) {
  const results: MethodResult[] = config.methods.map((m) => ({ method: m.label, seeds: [...config.seeds], values: { auc: [], logloss: [], comm_MB_per_round: [] } }));
  const curves: Record<string, Array<Array<{ x: number; auc: number }>>> = {};
  const raw: Record<string, unknown[]> = {};
  for (const seed of config.seeds) {
    for (const [i, m] of config.methods.entries()) {
      const r = await ctx.stage(`${m.label} seed ${seed}`, () => fitSeqMethod(m, data, config.training, seed, ctx));
      results[i].values.auc.push(r.auc);
      results[i].values.logloss.push(r.logloss);
      results[i].values.comm_MB_per_round.push(r.commMBPerRound);
      if (m.kind === 'federated') (curves[m.label] ??= []).push(r.curve);
      (raw[m.label] ??= []).push({ seed, auc: r.auc, logloss: r.logloss, commMBPerRound: r.commMBPerRound, secondsPerRound: r.secondsPerRound, curve: r.curve, history: r.fed?.history.map((h) => ({ ...h, excluded: h.excluded.length })) });
      ctx.log(`${m.label} seed ${seed}: test AUC ${r.auc.toFixed(4)}, logloss ${r.logloss.toFixed(4)}, ${r.commMBPerRound.toFixed(2)} MB/round, ${r.secondsPerRound.toFixed(2)} s/round`);
    }
  }
  const table: ResultTable = buildResultTable({ title, base: config.base, metrics: FED_COLUMNS, results, references: ceilingReference(data) });
  table.notes.push(
    orderNote(table, 'MRFF', config.base),
    'Leave-one-out per user: the last interaction is the test, the second-last the validation; federated methods report the test metrics at the round with the best validation AUC (centralised: best epoch). comm_MB_per_round = bytes up + down per round over all participants (float32 parameters, int32 routing choices); 0 for centralised and local-only training.',
    "FedProx runs 3 local steps (the prox term has no gradient at a client's first step, so with one step it would equal FedAvg); every other federated method runs one local Adam step per round (the released setting).",
    "The paper's numbers are not available (spec §4), so only orderings can be compared.",
  );
  return { table, curves, raw };
}

/**
 * The pipeline, registered as 'mrff/main'.
 * @example
 * await runPipeline('mrff/main', { quick: true });
 */
export const mrffMainPipeline: PipelineSpec<MrffMainConfig> = {
  name: 'mrff/main',
  paper: 'mrff',
  title: 'MRFF vs SASRec baselines (federated world, KuaiSAR-R when present)',
  description: 'AUC / logloss (leave-one-out) and communication per round: centralised, local-only, FedAvg, FedProx SASRec and MRFF',
  schema: MrffMainConfig,
  defaults: (mode) => mrffMainDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateFederatedWorld(config.world));
    const main = await tableOn(world, config, ctx, `MRFF on federated-world (${world.users} users, ${config.seeds.length} seeds, leave-one-out test)`);
    const tables = [main.table];
    const figures: Array<{ name: string; fig: Figure }> = [{ name: 'curves', fig: curveFigure(main.curves, 'MRFF and federated baselines: validation AUC by round (mean over seeds)') }];
    const results: Record<string, unknown> = { world: main.raw };
    if (config.kuaisarDir && existsSync(config.kuaisarDir)) {
      const ks = await ctx.stage('kuaisar', () => loadKuaiSAR(config.kuaisarDir as string));
      const r = await tableOn(ks, config, ctx, `MRFF on KuaiSAR-R (${ks.users} users, leave-one-out test)`);
      tables.push(r.table);
      figures.push({ name: 'curves-kuaisar', fig: curveFigure(r.curves, 'KuaiSAR-R: validation AUC by round') });
      results.kuaisar = r.raw;
    } else {
      ctx.log(`KuaiSAR-R not found at '${config.kuaisarDir}' (set RECLAB_KUAISAR_DIR or kuaisarDir): the KuaiSAR-R table is skipped`);
      results.kuaisar = `skipped: no data at ${config.kuaisarDir}`;
    }
    return { tables, figures, results };
  },
};
