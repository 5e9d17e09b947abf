"""Golden reference values for src/metrics (AUC, GAUC/UAUC, log loss, top-K, paired t-test, t CDF, betainc).

Regenerate (from the repository root):

    .venv/bin/python test/golden/metrics_reference.py

Writes test/golden/fixtures/metrics.json (inputs and expected outputs), read by test/metrics/metrics.test.ts.
References: scikit-learn roc_auc_score / log_loss, per-group roc_auc_score for GAUC/UAUC, numpy for top-K,
scipy.stats.ttest_rel, scipy.stats.t.cdf and scipy.special.betainc. Seeded; the output is deterministic.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy import special, stats
from sklearn.metrics import log_loss, roc_auc_score

rng = np.random.default_rng(20240607)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "metrics.json")


def f64(xs):
    return [float(x) for x in np.asarray(xs, dtype=np.float64).ravel()]


def ints(xs):
    return [int(x) for x in np.asarray(xs).ravel()]


def binary_labels(n, p):
    y = (rng.random(n) < p).astype(np.int64)
    y[0], y[1] = 0, 1  # both classes present
    return y


# ---- AUC ---------------------------------------------------------------------------------------------------------
auc_cases = []
for name, n, p, make in [
    ("random_continuous", 1000, 0.3, lambda n, y: rng.normal(size=n) + 0.8 * y),
    ("heavy_ties_1dp", 800, 0.4, lambda n, y: np.round(rng.random(n) * 0.6 + 0.3 * y, 1)),
    ("integer_scores", 400, 0.5, lambda n, y: rng.integers(0, 5, size=n) + y * rng.integers(0, 2, size=n)),
    ("imbalanced_5pct", 600, 0.05, lambda n, y: np.round(rng.normal(size=n) + 1.5 * y, 3)),
    ("anti_correlated", 300, 0.5, lambda n, y: -np.round(rng.random(n) + 0.7 * y, 2)),
]:
    y = binary_labels(n, p)
    s = make(n, y).astype(np.float64)
    auc_cases.append({"name": name, "labels": ints(y), "scores": f64(s), "expected": float(roc_auc_score(y, s))})

# ---- GAUC / UAUC -------------------------------------------------------------------------------------------------
grouped_cases = []
for name, n, n_groups, rounding in [("users_ties", 1500, 60, 1), ("users_continuous", 1000, 40, None)]:
    groups = rng.integers(0, n_groups, size=n) * 7 + 3  # non-contiguous ids
    # a few groups forced single-class (all 0 or all 1) so they must be skipped
    single0, single1 = groups == 3, groups == 10
    y = (rng.random(n) < 0.35).astype(np.int64)
    y[single0], y[single1] = 0, 1
    s = rng.random(n) + 0.3 * y
    if rounding is not None:
        s = np.round(s, rounding)
    aucs, weights, skipped = [], [], 0
    for g in np.unique(groups):
        m = groups == g
        if y[m].min() == y[m].max():
            skipped += 1
            continue
        aucs.append(roc_auc_score(y[m], s[m]))
        weights.append(m.sum())
    aucs, weights = np.array(aucs), np.array(weights, dtype=np.float64)
    order = rng.permutation(n)  # rows are not grouped in the input
    grouped_cases.append({
        "name": name,
        "labels": ints(y[order]),
        "scores": f64(s[order]),
        "groups": ints(groups[order]),
        "expected": {
            "gauc": float((aucs * weights).sum() / weights.sum()),
            "uauc": float(aucs.mean()),
            "groupsUsed": int(len(aucs)),
            "groupsSkipped": int(skipped),
        },
    })

# ---- log loss ----------------------------------------------------------------------------------------------------
logloss_cases = []
y = binary_labels(500, 0.3)
p = 1 / (1 + np.exp(-(rng.normal(size=500) + y)))
logloss_cases.append({"name": "sigmoid_probs", "labels": ints(y), "probs": f64(p), "eps": 1e-7,
                      "expected": float(log_loss(y, p, labels=[0, 1]))})
# extremes: exact 0/1 probabilities, right and wrong; reference clips at eps explicitly (sklearn >= 1.5 clips at
# float64 machine epsilon, so it is used only for the eps = machine-epsilon variant)
y = np.array([1, 0, 1, 0, 1, 0, 1, 0])
p = np.array([1.0, 0.0, 0.0, 1.0, 1e-9, 1 - 1e-9, 0.5, 0.25])
for eps in [1e-7, 1e-3]:
    pc = np.clip(p, eps, 1 - eps)
    ref = float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc)))
    logloss_cases.append({"name": f"extremes_eps_{eps:g}", "labels": ints(y), "probs": f64(p), "eps": eps,
                          "expected": ref})
machine_eps = float(np.finfo(np.float64).eps)
logloss_cases.append({"name": "extremes_sklearn_machine_eps", "labels": ints(y), "probs": f64(p), "eps": machine_eps,
                      "expected": float(log_loss(y, p, labels=[0, 1]))})

# ---- top-K on candidate lists ------------------------------------------------------------------------------------
def topk_reference(scores, k):
    pos = scores[:, :1]
    rank = 1 + (scores[:, 1:] >= pos).sum(axis=1)  # ties count against the positive
    hit = rank <= k
    return {"hr": float(hit.mean()), "ndcg": float(np.where(hit, 1 / np.log2(rank + 1), 0).mean()),
            "mrr": float((1 / rank).mean()), "users": int(scores.shape[0])}


topk_cases = []
for name, users, cands, make in [
    ("float32_continuous", 50, 20, lambda u, c: rng.normal(size=(u, c)) + np.r_[1.0, np.zeros(c - 1)]),
    ("heavy_ties_1dp", 100, 51, lambda u, c: np.round(rng.random((u, c)) + np.r_[0.2, np.zeros(c - 1)], 1)),
    ("constant_rows", 4, 10, lambda u, c: np.ones((u, c))),
]:
    sc = make(users, cands).astype(np.float32)  # rank in float32, as the TS side does for a Float32Array
    topk_cases.append({
        "name": name, "nCandidates": cands, "scores": f64(sc),
        "expected": {str(k): topk_reference(sc, k) for k in (1, 5, 10) if k <= cands},
    })

# ---- paired t-test, meanStd ----------------------------------------------------------------------------------------
ttest_cases = []
for name, n, shift, sd in [("n3", 3, 0.01, 0.01), ("n5_no_effect", 5, 0.0, 0.02), ("n10", 10, 0.005, 0.01),
                           ("n30_strong", 30, 0.05, 0.01), ("n200_tiny_p", 200, 0.1, 0.05)]:
    a = np.round(0.7 + rng.normal(scale=0.02, size=n), 6)
    b = np.round(a - shift - rng.normal(scale=sd, size=n), 6)
    r = stats.ttest_rel(a, b)
    ttest_cases.append({
        "name": name, "a": f64(a), "b": f64(b),
        "expected": {"t": float(r.statistic), "df": int(r.df), "pValue": float(r.pvalue),
                     "meanDiff": float(np.mean(a - b))},
        "meanStdA": {"mean": float(np.mean(a)), "std": float(np.std(a, ddof=1)), "n": n},
    })

# ---- special functions (1e-10 accuracy claim) ----------------------------------------------------------------------
betainc_cases = []
for a_, b_ in [(0.5, 0.5), (1, 1), (2, 3), (0.5, 10), (10, 0.5), (1.5, 50), (100, 0.5), (250, 300), (5000, 0.5)]:
    for x in [0.0, 1e-6, 0.01, 0.2, 0.5, 0.73, 0.99, 0.999999, 1.0]:
        betainc_cases.append({"x": x, "a": float(a_), "b": float(b_), "expected": float(special.betainc(a_, b_, x))})
tcdf_cases = []
for df in [1, 2, 3, 4.5, 9, 29, 199, 1000]:
    for t in [-40.0, -6.0, -2.5, -1.0, -0.1, 0.0, 0.3, 1.96, 4.0, 12.0, 1e3]:
        tcdf_cases.append({"t": t, "df": float(df), "expected": float(stats.t.cdf(t, df))})

fixture = {
    "generator": "test/golden/metrics_reference.py",
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
    "auc": auc_cases, "grouped": grouped_cases, "logloss": logloss_cases, "topk": topk_cases,
    "ttest": ttest_cases, "betainc": betainc_cases, "tcdf": tcdf_cases,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {OUT} ({os.path.getsize(OUT) / 1024:.1f} KB)")
