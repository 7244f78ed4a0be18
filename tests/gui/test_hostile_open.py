"""Hostile files opened from the rig window: a dialog with one line, and nothing changes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
import hostile  # noqa: E402

pytestmark = pytest.mark.gui

BUILDERS = [
    hostile.encrypted_session,
    hostile.deflate64_session,
    hostile.deep_json_session,
    hostile.lying_header_session,
    hostile.zip_bomb_session,
]
#: Damaged settings beside intact sweeps: the sweeps open, the rig keeps its settings.
SETTINGS_ONLY = [hostile.wrong_types_session, hostile.long_name_session]


def test_hostile_experiments_give_a_dialog_and_change_nothing(
    qtbot, tmp_path, monkeypatch, idle_window, open_experiment
):
    import vlab.gui.dialogs.export as export_dialogs

    shown = []
    monkeypatch.setattr(export_dialogs, "show_error", lambda _p, _t, exc: shown.append(str(exc)))
    before = idle_window.rig.state_dict()
    for k, builder in enumerate(BUILDERS):
        folder = tmp_path / str(k)
        folder.mkdir()
        idle_window.last_error = None
        assert not open_experiment(idle_window, builder(folder)), builder.__name__
        message = shown.pop() if shown else idle_window.last_error
        assert message and "\n" not in message, builder.__name__
        assert idle_window.rig.state_dict() == before
        assert len(idle_window.recording) == 0
    for box in idle_window.findChildren(QMessageBox):
        box.close()


def test_rejected_settings_keep_the_sweeps(qtbot, tmp_path, idle_window, open_experiment):
    before = idle_window.rig.state_dict()
    for k, builder in enumerate(SETTINGS_ONLY):
        folder = tmp_path / str(k)
        folder.mkdir()
        assert open_experiment(idle_window, builder(folder)), builder.__name__
        assert idle_window.rig.state_dict() == before
        assert len(idle_window.recording) == 3  # good_session's sweeps
        assert "3 sweeps opened" in idle_window.last_error and "\n" not in idle_window.last_error
    for box in idle_window.findChildren(QMessageBox):
        box.close()


def test_hostile_protocol_gives_a_dialog(qtbot, tmp_path, monkeypatch, idle_window):
    path = hostile.nested_toml(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: warnings.append(text))
    before = idle_window.rig.protocol
    idle_window.stimulator.open_file()
    assert warnings and "nested" in warnings[0] and "\n" not in warnings[0]
    assert idle_window.rig.protocol is before
