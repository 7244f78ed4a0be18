"""NEURON reference keys for the practicals whose keys need a simulation.

Not part of the test suite: run by hand when a practical's unknowns or settings change,
in an environment with NEURON (``python -m venv /tmp/nrn && /tmp/nrn/bin/pip install
neuron numpy``):

    mkdir -p /tmp/mods && cp tests/data/neuron_reference/pospischil2008/*.mod /tmp/mods
    (cd /tmp/mods && /tmp/nrn/bin/nrnivmodl .)     # the mammalian cell's mechanisms
    cd tests/data/neuron_reference/practical_keys
    /tmp/nrn/bin/python make_practical_keys.py /tmp/mods [PRACTICAL ...]

(with practical names only their rows are recomputed; the others are kept as they are).

Writes ``practical_keys.csv``: one row per practical, student and question, with the
student's unknowns the row was computed for (``tests/practicals/test_practicals_trusted_keys.py``
checks that vlab still draws those unknowns, then compares vlab's keys with the values).

Nothing here comes from vlab except the two students' unknowns (class ``trusted-keys``
with the test's fixed secret), written out below as literals. The models are

- the squid membrane: NEURON's built-in ``hh`` (its rate functions, its Q10 of 3 from
  6.3 degC, E_Na 50 and E_K -77 mV, leak 0.3 mS/cm2 at -54.3 mV), one compartment of
  1e-3 cm2 started at -65 mV with steady-state gates (the squid preparation file's
  ``v_init``), with the student's temperature, channel densities and solutions (a
  changed Na+ or K+ gradient moves E_Na or E_K from HH's value by the Nernst shift at
  the student's temperature, and the leak, a fixed mix of K+ and Na+ conductance, follows
  them); currents are densities times the student's patch ``area`` where a practical
  makes it personal;
- the mammalian cell: ``../pospischil2008`` (Pospischil et al. 2008 regular-spiking cell
  with Ih), outside K+ set to the student's value: E_K by Nernst at 37 degC, and the leak
  split into K+ and Na+ parts that reverse at E_L = -66 mV at 5 mM K+ (the preparation
  file's ``[leak] carriers``), so its reversal follows E_K; E_h stays -45 mV;
- drugs: the bound fraction c / (c + Kd) of the drug file's Kd at the default
  concentration (TTX 100 nM on Kd 5.1 nM, internal TEA 10 mM on 0.4 mM, 4-AP 1 mM on
  1 mM); pronase removes all inactivation (h = 1).

What counts as a spike (the practicals' texts): an upward crossing of 0 mV during which
the membrane's own ionic current is inward by more than C * 10 V/s (it drove the rise;
a stimulus that pushes a blocked membrane past 0 mV does not count). Integration: CVODE,
fixed-step Crank-Nicolson (NEURON's ``secondorder = 2``) with 1 us steps; backward
Euler (``secondorder = 0``, stable with the stiff clamp) for the voltage-clamp families.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from neuron import h

HERE = Path(__file__).resolve().parent
h.load_file("stdrun.hoc")

R, F, T0 = 8.314462618, 96485.33212, 273.15  # CODATA 2018
SQUID_AREA_CM2 = 1e-3
DT = 0.001  # ms, the integration step (fixed-step Crank-Nicolson, secondorder = 2)

#: the two students' unknowns (SI as vlab stores them: degC, S/m2, mol/m3 = mM)
STUDENTS = {
    "threshold": {
        "alpha-01": {"temp": 10.0, "gNa": 940.0},
        "gamma-01": {"temp": 15.5, "gNa": 1060.0},
    },
    "temperature": {
        "alpha-01": {"cold": 9.0, "warm": 13.5, "gNa": 1380.0, "gK": 280.0},
        "gamma-01": {"cold": 3.5, "warm": 16.5, "gNa": 1060.0, "gK": 390.0},
    },
    "refractory": {
        "alpha-01": {"temp": 10.5, "gNa": 1280.0},
        "gamma-01": {"temp": 7.5, "gNa": 1280.0},
    },
    "hyperkalaemia": {
        "alpha-01": {"K_normal": 4.1, "K_mild": 8.4, "K_high": 29.0},
        "gamma-01": {"K_normal": 3.8, "K_mild": 6.9, "K_high": 26.5},
    },
    "spike_anatomy": {
        "alpha-01": {"temp": 3.5, "Na_in": 32.6},
        "gamma-01": {"temp": 9.5, "Na_in": 51.9},
    },
    "up_vs_down": {
        "alpha-01": {"v": -0.01, "temp": 3.5, "gNa": 1140.0, "gK": 370.0, "area": 1.23e-07},
        "gamma-01": {"v": -0.02, "temp": 9.5, "gNa": 1220.0, "gK": 370.0, "area": 2.57e-07},
    },
    "negative_slope": {
        "alpha-01": {"gNa": 1060.0, "Na_in": 48.9, "area": 2.57e-07},
        "gamma-01": {"gNa": 1060.0, "Na_in": 84.6, "area": 4.17e-07},
    },
    "ttx_driving_force": {
        "alpha-01": {"ttx": 1.44e-05, "Na_in": 86.6},
        "gamma-01": {"ttx": 1.3e-06, "Na_in": 48.0},
    },
    "mystery_blocker": {
        "alpha-01": {"drug": "TTX", "gNa": 1280.0, "gK": 340.0, "area": 1.01e-07},
        "gamma-01": {"drug": "TEA", "gNa": 940.0, "gK": 320.0, "area": 4.87e-07},
    },
    "separate_currents": {
        "alpha-01": {"Na_out": 50.2, "gK": 420.0, "area": 5.1e-08},
        "gamma-01": {"Na_out": 391.0, "gK": 420.0, "area": 2.63e-07},
    },
    "na_inactivation": {
        "alpha-01": {"temp": 19.5, "K_out": 5.39},
        "gamma-01": {"temp": 20.5, "K_out": 4.36},
    },
}


def to_amperes(i_density, u):
    """A current density (uA/cm2) on the student's patch (``area``, m2) in A."""
    return i_density * u["area"] * 1e4 * 1e-6


