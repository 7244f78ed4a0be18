"""The live recording's memory budget: compact sweeps, oldest un-kept repeats dropped first."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.recording import Recording, Sweep
from vlab.recording.budget import MemoryBudget, compact_sweep, keep_last_cycle, sweep_nbytes

N = 1000  # samples per channel


def _sweep(k: int, *, repeat: bool, kept: bool, cycle: int = 0, n_sweeps: int = 4) -> Sweep:
    vm = np.linspace(-0.07, 0.03, N)
    prov = {"repeat": repeat, "cycle": cycle, "run_id": "r1", "n_sweeps": n_sweeps}
    return Sweep(k, 1e-5, {"Vm": vm, "Im": vm * 1e-7}, provenance=prov, kept=kept)


def test_compact_sweep_halves_the_bytes_and_keeps_the_values_to_float32_precision():
    s = _sweep(0, repeat=False, kept=True)
    c = compact_sweep(s, kept=False)
    assert sweep_nbytes(s) == 2 * N * 8 and sweep_nbytes(c) == 2 * N * 4
    assert c["Vm"].dtype == np.float32 and not c.kept and s.kept
    # float32 has a 24-bit mantissa: relative error <= 2**-24
    assert np.allclose(c["Vm"], s["Vm"], rtol=2**-24, atol=0)
    assert c.provenance == s.provenance and c.index == s.index and c.dt == s.dt


def test_budget_drops_only_the_oldest_unkept_repeat_sweeps():
    per = 2 * N * 4  # one compact sweep
    budget = MemoryBudget(limit=10 * per)
    rec = Recording()
    single = [compact_sweep(_sweep(k, repeat=False, kept=True)) for k in range(3)]
    chosen = compact_sweep(_sweep(99, repeat=True, kept=True))  # a repeat sweep the student kept
    rec.extend(single)
    rec.append(chosen)
    for k in range(50):  # a long Repeat run
        rec.append(compact_sweep(_sweep(k, repeat=True, kept=False, cycle=k // 4)))
        budget.enforce(rec)
        assert budget.used <= budget.limit  # never over: there is always an un-kept repeat
        assert sum(sweep_nbytes(s) for s in rec) == budget.used
    assert len(rec) == 10 and budget.dropped == 44
    assert all(s in rec.sweeps for s in single) and chosen in rec.sweeps
    # what is left of the repeat run is its newest sweeps, in order
    assert [s.index for s in rec.sweeps if not s.kept] == list(range(44, 50))


def test_kept_sweeps_alone_over_the_budget_are_never_dropped_and_say_so():
    budget = MemoryBudget(limit=3 * 2 * N * 4)
    rec = Recording([compact_sweep(_sweep(k, repeat=True, kept=True)) for k in range(5)])
    assert budget.enforce(rec) == [] and len(rec) == 5 and budget.over


def test_a_budget_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        MemoryBudget(limit=0)


def test_stopping_a_repeat_keeps_its_newest_complete_cycle():
    rec = Recording([_sweep(k % 4, repeat=True, kept=False, cycle=k // 4) for k in range(10)])
    kept = keep_last_cycle(rec, "r1")  # cycles 0 and 1 complete, cycle 2 has 2 of 4 sweeps
    assert [s.provenance["cycle"] for s in kept] == [1, 1, 1, 1]
    assert [s.index for s in rec.sweeps if s.kept] == [0, 1, 2, 3]
    assert keep_last_cycle(rec, "another run") == []
