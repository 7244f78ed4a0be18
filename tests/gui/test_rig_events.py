"""The one rig-event bridge: rig changes reach the panels in the GUI thread."""

from __future__ import annotations

import threading

import pytest

from vlab.gui.rig_events import RigEvents
from vlab.rig import ClampMode, Rig

pytestmark = pytest.mark.gui


def test_change_in_another_thread_arrives_in_the_gui_thread(qtbot, qapp, received):
    rig = Rig()
    bridge = RigEvents.of(rig)
    assert RigEvents.of(rig) is bridge  # one per rig
    every = received(bridge.mode)  # the typed signal
    t = threading.Thread(target=rig.set_mode, args=("VC",))
    t.start()
    t.join(10)
    qtbot.waitUntil(lambda: len(every) == 1, timeout=5000)
    assert every.args == [ClampMode.VC] and every.threads == [qapp.thread()]


def test_panels_and_window_share_one_rig_subscription(qtbot):
    from vlab.gui.main_window import MainWindow

    rig = Rig()
    win = MainWindow(rig, start_worker=False)
    qtbot.addWidget(win)
    assert rig._listeners == [RigEvents.of(rig)._forward]
    rig.set_parameter("K_out", "20 mM")  # GUI thread: delivered at once
    assert "20" in win.side_panels["solutions"].fields["K_out"].edit.text()
    rig.set_mode("VC")
    assert win.amplifier.mode_buttons[ClampMode.VC].isChecked()
    win.close()
