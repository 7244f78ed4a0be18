"""The rig window journals its recording; the next start offers to restore it (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest

from vlab.protocols import load_protocol
from vlab.recording.journal import find_orphans

pytestmark = pytest.mark.gui


def _window(qtbot):
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    win = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(win)
    return win


def test_unsaved_sweeps_and_protocol_come_back_after_a_crash(qtbot, monkeypatch):
    first = _window(qtbot)
    first.stimulator.load("vc_step_family")
    first.run_protocol_now()
    n = len(first.recording)
    assert n > 3
    first.journal.close(delete=False)  # what kill -9 leaves: the file, no lock
    first.shutdown()

    second = _window(qtbot)
    asked = []
    monkeypatch.setattr(second, "ask_restore", lambda found: asked.append(found) or True)
    assert second.offer_recovery()
    assert len(asked[0].sweeps) == n
    assert len(second.recording) == n
    for a, b in zip(first.recording, second.recording, strict=True):
        assert np.array_equal(a["Vm"], b["Vm"]) and a.provenance == b.provenance
    assert second.rig.protocol.name == load_protocol("vc_step_family").name
    assert second.unsaved_sweeps() == n
    assert find_orphans(second.journal.folder) == []  # the old journal is gone ...
    second.journal.close(delete=False)
    (again,) = find_orphans(second.journal.folder)  # ... and the sweeps are journaled anew
    from vlab.recording.journal import read_journal

    assert len(read_journal(again).sweeps) == n
    second.shutdown()


def test_saved_or_closed_sessions_offer_nothing(qtbot, tmp_path, monkeypatch, save_experiment):
    win = _window(qtbot)
    win.stimulator.load("vc_step_family")
    win.run_protocol_now()
    assert save_experiment(win, tmp_path / "e.vlab")
    win.journal.close(delete=False)
    win.shutdown()
    other = _window(qtbot)
    monkeypatch.setattr(other, "ask_restore", lambda found: pytest.fail("nothing to restore"))
    assert not other.offer_recovery()
    assert len(other.recording) == 0
    assert find_orphans(other.journal.folder) == []  # the finished journal was removed
    other.close()
    assert not other.journal.path.exists()


def test_a_start_shows_one_dialog_at_a_time(qtbot, monkeypatch):
    """The recovery offer and the welcome were both opened at start, one over the other."""
    first = _window(qtbot)
    first.stimulator.load("vc_step_family")
    first.run_protocol_now()
    first.journal.close(delete=False)  # what kill -9 leaves
    first.shutdown()

    second = _window(qtbot)
    second.settings.set("show_welcome", True)
    asked = []
    monkeypatch.setattr(second, "ask_restore", lambda found: asked.append(found) or True)
    second.greet()
    assert len(asked) == 1 and second.welcome is None  # restored work: no welcome on top
    second.shutdown()

    third = _window(qtbot)
    third.settings.set("show_welcome", True)
    monkeypatch.setattr(third, "ask_restore", lambda found: pytest.fail("nothing to restore"))
    third.greet()
    assert third.welcome is not None and third.welcome.isVisible()
    third.welcome.close()
    third.shutdown()


def test_settings_without_sweeps_are_offered_as_settings(qtbot, monkeypatch):
    """A crashed session with changed settings but no sweeps said "Restored 0 unsaved sweeps"."""
    first = _window(qtbot)
    first.stimulator.load("vc_step_family")  # a settings change, journaled; nothing recorded
    first.journal.close(delete=False)
    first.shutdown()

    second = _window(qtbot)
    monkeypatch.setattr(second, "ask_restore", lambda found: True)
    assert second.offer_recovery()
    shown = second.statusBar().currentMessage()
    assert shown.startswith("Restored the rig settings from the session started at ")
    assert len(shown) < 70  # it was cut off by the speed read-out at 1024 px
    assert second.rig.protocol.name == load_protocol("vc_step_family").name
    second.shutdown()


def test_the_start_time_reads_as_a_time():
    import datetime as dt

    from vlab.gui.main_window import _when

    now = dt.datetime.now().astimezone().replace(hour=5, minute=30, second=0, microsecond=0)
    assert _when(now.isoformat()) == "at 05:30"
    earlier = now - dt.timedelta(days=40)
    assert _when(earlier.isoformat()) == f"on {earlier.day} {earlier:%b} at 05:30"
    assert _when("") == "earlier" and _when("garbage") == "garbage"
