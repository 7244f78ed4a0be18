"""Monkey run: seeded random clicks and keys in the real rig window; crashes, stalls, memory.

A supervisor starts the app in a child process (the real ``MainWindow`` on the X display
in ``DISPLAY``, e.g. an Xvfb; offscreen if there is none) and reads a heartbeat line from it
every ``--every`` seconds. In the child a timer performs one random action every
``--interval-ms``: a click (left, sometimes right or double) at a random point of a random
visible, enabled control or plot of the active window (the modal dialog or open menu if
there is one), a random key or shortcut, a random menu action, a wheel turn or a drag on a
plot. Extra windows (analysis, axon bench) are closed again when more than three are open.
File dialogs are replaced by a chooser that answers "cancel" or a file in a sandbox folder
(settings, progress and recovery files live there too), and the rig window ignores Quit
until the end, so nothing outside the sandbox is touched.

Reported: a crash (the child killed by a signal or exiting non-zero), a hang (no heartbeat
for ``--hang-s``: every thread's stack is dumped, then the child is killed), uncaught
Python exceptions (``sys.excepthook``, which PySide calls for exceptions in slots and event
handlers), ERROR log records, the longest stall of the GUI thread (largest gap between the
ticks of a 5 ms timer) and the resident memory (RSS) over time.

Usage::

    DISPLAY=:12 nice -n 10 .venv/bin/python bench/monkey.py --minutes 30 --seed 1
    .venv/bin/python bench/monkey.py --minutes 1        # short form

Exit status 0 when there was no crash, hang or uncaught exception. Figures: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_parts_mb() -> dict[str, float]:
    """This process's resident memory by kind (anonymous, file-backed, shared), MB."""
    parts = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "RssShmem"):
                parts[key[3:].lower()] = int(value.split()[0]) / 1024
    return parts


def mappings_mb() -> dict[str, float]:
    """Resident MB by mapping: a file's name, ``[heap]``, or anonymous mappings by size class."""
    out: dict[str, float] = {}
    name = ""
    with open("/proc/self/smaps") as fh:
        for line in fh:
            first = line.split()
            if "-" in first[0] and ":" not in first[0]:
                lo, hi = (int(x, 16) for x in first[0].split("-"))
                size = (hi - lo) >> 20
                name = first[5] if len(first) > 5 else f"anonymous, {size} MiB mappings"
                if len(first) <= 5 and size >= 8:
                    name = "anonymous, >= 8 MiB mappings"
            elif first[0] == "Rss:":
                out[name] = out.get(name, 0.0) + int(first[1]) / 1024
    return out


def malloc_mb() -> tuple[float, float]:
    """(MB malloc has handed out, MB it holds free): :func:`vlab.gui.heap.heap_bytes`; NaN
    without glibc."""
    from vlab.gui.heap import heap_bytes

    both = heap_bytes()
    if both is None:
        return float("nan"), float("nan")
    return both[0] / 2**20, both[1] / 2**20


def malloc_trim() -> None:
    """Give glibc's free memory back to the system (``malloc_trim(0)``), if glibc is there."""
    from vlab.gui.heap import release_free_heap

    release_free_heap(above=0)


def held_data_mb(win) -> float:
    """MB of sweep samples the window holds for the student: the recording (kept sweeps
    beyond the budget included), its imported recordings and the last discard (kept for
    *Restore*), each sweep counted once."""
    from vlab.recording.budget import sweep_nbytes

    sweeps = {id(s): s for s in (*win.recording.sweeps, *win.recording.imported)}
    discarded = getattr(win, "_discarded", None)
    for s in discarded[0] if discarded else ():
        sweeps[id(s)] = s
    return sum(sweep_nbytes(s) for s in sweeps.values()) / 2**20


