"""Atomic text writes for the practicals' own files (class files, reports, gradebooks).

Written to a temporary file in the target folder, flushed to disk and moved into place
with ``os.replace``: a crash never leaves half a file and an existing file is only
replaced by a complete new one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from vlab.practicals.errors import PracticalError

__all__ = ["write_text_atomic"]


def write_text_atomic(path, text: str, shared: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; PracticalError says why not.

    ``shared`` gives the file the usual permissions of a new file (umask) instead of
    mkstemp's owner-only ones: for reports and gradebooks that are meant to be passed on.
    """
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if shared:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise PracticalError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path
