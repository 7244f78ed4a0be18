"""NWB export via pynwb's icephys API; read back with NWBHDF5IO, checked by nwbinspector."""

from __future__ import annotations

import json
import warnings

import numpy as np
import nwbinspector
import pynwb
import pytest
from recording_factory import make_sweep

from vlab.recording import ExportError, Recording, summary_metadata, write_nwb


@pytest.fixture(scope="module")
def nwb_export(tmp_path_factory):
    """One file for the whole module: IC, VC and I=0 sweeps from three runs."""
    sweeps = [make_sweep(i, "IC") for i in range(2)]
    sweeps += [make_sweep(i, "VC", run_id="run-2", label="TTX") for i in range(2)]
    sweeps.append(make_sweep(0, "I=0", run_id="run-3", extra=False))
    rec = Recording(sweeps, {"student": "Ada"})
    meta = summary_metadata(rec, {"experimenter": "Lovelace, Ada", "institution": "vlab school"})
    path = tmp_path_factory.mktemp("nwb") / "experiment.nwb"
    write_nwb(rec, path, meta)
    return path, sweeps, meta


def test_nwbinspector_finds_nothing_serious(nwb_export):
    path, _, _ = nwb_export
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas/hdmf deprecations inside the inspector itself
        messages = list(
            nwbinspector.inspect_nwbfile(
                nwbfile_path=str(path), config=nwbinspector.load_config("dandi")
            )
        )
    serious = [m for m in messages if m.importance.name != "BEST_PRACTICE_SUGGESTION"]
    assert not serious, [(m.importance.name, m.check_function_name, m.message) for m in serious]


def test_datasets_are_compressed_losslessly(nwb_export):
    import h5py

    path, sweeps, _ = nwb_export
    with h5py.File(path, "r") as h5:
        data = h5["acquisition/sweep000_Vm/data"]
        assert data.compression == "gzip" and data.shuffle
        np.testing.assert_array_equal(data[()], sweeps[0]["Vm"])
        stored = sum(h5[f"acquisition/{k}/data"].id.get_storage_size() for k in h5["acquisition"])
        raw = sum(h5[f"acquisition/{k}/data"].nbytes for k in h5["acquisition"])
    assert stored < 0.9 * raw


@pytest.mark.filterwarnings("error::UserWarning")
def test_writing_warns_about_nothing(tmp_path):
    write_nwb([make_sweep(0, "IC"), make_sweep(1, "I=0")], tmp_path / "quiet.nwb")


def test_read_back_with_pynwb(nwb_export):
    from pynwb.icephys import (
        CurrentClampSeries,
        CurrentClampStimulusSeries,
        IZeroClampSeries,
        VoltageClampSeries,
        VoltageClampStimulusSeries,
    )

    path, sweeps, meta = nwb_export
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert nwb.session_start_time.tzinfo is not None
        # created 14:05:00+01:00 for every sweep, t0 = index s -> origin = created - t0(max)
        assert nwb.session_start_time.isoformat() == "2025-03-01T14:04:59+01:00"
        assert "vlab simulated amplifier" in nwb.devices
        assert json.loads(nwb.notes) == meta
        assert nwb.protocol.startswith("[protocol]")
        assert nwb.subject.subject_id == nwb.icephys_electrodes["electrode"].cell_id

        ic = nwb.acquisition["sweep000_Vm"]
        assert isinstance(ic, CurrentClampSeries) and ic.unit == "volts"
        np.testing.assert_array_equal(ic.data[:], sweeps[0]["Vm"])
        assert ic.rate == pytest.approx(1 / sweeps[0].dt)
        assert ic.starting_time == sweeps[0].t0
        assert ic.sweep_number == 0
        neo_keys = {"block": "current steps (run-1)", "segment": "sweep000"}  # neo's NWBIO
        assert json.loads(ic.comments) == {**sweeps[0].provenance, **neo_keys}
        stim = nwb.stimulus["sweep000_command"]
        assert isinstance(stim, CurrentClampStimulusSeries) and stim.unit == "amperes"
        np.testing.assert_array_equal(stim.data[:], sweeps[0]["command"])

        vc = nwb.acquisition["sweep002_Im"]
        assert isinstance(vc, VoltageClampSeries) and vc.unit == "amperes"
        np.testing.assert_array_equal(vc.data[:], sweeps[2]["Im"])
        assert isinstance(nwb.stimulus["sweep002_command"], VoltageClampStimulusSeries)
        np.testing.assert_array_equal(nwb.acquisition["sweep002_Vm"].data[:], sweeps[2]["Vm"])

        izero = nwb.acquisition["sweep004_Vm"]
        assert isinstance(izero, IZeroClampSeries)
        assert "sweep004_command" not in nwb.stimulus

        model = nwb.processing["icephys"]
        ina = model["sweep000_INa"]
        assert ina.unit == "amperes"
        np.testing.assert_array_equal(ina.data[:], sweeps[0]["INa"])
        assert model["sweep000_gNa"].unit == "siemens"
        assert model["sweep000_m"].unit == "dimensionless"

        assert len(nwb.intracellular_recordings) == len(sweeps)
        assert len(nwb.icephys_simultaneous_recordings) == len(sweeps)
        seq = nwb.icephys_sequential_recordings
        assert list(seq["stimulus_type"][:]) == ["current steps", "IV family", "current steps"]


def test_missing_primary_channel_is_an_export_error(tmp_path):
    s = make_sweep(0, "VC", extra=False)
    s.channels.pop("Im")
    with pytest.raises(ExportError, match="no Im channel"):
        write_nwb([s], tmp_path / "x.nwb")
    assert list(tmp_path.iterdir()) == []
