/**
 * Pipeline `fedpa/ablation`: FedPA's adapters varied one at a time (spec §4 "Ablation", Proposal): LoRA rank 2 / 4 / 8,
 * user adapter only, group adapters only, both, each group feature alone, the released zero/zero LoRA init (spec §7.1),
 * and client-level DP on the uploads (clipping + Gaussian noise, epsilon from the RDP accountant in federated/dp.ts).
 */
import { generateFederatedWorld } from '../../worlds/federated-world.ts';
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
 * Quick: like fedpa/main quick with 2 seeds; full: 3 seeds.
 * @example
 * fedpaAblationDefaults(true).methods.length; // 9
 */
export function fedpaAblationDefaults(quick: boolean): FedpaMainConfig {
  const d = fedpaMainDefaults(quick);
  return { ...d, methods: structuredClone(FEDPA_ABLATION), base: FEDPA_ABLATION[0].label, seeds: quick ? [1, 2] : [1, 2, 3] };
}

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
  defaults: (mode) => fedpaAblationDefaults(mode === 'quick'),
  async run(config, ctx) {
    const world = await ctx.stage('world', () => generateFederatedWorld(config.world));
    const r = await fedpaTable(world, config, ctx, `FedPA ablation on federated-world private users (${config.seeds.length} seeds)`);
    for (const [label, runs] of Object.entries(r.raw)) {
      const dp = (runs as Array<{ dp: { epsilon: number; delta: number } | null }>)[0]?.dp;
      if (dp) r.table.notes.unshift(`DP variant '${label}': (epsilon ${dp.epsilon.toFixed(2)}, delta ${dp.delta}) per user over the run, RDP accountant of the Poisson-sampled Gaussian mechanism (Mironov et al. 2019); group membership and participation are not protected.`);
    }
    return { tables: [r.table], figures: [], results: { methods: r.raw } };
  },
};
