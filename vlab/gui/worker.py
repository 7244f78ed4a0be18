"""The simulation worker: a QObject living in its own QThread (see docs/gui.md).

:class:`SimWorker` owns a :class:`vlab.rig.simulator.RigSimulator`. A ``QTimer`` created
*inside the worker thread* ticks every ``tick_ms``; each tick advances the simulation by
the wall-clock time elapsed since the previous tick times the speed factor. If the
machine cannot keep up, the catch-up per tick is capped, so under load the simulation
slows down (the status shows the real speed) and the GUI never waits.

Settings: once per tick the worker reads the rig's newest frozen settings snapshot
(``rig.settings``, :class:`vlab.rig.settings.RigSettings`), without a lock, and steps with
it; it never touches the GUI's ``Rig`` otherwise. What the simulation advances (the
perfusion) travels back on every block (``Block.bath``) and in the status
(``status["bath"]``), for :meth:`vlab.rig.Rig.report_bath` in the GUI thread.

Commands arrive as queued slot calls (connect GUI signals to the slots; Qt queues them
across threads). Results leave as ``blocks_ready(list[Block])``, at most once per tick
(at most 1000/``tick_ms`` per second: 100 Hz at the default 10 ms).

Back-pressure: with ``back_pressure`` on (the :class:`WorkerHost` turns it on), at most
``MAX_IN_FLIGHT`` deliveries may be waiting for the GUI. The host relays each delivery
to its own ``blocks_ready`` in the GUI thread and then calls :meth:`SimWorker.acknowledge`;
until then the worker does not step (the simulation slows, like under CPU load), so the
GUI's event queue never fills and no block is dropped. :class:`WorkerHost` wraps thread
creation and the clean stop:
``stop`` is invoked in the worker thread (blocking-queued), then ``thread.quit()`` and
``thread.wait()``; ``terminate()`` is never used.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import weakref
from collections.abc import Callable

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from vlab.gui import gc_guard
from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator, SimulationError
from vlab.sim import jit

log = logging.getLogger(__name__)

__all__ = [
    "HostedWorker",
    "SimWorker",
    "ThreadHost",
    "TickWorker",
    "WorkerHost",
    "live_threads",
    "share_the_gil",
    "track_thread",
    "SPEEDS",
]

#: speed factors offered in the GUI (x real time)
SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

_LIVE_THREADS: weakref.WeakSet = weakref.WeakSet()

#: Python's GIL switch interval while a worker thread runs, s (Python's default: 5 ms).
#: The GUI thread gives up the GIL in Qt's C++ (every call of a paint) and, coming back,
#: waited up to this long for the simulation thread's Python: a scope frame of 11 ms of
#: CPU took 30 ms of wall time at 5 ms (bench/bench_soak.py, docs/performance.md).
GIL_SWITCH_INTERVAL_S = 0.001


def share_the_gil() -> None:
    """Shorten the GIL's switch interval to :data:`GIL_SWITCH_INTERVAL_S` (never lengthen
    it): the GUI thread then waits at most that long for a worker's Python."""
    if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def track_thread(thread: QThread) -> None:
    """Register a started thread for :func:`live_threads` (the tests' guard)."""
    _LIVE_THREADS.add(thread)


def live_threads() -> list[QThread]:
    """Worker threads that are still running (used by the tests' dangling-thread guard)."""
    out = []
    for th in list(_LIVE_THREADS):
        try:
            if th.isRunning():
                out.append(th)
        except RuntimeError:  # C++ object already deleted
            pass
    return out


