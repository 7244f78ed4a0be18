"""Protocol families: the one I–V, G–V and f–I pipeline of the GUI, the CLI and the practicals.

A *family* is a set of sweeps of one protocol (same length and sample interval) whose
command steps from a holding value. Everything here works on plain arrays (``t`` s,
``(n_sweeps, n_samples)`` currents A / potentials V / commands V or A) or on sweep-like
objects (``.channels`` dict with ``'command'``, ``.dt`` s, ``.provenance`` dict).

The measurement windows, documented once:

* the **stimulus epoch** is where any sweep's command differs from its first (holding)
  value: from its first such sample to one sample past the last (:func:`stimulus_window`);
* the **peak window** of an I–V starts :data:`TRANSIENT_SKIP` (0.1 ms) after the step
  onset, past the capacitive transient of the recorded current (a few samples of the
  4-pole filter at 10 µs; the ionic currents peak ≥ 0.2 ms after a step) and ends one
  sample before the step ends; the **steady-state** value is the mean over the last
  10 % of the step (:func:`vlab.analysis.steady_state_current`);
* **f–I** counts spikes from the step onset to the end of the sweep (the response: a
  brief pulse fires after it has ended, as in the threshold search) and gives the rate as
  the spikes *during* the step over its duration; a sweep's current is its command at the
  largest departure from holding (the step, or the pulse amplitude); the **rheobase** is
  the smallest depolarising current that gave a spike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vlab.analysis.clamp import (
    PeakKind,
    Reversal,
    conductance,
    fit_boltzmann,
    iv_curve,
    reversal_potential,
)
from vlab.analysis.firing import spike_times
from vlab.analysis.spikes import detect_spikes
from vlab.clamp import ClampMode

__all__ = [
    "TRANSIENT_SKIP",
    "DerivedSweep",
    "FamilyFI",
    "GVResult",
    "IVResult",
    "compute_fi",
    "compute_gv",
    "compute_iv",
    "difference_family",
    "family",
    "fi_family",
    "is_cc",
    "is_vc",
    "iv_family",
    "provenance_reversal",
    "step_levels",
    "step_window",
    "stimulus_window",
    "sweep_mode",
    "sweep_time",
    "varying_window",
]

#: s skipped after a voltage step before the peak search (the capacitive transient)
TRANSIENT_SKIP = 1e-4


# ----------------------------------------------------------------------------- sweeps
def _clamp_mode(sweep) -> ClampMode | None:
    try:
        return ClampMode.parse(getattr(sweep, "mode", None) or sweep.provenance.get("mode"))
    except ValueError:
        return None


def sweep_mode(sweep) -> str:
    """The sweep's clamp mode as written (``'VC'``, ``'CC'``, ``'I=0'``; '' if unknown)."""
    mode = _clamp_mode(sweep)
    return "" if mode is None else mode.value


def is_vc(sweep) -> bool:
    """True for a voltage-clamp sweep (any spelling ClampMode.parse reads)."""
    return _clamp_mode(sweep) is ClampMode.VC


def is_cc(sweep) -> bool:
    """True for a current-clamp (or I=0) sweep."""
    return _clamp_mode(sweep) in (ClampMode.CC, ClampMode.I0)


def sweep_time(sweep) -> np.ndarray:
    """Sample times of a sweep from its start, s."""
    n = len(next(iter(sweep.channels.values())))
    return np.arange(n) * sweep.dt


def family(sweeps: Iterable, predicate) -> list:
    """The largest group of sweeps passing ``predicate`` that share length and dt."""
    groups: dict[tuple[int, float], list] = {}
    for s in sweeps:
        if predicate(s) and "command" in s.channels:
            n = len(next(iter(s.channels.values())))
            groups.setdefault((n, round(s.dt, 12)), []).append(s)
    if not groups:
        return []
    return max(groups.values(), key=len)


def _stack(sweeps: Sequence, channel: str) -> np.ndarray:
    return np.vstack([np.asarray(s.channels[channel], dtype=float) for s in sweeps])


# ----------------------------------------------------------------------------- windows
def stimulus_window(t: np.ndarray, commands: np.ndarray) -> tuple[float, float] | None:
    """(t0, t1) s of the stimulus epoch (module docstring); None if no command changes.

    A departure counts when it exceeds 1e-6 of the largest command (plus 0.1 µV or
    1 fA), so float32 storage of a constant command is not mistaken for a step.
    """
    t = np.asarray(t, dtype=float)
    cmd = np.atleast_2d(np.asarray(commands, dtype=float))
    scale = float(np.max(np.abs(cmd))) if cmd.size else 0.0
    volts = scale < 10.0 and scale > 1e-6  # a command in V (tens of mV), not in A
    thr = 1e-6 * scale + (1e-7 if volts else 1e-15)
    idx = np.nonzero(np.any(np.abs(cmd - cmd[:, :1]) > thr, axis=0))[0]
    if idx.size == 0:
        return None
    dt = float(t[1] - t[0]) if t.size > 1 else 0.0
    return float(t[idx[0]]), float(t[idx[-1]]) + dt


