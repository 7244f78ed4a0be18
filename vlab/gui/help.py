"""Offline help: F1 on a panel opens a short Markdown page in a dialog.

Pages live in ``resources/help/<topic>.md`` and are found only through
:func:`vlab.resources.resource_path`. A translated page ``<topic>.<lang>.md``
(e.g. ``perfusion.de.md``) is preferred when the UI language matches.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from vlab.resources import resource_path

log = logging.getLogger(__name__)

__all__ = [
    "TOPICS",
    "HelpDialog",
    "help_html",
    "help_markdown",
    "install_help_shortcut",
    "show_help",
]

#: help topic -> window title (topics are the panel names used with F1)
TOPICS: dict[str, str] = {
    "getting_started": "Getting started",
    "amplifier": "Amplifier",
    "stimulator": "Stimulator and protocols",
    "scope": "Oscilloscope",
    "perfusion": "Perfusion",
    "solutions": "Solutions",
    "preparation": "Preparation",
    "membrane_view": "Inside the membrane",
    "analysis": "Analysis windows",
}

_SHORTCUT_NAME = "vlab_help_shortcut"
_ALIASES = {"membrane": "membrane_view", "membrane-view": "membrane_view", "protocol": "stimulator"}

_CSS = """
body { font-size: 11pt; }
h1 { font-size: 15pt; }
h2 { font-size: 12.5pt; margin-top: 10px; }
code { background: #eeeeee; }
"""


def _topic(topic: str) -> str:
    t = topic.strip().lower().replace(" ", "_")
    return _ALIASES.get(t, t)


def help_markdown(topic: str, language: str | None = None) -> str:
    """Markdown text of a help page; raises ``KeyError`` for an unknown topic."""
    t = _topic(topic)
    if t not in TOPICS:
        raise KeyError(f"no help page for {topic!r}; topics: {', '.join(TOPICS)}")
    lang = language if language is not None else QLocale().name().split("_")[0]
    candidates = []
    if lang and lang != "en":
        candidates.append(resource_path("help", f"{t}.{lang}.md"))
    candidates.append(resource_path("help", f"{t}.md"))
    for path in candidates:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            continue
    raise KeyError(f"the help page for {topic!r} is missing from this installation")


def help_html(topic: str, language: str | None = None) -> str:
    """A help page rendered to HTML with the ``markdown`` package."""
    import markdown

    body = markdown.markdown(help_markdown(topic, language), extensions=["tables", "sane_lists"])
    return f"<html><head><style>{_CSS}</style></head><body>{body}</body></html>"


class HelpDialog(QDialog):
    """A non-modal window showing one help page; links to other pages (``topic.md``) work."""

    def __init__(self, topic: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._on_link)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
        self.resize(560, 600)
        self.set_topic(topic)

    def set_topic(self, topic: str) -> None:
        t = _topic(topic)
        self.topic = t
        try:
            html = help_html(t)
        except KeyError as exc:
            html = f"<p>{self.tr('Help is not available:')} {exc.args[0]}</p>"
        self.browser.setHtml(html)
        title = TOPICS.get(t, topic)
        self.setWindowTitle(self.tr("vlab help \u2014 {title}").format(title=self.tr(title)))

    def _on_link(self, url) -> None:
        target = url.toString()
        if target.endswith(".md") and "/" not in target:
            self.set_topic(target[:-3])
        elif url.scheme() in ("http", "https"):
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(url)

    def text(self) -> str:
        """The page as plain text (for tests)."""
        return self.browser.toPlainText()


def show_help(topic: str, parent: QWidget | None = None) -> HelpDialog:
    """Open (and return) the help window for ``topic`` (e.g. ``"perfusion"``).

    A help window already open on that page is raised instead of a second one: pressing F1
    again must not stack windows (each holds its page and a window-sized image of itself).
    """
    shown = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, HelpDialog) and w.isVisible() and w.topic == _topic(topic)
    ]
    dlg = shown[0] if shown else HelpDialog(topic, parent)
    dlg.show()
    dlg.raise_()
    dlg.activateWindow()
    return dlg


def install_help_shortcut(widget: QWidget, topic: str) -> QShortcut:
    """Make F1 inside ``widget`` (or any child with focus) open the help page ``topic``.

    Help shortcuts installed earlier on ``widget`` or its children are removed first:
    two F1 shortcuts in scope at once would be ambiguous and neither would fire.
    """
    for old in widget.findChildren(QShortcut):
        if old.objectName() == _SHORTCUT_NAME:
            old.setEnabled(False)
            old.setParent(None)
            old.deleteLater()
    sc = QShortcut(QKeySequence(Qt.Key.Key_F1), widget)
    sc.setObjectName(_SHORTCUT_NAME)
    sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    sc.activated.connect(lambda: show_help(topic, widget))
    widget.setProperty("help_topic", topic)
    return sc
