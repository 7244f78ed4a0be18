"""Independent anchors for the conductances vlab shows and records under every drug.

Relations (potencies from the publications cited in ``resources/drugs``, written here):

- pore block at binding equilibrium, one toxin per channel: g = g_max (1 - c/(c + Kd)) x
  gates. TTX outside: squid 5.1 nM, cortical neuron 6 nM (Catterall et al. 2005), and
  nothing from inside (Narahashi, Anderson & Moore 1966); TEA on the squid axon from
  inside 0.4 mM and nothing from outside, on the cortical cell 5 mM outside, never the
  M current; 4-AP on the squid axon 1 mM from either side (Meves & Pichon 1977);
- lidocaine: only unbound channels conduct, g_Na = g_Na,max (1 - b) m^3 h with b the
  bound fraction (modulated receptor, Hille 1977);
- pronase removes inactivation: g_Na = g_Na,max m^3 (Armstrong, Bezanilla & Rojas 1973);
and in every case I = g (V - E): a drug changes the conductance, never the driving force.
"""

from __future__ import annotations

import numpy as np
import pytest

from vlab.sim.cell import Cell
from vlab.sim.drugs import load_drugs
from vlab.sim.engine import Membrane

NO_EFFECT = float("inf")
#: (drug, preparation, side) -> (target, Kd in mM) from the publications
PUBLISHED_KD_MM = {
    ("TTX", "squid", "outside"): ("Na", 5.1e-6),
    ("TTX", "mammalian", "outside"): ("Na", 6e-6),
    ("TTX", "squid", "inside"): ("Na", NO_EFFECT),
    ("TEA", "squid", "inside"): ("K", 0.4),
    ("TEA", "squid", "outside"): ("K", NO_EFFECT),
    ("TEA", "mammalian", "outside"): ("K", 5.0),
    ("4-AP", "squid", "inside"): ("K", 1.0),
    ("4-AP", "squid", "outside"): ("K", 1.0),
}


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
    pore_blockers = {drug for drug, _, _ in PUBLISHED_KD_MM}
    assert set(load_drugs()) == {*pore_blockers, "lidocaine", "pronase"}


@pytest.mark.parametrize("drug,prep,side", list(PUBLISHED_KD_MM))
@pytest.mark.parametrize("fraction_of_kd", [0.3, 1.0, 10.0])
def test_pore_blockers_scale_the_shown_conductance_by_their_occupancy(
    drug, prep, side, fraction_of_kd
):
    target, kd = PUBLISHED_KD_MM[(drug, prep, side)]
    # a side without effect is tried at the concentrations that block from the other side
    potent = min(k for (dr, pr, _), (_, k) in PUBLISHED_KD_MM.items() if (dr, pr) == (drug, prep))
    c = fraction_of_kd * potent
    cell = Cell(prep)
    e_na, e_k = cell.reversal("Na"), cell.reversal("K")
    cell.set_drug(drug, c, side)
    d = _clamp(cell)
    unblocked = 1.0 if kd == NO_EFFECT else 1.0 - c / (c + kd)
    if target == "Na":
        expected = _g_max(cell, "gNa") * unblocked * d["m"] ** 3 * d["h"]
        g, i, e = d["gNa"], d["INa"], e_na
    else:
        expected = _g_max(cell, "gK") * unblocked * d["n"] ** 4
        g, i, e = d["gK"], d["IK"], e_k
    np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(i, g * (d["Vm"] - e), rtol=1e-9, atol=1e-15)
    if prep == "mammalian":  # the M current keeps its full conductance under K+ blockers
        p = d["p"]
        np.testing.assert_allclose(d["gM"], _g_max(cell, "gM") * p, rtol=1e-9, atol=1e-18)


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


@pytest.mark.parametrize("drug,prep,side", list(PUBLISHED_KD_MM))
def test_the_fraction_blocked_shown_is_the_published_occupancy(drug, prep, side):
    """The perfusion panel's and the status bar's "% blocked" (and the sweep's provenance):
    c/(c + Kd) at equilibrium, 0 where the publications show no effect."""
    _, kd = PUBLISHED_KD_MM[(drug, prep, side)]
    c = 2.0 * min(k for (dr, pr, _), (_, k) in PUBLISHED_KD_MM.items() if (dr, pr) == (drug, prep))
    expected = 0.0 if kd == NO_EFFECT else c / (c + kd)
    cell = Cell(prep)
    cell.set_drug(drug, c, side)
    assert cell.fraction_blocked(drug) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_a_membrane_reset_under_lidocaine_starts_bound_at_rest_and_stays_there():
    """Modulated receptor at rest: the bound fraction solves db/dt = k_on c (1 - b) - k_off b
    = 0, so a cell reset at rest under lidocaine and held there keeps it (0 < b < 1)."""
    cell = Cell("squid")
    cell.set_drug("lidocaine", 1.0)  # 1 mM
    mem = Membrane(cell)
    mem.reset(v0=-0.065)
    b = mem.advance("voltage-clamp", np.full(501, -0.065), 20e-6)["lido_bound"][0]
    assert 0.0 < b[0] < 1.0
    np.testing.assert_allclose(b, b[0], rtol=1e-9)
