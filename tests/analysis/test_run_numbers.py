"""Runs and sweeps keep their numbers when the memory budget drops the oldest sweeps."""

from __future__ import annotations

import numpy as np

from vlab.analysis.runs import group_runs
from vlab.recording import Sweep


def _cycle(c: int, n: int = 3) -> list[Sweep]:
    prov = {"run_id": "r1", "cycle": c, "repeat": True, "mode": "VC", "n_sweeps": n}
    return [
        Sweep(index=k, dt=1e-4, channels={"Im": np.zeros(4)}, provenance=dict(prov))
        for k in range(n)
    ]


def test_numbers_run_through_the_recording():
    runs = group_runs(_cycle(0) + _cycle(1))
    assert [r.number for r in runs] == [1, 2]
    assert runs[1].numbers == [4, 5, 6] and runs[1].first == 4


def test_dropping_the_oldest_sweeps_renumbers_nothing():
    a, b, c = _cycle(0), _cycle(1), _cycle(2)
    before = group_runs(a + b)
    after = group_runs(a[2:] + b + c, previous=before)  # two sweeps dropped, a cycle added
    assert [r.number for r in after] == [1, 2, 3]
    assert after[0].numbers == [3] and after[1].numbers == [4, 5, 6]
    assert after[2].numbers == [7, 8, 9]  # new sweeps continue after the highest
    later = group_runs(b[1:] + c, previous=after)
    assert [r.number for r in later] == [2, 3] and later[0].numbers == [5, 6]


def test_numbering_starts_again_once_every_numbered_sweep_is_gone():
    before = group_runs(_cycle(0))
    again = group_runs(_cycle(5), previous=before)  # e.g. after "Discard all sweeps"
    assert [r.number for r in again] == [1] and again[0].numbers == [1, 2, 3]