def integrate(v0, tstop, order=2):
    """Fixed-step integration from v0 (mV, steady-state gates) to tstop (ms): Crank-
    Nicolson (order 2), or backward Euler (order 0) for the stiff voltage clamp."""
    h.cvode_active(0)
    h.secondorder = order
    h.dt = DT
    h.finitialize(v0)
    while h.t < tstop - DT / 2:
        h.fadvance()


# ---------------------------------------------------------------------------- squid
class Squid:
    """One hh compartment; currents in uA/cm2 of stimulus, ms, mV."""

    def __init__(self, celsius=6.3, gna=120.0, gk=36.0, na_out=None, na_in=None, k_out=None):
        self.sec = h.Section(name="squid")
        self.sec.L = 100.0
        self.sec.diam = SQUID_AREA_CM2 / (math.pi * 100e-4) * 1e4  # um, so area = 1e-3 cm2
        self.sec.nseg = 1
        self.sec.cm = 1.0
        self.sec.insert("hh")
        seg = self.sec(0.5)
        seg.hh.gnabar = gna * 1e-3
        seg.hh.gkbar = gk * 1e-3
        seg.hh.gl = 0.3e-3
        seg.hh.el = -54.3
        self.sec.ena, self.sec.ek = 50.0, -77.0
        if na_out is not None or na_in is not None:
            # a changed Na_out (Na_in) releases the pinned E_Na: it moves from 50 mV the way
            # the gradient moved (Nernst at the axon's temperature, set before the
            # solution, from the default 440 mM outside, 55.2 mM inside), and the leak's
            # Na+ share (fixed so that the leak reverses at -54.3 mV by default) follows it
            self.sec.ena = 50.0 + nernst(1, na_out or 440.0, 440.0, celsius)
            self.sec.ena += nernst(1, 55.2, na_in or 55.2, celsius)
        if k_out is not None:
            # likewise a changed K_out releases E_K from -77 mV (from the default 16.35 mM)
            self.sec.ek = -77.0 + nernst(1, k_out, 16.35, celsius)
        if na_out is not None or na_in is not None or k_out is not None:
            f_k = (-54.3 - 50.0) / (-77.0 - 50.0)
            seg.hh.el = f_k * self.sec.ek + (1.0 - f_k) * self.sec.ena
        self.celsius = celsius
        self.area = seg.area() * 1e-8  # cm2

    def run(self, pulses, tstop):
        """pulses: [(start ms, duration ms, uA/cm2)]; returns t, v, i_ion (uA/cm2), i_stim."""
        h.celsius = self.celsius
        seg = self.sec(0.5)
        stims = []
        for start, dur, amp in pulses:
            st = h.IClamp(seg)
            st.delay, st.dur, st.amp = start, dur, amp * self.area * 1e3  # nA
            stims.append(st)
        tvec, v, ina, ik, il, hg = (h.Vector() for _ in range(6))
        tvec.record(h._ref_t)
        hg.record(seg.hh._ref_h)
        v.record(seg._ref_v)
        ina.record(seg._ref_ina)
        ik.record(seg._ref_ik)
        il.record(seg.hh._ref_il)
        integrate(-65.0, tstop)
        t = np.array(tvec)
        v = np.array(v)
        i_ion = (np.array(ina) + np.array(ik) + np.array(il)) * 1e3  # uA/cm2
        stim = np.zeros_like(t)
        for start, dur, amp in pulses:
            stim[(t >= start) & (t < start + dur)] += amp
        del stims
        self.h_gate = np.array(hg)
        return t, v, i_ion, stim

    def vc_family(self, top=60.0):
        """vc_step_family: from -65 mV, 20 ms steps to -100..+60 mV (10 mV apart) after
        5 ms (vc_step_family_wide: up to ``top`` = +100 mV). Per step the ionic current (uA/cm2) most inward, most outward and of
        largest size during the step; ``self.steady`` its mean over the step's last 10 %."""
        h.celsius = self.celsius
        seg = self.sec(0.5)
        levels = np.arange(-100.0, top + 0.5, 10.0)
        inward, outward, peak, steady = [], [], [], []
        for level in levels:
            clamp = h.SEClamp(seg)
            clamp.rs = 1e-5  # megohm: tau = rs * C = 0.01 us, an ideal clamp
            clamp.dur1, clamp.amp1 = 5.0, -65.0
            clamp.dur2, clamp.amp2 = 20.0, float(level)
            clamp.dur3, clamp.amp3 = 5.0, -65.0
            tvec, ina, ik, il = (h.Vector() for _ in range(4))
            tvec.record(h._ref_t)
            ina.record(seg._ref_ina)
            ik.record(seg._ref_ik)
            il.record(seg.hh._ref_il)
            integrate(-65.0, 30.0, order=0)
            t = np.array(tvec)
            i = (np.array(ina) + np.array(ik) + np.array(il)) * 1e3
            step = i[(t > 5.0 + 2 * DT) & (t <= 25.0)]
            inward.append(step.min())
            outward.append(step.max())
            peak.append(step[int(np.argmax(np.abs(step)))])
            steady.append(i[(t > 23.0) & (t <= 25.0)].mean())  # the step's last 10 %
            del clamp
        self.steady = np.array(steady)
        return levels, np.array(inward), np.array(outward), np.array(peak)

    def rest(self, tstop=1000.0):
        """Membrane potential (mV) and h after ``tstop`` ms at zero current from -65 mV."""
        h.celsius = self.celsius
        seg = self.sec(0.5)
        integrate(-65.0, tstop)
        return seg.v, seg.hh.h

    def recovery(self, gaps):
        """recovery_fine: from -80 mV, 5 ms, a 20 ms step to 0 mV, a gap at -80 mV, a 10 ms
        test step to 0 mV. Per gap the test's peak INa over the conditioning step's."""
        h.celsius = self.celsius
        seg = self.sec(0.5)
        out = []
        for gap in gaps:
            clamp = h.SEClamp(seg)
            clamp.rs = 1e-5
            clamp.dur1 = 1e9
            edges = [0.0, 5.0, 25.0, 25.0 + gap, 35.0 + gap]
            levels = [-80.0, 0.0, -80.0, 0.0]
            tt, vv = [], []
            for a, b, lvl in zip(edges[:-1], edges[1:], levels, strict=True):
                tt += [a, b]
                vv += [lvl, lvl]
            tcmd, vcmd = h.Vector(tt), h.Vector(vv)
            vcmd.play(clamp._ref_amp1, tcmd, 1)
            tvec, ina = h.Vector(), h.Vector()
            tvec.record(h._ref_t)
            ina.record(seg._ref_ina)
            integrate(-80.0, edges[-1], order=0)
            t, i = np.array(tvec), np.array(ina)
            cond = i[(t > 5.0 + 0.02) & (t <= 25.0)].min()
            test = i[(t > 25.0 + gap + 0.02) & (t <= 35.0 + gap)].min()
            out.append(test / cond)
            del clamp
        return np.array(out)