# ------------------------------------------------------------------------------ supervisor
def supervise(args: argparse.Namespace) -> int:
    sandbox = Path(tempfile.mkdtemp(prefix="vlab-monkey-"))
    env = dict(os.environ)
    env.update(VLAB_CONFIG_DIR=str(sandbox / "config"), VLAB_DATA_DIR=str(sandbox / "data"))
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    cmd = [sys.executable, str(HERE), "--child", "--sandbox", str(sandbox)]
    cmd += ["--minutes", str(args.minutes), "--seed", str(args.seed), "--every", str(args.every)]
    cmd += ["--interval-ms", str(args.interval_ms), "--budget-mb", str(args.budget_mb)]
    cmd += ["--only", args.only] if args.only else []
    cmd += [flag for flag, on in (("--diagnose", args.diagnose), ("--trim", args.trim)) if on]
    errlog = sandbox / "child-stderr.txt"
    print(
        f"monkey: seed {args.seed}, {args.minutes:g} min, one action per {args.interval_ms} ms, "
        f"display {env.get('DISPLAY') or 'offscreen'}, sandbox {sandbox}"
    )
    print(
        "   t/s   RSS/MB  malloc in use/MB  free/MB  recording/MB  held/MB  actions  windows  QObjects  "
        "scene items  exceptions  log-errors  max stall/ms (interval)"
    )
    rows: list[dict] = []
    hang = False
    with open(errlog, "wb") as err:
        child = subprocess.Popen(cmd, env=env, cwd=sandbox, stdout=subprocess.PIPE, stderr=err)
        assert child.stdout is not None
        last = time.monotonic() + args.startup_s - args.hang_s  # start-up may take longer
        buf = b""
        while True:
            ready, _, _ = select.select([child.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(child.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    try:
                        row = json.loads(line)
                    except ValueError:
                        continue
                    last = time.monotonic()
                    row["rss_parent"] = rss_mb(child.pid) if child.poll() is None else None
                    rows.append(row)
                    print(
                        "{t:6.0f} {rss:8.0f} {in_use:17.1f} {free:8.1f} {recording_mb:13.1f} "
                        "{data_mb:9.1f} "
                        "{actions:8d} {windows:8d} {qobjects:9d} {items:12d} {exceptions:11d} "
                        "{log_errors:11d} {stall_ms:13.0f}".format(**row),
                        flush=True,
                    )
            elif child.poll() is not None:
                break
            if time.monotonic() - last > args.hang_s:
                hang = True
                child.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack
                time.sleep(2)
                child.kill()
                break
        rc = child.wait()
    stderr = errlog.read_text(errors="replace")
    crash = rc != 0 and not hang
    summary = rows[-1] if rows else {}
    rss = [r["rss"] for r in rows]
    half = rows[len(rows) // 2 :] or [{"t": 0.0, "rss": float("nan")}]
    later = [r["rss"] for r in half]

    def trend(key: str) -> float:
        """Least-squares trend of ``key`` over the second half, per 10 minutes."""
        if len(half) < 3:
            return 0.0
        tm = sum(r["t"] for r in half) / len(half)
        vm = sum(r[key] for r in half) / len(half)
        var = sum((r["t"] - tm) ** 2 for r in half)
        return 600 * sum((r["t"] - tm) * (r[key] - vm) for r in half) / var if var else 0.0

    slope = trend("rss")
    print(
        "summary: {} after {:.0f} s; {} actions; crash: {}; hang: {}; uncaught exceptions: {}; "
        "ERROR log records: {}; longest GUI stall {:.0f} ms; RSS start {:.0f} MB, end {:.0f} MB, "
        "max {:.0f} MB; second half {:.0f}-{:.0f} MB, trend {:+.1f} MB per 10 min".format(
            "finished" if summary.get("done") else "stopped",
            summary.get("t", 0.0),
            summary.get("actions", 0),
            f"yes (exit status {rc})" if crash else "no",
            "yes" if hang else "no",
            summary.get("exceptions", 0),
            summary.get("log_errors", 0),
            max((r["stall_ms"] for r in rows), default=0.0),
            rss[0] if rss else 0.0,
            rss[-1] if rss else 0.0,
            max(rss, default=0.0),
            min(later),
            max(later),
            slope,
        )
    )
    if len(half) > 2:
        print(
            "         malloc in use {:.0f} -> {:.0f} MB (trend {:+.1f} MB per 10 min), free "
            "{:.0f} -> {:.0f} MB; QObjects {} -> {} (trend {:+.0f} per 10 min), scene items "
            "{} -> {}".format(
                rows[0]["in_use"],
                rows[-1]["in_use"],
                trend("in_use"),
                rows[0]["free"],
                rows[-1]["free"],
                rows[0]["qobjects"],
                rows[-1]["qobjects"],
                trend("qobjects"),
                rows[0]["items"],
                rows[-1]["items"],
            )
        )
    if len(half) > 2 and "data_mb" in rows[0]:
        for r in rows:
            r["rss_apart"] = r["rss"] - r["data_mb"]
            r["in_use_apart"] = r["in_use"] - r["data_mb"]
        apart = [r["rss_apart"] for r in half]
        print(
            "         apart from the sweep data held (recording incl. kept sweeps, imported, last "
            "discard: {:.0f} -> {:.0f} MB, max {:.0f}): RSS {:.0f} -> {:.0f} MB, max {:.0f}, "
            "second half {:.0f}-{:.0f} MB, trend {:+.1f} MB per 10 min; malloc in use "
            "{:.0f} -> {:.0f} MB, trend {:+.1f} MB per 10 min".format(
                rows[0]["data_mb"],
                rows[-1]["data_mb"],
                max(r["data_mb"] for r in rows),
                rows[0]["rss_apart"],
                rows[-1]["rss_apart"],
                max(r["rss_apart"] for r in rows),
                min(apart),
                max(apart),
                trend("rss_apart"),
                rows[0]["in_use_apart"],
                rows[-1]["in_use_apart"],
                trend("in_use_apart"),
            )
        )
    if "ATTRIBUTION" in stderr:
        print(stderr[stderr.index("ATTRIBUTION") :].split("DIAGNOSE")[0].split("UNCAUGHT")[0])
    if args.trim and rows:
        trims = sorted(r["trim_ms"] for r in rows)
        print(
            f"         malloc_trim took {trims[len(trims) // 2]:.1f} ms (median), {trims[-1]:.1f} max"
        )
    if rows and "anon" in rows[0]:
        print(
            "         resident anonymous {:.0f} -> {:.0f} MB, file-backed {:.0f} -> {:.0f} MB, "
            "shared {:.0f} -> {:.0f} MB; threads {} -> {}".format(
                *(rows[i][k] for k in ("anon", "file", "shmem") for i in (0, -1)),
                rows[0]["threads"],
                rows[-1]["threads"],
            )
        )
    if "DIAGNOSE" in stderr:
        print(stderr[stderr.index("DIAGNOSE") :].split("UNCAUGHT")[0][:6000])
    for ms, what in summary.get("longest", []):
        print(f"  stall {ms} ms after: {what}")
    if crash or hang or summary.get("exceptions"):
        print(f"child stderr ({errlog}):\n{stderr[-8000:]}")
        return 1
    return 0


# ------------------------------------------------------------------------------ child
KEYS = [
    "Space", "Return", "Escape", "Tab", "Backtab", "Up", "Down", "Left", "Right", "PageUp",
    "PageDown", "Home", "End", "Delete", "Backspace", "F1", "F5", "F6", "Plus", "Minus",
    "0", "1", "5", "9", "A", "E", "M", "R", "V", "Period",
]  # fmt: skip
MODIFIERS = ["", "", "", "Control", "Shift", "Alt", "Control+Shift"]
# Action kinds and their share of the rolls: the roll's interval in [0, 1).
KINDS = {"click": (0.0, 0.5), "key": (0.5, 0.75), "menu": (0.75, 0.88), "plot": (0.88, 0.96)}
KINDS["close"] = (0.96, 1.0)


def restricted_roll(roll: float, only: list[str]) -> float:
    """Map a uniform roll in [0, 1) onto the intervals of the ``only`` kinds (all: unchanged)."""
    spans = [KINDS[k] for k in KINDS if not only or k in only]
    u = roll * sum(hi - lo for lo, hi in spans)
    for lo, hi in spans:
        if u < hi - lo:
            return lo + u
        u -= hi - lo
    return spans[-1][1] - 1e-9


def child(args: argparse.Namespace) -> int:  # noqa: C901, PLR0915 - one script
    import faulthandler
    import logging
    import random
    import traceback

    faulthandler.enable()
    faulthandler.register(signal.SIGUSR1, all_threads=True)

    from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, QTimer
    from PySide6.QtGui import QAction, QWheelEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSlider,
        QAbstractSpinBox,
        QApplication,
        QComboBox,
        QFileDialog,
        QGraphicsView,
        QLineEdit,
        QMenuBar,
        QTabBar,
        QWidget,
    )

    rng = random.Random(args.seed)
    sandbox = Path(args.sandbox)
    app = QApplication.instance() or QApplication([])
    counts = {"exceptions": 0, "log_errors": 0, "monkey_errors": 0, "actions": 0}
    first_tracebacks: list[str] = []

    def excepthook(kind, value, tb) -> None:
        counts["exceptions"] += 1
        text = "".join(traceback.format_exception(kind, value, tb))
        if len(first_tracebacks) < 5:
            first_tracebacks.append(text)
        sys.stderr.write("UNCAUGHT " + text)

    sys.excepthook = excepthook

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                counts["log_errors"] += 1

    logging.getLogger().addHandler(Counter())

    def choose_open(*_a, **_k):
        files = sorted(p for p in sandbox.glob("monkey*") if p.is_file())
        if not files or rng.random() < 0.3:
            return "", ""
        return str(rng.choice(files)), ""

    def choose_save(_parent=None, _caption="", directory="", filt="", *_a, **_k):
        if rng.random() < 0.3:
            return "", ""
        found = re.search(r"\*(\.[A-Za-z0-9]+)", str(filt))
        suffix = Path(str(directory)).suffix or (found.group(1) if found else ".out")
        return str(sandbox / f"monkey{suffix}"), ""

    QFileDialog.getOpenFileName = staticmethod(choose_open)  # type: ignore[method-assign]
    QFileDialog.getSaveFileName = staticmethod(choose_save)  # type: ignore[method-assign]
    QFileDialog.getExistingDirectory = staticmethod(lambda *a, **k: str(sandbox))  # type: ignore

    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol
    from vlab.recording.budget import MemoryBudget
    from vlab.rig import Rig

    rig = Rig("squid")
    rig.set_protocol(load_protocol("single_pulse"))
    rig.clear_history()
    win = MainWindow(rig)
    win.budget = MemoryBudget(int(args.budget_mb * 2**20))
    win.ask_unsaved = lambda _n: "discard"  # type: ignore[method-assign]
    win.resize(1366, 768)
    win.show()
    QTimer.singleShot(0, win.offer_recovery)
    QTimer.singleShot(0, win.show_welcome)
    finishing = {"now": False}

    class KeepOpen(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Close and not finishing["now"]:
                event.ignore()  # a filtered close event is still accepted: refuse it
                return True
            return False

    keep_open = KeepOpen()
    app.setQuitOnLastWindowClosed(False)  # the run ends at finish(), not when a window closes
    win.installEventFilter(keep_open)

    stall = {"max": 0.0, "last": time.perf_counter()}
    doing = {"what": "start-up"}  # the action under way, to name what a stall followed
    longest: list[tuple[float, str]] = []  # the 5 longest stalls (ms, action)

    def tick() -> None:
        now = time.perf_counter()
        gap = now - stall["last"]
        stall["max"] = max(stall["max"], gap)
        stall["last"] = now
        if gap > 1.0:
            longest.append((round(gap * 1e3), doing["what"]))
            longest.sort(reverse=True)
            del longest[5:]

    probe = QTimer()
    probe.timeout.connect(tick)
    probe.start(5)

    targets = (
        QAbstractButton,
        QComboBox,
        QAbstractSpinBox,
        QAbstractSlider,
        QTabBar,
        QLineEdit,
        QGraphicsView,
        QAbstractItemView,
        QMenuBar,
    )

    def active_window() -> QWidget:
        for w in (QApplication.activePopupWidget(), QApplication.activeModalWidget()):
            if w is not None and w.isVisible():
                return w
        tops = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()]
        tops = [w for w in tops if not w.windowFlags() & Qt.WindowType.ToolTip] or [win]
        return win if rng.random() < 0.6 else rng.choice(tops)

    def random_point(w: QWidget) -> QPoint:
        r = w.rect()
        return QPoint(rng.randrange(max(1, r.width())), rng.randrange(max(1, r.height())))

    def controls(top: QWidget) -> list[QWidget]:
        out = [top] if isinstance(top, targets) else []
        for w in top.findChildren(QWidget):
            if isinstance(w, targets) and w.isVisible() and w.isEnabled() and w.window() is top:
                out.append(w)
        return out or [top]

    def reachable_actions(top: QWidget) -> list[QAction]:
        """Actions a user can reach: in the window's menu bar (recursively) or on a key."""
        found: list[QAction] = []
        stack = [a for bar in top.findChildren(QMenuBar) for a in bar.actions()]
        stack += [a for a in top.findChildren(QAction) if not a.shortcut().isEmpty()]
        while stack:
            a = stack.pop()
            if a in found:
                continue
            found.append(a)
            if a.menu() is not None:
                stack.extend(a.menu().actions())
        return [
            a
            for a in found
            if a.isEnabled() and a.text() and a.menu() is None and "Quit" not in a.text()
        ]

    def extra_windows() -> list[QWidget]:
        return [w for w in win.extra_windows() if w.isVisible()]

    def name(w: QObject) -> str:
        text = getattr(w, "text", None)
        label = text() if callable(text) else ""
        return f"{type(w).__name__} {label[:30]!r}" if label else type(w).__name__

    only = args.only.split(",") if args.only else []

    def act() -> None:
        top = active_window()
        roll = restricted_roll(rng.random(), only)
        extras = extra_windows()
        if "close" not in only and only and len(extras) > 3:
            roll = 0.99  # keep the number of windows bounded as the full monkey does
        if QApplication.activePopupWidget() is top and roll < 0.3:
            doing["what"] = "Escape in a menu"
            doing["kind"] = "Escape in a menu"
            QTest.keyClick(top, Qt.Key.Key_Escape)
        elif roll < 0.5:
            w = rng.choice(controls(top))
            doing["what"] = f"click {name(w)} in {type(top).__name__}"
            doing["kind"] = doing["what"]
            button = Qt.MouseButton.RightButton if rng.random() < 0.1 else Qt.MouseButton.LeftButton
            if rng.random() < 0.1:
                QTest.mouseDClick(w, button, Qt.KeyboardModifier.NoModifier, random_point(w))
            else:
                QTest.mouseClick(w, button, Qt.KeyboardModifier.NoModifier, random_point(w))
        elif roll < 0.75:
            target = QApplication.focusWidget() or top
            mods = Qt.KeyboardModifier.NoModifier
            for m in rng.choice(MODIFIERS).split("+"):
                if m:
                    mods |= getattr(Qt.KeyboardModifier, f"{m}Modifier")
            key = getattr(Qt.Key, f"Key_{rng.choice(KEYS)}")
            if not (mods & Qt.KeyboardModifier.ControlModifier and key == Qt.Key.Key_Q):
                doing["what"] = f"key {key.name} {mods!r} on {type(target).__name__}"
                doing["kind"] = f"key on {type(target).__name__}"
                QTest.keyClick(target, key, mods)
        elif roll < 0.88:
            actions = reachable_actions(top)
            if actions:
                chosen = rng.choice(actions)
                doing["what"] = f"menu action {chosen.text()!r}"
                doing["kind"] = doing["what"]
                chosen.trigger()
        elif roll < 0.96:
            plots = [w for w in top.findChildren(QGraphicsView) if w.isVisible()]
            if plots:
                view = rng.choice(plots).viewport()
                doing["what"] = f"wheel or drag on a plot in {type(top).__name__}"
                doing["kind"] = doing["what"]
                p = random_point(view)
                if rng.random() < 0.5:
                    delta = QPoint(0, rng.choice([-240, -120, 120, 240]))
                    pf = QPointF(p)
                    event = QWheelEvent(
                        pf,
                        QPointF(view.mapToGlobal(p)),
                        QPoint(),
                        delta,
                        Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase,
                        False,
                    )
                    QApplication.sendEvent(view, event)
                else:
                    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=p)
                    QTest.mouseMove(view, random_point(view))
                    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=random_point(view))
        elif len(extras) > 3 or (extras and rng.random() < 0.5):
            chosen_window = rng.choice(extras)
            doing["what"] = f"close {type(chosen_window).__name__}"
            doing["kind"] = doing["what"]
            chosen_window.close()

    # Attribution: the change of malloc's bytes in use from one action's start to the next
    # action's start is put on the first (so work it left for later counts as its own).
    by_kind: dict[str, list[float]] = {}  # kind -> [actions, MB in use gained]

    def attribute() -> None:
        in_use, _free = malloc_mb()
        if "in_use" in doing:
            entry = by_kind.setdefault(doing.get("kind", "nothing"), [0, 0.0])
            entry[0] += 1
            entry[1] += in_use - doing["in_use"]
        doing["in_use"] = in_use
        doing["kind"] = "nothing"

    def step() -> None:
        try:
            counts["actions"] += 1
            attribute()
            act()
        except RuntimeError:  # a widget deleted between choosing and acting: the monkey's
            counts["monkey_errors"] += 1  # own race, not the app's

    monkey = QTimer()  # each action in its own single-shot: one that opens a modal dialog
    monkey.timeout.connect(lambda: QTimer.singleShot(0, step))  # must not stop the others
    t0 = time.perf_counter()

    def live_qobjects() -> dict[int, QObject]:
        """Every QObject under the application and its top-level widgets, by address."""
        from shiboken6 import getCppPointer

        found: dict[int, QObject] = {}
        tops = QApplication.topLevelWidgets()
        for root in [app, *tops]:
            for o in [root, *root.findChildren(QObject)]:
                found[getCppPointer(o)[0]] = o
        return found

    def qt_census() -> collections.Counter:
        """Live QObjects by class; top-level widgets also as "top-level shown/hidden: Class"."""
        found = collections.Counter(o.metaObject().className() for o in live_qobjects().values())
        found.update(
            f"top-level {'shown' if o.isVisible() else 'hidden'}: {o.metaObject().className()}"
            for o in QApplication.topLevelWidgets()
        )
        return found

    def live_qt() -> tuple[int, int]:
        """(live QObjects, items in the scenes of every plot)."""
        tops = QApplication.topLevelWidgets()
        scenes = {v.scene() for w in tops for v in w.findChildren(QGraphicsView) if v.scene()}
        return len(live_qobjects()), sum(len(s.items()) for s in scenes)

    def report(done: bool = False) -> None:
        trim_ms = 0.0
        if args.trim:
            start = time.perf_counter()
            malloc_trim()
            trim_ms = (time.perf_counter() - start) * 1e3
            doing.pop("in_use", None)  # a trim is not an action's doing
        in_use, free = malloc_mb()
        qobjects, items = live_qt()
        row = {
            **rss_parts_mb(),
            "threads": threading.active_count(),
            "t": time.perf_counter() - t0,
            "rss": rss_mb(),
            "in_use": in_use,
            "free": free,
            "trim_ms": trim_ms,
            "qobjects": qobjects,
            "items": items,
            "windows": 1 + len(extra_windows()),
            "stall_ms": stall["max"] * 1e3,
            "recording_mb": win.budget.used / 2**20,
            "data_mb": held_data_mb(win),
            "done": done,
            "longest": longest,
            **counts,
        }
        stall["max"] = 0.0
        print(json.dumps(row), flush=True)

    baseline: dict = {}

    def census() -> tuple:
        """Live Python objects by type, and (with --diagnose) tracemalloc's snapshot."""
        import gc

        gc.collect()
        types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        import tracemalloc

        snap = tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None
        return types, snap

    def take_baseline() -> None:
        baseline["maps"] = mappings_mb()
        baseline["qt"] = qt_census()
        import tracemalloc

        baseline["types"], _ = census()
        if args.diagnose:
            tracemalloc.start(1)  # from now on: what is allocated after the warm-up

    def diagnosis() -> None:
        types, snap = census()
        grown = (types - baseline["types"]).most_common(15)
        sys.stderr.write("DIAGNOSE objects grown since the baseline (type, count):\n")
        for name, n in grown:
            sys.stderr.write(f"  {n:8d} {name}\n")
        if snap is not None:
            sys.stderr.write("DIAGNOSE allocations made since the baseline, alive (KiB, where):\n")
            for stat in snap.statistics("lineno")[:15]:
                sys.stderr.write(f"  {stat.size / 1024:10.0f} {stat.traceback}\n")

    def attribution() -> None:
        total = sum(n for n, _ in by_kind.values()) or 1
        mean = sum(mb for _, mb in by_kind.values()) / total
        sys.stderr.write(
            "ATTRIBUTION malloc bytes in use gained per action kind (over all actions: "
            f"{mean * 1024:+.1f} kB per action); the 25 largest totals and the 5 smallest:\n"
            "   actions   total/MB  per action/kB  kind\n"
        )
        ranked = sorted(by_kind.items(), key=lambda kv: -kv[1][1])
        if len(ranked) > 30:
            ranked = ranked[:25] + ranked[-5:]  # and the 5 that freed most
        for kind, (n, mb) in ranked:
            sys.stderr.write(f"  {n:8d} {mb:10.1f} {mb / n * 1024:14.1f}  {kind[:90]}\n")

    def qt_growth() -> None:
        grown = (qt_census() - baseline.get("qt", collections.Counter())).most_common()
        sys.stderr.write("QOBJECTS grown since the warm-up (count, class):\n")
        for cls, n in grown[:15] + [(c, n) for c, n in grown[15:] if c.startswith("top-level")]:
            sys.stderr.write(f"  {n:8d}  {cls}\n")

    def mapping_growth() -> None:
        now = mappings_mb()
        start = baseline.get("maps", {})
        grown = sorted(((now.get(k, 0.0) - start.get(k, 0.0), k) for k in now), reverse=True)
        sys.stderr.write("MAPPINGS resident MB grown since the warm-up (MB, mapping):\n")
        for mb, key in grown[:12]:
            sys.stderr.write(f"  {mb:8.1f}  {key}\n")

    def finish() -> None:
        monkey.stop()
        reporter.stop()
        report(done=True)
        attribution()
        mapping_growth()
        qt_growth()
        if args.diagnose and baseline:
            diagnosis()
        finishing["now"] = True
        for w in QApplication.topLevelWidgets():
            if w.isVisible() and w is not win:
                w.close()
        win.close()
        app.quit()

    reporter = QTimer()
    reporter.timeout.connect(report)
    QTimer.singleShot(1000, lambda: monkey.start(args.interval_ms))  # after the first paint
    QTimer.singleShot(0, report)
    reporter.start(int(args.every * 1000))
    # the baseline after a warm-up of a fifth of the run (at most 2 min)
    QTimer.singleShot(int(min(args.minutes * 12_000, 120_000)), take_baseline)
    QTimer.singleShot(int(args.minutes * 60_000), finish)
    app.exec()
    win.shutdown()
    for text in first_tracebacks:
        sys.stderr.write(text)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0, help="run length (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--every", type=float, default=10.0, help="heartbeat/sampling interval, s")
    ap.add_argument("--interval-ms", type=int, default=50, help="time between actions, ms")
    ap.add_argument(
        "--budget-mb",
        type=float,
        default=48.0,
        help="recording budget, MB (default 48, so memory reaches its plateau early)",
    )
    ap.add_argument("--hang-s", type=float, default=90.0, help="no heartbeat this long = hang")
    ap.add_argument("--startup-s", type=float, default=600.0, help="longest start-up, s")
    ap.add_argument(
        "--diagnose",
        action="store_true",
        help="trace allocations (tracemalloc, slower) and print what grew after the warm-up",
    )
    ap.add_argument(
        "--trim",
        action="store_true",
        help="call glibc's malloc_trim(0) before each sample (tells fragmentation from a leak)",
    )
    ap.add_argument(
        "--only",
        help="comma-separated action kinds to perform, of: " + ", ".join(KINDS),
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--sandbox", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only and not set(args.only.split(",")) <= set(KINDS):
        ap.error(f"--only takes kinds of: {', '.join(KINDS)}")
    return child(args) if args.child else supervise(args)


if __name__ == "__main__":
    raise SystemExit(main())
