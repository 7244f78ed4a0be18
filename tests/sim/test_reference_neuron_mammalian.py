"""The mammalian preparation against NEURON 9 runs of Pospischil et al. (2008).

Reference data: ``tests/data/neuron_reference/pospischil2008`` (made by ``make_reference.py``
there from .mod files written from the papers). The model is the regular-spiking cell vlab
ships (``resources/preparations/mammalian.toml``) at 37 degC, with its somatic Ih (Kole et
al. 2006 rates as in Hay et al. 2011).

Tolerances, from the solvers: NEURON used CVODE at 1e-9; vlab's voltage clamp is exact
for piecewise-constant commands, so conductances agree to the float32 storage and the
NEURON clamp's 1.5 uV error (well below 0.1 % of the peak). In current clamp vlab uses
Crank-Nicolson, second order in its step: at the default 25 us the single spike is held to
0.02 ms and 0.5 mV (as the squid reference; 2 mV on the 500 mV/ms upstroke is 4 us of
timing), while the phase error accumulates over the 36-spike adapting train to 0.42 ms
(intervals 0.16 %). At 5 us (25x smaller error) the train is held to 0.03 ms and 0.05 %:
vlab converges to NEURON's spike times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane

REF = Path(__file__).resolve().parents[1] / "data" / "neuron_reference" / "pospischil2008"


def _upcross(t, v, level=0.0):
    k = np.nonzero((v[:-1] < level) & (v[1:] >= level))[0]
    return t[k] + (level - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])


@pytest.fixture(scope="module")
def vc_ref():
    return dict(np.load(REF / "vc_family.npz"))


@pytest.fixture(scope="module")
def vlab_vc(vc_ref):
    """vlab's mammalian cell under the same clamp family, conductances in mS/cm2."""
    cell = Cell("mammalian")
    levels = vc_ref["levels_mV"]
    dt_ms = float(vc_ref["t_ms"][1] - vc_ref["t_ms"][0])
    n = len(vc_ref["t_ms"])
    t = np.arange(n) * dt_ms
    hold = float(vc_ref["hold_mV"])
    on, step = float(vc_ref["t_on_ms"]), float(vc_ref["t_step_ms"])
    cmd = np.full((len(levels), n), hold)
    during = (t >= on - 1e-9) & (t < on + step - 1e-9)
    cmd[:, during] = levels[:, None]
    mem = Membrane(cell, n_sweeps=len(levels))
    mem.reset(v0=hold * 1e-3)
    out = mem.advance("voltage-clamp", cmd * 1e-3, dt_ms * 1e-3, ("gNa", "gK", "gM", "q"))
    area_cm2 = cell.values["area"] * 1e4
    # sample k of the output is at t[k + 1]; S -> mS/cm2; Ih's gate times its maximal 0.2
    g = {k: v / area_cm2 * 1e3 for k, v in out.items() if k != "q"}
    g["gH"] = out["q"] * cell.values["gH"] / 10.0
    return t[1:], g


@pytest.mark.parametrize("ours,theirs", [("gNa", "gna"), ("gK", "gk"), ("gM", "gm"), ("gH", "gh")])
def test_voltage_clamp_conductances_match_neuron(vlab_vc, vc_ref, ours, theirs):
    """Traub-Miles Na+/K+ rates shifted by VT and the M gate, Q10-scaled to 37 degC."""
    t, g = vlab_vc
    on, step = float(vc_ref["t_on_ms"]), float(vc_ref["t_step_ms"])
    # away from the clamp edges, where NEURON's series-resistance clamp needs ~ns to settle
    away = (np.abs(t - on) > 0.06) & (np.abs(t - on - step) > 0.06)
    for i, level in enumerate(vc_ref["levels_mV"]):
        ref = vc_ref[f"{theirs}_{int(level)}"][1:].astype(float)
        scale = {"gna": 56.0, "gk": 6.0, "gm": 0.075, "gh": 0.2}[theirs]  # maximal conductance
        err = np.max(np.abs(g[ours][i, away] - ref[away]))
        assert err < 2e-4 * scale + 2e-3 * np.max(np.abs(ref)), (level, ours, err)