def zero_crossing(v, i):
    """Where the I-V crosses zero from inward to outward for the last time (mV)."""
    j = int(np.nonzero((i[:-1] < 0) & (i[1:] >= 0))[0][-1])
    return float(v[j] - i[j] * (v[j + 1] - v[j]) / (i[j + 1] - i[j]))


def spikes(t, v, i_ion, t_from=0.0):
    """Regenerative 0 mV upward crossings (ms): inward ionic current > 10 uA/cm2
    (C * 10 V/s with C = 1 uF/cm2) within the 1 ms before the crossing or up to the peak."""
    ups = np.nonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))[0] + 1
    downs = np.nonzero(v < -5.0)[0]
    out, last_down = [], -1
    for k in ups:
        if k < last_down:
            continue  # still inside the previous spike (no fall below -5 mV since)
        later = downs[downs > k]
        last_down = int(later[0]) if later.size else len(v)
        j = k + int(np.argmax(v[k:last_down]))
        window = (t >= t[k] - 1.0) & (t <= t[j])
        if i_ion[window].min() < -10.0 and t[k] >= t_from:
            out.append(float(t[k]))
    return out


def bisect_threshold(fires, lo, hi, rel=1e-4):
    assert not fires(lo) and fires(hi), (lo, hi)
    while hi - lo > rel * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if fires(mid) else (mid, hi)
    return 0.5 * (lo + hi)


