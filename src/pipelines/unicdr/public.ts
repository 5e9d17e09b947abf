/**
 * Pipeline `unicdr/public`: the same comparison as `unicdr/main` on public CDR pairs in the CDRIB / UniCDR text layout
 * (Amazon Sport–Cloth, Electronic–Cell, Game–Video; datasets.md "CDR pairs"), loaded by `loadCdrTextPair`. Test users
 * without training history in a domain are its cold-start users. One table per pair (id '<a>_<b>', e.g.
 * 'sport_cloth') with unicdr/main's columns, per-user SEs and summaries over reliable domains; base UniCDR (fixed).
 * When a pair's files are absent the pair is skipped with a message that says how to obtain them, and the run is
 * marked skipped when no pair is present. No oracle exists on real data. The report's reference numbers for these
 * pairs come from a third-party reproduction, not from the paper (spec §4).
 * Claims (judged every run): per pair, UniCDR beats BPR-MF and UniCDR+ beats UniCDR on warm-user HR@10 (Sport–Cloth
 * and Electronic–Cell are dual-user-intra; Game–Video dual-user-inter, judged on its cold-start users).
 * Modes: quick = a smoke test (1 seed); evidence and paper: unicdr/main's settings of the mode, 5 seeds. The test sets
 * are fixed by the data (leave-one-out: one test item per user), so the SE is whatever the pair gives (printed).
 * Estimated evidence wall time: not measured (the files are not on this machine); per fit about (training pairs /
 * 90 000) x a unicdr/main dual-user-intra fit.
 */
import { z } from 'zod';
import { cdrTextAvailability, loadCdrTextPair } from '../../data/cdr-text.ts';
import type { RunMode } from '../../evidence/rules.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { PipelineSpec } from '../pipeline.ts';
import type { ResultTable } from '../result-table.ts';
import { CdrMethod, CdrRunSettings, MAIN_CDR_METHODS, runScenario } from './common.ts';
import { CDR_EVIDENCE_SEEDS, cdrSettings, scenarioClaims } from './main.ts';

/** Default folder of the CDR pairs (`<dir>/<a>_<b>/train.txt`, ...). */
export const CDR_TEXT_DEFAULT_DIR = 'data/cdr';

/**
 * Strict config of `unicdr/public`.
 * @example
 * UniCdrPublicConfig.parse(unicdrPublicDefaults('quick'));
 */
export const UniCdrPublicConfig = z.strictObject({
  dir: z.string(),
  pairs: z.array(z.tuple([z.string(), z.string()])).min(1),
  methods: z.array(CdrMethod).min(1),
  base: z.string(),
  settings: CdrRunSettings,
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `unicdr/public`. */
export type UniCdrPublicConfig = z.infer<typeof UniCdrPublicConfig>;

/**
 * Defaults: the three CDRIB pairs under data/cdr; quick (a smoke test) uses 1 seed, evidence and paper 5.
 * @example
 * unicdrPublicDefaults('quick').pairs[0]; // ['sport', 'cloth']
 */
export function unicdrPublicDefaults(mode: RunMode): UniCdrPublicConfig {
  return {
    dir: CDR_TEXT_DEFAULT_DIR,
    pairs: [['sport', 'cloth'], ['electronic', 'cell'], ['game', 'video']],
    methods: structuredClone(MAIN_CDR_METHODS),
    base: 'UniCDR',
    settings: cdrSettings(mode),
    seeds: mode === 'quick' ? [1] : [...CDR_EVIDENCE_SEEDS],
  };
}

/** The claims of unicdr/public for the default pairs: the unicdr/main scenario claims on each pair's table. */
export const UNICDR_PUBLIC_CLAIMS = [
  ...scenarioClaims('sport_cloth', 'dual-user-intra', 'sport-cloth'),
  ...scenarioClaims('electronic_cell', 'dual-user-intra', 'electronic-cell'),
  ...scenarioClaims('game_video', 'dual-user-inter', 'game-video'),
];

/**
 * The pipeline, registered as 'unicdr/public'.
 * @example
 * const run = await runPipeline('unicdr/public', { quick: true, config: { dir: '/data/cdrib' } });
 */
export const unicdrPublicPipeline: PipelineSpec<UniCdrPublicConfig> = {
  name: 'unicdr/public',
  paper: 'unicdr-plus',
  title: 'UniCDR / UniCDR+ vs CDR baselines on public Amazon CDR pairs (CDRIB text layout)',
  description: 'HR@10 / NDCG@10 with sampled negatives per domain of each pair, cold-start test users; skipped when the files are absent',
  schema: UniCdrPublicConfig,
  defaults: unicdrPublicDefaults,
  claims: UNICDR_PUBLIC_CLAIMS,
  async run(config, ctx) {
    const tables: ResultTable[] = [];
    const records: ResultRecord[] = [];
    const pairs: Record<string, unknown> = {};
    for (const pair of config.pairs) {
      const key = pair.join('_');
      const a = cdrTextAvailability(config.dir, pair);
      if (!a.ok) {
        ctx.log(`unicdr/public: ${key} skipped:\n${a.message}`);
        pairs[key] = { skipped: true, message: a.message };
        continue;
      }
      const data = await ctx.stage(`load ${key}`, () => loadCdrTextPair(config.dir, pair));
      ctx.log(`${key}: ${data.nUsers} users; ${data.domains.map((d) => `${d.name} ${d.nItems} items, ${d.train.users.length} train / ${d.test.users.length} test / ${d.coldTest.users.length} cold test`).join('; ')}`);
      const r = await runScenario({
        id: key, data, claims: scenarioClaims(key, data.scenario, pair.join('-')), oracle: null, methods: config.methods, settings: config.settings, seeds: config.seeds, full: false, ctx, base: config.base,
        title: `${pair[0]}–${pair[1]} (CDRIB layout): HR@10 / NDCG@10 (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''})`,
      });
      r.table.notes.push('Public data: no oracle row (the true preferences are unknown). Candidate lists use at most the configured negatives, fewer when a catalogue is too small.');
      tables.push(r.table);
      records.push(...r.records);
      pairs[key] = { skipped: false, methodsNotRun: r.skipped };
    }
    if (!tables.length) ctx.log('unicdr/public: no pair present, no table (see the messages above).');
    const messages = Object.entries(pairs).map(([k, v]) => `${k}: ${(v as { message?: string }).message ?? ''}`);
    return { tables, figures: [], results: { pairs }, records, ...(tables.length ? {} : { skipped: messages.join('\n') }) };
  },
};
