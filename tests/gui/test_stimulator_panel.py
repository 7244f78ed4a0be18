"""The stimulator panel: bare numbers take the column's unit, trains are editable, and the
default manual pulse fires every single-membrane preparation."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QTableWidgetItem

from vlab.gui.panels.stimulator import DEFAULT_CC_PULSE, StimulatorPanel
from vlab.protocols import ProtocolError, load_protocol


@pytest.fixture
def panel(qtbot, rig):
    p = StimulatorPanel(rig)
    qtbot.addWidget(p)
    return p


def _edit(panel, row, col, text):
    panel.table.setItem(row, col, QTableWidgetItem(text))


def test_a_bare_number_takes_the_columns_unit(panel, rig):
    panel.load("single_pulse")  # CC: levels in uA/cm2
    _edit(panel, 1, 1, "2")  # duration of the pulse
    assert rig.protocol.epochs[1].duration == pytest.approx(2e-3)
    _edit(panel, 1, 2, "15")  # level
    level = rig.protocol.epochs[1].level
    assert level.dimension == "current_density" and level.value == pytest.approx(0.15)  # A/m2
    assert not panel.validation.text()


def test_bare_numbers_in_voltage_clamp_are_millivolts(panel, rig):
    panel.load("vc_step_family")
    _edit(panel, 1, 2, "-90")
    assert rig.protocol.epochs[1].level.value == pytest.approx(-0.090)
    _edit(panel, 1, 3, "5")  # the step increment
    assert rig.protocol.epochs[1].level_increment.value == pytest.approx(0.005)
    panel.holding_edit.setText("-70")
    panel.holding_edit.editingFinished.emit()
    assert rig.protocol.holding.value == pytest.approx(-0.070)
    panel.duration_edit.setText("50")
    panel.duration_edit.editingFinished.emit()
    assert rig.protocol.sweep_duration == pytest.approx(0.050)


def test_nonsense_is_still_refused(panel, rig):
    panel.load("single_pulse")
    before = rig.protocol
    _edit(panel, 1, 1, "five")
    assert panel.validation.text() and rig.protocol == before


def test_the_train_is_editable(panel, rig):
    panel.load("paired_pulse")
    row = panel.train_row()
    assert row is not None and not panel.train_box.isHidden()
    ep = rig.protocol.epochs[row]
    assert panel.train_pulses.value() == ep.pulses
    panel.train_pulses.setValue(3)  # 3 pulses 20 ms apart (last sweep) overrun the epoch
    assert rig.protocol.epochs[row].pulses == 2 and panel.train_pulses.value() == 2
    assert "3 pulses" in panel.validation.text()  # the protocol says why
    panel.train_pulses.setValue(1)
    assert rig.protocol.epochs[row].pulses == 1
    panel.train_width.setText("0.5")
    panel.train_width.editingFinished.emit()
    assert rig.protocol.epochs[row].pulse_width == pytest.approx(0.5e-3)
    panel.train_period.setText("4 ms")
    panel.train_period.editingFinished.emit()
    assert rig.protocol.epochs[row].period == pytest.approx(4e-3)
    rig.undo()
    assert panel.train_period.text() == "2 ms"  # the editor follows undo
    panel.load("single_pulse")
    assert panel.train_box.isHidden()


@pytest.mark.parametrize("preparation", ["squid", "mammalian"])
def test_the_default_manual_pulse_fires_the_cell(preparation):
    """1 ms of the default amplitude, from rest, gives an action potential (Vm above 0 mV)."""
    from vlab.sim.cell import Cell
    from vlab.sim.engine import run_protocol

    base = load_protocol("single_pulse")
    pulse = base.epochs[1].with_changes(level=_quantity(DEFAULT_CC_PULSE))
    protocol = base.with_changes(epochs=(base.epochs[0], pulse))
    result = run_protocol(Cell(preparation), protocol)
    assert np.max(result.data["Vm"]) > 0.0


def _quantity(text):
    from vlab.units import parse_quantity

    return parse_quantity(text, ("current", "current_density"))


@pytest.mark.parametrize(
    ("mode", "text", "limit"),
    [("CC", "50 mA/cm2", "10 mA/cm2"), ("CC", "5 mA", "1 mA"), ("VC", "2 V", "300 mV")],
)
def test_the_manual_pulse_has_the_protocol_limits(panel, rig, qtbot, mode, text, limit):
    """Issue 11: the manual stimulus amplitude had no limit."""
    from vlab.rig import ClampMode

    rig.set_mode(ClampMode.parse(mode))
    panel.amplitude_edit.setText(text)
    fired = []
    panel.stimulate_requested.connect(lambda a, d: fired.append(a))
    panel.stimulate()
    assert not fired and limit in panel.validation.text()
    panel.amplitude_edit.setText("-" + limit)  # the limit itself is allowed
    panel.stimulate()
    assert len(fired) == 1


def test_the_chooser_names_a_protocol_that_came_back_from_a_file(panel, rig):
    """A protocol restored from an experiment file (or a crash journal) keeps its text but not
    its file; the chooser said "(choose a protocol)" over the restored step family."""
    from vlab.protocols import protocol_to_toml

    rig.set_protocol(load_protocol("vc_step_family"))
    state = rig.state_dict()
    rig.load_state(state)  # what reopening an experiment does
    assert panel.protocol_combo.currentData() == "vc_step_family"

    state["protocol_toml"] = protocol_to_toml(load_protocol("vc_step_family")).replace(
        "Voltage-step family (I-V)", "My steps"
    )
    rig.load_state(state)
    assert panel.protocol_combo.currentIndex() == 0
    assert panel.protocol_combo.currentText() == "My steps (own protocol)"
    rig.set_protocol(None)
    assert panel.protocol_combo.currentText() == "(choose a protocol)"


def test_an_epoch_row_without_a_protocol_is_a_protocol_error(panel, rig):
    """Building an epoch with no protocol loaded is reported as the documented error
    (before: an AttributeError on None)."""
    panel.load("single_pulse")
    rig.set_protocol(None)
    with pytest.raises(ProtocolError, match="no protocol"):
        panel.epoch_from_row(0)
