"""Helpers shared by the export formats: sweep lists, header metadata, file names."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from vlab import __version__ as _VLAB_VERSION
from vlab.recording._jsonutil import to_jsonable
from vlab.recording.errors import ExportError, RecordingFileError
from vlab.recording.model import Recording, Sweep

__all__ = [
    "as_sweeps",
    "default_export_name",
    "json_metadata",
    "resolve_metadata",
    "summary_metadata",
]

#: Provenance keys shown first in export headers, in this order.
_PREFERRED = (
    "vlab_version",
    "preparation",
    "area_cm2",
    "temperature_C",
    "concentrations",
    "E_Na_mV",
    "E_K_mV",
    "E_Cl_mV",
    "reversal_potentials_mV",
    "drugs",
    "mode",
    "protocol_name",
    "seed",
    "run_id",
)
#: Bulky or per-sweep keys left out of the one-per-file summary.
_SKIP = {"protocol_toml", "created"}
VARIES = "varies between sweeps (see the per-sweep information)"


def as_sweeps(
    sweeps: Recording | Iterable[Sweep],
    error_cls: type[RecordingFileError] = ExportError,
) -> list[Sweep]:
    """A non-empty list of :class:`Sweep` from a Recording or any iterable."""
    items = list(sweeps.sweeps if isinstance(sweeps, Recording) else sweeps)
    if not items:
        raise error_cls("There are no sweeps to save: record (or keep) at least one sweep first.")
    for s in items:
        if not isinstance(s, Sweep):
            raise error_cls(f"Only Sweep objects can be saved, not {type(s).__name__}.")
    return items


def summary_metadata(
    sweeps: Recording | Iterable[Sweep], extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Header metadata describing ``sweeps``, derived from their provenance.

    Keys whose value is the same in every sweep are given once; keys that
    differ (e.g. ``drugs`` in control vs TTX sweeps) get the text
    ``"varies between sweeps ..."``. ``protocol_toml`` and ``created`` are left
    out. If ``sweeps`` is a :class:`Recording` its metadata is included, and
    ``extra`` (e.g. ``area_cm2``) overrides everything.
    """
    items = as_sweeps(sweeps)
    out: dict[str, Any] = {"vlab_version": _VLAB_VERSION}
    if isinstance(sweeps, Recording):
        out.update(sweeps.metadata)
    keys: dict[str, None] = {}
    for s in items:
        keys.update(dict.fromkeys(s.provenance))
    ordered = [k for k in _PREFERRED if k in keys] + sorted(k for k in keys if k not in _PREFERRED)
    missing = object()
    for key in ordered:
        if key in _SKIP:
            continue
        values = [s.provenance.get(key, missing) for s in items]
        first = values[0]
        out[key] = first if all(v == first for v in values) else VARIES
    out = {k: v for k, v in out.items() if v is not missing}
    if extra:
        out.update(extra)
    return out


def resolve_metadata(
    sweeps: Recording | Iterable[Sweep],
    items: list[Sweep],
    metadata: Mapping[str, Any] | None,
    error_cls: type[RecordingFileError] = ExportError,
) -> dict:
    """The caller's ``metadata`` as JSON types, or :func:`summary_metadata` when it is None.

    ``items`` is ``as_sweeps(sweeps)`` (``sweeps`` may be a spent iterator).
    """
    if metadata is None:
        metadata = summary_metadata(sweeps if isinstance(sweeps, Recording) else items)
    return json_metadata(metadata, error_cls)


def json_metadata(metadata: Mapping[str, Any] | None, error_cls: type[RecordingFileError]) -> dict:
    """``metadata`` as plain JSON types, or a clear error naming the bad entry."""
    try:
        return to_jsonable(dict(metadata or {}), "metadata")
    except TypeError as exc:
        raise error_cls(f"Could not save: {exc}.") from exc


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _slug(text: object, limit: int = 40) -> str:
    return _UNSAFE.sub("-", str(text)).strip("-_")[:limit].strip("-_")


def default_export_name(sweeps: Recording | Iterable[Sweep], ext: str) -> str:
    """A safe, descriptive file name such as ``vlab_squid-axon_iv-family_2025-03-01_1405.csv``.

    Built from the first sweep's preparation, protocol name and creation time
    (the current time if unknown). Contains only letters, digits, ``-``, ``_``
    and ``.``, so it is valid on every operating system.

    Parameters
    ----------
    sweeps
        The sweeps to be exported (a Recording or a list; may be empty).
    ext
        Extension with or without the dot: ``"csv"``, ``".nwb"``, ``"vlab"``.
    """
    items = list(sweeps.sweeps if isinstance(sweeps, Recording) else sweeps)
    prov = items[0].provenance if items else {}
    when = None
    created = prov.get("created")
    if isinstance(created, str):
        try:
            when = _dt.datetime.fromisoformat(created)
        except ValueError:
            when = None
    when = when or _dt.datetime.now()
    parts = ["vlab"]
    for key in ("preparation", "protocol_name"):
        slug = _slug(prov.get(key, ""))
        if slug:
            parts.append(slug)
    parts.append(when.strftime("%Y-%m-%d_%H%M%S"))
    ext = _slug(ext.lstrip(".")) or "dat"
    return "_".join(parts) + "." + ext
