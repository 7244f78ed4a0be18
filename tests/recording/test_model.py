"""Sweep and Recording: validation, units, selection."""

from __future__ import annotations

import enum
import subprocess
import sys

import numpy as np
import pytest
from recording_factory import make_sweep

from vlab.recording import (
    CHANNEL_UNITS,
    Recording,
    RecordingError,
    Sweep,
    channel_unit,
    is_voltage_clamp,
)


def test_nan_sweep_is_rejected_with_a_clear_message():
    vm = np.full(100, -65e-3)
    vm[42] = np.nan
    with pytest.raises(RecordingError, match=r"channel Vm has a non-finite value.*sample 42"):
        Sweep(0, 1e-5, {"Vm": vm, "Im": np.zeros(100)})


def test_inf_is_rejected_too():
    with pytest.raises(RecordingError, match="non-finite"):
        Sweep(0, 1e-5, {"Im": np.array([0.0, np.inf])})


@pytest.mark.parametrize("dt", [0.0, -1e-5, np.nan, np.inf, "fast"])
def test_bad_dt_is_rejected(dt):
    with pytest.raises(RecordingError):
        Sweep(0, dt, {"Vm": np.zeros(3)})


def test_unequal_lengths_are_rejected():
    with pytest.raises(RecordingError, match="unequal lengths"):
        Sweep(0, 1e-5, {"Vm": np.zeros(10), "Im": np.zeros(11)})


@pytest.mark.parametrize("channels", [{}, {"Vm": np.zeros(0)}, {"Vm": np.zeros((2, 2))}])
def test_empty_or_2d_channels_are_rejected(channels):
    with pytest.raises(RecordingError):
        Sweep(0, 1e-5, channels)


def test_command_needs_a_known_mode():
    with pytest.raises(RecordingError, match="clamp mode"):
        Sweep(0, 1e-5, {"Vm": np.zeros(3), "command": np.zeros(3)})
    with pytest.raises(RecordingError, match="clamp mode"):
        Sweep(0, 1e-5, {"command": np.zeros(3)}, provenance={"mode": "XX"})


def test_channel_units_table_and_prefix_rule():
    assert (
        CHANNEL_UNITS["Vm"] == "V" and CHANNEL_UNITS["INa"] == "A" and CHANNEL_UNITS["gNa"] == "S"
    )
    assert channel_unit("m") == "1"
    assert channel_unit("Ih") == "A"  # unknown current
    assert channel_unit("gh") == "S"  # unknown conductance
    assert channel_unit("q") == "1"
    assert channel_unit("command", "VC") == "V"
    assert channel_unit("command", "IC") == "A"
    assert channel_unit("command", "I=0") == "A"


def test_mode_accepts_str_enums():
    class ClampMode(str, enum.Enum):  # like vlab.rig (StrEnum needs Python 3.11)
        VC = "VC"
        IC = "IC"

    assert is_voltage_clamp(ClampMode.VC)
    s = Sweep(0, 1e-5, {"command": np.zeros(2)}, provenance={"mode": ClampMode.IC})
    # read in any spelling, written in one ("IC" is read as current clamp, written "CC")
    assert s.provenance["mode"] == "CC" and type(s.provenance["mode"]) is str
    assert s.unit("command") == "A"


def test_provenance_is_made_json_safe_and_stamped():
    s = Sweep(
        0,
        1e-5,
        {"Vm": [0.0, 1.0]},
        provenance={"seed": np.int64(3), "g": np.float32(0.5), "v": np.arange(2), "t": (1, 2)},
    )
    assert s.provenance["seed"] == 3 and type(s.provenance["seed"]) is int
    assert s.provenance["v"] == [0, 1] and s.provenance["t"] == [1, 2]
    assert s.provenance["vlab_version"] and s.provenance["created"]
    with pytest.raises(RecordingError, match="cannot be stored as JSON"):
        Sweep(0, 1e-5, {"Vm": [0.0]}, provenance={"bad": object()})


def test_arrays_are_float64_read_only_and_time_is_in_seconds():
    s = Sweep(1, 1e-4, {"Vm": np.array([1, 2, 3], dtype=np.int32)}, t0=2.0)
    assert s["Vm"].dtype == np.float64
    with pytest.raises(ValueError):
        s["Vm"][0] = 5.0
    np.testing.assert_allclose(s.time(), [0.0, 1e-4, 2e-4])
    np.testing.assert_allclose(s.time(absolute=True), [2.0, 2.0001, 2.0002])
    assert s.n_samples == 3 and s.duration == pytest.approx(3e-4)


def test_recording_append_remove_select(ic_sweeps, vc_sweeps):
    rec = Recording(metadata={"student": "Ada"})
    for s in ic_sweeps + vc_sweeps:
        rec.append(s)
    assert len(rec) == 6 and rec[0] is ic_sweeps[0]
    assert [s.index for s in rec.select(mode="VC")] == [0, 1, 2]
    assert all(s.kept for s in rec.select(kept=True))
    assert len(rec.select(label="TTX", kept=True)) == 2
    assert len(rec.select(run_id="run-1")) == 3
    assert [s.index for s in rec.select(positions=[4, 0])] == [1, 0]
    assert rec.select(kept=False).metadata == {"student": "Ada"}
    assert rec.labels == ["control", "TTX"]
    rec.remove(ic_sweeps[1])
    assert rec.remove(0) is ic_sweeps[0]
    assert len(rec) == 4
    with pytest.raises(RecordingError):
        rec.remove(ic_sweeps[1])
    with pytest.raises(RecordingError):
        rec.append("not a sweep")  # type: ignore[arg-type]


def test_factory_sweep_is_valid():
    s = make_sweep(0, "VC")
    assert s.mode == "VC" and s.unit("command") == "V"


def test_import_is_light():
    code = (
        "import sys, vlab.recording\n"
        "heavy = [m for m in ('pynwb', 'pyabf', 'h5py', 'hdmf', 'PySide6') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
