/**
 * Pipeline `em3/mechanism`: EM3's gain over the ID-only ranker as content becomes more informative beyond IDs
 * (issue 16; DESIGN "Evidence": a method's gain is nil without its mechanism and grows with it). Knob: `contentSignal`,
 * how much of the items' content reflects what users act on; the multimodal world runs at `mismatch` = 1 −
 * contentSignal. At 0 the content latent is the content-only topics plus noise (the world's mismatch 1): titles, ASR
 * and images say nothing about clicks, so content can add nothing to IDs. At 1 content is the behaviour latent plus a
 * little noise. The share of new items stays at the world's 0.15 throughout (those items can be ranked only through
 * content).
 * Why not the share of new items: the first sweep of this pipeline swept `newItemShare` from 0 to 0.45 (README,
 * 2026-12-07): the gain stayed at 0.021-0.027 and was not nil at 0, because content helps the items whose ids do
 * train too. That knob scales where content is needed, not what content carries.
 * For each knob value one world (same seed, everything else equal); per seed the encoder is pre-trained content-only
 * (text<->image InfoNCE), then 'ID-only' and '+ Content-ID contrastive (EM3)' (end to end from the frozen solution,
 * src/pipelines/em3/common.ts) are trained and scored on the same test rows (through `ctx.holdout`).
 * Records: table 'by-knob' (knob 'contentSignal=<v>', test AUC of both arms per seed with DeLong SE, rows, positives,
 * still-improving flags), paired 'gain' records (DeLong's paired SE on the same rows) and 'gain_growth'. Table
 * 'mechanism' with the module's summary in its notes; figure: gain with 95% CI against the knob.
 * Claims: {@link EM3_MECHANISM_SPEC}'s (EM3 beats ID-only at the default 0.4; the gain grows from 0 to 1).
 * Modes: quick (a smoke test: 300 users, 150 items, 2 pre-training and 2 ranker epochs, 2 seeds; at 400 users / 200
 * items it took 828 s at load 13-24 on this 2-core machine, so it was shrunk); evidence and paper
 * (EM3_EVIDENCE sizes of em3/main, 5 seeds). Measured evidence wall time of the newItemShare sweep: about 19 minutes
 * per knob value with 2 fit workers, so about 75 minutes for the four values.
 * Paper deviation: the paper has no synthetic sweep; the knob and its default are ours.
 */
import { z } from 'zod';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonSession } from '../../bridge/session.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { gainRecords, knobLabel, pairedAucGainRecord, mechanismClaims, mechanismFigure, mechanismSummary, type MechanismSpec } from '../../evidence/mechanism.ts';
import { tableFromRecords } from '../result-table.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import { EM3Config, em3World, fitVariant, pretrainContent, type EM3Variant, type Pretrained } from './common.ts';
import { EM3_MAIN_VARIANTS, em3Defaults } from './main.ts';
import { MULTIMODAL_WORLD_DEFAULTS } from '../../worlds/multimodal-world.ts';

const ID_ONLY = EM3_MAIN_VARIANTS[0];
const EM3 = EM3_MAIN_VARIANTS[3];

/**
 * The sweep: `contentSignal` (world mismatch = 1 − contentSignal) from 0, EM3 vs ID-only on test AUC; default 0.4.
 * @example
 * mechanismClaims(EM3_MECHANISM_SPEC).length; // 2
 */
export const EM3_MECHANISM_SPEC: MechanismSpec = {
  knobName: 'contentSignal',
  values: [0, 0.4, 0.7, 1],
  defaultValue: 0.4,
  defaultSource: "1 − the multimodal world's default mismatch 0.6 (QARM's representation unmatching, src/worlds/multimodal-world.ts), the world em3/main's tables use, fixed before this sweep's first result: the paper's public datasets are not named and it gives no figure for how much content says about behaviour (spec §4; Paper deviation)",
  method: EM3.label,
  base: ID_ONLY.label,
  metric: 'auc',
  direction: 'higher',
  claimSource: 'EM3 abstract (content trained end to end for ranking) and spec §4; issue 16 (how informative content is beyond IDs)',
};

/** The world's mismatch at a contentSignal value (rounded so that 1 − 0.7 reads 0.3). */
export const mismatchAt = (contentSignal: number): number => Number((1 - contentSignal).toFixed(12));

/**
 * Strict config of `em3/mechanism`: the EM3 config (its variants are the two arms) plus the swept values.
 * @example
 * EM3MechanismConfig.parse(em3MechanismDefaults('quick'));
 */
export const EM3MechanismConfig = EM3Config.extend({ values: z.array(z.number().min(0).max(1)).min(2) }).strict();
/** Config of `em3/mechanism`. */
export type EM3MechanismConfig = z.infer<typeof EM3MechanismConfig>;

/**
 * Quick: 300 users, 150 items, 2 pre-training and 2 ranker epochs, batch 512, 2 seeds. Evidence and paper: em3/main's.
 * @example
 * em3MechanismDefaults('quick').values; // [0, 0.4, 0.7, 1]
 */
export function em3MechanismDefaults(mode: RunMode): EM3MechanismConfig {
  const d = em3Defaults(mode, [ID_ONLY, EM3] as EM3Variant[]);
  if (mode === 'quick') Object.assign(d, { world: { users: 300, items: 150, categories: 12, contentTopics: 12 }, seeds: [1, 2], epochs: 2, pretrainEpochs: 2 });
  return { ...d, values: [...EM3_MECHANISM_SPEC.values] };
}

/**
 * The pipeline, registered as 'em3/mechanism'.
 * @example
 * await runPipeline('em3/mechanism', { quick: true });
 */
