/**
 * The registry of numbers the papers report, per table cell, with the source of each: data in paper-numbers.json
 * (taken only from shared/papers/*.md), loaded here through a strict zod schema. A cell the specs mark as "not
 * available" has `value: null`; numbers that are not the paper's own (a third-party summary, a community
 * re-implementation's runs) carry that kind, where they come from and `verified: false`. Never invent a number in the
 * JSON: the report prints every entry with its source.
 *
 * Paper ids are the spec file names (`chorus-cvr`, `farm`, ...); a pipeline's `paper` (meta.json) is matched to them
 * by {@link paperKey} (case and punctuation ignored) or by a paper's `aliases`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Where a number comes from: the paper itself, a third-party summary of it, or a community re-implementation's run. */
export const SourceKind = z.enum(['paper', 'third-party', 'community-reimplementation']);
/** Kind of a number's source. */
export type SourceKind = z.infer<typeof SourceKind>;

/** Strict schema of a number's source: kind, where (table and page, or the quoted source text), optional URL, verified. */
export const PaperNumberSource = z.strictObject({
  kind: SourceKind,
  where: z.string().min(1),
  url: z.string().url().optional(),
  verified: z.boolean(),
});
/** A number's source. */
export type PaperNumberSource = z.infer<typeof PaperNumberSource>;

/** Strict schema of one registered cell. */
export const PaperNumber = z.strictObject({
  /** Paper id (the spec's file name, e.g. 'chorus-cvr'). */
  paper: z.string().min(1),
  /** Table id, unique within the paper (declared in the paper's `tables`). */
  table: z.string().min(1),
  /** Data set, split or setting the cell belongs to, when a table spans several. */
  dataset: z.string().min(1).optional(),
  /** Method name as reclab's pipelines label it. */
  method: z.string().min(1),
  /** The name the source uses, when it differs from `method` (the mapping choice). */
  sourceMethod: z.string().min(1).optional(),
  metric: z.string().min(1),
  /** Unit when it is not the metric's natural one (e.g. '%', '% lift vs DCMT'). */
  unit: z.string().min(1).optional(),
  /** The number, or null where the spec says it is not available. */
  value: z.number().finite().nullable(),
  note: z.string().min(1).optional(),
  source: PaperNumberSource,
});
/** One registered cell. */
export type PaperNumber = z.infer<typeof PaperNumber>;

/** Strict schema of a paper's header: id, title, URL, spec file, declared tables, aliases. */
export const PaperInfo = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().min(1),
  url: z.string().url().optional(),
  spec: z.string().min(1),
  aliases: z.array(z.string().min(1)).optional(),
  note: z.string().min(1).optional(),
  tables: z.array(z.strictObject({ id: z.string().min(1), title: z.string().min(1) })).min(1),
});
/** A paper's header. */
export type PaperInfo = z.infer<typeof PaperInfo>;

/** Strict schema of the whole registry file. */
export const PaperRegistryFile = z.strictObject({
  $comment: z.string().optional(),
  papers: z.array(PaperInfo),
  numbers: z.array(PaperNumber),
});
/** The registry file's content. */
export type PaperRegistry = z.infer<typeof PaperRegistryFile>;

/**
 * Normalised paper key: lower case, letters and digits only ('ChorusCVR' and 'chorus-cvr' give 'choruscvr').
 * @example
 * paperKey('Moment&Cross') === paperKey('moment-cross'); // true
 */
export function paperKey(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Validates registry data: the strict schema, then cross-checks (papers unique, every entry's paper and table declared,
 * one entry per paper/table/dataset/method/metric). Errors name the entry.
 * @example
 * parsePaperRegistry(JSON.parse(readFileSync('my-numbers.json', 'utf8')));
 */
export function parsePaperRegistry(data: unknown, origin = 'paper numbers'): PaperRegistry {
  const parsed = PaperRegistryFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${origin}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const reg = parsed.data;
  const papers = new Map<string, PaperInfo>();
  for (const p of reg.papers) {
    if (papers.has(p.id)) throw new Error(`${origin}: paper '${p.id}' is declared twice`);
    papers.set(p.id, p);
  }
  const seen = new Set<string>();
  reg.numbers.forEach((n, i) => {
    const p = papers.get(n.paper);
    if (!p) throw new Error(`${origin}: numbers.${i}: paper '${n.paper}' is not declared in papers`);
    if (!p.tables.some((t) => t.id === n.table)) throw new Error(`${origin}: numbers.${i}: table '${n.table}' is not declared for paper '${n.paper}'`);
    const key = [n.paper, n.table, n.dataset ?? '', n.method, n.metric].join('\u0000');
    if (seen.has(key)) throw new Error(`${origin}: numbers.${i}: duplicate cell ${n.paper}/${n.table}/${n.dataset ?? '-'}/${n.method}/${n.metric}`);
    seen.add(key);
  });
  return reg;
}

let cache: PaperRegistry | null = null;

/**
 * The registry shipped in src/report/paper-numbers.json (read and validated once per process).
 * @example
 * loadPaperNumbers().numbers.filter((n) => n.paper === 'chorus-cvr' && n.value !== null).length; // 33
 */
export function loadPaperNumbers(): PaperRegistry {
  if (cache === null) {
    const url = new URL('./paper-numbers.json', import.meta.url);
    cache = parsePaperRegistry(JSON.parse(readFileSync(url, 'utf8')), 'src/report/paper-numbers.json');
  }
  return cache;
}

/**
 * The registered paper a pipeline's `paper` label names (by id, normalised id or alias), or undefined.
 * @example
 * findPaper('ChorusCVR')?.id; // 'chorus-cvr'
 * findPaper('baselines');      // undefined
 */
export function findPaper(label: string, registry: PaperRegistry = loadPaperNumbers()): PaperInfo | undefined {
  const k = paperKey(label);
  return registry.papers.find((p) => paperKey(p.id) === k || (p.aliases ?? []).some((a) => paperKey(a) === k));
}

/**
 * Every registered cell of the paper `label` names (see {@link findPaper}); empty when it has none.
 * @example
 * paperNumbers('chorus-cvr').filter((n) => n.table === 'community-5m').length; // 20
 */
export function paperNumbers(label: string, registry: PaperRegistry = loadPaperNumbers()): PaperNumber[] {
  const p = findPaper(label, registry);
  return p ? registry.numbers.filter((n) => n.paper === p.id) : [];
}
