"""Every menu entry that opens a dialog or a window really opens it.

The panels and dialogs are imported plainly by ``vlab.gui.main_window``; these tests trigger
the menu actions themselves, so a renamed function or a broken dialog fails here instead of
making a menu entry silently do nothing.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

pytestmark = pytest.mark.gui


@pytest.fixture
def win(idle_window):
    """The idle rig window after one sweep (closing it closes the windows a test opened)."""
    from vlab.protocols import load_protocol

    idle_window.run_protocol_now(load_protocol("single_pulse"))
    assert len(idle_window.kept_sweeps()) == 1
    return idle_window


@pytest.fixture
def file_dialogs(monkeypatch):
    """Every file dialog is recorded by its title and cancelled."""
    titles: list[str] = []

    def cancel(_parent, title, *_a, **_k):
        titles.append(title)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancel)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", cancel)
    for name in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(
            QMessageBox, name, lambda *a, **k: pytest.fail(f"unexpected message box {a[1:3]}")
        )
    return titles


def _action(win, menu_title: str, text: str):
    for menu_action in win.menuBar().actions():
        if menu_action.text().replace("&", "") == menu_title:
            for act in menu_action.menu().actions():
                if act.text() == text:
                    return act
    raise AssertionError(f"no {menu_title} ▸ {text} in the menus")


FILE_ENTRIES = {  # menu entry -> the title of the file dialog it opens
    "Open protocol…": "Open protocol",
    "Save protocol": "Save protocol",
    "Open experiment…": "Open experiment",
    "Save experiment…": "Save experiment",
    "Export scope image…": "Save plot as image",
}


def test_file_menu_entries_open_their_file_dialog(win, file_dialogs):
    for text, title in FILE_ENTRIES.items():
        file_dialogs.clear()
        _action(win, "File", text).trigger()
        assert len(file_dialogs) == 1 and file_dialogs[0].startswith(title), (text, file_dialogs)


def test_export_sweeps_opens_the_export_dialog_on_the_recording(win, file_dialogs):
    from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog

    _action(win, "File", "Export sweeps…").trigger()
    dialogs = [w for w in win.findChildren(ExportSweepsDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.sweeps == list(win.recording) and dialog.chosen_positions() == [0]
    dialog.browse_button.click()
    assert file_dialogs == ["Export sweeps"]
    dialog.close()


def test_analysis_and_axon_bench_open_windows(win, qtbot):
    from vlab.gui.analysis_windows import AnalysisWindow
    from vlab.gui.axon_view import AxonWindow

    _action(win, "Analysis", "Analyse sweeps…").trigger()
    _action(win, "View", "Axon bench (propagation)…").trigger()
    kinds = [type(w) for w in win.extra_windows()]
    assert AnalysisWindow in kinds and AxonWindow in kinds
    assert all(w.isVisible() for w in win.extra_windows())


def test_help_menu_opens_about_and_help(win, monkeypatch):
    from vlab.gui import about, help

    shown = []
    monkeypatch.setattr(about.AboutDialog, "exec", lambda self: shown.append(type(self)))
    win.about()
    assert shown == [about.AboutDialog]
    dlg = win.show_help("amplifier")
    assert isinstance(dlg, help.HelpDialog) and dlg.isVisible()
    assert dlg.browser.toPlainText().strip()
    dlg.close()
