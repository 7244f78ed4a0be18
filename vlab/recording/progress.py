"""Progress and cancellation of a long export, without threading in the writers.

:func:`vlab.recording.export_sweeps` takes ``progress=callback``; while the writer runs,
its loops call :func:`report` with the fraction done (0..1) and the callback may raise
:class:`ExportCancelled` to stop. The last chance to stop is :func:`commit_point`, which
the atomic writer calls just before its temporary file replaces the target: a cancelled
export therefore never leaves a file, partial or whole. Once the first file of an export
is committed (CSV writes a table and its sidecar) the export is no longer cancellable,
so a pair is never split.

The callback lives in a :class:`contextvars.ContextVar`, so each thread (the GUI's export
thread, a CLI run) sees only its own.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vlab.recording.errors import ExportError

__all__ = ["ExportCancelled", "commit_point", "progress_reporting", "report"]


class ExportCancelled(ExportError):
    """The export was cancelled before its file was written; nothing was written."""


@dataclass
class _State:
    callback: Callable[[float], None]
    committing: bool = False


_STATE: contextvars.ContextVar[_State | None] = contextvars.ContextVar(
    "vlab_export_progress", default=None
)


@contextlib.contextmanager
def progress_reporting(callback: Callable[[float], None] | None) -> Iterator[None]:
    """Send this thread's :func:`report` calls to ``callback`` (``None``: ignore them)."""
    token = _STATE.set(None if callback is None else _State(callback))
    try:
        yield
    finally:
        _STATE.reset(token)


def report(fraction: float) -> None:
    """Tell the caller ``fraction`` (0..1) of the export is done; may raise ExportCancelled."""
    state = _STATE.get()
    if state is not None and not state.committing:
        state.callback(min(max(float(fraction), 0.0), 1.0))


def commit_point() -> None:
    """The last moment to cancel: called before a finished temporary file replaces its target."""
    state = _STATE.get()
    if state is not None and not state.committing:
        state.callback(1.0)
        state.committing = True
