"""The crash-recovery journal holds what the recording keeps: a Repeat run's sweeps are
journalled when they are kept (the newest cycle, when the run stops), not as they arrive.
Journalling every Repeat sweep wrote ~0.2 MB per sweep to disk (gigabytes in the 30-minute
soak of bench/bench_soak.py) for sweeps the memory budget drops anyway."""

from __future__ import annotations

import pytest

from vlab.protocols import load_protocol
from vlab.recording.budget import MemoryBudget
from vlab.recording.journal import read_journal
from vlab.rig.simulator import RigSimulator

pytestmark = pytest.mark.gui


def test_repeat_sweeps_are_journalled_when_kept(idle_window, rig):
    win = idle_window
    p = load_protocol("single_pulse")  # one sweep per cycle
    win.budget = MemoryBudget(limit=10 * 2**20)
    sim = RigSimulator(rig)
    sim.start_episode(p, repeat=True)
    recorded = 0
    while recorded < 6:
        b = sim.step(0.05)
        if b is not None:
            win.on_blocks([b])
            recorded += b.record is not None
    assert win.journal.active and win.journal.sweeps_written == 0  # none kept yet
    win._on_episode_finished()  # the run was stopped: its last cycle is kept
    kept = [s for s in win.recording if s.kept]
    assert len(kept) == 1 and win.journal.sweeps_written == 1
    back = read_journal(win.journal.path)
    assert [s.provenance["cycle"] for s in back.sweeps] == [kept[0].provenance["cycle"]]
