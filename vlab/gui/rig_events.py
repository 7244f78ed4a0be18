"""The one bridge from the rig's listeners to Qt: rig events as signals in the GUI thread.

:class:`vlab.rig.Rig` calls its listeners in the thread that made the change, inside the
rig's lock (the simulation thread syncs drugs, a script may change settings). Widgets must
only be touched in the GUI thread, so no panel subscribes to the rig itself: each connects
to :meth:`RigEvents.of(rig) <RigEvents.of>`, one QObject per rig living in the GUI thread,
whose signals Qt queues into the GUI thread when the change happened elsewhere (and
delivers at once when it happened in the GUI thread). Connections end by themselves when a
receiving widget is destroyed.
"""

from __future__ import annotations

import warnings
import weakref

from PySide6.QtCore import QObject, Signal

from vlab.rig import Rig

__all__ = ["RIG_EVENT_KINDS", "RigEvents", "disconnect_rig_events"]

#: every ``kind`` a rig emits (see :mod:`vlab.rig.rig`), each with its own signal below
RIG_EVENT_KINDS = (
    "mode",
    "holding",
    "amplifier",
    "parameter",
    "preparation",
    "drug",
    "protocol",
    "history",
    "locks",
    "bath",
)

_BRIDGES: weakref.WeakKeyDictionary[Rig, RigEvents] = weakref.WeakKeyDictionary()


class RigEvents(QObject):
    """Rig events as Qt signals (see module docstring).

    ``changed(kind, detail)`` carries every event; the typed signals carry one kind each:
    ``mode(ClampMode)``, ``holding(ClampMode)``, ``amplifier(str)`` ("gain"/"filter"),
    ``parameter(str)`` (its name), ``preparation(str)``, ``drug(object)`` (name or None),
    ``protocol(object)`` (Protocol or None), ``history(str)`` ("undo"/"redo"/"clear"),
    ``locks(object)`` (frozenset of locked controls), ``bath(object)`` (the
    :class:`vlab.rig.settings.BathReport` the simulation sent back).
    """

    changed = Signal(str, object)
    mode = Signal(object)
    holding = Signal(object)
    amplifier = Signal(str)
    parameter = Signal(str)
    preparation = Signal(str)
    drug = Signal(object)
    protocol = Signal(object)
    history = Signal(str)
    locks = Signal(object)
    bath = Signal(object)

    def __init__(self, rig: Rig) -> None:
        super().__init__()
        rig.subscribe(self._forward)

    @classmethod
    def of(cls, rig: Rig) -> RigEvents:
        """The bridge of ``rig`` (made on first use; call from the GUI thread)."""
        bridge = _BRIDGES.get(rig)
        if bridge is None:
            bridge = _BRIDGES[rig] = cls(rig)
        return bridge

    def _forward(self, kind: str, detail: object) -> None:
        """Rig listener (any thread): re-emit as signals."""
        self.changed.emit(kind, detail)
        typed = getattr(self, kind, None) if kind in RIG_EVENT_KINDS else None
        if typed is not None:
            typed.emit(detail)


def disconnect_rig_events(rig: Rig, slot) -> None:
    """Stop delivering ``rig``'s events to ``slot`` (no error if it was not connected)."""
    bridge = _BRIDGES.get(rig)
    if bridge is None:
        return
    with warnings.catch_warnings():  # PySide warns when it was not connected (any more)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            bridge.changed.disconnect(slot)
        except (RuntimeError, TypeError):
            pass
