/**
 * Runs a registered pipeline into a new folder results/<pipeline>/<run-id>/:
 *   status.json (running -> finished | failed | interrupted), results.json, table.md, table.csv, figures/,
 *   meta.json (provenance, seeds, config, per-stage timings), log.txt, and FINISHED only when everything was written.
 * A run never overwrites another: the folder is created exclusively. An interrupted or failed run keeps its folder,
 * marked as such, and is never reported as finished.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPipeline } from './pipeline.ts';
import { tableToCsv, tableToMarkdown, type ResultTable } from './result-table.ts';
import { collectProvenance } from './provenance.ts';
import { ChromiumMissingError, exportFigures } from '../plots/index.ts';

/** Options of `runPipeline`; defaults in `RUN_DEFAULTS`. */
export interface RunOptions {
  quick: boolean;
  /** Number of seeds (1..N); 0 = the pipeline's default list. */
  seeds: number;
  /** Results root folder. */
  out: string;
  /** Config overrides, merged over the mode's defaults and validated by the pipeline's strict schema. */
  config: Record<string, unknown>;
  /** Figure formats besides HTML ('png', 'svg' need Chromium). */
  figureFormats: Array<'png' | 'svg'>;
  /** Print progress lines. */
  verbose: boolean;
}
/** Defaults: full mode, the pipeline's seeds, results/, PNG and SVG figures, verbose. */
export const RUN_DEFAULTS: RunOptions = { quick: false, seeds: 0, out: 'results', config: {}, figureFormats: ['png', 'svg'], verbose: true };

/** What a finished run produced. */
export interface RunRecord {
  pipeline: string;
  dir: string;
  tables: ResultTable[];
  markdown: string;
  warnings: string[];
}

type Status = { state: 'running' | 'finished' | 'failed' | 'interrupted'; started: string; ended?: string; error?: string };

function newRunDir(root: string, pipeline: string, quick: boolean): string {
  const parent = join(root, pipeline.replace(/\//g, '-'));
  mkdirSync(parent, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  for (let i = 0; i < 100; i++) {
    const dir = join(parent, `${stamp}-${quick ? 'quick' : 'full'}${i ? `-${i}` : ''}`);
    try {
      mkdirSync(dir); // exclusive: throws EEXIST instead of reusing a folder
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`could not create a new run folder under ${parent}`);
}

/** True when `dir` holds a run that finished (FINISHED marker and status 'finished'). */
export function isFinishedRun(dir: string): boolean {
  if (!existsSync(join(dir, 'FINISHED')) || !existsSync(join(dir, 'status.json'))) return false;
  return (JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as Status).state === 'finished';
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/**
 * Runs one pipeline and writes its run folder.
 * @example
 * const run = await runPipeline('baselines/ctr', { quick: true, seeds: 2 });
 * console.log(run.markdown, run.dir);
 */
export async function runPipeline(name: string, options: Partial<RunOptions> = {}): Promise<RunRecord> {
  for (const k of Object.keys(options)) if (!(k in RUN_DEFAULTS)) throw new Error(`runPipeline: unknown option '${k}' (known: ${Object.keys(RUN_DEFAULTS).join(', ')})`);
  const o = { ...RUN_DEFAULTS, ...options };
  const spec = getPipeline(name);
  let raw = deepMerge(spec.defaults(o.quick) as Record<string, unknown>, o.config);
  if (o.seeds > 0) raw = { ...raw, seeds: Array.from({ length: o.seeds }, (_, i) => i + 1) };
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`pipeline '${name}' config: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const config = parsed.data;

  const dir = newRunDir(o.out, name, o.quick);
  const status: Status = { state: 'running', started: new Date().toISOString() };
  const writeStatus = () => writeFileSync(join(dir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
  writeStatus();
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  const log = (m: string) => {
    appendFileSync(join(dir, 'log.txt'), `${m}\n`);
    if (o.verbose) console.log(m);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    status.state = 'interrupted';
    status.ended = new Date().toISOString();
    status.error = `received ${sig}`;
    writeStatus();
    console.error(`\nreclab: ${name} interrupted; ${dir} is marked interrupted`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const provenance = collectProvenance();
  log(`reclab: ${name} (${o.quick ? 'quick' : 'full'}) -> ${dir}`);
  log(`backend: ${provenance.backend.name} (${provenance.backend.package} ${provenance.backend.version}; ${provenance.backend.reason})`);
  const t0 = Date.now();
  try {
    const output = await spec.run(config, {
      quick: o.quick,
      log,
      async stage(stageName, fn) {
        const s = Date.now();
        try {
          return await fn();
        } finally {
          timings[stageName] = (Date.now() - s) / 1000;
        }
      },
    });
    timings.total = (Date.now() - t0) / 1000;
    const markdown = output.tables.map(tableToMarkdown).join('\n');
    writeFileSync(join(dir, 'results.json'), `${JSON.stringify({ pipeline: name, tables: output.tables, results: output.results }, null, 2)}\n`);
    writeFileSync(join(dir, 'table.md'), markdown);
    writeFileSync(join(dir, 'table.csv'), output.tables.map(tableToCsv).join('\n'));
    const figDir = join(dir, 'figures');
    try {
      await exportFigures(output.figures.map((f) => ({ fig: f.fig, name: f.name })), figDir, { formats: ['html', ...o.figureFormats] });
    } catch (e) {
      if (!(e instanceof ChromiumMissingError)) throw e;
      warnings.push(`figures written as HTML only: ${e.message}`);
      log(`warning: ${e.message}`);
    }
    writeFileSync(
      join(dir, 'meta.json'),
      `${JSON.stringify({ pipeline: name, paper: spec.paper, title: spec.title, mode: o.quick ? 'quick' : 'full', seeds: (config as { seeds?: number[] }).seeds ?? null, config, provenance, timings, warnings }, null, 2)}\n`,
    );
    status.state = 'finished';
    status.ended = new Date().toISOString();
    writeStatus();
    writeFileSync(join(dir, 'FINISHED'), `${status.ended}\n`);
    return { pipeline: name, dir, tables: output.tables, markdown, warnings };
  } catch (e) {
    status.state = 'failed';
    status.ended = new Date().toISOString();
    status.error = (e as Error).stack ?? String(e);
    writeStatus();
    throw new Error(`pipeline '${name}' failed (run folder ${dir} marked failed): ${(e as Error).message}`, { cause: e });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
