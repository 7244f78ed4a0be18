"""The Export sweeps dialog: chosen sweeps and channels only, off the GUI thread, cancellable.

Files are read back with pandas and pyABF; the expected values are the sweeps' own arrays
(made here from formulas), never the writer's output.
"""

from __future__ import annotations

import threading

import numpy as np
import pyabf
import pytest
from PySide6.QtCore import Qt, QThread

from vlab.gui.dialogs import export_sweeps as mod
from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog
from vlab.recording import ExportError, Sweep, read_npz

pytestmark = pytest.mark.gui


def make_sweeps(n_vc=3, n_cc=2):
    dt = 1e-4
    t = np.arange(1000) * dt
    out = []
    for k in range(n_vc + n_cc):
        vc = k < n_vc
        cmd = (
            np.where((t > 0.02) & (t < 0.06), -0.065 + 0.01 * k, -0.065)
            if vc
            else 1e-10 * k + 0 * t
        )
        out.append(
            Sweep(
                index=k if vc else k - n_vc,
                dt=dt,
                channels={
                    "Vm": cmd if vc else -0.065 + 0.002 * np.sin(t * 100 + k),
                    "Im": 1e-9 * np.sin(t * 300 + k),
                    "command": cmd,
                    "m": 0.05 + 0.01 * k + 0 * t,
                },
                t0=float(k),
                provenance={
                    "mode": "VC" if vc else "CC",
                    "protocol_name": "family" if vc else "steps",
                    "run_id": "run-vc" if vc else "run-cc",
                },
            )
        )
    return out


@pytest.fixture
def dialog(qtbot):
    sweeps = make_sweeps()
    d = ExportSweepsDialog(None, sweeps)
    qtbot.addWidget(d)
    return d


def test_two_of_five_sweeps_and_one_channel_to_npz(qtbot, tmp_path, dialog):
    dialog.set_format("npz")
    dialog.set_sweeps_checked([1, 3])  # one VC and one CC sweep: NPZ holds both modes
    dialog.set_channels_checked(["Im"])
    target = tmp_path / "two.npz"
    with qtbot.waitSignal(dialog.exported, timeout=30000) as done:
        assert dialog.start_export(target)
    assert done.args[0] == target
    _, back = read_npz(target)
    assert [s.index for s in back] == [1, 0]  # VC sweep 1, CC sweep 0 (positions 1 and 3)
    for got, k in zip(back, [1, 3], strict=True):
        assert list(got.channels) == ["Im"]
        np.testing.assert_array_equal(got["Im"], dialog.sweeps[k]["Im"])


def test_two_sweeps_and_one_channel_to_abf(qtbot, tmp_path, dialog):
    dialog.set_format("abf")
    dialog.set_sweeps_checked([0, 2])
    dialog.set_channels_checked(["Vm"])
    target = tmp_path / "two.abf"
    with qtbot.waitSignal(dialog.exported, timeout=30000):
        assert dialog.start_export(target)
    abf = pyabf.ABF(str(target))
    assert abf.sweepCount == 2
    assert abf.adcNames == ["Vm"]
    for pos, k in enumerate([0, 2]):
        abf.setSweep(pos)
        want = dialog.sweeps[k]["Vm"] * 1e3
        assert np.max(np.abs(abf.sweepY - want)) <= 1e-3 * np.ptp(want)


