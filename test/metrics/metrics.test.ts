/**
 * Metrics: golden tests against scikit-learn / SciPy, hand-computed unit cases, and error messages.
 *
 * Fixture: test/golden/fixtures/metrics.json, written by test/golden/metrics_reference.py
 * (regenerate with `.venv/bin/python test/golden/metrics_reference.py`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  auc,
  gauc,
  logloss,
  meanStd,
  pairedTTest,
  regularizedIncompleteBeta,
  studentTCdf,
  topK,
  uauc,
} from '../../src/metrics/index.ts';

// ---------------------------------------------------------------------------------------------------------------
// Comparator: absolute AND relative tolerance; non-finite values must match exactly (NaN only where NaN is expected).

interface Tolerance {
  atol?: number;
  rtol?: number;
  /** Relative error is checked only when |expected| ≥ relFloor (below it, round-off makes it meaningless). */
  relFloor?: number;
}

function assertClose(actual: number, expected: number, what: string, tol: Tolerance = {}): void {
  const { atol = 1e-6, rtol = 1e-6, relFloor = 1e-9 } = tol;
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) {
    const same = Number.isNaN(expected) ? Number.isNaN(actual) : actual === expected;
    if (!same) assert.fail(`${what}: expected ${expected}, got ${actual}`);
    return;
  }
  const err = Math.abs(actual - expected);
  if (err > atol) assert.fail(`${what}: expected ${expected}, got ${actual} (abs err ${err} > atol ${atol})`);
  if (Math.abs(expected) >= relFloor && err > rtol * Math.abs(expected)) {
    assert.fail(`${what}: expected ${expected}, got ${actual} (rel err ${err / Math.abs(expected)} > rtol ${rtol})`);
  }
}

test('assertClose: accepts within tolerance, rejects non-finite mismatches', () => {
  assertClose(1 + 1e-9, 1, 'near');
  assertClose(NaN, NaN, 'NaN expected');
  assertClose(-Infinity, -Infinity, 'same infinity');
  assert.throws(() => assertClose(NaN, 0.5, 'x'), /expected 0.5, got NaN/);
  assert.throws(() => assertClose(0.5, NaN, 'x'), /expected NaN, got 0.5/);
  assert.throws(() => assertClose(Infinity, -Infinity, 'x'), /expected -Infinity, got Infinity/);
  assert.throws(() => assertClose(1e-3, 2e-3, 'x'), /abs err/);
  assert.throws(() => assertClose(1e-7, 2e-7, 'x'), /rel err/); // abs ok (1e-7), rel 50 %
});

// ---------------------------------------------------------------------------------------------------------------
// Golden tests

interface Fixture {
  generator: string;
  auc: { name: string; labels: number[]; scores: number[]; expected: number }[];
  grouped: {
    name: string;
    labels: number[];
    scores: number[];
    groups: number[];
    expected: { gauc: number; uauc: number; groupsUsed: number; groupsSkipped: number };
  }[];
  logloss: { name: string; labels: number[]; probs: number[]; eps: number; expected: number }[];
  topk: {
    name: string;
    nCandidates: number;
    scores: number[];
    expected: Record<string, { hr: number; ndcg: number; mrr: number; users: number }>;
  }[];
  ttest: {
    name: string;
    a: number[];
    b: number[];
    expected: { t: number; df: number; pValue: number; meanDiff: number };
    meanStdA: { mean: number; std: number; n: number };
  }[];
  betainc: { x: number; a: number; b: number; expected: number }[];
  tcdf: { t: number; df: number; expected: number }[];
}

const fx = JSON.parse(
  readFileSync(new URL('../golden/fixtures/metrics.json', import.meta.url), 'utf8'),
) as Fixture;

test('golden fixture names its generator', () => {
  assert.equal(fx.generator, 'test/golden/metrics_reference.py');
});

for (const c of fx.auc) {
  test(`golden auc: ${c.name} (n=${c.labels.length}) vs sklearn roc_auc_score`, () => {
    assertClose(auc(c.labels, c.scores), c.expected, 'auc');
    assertClose(auc(Int8Array.from(c.labels), Float64Array.from(c.scores)), c.expected, 'auc (typed arrays)');
  });
}

