"""QARM stage A (item alignment) and the PyTorch k-means of stage B, for the multimodal world.

Stage A (spec ../shared/papers/qarm.md §3.1): the content encoder (encoders.py, pre-trained on content only) is
fine-tuned with in-batch InfoNCE on item pairs mined from behaviour (user-to-item trigger pairs and Swing item-to-item
pairs, mined in TypeScript by src/qarm/pairs.ts):
    za = l2norm(Enc(a_j)); zb = l2norm(Enc(b_j)); S = za zb^T / tau; L = 1/2 [CE(S, diag) + CE(S^T, diag)]
with duplicates of the same item in a batch masked. Stage B helper: k-means / RQ-Kmeans in torch (src/qarm/kmeans.ts
has the TypeScript twin; the pipeline times both).

Entry points: `qarm_stage(...)` (pretrain -> unaligned embeddings -> align -> aligned embeddings) and
`rq_kmeans(...)`, called through the bridge (`pythonSession().call('qarm', 'qarm_stage', ...)`, src/qarm/python-job.ts)
or as a one-shot job:
    python src/bridge/python/qarm.py <job-dir>
where <job-dir>/job.json = {"fn": "qarm_stage" | "rq_kmeans", "args": {...}} and every <name>.npy in the folder is a
tensor argument; outputs are written as <name>.npy plus result.json (the JSON part).
Paper deviations: last-layer fine-tuning by default (the projection heads; `scope='all'` fine-tunes everything), no
LoRA; AdamW lr 3e-3 (the spec's 1e-5 is for a large pre-trained MLLM); tau 0.07 as proposed.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Dict, List

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from encoders import build_encoder, encode, info_nce, load_pretrained, pretrain_content, save_weights, seed_everything  # noqa: E402


def align(encoder, title: torch.Tensor, asr: torch.Tensor, image: torch.Tensor, pairs: torch.Tensor, epochs: int = 2,
          batch: int = 256, lr: float = 1e-3, tau: float = 0.07, seed: int = 0, scope: str = "heads") -> List[float]:
    """Fine-tunes `encoder` on item pairs (P, 2) of item rows with in-batch InfoNCE; returns mean loss per epoch.

    scope 'heads': last-layer fine-tuning (the spec's "LoRA or last-block" option): the tower bodies are frozen and
    their features computed once, only the two projection heads train. scope 'all': every parameter trains.
    """
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"align: pairs must be (P, 2), got {tuple(pairs.shape)}")
    if len(pairs) and (int(pairs.min()) < 0 or int(pairs.max()) >= len(title)):
        raise ValueError(f"align: pair item rows must lie in [0, {len(title)}), got [{int(pairs.min())}, {int(pairs.max())}]")
    if scope not in ("heads", "all"):
        raise ValueError(f"align: scope must be 'heads' or 'all', got {scope!r}")
    seed_everything(seed)
    if scope == "heads":
        feats = encoder.bodies(title, asr, image)
        params = list(encoder.text.head.parameters()) + list(encoder.image.head.parameters())
        embed = lambda idx: encoder.from_bodies(feats["text"][idx], feats["image"][idx])  # noqa: E731
    else:
        params = list(encoder.parameters())
        embed = lambda idx: encoder(title[idx], asr[idx], image[idx])  # noqa: E731
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    pairs = pairs.long()
    history: List[float] = []
    encoder.train()
    for _ in range(epochs):
        order = torch.randperm(len(pairs))
        total, steps = 0.0, 0
        for start in range(0, len(pairs), batch):
            p = pairs[order[start:start + batch]]
            if len(p) < 2:
                continue
            a, b = p[:, 0], p[:, 1]
            loss = info_nce(embed(a), embed(b), tau, a, b)  # embeddings (B, d), L2-normalised
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        history.append(total / max(steps, 1))
    return history


def pair_auc(emb: torch.Tensor, pairs: torch.Tensor, seed: int = 0) -> float:
    """AUC of cos(a, b) over held-out pairs (a, b) against cos(a, c) for a random item c: 0.5 = the embedding does not
    place behaviour pairs closer than random items."""
    if len(pairs) == 0:
        return float("nan")
    g = torch.Generator().manual_seed(seed)
    a, b = pairs[:, 0].long(), pairs[:, 1].long()
    c = torch.randint(len(emb), (len(pairs),), generator=g)
    pos = (emb[a] * emb[b]).sum(1)
    neg = (emb[a] * emb[c]).sum(1)
    return float((pos[:, None] > neg[None, :]).float().mean() + 0.5 * (pos[:, None] == neg[None, :]).float().mean())


def qarm_stage(title: torch.Tensor, asr: torch.Tensor, image: torch.Tensor, pairs: torch.Tensor, vocab: int, seed: int = 0,
               dim: int = 32, out_dim: int = 32, pretrain_epochs: int = 5, align_epochs: int = 10, batch: int = 256,
               pretrain_lr: float = 2e-3, align_lr: float = 3e-3, tau: float = 0.07, weights: str = "", save_to: str = "",
               eval_pairs: torch.Tensor | None = None, scope: str = "heads", pretrain_batch: int = 128, threads: int = 0) -> Dict[str, object]:
    """Stage A end to end: build (or load `weights`), pre-train on content (skipped when weights are given), embed
    (unaligned), align on `pairs`, embed again (aligned). Returns tensors `unaligned`, `aligned` (N, out_dim) and
    JSON: loss histories, held-out pair AUC before/after, seconds per step. `threads` > 0 sets torch's thread count
    for the call (restored afterwards)."""
    with torch_threads(threads):
        return _qarm_stage(title, asr, image, pairs, vocab, seed, dim, out_dim, pretrain_epochs, align_epochs, batch, pretrain_lr,
                           align_lr, tau, weights, save_to, eval_pairs, scope, pretrain_batch)


class torch_threads:
    """Context manager: torch.set_num_threads(n) inside (n > 0), the previous count restored on exit."""

    def __init__(self, n: int):
        self.n, self.prev = n, torch.get_num_threads()

    def __enter__(self):
        if self.n > 0:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.prev)


def _qarm_stage(title, asr, image, pairs, vocab, seed, dim, out_dim, pretrain_epochs, align_epochs, batch, pretrain_lr, align_lr, tau,
                weights, save_to, eval_pairs, scope, pretrain_batch) -> Dict[str, object]:
    t0 = time.time()
    enc = build_encoder(vocab, title.shape[1], asr.shape[1], dim, out_dim, seed)
    if weights:
        load_pretrained(enc, weights)
        pre_hist: List[float] = []
    else:
        pre_hist = pretrain_content(enc, title, asr, image, pretrain_epochs, pretrain_batch, pretrain_lr, 0.1, seed)
    t1 = time.time()
    unaligned = encode(enc, title, asr, image)
    align_hist = align(enc, title, asr, image, pairs, align_epochs, batch, align_lr, tau, seed, scope)
    t2 = time.time()
    aligned = encode(enc, title, asr, image)
    if save_to:
        save_weights(enc, save_to)
    ev = eval_pairs if eval_pairs is not None and len(eval_pairs) else None
    return {
        "unaligned": unaligned, "aligned": aligned,
        "pretrain_loss": pre_hist, "align_loss": align_hist,
        "eval_pair_auc": {"unaligned": pair_auc(unaligned, ev) if ev is not None else None,
                               "aligned": pair_auc(aligned, ev) if ev is not None else None},
        "seconds": {"pretrain": t1 - t0, "align": t2 - t1, "total": time.time() - t0},
        "parameters": sum(p.numel() for p in enc.parameters()),
    }


def kmeans(x: torch.Tensor, k: int, iters: int = 20, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Lloyd's k-means (squared Euclidean) with k-means++ seeding; empty clusters are re-seeded at the point farthest
    from its centroid. Returns centroids (k, d) and assignment (N,) int32."""
    g = torch.Generator().manual_seed(seed)
    x = x.float()
    n = len(x)
    if k > n:
        raise ValueError(f"kmeans: k ({k}) exceeds the number of points ({n})")
    c = x[torch.randint(n, (1,), generator=g)]
    d2 = ((x - c) ** 2).sum(1)
    for _ in range(1, k):
        nxt = torch.multinomial(d2 + 1e-12, 1, generator=g)
        c = torch.cat([c, x[nxt]], 0)
        d2 = torch.minimum(d2, ((x - x[nxt]) ** 2).sum(1))
    assign = torch.zeros(n, dtype=torch.long)
    for _ in range(iters):
        dist = torch.cdist(x, c)  # (N, k)
        best, assign = dist.min(1)
        counts = torch.bincount(assign, minlength=k)
        sums = torch.zeros_like(c).index_add_(0, assign, x)
        c = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], c)
        for e in torch.nonzero(counts == 0).flatten().tolist():
            far = int(best.argmax())
            c[e] = x[far]
            best[far] = 0
    assign = torch.cdist(x, c).argmin(1)
    return {"centroids": c, "assign": assign.int()}