def test_abf_of_both_clamp_modes_is_refused_until_one_mode_is_ticked(qtbot, dialog):
    dialog.set_format("abf")
    dialog.set_sweeps_checked(range(5))
    assert "one clamp mode" in dialog.problem_label.text()
    assert not dialog.export_button.isEnabled()
    assert not dialog.start_export()
    qtbot.mouseClick(dialog.cc_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen_positions() == [3, 4]
    assert dialog.problem_label.text() == ""
    assert dialog.export_button.isEnabled()


def test_ticking_a_run_ticks_its_sweeps(dialog):
    dialog.set_sweeps_checked([])
    vc_run = dialog.run_items()[0]
    vc_run.setCheckState(0, Qt.CheckState.Checked)
    assert dialog.chosen_positions() == [0, 1, 2]


def test_nwb_needs_the_response_channel(dialog):
    dialog.set_format("nwb")
    dialog.set_sweeps_checked([0])
    dialog.set_channels_checked(["Vm"])
    assert "tick the Im channel" in dialog.problem_label.text()
    dialog.set_channels_checked(["Vm", "Im"])
    assert dialog.problem_label.text() == ""


def test_nwb_is_refused_before_writing_for_a_sweep_without_the_response(qtbot):
    """The axon bench's sweep holds Vm at two places (Vm@1cm...) but no clamped Vm: the
    NWB writer would refuse it, so the dialog says so before Export is pressed."""
    t = np.arange(100) * 1e-5
    bench = Sweep(
        0, 1e-5, {"Im": 1e-9 + 0 * t, "Vm@1cm": -0.065 + 0 * t}, provenance={"mode": "CC"}
    )
    d = ExportSweepsDialog(None, [bench])
    qtbot.addWidget(d)
    d.set_format("nwb")
    assert "NWB needs a Vm channel" in d.problem_label.text()
    assert not d.export_button.isEnabled()
    d.set_format("atf")
    assert d.problem_label.text() == "" and d.export_button.isEnabled()


def test_cancel_leaves_no_file_and_the_window_stays_responsive(
    qtbot, tmp_path, dialog, monkeypatch
):
    """The worker is held inside its first progress report; meanwhile the GUI thread handles
    the progress signal, a click on Cancel and a queued call; then no file exists."""
    gate = threading.Event()
    threads = []
    report = mod.ExportWorker._report

    def held(self, fraction):
        threads.append(QThread.currentThread())
        report(self, fraction)
        if len(threads) == 1:
            assert gate.wait(60), "the test never released the export"

    monkeypatch.setattr(mod.ExportWorker, "_report", held)
    dialog.set_format("csv")
    target = tmp_path / "cancelled.csv"
    with qtbot.waitSignal(dialog.progressed, timeout=30000):
        assert dialog.start_export(target)
    assert dialog.running and not dialog.export_button.isEnabled()
    assert threads[0] is not dialog.thread()  # written off the GUI thread
    with qtbot.waitSignal(dialog.cancelled, timeout=30000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.problem_label.text().startswith("Cancelling")
        gate.set()
    assert not dialog.running
    assert list(tmp_path.iterdir()) == []
    assert "no file was written" in dialog.problem_label.text()
    assert dialog.export_button.isEnabled()  # the student may export again


def test_a_failed_write_is_shown_and_the_dialog_stays_open(qtbot, tmp_path, dialog, monkeypatch):
    def boom(*a, **k):
        raise ExportError("The disk is full.")

    monkeypatch.setattr(mod, "export_sweeps", boom)
    dialog.show()
    with qtbot.waitSignal(dialog.failed, timeout=30000):
        assert dialog.start_export(tmp_path / "x.csv")
    assert "The disk is full." in dialog.problem_label.text()
    assert dialog.isVisible()


def test_abf_names_sweeps_it_keeps_coarser_than_0p1_percent(qtbot):
    t = np.arange(1000) * 1e-4
    flat = 10e-12 + 0.25e-12 * np.sin(t * 100)  # 0.5 pA range beside a 1 uA sweep
    big = 1e-6 * np.exp(-(((t - 0.05) / 0.002) ** 2))
    sweeps = [
        Sweep(index=k, dt=1e-4, channels={"Im": im}, provenance={"mode": "VC"})
        for k, im in enumerate([big, flat])
    ]
    d = ExportSweepsDialog(None, sweeps)
    qtbot.addWidget(d)
    d.set_format("abf")
    assert "sweep 2" in d.problem_label.text() and "NWB" in d.problem_label.text()
    assert d.export_button.isEnabled()  # a note, not a refusal
    d.set_sweeps_checked([1])  # the flat sweep alone gets its own scale
    assert d.problem_label.text() == ""
