"""Atomic writes: a failure mid-write (disk full) leaves the old file and no temp files."""

from __future__ import annotations

import errno

import pytest
from recording_factory import make_sweep

from vlab.recording import (
    ExportError,
    Recording,
    SessionError,
    _atomic,
    load_session,
    save_session,
    write_abf,
    write_atf,
    write_csv,
    write_npz,
    write_nwb,
)
from vlab.recording._atomic import describe_write_failure

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


class _FillingFile:
    """A real file that accepts ``limit`` bytes, writes part of the next chunk, then fails."""

    def __init__(self, fh, limit: int) -> None:
        self._fh = fh
        self._left = limit

    def write(self, data) -> int:
        data = bytes(data)
        if len(data) > self._left:
            self._fh.write(data[: self._left])
            self._fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= len(data)
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def _fill_disk_after(monkeypatch, limit: int) -> None:
    real_open = open

    def fake_open(path, mode="r", *args, **kwargs):
        fh = real_open(path, mode, *args, **kwargs)
        return _FillingFile(fh, limit) if "w" in mode else fh

    monkeypatch.setattr(_atomic, "open", fake_open, raising=False)


SWEEPS = [make_sweep(i, "IC", n=20_000) for i in range(2)]
CASES = {
    "csv": (
        lambda p: write_csv(SWEEPS, p, {}),
        lambda mp: _fill_disk_after(mp, 10_000),
        ExportError,
    ),
    "npz": (lambda p: write_npz(SWEEPS, p), lambda mp: _fill_disk_after(mp, 10_000), ExportError),
    "abf": (lambda p: write_abf(SWEEPS, p), lambda mp: _fill_disk_after(mp, 10_000), ExportError),
    "atf": (lambda p: write_atf(SWEEPS, p), lambda mp: _fill_disk_after(mp, 10_000), ExportError),
    # NWB is built in memory, so the disk sees one Python write (h5py's C writes cannot be
    # monkeypatched; test_disk_full_nwb.py fills a real file-size limit instead).
    "nwb": (lambda p: write_nwb(SWEEPS, p), lambda mp: _fill_disk_after(mp, 10_000), ExportError),
    "vlab": (
        lambda p: save_session(p, {"protocol": "x"}, Recording(SWEEPS)),
        lambda mp: _fill_disk_after(mp, 10_000),
        SessionError,
    ),
}


@pytest.mark.parametrize("ext", list(CASES))
def test_disk_full_mid_write_keeps_previous_file(tmp_path, monkeypatch, ext):
    write, fill_disk, error = CASES[ext]
    target = tmp_path / f"recording.{ext}"
    target.write_bytes(b"previous version")
    fill_disk(monkeypatch)
    with pytest.raises(error) as info:
        write(target)
    message = str(info.value)
    assert "disk is full" in message and "free some space" in message
    assert f"recording.{ext}" in message
    assert target.read_bytes() == b"previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"recording.{ext}"]  # no sidecar either


@pytest.mark.parametrize("ext", list(CASES))
def test_success_replaces_previous_file_and_leaves_no_temp(tmp_path, ext):
    write, _, _ = CASES[ext]
    target = tmp_path / f"recording.{ext}"
    target.write_bytes(b"previous version")
    write(target)
    assert target.read_bytes() != b"previous version"
    sidecar = ["recording.csv-metadata.json"] if ext == "csv" else []  # the CSV's description
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"recording.{ext}", *sidecar]


def test_session_survives_a_failed_resave(tmp_path, monkeypatch):
    path = tmp_path / "exp.vlab"
    save_session(path, {"n": 1}, Recording(SWEEPS[:1]))
    _fill_disk_after(monkeypatch, 5_000)
    with pytest.raises(SessionError, match="disk is full"):
        save_session(path, {"n": 2}, Recording(SWEEPS))
    monkeypatch.undo()
    state, rec = load_session(path)
    assert state == {"n": 1} and len(rec) == 1


def test_interrupt_removes_temp_file(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_atomic, "open", interrupted, raising=False)
    with pytest.raises(KeyboardInterrupt):
        write_csv(SWEEPS, tmp_path / "x.csv", {})
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_explained(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_csv(SWEEPS, tmp_path / "gone" / "x.csv", {})


@pytest.mark.parametrize(
    ("exc", "phrase"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (
            OSError(
                "Can't write data (file write failed: errno = 28, error message = 'No space left')"
            ),
            "disk is full",
        ),
        (  # what h5py raised in issue 11 once the disk had filled ("could not convert" before)
            RuntimeError(
                "Disable slist on flush dest failure failed (file write failed: errno = 28, "
                "error message = 'No space left on device')"
            ),
            "disk is full",
        ),
        (PermissionError(errno.EACCES, "Permission denied"), "not allowed to write"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (OSError(errno.ENAMETOOLONG, "File name too long"), "too long"),
        (ValueError("bad shape"), "could not convert"),
    ],
)
def test_failure_messages_are_plain(tmp_path, exc, phrase):
    message = describe_write_failure(exc, tmp_path / "out.csv")
    assert message.startswith("Could not save out.csv:")
    assert phrase in message
    assert "still in vlab" in message
