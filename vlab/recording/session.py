"""Experiment files (``.vlab``): rig settings plus every recorded sweep, in one zip.

Members of the (deflated) zip container:

``manifest.json``
    ``{"format": "vlab-session", "version": 1, "vlab_version": ..., "saved": ISO time, "n_sweeps": N}``
``state.json``
    The caller's GUI/rig settings (protocol TOML text, preparation, parameters,
    drugs, solutions...): any JSON-serialisable dict.
``sweeps.json``
    ``{"metadata": recording metadata, "sweeps": [per-sweep index, dt (s), t0 (s),
    kept, label, provenance, arrays], "imported": [the same, for the real recordings
    imported beside the model's (:attr:`Recording.imported`); absent when none]}``.
``sweeps.npz``
    The SI arrays (float64, or float32 as recorded), named ``sweep{k}_{channel}`` and
    ``imported{k}_{channel}`` (see :mod:`.export_npz`).

Saving is atomic, and split so that a GUI can write off its thread:
:func:`snapshot_session` takes the settings and references to the (read-only) sweep
arrays at one moment, and :func:`write_session` writes them, with progress and cancel. Loading checks everything before returning anything (through
:mod:`vlab.safe_read`: sizes from the zip directory, known members only, array headers
against member sizes, JSON depth), and any problem is a :class:`SessionError` naming
the file and what is wrong.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from vlab import __version__ as _VLAB_VERSION
from vlab.recording._atomic import atomic_open
from vlab.recording._jsonutil import dumps
from vlab.recording.errors import RecordingError, SessionError
from vlab.recording.export_npz import pack_sweeps, unpack_sweeps
from vlab.recording.model import Recording
from vlab.safe_read import (
    MAX_ARRAY_BYTES,
    BadFileError,
    ReadMeter,
    check_zip_members,
    loads_json,
    open_regular,
    read_member,
    read_npz_member,
)

__all__ = [
    "SESSION_EXTENSION",
    "SESSION_FORMAT",
    "SESSION_VERSION",
    "SessionSnapshot",
    "load_session",
    "save_session",
    "snapshot_session",
    "write_session",
]

SESSION_FORMAT = "vlab-session"
SESSION_VERSION = 1
SESSION_EXTENSION = ".vlab"
_MEMBERS = ("manifest.json", "state.json", "sweeps.json", "sweeps.npz")
_MEMBER_LIMITS = {  # largest uncompressed size of each member (bytes)
    "manifest.json": 2**16,
    "state.json": 16 * 2**20,
    "sweeps.json": 64 * 2**20,
    "sweeps.npz": MAX_ARRAY_BYTES,
}
_CHUNK = 2**20  # bytes written between progress reports
_MAX_FILE_BYTES = MAX_ARRAY_BYTES + 2**30  # the container itself (compressed)
_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"\x89HDF": "an HDF5 file (NWB export?)",
    b"ABF ": "an ABF recording",
    b"ABF2": "an ABF recording",
    b"\x93NUMPY": "a NumPy array file",
}


@dataclass(frozen=True)
class SessionSnapshot:
    """What :func:`write_session` writes, taken at one moment (:func:`snapshot_session`).

    Holds references to the sweeps' read-only arrays (no sample is copied) and fresh
    copies of everything else, so the recording may go on changing (sweeps added, marks
    and labels edited, the budget dropping sweeps) while a worker thread writes it.

    Attributes
    ----------
    state_json
        The settings, already serialised (JSON text).
    metadata
        Experiment metadata (JSON types).
    sweeps, imported
        Per-sweep metadata (:meth:`Sweep.to_meta` plus an ``arrays`` map) of the recorded
        sweeps and of the imported real recordings.
    arrays
        Array name -> read-only 1-D array (SI units).
    """

    state_json: str
    metadata: dict[str, Any]
    sweeps: list[dict[str, Any]]
    imported: list[dict[str, Any]]
    arrays: dict[str, np.ndarray]

    @property
    def n_sweeps(self) -> int:
        """Number of recorded sweeps (imported ones not counted)."""
        return len(self.sweeps)

    @property
    def nbytes(self) -> int:
        """Bytes of sample data (what :func:`write_session`'s progress counts)."""
        return sum(a.nbytes for a in self.arrays.values())


def snapshot_session(
    path: str | os.PathLike[str], state: dict[str, Any], recording: Recording | None
) -> SessionSnapshot:
    """Take what :func:`write_session` will save: cheap (no samples copied), so a GUI
    thread can call it and hand the result to a worker.

    ``path`` only names the file in an error message.

    Raises
    ------
    SessionError
        If ``state`` cannot be stored as JSON.
    """
    recording = recording if recording is not None else Recording()
    try:
        state_json = dumps(dict(state or {}), indent=1)
    except (TypeError, ValueError) as exc:
        raise SessionError(f"The experiment settings cannot be saved: {exc}.", path) from exc
    arrays, metas = pack_sweeps(recording.sweeps)
    imported_arrays, imported = pack_sweeps(recording.imported, prefix="imported")
    for meta in metas + imported:
        meta["provenance"] = dict(meta["provenance"])
    return SessionSnapshot(
        state_json, dict(recording.metadata), metas, imported, arrays | imported_arrays
    )


def write_session(
    path: str | os.PathLike[str],
    snapshot: SessionSnapshot,
    progress: Callable[[float], None] | None = None,
) -> None:
    """Write ``snapshot`` to an experiment file, atomically (any thread).

    Deflate level 1: simulated noise does not compress further at higher
    levels, which only cost time (about 20 MB/s instead of 55 MB/s).

    Parameters
    ----------
    progress
        Optional ``progress(fraction)``, called with the fraction of the sample data
        written (0 to 1) after every MiB; it may raise
        :class:`vlab.safe_read.ReadCancelled` to stop, which propagates, and then the
        file at ``path`` is left as it was. The last call (1.0) comes just before the
        new file replaces the old one, the last moment to cancel.

    Raises
    ------
    SessionError
        If writing fails (disk full, no permission...); an existing file at ``path``
        is then left untouched.
    """
    meter = ReadMeter(progress, snapshot.nbytes) if progress is not None else None
    if meter is not None:
        meter.add(0)
    doc = {"metadata": snapshot.metadata, "sweeps": snapshot.sweeps}
    if snapshot.imported:
        doc["imported"] = snapshot.imported
    manifest = {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "vlab_version": _VLAB_VERSION,
        "saved": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "n_sweeps": snapshot.n_sweeps,
    }
    with (
        atomic_open(path, SessionError) as fh,
        zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
    ):
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        zf.writestr("state.json", snapshot.state_json)
        zf.writestr("sweeps.json", dumps(doc))
        with zf.open("sweeps.npz", "w", force_zip64=True) as member:
            _write_npz(member, snapshot.arrays, meter)
        if meter is not None:
            meter.callback(1.0)  # the last moment to cancel: nothing has been replaced


def _write_npz(fh: IO[bytes], arrays: dict[str, np.ndarray], meter: ReadMeter | None) -> None:
    """Stream ``arrays`` into ``fh`` as an uncompressed ``.npz`` (what ``np.savez``
    makes), one MiB at a time: no copy of the data in memory."""
    fmt = np.lib.format
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as npz:
        for name, arr in arrays.items():
            data = np.ascontiguousarray(arr)
            with npz.open(f"{name}.npy", "w", force_zip64=True) as member:
                fmt.write_array_header_1_0(member, fmt.header_data_from_array_1_0(data))
                raw = data.reshape(-1).view(np.uint8)
                for start in range(0, len(raw), _CHUNK):
                    chunk = raw[start : start + _CHUNK].data  # a memoryview, not a copy
                    member.write(chunk)
                    if meter is not None:
                        meter.add(len(chunk))


def save_session(
    path: str | os.PathLike[str],
    state: dict[str, Any],
    recording: Recording | None,
    progress: Callable[[float], None] | None = None,
) -> None:
    """Save rig/GUI ``state`` and ``recording`` (with its imported recordings) to an
    experiment file, atomically: :func:`snapshot_session` then :func:`write_session`.

    Parameters
    ----------
    path
        Target file (conventionally ending in ``.vlab``).
    state
        JSON-serialisable settings (numpy values and enums are converted).
    recording
        The sweeps and experiment metadata; may be empty or None.
    progress
        As in :func:`write_session`.

    Raises
    ------
    SessionError
        If ``state`` cannot be stored, or writing fails (disk full, no
        permission...); an existing file at ``path`` is then left untouched.
    """
    write_session(path, snapshot_session(path, state, recording), progress)


def _foreign_description(head: bytes) -> str:
    for sig, what in _SIGNATURES.items():
        if head.startswith(sig):
            return what
    if head.lstrip().startswith((b"#", b"sweep,")):
        return "a text file (CSV export?)"
    return "not a zip container"


def load_session(
    path: str | os.PathLike[str], progress: Callable[[float], None] | None = None
) -> tuple[dict[str, Any], Recording]:
    """Open an experiment file saved by :func:`save_session`.

    Parameters
    ----------
    path
        The ``.vlab`` file.
    progress
        Optional ``progress(fraction)``, called with the fraction done (0 to 1) after
        every MiB inflated or copied; it may raise :class:`vlab.safe_read.ReadCancelled`
        to stop the read, which then propagates (nothing is returned).

    Returns
    -------
    state : dict
        The saved settings.
    recording : Recording
        The sweeps (SI arrays), experiment metadata and imported recordings.

    Raises
    ------
    SessionError
        For a missing, unreadable, foreign (PNG, random zip...), truncated,
        corrupt or newer-version file; nothing is returned partially.
    """
    name = os.path.basename(os.fspath(path))
    try:
        fh = open_regular(path, _MAX_FILE_BYTES)
    except BadFileError as exc:
        raise SessionError(str(exc), path) from None
    with fh:
        try:
            head = fh.read(8)
            fh.seek(0)
        except OSError as exc:
            raise SessionError(f"Could not read {name}: {exc.strerror or exc}.", path) from None
        if not head:
            raise SessionError(f"{name} is empty: it is not a usable vlab experiment file.", path)
        if not head.startswith(b"PK"):
            raise SessionError(
                f"{name} is not a vlab experiment file (it is {_foreign_description(head)}).",
                path,
            )
        try:
            with zipfile.ZipFile(fh) as zf:
                return _read_container(zf, name, path, progress)
        except SessionError:
            raise
        except BadFileError as exc:
            raise SessionError(str(exc), path) from None
        except OSError as exc:
            raise SessionError(f"Could not read {name}: {exc.strerror or exc}.", path) from None
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            RecordingError,
        ) as exc:
            raise SessionError(_damaged(name, _one_line(exc)), path) from None


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def _damaged(name: str, detail: object) -> str:
    return (
        f"{name} is damaged or incomplete and cannot be opened ({detail}); it may have been "
        "cut short while copying or saving. If you have an earlier copy, open that instead."
    )


