"""Experiment files (.vlab): round trip, and clear errors for bad files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from recording_factory import TOML, assert_sweeps_equal

from vlab.recording import Recording, SessionError, load_session, save_session

STATE = {
    "protocol_toml": TOML,
    "preparation": "squid giant axon",
    "parameters": {"gNa_mS_per_cm2": np.float64(120.0), "area_cm2": 1e-4},
    "drugs": {"TTX": {"concentration_M": 1e-7}},
    "solutions": ["ASW", "ASW + TTX"],
    "seed": np.int64(7),
}


@pytest.fixture
def saved(tmp_path, recording):
    path = tmp_path / "experiment.vlab"
    save_session(path, STATE, recording)
    return path


def test_round_trip(saved, recording):
    state, rec = load_session(saved)
    assert state["protocol_toml"] == TOML
    assert state["parameters"] == {"gNa_mS_per_cm2": 120.0, "area_cm2": 1e-4}
    assert state["seed"] == 7 and state["solutions"] == ["ASW", "ASW + TTX"]
    assert rec.metadata == recording.metadata
    assert len(rec) == len(recording)
    for a, b in zip(recording, rec, strict=True):
        assert_sweeps_equal(a, b)


def test_container_layout(saved):
    with zipfile.ZipFile(saved) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
    assert names == {"manifest.json", "state.json", "sweeps.json", "sweeps.npz"}
    assert manifest["format"] == "vlab-session" and manifest["version"] == 1
    assert manifest["vlab_version"]


def test_empty_recording_round_trips(tmp_path):
    path = tmp_path / "empty.vlab"
    save_session(path, {}, None)
    state, rec = load_session(path)
    assert state == {} and len(rec) == 0


def test_unserialisable_state_is_refused_before_writing(tmp_path, recording):
    with pytest.raises(SessionError, match="settings cannot be saved"):
        save_session(tmp_path / "x.vlab", {"widget": object()}, recording)
    assert list(tmp_path.iterdir()) == []


def _rewrite(src, dst, change):
    """Copy the zip ``src`` to ``dst`` with ``change(name, bytes) -> bytes | None`` applied."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)


def _bump_version(name, data):
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest.update(version=2, vlab_version="9.0")
    return json.dumps(manifest).encode()


def _bad_files(tmp_path, saved):
    png = tmp_path / "picture.vlab"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    random_zip = tmp_path / "random.vlab"
    with zipfile.ZipFile(random_zip, "w") as zf:
        zf.writestr("readme.txt", "hello")
    truncated = tmp_path / "truncated.vlab"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    corrupt = tmp_path / "corrupt.vlab"
    raw = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo("sweeps.npz")
    middle = info.header_offset + 100 + info.compress_size // 2
    raw[middle : middle + 64] = bytes(64)
    corrupt.write_bytes(bytes(raw))
    newer = tmp_path / "newer.vlab"
    _rewrite(saved, newer, _bump_version)
    missing = tmp_path / "missing-member.vlab"
    _rewrite(saved, missing, lambda n, d: None if n == "sweeps.npz" else d)
    bad_json = tmp_path / "bad-json.vlab"
    _rewrite(saved, bad_json, lambda n, d: b"{not json" if n == "sweeps.json" else d)
    bad_sweep = tmp_path / "bad-sweep.vlab"

    def nan_sweep(name, data):
        if name != "sweeps.json":
            return data
        doc = json.loads(data)
        doc["sweeps"][0]["dt"] = -1.0
        return json.dumps(doc).encode()

    _rewrite(saved, bad_sweep, nan_sweep)
    empty = tmp_path / "empty.vlab"
    empty.write_bytes(b"")
    csv = tmp_path / "export.vlab"
    csv.write_text("# vlab recording export\nsweep,t_ms\n")
    return {
        "picture.vlab": (png, "not a vlab experiment file (it is a PNG image)"),
        "random.vlab": (random_zip, "zip file but not a vlab experiment file"),
        "truncated.vlab": (truncated, "damaged or incomplete"),
        "corrupt.vlab": (corrupt, "damaged or incomplete"),
        "newer.vlab": (newer, "saved by a newer vlab (9.0, file format 2)"),
        "missing-member.vlab": (missing, "missing sweeps.npz"),
        "bad-json.vlab": (bad_json, "damaged or incomplete"),
        "bad-sweep.vlab": (bad_sweep, "damaged or incomplete"),
        "empty.vlab": (empty, "is empty"),
        "export.vlab": (csv, "CSV export?"),
        "nowhere.vlab": (tmp_path / "nowhere.vlab", "does not exist"),
        "folder": (tmp_path, "is a folder"),
    }


def test_bad_files_raise_session_error_naming_file_and_problem(tmp_path, saved):
    for name, (path, phrase) in _bad_files(tmp_path, saved).items():
        with pytest.raises(SessionError) as info:
            load_session(path)
        message = str(info.value)
        assert path.name in message, (name, message)
        assert phrase in message, (name, message)
        assert info.value.path == str(path)


def test_newer_version_says_to_update(tmp_path, saved):
    newer = tmp_path / "newer.vlab"
    _rewrite(saved, newer, _bump_version)
    with pytest.raises(SessionError, match="Update vlab to open it"):
        load_session(newer)


