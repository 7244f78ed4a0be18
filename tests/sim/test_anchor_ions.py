"""Independent anchors for the ion relations vlab teaches: Nernst and Goldman-Hodgkin-Katz.

Expected values are worked here from the published equations with CODATA 2018 constants
(exact SI definitions), never taken from vlab:

- Nernst (1889): E = RT/(zF) ln([out]/[in]) for every ion and valence vlab knows
  (Na+ and K+ z = +1, Ca2+ z = +2, Cl- z = -1).
- Goldman (1943), Hodgkin & Katz (1949) J Physiol 108:37-77, eq. 13: for K+, Na+ and Cl-
  V = RT/F ln((P_K[K]o + P_Na[Na]o + P_Cl[Cl]i) / (P_K[K]i + P_Na[Na]i + P_Cl[Cl]o)),
  the anion's concentrations on the opposite sides to the cations'.
"""

from __future__ import annotations

import math

import pytest

from vlab.sim.cell import Cell
from vlab.sim.ions import ghk_voltage, nernst

# CODATA 2018: the SI defining constants, so R and F are exact products
N_A = 6.02214076e23  # 1/mol
K_B = 1.380649e-23  # J/K
E_CHARGE = 1.602176634e-19  # C
R_GAS = N_A * K_B  # 8.314462618... J/(mol K)
FARADAY = N_A * E_CHARGE  # 96485.33212... C/mol


def nernst_by_hand(z: int, c_out: float, c_in: float, t_celsius: float) -> float:
    """Nernst potential in volts, written from the textbook equation."""
    return R_GAS * (t_celsius + 273.15) / (z * FARADAY) * math.log(c_out / c_in)


@pytest.mark.parametrize(
    "ion,z,c_out,c_in",
    [
        ("Na", +1, 145.0, 15.0),
        ("K", +1, 5.0, 140.0),
        ("Ca", +2, 2.0, 1e-4),
        ("Cl", -1, 120.0, 7.0),
        ("Na", +1, 440.0, 55.2),
        ("K", +1, 16.35, 400.0),
        ("Cl", -1, 560.0, 60.0),
        ("Ca", +2, 10.0, 0.3),
    ],
)
@pytest.mark.parametrize("t_celsius", [6.3, 20.0, 37.0])
def test_nernst_equation_for_every_ion_and_valence(ion, z, c_out, c_in, t_celsius):
    """Relation: E = RT/(zF) ln(out/in), valence dividing, sign following z."""
    expected = nernst_by_hand(z, c_out, c_in, t_celsius)
    assert nernst(ion, c_out, c_in, t_celsius) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_nernst_worked_numbers_at_body_temperature():
    """Hand-worked values at 37 degC (RT/F = 26.73 mV): what a student checks on paper."""
    assert nernst("Ca", 2.0, 1e-4, 37.0) * 1e3 == pytest.approx(132.34, abs=0.01)  # 2 mM / 100 nM
    assert nernst("Cl", 120.0, 7.0, 37.0) * 1e3 == pytest.approx(-75.95, abs=0.01)
    assert nernst("K", 5.0, 140.0, 37.0) * 1e3 == pytest.approx(-89.06, abs=0.01)
    # a divalent ion moves half as much per decade as a monovalent one (30.8 vs 61.5 mV)
    per_decade_ca = nernst("Ca", 10.0, 1.0, 37.0) * 1e3
    assert per_decade_ca == pytest.approx(30.77, abs=0.01)


def test_cell_shows_nernst_potentials_of_its_solutions():
    """The potentials the cell uses and shows (not pinned) are Nernst of its concentrations."""
    cell = Cell("mammalian")
    t = cell.values["temperature"]
    shown = cell.nernst_potentials()
    for ion, z in (("Na", 1), ("K", 1), ("Cl", -1), ("Ca", 2)):
        c_out, c_in = cell.values[f"{ion}_out"], cell.values[f"{ion}_in"]
        expected = nernst_by_hand(z, c_out, c_in, t)
        assert shown[ion] == pytest.approx(expected, rel=1e-9), ion
    assert cell.reversal("Cl") == pytest.approx(nernst_by_hand(-1, 120.0, 7.0, 37.0), rel=1e-9)


def ghk_by_hand(t_celsius, p_k, p_na, p_cl, k_o, k_i, na_o, na_i, cl_o, cl_i) -> float:
    """Hodgkin & Katz (1949) eq. 13, volts."""
    num = p_k * k_o + p_na * na_o + p_cl * cl_i
    den = p_k * k_i + p_na * na_i + p_cl * cl_o
    return R_GAS * (t_celsius + 273.15) / FARADAY * math.log(num / den)


def test_ghk_voltage_equation_worked_by_hand_mammalian():
    """Relation: GHK with Cl- concentrations swapped. Mammalian solutions, 37 degC,
    P_K : P_Na : P_Cl = 1 : 0.05 : 0.45:
    (5 + 0.05*145 + 0.45*7) / (140 + 0.05*15 + 0.45*120) = 15.4 / 194.75 -> -67.81 mV."""
    conc = {"K_in": 140, "K_out": 5, "Na_in": 15, "Na_out": 145, "Cl_in": 7, "Cl_out": 120}
    v = ghk_voltage(conc, {"K": 1.0, "Na": 0.05, "Cl": 0.45}, 37.0)
    assert v == pytest.approx(ghk_by_hand(37.0, 1.0, 0.05, 0.45, 5, 140, 145, 15, 120, 7), rel=1e-9)
    assert v * 1e3 == pytest.approx(-67.81, abs=0.01)


