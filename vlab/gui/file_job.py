"""Reading or writing a file off the GUI thread, with a progress dialog and Cancel (issue 11).

:class:`FileJob` runs a Qt-free job, ``work(path, progress) -> result`` (a reader such as
:func:`vlab.recording.load_session` or :func:`vlab.recording.importers.read_sweeps`, or a
writer such as :func:`vlab.recording.session.write_session` given a snapshot taken in the
GUI thread), in its own ``QThread``. The job calls ``progress(fraction)`` as it goes; the
fraction reaches the dialog through a queued signal, and Cancel makes the next
``progress`` call raise :class:`vlab.safe_read.ReadCancelled` (an atomic writer then
removes its temporary file: the file on disk stays as it was). Every outcome is
delivered in the GUI thread, exactly once, as one of

* :attr:`FileJob.succeeded` ``(result)``;
* :attr:`FileJob.failed` ``(message)``, after the one clear error dialog
  (:func:`vlab.gui.dialogs.export.show_error`; a bad file's ``ValueError`` message, or an
  ``OSError``'s reason; anything unexpected is logged with its traceback and reported too);
* :attr:`FileJob.cancelled` ``()``;

followed by :attr:`FileJob.finished` ``(ok)``. The progress dialog appears only when a job
lasts longer than :data:`SHOW_AFTER_MS`, so small files open or save without a flash.

The window's event loop keeps running meanwhile (the scope streams, the window repaints,
the student can go on working); the dialog is not modal, so the caller refuses a second
job of the same kind while one runs. Use it from any window that opens or saves a file
(experiments in the rig window; imported recordings in the analysis window).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from vlab.gui import gc_guard
from vlab.gui.worker import track_thread
from vlab.safe_read import ReadCancelled

log = logging.getLogger(__name__)

__all__ = ["SHOW_AFTER_MS", "FileJob", "Work"]

Work = Callable[[Path, Callable[[float], None]], Any]
"""A Qt-free job: ``work(path, progress) -> result``; raises ValueError/OSError."""

SHOW_AFTER_MS = 400
"""The progress dialog appears if the job is still running after this long (ms)."""

_STEPS = 1000  # progress resolution (the dialog's maximum)


def _t(text: str) -> str:
    return QCoreApplication.translate("FileJob", text)


class _JobThread(QThread):
    """Runs the job; its signals are emitted in this thread and queued to the GUI."""

    step = Signal(int)  # 0.._STEPS
    outcome = Signal(str, object)  # "succeeded" / "failed" / "cancelled", result or exception

    def __init__(self, work: Work, path: Path) -> None:
        super().__init__()
        self.setObjectName("vlab-file-job")
        self._work: Work | None = work
        self._path = path
        self._stop = threading.Event()
        self._last = -1

    def cancel(self) -> None:
        self._stop.set()

    def _progress(self, fraction: float) -> None:
        if self._stop.is_set():
            raise ReadCancelled
        step = int(max(0.0, min(1.0, fraction)) * _STEPS)
        if step != self._last:
            self._last = step
            self.step.emit(step)

    def run(self) -> None:  # noqa: D102 - QThread API; runs in the new thread
        work, self._work = self._work, None
        try:
            assert work is not None
            result = work(self._path, self._progress)
        except ReadCancelled:
            self.outcome.emit("cancelled", None)
        except (ValueError, OSError) as exc:
            self.outcome.emit("failed", exc)
        except Exception as exc:  # noqa: BLE001 - reported in a dialog, never lost
            log.exception("a file job on %s failed unexpectedly", self._path)
            self.outcome.emit(
                "failed",
                RuntimeError(
                    f"{self._path.name}: an error in vlab stopped this "
                    f"({type(exc).__name__}: {str(exc)[:200]}); please report it."
                ),
            )
        else:
            if self._stop.is_set():
                self.outcome.emit("cancelled", None)
            else:
                self.outcome.emit("succeeded", result)


class FileJob(QObject):
    """One file read or written in a worker thread, with a progress dialog owned by ``parent``.

    Parameters
    ----------
    parent
        The window that opens or saves the file (the dialog's parent; errors are shown
        over it).
    work
        ``work(path, progress) -> result``, Qt-free; called in the worker thread. It must
        not touch anything the GUI thread changes (a writer gets a snapshot).
    path
        The file.
    text
        The progress dialog's text, with ``{}`` for the file name ("Saving {}…");
        default "Opening {}…".
    title
        The progress dialog's title; default "Opening".
    error_title
        Title of the error dialog ("Opening the experiment failed").
    """

    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal(bool)

    def __init__(
        self,
        parent: QWidget,
        work: Work,
        path: str | os.PathLike[str],
        *,
        error_title: str,
        text: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.error_title = error_title
        self._parent = parent
        self._thread: _JobThread | None = _JobThread(work, self.path)
        self._thread.step.connect(self._on_step, Qt.ConnectionType.QueuedConnection)
        self._thread.outcome.connect(self._on_outcome, Qt.ConnectionType.QueuedConnection)
        self.dialog = QProgressDialog(
            (text or _t("Opening {}…")).format(self.path.name), _t("Cancel"), 0, _STEPS, parent
        )
        self.dialog.setWindowTitle(title or _t("Opening"))
        # not modal: a modal QProgressDialog runs processEvents() inside setValue(), so the
        # outcome (and the window's whole reaction to it) would run inside _on_step
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self._done = False
        self.was_cancelled = False

    @property
    def running(self) -> bool:
        """True until the outcome has been delivered."""
        return not self._done

    def start(self) -> FileJob:
        gc_guard.install()  # a collection in the job's thread must never free Qt objects
        assert self._thread is not None
        track_thread(self._thread)
        self.dialog.setValue(0)  # starts the dialog's show-after timer
        self._thread.start()
        return self

    @Slot()
    def cancel(self) -> None:
        """Stop the job at its next progress report (the outcome is then ``cancelled``)."""
        self.was_cancelled = True
        if self._thread is not None:
            self._thread.cancel()

    def abort(self) -> None:
        """Cancel, wait for the thread and deliver nothing (the window is closing)."""
        if self._done:
            return
        self.cancel()
        self._done = True
        self._end()
        self.deleteLater()

    @Slot(int)
    def _on_step(self, step: int) -> None:
        if not self._done:
            self.dialog.setValue(step)

    @Slot(str, object)
    def _on_outcome(self, kind: str, value: object) -> None:
        if self._done:
            return
        self._done = True
        self._end()
        if kind == "succeeded":
            self.succeeded.emit(value)
        elif kind == "cancelled":
            self.cancelled.emit()
        else:
            from vlab.gui.dialogs import export as dialogs  # looked up now: tests replace it

            assert isinstance(value, BaseException)
            dialogs.show_error(self._parent, self.error_title, value)
            self.failed.emit(str(value))
        self.finished.emit(kind == "succeeded")
        self.deleteLater()

    def _end(self) -> None:
        """Join the thread (it has returned or will at its next progress report)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.wait()  # then the last reference goes: freed here, in the GUI thread
        self.dialog.canceled.disconnect(self.cancel)
        self.dialog.close()
        self.dialog.deleteLater()
