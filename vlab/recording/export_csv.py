"""CSV export: plain columns for spreadsheets and pandas, metadata in a JSON sidecar.

``family.csv`` holds nothing but the table, one row per sample, in display units::

    sweep,t_ms,Vm_mV,Im_nA,cmd_mV,m,h,n,INa_nA,IK_nA,gNa_uS,gK_uS
    0,0,-65,0,-65,0.0529,0.596,0.318,...

so ``pandas.read_csv("family.csv")``, ``np.genfromtxt("family.csv", delimiter=",",
names=True)`` and any spreadsheet open it with no options. Values are SI converted to
display units: V -> mV, A -> nA, S -> uS; dimensionless channels (gates) keep their plain
name. ``cmd_mV`` is the command of voltage-clamp sweeps, ``cmd_nA`` that of current-clamp
(and I=0) sweeps (``nan`` in the other mode's rows). ``sweep`` is the sweep's position in
the file (0..N-1). A channel missing from a sweep is ``nan``.

``family.csv-metadata.json`` (the W3C "CSV on the Web" sidecar name) describes it::

    {"format": "vlab-csv", "version": 2,
     "metadata": {"vlab_version": ..., "preparation": ..., "drugs": ..., ...},
     "columns": {"Vm_mV": {"channel": "Vm", "unit": "mV", "si_unit": "V", "to_si": 0.001}, ...},
     "sweeps": [{"index": 0, "dt": 1e-05, "t0": 0.0, "kept": true, "label": "", "provenance": 0}, ...],
     "provenance": [{...}, ...]}

``metadata`` uses the vocabulary of :func:`~vlab.recording.summary_metadata` (the sweeps'
provenance keys, see ``docs/formats.md``) for the CLI and the GUI alike. Without the
sidecar :func:`read_csv` still loads the table (``dt`` from ``t_ms``, the clamp mode
from the command column). Files of the older format (``# key: value`` lines above the
columns) are still read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from vlab.recording._atomic import atomic_open
from vlab.recording._common import as_sweeps, resolve_metadata
from vlab.recording._jsonutil import dumps
from vlab.recording.errors import ExportError, ReadError, RecordingError
from vlab.recording.model import CHANNEL_UNITS, Recording, Sweep
from vlab.recording.progress import report

__all__ = [
    "DISPLAY_UNITS",
    "SIDECAR_SUFFIX",
    "column_name",
    "read_csv",
    "sidecar_path",
    "write_csv",
]

#: SI unit -> (display unit suffix, factor from SI to display).
DISPLAY_UNITS: dict[str, tuple[str, float]] = {
    "V": ("mV", 1e3),
    "A": ("nA", 1e9),
    "S": ("uS", 1e6),
    "1": ("", 1.0),
}
_FROM_SUFFIX = {
    suffix: (unit, factor) for unit, (suffix, factor) in DISPLAY_UNITS.items() if suffix
}
SIDECAR_SUFFIX = "-metadata.json"
_FORMAT, _VERSION = "vlab-csv", 2
_RESERVED = re.compile(r"^(sweep|provenance) \d+$")
_CHUNK = 50_000  # rows formatted at a time
_VALUE_FMT = "%.8g"


def column_name(channel: str, unit: str) -> str:
    """CSV column for ``channel`` with SI ``unit``: ``Vm_mV``, ``INa_nA``, ``gK_uS``, ``cmd_mV``, ``m``."""
    base = "cmd" if channel == "command" else channel
    suffix = DISPLAY_UNITS[unit][0]
    return f"{base}_{suffix}" if suffix else base


def _columns(sweeps: list[Sweep]) -> list[tuple[str, str, str]]:
    """Ordered ``(column, channel, unit)`` for every channel present in any sweep."""
    found: dict[tuple[str, str], None] = {}
    for s in sweeps:
        for name in s.channels:
            found[(name, s.unit(name))] = None
    order = dict.fromkeys(["Vm", "Im", "command", *CHANNEL_UNITS])
    rank = {name: i for i, name in enumerate(order)}
    first_seen = {key: i for i, key in enumerate(found)}
    unit_rank = {"V": 0, "A": 1}  # cmd_mV before cmd_nA
    keys = sorted(
        found, key=lambda k: (rank.get(k[0], len(rank)), unit_rank.get(k[1], 2), first_seen[k])
    )
    cols = [(column_name(name, unit), name, unit) for name, unit in keys]
    names = [c[0] for c in cols]
    for col, name, _ in cols:
        if col in ("sweep", "t_ms") or names.count(col) > 1 or re.search(r"[,\s\"#]", col):
            raise ExportError(
                f"Channel {name!r} cannot be written to CSV (its column name {col!r} is "
                "reserved, repeated or contains a comma, space, quote or #)."
            )
    return cols


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        if "\n" in value or "\r" in value or value != value.strip():
            return json.dumps(value, ensure_ascii=False)
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value, ensure_ascii=False)
    return dumps(value)


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def sidecar_path(path: str | os.PathLike[str]) -> str:
    """The metadata file next to CSV ``path``: ``family.csv`` -> ``family.csv-metadata.json``."""
    return os.fspath(path) + SIDECAR_SUFFIX


def _sidecar(sweeps: list[Sweep], metadata: Mapping[str, Any], cols) -> dict[str, Any]:
    prov_ids: dict[str, int] = {}
    provs: list[Any] = []
    metas = []
    for s in sweeps:
        text = dumps(s.provenance)
        if text not in prov_ids:
            prov_ids[text] = len(provs)
            provs.append(s.provenance)
        meta = s.to_meta()
        meta["provenance"] = prov_ids[text]
        metas.append(meta)
    columns: dict[str, dict[str, Any]] = {
        "sweep": {"channel": None, "unit": ""},
        "t_ms": {"channel": None, "unit": "ms"},
    }
    for col, name, unit in cols:
        suffix, factor = DISPLAY_UNITS[unit]
        columns[col] = {"channel": name, "unit": suffix, "si_unit": unit, "to_si": 1.0 / factor}
    return {
        "format": _FORMAT,
        "version": _VERSION,
        "metadata": dict(metadata),
        "columns": columns,
        "sweeps": metas,
        "provenance": provs,
    }


def write_csv(
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write ``sweeps`` to a CSV file, atomically.

    Parameters
    ----------
    sweeps
        The sweeps to export (a Recording or a list), in file order.
    path
        Target file; replaced only once the new file is complete.
    metadata
        ``# key: value`` header entries (vlab version, preparation, area_cm2,
        temperature, concentrations, E_Na_mV, drugs, protocol, seed...); nested
        values are written as one-line JSON. ``None`` derives them from the
        sweeps' provenance (:func:`~vlab.recording.summary_metadata`).

    Raises
    ------
    ExportError
        With a plain message (disk full, no permission...); an existing file at
        ``path`` is left untouched.
    """
    items = as_sweeps(sweeps)
    meta = resolve_metadata(sweeps, items, metadata)
    cols = _columns(items)
    sidecar = dumps(_sidecar(items, meta, cols), indent=1)
    header = ",".join(["sweep", "t_ms"] + [c[0] for c in cols])
    row_fmt = ",".join(["%d", "%.10g"] + [_VALUE_FMT] * len(cols))
    # both files are replaced only once both are complete (a failure keeps the old pair)
    with atomic_open(sidecar_path(path)) as side, atomic_open(path) as fh:
        side.write(sidecar.encode("utf-8"))
        fh.write(header.encode("utf-8") + b"\n")
        for pos, s in enumerate(items):
            report(pos / len(items))
            block = np.empty((s.n_samples, 2 + len(cols)))
            block[:, 0] = pos
            block[:, 1] = s.time() * 1e3
            for j, (_, name, unit) in enumerate(cols, start=2):
                arr = s.channels.get(name)
                if arr is None or s.unit(name) != unit:
                    block[:, j] = np.nan
                else:
                    block[:, j] = arr * DISPLAY_UNITS[unit][1]
            for start in range(0, len(block), _CHUNK):
                rows = map(tuple, block[start : start + _CHUNK].tolist())
                fh.write(("\n".join(map(row_fmt.__mod__, rows)) + "\n").encode("ascii"))


