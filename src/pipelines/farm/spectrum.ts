/**
 * The frequency spectrum of behaviour sequences (FARM's premise, spec farm.md §2): a user's behaviour-type sequence
 * x_t (the action id of each step: 1 click, 2 effective view, 3 like, 4 comment, 5 gift, 6 follow; 0 padding) is a
 * signal along time; its normalised power spectrum |X_k|^2 / sum_k |X_k|^2 (rfft through `RealDFT`) is averaged over
 * users WITH at least one rare behaviour (like and above) in the sequence and users WITHOUT. Rare behaviours are
 * spikes, so they should move energy from the low bins (k < K_low, the dense part) to the high ones. Uses each
 * user's last row of a part (their longest history there).
 */
import { tf } from '../../tf.ts';
import type { Dataset } from '../../data/dataset.ts';
import { RealDFT } from '../../layers/dft.ts';
import { lineChart } from '../../plots/index.ts';

/** What `behaviourSpectrum` returns. */
export interface BehaviourSpectrum {
  column: string;
  kLow: number;
  /** Mean normalised energy per bin k = 0 .. K-1, per group. */
  withRare: number[];
  withoutRare: number[];
  users: { withRare: number; withoutRare: number };
  /** Mean share of energy in bins k >= kLow, per group. */
  highShare: { withRare: number; withoutRare: number };
}

/**
 * The mean normalised spectra of users with and without rare behaviours in `column` (a behaviour-type sequence).
 * @example
 * const s = behaviourSpectrum(world.train, 'hist_sv_action'); s.highShare.withRare > s.highShare.withoutRare;
 */
export function behaviourSpectrum(ds: Dataset, column: string, options: { kLow?: number; rareFrom?: number; minLength?: number } = {}): BehaviourSpectrum {
  const kLow = options.kLow ?? 3;
  const rareFrom = options.rareFrom ?? 3;
  const minLength = options.minLength ?? 4;
  const f = ds.schema.features.find((x) => x.name === column);
  if (!f || f.kind !== 'sequence') throw new Error(`behaviourSpectrum: '${column}' is not a sequence feature`);
  const L = f.maxLen;
  const users = ds.column(ds.schema.userId ?? 'user_id');
  const last = new Map<number, number>();
  for (let i = 0; i < ds.size; i++) last.set(users[i], i);
  const seq = ds.column(column) as Int32Array;
  const rows: number[] = [];
  const rare: boolean[] = [];
  for (const r of last.values()) {
    const s = seq.subarray(r * L, (r + 1) * L);
    let len = 0;
    while (len < L && s[len] !== 0) len++;
    if (len < minLength) continue;
    rows.push(r);
    rare.push(s.subarray(0, len).some((a) => a >= rareFrom));
  }
  if (!rows.length) throw new Error(`behaviourSpectrum: no user has a '${column}' history of at least ${minLength} steps`);
  const dft = new RealDFT(L);
  const energy = tf.tidy(() => {
    const x = tf.tensor3d(Float32Array.from(rows.flatMap((r) => Array.from(seq.subarray(r * L, (r + 1) * L)))), [rows.length, L, 1]); // (U, L, 1)
    const e = dft.energy(x); // (U, K)
    return tf.div(e, tf.maximum(tf.sum(e, 1, true), 1e-12)).arraySync() as number[][]; // normalised per user
  });
  dft.dispose();
  const K = dft.bins;
  const mean = (flag: boolean) => {
    const sel = energy.filter((_, i) => rare[i] === flag);
    return Array.from({ length: K }, (_, k) => sel.reduce((s, e) => s + e[k], 0) / Math.max(sel.length, 1));
  };
  const withRare = mean(true);
  const withoutRare = mean(false);
  const high = (e: number[]) => e.slice(kLow).reduce((a, b) => a + b, 0);
  return {
    column, kLow, withRare, withoutRare,
    users: { withRare: rare.filter(Boolean).length, withoutRare: rare.filter((x) => !x).length },
    highShare: { withRare: high(withRare), withoutRare: high(withoutRare) },
  };
}

/**
 * Line chart of the two mean spectra (log-free, normalised energy per frequency bin), with the low/high cut marked.
 * @example
 * spectrumFigure(behaviourSpectrum(world.train, 'hist_sv_action'));
 */
export function spectrumFigure(s: BehaviourSpectrum): ReturnType<typeof lineChart> {
  const x = s.withRare.map((_, k) => k);
  return lineChart(
    [
      { name: `with rare behaviours (${s.users.withRare} users; high-frequency share ${(100 * s.highShare.withRare).toFixed(1)}%)`, x, y: s.withRare },
      { name: `without (${s.users.withoutRare} users; high-frequency share ${(100 * s.highShare.withoutRare).toFixed(1)}%)`, x, y: s.withoutRare },
    ],
    { title: `Spectrum of ${s.column} (bins k < ${s.kLow} are "low")`, xTitle: 'frequency bin k', yTitle: 'mean normalised energy', yRange: 'zero' },
  );
}
