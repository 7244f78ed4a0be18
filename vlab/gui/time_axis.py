"""A time axis that never says "ks": seconds stay seconds above 1 s (1389.25 s, not 1.389 ks).

pyqtgraph picks an SI prefix from the largest value on the axis. Gap-free recordings run
for minutes, so a 50 ms window at t = 1389 s was labelled in kiloseconds. This axis keeps
the automatic prefix for small times (ms, µs) and caps it at the plain unit.
"""

from __future__ import annotations

import pyqtgraph as pg

__all__ = ["TimeAxis"]


class TimeAxis(pg.AxisItem):
    """Bottom axis for times in s: automatic prefixes up to the unit itself, none above."""

    def updateAutoSIPrefix(self) -> None:  # noqa: N802 - pyqtgraph API
        super().updateAutoSIPrefix()
        if self.autoSIPrefixScale < 1.0:  # k, M, ...: show plain seconds instead
            self.autoSIPrefixScale = 1.0
            self.labelUnitPrefix = ""
            self._updateLabel()
