"""Instructor locks: a practical step can lock controls; the rig refuses changes to them."""

from __future__ import annotations

import pytest

from vlab.rig import Rig, RigError


def test_locked_controls_are_refused_with_a_clear_message():
    rig = Rig("squid")
    rig.set_locked({"solutions", "drugs", "mode"})
    with pytest.raises(RigError, match="ion concentrations is locked"):
        rig.set_parameter("K_out", "20 mM")
    with pytest.raises(RigError, match="perfusion is locked"):
        rig.apply_drug("TTX", 1e-4)
    with pytest.raises(RigError, match="amplifier mode is locked"):
        rig.set_mode("VC")
    rig.set_parameter("temperature", "10 degC")  # not locked
    rig.set_parameter("gNa", "100 mS/cm2")
    assert rig.cell.values["temperature"] == 10
    assert rig.cell.values["K_out"] == pytest.approx(16.35)


def test_applying_a_practical_preset_clears_the_previous_locks():
    from vlab.practicals import load_practical
    from vlab.practicals.rigsetup import apply_preset, resolved
    from vlab.practicals.unknowns import draw_unknowns

    prac = load_practical("hyperkalaemia")
    rig = Rig("squid")
    rig.set_locked({"preparation", "solutions"})
    apply_preset(rig, resolved(prac.steps[0].preset, prac, draw_unknowns(prac, "s1")))
    assert rig.cell.prep.name == "mammalian"
    assert rig.locked == frozenset()


def test_lidocaine_block_shown_is_the_membranes_own_use_dependent_state():
    """The fraction reported for lidocaine grows with firing (not a fixed equilibrium)."""
    from vlab.rig.simulator import RigSimulator

    rig = Rig("mammalian")
    rig.apply_drug("lidocaine", 0.1, equilibrated=True)  # 100 uM
    sim = RigSimulator(rig)
    quiet = sim.step(0.05).blocked["lidocaine"]
    for _ in range(20):  # 20 pulses at 50 Hz
        sim.stimulate(1.8e-9, 2e-3)
        sim.step(0.02)
    busy = sim.step(0.001).blocked["lidocaine"]
    # at rest: resting-state occupancy, Kd 440 uM (Bean, Cohen & Tsien 1983)
    assert quiet == pytest.approx(0.1 / (0.1 + 0.44), abs=0.01) and busy > quiet + 0.1
