"""Independent anchors for the membrane relations vlab shows in both clamp modes.

Each test names the relation it protects; expected values are worked from the relation
(Ohm's law for each conductance, Kirchhoff's current law, Q = C dV, Nernst with CODATA
constants), never from vlab's output:

- I_x = g_x (V - E_x) for every current, in voltage clamp and in current clamp;
  membrane current positive outward, so current below a reversal potential is inward
  (negative) and injected positive current depolarises;
- a passive membrane in current clamp settles at V = (sum g_x E_x + J) / sum g_x, which
  for chloride needs E_Cl with its own (negative) sign;
- the ideal voltage clamp's capacitive current carries Q = C dV, outward on depolarisation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane

N_A, K_B, E_CHARGE = 6.02214076e23, 1.380649e-23, 1.602176634e-19  # CODATA 2018
RT_F_37 = N_A * K_B * 310.15 / (N_A * E_CHARGE)  # V at 37 degC
E_CL_MAMMALIAN = -RT_F_37 * math.log(120.0 / 7.0)  # Cl- 120 out / 7 in: -75.95 mV
E_K_MAMMALIAN = RT_F_37 * math.log(5.0 / 140.0)  # -89.06 mV
E_NA_MAMMALIAN = RT_F_37 * math.log(145.0 / 15.0)  # +60.63 mV
E_H_MAMMALIAN = -0.045  # Ih reversal, Kole et al. (2006)
E_L_MAMMALIAN = -0.066  # the preparation's leak reversal (resources/preparations)
G_L_MAMMALIAN = 0.0205  # mS/cm2, Pospischil et al. (2008) regular-spiking cell

MS_CM2 = 10.0  # S/m2 per mS/cm2


def _passive_mammalian(g_cl_ms: float) -> Cell:
    cell = Cell("mammalian")
    for name in ("gNa", "gK", "gM", "gH"):
        cell.set(name, 0.0)
    cell.set("gCl", g_cl_ms * MS_CM2)
    return cell


def _settle_cc(cell: Cell, j_ua_cm2: float, ms: float) -> dict[str, np.ndarray]:
    """Current clamp from the preparation's start, ``j`` injected (uA/cm2) for ``ms``."""
    mem = Membrane(cell)
    mem.reset()
    area_cm2 = cell.values["area"] * 1e4
    n = int(ms / 0.05)
    cmd = np.full(n + 1, j_ua_cm2 * area_cm2 * 1e-6)
    return mem.advance("current-clamp", cmd, 50e-6)


@pytest.mark.parametrize("j", [0.0, 0.2, -0.3])
@pytest.mark.parametrize("g_cl", [0.0, 0.05, 1.0])
def test_passive_cell_settles_where_sum_g_v_minus_e_equals_injected_current(g_cl, j):
    """Relation: sum g_x (V - E_x) = J in steady state, i.e. V = (gL E_L + gCl E_Cl + J)/(gL + gCl).
    A positive injected current depolarises. Chloride enters with E_Cl = -75.95 mV.
    The slowest case (leak only) has tau = C/gL = 49 ms; 1 s is 20 time constants."""
    cell = _passive_mammalian(g_cl)
    out = _settle_cc(cell, j, ms=1000.0)
    v_end = out["Vm"][0, -1]
    g_tot = G_L_MAMMALIAN + g_cl  # mS/cm2
    expected = (G_L_MAMMALIAN * E_L_MAMMALIAN + g_cl * E_CL_MAMMALIAN + j * 1e-3) / g_tot
    assert v_end == pytest.approx(expected, abs=1e-6)
    # Kirchhoff: in steady state the ionic current equals the injected current (outward +)
    area_cm2 = cell.values["area"] * 1e4
    iion = out["Iion"][0, -1] / (area_cm2 * 1e-6)
    assert iion == pytest.approx(j, abs=1e-6)
    assert out["Im"][0, -1] / (area_cm2 * 1e-6) == pytest.approx(j, rel=1e-12, abs=1e-12)


def test_chloride_conductance_clamps_the_mammalian_cell_near_e_cl():
    """Relation: a dominant gCl (1 mS/cm2, 50x the leak) pulls rest to E_Cl (Nernst,
    -75.95 mV). The other conductances at rest are below 0.03 mS/cm2 with driving forces
    below 140 mV, so rest lies within 0.03 * 140 / 1 ~ 4 mV of E_Cl, on E_L's side."""
    cell = Cell("mammalian")
    cell.set("gCl", 1.0 * MS_CM2)
    v_end = _settle_cc(cell, 0.0, ms=100.0)["Vm"][0, -1]
    assert E_CL_MAMMALIAN < v_end < E_CL_MAMMALIAN + 0.004


