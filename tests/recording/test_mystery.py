"""A mystery practical's drugs are named in no file vlab writes, and reopening keeps them hidden.

Also: reopening a ``.vlab`` resumes the perfusion exactly (membrane concentration mid-wash,
binding, pronase damage).
"""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest

from vlab.protocols import load_protocol
from vlab.recording import Recording, Sweep, export_sweeps, load_session
from vlab.rig.provenance import sweep_provenance
from vlab.rig.rig import Rig

#: Every way a file could name (or identify) a drug: names, aliases and the pronase field.
TELLS = re.compile(
    rb"(?i)ttx|tetrodotoxin|pronase|\btea\b|tetraethyl|4-?ap|aminopyridine|lidocaine"
)


def _mystery_rig() -> Rig:
    rig = Rig("squid")
    rig.set_locked({"drug_names"})  # a mystery practical's step
    rig.apply_drug("TTX", 1e-4, equilibrated=True)
    rig.apply_drug("pronase", 1.0, equilibrated=True)
    rig.sync_drugs_to_cell()
    return rig


def _sweeps(rig: Rig) -> list[Sweep]:
    protocol = load_protocol("vc_step_family")
    prov = sweep_provenance(rig.cell, protocol, hide_drug_names=True)
    cmd = protocol.command()
    return [
        Sweep(
            index=k,
            dt=protocol.sample_interval,
            channels={"command": c, "Vm": c, "Im": 1e-9 * np.sin(np.arange(c.size) * 0.01)},
            t0=float(k),
            provenance=prov,
        )
        for k, c in enumerate(cmd[:3])
    ]


def _all_bytes(path) -> bytes:
    """The file's bytes, with zip members (npz, vlab) and HDF5 strings (nwb) opened up."""
    raw = path.read_bytes()
    if raw.startswith(b"PK"):
        with zipfile.ZipFile(path) as zf:
            parts = [zf.read(n) for n in zf.namelist()]
        for part in list(parts):
            if part.startswith(b"PK"):  # an npz inside the .vlab
                with zipfile.ZipFile(io.BytesIO(part)) as inner:
                    parts += [inner.read(n) for n in inner.namelist()]
        raw += b"".join(parts)
    if raw.startswith(b"\x89HDF"):
        import h5py

        texts: list[bytes] = []

        def visit(_name, obj):
            for value in obj.attrs.values():
                texts.append(str(value).encode())
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "OSU":
                texts.append(str(obj[()]).encode())

        with h5py.File(path, "r") as h5:
            h5.visititems(visit)
        raw += b"".join(texts)
    sidecar = path.with_name(path.name + "-metadata.json")
    if sidecar.exists():
        raw += sidecar.read_bytes()
    return raw


def test_the_provenance_names_no_drug_and_has_no_pronase_field():
    prov = sweep_provenance(
        _mystery_rig().cell, load_protocol("single_pulse"), hide_drug_names=True
    )
    assert set(prov["drugs"]) == {"unknown drug 1", "unknown drug 2"}
    assert "pronase_removed" not in prov
    assert not TELLS.search(repr(prov).encode())


@pytest.mark.parametrize("ext", ["csv", "npz", "nwb", "abf", "atf", "vlab"])
def test_no_exported_or_saved_file_names_the_drug(tmp_path, ext):
    rig = _mystery_rig()
    sweeps = _sweeps(rig)
    path = tmp_path / f"mystery.{ext}"
    options = {"state": rig.state_dict()} if ext == "vlab" else {}
    export_sweeps(Recording(sweeps), path, **options)
    found = TELLS.findall(_all_bytes(path))
    assert not found, found
    assert b"pronase_removed" not in _all_bytes(path)


def test_reopening_keeps_the_names_hidden_and_restores_the_perfusion(tmp_path):
    rig = _mystery_rig()
    rig.bath.apply("TTX", 0.0)  # start washing TTX out ...
    rig.bath.advance(5.0)  # ... 5 s into the wash (chamber tau 15 s: not gone yet)
    rig.sync_drugs_to_cell()
    at_membrane = rig.bath.concentrations()["TTX"]
    assert 0 < at_membrane < 1e-4
    path = tmp_path / "mystery.vlab"
    export_sweeps(Recording(_sweeps(rig)), path, state=rig.state_dict())
    state, recording = load_session(path)
    other = Rig("mammalian")
    other.load_state(state)
    assert "drug_names" in other.locked  # the perfusion panel keeps hiding them
    assert other.bath.concentrations()["TTX"] == pytest.approx(at_membrane, rel=1e-12)
    assert other.bath.applied() == {"pronase": pytest.approx(1.0)}
    assert other.bath.occupancy()["TTX"] == pytest.approx(rig.bath.occupancy()["TTX"])
    assert other.cell.pronase_removed == pytest.approx(rig.bath.pronase_removed) == 1.0
    assert len(recording) == 3


def test_an_open_rig_saves_drug_names_in_plain_text(tmp_path):
    """Outside a mystery step the file is readable (the hiding is not a side effect)."""
    rig = Rig("squid")
    rig.apply_drug("TTX", 1e-4, equilibrated=True)
    state = rig.state_dict()
    assert "TTX" in state["bath"]["drugs"] and "bath_hidden" not in state
    other = Rig("squid")
    other.load_state(state)
    assert "drug_names" not in other.locked
    assert other.bath.concentrations() == {"TTX": pytest.approx(1e-4)}