def step_window(sweeps: Sequence) -> tuple[float, float]:
    """The stimulus epoch of a sweep family, s (the whole sweep if the command is flat)."""
    if not sweeps:
        raise ValueError("no sweeps")
    t = sweep_time(sweeps[0])
    win = stimulus_window(t, _stack(sweeps, "command"))
    return win if win is not None else (float(t[0]), float(t[-1]))


def varying_window(sweeps: Sequence) -> tuple[float, float]:
    """The first stretch of :func:`step_window` where the sweeps' commands differ, s.

    A real protocol often has several epochs after the family's step (a second family, a
    test pulse); its I–V or f–I is measured on the first epoch that changes from sweep to
    sweep. For a family with one stepped epoch this is :func:`step_window`.
    """
    win = step_window(sweeps)
    if len(sweeps) < 2:
        return win
    t = sweep_time(sweeps[0])
    cmd = _stack(sweeps, "command")
    scale = float(np.max(np.abs(cmd)))
    thr = 1e-6 * scale + (1e-7 if 1e-6 < scale < 10.0 else 1e-15)  # as stimulus_window
    idx = np.nonzero((np.ptp(cmd, axis=0) > thr) & (t >= win[0]) & (t < win[1]))[0]
    if idx.size == 0:
        return win
    gaps = np.nonzero(np.diff(idx) > 1)[0]
    end = idx[gaps[0]] if gaps.size else idx[-1]
    dt = float(t[1] - t[0]) if t.size > 1 else 0.0
    return float(t[idx[0]]), float(t[end]) + dt


def step_levels(sweeps: Sequence, window: tuple[float, float]) -> np.ndarray:
    """Median command (V in VC, A in CC) of each sweep inside ``window``."""
    return _levels(sweep_time(sweeps[0]), _stack(sweeps, "command"), window)


