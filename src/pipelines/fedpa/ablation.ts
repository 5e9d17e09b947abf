/**
 * Pipeline `fedpa/ablation`: FedPA's adapters varied one at a time (spec §4 "Ablation", Proposal): LoRA rank 2 / 4 / 8,
 * user adapter only, group adapters only, both, each group feature alone, the released zero/zero LoRA init (spec §7.1),
 * and client-level DP on the uploads (clipping + Gaussian noise, epsilon from the RDP accountant in federated/dp.ts).
 * Table 'ablation'; base: FedPA as in fedpa/main (rank 4, user + group adapters), declared in the config. Claims
 * (abstract: user-level and user-group-level adapters): removing the group adapters lowers AUC; removing the user
 * adapter lowers AUC. Rank, a single group feature, the init and DP have no claimed direction here.
 * Modes: quick (smoke test: fedpa/main quick with 2 seeds); evidence and paper: the fedpa/main sizes, 5 seeds.
 * Estimated evidence-mode wall time: 9 variants x 5 seeds FedPA fits (one took 28 s at 5 000 users, see fedpa/main)
 * + 5 foundations (about 2 minutes each) -> about 45-60 minutes at load about 8.
 */
import { generateFederatedWorld } from '../../worlds/federated-world.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { PipelineSpec } from '../pipeline.ts';
import type { FedPAMethod } from './common.ts';
import { FedpaMainConfig, fedpaMainDefaults, fedpaTable } from './main.ts';

const v = (label: string, model: Record<string, unknown>, fed: Record<string, unknown> = {}): FedPAMethod => ({ label, model: { mode: 'fedpa', ...model }, fed });
/**
 * The variants (the first is the base: FedPA as in fedpa/main, rank 4, both adapters).
 * @example
 * FEDPA_ABLATION.length; // 9
 */
export const FEDPA_ABLATION: FedPAMethod[] = [
  v('FedPA (rank 4, user + group)', {}),
  v('rank 2', { rank: 2 }),
  v('rank 8', { rank: 8 }),
  v('user adapter only', { groupFeatures: [] }),
  v('group adapters only', { userAdapter: false }),
  v('group: segment only', { groupFeatures: ['segment'] }),
  v('group: activity only', { groupFeatures: ['activity'] }),
  v('LoRA init zeros (released code)', { loraInit: 'zeros' }),
  v('client-level DP (q 0.5, sigma 1, clip 1)', {}, { clientFraction: 0.5, dp: { clip: 1, noiseMultiplier: 1, delta: 1e-5 } }),
];

/**
 * Quick: like fedpa/main quick with 2 seeds; evidence and paper: the fedpa/main sizes with 5 seeds.
 * @example
 * fedpaAblationDefaults('quick').methods.length; // 9
 */
export function fedpaAblationDefaults(mode: RunMode): FedpaMainConfig {
  const d = fedpaMainDefaults(mode);
  return { ...d, methods: structuredClone(FEDPA_ABLATION), base: FEDPA_ABLATION[0].label, seeds: mode === 'quick' ? [1, 2] : d.seeds };
}

/** The claims of `fedpa/ablation` (table 'ablation'). */
export const FEDPA_ABLATION_CLAIMS: Claim[] = [
  { id: 'no-group-adapters-lowers-auc', text: 'Removing the group adapters (user adapter only) lowers test AUC', source: 'FedPA abstract (user-level and user-group-level adapters); spec §4 ablation "user LoRA only"', table: 'ablation', metric: 'auc', method: 'user adapter only', base: FEDPA_ABLATION[0].label, direction: 'lower' },
  { id: 'no-user-adapter-lowers-auc', text: 'Removing the user adapter (group adapters only) lowers test AUC', source: 'FedPA abstract; spec §4 ablation "group LoRA only"', table: 'ablation', metric: 'auc', method: 'group adapters only', base: FEDPA_ABLATION[0].label, direction: 'lower' },
];

/**
 * The pipeline, registered as 'fedpa/ablation'.
 * @example
 * await runPipeline('fedpa/ablation', { quick: true });
 */
export const fedpaAblationPipeline: PipelineSpec<FedpaMainConfig> = {
  name: 'fedpa/ablation',
  paper: 'fedpa',
  title: "Ablation of FedPA's adapters, LoRA init and DP (federated world)",
  description: 'LoRA rank, user vs group vs both adapters, single group features, zero init, client-level DP',
  schema: FedpaMainConfig,
  defaults: fedpaAblationDefaults,
  claims: FEDPA_ABLATION_CLAIMS,
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateFederatedWorld(config.world));
    const r = await fedpaTable(world, config, ctx, 'ablation', `FedPA ablation on federated-world private users (${config.seeds.length} seeds)`);
    const dpNotes: string[] = [];
    for (const m of config.methods) {
      const dp = m.fed.dp as { noiseMultiplier: number; delta: number } | undefined;
      const eps = r.dp[m.label];
      if (dp && eps) dpNotes.push(`DP variant '${m.label}': (epsilon ${eps.epsilon.toFixed(2)}, delta ${eps.delta}) per user over the run, RDP accountant of the Poisson-sampled Gaussian mechanism (Mironov et al. 2019); group membership and participation are not protected.`);
    }
    r.table.notes.unshift(...dpNotes);
    return { tables: [r.table], figures: [], results: { world: world.config, holdout: config.holdout, curves: r.curves, foundationCurves: r.foundationCurves, dp: r.dp }, records: r.records };
  },
};
