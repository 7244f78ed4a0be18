"""User settings: recent files, persistence, and robustness to a corrupt file."""

from __future__ import annotations

from vlab.settings import MAX_RECENT, Settings


def test_settings_round_trip_and_recent_files(tmp_path):
    f = tmp_path / "exp.vlab"
    f.write_text("x")
    s = Settings(tmp_path / "settings.json")
    s.set("ui_scale", 1.5)
    s.add_recent("experiments", f)
    s.add_recent("experiments", f)  # no duplicates
    assert s.save()
    again = Settings(tmp_path / "settings.json")
    assert again.get("ui_scale") == 1.5
    assert again.recent("experiments") == [str(f.resolve())]


def test_recent_list_is_bounded_and_drops_missing_files(tmp_path):
    s = Settings(tmp_path / "settings.json")
    files = []
    for i in range(MAX_RECENT + 3):
        p = tmp_path / f"e{i}.vlab"
        p.write_text("x")
        files.append(p)
        s.add_recent("experiments", p)
    assert len(s.recent("experiments")) == MAX_RECENT
    files[-1].unlink()
    assert str(files[-1].resolve()) not in s.recent("experiments")


def test_corrupt_or_foreign_settings_file_falls_back_to_defaults(tmp_path):
    p = tmp_path / "settings.json"
    p.write_text("{not json")
    assert Settings(p).get("ui_scale") == 1.0
    p.write_text('{"ui_scale": "huge", "recent_experiments": 3}')
    s = Settings(p)
    assert s.get("ui_scale") == 1.0 and s.recent("experiments") == []


def test_unwritable_folder_does_not_raise(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    s = Settings(blocker / "sub" / "settings.json")  # parent is a file: cannot mkdir
    assert s.save() is False


def test_yes_no_settings_round_trip_and_reject_other_types(tmp_path):
    p = tmp_path / "settings.json"
    s = Settings(p)
    assert s.get("show_welcome") is True
    s.set("show_welcome", False)
    s.save()
    assert Settings(p).get("show_welcome") is False
    p.write_text('{"show_welcome": 0}')
    assert Settings(p).get("show_welcome") is True  # 0 is not a yes/no answer
