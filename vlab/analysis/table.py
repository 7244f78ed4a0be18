"""One-row-per-sweep summaries and a fixed-width text table (for ``--analyse``).

Rows hold SI floats. Only :func:`format_table` converts them to the display
units named in the headers (mV, ms, nA).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from vlab.analysis._util import Window, as_sweeps, as_time
from vlab.analysis.clamp import peak_current, steady_state_current
from vlab.analysis.spikes import detect_spikes_per_sweep
from vlab.clamp import ClampMode

__all__ = ["COLUMNS", "format_table", "summarise_sweeps"]

#: row key -> (header label, display unit, factor from SI, decimals)
COLUMNS: dict[str, tuple[str, str, float, int]] = {
    "sweep": ("sweep", "", 1.0, 0),
    "n_spikes": ("spikes", "", 1.0, 0),
    "rate": ("rate", "Hz", 1.0, 1),
    "first_spike": ("1st spike", "ms", 1e3, 2),
    "latency": ("latency", "ms", 1e3, 2),
    "threshold": ("threshold", "mV", 1e3, 1),
    "peak": ("peak", "mV", 1e3, 1),
    "ahp": ("AHP", "mV", 1e3, 1),
    "half_width": ("half-width", "ms", 1e3, 3),
    "peak_inward": ("peak inward", "nA", 1e9, 3),
    "t_peak_inward": ("t inward", "ms", 1e3, 2),
    "peak_outward": ("peak outward", "nA", 1e9, 3),
    "t_peak_outward": ("t outward", "ms", 1e3, 2),
    "steady_state": ("steady state", "nA", 1e9, 3),
}


def summarise_sweeps(
    t: np.ndarray | Sequence[float],
    data: np.ndarray,
    mode: ClampMode | str,
    *,
    window: Window = None,
    stim_onset: float | None = None,
    **detect_options: Any,
) -> list[dict[str, Any]]:
    """Summarise each sweep of a recording in one row of SI values.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    data : array, shape (n_samples,) or (n_sweeps, n_samples)
        Membrane potential (V) in current clamp, membrane current (A) in
        voltage clamp.
    mode : ClampMode or str
        Voltage clamp or current clamp (``I=0`` included), in any spelling
        :meth:`vlab.clamp.ClampMode.parse` reads.
    window : (t0, t1), optional
        Analysis window (s), usually the stimulus step. Spikes are counted
        and currents measured inside it. The whole sweep if omitted.
    stim_onset : float, optional
        Stimulus onset (s) for latencies. Defaults to ``window[0]``.
    **detect_options
        Current clamp only: passed to :func:`~vlab.analysis.detect_spikes`,
        e.g. ``i_inj`` and ``cm`` for the physics test.

    Returns
    -------
    list of dict
        Current clamp: ``sweep``, ``n_spikes``, ``rate`` (Hz: the mean interspike-interval
        frequency (n - 1) / (t_last - t_first) of the spikes in the window, NaN with fewer
        than two spikes), and for the
        first spike in the window ``first_spike`` (s), ``latency`` (s),
        ``threshold``, ``peak``, ``ahp`` (V) and ``half_width`` (s), NaN
        without one. Voltage clamp: ``sweep``, ``peak_inward`` (A),
        ``t_peak_inward`` (s), ``peak_outward`` (A), ``t_peak_outward`` (s)
        and ``steady_state`` (A, the mean of the last fifth of the window).
    """
    t = as_time(t)
    d2, _ = as_sweeps(t, data, "data")
    if ClampMode.parse(mode) is ClampMode.VC:
        if detect_options:
            raise TypeError(
                f"spike-detection options make no sense in VC: {sorted(detect_options)}"
            )
        return _summarise_vc(t, d2, window)
    if stim_onset is None and window is not None:
        stim_onset = float(window[0])
    per_sweep = detect_spikes_per_sweep(t, d2, stim_onset=stim_onset, **detect_options)
    t0, t1 = (float(window[0]), float(window[1])) if window is not None else (t[0], t[-1])
    nan = math.nan
    rows = []
    for j, spikes in enumerate(per_sweep):
        inside = [s for s in spikes if window is None or t0 <= s.t_cross < t1]
        first = inside[0] if inside else None
        rows.append(
            {
                "sweep": j,
                "n_spikes": len(inside),
                "rate": (
                    (len(inside) - 1) / (inside[-1].t_cross - inside[0].t_cross)
                    if len(inside) >= 2
                    else nan
                ),
                "first_spike": first.t_cross if first else nan,
                "latency": first.latency if first else nan,
                "threshold": first.v_threshold if first else nan,
                "peak": first.v_peak if first else nan,
                "ahp": first.v_ahp if first else nan,
                "half_width": first.half_width if first else nan,
            }
        )
    return rows


def _summarise_vc(t: np.ndarray, i2: np.ndarray, window: Window) -> list[dict[str, Any]]:
    i_in, t_in = peak_current(t, i2, window, kind="inward")
    i_out, t_out = peak_current(t, i2, window, kind="outward")
    ss = steady_state_current(t, i2, window)
    rows = []
    for j in range(i2.shape[0]):
        rows.append(
            {
                "sweep": j,
                "peak_inward": float(np.atleast_1d(i_in)[j]),
                "t_peak_inward": float(np.atleast_1d(t_in)[j]),
                "peak_outward": float(np.atleast_1d(i_out)[j]),
                "t_peak_outward": float(np.atleast_1d(t_out)[j]),
                "steady_state": float(np.atleast_1d(ss)[j]),
            }
        )
    return rows


def _cell(value: Any, factor: float, decimals: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)) and factor == 1.0:
        return str(int(value))
    if isinstance(value, (float, np.floating, int, np.integer)):
        x = float(value) * factor
        return "-" if not math.isfinite(x) else f"{x:.{decimals}f}"
    return str(value)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Render summary rows as a right-aligned fixed-width text table.

    Known keys (see :data:`COLUMNS`) are converted from SI to the unit shown
    in their header, e.g. ``threshold (mV)`` or ``peak inward (nA)``. Unknown
    keys are printed with 4 significant digits under their own name. NaN is
    shown as ``-``. Sweeps are shown numbered from 1, as in every message
    (the rows' ``sweep`` is the 0-based index of the Python API).

    Parameters
    ----------
    rows : sequence of dict
        E.g. from :func:`summarise_sweeps`.
    columns : sequence of str, optional
        Keys to show, in order. Default: every key, in order of first appearance.
    """
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    headers, cells = [], []
    for key in columns:
        label, unit, factor, decimals = COLUMNS.get(key, (key, "", 1.0, -1))
        headers.append(f"{label} ({unit})" if unit else label)
        col = []
        for row in rows:
            value = row.get(key, math.nan)
            if key == "sweep" and isinstance(value, (int, np.integer)):
                value = value + 1  # messages number sweeps 1, 2, ... (rows: 0-based API)
            if decimals < 0 and isinstance(value, (float, np.floating)):
                col.append("-" if not math.isfinite(value) else f"{float(value):.4g}")
            else:
                col.append(_cell(value, factor, max(decimals, 0)))
        cells.append(col)
    widths = [max([len(h)] + [len(c) for c in col]) for h, col in zip(headers, cells, strict=True)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in range(len(rows)):
        lines.append("  ".join(col[r].rjust(w) for col, w in zip(cells, widths, strict=True)))
    return "\n".join(lines)
