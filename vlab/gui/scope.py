"""The oscilloscope: Vm and Im plots with linked time axes, cursors and reversal lines.

Data arrive as :class:`vlab.rig.simulator.Block` lists through :meth:`Scope.add_blocks`
(cheap: arrays are appended to buffers). The curves are redrawn by the scope's own
``REDRAW_HZ`` (60 Hz) ``QTimer``, only when new data arrived, with one ``setData`` per visible curve.

Gap-free blocks (``block.sweep is None``) feed a ring buffer shown as a scrolling strip
chart; episodic blocks build one curve pair per sweep, overlaid, older sweeps fading.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vlab.analysis.cursors import between_cursors_each
from vlab.gui.decimate import peak_decimate
from vlab.gui.palette import ION_COLOURS, OKABE_ITO
from vlab.gui.time_axis import TimeAxis, cache_axes
from vlab.units import format_si

__all__ = ["OKABE_ITO", "RingBuffer", "Scope"]

SWEEP_COLOURS = ("#F0E442", "#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#0072B2")
VM_COLOUR = OKABE_ITO["yellow"]
IM_COLOUR = OKABE_ITO["sky"]
# the scope is dark: the blue of K+ is lightened to stay readable, same hue as elsewhere
REVERSAL_COLOURS = {"Na": ION_COLOURS["Na"], "K": "#3B9BE0", "Cl": ION_COLOURS["Cl"]}
CURSOR_COLOUR = "#DDDDDD"
VM_RANGE = (
    -0.110,
    0.070,
)  # V, the fixed range while streaming (E_Na of every preparation in sight)


class RingBuffer:
    """Fixed-capacity buffer of (t, Vm, Im) samples; the oldest are overwritten."""

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._buf = np.zeros((3, self.capacity))
        self._n = 0
        self._i = 0

    def clear(self) -> None:
        self._n = 0
        self._i = 0

    def __len__(self) -> int:
        return self._n

    def append(self, t: np.ndarray, vm: np.ndarray, im: np.ndarray) -> None:
        x = np.vstack([t, vm, im])
        k = x.shape[1]
        if k >= self.capacity:
            self._buf[:] = x[:, -self.capacity :]
            self._i = 0
            self._n = self.capacity
            return
        end = self._i + k
        if end <= self.capacity:
            self._buf[:, self._i : end] = x
        else:
            first = self.capacity - self._i
            self._buf[:, self._i :] = x[:, :first]
            self._buf[:, : k - first] = x[:, first:]
        self._i = end % self.capacity
        self._n = min(self._n + k, self.capacity)

    def data(self) -> np.ndarray:
        """(3, n) array in time order (a copy)."""
        return self.last(self._n)

    def last(self, n: int) -> np.ndarray:
        """The newest ``n`` samples, (3, n) in time order (a copy)."""
        n = max(0, min(int(n), self._n))
        start = self._i - n
        if start >= 0:
            return self._buf[:, start : self._i].copy()
        return np.concatenate([self._buf[:, start:], self._buf[:, : self._i]], axis=1)


class _Sweep:
    """One overlaid sweep: its samples, and its curve pair (None until the scope's next
    frame gives it one, for a sweep that arrived in :meth:`Scope.add_block`)."""

    def __init__(self, index: int, vm_item=None, im_item=None) -> None:
        self.index = index
        self.t: list[np.ndarray] = []
        self.vm: list[np.ndarray] = []
        self.im: list[np.ndarray] = []
        self.vm_item = vm_item
        self.im_item = im_item
        self.dirty = True
        self.done = False
        self.alpha = -1  # opacity (0-255) last set (re-styling 100 overlaid sweeps is not free)
        #: ((x1, x2), row) of the last cursor measurement of this sweep, once it is done
        self.measured: tuple[tuple[float, float], dict] | None = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(self.t) > 1:
            self.t = [np.concatenate(self.t)]
            self.vm = [np.concatenate(self.vm)]
            self.im = [np.concatenate(self.im)]
        if not self.t:
            e = np.zeros(0)
            return e, e, e
        return self.t[0], self.vm[0], self.im[0]


def _restyle(item: pg.PlotDataItem, pen: QPen) -> None:
    """Give a curve a new pen without redoing its data (``PlotDataItem.setPen`` passes the
    whole trace to its curve again): a reused curve pair taking its new sweep's colour."""
    item.opts["pen"] = pen
    item.curve.setPen(pen)


