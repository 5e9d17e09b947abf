"""Multimodal item encoders for the multimodal world (QARM, EM3), trained from scratch.

No model weights can be downloaded here, so the "pre-trained MLLM" of the papers is stood in for by a small text
transformer over the title and ASR tokens and a small CNN over the 32x32x3 image, pre-trained from scratch on the
content alone with a CLIP-style text<->image InfoNCE (the encoder learns what content says, not what users do). A user
with local weights loads them with `load_pretrained(encoder, path)` (a torch state dict; strict by default).

Shapes: N items, Lt title tokens, La ASR tokens (ids 1..V, 0 = padding), images (N, 3, 32, 32) in [-1, 1].
Paper deviation: QARM's MLLM (d_m = 512) is replaced by this ~30k-parameter encoder with d_m = `out_dim` (32): the
machine has 2 shared CPU cores.
"""
from __future__ import annotations

import math
import random
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def seed_everything(seed: int) -> None:
    """Seeds torch, numpy and random (the encoders' only sources of randomness)."""
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    random.seed(seed)


class TextEncoder(nn.Module):
    """Title and ASR tokens -> (N, out_dim): token + segment + position embeddings, pre-norm transformer, masked mean."""

    def __init__(self, vocab: int, title_len: int, asr_len: int, dim: int = 32, heads: int = 2, layers: int = 1, out_dim: int = 32):
        super().__init__()
        self.title_len, self.asr_len = title_len, asr_len
        self.tok = nn.Embedding(vocab + 1, dim, padding_idx=0)
        self.seg = nn.Embedding(2, dim)
        self.pos = nn.Embedding(title_len + asr_len, dim)
        block = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, out_dim)

    def forward(self, title: torch.Tensor, asr: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(title, asr))  # (N, out_dim)

    def body(self, title: torch.Tensor, asr: torch.Tensor) -> torch.Tensor:
        """Everything below the head: the pooled token states (N, dim)."""
        ids = torch.cat([title, asr], 1).long()  # (N, Lt + La)
        L = ids.shape[1]
        seg = torch.cat([torch.zeros_like(title), torch.ones_like(asr)], 1).long()  # (N, L)
        x = self.tok(ids) + self.seg(seg) + self.pos(torch.arange(L, device=ids.device))[None]  # (N, L, dim)
        pad = ids == 0  # (N, L)
        h = self.norm(self.blocks(x, src_key_padding_mask=pad))  # (N, L, dim)
        keep = (~pad).float()[..., None]  # (N, L, 1)
        return (h * keep).sum(1) / keep.sum(1).clamp(min=1)  # (N, dim)


class ImageEncoder(nn.Module):
    """(N, 3, 32, 32) -> (N, out_dim): three stride-2 3x3 convolutions (width, 2 width, 4 width channels), global mean, linear."""

    def __init__(self, out_dim: int = 32, width: int = 8):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(2 * width, 4 * width, 3, 2, 1), nn.ReLU(),
        )
        self.head = nn.Linear(4 * width, out_dim)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(image))  # (N, out_dim)

    def body(self, image: torch.Tensor) -> torch.Tensor:
        """Everything below the head: globally pooled conv features (N, 4 * width)."""
        return self.convs(image.float()).mean((2, 3))


