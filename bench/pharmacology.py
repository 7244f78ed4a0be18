"""Pharmacology figures and tables for docs/validation.md.

Draws docs/screenshots/pharmacology.png (pyqtgraph, offscreen) with three panels and prints
the numbers behind them:

1. dose-response: fraction of gNa/gK blocked, measured on the kernel's conductance in
   voltage clamp, against the one-site curve c / (c + Kd) of each cited Kd; lidocaine's tonic
   block at -80 mV (20 s clamp) against Bean et al.'s resting Kd of 440 uM;
2. lidocaine (100 uM) on the cortical cell: block after 20 action potentials against
   stimulation frequency, tonic level marked;
3. TTX (100 nM) wash-in and wash-out on the squid chamber (tau 20 s) and the frog node pool
   (tau 2 s), with pure first-order unbinding exp(-k_off t) after washing.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/pharmacology.py``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from vlab.sim import kernel
from vlab.sim.cell import Cell
from vlab.sim.drugs import Bath
from vlab.sim.engine import Membrane

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "pharmacology.png"

#: (label, drug, preparation, side, target, cited Kd in mM, concentrations in mM)
DOSE = [
    ("TTX squid (5.1 nM)", "TTX", "squid", "outside", "Na", 5.1e-6, np.logspace(-7, -3, 9)),
    (
        "TTX node (3.6 nM)",
        "TTX",
        "myelinated_axon",
        "outside",
        "Na",
        3.6e-6,
        np.logspace(-7, -3, 9),
    ),
    ("TEA in, squid (0.4 mM)", "TEA", "squid", "inside", "K", 0.4, np.logspace(-2, 2, 9)),
    ("TEA out, cortex (5 mM)", "TEA", "mammalian", "outside", "K", 5.0, np.logspace(-1, 2, 9)),
]
SLOT = {"Na": kernel.P_GNA, "K": kernel.P_GK}


def measured_block(drug, prep, side, target, c):
    """1 - g(drug)/g(control) of the kernel parameter the integrator uses."""
    control = Cell(prep).kernel_params()[SLOT[target]]
    cell = Cell(prep)
    cell.set_drug(drug, c, side)
    return 1.0 - cell.kernel_params()[SLOT[target]] / control


def tonic_lidocaine(c):
    cell = Cell("mammalian")
    cell.set_drug("lidocaine", c)
    mem = Membrane(cell)
    mem.reset(v0=-0.080)
    mem.state[:, kernel.S_B] = 0.0
    return mem.advance("voltage-clamp", np.full(2001, -0.080), 10e-3, ("lido_bound",))[
        "lido_bound"
    ][0, -1]


def use_dependence(freqs, c=0.1, dt=25e-6):
    cell = Cell("mammalian")
    cell.set_drug("lidocaine", c)
    out = []
    for hz in freqs:
        mem = Membrane(cell)
        period = round(1 / hz / dt)
        cmd = np.zeros(20 * period + 1)
        for k in range(20):
            cmd[k * period : k * period + round(2e-3 / dt)] = 1.8e-9
        r = mem.advance("current-clamp", cmd, dt, ("lido_bound",))
        out.append(r["lido_bound"][0, -1])
    return np.array(out), Membrane(cell).snapshot()["lido_bound"][0]


def wash_course(prep, t_in=120.0, t_out=300.0, dt=1.0):
    bath = Bath(prep)
    bath.apply("TTX", 100e-6)
    t, b = [0.0], [0.0]
    for k in range(int(t_in / dt)):
        bath.advance(dt)
        t.append((k + 1) * dt)
        b.append(bath.occupancy().get("TTX", {}).get("Na", 0.0))
    bath.wash("TTX")
    for k in range(int(t_out / dt)):
        bath.advance(dt)
        t.append(t_in + (k + 1) * dt)
        b.append(bath.occupancy()["TTX"]["Na"])
    return np.array(t), np.array(b)


def main() -> None:
    print("| drug, preparation (cited Kd) | c (mM) | measured block | c/(c+Kd) |")
    print("|---|---|---|---|")
    dose = []
    for label, drug, prep, side, target, kd, cs in DOSE:
        m = np.array([measured_block(drug, prep, side, target, c) for c in cs])
        dose.append((label, cs, m, kd))
        for c in (cs[2], cs[4], cs[6]):
            print(
                f"| {label} | {c:.3g} | {measured_block(drug, prep, side, target, c):.4f} | {c / (c + kd):.4f} |"
            )
    lido_c = np.array([0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0])
    lido = np.array([tonic_lidocaine(c) for c in lido_c])
    for c, b in zip(lido_c, lido, strict=True):
        print(f"| lidocaine at -80 mV, cortex (440 uM) | {c:g} | {b:.4f} | {c / (c + 0.44):.4f} |")

    freqs = np.array([1, 2, 5, 10, 20, 50])
    ud, tonic = use_dependence(freqs)
    print("\n| frequency (Hz) | lidocaine 100 uM block after 20 spikes |")
    print("|---|---|")
    print(f"| rest (tonic) | {tonic:.3f} |")
    for f, b in zip(freqs, ud, strict=True):
        print(f"| {f} | {b:.3f} |")

    t_sq, b_sq = wash_course("squid")
    t_nd, b_nd = wash_course("myelinated_axon")
    print("\n| TTX 100 nM | block 10 s after applying | 60 s | 70 s after washing | 200 s |")
    print("|---|---|---|---|---|")
    for name, t, b in (("squid (tau 20 s)", t_sq, b_sq), ("node pool (tau 2 s)", t_nd, b_nd)):
        at = [b[np.argmin(abs(t - x))] for x in (10, 60, 190, 320)]
        print(f"| {name} | {at[0]:.3f} | {at[1]:.3f} | {at[2]:.3f} | {at[3]:.3f} |")
    print(
        f"| pure unbinding exp(-0.0142 t) | | | {math.exp(-0.0142 * 70):.3f} | {math.exp(-0.0142 * 200):.3f} |"
    )

    import pyqtgraph as pg
    from figures import figure_window, save_png  # bench/ is the script\'s folder

    win = figure_window(1400, 440)
    colours = ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#CC79A7"]
    p1 = win.addPlot(title="Dose-response: measured (symbols) vs c/(c+Kd) (lines)")
    p1.setLogMode(x=True, y=False)
    p1.addLegend(offset=(5, 5))
    for (label, cs, m, kd), col in zip(dose, colours, strict=False):
        cc = np.logspace(np.log10(cs[0]), np.log10(cs[-1]), 100)
        p1.plot(cc, cc / (cc + kd), pen=pg.mkPen(col, width=2))
        p1.plot(cs, m, pen=None, symbol="o", symbolBrush=col, symbolSize=8, name=label)
    cc = np.logspace(-2, 1, 100)
    p1.plot(cc, cc / (cc + 0.44), pen=pg.mkPen(colours[4], width=2))
    p1.plot(
        lido_c,
        lido,
        pen=None,
        symbol="t",
        symbolBrush=colours[4],
        symbolSize=9,
        name="lidocaine tonic, -80 mV (440 uM)",
    )
    p1.setLabel("bottom", "concentration (mM)")
    p1.setLabel("left", "fraction blocked")
    p1.showGrid(x=True, y=True, alpha=0.3)

    p2 = win.addPlot(title="Lidocaine 100 uM, cortical cell: block after 20 spikes")
    p2.setLogMode(x=True, y=False)
    p2.plot(freqs, ud, pen=pg.mkPen("#D55E00", width=2), symbol="o", symbolBrush="#D55E00")
    p2.addLine(y=tonic, pen=pg.mkPen("#999999", width=2, style=pg.QtCore.Qt.PenStyle.DashLine))
    label = pg.TextItem("tonic block at rest: 100/(100+440)", color="#666666", anchor=(0, 0))
    label.setPos(0.3, tonic - 0.005)
    p2.addItem(label)
    p2.getAxis("left").enableAutoSIPrefix(False)
    p2.setLabel("bottom", "stimulation frequency (Hz)")
    # log axis: label the frequencies measured (pyqtgraph's minor log labels overlap)
    p2.getAxis("bottom").setTicks([[(float(np.log10(f)), f"{f:g}") for f in freqs], []])
    p2.setLabel("left", "fraction of Na+ channels blocked")
    p2.setYRange(0, 0.7)
    p2.showGrid(x=True, y=True, alpha=0.3)

    p3 = win.addPlot(title="TTX 100 nM: wash in at 0 s, wash out at 120 s")
    p3.addLegend(offset=(5, 5))
    p3.plot(t_sq, b_sq, pen=pg.mkPen("#0072B2", width=2), name="squid chamber (tau 20 s)")
    p3.plot(t_nd, b_nd, pen=pg.mkPen("#009E73", width=2), name="node pool (tau 2 s)")
    tt = np.linspace(120, 420, 200)
    p3.plot(
        tt,
        b_nd[120] * np.exp(-0.0142 * (tt - 120)),
        pen=pg.mkPen("#000000", width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
        name="exp(-k_off t), k_off 0.0142/s",
    )
    p3.setLabel("bottom", "time (s)")
    p3.setLabel("left", "fraction of Na+ channels bound")
    p3.showGrid(x=True, y=True, alpha=0.3)
    save_png(win, OUT)


if __name__ == "__main__":
    main()
