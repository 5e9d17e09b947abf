/**
 * A reproduction is data: a pipeline has a strict config (zod), defaults per run mode (quick smoke test, evidence,
 * paper scale), the paper's claims as data, and a `run` that returns tables (computed from tidy records), figures and
 * extra raw results. The runner (runner.ts) owns folders, provenance, records, verdicts and status markers; pipelines
 * never write files themselves.
 */
import type { ZodType, ZodTypeDef } from 'zod';
import type { ResultTable } from './result-table.ts';
import type { Figure } from '../plots/index.ts';
import type { Claim } from '../evidence/claims.ts';
import type { ResultRecord } from '../evidence/records.ts';
import type { RunMode } from '../evidence/rules.ts';
import type { Dataset } from '../data/dataset.ts';
import type { FitMap, SharedInput } from './fits.ts';

/** What a pipeline's run gets from the runner. */
export interface PipelineContext {
  /** The run mode; `quick` is `mode === 'quick'` (a smoke test). */
  mode: RunMode;
  quick: boolean;
  /** Adds a named, timed stage to the run's metadata and returns fn's result. */
  stage<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /** A line for the user (printed, and kept in the run's log). */
  log(message: string): void;
  /**
   * Marks a dataset as the held-out test split: returns it unchanged, except in the runner's selection audit
   * (`permuteTestLabels`), where its labels come back permuted. Pipelines pass every test split through it, so a test
   * can check that model selection (early stopping, chosen epochs, bases) rests on validation only.
   */
  holdout(ds: Dataset): Dataset;
  /**
   * Runs independent fits and returns their results in item order: serially here, or in the run's fit workers (child
   * processes) — see src/pipelines/fits.ts for the contract a fit keeps (it depends only on its item and on what was
   * built before the call; its result survives structured cloning).
   * @example
   * const fits = await ctx.fits('main', grid, (g) => fitOne(g), (g) => `${g.method} seed ${g.seed}`);
   */
  fits: FitMap;
  /**
   * A costly input that later fits share (a pre-trained encoder, mined pairs): `build()` runs once, in this process.
   * With fit workers, the value goes to a file and the workers read it when they replay the pipeline, instead of
   * building it again; so it must survive structured cloning (plain data and typed arrays). Serially it is `build()`.
   * Call it from the pipeline's own code, never inside a fit.
   * @example
   * const prep = await ctx.shared('stage A', () => pretrainEncoder(world));
   */
  shared: SharedInput;
}

/** What a pipeline's run returns. */
export interface PipelineOutput {
  tables: ResultTable[];
  /** Figures by file-safe name. */
  figures: Array<{ name: string; fig: Figure }>;
  /**
   * Anything worth keeping that is not a measured number (world config, curves, A/B lifts; JSON-serialisable).
   * Measured numbers belong in records: the tables' records, plus `records` below.
   */
  results: Record<string, unknown>;
  /** Records not shown in any table (e.g. per-task numbers behind a summary); pipeline and run are filled in. */
  records?: ResultRecord[];
  /**
   * Declared claims as this run's config states them (a mechanism sweep run with other knob values or methods says
   * "grows from 0 to 1", not the declared "0 to 1.5"): each replaces the declared claim with its id, and is judged
   * instead of it. An id the pipeline does not declare is an error.
   */
  claims?: Claim[];
  /** Set when the run could not happen (e.g. a public data set is absent): why, and how to fix it. */
  skipped?: string;
}

/** A registered reproduction. */
export interface PipelineSpec<C = unknown> {
  /** Name used on the command line, e.g. 'baselines/ctr'. */
  name: string;
  /** Paper or family the section belongs to. */
  paper: string;
  title: string;
  description: string;
  /** Strict schema of the config (unknown keys are errors). */
  schema: ZodType<C, ZodTypeDef, unknown>;
  /** Defaults per run mode: quick (a smoke test, minutes), evidence (sized for this machine), paper (the paper's sizes). */
  defaults(mode: RunMode): C;
  /** The paper's claims, judged on every run from its records (src/evidence/claims.ts). */
  claims?: Claim[];
  run(config: C, ctx: PipelineContext): Promise<PipelineOutput>;
}

const PIPELINES = new Map<string, PipelineSpec<unknown>>();

/**
 * Registers a pipeline; a duplicate name is an error.
 * @example
 * registerPipeline(ctrBaselinesPipeline);
 */
export function registerPipeline<C>(p: PipelineSpec<C>): void {
  if (PIPELINES.has(p.name)) throw new Error(`pipeline '${p.name}' is already registered`);
  PIPELINES.set(p.name, p as unknown as PipelineSpec<unknown>);
}

/** Looks a pipeline up; unknown names list the registered ones. */
export function getPipeline(name: string): PipelineSpec<unknown> {
  const p = PIPELINES.get(name);
  if (!p) throw new Error(`unknown pipeline '${name}' (registered: ${[...PIPELINES.keys()].join(', ') || 'none'})`);
  return p;
}

/** All registered pipelines. */
export function listPipelines(): PipelineSpec<unknown>[] {
  return [...PIPELINES.values()];
}
