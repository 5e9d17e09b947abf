/**
 * Shared pieces of the unicdr/* pipelines: the method list, one scenario's run (world -> models x seeds -> HR@10 /
 * NDCG@10 per domain with 999 sampled negatives, cold-start users, full ranking where asked) and its table, and the
 * per-scenario chart.
 */
import { z } from 'zod';
import { Rng } from '../../random.ts';
import { sampledRanking, type CandidateLists } from '../../metrics/sampled-ranking.ts';
import type { CdrData, CdrDomain, Pairs } from '../../worlds/multi-domain-world.ts';
import { CDR_MODEL_KINDS, USER_OVERLAP_ONLY, createCdrModel, prepareCdr, type CdrPrep } from '../../models/cdr/index.ts';
import { buildResultTable, type MethodResult, type MetricColumn, type ReferenceRow, type ResultTable } from '../result-table.ts';
import type { PipelineContext } from '../pipeline.ts';
import { evaluateFull, evaluateLists, fitCdr, maxSeen, scoreCandidates, testLists } from './fit.ts';

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
  maxLen: z.number().int().positive(),
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

/** The world's oracle scorer, when the data is synthetic. */
export type OracleScore = (domain: number, users: ArrayLike<number>, items: ArrayLike<number>) => Float32Array;

interface EvalPart { key: string; domain: number; pairs: Pairs; lists: CandidateLists | null; cold: boolean; full: boolean }

const usersOf = (lists: CandidateLists, pairs: Pairs): Int32Array => Int32Array.from(lists.items, (_, j) => pairs.users[Math.floor(j / lists.nCandidates)]);

/**
 * Runs one scenario: every method (that fits the overlap kind) for every seed, evaluated on the test pairs of every
 * domain (warm users), the cold-start pairs when present (own-domain context padded), and full ranking when `full`.
 * Returns the table (with the oracle row when `oracle` is given) and the per-seed results.
 * @example
 * const r = await runScenario({ data: world, oracle: world.trueScore, methods, settings, seeds: [1], full: false, ctx, title: 'x' });
 */
