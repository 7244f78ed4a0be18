"""Analysis windows built from recorded sweeps: I–V, G–V (Boltzmann), f–I, phase plane, compare.

The measurements and their windows come from :mod:`vlab.analysis.family` (the one
pipeline the CLI and the practicals use too); this module draws the results.
"""

from __future__ import annotations

import collections
import importlib
import logging
import math
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import delete, isValid

from vlab import analysis as A

# the Qt-free pipeline (one for the GUI, the CLI and the practicals), re-exported
from vlab.analysis.family import (
    TRANSIENT_SKIP,
    FamilyFI,
    GVResult,
    IVResult,
    compute_fi,
    compute_gv,
    compute_iv,
    difference_family,
    family,
    is_cc,
    is_vc,
    provenance_reversal,
    step_levels,
    step_window,
    varying_window,
)
from vlab.analysis.family import sweep_time as _time
from vlab.analysis.runs import group_runs
from vlab.gui.panels.membrane_view import OKABE_ITO
from vlab.gui.time_axis import cache_axes

if TYPE_CHECKING:
    from vlab.gui.file_job import FileJob

log = logging.getLogger(__name__)

__all__ = [
    "TRANSIENT_SKIP",
    "AnalysisWindow",
    "GVResult",
    "IVResult",
    "compute_fi",
    "compute_gv",
    "compute_iv",
    "difference_family",
    "family",
    "is_cc",
    "is_vc",
    "provenance_reversal",
    "step_levels",
    "step_window",
    "sweeps_from_run",
]

