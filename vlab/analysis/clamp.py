"""Voltage-clamp measurements: peak and steady currents, I–V, reversal, G–V, Boltzmann fits.

Sign convention: membrane current is positive outward and negative inward.
This is the usual one, and it is what the amplifier reports. Units: time s,
voltage V, current A, conductance S. Boltzmann slope factors are in V
(0.005 V = 5 mV).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

from vlab.analysis._util import Window, as_sweeps, as_time, squeeze, window_slice

__all__ = [
    "Reversal",
    "boltzmann",
    "conductance",
    "fit_boltzmann",
    "fit_inactivation",
    "iv_curve",
    "peak_current",
    "reversal_potential",
    "steady_state_current",
]

PeakKind = Literal["inward", "outward", "peak"]
IVKind = Literal["peak", "inward", "outward", "steady"]


def peak_current(
    t: np.ndarray | Sequence[float],
    i: np.ndarray | Sequence,
    window: Window = None,
    *,
    kind: PeakKind = "inward",
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Peak current in a window and the time it occurs.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    i : array, shape (n_samples,) or (n_sweeps, n_samples)
        Membrane current (A).
    window : (t0, t1), optional
        Search window (s). Start it after the capacitive transient.
    kind : {'inward', 'outward', 'peak'}
        ``'inward'``: the most negative sample. ``'outward'``: the most
        positive. ``'peak'``: whichever of the two is larger in magnitude,
        with its sign. Use ``'peak'`` for an I–V that crosses its reversal
        potential.

    Returns
    -------
    (current, time)
        Current (A) and time (s). Floats for one sweep, arrays for several.
    """
    t = as_time(t)
    i2, single = as_sweeps(t, i, "i")
    sl = window_slice(t, window)
    seg = i2[:, sl]
    if kind == "inward":
        idx = np.argmin(seg, axis=1)
    elif kind == "outward":
        idx = np.argmax(seg, axis=1)
    elif kind == "peak":
        idx = np.argmax(np.abs(seg), axis=1)
    else:
        raise ValueError(f"kind must be 'inward', 'outward' or 'peak'; got {kind!r}")
    values = seg[np.arange(seg.shape[0]), idx]
    times = t[sl][idx]
    return squeeze(values, single), squeeze(times, single)


def steady_state_current(
    t: np.ndarray | Sequence[float],
    i: np.ndarray | Sequence,
    window: Window = None,
    *,
    last_fraction: float = 0.2,
) -> float | np.ndarray:
    """Mean current (A) over the last ``last_fraction`` of the window (s).

    One value per sweep: a float for one sweep, an array for several.
    """
    if not 0 < last_fraction <= 1:
        raise ValueError(f"last_fraction must be in (0, 1]; got {last_fraction!r}")
    t = as_time(t)
    i2, single = as_sweeps(t, i, "i")
    sl = window_slice(t, window)
    tw = t[sl]
    start = tw[-1] - last_fraction * (tw[-1] - tw[0])
    tail = tw >= start
    return squeeze(i2[:, sl][:, tail].mean(axis=1), single)


def iv_curve(
    t: np.ndarray | Sequence[float],
    i_sweeps: np.ndarray,
    v_steps: np.ndarray | Sequence[float],
    window: Window,
    kind: IVKind = "peak",
) -> tuple[np.ndarray, np.ndarray]:
    """Current–voltage relation from a voltage-step family.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    i_sweeps : array, shape (n_sweeps, n_samples)
        Membrane current (A), one sweep per step.
    v_steps : array, shape (n_sweeps,)
        Step potential of each sweep (V).
    window : (t0, t1)
        Measurement window (s).
    kind : {'peak', 'inward', 'outward', 'steady'}
        ``'steady'`` uses :func:`steady_state_current`. The other kinds use
        :func:`peak_current` with that ``kind``.

    Returns
    -------
    (v, i)
        Step potentials (V) and currents (A), sorted by potential.
    """
    t = as_time(t)
    i2, _ = as_sweeps(t, i_sweeps, "i_sweeps")
    v = np.asarray(v_steps, dtype=float)
    if v.shape != (i2.shape[0],):
        raise ValueError(f"need one step potential per sweep ({i2.shape[0]}); got {v.shape}")
    if kind == "steady":
        cur = np.atleast_1d(steady_state_current(t, i2, window))
    else:
        cur = np.atleast_1d(peak_current(t, i2, window, kind=kind)[0])
    order = np.argsort(v, kind="stable")
    return v[order], np.asarray(cur, dtype=float)[order]


