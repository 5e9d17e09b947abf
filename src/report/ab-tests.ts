/**
 * Simulated online A/B lifts, as a pipeline hands them to the report. A pipeline that runs the online A/B simulator
 * puts them in its output's `results.abTests` (the runner writes that into results.json), one entry per metric:
 *
 * ```json
 * { "abTests": [
 *   { "metric": "orders per 1k requests", "experiment": "ChorusCVR vs DCMT", "control": 12.1, "treatment": 12.3,
 *     "liftPct": 1.65, "ciLow": 0.4, "ciHigh": 2.9, "level": 0.95, "requests": 200000 } ] }
 * ```
 *
 * `liftPct` = 100·(treatment − control)/control and `[ciLow, ciHigh]` its confidence interval in percent at `level`
 * (default 0.95). The report draws each lift with its interval and prints the paper's own online numbers (from the
 * registry's `online-*` tables) beside them, as quoted. Runs without `abTests` have no A/B section (baselines/ctr).
 */
import { z } from 'zod';

/** Strict schema of one simulated A/B result. */
export const AbTest = z
  .strictObject({
    /** What was measured (e.g. 'CVR', 'orders per 1k requests'). */
    metric: z.string().min(1),
    /** Optional name of the comparison, e.g. 'ChorusCVR vs DCMT'. */
    experiment: z.string().min(1).optional(),
    /** Metric value in the control and treatment arms. */
    control: z.number().finite(),
    treatment: z.number().finite(),
    /** Relative lift in percent and its confidence interval (percent). */
    liftPct: z.number().finite(),
    ciLow: z.number().finite(),
    ciHigh: z.number().finite(),
    /** Confidence level of the interval; default 0.95. */
    level: z.number().gt(0).lt(1).optional(),
    /** Simulated requests (or users) per arm. */
    requests: z.number().int().positive().optional(),
    note: z.string().min(1).optional(),
  })
  .refine((t) => t.ciLow <= t.liftPct && t.liftPct <= t.ciHigh, { message: 'ciLow <= liftPct <= ciHigh must hold' });
/** One simulated A/B result. */
export type AbTest = z.infer<typeof AbTest>;

/**
 * Reads `results.abTests` of a run's results.json: [] when absent; errors name the entry and field.
 * @example
 * parseAbTests({ abTests: [{ metric: 'CVR', control: 0.1, treatment: 0.102, liftPct: 2, ciLow: 0.5, ciHigh: 3.5 }] });
 * parseAbTests({ perSeed: [] }); // []
 */
export function parseAbTests(results: Record<string, unknown>): AbTest[] {
  if (results.abTests === undefined) return [];
  const parsed = z.array(AbTest).safeParse(results.abTests);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`results.abTests.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
