"""Stimulator / protocol panel: choose, edit, save and run protocols; manual stimuli.

The epoch table is bound to the protocol contract of :mod:`vlab.protocols`: every edit
builds a new validated :class:`~vlab.protocols.Protocol` (``with_changes``) and, when it
is valid, puts it on the rig (one undo step); otherwise the protocol's own message is
shown and the rig keeps the last valid protocol.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vlab.atomic import write_text_atomic
from vlab.gui.rig_events import RigEvents, disconnect_rig_events
from vlab.protocols import (
    ProtocolError,
    builtin_protocols,
    format_quantity,
    load_protocol,
    protocol_to_toml,
)
from vlab.protocols.model import COMMAND_DIMENSIONS
from vlab.protocols.validate import MAX_ABS_CURRENT, MAX_ABS_CURRENT_DENSITY, MAX_ABS_VOLTAGE
from vlab.rig import ClampMode, Rig
from vlab.units import UnitError, format_si, parse_quantity

log = logging.getLogger(__name__)

__all__ = ["StimulatorPanel", "EPOCH_COLUMNS"]

EPOCH_COLUMNS = ("type", "duration", "level", "level_increment", "duration_increment")
#: the manual pulse in current clamp: 1 ms of it fires the squid and the mammalian cell
#: (their thresholds are ~4 and ~15 uA/cm2; tests/gui/test_stimulator_panel.py)
DEFAULT_CC_PULSE = "20 uA/cm2"


def with_unit(text: str, unit: str | None) -> str:
    """``"5"`` -> ``"5 ms"`` when ``unit`` is ``"ms"``: a bare number takes the column's unit
    (the unit the cell showed); text with a unit is returned as it is."""
    text = text.strip()
    try:
        float(text)
    except ValueError:
        return text
    return f"{text} {unit}" if unit else text


def unit_of(text: str) -> str | None:
    """The unit of a shown quantity (``"-65 mV"`` -> ``"mV"``), None for a bare number."""
    parts = text.strip().split(None, 1)
    return parts[1] if len(parts) == 2 else None


def protocol_titles(builtins: dict[str, Path]) -> dict[str, str]:
    """Built-in protocol file name -> its title (the protocol's ``name``), sorted by title.

    A protocol that does not load is listed under its file name; choosing it shows why."""
    titles = {}
    for key in builtins:
        try:
            titles[key] = load_protocol(key).name
        except (ProtocolError, OSError, ValueError) as exc:
            log.warning("protocol %s cannot be loaded: %s", key, exc)
            titles[key] = key
    return dict(sorted(titles.items(), key=lambda kv: kv[1].lower()))


def first_sentence(text: str) -> str:
    """The first sentence of a description (the full text goes in the tooltip)."""
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


class StimulatorPanel(QWidget):
    """Protocol choice, epoch table, run controls and gap-free manual stimulation."""

    run_requested = Signal(bool)  # repeat?
    stop_requested = Signal()
    stimulate_requested = Signal(float, float)  # amplitude (A or V), duration s
    acquisition_changed = Signal(str)
    message = Signal(str)

    def __init__(self, rig: Rig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rig = rig
        self.path: Path | None = None
        self._units: dict[tuple[int, int], str | None] = {}  # (row, column) -> shown unit
        self.setObjectName("stimulator_panel")

        # protocol chooser
        self.protocol_combo = QComboBox()
        self._builtins = builtin_protocols()
        self.protocol_combo.addItem(self.tr("(choose a protocol)"), None)
        for name, title in protocol_titles(self._builtins).items():
            self.protocol_combo.addItem(title, name)  # the title shows, the file name is data
            self.protocol_combo.setItemData(
                self.protocol_combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole
            )
        self.protocol_combo.setToolTip(self.tr("Choose one of the protocols that ship with vlab."))
        self.protocol_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.protocol_combo.setMinimumContentsLength(12)
        self.protocol_combo.activated.connect(self._on_builtin_chosen)
        self.open_button = QPushButton(self.tr("Open…"))
        self.open_button.setToolTip(self.tr("Load a protocol from a .toml file."))
        self.open_button.clicked.connect(self.open_file)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setToolTip(self.tr("Write the edited protocol back to its file."))
        self.save_button.clicked.connect(self.save)
        self.save_as_button = QPushButton(self.tr("Save as…"))
        self.save_as_button.setToolTip(self.tr("Write the edited protocol to a new .toml file."))
        self.save_as_button.clicked.connect(self.save_as)

        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(mid);")

        # protocol-wide fields
        self.sweeps_spin = QSpinBox()
        self.sweeps_spin.setRange(1, 1000)
        self.sweeps_spin.setKeyboardTracking(False)
        self.sweeps_spin.setToolTip(self.tr("How many sweeps the protocol runs."))
        self.sweeps_spin.valueChanged.connect(lambda v: self._apply_changes(sweeps=v))
        self.holding_edit = QLineEdit()
        self.holding_edit.setToolTip(
            self.tr("Command between epochs, with a unit (e.g. -65 mV or 0 uA/cm2).")
        )
        self.holding_edit.editingFinished.connect(self._on_holding_edited)
        self.duration_edit = QLineEdit()
        self.duration_edit.setToolTip(self.tr("Length of one sweep, with a unit (e.g. 30 ms)."))
        self.duration_edit.editingFinished.connect(self._on_duration_edited)

        # epoch table
        self.table = QTableWidget(0, len(EPOCH_COLUMNS))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("type"),
                self.tr("duration"),
                self.tr("level"),
                self.tr("Δ level"),
                self.tr("Δ duration"),
            ]
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(
            self.tr("Epochs A, B, C… of each sweep; Δ columns are added on every following sweep.")
        )
        self.table.setMinimumHeight(110)
        self.table.cellChanged.connect(self._on_cell_changed)
        self.add_epoch_button = QPushButton(self.tr("+ epoch"))
        self.add_epoch_button.setToolTip(self.tr("Append a copy of the last epoch."))
        self.add_epoch_button.clicked.connect(self.add_epoch)
        self.remove_epoch_button = QPushButton(self.tr("− epoch"))
        self.remove_epoch_button.setToolTip(self.tr("Remove the selected (or last) epoch."))
        self.remove_epoch_button.clicked.connect(self.remove_epoch)
        erow = QHBoxLayout()
        erow.addWidget(self.add_epoch_button)
        erow.addWidget(self.remove_epoch_button)
        erow.addStretch(1)
        # the pulse train of a train epoch: how many pulses, how long, how often
        self.train_pulses = QSpinBox()
        self.train_pulses.setRange(1, 1000)
        self.train_pulses.setKeyboardTracking(False)
        self.train_pulses.setToolTip(self.tr("Number of pulses in the train."))
        self.train_width = QLineEdit()
        self.train_width.setToolTip(
            self.tr("Length of each pulse, e.g. 1 ms (a bare number is ms).")
        )
        self.train_period = QLineEdit()
        self.train_period.setToolTip(
            self.tr("Start-to-start interval of the pulses, e.g. 5 ms (a bare number is ms).")
        )
        self.train_pulses.valueChanged.connect(lambda v: self._edit_train(pulses=int(v)))
        self.train_width.editingFinished.connect(
            lambda: self._edit_train(pulse_width=with_unit(self.train_width.text(), "ms"))
        )
        self.train_period.editingFinished.connect(
            lambda: self._edit_train(period=with_unit(self.train_period.text(), "ms"))
        )
        self.train_box = QWidget()
        tl = QHBoxLayout(self.train_box)
        tl.setContentsMargins(0, 0, 0, 0)
        self.train_label = QLabel(self.tr("Train"))
        tl.addWidget(self.train_label)
        tl.addWidget(self.train_pulses)
        tl.addWidget(QLabel(self.tr("pulses of")))
        tl.addWidget(self.train_width, 1)
        tl.addWidget(QLabel(self.tr("every")))
        tl.addWidget(self.train_period, 1)
        self.train_box.hide()
        self.table.currentCellChanged.connect(lambda *_: self._refresh_train())
        self.validation = QLabel("")
        self.validation.setWordWrap(True)
        self.validation.setStyleSheet("color: #D55E00;")

        # run controls
        self.acquisition_combo = QComboBox()
        self.acquisition_combo.addItem(self.tr("gap-free"), "gap-free")
        self.acquisition_combo.addItem(self.tr("episodic"), "episodic")
        self.acquisition_combo.setToolTip(
            self.tr("Gap-free streams continuously; episodic records the protocol's sweeps.")
        )
        self.acquisition_combo.currentIndexChanged.connect(
            lambda i: self.acquisition_changed.emit(self.acquisition_combo.itemData(i))
        )
        self.run_button = QPushButton(self.tr("Run once"))
        self.run_button.setToolTip(self.tr("Record every sweep of the protocol once (F5)."))
        self.run_button.clicked.connect(lambda: self.run_requested.emit(False))
        self.repeat_button = QPushButton(self.tr("Repeat"))
        self.repeat_button.setToolTip(
            self.tr("Run the protocol again and again until you stop it.")
        )
        self.repeat_button.clicked.connect(lambda: self.run_requested.emit(True))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the protocol that is running (Esc)."))
        self.stop_button.clicked.connect(self.stop_requested.emit)
        run_box = QGroupBox(self.tr("Acquisition"))
        rl = QHBoxLayout(run_box)
        rl.addWidget(self.acquisition_combo)
        rl.addWidget(self.run_button)
        rl.addWidget(self.repeat_button)
        rl.addWidget(self.stop_button)

        # manual stimulation (gap-free play)
        self.amplitude_edit = QLineEdit(DEFAULT_CC_PULSE)
        self.amplitude_edit.setToolTip(
            self.tr(
                "Pulse size with a unit: a current (nA, uA/cm2) in CC, a voltage step (mV) in VC."
            )
        )
        self.pulse_duration_edit = QLineEdit("1 ms")
        self.pulse_duration_edit.setToolTip(self.tr("Pulse length with a unit, e.g. 1 ms."))
        self.stimulate_button = QPushButton(self.tr("Stimulate"))
        self.stimulate_button.setToolTip(
            self.tr("Deliver one pulse now on top of the holding value (Space).")
        )
        self.stimulate_button.clicked.connect(self.stimulate)
        man_box = QGroupBox(self.tr("Manual stimulus"))
        ml = self._manual_layout = QHBoxLayout(man_box)
        ml.addWidget(QLabel(self.tr("Amplitude")))
        ml.addWidget(self.amplitude_edit, 1)
        ml.addWidget(QLabel(self.tr("for")))
        ml.addWidget(self.pulse_duration_edit, 1)
        ml.addWidget(self.stimulate_button)

        top = QHBoxLayout()
        top.addWidget(self.protocol_combo, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.save_button)
        top.addWidget(self.save_as_button)
        fields = QHBoxLayout()
        for label, w in (
            (self.tr("Sweeps"), self.sweeps_spin),
            (self.tr("Holding"), self.holding_edit),
            (self.tr("Sweep length"), self.duration_edit),
        ):
            fields.addWidget(QLabel(label))
            fields.addWidget(w, 1)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.description)
        lay.addLayout(fields)
        lay.addWidget(self.table, 1)
        lay.addLayout(erow)
        lay.addWidget(self.train_box)
        lay.addWidget(self.validation)
        lay.addWidget(run_box)
        lay.addWidget(man_box)

        order = [
            self.protocol_combo,
            self.open_button,
            self.save_button,
            self.save_as_button,
            self.sweeps_spin,
            self.holding_edit,
            self.duration_edit,
            self.table,
            self.add_epoch_button,
            self.remove_epoch_button,
            self.acquisition_combo,
            self.run_button,
            self.repeat_button,
            self.stop_button,
            self.amplitude_edit,
            self.pulse_duration_edit,
            self.stimulate_button,
        ]
        for a, b in zip(order, order[1:], strict=False):
            self.setTabOrder(a, b)

        RigEvents.of(rig).changed.connect(self._on_rig_event)  # in the GUI thread
        self.refresh()

    # ------------------------------------------------------------------ rig -> widgets
    def _on_rig_event(self, kind: str, detail: object) -> None:
        if kind in ("protocol", "history", "preparation"):
            self.refresh()
        elif kind == "mode":
            self._default_amplitude()

    def refresh(self) -> None:
        p = self.rig.protocol
        blockers = [QSignalBlocker(w) for w in (self.table, self.sweeps_spin, self.protocol_combo)]
        enabled = p is not None
        for w in (
            self.table,
            self.sweeps_spin,
            self.holding_edit,
            self.duration_edit,
            self.save_as_button,
        ):
            w.setEnabled(enabled)
        self.save_button.setEnabled(enabled and self.path is not None)
        if p is None:
            self.protocol_combo.setItemText(0, self.tr("(choose a protocol)"))
            self.protocol_combo.setCurrentIndex(0)
            self.table.setRowCount(0)
            self.description.setText(self.tr("No protocol loaded."))
        else:
            self.description.setText(first_sentence(p.description) or p.name)
            self.description.setToolTip(p.description)
            self.sweeps_spin.setValue(p.sweeps)
            self.holding_edit.setText(format_quantity(p.holding.value, p.holding.dimension))
            self.duration_edit.setText(format_quantity(p.sweep_duration, "time"))
            self._units = {}
            self.table.setRowCount(len(p.epochs))
            self.table.setVerticalHeaderLabels([chr(ord("A") + i) for i in range(len(p.epochs))])
            for r, ep in enumerate(p.epochs):
                inc = ep.level_increment
                cells = (
                    ep.type,
                    format_quantity(ep.duration, "time"),
                    format_quantity(ep.level.value, ep.level.dimension),
                    format_quantity(inc.value, inc.dimension) if inc is not None else "0",
                    format_quantity(ep.duration_increment, "time")
                    if ep.duration_increment
                    else "0",
                )
                for c, text in enumerate(cells):
                    self._units[(r, c)] = unit_of(text)
                    item = QTableWidgetItem(text)
                    if ep.type == "train":
                        item.setToolTip(
                            self.tr("train: {} pulses of {} every {}").format(
                                ep.pulses, format_si(ep.pulse_width, "s"), format_si(ep.period, "s")
                            )
                        )
                    self.table.setItem(r, c, item)
            self._show_in_chooser(p)
            acq = "gap-free" if p.acquisition == "gap-free" else None
            if acq:
                self.acquisition_combo.setCurrentIndex(0)
        self.validation.setText("")
        del blockers
        self._refresh_train()

    def train_row(self) -> int | None:
        """The train epoch being edited: the selected row if it is a train, else the first."""
        p = self.rig.protocol
        if p is None:
            return None
        trains = [i for i, ep in enumerate(p.epochs) if ep.type == "train"]
        row = self.table.currentRow()
        return row if row in trains else (trains[0] if trains else None)

    def _refresh_train(self) -> None:
        row = self.train_row()
        self.train_box.setVisible(row is not None)
        p = self.rig.protocol
        if row is None or p is None:  # train_row() is None without a protocol
            return
        ep = p.epochs[row]
        self.train_label.setText(self.tr("Train {}:").format(chr(ord("A") + row)))
        with QSignalBlocker(self.train_pulses):
            self.train_pulses.setValue(int(ep.pulses or 1))
        self.train_width.setText(format_quantity(ep.pulse_width or 0.0, "time"))
        self.train_period.setText(format_quantity(ep.period or 0.0, "time"))

    def _edit_train(self, **change) -> None:
        p = self.rig.protocol
        row = self.train_row()
        if p is None or row is None:
            return
        ep = p.epochs[row]
        try:
            new = ep.with_changes(**change)
        except (ProtocolError, UnitError, ValueError, TypeError) as exc:
            self._fail(self.tr("train {}: {}").format(chr(ord("A") + row), exc))
            self._refresh_train()
            return
        if new == ep:
            return
        epochs = list(p.epochs)
        epochs[row] = new
        if not self._apply_changes(epochs=tuple(epochs)):
            self._refresh_train()

    def _default_amplitude(self) -> None:
        vc = self.rig.amplifier.mode == ClampMode.VC
        try:
            dim = parse_quantity(self.amplitude_edit.text()).dimension
        except UnitError:
            dim = None
        if vc and dim != "voltage":
            self.amplitude_edit.setText("20 mV")
        elif not vc and dim not in ("current", "current_density"):
            self.amplitude_edit.setText(DEFAULT_CC_PULSE)

    # ------------------------------------------------------------------ choosing / files
    def _show_in_chooser(self, p) -> None:
        """Select the loaded protocol in the chooser: the built-in it was loaded from (by its
        file, or by its title when it came back from an experiment file or a crash journal,
        which keep the protocol but not its file); a protocol of the user's own shows its
        name in the first entry instead of "(choose a protocol)"."""
        idx = self.protocol_combo.findData(Path(getattr(p, "source", "")).stem)
        if idx < 1:
            idx = self.protocol_combo.findText(p.name, Qt.MatchFlag.MatchExactly)
        if idx < 1:
            self.protocol_combo.setItemText(0, self.tr("{} (own protocol)").format(p.name))
            idx = 0
        else:
            self.protocol_combo.setItemText(0, self.tr("(choose a protocol)"))
        self.protocol_combo.setCurrentIndex(idx)

    def _on_builtin_chosen(self, i: int) -> None:
        name = self.protocol_combo.itemData(i)
        if name:
            self.load(name)

    def load(self, name_or_path: str | Path) -> bool:
        try:
            p = load_protocol(name_or_path)
        except (ProtocolError, OSError, ValueError) as exc:
            self._fail(str(exc))
            return False
        path = Path(name_or_path)
        self.path = path if path.suffix == ".toml" and path.exists() else None
        self.rig.set_protocol(p)
        self.acquisition_combo.setCurrentIndex(1 if p.acquisition == "episodic" else 0)
        return True

    def open_file(self) -> None:
        fn, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Open protocol"),
            "",
            self.tr("Protocols (*.toml);;Clampex protocol of a recording (*.abf)"),
        )
        if fn and not self.load(fn):
            QMessageBox.warning(self, self.tr("Cannot open protocol"), self.validation.text())

    def save(self) -> None:
        if self.path is None:
            self.save_as()
        else:
            self.save_to(self.path)

    def save_as(self) -> None:
        fn, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save protocol"), "", self.tr("Protocols (*.toml)")
        )
        if fn:
            path = Path(fn)
            if path.suffix != ".toml":
                path = path.with_suffix(".toml")
            if self.save_to(path):
                self.path = path
                self.save_button.setEnabled(True)

    def save_to(self, path: Path) -> bool:
        p = self.rig.protocol
        if p is None:
            return False
        try:
            text = protocol_to_toml(p)
            write_text_atomic(path, text)
        except (OSError, ProtocolError, ValueError) as exc:
            self._fail(self.tr("could not save: {}").format(exc))
            return False
        self.message.emit(self.tr("Protocol saved to {}").format(path))
        return True

    # ------------------------------------------------------------------ editing
    def _fail(self, text: str) -> None:
        self.validation.setText(text)
        self.message.emit(text)

    def _apply_changes(self, **changes) -> bool:
        p = self.rig.protocol
        if p is None:
            return False
        try:
            new = p.with_changes(**changes)
        except (ProtocolError, UnitError, ValueError, TypeError) as exc:
            self._fail(str(exc))
            return False
        if new != p:
            self.rig.set_protocol(new)
        self.validation.setText("")
        return True

    def _on_holding_edited(self) -> None:
        p = self.rig.protocol
        if p is not None and self.holding_edit.text() != format_quantity(
            p.holding.value, p.holding.dimension
        ):
            shown = format_quantity(p.holding.value, p.holding.dimension)
            self._apply_changes(holding=with_unit(self.holding_edit.text(), unit_of(shown)))

    def _on_duration_edited(self) -> None:
        p = self.rig.protocol
        if p is not None and self.duration_edit.text() != format_quantity(p.sweep_duration, "time"):
            shown = format_quantity(p.sweep_duration, "time")
            text = with_unit(self.duration_edit.text(), unit_of(shown) or "ms")
            self._apply_changes(sweep_duration=text)

    def epoch_from_row(self, row: int):
        """Build the epoch of table row ``row`` (raises ProtocolError/UnitError/ValueError)."""
        p = self.rig.protocol
        if p is None:
            raise ProtocolError("no protocol is loaded")
        ep = p.epochs[row]
        dims = COMMAND_DIMENSIONS[p.mode]
        text = [
            item.text().strip() if (item := self.table.item(row, c)) is not None else ""
            for c in range(5)
        ]
        level_unit = self._units.get((row, 2)) or ("mV" if p.mode == "voltage-clamp" else None)
        column_unit = {1: "ms", 2: level_unit, 3: level_unit, 4: "ms"}
        for c in (1, 2, 3, 4):
            if c in (3, 4) and text[c] in ("", "0"):
                continue  # no increment
            text[c] = with_unit(text[c], self._units.get((row, c)) or column_unit[c])
        etype = text[0]
        level = parse_quantity(text[2], dims)
        inc_text = text[3]
        inc = None if inc_text in ("", "0") else parse_quantity(inc_text, dims)
        dinc = 0.0 if text[4] in ("", "0") else text[4]
        return ep.with_changes(
            type=etype, duration=text[1], level=level, level_increment=inc, duration_increment=dinc
        )

    def _on_cell_changed(self, row: int, col: int) -> None:
        p = self.rig.protocol
        if p is None or row >= len(p.epochs):
            return
        try:
            new_ep = self.epoch_from_row(row)
        except (ProtocolError, UnitError, ValueError, TypeError) as exc:
            self._fail(self.tr("epoch {}: {}").format(chr(ord("A") + row), exc))
            return
        epochs = list(p.epochs)
        epochs[row] = new_ep
        self._apply_changes(epochs=tuple(epochs))

    def add_epoch(self) -> None:
        p = self.rig.protocol
        if p is None or not p.epochs:
            return
        self._apply_changes(epochs=(*p.epochs, p.epochs[-1]))

    def remove_epoch(self) -> None:
        p = self.rig.protocol
        if p is None or len(p.epochs) <= 1:
            return
        row = self.table.currentRow()
        row = row if 0 <= row < len(p.epochs) else len(p.epochs) - 1
        epochs = list(p.epochs)
        del epochs[row]
        self._apply_changes(epochs=tuple(epochs))

    # ------------------------------------------------------------------ manual play
    def add_record_toggle(self, action) -> None:
        """A button for the window's *Record gap-free* toggle, beside Stimulate."""
        self.record_button = QToolButton()
        self.record_button.setDefaultAction(action)
        self._manual_layout.addWidget(self.record_button)

    def stimulate(self) -> None:
        vc = self.rig.amplifier.mode == ClampMode.VC
        try:
            q = parse_quantity(
                self.amplitude_edit.text(), ("voltage",) if vc else ("current", "current_density")
            )
            dur = parse_quantity(self.pulse_duration_edit.text(), "time").value
        except UnitError as exc:
            self._fail(str(exc))
            return
        amp = (
            q.value * self.rig.cell.values["area"] if q.dimension == "current_density" else q.value
        )
        if not 0 < dur <= 10.0:
            self._fail(self.tr("the pulse must last between 0 and 10 s"))
            return
        # the same limits as protocol files (issue 11: the manual pulse had none)
        limit, text = {
            "voltage": (MAX_ABS_VOLTAGE, "300 mV"),
            "current": (MAX_ABS_CURRENT, "1 mA"),
            "current_density": (MAX_ABS_CURRENT_DENSITY, "10 mA/cm2"),
        }[q.dimension]
        if not abs(q.value) <= limit:
            self._fail(
                self.tr("{} is beyond any membrane; the limit is ±{}").format(
                    self.amplitude_edit.text().strip(), text
                )
            )
            return
        self.validation.setText("")
        self.stimulate_requested.emit(float(amp), float(dur))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        disconnect_rig_events(self.rig, self._on_rig_event)
        super().closeEvent(event)
