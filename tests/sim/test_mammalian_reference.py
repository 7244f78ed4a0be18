"""The cortical cell against an independent implementation of its published equations
(tests/sim/reference_pospischil.py: Pospischil et al. 2008 written out and integrated by
scipy), with and without the Ih (Kole et al. 2006; Hay et al. 2011) that vlab adds."""

from __future__ import annotations

import numpy as np
import pytest
import reference_pospischil as ref

from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane, plausibility_note

DT = 25e-6


def _vlab(amps, duration):
    cell = Cell("mammalian")
    mem = Membrane(cell, len(amps))
    n = round(duration / DT)
    out = mem.advance("current-clamp", np.repeat(np.asarray(amps)[:, None], n + 1, 1), DT, ("Vm",))
    return out["Vm"]


def test_rheobase_and_f_i_agree_with_the_published_model_despite_ih():
    amps = np.array([45, 50, 200]) * 1e-12  # rheobase lies between 45 and 50 pA
    v = _vlab(amps, 0.5)
    counts = np.sum((v[:, :-1] < 0) & (v[:, 1:] >= 0), axis=1)
    expected = [ref.spike_count(a) for a in amps]  # Pospischil et al. without Ih
    assert expected[0] == 0 and expected[1] >= 1
    np.testing.assert_array_equal(counts, expected)


def test_hyperpolarising_current_is_held_by_ih_with_a_sag():
    """-0.59 nA drove the cell without Ih to -308 mV; with Ih it sags back and settles at
    the steady state of the reference equations with Ih."""
    v = _vlab([-0.59e-9], 1.0)[0]
    i = -0.59e-9 / ref.AREA_CM2 * 1e6
    v_ss = ref.resting_state(i, gh=0.2, bracket=(-150, -70))[0] * 1e-3
    assert v[-1] == pytest.approx(v_ss, abs=0.5e-3)
    assert v.min() < v[-1] - 0.010  # a sag of more than 10 mV
    assert v.min() > -0.150 and plausibility_note(v) is None


def test_large_hyperpolarisation_runs_and_is_annotated():
    v = _vlab([-1.2e-9], 0.5)[0]  # diverged before Ih
    i = -1.2e-9 / ref.AREA_CM2 * 1e6
    v_ss = ref.resting_state(i, gh=0.2, bracket=(-250, -70))[0] * 1e-3
    assert v[-1] == pytest.approx(v_ss, abs=0.5e-3)
    note = plausibility_note(v)
    assert note is not None and "below -150 mV" in note
