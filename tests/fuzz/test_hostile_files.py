"""Every hostile-file finding of issue 11, reproduced: each is refused with one clear line.

Before the hardened reader (vlab.safe_read) these raised RuntimeError, NotImplementedError,
RecursionError, AttributeError, OSError or MemoryError, hung (FIFO) or used gigabytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import hostile
import numpy as np
import pytest

from vlab.practicals import load_practical
from vlab.practicals.errors import PracticalError
from vlab.protocols import ProtocolError, load_protocol
from vlab.recording import load_session
from vlab.recording.errors import SessionError
from vlab.rig.rig import Rig, RigError
from vlab.safe_read import (
    BadFileError,
    check_zip_members,
    loads_json,
    loads_toml,
    read_npz_bytes,
    read_text,
)
from vlab.settings import DEFAULTS, Settings


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text, text
    assert isinstance(exc, ValueError)
    return text


@pytest.mark.parametrize(
    ("builder", "phrase"),
    [
        (hostile.encrypted_session, "encrypted"),
        (hostile.deflate64_session, "compression method 9"),
        (hostile.deep_json_session, "nested 100000 levels deep"),
        (hostile.lying_header_session, "header promises 80,000,000,000 bytes"),
        (hostile.zip_bomb_session, "would unpack to 3.0 GB"),
        (hostile.huge_list_session, "holds about 10,000,"),
    ],
)
def test_hostile_experiment_files_are_refused_in_one_line(tmp_path, builder, phrase):
    path = builder(tmp_path)
    with pytest.raises(SessionError) as info:
        load_session(path)
    message = _one_line(info.value)
    assert phrase in message
    assert path.name in message


@pytest.mark.parametrize(
    ("builder", "phrase"),
    [
        (hostile.wrong_types_session, "parameters are not a table"),
        (hostile.long_name_session, "preparation name 'xxxx"),
    ],
)
def test_hostile_rig_settings_are_refused_and_the_rig_is_unchanged(tmp_path, builder, phrase):
    state, _recording = load_session(builder(tmp_path))
    rig = Rig()
    before = rig.state_dict()
    with pytest.raises(RigError) as info:
        rig.load_state(state)
    assert phrase in _one_line(info.value)
    assert len(str(info.value)) < 200
    assert rig.state_dict() == before


def test_every_wrong_type_in_rig_settings_is_a_rig_error(tmp_path):
    """Each top-level value replaced by each JSON type: a RigError or a loaded rig, nothing else."""
    good = json.loads(hostile.session_members(hostile.good_session(tmp_path))["state.json"])
    for key in good:
        for wrong in (None, 1, 1.5, "x", [], [1], {}, {"a": 1}, True):
            state = dict(good) | {key: wrong}
            try:
                Rig().load_state(state)
            except RigError as exc:
                _one_line(exc)


def test_fifos_are_refused_without_blocking(tmp_path):
    """Opening a FIFO blocked forever; now stat() refuses it before open().

    Run in a subprocess so that a regression shows as a timeout, not a hung suite.
    """
    for name in ("x.vlab", "x.toml", "settings.json", "prac.toml"):
        hostile.fifo(tmp_path, name)
    code = f"""
import sys
from pathlib import Path
from vlab.recording import load_session
from vlab.protocols import load_protocol
from vlab.practicals import load_practical
from vlab.settings import Settings
d = Path({str(tmp_path)!r})
out = []
for fn, arg in ((load_session, "x.vlab"), (load_protocol, "x.toml"), (load_practical, "prac.toml")):
    try:
        fn(d / arg)
    except ValueError as exc:
        out.append(str(exc))
