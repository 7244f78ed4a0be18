"""Atomic text writes for the practicals' own files (class files, reports, gradebooks).

:func:`vlab.atomic.write_text_atomic` with the practicals' error: a crash never leaves
half a file and an existing file is only replaced by a complete new one.
"""

from __future__ import annotations

from pathlib import Path

from vlab import atomic
from vlab.practicals.errors import PracticalError

__all__ = ["write_text_atomic"]


def write_text_atomic(path, text: str, shared: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; PracticalError says why not.

    ``shared`` gives the file the usual permissions of a new file (umask) instead of
    owner-only ones: for reports and gradebooks that are meant to be passed on.
    """
    path = Path(path)
    try:
        return atomic.write_text_atomic(path, text, private=not shared)
    except OSError as exc:
        raise PracticalError(f"cannot write {path}: {exc.strerror or exc}") from exc
