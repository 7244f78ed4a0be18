"""Every readout live or clearly marked, and no silent no-ops (issue 10, items 3 and 4).

Each test drives one change through the real window (no worker thread: a simulator on the
test's thread feeds it, as the worker would) and checks the readout that must follow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.protocols import load_protocol
from vlab.rig.simulator import RigSimulator

pytestmark = pytest.mark.gui


@pytest.fixture
def win(idle_window):
    return idle_window


def _feed(win, protocol, chunk: float = 0.004) -> None:
    """Run ``protocol`` in small chunks, drawing after each, as the worker and timer do."""
    sim = RigSimulator(win.rig)
    win.scope.begin_episode(protocol.sweep_duration)
    sim.start_episode(protocol)
    while sim.episodic:
        b = sim.step(chunk)
        if b is not None:
            win.on_blocks([b])
            win.scope.redraw()


def test_cursor_table_after_a_run_measures_every_whole_sweep(win):
    p = load_protocol("vc_step_family")
    _feed(win, p)  # a new run puts the cursors at 20 % and 80 % of the sweep
    x1, x2 = win.scope.cursor_positions()
    assert 5e-3 < x1 < x2 < 25e-3  # inside the step
    table = win.scope.table
    assert table.rowCount() == 2 * p.sweeps  # Vm and Im of every sweep shown
    rows = win.scope.measurements_all()
    assert [r["name"] for r in rows] == [f"sweep {k}" for k in range(p.sweeps, 0, -1)]
    for row, sweep in zip(rows, reversed(list(win.recording)), strict=True):
        t = sweep.time()
        sel = (t >= x1) & (t <= x2)
        im = np.asarray(sweep["Im"], dtype=float)[sel]
        expected = im[np.argmax(np.abs(im))]
        assert row["Im"]["peak"] == pytest.approx(expected, rel=1e-5, abs=1e-15)
        # the clamp holds Vm at the step: the mean between the cursors is the command
        step = float(np.median(np.asarray(sweep["command"])[sel]))
        assert row["Vm"]["mean"] == pytest.approx(step, abs=1e-3)
    # what the table shows is the newest whole sweep, not a partial one
    assert table.item(0, 0).text() == f"sweep {p.sweeps} Vm"
    assert table.item(1, 3).text() != "—"


def test_the_cursor_table_keeps_finished_sweeps_rows_until_the_cursors_move(win, monkeypatch):
    """A Repeat run completes a sweep at every frame, and measuring every sweep of the
    family again each time was a third of the scope's frame (bench/bench_soak.py): a
    finished sweep is measured once per cursor position, and moving a cursor measures
    every sweep at the new position."""
    import vlab.gui.scope as scope_module

    p = load_protocol("vc_step_family").with_changes(sweeps=4)
    _feed(win, p)
    scope = win.scope
    measured = []
    real = scope_module.between_cursors_each
    monkeypatch.setattr(
        scope_module,
        "between_cursors_each",
        lambda *a, **k: (measured.append(1), real(*a, **k))[1],
    )
    scope.update_measurements()
    assert measured == []  # nothing new: the rows are the ones already measured
    x1, x2 = scope.cursor_positions()
    x1 = 0.5 * x1  # before the step: the holding potential
    scope.set_cursors(x1, x2)
    assert len(measured) >= p.sweeps
    rows = scope.measurements_all()
    for row, sweep in zip(rows, reversed(list(win.recording)), strict=True):
        t = sweep.time()
        sel = (t >= x1) & (t <= x2)
        im = np.asarray(sweep["Im"], dtype=float)[sel]
        assert row["Im"]["peak"] == pytest.approx(im[np.argmax(np.abs(im))], rel=1e-5, abs=1e-15)
        assert row["Im"]["mean"] == pytest.approx(float(im.mean()), rel=1e-5, abs=1e-15)
    assert {scope.table.item(2 * k + 1, 4).text() for k in range(p.sweeps)} == {
        scope_module.format_si(r["Im"]["mean"], "A") for r in rows
    }


def test_e_lines_follow_a_change_its_undo_and_a_preparation_switch(win):
    rig = win.rig
    line = win.scope.e_lines["K"]
    win._sync_reversals()
    e0 = line.value()
    rig.set_parameter("K_out", "100 mM")  # more K+ outside: E_K depolarises
    assert line.value() > e0 + 0.02
    assert line.value() == pytest.approx(rig.cell.reversals()["K"])
    rig.undo()
    assert line.value() == pytest.approx(e0)
    rig.set_preparation("mammalian")
    assert line.value() == pytest.approx(rig.cell.reversals()["K"])
    assert line.value() != pytest.approx(e0)


def test_block_bar_follows_the_drug_at_the_cell_not_an_old_block(win):
    from types import SimpleNamespace

    panel = win.side_panels["perfusion"]
    rig = win.rig
    rig.apply_drug("lidocaine", 1e-3, equilibrated=True)
    panel.update_block(SimpleNamespace(blocked={"lidocaine": 0.96}))
    panel.refresh()
    assert panel.rows["lidocaine"].bar.value() == 960  # live while blocks arrive
    rig.wash_drug("lidocaine")
    washing = RigSimulator(rig)
    washing.idle(600.0)  # ten minutes of washing, no blocks (simulation idle) ...
    rig.report_bath(washing.bath_report())  # ... reported as the worker's status does
    c = rig.bath.concentrations().get("lidocaine", 0.0)
    assert c < 1e-9  # practically gone from the cell
    panel.refresh()
    # no drug at the cell blocks nothing (to the bar's resolution, 0.1 %)
    assert panel.rows["lidocaine"].bar.value() <= 1


def test_stimulate_in_episodic_switches_to_gap_free_and_says_so(win):
    pulses = []
    win.host.stimulate.connect(lambda a, d: pulses.append((a, d)))
    win.choose_acquisition("episodic")
    assert win.acquisition == "episodic" and win.acquisition_actions["episodic"].isChecked()
    win.stimulate_action.trigger()  # Space
    assert len(pulses) == 1
    assert win.acquisition == "gap-free"
    assert win.stimulator.acquisition_combo.currentData() == "gap-free"
    assert win.acquisition_actions["gap-free"].isChecked()
    assert "gap-free" in win.statusBar().currentMessage()
    win.protocol_running = True  # while a protocol runs: say what to do, send nothing
    win.stimulate_action.trigger()
    assert len(pulses) == 1 and "Stop" in win.statusBar().currentMessage()


def test_discard_all_sweeps_asks_and_can_be_restored(win):
    win.run_protocol_now(load_protocol("threshold_search"))
    n = len(win.recording)
    assert n == 12
    win.ask_discard = lambda k: False
    assert not win.discard_sweeps() and len(win.recording) == n
    win.ask_discard = lambda k: k == n
    assert win.discard_sweeps() and len(win.recording) == 0
    assert win.restore_action.isEnabled()
    win.restore_discarded()
    assert len(win.recording) == n and not win.restore_action.isEnabled()
    assert not math.isnan(win.budget.used) and win.budget.used > 0
