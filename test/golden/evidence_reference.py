"""Reference values for the evidence layer (src/evidence/stats.ts), computed from the definitions with numpy/scipy.

DeLong: structural components by the O(m n) definition psi(x, y) = 1 if x > y, 1/2 if x == y, 0 otherwise
(DeLong, DeLong & Clarke-Pearson 1988). Paired bootstrap: the statistic on resampled units, with the resample indices
written to the fixture so the TypeScript side replays the same draws. Seeds + test: mean of per-seed differences,
se^2 = var_seed / S + mean(test variances), Welch-Satterthwaite df, t interval. MDE = (t_{1-a/2} + t_{power}) se.

Run: .venv/bin/python test/golden/evidence_reference.py  (writes test/golden/fixtures/evidence.json)
"""
import json
import os

import numpy as np
from scipy import stats

rng = np.random.default_rng(20261205)


def delong_components(y, s):
    pos = s[y == 1]
    neg = s[y == 0]
    psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(axis=1), psi.mean(axis=0), psi.mean()


def delong(y, s):
    v10, v01, a = delong_components(y, s)
    return a, np.var(v10, ddof=1) / len(v10) + np.var(v01, ddof=1) / len(v01)


def delong_paired(y, a, b):
    a10, a01, auc_a = delong_components(y, a)
    b10, b01, auc_b = delong_components(y, b)
    m, n = len(a10), len(a01)
    c10 = np.cov(np.vstack([a10, b10]), ddof=1)
    c01 = np.cov(np.vstack([a01, b01]), ddof=1)
    var = (c10[0, 0] + c10[1, 1] - 2 * c10[0, 1]) / m + (c01[0, 0] + c01[1, 1] - 2 * c01[0, 1]) / n
    return auc_a - auc_b, var


def auc(y, s):
    return delong_components(y, s)[2]


# Scores with ties (rounded) so the 1/2 rule is exercised.
n = 300
y = (rng.random(n) < 0.3).astype(int)
a = np.round(y * 0.8 + rng.normal(size=n), 1)
b = np.round(y * 0.5 + 0.6 * a + rng.normal(size=n), 1)
auc_a, var_a = delong(y, a)
diff, var_diff = delong_paired(y, a, b)

# Paired bootstrap over 40 units (users), rows assigned at random.
units = rng.integers(0, 40, size=n) * 3 + 7  # arbitrary integer ids
distinct = np.unique(units)
reps = 200
draws = rng.integers(0, len(distinct), size=(reps, len(distinct)))
rows_of = [np.nonzero(units == u)[0] for u in distinct]
vals = []
for r in range(reps):
    rows = np.concatenate([rows_of[j] for j in draws[r]])
    vals.append(auc(y[rows], a[rows]) - auc(y[rows], b[rows]))
vals = np.array(vals)
boot = {
    "value": float(auc(y, a) - auc(y, b)),
    "variance": float(np.var(vals, ddof=1)),
    "ci": [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))],
}

# Seeds + test combination.
diffs = [0.011, 0.013, 0.012, 0.010, 0.016]
tvars = [2e-6, 1e-6, 1.5e-6, 1e-6, 2.5e-6]
S = len(diffs)
seed_var = np.var(diffs, ddof=1) / S
test_var = float(np.mean(tvars))
tot = seed_var + test_var
se = np.sqrt(tot)
df = tot ** 2 * (S - 1) / seed_var ** 2
q = stats.t.ppf(0.975, df)
combined = {
    "diff": float(np.mean(diffs)), "se": float(se), "df": float(df),
    "ci": [float(np.mean(diffs) - q * se), float(np.mean(diffs) + q * se)],
    "p": float(2 * stats.t.sf(abs(np.mean(diffs)) / se, df)),
    "mde": float((stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)) * se),
}

out = {
    "labels": y.tolist(), "a": a.tolist(), "b": b.tolist(), "units": units.tolist(),
    "delong": {"auc": float(auc_a), "variance": float(var_a)},
    "delong_paired": {"diff": float(diff), "variance": float(var_diff)},
    "bootstrap": {"draws": draws.tolist(), **boot},
    "combined": {"diffs": diffs, "test_variances": tvars, **combined},
    "mde_normal": {"se": 0.01, "mde": float((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.01)},
    "quantiles": {"t4_975": float(stats.t.ppf(0.975, 4)), "norm_975": float(stats.norm.ppf(0.975)), "norm_cdf_m2_5": float(stats.norm.cdf(-2.5))},
}
path = os.path.join(os.path.dirname(__file__), "fixtures", "evidence.json")
with open(path, "w") as f:
    json.dump(out, f)
print(f"wrote {path}")
