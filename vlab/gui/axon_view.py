"""The axon bench: propagation along an axon, as on a nerve-conduction bench.

What the student sees (docs/axon_view.md)
-----------------------------------------
- The axon drawn as a bar along a position axis in cm (myelin sheaths and nodes of Ranvier
  for the myelinated fibre; the drug-treated and the demyelinated stretches shaded), with a
  stimulating electrode ``S1`` and two recording electrodes ``R1``/``R2`` that the student
  drags. A second stimulating electrode ``S2`` (collision experiments) is shown when it is
  switched on. The drug stretch can be dragged too.
- A space-time plot of Vm(x, t) (colour, with a colour bar in mV) and a Vm(x) snapshot that
  animates during the replay; a time slider scrubs through the sweep.
- The recording electrodes' traces on a small two-channel scope (linked time axes) and a
  readout as on a nerve-conduction bench: distance R1-R2, the latency at each electrode
  (from the stimulus onset to half the action potential's height,
  :func:`vlab.sim.cable.spike_times`), the latency difference and the velocity.
  Moving a recording electrode updates the traces and the readout at once, without a new
  simulation: every compartment's Vm is stored at every sample.

Replay, not live stepping (the design choice)
---------------------------------------------
:meth:`vlab.sim.cable.Axon.run` is a batch call that starts from rest every time; there is
no API to continue a cable run in chunks. A whole sweep is short to compute (a 20 ms squid
sweep of 1000 compartments takes about 0.1 s), so the bench computes the full sweep in the
worker thread, with ``snapshot_every`` equal to the sample interval (10 us), then *replays*
the stored snapshots paced to the wall clock at the chosen slow-motion factor (1x, 0.1x,
0.01x, 0.001x). Real time is useless to the eye (the spike crosses 5 cm of squid axon in
2.7 ms), so the default is 0.001x: 1 ms of axon time per second, the spike takes about
3 s to cross the squid axon.

Threading (as :mod:`vlab.gui.worker`, docs/architecture.md section 3)
--------------------------------------------------------------------
:class:`AxonWorker` is a QObject moved to its own QThread. ``compute`` (a queued slot) runs
the sweep, emits ``computed`` with an :class:`AxonSweep` (the space-time image is resampled
there too, off the GUI thread) and starts a ``QTimer`` created *inside the worker thread*
that emits the replay time every 15 ms, paced to the wall clock. The window keeps only the
newest replay time; its own 60 Hz redraw timer draws a frame when the time moved, with one
``setData`` per curve (the space-time image is set once per sweep). :class:`AxonHost` stops
cleanly: ``stop`` is invoked in the worker thread (blocking-queued), then ``quit()`` and
``wait()``; ``terminate()`` is never used. A sweep being computed cannot be interrupted
(the kernel is one call), so closing mid-computation waits for it, at most ~0.1-0.3 s.
The compiled kernel holds the GIL while it runs, so the GUI thread pauses for that long
once per Run; the replay itself never stalls the GUI.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QRectF,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from vlab.gui.worker import ThreadHost, TickWorker, live_threads
from vlab.rig.axon_bench import (
    LOCAL_DRUG_DEFAULTS,
    NOTE_SAME_PLACE,
    NOTE_TWO_STIMULI,
    PREPARATION_DEFAULTS,
    SAMPLE_INTERVAL,
    AxonSetup,
    BenchError,
    BenchSweep,
    PulseStimulus,
    local_drug_names,
    readout,
    run_pulse,
    stretch,
    sweep_for_export,
)
from vlab.sim.cable import Axon
from vlab.sim.drugs import get_drug
from vlab.units import UnitError, parse_quantity

if TYPE_CHECKING:
    from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog

log = logging.getLogger(__name__)

__all__ = [
    "AxonHost",
    "AxonRequest",
    "AxonSweep",
    "AxonWindow",
    "AxonWorker",
    "PREPARATIONS",
    "SPEEDS",
    "live_threads",
]

#: slow-motion factors offered (x real time); the default is the last one
SPEEDS = (1.0, 0.1, 0.01, 0.001)
DEFAULT_SPEED = 0.001
IMAGE_MAX_X = 800  # columns of the space-time image (position, resampled uniformly)
IMAGE_MAX_T = 1500  # rows of the space-time image (time, decimated)
PREPARATIONS = PREPARATION_DEFAULTS

# Okabe & Ito colours (as the scope)
R_COLOURS = ("#56B4E9", "#E69F00")  # R1 sky blue, R2 orange
STIM_COLOUR = "#D55E00"
DRUG_BRUSH = (240, 228, 66, 70)
DEMYEL_BRUSH = (204, 121, 167, 90)
BACKGROUND = "#101418"
VM_LIMITS_MV = (-90.0, 60.0)
COLOUR_LEVELS_MV = (-80.0, 50.0)
DRUG_TEXT_Y = 0.2  # label of the treated stretch, in the axon plot's 0..1 height


def _tr(text: str) -> str:
    return QCoreApplication.translate("AxonWindow", text)


# ---------------------------------------------------------------------------- data
@dataclass
class AxonRequest:
    """One sweep to compute: an :class:`Axon` built by the GUI (then owned by the worker)."""

    run_id: int
    axon: Axon
    stimulus: PulseStimulus


@dataclass
class AxonSweep(BenchSweep):
    """A computed bench sweep (:class:`vlab.rig.axon_bench.BenchSweep`) with its display image."""

    run_id: int = 0
    image: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    image_rect: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # x0 cm, t0 ms, w cm, h ms


def space_time_image(x: np.ndarray, v: np.ndarray, length: float) -> np.ndarray:
    """Resample ``v`` (n_t, n_comp) V onto a uniform position grid; (nx, nt') mV float32."""
    nt = v.shape[0]
    stride = max(1, math.ceil(nt / IMAGE_MAX_T))
    rows = v[::stride]
    nx = min(IMAGE_MAX_X, max(2 * len(x), 50))
    xg = (np.arange(nx) + 0.5) * length / nx
    j = np.clip(np.searchsorted(x, xg), 1, len(x) - 1)
    w = np.clip((xg - x[j - 1]) / (x[j] - x[j - 1]), 0.0, 1.0)
    img = rows[:, j - 1] * (1.0 - w) + rows[:, j] * w
    return np.ascontiguousarray((img * 1e3).T, dtype=np.float32)


# ---------------------------------------------------------------------------- worker
class AxonWorker(TickWorker):
    """Computes sweeps and paces their replay (lives in the worker thread)."""

    computed = Signal(object)  # AxonSweep
    position = Signal(int, float)  # run id, replay time (s of axon time)
    replay_done = Signal(int)
    error = Signal(int, str)
    ready = Signal()

    TICK_MS = 15
    MAX_WALL_PER_TICK = 0.1  # s: after a stall the replay continues, it does not jump

    def __init__(self) -> None:
        super().__init__()
        self._timer = None
        self._speed = DEFAULT_SPEED
        self._run = -1
        self._t = 0.0
        self._t_end = 0.0
        self._last = 0.0

    @Slot()
    def start(self) -> None:
        self._make_timer()
        self.ready.emit()

    @Slot(float)
    def set_speed(self, factor: float) -> None:
        self._speed = min(max(float(factor), 1e-5), 10.0)

    @Slot(object)
    def compute(self, req: AxonRequest) -> None:
        self.stop_replay()
        try:
            bench = run_pulse(req.axon, req.stimulus)
            image = space_time_image(bench.comp["x"], bench.v, bench.length)
        except Exception as exc:  # noqa: BLE001 - every failure is shown to the student
            log.warning("axon sweep failed: %s", exc)
            self.error.emit(req.run_id, str(exc))
            return
        sweep = AxonSweep(
            **vars(bench),
            run_id=req.run_id,
            image=image,
            image_rect=(0.0, 0.0, bench.length * 100.0, float(bench.t[-1]) * 1e3),
        )
        self.computed.emit(sweep)
        self.replay(req.run_id, 0.0, float(bench.t[-1]))

    @Slot(int, float, float)
    def replay(self, run_id: int, t_from: float, t_end: float) -> None:
        if self._timer is None:
            return
        self._run, self._t, self._t_end = run_id, t_from, t_end
        self._last = time.perf_counter()
        self.position.emit(run_id, t_from)
        self._timer.start(self.TICK_MS)

    @Slot()
    def stop_replay(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    @Slot()
    def _tick(self) -> None:
        now = time.perf_counter()
        wall = min(now - self._last, self.MAX_WALL_PER_TICK)
        self._last = now
        self._t += wall * self._speed
        if self._t >= self._t_end:
            self._t = self._t_end
            if self._timer is not None:
                self._timer.stop()
            self.position.emit(self._run, self._t)
            self.replay_done.emit(self._run)
            return
        self.position.emit(self._run, self._t)


class AxonHost(ThreadHost):
    """Owns the axon worker's thread; its signals queue commands into the worker."""

    compute = Signal(object)
    replay = Signal(int, float, float)
    stop_replay = Signal()
    set_speed = Signal(float)
    worker: AxonWorker

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(AxonWorker(), "vlab-axon", parent)
        self.compute.connect(self.worker.compute)
        self.replay.connect(self.worker.replay)
        self.stop_replay.connect(self.worker.stop_replay)
        self.set_speed.connect(self.worker.set_speed)


# ---------------------------------------------------------------------------- window
def _style(plot: pg.PlotItem, left_width: int = 62) -> None:
    plot.hideButtons()
    plot.getAxis("left").setWidth(left_width)
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)


class _PaintCounter(QObject):
    """Counts paint events of a widget (frames actually rendered)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.count = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


class AxonWindow(QMainWindow):
    """The axon bench (see module docstring)."""

    frame_drawn = Signal()
    sweep_shown = Signal()

    REDRAW_HZ = 60

    def __init__(self, parent: QWidget | None = None, preparation: str = "squid_axon") -> None:
        super().__init__(parent)
        if preparation not in PREPARATIONS:
            raise ValueError(
                f"unknown axon preparation {preparation!r}; choose one of {', '.join(PREPARATIONS)}"
            )
        self.setWindowTitle(self.tr("vlab — axon bench: propagation"))
        self.setObjectName("axon_window")
        pg.setConfigOptions(antialias=False, useOpenGL=False)

        self.preparation = preparation
        self.sweep: AxonSweep | None = None
        self.velocity = math.nan
        self.latencies = [math.nan, math.nan]
        self.sites = [math.nan, math.nan]
        self.computing = False
        self.replaying = False
        self.stale = False
        self._run_id = 0
        self._t_show = 0.0
        self._dirty = False
        self.frames_drawn = 0
        self.fps = 0.0
        self._fps_frames = 0
        self._fps_t0 = time.perf_counter()
        self._axon_items: list = []
        self._bad: QLineEdit | None = None  # the field a refused setting came from
        self._geom = Axon(preparation)

        self._build_controls()
        self._build_plots()
        self._build_bench()

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.controls_scroll)
        splitter.addWidget(self.centre)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 1)
        splitter.setSizes([300, 640, 340])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)
        self.status_label = QLabel("")
        self.statusBar().addPermanentWidget(self.status_label)
        self.resize(1280, 800)

        self.host = AxonHost()  # no parent: it must outlive the window's C++ children
        self.host.worker.computed.connect(self._on_computed)
        self.host.worker.position.connect(self._on_position)
        self.host.worker.replay_done.connect(self._on_replay_done)
        self.host.worker.error.connect(self._on_error)
        host = self.host
        self.destroyed.connect(lambda *_: host.shutdown())
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.host.set_speed.emit(self.speed)
        self.host.start()

        self._paints = _PaintCounter(self)
        self.glw.viewport().installEventFilter(self._paints)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.timeout.connect(self.redraw)
        self._redraw_timer.start(int(1000 / self.REDRAW_HZ))

        self._apply_preparation(preparation, first=True)

    # ================================================================ building
    def _edit(self, text: str, tip: str) -> QLineEdit:
        e = QLineEdit(text)
        e.setToolTip(tip)
        e.textEdited.connect(self._mark_stale)
        e.setMinimumWidth(80)
        return e

    def _build_controls(self) -> None:
        # preparation
        self.prep_combo = QComboBox()
        self.prep_combo.addItem(self.tr("Squid giant axon (unmyelinated)"), "squid_axon")
        self.prep_combo.addItem(self.tr("Myelinated fibre (10 µm)"), "myelinated_axon")
        self.prep_combo.setToolTip(
            self.tr("The axon on the bench. Changing it resets the settings to its defaults.")
        )
        self.prep_combo.currentIndexChanged.connect(
            lambda i: self._apply_preparation(self.prep_combo.itemData(i))
        )
        self.prep_info = QLabel("")
        self.prep_info.setWordWrap(True)
        self.prep_info.setStyleSheet("color: palette(mid);")
        g_prep = QGroupBox(self.tr("Preparation"))
        lp = QVBoxLayout(g_prep)
        lp.addWidget(self.prep_combo)
        lp.addWidget(self.prep_info)

        # stimulus
        self.amp_edit = self._edit(
            "20 uA", self.tr("Current of the stimulating electrode S1, with a unit (e.g. 20 uA).")
        )
        self.dur_edit = self._edit(
            "0.2 ms", self.tr("Length of the stimulus pulse, with a unit (e.g. 0.2 ms).")
        )
        self.sweep_edit = self._edit(
            "10 ms",
            self.tr(
                "How long to simulate, with a unit (at most 50 ms). The pulse starts at 0.5 ms."
            ),
        )
        self.collision_box = QCheckBox(self.tr("Second stimulus S2 (collision)"))
        self.collision_box.setToolTip(
            self.tr(
                "Stimulate at S2 too (at the far end; drag it), at the same time and strength. "
                "Watch the two action potentials meet."
            )
        )
        self.collision_box.toggled.connect(self._on_collision_toggled)
        g_stim = QGroupBox(self.tr("Stimulus"))
        fs = QFormLayout(g_stim)
        fs.addRow(self.tr("Amplitude"), self.amp_edit)
        fs.addRow(self.tr("Duration"), self.dur_edit)
        fs.addRow(self.tr("Sweep"), self.sweep_edit)
        fs.addRow(self.collision_box)

        # axon
        self.diameter_edit = self._edit(
            "476 um",
            self.tr(
                "Axon diameter, with a unit. Thicker unmyelinated axons conduct faster (∝ √d)."
            ),
        )
        self.temperature_edit = self._edit(
            "18.5 degC", self.tr("Temperature, with a unit (degC). Warmer axons conduct faster.")
        )
        g_axon = QGroupBox(self.tr("Axon"))
        fa = QFormLayout(g_axon)
        fa.addRow(self.tr("Diameter"), self.diameter_edit)
        fa.addRow(self.tr("Temperature"), self.temperature_edit)

        # local drug
        self.drug_combo = QComboBox()
        self.drug_combo.addItem(self.tr("none"), "")
        for n in local_drug_names():
            self.drug_combo.addItem(n, n)
        self.drug_combo.setToolTip(
            self.tr(
                "Apply a channel blocker to one stretch of the axon only (e.g. lidocaine on "
                "1 cm): does the action potential get past it?"
            )
        )
        self.drug_combo.currentIndexChanged.connect(self._on_drug_changed)
        self.drug_conc_edit = self._edit(
            "", self.tr("Concentration on the stretch, with a unit (e.g. 1 mM, 1 uM).")
        )
        self.drug_from_edit = self._edit(
            "2.0 cm", self.tr("Start of the treated stretch (e.g. 2 cm).")
        )
        self.drug_to_edit = self._edit("3.0 cm", self.tr("End of the treated stretch (e.g. 3 cm)."))
        for e in (self.drug_from_edit, self.drug_to_edit):
            e.editingFinished.connect(self._update_regions)
        g_drug = QGroupBox(self.tr("Drug on a stretch"))
        fd = QFormLayout(g_drug)
        fd.addRow(self.tr("Drug"), self.drug_combo)
        fd.addRow(self.tr("Concentration"), self.drug_conc_edit)
        row = QHBoxLayout()
        row.addWidget(self.drug_from_edit)
        row.addWidget(QLabel(self.tr("to")))
        row.addWidget(self.drug_to_edit)
        fd.addRow(self.tr("From"), row)

        # demyelination
        self.demyel_box = QCheckBox(self.tr("Demyelinate a stretch"))
        self.demyel_box.setToolTip(
            self.tr("Strip the myelin from the internodes of one stretch (myelinated fibre only).")
        )
        self.demyel_box.toggled.connect(self._mark_stale)
        self.demyel_box.toggled.connect(self._update_regions)
        self.demyel_from_edit = self._edit("0.8 cm", self.tr("Start of the demyelinated stretch."))
        self.demyel_to_edit = self._edit("1.1 cm", self.tr("End of the demyelinated stretch."))
        for e in (self.demyel_from_edit, self.demyel_to_edit):
            e.editingFinished.connect(self._update_regions)
        self.g_demyel = QGroupBox(self.tr("Myelin"))
        fm = QFormLayout(self.g_demyel)
        fm.addRow(self.demyel_box)
        row = QHBoxLayout()
        row.addWidget(self.demyel_from_edit)
        row.addWidget(QLabel(self.tr("to")))
        row.addWidget(self.demyel_to_edit)
        fm.addRow(self.tr("From"), row)

        # run
        self.speed_combo = QComboBox()
        for s in SPEEDS:
            text = (
                self.tr("1× (real time)")
                if s == 1.0
                else self.tr("{}× slow motion").format(f"{s:g}")
            )
            self.speed_combo.addItem(text, s)
        self.speed_combo.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        self.speed_combo.setToolTip(
            self.tr(
                "Replay speed. 0.001× shows 1 ms of axon time per second: slow enough to "
                "watch the action potential travel."
            )
        )
        self.speed_combo.currentIndexChanged.connect(
            lambda _i: self.host.set_speed.emit(self.speed)
        )
        self.run_button = QPushButton(self.tr("Run"))
        self.run_button.setToolTip(self.tr("Simulate the sweep with these settings and replay it."))
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the simulation or pause the replay."))
        self.stop_button.clicked.connect(self.stop)
        self.replay_button = QPushButton(self.tr("Replay"))
        self.replay_button.setToolTip(
            self.tr("Play the last sweep again (from the slider position, or from the start).")
        )
        self.replay_button.clicked.connect(self.replay)
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setToolTip(
            self.tr(
                "Save the stimulus and Vm at R1 and R2 of the last sweep (CSV, NumPy, ABF, ATF) "
                "for Clampfit, Stimfit, a spreadsheet or Python."
            )
        )
        self.export_button.clicked.connect(lambda: self.export())
        self.export_button.setEnabled(False)
        g_run = QGroupBox(self.tr("Run"))
        fr = QFormLayout(g_run)
        fr.addRow(self.tr("Speed"), self.speed_combo)
        row = QHBoxLayout()
        for b in (self.run_button, self.stop_button, self.replay_button):
            row.addWidget(b)
        fr.addRow(row)
        fr.addRow(self.export_button)

        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        panel = QWidget()
        lay = QVBoxLayout(panel)
        lay.setContentsMargins(4, 4, 4, 4)
        for g in (g_prep, g_stim, g_axon, g_drug, self.g_demyel, g_run):
            lay.addWidget(g)
        lay.addWidget(self.message_label)
        lay.addStretch(1)
        self.controls_scroll: QScrollArea = QScrollArea()
        self.controls_scroll.setWidget(panel)
        self.controls_scroll.setWidgetResizable(True)
        self.controls_scroll.setMinimumWidth(280)
        self.controls_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _build_plots(self) -> None:
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground(BACKGROUND)
        self.glw.setToolTip("")
        # the axon with its electrodes
        self.axon_plot: pg.PlotItem = self.glw.addPlot(row=0, col=0)
        _style(self.axon_plot)
        self.axon_plot.setMouseEnabled(x=False, y=False)
        self.axon_plot.setMenuEnabled(False)
        self.axon_plot.setYRange(0, 1, padding=0)
        self.axon_plot.getAxis("left").setTicks([[]])
        self.axon_plot.setLabel("left", self.tr("axon"))
        self.axon_plot.getAxis("bottom").setStyle(showValues=False)
        self.axon_plot.setTitle(
            self.tr("Drag the electrodes: S stimulates, R1 and R2 record"), size="9pt"
        )
        # space-time
        self.st_plot: pg.PlotItem = self.glw.addPlot(row=1, col=0)
        _style(self.st_plot)
        self.st_plot.setLabel("left", self.tr("time"), units="ms")
        self.st_plot.getAxis("bottom").setStyle(showValues=False)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.st_plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(
            values=COLOUR_LEVELS_MV,
            colorMap=pg.colormap.get("viridis"),
            label=self.tr("Vm (mV)"),
            interactive=False,
            width=16,
        )
        self.colour_bar.setImageItem(self.image)
        self.glw.addItem(self.colour_bar, row=1, col=1)
        self.time_hline = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen("#FFFFFF", width=1, style=Qt.PenStyle.DashLine)
        )
        self.st_plot.addItem(self.time_hline, ignoreBounds=True)
        # Vm(x) snapshot
        self.snap_plot: pg.PlotItem = self.glw.addPlot(row=2, col=0)
        _style(self.snap_plot)
        self.snap_plot.setLabel("left", self.tr("Vm"), units="mV")
        self.snap_plot.setLabel("bottom", self.tr("position along the axon"), units="cm")
        self.snap_plot.setYRange(*VM_LIMITS_MV, padding=0)
        self.snap_plot.showGrid(x=True, y=True, alpha=0.2)
        self.snap_curve = self.snap_plot.plot(pen=pg.mkPen("#F0E442", width=2))
        self.snap_text = pg.TextItem("", color="#DDDDDD", anchor=(1, 0))
        self.snap_plot.addItem(self.snap_text, ignoreBounds=True)
        for p in (self.st_plot, self.snap_plot):
            p.setXLink(self.axon_plot)
        lay = self.glw.ci.layout
        lay.setRowStretchFactor(0, 2)
        lay.setRowStretchFactor(1, 6)
        lay.setRowStretchFactor(2, 3)
        self.axon_plot.setMaximumHeight(120)
        self.axon_plot.setMinimumHeight(95)

        # electrodes on the axon (draggable) and their mirrors on the other plots
        self.stim_line = self._electrode("S1", STIM_COLOUR, 0.0, 0.12)
        self.stim2_line = self._electrode("S2", STIM_COLOUR, 5.0, 0.12)
        self.stim_line.sigPositionChanged.connect(self._mark_stale)
        self.stim2_line.sigPositionChanged.connect(self._mark_stale)
        self.stim_line.setToolTip(self.tr("Stimulating electrode S1: drag it, then Run again."))
        self.stim2_line.setToolTip(self.tr("Second stimulating electrode S2 (collision)."))
        self.rec_lines: list[pg.InfiniteLine] = []
        self._mirrors: list[list[pg.InfiniteLine]] = []
        for k, colour in enumerate(R_COLOURS):
            line = self._electrode(f"R{k + 1}", colour, 2.0 * (k + 1), 0.88)
            line.setToolTip(
                self.tr(
                    "Recording electrode R{}: drag it; the traces and the velocity follow."
                ).format(k + 1)
            )
            line.sigPositionChanged.connect(self._on_electrode_moved)
            self.rec_lines.append(line)
            mirrors = []
            for p in (self.st_plot, self.snap_plot):
                m = pg.InfiniteLine(
                    pos=line.value(),
                    angle=90,
                    movable=False,
                    pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                )
                p.addItem(m, ignoreBounds=True)
                mirrors.append(m)
            self._mirrors.append(mirrors)

        # drug / demyelination regions on the axon (the drug stretch can be dragged)
        self.drug_region = pg.LinearRegionItem(
            values=(2.0, 3.0), brush=pg.mkBrush(*DRUG_BRUSH), movable=True, swapMode="sort"
        )
        self.drug_region.setZValue(-5)
        self.drug_region.setToolTip(self.tr("Treated stretch: drag it or its edges."))
        self.drug_region.sigRegionChangeFinished.connect(self._on_drug_region_dragged)
        self.axon_plot.addItem(self.drug_region, ignoreBounds=True)
        self.drug_text = pg.TextItem("", color="#F0E442", anchor=(0.5, 0.5), fill=(16, 20, 24, 190))
        self.drug_text.setZValue(30)
        self.axon_plot.addItem(self.drug_text, ignoreBounds=True)
        self.demyel_region = pg.LinearRegionItem(
            values=(0.8, 1.1), brush=pg.mkBrush(*DEMYEL_BRUSH), movable=False
        )
        self.demyel_region.setZValue(-5)
        self.axon_plot.addItem(self.demyel_region, ignoreBounds=True)
        self.snap_drug_region = pg.LinearRegionItem(
            values=(2.0, 3.0), brush=pg.mkBrush(240, 228, 66, 30), movable=False
        )
        self.snap_drug_region.setZValue(-10)
        self.snap_plot.addItem(self.snap_drug_region, ignoreBounds=True)

        # time slider
        self.time_slider = QSlider(Qt.Orientation.Horizontal)
        self.time_slider.setRange(0, 0)
        self.time_slider.setToolTip(self.tr("Scrub through the sweep (pauses the replay)."))
        self.time_slider.valueChanged.connect(self._on_slider)
        self.time_label = QLabel(self.tr("t = — ms"))
        self.time_label.setMinimumWidth(110)
        srow = QHBoxLayout()
        srow.addWidget(QLabel(self.tr("Time")))
        srow.addWidget(self.time_slider, 1)
        srow.addWidget(self.time_label)

        self.centre = QWidget()
        lc = QVBoxLayout(self.centre)
        lc.setContentsMargins(2, 2, 2, 2)
        lc.addWidget(self.glw, 1)
        lc.addLayout(srow)

    def _electrode(self, name: str, colour: str, pos: float, label_pos: float) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            pos=pos,
            angle=90,
            movable=True,
            pen=pg.mkPen(colour, width=3),
            hoverPen=pg.mkPen("#FFFFFF", width=4),
            label=name + " {value:.2f} cm",
            labelOpts={"position": label_pos, "color": colour, "fill": (16, 20, 24, 200)},
        )
        self.axon_plot.addItem(line, ignoreBounds=True)
        return line

    def _build_bench(self) -> None:
        self.bench = QGroupBox(self.tr("Nerve-conduction bench"))
        self.bench.setToolTip(
            self.tr(
                "Latency: time from the stimulus onset to the 0 mV crossing of the action "
                "potential at each recording electrode. Velocity = distance / latency difference."
            )
        )
        f = QFormLayout(self.bench)
        self.distance_label = QLabel("—")
        self.latency_labels = [QLabel("—"), QLabel("—")]
        self.dlatency_label = QLabel("—")
        self.velocity_label = QLabel("—")
        big = QFont(self.velocity_label.font())
        big.setPointSizeF(big.pointSizeF() * 1.6)
        big.setBold(True)
        self.velocity_label.setFont(big)
        self.bench_note = QLabel("")
        self.bench_note.setWordWrap(True)
        self.bench_note.setStyleSheet("color: palette(mid);")
        f.addRow(self.tr("Distance R1–R2"), self.distance_label)
        for k, lab in enumerate(self.latency_labels):
            name = QLabel(self.tr("Latency at R{}").format(k + 1))
            name.setStyleSheet(f"color: {R_COLOURS[k]};")
            f.addRow(name, lab)
        f.addRow(self.tr("Latency difference"), self.dlatency_label)
        f.addRow(QLabel(self.tr("Conduction velocity")))
        self.velocity_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.velocity_label.setToolTip(
            self.tr("Distance between R1 and R2 divided by the latency difference.")
        )
        f.addRow(self.velocity_label)
        f.addRow(self.bench_note)

        self.scope = pg.GraphicsLayoutWidget()
        self.scope.setBackground(BACKGROUND)
        self.scope_plots: list[pg.PlotItem] = []
        self.trace_curves = []
        self.spike_marks = []
        self.scope_cursors = []
        for k, colour in enumerate(R_COLOURS):
            p = self.scope.addPlot(row=k, col=0)
            _style(p, 52)
            p.setYRange(*VM_LIMITS_MV, padding=0)
            p.setLabel("left", self.tr("Vm at R{}").format(k + 1), units="mV")
            p.showGrid(x=True, y=True, alpha=0.2)
            if k:
                p.setXLink(self.scope_plots[0])
                p.setLabel("bottom", self.tr("time"), units="ms")
            else:
                p.getAxis("bottom").setStyle(showValues=False)
            self.trace_curves.append(p.plot(pen=pg.mkPen(colour, width=2)))
            mark = pg.InfiniteLine(
                angle=90, movable=False, pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DotLine)
            )
            mark.setVisible(False)
            p.addItem(mark, ignoreBounds=True)
            self.spike_marks.append(mark)
            cur = pg.InfiniteLine(
                angle=90,
                movable=False,
                pen=pg.mkPen("#FFFFFF", width=1, style=Qt.PenStyle.DashLine),
            )
            p.addItem(cur, ignoreBounds=True)
            self.scope_cursors.append(cur)
            self.scope_plots.append(p)

        self.right = QWidget()
        lr = QVBoxLayout(self.right)
        lr.setContentsMargins(2, 2, 2, 2)
        lr.addWidget(self.bench)
        lr.addWidget(self.scope, 1)
        self.right.setMinimumWidth(300)
        self.bench.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # ================================================================ preparation / drawing
    @property
    def speed(self) -> float:
        return float(self.speed_combo.currentData())

    @property
    def length_cm(self) -> float:
        return float(self._geom.geometry["length"]) * 100.0

    def _apply_preparation(self, name: str, first: bool = False) -> None:
        if name not in PREPARATIONS:
            return
        if not first and self.computing:
            self.stop()
        self.preparation = name
        self._geom = Axon(name)
        d = PREPARATIONS[name]
        with QSignalBlocker(self.prep_combo):
            self.prep_combo.setCurrentIndex(self.prep_combo.findData(name))
        self.amp_edit.setText(d["amplitude"])
        self.dur_edit.setText(d["duration"])
        self.sweep_edit.setText(d["sweep"])
        g = self._geom.geometry
        self.diameter_edit.setText(f"{g['diameter'] * 1e6:g} um")
        self.temperature_edit.setText(f"{self._geom.cell.values['temperature']:g} degC")
        L = self.length_cm
        self.prep_info.setText(
            self.tr("{title}. Length {length:g} cm, diameter {d:g} µm.").format(
                title=self._geom.prep.title, length=L, d=g["diameter"] * 1e6
            )
        )
        myel = self._geom.myelinated
        self.g_demyel.setEnabled(myel)
        self.g_demyel.setToolTip(
            "" if myel else self.tr("Only the myelinated fibre has myelin to strip.")
        )
        if not myel:
            self.demyel_box.setChecked(False)
        self.demyel_from_edit.setText(f"{0.4 * L:.2f} cm")
        self.demyel_to_edit.setText(f"{0.55 * L:.2f} cm")
        self.drug_from_edit.setText(f"{0.4 * L:.2f} cm")
        self.drug_to_edit.setText(f"{0.6 * L:.2f} cm")
        for line in (self.stim_line, self.stim2_line, *self.rec_lines):
            line.setBounds((0.0, L))
        with QSignalBlocker(self.stim_line), QSignalBlocker(self.stim2_line):
            self.stim_line.setValue(g.get("stim_x", 0.0) * 100.0)
            self.stim2_line.setValue(L)
        for line, x in zip(self.rec_lines, d["electrodes"], strict=True):
            line.setValue(x)
        self.axon_plot.setXRange(0, L, padding=0.02)
        self._clear_sweep()
        self._draw_axon()
        self._update_regions()
        self._on_collision_toggled(self.collision_box.isChecked())
        self.stale = False
        self._message("")

    def _draw_axon(self) -> None:
        for it in self._axon_items:
            self.axon_plot.removeItem(it)
        self._axon_items = []
        L = self.length_cm
        comp = self._geom.compartments()
        core = pg.BarGraphItem(
            x0=[0.0], x1=[L], y0=[0.4], y1=[0.6], brush=pg.mkBrush("#C8A27A"), pen=pg.mkPen(None)
        )
        core.setToolTip(self.tr("The axon"))
        items = [core]
        if self._geom.myelinated:
            nodes = comp["x"][comp["kind"] == 1] * 100.0
            gap = 0.006 * L
            x0, x1 = nodes[:-1] + gap, nodes[1:] - gap
            demy = self._demyelinated_cm() if self.demyel_box.isChecked() else None
            if demy is not None:
                mid = 0.5 * (x0 + x1)
                keep = ~((mid >= demy[0]) & (mid <= demy[1]))
                x0, x1 = x0[keep], x1[keep]
            myelin = pg.BarGraphItem(
                x0=x0, x1=x1, y0=0.28, y1=0.72, brush=pg.mkBrush("#E8E8E8"), pen=pg.mkPen("#9A9A9A")
            )
            items.append(myelin)
            ticks = pg.ScatterPlotItem(
                x=nodes,
                y=np.full(len(nodes), 0.5),
                symbol="|",
                size=14,
                pen=pg.mkPen("#D55E00", width=2),
            )
            ticks.setToolTip(self.tr("Nodes of Ranvier"))
            items.append(ticks)
        for it in items:
            it.setZValue(-20)
            self.axon_plot.addItem(it, ignoreBounds=True)
        self._axon_items = items

    def _demyelinated_cm(self) -> tuple[float, float] | None:
        try:
            a = parse_quantity(self.demyel_from_edit.text(), "length").value * 100
            b = parse_quantity(self.demyel_to_edit.text(), "length").value * 100
        except UnitError:
            return None
        return (min(a, b), max(a, b))

    def _drug_cm(self) -> tuple[float, float] | None:
        try:
            a = parse_quantity(self.drug_from_edit.text(), "length").value * 100
            b = parse_quantity(self.drug_to_edit.text(), "length").value * 100
        except UnitError:
            return None
        return (min(a, b), max(a, b))

    @Slot()
    def _update_regions(self) -> None:
        drug = self.drug_combo.currentData()
        rgn = self._drug_cm()
        show = bool(drug) and rgn is not None
        for r in (self.drug_region, self.snap_drug_region):
            r.setVisible(show)
        self.drug_text.setVisible(show)
        if show and rgn is not None:
            with QSignalBlocker(self.drug_region):
                self.drug_region.setRegion(rgn)
            self.snap_drug_region.setRegion(rgn)
            self.drug_text.setText(f"{drug} {self.drug_conc_edit.text()}")
            self.drug_text.setPos(0.5 * (rgn[0] + rgn[1]), DRUG_TEXT_Y)
        demy = self._demyelinated_cm()
        show_d = self._geom.myelinated and self.demyel_box.isChecked() and demy is not None
        self.demyel_region.setVisible(show_d)
        if show_d:
            self.demyel_region.setRegion(demy)
        if self._geom.myelinated:
            self._draw_axon()

    @Slot()
    def _on_drug_region_dragged(self) -> None:
        a, b = self.drug_region.getRegion()
        L = self.length_cm
        a, b = min(max(a, 0.0), L), min(max(b, 0.0), L)
        self.drug_from_edit.setText(f"{a:.2f} cm")
        self.drug_to_edit.setText(f"{b:.2f} cm")
        self.snap_drug_region.setRegion((a, b))
        self.drug_text.setPos(0.5 * (a + b), DRUG_TEXT_Y)
        self._mark_stale()

    @Slot(int)
    def _on_drug_changed(self, _index: int) -> None:
        name = self.drug_combo.currentData()
        if name:
            drug = get_drug(name)
            self.drug_conc_edit.setText(LOCAL_DRUG_DEFAULTS.get(name, drug.format(drug.default)))
        else:
            self.drug_conc_edit.setText("")
        self.drug_conc_edit.setEnabled(bool(name))
        self._update_regions()
        self._mark_stale()

    @Slot(bool)
    def _on_collision_toggled(self, on: bool) -> None:
        self.stim2_line.setVisible(bool(on))
        self._mark_stale()

    @Slot()
    def _mark_stale(self, *_args) -> None:
        if self.sweep is not None and not self.stale:
            self.stale = True
            self._message(self.tr("Settings changed: press Run to simulate again."), "info")

    def _message(self, text: str, kind: str = "info") -> None:
        colour = {"error": "#D55E00", "info": "palette(text)"}.get(kind, "palette(text)")
        self.message_label.setStyleSheet(f"color: {colour};")
        self.message_label.setText(text)

    # ================================================================ running
    def _field_error(self, edit: QLineEdit | None, text: str) -> None:
        if edit is not None:
            edit.setStyleSheet("background: #5a2a2a;")
            edit.setFocus()
        self._message(text, "error")

    def build_request(self) -> AxonRequest:
        """Read the controls into the bench model (:mod:`vlab.rig.axon_bench`), which
        validates them, and build the sweep to compute.

        Raises :class:`BenchError` with a message for the student; ``self._bad`` is the field
        to mark.
        """
        labels = {
            "amplitude": (self.amp_edit, self.tr("Stimulus amplitude")),
            "duration": (self.dur_edit, self.tr("Stimulus duration")),
            "sweep": (self.sweep_edit, self.tr("Sweep length")),
            "diameter": (self.diameter_edit, self.tr("Diameter")),
            "temperature": (self.temperature_edit, self.tr("Temperature")),
            "drug concentration": (self.drug_conc_edit, self.tr("Drug concentration")),
            "drug stretch": (self.drug_to_edit, self.tr("Drug stretch")),
            "demyelinated stretch": (self.demyel_to_edit, self.tr("Demyelinated stretch")),
        }
        for edit, _label in labels.values():
            edit.setStyleSheet("")
        self._bad = None

        def q(setting: str, dim: str, edit: QLineEdit | None = None) -> float:
            edit = edit or labels[setting][0]
            try:
                return parse_quantity(edit.text(), dim).value
            except UnitError as exc:
                self._bad = edit
                raise BenchError(labels[setting][1], str(exc)) from None

        try:
            amp = q("amplitude", "current")
            dur = q("duration", "time")
            total = q("sweep", "time")
            L = float(self._geom.geometry["length"])
            s2 = None
            if self.collision_box.isChecked():
                s2 = min(max(self.stim2_line.value() / 100.0, 0.0), L)
            stim = PulseStimulus(amp, dur, total, s2)
            stim.check()
            setup = AxonSetup(
                self.preparation,
                parameters={
                    "diameter": self.diameter_edit.text(),
                    "temperature": self.temperature_edit.text(),
                    "stim_x": f"{min(max(self.stim_line.value(), 0.0), L * 100):.6g} cm",
                },
            )
            drug = self.drug_combo.currentData()
            if drug:
                c = q("drug concentration", get_drug(drug).dimension)
                a = q("drug stretch", "length", self.drug_from_edit)
                b = q("drug stretch", "length", self.drug_to_edit)
                setup.local_drugs.append((drug, c, stretch(a, b, L, "drug stretch")))
            if self._geom.myelinated and self.demyel_box.isChecked():
                a = q("demyelinated stretch", "length", self.demyel_from_edit)
                b = q("demyelinated stretch", "length", self.demyel_to_edit)
                setup.demyelinated.append(stretch(a, b, L, "demyelinated stretch"))
            axon = setup.build()
        except BenchError as exc:
            field, label = labels.get(exc.setting) or (self._bad, exc.setting)
            self._bad = self._bad or field
            raise BenchError(label, exc.reason) from None
        self._run_id += 1
        return AxonRequest(self._run_id, axon, stim)

    @Slot()
    def run(self) -> bool:
        """Validate, then compute the sweep in the worker thread; False if the input is bad."""
        if self.computing:
            return False
        try:
            req = self.build_request()
        except ValueError as exc:
            self._field_error(self._bad, str(exc))
            return False
        self.computing = True
        self.replaying = False
        self.run_button.setEnabled(False)
        self.replay_button.setEnabled(False)
        self._message(self.tr("Computing the sweep…"))
        self.host.set_speed.emit(self.speed)
        self.host.compute.emit(req)
        return True

    @Slot()
    def stop(self) -> None:
        """Cancel a computation (its result is dropped) or pause the replay."""
        if self.computing:
            self._run_id += 1  # the sweep being computed is now stale
            self.computing = False
            self.run_button.setEnabled(True)
            self._message(self.tr("Stopped."))
        elif self.replaying:
            self._message(self.tr("Replay paused: drag the time slider, or press Replay."))
        self.host.stop_replay.emit()
        self.replaying = False
        self.replay_button.setEnabled(self.sweep is not None)

    def export(self, path: str | os.PathLike[str] | None = None) -> ExportSweepsDialog | None:
        """Open the export dialog on the shown sweep (stimulus and Vm at R1 and R2): the
        student picks channels, format and file, and it is written off the GUI thread with
        progress and Cancel. ``path`` starts writing there at once (format from its
        extension). Returns the dialog (its ``exported`` signal carries the file), or None
        when there is no sweep yet."""
        from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog  # not at start-up

        if self.sweep is None:
            return None
        sites = [line.value() / 100.0 for line in self.rec_lines]
        dialog = ExportSweepsDialog(self, [sweep_for_export(self.sweep, sites)])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(lambda p: self._message(self.tr("Sweep exported to {}").format(p)))
        dialog.show()
        if path is not None:
            dialog.start_export(path)
        return dialog

    @Slot()
    def replay(self) -> None:
        """Play the stored sweep from the slider position (from the start if at the end)."""
        sw = self.sweep
        if sw is None or self.computing:
            return
        t_end = float(sw.t[-1])
        t0 = self._t_show if self._t_show < t_end - sw.dt else 0.0
        self.replaying = True
        self.host.set_speed.emit(self.speed)
        self.host.replay.emit(sw.run_id, t0, t_end)

    # ================================================================ worker results
    @Slot(object)
    def _on_computed(self, sweep: AxonSweep) -> None:
        if sweep.run_id != self._run_id:
            return  # stopped, or superseded
        self.computing = False
        self.replaying = True
        self.stale = False
        self.run_button.setEnabled(True)
        self.replay_button.setEnabled(True)
        self.export_button.setEnabled(True)
        self.sweep = sweep
        self.compute_s = sweep.compute_s
        self.image.setImage(sweep.image, autoLevels=False)
        x0, t0, w, h = sweep.image_rect
        self.image.setRect(QRectF(x0, t0, w, h))
        self.colour_bar.setLevels(COLOUR_LEVELS_MV)
        self.st_plot.setYRange(0, h, padding=0)
        self._x_cm = sweep.comp["x"] * 100.0
        self._t_ms = sweep.t * 1e3
        for p in self.scope_plots:
            p.setXRange(0, h, padding=0.01)
        with QSignalBlocker(self.time_slider):
            self.time_slider.setRange(0, len(sweep.t) - 1)
            self.time_slider.setValue(0)
        self._t_show = 0.0
        self._fps_frames = 0
        self._fps_t0 = time.perf_counter()
        self.update_readout()
        self._message(
            self.tr("Sweep computed in {:.2f} s; replaying at {}×.").format(
                sweep.compute_s, f"{self.speed:g}"
            )
        )
        self._dirty = True
        self.sweep_shown.emit()

    @Slot(int, float)
    def _on_position(self, run_id: int, t: float) -> None:
        if self.sweep is None or run_id != self.sweep.run_id or not self.replaying:
            return
        self._t_show = t
        self._dirty = True

    @Slot(int)
    def _on_replay_done(self, run_id: int) -> None:
        if self.sweep is not None and run_id == self.sweep.run_id:
            self.replaying = False

    @Slot(int, str)
    def _on_error(self, run_id: int, text: str) -> None:
        if run_id != self._run_id:
            return
        self.computing = False
        self.replaying = False
        self.run_button.setEnabled(True)
        self.replay_button.setEnabled(self.sweep is not None)
        self._message(self.tr("The simulation failed: {}").format(text), "error")

    @Slot(int)
    def _on_slider(self, k: int) -> None:
        if self.sweep is None:
            return
        if self.replaying:
            self.host.stop_replay.emit()
            self.replaying = False
            self._message(self.tr("Replay paused: drag the time slider, or press Replay."))
        self._t_show = float(self.sweep.t[min(max(k, 0), len(self.sweep.t) - 1)])
        self._dirty = True

    # ================================================================ electrodes & readout
    @Slot()
    def _on_electrode_moved(self, *_args) -> None:
        for line, mirrors in zip(self.rec_lines, self._mirrors, strict=True):
            for m in mirrors:
                m.setValue(line.value())
        if self.sweep is not None:
            self.update_readout()
            self._dirty = True

    def electrode_traces(self) -> list[tuple[np.ndarray, float]]:
        """Vm (V) and the recorded site (m) at each recording electrode of the shown sweep."""
        sw = self.sweep
        if sw is None:
            return []
        return [sw.trace_at(line.value() / 100.0) for line in self.rec_lines]

    def update_readout(self) -> None:
        """Show the bench readout (:func:`vlab.rig.axon_bench.readout`) of the shown sweep."""
        sw = self.sweep
        if sw is None:
            for lab in (self.distance_label, *self.latency_labels, self.dlatency_label):
                lab.setText("—")
            self.velocity_label.setText("—")
            self.velocity = math.nan
            return
        traces = self.electrode_traces()
        r = readout(
            sw.t, [v for v, _ in traces], [x for _, x in traces], sw.stim_onset, sw.collision
        )
        self.sites = list(r.sites)
        self.latencies = list(r.latencies)
        self.velocity = r.velocity
        node = self.tr(" (nearest nodes)") if sw.axon.myelinated else ""
        self.distance_label.setText(f"{r.distance * 100:.2f} cm{node}")
        for k, (lab, lat) in enumerate(zip(self.latency_labels, r.latencies, strict=True)):
            lab.setText(f"{lat * 1e3:.3f} ms" if math.isfinite(lat) else self.tr("no spike"))
            mark = self.spike_marks[k]
            mark.setVisible(math.isfinite(lat))
            if math.isfinite(lat):
                mark.setValue((lat + sw.stim_onset) * 1e3)
        la, lb = r.latencies
        if math.isfinite(la) and math.isfinite(lb):
            self.dlatency_label.setText(f"{abs(lb - la) * 1e3:.3f} ms")
        else:
            self.dlatency_label.setText("—")
        if math.isfinite(r.velocity):
            self.velocity_label.setText(f"{r.velocity:.1f} m/s")
        elif r.missing:
            names = ", ".join(f"R{k + 1}" for k in r.missing)
            self.velocity_label.setText(self.tr("no spike at {}").format(names))
        elif sw.collision:
            self.velocity_label.setText(self.tr("— (two stimuli)"))
        else:
            self.velocity_label.setText("—")
        notes = {
            NOTE_TWO_STIMULI: self.tr(
                "Two stimuli: each electrode may see a different action potential, so no "
                "velocity is given."
            ),
            NOTE_SAME_PLACE: self.tr("Both electrodes record at the same place: move one."),
        }
        self.bench_note.setText(" ".join(notes[n] for n in r.notes))

    # ================================================================ drawing
    @Slot()
    def redraw(self) -> None:
        """Draw the frame at the newest replay time (60 Hz timer; only when it moved)."""
        sw = self.sweep
        if sw is None or not self._dirty:
            return
        self._dirty = False
        n = len(sw.t)
        k = min(max(int(round(self._t_show / sw.dt)), 0), n - 1)
        t_ms = self._t_ms[k]
        self.snap_curve.setData(self._x_cm, sw.v[k] * 1e3)
        self.snap_text.setText(self.tr("t = {:.2f} ms").format(t_ms))
        self.snap_text.setPos(self.length_cm, VM_LIMITS_MV[1])
        self.time_hline.setValue(t_ms)
        for curve, cur, (v, _x) in zip(
            self.trace_curves, self.scope_cursors, self.electrode_traces(), strict=True
        ):
            curve.setData(self._t_ms[: k + 1], v[: k + 1] * 1e3)
            cur.setValue(t_ms)
        with QSignalBlocker(self.time_slider):
            self.time_slider.setValue(k)
        self.time_label.setText(self.tr("t = {:.3f} ms").format(t_ms))
        self.frames_drawn += 1
        self._fps_frames += 1
        now = time.perf_counter()
        if now - self._fps_t0 >= 0.5:
            self.fps = self._fps_frames / (now - self._fps_t0)
            self._fps_frames = 0
            self._fps_t0 = now
        if self.replaying:
            text = self.tr(
                "replaying at {speed}× · {fps:.0f} frames/s · sweep computed in {comp:.2f} s"
            ).format(speed=f"{self.speed:g}", fps=self.fps, comp=sw.compute_s)
        else:
            text = self.tr("paused · sweep computed in {comp:.2f} s").format(comp=sw.compute_s)
        self.status_label.setText(text)
        self.frame_drawn.emit()

    @property
    def paints(self) -> int:
        """Paint events of the plot area so far (frames actually rendered)."""
        return self._paints.count

    def _clear_sweep(self) -> None:
        self.sweep = None
        self.replaying = False
        if hasattr(self, "host"):
            self.host.stop_replay.emit()
        self.image.clear()
        self.snap_curve.setData([], [])
        for c in self.trace_curves:
            c.setData([], [])
        for m in self.spike_marks:
            m.setVisible(False)
        with QSignalBlocker(self.time_slider):
            self.time_slider.setRange(0, 0)
        self.time_label.setText(self.tr("t = — ms"))
        self.st_plot.setYRange(0, 10, padding=0)
        self.update_readout()
        self.bench_note.setText("")
        self.replay_button.setEnabled(False)
        self.export_button.setEnabled(False)

    # ================================================================ life cycle
    def shutdown(self) -> None:
        """Stop the redraw timer and the worker thread (idempotent)."""
        if self._redraw_timer.isActive():
            self._redraw_timer.stop()
        if self.computing:
            self._run_id += 1  # a sweep still in flight is dropped
            self.computing = False
            self.run_button.setEnabled(True)
        self.replaying = False
        self.host.shutdown()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        """A closed window shown again gets its worker thread back."""
        if not self.host.running:
            self.host.start()
        if not self._redraw_timer.isActive():
            self._redraw_timer.start(int(1000 / self.REDRAW_HZ))
        super().showEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)


def save_screenshot(path: str, preparation: str = "squid_axon", at_ms: float = 3.0) -> int:
    """Run one sweep, show the moment ``at_ms`` and save the window (1280x800) to ``path``."""
    app = QApplication.instance() or QApplication([])
    w = AxonWindow(preparation=preparation)
    w.resize(1280, 800)
    w.show()
    w.run()
    deadline = time.perf_counter() + 60.0
    while w.sweep is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    if w.sweep is None:
        w.close()
        return 1
    w.time_slider.setValue(min(round(at_ms * 1e-3 / w.sweep.dt), w.time_slider.maximum()))
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    ok = w.grab().save(path)
    w.close()
    return 0 if ok else 1


def benchmark(seconds: float = 5.0) -> dict:
    """Measure what docs/axon_view.md reports: sweep compute time, GUI pause, replay rate."""
    import statistics

    app = QApplication.instance() or QApplication([])
    out: dict = {}
    # 1. a 20 ms squid sweep through the worker's own code path (warm: first one discarded)
    worker = AxonWorker()
    stim = PulseStimulus(20e-6, 20 * SAMPLE_INTERVAL, 20e-3)
    times = []
    for i in range(6):
        t0 = time.perf_counter()
        worker.compute(AxonRequest(i, Axon("squid_axon"), stim))
        times.append(time.perf_counter() - t0)
    out["sweep_20ms_first_s"] = times[0]
    out["sweep_20ms_median_s"] = statistics.median(times[1:])
    # 2. the window: longest GUI-thread pause during Run, then the replay rate
    w = AxonWindow(preparation="squid_axon")
    w.resize(1280, 800)
    w.show()
    w.sweep_edit.setText("20 ms")
    gaps, last = [], [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.timeout.connect(tick)
    probe.start(2)
    last[0] = time.perf_counter()
    w.run()
    while w.computing:
        app.processEvents()
        time.sleep(0.0005)
    probe.stop()
    out["gui_longest_pause_s"] = max(gaps) if gaps else math.nan
    out["window_compute_s"] = w.sweep.compute_s if w.sweep else math.nan
    f0, p0, t_start = w.frames_drawn, w.paints, time.perf_counter()
    while time.perf_counter() - t_start < seconds:
        app.processEvents()
        time.sleep(0.001)
    el = time.perf_counter() - t_start
    out["replay_frames_per_s"] = (w.frames_drawn - f0) / el
    out["replay_paints_per_s"] = (w.paints - p0) / el
    out["replay_axon_ms_per_wall_s"] = w._t_show * 1e3 / el
    w.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m vlab.gui.axon_view [--preparation P] [--screenshot PATH]``."""
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m vlab.gui.axon_view", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--preparation", default="squid_axon", choices=list(PREPARATIONS))
    ap.add_argument("--screenshot", metavar="PATH", help="save a picture after one sweep and exit")
    ap.add_argument("--at", type=float, default=3.0, help="moment shown in the screenshot, ms")
    ap.add_argument("--benchmark", action="store_true", help="print the performance figures")
    args = ap.parse_args(argv)
    if args.benchmark:
        for k, v in benchmark().items():
            print(f"{k}: {v:.4g}")
        return 0
    if args.screenshot:
        return save_screenshot(args.screenshot, args.preparation, args.at)
    app = QApplication.instance() or QApplication([])
    w = AxonWindow(preparation=args.preparation)
    from vlab.gui.geometry import show_placed
    from vlab.settings import Settings

    show_placed(w, Settings(), "axon_bench", w.size())  # within the screen, remembered
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