def _parse_column(col: str) -> tuple[str, str, float]:
    """``(channel, SI unit, factor display->SI)`` for a CSV column name."""
    base, _, suffix = col.rpartition("_")
    if base and suffix in _FROM_SUFFIX:
        unit, factor = _FROM_SUFFIX[suffix]
        return ("command" if base == "cmd" else base), unit, 1.0 / factor
    return col, "1", 1.0


def read_csv(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[Sweep]]:
    """Read a file written by :func:`write_csv`.

    Returns
    -------
    metadata : dict
        The ``# key: value`` header entries (values JSON-decoded where possible).
    sweeps : list of Sweep
        In file order, with SI arrays, ``dt``, ``t0``, labels, kept marks and
        provenance restored (to the 8 significant digits written). Files edited
        elsewhere without the ``# sweep k`` lines still load: ``dt`` then comes
        from ``t_ms`` and the clamp mode from the command column.

    Raises
    ------
    ReadError
        If the file is missing, is not a vlab CSV, or holds invalid data.
    """
    name = os.path.basename(os.fspath(path))
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            metadata, sweep_meta, provs, header = _read_header(fh)
            data = np.loadtxt(fh, delimiter=",", ndmin=2)
    except OSError as exc:
        raise ReadError(f"Could not open {name}: {exc.strerror or exc}.", path) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReadError(f"{name} is not a readable vlab CSV file ({exc}).", path) from exc
    if os.path.isfile(sidecar_path(path)):
        metadata, sweep_meta, provs = _read_sidecar(sidecar_path(path), path)
    if header[:2] != ["sweep", "t_ms"] or (data.size and data.shape[1] != len(header)):
        raise ReadError(
            f"{name} is not a vlab CSV file: it must start with columns sweep,t_ms.", path
        )
    try:
        sweeps = _build_sweeps(data, header, sweep_meta, provs)
    except (RecordingError, KeyError, TypeError, ValueError) as exc:
        raise ReadError(f"{name} holds invalid sweep data: {exc}", path) from exc
    return metadata, sweeps


