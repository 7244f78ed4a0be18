"""Cyclic garbage made in a worker thread is collected in the GUI thread (vlab.gui.gc_guard).

If the collector ran in a worker, it could destroy Qt objects there and deadlock against
the GUI thread (what froze CI once; the module docstring explains the mechanism).
"""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject, Signal, Slot

from vlab.gui import gc_guard
from vlab.gui.worker import ThreadHost


class _Node:
    pass


class Litterer(QObject):
    """Drops objects that only the cyclic collector can free, then allocates a lot."""

    done = Signal()

    def __init__(self, record: list[int]) -> None:
        super().__init__()
        self.record = record

    @Slot()
    def start(self) -> None:
        for _ in range(50):
            node = _Node()
            node.me = node  # a reference cycle: refcounting alone never frees it
            weakref.finalize(node, lambda: self.record.append(threading.get_ident()))
            del node
        # far more live container allocations than the youngest generation's threshold:
        # the collector is due (and, left automatic, would run here in the worker)
        self.junk = [[] for _ in range(20 * gc.get_threshold()[0])]
        self.done.emit()

    @Slot()
    def stop(self) -> None:
        pass


def test_worker_garbage_is_collected_in_the_gui_thread(qtbot, received):
    gc.collect()
    record: list[int] = []
    worker = Litterer(record)
    host = ThreadHost(worker, "vlab-litter")
    try:
        done = received(worker.done, with_arg=False)
        with qtbot.waitSignal(done.arrived, timeout=10000):
            host.start()
        # the guard's timer in the GUI thread collects the cycles
        qtbot.waitUntil(lambda: len(record) == 50, timeout=5000)
    finally:
        host.shutdown()
        del worker.junk
    assert gc_guard.installed() and not gc.isenabled()
    gui = threading.get_ident()
    assert set(record) == {gui}, "a cycle was collected outside the GUI thread"


def test_collect_due_follows_pythons_thresholds(qapp):
    gc_guard.install()
    t0 = gc.get_threshold()[0]
    gc.collect()
    assert gc_guard.collect_due() == 0 and gc.get_count()[0] <= t0  # nothing due
    keep = [[] for _ in range(2 * t0)]
    assert gc.get_count()[0] > t0  # not collected automatically: the guard is in charge
    gc_guard.collect_due()
    assert gc.get_count()[0] < t0
    del keep


@pytest.fixture
def fresh_guard(qapp, monkeypatch):
    """The guard as before its install, on a fake clock (restored afterwards)."""
    now = [1000.0]
    monkeypatch.setattr(gc_guard, "_timer", None)
    monkeypatch.setattr(gc_guard, "_freeze_at", None)
    monkeypatch.setattr(gc_guard, "_asked_at", float("-inf"))
    monkeypatch.setattr(gc_guard, "_long_lived", 0)
    monkeypatch.setattr(gc_guard, "_deferred", 0)
    monkeypatch.setattr(gc_guard, "_loading", [])
    monkeypatch.setattr(gc_guard, "clock", lambda: now[0])
    yield now
    if gc_guard._timer is not None:
        gc_guard._timer.stop()
        gc_guard._timer.deleteLater()


