"""The membrane integrator: a compiled loop over time steps and sweeps.

Textbook units inside: mV, ms, uF/cm2, mS/cm2, uA/cm2 (so mS/cm2 * mV = uA/cm2).

Scheme
------
Current clamp (and I=0) uses a staggered Crank-Nicolson scheme, as NEURON's
``secondorder=2``: gates live at half steps ``t + dt/2``; the voltage update from ``t`` to
``t + dt`` is Crank-Nicolson with the conductances of the half step (linear in V, solved
exactly); each gate then advances a full step with the exact exponential solution for
the voltage at ``t + dt``. The scheme is second order and unconditionally stable.
Between calls the state holds gates at whole steps (a half step back is applied at the
end of a call and forward at the start of the next, which are exact inverses), so
streaming in chunks gives the same numbers as one long run.

Voltage clamp is ideal: V equals the command, which is piecewise constant on samples,
so the exponential gate update is the exact solution; gates are at whole steps.

Sample ``j`` of a command array holds over ``[t_j, t_j+1)``; recorded values at ``t_j``
are right-continuous (a voltage step at ``t_j`` is seen at sample ``j``).
"""

from __future__ import annotations

import math

import numpy as np

from vlab.sim.jit import njit
from vlab.sim.kinetics import h_current_gate, m_current_gate, na_activation, rates

# ---- parameter vector layout (float64) -----------------------------------------------------
P_C, P_GNA, P_GK, P_GM, P_GLK, P_GLNA, P_GLX, P_GCL = 0, 1, 2, 3, 4, 5, 6, 7
P_ENA, P_EK, P_ECL, P_ELX = 8, 9, 10, 11
P_PHI, P_PRONASE, P_LIDO_C, P_LIDO_KON, P_LIDO_KOFF, P_LIDO_KONR = 12, 13, 14, 15, 16, 17
P_TAU_M, P_VT, P_KIND = 18, 19, 20  # P_TAU_M already divided by its own Q10 factor
# lidocaine: P_LIDO_KON open-state, P_LIDO_KONR resting, P_LIDO_KONI inactivated binding
# rate constants (1/(mM ms)); P_LIDO_KOFF the unbinding rate of every state (1/ms)
P_LIDO_KONI = 21
# hyperpolarisation-activated cation current: gH * q * (V - E_h)
P_GH, P_EH = 22, 23
N_PARAMS = 24

# ---- state layout per sweep ------------------------------------------------------------------
S_V, S_M, S_H, S_N, S_P, S_B, S_Q = 0, 1, 2, 3, 4, 5, 6
N_STATE = 7

# ---- recorded variables ------------------------------------------------------------------------
R_V, R_IM, R_M, R_H, R_N, R_P = 0, 1, 2, 3, 4, 5
R_INA, R_IK, R_IL, R_ICL, R_IMC = 6, 7, 8, 9, 10
R_GNA, R_GK, R_GCL, R_GM, R_B, R_IION, R_IH, R_Q = 11, 12, 13, 14, 15, 16, 17, 18
N_REC = 19
#: name, index, textbook unit of each recorded variable
RECORD_NAMES = {
    "Vm": R_V,
    "Im": R_IM,
    "m": R_M,
    "h": R_H,
    "n": R_N,
    "p": R_P,
    "INa": R_INA,
    "IK": R_IK,
    "IL": R_IL,
    "ICl": R_ICL,
    "IM": R_IMC,
    "gNa": R_GNA,
    "gK": R_GK,
    "gCl": R_GCL,
    "gM": R_GM,
    "lido_bound": R_B,
    "Iion": R_IION,
    "Ih": R_IH,
    "q": R_Q,
}

MODE_CC = 0
MODE_VC = 1

OK = 0
DIVERGED = 1
V_LIMIT = 500.0  # mV: beyond this no membrane survives; the run is stopped with a message


@njit
def _record(P, out, s, j, v, m, h, n, p, b, q, im, full):
    """Fill ``out[s, :, j]`` from a state at a sample time (whole step)."""
    ma = na_activation(int(P[P_KIND]), m)
    gna = P[P_GNA] * (1.0 - b) * ma * ((1.0 - P[P_PRONASE]) * h + P[P_PRONASE])
    gk = P[P_GK] * n * n * n * n
    gm = P[P_GM] * p
    ina = gna * (v - P[P_ENA])
    ik = gk * (v - P[P_EK])
    il = P[P_GLK] * (v - P[P_EK]) + P[P_GLNA] * (v - P[P_ENA]) + P[P_GLX] * (v - P[P_ELX])
    icl = P[P_GCL] * (v - P[P_ECL])
    imc = gm * (v - P[P_EK])
    ih = P[P_GH] * q * (v - P[P_EH])
    iion = ina + ik + il + icl + imc + ih
    out[s, R_V, j] = v
    out[s, R_IM, j] = im
    if full:
        out[s, R_M, j] = m
        out[s, R_H, j] = h
        out[s, R_N, j] = n
        out[s, R_P, j] = p
        out[s, R_INA, j] = ina
        out[s, R_IK, j] = ik
        out[s, R_IL, j] = il
        out[s, R_ICL, j] = icl
        out[s, R_IMC, j] = imc
        out[s, R_GNA, j] = gna
        out[s, R_GK, j] = gk
        out[s, R_GCL, j] = P[P_GCL]
        out[s, R_GM, j] = gm
        out[s, R_B, j] = b
        out[s, R_IION, j] = iion
        out[s, R_IH, j] = ih
        out[s, R_Q, j] = q
    return iion


