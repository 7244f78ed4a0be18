"""The perfusion as the panel, the status bar and the experiment file show it.

Relations: the concentration at the membrane follows the perfusate with first-order
exchange, c(t) = c_end + (c_0 - c_end) e^(-t/tau) (tau 20 s for both sides of the squid
axon, ``resources/preparations/squid.toml``), so it never jumps; binding starts from none
and reaches c/(c + Kd) (Kd of TTX on the squid axon 5.1 nM, Catterall et al. 2005;
unbinding time 70.4 s, ``resources/drugs/ttx.toml``).
"""

from __future__ import annotations

import math

import pytest

from vlab.sim.drugs import Bath

TAU = 20.0  # s, squid bath and internal perfusion exchange
KD_TTX = 5.1e-6  # mol/m^3 (5.1 nM)


def test_nothing_is_bound_before_the_perfusate_reaches_the_membrane():
    bath = Bath("squid")
    c = 10e-6  # 10 nM TTX
    bath.apply("TTX", c)
    assert bath.occupancy() == {"TTX": {"Na": 0.0}}
    bath.advance(1000.0)  # exchange (20 s) and binding (70.4 s / (1 + c/Kd) = 24 s) done
    assert bath.concentrations()["TTX"] == pytest.approx(c, rel=1e-4)
    assert bath.occupancy()["TTX"]["Na"] == pytest.approx(c / (c + KD_TTX), rel=1e-4)


def test_washing_again_while_washing_out_keeps_the_side_the_drug_was_given_on():
    """4-AP acts from either side; given inside it must wash out inside, whatever the
    concentration left at the membrane (here below 1 mM)."""
    bath = Bath("squid")
    bath.apply("4-AP", 0.5, side="inside", equilibrated=True)  # 0.5 mM
    bath.apply("4-AP", 0.0)  # wash
    bath.advance(5.0)
    left = 0.5 * math.exp(-5.0 / TAU)
    assert bath.concentrations()["4-AP"] == pytest.approx(left, rel=1e-9)
    bath.apply("4-AP", 0.0)  # the student presses Wash again
    assert bath.sides()["4-AP"] == "inside"
    assert bath.concentrations()["4-AP"] == pytest.approx(left, rel=1e-9)


def test_an_experiment_file_keeps_the_drug_being_perfused():
    bath = Bath("squid")
    bath.apply("4-AP", 0.5, side="inside")
    bath.advance(5.0)
    again = Bath("squid")
    again.restore(bath.state())
    assert again.applied() == {"4-AP": 0.5}
    # a file written by an earlier vlab: the same keys
    saved = {"drugs": {"4-AP": {"side": "inside", "applied": 0.5, "current": 0.1}}}
    again.restore(saved)
    assert again.applied() == {"4-AP": 0.5}
    assert again.concentrations() == {"4-AP": 0.1}
