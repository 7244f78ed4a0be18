"""Ctrl+S saves the experiment (settings and recordings), not the protocol (issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QKeySequence

pytestmark = pytest.mark.gui


def test_ctrl_s_is_save_experiment(qtbot):
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    ctrl_s = QKeySequence(QKeySequence.StandardKey.Save)
    owners = [a.text() for a in win.findChildren(QAction) if a.shortcut() == ctrl_s]
    assert len(owners) == 1 and owners[0].startswith("Save experiment"), owners
    protocol = [a for a in win.findChildren(QAction) if a.text() == "Save protocol"]
    assert protocol and protocol[0].shortcut() == QKeySequence("Ctrl+Alt+S")
    win.shutdown()