def test_install_collects_nothing_and_the_freeze_waits_its_turn(fresh_guard):
    """A full collection at install (25-60 ms) fell between the rig's first paint and its
    first live frame; it now comes FREEZE_AFTER_S later, at a turn of its own."""
    collections: list[int] = []

    def record(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    frozen = gc.get_freeze_count()
    gc.callbacks.append(record)
    try:
        gc_guard.install()
        assert collections == [] and not gc.isenabled()
        assert gc_guard.freeze_pending() and gc.get_freeze_count() == frozen
        fresh_guard[0] += gc_guard.FREEZE_AFTER_S * 0.9
        gc.collect(0)
        collections.clear()
        assert not gc_guard.due()  # the young generations are empty; the freeze waits
        assert gc_guard.collect_due() == 0 and collections == []
        fresh_guard[0] += gc_guard.FREEZE_AFTER_S * 0.2
        assert gc_guard.due()
        cycle = _Node()
        cycle.me = cycle  # garbage only the full collection can free
        del cycle
        assert gc_guard.collect_due() >= 1
        assert collections == [2] and not gc_guard.freeze_pending()
        assert gc.get_freeze_count() > frozen  # the survivors are out of later collections' way
    finally:
        gc.callbacks.remove(record)
        gc.unfreeze()


def test_the_freeze_waits_for_a_background_load_but_not_forever(fresh_guard):
    """numba and the compiled kernels load in a thread after start-up; frozen before they
    were in, ~70 thousand objects stayed in every later full collection (31 ms against
    5 ms). The freeze waits for a load it is told of, at most FREEZE_LATEST_S."""
    loading = [True]
    try:
        gc_guard.install()
        gc_guard.freeze_after(lambda: loading[0])
        fresh_guard[0] += gc_guard.FREEZE_AFTER_S * 1.5
        gc.collect(1)
        assert not gc_guard.due() and gc_guard.freeze_pending()  # still loading
        gc_guard.collect_due()
        assert gc_guard.freeze_pending()
        loading[0] = False  # loaded: the freeze is due at once
        assert gc_guard.due()
        gc_guard.collect_due()
        assert not gc_guard.freeze_pending()
        gc.unfreeze()
        gc_guard._timer.stop()
        gc_guard._timer = None
        loading[0] = True  # a load that never ends does not hold the freeze forever
        gc_guard.install()
        gc_guard.freeze_after(lambda: loading[0])
        fresh_guard[0] += gc_guard.FREEZE_LATEST_S * 0.9
        assert gc_guard.freeze_pending() and not gc_guard.due()
        fresh_guard[0] += gc_guard.FREEZE_LATEST_S * 0.2
        assert gc_guard.due()
        gc_guard.collect_due()
        assert not gc_guard.freeze_pending()
    finally:
        gc.unfreeze()


def test_the_timer_stands_back_while_a_pacer_asks(fresh_guard, monkeypatch):
    """A full collection (up to 120 ms under load) from the guard's own timer fell into a
    view's frame; while the rig window's pacer asks due(), only the pacer collects."""
    gc_guard.install()
    collected: list[int] = []
    monkeypatch.setattr(gc_guard, "collect_due", lambda: collected.append(1) or 0)
    gc_guard.due()  # a pacer asks
    fresh_guard[0] += gc_guard.FALLBACK_AFTER_S * 0.9
    gc_guard._timer.timeout.emit()
    assert collected == []
    fresh_guard[0] += gc_guard.FALLBACK_AFTER_S * 0.2  # nobody asked for a while
    gc_guard._timer.timeout.emit()
    assert collected == [1]


def test_a_full_collection_waits_for_the_oldest_generation_to_grow(fresh_guard):
    """A full collection walks everything made since the freeze (18-31 ms of the GUI
    thread in a Repeat soak) and came every ten collections of the middle generation even
    with the heap no longer growing. Like Python's own collector, the guard now collects
    the oldest generation only once it grew by FULL_SHARE since the last full collection;
    cyclic garbage in it is part of that growth and is still collected."""
    collections: list[int] = []

    def record(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    t2 = gc.get_threshold()[2]

    def middle_collections(n: int) -> None:  # each one counts towards the oldest's threshold
        for _ in range(n):
            gc.collect(1)

    gc_guard.install()
    fresh_guard[0] += gc_guard.FREEZE_AFTER_S
    gc.callbacks.append(record)
    try:
        gc_guard.collect_due()  # the start-up heap is collected and frozen
        kept = [[k] for k in range(20_000)]  # long-lived objects made after the freeze
        middle_collections(t2 + 1)  # ... in the oldest generation now, and a full one due
        assert gc_guard.due()
        collections.clear()
        gc_guard.collect_due()
        assert collections == [2]  # the oldest generation grew from nothing: collected
        middle_collections(t2 + 1)  # due again by the count, but it hardly grew since
        collections.clear()
        assert gc_guard.collect_due() == 0 and 2 not in collections
        assert not gc_guard.due()  # and the guard does not look again at every turn
        nodes = [_Node() for _ in range(4 * len(kept) // 10)]  # 40 % more ...
        for node in nodes:
            node.me = node
        middle_collections(1)  # ... reach the oldest generation, then become garbage
        del nodes, node
        middle_collections(t2)  # another ten: the guard looks again
        assert gc_guard.due()
        collections.clear()
        assert gc_guard.collect_due() >= 8_000  # the cycles are found
        assert collections == [2]
    finally:
        gc.callbacks.remove(record)
        gc.unfreeze()
        del kept
