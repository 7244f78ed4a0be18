"""`vlab run --out` writes the format its extension names; `vlab convert IN OUT` converts.

Each file is opened with a reader vlab did not write where one exists (pyABF, neo,
pynwb, pyABF's ATF reader) and compared with the run's command, which comes from the
protocol (a formula), and with the CSV.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from abf_readers import read_neo

from vlab.cli import main
from vlab.protocols import load_protocol
from vlab.recording import load_session, read_csv, read_npz
from vlab.rig.rig import Rig

PROTOCOL = "vc_step_family"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One `vlab run --out` per format (each a fresh headless run of the same protocol)."""
    folder = tmp_path_factory.mktemp("out")
    paths = {}
    for ext in ("csv", "npz", "abf", "nwb", "atf", "vlab"):
        path = folder / f"family.{ext}"
        assert main(["run", PROTOCOL, "--drug", "TTX=1uM", "--out", str(path)]) == 0
        paths[ext] = path
    return paths


def _command_mv():
    return load_protocol(PROTOCOL).command() * 1e3


def test_each_extension_writes_its_own_format(runs):
    heads = {ext: path.read_bytes()[:40] for ext, path in runs.items()}
    assert heads["csv"].startswith(b"sweep,t_ms,Vm_mV,Im_nA,cmd_mV")
    assert runs["csv"].with_name("family.csv-metadata.json").is_file()
    assert heads["npz"].startswith(b"PK") and heads["vlab"].startswith(b"PK")
    assert heads["abf"].startswith(b"ABF ")
    assert heads["nwb"].startswith(b"\x89HDF")
    assert heads["atf"].startswith(b"ATF\t1.0")
    with zipfile.ZipFile(runs["vlab"]) as zf:
        assert "state.json" in zf.namelist()


def test_csv_npz_and_vlab_hold_the_protocols_command_and_timing(runs):
    cmd = _command_mv()
    interval = load_protocol(PROTOCOL).start_to_start
    for sweeps in (
        read_csv(runs["csv"])[1],
        read_npz(runs["npz"])[1],
        load_session(runs["vlab"])[1].sweeps,
    ):
        assert len(sweeps) == 17
        for k, s in enumerate(sweeps):
            np.testing.assert_allclose(s.channels["command"] * 1e3, cmd[k], atol=1e-6)
            assert s.t0 == pytest.approx(k * interval)


def test_abf_from_the_cli_reads_back_in_neo_like_the_csv(runs):
    _, csv = read_csv(runs["csv"])
    read = read_neo(runs["abf"])
    assert read["sweeps"] == 17 and read["names"] == ["Vm", "Im"]
    assert read["t_start"] == pytest.approx([float(k) for k in range(17)])
    im = [s.channels["Im"] * 1e12 for s in csv]
    peak = max(float(np.max(np.abs(r))) for r in im)
    for k, row in enumerate(im):
        assert np.max(np.abs(read["data"][1][k] - row)) <= peak / 64_000 * 1.01 + 1e-6 * peak


def test_atf_from_the_cli_reads_back_in_pyabf(runs):
    import pyabf

    atf = pyabf.ATF(str(runs["atf"]))
    assert atf.sweepCount == 17
    assert sorted(atf.channelNames) == ["Cmd", "Im", "Vm"]
    cmd = _command_mv()
    for k in (0, 8, 16):
        atf.setSweep(k, channel=2)
        assert atf.sweepLabelY == f"Trace #{k + 1} (mV)"
        np.testing.assert_allclose(atf.sweepY, cmd[k], atol=1e-4)


def test_nwb_from_the_cli_has_every_sweep(runs):
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(runs["nwb"]), "r") as io:
        nwb = io.read()
        responses = [k for k in nwb.acquisition if "Im" in k or "current" in k.lower()]
        assert len(nwb.acquisition) >= 17 and responses


def test_vlab_from_the_cli_opens_in_the_rig(runs):
    state, recording = load_session(runs["vlab"])
    rig = Rig()
    rig.load_state(state)
    assert rig.protocol is not None and rig.protocol.name == load_protocol(PROTOCOL).name
    assert rig.amplifier.mode.value == "VC"
    assert set(rig.bath.applied()) == {"TTX"}
    assert len(recording) == 17


@pytest.mark.parametrize(
    ("out", "needle"),
    [
        ("x.xlsx", "extension must be one of .csv, .npz, .abf, .nwb, .atf, .vlab"),
        ("noext", "extension must be one of"),
        ("/nonexistent/x.csv", "the folder /nonexistent does not exist"),
    ],
)
def test_bad_out_is_one_line_and_exit_2_before_running(out, needle, capsys):
    assert main(["run", PROTOCOL, "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err


def test_convert_between_formats(runs, tmp_path, capsys):
    cmd = _command_mv()
    # .vlab -> .abf keeps the epoch table (protocol from the provenance) ...
    abf = tmp_path / "from_vlab.abf"
    assert main(["convert", str(runs["vlab"]), str(abf)]) == 0
    assert "17 sweeps" in capsys.readouterr().out
    import pyabf

    reader = pyabf.ABF(str(abf))
    reader.setSweep(4, channel=0)
    np.testing.assert_allclose(reader.sweepC, cmd[4], atol=1e-4)
    # ... .abf -> .csv brings the sweeps, units and command back
    csv = tmp_path / "from_abf.csv"
    assert main(["convert", str(abf), str(csv)]) == 0
    _, sweeps = read_csv(csv)
    assert len(sweeps) == 17 and sweeps[0].mode == "VC"
    np.testing.assert_allclose(sweeps[4].channels["command"] * 1e3, cmd[4], atol=1e-4)
    # ... and .atf -> .npz
    npz = tmp_path / "from_atf.npz"
    assert main(["convert", str(runs["atf"]), str(npz)]) == 0
    _, sweeps = read_npz(npz)
    assert len(sweeps) == 17
    np.testing.assert_allclose(sweeps[16].channels["command"] * 1e3, cmd[16], atol=1e-4)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["convert", "missing.abf", "x.csv"], "no such file"),
        (["convert", "{src}", "x.doc"], "extension must be one of"),
        (["convert", "{bad}", "x.csv"], "is not an ABF file"),
        (["convert", "{txt}", "x.csv"], "cannot read"),
    ],
)
def test_convert_refuses_bad_files_in_one_line(argv, needle, runs, tmp_path, capsys):
    bad = tmp_path / "bad.abf"
    bad.write_text("not an ABF file")
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    argv = [a.format(src=runs["csv"], bad=bad, txt=txt) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err


def test_current_clamp_vlab_opens_in_the_rig_in_current_clamp(tmp_path):
    path = tmp_path / "pulse.vlab"
    assert main(["run", "single_pulse", "--out", str(path)]) == 0
    state, recording = load_session(path)
    rig = Rig()
    rig.load_state(state)
    assert rig.amplifier.mode.value == "CC" and len(recording) == 1
