/**
 * Pipeline `em3/ablation`: the full EM3 (end-to-end content + CIC) with the Fusion-Q-Former's query count and the
 * LoRA rank of the history path varied (spec ../shared/papers/em3.md §4 ablation table; rank 0 = the history path
 * frozen, no LoRA). Same world, pre-training, columns and ceiling as em3/main. Table 'ablation'; base: the default
 * tower (n_q 4, r 4), declared in the config. Claim: freezing the history path (r 0: no LoRA in the user's
 * content-interest modelling) lowers AUC. The query count and rank sizes have no claimed direction.
 * Modes: quick runs n_q in {1, 4} and r in {0, 4} for 2 epochs (to fit the CPU budget); evidence runs the same three
 * rows with the em3/main evidence sizes (EM3_EVIDENCE), 5 seeds; paper adds n_q 8 and r 16 (no claim rests on them,
 * and two more end-to-end fits per seed would add about 1.2 hours here).
 * Estimated evidence-mode wall time: 3 end-to-end fits of 6-8 minutes (57 s per epoch, see em3/main) + pre-training
 * (about 2.5 minutes) per seed -> about 25 minutes per seed, about 2 hours for 5 seeds on a quiet machine.
 */
import type { Claim } from '../../evidence/claims.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { PipelineSpec } from '../pipeline.ts';
import type { EM3Config, EM3Variant } from './common.ts';
import { EM3Config as EM3ConfigSchema } from './common.ts';
import { EM3_EVIDENCE, em3Defaults, runEM3Table } from './main.ts';

const e2e = (label: string, queries: number, loraRank: number): EM3Variant => ({ label, content: 'e2e', cic: true, queries, loraRank });

/**
 * Ablation rows of a run mode: quick and evidence three rows, paper five.
 * @example
 * em3AblationVariants('quick').map((v) => v.label); // ['EM3 (n_q 4, r 4)', 'n_q 1', 'r 0 (frozen history path)']
 */
export function em3AblationVariants(mode: RunMode): EM3Variant[] {
  const rows = [e2e('EM3 (n_q 4, r 4)', 4, 4), e2e('n_q 1', 1, 4), e2e('r 0 (frozen history path)', 4, 0)];
  return mode === 'paper' ? [...rows, e2e('n_q 8', 8, 4), e2e('r 16', 4, 16)] : rows;
}

/** The claims of `em3/ablation` (table 'ablation'). */
export const EM3_ABLATION_CLAIMS: Claim[] = [
  { id: 'frozen-history-lowers-auc', text: 'Freezing the history path (no LoRA, r 0) lowers test AUC', source: 'EM3 abstract (LoRA in the sequential modelling of user content interest, trained end to end); spec §3.3 and §4 ablation', table: 'ablation', metric: 'auc', method: 'r 0 (frozen history path)', base: 'EM3 (n_q 4, r 4)', direction: 'lower' },
];

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
    return { ...em3Defaults(mode, em3AblationVariants(mode)), epochs: quick ? 2 : EM3_EVIDENCE.epochs };
  },
  claims: EM3_ABLATION_CLAIMS,
  async run(config, ctx) {
    const { table, output } = await runEM3Table(config, ctx, 'ablation', 'EM3 ablation (Q-Former queries, LoRA rank)');
    table.notes.push('Rank 0 keeps the whole history path frozen (no LoRA): only the target path trains the tower.');
    return output;
  },
};
