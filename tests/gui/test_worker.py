"""The simulation worker thread: pacing, commands, clean stop."""

from __future__ import annotations

import pytest

from vlab.gui.worker import WorkerHost, live_threads
from vlab.rig import Rig

pytestmark = pytest.mark.gui


@pytest.fixture
def host(qtbot):
    h = WorkerHost(Rig("squid"))
    yield h
    h.shutdown()
    assert not h.thread.isRunning()


def test_paced_to_wall_clock(qtbot, host):
    speeds = []
    host.worker.status.connect(lambda info: speeds.append(info["speed"]))
    with qtbot.waitSignal(host.worker.ready, timeout=15000):
        host.start()
    qtbot.waitUntil(lambda: len(speeds) >= 3, timeout=10000)
    assert 0.5 < speeds[-1] < 1.3


def test_blocks_arrive_in_gui_thread_at_most_50_hz(qtbot, host):
    got = []
    host.worker.blocks_ready.connect(lambda blocks: got.append(blocks))
    with qtbot.waitSignal(host.worker.ready, timeout=15000):
        host.start()
    qtbot.waitUntil(lambda: len(got) >= 10, timeout=10000)
    sim_t = sum(b.t[-1] - b.t[0] + host.worker.sim.dt for blocks in got for b in blocks)
    assert all(b.sweep is None for blocks in got for b in blocks)
    assert len(got) <= 1.5 * 50 * max(sim_t, 0.2)  # one emit per 20 ms tick


def test_shutdown_is_clean_and_idempotent(qtbot):
    h = WorkerHost(Rig("squid"))
    with qtbot.waitSignal(h.worker.ready, timeout=15000):
        h.start()
    assert h.thread in live_threads()
    h.shutdown()
    h.shutdown()
    assert not h.thread.isRunning()
    assert h.worker._timer is None
    assert not live_threads()
