"""Experiment files are read and written off the GUI thread, with progress and Cancel
(issue 11 item 1; issue 10: Save experiment stalled the window 6-9 s).

Every wait is on a signal emitted in the GUI thread (the window's
``experiment_open_finished``) or on a condition polled by ``qtbot.waitUntil``; the fake
readers block on a ``threading.Event`` the test sets, never on a sleep.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton

import vlab.gui.main_window as main_window_module
from vlab.gui.file_job import FileJob
from vlab.recording import Recording, Sweep, load_session, save_session
from vlab.safe_read import ReadCancelled

pytestmark = pytest.mark.gui


@pytest.fixture
def critical(monkeypatch):
    """Error dialogs shown (title, text), instead of a modal box."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _p, title, text, *a: shown.append((title, text))
    )
    return shown


def _big_session(tmp_path, n_sweeps: int = 4, samples: int = 100_000):
    rng = np.random.default_rng(2)
    rec = Recording(
        [
            Sweep(k, 2e-5, {"Vm": rng.normal(-0.065, 1e-3, samples), "Im": np.zeros(samples)})
            for k in range(n_sweeps)
        ]
    )
    path = tmp_path / "big.vlab"
    from vlab.rig import Rig

    save_session(path, Rig("squid").state_dict(), rec)
    return path, rec


def test_a_large_experiment_is_read_in_a_worker_with_progress(
    qtbot, tmp_path, monkeypatch, idle_window, open_experiment
):
    path, rec = _big_session(tmp_path)
    gui_thread = threading.get_ident()
    calls: list[tuple[int, list[float]]] = []

    def recording_reader(p, progress):
        seen: list[float] = []

        def report(fraction: float) -> None:
            seen.append(fraction)
            progress(fraction)

        calls.append((threading.get_ident(), seen))
        return load_session(p, report)

    monkeypatch.setattr(main_window_module, "load_session", recording_reader)
    assert open_experiment(idle_window, path)
    ((thread, seen),) = calls
    assert thread != gui_thread  # read in the worker, not the GUI thread
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 12  # ~6 MiB, twice
    assert idle_window.loading is None
    assert len(idle_window.recording) == len(rec)
    for a, b in zip(rec, idle_window.recording, strict=True):
        assert np.array_equal(a.channels["Vm"], b.channels["Vm"])


def _gated_reader(gate: threading.Event, result):
    """A reader that reports 25 % and then keeps reporting (as a real one does per MiB)
    until the test opens the gate; it returns ``result``."""

    def read(_path, progress):
        progress(0.25)
        while not gate.wait(0.01):
            progress(0.25)  # raises ReadCancelled once Cancel was pressed
        progress(1.0)
        return result

    return read


def test_window_stays_live_and_cancel_changes_nothing(qtbot, tmp_path, monkeypatch, idle_window):
    gate = threading.Event()
    rec = Recording([Sweep(0, 1e-4, {"Vm": np.zeros(10)})])
    monkeypatch.setattr(main_window_module, "load_session", _gated_reader(gate, ({"gui": {}}, rec)))
    before = idle_window.rig.state_dict()
    load = idle_window.open_experiment(tmp_path / "slow.vlab")
    assert isinstance(load, FileJob) and idle_window.loading is load
    # the GUI thread keeps handling events while the reader is busy: the progress reaches
    # the dialog, and the dialog (after its show-after delay) is shown
    qtbot.waitUntil(lambda: load.dialog.value() == 250, timeout=10000)
    qtbot.waitUntil(load.dialog.isVisible, timeout=10000)
    # a second open while one is running is refused politely
    assert idle_window.open_experiment(tmp_path / "other.vlab") is None
    cancel = load.dialog.findChild(QPushButton)
    with qtbot.waitSignal(idle_window.experiment_open_finished, timeout=10000) as blocker:
        cancel.click()
    assert blocker.args == [False]
    gate.set()
    assert load.was_cancelled and idle_window.loading is None
    assert idle_window.rig.state_dict() == before and len(idle_window.recording) == 0


def test_closing_the_window_stops_a_running_read(qtbot, tmp_path, monkeypatch):
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    gate = threading.Event()  # never opened: only Cancel ends the read
    monkeypatch.setattr(main_window_module, "load_session", _gated_reader(gate, None))
    finished = []
    win.experiment_open_finished.connect(finished.append)
    load = win.open_experiment(tmp_path / "slow.vlab")
    qtbot.waitUntil(lambda: load.dialog.value() == 250, timeout=10000)
    win.close()  # joins the reader thread (the autouse guard checks none is left)
    assert win.loading is None and finished == []


