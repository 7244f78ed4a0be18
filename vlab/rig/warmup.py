"""Compile the numba kernels into the per-user cache ahead of the first start.

``python -m vlab.rig.warmup`` (run by ``scripts/setup-env`` after installing, and by the
bundle build) runs the smallest simulations that reach every kernel the rig and the axon
bench use: gap-free current clamp, a voltage-clamp episode and a short cable sweep. numba
writes the machine code to its cache (``vlab.sim.jit``), so a student's first start loads
it instead of compiling (docs/performance.md, "Start-up").
"""

from __future__ import annotations

import sys
import time

__all__ = ["warm_kernels", "main"]


def warm_kernels(axon: bool = True) -> dict[str, float]:
    """Run one of each kind of simulation; returns the seconds each took."""
    from vlab.protocols import load_protocol
    from vlab.rig import ClampMode, Rig
    from vlab.rig.simulator import RigSimulator

    took: dict[str, float] = {}
    t0 = time.perf_counter()
    rig = Rig("squid")
    sim = RigSimulator(rig)
    sim.step(0.002)  # gap-free current clamp, as at start-up
    took["current clamp"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rig.set_mode(ClampMode.VC)
    protocol = load_protocol("vc_step_family").with_changes(sweeps=1)
    sim.run_episode(protocol)
    took["voltage clamp"] = time.perf_counter() - t0
    if axon:
        from vlab.rig.axon_bench import AxonSetup, PulseStimulus, run_pulse

        t0 = time.perf_counter()
        cable = AxonSetup("squid_axon").build()
        run_pulse(cable, PulseStimulus(amplitude=1e-6, duration=1e-4, sweep=1e-3))
        took["axon"] = time.perf_counter() - t0
    return took


def main(argv: list[str] | None = None) -> int:
    took = warm_kernels()
    for name, seconds in took.items():
        print(f"{name}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
