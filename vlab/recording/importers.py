"""Open recordings as sweeps: vlab's own files and real ABF / ATF recordings.

:func:`read_sweeps` picks the reader by extension:

==========  =========================================================================
``.vlab``   experiment file (:func:`load_session`): settings, metadata and sweeps
``.npz``    vlab NumPy export (:func:`read_npz`)
``.csv``    vlab CSV export (:func:`read_csv`)
``.abf``    Axon Binary File 1.x or 2.x (Clampex, vlab) through pyABF
``.atf``    Axon Text File through pyABF
==========  =========================================================================

Real recordings become sweeps in SI units: a channel in a voltage unit (mV, V, µV)
is ``Vm``, one in a current unit (pA, nA, µA, A) is ``Im`` (later ones keep their
ADC name), and the DAC 0 command rebuilt from the file's epoch table is ``command``
(its unit gives the clamp mode: mV = voltage clamp, pA = current clamp).
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vlab.recording.errors import ReadError, RecordingError
from vlab.recording.model import Sweep

__all__ = ["IMPORT_EXTENSIONS", "SweepFile", "read_abf", "read_atf", "read_sweeps"]

IMPORT_EXTENSIONS = (".vlab", ".npz", ".csv", ".abf", ".atf")

#: unit label -> (SI unit, factor to SI)
_UNITS: dict[str, tuple[str, float]] = {
    "mv": ("V", 1e-3),
    "v": ("V", 1.0),
    "uv": ("V", 1e-6),
    "µv": ("V", 1e-6),
    "pa": ("A", 1e-12),
    "na": ("A", 1e-9),
    "ua": ("A", 1e-6),
    "µa": ("A", 1e-6),
    "a": ("A", 1.0),
    "ns": ("S", 1e-9),
}


@dataclass
class SweepFile:
    """What :func:`read_sweeps` found: sweeps, export metadata and (for ``.vlab``) settings."""

    sweeps: list[Sweep]
    metadata: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None


def _channel_name(label: str, unit: str, taken: set[str]) -> str:
    si = _UNITS.get(unit.strip().lower(), ("1", 1.0))[0]
    for wanted, kind in (("Vm", "V"), ("Im", "A")):
        if si == kind and wanted not in taken:
            return wanted
    base = label.strip() or "channel"
    name, k = base, 2
    while name in taken or name == "command":
        name, k = f"{base}_{k}", k + 1
    return name


def _to_si(values: np.ndarray, unit: str) -> np.ndarray:
    return np.asarray(values, dtype=np.float64) * _UNITS.get(unit.strip().lower(), ("1", 1.0))[1]


def _abf_start_times(abf: Any, path: Path) -> list[float]:
    """Sweep start times, s: from the synch array of an ABF1 file, else pyABF's interval."""
    default = [k * float(abf.sweepIntervalSec) for k in abf.sweepList]
    header = getattr(abf, "_headerV1", None)
    if header is None or header.lSynchArraySize != len(default) or header.lSynchArrayPtr <= 0:
        return default
    try:
        with open(path, "rb") as fh:
            fh.seek(header.lSynchArrayPtr * 512)
            synch = np.frombuffer(fh.read(8 * len(default)), dtype="<i4").reshape(-1, 2)
    except (OSError, ValueError):
        return default
    unit_s = header.fSynchTimeUnit * 1e-6 if header.fSynchTimeUnit > 0 else 1.0 / abf.dataRate
    starts = (synch[:, 0] - synch[0, 0]) * unit_s
    return [float(t) for t in starts]


