"""Generate NEURON reference traces for vlab's mammalian preparation (Pospischil et al. 2008).

Not part of the test suite: run by hand when the reference is to be remade, in a throw-away
environment with NEURON (``python -m venv /tmp/nrn && /tmp/nrn/bin/pip install neuron numpy``):

    cd tests/data/neuron_reference/pospischil2008
    nrnivmodl .                      # compiles traub_hh.mod, im_slow.mod and ih_hay.mod
    /tmp/nrn/bin/python make_reference.py

The model is written here and in the two .mod files from the paper, not from vlab: one
isopotential compartment (L = d = 61.4 um), Cm 1 uF/cm2, at 37 degC with the rates given
at 36 degC (Q10 3 for Na/Kd, 2.3 for M), gNa 56, gKd 6, gM 0.075, gleak 0.0205 mS/cm2,
VT -56.2 mV, tau_max 608 ms (regular-spiking cell, Pospischil et al. 2008 table 1 / fig. 2),
plus the somatic Ih vlab adds (0.2 mS/cm2, E_h -45 mV; Kole et al. 2006 rates as in Hay et
al. 2011).
vlab's solutions (Na 145/15, K 5/140 mM) give E_Na and E_K by Nernst at 37 degC; its leak
reverses at E_L = -66 mV. Integration: CVODE, atol 1e-9 (states), rtol 1e-9.

Writes ``cc_trace.npz`` (current clamp), ``cc_spikes.csv``, ``vc_family.npz`` (ideal-as-
possible voltage clamp) and prints the resting potential.
"""

from __future__ import annotations

import math

import numpy as np
from neuron import h

h.load_file("stdrun.hoc")

CELSIUS = 37.0
N_A, K_B, E_CHARGE = 6.02214076e23, 1.380649e-23, 1.602176634e-19  # CODATA 2018
RT_F_MV = N_A * K_B * (CELSIUS + 273.15) / (N_A * E_CHARGE) * 1e3
E_NA = RT_F_MV * math.log(145.0 / 15.0)
E_K = RT_F_MV * math.log(5.0 / 140.0)
E_L = -66.0
DIAM_UM = 61.4
AREA_CM2 = math.pi * DIAM_UM * DIAM_UM * 1e-8  # lateral surface, L = d

# current clamp: a 2 ms pulse (one spike) and a long step (adapting train), uA/cm2
CC_PULSE = (20.0, 2.0, 20.0)  # start ms, duration ms, amplitude uA/cm2
CC_STEP = (100.0, 400.0, 4.0)
CC_TSTOP = 600.0
CC_DT_OUT = 0.05  # ms between stored samples
# voltage clamp: hold -70 mV, 50 ms steps to -90 .. +30 mV
VC_HOLD, VC_T_ON, VC_T_STEP, VC_T_OFF = -70.0, 10.0, 50.0, 20.0
VC_LEVELS = np.arange(-90.0, 31.0, 10.0)
VC_DT_OUT = 0.05


def build():
    soma = h.Section(name="soma")
    soma.L = soma.diam = DIAM_UM
    soma.nseg = 1
    soma.cm = 1.0
    soma.insert("trhh")
    soma.insert("imslow")
    soma.insert("ihhay")
    soma.insert("pas")
    seg = soma(0.5)
    seg.trhh.ena_fix = E_NA
    seg.trhh.ek_fix = E_K
    seg.imslow.ek_fix = E_K
    seg.ihhay.ghbar = 2e-4
    seg.ihhay.eh_fix = -45.0
    seg.pas.g = 2.05e-5
    seg.pas.e = E_L
    h.celsius = CELSIUS
    return soma


def steady_current(soma, v):
    """Steady-state ionic current density (mA/cm2) at v (mV): gates at steady state."""
    h.finitialize(v)
    h.fcurrent()
    seg = soma(0.5)
    return seg.ina + seg.ik + seg.ihhay.ih + seg.i_pas


