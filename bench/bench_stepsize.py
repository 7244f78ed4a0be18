"""What step-size control costs at the default settings, against the engine without it.

    .venv/bin/python bench/bench_stepsize.py

The control adds one thing per ``Membrane.advance`` call in current clamp: the estimate of
the fastest rates (``kernel.fastest_rates``, 161 rate evaluations) and the step it implies;
at the defaults the step stays at 25 us, so the integration itself is unchanged. The
baseline is the same engine with that estimate replaced by "no limit" (the code before the
control), timed in the same run, interleaved (alternating which goes first), median of
REPEATS. Workloads:

A. 1 s of the squid membrane at 10 uA/cm2 in one call (25 us samples; bench_engine.py A).
B. The same second streamed in 10 ms chunks, as the GUI's worker does (100 calls).
C. The mammalian cell, 500 ms of 0.4 nA in 10 ms chunks (10 us samples).

Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np

from vlab.sim import engine
from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane

REPEATS = 31


def streamed(prep: str, amp: float, seconds: float, sample: float, chunk: float):
    cell = Cell(prep)
    n = round(seconds / sample)
    cmd = np.full(n + 1, amp)
    per = round(chunk / sample)

    def run():
        mem = Membrane(cell)
        for i in range(0, n, per):
            mem.advance("current-clamp", cmd[i : i + per + 1], sample, ("Vm",))

    return run


def without_control(fn):
    """``fn`` with the accuracy step replaced by no limit (the engine before the control)."""

    def run():
        saved = engine.check_accuracy_step
        engine.check_accuracy_step = lambda cell, P: math.inf
        try:
            fn()
        finally:
            engine.check_accuracy_step = saved

    return run


def compare(fn) -> tuple[float, float]:
    base = without_control(fn)
    fn(), base()  # compile, warm caches
    t_new, t_old = [], []
    pairs = [(fn, t_new), (base, t_old)]
    for i in range(REPEATS):
        for f, ts in pairs if i % 2 else pairs[::-1]:  # alternate which goes first
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
    return statistics.median(t_new), statistics.median(t_old)


def main() -> None:
    squid_amp = 10e-2 * Cell("squid").values["area"]  # 10 uA/cm2 in A
    work = {
        "A squid 1 s, one call": streamed("squid", squid_amp, 1.0, 25e-6, 1.0),
        "B squid 1 s, 10 ms chunks": streamed("squid", squid_amp, 1.0, 25e-6, 10e-3),
        "C mammalian 0.5 s, 10 ms chunks": streamed("mammalian", 0.4e-9, 0.5, 10e-6, 10e-3),
    }
    print(f"{'workload':34} {'with control':>13} {'without':>9} {'ratio':>6}")
    for name, fn in work.items():
        new, old = compare(fn)
        print(f"{name:34} {new * 1e3:10.2f} ms {old * 1e3:6.2f} ms {new / old:6.3f}")
    P = Cell("squid").kernel_params()
    engine.kernel.fastest_rates(P)
    t0 = time.perf_counter()
    for _ in range(1000):
        engine.accuracy_step(P)
    print(f"accuracy_step: {(time.perf_counter() - t0) * 1e3:.1f} us per call")


if __name__ == "__main__":
    main()