def read_abf(path: str | os.PathLike[str]) -> list[Sweep]:
    """Sweeps of an ABF file (every channel, plus the DAC 0 command when it has units).

    Raises
    ------
    ReadError
        If pyABF cannot read the file or it holds no usable samples.
    """
    import pyabf

    source = Path(path)
    try:
        abf = pyabf.ABF(str(source))
    except Exception as exc:  # pyABF raises bare Exceptions for damaged files
        raise ReadError(f"{source.name} is not a readable ABF file ({exc}).", path) from exc
    units = [str(u) for u in abf.adcUnits]
    taken: set[str] = set()
    names = []
    for label, unit in zip(abf.adcNames, units, strict=True):
        names.append(_channel_name(str(label), unit, taken))
        taken.add(names[-1])
    dac_unit = str(abf.dacUnits[0]).strip() if len(abf.dacUnits) else ""
    mode = {"mv": "VC", "pa": "IC", "na": "IC"}.get(dac_unit.lower())
    when = getattr(abf, "abfDateTime", None)
    created = when.isoformat() if isinstance(when, _dt.datetime) else None
    starts = _abf_start_times(abf, source)
    protocol = str(getattr(abf, "protocol", "") or "")
    sweeps = []
    try:
        for k in abf.sweepList:
            channels: dict[str, np.ndarray] = {}
            for ch, (name, unit) in enumerate(zip(names, units, strict=True)):
                abf.setSweep(k, channel=ch)
                channels[name] = _to_si(abf.sweepY, unit)
            abf.setSweep(k, channel=0)
            if mode is not None and np.all(np.isfinite(abf.sweepC)):
                channels["command"] = _to_si(abf.sweepC, dac_unit)
            prov: dict[str, Any] = {
                "source_file": source.name,
                "source_format": f"ABF {abf.abfVersionString}",
                "protocol_name": "" if protocol == "None" else protocol,
                "units_in_file": dict(zip(names, units, strict=True)),
            }
            if mode is not None:
                prov["mode"] = mode
            if created:
                prov["created"] = created
            sweeps.append(
                Sweep(
                    index=k,
                    dt=1.0 / abf.dataRate,
                    channels=channels,
                    t0=starts[k],
                    provenance=prov,
                    label=source.stem,
                )
            )
    except (RecordingError, ValueError, IndexError) as exc:
        raise ReadError(f"{source.name}: the ABF data cannot be used ({exc}).", path) from exc
    if not sweeps:
        raise ReadError(f"{source.name} holds no sweeps.", path)
    return sweeps


def read_atf(path: str | os.PathLike[str]) -> list[Sweep]:
    """Sweeps of an Axon Text File (every signal; units from the column titles)."""
    import pyabf

    source = Path(path)
    try:
        atf = pyabf.ATF(str(source))
    except Exception as exc:  # pyABF raises bare Exceptions for damaged files
        raise ReadError(f"{source.name} is not a readable ATF file ({exc}).", path) from exc
    signals = [str(s) for s in atf.header.get("Signals", [])]
    per_sweep = len(dict.fromkeys(signals)) or 1
    labels = signals[:per_sweep] or ["channel"]
    titles = list(atf.columnLabelsY)
    units = [t[t.rfind("(") + 1 : t.rfind(")")] if "(" in t else "" for t in titles[:per_sweep]]
    taken: set[str] = set()
    names = []
    for label, unit in zip(labels, units, strict=True):
        name = "command" if label == "Cmd" else _channel_name(label, unit, taken)
        names.append(name)
        taken.add(name)
    cmd_unit = units[names.index("command")].lower() if "command" in names else ""
    mode = {"mv": "VC", "pa": "IC"}.get(cmd_unit)
    if "command" in names and mode is None:
        names[names.index("command")] = "Cmd"
    x = np.asarray(atf.dataX, dtype=np.float64)  # float32 in pyABF: 7 digits are true
    dt = float(f"{(x[-1] - x[0]) / (len(x) - 1):.6g}") if len(x) > 1 else 1e-4
    n_sweeps = (len(titles)) // per_sweep
    sweeps = []
    try:
        for k in range(n_sweeps):
            channels = {
                name: _to_si(atf.data[k * per_sweep + j], unit)
                for j, (name, unit) in enumerate(zip(names, units, strict=True))
            }
            prov: dict[str, Any] = {"source_file": source.name, "source_format": "ATF"}
            if mode is not None:
                prov["mode"] = mode
            sweeps.append(Sweep(index=k, dt=dt, channels=channels, provenance=prov))
    except (RecordingError, ValueError, IndexError) as exc:
        raise ReadError(f"{source.name}: the ATF data cannot be used ({exc}).", path) from exc
    if not sweeps:
        raise ReadError(f"{source.name} holds no sweeps.", path)
    return sweeps


def read_sweeps(path: str | os.PathLike[str]) -> SweepFile:
    """Open any recording vlab can read, chosen by the file's extension.

    Raises
    ------
    ReadError
        Unknown extension, or the file cannot be read (``SessionError`` for ``.vlab``).
    """
    from vlab.recording.export_csv import read_csv
    from vlab.recording.export_npz import read_npz
    from vlab.recording.session import load_session

    ext = Path(path).suffix.lower()
    if ext == ".vlab":
        state, recording = load_session(path)
        return SweepFile(list(recording.sweeps), dict(recording.metadata), state)
    if ext == ".npz":
        meta, sweeps = read_npz(path)
        return SweepFile(list(sweeps), dict(meta))
    if ext == ".csv":
        meta, sweeps = read_csv(path)
        return SweepFile(list(sweeps), dict(meta))
    if ext == ".abf":
        return SweepFile(read_abf(path))
    if ext == ".atf":
        return SweepFile(read_atf(path))
    raise ReadError(
        f"vlab cannot read {Path(path).name!r}: open one of {', '.join(IMPORT_EXTENSIONS)}.", path
    )