def test_a_bad_file_gives_the_one_error_dialog(
    qtbot, tmp_path, idle_window, critical, open_experiment
):
    bad = tmp_path / "picture.vlab"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nrest")
    assert not open_experiment(idle_window, bad)
    ((title, text),) = critical
    assert title == "Opening the experiment failed"
    assert text.splitlines()[0] == "picture.vlab is not a vlab experiment file (it is a PNG image)."
    assert len(idle_window.recording) == 0


@pytest.mark.logs_errors  # the traceback is logged for the bug report
def test_an_unexpected_reader_error_is_reported_not_lost(qtbot, tmp_path, idle_window, critical):
    def broken(_path, _progress):
        raise KeyError("boom")

    load = FileJob(idle_window, broken, tmp_path / "x.vlab", error_title="Opening failed")
    with qtbot.waitSignal(load.failed, timeout=10000) as blocker:
        load.start()
    ((title, text),) = critical
    assert title == "Opening failed"
    assert "x.vlab: an error in vlab stopped this (KeyError" in text
    assert blocker.args[0] == text.split("\n\n")[0]


def test_reader_cancelled_after_its_last_report_still_counts_as_cancelled(
    qtbot, tmp_path, idle_window
):
    gate = threading.Event()

    def read(_path, progress):
        progress(0.5)
        gate.wait(10)  # the test cancels, then lets the reader return normally
        return "result"

    load = FileJob(idle_window, read, tmp_path / "x.vlab", error_title="t")
    loaded = []
    load.succeeded.connect(loaded.append)
    with qtbot.waitSignal(load.cancelled, timeout=10000):
        load.start()
        qtbot.waitUntil(lambda: load.dialog.value() == 500, timeout=10000)
        load.cancel()
        gate.set()
    assert loaded == []


def test_reader_raising_cancel_directly(qtbot, tmp_path, idle_window):
    def read(_path, _progress):
        raise ReadCancelled

    load = FileJob(idle_window, read, tmp_path / "x.vlab", error_title="t")
    with qtbot.waitSignal(load.finished, timeout=10000) as blocker:
        load.start()
    assert blocker.args == [False]


def test_the_outcome_is_never_handled_inside_a_progress_update(qtbot, tmp_path, idle_window):
    """A modal QProgressDialog runs processEvents() in setValue(): the outcome (and the
    window's reaction, which deletes the dialog) ran inside it and crashed the suite."""
    import inspect

    gate = threading.Event()

    def read(_path, progress):
        while not gate.wait(0.01):
            progress(0.1)
        for k in range(1, 201):
            progress(k / 200)
        return "result"

    load = FileJob(idle_window, read, tmp_path / "x.vlab", error_title="t")
    nested = []
    load.succeeded.connect(
        lambda _r: nested.append(any(f.function == "_on_step" for f in inspect.stack()))
    )
    with qtbot.waitSignal(load.finished, timeout=20000):
        load.start()
        qtbot.waitUntil(load.dialog.isVisible, timeout=10000)
        gate.set()
    assert nested == [False]


# ---------------------------------------------------------------------------- saving
def _record(window, n: int = 3, samples: int = 200_000) -> None:
    """Put ``n`` sweeps of ``samples`` float32 samples per channel in the recording."""
    rng = np.random.default_rng(5)
    for k in range(n):
        v = rng.normal(-0.065, 1e-3, samples).astype(np.float32)
        window.recording.append(Sweep(k, 2e-5, {"Vm": v, "Im": np.zeros(samples, np.float32)}))


def _gated_writer(gate: threading.Event, threads: list[int]):
    """The real writer, entered only once the test opens the gate (reporting 0 meanwhile,
    as it does per MiB, so a Cancel is seen); records the thread it runs in."""
    from vlab.recording.session import write_session

    def write(path, snapshot, progress=None):
        threads.append(threading.get_ident())
        while not gate.wait(0.01):
            progress(0.0)  # raises ReadCancelled once Cancel was pressed
        return write_session(path, snapshot, progress)

    return write


