"""Exports report progress and can be cancelled; a cancelled export leaves no file at all."""

from __future__ import annotations

import numpy as np
import pytest
from recording_factory import make_sweep

from vlab.recording import ExportCancelled, RecordingError, export_sweeps

FORMATS = ["csv", "npz", "abf", "nwb", "atf"]


@pytest.fixture
def sweeps():
    return [make_sweep(i, "IC", extra=False) for i in range(4)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_progress_rises_to_one(tmp_path, sweeps, fmt):
    seen: list[float] = []
    export_sweeps(sweeps, tmp_path / f"out.{fmt}", progress=seen.append)
    assert seen, "the writer reported no progress"
    assert seen == sorted(seen) and 0.0 <= seen[0] and seen[-1] == 1.0
    assert (tmp_path / f"out.{fmt}").exists()


def _cancel(_fraction: float) -> None:
    raise ExportCancelled("cancelled by the test")


@pytest.mark.parametrize("fmt", FORMATS)
def test_cancel_at_any_report_leaves_no_file(tmp_path, sweeps, fmt):
    n_reports = []
    export_sweeps(sweeps, tmp_path / f"count.{fmt}", progress=n_reports.append)
    for stop_at in range(len(n_reports)):  # cancel at each report in turn, the last included
        calls = []

        def cancel_late(fraction, calls=calls, stop_at=stop_at):
            calls.append(fraction)
            if len(calls) > stop_at:
                raise ExportCancelled("cancelled")

        folder = tmp_path / f"run{stop_at}"
        folder.mkdir()
        with pytest.raises(ExportCancelled):
            export_sweeps(sweeps, folder / f"out.{fmt}", progress=cancel_late)
        assert list(folder.iterdir()) == [], f"cancel at report {stop_at} left files"


def test_cancel_keeps_an_existing_file(tmp_path, sweeps):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(ExportCancelled):
        export_sweeps(sweeps, target, progress=_cancel)
    assert target.read_text() == "old"


def test_with_channels_keeps_only_the_named_channels(sweeps):
    s = sweeps[1]
    sub = s.with_channels(["Im", "nonexistent"])
    assert list(sub.channels) == ["Im"]
    assert np.shares_memory(sub["Im"], s["Im"])
    assert (sub.index, sub.dt, sub.t0, sub.label, sub.provenance) == (
        s.index,
        s.dt,
        s.t0,
        s.label,
        s.provenance,
    )
    with pytest.raises(RecordingError):
        s.with_channels(["gNa"])
