"""Export entry point: pick a format by file extension, plus shared helpers.

==========  =====================  ==============================================
extension   writer                 holds
==========  =====================  ==============================================
``.csv``    :func:`write_csv`      all channels in display units + JSON sidecar
``.npz``    :func:`write_npz`      all channels in SI, metadata JSON
``.abf``    :func:`write_abf`      ABF 1.8: Vm (mV) and Im (pA), epoch table, times
``.nwb``    :func:`write_nwb`      primary + command per sweep, icephys tables,
                                   secondary channel and model variables
``.atf``    :func:`write_atf`      Axon Text File: Vm, Im (and command) per sweep
``.vlab``   :func:`save_session`   experiment file: settings and every sweep
==========  =====================  ==============================================

Every writer is atomic and raises :class:`ExportError` with a plain message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vlab.recording._common import default_export_name, summary_metadata
from vlab.recording.errors import ExportError
from vlab.recording.export_abf import write_abf
from vlab.recording.export_atf import write_atf
from vlab.recording.export_csv import read_csv, write_csv
from vlab.recording.export_npz import read_npz, write_npz
from vlab.recording.export_nwb import write_nwb
from vlab.recording.model import Recording, Sweep
from vlab.recording.progress import ExportCancelled, progress_reporting
from vlab.recording.session import save_session

__all__ = [
    "EXPORT_FORMATS",
    "ExportCancelled",
    "ExportFormat",
    "default_export_name",
    "export_sweeps",
    "read_csv",
    "read_npz",
    "summary_metadata",
    "write_abf",
    "write_atf",
    "write_csv",
    "write_npz",
    "write_nwb",
]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One export format, for file dialogs: ``name``, ``extension`` (with dot), ``description``."""

    name: str
    extension: str
    description: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat(
        "CSV", ".csv", "Spreadsheet table: every channel in mV / nA / uS (+ a .json description)"
    ),
    "npz": ExportFormat("NumPy", ".npz", "NumPy arrays in SI units with JSON metadata (Python)"),
    "abf": ExportFormat(
        "ABF", ".abf", "Axon Binary File 1.8 (Clampfit, Stimfit, neo, pyABF): Vm and Im"
    ),
    "nwb": ExportFormat(
        "NWB", ".nwb", "Neurodata Without Borders 2 (intracellular ephys), full provenance"
    ),
    "atf": ExportFormat("ATF", ".atf", "Axon Text File (Clampfit text): Vm, Im and the command"),
    "vlab": ExportFormat("vlab experiment", ".vlab", "vlab experiment file: settings and sweeps"),
}


def export_sweeps(
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    fmt: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    progress: Callable[[float], None] | None = None,
    **options: Any,
) -> None:
    """Write ``sweeps`` to ``path`` in format ``fmt`` (default: from the extension).

    Parameters
    ----------
    sweeps
        A Recording or a list of sweeps.
    path
        Target file.
    fmt
        A key of :data:`EXPORT_FORMATS`: ``'csv'``, ``'npz'``, ``'abf'``, ``'nwb'``,
        ``'atf'`` or ``'vlab'``.
    metadata
        Header/notes metadata (ignored by ABF and ATF, which cannot store it);
        ``None`` derives it from the sweeps' provenance.
    progress
        Called with the fraction done (0..1) as the writer goes, from the calling
        thread; raising :class:`ExportCancelled` in it stops the export before any
        file is written (see :mod:`vlab.recording.progress`).
    **options
        Passed to the writer (``channels=`` and ``protocol=`` for ABF, ``channels=``
        for ATF, ``compress=`` for NPZ, ``session_description=`` for NWB, ``state=``
        (the rig settings) for ``.vlab``).

    Raises
    ------
    ExportError
        Unknown format, or the writer failed (:class:`ExportCancelled` when
        ``progress`` cancelled it).
    """
    key = (fmt or os.path.splitext(os.fspath(path))[1].lstrip(".")).lower()
    if key not in EXPORT_FORMATS:
        known = ", ".join(f.extension for f in EXPORT_FORMATS.values())
        raise ExportError(
            f"vlab cannot export to {key or 'a file without extension'!r}: choose one of {known}.",
            path,
        )
    with progress_reporting(progress):
        _write(key, sweeps, path, metadata, options)


def _write(
    key: str,
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None,
    options: dict[str, Any],
) -> None:
    if key == "abf":
        write_abf(sweeps, path, **options)
    elif key == "atf":
        write_atf(sweeps, path, **options)
    elif key == "csv":
        write_csv(sweeps, path, metadata, **options)
    elif key == "npz":
        write_npz(sweeps, path, metadata, **options)
    elif key == "vlab":
        items = list(sweeps.sweeps if isinstance(sweeps, Recording) else sweeps)
        meta = dict(sweeps.metadata) if isinstance(sweeps, Recording) else {}
        meta.update(metadata or {})
        save_session(path, options.get("state") or {}, Recording(items, meta))
    else:
        write_nwb(sweeps, path, metadata, **options)
