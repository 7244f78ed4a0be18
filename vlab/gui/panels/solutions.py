"""Solutions panel: ion concentrations, temperature, Nernst and GHK potentials.

The student edits inside/outside concentrations (mM) and the temperature (degC).
The Nernst potential of each ion and the GHK resting-potential estimate are
recomputed on every keystroke from what is typed (nothing is applied yet);
*Apply* (or Enter) sends the changed values to the rig. Invalid input shows the
reason next to the field and is not applied.

Also here: :class:`QuantityField`, a line edit for one SI quantity shown in a
display unit, reused by the perfusion panel.
"""

from __future__ import annotations

import copy
import logging
import math

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from vlab.gui.rig_events import RigEvents
from vlab.sim.ions import VALENCE, ghk_voltage, nernst
from vlab.units import UnitError, parse_quantity

log = logging.getLogger(__name__)

__all__ = ["QuantityField", "SolutionsPanel", "format_mv", "pinned_source", "pretty_unit"]

ERROR_STYLE = "color: #b2182b;"  # dark red, readable for all common colour-vision types
ION_LABELS = {"Na": "Na\u207a", "K": "K\u207a", "Cl": "Cl\u207b", "Ca": "Ca\u00b2\u207a"}


def format_mv(v: float, digits: int = 1) -> str:
    """``-0.077`` V -> ``'−77.0 mV'`` (typographic minus)."""
    if v is None or not math.isfinite(v):
        return "\u2014"
    return f"{v * 1e3:.{digits}f} mV".replace("-", "\u2212")


def pinned_source(prep) -> str:
    """Short name of who pinned the reversal potentials of ``prep``."""
    if getattr(prep, "kinetics", "") == "hh1952":
        return "HH 1952"
    return getattr(prep, "title", "") or getattr(prep, "name", "")


def pretty_unit(unit: str) -> str:
    """``'uM'`` -> ``'µM'``, ``'degC'`` -> ``'°C'``, ``'cm2'`` -> ``'cm²'``."""
    u = unit.replace("degC", "\u00b0C").replace("cm2", "cm\u00b2")
    if u.startswith("u"):
        u = "\u00b5" + u[1:]
    return u


