"""Scenario tests: a student drives the real rig window (offscreen, pytest-qt)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from vlab.protocols import load_protocol
from vlab.rig import ClampMode

pytestmark = pytest.mark.gui


def _sim_time(win) -> float:
    t, _, _ = win.scope.ring.data()
    return float(t[-1]) if t.size else 0.0


def _wait_sim(qtbot, win, seconds: float, timeout: int = 15000) -> None:
    """Wait until ``seconds`` of simulated time have reached the scope."""
    t0 = _sim_time(win)
    qtbot.waitUntil(lambda: _sim_time(win) >= t0 + seconds, timeout=timeout)


def _ring_after(win, t0: float):
    t, vm, im = win.scope.ring.data()
    return vm[t > t0], im[t > t0]


def test_cc_pulse_gives_spike_on_scope(qtbot, window):
    _wait_sim(qtbot, window, 0.05)
    t0 = _sim_time(window)
    qtbot.mouseClick(window.stimulator.stimulate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: _ring_after(window, t0)[0].size and _ring_after(window, t0)[0].max() > 0.0,
        timeout=10000,
    )
    # the scope curve shows it too
    window.scope.redraw()
    assert np.nanmax(window.scope.vm_curve.yData) > 0.0


def test_ttx_abolishes_spike_driving_force_unchanged(qtbot, window, rig):
    _wait_sim(qtbot, window, 0.02)
    e_na = window.scope.e_lines["Na"].value()
    rig.apply_drug("TTX", 1e-3, equilibrated=True)
    qtbot.waitUntil(lambda: "TTX" in window.drugs_label.text(), timeout=5000)
    _wait_sim(qtbot, window, 0.02)
    t0 = _sim_time(window)
    qtbot.mouseClick(window.stimulator.stimulate_button, Qt.MouseButton.LeftButton)
    _wait_sim(qtbot, window, 0.05)
    vm, _ = _ring_after(window, t0)
    assert vm.size and vm.max() < -0.02
    assert window.scope.e_lines["Na"].value() == pytest.approx(e_na)


def test_vc_family_shows_inward_peak(qtbot, window, rig, received):
    window.stimulator.load("vc_step_family")
    window.set_speed(10.0)
    finished = received(window.host.worker.episode_finished, with_arg=False)
    with qtbot.waitSignal(finished.arrived, timeout=30000):
        window.run_action.trigger()  # F5
    qtbot.waitUntil(lambda: len(window.recording) == 17, timeout=5000)
    assert rig.amplifier.mode == ClampMode.VC
    assert window.scope.display == "episodic"
    assert len(window.scope.sweeps) == 17
    window.scope.redraw()
    im_min = min(np.min(sw.im_item.yData) for sw in window.scope.sweeps)
    assert im_min < -1e-7  # inward Na+ current
    # the range grew with the sweeps: the ionic currents of every sweep are in sight
    y0, y1 = window.scope.im_plot.viewRange()[1]
    allv = np.concatenate([sw.im_item.yData for sw in window.scope.sweeps])
    lo, hi = np.percentile(allv, [0.2, 99.8])
    assert y0 <= lo and hi <= y1
    assert window.recording[0].provenance["protocol_name"].startswith("Voltage-step")


def test_k_out_moves_e_k_line(qtbot, window, rig):
    qtbot.waitUntil(lambda: window.scope.e_lines["K"].isVisible(), timeout=5000)
    before = window.scope.e_lines["K"].value()
    rig.set_parameter("K_out", "100 mM")
    qtbot.waitUntil(lambda: window.scope.e_lines["K"].value() > before + 0.02, timeout=5000)


def test_mode_switch_does_not_jolt_vm(qtbot, window, rig):
    _wait_sim(qtbot, window, 0.05)
    window.mode_actions[ClampMode.VC].trigger()  # Ctrl+1
    assert rig.amplifier.mode == ClampMode.VC
    t0 = _sim_time(window)
    qtbot.waitUntil(lambda: window.scope._mode == "VC", timeout=5000)
    _wait_sim(qtbot, window, 0.05)
    window.mode_actions[ClampMode.CC].trigger()
    _wait_sim(qtbot, window, 0.05)
    vm, _ = _ring_after(window, t0 - 0.05)
    assert np.max(np.abs(vm + 0.065)) < 2e-3


def test_shortcuts_are_bound(window):
    keys = {
        window.run_action: "F5",
        window.stop_action: "Esc",
        window.stimulate_action: "Space",
        window.undo_action: "Ctrl+Z",
        window.redo_action: "Ctrl+Shift+Z",
        window.mode_actions[ClampMode.VC]: "Ctrl+1",
        window.mode_actions[ClampMode.CC]: "Ctrl+2",
        window.mode_actions[ClampMode.I0]: "Ctrl+3",
    }
    for act, key in keys.items():
        assert act.shortcut().toString() == key


def test_undo_redo_of_mode_and_holding_via_keyboard(qtbot, window, rig):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert rig.amplifier.mode == ClampMode.VC
    assert window.amplifier.mode_buttons[ClampMode.VC].isChecked()
    window.amplifier.vc_holding.setValue(-80.0)
    assert rig.amplifier.holding[ClampMode.VC] == pytest.approx(-0.080)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert rig.amplifier.holding[ClampMode.VC] == pytest.approx(-0.065)
    assert window.amplifier.vc_holding.value() == pytest.approx(-65.0)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert rig.amplifier.mode == ClampMode.CC
    assert window.amplifier.mode_buttons[ClampMode.CC].isChecked()
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_Z, mods)
    qtbot.keyClick(window, Qt.Key.Key_Z, mods)
    assert rig.amplifier.mode == ClampMode.VC
    assert rig.amplifier.holding[ClampMode.VC] == pytest.approx(-0.080)
    assert window.amplifier.vc_holding.value() == pytest.approx(-80.0)


def test_holding_limit_is_refused_with_message(window, rig):
    window.amplifier._set_holding(ClampMode.CC, 5e-6)
    assert "refused" in window.amplifier.message_label.text()
    assert rig.amplifier.holding[ClampMode.CC] == 0.0


def test_epoch_table_edits_are_validated(qtbot, window, rig):
    window.stimulator.load("single_pulse")
    p0 = rig.protocol
    table = window.stimulator.table
    table.item(1, 2).setText("banana")
    assert window.stimulator.validation.text()
    assert rig.protocol == p0
    table.item(1, 2).setText("20 uA/cm2")
    assert rig.protocol != p0
    assert rig.protocol.epochs[1].level.value == pytest.approx(0.2)
    assert not window.stimulator.validation.text()
    rig.undo()
    assert rig.protocol == p0
    assert table.item(1, 2).text() == "10 uA/cm2"


def test_protocol_save_as_round_trip(tmp_path, window, rig):
    window.stimulator.load("vc_step_family")
    window.stimulator.sweeps_spin.setValue(5)
    path = tmp_path / "mine.toml"
    assert window.stimulator.save_to(path)
    assert load_protocol(path) == rig.protocol
    assert rig.protocol.sweeps == 5


def test_engine_failure_keeps_recordings_and_offers_reset(qtbot, window, rig):
    window.recording.append(_dummy_sweep())
    window.host.stimulate.emit(1e-3, 5e-3)  # far too much current
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10000)
    assert "diverged" in window.last_error
    assert len(window.recording) == 1
    assert window.error_box.isVisible()
    window.error_box.close()
    window.reset_cell()
    t0 = _sim_time(window)
    qtbot.waitUntil(lambda: _sim_time(window) > t0 + 0.02, timeout=10000)
    vm, _ = _ring_after(window, t0)
    assert abs(vm.mean() + 0.065) < 2e-3


def _dummy_sweep():
    from vlab.recording import Sweep

    return Sweep(index=0, dt=1e-5, channels={"Vm": np.zeros(10)}, provenance={"mode": "CC"})


def test_close_mid_run_stops_thread(qtbot, rig):
    from vlab.gui.main_window import MainWindow
    from vlab.gui.worker import live_threads

    win = MainWindow(rig)
    qtbot.addWidget(win)
    win.show()
    win.stimulator.load("paired_pulse")
    win.run_protocol()
    qtbot.waitUntil(lambda: bool(win.scope.sweeps), timeout=15000)
    assert win.host.worker_thread.isRunning()
    win.close()
    assert not win.host.worker_thread.isRunning()
    assert not live_threads()
    assert not win.scope._timer.isActive()


def test_pause_and_speed(qtbot, window):
    """The speed menu and the pause action reach the worker (which turns the speed into
    simulated time per tick: tests/gui/test_worker.py), and pausing stops the trace."""
    worker = window.host.worker
    window.set_speed(5.0)
    assert window.speed_actions[5.0].isChecked()
    qtbot.waitUntil(lambda: worker._speed == 5.0, timeout=5000)
    window.speed_actions[0.5].trigger()
    assert window.speed == 0.5
    qtbot.waitUntil(lambda: worker._speed == 0.5, timeout=5000)
    window.pause_action.setChecked(True)
    qtbot.waitUntil(lambda: worker._paused, timeout=5000)
    qtbot.waitUntil(lambda: window.speed_label.text() == "paused", timeout=5000)
    window.pause_action.setChecked(False)
    qtbot.waitUntil(lambda: not worker._paused, timeout=5000)
    _wait_sim(qtbot, window, 0.02)


def test_ui_scale(qapp, window):
    size = window.font().pointSizeF()
    window.set_ui_scale(1.5)
    qapp.processEvents()  # the application font reaches the widgets through events
    assert window.font().pointSizeF() == pytest.approx(size * 1.5, rel=0.05)


def test_cursor_readout(qtbot, window):
    _wait_sim(qtbot, window, 0.3)
    t, _, _ = window.scope.ring.data()
    window.scope.set_cursors(t[-1] - 0.2, t[-1] - 0.1)
    m = window.scope.measurements()
    assert m["Vm"]["dt"] == pytest.approx(0.1)
    assert m["Vm"]["mean"] == pytest.approx(-0.065, abs=2e-3)
    window.scope.update_measurements()
    assert "ms" in window.scope.table.item(0, 1).text()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True are immortal on 3.12+")
def test_binding_does_not_leak_refcounts(qtbot):
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QWidget

    class Emitter(QObject):
        sig = Signal(object)

    w = QWidget()
    qtbot.addWidget(w)
    e = Emitter()
    got = []
    e.sig.connect(got.append)
    none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(5000):
        w.update()
        w.setVisible(False)
        e.sig.emit(True)
    got.clear()
    assert sys.getrefcount(None) - none0 > -50
    assert sys.getrefcount(True) - true0 > -50


def test_ring_buffer_wraps_in_order():
    from vlab.gui.scope import RingBuffer

    rb = RingBuffer(10)
    for k in range(7):
        x = np.arange(3 * k, 3 * k + 3, dtype=float)
        rb.append(x, -x, 2 * x)
    assert len(rb) == 10
    t, vm, im = rb.data()
    assert np.array_equal(t, np.arange(11, 21))
    assert np.array_equal(vm, -t) and np.array_equal(im, 2 * t)
    assert np.array_equal(rb.last(4)[0], np.arange(17, 21))
    rb.append(np.arange(100.0), np.zeros(100), np.zeros(100))
    assert np.array_equal(rb.data()[0], np.arange(90, 100))


def test_repeat_then_stop_with_esc_action(qtbot, window, rig, received):
    window.stimulator.load("paired_pulse")
    window.set_speed(10.0)
    qtbot.mouseClick(window.stimulator.repeat_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.recording) >= 2, timeout=20000)
    finished = received(window.host.worker.episode_finished, with_arg=False)
    with qtbot.waitSignal(finished.arrived, timeout=5000):
        window.stop_action.trigger()  # Esc
    n = len(window.recording)
    assert window.scope.display == "episodic"
    # acquisition stays episodic and idle: no more sweeps arrive
    qtbot.waitUntil(lambda: "real time" in window.speed_label.text(), timeout=5000)
    assert len(window.recording) == n


def test_switching_back_to_gap_free_streams_again(qtbot, window):
    window.stimulator.acquisition_combo.setCurrentIndex(1)
    assert window.scope.display == "episodic"
    _wait_sim(qtbot, window, 0.0)  # let blocks already in flight arrive
    n = len(window.scope.ring)
    qtbot.waitUntil(lambda: window._status_info.get("episodic") is False, timeout=5000)
    assert window.scope.display == "episodic" and len(window.scope.ring) == n
    window.stimulator.acquisition_combo.setCurrentIndex(0)
    assert window.scope.display == "gap-free"
    qtbot.waitUntil(lambda: len(window.scope.ring) > 100, timeout=5000)


def test_experiment_save_and_reopen(
    qtbot, tmp_path, monkeypatch, window, rig, received, open_experiment, save_experiment
):
    import vlab.gui.dialogs.export as export_dialogs
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    window.stimulator.load("single_pulse")
    rig.set_parameter("K_out", "20 mM")
    window.set_speed(10.0)
    finished = received(window.host.worker.episode_finished, with_arg=False)
    with qtbot.waitSignal(finished.arrived, timeout=20000):
        window.run_protocol()
    qtbot.waitUntil(lambda: len(window.recording) == 1, timeout=5000)
    target = tmp_path / "exp.vlab"
    assert save_experiment(window, target) and target.exists()

    other = MainWindow(Rig("mammalian"), start_worker=False)
    qtbot.addWidget(other)
    assert open_experiment(other, target)
    assert other.rig.state_dict() == rig.state_dict()
    assert len(other.recording) == 1
    assert np.allclose(other.recording[0]["Vm"], window.recording[0]["Vm"])
    assert other.speed == 10.0
    # a foreign file changes nothing
    bad = tmp_path / "bad.vlab"
    bad.write_bytes(b"not a zip")
    errors = []
    monkeypatch.setattr(export_dialogs, "show_error", lambda *a: errors.append(a))  # modal
    before = other.rig.state_dict()
    assert not open_experiment(other, bad)
    assert other.rig.state_dict() == before and len(other.recording) == 1
    assert errors
    other.close()


def test_side_panels_are_docked_and_membrane_view_is_fed_when_shown(qtbot, window):
    for key in (
        "amplifier",
        "stimulator",
        "perfusion",
        "solutions",
        "preparation",
        "membrane_view",
    ):
        assert key in window.docks, key
    mv = window.membrane_view
    calls = []
    real = mv.add_block
    mv.add_block = lambda b: (calls.append(b), real(b))
    _wait_sim(qtbot, window, 0.05)
    assert not calls  # hidden: not fed
    window.docks["membrane_view"].show()
    qtbot.waitUntil(lambda: len(calls) >= 3, timeout=5000)
    assert calls[-1].reversal and "INa" in calls[-1].data


def test_saved_experiment_appears_in_recent_files_menu(qtbot, tmp_path, save_experiment):
    from vlab.gui.main_window import MainWindow

    win = MainWindow(start_worker=False)
    qtbot.addWidget(win)
    target = tmp_path / "lab1.vlab"
    assert save_experiment(win, target)
    win._fill_recent_menu()
    texts = [a.text() for a in win.recent_menu.actions()]
    assert str(target.resolve()) in texts
    win.shutdown()


def test_closing_with_unsaved_sweeps_asks_and_can_be_cancelled_or_saved(qtbot, tmp_path):
    from vlab.gui.main_window import MainWindow
    from vlab.protocols import load_protocol

    win = MainWindow(start_worker=False)
    qtbot.addWidget(win)
    win.show()
    win.run_protocol_now(load_protocol("single_pulse"))
    assert win.unsaved_sweeps() == 1
    asked = []
    win.ask_unsaved = lambda n: asked.append(n) or "cancel"
    win.close()
    assert asked == [1] and win.isVisible()  # nothing lost: the window stays open
    target = tmp_path / "kept.vlab"
    win.save_experiment = lambda path=None, _orig=win.save_experiment: _orig(target)
    win.ask_unsaved = lambda n: "save"
    with qtbot.waitSignal(win.experiment_save_finished, timeout=20000) as saved:
        win.close()  # the save runs off the GUI thread; the window closes once it is written
    assert saved.args == [True]
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
    assert target.exists() and win.unsaved_sweeps() == 0


def test_fonts_are_available(qapp):
    """Without fonts Qt draws every glyph as a box and reports nothing (platform notes §3)."""
    from PySide6.QtGui import QFontDatabase

    assert QFontDatabase.families()


def test_the_redraw_rate_shows_only_while_the_trace_flows(idle_window):
    """In episodic acquisition the scope redraws when a sweep arrives: between sweeps the
    rate fell to "2 fps", which read as a slow rig. It is shown in gap-free only."""
    win = idle_window
    win.choose_acquisition("episodic")
    assert win.fps_label.isHidden()
    win.choose_acquisition("gap-free")
    assert not win.fps_label.isHidden() and win.fps_label.text().endswith("fps")
