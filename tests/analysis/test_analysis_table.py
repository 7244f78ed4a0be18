"""Per-sweep summaries, the text table, and the package's import hygiene."""

from __future__ import annotations

import math
import subprocess
import sys
from enum import Enum

import numpy as np
import pytest

from vlab.analysis import detect_spikes, format_table, summarise_sweeps

DT = 10e-6
T = np.arange(0, 0.1, DT)


def spike_train(peaks) -> np.ndarray:
    v = np.full_like(T, -0.065)
    for tp in peaks:
        v += 0.1 * np.exp(-0.5 * ((T - tp) / 0.3e-3) ** 2)
    return v


def test_current_clamp_rows_match_detect_spikes():
    v = np.vstack([spike_train([]), spike_train([0.03]), spike_train([0.02, 0.04, 0.09])])
    rows = summarise_sweeps(T, v, "CC", window=(0.01, 0.06))
    assert [r["sweep"] for r in rows] == [0, 1, 2]
    assert [r["n_spikes"] for r in rows] == [0, 1, 2]  # the spike at 90 ms is outside
    # interspike-interval frequency: spikes placed 20 ms apart fire at 50 Hz; one spike
    # has no rate (not "1 spike / window")
    assert rows[2]["rate"] == pytest.approx(1 / 0.020, rel=1e-3)
    assert math.isnan(rows[1]["rate"])
    assert math.isnan(rows[0]["threshold"]) and math.isnan(rows[0]["latency"])
    (s,) = detect_spikes(T, v[1], stim_onset=0.01)
    assert rows[1]["first_spike"] == s.t_cross
    assert rows[1]["latency"] == pytest.approx(s.t_cross - 0.01)
    assert rows[1]["threshold"] == s.v_threshold and rows[1]["peak"] == s.v_peak
    assert rows[1]["ahp"] == s.v_ahp and rows[1]["half_width"] == s.half_width
    # ClampMode-like enums are accepted through their value.
    mode = Enum("ClampMode", {"IC": "IC", "VC": "VC"})
    assert summarise_sweeps(T, v, mode.IC, window=(0.01, 0.06)) == rows


def test_voltage_clamp_rows():
    i = np.where(T >= 0.02, -1.5e-9 * np.exp(-(T - 0.02) / 2e-3) + 0.4e-9, 0.0)
    rows = summarise_sweeps(T, i, "VC", window=(0.02, 0.08))
    (row,) = rows
    assert row["peak_inward"] == pytest.approx(-1.1e-9)
    assert row["t_peak_inward"] == pytest.approx(0.02)
    assert row["peak_outward"] == pytest.approx(0.4e-9, rel=1e-6)
    assert row["steady_state"] == pytest.approx(0.4e-9, rel=1e-6)
    with pytest.raises(TypeError):
        summarise_sweeps(T, i, "VC", level=-0.02)
    with pytest.raises(ValueError, match="mode"):
        summarise_sweeps(T, i, "XX")


def test_format_table_units_and_alignment():
    rows = [
        {"sweep": 0, "n_spikes": 2, "threshold": -0.0523, "half_width": 1.25e-3, "note": 0.5},
        {"sweep": 1, "n_spikes": 0, "threshold": math.nan, "half_width": math.nan, "note": 2.0},
    ]
    text = format_table(rows)
    lines = text.splitlines()
    assert len(lines) == 4
    assert "threshold (mV)" in lines[0] and "half-width (ms)" in lines[0]
    assert "-52.3" in lines[2] and "1.250" in lines[2]
    assert lines[3].split()[2:4] == ["-", "-"]  # NaN shown as '-'
    assert [ln.split()[0] for ln in lines[2:]] == ["1", "2"]  # numbered like every message
    assert len({len(line) for line in lines}) == 1  # fixed width
    vc = format_table([{"sweep": 0, "peak_inward": -1.1e-9, "t_peak_inward": 0.0205}])
    assert "peak inward (nA)" in vc and "-1.100" in vc and "20.50" in vc
    only = format_table(rows, columns=["sweep", "threshold"])
    assert "half-width" not in only


def test_import_is_light():
    code = (
        "import sys, vlab.analysis; "
        "bad = [m for m in ('scipy', 'PySide6', 'pyqtgraph') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
