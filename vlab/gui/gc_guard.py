"""Python's cyclic garbage collector runs only in the GUI thread once worker threads exist.

Why: automatic collection starts in whichever thread happens to allocate when a
threshold is passed. In vlab that is often a simulation worker (numba compiling a kernel,
a sweep allocating arrays). If that collection frees the Python wrapper of a Qt object
made in the GUI thread (a closed window's menu, an action), Shiboken destroys it from the
worker: ``~QObject`` takes Qt's connection lock there and then waits for the GIL, while
the GUI thread holds the GIL and waits for the same lock to run its own deferred
deletions. Both wait forever. This froze CI for 90 minutes (first axon sweep after a cold
numba cache, with earlier tests' windows still to be collected) and was reproduced here
under CPU load; ``tests/gui/test_gc_guard.py`` checks the cure.

The cure (the same as pyqtgraph's ``GarbageCollector``, kept here so it has one owner
and a test): switch automatic collection off and collect, generation by generation with
Python's own thresholds, from a timer in the GUI thread. Reference counting still frees
everything that is not in a cycle at once; only cyclic garbage waits up to one interval.

What exists once the rig is up (modules, the window's widgets) lives as long as the app,
so it is frozen out of the collector's reach after one full collection (full collections
of the whole heap stalled the GUI 250-300 ms; ``bench/bench_soak.py``). That collection
costs 25-60 ms, and :func:`install` runs between the window's first paint and the
simulation's first frame, so it waits :data:`FREEZE_AFTER_S` and then takes a turn of its
own (:func:`due` says so); until then only the young generations are collected.

In the rig window the frame pacer asks :func:`due` and collects at a turn of its own,
never inside a view's frame; the guard's timer then stands back and collects only when
nobody has asked for :data:`FALLBACK_AFTER_S` (a window without a pacer, the tests).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QThread, QTimer

__all__ = ["install", "installed", "collect_due", "due"]

#: how often the GUI thread looks at the collector's counters (ms)
INTERVAL_MS = 250

#: how long after :func:`install` the start-up heap is collected and frozen (s)
FREEZE_AFTER_S = 1.0
#: the timer collects only if nobody asked :func:`due` for this long (s): a frame pacer
#: that does (the rig window's) gives collections turns of their own
FALLBACK_AFTER_S = 1.0

_timer: QTimer | None = None
_thresholds: tuple[int, int, int] = gc.get_threshold()
_freeze_at: float | None = None  # clock() time of the pending collect-and-freeze
clock: Callable[[], float] = time.monotonic  # seconds (tests pass a fake one)
_asked_at = float("-inf")  # clock() time of the last call of due()


def installed() -> bool:
    """True when collection has been moved to the GUI thread."""
    return _timer is not None


def install() -> None:
    """Move cyclic garbage collection to the GUI thread (idempotent).

    Call it from the GUI thread before the first worker thread starts;
    :class:`vlab.gui.worker.ThreadHost` does.
    Collects nothing itself: the full collection before the freeze comes
    :data:`FREEZE_AFTER_S` later (module docstring).
    """
    global _timer, _thresholds, _freeze_at
    if _timer is not None:
        return
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("gc_guard.install() must be called in the GUI thread")
    _thresholds = gc.get_threshold()
    gc.disable()
    _freeze_at = clock() + FREEZE_AFTER_S
    _timer = QTimer(app)
    _timer.setObjectName("vlab-gc")
    _timer.timeout.connect(_on_timer)
    _timer.start(INTERVAL_MS)


def _on_timer() -> None:
    """The fallback: collect what is due unless a pacer has been asking (module docstring)."""
    if clock() - _asked_at >= FALLBACK_AFTER_S:
        collect_due()


def freeze_pending() -> bool:
    """True until the start-up heap has been collected and frozen (module docstring)."""
    return _freeze_at is not None


def due() -> bool:
    """True when :func:`collect_due` would collect (a generation passed its threshold, or
    the start-up heap's collect-and-freeze is due). Asking it makes the guard's own timer
    stand back for :data:`FALLBACK_AFTER_S`: the caller gives collections their turns."""
    global _asked_at
    _asked_at = clock()
    if _freeze_at is not None:
        if clock() >= _freeze_at:
            return True
        c0, c1, _ = gc.get_count()  # the oldest generation waits for the freeze
        return c0 > _thresholds[0] or c1 > _thresholds[1]
    counts = gc.get_count()
    return any(c > t for c, t in zip(counts, _thresholds, strict=True))


def collect_due() -> int:
    """Collect the generations whose counters passed Python's thresholds (or, once due,
    everything, then freeze what is left); return the number of unreachable objects found.
    Runs in the GUI thread (the timer's slot)."""
    global _freeze_at
    if _freeze_at is not None and clock() >= _freeze_at:
        _freeze_at = None
        found = gc.collect()
        gc.freeze()
        return found
    c0, c1, c2 = gc.get_count()
    t0, t1, t2 = _thresholds
    if c2 > t2 and _freeze_at is None:
        return gc.collect(2)
    if c1 > t1:
        return gc.collect(1)
    if c0 > t0:
        return gc.collect(0)
    return 0
