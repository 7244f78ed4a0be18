"""Start-up order (issue 10, item 7): the rig (Qt-free) is made before PySide6 is imported;
the rig window is painted before numba (and scipy,
the file formats' libraries and the hidden membrane view) are imported;
the simulation thread starts after the first paint, and commands sent before it are not
lost. Its first blocks, and the first live frame, do not wait for numba: the kernels run
as Python while a thread of its own loads numba and the kernels, then the simulation
switches to them. numba loads without scipy.linalg (its BLAS probe would import it).

numba is already imported in the test process, so the order is checked in a fresh one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui

PROBE = """
import json, sys
import vlab.gui.app as app
from vlab.gui.app import main
qt_at_rig = []
make_rig = app._make_rig
def watched_make_rig(args):
    rig = make_rig(args)
    qt_at_rig.append("PySide6" in sys.modules)
    return rig
app._make_rig = watched_make_rig
rc_paint = main(["--paint-test"])
painted_without_numba = "numba" not in sys.modules
heavy = ("numba", "llvmlite", "scipy", "h5py", "pynwb", "hdmf", "pyabf", "neo", "pandas",
         "matplotlib", "vlab.gui.panels.membrane_view", "vlab.gui.analysis_windows")
imported_at_paint = sorted(m for m in heavy if m in sys.modules)
rc_smoke = main(["--smoke-test"])  # streams: the worker starts loading numba
from vlab.sim import jit, kernel
jit._loader.join()  # (the process would wait for it at exit)
print(json.dumps({
    "rc_paint": rc_paint,
    # PySide6's import hook taxes every later import (docs/performance.md, "Start-up")
    "qt_imported_when_the_rig_was_made": qt_at_rig,
    "painted_without_numba": painted_without_numba,
    "imported_at_paint": imported_at_paint,
    "rc_smoke": rc_smoke,
    "numba_after_data": "numba" in sys.modules,
    # numba's BLAS probe would import scipy.linalg (0.2-0.5 s) while loading the kernels
    "scipy_linalg_after_loading": "scipy.linalg" in sys.modules,
    "kernel_is_dispatcher": type(kernel.advance).__module__.startswith("numba"),
}))
"""


def test_window_is_painted_before_numba_is_imported():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("VLAB_NO_JIT", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {
        "rc_paint": 0,
        "qt_imported_when_the_rig_was_made": [False, True],  # --paint-test, --smoke-test
        "painted_without_numba": True,
        "imported_at_paint": [],  # none is needed to show the rig (docs/performance.md)
        "rc_smoke": 0,
        "numba_after_data": True,
        "scipy_linalg_after_loading": False,  # not needed to stream (vlab.sim.jit)
        "kernel_is_dispatcher": True,
    }


LIVE_WHILE_LOADING = """
import json, sys, threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from vlab.sim import jit
gate = threading.Event()
import_numba = jit._import_numba
def held_import_numba():  # numba's import waits for the first live frame
    gate.wait(60)
    return import_numba()
jit._import_numba = held_import_numba
interpreted = []  # per call of a kernel as Python: had the loader finished?
run_interpreted = jit._run_interpreted
def counted(stub, args, kwargs):
    interpreted.append(jit._loader is not None and not jit._loader.is_alive())
    return run_interpreted(stub, args, kwargs)
jit._run_interpreted = counted
from vlab.gui.main_window import MainWindow
from vlab.rig import Rig
app = QApplication(sys.argv[:1])
win = MainWindow(Rig("squid"))
got = {}
deliveries = []
win.host.blocks_ready.connect(lambda blocks: deliveries.append(jit._loader.is_alive()))
def frame():
    if len(win.scope.ring) and "numba_at_first_frame" not in got:
        got["numba_at_first_frame"] = "numba" in sys.modules
        got["interpreted_before_first_frame"] = len(interpreted)
        gate.set()
win.scope.frame_painted.connect(frame)
def poll():  # until six deliveries came after the loader finished
    if deliveries.count(False) >= 6:
        app.quit()
timer = QTimer()
timer.timeout.connect(poll)
timer.start(10)
QTimer.singleShot(120_000, app.quit)  # a guard against a hang, not a measurement
win.show()
app.exec()
win.shutdown()
from vlab.sim import kernel
got["deliveries_after_loading"] = deliveries.count(False)
got["interpreted_after_loading"] = interpreted.count(True)
got["kernel_is_dispatcher"] = type(kernel.advance).__module__.startswith("numba")
print(json.dumps(got))
"""


def test_the_first_live_frame_does_not_wait_for_numba():
    """numba's import is held until the first live frame: the frame must come (from the
    kernels run as Python); then the loader finishes and the simulation runs compiled.
    Without the loader thread the first kernel call would wait for numba and no frame
    would come."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("VLAB_NO_JIT", None)
    out = subprocess.run(
        [sys.executable, "-c", LIVE_WHILE_LOADING],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["numba_at_first_frame"] is False
    assert got["interpreted_before_first_frame"] > 0
    assert got["deliveries_after_loading"] >= 6
    # each delivery holds at least one call of the kernel, and at most two were computed
    # before the GUI received them (back-pressure): without the switch at least four calls
    # would be counted; with it at most the one already decided as Python when the loader
    # finished (its check and the count are not one atomic step)
    assert got["interpreted_after_loading"] <= 1
    assert got["kernel_is_dispatcher"] is True


def test_commands_sent_before_the_worker_starts_are_kept(qtbot):
    """A protocol started between construction and the first paint still runs."""
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"))
    qtbot.addWidget(win)
    assert not win.host.running and "starting the simulator" in win.speed_label.text()
    win.stimulator.load("threshold_search")
    win.set_speed(10.0)
    win.run_protocol()  # queued for the worker thread, which starts after the first paint
    win.show()
    qtbot.waitUntil(lambda: not win.protocol_running, timeout=120_000)
    assert len(win.recording) == 12
    win.close()