class MultiModalEncoder(nn.Module):
    """Text and image towers; the item embedding m_i = l2norm(l2norm(text_i) + l2norm(image_i)), (N, out_dim)."""

    def __init__(self, vocab: int, title_len: int, asr_len: int, dim: int = 32, out_dim: int = 32, layers: int = 1, heads: int = 2, width: int = 8):
        super().__init__()
        self.config = dict(vocab=vocab, title_len=title_len, asr_len=asr_len, dim=dim, out_dim=out_dim, layers=layers, heads=heads, width=width)
        self.text = TextEncoder(vocab, title_len, asr_len, dim, heads, layers, out_dim)
        self.image = ImageEncoder(out_dim, width)

    def towers(self, title: torch.Tensor, asr: torch.Tensor, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Both towers, L2-normalised: text (N, out_dim), image (N, out_dim)."""
        return {"text": F.normalize(self.text(title, asr), dim=-1), "image": F.normalize(self.image(image), dim=-1)}

    def forward(self, title: torch.Tensor, asr: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        t = self.towers(title, asr, image)
        return F.normalize(t["text"] + t["image"], dim=-1)  # (N, out_dim)

    @torch.no_grad()
    def bodies(self, title: torch.Tensor, asr: torch.Tensor, image: torch.Tensor, batch: int = 512) -> Dict[str, torch.Tensor]:
        """Frozen body features of both towers (eval mode): text (N, dim), image (N, 4 * width)."""
        self.eval()
        idx = range(0, len(title), batch)
        return {"text": torch.cat([self.text.body(title[s:s + batch], asr[s:s + batch]) for s in idx]),
                "image": torch.cat([self.image.body(image[s:s + batch]) for s in idx])}

    def from_bodies(self, text: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """The item embedding from cached body features (only the heads run): (N, out_dim)."""
        return F.normalize(F.normalize(self.text.head(text), dim=-1) + F.normalize(self.image.head(image), dim=-1), dim=-1)


def build_encoder(vocab: int, title_len: int, asr_len: int, dim: int = 32, out_dim: int = 32, seed: int = 0, layers: int = 1, heads: int = 2, width: int = 8) -> MultiModalEncoder:
    """A freshly initialised encoder (seeded). Defaults: d 32, one transformer block with 2 heads, CNN 8/16/32, d_m 32."""
    seed_everything(seed)
    return MultiModalEncoder(vocab, title_len, asr_len, dim, out_dim, layers, heads, width)


def info_nce(za: torch.Tensor, zb: torch.Tensor, tau: float, ids_a: torch.Tensor | None = None, ids_b: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric in-batch InfoNCE: L = 1/2 [CE(S, diag) + CE(S^T, diag)], S = za zb^T / tau (rows L2-normalised).

    With item ids, off-diagonal entries that are the same item as the row's anchor or its positive are masked (-inf),
    so a duplicate item in the batch is not pushed away from itself.
    """
    s = za @ zb.T / tau  # (B, B)
    if ids_a is not None and ids_b is not None:
        eye = torch.eye(len(za), dtype=torch.bool, device=za.device)
        dup_ab = ((ids_b[None, :] == ids_b[:, None]) | (ids_b[None, :] == ids_a[:, None])) & ~eye  # rows a_j, columns b_k
        dup_ba = ((ids_a[None, :] == ids_a[:, None]) | (ids_a[None, :] == ids_b[:, None])) & ~eye  # rows b_j, columns a_k
        s_ab = s.masked_fill(dup_ab, float("-inf"))
        s_ba = s.T.masked_fill(dup_ba, float("-inf"))
    else:
        s_ab, s_ba = s, s.T
    target = torch.arange(len(za), device=za.device)
    return 0.5 * (F.cross_entropy(s_ab, target) + F.cross_entropy(s_ba, target))


def pretrain_content(encoder: MultiModalEncoder, title: torch.Tensor, asr: torch.Tensor, image: torch.Tensor, epochs: int = 5,
                     batch: int = 128, lr: float = 2e-3, tau: float = 0.1, seed: int = 0) -> List[float]:
    """Content-only pre-training from scratch: CLIP-style InfoNCE between each item's text and its image.

    Returns the mean loss per epoch. Sees no user behaviour (the stand-in for an MLLM trained on NLP/CV tasks).
    """
    seed_everything(seed)
    opt = torch.optim.AdamW(encoder.parameters(), lr=lr, weight_decay=1e-4)
    n = len(title)
    history: List[float] = []
    encoder.train()
    for _ in range(epochs):
        order = torch.randperm(n)
        total, steps = 0.0, 0
        for start in range(0, n - 1, batch):
            idx = order[start:start + batch]
            if len(idx) < 2:
                continue
            t = encoder.towers(title[idx], asr[idx], image[idx])
            loss = info_nce(t["text"], t["image"], tau)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        history.append(total / max(steps, 1))
    return history


@torch.no_grad()
def encode(encoder: MultiModalEncoder, title: torch.Tensor, asr: torch.Tensor, image: torch.Tensor, batch: int = 512) -> torch.Tensor:
    """Item embeddings m_i in eval mode, (N, out_dim), float32, L2-normalised."""
    encoder.eval()
    out = [encoder(title[s:s + batch], asr[s:s + batch], image[s:s + batch]) for s in range(0, len(title), batch)]
    return torch.cat(out, 0).float()


def save_weights(encoder: nn.Module, path: str) -> None:
    """Writes the encoder's state dict (torch.save) to `path`."""
    torch.save(encoder.state_dict(), path)


def load_pretrained(encoder: nn.Module, path: str, strict: bool = True) -> Dict[str, List[str]]:
    """Loads local pre-trained weights (a torch state dict) into `encoder`.

    Strict: a missing, unexpected or mis-shaped tensor is a ValueError naming it and the file. Returns the missing and
    unexpected keys (both empty when strict).
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict (name -> tensor), got {type(state).__name__}")
    own = encoder.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: file {tuple(state[k].shape)} vs encoder {tuple(own[k].shape)}" for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if shapes:
        raise ValueError(f"{path}: mis-shaped weights: {'; '.join(shapes)}")
    if strict and (missing or unexpected):
        raise ValueError(f"{path}: missing keys {missing}, unexpected keys {unexpected}")
    encoder.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    return {"missing": missing, "unexpected": unexpected}


def parameter_count(encoder: nn.Module) -> int:
    """Number of scalar parameters."""
    return sum(math.prod(p.shape) for p in encoder.parameters())
