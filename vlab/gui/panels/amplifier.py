"""Amplifier front panel: clamp mode, holding per mode (with the CC holding knob), gain,
filter, and the Vm/Im readouts with a note of when they were measured.

Widgets write to the rig (validated there; refusals are shown in the panel) and follow
the rig's events, so undo/redo and other panels keep them in step. Pushing rig state into
the widgets blocks their signals, so there is no echo back into the rig.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDial,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from vlab.gui.rig_events import RigEvents, disconnect_rig_events
from vlab.rig import FILTERS_HZ, GAINS, ClampMode, Rig
from vlab.rig.rig import HOLDING_LIMITS
from vlab.units import format_si

__all__ = ["AmplifierPanel", "DIAL_DENSITY", "DIAL_STEPS"]

DIAL_STEPS = 1000
DIAL_DENSITY = 0.2  # A/m^2 (20 uA/cm2) at full turn of the CC holding knob
READOUT_SCALE = 1.4  # readout font relative to the panel's font


class AmplifierPanel(QWidget):
    """Mode VC / CC / I=0, holding value per mode, gain, filter, Vm/Im readouts."""

    message = Signal(str)  # a refusal or hint for the status bar

    def __init__(self, rig: Rig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rig = rig
        self.setObjectName("amplifier_panel")

        mode_box = QWidget()
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
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(self.tr("Mode")))
        for i, mode in enumerate((ClampMode.VC, ClampMode.CC, ClampMode.I0)):
            b = QRadioButton(self.tr(mode.value))
            b.setToolTip(tips[mode])
            self.mode_group.addButton(b, i)
            self.mode_buttons[mode] = b
            row.addWidget(b)
        row.addStretch(1)
        self.mode_group.idClicked.connect(self._on_mode_clicked)

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
        # the CC holding knob: the same setting as the CC holding box, turned by hand
        self.dial = QDial()
        self.dial.setRange(-DIAL_STEPS, DIAL_STEPS)
        self.dial.setNotchesVisible(True)
        self.dial.setTracking(False)
        self.dial.setToolTip(
            self.tr(
                "CC holding knob: the steady current injected in current clamp; "
                "turn right to depolarise (full turn ±20 µA/cm²)."
            )
        )
        self.dial.valueChanged.connect(self._on_dial)

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

        self.vm_readout = QLabel("—")
        self.im_readout = QLabel("—")
        self._readout_labels = (self.vm_readout, self.im_readout)
        for lab, tip in (
            (self.vm_readout, self.tr("Membrane potential, as the amplifier reports it.")),
            (self.im_readout, self.tr("Membrane current, as the amplifier reports it.")),
        ):
            lab.setToolTip(tip)
        self.readout_source = QLabel(self.tr("waiting for the simulator…"))
        self.readout_source.setWordWrap(True)
        self.readout_source.setToolTip(self.tr("When the Vm and Im values above were measured."))
        self.readout_source.setStyleSheet("color: palette(mid);")
        self._style_readouts()

        # a wide, short grid: the panel sits above the stimulator in one column
        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("VC holding")), 0, 0)
        grid.addWidget(self.vc_holding, 0, 1)
        grid.addWidget(QLabel(self.tr("CC holding")), 1, 0)
        grid.addWidget(self.cc_holding, 1, 1)
        grid.addWidget(self.dial, 0, 2, 2, 1)
        grid.addWidget(QLabel(self.tr("Gain")), 0, 3)
        grid.addWidget(self.gain_combo, 0, 4)
        grid.addWidget(QLabel(self.tr("Filter")), 1, 3)
        grid.addWidget(self.filter_combo, 1, 4)
        grid.addWidget(QLabel(self.tr("Vm")), 2, 0)
        grid.addWidget(self.vm_readout, 2, 1, 1, 2)
        grid.addWidget(QLabel(self.tr("Im")), 2, 3)
        grid.addWidget(self.im_readout, 2, 4)
        grid.addWidget(self.readout_source, 3, 0, 1, 5)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)

        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #D55E00;")
        self.message_label.hide()

        grid.setVerticalSpacing(4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        lay.addWidget(mode_box)
        lay.addLayout(grid)
        lay.addWidget(self.message_label)
        lay.addStretch(1)

        self.setTabOrder(self.mode_buttons[ClampMode.VC], self.mode_buttons[ClampMode.CC])
        self.setTabOrder(self.mode_buttons[ClampMode.CC], self.mode_buttons[ClampMode.I0])
        self.setTabOrder(self.mode_buttons[ClampMode.I0], self.vc_holding)
        self.setTabOrder(self.vc_holding, self.cc_holding)
        self.setTabOrder(self.cc_holding, self.dial)
        self.setTabOrder(self.dial, self.gain_combo)
        self.setTabOrder(self.gain_combo, self.filter_combo)

        RigEvents.of(rig).changed.connect(self._on_rig_event)  # in the GUI thread
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
                self.dial,
            )
        ]
        self.mode_buttons[amp.mode].setChecked(True)
        self.vc_holding.setValue(amp.holding[ClampMode.VC] * 1e3)
        self.cc_holding.setValue(amp.holding[ClampMode.CC] * 1e9)
        self.gain_combo.setCurrentIndex(GAINS.index(amp.gain))
        self.filter_combo.setCurrentIndex(FILTERS_HZ.index(amp.lowpass_hz))
        self.vc_holding.setEnabled(True)
        self.cc_holding.setEnabled(True)
        full = self._dial_full_scale()
        hold = amp.holding[ClampMode.CC]
        self.dial.setValue(int(round(hold / full * DIAL_STEPS)) if full else 0)
        del blockers

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.FontChange:  # the projector scale: readouts follow
            self._style_readouts()
        super().changeEvent(event)

    def _style_readouts(self) -> None:
        for lab in self._readout_labels:
            f = self.font()
            f.setPointSizeF(f.pointSizeF() * READOUT_SCALE)
            f.setBold(True)
            lab.setFont(f)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        disconnect_rig_events(self.rig, self._on_rig_event)
        super().closeEvent(event)

    # ------------------------------------------------------------------ widgets -> rig
    def _call(self, fn, *args) -> None:
        try:
            fn(*args)
            self.message_label.setText("")
            self.message_label.hide()
        except ValueError as exc:
            self.message_label.setText(str(exc))
            self.message_label.show()
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

    def _dial_full_scale(self) -> float:
        """Holding current at a full turn of the knob, A (20 uA/cm2 of this cell)."""
        area = self.rig.cell.values["area"]
        return min(DIAL_DENSITY * area, HOLDING_LIMITS[ClampMode.CC][1])

    def _on_dial(self, value: int) -> None:
        self._set_holding(ClampMode.CC, value / DIAL_STEPS * self._dial_full_scale())

    # ------------------------------------------------------------------ readouts
    def set_readouts(
        self, vm: float, im: float, sweep: int | None = None, n_sweeps: int | None = None
    ) -> None:
        """Show Vm (V) and Im (A) and say when they were measured.

        ``sweep`` (0-based) and ``n_sweeps`` say the values are the last sample of a
        protocol sweep, not the membrane now (a VC family ends mid-step, so its last Im
        is a step current, not the holding current)."""
        self.vm_readout.setText(format_si(vm, "V", 4))
        self.im_readout.setText(format_si(im, "A", 3))
        if sweep is None:
            self.readout_source.setText(self.tr("live (now)"))
        else:
            self.readout_source.setText(
                self.tr("end of sweep {} of {}: not the holding value").format(
                    sweep + 1, n_sweeps if n_sweeps is not None else "?"
                )
            )
