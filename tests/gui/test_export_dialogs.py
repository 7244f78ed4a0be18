"""Export / experiment-file dialogs with monkeypatched file dialogs; files read back with their libraries."""

from __future__ import annotations

import errno
import os

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from vlab.gui.dialogs import export as dlg
from vlab.recording import Sweep, read_csv, read_npz

pytestmark = pytest.mark.gui


def make_sweeps(n=3, mode="VC"):
    dt = 1e-4
    t = np.arange(1000) * dt  # pyABF cannot read ABF1 files under ~4.5 kB (3 x 200 samples fails)
    out = []
    for k in range(n):
        v = -0.065 + 0.01 * k
        cmd = np.where((t > 0.005) & (t < 0.015), v, -0.065) if mode == "VC" else np.zeros_like(t)
        out.append(
            Sweep(
                index=k,
                dt=dt,
                channels={
                    "Vm": cmd if mode == "VC" else -0.065 + 0.001 * np.sin(t * 100 + k),
                    "Im": 1e-9 * np.sin(t * 300 + k),
                    "command": cmd,
                },
                provenance={"mode": mode, "preparation": "squid", "protocol_name": "test family"},
            )
        )
    return out


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text))
    )
    monkeypatch.setattr(
        QMessageBox, "information", lambda parent, title, text, *a, **k: shown.append((title, text))
    )
    return shown


def fake_save(monkeypatch, path, chosen_filter=""):
    calls = []

    def fake(parent, caption, start, filters, *a, **k):
        calls.append((caption, start, filters))
        return str(path), chosen_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return calls


@pytest.mark.parametrize("fmt", ["csv", "npz", "abf", "nwb"])
def test_export_each_format_and_read_back(qtbot, tmp_path, errors, fmt):
    """Through the Export sweeps dialog (its thread), read back by each format's reader."""
    from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog

    sweeps = make_sweeps()
    dialog = ExportSweepsDialog(None, sweeps)
    qtbot.addWidget(dialog)
    target = tmp_path / f"out.{fmt}"
    with qtbot.waitSignal(dialog.exported, timeout=30000) as done:
        assert dialog.start_export(target)  # the format from the extension
    assert errors == [] and done.args[0] == target and dialog.fmt() == fmt
    if fmt == "csv":
        _, back = read_csv(target)
        assert np.allclose(back[1].channels["Im"], sweeps[1].channels["Im"], rtol=1e-6, atol=1e-15)
    elif fmt == "npz":
        _, back = read_npz(target)
        assert np.array_equal(back[2].channels["Im"], sweeps[2].channels["Im"])
    elif fmt == "abf":
        import pyabf

        abf = pyabf.ABF(str(target))
        assert abf.sweepCount == 3
        assert abf.adcNames == ["Vm", "Im", "Cmd"]  # no protocol to rebuild the command from
        abf.setSweep(1, channel=1)
        assert np.allclose(abf.sweepY, sweeps[1].channels["Im"] * 1e12, atol=0.5)  # pA
    else:
        from pynwb import NWBHDF5IO

        with NWBHDF5IO(str(target), "r") as io:
            nwb = io.read()
            assert len(nwb.acquisition) >= 3


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, "The disk is full"),
        (errno.EROFS, "vlab may not write there"),
        (errno.ENOENT, "The folder does not exist"),
    ],
)
def test_a_failed_file_operation_says_what_to_do(qtbot, errors, code, advice):
    dlg.show_error(None, "Saving failed", OSError(code, os.strerror(code), "/x/exp.vlab"))
    ((title, text),) = errors
    assert title == "Saving failed" and text.startswith(f"/x/exp.vlab: {os.strerror(code)}")
    assert advice in text and "nothing was lost" in text


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_plot_export(qtbot, monkeypatch, tmp_path, errors, fmt):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.plot(np.arange(100) * 1e-3, np.sin(np.arange(100) / 10.0) * 1e-3)
    w.getPlotItem().setLabel("left", "Vm", units="V")
    w.resize(400, 300)
    w.show()
    qtbot.waitExposed(w)
    target = tmp_path / f"scope.{fmt}"
    fake_save(monkeypatch, target)
    written = dlg.export_plot_dialog(None, w.getPlotItem(), fmt)
    assert errors == []
    assert written == target and target.stat().st_size > 0
    if fmt == "png":
        from PySide6.QtGui import QImage

        img = QImage(str(target))
        assert not img.isNull() and img.width() > 100
    else:
        text = target.read_text(encoding="utf-8")
        assert "<svg" in text
    assert not list(tmp_path.glob(".*.part*"))


def test_plot_export_bad_folder(qtbot, tmp_path, errors):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    assert dlg.export_plot_dialog(None, w, "png", path=tmp_path / "nope" / "a.png") is None
    assert errors and "Choose another folder" in errors[0][1]


def test_experiment_file_choosers_add_the_extension(qtbot, monkeypatch, tmp_path):
    calls = fake_save(monkeypatch, tmp_path / "exp")
    assert dlg.choose_experiment_save_file(None, tmp_path) == tmp_path / "exp.vlab"
    assert "*.vlab" in calls[0][2] and calls[0][1] == str(tmp_path / "experiment.vlab")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert dlg.choose_experiment_save_file(None) is None
    written = tmp_path / "exp.vlab"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(written), ""))
    assert dlg.choose_experiment_file(None) == written


def test_choosing_no_file_opens_nothing(qtbot, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    assert dlg.choose_experiment_file(None) is None
