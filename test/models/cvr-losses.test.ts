/**
 * Closed-form gradient tests of every entire-space CVR loss term (naive CVR, Shared-Bottom, ESMM, ESCM2-IPS/DR, DCMT,
 * ChorusCVR incl. both readings of Eq. 10), taken with respect to the logits the towers output. The expected
 * gradients are written out by hand in float64 below; tfjs's autograd (float32) must match them with rtol 1e-4.
 * Stop-gradients are checked as exact zeros (no gradient reaches the propensity), and the IPS / DR / DCMT / ChorusCVR
 * losses stay finite for propensities near 0 and 1 (pCTR logits of -30 and +30) thanks to the clip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { tf } from '../../src/tf.ts';
import { assertClose } from '../helpers/close.ts';
import {
  bceOnProbs, clickedCvrTerm, ctcvrTerm, ctrTerm, inversePropensity, maskedMean, stopGradient, PROPENSITY_CLIP_DEFAULT,
} from '../../src/train/cvr-losses.ts';
import { naiveCvrLoss } from '../../src/models/naive-cvr.ts';
import { sharedBottomLoss } from '../../src/models/shared-bottom.ts';
import { esmmLoss } from '../../src/models/esmm.ts';
import { escm2Loss, escm2IpsSpec, escm2DrSpec, type ESCM2Config } from '../../src/models/escm2.ts';
import { dcmtLoss, type DCMTConfig } from '../../src/models/dcmt.ts';
import { chorusCvrLoss, resolveChorusCvrConfig, type ChorusCVRConfigInput, type ChorusTerms } from '../../src/models/chorus-cvr.ts';
import type { LossFn } from '../../src/models/model.ts';
import { Rng } from '../../src/random.ts';

// ---------------------------------------------------------------------------------------------------------------
// A batch of 8 exposures: clicks o, conversions y = o·r (0 where o = 0), and logits of every tower.
const o = [1, 1, 1, 0, 0, 0, 0, 1];
const y = [1, 0, 1, 0, 0, 0, 0, 0];
const A = [0.3, -1.2, 2.0, -0.5, -2.2, 0.8, -3.0, 1.1]; // ctr logits
const Bl = [0.5, -0.7, 1.4, -1.0, 0.2, -2.0, 0.9, -0.3]; // cvr logits
const C = [-0.4, 1.3, -1.1, 0.6, 1.8, -0.2, 0.1, 0.7]; // third tower (un / cvrCounterfactual / imputation)
const n = o.length;
const nO = o.reduce((s, v) => s + v, 0);
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const clip = (p: number) => Math.min(Math.max(p, PROPENSITY_CLIP_DEFAULT[0]), PROPENSITY_CLIP_DEFAULT[1]);
const w = A.map((a) => 1 / clip(sig(a))); // 1 / clip(p_ctr)
const wBar = A.map((a) => 1 / clip(1 - sig(a))); // 1 / clip(1 - p_ctr)
const bce = (p: number, t: number) => -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
const zeros = () => new Array<number>(n).fill(0);
/** d/da and d/db of BCE(sigmoid(a) sigmoid(b), t): (q - t)(1 - sigmoid(x)) / (1 - q). */
const productGrad = (a: number, b: number, t: number) => {
  const q = sig(a) * sig(b);
  return { da: ((q - t) * (1 - sig(a))) / (1 - q), db: ((q - t) * (1 - sig(b))) / (1 - q) };
};

/**
 * Gradients of `loss` with respect to the logit outputs in `wrt` (default: all of `names`), by autograd; the other
 * outputs are fed as constants. Towers 'ctr' and 'cvr' read A and Bl, any third tower reads C.
 */
function gradsOf(loss: LossFn, names: string[], logits: Record<string, number[]> = { ctr: A, cvr: Bl, third: C }, wrt: string[] = names): Record<string, number[]> {
  return tf.tidy(() => {
    const value = (k: string) => tf.tensor1d(logits[k === 'ctr' || k === 'cvr' ? k : 'third'] ?? C);
    const batch = { click: tf.tensor1d(o), conversion: tf.tensor1d(y) };
    const fixed = Object.fromEntries(names.filter((k) => !wrt.includes(k)).map((k) => [k, value(k)]));
    const f = (...ts: Tensor[]) => loss({ ...fixed, ...Object.fromEntries(wrt.map((k, i) => [k, ts[i]])) }, batch);
    const gs = tf.grads(f)(wrt.map(value));
    return Object.fromEntries(wrt.map((k, i) => [k, Array.from(gs[i].dataSync())]));
  });
}
function lossValue(loss: LossFn, out: Record<string, number[]>): number {
  return tf.tidy(() => loss(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, tf.tensor1d(v)])), { click: tf.tensor1d(o), conversion: tf.tensor1d(y) }).dataSync()[0]);
}
const close = (actual: number[], expected: number[], what: string) => assertClose(actual, expected, { rtol: 1e-4, atol: 1e-7, what });
const exactZero = (g: number[], what: string) => assert.ok(g.every((v) => v === 0), `${what}: expected no gradient, got [${g.join(', ')}]`);

