"""Atomic file writing: temp file in the target folder, fsync, ``os.replace``.

Any failure removes the temp file, leaves an existing target untouched and is
re-raised as the caller's :class:`~vlab.recording.errors.RecordingFileError`
subclass with a plain-language message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from vlab.recording.errors import ExportError, RecordingFileError

__all__ = ["atomic_open", "atomic_path", "describe_write_failure"]

_KEEP = "your recordings are still in vlab."


def describe_write_failure(exc: BaseException, target: Path) -> str:
    """A one-paragraph explanation of why writing ``target`` failed and what to do."""
    folder = str(target.parent)
    text = str(exc)
    code = getattr(exc, "errno", None)
    # h5py reports disk-full as a bare OSError with the C errno only in its text.
    if code is None and ("No space left" in text or "errno = 28" in text):
        code = errno.ENOSPC
    if isinstance(exc, OSError):
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
            detail = exc.strerror or text or type(exc).__name__
            reason = (
                f"The system refused to write the file ({detail}): choose another folder; {_KEEP}"
            )
    else:
        reason = (
            f"vlab could not convert the data ({type(exc).__name__}: {text}). "
            f"Please report this problem; {_KEEP}"
        )
    return f"Could not save {target.name}: {reason}"


def _fsync_path(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX only; a no-op where directories cannot be opened)."""
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
    error_cls: type[RecordingFileError] = ExportError,
) -> Iterator[Path]:
    """Yield a fresh temp path beside ``target``; on success it replaces ``target``.

    Use this for libraries that insist on writing to a file name themselves
    (pyABF, h5py). The temp file exists (empty) when the block starts.

    Parameters
    ----------
    target
        The final file name.
    error_cls
        The exception class raised on failure, with a message from
        :func:`describe_write_failure`.

    Raises
    ------
    RecordingFileError
        ``error_cls``; errors already of this family pass through unchanged.
    """
    target = Path(target).absolute()
    # Keep the extension last: some writers (pynwb) check it.
    tmp = target.parent / f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}"
    try:
        # O_EXCL: never clobber; mode 0o666 so the umask applies like for any new file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
    except OSError as exc:
        raise error_cls(describe_write_failure(exc, target), target) from exc
    try:
        yield tmp
        _fsync_path(tmp)
        os.replace(tmp, target)
    except RecordingFileError:
        _remove_quietly(tmp)
        raise
    except Exception as exc:
        _remove_quietly(tmp)
        raise error_cls(describe_write_failure(exc, target), target) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise
    _fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_open(
    target: str | os.PathLike[str],
    error_cls: type[RecordingFileError] = ExportError,
) -> Iterator[BinaryIO]:
    """Like :func:`atomic_path` but yield the temp file opened for binary writing."""
    with atomic_path(target, error_cls) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()
