"""Independent anchors for the gates: published rate equations and temperature scaling.

The rate functions are written here from the publications, not imported from vlab:

- Hodgkin & Huxley (1952) J Physiol 117:500-544, eqs. 12-13, 20-21, 23-24, with the
  resting potential at -65 mV (as NEURON's hh.mod), measured at 6.3 degC;
- Traub & Miles (1991) rates shifted by VT as in Pospischil et al. (2008) Biol Cybern
  99:427-441 eqs. 2-4, given at 36 degC; their M gate (eq. 5) with tau_max;
- temperature: every rate multiplied by Q10^((T - T0)/10) (HH 1952 p. 519: Q10 = 3);
  the M gate's tau divided by 2.3^((T - 36)/10) (Pospischil et al.'s IM_cortex).

Under an ideal voltage clamp each gate x relaxes exactly as
x(t) = x_inf + (x_0 - x_inf) exp(-t / tau), tau = 1 / (phi (alpha + beta)),
so vlab's recorded gates must follow that curve at every sample.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane


def _x_over_expm1(x: float, y: float) -> float:
    """x / (exp(x/y) - 1) with its limit y at x = 0."""
    return y if x == 0 else x / math.expm1(x / y)


def hh1952(v: float) -> dict[str, tuple[float, float]]:
    """(alpha, beta) in 1/ms of m, h, n at v mV, 6.3 degC (HH 1952, rest at -65 mV)."""
    return {
        "m": (0.1 * _x_over_expm1(-(v + 40.0), 10.0), 4.0 * math.exp(-(v + 65.0) / 18.0)),
        "h": (0.07 * math.exp(-(v + 65.0) / 20.0), 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))),
        "n": (0.01 * _x_over_expm1(-(v + 55.0), 10.0), 0.125 * math.exp(-(v + 65.0) / 80.0)),
    }


def traub_pospischil(v: float, vt: float = -56.2) -> dict[str, tuple[float, float]]:
    """(alpha, beta) in 1/ms of m, h, n at v mV, 36 degC (Pospischil et al. 2008 eqs. 2-4)."""
    u = v - vt
    return {
        "m": (0.32 * _x_over_expm1(-(u - 13.0), 4.0), 0.28 * _x_over_expm1(u - 40.0, 5.0)),
        "h": (0.128 * math.exp(-(u - 17.0) / 18.0), 4.0 / (1.0 + math.exp(-(u - 40.0) / 5.0))),
        "n": (0.032 * _x_over_expm1(-(u - 15.0), 5.0), 0.5 * math.exp(-(u - 10.0) / 40.0)),
    }


def m_gate_pospischil(v: float, tau_max: float = 608.0) -> tuple[float, float]:
    """(p_inf, tau_p in ms) of the M gate at v mV, 36 degC (Pospischil et al. 2008 eq. 5)."""
    p_inf = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    tau = tau_max / (3.3 * math.exp((v + 35.0) / 20.0) + math.exp(-(v + 35.0) / 20.0))
    return p_inf, tau


def ih_gate_kole(v: float) -> tuple[float, float]:
    """(alpha, beta) in 1/ms of the Ih gate at v mV: Kole, Hallermann & Stuart (2006) as
    in Hay et al. (2011) Ih.mod, which has no temperature factor."""
    return 0.00643 * _x_over_expm1(v + 154.9, 11.9), 0.193 * math.exp(v / 33.1)


def _relaxation(x0, x_inf, tau, t):
    return x_inf + (x0 - x_inf) * np.exp(-t / tau)


def _clamp_gates(cell: Cell, v_hold: float, v_step: float, dt_ms: float, n: int):
    mem = Membrane(cell)
    mem.reset(v0=v_hold * 1e-3)
    cmd = np.full(n + 1, v_step * 1e-3)
    out = mem.advance("voltage-clamp", cmd, dt_ms * 1e-3, ("m", "h", "n", "p", "q"))
    return np.arange(1, n + 1) * dt_ms, {k: v[0] for k, v in out.items()}


@pytest.mark.parametrize("temperature,phi", [(6.3, 1.0), (16.3, 3.0), (26.3, 9.0), (1.3, 3**-0.5)])
@pytest.mark.parametrize("v_hold,v_step", [(-65.0, -20.0), (-65.0, 10.0), (-40.0, -90.0)])
def test_hh_gates_relax_with_published_rates_and_q10(temperature, phi, v_hold, v_step):
    """Relation: HH 1952 rates, every gate's rate x Q10^((T - 6.3)/10), Q10 = 3; warmer is faster."""
    cell = Cell("squid")
    cell.set("temperature", temperature)
    t, gates = _clamp_gates(cell, v_hold, v_step, 0.02, 500)
    r0, r1 = hh1952(v_hold), hh1952(v_step)
    for g in ("m", "h", "n"):
        a0, b0 = r0[g]
        a1, b1 = r1[g]
        expected = _relaxation(a0 / (a0 + b0), a1 / (a1 + b1), 1.0 / (phi * (a1 + b1)), t)
        np.testing.assert_allclose(gates[g], expected, atol=1e-9, err_msg=g)