def half_width(t, v, i_stim, pulse):
    """Half-width (ms) of the first spike: time above the level halfway between threshold
    and peak. Threshold: the last upward pass of dV/dt through 10 mV/ms before the 0 mV
    crossing; if that pass is the stimulus step itself, the dip of dV/dt between the
    stimulus step and the upstroke."""
    dv = np.gradient(v, t)
    k0 = int(np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0][0]) + 1
    ups = np.nonzero((dv[: k0 - 1] < 10.0) & (dv[1:k0] >= 10.0))[0]
    j = int(ups[-1]) + 1
    start, _ = pulse
    if abs(t[j] - start) <= 2 * DT:
        a = int(np.searchsorted(t, start + 2 * DT))
        j = a + int(np.argmin(dv[a:k0]))
    v_thr = v[j]
    kp = int(np.argmax(v))
    level = 0.5 * (v_thr + v[kp])
    up = np.nonzero((v[:kp] < level) & (v[1 : kp + 1] >= level))[0][-1]
    dn = kp + np.nonzero((v[kp:-1] >= level) & (v[kp + 1 :] < level))[0][0]
    t_up = t[up] + (level - v[up]) * (t[up + 1] - t[up]) / (v[up + 1] - v[up])
    t_dn = t[dn] + (level - v[dn]) * (t[dn + 1] - t[dn]) / (v[dn + 1] - v[dn])
    return t_dn - t_up, v[kp]


