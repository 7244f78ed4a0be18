"""The rig window's *Record gap-free* toggle: streamed data become a segment in the recording.

While it is on, every gap-free chunk the worker delivers is collected by a
:class:`~vlab.recording.gapfree.GapFreeRecorder`, bounded by the room the memory budget
leaves. Turning it off (or starting a protocol, or leaving gap-free acquisition) adds the
segment to the recording like a sweep (kept, journaled, exported by every format). A clamp
mode change or a jump in time closes the segment and starts the next one; when the budget
is full the recording stops and says so.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction

from vlab.recording.budget import MemoryBudget
from vlab.recording.gapfree import GapFreeRecorder
from vlab.rig import Rig
from vlab.rig.provenance import sweep_provenance

__all__ = ["GapFreeRecording"]


def _t(text: str) -> str:
    return QCoreApplication.translate("GapFreeRecording", text)


class GapFreeRecording:
    """Connects the toggle ``action`` to a recorder (see module docstring).

    Parameters
    ----------
    rig, budget
        The window's rig (provenance at the start of each segment) and memory budget.
    record
        Adds a finished segment to the recording (the window's ``record_sweep``).
    message
        Shows a line in the status bar.
    """

    def __init__(
        self,
        action: QAction,
        rig: Rig,
        budget: MemoryBudget,
        record: Callable[[Any], None],
        message: Callable[[str], None],
    ) -> None:
        self.action = action
        self.rig = rig
        self.budget = budget
        self._record = record
        self._message = message
        self.recorder: GapFreeRecorder | None = None
        self.segments = 0
        action.toggled.connect(self._toggled)

    @property
    def active(self) -> bool:
        return self.recorder is not None

    def _toggled(self, on: bool) -> None:
        if on and self.recorder is None:
            self.recorder = self._new_recorder()
            if self.recorder is None:
                self.action.setChecked(False)
            else:
                self._message(_t("Recording gap-free: toggle Record again to stop."))
        elif not on and self.recorder is not None:
            self.stop()

    def _new_recorder(self) -> GapFreeRecorder | None:
        room = self.budget.limit - self.budget.used
        if room <= 0:
            self._message(_t("The recording is full: export and discard sweeps to record more."))
            return None
        with self.rig.lock:
            amp = copy.deepcopy(self.rig.amplifier)
            prov = sweep_provenance(
                self.rig.cell,
                None,
                mode=amp.mode,
                run_id=f"gap-free-{uuid.uuid4().hex[:12]}",
                amplifier=amp,
                hide_drug_names="drug_names" in self.rig.locked,
                practical=self.rig.practical_tag,
            )
        return GapFreeRecorder(room, prov, index=self.segments)

    def add_block(self, block: Any) -> None:
        """Feed one delivered chunk; episodic chunks end the recording."""
        rec = self.recorder
        if rec is None:
            return
        if block.sweep is not None:  # a protocol started: a segment is gap-free only
            self.stop()
            return
        if rec.add(block.t, block.data, block.mode):
            return
        full = rec.full
        self._finish()
        if full:
            self.recorder = None
            self.action.setChecked(False)
            self._message(_t("Memory budget reached: the gap-free recording stopped."))
            return
        self.recorder = self._new_recorder()  # mode change or a jump in time: next segment
        if self.recorder is None or not self.recorder.add(block.t, block.data, block.mode):
            self.stop()

    def _finish(self) -> None:
        rec = self.recorder
        sweep = rec.finish() if rec is not None else None
        if sweep is not None:
            self.segments += 1
            self._record(sweep)
            self._message(_t("Gap-free segment recorded: {:.1f} s.").format(sweep.duration))

    def stop(self) -> None:
        """Finish the segment (added to the recording) and turn the toggle off."""
        self._finish()
        self.recorder = None
        if self.action.isChecked():
            self.action.setChecked(False)
