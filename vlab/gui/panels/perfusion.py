"""Perfusion panel: apply and wash drugs, watch them reach the membrane.

One row per drug in ``resources/drugs`` (TTX, TEA, pronase, lidocaine, 4-AP...):
a concentration field in the drug's display unit, *Apply* and *Wash* buttons,
the concentration at the membrane now (it follows the bath-exchange time course)
and a bar with the fraction of the target conductance blocked. Pronase is shown
as irreversible (the bar is the fraction of Na+ channels without inactivation);
lidocaine as use-dependent (the bar is the block of resting channels, which
grows with activity).

The main window calls :meth:`PerfusionPanel.refresh` a few times a second while
the simulation runs (the bath advances with simulated time); rig events
("drug", "history", "preparation") refresh it too.
"""

from __future__ import annotations

import logging
import math

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from vlab.gui.panels.solutions import QuantityField, pretty_unit
from vlab.gui.rig_events import RigEvents
from vlab.sim.drugs import Drug, load_drugs
from vlab.units import parse_quantity

log = logging.getLogger(__name__)

__all__ = ["DrugRow", "PerfusionPanel"]


def _display(drug: Drug, c: float) -> str:
    factor = parse_quantity(f"1 {drug.display_unit}", drug.dimension).value
    return f"{c / factor:.3g} {pretty_unit(drug.display_unit)}"


class DrugRow:
    """The widgets of one drug (plain holder; they live in the panel's grid)."""

    def __init__(self, panel: PerfusionPanel, drug: Drug, parent: QWidget) -> None:
        self.drug = drug
        self.title = QLabel(f"<b>{drug.title}</b>", parent)
        tags = {
            "block": {
                "Na": QCoreApplication.translate("PerfusionPanel", "blocks Na\u207a conductance"),
                "K": QCoreApplication.translate("PerfusionPanel", "blocks K\u207a conductance"),
                "M": QCoreApplication.translate(
                    "PerfusionPanel", "blocks M-type K\u207a conductance"
                ),
            }.get(drug.target, drug.target),
            "use-dependent": QCoreApplication.translate(
                "PerfusionPanel", "use-dependent Na\u207a block"
            ),
            "remove-inactivation": QCoreApplication.translate(
                "PerfusionPanel", "irreversible: removes Na\u207a inactivation"
            ),
        }
        self.base_tag = tags.get(drug.mechanism, drug.mechanism)
        self.tag = QLabel(self.base_tag, parent)
        self.tag.setStyleSheet("color: #555;")
        self.field = QuantityField(
            drug.name,
            drug.dimension,
            drug.display_unit,
            0.0,
            drug.maximum,
            lo_inclusive=False,
            parent=parent,
        )
        self.field.set_value(drug.default)
        self.apply_button = QPushButton(
            QCoreApplication.translate("PerfusionPanel", "Apply"), parent
        )
        self.wash_button = QPushButton(QCoreApplication.translate("PerfusionPanel", "Wash"), parent)
        self.state = QLabel(parent)
        self.state.setMinimumWidth(150)
        self.bar = QProgressBar(parent)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(120)
        tip = drug.summary
        if drug.sources:
            tip += "\n\n" + QCoreApplication.translate("PerfusionPanel", "Source: {src}").format(
                src=drug.sources[0]
            )
        for w in (self.title, self.tag, self.state, self.bar):
            w.setToolTip(tip)
        self.field.setToolTip(
            QCoreApplication.translate(
                "PerfusionPanel",
                "{name} concentration in the perfusate, in {unit} (above 0, at most {max}).",
            ).format(
                name=drug.title,
                unit=pretty_unit(drug.display_unit),
                max=_display(drug, drug.maximum),
            )
        )
        self.apply_button.setToolTip(
            QCoreApplication.translate(
                "PerfusionPanel", "Start perfusing {name} at the typed concentration."
            ).format(name=drug.title)
        )
        if drug.mechanism == "remove-inactivation":
            self.wash_button.setToolTip(
                QCoreApplication.translate(
                    "PerfusionPanel",
                    "Stop perfusing {name}; channels already cut stay without inactivation.",
                ).format(name=drug.title)
            )
        else:
            self.wash_button.setToolTip(
                QCoreApplication.translate(
                    "PerfusionPanel", "Replace the perfusate with drug-free solution."
                ).format(name=drug.title)
            )
        self.apply_button.clicked.connect(lambda: panel.apply(drug.name))
        self.wash_button.clicked.connect(lambda: panel.wash(drug.name))
        self.field.committed.connect(lambda: panel.apply(drug.name))


