"""NWB as an archive: neo reads it sweep by sweep, the drug/solution conditions table (a
mystery drug unnamed), the amplifier's gain and filter, and sweep start times that follow
the protocol's start_to_start; nwbinspector (DANDI) finds nothing above suggestions."""

from __future__ import annotations

import warnings

import neo
import numpy as np
import nwbinspector
import pynwb
import pytest

from vlab.protocols import load_protocol
from vlab.recording import write_nwb
from vlab.rig.rig import Rig
from vlab.rig.simulator import RigSimulator

N_SWEEPS = 3


def _record(rig: Rig, sweeps: int = N_SWEEPS):
    protocol = load_protocol("vc_step_family")
    from dataclasses import replace

    protocol = replace(protocol, sweeps=sweeps)
    return protocol, [b.record for b in RigSimulator(rig).run_episode(protocol) if b.record]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Control and TTX runs of vc_step_family through the rig at gain 2, 5 kHz filter."""
    rig = Rig("squid")
    rig.set_gain(2)
    rig.set_filter(5000.0)
    protocol, control = _record(rig)
    rig.apply_drug("TTX", 1e-4, equilibrated=True)
    rig.sync_drugs_to_cell()
    _, ttx = _record(rig)
    sweeps = control + ttx
    path = tmp_path_factory.mktemp("archive") / "archive.nwb"
    write_nwb(sweeps, path)
    return path, sweeps, protocol


def test_sweeps_start_start_to_start_apart_as_the_protocol_asks(archive):
    path, sweeps, protocol = archive
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        starts = [nwb.acquisition[f"sweep{k:03d}_Im"].starting_time for k in range(N_SWEEPS)]
    assert np.diff(starts) == pytest.approx([protocol.start_to_start] * (N_SWEEPS - 1), abs=1e-9)


def test_conditions_table_names_drugs_and_solution(archive):
    path, sweeps, _ = archive
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        conditions = nwb.icephys_experimental_conditions
        drugs, solution = conditions["drugs"].data[:], conditions["solution"].data[:]
        assert len(drugs) == 2 and drugs[0] == "none"
        assert drugs[1].startswith("TTX 100 nM")  # 1e-4 mM applied
        assert "Na_out" in solution[0] and "degC" in solution[0]
        # each condition: one repetition of one run (a sequential recording of 3 sweeps)
        assert len(nwb.icephys_repetitions) == len(nwb.icephys_sequential_recordings) == 2
        # ragged columns: their index holds each row's end in the target table
        seq_ends = nwb.icephys_sequential_recordings["simultaneous_recordings"].data[:]
        assert list(seq_ends) == [N_SWEEPS, 2 * N_SWEEPS]
        assert list(conditions["repetitions"].data[:]) == [1, 2]


def test_gain_and_filter_of_the_amplifier(archive):
    path, _, _ = archive
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        # voltage clamp: V at the Im output per A of current = gain x 1 V/uA (the headstage)
        assert nwb.acquisition["sweep000_Im"].gain == pytest.approx(2 * 1e6)
        filtering = nwb.icephys_electrodes["electrode"].filtering
        assert "Bessel" in filtering and "5 kHz" in filtering


def test_neo_reads_one_segment_per_sweep(archive):
    path, sweeps, _ = archive
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hdmf namespace notices inside neo
        blocks = neo.io.NWBIO(str(path), mode="r").read_all_blocks()
    assert [len(b.segments) for b in blocks] == [N_SWEEPS, N_SWEEPS]
    for pos, (seg, sweep) in enumerate(
        zip([s for b in blocks for s in b.segments], sweeps, strict=True)
    ):
        signals = {sig.name: sig for sig in seg.analogsignals}
        im = signals[f"sweep{pos:03d}_Im"]
        assert im.units.dimensionality.string == "A"
        np.testing.assert_array_equal(np.asarray(im.magnitude[:, 0]), sweep["Im"])
        assert float(im.t_start.rescale("s").magnitude) == pytest.approx(sweep.t0)
        assert float(im.sampling_period.rescale("s").magnitude) == pytest.approx(sweep.dt)


def test_neo_cannot_read_text_array_fields(tmp_path):
    """Why vlab writes no ``keywords`` (and ``experimenter`` only when given): neo 0.14's
    NWBIO refuses any file with a text-array field (neo issue #1413), shown here on a
    minimal file made by pynwb alone; if neo starts reading it, vlab may write keywords."""
    import datetime as dt

    nwb = pynwb.NWBFile(
        session_description="minimal",
        identifier="x",
        session_start_time=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
        keywords=["a", "b"],
    )
    nwb.add_acquisition(pynwb.TimeSeries(name="v", data=np.zeros(10), unit="volts", rate=1e3))
    path = tmp_path / "keywords.nwb"
    with pynwb.NWBHDF5IO(str(path), "w") as w:
        w.write(nwb)
    with warnings.catch_warnings(), pytest.raises(ValueError, match="Invalid annotation"):
        warnings.simplefilter("ignore")
        neo.io.NWBIO(str(path), mode="r").read_all_blocks()


def test_nwbinspector_dandi_finds_nothing_above_suggestions(archive):
    path, _, _ = archive
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        messages = list(
            nwbinspector.inspect_nwbfile(
                nwbfile_path=str(path), config=nwbinspector.load_config("dandi")
            )
        )
    serious = [m for m in messages if m.importance.name != "BEST_PRACTICE_SUGGESTION"]
    assert not serious, [(m.importance.name, m.check_function_name, m.message) for m in serious]
