"""Conduction velocity of the myelinated fibre against fibre diameter, at 37 degC, against
Hursh's (1939) line of about 6 m/s per um.

The fibre is the ``myelinated_axon`` preparation scaled by the rule its 10 um default
follows (McIntyre et al. 2002): axon diameter 0.69 D, internode 115 D, 12 D lamellae. Prints
the table in docs/validation.md and draws docs/screenshots/fibre_velocity.png. Run:
``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/fibre_velocity.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vlab.sim.cable import Axon, conduction_velocity

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "fibre_velocity.png"
HURSH = 6.0  # m/s per um of fibre diameter


def fibre(d_um: float, dt: float | None = None) -> tuple[float, float]:
    """(velocity m/s, nodal spike peak mV) of a fibre of diameter ``d_um`` um."""
    ax = Axon("myelinated_axon")
    ax.set("diameter", f"{0.69 * d_um} um")
    ax.set("internode_length", f"{115 * d_um} um")
    ax.set("myelin_lamellae", 12 * d_um)
    step = dt or ax.default_dt()
    n = round(1.5e-3 / step)
    cmd = np.zeros((1, n))
    cmd[0, round(0.05e-3 / step) : round(0.15e-3 / step)] = 10e-9
    r = ax.run(command=cmd, sample_interval=step, record={"a": 0.005, "b": 0.015}, dt_max=dt)
    v = conduction_velocity(r.t, r.traces["a"][0], r.traces["b"][0], r.sites["a"], r.sites["b"])
    return v, float(r.traces["b"][0].max() * 1e3)


def main() -> None:
    diam = np.array([4, 6, 8, 10, 12, 14, 16, 20])
    res = [fibre(d) for d in diam]
    v = np.array([x[0] for x in res])
    print("| fibre diameter (um) | velocity (m/s) | m/s per um | Hursh 6 x D | nodal peak (mV) |")
    print("|---|---|---|---|---|")
    for d, (vel, peak) in zip(diam, res, strict=True):
        print(f"| {d} | {vel:.1f} | {vel / d:.2f} | {HURSH * d:.0f} | {peak:+.1f} |")

    import pyqtgraph as pg
    from figures import figure_window, save_png  # bench/ is the script\'s folder

    win = figure_window(640, 440)
    p = win.addPlot(title="Myelinated fibre at 37 °C: velocity against fibre diameter")
    p.addLegend(offset=(10, 10))
    dd = np.linspace(0, 22, 50)
    p.plot(dd, HURSH * dd, pen=pg.mkPen("#0072B2", width=2), name="Hursh (1939): 6 m/s per µm")
    p.plot(diam, v, pen=None, symbol="o", symbolBrush="#D55E00", symbolSize=9, name="vlab")
    p.setLabel("bottom", "fibre diameter (µm)")
    p.setLabel("left", "conduction velocity (m/s)")
    p.showGrid(x=True, y=True, alpha=0.3)
    save_png(win, OUT)


if __name__ == "__main__":
    main()