@njit
def _gate_step(P, v, m, h, n, p, b, q, dt):
    """Advance gates (and lidocaine binding) by ``dt`` ms at fixed ``v`` mV (exact)."""
    phi = P[P_PHI]
    am, bm, ah, bh, an, bn = rates(int(P[P_KIND]), v, P[P_VT])
    sm = phi * (am + bm)
    sh = phi * (ah + bh)
    sn = phi * (an + bn)
    m = am / (am + bm) + (m - am / (am + bm)) * math.exp(-dt * sm)
    n = an / (an + bn) + (n - an / (an + bn)) * math.exp(-dt * sn)
    h_new = ah / (ah + bh) + (h - ah / (ah + bh)) * math.exp(-dt * sh)
    if P[P_GM] > 0.0:
        pinf, taup = m_current_gate(v, P[P_TAU_M])
        p = pinf + (p - pinf) * math.exp(-dt / taup)
    if P[P_GH] > 0.0:
        aq, bq = h_current_gate(v)
        q = aq / (aq + bq) + (q - aq / (aq + bq)) * math.exp(-dt * (aq + bq))
    c = P[P_LIDO_C]
    if c > 0.0 or b > 0.0:
        b = lido_step(P, m, h, b, c, dt)
    return m, h_new, n, p, b, q


@njit
def lido_on_rate(P, m, h, c):
    """Modulated receptor: binding rate (1/ms) of free channels at concentration ``c`` mM,
    weighted over the open (m^3 h', m^2 h' for CRRSS), inactivated (1 - h') and resting states, where
    h' = (1 - f) h + f with f the pronase-modified fraction."""
    f = P[P_PRONASE]
    hh = (1.0 - f) * h + f
    o = na_activation(int(P[P_KIND]), m) * hh
    return c * (P[P_LIDO_KON] * o + P[P_LIDO_KONI] * (1.0 - hh) + P[P_LIDO_KONR] * (hh - o))


@njit
def lido_step(P, m, h, b, c, dt):
    """Fraction of Na+ channels holding the drug after ``dt`` ms (exact at fixed gates)."""
    on = lido_on_rate(P, m, h, c)
    rate = on + P[P_LIDO_KOFF]
    binf = on / rate
    return binf + (b - binf) * math.exp(-dt * rate)


@njit
def _half_gates(P, v, m, h, n, p, q, dt_half, backward):
    """Move gates by +/- half a step at fixed ``v`` (exact exponential, exactly invertible)."""
    phi = P[P_PHI]
    am, bm, ah, bh, an, bn = rates(int(P[P_KIND]), v, P[P_VT])
    sgn = -1.0 if backward else 1.0
    em = math.exp(-sgn * dt_half * phi * (am + bm))
    eh = math.exp(-sgn * dt_half * phi * (ah + bh))
    en = math.exp(-sgn * dt_half * phi * (an + bn))
    m = am / (am + bm) + (m - am / (am + bm)) * em
    h = ah / (ah + bh) + (h - ah / (ah + bh)) * eh
    n = an / (an + bn) + (n - an / (an + bn)) * en
    if P[P_GM] > 0.0:
        pinf, taup = m_current_gate(v, P[P_TAU_M])
        p = pinf + (p - pinf) * math.exp(-sgn * dt_half / taup)
    if P[P_GH] > 0.0:
        aq, bq = h_current_gate(v)
        q = aq / (aq + bq) + (q - aq / (aq + bq)) * math.exp(-sgn * dt_half * (aq + bq))
    return m, h, n, p, q


