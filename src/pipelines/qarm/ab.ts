/**
 * Pipeline `qarm/ab`: QARM's simulated online A/B test (spec §4: the paper reports almost +10% ads revenue for new
 * ads and about +3% for the rest; third-party, unverified). The offline stages run as in qarm/main; the treatment is
 * the candidate variant with the best validation AUC (selected on validation, never on test), the control the base
 * ranker, both trained with one seed. Each arm serves requests from candidate pools of new (cold-start) items and of
 * old items (src/qarm/ab-pool.ts) through the shared `simulateAB`; clicks are sampled from the world's truth.
 * Results: `abTests` (one entry per pool, the report's shape) and a table of the arms' offline AUCs.
 */
import { z } from 'zod';
import { QarmPrepareSpec, QARM_PREPARE_DEFAULTS } from '../../qarm/prepare.ts';
import { candidatePool } from '../../qarm/ab-pool.ts';
import { simulateAB, type AbResult } from '../../worlds/ab-simulator.ts';
import { predict } from '../../train/evaluate.ts';
import type { QarmRanker } from '../../models/qarm-ranker.ts';
import { buildResultTable, type MethodResult } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { QARM_VARIANTS, QUICK_RANKER, QUICK_TRAINER, QarmWorld, RankerHyper, fitVariant, preparedFor } from './common.ts';

const pos = z.number().int().positive();
/**
 * Strict config of `qarm/ab`. `candidates` are labels of QARM_VARIANTS; `ab` holds the pools and simulateAB options.
 * @example
 * QarmAbConfig.parse(qarmAbDefaults(true));
 */
export const QarmAbConfig = z.strictObject({
  world: QarmWorld,
  prepare: QarmPrepareSpec,
  ranker: RankerHyper,
  trainer: z.record(z.string(), z.unknown()),
  base: z.string(),
  candidates: z.array(z.string()).min(1),
  ab: z.strictObject({ users: pos, itemsPerUser: pos, requests: pos, candidates: pos, slots: pos, bootstrap: pos, level: z.number().gt(0).lt(1), seed: z.number().int() }),
  seed: z.number().int(),
});
/** Config of `qarm/ab`. */
export type QarmAbConfig = z.infer<typeof QarmAbConfig>;

/**
 * Quick: the quick world and ranker, three candidates (aligned MM, VQ + RQ, all), 600 users x 30 candidates per pool.
 * @example
 * qarmAbDefaults(true).candidates.length; // 3
 */
export function qarmAbDefaults(quick: boolean): QarmAbConfig {
  return {
    world: { preset: quick ? 'quick' : 'full', overrides: {} },
    prepare: quick ? structuredClone(QARM_PREPARE_DEFAULTS) : { ...structuredClone(QARM_PREPARE_DEFAULTS), rqK: 256 },
    ranker: quick ? structuredClone(QUICK_RANKER) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : { epochs: 6, batchSize: 1024, optimizer: { learningRate: 2e-3 }, patience: 1 },
    base: 'Base (ID only)',
    candidates: quick ? ['+ frozen MM (aligned)', '+ VQ + RQ codes', '+ all (codes + aligned MM)'] : QARM_VARIANTS.slice(1).map((v) => v.label),
    ab: { users: quick ? 600 : 3000, itemsPerUser: 30, requests: 20, candidates: 10, slots: 2, bootstrap: quick ? 400 : 2000, level: 0.95, seed: 7 },
    seed: 1,
  };
}

function variantOf(label: string): (typeof QARM_VARIANTS)[number] {
  const v = QARM_VARIANTS.find((x) => x.label === label);
  if (!v) throw new Error(`qarm/ab config: '${label}' is not a QARM variant (known: ${QARM_VARIANTS.map((x) => x.label).join(', ')})`);
  return v;
}

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
  defaults: (mode) => qarmAbDefaults(mode === 'quick'),
  async run(config, ctx) {
    const { world, prep } = await preparedFor(config, ctx);
    const labels = [config.base, ...config.candidates];
    const fits = [];
    for (const [i, label] of labels.entries()) {
      const r = await fitVariant({ world, prep, variant: variantOf(label), hyper: config.ranker, trainer: config.trainer, seed: config.seed, index: i, ctx, keep: true });
      fits.push({ label, ...r });
      ctx.log(`${label}: validation AUC ${r.validAuc.toFixed(4)}, test AUC ${r.metrics.auc.toFixed(4)}`);
    }
    const control = fits[0];
    const treatment = fits.slice(1).reduce((a, b) => (b.validAuc > a.validAuc ? b : a));
    ctx.log(`A/B treatment (best validation AUC): ${treatment.label}`);
    const abTests: Array<AbResult & { note: string }> = [];
    for (const which of ['new', 'old'] as const) {
      const pool = candidatePool(world, { which, users: config.ab.users, itemsPerUser: config.ab.itemsPerUser, seed: config.ab.seed });
      const score = (m: QarmRanker) => predict(m, pool.ds);
      const { users: _u, itemsPerUser: _k, ...options } = config.ab;
      const [res] = await ctx.stage(`simulated A/B, ${which} items`, () => simulateAB(
        { groups: pool.groups, steps: [{ name: 'click', p: pool.p }] },
        { name: `${treatment.label} vs ${control.label} — ${which} items`, control: score(control.model as QarmRanker), treatment: score(treatment.model as QarmRanker) },
        [{ name: `clicks per request (${which} items)`, numerator: 'click', denominator: 'requests' }],
        options,
      ));
      abTests.push({ ...res, note: `simulated on the multimodal world: ${config.ab.itemsPerUser} ${which}-item candidates per user, ${config.ab.candidates} per request, ${config.ab.slots} shown; clicks from the truth` });
      ctx.log(`A/B ${res.experiment}: ${res.control.toFixed(4)} -> ${res.treatment.toFixed(4)} clicks per request, lift ${res.liftPct.toFixed(2)}% [${res.ciLow.toFixed(2)}, ${res.ciHigh.toFixed(2)}]`);
    }
    for (const f of fits) f.model?.dispose();
    const results: MethodResult[] = fits.map((f) => ({ method: f.label, seeds: [config.seed], values: { valid_auc: [f.validAuc], auc: [f.metrics.auc], auc_new: [f.metrics.auc_new], auc_old: [f.metrics.auc_old] } }));
    const table = buildResultTable({
      title: `QARM A/B arms offline (seed ${config.seed})`, base: config.base, results,
      metrics: ['valid_auc', 'auc', 'auc_new', 'auc_old'].map((name) => ({ name, higherIsBetter: true })),
    });
    table.notes.push(
      `Treatment = the candidate with the best validation AUC: ${treatment.label}. Paper (third-party speaker notes, unverified): almost +10% revenue for new ads, about +3% for the rest; our metric is clicks per request on a synthetic world.`,
      ...abTests.map((a) => `A/B ${a.experiment}: lift ${a.liftPct.toFixed(2)}% [${a.ciLow.toFixed(2)}, ${a.ciHigh.toFixed(2)}] (${(a.level * 100).toFixed(0)}% CI, ${a.requests} users per arm).`),
    );
    return { tables: [table], figures: [], results: { abTests, treatment: treatment.label, world: world.config, alignment: prep.alignment } };
  },
};
