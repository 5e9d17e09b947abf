/**
 * Pipeline `qarm/ab`: QARM's simulated online A/B test (spec §4: the paper reports almost +10% ads revenue for new
 * ads and about +3% for the rest; third-party, unverified). The offline stages run as in qarm/main; per seed the base
 * ranker (control) and every candidate variant are trained; the treatment is the candidate with the best mean
 * validation AUC over seeds (selected on validation, never on test). Per seed, each arm serves requests from candidate
 * pools of new (cold-start) items and of old items (src/qarm/ab-pool.ts) through the shared `simulateAB`; clicks are
 * sampled from the world's truth.
 * Tables: 'arms' (the arms' validation and test AUCs with DeLong SEs) and 'ab-new' / 'ab-old' (per pool, the lift in
 * clicks per request of the treatment, recorded under the fixed name 'QARM treatment', against the control, whose lift
 * is 0 by definition; the SE is the simulator's bootstrap SE over users). Each arm scores the pools right after it is
 * trained and is then disposed (35 rankers are never held at once). Results: `abTests` (the first seed's simulation, one
 * entry per pool, the report's shape). Claims: the treatment lifts clicks per request on new items and on old items.
 * Modes: quick (smoke test: the quick world, 3 candidates, 1 seed, 600 users per pool); evidence and paper: the qarm/main
 * evidence sizes (qarmModeDefaults), every candidate variant, 5 seeds, 3 000 users per pool.
 * Estimated evidence-mode wall time: as qarm/main, about 80 minutes (7 arms x 5 seeds of fits timed at 137 s each;
 * world, U2I stand-in and stage A reused from qarm/main when both run in one process with the same settings), plus
 * seconds per simulation.
 */
import { z } from 'zod';
import { QarmPrepareSpec } from '../../qarm/prepare.ts';
import { candidatePool } from '../../qarm/ab-pool.ts';
import { simulateAB, normalQuantile, type AbResult } from '../../worlds/ab-simulator.ts';
import { predict } from '../../train/evaluate.ts';
import type { QarmRanker } from '../../models/qarm-ranker.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { buildResultTable, tableFromRecords } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import { QARM_VARIANTS, QarmWorld, RankerHyper, evidenceResult, fitVariant, preparedFor, pushEvidence, qarmModeDefaults } from './common.ts';

const pos = z.number().int().positive();
/**
 * Strict config of `qarm/ab`. `candidates` are labels of QARM_VARIANTS; `ab` holds the pools and simulateAB options.
 * @example
 * QarmAbConfig.parse(qarmAbDefaults('quick'));
 */
