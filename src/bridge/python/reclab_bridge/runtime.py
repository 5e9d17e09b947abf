"""The bridge's dispatcher: one JSON request in, one JSON reply out; tensors travel through files in /dev/shm.

TypeScript calls `invoke(request_json)` through pythonia. The request names a function of a repo module (a module
whose file lies under src/bridge/python: nothing outside the repo, nothing from strings), its JSON keyword args and
the layout of its tensor args inside one shared-memory file. Tensors are mapped copy-on-write (zero-copy) and handed
to the function as torch tensors. Tensors the function returns are written into one output file whose layout goes
back in the reply. Any exception comes back as its traceback, never as a hang.
Input tensors are views of the transfer file for the duration of the call; code that keeps one (in a module, the store)
keeps the mapping alive, the reply says so (`input_reusable: false`) and TypeScript then never rewrites that file.
"""
import ctypes
import gc
import importlib
import json
import mmap
import os
import random
import signal
import sys
import threading
import time
import traceback

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # src/bridge/python
DTYPES = {"float32": np.float32, "int32": np.int32}
ALIGN = 64


def _watch_parent():
    """Dies with the Node process: PR_SET_PDEATHSIG on Linux, plus a thread polling the parent pid elsewhere."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() != parent or parent == 1:
        os._exit(1)

    def poll():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=poll, daemon=True, name="reclab-parent-watch").start()


_watch_parent()


def _torch():
    """torch, imported on first need (a call without tensors does not pay its ~1-2 s import)."""
    import torch

    return torch


def seed_all(seed):
    """Seeds torch, numpy and random."""
    _torch().manual_seed(seed)
    np.random.seed(seed % (2**32))
    random.seed(seed)


def resolve(module_name, attr):
    """The attribute `attr` of repo module `module_name`; refuses modules outside src/bridge/python and private names."""
    if attr.startswith("_"):
        raise PermissionError(f"'{module_name}.{attr}': private names cannot be called over the bridge")
    mod = importlib.import_module(module_name)
    path = os.path.abspath(getattr(mod, "__file__", "") or "")
    if not path.startswith(ROOT + os.sep):
        raise PermissionError(f"module '{module_name}' ({path or 'built-in'}) is not a reclab bridge module under {ROOT}")
    if not hasattr(mod, attr):
        raise AttributeError(f"module '{module_name}' has no attribute '{attr}'")
    return getattr(mod, attr)


def _map_inputs(spec):
    """({name: torch.Tensor} viewing the request's shared-memory file (copy-on-write), the mapping)."""
    if not spec or not spec["entries"]:
        return {}, None
    torch = _torch()
    # Private (copy-on-write) mapping, pre-faulted in one go (MAP_POPULATE) instead of one page fault per 4 KiB.
    flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0)
    with open(spec["path"], "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    out = {}
    for e in spec["entries"]:
        dt = DTYPES[e["dtype"]]
        count = int(np.prod(e["shape"], dtype=np.int64))
        arr = np.frombuffer(mm, dtype=dt, count=count, offset=e["offset"]).reshape(e["shape"])
        out[e["name"]] = torch.from_numpy(arr)
    return out, mm


def _release(mm):
    """Unmaps the input file; False when the called code kept a view of it (then TS must not reuse the file).

    Views held only by garbage (a reference cycle, e.g. an exception's traceback frames that hold the input tensors)
    are collected first, so a failed call releases its inputs as a successful one does.
    """
    if mm is None:
        return True
    for attempt in range(2):
        try:
            mm.close()
            return True
        except BufferError:
            if attempt == 0:
                gc.collect()
    return False


def _is_torch(value):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _as_array(name, value):
    if _is_torch(value):
        value = value.detach().cpu().contiguous().numpy()
    if value.dtype in (np.float64, np.float16):
        value = value.astype(np.float32)
    elif value.dtype in (np.int64, np.int16, np.int8, np.uint8, np.bool_):
        value = value.astype(np.int32)
    if value.dtype not in (np.float32, np.int32):
        raise TypeError(f"returned tensor '{name}' has dtype {value.dtype}; the bridge carries float32 and int32")
    return np.ascontiguousarray(value)


def _write_outputs(path, arrays):
    """Writes the arrays into one file at 64-byte aligned offsets; returns the layout."""
    entries, offset = [], 0
    # Reuse the file's existing tmpfs pages (no truncation): rewriting resident pages is a plain memcpy.
    with open(path, "r+b" if os.path.exists(path) else "wb") as f:
        for name, arr in arrays.items():
            pad = (-offset) % ALIGN
            if pad:
                f.write(b"\0" * pad)
                offset += pad
            f.write(memoryview(arr).cast("B"))
            entries.append({"name": name, "dtype": str(arr.dtype), "shape": list(arr.shape), "offset": offset})
            offset += arr.nbytes
    return {"path": path, "entries": entries}


def invoke(request_json):
    """Runs one bridge call; returns JSON {ok, value, tensors} or {ok: false, traceback}.

    The input mapping is released whether the function returns or raises (`input_reusable` is in both replies).
    """
    cpu0 = time.process_time()
    try:
        reply = _run(json.loads(request_json), _set_mm)
    except Exception:  # noqa: BLE001 - everything goes back to TypeScript with its traceback
        reply = {"ok": False, "traceback": traceback.format_exc()}
    # Out of the except block: the exception and its traceback (whose frames hold the input tensors) are gone.
    mm, _pending["mm"] = _pending["mm"], None
    reply["input_reusable"] = _release(mm)
    del mm
    if reply["ok"]:
        reply["cpu_s"] = time.process_time() - cpu0
    return json.dumps(reply)


_pending = {"mm": None}  # the current call's input mapping (invoke releases it after the call, success or not)


def _set_mm(mm):
    """Remembers the current call's input mapping."""
    _pending["mm"] = mm


def _run(req, keep_mm):
    """The call itself: maps the inputs (handing the mapping to `keep_mm` at once), calls, writes the outputs."""
    fn = resolve(req["module"], req["fn"])
    kwargs = dict(req.get("args") or {})
    tensors, mm = _map_inputs(req.get("tensors"))
    keep_mm(mm)
    del mm
    kwargs.update(tensors)
    del tensors
    result = fn(**kwargs)
    del kwargs
    if result is None:
        result = {}
    if _is_torch(result) or isinstance(result, np.ndarray):
        result = {"out": result}
    if not isinstance(result, dict):
        raise TypeError(f"{req['module']}.{req['fn']} returned {type(result).__name__}; bridge functions return a dict")
    arrays = {k: _as_array(k, v) for k, v in result.items() if _is_torch(v) or isinstance(v, np.ndarray)}
    value = {k: v for k, v in result.items() if k not in arrays}
    out = _write_outputs(req["out_path"], arrays) if arrays else None
    return {"ok": True, "value": value, "tensors": out}


def ping():
    """Liveness and versions."""
    return {"pid": os.getpid(), "python": sys.version.split()[0], "torch": _torch().__version__, "numpy": np.__version__}
