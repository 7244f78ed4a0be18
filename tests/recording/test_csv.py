"""CSV export: header, columns in display units, numpy.loadtxt, round trip."""

from __future__ import annotations

import numpy as np
import pytest
from recording_factory import assert_sweeps_equal, make_sweep

from vlab.recording import ReadError, read_csv, summary_metadata, write_csv


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _header_row(path) -> int:
    return next(i for i, line in enumerate(_lines(path)) if not line.startswith("#"))


def test_header_and_columns(tmp_path, ic_sweeps):
    path = tmp_path / "ic.csv"
    meta = {
        "vlab_version": "0.1.0",
        "preparation": "squid giant axon",
        "area_cm2": 1e-4,
        "temperature_C": 6.3,
        "E_Na_mV": 50.0,
        "drugs": {"TTX": {"concentration_M": 1e-7, "fraction_blocked": 0.95}},
        "protocol": "current steps",
    }
    write_csv(ic_sweeps, path, meta)
    lines = _lines(path)
    assert lines[0].startswith("# vlab recording export")
    assert "# preparation: squid giant axon" in lines
    assert "# area_cm2: 0.0001" in lines
    assert '# drugs: {"TTX": {"concentration_M": 1e-07, "fraction_blocked": 0.95}}' in lines
    header = lines[_header_row(path)]
    assert header == "sweep,t_ms,Vm_mV,Im_nA,cmd_nA,m,h,n,INa_nA,IK_nA,gNa_uS,gK_uS"


def test_values_are_in_display_units_via_loadtxt(tmp_path, vc_sweeps):
    path = tmp_path / "vc.csv"
    write_csv(vc_sweeps, path, {})
    header = _lines(path)[_header_row(path)].split(",")
    assert "cmd_mV" in header and "cmd_nA" not in header
    data = np.loadtxt(path, delimiter=",", comments="#", skiprows=_header_row(path) + 1)
    col = {name: data[:, i] for i, name in enumerate(header)}
    s = vc_sweeps[1]
    rows = col["sweep"] == 1
    np.testing.assert_allclose(col["t_ms"][rows], s.time() * 1e3, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(col["Vm_mV"][rows], s["Vm"] * 1e3, rtol=1e-7)
    np.testing.assert_allclose(col["Im_nA"][rows], s["Im"] * 1e9, rtol=1e-7)
    np.testing.assert_allclose(col["cmd_mV"][rows], s["command"] * 1e3, rtol=1e-7)
    np.testing.assert_allclose(col["gNa_uS"][rows], s["gNa"] * 1e6, rtol=1e-7)
    np.testing.assert_allclose(col["m"][rows], s["m"], rtol=1e-7)
    assert data.shape[0] == sum(x.n_samples for x in vc_sweeps)


def test_round_trip_with_read_csv(tmp_path, recording):
    path = tmp_path / "all.csv"
    meta = summary_metadata(recording)
    write_csv(recording, path, meta)
    meta_back, sweeps = read_csv(path)
    assert meta_back == meta
    assert len(sweeps) == len(recording)
    for a, b in zip(recording, sweeps, strict=True):
        assert_sweeps_equal(a, b, rtol=6e-8, atol=1e-30)  # 8 significant digits


def test_mixed_modes_leave_nan_in_the_other_command_column(tmp_path, recording):
    path = tmp_path / "mixed.csv"
    write_csv(recording, path, {})
    header = _lines(path)[_header_row(path)].split(",")
    assert header[:6] == ["sweep", "t_ms", "Vm_mV", "Im_nA", "cmd_mV", "cmd_nA"]
    data = np.loadtxt(path, delimiter=",", skiprows=_header_row(path) + 1)
    ic_rows = data[:, 0] < 3
    assert np.isnan(data[ic_rows, 4]).all() and np.isfinite(data[ic_rows, 5]).all()
    assert np.isnan(data[~ic_rows, 5]).all()


def test_metadata_values_round_trip_with_their_types(tmp_path):
    meta = {
        "text": "squid giant axon",
        "numeric_text": "6.3",
        "json_text": '{"a": 1}',
        "padded": " spaced ",
        "multi_line": '[protocol]\nname = "IV"\n',
        "number": 6.3,
        "integer": 7,
        "flag": True,
        "nothing": None,
        "nested": {"TTX": {"fraction_blocked": 0.5}, "list": [1, 2]},
        "empty": "",
        "colon: inside": "no",
    }
    meta.pop("colon: inside")
    path = tmp_path / "m.csv"
    write_csv([make_sweep(extra=False, n=5)], path, meta)
    back, _ = read_csv(path)
    assert back == meta


def test_reserved_metadata_names_are_refused(tmp_path):
    from vlab.recording import ExportError

    with pytest.raises(ExportError, match="cannot be used"):
        write_csv([make_sweep(n=5)], tmp_path / "x.csv", {"sweep 0": "x"})
    assert list(tmp_path.iterdir()) == []


def test_hand_edited_csv_without_sweep_lines_still_loads(tmp_path):
    path = tmp_path / "edited.csv"
    path.write_text(
        "sweep,t_ms,Vm_mV,cmd_mV\n0,0,-65,-70\n0,0.1,-64,-70\n0,0.2,-63,-70\n1,0,-60,-10\n1,0.1,-61,-10\n"
    )
    meta, sweeps = read_csv(path)
    assert meta == {} and len(sweeps) == 2
    assert sweeps[0].dt == pytest.approx(1e-4)
    assert sweeps[0].mode == "VC"
    np.testing.assert_allclose(sweeps[1]["Vm"], [-60e-3, -61e-3])


def test_foreign_file_is_a_read_error(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("name,age\nAda,36\n")
    with pytest.raises(ReadError, match="notes.csv"):
        read_csv(path)
    with pytest.raises(ReadError, match="Could not open"):
        read_csv(tmp_path / "missing.csv")


def test_100k_rows_round_trip(tmp_path):
    """A long gap-free sweep survives the round trip (its speed is in bench/bench_export.py)."""
    n = 100_000
    sweep = make_sweep(n=n, dt=1e-5)
    write_csv([sweep], tmp_path / "big.csv", {})
    _, back = read_csv(tmp_path / "big.csv")
    assert back[0].n_samples == n
    for name in ("Vm", "Im", "INa"):  # 8 significant digits in the file
        np.testing.assert_allclose(back[0].channels[name], sweep.channels[name], rtol=1e-7)
