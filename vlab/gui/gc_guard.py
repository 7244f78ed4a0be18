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
own (:func:`due` says so); until then only the young generations are collected. What
loads in the background after start-up (numba and the compiled kernels, ~70 thousand
objects, :mod:`vlab.sim.jit`) belongs to the app's lifetime too: whoever starts such a
load says so with :func:`freeze_after`, and the freeze waits for it (at most
:data:`FREEZE_LATEST_S`). When the freeze came before the kernels were in, every later
full collection walked them: in two 10-minute soaks a full collection took 31 ms with 78
thousand objects left unfrozen (numba's among them), 5 ms with 9 thousand.

In the rig window the frame pacer asks :func:`due` and collects at a turn of its own,
never inside a view's frame; the guard's timer then stands back and collects only when
nobody has asked for :data:`FALLBACK_AFTER_S` (a window without a pacer, the tests).

A full collection after the freeze still walks everything made since (numba's compiled
kernels, the analysis modules, the recording: 36-78 thousand objects in a Repeat soak,
18-31 ms of the GUI thread). It came every ten collections of the middle generation,
every 5 minutes in the soak, even once the recording sat at its budget and the heap had
stopped growing. Python's own automatic collector skips a full collection until the
oldest generation has grown by a quarter since the last one (``long_lived_pending >
long_lived_total / 4`` in CPython's ``gcmodule.c``); an explicit ``gc.collect(2)``
bypasses that rule, so the guard applies it itself (:data:`FULL_SHARE`). It measures the
growth by the generation's length, net of what died meanwhile (a recording at its budget
drops a sweep for each one it keeps: counted as arrivals, the way CPython counts, that
churn alone would call for a collection every 5 minutes), and after a look that finds too
little growth it looks again only after another ten collections of the middle generation.
Cyclic garbage that reaches the oldest generation is part of that growth, so it is still
collected.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QThread, QTimer

__all__ = ["install", "installed", "collect_due", "due", "freeze_after"]

#: how often the GUI thread looks at the collector's counters (ms)
INTERVAL_MS = 250

#: how long after :func:`install` the start-up heap is collected and frozen (s)
FREEZE_AFTER_S = 1.0
#: ... and at the latest this long after it, whatever :func:`freeze_after` waits for (s)
FREEZE_LATEST_S = 30.0
#: the timer collects only if nobody asked :func:`due` for this long (s): a frame pacer
#: that does (the rig window's) gives collections turns of their own
FALLBACK_AFTER_S = 1.0

_timer: QTimer | None = None
_thresholds: tuple[int, int, int] = gc.get_threshold()
_freeze_at: float | None = None  # clock() time of the pending collect-and-freeze
_freeze_latest = 0.0  # clock() time after which the freeze waits for nothing
_loading: list[Callable[[], bool]] = []  # the freeze waits while one says True
clock: Callable[[], float] = time.monotonic  # seconds (tests pass a fake one)
_asked_at = float("-inf")  # clock() time of the last call of due()

#: a full collection runs once the oldest generation has grown by more than this share of
#: what the last full collection left in it (CPython's rule for automatic collection)
FULL_SHARE = 0.25
_long_lived = 0  # objects in the oldest generation after the last full collection
#: collections of the middle generation since the last full collection at the last time
#: one was found not worth it: the next look comes after as many again as the threshold
_deferred = 0


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
    global _timer, _thresholds, _freeze_at, _freeze_latest
    if _timer is not None:
        return
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("gc_guard.install() must be called in the GUI thread")
    _thresholds = gc.get_threshold()
    gc.disable()
    _freeze_at = clock() + FREEZE_AFTER_S
    _freeze_latest = clock() + FREEZE_LATEST_S
    _timer = QTimer(app)
    _timer.setObjectName("vlab-gc")
    _timer.timeout.connect(_on_timer)
    _timer.start(INTERVAL_MS)


def _on_timer() -> None:
    """The fallback: collect what is due unless a pacer has been asking (module docstring)."""
    if clock() - _asked_at >= FALLBACK_AFTER_S:
        collect_due()


def freeze_after(loading: Callable[[], bool]) -> None:
    """Let the start-up freeze wait while ``loading()`` is True (a background load of
    objects that live as long as the app; module docstring). Any thread may call it."""
    _loading.append(loading)


def _freeze_due() -> bool:
    if _freeze_at is None or clock() < _freeze_at:
        return False
    if clock() >= _freeze_latest:
        return True
    return not any(busy() for busy in _loading)


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
        if _freeze_due():
            return True
        c0, c1, _ = gc.get_count()  # the oldest generation waits for the freeze
        return c0 > _thresholds[0] or c1 > _thresholds[1]
    c0, c1, c2 = gc.get_count()
    t0, t1, t2 = _thresholds
    return c2 > t2 + _deferred or c1 > t1 or c0 > t0


def _full_worth_it() -> bool:
    """True when the oldest generation grew by more than :data:`FULL_SHARE` of what the
    last full collection kept. Costs a walk of its list: 3-5 ms for 36 thousand objects
    in a Repeat soak's heap, against 18-19 ms for the full collection."""
    grown = len(gc.get_objects(2)) - _long_lived
    return grown > FULL_SHARE * _long_lived


def collect_due() -> int:
    """Collect the generations whose counters passed Python's thresholds (the oldest only
    when it grew enough, :data:`FULL_SHARE`; or, once due, everything, then freeze what is
    left); return the number of unreachable objects found.
    Runs in the GUI thread (the timer's slot)."""
    global _freeze_at, _long_lived, _deferred
    if _freeze_due():
        _freeze_at = None
        _loading.clear()
        found = gc.collect()
        gc.freeze()
        _long_lived, _deferred = 0, 0
        return found
    c0, c1, c2 = gc.get_count()
    t0, t1, t2 = _thresholds
    if c2 > t2 + _deferred and _freeze_at is None:
        if _full_worth_it():
            found = gc.collect(2)
            _long_lived, _deferred = len(gc.get_objects(2)), 0
            return found
        _deferred = c2  # like CPython, go on to the middle generation if it is due
    if c1 > t1:
        return gc.collect(1)
    if c0 > t0:
        return gc.collect(0)
    return 0
