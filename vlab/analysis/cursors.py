"""Two-cursor measurements, as on an oscilloscope or in Clampfit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vlab.analysis._util import as_time, window_slice

__all__ = ["between_cursors", "between_cursors_each"]


def between_cursors(
    t: np.ndarray | Sequence[float], y: np.ndarray | Sequence[float], t1: float, t2: float
) -> dict[str, float]:
    """Measure one trace between two cursor times.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    y : array, shape (n_samples,)
        One sweep in any unit (V, A, ...).
    t1, t2 : float
        Cursor times (s), in either order. Values at the cursors are linearly
        interpolated. Statistics use the samples between them; if there are
        none, the two interpolated values are used.

    Returns
    -------
    dict
        ``'t1'``, ``'t2'`` (s, sorted), ``'dt'`` = t2 - t1 (s), ``'y1'``, ``'y2'`` (the
        trace at the cursors), ``'dy'`` = y2 - y1, ``'mean'``, ``'min'``, ``'max'``,
        ``'peak'`` (the value that deviates most from ``y1``, with its sign)
        and ``'t_peak'`` (s). All values except the times are in the units of
        ``y``.
    """
    t = as_time(t)
    y = np.asarray(y, dtype=float)
    if y.shape != t.shape:
        raise ValueError(f"y must be one sweep with the shape of t {t.shape}; got {y.shape}")
    a, b = sorted((float(t1), float(t2)))
    y1, y2 = float(np.interp(a, t, y)), float(np.interp(b, t, y))
    try:
        sl = window_slice(t, (a, b)) if b > a else slice(0, 0)
    except ValueError:
        sl = slice(0, 0)
    ts = np.concatenate([[a], t[sl], [b]])
    ys = np.concatenate([[y1], y[sl], [y2]])
    k = int(np.argmax(np.abs(ys - y1)))
    return {
        "t1": a,
        "t2": b,
        "dt": b - a,
        "y1": y1,
        "y2": y2,
        "dy": y2 - y1,
        "mean": float(np.mean(y[sl])) if sl.stop > sl.start else 0.5 * (y1 + y2),
        "min": float(np.min(ys)),
        "max": float(np.max(ys)),
        "peak": float(ys[k]),
        "t_peak": float(ts[k]),
    }


def between_cursors_each(
    traces: Sequence[tuple[np.ndarray, np.ndarray]], t1: float, t2: float
) -> list[dict[str, float]]:
    """:func:`between_cursors` on every ``(t, y)`` trace (every sweep shown), in order.

    Traces without a sample between the cursors still get their interpolated values;
    a trace that does not reach the cursors at all gives NaNs.
    """
    out = []
    for t, y in traces:
        t = np.asarray(t, dtype=float)
        if t.size < 2 or min(t1, t2) > t[-1] or max(t1, t2) < t[0]:
            nan = float("nan")
            keys = ("dt", "y1", "y2", "dy", "mean", "min", "max", "peak", "t_peak")
            row = dict.fromkeys(keys, nan)
            row.update(t1=min(t1, t2), t2=max(t1, t2), dt=abs(t2 - t1))
            out.append(row)
            continue
        out.append(between_cursors(t, y, t1, t2))
    return out