@pytest.fixture(scope="module")
def cc_ref():
    d = np.load(REF / "cc_trace.npz")
    spikes = np.loadtxt(REF / "cc_spikes.csv", ndmin=1)
    return dict(d), spikes


def _run_cc(ref, dt_max=25e-6):
    cell = Cell("mammalian")
    t = ref["t_ms"].astype(float)
    dt_ms = float(round(t[1] - t[0], 9))
    j = np.zeros_like(t)  # uA/cm2
    j[(t >= 20.0 - 1e-9) & (t < 22.0 - 1e-9)] = 20.0  # 2 ms pulse
    j[(t >= 100.0 - 1e-9) & (t < 500.0 - 1e-9)] = 4.0  # 400 ms step
    area_cm2 = cell.values["area"] * 1e4
    mem = Membrane(cell, dt_max=dt_max)
    mem.reset()
    v0 = mem.snapshot()["Vm"][0]
    out = mem.advance(
        "current-clamp", j * area_cm2 * 1e-6, dt_ms * 1e-3, ("Vm", "m", "h", "n", "p", "q")
    )
    return v0, t, {k: np.concatenate([[np.nan], v[0]]) for k, v in out.items()}


@pytest.fixture(scope="module")
def vlab_cc(cc_ref):
    return _run_cc(cc_ref[0])


def test_resting_potential_matches_neuron(vlab_cc, cc_ref):
    ref, _ = cc_ref
    v0, _, _ = vlab_cc
    assert v0 * 1e3 == pytest.approx(float(ref["v_rest_mV"]), abs=0.01)


def test_single_spike_matches_neuron(vlab_cc, cc_ref):
    ref, spikes = cc_ref
    _, t, data = vlab_cc
    v = data["Vm"] * 1e3
    win = (t > 19.0) & (t < 60.0)
    ours = _upcross(t[win], v[win])
    assert len(ours) == 1
    assert ours[0] == pytest.approx(spikes[0], abs=0.02)
    assert np.nanmax(v[win]) == pytest.approx(float(np.max(ref["v_mV"][win])), abs=0.5)
    # the whole first 60 ms within 1 mV, gates within 0.01
    assert np.nanmax(np.abs(v[win] - ref["v_mV"][win])) < 2.0
    for g in ("m", "h", "n", "p", "q"):
        assert np.nanmax(np.abs(data[g][win] - ref[g][win])) < 0.01, g


@pytest.mark.parametrize(
    "dt_max,t_tol,isi_rtol,p_tol", [(25e-6, 0.5, 2e-3, 2e-3), (5e-6, 0.03, 5e-4, 3e-4)]
)
def test_adapting_train_matches_neuron(cc_ref, dt_max, t_tol, isi_rtol, p_tol):
    """The M current's slow build-up lengthens the intervals: same spikes, same timing."""
    ref, spikes = cc_ref
    _, t, data = _run_cc(ref, dt_max)
    ours = _upcross(t[1:], data["Vm"][1:] * 1e3)
    assert len(ours) == len(spikes)
    np.testing.assert_allclose(ours, spikes, atol=t_tol)
    isi_ours, isi_ref = np.diff(ours[1:]), np.diff(spikes[1:])
    np.testing.assert_allclose(isi_ours, isi_ref, rtol=isi_rtol)
    assert isi_ref[-1] > 1.3 * isi_ref[0]  # the reference adapts (guards the data itself)
    # the M gate's slow build-up, compared where each spike starts (its value jumps in a spike)
    p_ours = np.interp(ours, t[1:], data["p"][1:])
    p_ref = np.interp(spikes, t, ref["p"].astype(float))
    assert np.max(np.abs(p_ours - p_ref)) < p_tol
