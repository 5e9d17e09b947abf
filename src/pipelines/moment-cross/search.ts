/**
 * Pipeline `moment-cross/search`: Moment&Cross's cross-domain search (GSU hard search + ESU attention over the
 * short-video history, spec §3.2) with K swept, on a world whose users carry long short-video histories (issue 14: the
 * logged histories hold 8-13 items, below K = 20, so the search had nothing to choose from).
 * The world is moment-cross/main's with `svPastClicks` history-only short-video clicks per user before the horizon
 * (src/worlds/live-world.ts; default 250, kept in a history of `svHistoryLen` 256). Methods: Moment&Cross without
 * search (the base, declared) and with hard search keeping the K most recent matches, K in {10, 20, 50, 100}; every
 * other part (real-time features, the sample stream, alignment) as the full model, the same initialisation seed per
 * method. Table 'search' (records as moment-cross/main's: `mean_auc_reliable` and per-task AUCs with SEs, the paired
 * difference against the base with its 95% interval, p and MDE, the ceiling). With `shortHistory` the same methods
 * also train on the same world without the past clicks (svPastClicks 0: table 'search-short-history'), so the table
 * pair shows whether a long history is what the search needs. Paired gain records (table 'gain', knob 'history=long' /
 * 'history=logged'): each K minus no search on the same test rows, DeLong influences summed over the summary tasks
 * and both methods. Claim (on those records): hard search at the paper's K = 50 beats no search on `mean_auc_reliable`
 * with the long history. Figure: `mean_auc_reliable` (mean ± std over seeds) against K (K = 0 is
 * no search), one line per history.
 * Modes: quick (smoke test) = 6 000 users, the small nets, 2 epochs, 1 seed, long history only; evidence =
 * moment-cross/main's evidence world (40 000 users) with the long history, its trainer and small nets, 5 seeds, both
 * histories: 50 fits of Moment&Cross on the stream (moment-cross/main measured about 5 min per fit at load 10, about
 * 1.5 min quiet; the 256-step histories add to that): about 2-4 h quiet. Not run yet.
 * Paper deviations: the paper's histories hold up to 1,000 items (spec §3.2 proposal); 256 here (memory: four int32
 * columns of 256 per row). The paper's K = 50 (spec §3.2) is the claim's; Moment&Cross's default K stays 20 for the
 * logged (short) histories of the other pipelines.
 */
import { z } from 'zod';
import { LIVE_TASKS, LiveWorldConfigSpec, type LiveWorldConfig } from '../../worlds/live-world.ts';
import { lineChart } from '../../plots/index.ts';
import { EVIDENCE_DEFAULTS, type RunMode } from '../../evidence/rules.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import type { PipelineSpec } from '../pipeline.ts';
import type { ResultTable } from '../result-table.ts';
import { LiveMethod, runLiveComparison } from './common.ts';
import { EVIDENCE_SEEDS, QUICK_NETS, liveTrainer, liveWorld, mcSetup } from './main.ts';
import { SUMMARY_GAIN, SUMMARY_METRIC, liveComparisonTable, summaryNote } from '../farm/live-evidence.ts';

/** Label of the base: Moment&Cross without the cross-domain search. */
export const NO_SEARCH = 'w/o cross-domain search';
/** Label of the hard-search variant keeping K items. */
export const searchLabel = (k: number) => `hard search K = ${k}`;
/** The long-history knobs of the world (declared before any result; see the module comment). */
export const LONG_HISTORY: Partial<LiveWorldConfig> = { svPastClicks: 250, svHistoryLen: 256 };
/** Knob label of the paired gain records of each history (table 'gain'). */
export const HISTORY_KNOB = { long: 'history=long', logged: 'history=logged' } as const;
/** The K values swept (the paper's K = 50 among them). */
export const SEARCH_KS = [10, 20, 50, 100];

/**
 * Strict config of `moment-cross/search`.
 * @example
 * MomentCrossSearchConfig.parse({ ...momentCrossSearchDefaults('quick'), seeds: [1] });
 */