def test_ghk_voltage_equation_worked_by_hand_squid():
    """Squid axoplasm and sea water at 6.3 degC, P_K : P_Na : P_Cl = 1 : 0.04 : 0.45
    (Hodgkin & Katz 1949): 60.95 / 654.208 -> -57.15 mV."""
    conc = {"K_in": 400, "K_out": 16.35, "Na_in": 55.2, "Na_out": 440, "Cl_in": 60, "Cl_out": 560}
    v = ghk_voltage(conc, {"K": 1.0, "Na": 0.04, "Cl": 0.45}, 6.3)
    expected = ghk_by_hand(6.3, 1.0, 0.04, 0.45, 16.35, 400, 440, 55.2, 560, 60)
    assert v == pytest.approx(expected, rel=1e-9)
    assert v * 1e3 == pytest.approx(-57.15, abs=0.01)


@pytest.mark.parametrize("ion,z", [("K", 1), ("Na", 1), ("Cl", -1)])
def test_ghk_with_one_permeant_ion_is_that_ions_nernst_potential(ion, z):
    """Relation: with a single permeant ion GHK reduces to Nernst, anion included."""
    conc = {"K_in": 140, "K_out": 5, "Na_in": 15, "Na_out": 145, "Cl_in": 7, "Cl_out": 120}
    v = ghk_voltage(conc, {ion: 1.0}, 37.0)
    expected = nernst_by_hand(z, conc[f"{ion}_out"], conc[f"{ion}_in"], 37.0)
    assert v == pytest.approx(expected, rel=1e-9)


def test_ghk_ignores_ions_with_zero_permeability_and_keeps_the_rest():
    """Ions listed with zero permeability drop out (their concentrations are not needed)."""
    conc = {"K_in": 140, "K_out": 5, "Cl_in": 7, "Cl_out": 120}
    v = ghk_voltage(conc, {"K": 1.0, "Na": 0.0, "Cl": 0.45}, 37.0)
    assert v == pytest.approx(ghk_by_hand(37.0, 1.0, 0.0, 0.45, 5, 140, 1, 1, 120, 7), rel=1e-9)


def test_ghk_works_at_small_concentrations():
    """The equation has no threshold: 0.5 mM outside against 140 mM inside is -150.6 mV."""
    v = ghk_voltage({"K_in": 140.0, "K_out": 0.5}, {"K": 1.0}, 37.0)
    assert v == pytest.approx(nernst_by_hand(1, 0.5, 140.0, 37.0), rel=1e-9)
    v = ghk_voltage({"K_in": 0.5, "K_out": 140.0}, {"K": 1.0}, 37.0)
    assert v == pytest.approx(nernst_by_hand(1, 140.0, 0.5, 37.0), rel=1e-9)


@pytest.mark.parametrize(
    "conc,perm,message",
    [
        (
            {"K_in": 140.0, "K_out": 5.0},
            {"K": 0.0},
            "the GHK estimate needs at least one permeant ion on both sides",
        ),
        (
            {"K_in": 140.0, "K_out": 0.0},
            {"K": 1.0},
            "the GHK estimate needs at least one permeant ion on both sides",
        ),
        (
            {"K_in": 0.0, "K_out": 5.0},
            {"K": 1.0},
            "the GHK estimate needs at least one permeant ion on both sides",
        ),
        (
            {"Ca_in": 1e-4, "Ca_out": 2.0},
            {"Ca": 1.0},
            "the GHK voltage equation here covers monovalent ions only, not Ca",
        ),
    ],
)
def test_ghk_refuses_what_it_cannot_compute_with_one_plain_message(conc, perm, message):
    with pytest.raises(ValueError) as err:
        ghk_voltage(conc, perm, 37.0)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "c_out,c_in,message",
    [
        (0.0, 140.0, "K_out = 0 mM is impossible: a concentration must be above 0 mM"),
        (5.0, -1.0, "K_in = -1 mM is impossible: a concentration must be above 0 mM"),
        (float("nan"), 140.0, "K_out must be a number of mM, not nan"),
        (5.0, "140", "K_in must be a number of mM, not '140'"),
        (
            5000.5,
            140.0,
            "K_out = 5000.5 mM is far beyond any physiological solution (at most 5000 mM)",
        ),
    ],
)
def test_nernst_refuses_impossible_concentrations_with_one_plain_message(c_out, c_in, message):
    with pytest.raises(ValueError) as err:
        nernst("K", c_out, c_in, 37.0)
    assert str(err.value) == message


def test_concentration_and_temperature_limits_are_inclusive():
    """The documented ranges: up to 5000 mM, -5 to 50 degC, both ends allowed."""
    assert nernst("K", 5000.0, 140.0, 37.0) == pytest.approx(
        nernst_by_hand(1, 5000.0, 140.0, 37.0), rel=1e-9
    )
    for t in (-5.0, 50.0):
        assert nernst("K", 5.0, 140.0, t) == pytest.approx(
            nernst_by_hand(1, 5.0, 140.0, t), rel=1e-9
        )


@pytest.mark.parametrize(
    "t,message",
    [
        (
            -5.5,
            "temperature -5.5 degC is outside what a living membrane tolerates (allowed: -5 to 50 degC)",
        ),
        (
            50.5,
            "temperature 50.5 degC is outside what a living membrane tolerates (allowed: -5 to 50 degC)",
        ),
        (float("nan"), "temperature must be a number of degC, not nan"),
        ("warm", "temperature must be a number of degC, not 'warm'"),
    ],
)
def test_temperatures_no_membrane_survives_are_refused_with_one_plain_message(t, message):
    with pytest.raises(ValueError) as err:
        nernst("K", 5.0, 140.0, t)
    assert str(err.value) == message
