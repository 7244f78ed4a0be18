"""Start-up as whole processes, side by side in one run (docs/performance.md, "Start-up").

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_startup.py [--runs 5]

* **bare window**: a PySide6 + pyqtgraph window that plots a line and exits once painted
  (the least any Qt + pyqtgraph program can do);
* **vlab warm, rig painted**: ``vlab --paint-test``: the rig window with all its controls
  painted, clean exit (the simulation thread starts right after the first paint, so the
  first live sample follows; the issue's "live, painted rig");
* **vlab warm, first live frame**: ``vlab --smoke-test`` (start, stream, first scope frame
  painted with simulated data, clean exit) with the kernel cache in place;
* **vlab first start**: the same two for a new user (empty per-user cache folder), after
  ``scripts/setup-env`` built the install-time kernel cache (``vlab.sim.jit.SEED_CACHE``);
* **vlab first start, no install-time cache**: what ``pip install`` alone would give
  (the kernels compile), for reference;
* **vlab run** of 10 s of squid membrane at 10 uA/cm2 (dt 25 us) against **NEURON** doing
  the same in ``.venv-bench`` (``bash bench/run.sh`` makes it) or ``--neuron-python``,
  when it is there.

Runs are interleaved (case A, B, C, A, B, C, ...) so that load on the shared machine hits
every case alike; medians and ratios to the bare window (or to NEURON) are printed, and
the median CPU time (user + system) of each case's process, which load changes far less
than the wall-clock time (compare work done before and after a change with it).

The bare window and vlab's ``--paint-test`` and ``--smoke-test`` also print when they were
painted / showed their first live frame (``time.monotonic()``, one clock for every
process): the *event* column, from the launch to that moment. Since the simulation
thread's first blocks run the kernels as Python while numba loads in a thread of its own
(``vlab.sim.jit.load_in_background``), ``--smoke-test`` reports its first live frame
before numba is in, and its process then waits for the loader before it ends.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
VLAB = [PY, "-m", "vlab"]

BARE = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg
app = QApplication(sys.argv[:1])
w = pg.PlotWidget()
w.resize(1280, 800)
w.plot([0, 1, 2, 3], [0, 1, 0, 1])
class FirstPaint(QObject):  # exit once the first paint is done, as vlab --paint-test
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, painted)
        return False
def painted():
    import time
    print(f"painted at monotonic {time.monotonic():.6f} s", flush=True)
    app.exit(0)
probe = FirstPaint()
w.viewport().installEventFilter(probe)  # a QGraphicsView paints in its viewport
w.show()
sys.exit(app.exec())
"""

PROTOCOL = """
name = "10 s of squid membrane"
description = "10 uA/cm2 for 10 s: repetitive firing."
mode = "current-clamp"
acquisition = "episodic"
holding = "0 uA/cm2"
sweeps = 1
sweep_duration = "10 s"
sample_interval = "25 us"

[[epochs]]
type = "step"
duration = "10 s"
level = "10 uA/cm2"
"""

NEURON = """
from neuron import h
h.load_file("stdrun.hoc")
s = h.Section(name="soma")
s.L = s.diam = 178.41  # um: pi * d**2 = 1e-3 cm2 of membrane, as vlab's squid patch
s.insert("hh")
stim = h.IClamp(s(0.5))
stim.delay, stim.dur = 0, 1e9
stim.amp = 10.0  # nA: 10 uA/cm2 of 1e-3 cm2
v = h.Vector().record(s(0.5)._ref_v)
h.dt = 0.025
h.finitialize(-65)
h.continuerun(10000)
print(len(v))
"""


