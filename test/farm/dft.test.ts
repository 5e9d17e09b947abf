/**
 * RealDFT (src/layers/dft.ts) against numpy: rfft, irfft and the low-pass part to 1e-5 on the fixtures written by
 * test/farm/dft_reference.py; irfft(rfft(x)) round-trips; gradients flow (closed form: d sum(Re X) / dx_t =
 * sum_k cos(2 pi k t / L)); the low-pass matrix is a projection; no tensor leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf } from '../../src/tf.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { RealDFT, lowPassMatrix, rdftBases, rfftBins } from '../../src/layers/dft.ts';
import { assertClose } from '../helpers/close.ts';

interface Case { L: number; B: number; D: number; kLow: number; x: number[]; re: number[]; im: number[]; specRe: number[]; specIm: number[]; inverse: number[]; low: number[] }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/dft.json', import.meta.url), 'utf8')) as { cases: Case[] };
const TOL = { rtol: 1e-5, atol: 1e-5 };

for (const c of fixture.cases) {
  test(`RealDFT L=${c.L} B=${c.B} D=${c.D}: rfft, irfft and low-pass (kLow=${c.kLow}) match numpy to 1e-5`, () => {
    const before = tf.memory().numTensors;
    const dft = new RealDFT(c.L);
    const K = rfftBins(c.L);
    assert.equal(dft.bins, K);
    tf.tidy(() => {
      const x = tf.tensor3d(c.x, [c.B, c.L, c.D]);
      const { re, im } = dft.forward(x);
      assert.deepEqual(re.shape, [c.B, K, c.D]);
      assertClose(re.dataSync(), c.re, { ...TOL, what: 're' });
      assertClose(im.dataSync(), c.im, { ...TOL, what: 'im' });
      const inv = dft.inverse(tf.tensor3d(c.specRe, [c.B, K, c.D]), tf.tensor3d(c.specIm, [c.B, K, c.D]));
      assertClose(inv.dataSync(), c.inverse, { ...TOL, what: 'irfft' });
      assertClose(dft.inverse(re, im).dataSync(), c.x, { ...TOL, what: 'irfft(rfft(x))' });
      assertClose(dft.lowPass(x, c.kLow).dataSync(), c.low, { ...TOL, what: 'low-pass' });
    });
    dft.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });
}

test('RealDFT: the gradient of sum(Re X) is sum_k cos(2 pi k t / L) (closed form)', () => {
  const L = 7;
  const dft = new RealDFT(L);
  const { cos } = rdftBases(L);
  const expected = Array.from({ length: L }, (_, t) => {
    let s = 0;
    for (let k = 0; k < rfftBins(L); k++) s += cos[k * L + t];
    return s;
  });
  tf.tidy(() => {
    const g = tf.grad((x: Tensor) => tf.sum(dft.forward(x).re))(tf.randomNormal([1, L, 1]));
    assertClose(g.dataSync(), expected, { rtol: 1e-5, atol: 1e-6, what: 'grad' });
  });
  dft.dispose();
});

test('lowPassMatrix: idempotent projection; kLow = 1 is the mean, kLow >= K is the identity; bad arguments are errors', () => {
  const L = 9;
  const P = lowPassMatrix(L, 3);
  const PP = new Float64Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) for (let k = 0; k < L; k++) PP[i * L + j] += P[i * L + k] * P[k * L + j];
  assertClose(PP, P, { atol: 1e-12, what: 'P P' });
  assertClose(lowPassMatrix(L, 1), new Array(L * L).fill(1 / L), { atol: 1e-12, what: 'mean' });
  assertClose(lowPassMatrix(L, 99), Array.from({ length: L * L }, (_, i) => (i % (L + 1) === 0 ? 1 : 0)), { atol: 1e-12, what: 'identity' });
  assert.throws(() => lowPassMatrix(L, -1), /kLow must be a non-negative integer, got -1/);
  assert.throws(() => new RealDFT(0), /RealDFT: length must be a positive integer, got 0/);
  const dft = new RealDFT(4);
  assert.throws(() => tf.tidy(() => dft.forward(tf.zeros([2, 5, 3]))), /RealDFT\(4\)\.forward: expected \(B, 4, D\), got \(2, 5, 3\)/);
  dft.dispose();
});

test('RealDFT built and used inside tf.tidy keeps its bases and its cached low-pass matrix', () => {
  let built: RealDFT | null = null;
  tf.tidy(() => {
    built = new RealDFT(6);
  });
  const dft = built as unknown as RealDFT;
  tf.tidy(() => dft.lowPass(tf.ones([1, 6, 2]), 2));
  const low = tf.tidy(() => dft.lowPass(tf.ones([1, 6, 2]), 2).arraySync() as number[][][]);
  assertClose(low.flat(2), new Array(12).fill(1), { atol: 1e-6, what: 'constant signal is all low frequency' });
  dft.dispose();
});