class Reversal(NamedTuple):
    """Result of :func:`reversal_potential`.

    Attributes
    ----------
    e_rev : float
        Reversal potential (V), or NaN.
    reason : str
        Empty for a single clean crossing. Otherwise it says why ``e_rev`` is
        NaN, or which of several crossings was reported.
    crossings : tuple of float
        Every zero crossing found (V), in increasing order.
    """

    e_rev: float
    reason: str
    crossings: tuple[float, ...]


def reversal_potential(
    v: np.ndarray | Sequence[float], i: np.ndarray | Sequence[float]
) -> Reversal:
    """Zero-current potential of an I–V curve by linear interpolation.

    Points are sorted by voltage and NaNs are dropped. Each sign change of
    the current between neighbouring points (or a point exactly at zero)
    is a crossing. With several crossings, for example the resting and the
    sodium zero crossings of a whole-cell peak I–V, the most positive is
    reported and ``reason`` says so. The crossings are never extrapolated:
    if the current never changes sign, ``e_rev`` is NaN and ``reason``
    explains why.

    Parameters
    ----------
    v : array
        Membrane potentials (V).
    i : array
        Currents at those potentials (A).
    """
    va = np.asarray(v, dtype=float)
    ia = np.asarray(i, dtype=float)
    if va.shape != ia.shape or va.ndim != 1:
        raise ValueError(f"v and i must be 1-D arrays of equal length; got {va.shape}, {ia.shape}")
    ok = np.isfinite(va) & np.isfinite(ia)
    va, ia = va[ok], ia[ok]
    if va.size < 2:
        return Reversal(math.nan, "fewer than 2 valid points", ())
    order = np.argsort(va, kind="stable")
    va, ia = va[order], ia[order]
    crossings = [float(x) for x in va[ia == 0]]
    for k in np.flatnonzero(ia[:-1] * ia[1:] < 0):
        crossings.append(float(va[k] - ia[k] * (va[k + 1] - va[k]) / (ia[k + 1] - ia[k])))
    crossings = sorted(set(crossings))
    if not crossings:
        sign = "inward (negative)" if ia[0] < 0 else "outward (positive)"
        return Reversal(
            math.nan,
            f"no zero crossing: all currents are {sign} between {va[0] * 1e3:.1f} and "
            f"{va[-1] * 1e3:.1f} mV, so the reversal potential lies outside the tested range",
            (),
        )
    reason = ""
    if len(crossings) > 1:
        reason = f"{len(crossings)} zero crossings; the most positive is reported"
    return Reversal(crossings[-1], reason, tuple(crossings))


def conductance(
    v: np.ndarray | Sequence[float],
    i: np.ndarray | Sequence[float],
    e_rev: float,
    *,
    normalise: bool = False,
    min_drive: float = 2e-3,
) -> np.ndarray:
    """Chord conductance ``G = I / (V - E_rev)``.

    Parameters
    ----------
    v, i : array
        Potentials (V) and currents (A).
    e_rev : float
        Reversal potential (V).
    normalise : bool
        Divide by the largest finite conductance, which gives values near 0–1.
    min_drive : float
        Points with ``|V - E_rev| < min_drive`` (V) become NaN. There G is
        the ratio of two small, noisy numbers.

    Returns
    -------
    ndarray
        Conductance (S), or dimensionless if normalised.
    """
    v = np.asarray(v, dtype=float)
    i = np.asarray(i, dtype=float)
    drive = v - e_rev
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(np.abs(drive) >= min_drive, i / drive, math.nan)
    if normalise:
        finite = g[np.isfinite(g)]
        if finite.size and np.max(finite) > 0:
            g = g / np.max(finite)
    return g


def boltzmann(
    v: np.ndarray | float,
    v_half: float,
    k: float,
    gmax: float = 1.0,
    *,
    decreasing: bool = False,
) -> np.ndarray | float:
    """Boltzmann curve ``gmax / (1 + exp((v_half - v)/k))``.

    ``v``, ``v_half`` and the slope factor ``k`` are in V, with ``k > 0``.
    ``decreasing=True`` gives ``gmax / (1 + exp((v - v_half)/k))``, the
    steady-state inactivation (h∞) shape.
    """
    x = (np.asarray(v, dtype=float) - v_half) / k
    if decreasing:
        x = -x
    return gmax / (1.0 + np.exp(-x))


