"""Golden reference values for reclab's DIN (src/models/din.ts) and DeepFM (src/models/deepfm.ts), from PyTorch.

Regenerate (from the repository root):

    .venv/bin/python test/golden/models_reference.py

Writes test/golden/fixtures/models.json, read by test/golden/models.test.ts: the schema, one batch of B = 5 rows,
for each model its config, weights by reclab's dotted parameter names (kernels (in, out), as `Dense` stores them),
the outputs (logits; DIN's attention weights; DeepFM's `fm` and `deep` parts), the mean BCE-with-logits loss against
the batch's labels (torch.nn.functional.binary_cross_entropy_with_logits) and its gradient with respect to every
parameter, by name, from torch autograd.

The models are written here from the maths in the doc comments of src/models/{din,deepfm}.ts and
src/layers/{embedding,attention,ctr-inputs}.ts, independently of the TypeScript code:

DIN (pairs P = (hist_item_id -> item_id, hist_category_id -> category_id), sequence length T, width D):
    k_t   = [E_item[hist_item_t]; E_cat[hist_cat_t]]                     (B, T, P*D)
    q     = [E_item[item_id]; E_cat[category_id]]                        (B, P*D)
    m_t   = 1[hist_item_t > 0]   (the first sequence's padding)          (B, T)
    a_t   = m_t * MLP_att([q; k_t; q - k_t; q * k_t])  (ReLU hidden, linear out, no softmax)
    interest = sum_t a_t k_t;   meanHist = sum_t m_t k_t / max(sum_t m_t, 1)
    logit = MLP_tower([interest; meanHist; E_user[u]; E_item[i]; E_cat[c]; price])   (ReLU hidden, linear out)
DeepFM (fields e_1..e_F: the categorical features, then each list feature as the masked mean of its ids' embeddings,
with the table it shares; first-order weights w the same with width-1 tables):
    logit = sum_i w_i + 1/2 sum_d [(sum_i e_id)^2 - sum_i e_id^2] + MLP_deep([e_1; ...; e_F; price])

Computed in float64 from float32 weights and inputs; every value written is rounded to float32. Weights (tables,
kernels and biases alike) are N(0, 0.3^2). The seed is the first from SEED upward for which every ReLU unit is active
on at least one real (unpadded) input and no ReLU pre-activation lies within MARGIN of 0, so float32 round-off in the
TypeScript model cannot flip a ReLU and every hidden unit's parameters receive a gradient.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240611
MARGIN = 1e-3
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "models.json")

D = 3
ATT_HIDDEN = [4]
TOWER = [6, 5]
B, T = 5, 4

SCHEMA = {
    "features": [
        {"kind": "categorical", "name": "user_id", "vocab": 7},
        {"kind": "categorical", "name": "item_id", "vocab": 9},
        {"kind": "categorical", "name": "category_id", "vocab": 4},
        {"kind": "dense", "name": "price", "dim": 1},
        {"kind": "sequence", "name": "hist_item_id", "vocab": 9, "maxLen": T, "sharesWith": "item_id"},
        {"kind": "sequence", "name": "hist_category_id", "vocab": 4, "maxLen": T, "sharesWith": "category_id"},
    ],
    "labels": ["click"],
    "userId": "user_id",
}
VOCAB = {f["name"]: f["vocab"] for f in SCHEMA["features"] if "vocab" in f}
CATEGORICAL = ["user_id", "item_id", "category_id"]
LISTS = ["hist_item_id", "hist_category_id"]  # schema order; both share a categorical feature's table
SHARES = {"hist_item_id": "item_id", "hist_category_id": "category_id"}
PAIRS = [("hist_item_id", "item_id"), ("hist_category_id", "category_id")]  # DIN: (sequence, target)

# One batch, fixed by hand: left-aligned histories of lengths 4, 2, 0 (all padding), 1 and 3, with repeated ids (also
# across rows, and equal to the target) so embedding gradients accumulate. Item i has category ITEM_CAT[i].
ITEM_CAT = [0, 1, 2, 3, 1, 2, 3, 1, 2]
HIST_ITEM = np.array(
    [
        [3, 5, 3, 8],
        [2, 7, 0, 0],
        [0, 0, 0, 0],
        [6, 0, 0, 0],
        [1, 4, 1, 0],
    ],
    dtype=np.int64,
)
HIST_CAT = np.where(HIST_ITEM > 0, np.array(ITEM_CAT)[HIST_ITEM], 0)
BATCH = {
    "user_id": np.array([1, 4, 0, 6, 4], dtype=np.int64),
    "item_id": np.array([3, 8, 5, 2, 1], dtype=np.int64),
    "hist_item_id": HIST_ITEM,
    "hist_category_id": HIST_CAT,
}
BATCH["category_id"] = np.array(ITEM_CAT)[BATCH["item_id"]]
BATCH["price"] = np.array([[0.7], [-1.2], [0.3], [1.9], [-0.4]], dtype=np.float32)
BATCH["click"] = np.array([1, 0, 1, 0, 1], dtype=np.float32)


# ---- parameters, by reclab's dotted names --------------------------------------------------------------------------
def mlp_shapes(prefix, in_dim, hidden):
    """reclab's MLP: dense0..dense{n-1} (ReLU) then out (linear, width 1); kernels (in, out)."""
    shapes, d = {}, in_dim
    for i, h in enumerate(hidden):
        shapes[f"{prefix}.dense{i}.kernel"] = [d, h]
        shapes[f"{prefix}.dense{i}.bias"] = [h]
        d = h
    shapes[f"{prefix}.out.kernel"] = [d, 1]
    shapes[f"{prefix}.out.bias"] = [1]
    return shapes