def test_loading_never_returns_part_of_a_file(tmp_path, saved):
    # A file whose last sweep is broken must not yield the first sweeps.
    broken = tmp_path / "broken.vlab"

    def drop_last_array(name, data):
        if name != "sweeps.json":
            return data
        doc = json.loads(data)
        doc["sweeps"][-1]["arrays"]["Vm"] = "no_such_array"
        return json.dumps(doc).encode()

    _rewrite(saved, broken, drop_last_array)
    with pytest.raises(SessionError, match="damaged"):
        load_session(broken)


def test_recording_metadata_and_marks_survive(tmp_path, ic_sweeps):
    ic_sweeps[0].kept = False
    ic_sweeps[0].label = "bad seal"
    rec = Recording(ic_sweeps, {"student": "Grace", "notes": "line 1\nline 2"})
    path = tmp_path / "marks.vlab"
    save_session(path, {}, rec)
    _, back = load_session(path)
    assert back.metadata == rec.metadata
    assert back[0].kept is False and back[0].label == "bad seal"


def _big_recording(n_sweeps: int = 3, samples: int = 100_000) -> Recording:
    """About 4.6 MiB of float64 samples (two channels per sweep)."""
    from vlab.recording import Sweep

    rng = np.random.default_rng(1)
    return Recording(
        [
            Sweep(k, 2e-5, {"Vm": rng.normal(-0.065, 1e-3, samples), "Im": np.zeros(samples)})
            for k in range(n_sweeps)
        ]
    )


def test_progress_is_reported_per_mebibyte_and_ends_at_one(tmp_path):
    rec = _big_recording()
    path = tmp_path / "big.vlab"
    save_session(path, STATE, rec)
    seen: list[float] = []
    _, back = load_session(path, progress=seen.append)
    data_mib = sum(a.nbytes for s in rec for a in s.channels.values()) / 2**20
    # inflating sweeps.npz and copying its arrays each report once per MiB (at least)
    assert len(seen) >= 2 * int(data_mib)
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)
    for a, b in zip(rec, back, strict=True):
        assert_sweeps_equal(a, b)


def test_a_progress_callback_cancels_the_read(tmp_path):
    from vlab.safe_read import ReadCancelled

    path = tmp_path / "big.vlab"
    save_session(path, STATE, _big_recording())

    def stop_halfway(fraction: float) -> None:
        if fraction > 0.5:
            raise ReadCancelled

    with pytest.raises(ReadCancelled):  # passes through; never turned into a SessionError
        load_session(path, progress=stop_halfway)


def test_saving_reports_progress_per_mebibyte_and_cancel_keeps_the_old_file(tmp_path):
    from vlab.safe_read import ReadCancelled

    path = tmp_path / "big.vlab"
    save_session(path, {"first": True}, Recording())
    before = path.read_bytes()
    rec = _big_recording()
    data_mib = sum(a.nbytes for s in rec for a in s.channels.values()) / 2**20
    seen: list[float] = []
    with pytest.raises(ReadCancelled):  # passes through; never turned into a SessionError
        save_session(path, STATE, rec, progress=lambda f: seen.append(f) or _stop_at_one(f))
    assert len(seen) >= int(data_mib) and seen == sorted(seen) and seen[-1] == 1.0
    assert path.read_bytes() == before  # cancelled at the last moment: nothing replaced
    assert [p.name for p in tmp_path.iterdir()] == ["big.vlab"]  # no temporary file left
    save_session(path, STATE, rec, progress=seen.append)
    _, back = load_session(path)
    for a, b in zip(rec, back, strict=True):
        assert_sweeps_equal(a, b)


def _stop_at_one(fraction: float) -> None:
    from vlab.safe_read import ReadCancelled

    if fraction >= 1.0:
        raise ReadCancelled


def test_a_snapshot_is_not_changed_by_later_edits_of_the_recording(tmp_path, ic_sweeps):
    from vlab.recording.session import snapshot_session, write_session

    rec = Recording(ic_sweeps[:2], {"student": "Ada"})
    label = rec.sweeps[0].label
    assert rec.sweeps[0].kept
    snap = snapshot_session(tmp_path / "s.vlab", {"a": 1}, rec)
    rec.sweeps[0].kept = False
    rec.sweeps[0].label = "edited after the snapshot"
    rec.append(ic_sweeps[2])
    rec.metadata["student"] = "someone else"
    write_session(tmp_path / "s.vlab", snap)
    _, back = load_session(tmp_path / "s.vlab")
    assert len(back) == 2 and back.metadata == {"student": "Ada"}
    assert back[0].kept is True and back[0].label == label != "edited after the snapshot"


def test_imported_recordings_round_trip_marked_with_their_source(tmp_path, ic_sweeps):
    from pathlib import Path

    from vlab.recording.importers import read_sweeps

    data = Path(__file__).parents[1] / "data" / "recordings"
    real = read_sweeps(sorted(data.glob("*.abf"))[0]).sweeps
    rec = Recording(ic_sweeps, {"student": "Ada"}, imported=real)
    save_session(tmp_path / "both.vlab", {}, rec)
    _, back = load_session(tmp_path / "both.vlab")
    assert len(back) == len(ic_sweeps)  # the model's sweeps only
    assert all(not s.provenance.get("imported") for s in back)
    assert len(back.imported) == len(real)
    for a, b in zip(real, back.imported, strict=True):
        assert_sweeps_equal(a, b)
        assert b.provenance["imported"] is True
        assert b.provenance["source_file"] == a.provenance["source_file"]
        assert b.provenance["source_format"].startswith("ABF")
    # a file without imports has none
    save_session(tmp_path / "none.vlab", {}, Recording(ic_sweeps))
    assert load_session(tmp_path / "none.vlab")[1].imported == []
