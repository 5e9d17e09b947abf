/**
 * Pipeline `unicdr/public`: the same comparison as `unicdr/main` on public CDR pairs in the CDRIB / UniCDR text layout
 * (Amazon Sport–Cloth, Electronic–Cell, Game–Video; datasets.md "CDR pairs"), loaded by `loadCdrTextPair`. Test users
 * without training history in a domain are its cold-start users. When a pair's files are absent the pair is skipped
 * with a message that says how to obtain them, and the run succeeds with no table for it. No oracle exists on real data.
 * The report's reference numbers for these pairs come from a third-party reproduction, not from the paper (spec §4).
 */
import { z } from 'zod';
import { cdrTextAvailability, loadCdrTextPair } from '../../data/cdr-text.ts';
import type { PipelineSpec } from '../pipeline.ts';
import type { ResultTable } from '../result-table.ts';
import { CdrMethod, CdrRunSettings, MAIN_CDR_METHODS, runScenario } from './common.ts';
import { cdrSettings } from './main.ts';

/** Default folder of the CDR pairs (`<dir>/<a>_<b>/train.txt`, ...). */
export const CDR_TEXT_DEFAULT_DIR = 'data/cdr';

/**
 * Strict config of `unicdr/public`.
 * @example
 * UniCdrPublicConfig.parse(unicdrPublicDefaults(true));
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
 * Defaults: the three CDRIB pairs under data/cdr; quick uses 1 seed, full 3.
 * @example
 * unicdrPublicDefaults(true).pairs[0]; // ['sport', 'cloth']
 */
export function unicdrPublicDefaults(quick: boolean): UniCdrPublicConfig {
  return {
    dir: CDR_TEXT_DEFAULT_DIR,
    pairs: [['sport', 'cloth'], ['electronic', 'cell'], ['game', 'video']],
    methods: structuredClone(MAIN_CDR_METHODS),
    base: 'UniCDR',
    settings: cdrSettings(quick),
    seeds: quick ? [1] : [1, 2, 3],
  };
}

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
  defaults: (mode) => unicdrPublicDefaults(mode === 'quick'),
  async run(config, ctx) {
    const tables: ResultTable[] = [];
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
        data, oracle: null, methods: config.methods, settings: config.settings, seeds: config.seeds, full: false, ctx, base: config.base,
        title: `${pair[0]}–${pair[1]} (CDRIB layout): HR@10 / NDCG@10 (${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''})`,
      });
      r.table.notes.push('Public data: no oracle row (the true preferences are unknown). Candidate lists use at most the configured negatives, fewer when a catalogue is too small.');
      tables.push(r.table);
      pairs[key] = { skipped: false, perSeed: r.perSeed };
    }
    if (!tables.length) ctx.log('unicdr/public: no pair present, no table (see the messages above).');
    const messages = Object.entries(pairs).map(([k, v]) => `${k}: ${(v as { message?: string }).message ?? ''}`);
    return { tables, figures: [], results: { pairs }, ...(tables.length ? {} : { skipped: messages.join('\n') }) };
  },
};
