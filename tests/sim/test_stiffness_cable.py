"""Step-size control on the axon (cable) kernel: it had the membrane's problem at stiff
settings (Cm 0.01 uF/cm2, gNa 1000 mS/cm2, 37 degC: +83 mV peaks, 114 mV from the
converged trace at the old 3.6 us step)."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.sim.cable import Axon
from vlab.sim.engine import TooStiffError


def _axon(**settings) -> Axon:
    ax = Axon("squid_axon")
    ax.set("length", "0.5 cm")
    for name, value in settings.items():
        ax.set(name, value)
    return ax


def _far_end(ax: Axon, dt: float) -> np.ndarray:
    """Vm (mV) 4 mm along after a 0.2 ms, 20 uA pulse at 1 ms; 3 ms sampled every 10 us."""
    cmd = np.zeros((1, 300))
    cmd[0, 100:120] = 20e-6
    r = ax.run(command=cmd, sample_interval=10e-6, record={"b": 0.004}, dt_max=dt)
    return np.asarray(r.traces["b"]).ravel() * 1e3


def test_default_axons_keep_their_steps():
    assert Axon("squid_axon").default_dt() == pytest.approx(10e-6)
    assert Axon("myelinated_axon").default_dt() == pytest.approx(2e-6)


def test_stiff_axon_is_stepped_finely_and_converged():
    """Cm 0.1 uF/cm2, gNa 1000 mS/cm2, 30 degC: the old step (5.3 us) was 70 mV off. The
    default step must now agree with a five times finer (converged) one within 1 mV and
    never pass E_Na (+50 mV, pinned)."""
    ax = _axon(Cm="0.1 uF/cm2", gNa="1000 mS/cm2", temperature="30 degC")
    dt = ax.default_dt()
    assert dt < 1e-6
    v, ref = _far_end(ax, dt), _far_end(ax, dt / 5)
    assert ref.max() > 40.0  # the spike arrives
    assert np.abs(v - ref).max() < 1.0
    assert v.max() < 50.0


def test_too_stiff_axon_is_refused():
    ax = _axon(Cm="0.01 uF/cm2", gNa="3000 mS/cm2", temperature="50 degC")
    with pytest.raises(TooStiffError, match="too fast to simulate accurately"):
        ax.default_dt()
