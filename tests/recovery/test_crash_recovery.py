"""Kill -9 during a recording loses nothing: the next start finds every journaled sweep."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vlab.protocols import load_protocol
from vlab.recording import Sweep
from vlab.recording.journal import Journal, find_orphans, read_journal
from vlab.rig import Rig

CHILD = Path(__file__).with_name("record_then_wait.py")


def test_kill_9_mid_recording_loses_no_sweep(tmp_path):
    folder = tmp_path / "recovery"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        seen = [child.stdout.readline().split() for _ in range(14)]  # more than one family
        assert find_orphans(folder) == []  # the live instance's journal is locked
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    (orphan,) = find_orphans(folder)
    found = read_journal(orphan)
    assert len(found.sweeps) >= len(seen)  # it may have journaled one more before the kill
    for (index, digest), sweep in zip(seen, found.sweeps[: len(seen)], strict=True):
        assert hashlib.sha256(sweep["Vm"].tobytes()).hexdigest() == digest, index
    assert found.worth_offering
    rig = Rig()
    rig.load_state(found.state)  # the settings, the protocol choice too, restore
    assert rig.protocol.name == load_protocol("vc_step_family").name


def _sweep(k: int) -> Sweep:
    return Sweep(index=k, dt=1e-4, channels={"Vm": np.full(50, -0.065 + k * 1e-3)})


def test_saved_and_cleared_markers_leave_only_unsaved_sweeps(tmp_path):
    j = Journal(tmp_path)
    for k in range(3):
        j.sweep(_sweep(k))
    j.mark("saved")
    j.sweep(_sweep(3))
    j.close(delete=False)
    found = read_journal(j.path)
    assert [s.index for s in found.sweeps] == [3]
    j2 = Journal(tmp_path / "b")
    j2.sweep(_sweep(0))
    j2.mark("cleared")
    j2.close(delete=False)
    assert read_journal(j2.path).sweeps == []


@pytest.mark.parametrize("cut", [1, 7, 100])
def test_a_record_cut_short_keeps_everything_before_it(tmp_path, cut):
    j = Journal(tmp_path)
    for k in range(4):
        j.sweep(_sweep(k))
    j.close(delete=False)
    data = j.path.read_bytes()
    j.path.write_bytes(data[:-cut])
    found = read_journal(j.path)
    assert [s.index for s in found.sweeps] == [0, 1, 2]
    assert found.damaged_tail
    assert found.sweeps[2]["Vm"][0] == pytest.approx(-0.063)


def test_bit_flips_in_a_journal_never_raise(tmp_path):
    j = Journal(tmp_path)
    for k in range(3):
        j.sweep(_sweep(k))
    j.close(delete=False)
    good = j.path.read_bytes()
    rng = np.random.default_rng(3)
    for _ in range(200):
        data = bytearray(good)
        data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        j.path.write_bytes(bytes(data))
        found = read_journal(j.path)
        assert len(found.sweeps) <= 3


def test_a_closed_journal_is_deleted_and_an_unwritable_one_switches_off(tmp_path):
    j = Journal(tmp_path)
    j.close()
    assert not j.path.exists() and find_orphans(tmp_path) == []
    blocker = tmp_path / "file"
    blocker.write_text("")
    off = Journal(blocker / "recovery")
    assert not off.active and "crash recovery is off" in off.problem
    off.sweep(_sweep(0))  # no exception