def threshold_keys(u):
    cell = Squid(u["temp"], u["gNa"] / 10.0)

    def fires(amp):
        t, v, i, _ = cell.run([(5.0, 1.0, amp)], 30.0)
        return bool(spikes(t, v, i, t_from=5.0))

    thr = bisect_threshold(fires, 0.0, 24.0)  # uA/cm2
    return {"threshold": thr * 1e-2}  # A/m2


def spike_anatomy_keys(u):
    """single_pulse (10 uA/cm2, 1 ms at 5 ms, 30 ms) on HH's axon (gNa 120, gK 36 mS/cm2)
    internally perfused with the student's Na+: peak, E_Na - peak, h at the peak, the
    lowest voltage after the peak."""
    cell = Squid(u["temp"], 120.0, 36.0, na_in=u["Na_in"])
    t, v, i, _ = cell.run([(5.0, 1.0, 10.0)], 30.0)
    assert len(spikes(t, v, i)) == 1
    k = int(np.argmax(v))
    assert t[k] > 6.0  # the peak comes after the pulse
    return {
        "peak": v[k] * 1e-3,
        "peak_vs_ena": (cell.sec.ena - v[k]) * 1e-3,
        "h_at_peak": float(cell.h_gate[k]),
        "undershoot": v[k:].min() * 1e-3,
    }


def up_vs_down_keys(u):
    """Net ionic current (A on the 1e-3 cm2 patch, outward +) where the single-pulse spike
    passes the student's voltage rising and falling, and h there (falling)."""
    cell = Squid(u["temp"], u["gNa"] / 10.0, u["gK"] / 10.0)
    t, v, i, _ = cell.run([(5.0, 1.0, 10.0)], 30.0)
    x = u["v"] * 1e3
    kp = int(np.argmax(v))
    up = int(np.nonzero((v[:kp] < x) & (v[1 : kp + 1] >= x))[0][-1]) + 1
    down = kp + int(np.nonzero((v[kp:-1] > x) & (v[kp + 1 :] <= x))[0][0]) + 1
    return {
        "i_up": to_amperes(i[up], u),
        "i_down": to_amperes(i[down], u),
        "h_down": float(cell.h_gate[down]),
    }


def negative_slope_keys(u):
    cell = Squid(6.3, u["gNa"] / 10.0, 36.0, na_in=u["Na_in"])
    v, inward, _, _ = cell.vc_family(top=100.0)
    return {
        "v_min": v[int(np.argmin(inward))] * 1e-3,
        "i_min": to_amperes(inward.min(), u),
        "e_early": zero_crossing(v, inward) * 1e-3,
    }


def ttx_driving_force_keys(u):
    tea = 1 - 50.0 / (50.0 + 0.4)  # gK left by 50 mM internal TEA (Kd 0.4 mM)
    ttx = 1 - u["ttx"] / (u["ttx"] + 5.1e-6)  # gNa left by TTX (Kd 5.1 nM; mol/m3)
    control = Squid(6.3, 120.0, 36.0 * tea, na_in=u["Na_in"])
    partial = Squid(6.3, 120.0 * ttx, 36.0 * tea, na_in=u["Na_in"])
    v, inward_control, _, pk_control = control.vc_family(top=100.0)
    _, inward_partial, _, pk_partial = partial.vc_family(top=100.0)
    at0 = int(np.argmin(np.abs(v)))
    return {
        "e_control": zero_crossing(v, pk_control) * 1e-3,
        # the practical's control is the TEA step: only TTX differs between the two
        "fraction": inward_partial[at0] / inward_control[at0],
        "e_ttx": zero_crossing(v, pk_partial) * 1e-3,
    }


