"""Action-potential detection and the features of each spike.

A *spike* is an upward crossing of a detection level (default 0 V) that the
membrane produced itself. A crossing that the stimulus forced, for example a
TTX-blocked cell pushed past 0 mV by a large current step, is not a spike.
:func:`detect_spikes` explains the two tests it uses to tell these apart.

Units: time in s, voltage in V, dV/dt in V/s (1 V/s = 1 mV/ms), current in
A, capacitance in F.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from vlab.analysis._util import as_sweeps, as_time, crossing_time, moving_average

__all__ = ["Spike", "detect_spikes", "detect_spikes_per_sweep"]

ThresholdMethod = Literal["dvdt", "d2v"]


@dataclass(frozen=True, slots=True)
class Spike:
    """One detected action potential. NaN marks a feature that could not be measured.

    Attributes
    ----------
    t_cross : float
        Time (s) of the upward crossing of the detection level, interpolated
        between samples.
    t_threshold, v_threshold : float
        Threshold time (s) and membrane potential (V) (see ``threshold_method``
        in :func:`detect_spikes`).
    t_peak, v_peak : float
        Time (s) and value (V) of the highest sample of the spike.
    half_width : float
        Duration (s) of the spike at the voltage halfway between threshold and
        peak, interpolated between samples.
    t_ahp, v_ahp : float
        Time (s) and value (V) of the lowest voltage after the peak and before
        the next spike's threshold (or the end of the trace): the
        afterhyperpolarisation. NaN if the trace ends before the voltage has
        fallen back below the detection level.
    max_dvdt : float
        Fastest rate of rise (V/s) between threshold and peak.
    min_dvdt : float
        Fastest rate of fall (V/s, a negative number) between peak and AHP.
    latency : float
        ``t_cross`` minus the stimulus onset given to :func:`detect_spikes` (s);
        NaN when no onset was given.
    """

    t_cross: float
    t_threshold: float
    v_threshold: float
    t_peak: float
    v_peak: float
    half_width: float
    t_ahp: float
    v_ahp: float
    max_dvdt: float
    min_dvdt: float
    latency: float

    @property
    def amplitude(self) -> float:
        """Peak minus threshold (V)."""
        return self.v_peak - self.v_threshold


@dataclass(frozen=True, slots=True)
class _Options:
    level: float
    dvdt_threshold: float
    method: str
    min_inward_rate: float
    inward_time: float
    min_rise_fraction: float
    hysteresis: float
    cm: float
    stim_onset: float


@dataclass(slots=True)
class _Event:
    w0: int  # where the search for this spike's threshold may start
    ic: int  # first sample at or above the level
    ie: int  # first sample below level - hysteresis afterwards (or n)
    ipeak: int
    ithr: int  # first sample at/after the threshold point
    t_thr: float
    v_thr: float
    imax: int  # sample of max dV/dt on the upstroke
    accepted: bool


def detect_spikes(
    t: np.ndarray | Sequence[float],
    v: np.ndarray | Sequence,
    *,
    i_inj: np.ndarray | Sequence | None = None,
    cm: float | None = None,
    level: float = 0.0,
    dvdt_threshold: float = 10.0,
    threshold_method: ThresholdMethod = "dvdt",
    min_inward_rate: float | None = None,
    inward_time: float = 0.1e-3,
    min_rise_fraction: float = 0.2,
    hysteresis: float = 5e-3,
    smooth: float = 0.0,
    stim_onset: float | None = None,
) -> list[Spike] | list[list[Spike]]:
    """Find action potentials in current-clamp sweeps and measure each one.

    Candidates are upward crossings of ``level``. A candidate ends when the
    voltage falls below ``level - hysteresis``, so noise near the level is
    not counted twice. The candidate is kept only if it is *regenerative*,
    meaning the membrane drove the rise itself:

    * **With** ``i_inj`` **and** ``cm`` **(physics test).** Charge balance gives
      ``cm*dV/dt = i_inj - I_ion``, with ``I_ion`` (outward positive) the
      membrane's own ionic current. The test asks whether the net ionic
      current turns inward somewhere between the threshold point and the peak:
      ``(cm*dV/dt - i_inj)/cm >= min_inward_rate``. The test is written as a
      rate (V/s), so it does not depend on cell size. dV/dt is the mean slope
      over ``inward_time`` (default 0.1 ms). Over such a span, 0.3 mV of
      recording noise shifts the slope by about 4 V/s, whereas over a single
      10 µs sample it shifts it by about 40 V/s. ``i_inj`` is taken as its
      largest value inside the span. A stimulus step that falls between
      samples can therefore never pass for inward ionic current. A cell whose
      sodium channels are blocked and which is driven past 0 mV by a huge step
      rises only because of the stimulus: there ``cm*dV/dt - i_inj <= 0``
      throughout, so nothing is detected.
    * **Without them (shape test).** The upstroke must be fast
      (``max dV/dt >= dvdt_threshold``) and must *accelerate*. The fastest rise
      has to come at least ``min_rise_fraction`` of the way from threshold to
      peak. Why this works: a passive RC membrane charged by a current step
      rises fastest at its foot and then slows as it nears its new steady
      state. A regenerative upstroke speeds up as sodium channels open, and
      reaches its fastest rise near mid-amplitude. The test can be fooled by a
      stimulus that itself accelerates, such as a fast ramp or a heavily
      smoothed step. It can also miss a spike that rides on a stimulus jump
      faster than its own upstroke. Pass ``i_inj`` and ``cm`` whenever you
      have them.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s), strictly increasing.
    v : array, shape (n_samples,) or (n_sweeps, n_samples)
        Membrane potential (V).
    i_inj : array, optional
        Injected current (A), positive depolarising (the current-clamp
        convention). Same shape as ``v``, or 1-D and shared by all sweeps.
    cm : float, optional
        Membrane capacitance (F). Required together with ``i_inj``.
    level : float
        Detection level (V).
    dvdt_threshold : float
        Rate of rise (V/s) that defines the threshold point. The threshold is
        the last point before the level crossing where dV/dt rises through this
        value, interpolated. If dV/dt never falls below it (a spike riding on a
        stimulus-driven rise), the lowest dV/dt just before the upstroke is
        used instead. When ``i_inj`` is given and dV/dt rose through the
        criterion exactly at a stimulus step, the threshold moves to the dip
        in dV/dt between that step and the upstroke.
    threshold_method : {'dvdt', 'd2v'}
        ``'dvdt'``: the dV/dt criterion above. ``'d2v'``: the sample of maximum
        d²V/dt² on the accelerating part of the upstroke, looking back from
        the max-dV/dt point no further than where dV/dt last stopped rising
        before the ``'dvdt'`` threshold. It needs smooth traces, so set
        ``smooth`` for noisy data.
    min_inward_rate : float, optional
        Margin of the physics test (V/s). Defaults to ``dvdt_threshold``.
    inward_time : float
        Span (s) over which the physics test averages dV/dt. Keep it shorter
        than the upstroke; it is capped at the threshold-to-peak time.
    min_rise_fraction : float
        Acceleration margin of the shape test (dimensionless, 0 to 1).
    hysteresis : float
        How far (V) below ``level`` the voltage must fall to end a spike.
    smooth : float
        Width (s) of a centred moving average applied to ``v`` (and to
        ``i_inj``, which keeps the charge balance exact) before
        differentiating. 0 disables it. Voltages are always read from the raw
        trace. Noisy recordings need it, because dV/dt from raw samples is
        mostly noise. Without it the threshold and the shape test are
        unreliable; about 0.1 ms suits 0.3 mV of noise. The physics test copes
        with noise by itself (see ``inward_time``).
    stim_onset : float, optional
        Stimulus onset time (s) used for :attr:`Spike.latency`.

    Returns
    -------
    list of Spike, or list of lists of Spike
        One list for a 1-D ``v``, otherwise one list per sweep, in time order.
    """
    t = as_time(t)
    v2, single = as_sweeps(t, v, "v")
    if (i_inj is None) != (cm is None):
        raise ValueError("give both i_inj (A) and cm (F), or neither")
    if threshold_method not in ("dvdt", "d2v"):
        raise ValueError(f"threshold_method must be 'dvdt' or 'd2v'; got {threshold_method!r}")
    i2 = None
    if i_inj is not None:
        try:
            i2 = np.broadcast_to(np.asarray(i_inj, dtype=float), v2.shape)
        except ValueError as exc:
            raise ValueError(
                f"i_inj must have the shape of v {v2.shape[-1:]} or {v2.shape}"
            ) from exc
        if not (cm is not None and cm > 0):
            raise ValueError(f"cm must be a positive capacitance (F); got {cm!r}")
        i2 = moving_average(t, i2, smooth)
    opts = _Options(
        level=float(level),
        dvdt_threshold=float(dvdt_threshold),
        method=threshold_method,
        min_inward_rate=float(dvdt_threshold if min_inward_rate is None else min_inward_rate),
        inward_time=float(inward_time),
        min_rise_fraction=float(min_rise_fraction),
        hysteresis=float(hysteresis),
        cm=float(cm) if cm is not None else math.nan,
        stim_onset=math.nan if stim_onset is None else float(stim_onset),
    )
    vs = moving_average(t, v2, smooth)
    rate = np.gradient(vs, t, axis=-1)
    result = [
        _detect_one(t, v2[j], vs[j], rate[j], None if i2 is None else i2[j], opts)
        for j in range(v2.shape[0])
    ]
    return result[0] if single else result


def _candidates(v: np.ndarray, level: float, hysteresis: float) -> list[tuple[int, int]]:
    """(crossing index, end index) of each excursion above ``level``."""
    up = np.flatnonzero((v[:-1] < level) & (v[1:] >= level)) + 1
    low = np.flatnonzero(v < level - hysteresis)
    events = []
    j = 0
    while j < up.size:
        ic = int(up[j])
        p = int(np.searchsorted(low, ic))
        ie = int(low[p]) if p < low.size else v.size
        events.append((ic, ie))
        j = int(np.searchsorted(up, ie, side="right"))
    return events


def _knee(rate: np.ndarray, i: int, lo: int) -> int:
    """Walk back from ``i`` over any rate maximum to the rate minimum before it."""
    k = i
    while k > lo and rate[k - 1] >= rate[k]:
        k -= 1
    while k > lo and rate[k - 1] < rate[k]:
        k -= 1
    return k


def _threshold(
    t: np.ndarray,
    v: np.ndarray,
    rate: np.ndarray,
    i_inj: np.ndarray | None,
    w0: int,
    ic: int,
    ipeak: int,
    opts: _Options,
) -> tuple[int, float, float]:
    """dV/dt-criterion threshold: (first sample at/after it, time (s), voltage (V))."""
    thr = opts.dvdt_threshold
    below = np.flatnonzero(rate[w0:ic] < thr)
    if not below.size:
        k = _knee(rate, ic, w0)
        return k, float(t[k]), float(v[k])
    k = w0 + int(below[-1])
    if rate[k + 1] < thr:  # slow crossing: threshold lies above the level
        fast = np.flatnonzero(rate[ic : ipeak + 1] >= thr)
        if not fast.size:
            return ic, math.nan, math.nan
        k = ic + int(fast[0]) - 1
    elif i_inj is not None and k + 1 < ic:
        near = i_inj[max(k - 1, 0) : k + 3]
        if near.max() - near.min() >= opts.cm * thr:
            # dV/dt rose through the criterion because the stimulus stepped up;
            # the cell's own upstroke starts at the dip in dV/dt that follows.
            top = k + 1
            while top < ic and rate[top + 1] >= rate[top]:
                top += 1  # climb the jump, which sampling spreads over a few points
            j = top + int(np.argmin(rate[top : ic + 1]))
            if j > top:
                return j, float(t[j]), float(v[j])
    t_thr = crossing_time(t, rate, k, thr)
    return k + 1, t_thr, float(np.interp(t_thr, t, v))


def _d2v_threshold(
    t: np.ndarray, v: np.ndarray, rate: np.ndarray, w0: int, ithr: int, imax: int
) -> tuple[float, float]:
    """Max-d²V/dt² threshold on the accelerating upstroke: (time (s), voltage (V))."""
    kk = ithr
    while kk > w0 and rate[kk - 1] < rate[kk]:
        kk -= 1
    if imax - kk < 2:
        return float(t[kk]), float(v[kk])
    d2 = np.gradient(rate[kk : imax + 1], t[kk : imax + 1])
    j = kk + int(np.argmax(d2))
    return float(t[j]), float(v[j])


def _is_regenerative(
    t: np.ndarray,
    v: np.ndarray,
    vs: np.ndarray,
    i_inj: np.ndarray | None,
    ev: _Event,
    v_thr_dvdt: float,
    opts: _Options,
) -> bool:
    if i_inj is not None:
        lo = max(min(ev.ithr, ev.ic) - 1, 0)
        hi = max(ev.ipeak, lo + 1)
        step = (t[hi] - t[lo]) / (hi - lo)
        m = min(max(1, round(opts.inward_time / step)), hi - lo)
        starts = np.arange(lo, hi - m + 1)
        slope = (vs[starts + m] - vs[starts]) / (t[starts + m] - t[starts])
        stim = sliding_window_view(i_inj[lo : hi + 1], m + 1).max(axis=1) / opts.cm
        return bool(np.max(slope - stim) >= opts.min_inward_rate)
    if not math.isfinite(v_thr_dvdt):
        return False
    height = v[ev.ipeak] - v_thr_dvdt
    return bool(v[ev.imax] - v_thr_dvdt >= opts.min_rise_fraction * height)


def _detect_one(
    t: np.ndarray,
    v: np.ndarray,
    vs: np.ndarray,
    rate: np.ndarray,
    i_inj: np.ndarray | None,
    opts: _Options,
) -> list[Spike]:
    events: list[_Event] = []
    w0 = 0
    for ic, ie in _candidates(v, opts.level, opts.hysteresis):
        ipeak = ic + int(np.argmax(v[ic:ie]))
        ithr, t_thr, v_thr = _threshold(t, v, rate, i_inj, w0, ic, ipeak, opts)
        imax = ithr + int(np.argmax(rate[ithr : ipeak + 1])) if ipeak >= ithr else ic
        ev = _Event(w0, ic, ie, ipeak, ithr, t_thr, v_thr, imax, accepted=False)
        fast = rate[imax] >= opts.dvdt_threshold
        ev.accepted = _is_regenerative(t, v, vs, i_inj, ev, v_thr if fast else math.nan, opts)
        if ev.accepted and opts.method == "d2v" and math.isfinite(t_thr):
            ev.t_thr, ev.v_thr = _d2v_threshold(t, v, rate, w0, ithr, imax)
        events.append(ev)
        w0 = ie
    kept = [ev for ev in events if ev.accepted]
    spikes = []
    for n, ev in enumerate(kept):
        nxt = min(kept[n + 1].ithr, kept[n + 1].ic) if n + 1 < len(kept) else v.size
        spikes.append(_features(t, v, rate, ev, nxt, opts))
    return spikes


def _features(
    t: np.ndarray, v: np.ndarray, rate: np.ndarray, ev: _Event, nxt: int, opts: _Options
) -> Spike:
    ipeak = ev.ipeak
    v_peak = float(v[ipeak])
    nxt = max(nxt, ipeak + 1)
    iahp = ipeak + int(np.argmin(v[ipeak:nxt]))
    half_width = math.nan
    if math.isfinite(ev.v_thr):
        half = ev.v_thr + 0.5 * (v_peak - ev.v_thr)
        rise = np.flatnonzero(v[ev.w0 : ipeak] < half)
        fall = np.flatnonzero(v[ipeak:nxt] < half)
        if rise.size and fall.size:
            k = ev.w0 + int(rise[-1])
            j = ipeak + int(fall[0])
            half_width = crossing_time(t, v, j - 1, half) - crossing_time(t, v, k, half)
    t_cross = crossing_time(t, v, ev.ic - 1, opts.level)
    t_ahp, v_ahp = float(t[iahp]), float(v[iahp])
    if ev.ie >= v.size:  # the trace ends before the spike has repolarised
        t_ahp = v_ahp = math.nan
    return Spike(
        t_cross=t_cross,
        t_threshold=ev.t_thr,
        v_threshold=ev.v_thr,
        t_peak=float(t[ipeak]),
        v_peak=v_peak,
        half_width=half_width,
        t_ahp=t_ahp,
        v_ahp=v_ahp,
        max_dvdt=float(rate[ev.imax]),
        min_dvdt=float(np.min(rate[ipeak : iahp + 1])),
        latency=t_cross - opts.stim_onset,
    )


def detect_spikes_per_sweep(
    t: np.ndarray | Sequence[float], v_sweeps: np.ndarray | Sequence, **options: Any
) -> list[list[Spike]]:
    """:func:`detect_spikes` on one or more sweeps, always one list of spikes per sweep
    (a 1-D ``v_sweeps`` is one sweep). ``options`` are those of :func:`detect_spikes`."""
    v2 = np.atleast_2d(np.asarray(v_sweeps, dtype=float))
    return cast("list[list[Spike]]", detect_spikes(t, v2, **options))
