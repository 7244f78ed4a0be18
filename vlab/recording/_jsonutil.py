"""Turn provenance-like values into plain JSON types (dict, list, str, float, int, bool, None)."""

from __future__ import annotations

import datetime as _dt
import enum
import json
import math
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps", "to_jsonable"]


def to_jsonable(obj: Any, where: str = "value") -> Any:
    """Return a copy of ``obj`` made only of JSON types.

    numpy scalars and arrays, enums (their value), tuples and sets, paths and
    datetimes are converted; mapping keys become strings.

    Raises
    ------
    TypeError
        For anything else, naming ``where`` the bad value sits.
    """
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value, where)
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, Mapping):
        return {_key(k, where): to_jsonable(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(items)]
    if isinstance(obj, (os.PathLike, _dt.date, _dt.time)):
        return obj.isoformat() if hasattr(obj, "isoformat") else os.fspath(obj)
    tolist = getattr(obj, "tolist", None)  # numpy scalars and arrays, without importing numpy
    if callable(tolist) and hasattr(obj, "dtype"):
        return to_jsonable(tolist(), where)
    raise TypeError(f"{where} holds a {type(obj).__name__}, which cannot be stored as JSON")


def _key(key: Any, where: str) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, (str, int, float, bool)):
        return str(key)
    raise TypeError(f"{where} has a key of type {type(key).__name__}; keys must be strings")


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` after :func:`to_jsonable`; non-finite floats become ``null``."""
    return json.dumps(_finite(to_jsonable(obj)), ensure_ascii=False, allow_nan=False, **kwargs)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
