"""Cable benchmark: 100 ms of a 1000-compartment HH squid axon at dt = 0.025 ms,
vlab against NEURON 9 on the same work, side by side (``bash bench/run.sh``).

Axon: HH 1952 squid axon, diameter 476 um, Ri 35.4 ohm cm, 18.5 degC, 5 cm in 1000
compartments, a 0.2 ms 20 uA stimulus at one end. Also reports the conduction velocity each
run measures between 2 and 4 cm (converged value of the model: 18.74 m/s).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from vlab.sim.cable import Axon, conduction_velocity

DT = 25e-6
T_END = 100e-3


def median_time(fn, repeats=5):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def vlab_run():
    ax = Axon("squid_axon")
    n = round(T_END / DT)
    cmd = np.zeros((1, n))
    cmd[0, round(1e-3 / DT) : round(1.2e-3 / DT)] = 20e-6
    return lambda: ax.run(command=cmd, sample_interval=DT, record={"a": 0.02, "b": 0.04}, dt_max=DT)


def neuron_run():
    from neuron import h

    h.load_file("stdrun.hoc")
    sec = h.Section(name="axon")
    sec.L, sec.diam, sec.nseg, sec.Ra = 5e4, 476.0, 1000, 35.4
    sec.insert("hh")
    h.celsius = 18.5
    stim = h.IClamp(sec(0.0005))
    stim.delay, stim.dur, stim.amp = 1.0, 0.2, 20e3  # nA
    h.dt = 0.025
    va, vb, tv = h.Vector(), h.Vector(), h.Vector()
    va.record(sec(0.4)._ref_v)
    vb.record(sec(0.8)._ref_v)
    tv.record(h._ref_t)
    pc = h.ParallelContext()
    pc.set_maxstep(10)

    def run():
        h.finitialize(-65)
        pc.psolve(T_END * 1e3)
        return np.array(tv) * 1e-3, np.array(va) * 1e-3, np.array(vb) * 1e-3

    run._keep = (sec, stim, va, vb, tv)  # keep NEURON objects alive
    return run


def main() -> int:
    run = vlab_run()
    tv = median_time(run)
    r = run()
    cv_v = conduction_velocity(r.t, r.traces["a"][0], r.traces["b"][0], r.sites["a"], r.sites["b"])
    print("100 ms of a 1000-compartment squid axon, dt 0.025 ms")
    print(f"   vlab   (staggered CN, tabulated exact rates): {tv:.3f} s   velocity {cv_v:.3f} m/s")
    try:
        nrun = neuron_run()
    except ImportError:
        print("   NEURON not installed in this environment")
        return 0
    tn = median_time(nrun)
    t, a, b = nrun()
    cv_n = conduction_velocity(t, a, b, 0.02, 0.04)
    print(f"   NEURON (backward Euler, rate tables):         {tn:.3f} s   velocity {cv_n:.3f} m/s")
    print(
        f"   ratio NEURON / vlab wall time: {tn / tv:.2f}x (>1 means vlab is faster); "
        f"converged velocity 18.74 m/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
