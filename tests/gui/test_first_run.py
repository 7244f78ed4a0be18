"""A first run that teaches itself: the welcome, Getting started, protocol titles."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from vlab.gui.welcome import WelcomeDialog, should_welcome
from vlab.settings import Settings


def test_the_welcome_shows_until_the_student_says_no(qtbot, tmp_path):
    s = Settings(tmp_path / "settings.json")
    assert should_welcome(s)
    dlg = WelcomeDialog(s)
    qtbot.addWidget(dlg)
    dlg.dont_show.setChecked(True)
    dlg.free_button.click()
    again = Settings(tmp_path / "settings.json")
    assert not should_welcome(again)


def test_closing_the_welcome_without_ticking_keeps_it(qtbot, tmp_path):
    s = Settings(tmp_path / "settings.json")
    dlg = WelcomeDialog(s)
    qtbot.addWidget(dlg)
    dlg.reject()
    assert should_welcome(Settings(tmp_path / "settings.json"))


def test_choosing_a_practical_opens_the_practical_tab(qtbot, idle_window):
    win = idle_window
    dlg = win.show_welcome()
    assert dlg.isVisible()
    with qtbot.waitSignal(dlg.destroyed, timeout=5000):  # closed (and deleted)
        dlg.practical_button.click()
    QApplication.processEvents()
    practical = win.docks["practical"]
    assert practical.isVisible() and not practical.visibleRegion().isEmpty()


def test_free_play_says_what_to_press(idle_window):
    win = idle_window
    win.show_welcome().free_button.click()
    assert "Space" in win.statusBar().currentMessage()


def test_getting_started_is_first_in_the_help_menu(idle_window):
    from PySide6.QtWidgets import QDialog, QMenu

    from vlab.gui.help import help_markdown

    menus = idle_window.menuBar().findChildren(QMenu)
    menu = next(m for m in menus if m.title() == "&Help")
    first = menu.actions()[0]
    assert first.text() == "Getting started"
    first.trigger()
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert any("Getting started" in w.windowTitle() for w in shown)
    text = help_markdown("getting_started")
    assert "Space" in text and "F5" in text and "CC holding" in text
    for w in shown:
        w.close()


def test_protocols_are_listed_by_title(idle_window):
    from vlab.protocols import builtin_protocols, load_protocol

    combo = idle_window.stimulator.protocol_combo
    shown = [combo.itemText(i) for i in range(1, combo.count())]
    titles = [load_protocol(k).name for k in builtin_protocols()]
    assert sorted(shown) == sorted(titles)
    assert "vc_step_family" not in shown and "Voltage-step family (I-V)" in shown
    i = combo.findText("Voltage-step family (I-V)")
    combo.setCurrentIndex(i)
    combo.activated.emit(i)
    assert idle_window.rig.protocol.name == "Voltage-step family (I-V)"
    assert combo.currentText() == "Voltage-step family (I-V)"


def test_the_status_bar_says_the_simulator_is_starting(qtbot, rig):
    """Until the first block arrives (the kernels may be compiling) the status bar says so."""
    from vlab.gui.main_window import MainWindow

    win = MainWindow(rig)  # the worker starts; its blocks reach us only through the event loop
    qtbot.addWidget(win)
    assert "starting the simulator" in win.speed_label.text()
    assert "waiting for the simulator" in win.amplifier.readout_source.text()
    win.show()
    qtbot.waitUntil(lambda: win._blocks_seen, timeout=60000)
    win._update_status_labels()
    assert "starting" not in win.speed_label.text()
    assert "live" in win.amplifier.readout_source.text()
    win.close()


def test_opening_a_practical_moves_the_e_lines_at_once(idle_window):
    """The practical puts the mammalian cell on the rig: the scope's E lines must show its
    reversal potentials straight away, not the squid's until the next data block."""
    win = idle_window
    squid_ek = win.scope.e_lines["K"].value()
    win.practical.open_practical("hyperkalaemia", "s1")
    assert win.rig.cell.prep.name == "mammalian"
    want = win.rig.cell.reversals()
    for ion, line in win.scope.e_lines.items():
        assert line.value() == pytest.approx(want[ion]), ion
    assert win.scope.e_lines["K"].value() != pytest.approx(squid_ek)


def test_the_resting_potential_is_found_when_the_solutions_tab_is_shown(idle_window):
    """Solving for the resting potential (scipy) is not part of the start-up: the hidden
    Solutions tab finds it when first shown."""
    from vlab.gui.panels.solutions import format_mv

    win = idle_window
    panel = win.side_panels["solutions"]
    QApplication.processEvents()
    assert panel.visibleRegion().isEmpty() and panel.rest_label.text() == "\u2026"
    win.docks["solutions"].raise_()
    panel.repaint()  # what showing the tab does on screen
    QApplication.processEvents()
    assert not panel.visibleRegion().isEmpty()
    assert panel.rest_label.text() == format_mv(win.rig.cell.rest().v)
