"""Conduction velocity against diameter and temperature for the HH squid axon.

Prints both tables and draws docs/screenshots/cv_scaling.png (pyqtgraph, offscreen):
velocity against diameter with the sqrt(d) law through the 476 um point, and velocity
against temperature up to heat block (where the spike no longer reaches the far site). Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/cable_scaling.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vlab.sim.cable import Axon, conduction_velocity

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "cv_scaling.png"


def cv(diameter_um=476.0, temperature=18.5, dt=10e-6):
    ax = Axon("squid_axon")
    ax.set("diameter", f"{diameter_um} um")
    ax.set("temperature", f"{temperature} degC")
    total = 20e-3 if temperature < 12 else 10e-3
    n = round(total / dt)
    cmd = np.zeros((1, n))
    cmd[0, round(0.5e-3 / dt) : round(0.7e-3 / dt)] = 40e-6 * (diameter_um / 476.0) ** 1.5
    r = ax.run(command=cmd, sample_interval=dt, record={"a": 0.015, "b": 0.035}, dt_max=dt)
    return conduction_velocity(r.t, r.traces["a"][0], r.traces["b"][0], r.sites["a"], r.sites["b"])


def main() -> None:
    diam = np.array([60, 120, 238, 476, 952])
    v_d = np.array([cv(d) for d in diam])
    print("| diameter (um) | velocity (m/s) | sqrt(d/476 um) x v(476 um) |")
    print("|---|---|---|")
    for d, v in zip(diam, v_d, strict=True):
        print(f"| {d} | {v:.2f} | {v_d[3] * np.sqrt(d / 476):.2f} |")
    temps = np.array([6.3, 10, 15, 18.5, 22, 25, 28, 30, 32, 33, 33.5, 34, 36])
    v_t = np.array([cv(temperature=T) for T in temps])
    print("\n| temperature (degC) | velocity (m/s) |")
    print("|---|---|")
    for T, v in zip(temps, v_t, strict=True):
        print(f"| {T:g} | {v:.2f} |" if np.isfinite(v) else f"| {T:g} | blocked |")

    import pyqtgraph as pg
    from figures import figure_window, save_png  # bench/ is the script\'s folder

    win = figure_window(1000, 420)
    p1 = win.addPlot(title="Velocity against diameter (18.5 °C)")
    dd = np.linspace(40, 1000, 200)
    p1.plot(dd, v_d[3] * np.sqrt(dd / 476), pen=pg.mkPen("#0072B2", width=2), name="√d law")
    p1.plot(diam, v_d, pen=None, symbol="o", symbolBrush="#D55E00", symbolSize=9)
    p1.setLabel("bottom", "axon diameter (µm)")
    p1.setLabel("left", "conduction velocity (m/s)")
    p1.showGrid(x=True, y=True, alpha=0.3)
    p2 = win.addPlot(title="Velocity against temperature (476 µm)")
    ok = np.isfinite(v_t)
    p2.plot(temps[ok], v_t[ok], pen=pg.mkPen("#009E73", width=2), symbol="o", symbolBrush="#009E73")
    if not ok.all():  # heat block: the spike dies before the far electrode
        p2.plot(
            temps[~ok],
            np.zeros((~ok).sum()),
            pen=None,
            symbol="x",
            symbolSize=12,
            symbolBrush="#D55E00",
            symbolPen=pg.mkPen("#D55E00", width=2),
        )
        first = float(temps[~ok][0])
        label = pg.TextItem(f"no conduction from {first:g} °C", color="#D55E00", anchor=(1, 1))
        label.setPos(first, 1.0)
        p2.addItem(label)
    p2.setLabel("bottom", "temperature (°C)")
    p2.setLabel("left", "conduction velocity (m/s)")
    p2.showGrid(x=True, y=True, alpha=0.3)
    save_png(win, OUT)


if __name__ == "__main__":
    main()
