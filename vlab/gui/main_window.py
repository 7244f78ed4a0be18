"""The rig window: scope in the centre, instrument panels in docks, menus, status bar.

Threads and data flow are described in ``docs/gui.md``. In short: the rig is shared;
panels change it from the GUI thread under ``rig.lock``; the :class:`WorkerHost`'s
simulation thread reads it under the same lock at every chunk and sends ``Block`` lists
back through a queued signal; the scope redraws on its own timer.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from vlab.analysis.runs import group_runs
from vlab.gui import gc_guard
from vlab.gui.about import AboutDialog
from vlab.gui.file_job import FileJob
from vlab.gui.frame_pacer import FramePacer
from vlab.gui.gap_free_recording import GapFreeRecording
from vlab.gui.geometry import (
    dock_content_size,
    panel_scroll_area,
    show_placed,
)
from vlab.gui.heap import fix_mmap_threshold, release_free_heap
from vlab.gui.help import install_help_shortcut
from vlab.gui.help import show_help as _show_help
from vlab.gui.panels.amplifier import AmplifierPanel
from vlab.gui.panels.perfusion import PerfusionPanel
from vlab.gui.panels.practical import PracticalPanel
from vlab.gui.panels.preparation import PreparationPanel
from vlab.gui.panels.solutions import SolutionsPanel
from vlab.gui.panels.stimulator import StimulatorPanel
from vlab.gui.rig_events import RigEvents, disconnect_rig_events
from vlab.gui.scope import Scope
from vlab.gui.welcome import WelcomeDialog
from vlab.gui.worker import SPEEDS, WorkerHost
from vlab.recording import Recording, SessionError, load_session
from vlab.recording.budget import MemoryBudget, compact_sweep, is_repeat, keep_last_cycle
from vlab.recording.journal import Journal, find_orphans, read_journal
from vlab.recording.session import snapshot_session, write_session
from vlab.rig import ClampMode, Rig
from vlab.rig.simulator import RigSimulator
from vlab.settings import Settings

if TYPE_CHECKING:
    from vlab.gui.analysis_windows import AnalysisWindow
    from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog
    from vlab.gui.panels.membrane_view import MembraneView

log = logging.getLogger(__name__)

__all__ = ["MainWindow", "UI_SCALES"]

UI_SCALES = (1.0, 1.25, 1.5, 2.0)
DEFAULT_SIZE = QSize(1280, 800)
HEAP_TRIM_MS = 30_000  # how often free C-heap memory is handed back, if enough is free
COLUMN_SHARE = 0.42  # of the window width for the panel column, if its panels fit in it


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def _mb(n: int) -> str:
    """Bytes as MB for the status bar: one decimal below 10 MB."""
    mb = n / 2**20
    return f"{mb:.1f}" if mb < 10 else f"{mb:.0f}"


class MainWindow(QMainWindow):
    """The virtual rig (see module docstring).

    Parameters
    ----------
    rig
        The rig to operate (a fresh squid rig if None).
    start_worker
        Start the simulation thread once the window is first painted (False for
        screenshots and some tests, which drive :meth:`run_protocol_now` synchronously).
        The thread starts loading numba and the kernels in a thread of their own and
        runs the kernels as Python meanwhile; waiting for the first paint lets the
        student see the rig at once (docs/performance.md, "Start-up"). Commands sent
        before it starts are queued and run in order.
    """

    #: an experiment file finished opening (True) or was refused, failed or cancelled (False)
    experiment_open_finished = Signal(bool)
    #: an experiment file was written (True), or the save failed or was cancelled (False)
    experiment_save_finished = Signal(bool)

    first_painted = Signal()  # the window has been painted once (before the worker starts)

    def __init__(
        self, rig: Rig | None = None, start_worker: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.rig = rig if rig is not None else Rig("squid")
        self.recording = Recording()
        self.budget = MemoryBudget()
        # crash recovery: every recorded sweep and settings change, appended to a journal
        self.journal = Journal()
        self._repeat_run_id: str | None = None  # the Repeat run whose sweeps are arriving
        self._discarded: tuple[list, int] | None = None  # the last Discard, restorable
        self.acquisition = "gap-free"
        self.protocol_running = False
        self.analysis: AnalysisWindow | None = None  # the one live workspace
        self._analysis_placed = False  # shown once through geometry.show_placed
        self._pending_pins: dict | None = None  # pins read from a .vlab before it opened
        self._pending_imported: list = []  # imported recordings read from a .vlab, likewise
        self._record_role: str | None = None  # "control"/"drug": pin the run when it ends
        self._role_sweeps: list = []
        self._saved_count = 0  # sweeps in the recording when it was last saved/opened
        self.loading: FileJob | None = None  # an experiment file being read off the GUI thread
        self.saving: FileJob | None = None  # an experiment file being written off the GUI thread
        self._close_after_save = False  # the student closed the window during a save
        self.welcome: WelcomeDialog | None = None  # the welcome, once opened
        self.settings = Settings()
        self.last_error: str | None = None
        self.speed = 1.0
        self.paused = False
        self.ui_scale = 1.0
        self._status_info: dict = {}
        self._blocks_seen = False  # the simulator has not delivered anything yet
        self._base_font = QFont(QApplication.font())
        self.setWindowTitle(self.tr("vlab — virtual electrophysiology rig"))
        self.setObjectName("vlab_main_window")
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )

        self.scope = Scope(self)
        self.setCentralWidget(self.scope)

        self.amplifier = AmplifierPanel(self.rig)
        self.stimulator = StimulatorPanel(self.rig)
        self.amplifier.message.connect(self.show_message)
        self.stimulator.message.connect(self.show_message)
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock(
            "amplifier",
            self.tr("Amplifier"),
            self.amplifier,
            Qt.DockWidgetArea.RightDockWidgetArea,
        )
        self._add_dock(
            "stimulator",
            self.tr("Stimulator"),
            self.stimulator,
            Qt.DockWidgetArea.RightDockWidgetArea,
            scroll=True,
        )

        # side panels from vlab.gui.panels; the membrane view, hidden at start, is built
        # when its dock is first shown (docs/performance.md, "Start-up")
        self.side_panels: dict[str, QWidget] = {}
        self._membrane_view: MembraneView | None = None
        self._membrane_hidden: frozenset[str] = frozenset()  # read-outs a practical hides
        self.perfusion_panel = PerfusionPanel(self.rig)
        self.solutions_panel = SolutionsPanel(self.rig)
        self.practical = PracticalPanel(self.rig)
        for key, panel, title in (
            ("perfusion", self.perfusion_panel, self.tr("Perfusion")),
            ("solutions", self.solutions_panel, self.tr("Solutions")),
            ("preparation", PreparationPanel(self.rig), self.tr("Preparation")),
            ("membrane_view", None, self.tr("Inside the membrane")),
            ("practical", self.practical, self.tr("Practical")),
        ):
            if panel is None:
                dock = self._add_dock(key, title, QWidget(), Qt.DockWidgetArea.BottomDockWidgetArea)
                dock.visibilityChanged.connect(self._on_membrane_dock_visible)
                continue
            self.side_panels[key] = panel
            self._add_dock(key, title, panel, Qt.DockWidgetArea.RightDockWidgetArea, scroll=True)
        # one column on the right, so that the scope keeps at least half of a 1024-px
        # screen: the amplifier on top (always in view), the stimulator and the side
        # panels below it as tabs (docs/gui.md, "Layout")
        right = [
            self.docks[k]
            for k in ("stimulator", "perfusion", "solutions", "preparation", "practical")
            if k in self.docks
        ]
        self.splitDockWidget(self.docks["amplifier"], right[0], Qt.Orientation.Vertical)
        for a, b in zip(right, right[1:], strict=False):
            self.tabifyDockWidget(a, b)
        right[0].raise_()
        self._tab_docks = right
        self.docks["membrane_view"].hide()
        for a, _b in self.scope.cursors:  # the membrane view's cursors are the scope's
            a.sigPositionChanged.connect(self._cursors_to_membrane_view)
        # the practical checks the student's recordings and locks controls per step
        self.practical.recording_provider = lambda: list(self.recording)
        self.practical.lock_listener = self._practical_lock
        # its list of practicals is read when its tab is first selected
        self.docks["practical"].visibilityChanged.connect(self._on_practical_dock_visible)

        for key, dock in self.docks.items():
            install_help_shortcut(dock.widget(), key)
        install_help_shortcut(self.scope, "scope")

        self._build_menus()
        self.gap_free_recording = GapFreeRecording(
            self.record_gap_free_action, self.rig, self.budget, self.record_sweep, self.show_message
        )
        self.stimulator.add_record_toggle(self.record_gap_free_action)
        self._build_status_bar()
        RigEvents.of(self.rig).changed.connect(self._on_rig_event)  # in the GUI thread

        self.host = WorkerHost(self.rig, parent=self)
        w = self.host.worker
        self.host.blocks_ready.connect(self.on_blocks)  # acknowledged after: back-pressure
        w.error.connect(self.on_sim_error)
        w.status.connect(self.on_status)
        w.episode_finished.connect(self._on_episode_finished)
        self.stimulator.run_requested.connect(self.run_protocol)
        self.stimulator.stop_requested.connect(self.stop_protocol)
        self.stimulator.stimulate_requested.connect(self.stimulate)
        self.stimulator.acquisition_changed.connect(self.set_acquisition)
        # the live views redraw in turns, one per tick, so that no paint event draws them
        # all at once (vlab/gui/frame_pacer.py; the membrane view joins when built)
        self.pacer = FramePacer(self)
        self.scope.pace(self.pacer)
        self._analysis_pending = False  # the workspace follows the recording at <= 4 Hz
        self.pacer.add("analysis", self._paced_analysis, 4.0)
        # and redoes its analyses one a tick, each painted in a turn of its own
        self.pacer.add("analyses", self._paced_analyses, 60.0)
        # housekeeping takes turns of its own too, rather than falling into a view's:
        # cyclic garbage collection (gc_guard, a full one ~40 ms; its own timer collects
        # only when no pacer asks) and, when its timer says so, the C heap's trim (~10 ms)
        self.pacer.add("garbage collection", self._paced_gc, 10.0)
        self._heap_trim_due = False
        self.pacer.add("heap trim", self._paced_heap_trim, 1.0)
        self.perfusion_panel.comparison_requested.connect(self._on_comparison_requested)
        self._slow_timer = QTimer(self)
        self._slow_timer.timeout.connect(self._refresh_slow)
        self._slow_timer.start(250)
        fix_mmap_threshold()  # large buffers from mmap, never stranded in the heaps
        self._heap_timer = QTimer(self)  # freed memory back to the system (gui/heap.py)
        self._heap_timer.timeout.connect(self._heap_trim_is_due)
        self._heap_timer.start(HEAP_TRIM_MS)
        self.resize(DEFAULT_SIZE)
        scale = self.settings.get("ui_scale", 1.0)
        if start_worker and scale in UI_SCALES and scale != 1.0:  # a projector set-up persists
            self.set_ui_scale(float(scale))
            for act in self.scale_group.actions():
                act.setChecked(act.text() == f"{scale * 100:.0f} %")
        self.fit_docks()
        self._worker_pending = start_worker
        self.scope.installEventFilter(self)  # first paint -> first_painted, worker start
        self._update_status_labels()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self.scope and event.type() == QEvent.Type.Paint:
            self.scope.removeEventFilter(self)
            QTimer.singleShot(0, self._after_first_paint)  # runs once this paint is done
        return super().eventFilter(obj, event)

    @property
    def membrane_view(self) -> MembraneView:
        """The *Inside the membrane* view (built on first use: its dock starts hidden)."""
        return self._build_membrane_view()

    def _on_practical_dock_visible(self, shown: bool) -> None:
        if shown:
            self.practical.list_practicals()

    def _on_membrane_dock_visible(self, shown: bool) -> None:
        if shown:
            self._build_membrane_view()

    def _build_membrane_view(self) -> MembraneView:
        mv = self._membrane_view
        if mv is None:
            from vlab.gui.panels.membrane_view import MembraneView

            mv = self._membrane_view = MembraneView(self.rig)
            mv.hidden_readouts = self._membrane_hidden
            mv.pace(self.pacer)
            mv.cursors_moved.connect(self.scope.set_cursors)  # same time base as the scope
            dock = self.docks["membrane_view"]
            placeholder = dock.widget()
            dock.setWidget(mv)
            placeholder.deleteLater()
            self.side_panels["membrane_view"] = mv
            self._cursors_to_membrane_view()
        return mv

    def _after_first_paint(self) -> None:
        self.first_painted.emit()
        if self._worker_pending:
            self._worker_pending = False
            self.host.start()

    # ------------------------------------------------------------------ building
    def _add_dock(
        self, key: str, title: str, widget: QWidget, area, scroll: bool = False
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        if scroll:
            dock.setWidget(panel_scroll_area(widget))
        else:
            dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _action(
        self, menu, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False
    ) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.setCheckable(checkable)
        if checkable:
            act.toggled.connect(slot)
        else:
            act.triggered.connect(lambda _checked=False: slot())
        menu.addAction(act)
        self.addAction(act)
        return act

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu(self.tr("&File"))
        self._action(
            f,
            self.tr("Open protocol…"),
            self.stimulator.open_file,
            QKeySequence.StandardKey.Open,
            self.tr("Load a protocol from a .toml file."),
        )
        self._action(
            f,
            self.tr("Save protocol"),
            self.stimulator.save,
            QKeySequence("Ctrl+Alt+S"),
            self.tr("Save the edited protocol."),
        )
        f.addSeparator()
        self._action(
            f,
            self.tr("Open experiment…"),
            self.open_experiment,
            None,
            self.tr("Reopen settings and recordings from a .vlab file."),
        )
        self.recent_menu = f.addMenu(self.tr("Open recent experiment"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(
            f,
            self.tr("Save experiment…"),
            self.save_experiment,
            QKeySequence.StandardKey.Save,  # Ctrl+S saves the student's work, not a protocol
            self.tr("Save settings, protocol and recordings to a .vlab file."),
        )
        self._action(
            f,
            self.tr("Import recording…"),
            self.import_recording,
            None,
            self.tr("Open a real cell's ABF, ATF or NWB recording in the analysis window."),
        )
        self._action(
            f,
            self.tr("Export sweeps…"),
            self.export_sweeps,
            QKeySequence("Ctrl+E"),
            self.tr("Export the kept sweeps to CSV, ABF or NWB."),
        )
        self._action(
            f,
            self.tr("Export scope image…"),
            self.export_plot,
            None,
            self.tr("Save the scope as a picture."),
        )
        f.addSeparator()
        self._action(
            f, self.tr("Quit"), self.close, QKeySequence.StandardKey.Quit, self.tr("Close vlab.")
        )

        e = mb.addMenu(self.tr("&Edit"))
        self.undo_action = self._action(
            e,
            self.tr("Undo"),
            self.undo,
            QKeySequence("Ctrl+Z"),
            self.tr("Undo the last settings change."),
        )
        self.redo_action = self._action(
            e,
            self.tr("Redo"),
            self.redo,
            QKeySequence("Ctrl+Shift+Z"),
            self.tr("Redo the change you undid."),
        )

        a = mb.addMenu(self.tr("&Acquire"))
        self.run_action = self._action(
            a,
            self.tr("Run protocol"),
            lambda: self.run_protocol(False),
            QKeySequence("F5"),
            self.tr("Record every sweep of the protocol."),
        )
        self._action(
            a,
            self.tr("Repeat protocol"),
            lambda: self.run_protocol(True),
            QKeySequence("Shift+F5"),
            self.tr("Run the protocol over and over."),
        )
        self.stop_action = self._action(
            a,
            self.tr("Stop"),
            self.stop_protocol,
            QKeySequence("Esc"),
            self.tr("Stop the running protocol."),
        )
        self.stimulate_action = self._action(
            a,
            self.tr("Stimulate"),
            self.stimulator.stimulate,
            QKeySequence("Space"),
            self.tr("Deliver one manual pulse (switches to gap-free acquisition if needed)."),
        )
        self.record_gap_free_action = self._action(
            a,
            self.tr("Record gap-free"),
            lambda _on: None,  # GapFreeRecording listens to the toggle
            QKeySequence("Ctrl+Shift+R"),
            self.tr("Record the gap-free stream into the recording until toggled off."),
            checkable=True,
        )
        am = a.addMenu(self.tr("Acquisition mode"))
        self.acquisition_group = QActionGroup(self)
        self.acquisition_actions: dict[str, QAction] = {}
        for key, text, tip in (
            (
                "gap-free",
                self.tr("Gap-free (continuous)"),
                self.tr("Stream continuously; Stimulate works."),
            ),
            (
                "episodic",
                self.tr("Episodic (protocol sweeps)"),
                self.tr("Record protocol sweeps; idle between runs."),
            ),
        ):
            act = QAction(text, self, checkable=True)
            act.setStatusTip(tip)
            act.setChecked(key == "gap-free")
            act.triggered.connect(lambda _c=False, key=key: self.choose_acquisition(key))
            self.acquisition_group.addAction(act)
            am.addAction(act)
            self.acquisition_actions[key] = act
        a.addSeparator()
        self.pause_action = self._action(
            a,
            self.tr("Pause"),
            self.set_paused,
            QKeySequence("F6"),
            self.tr("Freeze or resume the simulation."),
            checkable=True,
        )
        self._action(
            a,
            self.tr("Reset cell"),
            self.reset_cell,
            QKeySequence("Ctrl+R"),
            self.tr("Put the membrane back at rest."),
        )
        sm = a.addMenu(self.tr("Speed"))
        self.speed_group = QActionGroup(self)
        self.speed_actions: dict[float, QAction] = {}
        for s in SPEEDS:
            act = QAction(self.tr("{}× real time").format(f"{s:g}"), self, checkable=True)
            act.setChecked(s == 1.0)
            act.triggered.connect(lambda _c=False, s=s: self.set_speed(s))
            self.speed_group.addAction(act)
            sm.addAction(act)
            self.speed_actions[s] = act
        self._action(
            a,
            self.tr("Faster"),
            lambda: self._step_speed(+1),
            QKeySequence("Ctrl+]"),
            self.tr("Run the simulation faster."),
        )
        self._action(
            a,
            self.tr("Slower"),
            lambda: self._step_speed(-1),
            QKeySequence("Ctrl+["),
            self.tr("Run the simulation in slower motion."),
        )

        m = mb.addMenu(self.tr("A&mplifier"))
        self.mode_actions = {}
        for mode, key, text in (
            (ClampMode.VC, "Ctrl+1", self.tr("Voltage clamp (VC)")),
            (ClampMode.CC, "Ctrl+2", self.tr("Current clamp (CC)")),
            (ClampMode.I0, "Ctrl+3", self.tr("I=0")),
        ):
            self.mode_actions[mode] = self._action(
                m,
                text,
                lambda mode=mode: self.set_mode(mode),
                QKeySequence(key),
                self.tr("Switch the amplifier mode."),
            )

        v = mb.addMenu(self.tr("&View"))
        self._action(
            v,
            self.tr("Autoscale scope"),
            self.scope.autoscale,
            QKeySequence("Ctrl+A"),
            self.tr("Fit the scope to the data once."),
        )
        self._action(
            v,
            self.tr("Clear scope"),
            self.scope.clear,
            QKeySequence("Ctrl+L"),
            self.tr("Remove every trace from the scope."),
        )
        v.addSeparator()
        for key, dock in self.docks.items():
            act = dock.toggleViewAction()
            if key == "membrane_view":
                act.setShortcut(QKeySequence("Ctrl+M"))
            v.addAction(act)
        v.addSeparator()
        um = v.addMenu(self.tr("UI scale (projector)"))
        self.scale_group = QActionGroup(self)
        for s in UI_SCALES:
            act = QAction(f"{s * 100:.0f} %", self, checkable=True)
            act.setChecked(s == 1.0)
            act.triggered.connect(lambda _c=False, s=s: self.set_ui_scale(s))
            self.scale_group.addAction(act)
            um.addAction(act)

        self._action(
            v,
            self.tr("Axon bench (propagation)…"),
            self.open_axon_bench,
            QKeySequence("Ctrl+Shift+X"),
            self.tr(
                "Open an axon with stimulating and recording electrodes to measure conduction."
            ),
        )

        an = mb.addMenu(self.tr("A&nalysis"))
        self._action(
            an,
            self.tr("Analyse sweeps…"),
            self.open_analysis,
            QKeySequence("Ctrl+Shift+A"),
            self.tr("Open I–V, G–V, f–I and phase-plane analysis of the kept sweeps."),
        )
        self._action(
            an,
            self.tr("Discard all sweeps…"),
            self.discard_sweeps,
            None,
            self.tr("Forget every recorded sweep (asks first; can be restored)."),
        )
        self.restore_action = self._action(
            an,
            self.tr("Restore discarded sweeps"),
            self.restore_discarded,
            None,
            self.tr("Bring back the sweeps of the last Discard."),
        )
        self.restore_action.setEnabled(False)

        h = mb.addMenu(self.tr("&Help"))
        self._action(
            h,
            self.tr("Getting started"),
            lambda: self.show_help("getting_started"),
            None,
            self.tr("A five-minute tour of the rig."),
        )
        self._action(
            h,
            self.tr("Welcome…"),
            self.show_welcome,
            None,
            self.tr("Choose a guided practical or free play."),
        )
        h.addSeparator()
        self._action(
            h,
            self.tr("Help on the scope"),
            lambda: self.show_help("scope"),
            None,
            self.tr("Explain the oscilloscope."),
        )
        for key in self.docks:
            self._action(
                h,
                self.tr("Help: {}").format(self.docks[key].windowTitle()),
                lambda key=key: self.show_help(key),
                None,
                self.tr("Explain this panel."),
            )
        self._action(h, self.tr("About vlab"), self.about, None, self.tr("Version and licence."))
        self._update_undo_actions()

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.speed_label = QLabel()
        self.fps_label = QLabel()
        self.prep_label = QLabel()
        self.drugs_label = QLabel()
        self.memory_label = QLabel()
        self.memory_label.setToolTip(
            self.tr(
                "Memory used by the recorded sweeps, and the budget. Beyond it the oldest "
                "Repeat sweeps you did not keep are dropped; kept sweeps never are."
            )
        )
        self.speed_label.setToolTip(
            self.tr("How fast the simulation runs compared with real time.")
        )
        self.fps_label.setToolTip(self.tr("How many times per second the scope is redrawn."))
        self.prep_label.setToolTip(self.tr("The preparation on the rig."))
        self.drugs_label.setToolTip(
            self.tr("Drugs in the bath and how much of their target they block.")
        )
        for w in (
            self.speed_label,
            self.fps_label,
            self.memory_label,
            self.prep_label,
            self.drugs_label,
        ):
            sb.addPermanentWidget(w)

    # ------------------------------------------------------------------ actions
    def set_mode(self, mode) -> None:
        try:
            self.rig.set_mode(mode)
        except ValueError as exc:
            self.show_message(str(exc))

    def undo(self) -> None:
        self.rig.undo()

    def redo(self) -> None:
        self.rig.redo()

    def set_speed(self, factor: float) -> None:
        self.speed = float(factor)
        if factor in self.speed_actions:
            self.speed_actions[factor].setChecked(True)
        self.host.set_speed.emit(self.speed)
        self._update_status_labels()

    def _step_speed(self, direction: int) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        self.set_speed(SPEEDS[min(max(i + direction, 0), len(SPEEDS) - 1)])

    def set_paused(self, paused: bool) -> None:
        self.paused = bool(paused)
        self.pause_action.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.host.set_paused.emit(self.paused)
        self._update_status_labels()

    def reset_cell(self) -> None:
        self.host.reset_cell.emit()
        if self.paused:
            self.pause_action.setChecked(False)
        self.host.set_paused.emit(False)
        self.last_error = None
        self.scope.clear()
        if self._membrane_view is not None:
            self._membrane_view.clear()

    def set_acquisition(self, acquisition: str) -> None:
        if acquisition != "gap-free":
            self.gap_free_recording.stop()
        self.host.set_acquisition.emit(acquisition)
        self.scope.set_display(acquisition)
        self.acquisition = acquisition
        act = self.acquisition_actions.get(acquisition)
        if act is not None and not act.isChecked():
            act.setChecked(True)
        self._update_status_labels()

    def choose_acquisition(self, acquisition: str) -> None:
        """Switch acquisition from the menu (through the stimulator's selector)."""
        combo = self.stimulator.acquisition_combo
        i = combo.findData(acquisition)
        if i >= 0 and combo.currentIndex() != i:
            combo.setCurrentIndex(i)  # emits acquisition_changed -> set_acquisition
        else:
            self.set_acquisition(acquisition)

    def stimulate(self, amplitude: float, duration: float) -> None:
        """A manual pulse: in episodic acquisition switch to gap-free first (and say so),
        or, while a protocol runs, say how to stimulate by hand. Never a silent no-op."""
        if self.protocol_running:
            self.show_message(
                self.tr("A protocol is running: press Stop (Esc) first to stimulate by hand.")
            )
            return
        if self.acquisition != "gap-free":
            self.choose_acquisition("gap-free")
            self.show_message(self.tr("Switched to gap-free acquisition to deliver the stimulus."))
        self.host.stimulate.emit(float(amplitude), float(duration))

    def run_protocol(self, repeat: bool = False) -> None:
        p = self.rig.protocol
        if p is None:
            self.show_message(self.tr("Choose a protocol first."))
            return
        if p.acquisition == "gap-free":
            self.stimulator.acquisition_combo.setCurrentIndex(0)
            self.set_acquisition("gap-free")
            return
        self._match_mode(p)
        if self.stimulator.acquisition_combo.currentIndex() != 1:
            self.stimulator.acquisition_combo.setCurrentIndex(1)  # emits -> set_acquisition
        self.scope.begin_episode(p.sweep_duration)
        if self._membrane_view is not None:
            self._membrane_view.begin_run()
        self.protocol_running = True
        self.host.run_protocol.emit(p, bool(repeat))
        self.show_message(self.tr("Running {}").format(p.name))

    def _match_mode(self, protocol) -> None:
        """Put the amplifier in the protocol's clamp mode (one undo step if it changes)."""
        want = protocol.mode  # VC or CC
        if self.rig.amplifier.mode != want:
            self.rig.set_mode(want)

    def stop_protocol(self) -> None:
        self.host.stop_protocol.emit()

    def _on_episode_finished(self) -> None:
        """The run ended or was stopped (after its last delivery: signals keep their order)."""
        self.protocol_running = False
        self.show_message(
            self.tr("Protocol finished: {} sweeps recorded").format(len(self.recording))
        )
        if self._record_role is not None:
            role, sweeps = self._record_role, self._role_sweeps
            self._record_role, self._role_sweeps = None, []
            win = self._ensure_analysis()
            self._refresh_analysis()
            if role == "control":
                win.pin_control(sweeps)
                self.show_message(
                    self.tr("Control recorded: {} sweeps pinned.").format(len(sweeps))
                )
            else:
                win.set_drug(sweeps)
                self.show_message(
                    self.tr(
                        "Drug run recorded: {} sweeps; Show drug-sensitive current compares."
                    ).format(len(sweeps))
                )
        self._keep_repeat_cycle()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def show_help(self, topic: str):
        """Open the help window for ``topic`` (returned, for tests)."""
        return _show_help(topic, self)

    def about(self) -> None:
        dlg = AboutDialog(self)
        dlg.exec()
        dlg.deleteLater()  # a child of this window: without this each opening stays

    def open_axon_bench(self) -> None:
        """The nerve-conduction bench: an axon with draggable electrodes (separate window)."""
        from vlab.gui.axon_view import AxonWindow  # on demand: not part of the start-up

        win = AxonWindow(self)  # a child: found by extra_windows(), no list to forget it in
        win.setWindowFlag(Qt.WindowType.Window, True)
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closeEvent stops its thread first
        show_placed(win, self.settings, "axon_bench", DEFAULT_SIZE)

    def set_ui_scale(self, scale: float) -> None:
        """Scale every font for projectors: menus, panels, tables, tabs, dialogs and the
        scope's axes (the application font, so windows opened later follow too)."""
        self.ui_scale = float(scale)
        if (
            getattr(self, "settings", None) is not None
            and self.settings.get("ui_scale") != self.ui_scale
        ):
            self.settings.set("ui_scale", self.ui_scale)
            self.settings.save()
        font = QFont(self._base_font)
        size = self._base_font.pointSizeF()
        if size <= 0:
            size = 9.0
        font.setPointSizeF(size * self.ui_scale)
        QApplication.setFont(font)
        self.scope.set_ui_font(font)
        self.fit_docks()

    def greet(self) -> None:
        """What a start shows, one dialog at a time: the crash-recovery offer if a session
        ended abnormally, otherwise the welcome (unless the user turned it off). A student
        returning to restored work is not also asked how to begin."""
        from vlab.gui.welcome import should_welcome

        if not self.offer_recovery() and should_welcome(self.settings):
            self.show_welcome()

    def show_welcome(self) -> WelcomeDialog:
        """Open the welcome (practical or free play); returns it (non-modal)."""
        dlg = WelcomeDialog(self.settings, self)
        dlg.chosen.connect(self._on_welcome_choice)
        self.welcome = dlg
        dlg.open()
        return dlg

    def _on_welcome_choice(self, what: str) -> None:
        if what == "practical":
            dock = self.docks["practical"]
            dock.show()
            dock.raise_()
            self.practical.practical_combo.setFocus()
            self.show_message(self.tr("Choose a practical, type your student ID and press Open."))
        elif what == "help":
            self.show_help("getting_started")
        else:
            self.show_message(self.tr("Free play: press Space to stimulate, F5 to run a protocol."))

    def show_placed(self) -> None:
        """Show the window where the user left it, within the screen (maximised on a
        screen too small for 1280x800); :meth:`closeEvent` remembers the place."""
        show_placed(self, self.settings, "main", DEFAULT_SIZE)

    def fit_docks(self) -> None:
        """Size the right-hand column: wide enough for its panels, never more than half
        the window (the scope keeps the rest), the amplifier as tall as it needs."""
        amp = self.docks["amplifier"]
        width = self.width()
        need = max(dock_content_size(self.docks[k]).width() for k in self._column_keys())
        col = min(max(need, int(COLUMN_SHARE * width)), width // 2 - 8)
        self.resizeDocks([amp], [max(col, 1)], Qt.Orientation.Horizontal)
        self.resizeDocks(
            [amp], [dock_content_size(amp, hint=True).height()], Qt.Orientation.Vertical
        )

    def _column_keys(self) -> list[str]:
        return ["amplifier", *(k for k, d in self.docks.items() if d in self._tab_docks)]

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.fit_docks()

    # ------------------------------------------------------------------ data from the worker
    @Slot(object)
    def _practical_lock(self, lock) -> None:
        """A practical step opened: lock its controls, hide the read-outs it asks to."""
        self.rig.set_locked(lock.locked)
        self.scope.set_hidden_readouts(lock.hidden)
        self.solutions_panel.set_hidden_readouts(lock.hidden)
        self._membrane_hidden = frozenset(lock.hidden)
        if self._membrane_view is not None:
            self._membrane_view.hidden_readouts = self._membrane_hidden

    def on_blocks(self, blocks) -> None:
        self._blocks_seen = True
        self.scope.add_blocks(blocks)
        mv = self._membrane_view  # built when its dock was first shown
        if mv is not None and not self.docks["membrane_view"].isVisible():
            mv = None  # hidden: spare the CPU (it fills again within a window when shown)
        for b in blocks:
            if mv is not None:
                try:
                    mv.add_block(b)
                except Exception:  # noqa: BLE001 - a view bug must not stop acquisition
                    log.exception("membrane view failed on a block")
                    self._membrane_view = mv = None
            self.gap_free_recording.add_block(b)
            if b.record is not None:
                self.record_sweep(b.record)
        if blocks:
            last = blocks[-1]
            if last.bath is not None:
                self.rig.report_bath(last.bath)  # the perfusion as the simulation advanced it
            self.amplifier.set_readouts(
                float(last.data["Vm"][-1]),
                float(last.data["Im"][-1]),
                sweep=getattr(last, "sweep", None),
                n_sweeps=getattr(last, "n_sweeps", None),
            )
            # live block (use-dependent drugs change per spike)
            self.perfusion_panel.update_block(last)
            note = next((n for b in reversed(blocks) if (n := getattr(b, "note", None))), None)
            if note:  # Vm beyond what a real cell reaches: say so next to the trace
                self.show_message(note)

    @Slot(str)
    def on_sim_error(self, text: str) -> None:
        """The engine failed: keep the recordings, pause, and offer a reset."""
        self.last_error = text
        self.paused = True
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(True)
        self.pause_action.blockSignals(False)
        self.show_message(self.tr("Simulation stopped: {}").format(text))
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Simulation stopped"))
        box.setText(text)
        box.setInformativeText(
            self.tr("Your recorded sweeps are kept. Reset the cell to continue.")
        )
        reset = box.addButton(self.tr("Reset cell"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.buttonClicked.connect(lambda b: self.reset_cell() if b is reset else None)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box = box
        box.open()  # not modal-blocking: the GUI stays live

    @Slot(object)
    def on_status(self, info: dict) -> None:
        self._status_info = dict(info)
        if info.get("bath") is not None:  # the perfusion also moves while nothing is recorded
            self.rig.report_bath(info["bath"])
        self._update_status_labels()

    def _on_rig_event(self, kind: str, detail: object) -> None:
        if kind == "bath":
            return  # the simulation's perfusion: shown by the slow refresh
        self._update_undo_actions()
        self._update_status_labels()
        if kind in ("protocol", "preparation", "mode") and QThread.currentThread() is self.thread():
            self._journal_state()  # the protocol choice survives a crash too
        if QThread.currentThread() is self.thread():
            self._sync_reversals()  # E lines follow undo and preparation switches at once

    def _sync_reversals(self) -> None:
        """Put the rig's present reversal potentials on the scope (GUI thread)."""
        with self.rig.lock:
            rev = self.rig.cell.reversals()
        self.scope.set_reversal(rev)

    def _update_undo_actions(self) -> None:
        self.undo_action.setEnabled(self.rig.can_undo)
        self.redo_action.setEnabled(self.rig.can_redo)
        self.undo_action.setText(self.tr("Undo {}").format(self.rig.undo_text()).strip())
        self.redo_action.setText(self.tr("Redo {}").format(self.rig.redo_text()).strip())

    def _update_status_labels(self) -> None:
        sp = self._status_info.get("speed")
        streaming = getattr(self, "host", None) is not None and self.host.running
        if getattr(self, "_worker_pending", False):
            self.speed_label.setText(self.tr("starting the simulator…"))
        elif not streaming:
            self.speed_label.setText(self.tr("not streaming"))
        elif self.paused:
            self.speed_label.setText(self.tr("paused"))
        elif not self._blocks_seen:
            # the first start after an install without the kernel cache compiles it here
            self.speed_label.setText(self.tr("starting the simulator…"))
        elif sp is None:
            self.speed_label.setText(self.tr("speed —"))
        else:
            self.speed_label.setText(
                self.tr("{:.2f}× real time (set {}×)").format(sp, f"{self.speed:g}")
            )
        # the redraw rate means something only while the trace flows (gap-free): in
        # episodic mode the scope redraws when a sweep arrives, and "2 fps" between
        # sweeps read as a slow rig
        self.fps_label.setVisible(self.acquisition == "gap-free")
        if streaming:
            self.fps_label.setText(self.tr("{:.0f} fps").format(self.scope.fps))
        else:
            self.fps_label.setText(self.tr("— fps"))
        self._update_memory_label()
        with self.rig.lock:
            prep = self.rig.cell.prep.name
            drugs = dict(self.rig.cell.drugs)
            applied = self.rig.bath.applied()
        self.prep_label.setText(self.tr("preparation: {}").format(prep))
        from vlab.sim.drugs import get_drug

        names = sorted(set(drugs) | set(applied))
        if names and "drug_names" in self.rig.locked:  # a mystery practical: do not tell
            self.drugs_label.setText(self.tr("bath: an unknown drug"))
        elif names:
            parts = []
            for n in names:
                d = get_drug(n)
                blocked = self.rig.cell.fraction_blocked(n) * 100
                parts.append(f"{d.name} {d.format(applied.get(n, 0.0))} ({blocked:.0f} %)")
            self.drugs_label.setText(self.tr("bath: {}").format(", ".join(parts)))
        else:
            self.drugs_label.setText(self.tr("bath: control saline"))

    def _update_memory_label(self) -> None:
        b = self.budget
        text = self.tr("rec {} / {} MB").format(_mb(b.used), _mb(b.limit))
        if b.over:
            text += " " + self.tr("(full: export and discard)")
        if self.memory_label.text() != text:
            self.memory_label.setText(text)
            self.memory_label.setStyleSheet("color: #D55E00;" if b.over else "")

    def _refresh_slow(self) -> None:
        self._update_status_labels()
        self._sync_reversals()  # also while no blocks arrive (episodic, idle)
        try:
            with self.rig.lock:
                self.perfusion_panel.refresh()
        except Exception:  # noqa: BLE001
            log.exception("perfusion refresh failed")

    # ------------------------------------------------------------------ recordings
    def record_sweep(self, sweep) -> None:
        """Add a finished sweep compactly; keep the recording inside its memory budget.

        Sweeps of a Repeat run arrive un-kept (the newest whole cycle is kept when the
        run stops); the budget drops the oldest un-kept Repeat sweeps, never kept ones.
        """
        repeat = is_repeat(sweep)
        if repeat:
            self._repeat_run_id = sweep.provenance.get("run_id")
        kept = compact_sweep(sweep, kept=not repeat)
        self.recording.append(kept)
        self._journal_state()
        if kept.kept:  # a Repeat sweep is journalled only if it is kept (_keep_repeat_cycle)
            self.journal.sweep(kept)
        if self._record_role is not None:
            self._role_sweeps.append(kept)
        self._analysis_changed()
        before, was_over = self.budget.dropped, self.budget.over
        self.budget.enforce(self.recording)
        if self.budget.dropped and before == 0:
            self.show_message(
                self.tr(
                    "Memory budget reached: the oldest Repeat sweeps you did not keep are "
                    "being dropped."
                )
            )
        elif self.budget.over and not was_over:  # kept data is never dropped: say so
            self.show_message(
                self.tr(
                    "Memory budget full with sweeps you kept (they are never dropped): "
                    "export them and discard to free memory."
                )
            )

    def _keep_repeat_cycle(self) -> None:
        """After a Repeat run: keep its newest complete cycle (so Export has it)."""
        if self._repeat_run_id is None:
            return
        kept = keep_last_cycle(self.recording, self._repeat_run_id)
        self._repeat_run_id = None
        # the un-kept sweeps of a Repeat run are not journalled: a 30-minute Repeat at 10x
        # wrote gigabytes to the crash-recovery journal (bench/bench_soak.py) for sweeps
        # the memory budget drops anyway; what is kept of the run is journalled now
        for sweep in kept:
            self.journal.sweep(sweep)
        if kept:
            self.show_message(
                self.tr("Repeat stopped: the last cycle ({} sweeps) is kept.").format(len(kept))
            )

    def kept_sweeps(self) -> list:
        return [s for s in self.recording if s.kept]

    def ask_discard(self, n: int) -> bool:
        """Ask before discarding ``n`` sweeps (tests replace this method)."""
        if QApplication.platformName() == "offscreen":
            return True  # nobody to ask; the discard can be restored
        answer = QMessageBox.question(
            self,
            self.tr("Discard all sweeps"),
            self.tr(
                "Discard all {} recorded sweeps? You can bring them back with "
                "Analysis ▸ Restore discarded sweeps until the next discard."
            ).format(n),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def discard_sweeps(self) -> bool:
        """Forget every sweep after asking; the last discard can be restored."""
        n = len(self.recording)
        if n == 0:
            self.show_message(self.tr("There are no sweeps to discard."))
            return False
        if not self.ask_discard(n):
            return False
        self._discarded = (list(self.recording.sweeps), self._saved_count)
        self.recording.clear()
        self.journal.mark("cleared")
        self.budget.enforce(self.recording)
        self._saved_count = 0
        self.restore_action.setEnabled(True)
        self._analysis_changed()
        self.show_message(
            self.tr(
                "{} sweeps discarded (Analysis ▸ Restore discarded sweeps brings them back)."
            ).format(n)
        )
        return True

    def restore_discarded(self) -> None:
        """Undo the last Discard: its sweeps come back before any recorded since."""
        if not self._discarded:
            return
        sweeps, saved = self._discarded
        self._discarded = None
        newer = list(self.recording.sweeps)
        self.recording.sweeps[:] = sweeps + newer
        self._saved_count = saved
        self.journal.mark("cleared")
        for s in self.recording.sweeps[saved:]:
            self.journal.sweep(s)
        self.budget.enforce(self.recording)
        self.restore_action.setEnabled(False)
        self._analysis_changed()
        self.show_message(self.tr("{} discarded sweeps restored.").format(len(sweeps)))

    # ------------------------------------------------------------------ analysis workspace
    def _prep_defaults(self) -> dict:
        """Preparation -> its own concentrations (mM), to name changed solutions."""
        from vlab.sim.cell import Cell

        cache = self.__dict__.setdefault("_defaults_cache", {})
        for s in self.recording:
            prep = str(s.provenance.get("preparation", ""))
            if prep and prep not in cache:
                try:
                    v = Cell(prep).values
                except (ValueError, KeyError):
                    v = {}
                cache[prep] = {k: x for k, x in v.items() if k.endswith(("_in", "_out"))}
        return cache

    def _ensure_analysis(self) -> AnalysisWindow:
        """The one analysis workspace, fed live by the recording."""
        if self.analysis is None:
            from vlab.gui.analysis_windows import AnalysisWindow  # not part of the start-up

            self.analysis = AnalysisWindow(parent=None)
            self.pacer.watch_paints(self.analysis)  # its turns' paints are part of them
            self.analysis.set_sweeps(self.recording.sweeps, self._prep_defaults())
            self.analysis.import_finished.connect(self._imported)
            if self._pending_imported:
                self.analysis.add_imported(self._pending_imported)
                self._pending_imported = []
            if self._pending_pins:
                self.analysis.restore_pins(self._pending_pins)
                self._pending_pins = None
        return self.analysis

    def extra_windows(self) -> list[QWidget]:
        """The windows this one opened that still exist: the analysis workspace (kept and
        reused, it holds the pins) and every axon bench not yet closed (freed on close)."""
        found: list[QWidget] = [] if self.analysis is None else [self.analysis]
        axon_view = sys.modules.get("vlab.gui.axon_view")  # not imported: no bench was opened
        return found if axon_view is None else found + self.findChildren(axon_view.AxonWindow)

    def open_analysis(self) -> None:
        """Show the live analysis workspace (one window, fed by the recording)."""
        win = self._ensure_analysis()
        self._refresh_analysis()
        self._show_analysis_window(win)

    def import_recording(self, path=None) -> FileJob | None:
        """Open a real recording (ABF, ATF, NWB) in the analysis workspace, beside the
        model's sweeps (asks for the file when ``path`` is None); the file is read off the
        GUI thread (:meth:`AnalysisWindow.import_recording`). Returns the running read."""
        self.open_analysis()
        assert self.analysis is not None
        return self.analysis.import_recording(path)

    def _imported(self, found: list) -> None:
        if found:
            self.show_message(
                self.tr("Imported {n} sweeps of {f} into the analysis window.").format(
                    n=len(found), f=found[0].label
                )
            )

    def _analysis_changed(self) -> None:
        """The recording changed: refresh the workspace at its next turn of the pacer (at
        most 4 a second: many sweeps, one refresh)."""
        if self.analysis is not None:
            self._analysis_pending = True

    @staticmethod
    def _paced_gc() -> bool:
        if not gc_guard.installed() or not gc_guard.due():
            return False
        gc_guard.collect_due()
        return True

    def _paced_analyses(self) -> bool:
        """A turn for the next analysis the workspace's last refresh left (I–V, G–V, ...:
        one a turn, :meth:`AnalysisWindow.recompute_if_pending`)."""
        return self.analysis is not None and self.analysis.recompute_if_pending()

    def _heap_trim_is_due(self) -> None:
        self._heap_trim_due = True  # done at the pacer's next free turn

    def _paced_heap_trim(self) -> bool:
        """Hand free C-heap memory back (gui/heap.py) if the heap timer asked for it."""
        if not self._heap_trim_due:
            return False
        self._heap_trim_due = False
        return release_free_heap()

    def _paced_analysis(self) -> bool:
        """The workspace's turn: the recording's new sweeps (the tree); the analyses the
        new ticks need are left to the turns of :meth:`_paced_analyses`."""
        if not self._analysis_pending:
            return False
        self._analysis_pending = False
        if self.analysis is not None:
            self.analysis.set_sweeps(
                self.recording.sweeps, self._prep_defaults(), defer_analyses=True
            )
        return True

    def _refresh_analysis(self) -> None:
        if self.analysis is not None:
            self.analysis.set_sweeps(self.recording.sweeps, self._prep_defaults())

    def record_for(self, role: str) -> None:
        """Record a voltage-step family and pin it as ``"control"`` or ``"drug"`` when done
        (the perfusion panel's one-click comparison)."""
        p = self.rig.protocol
        if p is None or p.mode is not ClampMode.VC or p.acquisition != "episodic" or p.sweeps < 2:
            from vlab.protocols import load_protocol

            p = load_protocol("vc_step_family")
            self.rig.set_protocol(p)
            self.show_message(self.tr("Using the voltage-step family for the comparison."))
        self._ensure_analysis()
        self._record_role = role
        self._role_sweeps = []
        self.run_protocol(False)

    def _cursors_to_membrane_view(self, *_: object) -> None:
        if self._membrane_view is not None:
            self._membrane_view.set_cursors(*self.scope.cursor_positions())

    def _on_comparison_requested(self, what: str) -> None:
        if what in ("control", "drug"):
            self.record_for(what)
        else:
            self.show_difference()

    def _show_analysis_window(self, win) -> None:
        """Show the workspace: the first time within the screen, where it was last closed
        (``geometry.show_placed``), then where the student left it."""
        if not self._analysis_placed:
            self._analysis_placed = True
            show_placed(win, self.settings, "analysis", QSize(1000, 640))
        elif not win.isVisible():
            win.show()
        win.raise_()

    def show_difference(self) -> None:
        """Open the workspace on the comparison: control, drug and control − drug."""
        win = self._ensure_analysis()
        self._refresh_analysis()
        self._show_analysis_window(win)
        win.tabs.setCurrentIndex(win.TABS.index("compare"))
        if not win.control or not win.drug:
            self.show_message(
                self.tr("Record a control run and a run with the drug first (Perfusion panel).")
            )

    def export_sweeps(self) -> ExportSweepsDialog | None:
        """Open the export dialog on every sweep (the kept ones ticked); returns it.

        One dialog at a time: one that is writing is raised; an idle one is replaced by a
        new one listing today's sweeps (each dialog holds its own list of the recording, so
        stacked ones kept sweeps alive that the memory budget had dropped).
        """
        if not len(self.recording):
            self.show_message(self.tr("Record some sweeps first: there is nothing to export."))
            return None
        from vlab.gui.dialogs.export_sweeps import ExportSweepsDialog  # not at start-up

        for old in self.findChildren(ExportSweepsDialog):
            if old.running:
                old.raise_()
                old.activateWindow()
                return old
            old.close()  # deleted on close
        dialog = ExportSweepsDialog(self, list(self.recording))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(
            lambda path: self.show_message(self.tr("Sweeps exported to {}").format(path))
        )
        dialog.show()
        return dialog

    def export_plot(self) -> None:
        from vlab.gui.dialogs.export import export_plot_dialog

        export_plot_dialog(self, self.scope.glw.ci)  # the whole scope: Vm and Im

    def save_experiment(self, path=None) -> FileJob | None:
        """Save settings, protocol, recordings and imported recordings to a ``.vlab`` file
        (asks if no path); returns the running write, or None if none was started.

        What is saved is taken now, in the GUI thread, and cheaply: the settings and
        references to the sweeps' read-only arrays (:func:`snapshot_session`). The file is
        written atomically in a worker thread (:class:`~vlab.gui.file_job.FileJob`, with
        progress and Cancel) while the rig goes on; sweeps recorded meanwhile stay unsaved.
        :attr:`experiment_save_finished` tells the outcome. A failure (full or read-only
        disk...) says why in a dialog; the recordings stay in vlab and an existing file is
        left as it was.
        """
        if self.saving is not None:
            self.show_message(self.tr("Still saving {}…").format(self.saving.path.name))
            return None
        from vlab.gui.dialogs import export as dialogs  # not part of the start-up

        target = Path(path) if path is not None else dialogs.choose_experiment_save_file(self)
        if not target:
            return None
        state = self.rig.state_dict()
        state["gui"] = {"speed": self.speed, "ui_scale": self.ui_scale}
        pins = self.analysis.pins_state() if self.analysis is not None else self._pending_pins
        if pins:
            state["gui"]["analysis_pins"] = pins
        imported = self.analysis.imported if self.analysis is not None else self._pending_imported
        saved = tuple(self.recording.sweeps)
        try:
            snapshot = snapshot_session(
                target, state, Recording(saved, self.recording.metadata, imported)
            )
        except SessionError as exc:
            dialogs.show_error(self, self.tr("Saving the experiment failed"), exc)
            self.experiment_save_finished.emit(False)
            return None
        job = FileJob(
            self,
            lambda p, progress: write_session(p, snapshot, progress),
            target,
            text=self.tr("Saving {}…"),
            title=self.tr("Saving"),
            error_title=self.tr("Saving the experiment failed"),
        )
        job.succeeded.connect(lambda _r: self._save_done(target, saved))
        job.failed.connect(lambda _text: self._save_ended(False))
        job.cancelled.connect(self._save_cancelled)
        self.saving = job
        return job.start()

    def _save_done(self, target: Path, saved: tuple) -> None:
        self.show_message(self.tr("Experiment saved to {}").format(target))
        self._remember("experiments", target)
        ids = {id(s) for s in saved}
        self._saved_count = sum(1 for s in self.recording.sweeps if id(s) in ids)
        self.journal.mark("saved", path=str(target))
        for s in self.recording.sweeps:  # recorded during the save: still to recover
            if id(s) not in ids and s.kept:
                self.journal.sweep(s)
        self._save_ended(True)

    def _save_cancelled(self) -> None:
        self.show_message(self.tr("Saving cancelled; the file on disk was not changed."))
        self._save_ended(False)

    def _save_ended(self, ok: bool) -> None:
        self.saving = None
        close, self._close_after_save = self._close_after_save, False
        self.experiment_save_finished.emit(ok)
        if close and ok:
            self.close()

    def _remember(self, kind: str, path) -> None:
        """Add a file to the recent list in the user's settings folder."""
        self.settings.add_recent(kind, path)
        self.settings.save()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        items = self.settings.recent("experiments")
        if not items:
            act = self.recent_menu.addAction(self.tr("(none yet)"))
            act.setEnabled(False)
            return
        for p in items:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _c=False, p=p: self.open_experiment(p))

    def open_experiment(self, path=None) -> FileJob | None:
        """Reopen a ``.vlab`` file (asks if no path); returns the running read, or None.

        The file is read and checked in a worker thread with a progress dialog and Cancel
        (:class:`vlab.gui.file_job.FileJob`); the window stays live. When it has been read,
        :meth:`apply_experiment` takes it over; :attr:`experiment_open_finished` tells the
        outcome. On any problem a message, and nothing changes.
        """
        if self.loading is not None:
            self.show_message(self.tr("Still opening {}…").format(self.loading.path.name))
            return None
        from vlab.gui.dialogs.export import choose_experiment_file  # not part of the start-up

        target = path if path is not None else choose_experiment_file(self)
        if not target:
            return None
        load = FileJob(
            self, load_session, target, error_title=self.tr("Opening the experiment failed")
        )
        load.succeeded.connect(self._open_loaded)
        load.failed.connect(self._open_failed)
        load.cancelled.connect(self._open_cancelled)
        self.loading = load
        return load.start()

    def _open_loaded(self, result) -> None:
        path, self.loading = self.loading.path if self.loading else None, None
        self.apply_experiment(result, path)

    def _open_failed(self, _text: str) -> None:
        self.loading = None  # the error dialog has been shown
        self.experiment_open_finished.emit(False)

    def _open_cancelled(self) -> None:
        self.loading = None
        self.show_message(self.tr("Opening cancelled; nothing changed."))
        self.experiment_open_finished.emit(False)

    def apply_experiment(self, result, path=None) -> bool:
        """Take over a read experiment ``(state, recording)``: rig settings, sweeps, pins.

        When the sweeps are intact but a rig setting is rejected, the sweeps open and the rig
        keeps its present settings (the message says which setting could not be used).
        Emits :attr:`experiment_open_finished` and returns the same verdict.
        """
        ok = self._apply_experiment(result, path)
        self.experiment_open_finished.emit(ok)
        return ok

    def _apply_experiment(self, result, path) -> bool:
        state, recording = result
        gui: dict = {}
        try:
            if not isinstance(state, dict):
                raise ValueError(self.tr("the file holds no rig settings"))
            gui = state.get("gui") or {}
            self.rig.load_state({k: v for k, v in state.items() if k != "gui"})
        except (TypeError, ValueError) as exc:
            keep = recording is not None and len(recording) > 0
            text = str(exc)
            if keep:
                text = self.tr(
                    "{} sweeps opened; the rig keeps its present settings because {}"
                ).format(len(recording), text)
            self.last_error = text
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(
                self.tr("Settings not restored") if keep else self.tr("Cannot open experiment")
            )
            box.setText(text)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            if not keep:
                return False
            gui = {}
        if recording is not None:
            self.recording = recording
            self._saved_count = len(self.recording)
            self.budget.enforce(self.recording)
            self.journal.mark("cleared")
        pins = gui.get("analysis_pins") if isinstance(gui, dict) else None
        imported = list(recording.imported) if recording is not None else []
        if recording is not None:
            recording.imported = []  # the imported recordings live in the analysis workspace
        if self.analysis is not None:
            self._refresh_analysis()
            self.analysis.add_imported(imported)
            self.analysis.restore_pins(pins or {})
        else:
            self._pending_pins = pins if isinstance(pins, dict) else None
            self._pending_imported = imported
        if path is not None:
            self._remember("experiments", path)
        if isinstance(gui.get("speed"), (int, float)) and gui["speed"] in SPEEDS:
            self.set_speed(float(gui["speed"]))
        self.host.reset_cell.emit()
        self._show_last_run()
        self.show_message(self.tr("Experiment opened: {} sweeps").format(len(self.recording)))
        return True

    def _show_last_run(self) -> None:
        """Put the newest run of the recording on the scope, as if just recorded."""
        self.scope.clear()
        runs = group_runs(list(self.recording.sweeps))
        if not runs:
            return
        if self.stimulator.acquisition_combo.currentIndex() != 1:
            self.stimulator.acquisition_combo.setCurrentIndex(1)  # episodic, as after a run
        self.scope.show_sweeps(runs[-1].sweeps)

    # ------------------------------------------------------------------ synchronous runs
    def run_protocol_now(self, protocol=None) -> list:
        """Run a protocol to completion on the GUI thread, as fast as possible.

        For screenshots and scripts (the worker must not be running). Returns the sweeps.
        """
        p = protocol if protocol is not None else self.rig.protocol
        sim = RigSimulator(self.rig)
        if p is None or p.acquisition == "gap-free":
            return self.stream_now(sim, self.scope.window_s)
        self._match_mode(p)
        self.stimulator.acquisition_combo.blockSignals(True)
        self.stimulator.acquisition_combo.setCurrentIndex(1)
        self.stimulator.acquisition_combo.blockSignals(False)
        self.acquisition = "episodic"
        self.acquisition_actions["episodic"].setChecked(True)
        self.scope.begin_episode(p.sweep_duration)
        if self._membrane_view is not None:
            self._membrane_view.begin_run()
        blocks = sim.run_episode(p)
        self.on_blocks(blocks)
        self.scope.redraw()
        return [b.record for b in blocks if b.record is not None]

    def stream_now(self, sim: RigSimulator, seconds: float, stimuli=(0.3, 0.8, 1.1)) -> list:
        """Stream ``seconds`` of gap-free recording synchronously with a few manual pulses."""
        t_end = sim.time + seconds
        area = self.rig.cell.values["area"]
        pending = sorted(stimuli)
        while sim.time < t_end - 1e-9:
            if pending and sim.time >= pending[0] - 1e-9:
                pending.pop(0)
                amp = 20e-3 if self.rig.amplifier.mode == ClampMode.VC else 0.1 * area
                sim.stimulate(amp, 1e-3)
            nxt = min([t_end] + pending) - sim.time
            b = sim.step(min(0.05, max(nxt, sim.dt)))
            if b is not None:
                self.on_blocks([b])
        self.scope.redraw()
        return []

    # ------------------------------------------------------------------ shutdown
    # ------------------------------------------------------------------ crash recovery
    def _journal_state(self) -> None:
        try:
            state = self.rig.state_dict()
        except (TypeError, ValueError):  # pragma: no cover - a rig that cannot be saved
            return
        state["gui"] = {"speed": self.speed}
        self.journal.state(state)

    def offer_recovery(self) -> bool:
        """After a crash: offer to restore the unsaved sweeps and settings a journal kept.

        Journals of vlab instances that are gone are read (newest first); the student is
        asked (:meth:`ask_restore`). Restored sweeps are journaled again at once, so a second
        crash loses nothing either. Returns True if something was restored.
        """
        for path in reversed(find_orphans(self.journal.folder)):
            if path == self.journal.path:
                continue
            found = read_journal(path)
            if not found.worth_offering:
                found.discard()
                continue
            if not self.ask_restore(found):
                found.discard()
                continue
            state = dict(found.state or {})
            gui = state.pop("gui", {}) or {}
            if state:
                try:
                    self.rig.load_state(state)
                except ValueError as exc:
                    self.show_message(self.tr("Settings not restored: {}").format(exc))
            self.recording.extend(found.sweeps)
            self.budget.enforce(self.recording)
            self._analysis_changed()
            for s in found.sweeps:
                self.journal.sweep(s)
            self._journal_state()
            if isinstance(gui.get("speed"), (int, float)) and gui["speed"] in SPEEDS:
                self.set_speed(float(gui["speed"]))
            found.discard()
            what = (
                self.tr("{} unsaved sweeps and the rig settings").format(len(found.sweeps))
                if found.sweeps
                else self.tr("the rig settings")
            )
            self.show_message(
                self.tr("Restored {} from the session started {}.").format(
                    what, _when(found.started)
                )
            )
            return True
        return False

    def ask_restore(self, found) -> bool:
        """Ask whether to restore what a crashed session left; tests replace this."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Recover unsaved work"))
        what = (
            self.tr("{} unsaved sweep(s) and the rig settings").format(len(found.sweeps))
            if found.sweeps
            else self.tr("The rig settings (no unsaved sweeps)")
        )
        box.setText(
            self.tr(
                "vlab did not close normally last time (started {}). {} can be restored."
            ).format(_when(found.started), what)
        )
        restore = box.addButton(self.tr("Restore"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(restore)
        box.exec()
        return box.clickedButton() is restore

    def shutdown(self) -> None:
        """Stop the worker thread, a file being read or written and the timers (idempotent).

        A save still running is cancelled: the file on disk stays as it was (closing the
        window waits for a save instead, :meth:`closeEvent`)."""
        if self.loading is not None:
            self.loading.abort()
            self.loading = None
        if self.saving is not None:
            self.saving.abort()
            self.saving = None
        if self.analysis is not None and self.analysis.importing is not None:
            self.analysis.importing.abort()
            self.analysis.importing = None
        self._worker_pending = False  # a window closed before its first paint never starts it
        self._slow_timer.stop()
        self._heap_timer.stop()
        self.pacer.stop()
        self.scope.stop_timer()
        self.host.shutdown()
        for receiver in (self, self.amplifier, self.stimulator):
            disconnect_rig_events(self.rig, receiver._on_rig_event)

    def unsaved_sweeps(self) -> int:
        """Sweeps recorded since the experiment was last saved or opened."""
        return max(0, len(self.recording) - self._saved_count)

    def ask_unsaved(self, n: int) -> str:
        """Ask what to do with ``n`` unsaved sweeps: "save", "discard" or "cancel".

        Offscreen (tests, ``--screenshot``, ``--smoke-test``) there is no one to ask and the
        answer is "discard"; tests replace this method to check the other answers.
        """
        if QApplication.platformName() == "offscreen":
            return "discard"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Unsaved recordings"))
        box.setText(self.tr("{} recorded sweep(s) have not been saved.").format(n))
        box.setInformativeText(self.tr("Save them in an experiment file before closing?"))
        save = box.addButton(self.tr("Save…"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)
        box.exec()
        if box.clickedButton() is save:
            return "save"
        if box.clickedButton() is discard:
            return "discard"
        return "cancel"

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.saving is not None:  # close once the file is safely written
            self._close_after_save = True
            self.show_message(self.tr("Closing when {} is saved…").format(self.saving.path.name))
            event.ignore()
            return
        n = self.unsaved_sweeps()
        if n:
            answer = self.ask_unsaved(n)
            if answer == "save" and self.save_experiment() is not None:
                self._close_after_save = True  # closes when saved; stays open if it fails
            if answer != "discard":
                event.ignore()
                return
        self.shutdown()
        self.journal.close(delete=True)  # a normal exit: nothing to recover
        for w in self.extra_windows():
            w.close()
        if self.ui_scale != 1.0:  # the projector font belongs to this window's session
            QApplication.setFont(self._base_font)
        super().closeEvent(event)


def _when(iso: str) -> str:
    """A journal's ISO start time as a student reads it: "at 05:30" today, else
    "on 2 Dec at 05:30" (local time); the text as it is if it is not a time."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(iso).astimezone()
    except (TypeError, ValueError):
        return iso or "earlier"
    if t.date() == dt.datetime.now().astimezone().date():
        return t.strftime("at %H:%M")
    return f"on {t.day} {t.strftime('%b')} at {t.strftime('%H:%M')}"
