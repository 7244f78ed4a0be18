"""Progress that survives: backups, damaged files kept aside, wrong types, unwritable disks.

Issue 11 found a truncated or bit-flipped progress file silently replaced by an empty one
(147 of 500), ``"step": "2"`` making the practical impossible to open (115 of 500), and a
read-only or full disk breaking presets, locks and grading.
"""

from __future__ import annotations

import errno
import json
import random

import pytest

import vlab.practicals.progress as progress_mod
from vlab.practicals import load_practical
from vlab.practicals.progress import (
    backup_path,
    load_progress_with_notice,
    progress_path,
    save_progress,
)
from vlab.practicals.session import PracticalSession

NAME, WHO = "nernst", "student-7"


def _session(root) -> PracticalSession:
    return PracticalSession(load_practical(NAME), WHO, root=root)


def _answer_first(s: PracticalSession) -> None:
    assert s.submit("ek_default", f"{s.key('ek_default') * 1e3:.2f}").correct


def _damaged_copies(root) -> list:
    return sorted(progress_path(NAME, WHO, root).parent.glob(f"{NAME}.damaged-*.json"))


def test_each_save_keeps_the_previous_generation(tmp_path):
    s = _session(tmp_path)
    s.go_to(1)
    first = progress_path(NAME, WHO, tmp_path).read_text()
    _answer_first(s)
    assert backup_path(progress_path(NAME, WHO, tmp_path)).read_text() == first
    assert json.loads(progress_path(NAME, WHO, tmp_path).read_text())["answers"]


@pytest.mark.parametrize("cut", [0, 1, 10, 100, -1])
def test_truncated_file_is_kept_aside_and_the_backup_restored(tmp_path, cut):
    s = _session(tmp_path)
    s.go_to(1)  # generation 1: on step 1, no answers
    _answer_first(s)  # generation 2
    path = progress_path(NAME, WHO, tmp_path)
    original = path.read_bytes()
    path.write_bytes(original[:cut])
    again = _session(tmp_path)
    assert again.notice and "damaged" in again.notice and "restored" in again.notice
    assert again.progress.step == 1  # the last good state (the backup) ...
    (kept,) = _damaged_copies(tmp_path)
    assert kept.read_bytes() == original[:cut]  # ... and the damaged file kept, byte for byte
    assert kept.name in again.notice
    again.go_to(2)  # saving works and does not touch the kept copy
    assert kept.read_bytes() == original[:cut]


def test_bit_flips_never_lose_the_file_and_never_raise(tmp_path):
    rng = random.Random(11)
    s = _session(tmp_path)
    s.go_to(1)
    _answer_first(s)
    path = progress_path(NAME, WHO, tmp_path)
    good = path.read_bytes()
    backup = backup_path(path).read_bytes()
    for trial in range(60):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        backup_path(path).write_bytes(backup)
        for old in _damaged_copies(tmp_path):
            old.unlink()
        progress, notice = load_progress_with_notice(NAME, WHO, tmp_path)
        if notice is None:  # still sound: the file is untouched
            assert path.read_bytes() == bytes(data), trial
        else:  # kept aside, byte for byte
            (kept,) = _damaged_copies(tmp_path)
            assert kept.read_bytes() == bytes(data), trial
        assert 0 <= progress.step < 100


def test_a_string_step_is_repaired_and_the_original_kept(tmp_path):
    s = _session(tmp_path)
    s.go_to(2)
    path = progress_path(NAME, WHO, tmp_path)
    d = json.loads(path.read_text())
    d["step"] = "2"
    d["answers"] = {"ek_default": -90.1, "bad": [1]}
    path.write_text(json.dumps(d))
    again = _session(tmp_path)
    assert again.progress.step == 2
    assert again.progress.answers == {"ek_default": "-90.1"}
    assert again.notice and "repaired" in again.notice
    (kept,) = _damaged_copies(tmp_path)
    assert json.loads(kept.read_text())["step"] == "2"


@pytest.mark.parametrize(
    "change",
    [
        {"results": []},
        {"evidence": "x"},
        {"step": [2]},
        {"step": -3},
        {"results": {"ek_default": {"correct": "yes", "attempts": "many"}}},
    ],
)
def test_wrong_types_never_stop_the_practical(tmp_path, change):
    s = _session(tmp_path)
    s.go_to(1)
    path = progress_path(NAME, WHO, tmp_path)
    path.write_text(json.dumps(json.loads(path.read_text()) | change))
    again = _session(tmp_path)
    assert again.notice
    again.go_to(1)
    _answer_first(again)
    assert again.score[0] >= 1


def test_a_crash_between_the_two_renames_loads_the_backup(tmp_path):
    s = _session(tmp_path)
    s.go_to(1)
    _answer_first(s)
    path = progress_path(NAME, WHO, tmp_path)
    path.replace(backup_path(path))  # the state after the first rename of a save
    progress, notice = load_progress_with_notice(NAME, WHO, tmp_path)
    assert notice is None and progress.answers


def test_unwritable_folder_degrades_to_progress_not_saved(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the data folder would have to be inside a file: ENOTDIR
    s = _session(blocker)
    s.go_to(1)  # no exception
    assert s.save_problem and "progress not saved" in s.save_problem
    s.go_to(0)
    _answer_first(s)  # graded correctly although nothing can be saved
    assert s.is_correct("ek_default")


def test_full_disk_leaves_the_files_untouched(tmp_path, monkeypatch):
    s = _session(tmp_path)
    s.go_to(1)
    path = progress_path(NAME, WHO, tmp_path)
    before = path.read_bytes()

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(progress_mod.os, "fsync", full)
    _answer_first(s)
    assert "No space left on device" in s.save_problem
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".tmp")] == []
    monkeypatch.undo()
    s.go_to(1)
    assert s.save_problem is None
    assert json.loads(path.read_text())["answers"]


def test_a_damaged_file_that_cannot_be_moved_is_never_overwritten(tmp_path, monkeypatch):
    s = _session(tmp_path)
    s.go_to(1)
    path = progress_path(NAME, WHO, tmp_path)
    path.write_bytes(b"{garbage")

    def refuse(*_a):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(progress_mod.os, "rename", refuse)
    again = _session(tmp_path)
    assert again.notice and "could not be moved aside" in again.notice
    again.go_to(2)
    assert again.save_problem
    assert path.read_bytes() == b"{garbage"
    with pytest.raises(Exception, match="not saved"):
        save_progress(again.progress, tmp_path)
