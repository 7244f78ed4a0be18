"""Start-up order (issue 10, item 7): the rig window is painted before numba (and scipy,
the file formats' libraries and the hidden membrane view) are imported;
the simulation thread, whose first step imports numba and loads the kernels, starts
after the first paint, and commands sent before it are not lost. The first live frame
comes without scipy.linalg (numba's BLAS probe would import it while loading).

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
from vlab.gui.app import main
rc_paint = main(["--paint-test"])
painted_without_numba = "numba" not in sys.modules
heavy = ("numba", "llvmlite", "scipy", "h5py", "pynwb", "hdmf", "pyabf", "neo", "pandas",
         "matplotlib", "vlab.gui.panels.membrane_view", "vlab.gui.analysis_windows")
imported_at_paint = sorted(m for m in heavy if m in sys.modules)
rc_smoke = main(["--smoke-test"])  # streams: the worker's first step brings numba in
# numba's BLAS probe would import scipy.linalg (0.2-0.5 s) while loading the kernels
scipy_linalg_at_first_frame = "scipy.linalg" in sys.modules
from vlab.sim import kernel
print(json.dumps({
    "rc_paint": rc_paint,
    "painted_without_numba": painted_without_numba,
    "imported_at_paint": imported_at_paint,
    "rc_smoke": rc_smoke,
    "numba_after_data": "numba" in sys.modules,
    "scipy_linalg_at_first_frame": scipy_linalg_at_first_frame,
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
        "painted_without_numba": True,
        "imported_at_paint": [],  # none is needed to show the rig (docs/performance.md)
        "rc_smoke": 0,
        "numba_after_data": True,
        "scipy_linalg_at_first_frame": False,  # not needed to stream (vlab.sim.jit)
        "kernel_is_dispatcher": True,
    }


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
