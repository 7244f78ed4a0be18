"""Resident memory after opening and closing windows (issue 11, "No leaks").

The rig window (with a recorded voltage-step family, so the analysis workspace has
something to show) opens and closes the analysis workspace ``--analysis`` times and the
axon bench ``--axon`` times, each bench computing one sweep before it is closed, as a
student would. After every closing, pending deletions are delivered and Python's cycles
collected; the process's resident memory (RSS, ``/proc/self/statm``) is sampled. The
baseline is taken after one warm-up opening of each window (first-use imports, the numba
kernels, font and style caches), so the figure is what each further opening keeps.

Usage::

    .venv/bin/python bench/window_rss.py                       # 50 analysis + 10 axon
    .venv/bin/python bench/window_rss.py --analysis 5 --axon 2 # short form

Prints the RSS every few cycles and a summary (start, end, max, and the end after
``malloc_trim``, which returns freed heap pages to the system); exit status 1 when the
end is more than ``--tolerance-mb`` above the start. Figures: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def malloc_trim() -> bool:
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):  # not glibc
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--analysis", type=int, default=50, help="analysis openings (default 50)")
    ap.add_argument("--axon", type=int, default=10, help="axon bench openings (default 10)")
    ap.add_argument("--tolerance-mb", type=float, default=10.0, help="allowed growth, MB")
    args = ap.parse_args()

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from vlab.gui.axon_view import AxonWindow
    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol
    from vlab.rig import Rig

    app = QApplication.instance() or QApplication([])

    def settle() -> None:
        for _ in range(3):
            app.processEvents()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            gc.collect()

    rig = Rig("squid")
    rig.set_protocol(load_protocol("vc_step_family"))
    main_win = MainWindow(rig, start_worker=False)
    main_win.resize(1366, 768)
    main_win.show()
    main_win.run_protocol_now()  # records the sweeps
    settle()

    def analysis_cycle() -> None:
        main_win.open_analysis()
        app.processEvents()
        assert main_win.analysis is not None
        main_win.analysis.close()
        settle()

    def axon_cycle() -> None:
        main_win.open_axon_bench()
        (bench,) = [w for w in main_win.findChildren(AxonWindow) if w.isVisible()]
        bench.run()
        deadline = time.monotonic() + 120
        while bench.sweep is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)
        assert bench.sweep is not None, "the axon bench computed no sweep in 120 s"
        bench.close()
        del bench
        settle()

    analysis_cycle()  # warm-up: first-use imports, kernels, caches
    axon_cycle()
    settle()
    start = rss_mb()
    print(
        f"rig window with {len(main_win.recording)} sweeps; {args.analysis} analysis and "
        f"{args.axon} axon bench openings after one warm-up each; RSS at start {start:.0f} MB"
    )
    print("  window      n   RSS/MB")
    samples = [start]
    for k in range(1, args.analysis + 1):
        analysis_cycle()
        samples.append(rss_mb())
        if k % 10 == 0 or k == args.analysis:
            print(f"  analysis {k:4d} {samples[-1]:8.1f}")
    for k in range(1, args.axon + 1):
        axon_cycle()
        samples.append(rss_mb())
        print(f"  axon     {k:4d} {samples[-1]:8.1f}")
    end = rss_mb()
    trimmed = rss_mb() if malloc_trim() else float("nan")
    live = [w for w in main_win.findChildren(AxonWindow)]
    print(
        f"summary: RSS start {start:.1f} MB, end {end:.1f} MB ({end - start:+.1f} MB), "
        f"max {max(samples):.1f} MB; after malloc_trim {trimmed:.1f} MB "
        f"({trimmed - start:+.1f} MB); axon benches still alive: {len(live)}"
    )
    main_win._saved_count = len(main_win.recording)
    main_win.close()
    main_win.shutdown()
    return 0 if end - start <= args.tolerance_mb else 1


if __name__ == "__main__":
    raise SystemExit(main())
