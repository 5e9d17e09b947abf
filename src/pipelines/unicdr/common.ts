/**
 * Shared pieces of the unicdr/* pipelines: the method list, one scenario's run (world -> models x seeds -> HR@10 /
 * NDCG@10 per domain with 999 sampled negatives, cold-start users, full ranking where asked, each with its per-user
 * test SE; summaries over the reliable domains) and its table, and the per-scenario chart.
 */
import { z } from 'zod';
import { Rng } from '../../random.ts';
import { sampledRanking, type CandidateLists } from '../../metrics/sampled-ranking.ts';
import type { CdrData, CdrDomain, Pairs } from '../../worlds/multi-domain-world.ts';
import { CDR_MODEL_KINDS, USER_OVERLAP_ONLY, createCdrModel, prepareCdr, type CdrPrep } from '../../models/cdr/index.ts';
import { EVIDENCE_DEFAULTS, reliableTasks } from '../../evidence/rules.ts';
import { buildResultTable, type MethodResult, type MetricColumn, type ReferenceRow, type ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';
import { fitGrid } from '../fits.ts';
import type { Claim } from '../../evidence/claims.ts';
import type { ResultRecord } from '../../evidence/records.ts';
import { pairedMeanClaimGains, type PartRows } from '../../evidence/paired-claims.ts';
import { evaluateFull, evaluateFullRows, evaluateListsRows, fitCdr, maxSeen, rankingEvidence, scoreCandidates, testLists, type RankingEvidence } from './fit.ts';

/**
 * A method: a label, a model kind and its config (UniCDR's strict config; baselines take only `dim`).
 * @example
 * CdrMethod.parse({ label: 'UniCDR', model: 'unicdr', config: {} });
 */
export const CdrMethod = z.strictObject({ label: z.string(), model: z.enum(CDR_MODEL_KINDS), config: z.record(z.string(), z.unknown()) });
/** A method (see the schema). */
export type CdrMethod = z.infer<typeof CdrMethod>;

/** UniCDR+ with every extension on. */
export const ALL_EXTENSIONS = { features: true, itemGraph: true, sequence: true, softContrastive: true, mmoe: true };

/**
 * The main table's methods: per-domain BPR-MF, the shared-user-embedding model, EMCDR, PTUPCDR, UniCDR, UniCDR+.
 * @example
 * MAIN_CDR_METHODS.map((m) => m.label);
 */
export const MAIN_CDR_METHODS: CdrMethod[] = [
  { label: 'BPR-MF', model: 'bpr-mf', config: {} },
  { label: 'Shared-Emb', model: 'shared-emb', config: {} },
  { label: 'EMCDR', model: 'emcdr', config: {} },
  { label: 'PTUPCDR', model: 'ptupcdr', config: {} },
  { label: 'UniCDR', model: 'unicdr', config: {} },
  { label: 'UniCDR+', model: 'unicdr', config: { extensions: ALL_EXTENSIONS } },
];

/** Settings common to a scenario run (part of each pipeline's strict config). */
export const CdrRunSettings = z.strictObject({
  dim: z.number().int().positive(),
  /** Context length in training and at test, for scenarios not in `contextLength`. */
  maxLen: z.number().int().positive(),
  /** Per scenario: context length in training and at test (the UniCDR code's, see `UNICDR_CONTEXT_LENGTH`). */
  contextLength: z.record(z.string(), z.strictObject({ train: z.number().int().positive(), test: z.number().int().positive() })).optional(),
  /** Passed to the UniCDR models only (e.g. warmupEpochs, aggregator). */
  unicdr: z.record(z.string(), z.unknown()),
  /** Passed to `fitCdr` (validated there by `CdrTrainConfigSpec`). */
  trainer: z.record(z.string(), z.unknown()),
  negatives: z.number().int().positive(),
  ease: z.strictObject({ lambda: z.number().positive(), threshold: z.number().min(0) }),
  evalSeed: z.number().int(),
});
/** Settings of a scenario run. */
export type CdrRunSettings = z.infer<typeof CdrRunSettings>;

/**
 * Context lengths of the UniCDR code (`utils/data.py`, `train_rec.py`): training `maxlen` 50 for multi-user-intra
 * and 10 elsewhere; at test 100 for multi-user-intra and 50 elsewhere.
 * @example
 * UNICDR_CONTEXT_LENGTH['multi-user-intra'].test; // 100
 */
export const UNICDR_CONTEXT_LENGTH: Record<string, { train: number; test: number }> = {
  'dual-user-intra': { train: 10, test: 50 },
  'dual-user-inter': { train: 10, test: 50 },
  'multi-item-intra': { train: 10, test: 50 },
  'multi-user-intra': { train: 50, test: 100 },
};

/** The world's oracle scorer, when the data is synthetic. */
export type OracleScore = (domain: number, users: ArrayLike<number>, items: ArrayLike<number>) => Float32Array;

interface EvalPart { key: string; domain: number; pairs: Pairs; lists: CandidateLists | null; cold: boolean; full: boolean }

/** Users repeated per candidate (the oracle scores (user, item) pairs, one per candidate). */
const usersPerCandidate = (lists: CandidateLists, pairs: Pairs): Int32Array => Int32Array.from(lists.items, (_, j) => pairs.users[Math.floor(j / lists.nCandidates)]);

/** The column groups of a scenario table: warm users (sampled negatives), cold-start users, full ranking. */
export const CDR_GROUPS = [
  { group: 'warm', prefix: '', summary: 'mean' },
  { group: 'cold', prefix: 'cold_', summary: 'cold_mean' },
  { group: 'full', prefix: 'full_', summary: 'full_mean' },
] as const;

/** One part's column key: '<domain>', 'cold_<domain>' or 'full_<domain>'. */
const groupOf = (p: EvalPart) => (p.full ? CDR_GROUPS[2] : p.cold ? CDR_GROUPS[1] : CDR_GROUPS[0]);

/**
 * Runs one scenario: every method (that fits the overlap kind) for every seed, evaluated on the test pairs of every
 * domain (warm users), the cold-start pairs when present (own-domain context padded), and full ranking when `full`.
 * Each value carries its test-sampling SE (`meanSe` over the per-user hits), rows and positives (one per test user)
 * and the fit's still-improving flag. Summary columns hr10_mean / ndcg10_mean (warm), hr10_cold_mean (cold-start),
 * hr10_full_mean (full ranking) average the domains with at least `minPositives` test users (`reliableTasks`; the
 * table says which were left out); when no domain qualifies, they average every domain and carry the smallest
 * domain's count, so the table flags them as unreliable. A summary's SE is sqrt(Σ SE_d²) / D (domains' test users
 * taken as independent samples). Returns the table (id `id`, with the oracle row when `oracle` is given) and, for
 * the `claims` declared on table 'gain' (metric `<summary column>_gain`), their paired per-user gain records
 * (`pairedMeanClaimGains`: both sides ranked the same users against the same candidates).
 * @example
 * const r = await runScenario({ id: 'x', data: world, oracle: world.trueScore, methods, settings, seeds: [1], full: false, ctx, title: 'x', base: 'UniCDR' });
 */
export async function runScenario(a: {
  id: string; data: CdrData; oracle: OracleScore | null; methods: CdrMethod[]; settings: CdrRunSettings; seeds: number[]; full: boolean; ctx: PipelineContext; title: string; base: string; minPositives?: number;
  claims?: readonly Claim[];
}): Promise<{ table: ResultTable; skipped: string[]; oracle: Record<string, number>; records: ResultRecord[] }> {
  const { data, settings: s } = a;
  const needsEase = a.methods.some((m) => m.model === 'unicdr' && ((m.config.aggregator ?? s.unicdr.aggregator) === 'item_similarity'));
  const len = s.contextLength?.[data.scenario] ?? { train: s.maxLen, test: s.maxLen };
  const prep: CdrPrep = await a.ctx.stage(`prepare ${data.scenario}`, () => prepareCdr(data, { maxLen: len.train, testMaxLen: len.test, ease: needsEase ? s.ease : null }));
  const parts: EvalPart[] = [];
  data.domains.forEach((dom: CdrDomain, d) => {
    const neg = Math.min(s.negatives, dom.nItems - 1 - maxSeen(dom));
    if (dom.test.users.length) parts.push({ key: dom.name, domain: d, pairs: dom.test, lists: testLists(dom, dom.test, neg, s.evalSeed * 101 + d), cold: false, full: false });
    if (dom.coldTest.users.length) parts.push({ key: `cold_${dom.name}`, domain: d, pairs: dom.coldTest, lists: testLists(dom, dom.coldTest, neg, s.evalSeed * 101 + 50 + d), cold: true, full: false });
  });
  if (a.full) data.domains.forEach((dom, d) => { if (dom.test.users.length) parts.push({ key: `full_${dom.name}`, domain: d, pairs: dom.test, lists: null, cold: false, full: true }); });
  // Reliable domains per column group: a domain's test users are its test positives (one held-out item each).
  const groups = CDR_GROUPS.map((g) => {
    const ps = parts.filter((p) => groupOf(p).group === g.group);
    const rel = reliableTasks(Object.fromEntries(ps.map((p) => [p.key, p.pairs.users.length])), a.minPositives);
    const used = rel.reliable.length ? ps.filter((p) => rel.reliable.includes(p.key)) : ps;
    return { ...g, parts: ps, used, excluded: rel.excluded, allUnreliable: !rel.reliable.length };
  }).filter((g) => g.parts.length);
  const metricNames = [
    ...groups.flatMap((g) => [`hr10_${g.summary}`, `ndcg10_${g.summary}`]),
    ...parts.flatMap((p) => [`hr10_${p.key}`, `ndcg10_${p.key}`]),
  ];
  const metrics: MetricColumn[] = metricNames.map((name) => ({ name, higherIsBetter: true }));
  const skipped = a.methods.filter((m) => USER_OVERLAP_ONLY.has(m.model) && data.overlapKind !== 'users').map((m) => m.label);
  const methods = a.methods.filter((m) => !skipped.includes(m.label));
  const empty = () => Object.fromEntries(metricNames.map((k) => [k, [] as number[]]));
  const results: Array<Required<MethodResult>> = methods.map((m) => ({ method: m.label, seeds: [...a.seeds], values: empty(), se: empty(), rows: empty(), positives: empty(), stillImproving: [] }));
  const push = (r: Required<MethodResult>, metric: string, e: RankingEvidence) => {
    r.values[metric].push(e.value);
    r.se[metric].push(e.se);
    r.rows[metric].push(e.rows);
    r.positives[metric].push(e.positives);
  };
  // Every (seed, method) fit is independent: the run's fit workers may take them in parallel (src/pipelines/fits.ts).
  const fitted = await fitGrid(a.ctx.fits, `${a.id} ${data.scenario}`, methods, a.seeds, async (m, seed, i) => {
    const cfg = m.model === 'unicdr' ? { dim: s.dim, ...s.unicdr, ...m.config } : { dim: s.dim, ...m.config };
    const model = createCdrModel(m.model, new Rng(seed * 7919 + i), prep, cfg);
    try {
      const fit = await a.ctx.stage(`${data.scenario} ${m.label} seed ${seed}`, () => fitCdr(model, prep, s.trainer, seed, `${data.scenario} ${m.label} s${seed}`));
      const byPart = new Map<string, { hr: RankingEvidence; ndcg: RankingEvidence }>();
      const evidence: Array<[string, RankingEvidence]> = [];
      // Per-user values of every part column, kept for the claims' paired gains.
      const perUser: Record<string, Float64Array> = {};
      for (const p of parts) {
        const rows = p.full
          ? evaluateFullRows(data.domains[p.domain], p.pairs, (lists) => scoreCandidates(model, prep, p.domain, p.pairs.users, lists, false))
          : evaluateListsRows(model, prep, p.domain, p.pairs, p.lists as CandidateLists, p.cold);
        const ev = rankingEvidence(rows);
        byPart.set(p.key, ev);
        evidence.push([`hr10_${p.key}`, ev.hr], [`ndcg10_${p.key}`, ev.ndcg]);
        perUser[`hr10_${p.key}`] = rows.hr;
        perUser[`ndcg10_${p.key}`] = rows.ndcg;
      }
      for (const g of groups) {
        evidence.push([`hr10_${g.summary}`, summarise(g.used.map((p) => (byPart.get(p.key) as { hr: RankingEvidence }).hr), g.allUnreliable)]);
        evidence.push([`ndcg10_${g.summary}`, summarise(g.used.map((p) => (byPart.get(p.key) as { ndcg: RankingEvidence }).ndcg), g.allUnreliable)]);
      }
      const hr = new Map(evidence);
      a.ctx.log(`${data.scenario} ${m.label} seed ${seed}: ${[...groups.map((g) => `hr10_${g.summary}`), ...parts.map((p) => `hr10_${p.key}`)].map((k) => `${k} ${hr.get(k)?.value.toFixed(4)}`).join(', ')} (best epoch ${fit.bestEpoch} of ${fit.epochs}${fit.stillImproving ? ', still improving' : ''}, ${fit.validNdcg.length} run, ${fit.seconds.toFixed(1)} s)`);
      return { evidence, perUser, stillImproving: fit.stillImproving };
    } finally {
      model.dispose();
    }
  }, ` (${data.scenario})`);
  // Pushed per method in seed order: part metrics, then the group summaries.
  for (const [i, bySeed] of fitted.entries()) {
    for (const f of bySeed) {
      for (const [metric, e] of f.evidence) push(results[i], metric, e);
      results[i].stillImproving.push(f.stillImproving);
    }
  }
  const oracle: Record<string, number> = {};
  const references: ReferenceRow[] = [];
  if (a.oracle) {
    const score = a.oracle;
    for (const p of parts) {
      const r = p.full
        ? evaluateFull(data.domains[p.domain], p.pairs, (lists) => score(p.domain, usersPerCandidate(lists, p.pairs), lists.items))
        : sampledRanking(score(p.domain, usersPerCandidate(p.lists as CandidateLists, p.pairs), (p.lists as CandidateLists).items), p.lists as CandidateLists);
      oracle[`hr10_${p.key}`] = r.hr;
      oracle[`ndcg10_${p.key}`] = r.ndcg;
    }
    for (const g of groups) for (const k of ['hr10', 'ndcg10']) oracle[`${k}_${g.summary}`] = g.used.reduce((acc, p) => acc + oracle[`${k}_${p.key}`], 0) / g.used.length;
    references.push({ label: 'oracle (true preference)', values: oracle, note: "ranks by the world's true affinity a(u, i); the ceiling of any model on these candidate lists (not 1: interactions are sampled)." });
    a.ctx.log(`${data.scenario} oracle: ${parts.map((p) => `${p.key} HR@10 ${oracle[`hr10_${p.key}`].toFixed(4)}`).join(', ')}`);
  }
  const table = buildResultTable({ id: a.id, title: a.title, base: a.base, metrics, results, references, minPositives: a.minPositives });
  const sizes = parts.map((p) => `${p.key} ${p.pairs.users.length}`).join(', ');
  table.notes.push(
    `Test users (= test positives) per column group: ${sizes}. Columns: hr10_<domain> / ndcg10_<domain> = warm users ranked against ${(parts.find((p) => p.lists)?.lists?.nCandidates ?? 1) - 1} sampled negatives (items the user never interacted with in any split, seeded, identical for every model); cold_<domain> = cold-start users (no training history in that domain; own-domain context padded = domain masking); full_<domain> = full ranking over all items except the user's training and validation items. Each value's SE is the SE of the mean over test users.`,
    ...groups.map((g) => `${`hr10_${g.summary}`} / ${`ndcg10_${g.summary}`}: mean over ${g.allUnreliable ? `every domain (${g.used.map((p) => p.key).join(', ')}) — none has ${a.minPositives ?? EVIDENCE_DEFAULTS.minPositives} test users, so the summary is unreliable and left out of verdicts` : `the reliable domains ${g.used.map((p) => p.key).join(', ')}`}${!g.allUnreliable && g.excluded.length ? `; left out: ${g.excluded.map((x) => `${x.task} (${x.reason})`).join(', ')}` : ''}.`),
    orderingNote(table, metrics[0].name),
  );
  if (skipped.length) table.notes.push(`${skipped.join(', ')}: not run (they map users across domains and need overlapping users; this scenario overlaps items).`);
  // A summary column's per-user rows: its group's parts (the reliable domains, or every domain when none is).
  const rowsOf = (method: string, s: number, column: string): PartRows | null => {
    const i = methods.findIndex((m) => m.label === method);
    const k = column.slice(0, column.indexOf('_')); // 'hr10' or 'ndcg10'
    const g = groups.find((x) => column === `${k}_${x.summary}`);
    if (i < 0 || !g) return null;
    return { parts: g.used.map((p) => fitted[i][s].perUser[`${k}_${p.key}`]), unreliable: g.allUnreliable };
  };
  const records = pairedMeanClaimGains(a.claims ?? [], a.seeds, rowsOf, (method, s) => fitted[methods.findIndex((m) => m.label === method)]?.[s]?.stillImproving ?? null);
  if (records.length) table.notes.push(`Claims on table 'gain' compare method − base per seed on the same test users and candidates (paired per-user differences), so their intervals are tighter than the table's two columns side by side.`);
  return { table, skipped, oracle, records };
}

/**
 * The mean of several domains' values with SE sqrt(Σ SE²) / D; rows and positives summed, or the smallest domain's
 * when `unreliable` (so the summary is flagged like its domains).
 */
function summarise(xs: RankingEvidence[], unreliable: boolean): RankingEvidence {
  const D = xs.length;
  return {
    value: xs.reduce((acc, x) => acc + x.value, 0) / D,
    se: Math.sqrt(xs.reduce((acc, x) => acc + x.se ** 2, 0)) / D,
    rows: unreliable ? Math.min(...xs.map((x) => x.rows)) : xs.reduce((acc, x) => acc + x.rows, 0),
    positives: unreliable ? Math.min(...xs.map((x) => x.positives)) : xs.reduce((acc, x) => acc + x.positives, 0),
  };
}

/**
 * A sentence with the methods ordered by a metric's mean (best first).
 * @example
 * orderingNote(table, 'hr10_d1'); // 'Ordering on hr10_d1: UniCDR > ...'
 */
export function orderingNote(t: ResultTable, metric: string): string {
  const rows = [...t.rows].sort((x, y) => y.cells[metric].mean - x.cells[metric].mean);
  return `Ordering on ${metric}: ${rows.map((r) => `${r.method} (${r.cells[metric].mean.toFixed(4)})`).join(' > ')}.`;
}

/** A bar chart's std: the seed std, or none with one seed (NaN). */
export function barStd(std: number): number | undefined {
  return Number.isFinite(std) ? std : undefined;
}
