"""ABF export through pyABF's ABF1 writer (``pyabf.abfWriter.writeABF1``).

pyABF writes **one channel** per file, as 16-bit integers, with sweeps of equal
length and one sample rate, and no metadata, command waveform or sweep start
times. So we export the channel a Clampfit user expects to analyse:

* current clamp (``IC``, ``I=0``): ``Vm`` in **mV** (the membrane response);
* voltage clamp (``VC``): ``Im`` in **pA** (the clamp current).

mV and pA are Clampex's own units, so Clampfit, MiniAnalysis and pyABF show
familiar numbers. Any other channel can be chosen (V -> mV, A -> pA,
S -> nS, dimensionless as is with unit '1'). Use NWB or the ``.vlab`` file to keep everything.

Precision: pyABF picks a scale ``s = 3276.8 * 10**k`` (the largest that fits
``max|x|`` in ±32767) and stores ``int(x * s)``, truncating toward zero, so a
value reads back lower in magnitude by less than ``1 / s`` display units
(:func:`abf_quantum`), plus float32 rounding when read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

import numpy as np

from vlab.recording._atomic import atomic_path
from vlab.recording._common import as_sweeps
from vlab.recording.errors import ExportError, RecordingError
from vlab.recording.model import Recording, Sweep, is_voltage_clamp

__all__ = ["ABF_UNITS", "abf_quantum", "default_abf_channel", "write_abf"]

#: SI unit -> (ABF unit label, factor from SI).
ABF_UNITS: dict[str, tuple[str, float]] = {
    "V": ("mV", 1e3),
    "A": ("pA", 1e12),
    "S": ("nS", 1e9),
    "1": ("1", 1.0),  # a blank label reads back as '?'
}
_ADC_RESOLUTION = 2**15  # pyABF: lADCResolution
_ADC_RANGE = 10.0  # pyABF: fADCRange


def abf_quantum(max_abs: float) -> float:
    """Quantisation step (display units) pyABF's writer uses for data with this peak.

    Mirrors the scale search in ``pyabf.abfWriter.writeABF1``: instrument scale
    factors 10, 1, 0.1, ... 1e-8, keeping the first whose range covers ``max_abs``.
    Values are truncated toward zero, so the read-back error is below this step.
    """
    factor = 100.0
    scale = 0.0
    for _ in range(10):
        factor /= 10
        scale = _ADC_RESOLUTION / _ADC_RANGE * factor
        if 32767 / scale >= max_abs:
            break
    return 1.0 / scale


def default_abf_channel(sweeps: Iterable[Sweep]) -> str:
    """``'Im'`` if every sweep is voltage clamp, ``'Vm'`` if every sweep is current clamp.

    Raises
    ------
    ExportError
        If the sweeps mix clamp modes or a sweep has no known mode.
    """
    try:
        modes = {is_voltage_clamp(s.mode) for s in sweeps}
    except RecordingError as exc:
        raise ExportError(f"Could not choose the ABF channel: {exc}") from exc
    if len(modes) != 1:
        raise ExportError(
            "These sweeps mix voltage clamp and current clamp; an ABF file holds one "
            "channel, so export the two kinds separately (or choose the channel)."
        )
    return "Im" if modes.pop() else "Vm"


def write_abf(
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    channel: str | None = None,
) -> str:
    """Write one channel of ``sweeps`` as an ABF1 file, atomically.

    Parameters
    ----------
    sweeps
        Sweeps of equal length and sample interval (one protocol run).
    path
        Target ``.abf`` file; replaced only once the new file is complete.
    channel
        Channel to export; default :func:`default_abf_channel` (Vm in mV for
        current clamp, Im in pA for voltage clamp).

    Returns
    -------
    str
        The ABF unit label written (``'mV'``, ``'pA'``, ``'nS'`` or ``'1'``).

    Raises
    ------
    ExportError
        If the sweeps cannot share one ABF file, or writing fails (an existing
        file at ``path`` is then left untouched).
    """
    items = as_sweeps(sweeps)
    channel = channel or default_abf_channel(items)
    missing = [i for i, s in enumerate(items) if channel not in s.channels]
    if missing:
        raise ExportError(f"Sweep {missing[0]} has no {channel} channel to write to the ABF file.")
    n, dt = items[0].n_samples, items[0].dt
    if any(s.n_samples != n or not math.isclose(s.dt, dt, rel_tol=1e-9) for s in items):
        raise ExportError(
            "An ABF file needs sweeps of equal length and sample rate: "
            "select sweeps from a single protocol run."
        )
    units = {s.unit(channel) for s in items}
    if len(units) != 1:
        raise ExportError(f"The {channel} channel has different units in different sweeps.")
    label, factor = ABF_UNITS[units.pop()]
    data = np.vstack([s.channels[channel] * factor for s in items])
    if float(np.max(np.abs(data))) > 9.9e8:
        raise ExportError(f"The {channel} values are too large to store in an ABF file.")
    import pyabf.abfWriter

    with atomic_path(path) as tmp:
        pyabf.abfWriter.writeABF1(data, os.fspath(tmp), 1.0 / dt, units=label)
    return label
