"""GUI test fixtures: a rig window with its worker, and a dangling-thread/timer guard."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


@pytest.fixture(autouse=True)
def _no_dangling_threads(qapp):
    """Fail a test that leaves a simulation thread running (napari-style guard)."""
    from vlab.gui.worker import live_threads

    yield
    qapp.processEvents()
    left = live_threads()
    for th in left:  # clean up so one failure does not cascade
        th.quit()
        th.wait(5000)
    assert not left, f"simulation thread(s) left running: {left}"


@pytest.fixture
def rig():
    from vlab.rig import Rig

    return Rig("squid")


@pytest.fixture
def window(qtbot, rig):
    """The rig window, streaming gap-free current clamp; closed (and checked) afterwards."""
    from vlab.gui.main_window import MainWindow

    win = MainWindow(rig)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: len(win.scope.ring) > 0, timeout=15000)
    yield win
    win.close()
    assert not win.host.thread.isRunning()
    assert not win.scope._timer.isActive()
    assert not win._slow_timer.isActive()


def ring_vm(win, since: float | None = None):
    t, vm, _ = win.scope.ring.data()
    if since is not None:
        vm = vm[t >= since]
    return vm
