"""Passive membrane measures: resting potential, input resistance, time constant, phase plane.

Units: time s, voltage V, current A, resistance Ω, dV/dt V/s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from vlab.analysis._util import Window, as_sweeps, as_time, moving_average, squeeze, window_slice

__all__ = [
    "fit_exponential",
    "input_resistance",
    "membrane_time_constant",
    "phase_plane",
    "resting_potential",
]


def resting_potential(
    t: np.ndarray | Sequence[float], v: np.ndarray | Sequence, window: Window = None
) -> float | np.ndarray:
    """Mean membrane potential (V) over a baseline window (s) with no stimulus."""
    t = as_time(t)
    v2, single = as_sweeps(t, v, "v")
    return squeeze(v2[:, window_slice(t, window)].mean(axis=1), single)


def input_resistance(
    t: np.ndarray | Sequence[float],
    v: np.ndarray | Sequence,
    delta_i: float | np.ndarray,
    *,
    baseline: tuple[float, float],
    steady: tuple[float, float],
) -> float | np.ndarray:
    """Input resistance ``R_in = ΔV / ΔI`` (Ω) from a small current step.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    v : array, shape (n_samples,) or (n_sweeps, n_samples)
        Membrane potential (V).
    delta_i : float or array
        The step amplitude (A). It may also be the injected-current trace
        (same shape as ``v``), in which case ΔI is measured with the same two
        windows.
    baseline : (t0, t1)
        Window before the step (s).
    steady : (t0, t1)
        Window late in the step, after the voltage has settled (s), e.g. the
        last fifth of a step lasting more than 5 τ.

    Use a small step (a few mV of response) so that voltage-gated channels stay
    shut. Otherwise this is not the passive resistance.
    """
    t = as_time(t)
    v2, single = as_sweeps(t, v, "v")
    b, s = window_slice(t, baseline), window_slice(t, steady)
    dv = v2[:, s].mean(axis=1) - v2[:, b].mean(axis=1)
    di_arr = np.asarray(delta_i, dtype=float)
    if di_arr.ndim >= 1 and di_arr.shape[-1] == t.size:
        i2, _ = as_sweeps(t, di_arr, "delta_i")
        di_arr = i2[:, s].mean(axis=1) - i2[:, b].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = dv / di_arr
    return squeeze(np.broadcast_to(r, dv.shape).copy(), single)


def fit_exponential(
    t: np.ndarray | Sequence[float], y: np.ndarray | Sequence[float], window: Window = None
) -> tuple[float, float, float, dict]:
    """Fit ``y = offset + amplitude * exp(-(t - t_start)/tau)`` over a window.

    ``t_start`` is the first sample time in the window, so ``amplitude`` is
    the fitted deviation from ``offset`` there. The fit uses
    :func:`scipy.optimize.curve_fit` in scaled units. The starting guess comes
    from the area under the curve.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    y : array, shape (n_samples,)
        One sweep of any quantity (V for a voltage relaxation, A for a current
        decay).
    window : (t0, t1), optional
        The relaxation to fit (s). Start it after any step artefact. Let it run
        for at least one or two τ; at about 5 τ the offset is well defined.

    Returns
    -------
    tau : float
        Time constant (s).
    amplitude, offset : float
        Units of ``y``.
    fit_info : dict
        ``'success'``, ``'message'``, ``'stderr'`` (dict for ``tau``,
        ``amplitude``, ``offset``), ``'rmse'`` (units of ``y``), ``'n'``. On
        failure the numbers are NaN and ``'message'`` says why.
    """
    t = as_time(t)
    y = np.asarray(y, dtype=float)
    if y.shape != t.shape:
        raise ValueError(f"y must be one sweep with the shape of t {t.shape}; got {y.shape}")
    sl = window_slice(t, window)
    tw, yw = t[sl], y[sl]
    nan = math.nan
    info: dict = {
        "success": False,
        "message": "",
        "stderr": {"tau": nan, "amplitude": nan, "offset": nan},
        "rmse": nan,
        "n": int(tw.size),
    }
    if tw.size < 4:
        info["message"] = f"need at least 4 samples in the window, got {tw.size}"
        return nan, nan, nan, info
    # Scaled problem: x in units of the window length, z in units of the swing.
    span = tw[-1] - tw[0]
    x = (tw - tw[0]) / span
    tail = yw[-max(2, yw.size // 10) :].mean()
    swing = yw[0] - tail
    if swing == 0 or not np.isfinite(swing):
        info["message"] = "no relaxation in the window (first and last values are equal)"
        return nan, nan, nan, info
    z = (yw - tail) / swing
    area = float(np.sum(0.5 * (z[1:] + z[:-1]) * np.diff(x)))
    tau0 = min(max(area, 0.02), 10.0)

    def model(xx: np.ndarray, tau: float, amp: float, off: float) -> np.ndarray:
        return off + amp * np.exp(-xx / tau)

    from scipy.optimize import curve_fit

    try:
        popt, pcov = curve_fit(
            model,
            x,
            z,
            p0=(tau0, 1.0, 0.0),
            bounds=([1e-6, -np.inf, -np.inf], [1e3, np.inf, np.inf]),
            maxfev=10000,
        )
    except (RuntimeError, ValueError) as exc:
        info["message"] = f"fit did not converge: {exc}"
        return nan, nan, nan, info
    err = np.sqrt(np.diag(pcov)) if np.all(np.isfinite(pcov)) else np.full(3, nan)
    tau, amp, off = popt
    info.update(
        success=True,
        message="ok",
        stderr={
            "tau": float(err[0]) * span,
            "amplitude": float(err[1]) * abs(swing),
            "offset": float(err[2]) * abs(swing),
        },
        rmse=float(np.sqrt(np.mean((model(x, *popt) - z) ** 2))) * abs(swing),
    )
    return float(tau * span), float(amp * swing), float(tail + off * swing), info


def membrane_time_constant(
    t: np.ndarray | Sequence[float], v: np.ndarray | Sequence[float], window: tuple[float, float]
) -> tuple[float, dict]:
    """Membrane time constant τ (s) from a single-exponential fit of a voltage relaxation.

    Fit the charging or discharging curve of a small current step (V), from
    just after its onset or offset. Capacitance follows as ``C = τ / R_in``.

    Returns
    -------
    tau : float
        Time constant (s).
    fit_info : dict
        As :func:`fit_exponential`, plus ``'amplitude'`` and ``'v_inf'`` (V),
        the fitted step in voltage and the voltage it relaxes to.
    """
    tau, amp, off, info = fit_exponential(t, v, window)
    info = {**info, "amplitude": amp, "v_inf": off}
    return tau, info


def phase_plane(
    t: np.ndarray | Sequence[float], v: np.ndarray | Sequence, *, smooth: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Phase-plane trajectory: membrane potential (V) and its rate of change dV/dt (V/s).

    ``smooth`` is the width (s) of a centred moving average applied before
    differentiating (0 = none). Works on one sweep or on a 2-D sweep array.
    """
    t = as_time(t)
    v2, single = as_sweeps(t, v, "v")
    dvdt = np.gradient(moving_average(t, v2, smooth), t, axis=-1)
    if single:
        return v2[0], dvdt[0]
    return v2, dvdt