s = Settings(d / "settings.json")
out.append(str(s.data["ui_scale"]))
print("\\n".join(out))
"""
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    lines = r.stdout.splitlines()
    assert len(lines) == 4
    assert all("named pipe (FIFO)" in line for line in lines[:3]), lines
    assert lines[3] == str(DEFAULTS["ui_scale"])


@pytest.mark.parametrize("builder", [hostile.nested_toml, hostile.nested_dotted_toml])
def test_nested_protocol_toml_is_bad_input(tmp_path, builder):
    path = builder(tmp_path)
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert "nested" in _one_line(info.value)


def test_nested_protocol_toml_exits_2_from_the_cli(tmp_path):
    """It said 'simulation failed' with exit status 1 (RecursionError is a RuntimeError)."""
    path = hostile.nested_toml(tmp_path)
    r = subprocess.run(
        [sys.executable, "-m", "vlab", "run", str(path)], capture_output=True, text=True
    )
    assert r.returncode == 2, r.stderr
    assert "nested" in r.stderr and "Traceback" not in r.stderr


def test_nested_toml_in_an_experiment_file_is_a_rig_error():
    state = Rig().state_dict()
    state["protocol_toml"] = 'name = "x"\nlevel = ' + "[" * 3000 + "]" * 3000
    with pytest.raises(RigError) as info:
        Rig().load_state(state)
    assert "nested" in _one_line(info.value)


def test_nested_practical_is_a_practical_error(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(hostile.PRACTICAL + "x = " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(PracticalError) as info:
        load_practical(path)
    assert "nested" in _one_line(info.value)


def test_nested_settings_do_not_stop_vlab(tmp_path, caplog):
    path = hostile.nested_settings(tmp_path)
    s = Settings(path)
    assert s.data == DEFAULTS
    assert "nested" in caplog.text


def test_settings_of_wrong_types_fall_back_to_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {"ui_scale": "2", "speed": True, "recent_experiments": [1, "x" * 9000, "/a.vlab"]}
        )
    )
    s = Settings(path)
    assert s.data["ui_scale"] == DEFAULTS["ui_scale"]
    assert s.data["speed"] == DEFAULTS["speed"]
    assert s.data["recent_experiments"] == ["/a.vlab"]
    assert s.recent("experiments") == []


def test_reader_refuses_folders_devices_and_oversized_files(tmp_path):
    with pytest.raises(BadFileError, match="is a folder"):
        read_text(tmp_path)
    with pytest.raises(BadFileError, match="is a device"):
        read_text("/dev/zero")
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 2000)
    with pytest.raises(BadFileError, match="up to 1000 bytes"):
        read_text(big, max_bytes=1000)
    with pytest.raises(BadFileError, match="does not exist"):
        read_text(tmp_path / "none")
    with pytest.raises(BadFileError, match="cannot open"):
        read_text("x" * 5000)


def test_json_limits_count_outside_strings_only():
    text = json.dumps({"a": "[[[[[[[[[[", "b": [[[1]]], "c": ",,,,,,,,,,,,"})
    assert loads_json(text, max_depth=4, max_values=5)["b"] == [[[1]]]
    with pytest.raises(BadFileError, match="nested 4 levels"):
        loads_json(text, max_depth=3)
    with pytest.raises(BadFileError, match="not valid JSON"):
        loads_json('{"a": NaN}')


def test_toml_depth_counts_tables_arrays_and_dotted_keys():
    assert loads_toml("a.b.c = [[1]]", max_depth=5) == {"a": {"b": {"c": [[1]]}}}
    with pytest.raises(BadFileError, match="nested 5 levels"):
        loads_toml("a.b.c = [[1]]", max_depth=4)


def test_npz_reader_checks_member_names_and_dtypes():
    import io

    buf = io.BytesIO()
    np.savez(buf, ok=np.arange(3.0), obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(BadFileError, match="object"):
        read_npz_bytes(buf.getvalue(), "x.npz")
    buf = io.BytesIO()
    np.savez(buf, a=np.arange(3.0), b=np.arange(6, dtype=np.int32).reshape(2, 3))
    arrays = read_npz_bytes(buf.getvalue(), "x.npz")
    assert arrays["a"].tolist() == [0.0, 1.0, 2.0]
    assert arrays["b"].tolist() == [[0, 1, 2], [3, 4, 5]]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.npy", b"")
    with pytest.raises(BadFileError, match="unexpected member"):
        read_npz_bytes(buf.getvalue(), "x.npz")


def test_zip_directory_limits_apply_before_reading(tmp_path):
    path = hostile.write_zip(tmp_path / "z.zip", {"a": b"0" * 1000, "b": b"1"})
    with zipfile.ZipFile(path) as zf:
        with pytest.raises(BadFileError, match="would unpack to 1000 bytes"):
            check_zip_members(zf, "z.zip", {"a": 999, "b": 10})
        with pytest.raises(BadFileError, match="more than"):
            check_zip_members(zf, "z.zip", {"a": 1000, "b": 10}, total_limit=1000)
        with pytest.raises(BadFileError, match="unexpected member 'b'"):
            check_zip_members(zf, "z.zip", {"a": 1000})


def test_a_good_experiment_still_opens(tmp_path):
    state, recording = load_session(hostile.good_session(tmp_path))
    assert len(recording) == 3
    Rig().load_state(state)


def test_the_hostile_builders_are_what_they_claim(tmp_path):
    """The bomb really holds 3 GB of zeros behind a consistent array header."""
    import io

    members = hostile.session_members(hostile.zip_bomb_session(tmp_path))
    with zipfile.ZipFile(io.BytesIO(members["sweeps.npz"])) as zf:
        (info,) = zf.infolist()
        assert info.file_size > 3 * 2**30 - 2**20
        with zf.open(info) as fh:
            np.lib.format.read_magic(fh)
            shape, _f, dtype = np.lib.format.read_array_header_1_0(fh)
            assert fh.tell() + shape[0] * dtype.itemsize == info.file_size
            assert fh.read(2**20) == bytes(2**20)
    assert Path(tmp_path / "bomb.vlab").stat().st_size < 100_000
