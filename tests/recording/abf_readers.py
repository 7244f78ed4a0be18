"""Open an ABF file with the readers vlab did not write: pyABF, neo's AxonIO and Stimfit's stfio.

Each returns the same plain description so tests can compare them:
``{"sweeps": int, "names": [...], "units": [...], "dt": s, "data": [channel][sweep] -> array}``.
stfio (Debian's python3-stfio, Axon's own ABF code) is built for the system Python and its
numpy, so it runs in a subprocess of ``/usr/bin/python3``.
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

SYSTEM_PYTHON = "/usr/bin/python3"

_STFIO_SCRIPT = r"""
import json, sys
import numpy as np
import stfio
rec = stfio.read(sys.argv[1], "abf")
arrays = {f"c{c}s{k}": np.asarray(sec) for c, ch in enumerate(rec) for k, sec in enumerate(ch)}
np.savez(sys.argv[2], **arrays)
json.dump({
    "sweeps": len(rec[0]),
    "names": [ch.name for ch in rec],
    "units": [ch.yunits for ch in rec],
    "dt": rec.dt * 1e-3 if rec.xunits == "ms" else rec.dt,
    "date": str(rec.date).strip("\x00 "),
    "time": str(rec.time).strip("\x00 "),
}, sys.stdout)
"""


def read_pyabf(path: Path) -> dict:
    import pyabf

    abf = pyabf.ABF(str(path))
    data = []
    for ch in range(abf.channelCount):
        rows = []
        for k in range(abf.sweepCount):
            abf.setSweep(k, channel=ch)
            rows.append(np.asarray(abf.sweepY, dtype=np.float64))
        data.append(rows)
    return {
        "sweeps": abf.sweepCount,
        "names": list(abf.adcNames),
        "units": list(abf.adcUnits),
        "dt": 1.0 / abf.dataRate,
        "data": data,
        "abf": abf,
    }


def read_neo(path: Path) -> dict:
    import neo

    block = neo.io.AxonIO(str(path)).read_block()
    segs = block.segments
    names, units, data = [], [], []
    for sig in segs[0].analogsignals:  # neo groups channels that share a unit
        for name in sig.array_annotations["channel_names"]:
            names.append(str(name))
            units.append(sig.units.dimensionality.string)
    for ch in range(len(names)):
        rows = []
        for seg in segs:
            columns = [
                np.asarray(s.magnitude[:, j]) for s in seg.analogsignals for j in range(s.shape[1])
            ]
            rows.append(columns[ch].astype(np.float64))
        data.append(rows)
    first = segs[0].analogsignals[0]
    return {
        "sweeps": len(segs),
        "names": names,
        "units": units,
        "dt": float(first.sampling_period.rescale("s").magnitude),
        "data": data,
        "t_start": [float(seg.analogsignals[0].t_start.rescale("s").magnitude) for seg in segs],
        "rec_datetime": block.rec_datetime,
    }


@functools.lru_cache(maxsize=8)
def read_stfio(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        arrays = Path(tmp) / "data.npz"
        proc = subprocess.run(
            [SYSTEM_PYTHON, "-c", _STFIO_SCRIPT, str(path), str(arrays)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert proc.returncode == 0, (
            f"stfio could not read {path} (exit {proc.returncode}): {proc.stderr[-2000:]}\n"
            "Install Debian's python3-stfio (scripts/setup-env does)."
        )
        out = json.loads(proc.stdout)
        with np.load(arrays) as npz:
            out["data"] = [
                [np.asarray(npz[f"c{c}s{k}"], dtype=np.float64) for k in range(out["sweeps"])]
                for c in range(len(out["names"]))
            ]
    return out
