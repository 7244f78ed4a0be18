"""The practical panel when progress cannot be saved or was damaged (issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from vlab.gui.panels.practical import PracticalPanel
from vlab.practicals.progress import progress_path
from vlab.rig import Rig

pytestmark = pytest.mark.gui


def test_unwritable_progress_folder_keeps_the_practical_working(qtbot, tmp_path):
    """Before: presets and locks not applied, every step click raised, a right answer showed ✘."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    panel = PracticalPanel(Rig(), data_root=blocker)
    qtbot.addWidget(panel)
    panel.open_practical("nernst", "student-7")
    assert panel.rig.cell.prep.name == "mammalian" and panel.rig.amplifier.mode.value == "I=0"
    assert panel.control_lock.is_locked("preparation")
    assert not panel.save_label.isHidden() and "not being saved" in panel.save_label.text()
    box = panel.question_boxes["ek_default"]
    box.field.setText(f"{panel.session.key('ek_default') * 1e3:.2f}")
    qtbot.mouseClick(box.button, Qt.LeftButton)
    assert box.feedback.text().startswith("\u2714")
    panel.go_to(1)
    assert panel.step_list.currentRow() == 1


def test_damaged_progress_is_reported_to_the_student(qtbot, tmp_path):
    path = progress_path("nernst", "student-7", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"version": 1, "step": ')
    panel = PracticalPanel(Rig(), data_root=tmp_path)
    qtbot.addWidget(panel)
    panel.open_practical("nernst", "student-7")
    boxes = [b for b in panel.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "damaged" in boxes[0].text() and "kept as" in boxes[0].text()
    assert panel.save_label.isHidden()
    for b in boxes:
        b.close()