def _read_sidecar(side: str, path: Any) -> tuple[dict, dict[int, dict], dict[int, dict]]:
    """Metadata, per-position sweep information and provenance from a CSV's sidecar."""
    from vlab.safe_read import BadFileError, loads_json

    try:
        with open(side, "rb") as fh:
            doc = loads_json(fh.read(64 * 2**20 + 1), os.path.basename(side))
    except (OSError, BadFileError, ValueError) as exc:
        raise ReadError(f"{os.path.basename(side)} cannot be read ({exc}).", path) from exc
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise ReadError(f"{os.path.basename(side)} is not a vlab CSV description.", path)
    sweeps = doc.get("sweeps") or []
    provs = doc.get("provenance") or []
    if not isinstance(sweeps, list) or not isinstance(provs, list):
        raise ReadError(f"{os.path.basename(side)} has no sweep list.", path)
    return (
        dict(doc.get("metadata") or {}),
        dict(enumerate(sweeps)),
        dict(enumerate(provs)),
    )


def _read_header(fh: Any) -> tuple[dict, dict[int, dict], dict[int, dict], list[str]]:
    metadata: dict[str, Any] = {}
    sweep_meta: dict[int, dict] = {}
    provs: dict[int, dict] = {}
    while True:
        line = fh.readline()
        if not line:
            raise ValueError("no header row")
        line = line.rstrip("\r\n")
        if not line.startswith("#"):
            return metadata, sweep_meta, provs, line.split(",")
        key, sep, value = line[1:].lstrip(" ").partition(": ")
        if not sep:
            continue
        kind, _, num = key.partition(" ")
        if _RESERVED.match(key):
            (sweep_meta if kind == "sweep" else provs)[int(num)] = json.loads(value)
        else:
            metadata[key] = _parse_value(value)


def _build_sweeps(
    data: np.ndarray, header: list[str], sweep_meta: dict, provs: dict
) -> list[Sweep]:
    if data.size == 0:
        return []
    positions = data[:, 0]
    parsed = [_parse_column(c) for c in header[2:]]
    out = []
    for pos in dict.fromkeys(positions.tolist()):
        rows = data[positions == pos]
        meta = dict(sweep_meta.get(int(pos), {}))
        prov = dict(provs.get(meta.get("provenance"), {})) if "provenance" in meta else {}
        channels = {}
        for j, (name, unit, factor) in enumerate(parsed, start=2):
            col = rows[:, j]
            if np.isnan(col).all():
                continue
            channels[name] = col * factor
            if name == "command":
                prov.setdefault("mode", "VC" if unit == "V" else "CC")
        if "dt" not in meta:
            t = rows[:, 1]
            meta["dt"] = float(np.median(np.diff(t))) * 1e-3 if t.size > 1 else 1e-3
        order = meta.get("channels")
        if isinstance(order, list) and set(order) == set(channels):
            channels = {name: channels[name] for name in order}
        meta.setdefault("index", int(pos))
        meta["provenance"] = prov
        out.append(Sweep.from_meta(meta, channels))
    return out
