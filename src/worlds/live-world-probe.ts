/**
 * Probes of the live world's mechanism knobs against its truth (tests, pipelines' notes). `spectralProbe` asks whether
 * the order of a behaviour sequence carries information about the truth beyond its mean: the valuable-step indicator
 * x_t (a history step whose action is like, comment, gift or follow) over the last `window` steps of the short-video
 * history (most recent last, zero-padded in front), its real DFT X_k = sum_t x_t e^{-2 pi i k t / W} for
 * k = 0..W/2 (real and imaginary parts), and two ridge regressions of the target on the training rows:
 *   mean probe:     [1, mean(x over the whole history), history length / maxLen]
 *   spectral probe: the mean probe's features + Re X_k, Im X_k for k = 1..W/2
 * scored by R^2 on the test rows. `gain` = R^2(spectral) - R^2(mean). With exchangeable histories (no temporal
 * structure) the spectrum beyond bin 0 predicts nothing and the gain is about 0; with session bursts
 * (`burstStrength` > 0) recent valuable steps reveal the engagement state and the gain is positive.
 * The 'shift-invariant' probe asks what a model blind to where the present is can use: the power |X_k|^2 / n of the
 * whole stored row (length maxLen, k = 1..maxLen/2, n real steps), which a circular shift of the row leaves
 * unchanged — the spectrum FARM sees without recency embeddings (src/models/farm.ts).
 */
import { LIVE_ACTIONS } from './live-world-config.ts';
import type { LiveWorldData } from './live-world.ts';
import type { Dataset } from '../data/dataset.ts';

/** What `spectralProbe` returns: test R^2 of both probes, their difference and the rows used. */
export interface SpectralProbe {
  r2Mean: number;
  r2Spectral: number;
  gain: number;
  trainRows: number;
  testRows: number;
}

/**
 * Which spectrum the probe reads: 'recent' = Re / Im X_k of the last `window` steps (phase kept, the present at a fixed
 * place); 'shift-invariant' = the power of the whole stored row (phase dropped).
 */
export type ProbeSpectrum = 'recent' | 'shift-invariant';

/** Bin k of the DFT of x: [Re X_k, Im X_k] with X_k = sum_t x_t e^{-2 pi i k t / len(x)}. */
function dftBin(x: Float64Array, k: number): [number, number] {
  const W = x.length;
  let re = 0;
  let im = 0;
  for (let t = 0; t < W; t++) {
    re += x[t] * Math.cos((2 * Math.PI * k * t) / W);
    im -= x[t] * Math.sin((2 * Math.PI * k * t) / W);
  }
  return [re, im];
}

/** Features of one dataset's rows: [mean probe features | spectral features]. */
function probeFeatures(ds: Dataset, column: string, window: number, spectrum: ProbeSpectrum): { x: Float64Array[]; width: number; meanWidth: number } {
  if (spectrum === 'shift-invariant') return powerFeatures(ds, column);
  const maxLen = ds.widthOf(column);
  const a = ds.column(column);
  const K = Math.floor(window / 2);
  const out: Float64Array[] = [];
  for (let r = 0; r < ds.size; r++) {
    let n = 0;
    let valuable = 0;
    for (let t = 0; t < maxLen; t++) {
      const v = a[r * maxLen + t];
      if (v === 0) break;
      n++;
      if (v >= LIVE_ACTIONS.like) valuable++;
    }
    const f = new Float64Array(3 + 2 * K);
    f[0] = 1;
    f[1] = n ? valuable / n : 0;
    f[2] = n / maxLen;
    const x = new Float64Array(window); // last `window` steps, most recent last
    for (let j = 0; j < window; j++) {
      const t = n - window + j;
      x[j] = t >= 0 && a[r * maxLen + t] >= LIVE_ACTIONS.like ? 1 : 0;
    }
    for (let k = 1; k <= K; k++) [f[1 + 2 * k], f[2 + 2 * k]] = dftBin(x, k);
    out.push(f);
  }
  return { x: out, width: 3 + 2 * K, meanWidth: 3 };
}

/** [mean probe features | |X_k|^2 / n, k = 1..maxLen/2] of the whole stored row of valuable-step indicators. */
function powerFeatures(ds: Dataset, column: string): { x: Float64Array[]; width: number; meanWidth: number } {
  const L = ds.widthOf(column);
  const a = ds.column(column);
  const K = Math.floor(L / 2);
  const out: Float64Array[] = [];
  const x = new Float64Array(L);
  for (let r = 0; r < ds.size; r++) {
    let n = 0;
    let valuable = 0;
    for (let t = 0; t < L; t++) {
      const v = a[r * L + t];
      if (v !== 0) n++;
      x[t] = v >= LIVE_ACTIONS.like ? 1 : 0;
      valuable += x[t];
    }
    const f = new Float64Array(3 + K);
    f[0] = 1;
    f[1] = n ? valuable / n : 0;
    f[2] = n / L;
    for (let k = 1; k <= K; k++) {
      const [re, im] = dftBin(x, k);
      f[2 + k] = (re * re + im * im) / Math.max(n, 1);
    }
    out.push(f);
  }
  return { x: out, width: 3 + K, meanWidth: 3 };
}

