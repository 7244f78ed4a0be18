"""Translations: load ``resources/i18n/vlab_<locale>.qm`` into the application.

English is the source language and needs no file. Adding a language needs no code
change: generate ``vlab_<locale>.ts`` with ``pyside6-lupdate``, translate it in Qt
Linguist, compile it to ``vlab_<locale>.qm`` with ``pyside6-lrelease`` and put it in
``resources/i18n`` (see ``docs/translating.md``).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from vlab.resources import resource_path

log = logging.getLogger(__name__)

__all__ = ["available_languages", "install_translator", "translation_file"]


def _candidates(locale: str) -> list[str]:
    name = locale.replace("-", "_")
    out = [name]
    if "_" in name:
        out.append(name.split("_")[0])
    return out


def translation_file(locale: str):
    """The ``.qm`` file for ``locale`` (``'de_DE'`` falls back to ``'de'``), or None."""
    for name in _candidates(locale):
        path = resource_path("i18n", f"vlab_{name}.qm")
        if path.is_file():
            return path
    return None


def available_languages() -> list[str]:
    """Locales with a compiled translation (English, the source language, always)."""
    langs = ["en"]
    folder = resource_path("i18n")
    if folder.is_dir():
        langs += sorted(p.stem[len("vlab_") :] for p in folder.glob("vlab_*.qm"))
    return langs


def install_translator(app: QCoreApplication, locale: str | None = None) -> QTranslator | None:
    """Install vlab's translation for ``locale`` (default: the system locale).

    Returns the installed translator (keep it alive; it is also parented to ``app``),
    or None when the language is English or no translation ships for it. Qt's own
    translations (standard dialog buttons) are loaded too when available.
    """
    name = locale or QLocale.system().name()
    if not name or name.split("_")[0] in ("en", "C"):
        return None
    path = translation_file(name)
    if path is None:
        log.info("no vlab translation for %s; using English", name)
        return None
    translator = QTranslator(app)
    if not translator.load(str(path)):
        log.warning("cannot load translation file %s", path)
        return None
    app.installTranslator(translator)
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(QLocale(name), "qtbase", "_", qt_dir):
        app.installTranslator(qt)
    QLocale.setDefault(QLocale(name))
    return translator
