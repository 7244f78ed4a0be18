"""Perfusion panel: apply/wash drugs, validation, live fraction blocked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from vlab.gui.panels.perfusion import PerfusionPanel
from vlab.rig.rig import Rig
from vlab.sim.drugs import get_drug, load_drugs

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot):
    w = PerfusionPanel(Rig("squid"))
    qtbot.addWidget(w)
    return w


def set_text(qtbot, field, text):
    field.edit.selectAll()
    qtbot.keyClick(field.edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field.edit, text)


def test_one_row_per_drug_with_tooltips(panel):
    assert set(panel.rows) == set(load_drugs())
    for name in ("TTX", "TEA", "pronase", "lidocaine", "4-AP"):
        row = panel.rows[name]
        assert row.drug.summary[:20] in row.title.toolTip()
        assert row.field.unit_label.text()
    assert "irreversible" in panel.rows["pronase"].tag.text()
    assert "use-dependent" in panel.rows["lidocaine"].tag.text()


def test_ttx_apply_then_fraction_approaches_hill(qtbot, panel):
    rig = panel.rig
    row = panel.rows["TTX"]
    set_text(qtbot, row.field, "100")  # nM
    qtbot.mouseClick(row.apply_button, Qt.MouseButton.LeftButton)
    assert rig.bath.applied()["TTX"] == pytest.approx(100e-6)
    assert panel.fraction("TTX") < 0.01  # nothing at the membrane yet
    hill = get_drug("TTX").fraction_blocked(100e-6)
    rig.bath.advance(5.0)
    panel.refresh()
    mid = panel.fraction("TTX")
    assert 0.1 < mid < hill
    rig.bath.advance(200.0)
    panel.refresh()
    assert panel.fraction("TTX") == pytest.approx(hill, rel=1e-3)
    assert row.bar.value() == round(1000 * hill)
    assert "steady" in row.state.text()


def test_wash_removes_drug(qtbot, panel):
    rig = panel.rig
    qtbot.mouseClick(panel.rows["TEA"].apply_button, Qt.MouseButton.LeftButton)
    rig.bath.advance(100.0)
    qtbot.mouseClick(panel.rows["TEA"].wash_button, Qt.MouseButton.LeftButton)
    assert "TEA" not in rig.bath.applied()
    assert "washing out" in panel.rows["TEA"].state.text()
    rig.bath.advance(1000.0)
    panel.refresh()
    assert panel.fraction("TEA") < 1e-3


@pytest.mark.parametrize("text", ["-1", "0", "abc", "20000"])
def test_impossible_concentration_refused(qtbot, panel, text):
    rig = panel.rig
    row = panel.rows["TTX"]
    set_text(qtbot, row.field, text)
    qtbot.mouseClick(row.apply_button, Qt.MouseButton.LeftButton)
    assert row.field.error_label.text()
    assert row.field.error_label.isVisibleTo(panel)
    assert rig.bath.applied() == {}
    assert not rig.can_undo


def test_pronase_is_irreversible(qtbot, panel):
    rig = panel.rig
    qtbot.mouseClick(panel.rows["pronase"].apply_button, Qt.MouseButton.LeftButton)
    rig.bath.advance(300.0)
    panel.refresh()
    removed = panel.fraction("pronase")
    assert removed > 0.5
    qtbot.mouseClick(panel.rows["pronase"].wash_button, Qt.MouseButton.LeftButton)
    rig.bath.advance(1000.0)
    panel.refresh()
    assert panel.fraction("pronase") >= removed
    assert "does not come back" in panel.status_label.text()


def test_undo_of_drug_refreshes(qtbot, panel):
    qtbot.mouseClick(panel.rows["TTX"].apply_button, Qt.MouseButton.LeftButton)
    assert panel.rows["TTX"].wash_button.isEnabled()
    panel.rig.undo()
    assert panel.rows["TTX"].state.text() == "not applied"


def test_live_block_from_simulator_block(panel):
    class FakeBlock:
        blocked = {"lidocaine": 0.4}

    panel.rig.apply_drug("lidocaine", 100e-3)
    panel.rig.bath.advance(100.0)
    panel.update_block(FakeBlock())
    panel.refresh()
    assert panel.fraction("lidocaine") == pytest.approx(0.4)


def test_mystery_practical_hides_the_drug_in_the_bath(qtbot):
    from vlab.rig import Rig

    rig = Rig("squid")
    rig.apply_drug("TEA", 10.0, equilibrated=True)
    panel = PerfusionPanel(rig)
    qtbot.addWidget(panel)
    panel.refresh()
    assert "TEA" in rig.bath.applied() and "at cell" in panel.rows["TEA"].state.text()
    rig.set_locked({"drugs", "drug_names"})
    panel.refresh()
    texts = [row.state.text() for row in panel.rows.values()]
    assert all(t == "hidden" for t in texts)
    assert not any(row.wash_button.isEnabled() for row in panel.rows.values())


def test_rows_say_where_a_drug_acts_on_this_preparation(qtbot):
    """TEA reaches the squid delayed rectifier by internal perfusion (Armstrong 1966);
    pronase has no route on the cortical cell."""
    from vlab.gui.panels.perfusion import PerfusionPanel
    from vlab.rig import Rig

    rig = Rig("squid")
    panel = PerfusionPanel(rig)
    qtbot.addWidget(panel)
    panel.refresh()
    assert "from inside" in panel.rows["TEA"].tag.text()
    assert "from inside" not in panel.rows["TTX"].tag.text()
    rig.set_preparation("mammalian")
    panel.refresh()
    assert "no action" in panel.rows["pronase"].tag.text()
    assert "from inside" not in panel.rows["TEA"].tag.text()
