"""Inside the membrane: gates, conductances, ionic currents and driving forces, live.

Strip charts sharing one time axis: the membrane potential and the net ionic current,
then

1. gates m, h, n (and p, the slow M-type K+ gate, when the preparation has it);
2. conductances gNa, gK (and gCl, gM when present);
3. ionic currents INa, IK, IL (and ICl, IM), outward positive;
4. driving forces V − E for Na+, K+, Cl− and the leak, computed from the membrane
   potential and the block's reversal potentials.

Every voltage here is the membrane's own potential (the block's ``Vmem``, V), not the
amplifier's output ``Vm`` the scope shows: that one is low-pass filtered and digitised,
so it lags the gates and currents by the filter's delay (0.34 ms at 1 kHz), and a spike's
peak read against them would not be where the net ionic current is zero.

Next to them a readout shows the latest driving force and current of each ion.
Feed it with :meth:`MembraneView.add_block` (simulator blocks); it keeps a
rolling window like a chart recorder. Colours are Okabe–Ito (colour-blind safe).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsTextItem,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vlab.gui.decimate import peak_decimate
from vlab.gui.palette import ION_COLOURS, OKABE_ITO
from vlab.gui.time_axis import TimeAxis, cache_axes

log = logging.getLogger(__name__)

__all__ = ["OKABE_ITO", "ION_COLOURS", "MembraneView"]

ION_TEXT = {"Na": "Na\u207a", "K": "K\u207a", "Cl": "Cl\u207b", "L": "leak", "M": "M (K\u207a)"}

#: curve name -> (plot row, colour, dash, legend label)
_CURVES = {
    "Vm": (-2, OKABE_ITO["black"], None, "V<sub>m</sub>"),  # the block's Vmem
    "Iion": (-1, OKABE_ITO["black"], None, "net ionic current"),
    "m": (0, OKABE_ITO["vermillion"], None, "m (Na\u207a act.)"),
    "h": (0, OKABE_ITO["orange"], Qt.PenStyle.DashLine, "h (Na\u207a inact.)"),
    "n": (0, OKABE_ITO["blue"], None, "n (K\u207a act.)"),
    "p": (0, OKABE_ITO["purple"], None, "p (M K\u207a)"),
    "gNa": (1, ION_COLOURS["Na"], None, "gNa"),
    "gK": (1, ION_COLOURS["K"], None, "gK"),
    "gCl": (1, ION_COLOURS["Cl"], None, "gCl"),
    "gM": (1, ION_COLOURS["M"], None, "gM"),
    "INa": (2, ION_COLOURS["Na"], None, "INa"),
    "IK": (2, ION_COLOURS["K"], None, "IK"),
    "IL": (2, ION_COLOURS["L"], None, "IL"),
    "ICl": (2, ION_COLOURS["Cl"], None, "ICl"),
    "IM": (2, ION_COLOURS["M"], None, "IM"),
    "dNa": (3, ION_COLOURS["Na"], None, "V\u2212E<sub>Na</sub>"),
    "dK": (3, ION_COLOURS["K"], None, "V\u2212E<sub>K</sub>"),
    "dCl": (3, ION_COLOURS["Cl"], None, "V\u2212E<sub>Cl</sub>"),
    "dL": (3, ION_COLOURS["L"], Qt.PenStyle.DashLine, "V\u2212E<sub>L</sub>"),
}
#: curves shown only when the preparation/settings make them non-zero
GATES = 2  # index of the gates plot in MembraneView.plots
_OPTIONAL = {"p": "gM", "gM": "gM", "IM": "gM", "gCl": "gCl", "ICl": "gCl", "dCl": "gCl"}
_CURRENT_OF = {"Na": "INa", "K": "IK", "Cl": "ICl", "L": "IL"}
_IONIC = ("INa", "IK", "IL", "ICl", "IM")  # their sum is the net ionic current


def _fmt(value: float, unit: str, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "\u2014"
    if abs(value) < 1e-15:
        value = 0.0
    return pg.siFormat(value, precision=digits, suffix=unit).replace("-", "\u2212")


def _key_html(name: str) -> str:
    """A curve's entry in its plot's key: a line in its colour (dashed where the curve is)
    and its name, in 7 pt, never broken across lines."""
    _, colour, dash, label = _CURVES[name]
    line = "\u254d\u254d" if dash is not None else "\u2501\u2501"  # ╍╍ or ━━
    return (
        f'<span style="font-size:7pt"><span style="color:{colour}">'
        f"{line}</span>&nbsp;{label.replace(' ', '&nbsp;')}</span>"
    )


#: the smallest voltage span a voltage plot shows (V): a resting trace is a flat line, not
#: a few microvolts of settling magnified to fill the plot
MIN_VOLTAGE_SPAN = 0.020
#: the smallest current span, as the rate of change of Vm it would cause through the
#: membrane capacitance (V/s; 1 V/s = 1 mV/ms): net ionic current is -C dV/dt, so a
#: current too small to move Vm by a visible amount is not blown up to femtoamperes
MIN_CURRENT_RATE = 1.0


def membrane_capacitance(rig) -> float | None:
    """The cell's whole capacitance (F) = specific capacitance (F/m^2) x area (m^2)."""
    prep = getattr(getattr(rig, "cell", None), "prep", None)
    if prep is None:
        return None
    try:
        return float(prep.cm) * float(prep.area)
    except (AttributeError, TypeError, ValueError):
        return None


