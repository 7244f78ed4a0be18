"""The amplifier panel: the CC holding knob lives here, and readouts say when they were taken."""

from __future__ import annotations

import pytest

from vlab.gui.panels.amplifier import DIAL_DENSITY, DIAL_STEPS, AmplifierPanel
from vlab.rig import ClampMode


@pytest.fixture
def panel(qtbot, rig):
    p = AmplifierPanel(rig)
    qtbot.addWidget(p)
    return p


def test_the_knob_sets_the_cc_holding_current(panel, rig):
    panel.dial.setValue(DIAL_STEPS // 2)  # half a turn: 10 uA/cm2 of this cell
    want = 0.5 * DIAL_DENSITY * rig.cell.values["area"]
    assert rig.amplifier.holding[ClampMode.CC] == pytest.approx(want)
    assert panel.cc_holding.value() == pytest.approx(want * 1e9, abs=1e-3)  # the box follows
    rig.undo()
    assert panel.dial.value() == 0 and panel.cc_holding.value() == 0.0


def test_the_knob_is_not_part_of_the_stimulator(qtbot, rig):
    from PySide6.QtWidgets import QDial

    from vlab.gui.panels.stimulator import StimulatorPanel

    stim = StimulatorPanel(rig)
    qtbot.addWidget(stim)
    assert stim.findChildren(QDial) == []


def test_readouts_say_when_they_were_measured(panel):
    panel.set_readouts(-0.065, 0.0)
    assert "live" in panel.readout_source.text()
    panel.set_readouts(-0.065, 45.8e-9, sweep=16, n_sweeps=17)
    assert panel.im_readout.text() == "45.8 nA"
    assert "end of sweep 17 of 17" in panel.readout_source.text()
    assert "not the holding" in panel.readout_source.text()


def test_a_vc_family_leaves_the_readouts_marked_as_its_last_sweep(qtbot, rig):
    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol

    win = MainWindow(rig, start_worker=False)
    qtbot.addWidget(win)
    rig.set_protocol(load_protocol("vc_step_family"))
    win.run_protocol_now()
    n = rig.protocol.sweeps
    assert f"end of sweep {n} of {n}" in win.amplifier.readout_source.text()
    win.close()