def separate_currents_keys(u):
    """With TTX 1 uM (gNa left 5.1 / 1005.1): the steady current at the end of the step to
    +20 mV on the student's patch (A); with internal TEA 50 mM (gK left 0.4 / 50.4): where
    the peak I-V crosses zero (V). The student's gK and bath Na+ (E_Na and the leak's
    reversal follow it)."""
    ttx = 1 - 1000e-6 / (1000e-6 + 5.1e-6)  # mol/m3
    tea = 1 - 50.0 / (50.0 + 0.4)
    with_ttx = Squid(6.3, 120.0 * ttx, u["gK"] / 10.0, na_out=u["Na_out"])
    v, _, _, _ = with_ttx.vc_family()
    with_tea = Squid(6.3, 120.0, u["gK"] / 10.0 * tea, na_out=u["Na_out"])
    _, _, _, pk_tea = with_tea.vc_family()
    at20 = int(np.argmin(np.abs(v - 20.0)))
    return {
        "ik_20": to_amperes(with_ttx.steady[at20], u),
        "ena_measured": zero_crossing(v, pk_tea) * 1e-3,
    }


def na_inactivation_keys(u):
    """The student's temperature and bath K+: the resting potential and h there (1 s at
    zero current), and the recovery half-time of recovery_fine (gaps 0.5-19.5 ms, 1 ms
    apart), interpolated linearly where the test/conditioning ratio crosses 0.5."""
    cell = Squid(u["temp"], 120.0, 36.0, k_out=u["K_out"])
    v_rest, h_rest = cell.rest()
    gaps = np.arange(0.5, 19.6, 1.0)
    frac = cell.recovery(gaps)
    j = int(np.nonzero(frac >= 0.5)[0][0])
    assert j > 0
    return {
        "rest": v_rest * 1e-3,
        "h_rest": h_rest,
        "t_half": float(np.interp(0.5, frac[j - 1 : j + 1], gaps[j - 1 : j + 1])) * 1e-3,
    }


def temperature_keys(u):
    out = {}
    for q, temp in (("cold", u["cold"]), ("warm", u["warm"])):
        cell = Squid(temp, u["gNa"] / 10.0, u["gK"] / 10.0)
        t, v, i, stim = cell.run([(5.0, 1.0, 35.0)], 30.0)  # strong_pulse
        assert len(spikes(t, v, i)) == 1
        hw, peak = half_width(t, v, stim, (5.0, 1.0))
        out[f"hw_{q}"] = hw * 1e-3
        if q == "warm":
            out["peak_warm"] = peak * 1e-3
    return out


def refractory_keys(u):
    cell = Squid(u["temp"], u["gNa"] / 10.0)
    out = {}
    for qid, amp, intervals, tstop in (
        ("absolute", 20.0, np.arange(2.0, 20.5, 1.0), 50.0),
        ("absolute_strong", 100.0, np.arange(2.0, 12.25, 0.5), 30.0),
    ):
        fail = []
        for dt in intervals:
            t, v, i, _ = cell.run([(5.0, 1.0, amp), (5.0 + dt, 1.0, amp)], tstop)
            if len(spikes(t, v, i, t_from=5.0)) < 2:
                fail.append(dt)
        out[qid] = max(fail) * 1e-3

    def fires_twice(amp):
        t, v, i, _ = cell.run([(5.0, 1.0, 20.0), (17.0, 1.0, amp)], 50.0)
        return len(spikes(t, v, i)) >= 2

    out["threshold_12"] = bisect_threshold(fires_twice, 0.0, 80.0) * 1e-2
    return out


# ---------------------------------------------------------------------------- mammalian
def nernst(z, out, inside, t_c):
    return R * (t_c + T0) / (z * F) * math.log(out / inside) * 1e3  # mV


