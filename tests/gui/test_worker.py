"""The simulation worker: pacing, speed, compute budget, delivery thread, clean stop.

Pacing is tested with a fake clock and a fake simulator, driving ``_tick`` by hand: no
wall-clock timing, so the numbers are exact on any machine under any load.
"""

from __future__ import annotations

import math
import sys
import threading

import pytest
from PySide6.QtCore import QThread

from vlab.gui.worker import SimWorker, WorkerHost, live_threads
from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator

pytestmark = pytest.mark.gui


class FakeClock:
    """Wall time in seconds that moves only when a test (or the fake simulator) says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeBlock:
    episode_done = False


class FakeSim:
    """Stands in for RigSimulator: each step advances at most ``chunk`` s of simulated time
    and costs ``cost`` s of (fake) wall-clock compute time."""

    episodic = False

    def __init__(self, clock: FakeClock, chunk: float = 1e-3, cost: float = 0.0) -> None:
        self.clock, self.chunk, self.cost = clock, chunk, cost
        self.time = 0.0
        self.steps = 0
        self.settings_seen: list = []  # the snapshot each step was handed
        self.on_step = None  # called before each step (a test changes the rig there)

    def step(self, duration: float, settings=None) -> FakeBlock:
        if self.on_step is not None:
            self.on_step()
        self.steps += 1
        self.settings_seen.append(settings)
        self.clock.now += self.cost
        self.time += min(duration, self.chunk)
        return FakeBlock()

    def bath_report(self):
        return None


def _worker(qapp, clock: FakeClock, sim=None) -> SimWorker:
    """A worker driven by hand in this thread (no QThread, no QTimer)."""
    w = SimWorker(Rig("squid"), clock=clock)
    w.sim = sim if sim is not None else FakeSim(clock)
    w._last = clock()
    return w


def _run_ticks(w: SimWorker, clock: FakeClock, n: int, wall: float = 0.01) -> float:
    """``n`` ticks ``wall`` s apart; returns the simulated time they advanced."""
    t0 = w.sim.time
    for _ in range(n):
        clock.now += wall
        w._tick()
    return w.sim.time - t0


def test_one_settings_snapshot_serves_every_step_of_a_tick(qapp):
    """The worker reads ``rig.settings`` once a tick: a change made while the tick runs
    (here: between its steps) reaches the next tick, never half of this one."""
    clock = FakeClock()
    sim = FakeSim(clock, chunk=1e-3)
    w = _worker(qapp, clock, sim)
    rig = w.rig
    gains = iter([2, 5, 10, 20, 50, 100] * 10)
    sim.on_step = lambda: rig.set_gain(next(gains))  # the GUI edits mid-tick
    before = rig.settings
    clock.now += 0.005  # 5 ms at 1x: five 1 ms steps in this tick
    w._tick()
    assert sim.steps == 5
    assert all(s is before for s in sim.settings_seen)  # not one of the five new ones
    clock.now += 0.005
    w._tick()
    assert {id(s) for s in sim.settings_seen[5:]} == {id(sim.settings_seen[5])}
    assert sim.settings_seen[5].amplifier.gain == 50  # the newest when the tick began


@pytest.mark.parametrize("speed", [0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
def test_speed_sets_simulated_time_per_tick(qapp, speed):
    """Each tick advances (wall time since the last tick) x speed of simulated time."""
    clock = FakeClock()
    w = _worker(qapp, clock)
    w.set_speed(speed)
    advanced = _run_ticks(w, clock, 20, wall=0.01)
    assert advanced == pytest.approx(20 * 0.01 * speed, rel=1e-6)


def test_speed_with_the_real_simulator(qapp):
    """The same ratio through RigSimulator (gap-free): 5x speed is 5x the simulated time."""
    clock = FakeClock()
    slow = _worker(qapp, clock, RigSimulator(Rig("squid")))
    fast = _worker(qapp, clock, RigSimulator(Rig("squid")))
    fast.set_speed(5.0)
    for w in (slow, fast):
        w._last = clock()
    t_slow = t_fast = 0.0
    for _ in range(5):
        clock.now += 0.01
        t0 = slow.sim.time
        slow._tick()
        t_slow += slow.sim.time - t0
        t0 = fast.sim.time
        fast._tick()
        t_fast += fast.sim.time - t0
    dt = slow.sim.dt
    assert t_slow == pytest.approx(0.05, abs=5 * dt)
    assert t_fast == pytest.approx(0.25, abs=5 * dt)


def test_paused_worker_advances_nothing_and_resumes_without_catch_up(qapp):
    clock = FakeClock()
    w = _worker(qapp, clock)
    w.set_paused(True)
    assert _run_ticks(w, clock, 10) == 0.0
    clock.now += 5.0  # a long pause
    w.set_paused(False)
    assert _run_ticks(w, clock, 1, wall=0.01) == pytest.approx(0.01)


def test_catch_up_per_tick_is_capped(qapp):
    """A tick after a stall (e.g. the machine was busy for 2 s) catches up at most
    MAX_WALL_PER_TICK x speed, so the simulation slows instead of jumping."""
    clock = FakeClock()
    w = _worker(qapp, clock)
    assert _run_ticks(w, clock, 1, wall=2.0) == pytest.approx(SimWorker.MAX_WALL_PER_TICK)


def test_compute_budget_per_tick_protects_the_gui(qapp):
    """When computing is slower than real time, a tick stops after BUDGET_PER_TICK of
    compute: the simulation slows down (and the status says so), the GUI never waits."""
    clock = FakeClock()
    sim = FakeSim(clock, chunk=1e-3, cost=5e-3)  # 5 ms of compute per 1 ms simulated
    w = _worker(qapp, clock, sim)
    status = []
    w.status.connect(status.append)
    clock.now += 0.1
    w._tick()  # wants 100 ms simulated = 100 steps = 500 ms of compute without a budget
    max_steps = math.floor(SimWorker.BUDGET_PER_TICK / 5e-3) + 1
    assert 1 <= sim.steps <= max_steps
    assert sim.time == pytest.approx(sim.steps * 1e-3)
    assert status and status[-1]["speed"] == pytest.approx(sim.time / 0.1)
    assert status[-1]["speed"] < 0.1


def test_status_reports_the_real_speed(qapp):
    clock = FakeClock()
    w = _worker(qapp, clock, FakeSim(clock, chunk=1.0))
    w.set_speed(2.0)
    status = []
    w.status.connect(status.append)
    _run_ticks(w, clock, 60, wall=0.01)  # 0.6 s: the status is due every 0.5 s
    assert [s["speed"] for s in status] == pytest.approx([2.0, 2.0])
    # the first status goes out at the first tick, the next one 0.5 s later (tick 51)
    assert status[-1]["sim_time"] == pytest.approx(2.0 * 51 * 0.01)


def test_at_most_one_emit_per_tick_with_every_block(qapp):
    """Many simulator chunks in one tick leave as one ``blocks_ready`` list, so the GUI
    thread gets at most 1000/tick_ms emits per second of wall time (100 Hz at 10 ms)."""
    clock = FakeClock()
    sim = FakeSim(clock, chunk=1e-3)
    w = _worker(qapp, clock, sim)
    w.set_speed(5.0)
    emits = []
    w.blocks_ready.connect(emits.append)
    _run_ticks(w, clock, 100, wall=w.tick_ms / 1000)  # 1 s of wall time
    assert sim.steps == 100 * 50  # 50 chunks per tick ...
    assert len(emits) == 100  # ... in one emit per tick
    assert sum(len(e) for e in emits) == sim.steps


@pytest.fixture
def host(qtbot):
    h = WorkerHost(Rig("squid"))
    yield h
    h.shutdown()
    assert not h.worker_thread.isRunning()


def test_blocks_arrive_in_gui_thread_once_per_tick(qtbot, qapp, host, received):
    """Blocks are made in the worker thread and handled in the GUI thread, and the thread
    never emits more often than it ticks."""
    emitted_in = set()
    ticks = []
    host.worker.blocks_ready.connect(lambda _b: emitted_in.add(threading.get_ident()))
    real_tick = host.worker._tick
    host.worker._tick = lambda: (ticks.append(1), real_tick())  # counted in the worker
    ready = received(host.worker.ready, with_arg=False)
    got = received(host.worker.blocks_ready)
    with qtbot.waitSignal(ready.arrived, timeout=15000):
        host.start()
    qtbot.waitUntil(lambda: len(got) >= 5, timeout=15000)
    host.shutdown()
    gui = qapp.thread()
    assert all(th is gui for th in got.threads)
    assert emitted_in and threading.get_ident() not in emitted_in
    assert QThread.currentThread() is gui
    assert len(got) <= len(ticks)
    assert all(b.sweep is None for blocks in got.args for b in blocks)


def test_shutdown_is_clean_and_idempotent(qtbot, received):
    h = WorkerHost(Rig("squid"))
    ready = received(h.worker.ready, with_arg=False)
    with qtbot.waitSignal(ready.arrived, timeout=15000):
        h.start()
    assert h.worker_thread in live_threads()
    h.shutdown()
    h.shutdown()
    assert not h.worker_thread.isRunning()
    assert h.worker._timer is None
    assert not live_threads()


@pytest.fixture
def switch_interval():
    """Python's GIL switch interval, put back after the test."""
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("before, after", [(0.005, 0.001), (0.0005, 0.0005)])
def test_starting_a_worker_shortens_the_gil_switch_interval(
    qtbot, received, switch_interval, before, after
):
    """With a worker thread running, the GUI thread waits at most 1 ms for its Python at
    each hand-over of the GIL (Python's default is 5 ms); a shorter interval stays."""
    sys.setswitchinterval(before)
    h = WorkerHost(Rig("squid"))
    ready = received(h.worker.ready, with_arg=False)
    with qtbot.waitSignal(ready.arrived, timeout=15000):
        h.start()
    try:
        assert sys.getswitchinterval() == pytest.approx(after)
    finally:
        h.shutdown()


