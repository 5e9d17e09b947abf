/**
 * Client-level differential privacy (DP-FedAvg, McMahan et al., ICLR 2018): each participant's update (the change of
 * every parameter it uploads) is clipped to L2 norm S, the server adds N(0, sigma^2 S^2) to the sum of clipped updates
 * and divides by the expected number of participants q N. Participants are Poisson-sampled with rate q.
 *
 * Accountant: Rényi DP of the sampled Gaussian mechanism for integer orders alpha (Mironov, Talwar & Zhang 2019,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", Sec. 3.3):
 *   A_alpha = sum_{k=0..alpha} C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2)),
 *   eps_RDP(alpha) = log(A_alpha) / (alpha - 1)          (q = 1: alpha / (2 sigma^2)),
 * composed over T rounds by addition, and converted with eps = min_alpha T eps_RDP(alpha) + log(1/delta) / (alpha - 1)
 * (Mironov 2017, Prop. 3). The guarantee is per user (a client's whole upload is one record). Not protected: who took
 * part, and the group / routing choices the engine counts in the clear.
 */

/** DP switch and its knobs. */
export interface DpConfig {
  /** Clipping norm S of a client's update. */
  clip: number;
  /** Noise multiplier sigma (noise std = sigma S on the sum). */
  noiseMultiplier: number;
  /** delta of the reported (epsilon, delta). */
  delta: number;
}

/** Orders alpha the accountant minimises over. */
export const RDP_ORDERS: readonly number[] = [2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 256];

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/**
 * RDP epsilon of one round of the sampled Gaussian mechanism at integer order alpha (formula in the module doc).
 * @example
 * rdpSampledGaussian(1, 1, 2); // 1 (= alpha / (2 sigma^2))
 */
export function rdpSampledGaussian(q: number, sigma: number, alpha: number): number {
  if (!Number.isInteger(alpha) || alpha < 2) throw new Error(`rdpSampledGaussian: alpha must be an integer >= 2, got ${alpha}`);
  if (!(q > 0 && q <= 1)) throw new Error(`rdpSampledGaussian: q must be in (0, 1], got ${q}`);
  if (!(sigma > 0)) throw new Error(`rdpSampledGaussian: sigma must be > 0, got ${sigma}`);
  if (q === 1) return alpha / (2 * sigma * sigma);
  let logA = -Infinity;
  let logBinom = 0; // log C(alpha, k)
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinom += Math.log(alpha - k + 1) - Math.log(k);
    const term = logBinom + (alpha - k) * Math.log1p(-q) + k * Math.log(q) + (k * k - k) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA / (alpha - 1);
}

/**
 * (epsilon, best order) after `rounds` rounds with sampling rate q and noise multiplier sigma.
 * @example
 * dpEpsilon({ q: 0.1, sigma: 1.0, rounds: 100, delta: 1e-5 }); // { epsilon: ~..., alpha: ... }
 */
export function dpEpsilon(args: { q: number; sigma: number; rounds: number; delta: number }): { epsilon: number; alpha: number } {
  const { q, sigma, rounds, delta } = args;
  if (!(delta > 0 && delta < 1)) throw new Error(`dpEpsilon: delta must be in (0, 1), got ${delta}`);
  let best = { epsilon: Infinity, alpha: RDP_ORDERS[0] };
  if (rounds <= 0) return { epsilon: 0, alpha: RDP_ORDERS[0] };
  for (const alpha of RDP_ORDERS) {
    const eps = rounds * rdpSampledGaussian(q, sigma, alpha) + Math.log(1 / delta) / (alpha - 1);
    if (eps < best.epsilon) best = { epsilon: eps, alpha };
  }
  return best;
}