def _read_json(zf: zipfile.ZipFile, member: str, name: str, path: Any) -> Any:
    data = read_member(zf, member, name, path)
    return loads_json(data, f"{name}: {member}", path=path)


def _read_container(
    zf: zipfile.ZipFile, name: str, path: Any, progress: Callable[[float], None] | None = None
) -> tuple[dict, Recording]:
    members = set(zf.namelist())
    if "manifest.json" not in members:
        raise SessionError(
            f"{name} is a zip file but not a vlab experiment file (it has no manifest.json).", path
        )
    infos = check_zip_members(zf, name, _MEMBER_LIMITS, path=path)
    meter = None
    if progress is not None:  # inflating sweeps.npz, then copying its arrays: ~2x its size
        meter = ReadMeter(progress, 2 * getattr(infos.get("sweeps.npz"), "file_size", 0))
        meter.add(0)
    manifest = _read_json(zf, "manifest.json", name, path)
    if not isinstance(manifest, dict) or manifest.get("format") != SESSION_FORMAT:
        raise SessionError(f"{name} is a zip file but not a vlab experiment file.", path)
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionError(_damaged(name, f"invalid format version {version!r}"), path)
    if version > SESSION_VERSION:
        raise SessionError(
            f"{name} was saved by a newer vlab ({manifest.get('vlab_version', 'unknown version')}, "
            f"file format {version}); this is vlab {_VLAB_VERSION}, which reads format "
            f"{SESSION_VERSION}. Update vlab to open it.",
            path,
        )
    missing = [m for m in _MEMBERS if m not in members]
    if missing:
        raise SessionError(_damaged(name, f"missing {', '.join(missing)}"), path)
    state = _read_json(zf, "state.json", name, path)
    doc = _read_json(zf, "sweeps.json", name, path)
    if (
        not isinstance(state, dict)
        or not isinstance(doc, dict)
        or not isinstance(doc.get("sweeps"), list)
        or not isinstance(doc.get("imported", []), list)
    ):
        raise SessionError(_damaged(name, "unexpected content"), path)
    arrays = read_npz_member(zf, "sweeps.npz", name, path, meter=meter)
    sweeps = unpack_sweeps(arrays, doc["sweeps"])
    imported = unpack_sweeps(arrays, doc.get("imported") or [])
    if meter is not None:
        meter.callback(1.0)
    return state, Recording(sweeps, doc.get("metadata") or {}, imported)
