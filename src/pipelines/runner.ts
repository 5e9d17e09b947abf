/**
 * Runs a registered pipeline into a new folder results/<pipeline>/<run-id>/:
 *   status.json (running -> finished | failed | interrupted | skipped), results.csv (the tidy records every view is
 *   computed from), verdicts.json (the paper's claims judged on those records), results.json (tables and extra raw
 *   results), table.md, table.csv, figures/, meta.json (mode, provenance, seeds, config, per-stage timings), log.txt,
 *   and FINISHED only when everything was written.
 * A run never overwrites another: the folder is created exclusively. An interrupted or failed run keeps its folder,
 * marked as such, and is never reported as finished. Quick runs are smoke tests and every output says so.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Rng } from '../random.ts';
import { hostname } from 'node:os';
import { HEARTBEAT_MS, type RunStatus } from './run-status.ts';
import { getPipeline } from './pipeline.ts';
import { checkPipelineModels } from '../models/registry.ts';
import { tableToCsv, tableToMarkdown, type ResultTable } from './result-table.ts';
import { recordsToCsv, type ResultRecord } from '../evidence/records.ts';
import { judgeClaims, restateClaims, verdictsToMarkdown, type Verdict } from '../evidence/claims.ts';
import { checkSeeds, RUN_MODES, SMOKE_TEST_LABEL, type RunMode } from '../evidence/rules.ts';
import { collectProvenance } from './provenance.ts';
import { removeFitResults, SERIAL_JOBS, workerFits } from './fits.ts';
import { rayFits } from './ray-fits.ts';
import { ChromiumMissingError, exportFigures, type Figure } from '../plots/index.ts';

/** Options of `runPipeline`; defaults in `RUN_DEFAULTS`. */
export interface RunOptions {
  /** Run mode: 'quick' (smoke test), 'evidence' (default) or 'paper'. */
  mode: RunMode;
  /** Shorthand for mode 'quick' (true) — kept for notebooks; contradicting `mode` is an error. */
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
  /**
   * Selection audit: when a number, every split passed through `ctx.holdout` has its labels permuted with this seed.
   * Test metrics then fall to chance while every selection made on validation must stay the same (tested).
   */
  permuteTestLabels: number | null;
  /**
   * Child processes for the pipeline's independent fits (`ctx.fits`, src/pipelines/fits.ts); 1 = every fit in this
   * process. Records are the same either way.
   */
  fitWorkers: number;
  /**
   * A Ray cluster ('auto' or 'HOST:PORT'): the pipeline's independent fits go to it as tasks (src/pipelines/ray-fits.ts)
   * instead of local fit workers (`fitWorkers` then does not apply); null = local. Records are the same either way.
   */
  fitRay: string | null;
  /** Modules a fit worker imports first: where a pipeline registered outside src/pipelines/registry.ts lives. */
  pipelineModules: string[];
}
/** Defaults: evidence mode, the pipeline's seeds, results/, PNG and SVG figures, verbose, fits in this process. */
export const RUN_DEFAULTS: RunOptions = { mode: 'evidence', quick: false, seeds: 0, out: 'results', config: {}, figureFormats: ['png', 'svg'], verbose: true, permuteTestLabels: null, fitWorkers: 1, fitRay: null, pipelineModules: [] };

/** What a finished (or skipped) run produced. */
export interface RunRecord {
  pipeline: string;
  mode: RunMode;
  dir: string;
  tables: ResultTable[];
  /** Every measured number of the run (results.csv). */
  records: ResultRecord[];
  /** The paper's claims judged on the records. */
  verdicts: Verdict[];
  markdown: string;
  warnings: string[];
  /** Why the run was skipped (e.g. its data set is absent); the folder is then marked 'skipped', not finished. */
  skipped?: string;
}


