"""Soak benchmark: Repeat at 10x with every view open; memory must stay flat, the GUI live.

The real rig window (under X when ``DISPLAY`` is set, e.g. in ``xvfb-run``; offscreen
otherwise) runs the voltage-step family (17 sweeps of 30 ms) in *Repeat* at 10x real time
with TEA in the bath, the *Inside the membrane* view shown and the analysis workspace
open, in the application's own event loop. Every ``--every`` seconds it samples the
process's resident memory (RSS), the recording's size against its budget, the sweeps
dropped, the measured simulation speed, the crash-recovery journal's size on disk, the
share of the CPU time the host took from this (virtual) machine (``/proc/stat``'s steal)
and the longest stall of the GUI thread in that interval (the largest gap between two
ticks of a 5 ms GUI timer, the 5 ms included). Each stall over 50 ms during which the
steal counter moved is counted apart: the machine, not the process, was not running.

A watchdog thread looks at the GUI thread whenever it has not ticked for 50 ms and
records where it was (``sys._current_frames``): the stalls are listed with the code the
GUI thread was in, so a stall caused by vlab can be told from one caused by the machine
(a stall with the GUI thread waiting in the event loop, ``processEvents``/``exec``, was
the operating system not scheduling the process).

Usage (the long soak: one command, unattended, results in the ``--out`` file)::

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python bench/bench_soak.py \\
        --minutes 30 --budget-mb 200 --out soak-30min.md

    .venv/bin/python bench/bench_soak.py            # short form: 1 minute, 48 MB budget

The ``--out`` file is rewritten after every sample (a Markdown table, then the summary
and the stall sites), so an interrupted run keeps what it measured. Figures are recorded
in docs/performance.md.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import threading
import time
import traceback

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STALL_MS = 50.0  # the target: no GUI stall longer than this


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def steal_ticks() -> int:
    """CPU time the hypervisor gave to others while this (virtual) machine wanted it,
    summed over its CPUs, in clock ticks (``/proc/stat``'s ``steal``; 0 where unknown)."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
        return int(fields[8])
    except (OSError, IndexError, ValueError):
        return 0


TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _owner(stack: traceback.StackSummary) -> str:
    """Whose code a stalled GUI thread was in: the outermost vlab function under the event
    loop (what the event loop called), with the innermost vlab function, or "event loop"
    when no Python code of vlab was running (Qt's own work, or waiting for a CPU)."""
    import vlab

    here = os.path.dirname(os.path.abspath(vlab.__file__)) + os.sep
    mine = [f for f in stack if os.path.abspath(f.filename).startswith(here)]
    if not mine:
        inner = stack[-1] if stack else None
        if inner is None or os.path.basename(inner.filename) == "bench_soak.py":
            return "event loop (no Python code running)"
        return f"{os.path.basename(inner.filename)} {inner.name} (not vlab)"
    outer, inner = mine[0], mine[-1]
    name = f"{_short(outer)}"
    return name if inner is outer else f"{name} > {_short(inner)}"


def _short(f: traceback.FrameSummary) -> str:
    return f"{os.path.basename(f.filename)}:{f.name}"


class StallWatch:
    """GUI-thread stall meter: a 5 ms GUI timer plus a watchdog thread that, every 10 ms
    of a stall (no tick for ``STALL_MS``), records where the GUI thread is."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gui_ident = threading.get_ident()
        self.last = time.perf_counter()
        self.interval_max = 0.0  # longest gap since the last sample, s
        self.overall_max = 0.0
        self.count = 0  # stalls longer than STALL_MS
        # ... of which the hypervisor took CPU time from this machine during the stall
        # (/proc/stat's steal moved: the stall is the host's, not the process's)
        self.stolen_count = 0
        self.stall_s = 0.0  # the stalls' total length, s
        self.stall_stolen = 0  # steal ticks during them
        self.last_steal = steal_ticks()
        # the GUI thread's own CPU time between two ticks: the stall its work alone makes
        # (what is left on an idle machine; the wall-clock gap adds waiting for a CPU
        # or for the GIL)
        self.last_cpu = time.thread_time()
        self.interval_work = 0.0
        self.overall_work = 0.0
        self.work_count = 0
        self.sites: collections.Counter[str] = collections.Counter()
        self.owners: collections.Counter[str] = collections.Counter()  # see _owner
        self._stop = threading.Event()
        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)
        self.timer.start(5)
        self.thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)
        self.thread.start()

    def tick(self) -> None:
        now = time.perf_counter()
        gap = now - self.last
        self.last = now
        cpu = time.thread_time()
        work, self.last_cpu = cpu - self.last_cpu, cpu
        self.interval_work = max(self.interval_work, work)
        self.overall_work = max(self.overall_work, work)
        if work * 1e3 > STALL_MS:
            self.work_count += 1
        if gap > self.interval_max:
            self.interval_max = gap
        if gap > self.overall_max:
            self.overall_max = gap
        steal = steal_ticks()
        stolen, self.last_steal = steal - self.last_steal, steal
        if gap * 1e3 > STALL_MS:
            self.count += 1
            self.stall_s += gap
            self.stall_stolen += stolen
            if stolen > 0:
                self.stolen_count += 1

    def reset_interval(self) -> tuple[float, float]:
        """(longest gap, longest CPU work between ticks) since the last call, s."""
        worst, self.interval_max = self.interval_max, 0.0
        work, self.interval_work = self.interval_work, 0.0
        return worst, work

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            if (time.perf_counter() - self.last) * 1e3 < STALL_MS:
                continue
            frame = sys._current_frames().get(self.gui_ident)
            if frame is None:
                continue
            whole = traceback.extract_stack(frame)
            stack = whole[-6:]
            where = " < ".join(
                f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(stack)
            )
            self.sites[where] += 1
            self.owners[_owner(whole)] += 1

    def stop(self) -> None:
        self._stop.set()
        self.timer.stop()


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
    ap.add_argument("--out", metavar="FILE", help="write the table and summary here too")
    ap.add_argument(
        "--profile",
        metavar="FILE",
        help="profile the GUI thread (cProfile; slows it) and write the stats here "
        "(read with python -m pstats FILE)",
    )
    ap.add_argument(
        "--switch-interval",
        type=float,
        metavar="S",
        help="Python's GIL switch interval for this run instead of the app's (vlab.gui.worker"
        ".GIL_SWITCH_INTERVAL_S, 0.001 s; Python's default is 0.005 s): how long the GUI"
        " thread may wait for the simulation thread's Python (docs/performance.md)",
    )
    args = ap.parse_args()
    if args.switch_interval is not None:
        from vlab.gui import worker

        worker.GIL_SWITCH_INTERVAL_S = args.switch_interval
        sys.setswitchinterval(args.switch_interval)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()

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
    watch = StallWatch()

    def journal_mb() -> float:  # the crash-recovery journal (deleted at a normal close)
        try:
            return os.path.getsize(win.journal.path) / 2**20
        except OSError:
            return float("nan")

    state: dict = {"rows": [], "t0": 0.0, "rss0": 0.0, "recorded0": 0, "steal0": 0}

    def make_header() -> str:  # at the start of the measured run: the worker is running
        return (
            f"Repeat of {rig.protocol.name} at {args.speed:g}x, TEA, membrane view + analysis "
            f"open, budget {win.budget.limit / 2**20:.0f} MB, {args.minutes:g} min, "
            f"QPA {QApplication.platformName()}, GIL switch interval "
            f"{sys.getswitchinterval() * 1e3:g} ms, load average at start {os.getloadavg()[0]:.1f}"
        )

    header = ""

    def report(final: str = "") -> str:
        lines = [header, ""]
        lines.append(
            "| t (s) | RSS (MB) | recording (MB) | sweeps in memory | dropped | speed (x) "
            "| longest GUI stall in interval (ms) | longest GUI-thread CPU work between ticks (ms) "
            "| load avg | CPU taken by the host (%) "
            "| recovery journal on disk (MB) |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in state["rows"]:
            lines.append(
                "| {:.0f} | {:.0f} | {:.1f} | {:d} | {:d} | {:.2f} | {:.0f} | {:.0f} | {:.1f} "
                "| {:.1f} | {:.0f} |".format(*r)
            )
        if final:
            lines += ["", final]
        if watch.sites:
            lines += [
                "",
                f"Where the GUI thread was during stalls > {STALL_MS:.0f} ms "
                "(samples every 10 ms, innermost first):",
                "",
            ]
            lines += [f"- {n} x {site}" for site, n in watch.sites.most_common(12)]
            lines += [
                "",
                "The same samples by whose code it was (outermost > innermost vlab function):",
                "",
            ]
            lines += [f"- {n} x {who}" for who, n in watch.owners.most_common(15)]
        return "\n".join(lines) + "\n"

    def write(final: str = "") -> None:
        if args.out:
            tmp = args.out + ".part"
            with open(tmp, "w") as fh:
                fh.write(report(final))
            os.replace(tmp, args.out)

    def start() -> None:
        watch.reset_interval()
        win.set_speed(args.speed)
        win.run_protocol(repeat=True)
        QTimer.singleShot(2000, begin)

    def begin() -> None:
        nonlocal header
        header = make_header()
        watch.reset_interval()
        watch.overall_max = watch.overall_work = 0.0
        watch.count = watch.work_count = watch.stolen_count = watch.stall_stolen = 0
        watch.stall_s = 0.0
        watch.sites.clear()
        watch.owners.clear()
        if profiler is not None:
            profiler.enable()
        state["t0"] = time.perf_counter()
        state["rss0"] = rss_mb()
        state["recorded0"] = len(win.recording) + win.budget.dropped
        state["steal0"], state["t_steal"] = steal_ticks(), time.perf_counter()
        print(header, flush=True)
        print(
            "   t/s   RSS/MB  recording/MB  in-memory  dropped  speed  stall/ms  cpu/ms  load"
            "  stolen/%  journal/MB"
        )
        sampler.start(int(args.every * 1000))
        QTimer.singleShot(int(args.minutes * 60_000), finish)

    def sample() -> None:
        stall, work = watch.reset_interval()
        now, steal = time.perf_counter(), steal_ticks()
        # the host's share of the machine's CPU time in the interval (all CPUs)
        stolen = (
            100.0
            * (steal - state["steal0"])
            / TICKS_PER_S
            / max((now - state["t_steal"]) * (os.cpu_count() or 1), 1e-9)
        )
        state["steal0"], state["t_steal"] = steal, now
        row = (
            time.perf_counter() - state["t0"],
            rss_mb(),
            win.budget.used / 2**20,
            len(win.recording),
            win.budget.dropped,
            win._status_info.get("speed", float("nan")),
            stall * 1e3,
            work * 1e3,
            os.getloadavg()[0],
            stolen,
            journal_mb(),
        )
        state["rows"].append(row)
        print(
            "{:6.0f} {:8.0f} {:13.1f} {:10d} {:8d} {:6.2f} {:9.0f} {:7.0f} {:5.1f} {:9.1f} "
            "{:8.0f}".format(*row)
        )
        sys.stdout.flush()
        write()

    def finish() -> None:
        sampler.stop()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        sample()
        win.stop_protocol()
        rows = state["rows"]
        wall = time.perf_counter() - state["t0"]
        recorded = len(win.recording) + win.budget.dropped - state["recorded0"]
        half = rows[len(rows) // 2 :] or rows
        cpus = os.cpu_count() or 1
        stall_share = 100.0 * watch.stall_stolen / TICKS_PER_S / max(watch.stall_s * cpus, 1e-9)
        run_share = sum(r[9] for r in rows) / max(len(rows), 1)
        final = (
            f"Summary: {recorded} sweeps recorded in {wall:.0f} s ({recorded / wall:.1f}/s); "
            f"RSS {state['rss0']:.0f} MB at start, {min(r[1] for r in half):.0f}-"
            f"{max(r[1] for r in half):.0f} MB over the second half, {rows[-1][1]:.0f} MB at "
            f"the end; recording {rows[-1][2]:.0f} MB of {win.budget.limit / 2**20:.0f} MB; "
            f"longest GUI stall {watch.overall_max * 1e3:.0f} ms, {watch.count} stalls over "
            f"{STALL_MS:.0f} ms ({watch.stolen_count} of them while the host took CPU time "
            f"from the machine: {stall_share:.0f} % of the machine's CPU time during the "
            f"stalls, {run_share:.1f} % over the run); longest GUI-thread CPU work between two "
            "ticks "
            f"{watch.overall_work * 1e3:.0f} ms, {watch.work_count} over {STALL_MS:.0f} ms; "
            f"load average {min(r[8] for r in rows):.1f}-{max(r[8] for r in rows):.1f}; "
            f"CPU taken by the host {min(r[9] for r in rows):.1f}-"
            f"{max(r[9] for r in rows):.1f} % per interval; "
            "worker waited for the GUI in "
            f"{win.host.worker.held_ticks} ticks."
        )
        print(final)
        for site, n in watch.sites.most_common(12):
            print(f"  stall site ({n}x): {site}")
        write(final)
        watch.stop()
        app.exit(0)

    sampler = QTimer()
    sampler.timeout.connect(sample)
    QTimer.singleShot(3000, start)  # first paints, numba, the first blocks
    app.exec()
    win.shutdown()
    win.ask_unsaved = lambda n: "discard"  # unattended: no question at close
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
