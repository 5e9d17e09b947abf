/**
 * Pipeline `em3/ablation`: the full EM3 (end-to-end content + CIC) with the Fusion-Q-Former's query count and the
 * LoRA rank of the history path varied (spec ../shared/papers/em3.md §4 ablation table; rank 0 = the history path
 * frozen, no LoRA). Same world, pre-training, columns and ceiling as em3/main. Base: the default tower (n_q 4, r 4).
 * Quick runs n_q in {1, 4} and r in {0, 4} for 2 epochs (to fit the CPU budget); full adds n_q 8 and r 16, 8 epochs.
 */
import type { PipelineSpec } from '../pipeline.ts';
import type { EM3Config, EM3Variant } from './common.ts';
import { EM3Config as EM3ConfigSchema } from './common.ts';
import { em3Defaults, runEM3Table } from './main.ts';

const e2e = (label: string, queries: number, loraRank: number): EM3Variant => ({ label, content: 'e2e', cic: true, queries, loraRank });

/**
 * Ablation rows for quick or full mode.
 * @example
 * em3AblationVariants(true).map((v) => v.label); // ['EM3 (n_q 4, r 4)', 'n_q 1', 'r 0 (frozen history path)']
 */
export function em3AblationVariants(quick: boolean): EM3Variant[] {
  const rows = [e2e('EM3 (n_q 4, r 4)', 4, 4), e2e('n_q 1', 1, 4), e2e('r 0 (frozen history path)', 4, 0)];
  return quick ? rows : [...rows, e2e('n_q 8', 8, 4), e2e('r 16', 4, 16)];
}

/**
 * The pipeline, registered as 'em3/ablation'.
 * @example
 * const run = await runPipeline('em3/ablation', { quick: true });
 */
export const em3AblationPipeline: PipelineSpec<EM3Config> = {
  name: 'em3/ablation',
  paper: 'em3',
  title: 'EM3 ablation: Fusion-Q-Former query count and LoRA rank',
  description: 'EM3 (end-to-end + CIC) with n_q and the LoRA rank of the history path varied',
  schema: EM3ConfigSchema,
  defaults: (mode) => {
    const quick = mode === 'quick';
    return { ...em3Defaults(quick, em3AblationVariants(quick)), epochs: quick ? 2 : 8 };
  },
  async run(config, ctx) {
    const { table, output } = await runEM3Table(config, ctx, 'EM3 ablation (Q-Former queries, LoRA rank)');
    table.notes.push('Rank 0 keeps the whole history path frozen (no LoRA): only the target path trains the tower.');
    return output;
  },
};
