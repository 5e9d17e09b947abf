/**
 * Pipeline `farm/mechanism`: FARM's gain over PLE (its production base) on `mean_auc_reliable` as the live world's
 * temporal structure grows (issue 14; DESIGN "Evidence": a method's gain should be nil without its mechanism and grow
 * with it). The knob is `burstStrength` (src/worlds/live-world-config.ts): a hidden per-user engagement state
 * h = +-1, a Markov chain along the user's impressions (stay 0.97: sessions of about 33 impressions), adds
 * burstStrength h to the logits of the valuable behaviours (like, comment, gift, follow; half on effective view).
 * At 0 histories are exchangeable given the user's fixed traits, so a sequence's spectrum beyond its mean predicts
 * nothing (test/live/live-world-knobs.test.ts probes both sides against the truth with `spectralProbe`); with it on,
 * the recent valuable steps of a history reveal the current state — the high-frequency, sparse part FARM's
 * frequency module is built to weigh. The signal is in where the valuable steps sit relative to the present, not in the
 * row's power spectrum (the probe note gives both), so FARM reaches it only through its recency embeddings (PLE has
 * none: the comparison is FARM as built against its production base).
 * For each knob value one world (same seed; the engagement chains come from their own generator, so the rest of the
 * world is the same) is generated with live-dense users (`FARM_MECHANISM_WORLD`: 100 impressions per user, live share
 * 0.3, live and short-video histories of 50 steps, so live histories carry the structure); FARM and PLE train on it over
 * the seeds (early stopping on the reliable validation tasks) and are scored on the test split.
 * Records: table 'by-knob' (knob 'burstStrength=<b>'): `mean_auc_reliable` and `auc_<task>` per method, value and seed
 * with DeLong SEs; paired gain records per value and seed (`pairedSummaryGainRecords`: FARM − PLE on the same test
 * rows, the tasks' and the methods' covariances counted) and `gainRecords`' gain_growth. Table 'mechanism': the
 * `mechanismSummary` (gain, 95% CI, p, MDE, within the MDE of zero) per knob value; figure: the gain against the knob.
 * Claims: `mechanismClaims` (gain at the declared default > 0; gain grows from 0 to the largest value).
 * Modes: quick (smoke test) = b in {0, 1, 2, 3}, 600 users (about 9.6k live training rows), the quick sizes, 2 epochs,
 * 1 seed. Measured: 17.5 minutes on this 2-core machine at load average about 20 (FARM fits 134-177 s, PLE 67-100 s;
 * worlds about 15 s each); about a quarter of that on a quiet machine, so the 3-minute quick target is met only there.
 * Evidence = the same values on `FARM_MECHANISM_EVIDENCE_WORLD` (20 000 users, 100 impressions each, the paper's
 * 9 : 1 short-video : live share: about 98k live training rows), farm/main's evidence trainer (up to 15 epochs,
 * patience 2) with the learning rate chosen on this world's validation (`MECHANISM_EVIDENCE_TRAINER`), 5 seeds:
 * 4 x 2 x 5 = 40 fits. Estimated at about 8 hours on a quiet machine before compiled steps; measured with 2 fit
 * workers and compiled steps: 24.4 min (README, "Evidence runs measured here").
 * Paper deviation: the paper gives no figure for how bursty its users are; the default (`FARM_MECHANISM_SPEC`) is
 * declared from its description of the data, before any result; the world is denser in live impressions than the
 * paper's 9 : 1 so that live histories are long enough to carry temporal structure.
 */
import { z } from 'zod';
import { LiveWorldConfigSpec, type LiveWorldConfig } from '../../worlds/live-world.ts';
import { spectralProbe } from '../../worlds/live-world-probe.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { EVIDENCE_DEFAULTS, type RunMode } from '../../evidence/rules.ts';
import { gainRecords, knobLabel, mechanismClaims, mechanismFigure, mechanismSummary, type MechanismSpec } from '../../evidence/mechanism.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { mechanismTable } from '../chorus-cvr/mechanism.ts';
import { FARM_BASE, FARM_METHODS, LiveMethod, QUICK_MODEL_SIZES, QUICK_SIZES, QUICK_TRAINER } from './common.ts';
import { EVIDENCE_SEEDS, EVIDENCE_TRAINER, liveSetup, runLiveComparison } from './main.ts';
import { SUMMARY_METRIC, meanAucEvidence, pairedSummaryGainRecords } from './live-evidence.ts';

