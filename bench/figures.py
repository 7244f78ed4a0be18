"""Shared by the benchmark scripts that draw figures for docs/: one white pyqtgraph window
and one way to save it as PNG (offscreen: ``QT_QPA_PLATFORM=offscreen``)."""

from __future__ import annotations

from pathlib import Path


def figure_window(width: int, height: int):
    """A white GraphicsLayoutWidget of ``width`` x ``height`` px (creates the QApplication)."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    figure_window.app = QApplication.instance() or QApplication([])  # kept alive
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    win = pg.GraphicsLayoutWidget()
    win.resize(width, height)
    return win


def save_png(win, out: Path) -> None:
    """Render ``win`` and write it to ``out`` (folders made as needed)."""
    from pyqtgraph.exporters import ImageExporter
    from PySide6.QtWidgets import QApplication

    win.show()
    QApplication.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    ImageExporter(win.scene()).export(str(out))
    print(f"\nwrote {out}")