def test_the_host_keeps_qobject_thread(qapp, host):
    """The worker's QThread is ``worker_thread``; ``host.thread()`` stays QObject's (the
    thread the host lives in). Before, an attribute ``thread`` hid the method."""
    assert host.thread() is qapp.thread()
    assert host.worker.thread() is host.worker_thread


# ---------------------------------------------------------------- start-up (issue 10, item 7)
def test_the_first_tick_runs_at_start_with_one_ticks_worth(qapp):
    """The first block is simulated as the worker starts, not one tick (10 ms) later."""
    clock = FakeClock()
    w = SimWorker(Rig("squid"), clock=clock)
    got: list = []
    w.blocks_ready.connect(got.append)  # same thread: a direct call
    w.start()
    try:
        assert len(got) == 1 and got[0]  # delivered before any timer tick
        assert w.sim.time == pytest.approx(w.tick_ms / 1000.0)  # 1x: one tick of wall time
    finally:
        w.stop()


@pytest.fixture
def loader_calls(monkeypatch):
    """Pretend numba is still to load: record when the worker starts the loader."""
    from vlab.gui import gc_guard
    from vlab.sim import jit

    calls: list[str] = []
    monkeypatch.setattr(gc_guard, "installed", lambda: True)
    monkeypatch.setattr(jit, "interpret_until_loaded", lambda: calls.append("interpret") or True)
    monkeypatch.setattr(jit, "load_in_background", lambda: calls.append("load") or True)
    return calls


