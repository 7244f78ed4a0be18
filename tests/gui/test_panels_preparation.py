"""Preparation chooser."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from vlab.gui.panels.preparation import PreparationPanel
from vlab.rig.rig import Rig
from vlab.sim.preparation import list_preparations, load_preparation

pytestmark = pytest.mark.gui


def test_lists_preparations_and_shows_sources(qtbot):
    rig = Rig("squid")
    w = PreparationPanel(rig)
    qtbot.addWidget(w)
    assert w.combo.count() == len(list_preparations())
    text = w.browser.toPlainText()
    prep = load_preparation("squid")
    assert prep.title in text
    assert "Hodgkin AL, Huxley AF (1952)" in text
    assert not w.use_button.isEnabled()  # already on the rig


def test_choose_and_use(qtbot):
    rig = Rig("squid")
    w = PreparationPanel(rig)
    qtbot.addWidget(w)
    w.select("mammalian")
    assert load_preparation("mammalian").title in w.browser.toPlainText()
    assert rig.cell.prep.name == "squid"  # preview only
    with qtbot.waitSignal(w.preparation_changed) as sig:
        qtbot.mouseClick(w.use_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["mammalian"]
    assert rig.cell.prep.name == "mammalian"
    rig.undo()
    assert w.selected() == "squid"
    assert "squid" in w.current_label.text().lower() or "Squid" in w.current_label.text()
