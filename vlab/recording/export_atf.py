"""ATF export: Axon Text File 1.0, as Clampfit writes an episodic file.

Layout (tab-separated; header records in double quotes)::

    ATF    1.0
    7      5
    "AcquisitionMode=Episodic Stimulation"
    "Comment=vlab 0.1.0 simulation: Voltage-step family (I-V)"
    "YTop=60,3000"
    "YBottom=-100,-2000"
    "SweepStartTimesMS=0.000,1000.000"
    "SignalsExported=Vm,Im"
    "Signals="  "Vm"  "Im"  "Vm"  "Im"
    "Time (s)"  "Trace #1 (mV)"  "Trace #1 (pA)"  "Trace #2 (mV)"  "Trace #2 (pA)"
    0   -65 -138.8  -65 -140.1
    ...

One time column (seconds within the sweep), then for each sweep one column per
channel, in Clampex's units (mV, pA, nS; see :data:`ABF_UNITS`). Values keep 9
significant digits. Like ABF, ATF has no place for vlab's provenance (nor for
mystery drugs).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence

import numpy as np

from vlab import __version__ as _VLAB_VERSION
from vlab.recording._atomic import atomic_open
from vlab.recording._common import as_sweeps
from vlab.recording.errors import ExportError
from vlab.recording.export_abf import ABF_UNITS, abf_channels
from vlab.recording.model import Recording, Sweep
from vlab.recording.progress import report

__all__ = ["write_atf"]

#: values formatted at a time: the rows of one block (all sweeps side by side) are built
#: from the sweeps and written, so memory beyond the data is bounded (~100 bytes a value
#: while formatting) whatever the number of sweeps
_CELLS = 100_000


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'").replace("\t", " ").replace("\n", " ") + '"'


def write_atf(
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    channels: Sequence[str] | None = None,
) -> list[str]:
    """Write ``sweeps`` as an ATF 1.0 text file, atomically.

    Parameters
    ----------
    sweeps
        Sweeps of equal length and sample interval.
    path
        Target ``.atf`` file.
    channels
        Channels to write; default Vm and Im (plus ``command`` as ``Cmd`` when every
        sweep has one clamp mode).

    Returns
    -------
    list of str
        The channel names written.

    Raises
    ------
    ExportError
        Unequal sweeps, a missing channel, or a failed write (an existing file is kept).
    """
    items = as_sweeps(sweeps)
    names = abf_channels(items, channels)
    modes = {s.mode for s in items}
    if channels is None and len(modes) == 1 and all("command" in s.channels for s in items):
        names.append("command")
    n, dt = items[0].n_samples, items[0].dt
    if any(s.n_samples != n or not math.isclose(s.dt, dt, rel_tol=1e-9) for s in items):
        raise ExportError(
            "An ATF file needs sweeps of equal length and sample rate: "
            "select sweeps from a single protocol run."
        )
    labels, units, factors = [], [], []
    for name in names:
        kinds = {s.unit(name) for s in items}
        if len(kinds) != 1:
            raise ExportError(f"The {name} channel has different units in different sweeps.")
        unit, factor = ABF_UNITS[kinds.pop()]
        labels.append("Cmd" if name == "command" else name)
        units.append(unit)
        factors.append(factor)
    tops, bottoms = [], []
    for name, factor in zip(names, factors, strict=True):
        ends = [(s.channels[name].min() * factor, s.channels[name].max() * factor) for s in items]
        tops.append(max(float(v) for pair in ends for v in pair))
        bottoms.append(min(float(v) for pair in ends for v in pair))
    starts = ",".join(f"{(s.t0 - items[0].t0) * 1e3:.3f}" for s in items)
    n_cols = 1 + len(items) * len(names)
    protocol = str(items[0].provenance.get("protocol_name", ""))
    header = [
        "ATF\t1.0",
        f"7\t{n_cols}",
        _quoted("AcquisitionMode=Episodic Stimulation"),
        _quoted(f"Comment=vlab {_VLAB_VERSION} simulation: {protocol}"),
        _quoted("YTop=" + ",".join(f"{v:.6g}" for v in tops)),
        _quoted("YBottom=" + ",".join(f"{v:.6g}" for v in bottoms)),
        _quoted(f"SweepStartTimesMS={starts}"),
        _quoted("SignalsExported=" + ",".join(labels)),
        "\t".join([_quoted("Signals=")] + [_quoted(lab) for lab in labels] * len(items)),
        "\t".join(
            [_quoted("Time (s)")]
            + [_quoted(f"Trace #{k + 1} ({u})") for k in range(len(items)) for u in units]
        ),
    ]
    t = np.arange(n) * dt
    rows = max(1, _CELLS // n_cols)  # rows formatted at a time
    with atomic_open(path) as fh:
        fh.write(("\n".join(header) + "\n").encode("ascii", "replace"))
        for a in range(0, n, rows):
            report(a / n)
            b = min(n, a + rows)
            block = np.empty((b - a, n_cols))
            block[:, 0] = t[a:b]
            for k, s in enumerate(items):
                for j, (name, factor) in enumerate(zip(names, factors, strict=True)):
                    block[:, 1 + k * len(names) + j] = s.channels[name][a:b] * factor
            text = "\n".join("\t".join(f"{v:.9g}" for v in row) for row in block) + "\n"
            fh.write(text.encode("ascii"))
    return ["Cmd" if x == "command" else x for x in names]