def _started(clock: FakeClock) -> SimWorker:
    w = SimWorker(Rig("squid"), clock=clock)
    w.back_pressure = True
    w.start()
    return w


def test_numba_loads_once_the_gui_has_handled_the_first_delivery(qapp, loader_calls):
    """The loader's import competed with the first block and its drawing for the CPU and
    the GIL: it starts at the first tick after the GUI acknowledged a delivery."""
    clock = FakeClock()
    w = _started(clock)
    try:
        assert loader_calls == ["interpret"] and w.in_flight == 1  # first block, not drawn
        _run_ticks(w, clock, 3)
        assert loader_calls == ["interpret"]
        w.acknowledge()
        _run_ticks(w, clock, 1)
        assert loader_calls == ["interpret", "load"]
        _run_ticks(w, clock, 30)
        assert loader_calls == ["interpret", "load"]  # once
    finally:
        w.stop()
    assert loader_calls == ["interpret", "load"]


def test_the_garbage_collectors_freeze_waits_for_the_kernels(qapp, loader_calls, monkeypatch):
    """numba's objects live as long as the app: frozen out of the collector's reach with
    the rest of start-up, not walked by every later full collection (gc_guard)."""
    from vlab.gui import gc_guard
    from vlab.sim import jit

    told: list = []
    monkeypatch.setattr(gc_guard, "freeze_after", told.append)
    w = _started(FakeClock())
    try:
        assert told == [jit.loading]
    finally:
        w.stop()


def test_numba_loads_after_a_while_without_any_delivery(qapp, loader_calls):
    clock = FakeClock()
    w = _started(clock)
    try:
        w.set_paused(True)  # nothing delivered, nothing acknowledged
        clock.now += SimWorker.LOADER_AFTER_S * 0.9
        w._tick()
        assert loader_calls == ["interpret"]
        clock.now += SimWorker.LOADER_AFTER_S * 0.2
        w._tick()
        assert loader_calls == ["interpret", "load"]
    finally:
        w.stop()


def test_a_worker_stopped_early_still_starts_the_loader(qapp, loader_calls):
    """Else the kernels would stay interpreted (slow) for the rest of the process."""
    w = _started(FakeClock())
    w.stop()
    assert loader_calls == ["interpret", "load"]
