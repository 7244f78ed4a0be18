"""The simulation reads frozen settings snapshots and never sees an edit half made.

The simulator is stepped from inside a rig listener, i.e. in the middle of a multi-field
edit, exactly where a worker tick could fall. It must see the settings from before the
edit or after it, never a mixture (with a worker that reads the shared rig under its
re-entrant lock it saw the mixture).
"""

from __future__ import annotations

import dataclasses
import math
import threading

import pytest

from vlab.practicals.model import Preset
from vlab.practicals.rigsetup import apply_preset
from vlab.rig import ClampMode, Rig
from vlab.rig.simulator import RigSimulator
from vlab.sim.cell import Cell

TTX = 1e-6  # mol/m^3 (1 uM)


def _what_the_simulation_uses(block) -> tuple:
    return (block.mode, round(block.reversal["K"], 9), round(block.reversal["Na"], 9))


def _tick_at_every_event(rig: Rig, sim: RigSimulator, seen: list) -> None:
    """A worker tick between any two steps of an edit (inside the edit's lock)."""

    def tick(kind, _detail):
        if kind != "bath":
            seen.append(_what_the_simulation_uses(sim.step(1e-3)))

    rig.subscribe(tick)


def _expected(prep: str, mode: ClampMode, **params) -> tuple:
    cell = Cell(prep)
    for k, v in params.items():
        cell.set(k, v)
    rev = cell.reversals()
    return (mode, round(rev["K"], 9), round(rev["Na"], 9))


def test_a_practical_preset_reaches_the_simulation_whole():
    rig = Rig("squid")
    sim = RigSimulator(rig)
    before = _expected("squid", ClampMode.CC)
    after = _expected("mammalian", ClampMode.VC, K_out="20 mM", Na_out="100 mM")
    seen: list = []
    _tick_at_every_event(rig, sim, seen)
    preset = Preset(
        preparation="mammalian",
        mode="VC",
        holding="-70 mV",
        parameters=(("K_out", "20 mM"), ("Na_out", "100 mM")),
        drugs=(("TTX", "1 uM"),),
    )
    apply_preset(rig, preset)
    seen.append(_what_the_simulation_uses(sim.step(1e-3)))  # the next tick
    assert len(seen) > 5  # the edit made many events, each with a tick inside it
    assert set(seen[:-1]) == {before}, "a tick inside the edit saw part of it"
    assert seen[-1] == after


def test_several_parameters_are_one_snapshot_and_one_undo_step():
    rig = Rig("squid")
    sim = RigSimulator(rig)
    seen: list = []
    _tick_at_every_event(rig, sim, seen)
    version = rig.settings.version
    rig.set_parameters({"K_out": "50 mM", "K_in": "200 mM"})
    assert rig.settings.version == version + 1
    assert set(seen) == {_expected("squid", ClampMode.CC)}
    new = _expected("squid", ClampMode.CC, K_out="50 mM", K_in="200 mM")
    assert _what_the_simulation_uses(sim.step(1e-3)) == new
    # E_K = RT/F ln(50/200) at the squid's 6.3 C (CODATA constants)
    r, f = 8.314462618, 96485.33212
    assert new[1] == pytest.approx(r * (273.15 + 6.3) / f * math.log(50 / 200), abs=1e-6)
    rig.undo()
    assert _what_the_simulation_uses(sim.step(1e-3)) == _expected("squid", ClampMode.CC)


def test_a_refused_field_changes_nothing():
    rig = Rig("squid")
    version = rig.settings.version
    with pytest.raises(ValueError, match="K_in"):
        rig.set_parameters({"K_out": "50 mM", "K_in": "-3 mM"})
    assert rig.settings.version == version and not rig.can_undo


def test_a_snapshot_never_changes_after_it_is_published():
    rig = Rig("squid")
    snap = rig.settings
    k_out = snap.cell.values["K_out"]
    rig.set_parameter("K_out", "50 mM")
    rig.set_mode("VC")
    rig.set_holding(-0.03)
    assert snap.cell.values["K_out"] == k_out
    assert snap.amplifier.mode is ClampMode.CC
    assert rig.settings.amplifier.holding[ClampMode.VC] == pytest.approx(-0.03)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.protocol = None  # type: ignore[misc]


