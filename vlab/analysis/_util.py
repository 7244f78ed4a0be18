"""Small shared helpers: input checking, time windows, smoothing, crossings.

Private to :mod:`vlab.analysis`; everything here works in SI units and on
float64 arrays whose last axis is time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Window = tuple[float, float] | Sequence[float] | None


def as_time(t: np.ndarray | Sequence[float]) -> np.ndarray:
    """Return ``t`` (s) as a 1-D float64 array, checking that it strictly increases."""
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"t must be a 1-D array of at least 2 times (s); got shape {t.shape}")
    if not np.all(np.diff(t) > 0):
        raise ValueError("t must be strictly increasing")
    return t


def as_sweeps(t: np.ndarray, y: np.ndarray | Sequence, name: str) -> tuple[np.ndarray, bool]:
    """Return ``y`` as a (n_sweeps, n_samples) float64 array and whether it was 1-D."""
    y = np.asarray(y, dtype=float)
    single = y.ndim == 1
    y2 = np.atleast_2d(y)
    if y2.ndim != 2 or y2.shape[1] != t.size:
        raise ValueError(
            f"{name} must have shape ({t.size},) or (n_sweeps, {t.size}) to match t; got {y.shape}"
        )
    return y2, single


def window_slice(t: np.ndarray, window: Window) -> slice:
    """Index slice of the samples with ``t0 <= t <= t1`` (``None``: whole trace)."""
    if window is None:
        return slice(0, t.size)
    t0, t1 = (float(w) for w in window)
    if not t1 > t0:
        raise ValueError(f"window must be (t0, t1) with t1 > t0 (s); got {window!r}")
    i0 = int(np.searchsorted(t, t0, side="left"))
    i1 = int(np.searchsorted(t, t1, side="right"))
    if i1 <= i0:
        raise ValueError(f"window {window!r} (s) contains no samples of t")
    return slice(i0, i1)


def moving_average(t: np.ndarray, y: np.ndarray, width: float) -> np.ndarray:
    """Centred boxcar average of ``y`` along its last axis over ``width`` seconds.

    The trace is padded with its end values, so the output has the input's
    shape. ``width`` <= one sample leaves ``y`` unchanged.
    """
    if width <= 0:
        return y
    dt = float(np.median(np.diff(t)))
    n = int(round(width / dt))
    if n < 2:
        return y
    n += 1 - n % 2  # odd, so the average stays centred
    half = n // 2
    pad = [(0, 0)] * (y.ndim - 1) + [(half, half)]
    yp = np.pad(y, pad, mode="edge")
    c = np.cumsum(yp, axis=-1, dtype=float)
    c = np.concatenate([np.zeros(c.shape[:-1] + (1,)), c], axis=-1)
    return (c[..., n:] - c[..., :-n]) / n


def crossing_time(t: np.ndarray, y: np.ndarray, k: int, level: float) -> float:
    """Time (s) where ``y`` reaches ``level`` between samples ``k`` and ``k + 1``.

    Linear interpolation; falls back to ``t[k]`` if the two samples are equal.
    """
    y0, y1 = y[k], y[k + 1]
    if y1 == y0:
        return float(t[k])
    frac = min(max((level - y0) / (y1 - y0), 0.0), 1.0)
    return float(t[k] + frac * (t[k + 1] - t[k]))


def squeeze(values: np.ndarray, single: bool) -> float | np.ndarray:
    """Return a Python float for a 1-sweep result, else the array."""
    return float(values[0]) if single else values
