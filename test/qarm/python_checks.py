"""Checks of src/bridge/python/encoders.py and qarm.py, run by test/qarm/python.test.ts with .venv/bin/python.

Each check prints 'ok <name>' and raises AssertionError on failure (non-zero exit).
"""
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/bridge/python"))
from encoders import build_encoder, encode, info_nce, load_pretrained, save_weights  # noqa: E402
from qarm import align, kmeans, pair_auc, rq_kmeans  # noqa: E402

torch.set_num_threads(1)
g = torch.Generator().manual_seed(0)
N, V = 40, 30
title = torch.randint(1, V + 1, (N, 6), generator=g).int()
asr = torch.randint(1, V + 1, (N, 10), generator=g).int()
asr[:, -3:] = 0  # padding
image = torch.rand(N, 3, 32, 32, generator=g) * 2 - 1

enc = build_encoder(V, 6, 10, seed=1)
emb = encode(enc, title, asr, image)
assert emb.shape == (N, 32), emb.shape
assert torch.allclose(emb.norm(dim=1), torch.ones(N), atol=1e-5)
print("ok encoder shapes and unit norm")

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "enc.pt")
    save_weights(enc, path)
    other = build_encoder(V, 6, 10, seed=2)
    assert not torch.allclose(encode(other, title, asr, image), emb), "another seed gives another encoder"
    load_pretrained(other, path)
    assert torch.allclose(encode(other, title, asr, image), emb, atol=1e-6), "loaded weights reproduce the outputs"
    bad = {k: v for k, v in enc.state_dict().items()}
    bad["image.head.weight"] = torch.zeros(5, 5)
    torch.save(bad, path)
    try:
        load_pretrained(other, path)
        raise AssertionError("a mis-shaped weight must fail")
    except ValueError as e:
        assert "image.head.weight" in str(e), e
    del bad["image.head.weight"]
    torch.save(bad, path)
    try:
        load_pretrained(other, path)
        raise AssertionError("a missing weight must fail")
    except ValueError as e:
        assert "image.head.weight" in str(e) and "missing" in str(e), e
print("ok save / load_pretrained round trip and strict errors")

za = torch.nn.functional.normalize(torch.randn(4, 8, generator=g), dim=1)
zb = torch.nn.functional.normalize(torch.randn(4, 8, generator=g), dim=1)
s = za @ zb.T / 0.1
manual = 0.5 * (-torch.log_softmax(s, 1).diag().mean() - torch.log_softmax(s.T, 1).diag().mean())
assert torch.allclose(info_nce(za, zb, 0.1), manual, atol=1e-6)
ids_a, ids_b = torch.tensor([0, 1, 2, 3]), torch.tensor([5, 5, 6, 7])  # rows 0 and 1 share their positive item 5
sm = s.clone()
sm[0, 1] = sm[1, 0] = float("-inf")
smt = s.T.clone()
manual_masked = 0.5 * (-torch.log_softmax(sm, 1).diag().mean() - torch.log_softmax(smt, 1).diag().mean())
assert torch.allclose(info_nce(za, zb, 0.1, ids_a, ids_b), manual_masked, atol=1e-6)
print("ok info_nce equals the closed form, duplicates masked")

# Alignment: items of 4 hidden classes whose content differs by class only faintly; pairs within a class.
cls = torch.arange(N) % 4
title2 = title.clone()
title2[:, 0] = cls.int() + 1
pairs = torch.stack([torch.arange(N), (torch.arange(N) + 4) % N], 1)
held = torch.stack([torch.arange(N), (torch.arange(N) + 8) % N], 1)
enc = build_encoder(V, 6, 10, seed=3)
before = pair_auc(encode(enc, title2, asr, image), held)
hist = align(enc, title2, asr, image, pairs, epochs=30, batch=40, lr=1e-2, tau=0.1, scope="all")
after = pair_auc(encode(enc, title2, asr, image), held)
assert hist[-1] < hist[0], hist
assert after > before + 0.1 and after > 0.8, (before, after)
print(f"ok align lowers the InfoNCE loss and raises held-out pair AUC {before:.3f} -> {after:.3f}")

blobs = torch.cat([torch.randn(30, 2, generator=g) * 0.1 + torch.tensor(c) for c in ([0.0, 0.0], [5.0, 0.0], [0.0, 5.0])])
out = kmeans(blobs, 3, iters=10, seed=0)
assign = out["assign"]
for b in range(3):
    assert len(set(assign[b * 30:(b + 1) * 30].tolist())) == 1, f"blob {b} split"
assert len(set(assign.tolist())) == 3
rq = rq_kmeans(torch.randn(200, 8, generator=g), levels=4, k=8, iters=10)
assert rq["codes"].shape == (200, 4) and rq["codes"].dtype == torch.int32
assert int(rq["codes"].max()) < 8 and int(rq["codes"].min()) >= 0
print("ok kmeans recovers blobs, rq_kmeans codes (N, L) in [0, K)")
