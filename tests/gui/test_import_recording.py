"""Real recordings (Clampex ABF, NWB) open in the Analysis window beside the model's sweeps.

Expected values come from neo's AxonIO reading the same files (vlab reads ABF through
pyABF) and from the files' own protocols, never from vlab's output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from vlab.analysis.family import TRANSIENT_SKIP
from vlab.gui.analysis_windows import AnalysisWindow
from vlab.recording import Sweep

pytestmark = pytest.mark.gui

DATA = Path(__file__).parents[1] / "data" / "recordings"
VC_ABF = DATA / "171116sh_0013.abf"  # 13 steps -110 ... -50 mV (each reached by a ramp)
CC_ABF1 = DATA / "190619B_0003.abf"  # 10 steps -120 ... +420 pA
NWB = DATA / "clampex_cell.nwb"


def _neo(path: Path) -> tuple[list[np.ndarray], float]:
    import neo

    block = neo.io.AxonIO(str(path)).read_block()
    first = block.segments[0].analogsignals[0]
    data = [np.asarray(seg.analogsignals[0].magnitude[:, 0], dtype=float) for seg in block.segments]
    return data, float(first.sampling_period.rescale("s").magnitude)


def _crossings(v_mV: np.ndarray) -> int:
    count, armed = 0, v_mV[0] < 0
    for prev, now in zip(v_mV[:-1], v_mV[1:], strict=True):
        if armed and prev < 0 <= now:
            count, armed = count + 1, False
        elif now < -5:
            armed = True
    return count


def _model_family() -> list[Sweep]:
    """A leak-only model family: I = 10 nS * (V - (-60 mV)) during 5-25 ms steps."""
    t = np.arange(3000) * 1e-5
    out = []
    for k in range(7):
        level = -0.100 + 0.020 * k
        cmd = np.where((t >= 0.005) & (t < 0.025), level, -0.065)
        out.append(
            Sweep(
                index=k,
                dt=1e-5,
                channels={"Vm": cmd, "Im": 10e-9 * (cmd + 0.060), "command": cmd},
                provenance={"mode": "VC", "run_id": "model-run", "protocol_name": "steps"},
            )
        )
    return out


def _leaves(win: AnalysisWindow, condition: str) -> list:
    tree = win.sweep_tree
    for i in range(tree.topLevelItemCount()):
        cond = tree.topLevelItem(i)
        if cond.text(0) == condition:
            return [
                cond.child(r).child(j)
                for r in range(cond.childCount())
                for j in range(cond.child(r).childCount())
            ]
    raise AssertionError(f"no condition {condition!r} in the sweep list")


def test_real_abf_iv_is_overlaid_on_the_models(qtbot, import_recording):
    win = AnalysisWindow(_model_family())
    qtbot.addWidget(win)
    found = import_recording(win, VC_ABF)
    assert len(found) == 13 and win.last_error == ""
    leaves = _leaves(win, f"imported: {VC_ABF.name}")
    assert len(leaves) == 13
    assert all(leaf.checkState(0) == Qt.CheckState.Checked for leaf in leaves)
    assert all(leaf.checkState(0) == Qt.CheckState.Checked for leaf in _leaves(win, "control"))

    # the model's I-V is still the primary one: 10 nS leak, reversing at -60 mV
    np.testing.assert_allclose(win.iv.v, -0.100 + 0.020 * np.arange(7), atol=1e-12)
    np.testing.assert_allclose(win.iv.steady, 10e-9 * (win.iv.v + 0.060), rtol=1e-9, atol=1e-18)
    real = win.iv_overlays[VC_ABF.name]
    np.testing.assert_allclose(real.v, -0.110 + 0.005 * np.arange(13), atol=1e-9)
    # peak inward of each sweep = the smallest current (neo, pA) from the stimulus's start
    # (the ramp's second sample: Clampex holds 1/64 of the sweep, and a ramp's first sample
    # is the level it starts from) plus the transient skip, to the end of the sweep
    currents, dt = _neo(VC_ABF)
    first = int(round((real.window[0] + TRANSIENT_SKIP) / dt))
    assert real.window[0] == pytest.approx((20000 // 64 + 1) * dt)
    expected = [min(float(i[first:].min()), 0.0) for i in currents]
    np.testing.assert_allclose(np.minimum(real.peak, 0.0), np.array(expected) * 1e-12, rtol=1e-5)
    # both are drawn, normalised to compare a pA cell with the model
    assert win.iv_normalise.isChecked()
    names = {item.name() for item in win.iv_plot.getPlotItem().listDataItems()}
    assert {"model peak", f"{VC_ABF.name} peak", f"{VC_ABF.name} steady state"} <= names
    assert VC_ABF.name in win.iv_label.text()


def test_real_current_clamp_abf1_gives_an_f_i_curve(qtbot, import_recording):
    win = AnalysisWindow()
    qtbot.addWidget(win)
    assert len(import_recording(win, CC_ABF1)) == 10
    assert win.tabs.currentIndex() == AnalysisWindow.TABS.index("fi")
    fi = win.fi
    assert fi is not None
    np.testing.assert_allclose(np.sort(fi.currents), (-120 + 60 * np.arange(10)) * 1e-12)
    # spikes counted independently (neo's samples, mV): upward crossings of 0 mV during
    # the 1 s step, a new spike only once the potential fell below -5 mV since the last
    # (detect_spikes' documented hysteresis; at +420 pA this cell stays near -2 mV between
    # its last two upstrokes, one spike by that definition)
    traces, dt = _neo(CC_ABF1)
    a, b = int(round(fi.window[0] / dt)), int(round(fi.window[1] / dt))
    counts = [_crossings(v[a:b]) for v in traces]
    assert counts[0] == 0 and max(counts) > 5
    np.testing.assert_array_equal(fi.counts[np.argsort(fi.currents)], counts)
    first_firing = next(k for k, c in enumerate(counts) if c > 0)
    assert fi.rheobase == pytest.approx((-120 + 60 * first_firing) * 1e-12)


def test_nwb_import_gives_the_same_iv_as_the_abf_it_holds(qtbot, import_recording):
    win = AnalysisWindow(_model_family())
    qtbot.addWidget(win)
    import_recording(win, VC_ABF)
    assert len(import_recording(win, NWB)) == 16  # 13 voltage- and 3 current-clamp
    from_abf, from_nwb = win.iv_overlays[VC_ABF.name], win.iv_overlays[NWB.name]
    np.testing.assert_allclose(from_nwb.v, from_abf.v, atol=1e-9)
    np.testing.assert_allclose(from_nwb.peak, from_abf.peak, rtol=1e-6, atol=1e-16)
    np.testing.assert_allclose(from_nwb.steady, from_abf.steady, rtol=1e-6, atol=1e-16)


def test_imported_sweeps_can_be_compared_with_the_model(qtbot, import_recording):
    win = AnalysisWindow(_model_family())
    qtbot.addWidget(win)
    found = import_recording(win, VC_ABF)
    win.pin_control(win.recorded)
    win.set_drug(found)
    assert set(win.compare_result) >= {"control", "drug"}
    assert win.compare_result["drug"]["peak_inward"] < 0


def test_unreadable_or_repeated_files_change_nothing(
    qtbot, import_recording, tmp_path, monkeypatch
):
    import vlab.gui.dialogs.export as export_dialogs

    shown = []
    monkeypatch.setattr(export_dialogs, "show_error", lambda *a: shown.append(a))  # modal
    win = AnalysisWindow(_model_family())
    qtbot.addWidget(win)
    bad = tmp_path / "cell.abf"
    bad.write_text("not a recording")
    assert import_recording(win, bad) == []
    assert "cell.abf" in win.last_error and "\n" not in win.last_error and shown
    doc = tmp_path / "notes.txt"
    doc.write_text("hello")
    assert import_recording(win, doc) == [] and "notes.txt" in win.last_error
    assert win.imported == []
    import_recording(win, VC_ABF)
    assert import_recording(win, VC_ABF) == [] and "already" in win.last_error
    assert len(win.imported) == 13


def test_file_menu_imports_into_the_analysis_window(qtbot, import_recording, rig):
    from vlab.gui.main_window import MainWindow

    main = MainWindow(rig, start_worker=False)
    qtbot.addWidget(main)
    actions = [a for a in main.menuBar().actions() if a.text() == "&File"]
    texts = [a.text() for a in actions[0].menu().actions()]
    assert "Import recording…" in texts
    assert len(import_recording(main, VC_ABF)) == 13
    win = main.analysis
    assert win is not None and win.isVisible()

    def legend() -> set:
        return {item.name() for item in win.iv_plot.getPlotItem().listDataItems()}

    # nothing recorded yet: the real cell's I-V is the one shown, named by its file
    assert win.iv is not None and len(win.iv.v) == 13 and f"{VC_ABF.name} peak" in legend()
    # the recording's refresh (a new sweep) keeps the imported run
    main._refresh_analysis()
    assert len(win.imported) == 13 and f"{VC_ABF.name} peak" in legend()
    win.close()


def test_the_file_is_read_off_the_gui_thread_and_cancel_adds_nothing(qtbot, monkeypatch):
    import threading

    import vlab.recording.importers as importers

    real_read = importers.read_sweeps
    gate = threading.Event()
    readers: list[int] = []

    def gated(path):
        readers.append(threading.get_ident())
        gate.wait(20)  # the test opens it; never a sleep
        return real_read(path)

    monkeypatch.setattr(importers, "read_sweeps", gated)
    win = AnalysisWindow(_model_family())
    qtbot.addWidget(win)
    job = win.import_recording(str(VC_ABF))
    assert job is not None and win.importing is job
    # the GUI thread goes on handling events while the reader is blocked
    qtbot.waitUntil(job.dialog.isVisible, timeout=10000)
    assert readers and readers[0] != threading.get_ident()
    assert win.import_recording(str(CC_ABF1)) is None and "Still importing" in win.last_error
    with qtbot.waitSignal(win.import_finished, timeout=20000) as blocker:
        job.cancel()
        gate.set()
    assert blocker.args == [[]] and win.imported == [] and win.importing is None
    # and an uncancelled read adds the file
    with qtbot.waitSignal(win.import_finished, timeout=20000) as blocker:
        win.import_recording(str(VC_ABF))
    assert len(blocker.args[0]) == 13 and len(win.imported) == 13
    assert all(t != threading.get_ident() for t in readers)


def test_imported_recordings_are_saved_in_the_experiment_and_reopened(
    qtbot, rig, tmp_path, import_recording, save_experiment, open_experiment
):
    from vlab.gui.main_window import MainWindow
    from vlab.rig import Rig

    main = MainWindow(rig, start_worker=False)
    qtbot.addWidget(main)
    found = import_recording(main, VC_ABF)
    path = tmp_path / "with_real_cell.vlab"
    assert save_experiment(main, path)
    main.analysis.close()
    other = MainWindow(Rig("squid"), start_worker=False)
    qtbot.addWidget(other)
    assert open_experiment(other, path)
    assert len(other.recording) == 0  # not the model's sweeps: not on the scope, not exported
    other.open_analysis()
    back = other.analysis.imported
    assert len(back) == len(found) == 13
    for a, b in zip(found, back, strict=True):
        assert b.provenance["imported"] is True
        assert b.provenance["source_file"] == VC_ABF.name
        assert b.provenance == a.provenance and b.label == a.label
        np.testing.assert_array_equal(b["Im"], a["Im"])
    # no model sweeps: the real cell's I-V is the one shown again, as when it was imported
    assert other.analysis.iv is not None and len(other.analysis.iv.v) == 13
    # saved again from the reopened window, the imports are still there
    again = tmp_path / "again.vlab"
    assert save_experiment(other, again)
    from vlab.recording import load_session

    assert len(load_session(again)[1].imported) == 13
    other.analysis.close()


def test_stimulator_opens_a_clampex_protocol(qtbot, rig):
    from vlab.gui.main_window import MainWindow
    from vlab.protocols.abf_import import protocol_from_abf

    main = MainWindow(rig, start_worker=False)
    qtbot.addWidget(main)
    abf = DATA / "17o05024_vc_steps.abf"
    assert main.stimulator.load(str(abf))
    assert rig.protocol == protocol_from_abf(abf)
    assert main.stimulator.acquisition_combo.currentData() == "episodic"
