"""The rig's first seconds: frames and simulated speed while numba loads (docs/performance.md,
"Start-up").

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/startup_frames.py [--seconds 2]

Starts the rig window (squid, gap-free) in this process and records when it was painted,
when its first live frame came, when the thread loading numba and the kernels
(``vlab.sim.jit.load_in_background``) finished, the intervals between the scope's frames
while it loaded and after, and the simulated speed the worker reported (x real time,
every 0.5 s). Run it after a warm start (the kernels in the cache) or with an empty
cache (``XDG_CACHE_HOME=$(mktemp -d) VLAB_NO_SEED_CACHE=1``: numba compiles meanwhile).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="how long the rig runs")
    args = ap.parse_args()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig
    from vlab.sim import jit

    def now() -> float:
        return time.perf_counter() - T0

    win = MainWindow(Rig("squid"))
    marks: dict[str, float] = {}
    frames: list[float] = []
    speeds: list[tuple[float, float]] = []
    win.first_painted.connect(lambda: marks.setdefault("painted", now()))

    def frame() -> None:
        if len(win.scope.ring):
            frames.append(now())

    def poll() -> None:  # the loader thread's end, seen from the GUI thread
        loader = jit._loader
        if loader is not None and "loader started" not in marks:
            marks["loader started"] = now()
        started = loader is not None and loader.ident is not None
        if started and not loader.is_alive() and "loader done" not in marks:
            marks["loader done"] = now()

    win.scope.frame_painted.connect(frame)
    win.host.worker.status.connect(lambda st: speeds.append((now(), st["speed"])))
    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(5)
    QTimer.singleShot(round(args.seconds * 1000), app.quit)
    win.show()
    app.exec()
    win.shutdown()
    win.close()
    if jit._loader is not None:
        jit._loader.join()
    marks.setdefault("loader done", float("nan"))  # after the run
    if frames:
        marks["first live frame"] = frames[0]
    for name, t in sorted(marks.items(), key=lambda kv: kv[1]):
        print(f"{name:18s} {t:6.3f} s after the process started")
    done = marks["loader done"]

    def gaps(lo: float, hi: float) -> str:
        g = [b - a for a, b in zip(frames, frames[1:], strict=False) if lo <= a < hi]
        if not g:
            return "no frames"
        return (
            f"{len(g)} frames, interval median {statistics.median(g) * 1e3:.0f} ms,"
            f" longest {max(g) * 1e3:.0f} ms"
        )

    first = frames[0] if frames else float("inf")
    print("while loading:", gaps(first, done if done == done else float("inf")))
    print("after loading:", gaps(done, float("inf")) if done == done else "-")
    print("speed (x real time):", ", ".join(f"{s:.2f} at {t:.2f} s" for t, s in speeds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