class HostedWorker(QObject):
    """A worker a :class:`ThreadHost` runs in its thread: ``start`` runs there when the
    thread starts, ``stop`` runs there (blocking-queued) before the thread quits.

    Subclasses implement both as ``@Slot()``. They are plain methods here on purpose: with
    PySide6 6.10, ``QThread.started`` connected to a ``@Slot`` that overrides a base class's
    ``@Slot`` ran it in the GUI thread, not the worker's.
    """

    def start(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class TickWorker(HostedWorker):
    """A worker whose precise ``QTimer`` lives in its own thread.

    Subclasses implement ``_tick``; :meth:`_make_timer` is called from their ``start`` slot
    (which runs in the worker thread), and the host calls :meth:`stop` there before quitting
    the thread.
    """

    _timer: QTimer | None = None

    def _make_timer(self) -> QTimer:
        timer = QTimer(self)
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(self._tick)
        self._timer = timer
        return timer

    @Slot()
    def stop(self) -> None:
        """Stop ticking (runs in the worker thread; the host then quits the thread)."""
        self._stopping()
        timer = self._timer
        if timer is not None:
            timer.stop()
            timer.deleteLater()
            self._timer = None

    def _stopping(self) -> None:
        """What a subclass does as it stops, in the worker thread (a plain method: see
        :class:`HostedWorker` on overriding slots)."""

    def _tick(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SimWorker(TickWorker):
    """Steps the rig in the worker thread. All slots must be called through queued signals."""

    blocks_ready = Signal(object)  # list[Block]
    error = Signal(str)
    status = Signal(
        object
    )  # dict(speed=x real time, sim_time=s, episodic, paused, bath=BathReport)
    episode_finished = Signal()
    ready = Signal()

    MAX_WALL_PER_TICK = 0.1  # s of wall time one tick may catch up (beyond it: slow down)
    BUDGET_PER_TICK = 0.012  # s of compute one tick may use
    MAX_IN_FLIGHT = 2  # deliveries the GUI may have queued before the worker waits
    LOADER_AFTER_S = 0.25  # s after start: numba's loader starts, delivery handled or not

    def __init__(
        self, rig: Rig, tick_ms: int = 10, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        """``clock`` gives seconds (wall time); tests pass a fake one to drive ticks by hand."""
        super().__init__()
        self.rig = rig
        self.tick_ms = tick_ms
        self._clock = clock
        self.sim: RigSimulator | None = None
        self._timer = None
        self._speed = 1.0
        self._paused = False
        self._acquisition = "gap-free"
        self._last = 0.0
        self._sim_acc = 0.0
        self._wall_acc = 0.0
        self._speed_measured = 0.0
        self._status_due = 0.0
        self.back_pressure = False
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self.held_ticks = 0  # ticks spent waiting for the GUI (reported in the status)
        self._handled = 0  # deliveries the GUI has acknowledged
        self._loader_due: float | None = None  # clock() time to start numba's loader

    # ------------------------------------------------------------------ back-pressure
    def acknowledge(self) -> None:
        """The GUI has handled one delivery (thread-safe; called from the GUI thread)."""
        with self._flight_lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._handled += 1

    @property
    def in_flight(self) -> int:
        """Deliveries sent and not yet acknowledged."""
        with self._flight_lock:
            return self._in_flight

    def _deliver(self, blocks: list) -> None:
        if self.back_pressure:
            with self._flight_lock:
                self._in_flight += 1
        self.blocks_ready.emit(blocks)

    # ------------------------------------------------------------------ life cycle
    @Slot()
    def start(self) -> None:
        """Create the simulator and the tick timer (runs in the worker thread).

        Until numba and the compiled kernels are in, the kernels run as Python
        (:func:`vlab.sim.jit.interpret_until_loaded`), so the first live frame does not
        wait for them; they load in a thread of their own once the GUI has taken the first
        delivery, or :data:`LOADER_AFTER_S` after the start (:meth:`_start_loader_when_due`;
        only once garbage collection is the GUI thread's, as under a :class:`ThreadHost`:
        see :mod:`vlab.gui.gc_guard`). The first tick runs at once."""
        if gc_guard.installed() and jit.interpret_until_loaded():
            self._loader_due = self._clock() + self.LOADER_AFTER_S
            gc_guard.freeze_after(jit.loading)  # the kernels live as long as the app
        try:
            self.sim = RigSimulator(self.rig)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            log.exception("cannot start the simulator")
            self.error.emit(str(exc))
            return
        # the first tick runs now, with one tick's worth of time, rather than a tick later:
        # the first live frame is what a student waits for at start-up
        self._last = self._clock() - self.tick_ms / 1000.0
        self._make_timer().start(self.tick_ms)
        self.ready.emit()
        self._tick()

    # ------------------------------------------------------------------ commands
    @Slot(float)
    def set_speed(self, factor: float) -> None:
        self._speed = min(max(float(factor), 0.01), 100.0)

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self._paused = bool(paused)
        self._last = self._clock()

    @Slot(str)
    def set_acquisition(self, acquisition: str) -> None:
        """``"gap-free"`` streams continuously; ``"episodic"`` idles between protocol runs."""
        self._acquisition = acquisition
        if acquisition == "gap-free" and self.sim is not None and self.sim.episodic:
            self.sim.stop_episode()

    @Slot(float, float)
    def stimulate(self, amplitude: float, duration: float) -> None:
        if self.sim is None:
            return
        try:
            self.sim.stimulate(amplitude, duration)
        except ValueError as exc:
            self.error.emit(str(exc))

    @Slot(object, bool)
    def run_protocol(self, protocol, repeat: bool) -> None:
        if self.sim is None:
            return
        try:
            self.sim.start_episode(protocol, repeat=repeat)
        except Exception as exc:  # noqa: BLE001 - protocol/area problems go to the user
            self.error.emit(str(exc))

    @Slot()
    def stop_protocol(self) -> None:
        if self.sim is not None and self.sim.episodic:
            self.sim.stop_episode()
            self.episode_finished.emit()

    @Slot()
    def reset_cell(self) -> None:
        if self.sim is not None:
            self.sim.stop_episode()
            self.sim.reset_cell()
            self._last = self._clock()

    def _start_loader_when_due(self, now: float) -> None:
        """Start numba's loader thread (:meth:`start`) once the GUI has handled a delivery
        (its first frame drawn) or at :attr:`_loader_due`, whichever comes first."""
        if self._loader_due is None:
            return
        with self._flight_lock:
            handled = self._handled > 0
        if handled or now >= self._loader_due:
            self._loader_due = None
            jit.load_in_background()

    def _stopping(self) -> None:
        """A loader not yet started starts now: the kernels must not stay interpreted for
        the rest of the process."""
        if self._loader_due is not None:
            self._loader_due = None
            jit.load_in_background()

    # ------------------------------------------------------------------ the tick
    @Slot()
    def _tick(self) -> None:
        now = self._clock()
        self._start_loader_when_due(now)
        wall = min(now - self._last, self.MAX_WALL_PER_TICK)
        self._last = now
        if self._paused or self.sim is None:
            return
        if self.back_pressure and self.in_flight >= self.MAX_IN_FLIGHT:
            self.held_ticks += 1  # the GUI is behind: wait for it (the simulation slows)
            self._wall_acc += wall
            return
        want = wall * self._speed
        sim = self.sim
        settings = self.rig.settings  # one complete snapshot for the whole tick
        blocks = []
        finished = False
        t_start = self._clock()
        done_sim = 0.0
        try:
            while want - done_sim > 1e-9:
                if not sim.episodic and self._acquisition == "episodic":
                    sim.idle(want - done_sim, settings)
                    done_sim = want
                    break
                t_before = sim.time
                b = sim.step(want - done_sim, settings)
                done_sim += max(sim.time - t_before, 1e-9)
                if b is not None:
                    blocks.append(b)
                    if b.episode_done and not sim.episodic:
                        finished = True
                        break
                if self._clock() - t_start > self.BUDGET_PER_TICK:
                    break  # could not keep up: the simulation slows, the GUI does not
        except SimulationError as exc:
            self._paused = True
            if blocks:
                self._deliver(blocks)
            self.error.emit(str(exc))
            return
        if blocks:
            self._deliver(blocks)
        if finished:
            self.episode_finished.emit()
        self._sim_acc += done_sim
        self._wall_acc += wall
        if now >= self._status_due:
            if self._wall_acc > 0:
                self._speed_measured = self._sim_acc / self._wall_acc
            self._sim_acc = self._wall_acc = 0.0
            self._status_due = now + 0.5
            self.status.emit(
                {
                    "speed": self._speed_measured,
                    "sim_time": sim.time,
                    "episodic": sim.episodic,
                    "paused": self._paused,
                    "held_ticks": self.held_ticks,
                    "bath": sim.bath_report(),
                }
            )


class ThreadHost(QObject):
    """Owns one worker QObject on its own QThread: start it, stop it cleanly.

    The worker must have a ``start`` slot (run in its thread when the thread starts) and a
    ``stop`` slot (stops its timers; called with a blocking queued connection so it runs
    in the worker thread). Every started thread is registered for :func:`live_threads`,
    which the tests' dangling-thread guard checks. Never ``terminate()``. Starting the
    first worker moves garbage collection to the GUI thread (:mod:`vlab.gui.gc_guard`)
    and shortens the GIL's switch interval (:func:`share_the_gil`).
    """

    def __init__(self, worker: HostedWorker, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # not ``self.thread``: that would hide QObject.thread() (the thread the host lives in)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName(name)
        self.worker = worker
        self.worker.moveToThread(self.worker_thread)
        self.worker_thread.started.connect(self.worker.start)
        self._running = False

    def start(self) -> None:
        if self._running:
            return
        gc_guard.install()
        share_the_gil()
        self._running = True
        track_thread(self.worker_thread)
        self.worker_thread.start()

    @property
    def running(self) -> bool:
        return self._running and self.worker_thread.isRunning()

    def shutdown(self) -> None:
        """Stop the worker's timers in its thread, quit the thread and wait for it."""
        if not self._running:
            return
        self._running = False
        if self.worker_thread.isRunning():
            # the stubs want the slot's name as bytes; PySide6 6.10 accepts only a str
            QMetaObject.invokeMethod(  # type: ignore[call-overload]
                self.worker, "stop", Qt.ConnectionType.BlockingQueuedConnection
            )
            self.worker_thread.quit()
            self.worker_thread.wait()


class WorkerHost(ThreadHost):
    """Owns the worker thread: start it, send it commands, stop it cleanly.

    The host's signals are connected to the worker's slots, so calling ``host.stimulate
    .emit(...)`` from the GUI thread queues the call into the worker thread. The worker's
    deliveries are relayed to the host's ``blocks_ready`` (in the GUI thread) and
    acknowledged once its receivers have returned: that is the back-pressure.
    """

    blocks_ready = Signal(object)  # list[Block], in the GUI thread, one delivery at a time
    worker: SimWorker

    stimulate = Signal(float, float)
    run_protocol = Signal(object, bool)
    stop_protocol = Signal()
    set_speed = Signal(float)
    set_paused = Signal(bool)
    set_acquisition = Signal(str)
    reset_cell = Signal()

    def __init__(self, rig: Rig, parent: QObject | None = None, tick_ms: int = 10) -> None:
        super().__init__(SimWorker(rig, tick_ms=tick_ms), "vlab-simulation", parent)
        self.stimulate.connect(self.worker.stimulate)
        self.run_protocol.connect(self.worker.run_protocol)
        self.stop_protocol.connect(self.worker.stop_protocol)
        self.set_speed.connect(self.worker.set_speed)
        self.set_paused.connect(self.worker.set_paused)
        self.set_acquisition.connect(self.worker.set_acquisition)
        self.reset_cell.connect(self.worker.reset_cell)
        self.worker.back_pressure = True
        self.worker.blocks_ready.connect(self._relay, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _relay(self, blocks) -> None:
        try:
            self.blocks_ready.emit(blocks)
        finally:
            self.worker.acknowledge()
