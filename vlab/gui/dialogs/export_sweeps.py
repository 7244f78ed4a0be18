"""The *Export sweeps* dialog: choose sweeps and channels, write off the GUI thread.

The student ticks sweeps (grouped by protocol run, so a whole run is one click; or all
voltage-clamp / all current-clamp sweeps at once) and channels, picks a format and a file,
and presses *Export*. The file is written by :func:`vlab.recording.export_sweeps` in a
worker thread (:class:`ExportWorker`) with a progress bar; *Cancel* stops it, and a
cancelled export leaves no file (the writers are atomic, :mod:`vlab.recording.progress`).

A choice the format cannot hold (an ABF or ATF file of both clamp modes or of sweeps of
different lengths; an NWB file without a sweep's response channel) is named under the
lists, with the *Export* button disabled until the ticks fix it; a failed write is shown
there too, and the dialog stays open so the student can change the choice.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vlab.clamp import ClampMode
from vlab.gui.worker import HostedWorker, ThreadHost
from vlab.protocols import protocol_from_provenance
from vlab.recording import (
    EXPORT_FORMATS,
    ExportCancelled,
    RecordingError,
    Sweep,
    abf_coarse_sweeps,
    default_export_name,
    export_sweeps,
)

__all__ = ["DIALOG_FORMATS", "ExportSweepsDialog", "ExportWorker", "selection_problem"]

#: formats offered (a ``.vlab`` experiment is saved with File ▸ Save experiment)
DIALOG_FORMATS = ("csv", "npz", "abf", "nwb", "atf")
_ROLE = Qt.ItemDataRole.UserRole
_PRIMARY = {True: "Im", False: "Vm"}  # voltage clamp? -> the NWB response channel


def selection_problem(fmt: str, sweeps: Sequence[Sweep], channels: Sequence[str]) -> str | None:
    """Why the ticked ``sweeps`` (with all their channels) cannot be written as ``fmt``
    keeping only ``channels``, or None if they can.

    The text tells the student what to tick instead.
    """
    if not sweeps:
        return "Tick at least one sweep."
    if not channels:
        return "Tick at least one channel."
    missing = [s for s in sweeps if not set(channels) & set(s.channels)]
    if missing:
        return f"Sweep {missing[0].index + 1} has none of the ticked channels: tick one it has."
    name = EXPORT_FORMATS[fmt].name
    if fmt in ("abf", "atf"):
        modes = {s.mode is ClampMode.VC for s in sweeps}
        if len(modes) > 1:
            return (
                f"An {name} file holds one clamp mode, and the ticked sweeps mix voltage clamp "
                "and current clamp: tick only one kind (the buttons above do that)."
            )
        n, dt = sweeps[0].n_samples, sweeps[0].dt
        if any(s.n_samples != n or not math.isclose(s.dt, dt, rel_tol=1e-9) for s in sweeps):
            return (
                f"An {name} file needs sweeps of one length and sample rate: tick the sweeps "
                "of a single run."
            )
    if fmt == "nwb":
        for s in sweeps:
            primary = _PRIMARY[s.mode is ClampMode.VC]
            if primary not in s.channels:
                return (
                    f"NWB needs a {primary} channel as the response, and sweep {s.index + 1} "
                    "has none: export CSV, NumPy, ABF or ATF instead."
                )
            if primary not in channels:
                return (
                    f"NWB keeps {primary} as the response of {'voltage' if primary == 'Im' else 'current'}"
                    f"-clamp sweeps: tick the {primary} channel."
                )
    return None


class ExportWorker(HostedWorker):
    """Writes one export in its own thread (hosted by :class:`~vlab.gui.worker.ThreadHost`).

    ``progressed`` carries the fraction done; ``finished`` carries ``("done", path)``,
    ``("cancelled", None)`` or ``("failed", message)``. :meth:`cancel` may be called from
    any thread: the export stops at its next progress report, before any file is written.
    """

    progressed = Signal(float)
    finished = Signal(object)

    def __init__(self, sweeps: list[Sweep], path: Path, fmt: str, options: dict[str, Any]):
        super().__init__()
        self.sweeps, self.path, self.fmt, self.options = sweeps, path, fmt, options
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def _report(self, fraction: float) -> None:
        if self._cancel.is_set():
            raise ExportCancelled("The export was cancelled; no file was written.", self.path)
        self.progressed.emit(fraction)

    @Slot()
    def start(self) -> None:
        try:
            export_sweeps(self.sweeps, self.path, self.fmt, progress=self._report, **self.options)
        except ExportCancelled:
            self.finished.emit(("cancelled", None))
        except (RecordingError, OSError, ValueError) as exc:  # ExportError is a ValueError
            self.finished.emit(("failed", str(exc)))
        else:
            self.finished.emit(("done", self.path))

    @Slot()
    def stop(self) -> None:
        """Nothing to stop: the export has returned when this runs (ThreadHost's contract)."""


class ExportSweepsDialog(QDialog):
    """Choose sweeps, channels, format and file; export with progress and cancel.

    Parameters
    ----------
    sweeps
        Every sweep the student may export, in recording order.
    checked
        Which sweeps start ticked (default: those marked kept).
    directory
        Folder of the suggested file name.
    """

    progressed = Signal(int)  # percent, emitted in the GUI thread as the bar moves
    exported = Signal(object)  # Path of the written file
    cancelled = Signal()
    failed = Signal(str)

    def __init__(
        self,
        parent: QWidget | None,
        sweeps: Iterable[Sweep],
        *,
        checked: Iterable[bool] | None = None,
        directory: str | Path = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export sweeps"))
        self.sweeps = list(sweeps)
        ticks = [s.kept for s in self.sweeps] if checked is None else list(checked)
        self.host: ThreadHost | None = None
        self.worker: ExportWorker | None = None
        self._building = True

        self.sweep_tree = QTreeWidget()
        self.sweep_tree.setHeaderHidden(True)
        self._fill_sweeps(ticks)
        self.vc_button = QPushButton(self.tr("Voltage-clamp sweeps only"))
        self.cc_button = QPushButton(self.tr("Current-clamp sweeps only"))
        self.vc_button.clicked.connect(lambda: self.tick_mode(vc=True))
        self.cc_button.clicked.connect(lambda: self.tick_mode(vc=False))
        self.channel_list = QListWidget()
        for name in dict.fromkeys(c for s in self.sweeps for c in s.channels):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setData(_ROLE, name)
            self.channel_list.addItem(item)
        self.format_combo = QComboBox()
        for key in DIALOG_FORMATS:
            f = EXPORT_FORMATS[key]
            self.format_combo.addItem(f"{f.name} ({f.extension})", key)
            self.format_combo.setItemData(
                self.format_combo.count() - 1, f.description, Qt.ItemDataRole.ToolTipRole
            )
        self.path_edit = QLineEdit()
        self.browse_button = QPushButton(self.tr("Browse…"))
        self.browse_button.clicked.connect(self.browse)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.hide()
        self.export_button = QPushButton(self.tr("Export"))
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(lambda: self.start_export())
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)

        lists = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("Sweeps (tick a run to take all of it):")))
        left.addWidget(self.sweep_tree)
        modes = QHBoxLayout()
        modes.addWidget(self.vc_button)
        modes.addWidget(self.cc_button)
        left.addLayout(modes)
        right = QVBoxLayout()
        right.addWidget(QLabel(self.tr("Channels:")))
        right.addWidget(self.channel_list)
        lists.addLayout(left, 3)
        lists.addLayout(right, 1)
        file_row = QHBoxLayout()
        file_row.addWidget(self.format_combo)
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress_bar, 1)
        buttons.addStretch()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(lists, 1)
        layout.addLayout(file_row)
        layout.addWidget(self.problem_label)
        layout.addLayout(buttons)

        self._directory = Path(directory) if directory else None
        self.path_edit.setText(self._suggested_path(DIALOG_FORMATS[0]))
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.sweep_tree.itemChanged.connect(lambda *_: self.update_problem())
        self.channel_list.itemChanged.connect(lambda *_: self.update_problem())
        has_modes = {s.mode is ClampMode.VC for s in self.sweeps}
        self.vc_button.setEnabled(len(has_modes) > 1)
        self.cc_button.setEnabled(len(has_modes) > 1)
        self._building = False
        self.update_problem()

    # ------------------------------------------------------------------ lists
    def _fill_sweeps(self, ticks: list[bool]) -> None:
        runs: dict[str, QTreeWidgetItem] = {}
        for pos, (s, tick) in enumerate(zip(self.sweeps, ticks, strict=True)):
            prov = s.provenance
            protocol = str(prov.get("protocol_name") or prov.get("source") or self.tr("sweeps"))
            mode = s.mode.value if s.mode is not None else "?"
            key = str(prov.get("run_id") or f"{protocol} {mode}")
            run = runs.get(key)
            if run is None:
                run = QTreeWidgetItem(self.sweep_tree)
                run.setFlags(
                    run.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate
                )
                run.setData(0, _ROLE, None)
                run.setText(0, f"{self.tr('Run')} {len(runs) + 1}: {protocol} ({mode})")
                runs[key] = run
            text = f"{self.tr('Sweep')} {s.index + 1}"
            if s.label:
                text += f" · {s.label}"
            if not s.kept:
                text += f" · {self.tr('discarded')}"
            item = QTreeWidgetItem(run, [text])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setData(0, _ROLE, pos)
            item.setCheckState(0, Qt.CheckState.Checked if tick else Qt.CheckState.Unchecked)
        self.sweep_tree.expandAll()

    def _sweep_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        for run in self.run_items():
            out.extend(c for j in range(run.childCount()) if (c := run.child(j)) is not None)
        return out

    def run_items(self) -> list[QTreeWidgetItem]:
        """The run rows (ticking one ticks its sweeps)."""
        tree = self.sweep_tree
        n = tree.topLevelItemCount()
        return [it for i in range(n) if (it := tree.topLevelItem(i)) is not None]

    def set_sweeps_checked(self, positions: Iterable[int]) -> None:
        """Tick exactly the sweeps at ``positions`` (indices into ``sweeps``)."""
        wanted = set(positions)
        for item in self._sweep_items():
            on = item.data(0, _ROLE) in wanted
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def set_channels_checked(self, names: Iterable[str]) -> None:
        """Tick exactly the channels in ``names``."""
        wanted = set(names)
        for i in range(self.channel_list.count()):
            item = self.channel_list.item(i)
            on = item.data(_ROLE) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def tick_mode(self, vc: bool) -> None:
        """Tick every voltage-clamp sweep (``vc``) or every other one, and nothing else."""
        self.set_sweeps_checked(
            pos for pos, s in enumerate(self.sweeps) if (s.mode is ClampMode.VC) == vc
        )

    def chosen_positions(self) -> list[int]:
        return [
            item.data(0, _ROLE)
            for item in self._sweep_items()
            if item.checkState(0) == Qt.CheckState.Checked
        ]

    def chosen_channels(self) -> list[str]:
        items = (self.channel_list.item(i) for i in range(self.channel_list.count()))
        return [it.data(_ROLE) for it in items if it.checkState() == Qt.CheckState.Checked]

    def chosen_sweeps(self) -> list[Sweep]:
        """The ticked sweeps holding only the ticked channels (arrays shared, not copied)."""
        channels = self.chosen_channels()
        return [
            self.sweeps[p].with_channels(channels)
            for p in sorted(self.chosen_positions())
            if set(channels) & set(self.sweeps[p].channels)
        ]

    # ------------------------------------------------------------------ format and file
    def fmt(self) -> str:
        return str(self.format_combo.currentData())

    def set_format(self, key: str) -> None:
        self.format_combo.setCurrentIndex(DIALOG_FORMATS.index(key))

    def _suggested_path(self, key: str) -> str:
        ext = EXPORT_FORMATS[key].extension
        try:
            name = default_export_name(self.sweeps, ext)
        except Exception:  # a name suggestion is a nicety
            name = "vlab_export" + ext
        return str(self._directory / name) if self._directory else name

    def target(self) -> Path:
        """The file to write: the path typed, with the chosen format's extension."""
        ext = EXPORT_FORMATS[self.fmt()].extension
        p = Path(self.path_edit.text().strip() or self._suggested_path(self.fmt()))
        return p if p.suffix.lower() == ext else p.with_suffix(ext)

    def _format_changed(self) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(self.target()))
        self.update_problem()

    def browse(self) -> None:
        f = EXPORT_FORMATS[self.fmt()]
        chosen, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export sweeps"), str(self.target()), f"{f.name} (*{f.extension})"
        )
        if chosen:
            self.path_edit.setText(chosen)
            self.path_edit.setText(str(self.target()))

    def update_problem(self) -> str | None:
        """Show what stops the export (or nothing) and enable *Export* accordingly."""
        if self._building:
            return None
        ticked = [self.sweeps[p] for p in sorted(self.chosen_positions())]
        problem = selection_problem(self.fmt(), ticked, self.chosen_channels())
        self.problem_label.setText(self.tr(problem) if problem else self._precision_note())
        self.export_button.setEnabled(problem is None and self.worker is None)
        return problem

    def _precision_note(self) -> str:
        """For ABF: which ticked sweeps the 16-bit file keeps coarser than 0.1 % of their range."""
        if self.fmt() != "abf":
            return ""
        try:
            coarse = abf_coarse_sweeps(self.chosen_sweeps())
        except (RecordingError, ValueError, KeyError):
            return ""  # the writer will say what is wrong
        if not coarse:
            return ""
        first = coarse[0]
        return self.tr(
            "Note: ABF stores 16-bit values with one scale per channel, so {n} ticked sweep(s) "
            "keep {ch} only in {step:.3g} {unit} steps, more than 0.1 % of their own range "
            "(first: sweep {k}). Export NWB or NPZ for exact values."
        ).format(
            n=len({c.position for c in coarse}),
            ch=first.channel,
            step=first.step,
            unit=first.unit,
            k=self.chosen_sweeps()[first.position].index + 1,
        )

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.worker is not None

    def start_export(self, path: str | os.PathLike[str] | None = None) -> bool:
        """Start writing in the export thread; False if the choice cannot be written.

        ``path`` (optional) is the file to write; its extension, when it names one of
        :data:`DIALOG_FORMATS`, chooses the format."""
        if path is not None:
            key = Path(path).suffix.lower().lstrip(".")
            if key in DIALOG_FORMATS:
                self.set_format(key)
            self.path_edit.setText(os.fspath(path))
        if self.running or self.update_problem() is not None:
            return False
        target = self.target()
        if not target.parent.is_dir():
            self.problem_label.setText(
                self.tr("The folder {} does not exist: choose another.").format(target.parent)
            )
            return False
        sweeps = self.chosen_sweeps()
        options: dict[str, Any] = {}
        if self.fmt() == "abf":  # the protocol gives the ABF its epoch table
            options["protocol"] = protocol_from_provenance(sweeps[0].provenance)
        self.worker = ExportWorker(sweeps, target, self.fmt(), options)
        self.worker.progressed.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.host = ThreadHost(self.worker, "vlab-export", self)
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.problem_label.setText(self.tr("Writing {}…").format(target.name))
        for w in (self.export_button, self.sweep_tree, self.channel_list, self.format_combo):
            w.setEnabled(False)
        self.host.start()
        return True

    @Slot(float)
    def _on_progress(self, fraction: float) -> None:
        percent = round(100 * fraction)
        self.progress_bar.setValue(percent)
        self.progressed.emit(percent)

    @Slot(object)
    def _on_finished(self, result: tuple[str, Any]) -> None:
        if self.worker is None:  # the dialog was closed while writing
            return
        self._stop_thread()
        for w in (self.sweep_tree, self.channel_list, self.format_combo, self.cancel_button):
            w.setEnabled(True)
        self.progress_bar.hide()
        kind, value = result
        self.update_problem()
        if kind == "done":
            self.exported.emit(value)
            self.accept()
        elif kind == "cancelled":
            self.problem_label.setText(self.tr("Export cancelled: no file was written."))
            self.cancelled.emit()
        else:
            self.problem_label.setText(
                str(value) + "\n" + self.tr("Your recordings are still in vlab; nothing was lost.")
            )
            self.failed.emit(str(value))

    def _stop_thread(self) -> None:
        if self.host is not None:
            self.host.shutdown()
            self.host.deleteLater()
        self.host = None
        self.worker = None

    def cancel(self) -> None:
        """Stop a running export (its file is not written), or close the dialog."""
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.problem_label.setText(self.tr("Cancelling…"))
        else:
            self.reject()

    def done(self, result: int) -> None:  # closing while writing: cancel and wait
        if self.worker is not None:
            self.worker.cancel()
            self._stop_thread()
        super().done(result)
