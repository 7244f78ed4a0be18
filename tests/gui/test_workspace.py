"""The analysis workspace: one live window fed by the recording, runs labelled by their
conditions, pins saved in the .vlab, and the drug subtraction a few clicks from the
perfusion panel (issue 10, item 2).

Clicks are real mouse clicks on the real buttons, counted. The runs themselves are fed to
the window by a simulator on the test's thread, as the worker would (no waiting).
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator

pytestmark = pytest.mark.gui


@pytest.fixture
def win(idle_window):
    return idle_window


class Clicks:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, button) -> None:
        assert button.isEnabled(), button.text()
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        self.n += 1


def _run_requested(win) -> None:
    """Deliver the run the window asked the worker for (as the worker does)."""
    assert win.protocol_running
    sim = RigSimulator(win.rig)
    sim.start_episode(win.rig.protocol)
    while sim.episodic:
        b = sim.step(0.01)
        if b is not None:
            win.on_blocks([b])
    win._on_episode_finished()


def test_separating_ina_and_ik_takes_a_few_clicks(win, tmp_path, open_experiment, save_experiment):
    perf = win.side_panels["perfusion"]
    click = Clicks()
    click(perf.record_control_button)
    _run_requested(win)
    click(perf.rows["TTX"].apply_button)  # its default concentration
    waiting = RigSimulator(win.rig)  # the drug washes in while the student waits:
    waiting.idle(300.0)  # five minutes of the simulation's perfusion
    win.rig.report_bath(waiting.bath_report())  # as the worker reports it
    click(perf.record_drug_button)
    _run_requested(win)
    click(perf.show_difference_button)
    assert click.n <= 10 and click.n == 4
    a = win.analysis
    assert a is not None and a.isVisible() and a.tabs.currentIndex() == a.TABS.index("compare")
    # runs are labelled by their condition and numbered through the recording
    assert [r.condition for r in a.runs][0] == "control"
    assert a.runs[1].condition.startswith("TTX ")
    assert a.runs[1].first == a.runs[0].first + len(a.runs[0].sweeps) == 18
    # physics: TTX removes the inward Na+ current; what it removed reverses at E_Na
    c = a.compare_result["control"]["peak_inward"]
    d = a.compare_result["drug"]["peak_inward"]
    assert c < 0 and abs(d) < 0.1 * abs(c)
    e_na = win.recording[0].provenance["reversal_mV"]["Na"] * 1e-3
    assert a.compare_result["difference"]["iv"].reversal.e_rev == pytest.approx(e_na, abs=3e-3)
    # ... and what is left with TTX is the outward K+ current (positive at +60 mV)
    iv_drug = a.compare_result["drug"]["iv"]
    assert iv_drug.steady[int(np.argmax(iv_drug.v))] > 0
    # the pinned runs are kept (the memory budget never drops them) and saved with the pins
    assert all(s.kept for s in a.control + a.drug)
    path = tmp_path / "exp.vlab"
    assert save_experiment(win, path)
    from vlab.gui.main_window import MainWindow

    other = MainWindow(Rig("squid"), start_worker=False)
    try:
        assert open_experiment(other, path)
        other.open_analysis()
        b = other.analysis
        assert len(b.control) == 17 and len(b.drug) == 17
        assert b.compare_result["difference"]["iv"].reversal.e_rev == pytest.approx(e_na, abs=3e-3)
    finally:
        other.shutdown()
        other.close()


def test_workspace_is_live_and_ticks_whole_runs(win):
    from vlab.protocols import load_protocol

    win.open_analysis()
    a = win.analysis
    assert a.sweeps == []
    win.rig.set_protocol(load_protocol("vc_step_family"))
    win.run_protocol()
    _run_requested(win)
    win._refresh_analysis()
    assert len(a.sweeps) == 17 and len(a.ticked_sweeps()) == 17 and a.iv is not None
    win.rig.apply_drug("TEA", 10.0, equilibrated=True)
    win.run_protocol()
    _run_requested(win)
    win._refresh_analysis()
    # following the newest run: only it is ticked (mixing runs makes a zig-zag I–V)
    assert a.ticked_sweeps() == a.runs[-1].sweeps
    assert a.runs[-1].condition.startswith("TEA")
    # ticking a condition ticks all of its runs (bulk selection)
    cond = a.sweep_tree.topLevelItem(0)
    assert cond.text(0) == "control"
    cond.setCheckState(0, Qt.CheckState.Checked)
    assert {id(s) for s in a.runs[0].sweeps} <= {id(s) for s in a.ticked_sweeps()}
    assert not a.follow_box.isChecked()  # the student's ticks are kept from now on