for (const c of fx.grouped) {
  test(`golden gauc/uauc: ${c.name} (n=${c.labels.length}) vs per-group roc_auc_score`, () => {
    const g = gauc(c.labels, c.scores, c.groups);
    const u = uauc(c.labels, c.scores, c.groups);
    assertClose(g.value, c.expected.gauc, 'gauc');
    assertClose(u.value, c.expected.uauc, 'uauc');
    for (const r of [g, u]) {
      assert.equal(r.groupsUsed, c.expected.groupsUsed);
      assert.equal(r.groupsSkipped, c.expected.groupsSkipped);
    }
  });
}

for (const c of fx.logloss) {
  test(`golden logloss: ${c.name} (eps=${c.eps})`, () => {
    assertClose(logloss(c.labels, c.probs, c.eps), c.expected, 'logloss');
  });
}

for (const c of fx.topk) {
  for (const [k, e] of Object.entries(c.expected)) {
    test(`golden topK: ${c.name} (C=${c.nCandidates}, K=${k})`, () => {
      for (const scores of [Float32Array.from(c.scores), c.scores]) {
        const r = topK(scores, c.nCandidates, Number(k));
        assertClose(r.hr, e.hr, 'hr');
        assertClose(r.ndcg, e.ndcg, 'ndcg');
        assertClose(r.mrr, e.mrr, 'mrr');
        assert.equal(r.users, e.users);
      }
    });
  }
}

for (const c of fx.ttest) {
  test(`golden pairedTTest/meanStd: ${c.name} (n=${c.a.length}) vs scipy ttest_rel`, () => {
    const r = pairedTTest(c.a, c.b);
    assertClose(r.t, c.expected.t, 't');
    assert.equal(r.df, c.expected.df);
    assertClose(r.pValue, c.expected.pValue, 'pValue', { relFloor: 0 }); // relative even for p ~ 1e-73
    assertClose(r.meanDiff, c.expected.meanDiff, 'meanDiff');
    const m = meanStd(c.a);
    assertClose(m.mean, c.meanStdA.mean, 'mean');
    assertClose(m.std, c.meanStdA.std, 'std');
    assert.equal(m.n, c.meanStdA.n);
  });
}

test(`golden regularizedIncompleteBeta: ${fx.betainc.length} points vs scipy.special.betainc, 1e-10`, () => {
  for (const c of fx.betainc) {
    const what = `I_${c.x}(${c.a}, ${c.b})`;
    assertClose(regularizedIncompleteBeta(c.x, c.a, c.b), c.expected, what, { atol: 1e-10, rtol: 1e-10, relFloor: 0 });
  }
});

