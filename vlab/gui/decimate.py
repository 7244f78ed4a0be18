"""Decimation of traces for display (pure numpy; the scope and the membrane view)."""

from __future__ import annotations

import numpy as np

__all__ = ["peak_decimate"]


def _min_max(tt: np.ndarray, yy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row of ``yy`` as two points, (first sample's t, last sample's t), with its
    minimum and maximum in the order they came."""
    t_out = np.repeat(tt[:, 0], 2)
    t_out[1::2] = tt[:, -1]
    lo, hi = yy.min(axis=1), yy.max(axis=1)
    first_is_min = yy.argmin(axis=1) < yy.argmax(axis=1)
    z = np.empty(2 * yy.shape[0])
    z[0::2] = np.where(first_is_min, lo, hi)
    z[1::2] = np.where(first_is_min, hi, lo)
    return t_out, z


def peak_decimate(
    t: np.ndarray, ys: list[np.ndarray], bins: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Min/max decimation for display: ``t`` (s) and each trace of ``ys`` to at most
    ``2 * bins + 2`` points, the whole span kept (first and last sample times) and every
    peak kept (each run of samples becomes its minimum and maximum, in time order). Under
    ``bins`` samples come back as they are."""
    n = t.size
    k = -(-n // max(bins, 1))  # samples per bin
    if k < 2:
        return t, ys
    nb = n // k
    head = n - nb * k  # the oldest samples, fewer than k: a bin of their own
    t_out, _ = _min_max(t[head:].reshape(nb, k), np.zeros((nb, k)))
    if head:
        t_out = np.concatenate([_min_max(t[None, :head], np.zeros((1, head)))[0], t_out])
    out = []
    for y in ys:
        _, z = _min_max(t[head:].reshape(nb, k), y[head:].reshape(nb, k))
        if head:
            z = np.concatenate([_min_max(t[None, :head], y[None, :head])[1], z])
        out.append(z)
    return t_out, out