@pytest.mark.parametrize("temperature", [37.0, 26.0, 36.0])
@pytest.mark.parametrize("v_hold,v_step", [(-70.0, -30.0), (-70.0, 0.0), (-50.0, -90.0)])
def test_mammalian_gates_relax_with_published_rates_and_q10(temperature, v_hold, v_step):
    """Relation: Traub-Miles rates shifted by VT = -56.2 mV (Pospischil et al. 2008), x 3^((T-36)/10);
    M gate tau_max = 608 ms divided by 2.3^((T-36)/10): cooling slows every gate."""
    cell = Cell("mammalian")
    cell.set("temperature", temperature)
    phi = 3.0 ** ((temperature - 36.0) / 10.0)
    phi_m = 2.3 ** ((temperature - 36.0) / 10.0)
    t, gates = _clamp_gates(cell, v_hold, v_step, 0.02, 400)
    r0, r1 = traub_pospischil(v_hold), traub_pospischil(v_step)
    for g in ("m", "h", "n"):
        a0, b0 = r0[g]
        a1, b1 = r1[g]
        expected = _relaxation(a0 / (a0 + b0), a1 / (a1 + b1), 1.0 / (phi * (a1 + b1)), t)
        np.testing.assert_allclose(gates[g], expected, atol=1e-9, err_msg=g)
    # the slow M gate over a longer clamp (tau of order 100 ms)
    t, gates = _clamp_gates(cell, v_hold, v_step, 1.0, 400)
    p0, _ = m_gate_pospischil(v_hold)
    p_inf, tau = m_gate_pospischil(v_step)
    np.testing.assert_allclose(gates["p"], _relaxation(p0, p_inf, tau / phi_m, t), atol=1e-9)
    # Ih's gate: the cited rates carry no temperature factor
    a0, b0 = ih_gate_kole(v_hold)
    a1, b1 = ih_gate_kole(v_step)
    expected = _relaxation(a0 / (a0 + b0), a1 / (a1 + b1), 1.0 / (a1 + b1), t)
    np.testing.assert_allclose(gates["q"], expected, atol=1e-9)


def test_warming_speeds_the_m_gate():
    """Direction of the M gate's temperature dependence: at 26 degC its relaxation toward
    -30 mV is 2.3x slower than at 36 degC; the fraction still to go after 50 ms is larger."""
    left = {}
    for temperature in (26.0, 36.0):
        cell = Cell("mammalian")
        cell.set("temperature", temperature)
        t, gates = _clamp_gates(cell, -70.0, -30.0, 1.0, 50)
        p0, _ = m_gate_pospischil(-70.0)
        p_inf, _ = m_gate_pospischil(-30.0)
        left[temperature] = (p_inf - gates["p"][-1]) / (p_inf - p0)
    _, tau36 = m_gate_pospischil(-30.0)
    assert left[36.0] == pytest.approx(math.exp(-50.0 / tau36), rel=1e-6)
    assert left[26.0] == pytest.approx(math.exp(-50.0 / (tau36 * 2.3)), rel=1e-6)
    assert left[26.0] > left[36.0]
