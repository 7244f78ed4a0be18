"""Accuracy of the engine's step-size control over allowed settings (issue 11 item 4).

    .venv/bin/python bench/stiffness_sweep.py            # the full sweep, a few minutes
    .venv/bin/python bench/stiffness_sweep.py --quick    # the squid block only

Each setting runs one 1 ms current pulse 5 ms into a 30 ms sweep sampled every 10 us
(the built-in single_pulse protocol; a stronger pulse for preparations it does not fire)
twice: with the engine as a user gets it (step-size control on) and with the old fixed
25 us step (``before``). Both are compared with a fine-step reference (at most 10 ns and a
tenth of the controlled step, sampled every 0.1 us; its own convergence is printed as
``ref±``, the difference from a run at twice its step).

Tolerance (the "tube" of regression comparisons of ODE solvers): every sample must lie
within TOL_MV of the reference trace somewhere within +/- TOL_T of its time. At
Cm 0.01 uF/cm2 an upstroke crosses 100 mV in well under a microsecond, so a pure vertical
tolerance would demand nanosecond spike timing that no 10 us sample can show.

Verdicts, one row per setting, then a summary:

- ``accurate``: within the tolerance;
- ``refused``: the engine refuses the settings (TooStiffError, with the reason);
- ``sensitive``: outside the tube, but by less than the reference itself moves when the
  pulse is 1 % stronger (the resolution of a real stimulator): the trace is
  ill-conditioned there (e.g. a late spike near threshold), and the integration error is
  smaller than the problem's own uncertainty;
- ``implausible``: Vm leaves the range a living cell can reach (engine.PLAUSIBLE_V); every
  such run carries a note saying these are the model's values, not a cell's;
- ``INACCURATE``: none of these (the exit status is then 1).

Figures are recorded in docs/validation.md.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from vlab.sim import engine
from vlab.sim.cell import Cell
from vlab.sim.engine import Membrane, TooStiffError, accuracy_step

TOL_MV = 1.0
TOL_T = 0.5e-6  # s
SAMPLE = 10e-6  # s, the protocol's sample interval
FINE = 0.1e-6  # s, the reference's sample interval
UA_CM2 = 1e-2  # A/m^2


def command(cell: Cell, amplitude_ua_cm2: float, dt: float) -> np.ndarray:
    """0 for 5 ms, the pulse for 1 ms, 0 until 30 ms; one value per sample plus the last."""
    n = round(30e-3 / dt)
    cmd = np.zeros(n + 1)
    cmd[round(5e-3 / dt) : round(6e-3 / dt)] = amplitude_ua_cm2 * UA_CM2 * cell.values["area"]
    return cmd


def trace(cell: Cell, amplitude: float, sample: float, dt_max: float) -> np.ndarray:
    """Vm (mV) at every sample including t = 0."""
    mem = Membrane(cell, dt_max=max(dt_max, 1e-8))
    mem.dt_max = dt_max  # the reference may go below the user's 10 ns limit
    v0 = mem.state[0, 0]
    v = mem.advance("current-clamp", command(cell, amplitude, sample), sample, ("Vm",))
    return np.concatenate([[v0], v["Vm"][0] * 1e3])


def fixed_step_trace(cell: Cell, amplitude: float) -> np.ndarray:
    """The engine before step-size control: the fixed default step."""
    saved = engine.ACCURACY_K
    engine.ACCURACY_K = float("inf")
    try:
        return trace(cell, amplitude, SAMPLE, engine.DEFAULT_DT_MAX)
    finally:
        engine.ACCURACY_K = saved


def tube_error(v: np.ndarray, fine: np.ndarray) -> float:
    """How far (mV) samples ``v`` leave the tube of half-width TOL_T around ``fine``."""
    k = round(TOL_T / FINE)
    ratio = round(SAMPLE / FINE)
    padded = np.concatenate([np.full(k, fine[0]), fine, np.full(k, fine[-1])])
    win = sliding_window_view(padded, 2 * k + 1)[::ratio][: len(v)]
    lo, hi = win.min(axis=1), win.max(axis=1)
    return float(np.maximum(np.maximum(lo - v, v - hi), 0.0).max())


def cell_for(prep: str, cm: float, temperature: float, gna: float) -> Cell:
    cell = Cell(prep)
    cell.set("Cm", f"{cm} uF/cm2")
    cell.set("temperature", f"{temperature} degC")
    cell.set("gNa", f"{gna} mS/cm2")
    return cell


#: (preparation, pulse uA/cm2, Cm values, temperatures, gNa values)
BLOCKS = [
    ("squid", 10.0, [0.01, 0.1, 1, 10, 100], [-5, 6.3, 20, 37, 50], [120, 1000, 3000]),
    ("mammalian", 100.0, [0.01, 0.1, 1, 10], [6.3, 20, 37, 50], [56, 1000]),
    ("myelinated_axon", 1000.0, [0.25, 2.5, 25], [20, 37, 50], [1445, 3000]),
]


def main(argv: list[str]) -> int:
    blocks = BLOCKS[:1] if "--quick" in argv else BLOCKS
    counts = dict.fromkeys(["accurate", "refused", "sensitive", "implausible", "INACCURATE"], 0)
    worst = 0.0
    print(
        f"{'preparation':15} {'Cm':>6} {'T':>5} {'gNa':>5} {'step us':>8} {'peak':>6} "
        f"{'ref':>6} {'ref±':>6} {'error':>6} {'before':>7}  verdict"
    )
    for prep, amp, cms, temps, gnas in blocks:
        for cm, temp, gna in itertools.product(cms, temps, gnas):
            cell = cell_for(prep, cm, temp, gna)
            head = f"{prep:15} {cm:6g} {temp:5g} {gna:5g}"
            try:
                v = trace(cell, amp, SAMPLE, engine.DEFAULT_DT_MAX)
            except TooStiffError as exc:
                counts["refused"] += 1
                print(f"{head} refused: {str(exc).split(':')[0]}")
                continue
            step = min(engine.DEFAULT_DT_MAX, accuracy_step(cell.kernel_params()))
            dt_ref = min(10e-9, step / 10)
            ref = trace(cell, amp, FINE, dt_ref)
            ref2 = trace(cell, amp, FINE, 2 * dt_ref)
            conv = float(np.abs(ref - ref2).max())
            err = tube_error(v, ref)
            before = tube_error(fixed_step_trace(cell, amp), ref)
            verdict = "accurate"
            if err > TOL_MV:
                stronger = trace(cell, 1.01 * amp, FINE, dt_ref)[:: round(SAMPLE / FINE)]
                lo, hi = (x * 1e3 for x in engine.PLAUSIBLE_V)
                if err < tube_error(stronger, ref):
                    verdict = "sensitive"
                elif v.max() > hi or v.min() < lo:
                    verdict = "implausible"
                else:
                    verdict = "INACCURATE"
            else:
                worst = max(worst, err)
            counts[verdict] += 1
            print(
                f"{head} {step * 1e6:8.3f} {v.max():6.1f} {ref.max():6.1f} {conv:6.3f} "
                f"{err:6.3f} {before:7.2f}  {verdict}",
                flush=True,
            )
    total = sum(counts.values())
    print(
        f"\n{total} settings: {counts['accurate']} accurate (worst {worst:.3f} mV), "
        f"{counts['refused']} refused, {counts['sensitive']} sensitive, "
        f"{counts['implausible']} implausible, {counts['INACCURATE']} inaccurate; tolerance "
        f"{TOL_MV:g} mV within +/-{TOL_T * 1e6:g} us of the fine-step reference"
    )
    return 1 if counts["INACCURATE"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
