"""Record gap-free: the streamed data become a segment in the recording, bounded by the
memory budget, and every export format writes it like a sweep."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.rig.simulator import GAP_FREE_DT, RigSimulator

pytestmark = pytest.mark.gui

STIMULI = (0.3, 0.8, 1.1)  # s: MainWindow.stream_now's manual pulses


@pytest.fixture
def win(idle_window):
    return idle_window


def _spikes(vm: np.ndarray) -> int:
    """Upward crossings of 0 mV."""
    above = vm > 0.0
    return int(np.count_nonzero(above[1:] & ~above[:-1]))


def test_record_toggle_makes_one_segment_of_the_stream(win):
    assert win.stimulator.record_button.defaultAction() is win.record_gap_free_action
    win.record_gap_free_action.setChecked(True)
    win.stream_now(RigSimulator(win.rig), 1.5, stimuli=STIMULI)
    assert len(win.recording) == 0  # nothing is added until the toggle goes off
    win.record_gap_free_action.setChecked(False)
    (seg,) = win.recording.sweeps
    assert seg.provenance["acquisition"] == "gap-free" and seg.provenance["mode"] == "CC"
    assert seg.provenance["protocol_name"] == "gap-free"
    assert seg.t0 == pytest.approx(0.0, abs=GAP_FREE_DT)
    assert seg.dt == pytest.approx(GAP_FREE_DT)
    assert seg.duration == pytest.approx(1.5, abs=2 * GAP_FREE_DT)
    assert _spikes(seg["Vm"]) == len(STIMULI)  # 10 uA/cm2 x 1 ms pulses fire the squid axon
    assert seg.kept


def test_recording_stops_when_the_budget_is_full(win):
    win.budget.limit = win.budget.used + 200_000  # room for about 0.33 s of 3 float32 channels
    win.record_gap_free_action.setChecked(True)
    win.stream_now(RigSimulator(win.rig), 1.0, stimuli=())
    assert not win.record_gap_free_action.isChecked()
    (seg,) = win.recording.sweeps
    assert sum(a.nbytes for a in seg.channels.values()) <= 200_000
    assert seg.duration > 0.2


def test_episodic_acquisition_ends_the_segment(win):
    win.record_gap_free_action.setChecked(True)
    win.stream_now(RigSimulator(win.rig), 0.2, stimuli=())
    win.choose_acquisition("episodic")
    assert not win.record_gap_free_action.isChecked()
    assert len(win.recording) == 1