def rq_kmeans(x: torch.Tensor, levels: int = 6, k: int = 256, iters: int = 20, seed: int = 0, threads: int = 0) -> Dict[str, object]:
    """RQ-Kmeans: k-means on x, subtract each point's centroid, repeat on the residuals for `levels` levels.
    Returns codes (N, levels) int32, centroids (levels, k, d) and the k-means seconds (without process start-up)."""
    with torch_threads(threads):
        return _rq_kmeans(x, levels, k, iters, seed)


def _rq_kmeans(x: torch.Tensor, levels: int, k: int, iters: int, seed: int) -> Dict[str, object]:
    t0 = time.time()
    r = x.float().clone()
    codes, cents = [], []
    for level in range(levels):
        out = kmeans(r, k, iters, seed + level)
        codes.append(out["assign"])
        cents.append(out["centroids"])
        r = r - out["centroids"][out["assign"].long()]
    return {"codes": torch.stack(codes, 1).int(), "centroids": torch.stack(cents, 0), "seconds": time.time() - t0}


FUNCTIONS = {"qarm_stage": qarm_stage, "rq_kmeans": rq_kmeans}


def run_job(job_dir: str) -> None:
    """Runs <job-dir>/job.json with its .npy tensors; writes output tensors as .npy and the rest as result.json."""
    with open(os.path.join(job_dir, "job.json")) as f:
        job = json.load(f)
    fn = FUNCTIONS.get(job["fn"])
    if fn is None:
        raise ValueError(f"job.json: unknown fn {job['fn']!r} (known: {sorted(FUNCTIONS)})")
    kwargs = dict(job.get("args", {}))
    for name in job.get("tensors", []):
        kwargs[name] = torch.from_numpy(np.load(os.path.join(job_dir, f"{name}.npy")))
    out = fn(**kwargs)
    rest = {}
    for k, v in out.items():
        if isinstance(v, torch.Tensor):
            arr = v.detach().numpy()
            arr = arr.astype(np.int32) if arr.dtype.kind in "iu" else arr.astype(np.float32)
            np.save(os.path.join(job_dir, f"out_{k}.npy"), np.ascontiguousarray(arr))
        else:
            rest[k] = v
    with open(os.path.join(job_dir, "result.json"), "w") as f:
        json.dump(rest, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python qarm.py <job-dir>")
    run_job(sys.argv[1])
