"""An independent textbook Hodgkin–Huxley membrane, for expected values in tests.

Written from Hodgkin & Huxley (1952) J Physiol 117:500 in the form of NEURON's ``hh.mod``
(rest at −65 mV, 6.3 °C, so the temperature factor is 1), integrated by scipy's LSODA with
tight tolerances: no vlab code is used. Units are the paper's: mV, ms, µA/cm², mS/cm², µF/cm².

The leak is HH's (0.3 mS/cm² reversing at −54.3 mV with E_Na = +50 mV and E_K = −77 mV),
carried by K⁺ and Na⁺ in the fixed proportion that gives −54.3 mV, so it follows E_K when
the external K⁺ changes (the squid preparation file's documented convention).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

G_NA, G_K, G_L = 120.0, 36.0, 0.3  # mS/cm2
E_NA, E_K, E_L = 50.0, -77.0, -54.3  # mV
CM = 1.0  # uF/cm2
LEAK_K_SHARE = (E_NA - E_L) / (E_NA - E_K)  # fraction of gL carried by K+
R, F = 8.314462618, 96485.33212  # J/(mol K), C/mol
T_SQUID = 273.15 + 6.3  # K


def nernst_mv(c_out: float, c_in: float, z: int = 1, kelvin: float = T_SQUID) -> float:
    """Nernst potential, mV."""
    return 1e3 * R * kelvin / (z * F) * math.log(c_out / c_in)


def _vtrap(x: float, y: float) -> float:
    return y * (1.0 - x / y / 2.0) if abs(x / y) < 1e-6 else x / (math.exp(x / y) - 1.0)


def rates(v: float) -> tuple[float, float, float, float, float, float]:
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n), 1/ms, at v mV."""
    return (
        0.1 * _vtrap(-(v + 40.0), 10.0),
        4.0 * math.exp(-(v + 65.0) / 18.0),
        0.07 * math.exp(-(v + 65.0) / 20.0),
        1.0 / (math.exp(-(v + 35.0) / 10.0) + 1.0),
        0.01 * _vtrap(-(v + 55.0), 10.0),
        0.125 * math.exp(-(v + 65.0) / 80.0),
    )


def steady_gates(v: float) -> tuple[float, float, float]:
    am, bm, ah, bh, an, bn = rates(v)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def ionic_current(v: float, m: float, h: float, n: float, e_k: float = E_K) -> float:
    """Total ionic current density, µA/cm² (outward positive)."""
    e_leak = LEAK_K_SHARE * e_k + (1.0 - LEAK_K_SHARE) * E_NA
    return G_NA * m**3 * h * (v - E_NA) + G_K * n**4 * (v - e_k) + G_L * (v - e_leak)


def resting_potential(e_k: float = E_K) -> float:
    """Where the steady-state I–V crosses zero (mV), near rest."""
    return brentq(lambda v: ionic_current(v, *steady_gates(v), e_k=e_k), -90.0, -40.0, xtol=1e-9)


def current_clamp(stimulus, t_end: float, v0: float = -65.0, e_k: float = E_K):
    """Integrate from rest at ``v0`` with ``stimulus(t)`` (µA/cm², t in ms); (t, V) in ms, mV."""

    def rhs(t, y):
        v, m, h, n = y
        am, bm, ah, bh, an, bn = rates(v)
        return [
            (stimulus(t) - ionic_current(v, m, h, n, e_k)) / CM,
            am * (1 - m) - bm * m,
            ah * (1 - h) - bh * h,
            an * (1 - n) - bn * n,
        ]

    sol = solve_ivp(
        rhs,
        (0.0, t_end),
        [v0, *steady_gates(v0)],
        method="LSODA",
        rtol=1e-8,
        atol=1e-10,
        max_step=0.02,
    )
    return sol.t, sol.y[0]


def pulses(*windows: tuple[float, float, float]):
    """A stimulus made of (start ms, width ms, amplitude µA/cm²) pulses."""

    def stim(t: float) -> float:
        return sum(a for t0, w, a in windows if t0 <= t < t0 + w)

    return stim


def upward_crossings(t: np.ndarray, v: np.ndarray, level: float = 0.0) -> np.ndarray:
    return t[1:][(v[:-1] < level) & (v[1:] >= level)]
