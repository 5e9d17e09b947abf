/**
 * Pipeline `mrff/groups`: MRFF with K = 1, 2, 4, 8 group FFNs per layer, each with and without the balance loss
 * (alpha 0 = without). Table 'groups': AUC / logloss on held-out interactions, communication per round, and the
 * adjusted Rand index between each layer's group assignment (at the best-validation round, test inputs) and the world's
 * true latent groups. Figures: ARI per variant, and the assignment of layer 0 against the true groups for K = 4.
 * Base: 'K=4, balance' (the released configuration: K = 4, alpha 0.1), declared in the config. Claims (spec §2 and the
 * §4 ablation): removing the group structure (K = 1) lowers AUC; removing the balance loss lowers AUC.
 * Modes: quick (smoke test: 400 users, leave-one-out, 20 rounds, 1 seed); evidence and paper: the sizes, holdout and
 * early stopping of mrff/main (see MRFF_EVIDENCE there), 5 seeds.
 * Estimated evidence-mode wall time: 8 variants x 5 seeds = 40 MRFF fits; the one timed MRFF fit (mrff/main's doc
 * comment) took 202 s with its best round at 5 -> about 2.2 hours at load about 7, more where a variant peaks later.
 */
import { z } from 'zod';
import { FEDERATED_WORLD_SIZES, FederatedWorldConfigSpec, generateFederatedWorld } from '../../worlds/federated-world.ts';
import { MRFF_CONFIG } from '../../models/mrff.ts';
import { adjustedRandIndex } from '../../metrics/ari.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { barChart, type Figure } from '../../plots/index.ts';
import { buildResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import { FED_COLUMNS, FedTraining, HoldoutSpec, LOO, ceilingReference, curveFigure, emptyResult, fitSeqMethod, orderNote, pushFit, selectionRecords, testRowsNote, withHoldout, type SeqMethod } from './common.ts';
import { MRFF_EVIDENCE } from './main.ts';

/**
 * Strict config of `mrff/groups`.
 * @example
 * MrffGroupsConfig.parse({ ...mrffGroupsDefaults('quick'), groups: [2, 4] });
 */
export const MrffGroupsConfig = z.strictObject({
  world: FederatedWorldConfigSpec,
  holdout: HoldoutSpec.default(LOO),
  groups: z.array(z.number().int().min(1)).min(1),
  balanceAlpha: z.number().gt(0),
  /** The base variant's label (e.g. 'K=4, balance'), fixed in advance. */
  base: z.string().default('K=4, balance'),
  training: z.strictObject({ fed: FedTraining, central: FedTraining, maxLen: z.number().int().min(1) }),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `mrff/groups`. */
export type MrffGroupsConfig = z.infer<typeof MrffGroupsConfig>;

/** A variant's label: `K=4, balance` or `K=4, no balance`. */
export function groupsLabel(k: number, balance: boolean): string {
  return `K=${k}, ${balance ? 'balance' : 'no balance'}`;
}

/**
 * Quick: 400 users, leave-one-out, 20 rounds, 1 seed; evidence: the mrff/main evidence sizes, 5 seeds; paper: evidence
 * with the released 500 rounds.
 * @example
 * mrffGroupsDefaults('quick').groups; // [1, 2, 4, 8]
 */
export function mrffGroupsDefaults(mode: RunMode): MrffGroupsConfig {
  const quick = mode === 'quick';
  const e = MRFF_EVIDENCE;
  return {
    world: FederatedWorldConfigSpec.parse(quick ? { ...FEDERATED_WORLD_SIZES.quick, users: 400 } : e.world),
    holdout: quick ? { ...LOO } : { ...e.holdout },
    groups: [1, 2, 4, 8],
    balanceAlpha: 0.1,
    base: groupsLabel(4, true),
    training: quick
      ? { fed: { rounds: 20, learningRate: 0.05, evalEvery: 4, chunkSize: 1024 }, central: {}, maxLen: 30 }
      : { fed: { ...e.fed, rounds: mode === 'paper' ? 500 : e.fed.rounds }, central: {}, maxLen: 30 },
    seeds: quick ? [1] : [...e.seeds],
  };
}

/** The claims of `mrff/groups` (table 'groups'). */
export const MRFF_GROUPS_CLAIMS: Claim[] = [
  { id: 'one-group-lowers-auc', text: 'With one group FFN per layer (K = 1) MRFF has a lower test AUC than with K = 4', source: 'spec §2 (users routed to one of several shared group-level FFNs); spec §4 ablation K ∈ {1, 2, 4, 8}', table: 'groups', metric: 'auc', method: groupsLabel(1, true), base: groupsLabel(4, true), direction: 'lower' },
  { id: 'no-balance-lowers-auc', text: 'Without the balance loss MRFF (K = 4) has a lower test AUC', source: 'spec §2 (a load-balance loss keeps the groups evenly used); spec §4 ablation "w/o balance loss"', table: 'groups', metric: 'auc', method: groupsLabel(4, false), base: groupsLabel(4, true), direction: 'lower' },
];

const ARI_COLUMNS = [...FED_COLUMNS, { name: 'ari_layer0', higherIsBetter: true }, { name: 'ari_layer1', higherIsBetter: true }];

/**
 * The pipeline, registered as 'mrff/groups'.
 * @example
 * await runPipeline('mrff/groups', { quick: true });
 */
export const mrffGroupsPipeline: PipelineSpec<MrffGroupsConfig> = {
  name: 'mrff/groups',
  paper: 'mrff',
  title: 'MRFF: groups per layer, balance loss, and group assignment vs the true groups',
  description: 'K = 1, 2, 4, 8 group FFNs per layer with / without the balance loss; AUC, logloss, comm, adjusted Rand index vs true groups',
  schema: MrffGroupsConfig,
  defaults: mrffGroupsDefaults,
  claims: MRFF_GROUPS_CLAIMS,
  async run(config, ctx) {
    const world = withHoldout(await ctx.stage('world', () => generateFederatedWorld(config.world)), config.holdout);
    const truth = world.truth?.group as Int32Array;
    const variants: SeqMethod[] = config.groups.flatMap((k) => [true, false].map((bal) => ({
      label: groupsLabel(k, bal), kind: 'federated' as const, model: { ...MRFF_CONFIG, groups: k, balanceAlpha: bal ? config.balanceAlpha : 0 }, fed: {},
    })));
    if (!variants.some((v) => v.label === config.base)) throw new Error(`mrff/groups config: base '${config.base}' is not among the variants (${variants.map((v) => v.label).join(', ')})`);
    const results = variants.map((m) => emptyResult(m.label, config.seeds, ['comm_MB_per_round', 'ari_layer0', 'ari_layer1']));
    const records: ResultRecord[] = [];
    const curves: Record<string, Array<Array<{ x: number; auc: number }>>> = {};
    const shares: Record<string, Array<{ seed: number; layer0: number[]; layer1: number[] }>> = {};
    let example: { assign: number[]; k: number } | null = null;
    // Every (seed, variant) fit is independent: the run's fit workers may take them in parallel (src/pipelines/fits.ts).
    const fitted = await fitGrid(ctx.fits, 'variants', variants, config.seeds, (m, seed) => ctx.stage(`${m.label} seed ${seed}`, () => fitSeqMethod(m, world, config.training, seed, ctx)));
    for (const [k, seed] of config.seeds.entries()) {
      for (const [i, m] of variants.entries()) {
        const r = fitted[i][k];
        const ari = (layer: string) => {
          const a = r.assignments[layer];
          if (!a) return NaN;
          const keep = a.map((g, u) => (g < 0 ? -1 : u)).filter((u) => u >= 0);
          return adjustedRandIndex(keep.map((u) => a[u]), keep.map((u) => truth[u]));
        };
        const share = (layer: string) => {
          const a = (r.assignments[layer] ?? []).filter((g) => g >= 0);
          const k = Number(m.model.groups);
          return Array.from({ length: k }, (_, g) => a.filter((x) => x === g).length / Math.max(a.length, 1));
        };
        const aris = { ari_layer0: ari('layer0'), ari_layer1: ari('layer1') };
        pushFit(results[i], r, aris);
        records.push(...selectionRecords(m.label, seed, r));
        (curves[m.label] ??= []).push(r.curve);
        (shares[m.label] ??= []).push({ seed, layer0: share('layer0'), layer1: share('layer1') });
        if (!example && m.model.groups === 4 && Number(m.model.balanceAlpha) > 0) example = { assign: r.assignments.layer0, k: 4 };
        ctx.log(`${m.label} seed ${seed}: AUC ${r.auc.toFixed(4)} (SE ${r.evidence.auc.se.toFixed(4)}), ARI layer0 ${aris.ari_layer0.toFixed(3)}, layer1 ${aris.ari_layer1.toFixed(3)}, layer0 shares [${share('layer0').map((s) => s.toFixed(2)).join(', ')}], best round ${r.best}${r.stillImproving ? ' (still improving)' : ''}`);
      }
    }
    const n = config.seeds.length;
    const table = buildResultTable({ id: 'groups', title: `MRFF groups per layer and balance loss (federated-world, ${n} seed${n > 1 ? 's' : ''})`, base: config.base, metrics: ARI_COLUMNS, results, references: ceilingReference(world).map((r) => ({ ...r, values: { ...r.values, ari_layer0: null, ari_layer1: null } })) });
    table.notes.push(
      orderNote(table),
      testRowsNote(table, config.holdout),
      `ari_layer*: adjusted Rand index between the routing of every user (test inputs, best-validation round) and the world's ${config.world.groups} true latent groups; 0 = chance, 1 = the true partition. With K = 1 every user is in one group, so the ARI is 0 by construction.`,
      'Routing: hard argmax with the group output scaled by p* (a task gradient for the router; released: unscaled, spec §7.3) on the pooled sequence and public router-owned user-field embeddings (see MRFF_CONFIG in src/models/mrff.ts).',
    );
    const figures: Array<{ name: string; fig: Figure }> = [
      { name: 'ari', fig: barChart(table.rows.flatMap((r) => ['ari_layer0', 'ari_layer1'].map((c) => ({ label: r.method, group: c.replace('ari_', ''), mean: r.cells[c].mean, std: Number.isFinite(r.cells[c].std) ? r.cells[c].std : undefined }))), { title: 'Group assignment vs true groups (adjusted Rand index)', yTitle: 'ARI', yRange: 'zero' }) },
      { name: 'curves', fig: curveFigure(curves, 'MRFF groups: validation AUC by round (mean over seeds)') },
    ];
    const ex = example as { assign: number[]; k: number } | null;
    if (ex) {
      const rows = [];
      for (let z0 = 0; z0 < config.world.groups; z0++) for (let k = 0; k < ex.k; k++) rows.push({ label: `true group ${z0}`, group: `MRFF group ${k}`, mean: ex.assign.filter((g, u) => g === k && truth[u] === z0).length });
      figures.push({ name: 'assignment', fig: barChart(rows, { title: 'Layer-0 routing of users (K = 4, balance) by true group', yTitle: 'users', yRange: 'zero', errorBars: false }) });
    }
    return { tables: [table], figures, results: { world: world.config, holdout: config.holdout, curves, groupShares: shares }, records };
  },
};
