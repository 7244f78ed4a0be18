"""Amplifier front panel: clamp mode, holding per mode, gain, filter, live readouts.

Widgets write to the rig (validated there; refusals are shown in the panel) and follow
the rig's events, so undo/redo and other panels keep them in step. Pushing rig state into
the widgets blocks their signals, so there is no echo back into the rig.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from vlab.rig import FILTERS_HZ, GAINS, ClampMode, Rig
from vlab.rig.rig import HOLDING_LIMITS
from vlab.units import format_si

__all__ = ["AmplifierPanel"]


class AmplifierPanel(QWidget):
    """Mode VC / CC / I=0, holding value per mode, gain, filter, Vm/Im readouts."""

    message = Signal(str)  # a refusal or hint for the status bar

    def __init__(self, rig: Rig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rig = rig
        self.setObjectName("amplifier_panel")

        mode_box = QGroupBox(self.tr("Mode"))
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[ClampMode, QRadioButton] = {}
        tips = {
            ClampMode.VC: self.tr(
                "Voltage clamp: the amplifier holds Vm at the command and records the current Im."
            ),
            ClampMode.CC: self.tr(
                "Current clamp: the amplifier injects the command current and records Vm."
            ),
            ClampMode.I0: self.tr(
                "I=0: the command is disconnected and the membrane rests on its own."
            ),
        }
        row = QHBoxLayout(mode_box)
        for i, mode in enumerate((ClampMode.VC, ClampMode.CC, ClampMode.I0)):
            b = QRadioButton(self.tr(mode.value))
            b.setToolTip(tips[mode])
            self.mode_group.addButton(b, i)
            self.mode_buttons[mode] = b
            row.addWidget(b)
        self.mode_group.idClicked.connect(self._on_mode_clicked)

        form = QFormLayout()
        self.vc_holding = QDoubleSpinBox()
        lo, hi = HOLDING_LIMITS[ClampMode.VC]
        self.vc_holding.setRange(lo * 1e3, hi * 1e3)
        self.vc_holding.setDecimals(1)
        self.vc_holding.setSingleStep(5.0)
        self.vc_holding.setSuffix(" mV")
        self.vc_holding.setKeyboardTracking(False)
        self.vc_holding.setToolTip(
            self.tr("Potential the clamp holds between steps, used in VC mode.")
        )
        self.cc_holding = QDoubleSpinBox()
        lo, hi = HOLDING_LIMITS[ClampMode.CC]
        self.cc_holding.setRange(lo * 1e9, hi * 1e9)
        self.cc_holding.setDecimals(3)
        self.cc_holding.setSingleStep(0.1)
        self.cc_holding.setSuffix(" nA")
        self.cc_holding.setKeyboardTracking(False)
        self.cc_holding.setToolTip(
            self.tr("Steady current injected in CC mode (positive depolarises).")
        )
        self.vc_holding.valueChanged.connect(lambda v: self._set_holding(ClampMode.VC, v * 1e-3))
        self.cc_holding.valueChanged.connect(lambda v: self._set_holding(ClampMode.CC, v * 1e-9))
        form.addRow(self.tr("VC holding"), self.vc_holding)
        form.addRow(self.tr("CC holding"), self.cc_holding)

        self.gain_combo = QComboBox()
        for g in GAINS:
            self.gain_combo.addItem(f"×{g}", g)
        self.gain_combo.setToolTip(
            self.tr(
                "Output gain of the recorded channel: more gain, finer resolution, smaller range."
            )
        )
        self.gain_combo.currentIndexChanged.connect(self._on_gain)
        self.filter_combo = QComboBox()
        for f in FILTERS_HZ:
            self.filter_combo.addItem(self.tr("bypass") if f is None else format_si(f, "Hz"), f)
        self.filter_combo.setToolTip(
            self.tr(
                "Low-pass (4-pole Bessel) filter on the recorded Vm and Im; the cell is not affected."
            )
        )
        self.filter_combo.currentIndexChanged.connect(self._on_filter)
        form.addRow(self.tr("Gain"), self.gain_combo)
        form.addRow(self.tr("Filter"), self.filter_combo)

        self.vm_readout = QLabel("—")
        self.im_readout = QLabel("—")
        for lab, tip in (
            (self.vm_readout, self.tr("Membrane potential now, as the amplifier reports it.")),
            (self.im_readout, self.tr("Membrane current now, as the amplifier reports it.")),
        ):
            f = lab.font()
            f.setPointSizeF(f.pointSizeF() * 1.4)
            f.setBold(True)
            lab.setFont(f)
            lab.setToolTip(tip)
        form.addRow(self.tr("Vm"), self.vm_readout)
        form.addRow(self.tr("Im"), self.im_readout)

        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #D55E00;")

        lay = QVBoxLayout(self)
        lay.addWidget(mode_box)
        lay.addLayout(form)
        lay.addWidget(self.message_label)
        lay.addStretch(1)

        self.setTabOrder(self.mode_buttons[ClampMode.VC], self.mode_buttons[ClampMode.CC])
        self.setTabOrder(self.mode_buttons[ClampMode.CC], self.mode_buttons[ClampMode.I0])
        self.setTabOrder(self.mode_buttons[ClampMode.I0], self.vc_holding)
        self.setTabOrder(self.vc_holding, self.cc_holding)
        self.setTabOrder(self.cc_holding, self.gain_combo)
        self.setTabOrder(self.gain_combo, self.filter_combo)

        rig.subscribe(self._on_rig_event)
        self.refresh()

    # ------------------------------------------------------------------ rig -> widgets
    def _on_rig_event(self, kind: str, detail: object) -> None:
        if kind in ("mode", "holding", "amplifier", "history", "preparation"):
            self.refresh()

    def refresh(self) -> None:
        amp = self.rig.amplifier
        blockers = [
            QSignalBlocker(w)
            for w in (
                self.vc_holding,
                self.cc_holding,
                self.gain_combo,
                self.filter_combo,
                self.mode_group,
            )
        ]
        self.mode_buttons[amp.mode].setChecked(True)
        self.vc_holding.setValue(amp.holding[ClampMode.VC] * 1e3)
        self.cc_holding.setValue(amp.holding[ClampMode.CC] * 1e9)
        self.gain_combo.setCurrentIndex(GAINS.index(amp.gain))
        self.filter_combo.setCurrentIndex(FILTERS_HZ.index(amp.lowpass_hz))
        self.vc_holding.setEnabled(True)
        self.cc_holding.setEnabled(True)
        del blockers

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.rig.unsubscribe(self._on_rig_event)
        super().closeEvent(event)

    # ------------------------------------------------------------------ widgets -> rig
    def _call(self, fn, *args) -> None:
        try:
            fn(*args)
            self.message_label.setText("")
        except ValueError as exc:
            self.message_label.setText(str(exc))
            self.message.emit(str(exc))
            self.refresh()

    def _on_mode_clicked(self, idx: int) -> None:
        mode = (ClampMode.VC, ClampMode.CC, ClampMode.I0)[idx]
        self._call(self.rig.set_mode, mode)

    def _set_holding(self, mode: ClampMode, value: float) -> None:
        if math.isclose(self.rig.amplifier.holding[mode], value, rel_tol=1e-9, abs_tol=1e-15):
            return
        self._call(self.rig.set_holding, value, mode)

    def _on_gain(self, i: int) -> None:
        self._call(self.rig.set_gain, self.gain_combo.itemData(i))

    def _on_filter(self, i: int) -> None:
        self._call(self.rig.set_filter, self.filter_combo.itemData(i))

    # ------------------------------------------------------------------ readouts
    def set_readouts(self, vm: float, im: float) -> None:
        self.vm_readout.setText(format_si(vm, "V", 4))
        self.im_readout.setText(format_si(im, "A", 3))
