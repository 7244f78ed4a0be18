"""Accuracy of the default integration step over allowed Cm x temperature x gNa settings.

    .venv/bin/python bench/stiffness_sweep.py

Runs the built-in single_pulse protocol on the squid axon at each combination with the
engine's default step (25 us) and with a fine-step reference (0.25 us, 100x smaller), and
prints the peak of each and the largest difference between the two traces. Issue 11's
finding (Cm 0.01 uF/cm2, gNa 1000 mS/cm2, 37 degC peaks far above E_Na, oscillating) is
the last row of the first block. Step-size control that fixes the rows marked INACCURATE is
still to be done (docs/reliability.md).
"""

from __future__ import annotations

import itertools

import numpy as np

from vlab.protocols import load_protocol
from vlab.sim.cell import Cell
from vlab.sim.engine import DEFAULT_DT_MAX, SimulationError, run_protocol

TOLERANCE_MV = 2.0


def trace(protocol, cm: float, temperature: float, gna: float, dt_max: float) -> np.ndarray:
    cell = Cell("squid")
    cell.set("Cm", f"{cm} uF/cm2")
    cell.set("gNa", f"{gna} mS/cm2")
    cell.set("temperature", f"{temperature} degC")
    return run_protocol(cell, protocol, ("Vm",), dt_max=dt_max).data["Vm"][0] * 1e3


def main() -> None:
    protocol = load_protocol("single_pulse")
    bad = total = 0
    print(f"{'Cm uF/cm2':>9} {'T degC':>6} {'gNa':>6} {'peak':>7} {'ref':>7} {'max|dV|':>8}")
    for cm, temp, gna in itertools.product([0.01, 0.1, 1.0, 10.0], [6.3, 20, 37], [120, 1000]):
        total += 1
        try:
            a = trace(protocol, cm, temp, gna, DEFAULT_DT_MAX)
            ref = trace(protocol, cm, temp, gna, DEFAULT_DT_MAX / 100)
        except SimulationError as exc:
            print(f"{cm:9g} {temp:6g} {gna:6g}  refused: {exc}")
            continue
        err = float(np.abs(a - ref).max())
        flag = "" if err <= TOLERANCE_MV else "  INACCURATE"
        bad += bool(flag)
        print(f"{cm:9g} {temp:6g} {gna:6g} {a.max():7.1f} {ref.max():7.1f} {err:8.2f}{flag}")
    print(f"\n{bad} of {total} settings differ from the fine-step reference by > {TOLERANCE_MV} mV")


if __name__ == "__main__":
    main()