def din_shapes():
    s = {f"emb.{n}.table": [VOCAB[n], D] for n in CATEGORICAL}
    P = len(PAIRS)
    s.update(mlp_shapes("attention.mlp", 4 * P * D, ATT_HIDDEN))
    s.update(mlp_shapes("tower", 2 * P * D + len(CATEGORICAL) * D + 1, TOWER))
    return s


def deepfm_shapes():
    s = {f"emb.{n}.table": [VOCAB[n], D] for n in CATEGORICAL}
    s.update({f"first.{n}.table": [VOCAB[n], 1] for n in CATEGORICAL})
    s.update(mlp_shapes("deep", (len(CATEGORICAL) + len(LISTS)) * D + 1, TOWER))
    return s


def init_params(shapes, gen):
    """N(0, 0.3^2) float32 values, then float64 leaves that require grad."""
    return {
        k: (torch.randn(*shape, generator=gen, dtype=torch.float32) * 0.3).double().requires_grad_(True)
        for k, shape in shapes.items()
    }


# ---- the models ----------------------------------------------------------------------------------------------------
def mlp(p, prefix, x, n_hidden, relu_log):
    """ReLU hidden layers then a linear width-1 output; logs each hidden pre-activation (for the seed check)."""
    h = x
    for i in range(n_hidden):
        z = F.linear(h, p[f"{prefix}.dense{i}.kernel"].t(), p[f"{prefix}.dense{i}.bias"])
        relu_log.append(z)
        h = torch.relu(z)
    return F.linear(h, p[f"{prefix}.out.kernel"].t(), p[f"{prefix}.out.bias"])


def table(p, owner, feature):
    return p[f"{owner}.{SHARES.get(feature, feature)}.table"]


def masked_mean(seq, mask):
    """seq (B, L, W), mask (B, L) -> (B, W); empty rows give zeros."""
    return (seq * mask.unsqueeze(2)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)


def din_forward(p, x):
    """Returns logit (B), attention (B, T), and the ReLU pre-activations with the rows each is real on."""
    relu_att, relu_tower = [], []
    keys = torch.cat([F.embedding(x[s], table(p, "emb", s)) for s, _ in PAIRS], dim=2)  # (B, T, P*D)
    query = torch.cat([F.embedding(x[t], table(p, "emb", t)) for _, t in PAIRS], dim=1)  # (B, P*D)
    mask = (x[PAIRS[0][0]] > 0).double()  # (B, T)
    q = query.unsqueeze(1).expand_as(keys)  # (B, T, P*D)
    att_in = torch.cat([q, keys, q - keys, q * keys], dim=2)  # (B, T, 4*P*D)
    a = mlp(p, "attention.mlp", att_in, len(ATT_HIDDEN), relu_att).squeeze(2)  # (B, T)
    w = a * mask  # (B, T), un-normalised
    interest = (w.unsqueeze(2) * keys).sum(1)  # (B, P*D)
    mean_hist = masked_mean(keys, mask)  # (B, P*D)
    fields = torch.stack([F.embedding(x[n], table(p, "emb", n)) for n in CATEGORICAL], dim=1)  # (B, Fc, D)
    tower_in = torch.cat([interest, mean_hist, fields.reshape(B, -1), x["price"]], dim=1)
    logit = mlp(p, "tower", tower_in, len(TOWER), relu_tower).squeeze(1)  # (B)
    real = [(z, mask.bool()) for z in relu_att] + [(z, torch.ones(B, dtype=torch.bool)) for z in relu_tower]
    return {"logit": logit, "attention": w}, real


