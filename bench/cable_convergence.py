"""Conduction velocity of the HH 1952 squid axon against dx and dt (table for
docs/validation.md). Velocity between 2 and 4 cm of a 5 cm axon stimulated at one end."""

from __future__ import annotations

import numpy as np

from vlab.sim.cable import Axon, conduction_velocity


def cv(dx: float, dt: float) -> float:
    ax = Axon("squid_axon")
    ax.set("dx", dx)
    n = round(8e-3 / dt)
    cmd = np.zeros((1, n))
    cmd[0, round(0.5e-3 / dt) : round(0.7e-3 / dt)] = 20e-6
    r = ax.run(command=cmd, sample_interval=dt, record={"a": 0.02, "b": 0.04}, dt_max=dt)
    return conduction_velocity(r.t, r.traces["a"][0], r.traces["b"][0], r.sites["a"], r.sites["b"])


def main() -> None:
    dts = (50e-6, 25e-6, 10e-6, 5e-6, 2.5e-6)
    print("| dx \\ dt | " + " | ".join(f"{d * 1e6:g} us" for d in dts) + " |")
    print("|---" * (len(dts) + 1) + "|")
    for dx in (200e-6, 100e-6, 50e-6, 25e-6):
        print(f"| {dx * 1e6:g} um | " + " | ".join(f"{cv(dx, d):.3f}" for d in dts) + " |")


if __name__ == "__main__":
    main()
