"""Golden reference for src/layers/dft.ts (RealDFT: rfft / irfft / low-pass along time as matmuls).

Regenerate (from the repository root):

    .venv/bin/python test/farm/dft_reference.py

Writes test/farm/fixtures/dft.json, read by test/farm/dft.test.ts. References: numpy.fft.rfft along axis 1 of a
(B, L, D) array, numpy.fft.irfft of arbitrary complex spectra (imaginary parts of the DC and Nyquist bins included, so
the test checks that they are ignored as irfft ignores them), and the low-pass part irfft(rfft(x) * [k < k_low], n=L).
Seeded; the output is deterministic.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20260228)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "dft.json")


def f64(xs):
    return [float(x) for x in np.asarray(xs, dtype=np.float64).ravel()]


cases = []
for L, B, D, k_low in [(1, 2, 3, 1), (2, 2, 2, 1), (5, 3, 4, 2), (8, 2, 3, 3), (13, 2, 5, 3), (50, 2, 4, 3), (100, 2, 3, 4)]:
    x = rng.normal(size=(B, L, D)).astype(np.float32).astype(np.float64)
    X = np.fft.rfft(x, axis=1)
    K = L // 2 + 1
    spec = (rng.normal(size=(B, K, D)) + 1j * rng.normal(size=(B, K, D)))
    spec_re = spec.real.astype(np.float32).astype(np.float64)
    spec_im = spec.imag.astype(np.float32).astype(np.float64)
    inv = np.fft.irfft(spec_re + 1j * spec_im, n=L, axis=1)
    mask = (np.arange(K) < k_low).astype(np.float64)[None, :, None]
    low = np.fft.irfft(X * mask, n=L, axis=1)
    cases.append({
        "L": L, "B": B, "D": D, "kLow": k_low,
        "x": f64(x), "re": f64(X.real), "im": f64(X.imag),
        "specRe": f64(spec_re), "specIm": f64(spec_im), "inverse": f64(inv), "low": f64(low),
    })

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
print(f"wrote {OUT}: {len(cases)} cases")
