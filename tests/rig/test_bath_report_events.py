"""The simulation reports the perfusion with every block; listeners hear only changes."""

from __future__ import annotations

from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator

TEA = 1e-3  # M (1 mM)


def _bath_events(rig: Rig) -> list:
    events: list = []
    rig.subscribe(lambda kind, detail: events.append(detail) if kind == "bath" else None)
    return events


def test_a_constant_bath_streamed_with_every_block_is_one_event():
    rig = Rig("squid")
    rig.apply_drug("TEA", TEA, equilibrated=True)  # at equilibrium: the perfusion is constant
    sim = RigSimulator(rig)
    events = _bath_events(rig)
    for _ in range(50):  # 50 blocks, each reported as the GUI does (MainWindow.on_blocks)
        block = sim.step(1e-3)
        assert block.bath is not None
        rig.report_bath(block.bath)
    assert len(events) <= 1
    assert rig.bath_report == block.bath  # every report is still taken


def test_a_perfusion_change_is_an_event():
    rig = Rig("squid")
    rig.apply_drug("TEA", TEA, equilibrated=True)
    sim = RigSimulator(rig)
    events = _bath_events(rig)
    rig.report_bath(sim.step(1e-3).bath)
    rig.report_bath(sim.step(1e-3).bath)
    before = len(events)
    rig.wash_drug("TEA")  # washing out: the concentration at the cell falls block by block
    sim.idle(1.0)
    rig.report_bath(sim.step(1e-3).bath)
    assert len(events) == before + 1
    sim.idle(1.0)
    rig.report_bath(sim.step(1e-3).bath)
    assert len(events) == before + 2
    assert events[-1].state["drugs"]["TEA"]["current"] < TEA
