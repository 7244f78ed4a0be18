"""Clampex protocols imported from real ABF files give Clampex's own command waveform.

The reference command is pyABF's ``sweepC`` (built from the file's epoch table) and, for
the ABF2 file, neo's ``read_raw_protocol`` (an independent reconstruction); the fixtures
are real Clampex files (tests/data/recordings/README.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyabf
import pytest

from vlab.cli import main
from vlab.protocols import ProtocolError, load_protocol, parse_protocol, protocol_to_toml
from vlab.protocols.abf_import import protocol_from_abf

DATA = Path(__file__).parents[1] / "data" / "recordings"
VC_ABF2 = DATA / "17o05024_vc_steps.abf"  # 7 sweeps, two stepped epochs, -70 mV holding
CC_ABF1 = DATA / "190619B_0003.abf"  # 10 sweeps, -120 pA + 60 pA per sweep
RAMP_ABF2 = DATA / "171116sh_0013.abf"  # ramps, and the last level held between sweeps


def _sweep_c(path: Path, factor: float) -> np.ndarray:
    abf = pyabf.ABF(str(path))
    rows = []
    for k in abf.sweepList:
        abf.setSweep(k, channel=0)
        rows.append(np.asarray(abf.sweepC, dtype=np.float64) * factor)
    return np.vstack(rows)


@pytest.mark.parametrize(
    ("path", "mode", "factor", "atol"),
    [(VC_ABF2, "VC", 1e-3, 1e-15), (CC_ABF1, "CC", 1e-12, 1e-24)],
)
def test_imported_protocol_gives_clampexs_command_exactly(path, mode, factor, atol):
    protocol = protocol_from_abf(path)
    again = parse_protocol(protocol_to_toml(protocol))  # through the TOML a user keeps
    assert again.mode.value == mode
    expected = _sweep_c(path, factor)
    assert again.sweeps == expected.shape[0] and again.n_samples == expected.shape[1]
    np.testing.assert_allclose(again.command(), expected, rtol=0, atol=atol)
    assert path.name in again.description


def test_abf2_command_also_matches_neos_reading_of_the_protocol():
    import neo

    commands, _names, units = neo.io.AxonIO(str(VC_ABF2)).read_raw_protocol()
    assert units[0] == "mV"
    neo_cmd = np.vstack([np.ravel(c[0]) for c in commands]) * 1e-3
    np.testing.assert_allclose(protocol_from_abf(VC_ABF2).command(), neo_cmd, atol=1e-12)


def test_the_protocol_reads_like_clampexs_table():
    p = protocol_from_abf(VC_ABF2)
    assert p.name == "0202 IV dual" and p.holding.value == pytest.approx(-0.070)
    assert p.sample_interval == pytest.approx(50e-6) and p.sweep_duration == pytest.approx(3.5)
    first = p.epochs[0]  # Clampex's pre-sweep holding: 1/64 of 70 000 samples
    assert first.duration == pytest.approx(1093 * 50e-6) and first.level.value == -0.070
    stepped = [e for e in p.epochs if e.level_increment is not None]
    assert [e.level.value for e in stepped] == pytest.approx([-0.110, -0.110])
    assert [e.level_increment.value for e in stepped] == pytest.approx([0.010, 0.010])


def test_a_command_vlab_cannot_reproduce_is_refused_or_approximated():
    with pytest.raises(ProtocolError, match="last epoch level") as info:
        protocol_from_abf(RAMP_ABF2)
    assert RAMP_ABF2.name in str(info.value) and "\n" not in str(info.value)
    approx = protocol_from_abf(RAMP_ABF2, approximate=True)
    diff = np.abs(approx.command() - _sweep_c(RAMP_ABF2, 1e-3)).max()
    assert 0 < diff <= 0.040 + 1e-12  # the pre-sweep level: the previous sweep's step
    assert "differs from Clampex" in approx.description


def test_load_protocol_and_the_cli_import_an_abf(tmp_path, capsys):
    assert load_protocol(str(CC_ABF1)) == protocol_from_abf(CC_ABF1)
    out = tmp_path / "iv.toml"
    assert main(["protocol", "import", str(VC_ABF2), "--out", str(out)]) == 0
    assert load_protocol(out) == protocol_from_abf(VC_ABF2)
    assert "wrote" in capsys.readouterr().out
    assert main(["protocol", "import", str(CC_ABF1)]) == 0
    assert parse_protocol(capsys.readouterr().out) == protocol_from_abf(CC_ABF1)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["protocol", "import", str(DATA / "18702001-step.atf")], "is not an ABF file"),
        (["protocol", "import", "missing.abf"], "does not exist"),
        (["protocol", "import", str(RAMP_ABF2)], "--approximate"),
        (["protocol", "import", str(VC_ABF2), "--out", "x.txt"], "a .toml file"),
    ],
)
def test_cli_refuses_in_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err
