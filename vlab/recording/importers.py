"""Open recordings as sweeps: vlab's own files and real ABF, ATF and NWB recordings.

:func:`read_sweeps` picks the reader by extension:

==========  =========================================================================
``.vlab``   experiment file (:func:`load_session`): settings, metadata and sweeps
``.npz``    vlab NumPy export (:func:`read_npz`)
``.csv``    vlab CSV export (:func:`read_csv`)
``.abf``    Axon Binary File 1.x or 2.x (Clampex, vlab) through pyABF
``.atf``    Axon Text File (Axon's ATF 1.0 text layout, read here)
``.nwb``    NWB 2 intracellular recordings through pynwb (:mod:`.import_nwb`)
==========  =========================================================================

Real recordings become sweeps in SI units: the first channel in a voltage unit (mV, V,
µV) is ``Vm`` and the first in a current unit (pA, nA, µA, A) is ``Im``; later ones are
``Vm@<name>`` / ``Im@<name>`` (``<name>`` is the file's channel name, spaces and
punctuation as ``_``: ``Vm@IN_2``), and channels in any other unit keep their values under
``aux_<name>_<unit>``. The command rebuilt from an ABF's
epoch table is ``command``. The clamp mode comes from the command's unit (mV = voltage
clamp, pA = current clamp), else from the first recorded channel (a recorded current means
voltage clamp). Every imported sweep is marked ``provenance["imported"] = True`` with the
file's name (``source_file``) and is labelled with it; the sweeps of one file form one run.

Files are checked before a reader sees them (:func:`vlab.safe_read.open_regular`: a
regular file, at most :data:`MAX_IMPORT_BYTES`); every failure is a :class:`ReadError`
(a ``ValueError``) with a one-line message naming the file.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vlab.recording.errors import ReadError, RecordingError
from vlab.recording.model import CHANNEL_UNITS, Sweep, channel_unit
from vlab.safe_read import BadFileError, open_regular, read_bytes

__all__ = [
    "IMPORT_EXTENSIONS",
    "MAX_IMPORT_BYTES",
    "SweepFile",
    "imported_provenance",
    "read_abf",
    "read_atf",
    "read_sweeps",
]

IMPORT_EXTENSIONS = (".vlab", ".npz", ".csv", ".abf", ".atf", ".nwb")
#: the foreign recordings (not written by vlab) that the Analysis window imports
RECORDING_EXTENSIONS = (".abf", ".atf", ".nwb")
MAX_IMPORT_BYTES = 512 * 2**20
"""Largest ABF/ATF/NWB file vlab imports (bytes): it is read whole into memory as float64."""

#: unit label -> (SI unit, factor to SI)
_UNITS: dict[str, tuple[str, float]] = {
    "mv": ("V", 1e-3),
    "v": ("V", 1.0),
    "volts": ("V", 1.0),
    "uv": ("V", 1e-6),
    "µv": ("V", 1e-6),
    "pa": ("A", 1e-12),
    "na": ("A", 1e-9),
    "ua": ("A", 1e-6),
    "µa": ("A", 1e-6),
    "a": ("A", 1.0),
    "amperes": ("A", 1.0),
    "ns": ("S", 1e-9),
    "us": ("S", 1e-6),
    "µs": ("S", 1e-6),
}


@dataclass
class SweepFile:
    """What :func:`read_sweeps` found: sweeps, export metadata and (for ``.vlab``) settings."""

    sweeps: list[Sweep]
    metadata: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None


def si_unit(unit: str) -> tuple[str, float]:
    """``(SI unit, factor)`` of a unit label (``'mV'`` -> ``('V', 1e-3)``); ``('', 1)`` if unknown."""
    return _UNITS.get(unit.strip().lower(), ("", 1.0))


def _safe(text: str) -> str:
    """``text`` as a channel-name part every format accepts (``"IN 2"`` -> ``"IN_2"``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text.strip()).strip("_")


def channel_names(labels: list[str], units: list[str]) -> list[str]:
    """vlab channel names for a file's channels (module docstring): Vm, Im, Vm@IN_2, ...

    A label that already names a vlab channel of the right unit (``Vm``, ``Im``,
    ``Vm@2cm``, ``gNa``, ``m``: files vlab wrote) is kept.
    """
    names: list[str] = []
    for label, unit in zip(labels, units, strict=True):
        kind = si_unit(unit)[0] or ("1" if unit.strip() in ("", "1") else "")
        base = _safe(label) or f"channel_{len(names)}"
        vlab_name = base in CHANNEL_UNITS or base.startswith(("Vm@", "Im@"))
        if kind and vlab_name and channel_unit(base) == kind and base not in names:
            name = base
        elif kind in ("V", "A"):
            first = "Vm" if kind == "V" else "Im"
            name = first if first not in names else f"{first}@{base}"
        else:
            name = f"aux_{base}_{_safe(unit) or 'nounit'}"
        stem, k = name, 2
        while name in names or name == "command":
            name, k = f"{stem}_{k}", k + 1
        names.append(name)
    return names


