"""The export entry point, header metadata and default file names."""

from __future__ import annotations

import re

import pytest
from recording_factory import make_sweep

from vlab.recording import (
    EXPORT_FORMATS,
    ExportError,
    Recording,
    default_export_name,
    export_sweeps,
    read_csv,
    read_npz,
    summary_metadata,
)
from vlab.recording._common import VARIES


@pytest.mark.parametrize("ext", sorted(EXPORT_FORMATS))
def test_export_picks_the_format_from_the_extension(tmp_path, ic_sweeps, ext):
    path = tmp_path / f"out.{ext}"
    export_sweeps(ic_sweeps, path)
    head = path.read_bytes()[:8]
    expected = {
        "csv": b"sweep,t_",
        "npz": b"PK",
        "abf": b"ABF ",
        "nwb": b"\x89HDF",
        "atf": b"ATF\t1.0",
        "vlab": b"PK",
    }[ext]
    assert head.startswith(expected)


def test_export_options_and_formats(tmp_path, ic_sweeps):
    export_sweeps(ic_sweeps, tmp_path / "data.bin", fmt="npz", compress=False)
    assert len(read_npz(tmp_path / "data.bin")[1]) == 3
    with pytest.raises(ExportError, match="cannot export to 'xlsx'"):
        export_sweeps(ic_sweeps, tmp_path / "out.xlsx")
    with pytest.raises(ExportError, match="no sweeps"):
        export_sweeps([], tmp_path / "out.csv")


def test_writers_accept_a_generator(tmp_path, ic_sweeps):
    export_sweeps((s for s in ic_sweeps), tmp_path / "gen.csv")
    meta, back = read_csv(tmp_path / "gen.csv")
    assert len(back) == 3 and meta["preparation"] == "squid giant axon"


def test_summary_metadata_marks_values_that_differ(recording):
    meta = summary_metadata(recording, {"area_cm2": 1e-4})
    assert meta["student"] == "Ada"
    assert meta["preparation"] == "squid giant axon"
    assert meta["temperature_C"] == 6.3 and meta["seed"] == 1234
    assert meta["drugs"] == VARIES and meta["mode"] == VARIES
    assert "protocol_toml" not in meta and "created" not in meta
    assert list(meta)[:3] == ["vlab_version", "student", "area_cm2"]


def test_summary_metadata_in_csv_header(tmp_path, ic_sweeps):
    export_sweeps(Recording(ic_sweeps, {"student": "Ada"}), tmp_path / "x.csv")
    meta, _ = read_csv(tmp_path / "x.csv")
    assert meta["student"] == "Ada" and meta["drugs"] == {} and meta["mode"] == "CC"


def test_default_export_name_is_safe_and_descriptive(ic_sweeps):
    name = default_export_name(ic_sweeps, "csv")
    assert name == "vlab_squid-giant-axon_current-steps_2025-03-01_140500.csv"
    assert default_export_name(Recording(ic_sweeps), ".nwb").endswith(".nwb")
    odd = make_sweep()
    odd.provenance.update(preparation='cell/../"A:B"*?', protocol_name="  ", created="not a time")
    name = default_export_name([odd], "abf")
    assert re.fullmatch(r"vlab_cell-A-B_\d{4}-\d\d-\d\d_\d{6}\.abf", name), name
    assert re.fullmatch(r"vlab_\d{4}-\d\d-\d\d_\d{6}\.vlab", default_export_name([], "vlab"))
