"""Time from process start to the splash screen being painted (the first window a student
sees on an interactive start). Run: ``QT_QPA_PLATFORM=offscreen python bench/bench_splash.py``.
Uses the real start-up sequence, ``vlab.gui.app._start`` (the rig, then Qt and the splash);
prints seconds since the process began (Linux: from /proc/self/stat)."""

from __future__ import annotations

import os
import time


def process_age() -> float:
    with open("/proc/self/stat") as fh:
        start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as fh:
        uptime = float(fh.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    from vlab.gui.app import _start, build_parser

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _rig, _app, splash = _start(build_parser().parse_args([]), offscreen=False)
    assert splash is not None
    painted = process_age()
    splash.close()
    t0 = time.perf_counter()
    import vlab.gui.main_window  # noqa: F401 - what the splash hides

    print(
        f"splash painted {painted:.2f} s after the process started; the main window's "
        f"imports then took {time.perf_counter() - t0:.2f} s"
    )


if __name__ == "__main__":
    main()
