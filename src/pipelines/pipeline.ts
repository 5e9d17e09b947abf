/**
 * A reproduction is data: a pipeline has a strict config (zod), quick and full defaults, and a `run` that returns
 * tables, figures and raw per-seed results. The runner (runner.ts) owns folders, provenance and status markers;
 * pipelines never write files themselves.
 */
import type { ZodType, ZodTypeDef } from 'zod';
import type { ResultTable } from './result-table.ts';
import type { Figure } from '../plots/index.ts';

/** What a pipeline's run gets from the runner. */
export interface PipelineContext {
  quick: boolean;
  /** Adds a named, timed stage to the run's metadata and returns fn's result. */
  stage<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /** A line for the user (printed, and kept in the run's log). */
  log(message: string): void;
}

/** What a pipeline's run returns. */
export interface PipelineOutput {
  tables: ResultTable[];
  /** Figures by file-safe name. */
  figures: Array<{ name: string; fig: Figure }>;
  /** Every seed's raw numbers and anything else worth keeping (JSON-serialisable). */
  results: Record<string, unknown>;
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
  /** Defaults for quick mode (CI-sized, minutes) or full mode. */
  defaults(quick: boolean): C;
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
