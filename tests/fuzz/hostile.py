"""Hostile and damaged files for every kind of file vlab opens (used by the tests and the fuzzer).

Each builder writes one file into a folder and returns its path. The findings of issue 11
(encrypted member, deflate64, deep JSON, wrong JSON types, over-long names, a lying array
header, a zip bomb, a 10-million-element list, nested TOML, FIFOs) each have a builder.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from vlab.recording import Recording, Sweep, save_session

PROTOCOL = """name = "one pulse"
mode = "current_clamp"
acquisition = "episodic"
holding = "0 uA/cm2"
sweeps = 2
sweep_interval = "50 ms"

[[epochs]]
kind = "step"
duration = "5 ms"
level = "0 uA/cm2"

[[epochs]]
kind = "step"
duration = "1 ms"
level = "20 uA/cm2"
level_increment = "5 uA/cm2"
"""

PRACTICAL = """name = "tiny"
title = "Tiny practical"
summary = "One step, one question."

[[steps]]
title = "Rest"
text = "What is the resting potential?"

[[steps.questions]]
id = "rest"
kind = "numeric"
prompt = "Resting potential?"
answer = "-65 mV"
tolerance = "5 mV"
"""


def rig_state() -> dict:
    """A real rig's settings, as saved in experiment files."""
    from vlab.rig.rig import Rig

    return Rig().state_dict()


def sweeps(n: int = 3, samples: int = 400) -> list[Sweep]:
    """Plain synthetic sweeps (SI units)."""
    rng = np.random.default_rng(0)
    out = []
    for k in range(n):
        vm = -65e-3 + rng.normal(0, 1e-4, samples)
        out.append(
            Sweep(
                index=k,
                dt=25e-6,
                channels={"Vm": vm, "Im": np.zeros(samples)},
                provenance={"preparation": "squid", "mode": "IC"},
            )
        )
    return out


def good_session(folder: Path, name: str = "good.vlab", n_sweeps: int = 3) -> Path:
    path = Path(folder) / name
    save_session(path, rig_state(), Recording(sweeps(n_sweeps)))
    return path


def session_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    return path


def _patch_headers(path: Path, local_offset: int, central_offset: int, fmt: str, value) -> None:
    """Set a field in every local and central zip header (flags or method)."""
    b = bytearray(path.read_bytes())
    for sig, off in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        i = 0
        while (i := b.find(sig, i)) >= 0:
            old = struct.unpack_from(fmt, b, i + off)[0]
            struct.pack_into(fmt, b, i + off, value(old))
            i += 4
    path.write_bytes(bytes(b))


def encrypted_session(folder: Path) -> Path:
    """Every member flagged as encrypted (zipfile raised RuntimeError)."""
    path = write_zip(Path(folder) / "encrypted.vlab", session_members(good_session(folder)))
    _patch_headers(path, 6, 8, "<H", lambda f: f | 1)
    return path


def deflate64_session(folder: Path) -> Path:
    """Members claiming compression method 9, deflate64 (zipfile raised NotImplementedError)."""
    path = write_zip(Path(folder) / "deflate64.vlab", session_members(good_session(folder)))
    _patch_headers(path, 8, 10, "<H", lambda _m: 9)
    return path


def _with_member(folder: Path, name: str, member: str, data: bytes) -> Path:
    members = session_members(good_session(folder))
    members[member] = data
    return write_zip(Path(folder) / name, members)


def deep_json_session(folder: Path, depth: int = 100_000) -> Path:
    """state.json nested 100,000 lists deep (RecursionError)."""
    return _with_member(folder, "deep-json.vlab", "state.json", b"[" * depth + b"]" * depth)


def _edited_state(folder: Path, name: str, **changes) -> Path:
    state = json.loads(session_members(good_session(folder))["state.json"])
    state.update(changes)
    return _with_member(folder, name, "state.json", json.dumps(state).encode())


def wrong_types_session(folder: Path) -> Path:
    """``parameters`` a list instead of a table (AttributeError)."""
    return _edited_state(folder, "wrong-types.vlab", parameters=[1, 2])


