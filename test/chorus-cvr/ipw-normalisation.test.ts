/**
 * ChorusCVR's IPW normalisation (issue 14): the IPW sums of L_cvr (Eq. 4), L_un (Eq. 9) and L_sam (Eq. 10) are divided
 * by |D| by default (the IPS estimator of a mean over the exposure space, as ESCM2 and DCMT normalise theirs) and by |O|
 * / |N| in the 'per-subset' variant. On a tiny batch the autograd gradients (float32) must equal the closed forms
 * written out here in float64, for both normalisations, and the loss values must equal the hand sums.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { tf } from '../../src/tf.ts';
import { assertClose } from '../helpers/close.ts';
import { CHORUS_CVR_DEFAULTS, chorusCvrLoss, type ChorusCVRConfigInput } from '../../src/models/chorus-cvr.ts';

// Five exposures, two clicked (one converted): |D| = 5, |O| = 2, |N| = 3.
const o = [1, 0, 1, 0, 0];
const y = [1, 0, 0, 0, 0];
const a = [0.4, -2.5, -1.0, 0.2, -3.5]; // ctr logits: propensities 0.60, 0.08, 0.27, 0.55, 0.03
const b = [0.8, -0.6, -1.3, 0.5, -2.0]; // cvr logits
const c = [-0.9, 1.1, 0.7, -0.3, 1.6]; // un logits
const D = o.length;
const O = o.reduce((s, v) => s + v, 0);
const N = D - O;
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const bce = (p: number, t: number) => -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
const w = a.map((x) => 1 / Math.min(1, Math.max(0.01, sig(x))));
const wBar = a.map((x) => 1 / Math.min(1, Math.max(0.01, 1 - sig(x))));

const terms = (on: 'cvr' | 'un' | 'sam', ipwNormalisation?: 'exposure' | 'per-subset'): ChorusCVRConfigInput => ({
  ...(ipwNormalisation ? { ipwNormalisation } : {}),
  terms: { ctr: false, ctcvr: false, cvr: false, ctun: false, un: false, sam: false, [on]: true },
});

/** Loss value and gradients with respect to the three logit vectors. */
function run(cfg: ChorusCVRConfigInput): { value: number; ctr: number[]; cvr: number[]; un: number[] } {
  return tf.tidy(() => {
    const batch = { click: tf.tensor1d(o), conversion: tf.tensor1d(y) };
    const loss = chorusCvrLoss('conversion', cfg);
    // + 0 · Σ(ctr + cvr + un): every input on the tape (a switched-off term leaves its tower without a path), adds nothing.
    const f = (ctr: Tensor, cvr: Tensor, un: Tensor) => tf.add(loss({ ctr, cvr, un }, batch), tf.mul(0, tf.sum(tf.add(tf.add(ctr, cvr), un)))) as Scalar;
    const { value, grads } = tf.valueAndGrads(f)([tf.tensor1d(a), tf.tensor1d(b), tf.tensor1d(c)]);
    const arr = (t: Tensor) => Array.from(t.dataSync());
    return { value: value.dataSync()[0], ctr: arr(grads[0]), cvr: arr(grads[1]), un: arr(grads[2]) };
  });
}
const close = (actual: number[], expected: number[], what: string) => assertClose(actual, expected, { rtol: 1e-4, atol: 1e-7, what });

test("the default is |D| normalisation ('exposure')", () => {
  assert.equal(CHORUS_CVR_DEFAULTS.ipwNormalisation, 'exposure');
  close([run(terms('cvr')).value], [run(terms('cvr', 'exposure')).value], 'default = exposure');
  assert.throws(() => chorusCvrLoss('conversion', { ipwNormalisation: 'clicked' as 'exposure' }), /chorus-cvr config: ipwNormalisation must be 'exposure' or 'per-subset', got 'clicked'/);
});

for (const norm of ['exposure', 'per-subset'] as const) {
  // Divisor of a clicked row's and of an unclicked row's IPW contribution.
  const [dO, dN] = norm === 'exposure' ? [D, D] : [O, N];
  test(`${norm}: L_cvr = Σ o w BCE(p_cvr, r) / ${norm === 'exposure' ? '|D|' : '|O|'}, d/db = o w (p_cvr - r) / divisor, nothing into p_ctr`, () => {
    const r = run(terms('cvr', norm));
    close([r.value], [a.reduce((s, _, i) => s + (o[i] * w[i] * bce(sig(b[i]), y[i])) / dO, 0)], 'L_cvr value');
    close(r.cvr, b.map((x, i) => (o[i] * w[i] * (sig(x) - y[i])) / dO), 'd L_cvr / d cvr');
    assert.ok(r.ctr.every((g) => g === 0), `the propensity is detached: d/d ctr = [${r.ctr.join(', ')}]`);
  });
  test(`${norm}: L_un = Σ o w BCE(p_un, 1 - r) / divisor, d/dc = o w (p_un - (1 - r)) / divisor`, () => {
    const r = run(terms('un', norm));
    close([r.value], [a.reduce((s, _, i) => s + (o[i] * w[i] * bce(sig(c[i]), 1 - y[i])) / dO, 0)], 'L_un value');
    close(r.un, c.map((x, i) => (o[i] * w[i] * (sig(x) - (1 - y[i]))) / dO), 'd L_un / d un');
  });
  test(`${norm}: L_sam, d/db = d/dc = (o w / ${norm === 'exposure' ? '|D|' : '|O|'} + (1 - o) w_bar / ${norm === 'exposure' ? '|D|' : '|N|'}) (p_cvr + p_un - 1)`, () => {
    const r = run(terms('sam', norm));
    const k = a.map((_, i) => (o[i] ? w[i] / dO : wBar[i] / dN) * (sig(b[i]) + sig(c[i]) - 1));
    close(r.cvr, k, 'd L_sam / d cvr');
    close(r.un, k, 'd L_sam / d un');
    const s = a.map((_, i) => bce(sig(b[i]), 1 - sig(c[i])) + bce(sig(c[i]), 1 - sig(b[i])));
    close([r.value], [a.reduce((acc, _, i) => acc + (o[i] ? (w[i] * s[i]) / dO : (wBar[i] * s[i]) / dN), 0)], 'L_sam value');
  });
}

test('per-subset scales the clicked-row IPW gradient by |D| / |O| (1 / CTR: the CVR side outweighs L_ctr)', () => {
  const exposure = run(terms('cvr', 'exposure')).cvr;
  const perSubset = run(terms('cvr', 'per-subset')).cvr;
  o.forEach((oi, i) => {
    if (oi) assert.ok(Math.abs(perSubset[i] / exposure[i] - D / O) < 1e-4, `row ${i}: ratio ${perSubset[i] / exposure[i]} vs ${D / O}`);
    else assert.equal(perSubset[i], 0);
  });
});
