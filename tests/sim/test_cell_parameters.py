"""Membrane parameters as a student types them (CLI ``--set``, the parameter listing).

Expected values are unit conversions worked by hand (1 mS/cm2 = 10 S/m2, 1 uF/cm2 =
0.01 F/m2) and the documented limit of a reversal potential: +/-200 mV, "the +/-200 mV of
any living cell" (docs/reliability.md), both ends allowed.
"""

from __future__ import annotations

import pytest

from vlab.sim.cell import Cell, ParameterError

CONDUCTANCES = ["gNa", "gK", "gM", "gL", "gCl", "gH"]


@pytest.mark.parametrize("name", CONDUCTANCES)
def test_every_conductance_is_read_and_listed_in_ms_per_cm2(name):
    cell = Cell("mammalian")
    cell.set(name, "0.5 mS/cm2")
    assert cell.get(name) == pytest.approx(5.0, rel=1e-12)  # S/m^2
    row = {n: shown for n, shown, _ in cell.parameter_table()}[name]
    assert row == "0.5 mS/cm2"


@pytest.mark.parametrize("name", ["E_L", "E_Na", "E_K", "E_Cl"])
def test_a_reversal_potential_is_allowed_up_to_200_mv_either_way(name):
    cell = Cell("squid")
    for mv in (-200, 200):
        cell.set(name, f"{mv} mV")
        assert cell.get(name) == pytest.approx(mv * 1e-3, abs=1e-12)
    for mv in (-201, 201):
        with pytest.raises(ParameterError, match=f"^{name} = {mv} mV is outside the allowed range"):
            cell.set(name, f"{mv} mV")


def test_a_number_parameter_given_words_is_refused_in_one_line():
    with pytest.raises(ParameterError) as err:
        Cell("squid").set("q10", "three")
    assert str(err.value) == "q10: 'three' is not a number"
