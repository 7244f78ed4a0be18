"""Bounded, honest recording: compact sweeps, a memory budget, back-pressure to the worker.

Count-based (no wall-clock assertions): the worker is ticked by hand and the window is fed
by a simulator on the test's thread.
"""

from __future__ import annotations

import numpy as np
import pytest

from vlab.gui.worker import SimWorker, WorkerHost
from vlab.protocols import load_protocol
from vlab.recording.budget import MemoryBudget, sweep_nbytes
from vlab.rig import Rig
from vlab.rig.simulator import RigSimulator

pytestmark = pytest.mark.gui


class _Clock:
    """A fake wall clock: every tick sees 20 ms pass."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _tick(worker: SimWorker) -> None:
    worker._clock.now += 0.02
    worker._tick()


def test_worker_waits_for_the_gui_after_two_unacknowledged_deliveries(qtbot):
    w = SimWorker(Rig("squid"), clock=_Clock())
    w.sim = RigSimulator(w.rig)
    w.back_pressure = True
    got = []
    w.blocks_ready.connect(got.append)  # same thread: direct
    for _ in range(5):
        _tick(w)
    assert len(got) == SimWorker.MAX_IN_FLIGHT == 2
    assert w.in_flight == 2 and w.held_ticks == 3
    t_held = w.sim.time
    _tick(w)
    assert w.sim.time == t_held  # held: the simulation waits, nothing piles up
    w.acknowledge()
    _tick(w)
    assert len(got) == 3 and w.sim.time > t_held


def test_host_acknowledges_each_delivery_after_its_receivers_ran(qtbot):
    host = WorkerHost(Rig("squid"))
    seen = []
    host.blocks_ready.connect(lambda blocks: seen.append(host.worker.in_flight))
    host.worker._in_flight = 1  # one delivery sent
    host._relay(["a block"])
    assert seen == [1]  # the receiver ran while the delivery was still counted
    assert host.worker.in_flight == 0  # then it was acknowledged


def test_repeat_recording_stays_inside_its_budget_and_keeps_the_last_cycle(idle_window, rig):
    win = idle_window
    p = load_protocol("single_pulse")  # one 30 ms sweep per cycle
    per_sweep = 16 * p.n_samples * 4  # 16 channels, float32
    win.budget = MemoryBudget(limit=5 * per_sweep)
    sim = RigSimulator(rig)
    sim.start_episode(p, repeat=True)
    recorded = 0
    while recorded < 20:
        b = sim.step(0.05)
        if b is not None:
            win.on_blocks([b])
            recorded += b.record is not None
            total = sum(sweep_nbytes(s) for s in win.recording)
            assert total <= win.budget.limit  # never over the budget
    assert len(win.recording) == 5 and win.budget.dropped == 15
    assert all(s["Vm"].dtype == np.float32 for s in win.recording)
    assert not any(s.kept for s in win.recording)  # Repeat sweeps arrive un-kept
    assert [s.provenance["cycle"] for s in win.recording] == list(range(15, 20))
    win._update_status_labels()
    used, limit = 5 * per_sweep / 2**20, 5 * per_sweep / 2**20
    assert win.memory_label.text() == f"rec {used:.1f} / {limit:.1f} MB"
    win._on_episode_finished()  # the run was stopped
    assert [s.kept for s in win.recording] == [False] * 4 + [True]
    assert "kept" in win.statusBar().currentMessage()


def test_kept_sweeps_beyond_the_budget_are_kept_and_the_student_is_told(idle_window):
    """Kept data is never dropped, so memory grows with it: the budget says it is full."""
    from vlab.recording import Sweep

    win = idle_window
    t = np.arange(1000) * 1e-4
    per_sweep = t.size * 4  # one float32 channel
    win.budget = MemoryBudget(limit=2 * per_sweep)
    for k in range(3):
        win.record_sweep(Sweep(index=k, dt=1e-4, channels={"Vm": -0.065 + 0 * t}))
    assert len(win.recording) == 3 and win.budget.over  # nothing dropped
    assert "budget full" in win.statusBar().currentMessage()
    win._update_memory_label()
    assert "full" in win.memory_label.text()
