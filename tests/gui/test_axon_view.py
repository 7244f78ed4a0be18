"""The axon bench (vlab.gui.axon_view): velocity readout, draggable electrodes, local block,
replay pacing, input validation and a clean stop of the worker thread."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from vlab.gui.axon_view import AxonWindow, live_threads

pytestmark = pytest.mark.gui

TIMEOUT = 30000  # ms; a sweep takes well under a second, the first one loads the JIT cache


@pytest.fixture
def win(qtbot):
    w = AxonWindow(preparation="squid_axon")
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    assert not w.host.worker_thread.isRunning()
    assert not live_threads()


def run_and_wait(qtbot, w) -> None:
    with qtbot.waitSignal(w.sweep_shown, timeout=TIMEOUT):
        qtbot.mouseClick(w.run_button, Qt.MouseButton.LeftButton)
    assert w.sweep is not None


def shown_velocity(w) -> float:
    return float(w.velocity_label.text().split()[0])


def test_squid_scenario_velocity_space_time_and_moving_electrodes(qtbot, win, tmp_path):
    win.rec_lines[0].setValue(2.0)
    win.rec_lines[1].setValue(4.0)
    run_and_wait(qtbot, win)

    # the nerve-conduction bench: HH 1952 squid axon, 18.7 m/s
    assert shown_velocity(win) == pytest.approx(18.7, abs=0.3)
    assert win.distance_label.text().startswith("2.00 cm")
    assert win.latencies[0] < win.latencies[1]

    # the space-time image is filled and shows the action potential
    img = win.image.image
    assert img is not None and img.size > 0
    assert np.nanmax(img) > 0.0 and np.nanmin(img) < -60.0

    # the replay animates the snapshot and the scope traces
    qtbot.waitUntil(lambda: win.frames_drawn >= 5, timeout=5000)
    xs, vs = win.snap_curve.getData()
    assert len(xs) == win.sweep.v.shape[1]
    assert len(win.trace_curves[0].getData()[0]) > 0

    # move R2 as a drag would: readout follows without a new simulation
    before = (win.distance_label.text(), win.dlatency_label.text())
    win.rec_lines[1].setValue(3.0)
    assert win._mirrors[1][0].value() == pytest.approx(3.0)
    after = (win.distance_label.text(), win.dlatency_label.text())
    assert after != before
    assert win.distance_label.text().startswith("1.00 cm")
    assert shown_velocity(win) == pytest.approx(18.7, abs=0.4)
    # R1 moved next to the stimulating electrode: shorter latency, longer distance
    lat_text = win.latency_labels[0].text()
    win.rec_lines[0].setValue(0.5)
    assert win.distance_label.text().startswith("2.50 cm")
    assert win.latency_labels[0].text() != lat_text
    assert win.latencies[0] < 0.5e-3
    assert shown_velocity(win) == pytest.approx(18.7, abs=0.5)

    # scrubbing pauses the replay and shows that moment
    win.time_slider.setValue(200)  # 2 ms
    assert not win.replaying
    qtbot.waitUntil(lambda: win.time_slider.value() == 200 and "2.000" in win.time_label.text())

    shot = tmp_path / "axon_view.png"
    assert win.grab().save(str(shot))
    image = win.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    colours = np.unique(np.frombuffer(image.constBits(), dtype=np.uint32))
    assert len(colours) > 50


def test_lidocaine_on_a_stretch_blocks_the_far_electrode(qtbot, win):
    win.rec_lines[0].setValue(2.0)
    win.rec_lines[1].setValue(4.0)
    win.drug_combo.setCurrentIndex(win.drug_combo.findData("lidocaine"))
    assert win.drug_conc_edit.text() == "1 mM"
    win.drug_from_edit.setText("2.0 cm")
    win.drug_to_edit.setText("3.0 cm")
    win.drug_to_edit.editingFinished.emit()
    assert win.drug_region.isVisible()
    assert win.drug_region.getRegion() == pytest.approx((2.0, 3.0))
    run_and_wait(qtbot, win)
    ((x0, x1, name, conc),) = win.sweep.axon.local_drugs
    assert (x0, x1, name, conc) == (pytest.approx(0.02), pytest.approx(0.03), "lidocaine", 1.0)
    assert math.isfinite(win.latencies[0])
    assert not math.isfinite(win.latencies[1])
    assert win.latency_labels[1].text() == "no spike"
    assert math.isnan(win.velocity)
    assert "no spike at R2" in win.velocity_label.text()
    # the far electrode stays near rest
    v_far, _ = win.electrode_traces()[1]
    assert v_far.max() < -0.05


def test_closing_while_computing_leaves_no_thread(qtbot):
    w = AxonWindow(preparation="squid_axon")
    qtbot.addWidget(w)
    w.show()
    w.sweep_edit.setText("50 ms")
    assert w.run()
    assert w.computing
    w.close()
    assert not w.host.worker_thread.isRunning()
    assert not live_threads()


def test_closing_mid_replay_leaves_no_thread(qtbot, win):
    run_and_wait(qtbot, win)
    qtbot.waitUntil(lambda: win.frames_drawn >= 3, timeout=5000)
    assert win.replaying
    win.close()
    assert not win.host.worker_thread.isRunning()
    assert not win._redraw_timer.isActive()


def test_replay_is_paced_to_the_wall_clock(qtbot, win):
    win.speed_combo.setCurrentIndex(win.speed_combo.findData(0.1))
    win.sweep_edit.setText("10 ms")  # 10 ms at 0.1x: 0.1 s of wall time
    run_and_wait(qtbot, win)
    qtbot.waitUntil(lambda: not win.replaying, timeout=30_000)  # it finishes (not stalled)
    qtbot.waitUntil(lambda: win.time_slider.value() == win.time_slider.maximum(), timeout=2000)
    # Replay plays it again from the start
    win.replay()
    assert win.replaying
    qtbot.waitUntil(lambda: not win.replaying, timeout=5000)


def test_replay_advances_by_wall_time_times_speed(qtbot, monkeypatch):
    """The replay's pacing with a fake clock (no timing in the test): each tick moves the
    shown time by the wall time since the last tick x the speed, a stall by at most
    MAX_WALL_PER_TICK x the speed, and the end is reported once."""
    from vlab.gui import axon_view

    clock = [100.0]
    monkeypatch.setattr(axon_view.time, "perf_counter", lambda: clock[0])
    worker = axon_view.AxonWorker()
    worker._make_timer()
    shown, done = [], []
    worker.position.connect(lambda run, t: shown.append((run, t)))
    worker.replay_done.connect(done.append)
    worker.set_speed(0.1)
    worker.replay(7, 0.0, 20e-3)  # 20 ms of axon at 0.1x: 0.2 s of wall time
    for wall in (0.02, 0.02, 5.0, 0.1):  # 5 s: a stall, capped at 0.1 s
        clock[0] += wall
        worker._tick()
    worker.stop_replay()
    times = [t for _, t in shown]
    assert times == pytest.approx([0.0, 2e-3, 4e-3, 14e-3, 20e-3])  # stall capped, end kept
    assert {run for run, _ in shown} == {7} and done == [7]


def test_stop_drops_the_sweep_being_computed(qtbot, win):
    assert win.run()
    win.stop()
    assert not win.computing
    assert win.run_button.isEnabled()
    # a new run still works afterwards
    run_and_wait(qtbot, win)
    assert math.isfinite(win.velocity)


@pytest.mark.parametrize(
    "edit,text,message",
    [
        ("amp_edit", "twenty", "Stimulus amplitude"),
        ("amp_edit", "20", "Stimulus amplitude"),
        ("amp_edit", "5 mA", "1 mA"),
        ("dur_edit", "0 ms", "Stimulus duration"),
        ("sweep_edit", "2 s", "Sweep length"),
        ("diameter_edit", "5 m", "Diameter"),
        ("temperature_edit", "500 degC", "Temperature"),
    ],
)
def test_bad_values_give_a_message_not_a_crash(qtbot, win, edit, text, message):
    getattr(win, edit).setText(text)
    qtbot.mouseClick(win.run_button, Qt.MouseButton.LeftButton)
    assert not win.computing
    assert win.sweep is None
    assert message in win.message_label.text()
    assert getattr(win, edit).styleSheet()  # the field is marked


def test_bad_drug_stretch_gives_a_message(qtbot, win):
    win.drug_combo.setCurrentIndex(win.drug_combo.findData("TTX"))
    win.drug_from_edit.setText("3 cm")
    win.drug_to_edit.setText("9 cm")
    assert not win.run()
    assert "Drug stretch" in win.message_label.text()
    win.drug_to_edit.setText("4 cm")
    win.drug_conc_edit.setText("1 M")
    assert not win.run()
    assert "concentration" in win.message_label.text().lower()


def test_myelinated_fibre_is_fast_and_demyelination_blocks(qtbot, win):
    win.prep_combo.setCurrentIndex(win.prep_combo.findData("myelinated_axon"))
    assert win.preparation == "myelinated_axon"
    assert win.g_demyel.isEnabled()
    assert win.length_cm == pytest.approx(2.0)
    run_and_wait(qtbot, win)
    # saltatory: Hursh (1939), about 6 m/s per um of fibre diameter -> ~60 m/s at 10 um
    assert 51.0 < win.velocity < 69.0
    assert "nearest nodes" in win.distance_label.text()
    win.demyel_box.setChecked(True)
    assert win.stale
    win.demyel_from_edit.setText("0.8 cm")
    win.demyel_to_edit.setText("1.1 cm")
    run_and_wait(qtbot, win)
    assert win.sweep.axon.demyelinated == [pytest.approx((0.008, 0.011))]
    assert not math.isfinite(win.latencies[1])
    assert math.isfinite(win.latencies[0])


def test_collision_second_stimulus_fires_the_far_end_early(qtbot, win):
    win.rec_lines[0].setValue(1.0)
    win.rec_lines[1].setValue(4.0)
    run_and_wait(qtbot, win)
    single = list(win.latencies)
    win.collision_box.setChecked(True)
    assert win.stim2_line.isVisible()
    run_and_wait(qtbot, win)
    both = list(win.latencies)
    assert both[0] == pytest.approx(single[0], abs=2e-5)  # R1: the spike from S1
    assert both[1] < single[1] - 1e-3  # R2 fires early: the spike from S2 at 5 cm
    assert "different action potential" in win.bench_note.text()
    # no meaningless velocity in large type: the two electrodes saw different spikes
    assert math.isnan(win.velocity)
    assert "two stimuli" in win.velocity_label.text()
    # annihilation: after the two spikes meet nothing travels on, each site fires once
    v = win.sweep.v
    crossings = ((v[:-1] < 0) & (v[1:] >= 0)).sum(axis=0)
    assert crossings.max() == 1


def test_window_closed_and_shown_again_runs_again(qtbot, win):
    win.close()
    assert not live_threads()
    win.show()
    assert win.host.running
    run_and_wait(qtbot, win)
    assert shown_velocity(win) == pytest.approx(18.7, abs=0.3)


def test_a_child_window_stops_its_thread_when_the_parent_goes(qtbot):
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QMainWindow

    parent = QMainWindow()
    parent.show()
    w = AxonWindow(parent=parent)
    w.show()
    assert w.isWindow()
    thread = w.host.worker_thread
    with qtbot.waitSignal(w.sweep_shown, timeout=TIMEOUT):
        w.run()
    parent.close()
    parent.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not thread.isRunning()
    assert not live_threads()


def test_export_writes_the_stimulus_and_both_electrodes(qtbot, win, tmp_path):
    """The bench's sweep reaches a file a reader vlab did not write can open (pyABF)."""
    import pyabf

    assert not win.export_button.isEnabled()  # nothing to export before a run
    win.rec_lines[0].setValue(1.0)
    win.rec_lines[1].setValue(4.0)
    run_and_wait(qtbot, win)
    assert win.export_button.isEnabled()
    dialog = win.export(str(tmp_path / "bench.abf"))  # written off the GUI thread
    assert dialog is not None and dialog.fmt() == "abf"
    with qtbot.waitSignal(dialog.exported, timeout=30000) as done:
        pass
    target = done.args[0]
    assert target == tmp_path / "bench.abf" and "bench.abf" in win.message_label.text()
    abf = pyabf.ABF(str(target))
    assert abf.adcNames[0] == "Im"
    recorded = [n for n in abf.adcNames if n.startswith("Vm@")]
    assert len(recorded) == 2
    for k, name in enumerate(recorded):
        abf.setSweep(0, abf.adcNames.index(name))
        v, _x = win.electrode_traces()[k]
        # ABF's 16-bit samples: within 0.1 % of the trace's range of what the bench shows
        assert np.max(np.abs(abf.sweepY - v * 1e3)) <= 1e-3 * np.ptp(v * 1e3)
        assert np.ptp(abf.sweepY) > 80  # the action potential passed both electrodes