class Cortical:
    """The Pospischil et al. (2008) RS cell of ../pospischil2008 with outside K+ k_out (mM)."""

    DIAM_UM = 61.4

    def __init__(self, k_out):
        e_na = nernst(1, 145.0, 15.0, 37.0)
        e_k0, e_k = nernst(1, 5.0, 140.0, 37.0), nernst(1, k_out, 140.0, 37.0)
        f_k = (-66.0 - e_na) / (e_k0 - e_na)  # share of the leak carried by K+
        self.sec = s = h.Section(name="cortical")
        s.L = s.diam = self.DIAM_UM
        s.nseg = 1
        s.cm = 1.0
        for mech in ("trhh", "imslow", "ihhay", "pas"):
            s.insert(mech)
        seg = s(0.5)
        seg.trhh.ena_fix, seg.trhh.ek_fix, seg.imslow.ek_fix = e_na, e_k, e_k
        seg.ihhay.ghbar, seg.ihhay.eh_fix = 2e-4, -45.0
        seg.pas.g, seg.pas.e = 2.05e-5, f_k * e_k + (1 - f_k) * e_na
        self.area = seg.area() * 1e-8  # cm2

    def steady_current(self, v):
        h.celsius = 37.0
        h.finitialize(v)
        h.fcurrent()
        seg = self.sec(0.5)
        return seg.ina + seg.ik + seg.ihhay.ih + seg.i_pas

    def rest(self):
        """The resting potential (mV): the most negative zero of the steady-state current
        in -100..0 mV at which it turns from inward to outward (a stable voltage; the
        cell can have two more zeros above it, an unstable one and a depolarised one)."""
        vs = np.arange(-100.0, 0.01, 0.05)
        ii = np.array([self.steady_current(x) for x in vs])
        z = np.nonzero((ii[:-1] < 0) & (ii[1:] >= 0))[0]  # inward below, outward above
        assert len(z) >= 1, "no resting potential"
        lo, hi = vs[z[0]], vs[z[0] + 1]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if (self.steady_current(mid) < 0) == (ii[z[0]] < 0):
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def h_inf(self, v):
        h.celsius = 37.0
        h.finitialize(v)
        return self.sec(0.5).trhh.h

    def spike_count(self, amp, v0):
        """hyperk_steps sweep: 300 ms at rest, 200 ms of amp uA/cm2, 100 ms after."""
        h.celsius = 37.0
        seg = self.sec(0.5)
        st = h.IClamp(seg)
        st.delay, st.dur, st.amp = 300.0, 200.0, amp * self.area * 1e3
        tvec, v, ina, ik, ih, il = (h.Vector() for _ in range(6))
        tvec.record(h._ref_t)
        v.record(seg._ref_v)
        ina.record(seg._ref_ina)
        ik.record(seg._ref_ik)
        ih.record(seg.ihhay._ref_ih)
        il.record(seg.pas._ref_i)
        integrate(v0, 600.0)
        i_ion = sum(np.array(x) for x in (ina, ik, ih, il)) * 1e3
        return len(spikes(np.array(tvec), np.array(v), i_ion))


def hyperkalaemia_keys(u):
    out = {}
    for qid, k in (("rest_normal", u["K_normal"]), ("rest_mild", u["K_mild"])):
        out[qid] = Cortical(k).rest() * 1e-3
    mild = Cortical(u["K_mild"])
    out["more_spikes"] = float(mild.spike_count(1.0, out["rest_mild"] * 1e3))
    high = Cortical(u["K_high"])
    v_high = high.rest()
    out["rest_high"] = v_high * 1e-3
    out["h_high"] = high.h_inf(v_high)
    return out


# ---------------------------------------------------------------------------- drugs
def hh_rates(v):
    """HH (1952) rate functions at 6.3 degC (1/ms), v in mV, rest -65 mV."""
    am = 0.1 * (v + 40.0) / (1.0 - math.exp(-(v + 40.0) / 10.0))
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    an = 0.01 * (v + 55.0) / (1.0 - math.exp(-(v + 55.0) / 10.0))
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


