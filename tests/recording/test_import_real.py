"""Real recordings (Clampex ABF 1 and 2, ATF, NWB by pynwb) open as sweeps in SI units.

The fixtures are in ``tests/data/recordings`` (README there: source and licence). Every
value is compared with a reader vlab does not use for that format: neo's ``AxonIO`` for
ABF (vlab reads ABF through pyABF), the text columns for ATF, and h5py's raw datasets
times ``conversion`` for NWB (vlab reads NWB through pynwb).
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import pytest
from abf_readers import read_neo

from vlab.recording import ReadError, importers
from vlab.recording.importers import read_sweeps

DATA = Path(__file__).parents[1] / "data" / "recordings"
VC_ABF2 = DATA / "17o05024_vc_steps.abf"
RAMP_ABF2 = DATA / "171116sh_0013.abf"
CC_ABF1 = DATA / "190619B_0003.abf"
ATF = DATA / "18702001-step.atf"
NWB = DATA / "clampex_cell.nwb"


def _neo_si(path: Path, channel: int, factor: float) -> list[np.ndarray]:
    return [np.asarray(x) * factor for x in read_neo(path)["data"][channel]]


def test_abf2_voltage_clamp_family_matches_neo():
    sweeps = read_sweeps(VC_ABF2).sweeps
    assert len(sweeps) == 7
    assert all(s.mode.value == "VC" and set(s.channels) == {"Im", "command"} for s in sweeps)
    assert sweeps[0].dt == pytest.approx(1 / 20000)
    expected = _neo_si(VC_ABF2, 0, 1e-12)  # neo reads pA
    for s, ref in zip(sweeps, expected, strict=True):
        np.testing.assert_allclose(s["Im"], ref, rtol=1e-6, atol=1e-16)
    # The step family of the file's protocol: -110 mV + 10 mV per sweep from -70 mV
    # (ABF header, epoch C); neo's own reconstruction of the command agrees.
    import neo

    commands, _names, units = neo.io.AxonIO(str(VC_ABF2)).read_raw_protocol()
    assert units[0] == "mV"
    for k, s in enumerate(sweeps):
        np.testing.assert_allclose(s["command"], np.ravel(commands[k][0]) * 1e-3, atol=1e-12)
        assert s["command"][15000] == pytest.approx(-0.110 + 0.010 * k)
    assert sweeps[0].provenance["imported"] is True
    assert sweeps[0].label == VC_ABF2.name


def test_abf1_current_clamp_family_matches_neo():
    sweeps = read_sweeps(CC_ABF1).sweeps
    assert len(sweeps) == 10
    s0 = sweeps[0]
    assert s0.mode.value == "CC"
    assert list(s0.channels) == ["Vm", "Vm@IN_2", "command"]
    assert s0.unit("Vm@IN_2") == "V" and s0.unit("command") == "A"
    assert s0.dt == pytest.approx(1e-4)
    for ch, name in enumerate(("Vm", "Vm@IN_2")):
        for s, ref in zip(sweeps, _neo_si(CC_ABF1, ch, 1e-3), strict=True):
            np.testing.assert_allclose(s[name], ref, rtol=1e-6, atol=1e-12)
    # ABF 1.83 epoch table: a 1 s step of -120 pA + 60 pA per sweep at 1.0478 s
    for k, s in enumerate(sweeps):
        assert s["command"][15000] == pytest.approx((-120 + 60 * k) * 1e-12, abs=1e-18)
        assert s["command"][0] == 0.0
    assert s0.provenance["source_format"].startswith("ABF 1.8")
    assert s0.provenance["created"].startswith("2019-06-19")


def test_atf_matches_its_text_columns():
    sweeps = read_sweeps(ATF).sweeps
    assert len(sweeps) == 3
    with open(ATF, encoding="latin-1") as fh:
        fh.readline()
        n_header = int(fh.readline().split()[0])
        for _ in range(n_header):
            fh.readline()
        titles = fh.readline().rstrip("\n").split("\t")
        table = np.loadtxt(fh, delimiter="\t")
    assert titles[1] == '"Trace #1 (pA)"' and titles[2] == '"Trace #1 (A)"'
    for k, s in enumerate(sweeps):
        assert s.mode.value == "VC"  # a recorded current: voltage clamp
        np.testing.assert_allclose(s["Im"], table[:, 1 + 2 * k] * 1e-12, rtol=1e-6, atol=1e-17)
        np.testing.assert_allclose(s["Im@IN_1"], table[:, 2 + 2 * k], rtol=1e-6, atol=1e-12)
    assert sweeps[0].dt == pytest.approx(table[1, 0] - table[0, 0])


def test_nwb_series_types_give_modes_and_values_match_raw_hdf5():
    sweeps = read_sweeps(NWB).sweeps
    assert len(sweeps) == 16
    assert [s.mode.value for s in sweeps] == ["VC"] * 13 + ["CC"] * 3
    with h5py.File(NWB, "r") as f:
        for s in sweeps:
            name = s.provenance["series"]
            resp = f["acquisition"][name]
            kind = "vc" if name.startswith("vc") else "cc"
            stim = f["stimulus"]["presentation"][name.replace("response", "stimulus")]
            raw = resp["data"][()].astype(float) * resp["data"].attrs["conversion"]
            channel = "Im" if kind == "vc" else "Vm"
            np.testing.assert_allclose(s[channel], raw, rtol=1e-12)
            cmd = stim["data"][()].astype(float) * stim["data"].attrs["conversion"]
            np.testing.assert_allclose(s["command"], cmd, rtol=1e-12)
            assert s.t0 == resp["starting_time"][()]
            assert s.dt == pytest.approx(1.0 / resp["starting_time"].attrs["rate"])
    # the same real cell as the ABF it was made from (16-bit counts: exact to float32)
    abf = _neo_si(RAMP_ABF2, 0, 1e-12)
    for s, ref in zip(sweeps[:13], abf, strict=True):
        np.testing.assert_allclose(s["Im"], ref, rtol=1e-6, atol=1e-16)


@pytest.mark.parametrize("ext", [".abf", ".atf", ".nwb"])
def test_foreign_or_damaged_files_are_refused_in_one_line(tmp_path, ext):
    text = tmp_path / f"notes{ext}"
    text.write_text("these are my lab notes\nline two\n")
    cut = tmp_path / f"cut{ext}"  # cut short while copying (an ATF inside its header)
    source, size = {".abf": (VC_ABF2, 3000), ".atf": (ATF, 200), ".nwb": (NWB, 3000)}[ext]
    cut.write_bytes(source.read_bytes()[:size])
    folder = tmp_path / f"folder{ext}"
    folder.mkdir()
    for bad in (text, cut, folder, tmp_path / f"missing{ext}"):
        with pytest.raises(ReadError) as info:
            read_sweeps(bad)
        msg = str(info.value)
        assert bad.name in msg and "\n" not in msg, msg


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.abf"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="named pipe"):
        read_sweeps(fifo)


def test_size_limit_is_checked_before_reading(monkeypatch):
    monkeypatch.setattr(importers, "MAX_IMPORT_BYTES", 1000)
    with pytest.raises(ReadError, match="up to"):
        read_sweeps(VC_ABF2)


@pytest.mark.parametrize("source", [VC_ABF2, CC_ABF1, ATF, NWB], ids=lambda p: p.suffix)
def test_real_recordings_convert_to_csv_and_npz(tmp_path, source):
    from vlab.cli import main

    original = read_sweeps(source).sweeps
    for ext in (".csv", ".npz"):
        out = tmp_path / f"converted{ext}"
        assert main(["convert", str(source), str(out)]) == 0
        back = read_sweeps(out).sweeps
        assert len(back) == len(original)
        for a, b in zip(original, back, strict=True):
            assert set(a.channels) <= set(b.channels)
            for name in a.channels:  # CSV keeps 9 significant digits in display units
                np.testing.assert_allclose(b[name], a[name], rtol=1e-6, atol=1e-15)
