/**
 * Pipeline `qarm/mechanism`: alignment's gain as the content departs from what users act on (issue 16; DESIGN
 * "Evidence": a method's gain is nil without its mechanism and grows with it). Knob: the multimodal world's `mismatch`
 * m (src/worlds/multimodal-world.ts: the content latent is sqrt(1 - m^2) v_i + m c_topic + noise, so at m = 0 content
 * reflects the behaviour latent and grows unrelated to it as m rises) — QARM's "representation unmatching". At m = 0 the
 * content-only pre-trained encoder already sees what users care about and aligning it on behaviour pairs has little to
 * add; as m grows the unaligned embedding drifts toward content-only topics and alignment should matter more.
 * For each knob value one world (same seed, everything else equal): the U2I stand-in, stages A and B
 * (src/qarm/prepare.ts), then '+ frozen MM (aligned)' and '+ frozen MM (unaligned)' per seed on the same test rows
 * (through `ctx.holdout`).
 * Records: table 'by-knob' (knob 'mismatch=<m>', test AUC of both arms per seed with DeLong SE, rows, positives,
 * still-improving flags; the zero-parameter max-cos references with seed 0), paired 'gain' records per value and seed
 * (DeLong's paired SE on the same rows) and the mechanism module's 'gain_growth'. Table 'mechanism' (both arms per
 * knob value, the module's summary in its notes); figure: gain with 95% CI against the knob.
 * Claims: {@link QARM_MECHANISM_SPEC}'s (alignment raises AUC at the default m = 0.6; the gain grows from 0 to 0.9).
 * Modes: quick (a smoke test: the tiny world, encoder pre-trained 4 epochs, small ranker, 2 seeds); evidence and paper
 * (qarmModeDefaults('evidence'): the full world, the encoder pre-trained 60 epochs, the spec's ranker with early
 * stopping, 5 seeds). Estimated evidence wall time from qarm/main's measurements (stage A about 4 minutes with the
 * world and U2I stand-in, one ranker fit about 137 s at load 6): 4 values x (4 minutes + 10 fits) -> about 100 minutes.
 * Paper deviation: the paper has no synthetic sweep; the knob and its default are the world's (see the spec's
 * `defaultSource`).
 */
import { z } from 'zod';
import { QarmPrepareSpec, prepareQarm } from '../../qarm/prepare.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { gainRecords, knobLabel, pairedAucGainRecord, mechanismClaims, mechanismFigure, mechanismSummary, type MechanismSpec } from '../../evidence/mechanism.ts';
import type { PipelineSpec } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import { tableFromRecords, type ResultTable } from '../result-table.ts';
import { QARM_VARIANTS, QarmWorld, RankerHyper, contentReferences, fitVariant, qarmModeDefaults, qarmWorld, u2iItemTable } from './common.ts';

const ALIGNED = QARM_VARIANTS.find((v) => v.mm === 'aligned' && !v.vq && !v.rq) as (typeof QARM_VARIANTS)[number];
const UNALIGNED = QARM_VARIANTS.find((v) => v.mm === 'unaligned') as (typeof QARM_VARIANTS)[number];

/**
 * The sweep: `mismatch` from 0, frozen aligned vs frozen unaligned vector on test AUC; default 0.6.
 * @example
 * mechanismClaims(QARM_MECHANISM_SPEC).length; // 2
 */
export const QARM_MECHANISM_SPEC: MechanismSpec = {
  knobName: 'mismatch',
  values: [0, 0.3, 0.6, 0.9],
  defaultValue: 0.6,
  defaultSource: "the multimodal world's default (src/worlds/multimodal-world.ts), fixed when the world was built for QARM and before any alignment result: the paper describes representation unmatching only qualitatively (abstract: the MLLM is trained on NLP/CV tasks, not on user-item behaviour), so 0.6 stands for a content embedding that mostly but not wholly departs from behaviour (Paper deviation: the paper gives no figure)",
  method: ALIGNED.label,
  base: UNALIGNED.label,
  metric: 'auc',
  direction: 'higher',
  claimSource: 'QARM abstract and spec §2 (alignment on behaviour pairs fixes representation unmatching); issue 16',
};

/**
 * Strict config of `qarm/mechanism` (the world's `mismatch` is replaced by each value).
 * @example
 * QarmMechanismConfig.parse(qarmMechanismDefaults('quick'));
 */
