"""Start the rig window: ``main(argv)``.

* no arguments: the rig window, squid preparation, gap-free current clamp;
* ``--screenshot FILE.png [--protocol NAME] [--preparation NAME] [--drug SPEC ...]``:
  render the window offscreen at 1280x800 (or ``--size WxH``) after running the protocol to completion
  (as fast as possible, not paced), save the PNG, exit 0;
* ``--smoke-test``: start, stream until the first frame is painted, stop cleanly, exit 0
  (a 20 s watchdog exits 2);
* ``--paint-test``: start and exit 0 as soon as the rig window is painted with its
  controls, before the simulation thread starts (``bench/bench_startup.py`` times this
  against a bare PySide6 + pyqtgraph window; the first live sample follows).

Both print when their event happened on the system's monotonic clock
(``time.monotonic()``), for ``bench/bench_startup.py``: a process ends later than its
first live frame when numba is still loading then (``vlab.sim.jit.load_in_background``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["main", "build_parser"]

WATCHDOG_MS = 20_000
SCREENSHOT_SIZE = (1280, 800)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1024x700") from None
    if not (320 <= w <= 8000 and 240 <= h <= 8000):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be 320-8000 px")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vlab", description="vlab: the virtual electrophysiology rig")
    p.add_argument("--screenshot", metavar="FILE.png", help="render the window to a PNG and exit")
    p.add_argument("--protocol", metavar="NAME", help="built-in protocol name or .toml file")
    p.add_argument("--preparation", metavar="NAME", default="squid", help="squid or mammalian")
    p.add_argument(
        "--drug",
        metavar="SPEC",
        action="append",
        default=[],
        help="drug in the bath, equilibrated, e.g. TTX=100nM (repeatable)",
    )
    p.add_argument(
        "--size",
        metavar="WxH",
        type=_size,
        default=SCREENSHOT_SIZE,
        help="window size for --screenshot, e.g. 1024x700 (default 1280x800)",
    )
    p.add_argument("--smoke-test", action="store_true", help="start, draw one frame, stop, exit 0")
    p.add_argument(
        "--paint-test",
        action="store_true",
        help="start, exit 0 once the rig window is painted (start-up benchmark)",
    )
    p.add_argument("--speed", type=float, default=1.0, help="simulation speed, x real time")
    return p


def _qapp(offscreen: bool):
    if offscreen and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("vlab")
        app.setOrganizationName("vlab")
        app.setDesktopFileName("vlab")  # matches packaging/linux/vlab.desktop
        try:
            from PySide6.QtGui import QIcon

            from vlab.resources import resource_path

            icon = resource_path("icons", "vlab.svg")
            if icon.is_file():
                app.setWindowIcon(QIcon(str(icon)))
        except Exception:  # noqa: BLE001 - an icon is never worth failing to start
            log.debug("no window icon", exc_info=True)
    try:
        from vlab.gui.i18n import install_translator

        install_translator(app)
    except ImportError:
        pass
    return app


def _splash(app):
    """A splash window painted before the heavy imports (None if the icon is missing).

    A frameless label rather than ``QSplashScreen``, whose ``show()`` waits up to a second
    for the window manager on some platforms, which is what a splash is meant to hide.
    """
    from PySide6.QtCore import QCoreApplication, QRect, Qt
    from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
    from PySide6.QtWidgets import QLabel

    from vlab.resources import resource_path

    icon_file = resource_path("icons", "vlab.svg")
    if not icon_file.is_file():
        return None
    pix = QPixmap(320, 300)
    pix.fill(QColor("#101418"))
    painter = QPainter(pix)
    painter.drawPixmap(64, 16, QIcon(str(icon_file)).pixmap(192, 192))
    painter.setPen(QColor("white"))
    message = QCoreApplication.translate("vlab", "Starting vlab…")
    painter.drawText(QRect(0, 220, 320, 60), Qt.AlignmentFlag.AlignCenter, message)
    painter.end()
    splash = QLabel()
    splash.setWindowFlags(Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
    splash.setPixmap(pix)
    splash.setAccessibleName(message)
    splash.finish = lambda _window: splash.close()
    splash.show()
    app.processEvents()
    return splash


def _make_rig(args):
    from vlab.protocols import load_protocol
    from vlab.rig import Rig
    from vlab.sim.drugs import parse_drug_spec

    rig = Rig(args.preparation)
    for spec in args.drug:
        drug, c = parse_drug_spec(spec)
        rig.apply_drug(drug.name, c, equilibrated=True)
    # interactive start: single_pulse ready for F5; a screenshot without --protocol streams
    name = args.protocol or ("gap_free" if args.screenshot else "single_pulse")
    rig.set_protocol(load_protocol(name))
    rig.clear_history()
    return rig


def _no_display_reason() -> str | None:
    """Why a window cannot open here, or None. Qt would abort the interpreter instead."""
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no graphical display found (DISPLAY and WAYLAND_DISPLAY are not set). Start vlab "
        "from a desktop session, or use the headless commands (`vlab run PROTOCOL`, "
        "`vlab --screenshot FILE.png`, `vlab --help`)."
    )


def _start(args, offscreen: bool):
    """The rig, the QApplication and (not offscreen) the splash, in that order.

    The rig (Qt-free: numpy, the engine's Python, the protocols) is made before Qt is
    imported: once PySide6 is, its import hook runs Python code at every import statement
    and reads the source of every new module (looking for its ``__feature__`` switches),
    which made the window's first paint ~0.1 s later (docs/performance.md, "Start-up"). A
    bad argument also fails before any window. Then a splash at once: the plots
    (pyqtgraph) and the window take about half a second on a warm start, longer on a cold
    one. ``bench/bench_splash.py`` times this very sequence.
    """
    rig = _make_rig(args)
    app = _qapp(offscreen)
    splash = None if offscreen else _splash(app)
    return rig, app, splash


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    offscreen = bool(args.screenshot or args.smoke_test or args.paint_test)
    reason = None if offscreen else _no_display_reason()
    if reason:
        print(f"vlab: {reason}", file=sys.stderr)
        return 1
    try:
        rig, app, splash = _start(args, offscreen)
    except (ValueError, OSError) as exc:
        print(f"vlab: {exc}", file=sys.stderr)
        return 1
    from vlab.gui.main_window import MainWindow

    if args.screenshot:
        return _screenshot(app, rig, args)
    if args.smoke_test or args.paint_test:
        return _smoke_test(app, rig, until="paint" if args.paint_test else "data")
    win = MainWindow(rig)
    win.set_speed(args.speed)
    win.show_placed()
    if splash is not None:
        splash.finish(win)
    from PySide6.QtCore import QTimer

    # once the event loop runs and the rig window is on screen: a dialog opened on a
    # window that is not yet mapped was left unpainted under openbox
    QTimer.singleShot(0, win.greet)  # the recovery offer after a crash, else the welcome
    rc = app.exec()
    win.shutdown()
    return int(rc)


def _screenshot(app, rig, args) -> int:
    from vlab.gui.main_window import MainWindow

    win = MainWindow(rig, start_worker=False)
    win.resize(*args.size)
    win.show()
    app.processEvents()
    try:
        win.run_protocol_now()
    except Exception as exc:  # noqa: BLE001 - report, don't crash
        print(f"vlab: the protocol failed: {exc}", file=sys.stderr)
        win.shutdown()
        win.close()
        return 1
    win.scope.reset_cursors()
    win.scope.update_measurements()
    win._update_status_labels()
    app.processEvents()
    win.resize(*args.size)
    app.processEvents()
    path = Path(args.screenshot)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = win.grab().save(str(path))
    win.shutdown()
    win.close()
    win.deleteLater()
    app.processEvents()
    if not ok:
        print(f"vlab: could not write {path}", file=sys.stderr)
        return 1
    return 0


def _report(event: str) -> None:
    import time

    print(f"{event} at monotonic {time.monotonic():.6f} s", flush=True)


def _smoke_test(app, rig, until: str = "data") -> int:
    """Exit 0 at the first scope frame with simulated data (``until="data"``) or at the
    window's first paint (``"paint"``, before the simulation thread starts)."""
    from PySide6.QtCore import QTimer

    from vlab.gui.main_window import MainWindow

    win = MainWindow(rig)
    result = {"rc": 2}

    def painted() -> None:
        _report("rig painted")
        result["rc"] = 0
        win.shutdown()  # the worker is not started
        app.exit(0)

    def first_frame() -> None:
        if len(win.scope.ring) == 0 and not win.scope.sweeps:
            return  # painted before any data arrived
        win.scope.frame_painted.disconnect(first_frame)
        _report("first live frame")
        result["rc"] = 0
        win.shutdown()
        app.exit(0)

    def watchdog() -> None:
        print("vlab: smoke test timed out", file=sys.stderr)
        win.shutdown()
        app.exit(2)

    if until == "paint":
        win.first_painted.connect(painted)
    else:
        win.scope.frame_painted.connect(first_frame)
    dog = QTimer()
    dog.setSingleShot(True)
    dog.timeout.connect(watchdog)
    dog.start(WATCHDOG_MS)
    win.show()
    rc = app.exec()
    dog.stop()
    win.shutdown()
    win.close()
    win.deleteLater()
    app.processEvents()
    if rc == 0 and result["rc"] == 0:
        print("SMOKE-TEST OK")
        return 0
    return 2 if rc == 0 else int(rc)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