class QuantityField(QWidget):
    """A line edit for one quantity, typed in a display unit, read back in SI.

    Accepts a plain number (in the display unit) or a number with a unit
    (``"20 mM"``, ``"300 K"``). :meth:`value` raises ``ValueError`` with a
    message fit for the user; :meth:`show_error` displays it beside the field.

    Signals
    -------
    edited(str)
        The text changed by the user (each keystroke).
    committed()
        Enter pressed.
    """

    edited = Signal(str)
    committed = Signal()

    def __init__(
        self,
        name: str,
        dimension: str,
        unit: str,
        lo: float,
        hi: float,
        *,
        lo_inclusive: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.dimension = dimension
        self.unit = unit
        self.lo, self.hi = lo, hi
        self.lo_inclusive = lo_inclusive
        self._factor = (
            1.0 if dimension == "temperature" else parse_quantity(f"1 {unit}", dimension).value
        )
        self.edit = QLineEdit(self)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.setMinimumWidth(70)
        self.edit.setMaximumWidth(110)
        self.unit_label = QLabel(pretty_unit(unit), self)
        self.error_label = QLabel(self)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        lay.addWidget(self.edit)
        lay.addWidget(self.unit_label)
        self.edit.textEdited.connect(self._on_edited)
        self.edit.returnPressed.connect(self.committed.emit)
        self._si = math.nan

    # ---------------------------------------------------------------- values
    def display(self, si: float) -> str:
        return f"{si / self._factor:.6g}"

    def set_value(self, si: float) -> None:
        """Show ``si`` without emitting ``edited`` (model -> widget)."""
        self._si = float(si)
        self.edit.blockSignals(True)
        try:
            self.edit.setText(self.display(si))
        finally:
            self.edit.blockSignals(False)
        self.show_error("")

    def model_value(self) -> float:
        """The SI value last set with :meth:`set_value`."""
        return self._si

    def is_modified(self) -> bool:
        try:
            v = self.value()
        except ValueError:
            return True
        return not math.isclose(v, self._si, rel_tol=1e-9, abs_tol=1e-15)

    def limits_text(self) -> str:
        return f"{self.display(self.lo)} \u2026 {self.display(self.hi)} {self.unit_label.text()}"

    def value(self) -> float:
        """The typed value in SI; ``ValueError`` (user-ready message) if it is not acceptable."""
        text = self.edit.text().strip().replace(",", ".").replace("\u2212", "-")
        if not text:
            raise ValueError(
                QCoreApplication.translate("QuantityField", "{name}: please type a value").format(
                    name=self.name
                )
            )
        try:
            v = float(text) * self._factor if self.dimension != "temperature" else float(text)
        except ValueError:
            try:
                v = parse_quantity(text, self.dimension).value
            except UnitError as exc:
                raise ValueError(f"{self.name}: {exc}") from None
        if not math.isfinite(v):
            raise ValueError(
                QCoreApplication.translate(
                    "QuantityField", "{name} must be a finite number"
                ).format(name=self.name)
            )
        too_low = v < self.lo if self.lo_inclusive else v <= self.lo
        if too_low or v > self.hi:
            if not self.lo_inclusive and self.lo == 0 and v <= 0:
                msg = QCoreApplication.translate(
                    "QuantityField", "{name} must be above 0 {unit}"
                ).format(name=self.name, unit=self.unit_label.text())
            else:
                msg = QCoreApplication.translate(
                    "QuantityField", "{name} must be between {limits}"
                ).format(name=self.name, limits=self.limits_text())
            raise ValueError(msg)
        return v

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.edit.setStyleSheet("border: 2px solid #b2182b;" if message else "")
        self.edit.setToolTip(message or self.toolTip())

    def _on_edited(self, text: str) -> None:
        try:
            self.value()
            self.show_error("")
        except ValueError as exc:
            self.show_error(str(exc))
        self.edited.emit(text)


class SolutionsPanel(QWidget):
    """Inside/outside solutions and temperature, with live Nernst and GHK potentials.

    Parameters
    ----------
    rig : vlab.rig.rig.Rig
        The rig whose ``cell`` is shown and changed (via ``rig.set_parameter``).

    Signals
    -------
    applied()
        The typed values were sent to the rig.
    """

    applied = Signal()

    def __init__(self, rig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rig = rig
        self.setObjectName("SolutionsPanel")
        self.fields: dict[str, QuantityField] = {}
        self.nernst_labels: dict[str, QLabel] = {}
        self._ion_rows: dict[str, list[QWidget]] = {}
        #: read-outs a graded practical step hides (:meth:`set_hidden_readouts`)
        self.hidden_readouts: frozenset[str] = frozenset()

        outer = QVBoxLayout(self)
        box = QGroupBox(self.tr("Solutions"), self)
        outer.addWidget(box)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.addWidget(QLabel(self.tr("<b>Ion</b>")), 0, 0)
        grid.addWidget(QLabel(self.tr("<b>Inside</b>")), 0, 1)
        grid.addWidget(QLabel(self.tr("<b>Outside</b>")), 0, 2)
        grid.addWidget(QLabel(self.tr("<b>Reversal potential</b>")), 0, 3)
        row = 1
        for ion in ("Na", "K", "Cl", "Ca"):
            name_label = QLabel(ION_LABELS[ion], box)
            widgets: list[QWidget] = [name_label]
            grid.addWidget(name_label, row, 0)
            for col, side in ((1, "in"), (2, "out")):
                key = f"{ion}_{side}"
                f = QuantityField(
                    key, "concentration", "mM", 0.0, 5000.0, lo_inclusive=False, parent=box
                )
                where = self.tr("inside") if side == "in" else self.tr("outside")
                f.setToolTip(
                    self.tr(
                        "{ion} concentration {where} the cell, in mM (above 0, at most 5000)."
                    ).format(ion=ION_LABELS[ion], where=where)
                )
                f.edited.connect(self._recompute)
                f.committed.connect(self.apply)
                self.fields[key] = f
                grid.addWidget(f, row, col)
                widgets.append(f)
            lab = QLabel(box)
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setWordWrap(True)  # "(pinned, source)" wraps in a narrow panel column
            self.nernst_labels[ion] = lab
            grid.addWidget(lab, row, 3)
            widgets.append(lab)
            errs = QWidget(box)
            errs_lay = QVBoxLayout(errs)
            errs_lay.setContentsMargins(0, 0, 0, 0)
            errs_lay.setSpacing(0)
            for side in ("in", "out"):
                errs_lay.addWidget(self.fields[f"{ion}_{side}"].error_label)
            grid.addWidget(errs, row + 1, 1, 1, 3)  # the reason shows just below the fields
            self._ion_rows[ion] = widgets
            row += 2

        grid.addWidget(QLabel(self.tr("Temperature"), box), row, 0)
        t = QuantityField(self.tr("temperature"), "temperature", "degC", -5.0, 50.0, parent=box)
        t.setToolTip(
            self.tr(
                "Bath temperature in \u00b0C (\u22125 to 50): warmer membranes have faster gates."
            )
        )
        t.edited.connect(self._recompute)
        t.committed.connect(self.apply)
        self.fields["temperature"] = t
        grid.addWidget(t, row, 1)
        grid.addWidget(t.error_label, row + 1, 1, 1, 3)
        row += 2

        line = QFrame(box)
        line.setFrameShape(QFrame.Shape.HLine)
        grid.addWidget(line, row, 0, 1, 4)
        row += 1
        grid.addWidget(QLabel(self.tr("GHK estimate"), box), row, 0, 1, 2)
        self.ghk_label = QLabel(box)
        self.ghk_label.setToolTip(
            self.tr(
                "Resting potential predicted by the Goldman\u2013Hodgkin\u2013Katz equation "
                "from the typed concentrations and the preparation's relative permeabilities."
            )
        )
        grid.addWidget(self.ghk_label, row, 2, 1, 2)
        row += 1
        grid.addWidget(QLabel(self.tr("Model rest"), box), row, 0, 1, 2)
        self.rest_label = QLabel(box)
        self.rest_label.setWordWrap(True)
        self.rest_label.setToolTip(
            self.tr(
                "The stable resting potential of the model with the applied solutions "
                "(every eigenvalue of the membrane equations negative there). Without one "
                "the cell fires on its own."
            )
        )
        grid.addWidget(self.rest_label, row, 2, 1, 2)
        row += 1
        self.permeability_label = QLabel(box)
        self.permeability_label.setStyleSheet("color: #555;")
        grid.addWidget(self.permeability_label, row, 0, 1, 4)
        row += 1
        grid.setColumnStretch(3, 1)

        buttons = QHBoxLayout()
        self.apply_button = QPushButton(self.tr("Apply"), self)
        self.apply_button.setToolTip(
            self.tr("Send the typed solutions and temperature to the cell (Enter does the same).")
        )
        self.revert_button = QPushButton(self.tr("Revert"), self)
        self.revert_button.setToolTip(
            self.tr("Forget the typed values and show what the cell has now.")
        )
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.refresh)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.status_label, 1)
        outer.addLayout(buttons)

        cl_box = QGroupBox(self.tr("Chloride conductance"), self)
        cl_lay = QVBoxLayout(cl_box)
        self.gcl_check = QCheckBox(self.tr("Cl\u207b channels open"), cl_box)
        self.gcl_check.setToolTip(
            self.tr("Switch the preparation's chloride conductance on or off.")
        )
        self.gcl_check.toggled.connect(self._on_gcl_toggled)
        note = QLabel(
            self.tr(
                "Sign convention: Cl\u207b carries negative charge, so Cl\u207b flowing <i>into</i> "
                "the cell is an <i>outward</i> (positive) current."
            ),
            cl_box,
        )
        note.setWordWrap(True)
        note.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.gcl_note = note
        self.gcl_error = QLabel(cl_box)
        self.gcl_error.setStyleSheet(ERROR_STYLE)
        self.gcl_error.hide()
        cl_lay.addWidget(self.gcl_check)
        cl_lay.addWidget(note)
        cl_lay.addWidget(self.gcl_error)
        outer.addWidget(cl_box)
        outer.addStretch(1)

        self._install_help()
        RigEvents.of(rig).changed.connect(self._on_rig_event)  # in the GUI thread
        self.refresh()

    def _install_help(self) -> None:
        try:
            from vlab.gui.help import install_help_shortcut

            install_help_shortcut(self, "solutions")
        except Exception:  # help is optional; never break the panel
            log.exception("cannot install F1 help for the solutions panel")

    # ---------------------------------------------------------------- model -> widgets
    def _on_rig_event(self, kind: str, detail: object) -> None:
        if not isValid(self):
            return
        if kind in ("parameter", "preparation", "history"):
            self.refresh()

    def refresh(self) -> None:
        """Show the cell's present values (discarding typed, unapplied values)."""
        cell = self.rig.cell
        has_ca = "Ca_in" in cell.values and "Ca_out" in cell.values
        for w in self._ion_rows["Ca"]:
            w.setVisible(has_ca)
        for key, f in self.fields.items():
            if key in cell.values:
                f.set_value(cell.values[key])
        perm = cell.prep.permeability
        self.permeability_label.setText(
            self.tr("Relative permeabilities: {p}").format(
                p=", ".join(f"P<sub>{ION_LABELS.get(k, k)}</sub> = {v:g}" for k, v in perm.items())
            )
        )
        switch = cell.prep.gcl_switch
        blocker = self.gcl_check.blockSignals(True)
        self.gcl_check.setChecked(cell.values.get("gCl", 0.0) > 0)
        self.gcl_check.blockSignals(blocker)
        self.gcl_check.setEnabled(switch > 0 or cell.values.get("gCl", 0.0) > 0)
        self.gcl_check.setText(
            self.tr("Cl\u207b channels open ({g:g} mS/cm\u00b2)").format(g=switch / 10.0)
            if switch > 0
            else self.tr("Cl\u207b channels (this preparation has none to open)")
        )
        self.gcl_error.hide()
        self.status_label.clear()
        self._show_rest(cell)
        self._recompute()

    @staticmethod
    def _trial_cell(cell, typed: dict[str, float]):
        """The cell as it would be with the typed values applied (None if one is refused)."""
        trial = copy.deepcopy(cell)
        try:
            for key, value in typed.items():
                if key in trial.values and value != trial.values[key]:
                    trial.set(key, value)
        except ValueError:
            return None
        return trial

    def _show_rest(self, cell) -> None:
        if self.visibleRegion().isEmpty():
            # finding the resting potential imports scipy.optimize and solves for it: not
            # at start-up, when this panel is a hidden tab, but when it is first painted
            self._rest_pending = cell
            self.rest_label.setText("\u2026")
            return
        self._rest_pending = None
        try:
            rest = cell.rest()
        except ValueError as exc:
            self.rest_label.setText(str(exc))
            return
        if rest.stable:
            self.rest_label.setText(format_mv(rest.v))
        else:
            self.rest_label.setText(
                self.tr(
                    "none stable: the cell fires spontaneously (steady state {v} unstable)"
                ).format(v=format_mv(rest.v))
            )

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().paintEvent(event)
        if getattr(self, "_rest_pending", None) is not None:
            QTimer.singleShot(0, self._show_pending_rest)  # after this paint

    def _show_pending_rest(self) -> None:
        if isValid(self) and self._rest_pending is not None:
            self._show_rest(self._rest_pending)

    # ---------------------------------------------------------------- live potentials
    def trial_values(self) -> tuple[dict[str, float], dict[str, str]]:
        """The values as typed (valid ones) and the errors of invalid ones, keyed by parameter."""
        values, errors = {}, {}
        for key, f in self.fields.items():
            if not f.isVisibleTo(self) and key.startswith("Ca_"):
                continue
            try:
                values[key] = f.value()
            except ValueError as exc:
                errors[key] = str(exc)
        return values, errors

    def set_hidden_readouts(self, names) -> None:
        """Hide read-outs a graded practical step asks for: ``"reversals"`` (the Nernst
        potentials) and ``"ghk"`` (the GHK estimate)."""
        self.hidden_readouts = frozenset(names)
        self._recompute()

    def _recompute(self, *_: object) -> None:
        hidden = self.hidden_readouts
        cell = self.rig.cell
        typed, errors = self.trial_values()
        conc = dict(cell.values)
        conc.update(typed)
        temp = conc["temperature"]
        trial = self._trial_cell(cell, typed)
        if trial is not None:
            conc = dict(trial.values)  # a released pin reconciles the other side first
        for ion, lab in self.nernst_labels.items():
            if f"{ion}_in" not in cell.values:
                lab.clear()
                continue
            keys = (f"{ion}_in", f"{ion}_out")
            if "reversals" in hidden:
                lab.setText(self.tr("E<sub>{ion}</sub> hidden in this step").format(ion=ion))
                lab.setToolTip(self.tr("This step of the practical asks you to work it out."))
                continue
            if any(k in errors for k in keys) or "temperature" in errors:
                lab.setText(self.tr("E<sub>{ion}</sub> \u2014 (fix the value)").format(ion=ion))
                continue
            unchanged = all(not self.fields[k].is_modified() for k in keys)
            if ion in ("Na", "K", "Cl") and cell.is_pinned(ion) and unchanged:
                lab.setText(
                    self.tr("E<sub>{ion}</sub> {v} (pinned, {src})").format(
                        ion=ion, v=format_mv(cell.reversal(ion)), src=pinned_source(cell.prep)
                    )
                )
                lab.setToolTip(
                    self.tr(
                        "The preparation fixes this reversal potential at the measured value; "
                        "the Nernst value for these solutions is {v}. Changing this ion's "
                        "concentrations releases the pin."
                    ).format(v=format_mv(nernst(ion, conc[keys[1]], conc[keys[0]], temp)))
                )
                continue
            try:
                e = nernst(ion, conc[keys[1]], conc[keys[0]], temp)
                if trial is not None and ion in ("Na", "K", "Cl"):
                    e = trial.reversal(ion)
            except ValueError as exc:
                lab.setText(str(exc))
                continue
            z = VALENCE[ion]
            lab.setText(self.tr("E<sub>{ion}</sub> {v}").format(ion=ion, v=format_mv(e)))
            lab.setToolTip(
                self.tr("Nernst potential: (RT/{z}F)\u00b7ln([out]/[in]) at {t:g} \u00b0C.").format(
                    z=z if z != 1 else "", t=temp
                )
            )
        if "ghk" in hidden:
            self.ghk_label.setText(self.tr("hidden in this step"))
        elif errors:
            self.ghk_label.setText(self.tr("\u2014 (fix the values marked in red)"))
        else:
            try:
                perm = (trial or cell).ghk_permeabilities()
                v = ghk_voltage(conc, perm, temp)
                self.ghk_label.setText(f"<b>{format_mv(v)}</b>")
            except (ValueError, KeyError) as exc:
                self.ghk_label.setText(str(exc))
        modified = any(f.is_modified() for f in self.fields.values() if f.isVisibleTo(self))
        self.apply_button.setEnabled(not errors)
        self.revert_button.setEnabled(modified or bool(errors))

    # ---------------------------------------------------------------- widgets -> rig
    def apply(self) -> bool:
        """Apply every changed, valid value to the rig; nothing is applied if any value is invalid.

        Returns True if the rig now holds the typed values.
        """
        typed, errors = self.trial_values()
        for key, msg in errors.items():
            self.fields[key].show_error(msg)
        if errors:
            self.status_label.setStyleSheet(ERROR_STYLE)
            self.status_label.setText(self.tr("Nothing applied: correct the values marked in red."))
            return False
        cell = self.rig.cell
        changes = {
            k: v
            for k, v in typed.items()
            if k in cell.values and not math.isclose(v, cell.values[k], rel_tol=1e-12, abs_tol=0.0)
        }
        # validate on a copy first so that a refused value leaves the rig untouched
        import copy

        trial = copy.deepcopy(cell)
        try:
            for k, v in changes.items():
                trial.set(k, v)
            trial.kernel_params()
        except ValueError as exc:
            bad = next((k for k in changes if k in str(exc)), None)
            if bad is not None:
                self.fields[bad].show_error(str(exc))
            self.status_label.setStyleSheet(ERROR_STYLE)
            self.status_label.setText(self.tr("Nothing applied: {msg}").format(msg=exc))
            return False
        try:  # one edit: one undo step, and the simulation sees all of it or none
            self.rig.set_parameters(changes)
        except ValueError as exc:  # should not happen after the trial above
            bad = next((k for k in changes if k in str(exc)), None)
            if bad is not None:
                self.fields[bad].show_error(str(exc))
            self.status_label.setStyleSheet(ERROR_STYLE)
            self.status_label.setText(str(exc))
            return False
        self.refresh()
        if changes:
            self.status_label.setStyleSheet("")
            self.status_label.setText(self.tr("Applied."))
        self.applied.emit()
        return True

    def _on_gcl_toggled(self, on: bool) -> None:
        cell = self.rig.cell
        value = cell.prep.gcl_switch if on else 0.0
        try:
            self.rig.set_parameter("gCl", value)
            self.gcl_error.hide()
        except ValueError as exc:
            self.gcl_error.setText(str(exc))
            self.gcl_error.show()
            blocker = self.gcl_check.blockSignals(True)
            self.gcl_check.setChecked(not on)
            self.gcl_check.blockSignals(blocker)