export const QarmMechanismConfig = z.strictObject({
  world: QarmWorld,
  prepare: QarmPrepareSpec,
  ranker: RankerHyper,
  /** Passed to the trainer (validated there). */
  trainer: z.record(z.string(), z.unknown()),
  values: z.array(z.number().min(0).max(1)).min(2),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `qarm/mechanism`. */
export type QarmMechanismConfig = z.infer<typeof QarmMechanismConfig>;

/**
 * Quick (a smoke test): the tiny world, RQ 6 x 8 (codes are not compared here; stage B still runs), 2 ranker epochs,
 * 2 seeds. Evidence and paper: qarmModeDefaults('evidence'), 5 seeds. Both: the spec's values.
 * @example
 * qarmMechanismDefaults('quick').values; // [0, 0.3, 0.6, 0.9]
 */
export function qarmMechanismDefaults(mode: RunMode): QarmMechanismConfig {
  const quick = mode === 'quick';
  const d = qarmModeDefaults(mode);
  if (quick) {
    d.world = { preset: 'tiny', overrides: {} };
    d.prepare = { ...d.prepare, rqK: 8, vqPool: 200, timeBoth: false };
    d.trainer = { ...d.trainer, epochs: 2 };
  }
  return { ...d, values: [...QARM_MECHANISM_SPEC.values], seeds: quick ? [1, 2] : [1, 2, 3, 4, 5] };
}

/**
 * The sweep as a result table (id 'mechanism'): the method and its base as rows, one column per knob value (their
 * by-knob metric), so each column's comparison with the base is the gain at that value.
 * @example
 * sweepTable(records, QARM_MECHANISM_SPEC, 'aligned vs unaligned by mismatch');
 */
export function sweepTable(records: ReadonlyArray<ResultRecord>, spec: MechanismSpec, title: string): ResultTable {
  const split = spec.split ?? 'test';
  const mine = records
    .filter((r) => r.table === (spec.table ?? 'by-knob') && r.metric === spec.metric && r.split === split && (r.method === spec.method || r.method === spec.base))
    .map((r) => ({ ...r, table: 'mechanism', metric: r.knob }));
  const columns = spec.values.map((v) => knobLabel(spec.knobName, v)).filter((k) => mine.some((r) => r.metric === k));
  if (!columns.length) throw new Error(`qarm/mechanism: no by-knob '${spec.metric}' records of ${spec.method} / ${spec.base}`);
  return tableFromRecords(mine, { id: 'mechanism', title, base: spec.base, methods: [spec.method, spec.base], metrics: columns.map((name) => ({ name, higherIsBetter: spec.direction === 'higher' })) });
}

/**
 * The pipeline, registered as 'qarm/mechanism'.
 * @example
 * await runPipeline('qarm/mechanism', { quick: true });
 */
export const qarmMechanismPipeline: PipelineSpec<QarmMechanismConfig> = {
  name: 'qarm/mechanism',
  paper: 'qarm',
  title: "QARM mechanism sweep: alignment's gain as content departs from behaviour (mismatch)",
  description: 'mismatch swept from 0: frozen aligned vs unaligned multimodal vector, test AUC gain with 95% CI',
  schema: QarmMechanismConfig,
  defaults: qarmMechanismDefaults,
  claims: mechanismClaims(QARM_MECHANISM_SPEC),
  async run(config, ctx) {
    if (config.values[0] !== 0) throw new Error(`qarm/mechanism config: values must start at 0 (mechanism absent), got ${config.values.join(', ')}`);
    const spec: MechanismSpec = { ...QARM_MECHANISM_SPEC, values: [...config.values] };
    const records: ResultRecord[] = [];
    const alignment: Array<{ value: number; pairAucUnaligned: number; pairAucAligned: number; maxCosUnaligned: number; maxCosAligned: number }> = [];
    for (const value of config.values) {
      const knob = knobLabel(spec.knobName, value);
      const worldSel = { ...config.world, overrides: { ...config.world.overrides, mismatch: value } };
      const world = await ctx.stage(`world ${knob}`, () => qarmWorld(worldSel));
      // This value's shared input: with fit workers, built once here and read by the workers from the run's file.
      const prep = await ctx.shared(`QARM stages A and B ${knob}`, async () => {
        const u2i = await ctx.stage(`U2I stand-in ${knob}`, () => u2iItemTable(world, config.ranker, config.trainer, ctx));
        return ctx.stage(`QARM stages A and B ${knob}`, () => prepareQarm(world, u2i, config.prepare, (m) => ctx.log(m)));
      });
      const test = ctx.holdout(world.test);
      const labels = test.label('click');
      const refs = contentReferences(world, prep, test);
      for (const r of refs.records) if (r.metric === 'auc') records.push({ ...r, table: 'by-knob', knob });
      alignment.push({ value, pairAucUnaligned: prep.alignment.pairAucUnaligned, pairAucAligned: prep.alignment.pairAucAligned, maxCosUnaligned: refs.rows[0].values.auc, maxCosAligned: refs.rows[1].values.auc });
      ctx.log(`${knob}: held-out pair AUC ${prep.alignment.pairAucUnaligned.toFixed(4)} unaligned -> ${prep.alignment.pairAucAligned.toFixed(4)} aligned; max-cos content AUC ${refs.rows[0].values.auc.toFixed(4)} -> ${refs.rows[1].values.auc.toFixed(4)}`);
      // Every (seed, arm) fit at this value is independent: the run's fit workers may take them in parallel.
      const arms = [ALIGNED, UNALIGNED];
      const fitted = await fitGrid(ctx.fits, `arms ${knob}`, arms, config.seeds, async (variant, seed, index) => {
        const r = await fitVariant({ world, prep, variant, hyper: config.ranker, trainer: config.trainer, seed, index, ctx, test });
        ctx.log(`${knob} ${variant.label} seed ${seed}: AUC ${r.evidence.auc.value.toFixed(4)} (SE ${r.evidence.auc.se.toFixed(4)}; best epoch ${r.bestEpoch + 1} of ${r.epochs})`);
        return { probs: r.probs, auc: r.evidence.auc, stillImproving: r.stillImproving };
      }, ` (${knob})`);
      for (const [k, seed] of config.seeds.entries()) {
        const probs: Record<string, Float32Array> = {};
        for (const [i, variant] of arms.entries()) {
          const { probs: p, auc: e, stillImproving } = fitted[i][k];
          probs[variant.label] = p;
          records.push({ pipeline: '', run: '', table: 'by-knob', method: variant.label, variant: '', knob, metric: 'auc', split: 'test', seed, value: e.value, se: e.se, rows: e.rows, positives: e.positives, stillImproving });
        }
        const own = records.filter((x) => x.table === 'by-knob' && x.knob === knob && x.seed === seed && (x.method === spec.method || x.method === spec.base));
        records.push(pairedAucGainRecord(spec, knob, seed, labels, probs[spec.method], probs[spec.base], { positives: own[0]?.positives ?? null, stillImproving: own.some((x) => x.stillImproving === true) }));
      }
    }
    records.push(...gainRecords(records, spec));
    const summary = mechanismSummary(records, spec);
    const n = config.seeds.length;
    const table = sweepTable(records, spec, `QARM: frozen aligned vs unaligned vector, test AUC by mismatch (${n} seed${n > 1 ? 's' : ''})`);
    table.notes.push(
      summary.markdown,
      'Gains are paired: both arms score the same test rows, so each seed\'s gain has DeLong\'s paired SE.',
      `Alignment per knob value (held-out behaviour pairs, AUC of cos(a, b) vs a random item; zero-parameter max-cos content AUC): ${alignment.map((a) => `m = ${a.value}: pairs ${a.pairAucUnaligned.toFixed(3)} -> ${a.pairAucAligned.toFixed(3)}, max-cos ${a.maxCosUnaligned.toFixed(3)} -> ${a.maxCosAligned.toFixed(3)}`).join('; ')}.`,
      'Each knob value is its own world (same seed, everything else equal), with its own U2I stand-in, encoder pre-training and alignment.',
    );
    return {
      tables: [table],
      claims: mechanismClaims(spec), // the knob values and methods this run used
      figures: [{ name: 'mechanism', fig: mechanismFigure(records, spec, "QARM alignment's AUC gain (aligned - unaligned frozen vector) vs mismatch") }],
      results: { summary: summary.rows, alignment },
      records,
    };
  },
};
