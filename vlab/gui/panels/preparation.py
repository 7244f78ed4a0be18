"""Preparation chooser: which membrane sits on the rig, what it is and where its numbers come from."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from vlab.gui.panels.solutions import ERROR_STYLE
from vlab.gui.rig_events import RigEvents
from vlab.sim.preparation import list_preparations, load_preparation

log = logging.getLogger(__name__)

__all__ = ["PreparationPanel", "preparation_html"]


def preparation_html(prep) -> str:
    """Title, description, key facts and sources of a preparation as HTML."""
    desc = " ".join(prep.description.split())
    facts = [
        f"{prep.temperature:g} \u00b0C",
        f"C<sub>m</sub> {prep.cm * 100:g} \u00b5F/cm\u00b2",
        f"area {prep.area * 1e4:g} cm\u00b2",
    ]
    g = ", ".join(f"{k} {v / 10:g}" for k, v in prep.conductances.items() if v > 0)
    if g:
        facts.append(f"{g} mS/cm\u00b2")
    sep = " \u00b7 "
    src = "".join(f"<li>{html.escape(s)}</li>" for s in prep.sources)
    return (
        f"<h3>{html.escape(prep.title)}</h3><p>{html.escape(desc)}</p>"
        f"<p style='color:#555'>{sep.join(facts)}</p>"
        f"<p><b>Sources</b></p><ul>{src}</ul>"
    )


class PreparationPanel(QWidget):
    """Choose the preparation (squid axon, mammalian neuron...) and read about it.

    Choosing only previews; *Use this preparation* replaces the cell on the rig
    (undoable), resetting solutions and conductances to that preparation's values.

    Signals
    -------
    preparation_changed(str)
        The rig now holds this preparation.
    """

    preparation_changed = Signal(str)

    def __init__(self, rig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rig = rig
        self.setObjectName("PreparationPanel")
        outer = QVBoxLayout(self)
        box = QGroupBox(self.tr("Preparation"), self)
        outer.addWidget(box)
        lay = QVBoxLayout(box)
        top = QHBoxLayout()
        self.combo = QComboBox(box)
        self.combo.setToolTip(self.tr("The cell type on the rig; pick one to read about it."))
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(12)
        self._names = list(list_preparations())
        for name in self._names:
            try:
                title = load_preparation(name).title
            except ValueError as exc:
                log.warning("preparation %s cannot be loaded: %s", name, exc)
                title = name
            self.combo.addItem(title, name)
        self.use_button = QPushButton(self.tr("Use this preparation"), box)
        self.use_button.setToolTip(
            self.tr(
                "Put this preparation on the rig; its own solutions and conductances replace the present ones (Ctrl+Z undoes)."
            )
        )
        top.addWidget(self.combo, 1)
        top.addWidget(self.use_button)
        lay.addLayout(top)
        self.current_label = QLabel(box)
        self.current_label.setWordWrap(True)
        lay.addWidget(self.current_label)
        self.browser = QTextBrowser(box)
        self.browser.setOpenExternalLinks(True)
        self.browser.setMinimumHeight(160)
        lay.addWidget(self.browser, 1)
        self.error_label = QLabel(box)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        lay.addWidget(self.error_label)
        self.combo.currentIndexChanged.connect(self._preview)
        self.use_button.clicked.connect(self.use_selected)
        try:
            from vlab.gui.help import install_help_shortcut

            install_help_shortcut(self, "preparation")
        except Exception:
            log.exception("cannot install F1 help for the preparation panel")
        RigEvents.of(rig).changed.connect(self._on_rig_event)  # in the GUI thread
        self.refresh()

    def selected(self) -> str:
        return self.combo.currentData()

    def select(self, name: str) -> None:
        """Preview ``name`` in the chooser (does not change the rig)."""
        i = self.combo.findData(name)
        if i >= 0:
            self.combo.setCurrentIndex(i)

    def _preview(self, *_: object) -> None:
        name = self.selected()
        if name is None:
            return
        try:
            prep = load_preparation(name)
        except ValueError as exc:
            self.browser.clear()
            self.error_label.setText(str(exc))
            self.error_label.show()
            self.use_button.setEnabled(False)
            return
        self.error_label.hide()
        self.browser.setHtml(preparation_html(prep))
        self.use_button.setEnabled(name != self.rig.cell.prep.name)

    def use_selected(self) -> bool:
        name = self.selected()
        try:
            self.rig.set_preparation(name)
        except ValueError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return False
        self.refresh()
        self.preparation_changed.emit(name)
        return True

    def _on_rig_event(self, kind: str, detail: object) -> None:
        if isValid(self) and kind in ("preparation", "history"):
            self.refresh()

    def refresh(self) -> None:
        prep = self.rig.cell.prep
        self.current_label.setText(
            self.tr("On the rig: <b>{title}</b>").format(title=html.escape(prep.title))
        )
        i = self.combo.findData(prep.name)
        blocker = self.combo.blockSignals(True)
        if i >= 0:
            self.combo.setCurrentIndex(i)
        self.combo.blockSignals(blocker)
        self._preview()
