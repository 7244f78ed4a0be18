"""Axes: a time axis that never says "ks" (seconds stay seconds above 1 s: 1389.25 s, not
1.389 ks), and axis pictures kept as pixmaps between changes (:func:`cache_axes`).

pyqtgraph picks an SI prefix from the largest value on the axis. Gap-free recordings run
for minutes, so a 50 ms window at t = 1389 s was labelled in kiloseconds. This axis keeps
the automatic prefix for small times (ms, µs) and caps it at the plain unit.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

__all__ = ["TimeAxis", "cache_axes"]


def cache_axes(plot: pg.PlotItem) -> None:
    """Keep each axis of ``plot`` as a device pixmap, redrawn only when the axis changes.

    pyqtgraph caches an axis as a QPicture but *replays* it, text and all, whenever the
    view repaints: at 10x Repeat that was the largest single site of GUI-thread stalls
    (``AxisItem.paint`` in bench/bench_soak.py's samples, 2026-12-02). A pixmap is a blit.
    The axis invalidates the pixmap itself (``update()``) when its range or style changes.
    """
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class TimeAxis(pg.AxisItem):
    """Bottom axis for times in s: automatic prefixes up to the unit itself, none above."""

    autoSIPrefixScale: float  # pyqtgraph's, set by updateAutoSIPrefix
    labelUnitPrefix: str

    def updateAutoSIPrefix(self) -> None:  # noqa: N802 - pyqtgraph API
        super().updateAutoSIPrefix()
        if self.autoSIPrefixScale < 1.0:  # k, M, ...: show plain seconds instead
            self.autoSIPrefixScale = 1.0
            self.labelUnitPrefix = ""
            self._updateLabel()