export const MomentCrossSearchConfig = z.strictObject({
  /** The long-history world (its `svPastClicks` must be > 0). */
  world: LiveWorldConfigSpec,
  tasks: z.array(z.string()).min(1),
  /** K values of the hard search (positive integers). */
  ks: z.array(z.number().int().min(1)).min(1),
  /** Network config shared by every method (gsuK and search are set per method). */
  net: z.record(z.string(), z.unknown()),
  /** Also train every method on the same world without the past clicks (table 'search-short-history'). */
  shortHistory: z.boolean(),
  minPositives: z.number().int().min(1),
  trainer: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()).min(1),
});
/** Config of `moment-cross/search`. */
export type MomentCrossSearchConfig = z.infer<typeof MomentCrossSearchConfig>;

/**
 * Defaults per mode (see the module comment).
 * @example
 * momentCrossSearchDefaults('evidence').ks; // [10, 20, 50, 100]
 */
export function momentCrossSearchDefaults(mode: RunMode): MomentCrossSearchConfig {
  const quick = mode === 'quick';
  return {
    world: { ...liveWorld(mode), ...LONG_HISTORY },
    tasks: [...LIVE_TASKS],
    ks: [...SEARCH_KS],
    net: mode === 'paper' ? {} : structuredClone(QUICK_NETS.mc),
    shortHistory: !quick,
    minPositives: EVIDENCE_DEFAULTS.minPositives,
    trainer: liveTrainer(mode),
    seeds: quick ? [1] : [...EVIDENCE_SEEDS],
  };
}

/**
 * The compared methods: Moment&Cross without search, then with hard search at each K (all on the sample stream).
 * @example
 * searchMethods([20, 50], {}).map((m) => m.label); // ['w/o cross-domain search', 'hard search K = 20', 'hard search K = 50']
 */
export function searchMethods(ks: readonly number[], net: Record<string, unknown>): LiveMethod[] {
  const m = (label: string, config: Record<string, unknown>): LiveMethod => ({ label, model: 'moment-cross', config: { ...structuredClone(net), ...config }, data: 'stream' });
  return [m(NO_SEARCH, { search: 'none' }), ...ks.map((k) => m(searchLabel(k), { search: 'hard', gsuK: k }))];
}

/** The claims `moment-cross/search` judges. */
export const MOMENT_CROSS_SEARCH_CLAIMS: Claim[] = [
  {
    id: 'search-k50-helps',
    text: 'With long short-video histories, hard search at the paper\'s K = 50 beats Moment&Cross without the search on the mean test AUC over the reliable tasks',
    source: 'moment-cross.md §3.2 (Cross: GSU hard search by author or category, top-K = 50, ESU attention over the selected short videos, 3P) and §4 main table (+ Cross)',
    table: 'gain', metric: SUMMARY_GAIN, knob: HISTORY_KNOB.long, method: searchLabel(50), base: NO_SEARCH, direction: 'higher',
  },
];

/**
 * The pipeline, registered as 'moment-cross/search'.
 * @example
 * const run = await runPipeline('moment-cross/search', { quick: true });
 */
