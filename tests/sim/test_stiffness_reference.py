"""The short form of bench/stiffness_sweep.py: the settings that were worst before step-size
control, against converged solutions computed by scipy's Radau IIA (rtol 1e-10) from the
membrane equations, not by vlab's integrator (bench/stiffness_reference.py wrote
tests/data/stiffness_reference.npz).

Tolerance (docs/validation.md, "Stiff settings"): every 10 us sample within 1 mV of the
converged trace somewhere within +/- 0.5 us of the sample's time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane

DATA = Path(__file__).resolve().parents[1] / "data" / "stiffness_reference.npz"
TOL_MV = 1.0
with np.load(DATA) as _f:
    REF = {k: _f[k] for k in _f.files}
META = json.loads(str(REF["meta"]))


def _trace(prep: str, settings: dict, pulse_ua_cm2: float) -> np.ndarray:
    """Vm (mV) at t = 0, 10 us, ... 29.99 ms with a 1 ms pulse from 5 ms, as a user runs it
    (the engine's automatic step)."""
    cell = Cell(prep)
    for name, value in settings.items():
        cell.set(name, value)
    mem = Membrane(cell)
    v0 = mem.snapshot()["Vm"][0]
    cmd = np.zeros(3000)
    cmd[500:600] = pulse_ua_cm2 * 1e-2 * cell.values["area"]
    v = mem.advance("current-clamp", cmd, 10e-6, ("Vm",))["Vm"][0]
    return np.concatenate([[v0], v]) * 1e3


@pytest.mark.parametrize("k", range(len(META["settings"])))
def test_trace_stays_in_the_tube_around_the_converged_solution(k):
    case = META["settings"][k]
    v = _trace(case["preparation"], case["settings"], case["pulse_uA_cm2"])
    lo, hi = REF[f"lo{k}"], REF[f"hi{k}"]
    ok = (v >= lo - TOL_MV) & (v <= hi + TOL_MV)
    bad = np.nonzero(~ok)[0]
    assert not len(bad), (
        f"{case}: {len(bad)} samples leave the tube, first at {bad[0] * 0.01:.2f} ms: "
        f"{v[bad[0]]:.2f} mV, converged {lo[bad[0]]:.2f} .. {hi[bad[0]]:.2f} mV"
    )
    assert hi.max() - 0.5 < v.max() < hi.max() + TOL_MV  # the spike is there, not above
