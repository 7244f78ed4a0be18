"""The one I–V / f–I / cursor pipeline (vlab.analysis.family) on every built-in protocol.

Expected values come from physics, not from vlab: a sweep whose membrane potential
crosses 0 mV after the stimulus holds at least one action potential and one that stays
below -20 mV holds none; the squid axon rests at -65 mV (Hodgkin & Huxley 1952) and a
voltage clamp holds the membrane at its command; the threshold of a 1 ms pulse for the
HH squid axon at 6.3 degC lies between 6 and 8 uA/cm2 (so the threshold search fires in
sweeps 7-12 exactly).
"""

from __future__ import annotations

import numpy as np
import pytest

from vlab.analysis.cursors import between_cursors_each
from vlab.analysis.family import (
    TRANSIENT_SKIP,
    compute_fi,
    compute_iv,
    iv_family,
    step_window,
    stimulus_window,
)
from vlab.clamp import ClampMode
from vlab.protocols import builtin_protocols, load_protocol
from vlab.recording import Sweep
from vlab.sim.cell import Cell
from vlab.sim.engine import run_protocol

NAMES = sorted(builtin_protocols())


def _sweeps(name: str, cell: Cell | None = None) -> tuple[list[Sweep], object, Cell]:
    p = load_protocol(name)
    cell = cell or Cell("squid")
    res = run_protocol(cell, p)
    mode = p.mode.value
    out = []
    for k in range(res.n_sweeps):
        chans = {"Vm": res.data["Vm"][k], "Im": res.data["Im"][k], "command": res.command[k]}
        out.append(Sweep(k, p.sample_interval, chans, provenance={"mode": mode}))
    return out, p, cell


def test_every_builtin_protocol_is_covered():
    assert len(NAMES) >= 11 and "threshold_search" in NAMES and "vc_step_family" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_analysis_path_on_every_builtin_protocol(name):
    sweeps, p, cell = _sweeps(name)
    t = sweeps[0].time()
    win = stimulus_window(t, np.vstack([s["command"] for s in sweeps]))
    area = cell.values["area"]
    # cursors before the stimulus: every sweep measured, at rest (CC) or at the command (VC)
    t_pre = (win[0] if win else t[-1]) - 0.5e-3
    rows = between_cursors_each([(s.time(), s["Vm"]) for s in sweeps], 0.0, t_pre)
    assert len(rows) == len(sweeps)
    for s, row in zip(sweeps, rows, strict=True):
        expected = s["command"][0] if p.mode is ClampMode.VC else -65e-3
        assert row["mean"] == pytest.approx(expected, abs=1e-3)
    if p.mode is ClampMode.VC:
        iv = compute_iv(sweeps)  # the ramp is one sweep: a one-point I–V
        assert iv.peak_window[0] == pytest.approx(win[0] + TRANSIENT_SKIP)
        assert np.all(np.isfinite(iv.peak)) and np.all(np.isfinite(iv.steady))
        # each level is a command the protocol really applied (to one sample's change)
        for s, v in zip(sweeps, iv.v, strict=True):
            step = np.max(np.abs(np.diff(s["command"])))
            assert np.min(np.abs(s["command"] - v)) <= (step if "ramp" in name else 1e-9)
        return
    if win is None:  # gap-free: nothing steps; f–I says so
        with pytest.raises(ValueError, match="never steps"):
            compute_fi(sweeps)
        return
    fi = compute_fi(sweeps)
    assert fi.counts.shape == (len(sweeps),)
    crossed = []
    for s, n in zip(sweeps, fi.counts, strict=True):
        after = s["Vm"][s.time() >= win[0]]
        if after.max() > 0.0:
            assert n >= 1, f"{name} sweep {s.index + 1} crosses 0 mV but counts {n} spikes"
            crossed.append(s)
        elif after.max() < -20e-3:
            assert n == 0
    if not crossed:
        assert np.isnan(fi.rheobase)
    else:
        levels = [fi.currents[s.index] for s in crossed if fi.currents[s.index] > fi.holding]
        assert fi.rheobase == pytest.approx(min(levels))
    assert np.isnan(fi.rheobase) or fi.rheobase > fi.holding
    # every built-in current-clamp protocol stimulates with 0 .. 20 uA/cm2
    assert np.all(fi.currents / area <= 20e-2 + 1e-9)


def test_threshold_search_fires_in_sweeps_7_to_12_and_rheobase_is_the_hh_threshold():
    sweeps, _p, cell = _sweeps("threshold_search")
    fi = compute_fi(sweeps)
    assert list(fi.counts > 0) == [False] * 6 + [True] * 6
    density = fi.rheobase / cell.values["area"]  # A/m2; 1 uA/cm2 = 1e-2 A/m2
    assert 6e-2 < density < 8e-2
    # widening the window to the whole sweep changes nothing (it gave "0 A" before)
    wide = compute_fi(sweeps, window=(0.0, float(sweeps[0].time()[-1])))
    assert list(wide.counts > 0) == [False] * 6 + [True] * 6


def test_iv_skips_the_same_transient_for_arrays_and_sweeps():
    sweeps, _p, _c = _sweeps("vc_step_family")
    a = compute_iv(sweeps)
    t = sweeps[0].time()
    b = iv_family(
        t, np.vstack([s["Im"] for s in sweeps]), np.vstack([s["command"] for s in sweeps])
    )
    assert np.array_equal(a.peak, b.peak) and a.peak_window == b.peak_window
    assert step_window(sweeps) == stimulus_window(t, np.vstack([s["command"] for s in sweeps]))
    # physics: the Na+ current is inward at -20 mV and the K+ current outward at +60 mV
    assert a.peak[list(np.round(a.v * 1e3)).index(-20)] < 0
    assert a.steady[list(np.round(a.v * 1e3)).index(60)] > 0
