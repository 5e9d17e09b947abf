/**
 * Seeded pseudo-random numbers for worlds, initialisers and shuffling. Everything random in reclab draws from an
 * `Rng` built from an explicit seed, so a run is reproducible from the seeds in its metadata.
 */

/**
 * A small, fast seeded generator (SplitMix32 state step, Mulberry32 output). Not cryptographic.
 * @example
 * const rng = new Rng(42);
 * rng.uniform(); // in [0, 1)
 * rng.int(10);   // in {0..9}
 */
export class Rng {
  private state: number;
  private spareNormal: number | null = null;

  /** @param seed any finite number; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform float in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal draw (Box-Muller, the second value cached). */
  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Bernoulli draw with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let r = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** In-place Fisher-Yates shuffle; returns the same array. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A child generator with an independent stream, for handing to a sub-component. */
  fork(): Rng {
    return new Rng(this.int(2 ** 31));
  }

  /** Current state, for checkpoints. */
  getState(): number {
    return this.state;
  }

  /** Restore a state from `getState()`. */
  setState(s: number): void {
    this.state = s >>> 0;
    this.spareNormal = null;
  }
}
