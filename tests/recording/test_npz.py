"""NPZ export: SI arrays, JSON metadata, no pickles, exact round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from recording_factory import assert_sweeps_equal

from vlab.recording import ReadError, read_npz, write_npz


@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_is_exact(tmp_path, recording, compress):
    path = tmp_path / "rec.npz"
    write_npz(recording, path, {"student": "Ada", "area_cm2": 1e-4}, compress=compress)
    meta, sweeps = read_npz(path)
    assert meta == {"student": "Ada", "area_cm2": 1e-4}
    for a, b in zip(recording, sweeps, strict=True):
        assert_sweeps_equal(a, b)


def test_plain_numpy_can_read_it(tmp_path, ic_sweeps):
    path = tmp_path / "rec.npz"
    write_npz(ic_sweeps, path)
    with np.load(path, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["sweep1_Vm"], ic_sweeps[1]["Vm"])
        doc = json.loads(str(npz["vlab_meta_json"]))
    assert doc["format"] == "vlab-npz"
    assert doc["sweeps"][1]["dt"] == ic_sweeps[1].dt
    assert doc["metadata"]["preparation"] == "squid giant axon"  # derived from provenance


def test_foreign_npz_and_garbage_are_read_errors(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, x=np.arange(3))
    with pytest.raises(ReadError, match="not a vlab NPZ"):
        read_npz(other)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ReadError, match="junk.npz"):
        read_npz(junk)
    arr = tmp_path / "arr.npy"
    np.save(arr, np.arange(3))
    with pytest.raises(ReadError, match="single NumPy array"):
        read_npz(arr)
