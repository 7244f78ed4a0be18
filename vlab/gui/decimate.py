"""Decimation of traces for display (pure numpy; the scope and the membrane view)."""

from __future__ import annotations

import numpy as np

__all__ = ["peak_decimate"]


def _pairs_t(tt: np.ndarray) -> np.ndarray:
    """Each row of ``tt`` (s) as two times: its first sample's and its last's."""
    t_out = np.repeat(tt[:, 0], 2)
    t_out[1::2] = tt[:, -1]
    return t_out


def _pairs_y(yy: np.ndarray) -> np.ndarray:
    """Each row of ``yy`` as two values, its minimum and maximum in the order they came."""
    lo, hi = yy.min(axis=1), yy.max(axis=1)
    first_is_min = yy.argmin(axis=1) < yy.argmax(axis=1)
    z = np.empty(2 * yy.shape[0])
    z[0::2] = np.where(first_is_min, lo, hi)
    z[1::2] = np.where(first_is_min, hi, lo)
    return z


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
    t_out = _pairs_t(t[head:].reshape(nb, k))
    if head:
        t_out = np.concatenate([_pairs_t(t[None, :head]), t_out])
    out = []
    for y in ys:
        z = _pairs_y(y[head:].reshape(nb, k))
        if head:
            z = np.concatenate([_pairs_y(y[None, :head]), z])
        out.append(z)
    return t_out, out
