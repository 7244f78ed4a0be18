"""Views take turns to redraw: at most one per tick of one timer (:class:`FramePacer`).

The rig window's live views (the scope, *Inside the membrane*, the analysis workspace)
each redrew on its own timer. Qt paints every widget of a window that changed in one
paint event, so when their timers fell in the same turn of the event loop, the GUI thread
drew all of them back to back: at 10x Repeat that was the longest stretch of GUI work in
``bench/bench_soak.py`` (the scope's 17 sweeps, the membrane view's six plots and the
analysis window, 60-100 ms of CPU). Through a pacer, one view redraws per tick and is
painted before the next tick gives another view its turn, so the longest stretch is one
view's frame.

A client is a callable that redraws if it has something new and returns whether it did
(an idle client costs nothing and gives its turn away), with the most frames a second it
wants. Turns go round: after a client drew, the others are asked first at the next tick.
A tick that comes early after a frame (the timer catching up after a late tick) gives
nobody a turn, and neither does a tick before the event loop has gone idle once since the
last frame (up to ``max_wait``): two frames never run back to back, and the input, the
paints and the timers that were waiting behind a frame come first. A frame's paint comes
after Qt's update request, which on X waits a few milliseconds on a timer of its own, so
the loop can go idle between a frame and its paint: the pacer watches the paints of its
clients' views (``views`` of :meth:`FramePacer.add`, :meth:`FramePacer.watch_paints`),
and only an idle loop after the last of them counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractEventDispatcher, QEvent, QObject, QTimer, Slot
from PySide6.QtWidgets import QGraphicsView, QWidget

__all__ = ["FramePacer"]


@dataclass
class _Client:
    name: str
    redraw: Callable[[], bool]
    period: float  # s between two frames of this client, at least
    due: float = 0.0  # perf_counter time of its next allowed frame
    frames: int = 0


class FramePacer(QObject):
    """One timer ticking at ``hz``; at each tick the next due client with something new
    redraws (see module docstring). ``clock`` gives seconds (tests pass a fake one)."""

    def __init__(
        self,
        parent: QObject | None = None,
        hz: float = 60.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(parent)
        self._clients: list[_Client] = []
        self._next = 0
        self.clock = clock
        self.timer = QTimer(self)
        self.timer.setObjectName("vlab-frame-pacer")
        self.timer.timeout.connect(self.tick)
        self.timer.start(max(1, round(1000 / hz)))
        #: a tick this soon (s) after the last one that drew draws nothing: a timer that
        #: fired late fires again early, and the two frames' work and paints fell into one
        #: stretch of the GUI thread (bench/bench_soak.py, docs/performance.md)
        self.min_gap = 0.75 / hz
        self._last_frame = float("-inf")  # clock() time of the last tick that drew
        #: after a frame, the next waits for the event loop to go idle (everything queued
        #: behind the frame done: its paint, input, other timers), at most this long (s):
        #: in a 10x Repeat soak two views' frames fell in one stretch of 60-90 ms when
        #: the late timer gave the next view its turn before the first one's paint was
        #: done; a saturated loop still draws ten frames a second
        self.max_wait = 0.1
        self._idle = True  # the event loop went idle since the last frame
        dispatcher = QAbstractEventDispatcher.instance()
        if dispatcher is not None:
            dispatcher.aboutToBlock.connect(self.went_idle)

    @Slot()
    def went_idle(self) -> None:
        """The event loop has nothing left to do (it is about to wait for events)."""
        self._idle = True

    def add(
        self, name: str, redraw: Callable[[], bool], hz: float, views: Sequence[QWidget] = ()
    ) -> None:
        """Let ``redraw`` (returns True when it drew) take turns, at most ``hz`` a second;
        ``views`` are the widgets it draws in (:meth:`watch_paints`)."""
        self._clients.append(_Client(name, redraw, 1.0 / hz))
        for view in views:
            self.watch_paints(view)

    def watch_paints(self, root: QWidget) -> None:
        """Count the paints of the graphics views in ``root`` (it included) as work: the
        next frame waits for the event loop to go idle after them. In a 10x Repeat soak
        the loop went idle between the scope's frame and its paint (Qt's update request
        waits on a timer), and the next view's frame followed the 17 ms paint at once."""
        views = root.findChildren(QGraphicsView)
        if isinstance(root, QGraphicsView):
            views.append(root)
        for view in views:
            view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._idle = False  # painting: not idle until the loop waits again
        return False

    def frames(self, name: str) -> int:
        """How many frames the client ``name`` drew through the pacer."""
        return sum(c.frames for c in self._clients if c.name == name)

    def tick(self) -> str | None:
        """Give one due client its frame; return its name (None: nobody had anything new)."""
        now = self.clock()
        if now - self._last_frame < self.min_gap:
            return None
        if not self._idle and now - self._last_frame < self.max_wait:
            return None
        n = len(self._clients)
        for i in range(n):
            k = (self._next + i) % n
            c = self._clients[k]
            if now < c.due:
                continue
            if c.redraw():
                c.due = now + c.period
                c.frames += 1
                self._next = (k + 1) % n
                self._last_frame = now
                self._idle = False
                return c.name
        return None

    def stop(self) -> None:
        self.timer.stop()
