"""Plain JSON values from numpy results: the one place that decides how NaN and numpy types are written."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clean"]


def clean(obj):
    """Replace NaN/inf by None and numpy scalars/arrays by Python values, recursively, so the JSON is standard.

    >>> clean({"a": np.float64("nan"), "b": np.arange(2), "c": (1.5, float("inf"))})
    {'a': None, 'b': [0, 1], 'c': [1.5, None]}
    """
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