/**
 * The sweep's mechanism: burstStrength from 0, FARM vs PLE on mean_auc_reliable.
 * @example
 * mechanismClaims(FARM_MECHANISM_SPEC).map((c) => c.id); // ['mechanism-burstStrength-default', 'mechanism-burstStrength-growth']
 */
export const FARM_MECHANISM_SPEC: MechanismSpec = {
  knobName: 'burstStrength',
  values: [0, 1, 2, 3],
  defaultValue: 1,
  defaultSource:
    "FARM (arXiv 2502.09375) describes Kuaishou users' valuable live behaviours (gifts, comments, likes) as sparse and concentrated in bursts of engagement, the high-frequency part of the sequence, but gives no figure; declared before any result: burstStrength 1 (valuable behaviours e^2, about 7x, likelier inside an engaged session than outside) with sessions of about 33 impressions (burstStay 0.97)",
  method: 'FARM',
  base: FARM_BASE,
  metric: SUMMARY_METRIC,
  direction: 'higher',
  claimSource: 'farm.md §2 [abs] (the frequency-aware module captures the sparse, high-frequency valuable behaviours of live-streaming users; FARM beats PLE); the knob is beyond the paper (synthetic world only)',
};

/** Quick world of the sweep: 600 live-dense users (100 impressions each, live share 0.3, histories of 50). */
export const FARM_MECHANISM_WORLD: Partial<LiveWorldConfig> = { users: 600, authors: 200, eventsPerUser: 100, liveShare: 0.3, svHistoryLen: 50, liveHistoryLen: 50, burstStay: 0.97 };
/** Evidence world of the sweep: 20 000 users, 2 000 authors, live share 0.1 (the paper's 9 : 1), about 98k live training rows. */
export const FARM_MECHANISM_EVIDENCE_WORLD: Partial<LiveWorldConfig> = { ...FARM_MECHANISM_WORLD, users: 20000, authors: 2000, liveShare: 0.1 };

/**
 * Evidence trainer of the sweep: farm/main's, with Adam's learning rate 1e-3 instead of 3e-3, chosen on validation
 * (`bench/select-live-lr.ts --world mechanism`, at the declared default burstStrength 1, PLE and FARM, 2 seeds): mean
 * best validation AUC 0.5963 at 1e-3 against 0.5921 at 3e-3, where every fit had stopped at its best epoch 1 or 2.
 * On farm/main's world the same selection keeps 3e-3 (0.6111 against 0.6076).
 */
export const MECHANISM_EVIDENCE_TRAINER = { ...EVIDENCE_TRAINER, optimizer: { ...EVIDENCE_TRAINER.optimizer, learningRate: 1e-3 } };

/**
 * Strict config schema of `farm/mechanism` (unknown keys are errors).
 * @example
 * FarmMechanismConfig.parse(farmMechanismDefaults('quick'));
 */
