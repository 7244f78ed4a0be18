"""Independent anchors for the conductances vlab shows and records under every drug.

Relations (values from the cited publications, written here):

- pore block (Hill equation, n = 1): g = g_max (1 - c/(c + IC50)) x gates, with
  TTX IC50 3.6 nM (Schwarz, Ulbricht & Wagner 1973), TEA 0.4 mM (Hille 1967),
  4-AP 1 mM (Meves & Pichon 1977);
- use-dependent lidocaine: only unbound channels conduct, g_Na = g_Na,max (1 - b) m^3 h
  with b the bound fraction (guarded receptor, Hille 1977);
- pronase removes inactivation: g_Na = g_Na,max m^3 (h no longer matters; Armstrong,
  Bezanilla & Rojas 1973);
and in every case I = g (V - E): a drug changes the conductance, never the driving force.
"""

from __future__ import annotations

import numpy as np
import pytest

from vlab.sim.cell import Cell
from vlab.sim.drugs import load_drugs
from vlab.sim.engine import Membrane

PUBLISHED_IC50_MM = {"TTX": 3.6e-6, "TEA": 0.4, "4-AP": 1.0}


def _clamp(cell: Cell, n: int = 600):
    """Hold at -70 mV, step to 0 mV for 10 ms, back: every recorded variable."""
    mem = Membrane(cell)
    mem.reset(v0=-0.070)
    cmd = np.full(n + 1, -0.070)
    cmd[50:550] = 0.0
    out = mem.advance("voltage-clamp", cmd, 20e-6)
    return {k: v[0] for k, v in out.items()}


def _g_max(cell: Cell, name: str) -> float:
    return cell.values[name] * cell.values["area"]  # S


def test_every_drug_has_an_anchor_here():
    """A new drug must get its displayed-conductance relation tested in this file."""
    assert set(load_drugs()) == {*PUBLISHED_IC50_MM, "lidocaine", "pronase"}


@pytest.mark.parametrize("drug,target", [("TTX", "Na"), ("TEA", "K"), ("4-AP", "K")])
@pytest.mark.parametrize("fraction_of_ic50", [0.3, 1.0, 10.0])
def test_pore_blockers_scale_the_shown_conductance_by_the_hill_equation(
    drug, target, fraction_of_ic50
):
    ic50 = PUBLISHED_IC50_MM[drug]
    c = fraction_of_ic50 * ic50
    cell = Cell("squid")
    cell.set_drug(drug, c)
    d = _clamp(cell)
    unblocked = 1.0 - c / (c + ic50)
    if target == "Na":
        expected = _g_max(cell, "gNa") * unblocked * d["m"] ** 3 * d["h"]
        g, i, e = d["gNa"], d["INa"], 0.050
    else:
        expected = _g_max(cell, "gK") * unblocked * d["n"] ** 4
        g, i, e = d["gK"], d["IK"], -0.077
    np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(i, g * (d["Vm"] - e), rtol=1e-9, atol=1e-15)


def test_lidocaine_shown_sodium_conductance_counts_only_unbound_channels():
    """Relation: g_Na = g_Na,max (1 - bound) m^3 h, and I_Na = g_Na (V - E_Na)."""
    cell = Cell("squid")
    cell.set_drug("lidocaine", 1.0)  # 1 mM
    d = _clamp(cell)
    b = d["lido_bound"]
    assert b.max() > 0.2  # enough block that the relation is tested, not assumed
    expected = _g_max(cell, "gNa") * (1.0 - b) * d["m"] ** 3 * d["h"]
    np.testing.assert_allclose(d["gNa"], expected, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(d["INa"], d["gNa"] * (d["Vm"] - 0.050), rtol=1e-9, atol=1e-15)


def test_pronase_shown_sodium_conductance_ignores_inactivation():
    """Relation: with inactivation removed g_Na = g_Na,max m^3, whatever h is."""
    cell = Cell("squid")
    cell.set_drug("pronase", 1.0)  # 1 mg/ml, equilibrated: all channels modified
    d = _clamp(cell)
    assert d["h"].min() < 0.2  # h has inactivated, so ignoring it is visible
    np.testing.assert_allclose(d["gNa"], _g_max(cell, "gNa") * d["m"] ** 3, rtol=1e-9, atol=1e-15)
