"""Gating kinetics: opening (alpha) and closing (beta) rates of the gates.

Textbook units are used inside this module only: membrane potential ``v`` in mV,
rates in 1/ms. Callers convert at the boundary (:mod:`vlab.sim.engine`).

Two families are implemented, selected by a preparation's ``kinetics`` key:

``hh1952`` (id 0)
    Hodgkin & Huxley (1952) J Physiol 117:500-544, written with the resting potential
    at -65 mV exactly as NEURON's built-in ``hh`` mechanism (``hh.mod``).
``crrss`` (id 2)
    Mammalian (rabbit) node of Ranvier at 37 degC: Chiu, Ritchie, Rogart & Stagg (1979)
    J Physiol 292:149-166 in the form of Sweeney, Mortimer & Durand (1987) Proc IEEE EMBS
    9:1577-1578: Na+ current with m^2 h, no K+ current, absolute potentials (rest -80 mV).
``traub`` (id 1)
    Traub & Miles (1991) kinetics as used for cortical neurons by Pospischil et al.
    (2008) Biol Cybern 99:427-441, shifted by the threshold parameter ``vt`` (mV);
    plus their slow non-inactivating K+ (M) current gate ``p``.

Rate expressions of the form ``x / (exp(x/y) - 1)`` are 0/0 at ``x = 0`` (at -40 and
-55 mV in HH). :func:`vtrap` evaluates them with ``expm1`` and its exact limit ``y``,
so there is no singular voltage.
"""

from __future__ import annotations

import math

from vlab.sim.jit import njit

HH1952 = 0
TRAUB = 1
CRRSS = 2
KINETICS_IDS = {"hh1952": HH1952, "traub": TRAUB, "crrss": CRRSS}


@njit
def vtrap(x, y):
    """``x / (exp(x / y) - 1)``, continuous through ``x = 0`` where it equals ``y``."""
    u = x / y
    if abs(u) < 1e-7:
        # series: y * (1 - u/2 + u^2/12); the quadratic term is below 1e-15 here
        return y * (1.0 - 0.5 * u)
    return x / math.expm1(u)


@njit
def rates_hh1952(v):
    """HH rates (1/ms) at ``v`` (mV) for m, h, n as in NEURON's hh.mod at 6.3 degC."""
    am = 0.1 * vtrap(-(v + 40.0), 10.0)
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (math.exp(-(v + 35.0) / 10.0) + 1.0)
    an = 0.01 * vtrap(-(v + 55.0), 10.0)
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


@njit
def rates_traub(v, vt):
    """Traub-Miles rates (1/ms) at ``v`` (mV) with threshold shift ``vt`` (mV)."""
    u = v - vt
    am = 0.32 * vtrap(-(u - 13.0), 4.0)
    bm = 0.28 * vtrap(u - 40.0, 5.0)
    ah = 0.128 * math.exp(-(u - 17.0) / 18.0)
    bh = 4.0 / (1.0 + math.exp(-(u - 40.0) / 5.0))
    an = 0.032 * vtrap(-(u - 15.0), 5.0)
    bn = 0.5 * math.exp(-(u - 10.0) / 40.0)
    return am, bm, ah, bh, an, bn


@njit
def rates_crrss(v):
    """CRRSS node rates (1/ms) at ``v`` (mV) at 37 degC. The node has no K+ channels: the
    n gate is given rates that keep it shut (n_inf = 0)."""
    am = (126.0 + 0.363 * v) / (1.0 + math.exp(-(v + 49.0) / 5.3))
    bm = am / math.exp((v + 56.2) / 4.17)
    bh = 15.6 / (1.0 + math.exp(-(v + 56.0) / 10.0))
    ah = bh / math.exp((v + 74.5) / 5.0)
    return am, bm, ah, bh, 0.0, 1.0


@njit
def rates(kind, v, vt):
    """Rates (1/ms) of m, h, n for kinetics family ``kind`` at ``v`` (mV), before Q10."""
    if kind == TRAUB:
        return rates_traub(v, vt)
    if kind == CRRSS:
        return rates_crrss(v)
    return rates_hh1952(v)


@njit
def na_activation(kind, m):
    """The activation factor of the Na+ conductance: m^3 (HH, Traub) or m^2 (CRRSS)."""
    if kind == CRRSS:
        return m * m
    return m * m * m


@njit
def m_current_gate(v, tau_max):
    """Steady state and time constant (ms) of the M-current gate p (Pospischil et al. 2008)."""
    p_inf = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    tau = tau_max / (3.3 * math.exp((v + 35.0) / 20.0) + math.exp(-(v + 35.0) / 20.0))
    return p_inf, tau


@njit
def h_current_gate(v):
    """Rates (1/ms) of the Ih (HCN) gate q at ``v`` mV: Kole, Hallermann & Stuart (2006)
    J Neurosci 26:1677-1687, as in Hay et al. (2011) PLoS Comput Biol 7:e1002107 (Ih.mod;
    no temperature factor there, none here)."""
    a = 0.00643 * vtrap(v + 154.9, 11.9)
    b = 0.193 * math.exp(v / 33.1)
    return a, b


def steady_state(kind: int, v: float, vt: float = 0.0) -> tuple[float, float, float]:
    """``(m_inf, h_inf, n_inf)`` at ``v`` (mV); Q10 does not change steady states."""
    am, bm, ah, bh, an, bn = rates(kind, float(v), float(vt))
    return am / (am + bm), ah / (ah + bh), an / (an + bn)