def _levels(t: np.ndarray, commands: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    sel = (t >= window[0]) & (t < window[1])
    if not sel.any():
        return commands[:, 0].copy()
    return np.median(commands[:, sel], axis=1)


def _amplitudes(t: np.ndarray, commands: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Each sweep's command at its largest departure from holding inside ``window``.

    For a step this is the step level; for a pulse that fills only part of the family's
    window (strength–duration, paired pulses) it is the pulse amplitude, not the holding.
    """
    sel = (t >= window[0]) & (t < window[1])
    if not sel.any():
        return commands[:, 0].copy()
    seg = commands[:, sel]
    k = np.argmax(np.abs(seg - commands[:, :1]), axis=1)
    return seg[np.arange(seg.shape[0]), k]


# ----------------------------------------------------------------------------- I–V
@dataclass
class IVResult:
    """Current–voltage relation of a voltage-step family (SI)."""

    v: np.ndarray
    peak: np.ndarray
    steady: np.ndarray
    window: tuple[float, float]
    peak_window: tuple[float, float]
    kind: str = "inward"
    reversal: Reversal | None = None

    @property
    def peak_inward(self) -> tuple[float, float]:
        """(current A, potential V) of the most negative peak current."""
        k = int(np.argmin(self.peak))
        return float(self.peak[k]), float(self.v[k])


def iv_family(
    t: np.ndarray,
    currents: np.ndarray,
    commands: np.ndarray | None = None,
    *,
    window: tuple[float, float] | None = None,
    levels: np.ndarray | None = None,
    kind: PeakKind = "inward",
) -> IVResult:
    """Peak and steady-state I–V of a voltage-step family (arrays; the one pipeline).

    Parameters
    ----------
    t : (n_samples,) s
    currents : (n_sweeps, n_samples) A
    commands : (n_sweeps, n_samples) V, optional if both ``window`` and ``levels`` given
    window : (t0, t1) s, the step; default :func:`stimulus_window` of ``commands``
    levels : (n_sweeps,) V, the step potentials; default the median command in the window
    kind : ``'inward'``, ``'outward'`` or ``'peak'`` (see :func:`vlab.analysis.peak_current`)
    """
    t = np.asarray(t, dtype=float)
    im = np.atleast_2d(np.asarray(currents, dtype=float))
    if im.shape[0] < 1 or im.shape[1] != t.size:
        raise ValueError("I–V needs one current trace per sweep, each as long as t")
    dt = float(t[1] - t[0]) if t.size > 1 else 0.0
    cmd = None if commands is None else np.atleast_2d(np.asarray(commands, dtype=float))
    if window is None:
        if cmd is None:
            raise ValueError("I–V needs the command or a measurement window")
        window = stimulus_window(t, cmd)
        if window is None:
            raise ValueError("the command never steps: an I–V needs a voltage-step protocol")
    if levels is None:
        if cmd is None:
            raise ValueError("I–V needs the command or the step potentials")
        levels = _levels(t, cmd, window)
    levels = np.asarray(levels, dtype=float)
    end = max(window[1] - dt, window[0] + dt)
    peak_win = (min(window[0] + TRANSIENT_SKIP, end - dt), end)
    vp, ip = iv_curve(t, im, levels, peak_win, kind=kind)
    _, iss = iv_curve(t, im, levels, (window[0], end), kind="steady")
    rev = reversal_potential(vp, ip) if vp.size >= 2 else None
    return IVResult(vp, ip, iss, (window[0], end), peak_win, kind, rev)


def compute_iv(
    sweeps: Sequence, window: tuple[float, float] | None = None, kind: PeakKind = "inward"
) -> IVResult:
    """:func:`iv_family` of voltage-clamp sweeps (equal length, with a command channel)."""
    fam = list(sweeps)
    if not fam:
        raise ValueError("I–V needs voltage-clamp sweeps with a command channel")
    t = sweep_time(fam[0])
    cmd = _stack(fam, "command")
    win = window or step_window(fam)
    return iv_family(t, _stack(fam, "Im"), cmd, window=win, kind=kind)


@dataclass
class DerivedSweep:
    """A computed sweep (e.g. control − drug): sweep-like, not a recording."""

    index: int
    dt: float
    channels: dict[str, np.ndarray]
    provenance: dict = field(default_factory=dict)
    label: str = ""

    @property
    def mode(self) -> str:
        return str(self.provenance.get("mode", ""))


def difference_family(control: Sequence, drug: Sequence) -> list[DerivedSweep]:
    """The drug-sensitive current: control minus drug, sweep by sweep (voltage clamp).

    The pharmacological subtraction an electrophysiologist does: with TTX it leaves the
    Na+ current, with TEA the K+ current; the leak and the capacitive transients, the
    same in both, cancel. Sweeps are paired by their step level and must share length,
    sample interval and command. Returns sweeps with ``Im`` (A) and ``command`` (V).

    Raises ValueError saying what does not match.
    """
    c, d = family(control, is_vc), family(drug, is_vc)
    if len(c) < 2 or len(d) < 2:
        raise ValueError("the subtraction needs a voltage-step family in both control and drug")
    if len(c[0].channels["Im"]) != len(d[0].channels["Im"]) or abs(c[0].dt - d[0].dt) > 1e-12:
        raise ValueError(
            "control and drug were recorded with different sweep lengths or "
            "sampling: record both with the same protocol"
        )
    win = step_window(c)
    lc, ld = step_levels(c, win), step_levels(d, win)
    out = []
    for s, level in zip(c, lc, strict=True):
        k = int(np.argmin(np.abs(ld - level)))
        other = d[k]
        cmd = np.asarray(s.channels["command"], dtype=float)
        if abs(ld[k] - level) > 0.5e-3 or not np.allclose(
            cmd, np.asarray(other.channels["command"], dtype=float), rtol=0, atol=0.1e-3
        ):
            continue
        im = np.asarray(s.channels["Im"], dtype=float) - np.asarray(
            other.channels["Im"], dtype=float
        )
        out.append(
            DerivedSweep(
                index=s.index,
                dt=s.dt,
                channels={"Im": im, "command": cmd},
                provenance={"mode": "VC", "derived": "control minus drug"},
                label="control - drug",
            )
        )
    if len(out) < 2:
        raise ValueError(
            "control and drug share fewer than two voltage steps: record both "
            "with the same protocol"
        )
    return out


# ----------------------------------------------------------------------------- G–V
@dataclass
class GVResult:
    """Normalised conductance–voltage relation with its Boltzmann fit."""

    v: np.ndarray
    g: np.ndarray
    e_rev: float
    v_half: float
    k: float
    gmax: float
    info: dict = field(default_factory=dict)


def compute_gv(iv: IVResult, which: str = "peak", e_rev: float | None = None) -> GVResult:
    """G = I/(V − E_rev), normalised, and its Boltzmann fit.

    ``which`` is ``'peak'`` (e.g. Na+) or ``'steady'`` (e.g. K+). For the peak current
    without ``e_rev`` the reversal of the peak I–V is used; points beyond E_rev
    (where a peak search sees other currents) are left out.
    """
    i = iv.peak if which == "peak" else iv.steady
    if e_rev is None or not math.isfinite(e_rev):
        if iv.reversal is None or not math.isfinite(iv.reversal.e_rev):
            raise ValueError("no reversal potential: the current does not change sign; type one in")
        e_rev = iv.reversal.e_rev if which == "peak" else e_rev
    if e_rev is None or not math.isfinite(e_rev):
        raise ValueError("type the reversal potential of this current")
    v = iv.v
    use = np.ones_like(v, dtype=bool)
    if which == "peak":
        use = v < e_rev
    g = conductance(v[use], i[use], e_rev, normalise=True)
    v_half, k, gmax, info = fit_boltzmann(v[use], g)
    return GVResult(v[use], g, float(e_rev), float(v_half), float(k), float(gmax), info)


def provenance_reversal(sweeps: Sequence, ion: str) -> float | None:
    """Reversal potential (V) of ``ion`` recorded in the sweeps' provenance, if any."""
    for s in sweeps:
        rv = s.provenance.get("reversal_mV")
        if isinstance(rv, dict) and ion in rv:
            return float(rv[ion]) * 1e-3
        rv = s.provenance.get("reversal_V")
        if isinstance(rv, dict) and ion in rv:
            return float(rv[ion])
    return None


# ----------------------------------------------------------------------------- f–I
@dataclass(frozen=True)
class FamilyFI:
    """Firing of a current-step family (module docstring for the windows).

    Attributes
    ----------
    currents : step amplitude of each sweep, A
    holding : the holding current, A (steps above it depolarise)
    counts : spikes from the step onset to the end of the sweep
    rates : spikes during the step / step duration, Hz
    latencies : first spike after the onset, s (NaN without one)
    window : (onset, end of step), s
    """

    currents: np.ndarray
    holding: float
    counts: np.ndarray
    rates: np.ndarray
    latencies: np.ndarray
    window: tuple[float, float]

    @property
    def rheobase(self) -> float:
        """Smallest depolarising step (A) that gave at least one spike; NaN if none."""
        firing = self.currents[(self.counts > 0) & (self.currents > self.holding)]
        return float(firing.min()) if firing.size else math.nan


def fi_family(
    t: np.ndarray,
    vm: np.ndarray,
    commands: np.ndarray,
    *,
    window: tuple[float, float] | None = None,
    cm: float | None = None,
) -> FamilyFI:
    """f–I, spike counts and rheobase of a current-step family (arrays; the one pipeline).

    ``vm`` (n_sweeps, n_samples) V and ``commands`` (n_sweeps, n_samples) A; ``cm`` (F),
    when given with the command, lets spike detection tell a stimulus artefact from a
    spike (see :func:`vlab.analysis.detect_spikes`).
    """
    t = np.asarray(t, dtype=float)
    v2 = np.atleast_2d(np.asarray(vm, dtype=float))
    cmd = np.atleast_2d(np.asarray(commands, dtype=float))
    if window is None:
        window = stimulus_window(t, cmd)
        if window is None:
            raise ValueError("the command never steps: f–I needs a current-step protocol")
    t0, t1 = window
    if not t1 > t0:
        raise ValueError(f"the step window must have t1 > t0, got {window!r}")
    currents = _amplitudes(t, cmd, window)
    if cm:
        per_sweep = detect_spikes(t, v2, i_inj=cmd, cm=cm)
    else:
        per_sweep = detect_spikes(t, v2)
    t_end = float(t[-1]) + (float(t[1] - t[0]) if t.size > 1 else 0.0)
    counts, rates, lat = [], [], []
    for spikes in per_sweep:
        assert isinstance(spikes, list)  # 2-D input: one list per sweep
        after = spike_times(spikes, (t0, t_end))
        counts.append(after.size)
        rates.append(spike_times(spikes, (t0, t1)).size / (t1 - t0))
        lat.append(after[0] - t0 if after.size else math.nan)
    return FamilyFI(
        currents,
        float(np.median(cmd[:, 0])),
        np.array(counts, dtype=int),
        np.array(rates, dtype=float),
        np.array(lat, dtype=float),
        (float(t0), float(t1)),
    )


def compute_fi(sweeps: Sequence, window: tuple[float, float] | None = None) -> FamilyFI:
    """:func:`fi_family` of current-clamp sweeps (equal length, with a command channel)."""
    fam = list(sweeps)
    if not fam:
        raise ValueError("f–I needs current-clamp sweeps with a command channel")
    t = sweep_time(fam[0])
    return fi_family(t, _stack(fam, "Vm"), _stack(fam, "command"), window=window)
