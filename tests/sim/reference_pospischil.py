"""Independent reference for the cortical (regular-spiking) cell: the published equations
of Pospischil et al. (2008) with Traub & Miles (1991) rates, written out here from the paper
and integrated by scipy's LSODA. No vlab code is used for the model.

Optionally with the Ih of Kole et al. (2006) in the form of Hay et al. (2011), also written
out here. Used by tests/sim/test_mammalian_reference.py and runnable as a script to print
the f-I of vlab (with and without its Ih) against this reference (docs/validation.md):

    .venv/bin/python tests/sim/reference_pospischil.py
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

# Pospischil et al. (2008) RS cell, vlab's solutions (Nernst at 37 degC) and E_L -66 mV
AREA_CM2 = 11840e-8
G = {"Na": 56.0, "K": 6.0, "M": 0.075, "L": 0.0205}  # mS/cm2
VT, TAU_MAX = -56.2, 608.0  # mV, ms
RT_F = 8.314462618 * 310.15 / 96485.33212 * 1e3  # mV at 37 degC
E = {"Na": RT_F * math.log(145 / 15), "K": RT_F * math.log(5 / 140), "L": -66.0}
PHI, PHI_M = 3.0 ** (1 / 10), 2.3 ** (1 / 10)  # 36 -> 37 degC
E_H = -45.0  # mV, Kole et al. 2006


def ih_rates(v):
    """Kole et al. (2006) / Hay et al. (2011) Ih gate rates (1/ms)."""
    return 0.001 * 6.43 * _x(v + 154.9, 11.9), 0.001 * 193 * math.exp(v / 33.1)


def _x(x, y):
    return x / math.expm1(x / y) if abs(x / y) > 1e-9 else y


def rhs(t, s, i_ua_cm2, gh=0.0):
    v, m, h, n, p, q = s
    u = v - VT
    am, bm = 0.32 * _x(-(u - 13), 4), 0.28 * _x(u - 40, 5)
    ah, bh = 0.128 * math.exp(-(u - 17) / 18), 4 / (1 + math.exp(-(u - 40) / 5))
    an, bn = 0.032 * _x(-(u - 15), 5), 0.5 * math.exp(-(u - 10) / 40)
    pinf = 1 / (1 + math.exp(-(v + 35) / 10))
    taup = TAU_MAX / (3.3 * math.exp((v + 35) / 20) + math.exp(-(v + 35) / 20)) / PHI_M
    ii = (
        G["Na"] * m**3 * h * (v - E["Na"])
        + G["K"] * n**4 * (v - E["K"])
        + G["M"] * p * (v - E["K"])
        + G["L"] * (v - E["L"])
        + gh * q * (v - E_H)
    )
    aq, bq = ih_rates(v)
    return [
        i_ua_cm2 - ii,
        PHI * (am * (1 - m) - bm * m),
        PHI * (ah * (1 - h) - bh * h),
        PHI * (an * (1 - n) - bn * n),
        (pinf - p) / taup,
        aq * (1 - q) - bq * q,
    ]


def resting_state(i_ua_cm2=0.0, gh=0.0, bracket=(-90, -60)):
    from scipy.optimize import brentq

    def inf(v):
        u = v - VT
        am, bm = 0.32 * _x(-(u - 13), 4), 0.28 * _x(u - 40, 5)
        ah, bh = 0.128 * math.exp(-(u - 17) / 18), 4 / (1 + math.exp(-(u - 40) / 5))
        an, bn = 0.032 * _x(-(u - 15), 5), 0.5 * math.exp(-(u - 10) / 40)
        aq, bq = ih_rates(v)
        return (
            am / (am + bm),
            ah / (ah + bh),
            an / (an + bn),
            1 / (1 + math.exp(-(v + 35) / 10)),
            aq / (aq + bq),
        )

    def f(v):
        return rhs(0, [v, *inf(v)], i_ua_cm2, gh)[0]

    v = brentq(f, *bracket)
    return [v, *inf(v)]


def spike_count(i_amp: float, duration: float = 0.5, gh: float = 0.0) -> int:
    """Spikes (upward 0 mV crossings) in ``duration`` s of a step of ``i_amp`` A from rest."""
    i = i_amp / AREA_CM2 * 1e6  # uA/cm2
    sol = solve_ivp(
        rhs,
        (0, duration * 1e3),
        resting_state(gh=gh),
        args=(i, gh),
        method="LSODA",
        rtol=1e-8,
        atol=1e-9,
        max_step=0.05,
    )
    v = sol.y[0]
    return int(np.sum((v[:-1] < 0) & (v[1:] >= 0)))


def _vlab_counts(amps, gh, duration=0.5, dt=25e-6):
    from vlab.sim.cell import Cell
    from vlab.sim.engine import Membrane

    cell = Cell("mammalian")
    cell.set("gH", f"{gh} mS/cm2")
    mem = Membrane(cell, len(amps))
    n = round(duration / dt)
    v = mem.advance("current-clamp", np.repeat(np.asarray(amps)[:, None], n + 1, 1), dt, ("Vm",))
    v = v["Vm"]
    return np.sum((v[:, :-1] < 0) & (v[:, 1:] >= 0), axis=1)


if __name__ == "__main__":
    amps = np.array([40, 45, 50, 55, 60, 80, 100, 150, 200, 300, 400]) * 1e-12
    ref = [spike_count(a) for a in amps]
    ref_h = [spike_count(a, gh=0.2) for a in amps]
    plain = _vlab_counts(amps, 0.0)
    with_h = _vlab_counts(amps, 0.2)
    print("spikes in 500 ms from rest")
    print("I (pA)  Pospischil  vlab gH=0  vlab gH=0.2  reference+Ih")
    for a, r, p, w, rh in zip(amps, ref, plain, with_h, ref_h, strict=True):
        print(f"{a * 1e12:6.0f}  {r:10d}  {p:9d}  {w:11d}  {rh:12d}")