SERIES = [OKABE_ITO[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky", "black")]
CONTROL_COLOUR = "#000000"
DRUG_COLOUR = OKABE_ITO["vermillion"]
DIFFERENCE_COLOUR = OKABE_ITO["green"]
BRIEF_STEP = 0.05  # s: shorter steps are pulses; their f–I shows spikes, not a rate


def sweeps_from_run(result, protocol=None, label: str = "", provenance: dict | None = None) -> list:
    """Turn a :class:`vlab.sim.engine.RunResult` into recording Sweeps (for tests and scripts)."""
    from vlab.recording import Sweep

    mode = result.mode.value
    prov = dict(provenance or {})
    prov.setdefault("mode", mode)
    if protocol is not None:
        prov.setdefault("protocol_name", getattr(protocol, "name", ""))
    if result.cell_info:
        prov.setdefault("preparation", result.cell_info.get("preparation", ""))
        rv = result.cell_info.get("reversal_V", {})
        prov.setdefault("reversal_mV", {k: float(v) * 1e3 for k, v in rv.items()})
    dt = float(result.t[1] - result.t[0]) if result.t.size > 1 else 1e-5
    out = []
    for k in range(result.n_sweeps):
        chans = {
            name: arr[k]
            for name, arr in result.data.items()
            if name in ("Vm", "Im", "m", "h", "n", "INa", "IK", "IL")
        }
        chans["command"] = result.command[k]
        out.append(
            Sweep(index=k, dt=dt, channels=chans, provenance=dict(prov, sweep=k), label=label)
        )
    return out


def _keep(sweeps: Iterable) -> None:
    """Pinned sweeps are the student's: mark them kept (the memory budget never drops them)."""
    for s in sweeps:
        if hasattr(s, "kept"):
            s.kept = True


def _is_imported(sweep) -> bool:
    """True for a sweep of a real recording opened in the analysis window."""
    return bool(sweep.provenance.get("imported"))


def _sources(sweeps: list, predicate) -> list[tuple[str, list]]:
    """The families to analyse: the model's (recorded; named "") first, then one per
    imported file (named by the file), each as :func:`family` picks it."""
    out: list[tuple[str, list]] = []
    model = family([s for s in sweeps if not _is_imported(s)], predicate)
    if model:
        out.append(("", model))
    files = dict.fromkeys(str(s.provenance.get("source_file", "")) for s in sweeps)
    for name in files:
        mine = [s for s in sweeps if _is_imported(s) and s.provenance.get("source_file") == name]
        fam = family(mine, predicate)
        if fam:
            out.append((name, fam))
    return out


def _named(source: str, what: str) -> str:
    """Legend text: ``what`` for the model, ``"<file> <what>"`` for an imported recording."""
    return f"{source} {what}" if source else what


def _sweep_key(sweep) -> list:
    prov = sweep.provenance
    return [str(prov.get("run_id", "")), int(prov.get("cycle", 0) or 0), int(sweep.index)]


def _filling(run) -> bool:
    """True for a cycle of a Repeat run that does not yet hold all its sweeps."""
    need = int(run.sweeps[0].provenance.get("n_sweeps", 0) or 0)
    return run.repeat_cycle is not None and len(run.sweeps) < need


def _same_run(a, b) -> bool:
    """True when sweeps ``a`` and ``b`` were recorded by one press of Run (one run id)."""
    rid = a.provenance.get("run_id")
    return rid is not None and rid == b.provenance.get("run_id")


def _same_sweeps(a: list, b: list) -> bool:
    """True when ``a`` and ``b`` hold the same sweep objects in the same order."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


class _RunRow:
    """A run's item in the sweep tree, its sweeps' items and what they show."""

    def __init__(self, item: QTreeWidgetItem) -> None:
        self.item = item
        self.leaves: list[tuple[QTreeWidgetItem, object]] = []  # (item, sweep)
        self._shown: tuple = ()

    def _what(self, run, ticks: tuple) -> tuple:
        return (run.number, run.title, tuple(run.numbers), ticks)

    def shows(self, run, ticks: tuple) -> bool:
        """True when the items show ``run`` with these ticks already (nothing to do)."""
        return (
            len(self.leaves) == len(run.sweeps)
            and all(sw is s for (_, sw), s in zip(self.leaves, run.sweeps, strict=True))
            and self._shown == self._what(run, ticks)
        )

    def remember(self, run, ticks: tuple) -> None:
        self._shown = self._what(run, ticks)


def _set_text(item: QTreeWidgetItem, text: str, tip: str) -> None:
    """Set an item's text and tool tip where they changed (each set repaints the row)."""
    if item.text(0) != text:
        item.setText(0, text)
    if item.toolTip(0) != tip:
        item.setToolTip(0, tip)


def _sync_children(
    parent: QTreeWidgetItem, want: list[QTreeWidgetItem], taken: list[QTreeWidgetItem]
) -> None:
    """Make ``want`` the children of ``parent``, in order, moving as few items as possible
    (those kept stay the same objects, with their expansion). The children taken out are
    appended to ``taken``: see :func:`_free_orphans`."""
    keep = {id(w) for w in want}
    for i in range(parent.childCount() - 1, -1, -1):
        if id(parent.child(i)) not in keep:
            taken.append(parent.takeChild(i))
    for i, item in enumerate(want):
        if i < parent.childCount() and parent.child(i) is item:
            continue
        old = item.parent() or (
            item.treeWidget().invisibleRootItem() if item.treeWidget() is not None else None
        )
        if old is not None:
            old.takeChild(old.indexOfChild(item))
        parent.insertChild(i, item)


def _free_orphans(taken: list[QTreeWidgetItem]) -> None:
    """Delete the items in ``taken`` that were not put back into the tree.

    PySide6 (6.10) leaves an item taken out with ``takeChild`` owned by its old parent,
    so it and its children stay alive for as long as that parent does. A Repeat run
    drops a run of 17 items each cycle: they piled up under their condition's item and
    the tree's upkeep grew with them, ~1 ms a refresh per 100 cycles (the soak's GUI work
    grew from 27 to 46 ms over 30 minutes; docs/performance.md).
    """
    for item in taken:
        if isValid(item) and item.parent() is None and item.treeWidget() is None:
            delete(item)  # with its children


# ============================================================================ widgets
def _plot(title: str, xlabel: str, xunit: str, ylabel: str, yunit: str) -> pg.PlotWidget:
    w = pg.PlotWidget(background="w")
    p = w.getPlotItem()
    p.setTitle(title, color="#222222", size="10pt")
    p.showGrid(x=True, y=True, alpha=0.25)
    pen = pg.mkPen("#333333")
    for ax in ("left", "bottom"):
        p.getAxis(ax).setPen(pen)
        p.getAxis(ax).setTextPen(pen)
    _set_label(p, "bottom", xlabel, units=xunit or None)
    _set_label(p, "left", ylabel, units=yunit or None)
    p.addLegend(offset=(10, 10), labelTextColor="#222222", brush=pg.mkBrush(255, 255, 255, 210))
    cache_axes(p)  # blitted at the workspace's repaints while a Repeat run feeds it
    return w


def _set_label(p: pg.PlotItem, side: str, text: str, units: str | None = None) -> None:
    """``p.setLabel(side, text, units=units)`` unless the axis says that already: setting a
    label, even the same one, throws the axis's picture away and lays the plot out again
    (at every redo of the analyses, once a Repeat cycle, bench/bench_soak.py)."""
    axis = p.getAxis(side)
    shown = axis.label.isVisible() == bool(text or units)
    if shown and axis.labelText == text and axis.labelUnits == (units or ""):
        return
    p.setLabel(side, text, units=units)


def _si(value: float, unit: str, precision: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "\u2014"
    return pg.siFormat(value, precision=precision, suffix=unit).replace("-", "\u2212")


def _ms_spin(parent: QWidget) -> QDoubleSpinBox:
    sb = QDoubleSpinBox(parent)
    sb.setDecimals(2)
    sb.setRange(0.0, 1e6)
    sb.setSingleStep(0.5)
    sb.setSuffix(" ms")
    sb.setKeyboardTracking(False)
    return sb


class _WindowControls(QWidget):
    """Start/end of a measurement window (ms) with an Auto button."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel(self.tr("Window")))
        self.start = _ms_spin(self)
        self.end = _ms_spin(self)
        self.start.setToolTip(self.tr("Start of the measurement window."))
        self.end.setToolTip(self.tr("End of the measurement window."))
        self.auto = QPushButton(self.tr("Auto"), self)
        self.auto.setToolTip(self.tr("Use the step epoch of the protocol."))
        lay.addWidget(self.start)
        lay.addWidget(QLabel("\u2013"))
        lay.addWidget(self.end)
        lay.addWidget(self.auto)
        self.manual = False
        self.start.valueChanged.connect(self._edited)
        self.end.valueChanged.connect(self._edited)
        self.auto.clicked.connect(self._auto)

    def _edited(self, *_: object) -> None:
        self.manual = True
        self.changed.emit()

    def _auto(self) -> None:
        self.manual = False
        self.changed.emit()

    def set_window(self, window: tuple[float, float]) -> None:
        for sb, v in ((self.start, window[0]), (self.end, window[1])):
            b = sb.blockSignals(True)
            sb.setValue(v * 1e3)
            sb.blockSignals(b)

    def manual_window(self) -> tuple[float, float] | None:
        """The window typed in (s), or None on Auto (not ``window()``: QWidget has one)."""
        if not self.manual:
            return None
        a, b = self.start.value() * 1e-3, self.end.value() * 1e-3
        return (a, b) if b > a else None


#: what the analyses import on first use and takes long to load: scipy.optimize (the
#: G–V fit's curve_fit) took 0.3-0.7 s of the GUI thread at the first fit, a freeze
#: (bench/bench_soak.py, docs/performance.md); the workspace loads it in the background
FIT_MODULES = ("scipy.optimize",)
_import = importlib.import_module


def prefetch_fitting() -> threading.Thread | None:
    """Import :data:`FIT_MODULES` not yet loaded in a background thread (None: all loaded).

    A fit that comes first waits for the import, as it would have done anyway."""
    missing = [name for name in FIT_MODULES if name not in sys.modules]
    if not missing:
        return None

    def load() -> None:
        for name in missing:
            try:
                _import(name)
            except Exception:  # noqa: BLE001 - the fit will say what is missing
                log.exception("cannot load %s ahead of the first fit", name)

    thread = threading.Thread(target=load, name="vlab-load-fitting", daemon=True)
    thread.start()
    return thread


class AnalysisWindow(QMainWindow):
    """Analyses of recorded sweeps, one tab each: I–V, G–V, f–I, phase plane, compare.

    Parameters
    ----------
    sweeps : iterable of vlab.recording.Sweep
        The sweeps to analyse (e.g. the selected or kept sweeps of the recording).

    The list on the left chooses which sweeps enter the analysis; *Pin as control* and
    *Set as drug* build the comparison.
    """

    TABS = ("iv", "gv", "fi", "phase", "compare")

    #: an import ended: the sweeps it added ([] when refused, failed or cancelled)
    import_finished = Signal(list)

    def __init__(self, sweeps: Iterable = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AnalysisWindow")
        self.setWindowTitle(self.tr("vlab \u2014 analysis"))
        self.sweeps: list = []
        self.recorded: list = []  # the rig's recording (set_sweeps)
        self.imported: list = []  # sweeps of real recordings opened here (import_recording)
        self.importing: FileJob | None = None  # reads a recording off the GUI thread
        self.iv_overlays: dict[str, IVResult] = {}  # imported file -> its I–V
        self.fi_overlays: dict[str, FamilyFI] = {}  # imported file -> its f–I
        self.last_error = ""
        self.runs: list = []
        self._leaves: list = []
        self._cond_items: dict[str, QTreeWidgetItem] = {}  # the tree's items, kept between
        self._run_rows: dict[tuple, _RunRow] = {}  # refreshes (_build_tree)
        #: work done, for tests (counted, not timed): tree items created, analyses redone
        self.counts: collections.Counter[str] = collections.Counter()
        self.loading_fitting = prefetch_fitting()  # the thread, or None when loaded
        self._computed_for: list = []  # the ticked sweeps the analyses were computed from
        self.recompute_pending = False  # a deferred set_sweeps left the analyses to redo
        self._steps: list[Callable[[], None]] = []  # analyses left to redo, in order
        self._items: dict[int, list] = {}  # id(plot) -> [(curve, its style)] (_draw)
        self._drawn: dict[int, int] = {}  # id(plot) -> curves drawn since _begin
        self._ticked: list | None = []  # ticked_sweeps(), None when to be read from the tree
        self.control: list = []
        self.drug: list = []
        self.iv: IVResult | None = None
        self.gv: GVResult | None = None
        self.fi: FamilyFI | None = None
        self.errors: dict[str, str] = {}

        # ---- sweep list (dock)
        dock = QDockWidget(self.tr("Sweeps"), self)
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        side = QWidget(dock)
        sl = QVBoxLayout(side)
        self.sweep_tree = QTreeWidget(side)
        self.sweep_tree.setHeaderHidden(True)
        self.sweep_tree.setToolTip(
            self.tr(
                "Ticked sweeps enter the analyses. Sweeps are grouped by condition (drugs, "
                "solutions) and run; tick a condition or a run to take all of its sweeps."
            )
        )
        self.sweep_tree.itemChanged.connect(self._tree_changed)
        sl.addWidget(self.sweep_tree, 1)
        self.follow_box = QCheckBox(self.tr("Follow the newest run"), side)
        self.follow_box.setToolTip(
            self.tr("Tick the newest run of each clamp mode as it is recorded.")
        )
        self.follow_box.setChecked(True)
        sl.addWidget(self.follow_box)
        self._recompute_timer = QTimer(self)
        self._recompute_timer.setSingleShot(True)
        self._recompute_timer.setInterval(0)  # many ticks at once (a whole run): one recompute
        self._recompute_timer.timeout.connect(self.recompute)
        self._building = False
        self.pin_button = QPushButton(self.tr("Pin ticked as control"), side)
        self.pin_button.setToolTip(
            self.tr("Remember the ticked sweeps as the control run for comparison.")
        )
        self.drug_button = QPushButton(self.tr("Set ticked as drug"), side)
        self.drug_button.setToolTip(
            self.tr("Use the ticked sweeps as the run to compare with the control.")
        )
        self.clear_cmp_button = QPushButton(self.tr("Clear comparison"), side)
        self.pin_button.clicked.connect(lambda: self.pin_control())
        self.pin_button.setToolTip(
            self.tr(
                "Remember the ticked sweeps as the control run (kept, saved with the experiment)."
            )
        )
        self.drug_button.clicked.connect(lambda: self.set_drug())
        self.clear_cmp_button.clicked.connect(self.clear_comparison)
        self.import_button = QPushButton(self.tr("Import recording\u2026"), side)
        self.import_button.setToolTip(
            self.tr(
                "Open a real cell's recording (ABF, ATF or NWB) to analyse it and overlay its "
                "I\u2013V or f\u2013I on the model's."
            )
        )
        self.import_button.clicked.connect(lambda: self.import_recording())
        for b in (self.pin_button, self.drug_button, self.clear_cmp_button, self.import_button):
            sl.addWidget(b)
        self.compare_label = QLabel(side)
        self.compare_label.setWordWrap(True)
        sl.addWidget(self.compare_label)
        side.setMinimumWidth(230)
        dock.setWidget(side)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

        # ---- tabs
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        self._build_iv_tab()
        self._build_gv_tab()
        self._build_fi_tab()
        self._build_phase_tab()
        self._build_compare_tab()
        try:
            from vlab.gui.help import install_help_shortcut

            install_help_shortcut(self, "analysis")
        except Exception:
            log.exception("cannot install F1 help for the analysis window")
        self.resize(1000, 640)
        self.set_sweeps(sweeps)

    # ------------------------------------------------------------------ tab builders
    def _tab(self, key: str, title: str) -> tuple[QWidget, QVBoxLayout]:
        w = QWidget(self.tabs)
        w.setObjectName(f"tab_{key}")
        lay = QVBoxLayout(w)
        self.tabs.addTab(w, title)
        return w, lay

    def _build_iv_tab(self) -> None:
        _, lay = self._tab("iv", self.tr("I\u2013V"))
        row = QHBoxLayout()
        self.iv_window = _WindowControls(self)
        self.iv_window.changed.connect(self.recompute)
        self.iv_kind = QComboBox(self)
        self.iv_kind.addItem(self.tr("peak inward"), "inward")
        self.iv_kind.addItem(self.tr("peak (largest, signed)"), "peak")
        self.iv_kind.addItem(self.tr("peak outward"), "outward")
        self.iv_kind.setToolTip(
            self.tr("Which extreme of the early current the peak I\u2013V takes.")
        )
        self.iv_kind.currentIndexChanged.connect(lambda _i: self.recompute())
        self.iv_show_steady = QCheckBox(self.tr("steady state"), self)
        self.iv_show_steady.setChecked(True)
        self.iv_show_steady.toggled.connect(lambda _b: self.recompute())
        # two rows: in one, the tab's controls made the window 1,059 px wide at least,
        # wider than a 1024-px school laptop's screen
        lay.addWidget(self.iv_window)
        row.addWidget(QLabel(self.tr("Peak:")))
        row.addWidget(self.iv_kind)
        row.addWidget(self.iv_show_steady)
        self.iv_normalise = QCheckBox(self.tr("normalise"), self)
        self.iv_normalise.setToolTip(
            self.tr(
                "Divide each I\u2013V by its largest current, so that a real cell's I\u2013V "
                "(pA to nA) and the model's can be compared in shape."
            )
        )
        self.iv_normalise.toggled.connect(lambda _b: self.recompute())
        row.addWidget(self.iv_normalise)
        row.addStretch(1)
        lay.addLayout(row)
        self.iv_plot = _plot(
            self.tr("Current\u2013voltage relation"),
            self.tr("step potential"),
            "V",
            self.tr("current"),
            "A",
        )
        self.iv_plot.getPlotItem().addLine(y=0, pen=pg.mkPen("#999999"))
        lay.addWidget(self.iv_plot, 1)
        self.iv_label = QLabel(self)
        self.iv_label.setWordWrap(True)
        self.iv_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.iv_label)

    def _build_gv_tab(self) -> None:
        _, lay = self._tab("gv", self.tr("G\u2013V"))
        row = QFormLayout()
        self.gv_which = QComboBox(self)
        self.gv_which.addItem(self.tr("peak current (Na\u207a)"), "peak")
        self.gv_which.addItem(self.tr("steady-state current (K\u207a)"), "steady")
        self.gv_which.currentIndexChanged.connect(self._gv_which_changed)
        self.gv_erev = QDoubleSpinBox(self)
        self.gv_erev.setRange(-200.0, 200.0)
        self.gv_erev.setDecimals(1)
        self.gv_erev.setSuffix(" mV")
        self.gv_erev.setKeyboardTracking(False)
        self.gv_erev.setToolTip(self.tr("Reversal potential used in G = I / (V \u2212 E_rev)."))
        self.gv_erev_auto = QCheckBox(self.tr("automatic"), self)
        self.gv_erev_auto.setChecked(True)
        self.gv_erev_auto.setToolTip(
            self.tr(
                "Peak: where the peak I\u2013V crosses zero. Steady state: E_K of the recording."
            )
        )
        self.gv_erev_auto.toggled.connect(self._gv_erev_auto_toggled)
        self.gv_erev.setEnabled(False)
        self.gv_erev.valueChanged.connect(lambda _v: self.recompute())
        erow = QHBoxLayout()
        erow.addWidget(self.gv_erev)
        erow.addWidget(self.gv_erev_auto)
        erow.addStretch(1)
        row.addRow(self.tr("Current"), self.gv_which)
        row.addRow(self.tr("E_rev"), erow)
        lay.addLayout(row)
        self.gv_plot = _plot(
            self.tr("Conductance\u2013voltage relation"),
            self.tr("step potential"),
            "V",
            self.tr("G / Gmax"),
            "",
        )
        lay.addWidget(self.gv_plot, 1)
        self.gv_label = QLabel(self)
        self.gv_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.gv_label)

    def _gv_which_changed(self, *_: object) -> None:
        self.recompute()

    def _build_fi_tab(self) -> None:
        _, lay = self._tab("fi", self.tr("f\u2013I"))
        row = QHBoxLayout()
        self.fi_window = _WindowControls(self)
        self.fi_window.changed.connect(self.recompute)
        row.addWidget(self.fi_window)
        row.addStretch(1)
        lay.addLayout(row)
        self.fi_plot = _plot(
            self.tr("Firing rate against injected current"),
            self.tr("step current"),
            "A",
            self.tr("firing rate"),
            "Hz",
        )
        lay.addWidget(self.fi_plot, 1)
        self.fi_label = QLabel(self)
        self.fi_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.fi_label)

    def _build_phase_tab(self) -> None:
        _, lay = self._tab("phase", self.tr("Phase plane"))
        self.phase_plot = _plot(
            self.tr("Phase plane"), self.tr("membrane potential"), "V", self.tr("dV/dt"), "V/s"
        )
        self.phase_plot.getPlotItem().addLine(y=0, pen=pg.mkPen("#999999"))
        lay.addWidget(self.phase_plot, 1)
        self.phase_label = QLabel(self)
        lay.addWidget(self.phase_label)

    def _build_compare_tab(self) -> None:
        _, lay = self._tab("compare", self.tr("Compare"))
        self.cmp_trace_plot = _plot(
            self.tr("Traces: control (black), drug (vermillion), control \u2212 drug (green)"),
            self.tr("time"),
            "s",
            "",
            "",
        )
        self.cmp_curve_plot = _plot("", "", "", "", "")
        self.cmp_curve_plot.getPlotItem().addLine(y=0, pen=pg.mkPen("#999999"))
        lay.addWidget(self.cmp_trace_plot, 1)
        lay.addWidget(self.cmp_curve_plot, 1)
        self.cmp_label = QLabel(self)
        self.cmp_label.setWordWrap(True)
        self.cmp_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.cmp_label)

    # ------------------------------------------------------------------ sweeps
    def set_sweeps(
        self, sweeps: Iterable, defaults: dict | None = None, defer_analyses: bool = False
    ) -> None:
        """Offer ``sweeps`` (the recording) and the imported recordings, grouped by
        condition and run.

        The newest recorded run of each clamp mode is ticked (mixing runs makes a zig-zag
        I–V); with *Follow the newest run* off, the ticks already made are kept. Imported
        recordings keep their ticks. ``defaults`` maps preparation -> its own
        concentrations (mM), to name solutions. With ``defer_analyses`` the analyses the
        new ticks need are not redone here but marked (:attr:`recompute_pending`) for
        :meth:`recompute_if_pending`: the rig window's frame pacer gives the tree and the
        analyses a turn each (together up to ~23 ms at 10x Repeat, bench/bench_soak.py).
        """
        old_ticked = {id(s) for s in self.ticked_sweeps()} if self.sweeps else set()
        fresh = not self.sweeps
        if defaults is not None:
            self._defaults = defaults
        self.recorded = list(sweeps)
        self.sweeps = self.recorded + self.imported
        self.runs = group_runs(self.sweeps, getattr(self, "_defaults", None), self.runs)
        if fresh or self.follow_box.isChecked():
            newest: dict[str, list] = {}
            for run in self.runs:
                if _is_imported(run.sweeps[0]):
                    continue
                shown = newest.get(run.mode)
                if shown is not None and _filling(run) and _same_run(shown[0], run.sweeps[0]):
                    continue  # a Repeat cycle still filling: keep its last whole cycle
                newest[run.mode] = run.sweeps
            wanted = {id(s) for ss in newest.values() for s in ss}
            wanted |= {id(s) for s in self.imported if id(s) in old_ticked}
        else:
            wanted = old_ticked
        self._build_tree(wanted)
        if fresh:  # a fresh set of sweeps gets automatic windows
            self.iv_window.manual = False
            self.fi_window.manual = False
        if fresh or not _same_sweeps(self.ticked_sweeps(), self._computed_for):
            if defer_analyses and not fresh:
                self.recompute_pending = True
                self._steps = []  # redone from the first, for the new ticks
            else:
                self.recompute()  # else nothing the analyses show has changed
        if fresh:
            vc = bool(family(self.sweeps, is_vc))
            cc = bool(family(self.sweeps, is_cc))
            self.tabs.setCurrentIndex(0 if vc or not cc else 2)

    def import_recording(self, path: str | os.PathLike[str] | None = None):
        """Open a real recording (ABF, ATF, NWB) as sweeps beside the model's, ticked.

        Without ``path`` a file dialog asks. The file is read in a worker thread with a
        progress dialog and Cancel (:class:`~vlab.gui.file_job.FileJob`, about 2 s for an
        NWB file), then :meth:`add_imported` shows it. A file that cannot be read gives a
        message (kept in :attr:`last_error`) and changes nothing. Returns the running read,
        or None when none was started; :attr:`import_finished` tells the outcome either way.
        """
        from vlab.gui.file_job import FileJob
        from vlab.recording.importers import RECORDING_EXTENSIONS, read_sweeps

        if self.importing is not None:
            return self._refuse_import(
                self.tr("Still importing {f}…").format(f=self.importing.path.name)
            )
        if path is None:
            patterns = " ".join(f"*{e}" for e in RECORDING_EXTENSIONS)
            path, _ = QFileDialog.getOpenFileName(
                self,
                self.tr("Import a recording"),
                "",
                self.tr("Recordings ({p});;All files (*)").format(p=patterns),
            )
            if not path:
                self.import_finished.emit([])
                return None
        name = os.path.basename(path)
        if any(s.provenance.get("source_file") == name for s in self.imported):
            return self._refuse_import(self.tr("{f} is already open here.").format(f=name))
        if os.path.splitext(name)[1].lower() not in RECORDING_EXTENSIONS:
            return self._refuse_import(
                self.tr("{f}: vlab imports recordings in {e} files.").format(
                    f=name, e=", ".join(RECORDING_EXTENSIONS)
                )
            )
        job = FileJob(
            self,
            lambda p, _progress: read_sweeps(p).sweeps,  # pyABF/pynwb read whole files
            path,
            text=self.tr("Importing {}…"),
            title=self.tr("Importing"),
            error_title=self.tr("Importing the recording failed"),
        )
        job.dialog.setRange(0, 0)  # no fraction to show: a busy bar, Cancel drops the result
        job.succeeded.connect(self._import_read)
        job.failed.connect(self._import_failed)
        job.cancelled.connect(lambda: self._import_ended([]))
        self.importing = job
        return job.start()

    def _refuse_import(self, text: str) -> None:
        self.last_error = text
        self.compare_label.setText(text)
        self.import_finished.emit([])

    def _import_failed(self, text: str) -> None:
        self.last_error = text  # the error dialog has been shown
        self._import_ended([])

    def _import_read(self, found: list) -> None:
        self._import_ended(self.add_imported(found))

    def _import_ended(self, found: list) -> None:
        self.importing = None
        self.import_finished.emit(found)

    def add_imported(self, found: Iterable) -> list:
        """Show imported sweeps (read by :meth:`import_recording`, or reopened from an
        experiment file) beside the model's, ticked; a file already here is not added
        twice. Returns the sweeps added."""
        have = {s.provenance.get("source_file") for s in self.imported}
        found = [s for s in found if s.provenance.get("source_file") not in have]
        self.last_error = ""
        if not found:
            return []
        ticked = self.ticked_sweeps()
        self.imported.extend(found)
        self.sweeps = self.recorded + self.imported
        self.runs = group_runs(self.sweeps, getattr(self, "_defaults", None), self.runs)
        self._build_tree({id(s) for s in ticked + found})
        if family(found, is_vc) and _sources(ticked, is_vc):
            self.iv_normalise.setChecked(True)  # pA beside the model's nA–µA: compare shapes
        self.recompute()
        vc = family(found, is_vc)
        self.tabs.setCurrentIndex(0 if vc or not family(found, is_cc) else 2)
        return found

    def _build_tree(self, ticked_ids: set) -> None:
        """Bring the sweep tree up to date with :attr:`runs`, ticking exactly ``ticked_ids``.

        Incremental: items of runs and sweeps already shown are kept (their expansion,
        and their objects), new ones are added, those no longer in the recording removed;
        texts and ticks are set only where they changed. A Repeat run at 10x adds a few
        sweeps per refresh to a tree of ~1,000 (rebuilding it all took ~100 ms a refresh).
        """
        tree = self.sweep_tree
        self._building = True
        b = tree.blockSignals(True)
        try:
            self._sync_tree(ticked_ids)
        finally:
            tree.blockSignals(b)
            self._building = False

    def _sync_tree(self, ticked_ids: set) -> None:
        flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
        auto = Qt.ItemFlag.ItemIsAutoTristate
        checked, unchecked = Qt.CheckState.Checked, Qt.CheckState.Unchecked
        sweep_word = self.tr("sweep")
        conditions: dict[str, list[QTreeWidgetItem]] = {}  # condition -> its run items
        rows: dict[tuple, _RunRow] = {}
        taken: list[QTreeWidgetItem] = []
        self._leaves = []
        for run in self.runs:
            if run.condition not in self._cond_items:
                cond = QTreeWidgetItem([run.condition])
                cond.setFlags(flags | auto)
                cond.setToolTip(0, self.tr("Tick to take every run recorded in this condition."))
                self._cond_items[run.condition] = cond
            # a run id names one run (with its Repeat cycle); sweeps made outside the rig
            # have none, and are told apart by their first sweep
            key = (run.condition, run.key if run.key[0] else (run.key, id(run.sweeps[0])))
            ticks = tuple(id(sw) in ticked_ids for sw in run.sweeps)
            row = self._run_rows.get(key)
            if row is not None and row.shows(run, ticks):
                rows[key] = row  # unchanged: not a single Qt call
                conditions.setdefault(run.condition, []).append(row.item)
                self._leaves.extend(row.leaves)
                continue
            if row is None:
                row = _RunRow(QTreeWidgetItem())
                row.item.setFlags(flags | auto)
                self.counts["items_created"] += 1
            rows[key] = row
            conditions.setdefault(run.condition, []).append(row.item)
            text = self.tr("Run {n} \u00b7 {m} \u00b7 {k} sweeps").format(
                n=run.number, m=run.mode, k=len(run.sweeps)
            )
            if run.repeat_cycle is not None:
                text += " " + self.tr("(repeat {})").format(run.repeat_cycle + 1)
            _set_text(row.item, text, run.title)
            old = {id(sw): leaf for leaf, sw in row.leaves}
            row.leaves = []
            for sw, number, tick in zip(run.sweeps, run.numbers, ticks, strict=True):
                leaf = old.get(id(sw))
                if leaf is None:
                    leaf = QTreeWidgetItem()
                    leaf.setFlags(flags)
                    leaf.setCheckState(0, unchecked)  # a check box (unset shows none)
                    self.counts["items_created"] += 1
                _set_text(
                    leaf,
                    f"#{number} · {sweep_word} {sw.index + 1}",
                    f"{run.title} · {sweep_word} {sw.index + 1}",
                )
                state = checked if tick else unchecked
                if leaf.checkState(0) != state:
                    leaf.setCheckState(0, state)
                row.leaves.append((leaf, sw))
            _sync_children(row.item, [leaf for leaf, _ in row.leaves], taken)
            row.remember(run, ticks)
            self._leaves.extend(row.leaves)
        for name in [n for n in self._cond_items if n not in conditions]:
            del self._cond_items[name]
        fresh = [c for c in self._cond_items.values() if c.treeWidget() is None]
        _sync_children(self.sweep_tree.invisibleRootItem(), list(self._cond_items.values()), taken)
        for cond in fresh:
            cond.setExpanded(True)  # new conditions open (their runs stay folded)
        for name, items in conditions.items():
            _sync_children(self._cond_items[name], items, taken)
        self._run_rows = rows
        _free_orphans(taken)
        self._ticked = [sw for _, sw in self._leaves if id(sw) in ticked_ids]

    def _tree_changed(self, *_: object) -> None:
        if self._building:
            return
        self._ticked = None
        self.follow_box.setChecked(False)  # the student chose: keep their ticks
        self._recompute_timer.start()

    def add_sweeps(self, sweeps: Iterable) -> None:
        """Sweeps recorded since :meth:`set_sweeps` (the live feed from the recording)."""
        self.set_sweeps(self.recorded + list(sweeps))

    def ticked_sweeps(self) -> list:
        """The sweeps ticked in the tree, in tree order."""
        if self._ticked is None:  # a tick changed in the tree since _build_tree
            self._ticked = [
                sw
                for leaf, sw in getattr(self, "_leaves", [])
                if leaf.checkState(0) == Qt.CheckState.Checked
            ]
        return list(self._ticked)

    def set_ticked(self, sweeps: Iterable) -> None:
        """Tick exactly ``sweeps`` (others unticked)."""
        wanted = {id(s) for s in sweeps}
        self._build_tree(wanted)
        self.recompute()

    def tick_run(self, number: int) -> None:
        """Tick exactly the sweeps of run ``number`` (1-based), as a click on its box does."""
        for run in self.runs:
            if run.number == number:
                self.set_ticked(run.sweeps)
                return
        raise ValueError(f"there is no run {number}")

    def pin_control(self, sweeps: Iterable | None = None) -> None:
        """Pin ``sweeps`` (default: the ticked ones) as the control run (marked kept)."""
        self.control = list(sweeps) if sweeps is not None else self.ticked_sweeps()
        _keep(self.control)
        self._update_compare()

    def set_drug(self, sweeps: Iterable | None = None) -> None:
        """Use ``sweeps`` (default: the ticked ones) as the drug run to compare with the control."""
        self.drug = list(sweeps) if sweeps is not None else self.ticked_sweeps()
        _keep(self.drug)
        self._update_compare()
        if self.control and self.drug:
            self.tabs.setCurrentIndex(self.TABS.index("compare"))

    def clear_comparison(self) -> None:
        self.control, self.drug = [], []
        self._update_compare()

    def pins_state(self) -> dict:
        """The pinned control and drug sweeps, as keys that survive a save (.vlab)."""
        return {
            "control": [_sweep_key(s) for s in self.control],
            "drug": [_sweep_key(s) for s in self.drug],
        }

    def restore_pins(self, state: dict) -> None:
        """Pin again the sweeps named by :meth:`pins_state` (those still in the recording)."""
        if not isinstance(state, dict):
            return
        by_key = {tuple(_sweep_key(s)): s for s in self.sweeps}
        for role in ("control", "drug"):
            keys = state.get(role) or []
            found = [by_key[tuple(k)] for k in keys if isinstance(k, list) and tuple(k) in by_key]
            setattr(self, role, found)
        self._update_compare()

    # ------------------------------------------------------------------ analyses
    def recompute_if_pending(self) -> bool:
        """Redo the next analysis a deferred :meth:`set_sweeps` left, one per call (the
        I–V, the G–V fit, the f–I, the phase plane, the comparison); True when it did one.

        The rig window's frame pacer calls it once a tick: all of them in one turn took
        20–37 ms at 10x Repeat and, painted in the same turn, made the longest turns of the
        workspace (bench/bench_soak.py); one at a time, each is painted in a turn of its
        own, and the last is done a few ticks after the first."""
        if not self._steps:
            if not self.recompute_pending:
                return False
            self._start_recompute()
        self._steps.pop(0)()
        self.recompute_pending = bool(self._steps)
        return True

    def _gv_erev_auto_toggled(self, on: bool) -> None:
        self.gv_erev.setEnabled(not on)
        self.recompute()

    def recompute(self) -> None:
        """Redo every analysis from the ticked sweeps, now.

        The model's (recorded) family comes first; each ticked imported recording is
        overlaid on the I–V and f–I plots with its own colour, named by its file.
        """
        self._start_recompute()
        while self._steps:
            self._steps.pop(0)()
        self.recompute_pending = False

    def _start_recompute(self) -> None:
        """Lay out the analyses of the ticked sweeps as steps (:attr:`_steps`), each
        drawing its own plot (the G–V needs the I–V before it)."""
        ticked = self.ticked_sweeps()
        self._computed_for = ticked
        self.counts["recomputed"] += 1
        self.errors = {}
        model = self.tr("model")

        def named(sets: list) -> list:
            if len(sets) > 1 and not sets[0][0]:
                sets[0] = (model, sets[0][1])
            return sets

        def iv() -> None:
            sets = named(_sources(ticked, is_vc))
            self._update_iv(*(sets[0] if sets else ("", [])))
            self._overlay_iv(sets[1:])

        def fi() -> None:
            sets = named(_sources(ticked, is_cc))
            self._update_fi(*(sets[0] if sets else ("", [])))
            self._overlay_fi(sets[1:])

        def drawing(widget: pg.PlotWidget, work) -> Callable[[], None]:
            def step() -> None:
                p = widget.getPlotItem()
                self._begin(p)
                try:
                    work()
                finally:
                    self._finish(p)

            return step

        self._steps = [
            drawing(self.iv_plot, iv),
            drawing(self.gv_plot, self._update_gv),
            drawing(self.fi_plot, fi),
            drawing(self.phase_plot, lambda: self._update_phase(ticked)),
            self._update_compare,
        ]

    def _iv_scale(self, iv: IVResult) -> float:
        """1, or 1 / the largest |current| of ``iv`` when *normalise* is ticked."""
        p = self.iv_plot.getPlotItem()
        if not self.iv_normalise.isChecked():
            _set_label(p, "left", self.tr("current"), units="A")
            return 1.0
        _set_label(p, "left", self.tr("current / largest |current|"), units=None)
        biggest = float(np.nanmax(np.abs(np.concatenate([iv.peak, iv.steady]))))
        return 1.0 / biggest if biggest > 0 else 1.0

    def _overlay_iv(self, sets: list[tuple[str, list]]) -> None:
        """Peak (and steady-state) I–V of each further family, named by its file."""
        self.iv_overlays = {}
        p = self.iv_plot.getPlotItem()
        notes = []
        for k, (name, fam) in enumerate(sets):
            colour = SERIES[(2 + k) % len(SERIES)]
            try:
                iv = compute_iv(fam, varying_window(fam), self.iv_kind.currentData())
            except (ValueError, RuntimeError) as exc:
                notes.append(f"{name}: {exc}")
                continue
            self.iv_overlays[name] = iv
            scale = self._iv_scale(iv)
            self._draw(
                p,
                iv.v,
                iv.peak * scale,
                pen=pg.mkPen(colour, width=2),
                symbol="t",
                symbolSize=8,
                symbolBrush=colour,
                symbolPen=None,
                name=self.tr("{f} peak").format(f=name),
            )
            if self.iv_show_steady.isChecked():
                self._draw(
                    p,
                    iv.v,
                    iv.steady * scale,
                    pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine),
                    symbol="d",
                    symbolSize=8,
                    symbolBrush=colour,
                    symbolPen=None,
                    name=self.tr("{f} steady state").format(f=name),
                )
            ipk, vpk = iv.peak_inward
            notes.append(
                self.tr("{f}: largest inward peak {i} at {v} (window {a}\u2013{b} ms).").format(
                    f=name,
                    i=_si(ipk, "A"),
                    v=_si(vpk, "V"),
                    a=f"{iv.window[0] * 1e3:.4g}",
                    b=f"{iv.window[1] * 1e3:.4g}",
                )
            )
        if notes:
            self.iv_label.setText("\n".join([self.iv_label.text(), *notes]).strip())

    def _overlay_fi(self, sets: list[tuple[str, list]]) -> None:
        """f–I of each further current-clamp family, named by its file."""
        self.fi_overlays = {}
        p = self.fi_plot.getPlotItem()
        notes = []
        for k, (name, fam) in enumerate(sets):
            colour = SERIES[(2 + k) % len(SERIES)]
            try:
                fi = compute_fi(fam, varying_window(fam))
            except (ValueError, RuntimeError) as exc:
                notes.append(f"{name}: {exc}")
                continue
            self.fi_overlays[name] = fi
            order = np.argsort(fi.currents)
            brief = fi.window[1] - fi.window[0] < BRIEF_STEP
            y = fi.counts if brief else fi.rates
            self._draw(
                p,
                fi.currents[order],
                y[order],
                pen=pg.mkPen(colour, width=2),
                symbol="t",
                symbolSize=8,
                symbolBrush=colour,
                symbolPen=None,
                name=name,
            )
            notes.append(self.tr("{f}: rheobase {r}.").format(f=name, r=_si(fi.rheobase, "A")))
        if notes:
            self.fi_label.setText("\n".join([self.fi_label.text(), *notes]).strip())

    def _update_iv(self, source: str, vc: list) -> None:
        p = self.iv_plot.getPlotItem()
        self.iv = None
        if len(vc) < 2:
            self.iv_label.setText(
                self.tr(
                    "Tick a family of at least two voltage-clamp sweeps (e.g. the I\u2013V protocol)."
                )
            )
            return
        try:
            imported = any(_is_imported(s) for s in vc)
            auto = varying_window(vc) if imported else None  # a real protocol: its first family
            win = self.iv_window.manual_window() or auto
            self.iv = compute_iv(vc, win, self.iv_kind.currentData())
        except (ValueError, RuntimeError) as exc:
            self.errors["iv"] = str(exc)
            self.iv_label.setText(self.tr("Cannot compute the I\u2013V: {e}").format(e=exc))
            return
        iv = self.iv
        if not self.iv_window.manual:
            self.iv_window.set_window(iv.window)
        scale = self._iv_scale(iv)
        self._draw(
            p,
            iv.v,
            iv.peak * scale,
            pen=pg.mkPen(SERIES[1], width=2),
            symbol="o",
            symbolSize=7,
            symbolBrush=SERIES[1],
            symbolPen=None,
            name=_named(source, self.tr("peak")),
        )
        if self.iv_show_steady.isChecked():
            self._draw(
                p,
                iv.v,
                iv.steady * scale,
                pen=pg.mkPen(SERIES[0], width=2),
                symbol="s",
                symbolSize=7,
                symbolBrush=SERIES[0],
                symbolPen=None,
                name=_named(source, self.tr("steady state")),
            )
        ipk, vpk = iv.peak_inward
        text = self.tr("Largest inward peak: {i} at {v}.").format(i=_si(ipk, "A"), v=_si(vpk, "V"))
        if iv.reversal is not None:
            if math.isfinite(iv.reversal.e_rev):
                text += " " + self.tr("Peak current reverses at {e}.").format(
                    e=_si(iv.reversal.e_rev, "V")
                )
            if iv.reversal.reason:
                text += f" ({iv.reversal.reason})"
        text += " " + self.tr("Window {a}\u2013{b}.").format(
            a=_si(iv.window[0], "s"), b=_si(iv.window[1], "s")
        )
        self.iv_label.setText(text)

    def _update_gv(self) -> None:
        p = self.gv_plot.getPlotItem()
        self.gv = None
        if self.iv is None:
            self.gv_label.setText(
                self.tr("The G\u2013V needs an I\u2013V from a voltage-clamp family.")
            )
            return
        which = self.gv_which.currentData()
        e = None
        if not self.gv_erev_auto.isChecked():
            e = self.gv_erev.value() * 1e-3
        elif which == "steady":
            ticked = family(self.ticked_sweeps(), is_vc)
            e = provenance_reversal(ticked, "K")
            if e is None:
                e = -0.077
        try:
            self.gv = gv = compute_gv(self.iv, which, e)
        except (ValueError, RuntimeError) as exc:
            self.errors["gv"] = str(exc)
            self.gv_label.setText(self.tr("Cannot compute the G\u2013V: {e}").format(e=exc))
            return
        if self.gv_erev_auto.isChecked():
            b = self.gv_erev.blockSignals(True)
            self.gv_erev.setValue(gv.e_rev * 1e3)
            self.gv_erev.blockSignals(b)
        self._draw(
            p,
            gv.v,
            gv.g,
            pen=None,
            symbol="o",
            symbolSize=8,
            symbolBrush=SERIES[1 if which == "peak" else 0],
            symbolPen=None,
            name=self.tr("G / Gmax"),
        )
        if math.isfinite(gv.v_half):
            vv = np.linspace(float(np.nanmin(self.iv.v)), float(np.nanmax(self.iv.v)), 200)
            self._draw(
                p,
                vv,
                A.boltzmann(vv, gv.v_half, gv.k, gv.gmax),
                pen=pg.mkPen("#000000", width=2),
                name=self.tr("Boltzmann fit"),
            )
            self.gv_label.setText(
                self.tr("Boltzmann fit: V\u00bd = {vh}, k = {k} (E_rev = {e}).").format(
                    vh=_si(gv.v_half, "V"), k=_si(gv.k, "V"), e=_si(gv.e_rev, "V")
                )
            )
        else:
            self.gv_label.setText(
                self.tr("The Boltzmann fit failed: {m}").format(m=gv.info.get("message", ""))
            )

    def _update_fi(self, source: str, cc: list) -> None:
        p = self.fi_plot.getPlotItem()
        self.fi = None
        if len(cc) < 2:
            self.fi_label.setText(
                self.tr(
                    "Tick a family of at least two current-clamp step sweeps (e.g. the f\u2013I protocol)."
                )
            )
            return
        try:
            imported = any(_is_imported(s) for s in cc)
            win = self.fi_window.manual_window() or (
                varying_window(cc) if imported else step_window(cc)
            )
            self.fi = compute_fi(cc, win)
        except (ValueError, RuntimeError) as exc:
            self.errors["fi"] = str(exc)
            self.fi_label.setText(self.tr("Cannot compute the f\u2013I curve: {e}").format(e=exc))
            return
        if not self.fi_window.manual:
            self.fi_window.set_window(win)
        fi = self.fi
        brief = fi.window[1] - fi.window[0] < BRIEF_STEP
        y = fi.counts if brief else fi.rates
        _set_label(
            p,
            "left",
            self.tr("spikes") if brief else self.tr("firing rate"),
            units=None if brief else "Hz",
        )
        order = np.argsort(fi.currents)
        self._draw(
            p,
            fi.currents[order],
            y[order],
            pen=pg.mkPen(SERIES[0], width=2),
            symbol="o",
            symbolSize=7,
            symbolBrush=SERIES[0],
            symbolPen=None,
            name=_named(source, self.tr("spikes per sweep") if brief else self.tr("rate")),
        )
        text = self.tr("Rheobase (smallest depolarising step that fired): {r}.").format(
            r=_si(fi.rheobase, "A")
        )
        text += " " + self.tr("Spikes per sweep: {c}.").format(
            c=", ".join(str(int(c)) for c in fi.counts[order])
        )
        if not brief:
            text += " " + self.tr("Highest rate {f}.").format(f=_si(float(np.max(fi.rates)), "Hz"))
        self.fi_label.setText(text)
        self.fi_label.setWordWrap(True)

    def _update_phase(self, ticked: list) -> None:
        p = self.phase_plot.getPlotItem()
        with_vm = [s for s in ticked if "Vm" in s.channels]
        cc = [s for s in with_vm if is_cc(s)] or with_vm
        if not cc:
            self.phase_label.setText(
                self.tr("Tick sweeps with a membrane potential (current clamp).")
            )
            return
        shown = cc[:12]
        for k, s in enumerate(shown):
            v, dvdt = A.phase_plane(_time(s), np.asarray(s.channels["Vm"], dtype=float))
            self._draw(
                p,
                v,
                dvdt,
                pen=pg.mkPen(SERIES[k % len(SERIES)], width=1.5),
                name=self.tr("sweep {n}").format(n=s.index + 1) if k < 6 else None,
            )
        msg = self.tr("dV/dt against V; each spike is a loop (threshold where dV/dt takes off).")
        if len(cc) > len(shown):
            msg += " " + self.tr("Showing the first {n} sweeps.").format(n=len(shown))
        self.phase_label.setText(msg)

    def _update_compare(self) -> None:
        self.compare_label.setText(
            self.tr("Control: {c} sweeps \u00b7 drug: {d} sweeps").format(
                c=len(self.control), d=len(self.drug)
            )
        )
        tp = self.cmp_trace_plot.getPlotItem()
        cp = self.cmp_curve_plot.getPlotItem()
        self._begin(tp)
        self._begin(cp)
        try:
            self._compare(tp, cp)
        finally:
            self._finish(tp)
            self._finish(cp)

    def _compare(self, tp: pg.PlotItem, cp: pg.PlotItem) -> None:
        self.compare_result: dict = {}
        if not self.control and not self.drug:
            self.cmp_label.setText(
                self.tr(
                    "Tick the control sweeps and press \u201cPin ticked as control\u201d; "
                    "then tick the sweeps recorded with the drug and press \u201cSet ticked as drug\u201d."
                )
            )
            return
        sets = [
            (self.tr("control"), self.control, CONTROL_COLOUR),
            (self.tr("drug"), self.drug, DRUG_COLOUR),
        ]
        vc_mode = all(is_vc(s) for _, ss, _ in sets for s in ss)
        chan = "Im" if vc_mode else "Vm"
        _set_label(
            tp,
            "left",
            self.tr("current") if vc_mode else self.tr("membrane potential"),
            units="A" if vc_mode else "V",
        )
        lines = []
        for name, ss, colour in sets:
            for k, s in enumerate(ss):
                if chan in s.channels:
                    self._draw(
                        tp,
                        _time(s),
                        np.asarray(s.channels[chan]),
                        pen=pg.mkPen(colour, width=1),
                        name=name if k == 0 else None,
                    )
            if vc_mode:
                fam = family(ss, is_vc)
                if len(fam) >= 2:
                    try:
                        iv = compute_iv(fam)
                    except (ValueError, RuntimeError) as exc:
                        lines.append(f"{name}: {exc}")
                        continue
                    self._draw(
                        cp,
                        iv.v,
                        iv.peak,
                        pen=pg.mkPen(colour, width=2),
                        symbol="o",
                        symbolBrush=colour,
                        symbolPen=None,
                        symbolSize=7,
                        name=self.tr("{n} peak").format(n=name),
                    )
                    ipk, vpk = iv.peak_inward
                    self.compare_result[name] = {"peak_inward": ipk, "v_at_peak": vpk, "iv": iv}
                    lines.append(
                        self.tr("{n}: largest inward peak {i} at {v}").format(
                            n=name, i=_si(ipk, "A"), v=_si(vpk, "V")
                        )
                    )
            else:
                fam = family(ss, is_cc)
                if len(fam) >= 2:
                    try:
                        fi = compute_fi(fam)
                    except (ValueError, RuntimeError) as exc:
                        lines.append(f"{name}: {exc}")
                        continue
                    o = np.argsort(fi.currents)
                    self._draw(
                        cp,
                        fi.currents[o],
                        fi.rates[o],
                        pen=pg.mkPen(colour, width=2),
                        symbol="o",
                        symbolBrush=colour,
                        symbolPen=None,
                        symbolSize=7,
                        name=self.tr("{n} f\u2013I").format(n=name),
                    )
                    self.compare_result[name] = {"fi": fi}
                    lines.append(
                        self.tr("{n}: rheobase {r}").format(n=name, r=_si(fi.rheobase, "A"))
                    )
        if vc_mode:
            _set_label(cp, "bottom", self.tr("step potential"), units="V")
            _set_label(cp, "left", self.tr("peak current"), units="A")
            c, d = (
                self.compare_result.get(self.tr("control")),
                self.compare_result.get(self.tr("drug")),
            )
            if c and d and c["peak_inward"] < 0:
                frac = d["peak_inward"] / c["peak_inward"]
                lines.append(
                    self.tr("Drug leaves {p:.0f}% of the control inward peak.").format(p=100 * frac)
                )
            if c and d:
                lines.append(self._plot_difference(tp, cp))
        else:
            _set_label(cp, "bottom", self.tr("step current"), units="A")
            _set_label(cp, "left", self.tr("firing rate"), units="Hz")
        self.cmp_label.setText("\n".join(lines))

    def _plot_difference(self, tp: pg.PlotItem, cp: pg.PlotItem) -> str:
        """Draw the drug-sensitive current (control - drug) and its peak I-V; describe it."""
        try:
            diff = difference_family(self.control, self.drug)
            iv = compute_iv(diff, kind="peak")
        except (ValueError, RuntimeError) as exc:
            return self.tr("Drug-sensitive current: {e}").format(e=exc)
        pen = pg.mkPen(DIFFERENCE_COLOUR, width=1)
        for k, s in enumerate(diff):
            self._draw(
                tp,
                _time(s),
                s.channels["Im"],
                pen=pen,
                name=self.tr("control − drug") if k == 0 else None,
            )
        self._draw(
            cp,
            iv.v,
            iv.peak,
            pen=pg.mkPen(DIFFERENCE_COLOUR, width=2),
            symbol="s",
            symbolBrush=DIFFERENCE_COLOUR,
            symbolPen=None,
            symbolSize=7,
            name=self.tr("drug-sensitive peak"),
        )
        self.compare_result["difference"] = {"iv": iv, "sweeps": diff}
        ipk, vpk = iv.peak_inward
        text = self.tr("Drug-sensitive current (control − drug): ")
        if ipk < 0:
            text += self.tr("largest inward peak {i} at {v}").format(
                i=_si(ipk, "A"), v=_si(vpk, "V")
            )
        else:
            text += self.tr("outward at every step (largest {i})").format(
                i=_si(float(np.max(iv.peak)), "A")
            )
        rev = iv.reversal
        if rev is not None and math.isfinite(rev.e_rev):
            text += self.tr("; it reverses at {e}").format(e=_si(rev.e_rev, "V"))
        return text + "."

    # ------------------------------------------------------------------ drawing
    # The plots' curves are reused between recomputes (new data, same items): making
    # and removing pyqtgraph items, and their legend rows, was most of a recompute
    # (~100 ms for the I–V family's tabs, each time a Repeat cycle completed).
    def _begin(self, p: pg.PlotItem) -> None:
        """Start drawing ``p`` afresh (its items are reused by :meth:`_draw`)."""
        self._drawn[id(p)] = 0

    def _draw(self, p: pg.PlotItem, *xy, name: str | None = None, **style) -> pg.PlotDataItem:
        """Like ``p.plot(x, y, name=..., **style)``, reusing the item drawn there before."""
        items = self._items.setdefault(id(p), [])
        k = self._drawn[id(p)]
        self._drawn[id(p)] = k + 1
        if k < len(items) and items[k][1] == style:
            item = items[k][0]
            item.setData(*xy, name=name)
            return item
        if k < len(items):
            p.removeItem(items[k][0])
        item = pg.PlotDataItem(*xy, **style)
        item.opts["name"] = name
        p.addItem(item)
        self.counts["plot_items_created"] += 1
        if k < len(items):
            items[k] = (item, style)
        else:
            items.append((item, style))
        return item

    def _finish(self, p: pg.PlotItem) -> None:
        """Remove what was not drawn again; name the drawn curves in the legend."""
        items = self._items.setdefault(id(p), [])
        n = self._drawn.pop(id(p), 0)
        for item, _ in items[n:]:
            p.removeItem(item)
        del items[n:]
        legend = p.legend
        if legend is None:
            return
        want = [(item, item.name()) for item, _ in items if item.name()]
        have = [(sample.item, label.text) for sample, label in legend.items]
        if len(want) != len(have) or any(
            a is not b or x != y for (a, x), (b, y) in zip(want, have, strict=True)
        ):
            legend.clear()
            for item, text in want:
                legend.addItem(item, text)
