"""ABF export via pyABF's ABF1 writer, read back with pyabf.ABF."""

from __future__ import annotations

import numpy as np
import pyabf
import pytest
from recording_factory import make_sweep

from vlab.recording import ExportError, abf_quantum, default_abf_channel, write_abf


def _bound(data: np.ndarray) -> float:
    """Honest read-back error bound: pyABF truncates to its quantum, then reads float32."""
    peak = float(np.max(np.abs(data)))
    return abf_quantum(peak) + 4 * np.finfo(np.float32).eps * peak


def _check(path, sweeps, channel, factor, unit):
    abf = pyabf.ABF(str(path))
    assert abf.sweepCount == len(sweeps)
    assert abf.channelCount == 1
    assert abf.dataRate == round(1 / sweeps[0].dt)
    assert abf.sweepUnitsY == unit
    expected = np.vstack([s[channel] * factor for s in sweeps])
    bound = _bound(expected)
    for k in range(len(sweeps)):
        abf.setSweep(k)
        assert len(abf.sweepY) == sweeps[k].n_samples
        np.testing.assert_allclose(abf.sweepX, sweeps[k].time(), rtol=1e-6, atol=1e-9)
        err = np.max(np.abs(abf.sweepY.astype(np.float64) - expected[k]))
        assert err <= bound, (err, bound)
    return bound


def test_current_clamp_exports_vm_in_mv(tmp_path, ic_sweeps):
    assert default_abf_channel(ic_sweeps) == "Vm"
    path = tmp_path / "ic.abf"
    assert write_abf(ic_sweeps, path) == "mV"
    bound = _check(path, ic_sweeps, "Vm", 1e3, "mV")
    assert bound < 0.01  # peak < 100 mV -> quantum 1/327.68 mV (3 uV)


def test_voltage_clamp_exports_im_in_pa(tmp_path, vc_sweeps):
    assert default_abf_channel(vc_sweeps) == "Im"
    path = tmp_path / "vc.abf"
    assert write_abf(vc_sweeps, path) == "pA"
    bound = _check(path, vc_sweeps, "Im", 1e12, "pA")
    assert bound < 0.5  # peak ~2 nA = 2000 pA -> quantum 0.305 pA


def test_i_zero_counts_as_current_clamp():
    assert default_abf_channel([make_sweep(0, "I=0")]) == "Vm"


@pytest.mark.parametrize(
    ("channel", "factor", "unit"), [("INa", 1e12, "pA"), ("gK", 1e9, "nS"), ("m", 1.0, "1")]
)
def test_other_channels_can_be_chosen(tmp_path, ic_sweeps, channel, factor, unit):
    path = tmp_path / f"{channel}.abf"
    assert write_abf(ic_sweeps, path, channel=channel) == unit
    _check(path, ic_sweeps, channel, factor, unit)


def test_quantum_follows_pyabf_scale_search():
    assert abf_quantum(0.5) == pytest.approx(1 / 32768)
    assert abf_quantum(65.0) == pytest.approx(1 / 327.68)
    assert abf_quantum(2000.0) == pytest.approx(1 / 3.2768)


def test_incompatible_sweeps_are_refused_without_writing(tmp_path, ic_sweeps, vc_sweeps):
    path = tmp_path / "x.abf"
    with pytest.raises(ExportError, match="mix voltage clamp and current clamp"):
        write_abf(ic_sweeps + vc_sweeps, path)
    with pytest.raises(ExportError, match="equal length"):
        write_abf([make_sweep(0, n=100), make_sweep(1, n=200)], path)
    with pytest.raises(ExportError, match="equal length"):
        write_abf([make_sweep(0, dt=1e-5), make_sweep(1, dt=2e-5)], path)
    with pytest.raises(ExportError, match="no INa channel"):
        write_abf([make_sweep(0, extra=False)], path, channel="INa")
    assert list(tmp_path.iterdir()) == []
