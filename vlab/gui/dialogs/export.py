"""File dialogs for scope images and experiment files, and the one error dialog.

Sweeps are exported with :class:`vlab.gui.dialogs.export_sweeps.ExportSweepsDialog`;
experiment files are read and written off the GUI thread by
:class:`vlab.gui.file_job.FileJob`, which these choosers feed. The writing itself lives
in :mod:`vlab.recording` (atomic, with plain-language errors); :func:`show_error` says
what failed and what to do, and the data in memory are never touched, so nothing is
lost when a write fails.

Every dialog function returns the path written (or chosen), or ``None`` if the student
cancelled or the operation failed (after telling them why). Passing ``path=`` skips the
file dialog (used by tests).
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from vlab.recording import (
    SESSION_EXTENSION,
    ExportError,
    SessionError,
)

log = logging.getLogger(__name__)

__all__ = [
    "IMAGE_FORMATS",
    "choose_experiment_file",
    "choose_experiment_save_file",
    "export_plot",
    "export_plot_dialog",
    "file_filter",
    "show_error",
]

#: image formats for the scope: key -> (extension, description)
IMAGE_FORMATS = {"png": (".png", "PNG image"), "svg": (".svg", "SVG vector drawing")}


def _t(text: str) -> str:
    return QCoreApplication.translate("ExportDialogs", text)


def file_filter(ext: str, description: str) -> str:
    """``'CSV (*.csv)'``-style filter for a file dialog."""
    return f"{description} (*{ext})"


def _with_ext(path: str, ext: str) -> Path:
    p = Path(path)
    if p.suffix.lower() != ext.lower():
        p = p.with_name(p.name + ext) if not p.suffix else p.with_suffix(ext)
    return p


def _advice(exc: BaseException) -> str:
    """What the student can do about an OS-level failure."""
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC:
        return _t("The disk is full. Free some space or choose another drive, then try again.")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _t("vlab may not write there. Choose a folder you own (for example your Documents).")
    if code == errno.ENOENT:
        return _t("The folder does not exist any more. Choose another folder.")
    return _t("Choose another file name or folder and try again.")


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> None:
    """Message box for a failed file operation; says what happened and what to do."""
    if isinstance(exc, OSError) and not isinstance(exc, (ExportError, SessionError)):
        what = exc.strerror or str(exc)
        if exc.filename:
            what = f"{exc.filename}: {what}"
        text = f"{what}\n\n{_advice(exc)}"
    else:
        text = str(exc)
        cause = exc.__cause__
        if isinstance(cause, OSError) and getattr(cause, "errno", None):
            text += "\n\n" + _advice(cause)
    text += "\n\n" + _t("Your recordings are still in vlab; nothing was lost.")
    log.warning("%s: %s", title, exc)
    QMessageBox.critical(parent, title, text)


# ---------------------------------------------------------------------------- plots
def export_plot(
    plot_item, path: str | os.PathLike[str], fmt: str | None = None, width: int | None = None
) -> Path:
    """Write a pyqtgraph plot (PlotItem, GraphicsScene item or PlotWidget) to PNG or SVG.

    Raises ``OSError``/``ValueError`` on failure (the dialog wrapper shows them).
    """
    import pyqtgraph.exporters as pgex

    target = Path(path)
    key = (fmt or target.suffix.lstrip(".")).lower()
    if key not in IMAGE_FORMATS:
        raise ValueError(
            f"vlab can save plots as PNG or SVG, not {key or 'a file without extension'!r}"
        )
    item = plot_item.getPlotItem() if hasattr(plot_item, "getPlotItem") else plot_item
    if key == "png":
        exporter = pgex.ImageExporter(item)
        if width:
            exporter.parameters()["width"] = int(width)
    else:
        exporter = pgex.SVGExporter(item)
    if not target.parent.exists():
        raise FileNotFoundError(errno.ENOENT, "folder does not exist", str(target.parent))
    tmp = target.with_name(f".{target.stem}.part{target.suffix}")  # suffix picks the format
    try:
        result = exporter.export(str(tmp))
        if result is False or not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError(errno.EIO, "the image could not be written", str(target))
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def export_plot_dialog(
    parent: QWidget | None,
    plot_item,
    fmt: str | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    directory: str | os.PathLike[str] = "",
) -> Path | None:
    """Ask for a file and save ``plot_item`` (e.g. the scope) as PNG or SVG."""
    keys = [fmt.lower()] if fmt else list(IMAGE_FORMATS)
    filters = [file_filter(*IMAGE_FORMATS[k]) for k in keys]
    if path is None:
        start = str(Path(directory) / ("scope" + IMAGE_FORMATS[keys[0]][0]))
        chosen, chosen_filter = QFileDialog.getSaveFileName(
            parent, _t("Save plot as image"), start, ";;".join(filters)
        )
        if not chosen:
            return None
        key = keys[filters.index(chosen_filter)] if chosen_filter in filters else keys[0]
        suffix = Path(chosen).suffix.lower().lstrip(".")
        if suffix in IMAGE_FORMATS and fmt is None:
            key = suffix
        target = _with_ext(chosen, IMAGE_FORMATS[key][0])
    else:
        target = Path(path)
        key = fmt.lower() if fmt else target.suffix.lower().lstrip(".")
    try:
        return export_plot(plot_item, target, key)
    except (OSError, ValueError) as exc:
        show_error(parent, _t("Saving the image failed"), exc)
        return None


# ---------------------------------------------------------------------------- experiments
def choose_experiment_save_file(
    parent: QWidget | None, directory: str | os.PathLike[str] = ""
) -> Path | None:
    """Ask where to save a ``.vlab`` experiment file (the extension added); None if the
    student cancelled.

    The writing itself runs off the GUI thread (:meth:`MainWindow.save_experiment`:
    :class:`vlab.gui.file_job.FileJob` with :func:`vlab.recording.session.write_session`).
    """
    start = str(Path(directory) / f"experiment{SESSION_EXTENSION}")
    chosen, _ = QFileDialog.getSaveFileName(
        parent,
        _t("Save experiment"),
        start,
        file_filter(SESSION_EXTENSION, _t("vlab experiment")),
    )
    return _with_ext(chosen, SESSION_EXTENSION) if chosen else None


def choose_experiment_file(
    parent: QWidget | None, directory: str | os.PathLike[str] = ""
) -> Path | None:
    """Ask for a ``.vlab`` file to open; None if the student cancelled.

    The reading itself runs off the GUI thread (:class:`vlab.gui.file_job.FileJob` with
    :func:`vlab.recording.load_session`).
    """
    chosen, _ = QFileDialog.getOpenFileName(
        parent,
        _t("Open experiment"),
        str(directory),
        ";;".join([file_filter(SESSION_EXTENSION, _t("vlab experiment")), _t("All files (*)")]),
    )
    return Path(chosen) if chosen else None
