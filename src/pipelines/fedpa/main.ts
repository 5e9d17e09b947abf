/**
 * Pipeline `fedpa/main`: on the federated world, a foundation model is pre-trained centrally on the open users, then
 * adapted on the private users: foundation without adaptation, local fine-tuning per user, FedAvg fine-tuning of all
 * layers, FedProx fine-tuning, and FedPA (user + group adapters with gates). AUC / logloss on each private user's
 * held-out (leave-one-out) interaction, 3 seeds, communication per round, validation curves. The paper's numbers are
 * not available (spec §4).
 */
import { z } from 'zod';
import { FEDERATED_WORLD_SIZES, FederatedWorldConfigSpec, generateFederatedWorld } from '../../worlds/federated-world.ts';
import { subsetUsers } from '../../federated/data.ts';
import type { FederatedData } from '../../federated/types.ts';
import { buildResultTable, type MethodResult, type ResultTable } from '../result-table.ts';
import type { PipelineContext, PipelineSpec } from '../pipeline.ts';
import { FED_COLUMNS, FedTraining, ceilingReference, curveFigure, orderNote } from '../mrff/common.ts';
import { FedPAMethod, OpenSplit, fitFedPAMethod, openPrivateSplit, pretrainFoundation } from './common.ts';

/**
 * Strict config of `fedpa/main` (also used by fedpa/ablation).
 * @example
 * FedpaMainConfig.parse({ ...fedpaMainDefaults(true), seeds: [1] });
 */
