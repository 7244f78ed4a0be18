"""GUI streaming benchmark: the real main window, offscreen, streaming gap-free.

Measures, in one run:
- scope frames per second and the simulation speed (x real time) while streaming for 10 s
  at 1x, with a stimulus pulse every 0.5 s;
- the longest GUI-thread stall (largest gap between ticks of a 5 ms GUI timer);
- CPU used by the whole process (both threads), as a fraction of one core;
- click-to-trace latency: from pressing Stimulate to the scope drawing the spike;
- memory (RSS) growth while streaming 10 minutes of simulated time (run at 10x for 60 s).

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui.py [--long-seconds 60]``.
Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def thread_cpu_seconds(name: str) -> float:
    """CPU seconds (user + system) used so far by the thread called ``name`` (Linux)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as fh:
                if fh.read().strip() != name[:15]:
                    continue
            with open(f"/proc/self/task/{task}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--long-seconds", type=float, default=60.0)
    args = ap.parse_args()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol
    from vlab.rig import Rig

    app = QApplication.instance() or QApplication([])
    rig = Rig("squid")
    rig.set_protocol(load_protocol("gap_free"))
    win = MainWindow(rig)
    win.resize(1280, 800)
    win.show()

    stall = {"max": 0.0, "last": time.perf_counter()}

    def tick():
        now = time.perf_counter()
        stall["max"] = max(stall["max"], now - stall["last"])
        stall["last"] = now

    probe = QTimer()
    probe.timeout.connect(tick)
    probe.start(5)

    def run_for(seconds, pulses_every=None):
        t_end = time.perf_counter() + seconds
        next_pulse = time.perf_counter() + (pulses_every or 1e9)
        while time.perf_counter() < t_end:
            app.processEvents()
            if pulses_every and time.perf_counter() >= next_pulse:
                win.host.stimulate.emit(20e-9, 1e-3)  # 20 nA = 20 uA/cm2 on 1e-3 cm2, 1 ms
                next_pulse += pulses_every
            time.sleep(0.001)

    run_for(2.0)  # warm-up: JIT, first paints
    fps_samples, speed_samples = [], []
    stall["max"], stall["last"] = 0.0, time.perf_counter()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sim0 = thread_cpu_seconds("vlab-simulation")
    t_end = time.perf_counter() + args.seconds
    next_pulse = time.perf_counter() + 0.5
    while time.perf_counter() < t_end:
        app.processEvents()
        if time.perf_counter() >= next_pulse:
            win.host.stimulate.emit(20e-9, 1e-3)
            next_pulse += 0.5
            fps_samples.append(win.scope.fps)
            speed_samples.append(win._status_info.get("speed", float("nan")))
        time.sleep(0.001)
    wall = time.perf_counter() - wall0
    cpu = (time.process_time() - cpu0) / wall
    sim_cpu = (thread_cpu_seconds("vlab-simulation") - sim0) / wall
    fps = sorted(fps_samples)[len(fps_samples) // 2]
    speed = sorted(speed_samples)[len(speed_samples) // 2]
    print(
        f"streaming {args.seconds:g} s at 1x: scope {fps:.1f} fps (median), simulation speed "
        f"{speed:.2f}x real time, longest GUI stall {stall['max'] * 1e3:.0f} ms, "
        f"CPU {cpu * 100:.0f} % of one core in all, of which the simulation thread "
        f"{sim_cpu * 100:.0f} %"
    )

    # click-to-trace latency: Stimulate pressed -> a block with the spike reaches the GUI
    # thread -> the scope paints its next frame
    seen = {"t": None}
    orig = win.on_blocks

    def spy(blocks):
        orig(blocks)
        if seen["t"] is None and any(float(b.data["Vm"].max()) > 0 for b in blocks):
            seen["t"] = time.perf_counter()

    win.host.blocks_ready.disconnect(win.on_blocks)
    win.host.blocks_ready.connect(spy)
    lat = []
    for _ in range(5):
        run_for(0.4)
        seen["t"] = None
        t0 = time.perf_counter()
        win.host.stimulate.emit(20e-9, 1e-3)
        while seen["t"] is None and time.perf_counter() - t0 < 2.0:
            app.processEvents()
            time.sleep(0.0005)
        if seen["t"] is None:
            continue
        frames = win.scope._frames
        while win.scope._frames == frames and time.perf_counter() - t0 < 3.0:
            app.processEvents()
            time.sleep(0.0005)
        lat.append((time.perf_counter() - t0) * 1e3)
    if lat:
        print(
            f"click-to-trace latency (Stimulate -> spike drawn): median "
            f"{sorted(lat)[len(lat) // 2]:.0f} ms, max {max(lat):.0f} ms over {len(lat)} presses"
        )
    else:
        print("click-to-trace latency: no spike seen")

    # memory over 10 simulated minutes
    win.set_speed(10.0)
    run_for(2.0, pulses_every=0.3)
    m0 = rss_mb()
    checkpoints = []
    steps = 6
    for _ in range(steps):
        run_for(args.long_seconds / steps, pulses_every=0.3)
        checkpoints.append(rss_mb())
    sim_t = win._status_info.get("sim_time", float("nan"))
    print(
        f"memory while streaming at 10x for {args.long_seconds:g} s (simulated time now "
        f"{sim_t:.0f} s): RSS {m0:.0f} MB -> "
        + " -> ".join(f"{m:.0f}" for m in checkpoints)
        + f" MB; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    win.close()
    win.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