@njit
def advance(mode, cmd, dt, substeps, P, S, out, full):
    """Advance every sweep by ``cmd.shape[1] - 1`` samples.

    Parameters
    ----------
    mode : int
        ``MODE_CC`` (``cmd`` is injected current, uA/cm2) or ``MODE_VC`` (``cmd`` in mV).
    cmd : float64 array (n_sweeps, n_out + 1)
        Command per sample; ``cmd[:, j]`` holds over ``[t_j, t_j+1)``. Column 0 is the
        command at the current time, the last column only sets the recorded value at
        the last sample.
    dt : float
        Integration step, ms; ``substeps * dt`` is the sample interval.
    P : float64 array (N_PARAMS,)
    S : float64 array (n_sweeps, N_STATE), updated in place (gates at whole steps).
    out : float64 array (n_sweeps, N_REC, n_out)
        Receives samples at ``t_1 .. t_n_out`` (``full`` False: only Vm and Im).

    Returns
    -------
    (status, sweep, sample): ``status`` is ``OK`` or ``DIVERGED`` (non-finite or
    |V| > ``V_LIMIT``); on divergence the state is left as it was at the failure.
    """
    n_sweeps = cmd.shape[0]
    n_out = cmd.shape[1] - 1
    C = P[P_C]
    dt_sample = dt * substeps
    for s in range(n_sweeps):
        v = S[s, S_V]
        m = S[s, S_M]
        h = S[s, S_H]
        n = S[s, S_N]
        p = S[s, S_P]
        b = S[s, S_B]
        q = S[s, S_Q]
        if mode == MODE_VC:
            for j in range(n_out):
                v = cmd[s, j]
                m, h, n, p, b, q = _gate_step(P, v, m, h, n, p, b, q, dt_sample)
                v_next = cmd[s, j + 1]
                icap = C * (v_next - cmd[s, j]) / dt_sample
                iion = _record(P, out, s, j, v_next, m, h, n, p, b, q, 0.0, full)
                out[s, R_IM, j] = iion + icap
                if not (abs(iion) < 1e12):
                    S[s, S_V] = v
                    return DIVERGED, s, j
            v = cmd[s, n_out]
        else:
            f = P[P_PRONASE]
            gk_bar = P[P_GK]
            gm_bar = P[P_GM]
            gh_bar = P[P_GH]
            kind = int(P[P_KIND])
            g_leak = P[P_GLK] + P[P_GLNA] + P[P_GLX] + P[P_GCL]
            ge_leak = (
                P[P_GLK] * P[P_EK]
                + P[P_GLNA] * P[P_ENA]
                + P[P_GLX] * P[P_ELX]
                + P[P_GCL] * P[P_ECL]
            )
            m, h, n, p, q = _half_gates(P, v, m, h, n, p, q, 0.5 * dt, False)
            for j in range(n_out):
                i_inj = cmd[s, j]
                for _ in range(substeps):
                    ma = na_activation(kind, m)
                    gna = P[P_GNA] * (1.0 - b) * ma * ((1.0 - f) * h + f)
                    gk = gk_bar * n * n * n * n + gm_bar * p
                    gh = gh_bar * q
                    g = gna + gk + gh + g_leak
                    ge = gna * P[P_ENA] + gk * P[P_EK] + gh * P[P_EH] + ge_leak
                    a = C / dt
                    v = (v * (a - 0.5 * g) + ge + i_inj) / (a + 0.5 * g)
                    m, h, n, p, b, q = _gate_step(P, v, m, h, n, p, b, q, dt)
                if not (abs(v) < V_LIMIT):
                    S[s, S_V] = v
                    return DIVERGED, s, j
                # gates at the sample time: half a step back from t + dt/2
                mr, hr, nr, pr, qr = _half_gates(P, v, m, h, n, p, q, 0.5 * dt, True)
                _record(P, out, s, j, v, mr, hr, nr, pr, b, qr, cmd[s, j + 1], full)
            m, h, n, p, q = _half_gates(P, v, m, h, n, p, q, 0.5 * dt, True)
        S[s, S_V] = v
        S[s, S_M] = m
        S[s, S_H] = h
        S[s, S_N] = n
        S[s, S_P] = p
        S[s, S_B] = b
        S[s, S_Q] = q
    return OK, -1, -1


#: membrane potentials (mV) over which :func:`fastest_rates` looks for the fastest gate:
#: from RATE_SCAN_LO to RATE_SCAN_HI in RATE_SCAN_N points (1 mV apart)
RATE_SCAN_LO, RATE_SCAN_HI, RATE_SCAN_N = -100.0, 60.0, 161


@njit
def fastest_rates(P):
    """How fast this membrane can move, for choosing the integration step (1/ms).

    Returns ``(r_gate, r_membrane)``: the fastest relaxation rate ``phi * (alpha + beta)``
    of the Na+/K+ gates (m, h, n) between -100 and +60 mV at the present temperature, and
    the membrane's charging rate with every conductance fully open, ``g_max_total / C``.
    """
    lo, hi, n = RATE_SCAN_LO, RATE_SCAN_HI, RATE_SCAN_N
    kind = int(P[P_KIND])
    r_gate = 0.0
    for i in range(n):
        v = lo + (hi - lo) * i / (n - 1)
        am, bm, ah, bh, an, bn = rates(kind, v, P[P_VT])
        r_gate = max(r_gate, am + bm, ah + bh, an + bn)
    g = P[P_GNA] + P[P_GK] + P[P_GM] + P[P_GLK] + P[P_GLNA] + P[P_GLX] + P[P_GCL] + P[P_GH]
    return P[P_PHI] * r_gate, g / P[P_C]


def new_output(n_sweeps: int, n_out: int) -> np.ndarray:
    """An output buffer for :func:`advance`."""
    return np.empty((n_sweeps, N_REC, n_out), dtype=np.float64)
