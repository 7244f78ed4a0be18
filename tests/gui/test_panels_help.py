"""F1 help pages and translations."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from vlab.gui import help as vhelp
from vlab.gui.i18n import available_languages, install_translator

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("topic", list(vhelp.TOPICS))
def test_every_topic_opens_non_empty_page(qtbot, topic):
    dlg = vhelp.show_help(topic, None)
    qtbot.addWidget(dlg)
    assert dlg.isVisible()
    text = dlg.text()
    assert len(text) > 300
    assert "not available" not in text


def test_unknown_topic_is_explained(qtbot):
    dlg = vhelp.show_help("nonsense", None)
    qtbot.addWidget(dlg)
    assert "not available" in dlg.text()


def test_f1_on_panel_opens_its_help(qtbot, monkeypatch):
    from vlab.gui.panels.perfusion import PerfusionPanel
    from vlab.rig.rig import Rig

    opened = []
    monkeypatch.setattr(vhelp, "show_help", lambda topic, parent=None: opened.append(topic))
    w = PerfusionPanel(Rig("squid"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.rows["TTX"].field.edit.setFocus()
    QApplication.processEvents()
    qtbot.keyClick(w.rows["TTX"].field.edit, Qt.Key.Key_F1)
    assert opened == ["perfusion"]


def test_f1_not_ambiguous_when_wrapped(qtbot, monkeypatch):
    """The main window may install F1 again on a scroll area around a panel."""
    from PySide6.QtWidgets import QScrollArea

    from vlab.gui.panels.solutions import SolutionsPanel
    from vlab.rig.rig import Rig

    opened = []
    monkeypatch.setattr(vhelp, "show_help", lambda topic, parent=None: opened.append(topic))
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    panel = SolutionsPanel(Rig("squid"))
    scroll.setWidget(panel)
    vhelp.install_help_shortcut(scroll, "solutions")
    scroll.show()
    qtbot.waitExposed(scroll)
    edit = panel.fields["K_out"].edit
    edit.setFocus()
    QApplication.processEvents()
    qtbot.keyClick(edit, Qt.Key.Key_F1)
    assert opened == ["solutions"]


def test_help_links_between_pages(qtbot):
    from PySide6.QtCore import QUrl

    dlg = vhelp.show_help("amplifier", None)
    qtbot.addWidget(dlg)
    dlg._on_link(QUrl("scope.md"))
    assert dlg.topic == "scope"


def test_english_needs_no_translator(qapp):
    assert install_translator(qapp, "en_GB") is None
    assert install_translator(qapp, "xx_YY") is None  # no file: stays English
    assert "en" in available_languages()


def test_translation_file_is_loaded(qapp, tmp_path, monkeypatch):
    """A compiled .qm dropped into resources/i18n is picked up without code changes."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    lrelease = shutil.which("pyside6-lrelease") or str(
        Path(sys.executable).parent / "pyside6-lrelease"
    )
    assert Path(lrelease).exists(), "pyside6-lrelease (part of PySide6) is missing"
    ts = tmp_path / "vlab_de.ts"
    ts.write_text(
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="de">'
        "<context><name>PerfusionPanel</name><message><source>Perfusion</source>"
        "<translation>Perfusion (de)</translation></message></context></TS>",
        encoding="utf-8",
    )
    (tmp_path / "i18n").mkdir()
    subprocess.run(
        [lrelease, str(ts), "-qm", str(tmp_path / "i18n" / "vlab_de.qm")],
        check=True,
        capture_output=True,
    )
    import vlab.gui.i18n as i18n

    monkeypatch.setattr(i18n, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    tr = i18n.install_translator(qapp, "de_DE")
    try:
        assert tr is not None
        from PySide6.QtCore import QCoreApplication

        assert QCoreApplication.translate("PerfusionPanel", "Perfusion") == "Perfusion (de)"
    finally:
        if tr is not None:
            qapp.removeTranslator(tr)
        from PySide6.QtCore import QLocale

        QLocale.setDefault(QLocale("en_US"))
