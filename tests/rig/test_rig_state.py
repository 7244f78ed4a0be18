"""Rig: undo/redo, experiment-file state, the shared lock."""

from __future__ import annotations

import threading

import pytest

from vlab.protocols import load_protocol
from vlab.rig import ClampMode, Rig, RigError


def test_undo_redo_mode_and_holding():
    rig = Rig()
    events = []
    rig.subscribe(lambda k, d: events.append(k))
    rig.set_mode("VC")
    rig.set_holding(-0.080)
    assert rig.amplifier.mode == ClampMode.VC and rig.amplifier.holding_now == -0.080
    rig.undo()
    assert rig.amplifier.holding[ClampMode.VC] == -0.065
    rig.undo()
    assert rig.amplifier.mode == ClampMode.CC
    assert not rig.can_undo and rig.can_redo
    rig.redo()
    rig.redo()
    assert rig.amplifier.mode == ClampMode.VC and rig.amplifier.holding_now == -0.080
    assert events.count("history") == 4


def test_clear_history():
    rig = Rig()
    rig.set_mode("VC")
    rig.clear_history()
    assert not rig.can_undo and not rig.can_redo


def test_state_round_trip():
    rig = Rig("squid")
    rig.set_mode("VC")
    rig.set_holding(-0.07)
    rig.set_gain(5)
    rig.set_filter(2000.0)
    rig.set_parameter("K_out", "20 mM")
    rig.apply_drug("TTX", 1e-4)
    rig.set_protocol(load_protocol("vc_step_family"))
    state = rig.state_dict()
    other = Rig("mammalian")
    other.load_state(state)
    assert other.state_dict() == state
    assert other.cell.drugs["TTX"] == pytest.approx(1e-4)  # equilibrated on load
    assert other.protocol == rig.protocol
    other.undo()  # loading is one undo step
    assert other.cell.prep.name == "mammalian"


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.update(version=99),
        lambda s: s.update(preparation="octopus"),
        lambda s: s["amplifier"].update(gain=3),
        lambda s: s["amplifier"]["holding"].update(VC=5.0),
        lambda s: s["parameters"].update(K_out=-1.0),
        lambda s: s.update(drugs_applied={"TTX": -1.0}),
        lambda s: s.update(protocol_toml="not = [toml"),
    ],
)
def test_bad_state_changes_nothing(damage):
    rig = Rig()
    rig.set_protocol(load_protocol("single_pulse"))
    before = rig.state_dict()
    state = Rig().state_dict()
    damage(state)
    with pytest.raises(RigError):
        rig.load_state(state)
    assert rig.state_dict() == before


def test_mutators_take_the_lock():
    rig = Rig()
    got = threading.Event()
    done = threading.Event()

    def other():
        rig.set_mode("VC")
        done.set()

    with rig.lock:
        t = threading.Thread(target=other)
        t.start()
        got.set()
        assert not done.wait(0.2)  # blocked while we hold the lock
    t.join(5)
    assert done.is_set() and rig.amplifier.mode == ClampMode.VC


def test_equilibrated_drug_reaches_the_cell_at_once():
    rig = Rig()
    rig.apply_drug("TTX", 1e-4, equilibrated=True)
    assert rig.cell.drugs["TTX"] == pytest.approx(1e-4)
    rig.apply_drug("TEA", 1.0)
    assert "TEA" not in rig.cell.drugs
