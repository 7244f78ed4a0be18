"""Atomic file writing, the one implementation every writer in vlab uses.

A file is written to a fresh temporary file in the target's folder, flushed and fsynced,
then renamed over the target with ``os.replace`` and the folder fsynced: a crash, a full
disk or a removed USB stick never leaves half a file, and an existing target is only ever
replaced by a complete new one. On any failure the temporary file is removed and the
error is re-raised (``OSError`` as it came; callers turn it into their own one-line
message, :func:`describe_write_failure` says it in plain words).

Qt-free and free of other vlab imports (the bottom layer).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "atomic_open",
    "atomic_path",
    "describe_write_failure",
    "fsync_folder",
    "write_bytes_atomic",
    "write_text_atomic",
]

_KEEP = "your recordings are still in vlab."


def _fsync_path(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX only; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str],
    *,
    private: bool = False,
    before_replace: Callable[[], None] | None = None,
) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``target``; when the block ends without an
    exception the file there is fsynced and replaces ``target``.

    For libraries that insist on writing to a file name themselves (pyABF, h5py). The
    temporary file exists (empty) when the block starts and keeps ``target``'s extension
    (some writers check it). ``private`` makes it readable by its owner only (secrets,
    personal progress); otherwise the usual permissions of a new file (umask) apply.
    ``before_replace`` runs once the new file is safely on disk, just before the rename
    (to keep the old file as a backup, say). Any exception removes the temporary file and
    propagates unchanged.
    """
    target = Path(target).absolute()
    tmp = target.parent / f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}"
    # O_EXCL: never clobber anything; the mode is filtered by the umask like any new file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
    os.close(fd)
    try:
        yield tmp
        _fsync_path(tmp)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
    except BaseException:
        _remove_quietly(tmp)
        raise
    fsync_folder(target.parent)


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike[str], *, private: bool = False) -> Iterator[BinaryIO]:
    """Like :func:`atomic_path` but yield the temporary file opened for binary writing."""
    with atomic_path(target, private=private) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()


def write_bytes_atomic(
    target: str | os.PathLike[str], data: bytes, *, private: bool = False
) -> Path:
    """Write ``data`` to ``target`` atomically (see the module docstring); returns the path."""
    with atomic_open(target, private=private) as fh:
        fh.write(data)
    return Path(target)


def write_text_atomic(target: str | os.PathLike[str], text: str, *, private: bool = False) -> Path:
    """Write ``text`` as UTF-8 (newlines as given) to ``target`` atomically."""
    return write_bytes_atomic(target, text.encode("utf-8"), private=private)


def describe_write_failure(exc: BaseException, target: Path) -> str:
    """A one-paragraph explanation of why writing ``target`` failed and what to do."""
    folder = str(target.parent)
    text = str(exc)
    code = getattr(exc, "errno", None)
    # h5py reports disk-full with the C errno only in its text, as a bare OSError or, once
    # HDF5's own bookkeeping has failed, a RuntimeError ("Disable slist on flush ...").
    if code is None and ("No space left" in text or "errno = 28" in text):
        code = errno.ENOSPC
    if isinstance(exc, OSError) or code == errno.ENOSPC:
        if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            reason = f"The disk is full: free some space or choose another folder; {_KEEP}"
        elif code == errno.EROFS:
            reason = f"The folder {folder} is read-only: choose another folder; {_KEEP}"
        elif code in (errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError):
            reason = (
                f"vlab is not allowed to write in {folder}: choose another folder "
                f"(for example your Documents folder); {_KEEP}"
            )
        elif code == errno.ENOENT:
            reason = (
                f"The folder {folder} does not exist (was a USB stick removed?): "
                f"choose another folder; {_KEEP}"
            )
        elif code == errno.ENAMETOOLONG:
            reason = f"The file name is too long: choose a shorter name; {_KEEP}"
        elif code == errno.EIO:
            reason = f"The disk reported a hardware error: try another folder or drive; {_KEEP}"
        else:
            detail = getattr(exc, "strerror", None) or text or type(exc).__name__
            reason = (
                f"The system refused to write the file ({detail}): choose another folder; {_KEEP}"
            )
    else:
        reason = (
            f"vlab could not convert the data ({type(exc).__name__}: {text}). "
            f"Please report this problem; {_KEEP}"
        )
    return f"Could not save {target.name}: {reason}"
