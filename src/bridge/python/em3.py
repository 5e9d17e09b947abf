"""EM3's multimodal item tower in PyTorch (mode B of ../shared/papers/em3.md: paper-faithful, trained end to end).

Deng et al., "End-to-end training of Multimodal Model and ranking Model", arXiv:2404.06078 (2024).
Implemented here: the multimodal encoder (7b's text transformer + CNN from encoders.py, pre-trained content-only
and then fine-tuned end to end) exposing its token states (title+ASR tokens, 4x4 image patches), and the
Fusion-Q-Former: n_q trainable queries; per block (pre-LN) query self-attention, cross-attention over the text and
image tokens, FFN; the queries are flattened and projected to the item content embedding f_i:
    Q <- Q + SA(LN(Q));  Q <- Q + CA(LN(Q), [T_text; T_image]);  Q <- Q + FFN(LN(Q));  f = W flatten(Q)
Two paths over the same items (forward(ids) returns both):
  target  - every weight trainable (the candidate item);
  history - the user's content-interest sequence: the encoder and the Q-Former base weights are frozen (detached)
            and LoRA adapters (rank r, B zero-initialised, scale 1) on the cross-attention q and v projections train:
            W_eff = stopgrad(W) + B A. Rank 0 = a frozen history path.
Start from the pre-trained solution (issue 16): with `residual` (the default) the tower's output is the pre-trained
encoder's pooled item embedding m_i (exactly what the frozen-content variant is given) plus the Q-Former's output,
whose output layer is zero-initialised:
    target  = m_i + W_out flatten(Q)            (W_out = 0 at the start, so target = m_i)
    history = stopgrad(m_i) + frozen-path Q-Former with LoRA (also 0 at the start)
so at step 0 the end-to-end ranker scores exactly as the frozen-content ranker with the same initialisation, instead of
restarting from a random Q-Former (issue 16 measured 0.5709, the ID-only level). `set_encoder_frozen` freezes the
encoder (no gradient; the Q-Former and image projection still train) for the warm-up epochs.
Paper deviation: LoRA placement and rank are not given by the paper; this follows the spec's proposal (§3.3).
Paper deviation: the residual start and the warm-up are ours (the paper does not say how its Q-Former is initialised).
Paper deviation: one Q-Former block (d 32, 2 heads) and a ~30k-parameter encoder stand in for the paper's sizes (2 CPU cores).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

import encoders


def _lin(x, layer, frozen):
    """Linear layer, with its weights detached on the frozen path."""
    return F.linear(x, layer.weight.detach(), layer.bias.detach()) if frozen else layer(x)


def _ln(x, norm, frozen):
    return F.layer_norm(x, norm.normalized_shape, norm.weight.detach(), norm.bias.detach()) if frozen else norm(x)


class LoRA(nn.Module):
    """Low-rank update x -> (x A^T) B^T with A (r, d_in) Kaiming-uniform and B (d_out, r) zeros."""

    def __init__(self, d_in, d_out, rank):
        super().__init__()
        self.A = nn.Parameter(torch.empty(rank, d_in))
        self.B = nn.Parameter(torch.zeros(d_out, rank))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x):
        return (x @ self.A.T) @ self.B.T


class Attention(nn.Module):
    """Multi-head attention with optional LoRA on q and v (used on the frozen history path only)."""

    def __init__(self, dim, heads, rank):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.lora_q = LoRA(dim, dim, rank) if rank > 0 else None
        self.lora_v = LoRA(dim, dim, rank) if rank > 0 else None

    def forward(self, x, ctx, pad, frozen):
        N, Lq, D = x.shape
        q = _lin(x, self.q, frozen)  # (N, Lq, D)
        v = _lin(ctx, self.v, frozen)  # (N, Lk, D)
        if frozen and self.lora_q is not None:
            q = q + self.lora_q(x)
            v = v + self.lora_v(ctx)
        k = _lin(ctx, self.k, frozen)  # (N, Lk, D)
        h = self.heads
        split = lambda t: t.reshape(N, t.shape[1], h, D // h).transpose(1, 2)  # noqa: E731  (N, h, L, D/h)
        mask = None if pad is None else ~pad[:, None, None, :]  # (N, 1, 1, Lk) True = attend
        out = F.scaled_dot_product_attention(split(q), split(k), split(v), attn_mask=mask)  # (N, h, Lq, D/h)
        return _lin(out.transpose(1, 2).reshape(N, Lq, D), self.o, frozen)


class FusionQFormer(nn.Module):
    """n_q queries -> [self-attn, cross-attn over tokens, FFN] x layers -> flatten -> (N, out_dim)."""

    def __init__(self, dim, out_dim, queries, heads, rank, layers=1, zero_out=False):
        super().__init__()
        self.queries = nn.Parameter(torch.empty(queries, dim))
        nn.init.xavier_uniform_(self.queries)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            b = nn.Module()
            b.ln1, b.ln2, b.ln3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
            b.self_attn = Attention(dim, heads, 0)
            b.cross_attn = Attention(dim, heads, rank)
            b.ff1, b.ff2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)
            self.blocks.append(b)
        self.out = nn.Linear(queries * dim, out_dim)
        if zero_out:
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

    def forward(self, tokens, pad, frozen):
        N = tokens.shape[0]
        q0 = self.queries.detach() if frozen else self.queries
        q = q0[None].expand(N, -1, -1)  # (N, n_q, D)
        for b in self.blocks:
            x = _ln(q, b.ln1, frozen)
            q = q + b.self_attn(x, x, None, frozen)
            q = q + b.cross_attn(_ln(q, b.ln2, frozen), tokens, pad, frozen)
            q = q + _lin(F.gelu(_lin(_ln(q, b.ln3, frozen), b.ff1, frozen)), b.ff2, frozen)
        return _lin(q.reshape(N, -1), self.out, frozen)  # (N, out_dim)


class EM3Tower(nn.Module):
    """Item content tower: encoder tokens -> Fusion-Q-Former; `forward(ids)` gives target and history embeddings.

    Content (title, asr, image of every item, row i = item id i + 1) is attached with `set_content` (not weights).
    """

    def __init__(self, vocab, title_len, asr_len, dim=32, out_dim=32, queries=4, heads=2, lora_rank=4, layers=1, width=8, encoder_weights=None, residual=True):
        super().__init__()
        if residual and out_dim != dim:
            raise ValueError(f"EM3Tower: the residual start adds the encoder's embedding (dim {dim}) to the output, so out_dim must equal dim, got {out_dim}")
        self.encoder = encoders.MultiModalEncoder(vocab, title_len, asr_len, dim=dim, out_dim=dim, width=width)
        if encoder_weights:
            encoders.load_pretrained(self.encoder, encoder_weights)
        self.img_proj = nn.Linear(4 * width, dim)
        self.qformer = FusionQFormer(dim, out_dim, queries, heads, lora_rank, layers, zero_out=residual)
        self.residual = bool(residual)
        self.encoder_frozen = False
        self.content = None

    def encode(self, title, asr, image):
        """One encoder pass: token states (N, L, D), their padding mask (N, L), image patches (N, 4w, 4, 4) and the
        pooled item embedding m_i (N, D), computed exactly as encoders.MultiModalEncoder.forward does."""
        te = self.encoder.text
        ids = torch.cat([title, asr], 1).long()  # (N, L)
        seg = torch.cat([torch.zeros_like(title), torch.ones_like(asr)], 1).long()
        x = te.tok(ids) + te.seg(seg) + te.pos(torch.arange(ids.shape[1]))[None]  # (N, L, D)
        pad = ids == 0  # (N, L)
        text = te.norm(te.blocks(x, src_key_padding_mask=pad))  # (N, L, D)
        keep = (~pad).float()[..., None]  # (N, L, 1)
        pooled_text = (text * keep).sum(1) / keep.sum(1).clamp(min=1)  # (N, D)
        patches = self.encoder.image.convs(image.float())  # (N, 4w, 4, 4)
        m = F.normalize(F.normalize(te.head(pooled_text), dim=-1) + F.normalize(self.encoder.image.head(patches.mean((2, 3))), dim=-1), dim=-1)
        return text, pad, patches, m

    def tokens(self, title, asr, image):
        """Text token states (N, Lt+La, D) with padding mask, 16 image patch tokens (N, 16, D), and m_i (N, D)."""
        if self.encoder_frozen:
            with torch.no_grad():
                text, pad, patches, m = self.encode(title, asr, image)
        else:
            text, pad, patches, m = self.encode(title, asr, image)
        img = self.img_proj(patches.flatten(2).transpose(1, 2))  # (N, 16, D)
        toks = torch.cat([text, img], 1)  # (N, L + 16, D)
        pad = torch.cat([pad, torch.zeros(img.shape[:2], dtype=torch.bool)], 1)  # (N, L + 16)
        return toks, pad, m

    def forward(self, ids, history=True):
        """ids (K,) item ids (>= 1) -> {target (K, out), history (K, out)}; the history path runs frozen + LoRA."""
        title, asr, image = (t[ids.long() - 1] for t in self.content)
        toks, pad, m = self.tokens(title, asr, image)
        target = self.qformer(toks, pad, frozen=False)
        out = {"target": m + target if self.residual else target}
        if history:
            h = self.qformer(toks.detach(), pad, frozen=True)
            out["history"] = m.detach() + h if self.residual else h
        return out


def set_content(handle, title, asr, image):
    """Attaches the items' raw content to a tower held by the bridge (copied out of the transfer file)."""
    from reclab_bridge import store

    store.get(handle).module.content = (title.clone(), asr.clone(), image.clone())
    return {"items": int(title.shape[0])}


def set_encoder_frozen(handle, frozen):
    """Freezes (True) or unfreezes (False) the tower's encoder: while frozen it gets no gradient (warm-up)."""
    from reclab_bridge import store

    store.get(handle).module.encoder_frozen = bool(frozen)
    return {"frozen": bool(frozen)}


def pretrain(handle, epochs=3, seed=0, save_path=None):
    """Content-only pre-training of the tower's encoder (text<->image InfoNCE, encoders.pretrain_content); returns
    the frozen item embeddings m_i (N, D) of the pre-trained encoder and optionally saves its weights."""
    from reclab_bridge import store

    tower = store.get(handle).module
    title, asr, image = tower.content
    losses = encoders.pretrain_content(tower.encoder, title, asr, image, epochs=int(epochs), seed=int(seed))
    if save_path:
        encoders.save_weights(tower.encoder, save_path)
    return {"frozen": encoders.encode(tower.encoder, title, asr, image), "losses": losses}