@pytest.mark.parametrize("mode", ["voltage-clamp", "current-clamp"])
def test_every_current_is_its_conductance_times_driving_force(mode):
    """Relation: I_x = g_x (V - E_x) for INa, IK, IM (E_K), ICl and Ih (E_h = -45 mV, Kole
    et al. 2006), with Nernst reversal potentials of the mammalian solutions, in both clamp
    modes. Sign: inward negative."""
    cell = Cell("mammalian")
    cell.set("gCl", 0.05 * MS_CM2)
    mem = Membrane(cell)
    if mode == "voltage-clamp":
        mem.reset(v0=-0.070)
        cmd = np.concatenate([np.full(200, -0.100), np.full(200, -0.020), np.full(201, 0.030)])
    else:
        mem.reset()
        area = cell.values["area"]
        cmd = np.zeros(1201)
        cmd[100:140] = 0.2 * area  # 20 uA/cm2 (0.2 A/m2) for 2 ms: one action potential
    out = mem.advance(mode, cmd, 50e-6)
    v = out["Vm"][0]
    assert v.max() - v.min() > 0.1  # the relation is checked over 100 mV or more
    pairs = [
        ("INa", "gNa", E_NA_MAMMALIAN),
        ("IK", "gK", E_K_MAMMALIAN),
        ("IM", "gM", E_K_MAMMALIAN),
        ("ICl", "gCl", E_CL_MAMMALIAN),
    ]
    for cur, cond, e_rev in pairs:
        i, g = out[cur][0], out[cond][0]
        expected = g * (v - e_rev)
        scale = np.max(np.abs(expected))
        assert scale > 0, cur
        np.testing.assert_allclose(i, expected, rtol=1e-9, atol=1e-9 * scale, err_msg=cur)
        # below its reversal potential a current is inward (negative), above outward
        assert np.all(i[(v < e_rev - 1e-3) & (g > 0)] < 0), cur
        assert np.all(i[(v > e_rev + 1e-3) & (g > 0)] > 0), cur
    g_h = cell.values["gH"] * cell.values["area"] * out["q"][0]
    np.testing.assert_allclose(out["Ih"][0], g_h * (v - E_H_MAMMALIAN), rtol=1e-9, atol=1e-18)
    assert np.all(out["Ih"][0][v < E_H_MAMMALIAN - 1e-3] < 0)  # inward below -45 mV
    # the switchable chloride conductance is shown as set
    np.testing.assert_allclose(out["gCl"][0], 0.05 * MS_CM2 * cell.values["area"], rtol=1e-12)


def test_voltage_clamp_capacitive_transient_carries_q_equals_c_dv():
    """Relation: the capacitive part of the clamp current, Im - Iion, integrates to
    Q = Cm * area * dV; outward (positive) for a depolarising step, inward on return."""
    cell = Cell("squid")
    for name in ("gNa", "gK"):
        cell.set(name, 0.0)
    mem = Membrane(cell)
    mem.reset(v0=-0.065)
    dt = 20e-6
    cmd = np.concatenate([np.full(50, -0.065), np.full(100, -0.045), np.full(101, -0.065)])
    out = mem.advance("voltage-clamp", cmd, dt, ("Vm", "Im", "Iion"))
    icap = out["Im"][0] - out["Iion"][0]
    c_total = cell.values["Cm"] * cell.values["area"]  # F
    q_on = icap[:120].sum() * dt
    q_off = icap[120:].sum() * dt
    assert q_on == pytest.approx(c_total * 0.020, rel=1e-9)
    assert q_off == pytest.approx(-c_total * 0.020, rel=1e-9)
    assert icap[:120].max() > 0 and icap[:120].min() >= -1e-18
    # an ideal clamp: no capacitive current while the command is constant
    assert np.all(np.abs(icap[60:140]) < 1e-15)
    # the steady clamp current of the passive membrane is gL (V - E_L), HH's leak
    g_l = cell.values["gL"] * cell.values["area"]  # S
    assert out["Im"][0, 140] == pytest.approx(g_l * (-0.045 - -0.0543), rel=1e-9)


def test_a_leak_reversing_outside_e_k_and_e_na_still_reverses_at_e_l():
    """Relation: I_L = gL (V - E_L) also when E_L lies outside E_K..E_Na (here +60 mV on the
    squid membrane, so the leak cannot be split into K+ and Na+ channels): voltage clamp
    shows gL (V - E_L) and a passive membrane in current clamp settles at E_L."""
    cell = Cell("squid")
    for name in ("gNa", "gK"):
        cell.set(name, 0.0)
    cell.set("E_L", 0.060)
    g_l = cell.values["gL"] * cell.values["area"]  # S
    mem = Membrane(cell)
    mem.reset(v0=-0.020)
    out = mem.advance("voltage-clamp", np.full(11, -0.020), 50e-6, ("Im", "IL"))
    np.testing.assert_allclose(out["IL"][0], g_l * (-0.020 - 0.060), rtol=1e-9)
    np.testing.assert_allclose(out["Im"][0], g_l * (-0.020 - 0.060), rtol=1e-9)
    mem.reset(v0=-0.065)
    v = mem.advance("current-clamp", np.zeros(2001), 50e-6, ("Vm",))["Vm"][0]
    assert v[-1] == pytest.approx(0.060, abs=1e-6)  # 100 ms = 30 time constants
