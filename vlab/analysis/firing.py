"""Firing measures built on detected spikes: counts, rates, latency, f–I, refractoriness.

Spike times are the level-crossing times :attr:`Spike.t_cross` (s). Rates
are in Hz and currents in A.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vlab.analysis._util import Window, as_sweeps, as_time
from vlab.analysis.spikes import Spike, detect_spikes_per_sweep

__all__ = [
    "FICurve",
    "RefractoryResult",
    "fi_curve",
    "firing_rate",
    "first_spike_latency",
    "interspike_intervals",
    "refractory_analysis",
    "spike_count",
    "spike_times",
]


def spike_times(spikes: Sequence[Spike], window: Window = None) -> np.ndarray:
    """Crossing times (s) of the spikes, optionally only those with ``t0 <= t < t1``."""
    times = np.array([s.t_cross for s in spikes], dtype=float)
    if window is not None:
        t0, t1 = window
        times = times[(times >= t0) & (times < t1)]
    return times


def spike_count(spikes: Sequence[Spike], window: Window = None) -> int:
    """Number of spikes whose crossing time lies in ``[t0, t1)`` (s), or all of them."""
    return int(spike_times(spikes, window).size)


def firing_rate(spikes: Sequence[Spike], window: tuple[float, float]) -> float:
    """Mean firing rate (Hz): spikes in ``[t0, t1)`` divided by ``t1 - t0`` (s).

    Counting over a fixed window is the convention for f–I curves. It is
    unbiased over many sweeps, but for short windows it is quantised to
    multiples of ``1/(t1 - t0)``. ``1 / mean(interspike_intervals(...))``
    gives the instantaneous rate of regular firing instead.
    """
    t0, t1 = window
    if not t1 > t0:
        raise ValueError(f"window must be (t0, t1) with t1 > t0 (s); got {window!r}")
    return spike_count(spikes, window) / (t1 - t0)


def interspike_intervals(spikes: Sequence[Spike], window: Window = None) -> np.ndarray:
    """Intervals (s) between successive spike crossings (within ``window`` if given)."""
    return np.diff(spike_times(spikes, window))


def first_spike_latency(spikes: Sequence[Spike], onset: float) -> float:
    """Time (s) from ``onset`` (s) to the first spike crossing at or after it; NaN if none."""
    times = spike_times(spikes)
    after = times[times >= onset]
    return float(after[0] - onset) if after.size else math.nan


@dataclass(frozen=True, slots=True)
class FICurve:
    """A frequency–current relation measured from a family of current steps.

    Attributes
    ----------
    currents : ndarray
        Step amplitude of each sweep (A), in the order given.
    rates : ndarray
        Mean firing rate in the analysis window (Hz).
    counts : ndarray of int
        Spikes in the window.
    latencies : ndarray
        First-spike latency from the window start (s); NaN without a spike.
    """

    currents: np.ndarray
    rates: np.ndarray
    counts: np.ndarray
    latencies: np.ndarray

    @property
    def rheobase(self) -> float:
        """Smallest step current (A) that gave at least one spike; NaN if none did."""
        firing = self.currents[self.counts > 0]
        return float(firing.min()) if firing.size else math.nan


def fi_curve(
    t: np.ndarray | Sequence[float],
    v_sweeps: np.ndarray,
    currents: np.ndarray | Sequence[float],
    window: tuple[float, float],
    **detect_options: object,
) -> FICurve:
    """f–I curve from a current-step family.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    v_sweeps : array, shape (n_sweeps, n_samples)
        Membrane potential (V), one sweep per step.
    currents : array, shape (n_sweeps,)
        Step amplitude of each sweep (A).
    window : (t0, t1)
        Analysis window (s), normally the step itself. Rates are counts over
        ``t1 - t0`` and latencies are measured from ``t0``.
    **detect_options
        Passed to :func:`~vlab.analysis.detect_spikes`. Examples are ``i_inj``
        (shape ``(n_sweeps, n_samples)``) with ``cm``, ``level`` and
        ``smooth``.
    """
    t = as_time(t)
    v2, _ = as_sweeps(t, v_sweeps, "v_sweeps")
    currents = np.asarray(currents, dtype=float)
    if currents.shape != (v2.shape[0],):
        raise ValueError(f"need one current per sweep ({v2.shape[0]}); got {currents.shape}")
    per_sweep = detect_spikes_per_sweep(t, v2, **detect_options)
    counts = np.array([spike_count(s, window) for s in per_sweep], dtype=int)
    rates = counts / (window[1] - window[0])
    lat = []
    for s in per_sweep:
        times = spike_times(s, window)
        lat.append(times[0] - window[0] if times.size else math.nan)
    return FICurve(currents, rates, counts, np.array(lat, dtype=float))


@dataclass(frozen=True, slots=True)
class RefractoryResult:
    """Outcome of a paired-pulse family, sorted by interval.

    Attributes
    ----------
    intervals : ndarray
        Onset-to-onset interval between the two pulses (s).
    first_spike : ndarray of bool
        Whether the first pulse produced a spike (sweeps where it did not are
        excluded from the estimates).
    second_spike : ndarray of bool
        Whether a second spike followed.
    amplitude_ratio : ndarray
        Height of the second spike over that of the first, heights measured
        from the pre-stimulus baseline; NaN without a second spike.
    absolute : float
        Estimate of the absolute refractory period (s): the largest tested
        interval without a second spike. NaN if every interval gave one, in
        which case the period is shorter than the shortest interval tested.
    relative : tuple of float
        ``(first, last)`` tested interval (s) at which a second spike appeared
        but was smaller than ``recovered`` times the first; NaNs if none.
    """

    intervals: np.ndarray
    first_spike: np.ndarray
    second_spike: np.ndarray
    amplitude_ratio: np.ndarray
    absolute: float
    relative: tuple[float, float]


def refractory_analysis(
    t: np.ndarray | Sequence[float],
    v_sweeps: np.ndarray,
    intervals: np.ndarray | Sequence[float],
    first_onset: float,
    *,
    recovered: float = 0.9,
    **detect_options: object,
) -> RefractoryResult:
    """Absolute and relative refractory periods from a paired-pulse family.

    Each sweep holds two equal pulses, the first at ``first_onset`` and the
    second ``intervals[j]`` later. The first spike at or after
    ``first_onset`` is the response to pulse 1. The next spike, if any, is the
    response to pulse 2, so the sweeps are assumed otherwise silent.

    With a fixed pulse strength the periods found belong to that strength.
    A stronger second pulse shortens the relative period, so the "needs more
    current" side of refractoriness needs a threshold search over amplitudes.
    That search is not done here.

    Parameters
    ----------
    t : array, shape (n_samples,)
        Sample times (s).
    v_sweeps : array, shape (n_sweeps, n_samples)
        Membrane potential (V).
    intervals : array, shape (n_sweeps,)
        Pulse-onset interval of each sweep (s).
    first_onset : float
        Onset of the first pulse (s). The baseline for spike heights is the
        mean voltage before it.
    recovered : float
        Height ratio at or above which the second spike counts as full size.
    **detect_options
        Passed to :func:`~vlab.analysis.detect_spikes` (e.g. ``i_inj``, ``cm``,
        ``level``). Lower ``level`` to catch the small spikes of the relative
        refractory period.
    """
    t = as_time(t)
    v2, _ = as_sweeps(t, v_sweeps, "v_sweeps")
    intervals = np.asarray(intervals, dtype=float)
    if intervals.shape != (v2.shape[0],):
        raise ValueError(f"need one interval per sweep ({v2.shape[0]}); got {intervals.shape}")
    per_sweep = detect_spikes_per_sweep(t, v2, **detect_options)
    pre = t < first_onset
    n = v2.shape[0]
    first = np.zeros(n, dtype=bool)
    second = np.zeros(n, dtype=bool)
    ratio = np.full(n, math.nan)
    for j, spikes in enumerate(per_sweep):
        base = float(v2[j, pre].mean()) if pre.any() else float(v2[j, 0])
        after = [s for s in spikes if s.t_cross >= first_onset]
        first[j] = len(after) >= 1
        second[j] = len(after) >= 2
        if second[j]:
            ratio[j] = (after[1].v_peak - base) / (after[0].v_peak - base)
    order = np.argsort(intervals, kind="stable")
    intervals, first, second, ratio = intervals[order], first[order], second[order], ratio[order]
    failed = intervals[first & ~second]
    absolute = float(failed.max()) if failed.size else math.nan
    reduced = intervals[first & second & (ratio < recovered)]
    relative = (float(reduced.min()), float(reduced.max())) if reduced.size else (math.nan,) * 2
    return RefractoryResult(intervals, first, second, ratio, absolute, relative)
