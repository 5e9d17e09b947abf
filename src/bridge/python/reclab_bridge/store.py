"""Objects that live between bridge calls (encoders, optimizers), addressed by string handles."""
import itertools

_objects = {}
_ids = itertools.count(1)


def put(obj, prefix="obj"):
    """Keeps `obj` and returns its handle, e.g. 'enc-3'."""
    handle = f"{prefix}-{next(_ids)}"
    _objects[handle] = obj
    return handle


def get(handle):
    """The object behind `handle`; KeyError naming the handle and the live ones when unknown."""
    if handle not in _objects:
        raise KeyError(f"unknown bridge handle '{handle}' (live: {sorted(_objects)[:20]})")
    return _objects[handle]


def drop(handle):
    """Forgets `handle` (no error when it is already gone)."""
    _objects.pop(handle, None)


def live():
    """Handles currently held."""
    return sorted(_objects)