function newRunDir(root: string, pipeline: string, mode: RunMode): string {
  const parent = join(root, pipeline.replace(/\//g, '-'));
  mkdirSync(parent, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  for (let i = 0; i < 100; i++) {
    const dir = join(parent, `${stamp}-${mode}${i ? `-${i}` : ''}`);
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
  return (JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as RunStatus).state === 'finished';
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
  if (!RUN_MODES.includes(o.mode)) throw new Error(`runPipeline: mode must be one of ${RUN_MODES.join(', ')}, got '${o.mode}'`);
  if (options.quick !== undefined && options.mode !== undefined && options.quick !== (options.mode === 'quick')) throw new Error(`runPipeline: quick: ${options.quick} contradicts mode '${options.mode}'`);
  const mode: RunMode = options.mode ?? (o.quick ? 'quick' : 'evidence');
  const spec = getPipeline(name);
  let raw = deepMerge(spec.defaults(mode) as Record<string, unknown>, o.config);
  if (o.seeds > 0) raw = { ...raw, seeds: Array.from({ length: o.seeds }, (_, i) => i + 1) };
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`pipeline '${name}' config: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const config = parsed.data;
  if (!(Number.isInteger(o.fitWorkers) && o.fitWorkers >= 1)) throw new Error(`runPipeline: fitWorkers must be a positive integer, got ${o.fitWorkers}`);
  if (o.fitRay !== null && !(typeof o.fitRay === 'string' && o.fitRay.trim())) throw new Error(`runPipeline: fitRay must be a Ray address ('auto' or 'HOST:PORT') or null, got ${JSON.stringify(o.fitRay)}`);
  const seeds = (config as { seeds?: unknown }).seeds;
  if (Array.isArray(seeds)) checkSeeds(seeds as number[], mode, `pipeline '${name}' config: seeds`);
  // Every model config and method name is checked before a run folder exists (as `reclab reproduce` does), so a
  // notebook's runPipeline fails on `hidden: 'big'` or an unknown base at once, not after the first fits.
  checkPipelineModels(name, config);

  const dir = newRunDir(o.out, name, mode);
  const started = new Date().toISOString();
  const status: RunStatus = { state: 'running', started, pid: process.pid, host: hostname(), heartbeat: started };
  const writeStatus = () => writeFileSync(join(dir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
  writeStatus();
  // A heartbeat while the run works, so a run whose process died (kill -9, closed terminal) is seen as dead.
  const heartbeat = setInterval(() => {
    if (status.state !== 'running') return;
    status.heartbeat = new Date().toISOString();
    writeStatus();
  }, HEARTBEAT_MS);
  heartbeat.unref();
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
  process.once('SIGHUP', onSignal); // a closed terminal
  const provenance = collectProvenance();
  const writeMeta = (extra: Record<string, unknown>) =>
    writeFileSync(join(dir, 'meta.json'), `${JSON.stringify({ pipeline: name, paper: spec.paper, title: spec.title, mode, smokeTest: mode === 'quick', seeds: (config as { seeds?: number[] }).seeds ?? null, config, fitWorkers: o.fitWorkers, fitRay: o.fitRay, provenance, ...extra }, null, 2)}\n`);
  writeMeta({ timings, warnings }); // written again at the end with the timings; lets `reclab runs` show a running run's mode and seeds
  log(`reclab: ${name} (${mode}${mode === 'quick' ? `: ${SMOKE_TEST_LABEL}` : ''}) -> ${dir}`);
  log(`backend: ${provenance.backend.name} (${provenance.backend.package} ${provenance.backend.version}; ${provenance.backend.reason})`);
  const t0 = Date.now();
  const where = { pipeline: name, mode, config, permuteTestLabels: o.permuteTestLabels, modules: o.pipelineModules, dir, log };
  const jobs = o.fitRay !== null ? rayFits({ address: o.fitRay, ...where }) : o.fitWorkers === 1 ? SERIAL_JOBS : workerFits({ workers: o.fitWorkers, ...where });
  if (o.fitRay !== null) log(`fits: Ray tasks at ${o.fitRay} (each fit's log under ${join(dir, 'fits')})`);
  else if (o.fitWorkers > 1) log(`fits: up to ${o.fitWorkers} worker processes (each fit's log under ${join(dir, 'fits')})`);
  try {
    // The fit workers (if any) are stopped as soon as the pipeline returns or throws.
    const output = await spec.run(config, {
      fits: jobs.fits,
      shared: jobs.shared,
      mode,
      quick: mode === 'quick',
      holdout: (ds) => (o.permuteTestLabels === null ? ds : ds.withPermutedLabels(new Rng(o.permuteTestLabels))),
      log,
      async stage(stageName, fn) {
        const s = Date.now();
        try {
          return await fn();
        } finally {
          timings[stageName] = (Date.now() - s) / 1000;
        }
      },
    }).finally(() => jobs.close?.());
    timings.total = (Date.now() - t0) / 1000;
    const runId = basename(dir);
    const records: ResultRecord[] = [...output.tables.flatMap((t) => t.records), ...(output.records ?? [])].map((r) => ({ ...r, pipeline: name, run: runId }));
    const verdicts = judgeClaims(restateClaims(spec.claims ?? [], output.claims, name), records);
    const smoke = mode === 'quick' ? `> **${SMOKE_TEST_LABEL}** (quick mode: tiny budgets and few seeds; no verdict below can be trusted)\n\n` : '';
    const skippedText = output.skipped ? `> **skipped**: ${output.skipped}\n` : '';
    const markdown = smoke + skippedText + output.tables.map(tableToMarkdown).join('\n') + (verdicts.length ? `\n${verdictsToMarkdown(verdicts, mode === 'quick' ? SMOKE_TEST_LABEL : undefined)}` : '');
    writeFileSync(join(dir, 'results.csv'), recordsToCsv(records));
    writeFileSync(join(dir, 'verdicts.json'), `${JSON.stringify({ mode, smokeTest: mode === 'quick', verdicts }, null, 2)}\n`);
    writeFileSync(join(dir, 'results.json'), `${JSON.stringify({ pipeline: name, mode, tables: output.tables.map(({ records: _records, ...t }) => t), results: output.results }, null, 2)}\n`);
    writeFileSync(join(dir, 'table.md'), markdown);
    writeFileSync(join(dir, 'table.csv'), output.tables.map(tableToCsv).join('\n'));
    const figDir = join(dir, 'figures');
    try {
      const label = (f: Figure): Figure => (mode === 'quick' ? withSubtitle(f, SMOKE_TEST_LABEL) : f);
      await exportFigures(output.figures.map((f) => ({ fig: label(f.fig), name: f.name })), figDir, { formats: ['html', ...o.figureFormats] });
    } catch (e) {
      if (!(e instanceof ChromiumMissingError)) throw e;
      warnings.push(`figures written as HTML only: ${e.message}`);
      log(`warning: ${e.message}`);
    }
    writeMeta({ timings, warnings });
    status.ended = new Date().toISOString();
    if (output.skipped) {
      status.state = 'skipped';
      status.reason = output.skipped;
      writeStatus();
    } else {
      removeFitResults(dir);
      status.state = 'finished';
      writeStatus();
      writeFileSync(join(dir, 'FINISHED'), `${status.ended}\n`);
    }
    return { pipeline: name, mode, dir, tables: output.tables, records, verdicts, markdown, warnings, ...(output.skipped ? { skipped: output.skipped } : {}) };
  } catch (e) {
    status.state = 'failed';
    status.ended = new Date().toISOString();
    status.error = (e as Error).stack ?? String(e);
    writeStatus();
    throw new Error(`pipeline '${name}' failed (run folder ${dir} marked failed): ${(e as Error).message}`, { cause: e });
  } finally {
    clearInterval(heartbeat);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGHUP', onSignal);
  }
}

/** A copy of a figure whose title carries a second line (e.g. the smoke-test label). */
function withSubtitle(fig: Figure, line: string): Figure {
  const title = fig.layout.title;
  const text = typeof title === 'string' ? title : (title?.text ?? '');
  return { ...fig, layout: { ...fig.layout, title: { ...(typeof title === 'object' ? title : {}), text: `${text}<br><sub>${line}</sub>` } } };
}
