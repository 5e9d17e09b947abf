/**
 * Pipeline `chorus-cvr/bias-sweep`: how entire-space CVR accuracy moves as the funnel's selection bias grows (beyond
 * the paper, which has no synthetic world; the world's mechanism knob is `selectionBias`, rho). For each level one
 * funnel world (same seed, everything else equal) is generated; Naive CVR, ESMM, DCMT and ChorusCVR train on it (early
 * stopping on validation CVR AUC over the clicked rows, one initialisation per seed for every method) and are scored by
 * CVR AUC over every test exposure D against the counterfactual labels, with the level's ground-truth ceiling.
 * Table 'sweep': rows = methods, one column per level ('bias=0', 'bias=1', ...), base DCMT (declared, the paper's
 * base); each value carries its DeLong SE, rows, positives and still-improving flag.
 * Records beyond the table (`knob` = 'selectionBias=<level>'):
 * - table 'by-knob': every method's cvr_auc_entire, cvr_auc (O), ctcvr_auc and ctr_auc per level and seed;
 * - table 'gain': `gainMethod`'s (ChorusCVR's) paired gain over the base per level and seed, metric
 *   'cvr_auc_entire_gain' (SE from DeLong's paired variance on the same test rows), and, with knob '', metric
 *   'gain_growth' = gain at the largest level - gain at the smallest (SE from the two levels' independent test sets),
 *   beside the base's own gain_growth, 0 with SE 0 by definition (a claim compares two methods' records);
 * - table 'selection': what validation chose per fit.
 * Claims (`CHORUS_SWEEP_CLAIMS`): at the largest default level (selectionBias=3) ChorusCVR beats DCMT on
 * cvr_auc_entire; ChorusCVR's gain over DCMT grows from the smallest to the largest level (DESIGN "Evidence": a
 * method's gain should be nil without its mechanism and grow with it).
 * Figures: that AUC against the bias (± std over seeds) with the ceiling as its own series; ChorusCVR's gain over the
 * base against the bias; the funnel's rates from the truth against the bias.
 * Modes: quick (smoke test) = levels {0, 1, 2, 3}, a 1 500-user world, the small backbone, 1 seed. Evidence = levels
 * {0, 1, 2, 3}, `SWEEP_EVIDENCE_WORLD` (12 000 users split 40/20/40: 192k test exposures; at rho = 3, where the
 * counterfactual conversion rate falls to about 2%, about 4 200 counterfactual conversions, so the headline's SE is
 * about 0.0045 for a fit at AUC 0.7 — a 6 000-user world measured 0.0057 there; about 1 900 test and 950 validation
 * conversions per level), the spec §3.4 backbone, `EVIDENCE_TRAINER`, 5 seeds. Paper = evidence with levels 0 to 3 by
 * 0.5 (the paper has no sweep).
 * Evidence-mode wall time (estimated): one ChorusCVR fit on the 6 000-user sweep world at rho = 3 (seed 1) took 33 s
 * (30 s training, best epoch 3 of 4 run; machine load about 6 on 2 cores); at 12 000 users about 65 s; 4 levels x 4
 * methods x 5 seeds = 80 fits (Naive CVR and ESMM are lighter), about 60-90 minutes, worlds included.
 * Paper deviation: ChorusCVR's IPW terms are normalised over the exposure batch D (spec §6, revised; the paper's
 * normalisation is unknown). The hidden-confounder knob (intentShare) has its own sweep, chorus-cvr/mechanism.
 */
import { z } from 'zod';
import { FunnelWorldConfigSpec, funnelCeilings, generateFunnelWorld, FUNNEL_TRUTH, type FunnelWorldConfig } from '../../worlds/funnel-world.ts';
import { lineChart } from '../../plots/index.ts';
import { meanStd } from '../../metrics/index.ts';
import { combineSeedsAndTest, deLongPaired } from '../../evidence/stats.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { RunMode } from '../../evidence/rules.ts';
import { buildResultTable, type ResultTable } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import {
  Backbone, CHORUS_WORLD_KNOBS, CvrMethod, EVIDENCE_SEEDS, EVIDENCE_TRAINER, MAIN_METHODS, QUICK_BACKBONE, QUICK_TRAINER, emptyResult, fitEntireSpaceAll, funnelRates,
  monitorNote, selectionRecords,
} from './common.ts';

