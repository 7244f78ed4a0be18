"""NEURON reference keys for the practicals whose keys need a simulation.

Not part of the test suite: run by hand when a practical's unknowns or settings change,
in an environment with NEURON (``python -m venv /tmp/nrn && /tmp/nrn/bin/pip install
neuron numpy``):

    mkdir -p /tmp/mods && cp tests/data/neuron_reference/pospischil2008/*.mod /tmp/mods
    (cd /tmp/mods && /tmp/nrn/bin/nrnivmodl .)     # the mammalian cell's mechanisms
    cd tests/data/neuron_reference/practical_keys
    /tmp/nrn/bin/python make_practical_keys.py /tmp/mods

Writes ``practical_keys.csv``: one row per practical, student and question, with the
student's unknowns the row was computed for (``tests/practicals/test_practicals_trusted_keys.py``
checks that vlab still draws those unknowns, then compares vlab's keys with the values).

Nothing here comes from vlab except the two students' unknowns (class ``trusted-keys``
with the test's fixed secret), written out below as literals. The models are

- the squid membrane: NEURON's built-in ``hh`` (its rate functions, its Q10 of 3 from
  6.3 degC, E_Na 50 and E_K -77 mV, leak 0.3 mS/cm2 at -54.3 mV), one compartment of
  1e-3 cm2 started at -65 mV with steady-state gates (the squid preparation file's
  ``v_init``), with the student's temperature and channel densities;
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
fixed-step Crank-Nicolson (NEURON's ``secondorder = 2``) with 1 us steps.
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
        "gamma-01": {"cold": 4.0, "warm": 16.5, "gNa": 1060.0, "gK": 390.0},
    },
    "refractory": {
        "alpha-01": {"temp": 10.5, "gNa": 1280.0},
        "gamma-01": {"temp": 7.5, "gNa": 1280.0},
    },
    "hyperkalaemia": {
        "alpha-01": {"K_normal": 4.1, "K_mild": 8.4, "K_high": 29.0},
        "gamma-01": {"K_normal": 3.8, "K_mild": 6.9, "K_high": 26.5},
    },
    "mystery_blocker": {
        "alpha-01": {"drug": "TTX", "gNa": 1280.0, "gK": 340.0},
        "gamma-01": {"drug": "TEA", "gNa": 940.0, "gK": 320.0},
    },
}


def integrate(v0, tstop):
    """Fixed-step Crank-Nicolson from v0 (mV, steady-state gates) to tstop (ms)."""
    h.cvode_active(0)
    h.secondorder = 2
    h.dt = DT
    h.finitialize(v0)
    while h.t < tstop - DT / 2:
        h.fadvance()


# ---------------------------------------------------------------------------- squid
class Squid:
    """One hh compartment; currents in uA/cm2 of stimulus, ms, mV."""

    def __init__(self, celsius=6.3, gna=120.0, gk=36.0):
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
        tvec, v, ina, ik, il = (h.Vector() for _ in range(5))
        tvec.record(h._ref_t)
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
        return t, v, i_ion, stim


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
    """Steady Iion at the end of the 20 ms step to +40 mV (closed-form steady state)."""
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
    return {"ik_remaining": i * SQUID_AREA_CM2 * 1e-6}  # A


KEYS = {
    "threshold": threshold_keys,
    "temperature": temperature_keys,
    "refractory": refractory_keys,
    "hyperkalaemia": hyperkalaemia_keys,
    "mystery_blocker": mystery_blocker_keys,
}


def main(mods: str):
    import neuron

    neuron.load_mechanisms(mods)
    rows = []
    for name, students in STUDENTS.items():
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

    main(sys.argv[1])
