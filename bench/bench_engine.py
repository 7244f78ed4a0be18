"""Engine benchmarks: vlab against NEURON 9 on the same work, side by side in one run.

Run with ``bash bench/run.sh`` (it makes ``.venv-bench`` with vlab and NEURON; NEURON is
never a dependency of vlab itself). Prints wall times (median of repeats), ratios and
accuracy, and the scaling of cost with sweeps and with simulated time. Results are
recorded in docs/performance.md.

Workloads
---------
A. 1 s of the HH squid membrane (1e-6 cm2, 6.3 degC) with 10 uA/cm2 from t = 0.
   vlab: its defaults (staggered Crank-Nicolson, dt = 25 us, exact rates).
   NEURON: its defaults (backward Euler, dt = 0.025 ms, rate tables) and secondorder=2.
   Accuracy: time of the last spike in the first second against a converged solution
   (vlab at dt = 1 us, cross-checked against NEURON's CVODE at atol = 1e-8 when NEURON is
   available).
B. The 17-sweep voltage-clamp family (30 ms each, 10 us sampling): compute time.
C. Cost against number of sweeps and against simulated time.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from vlab.protocols import load_protocol
from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane, run_protocol

REPEATS = 7
UA_CM2 = 1e-2  # A/m^2


def median_time(fn, repeats=REPEATS):
    fn()  # warm-up (compilation, caches)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def last_spike(t, v):
    k = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    return len(k), t[k[-1]] + (0 - v[k[-1]]) / (v[k[-1] + 1] - v[k[-1]]) * (t[k[-1] + 1] - t[k[-1]])


def vlab_squid_second(dt):
    cell = Cell("squid")
    cell.set("area", "1e-6 cm2")
    n = round(1.0 / dt)
    cmd = np.full(n + 1, 10 * UA_CM2 * cell.values["area"])

    def run():
        mem = Membrane(cell, dt_max=dt)
        return mem.advance("current-clamp", cmd, dt, ("Vm",))["Vm"][0]

    return run, np.arange(1, n + 1) * dt * 1e3


def neuron_squid_second(secondorder=0, cvode=False, tables=True):
    from neuron import h

    h.load_file("stdrun.hoc")
    sec = h.Section(name="soma")
    d = (1e-6 / np.pi) ** 0.5 * 1e4  # um: pi*d*L = 1e-6 cm2 with L = d
    sec.L = sec.diam = d
    sec.nseg = 1
    sec.insert("hh")
    h.usetable_hh = 1 if tables else 0
    h.celsius = 6.3
    stim = h.IClamp(sec(0.5))
    stim.delay, stim.dur = 0, 1e9
    stim.amp = 10e-6 * 1e-6 * 1e9  # 10 uA/cm2 * 1e-6 cm2 in nA
    h.dt = 0.025
    h.secondorder = secondorder
    cv = h.CVode()
    cv.active(1 if cvode else 0)
    if cvode:
        cv.atol(1e-8)
        cv.rtol(1e-8)
    vvec, tvec = h.Vector(), h.Vector()
    pc = h.ParallelContext()
    pc.set_maxstep(10)

    def run(record=False):
        if record:
            vvec.record(sec(0.5)._ref_v)
            tvec.record(h._ref_t)
        h.finitialize(-65)
        pc.psolve(1000)  # NEURON's own integration loop, no run-control overhead
        if record:
            return np.array(tvec), np.array(vvec)

    return run, (sec, stim, vvec, tvec)


def main() -> int:
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    # ---------------- A: accuracy reference
    ref_run, t_ref = vlab_squid_second(1e-6)
    n_ref, last_ref = last_spike(t_ref, ref_run() * 1e3)
    print(
        f"\nA. 1 s of squid membrane at 10 uA/cm2; converged reference (vlab dt=1 us): "
        f"{n_ref} spikes, last at {last_ref:.4f} ms"
    )
    rows = []
    run, t = vlab_squid_second(25e-6)
    tv = median_time(run)
    n, last = last_spike(t, run() * 1e3)
    rows.append(("vlab default (CN staggered, dt 25 us)", tv, n, last - last_ref))
    try:
        import neuron  # noqa: F401

        have_neuron = True
    except ImportError:
        have_neuron = False
        print("   NEURON not installed in this environment: vlab-only figures follow")
    if have_neuron:
        for label, kw in (
            ("NEURON default (backward Euler, dt 0.025 ms)", {}),
            ("NEURON secondorder=2 (dt 0.025 ms)", {"secondorder": 2}),
        ):
            nrun, _ = neuron_squid_second(**kw)
            tn = median_time(nrun)
            tt, vv = nrun(record=True)
            n, last = last_spike(tt, vv)
            rows.append((label, tn, n, last - last_ref))
        crun, _ = neuron_squid_second(cvode=True, tables=False)
        tt, vv = crun(record=True)
        n_cv, last_cv = last_spike(tt, vv)
        print(
            f"   cross-check: NEURON CVODE (exact rates, tol 1e-8) last spike {last_cv:.4f} ms "
            f"({n_cv} spikes), differs from the reference by {last_cv - last_ref:+.4f} ms"
        )
    print(f"   {'method':48s} {'wall (ms)':>10s} {'spikes':>7s} {'last-spike error (ms)':>22s}")
    for label, tw, n, err in rows:
        print(f"   {label:48s} {tw * 1e3:10.2f} {n:7d} {err:+22.4f}")
    if have_neuron:
        print(
            f"   ratio NEURON default / vlab default wall time: {rows[1][1] / rows[0][1]:.2f}x "
            "(>1 means vlab is faster)"
        )

    # ---------------- B: VC family
    cell = Cell("squid")
    proto = load_protocol("vc_step_family")
    tb = median_time(lambda: run_protocol(cell, proto))
    tb_v = median_time(lambda: run_protocol(cell, proto, variables=("Vm", "Im")))
    print(
        f"\nB. 17-sweep VC family (30 ms, 10 us sampling): {tb * 1e3:.2f} ms recording every "
        f"variable, {tb_v * 1e3:.2f} ms recording Vm and Im (target < 20 ms)"
    )

    # ---------------- C: scaling
    print("\nC. Cost scaling (current clamp, 10 uA/cm2, dt 25 us, Vm only)")
    cell = Cell("squid")
    amp = 10 * UA_CM2 * cell.values["area"]
    base = None
    for sweeps in (1, 4, 16, 64):
        cmd = np.full((sweeps, 4001), amp)  # 100 ms
        tm = median_time(
            lambda: Membrane(cell, sweeps).advance("current-clamp", cmd, 25e-6, ("Vm",)),  # noqa: B023
            5,
        )
        base = base or tm
        print(
            f"   {sweeps:3d} sweeps x 100 ms: {tm * 1e3:8.2f} ms  ({tm / base:5.1f}x one sweep, "
            f"{tm / sweeps * 1e3:.2f} ms per sweep)"
        )
    base = None
    for dur in (0.1, 1.0, 10.0):
        n = round(dur / 25e-6)
        cmd = np.full((1, n + 1), amp)
        tm = median_time(lambda: Membrane(cell).advance("current-clamp", cmd, 25e-6, ("Vm",)), 3)  # noqa: B023
        base = base or tm
        print(
            f"   {dur:5.1f} s simulated: {tm * 1e3:8.2f} ms  ({tm / base:6.1f}x the 0.1 s run; "
            f"{dur / tm:,.0f}x real time)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
