"""Trainable PyTorch modules driven from TypeScript: create, forward (graph kept), backward with a gradient computed
elsewhere (the tfjs ranking model), optimizer step, weights to/from local files.

The cross-framework step: TS calls `forward` -> gets the module's output tensors; tfjs computes the loss and
d loss / d outputs; TS calls `backward` with those gradients -> `torch.autograd.backward(outputs, grads)` accumulates
the parameters' gradients exactly as if the loss had been computed in PyTorch; then the optimizer steps.
"""
import torch

from . import runtime, store


class Trainable:
    """An nn.Module, its optimizer and the outputs of the last training forward (with their graph)."""

    def __init__(self, module, optimizer):
        self.module = module
        self.optimizer = optimizer
        self.pending = None


def _optimizer(params, spec):
    name = spec.get("name", "adam")
    lr = float(spec.get("lr", 1e-3))
    wd = float(spec.get("weight_decay", 0.0))
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=float(spec.get("momentum", 0.0)), weight_decay=wd)
    raise ValueError(f"optimizer name '{name}' is not adam, adamw or sgd")


def create(factory, config=None, seed=0, optimizer=None, weights=None, threads=None):
    """Builds `module:Class(**config)` (a repo module), seeded; optionally loads a local state dict. Returns the handle."""
    if threads:
        torch.set_num_threads(int(threads))
    module_name, _, cls_name = factory.partition(":")
    if not cls_name:
        raise ValueError(f"factory '{factory}' must look like 'package.module:Class'")
    cls = runtime.resolve(module_name, cls_name)
    runtime.seed_all(int(seed))
    module = cls(**(config or {}))
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"factory '{factory}' built {type(module).__name__}, not a torch.nn.Module")
    if weights:
        load_state(module, weights)
    params = [p for p in module.parameters() if p.requires_grad]
    t = Trainable(module, _optimizer(params, optimizer or {}))
    handle = store.put(t, "trainable")
    return {"handle": handle, "parameters": int(sum(p.numel() for p in params))}


def load_state(module, path):
    """Loads a state dict saved with torch.save (weights_only); errors name missing / unexpected keys."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    result = module.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise KeyError(f"weights {path}: missing {result.missing_keys}, unexpected {result.unexpected_keys}")


def _outputs(out):
    if isinstance(out, torch.Tensor):
        return {"out": out}
    if not isinstance(out, dict):
        raise TypeError(f"module forward returned {type(out).__name__}; return a tensor or a dict of tensors")
    return out


def forward(handle, method="forward", train=True, **inputs):
    """Runs `module.<method>(**inputs)`; in training mode keeps the outputs (and graph) for `backward`."""
    t = store.get(handle)
    if method.startswith("_"):
        raise PermissionError(f"method '{method}' is private")
    fn = getattr(t.module, method)
    t.module.train(bool(train))
    if train:
        out = _outputs(fn(**inputs))
        t.pending = out
        return {k: v.detach() for k, v in out.items()}
    with torch.no_grad():
        return _outputs(fn(**inputs))


def backward(handle, step=True, clip_norm=0.0, **grads):
    """Backpropagates the given output gradients through the last training forward, then (by default) steps."""
    t = store.get(handle)
    if t.pending is None:
        raise RuntimeError(f"backward on '{handle}' without a training forward before it")
    outs, tensors = [], []
    for name, g in grads.items():
        if name not in t.pending:
            raise KeyError(f"gradient for '{name}', but the forward returned {sorted(t.pending)}")
        o = t.pending[name]
        if tuple(g.shape) != tuple(o.shape):
            raise ValueError(f"gradient '{name}': expected shape {list(o.shape)}, received {list(g.shape)}")
        if not o.requires_grad:
            continue  # the output does not depend on trainable parameters (e.g. a fully frozen path): nothing to do
        outs.append(o)
        tensors.append(g.to(o.dtype))
    if outs:
        torch.autograd.backward(outs, tensors)
    t.pending = None
    params = [p for p in t.module.parameters() if p.grad is not None]
    if clip_norm > 0 and params:
        norm = float(torch.nn.utils.clip_grad_norm_(params, clip_norm))
    else:
        norm = float(sum(float(p.grad.double().pow(2).sum()) for p in params) ** 0.5)
    if step:
        t.optimizer.step()
        t.optimizer.zero_grad(set_to_none=True)
    return {"grad_norm": norm}


def gradients(handle):
    """The accumulated parameter gradients by name (after `backward(step=False)`)."""
    t = store.get(handle)
    return {n: p.grad for n, p in t.module.named_parameters() if p.grad is not None}


def zero_grad(handle):
    """Clears accumulated gradients."""
    store.get(handle).optimizer.zero_grad(set_to_none=True)


def parameters(handle):
    """The module's state dict tensors (float/int) by name."""
    return dict(store.get(handle).module.state_dict())


def save_weights(handle, path):
    """Saves the state dict to a local file (torch.save)."""
    torch.save(store.get(handle).module.state_dict(), path)
    return {"path": path}


def load_weights(handle, path):
    """Loads a local state dict into the module."""
    load_state(store.get(handle).module, path)
    return {"path": path}


def dispose(handle):
    """Forgets the module."""
    store.drop(handle)
