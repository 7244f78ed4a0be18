"""ABF 1.8 export, opened by three readers vlab did not write: pyABF, neo.io.AxonIO and stfio.

The sweeps are built from vlab's protocol library (the command) and closed-form
signals (Vm, Im), so the expected values come from formulas, not from the writer.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from abf_readers import read_neo, read_pyabf, read_stfio
from recording_factory import make_sweep

from vlab.protocols import load_protocol, protocol_to_toml
from vlab.recording import ExportError, Sweep, abf_quantum, read_csv, write_abf, write_csv

CREATED = "2025-03-01T14:05:09.250000+01:00"


def family(name: str, mode: str, start_to_start: float = 1.0) -> list[Sweep]:
    """Sweeps of protocol ``name``: its command, plus analytic Vm and Im."""
    protocol = load_protocol(name)
    cmd = protocol.command(area_m2=1e-7)  # squid patch, 1e-3 cm2
    t = protocol.time()
    sweeps = []
    for k, c in enumerate(cmd):
        if mode == "VC":
            vm = c
            im = 1e-8 * (c + 0.065) / 0.035 + 2e-6 * np.exp(-t / 2e-4) * np.sin(k + 1.0)
        else:
            vm = -0.065 + 0.09 * np.exp(-(((t - 0.3 * t[-1]) / 2e-4) ** 2)) * (k / len(cmd))
            im = c
        sweeps.append(
            Sweep(
                index=k,
                dt=protocol.sample_interval,
                channels={"command": c, "Vm": vm, "Im": im},
                t0=k * start_to_start,
                provenance={
                    "mode": protocol.mode,
                    "protocol_name": protocol.name,
                    "protocol_toml": protocol_to_toml(protocol),
                    "created": CREATED,
                    "drugs": {},
                },
            )
        )
    return sweeps


FACTORS = {"Vm": 1e3, "Im": 1e12}
UNITS = {"Vm": "mV", "Im": "pA"}


def _expected(sweeps, name):
    return [s.channels[name] * FACTORS[name] for s in sweeps]


def _bound(rows) -> float:
    """Half a count of the file's scale (peak / 64,000) plus float32 rounding."""
    peak = max(float(np.max(np.abs(r))) for r in rows)
    return abf_quantum(peak) / 2 + 4 * np.finfo(np.float32).eps * peak


def _assert_same(read, sweeps, names):
    assert read["sweeps"] == len(sweeps)
    assert read["names"] == names
    assert read["units"] == [UNITS[n] for n in names]
    assert read["dt"] == pytest.approx(sweeps[0].dt, rel=1e-6)
    for ch, name in enumerate(names):
        rows = _expected(sweeps, name)
        bound = _bound(rows)
        for k, row in enumerate(rows):
            got = read["data"][ch][k]
            assert got.shape == row.shape
            assert np.max(np.abs(got - row)) <= bound, (name, k)


@pytest.fixture(scope="module")
def vc_file(tmp_path_factory):
    sweeps = family("vc_step_family", "VC")
    path = tmp_path_factory.mktemp("abf") / "vc.abf"
    assert write_abf(sweeps, path, protocol=load_protocol("vc_step_family")) == ["Vm", "Im"]
    return path, sweeps


@pytest.fixture(scope="module")
def ic_file(tmp_path_factory):
    sweeps = family("fi_steps", "IC", start_to_start=2.5)
    path = tmp_path_factory.mktemp("abf") / "ic.abf"
    assert write_abf(sweeps, path, protocol=load_protocol("fi_steps")) == ["Vm", "Im"]
    return path, sweeps


@pytest.mark.parametrize("which", ["vc_file", "ic_file"])
@pytest.mark.parametrize("reader", [read_pyabf, read_neo, read_stfio])
def test_readers_see_the_sweeps_channels_units_and_values(request, which, reader):
    path, sweeps = request.getfixturevalue(which)
    _assert_same(reader(path), sweeps, ["Vm", "Im"])


def test_pyabf_rebuilds_the_command_from_the_epoch_table(vc_file, ic_file):
    for (path, sweeps), unit, factor in ((vc_file, "mV", 1e3), (ic_file, "pA", 1e12)):
        abf = read_pyabf(path)["abf"]
        for k, s in enumerate(sweeps):
            abf.setSweep(k, channel=0)
            assert abf.sweepUnitsC == unit
            np.testing.assert_allclose(abf.sweepC, s.channels["command"] * factor, atol=1e-4)


def test_holding_level_and_epochs_in_the_header(vc_file):
    abf = read_pyabf(vc_file[0])["abf"]
    h = abf._headerV1
    assert h.nOperationMode == 5 and h.lActualEpisodes == 17
    protocol = load_protocol("vc_step_family")
    assert h.fEpochInitLevel[1] == pytest.approx(protocol.epochs[1].level.value * 1e3)
    assert h.fEpochLevelInc[1] == pytest.approx(10.0)
    # Clampex holds for 1/64 of the sweep before the first epoch: 3000 // 64 = 46 samples
    assert list(h.lEpochInitDuration[:3]) == [500 - 46, 2000, 500]


