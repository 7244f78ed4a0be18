"""What the rig hands the simulation: frozen settings snapshots, and what comes back.

The GUI thread edits the :class:`vlab.rig.Rig`; the simulation (another thread) must never
see an edit half made. So the rig publishes a :class:`RigSettings` snapshot when a change
is complete (when the outermost hold of ``rig.lock`` ends; a multi-field edit made under
one hold is one snapshot) by replacing one reference, ``rig.settings``. The simulator
reads that reference once per step, without a lock, and never writes to the rig.

What the simulation *advances* (drug concentrations at the membrane approaching their
targets, binding, pronase damage, the membrane itself) lives with the simulator
(:class:`vlab.rig.simulator.RigSimulator`). It reports the perfusion back as a
:class:`BathReport` (on every :class:`~vlab.rig.simulator.Block` and in the worker's
status); the GUI hands it to :meth:`Rig.report_bath`, which updates what the panels show
and tells listeners (event ``"bath"``, the typed ``bath`` signal of
:class:`vlab.gui.rig_events.RigEvents`).

Values are SI (V, A, Hz; concentrations mol/m^3 = mM).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from vlab.protocols import Protocol
    from vlab.rig.rig import Amplifier
    from vlab.sim.cell import Cell

__all__ = ["BathReport", "DrugTarget", "RigSettings", "cell_settings"]


@dataclass(frozen=True)
class DrugTarget:
    """A drug the student perfuses: its concentration in the perfusate (mol/m^3) and side."""

    name: str
    concentration: float
    side: str | None


@dataclass(frozen=True)
class RigSettings:
    """Everything the student set, at one moment; never changed once published.

    ``cell`` and ``amplifier`` are private copies made for this snapshot (nobody holds
    another reference to them; a reader that needs to change one copies it first); the
    cell holds settings only (:func:`cell_settings`: no drug state).
    ``bath_epoch`` counts the times the rig *set* the perfusion's state rather than its
    targets (a drug given already equilibrated, a file loaded, a preparation switch, a
    fresh cell for a practical step); ``bath_state`` is that state
    (:meth:`vlab.sim.drugs.Bath.state`), which the simulator then takes over.
    """

    version: int
    cell: Cell
    amplifier: Amplifier
    protocol: Protocol | None
    drugs: tuple[DrugTarget, ...]
    bath_epoch: int
    bath_state: Mapping
    locked: frozenset[str]
    practical_tag: Mapping


@dataclass(frozen=True)
class BathReport:
    """The simulation's perfusion after a step: :meth:`vlab.sim.drugs.Bath.state` (SI) of
    the bath the simulator advanced since the rig's ``bath_epoch`` ``epoch``."""

    epoch: int
    state: Mapping


def cell_settings(cell: Cell) -> Cell:
    """A private copy of ``cell``'s settings (values, pins; the preparation is shared, nobody
    changes it) without what the simulation advances: no drug at the membrane, nothing
    bound, no pronase damage. The simulator fills those in from its own bath
    (:meth:`vlab.sim.drugs.Bath.into_cell`)."""
    out = copy.copy(cell)
    out.values = dict(cell.values)
    out.pins = dict(cell.pins)
    out.drugs = {}
    out.drug_sides = {}
    out.occupancy = {}
    out.pronase_removed = 0.0
    return out


def frozen_mapping(data: dict) -> Mapping:
    """A read-only deep copy of ``data``."""
    return MappingProxyType(copy.deepcopy(data))
