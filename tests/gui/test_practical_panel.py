"""The practical panel: open a practical, answer correctly, see the step checked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt  # noqa: E402

from vlab.gui.panels.practical import PracticalPanel  # noqa: E402
from vlab.practicals import simulate_sweeps  # noqa: E402
from vlab.rig import Rig  # noqa: E402


@pytest.fixture
def panel(qtbot, tmp_path):
    rig = Rig()
    w = PracticalPanel(rig, data_root=tmp_path)
    w.resize(520, 820)
    qtbot.addWidget(w)
    return w


def test_answer_correctly_and_step_is_checked(panel, qtbot, tmp_path):
    panel.open_practical("nernst", "student-7")
    s = panel.session
    # opening the step configured the rig as it says
    assert panel.rig.cell.prep.name == "mammalian" and panel.rig.amplifier.mode.value == "I=0"
    assert panel.control_lock.is_locked("preparation") and "Locked" in panel.lock_label.text()
    assert not panel.step_list.item(0).data(Qt.UserRole)
    for qid in ("ek_default", "ena_default"):
        box = panel.question_boxes[qid]
        box.field.setText(f"{s.key(qid) * 1e3:.2f}")
        qtbot.mouseClick(box.button, Qt.LeftButton)
        assert box.feedback.text().startswith("\u2714")
    assert panel.step_list.item(0).data(Qt.UserRole)
    assert panel.step_list.item(0).text().startswith("\u2714")
    # a wrong answer shows feedback and does not check the next step
    panel.go_to(1)
    assert panel.rig.cell.values["K_out"] == pytest.approx(s.unknowns["K_out"])
    box = panel.question_boxes["ek_new"]
    box.field.setText("0")
    qtbot.mouseClick(box.button, Qt.LeftButton)
    assert box.feedback.text().startswith("\u2718") and "too high" in box.feedback.text()
    assert not panel.step_list.item(1).data(Qt.UserRole)
    panel.grab().save(str(tmp_path / "practical.png"))
    # reopening (a restart) restores progress
    again = PracticalPanel(Rig(), data_root=tmp_path)
    qtbot.addWidget(again)
    again.open_practical("nernst", "student-7")
    assert again.step_list.item(0).data(Qt.UserRole) and again.step_list.currentRow() == 1


def test_recording_question_and_report(panel, qtbot, tmp_path):
    panel.open_practical("threshold", "student-8")
    assert panel.rig.practical_tag == panel.session.recording_tag(0)
    sweeps = simulate_sweeps(panel.session.preset(0), tag=panel.rig.practical_tag)
    panel.recording_provider = lambda: sweeps
    for qid in ("fire", "fail"):
        qtbot.mouseClick(panel.question_boxes[qid].button, Qt.LeftButton)
        assert panel.question_boxes[qid].feedback.text().startswith("\u2714")
    assert panel.step_list.item(0).data(Qt.UserRole)
    choice = panel.session.practical.steps[1].questions[1]
    panel.go_to(1)
    box = panel.question_boxes[choice.id]
    next(b for b in box.group.buttons() if b.property("choice_key") == "same").setChecked(True)
    qtbot.mouseClick(box.button, Qt.LeftButton)
    assert box.feedback.text().startswith("\u2714")
    out = tmp_path / "r.html"
    panel.export_report_to(out)
    assert "<svg" in out.read_text(encoding="utf-8")
    pdf = tmp_path / "r.pdf"
    panel.export_report_to(pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000


def test_free_text_question_is_a_multiline_box_saved_for_the_instructor(panel, qtbot, tmp_path):
    from PySide6.QtWidgets import QPlainTextEdit

    panel.open_practical("passive_properties", "student-9")
    panel.go_to(2)
    box = panel.question_boxes["explain_same_c"]
    assert isinstance(box.text_box, QPlainTextEdit) and box.field is None
    assert box.button.text() == "Save answer"
    assert "0 of 1 written answer" in panel.score_label.text()
    box.text_box.setPlainText("The bilayer is the same.\nChannels differ.")
    qtbot.mouseClick(box.button, Qt.LeftButton)
    assert box.feedback.text().startswith("\u2714") and "instructor" in box.feedback.text()
    assert panel.session.progress.answers["explain_same_c"].endswith("Channels differ.")
    assert "1 of 1 written answer" in panel.score_label.text()
    again = PracticalPanel(Rig(), data_root=tmp_path)
    qtbot.addWidget(again)
    again.open_practical("passive_properties", "student-9")
    again.go_to(2)
    restored = again.question_boxes["explain_same_c"]
    assert restored.text_box.toPlainText().endswith("Channels differ.")
    assert restored.feedback.text().startswith("\u2714")