def long_name_session(folder: Path) -> Path:
    """A 5000-character preparation name (OSError: file name too long)."""
    return _edited_state(folder, "long-name.vlab", preparation="x" * 5000)


def _npy(shape: tuple[int, ...], data: bytes) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return buf.getvalue() + data


def lying_header_session(folder: Path) -> Path:
    """Array headers claiming 10**10 samples over 800 bytes (MemoryError)."""
    members = session_members(good_session(folder))
    with zipfile.ZipFile(io.BytesIO(members["sweeps.npz"])) as inner:
        names = inner.namelist()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in names:
            zf.writestr(n, _npy((10**10,), bytes(800)))
    members["sweeps.npz"] = buf.getvalue()
    return write_zip(Path(folder) / "lying-header.vlab", members)


def _zeros_member(name: str, header: bytes, n_zero_chunks: int, chunk: int = 1 << 24) -> bytes:
    """A deflated zip member (local header + data) of ``header`` and many zero bytes.

    The deflate stream of zeros is made once and repeated (full flushes make the pieces
    independent), so a file of gigabytes is built in a fraction of a second. Its CRC is
    left 0: the file must be refused before anything is inflated.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    data = head + zeros * n_zero_chunks + b"\x03\x00"
    size = len(header) + chunk * n_zero_chunks
    assert size < 2**32
    fname = name.encode()
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, 0, len(data), size, len(fname), 0
    )
    return local + fname + data, len(data), size


def _single_member_zip(name: str, header: bytes, n_zero_chunks: int) -> bytes:
    local, csize, size = _zeros_member(name, header, n_zero_chunks)
    fname = name.encode()
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        b"PK\x01\x02",
        20,
        20,
        0,
        8,
        0,
        0x21,
        0,
        csize,
        size,
        len(fname),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(fname), len(local), 0
    )
    return local + central + fname + end


def zip_bomb_session(folder: Path, gigabytes: float = 3.0) -> Path:
    """A small file whose sweeps.npz holds one genuine array of ``gigabytes`` of zeros.

    The array header agrees with the member size: only a size limit can stop it (before:
    memory grew to gigabytes and the load failed with MemoryError or went on for minutes).
    """
    chunk = 1 << 24
    n = int(gigabytes * 2**30) // chunk
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (n * chunk // 8,)}
    )
    inner = _single_member_zip("sweep0_Vm.npy", header.getvalue(), n)
    return _with_member(folder, "bomb.vlab", "sweeps.npz", inner)


def huge_list_session(folder: Path, n: int = 10_000_000) -> Path:
    """sweeps.json metadata with a 10-million-element list (took 19 s to open)."""
    doc = json.loads(session_members(good_session(folder))["sweeps.json"])
    doc["metadata"] = {"notes": "LIST"}
    data = json.dumps(doc).encode().replace(b'"LIST"', b"[" + b"0," * (n - 1) + b"0]")
    return _with_member(folder, "huge-list.vlab", "sweeps.json", data)


def fifo(folder: Path, name: str) -> Path:
    """A named pipe nobody writes to (opening it blocked forever)."""
    path = Path(folder) / name
    os.mkfifo(path)
    return path


def nested_toml(folder: Path, name: str = "nested.toml", depth: int = 5000) -> Path:
    """A protocol with an array nested 5000 deep (RecursionError: 'simulation failed')."""
    path = Path(folder) / name
    path.write_text('name = "x"\nlevel = ' + "[" * depth + "]" * depth + "\n")
    return path


def nested_dotted_toml(folder: Path, name: str = "dotted.toml", depth: int = 5000) -> Path:
    path = Path(folder) / name
    path.write_text('name = "x"\na.' + "b." * depth + "c = 1\n")
    return path


def nested_settings(folder: Path, depth: int = 100_000) -> Path:
    """settings.json nested 100,000 deep (vlab did not start)."""
    path = Path(folder) / "settings.json"
    path.write_text("[" * depth + "]" * depth)
    return path