def field_stack(p, owner, x):
    """Categorical fields then mean-pooled list fields: (B, F, width)."""
    cat = [F.embedding(x[n], table(p, owner, n)) for n in CATEGORICAL]
    lists = [masked_mean(F.embedding(x[n], table(p, owner, n)), (x[n] > 0).double()) for n in LISTS]
    return torch.stack(cat + lists, dim=1)


def deepfm_forward(p, x):
    relu = []
    e = field_stack(p, "emb", x)  # (B, F, D)
    fm2 = 0.5 * (e.sum(1) ** 2 - (e**2).sum(1)).sum(1)  # (B)
    fm1 = field_stack(p, "first", x).sum((1, 2))  # (B)
    deep = mlp(p, "deep", torch.cat([e.reshape(B, -1), x["price"]], dim=1), len(TOWER), relu).squeeze(1)  # (B)
    fm = fm1 + fm2
    real = [(z, torch.ones(B, dtype=torch.bool)) for z in relu]
    return {"logit": fm + deep, "fm": fm, "deep": deep}, real


# ---- build, check the seed, write ----------------------------------------------------------------------------------
def tensors():
    return {
        k: torch.from_numpy(v).double() if v.dtype == np.float32 else torch.from_numpy(v).long()
        for k, v in BATCH.items()
    }


def relu_ok(real):
    """Every unit active on some real row; no pre-activation of a real row within MARGIN of the kink."""
    for z, rows in real:
        zr = z.detach()[rows]  # (N, H)
        if zr.abs().min().item() <= MARGIN or not bool((zr > 0).any(0).all()):
            return False
    return True


def f32(t):
    return [float(v) for v in np.asarray(t.detach().numpy() if torch.is_tensor(t) else t, dtype=np.float32).ravel()]


def run(name, shapes, forward, x, seed):
    gen = torch.Generator().manual_seed(seed)
    p = init_params(shapes, gen)
    out, real = forward(p, x)
    if not relu_ok(real):
        return None
    loss = F.binary_cross_entropy_with_logits(out["logit"], x["click"])
    grads = torch.autograd.grad(loss, list(p.values()))
    assert all(torch.isfinite(g).all() for g in grads)
    return {
        "weights": {k: {"shape": list(v.shape), "values": f32(v)} for k, v in p.items()},
        "outputs": {k: {"shape": list(v.shape), "values": f32(v)} for k, v in out.items()},
        "loss": f32(loss)[0],
        "grads": {k: {"shape": list(g.shape), "values": f32(g)} for k, g in zip(p.keys(), grads)},
    }


def main():
    torch.manual_seed(SEED)
    x = tensors()
    fixture = {
        "generator": "test/golden/models_reference.py",
        "torch": torch.__version__,
        "schema": SCHEMA,
        "batch": {k: (f32(v) if v.dtype == np.float32 else [int(i) for i in v.ravel()]) for k, v in BATCH.items()},
        "models": {},
    }
    specs = [
        ("din", din_shapes(), din_forward, {"embeddingDim": D, "attentionHidden": ATT_HIDDEN, "hidden": TOWER, "dropout": 0}),
        ("deepfm", deepfm_shapes(), deepfm_forward, {"embeddingDim": D, "hidden": TOWER, "dropout": 0}),
    ]
    for k, (name, shapes, forward, config) in enumerate(specs):
        for seed in range(SEED + 1000 * k, SEED + 1000 * k + 1000):
            res = run(name, shapes, forward, x, seed)
            if res is not None:
                break
        else:
            raise RuntimeError(f"{name}: no seed in 1000 satisfies the ReLU margin check")
        fixture["models"][name] = {"config": config, "seed": seed, **res}
        print(f"{name}: seed {seed}, loss {res['loss']:.6f}, logits {res['outputs']['logit']['values']}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(fixture, fh, indent=None, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