def timed(
    cmd: list[str], env: dict, before=None, cwd: Path = ROOT
) -> tuple[float, float, float | None]:
    """(wall-clock s, CPU s of the process: user + system, s from the launch to the event
    the process reports, ``... at monotonic T s``, or None) of one run of ``cmd``."""
    if before is not None:
        before()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    launched = time.monotonic()  # the clock the child reports on (system-wide)
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{r.stdout}\n{r.stderr}")
    event = None
    for line in r.stdout.splitlines():
        if " at monotonic " in line:
            event = float(line.split(" at monotonic ")[1].split()[0]) - launched
    return took, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), event


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--neuron-python",
        type=Path,
        default=ROOT / ".venv-bench" / "bin" / "python",
        help="a Python with NEURON installed (default .venv-bench, made by bench/run.sh)",
    )
    ap.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. `git worktree add /tmp/before COMMIT`): its warm rig"
        " painted and first live frame run interleaved with the others, for a before/after"
        " in one run (its events are reported only if its vlab prints them)",
    )
    args = ap.parse_args()
    # the vlab the cases run (their working folder is ROOT), not an installed one: its
    # sources' digest names the install-time cache it needs
    sys.path.insert(0, str(ROOT))
    from vlab.sim.jit import SEED_CACHE, sources_digest

    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    # an installed vlab has its bytecode cached like any installed package (the warm-up
    # run writes it); with PYTHONDONTWRITEBYTECODE set (as on the build machines) every
    # start would recompile vlab's ~100 modules from source (~1.5 s under load)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # importing vlab.sim.jit (above) set NUMBA_CACHE_DIR to this process's own warm cache:
    # passed on, every case (the "new user" ones too) would load the kernels from it
    env.pop("NUMBA_CACHE_DIR", None)
    work = Path(tempfile.mkdtemp(prefix="vlab-startup-"))
    protocol = work / "squid10s.toml"
    protocol.write_text(PROTOCOL)
    warm_cache = work / "warm-cache"
    # every vlab case gets its own config/data folders; the warm one keeps its cache
    warm_env = dict(env, XDG_CACHE_HOME=str(warm_cache), VLAB_CONFIG_DIR=str(work / "cfg"))
    fresh_home = work / "fresh"

    def fresh_env(seed: bool) -> dict:
        e = dict(env, XDG_CACHE_HOME=str(fresh_home), VLAB_CONFIG_DIR=str(work / "cfg2"))
        if not seed:
            e["VLAB_NO_SEED_CACHE"] = "1"
        return e

    def empty_cache() -> None:
        shutil.rmtree(fresh_home, ignore_errors=True)

    # the install-time cache of these sources (scripts/setup-env makes it, again whenever
    # vlab/sim changes; or NUMBA_CACHE_DIR=.venv/share/vlab/numba-cache python -m vlab.rig.warmup)
    seed = os.path.join(SEED_CACHE, sources_digest())
    have_seed = os.path.isdir(seed) and any(os.scandir(seed))
    neuron_py = args.neuron_python
    cases: dict[str, tuple[list[str], dict, object]] = {
        "bare window (PySide6 + pyqtgraph)": ([PY, "-c", BARE], env, None),
        "vlab warm, rig painted (--paint-test)": ([*VLAB, "--paint-test"], warm_env, None),
        "vlab warm, first live frame (--smoke-test)": ([*VLAB, "--smoke-test"], warm_env, None),
        "vlab new user, rig painted": ([*VLAB, "--paint-test"], fresh_env(True), empty_cache),
        "vlab new user, first live frame": (
            [*VLAB, "--smoke-test"],
            fresh_env(True),
            empty_cache,
        ),
        "vlab new user, no install-time cache, first live frame": (
            [*VLAB, "--smoke-test"],
            fresh_env(False),
            empty_cache,
        ),
        "vlab run, 10 s squid membrane": ([*VLAB, "run", str(protocol)], warm_env, None),
    }
    if not have_seed:
        del cases["vlab new user, rig painted"], cases["vlab new user, first live frame"]
        print(f"(no install-time cache at {seed}: run scripts/setup-env or vlab.rig.warmup)")
    if args.before is not None:
        for what, flag in (("rig painted", "--paint-test"), ("first live frame", "--smoke-test")):
            cases[f"before: vlab warm, {what}"] = ([*VLAB, flag], warm_env, None)
    if neuron_py.is_file():
        cases["NEURON, 10 s squid membrane (same dt)"] = ([str(neuron_py), "-c", NEURON], env, None)
    else:
        print(f"(no {neuron_py}: `bash bench/run.sh` makes .venv-bench; NEURON is skipped)")
    load_start = os.getloadavg()[0]
    # warm-up: fill the warm cache and the OS file cache
    for cmd, e, _ in (
        cases["vlab warm, first live frame (--smoke-test)"],
        cases[next(iter(cases))],
    ):
        timed(cmd, e)
    if args.before is not None:  # its own sources, its own kernels in the warm cache
        timed(*cases["before: vlab warm, first live frame"][:2], None, args.before)
    times: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    events: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.runs):
        for name, (cmd, e, before) in cases.items():
            cwd = args.before if name.startswith("before:") else ROOT
            wall, used, event = timed(cmd, e, before, cwd)
            times[name].append(wall)
            cpu[name].append(used)
            if event is not None:
                events[name].append(event)
    med = {k: statistics.median(v) for k, v in times.items()}
    bare = med["bare window (PySide6 + pyqtgraph)"]
    neuron = med.get("NEURON, 10 s squid membrane (same dt)")
    print(f"Python {sys.version.split()[0]}, {args.runs} runs of each, interleaved")
    print(
        f"load average (1 min) at the start: {load_start:.1f}, at the end: {os.getloadavg()[0]:.1f}"
    )
    bare_event = statistics.median(events["bare window (PySide6 + pyqtgraph)"])
    print(
        f"{'case':55s} {'median':>8s} {'min-max':>13s} {'ratio':>7s} {'':>10s} {'CPU':>6s}"
        f"   {'event':>6s} {'min-max':>11s} {'ratio':>6s}"
    )
    for k, v in times.items():
        if k.startswith(("vlab run", "NEURON")):
            ref, ref_name = neuron, "NEURON"
        else:
            ref, ref_name = bare, "bare"
        ratio = f"{med[k] / ref:.2f}x" if ref else "-"
        ev = events[k]
        at = (
            f"   {statistics.median(ev):5.2f}s {min(ev):4.2f}-{max(ev):4.2f}s"
            f" {statistics.median(ev) / bare_event:5.2f}x"
            if ev
            else ""
        )
        print(
            f"{k:55s} {med[k]:7.2f}s {min(v):5.2f}-{max(v):5.2f}s {ratio:>7s}"
            f" {'' if ref is None else 'of ' + ref_name:10s} {statistics.median(cpu[k]):5.2f}s"
            f"{at}"
        )
    print(
        "event: from the launch to the moment the process reported (the bare window and"
        " --paint-test: painted; --smoke-test: its first live frame), ratio to the bare"
        " window's; the process itself ends later when numba is still loading then"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
