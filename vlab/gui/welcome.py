"""The welcome shown at a student's first start: a guided practical, or free play.

Shown by ``vlab.gui.app`` after the rig window opens, until the student ticks
*Don't show this again* (``show_welcome`` in the settings file). Help → *Welcome…* opens it
again, and Help → *Getting started* has the same first steps in more detail.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["WelcomeDialog", "should_welcome"]

SETTING = "show_welcome"


def should_welcome(settings) -> bool:
    """True unless the user asked not to see the welcome again."""
    return bool(settings.get(SETTING, True))


class WelcomeDialog(QDialog):
    """Two ways in: *Start a guided practical* (the Practical tab) or *Free play*.

    Signals
    -------
    chosen(str)
        ``"practical"``, ``"free"`` or ``"help"`` (the Getting started page).
    """

    chosen = Signal(str)

    def __init__(self, settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Welcome to vlab"))
        self.setObjectName("welcome_dialog")
        heading = QLabel(self.tr("<h2>Welcome to the virtual electrophysiology rig</h2>"))
        intro = QLabel(
            self.tr(
                "A cell sits under the amplifier; the stimulator plays protocols and the scope "
                "shows its membrane potential (Vm) and current (Im). Nothing you do here can "
                "harm it, and <b>Ctrl+Z</b> undoes any change."
            )
        )
        intro.setWordWrap(True)
        self.practical_button = QPushButton(self.tr("Start a guided practical"))
        self.practical_button.setToolTip(
            self.tr("Step-by-step experiments that check your answers (the Practical tab).")
        )
        self.free_button = QPushButton(self.tr("Free play"))
        self.free_button.setToolTip(
            self.tr("Explore on your own: press Space to stimulate, F5 to run a protocol.")
        )
        self.help_button = QPushButton(self.tr("Getting started…"))
        self.help_button.setToolTip(self.tr("A five-minute tour of the rig (Help menu)."))
        for b in (self.practical_button, self.free_button):
            b.setMinimumHeight(2 * b.sizeHint().height())
        hints = QLabel(
            self.tr(
                "Free play: press <b>Space</b> to give a pulse, turn the <b>CC holding</b> "
                "knob on the amplifier, choose a protocol and press <b>F5</b>. "
                "<b>F1</b> on any panel explains it."
            )
        )
        hints.setWordWrap(True)
        self.dont_show = QCheckBox(self.tr("Don't show this again"))
        self.dont_show.setChecked(not should_welcome(settings))

        row = QHBoxLayout()
        row.addWidget(self.practical_button)
        row.addWidget(self.free_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.dont_show)
        bottom.addStretch(1)
        bottom.addWidget(self.help_button)
        lay = QVBoxLayout(self)
        lay.addWidget(heading)
        lay.addWidget(intro)
        lay.addLayout(row)
        lay.addWidget(hints)
        lay.addLayout(bottom)
        self.setMinimumWidth(min(560, max(360, self.sizeHint().width())))

        self.practical_button.clicked.connect(lambda: self._choose("practical"))
        self.free_button.clicked.connect(lambda: self._choose("free"))
        self.help_button.clicked.connect(lambda: self._choose("help"))
        self.free_button.setDefault(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

    def _choose(self, what: str) -> None:
        self.chosen.emit(what)
        self.accept()

    def done(self, result: int) -> None:
        """Remember the *Don't show this again* box however the dialog closes."""
        self.settings.set(SETTING, not self.dont_show.isChecked())
        self.settings.save()
        super().done(result)