def resting_potential(soma):
    lo, hi = -80.0, -60.0
    assert steady_current(soma, lo) < 0 < steady_current(soma, hi)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if steady_current(soma, mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def use_cvode():
    cv = h.CVode()
    cv.active(1)
    cv.atol(1e-9)
    cv.rtol(1e-9)
    return cv


def run_cc(soma, v_rest):
    seg = soma(0.5)
    stims = []
    for start, dur, amp in (CC_PULSE, CC_STEP):
        st = h.IClamp(seg)
        st.delay, st.dur, st.amp = start, dur, amp * AREA_CM2 * 1e3  # uA/cm2 -> nA
        stims.append(st)
    tvec = h.Vector(np.arange(0.0, CC_TSTOP + CC_DT_OUT / 2, CC_DT_OUT))
    recs = {}
    for name, ref in (
        ("v_mV", seg._ref_v),
        ("m", seg.trhh._ref_m),
        ("h", seg.trhh._ref_h),
        ("n", seg.trhh._ref_n),
        ("p", seg.imslow._ref_p),
        ("q", seg.ihhay._ref_q),
    ):
        vec = h.Vector()
        vec.record(ref, tvec)
        recs[name] = vec
    spikes = h.Vector()
    nc = h.NetCon(seg._ref_v, None, sec=soma)
    nc.threshold = 0.0
    nc.record(spikes)
    use_cvode()
    h.finitialize(v_rest)
    h.continuerun(CC_TSTOP + 1.0)  # past the last sample time, so every sample is taken
    out = {"t_ms": np.array(tvec)}
    out.update({k: np.array(v)[: len(tvec)] for k, v in recs.items()})
    assert all(len(v) == len(tvec) for v in out.values())
    return out, np.array(spikes)


def run_vc(soma, level):
    seg = soma(0.5)
    clamp = h.SEClamp(seg)
    clamp.rs = 1e-5  # megohm: tau = rs * C = 1e-5 MOhm * 118 pF = 1.2 ns, far below a gate
    clamp.dur1, clamp.amp1 = VC_T_ON, VC_HOLD
    clamp.dur2, clamp.amp2 = VC_T_STEP, level
    clamp.dur3, clamp.amp3 = VC_T_OFF, VC_HOLD
    tstop = VC_T_ON + VC_T_STEP + VC_T_OFF
    tvec = h.Vector(np.arange(0.0, tstop + VC_DT_OUT / 2, VC_DT_OUT))
    recs = {}
    for name, ref in (
        ("v", seg._ref_v),
        ("gna", seg.trhh._ref_gna),
        ("gk", seg.trhh._ref_gk),
        ("gm", seg.imslow._ref_gm),
        ("gh", seg.ihhay._ref_gh),
    ):
        vec = h.Vector()
        vec.record(ref, tvec)
        recs[name] = vec
    use_cvode()
    h.finitialize(VC_HOLD)
    h.continuerun(tstop + 1.0)
    res = {k: np.array(v)[: len(tvec)] for k, v in recs.items()}
    assert all(len(v) == len(tvec) for v in res.values())
    del clamp
    return np.array(tvec), res


def main():
    soma = build()
    v_rest = resting_potential(soma)
    print(f"E_Na {E_NA:.4f} mV, E_K {E_K:.4f} mV, rest {v_rest:.5f} mV, area {AREA_CM2:.6g} cm2")
    cc, spikes = run_cc(soma, v_rest)
    np.savez_compressed(
        "cc_trace.npz", **{k: v.astype(np.float32) for k, v in cc.items()}, v_rest_mV=v_rest
    )
    np.savetxt("cc_spikes.csv", spikes, fmt="%.4f", header="spike_time_ms (upward 0 mV)")
    print(f"{len(spikes)} spikes: {np.round(spikes, 3)}")
    fam = {}
    for level in VC_LEVELS:
        t, res = run_vc(soma, float(level))
        during = (t > VC_T_ON + 0.01) & (t < VC_T_ON + VC_T_STEP - 0.01)
        v_err = np.max(np.abs(res["v"][during] - level))
        print(
            f"VC {level:+.0f} mV: peak gNa {res['gna'].max() * 1e3:.4f} mS/cm2, "
            f"clamp error {v_err:.1e} mV"
        )
        for k in ("gna", "gk", "gm", "gh"):
            fam[f"{k}_{int(level)}"] = (res[k] * 1e3).astype(np.float32)  # mS/cm2
    np.savez_compressed(
        "vc_family.npz",
        t_ms=t,
        levels_mV=VC_LEVELS,
        hold_mV=VC_HOLD,
        t_on_ms=VC_T_ON,
        t_step_ms=VC_T_STEP,
        **fam,
    )


if __name__ == "__main__":
    main()
