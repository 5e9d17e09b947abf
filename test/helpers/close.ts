/**
 * Our own array comparator for tests (tfjs's expectArraysClose is absolute-only and treats any two non-finite values
 * as equal): |a - e| <= atol + rtol |e| elementwise; a non-finite value must match exactly. Fails with the worst index.
 */
import assert from 'node:assert/strict';

/** Asserts `actual` is close to `expected` elementwise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: { rtol?: number; atol?: number; what?: string } = {}): void {
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-6;
  const what = opts.what ?? 'array';
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != expected ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (!Object.is(a, e)) assert.fail(`${what}[${i}]: expected ${e}, got ${a}`);
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) assert.fail(`${what}[${worst}]: expected ${expected[worst]}, got ${actual[worst]} (rtol ${rtol}, atol ${atol})`);
}
