"""Write ``clampex_cell.nwb`` with pynwb (not vlab's writer) from the two real Clampex files.

An independent NWB fixture for vlab's NWB import: a real cell's voltage-clamp step family
(``171116sh_0013.abf``, 13 sweeps) as ``VoltageClampSeries`` with their
``VoltageClampStimulusSeries`` commands, and the first three current-clamp sweeps of
``190619B_0003.abf`` as ``CurrentClampSeries`` with ``CurrentClampStimulusSeries``.
Samples are stored as the digitiser's 16-bit counts (int16) with the ``conversion`` factor
to volts or amperes, the way acquisition systems write NWB, and gzip-compressed.

Run from the repository root: ``.venv/bin/python tests/data/recordings/make_nwb_fixture.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyabf
from hdmf.backends.hdf5 import H5DataIO
from pynwb import NWBHDF5IO, NWBFile
from pynwb.icephys import (
    CurrentClampSeries,
    CurrentClampStimulusSeries,
    VoltageClampSeries,
    VoltageClampStimulusSeries,
)

HERE = Path(__file__).parent
OUT = HERE / "clampex_cell.nwb"
CC_SWEEPS = 3


def _counts(values: np.ndarray, quantum: float) -> np.ndarray:
    counts = np.round(np.asarray(values, dtype=np.float64) / quantum)
    assert np.all(np.abs(counts) < 32768), "values do not fit 16-bit counts"
    return counts.astype(np.int16)


def _quantum(abf: pyabf.ABF, channel: int) -> float:
    """The ADC step of ``channel`` (display units per count), from the file's scaling."""
    assert abf._dataOffset[channel] == 0.0
    return float(abf._dataGain[channel])


def _gz(data: np.ndarray) -> H5DataIO:
    return H5DataIO(data=data, compression="gzip", compression_opts=4)


def main() -> None:
    vc = pyabf.ABF(str(HERE / "171116sh_0013.abf"))
    cc = pyabf.ABF(str(HERE / "190619B_0003.abf"))
    nwb = NWBFile(
        session_description="Two real Clampex recordings, for testing NWB import",
        identifier="vlab-test-fixture-clampex-cell",
        session_start_time=dt.datetime(2017, 11, 16, 14, 5, 47, tzinfo=dt.timezone.utc),
        experimenter=["Scott W Harden (recordings)"],
        notes="Samples copied from pyABF's data/abfs (MIT licence); see README.md.",
    )
    device = nwb.create_device(name="Axon amplifier", description="Clampex 10.7 / 9.2")
    vc_el = nwb.create_icephys_electrode(name="vc_electrode", description="IN 0", device=device)
    cc_el = nwb.create_icephys_electrode(name="cc_electrode", description="IN 0", device=device)

    q_pa = _quantum(vc, 0)
    for k in vc.sweepList:
        vc.setSweep(k)
        stim = VoltageClampStimulusSeries(
            name=f"vc_stimulus_{k:02d}",
            data=_gz(vc.sweepC.astype(np.float32)),
            starting_time=float(k * vc.sweepIntervalSec),
            rate=float(vc.dataRate),
            electrode=vc_el,
            gain=1.0,
            conversion=1e-3,  # mV -> V
            sweep_number=np.uint32(k),
        )
        resp = VoltageClampSeries(
            name=f"vc_response_{k:02d}",
            data=_gz(_counts(vc.sweepY, q_pa)),
            starting_time=float(k * vc.sweepIntervalSec),
            rate=float(vc.dataRate),
            electrode=vc_el,
            gain=1.0,
            conversion=q_pa * 1e-12,  # counts -> A
            sweep_number=np.uint32(k),
        )
        nwb.add_stimulus(stim)
        nwb.add_acquisition(resp)
        nwb.add_intracellular_recording(electrode=vc_el, stimulus=stim, response=resp)

    q_mv = _quantum(cc, 0)
    t0 = 100.0  # the current-clamp file starts later in this session, s
    for k in range(CC_SWEEPS):
        cc.setSweep(k, channel=0)
        start = t0 + k * float(cc.sweepIntervalSec)
        stim = CurrentClampStimulusSeries(
            name=f"cc_stimulus_{k:02d}",
            data=_gz(cc.sweepC.astype(np.float32)),
            starting_time=start,
            rate=float(cc.dataRate),
            electrode=cc_el,
            gain=1.0,
            conversion=1e-12,  # pA -> A
            sweep_number=np.uint32(100 + k),
        )
        resp = CurrentClampSeries(
            name=f"cc_response_{k:02d}",
            data=_gz(_counts(cc.sweepY, q_mv)),
            starting_time=start,
            rate=float(cc.dataRate),
            electrode=cc_el,
            gain=1.0,
            conversion=q_mv * 1e-3,  # counts -> V
            sweep_number=np.uint32(100 + k),
        )
        nwb.add_stimulus(stim)
        nwb.add_acquisition(resp)
        nwb.add_intracellular_recording(electrode=cc_el, stimulus=stim, response=resp)

    with NWBHDF5IO(str(OUT), "w") as io:
        io.write(nwb)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