// ---------------------------------------------------------------------------------------------------------------
test('pieces: BCE on clamped probabilities, per-subset mean, stop-gradient, clipped inverse propensity', () => {
  tf.tidy(() => {
    // The clamp is in float32: 1 - 1e-7 rounds to 1 - 2^-23.
    close(Array.from(bceOnProbs(tf.tensor1d([0.5, 0.9, 0, 1]), tf.tensor1d([1, 0, 0, 0])).dataSync()), [Math.LN2, -Math.log(0.1), -Math.log(1 - 1e-7), -Math.log(1 - Math.fround(1 - 1e-7))], 'bce');
    assert.equal(maskedMean(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 1])).dataSync()[0], 2);
    assert.equal(maskedMean(tf.tensor1d([1, 2]), tf.tensor1d([0, 0])).dataSync()[0], 0, 'an empty subset gives 0');
    const g = tf.grad((x: Tensor) => tf.sum(tf.mul(stopGradient(x), x)))(tf.tensor1d([3, -2]));
    assert.deepEqual(Array.from(g.dataSync()), [3, -2], 'd/dx sg(x) x = sg(x)');
    const ip = tf.grad((a: Tensor) => tf.sum(inversePropensity(tf.sigmoid(a))))(tf.tensor1d([-30, 0, 30]));
    exactZero(Array.from(ip.dataSync()), 'inversePropensity');
    close(Array.from(inversePropensity(tf.sigmoid(tf.tensor1d([-30, 0, 30]))).dataSync()), [100, 2, 1], 'weights clipped at 1/0.01');
  });
});

test('L_ctr, L_cvr on O, L_ctcvr: d/da = (p - o)/B; d/db = o (p - r)/|O|; product BCE (q - t)(1 - p)/(1 - q)/B', () => {
  const g = tf.tidy(() => {
    const [a, b] = [tf.tensor1d(A), tf.tensor1d(Bl)];
    const [ot, yt] = [tf.tensor1d(o), tf.tensor1d(y)];
    return {
      ctr: Array.from(tf.grad((x: Tensor) => ctrTerm(x, ot))(a).dataSync()),
      cvrO: Array.from(tf.grad((x: Tensor) => clickedCvrTerm(x, yt, ot))(b).dataSync()),
      ctcvr: tf.grads((x: Tensor, z: Tensor) => ctcvrTerm(x, z, yt))([a, b]).map((t) => Array.from(t.dataSync())),
    };
  });
  close(g.ctr, A.map((a, i) => (sig(a) - o[i]) / n), 'L_ctr');
  close(g.cvrO, Bl.map((b, i) => (o[i] * (sig(b) - y[i])) / nO), 'L_cvr^O');
  close(g.ctcvr[0], A.map((a, i) => productGrad(a, Bl[i], y[i]).da / n), 'L_ctcvr d/da');
  close(g.ctcvr[1], A.map((a, i) => productGrad(a, Bl[i], y[i]).db / n), 'L_ctcvr d/db');
});

test('naive CVR and Shared-Bottom: L_ctr + L_cvr^O; ESMM: L_ctr + L_ctcvr (CVR only through the product)', () => {
  for (const loss of [naiveCvrLoss('conversion'), sharedBottomLoss('conversion')]) {
    const g = gradsOf(loss, ['ctr', 'cvr']);
    close(g.ctr, A.map((a, i) => (sig(a) - o[i]) / n), 'ctr');
    close(g.cvr, Bl.map((b, i) => (o[i] * (sig(b) - y[i])) / nO), 'cvr');
  }
  const g = gradsOf(esmmLoss('conversion'), ['ctr', 'cvr']);
  close(g.ctr, A.map((a, i) => (sig(a) - o[i] + productGrad(a, Bl[i], y[i]).da) / n), 'esmm ctr');
  close(g.cvr, A.map((a, i) => productGrad(a, Bl[i], y[i]).db / n), 'esmm cvr');
  const value = lossValue(esmmLoss('conversion'), { ctr: A, cvr: Bl });
  const expected = A.reduce((s, a, i) => s + bce(sig(a), o[i]) + bce(sig(a) * sig(Bl[i]), y[i]), 0) / n;
  assert.ok(Math.abs(value - expected) < 1e-5, `esmm value ${value} vs ${expected}`);
});

