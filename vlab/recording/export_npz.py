"""NPZ export: SI float64 arrays plus one JSON string describing them.

``np.load(path)`` gives arrays named ``sweep{k}_{channel}`` (e.g. ``sweep0_Vm``,
in V) and ``vlab_meta_json``, a JSON text with the metadata and, per sweep,
``index``, ``dt`` (s), ``t0`` (s), ``kept``, ``label``, ``provenance`` and the
array name of each channel. No pickles: ``allow_pickle=False`` always works.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from vlab import __version__ as _VLAB_VERSION
from vlab.recording._atomic import atomic_open
from vlab.recording._common import as_sweeps, resolve_metadata
from vlab.recording._jsonutil import dumps
from vlab.recording.errors import ReadError, RecordingError
from vlab.recording.model import Recording, Sweep

__all__ = ["META_KEY", "pack_sweeps", "read_npz", "unpack_sweeps", "write_npz"]

META_KEY = "vlab_meta_json"
FORMAT = "vlab-npz"
VERSION = 1


def pack_sweeps(
    sweeps: list[Sweep], prefix: str = "sweep"
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """Arrays keyed ``{prefix}{k}_{channel}`` and per-sweep JSON metadata with an ``arrays``
    map (the arrays are the sweeps' own, not copies)."""
    arrays: dict[str, np.ndarray] = {}
    metas = []
    for k, s in enumerate(sweeps):
        meta = s.to_meta()
        names = {}
        for j, (name, arr) in enumerate(s.channels.items()):
            key = f"{prefix}{k}_{name}" if name.isidentifier() else f"{prefix}{k}_ch{j}"
            names[name] = key
            arrays[key] = arr
        meta["arrays"] = names
        metas.append(meta)
    return arrays, metas


def unpack_sweeps(npz: Any, metas: list[dict[str, Any]]) -> list[Sweep]:
    """Inverse of :func:`pack_sweeps` (``npz`` is an open ``NpzFile`` or a dict).

    Raises
    ------
    KeyError, ValueError, TypeError, RecordingError
        On missing arrays or invalid metadata; callers turn these into their own error.
    """
    sweeps = []
    for meta in metas:
        arrays = {}
        for name, key in meta["arrays"].items():
            arr = np.asarray(npz[key])
            if arr.dtype.kind not in "fiu":
                raise ValueError(f"array {key} is not numeric")
            arrays[name] = arr
        sweeps.append(Sweep.from_meta(meta, arrays))
    return sweeps


def write_npz(
    sweeps: Recording | Iterable[Sweep],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
    compress: bool = True,
) -> None:
    """Write ``sweeps`` as a NumPy ``.npz`` file (SI units), atomically.

    Parameters
    ----------
    sweeps
        The sweeps to export, in file order.
    path
        Target file; replaced only once the new file is complete.
    metadata
        JSON-serialisable experiment metadata; ``None`` derives it from provenance.
    compress
        Deflate the arrays (smaller, slower).

    Raises
    ------
    ExportError
        With a plain message; an existing file at ``path`` is left untouched.
    """
    items = as_sweeps(sweeps)
    meta = resolve_metadata(sweeps, items, metadata)
    arrays, metas = pack_sweeps(items)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "vlab_version": _VLAB_VERSION,
        "metadata": meta,
        "sweeps": metas,
    }
    arrays[META_KEY] = np.array(dumps(doc))
    save = np.savez_compressed if compress else np.savez
    with atomic_open(path) as fh:
        save(fh, allow_pickle=False, **arrays)


def read_npz(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[Sweep]]:
    """Read a file written by :func:`write_npz`: ``(metadata, sweeps)``.

    Raises
    ------
    ReadError
        If the file is missing, damaged or not a vlab NPZ export.
    """
    name = os.path.basename(os.fspath(path))
    try:
        # our own file handle: numpy leaves the file it opened open when the zip is damaged
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with statement below
    except OSError as exc:
        raise ReadError(f"Could not open {name}: {exc.strerror or exc}.", path) from exc
    try:
        with fh:
            loaded = np.load(fh, allow_pickle=False)
            if not hasattr(loaded, "files"):  # a bare .npy array
                raise ReadError(f"{name} is a single NumPy array, not a vlab NPZ export.", path)
            with loaded as npz:
                if META_KEY not in npz.files:
                    raise ReadError(f"{name} is not a vlab NPZ export (no {META_KEY} entry).", path)
                doc = json.loads(str(npz[META_KEY]))
                if doc.get("format") != FORMAT:
                    raise ReadError(f"{name} is not a vlab NPZ export.", path)
                if int(doc.get("version", 0)) > VERSION:
                    raise ReadError(
                        f"{name} was written by a newer vlab: update vlab to read it.", path
                    )
                sweeps = unpack_sweeps(npz, doc["sweeps"])
    except ReadError:
        raise
    except OSError as exc:
        raise ReadError(f"Could not open {name}: {exc.strerror or exc}.", path) from exc
    except (
        ValueError,
        KeyError,
        TypeError,
        EOFError,
        RecordingError,
        zipfile.BadZipFile,
        zlib.error,
    ) as exc:
        raise ReadError(f"{name} is damaged or not a vlab NPZ export ({exc}).", path) from exc
    return doc.get("metadata", {}), sweeps
