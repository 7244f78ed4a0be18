"""Exceptions raised by :mod:`vlab.recording`.

Every message is written for the student who will read it in a dialog: it says
what failed and what to do next.
"""

from __future__ import annotations

__all__ = ["ExportError", "ReadError", "RecordingError", "RecordingFileError", "SessionError"]


class RecordingError(ValueError):
    """A sweep or recording is invalid (unequal lengths, NaN values, bad ``dt``...)."""


class RecordingFileError(ValueError):
    """Base class for failures reading or writing recording files.

    A ``ValueError`` like every user-facing failure in vlab (the CLI exits with status 2).

    Attributes
    ----------
    path : str or None
        The file that was being written or read.
    """

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = None if path is None else str(path)


class ExportError(RecordingFileError):
    """Writing an export (CSV, NPZ, ABF, NWB) failed; any earlier file is untouched."""


class ReadError(RecordingFileError):
    """An exported file (CSV, NPZ) could not be read back."""


class SessionError(RecordingFileError):
    """An experiment file (``.vlab``) could not be saved or opened."""
