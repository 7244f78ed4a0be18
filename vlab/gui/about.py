"""The About box: version, licence, and the licences of the libraries in the bundle.

The texts come from ``resources/licenses/`` (written by ``packaging/collect_licenses.py``)
through :func:`vlab.resources.resource_path`, so the dialog shows the same files in a
checkout, an installed wheel and the desktop bundle, without any network access.
"""

from __future__ import annotations

import html
import platform

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QIcon, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from vlab import __version__
from vlab.resources import resource_path

__all__ = ["AboutDialog", "qt_notice_html"]

COPYRIGHT = "Copyright © vlab developers"


def qt_notice_html() -> str:
    """The short Qt/PySide6 LGPL notice shown on the first tab."""
    qt = qVersion()
    return (
        f"vlab uses <b>Qt {html.escape(qt)}</b> and <b>Qt for Python (PySide6 "
        f"{html.escape(PYSIDE_VERSION)})</b> under the <b>GNU Lesser General Public License "
        "version 3 (LGPL-3.0)</b>. Qt's libraries are separate shared libraries in the "
        "application folder: you may replace them with your own compatible builds. Their "
        "source code is available from <a href='https://download.qt.io/official_releases/'>"
        "download.qt.io</a>, and from the vlab developers on request; see "
        "<i>Third-party licences</i>."
    )


def _read(*parts: str) -> str | None:
    try:
        return resource_path(*parts).read_text(encoding="utf-8")
    except OSError:
        return None


class _LicenceBrowser(QTextBrowser):
    """A text browser showing linked licence files (``.txt``, ``LICENSE``) as plain text.

    Qt would parse them as HTML and run the lines together.
    """

    def doSetSource(  # noqa: N802 - Qt API
        self,
        name: QUrl | str,
        type: QTextDocument.ResourceType = QTextDocument.ResourceType.UnknownResource,  # noqa: A002
    ) -> None:
        name = QUrl(name) if isinstance(name, str) else name
        url = self.source().resolved(name) if name.isRelative() else name
        if url.isLocalFile() and not url.toLocalFile().endswith((".md", ".html", ".htm")):
            try:
                with open(url.toLocalFile(), encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError as exc:
                text = str(exc)
            super().doSetSource(name, QTextDocument.ResourceType.MarkdownResource)  # keeps history
            self.setPlainText(text)
            return
        super().doSetSource(name, type)


class AboutDialog(QDialog):
    """``AboutDialog(parent).exec()`` — tabs: About, Licence, Third-party licences."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About vlab"))
        self.resize(720, 560)

        icon_file = resource_path("icons", "vlab.svg")
        header = QHBoxLayout()
        if icon_file.is_file():
            logo = QLabel()
            logo.setPixmap(QIcon(str(icon_file)).pixmap(72, 72))
            header.addWidget(logo)
        title = QLabel(
            f"<h2 style='margin:0'>vlab {html.escape(__version__)}</h2>"
            "<p style='margin:2px 0'>A virtual electrophysiology lab: current and voltage clamp "
            "on simulated excitable membranes.</p>"
            f"<p style='margin:2px 0'>{COPYRIGHT}. Free software under the MIT licence.</p>"
        )
        title.setObjectName("aboutTitle")
        title.setWordWrap(True)
        header.addWidget(title, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._about_tab(), self.tr("About"))
        self.tabs.addTab(self._licence_tab(), self.tr("Licence"))
        self.tabs.addTab(self._third_party_tab(), self.tr("Third-party licences"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        about_qt = QPushButton(self.tr("About Qt"))
        buttons.addButton(about_qt, QDialogButtonBox.ButtonRole.HelpRole)
        about_qt.clicked.connect(lambda: QMessageBox.aboutQt(self, self.tr("About Qt")))
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    # -- tabs -------------------------------------------------------------------------
    def _about_tab(self) -> QWidget:
        versions = (
            f"vlab {__version__} · Python {platform.python_version()} · Qt {qVersion()} · "
            f"PySide6 {PYSIDE_VERSION}"
        )
        label = QLabel(
            f"<p>{html.escape(versions)}</p>"
            "<p>vlab needs no network connection: the help, practicals, preparations and "
            "protocols are part of the application.</p>"
            f"<p>{qt_notice_html()}</p>"
        )
        label.setObjectName("aboutText")
        label.setWordWrap(True)
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(label)
        lay.addStretch(1)
        return w

    def _licence_tab(self) -> QWidget:
        text = _read("licenses", "LICENSE") or self.tr(
            "The licence file is missing: vlab is MIT licensed."
        )
        view = QPlainTextEdit(text)
        view.setObjectName("licenceText")
        view.setReadOnly(True)
        return view

    def _third_party_tab(self) -> QWidget:
        view = _LicenceBrowser()
        view.setObjectName("thirdPartyText")
        view.setOpenExternalLinks(True)  # http(s) links go to the system browser
        view.setOpenLinks(True)  # relative links (licence texts) open in place
        md = resource_path("licenses", "THIRD_PARTY_LICENSES.md")
        if md.is_file():
            view.setSource(QUrl.fromLocalFile(str(md)))
        else:
            view.setPlainText(
                self.tr(
                    "THIRD_PARTY_LICENSES.md is missing (run packaging/collect_licenses.py).\n\n"
                    "Qt and PySide6 are used under the GNU LGPL version 3."
                )
            )
        back = QPushButton(self.tr("Back"))
        back.setEnabled(False)
        view.backwardAvailable.connect(back.setEnabled)
        back.clicked.connect(view.backward)
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(view, 1)
        row = QHBoxLayout()
        row.addWidget(back)
        row.addStretch(1)
        lay.addLayout(row)
        return w


if __name__ == "__main__":  # pragma: no cover - manual look
    app = QApplication.instance() or QApplication([])
    AboutDialog().exec()