export async function runScenario(a: {
  data: CdrData; oracle: OracleScore | null; methods: CdrMethod[]; settings: CdrRunSettings; seeds: number[]; full: boolean; ctx: PipelineContext; title: string; base: string;
}): Promise<{ table: ResultTable; perSeed: MethodResult[]; skipped: string[]; oracle: Record<string, number> }> {
  const { data, settings: s } = a;
  const needsEase = a.methods.some((m) => m.model === 'unicdr' && ((m.config.aggregator ?? s.unicdr.aggregator) === 'item_similarity'));
  const prep: CdrPrep = await a.ctx.stage(`prepare ${data.scenario}`, () => prepareCdr(data, { maxLen: s.maxLen, ease: needsEase ? s.ease : null }));
  const parts: EvalPart[] = [];
  data.domains.forEach((dom: CdrDomain, d) => {
    const neg = Math.min(s.negatives, dom.nItems - 1 - maxSeen(dom));
    if (dom.test.users.length) parts.push({ key: dom.name, domain: d, pairs: dom.test, lists: testLists(dom, dom.test, neg, s.evalSeed * 101 + d), cold: false, full: false });
    if (dom.coldTest.users.length) parts.push({ key: `cold_${dom.name}`, domain: d, pairs: dom.coldTest, lists: testLists(dom, dom.coldTest, neg, s.evalSeed * 101 + 50 + d), cold: true, full: false });
  });
  if (a.full) data.domains.forEach((dom, d) => parts.push({ key: `full_${dom.name}`, domain: d, pairs: dom.test, lists: null, cold: false, full: true }));
  const metrics: MetricColumn[] = parts.flatMap((p) => [{ name: `hr10_${p.key}`, higherIsBetter: true }, { name: `ndcg10_${p.key}`, higherIsBetter: true }]);
  const skipped = a.methods.filter((m) => USER_OVERLAP_ONLY.has(m.model) && data.overlapKind !== 'users').map((m) => m.label);
  const methods = a.methods.filter((m) => !skipped.includes(m.label));
  const perSeed: MethodResult[] = methods.map((m) => ({ method: m.label, seeds: [...a.seeds], values: Object.fromEntries(metrics.map((c) => [c.name, [] as number[]])) }));
  for (const seed of a.seeds) {
    for (const [i, m] of methods.entries()) {
      const cfg = m.model === 'unicdr' ? { dim: s.dim, ...s.unicdr, ...m.config } : { dim: s.dim, ...m.config };
      const model = createCdrModel(m.model, new Rng(seed * 7919 + i), prep, cfg);
      try {
        const fit = await a.ctx.stage(`${data.scenario} ${m.label} seed ${seed}`, () => fitCdr(model, prep, s.trainer, seed, `${data.scenario} ${m.label} s${seed}`));
        for (const p of parts) {
          const r = p.full
            ? evaluateFull(data.domains[p.domain], p.pairs, (lists) => scoreCandidates(model, prep, p.domain, usersOf(lists, p.pairs), lists, false))
            : evaluateLists(model, prep, p.domain, p.pairs, p.lists as CandidateLists, p.cold);
          perSeed[i].values[`hr10_${p.key}`].push(r.hr);
          perSeed[i].values[`ndcg10_${p.key}`].push(r.ndcg);
        }
        a.ctx.log(`${data.scenario} ${m.label} seed ${seed}: ${parts.map((p) => `${p.key} HR@10 ${perSeed[i].values[`hr10_${p.key}`].at(-1)?.toFixed(4)}`).join(', ')} (best epoch ${fit.bestEpoch}, ${fit.seconds.toFixed(1)} s)`);
      } finally {
        model.dispose();
      }
    }
  }
  const oracle: Record<string, number> = {};
  const references: ReferenceRow[] = [];
  if (a.oracle) {
    const score = a.oracle;
    for (const p of parts) {
      const r = p.full
        ? evaluateFull(data.domains[p.domain], p.pairs, (lists) => score(p.domain, usersOf(lists, p.pairs), lists.items))
        : sampledRanking(score(p.domain, usersOf(p.lists as CandidateLists, p.pairs), (p.lists as CandidateLists).items), p.lists as CandidateLists);
      oracle[`hr10_${p.key}`] = r.hr;
      oracle[`ndcg10_${p.key}`] = r.ndcg;
    }
    references.push({ label: 'oracle (true preference)', values: oracle, note: "ranks by the world's true affinity a(u, i); the ceiling of any model on these candidate lists (not 1: interactions are sampled)." });
    a.ctx.log(`${data.scenario} oracle: ${parts.map((p) => `${p.key} HR@10 ${oracle[`hr10_${p.key}`].toFixed(4)}`).join(', ')}`);
  }
  const table = buildResultTable({ title: a.title, base: a.base, metrics, results: perSeed, references });
  const sizes = parts.map((p) => `${p.key} ${p.pairs.users.length}`).join(', ');
  table.notes.push(
    `Test pairs per column group: ${sizes}. Columns: hr10_<domain> / ndcg10_<domain> = warm users ranked against ${(parts.find((p) => p.lists)?.lists?.nCandidates ?? 1) - 1} sampled negatives (items the user never interacted with in any split, seeded, identical for every model); cold_<domain> = cold-start users (no training history in that domain; own-domain context padded = domain masking); full_<domain> = full ranking over all items except the user's training and validation items.`,
    orderingNote(table, metrics[0].name),
  );
  if (skipped.length) table.notes.push(`${skipped.join(', ')}: not run (they map users across domains and need overlapping users; this scenario overlaps items).`);
  return { table, perSeed, skipped, oracle };
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

/**
 * Mean over a table's columns that start with a prefix, per method (for the per-scenario chart).
 * @example
 * columnMean(table, 'hr10_d'); // Map method -> mean HR@10 over warm domains
 */
export function columnMean(t: ResultTable, prefix: string): Map<string, { mean: number; std: number }> {
  const cols = t.metrics.map((m) => m.name).filter((n) => n.startsWith(prefix));
  const out = new Map<string, { mean: number; std: number }>();
  for (const r of t.rows) {
    if (!cols.length) continue;
    out.set(r.method, { mean: cols.reduce((s, c) => s + r.cells[c].mean, 0) / cols.length, std: cols.reduce((s, c) => s + r.cells[c].std, 0) / cols.length });
  }
  return out;
}
