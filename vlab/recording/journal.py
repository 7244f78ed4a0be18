"""Crash recovery: an append-only journal of the sweeps recorded since the last save.

While the rig window runs, every recorded sweep (its arrays and metadata) and every
change of the rig's settings (protocol choice included) is appended to a journal file in
``<user data>/recovery/`` (``vlab-<time>-<token>-<pid>.journal``). Saving the experiment, opening another or discarding the sweeps
appends a marker; closing vlab normally deletes the journal. After a crash or ``kill -9``
the journal is left behind, and the next start finds it (:func:`find_orphans`) and offers
to restore the unsaved sweeps and the settings (:func:`read_journal`).

Cheap by design: one ``os.write`` of a few tens of kB per sweep (no fsync: a killed
process's writes are already in the operating system's cache; only a power cut can lose
the last seconds). A record is ``b"VLJ1"``, payload length and CRC-32 (little-endian
uint32 each), then the payload; a record cut short by the crash, or damaged, ends the
reading — everything before it is recovered.

The running instance holds an exclusive lock on its journal (``fcntl.flock`` on POSIX);
a journal nobody holds a lock on belongs to a vlab that is gone. Qt-free.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vlab.recording.model import Sweep

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to the pid in the name
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Journal",
    "RecoveredSession",
    "find_orphans",
    "read_journal",
    "recovery_dir",
]

_MAGIC = b"VLJ1"
_HEAD = struct.Struct("<4sII")
_MAX_RECORD = 512 * 2**20  # no single sweep comes near this
_SUFFIX = ".journal"


def recovery_dir() -> Path:
    """``<user data>/recovery`` (``$VLAB_DATA_DIR`` overrides the user data folder)."""
    env = os.environ.get("VLAB_DATA_DIR")
    if env:
        base = Path(env)
    else:
        import platformdirs

        base = Path(platformdirs.user_data_dir("vlab", appauthor=False))
    return base / "recovery"


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _record(kind: str, meta: dict[str, Any], blobs: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    head = json.dumps({"kind": kind, **meta}, allow_nan=False).encode()
    payload = struct.pack("<I", len(head)) + head + b"".join(blobs)
    return _HEAD.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload


class Journal:
    """The recovery journal of one running rig window.

    Parameters
    ----------
    folder
        Where journals live (default :func:`recovery_dir`).

    A journal that cannot be created or written (read-only or full disk) switches itself
    off and says why in :attr:`problem`; recording goes on.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else recovery_dir()
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        token = secrets.token_hex(3)  # two windows in one process and second differ
        self.path = self.folder / f"vlab-{stamp}-{token}-{os.getpid()}{_SUFFIX}"
        self.problem: str | None = None
        self.sweeps_written = 0
        self._fd: int | None = None
        self._last_state: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._off(exc)
            return
        self._write(_record("start", {"time": _now(), "pid": os.getpid()}))

    @property
    def active(self) -> bool:
        return self._fd is not None

    def _off(self, exc: OSError) -> None:
        self.problem = f"crash recovery is off: {exc.strerror or exc}"
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd = None

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            return
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as exc:
            self._off(exc)

    def state(self, state: dict[str, Any]) -> None:
        """Record the rig's settings (JSON types) if they changed since the last record."""
        try:
            text = json.dumps(state, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError):
            return
        if text != self._last_state:
            self._last_state = text
            self._write(_record("state", {"state": json.loads(text)}))

    def sweep(self, sweep: Sweep) -> None:
        """Append one recorded sweep (its arrays as stored, and its metadata)."""
        if self._fd is None:
            return
        arrays = {k: np.ascontiguousarray(v) for k, v in sweep.channels.items()}
        meta = {
            "sweep": sweep.to_meta(),
            "arrays": [[k, a.dtype.str, a.size] for k, a in arrays.items()],
        }
        try:
            record = _record("sweep", meta, [a.tobytes() for a in arrays.values()])
        except (TypeError, ValueError):
            return
        self._write(record)
        self.sweeps_written += 1

    def mark(self, kind: str, **info: Any) -> None:
        """``"saved"`` (the sweeps so far are in a file), ``"cleared"`` (discarded or
        replaced by an opened experiment)."""
        self._write(_record(kind, {"time": _now(), **info}))

    def close(self, delete: bool = True) -> None:
        """Stop journaling; ``delete`` the file (a normal exit)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        if delete:
            try:
                os.unlink(self.path)
            except OSError:
                pass


@dataclass
class RecoveredSession:
    """What a journal left by a crashed vlab holds."""

    path: Path
    started: str = ""
    sweeps: list[Sweep] = field(default_factory=list)
    state: dict[str, Any] | None = None
    settings_unsaved: bool = False
    damaged_tail: bool = False

    @property
    def worth_offering(self) -> bool:
        """Unsaved sweeps, or settings changed since the last save."""
        return bool(self.sweeps) or (self.settings_unsaved and self.state is not None)

    def discard(self) -> None:
        """Delete the journal (after restoring or when the student declines)."""
        try:
            os.unlink(self.path)
        except OSError:
            pass


def _locked_by_someone(path: Path) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        try:
            pid = int(path.stem.rsplit("-", 1)[1])
            os.kill(pid, 0)
        except (ValueError, IndexError, OSError):
            return False
        return True
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return True  # cannot tell: leave it alone
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def find_orphans(folder: Path | None = None) -> list[Path]:
    """Journals left by vlab instances that are gone (oldest first)."""
    folder = Path(folder) if folder is not None else recovery_dir()
    try:
        paths = sorted(p for p in folder.glob(f"vlab-*{_SUFFIX}") if p.is_file())
    except OSError:
        return []
    return [p for p in paths if not _locked_by_someone(p)]


def read_journal(path: Path) -> RecoveredSession:
    """The unsaved sweeps and last settings in a journal; never raises for bad content.

    Sweeps before the last ``saved``/``cleared`` marker are left out (they are in a file,
    or the student threw them away). A damaged or cut-short record ends the reading.
    """
    from vlab.safe_read import BadFileError, open_regular

    out = RecoveredSession(Path(path))
    try:
        fh = open_regular(path, 64 * 2**30)
    except BadFileError:
        out.damaged_tail = True
        return out
    with fh:
        while True:
            head = fh.read(_HEAD.size)
            if not head:
                break
            if len(head) < _HEAD.size:
                out.damaged_tail = True
                break
            magic, size, crc = _HEAD.unpack(head)
            if magic != _MAGIC or size > _MAX_RECORD or size < 4:
                out.damaged_tail = True
                break
            payload = fh.read(size)
            if len(payload) < size or zlib.crc32(payload) != crc:
                out.damaged_tail = True
                break
            try:
                _apply(out, payload)
            except (ValueError, TypeError, KeyError, struct.error):
                out.damaged_tail = True
                break
    return out


def _apply(out: RecoveredSession, payload: bytes) -> None:
    (n,) = struct.unpack_from("<I", payload)
    meta = json.loads(payload[4 : 4 + n])
    kind = meta["kind"]
    if kind == "start":
        out.started = str(meta.get("time", ""))
    elif kind == "state":
        if isinstance(meta.get("state"), dict):
            out.state = meta["state"]
            out.settings_unsaved = True
    elif kind in ("saved", "cleared"):
        out.sweeps.clear()
        if kind == "saved":
            out.settings_unsaved = False
    elif kind == "sweep":
        offset = 4 + n
        arrays = {}
        for name, dtype, size in meta["arrays"]:
            dt = np.dtype(dtype)
            if dt.kind not in "fiu":
                raise ValueError("not numeric")
            nbytes = int(size) * dt.itemsize
            if offset + nbytes > len(payload):
                raise ValueError("arrays cut short")
            arrays[str(name)] = np.frombuffer(payload, dt, int(size), offset).copy()
            offset += nbytes
        out.sweeps.append(Sweep.from_meta(meta["sweep"], arrays))