/**
 * Strict config schema of `chorus-cvr/bias-sweep` (unknown keys are errors).
 * @example
 * ChorusBiasSweepConfig.parse({ ...chorusBiasSweepDefaults('quick'), levels: [0, 3] });
 */
export const ChorusBiasSweepConfig = z.strictObject({
  /** The world every level shares; its selectionBias is replaced by each level. */
  world: FunnelWorldConfigSpec,
  levels: z.array(z.number().min(0)).min(1),
  /** The method every other is compared with (declared, never chosen from results). */
  base: z.string(),
  /** The method whose gain over the base is recorded per level (table 'gain'). */
  gainMethod: z.string(),
  models: z.array(CvrMethod).min(1),
  backbone: Backbone,
  /** Passed to the trainer (validated there). */
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `chorus-cvr/bias-sweep` (see the schema). */
export type ChorusBiasSweepConfig = z.infer<typeof ChorusBiasSweepConfig>;

const SWEEP_MODELS = ['Naive CVR', 'ESMM', 'DCMT', 'ChorusCVR'];

/**
 * The sweep's evidence-mode world: 12 000 users x 40 exposures split 40/20/40 by time (train / validation / test);
 * see the file header for what it gives per level.
 * @example
 * chorusBiasSweepDefaults('evidence').world; // SWEEP_EVIDENCE_WORLD
 */
export const SWEEP_EVIDENCE_WORLD = { users: 12000, validShare: 0.2, testShare: 0.4 };

/**
 * Defaults per run mode (see the file header): quick = levels {0, 1, 2, 3}, a 1 500-user world, the small backbone,
 * 1 seed; evidence = levels {0, 1, 2, 3}, `SWEEP_EVIDENCE_WORLD`, the spec §3.4 backbone, `EVIDENCE_TRAINER`, 5 seeds;
 * paper = evidence with levels 0 to 3 by 0.5. Base DCMT, gain of ChorusCVR.
 * @example
 * chorusBiasSweepDefaults('quick').levels; // [0, 1, 2, 3]
 */
export function chorusBiasSweepDefaults(mode: RunMode): ChorusBiasSweepConfig {
  const quick = mode === 'quick';
  return {
    world: { ...CHORUS_WORLD_KNOBS, ...(quick ? { users: 1500 } : structuredClone(SWEEP_EVIDENCE_WORLD)) },
    levels: mode === 'paper' ? [0, 0.5, 1, 1.5, 2, 2.5, 3] : [0, 1, 2, 3],
    base: 'DCMT',
    gainMethod: 'ChorusCVR',
    models: structuredClone(MAIN_METHODS.filter((m) => SWEEP_MODELS.includes(m.label))),
    backbone: quick ? structuredClone(QUICK_BACKBONE) : {},
    trainer: quick ? structuredClone(QUICK_TRAINER) : structuredClone(EVIDENCE_TRAINER),
    seeds: quick ? [1] : [...EVIDENCE_SEEDS],
  };
}

/**
 * Column name of a bias level in the sweep's table.
 * @example
 * biasColumn(1.5); // 'bias=1.5'
 */
export const biasColumn = (level: number): string => `bias=${level}`;
/**
 * The `knob` of a bias level's records ('name=value').
 * @example
 * biasKnob(3); // 'selectionBias=3'
 */
export const biasKnob = (level: number): string => `selectionBias=${level}`;

const SWEEP_SOURCE = 'arXiv:2502.08277 abstract (NDM and SAM target the sample selection bias of entire-space CVR; DCMT is the paper\'s base, spec §4-5); DESIGN "Evidence" (a gain grows with its mechanism); the sweep itself is beyond the paper';
/**
 * The claims this pipeline judges: ChorusCVR beats DCMT at the largest default bias level, and its gain over DCMT grows
 * from the smallest to the largest level.
 * @example
 * CHORUS_SWEEP_CLAIMS[0].knob; // 'selectionBias=3'
 */
export const CHORUS_SWEEP_CLAIMS: Claim[] = [
  { id: 'sweep-chorus-beats-dcmt-at-max-bias', text: 'At strong selection bias (rho = 3) ChorusCVR beats DCMT on entire-space CVR AUC', source: SWEEP_SOURCE, table: 'by-knob', metric: 'cvr_auc_entire', method: 'ChorusCVR', base: 'DCMT', knob: biasKnob(3), direction: 'higher' },
  { id: 'sweep-gain-grows-with-bias', text: "ChorusCVR's gain over DCMT on entire-space CVR AUC grows from the smallest to the largest selection bias", source: SWEEP_SOURCE, table: 'gain', metric: 'gain_growth', method: 'ChorusCVR', base: 'DCMT', direction: 'higher' },
];

const KNOB_METRICS = ['cvr_auc_entire', 'cvr_auc', 'ctcvr_auc', 'ctr_auc'];

const record = (table: string, method: string, knob: string, metric: string, seed: number, value: number, extra: Partial<ResultRecord> = {}): ResultRecord => ({
  pipeline: '', run: '', table, method, variant: '', knob, metric, split: 'test', seed, value, rows: null, positives: null, se: null, stillImproving: null, ...extra,
});

/**
 * The pipeline, registered as 'chorus-cvr/bias-sweep'.
 * @example
 * const run = await runPipeline('chorus-cvr/bias-sweep', { quick: true });
 */
export const chorusCvrBiasSweepPipeline: PipelineSpec<ChorusBiasSweepConfig> = {
  name: 'chorus-cvr/bias-sweep',
  paper: 'chorus-cvr',
  title: 'Entire-space CVR AUC (counterfactual labels) as the selection bias grows',
  description: 'Naive CVR, ESMM, DCMT, ChorusCVR: CVR AUC over all exposures vs selection-bias strength, with ceilings',
  schema: ChorusBiasSweepConfig,
  defaults: chorusBiasSweepDefaults,
  claims: CHORUS_SWEEP_CLAIMS,
  async run(config, ctx) {
    const levels = [...config.levels];
    if (new Set(levels).size !== levels.length) throw new Error(`chorus-cvr/bias-sweep: levels [${levels.join(', ')}] repeat a value`);
    const labels = config.models.map((m) => m.label);
    for (const who of [config.base, config.gainMethod]) if (!labels.includes(who)) throw new Error(`chorus-cvr/bias-sweep: '${who}' is not among the models (${labels.join(', ')})`);
    const results = config.models.map((m) => emptyResult(m.label, config.seeds, levels.map(biasColumn)));
    const ceilings: Record<string, number> = {};
    const rates: Array<ReturnType<typeof funnelRates> & { level: number }> = [];
    const records: ResultRecord[] = [];
    // gain[level][seed] = paired gain of gainMethod over the base with its DeLong SE
    const gains = new Map<number, Map<number, { value: number; se: number; rows: number; positives: number }>>();
    let monitor = '';
    for (const level of levels) {
      const world = await ctx.stage(`world bias=${level}`, () => generateFunnelWorld({ ...(config.world as Partial<FunnelWorldConfig>), selectionBias: level }));
      const c = funnelCeilings(world, 'test');
      const knob = biasKnob(level);
      ceilings[biasColumn(level)] = c.cvrAucEntire;
      rates.push({ level, ...funnelRates(world) });
      if (level === Math.max(...levels)) monitor = monitorNote(world.valid);
      ctx.log(`bias=${level}: ${world.train.size} training exposures, ceiling CVR AUC over D ${c.cvrAucEntire.toFixed(4)}`);
      const cf = world.truth.test[FUNNEL_TRUTH.cfConversion];
      const perLevel = new Map<number, { value: number; se: number; rows: number; positives: number }>();
      gains.set(level, perLevel);
      const fits = await fitEntireSpaceAll({ world, methods: config.models, seeds: config.seeds, backbone: config.backbone, trainer: config.trainer, index: 0, ctx, stage: ` bias=${level}` });
      for (const [s, seed] of config.seeds.entries()) {
        const cvr = new Map<string, Float32Array>();
        for (const [i, method] of config.models.entries()) {
          const r = fits[i][s];
          const col = biasColumn(level);
          const e = r.evidence.cvr_auc_entire;
          results[i].values[col].push(e.value);
          results[i].se[col].push(e.se);
          results[i].rows[col].push(e.rows);
          results[i].positives[col].push(e.positives);
          // One flag per seed in the table: set when the seed's fit at any level was still improving.
          const k = config.seeds.indexOf(seed);
          results[i].stillImproving[k] = (results[i].stillImproving[k] ?? false) || r.stillImproving;
          for (const metric of KNOB_METRICS) {
            const e = r.evidence[metric];
            records.push(record('by-knob', method.label, knob, metric, seed, e.value, { rows: e.rows, positives: e.positives, se: e.se, stillImproving: r.stillImproving }));
          }
          records.push(...selectionRecords(method.label, seed, r, knob));
          cvr.set(method.label, r.probs.cvr);
          ctx.log(`bias=${level} ${method.label} seed ${seed}: CVR AUC over D ${r.evidence.cvr_auc_entire.value.toFixed(4)} (SE ${r.evidence.cvr_auc_entire.se.toFixed(4)}), O ${r.evidence.cvr_auc.value.toFixed(4)} (best epoch ${r.bestEpoch + 1} of ${r.epochsAllowed})`);
        }
        const g = deLongPaired(cf, cvr.get(config.gainMethod) as Float32Array, cvr.get(config.base) as Float32Array);
        let positives = 0;
        for (const x of cf) positives += x;
        perLevel.set(seed, { value: g.value, se: g.se, rows: cf.length, positives });
        records.push(record('gain', config.gainMethod, knob, 'cvr_auc_entire_gain', seed, g.value, { rows: cf.length, positives, se: g.se }));
      }
    }
    const lo = Math.min(...levels);
    const hi = Math.max(...levels);
    if (levels.length >= 2) {
      for (const seed of config.seeds) {
        const [a, b] = [gains.get(hi)?.get(seed), gains.get(lo)?.get(seed)] as Array<{ value: number; se: number; rows: number; positives: number }>;
        // The growth rests on both levels' test sets: the smaller one's rows and positives decide its reliability.
        const rests = { rows: Math.min(a.rows, b.rows), positives: Math.min(a.positives, b.positives) };
        records.push(record('gain', config.gainMethod, '', 'gain_growth', seed, a.value - b.value, { ...rests, se: Math.hypot(a.se, b.se) }));
        records.push(record('gain', config.base, '', 'gain_growth', seed, 0, { ...rests, se: 0 }));
      }
    }
    const cols = levels.map((l) => ({ name: biasColumn(l), higherIsBetter: true }));
    const table = buildResultTable({
      id: 'sweep',
      title: `CVR AUC over all exposures (counterfactual labels) by selection bias, funnel-world (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, test split)`,
      base: config.base, metrics: cols, results,
      references: [{ label: 'ground-truth ceiling', values: ceilings, note: "each level's true p_cvr scored against the same counterfactual labels" }],
    });
    const gainSummary = levels.map((l) => {
      const xs = config.seeds.map((s) => gains.get(l)?.get(s) as { value: number; se: number });
      return { level: l, c: combineSeedsAndTest(xs.map((x) => x.value), xs.map((x) => x.se ** 2)) };
    });
    table.notes.push(
      "Each column is one world whose selectionBias (rho, the shared factor's weight in the click logit) is the column's value; the metric is CVR AUC over every test exposure D against the counterfactual 'would have converted if clicked' labels (beyond the paper; only a synthetic world has them). Per-level records (knob 'selectionBias=<rho>') hold it with cvr_auc, ctcvr_auc and ctr_auc (table 'by-knob') and the gain (table 'gain').",
      `${config.gainMethod} − ${config.base} by level (paired DeLong SE within a seed, combined with the seed variance): ${gainSummary.map(({ level, c }) => `rho ${level}: ${fmtSigned(c.diff)}${Number.isFinite(c.se) ? ` [${c.ci[0].toFixed(4)}, ${c.ci[1].toFixed(4)}]${c.p === null ? '' : `, p=${c.p < 1e-4 ? '<1e-4' : c.p.toFixed(4)}`}, MDE ${c.mde.toFixed(4)}` : ''}`).join('; ')}. Without the mechanism (rho = 0) the gain should be within the MDE of zero.`,
      monitor,
      ...gainNotes(table, levels),
    );
    const multi = config.seeds.length > 1;
    const figures = [
      {
        name: 'cvr-auc-entire-by-bias',
        fig: lineChart(
          [
            ...table.rows.map((r) => ({ name: r.method, x: levels, y: cols.map((c) => r.cells[c.name].mean), ...(multi ? { yStd: cols.map((c) => r.cells[c.name].std) } : {}) })),
            { name: 'ground-truth ceiling', x: levels, y: cols.map((c) => ceilings[c.name]) },
          ],
          { title: `CVR AUC over all exposures by selection bias${multi ? ' (± std over seeds)' : ''}`, xTitle: 'selection bias (rho)', yTitle: 'CVR AUC (D, counterfactual)' },
        ),
      },
      {
        name: 'gain-by-bias',
        fig: lineChart(
          [{ name: `${config.gainMethod} − ${config.base}`, x: levels, y: gainSummary.map((g) => g.c.diff), ...(multi ? { yStd: gainSummary.map((g) => (Number.isFinite(g.c.se) ? g.c.se : 0)) } : {}) }],
          { title: `Gain of ${config.gainMethod} over ${config.base} on CVR AUC over all exposures${multi ? ' (± SE, seeds and test set)' : ''}`, xTitle: 'selection bias (rho)', yTitle: 'CVR AUC difference (D)' },
        ),
      },
      {
        name: 'funnel-by-bias',
        fig: lineChart(
          [
            { name: 'click rate (D)', x: levels, y: rates.map((r) => r.clickRate) },
            { name: 'CVR on clicked (O)', x: levels, y: rates.map((r) => r.cvrClicked) },
            { name: 'CVR on all exposures (D)', x: levels, y: rates.map((r) => r.cvrExposure) },
            { name: 'CVR on unclicked (N)', x: levels, y: rates.map((r) => r.cvrUnclicked) },
          ],
          { title: 'The funnel by selection bias (expected rates from the truth)', xTitle: 'selection bias (rho)', yTitle: 'rate', yRange: 'zero' },
        ),
      },
    ];
    return { tables: [table], figures, results: { ceilings, funnelByBias: rates, world: config.world, levels }, records };
  },
};

function fmtSigned(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}

/** Gains of the debiasing methods over Naive CVR per level, and whether they grow with the bias (never tuned). */
function gainNotes(table: ResultTable, levels: number[]): string[] {
  const naive = table.rows.find((r) => r.method === 'Naive CVR');
  if (!naive) return [];
  return table.rows.filter((r) => r !== naive).map((r) => {
    const gains = levels.map((l) => r.cells[biasColumn(l)].mean - naive.cells[biasColumn(l)].mean);
    const rising = gains.every((g, i) => i === 0 || g >= gains[i - 1]);
    const { mean } = meanStd(gains);
    return `${r.method} − Naive CVR by level (${levels.join(', ')}; means over seeds): ${gains.map(fmtSigned).join(', ')} (mean ${fmtSigned(mean)}); the gain ${rising ? 'grows monotonically' : 'does NOT grow monotonically'} with the bias.`;
  });
}