class MembraneView(QWidget):
    """Live view of what happens inside the membrane (see module docstring).

    Parameters
    ----------
    rig : vlab.rig.rig.Rig, optional
        Not needed for drawing (blocks carry everything); kept for symmetry with the panels.
    window : float
        Width of the rolling window, s.
    """

    WINDOWS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
    REDRAW_HZ = 25
    cursors_moved = Signal(float, float)  # dragged here: s (the scope follows)

    def __init__(self, rig=None, parent: QWidget | None = None, window: float = 0.05) -> None:
        super().__init__(parent)
        self.rig = rig
        self.setObjectName("MembraneView")
        self.window_s = float(window)  # not ``window``: QWidget.window() is the top level
        #: read-outs a graded practical step hides (set by the main window)
        self.hidden_readouts: frozenset[str] = frozenset()
        self._t = np.empty(0)
        self._dirty = False
        self._draw_timer = QTimer(self)
        self._draw_timer.timeout.connect(self._on_timer)
        self._draw_timer.start(1000 // self.REDRAW_HZ)
        self._buf: dict[str, np.ndarray] = {}
        self._seen_nonzero: set[str] = set()
        self._latest: dict[str, float] = {}
        self.frozen = False
        self._spike_t: float | None = None
        self._prev_vm: float | None = None
        self._syncing = False
        #: where the chart's time axis starts (s): a page from here to here + window, so
        #: the axis stands still while a sweep fills it (an axis that moves every frame is
        #: redrawn every frame, text and all); it scrolls only once the data pass its end
        self._page_start: float | None = None
        #: the protocol whose sweeps are shown (its number of sweeps) while episodic: the
        #: y ranges then only grow until the next run (begin_run), like the scope's, so a
        #: Repeat run's later cycles leave the axes alone; None in gap-free
        self._run: int | None = None
        self._extent: dict[int, tuple[float, float]] = {}  # plot -> data range fitted, SI
        self._empty: set[str] = set(_CURVES)  # curves drawn with no data

        lay = QHBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.graphics.setMinimumHeight(300)
        lay.addWidget(self.graphics, 1)

        titles = (
            self.tr("Membrane potential"),
            self.tr("Net ionic current (outward +)"),
            self.tr("Gates"),
            self.tr("Conductances"),
            self.tr("Ionic currents (outward +)"),
            self.tr("Driving force V \u2212 E"),
        )
        units = ("V", "A", "", "S", "A", "V")
        ylabels = (
            self.tr("V<sub>m</sub>"),
            self.tr("I<sub>ion</sub>"),
            self.tr("open fraction"),
            self.tr("g"),
            self.tr("I"),
            self.tr("V \u2212 E"),
        )
        self.plots: list[pg.PlotItem] = []
        axis_pen = pg.mkPen("#333333")
        # a 2 x 3 grid: the view usually sits in a wide, short dock under the scope
        n_plots = len(titles)
        self._titles = titles
        self.titles: list[QGraphicsTextItem] = []  # one per plot: its title and key
        self._title_heights: dict[int, int] = {}  # plot -> px of its title strip
        self._title_src: dict[int, str] = {}  # plot -> the html its title was given
        self.curves: dict[str, pg.PlotDataItem] = {}
        for row, (unit, ylab) in enumerate(zip(units, ylabels, strict=True)):
            p = self.graphics.addPlot(
                row=row // 3, col=row % 3, axisItems={"bottom": TimeAxis("bottom")}
            )
            # the title (with its curves' key) is a text item over the plot's title strip,
            # not pyqtgraph's title label: that one is as wide as its unwrapped text at
            # least, which squeezed the gates plot at 1024 px (_fit_titles)
            head = QGraphicsTextItem(p)
            head.setDefaultTextColor(QColor("#222222"))
            font = head.font()
            font.setPointSizeF(10)
            head.setFont(font)
            self.titles.append(head)
            # no grid: a moving time axis repaints its grid every frame (the dearest part
            # of the picture; measured in bench/bench_soak.py)
            for ax in ("left", "bottom"):
                p.getAxis(ax).setPen(axis_pen)
                p.getAxis(ax).setTextPen(axis_pen)
            p.setLabel("left", ylab, units=unit or None)
            p.getAxis("left").setWidth(62)
            p.setMenuEnabled(False)
            # no clipToView or auto-downsampling: with them, every move of the x range
            # (each frame, as the window scrolls) made each of the six linked plots
            # re-clip and re-decimate its curves, up to three times a frame; the view
            # decimates its data itself, once a frame (_redraw)
            cache_axes(p)
            if row < n_plots - 3:
                p.getAxis("bottom").setStyle(showValues=False)
            else:
                p.setLabel("bottom", self.tr("time"), units="s")
            if row > 0:
                p.setXLink(self.plots[0])
            self.plots.append(p)
        self.plots[GATES].setYRange(0, 1, padding=0.02)
        for p in self.plots:  # the gates span 0..1; the others are fitted in _fit_y
            p.enableAutoRange(axis="y", enable=False)
        for k in (1, 4, 5):  # zero lines: net ionic current, currents, driving forces
            self.plots[k].addLine(y=0, pen=pg.mkPen("#777777", width=1))
        for p in self.plots:
            p.getViewBox().sigResized.connect(lambda *_: self._fit_titles())
        # two cursors on every plot, linked to the scope's (same time base)
        self.cursor_lines: list[tuple[pg.InfiniteLine, pg.InfiniteLine]] = []
        for p in self.plots:
            pair = []
            for k in range(2):
                line = pg.InfiniteLine(
                    pos=0.0,
                    angle=90,
                    movable=True,
                    pen=pg.mkPen("#555555", width=1, style=Qt.PenStyle.DotLine),
                    label=str(k + 1) if p is self.plots[0] else None,
                    labelOpts={"position": 0.9, "color": "#333333"},
                )
                line.setVisible(False)
                p.addItem(line, ignoreBounds=True)
                line.sigPositionChanged.connect(lambda ln, k=k: self._cursor_dragged(k, ln))
                pair.append(line)
            self.cursor_lines.append((pair[0], pair[1]))

        for name, (row, colour, dash, label) in _CURVES.items():
            # width 1: Qt's raster engine draws wider lines several times slower
            pen = pg.mkPen(colour, width=1, style=dash or Qt.PenStyle.SolidLine)
            # dynamicRangeLimit=None: a new y range (the ranges follow the data) does not
            # rebuild the curve (pyqtgraph's guard against huge zoomed values; the view
            # sets its ranges from the data, _fit_y)
            c = pg.PlotDataItem(pen=pen, name=label, skipFiniteCheck=True, dynamicRangeLimit=None)
            self.curves[name] = c
            if name not in _OPTIONAL:
                self.plots[row + 2].addItem(c)
        self._fit_titles()

        side = QVBoxLayout()
        lay.addLayout(side)
        box = QGroupBox(self.tr("Now"), self)
        grid = QGridLayout(box)
        grid.addWidget(QLabel(self.tr("<b>Ion</b>")), 0, 0)
        grid.addWidget(QLabel(self.tr("<b>V \u2212 E</b>")), 0, 1)
        grid.addWidget(QLabel(self.tr("<b>Current</b>")), 0, 2)
        self.readout: dict[str, QLabel] = {}
        self.current_readout: dict[str, QLabel] = {}
        for r, ion in enumerate(("Na", "K", "Cl", "L"), start=1):
            ion_label = QLabel(
                f"<span style='color:{ION_COLOURS[ion]}'>\u25a0</span> {ION_TEXT[ion]}", box
            )
            df = QLabel("\u2014", box)
            cur = QLabel("\u2014", box)
            for w in (df, cur):
                w.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                w.setMinimumWidth(78)
                w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(ion_label, r, 0)
            grid.addWidget(df, r, 1)
            grid.addWidget(cur, r, 2)
            self.readout[ion] = df
            self.current_readout[ion] = cur
        self.vm_label = QLabel(box)
        grid.addWidget(self.vm_label, 5, 0, 1, 3)
        self.note_label = QLabel(
            self.tr("V \u2212 E < 0 pushes cations in; a blocker lowers g, never V \u2212 E."), box
        )
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #555;")
        self.note_label.setMaximumWidth(240)
        grid.addWidget(self.note_label, 6, 0, 1, 3)
        side.addWidget(box)
        win_row = QHBoxLayout()
        win_row.addWidget(QLabel(self.tr("Window")))
        self.window_combo = QComboBox(self)
        self.window_combo.setToolTip(self.tr("How much recent time the strip charts show."))
        for span in self.WINDOWS:
            self.window_combo.addItem(f"{span * 1e3:g} ms", span)
        i = self.window_combo.findData(self.window_s)
        self.window_combo.setCurrentIndex(i if i >= 0 else 1)
        self.window_combo.currentIndexChanged.connect(
            lambda _i: self.set_window(self.window_combo.currentData())
        )
        win_row.addWidget(self.window_combo)
        side.addLayout(win_row)
        self.freeze_box = QCheckBox(self.tr("Freeze on a spike"), self)
        self.freeze_box.setToolTip(
            self.tr("Gap-free: stop the picture when a spike is in the middle of the window.")
        )
        self.pause_button = QPushButton(self.tr("Pause"), self)
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(self.tr("Freeze the picture now, or let it run again."))
        self.pause_button.toggled.connect(self.set_frozen)
        frow = QHBoxLayout()
        frow.addWidget(self.freeze_box)
        frow.addWidget(self.pause_button)
        side.addLayout(frow)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        self.status_label.setMaximumWidth(240)
        side.addWidget(self.status_label)
        self.cursor_label = QLabel(self)
        self.cursor_label.setWordWrap(True)
        self.cursor_label.setMaximumWidth(240)
        self.cursor_label.setToolTip(
            self.tr("The scope's cursor 1: where net ionic current is zero, Vm turns.")
        )
        side.addWidget(self.cursor_label)
        side.addStretch(1)
        try:
            from vlab.gui.help import install_help_shortcut

            install_help_shortcut(self, "membrane_view")
        except Exception:
            log.exception("cannot install F1 help for the membrane view")

    # ---------------------------------------------------------------- data in
    def set_window(self, seconds: float) -> None:
        """Width of the rolling window (s)."""
        if seconds and seconds > 0:
            self.window_s = float(seconds)
            self._trim()
            self._redraw()

    def clear(self) -> None:
        """Forget everything shown (and let a frozen picture run again)."""
        if self.frozen:
            self.set_frozen(False)
        self._t = np.empty(0)
        self._buf = {}
        self._latest = {}
        self._page_start = None
        self._run = None
        self._extent = {}
        for c in self.curves.values():
            c.setData([], [])
        self._empty = set(_CURVES)
        for lab in (*self.readout.values(), *self.current_readout.values()):
            lab.setText("\u2014")
        self.vm_label.clear()

    def begin_run(self) -> None:
        """A protocol run starts: its sweeps get y ranges of their own (the cycles of a
        Repeat run share one scale; so did every run of the same protocol before)."""
        self._extent = {}

    def add_block(self, block) -> None:
        """Append a simulator block (``t`` s, ``data`` SI arrays, ``reversal`` V) and redraw.

        The view's Vm (and V − E, the readouts) is ``data["Vmem"]``, the membrane's own
        potential (V), never the amplifier's filtered ``data["Vm"]``."""
        t = np.asarray(block.t, dtype=float)
        if t.size == 0:
            return
        data = block.data
        vm = np.asarray(data["Vmem"], dtype=float)
        rev = dict(getattr(block, "reversal", {}) or {})
        if "reversals" in self.hidden_readouts:  # a graded practical step
            rev = {}  # driving forces V - E would show E
        new: dict[str, np.ndarray] = {}
        if self.frozen:
            return  # a frozen frame stays as it is until Resume
        for name in _CURVES:
            if name == "Vm":
                new[name] = vm
            elif name == "Iion":  # net ionic current: the sum of every ionic current, A
                parts = [np.asarray(data[k], dtype=float) for k in _IONIC if k in data]
                new[name] = np.sum(parts, axis=0) if parts else np.full(t.shape, np.nan)
            elif name.startswith("d"):
                ion = name[1:]
                e = rev.get(ion)
                new[name] = vm - e if e is not None else np.full(t.shape, np.nan)
            elif name in data:
                new[name] = np.asarray(data[name], dtype=float)
            else:
                new[name] = np.full(t.shape, np.nan)
        for key in ("gM", "gCl"):
            arr = new.get(key)
            if arr is not None and np.any(np.abs(arr[np.isfinite(arr)]) > 0):
                if key not in self._seen_nonzero:
                    self._seen_nonzero.add(key)
                    self._show_optional(key)
        if self._t.size and t[0] < self._t[-1]:
            # time went back: a new episodic sweep (or a reset); start a fresh chart
            self._t = np.empty(0)
            self._buf = {}
        run = (
            getattr(block, "n_sweeps", None) if getattr(block, "sweep", None) is not None else None
        )
        if run != self._run:  # another protocol, or gap-free: fit the y ranges afresh
            self._run = run
            self._extent = {}
        if self._t.size == 0:
            self._page_start = float(t[0])
            self._t = t.copy()
            self._buf = {k: v.copy() for k, v in new.items()}
        else:
            self._t = np.concatenate([self._t, t])
            for k, v in new.items():
                self._buf[k] = np.concatenate([self._buf[k], v])
        self._trim()
        self._latest = {k: float(v[-1]) for k, v in new.items()}
        self._latest["Vm"] = float(vm[-1])
        for k in _CURRENT_OF.values():
            if k in data:
                self._latest[k] = float(np.asarray(data[k])[-1])
        self._dirty = True  # curves and numbers are drawn by the timer, once a frame
        if getattr(block, "sweep", None) is None:
            self._watch_for_spike(t, vm)

    # ---------------------------------------------------------------- freeze-frame
    def _watch_for_spike(self, t: np.ndarray, vm: np.ndarray) -> None:
        """Gap-free: with *Freeze on a spike* ticked, stop the picture when a spike's
        upstroke (0 mV crossed upwards) sits in the middle of the window."""
        if not self.freeze_box.isChecked() or self.frozen:
            return
        if self._spike_t is None:
            prev = self._prev_vm
            v = np.concatenate([[prev], vm]) if prev is not None else vm
            tt = np.concatenate([[t[0]], t]) if prev is not None else t
            up = np.nonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))[0]
            if up.size:
                self._spike_t = float(tt[up[0] + 1])
        self._prev_vm = float(vm[-1])
        if self._spike_t is not None and t[-1] >= self._spike_t + 0.5 * self.window_s:
            self.set_frozen(True)
            self.status_label.setText(
                self.tr("Frozen on a spike at t = {t} s. Press Resume to go on.").format(
                    t=f"{self._spike_t:.4f}"
                )
            )

    def set_frozen(self, frozen: bool) -> None:
        """Freeze the picture (and its readouts) or let it run again."""
        self.frozen = bool(frozen)
        b = self.pause_button.blockSignals(True)
        self.pause_button.setChecked(self.frozen)
        self.pause_button.blockSignals(b)
        self.pause_button.setText(self.tr("Resume") if self.frozen else self.tr("Pause"))
        if self.frozen:
            self.flush()
        else:
            self._spike_t = None
            self._prev_vm = None
            self.status_label.setText("")
            self._t = np.empty(0)  # go on from now (the gap would be a straight line)
            self._buf = {}

    # ---------------------------------------------------------------- cursors
    def set_cursors(self, x1: float, x2: float) -> None:
        """Show the scope's cursors (s) on every plot (linked: dragging here moves them)."""
        self._syncing = True
        try:
            for a, b in self.cursor_lines:
                for line, x in ((a, x1), (b, x2)):
                    line.setVisible(True)
                    if line.value() != x:
                        line.setValue(x)
        finally:
            self._syncing = False
        self._update_cursor_readout()

    def cursor_positions(self) -> tuple[float, float]:
        a, b = self.cursor_lines[0]
        return float(a.value()), float(b.value())

    def _cursor_dragged(self, k: int, line) -> None:
        if self._syncing:
            return
        x = float(line.value())
        x1, x2 = self.cursor_positions()
        x1, x2 = (x, x2) if k == 0 else (x1, x)
        self.set_cursors(x1, x2)
        self.cursors_moved.emit(x1, x2)

    def values_at(self, x: float) -> dict[str, float]:
        """Every shown quantity at time ``x`` (s), interpolated; NaN outside the data."""
        if self._t.size < 2 or not (self._t[0] <= x <= self._t[-1]):
            return {k: math.nan for k in self._buf}
        return {k: float(np.interp(x, self._t, v)) for k, v in self._buf.items()}

    def _update_cursor_readout(self) -> None:
        x1, _ = self.cursor_positions()
        v = self.values_at(x1)
        self.cursor_label.setText(
            self.tr("At cursor 1: V<sub>m</sub> {v}, net ionic current {i}").format(
                v=_fmt(v.get("Vm", math.nan), "V"), i=_fmt(v.get("Iion", math.nan), "A")
            )
        )

    def pace(self, pacer) -> None:
        """Redraw in turns with the window's other views (:mod:`vlab.gui.frame_pacer`)
        instead of on the view's own timer."""
        self._draw_timer.stop()
        pacer.add("membrane view", self._on_timer, self.REDRAW_HZ, views=[self.graphics])

    def _on_timer(self) -> bool:
        """Redraw at most REDRAW_HZ times a second, and only when new data arrived;
        returns whether it drew.

        The readouts too: a Repeat run at 10x delivers ~100 blocks a second, and setting
        nine labels for each was work nobody could see."""
        if self._dirty and self.isVisible():
            self._dirty = False
            self._redraw()
            self._update_readout()
            return True
        return False

    def flush(self) -> None:
        """Draw pending data now (tests, screenshots)."""
        self._dirty = False
        self._redraw()
        self._update_readout()

    def _show_optional(self, key: str) -> None:
        for name, dep in _OPTIONAL.items():
            if dep == key:
                row = _CURVES[name][0]
                if self.curves[name].getViewBox() is None:
                    self.plots[row + 2].addItem(self.curves[name])
        self._fit_titles()

    def _fit_titles(self) -> None:
        """Write each plot's title with its curves' key after it, wrapped to the plot's
        width; the title strip is as tall as the text.

        The key is the title's own text (a short coloured line per curve, dashed where
        the curve is), not a legend inside the plot: there it hid the curves under it
        (n's rise, at 1024 px). A plot of one curve (Vm, net ionic current) has no key:
        its title names it.
        """
        for k, p in enumerate(self.plots):
            keys = [
                _key_html(name)
                for name, spec in _CURVES.items()
                if spec[0] + 2 == k
                and name in self.curves
                and self.curves[name].getViewBox() is p.getViewBox()
            ]
            html = self._titles[k].replace(" ", "&nbsp;")  # a title breaks only before its key
            if len(keys) > 1:
                html += "&nbsp;&nbsp; " + " &nbsp;".join(keys)
            head = self.titles[k]
            view = p.getViewBox()
            head.setTextWidth(max(view.width(), 40.0))
            if html != self._title_src.get(k):
                head.setHtml(html)
                self._title_src[k] = html
            head.setPos(view.pos().x() - head.document().documentMargin() + 1, 0)
            height = math.ceil(head.boundingRect().height()) - 2
            if height != self._title_heights.get(k):
                self._title_heights[k] = height
                p.layout.setRowFixedHeight(0, height)

    def _trim(self) -> None:
        if self._t.size == 0:
            return
        start = np.searchsorted(self._t, self._t[-1] - self.window_s, side="left")
        if start > 0:
            self._t = self._t[start:]
            self._buf = {k: v[start:] for k, v in self._buf.items()}

    def _minimum_span(self, plot: int) -> float:
        """The smallest y span of a voltage or current plot (V or A; see MIN_*); none for
        the conductances."""
        if plot in (0, 5):
            return MIN_VOLTAGE_SPAN
        if plot == 3:
            return 0.0
        c = membrane_capacitance(self.rig)
        return c * MIN_CURRENT_RATE if c is not None else 0.0

    def _fit_y(self) -> None:
        """Set the y range of the voltage, current and conductance plots from the data
        shown, at least their minimum span, and only when the data left the range or (in
        gap-free) fill under a third of it: an unchanged axis is not redrawn. While a
        protocol's sweeps are shown the ranges only grow (like the scope's), so the sweeps
        of a family are drawn to one scale and a Repeat run's axes settle after its first
        cycle. pyqtgraph's own auto-range blew a flat resting Vm up to +-0.5 V around it,
        and zoomed into microvolts once it moved."""
        rows: dict[int, list[np.ndarray]] = {}
        for name, (row, *_rest) in _CURVES.items():
            y = self._buf.get(name)
            if y is not None and self.curves[name].scene() is not None:
                rows.setdefault(row + 2, []).append(y)
        for k in (0, 1, 3, 4, 5):
            ys = [y[np.isfinite(y)] for y in rows.get(k, [])]
            ys = [y for y in ys if y.size]
            if not ys:
                continue
            lo = min(float(y.min()) for y in ys)
            hi = max(float(y.max()) for y in ys)
            if k in (1, 3, 4, 5):  # the zero line (no conductance) is part of the picture
                lo, hi = min(lo, 0.0), max(hi, 0.0)
            grow_only = self._run is not None
            if grow_only and k in self._extent:
                lo, hi = min(lo, self._extent[k][0]), max(hi, self._extent[k][1])
            half = max(hi - lo, self._minimum_span(k), 1e-15) * 0.55
            mid = 0.5 * (lo + hi)
            cur_lo, cur_hi = self.plots[k].getViewBox().viewRange()[1]
            fitted = k in self._extent  # else the range is the plot's first, not the data's
            if (
                fitted
                and cur_lo <= lo
                and hi <= cur_hi
                and (grow_only or cur_hi - cur_lo <= 6 * half)
            ):
                continue
            self._extent[k] = (lo, hi)
            self.plots[k].setYRange(mid - half, mid + half, padding=0)

    def _redraw(self) -> None:
        """One frame: the ranges first, then each curve's data, min/max-decimated to at
        most two points per pixel column of the plots (every peak kept), set once."""
        if self._t.size == 0:
            return
        self._fit_y()
        t1 = self._t[-1]
        start = self._page_start if self._page_start is not None else self._t[0]
        x0 = max(start, t1 - self.window_s)  # the page, until the data pass its end
        self.plots[0].setXRange(x0, x0 + self.window_s, padding=0)
        drawn = []
        for name, c in self.curves.items():
            y = self._buf.get(name)
            if y is None or c.scene() is None or not np.any(np.isfinite(y)):
                if name not in self._empty:  # hidden or without data: no new path
                    c.setData([], [])
                    self._empty.add(name)
            else:
                drawn.append(name)
        if drawn:
            columns = max(200, int(self.plots[0].getViewBox().width()))
            t, ys = peak_decimate(self._t, [self._buf[name] for name in drawn], columns)
            for name, y in zip(drawn, ys, strict=True):
                self.curves[name].setData(t, y)
                self._empty.discard(name)
        self._update_cursor_readout()

    def _update_readout(self) -> None:
        for ion, lab in self.readout.items():
            lab.setText(_fmt(self._latest.get(f"d{ion}", math.nan), "V"))
            cur = self._latest.get(_CURRENT_OF[ion], math.nan)
            self.current_readout[ion].setText(_fmt(cur, "A"))
        self.vm_label.setText(
            self.tr("V<sub>m</sub> = {v}").format(v=_fmt(self._latest.get("Vm", math.nan), "V"))
        )

    # ---------------------------------------------------------------- for tests / other widgets
    def driving_forces(self) -> dict[str, float]:
        """Latest V − E (V) for each ion ('Na', 'K', 'Cl', 'L')."""
        return {ion: self._latest.get(f"d{ion}", math.nan) for ion in ("Na", "K", "Cl", "L")}

    def latest(self) -> dict[str, float]:
        """Latest value of every shown quantity (SI)."""
        return dict(self._latest)