/** Ridge least squares on the first `width` features: returns the weights. */
function ridge(x: Float64Array[], y: ArrayLike<number>, width: number, lambda = 1e-3): Float64Array {
  const A = Array.from({ length: width }, () => new Float64Array(width + 1));
  for (let r = 0; r < x.length; r++) {
    for (let i = 0; i < width; i++) {
      A[i][width] += x[r][i] * y[r];
      for (let j = 0; j < width; j++) A[i][j] += x[r][i] * x[r][j];
    }
  }
  for (let i = 0; i < width; i++) A[i][i] += lambda * x.length;
  for (let i = 0; i < width; i++) { // Gauss-Jordan with partial pivoting
    let p = i;
    for (let k = i + 1; k < width; k++) if (Math.abs(A[k][i]) > Math.abs(A[p][i])) p = k;
    [A[i], A[p]] = [A[p], A[i]];
    for (let k = 0; k < width; k++) {
      if (k === i) continue;
      const f = A[k][i] / A[i][i];
      for (let j = i; j <= width; j++) A[k][j] -= f * A[i][j];
    }
  }
  return Float64Array.from({ length: width }, (_, i) => A[i][width] / A[i][i]);
}

function r2(x: Float64Array[], y: ArrayLike<number>, w: Float64Array): number {
  let mean = 0;
  for (let r = 0; r < x.length; r++) mean += y[r] / x.length;
  let ss = 0;
  let res = 0;
  for (let r = 0; r < x.length; r++) {
    let p = 0;
    for (let i = 0; i < w.length; i++) p += w[i] * x[r][i];
    res += (y[r] - p) ** 2;
    ss += (y[r] - mean) ** 2;
  }
  return 1 - res / ss;
}

/** Options of {@link spectralProbe}; every one has a default. */
export interface SpectralProbeOptions {
  /**
   * A truth array of the world (default 'like_given_click', the valuable behaviour's true probability, regressed as a
   * logit; 'engaged', the hidden engagement state that drives it, and 'popularity' are used as they are).
   */
  target?: string;
  /** The history column whose sequences are probed (default 'hist_sv_action'). */
  column?: string;
  /** Steps of the recent window (default 16). */
  window?: number;
  /** The recent window's spectrum (default 'recent') or the shift-invariant power of the whole row. */
  spectrum?: ProbeSpectrum;
}

/**
 * The spectral probe (see the file header) on the live rows: fitted on the train split, scored on the test split.
 * @example
 * spectralProbe(generateLiveWorld({ ...LIVE_WORLD_SIZES.tiny, burstStrength: 1 })).gain; // > 0
 * spectralProbe(world, { spectrum: 'shift-invariant' }).gain; // about 0: what a position-blind model can use
 */
export function spectralProbe(world: LiveWorldData, options: SpectralProbeOptions = {}): SpectralProbe {
  const { target = 'like_given_click', column = 'hist_sv_action', window = 16, spectrum = 'recent' } = options;
  const yTrain = world.truth.train[target];
  const yTest = world.truth.test[target];
  if (!yTrain || !yTest) throw new Error(`spectralProbe: the world has no truth '${target}' (truth: ${Object.keys(world.truth.train).join(', ')})`);
  if (!(Number.isInteger(window) && window >= 2)) throw new Error(`spectralProbe: window must be an integer >= 2, got ${window}`);
  const logit = (p: Float32Array) => Float64Array.from(p, (v) => Math.log(Math.max(v, 1e-9) / Math.max(1 - v, 1e-9)));
  if (spectrum !== 'recent' && spectrum !== 'shift-invariant') throw new Error(`spectralProbe: spectrum must be recent or shift-invariant, got '${spectrum}'`);
  const tr = probeFeatures(world.train, column, window, spectrum);
  const te = probeFeatures(world.test, column, window, spectrum);
  const raw = target === 'engaged' || target === 'popularity'; // states, not probabilities
  const yt = raw ? Float64Array.from(yTrain) : logit(yTrain);
  const ye = raw ? Float64Array.from(yTest) : logit(yTest);
  const wMean = ridge(tr.x, yt, tr.meanWidth);
  const wSpec = ridge(tr.x, yt, tr.width);
  const r2Mean = r2(te.x, ye, wMean);
  const r2Spectral = r2(te.x, ye, wSpec);
  return { r2Mean, r2Spectral, gain: r2Spectral - r2Mean, trainRows: world.train.size, testRows: world.test.size };
}