test(`golden studentTCdf: ${fx.tcdf.length} points vs scipy.stats.t.cdf, 1e-10`, () => {
  for (const c of fx.tcdf) {
    const what = `tcdf(${c.t}, df=${c.df})`;
    assertClose(studentTCdf(c.t, c.df), c.expected, what, { atol: 1e-10, rtol: 1e-10, relFloor: 0 });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-computed unit cases

const aucCases: { labels: number[]; scores: number[]; expected: number }[] = [
  { labels: [0, 1], scores: [0.1, 0.9], expected: 1 },
  { labels: [0, 1], scores: [0.9, 0.1], expected: 0 },
  { labels: [0, 1, 0, 1], scores: [0.5, 0.5, 0.5, 0.5], expected: 0.5 }, // all ties
  { labels: [0, 1, 0, 1], scores: [0.1, 0.8, 0.4, 0.4], expected: 0.875 }, // one tied pair counts 1/2
  { labels: [1, 0, 0, 0], scores: [0.3, 0.1, 0.3, 0.5], expected: 0.5 }, // beats 1, ties 1, loses 1
  { labels: [0, 1], scores: [-0, 0], expected: 0.5 }, // -0 and 0 tie
];
for (const c of aucCases) {
  test(`auc(${JSON.stringify(c.labels)}, ${JSON.stringify(c.scores)}) = ${c.expected}`, () => {
    assert.equal(auc(c.labels, c.scores), c.expected);
  });
}

test('gauc/uauc: doc example — groups 7 (AUC 1, 2 rows) and 8 (AUC 1/3, 4 rows), group 9 single-class', () => {
  const labels = [0, 1, 0, 1, 0, 0, 1];
  const scores = [0.1, 0.9, 0.8, 0.2, 0.3, 0.1, 0.5];
  const groups = [7, 7, 8, 8, 8, 8, 9];
  const g = gauc(labels, scores, groups);
  const u = uauc(labels, scores, groups);
  assertClose(g.value, 5 / 9, 'gauc', { atol: 1e-15 });
  assertClose(u.value, 2 / 3, 'uauc', { atol: 1e-15 });
  assert.deepEqual([g.groupsUsed, g.groupsSkipped, u.groupsUsed, u.groupsSkipped], [2, 1, 2, 1]);
  assert.deepEqual(gauc([0, 1, 0, 1, 1], [0.1, 0.9, 0.8, 0.2, 0.5], [7, 7, 8, 8, 9]), {
    value: 0.5,
    groupsUsed: 2,
    groupsSkipped: 1,
    se: 0.5, // cluster SE sqrt(G/(G-1) * sum w_g^2 (auc_g - value)^2) / sum w_g = sqrt(2 * 2) / 4
  });
  assertClose(u.se, 1 / 3, 'uauc se (AUCs 1 and 1/3, unweighted: |1 - 1/3| / 2)', { atol: 1e-12 });
});

test('gauc: one group equals plain auc', () => {
  const labels = [0, 1, 0, 1, 1, 0];
  const scores = [0.2, 0.4, 0.4, 0.9, 0.1, 0.3];
  assert.equal(gauc(labels, scores, [5, 5, 5, 5, 5, 5]).value, auc(labels, scores));
});

test('logloss: hand-computed (-ln 0.8 - ln 0.6) / 2, and default eps = 1e-7 clipping', () => {
  assertClose(logloss([1, 0], [0.8, 0.4]), (-Math.log(0.8) - Math.log(0.6)) / 2, 'logloss', { atol: 1e-15 });
  assertClose(logloss([1], [0]), -Math.log(1e-7), 'clipped p=0 for a positive', { atol: 1e-12 });
  assertClose(logloss([0], [1]), -Math.log(1e-7), 'clipped p=1 for a negative', { atol: 1e-7 });
  assert.equal(logloss([1, 0], [1, 0], 0), 0);
  assert.equal(logloss([1], [0], 0), Infinity);
});

const topKCases: { scores: number[]; C: number; k: number; expected: { hr: number; ndcg: number; mrr: number } }[] = [
  // doc example: ranks 1 and 3 (one negative above, one tied)
  { scores: [0.9, 0.1, 0.3, 0.5, 0.7, 0.5], C: 3, k: 2, expected: { hr: 0.5, ndcg: 0.5, mrr: 2 / 3 } },
  { scores: [0.9, 0.1, 0.3, 0.5, 0.7, 0.5], C: 3, k: 3, expected: { hr: 1, ndcg: 0.75, mrr: 2 / 3 } },
  // all tied: rank = C (pessimistic)
  { scores: [1, 1, 1, 1], C: 4, k: 3, expected: { hr: 0, ndcg: 0, mrr: 0.25 } },
  { scores: [1, 1, 1, 1], C: 4, k: 4, expected: { hr: 1, ndcg: 1 / Math.log2(5), mrr: 0.25 } },
  // rank 2
  { scores: [0.5, 0.6, 0.1], C: 3, k: 2, expected: { hr: 1, ndcg: 1 / Math.log2(3), mrr: 0.5 } },
  // -Infinity negatives are allowed (masked)
  { scores: [0, -Infinity, -Infinity], C: 3, k: 1, expected: { hr: 1, ndcg: 1, mrr: 1 } },
];
for (const c of topKCases) {
  test(`topK(${JSON.stringify(c.scores)}, C=${c.C}, K=${c.k}) = ${JSON.stringify(c.expected)}`, () => {
    const r = topK(c.scores, c.C, c.k);
    assertClose(r.hr, c.expected.hr, 'hr', { atol: 1e-15 });
    assertClose(r.ndcg, c.expected.ndcg, 'ndcg', { atol: 1e-15 });
    assertClose(r.mrr, c.expected.mrr, 'mrr', { atol: 1e-15 });
    assert.equal(r.users, c.scores.length / c.C);
  });
}

test('pairedTTest: doc example, df=2 closed form p = 1 - |t|/sqrt(t²+2)', () => {
  const r = pairedTTest([0.71, 0.72, 0.74], [0.7, 0.7, 0.71]);
  assertClose(r.t, 2 * Math.sqrt(3), 't', { atol: 1e-9 });
  assert.equal(r.df, 2);
  assertClose(r.pValue, 1 - r.t / Math.sqrt(r.t * r.t + 2), 'p', { atol: 1e-14 });
  assertClose(r.meanDiff, 0.02, 'meanDiff', { atol: 1e-15 });
});

test('pairedTTest: equal nonzero differences -> t = ±Infinity, p = 0; all-zero -> t = NaN, p = 1', () => {
  assert.deepEqual(pairedTTest([2, 3, 4], [1, 2, 3]), { t: Infinity, df: 2, pValue: 0, meanDiff: 1 });
  assert.deepEqual(pairedTTest([1, 2], [2, 3]), { t: -Infinity, df: 1, pValue: 0, meanDiff: -1 });
  const z = pairedTTest([1, 2, 3], [1, 2, 3]);
  assert.ok(Number.isNaN(z.t));
  assert.deepEqual([z.df, z.pValue, z.meanDiff], [2, 1, 0]);
});

test('pairedTTest is antisymmetric: swapping a and b negates t and keeps p', () => {
  const a = [0.1, 0.4, 0.35, 0.8];
  const b = [0.2, 0.1, 0.3, 0.5];
  const ab = pairedTTest(a, b);
  const ba = pairedTTest(b, a);
  assertClose(ba.t, -ab.t, 't', { atol: 1e-15 });
  assertClose(ba.pValue, ab.pValue, 'p', { atol: 1e-15 });
});

const tcdfCases: { t: number; df: number; expected: number }[] = [
  { t: 0, df: 5, expected: 0.5 },
  { t: 1, df: 1, expected: 0.75 }, // Cauchy
  { t: -1, df: 1, expected: 0.25 },
  { t: Infinity, df: 3, expected: 1 },
  { t: -Infinity, df: 3, expected: 0 },
  { t: 2, df: 2, expected: 0.5 + 1 / Math.sqrt(6) }, // df=2: 1/2 + t / (2 sqrt(t²+2))
  { t: 1e-8, df: 1, expected: 0.5 + Math.atan(1e-8) / Math.PI }, // SciPy's stdtr is off by 1.6e-9 here
  { t: -300, df: 1, expected: 0.5 + Math.atan(-300) / Math.PI },
];
for (const c of tcdfCases) {
  test(`studentTCdf(${c.t}, df=${c.df}) = ${c.expected}`, () => {
    assertClose(studentTCdf(c.t, c.df), c.expected, 'cdf', { atol: 1e-14 });
  });
}

test('regularizedIncompleteBeta: doc examples and endpoints', () => {
  assertClose(regularizedIncompleteBeta(0.5, 2, 2), 0.5, 'I_0.5(2,2)', { atol: 1e-15 });
  assertClose(regularizedIncompleteBeta(0.25, 1, 1), 0.25, 'I_0.25(1,1)', { atol: 1e-15 });
  assert.equal(regularizedIncompleteBeta(0, 3, 4), 0);
  assert.equal(regularizedIncompleteBeta(1, 3, 4), 1);
});

const meanStdCases: { xs: number[]; expected: { mean: number; std: number; n: number } }[] = [
  { xs: [1, 2, 3, 4], expected: { mean: 2.5, std: Math.sqrt(5 / 3), n: 4 } },
  { xs: [0.7], expected: { mean: 0.7, std: 0, n: 1 } }, // n = 1 -> std 0
  { xs: [3, 3, 3], expected: { mean: 3, std: 0, n: 3 } },
];
for (const c of meanStdCases) {
  test(`meanStd(${JSON.stringify(c.xs)}) = ${JSON.stringify(c.expected)}`, () => {
    const r = meanStd(c.xs);
    assertClose(r.mean, c.expected.mean, 'mean', { atol: 1e-15 });
    assertClose(r.std, c.expected.std, 'std', { atol: 1e-15 });
    assert.equal(r.n, c.expected.n);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Error messages (assert.throws matches a RegExp against String(error), hence the "Error: " prefix)

const errorCases: { name: string; call: () => unknown; message: RegExp }[] = [
  {
    name: 'auc length mismatch',
    call: () => auc([0, 1], [0.1]),
    message: /^Error: auc: labels has length 2 but scores has length 1$/,
  },
  { name: 'auc empty', call: () => auc([], []), message: /^Error: auc: empty input/ },
  {
    name: 'auc label 2',
    call: () => auc([0, 2], [0.1, 0.2]),
    message: /^Error: auc: label at index 1 is 2; labels must be 0 or 1$/,
  },
  { name: 'auc label NaN', call: () => auc([NaN, 1], [0.1, 0.2]), message: /label at index 0 is NaN/ },
  {
    name: 'auc NaN score',
    call: () => auc([0, 1], [0.1, NaN]),
    message: /^Error: auc: score at index 1 is NaN; must be finite$/,
  },
  { name: 'auc Infinity score', call: () => auc([0, 1], [Infinity, 0]), message: /score at index 0 is Infinity/ },
  {
    name: 'auc only class 0',
    call: () => auc([0, 0, 0], [0.1, 0.2, 0.3]),
    message: /^Error: auc: labels contain only class 0 \(n=3\); AUC needs both classes$/,
  },
  { name: 'auc only class 1', call: () => auc([1, 1], [0.1, 0.2]), message: /only class 1 \(n=2\)/ },
  {
    name: 'gauc no group with both classes',
    call: () => gauc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4], [1, 1, 2, 2]),
    message: /^Error: gauc: no group has both classes \(2 groups, n=4\)/,
  },
  {
    name: 'uauc groups length',
    call: () => uauc([0, 1], [0.1, 0.2], [1]),
    message: /^Error: uauc: labels has length 2 but groups has length 1$/,
  },
  {
    name: 'gauc non-integer group',
    call: () => gauc([0, 1], [0.1, 0.2], [1, 1.5]),
    message: /group at index 1 is 1.5; must be an integer id/,
  },
  {
    name: 'gauc NaN score',
    call: () => gauc([0, 1], [NaN, 0.2], [1, 1]),
    message: /^Error: gauc: score at index 0 is NaN/,
  },
  {
    name: 'logloss prob > 1',
    call: () => logloss([0, 1], [0.2, 1.5]),
    message: /^Error: logloss: prob at index 1 is 1.5; must be in \[0, 1\]$/,
  },
  { name: 'logloss prob NaN', call: () => logloss([0, 1], [NaN, 0.5]), message: /prob at index 0 is NaN/ },
  { name: 'logloss prob < 0', call: () => logloss([1], [-0.1]), message: /prob at index 0 is -0.1/ },
  { name: 'logloss length', call: () => logloss([0, 1], [0.5]), message: /labels has length 2 but probs has length 1/ },
  { name: 'logloss bad eps', call: () => logloss([0], [0.5], 0.5), message: /eps is 0.5; must satisfy 0 <= eps < 0.5/ },
  {
    name: 'topK NaN negative',
    call: () => topK([0.5, NaN, 0.1, 0.2], 2, 1),
    message: /^Error: topK: score at row 0, column 1 is NaN$/,
  },
  {
    name: 'topK NaN positive',
    call: () => topK([0.5, 0.1, NaN, 0.2], 2, 1),
    message: /row 1, column 0 \(the positive\) is NaN/,
  },
  {
    name: 'topK shape',
    call: () => topK([1, 2, 3], 2, 1),
    message: /scores has length 3, not a positive multiple of nCandidates \(2\)/,
  },
  { name: 'topK empty', call: () => topK([], 2, 1), message: /scores has length 0/ },
  { name: 'topK C=1', call: () => topK([1], 1, 1), message: /nCandidates is 1; must be an integer >= 2/ },
  {
    name: 'topK k > C',
    call: () => topK([1, 2], 2, 3),
    message: /k is 3; must be an integer with 1 <= k <= nCandidates \(2\)/,
  },
  { name: 'topK k = 0', call: () => topK([1, 2], 2, 0), message: /k is 0/ },
  {
    name: 'pairedTTest length',
    call: () => pairedTTest([1, 2], [1]),
    message: /^Error: pairedTTest: a has length 2 but b has length 1$/,
  },
  { name: 'pairedTTest n<2', call: () => pairedTTest([1], [2]), message: /needs at least 2 pairs, got n=1/ },
  { name: 'pairedTTest NaN', call: () => pairedTTest([1, 2], [1, NaN]), message: /b\[1\] is NaN; must be finite/ },
  { name: 'meanStd empty', call: () => meanStd([]), message: /^Error: meanStd: empty input$/ },
  { name: 'meanStd NaN', call: () => meanStd([1, NaN]), message: /value at index 1 is NaN/ },
  { name: 'studentTCdf df=0', call: () => studentTCdf(1, 0), message: /df is 0; must be positive and finite/ },
  { name: 'betainc x>1', call: () => regularizedIncompleteBeta(1.5, 1, 1), message: /x is 1.5; must be in \[0, 1\]/ },
  {
    name: 'betainc a<=0',
    call: () => regularizedIncompleteBeta(0.5, 0, 1),
    message: /a=0, b=1; both must be positive/,
  },
];
for (const c of errorCases) {
  test(`throws: ${c.name}`, () => {
    assert.throws(c.call, c.message);
  });
}
