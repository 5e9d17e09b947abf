"""A small PyTorch tower and an all-PyTorch reference loss, used by the cross-framework gradient test."""
import torch
import torch.nn.functional as F

from . import store


class Tower(torch.nn.Module):
    """emb = tanh(x W0 + b0) W1 + b1: (B, in_dim) -> (B, out_dim)."""

    def __init__(self, in_dim=8, hidden=16, out_dim=4):
        super().__init__()
        self.l0 = torch.nn.Linear(in_dim, hidden)
        self.l1 = torch.nn.Linear(hidden, out_dim)

    def forward(self, x):
        return {"emb": self.l1(torch.tanh(self.l0(x)))}


def reference_gradients(handle, x, labels, w1, b1, w2, b2):
    """The tfjs ranker's loss recomputed in PyTorch: BCE(relu(E W1 + b1) W2 + b2, y); returns d loss / d params."""
    m = store.get(handle).module
    names, params = zip(*m.named_parameters())
    e = m(x=x)["emb"]  # (B, D)
    logit = (torch.relu(e @ w1 + b1) @ w2 + b2).squeeze(-1)  # (B,)
    loss = F.binary_cross_entropy_with_logits(logit, labels)
    grads = torch.autograd.grad(loss, params)
    out = {f"grad.{n}": g for n, g in zip(names, grads)}
    out["loss"] = float(loss.detach())
    return out
