"""Resting potential as a *stable* fixed point of the membrane equations.

A potential where the steady-state ionic current balances the holding current is a fixed
point of the full membrane ODE (V and every gate). It is a resting potential only if it is
stable: every eigenvalue of the Jacobian there has a negative real part. Where no fixed
point is stable the membrane cannot rest: it fires on its own (e.g. a cortical cell in
high external K+).

Textbook units inside (mV, ms, uA/cm2, as the kernel); :class:`Rest` is SI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vlab.sim import kernel
from vlab.sim.kinetics import h_current_gate, m_current_gate, rates

__all__ = ["Rest", "find_rest", "membrane_rhs"]

SCAN_MV = (-150.0, 80.0, 0.5)  # where fixed points are looked for: start, stop, step (mV)


@dataclass(frozen=True)
class Rest:
    """Result of :func:`find_rest` (SI).

    ``v`` is the stable resting potential, or, when none is stable, the most negative
    fixed point (where the cell would sit if it could). ``eigenvalues`` (1/s) are the
    Jacobian's at ``v``; ``fixed_points`` every steady potential found (V).
    """

    v: float
    stable: bool
    eigenvalues: np.ndarray
    fixed_points: tuple[float, ...]

    @property
    def fires_spontaneously(self) -> bool:
        return not self.stable

    def describe(self) -> str:
        """One line for listings and status bars."""
        if self.stable:
            return f"rest {self.v * 1e3:.2f} mV (stable)"
        return (
            f"no stable rest: the cell fires spontaneously (unstable steady state at "
            f"{self.v * 1e3:.1f} mV)"
        )


def membrane_rhs(P: np.ndarray, x: np.ndarray, i_hold: float = 0.0) -> np.ndarray:
    """Time derivative of the state ``x = (V mV, m, h, n, p, b, q)`` in 1/ms (mV/ms for V);
    ``i_hold`` is the injected current density (uA/cm2)."""
    v, m, h, n, p, b, q = x
    buf = np.empty((1, kernel.N_REC, 1))
    iion = kernel._record(P, buf, 0, 0, v, m, h, n, p, b, q, 0.0, False)
    aq, bq = h_current_gate(v)
    phi = P[kernel.P_PHI]
    am, bm, ah, bh, an, bn = rates(int(P[kernel.P_KIND]), v, P[kernel.P_VT])
    pinf, taup = m_current_gate(v, P[kernel.P_TAU_M])
    c = P[kernel.P_LIDO_C]
    on = kernel.lido_on_rate(P, m, h, c)
    return np.array(
        [
            (i_hold - iion) / P[kernel.P_C],
            phi * (am * (1 - m) - bm * m),
            phi * (ah * (1 - h) - bh * h),
            phi * (an * (1 - n) - bn * n),
            (pinf - p) / taup,
            on * (1 - b) - P[kernel.P_LIDO_KOFF] * b,
            aq * (1 - q) - bq * q,
        ]
    )


def jacobian(P: np.ndarray, x: np.ndarray, i_hold: float = 0.0) -> np.ndarray:
    """Jacobian of :func:`membrane_rhs` by central differences (1/ms)."""
    n = len(x)
    J = np.empty((n, n))
    for k in range(n):
        h = 1e-4 if k == 0 else 1e-7
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        J[:, k] = (membrane_rhs(P, xp, i_hold) - membrane_rhs(P, xm, i_hold)) / (2 * h)
    return J


def find_rest(cell, holding_density: float = 0.0) -> Rest:
    """Every fixed point of ``cell`` with ``holding_density`` (A/m^2) injected, and the most
    negative stable one (see module docstring)."""
    from scipy.optimize import brentq

    from vlab.sim.cell import ParameterError

    v = np.arange(*SCAN_MV) * 1e-3
    i = cell.steady_state_current(v) - holding_density
    idx = np.nonzero(np.diff(np.sign(i)) != 0)[0]
    if len(idx) == 0:
        raise ParameterError(
            "this membrane has no steady potential between -150 and +80 mV "
            "with the present holding current"
        )

    def f(x: float) -> float:
        return float(cell.steady_state_current(x)[0] - holding_density)

    roots = [brentq(f, v[k], v[k + 1], xtol=1e-9) for k in idx]
    P = cell.kernel_params()
    i_hold = holding_density * 1e2  # A/m^2 -> uA/cm^2
    found = []
    for r in roots:
        x = np.array([r * 1e3, *cell.steady_state_gates(r, P)])
        ev = np.linalg.eigvals(jacobian(P, x, i_hold)) * 1e3  # 1/s
        found.append((r, bool(np.all(ev.real < 0)), ev))
    stable = [f for f in found if f[1]]
    r, ok, ev = stable[0] if stable else found[0]
    return Rest(v=r, stable=ok, eigenvalues=ev, fixed_points=tuple(x[0] for x in found))
