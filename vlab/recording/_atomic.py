"""Atomic writing for recordings: :mod:`vlab.atomic` with the recordings' errors.

Any failure removes the temp file, leaves an existing target untouched and is re-raised
as the caller's :class:`~vlab.recording.errors.RecordingFileError` subclass with a
plain-language message (:func:`vlab.atomic.describe_write_failure`). An export
cancelled through :mod:`vlab.recording.progress` stops just before the rename; a
:class:`vlab.safe_read.ReadCancelled` (a background save cancelled) passes through.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from vlab import atomic
from vlab.atomic import describe_write_failure
from vlab.recording.errors import ExportError, RecordingFileError
from vlab.recording.progress import commit_point
from vlab.safe_read import ReadCancelled

__all__ = ["atomic_open", "atomic_path", "describe_write_failure"]


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str],
    error_cls: type[RecordingFileError] = ExportError,
) -> Iterator[Path]:
    """:func:`vlab.atomic.atomic_path`, failures raised as ``error_cls`` (errors already of
    the recordings' family pass through unchanged)."""
    where = Path(target).absolute()
    try:
        with atomic.atomic_path(where) as tmp:
            yield tmp
            commit_point()  # a cancelled export stops here: the temp file is removed
    except (RecordingFileError, ReadCancelled):  # a cancelled job is not a failed write
        raise
    except Exception as exc:
        raise error_cls(describe_write_failure(exc, where), where) from exc


@contextlib.contextmanager
def atomic_open(
    target: str | os.PathLike[str],
    error_cls: type[RecordingFileError] = ExportError,
) -> Iterator[BinaryIO]:
    """Like :func:`atomic_path` but yield the temp file opened for binary writing."""
    with atomic_path(target, error_cls) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()