export const em3MechanismPipeline: PipelineSpec<EM3MechanismConfig> = {
  name: 'em3/mechanism',
  paper: 'em3',
  title: "EM3 mechanism sweep: EM3's gain over ID-only as content says more about what users act on",
  description: 'contentSignal (1 − mismatch) swept from 0: EM3 (end to end + CIC) vs ID-only test AUC, paired gain with 95% CI',
  schema: EM3MechanismConfig,
  defaults: em3MechanismDefaults,
  claims: mechanismClaims(EM3_MECHANISM_SPEC),
  async run(config, ctx) {
    if (config.values[0] !== 0) throw new Error(`em3/mechanism config: values must start at 0 (mechanism absent), got ${config.values.join(', ')}`);
    if (config.world.mismatch !== undefined) throw new Error(`em3/mechanism config: world.mismatch is set by the swept contentSignal (mismatch = 1 − contentSignal); remove it (got ${String(config.world.mismatch)})`);
    const spec: MechanismSpec = { ...EM3_MECHANISM_SPEC, values: [...config.values] };
    const arms = [EM3, ID_ONLY];
    const records: ResultRecord[] = [];
    const py = pythonSession();
    const dir = mkdtempSync(join(tmpdir(), 'reclab-em3-mech-'));
    try {
      for (const value of config.values) {
        const knob = knobLabel(spec.knobName, value);
        const world = await ctx.stage(`world ${knob}`, () => em3World({ ...config, world: { ...config.world, mismatch: mismatchAt(value) } }));
        const test = ctx.holdout(world.test);
        const labels = test.label('click');
        ctx.log(`${knob} (mismatch ${world.config.mismatch}): ${world.isNew.reduce((a, b) => a + b, 0)} new items of ${world.content.items}; ${test.size} test rows`);
        // Each seed's pre-trained encoder is a shared input: with fit workers it is trained here, once, and the
        // workers read it (their Python loads the weights file, kept in this process's folder until the run ends).
        const pres: Pretrained[] = [];
        for (const seed of config.seeds) pres.push(await ctx.shared(`pretrain ${knob} seed ${seed}`, () => ctx.stage(`pretrain ${knob} seed ${seed}`, () => pretrainContent(py, world, config, seed, join(dir, `encoder-${value}-${seed}.pt`)))));
        // Every (seed, arm) fit at this value is independent: the run's fit workers may take them in parallel.
        const fitted = await fitGrid(ctx.fits, `arms ${knob}`, arms, config.seeds, async (v, seed, _i, k) => {
          const r = await fitVariant({ py, world, config, variant: v, seed, pretrained: pres[k], ctx, test });
          ctx.log(`${knob} ${v.label} seed ${seed}: AUC ${r.evidence.auc.value.toFixed(4)} (SE ${r.evidence.auc.se.toFixed(4)}), new-item AUC ${r.auc_new_items.toFixed(4)} (best epoch ${r.bestEpoch + 1}; ${r.seconds.toFixed(1)} s)`);
          return { probs: r.probs, auc: r.evidence.auc, stillImproving: r.stillImproving };
        }, ` (${knob})`);
        for (const [k, seed] of config.seeds.entries()) {
          const probs: Record<string, Float32Array> = {};
          for (const [i, v] of arms.entries()) {
            const { probs: p, auc: e, stillImproving } = fitted[i][k];
            probs[v.label] = p;
            records.push({ pipeline: '', run: '', table: 'by-knob', method: v.label, variant: '', knob, metric: 'auc', split: 'test', seed, value: e.value, se: e.se, rows: e.rows, positives: e.positives, stillImproving });
          }
          const own = records.filter((x) => x.table === 'by-knob' && x.knob === knob && x.seed === seed);
          records.push(pairedAucGainRecord(spec, knob, seed, labels, probs[spec.method], probs[spec.base], { positives: own[0]?.positives ?? null, stillImproving: own.some((x) => x.stillImproving === true) }));
        }
      }
    } finally {
      await py.close();
      rmSync(dir, { recursive: true, force: true });
    }
    records.push(...gainRecords(records, spec));
    const summary = mechanismSummary(records, spec);
    const byKnob = records.filter((r) => r.table === 'by-knob').map((r) => ({ ...r, table: 'mechanism', metric: r.knob }));
    const columns = spec.values.map((v) => knobLabel(spec.knobName, v)).filter((k) => byKnob.some((r) => r.metric === k));
    const n = config.seeds.length;
    const table = tableFromRecords(byKnob, { id: 'mechanism', title: `EM3 vs ID-only test AUC by contentSignal (${n} seed${n > 1 ? 's' : ''})`, base: spec.base, methods: [spec.method, spec.base], metrics: columns.map((name) => ({ name, higherIsBetter: true })) });
    table.notes.push(
      summary.markdown,
      "Gains are paired: both arms score the same test rows, so each seed's gain has DeLong's paired SE.",
      `Each knob value is its own world (same seed, everything else equal, the world's mismatch = 1 − contentSignal, ${String(config.world.newItemShare ?? MULTIMODAL_WORLD_DEFAULTS.newItemShare)} of the items new); per seed the encoder is pre-trained content-only for ${config.pretrainEpochs} epochs; EM3 starts from the frozen solution and keeps the encoder frozen for ${config.warmupEpochs} epoch(s).`,
    );
    return {
      tables: [table],
      claims: mechanismClaims(spec), // the knob values and methods this run used
      figures: [{ name: 'mechanism', fig: mechanismFigure(records, spec, "EM3's AUC gain over ID-only vs how much content reflects behaviour (contentSignal = 1 − mismatch)") }],
      results: { summary: summary.rows },
      records,
    };
  },
};