#: fraction of gNa and gK left at the drug's default concentration, and inactivation
DRUG = {
    "TTX": (1 - 100e-9 / (100e-9 + 5.1e-9), 1.0, True),
    "TEA": (1.0, 1 - 10.0 / (10.0 + 0.4), True),
    "4-AP": (1.0, 1 - 1.0 / (1.0 + 1.0), True),
    "pronase": (1.0, 1.0, False),
}


def mystery_blocker_keys(u):
    """Steady Iion at the end of the 20 ms step to +40 mV (closed-form steady state) on
    the student's patch."""
    keep_na, keep_k, inactivates = DRUG[u["drug"]]
    v = 40.0
    m, hh_, n = hh_rates(v)
    if not inactivates:
        hh_ = 1.0
    i = (
        u["gNa"] / 10.0 * keep_na * m**3 * hh_ * (v - 50.0)
        + u["gK"] / 10.0 * keep_k * n**4 * (v + 77.0)
        + 0.3 * (v + 54.3)
    )  # uA/cm2 (mS/cm2 * mV)
    return {"ik_remaining": to_amperes(i, u)}


KEYS = {
    "threshold": threshold_keys,
    "temperature": temperature_keys,
    "refractory": refractory_keys,
    "hyperkalaemia": hyperkalaemia_keys,
    "mystery_blocker": mystery_blocker_keys,
    "spike_anatomy": spike_anatomy_keys,
    "na_inactivation": na_inactivation_keys,
    "negative_slope": negative_slope_keys,
    "ttx_driving_force": ttx_driving_force_keys,
    "up_vs_down": up_vs_down_keys,
    "separate_currents": separate_currents_keys,
}


def check_against_vendored_reference():
    """At HH's defaults this script's squid reproduces the vendored NEURON runs
    (``../nrn_e_vclamp.csv``, ``../nrn_a_pulse10_trace.csv``)."""
    with open(HERE.parent / "nrn_e_vclamp.csv", encoding="utf-8") as f:
        ref = {
            float(r["v_step_mV"]): float(r["i_min_mA_cm2"])
            for r in csv.DictReader(f)
            if r["cond"] == "0"
        }
    v, inward, _, _ = Squid().vc_family()
    assert np.allclose(inward * 1e-3, [ref[x] for x in v], atol=2e-3), "VC family"
    with open(HERE.parent / "nrn_a_pulse10_trace.csv", encoding="utf-8") as f:
        peak = max(float(r["v_mV"]) for r in csv.DictReader(f))
    t, vm, _, _ = Squid().run([(5.0, 1.0, 10.0)], 30.0)
    assert abs(vm.max() - peak) < 0.05, (vm.max(), peak)


def main(mods: str, only: tuple[str, ...] = ()):
    """Write every practical's rows, or only those of ``only`` (the others are kept)."""
    import neuron

    neuron.load_mechanisms(mods)
    check_against_vendored_reference()
    kept: dict[str, list[tuple]] = {}
    if only:
        with open(HERE / "practical_keys.csv", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                row = (r["practical"], r["student"], r["unknowns"], r["question"], r["value_si"])
                kept.setdefault(r["practical"], []).append(row)
    rows = []
    for name, students in STUDENTS.items():
        if only and name not in only:
            rows.extend(kept.get(name, []))
            continue
        for sid, u in students.items():
            keys = KEYS[name](u)
            unknowns = ";".join(f"{k}={v}" for k, v in u.items())
            for qid, value in keys.items():
                rows.append((name, sid, unknowns, qid, f"{value:.6g}"))
                print(name, sid, qid, f"{value:.6g}")
    with open(HERE / "practical_keys.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("practical", "student", "unknowns", "question", "value_si"))
        w.writerows(rows)


if __name__ == "__main__":
    import sys

    main(sys.argv[1], tuple(sys.argv[2:]))
