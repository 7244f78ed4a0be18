"""Save experiment off the GUI thread: the GUI thread's longest gap while a 48 MB recording
is saved, against the old synchronous save (``save_session`` in the GUI thread) in the
same run.

The monkey run of issue 11 saw 6-9 s stalls after *Save experiment…* with a 48 MB
recording (docs/reliability.md). Here the real rig window (offscreen unless a display is
set) holds 48 MB of float32 sweeps; a 10 ms timer in the GUI thread stamps the time, and
the longest interval between stamps from pressing Save to the file being written is the
stall. Baseline: the same recording saved by ``save_session`` on the GUI thread (what
*Save experiment* did before), timed the same way. Prints both and their ratio.
Results: docs/performance.md ("Saving an experiment").

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_save.py [--runs 3]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="saves of each kind (default 3)")
    ap.add_argument("--mb", type=float, default=48.0, help="recording size in MB (default 48)")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from vlab.gui.main_window import MainWindow
    from vlab.recording import Sweep, save_session
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"), start_worker=False)
    win.ask_unsaved = lambda _n: "discard"  # type: ignore[method-assign]
    win.show()
    rng = np.random.default_rng(1)
    per_sweep = 1_000_000  # samples per channel: 2 channels x 4 MB of float32
    for k in range(max(1, round(args.mb * 1e6 / (8 * per_sweep)))):
        v = rng.normal(-0.065, 1e-3, per_sweep).astype(np.float32)
        win.recording.append(Sweep(k, 2e-5, {"Vm": v, "Im": np.zeros_like(v)}))
    size = sum(a.nbytes for s in win.recording for a in s.channels.values()) / 1e6
    stamps: list[float] = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: stamps.append(time.perf_counter()))
    ticker.start(10)

    def longest_gap(start, wait) -> tuple[float, float]:
        """(longest GUI gap, total time) in s, from ``start()`` until ``wait()`` returns."""
        for _ in range(5):
            app.processEvents()
        stamps.clear()
        t0 = time.perf_counter()
        start()
        wait()
        t1 = time.perf_counter()
        gaps = np.diff([t0, *stamps, t1])
        return float(gaps.max()), t1 - t0

    def background(path: Path) -> tuple[float, float]:
        loop = QEventLoop()
        ok: list[bool] = []
        win.experiment_save_finished.connect(loop.quit)
        win.experiment_save_finished.connect(ok.append)
        result = longest_gap(lambda: win.save_experiment(path), loop.exec)
        win.experiment_save_finished.disconnect()
        if ok != [True]:
            raise SystemExit("the save failed")
        return result

    def synchronous(path: Path) -> tuple[float, float]:
        state = win.rig.state_dict()
        return longest_gap(lambda: save_session(path, state, win.recording), lambda: None)

    print(f"recording: {size:.0f} MB in {len(win.recording)} sweeps; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        new, old = [], []
        for k in range(args.runs):
            new.append(background(Path(folder) / f"bg{k}.vlab"))
            old.append(synchronous(Path(folder) / f"sync{k}.vlab"))
    ticker.stop()
    win.close()
    gap_new = float(np.median([g for g, _ in new]))
    gap_old = float(np.median([g for g, _ in old]))
    print(
        f"save in the GUI thread (before): longest GUI gap {gap_old * 1e3:.0f} ms (median of {args.runs}); "
        f"save took {np.median([t for _, t in old]):.2f} s"
    )
    print(
        f"save as a background job (now):  longest GUI gap {gap_new * 1e3:.0f} ms (median of {args.runs}); "
        f"save took {np.median([t for _, t in new]):.2f} s"
    )
    print(
        f"ratio of the longest gaps (now / before): {gap_new / gap_old:.3f}; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
