"""Rate functions, Nernst/GHK and the preparation data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.sim.cell import Cell, ParameterError
from vlab.sim.ions import ghk_voltage, nernst, thermal_voltage
from vlab.sim.kinetics import rates_hh1952, rates_traub, vtrap
from vlab.sim.preparation import list_preparations, load_preparation


@pytest.mark.parametrize("v_sing", [-40.0, -55.0])
def test_hh_rates_are_continuous_through_their_singularities(v_sing):
    """alpha_m (0/0 at -40 mV) and alpha_n (0/0 at -55 mV) take their exact limits."""
    idx = 0 if v_sing == -40.0 else 4
    exact = 1.0 if v_sing == -40.0 else 0.1  # 0.1*10 and 0.01*10
    at = rates_hh1952(v_sing)[idx]
    assert at == pytest.approx(exact, rel=1e-12)
    for eps in (1e-9, 1e-6, 1e-3):
        lo, hi = rates_hh1952(v_sing - eps)[idx], rates_hh1952(v_sing + eps)[idx]
        # first-order expansion of x/(exp(x/10)-1) around x = 0 is 10*(1 - x/20)
        assert lo == pytest.approx(exact * (1 - eps / 20), abs=1e-12 + 1e-3 * eps**2)
        assert hi == pytest.approx(exact * (1 + eps / 20), abs=1e-12 + 1e-3 * eps**2)
        assert math.isfinite(lo) and math.isfinite(hi)


def test_vtrap_matches_direct_formula_away_from_zero():
    for x in (-30.0, -1.0, 0.5, 7.0):
        assert vtrap(x, 10.0) == pytest.approx(x / (math.exp(x / 10.0) - 1.0), rel=1e-12)


def test_traub_rates_finite_everywhere():
    for v in np.linspace(-120, 60, 3601):
        assert all(math.isfinite(r) and r > 0 for r in rates_traub(v, -56.2))


def test_nernst_textbook_values():
    # 37 degC, K 5/140 mM -> about -89 mV; Na 145/15 -> about +61 mV; Cl 120/7 -> about -76 mV
    assert nernst("K", 5, 140, 37) * 1e3 == pytest.approx(-89.06, abs=0.05)
    assert nernst("Na", 145, 15, 37) * 1e3 == pytest.approx(60.63, abs=0.05)
    assert nernst("Cl", 120, 7, 37) * 1e3 == pytest.approx(-75.95, abs=0.05)
    # the 61.5 mV-per-decade rule at 37 degC
    assert thermal_voltage(37) * math.log(10) * 1e3 == pytest.approx(61.5, abs=0.1)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), 1e6])
def test_nernst_refuses_impossible_concentrations(bad):
    with pytest.raises(ValueError, match="K_out"):
        nernst("K", bad, 140, 37)


def test_ghk_lies_between_ek_and_ena_and_near_ek():
    conc = {"K_in": 140, "K_out": 5, "Na_in": 15, "Na_out": 145, "Cl_in": 7, "Cl_out": 120}
    v = ghk_voltage(conc, {"K": 1, "Na": 0.05, "Cl": 0.45}, 37)
    ek, ena = nernst("K", 5, 140, 37), nernst("Na", 145, 15, 37)
    assert ek < v < ena
    assert abs(v - ek) < abs(v - ena)


def test_preparations_listed_and_loadable():
    preps = list_preparations()
    assert {"squid", "mammalian"} <= set(preps)
    for name in preps:
        p = load_preparation(name)
        assert p.sources and p.description


def test_squid_defaults_reproduce_hh_values():
    cell = Cell("squid")
    r = cell.reversals()
    assert r["Na"] == pytest.approx(0.050) and r["K"] == pytest.approx(-0.077)
    assert r["L"] == pytest.approx(-0.0543, abs=1e-9)
    # the default concentrations agree with the pinned values to 0.1 mV
    nn = cell.nernst_potentials()
    assert nn["Na"] == pytest.approx(0.050, abs=1e-4) and nn["K"] == pytest.approx(-0.077, abs=1e-4)
    assert cell.is_pinned("K") and cell.is_pinned("Na") and not cell.is_pinned("Cl")


def test_mammalian_neuron_is_a_textbook_neuron():
    cell = Cell("mammalian")
    r = cell.reversals()
    assert r["K"] * 1e3 == pytest.approx(-90, abs=3)
    assert r["Na"] * 1e3 == pytest.approx(60, abs=3)
    rest = cell.resting_potential()
    assert -0.070 <= rest <= -0.065
    assert cell.values["temperature"] == 37


def test_changing_a_concentration_releases_the_pin_and_moves_e():
    cell = Cell("squid")
    cell.set("K_out", "20 mM")
    assert not cell.is_pinned("K")
    # from the pinned -77 mV by the Nernst change (RT/F) ln(20/16.35)
    rt_f = nernst("K", 2.718281828459045, 1.0, 6.3)
    assert cell.reversal("K") == pytest.approx(-0.077 + rt_f * math.log(20 / 16.35))
    assert cell.reversal("Na") == pytest.approx(0.050)  # Na stays pinned


def test_pinned_reversals_do_not_move_with_temperature_but_nernst_does():
    squid = Cell("squid")
    squid.set("temperature", "18.5 degC")
    assert squid.reversal("K") == pytest.approx(-0.077)
    mam = Cell("mammalian")
    ek37 = mam.reversal("K")
    mam.set("temperature", "27 degC")
    assert mam.reversal("K") == pytest.approx(ek37 * (300.15 / 310.15), rel=1e-9)


def test_q10_scales_rates_by_three_per_ten_degrees():
    cell = Cell("squid")
    assert cell.phi() == pytest.approx(1.0)
    cell.set("temperature", "16.3 degC")
    assert cell.phi() == pytest.approx(3.0)


def test_raised_external_potassium_depolarises_rest():
    cell = Cell("mammalian")
    v5 = cell.resting_potential()
    cell.set("K_out", "15 mM")
    v15 = cell.resting_potential()
    assert v15 - v5 > 0.010  # more than 10 mV depolarisation


@pytest.mark.parametrize(
    "name,value,msg",
    [
        ("gNa", "-5 mS/cm2", "outside the allowed range"),
        ("K_out", "0 mM", "outside the allowed range"),
        ("K_out", "20", "no unit"),
        ("gNa", "12 mV", "conductance"),
        ("temperature", "200 degC", "outside the allowed range"),
        ("gFoo", "1 mS/cm2", "valid names"),
        ("E_K", "nan mV", "cannot read"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(name, value, msg):
    with pytest.raises(ParameterError, match=msg):
        Cell("squid").set(name, value)
