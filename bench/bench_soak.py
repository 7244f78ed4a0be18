"""Soak benchmark: Repeat at 10x with every view open; memory must stay flat, the GUI live.

The real rig window (offscreen unless ``QT_QPA_PLATFORM`` says otherwise) runs the
voltage-step family (17 sweeps of 30 ms) in *Repeat* at 10x real time with TEA in the
bath, the *Inside the membrane* view shown and the analysis workspace open. Every 10 s
it samples the process's resident memory (RSS), the recording's size against its budget,
and the sweeps dropped; a 5 ms GUI timer measures the longest stall of the GUI thread
(the largest gap between two of its ticks, the 5 ms period included).

Usage::

    .venv/bin/python bench/bench_soak.py                                 # 1 minute, 48 MB
    .venv/bin/python bench/bench_soak.py --minutes 30 --budget-mb 200    # the long soak

Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0, help="soak length (default 1)")
    ap.add_argument("--speed", type=float, default=10.0, help="x real time (default 10)")
    ap.add_argument(
        "--budget-mb",
        type=float,
        default=48.0,
        help="recording budget, MB (default 48, reached within the short form; the app's is 200)",
    )
    ap.add_argument("--every", type=float, default=10.0, help="sampling interval, s")
    args = ap.parse_args()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol
    from vlab.recording.budget import MemoryBudget
    from vlab.rig import Rig

    app = QApplication.instance() or QApplication([])
    rig = Rig("squid")
    rig.set_protocol(load_protocol("vc_step_family"))
    rig.apply_drug("TEA", 1e-3, equilibrated=True)
    win = MainWindow(rig)
    win.budget = MemoryBudget(int(args.budget_mb * 2**20))
    win.resize(1366, 768)
    win.show()
    win.docks["membrane_view"].show()
    win.open_analysis()

    stall = {"max": 0.0, "last": time.perf_counter()}

    def tick() -> None:
        now = time.perf_counter()
        stall["max"] = max(stall["max"], now - stall["last"])
        stall["last"] = now

    probe = QTimer()
    probe.timeout.connect(tick)
    probe.start(5)

    def run_for(seconds: float) -> None:
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            app.processEvents()
            time.sleep(0.001)

    run_for(3.0)  # JIT, first paints
    win.set_speed(args.speed)
    win.run_protocol(repeat=True)
    run_for(2.0)
    stall["max"], stall["last"] = 0.0, time.perf_counter()
    t0 = time.perf_counter()
    recorded0 = len(win.recording) + win.budget.dropped
    rows = []
    rss0 = rss_mb()
    print(
        f"Repeat of {rig.protocol.name} at {args.speed:g}x, TEA, membrane view + analysis "
        f"open, budget {win.budget.limit / 2**20:.0f} MB, {args.minutes:g} min"
    )
    print("   t/s   RSS/MB  recording/MB  sweeps kept-in-memory  dropped  speed  max stall/ms")
    end = t0 + args.minutes * 60
    while time.perf_counter() < end:
        run_for(min(args.every, end - time.perf_counter()))
        row = (
            time.perf_counter() - t0,
            rss_mb(),
            win.budget.used / 2**20,
            len(win.recording),
            win.budget.dropped,
            win._status_info.get("speed", float("nan")),
            stall["max"] * 1e3,
        )
        rows.append(row)
        print("{:6.0f} {:8.0f} {:13.1f} {:22d} {:8d} {:6.2f} {:13.0f}".format(*row))
    win.stop_protocol()
    run_for(0.5)
    recorded = len(win.recording) + win.budget.dropped - recorded0
    wall = time.perf_counter() - t0
    half = rows[len(rows) // 2 :] or rows
    print(
        f"summary: {recorded} sweeps recorded in {wall:.0f} s ({recorded / wall:.1f}/s); "
        f"RSS {rss0:.0f} MB at start, {min(r[1] for r in half):.0f}-"
        f"{max(r[1] for r in half):.0f} MB over the second half, {rows[-1][1]:.0f} MB at the "
        f"end; recording {rows[-1][2]:.0f} MB of {win.budget.limit / 2**20:.0f} MB; "
        f"longest GUI stall {stall['max'] * 1e3:.0f} ms; worker waited for the GUI in "
        f"{win.host.worker.held_ticks} ticks"
    )
    win.close()
    win.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
