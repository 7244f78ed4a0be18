"""CSV export: header, columns in display units, numpy.loadtxt, round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from recording_factory import assert_sweeps_equal, make_sweep

from vlab.recording import ReadError, read_csv, summary_metadata, write_csv


def _header(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


def test_table_and_sidecar(tmp_path, ic_sweeps):
    path = tmp_path / "ic.csv"
    meta = {"preparation": "squid giant axon", "drugs": {"TTX": {"concentration_M": 1e-7}}}
    write_csv(ic_sweeps, path, meta)
    assert _header(path) == [
        "sweep", "t_ms", "Vm_mV", "Im_nA", "cmd_nA", "m", "h", "n", "INa_nA", "IK_nA", "gNa_uS", "gK_uS"
    ]  # fmt: skip
    assert "#" not in path.read_text(encoding="utf-8")
    side = json.loads((tmp_path / "ic.csv-metadata.json").read_text(encoding="utf-8"))
    assert side["format"] == "vlab-csv" and side["metadata"] == meta
    assert side["columns"]["Im_nA"] == {
        "channel": "Im",
        "unit": "nA",
        "si_unit": "A",
        "to_si": 1e-9,
    }
    assert [m["t0"] for m in side["sweeps"]] == [s.t0 for s in ic_sweeps]


def test_pandas_and_genfromtxt_open_it_without_options(tmp_path, vc_sweeps):
    import pandas as pd

    path = tmp_path / "vc.csv"
    write_csv(vc_sweeps, path, {})
    frame = pd.read_csv(path)
    table = np.genfromtxt(path, delimiter=",", names=True)
    assert list(frame.columns) == list(table.dtype.names) == _header(path)
    assert len(frame) == len(table) == sum(x.n_samples for x in vc_sweeps)
    s = vc_sweeps[1]
    rows = frame["sweep"] == 1
    np.testing.assert_allclose(frame["t_ms"][rows], s.time() * 1e3, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(frame["Vm_mV"][rows], s["Vm"] * 1e3, rtol=1e-7)
    np.testing.assert_allclose(table["Im_nA"][table["sweep"] == 1], s["Im"] * 1e9, rtol=1e-7)
    np.testing.assert_allclose(frame["cmd_mV"][rows], s["command"] * 1e3, rtol=1e-7)
    np.testing.assert_allclose(frame["gNa_uS"][rows], s["gNa"] * 1e6, rtol=1e-7)
    np.testing.assert_allclose(table["m"][table["sweep"] == 1], s["m"], rtol=1e-7)


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
    assert _header(path)[:6] == ["sweep", "t_ms", "Vm_mV", "Im_nA", "cmd_mV", "cmd_nA"]
    data = np.loadtxt(path, delimiter=",", skiprows=1)
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
        "colon: inside": "yes",
        "sweep 0": "any name",
    }
    path = tmp_path / "m.csv"
    write_csv([make_sweep(extra=False, n=5)], path, meta)
    back, _ = read_csv(path)
    assert back == meta


def test_older_csv_with_a_comment_header_still_loads(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        "# vlab recording export, CSV format 1. Lines starting with # describe the data.\n"
        "# preparation: squid\n"
        '# sweep 0: {"index": 4, "dt": 0.0001, "t0": 2.0, "kept": true, "label": "x", '
        '"channels": ["Vm", "command"], "provenance": 0}\n'
        '# provenance 0: {"mode": "VC"}\n'
        "sweep,t_ms,Vm_mV,cmd_mV\n0,0,-65,-70\n0,0.1,-64,-70\n"
    )
    meta, sweeps = read_csv(path)
    assert meta == {"preparation": "squid"}
    assert sweeps[0].index == 4 and sweeps[0].t0 == 2.0 and sweeps[0].mode == "VC"


def test_a_damaged_sidecar_is_a_read_error(tmp_path):
    path = tmp_path / "x.csv"
    write_csv([make_sweep(n=5)], path, {})
    (tmp_path / "x.csv-metadata.json").write_text("{not json")
    with pytest.raises(ReadError, match="x.csv-metadata.json"):
        read_csv(path)


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