def infer_mode(command_unit: str, units: list[str]) -> str | None:
    """Clamp mode from the command's unit, else from the first recorded channel's unit."""
    kind = si_unit(command_unit)[0]
    if kind:
        return "VC" if kind == "V" else "CC"
    for unit in units:
        kind = si_unit(unit)[0]
        if kind:
            return "CC" if kind == "V" else "VC"
    return None


def to_si(values: Any, unit: str) -> np.ndarray:
    """``values`` (in ``unit``) as float64 SI (unchanged when the unit is unknown)."""
    return np.asarray(values, dtype=np.float64) * si_unit(unit)[1]


def imported_provenance(source: Path, source_format: str, mode: str | None) -> dict[str, Any]:
    """The provenance every imported sweep of ``source`` carries (one run per file)."""
    prov: dict[str, Any] = {
        "imported": True,
        "source_file": source.name,
        "source_format": source_format,
        "run_id": f"imported:{source.name}",
    }
    if mode is not None:
        prov["mode"] = mode
    return prov


_SIGNATURES = {"ABF": (b"ABF ", b"ABF2"), "ATF": (b"ATF",), "NWB": (b"\x89HDF\r\n\x1a\n",)}


def check_file(path: str | os.PathLike[str], kind: str) -> Path:
    """Refuse what is not a regular ``kind`` file (ABF, ATF, NWB) of at most
    :data:`MAX_IMPORT_BYTES`, from its size and first bytes (ReadError)."""
    try:
        with open_regular(path, MAX_IMPORT_BYTES) as fh:
            head = fh.read(8)
    except BadFileError as exc:
        raise ReadError(str(exc), path) from None
    except OSError as exc:
        raise ReadError(f"Could not read {Path(path).name}: {exc.strerror or exc}.", path) from None
    if not head.startswith(_SIGNATURES[kind]):
        what = "empty" if not head else f"not an {kind} file"
        raise ReadError(f"{Path(path).name} is {what}; vlab imports {kind} recordings.", path)
    return Path(path)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (readers raise multi-line messages)."""
    lines = str(exc).strip().splitlines()
    return (lines[0][:200] if lines else "") or type(exc).__name__


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


def _abf_commands(abf: Any, dac_unit: str) -> list[np.ndarray] | None:
    """DAC 0's command of every sweep in SI (pyABF's ``sweepC``), or None if it has none."""
    if not si_unit(dac_unit)[0]:
        return None
    out = []
    for k in abf.sweepList:
        abf.setSweep(k, channel=0)
        command = np.asarray(abf.sweepC, dtype=np.float64)
        if not np.all(np.isfinite(command)):
            return None
        out.append(to_si(command, dac_unit))
    return out


def read_abf(path: str | os.PathLike[str]) -> list[Sweep]:
    """Sweeps of an ABF file (every channel, plus the DAC 0 command when it has units).

    Raises
    ------
    ReadError
        Not a regular file, too large, not readable by pyABF, or no usable samples.
    """
    import pyabf

    source = check_file(path, "ABF")
    try:
        with warnings.catch_warnings():  # a missing stimulus file: the command is then flat
            warnings.simplefilter("ignore", UserWarning)
            abf = pyabf.ABF(str(source))
        units = [str(u).strip("\x00 ") for u in abf.adcUnits]
        labels = [str(n).strip("\x00 ") for n in abf.adcNames]
        dac_unit = str(abf.dacUnits[0]).strip("\x00 ") if len(abf.dacUnits) else ""
        when = getattr(abf, "abfDateTime", None)
        starts = _abf_start_times(abf, source)
        protocol = str(getattr(abf, "protocol", "") or "")
        version = str(abf.abfVersionString)
    except Exception as exc:  # pyABF raises bare Exceptions for damaged files
        raise ReadError(
            f"{source.name} is not a readable ABF file ({first_line(exc)}).", path
        ) from exc
    names = channel_names(labels, units)
    mode = infer_mode(dac_unit, units)
    base = imported_provenance(source, f"ABF {version}", mode)
    base["protocol_name"] = "" if protocol == "None" else protocol
    base["units_in_file"] = dict(zip(names, units, strict=True))
    if isinstance(when, _dt.datetime) and when.year > 1980:
        base["created"] = when.isoformat()
    sweeps = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            commands = _abf_commands(abf, dac_unit)
        for k in abf.sweepList:
            channels: dict[str, np.ndarray] = {}
            for ch, (name, unit) in enumerate(zip(names, units, strict=True)):
                abf.setSweep(k, channel=ch)
                channels[name] = to_si(abf.sweepY, unit)
            if commands is not None:
                channels["command"] = commands[k]
            sweeps.append(
                Sweep(
                    index=k,
                    dt=1.0 / abf.dataRate,
                    channels=channels,
                    t0=starts[k],
                    provenance=dict(base),
                    label=source.name,
                )
            )
    except (RecordingError, ValueError, IndexError, MemoryError) as exc:
        raise ReadError(
            f"{source.name}: the ABF data cannot be used ({first_line(exc)}).", path
        ) from exc
    if not sweeps:
        raise ReadError(f"{source.name} holds no sweeps.", path)
    return sweeps


def _atf_table(path: str | os.PathLike[str], source: Path) -> tuple[dict, list[str], np.ndarray]:
    """(header records, column titles, data rows x columns) of an Axon Text File.

    The layout (Axon's ATF 1.0): ``ATF  1.0``; ``<records> <columns>``; that many
    ``"key=value"`` (or ``"key="<tab>"v1"<tab>...``) records; the quoted column titles; then
    one tab-separated row per sample.
    """
    try:
        text = read_bytes(path, MAX_IMPORT_BYTES).decode("latin-1")  # Clampex writes ANSI
    except BadFileError as exc:
        raise ReadError(str(exc), path) from None
    lines = text.splitlines()
    try:
        n_records, n_columns = (int(x) for x in lines[1].split()[:2])
        if not (0 <= n_records < len(lines) - 2 and n_columns >= 2):
            raise ValueError("impossible header sizes")
        header: dict[str, Any] = {}
        for line in lines[2 : 2 + n_records]:
            parts = [p.strip().strip('"') for p in line.split("\t")]
            key, _, value = parts[0].partition("=")
            header[key] = [v for v in ([value] if value else []) + parts[1:] if v]
        titles = [t.strip().strip('"') for t in lines[2 + n_records].split("\t")]
        body = "\n".join(lines[3 + n_records :])
        data = np.loadtxt(io.StringIO(body), delimiter="\t", ndmin=2, dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise ReadError(
            f"{source.name} is not a readable ATF file ({first_line(exc)}).", path
        ) from None
    if data.shape[1] != n_columns or len(titles) != n_columns or data.shape[0] < 1:
        raise ReadError(
            f"{source.name} is not a readable ATF file (its header announces {n_columns} "
            f"columns; the table has {data.shape[1]}).",
            path,
        )
    return header, titles, data


def read_atf(path: str | os.PathLike[str]) -> list[Sweep]:
    """Sweeps of an Axon Text File (every signal; units from the column titles)."""
    source = check_file(path, "ATF")
    header, titles, data = _atf_table(path, source)
    signals = list(header.get("Signals", [])) or ["channel"]
    per_sweep = len(dict.fromkeys(signals))
    labels = signals[:per_sweep]
    units = [t[t.rfind("(") + 1 : t.rfind(")")] if "(" in t else "" for t in titles[1:]]
    units = units[:per_sweep]
    if len(units) < per_sweep or (len(titles) - 1) % per_sweep:
        raise ReadError(f"{source.name}: its columns do not match its signals.", path)
    cmd = labels.index("Cmd") if "Cmd" in labels else None  # vlab's ATF has the command
    recorded = [i for i in range(per_sweep) if i != cmd]
    names = channel_names([labels[i] for i in recorded], [units[i] for i in recorded])
    mode = infer_mode(units[cmd] if cmd is not None else "", [units[i] for i in recorded])
    columns = list(zip(recorded, names, strict=True))
    if cmd is not None and si_unit(units[cmd])[0]:
        columns.append((cmd, "command"))
    x = data[:, 0] * (1e-3 if "(ms)" in titles[0] else 1.0)
    dt = float((x[-1] - x[0]) / (len(x) - 1)) if len(x) > 1 else 1e-4
    n_sweeps = (len(titles) - 1) // per_sweep
    starts = [float(v) * 1e-3 for v in header.get("SweepStartTimesMS", [""])[0].split(",") if v]
    base = imported_provenance(source, "ATF", mode)
    sweeps = []
    try:
        for k in range(n_sweeps):
            channels = {
                name: to_si(data[:, 1 + k * per_sweep + i], units[i]) for i, name in columns
            }
            t0 = starts[k] - starts[0] if len(starts) == n_sweeps else 0.0
            sweeps.append(
                Sweep(
                    index=k,
                    dt=dt,
                    channels=channels,
                    t0=t0,
                    provenance=dict(base),
                    label=source.name,
                )
            )
    except (RecordingError, ValueError, IndexError) as exc:
        raise ReadError(
            f"{source.name}: the ATF data cannot be used ({first_line(exc)}).", path
        ) from exc
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
    from vlab.recording.import_nwb import read_nwb
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
    if ext == ".nwb":
        return SweepFile(read_nwb(path))
    raise ReadError(
        f"vlab cannot read {Path(path).name!r}: open one of {', '.join(IMPORT_EXTENSIONS)}.", path
    )