def fit_boltzmann(
    v: np.ndarray | Sequence[float],
    g: np.ndarray | Sequence[float],
    *,
    decreasing: bool = False,
) -> tuple[float, float, float, dict]:
    """Least-squares Boltzmann fit of a G–V (or h∞–V) relation.

    Fits ``g = gmax / (1 + exp((v_half - v)/k))`` (or the decreasing form,
    see :func:`boltzmann`) with :func:`scipy.optimize.curve_fit`, in mV and
    normalised units for good conditioning. NaN points are dropped.

    Parameters
    ----------
    v : array
        Potentials (V).
    g : array
        Conductances (S) or normalised values; must be mostly positive.
    decreasing : bool
        Fit the falling (inactivation) form.

    Returns
    -------
    v_half : float
        Half-activation potential (V).
    k : float
        Slope factor (V), positive; the e-fold change per ``k``.
    gmax : float
        Maximal conductance (units of ``g``).
    fit_info : dict
        ``'success'`` (bool), ``'message'`` (str), ``'stderr'`` (dict of
        1-sigma errors for ``v_half``, ``k``, ``gmax`` in the same units),
        ``'rmse'`` (units of ``g``) and ``'n'`` (points used). On failure
        the three numbers are NaN and ``'message'`` says why.
    """
    v = np.asarray(v, dtype=float)
    g = np.asarray(g, dtype=float)
    if v.shape != g.shape or v.ndim != 1:
        raise ValueError(f"v and g must be 1-D arrays of equal length; got {v.shape}, {g.shape}")
    ok = np.isfinite(v) & np.isfinite(g)
    x, y = v[ok] * 1e3, g[ok]
    scale = float(np.max(y)) if y.size else 0.0
    nan = math.nan
    info: dict = {
        "success": False,
        "message": "",
        "stderr": {"v_half": nan, "k": nan, "gmax": nan},
        "rmse": nan,
        "n": int(x.size),
    }
    if x.size < 4:
        info["message"] = f"need at least 4 valid points, got {x.size}"
        return nan, nan, nan, info
    if not scale > 0:
        info["message"] = "no positive values to fit"
        return nan, nan, nan, info
    y = y / scale
    sign = -1.0 if decreasing else 1.0

    def model(xx: np.ndarray, vh: float, kk: float, gm: float) -> np.ndarray:
        return gm / (1.0 + np.exp(sign * (vh - xx) / kk))

    order = np.argsort(x)
    xs, ys = x[order], y[order]
    above = ys >= 0.5 if not decreasing else ys <= 0.5
    vh0 = float(xs[np.argmax(above)]) if above.any() else float(np.median(xs))
    from scipy.optimize import curve_fit

    try:
        popt, pcov = curve_fit(
            model,
            x,
            y,
            p0=(vh0, 5.0, 1.0),
            bounds=([-np.inf, 1e-3, 0.0], [np.inf, 1e3, np.inf]),
            maxfev=10000,
        )
    except (RuntimeError, ValueError) as exc:
        info["message"] = f"fit did not converge: {exc}"
        return nan, nan, nan, info
    err = np.sqrt(np.diag(pcov)) if np.all(np.isfinite(pcov)) else np.full(3, nan)
    info.update(
        success=True,
        message="ok",
        stderr={
            "v_half": float(err[0]) * 1e-3,
            "k": float(err[1]) * 1e-3,
            "gmax": float(err[2]) * scale,
        },
        rmse=float(np.sqrt(np.mean((model(x, *popt) - y) ** 2))) * scale,
    )
    return float(popt[0]) * 1e-3, float(popt[1]) * 1e-3, float(popt[2]) * scale, info


def fit_inactivation(
    v_pre: np.ndarray | Sequence[float], i_test: np.ndarray | Sequence[float]
) -> tuple[float, float, float, dict]:
    """Steady-state inactivation (h∞) fit for a prepulse family.

    Parameters
    ----------
    v_pre : array
        Prepulse potentials (V).
    i_test : array
        Peak current in the fixed test pulse after each prepulse (A). Its
        sign does not matter, because magnitudes are fitted.

    Returns
    -------
    v_half, k, i_max, fit_info
        As :func:`fit_boltzmann` with ``decreasing=True``: ``i_max`` (A) is
        the magnitude of the fully available current, and
        ``|i_test| / i_max`` is h∞.
    """
    return fit_boltzmann(v_pre, np.abs(np.asarray(i_test, dtype=float)), decreasing=True)
