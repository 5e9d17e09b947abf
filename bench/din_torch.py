"""
PyTorch reference DIN for `bench/din-vs-torch.ts`: measures training samples/s of one epoch, peak RSS and test AUC
of a DIN with exactly the architecture of src/models/din.ts, on the binary columns the TypeScript bench wrote.

Architecture (mirrors src/models/din.ts with DIN_DEFAULTS for the CTR-world schema):
  * one embedding table (vocab, D) per categorical feature, D = 8, init normal(0, 0.05); the behaviour sequences
    share the tables of the feature named in `sharesWith` (hist_item_id -> item_id, hist_category_id -> category_id);
  * keys (B, T, P*D) = the concatenated sequence embeddings, query (B, P*D) = the candidate's matching embeddings;
  * target attention a = MLP([q, k, q - k, q * k]) with widths [4PD -> 36 relu -> 1], un-normalised, masked by id > 0;
  * interest = sum_t a_t k_t, mean-pooled history = sum_t mask_t k_t / max(count, 1);
  * tower input = [interest, mean history, the categorical field embeddings (B, Fc*D) in schema order, dense];
    tower [200, 80] relu -> 1; dense layers glorot-uniform kernels, zero biases;
  * loss: mean BCE with logits; torch.optim.Adam(lr, betas=(0.9, 0.999), eps=1e-8), no weight decay.
  (Adam note: reclab adds eps to sqrt(v) before bias correction, PyTorch after; identical up to eps scaling.)

Timing: after `--warmup-batches` steps on a throw-away model (reported separately), a fresh model is trained for one
shuffled epoch; samples/s = rows / wall seconds of that epoch (host-side batch gathering included, as in reclab).

Run (normally started by the TypeScript bench):
  .venv/bin/python bench/din_torch.py --data /tmp/reclab-bench-XXXX [--threads 2] [--seed 1]
Prints one JSON line: {samplesPerSecond, auc, peakRssMb, threads, ...}.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch import nn

DTYPES = {"int32": "<i4", "float32": "<f4"}


def load_split(data_dir: str, header: dict, split: str) -> Dict[str, torch.Tensor]:
    """Reads one split's columns; ids become int64 (torch's usual index dtype), floats stay float32."""
    out: Dict[str, torch.Tensor] = {}
    for name, col in header["splits"][split]["columns"].items():
        arr = np.fromfile(os.path.join(data_dir, col["file"]), dtype=DTYPES[col["dtype"]]).reshape(col["shape"])
        t = torch.from_numpy(arr.copy())
        out[name] = t.long() if col["dtype"] == "int32" else t
    return out


class MLP(nn.Module):
    """Linear layers with ReLU between them and a final linear output (like reclab's MLP with outDim)."""

    def __init__(self, in_dim: int, hidden: List[int], out_dim: int) -> None:
        super().__init__()
        dims = [in_dim, *hidden, out_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        for lin in self.layers:
            nn.init.xavier_uniform_(lin.weight)  # limit sqrt(6 / (fan_in + fan_out)), as reclab's 'glorot'
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, lin in enumerate(self.layers):
            x = lin(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


class DIN(nn.Module):
    """The DIN of src/models/din.ts (see the module doc)."""

    def __init__(self, schema: dict, dim: int = 8, att_hidden: List[int] | None = None, hidden: List[int] | None = None) -> None:
        super().__init__()
        feats = schema["features"]
        self.categorical = [f["name"] for f in feats if f["kind"] == "categorical"]
        self.dense = [f["name"] for f in feats if f["kind"] == "dense"]
        dense_dim = sum(f.get("dim", 1) for f in feats if f["kind"] == "dense")
        self.pairs = [(f["name"], f["sharesWith"]) for f in feats if f["kind"] == "sequence" and f.get("sharesWith")]
        assert self.pairs and all(f["kind"] != "multiHot" for f in feats), "bench schema: sequences with sharesWith only"
        self.emb = nn.ModuleDict({f["name"]: nn.Embedding(f["vocab"], dim) for f in feats if f["kind"] == "categorical"})
        for e in self.emb.values():
            nn.init.normal_(e.weight, std=0.05)
        p = len(self.pairs)
        self.attention = MLP(4 * p * dim, att_hidden or [36], 1)
        width = len(self.categorical) * dim + 2 * p * dim + dense_dim
        self.tower = MLP(width, hidden or [200, 80], 1)

    def forward(self, b: Dict[str, torch.Tensor]) -> torch.Tensor:
        keys = torch.cat([self.emb[t](b[s]) for s, t in self.pairs], 2)  # (B, T, P*D)
        query = torch.cat([self.emb[t](b[t]) for _, t in self.pairs], 1)  # (B, P*D)
        mask = (b[self.pairs[0][0]] > 0).float()  # (B, T)
        q = query.unsqueeze(1).expand(-1, keys.shape[1], -1)  # (B, T, P*D)
        x = torch.cat([q, keys, q - keys, q * keys], 2)  # (B, T, 4PD)
        w = self.attention(x).squeeze(2) * mask  # (B, T)
        interest = (keys * w.unsqueeze(2)).sum(1)  # (B, P*D)
        count = mask.sum(1, keepdim=True).clamp_min(1.0)  # (B, 1)
        mean_hist = (keys * mask.unsqueeze(2)).sum(1) / count  # (B, P*D)
        fields = torch.stack([self.emb[n](b[n]) for n in self.categorical], 1).reshape(keys.shape[0], -1)  # (B, Fc*D)
        dense = [b[n].reshape(keys.shape[0], -1) for n in self.dense]  # (B, dim) each
        return self.tower(torch.cat([interest, mean_hist, fields, *dense], 1)).squeeze(1)  # (B)


def run_epoch(model: DIN, opt: torch.optim.Optimizer, data: Dict[str, torch.Tensor], label: str, batch_size: int,
              gen: torch.Generator, max_batches: int | None = None) -> tuple[int, float]:
    """One shuffled pass (or its first max_batches batches); returns (rows seen, mean loss)."""
    n = data[label].shape[0]
    perm = torch.randperm(n, generator=gen)
    seen, loss_sum = 0, 0.0
    model.train()
    for k, start in enumerate(range(0, n, batch_size)):
        if max_batches is not None and k >= max_batches:
            break
        idx = perm[start:start + batch_size]
        batch = {name: col.index_select(0, idx) for name, col in data.items()}
        loss = F.binary_cross_entropy_with_logits(model(batch), batch[label])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * idx.shape[0]
        seen += idx.shape[0]
    return seen, loss_sum / max(seen, 1)


@torch.no_grad()
def predict(model: DIN, data: Dict[str, torch.Tensor], label: str, batch_size: int = 8192) -> np.ndarray:
    model.eval()
    n = data[label].shape[0]
    out = []
    for start in range(0, n, batch_size):
        out.append(torch.sigmoid(model({k: v[start:start + batch_size] for k, v in data.items()})))
    return torch.cat(out).numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--interop-threads", type=int, default=0, help="0 = leave torch's default")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--warmup-batches", type=int, default=10)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if args.interop_threads > 0:
        torch.set_num_interop_threads(args.interop_threads)
    with open(os.path.join(args.data, "header.json")) as fh:
        header = json.load(fh)
    label = header["label"]
    t0 = time.perf_counter()
    train, test = load_split(args.data, header, "train"), load_split(args.data, header, "test")
    load_s = time.perf_counter() - t0

    make = lambda seed: (torch.manual_seed(seed), DIN(header["schema"], dim=args.dim))[1]  # noqa: E731
    # Warm-up on a throw-away model: first-call allocations and kernel selection, reported, not timed in the epoch.
    warm = make(args.seed + 10_000)
    warm_opt = torch.optim.Adam(warm.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    t0 = time.perf_counter()
    warm_rows, _ = run_epoch(warm, warm_opt, train, label, args.batch_size, torch.Generator().manual_seed(args.seed + 10_000), args.warmup_batches)
    warm_s = time.perf_counter() - t0
    del warm, warm_opt

    model = make(args.seed)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(args.seed)
    cpu0, t0 = time.process_time(), time.perf_counter()
    rows, loss = run_epoch(model, opt, train, label, args.batch_size, gen)
    secs = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    probs = predict(model, test, label)
    auc = float(roc_auc_score(test[label].numpy(), probs))
    print(json.dumps({
        "samplesPerSecond": rows / secs,
        "auc": auc,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "epochSeconds": secs,
        "cpuSecondsPerWallSecond": cpu / secs,
        "rows": rows,
        "trainLoss": loss,
        "warmupBatches": args.warmup_batches,
        "warmupSamplesPerSecond": warm_rows / warm_s if warm_s > 0 else None,
        "loadSeconds": load_s,
        "parameters": sum(p.numel() for p in model.parameters()),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
