"""The analysis workspace's sweep tree over a long Repeat run: its upkeep per refresh.

Feeds an :class:`~vlab.gui.analysis_windows.AnalysisWindow` the way the rig window does at
10x Repeat (the voltage-step family, 17 sweeps a cycle, three new sweeps per refresh),
keeping the newest 1,092 sweeps as the 200 MB memory budget of ``bench/bench_soak.py``
does, and prints, every 50 cycles, the GUI thread's CPU time per tree update
(``_sync_tree``) and how many tree items are alive. Flat figures once the budget is full
mean the tree's upkeep does not grow with the run (docs/performance.md, "Repeat soak").

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/analysis_tree.py [--cycles 400]
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=400, help="Repeat cycles (default 400)")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication, QTreeWidgetItem
    from shiboken6 import isValid

    app = QApplication.instance() or QApplication([])
    from vlab.gui.analysis_windows import AnalysisWindow, sweeps_from_run
    from vlab.protocols import load_protocol
    from vlab.sim.cell import Cell
    from vlab.sim.engine import run_protocol

    protocol = load_protocol("vc_step_family")
    family = sweeps_from_run(run_protocol(Cell("squid"), protocol), protocol)

    def cycle(c: int) -> list:
        out = []
        for s in family:
            t = copy.copy(s)
            t.provenance = dict(
                s.provenance, run_id="repeat", cycle=c, repeat=True, n_sweeps=len(family)
            )
            out.append(t)
        return out

    win = AnalysisWindow()
    win.show()
    sync = win._sync_tree
    spent = [0.0, 0]

    def timed(ticked: set) -> None:
        t0 = time.thread_time()
        sync(ticked)
        spent[0] += time.thread_time() - t0
        spent[1] += 1

    win._sync_tree = timed  # type: ignore[method-assign]
    print("cycle | ms per tree update (mean of the last 50 cycles) | tree items alive")
    recording: list = []
    for c in range(args.cycles + 1):
        new = cycle(c)
        for k in range(0, len(new), 3):
            recording = (recording + new[k : k + 3])[-1092:]
            win.set_sweeps(recording)
            app.processEvents()
        if c % 50 == 0:
            gc.collect()
            alive = sum(
                1 for o in gc.get_objects() if issubclass(type(o), QTreeWidgetItem) and isValid(o)
            )
            print(f"{c:5d} | {1000 * spent[0] / max(spent[1], 1):6.2f} | {alive}", flush=True)
            spent[:] = [0.0, 0]
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
