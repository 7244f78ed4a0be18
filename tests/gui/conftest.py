"""GUI test fixtures: a rig window with its worker, a dangling-thread/timer guard, and
:class:`Received`, the way to wait for a signal emitted in a worker thread.

pytest-qt is a required plugin (``required_plugins`` in pyproject.toml): without it the run
errors instead of skipping every GUI test.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QThread, Signal, Slot


class Received(QObject):
    """Receives a (worker-thread) signal in the GUI thread, through a queued connection.

    ``qtbot.waitSignal`` on a signal emitted in another thread runs pytest-qt's handler in
    that thread, which stops its timeout timer from the wrong thread ("QObject::killTimer:
    Timers cannot be stopped from another thread"). Connect the worker's signal here
    instead and wait on :attr:`arrived`, which is emitted in the GUI thread. ``args`` holds
    every emission's argument (None for signals without one) and ``threads`` the thread
    each one was handled in.
    """

    arrived = Signal()

    def __init__(self, signal, with_arg: bool = True) -> None:
        super().__init__()
        self.args: list = []
        self.threads: list[QThread] = []
        signal.connect(self._on_arg if with_arg else self._on_none)

    @Slot(object)
    def _on_arg(self, value) -> None:
        self._record(value)

    @Slot()
    def _on_none(self) -> None:
        self._record(None)

    def _record(self, value) -> None:
        self.args.append(value)
        self.threads.append(QThread.currentThread())
        self.arrived.emit()

    def __len__(self) -> int:
        return len(self.args)


@pytest.fixture(autouse=True)
def _no_dangling_threads(qapp):
    """Fail a test that leaves a simulation thread running (napari-style guard)."""
    from vlab.gui.worker import live_threads

    yield
    qapp.processEvents()
    left = live_threads()
    for th in left:  # clean up so one failure does not cascade
        th.quit()
        th.wait(5000)
    assert not left, f"simulation thread(s) left running: {left}"


@pytest.fixture
def rig():
    from vlab.rig import Rig

    return Rig("squid")


@pytest.fixture
def window(qtbot, rig):
    """The rig window, streaming gap-free current clamp; closed (and checked) afterwards."""
    from vlab.gui.main_window import MainWindow

    win = MainWindow(rig)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: len(win.scope.ring) > 0, timeout=15000)
    yield win
    _close_and_check(win)


@pytest.fixture
def idle_window(qtbot, rig):
    """The rig window without its simulation thread (nothing streams: a test runs protocols
    with ``run_protocol_now`` or feeds blocks itself), shown on the ``rig`` fixture's rig;
    closed as a student closes it, and checked."""
    from vlab.gui.main_window import MainWindow

    win = MainWindow(rig, start_worker=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    _close_and_check(win)


def _close_and_check(win) -> None:
    """Close a rig window the way a student does (``close()``: :meth:`MainWindow.shutdown`
    stops the worker thread, file jobs and timers, then the crash journal is deleted, the
    window's analysis/axon windows close and the projector font is restored), without the
    unsaved-sweeps question, and check that nothing is left running."""
    win._saved_count = len(win.recording)  # no "unsaved sweeps" question on close
    win.close()
    assert not win.isVisible(), "the window refused to close (a save still running?)"
    assert not win.host.worker_thread.isRunning()
    assert not win.scope._timer.isActive()
    assert not win._slow_timer.isActive()
    assert not win._heap_timer.isActive()


def ring_vm(win, since: float | None = None):
    t, vm, _ = win.scope.ring.data()
    if since is not None:
        vm = vm[t >= since]
    return vm


@pytest.fixture
def received():
    """``received(signal, with_arg=True)`` -> a :class:`Received` catching ``signal``."""
    made: list[Received] = []

    def make(signal, with_arg: bool = True) -> Received:
        r = Received(signal, with_arg)
        made.append(r)
        return r

    yield make
    for r in made:
        r.deleteLater()


def _file_job_waiter(qtbot, start: str, finished: str):
    """``run(window, path) -> bool``: call ``window.<start>(path)``, which starts a background
    file job, and wait (on the window's ``<finished>(bool)`` signal, emitted in the GUI thread)
    until it has succeeded (True) or failed or was cancelled (False)."""

    def run(window, path, timeout: int = 20000) -> bool:
        with qtbot.waitSignal(getattr(window, finished), timeout=timeout) as blocker:
            assert getattr(window, start)(path) is not None
        return bool(blocker.args[0])

    return run


@pytest.fixture
def open_experiment(qtbot):
    """``open_experiment(window, path) -> bool``: open a ``.vlab`` file in a rig window and
    wait (on a signal emitted in the GUI thread) until it has opened (True) or failed."""

    return _file_job_waiter(qtbot, "open_experiment", "experiment_open_finished")


@pytest.fixture
def save_experiment(qtbot):
    """``save_experiment(window, path) -> bool``: save a rig window's experiment to a
    ``.vlab`` file and wait (on a signal emitted in the GUI thread) until it has been
    written (True) or failed or was cancelled (False)."""

    return _file_job_waiter(qtbot, "save_experiment", "experiment_save_finished")


@pytest.fixture
def import_recording(qtbot):
    """``import_recording(window, path) -> list``: import a real recording into an analysis
    window (or a rig window's) and wait until it has been read; returns the sweeps added."""

    def run(window, path, timeout: int = 30000) -> list:
        analysis = getattr(window, "analysis", None) or window
        if analysis is window and hasattr(window, "open_analysis"):
            analysis = window._ensure_analysis()
        with qtbot.waitSignal(analysis.import_finished, timeout=timeout) as blocker:
            window.import_recording(str(path))
        return list(blocker.args[0])

    return run
