"""Ctrl+S saves the experiment (settings and recordings), not the protocol (issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QKeySequence

pytestmark = pytest.mark.gui


def test_ctrl_s_is_save_experiment(idle_window):
    win = idle_window
    ctrl_s = QKeySequence(QKeySequence.StandardKey.Save)
    owners = [a.text() for a in win.findChildren(QAction) if a.shortcut() == ctrl_s]
    assert len(owners) == 1 and owners[0].startswith("Save experiment"), owners
    protocol = [a for a in win.findChildren(QAction) if a.text() == "Save protocol"]
    assert protocol and protocol[0].shortcut() == QKeySequence("Ctrl+Alt+S")


def test_the_ctrl_s_action_saves_the_recording_to_the_file_chosen(
    qtbot, tmp_path, monkeypatch, idle_window
):
    import numpy as np
    from PySide6.QtWidgets import QFileDialog

    from vlab.recording import Sweep, load_session

    win = idle_window
    win.recording.append(Sweep(0, 1e-4, {"Vm": np.linspace(-0.07, 0.03, 50)}))
    asked: list[str] = []

    def choose(_parent, caption, *_a, **_k):
        asked.append(caption)
        return str(tmp_path / "lab"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    with qtbot.waitSignal(win.experiment_save_finished, timeout=20000) as blocker:
        (save,) = [a for a in win.findChildren(QAction) if a.shortcut() == QKeySequence.Save]
        save.trigger()  # what Ctrl+S does
    assert blocker.args == [True] and asked == ["Save experiment"]
    state, rec = load_session(tmp_path / "lab.vlab")
    assert state["preparation"] == win.rig.state_dict()["preparation"]
    assert np.array_equal(rec[0]["Vm"], np.linspace(-0.07, 0.03, 50))
    assert not list(tmp_path.glob("*.toml"))  # not the protocol
