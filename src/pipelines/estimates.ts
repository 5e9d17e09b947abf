/**
 * What each pipeline's evidence run costs on the reference machine (2 cores), and the remaining-time estimate of
 * `reproduce --all` built from it. The mean time of the pipelines finished so far is a poor guide: the first
 * pipelines in the list take minutes, unicdr/main hours, so an ETA of "mean so far × pipelines left" was measured about
 * 8x too low on a fresh-clone `npm start` (README "How long `npm start` takes").
 */

/**
 * Wall minutes of each pipeline's latest whole evidence run as measured here (README "Evidence runs measured here",
 * mostly with 2 fit workers, some beside other work). `unicdr/main` and `unicdr/ablation` are estimates from fits
 * timed at evidence size (never run whole); `mrff/groups` is twice its measured half. Pipelines that need public
 * data files are absent: without the files they are skipped in seconds, with them their cost is unknown.
 * @example
 * EVIDENCE_MINUTES['mrff/main']; // 17.8
 */
export const EVIDENCE_MINUTES: Readonly<Record<string, number>> = Object.freeze({
  'baselines/ctr': 5.6,
  'chorus-cvr/main': 17.8,
  'chorus-cvr/bias-sweep': 21.4,
  'chorus-cvr/ablation': 10.5,
  'chorus-cvr/mechanism': 10.4,
  'farm/main': 11.7,
  'farm/ablation': 24.1,
  'farm/sparsity': 9.1,
  'farm/ab': 6.4,
  'farm/mechanism': 24.4,
  'moment-cross/main': 56.7,
  'moment-cross/ablation': 39.9,
  'moment-cross/search': 23.2,
  'moment-cross/mechanism': 15.5,
  'qarm/main': 55.3,
  'qarm/ab': 46.5,
  'qarm/mechanism': 41.1,
  'gme/main': 22.4,
  'gme/neighbours': 14.5,
  'gme/mechanism': 9.8,
  'minet/main': 11.1,
  'minet/ablation': 22.7,
  'minet/ab': 13.8,
  'minet/mechanism': 30.3,
  'unicdr/main': 240,
  'unicdr/ablation': 156,
  'unicdr/mechanism': 19.4,
  'em3/main': 28.2,
  'em3/ablation': 53.4,
  'em3/mechanism': 83.6,
  'mrff/main': 17.8,
  'mrff/groups': 112,
  'mrff/mechanism': 38.3,
  'fedpa/main': 6,
  'fedpa/ablation': 8.1,
  'fedpa/mechanism': 16.9,
});

/** Where the jobs of a `reproduce` call stand, for {@link remainingSeconds}. */
export interface JobsState {
  /** Expected seconds per pipeline name, or null where unknown (see {@link expectedSeconds}). */
  expected: (name: string) => number | null;
  /** Pipelines that finished (any state), with the seconds they took; 'finished' ones calibrate the estimates. */
  done: Array<{ name: string; seconds: number; finished: boolean }>;
  /** Pipelines running now, with the seconds since they started. */
  running: Array<{ name: string; elapsed: number }>;
  /** Pipelines not started yet. */
  waiting: string[];
  workers: number;
}

/**
 * Expected seconds of a pipeline in a mode: {@link EVIDENCE_MINUTES} in evidence mode, null otherwise or when the
 * pipeline is not listed.
 * @example
 * expectedSeconds('evidence')('fedpa/main'); // 360
 */
export function expectedSeconds(mode: string): (name: string) => number | null {
  return (name) => (mode === 'evidence' && name in EVIDENCE_MINUTES ? EVIDENCE_MINUTES[name] * 60 : null);
}

/**
 * Seconds left for the jobs, or null while nothing has finished. Each pipeline's expected time is scaled by the
 * calibration c = (seconds taken) / (seconds expected) over the pipelines finished so far (this machine and worker
 * count against the reference runs; 1 when none of them had an estimate); a pipeline without an estimate counts as
 * the mean time of the finished ones. Work left = the waiting pipelines' scaled times plus what the running ones
 * still need (never below 0), shared by the workers — but never less than the longest single pipeline left (one
 * pipeline runs in one worker).
 * @example
 * remainingSeconds({ expected: () => 600, done: [{ name: 'a', seconds: 300, finished: true }], running: [], waiting: ['b', 'c'], workers: 2 }); // 300
 */
export function remainingSeconds(s: JobsState): number | null {
  if (!s.done.length) return null;
  const meanDone = s.done.reduce((a, d) => a + d.seconds, 0) / s.done.length;
  let taken = 0;
  let expected = 0;
  for (const d of s.done) {
    const e = s.expected(d.name);
    if (d.finished && e !== null && e > 0) {
      taken += d.seconds;
      expected += e;
    }
  }
  const c = expected > 0 ? taken / expected : 1;
  const cost = (name: string) => {
    const e = s.expected(name);
    return e === null ? meanDone : e * c;
  };
  const each = [...s.waiting.map(cost), ...s.running.map((r) => Math.max(cost(r.name) - r.elapsed, 0))];
  if (!each.length) return 0;
  const total = each.reduce((a, b) => a + b, 0);
  return Math.max(total / Math.max(1, Math.min(s.workers, each.length)), Math.max(...each));
}