test('ESCM2-IPS: d/db = lambdaC o w (p - r)/B; no gradient flows into the propensity', () => {
  const cfg: Partial<ESCM2Config> = { variant: 'ips', ctcvrWeight: 0, counterfactualWeight: 0.7 };
  const g = gradsOf(escm2Loss('conversion', cfg), ['ctr', 'cvr']);
  close(g.cvr, Bl.map((b, i) => (0.7 * o[i] * w[i] * (sig(b) - y[i])) / n), 'ips cvr');
  close(g.ctr, A.map((a, i) => (sig(a) - o[i]) / n), 'ips ctr: only L_ctr, the IPS weight is detached');
  const full = gradsOf(escm2Loss('conversion', { variant: 'ips' }), ['ctr', 'cvr']);
  close(full.cvr, Bl.map((b, i) => (0.5 * productGrad(A[i], b, y[i]).db + 0.5 * o[i] * w[i] * (sig(b) - y[i])) / n), 'ips + ctcvr, default weights 0.5');
});

test('ESCM2-DR: d/db = [(p - r~) + o w (r~ - r)]/B; imputation d/dd = 2 o w (e - e^) b r~(1 - r~)/B', () => {
  const cfg: Partial<ESCM2Config> = { variant: 'dr', ctcvrWeight: 0, counterfactualWeight: 1, imputationWeight: 1 };
  const g = gradsOf(escm2Loss('conversion', cfg), ['ctr', 'cvr', 'imputation']);
  const rT = C.map(sig);
  close(g.cvr, Bl.map((b, i) => (sig(b) - rT[i] + o[i] * w[i] * (rT[i] - y[i])) / n), 'dr cvr');
  const e = Bl.map((b, i) => bce(sig(b), y[i]));
  const eHat = Bl.map((b, i) => bce(sig(b), rT[i]));
  close(g.imputation, Bl.map((b, i) => (2 * o[i] * w[i] * (e[i] - eHat[i]) * b * rT[i] * (1 - rT[i])) / n), 'dr imputation');
  close(g.ctr, A.map((a, i) => (sig(a) - o[i]) / n), 'dr ctr: propensity detached');
  assert.throws(() => gradsOf(escm2Loss('conversion', cfg), ['ctr', 'cvr']), /variant 'dr' needs the model's 'imputation' output/);
});

test('DCMT: factual IPW on O, counterfactual (label 1 - r) on N weighted by 1/(1 - p_ctr), L1 prior', () => {
  const cfg: Partial<DCMTConfig> = { constraintWeight: 0.3 };
  const g = gradsOf(dcmtLoss('conversion', cfg), ['ctr', 'cvr', 'cvrCounterfactual']);
  const sgn = Bl.map((b, i) => Math.sign(sig(b) + sig(C[i]) - 1));
  close(g.cvr, Bl.map((b, i) => (o[i] * w[i] * (sig(b) - y[i]) + 0.3 * sgn[i] * sig(b) * (1 - sig(b))) / n), 'dcmt factual');
  close(g.cvrCounterfactual, C.map((c, i) => ((1 - o[i]) * wBar[i] * (sig(c) - (1 - y[i])) + 0.3 * sgn[i] * sig(c) * (1 - sig(c))) / n), 'dcmt counterfactual');
  close(g.ctr, A.map((a, i) => (sig(a) - o[i]) / n), 'dcmt ctr: propensities detached');
  const withCtcvr = gradsOf(dcmtLoss('conversion', { ...cfg, ctcvrWeight: 2 }), ['ctr', 'cvr', 'cvrCounterfactual']);
  close(withCtcvr.ctr, A.map((a, i) => (sig(a) - o[i] + 2 * productGrad(a, Bl[i], y[i]).da) / n), 'dcmt + ctcvr');
});

// ChorusCVR: each term alone, then the weighted sum.
const only = (term: keyof ChorusTerms, extra: ChorusCVRConfigInput = {}): ChorusCVRConfigInput => ({
  ...extra,
  terms: { ctr: false, ctcvr: false, cvr: false, ctun: false, un: false, sam: false, [term]: true },
});
const chorus = (cfg: ChorusCVRConfigInput, wrt = ['ctr', 'cvr', 'un']) => gradsOf(chorusCvrLoss('conversion', cfg), ['ctr', 'cvr', 'un'], undefined, wrt);

test('ChorusCVR L_cvr (Eq. 4) and L_un (Eq. 9): IPW on O normalised by |D| (the default), propensity detached', () => {
  const cvr = chorus(only('cvr'), ['ctr', 'cvr']);
  close(cvr.cvr, Bl.map((b, i) => (o[i] * w[i] * (sig(b) - y[i])) / n), 'L_cvr');
  exactZero(cvr.ctr, 'L_cvr -> ctr');
  const un = chorus(only('un'), ['ctr', 'un']);
  close(un.un, C.map((c, i) => (o[i] * w[i] * (sig(c) - (1 - y[i]))) / n), 'L_un');
  exactZero(un.ctr, 'L_un -> ctr');
});

test('ChorusCVR L_ctr, L_ctcvr (Eq. 3) and L_ctun (Eq. 7) on D: products of probabilities', () => {
  close(chorus(only('ctr'), ['ctr']).ctr, A.map((a, i) => (sig(a) - o[i]) / n), 'L_ctr');
  const ctcvr = chorus(only('ctcvr'), ['ctr', 'cvr']);
  close(ctcvr.ctr, A.map((a, i) => productGrad(a, Bl[i], y[i]).da / n), 'L_ctcvr ctr');
  close(ctcvr.cvr, A.map((a, i) => productGrad(a, Bl[i], y[i]).db / n), 'L_ctcvr cvr');
  const ctun = chorus(only('ctun'), ['ctr', 'un']);
  close(ctun.ctr, A.map((a, i) => productGrad(a, C[i], o[i] - y[i]).da / n), 'L_ctun ctr');
  close(ctun.un, A.map((a, i) => productGrad(a, C[i], o[i] - y[i]).db / n), 'L_ctun un');
});

test('ChorusCVR L_sam (Eq. 10), both readings: d/db = d/dc = (w_O o + w_N (1 - o))(p_cvr + p_un - 1)/|D|', () => {
  const pCtr = A.map(sig);
  const readings: Array<[ChorusCVRConfigInput['samWeighting'], number[], number[]]> = [
    ['inverse', w, wBar],
    ['multiplicative', pCtr, pCtr.map((p) => 1 - p)],
    ['none', A.map(() => 1), A.map(() => 1)],
  ];
  for (const [samWeighting, wO, wN] of readings) {
    const g = chorus(only('sam', { samWeighting, lambda: 1 }));
    const k = A.map((_, i) => (o[i] ? wO[i] / n : wN[i] / n) * (sig(Bl[i]) + sig(C[i]) - 1));
    close(g.cvr, k, `L_sam ${samWeighting} cvr`);
    close(g.un, k, `L_sam ${samWeighting} un`);
    exactZero(g.ctr, `L_sam ${samWeighting} -> ctr`);
  }
  const clickedOnly = chorus(only('sam', { samSpace: 'clicked' }));
  close(clickedOnly.cvr, A.map((_, i) => (o[i] ? w[i] / n : 0) * (sig(Bl[i]) + sig(C[i]) - 1)), 'L_sam on O only');
  const unclickedOnly = chorus(only('sam', { samSpace: 'unclicked' }));
  close(unclickedOnly.un, A.map((_, i) => (o[i] ? 0 : wBar[i] / n) * (sig(Bl[i]) + sig(C[i]) - 1)), 'L_sam on N only');
});

test('ChorusCVR total: the sum of the terms with lambda on L_sam; switched-off terms drop out', () => {
  const lambda = 0.4;
  const total = chorus({ lambda });
  const connected: Record<string, string[]> = { ctr: ['ctr'], ctcvr: ['ctr', 'cvr'], cvr: ['ctr', 'cvr'], ctun: ['ctr', 'un'], un: ['ctr', 'un'] };
  const parts = (['ctr', 'ctcvr', 'cvr', 'ctun', 'un'] as const).map((t) => {
    const g = chorus(only(t), connected[t]);
    return { ctr: g.ctr, cvr: g.cvr ?? zeros(), un: g.un ?? zeros() };
  });
  const sam = chorus(only('sam', { lambda: 1 }));
  for (const k of ['ctr', 'cvr', 'un'] as const) {
    close(total[k], A.map((_, i) => parts.reduce((s, p) => s + p[k][i], 0) + lambda * sam[k][i]), `total ${k}`);
  }
  const noSam = chorus({ terms: { sam: false } });
  close(noSam.cvr, A.map((_, i) => parts.reduce((s, p) => s + p.cvr[i], 0)), 'w/o SAM');
});

test('IPS / DR / DCMT / ChorusCVR losses and gradients stay finite for propensities near 0 and 1', () => {
  const losses: Array<[string, LossFn, string[]]> = [
    ['escm2-ips', escm2Loss('conversion', { variant: 'ips' }), ['ctr', 'cvr']],
    ['escm2-dr', escm2Loss('conversion', { variant: 'dr' }), ['ctr', 'cvr', 'imputation']],
    ['dcmt', dcmtLoss('conversion'), ['ctr', 'cvr', 'cvrCounterfactual']],
    ['chorus-cvr inverse', chorusCvrLoss('conversion'), ['ctr', 'cvr', 'un']],
    ['chorus-cvr multiplicative', chorusCvrLoss('conversion', { samWeighting: 'multiplicative' }), ['ctr', 'cvr', 'un']],
  ];
  for (const extreme of [-30, 30]) {
    const logits = { ctr: A.map(() => extreme), cvr: Bl, third: C };
    for (const [name, loss, outs] of losses) {
      const g = gradsOf(loss, outs, logits);
      for (const [k, v] of Object.entries(g)) assert.ok(v.every(Number.isFinite), `${name} (ctr logit ${extreme}): gradient of ${k} is finite`);
      const value = lossValue(loss, Object.fromEntries(outs.map((k) => [k, k === 'ctr' ? logits.ctr : k === 'cvr' ? Bl : C])));
      assert.ok(Number.isFinite(value) && value < 1e4, `${name} (ctr logit ${extreme}): loss ${value}`);
    }
  }
});

test('configs: bad clip bounds, variants and terms are errors naming them; specs pass their config to the loss', () => {
  assert.throws(() => escm2Loss('conversion', { propensityClip: [0, 1] }), /escm2 config: propensityClip must be \[lo, hi\] with 0 < lo <= hi <= 1, got \[0, 1\]/);
  assert.throws(() => dcmtLoss('conversion', { propensityClip: [0.5, 0.1] }), /dcmt config: propensityClip/);
  assert.throws(() => escm2IpsSpec.loss('conversion', { variant: 'dr' }), /escm2-ips config: variant is 'ips' for this entry, got 'dr'/);
  assert.throws(() => chorusCvrLoss('conversion', { terms: { samm: false } as Partial<ChorusTerms> }), /chorus-cvr config: unknown term 'samm'/);
  assert.throws(() => chorusCvrLoss('conversion', { lamda: 1 } as ChorusCVRConfigInput), /chorus-cvr config: unknown key 'lamda'/);
  assert.throws(() => resolveChorusCvrConfig({ terms: { ctr: false, ctcvr: false, cvr: false, ctun: false, un: false, sam: false } }), /every loss term is switched off/);
  assert.throws(() => resolveChorusCvrConfig({ samWeighting: 'sqrt' as never }), /samWeighting must be/);
  assert.deepEqual(resolveChorusCvrConfig({ terms: { sam: false } }).terms, { ctr: true, ctcvr: true, cvr: true, ctun: true, un: true, sam: false });
  const dr = escm2DrSpec.create(new Rng(1), { features: [{ kind: 'categorical', name: 'u', vocab: 3 }], labels: ['click', 'conversion'] });
  assert.equal(dr.name, 'escm2-dr');
  dr.dispose();
  const missingClick = (): Scalar => esmmLoss('conversion', { clickLabel: 'clk' })({ ctr: tf.zeros([2]), cvr: tf.zeros([2]) }, { click: tf.zeros([2]), conversion: tf.zeros([2]) });
  assert.throws(() => tf.tidy(missingClick), /esmm loss: the batch has no click label 'clk'/);
  const noOutput = (): Scalar => chorusCvrLoss('conversion')({ ctr: tf.zeros([2]), cvr: tf.zeros([2]) }, { click: tf.zeros([2]), conversion: tf.zeros([2]) });
  assert.throws(() => tf.tidy(noOutput), /chorus-cvr loss: the model returned no 'un' output \(outputs: ctr, cvr\)/);
});
