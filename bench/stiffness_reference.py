"""Converged solutions at stiff settings, for tests/sim/test_stiffness_reference.py.

    .venv/bin/python bench/stiffness_reference.py     # a few minutes; rewrites the file below

Solves the membrane equations of each setting (the same ODE as the kernel: vlab's rate
functions and parameters, but not its integrator) with scipy's implicit Radau IIA method
(order 5, rtol = atol = 1e-10) and writes ``tests/data/stiffness_reference.npz``: per
setting, for every 10 us sample of a 30 ms sweep with a 1 ms pulse at 5 ms, the lowest and
highest Vm (mV) of the solution within +/- 0.5 us of the sample's time (the tube the test
allows around the converged trace, bench/stiffness_sweep.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from vlab.sim import kernel as K
from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane
from vlab.sim.kinetics import h_current_gate, m_current_gate, na_activation, rates

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "stiffness_reference.npz"
SAMPLE_MS, TUBE_MS, END_MS, PULSE_MS = 0.01, 0.5e-3, 30.0, (5.0, 6.0)
#: the settings with the largest errors before step-size control (bench/stiffness_sweep.py)
SETTINGS = [
    ("squid", {"Cm": "0.01 uF/cm2", "gNa": "1000 mS/cm2", "temperature": "37 degC"}, 10.0),
    ("squid", {"Cm": "1 uF/cm2", "gNa": "1000 mS/cm2", "temperature": "37 degC"}, 10.0),
    ("squid", {"Cm": "0.1 uF/cm2", "gNa": "1000 mS/cm2", "temperature": "20 degC"}, 10.0),
    ("mammalian", {"Cm": "0.1 uF/cm2", "gNa": "1000 mS/cm2", "temperature": "37 degC"}, 100.0),
    ("myelinated_axon", {"Cm": "0.25 uF/cm2", "temperature": "20 degC"}, 1000.0),
]


def rhs(P: np.ndarray, i_inj: float):
    """dy/dt of y = (V mV, m, h, n, p, q) in textbook units (no drugs)."""
    kind, phi, vt = int(P[K.P_KIND]), P[K.P_PHI], P[K.P_VT]

    def f(_t, y):
        v, m, h, n, p, q = y
        am, bm, ah, bh, an, bn = rates(kind, v, vt)
        i = (
            P[K.P_GNA] * na_activation(kind, m) * h * (v - P[K.P_ENA])
            + (P[K.P_GK] * n**4 + P[K.P_GM] * p + P[K.P_GLK]) * (v - P[K.P_EK])
            + P[K.P_GLNA] * (v - P[K.P_ENA])
            + P[K.P_GLX] * (v - P[K.P_ELX])
            + P[K.P_GCL] * (v - P[K.P_ECL])
            + P[K.P_GH] * q * (v - P[K.P_EH])
        )
        pinf, taup = m_current_gate(v, P[K.P_TAU_M])
        aq, bq = h_current_gate(v)
        return [
            (i_inj - i) / P[K.P_C],
            phi * (am - (am + bm) * m),
            phi * (ah - (ah + bh) * h),
            phi * (an - (an + bn) * n),
            (pinf - p) / taup if P[K.P_GM] > 0 else 0.0,
            aq - (aq + bq) * q if P[K.P_GH] > 0 else 0.0,
        ]

    return f


def jacobian(f):
    """Forward differences with steps scaled to each variable (scipy's own estimate
    overflows at these stiffnesses)."""

    def jac(t, y):
        f0 = np.asarray(f(t, y))
        J = np.empty((len(y), len(y)))
        for k in range(len(y)):
            e = 1e-7 * (1.0 + abs(y[k]))
            yy = np.array(y, dtype=float)
            yy[k] += e
            J[:, k] = (np.asarray(f(t, yy)) - f0) / e
        return J

    return jac


def tube(prep: str, settings: dict, amplitude: float) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest Vm (mV) within +/- TUBE_MS of each sample."""
    cell = Cell(prep)
    for name, value in settings.items():
        cell.set(name, value)
    P = cell.kernel_params()
    s = Membrane(cell).state[0]  # V and gates at steady state at the starting potential
    y = np.array([s[K.S_V], s[K.S_M], s[K.S_H], s[K.S_N], s[K.S_P], s[K.S_Q]])
    segments = [(0.0, PULSE_MS[0], 0.0), (*PULSE_MS, amplitude), (PULSE_MS[1], END_MS, 0.0)]
    sols = []
    for t0, t1, i in segments:
        f = rhs(P, i)
        sol = solve_ivp(
            f, (t0, t1), y, method="Radau", rtol=1e-10, atol=1e-10, jac=jacobian(f),
            dense_output=True, max_step=(t1 - t0) / 10,
        )  # fmt: skip
        sols.append((t0, t1, sol.sol))
        y = sol.y[:, -1]
    t = np.arange(round(END_MS / SAMPLE_MS)) * SAMPLE_MS
    window = t[:, None] + np.linspace(-TUBE_MS, TUBE_MS, 21)[None, :]
    window = np.clip(window, 0.0, END_MS)
    v = np.empty_like(window)
    for t0, t1, sol in sols:
        sel = (window >= t0) & (window <= t1)
        v[sel] = sol(window[sel])[0]
    return v.min(axis=1), v.max(axis=1)


def main() -> None:
    arrays, meta = {}, []
    for k, (prep, settings, amp) in enumerate(SETTINGS):
        lo, hi = tube(prep, settings, amp)
        arrays[f"lo{k}"], arrays[f"hi{k}"] = lo, hi
        meta.append({"preparation": prep, "settings": settings, "pulse_uA_cm2": amp})
        print(prep, settings, f"peak {hi.max():.2f} mV", flush=True)
    meta_json = json.dumps({"sample_ms": SAMPLE_MS, "tube_ms": TUBE_MS, "settings": meta})
    np.savez_compressed(OUT, meta=np.array(meta_json), **arrays)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
