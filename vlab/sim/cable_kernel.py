"""The cable integrator: HH membrane in every compartment coupled by axial resistance.

Textbook units inside, per compartment (not per area): capacitance uF, conductance mS,
current uA, voltage mV, time ms (mS * mV = uA; uF * mV / ms = uA).

Scheme: the staggered Crank-Nicolson scheme of the single membrane (kernel.py) with the
axial currents included in the implicit voltage solve. The matrix is tridiagonal for an
unbranched cable (the Hines ordering of a chain), solved by the Thomas algorithm in O(N),
so the step is limited by accuracy, not stability. Gates advance with the exact
exponential solution at the new voltage, read from fine tables of (x_inf, exp(-dt/tau))
built for the step in use (0.05 mV spacing, linear interpolation; relative error of the
tabulated rates < 1e-5), which is what makes 1000-compartment cables fast.
"""

from __future__ import annotations

import math

import numpy as np

from vlab.sim.jit import njit
from vlab.sim.kinetics import na_activation, rates

TABLE_VMIN = -200.0  # mV
TABLE_VMAX = 200.0
TABLE_STEP = 0.05


def gate_tables(kind: int, vt: float, phi: float, dt: float) -> np.ndarray:
    """Table (6, n) of m_inf, m_decay, h_inf, h_decay, n_inf, n_decay for step ``dt`` (ms).

    ``*_decay`` is ``exp(-dt/tau)``: one gate update is ``x = inf + (x - inf) * decay``.
    """
    v = np.arange(TABLE_VMIN, TABLE_VMAX + TABLE_STEP / 2, TABLE_STEP)
    tab = np.empty((6, len(v)))
    _fill_tables(tab, v, kind, vt, phi, dt)
    return tab


@njit
def _fill_tables(tab, v, kind, vt, phi, dt):
    for i in range(v.shape[0]):
        am, bm, ah, bh, an, bn = rates(kind, v[i], vt)
        tab[0, i] = am / (am + bm)
        tab[1, i] = math.exp(-dt * phi * (am + bm))
        tab[2, i] = ah / (ah + bh)
        tab[3, i] = math.exp(-dt * phi * (ah + bh))
        tab[4, i] = an / (an + bn)
        tab[5, i] = math.exp(-dt * phi * (an + bn))


@njit
def _lookup(tab, v):
    """Linear interpolation of every table row at ``v`` (clamped to the table range)."""
    x = (v - TABLE_VMIN) / TABLE_STEP
    if x < 0.0:
        x = 0.0
    last = tab.shape[1] - 1
    if x > last - 1e-9:
        x = last - 1e-9
    i = int(x)
    f = x - i
    return (
        tab[0, i] + f * (tab[0, i + 1] - tab[0, i]),
        tab[1, i] + f * (tab[1, i + 1] - tab[1, i]),
        tab[2, i] + f * (tab[2, i + 1] - tab[2, i]),
        tab[3, i] + f * (tab[3, i + 1] - tab[3, i]),
        tab[4, i] + f * (tab[4, i + 1] - tab[4, i]),
        tab[5, i] + f * (tab[5, i + 1] - tab[5, i]),
    )


@njit
def _half(tab_half, v, m, h, n, backward):
    mi, md, hi, hd, ni, nd = _lookup(tab_half, v)
    if backward:
        md, hd, nd = 1.0 / md, 1.0 / hd, 1.0 / nd
    return mi + (m - mi) * md, hi + (h - hi) * hd, ni + (n - ni) * nd


