"""ABF precision: one 16-bit scale per channel. A large sweep keeps 0.1 % of its range in
every reader; a nearly flat sweep beside it cannot, and vlab says which sweeps those are.
Float samples (nDataFormat 1) would avoid it, but pyABF refuses them in ABF 1 files."""

from __future__ import annotations

import numpy as np
import pyabf
import pytest
from abf_readers import read_neo, read_pyabf, read_stfio

from vlab.recording import Sweep, abf_coarse_sweeps, write_abf

DT = 1e-4
T = np.arange(2000) * DT


def _sweeps():
    flat = 10e-12 + 0.25e-12 * np.sin(2 * np.pi * T / 0.05)  # 0.5 pA range
    spike = 1e-6 * np.exp(-(((T - 0.1) / 0.002) ** 2))  # a 1 uA transient
    return [
        Sweep(index=k, dt=DT, channels={"Im": im}, t0=float(k), provenance={"mode": "VC"})
        for k, im in enumerate([flat, spike])
    ]


@pytest.fixture(scope="module")
def abf_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("precision") / "flat_and_spike.abf"
    write_abf(_sweeps(), path, channels=["Im"])
    return path


@pytest.mark.parametrize("reader", [read_pyabf, read_neo, read_stfio])
def test_each_reader_keeps_the_large_sweep_within_0p1_percent(abf_file, reader):
    flat, spike = (s["Im"] * 1e12 for s in _sweeps())  # pA, the file's unit
    got = reader(abf_file)["data"][0]
    assert np.max(np.abs(got[1] - spike)) <= 1e-3 * np.ptp(spike)
    # the flat sweep: within half a count of the channel's scale (1e6 pA / 64,000) ...
    assert np.max(np.abs(got[0] - flat)) <= 1e6 / 64_000 * 1.001
    # ... which is far more than 0.1 % of its own 0.5 pA range: the documented limit
    assert 1e6 / 64_000 > 1e-3 * np.ptp(flat)


def test_the_coarse_sweep_is_named():
    (coarse,) = abf_coarse_sweeps(_sweeps(), ["Im"])
    assert (coarse.position, coarse.channel, coarse.unit) == (0, "Im", "pA")
    assert coarse.step == pytest.approx(1e6 / 32_000, rel=1e-3)  # peak / 32,000 counts
    assert coarse.span == pytest.approx(0.5, rel=1e-3)
    assert abf_coarse_sweeps(_sweeps()[1:], ["Im"]) == []


def test_pyabf_refuses_float_samples_in_abf1(abf_file, tmp_path):
    """Why vlab does not write float32 samples: nDataFormat (byte 100) = 1 is refused."""
    raw = bytearray(abf_file.read_bytes())
    raw[100:102] = (1).to_bytes(2, "little")
    patched = tmp_path / "float.abf"
    patched.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="float"):
        pyabf.ABF(str(patched))
