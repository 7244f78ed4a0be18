"""Closed windows are freed (issue 11, "No leaks"): opening and closing the axon bench and the
analysis workspace many times leaves no window, plot or worker thread behind."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from vlab.gui.analysis_windows import AnalysisWindow
from vlab.gui.axon_view import AxonWindow, live_threads

pytestmark = pytest.mark.gui

N = 4  # openings of each window; a leak keeps all N


def _settle() -> None:
    """Deliver pending deletions, then collect Python cycles."""
    for _ in range(3):
        QApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()


def _count(kind) -> int:
    return sum(isinstance(w, kind) for w in QApplication.allWidgets())


@pytest.fixture
def main(qtbot):
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    w = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w._saved_count = len(w.recording)
    w.close()


def test_closed_axon_benches_are_freed(main):
    _settle()  # earlier tests' windows go first
    before = _count(pg.GraphicsView)  # the main window's own plots
    refs = []
    for _ in range(N):
        main.open_axon_bench()
        (bench,) = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, AxonWindow) and w.isVisible()
        ]
        assert bench.isVisible()
        refs.append(weakref.ref(bench))
        bench.close()
        del bench
        _settle()
    assert [r() for r in refs] == [None] * N  # no Python object keeps a closed bench
    assert _count(AxonWindow) == 0  # nor does Qt
    assert _count(pg.GraphicsView) == before  # nor its plot views
    assert not live_threads()  # each bench's worker thread stopped
    assert main.extra_windows() == []


def test_reopening_the_analysis_workspace_reuses_one_window(main):
    _settle()
    before = _count(AnalysisWindow)
    for _ in range(N):
        main.open_analysis()
        assert main.analysis is not None and main.analysis.isVisible()
        main.analysis.close()
        _settle()
    assert _count(AnalysisWindow) == before + 1  # the one workspace, not one per opening
    main.open_analysis()
    assert main.extra_windows() == [main.analysis]


def test_closed_about_boxes_are_freed(main, monkeypatch):
    from vlab.gui.about import AboutDialog

    monkeypatch.setattr(AboutDialog, "exec", lambda self: 0)  # closed at once
    for _ in range(N):
        main.about()
    _settle()
    assert _count(AboutDialog) == 0


def test_pressing_help_again_raises_the_open_page_instead_of_stacking_windows(main):
    """The monkey found a help window stacked per F1 / Help menu press (50 in 5 minutes, each
    with its page and a window-sized X image): the open page is raised instead."""
    from vlab.gui.help import TOPICS, HelpDialog

    _settle()
    first = main.show_help("amplifier")
    for _ in range(2 * N):
        assert main.show_help("amplifier") is first
    for topic in TOPICS:
        main.show_help(topic)
    _settle()
    assert _count(HelpDialog) == len(TOPICS)  # one window per page, however often asked
    for w in QApplication.topLevelWidgets():
        if isinstance(w, HelpDialog):
            w.close()
    _settle()
    assert _count(HelpDialog) == 0  # and closed ones are freed
    assert main.show_help("amplifier") is not first  # a closed page opens anew


def test_export_sweeps_keeps_one_dialog_and_no_old_list_of_sweeps(main):
    """Each Export sweeps… opened a new non-modal dialog holding its own list of the recording,
    so stacked dialogs kept sweeps alive that the memory budget had dropped."""
    from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog
    from vlab.recording import Sweep

    t = np.arange(200) * 1e-4
    for k in range(3):
        main.record_sweep(Sweep(index=k, dt=1e-4, channels={"Vm": -0.065 + 0 * t}))
    _settle()
    dialogs = [weakref.ref(main.export_sweeps()) for _ in range(2 * N)]
    _settle()
    assert _count(ExportSweepsDialog) == 1
    assert [d() is None for d in dialogs] == [True] * (2 * N - 1) + [False]  # the newest stays
    main.record_sweep(Sweep(index=3, dt=1e-4, channels={"Vm": -0.065 + 0 * t}))
    newest = main.export_sweeps()
    assert len(newest.sweeps) == 4  # a new opening lists today's sweeps
    newest.close()
    _settle()
    assert _count(ExportSweepsDialog) == 0