export const QarmAbConfig = z.strictObject({
  world: QarmWorld,
  prepare: QarmPrepareSpec,
  ranker: RankerHyper,
  trainer: z.record(z.string(), z.unknown()),
  /** The control arm (the paper's base), fixed in advance. */
  base: z.string(),
  candidates: z.array(z.string()).min(1),
  ab: z.strictObject({ users: pos, itemsPerUser: pos, requests: pos, candidates: pos, slots: pos, bootstrap: pos, level: z.number().gt(0).lt(1), seed: z.number().int() }),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `qarm/ab`. */
export type QarmAbConfig = z.infer<typeof QarmAbConfig>;

/** The name the treatment arm's A/B records carry, whichever candidate validation chose. */
export const QARM_TREATMENT = 'QARM treatment';

/**
 * Quick: the quick world and ranker, three candidates (aligned MM, VQ + RQ, all), 600 users x 30 candidates per pool,
 * one seed. Evidence and paper: the qarm/main evidence sizes, every candidate variant, 3 000 users per pool, 5 seeds.
 * @example
 * qarmAbDefaults('quick').candidates.length; // 3
 */
export function qarmAbDefaults(mode: RunMode): QarmAbConfig {
  const quick = mode === 'quick';
  return {
    ...qarmModeDefaults(mode),
    base: 'Base (ID only)',
    candidates: quick ? ['+ frozen MM (aligned)', '+ VQ + RQ codes', '+ all (codes + aligned MM)'] : QARM_VARIANTS.slice(1).map((v) => v.label),
    ab: { users: quick ? 600 : 3000, itemsPerUser: 30, requests: 20, candidates: 10, slots: 2, bootstrap: quick ? 400 : 2000, level: 0.95, seed: 7 },
    seeds: quick ? [1] : [1, 2, 3, 4, 5],
  };
}

/** The claims of `qarm/ab` (tables 'ab-new' / 'ab-old', metric 'lift_pct'; spec §4 online A/B, third-party and unverified). */
export const QARM_AB_CLAIMS: Claim[] = [
  { id: 'ab-lift-new-items', text: 'QARM lifts clicks per request on new (cold-start) items in the simulated A/B', source: 'spec §4 online A/B (QARM-V2 speaker notes: almost +10% ads revenue for new ads; third-party, unverified)', table: 'ab-new', metric: 'lift_pct', method: QARM_TREATMENT, base: 'Base (ID only)', direction: 'higher' },
  { id: 'ab-lift-old-items', text: 'QARM lifts clicks per request on old items in the simulated A/B', source: 'spec §4 online A/B (about +3% for the rest; third-party, unverified)', table: 'ab-old', metric: 'lift_pct', method: QARM_TREATMENT, base: 'Base (ID only)', direction: 'higher' },
];

function variantOf(label: string): (typeof QARM_VARIANTS)[number] {
  const v = QARM_VARIANTS.find((x) => x.label === label);
  if (!v) throw new Error(`qarm/ab config: '${label}' is not a QARM variant (known: ${QARM_VARIANTS.map((x) => x.label).join(', ')})`);
  return v;
}

const ARM_METRICS = ['valid_auc', 'auc', 'auc_new', 'auc_old'];

/**
 * The pipeline, registered as 'qarm/ab'.
 * @example
 * const run = await runPipeline('qarm/ab', { quick: true });
 */
export const qarmAbPipeline: PipelineSpec<QarmAbConfig> = {
  name: 'qarm/ab',
  paper: 'qarm',
  title: 'QARM simulated online A/B: best variant vs base, new and old items',
  description: 'Simulated A/B (shared simulator) of the best-on-validation QARM variant vs the base ranker, split into new and old items',
  schema: QarmAbConfig,
  defaults: qarmAbDefaults,
  claims: QARM_AB_CLAIMS,
  async run(config, ctx) {
    const { world, prep } = await preparedFor(config, ctx);
    const test = ctx.holdout(world.test);
    const labels = [config.base, ...config.candidates];
    const arms = labels.map((l) => evidenceResult(l, config.seeds, ARM_METRICS));
    const pools = (['new', 'old'] as const).map((which) => ({ which, ...candidatePool(world, { which, users: config.ab.users, itemsPerUser: config.ab.itemsPerUser, seed: config.ab.seed }) }));
    /** Pool scores per seed, arm and pool. */
    const scores: Float32Array[][][] = [];
    // Every (seed, arm) fit is independent: the run's fit workers may take them in parallel (src/pipelines/fits.ts); a
    // fit hands back its pool scores and evidence, not the model.
    const fitted = await fitGrid(ctx.fits, 'arms', labels.map((label) => ({ label })), config.seeds, async ({ label }, seed, i) => {
      const r = await fitVariant({ world, prep, variant: variantOf(label), hyper: config.ranker, trainer: config.trainer, seed, index: i, ctx, keep: true, test });
      try {
        ctx.log(`${label} seed ${seed}: validation AUC ${r.validAuc.toFixed(4)}, test AUC ${r.metrics.auc.toFixed(4)} (best epoch ${r.bestEpoch + 1} of ${r.epochs}${r.stillImproving ? ', still improving' : ''})`);
        const evidence = { valid_auc: r.valid, auc: r.evidence.auc, auc_new: r.evidence.auc_new, auc_old: r.evidence.auc_old };
        return { pools: pools.map((p) => predict(r.model as QarmRanker, p.ds)), evidence, stillImproving: r.stillImproving };
      } finally {
        r.model?.dispose();
      }
    });
    for (const k of config.seeds.keys()) {
      scores.push(labels.map((_l, i) => fitted[i][k].pools));
      for (const i of labels.keys()) {
        pushEvidence(arms[i], fitted[i][k].evidence);
        arms[i].stillImproving.push(fitted[i][k].stillImproving);
      }
    }
    const meanValid = (i: number) => arms[i].values.valid_auc.reduce((a, b) => a + b, 0) / config.seeds.length;
    let t = 1;
    for (let i = 2; i < labels.length; i++) if (meanValid(i) > meanValid(t)) t = i;
    const treatment = labels[t];
    ctx.log(`A/B treatment (best mean validation AUC over ${config.seeds.length} seed(s)): ${treatment}`);
    const abTests: Array<AbResult & { note: string }> = [];
    const abRecords: ResultRecord[] = [];
    const z = normalQuantile(0.5 + config.ab.level / 2);
    const { users: _u, itemsPerUser: _k, ...options } = config.ab;
    for (const [s, seed] of config.seeds.entries()) {
      for (const [j, pool] of pools.entries()) {
        const which = pool.which;
        const [res] = await ctx.stage(`simulated A/B, ${which} items, seed ${seed}`, () => simulateAB(
          { groups: pool.groups, steps: [{ name: 'click', p: pool.p }] },
          { name: `${treatment} vs ${config.base} — ${which} items`, control: scores[s][0][j], treatment: scores[s][t][j] },
          [{ name: `clicks per request (${which} items)`, numerator: 'click', denominator: 'requests' }],
          { ...options, seed: options.seed + 1000 * s },
        ));
        if (s === 0) abTests.push({ ...res, note: `simulated on the multimodal world (seed ${seed}'s arms): ${config.ab.itemsPerUser} ${which}-item candidates per user, ${config.ab.candidates} per request, ${config.ab.slots} shown; clicks from the truth` });
        const base = { pipeline: '', run: '', table: `ab-${which}`, variant: '', knob: '', metric: 'lift_pct', split: 'test', seed, rows: res.requests, positives: null, stillImproving: null };
        abRecords.push(
          { ...base, method: QARM_TREATMENT, value: res.liftPct, se: (res.ciHigh - res.ciLow) / (2 * z) },
          { ...base, method: config.base, value: 0, se: 0 },
        );
        ctx.log(`A/B ${res.experiment} (seed ${seed}): ${res.control.toFixed(4)} -> ${res.treatment.toFixed(4)} clicks per request, lift ${res.liftPct.toFixed(2)}% [${res.ciLow.toFixed(2)}, ${res.ciHigh.toFixed(2)}]`);
      }
    }
    const n = config.seeds.length;
    const table = buildResultTable({
      id: 'arms', title: `QARM A/B arms offline (${n} seed${n > 1 ? 's' : ''})`, base: config.base, results: arms,
      metrics: ARM_METRICS.map((name) => ({ name, higherIsBetter: true })),
    });
    table.notes.push(
      `Treatment = the candidate with the best mean validation AUC: ${treatment}. Paper (third-party speaker notes, unverified): almost +10% revenue for new ads, about +3% for the rest; our metric is clicks per request on a synthetic world.`,
      'valid_auc is measured on the validation split (it chose the treatment); the other columns on the test split.',
    );
    const tables = [table];
    for (const which of ['new', 'old'] as const) {
      const abt = tableFromRecords(abRecords, { id: `ab-${which}`, title: `QARM simulated A/B, ${which} items: lift in clicks per request (%), ${treatment} vs ${config.base}`, base: config.base, metrics: [{ name: 'lift_pct', higherIsBetter: true }], methods: [config.base, QARM_TREATMENT] });
      abt.notes.push(`'${QARM_TREATMENT}' is ${treatment} (chosen on validation). The control's lift is 0 by definition; the treatment's SE is the simulator's bootstrap SE over users (${config.ab.bootstrap} resamples; ${config.ab.users} users per pool split into two arms); each seed simulates its own trained arms.`);
      tables.push(abt);
    }
    return { tables, figures: [], results: { abTests, treatment, world: world.config, alignment: prep.alignment } };
  },
};