class PerfusionPanel(QWidget):
    """Drug application and wash-out with the live state of each drug.

    Parameters
    ----------
    rig : vlab.rig.rig.Rig

    Signals
    -------
    changed(str)
        A drug was applied or washed (its name).
    """

    changed = Signal(str)
    comparison_requested = Signal(str)  # "control", "drug" or "show"

    def __init__(self, rig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rig = rig
        self.setObjectName("PerfusionPanel")
        self.rows: dict[str, DrugRow] = {}
        self._live_block: dict[str, float] = {}
        self._blocks_since_refresh = 0
        self._live_fresh = False  # blocks arrived between the last two refreshes
        outer = QVBoxLayout(self)
        box = QGroupBox(self.tr("Perfusion"), self)
        outer.addWidget(box)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        order = {"TTX": 0, "TEA": 1, "pronase": 2, "lidocaine": 3, "4-AP": 4}
        drugs = sorted(load_drugs().values(), key=lambda d: (order.get(d.name, 99), d.name))
        r = 0
        for drug in drugs:
            row = DrugRow(self, drug, box)
            self.rows[drug.name] = row
            grid.addWidget(row.title, r, 0)
            grid.addWidget(row.tag, r, 1, 1, 3)
            grid.addWidget(row.field, r + 1, 0)
            grid.addWidget(row.apply_button, r + 1, 1)
            grid.addWidget(row.wash_button, r + 1, 2)
            grid.addWidget(row.state, r + 2, 0)
            grid.addWidget(row.bar, r + 2, 1, 1, 3)
            grid.addWidget(row.field.error_label, r + 3, 0, 1, 4)
            grid.setRowMinimumHeight(r + 4, 2)
            r += 5
        grid.setColumnStretch(3, 1)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        outer.addWidget(self.status_label)
        cmp_box = QGroupBox(self.tr("Drug-sensitive current"), self)
        cmp_lay = QHBoxLayout(cmp_box)
        cmp_lay.setContentsMargins(4, 2, 4, 2)
        self.record_control_button = QPushButton(self.tr("Control"), cmp_box)
        self.record_control_button.setToolTip(
            self.tr("1. Record the voltage-step family now and pin it as the control.")
        )
        self.record_drug_button = QPushButton(self.tr("With drug"), cmp_box)
        self.record_drug_button.setToolTip(
            self.tr("2. After applying a drug: record the same family and set it as the drug run.")
        )
        self.show_difference_button = QPushButton(self.tr("Difference"), cmp_box)
        self.show_difference_button.setToolTip(
            self.tr(
                "Open the analysis on control, drug and control − drug (the current the drug blocks)."
            )
        )
        for button, what in (
            (self.record_control_button, "control"),
            (self.record_drug_button, "drug"),
            (self.show_difference_button, "show"),
        ):
            button.clicked.connect(lambda _c=False, what=what: self.comparison_requested.emit(what))
            cmp_lay.addWidget(button)
        outer.addWidget(cmp_box)
        outer.addStretch(1)
        try:
            from vlab.gui.help import install_help_shortcut

            install_help_shortcut(self, "perfusion")
        except Exception:
            log.exception("cannot install F1 help for the perfusion panel")
        RigEvents.of(rig).changed.connect(self._on_rig_event)  # in the GUI thread
        self.refresh()

    # ---------------------------------------------------------------- actions
    def apply(self, name: str) -> bool:
        """Apply the typed concentration of ``name``; False (error shown) if refused."""
        row = self.rows[name]
        try:
            c = row.field.value()
            self.rig.apply_drug(name, c)
        except ValueError as exc:
            row.field.show_error(str(exc))
            return False
        row.field.show_error("")
        self.status_label.setText(
            self.tr(
                "{name} {conc} in the perfusate; it reaches the cell over the next seconds."
            ).format(name=row.drug.title, conc=_display(row.drug, c))
        )
        self.refresh()
        self.changed.emit(name)
        return True

    def wash(self, name: str) -> None:
        row = self.rows[name]
        try:
            self.rig.wash_drug(name)
        except ValueError as exc:
            row.field.show_error(str(exc))
            return
        row.field.show_error("")
        if row.drug.mechanism == "remove-inactivation":
            msg = self.tr("{name} washed out; the inactivation it removed does not come back.")
        else:
            msg = self.tr("Washing out {name}.")
        self.status_label.setText(msg.format(name=row.drug.title))
        self.refresh()
        self.changed.emit(name)

    # ---------------------------------------------------------------- state
    def _on_rig_event(self, kind: str, detail: object) -> None:
        if isValid(self) and kind in ("drug", "history", "preparation", "locks"):
            self.refresh()

    def update_block(self, block) -> None:
        """Take the live fraction blocked from a simulator Block (``block.blocked``).

        Used only for use-dependent drugs (their block changes spike by spike) and only
        while blocks keep coming (one since the refresh before last): with the
        simulation idle (episodic, paused) the bar follows the drug at the cell, never a
        number from an old block.
        """
        blocked = getattr(block, "blocked", None)
        if isinstance(blocked, dict):
            self._live_block = {str(k): float(v) for k, v in blocked.items()}
            self._blocks_since_refresh += 1

    def fraction(self, name: str) -> float:
        """The fraction shown for ``name`` now (0..1)."""
        drug = self.rows[name].drug
        if drug.mechanism == "remove-inactivation":
            return float(self.rig.bath.pronase_removed)
        live = self._live_block.get(name)
        if (
            drug.mechanism == "use-dependent"
            and (self._live_fresh or self._blocks_since_refresh > 0)
            and live is not None
            and math.isfinite(live)
            and drug.name in self.rig.bath.concentrations()
        ):
            return live
        bound = self.rig.bath.occupancy().get(drug.name)
        if bound:
            return max(bound.values())
        c = self.rig.bath.concentrations().get(name, 0.0)
        side = self.rig.bath.sides().get(drug.name)
        return drug.fraction_blocked(c, self.rig.cell.prep.name, side)

    def refresh(self) -> None:
        """Show the bath's present state (call a few times a second while running)."""
        self._live_fresh = self._blocks_since_refresh > 0  # no block since: the bath rules
        self._blocks_since_refresh = 0
        bath = self.rig.bath
        now = bath.concentrations()
        applied = bath.applied()
        hidden = "drug_names" in getattr(self.rig, "locked", ())
        locked = "drugs" in getattr(self.rig, "locked", ())
        for name, row in self.rows.items():
            row.wash_button.setEnabled(not locked)
            if hidden:  # a mystery practical: the bath must not give the answer away
                row.bar.setValue(0)
                row.bar.setFormat(self.tr("hidden in this practical"))
                row.state.setText(self.tr("hidden"))
                row.wash_button.setEnabled(False)
                continue
            drug = row.drug
            prep = self.rig.cell.prep.name
            side = bath.sides().get(drug.name) or drug.default_side(prep)
            if not drug.actions_on(prep, side):
                row.tag.setText(
                    self.tr("{tag}; no action on this preparation").format(tag=row.base_tag)
                )
            elif side == "inside" and drug.mechanism == "block":
                ion = {"Na": "Na\u207a", "K": "K\u207a", "M": "M-type K\u207a"}[drug.target]
                row.tag.setText(self.tr("blocks {ion} from inside (perfusion)").format(ion=ion))
            else:
                row.tag.setText(row.base_tag)
            c_now = now.get(name, 0.0)
            c_app = applied.get(name, 0.0)
            f = self.fraction(name)
            row.bar.setValue(round(1000 * min(max(f, 0.0), 1.0)))
            if drug.mechanism == "remove-inactivation":
                row.bar.setFormat(self.tr("%p% without inactivation"))
            elif drug.mechanism == "use-dependent":
                row.bar.setFormat(self.tr("%p% of Na⁺ channels blocked now"))
            else:
                row.bar.setFormat(self.tr("%p% blocked"))
            if c_app > 0:
                if math.isclose(c_now, c_app, rel_tol=1e-3):
                    txt = self.tr("at cell: {now} (steady)")
                else:
                    txt = self.tr("at cell: {now} \u2192 {app}")
            elif c_now > 0:
                txt = self.tr("washing out: {now}")
            else:
                txt = self.tr("not applied")
            row.state.setText(txt.format(now=_display(drug, c_now), app=_display(drug, c_app)))
            row.wash_button.setEnabled((c_app > 0 or c_now > 0) and not locked)
