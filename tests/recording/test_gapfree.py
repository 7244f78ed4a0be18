"""GapFreeRecorder: streamed chunks become one segment, bounded by the room it was given."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.recording import RecordingError, export_sweeps, read_npz
from vlab.recording.gapfree import GAP_FREE_CHANNELS, GapFreeRecorder

DT = 20e-6


def chunk(start: int, n: int, mode="CC"):
    """Samples start..start+n of a known signal (Vm a sine, Im a ramp, command zero)."""
    k = np.arange(start, start + n)
    t = k * DT
    return t, {"Vm": -0.065 + 1e-3 * np.sin(k / 50), "Im": 1e-12 * k, "command": 0 * t}, mode


def test_chunks_make_one_segment_with_its_start_time():
    rec = GapFreeRecorder(10**6, {"preparation": "squid"}, index=2)
    for start in range(500, 1500, 250):
        assert rec.add(*chunk(start, 250))
    s = rec.finish()
    k = np.arange(500, 1500)
    assert (s.index, s.n_samples) == (2, 1000)
    assert s.t0 == pytest.approx(500 * DT) and s.dt == pytest.approx(DT)
    assert list(s.channels) == list(GAP_FREE_CHANNELS)
    np.testing.assert_allclose(s["Vm"], -0.065 + 1e-3 * np.sin(k / 50), rtol=1e-6)
    assert s.provenance["acquisition"] == "gap-free" and s.provenance["mode"] == "CC"
    assert rec.finish() is None  # emptied


def test_limit_is_never_exceeded():
    per_chunk = 100 * 4 * len(GAP_FREE_CHANNELS)  # float32 bytes of a 100-sample chunk
    rec = GapFreeRecorder(int(2.5 * per_chunk), {})
    assert rec.add(*chunk(0, 100)) and rec.add(*chunk(100, 100))
    assert not rec.add(*chunk(200, 100)) and rec.full
    assert rec.nbytes == 2 * per_chunk <= rec.limit
    assert rec.finish().n_samples == 200


def test_mode_change_or_a_gap_is_refused():
    rec = GapFreeRecorder(10**6, {})
    assert rec.add(*chunk(0, 100))
    assert not rec.add(*chunk(100, 100, mode="VC"))  # the command would change unit
    assert not rec.add(*chunk(150, 100))  # not where the last chunk ended
    assert not rec.full and rec.n_samples == 100


def test_no_room_is_refused_in_words():
    with pytest.raises(RecordingError, match="room"):
        GapFreeRecorder(0, {})


def test_a_segment_exports_like_any_sweep(tmp_path):
    rec = GapFreeRecorder(10**6, {"preparation": "squid"})
    rec.add(*chunk(1000, 400))
    export_sweeps([rec.finish()], tmp_path / "g.npz")
    _, (back,) = read_npz(tmp_path / "g.npz")
    assert back.t0 == pytest.approx(1000 * DT) and back.n_samples == 400
