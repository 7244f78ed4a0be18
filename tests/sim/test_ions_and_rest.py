"""Pinned reversal potentials released the right way; rest as a stable fixed point;
the GHK estimate counts only ions the membrane conducts.

Expected numbers: the Nernst equation written out here with CODATA constants, the
Hopf bifurcation of the HH membrane (Rinzel & Miller 1980), firing or not in a run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane

R, F = 8.314462618, 96485.33212


def _rt_f(t_c):
    return R * (t_c + 273.15) / F


@pytest.mark.parametrize(
    "prep,temp,name,new,ion,pinned,sign",
    [
        ("squid_axon", 18.5, "K_out", 17.0, "K", -0.077, +1),  # the case
        ("squid_axon", 18.5, "K_in", 380.0, "K", -0.077, -1),
        ("squid", 6.3, "Na_out", 400.0, "Na", 0.050, +1),
        ("squid", 30.0, "K_out", 20.0, "K", -0.077, +1),  # any temperature
    ],
)
def test_releasing_a_pin_moves_e_by_the_nernst_change_from_the_pinned_value(
    prep, temp, name, new, ion, pinned, sign
):
    cell = Cell(prep)
    cell.set("temperature", f"{temp} degC")
    old = cell.values[name]
    assert cell.reversal(ion) == pinned
    rest_before = cell.rest().v
    cell.set(name, f"{new} mM")
    assert not cell.is_pinned(ion)
    expected = pinned + sign * _rt_f(temp) * math.log(new / old)
    assert cell.reversal(ion) == pytest.approx(expected, abs=1e-9)
    if name == "K_out":  # raised external K+ depolarises, never hyperpolarises
        assert cell.reversal(ion) > pinned and cell.rest().v > rest_before


def test_hh_membrane_loses_its_stable_rest_at_the_published_hopf_current():
    """Rinzel & Miller (1980) Math Biosci 49:27-59: the HH membrane at 6.3 degC has a Hopf
    bifurcation at I = 9.78 uA/cm2 (stable rest below, none above)."""
    cell = Cell("squid")
    assert cell.rest(9.7e-2).stable
    assert not cell.rest(9.9e-2).stable
    assert cell.rest().v == pytest.approx(-0.065, abs=1e-4)  # NEURON's hh rests at -65 mV


def _spikes(v):
    return int(np.sum((v[:-1] < 0) & (v[1:] >= 0)))


def test_cortical_cell_in_12_mM_k_reports_and_shows_spontaneous_firing():
    cell = Cell("mammalian")
    cell.set("K_out", "12 mM")
    rest = cell.rest()
    assert not rest.stable and rest.fires_spontaneously
    assert "fires spontaneously" in rest.describe()
    v = Membrane(cell).advance("current-clamp", np.zeros(40001), 25e-6, ("Vm",))["Vm"][0]
    assert _spikes(v) >= 2  # a run from that state fires on its own
    normal = Cell("mammalian")
    assert normal.rest().stable
    v = Membrane(normal).advance("current-clamp", np.zeros(40001), 25e-6, ("Vm",))["Vm"][0]
    assert _spikes(v) == 0


def test_ghk_estimate_leaves_out_chloride_while_gcl_is_zero():
    cell = Cell("squid")  # P_K : P_Na : P_Cl = 1 : 0.04 : 0.45 (Hodgkin & Katz 1949)
    v = cell.values
    k_na = _rt_f(v["temperature"]) * math.log(
        (v["K_out"] + 0.04 * v["Na_out"]) / (v["K_in"] + 0.04 * v["Na_in"])
    )
    assert cell.ghk_estimate() == pytest.approx(k_na, abs=1e-12)
    cell.set("Cl_out", "100 mM")  # moves nothing while no Cl- channel is open
    assert cell.ghk_estimate() == pytest.approx(k_na, abs=1e-12)
    cell.set("gCl", "1 mS/cm2")
    with_cl = _rt_f(v["temperature"]) * math.log(
        (v["K_out"] + 0.04 * v["Na_out"] + 0.45 * v["Cl_in"])
        / (v["K_in"] + 0.04 * v["Na_in"] + 0.45 * v["Cl_out"])
    )
    assert cell.ghk_estimate() == pytest.approx(with_cl, abs=1e-12)


def test_a_passive_membrane_rests_at_e_l_and_relaxes_with_tau_cm_over_gl():
    """Leak only: C dV/dt = -gL (V - E_L), so rest is E_L and the Jacobian's voltage
    eigenvalue is -gL/Cm (here 1 mS/cm2 / 2 uF/cm2 = 500/s); the gates, carrying no
    current, add only their own relaxation rates."""
    cell = Cell("squid")
    for name in ("gNa", "gK", "gM", "gH", "gCl"):
        cell.set(name, 0.0)
    cell.set("gL", "1 mS/cm2")
    cell.set("Cm", "2 uF/cm2")
    rest = cell.rest()
    assert rest.stable and rest.v == pytest.approx(cell.get("E_L"), abs=1e-9)
    closest = rest.eigenvalues[np.argmin(np.abs(rest.eigenvalues + 500.0))]
    assert closest == pytest.approx(-500.0, rel=1e-6)


def test_a_preparation_file_listing_a_permeant_ion_no_channel_carries_leaves_it_out(tmp_path):
    """A teacher's preparation with a Ca2+ permeability but no Ca2+ conductance: the GHK
    estimate is Hodgkin & Katz's K+/Na+ expression (Cl- also has no open channel)."""
    from vlab.resources import resource_path

    text = resource_path("preparations", "squid.toml").read_text(encoding="utf-8")
    text = text.replace(
        'Cl_out = "560 mM"', 'Cl_out = "560 mM"\nCa_in = "0.0001 mM"\nCa_out = "10 mM"'
    )
    text = text.replace("Cl = 0.45", "Cl = 0.45\nCa = 0.1")
    path = tmp_path / "squid_with_calcium.toml"
    path.write_text(text, encoding="utf-8")
    cell = Cell(str(path))
    assert "Ca" not in cell.ghk_permeabilities()
    v = cell.values
    k_na = _rt_f(v["temperature"]) * math.log(
        (v["K_out"] + 0.04 * v["Na_out"]) / (v["K_in"] + 0.04 * v["Na_in"])
    )
    assert cell.ghk_estimate() == pytest.approx(k_na, abs=1e-12)