export const FedpaMainConfig = z.strictObject({
  world: FederatedWorldConfigSpec,
  split: OpenSplit,
  /** FedPA settings shared by every method (e.g. group features), validated by the model. */
  model: z.record(z.string(), z.unknown()),
  methods: z.array(FedPAMethod).min(1),
  base: z.string(),
  training: z.strictObject({ fed: FedTraining, central: FedTraining }),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `fedpa/main`. */
export type FedpaMainConfig = z.infer<typeof FedpaMainConfig>;

/**
 * The compared methods.
 * @example
 * FEDPA_METHODS.map((m) => m.label);
 */
export const FEDPA_METHODS: FedPAMethod[] = [
  { label: 'Foundation (no adaptation)', model: { mode: 'foundation' }, fed: {} },
  { label: 'Local fine-tuning', model: { mode: 'localFt' }, fed: {} },
  { label: 'FedAvg full fine-tuning', model: { mode: 'fullFt' }, fed: {} },
  { label: 'FedProx full fine-tuning', model: { mode: 'fullFt' }, fed: { proxMu: 0.01, localSteps: 3 } },
  { label: 'FedPA', model: { mode: 'fedpa' }, fed: {} },
];

/**
 * Quick: 800 users, 15 rounds, 3 seeds. Full: 4,000 users, 30 rounds (as released). One local Adam step per round at lr 0.05.
 * @example
 * fedpaMainDefaults(true).training.fed.rounds; // 15
 */
export function fedpaMainDefaults(quick: boolean): FedpaMainConfig {
  return {
    world: FederatedWorldConfigSpec.parse(quick ? { ...FEDERATED_WORLD_SIZES.quick, users: 800 } : { ...FEDERATED_WORLD_SIZES.quick, users: 4000 }),
    split: OpenSplit.parse({}),
    model: { groupFeatures: ['segment', 'activity'] },
    methods: structuredClone(FEDPA_METHODS),
    base: 'FedAvg full fine-tuning',
    training: { fed: { rounds: quick ? 15 : 30, learningRate: 0.05, evalEvery: quick ? 3 : 3, chunkSize: 1024 }, central: { epochs: quick ? 8 : 20, learningRate: 0.003 } },
    seeds: [1, 2, 3],
  };
}

/**
 * Runs a list of methods over seeds: per seed, one open/private split and one foundation, shared by all methods.
 * @example
 * const { table } = await fedpaTable(world, config, ctx, 'FedPA');
 */
export async function fedpaTable(world: FederatedData, config: FedpaMainConfig, ctx: PipelineContext, title: string) {
  const results: MethodResult[] = config.methods.map((m) => ({ method: m.label, seeds: [...config.seeds], values: { auc: [], logloss: [], comm_MB_per_round: [] } }));
  const curves: Record<string, Array<Array<{ x: number; auc: number }>>> = {};
  const raw: Record<string, unknown[]> = {};
  let privData: FederatedData | null = null;
  for (const seed of config.seeds) {
    const { open, priv } = openPrivateSplit(world, config.split, seed);
    privData = subsetUsers(world, priv);
    const foundation = await ctx.stage(`foundation seed ${seed}`, () => pretrainFoundation(world, open, config.training.central, config.model, seed, ctx));
    for (const [i, m] of config.methods.entries()) {
      const r = await ctx.stage(`${m.label} seed ${seed}`, () => fitFedPAMethod(m, privData as FederatedData, foundation, config.training.fed, config.model, seed, ctx));
      results[i].values.auc.push(r.auc);
      results[i].values.logloss.push(r.logloss);
      results[i].values.comm_MB_per_round.push(r.commMBPerRound);
      if (r.fed) (curves[m.label] ??= []).push(r.curve);
      (raw[m.label] ??= []).push({ seed, auc: r.auc, logloss: r.logloss, commMBPerRound: r.commMBPerRound, secondsPerRound: r.secondsPerRound, dp: r.fed?.dp ?? null, curve: r.curve });
      ctx.log(`${m.label} seed ${seed}: test AUC ${r.auc.toFixed(4)}, logloss ${r.logloss.toFixed(4)}, ${r.commMBPerRound.toFixed(3)} MB/round${r.fed?.dp ? `, (epsilon ${r.fed.dp.epsilon.toFixed(2)}, delta ${r.fed.dp.delta})-DP` : ''}`);
    }
  }
  const table: ResultTable = buildResultTable({ title, base: config.base, metrics: FED_COLUMNS, results, references: ceilingReference(privData as FederatedData) });
  table.notes.push(
    `The ceiling row is computed on the private users of the last seed (seed ${config.seeds.at(-1)}); each seed has its own split.`,
    'Private users only; per seed one open/private split (spec §4: 80% of high-activity users and 20% of the rest are open) and one foundation model pre-trained on the open users, selected on their validation AUC (not training AUC, spec §7.3). Leave-one-out test at the round with the best validation AUC. comm_MB_per_round counts the trained parameters exchanged per round (the frozen backbone is downloaded once and not counted).',
    'FedProx runs 3 local steps (its prox term has no gradient at the first local step, so with one step it would equal FedAvg); the other federated methods run one local Adam step per round (the released setting).',
    "The paper's numbers are not available (spec §4), so only orderings can be compared.",
  );
  return { table, curves, raw };
}

/**
 * The pipeline, registered as 'fedpa/main'.
 * @example
 * await runPipeline('fedpa/main', { quick: true });
 */
export const fedpaMainPipeline: PipelineSpec<FedpaMainConfig> = {
  name: 'fedpa/main',
  paper: 'fedpa',
  title: 'FedPA vs fine-tuning baselines on private users (federated world)',
  description: 'Foundation without adaptation, local and FedAvg/FedProx full fine-tuning, FedPA: AUC / logloss (leave-one-out) and communication per round',
  schema: FedpaMainConfig,
  defaults: (mode) => fedpaMainDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateFederatedWorld(config.world));
    const r = await fedpaTable(world, config, ctx, `FedPA on federated-world private users (${config.seeds.length} seeds, leave-one-out test)`);
    r.table.notes.unshift(orderNote(r.table, 'FedPA', config.base));
    return { tables: [r.table], figures: [{ name: 'curves', fig: curveFigure(r.curves, 'FedPA and fine-tuning baselines: validation AUC by round') }], results: { methods: r.raw } };
  },
};
