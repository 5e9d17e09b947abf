"""Small functions the bridge's tests and benchmark call (errors, timeouts, crashes, transfers)."""
import os
import time




def echo(x, scale=1.0):
    """Returns x * scale (same dtype for int32 when scale is 1) and its sum."""
    y = x if scale == 1.0 else x * scale
    return {"y": y, "sum": float(x.numpy().sum(dtype="float64"))}


def checksum(x):
    """Sum in float64 (touches every element) and the shape seen by Python."""
    # numpy's float64 reduction works in buffered chunks (torch's sum(dtype=float64) would copy x to float64 first).
    return {"sum": float(x.numpy().sum(dtype="float64")), "shape": list(x.shape), "dtype": str(x.dtype)}


def make(n, value=1.0):
    """A float32 vector of n elements filled with `value` (for Python -> TS transfers)."""
    import torch

    return {"x": torch.full((int(n),), float(value), dtype=torch.float32)}


def fail(message="boom"):
    """Raises ValueError(message) two frames deep (so the traceback has depth)."""
    def inner():
        raise ValueError(message)

    inner()


def sleep(seconds):
    """Sleeps, then returns."""
    time.sleep(seconds)
    return {"slept": seconds}


def crash(code=3):
    """Kills the Python process abruptly."""
    os._exit(code)


def rss():
    """Peak resident set size of this process in bytes."""
    import resource

    return {"peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "pid": os.getpid()}


def checksum_list(xs):
    """Sum of a plain Python list (the JSON baseline of the transfer benchmark)."""
    return float(sum(xs))


def make_list(n, value=1.0):
    """A plain list of n floats (the JSON baseline of the transfer benchmark)."""
    return [float(value)] * int(n)


def keep(x):
    """Keeps the input view itself (no copy) in the store; returns its handle."""
    from . import store

    return {"handle": store.put(x, "kept")}


def kept_sum(handle):
    """Sum of a kept tensor (to check that later transfers did not overwrite it)."""
    from . import store

    return {"sum": float(store.get(handle).double().sum())}


def fail_holding(x, message="bad input"):
    """Raises after putting the input view into a reference cycle (only the cyclic GC frees it)."""
    holder = {"x": x}
    holder["self"] = holder
    raise ValueError(message)


def mapped_inputs(marker):
    """Paths of this process's memory-mapped files whose name contains `marker` (open input mappings)."""
    with open(f"/proc/{os.getpid()}/maps") as f:
        paths = {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}
    return {"paths": sorted(p for p in paths if marker in p)}