def test_saving_runs_in_a_worker_while_the_window_goes_on(
    qtbot, tmp_path, monkeypatch, idle_window
):
    from PySide6.QtCore import QTimer

    _record(idle_window)
    threads: list[int] = []
    gate = threading.Event()
    monkeypatch.setattr(main_window_module, "write_session", _gated_writer(gate, threads))
    target = tmp_path / "exp.vlab"
    job = idle_window.save_experiment(target)
    assert isinstance(job, FileJob) and idle_window.saving is job
    # the GUI thread handles events while the writer waits: a timer fires, the progress
    # dialog appears, and a sweep can be recorded
    ticks: list[bool] = []
    QTimer.singleShot(0, lambda: ticks.append(True))
    qtbot.waitUntil(lambda: bool(ticks), timeout=10000)
    qtbot.waitUntil(job.dialog.isVisible, timeout=10000)
    assert threads and threads[0] != threading.get_ident()  # written off the GUI thread
    assert idle_window.save_experiment(tmp_path / "other.vlab") is None  # one save at a time
    idle_window.recording.append(Sweep(9, 1e-4, {"Vm": np.full(10, -0.07)}))
    assert idle_window.unsaved_sweeps() == 4
    with qtbot.waitSignal(idle_window.experiment_save_finished, timeout=20000) as blocker:
        gate.set()
    assert blocker.args == [True] and idle_window.saving is None
    _, back = load_session(target)
    assert len(back) == 3  # what was there when Save was pressed
    for a, b in zip(idle_window.recording.sweeps[:3], back, strict=True):
        assert np.array_equal(a["Vm"], b["Vm"])
    assert idle_window.unsaved_sweeps() == 1  # the sweep recorded during the save
    # ... and crash recovery still has it: journalled again after the "saved" marker
    from vlab.recording.journal import read_journal

    assert [s.index for s in read_journal(idle_window.journal.path).sweeps] == [9]


def test_cancelling_a_save_keeps_the_previous_file(
    qtbot, tmp_path, monkeypatch, idle_window, save_experiment
):
    target = tmp_path / "exp.vlab"
    _record(idle_window, n=1)
    assert save_experiment(idle_window, target)
    before = target.read_bytes()
    _record(idle_window, n=2)
    gate = threading.Event()
    monkeypatch.setattr(main_window_module, "write_session", _gated_writer(gate, []))
    job = idle_window.save_experiment(target)
    qtbot.waitUntil(job.dialog.isVisible, timeout=10000)
    with qtbot.waitSignal(idle_window.experiment_save_finished, timeout=20000) as blocker:
        job.dialog.findChild(QPushButton).click()
    gate.set()
    assert blocker.args == [False] and job.was_cancelled
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.vlab"]  # no temporary file
    assert idle_window.unsaved_sweeps() == 2 and len(idle_window.recording) == 3


def test_a_full_disk_says_why_and_loses_nothing(
    qtbot, tmp_path, monkeypatch, idle_window, critical, save_experiment
):
    import errno

    import vlab.recording.session as session

    target = tmp_path / "exp.vlab"
    _record(idle_window, n=1)
    assert save_experiment(idle_window, target)
    before = target.read_bytes()
    _record(idle_window, n=2)

    def disk_full(fh, arrays, meter):
        fh.write(b"\0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(session, "_write_npz", disk_full)
    assert not save_experiment(idle_window, target)
    ((title, text),) = critical
    assert title == "Saving the experiment failed"
    assert "disk is full" in text.splitlines()[0] and "nothing was lost" in text
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.vlab"]
    assert len(idle_window.recording) == 3 and idle_window.unsaved_sweeps() == 2
    assert idle_window.isVisible()


def test_closing_during_a_save_waits_for_it(qtbot, tmp_path, monkeypatch, idle_window):
    _record(idle_window, n=1)
    gate = threading.Event()
    monkeypatch.setattr(main_window_module, "write_session", _gated_writer(gate, []))
    asked: list[int] = []
    idle_window.ask_unsaved = lambda n: asked.append(n) or "discard"
    job = idle_window.save_experiment(tmp_path / "exp.vlab")
    qtbot.waitUntil(job.dialog.isVisible, timeout=10000)
    idle_window.close()
    assert idle_window.isVisible() and asked == []  # nothing asked: the save goes on
    with qtbot.waitSignal(idle_window.experiment_save_finished, timeout=20000):
        gate.set()
    qtbot.waitUntil(lambda: not idle_window.isVisible(), timeout=10000)
    assert (tmp_path / "exp.vlab").exists() and asked == []