@njit
def advance_cable(
    stim,
    weights,
    tab,
    tab_half,
    dt,
    substeps,
    C,
    gna,
    fni,
    kind,
    gk,
    glk,
    glna,
    glx,
    gax,
    ena,
    ek,
    elx,
    V,
    M,
    H,
    N,
    rec_idx,
    out,
    out_all,
    every,
):
    """Advance the cable by ``stim.shape[0] - 1`` samples (current clamp).

    Parameters
    ----------
    stim : (n_elec, n_out + 1) current of each electrode, uA, held over each sample interval.
    weights : (n_elec, n_comp) share of each electrode's current per compartment.
    tab, tab_half : gate tables for dt and dt/2 (:func:`gate_tables`).
    C, gna, gk, glk, glna, glx : (n_comp,) uF and mS per compartment (block applied).
    fni : (n_comp,) fraction of Na+ channels without inactivation (pronase), 0..1.
    kind : kinetics family (m^3 or m^2 activation, :func:`vlab.sim.kinetics.na_activation`).
    ena, ek : mV; elx : (n_comp,) reversal (mV) of the fixed-reversal leak.
    gax : (n_comp - 1,) axial conductance between neighbours, mS.
    V, M, H, N : (n_comp,) state, updated in place (gates at whole steps between calls).
    rec_idx : compartments whose Vm goes to ``out`` (n_rec, n_out), mV.
    out_all : (n_snap, n_comp) receives every compartment's V every ``every`` samples
        (pass shape (0, n_comp) to skip).

    Returns 0 on success, or 1 + the sample index at which V left +/-500 mV or became
    non-finite (state left at the failure).
    """
    n_comp = V.shape[0]
    n_out = stim.shape[1] - 1
    n_elec = stim.shape[0]
    inj = np.zeros(n_comp)
    d = np.empty(n_comp)
    rhs = np.empty(n_comp)
    cp = np.empty(n_comp)
    for i in range(n_comp):
        M[i], H[i], N[i] = _half(tab_half, V[i], M[i], H[i], N[i], False)
    snap = 0
    for j in range(n_out):
        for i in range(n_comp):
            acc = 0.0
            for e in range(n_elec):
                acc += weights[e, i] * stim[e, j]
            inj[i] = acc
        for _ in range(substeps):
            for i in range(n_comp):
                m = M[i]
                g_na = gna[i] * na_activation(kind, m) * ((1.0 - fni[i]) * H[i] + fni[i])
                n4 = N[i] * N[i]
                g_k = gk[i] * n4 * n4
                g = g_na + g_k + glk[i] + glna[i] + glx[i]
                ge = (g_na + glna[i]) * ena + (g_k + glk[i]) * ek + glx[i] * elx[i]
                a = C[i] / dt
                left = gax[i - 1] if i > 0 else 0.0
                right = gax[i] if i < n_comp - 1 else 0.0
                d[i] = a + 0.5 * (g + left + right)
                r = V[i] * (a - 0.5 * (g + left + right)) + ge + inj[i]
                if i > 0:
                    r += 0.5 * left * V[i - 1]
                if i < n_comp - 1:
                    r += 0.5 * right * V[i + 1]
                rhs[i] = r
            # Thomas algorithm: sub/super diagonals are -gax/2
            cp[0] = -0.5 * gax[0] / d[0] if n_comp > 1 else 0.0
            rhs[0] = rhs[0] / d[0]
            for i in range(1, n_comp):
                lo = -0.5 * gax[i - 1]
                denom = d[i] - lo * cp[i - 1]
                if i < n_comp - 1:
                    cp[i] = -0.5 * gax[i] / denom
                rhs[i] = (rhs[i] - lo * rhs[i - 1]) / denom
            for i in range(n_comp - 2, -1, -1):
                rhs[i] -= cp[i] * rhs[i + 1]
            for i in range(n_comp):
                v = rhs[i]
                V[i] = v
                mi, md, hi, hd, ni, nd = _lookup(tab, v)
                M[i] = mi + (M[i] - mi) * md
                H[i] = hi + (H[i] - hi) * hd
                N[i] = ni + (N[i] - ni) * nd
        for k in range(rec_idx.shape[0]):
            v = V[rec_idx[k]]
            if not (abs(v) < 500.0):
                return 1 + j
            out[k, j] = v
        if out_all.shape[0] > 0 and (j + 1) % every == 0 and snap < out_all.shape[0]:
            for i in range(n_comp):
                out_all[snap, i] = V[i]
            snap += 1
    for i in range(n_comp):
        if not (abs(V[i]) < 500.0):
            return 1 + n_out
        M[i], H[i], N[i] = _half(tab_half, V[i], M[i], H[i], N[i], True)
    return 0
