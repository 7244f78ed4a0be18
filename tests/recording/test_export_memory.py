"""Saving, exporting and reopening a large recording stream its sweeps: memory beyond the
data does not grow with the number of sweeps.

A writer that builds one table of every sweep (a float64 upcast, ``np.vstack``, a list of
per-sweep products) or a reader that holds the whole file's bytes beside the arrays needs
at least one more copy of the data at its peak, and on a long session that transient
memory stays resident inside malloc's heaps (docs/reliability.md, monkey run). Measured
with ``tracemalloc`` (numpy reports its buffers to it): the peak for 2N sweeps minus the
peak for N sweeps is compared with the data the N extra sweeps add. One extra copy would
make the difference at least that data; the bound allows a quarter of it (half for the
reader, which must of course hold the arrays it returns: one copy, bound 1.25x).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from vlab.recording import Recording, Sweep, load_session, save_session
from vlab.recording.budget import compact_sweep
from vlab.recording.export_abf import write_abf
from vlab.recording.export_atf import write_atf


def _sweeps(count: int, samples: int) -> list[Sweep]:
    """``count`` voltage-clamp sweeps stored as the rig stores them (float32)."""
    rng = np.random.default_rng(7)
    return [
        compact_sweep(
            Sweep(
                k,
                2e-5,
                {
                    "Vm": -0.065 + 1e-3 * rng.standard_normal(samples),
                    "Im": 1e-9 * rng.standard_normal(samples),
                    "command": np.full(samples, -0.07 + 0.01 * k),
                },
                provenance={"mode": "voltage_clamp", "repeat": True},
            )
        )
        for k in range(count)
    ]


def _nbytes(sweeps: list[Sweep]) -> int:
    return sum(a.nbytes for s in sweeps for a in s.channels.values())


def _peak(action: Callable[[], object]) -> int:
    """Largest traced allocation (bytes) while ``action`` runs."""
    return _traced(action)[1]


def _traced(action: Callable[[], object]) -> tuple[int, int]:
    """(bytes traced at the end, with ``action``'s result alive; the peak while it ran)."""
    tracemalloc.start()
    try:
        result = action()
        current, peak = tracemalloc.get_traced_memory()
        del result
        return current, peak
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("writer", "samples"),
    [(write_abf, 5_000), (write_atf, 2_000)],  # ATF formats every value as text: fewer
    ids=["abf", "atf"],
)
def test_export_memory_does_not_grow_with_the_sweeps(tmp_path, writer, samples):
    small, large = _sweeps(40, samples), _sweeps(80, samples)
    added = _nbytes(large) - _nbytes(small)
    peaks = [_peak(lambda s=s: writer(s, tmp_path / "out")) for s in (small, large)]
    assert peaks[1] - peaks[0] < added / 4, (peaks, added)


def test_reopening_holds_the_arrays_and_not_the_file_beside_them(tmp_path):
    small, large = _sweeps(40, 5_000), _sweeps(80, 5_000)
    paths = [tmp_path / "small.vlab", tmp_path / "large.vlab"]
    for sweeps, path in zip((small, large), paths, strict=True):
        save_session(path, {}, Recording(sweeps))
    added = _nbytes(large) - _nbytes(small)
    held, peaks = zip(
        *(_traced(lambda p=p: load_session(p, progress=lambda f: None)) for p in paths),
        strict=True,
    )
    assert held[1] - held[0] > 0.9 * added  # the result holds the arrays: the measure works
    assert peaks[1] - peaks[0] < 1.25 * added, (peaks, added)


def test_atf_written_in_many_blocks_reads_back_in_pyabf(tmp_path, monkeypatch):
    """The streamed ATF writer, forced to format a few rows at a time (block edges inside
    every sweep), read by pyABF: every sample of every sweep and channel as given, in the
    file's units (mV, pA), to the text's precision."""
    import pyabf

    import vlab.recording.export_atf as export_atf

    monkeypatch.setattr(export_atf, "_CELLS", 70)  # 10 columns: 7 rows a block
    sweeps = _sweeps(3, 500)
    path = tmp_path / "blocks.atf"
    write_atf(sweeps, path)
    atf = pyabf.ATF(str(path))
    assert atf.sweepCount == 3
    scale = {"Vm": 1e3, "Im": 1e12, "command": 1e3}  # V -> mV, A -> pA
    for channel, name in enumerate(["Vm", "Im", "command"]):
        for k, sweep in enumerate(sweeps):
            atf.setSweep(k, channel=channel)
            expected = np.asarray(sweep.channels[name], dtype=float) * scale[name]
            assert atf.sweepY.size == expected.size
            np.testing.assert_allclose(atf.sweepY, expected, rtol=1e-5, atol=1e-6)