def test_a_snapshot_holds_settings_only_never_the_simulated_perfusion():
    """Drug concentrations at the membrane, binding and pronase damage are state the
    simulation advances: the snapshot's cell has none, even when the rig shows some."""
    rig = Rig("squid")
    rig.apply_drug("TTX", TTX, equilibrated=True)
    assert rig.cell.drugs == {"TTX": TTX}  # what the panels show
    cell = rig.settings.cell
    assert (cell.drugs, cell.drug_sides, cell.occupancy, cell.pronase_removed) == ({}, {}, {}, 0.0)
    assert [d.name for d in rig.settings.drugs] == ["TTX"]  # the target is a setting


class _NoEntry:
    """A lock the simulation must not take (it would wait for the GUI thread)."""

    def __init__(self) -> None:
        self.taken_by: list[str] = []

    def __enter__(self):
        self.taken_by.append(threading.current_thread().name)
        return self

    def __exit__(self, *exc) -> None:
        pass

    acquire = __enter__

    def release(self) -> None:
        pass


def test_the_simulation_never_takes_the_rigs_lock():
    rig = Rig("squid")
    rig.apply_drug("TTX", TTX)
    sim = RigSimulator(rig)
    rig.lock = _NoEntry()  # type: ignore[assignment]
    sim.step(0.01)
    sim.idle(0.5)
    sim.stimulate(1e-9, 1e-3)
    sim.start_episode(rig.protocol or _any_protocol())
    sim.step(0.01)
    assert rig.lock.taken_by == []


def _any_protocol():
    from vlab.protocols import load_protocol

    return load_protocol("single_pulse")


def test_the_perfusion_advances_in_the_simulation_and_comes_back_as_a_report():
    rig = Rig("squid")
    rig.apply_drug("TTX", TTX)
    sim = RigSimulator(rig)
    block = None
    for _ in range(20):  # 20 s of simulated perfusion
        sim.idle(0.95)
        block = sim.step(0.05)
    assert block is not None and block.bath is not None
    assert rig.bath.concentrations().get("TTX", 0.0) == 0.0  # the rig only shows reports
    rig.report_bath(block.bath)
    # first-order exchange, tau = V/Q = 2 ml / (6 ml/min) = 20 s (squid.toml)
    expected = TTX * (1 - math.exp(-20.0 / 20.0))
    assert rig.bath.concentrations()["TTX"] == pytest.approx(expected, rel=1e-6)
    assert rig.cell.drugs["TTX"] == pytest.approx(expected, rel=1e-6)
    assert rig.bath.applied() == {"TTX": TTX}  # the target stays the student's


def test_a_new_simulation_resumes_the_perfusion_from_the_newest_report():
    rig = Rig("squid")
    rig.apply_drug("TTX", TTX)
    first = RigSimulator(rig)
    first.idle(20.0)
    rig.report_bath(first.bath_report())
    second = RigSimulator(rig)  # e.g. the worker started again
    expected = TTX * (1 - math.exp(-20.0 / 20.0))  # tau 20 s (squid.toml)
    assert second.bath_report().state["drugs"]["TTX"]["current"] == pytest.approx(expected)


def test_a_report_from_before_the_bath_was_set_is_ignored():
    rig = Rig("squid")
    rig.apply_drug("TTX", TTX)
    sim = RigSimulator(rig)
    sim.idle(5.0)
    old = sim.bath_report()
    rig.apply_drug("TTX", 2 * TTX, equilibrated=True)  # the rig sets the state itself
    rig.report_bath(old)
    assert rig.bath.concentrations()["TTX"] == pytest.approx(2 * TTX)
    sim.step(1e-3)  # the simulation takes the set state over
    assert sim.bath_report().state["drugs"]["TTX"]["current"] == pytest.approx(2 * TTX)


def test_events_reach_listeners_after_the_snapshot_of_a_single_change():
    rig = Rig("squid")
    versions = []
    rig.subscribe(lambda kind, _d: versions.append(rig.settings.version))
    v0 = rig.settings.version
    rig.set_gain(5)
    rig.set_gain(10)
    assert rig.settings.version == v0 + 2
    assert rig.settings.amplifier.gain == 10
    # listeners run inside the change: the snapshot follows when the change is whole
    assert versions == [v0, v0 + 1]