def test_sweep_start_times_and_date(vc_file, ic_file):
    when = dt.datetime(2025, 3, 1, 14, 5, 9, 250000)
    for (path, sweeps), gap in ((vc_file, 1.0), (ic_file, 2.5)):
        neo_read = read_neo(path)
        assert neo_read["t_start"] == pytest.approx([k * gap for k in range(len(sweeps))])
        assert neo_read["rec_datetime"] == when
        assert read_pyabf(path)["abf"].abfDateTime == when
        stf = read_stfio(path)
        assert (stf["date"], stf["time"]) == ("2025-03-01", "14:05:09")


def test_precision_is_a_thousandth_of_each_sweeps_range(vc_file):
    """Every sweep spanning >= 1.6 % of its channel's peak loses < 0.1 % of its own range."""
    path, sweeps = vc_file
    read = read_pyabf(path)
    for ch, name in enumerate(["Vm", "Im"]):
        rows = _expected(sweeps, name)
        peak = max(float(np.max(np.abs(r))) for r in rows)
        for k, row in enumerate(rows):
            span = float(np.ptp(row))
            if span >= 0.016 * peak:
                err = np.max(np.abs(read["data"][ch][k] - row))
                assert err <= 1e-3 * span, (name, k, err, span)


def test_mixed_clamp_modes_share_one_file(tmp_path):
    vc = family("vc_step_family", "VC")[:2]
    ic = [make_sweep(i, "IC", n=vc[0].n_samples, dt=vc[0].dt) for i in range(2)]
    path = tmp_path / "mixed.abf"
    protocol = load_protocol("vc_step_family")
    assert write_abf(vc + ic, path, protocol=protocol) == [
        "Vm",
        "Im",
    ]  # no shared command unit: no Cmd
    _assert_same(read_neo(path), vc + ic, ["Vm", "Im"])


def test_a_ramp_is_recorded_as_a_command_channel(tmp_path):
    sweeps = family("ramp", "VC")
    path = tmp_path / "ramp.abf"
    assert write_abf(sweeps, path, protocol=load_protocol("ramp")) == ["Vm", "Im", "Cmd"]
    read = read_pyabf(path)
    assert read["units"][2] == "mV"
    cmd = [s.channels["command"] * 1e3 for s in sweeps]
    bound = _bound(cmd)
    for k, row in enumerate(cmd):
        assert np.max(np.abs(read["data"][2][k] - row)) <= bound


def test_without_the_protocol_the_command_is_a_channel(tmp_path):
    sweeps = family("vc_step_family", "VC")
    path = tmp_path / "noprotocol.abf"
    assert write_abf(sweeps, path) == ["Vm", "Im", "Cmd"]
    protocol = load_protocol("vc_step_family")
    # consecutive sweeps of a family are still a table (init -70 mV, +10 mV per sweep) ...
    assert write_abf(sweeps[3:6], path, protocol=protocol) == ["Vm", "Im"]
    assert read_pyabf(path)["abf"]._headerV1.fEpochInitLevel[1] == pytest.approx(-70.0)
    # ... but sweeps 0, 2, 5 step by 20 then 30 mV: no table reproduces them
    picked = [sweeps[0], sweeps[2], sweeps[5]]
    assert write_abf(picked, path, protocol=protocol) == ["Vm", "Im", "Cmd"]


def test_any_channel_can_be_chosen(tmp_path):
    sweeps = [make_sweep(i, "IC") for i in range(3)]
    path = tmp_path / "gates.abf"
    write_abf(sweeps, path, channels=["INa", "gK", "m"])
    read = read_pyabf(path)
    assert read["units"][:3] == ["pA", "nS", "1"]
    for ch, (name, factor) in enumerate((("INa", 1e12), ("gK", 1e9), ("m", 1.0))):
        rows = [s.channels[name] * factor for s in sweeps]
        for k, row in enumerate(rows):
            assert np.max(np.abs(read["data"][ch][k] - row)) <= _bound(rows)


def test_round_trip_against_csv(tmp_path, vc_file):
    path, sweeps = vc_file
    csv = tmp_path / "vc.csv"
    write_csv(sweeps, csv, {})
    _, from_csv = read_csv(csv)
    read = read_neo(path)
    for ch, name in enumerate(["Vm", "Im"]):
        rows = _expected(sweeps, name)
        bound = _bound(rows) + 1e-6 * max(float(np.max(np.abs(r))) for r in rows)  # CSV digits
        for k, s in enumerate(from_csv):
            assert np.max(np.abs(read["data"][ch][k] - s.channels[name] * FACTORS[name])) <= bound


def test_incompatible_sweeps_are_refused_without_writing(tmp_path):
    path = tmp_path / "x.abf"
    with pytest.raises(ExportError, match="equal length"):
        write_abf([make_sweep(0, n=100), make_sweep(1, n=200)], path)
    with pytest.raises(ExportError, match="equal length"):
        write_abf([make_sweep(0, dt=1e-5), make_sweep(1, dt=2e-5)], path)
    with pytest.raises(ExportError, match="no INa channel"):
        write_abf([make_sweep(0, extra=False)], path, channels=["INa"])
    assert list(tmp_path.iterdir()) == []