export const momentCrossSearchPipeline: PipelineSpec<MomentCrossSearchConfig> = {
  name: 'moment-cross/search',
  paper: 'moment-cross',
  title: 'Moment&Cross cross-domain search: K swept on long short-video histories (live world)',
  description: 'Moment&Cross without search vs hard search at K = 10, 20, 50, 100 on 256-item short-video histories (and on the logged short histories)',
  schema: MomentCrossSearchConfig,
  defaults: momentCrossSearchDefaults,
  claims: MOMENT_CROSS_SEARCH_CLAIMS,
  async run(config, ctx) {
    const world = config.world as Partial<LiveWorldConfig>;
    if (!((world.svPastClicks ?? 0) > 0)) throw new Error(`moment-cross/search config: world.svPastClicks must be > 0 (the long history the search is for), got ${world.svPastClicks ?? 0}`);
    const methods = searchMethods(config.ks, config.net);
    const histories = [
      { id: 'search', knob: HISTORY_KNOB.long, name: `${world.svPastClicks} past clicks`, world },
      ...(config.shortHistory ? [{ id: 'search-short-history', knob: HISTORY_KNOB.logged, name: 'logged clicks only', world: { ...world, svPastClicks: 0 } }] : []),
    ];
    const tables: ResultTable[] = [];
    const records: ResultRecord[] = [];
    const lengths: Record<string, number> = {};
    for (const h of histories) {
      const { world: w, test, summary, monitor, ceiling } = await mcSetup({ world: h.world, tasks: config.tasks, minPositives: config.minPositives }, ctx);
      lengths[h.id] = meanHistoryLength(test.column('hist_sv_item'), test.size);
      ctx.log(`${h.name}: ${w.train.size} train / ${test.size} test live impressions; mean short-video history ${lengths[h.id].toFixed(1)} items (of ${w.config.svHistoryLen})`);
      const fits = await runLiveComparison(w, test, { tasks: config.tasks, methods, trainer: config.trainer, seeds: config.seeds }, monitor, summary, ctx);
      const out = liveComparisonTable({
        id: h.id, title: `Moment&Cross search by K, ${h.name} (mean history ${lengths[h.id].toFixed(0)} items; ${config.seeds.length} seed${config.seeds.length > 1 ? 's' : ''}, test impressions)`,
        base: NO_SEARCH, methods: methods.map((m) => m.label), seeds: config.seeds, fits, tasks: config.tasks, summary, ceiling,
        gainKnob: h.knob,
        notes: [
          summaryNote(monitor, 'The early-stopping monitor (mean validation AUC)'),
          `Base: ${NO_SEARCH} (declared). Short-video histories: ${h.name}, mean ${lengths[h.id].toFixed(1)} of ${w.config.svHistoryLen} slots filled on the test rows.`,
        ],
      });
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      const gains = methods.slice(1).map((method) => {
        const g = out.records.filter((r) => r.table === 'gain' && r.method === method.label);
        const value = mean(g.map((r) => r.value));
        return `${method.label} ${value >= 0 ? '+' : ''}${value.toFixed(4)} (mean SE ${mean(g.map((r) => r.se ?? Number.NaN)).toFixed(4)})`;
      });
      out.table.notes.push(`Paired gains over ${NO_SEARCH}, mean over seeds (records of table 'gain', knob '${h.knob}'; the claim reads them): ${gains.join('; ')}.`);
      tables.push(out.table);
      records.push(...out.records);
    }
    const xs = [0, ...config.ks];
    const labels = [NO_SEARCH, ...config.ks.map(searchLabel)];
    const fig = lineChart(
      histories.map((h, i) => {
        const cells = labels.map((l) => tables[i].rows.find((r) => r.method === l)?.cells[SUMMARY_METRIC]);
        if (cells.some((c) => !c)) throw new Error(`moment-cross/search: table '${h.id}' lacks ${SUMMARY_METRIC} for some method`);
        return { name: `${h.name} (mean ${lengths[h.id].toFixed(0)} items)`, x: xs, y: cells.map((c) => c!.mean), yStd: cells.map((c) => (Number.isFinite(c!.std) ? c!.std : 0)) };
      }),
      { title: 'Moment&Cross: mean test AUC over the reliable tasks against the search K (0 = no search)', xTitle: 'K (short videos kept by the GSU)', yTitle: SUMMARY_METRIC },
    );
    return { tables, figures: [{ name: 'search-by-k', fig }], records, results: { ks: config.ks, meanHistoryLength: lengths } };
  },
};

/**
 * Mean number of non-padding history slots per row of a (rows x maxLen) id column.
 * @example
 * meanHistoryLength(test.column('hist_sv_item'), test.size); // e.g. 230.4
 */
export function meanHistoryLength(ids: ArrayLike<number>, rows: number): number {
  let filled = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== 0) filled++;
  return rows ? filled / rows : 0;
}