export const FarmMechanismConfig = z.strictObject({
  /** The world every knob value shares; its burstStrength is replaced by each value. */
  world: LiveWorldConfigSpec,
  /** Knob values, ascending from 0. */
  values: z.array(z.number().min(0)).min(2),
  method: LiveMethod,
  base: LiveMethod,
  minPositives: z.number().int().min(1),
  sizes: z.record(z.string(), z.unknown()),
  modelSizes: z.record(z.string(), z.record(z.string(), z.unknown())),
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `farm/mechanism` (see the schema). */
export type FarmMechanismConfig = z.infer<typeof FarmMechanismConfig>;

const methodNamed = (label: string): LiveMethod => structuredClone(FARM_METHODS.find((m) => m.label === label) as LiveMethod);

/**
 * Defaults per run mode (see the file header).
 * @example
 * farmMechanismDefaults('quick').values; // [0, 1, 2, 3]
 */
export function farmMechanismDefaults(mode: RunMode): FarmMechanismConfig {
  const quick = mode === 'quick';
  return {
    world: quick ? { ...FARM_MECHANISM_WORLD } : { ...FARM_MECHANISM_EVIDENCE_WORLD },
    values: [...FARM_MECHANISM_SPEC.values],
    method: methodNamed(FARM_MECHANISM_SPEC.method),
    base: methodNamed(FARM_MECHANISM_SPEC.base),
    minPositives: EVIDENCE_DEFAULTS.minPositives,
    sizes: structuredClone(QUICK_SIZES),
    modelSizes: structuredClone(QUICK_MODEL_SIZES),
    trainer: quick ? { ...structuredClone(QUICK_TRAINER), epochs: 2 } : structuredClone(MECHANISM_EVIDENCE_TRAINER),
    seeds: quick ? [1] : [...EVIDENCE_SEEDS],
  };
}

const record = (method: string, knob: string, metric: string, seed: number, e: { value: number; se: number; rows: number; positives: number }, stillImproving: boolean): ResultRecord => ({
  pipeline: '', run: '', table: 'by-knob', method, variant: '', knob, metric, split: 'test', seed, value: e.value, rows: e.rows, positives: e.positives, se: Number.isFinite(e.se) ? e.se : null, stillImproving,
});

/**
 * The pipeline, registered as 'farm/mechanism'.
 * @example
 * const run = await runPipeline('farm/mechanism', { quick: true });
 */
export const farmMechanismPipeline: PipelineSpec<FarmMechanismConfig> = {
  name: 'farm/mechanism',
  paper: 'farm',
  title: "FARM mechanism sweep: its gain over PLE as the live world's session bursts (burstStrength) grow",
  description: 'burstStrength swept from 0: FARM vs PLE mean reliable-task AUC, gain with 95% CI, spectral probe per value',
  schema: FarmMechanismConfig,
  defaults: farmMechanismDefaults,
  claims: mechanismClaims(FARM_MECHANISM_SPEC),
  async run(config, ctx) {
    const values = [...config.values];
    const spec: MechanismSpec = { ...FARM_MECHANISM_SPEC, values, method: config.method.label, base: config.base.label };
    if (values[0] !== 0) throw new Error(`farm/mechanism config: values must start at 0 (mechanism absent), got ${values.join(', ')}`);
    if ((config.world as Partial<LiveWorldConfig>).burstStrength !== undefined) throw new Error("farm/mechanism config: world.burstStrength is the swept knob; set 'values' instead");
    const records: ResultRecord[] = [];
    const probes: string[] = [];
    for (const b of values) {
      const knob = knobLabel(spec.knobName, b);
      const { world, data, summary, monitor } = await liveSetup({ ...(config.world as Partial<LiveWorldConfig>), burstStrength: b }, config.minPositives, ctx, `world ${knob}`);
      const probe = spectralProbe(world);
      const power = spectralProbe(world, { spectrum: 'shift-invariant' });
      probes.push(`${knob}: spectral probe R² gain ${probe.gain.toFixed(4)} (mean-only ${probe.r2Mean.toFixed(4)}, with the recent window's spectrum ${probe.r2Spectral.toFixed(4)}); with the shift-invariant power spectrum instead (all a model blind to recency can use) ${power.gain.toFixed(4)}; ${world.train.size} train / ${data.test.size} test live rows; summary tasks ${summary.tasks.join(', ')}`);
      ctx.log(probes[probes.length - 1]);
      const fits = await runLiveComparison(data, [config.method, config.base], config, monitor, summary, ctx, ` ${knob}`);
      for (const [i, method] of [config.method, config.base].entries()) {
        for (const [s, fit] of fits[i].entries()) {
          const still = fit.bestEpoch === fit.epochsAllowed - 1;
          records.push(record(method.label, knob, SUMMARY_METRIC, config.seeds[s], meanAucEvidence(fit.evidence, summary.tasks), still));
          for (const [task, ev] of Object.entries(fit.evidence)) if (ev.auc) records.push(record(method.label, knob, `auc_${task}`, config.seeds[s], ev.auc, still));
        }
      }
      records.push(...pairedSummaryGainRecords(fits[0], fits[1], summary.tasks, spec.method, knob, config.seeds));
    }
    records.push(...gainRecords(records, spec));
    const summary = mechanismSummary(records, spec);
    const table = mechanismTable(records, spec, `${spec.method} vs ${spec.base}: ${SUMMARY_METRIC} by ${spec.knobName}, live world (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, test split)`);
    table.notes.push(summary.markdown, 'Gain SEs are paired: both methods score the same test rows, and each row\'s DeLong influence is summed over the summary tasks and the two methods (the tasks\' and the methods\' covariances counted); the by-knob interval in this table adds the two sides\' SEs and so errs wide.', ...probes);
    const fig = mechanismFigure(records, spec, `${spec.method} gain over ${spec.base} vs ${spec.knobName}`);
    return { tables: [table], claims: mechanismClaims(spec), figures: [{ name: 'mechanism-gain', fig }], records, results: { rows: summary.rows, probes } };
  },
};