def _style_plot(plot: pg.PlotItem) -> None:
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.disableAutoRange()
    # no grid: grid lines are part of pyqtgraph's axis picture, which a scrolling strip
    # chart repaints every frame (measured: about a fifth of a core)
    plot.setMenuEnabled(True)
    plot.hideButtons()
    cache_axes(plot)


class Scope(QWidget):
    """Two-channel oscilloscope (see module docstring)."""

    frame_painted = Signal()  # after a redraw that changed a curve

    REDRAW_HZ = 60
    MAX_SWEEPS = 100  # overlaid sweeps kept on screen (the recording keeps them all)
    LEGEND_MAX = 4  # newest sweeps named in the legend (one row: it must not hide traces)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_s = 2.0
        self._dt = 0.0
        self.ring = RingBuffer(int(10.0 / 10e-6))  # 10 s at 10 us, the largest window
        self.display = "gap-free"
        self.sweeps: list[_Sweep] = []
        self._pool: list[tuple] = []  # hidden curve pairs ready for the next sweeps
        self._swatches: dict[str, QIcon] = {}
        self.fps = 0.0
        self._frames = 0
        self._shown_live = False  # no data drawn yet (add_blocks draws the first at once)
        self._fps_t0 = time.perf_counter()
        self._dirty = False
        self._legend_due = False
        # what add_block changed for the picture, done at the scope's next frame (redraw):
        # sweeps gone from the overlay whose curves are still shown, the time axis to the
        # episode's duration, and the new sweep's "sweep k / n" text
        self._retired: list[_Sweep] = []
        self._x_due = False
        self._sweep_text: str | None = None
        self._legend_strip = -1  # px of the strip above the Vm plot that holds the legend
        self._autoscale_pending = True
        self._expand_pending = False
        self._fit: dict[int, tuple[float, float]] = {}
        self._shifting = False
        self._episode_duration: float | None = None
        self._mode = "CC"
        self.reversal: dict[str, float] = {}
        #: read-outs a graded practical step hides ("reversals": the E lines)
        self.hidden_readouts: frozenset[str] = frozenset()
        self.last_vm = float("nan")
        self.last_im = float("nan")

        pg.setConfigOptions(antialias=False, useOpenGL=False)
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground("#101418")
        self.vm_plot: pg.PlotItem = self.glw.addPlot(row=0, col=0)
        self.im_plot: pg.PlotItem = self.glw.addPlot(
            row=1, col=0, axisItems={"bottom": TimeAxis("bottom")}
        )
        self.im_plot.setXLink(self.vm_plot)
        for p in (self.vm_plot, self.im_plot):
            _style_plot(p)
            p.getAxis("left").setWidth(70)
        self.vm_plot.setLabel("left", self.tr("Vm"), units="V")
        self.im_plot.setLabel("left", self.tr("Im"), units="A")
        self.im_plot.setLabel("bottom", self.tr("time"), units="s")
        self.vm_plot.getAxis("bottom").setStyle(showValues=False)  # shared with Im below
        self.vm_plot.setYRange(*VM_RANGE, padding=0)
        self.im_plot.setYRange(-1e-9, 1e-9, padding=0)
        self.vm_plot.setXRange(0, self.window_s, padding=0)

        # which colour is which sweep (newest LEGEND_MAX of the overlay): one row in the Vm
        # plot's title strip, right-aligned, so that it covers neither a trace nor an E
        # label (inside the plot, at 1024 px it reached E_K's label); the strip has no
        # height while the legend is hidden (gap-free, no sweeps)
        self.legend = pg.LegendItem(
            offset=(-10, 1), colCount=self.LEGEND_MAX, labelTextColor="#DDDDDD"
        )
        self.legend.layout.setContentsMargins(0, 0, 0, 0)  # the strip: one 20 px row
        self.legend.setParentItem(self.vm_plot)
        self._show_legend(False)
        self.vm_curve = self.vm_plot.plot(pen=pg.mkPen(VM_COLOUR, width=1))
        self.im_curve = self.im_plot.plot(pen=pg.mkPen(IM_COLOUR, width=1))
        for c in (self.vm_curve, self.im_curve):
            c.setSkipFiniteCheck(True)

        # reversal potentials on the Vm scope
        self.e_lines: dict[str, pg.InfiniteLine] = {}
        for ion, colour in REVERSAL_COLOURS.items():
            # E_Na is the top line, often at the top edge: its label goes below the line;
            # E_K and E_Cl can be a few mV apart: their labels sit at different places
            anchor = (0, 0) if ion == "Na" else (0, 1)
            where = {"Na": 0.02, "K": 0.02, "Cl": 0.3}.get(ion, 0.55)
            line = pg.InfiniteLine(
                angle=0,
                movable=False,
                pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                label=f"E{ion}",
                labelOpts={"position": where, "color": colour, "anchors": [anchor, anchor]},
            )
            line.setZValue(-5)
            line.setVisible(False)
            self.vm_plot.addItem(line, ignoreBounds=True)
            self.e_lines[ion] = line

        # two measurement cursors, mirrored on both plots
        self.cursors: list[tuple[pg.InfiniteLine, pg.InfiniteLine]] = []
        for k, x in enumerate((0.25, 0.75)):
            pair = []
            for plot in (self.vm_plot, self.im_plot):
                line = pg.InfiniteLine(
                    pos=x * self.window_s,
                    angle=90,
                    movable=True,
                    pen=pg.mkPen(CURSOR_COLOUR, width=1, style=Qt.PenStyle.DotLine),
                    hoverPen=pg.mkPen("#FFFFFF", width=2),
                    label=str(k + 1) if plot is self.vm_plot else None,
                    labelOpts={"position": 0.95, "color": CURSOR_COLOUR},
                )
                plot.addItem(line, ignoreBounds=True)
                pair.append(line)
            a, b = pair
            a.sigPositionChanged.connect(lambda ln, other=b: self._sync_cursor(ln, other))
            b.sigPositionChanged.connect(lambda ln, other=a: self._sync_cursor(ln, other))
            self.cursors.append((a, b))

        # tool row
        self.autoscale_button = QToolButton()  # compact: the tool row fits a 1024-px screen
        self.autoscale_button.setText(self.tr("Autoscale"))
        self.autoscale_button.setToolTip(self.tr("Fit both channels to the data on screen once."))
        self.autoscale_button.clicked.connect(self.autoscale)
        self.keep_box = QCheckBox(self.tr("Keep sweeps"))
        self.keep_box.setToolTip(
            self.tr("Keep the sweeps of earlier runs on screen when a new run starts.")
        )
        self.clear_button = QToolButton()  # compact: the tool row fits a 1024-px screen
        self.clear_button.setText(self.tr("Clear"))
        self.clear_button.setToolTip(self.tr("Remove every trace from the scope."))
        self.clear_button.clicked.connect(self.clear)
        self.window_combo = QComboBox()
        for s in (1.0, 2.0, 5.0, 10.0):
            self.window_combo.addItem(self.tr("{} s window").format(f"{s:g}"), s)
        self.window_combo.setCurrentIndex(1)
        self.window_combo.setToolTip(self.tr("How many seconds the gap-free strip chart shows."))
        self.window_combo.currentIndexChanged.connect(
            lambda i: self.set_window(self.window_combo.itemData(i))
        )
        self.cursor_button = QToolButton()  # compact: the tool row fits a 1024-px screen
        self.cursor_button.setText(self.tr("Cursors"))
        self.cursor_button.setToolTip(
            self.tr("Bring both measurement cursors into the visible time range.")
        )
        self.cursor_button.clicked.connect(self.reset_cursors)
        self.sweep_label = QLabel("")
        self.sweep_label.setToolTip(
            self.tr("The sweep being recorded and how many the protocol has.")
        )
        # a tool bar, so that on a narrow window (projector scale) the rest folds into »
        self.toolbar = QToolBar(self.tr("Scope"))
        self.toolbar.setMovable(False)
        for w in (
            self.autoscale_button,
            self.window_combo,
            self.keep_box,
            self.clear_button,
            self.cursor_button,
        ):
            self.toolbar.addWidget(w)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.sweep_label)

        # cursor readout table
        self.table = QTableWidget(2, 5)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("trace"),
                self.tr("Δt"),
                self.tr("Δ (2−1)"),
                self.tr("peak"),
                self.tr("mean"),
            ]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # the first column's width is fixed by _fit_table
        self.table.setToolTip(
            self.tr(
                "Measurements between cursor 1 and cursor 2 on every trace shown, newest "
                "first; the swatch is the colour of the sweep."
            )
        )
        self._fit_table()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.glw, 1)
        lay.addWidget(self.table)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self.redraw)
        self._timer.start(int(1000 / self.REDRAW_HZ))
        self._measure_due = 0.0

    # ------------------------------------------------------------------ data in
    def add_blocks(self, blocks) -> None:
        for b in blocks:
            self.add_block(b)
        if not self._shown_live and self._dirty:
            # the very first data is drawn at once, not at the pacer's next turn: the first
            # live frame is what a student waits for at start-up (docs/performance.md)
            self._shown_live = True
            self.redraw()

    def add_block(self, block) -> None:
        if block.n == 0:
            return
        if block.mode != self._mode:
            self._mode = block.mode
            self._autoscale_pending = True
        if block.sweep is None:
            if self.display != "gap-free":
                return  # streamed before the switch to episodic reached the worker
            if block.n > 1:
                self._dt = float(block.t[1] - block.t[0])
            self.ring.append(block.t, block.data["Vm"], block.data["Im"])
        else:
            if self.display != "episodic":
                self.set_display("episodic")
            if block.t[0] == 0.0 or not self.sweeps or self.sweeps[-1].done:
                # the picture changes at the next frame, in the scope's turn: a new
                # Repeat cycle cleared the overlay here, which closed the legend's strip
                # until the next frame reopened it (the plots laid out and their axes
                # redrawn twice a cycle, in other views' turns; bench/bench_soak.py)
                if block.sweep == 0 and not self.keep_box.isChecked():
                    self._retired += self.sweeps
                    self.sweeps = []
                self._add_sweep(_Sweep(block.sweep))
            if block.n_sweeps:
                self._sweep_text = self.tr("sweep {} / {}").format(block.sweep + 1, block.n_sweeps)
            sw = self.sweeps[-1]
            sw.t.append(block.t)
            sw.vm.append(block.data["Vm"])
            sw.im.append(block.data["Im"])
            sw.dirty = True
            if block.sweep_done:
                sw.done = True
                self._expand_pending = True
                self._measure_due = 0.0  # a whole sweep: measure it at the next frame
            if self._episode_duration is None or block.t[-1] > self._episode_duration:
                self._episode_duration = float(block.t[-1])
                self._x_due = True
        self.reversal = dict(block.reversal)
        self.last_vm = float(block.data["Vm"][-1])
        self.last_im = float(block.data["Im"][-1])
        self._dirty = True

    def begin_episode(self, duration: float) -> None:
        """Prepare the overlay for a run whose sweeps last ``duration`` s."""
        self.set_display("episodic")
        self._episode_duration = duration
        self.vm_plot.setXRange(0, duration, padding=0.01)
        self._autoscale_pending = True
        if not self.keep_box.isChecked():
            self._clear_sweeps()
        self.set_cursors(0.2 * duration, 0.8 * duration)

    def show_sweeps(self, sweeps) -> None:
        """Show recorded sweeps (:class:`vlab.recording.Sweep`, SI) as if just recorded.

        Used after reopening an experiment: the newest run's sweeps are overlaid in
        episodic display, a channel a sweep lacks drawn empty.
        """
        self._clear_sweeps()
        shown = [s for s in sweeps if "Vm" in s.channels or "Im" in s.channels]
        if not shown:
            return
        self.set_display("episodic")
        modes = {str(s.provenance.get("mode", "")) for s in shown}
        self._mode = "VC" if modes == {"VC"} else "CC"
        duration = 0.0
        for s in shown:
            t = s.time()
            blank = np.full(t.size, np.nan)
            self._new_sweep(s.index)
            sw = self.sweeps[-1]
            sw.t.append(t)
            sw.vm.append(np.asarray(s.channels.get("Vm", blank), dtype=np.float64))
            sw.im.append(np.asarray(s.channels.get("Im", blank), dtype=np.float64))
            sw.done = True
            duration = max(duration, float(t[-1]) if t.size else 0.0)
        self._episode_duration = duration
        self.vm_plot.setXRange(0, duration, padding=0.01)
        self.sweep_label.setText(self.tr("{} sweeps reopened").format(len(shown)))
        self.set_cursors(0.2 * duration, 0.8 * duration)
        self._autoscale_pending = True
        self._dirty = True
        self._measure_due = 0.0

    def set_display(self, display: str) -> None:
        if display == self.display:
            return
        self.display = display
        gap = display == "gap-free"
        self.vm_curve.setVisible(gap)
        self.im_curve.setVisible(gap)
        for sw in self.sweeps:
            for it in (sw.vm_item, sw.im_item):
                if it is not None:
                    it.setVisible(not gap)
        self._show_legend(not gap and bool(self.sweeps))
        if gap:
            self.sweep_label.setText("")
            self.ring.clear()
            self.vm_plot.setXRange(0, self.window_s, padding=0)
        self._autoscale_pending = True
        self.reset_cursors()

    def set_window(self, seconds: float) -> None:
        self.window_s = float(seconds)
        self._dirty = True
        self.reset_cursors()

    def _new_sweep(self, index: int) -> None:
        """Overlay a new sweep now, with its curves (a sweep that arrives with the data
        gets them at the next frame, :meth:`_settle`)."""
        self._add_sweep(_Sweep(index))
        self._settle()

    def _add_sweep(self, sw: _Sweep) -> None:
        """Put ``sw`` in the overlay; its curves come at :meth:`_settle`."""
        self.sweeps.append(sw)
        while len(self.sweeps) > self.MAX_SWEEPS:
            self._retired.append(self.sweeps.pop(0))

    def _settle(self) -> None:
        """Bring the overlay's curves up to date with :attr:`sweeps`: release the curves
        of the sweeps that left it, give the new ones a curve pair, fade the older ones.
        Called in the scope's frame (:meth:`redraw`), so that the picture changes only in
        the scope's turn of the frame pacer."""
        for sw in self._retired:
            self._release(sw)
        self._retired.clear()
        new = [sw for sw in self.sweeps if sw.vm_item is None]
        for sw in new:
            sw.vm_item, sw.im_item = self._curve_pair(sw.index)
        if new:
            self._fade()

    def _curve_pair(self, index: int) -> tuple:
        colour = SWEEP_COLOURS[index % len(SWEEP_COLOURS)]
        if self._pool:  # reuse a curve pair: creating plot items costs ~10 ms per sweep
            vm_item, im_item = self._pool.pop()
            for it in (vm_item, im_item):
                it.setVisible(self.display == "episodic")
                if it.opts["pen"].color() != QColor(colour):  # the pair was another sweep's
                    _restyle(it, pg.mkPen(colour, width=1))
            return vm_item, im_item
        vm_item = self.vm_plot.plot(pen=pg.mkPen(colour, width=1))
        im_item = self.im_plot.plot(pen=pg.mkPen(colour, width=1))
        for it in (vm_item, im_item):
            it.setSkipFiniteCheck(True)
        return vm_item, im_item

    def _release(self, sw: _Sweep) -> None:
        """Hide a sweep's curves and keep them for the next sweep."""
        if sw.vm_item is None:
            return  # it came and went between two frames
        for it in (sw.vm_item, sw.im_item):
            it.setVisible(False)
            it.setData([], [])
        self._pool.append((sw.vm_item, sw.im_item))
        sw.vm_item = sw.im_item = None

    def _update_legend(self) -> None:
        """Name the newest LEGEND_MAX sweeps in the legend (at a frame, :meth:`redraw`:
        relabelling it in :meth:`add_block` for every sweep of a Repeat run at 10x was GUI
        work outside the views' turns, bench/bench_soak.py).

        Its rows are re-pointed at the new sweeps rather than rebuilt: clearing and
        re-adding every row for each sweep of a Repeat run at 10x was a measurable share
        of the GUI thread's time in ``bench/bench_soak.py`` (text items are costly to make).
        """
        shown = self.sweeps[-self.LEGEND_MAX :]
        if len(self.legend.items) > len(shown):
            self.legend.clear()
        for sw in shown[len(self.legend.items) :]:
            self.legend.addItem(sw.vm_item, self.tr("sweep {}").format(sw.index + 1))
        resized = False
        for (sample, label), sw in zip(self.legend.items, shown, strict=True):
            if sample.item is not sw.vm_item:
                sample.item = sw.vm_item
                sample.update()
            text = self.tr("sweep {}").format(sw.index + 1)
            if label.text != text:
                label.setText(text)
                resized = True
        if resized:
            self.legend.updateSize()
        self._show_legend(self.display == "episodic" and bool(shown))

    def _show_legend(self, visible: bool) -> None:
        """Show or hide the sweep legend, opening or closing the strip above the Vm plot."""
        height = int(math.ceil(self.legend.height())) + 1 if visible else 0
        if visible != self.legend.isVisible() or height != self._legend_strip:
            self._legend_strip = height
            self.legend.setVisible(visible)
            self.vm_plot.layout.setRowFixedHeight(0, height)

    def _fade(self) -> None:
        """Older sweeps fade: the newest drawn opaque, each older one more transparent
        (down to a floor). Done with the items' opacity, not their pens: a new pen makes
        pyqtgraph recompute the curve's bounds from its data (two passes over the trace
        and the view's pixel size, for ~26 curves at every new sweep: 2-4 ms of each
        sweep-completing frame in bench/bench_soak.py); opacity leaves the bounds alone."""
        self._legend_due = True  # named at the next frame: once however many sweeps came
        n = len(self.sweeps)
        for age, sw in enumerate(reversed(self.sweeps)):
            alpha = 255 if age == 0 else max(70, int(230 - 12 * age))
            sw.vm_item.setZValue(n - age)
            sw.im_item.setZValue(n - age)
            if alpha == sw.alpha:
                continue  # old sweeps reach the floor alpha and stay there
            sw.alpha = alpha
            sw.vm_item.setOpacity(alpha / 255)
            sw.im_item.setOpacity(alpha / 255)

    def _clear_sweeps(self) -> None:
        for sw in self._retired + self.sweeps:
            self._release(sw)
        self._retired.clear()
        self.sweeps.clear()
        self._update_legend()

    def clear(self) -> None:
        """Remove every trace (gap-free buffer and episodic sweeps)."""
        self._clear_sweeps()
        self.ring.clear()
        self.vm_curve.setData([], [])
        self.im_curve.setData([], [])
        self._dirty = True
        self._measure_due = 0.0

    # ------------------------------------------------------------------ drawing
    def newest_trace(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t, Vm, Im) of what the scope shows newest: the ring or the last sweep."""
        if self.display == "gap-free":
            t, vm, im = self._window()
            return t, vm, im
        if not self.sweeps:
            e = np.zeros(0)
            return e, e, e
        return self.sweeps[-1].arrays()

    def _window(self) -> np.ndarray:
        """The gap-free samples inside the strip-chart window, (3, n)."""
        if self._dt > 0:
            return self.ring.last(int(round(self.window_s / self._dt)) + 1)
        x = self.ring.data()
        if x.shape[1]:
            x = x[:, x[0] >= x[0, -1] - self.window_s]
        return x

    def pace(self, pacer) -> None:
        """Redraw in turns with the window's other views (:mod:`vlab.gui.frame_pacer`)
        instead of on the scope's own timer."""
        self._timer.stop()
        pacer.add("scope", self.redraw, self.REDRAW_HZ, views=[self.glw])

    def redraw(self) -> bool:
        """Push new data into the curves (called by the REDRAW_HZ timer; cheap when idle).
        Returns whether there was anything new to draw."""
        if not self._dirty:
            return False
        self._dirty = False
        self._settle()
        if self._sweep_text is not None:
            self.sweep_label.setText(self._sweep_text)
            self._sweep_text = None
        if self._x_due and self._episode_duration is not None:
            self._x_due = False
            self.vm_plot.setXRange(0, self._episode_duration, padding=0.01)
        if self._legend_due:
            self._legend_due = False
            self._update_legend()
        if self.display == "gap-free":
            t, vm, im = self._window()
            if t.size:
                t_end = t[-1]
                bins = max(200, int(self.vm_plot.vb.width()))
                td, (vmd, imd) = peak_decimate(t, [vm, im], bins)
                self.vm_curve.setData(td, vmd)
                self.im_curve.setData(td, imd)
                if not self._autoscale_pending and imd.size:
                    self._expand(self.im_plot, float(imd.min()), float(imd.max()))
                t0 = max(t_end - self.window_s, 0.0) if t_end > self.window_s else 0.0
                x_old = self.vm_plot.viewRange()[0][0]
                self.vm_plot.setXRange(t0, t0 + self.window_s, padding=0)
                if t0 != x_old:  # cursors keep their place on the screen, like a scope's
                    self._shift_cursors(t0 - x_old)
        else:
            for sw in self.sweeps:
                if sw.dirty:
                    t, vm, im = sw.arrays()
                    sw.vm_item.setData(t, vm)
                    sw.im_item.setData(t, im)
                    sw.dirty = False
        self._update_reversal_lines()
        if self._autoscale_pending:
            self._autoscale_pending = False
            self._expand_pending = False
            self.autoscale(vm=self.display == "episodic" and self._mode == "VC")
        elif self._expand_pending:
            self._expand_pending = False
            self.autoscale(vm=self.display == "episodic" and self._mode == "VC", expand_only=True)
        now = time.perf_counter()
        if now >= self._measure_due:
            self._measure_due = now + 0.2
            self.update_measurements()
        self._frames += 1
        if now - self._fps_t0 >= 1.0:
            self.fps = self._frames / (now - self._fps_t0)
            self._frames = 0
            self._fps_t0 = now
        self.frame_painted.emit()
        return True

    def set_reversal(self, reversal: dict[str, float]) -> None:
        """Show these reversal potentials (V) now (after undo, a preparation switch...)."""
        self.reversal = dict(reversal)
        self._update_reversal_lines()

    def set_hidden_readouts(self, names) -> None:
        """Hide read-outs a practical step asks for (``"reversals"``: the E lines)."""
        self.hidden_readouts = frozenset(names)
        self._update_reversal_lines()

    def _update_reversal_lines(self) -> None:
        for ion, line in self.e_lines.items():
            e = self.reversal.get(ion)
            if e is None or "reversals" in self.hidden_readouts:
                line.setVisible(False)
                continue
            line.setVisible(True)
            if line.value() != e:
                line.setValue(e)
                line.label.setFormat(f"E{ion} {e * 1e3:.0f} mV")

    def _visible_data(self):
        if self.display == "gap-free":
            t, vm, im = self._window()
            return [(t, vm, im)]
        return [sw.arrays() for sw in self.sweeps]

    def _set_fit(self, plot, lo: float, hi: float, minspan: float) -> None:
        self._fit[id(plot)] = (lo, hi)
        span = max(hi - lo, minspan)
        mid = 0.5 * (hi + lo)
        plot.setYRange(mid - 0.55 * span, mid + 0.55 * span, padding=0)

    def _expand(self, plot, lo: float, hi: float, minspan: float = 1e-10) -> None:
        """Widen ``plot``'s y range (never narrow it) so that [lo, hi] is in sight.

        The new range is fitted to everything seen since the last full autoscale (not to
        the old view), so repeated widening does not pile up margins."""
        (y0, y1) = plot.viewRange()[1]
        if lo >= y0 and hi <= y1:
            return
        f0, f1 = self._fit.get(id(plot), (lo, hi))
        self._set_fit(plot, min(lo, f0), max(hi, f1), minspan)

    def autoscale(self, vm: bool = True, expand_only: bool = False) -> None:
        """Fit the channels' y ranges to the data on screen (once; then fixed again).

        ``expand_only`` only widens the ranges (used as sweeps arrive, so that a running
        protocol never leaves the screen while the picture stays steady).
        """
        parts = self._visible_data()
        for k, plot, minspan in ((1, self.vm_plot, 5e-3), (2, self.im_plot, 1e-10)):
            if k == 1 and not vm:
                continue
            arrs = [p[k] for p in parts if p[k].size]
            if not arrs:
                continue
            if k == 2 and self._mode == "VC":
                # capacitive transients last a sample or two: fit the ionic currents
                allv = np.concatenate(arrs)
                lo, hi = (float(x) for x in np.percentile(allv, [0.2, 99.8]))
            else:
                lo = min(float(a.min()) for a in arrs)
                hi = max(float(a.max()) for a in arrs)
            if k == 1:  # keep the reversal potentials in sight
                es = [e for ion, e in self.reversal.items() if ion in self.e_lines]
                if es and not self._mode == "VC":
                    lo, hi = min(lo, *es), max(hi, *es)
            if expand_only:
                self._expand(plot, lo, hi, minspan)
            else:
                self._set_fit(plot, lo, hi, minspan)
        if self.display == "episodic" and self._episode_duration and not expand_only:
            self.vm_plot.setXRange(0, self._episode_duration, padding=0.01)

    def _fit_table(self) -> None:
        """Size the cursor table to its font: three rows tall (more scroll), and the first
        column wide enough for a two-digit sweep's name with its swatch (the other columns
        share the rest). A fixed width, not ResizeToContents, which would measure every row
        again at each frame's new values."""
        fm = self.table.fontMetrics()
        row_h = fm.height() + 10
        self.table.verticalHeader().setDefaultSectionSize(row_h)
        self.table.horizontalHeader().setFixedHeight(row_h)
        self.table.setFixedHeight(4 * row_h + 4)  # header + 3 rows; more scroll
        names = (self.tr("sweep {}").format(88), self.tr("trace"))
        text = max(fm.horizontalAdvance(f"{n} Vm") for n in names)
        icon = self.table.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, text + icon + 18)  # the swatch, its margins, the text's

    # ------------------------------------------------------------------ cursors
    def _sync_cursor(self, line, other) -> None:
        if other.value() != line.value():
            other.setValue(line.value())
        if not self._shifting:
            self.update_measurements()

    def _shift_cursors(self, dx: float) -> None:
        self._shifting = True
        try:
            for a, _b in self.cursors:
                a.setValue(a.value() + dx)
        finally:
            self._shifting = False

    def cursor_positions(self) -> tuple[float, float]:
        a = self.cursors[0][0].value()
        b = self.cursors[1][0].value()
        return float(a), float(b)

    def set_cursors(self, x1: float, x2: float) -> None:
        self.cursors[0][0].setValue(x1)
        self.cursors[1][0].setValue(x2)

    def reset_cursors(self) -> None:
        (x0, x1), _ = self.vm_plot.viewRange()
        span = x1 - x0
        self.set_cursors(x0 + 0.25 * span, x0 + 0.75 * span)

    def measurements_all(self) -> list[dict]:
        """Between the cursors on every shown trace, newest first.

        Each row: ``name``, ``colour`` and, for ``"Vm"`` and ``"Im"``, dt, delta (y2 − y1),
        peak (Vm: maximum; Im: the sample of largest magnitude, signed) and mean (SI).
        A finished sweep's row is kept until the cursors move: a Repeat run completes a
        sweep at every frame, and measuring all 17 of the family again each time was a
        third of the scope's frame (bench/bench_soak.py).
        """
        x1, x2 = sorted(self.cursor_positions())
        if self.display == "gap-free":
            t, vm, im = self._window()
            return [self._measure_row(self.tr("trace"), VM_COLOUR, t, vm, im, x1, x2)]
        rows = []
        for sw in reversed(self.sweeps):
            if sw.done and sw.measured is not None and sw.measured[0] == (x1, x2):
                rows.append(sw.measured[1])
                continue
            t, vm, im = sw.arrays()
            name = self.tr("sweep {}").format(sw.index + 1)
            colour = SWEEP_COLOURS[sw.index % len(SWEEP_COLOURS)]
            row = self._measure_row(name, colour, t, vm, im, x1, x2)
            sw.measured = ((x1, x2), row) if sw.done else None
            rows.append(row)
        return rows

    @staticmethod
    def _measure_row(name, colour, t, vm, im, x1: float, x2: float) -> dict:
        """One row of :meth:`measurements_all`: the trace (t, Vm, Im) between x1 and x2."""
        row: dict = {"name": name, "colour": colour}
        pair = between_cursors_each([(t, vm), (t, im)], x1, x2)
        for chan, m in zip(("Vm", "Im"), pair, strict=True):
            res = {"dt": x2 - x1, "delta": m["dy"], "peak": m["max"], "mean": m["mean"]}
            if chan == "Im":
                res["peak"] = m["min"] if abs(m["min"]) > abs(m["max"]) else m["max"]
            if t.size < 2 or not ((t >= x1) & (t <= x2)).any():
                res["peak"] = res["mean"] = float("nan")
                if t.size < 2:
                    res["delta"] = float("nan")
            row[chan] = res
        return row

    def measurements(self) -> dict[str, dict[str, float]]:
        """Between the cursors on the newest trace: dt, delta (y2 - y1), peak, mean."""
        rows = self.measurements_all()
        if rows:
            return {"Vm": rows[0]["Vm"], "Im": rows[0]["Im"]}
        x1, x2 = sorted(self.cursor_positions())
        nan = float("nan")
        empty = {"dt": x2 - x1, "delta": nan, "peak": nan, "mean": nan}
        return {"Vm": dict(empty), "Im": dict(empty)}

    def _swatch(self, colour: str) -> QIcon:
        icon = self._swatches.get(colour)
        if icon is None:
            pix = QPixmap(10, 10)
            pix.fill(QColor(colour))
            icon = self._swatches[colour] = QIcon(pix)
        return icon

    def update_measurements(self) -> None:
        """Fill the cursor table: two rows (Vm, Im) per shown trace, newest first."""
        rows = self.measurements_all()
        n = max(2, 2 * len(rows))
        if self.table.rowCount() != n:
            self.table.setRowCount(n)
        r = 0
        for row in rows or [{"name": "", "colour": CURSOR_COLOUR, **self.measurements()}]:
            for chan, unit in (("Vm", "V"), ("Im", "A")):
                vals = row[chan]
                cells = (
                    f"{row['name']} {chan}".strip(),
                    format_si(vals["dt"], "s"),
                    format_si(vals["delta"], unit),
                    format_si(vals["peak"], unit),
                    format_si(vals["mean"], unit),
                )
                for c, text in enumerate(cells):
                    item = self.table.item(r, c)
                    if item is None:
                        item = QTableWidgetItem(text)
                        self.table.setItem(r, c, item)
                    elif item.text() != text:
                        item.setText(text)
                    if c == 0:  # a swatch of the sweep's colour (readable on any background)
                        item.setIcon(self._swatch(row["colour"]))
                r += 1

    # ------------------------------------------------------------------ look
    def set_ui_font(self, font: QFont) -> None:
        for p in (self.vm_plot, self.im_plot):
            for ax in ("left", "bottom"):
                axis = p.getAxis(ax)
                axis.setStyle(tickFont=font)
                axis.label.setFont(font)
        self.table.setFont(font)
        self.table.horizontalHeader().setFont(font)
        self._fit_table()

    def stop_timer(self) -> None:
        self._timer.stop()
